// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration values: parsing and validating one value of one key (sizes,
 * durations, lists, paths, groups, features and attach paths) and saying
 * what a key expects. The key table and the file and command-line parsers
 * that call this are in config.c.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensor/config_keys.h"

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

const char *edr_config_fmt_duration(uint64_t ms, char *buf, size_t size)
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

const char *edr_config_fmt_size(uint64_t v, char *buf, size_t size)
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

bool edr_config_valid_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void edr_config_expected(const struct key *k, char *buf, size_t size)
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
			 edr_config_fmt_duration((uint64_t)k->max, a, sizeof(a)));
		break;
	case T_SIZE:
		if (k->flags & K_POW2)
			snprintf(buf, size, "a power-of-two size like 8M, from %s to %s",
				 edr_config_fmt_size((uint64_t)k->min, a, sizeof(a)),
				 edr_config_fmt_size((uint64_t)k->max, b, sizeof(b)));
		else
			snprintf(buf, size, "a size like 64M, at most %s",
				 edr_config_fmt_size((uint64_t)k->max, a, sizeof(a)));
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

	if (!*s || !edr_config_valid_text(s) || strlen(s) >= PATH_MAX)
		return false;
	if ((k->flags & K_ABS) && s[0] != '/')
		return false;
	if ((k->flags & K_SOCKET) && strlen(s) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return false;
	if ((k->flags & K_EXISTS) && stat(s, &st))
		return false;
	return true;
}

void edr_config_free_list(char **list)
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
			edr_config_free_list(list);
			return -E2BIG;
		}
		list[n] = strndup(s, len);
		if (!list[n++]) {
			edr_config_free_list(list);
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
	edr_config_free_list(list);
	if (!err)
		*out = set;
	return err;
}

/* Replaces the string in *field with a copy of s (NULL: none). */
static int set_string(char **field, const char *s)
{
	char *dup = NULL;

	if (s && !(dup = strdup(s)))
		return -ENOMEM;
	free(*field);
	*field = dup;
	return 0;
}

/* T_STRING, T_PATH, T_OUTPUT and T_GROUP: checked text. */
static int set_text(char **field, const struct key *k, const char *s)
{
	if (k->type == T_STRING && !edr_config_valid_text(s))
		return -EINVAL;
	if (k->type == T_PATH && !path_ok(k, s))
		return -EINVAL;
	if (k->type == T_OUTPUT) {
		if (!strcmp(s, "-"))
			s = "stdout";
		if (strcmp(s, "stdout") && strcmp(s, "none") &&
		    (s[0] != '/' || !edr_config_valid_text(s) || strlen(s) >= PATH_MAX))
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
	return set_string(field, s);
}

/* T_LIST: comma-separated paths, replacing or (append) added to the list. */
static int set_list(char ***listp, size_t *np, const struct key *k, const char *s, bool append)
{
	char **list, **merged;
	size_t n, j;
	int err;

	err = split_list(s, &list, &n);
	if (err)
		return err == -E2BIG ? -EINVAL : err;
	for (j = 0; j < n; j++) {
		if (!path_ok(k, list[j])) {
			edr_config_free_list(list);
			return -EINVAL;
		}
	}
	if (append && *listp) {
		if (*np + n > EDR_CONFIG_MAX_LIST) {
			edr_config_free_list(list);
			return -EINVAL;
		}
		merged = realloc(*listp, (*np + n + 1) * sizeof(*merged));
		if (!merged) {
			edr_config_free_list(list);
			return -ENOMEM;
		}
		memcpy(merged + *np, list, (n + 1) * sizeof(*merged));
		free(list); /* entries now owned by merged */
		*listp = merged;
		*np += n;
		return 0;
	}
	edr_config_free_list(*listp);
	*listp = list;
	*np = n;
	return 0;
}

int edr_config_set_value(struct edr_config *cfg, const struct key *k, const char *s, bool append)
{
	void *field = (char *)cfg + k->off;
	uint64_t u;
	int64_t i64;
	char *end;
	bool b;
	int err, c;

	if (strlen(s) > EDR_CONFIG_MAX_VALUE)
		return -EINVAL;
	switch (k->type) {
	case T_STRING:
	case T_PATH:
	case T_OUTPUT:
	case T_GROUP:
		return set_text(field, k, s);
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
	case T_LIST:
		return set_list(field, (size_t *)((char *)field + sizeof(char **)), k, s, append);
	case T_ENUM:
		c = find_choice(k->choices, s);
		if (c < 0)
			return -EINVAL;
		*(int *)field = c;
		return 0;
	case T_FEATURES:
		return parse_features(s, (uint64_t *)field);
	case T_ATTACH:
		if (!strcmp(s, "auto"))
			return set_string(field, NULL);
		if (!attach_path_ok((int)k->min, s))
			return -EINVAL;
		return set_string(field, s);
	}
	return -EINVAL;
}

_Static_assert(offsetof(struct edr_config, n_pubkey) == offsetof(struct edr_config, pubkey) + sizeof(char **),
	       "a T_LIST count follows its list");

