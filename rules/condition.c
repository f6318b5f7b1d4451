// SPDX-License-Identifier: GPL-2.0-only
/*
 * The detection section of a rule: its search identifiers (compiled by
 * values.c) combined by the condition, a small recursive-descent parser over
 * and/or/not, parentheses and "1 of"/"all of" name patterns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/internal.h"
#include "rules/parse.h"

enum tok_kind { T_END, T_IDENT, T_AND, T_OR, T_NOT, T_LP, T_RP, T_ONE, T_ALL, T_OF, T_THEM, T_PIPE };

struct cparser {
	struct ctx *c;
	const yaml_node_t *n;
	const char *s;
	size_t pos, tstart;
	int tok;
	char ident[256];
	unsigned depth;
};

static bool ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '*' || ch == '-' || ch == '.';
}

static int cnext(struct cparser *p)
{
	const char *s = p->s;
	size_t b;

	while (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r')
		p->pos++;
	p->tstart = p->pos;
	if (!s[p->pos])
		return p->tok = T_END;
	if (s[p->pos] == '(') {
		p->pos++;
		return p->tok = T_LP;
	}
	if (s[p->pos] == ')') {
		p->pos++;
		return p->tok = T_RP;
	}
	if (s[p->pos] == '|') {
		p->pos++;
		return p->tok = T_PIPE;
	}
	if (!ident_char(s[p->pos]))
		return (unsigned char)s[p->pos] > 0x20 && (unsigned char)s[p->pos] < 0x7f ?
			fail_at(p->c, p->n, p->pos, "unexpected character '%c' in condition", s[p->pos]) :
			fail_at(p->c, p->n, p->pos, "unexpected byte 0x%02x in condition",
				(unsigned char)s[p->pos]);
	b = p->pos;
	while (ident_char(s[p->pos]))
		p->pos++;
	if (p->pos - b >= sizeof(p->ident))
		return fail_at(p->c, p->n, b, "identifier too long in condition");
	memcpy(p->ident, s + b, p->pos - b);
	p->ident[p->pos - b] = 0;
	if (!strcasecmp(p->ident, "and"))
		return p->tok = T_AND;
	if (!strcasecmp(p->ident, "or"))
		return p->tok = T_OR;
	if (!strcasecmp(p->ident, "not"))
		return p->tok = T_NOT;
	if (!strcmp(p->ident, "1") || !strcasecmp(p->ident, "any"))
		return p->tok = T_ONE;
	if (!strcasecmp(p->ident, "all"))
		return p->tok = T_ALL;
	if (!strcasecmp(p->ident, "of"))
		return p->tok = T_OF;
	if (!strcasecmp(p->ident, "them"))
		return p->tok = T_THEM;
	if (!strcasecmp(p->ident, "near"))
		return fail_at(p->c, p->n, b, "'near' (temporal correlation) is not supported");
	return p->tok = T_IDENT;
}

/* '*' globbing without recursion: O(len(pat) * len(s)) even for "a*a*a*b". */
static bool glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

static int c_or(struct cparser *p);

static int c_primary(struct cparser *p)
{
	struct ctx *c = p->c;
	int ret;
	size_t i;

	switch (p->tok) {
	case T_LP:
		if (++p->depth > EDR_RULES_MAX_COND_DEPTH)
			return fail_limit(c, p->n, "condition nests deeper than %u levels",
					  EDR_RULES_MAX_COND_DEPTH);
		if (cnext(p) < 0)
			return -EINVAL;
		ret = c_or(p);
		if (ret < 0)
			return ret;
		if (p->tok != T_RP)
			return fail_at(c, p->n, p->tstart, "expected ')' in condition");
		p->depth--;
		if (cnext(p) < 0)
			return -EINVAL;
		return ret;
	case T_ONE:
	case T_ALL: {
		bool all = p->tok == T_ALL, them;
		struct ilist l = { 0 };
		size_t at;

		if (cnext(p) < 0)
			return -EINVAL;
		if (p->tok != T_OF)
			return fail_at(c, p->n, p->tstart, "expected 'of' after '%s'", all ? "all" : "1");
		if (cnext(p) < 0)
			return -EINVAL;
		at = p->tstart;
		if (p->tok != T_IDENT && p->tok != T_THEM)
			return fail_at(c, p->n, p->tstart, "expected a name pattern or 'them' after 'of'");
		them = p->tok == T_THEM;
		for (i = 0; i < c->nidents; i++) {
			const char *nm = c->idents[i].name;

			if (them ? nm[0] != '_' : glob_match(p->ident, nm)) {
				ret = edr_ilist_add(&l, (int)c->idents[i].node);
				if (ret) {
					free(l.v);
					return ret;
				}
			}
		}
		if (!l.n) {
			free(l.v);
			return fail_at(c, p->n, at, "'%s of %s' matches no search identifier",
				       all ? "all" : "1", them ? "them" : p->ident);
		}
		ret = edr_rule_add_group(c, all ? N_AND : N_OR, l.v, l.n);
		free(l.v);
		if (ret < 0)
			return ret;
		if (cnext(p) < 0)
			return -EINVAL;
		return ret;
	}
	case T_IDENT:
		if (strchr(p->ident, '*'))
			return fail_at(c, p->n, p->tstart,
				       "wildcard '%s' needs '1 of' or 'all of' in front", p->ident);
		for (i = 0; i < c->nidents; i++)
			if (!strcmp(c->idents[i].name, p->ident)) {
				ret = (int)c->idents[i].node;
				if (cnext(p) < 0)
					return -EINVAL;
				return ret;
			}
		return fail_at(c, p->n, p->tstart, "condition names '%s', which is not a search identifier of this detection",
			       p->ident);
	case T_PIPE:
		return fail_at(c, p->n, p->tstart, "aggregations ('| count() ...') are not supported");
	case T_END:
		return fail_at(c, p->n, p->tstart, "condition ends too early");
	default:
		return fail_at(c, p->n, p->tstart, "unexpected '%s' in condition",
			       p->tok == T_RP ? ")" : p->ident);
	}
}

