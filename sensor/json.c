// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/json.h"

void edr_json_init(struct edr_json *j)
{
	memset(j, 0, sizeof(*j));
}

void edr_json_reset(struct edr_json *j)
{
	j->len = 0;
	j->need_comma = 0;
	j->oom = 0;
	if (j->buf)
		j->buf[0] = 0;
}

void edr_json_free(struct edr_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static int grow(struct edr_json *j, size_t more)
{
	size_t cap;
	char *nb;

	if (j->oom)
		return -1;
	if (j->len + more + 1 <= j->cap)
		return 0;
	cap = j->cap ? j->cap : 1024;
	while (cap < j->len + more + 1)
		cap *= 2;
	nb = realloc(j->buf, cap);
	if (!nb) {
		j->oom = 1;
		return -1;
	}
	j->buf = nb;
	j->cap = cap;
	return 0;
}

static void put(struct edr_json *j, const char *s, size_t n)
{
	if (grow(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = 0;
}

static void putc_(struct edr_json *j, char c)
{
	if (j->len + 2 > j->cap && grow(j, 1))
		return;
	j->buf[j->len++] = c;
	j->buf[j->len] = 0;
}

static void comma(struct edr_json *j)
{
	if (j->need_comma)
		putc_(j, ',');
	j->need_comma = 1;
}

void edr_json_obj_begin(struct edr_json *j)
{
	comma(j);
	putc_(j, '{');
	j->need_comma = 0;
}

void edr_json_obj_end(struct edr_json *j)
{
	putc_(j, '}');
	j->need_comma = 1;
}

void edr_json_arr_begin(struct edr_json *j)
{
	comma(j);
	putc_(j, '[');
	j->need_comma = 0;
}

void edr_json_arr_end(struct edr_json *j)
{
	putc_(j, ']');
	j->need_comma = 1;
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, cp = c & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF. */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

void edr_json_escape(struct edr_json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char esc[8];

	while (i < len) {
		unsigned char c = p[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			for (run = i; run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
			     p[run] != '\\'; run++)
				;
			put(j, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"': put(j, "\\\"", 2); i++; continue;
		case '\\': put(j, "\\\\", 2); i++; continue;
		case '\n': put(j, "\\n", 2); i++; continue;
		case '\r': put(j, "\\r", 2); i++; continue;
		case '\t': put(j, "\\t", 2); i++; continue;
		}
		if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(j, esc, 6);
			i++;
			continue;
		}
		run = utf8_len(p + i, len - i);
		if (run) {
			put(j, s + i, run);
			i += run;
		} else {
			put(j, "\\ufffd", 6);
			i++;
		}
	}
}

void edr_json_key(struct edr_json *j, const char *key)
{
	comma(j);
	putc_(j, '"');
	edr_json_escape(j, key, strlen(key));
	put(j, "\":", 2);
	j->need_comma = 0;
}

void edr_json_str(struct edr_json *j, const char *s, size_t len)
{
	comma(j);
	putc_(j, '"');
	if (s)
		edr_json_escape(j, s, len);
	putc_(j, '"');
}

void edr_json_cstr(struct edr_json *j, const char *s)
{
	edr_json_str(j, s, s ? strlen(s) : 0);
}

void edr_json_int(struct edr_json *j, int64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	comma(j);
	put(j, b, n);
}

void edr_json_uint(struct edr_json *j, uint64_t v)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	comma(j);
	put(j, b, n);
}

void edr_json_bool(struct edr_json *j, int v)
{
	comma(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void edr_json_raw(struct edr_json *j, const char *s, size_t len)
{
	comma(j);
	put(j, s, len);
}

void edr_json_kstr(struct edr_json *j, const char *key, const char *s, size_t len)
{
	edr_json_key(j, key);
	edr_json_str(j, s, len);
}

void edr_json_kcstr(struct edr_json *j, const char *key, const char *s)
{
	edr_json_key(j, key);
	edr_json_cstr(j, s);
}

void edr_json_kint(struct edr_json *j, const char *key, int64_t v)
{
	edr_json_key(j, key);
	edr_json_int(j, v);
}

void edr_json_kuint(struct edr_json *j, const char *key, uint64_t v)
{
	edr_json_key(j, key);
	edr_json_uint(j, v);
}

void edr_json_kbool(struct edr_json *j, const char *key, int v)
{
	edr_json_key(j, key);
	edr_json_bool(j, v);
}
