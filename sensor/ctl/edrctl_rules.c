// SPDX-License-Identifier: GPL-2.0-only
/*
 * edrctl check-rules PATH [--test]: parse and compile Sigma rules without a
 * running sensor. Each rule gets one line, OK or ERROR, in file order, so
 * a rule author sees every problem of a directory in one run. A set whose
 * deny or kill rule would act on a protected binary gets the one ERROR
 * line the sensor's validate stage would refuse it with.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/edr_rules.h"
#include "sensor/ctl/edrctl.h"
#include "sensor/response/protect.h"

struct line {
	char *file;
	unsigned lineno;
	char *text;
};

struct lines {
	struct line *v;
	size_t n, cap;
	int oom;
};

static void add_line(struct lines *l, const char *file, unsigned lineno, const char *text)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct line *p = realloc(l->v, nc * sizeof(*p));

		if (!p) {
			l->oom = 1;
			return;
		}
		l->v = p;
		l->cap = nc;
	}
	l->v[l->n].file = strdup(file);
	l->v[l->n].text = strdup(text);
	l->v[l->n].lineno = lineno;
	/* one line per rule even if a title holds a newline */
	for (char *q = l->v[l->n].text; q && *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	if (!l->v[l->n].file || !l->v[l->n].text) {
		free(l->v[l->n].file);
		free(l->v[l->n].text);
		l->oom = 1;
		return;
	}
	l->n++;
}

static void on_error(void *ctx, const char *file, unsigned line, unsigned col, const char *msg)
{
	struct lines *l = ctx;
	char *buf;

	if (asprintf(&buf, "ERROR %s", msg) < 0) {
		l->oom = 1;
		return;
	}
	add_line(l, file, line, buf);
	free(buf);
}

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c)
		return c;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

static void free_lines(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].file);
		free(l->v[i].text);
	}
	free(l->v);
}

/* The validate stage's protected-list check (built-in list only): 1 and
 * one ERROR line when the set would be refused, else 0. */
static size_t check_protected(const struct edr_ruleset *rs)
{
	struct edr_protect *p = edr_protect__new(NULL, 0);
	char msg[512];
	int ret;

	if (!p) {
		printf("ERROR the protected list: %s\n", strerror(errno));
		return 1;
	}
	ret = edr_protect__check_ruleset(p, rs, msg, sizeof(msg));
	edr_protect__free(p);
	if (!ret)
		return 0;
	printf("ERROR %s (refused at validate: the protected list)\n", msg);
	return 1;
}

int edrctl_cmd_check_rules(int argc, char **argv)
{
	struct edr_rules_opts opts = { .flags = EDR_RULES_KEEP_GOING };
	struct lines lines = { 0 }, fails = { 0 };
	struct edr_rules_err err = { .on_error = on_error };
	struct edr_ruleset *rs;
	const char *path = NULL;
	bool test = false;
	size_t i, nok, nbad;
	int a, ret = 0;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--test"))
			test = true;
		else if (!strcmp(argv[a], "--require-samples"))
			opts.flags |= EDR_RULES_REQUIRE_SAMPLES;
		else if (argv[a][0] == '-')
			return edrctl_usage_error("check-rules: unknown option '%s'", argv[a]);
		else if (path)
			return edrctl_usage_error("check-rules: one PATH only");
		else
			path = argv[a];
	}
	if (!path)
		return edrctl_usage_error("usage: edrctl check-rules PATH [--test] [--require-samples]");
	err.ctx = &lines;
	rs = edr_ruleset__load_opts(path, &opts, &err);
	nbad = err.nerrors;
	if (!rs) {
		/* a failure of the whole set (I/O, Hyperscan database): one line */
		if (!lines.n)
			add_line(&lines, path, 0, err.msg[0] ? err.msg : strerror(errno));
		nok = 0;
	} else {
		nok = edr_ruleset__count(rs);
		for (i = 0; i < nok; i++) {
			const struct edr_rule *r = edr_ruleset__rule(rs, i);
			char *buf;

			if (asprintf(&buf, "OK    %s  %s  %s", edr_rule__file(r),
				     *edr_rule__id(r) ? edr_rule__id(r) : "-", edr_rule__title(r)) < 0) {
				lines.oom = 1;
				break;
			}
			add_line(&lines, edr_rule__file(r), edr_rule__line(r), buf);
			free(buf);
		}
	}
	qsort(lines.v, lines.n, sizeof(*lines.v), cmp_line);
	for (i = 0; i < lines.n; i++)
		puts(lines.v[i].text);
	if (rs)
		nbad += check_protected(rs);

	if (rs && test) {
		struct edr_rules_err terr = { .on_error = on_error, .ctx = &fails };

		edr_ruleset__selftest(rs, &terr);
		qsort(fails.v, fails.n, sizeof(*fails.v), cmp_line);
		for (i = 0; i < fails.n; i++)
			printf("FAIL  %s\n", fails.v[i].text + strlen("ERROR "));
	}
	if (lines.oom || fails.oom) {
		fprintf(stderr, "edrctl: check-rules: out of memory\n");
		ret = 1;
	}
	printf("%s: %zu rule%s OK, %zu invalid", path, nok, nok == 1 ? "" : "s", nbad);
	if (test)
		printf(", %zu sample failure%s", fails.n, fails.n == 1 ? "" : "s");
	printf("\n");
	if (!rs || nbad || fails.n)
		ret = 1;
	edr_ruleset__free(rs);
	free_lines(&lines);
	free_lines(&fails);
	return ret;
}
