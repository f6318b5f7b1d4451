// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sigma rule loading: YAML (libyaml document API) to rules compiled against
 * the event schema. Every check a rule can fail is made here, at load time,
 * with file:line:col; the evaluator (matcher.c) trusts what this produces.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rules/internal.h"

/* ---- errors ----------------------------------------------------------------- */

static void report(struct edr_rules_err *err, const char *file, unsigned line, unsigned col,
		   const char *msg)
{
	char buf[sizeof(err->msg)];

	if (!err)
		return;
	if (line)
		snprintf(buf, sizeof(buf), "%s:%u:%u: %s", file, line, col, msg);
	else
		snprintf(buf, sizeof(buf), "%s: %s", file, msg);
	/* one line, whatever bytes a rule put in the values we quote */
	for (char *q = buf; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	if (!err->nerrors)
		snprintf(err->msg, sizeof(err->msg), "%s", buf);
	err->nerrors++;
	if (err->on_error)
		err->on_error(err->ctx, file, line, col, buf);
}

/* ---- per-document context ------------------------------------------------- */

/* A string pattern of the rule being compiled, interned only if the rule is valid. */
struct pend {
	int field;
	unsigned flags;
	char *expr;
};

struct ident {
	const char *name;
	uint32_t node;
};

struct ctx {
	const char *file;
	yaml_document_t *doc;
	struct edr_ruleset *rs;
	unsigned flags;
	struct edr_rule *r;
	struct pend *pend;
	size_t npend, cappend;
	size_t nvalues;
	struct ident *idents;
	size_t nidents;
	/* capacities of the rule's growing arrays */
	size_t cap_preds, cap_nodes, cap_kids;
	bool collection;	/* the file is a Sigma rule collection */
	/* first error of the current rule */
	bool failed;
	int errnum;
	unsigned eline, ecol;
	char emsg[400];
};

static int failv(struct ctx *c, int errnum, const yaml_mark_t *mk, const char *fmt, va_list ap)
{
	if (!c->failed) {
		c->failed = true;
		c->errnum = errnum;
		c->eline = mk ? (unsigned)mk->line + 1 : 0;
		c->ecol = mk ? (unsigned)mk->column + 1 : 0;
		vsnprintf(c->emsg, sizeof(c->emsg), fmt, ap);
	}
	return -errnum;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, EINVAL, n ? &n->start_mark : NULL, fmt, ap);
	va_end(ap);
	return ret;
}

__attribute__((format(printf, 3, 4)))
static int fail_limit(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, E2BIG, n ? &n->start_mark : NULL, fmt, ap);
	va_end(ap);
	return ret;
}

