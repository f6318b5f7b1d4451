// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quarantine's meta file: written with the sensor's JSON writer, read
 * back by a parser of exactly what it needs (one flat object of strings and
 * unsigned integers). The files are the sensor's own, in a root-only
 * directory, but they are parsed as untrusted bytes anyway (fuzz_quarantine).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/json.h"
#include "sensor/response/quarantine.h"

static void hex_of(const char *s, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	out[2 * len] = '\0';
}

char *edr_quarantine_meta_format(const struct edr_quarantine_item *it)
{
	size_t plen = strnlen(it->path, sizeof(it->path) - 1);
	char hex[2 * sizeof(it->path) + 1];
	struct edr_json j;
	char *out;

	hex_of(it->path, plen, hex);
	edr_json_init(&j);
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "id", it->id);
	edr_json_kstr(&j, "path", it->path, plen);
	edr_json_kcstr(&j, "path_hex", hex);
	edr_json_kuint(&j, "mode", it->mode);
	edr_json_kuint(&j, "uid", it->uid);
	edr_json_kuint(&j, "gid", it->gid);
	edr_json_kuint(&j, "size", it->size);
	edr_json_kuint(&j, "mtime", it->mtime);
	edr_json_kcstr(&j, "sha256", it->sha256);
	edr_json_kcstr(&j, "rule_id", it->rule_id);
	edr_json_kcstr(&j, "rule_name", it->rule_name);
	edr_json_kuint(&j, "time", it->qtime);
	edr_json_obj_end(&j);
	if (j.oom) {
		edr_json_free(&j);
		return NULL;
	}
	out = strndup(j.buf, j.len);
	edr_json_free(&j);
	return out;
}

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int eat(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return 0;
	c->p++;
	return 1;
}

