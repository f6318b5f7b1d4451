/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edrctl: a table of verbs. Each group of verbs lives in its own
 * sensor/edrctl_*.c file and adds its lines to the table in edrctl.c.
 * A verb returns the process exit status: 0 success, 1 failure of what was
 * asked (bad rule, rejected bundle, sensor not running), 2 usage error.
 */
#ifndef EDRCTL_H
#define EDRCTL_H

struct edrctl_verb {
	const char *name;  /* first word; verbs with sub-verbs parse them */
	const char *usage; /* shown in `edrctl help` */
	const char *help;  /* one line */
	int (*run)(int argc, char **argv); /* argv[0] is the verb */
};

/* Prints "edrctl: <msg>" to stderr; returns 2 for usage errors. */
int edrctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* EDRCTL_H */
