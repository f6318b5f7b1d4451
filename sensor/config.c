// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration: one table of keys drives the file parser, the command line,
 * the defaults, the usage text and the dump. A key marked SAFETY changes the
 * sensor's security posture (what content it trusts, who may talk to it), so
 * a bad value there stops the start instead of silently falling back.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensor/config.h"

#ifndef EDR_PREFIX
#define EDR_PREFIX "/usr/local"
#endif
#define EDR_RULES_INSTALLED EDR_PREFIX "/share/edr/rules/default"
#define EDR_RULES_TREE "rules/default"

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

static const char *const syslog_names[] = { "off", "journald", "syslog", NULL };

_Static_assert(sizeof(enum edr_syslog_mode) == sizeof(int), "enums are stored as int");

#define OFF(f) offsetof(struct edr_config, f)

/*
 * "attach.*" stands for one key per loader feature (attach.exec, ...),
 * generated at first use so the keys follow the loader's feature table.
 */
static const struct key base_keys[] = {
	{ "output", T_OUTPUT, "stdout", "DEST",
	  "where ECS JSON lines go: stdout, none or an absolute file path (reopened on SIGHUP)",
	  0, OFF(output), 0, 0, NULL, 'o' },
	{ "syslog", T_ENUM, "off", "MODE",
	  "also send events and alerts to off, journald or syslog (alerts at LOG_WARNING or higher)",
	  0, OFF(syslog), 0, 0, syslog_names, 0 },
	{ "ring_buffer_size", T_SIZE, "8M", "SIZE",
	  "kernel ring buffer size, a power of two from 4K to 1G",
	  K_POW2, OFF(ring_buffer_size), 4 << 10, 1 << 30, NULL, 0 },
	{ "features", T_FEATURES, "all", "LIST",
	  NULL /* generated: lists the loader's features */,
	  0, OFF(features), 0, 0, NULL, 0 },
	{ "attach.*", T_ATTACH, "auto", "PATH", NULL, 0, OFF(attach), 0, 0, NULL, 0 },
	{ "hash_max_file_size", T_SIZE, "64M", "SIZE",
	  "largest executable hashed with SHA-256; 0 disables hashing",
	  0, OFF(hash_max_file_size), 0, INT64_C(1) << 40, NULL, 0 },
	{ "hash_rate", T_SIZE, "64M", "SIZE",
	  "bytes hashed per second at most, so hashing never stalls events; 0 = unlimited",
	  0, OFF(hash_rate), 0, INT64_C(1) << 40, NULL, 0 },
	{ "ancestry_depth", T_INT, "8", "N",
	  "ancestor executables listed in each event (edr.ancestors), 0 to 64; 0 = none",
	  0, OFF(ancestry_depth), 0, 64, NULL, 0 },
	{ "file_write_dedup", T_DURATION, "1s", "DURATION",
	  "a process's repeated write-opens of one file within this long of the reported one are "
	  "counted (kernel_suppressed), not sent; 0 = report every open",
	  0, OFF(file_write_dedup_ms), 0, 3600 * 1000, NULL, 0 },
	{ "content_dir", T_PATH, "/var/lib/edr/content", "DIR",
	  "where accepted content bundles and the last-known-good copy are kept",
	  K_SAFETY | K_ABS, OFF(content_dir), 0, 0, NULL, 0 },
	{ "rules", T_PATH, EDR_RULES_INSTALLED, "PATH",
	  "rule file or directory used as initial content when content_dir holds none "
	  "(default: the installed pack, or " EDR_RULES_TREE " in a source tree)",
	  0, OFF(rules), 0, 0, NULL, 0 },
	{ "pubkey", T_LIST, "", "FILES",
	  "comma-separated public key files trusted to sign content bundles",
	  K_SAFETY | K_ABS | K_EXISTS, OFF(pubkey), 0, 0, NULL, 0 },
	{ "allow_unsigned", T_BOOL, "no", "BOOL",
	  "accept unsigned rule files and bundles (testing only)",
	  K_SAFETY, OFF(allow_unsigned), 0, 0, NULL, 0 },
	{ "probation", T_DURATION, "10m", "DURATION",
	  "how long new content must run without a crash before it becomes last-known-good",
	  0, OFF(probation_ms), 0, INT64_C(7) * 24 * 3600 * 1000, NULL, 0 },
	{ "shadow_default", T_DURATION, "0", "DURATION",
	  "default shadow period of new content (alerts logged, not acted on); 0 = none",
	  0, OFF(shadow_default_ms), 0, INT64_C(30) * 24 * 3600 * 1000, NULL, 0 },
	{ "socket", T_PATH, "/run/edr/edr.sock", "PATH", "control socket for edrctl",
	  K_SAFETY | K_ABS | K_SOCKET, OFF(socket), 0, 0, NULL, 0 },
	{ "socket_group", T_GROUP, "", "GROUP",
	  "group allowed the read-only verbs (status, stats, rules); empty = root only",
	  K_SAFETY, OFF(socket_group), 0, 0, NULL, 0 },
	{ "verbose", T_BOOL, "no", "BOOL", "debug logging, libbpf's included",
	  0, OFF(verbose), 0, 0, NULL, 'v' },
	{ "host_name", T_STRING, "", "NAME", "host.name in events; empty = the system host name",
	  0, OFF(host_name), 0, 0, NULL, 0 },

	/* Command line only. */
	{ "config", T_PATH, EDR_CONFIG_DEFAULT_PATH, "FILE", "configuration file to read",
	  K_CLI_ONLY, OFF(config_path), 0, 0, NULL, 'c' },
	{ "probe", T_BOOL, "no", NULL, "print per feature the attach path chosen and why, then exit",
	  K_CLI_ONLY | K_FLAG, OFF(probe), 0, 0, NULL, 0 },
	{ "json", T_BOOL, "no", NULL, "with --probe: print JSON",
	  K_CLI_ONLY | K_FLAG, OFF(json), 0, 0, NULL, 0 },
	{ "target_pid", T_INT, "0", "PID", "(tests) report only this process and its children",
	  K_CLI_ONLY, OFF(target_pid), 0, INT32_MAX, NULL, 0 },
	{ "help", T_BOOL, "no", NULL, "show this help and exit",
	  K_CLI_ONLY | K_FLAG, OFF(help), 0, 0, NULL, 'h' },
	{ "version", T_BOOL, "no", NULL, "show the version and exit",
	  K_CLI_ONLY | K_FLAG, OFF(version), 0, 0, NULL, 'V' },
};

