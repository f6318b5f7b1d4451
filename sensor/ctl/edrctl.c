// SPDX-License-Identifier: GPL-2.0-only
/* edrctl: command-line front end to edr-sensor and to offline content tools. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ctl/edrctl.h"

static int cmd_help(int argc, char **argv);

/* Declarations of verbs implemented in sensor/edrctl_*.c go here. */
int edrctl_cmd_status(int argc, char **argv);
int edrctl_cmd_stats(int argc, char **argv);
int edrctl_cmd_config(int argc, char **argv);
int edrctl_cmd_bundle(int argc, char **argv);
int edrctl_cmd_load_rules(int argc, char **argv);
int edrctl_cmd_rules(int argc, char **argv);
int edrctl_cmd_check_rules(int argc, char **argv);
int edrctl_cmd_enforce(int argc, char **argv);
int edrctl_cmd_response(int argc, char **argv);
int edrctl_cmd_isolate(int argc, char **argv);
int edrctl_cmd_release(int argc, char **argv);
int edrctl_cmd_quarantine(int argc, char **argv);

static const struct edrctl_verb verbs[] = {
	{ "help", "help", "show this list", cmd_help },
	/* Add verbs here, one line each. */
	{ "status", "status [--json] [--socket PATH]", "is the sensor running: features, content, outputs", edrctl_cmd_status },
	{ "stats", "stats [--json] [--watch] [--count N]", "event, drop, rule and resource counters", edrctl_cmd_stats },
	{ "config", "config check [--json] [--dump] [FILE]", "check a sensor configuration file offline", edrctl_cmd_config },
	{ "check-rules", "check-rules PATH [--test] [--require-samples]", "validate Sigma rules (and run their samples)", edrctl_cmd_check_rules },
	{ "bundle", "bundle keygen|create|verify|list ...", "sign, check and inspect content bundles", edrctl_cmd_bundle },
	{ "load-rules", "load-rules PATH [--shadow DURATION] [--force] [--enforce-now]", "verify, test and activate new content", edrctl_cmd_load_rules },
	{ "rules", "rules [--json]", "show active, shadow and last-known-good content, and the response rules", edrctl_cmd_rules },
	{ "enforce", "enforce on|off", "kill switch: take the actions rules declare, or only observe", edrctl_cmd_enforce },
	{ "response", "response rearm RULE|--all", "re-arm rules demoted to alert-only by their budget", edrctl_cmd_response },
	{ "isolate", "isolate [--allow CIDR[:PORT]]...", "isolate the host: drop all but loopback and the allow-list", edrctl_cmd_isolate },
	{ "release", "release", "end host isolation", edrctl_cmd_release },
	{ "quarantine", "quarantine list|restore ID [--force]", "list quarantined files or put one back", edrctl_cmd_quarantine },
};

int edrctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("edrctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int cmd_help(int argc, char **argv)
{
	size_t i;

	printf("usage: edrctl VERB [ARGS...]\n\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		printf("  %-44s %s\n", verbs[i].usage, verbs[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cmd_help(argc, argv), 2;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].run(argc - 1, argv + 1);
	return edrctl_usage_error("unknown verb '%s' (see 'edrctl help')", argv[1]);
}
