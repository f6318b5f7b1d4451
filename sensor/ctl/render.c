// SPDX-License-Identifier: GPL-2.0-only
/* Table and JSON rendering of control reply items; see render.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensor/ctl/render.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t ls = strlen(s), lf = strlen(suf);

	return ls >= lf && !strcmp(s + ls - lf, suf);
}

const char *edr_render_bytes(long long v, char *buf, size_t size)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1024 && v > -1024) {
		snprintf(buf, size, "%lld", v);
		return buf;
	}
	while ((d >= 1024 || d <= -1024) && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f%c", d, units[u]);
	return buf;
}

const char *edr_render_seconds(long long v, char *buf, size_t size)
{
	long long d, h, m, s;

	if (v < 0) {
		snprintf(buf, size, "%lld", v);
		return buf;
	}
	d = v / 86400;
	h = v / 3600 % 24;
	m = v / 60 % 60;
	s = v % 60;
	if (d)
		snprintf(buf, size, "%lldd%02lldh%02lldm%02llds", d, h, m, s);
	else if (h)
		snprintf(buf, size, "%lldh%02lldm%02llds", h, m, s);
	else if (m)
		snprintf(buf, size, "%lldm%02llds", m, s);
	else
		snprintf(buf, size, "%llds", s);
	return buf;
}

/*
 * The text of a cell. Strings lose their control characters: a value can
 * come from what the sensor saw (a rule title, a path), and must not move
 * the terminal's cursor or change its colours.
 */
static const char *cell(const struct edr_ctl_item *it, char *buf, size_t size, bool *numeric)
{
	size_t i, o = 0;

	*numeric = it->type == EDR_CTL_INT;
	if (it->type == EDR_CTL_INT) {
		if (has_suffix(it->key, "_bytes"))
			return edr_render_bytes(it->n, buf, size);
		if (has_suffix(it->key, "_sec"))
			return edr_render_seconds(it->n, buf, size);
		if (has_suffix(it->key, "_at")) {
			time_t t = (time_t)it->n;
			struct tm tm;

			if (it->n <= 0 || !localtime_r(&t, &tm))
				snprintf(buf, size, "-");
			else
				strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
			return buf;
		}
		if (has_suffix(it->key, "_ms")) {
			snprintf(buf, size, "%lld.%03llds", (long long)(it->n / 1000),
				 (long long)llabs(it->n % 1000));
			return buf;
		}
		snprintf(buf, size, "%" PRId64, it->n);
		return buf;
	}
	for (i = 0; it->s && it->s[i] && o + 1 < size; i++) {
		unsigned char c = (unsigned char)it->s[i];

		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	buf[o] = '\0';
	if (!o)
		snprintf(buf, size, "-");
	return buf;
}

#define CELL_MAX 512

struct name {
	const char *s;
	size_t len;
};

struct group {
	struct name name;
	struct name *rows, *cols;
	size_t nrows, ncols, caprows, capcols;
	size_t *members; /* item indexes */
	size_t nmem, capmem;
};

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Index of NAME in ARR, appended when missing; -1 on ENOMEM. */
static long intern(struct name **arr, size_t *n, size_t *cap, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*arr)[i].len == len && !memcmp((*arr)[i].s, s, len))
			return (long)i;
	if (grow((void **)arr, cap, *n + 1, sizeof(**arr)))
		return -1;
	(*arr)[*n].s = s;
	(*arr)[*n].len = len;
	return (long)(*n)++;
}

static void put_upper(FILE *f, const char *s, size_t len, int width)
{
	size_t i;

	for (i = 0; i < len; i++)
		fputc(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i], f);
	for (; (int)i < width; i++)
		fputc(' ', f);
}

