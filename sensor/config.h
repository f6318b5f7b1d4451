/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * edr-sensor configuration: /etc/edr/sensor.conf and the command line, both
 * driven by ONE table of keys (config.c) so the file, `--key value`, the
 * usage text, `edrctl config check` and the man page cannot drift apart.
 *
 * Typical use in main():
 *
 *	struct edr_config cfg;
 *	edr_config__defaults(&cfg);
 *	idx = edr_config__parse_args(&cfg, argc, argv, diag, NULL);   // <0: exit 2
 *	if (cfg.help) ... edr_config__usage(stdout);
 *	if (edr_config__load(&cfg, diag, NULL) < 0) exit 1;
 *	...
 *	edr_config__free(&cfg);
 *
 * The command line wins: keys given there are not overwritten by the file
 * (the file is still checked and its problems reported).
 */
#ifndef EDR_CONFIG_H
#define EDR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "loader/loader.h"
#include "sensor/paths.h"

/* Limits: a config file is small; anything beyond these is an error. */
#define EDR_CONFIG_MAX_FILE   (1u << 20) /* bytes */
#define EDR_CONFIG_MAX_LINE   4096       /* bytes, newline excluded */
#define EDR_CONFIG_MAX_LIST   64         /* entries in a list value */
#define EDR_CONFIG_MAX_VALUE  4096       /* bytes in one string value */
#define EDR_CONFIG_MAX_KEYS   96         /* keys in the table, attach.* included */

/*
 * Features and their attach paths are the loader's (loader/loader.h): the
 * config accepts exactly the names `edr-sensor --probe` shows, so a forced
 * path reaches the loader unchanged (opts.force[f] = cfg.attach[f]).
 */
_Static_assert(EDR_MAX_FEATURES <= 64, "features fit edr_config.features");

enum edr_syslog_mode {
	EDR_SYSLOG_OFF = 0,
	EDR_SYSLOG_JOURNALD,
	EDR_SYSLOG_SYSLOG,
};

struct edr_config {
	/* Outputs. output is "stdout", "none" or an absolute file path. */
	char *output;
	enum edr_syslog_mode syslog;

	/* Kernel side. */
	uint64_t ring_buffer_size;          /* bytes, power of two */
	uint64_t features;                  /* bit (1 << feature number) */
	char *attach[EDR_MAX_FEATURES];     /* forced path name; NULL = probe (auto) */
	uint64_t hash_max_file_size;        /* bytes; 0 = never hash */
	uint64_t hash_rate;                 /* bytes hashed per second; 0 = unlimited */
	int64_t ancestry_depth;             /* ancestors listed per event; 0 = none */
	uint64_t file_write_dedup_ms;       /* 0 = report every write-open */

	/* Content. */
	char *content_dir;
	char *rules;                        /* file or directory: the initial content */
	char **pubkey;                      /* NULL-terminated list of key files */
	size_t n_pubkey;
	bool allow_unsigned;
	uint64_t probation_ms;
	uint64_t shadow_default_ms;         /* 0 = new content goes live at once */

	/* Response and prevention (issue 12). */
	bool enforce;                       /* off: observe only (kill switch at start) */
	int enforce_exec;                   /* enum edr_exec_pref: auto, lsm, fanotify, kill */
	int64_t response_rate_per_rule;     /* actions a minute per rule before demotion */
	int64_t response_rate_total;        /* actions a minute in total */
	uint64_t response_shadow_ms;        /* shadow window of content with responses */
	int64_t shadow_max_would_act_per_min;
	char **protected_paths;             /* executables never denied or killed */
	size_t n_protected_paths;
	char **isolate_allow;               /* CIDR[:PORT] kept reachable when isolated */
	size_t n_isolate_allow;
	uint64_t fanotify_deadline_ms;      /* answer allow after this long */
	uint64_t shutdown_timeout_ms;       /* SIGTERM to exit, at most */
	char *quarantine_dir;

	/* Control socket and state. */
	char *socket;
	char *socket_group;                 /* "" = root only */

	/* Misc. */
	bool verbose;
	char *host_name;                    /* "" = gethostname() */
	bool seccomp;                       /* run-phase syscall allow-list */

	/* Command line only. */
	char *config_path;                  /* --config */
	bool probe, json, help, version;
	int64_t target_pid;                 /* --target-pid (tests); 0 = all */

	/* Private: which keys the command line set (wins over the file). */
	uint8_t _set_by_cli[EDR_CONFIG_MAX_KEYS];
};

enum edr_diag_level {
	EDR_DIAG_WARNING = 0, /* reported, value ignored, start continues */
	EDR_DIAG_ERROR,       /* refused: the sensor must not start */
};

/*
 * Receives each diagnostic as one line without a trailing newline, e.g.
 * "/etc/edr/sensor.conf:12: unknown key 'foo', ignoring".
 */
typedef void (*edr_config_diag_fn)(enum edr_diag_level level, const char *msg, void *ctx);

/* Fills every key with its default; never fails except on ENOMEM (-ENOMEM). */
int edr_config__defaults(struct edr_config *cfg);

/*
 * Reads PATH. Returns 0 when the sensor may start (warnings possibly
 * reported), -EINVAL when a safety key had a bad value or the file itself is
 * unsafe (group/world writable), -ENOENT/-EACCES/... when it cannot be read,
 * -EFBIG when over EDR_CONFIG_MAX_FILE. Every problem goes to diag (may be NULL).
 */
int edr_config__load_file(struct edr_config *cfg, const char *path,
			  edr_config_diag_fn diag, void *ctx);

/*
 * Loads cfg->config_path, after edr_config__parse_args: the default file may
 * be missing (a run from the source tree, nothing installed; returns 0), a
 * file named with --config may not (-ENOENT, reported).
 */
int edr_config__load(struct edr_config *cfg, edr_config_diag_fn diag, void *ctx);

/* Same, from memory; name is used in diagnostics. */
int edr_config__load_mem(struct edr_config *cfg, const char *name, const char *buf,
			 size_t len, edr_config_diag_fn diag, void *ctx);

/*
 * Parses --key value, --key=value, --no-key / --key for booleans, and the
 * command-line-only options. Dashes and underscores are interchangeable in
 * names. Stops at "--" or the first non-option. Returns the index of the
 * first non-option argument, or -EINVAL after reporting the problem to diag
 * (every bad command-line value is fatal: someone just typed it).
 */
int edr_config__parse_args(struct edr_config *cfg, int argc, char **argv,
			   edr_config_diag_fn diag, void *ctx);

/* Usage text generated from the table. */
void edr_config__usage(FILE *out);

/* Writes the effective configuration in the file's syntax. */
void edr_config__dump(const struct edr_config *cfg, FILE *out);

void edr_config__free(struct edr_config *cfg);

/* Helpers for the loader and the daemon. */
static inline bool edr_config__feature_enabled(const struct edr_config *cfg, int f)
{
	return f >= 0 && f < 64 && (cfg->features & (UINT64_C(1) << f));
}

/* Value parsers, exposed for tests and for edrctl's own options. 0 or -EINVAL/-ERANGE. */
int edr_parse_size(const char *s, uint64_t *out);
int edr_parse_duration_ms(const char *s, uint64_t *out);
int edr_parse_bool(const char *s, bool *out);

#endif /* EDR_CONFIG_H */