static int hex4(struct cursor *c, unsigned *v)
{
	int i;

	*v = 0;
	if (c->end - c->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char h = *c->p++;

		*v <<= 4;
		if (h >= '0' && h <= '9')
			*v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f')
			*v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			*v |= (unsigned)(h - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Appends code point cp as UTF-8. -1 when out does not have room. */
static int put_utf8(char *out, size_t cap, size_t *n, unsigned cp)
{
	unsigned char b[4];
	size_t k = 0, i;

	if (cp < 0x80) {
		b[k++] = (unsigned char)cp;
	} else if (cp < 0x800) {
		b[k++] = (unsigned char)(0xc0 | cp >> 6);
		b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		b[k++] = (unsigned char)(0xe0 | cp >> 12);
		b[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		b[k++] = (unsigned char)(0xf0 | cp >> 18);
		b[k++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[k++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
	}
	if (*n + k >= cap)
		return -1;
	for (i = 0; i < k; i++)
		out[(*n)++] = (char)b[i];
	return 0;
}

static int escape(struct cursor *c, unsigned *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned lo;

	if (c->p >= c->end)
		return -1;
	if (*c->p != 'u') {
		e = memchr(from, *c->p, sizeof(from) - 1);
		if (!e)
			return -1;
		c->p++;
		*cp = (unsigned char)to[e - from];
		return 0;
	}
	c->p++;
	if (hex4(c, cp))
		return -1;
	if (*cp >= 0xdc00 && *cp < 0xe000)
		return -1;
	if (*cp >= 0xd800 && *cp < 0xdc00) {
		if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
			return -1;
		c->p += 2;
		if (hex4(c, &lo) || lo < 0xdc00 || lo >= 0xe000)
			return -1;
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return 0;
}

/* A JSON string into out (cap bytes, NUL-terminated, cut at a character
 * boundary when longer; NULL: checked and dropped). -1 when malformed. */
static int string(struct cursor *c, char *out, size_t cap)
{
	char sink[5];
	size_t n = 0;
	unsigned cp;
	int full = 0;

	if (!out) {
		out = sink;
		cap = sizeof(sink);
	}
	if (!eat(c, '"'))
		return -1;
	while (c->p < c->end && *c->p != '"') {
		if ((unsigned char)*c->p < 0x20)
			return -1;
		if (out == sink)
			n = 0;
		if (*c->p != '\\') {
			/* Raw bytes: a UTF-8 sequence is not split by the cut. */
			unsigned char b = (unsigned char)*c->p;
			size_t seq = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;

			if ((b & 0xc0) != 0x80 && n + seq >= cap)
				full = 1;
			if (!full && n + 1 < cap)
				out[n++] = *c->p;
			c->p++;
			continue;
		}
		c->p++;
		if (escape(c, &cp) || !cp)
			return -1;
		if (!full && put_utf8(out, cap, &n, cp))
			full = 1;
	}
	if (c->p >= c->end)
		return -1;
	c->p++;
	if (out != sink)
		out[n] = '\0';
	return 0;
}

static int number(struct cursor *c, uint64_t *v, uint64_t max)
{
	uint64_t d;
	int any = 0;

	skip_ws(c);
	*v = 0;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		d = (uint64_t)(*c->p++ - '0');
		if (*v > (max - d) / 10)
			return -1;
		*v = *v * 10 + d;
		any = 1;
	}
	return any ? 0 : -1;
}

static int unhex(const char *hex, char *out, size_t cap)
{
	size_t len = strlen(hex), i;
	unsigned hi, lo;

	if (len % 2 || len / 2 >= cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if (sscanf(hex + 2 * i, "%1x%1x", &hi, &lo) != 2)
			return -1;
		out[i] = (char)(hi << 4 | lo);
		if (!out[i])
			return -1;
	}
	out[len / 2] = '\0';
	return 0;
}

static int valid_id(const char *id)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[16] == '\0';
}

/* One "key": value member into it. */
static int member(struct cursor *c, struct edr_quarantine_item *it, char *hex, size_t hexcap)
{
	char key[32];
	uint64_t v;

#define STR(k, field) if (!strcmp(key, k)) return string(c, field, sizeof(field))
#define NUM(k, field, max) if (!strcmp(key, k)) \
		return number(c, &v, max) ? -1 : ((field = v), 0)
	if (string(c, key, sizeof(key)) || !eat(c, ':'))
		return -1;
	STR("id", it->id);
	STR("path", it->path);
	STR("sha256", it->sha256);
	STR("rule_id", it->rule_id);
	STR("rule_name", it->rule_name);
	if (!strcmp(key, "path_hex"))
		return string(c, hex, hexcap);
	NUM("mode", it->mode, 07777);
	NUM("uid", it->uid, UINT32_MAX);
	NUM("gid", it->gid, UINT32_MAX);
	NUM("size", it->size, UINT64_MAX);
	NUM("mtime", it->mtime, UINT64_MAX);
	NUM("time", it->qtime, UINT64_MAX);
#undef STR
#undef NUM
	/* Unknown key: a string or a number. */
	skip_ws(c);
	if (c->p < c->end && *c->p == '"')
		return string(c, NULL, 0);
	return number(c, &v, UINT64_MAX);
}

int edr_quarantine_meta_parse(const char *buf, size_t len, struct edr_quarantine_item *it)
{
	struct cursor c = { buf, buf + len };
	char *hex = malloc(2 * sizeof(it->path) + 1);
	int err = -EINVAL;

	if (!hex)
		return -ENOMEM;
	hex[0] = '\0';
	memset(it, 0, sizeof(*it));
	if (!eat(&c, '{'))
		goto out;
	if (!eat(&c, '}')) {
		do {
			if (member(&c, it, hex, 2 * sizeof(it->path) + 1))
				goto out;
		} while (eat(&c, ','));
		if (!eat(&c, '}'))
			goto out;
	}
	skip_ws(&c);
	if (c.p != c.end || !valid_id(it->id))
		goto out;
	if (hex[0]) {
		memset(it->path, 0, sizeof(it->path));
		if (unhex(hex, it->path, sizeof(it->path)))
			goto out;
	}
	if (it->path[0] != '/')
		goto out;
	err = 0;
out:
	free(hex);
	if (err)
		memset(it, 0, sizeof(*it));
	return err;
}