__attribute__((format(printf, 4, 5)))
static int fail_at(struct ctx *c, const yaml_node_t *n, size_t coloff, const char *fmt, ...)
{
	va_list ap;
	yaml_mark_t mk = n->start_mark;
	int ret;

	/* a plain or quoted one-line scalar: point into it */
	if (n->start_mark.line == n->end_mark.line)
		mk.column += coloff + (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1);
	va_start(ap, fmt);
	ret = failv(c, EINVAL, &mk, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- YAML helpers ------------------------------------------------------------ */

static yaml_node_t *N(struct ctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

static bool is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (!is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static size_t map_len(const yaml_node_t *n)
{
	return n->data.mapping.pairs.top - n->data.mapping.pairs.start;
}

static size_t seq_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

static const char *type_word(const yaml_node_t *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case YAML_SCALAR_NODE: return "a scalar";
	case YAML_SEQUENCE_NODE: return "a list";
	case YAML_MAPPING_NODE: return "a map";
	default: return "nothing";
	}
}

/* Checks a map: scalar keys without NUL bytes, no duplicates, bounded size. */
static int check_map(struct ctx *c, yaml_node_t *m, const char *what)
{
	size_t i, j, n;

	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, m, "%s must be a map, not %s", what, type_word(m));
	n = map_len(m);
	if (n > EDR_RULES_MAX_LIST_LEN)
		return fail_limit(c, m, "%s has %zu keys (limit %u)", what, n,
				  EDR_RULES_MAX_LIST_LEN);
	for (i = 0; i < n; i++) {
		yaml_node_t *k = N(c, m->data.mapping.pairs.start[i].key);

		if (!is_scalar(k))
			return fail(c, k, "keys of %s must be scalars", what);
		if (strlen(sval(k)) != k->data.scalar.length)
			return fail(c, k, "key of %s contains a NUL byte", what);
		for (j = 0; j < i; j++) {
			yaml_node_t *k2 = N(c, m->data.mapping.pairs.start[j].key);

			if (!strcmp(sval(k), sval(k2)))
				return fail(c, k, "duplicate key '%s' in %s (first at line %zu)",
					    sval(k), what, k2->start_mark.line + 1);
		}
	}
	return 0;
}

static yaml_node_t *map_get(struct ctx *c, yaml_node_t *m, const char *key, yaml_node_t **keynode)
{
	size_t i;

	for (i = 0; i < map_len(m); i++) {
		yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
		yaml_node_t *k = N(c, p->key);

		if (is_scalar(k) && !strcmp(sval(k), key)) {
			if (keynode)
				*keynode = k;
			return N(c, p->value);
		}
	}
	return NULL;
}

static int get_str(struct ctx *c, yaml_node_t *m, const char *key, bool required, char **out)
{
	yaml_node_t *k = NULL, *v = map_get(c, m, key, &k);

	*out = NULL;
	if (!v || is_null(v)) {
		if (required)
			return fail(c, v ? v : m, "rule has no '%s'", key);
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (!is_scalar(v))
		return fail(c, v, "'%s' must be a string, not %s", key, type_word(v));
	if (v->data.scalar.length > EDR_RULES_MAX_STR)
		return fail_limit(c, v, "'%s' is %zu bytes long (limit %u)", key,
				  v->data.scalar.length, EDR_RULES_MAX_STR);
	*out = strdup(sval(v));
	return *out ? 0 : -ENOMEM;
}

/* A scalar or a list of scalars (references, falsepositives, fields). */
static int check_str_list(struct ctx *c, yaml_node_t *m, const char *key)
{
	yaml_node_t *v = map_get(c, m, key, NULL);
	size_t i;

	if (!v || is_scalar(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(c, v, "'%s' must be a list of strings, not %s", key, type_word(v));
	if (seq_len(v) > EDR_RULES_MAX_LIST_LEN)
		return fail_limit(c, v, "'%s' has %zu items (limit %u)", key, seq_len(v),
				  EDR_RULES_MAX_LIST_LEN);
	for (i = 0; i < seq_len(v); i++) {
		yaml_node_t *it = N(c, v->data.sequence.items.start[i]);

		if (!is_scalar(it))
			return fail(c, it, "items of '%s' must be strings, not %s", key,
				    type_word(it));
	}
	return 0;
}

static const char *const known_mods[] = {
	"contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cidr",
	"base64", "base64offset", "windash", "exists", "gt", "gte", "lt", "lte",
	"fieldref", "cased",
};

/* Sigma modifiers we know of but do not implement, and why. */
static const char *unsupported_mod(const char *m)
{
	if (!strcmp(m, "utf16le") || !strcmp(m, "utf16be") || !strcmp(m, "utf16") ||
	    !strcmp(m, "wide"))
		return "UTF-16 encodings are for Windows event data; Linux events are UTF-8";
	if (!strcmp(m, "expand"))
		return "placeholders need a pipeline that defines them";
	if (!strcmp(m, "minute") || !strcmp(m, "hour") || !strcmp(m, "day") ||
	    !strcmp(m, "week") || !strcmp(m, "month") || !strcmp(m, "year"))
		return "time-part comparisons are not supported";
	return NULL;
}

/* ---- rule building ------------------------------------------------------------ */

#define GROW(arr, n, cap)                                                          \
	({                                                                         \
		int _ok = 1;                                                       \
		if ((n) >= (cap)) {                                                \
			size_t _nc = (cap) ? (cap) * 2 : 8;                        \
			void *_p = realloc((arr), _nc * sizeof(*(arr)));           \
			if (_p) {                                                  \
				(arr) = _p;                                        \
				(cap) = _nc;                                       \
			} else {                                                   \
				_ok = 0;                                           \
			}                                                          \
		}                                                                  \
		_ok;                                                               \
	})


/* Returns the node index or a negative errno. */
static int add_node(struct ctx *c, uint8_t kind, uint32_t a, uint32_t n)
{
	struct edr_rule *r = c->r;

	if (r->nnodes >= 4 * EDR_RULES_MAX_VALUES_PER_RULE)
		return fail_limit(c, NULL, "rule is too large");
	if (!GROW(r->nodes, r->nnodes, c->cap_nodes))
		return -ENOMEM;
	r->nodes[r->nnodes] = (struct node){ .kind = kind, .a = a, .n = n };
	return (int)r->nnodes++;
}

static int add_pred(struct ctx *c, const yaml_node_t *where, const struct pred *p)
{
	struct edr_rule *r = c->r;

	if (++c->nvalues > EDR_RULES_MAX_VALUES_PER_RULE)
		return fail_limit(c, where, "rule has more than %u values",
				  EDR_RULES_MAX_VALUES_PER_RULE);
	if (!GROW(r->preds, r->npreds, c->cap_preds))
		return -ENOMEM;
	r->preds[r->npreds] = *p;
	return add_node(c, N_PRED, (uint32_t)r->npreds++, 0);
}

/* An AND/OR over child nodes (one child: the child itself). */
static int add_group(struct ctx *c, uint8_t kind, const uint32_t *kids, size_t n)
{
	struct edr_rule *r = c->r;
	size_t first = r->nkids, i;

	if (n == 0)
		return add_node(c, kind == N_AND ? N_TRUE : N_FALSE, 0, 0);
	if (n == 1)
		return (int)kids[0];
	for (i = 0; i < n; i++) {
		if (!GROW(r->kids, r->nkids, c->cap_kids))
			return -ENOMEM;
		r->kids[r->nkids++] = kids[i];
	}
	return add_node(c, kind, (uint32_t)first, (uint32_t)n);
}

/* A pattern of this rule; the P_ATOM pred refers to the pending index. */
static int add_atom(struct ctx *c, const yaml_node_t *where, int field, unsigned flags, char *expr)
{
	struct pred p = { .kind = P_ATOM };

	if (!GROW(c->pend, c->npend, c->cappend)) {
		free(expr);
		return -ENOMEM;
	}
	c->pend[c->npend] = (struct pend){ .field = field, .flags = flags, .expr = expr };
	p.atom = (uint32_t)c->npend++;
	p.field = field < 0 ? 0xffff : (uint16_t)field;
	return add_pred(c, where, &p);
}

/* Dynamic list of node indices. */
struct ilist {
	uint32_t *v;
	size_t n, cap;
};

static int ilist_add(struct ilist *l, int idx)
{
	if (idx < 0)
		return idx;
	if (!GROW(l->v, l->n, l->cap))
		return -ENOMEM;
	l->v[l->n++] = (uint32_t)idx;
	return 0;
}

/* ---- values --------------------------------------------------------------------- */

enum {
	MOD_CONTAINS = 1 << 0, MOD_STARTS = 1 << 1, MOD_ENDS = 1 << 2, MOD_ALL = 1 << 3,
	MOD_RE = 1 << 4, MOD_I = 1 << 5, MOD_M = 1 << 6, MOD_S = 1 << 7, MOD_CIDR = 1 << 8,
	MOD_B64 = 1 << 9, MOD_B64OFF = 1 << 10, MOD_WINDASH = 1 << 11, MOD_EXISTS = 1 << 12,
	MOD_GT = 1 << 13, MOD_GTE = 1 << 14, MOD_LT = 1 << 15, MOD_LTE = 1 << 16,
	MOD_FIELDREF = 1 << 17, MOD_CASED = 1 << 18,
};
#define MOD_CMP (MOD_GT | MOD_GTE | MOD_LT | MOD_LTE)
#define MOD_MODE (MOD_CONTAINS | MOD_STARTS | MOD_ENDS)

static bool parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, int64_t *out)
{
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcmp(s, "1")) {
		*out = 1;
		return true;
	}
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcmp(s, "0")) {
		*out = 0;
		return true;
	}
	return false;
}

/* Keywords are full-text searches: contains unless told otherwise. */
static int str_mode(unsigned mods, int field)
{
	if ((mods & MOD_CONTAINS) || (field < 0 && !(mods & (MOD_STARTS | MOD_ENDS))))
		return M_CONTAINS;
	if (mods & MOD_STARTS)
		return M_STARTS;
	if (mods & MOD_ENDS)
		return M_ENDS;
	return M_EXACT;
}

/* A literal (or wildcard) string value on a field (or keyword, field < 0). */
static int string_value(struct ctx *c, const yaml_node_t *vn, int field, unsigned mods,
			const char *v, size_t len, bool literal, bool cased, int mode)
{
	unsigned flags = HS_FLAG_SINGLEMATCH | HS_FLAG_DOTALL;
	char *expr;
	int ret;

	if (!cased)
		flags |= HS_FLAG_CASELESS;
	ret = edr_pat_from_sigma(v, len, mode, mods & MOD_WINDASH, literal, &expr);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		struct pred p = { .kind = P_SET, .field = (uint16_t)field };

		if (field < 0) /* a keyword "*" matches every event */
			return add_node(c, N_TRUE, 0, 0);
		return add_pred(c, vn, &p);
	}
	/* only "^\z" (the empty value) can match nothing; the flag costs speed */
	if (!strcmp(expr, "^\\z"))
		flags |= HS_FLAG_ALLOWEMPTY;
	return add_atom(c, vn, field, flags, expr);
}

static int one_value(struct ctx *c, const yaml_node_t *kn, const yaml_node_t *vn, int field,
		     unsigned mods)
{
	int cat = c->r->cat;
	int type = field < 0 ? EDR_FT_STR : edr_schema_field_type(cat, field);
	const char *fname = field < 0 ? "keyword" : edr_schema_field_name(cat, field);
	const char *v;
	size_t len;
	struct pred p = { .field = field < 0 ? 0 : (uint16_t)field };
	int ret;

	if (!is_scalar(vn))
		return fail(c, vn, "value of '%s' must be a scalar or a list of scalars, not %s",
			    fname, type_word(vn));
	v = sval(vn);
	len = vn->data.scalar.length;
	if (len > EDR_RULES_MAX_PATTERN_LEN)
		return fail_limit(c, vn, "value of '%s' is %zu bytes long (limit %u)", fname, len,
				  EDR_RULES_MAX_PATTERN_LEN);

	if (is_null(vn)) {
		if (mods & ~MOD_ALL)
			return fail(c, vn, "null cannot be combined with modifiers");
		if (field < 0)
			return fail(c, vn, "a keyword cannot be null");
		p.kind = P_NULL;
		return add_pred(c, vn, &p);
	}

	if (mods & MOD_EXISTS) {
		int64_t b;

		if (!parse_bool(v, &b))
			return fail(c, vn, "'exists' takes true or false, not '%s'", v);
		p.kind = P_SET;
		ret = add_pred(c, vn, &p);
		if (ret < 0 || b)
			return ret;
		return add_node(c, N_NOT, (uint32_t)ret, 0);
	}

	if (mods & MOD_FIELDREF) {
		int f2 = edr_schema_field_by_name(cat, v), t2;

		if (f2 < 0) {
			const char *sug = edr_schema_field_suggest(cat, v);

			return fail(c, vn, "fieldref: field '%s' is not in category %s%s%s%s", v,
				    edr_schema_cat_name(cat), sug ? " (did you mean '" : "",
				    sug ? sug : "", sug ? "'?)" : "");
		}
		t2 = edr_schema_field_type(cat, f2);
		if ((type == EDR_FT_INT || type == EDR_FT_BOOL) != (t2 == EDR_FT_INT || t2 == EDR_FT_BOOL))
			return fail(c, vn, "fieldref: '%s' is %s and '%s' is %s", fname,
				    edr_schema_type_name(type), v, edr_schema_type_name(t2));
		if ((type == EDR_FT_INT || type == EDR_FT_BOOL) && (mods & MOD_MODE))
			return fail(c, kn, "fieldref on %s field '%s' cannot use contains/startswith/endswith",
				    edr_schema_type_name(type), fname);
		p.kind = P_FIELDREF;
		p.field2 = (uint16_t)f2;
		p.cased = !!(mods & MOD_CASED);
		p.op = mods & MOD_CONTAINS ? OP_CONTAINS : mods & MOD_STARTS ? OP_STARTS :
		       mods & MOD_ENDS ? OP_ENDS : OP_EQ;
		return add_pred(c, vn, &p);
	}

	if (mods & MOD_CMP) {
		if (type != EDR_FT_INT)
			return fail(c, kn, "'%s' is %s: gt/gte/lt/lte need an INT field", fname,
				    edr_schema_type_name(type));
		if (!parse_int(v, &p.n))
			return fail(c, vn, "field '%s' is INT in category %s: value '%s' is not an integer",
				    fname, edr_schema_cat_name(cat), v);
		p.kind = P_INT;
		p.op = mods & MOD_GT ? OP_GT : mods & MOD_GTE ? OP_GTE : mods & MOD_LT ? OP_LT : OP_LTE;
		return add_pred(c, vn, &p);
	}

	if (mods & MOD_CIDR) {
		if (type != EDR_FT_IP)
			return fail(c, kn, "'%s' is %s: cidr needs an IP field", fname,
				    edr_schema_type_name(type));
		if (edr_pat_parse_cidr(v, p.addr, &p.family, &p.prefix))
			return fail(c, vn, "'%s' is not a valid CIDR network (a.b.c.d/n or v6/n)", v);
		p.kind = P_CIDR;
		return add_pred(c, vn, &p);
	}

	if (type == EDR_FT_INT || type == EDR_FT_BOOL) {
		if (type == EDR_FT_INT && !parse_int(v, &p.n))
			return fail(c, vn, "field '%s' is INT in category %s: value '%s' is not an integer",
				    fname, edr_schema_cat_name(cat), v);
		if (type == EDR_FT_BOOL && !parse_bool(v, &p.n))
			return fail(c, vn, "field '%s' is BOOL in category %s: value '%s' is not true or false",
				    fname, edr_schema_cat_name(cat), v);
		p.kind = P_INT;
		p.op = OP_EQ;
		return add_pred(c, vn, &p);
	}

	if (mods & MOD_RE) {
		unsigned flags = HS_FLAG_SINGLEMATCH;
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *cerr = NULL;
		char *expr;

		if (strlen(v) != len)
			return fail(c, vn, "regular expression contains a NUL byte");
		if (edr_pat_regex_cost(v) > EDR_RULES_MAX_REGEX_COST)
			return fail_limit(c, vn, "regular expression '%s' expands to more than %u "
					  "states (bounded repeats multiply); lower its repeat counts",
					  v, EDR_RULES_MAX_REGEX_COST);
		if (mods & MOD_I)
			flags |= HS_FLAG_CASELESS;
		if (mods & MOD_M)
			flags |= HS_FLAG_MULTILINE;
		if (mods & MOD_S)
			flags |= HS_FLAG_DOTALL;
		if (hs_expression_info(v, flags | HS_FLAG_ALLOWEMPTY, &info, &cerr) != HS_SUCCESS) {
			ret = fail(c, vn, "regular expression '%s' rejected: %s", v,
				   cerr ? cerr->message : "unknown error");
			hs_free_compile_error(cerr);
			return ret;
		}
		/* an expression that can match empty matches every set field */
		if (info->min_width == 0)
			flags |= HS_FLAG_ALLOWEMPTY;
		free(info);
		/*
		 * Some limits (pattern too large, resource limits of bounded
		 * repeats) only show when compiling: find them here, where the
		 * error can name this rule, not when the whole set is built.
		 */
		{
			hs_database_t *db = NULL;

			if (hs_compile(v, flags, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS) {
				ret = fail(c, vn, "regular expression '%s' rejected: %s", v,
					   cerr ? cerr->message : "unknown error");
				hs_free_compile_error(cerr);
				return ret;
			}
			hs_free_database(db);
		}
		expr = strdup(v);
		if (!expr)
			return -ENOMEM;
		return add_atom(c, vn, field, flags, expr);
	}

	if (mods & (MOD_B64 | MOD_B64OFF)) {
		char *raw, *enc[3] = { 0 };
		size_t rawlen, i, n = 1;
		struct ilist l = { 0 };

		if (edr_pat_unescape(v, len, &raw, &rawlen))
			return fail(c, vn, "a value with wildcards cannot be base64-encoded");
		if (mods & MOD_B64OFF) {
			ret = edr_pat_base64offset(raw, rawlen, enc);
			n = 3;
		} else {
			enc[0] = edr_pat_base64(raw, rawlen);
			ret = enc[0] ? 0 : -ENOMEM;
		}
		free(raw);
		/* base64 text is case-significant: encoded values match cased */
		for (i = 0; !ret && i < n; i++)
			ret = ilist_add(&l, string_value(c, vn, field, mods, enc[i], strlen(enc[i]),
							 true, true, str_mode(mods, field)));
		for (i = 0; i < 3; i++)
			free(enc[i]);
		if (!ret)
			ret = add_group(c, N_OR, l.v, l.n);
		free(l.v);
		return ret;
	}

	return string_value(c, vn, field, mods, v, len, false, mods & MOD_CASED, str_mode(mods, field));
}

/* "Field|mod|mod: value or list" (field empty: keyword with modifiers). */
static int compile_item(struct ctx *c, yaml_node_t *kn, yaml_node_t *vn)
{
	char *key = strdup(sval(kn)), *save = NULL, *tok, *bar;
	int cat = c->r->cat, field = -1, ret;
	unsigned mods = 0;
	struct ilist l = { 0 };
	size_t i;

	if (!key)
		return -ENOMEM;
	bar = strchr(key, '|');
	if (bar)
		*bar = 0;
	if (*key) {
		field = edr_schema_field_by_name(cat, key);
		if (field < 0) {
			const char *sug = edr_schema_field_suggest(cat, key);

			ret = fail(c, kn, "field '%s' is not in category %s%s%s%s", key,
				   edr_schema_cat_name(cat), sug ? " (did you mean '" : "",
				   sug ? sug : "", sug ? "'?)" : "");
			goto out;
		}
	}
	for (save = bar ? bar + 1 : NULL; (tok = strsep(&save, "|"));) {
		const char *why = unsupported_mod(tok);
		unsigned bit = 0;

		if (!*tok) {
			ret = fail(c, kn, "empty modifier in '%s'", sval(kn));
			goto out;
		}

		for (i = 0; i < sizeof(known_mods) / sizeof(known_mods[0]); i++)
			if (!strcmp(tok, known_mods[i]))
				bit = 1u << i;
		if (why) {
			ret = fail(c, kn, "unsupported modifier '%s': %s", tok, why);
			goto out;
		}
		if (!bit) {
			const char *best = NULL;
			unsigned d, bd = 3;

			for (i = 0; i < sizeof(known_mods) / sizeof(known_mods[0]); i++) {
				d = edr_edit_distance(tok, known_mods[i]);
				if (d < bd && strlen(known_mods[i]) > 2) {
					bd = d;
					best = known_mods[i];
				}
			}
			ret = fail(c, kn, "unknown modifier '%s'%s%s%s", tok,
				   best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
			goto out;
		}
		if (mods & bit) {
			ret = fail(c, kn, "modifier '%s' given twice", tok);
			goto out;
		}
		mods |= bit;
	}

	/* combinations that have no meaning are errors, not guesses */
	ret = -1;
	if (__builtin_popcount(mods & MOD_MODE) > 1)
		ret = fail(c, kn, "only one of contains, startswith, endswith may be given");
	else if (__builtin_popcount(mods & (MOD_RE | MOD_CIDR | MOD_EXISTS | MOD_CMP | MOD_FIELDREF |
					    MOD_B64 | MOD_B64OFF)) > 1)
		ret = fail(c, kn, "modifiers re, cidr, exists, gt/gte/lt/lte, fieldref and base64 "
			   "exclude each other");
	else if ((mods & (MOD_I | MOD_M | MOD_S)) && !(mods & MOD_RE))
		ret = fail(c, kn, "modifiers i, m and s apply to re only");
	else if ((mods & MOD_RE) && (mods & (MOD_MODE | MOD_WINDASH | MOD_CASED)))
		ret = fail(c, kn, "re cannot be combined with contains/startswith/endswith/windash/cased "
			   "(write it in the expression; re is case-sensitive unless |i)");
	else if ((mods & (MOD_CIDR | MOD_EXISTS | MOD_CMP)) &&
		 (mods & (MOD_MODE | MOD_WINDASH | MOD_CASED)))
		ret = fail(c, kn, "cidr, exists and gt/gte/lt/lte cannot be combined with string modifiers");
	else if ((mods & MOD_FIELDREF) && (mods & MOD_WINDASH))
		ret = fail(c, kn, "fieldref cannot be combined with windash");
	else if (field < 0 && (mods & (MOD_CIDR | MOD_EXISTS | MOD_CMP | MOD_FIELDREF)))
		ret = fail(c, kn, "a keyword search cannot use cidr, exists, gt/gte/lt/lte or fieldref");
	else if (field >= 0 && (mods & (MOD_MODE | MOD_RE | MOD_WINDASH | MOD_B64 | MOD_B64OFF | MOD_CASED)) &&
		 edr_schema_field_type(cat, field) != EDR_FT_STR &&
		 edr_schema_field_type(cat, field) != EDR_FT_IP && !(mods & MOD_FIELDREF))
		ret = fail(c, kn, "field '%s' is %s: string modifiers need a STR or IP field",
			   edr_schema_field_name(cat, field),
			   edr_schema_type_name(edr_schema_field_type(cat, field)));
	if (ret != -1)
		goto out;
	ret = 0;

	if (vn->type == YAML_SEQUENCE_NODE) {
		size_t n = seq_len(vn);

		if (!n) {
			ret = fail(c, vn, "empty list of values for '%s'", sval(kn));
			goto out;
		}
		if (n > EDR_RULES_MAX_LIST_LEN) {
			ret = fail_limit(c, vn, "list has %zu values (limit %u)", n,
					 EDR_RULES_MAX_LIST_LEN);
			goto out;
		}
		for (i = 0; i < n && !ret; i++)
			ret = ilist_add(&l, one_value(c, kn, N(c, vn->data.sequence.items.start[i]),
						      field, mods));
	} else {
		ret = ilist_add(&l, one_value(c, kn, vn, field, mods));
	}
	if (!ret)
		ret = add_group(c, mods & MOD_ALL ? N_AND : N_OR, l.v, l.n);
out:
	free(l.v);
	free(key);
	return ret;
}

/* A search identifier: map (AND of items), list of maps (OR), list of keywords (OR). */
static int compile_search(struct ctx *c, yaml_node_t *name, yaml_node_t *v, unsigned depth)
{
	struct ilist l = { 0 };
	size_t i;
	int ret = 0;

	if (v->type == YAML_MAPPING_NODE) {
		ret = check_map(c, v, "a search identifier");
		if (ret)
			return ret;
		if (!map_len(v))
			return fail(c, v, "search identifier '%s' is empty", sval(name));
		for (i = 0; i < map_len(v) && !ret; i++) {
			yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];

			ret = ilist_add(&l, compile_item(c, N(c, p->key), N(c, p->value)));
		}
		if (!ret)
			ret = add_group(c, N_AND, l.v, l.n);
	} else if (v->type == YAML_SEQUENCE_NODE) {
		size_t n = seq_len(v);
		bool maps = false, scalars = false;

		if (!n)
			return fail(c, v, "search identifier '%s' is an empty list", sval(name));
		if (n > EDR_RULES_MAX_LIST_LEN)
			return fail_limit(c, v, "list has %zu items (limit %u)", n,
					  EDR_RULES_MAX_LIST_LEN);
		for (i = 0; i < n; i++) {
			yaml_node_t *it = N(c, v->data.sequence.items.start[i]);

			if (it->type == YAML_MAPPING_NODE)
				maps = true;
			else if (it->type == YAML_SCALAR_NODE)
				scalars = true;
			else
				return fail(c, it, "items of '%s' must be maps or keywords, not %s",
					    sval(name), type_word(it));
		}
		if (maps && scalars)
			return fail(c, v, "'%s' mixes maps and keywords in one list", sval(name));
		for (i = 0; i < n && !ret; i++) {
			yaml_node_t *it = N(c, v->data.sequence.items.start[i]);

			if (maps && depth == 0)
				ret = ilist_add(&l, compile_search(c, name, it, depth + 1));
			else if (maps)
				ret = fail(c, it, "nested lists of maps are not allowed");
			else
				ret = ilist_add(&l, one_value(c, it, it, -1, 0));
		}
		if (!ret)
			ret = add_group(c, N_OR, l.v, l.n);
	} else if (is_null(v)) {
		return fail(c, v, "search identifier '%s' is empty", sval(name));
	} else {
		ret = one_value(c, v, v, -1, 0);
	}
	free(l.v);
	return ret;
}

/* ---- condition ---------------------------------------------------------------- */

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
				ret = ilist_add(&l, (int)c->idents[i].node);
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
		ret = add_group(c, all ? N_AND : N_OR, l.v, l.n);
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
		return add_node(p->c, N_NOT, (uint32_t)ret, 0);
	}
	return c_primary(p);
}

