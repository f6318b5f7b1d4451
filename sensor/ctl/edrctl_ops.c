// SPDX-License-Identifier: GPL-2.0-only
/*
 * edrctl status, stats and config check. status and stats ask the running
 * sensor over the control socket and render its flat reply (render.h);
 * config check reads a configuration file with the sensor's own parser and
 * never talks to the sensor.
 * Exit status: 0 success, 1 failure (no sensor, error reply, problems in the
 * file), 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sensor/config.h"
#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/edrctl.h"
#include "sensor/ctl/render.h"

int edrctl_cmd_status(int argc, char **argv);
int edrctl_cmd_stats(int argc, char **argv);
int edrctl_cmd_config(int argc, char **argv);

struct opts {
	const char *socket;
	bool json, watch;
	long count; /* --watch refreshes; 0 = until interrupted */
};

/* "--name VALUE" or "--name=VALUE"; returns the value or NULL (and *usage). */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *usage)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*usage = edrctl_usage_error("%s: option '%s' needs a value", argv[0], name);
		return NULL;
	}
	return argv[++*i];
}

/* Parses the options shared by status and stats; returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, struct opts *o, bool stats)
{
	int i, usage = 0;
	const char *v;
	char *end;

	o->socket = getenv("EDR_SOCKET");
	if (!o->socket || !*o->socket)
		o->socket = EDR_CTL_DEFAULT_SOCKET;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (stats && !strcmp(argv[i], "--watch")) {
			o->watch = true;
		} else if ((v = opt_value(argc, argv, &i, "--socket", &usage))) {
			o->socket = v;
		} else if (stats && (v = opt_value(argc, argv, &i, "--count", &usage))) {
			errno = 0;
			o->count = strtol(v, &end, 10);
			if (!*v || *end || errno || o->count < 1)
				return edrctl_usage_error("%s: bad value '%s' for --count (expected a positive integer)",
							  argv[0], v);
			o->watch = true;
		} else if (usage) {
			return usage;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: edrctl %s [--json]%s [--socket PATH]\n", argv[0],
			       stats ? " [--watch] [--count N]" : "");
			return 0;
		} else {
			return edrctl_usage_error("%s: unexpected argument '%s' (see edrctl %s --help)",
						  argv[0], argv[i], argv[0]);
		}
	}
	return -1;
}

/* One request; on failure prints one line and returns 1. */
static int call(const char *socket, const char *verb, struct edr_ctl_reply *reply)
{
	struct edr_ctl_err err = { { 0 } };
	struct edr_ctl_req *req = edr_ctl_req__new(verb);
	int rc;

	if (!req) {
		fprintf(stderr, "edrctl: %s: %s\n", verb, strerror(errno));
		return 1;
	}
	edr_ctl_reply__init(reply);
	rc = edr_ctl_call(socket, req, reply, &err);
	edr_ctl_req__free(req);
	if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -ENOTSOCK) {
		fprintf(stderr, "edrctl: cannot connect to %s: %s (is edr-sensor running?)\n", socket,
			strerror(-rc));
		return 1;
	}
	if (rc == -EACCES || rc == -EPERM) {
		fprintf(stderr, "edrctl: cannot connect to %s: %s (root or the socket_group may)\n",
			socket, strerror(-rc));
		return 1;
	}
	if (rc) {
		fprintf(stderr, "edrctl: %s\n", err.msg[0] ? err.msg : strerror(-rc));
		return 1;
	}
	if (reply->status < 0) {
		fprintf(stderr, "edrctl: %s: %s\n", verb,
			reply->msg[0] ? reply->msg : strerror(-reply->status));
		return 1;
	}
	return 0;
}

