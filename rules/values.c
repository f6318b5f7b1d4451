// SPDX-License-Identifier: GPL-2.0-only
/*
 * Values and modifiers: "field|mod|mod: value or list" compiled into the
 * rule's expression DAG (predicates, AND/OR/NOT nodes) and its string
 * patterns, with every check on types and modifier combinations.
 */
#include <errno.h>
#include <hs.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/internal.h"
#include "rules/parse.h"

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

/* Returns the node index or a negative errno. */
int edr_rule_add_node(struct ctx *c, uint8_t kind, uint32_t a, uint32_t n)
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
	return edr_rule_add_node(c, N_PRED, (uint32_t)r->npreds++, 0);
}

/* An AND/OR over child nodes (one child: the child itself). */
int edr_rule_add_group(struct ctx *c, uint8_t kind, const uint32_t *kids, size_t n)
{
	struct edr_rule *r = c->r;
	size_t first = r->nkids, i;

	if (n == 0)
		return edr_rule_add_node(c, kind == N_AND ? N_TRUE : N_FALSE, 0, 0);
	if (n == 1)
		return (int)kids[0];
	for (i = 0; i < n; i++) {
		if (!GROW(r->kids, r->nkids, c->cap_kids))
			return -ENOMEM;
		r->kids[r->nkids++] = kids[i];
	}
	return edr_rule_add_node(c, kind, (uint32_t)first, (uint32_t)n);
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

int edr_ilist_add(struct ilist *l, int idx)
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

bool edr_rules_parse_int(const char *s, int64_t *out)
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

bool edr_rules_parse_bool(const char *s, int64_t *out)
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

/*
 * Keeps the bytes of a value without wildcards behind the predicate just
 * added (node), for the rule's kernel form; a value with wildcards keeps
 * nothing. Returns node or a negative errno.
 */
static int keep_literal(struct ctx *c, int node, const char *v, size_t len, bool literal,
			bool cased, int mode)
{
	struct plit *pl;
	char *s;
	size_t n;

	if (literal) {
		s = malloc(len + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, v, len);
		s[len] = 0;
		n = len;
	} else {
		int ret = edr_pat_unescape(v, len, &s, &n);

		if (ret == -ENOMEM)
			return ret;
		if (ret)
			return node; /* wildcards */
	}
	if (!GROW(c->lits, c->nlits, c->caplits)) {
		free(s);
		return -ENOMEM;
	}
	pl = &c->lits[c->nlits++];
	*pl = (struct plit){ .pred = (uint32_t)c->r->npreds - 1, .mode = (uint8_t)mode,
			     .cased = cased, .s = s, .len = n };
	return node;
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
			return edr_rule_add_node(c, N_TRUE, 0, 0);
		return add_pred(c, vn, &p);
	}
	/* only "^\z" (the empty value) can match nothing; the flag costs speed */
	if (!strcmp(expr, "^\\z"))
		flags |= HS_FLAG_ALLOWEMPTY;
	ret = add_atom(c, vn, field, flags, expr);
	if (ret < 0 || field < 0 || (mods & (MOD_WINDASH | MOD_B64 | MOD_B64OFF)))
		return ret;
	return keep_literal(c, ret, v, len, literal, cased, mode);
}

/* One scalar value of a field (or keyword) with the modifiers of its key. */
struct value {
	const yaml_node_t *kn;	/* the key: errors about modifiers point there */
	const yaml_node_t *vn;
	int cat, field, type;	/* field < 0: a keyword (type STR) */
	const char *fname;	/* field name, or "keyword" */
	unsigned mods;
	const char *v;
	size_t len;
};

static struct pred value_pred(const struct value *val, uint8_t kind)
{
	return (struct pred){ .kind = kind, .field = val->field < 0 ? 0 : (uint16_t)val->field };
}

static int value_null(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_NULL);

	if (val->mods & ~MOD_ALL)
		return fail(c, val->vn, "null cannot be combined with modifiers");
	if (val->field < 0)
		return fail(c, val->vn, "a keyword cannot be null");
	return add_pred(c, val->vn, &p);
}