static int c_and(struct cparser *p)
{
	struct ilist l = { 0 };
	int ret = ilist_add(&l, c_not(p));

	while (!ret && p->tok == T_AND) {
		if (cnext(p) < 0)
			ret = -EINVAL;
		else
			ret = ilist_add(&l, c_not(p));
	}
	if (!ret)
		ret = add_group(p->c, N_AND, l.v, l.n);
	free(l.v);
	return ret;
}

static int c_or(struct cparser *p)
{
	struct ilist l = { 0 };
	int ret = ilist_add(&l, c_and(p));

	while (!ret && p->tok == T_OR) {
		if (cnext(p) < 0)
			ret = -EINVAL;
		else
			ret = ilist_add(&l, c_and(p));
	}
	if (!ret)
		ret = add_group(p->c, N_OR, l.v, l.n);
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

static int compile_detection(struct ctx *c, yaml_node_t *det)
{
	yaml_node_t *cond = NULL, *condk = NULL;
	struct ilist l = { 0 };
	size_t i;
	int ret;

	ret = check_map(c, det, "'detection'");
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
		ret = compile_search(c, k, v, 0);
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
				ret = ilist_add(&l, compile_condition(c, it));
		}
		if (!ret)
			ret = add_group(c, N_OR, l.v, l.n);
		free(l.v);
	} else {
		return fail(c, cond, "'condition' must be a string or a list of strings");
	}
	if (ret < 0)
		return ret;
	c->r->root = (uint32_t)ret;
	return 0;
}