static int c_not(struct cparser *p)
{
	int ret;

	if (p->tok == T_NOT) {
		if (++p->depth > EDR_RULES_MAX_COND_DEPTH)
			return fail_limit(p->c, p->n, "condition nests deeper than %u levels",
					  EDR_RULES_MAX_COND_DEPTH);
		if (cnext(p) < 0)
			return -EINVAL;
		ret = c_not(p);
		p->depth--;
		if (ret < 0)
			return ret;
		return edr_rule_add_node(p->c, N_NOT, (uint32_t)ret, 0);
	}
	return c_primary(p);
}

static int c_and(struct cparser *p)
{
	struct ilist l = { 0 };
	int ret = edr_ilist_add(&l, c_not(p));

	while (!ret && p->tok == T_AND) {
		if (cnext(p) < 0)
			ret = -EINVAL;
		else
			ret = edr_ilist_add(&l, c_not(p));
	}
	if (!ret)
		ret = edr_rule_add_group(p->c, N_AND, l.v, l.n);
	free(l.v);
	return ret;
}

static int c_or(struct cparser *p)
{
	struct ilist l = { 0 };
	int ret = edr_ilist_add(&l, c_and(p));

	while (!ret && p->tok == T_OR) {
		if (cnext(p) < 0)
			ret = -EINVAL;
		else
			ret = edr_ilist_add(&l, c_and(p));
	}
	if (!ret)
		ret = edr_rule_add_group(p->c, N_OR, l.v, l.n);
	free(l.v);
	return ret;
}

static int compile_condition(struct ctx *c, const yaml_node_t *n)
{
	struct cparser p = { .c = c, .n = n, .s = sval(n) };
	int ret;

	if (n->data.scalar.length > EDR_RULES_MAX_COND_LEN)
		return fail_limit(c, n, "condition is %zu bytes long (limit %u)",
				  n->data.scalar.length, EDR_RULES_MAX_COND_LEN);
	if (strlen(p.s) != n->data.scalar.length)
		return fail(c, n, "condition contains a NUL byte");
	if (cnext(&p) < 0)
		return -EINVAL;
	ret = c_or(&p);
	if (ret < 0)
		return ret;
	if (p.tok == T_PIPE)
		return fail_at(c, n, p.tstart, "aggregations ('| count() ...') are not supported");
	if (p.tok != T_END)
		return fail_at(c, n, p.tstart, "unexpected '%s' in condition (missing and/or?)",
			       p.tok == T_RP ? ")" : p.ident);
	return ret;
}

int edr_rules_compile_detection(struct ctx *c, yaml_node_t *det)
{
	yaml_node_t *cond = NULL, *condk = NULL;
	struct ilist l = { 0 };
	size_t i;
	int ret;

	ret = edr_yaml_check_map(c, det, "'detection'");
	if (ret)
		return ret;
	c->idents = calloc(map_len(det) + 1, sizeof(*c->idents));
	if (!c->idents)
		return -ENOMEM;
	for (i = 0; i < map_len(det); i++) {
		yaml_node_pair_t *pr = &det->data.mapping.pairs.start[i];
		yaml_node_t *k = N(c, pr->key), *v = N(c, pr->value);

		if (!strcmp(sval(k), "condition")) {
			cond = v;
			condk = k;
			continue;
		}
		if (!strcmp(sval(k), "timeframe"))
			return fail(c, k, "'timeframe' (correlation) is not supported");
		if (!*sval(k) || strspn(sval(k), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_-.") != strlen(sval(k)))
			return fail(c, k, "search identifier '%s' may only hold letters, digits, '_', '-' and '.'",
				    sval(k));
		ret = edr_rules_compile_search(c, k, v, 0);
		if (ret < 0)
			return ret;
		c->idents[c->nidents].name = sval(k);
		c->idents[c->nidents].node = (uint32_t)ret;
		c->nidents++;
	}
	if (!cond)
		return fail(c, det, "detection has no 'condition'");
	if (is_scalar(cond)) {
		if (is_null(cond))
			return fail(c, condk, "'condition' is empty");
		ret = compile_condition(c, cond);
	} else if (cond->type == YAML_SEQUENCE_NODE && seq_len(cond) &&
		   seq_len(cond) <= EDR_RULES_MAX_LIST_LEN) {
		/* a list of conditions (older Sigma): any of them */
		ret = 0;
		for (i = 0; i < seq_len(cond) && !ret; i++) {
			yaml_node_t *it = N(c, cond->data.sequence.items.start[i]);

			if (!is_scalar(it) || is_null(it))
				ret = fail(c, it, "'condition' list items must be strings");
			else
				ret = edr_ilist_add(&l, compile_condition(c, it));
		}
		if (!ret)
			ret = edr_rule_add_group(c, N_OR, l.v, l.n);
		free(l.v);
	} else {
		return fail(c, cond, "'condition' must be a string or a list of strings");
	}
	if (ret < 0)
		return ret;
	c->r->root = (uint32_t)ret;
	return 0;
}
