// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration: one table of keys drives the file parser, the command line,
 * the defaults, the usage text and the dump. A key marked SAFETY changes the
 * sensor's security posture (what content it trusts, who may talk to it), so
 * a bad value there stops the start instead of silently falling back.
 * Parsing and checking one value of one key is in config_values.c.
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
#include "sensor/config_keys.h"

#ifndef EDR_PREFIX
#define EDR_PREFIX "/usr/local"
#endif
#define EDR_RULES_INSTALLED EDR_PREFIX "/share/edr/rules/default"
#define EDR_RULES_TREE "rules/default"


static const char *const syslog_names[] = { "off", "journald", "syslog", NULL };
/* enum edr_exec_pref (sensor/response/response.h), in its order. */
static const char *const exec_pref_names[] = { "auto", "lsm", "fanotify", "kill", NULL };

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
	{ "content_dir", T_PATH, EDR_CONTENT_DEFAULT_DIR, "DIR",
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
	{ "enforce", T_BOOL, "on", "BOOL",
	  "take the actions rules declare (deny, kill, quarantine, isolate); off = observe only "
	  "(edrctl enforce on|off flips it at run time)",
	  K_SAFETY, OFF(enforce), 0, 0, NULL, 0 },
	{ "enforce_exec", T_ENUM, "auto", "MECH",
	  "how exec deny rules are enforced: auto (lsm, else kill at exec, else fanotify), lsm, "
	  "fanotify or kill",
	  0, OFF(enforce_exec), 0, 0, exec_pref_names, 0 },
	{ "response_rate_per_rule", T_INT, "20", "N",
	  "actions a minute one rule may take before it is demoted to alert-only",
	  0, OFF(response_rate_per_rule), 1, 100000, NULL, 0 },
	{ "response_rate_total", T_INT, "100", "N",
	  "actions a minute all rules together may take; the rule going over is demoted",
	  0, OFF(response_rate_total), 1, 1000000, NULL, 0 },
	{ "response_shadow", T_DURATION, "10m", "DURATION",
	  "shadow window of new content with responses (they log what they would do); "
	  "edrctl load-rules --enforce-now skips it; 0 = none",
	  0, OFF(response_shadow_ms), 0, INT64_C(30) * 24 * 3600 * 1000, NULL, 0 },
	{ "shadow_max_would_act_per_min", T_INT, "20", "N",
	  "shadow content whose responses would act more often than this a minute is discarded",
	  0, OFF(shadow_max_would_act_per_min), 1, 1000000, NULL, 0 },
	{ "protected", T_LIST, "", "PATHS",
	  "comma-separated executables never denied or killed, beside the built-in list "
	  "(init, the sensor, sshd, login tools, package managers, shells)",
	  K_SAFETY | K_ABS, OFF(protected_paths), 0, 0, NULL, 0 },
	{ "isolate_allow", T_LIST, "", "CIDRS",
	  "comma-separated CIDR[:PORT] still reachable when the host is isolated (management)",
	  0, OFF(isolate_allow), 0, 0, NULL, 0 },
	{ "fanotify_deadline", T_DURATION, "250ms", "DURATION",
	  "longest a fanotify permission decision may take; then the answer is allow",
	  0, OFF(fanotify_deadline_ms), 1, 10000, NULL, 0 },
	{ "quarantine_dir", T_PATH, EDR_QUARANTINE_PATH, "DIR",
	  "where the quarantine action moves files (root only)",
	  K_SAFETY | K_ABS, OFF(quarantine_dir), 0, 0, NULL, 0 },
	{ "socket", T_PATH, EDR_CTL_DEFAULT_SOCKET, "PATH", "control socket for edrctl",
	  K_SAFETY | K_ABS | K_SOCKET, OFF(socket), 0, 0, NULL, 0 },
	{ "socket_group", T_GROUP, "", "GROUP",
	  "group allowed the read-only verbs (status, stats, rules); empty = root only",
	  K_SAFETY, OFF(socket_group), 0, 0, NULL, 0 },
	{ "shutdown_timeout", T_DURATION, "15s", "DURATION",
	  "longest a stop may take after SIGTERM or SIGINT, at any stage (start-up, a content "
	  "load, a stuck control request, hashing); then the sensor exits at once (status 3)",
	  0, OFF(shutdown_timeout_ms), 100, 600000, NULL, 0 },
	{ "verbose", T_BOOL, "no", "BOOL", "debug logging, libbpf's included",
	  0, OFF(verbose), 0, 0, NULL, 'v' },
	{ "host_name", T_STRING, "", "NAME", "host.name in events; empty = the system host name",
	  0, OFF(host_name), 0, 0, NULL, 0 },
	{ "seccomp", T_BOOL, "on", "BOOL",
	  "refuse the syscalls the run phase does not need (off: debugging only, e.g. strace or "
	  "LeakSanitizer)",
	  0, OFF(seccomp), 0, 0, NULL, 0 },

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
		err = edr_config_set_value(cfg, k, k->def, false);
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
			edr_config_free_list(*(char ***)field);
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

	edr_config_expected(k, exp, sizeof(exp));
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
			err = edr_config_set_value(&scratch, k, val, false);
			edr_config__free(&scratch);
		} else {
			err = edr_config_set_value(cfg, k, val, false);
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
		    strcmp(val, "stdout") && strcmp(val, "none") && edr_config_valid_text(val)) {
			char *abs = realpath(".", NULL), *full = NULL;

			if (!abs || asprintf(&full, "%s/%s", abs, val) < 0)
				full = NULL;
			free(abs);
			if (!full)
				return -ENOMEM;
			err = edr_config_set_value(cfg, k, full, false);
			free(full);
		} else {
			err = edr_config_set_value(cfg, k, val, k->type == T_LIST && this_run[k - keys]);
		}
		if (err == -ENOMEM)
			return err;
		if (err) {
			char exp[256];

			edr_config_expected(k, exp, sizeof(exp));
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
			fputs(edr_config_fmt_duration(*(const uint64_t *)field, buf, sizeof(buf)), out);
			break;
		case T_SIZE:
			fputs(edr_config_fmt_size(*(const uint64_t *)field, buf, sizeof(buf)), out);
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