/* exists: true (field set) or false (not set). */
static int value_exists(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_SET);
	int64_t b;
	int ret;

	if (!edr_rules_parse_bool(val->v, &b))
		return fail(c, val->vn, "'exists' takes true or false, not '%s'", val->v);
	ret = add_pred(c, val->vn, &p);
	if (ret < 0 || b)
		return ret;
	return edr_rule_add_node(c, N_NOT, (uint32_t)ret, 0);
}

static bool numeric_type(int type)
{
	return type == EDR_FT_INT || type == EDR_FT_BOOL;
}

/* fieldref: the field compared with another field of the same event. */
static int value_fieldref(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_FIELDREF);
	int cat = val->cat, f2 = edr_schema_field_by_name(cat, val->v), t2;
	unsigned mods = val->mods;

	if (f2 < 0) {
		const char *sug = edr_schema_field_suggest(cat, val->v);

		return fail(c, val->vn, "fieldref: field '%s' is not in category %s%s%s%s", val->v,
			    edr_schema_cat_name(cat), sug ? " (did you mean '" : "",
			    sug ? sug : "", sug ? "'?)" : "");
	}
	if (edr_schema_field_unfilled(cat, f2))
		return fail(c, val->vn, "fieldref: field '%s' of category %s is never filled by this "
			    "sensor (%s): the rule could never match", val->v, edr_schema_cat_name(cat),
			    edr_schema_field_unfilled(cat, f2));
	t2 = edr_schema_field_type(cat, f2);
	if (numeric_type(val->type) != numeric_type(t2))
		return fail(c, val->vn, "fieldref: '%s' is %s and '%s' is %s", val->fname,
			    edr_schema_type_name(val->type), val->v, edr_schema_type_name(t2));
	if (numeric_type(val->type) && (mods & MOD_MODE))
		return fail(c, val->kn, "fieldref on %s field '%s' cannot use contains/startswith/endswith",
			    edr_schema_type_name(val->type), val->fname);
	p.field2 = (uint16_t)f2;
	p.cased = !!(mods & MOD_CASED);
	p.op = mods & MOD_CONTAINS ? OP_CONTAINS : mods & MOD_STARTS ? OP_STARTS :
	       mods & MOD_ENDS ? OP_ENDS : OP_EQ;
	return add_pred(c, val->vn, &p);
}

/* gt, gte, lt, lte on an INT field. */
static int value_compare(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_INT);
	unsigned mods = val->mods;

	if (val->type != EDR_FT_INT)
		return fail(c, val->kn, "'%s' is %s: gt/gte/lt/lte need an INT field", val->fname,
			    edr_schema_type_name(val->type));
	if (!edr_rules_parse_int(val->v, &p.n))
		return fail(c, val->vn, "field '%s' is INT in category %s: value '%s' is not an integer",
			    val->fname, edr_schema_cat_name(val->cat), val->v);
	p.op = mods & MOD_GT ? OP_GT : mods & MOD_GTE ? OP_GTE : mods & MOD_LT ? OP_LT : OP_LTE;
	return add_pred(c, val->vn, &p);
}

static int value_cidr(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_CIDR);

	if (val->type != EDR_FT_IP)
		return fail(c, val->kn, "'%s' is %s: cidr needs an IP field", val->fname,
			    edr_schema_type_name(val->type));
	if (edr_pat_parse_cidr(val->v, p.addr, &p.family, &p.prefix))
		return fail(c, val->vn, "'%s' is not a valid CIDR network (a.b.c.d/n or v6/n)", val->v);
	return add_pred(c, val->vn, &p);
}

/* A plain value of an INT or BOOL field: equality. */
static int value_number(struct ctx *c, const struct value *val)
{
	struct pred p = value_pred(val, P_INT);

	if (val->type == EDR_FT_INT && !edr_rules_parse_int(val->v, &p.n))
		return fail(c, val->vn, "field '%s' is INT in category %s: value '%s' is not an integer",
			    val->fname, edr_schema_cat_name(val->cat), val->v);
	if (val->type == EDR_FT_BOOL && !edr_rules_parse_bool(val->v, &p.n))
		return fail(c, val->vn, "field '%s' is BOOL in category %s: value '%s' is not true or false",
			    val->fname, edr_schema_cat_name(val->cat), val->v);
	p.op = OP_EQ;
	return add_pred(c, val->vn, &p);
}