#define N_BASE_KEYS (sizeof(base_keys) / sizeof(base_keys[0]))
_Static_assert(N_BASE_KEYS - 1 + EDR_MAX_FEATURES <= EDR_CONFIG_MAX_KEYS, "EDR_CONFIG_MAX_KEYS too small");

static struct key keys[EDR_CONFIG_MAX_KEYS];
static size_t n_keys;
#define N_KEYS n_keys
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;
static char attach_key_names[EDR_MAX_FEATURES][48];
static char attach_key_help[EDR_MAX_FEATURES][160];
static char features_help[512];

static void build_keys(void)
{
	size_t i;
	int f;

	size_t o;

	o = (size_t)snprintf(features_help, sizeof(features_help),
			     "features to enable: all, or a comma-separated list of");
	for (f = 0; f < edr_feature_count() && o < sizeof(features_help); f++)
		o += (size_t)snprintf(features_help + o, sizeof(features_help) - o, "%s %s",
				      f ? "," : "", edr_feature_name(f));
	if (o < sizeof(features_help))
		snprintf(features_help + o, sizeof(features_help) - o, "; -NAME removes one");
	for (i = 0; i < N_BASE_KEYS; i++) {
		if (base_keys[i].type != T_ATTACH) {
			keys[n_keys] = base_keys[i];
			if (keys[n_keys].type == T_FEATURES)
				keys[n_keys].help = features_help;
			n_keys++;
			continue;
		}
		for (f = 0; f < edr_feature_count(); f++) {
			struct key *k = &keys[n_keys++];

			*k = base_keys[i];
			snprintf(attach_key_names[f], sizeof(attach_key_names[f]), "attach.%s",
				 edr_feature_name(f));
			snprintf(attach_key_help[f], sizeof(attach_key_help[f]),
				 "force the attach path of %s: auto (probe) or one of %s",
				 edr_feature_name(f), edr_feature_paths(f));
			k->name = attach_key_names[f];
			k->help = attach_key_help[f];
			k->off = base_keys[i].off + (size_t)f * sizeof(char *);
			k->min = f;
		}
	}
}

static void init_keys(void)
{
	pthread_once(&keys_once, build_keys);
}

/* ---- diagnostics ---- */

struct diag {
	edr_config_diag_fn fn;
	void *ctx;
	int warnings, errors;
};

