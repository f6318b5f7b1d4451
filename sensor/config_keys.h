/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the configuration module (sensor/config.c, sensor/config_values.c):
 * what a key of the table is, and the value parsing and validation that
 * config_values.c gives config.c's file and command-line parsers.
 */
#ifndef EDR_CONFIG_KEYS_H
#define EDR_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensor/config.h"

enum key_type {
	T_STRING,   /* any single-line text */
	T_PATH,     /* non-empty path; K_ABS: must be absolute */
	T_OUTPUT,   /* stdout, none or an absolute path */
	T_INT,
	T_BOOL,
	T_DURATION, /* stored as uint64_t milliseconds */
	T_SIZE,     /* stored as uint64_t bytes */
	T_LIST,     /* char ** (NULL-terminated) + size_t count right after */
	T_ENUM,     /* stored as an int-sized enum */
	T_FEATURES, /* uint64_t bit set of the loader's features (by number) */
	T_ATTACH,   /* char *: a path name of the loader's feature k->min; NULL = auto */
	T_GROUP,    /* group name that must exist, or empty */
};

enum {
	K_SAFETY   = 1 << 0, /* bad value refuses the start */
	K_CLI_ONLY = 1 << 1, /* not accepted in the file */
	K_POW2     = 1 << 2, /* sizes: power of two */
	K_ABS      = 1 << 3, /* paths: absolute */
	K_SOCKET   = 1 << 4, /* paths: must fit sockaddr_un */
	K_EXISTS   = 1 << 5, /* paths / list of paths: must exist */
	K_FLAG     = 1 << 6, /* boolean command-line switch without --no- form */
};

struct key {
	const char *name;
	enum key_type type;
	const char *def;  /* textual default, parsed like a file value */
	const char *arg;  /* metavariable in the usage text */
	const char *help;
	unsigned flags;
	size_t off;
	int64_t min, max; /* INT, SIZE, DURATION (ms) bounds; 0,0 = none */
	const char *const *choices;
	char short_opt;
};

/* The features bit set of "all". */
#define ALL_FEATURES ((UINT64_C(1) << edr_feature_count()) - 1)

/*
 * Parses S for key K and stores it in CFG. Returns 0, -EINVAL or -ERANGE for
 * a bad value (CFG untouched), -ENOMEM. APPEND: lists add to what is there.
 */
int edr_config_set_value(struct edr_config *cfg, const struct key *k, const char *s, bool append);
/* What K accepts, for "bad value ... (expected ...)". */
void edr_config_expected(const struct key *k, char *buf, size_t size);
/* Printable, single-line text. */
bool edr_config_valid_text(const char *s);
/* "90s", "10m" ... and "64M" ...: how the dump writes durations and sizes. */
const char *edr_config_fmt_duration(uint64_t ms, char *buf, size_t size);
const char *edr_config_fmt_size(uint64_t v, char *buf, size_t size);
/* Frees a NULL-terminated list of strings; accepts NULL. */
void edr_config_free_list(char **list);

#endif /* EDR_CONFIG_KEYS_H */