/*
 * Some limits (pattern too large, resource limits of bounded repeats) only
 * show when compiling: find them here, where the error can name this rule,
 * not when the whole set is built.
 */
static int regex_compiles(struct ctx *c, const struct value *val, unsigned flags)
{
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	int ret;

	if (hs_compile(val->v, flags, HS_MODE_BLOCK, NULL, &db, &cerr) != HS_SUCCESS) {
		ret = fail(c, val->vn, "regular expression '%s' rejected: %s", val->v,
			   cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		return ret;
	}
	hs_free_database(db);
	return 0;
}

/* re (with i, m, s): the expression as given, checked by Hyperscan now. */
static int value_regex(struct ctx *c, const struct value *val)
{
	unsigned flags = HS_FLAG_SINGLEMATCH, mods = val->mods;
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	const char *v = val->v;
	char *expr;
	int ret;

	if (strlen(v) != val->len)
		return fail(c, val->vn, "regular expression contains a NUL byte");
	if (edr_pat_regex_cost(v) > EDR_RULES_MAX_REGEX_COST)
		return fail_limit(c, val->vn, "regular expression '%s' expands to more than %u "
				  "states (bounded repeats multiply); lower its repeat counts",
				  v, EDR_RULES_MAX_REGEX_COST);
	if (mods & MOD_I)
		flags |= HS_FLAG_CASELESS;
	if (mods & MOD_M)
		flags |= HS_FLAG_MULTILINE;
	if (mods & MOD_S)
		flags |= HS_FLAG_DOTALL;
	if (hs_expression_info(v, flags | HS_FLAG_ALLOWEMPTY, &info, &cerr) != HS_SUCCESS) {
		ret = fail(c, val->vn, "regular expression '%s' rejected: %s", v,
			   cerr ? cerr->message : "unknown error");
		hs_free_compile_error(cerr);
		return ret;
	}
	/* an expression that can match empty matches every set field */
	if (info->min_width == 0)
		flags |= HS_FLAG_ALLOWEMPTY;
	free(info);
	ret = regex_compiles(c, val, flags);
	if (ret)
		return ret;
	expr = strdup(v);
	if (!expr)
		return -ENOMEM;
	return add_atom(c, val->vn, val->field, flags, expr);
}

/* base64 / base64offset: the encoded forms of a literal value, any of them. */
static int value_base64(struct ctx *c, const struct value *val)
{
	char *raw, *enc[3] = { 0 };
	size_t rawlen, i, n = 1;
	struct ilist l = { 0 };
	unsigned mods = val->mods;
	int ret;

	if (edr_pat_unescape(val->v, val->len, &raw, &rawlen))
		return fail(c, val->vn, "a value with wildcards cannot be base64-encoded");
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
		ret = edr_ilist_add(&l, string_value(c, val->vn, val->field, mods, enc[i],
						     strlen(enc[i]), true, true,
						     str_mode(mods, val->field)));
	for (i = 0; i < 3; i++)
		free(enc[i]);
	if (!ret)
		ret = edr_rule_add_group(c, N_OR, l.v, l.n);
	free(l.v);
	return ret;
}

/* One scalar value: the modifiers and the field's type decide what it compiles to. */
static int one_value(struct ctx *c, const yaml_node_t *kn, const yaml_node_t *vn, int field,
		     unsigned mods)
{
	int cat = c->r->cat;
	struct value val = {
		.kn = kn, .vn = vn, .cat = cat, .field = field, .mods = mods,
		.type = field < 0 ? EDR_FT_STR : edr_schema_field_type(cat, field),
		.fname = field < 0 ? "keyword" : edr_schema_field_name(cat, field),
	};

	if (!is_scalar(vn))
		return fail(c, vn, "value of '%s' must be a scalar or a list of scalars, not %s",
			    val.fname, edr_yaml_type_word(vn));
	val.v = sval(vn);
	val.len = vn->data.scalar.length;
	if (val.len > EDR_RULES_MAX_PATTERN_LEN)
		return fail_limit(c, vn, "value of '%s' is %zu bytes long (limit %u)", val.fname,
				  val.len, EDR_RULES_MAX_PATTERN_LEN);

	if (is_null(vn))
		return value_null(c, &val);
	if (mods & MOD_EXISTS)
		return value_exists(c, &val);
	if (mods & MOD_FIELDREF)
		return value_fieldref(c, &val);
	if (mods & MOD_CMP)
		return value_compare(c, &val);
	if (mods & MOD_CIDR)
		return value_cidr(c, &val);
	if (numeric_type(val.type))
		return value_number(c, &val);
	if (mods & MOD_RE)
		return value_regex(c, &val);
	if (mods & (MOD_B64 | MOD_B64OFF))
		return value_base64(c, &val);
	return string_value(c, vn, field, mods, val.v, val.len, false, mods & MOD_CASED,
			    str_mode(mods, field));
}

/* A detection key's field: in the category's schema, and filled by some
 * family (rules/schema.def); 0, or the error reported at kn. */
static int field_of(struct ctx *c, yaml_node_t *kn, int cat, const char *key, int *field)
{
	const char *sug, *why;

	*field = edr_schema_field_by_name(cat, key);
	if (*field < 0) {
		sug = edr_schema_field_suggest(cat, key);
		return fail(c, kn, "field '%s' is not in category %s%s%s%s", key, edr_schema_cat_name(cat),
			    sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
	}
	why = edr_schema_field_unfilled(cat, *field);
	if (why)
		return fail(c, kn, "field '%s' of category %s is never filled by this sensor (%s): "
			    "the rule could never match", key, edr_schema_cat_name(cat), why);
	return 0;
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
	if (*key && (ret = field_of(c, kn, cat, key, &field)) < 0)
		goto out;
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
			ret = edr_ilist_add(&l, one_value(c, kn, N(c, vn->data.sequence.items.start[i]),
							  field, mods));
	} else {
		ret = edr_ilist_add(&l, one_value(c, kn, vn, field, mods));
	}
	if (!ret)
		ret = edr_rule_add_group(c, mods & MOD_ALL ? N_AND : N_OR, l.v, l.n);
out:
	free(l.v);
	free(key);
	return ret;
}

/* A search identifier: map (AND of items), list of maps (OR), list of keywords (OR). */
int edr_rules_compile_search(struct ctx *c, yaml_node_t *name, yaml_node_t *v, unsigned depth)
{
	struct ilist l = { 0 };
	size_t i;
	int ret = 0;

	if (v->type == YAML_MAPPING_NODE) {
		ret = edr_yaml_check_map(c, v, "a search identifier");
		if (ret)
			return ret;
		if (!map_len(v))
			return fail(c, v, "search identifier '%s' is empty", sval(name));
		for (i = 0; i < map_len(v) && !ret; i++) {
			yaml_node_pair_t *p = &v->data.mapping.pairs.start[i];

			ret = edr_ilist_add(&l, compile_item(c, N(c, p->key), N(c, p->value)));
		}
		if (!ret)
			ret = edr_rule_add_group(c, N_AND, l.v, l.n);
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
					    sval(name), edr_yaml_type_word(it));
		}
		if (maps && scalars)
			return fail(c, v, "'%s' mixes maps and keywords in one list", sval(name));
		for (i = 0; i < n && !ret; i++) {
			yaml_node_t *it = N(c, v->data.sequence.items.start[i]);

			if (maps && depth == 0)
				ret = edr_ilist_add(&l, edr_rules_compile_search(c, name, it, depth + 1));
			else if (maps)
				ret = fail(c, it, "nested lists of maps are not allowed");
			else
				ret = edr_ilist_add(&l, one_value(c, it, it, -1, 0));
		}
		if (!ret)
			ret = edr_rule_add_group(c, N_OR, l.v, l.n);
	} else if (is_null(v)) {
		return fail(c, v, "search identifier '%s' is empty", sval(name));
	} else {
		ret = one_value(c, v, v, -1, 0);
	}
	free(l.v);
	return ret;
}