/* ---- samples ------------------------------------------------------------------- */

static int compile_samples(struct ctx *c, yaml_node_t *root)
{
	struct edr_rule *r = c->r;
	yaml_node_t *k = NULL, *s = map_get(c, root, "x-edr-samples", &k);
	size_t i, j, total = 0, cap = 0, capstr = 0;
	int ret;

	if (!s)
		return 0;
	ret = check_map(c, s, "'x-edr-samples'");
	if (ret)
		return ret;
	for (i = 0; i < map_len(s); i++) {
		yaml_node_pair_t *pr = &s->data.mapping.pairs.start[i];
		yaml_node_t *lk = N(c, pr->key), *lv = N(c, pr->value);
		bool match;

		if (!strcmp(sval(lk), "match"))
			match = true;
		else if (!strcmp(sval(lk), "nomatch"))
			match = false;
		else
			return fail(c, lk, "unknown key '%s' in x-edr-samples (match or nomatch)",
				    sval(lk));
		if (lv->type != YAML_SEQUENCE_NODE)
			return fail(c, lv, "x-edr-samples %s must be a list of events", sval(lk));
		for (j = 0; j < seq_len(lv); j++) {
			yaml_node_t *ev = N(c, lv->data.sequence.items.start[j]);
			struct sample *sm;
			size_t f;

			if (++total > EDR_RULES_MAX_SAMPLES)
				return fail_limit(c, ev, "more than %u samples", EDR_RULES_MAX_SAMPLES);
			ret = check_map(c, ev, "a sample event");
			if (ret)
				return ret;
			if (!GROW(r->samples, r->nsamples, cap))
				return -ENOMEM;
			sm = &r->samples[r->nsamples++];
			memset(sm, 0, sizeof(*sm));
			sm->match = match;
			sm->line = (unsigned)ev->start_mark.line + 1;
			sm->col = (unsigned)ev->start_mark.column + 1;
			sm->index = (unsigned)j;
			if (match)
				r->has_match_sample = true;
			else
				r->has_nomatch_sample = true;
			for (f = 0; f < map_len(ev); f++) {
				yaml_node_pair_t *fp = &ev->data.mapping.pairs.start[f];
				yaml_node_t *fk = N(c, fp->key), *fv = N(c, fp->value);
				int fi = edr_schema_field_by_name(r->cat, sval(fk)), type;
				struct edr_field_value *val;
				uint8_t addr[16];

				if (fi < 0) {
					const char *sug = edr_schema_field_suggest(r->cat, sval(fk));

					return fail(c, fk, "sample field '%s' is not in category %s%s%s%s",
						    sval(fk), edr_schema_cat_name(r->cat),
						    sug ? " (did you mean '" : "", sug ? sug : "",
						    sug ? "'?)" : "");
				}
				if (!is_scalar(fv))
					return fail(c, fv, "sample field '%s' must be a scalar, not %s",
						    sval(fk), type_word(fv));
				if (is_null(fv))
					continue; /* explicitly absent */
				type = edr_schema_field_type(r->cat, fi);
				val = &sm->f[fi];
				if (type == EDR_FT_INT && !parse_int(sval(fv), &val->n))
					return fail(c, fv, "sample field '%s' is INT: '%s' is not an integer",
						    sval(fk), sval(fv));
				if (type == EDR_FT_BOOL && !parse_bool(sval(fv), &val->n))
					return fail(c, fv, "sample field '%s' is BOOL: '%s' is not true or false",
						    sval(fk), sval(fv));
				if (type == EDR_FT_IP && inet_pton(AF_INET, sval(fv), addr) != 1 &&
				    inet_pton(AF_INET6, sval(fv), addr) != 1)
					return fail(c, fv, "sample field '%s' is IP: '%s' is not an address",
						    sval(fk), sval(fv));
				if (!GROW(r->sample_strs, r->nsample_strs, capstr))
					return -ENOMEM;
				r->sample_strs[r->nsample_strs] = malloc(fv->data.scalar.length + 1);
				if (!r->sample_strs[r->nsample_strs])
					return -ENOMEM;
				memcpy(r->sample_strs[r->nsample_strs], sval(fv), fv->data.scalar.length + 1);
				val->s = r->sample_strs[r->nsample_strs++];
				val->len = (uint32_t)fv->data.scalar.length;
				val->set = 1;
			}
		}
	}
	return 0;
}