__attribute__((format(printf, 3, 4)))
static void report(struct diag *d, enum edr_diag_level lvl, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (lvl == EDR_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (!d->fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->fn(lvl, buf, d->ctx);
}

/* A value quoted back in a message: printable, bounded. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; s[i] && o + 4 < size; i++)
		buf[o++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] && size > 4) {
		o = o > size - 4 ? size - 4 : o;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name, bool cli)
{
	size_t i, best = SIZE_MAX, d;
	const char *found = NULL;

	for (i = 0; i < N_KEYS; i++) {
		if (!cli && (keys[i].flags & K_CLI_ONLY))
			continue;
		d = edit_distance(name, keys[i].name);
		if (d < best) {
			best = d;
			found = keys[i].name;
		}
	}
	if (found && best <= 2 && best < strlen(name))
		return found;
	return NULL;
}

/* ---- value parsers ---- */

int edr_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static int parse_u64(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static int mul_ovf(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -ERANGE : 0;
}

/* 4096, 64K, 8M, 1G, 2T; optional "B", "iB" after the unit; binary multiples. */
int edr_parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;
	int err;

	err = parse_u64(&s, &v);
	if (err)
		return err;
	switch (toupper((unsigned char)*s)) {
	case 'K': mult = 1ull << 10; s++; break;
	case 'M': mult = 1ull << 20; s++; break;
	case 'G': mult = 1ull << 30; s++; break;
	case 'T': mult = 1ull << 40; s++; break;
	}
	if (mult > 1 && (!strcmp(s, "iB") || !strcmp(s, "B")))
		s += strlen(s);
	else if (mult == 1 && !strcmp(s, "B"))
		s++;
	if (*s)
		return -EINVAL;
	return mul_ovf(v, mult, out);
}

/* 500ms, 30s, 10m, 2h, 1d, combined like 1h30m; a bare number is seconds. */
int edr_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct { const char *u; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	uint64_t total = 0, v, part;
	bool any = false;
	size_t i, n;
	int err;

	if (!*s)
		return -EINVAL;
	while (*s) {
		err = parse_u64(&s, &v);
		if (err)
			return err;
		if (!*s && !any) {
			/* bare number: seconds */
			if (mul_ovf(v, 1000, out))
				return -ERANGE;
			return 0;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			n = strlen(units[i].u);
			/* "m" must not eat the "m" of "ms" */
			if (!strncmp(s, units[i].u, n) && !isalpha((unsigned char)s[n]))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		s += n;
		if (mul_ovf(v, units[i].ms, &part) || __builtin_add_overflow(total, part, &total))
			return -ERANGE;
		any = true;
	}
	*out = total;
	return 0;
}

#define ALL_FEATURES ((UINT64_C(1) << edr_feature_count()) - 1)

/* Whether NAME is one of the loader's comma-separated path names of F. */
static bool attach_path_ok(int f, const char *name)
{
	const char *p = edr_feature_paths(f);
	size_t n = strlen(name);

	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

static const char *fmt_duration(uint64_t ms, char *buf, size_t size)
{
	static const struct { char u; uint64_t ms; } units[] = {
		{ 'd', 86400000 }, { 'h', 3600000 }, { 'm', 60000 }, { 's', 1000 },
	};
	size_t i, o = 0;

	if (ms == 0)
		return snprintf(buf, size, "0"), buf;
	if (ms % 1000)
		return snprintf(buf, size, "%llums", (unsigned long long)ms), buf;
	buf[0] = '\0';
	for (i = 0; i < 4 && o < size; i++) {
		if (ms >= units[i].ms) {
			o += snprintf(buf + o, size - o, "%llu%c",
				      (unsigned long long)(ms / units[i].ms), units[i].u);
			ms %= units[i].ms;
		}
	}
	return buf;
}

static const char *fmt_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "TGMK";
	int i;

	for (i = 0; i < 4 && v; i++) {
		uint64_t m = 1ull << (10 * (4 - i));

		if (v % m == 0)
			return snprintf(buf, size, "%llu%c", (unsigned long long)(v / m), units[i]), buf;
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

static bool valid_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void expected(const struct key *k, char *buf, size_t size)
{
	char a[32], b[32];
	size_t i, o;

	switch (k->type) {
	case T_STRING:
		snprintf(buf, size, "text without control characters");
		break;
	case T_PATH:
		if (k->flags & K_SOCKET)
			snprintf(buf, size, "an absolute path of at most %zu bytes",
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		else if (k->flags & K_EXISTS)
			snprintf(buf, size, "an absolute path of an existing file");
		else
			snprintf(buf, size, "%s", k->flags & K_ABS ? "an absolute path" : "a path");
		break;
	case T_OUTPUT:
		snprintf(buf, size, "stdout, none or an absolute file path");
		break;
	case T_INT:
		snprintf(buf, size, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
		break;
	case T_BOOL:
		snprintf(buf, size, "yes or no");
		break;
	case T_DURATION:
		snprintf(buf, size, "a duration like 10m or 30s, at most %s",
			 fmt_duration((uint64_t)k->max, a, sizeof(a)));
		break;
	case T_SIZE:
		if (k->flags & K_POW2)
			snprintf(buf, size, "a power-of-two size like 8M, from %s to %s",
				 fmt_size((uint64_t)k->min, a, sizeof(a)),
				 fmt_size((uint64_t)k->max, b, sizeof(b)));
		else
			snprintf(buf, size, "a size like 64M, at most %s",
				 fmt_size((uint64_t)k->max, a, sizeof(a)));
		break;
	case T_LIST:
		snprintf(buf, size, "a comma-separated list of at most %d absolute paths of existing files",
			 EDR_CONFIG_MAX_LIST);
		break;
	case T_ENUM:
		o = (size_t)snprintf(buf, size, "one of ");
		for (i = 0; k->choices[i] && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", k->choices[i]);
		break;
	case T_FEATURES:
		o = (size_t)snprintf(buf, size, "all or a list of ");
		for (i = 0; i < (size_t)edr_feature_count() && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "",
					      edr_feature_name((int)i));
		break;
	case T_ATTACH: {
		const char *p = edr_feature_paths((int)k->min);

		/* the loader's list is "a,b": shown as "a, b" */
		o = (size_t)snprintf(buf, size, "auto or one of ");
		for (; *p && o + 3 < size; p++) {
			buf[o++] = *p;
			if (*p == ',')
				buf[o++] = ' ';
		}
		buf[o < size ? o : size - 1] = '\0';
		break;
	}
	case T_GROUP:
		snprintf(buf, size, "the name of an existing group, or nothing");
		break;
	}
}

static int find_choice(const char *const *choices, const char *s)
{
	int i;

	for (i = 0; choices[i]; i++)
		if (!strcmp(choices[i], s))
			return i;
	return -1;
}

static bool path_ok(const struct key *k, const char *s)
{
	struct stat st;

	if (!*s || !valid_text(s) || strlen(s) >= PATH_MAX)
		return false;
	if ((k->flags & K_ABS) && s[0] != '/')
		return false;
	if ((k->flags & K_SOCKET) && strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return false;
	if ((k->flags & K_EXISTS) && stat(s, &st))
		return false;
	return true;
}

static void free_list(char **list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Splits on commas; blanks around entries are dropped. *out NULL-terminated. */
static int split_list(const char *s, char ***out, size_t *n_out)
{
	char **list = calloc(EDR_CONFIG_MAX_LIST + 1, sizeof(*list));
	size_t n = 0, len;
	const char *end;

	if (!list)
		return -ENOMEM;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		len = (size_t)(end - s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (n == EDR_CONFIG_MAX_LIST) {
			free_list(list);
			return -E2BIG;
		}
		list[n] = strndup(s, len);
		if (!list[n++]) {
			free_list(list);
			return -ENOMEM;
		}
		s = end;
	}
	*out = list;
	*n_out = n;
	return 0;
}

static int parse_features(const char *s, uint64_t *out)
{
	char **list;
	size_t n, i;
	uint64_t set = 0;
	int err, f;

	err = split_list(s, &list, &n);
	if (err)
		return err == -E2BIG ? -EINVAL : err;
	if (n == 0)
		err = -EINVAL; /* "features =" is more likely a mistake than "none" */
	for (i = 0; i < n && !err; i++) {
		const char *name = list[i];
		bool minus = name[0] == '-';

		if (minus)
			name++;
		if (!strcmp(name, "all")) {
			set = minus ? 0 : ALL_FEATURES;
			continue;
		}
		if (!strcmp(name, "none") && !minus) {
			set = 0;
			continue;
		}
		f = edr_feature_by_name(name);
		if (f < 0)
			err = -EINVAL;
		else if (minus)
			set &= ~(UINT64_C(1) << f);
		else
			set |= UINT64_C(1) << f;
	}
	free_list(list);
	if (!err)
		*out = set;
	return err;
}

/*
 * Parses S for key K and stores it in CFG. Returns 0, -EINVAL or -ERANGE for
 * a bad value (CFG untouched), -ENOMEM. APPEND: lists add to what is there.
 */
static int set_value(struct edr_config *cfg, const struct key *k, const char *s, bool append)
{
	void *field = (char *)cfg + k->off;
	uint64_t u;
	int64_t i64;
	char *end, *dup;
	bool b;
	int err, c;

	if (strlen(s) > EDR_CONFIG_MAX_VALUE)
		return -EINVAL;
	switch (k->type) {
	case T_STRING:
	case T_PATH:
	case T_OUTPUT:
	case T_GROUP:
		if (k->type == T_STRING && !valid_text(s))
			return -EINVAL;
		if (k->type == T_PATH && !path_ok(k, s))
			return -EINVAL;
		if (k->type == T_OUTPUT) {
			if (!strcmp(s, "-"))
				s = "stdout";
			if (strcmp(s, "stdout") && strcmp(s, "none") &&
			    (s[0] != '/' || !valid_text(s) || strlen(s) >= PATH_MAX))
				return -EINVAL;
		}
		if (k->type == T_GROUP && *s) {
			const char *p;

			for (p = s; *p; p++)
				if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
					return -EINVAL;
			if (!getgrnam(s))
				return -EINVAL;
		}
		dup = strdup(s);
		if (!dup)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = dup;
		return 0;
	case T_INT:
		errno = 0;
		i64 = strtoll(s, &end, 10);
		if (!*s || *end || errno || i64 < k->min || i64 > k->max)
			return -EINVAL;
		*(int64_t *)field = i64;
		return 0;
	case T_BOOL:
		if (edr_parse_bool(s, &b))
			return -EINVAL;
		*(bool *)field = b;
		return 0;
	case T_DURATION:
		err = edr_parse_duration_ms(s, &u);
		if (err)
			return err;
		if (u < (uint64_t)k->min || u > (uint64_t)k->max)
			return -ERANGE;
		*(uint64_t *)field = u;
		return 0;
	case T_SIZE:
		err = edr_parse_size(s, &u);
		if (err)
			return err;
		if (u < (uint64_t)k->min || u > (uint64_t)k->max)
			return -ERANGE;
		if ((k->flags & K_POW2) && (u & (u - 1)))
			return -EINVAL;
		*(uint64_t *)field = u;
		return 0;
	case T_LIST: {
		char ***listp = field, **list, **merged;
		size_t *np = (size_t *)((char *)field + sizeof(char **)), n, j;

		err = split_list(s, &list, &n);
		if (err)
			return err == -E2BIG ? -EINVAL : err;
		for (j = 0; j < n; j++) {
			if (!path_ok(k, list[j])) {
				free_list(list);
				return -EINVAL;
			}
		}
		if (append && *listp) {
			if (*np + n > EDR_CONFIG_MAX_LIST) {
				free_list(list);
				return -EINVAL;
			}
			merged = realloc(*listp, (*np + n + 1) * sizeof(*merged));
			if (!merged) {
				free_list(list);
				return -ENOMEM;
			}
			memcpy(merged + *np, list, (n + 1) * sizeof(*merged));
			free(list); /* entries now owned by merged */
			*listp = merged;
			*np += n;
			return 0;
		}
		free_list(*listp);
		*listp = list;
		*np = n;
		return 0;
	}
	case T_ENUM:
		c = find_choice(k->choices, s);
		if (c < 0)
			return -EINVAL;
		*(int *)field = c;
		return 0;
	case T_FEATURES:
		return parse_features(s, (uint64_t *)field);
	case T_ATTACH:
		if (!strcmp(s, "auto")) {
			free(*(char **)field);
			*(char **)field = NULL;
			return 0;
		}
		if (!attach_path_ok((int)k->min, s))
			return -EINVAL;
		dup = strdup(s);
		if (!dup)
			return -ENOMEM;
		free(*(char **)field);
		*(char **)field = dup;
		return 0;
	}
	return -EINVAL;
}

_Static_assert(offsetof(struct edr_config, n_pubkey) == offsetof(struct edr_config, pubkey) + sizeof(char **),
	       "a T_LIST count follows its list");

static const struct key *lookup(const char *name, size_t len)
{
	size_t i, j;

	for (i = 0; i < N_KEYS; i++) {
		const char *kn = keys[i].name;

		if (strlen(kn) != len)
			continue;
		for (j = 0; j < len; j++) {
			char c = name[j] == '-' ? '_' : name[j];

			if (c != kn[j])
				break;
		}
		if (j == len)
			return &keys[i];
	}
	return NULL;
}

/* ---- public API ---- */

int edr_config__defaults(struct edr_config *cfg)
{
	size_t i;
	int err;

	init_keys();
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		/* Defaults are table text so help, dump and man page show the same. */
		err = set_value(cfg, k, k->def, false);
		if (err) {
			/* -EINVAL here is a bad default in the table (the unit tests catch it). */
			edr_config__free(cfg);
			return err;
		}
	}
	/* Run from a source tree before `make install`, the pack is right here. */
	if (access(EDR_RULES_INSTALLED, R_OK) && !access(EDR_RULES_TREE, R_OK)) {
		char *tree = strdup(EDR_RULES_TREE);

		if (!tree)
			goto nomem;
		free(cfg->rules);
		cfg->rules = tree;
	}
	return 0;
nomem:
	edr_config__free(cfg);
	return -ENOMEM;
}

void edr_config__free(struct edr_config *cfg)
{
	size_t i;

	init_keys();
	if (!cfg)
		return;
	for (i = 0; i < N_KEYS; i++) {
		void *field = (char *)cfg + keys[i].off;

		switch (keys[i].type) {
		case T_STRING:
		case T_PATH:
		case T_OUTPUT:
		case T_GROUP:
		case T_ATTACH:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case T_LIST:
			free_list(*(char ***)field);
			*(char ***)field = NULL;
			*(size_t *)((char *)field + sizeof(char **)) = 0;
			break;
		default:
			break;
		}
	}
}

/* Trims blanks at both ends in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Unquotes a value in place: "..." with \" and \\ escapes, nothing but a
 * comment after the closing quote. Unquoted values end at " #" or " ;".
 */
static int unquote(char *v, char **out)
{
	char *r, *w, *p;

	if (*v != '"') {
		for (p = v; *p; p++) {
			if ((*p == '#' || *p == ';') && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
				*p = '\0';
				break;
			}
		}
		*out = trim(v);
		return 0;
	}
	for (r = v + 1, w = v; *r && *r != '"'; r++, w++) {
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w = *r;
	}
	if (*r != '"')
		return -EINVAL;
	*w = '\0';
	r = trim(r + 1);
	if (*r && *r != '#' && *r != ';')
		return -EINVAL;
	*out = v;
	return 0;
}

static void bad_value(struct diag *d, const char *where, const struct key *k, const char *v,
		      const char *keyname)
{
	char exp[256], sv[80];
	bool fatal = k->flags & K_SAFETY;

	expected(k, exp, sizeof(exp));
	report(d, fatal ? EDR_DIAG_ERROR : EDR_DIAG_WARNING, "%s: bad value '%s' for '%s' (expected %s)%s",
	       where, shown(v, sv, sizeof(sv)), keyname, exp,
	       fatal ? ", refusing to start" : ", ignoring");
}

int edr_config__load_mem(struct edr_config *cfg, const char *name, const char *buf, size_t len,
			 edr_config_diag_fn diag, void *ctx)
{
	struct diag d = { diag, ctx, 0, 0 };
	unsigned int seen_line[EDR_CONFIG_MAX_KEYS] = { 0 };
	char section[64] = "", where[PATH_MAX + 32], line[EDR_CONFIG_MAX_LINE + 2];
	char fullkey[EDR_CONFIG_MAX_LINE + 80], sv[80];
	const char *p = buf, *end = buf + len, *nl;
	unsigned int lineno = 0;
	size_t n;
	int err;

	init_keys();
	if (len > EDR_CONFIG_MAX_FILE) {
		report(&d, EDR_DIAG_ERROR, "%s: larger than %u bytes, refusing", name,
		       EDR_CONFIG_MAX_FILE);
		return -EFBIG;
	}
	while (p < end) {
		char *s, *eq, *key, *val;
		const struct key *k;

		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		if (n > EDR_CONFIG_MAX_LINE) {
			report(&d, EDR_DIAG_WARNING, "%s: line longer than %d bytes, ignoring", where,
			       EDR_CONFIG_MAX_LINE);
			p = nl ? nl + 1 : end;
			continue;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		if (memchr(line, '\0', n)) {
			report(&d, EDR_DIAG_WARNING, "%s: NUL byte in line, ignoring", where);
			continue;
		}
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']'), *q;

			if (!close || *trim(close + 1) || close - s - 1 >= (long)sizeof(section) - 1 ||
			    close == s + 1) {
				report(&d, EDR_DIAG_WARNING, "%s: bad section header '%s', ignoring", where,
				       shown(s, sv, sizeof(sv)));
				/* keys below would land in the previous section: skip them too */
				snprintf(section, sizeof(section), "\x01");
				continue;
			}
			*close = '\0';
			s = trim(s + 1);
			for (q = s; *q; q++)
				if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
					break;
			if (*q || !*s) {
				report(&d, EDR_DIAG_WARNING, "%s: bad section name '%s', ignoring", where,
				       shown(s, sv, sizeof(sv)));
				snprintf(section, sizeof(section), "\x01");
				continue;
			}
			snprintf(section, sizeof(section), "%s", s);
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			report(&d, EDR_DIAG_WARNING, "%s: expected 'key = value', ignoring", where);
			continue;
		}
		if (section[0] == '\x01')
			continue; /* under a bad section header, already reported */
		*eq = '\0';
		key = trim(s);
		if (unquote(trim(eq + 1), &val)) {
			report(&d, EDR_DIAG_WARNING, "%s: unterminated or malformed quoted value for '%s', ignoring",
			       where, shown(key, sv, sizeof(sv)));
			continue;
		}
		if (section[0])
			snprintf(fullkey, sizeof(fullkey), "%s.%s", section, key);
		else
			snprintf(fullkey, sizeof(fullkey), "%s", key);
		k = lookup(fullkey, strlen(fullkey));
		if (!k || (k->flags & K_CLI_ONLY)) {
			const char *hint = suggest(fullkey, false);

			if (hint)
				report(&d, EDR_DIAG_WARNING, "%s: unknown key '%s' (did you mean '%s'?), ignoring",
				       where, shown(fullkey, sv, sizeof(sv)), hint);
			else
				report(&d, EDR_DIAG_WARNING, "%s: unknown key '%s', ignoring", where,
				       shown(fullkey, sv, sizeof(sv)));
			continue;
		}
		if (seen_line[k - keys])
			report(&d, EDR_DIAG_WARNING, "%s: '%s' already set at line %u, the later value wins",
			       where, k->name, seen_line[k - keys]);
		seen_line[k - keys] = lineno;
		if (cfg->_set_by_cli[k - keys]) {
			/* Still checked, so `config check` and the log show mistakes. */
			struct edr_config scratch;

			if (edr_config__defaults(&scratch))
				return -ENOMEM;
			err = set_value(&scratch, k, val, false);
			edr_config__free(&scratch);
		} else {
			err = set_value(cfg, k, val, false);
		}
		if (err == -ENOMEM)
			return err;
		if (err)
			bad_value(&d, where, k, val, k->name);
	}
	return d.errors ? -EINVAL : 0;
}

int edr_config__load_file(struct edr_config *cfg, const char *path, edr_config_diag_fn diag,
			  void *ctx)
{
	struct diag d = { diag, ctx, 0, 0 };
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		report(&d, EDR_DIAG_ERROR, "%s: cannot open: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		report(&d, EDR_DIAG_ERROR, "%s: cannot stat: %s", path, strerror(-err));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		report(&d, EDR_DIAG_ERROR, "%s: not a regular file, refusing", path);
		goto out;
	}
	/* Whoever can write the config controls a root daemon. */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err = -EINVAL;
		report(&d, EDR_DIAG_ERROR, "%s: writable by group or others (mode %04o), refusing",
		       path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (geteuid() == 0 && st.st_uid != 0) {
		err = -EINVAL;
		report(&d, EDR_DIAG_ERROR, "%s: owned by uid %u, not root, refusing", path,
		       (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_size > EDR_CONFIG_MAX_FILE) {
		err = -EFBIG;
		report(&d, EDR_DIAG_ERROR, "%s: larger than %u bytes, refusing", path,
		       EDR_CONFIG_MAX_FILE);
		goto out;
	}
	buf = malloc(EDR_CONFIG_MAX_FILE + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	/* Read to EOF, not st_size: the file may change under us. */
	while ((r = read(fd, buf + got, EDR_CONFIG_MAX_FILE + 1 - got)) > 0) {
		got += (size_t)r;
		if (got > EDR_CONFIG_MAX_FILE)
			break;
	}
	if (r < 0) {
		err = -errno;
		report(&d, EDR_DIAG_ERROR, "%s: cannot read: %s", path, strerror(-err));
		goto out;
	}
	err = edr_config__load_mem(cfg, path, buf, got, diag, ctx);
out:
	free(buf);
	close(fd);
	return err;
}

int edr_config__load(struct edr_config *cfg, edr_config_diag_fn diag, void *ctx)
{
	const struct key *k;

	init_keys();
	k = lookup("config", 6);
	if (!cfg->_set_by_cli[k - keys] && access(cfg->config_path, F_OK) && errno == ENOENT)
		return 0;
	return edr_config__load_file(cfg, cfg->config_path, diag, ctx);
}

int edr_config__parse_args(struct edr_config *cfg, int argc, char **argv, edr_config_diag_fn diag,
			   void *ctx)
{
	struct diag d = { diag, ctx, 0, 0 };
	char where[128], sv[80];
	uint8_t this_run[EDR_CONFIG_MAX_KEYS] = { 0 };
	int i, err;

	init_keys();
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		const struct key *k = NULL;
		bool negated = false;
		size_t nlen, j;

		if (!strcmp(arg, "--"))
			return i + 1;
		if (arg[0] != '-' || !arg[1])
			return i;
		if (arg[1] != '-') {
			/* Short options: -h, -V, -v, -c FILE. */
			for (j = 0; j < N_KEYS; j++)
				if (keys[j].short_opt && keys[j].short_opt == arg[1] && !arg[2])
					k = &keys[j];
			if (!k) {
				report(&d, EDR_DIAG_ERROR, "unknown option '%s' (see --help)",
				       shown(arg, sv, sizeof(sv)));
				return -EINVAL;
			}
			name = k->name;
			nlen = strlen(name);
			eq = NULL;
		} else {
			name = arg + 2;
			eq = strchr(name, '=');
			nlen = eq ? (size_t)(eq - name) : strlen(name);
			k = lookup(name, nlen);
			/* Older spelling kept so existing scripts keep working. */
			if (!k && nlen == 9 && !strncmp(name, "ring-size", 9))
				k = lookup("ring_buffer_size", 16);
			if (!k && nlen > 3 && !strncmp(name, "no-", 3)) {
				k = lookup(name + 3, nlen - 3);
				if (k && k->type == T_BOOL && !(k->flags & K_FLAG) && !eq)
					negated = true;
				else
					k = NULL;
			}
			if (!k) {
				char un[128];
				const char *hint;

				snprintf(un, sizeof(un), "%.*s", (int)(nlen < 100 ? nlen : 100), name);
				for (j = 0; un[j]; j++)
					if (un[j] == '-')
						un[j] = '_';
				hint = suggest(un, true);
				if (hint)
					report(&d, EDR_DIAG_ERROR, "unknown option '--%s' (did you mean '--%s'?)",
					       shown(un, sv, sizeof(sv)), hint);
				else
					report(&d, EDR_DIAG_ERROR, "unknown option '--%s' (see --help)",
					       shown(un, sv, sizeof(sv)));
				return -EINVAL;
			}
		}
		snprintf(where, sizeof(where), "--%s", k->name);
		if (eq)
			val = eq + 1;
		else if (k->type == T_BOOL)
			val = negated ? "no" : "yes";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			report(&d, EDR_DIAG_ERROR, "option '--%s' needs a value (%s)", k->name, k->arg);
			return -EINVAL;
		}
		/* Run by hand, a relative output file is plain enough; in the file it is a mistake. */
		if (k->type == T_OUTPUT && val[0] && val[0] != '/' && strcmp(val, "-") &&
		    strcmp(val, "stdout") && strcmp(val, "none") && valid_text(val)) {
			char *abs = realpath(".", NULL), *full = NULL;

			if (!abs || asprintf(&full, "%s/%s", abs, val) < 0)
				full = NULL;
			free(abs);
			if (!full)
				return -ENOMEM;
			err = set_value(cfg, k, full, false);
			free(full);
		} else {
			err = set_value(cfg, k, val, k->type == T_LIST && this_run[k - keys]);
		}
		if (err == -ENOMEM)
			return err;
		if (err) {
			char exp[256];

			expected(k, exp, sizeof(exp));
			report(&d, EDR_DIAG_ERROR, "bad value '%s' for '--%s' (expected %s)",
			       shown(val, sv, sizeof(sv)), k->name, exp);
			return -EINVAL;
		}
		this_run[k - keys] = 1;
		cfg->_set_by_cli[k - keys] = 1;
	}
	return argc;
}

void edr_config__usage(FILE *out)
{
	size_t i;
	char opt[80];
	bool cli_header = false;

	init_keys();
	fprintf(out,
		"usage: edr-sensor [OPTIONS]\n\n"
		"Every key of %s can also be given as --KEY VALUE or --KEY=VALUE\n"
		"(dashes or underscores); the command line wins over the file.\n"
		"Booleans: --KEY, --no-KEY or --KEY=yes|no.\n\nKeys:\n",
		EDR_CONFIG_DEFAULT_PATH);
	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		if ((k->flags & K_CLI_ONLY) && !cli_header) {
			fprintf(out, "\nCommand line only:\n");
			cli_header = true;
		}
		if (k->short_opt)
			snprintf(opt, sizeof(opt), "-%c, --%s%s%s", k->short_opt, k->name,
				 k->type == T_BOOL ? "" : " ", k->type == T_BOOL ? "" : k->arg);
		else
			snprintf(opt, sizeof(opt), "    --%s%s%s", k->name,
				 k->type == T_BOOL ? "" : " ", k->type == T_BOOL ? "" : k->arg);
		fprintf(out, "  %-34s %s", opt, k->help);
		if (!(k->flags & K_FLAG) && *k->def)
			fprintf(out, " [%s]", k->def);
		fputc('\n', out);
	}
}

void edr_config__dump(const struct edr_config *cfg, FILE *out)
{
	size_t i, j;
	char buf[64];

	init_keys();
	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];
		const void *field = (const char *)cfg + k->off;

		if (k->flags & K_CLI_ONLY)
			continue;
		fprintf(out, "%s = ", k->name);
		switch (k->type) {
		case T_STRING:
		case T_PATH:
		case T_OUTPUT:
		case T_GROUP: {
			const char *s = *(char *const *)field;

			/* Quote what the parser would otherwise cut or trim. */
			if (s && (strpbrk(s, "#;\"\\") || (*s && (s[0] == ' ' || s[strlen(s) - 1] == ' ')))) {
				fputc('"', out);
				for (; *s; s++) {
					if (*s == '"' || *s == '\\')
						fputc('\\', out);
					fputc(*s, out);
				}
				fputc('"', out);
			} else {
				fputs(s ? s : "", out);
			}
			break;
		}
		case T_INT:
			fprintf(out, "%lld", (long long)*(const int64_t *)field);
			break;
		case T_BOOL:
			fputs(*(const bool *)field ? "yes" : "no", out);
			break;
		case T_DURATION:
			fputs(fmt_duration(*(const uint64_t *)field, buf, sizeof(buf)), out);
			break;
		case T_SIZE:
			fputs(fmt_size(*(const uint64_t *)field, buf, sizeof(buf)), out);
			break;
		case T_LIST: {
			char *const *list = *(char **const *)field;

			for (j = 0; list && list[j]; j++)
				fprintf(out, "%s%s", j ? "," : "", list[j]);
			break;
		}
		case T_ENUM:
			fputs(k->choices[*(const int *)field], out);
			break;
		case T_ATTACH:
			fputs(*(char *const *)field ? *(char *const *)field : "auto", out);
			break;
		case T_FEATURES: {
			uint64_t set = *(const uint64_t *)field;
			bool first = true;

			if (set == ALL_FEATURES) {
				fputs("all", out);
				break;
			}
			if (!set)
				fputs("none", out);
			for (j = 0; j < (size_t)edr_feature_count(); j++) {
				if (set & (UINT64_C(1) << j)) {
					fprintf(out, "%s%s", first ? "" : ",",
						edr_feature_name((int)j));
					first = false;
				}
			}
			break;
		}
		}
		fputc('\n', out);
	}
}
