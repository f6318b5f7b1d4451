// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sigma values to Hyperscan expressions. Every byte of a value is emitted as
 * an escaped literal, so nothing in a rule's plain value can be read as regex
 * syntax; only the Sigma wildcards become regex operators.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

enum { T_STAR = 256, T_QMARK = 257 };

static bool is_word(int t)
{
	return t >= 0 && t < 256 && (isalnum(t) || t == '_');
}

int edr_pat_from_sigma(const char *v, size_t len, enum str_mode mode, bool windash,
		       bool literal, char **expr)
{
	int *tok, *t2;
	size_t i, n = 0, m = 0;
	bool anchor_start, anchor_end;
	char *out, *o;

	*expr = NULL;
	tok = malloc((len + 2) * sizeof(*tok));
	if (!tok)
		return -ENOMEM;
	if (mode == M_CONTAINS || mode == M_ENDS)
		tok[n++] = T_STAR;
	for (i = 0; i < len; i++) {
		unsigned char c = v[i];

		if (!literal && c == '\\' && i + 1 < len &&
		    (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
			tok[n++] = (unsigned char)v[++i];
		} else if (!literal && c == '*') {
			tok[n++] = T_STAR;
		} else if (!literal && c == '?') {
			tok[n++] = T_QMARK;
		} else {
			tok[n++] = c;
		}
	}
	if (mode == M_CONTAINS || mode == M_STARTS)
		tok[n++] = T_STAR;

	/* collapse runs of stars: "a**b" is "a*b" */
	t2 = tok;
	for (i = 0; i < n; i++) {
		if (tok[i] == T_STAR && m && t2[m - 1] == T_STAR)
			continue;
		t2[m++] = tok[i];
	}
	n = m;
	anchor_start = !(n && tok[0] == T_STAR);
	anchor_end = !(n && tok[n - 1] == T_STAR);
	{
		size_t b = anchor_start ? 0 : 1, e = anchor_end ? n : n - 1;

		if (e < b)
			e = b;
		memmove(tok, tok + b, (e - b) * sizeof(*tok));
		n = e - b;
	}
	if (!n && !anchor_start && !anchor_end) {
		free(tok);
		return 0; /* "*": any value */
	}

	out = malloc(n * 6 + 8);
	if (!out) {
		free(tok);
		return -ENOMEM;
	}
	o = out;
	if (anchor_start)
		*o++ = '^';
	for (i = 0; i < n; i++) {
		int t = tok[i];

		if (t == T_STAR) {
			o = stpcpy(o, ".*");
		} else if (t == T_QMARK) {
			*o++ = '.';
		} else if (windash && (t == '-' || t == '/') && (i == 0 || !is_word(tok[i - 1])) &&
			   i + 1 < n && is_word(tok[i + 1])) {
			o = stpcpy(o, "[\\-/]");
		} else if (is_word(t)) {
			*o++ = (char)t;
		} else {
			o += sprintf(o, "\\x%02x", (unsigned)t);
		}
	}
	if (anchor_end)
		o = stpcpy(o, "\\z");
	*o = 0;
	free(tok);
	*expr = out;
	return 1;
}

int edr_pat_unescape(const char *v, size_t len, char **out, size_t *outlen)
{
	char *o = malloc(len + 1);
	size_t i, n = 0;

	if (!o)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len &&
		    (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
			o[n++] = v[++i];
		} else if (v[i] == '*' || v[i] == '?') {
			free(o);
			return -EINVAL;
		} else {
			o[n++] = v[i];
		}
	}
	o[n] = 0;
	*out = o;
	*outlen = n;
	return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *edr_pat_base64(const char *v, size_t len)
{
	const unsigned char *s = (const unsigned char *)v;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = b64[s[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[(s[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = b64[s[i] >> 2];
		*o++ = b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64[(s[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = 0;
	return out;
}

/*
 * The value encoded at the three possible alignments inside a longer base64
 * stream, with the characters that depend on neighbouring bytes cut off:
 * the same strings pySigma's base64offset produces.
 */
int edr_pat_base64offset(const char *v, size_t len, char *out[3])
{
	static const size_t start[3] = { 0, 2, 3 };
	static const size_t endcut[3] = { 0, 3, 2 };
	size_t i;

	for (i = 0; i < 3; i++)
		out[i] = NULL;
	for (i = 0; i < 3; i++) {
		char *buf = malloc(len + 3), *enc;
		size_t elen, s, e;

		if (!buf)
			goto nomem;
		memset(buf, ' ', i);
		memcpy(buf + i, v, len);
		enc = edr_pat_base64(buf, len + i);
		free(buf);
		if (!enc)
			goto nomem;
		elen = strlen(enc);
		s = start[i];
		e = elen - endcut[(len + i) % 3];
		if (e < s)
			e = s;
		memmove(enc, enc + s, e - s);
		enc[e - s] = 0;
		out[i] = enc;
	}
	return 0;
nomem:
	for (i = 0; i < 3; i++) {
		free(out[i]);
		out[i] = NULL;
	}
	return -ENOMEM;
}

int edr_pat_parse_cidr(const char *s, uint8_t addr[16], uint8_t *family, uint8_t *prefix)
{
	char buf[64], *slash, *end;
	long p;
	unsigned maxp, i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = 4;
		maxp = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = 6;
		maxp = 128;
	} else {
		return -EINVAL;
	}
	p = maxp;
	if (slash) {
		if (!slash[1] || !isdigit((unsigned char)slash[1]))
			return -EINVAL;
		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (errno || *end || p < 0 || p > (long)maxp)
			return -EINVAL;
	}
	*prefix = (uint8_t)p;
	/* clear host bits so matching is a plain prefix compare */
	for (i = 0; i < maxp / 8; i++) {
		unsigned bit = i * 8;

		if (bit >= (unsigned)p)
			addr[i] = 0;
		else if (bit + 8 > (unsigned)p)
			addr[i] &= (uint8_t)(0xff << (8 - (p - bit)));
	}
	return 0;
}

/*
 * Rough size of the automaton a regex expands to: characters count 1, a
 * group the sum of its alternatives, a bounded repeat multiplies what it
 * repeats. Hyperscan compiles "(ab|cd){256}{256}"-like nests for minutes;
 * this lets the loader refuse them up front. Only an estimate: Hyperscan
 * still validates the syntax.
 */
size_t edr_pat_regex_cost(const char *re)
{
	struct frame { size_t alt, cur, last; } *st;
	const size_t cap = (size_t)1 << 40;
	size_t sp = 0, i = 0, n = strlen(re), depth = n + 2, total;

	st = calloc(depth, sizeof(*st));
	if (!st)
		return cap;
	while (i < n) {
		struct frame *f = &st[sp];
		char ch = re[i];

		if (ch == '\\') {
			i += 2;
			if (i < n && re[i - 1] == 'x' && re[i] == '{')
				while (i < n && re[i] != '}')
					i++;
			f->last = 1;
			f->cur++;
			continue;
		}
		if (ch == '[') {
			i++;
			if (i < n && re[i] == '^')
				i++;
			if (i < n && re[i] == ']')
				i++;
			while (i < n && re[i] != ']')
				i += re[i] == '\\' ? 2 : 1;
			i++;
			f->last = 1;
			f->cur++;
			continue;
		}
		if (ch == '(') {
			if (sp + 1 >= depth)
				break;
			memset(&st[++sp], 0, sizeof(st[0]));
			i++;
			if (i < n && re[i] == '?') /* (?:  (?i)  (?i:  ... */
				while (i < n && re[i] != ':' && re[i] != ')')
					i++;
			if (i < n && re[i] == ':')
				i++;
			continue;
		}
		if (ch == ')') {
			size_t g = f->alt + f->cur;

			if (sp) {
				sp--;
				st[sp].last = g;
				st[sp].cur = st[sp].cur + g < cap ? st[sp].cur + g : cap;
			}
			i++;
			continue;
		}
		if (ch == '|') {
			f->alt = f->alt + f->cur < cap ? f->alt + f->cur : cap;
			f->cur = 0;
			i++;
			continue;
		}
		if (ch == '{') {
			size_t j = i + 1, m = 0, hi = 0;
			bool digits = false, comma = false, hidigits = false;

			while (j < n && re[j] >= '0' && re[j] <= '9' && m < cap)
				m = m * 10 + (size_t)(re[j++] - '0'), digits = true;
			if (j < n && re[j] == ',') {
				comma = true;
				j++;
				while (j < n && re[j] >= '0' && re[j] <= '9' && hi < cap)
					hi = hi * 10 + (size_t)(re[j++] - '0'), hidigits = true;
			}
			if (digits && j < n && re[j] == '}') {
				size_t rep = comma ? (hidigits ? hi : m + 1) : m, add;

				if (rep < 1)
					rep = 1;
				add = f->last && rep - 1 > cap / f->last ? cap : f->last * (rep - 1);
				f->cur = f->cur + add < cap ? f->cur + add : cap;
				f->last = add < cap ? f->last * rep : cap;
				i = j + 1;
				continue;
			}
		}
		f->last = 1;
		f->cur++;
		i++;
	}
	while (sp) { /* unbalanced: Hyperscan will say so */
		size_t g = st[sp].alt + st[sp].cur;

		sp--;
		st[sp].cur = st[sp].cur + g < cap ? st[sp].cur + g : cap;
	}
	total = st[0].alt + st[0].cur < cap ? st[0].alt + st[0].cur : cap;
	free(st);
	return total;
}