/* ---- rules -------------------------------------------------------------------------- */

static void rule_free(struct edr_rule *r)
{
	size_t i;

	if (!r)
		return;
	free(r->id), free(r->title), free(r->description), free(r->level), free(r->status);
	free(r->file);
	for (i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	for (i = 0; i < r->ntechs; i++)
		free(r->techs[i]);
	free(r->techs);
	free(r->preds), free(r->nodes), free(r->kids), free(r->samples);
	for (i = 0; i < r->nsample_strs; i++)
		free(r->sample_strs[i]);
	free(r->sample_strs);
	free(r);
}

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(v, *set))
			return true;
	return false;
}

/* attack.t1059.004 -> T1059.004; NULL if the tag is not a technique. */
static char *technique_of(const char *tag)
{
	const char *t;
	char *out;
	size_t i;

	if (strncasecmp(tag, "attack.t", 8))
		return NULL;
	t = tag + 8;
	for (i = 0; i < 4; i++)
		if (t[i] < '0' || t[i] > '9')
			return NULL;
	if (t[4] && !(t[4] == '.' && t[5] >= '0' && t[5] <= '9' && t[6] >= '0' && t[6] <= '9' &&
		      t[7] >= '0' && t[7] <= '9' && !t[8]))
		return NULL;
	out = malloc(strlen(t) + 2);
	if (!out)
		return NULL;
	out[0] = 'T';
	strcpy(out + 1, t);
	return out;
}

