// SPDX-License-Identifier: GPL-2.0-only
/* edrctl load-rules and edrctl rules: talk to the sensor's content manager. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/content/content.h"
#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/edrctl.h"

int edrctl_cmd_load_rules(int argc, char **argv);
int edrctl_cmd_rules(int argc, char **argv);
int edrctl_response_rules(const char *sock, int json);

/* --socket wins, then $EDR_SOCKET, then the default. */
static const char *socket_path(const char *opt)
{
	const char *env = getenv("EDR_SOCKET");

	return opt ? opt : env && *env ? env : EDR_CTL_DEFAULT_SOCKET;
}

static int print_progress(const char *msg, void *ctx)
{
	printf("%s\n", msg);
	fflush(stdout);
	return 0;
}

int edrctl_cmd_load_rules(int argc, char **argv)
{
	const char *path = NULL, *shadow = NULL, *sock = NULL;
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply r;
	struct edr_ctl_req *req;
	char abs[PATH_MAX];
	uint64_t ms;
	int i, force = 0, enforce_now = 0, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shadow") && i + 1 < argc)
			shadow = argv[++i];
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else if (!strcmp(argv[i], "--enforce-now"))
			enforce_now = 1;
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			return edrctl_usage_error("load-rules: unexpected '%s' (usage: load-rules PATH "
						  "[--shadow DURATION] [--force] [--enforce-now] "
						  "[--socket PATH])",
						  argv[i]);
	}
	if (!path)
		return edrctl_usage_error("load-rules: PATH is required");
	if (shadow && edr_duration_parse(shadow, &ms))
		return edrctl_usage_error("load-rules: --shadow wants a duration like 10m, 30s or "
					  "1h (0: activate at once), not '%s'", shadow);
	/* The sensor resolves nothing relative to our working directory. */
	if (!realpath(path, abs)) {
		fprintf(stderr, "edrctl: load-rules: %s: %s\n", path, strerror(errno));
		return 1;
	}
	req = edr_ctl_req__new("load-rules");
	if (!req || edr_ctl_req__add(req, "path", abs) ||
	    (shadow && edr_ctl_req__add(req, "shadow", shadow)) ||
	    (force && edr_ctl_req__add(req, "force", "1")) ||
	    (enforce_now && edr_ctl_req__add(req, "enforce_now", "1"))) {
		edr_ctl_req__free(req);
		fprintf(stderr, "edrctl: load-rules: path too long or out of memory\n");
		return 1;
	}
	edr_ctl_reply__init(&r);
	rc = edr_ctl_call_progress(socket_path(sock), req, &r, print_progress, NULL, &err);
	edr_ctl_req__free(req);
	if (rc) {
		fprintf(stderr, "edrctl: load-rules: %s\n", err.msg);
		edr_ctl_reply__fini(&r);
		return 1;
	}
	if (r.status == 0)
		printf("%s\n", r.msg);
	else
		fprintf(stderr, "%s\n", r.msg);
	rc = r.status == 0 ? 0 : 1;
	edr_ctl_reply__fini(&r);
	return rc;
}

int edrctl_cmd_rules(int argc, char **argv)
{
	struct edr_ctl_err err = { "" };
	const char *sock = NULL;
	struct edr_ctl_reply r;
	struct edr_ctl_req *req;
	int i, json = 0, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock = argv[++i];
		else
			return edrctl_usage_error("rules: unexpected '%s' (usage: rules [--json] "
						  "[--socket PATH])", argv[i]);
	}
	req = edr_ctl_req__new("rules");
	if (!req)
		return 1;
	edr_ctl_reply__init(&r);
	rc = edr_ctl_call(socket_path(sock), req, &r, &err);
	edr_ctl_req__free(req);
	if (rc) {
		fprintf(stderr, "edrctl: rules: %s\n", err.msg);
		edr_ctl_reply__fini(&r);
		return 1;
	}
	if (json)
		edr_ctl_reply__print_json(&r, stdout);
	else if (r.status == 0)
		edr_ctl_reply__print_table(&r, stdout);
	if (r.status)
		fprintf(stderr, "edrctl: rules: %s\n", r.msg);
	else if (!json)
		edrctl_response_rules(socket_path(sock), 0);
	rc = r.status == 0 ? 0 : 1;
	edr_ctl_reply__fini(&r);
	return rc;
}
