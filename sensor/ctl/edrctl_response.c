// SPDX-License-Identifier: GPL-2.0-only
/*
 * edrctl's response verbs (issue 12): the kill switch, re-arming demoted
 * rules, host isolation, the quarantine, and the response rule table that
 * `edrctl rules` appends. Arguments are checked here for a helpful usage
 * line; the sensor checks them again (a request is untrusted there).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/edrctl.h"
#include "sensor/ctl/render.h"
#include "sensor/paths.h"

int edrctl_cmd_enforce(int argc, char **argv);
int edrctl_cmd_response(int argc, char **argv);
int edrctl_cmd_isolate(int argc, char **argv);
int edrctl_cmd_release(int argc, char **argv);
int edrctl_cmd_quarantine(int argc, char **argv);
int edrctl_response_rules(const char *sock, int json);

static const char *sock_path(const char *opt)
{
	const char *env = getenv("EDR_SOCKET");

	return opt ? opt : env && *env ? env : EDR_CTL_DEFAULT_SOCKET;
}

/* Sends req (freed here); prints the reply's message, or its items when
 * table. Returns the exit status. */
static int send_req(const char *verb, struct edr_ctl_req *req, const char *sock, int table,
		    int json)
{
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply r;
	int rc;

	if (!req) {
		fprintf(stderr, "edrctl: %s: out of memory or argument too long\n", verb);
		return 1;
	}
	edr_ctl_reply__init(&r);
	rc = edr_ctl_call(sock_path(sock), req, &r, &err);
	edr_ctl_req__free(req);
	if (rc) {
		fprintf(stderr, "edrctl: %s: %s\n", verb, err.msg);
		edr_ctl_reply__fini(&r);
		return 1;
	}
	if (r.status) {
		fprintf(stderr, "edrctl: %s\n", r.msg);
	} else if (json) {
		edr_ctl_reply__print_json(&r, stdout);
	} else {
		if (table && r.nitems)
			edr_render_table(stdout, r.items, r.nitems);
		if (r.msg[0])
			printf("%s\n", r.msg);
	}
	rc = r.status ? 1 : 0;
	edr_ctl_reply__fini(&r);
	return rc;
}

/* A new request with key/value pairs (NULL-terminated); NULL on failure. */
static struct edr_ctl_req *mkreq(const char *verb, ...)
{
	struct edr_ctl_req *req = edr_ctl_req__new(verb);
	const char *k, *v;
	va_list ap;

	va_start(ap, verb);
	while (req && (k = va_arg(ap, const char *))) {
		v = va_arg(ap, const char *);
		if (v && edr_ctl_req__add(req, k, v)) {
			edr_ctl_req__free(req);
			req = NULL;
		}
	}
	va_end(ap);
	return req;
}

/* Takes "--socket PATH" out of argv; returns 0 or a usage error. */
static int take_socket(int *argc, char **argv, const char **sock)
{
	int i, o = 0;

	for (i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--socket")) {
			if (i + 1 >= *argc)
				return edrctl_usage_error("%s: --socket needs a PATH", argv[0]);
			*sock = argv[++i];
			continue;
		}
		argv[o++] = argv[i];
	}
	*argc = o;
	return 0;
}

int edrctl_cmd_enforce(int argc, char **argv)
{
	const char *sock = NULL;

	if (take_socket(&argc, argv, &sock))
		return 2;
	if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return edrctl_usage_error("usage: edrctl enforce on|off [--socket PATH]");
	return send_req("enforce", mkreq("enforce", "state", argv[1], NULL), sock, 0, 0);
}

int edrctl_cmd_response(int argc, char **argv)
{
	const char *sock = NULL;

	if (take_socket(&argc, argv, &sock))
		return 2;
	if (argc != 3 || strcmp(argv[1], "rearm") || !argv[2][0])
		return edrctl_usage_error("usage: edrctl response rearm RULE|--all [--socket PATH]");
	if (!strcmp(argv[2], "--all"))
		return send_req("response", mkreq("response", "op", "rearm", "all", "1", NULL), sock,
				0, 0);
	if (argv[2][0] == '-')
		return edrctl_usage_error("response rearm: unknown option '%s'", argv[2]);
	return send_req("response", mkreq("response", "op", "rearm", "rule", argv[2], NULL), sock,
			0, 0);
}

int edrctl_cmd_isolate(int argc, char **argv)
{
	struct edr_ctl_req *req;
	const char *sock = NULL;
	char key[32];
	int i, n = 0;

	if (take_socket(&argc, argv, &sock))
		return 2;
	req = edr_ctl_req__new("isolate");
	for (i = 1; req && i < argc; i++) {
		if (strcmp(argv[i], "--allow") || i + 1 >= argc) {
			edr_ctl_req__free(req);
			return edrctl_usage_error("usage: edrctl isolate [--allow CIDR[:PORT]]... "
						  "[--socket PATH] (unexpected '%s')", argv[i]);
		}
		snprintf(key, sizeof(key), "allow.%d", n++);
		if (edr_ctl_req__add(req, key, argv[++i])) {
			edr_ctl_req__free(req);
			req = NULL;
		}
	}
	return send_req("isolate", req, sock, 0, 0);
}

int edrctl_cmd_release(int argc, char **argv)
{
	const char *sock = NULL;

	if (take_socket(&argc, argv, &sock))
		return 2;
	if (argc != 1)
		return edrctl_usage_error("usage: edrctl release [--socket PATH]");
	return send_req("release", mkreq("release", NULL), sock, 0, 0);
}

int edrctl_cmd_quarantine(int argc, char **argv)
{
	const char *sock = NULL;
	int json = 0, force = 0, i, o = 1;

	if (take_socket(&argc, argv, &sock))
		return 2;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--force"))
			force = 1;
		else
			argv[o++] = argv[i];
	}
	argc = o;
	if (argc == 2 && !strcmp(argv[1], "list") && !force)
		return send_req("quarantine", mkreq("quarantine", "op", "list", NULL), sock, 1, json);
	if (argc == 3 && !strcmp(argv[1], "restore") && argv[2][0] != '-')
		return send_req("quarantine", mkreq("quarantine", "op", "restore", "id", argv[2],
						    "force", force ? "1" : NULL, NULL), sock, 0, json);
	return edrctl_usage_error("usage: edrctl quarantine list [--json] | restore ID [--force] "
				  "[--socket PATH]");
}

/* The response rule table after `edrctl rules`: id, action, mechanism,
 * armed or demoted. Quiet when the sensor has no response verbs. */
int edrctl_response_rules(const char *sock, int json)
{
	struct edr_ctl_req *req = edr_ctl_req__new("response-rules");
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply r;
	int rc;

	if (!req)
		return 1;
	edr_ctl_reply__init(&r);
	rc = edr_ctl_call(sock_path(sock), req, &r, &err);
	edr_ctl_req__free(req);
	if (!rc && !r.status && r.nitems) {
		if (json)
			edr_ctl_reply__print_json(&r, stdout);
		else
			edr_render_table(stdout, r.items, r.nitems);
	}
	edr_ctl_reply__fini(&r);
	return 0;
}