static int parse_meta(struct ctx *c, yaml_node_t *root)
{
	static const char *const statuses[] = { "stable", "test", "experimental", "deprecated",
						"unsupported", NULL };
	static const char *const levels[] = { "informational", "low", "medium", "high",
					      "critical", NULL };
	struct edr_rule *r = c->r;
	yaml_node_t *k, *v;
	size_t i;
	int ret;

	if ((v = map_get(c, root, "action", &k))) {
		c->collection = true;
		return fail(c, k, "rule collections ('action: %s') are not supported: write each rule "
			    "as a complete YAML document", is_scalar(v) ? sval(v) : "?");
	}
	if (map_get(c, root, "correlation", &k))
		return fail(c, k, "correlation rules are not supported");
	if (map_get(c, root, "filter", &k))
		return fail(c, k, "Sigma filter documents are not supported");

	if ((ret = get_str(c, root, "title", true, &r->title)) ||
	    (ret = get_str(c, root, "id", false, &r->id)) ||
	    (ret = get_str(c, root, "description", false, &r->description)) ||
	    (ret = get_str(c, root, "status", false, &r->status)) ||
	    (ret = get_str(c, root, "level", false, &r->level)))
		return ret;
	if (!*r->title)
		return fail(c, map_get(c, root, "title", NULL), "'title' is empty");
	if (*r->status && !one_of(r->status, statuses))
		return fail(c, map_get(c, root, "status", NULL),
			    "unknown status '%s' (stable, test, experimental, deprecated, unsupported)",
			    r->status);
	if (*r->level && !one_of(r->level, levels))
		return fail(c, map_get(c, root, "level", NULL),
			    "unknown level '%s' (informational, low, medium, high, critical)", r->level);
	if (!*r->level) {
		free(r->level);
		r->level = strdup("medium");
		if (!r->level)
			return -ENOMEM;
	}
	for (i = 0; i < 5; i++) {
		static const char *const lists[] = { "references", "falsepositives", "fields",
						     "author", "date" };

		if ((ret = check_str_list(c, root, lists[i])))
			return ret;
	}

	v = map_get(c, root, "tags", &k);
	if (v && !is_null(v)) {
		size_t cap = 0, capt = 0;

		if (v->type != YAML_SEQUENCE_NODE)
			return fail(c, v, "'tags' must be a list of strings, not %s", type_word(v));
		if (seq_len(v) > EDR_RULES_MAX_LIST_LEN)
			return fail_limit(c, v, "'tags' has %zu items (limit %u)", seq_len(v),
					  EDR_RULES_MAX_LIST_LEN);
		for (i = 0; i < seq_len(v); i++) {
			yaml_node_t *it = N(c, v->data.sequence.items.start[i]);
			char *tech;

			if (!is_scalar(it) || is_null(it))
				return fail(c, it, "tags must be strings");
			if (!GROW(r->tags, r->ntags, cap))
				return -ENOMEM;
			r->tags[r->ntags] = strdup(sval(it));
			if (!r->tags[r->ntags])
				return -ENOMEM;
			r->ntags++;
			tech = technique_of(sval(it));
			if (tech) {
				if (!GROW(r->techs, r->ntechs, capt)) {
					free(tech);
					return -ENOMEM;
				}
				r->techs[r->ntechs++] = tech;
			}
		}
	}

	v = map_get(c, root, "logsource", &k);
	if (!v)
		return fail(c, root, "rule has no 'logsource'");
	if ((ret = check_map(c, v, "'logsource'")))
		return ret;
	{
		yaml_node_t *pk, *pv;

		pv = map_get(c, v, "product", &pk);
		if (pv && !is_null(pv) && (!is_scalar(pv) || strcasecmp(sval(pv), "linux")))
			return fail(c, pv, "unsupported logsource product '%s' (this sensor evaluates linux)",
				    is_scalar(pv) ? sval(pv) : "?");
		pv = map_get(c, v, "service", &pk);
		if (pv && !is_null(pv))
			return fail(c, pv, "unsupported logsource service '%s': this sensor evaluates "
				    "its own event categories (process_creation, file_event, "
				    "network_connection, ...), not %s logs",
				    is_scalar(pv) ? sval(pv) : "?", is_scalar(pv) ? sval(pv) : "service");
		pv = map_get(c, v, "category", &pk);
		if (!pv || is_null(pv))
			return fail(c, v, "logsource has no 'category'");
		if (!is_scalar(pv))
			return fail(c, pv, "logsource category must be a string");
		r->cat = edr_schema_cat_by_name(sval(pv));
		if (r->cat < 0)
			return fail(c, pv, "unsupported logsource category '%s' (not in the event schema)",
				    sval(pv));
	}

	v = map_get(c, root, "detection", &k);
	if (!v)
		return fail(c, root, "rule has no 'detection'");
	return compile_detection(c, v);
}

/* Interns the rule's patterns into its category and rewires its atom preds. */
static int commit_atoms(struct ctx *c)
{
	struct edr_ruleset *rs = c->rs;
	struct edr_rule *r = c->r;
	struct cat_set *cs = &rs->cats[r->cat];
	uint32_t *map;
	size_t i;

	map = calloc(c->npend + 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (i = 0; i < c->npend; i++) {
		struct pend *p = &c->pend[i];
		uint64_t h = 1469598103934665603ULL;
		const char *e;
		size_t slot;
		struct atom *a;

		if (cs->natoms * 2 + 2 > cs->hashcap) {
			size_t nc = cs->hashcap ? cs->hashcap * 2 : 64, j;
			uint32_t *nh = malloc(nc * sizeof(*nh));

			if (!nh)
				goto nomem;
			memset(nh, 0xff, nc * sizeof(*nh));
			for (j = 0; j < cs->natoms; j++) {
				uint64_t hh = 1469598103934665603ULL;
				struct atom *aa = &cs->atoms[j];

				hh = (hh ^ (unsigned)(aa->field + 1)) * 1099511628211ULL;
				hh = (hh ^ aa->flags) * 1099511628211ULL;
				for (e = aa->expr; *e; e++)
					hh = (hh ^ (unsigned char)*e) * 1099511628211ULL;
				for (slot = hh & (nc - 1); nh[slot] != UINT32_MAX; slot = (slot + 1) & (nc - 1))
					;
				nh[slot] = (uint32_t)j;
			}
			free(cs->hash);
			cs->hash = nh;
			cs->hashcap = nc;
		}
		h = (h ^ (unsigned)(p->field + 1)) * 1099511628211ULL;
		h = (h ^ p->flags) * 1099511628211ULL;
		for (e = p->expr; *e; e++)
			h = (h ^ (unsigned char)*e) * 1099511628211ULL;
		for (slot = h & (cs->hashcap - 1); cs->hash[slot] != UINT32_MAX;
		     slot = (slot + 1) & (cs->hashcap - 1)) {
			a = &cs->atoms[cs->hash[slot]];
			if (a->field == p->field && a->flags == p->flags && !strcmp(a->expr, p->expr))
				break;
		}
		if (cs->hash[slot] == UINT32_MAX) {
			if (rs->natoms_total >= EDR_RULES_MAX_PATTERNS) {
				free(map);
				return fail_limit(c, NULL, "the rule set has more than %u distinct patterns",
						  EDR_RULES_MAX_PATTERNS);
			}
			if (!GROW(cs->atoms, cs->natoms, cs->capatoms))
				goto nomem;
			a = &cs->atoms[cs->natoms];
			memset(a, 0, sizeof(*a));
			a->field = p->field;
			a->flags = p->flags;
			a->expr = p->expr;
			p->expr = NULL;
			cs->hash[slot] = (uint32_t)cs->natoms++;
			rs->natoms_total++;
		}
		a = &cs->atoms[cs->hash[slot]];
		map[i] = cs->hash[slot];
		if (!a->nrules || a->rules[a->nrules - 1] != r->index) {
			if (!GROW(a->rules, a->nrules, a->caprules))
				goto nomem;
			a->rules[a->nrules++] = (uint32_t)r->index;
		}
	}
	for (i = 0; i < r->npreds; i++)
		if (r->preds[i].kind == P_ATOM)
			r->preds[i].atom = map[r->preds[i].atom];
	free(map);
	return 0;
nomem:
	free(map);
	return -ENOMEM;
}

static void ctx_reset(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->npend; i++)
		free(c->pend[i].expr);
	free(c->pend);
	c->pend = NULL;
	c->npend = c->cappend = 0;
	free(c->idents);
	c->idents = NULL;
	c->nidents = 0;
	c->nvalues = 0;
	c->failed = false;
	c->r = NULL;
}