static int render(const struct edr_ctl_reply *reply, bool json)
{
	int err = json ? edr_render_json(stdout, reply->items, reply->nitems)
		       : edr_render_table(stdout, reply->items, reply->nitems);

	if (err) {
		fprintf(stderr, "edrctl: rendering the reply: %s\n", strerror(-err));
		return 1;
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "edrctl: writing the output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int edrctl_cmd_status(int argc, char **argv)
{
	struct edr_ctl_reply reply;
	struct opts o = { 0 };
	int rc = parse_opts(argc, argv, &o, false);

	if (rc >= 0)
		return rc;
	rc = call(o.socket, "status", &reply);
	if (!rc)
		rc = render(&reply, o.json);
	edr_ctl_reply__fini(&reply);
	return rc;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

int edrctl_cmd_stats(int argc, char **argv)
{
	struct edr_ctl_reply reply;
	struct opts o = { 0 };
	struct sigaction sa = { .sa_handler = on_sigint };
	bool tty = isatty(STDOUT_FILENO);
	long n = 0;
	int rc = parse_opts(argc, argv, &o, true);

	if (rc >= 0)
		return rc;
	if (o.watch) {
		/* Ctrl-C ends a watch normally (exit 0), not as a killed process. */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		rc = call(o.socket, "stats", &reply);
		if (!rc) {
			if (o.watch && !o.json) {
				time_t now = time(NULL);
				char ts[32];

				strftime(ts, sizeof(ts), "%F %T", localtime(&now));
				/* On a terminal, redraw in place; in a pipe, one block per refresh. */
				printf("%s%s  edr-sensor stats (every 1s, Ctrl-C to stop)\n\n",
				       tty ? "\033[H\033[2J" : (n ? "\n" : ""), ts);
			}
			rc = render(&reply, o.json);
		}
		edr_ctl_reply__fini(&reply);
		n++;
		if (rc || !o.watch || (o.count && n >= o.count))
			break;
		/* sleep() returns early on SIGINT. */
		if (!interrupted)
			sleep(1);
		if (interrupted)
			break;
	}
	return rc;
}

/* ---- config check ---- */

struct check {
	bool json;
	int warnings, errors;
	FILE *msgs; /* JSON: the diagnostics array, built aside */
};

static void on_diag(enum edr_diag_level level, const char *msg, void *ctx)
{
	struct check *c = ctx;

	if (level == EDR_DIAG_ERROR)
		c->errors++;
	else
		c->warnings++;
	if (!c->json) {
		printf("%s\n", msg);
		return;
	}
	fprintf(c->msgs, "%s{\"level\":\"%s\",\"message\":", c->warnings + c->errors > 1 ? "," : "",
		level == EDR_DIAG_ERROR ? "error" : "warning");
	edr_render_json_string(c->msgs, msg);
	fputc('}', c->msgs);
}

static int config_check(int argc, char **argv)
{
	const char *path = EDR_CONFIG_DEFAULT_PATH;
	struct check c = { 0 };
	struct edr_config cfg;
	bool dump = false, have_path = false;
	char *msgs = NULL;
	size_t msgs_len = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			c.json = true;
		else if (!strcmp(argv[i], "--dump"))
			dump = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return printf("usage: edrctl config check [--json] [--dump] [FILE]\n"), 0;
		else if (argv[i][0] == '-' && argv[i][1])
			return edrctl_usage_error("config check: unknown option '%s'", argv[i]);
		else if (have_path)
			return edrctl_usage_error("config check: more than one file given");
		else
			path = argv[i], have_path = true;
	}
	err = edr_config__defaults(&cfg);
	if (err) {
		fprintf(stderr, "edrctl: config check: %s\n", strerror(-err));
		return 1;
	}
	if (c.json) {
		c.msgs = open_memstream(&msgs, &msgs_len);
		if (!c.msgs) {
			edr_config__free(&cfg);
			fprintf(stderr, "edrctl: config check: %s\n", strerror(errno));
			return 1;
		}
	}
	err = edr_config__load_file(&cfg, path, on_diag, &c);
	if (err == -ENOMEM)
		fprintf(stderr, "edrctl: config check: %s\n", strerror(ENOMEM));
	if (c.json) {
		fclose(c.msgs);
		printf("{\"file\":");
		edr_render_json_string(stdout, path);
		printf(",\"ok\":%s,\"refused\":%s,\"warnings\":%d,\"errors\":%d,\"diagnostics\":[%s]}\n",
		       !err && !c.warnings && !c.errors ? "true" : "false", err ? "true" : "false",
		       c.warnings, c.errors, msgs ? msgs : "");
		free(msgs);
	} else if (!err && !c.warnings) {
		printf("%s: OK\n", path);
	} else if (!err) {
		printf("%s: %d problem%s, the sensor would start without %s\n", path, c.warnings,
		       c.warnings == 1 ? "" : "s", c.warnings == 1 ? "that line" : "those lines");
	} else {
		printf("%s: the sensor would refuse to start\n", path);
	}
	if (dump && !err && !c.json)
		edr_config__dump(&cfg, stdout);
	edr_config__free(&cfg);
	return !err && !c.warnings && !c.errors ? 0 : 1;
}

int edrctl_cmd_config(int argc, char **argv)
{
	if (argc < 2)
		return edrctl_usage_error("config: missing sub-verb (check)");
	if (!strcmp(argv[1], "check"))
		return config_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return printf("usage: edrctl config check [--json] [--dump] [FILE]\n"), 0;
	return edrctl_usage_error("config: unknown sub-verb '%s' (expected check)", argv[1]);
}