static int print_group(FILE *f, const struct group *g, const struct edr_ctl_item *items)
{
	const struct edr_ctl_item **grid;
	size_t *w, r, c, m;
	char buf[CELL_MAX];
	bool num;

	grid = calloc(g->nrows * g->ncols, sizeof(*grid));
	w = calloc(g->ncols + 1, sizeof(*w));
	if (!grid || !w) {
		free(grid);
		free(w);
		return -ENOMEM;
	}
	for (m = 0; m < g->nmem; m++) {
		const struct edr_ctl_item *it = &items[g->members[m]];
		const char *key = it->key, *last = strrchr(key, '.');
		const char *row = key + g->name.len + 1;
		size_t rlen = (size_t)(last - row);

		for (r = 0; r < g->nrows; r++)
			if (g->rows[r].len == rlen && !memcmp(g->rows[r].s, row, rlen))
				break;
		for (c = 0; c < g->ncols; c++)
			if (!strcmp(g->cols[c].s, last + 1))
				break;
		grid[r * g->ncols + c] = it;
	}
	/* Column 0 holds the row names, under the group's name. */
	w[0] = g->name.len;
	for (r = 0; r < g->nrows; r++)
		if (g->rows[r].len > w[0])
			w[0] = g->rows[r].len;
	for (c = 0; c < g->ncols; c++) {
		w[c + 1] = g->cols[c].len;
		for (r = 0; r < g->nrows; r++) {
			const struct edr_ctl_item *it = grid[r * g->ncols + c];
			size_t l = it ? strlen(cell(it, buf, sizeof(buf), &num)) : 1;

			if (l > w[c + 1])
				w[c + 1] = l;
		}
	}
	put_upper(f, g->name.s, g->name.len, (int)w[0]);
	for (c = 0; c < g->ncols; c++) {
		bool numcol = true, lastcol = c + 1 == g->ncols;

		/* Headers of number columns align right, like the numbers. */
		for (r = 0; r < g->nrows; r++)
			if (grid[r * g->ncols + c] && grid[r * g->ncols + c]->type != EDR_CTL_INT)
				numcol = false;
		fputs("  ", f);
		if (numcol)
			fprintf(f, "%*s", (int)(w[c + 1] - g->cols[c].len), "");
		put_upper(f, g->cols[c].s, g->cols[c].len, numcol || lastcol ? 0 : (int)w[c + 1]);
	}
	fputc('\n', f);
	for (r = 0; r < g->nrows; r++) {
		fprintf(f, "%-*.*s", (int)w[0], (int)g->rows[r].len, g->rows[r].s);
		for (c = 0; c < g->ncols; c++) {
			const struct edr_ctl_item *it = grid[r * g->ncols + c];
			const char *s = it ? cell(it, buf, sizeof(buf), &num) : (num = false, "-");
			bool lastcol = c + 1 == g->ncols;

			if (num)
				fprintf(f, "  %*s", (int)w[c + 1], s);
			else if (lastcol)
				fprintf(f, "  %s", s);
			else
				fprintf(f, "  %-*s", (int)w[c + 1], s);
		}
		fputc('\n', f);
	}
	free(grid);
	free(w);
	return 0;
}

static void free_groups(struct group *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(g[i].rows);
		free(g[i].cols);
		free(g[i].members);
	}
	free(g);
}

int edr_render_table(FILE *f, const struct edr_ctl_item *items, size_t n)
{
	struct group *groups = NULL;
	size_t ngroups = 0, capgroups = 0, i, w = 0;
	char buf[CELL_MAX];
	bool num, any = false;
	int err = -ENOMEM;

	for (i = 0; i < n; i++) {
		const char *key = items[i].key, *first = strchr(key, '.'), *last = strrchr(key, '.');
		struct group *g;
		size_t j;

		if (!first || first == last) {
			if (strlen(key) > w)
				w = strlen(key);
			continue;
		}
		for (j = 0; j < ngroups; j++)
			if (groups[j].name.len == (size_t)(first - key) &&
			    !memcmp(groups[j].name.s, key, groups[j].name.len))
				break;
		if (j == ngroups) {
			if (grow((void **)&groups, &capgroups, ngroups + 1, sizeof(*groups)))
				goto out;
			memset(&groups[ngroups], 0, sizeof(*groups));
			groups[ngroups].name.s = key;
			groups[ngroups].name.len = (size_t)(first - key);
			ngroups++;
		}
		g = &groups[j];
		if (intern(&g->rows, &g->nrows, &g->caprows, first + 1, (size_t)(last - first - 1)) < 0 ||
		    intern(&g->cols, &g->ncols, &g->capcols, last + 1, strlen(last + 1)) < 0 ||
		    grow((void **)&g->members, &g->capmem, g->nmem + 1, sizeof(*g->members)))
			goto out;
		g->members[g->nmem++] = i;
	}
	for (i = 0; i < n; i++) {
		const char *key = items[i].key, *first = strchr(key, '.');

		if (first && first != strrchr(key, '.'))
			continue;
		fprintf(f, "%-*s  %s\n", (int)w, key, cell(&items[i], buf, sizeof(buf), &num));
		any = true;
	}
	for (i = 0; i < ngroups; i++) {
		if (any)
			fputc('\n', f);
		if (print_group(f, &groups[i], items))
			goto out;
		any = true;
	}
	err = 0;
out:
	free_groups(groups, ngroups);
	return err;
}