/* Parses one YAML document into a rule. 0, 1 (empty document, skipped) or -errno. */
static int load_doc(struct ctx *c, yaml_node_t *root)
{
	struct edr_ruleset *rs = c->rs;
	struct edr_rule *r;
	size_t i;
	int ret;

	if (is_null(root))
		return 1;
	ret = check_map(c, root, "a rule");
	if (ret)
		return ret;
	if (rs->nrules >= EDR_RULES_MAX_RULES)
		return fail_limit(c, root, "more than %u rules in the set", EDR_RULES_MAX_RULES);
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	c->cap_preds = c->cap_nodes = c->cap_kids = 0;
	c->r = r;
	r->index = rs->nrules;
	r->line = (unsigned)root->start_mark.line + 1;
	r->col = (unsigned)root->start_mark.column + 1;
	r->file = strdup(c->file);
	ret = r->file ? parse_meta(c, root) : -ENOMEM;
	if (!ret)
		ret = compile_samples(c, root);
	if (!ret && (c->flags & EDR_RULES_REQUIRE_SAMPLES) &&
	    (!r->has_match_sample || !r->has_nomatch_sample))
		ret = fail(c, root, "rule '%s' needs at least one match and one nomatch sample in "
			   "x-edr-samples", r->title);
	if (!ret && *r->id) {
		for (i = 0; i < rs->nrules; i++)
			if (!strcmp(rs->rules[i]->id, r->id)) {
				ret = fail(c, map_get(c, root, "id", NULL),
					   "duplicate rule id %s (first in %s:%u)", r->id,
					   rs->rules[i]->file, rs->rules[i]->line);
				break;
			}
	}
	if (!ret)
		ret = commit_atoms(c);
	if (!ret && !GROW(rs->rules, rs->nrules, rs->caprules))
		ret = -ENOMEM;
	if (ret) {
		rule_free(r);
		c->r = NULL;
		return ret;
	}
	rs->rules[rs->nrules++] = r;
	return 0;
}

/* Pre-pass over the YAML events: nesting depth and document count. */
static int check_depth(const char *file, const char *data, size_t len, struct edr_rules_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	unsigned depth = 0, docs = 0;
	char msg[300];
	int ret = 0;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(msg, sizeof(msg), "YAML error: %s%s%s", p.problem ? p.problem : "invalid YAML",
				 p.context ? " " : "", p.context ? p.context : "");
			report(err, file, (unsigned)p.problem_mark.line + 1,
			       (unsigned)p.problem_mark.column + 1, msg);
			ret = -EINVAL;
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > EDR_RULES_MAX_YAML_DEPTH) {
				snprintf(msg, sizeof(msg), "YAML nests deeper than %u levels",
					 EDR_RULES_MAX_YAML_DEPTH);
				report(err, file, (unsigned)ev.start_mark.line + 1,
				       (unsigned)ev.start_mark.column + 1, msg);
				ret = -E2BIG;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > EDR_RULES_MAX_DOCS) {
			snprintf(msg, sizeof(msg), "more than %u YAML documents in one file",
				 EDR_RULES_MAX_DOCS);
			report(err, file, (unsigned)ev.start_mark.line + 1,
			       (unsigned)ev.start_mark.column + 1, msg);
			ret = -E2BIG;
		}
		if (ev.type == YAML_STREAM_END_EVENT || ret) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return ret;
}

/* Loads every document of one source. Returns 0, or the first error. */
static int load_src(struct edr_ruleset *rs, const struct edr_rule_src *src, unsigned flags,
		    struct edr_rules_err *err)
{
	const char *file = src->name ? src->name : "<memory>";
	struct ctx c = { .file = file, .rs = rs, .flags = flags };
	yaml_parser_t p;
	int ret = 0, first = 0;

	if (src->len > EDR_RULES_MAX_FILE_SIZE) {
		char msg[128];

		snprintf(msg, sizeof(msg), "file is %zu bytes (limit %u)", src->len,
			 EDR_RULES_MAX_FILE_SIZE);
		report(err, file, 0, 0, msg);
		return -E2BIG;
	}
	if (!src->data && src->len) {
		report(err, file, 0, 0, "no data");
		return -EINVAL;
	}
	ret = check_depth(file, src->data ? src->data : "", src->len, err);
	if (ret)
		return ret;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)(src->data ? src->data : ""),
				     src->len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;

		if (!yaml_parser_load(&p, &doc)) {
			char msg[300];

			snprintf(msg, sizeof(msg), "YAML error: %s", p.problem ? p.problem : "invalid YAML");
			report(err, file, (unsigned)p.problem_mark.line + 1,
			       (unsigned)p.problem_mark.column + 1, msg);
			if (!first)
				first = -EINVAL;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		c.doc = &doc;
		ret = load_doc(&c, root);
		if (ret < 0) {
			if (c.failed)
				report(err, file, c.eline, c.ecol, c.emsg);
			else
				report(err, file, (unsigned)root->start_mark.line + 1,
				       (unsigned)root->start_mark.column + 1, strerror(-ret));
			if (!first)
				first = ret;
		}
		ctx_reset(&c);
		yaml_document_delete(&doc);
		if (first && (!(flags & EDR_RULES_KEEP_GOING) || ret == -ENOMEM))
			break;
		/* the other documents of a collection are fragments, not rules */
		if (c.collection)
			break;
	}
	yaml_parser_delete(&p);
	return first;
}

void edr_ruleset__free(struct edr_ruleset *rs)
{
	size_t i, j;

	if (!rs)
		return;
	for (i = 0; i < rs->nrules; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (i = 0; i < _EDR_CAT_MAX; i++) {
		struct cat_set *cs = &rs->cats[i];

		for (j = 0; j < cs->natoms; j++) {
			free(cs->atoms[j].expr);
			free(cs->atoms[j].rules);
		}
		free(cs->atoms);
		free(cs->hash);
		for (j = 0; j < EDR_SCHEMA_MAX_FIELDS; j++)
			if (cs->db[j])
				hs_free_database(cs->db[j]);
		free(cs->atom_rule_off);
		free(cs->atom_rule);
		free(cs->always);
	}
	if (rs->proto)
		hs_free_scratch(rs->proto);
	free(rs);
}

struct edr_ruleset *edr_ruleset__load_mem_opts(const struct edr_rule_src *srcs, size_t n,
					       const struct edr_rules_opts *opts,
					       struct edr_rules_err *err)
{
	unsigned flags = opts ? opts->flags : 0;
	struct edr_ruleset *rs;
	const struct edr_rule *bad = NULL;
	char msg[400];
	size_t i;
	int ret = 0, first = 0;

	if (!srcs && n) {
		errno = EINVAL;
		return NULL;
	}
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	for (i = 0; i < n; i++) {
		ret = load_src(rs, &srcs[i], flags, err);
		if (ret && !first)
			first = ret;
		if (ret && (!(flags & EDR_RULES_KEEP_GOING) || ret == -ENOMEM))
			break;
	}
	if (first && !(flags & EDR_RULES_KEEP_GOING)) {
		edr_ruleset__free(rs);
		errno = -first;
		return NULL;
	}
	ret = edr_ruleset__finalise(rs, msg, sizeof(msg), &bad);
	if (ret) {
		if (bad)
			report(err, bad->file, bad->line, bad->col, msg);
		else
			report(err, "<ruleset>", 0, 0, ret == -ENOMEM ? strerror(ENOMEM) : msg);
		edr_ruleset__free(rs);
		errno = -ret;
		return NULL;
	}
	return rs;
}

struct edr_ruleset *edr_ruleset__load_mem(const struct edr_rule_src *srcs, size_t n,
					  struct edr_rules_err *err)
{
	return edr_ruleset__load_mem_opts(srcs, n, NULL, err);
}

/* ---- files ---------------------------------------------------------------------------- */

struct pathlist {
	char **v;
	size_t n, cap;
};

static bool yaml_name(const char *name)
{
	size_t l = strlen(name);

	return (l > 4 && !strcmp(name + l - 4, ".yml")) || (l > 5 && !strcmp(name + l - 5, ".yaml"));
}

static int collect(const char *dir, struct pathlist *pl, unsigned depth, struct edr_rules_err *err)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > 16) {
		report(err, dir, 0, 0, "directories nest deeper than 16 levels");
		return -E2BIG;
	}
	d = opendir(dir);
	if (!d) {
		char msg[128];

		ret = -errno;
		snprintf(msg, sizeof(msg), "cannot open directory: %s", strerror(errno));
		report(err, dir, 0, 0, msg);
		return ret;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.')
			continue; /* ., .., and hidden files such as editor swap files */
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			ret = -ENOMEM;
			break;
		}
		if (stat(path, &st)) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = collect(path, pl, depth + 1, err);
			free(path);
		} else if (S_ISREG(st.st_mode) && yaml_name(de->d_name)) {
			if (pl->n >= EDR_RULES_MAX_FILES) {
				report(err, dir, 0, 0, "too many rule files");
				free(path);
				ret = -E2BIG;
			} else if (!GROW(pl->v, pl->n, pl->cap)) {
				free(path);
				ret = -ENOMEM;
			} else {
				pl->v[pl->n++] = path;
			}
		} else {
			free(path);
		}
	}
	closedir(d);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(const char *path, char **data, size_t *len, struct edr_rules_err *err)
{
	char msg[160];
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, ret;

	*data = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto ioerr;
	if (fstat(fd, &st))
		goto ioerr;
	if (st.st_size > EDR_RULES_MAX_FILE_SIZE) {
		snprintf(msg, sizeof(msg), "file is %lld bytes (limit %u)", (long long)st.st_size,
			 EDR_RULES_MAX_FILE_SIZE);
		report(err, path, 0, 0, msg);
		close(fd);
		return -E2BIG;
	}
	*data = malloc((size_t)st.st_size + 1);
	if (!*data) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, *data + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto ioerr;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
ioerr:
	ret = -errno;
	snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
	report(err, path, 0, 0, msg);
	if (fd >= 0)
		close(fd);
	free(*data);
	*data = NULL;
	return ret;
}

struct edr_ruleset *edr_ruleset__load_opts(const char *path, const struct edr_rules_opts *opts,
					   struct edr_rules_err *err)
{
	unsigned flags = opts ? opts->flags : 0;
	struct pathlist pl = { 0 };
	struct edr_rule_src *srcs = NULL;
	struct edr_ruleset *rs = NULL;
	struct stat st;
	size_t i, nsrc = 0;
	int ret = 0;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	if (stat(path, &st)) {
		char msg[128];

		ret = -errno;
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		report(err, path, 0, 0, msg);
		errno = -ret;
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		size_t l = strlen(path);
		char *dir = strdup(path);

		if (!dir) {
			errno = ENOMEM;
			return NULL;
		}
		while (l > 1 && dir[l - 1] == '/')
			dir[--l] = 0;
		ret = collect(dir, &pl, 0, err);
		free(dir);
		if (!ret)
			qsort(pl.v, pl.n, sizeof(*pl.v), cmp_str);
	} else {
		pl.v = malloc(sizeof(*pl.v));
		if (pl.v && (pl.v[0] = strdup(path)))
			pl.n = 1;
		else
			ret = -ENOMEM;
	}
	if (ret)
		goto out;
	srcs = calloc(pl.n + 1, sizeof(*srcs));
	if (!srcs) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pl.n; i++) {
		char *data;
		size_t len = 0;

		ret = read_file(pl.v[i], &data, &len, err);
		if (ret) {
			if (flags & EDR_RULES_KEEP_GOING && ret != -ENOMEM) {
				ret = 0;
				continue;
			}
			goto out;
		}
		srcs[nsrc].name = pl.v[i];
		srcs[nsrc].data = data;
		srcs[nsrc].len = len;
		nsrc++;
	}
	rs = edr_ruleset__load_mem_opts(srcs, nsrc, opts, err);
	if (!rs)
		ret = -errno;
out:
	for (i = 0; i < nsrc; i++)
		free((char *)srcs[i].data);
	free(srcs);
	for (i = 0; i < pl.n; i++)
		free(pl.v[i]);
	free(pl.v);
	if (ret && !rs) {
		errno = -ret;
		return NULL;
	}
	return rs;
}

struct edr_ruleset *edr_ruleset__load(const char *path, struct edr_rules_err *err)
{
	return edr_ruleset__load_opts(path, NULL, err);
}

/* ---- accessors, selftest -------------------------------------------------------------- */

size_t edr_ruleset__count(const struct edr_ruleset *rs)
{
	return rs ? rs->nrules : 0;
}

const struct edr_rule *edr_ruleset__rule(const struct edr_ruleset *rs, size_t i)
{
	return rs && i < rs->nrules ? rs->rules[i] : NULL;
}

const char *edr_rule__id(const struct edr_rule *r) { return r->id; }
const char *edr_rule__title(const struct edr_rule *r) { return r->title; }
const char *edr_rule__description(const struct edr_rule *r) { return r->description; }
const char *edr_rule__level(const struct edr_rule *r) { return r->level; }
const char *edr_rule__status(const struct edr_rule *r) { return r->status; }

int edr_rule__severity(const struct edr_rule *r)
{
	static const struct { const char *level; int sev; } map[] = {
		{ "informational", 0 }, { "low", 21 }, { "medium", 47 }, { "high", 73 },
		{ "critical", 99 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(r->level, map[i].level))
			return map[i].sev;
	return 47;
}
const char *edr_rule__file(const struct edr_rule *r) { return r->file; }
unsigned edr_rule__line(const struct edr_rule *r) { return r->line; }
int edr_rule__category(const struct edr_rule *r) { return r->cat; }
size_t edr_rule__index(const struct edr_rule *r) { return r->index; }

const char *const *edr_rule__tags(const struct edr_rule *r, size_t *n)
{
	*n = r->ntags;
	return (const char *const *)r->tags;
}

const char *const *edr_rule__techniques(const struct edr_rule *r, size_t *n)
{
	*n = r->ntechs;
	return (const char *const *)r->techs;
}

int edr_ruleset__selftest(const struct edr_ruleset *rs, struct edr_rules_err *err)
{
	struct edr_matcher *m;
	const struct edr_rule **out;
	size_t i, j;
	int ret = 0;

	if (!rs)
		return -EINVAL;
	m = edr_matcher__new(rs);
	out = calloc(rs->nrules + 1, sizeof(*out));
	if (!m || !out) {
		edr_matcher__free(m);
		free(out);
		return -ENOMEM;
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct edr_rule *r = rs->rules[i];

		for (j = 0; j < r->nsamples; j++) {
			const struct sample *s = &r->samples[j];
			struct edr_rule_event ev = { .cat = r->cat,
						     .nfields = edr_schema_nfields(r->cat),
						     .f = s->f };
			int n = edr_matcher__eval(m, &ev, out, rs->nrules), k;
			bool hit = false;
			char msg[400];

			if (n < 0) {
				ret = n;
				goto done;
			}
			for (k = 0; k < n; k++)
				hit |= out[k] == r;
			if (hit != s->match) {
				snprintf(msg, sizeof(msg), "rule '%s'%s%s%s: %s sample %u %s", r->title,
					 *r->id ? " (" : "", r->id, *r->id ? ")" : "",
					 s->match ? "match" : "nomatch", s->index + 1,
					 s->match ? "did not match" : "matched");
				report(err, r->file, s->line, s->col, msg);
				ret = -EINVAL;
			}
		}
	}
done:
	edr_matcher__free(m);
	free(out);
	return ret;
}