/* ---- JSON ---- */

void edr_render_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		unsigned char c = *p;
		size_t len = 0, k;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if (c == '\n')
				fputs("\\n", f);
			else if (c == '\t')
				fputs("\\t", f);
			else if (c == '\r')
				fputs("\\r", f);
			else
				fprintf(f, "\\u%04x", c);
			p++;
			continue;
		}
		if (c < 0x80) {
			fputc(c, f);
			p++;
			continue;
		}
		/* Pass well-formed UTF-8 through; anything else becomes U+FFFD. */
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		for (k = 1; k < len; k++)
			if ((p[k] & 0xc0) != 0x80)
				break;
		if (len && k == len &&
		    !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0) &&
		    !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90)) {
			fwrite(p, 1, len, f);
			p += len;
		} else {
			fputs("\xef\xbf\xbd", f);
			p++;
		}
	}
	fputc('"', f);
}

struct node {
	const char *name;
	size_t len;
	const struct edr_ctl_item *item;
	size_t *kids, nkids, capkids;
};

struct tree {
	struct node *nodes;
	size_t n, cap;
};

static long child(struct tree *t, size_t parent, const char *name, size_t len)
{
	struct node *p = &t->nodes[parent];
	size_t i, idx;

	for (i = 0; i < p->nkids; i++) {
		struct node *k = &t->nodes[p->kids[i]];

		if (k->len == len && !memcmp(k->name, name, len))
			return (long)p->kids[i];
	}
	if (grow((void **)&t->nodes, &t->cap, t->n + 1, sizeof(*t->nodes)))
		return -1;
	p = &t->nodes[parent]; /* nodes may have moved */
	if (grow((void **)&p->kids, &p->capkids, p->nkids + 1, sizeof(*p->kids)))
		return -1;
	idx = t->n++;
	memset(&t->nodes[idx], 0, sizeof(t->nodes[idx]));
	t->nodes[idx].name = name;
	t->nodes[idx].len = len;
	p->kids[p->nkids++] = idx;
	return (long)idx;
}

static void put_value(FILE *f, const struct edr_ctl_item *it)
{
	if (it->type == EDR_CTL_INT)
		fprintf(f, "%" PRId64, it->n);
	else
		edr_render_json_string(f, it->s ? it->s : "");
}

static void put_key(FILE *f, const char *s, size_t len)
{
	char buf[EDR_CTL_MAX_KEY + 1];

	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	edr_render_json_string(f, buf);
}

static void emit(FILE *f, const struct tree *t, size_t idx)
{
	const struct node *n = &t->nodes[idx];
	size_t i;

	if (!n->nkids) {
		put_value(f, n->item);
		return;
	}
	fputc('{', f);
	/* A key that is both a value and a prefix ("a" and "a.b") keeps both. */
	if (n->item) {
		fputs("\"_value\":", f);
		put_value(f, n->item);
	}
	for (i = 0; i < n->nkids; i++) {
		if (i || n->item)
			fputc(',', f);
		put_key(f, t->nodes[n->kids[i]].name, t->nodes[n->kids[i]].len);
		fputc(':', f);
		emit(f, t, n->kids[i]);
	}
	fputc('}', f);
}

int edr_render_json(FILE *f, const struct edr_ctl_item *items, size_t n)
{
	struct tree t = { 0 };
	size_t i;
	int err = -ENOMEM;

	if (grow((void **)&t.nodes, &t.cap, 1, sizeof(*t.nodes)))
		return -ENOMEM;
	memset(&t.nodes[0], 0, sizeof(t.nodes[0]));
	t.n = 1;
	for (i = 0; i < n; i++) {
		const char *key = items[i].key, *part = key, *dot;
		long cur = 0;

		/* Empty components ("a..b", ".a") are kept as "" keys: still valid JSON. */
		for (;;) {
			dot = strchr(part, '.');
			cur = child(&t, (size_t)cur, part, dot ? (size_t)(dot - part) : strlen(part));
			if (cur < 0)
				goto out;
			if (!dot)
				break;
			part = dot + 1;
		}
		if (!t.nodes[cur].item) /* first one wins on duplicate keys */
			t.nodes[cur].item = &items[i];
	}
	/* A node without item nor kids cannot exist; the root is always an object. */
	if (!t.nodes[0].nkids)
		fputs("{}", f);
	else
		emit(f, &t, 0);
	fputc('\n', f);
	err = 0;
out:
	for (i = 0; i < t.n; i++)
		free(t.nodes[i].kids);
	free(t.nodes);
	return err;
}
