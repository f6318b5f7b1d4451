/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the rule engine shared by the parser (yaml.c, values.c,
 * condition.c, ruleset.c; their own internals in parse.h), the value
 * translator (pattern.c) and the matcher (matcher.c). Not a public API.
 *
 * A rule compiles to a small expression DAG (nodes) whose leaves are
 * predicates. String predicates are "atoms": one Hyperscan expression per
 * distinct (field, pattern, flags) of a category, shared by every rule that
 * uses it; an atom's truth is one bit set by the scan. Everything else
 * (numbers, cidr, exists, null, fieldref) is evaluated directly.
 */
#ifndef EDR_RULES_INTERNAL_H
#define EDR_RULES_INTERNAL_H

#include <hs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/edr_rules.h"
#include "rules/limits.h"

enum pred_kind {
	P_ATOM,		/* bit of a Hyperscan atom */
	P_SET,		/* field present ("exists: true", "*") */
	P_NULL,		/* field absent or empty string */
	P_INT,		/* integer comparison (INT and BOOL fields) */
	P_CIDR,		/* address in network (IP fields) */
	P_FIELDREF,	/* field compared with another field */
};

enum cmp_op { OP_EQ, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_CONTAINS, OP_STARTS, OP_ENDS };

struct pred {
	uint8_t kind;		/* enum pred_kind */
	uint8_t op;		/* enum cmp_op */
	uint8_t cased;		/* P_FIELDREF: case-sensitive */
	uint8_t family;		/* P_CIDR: 4 or 6 */
	uint8_t prefix;		/* P_CIDR: prefix length */
	uint16_t field;
	uint16_t field2;	/* P_FIELDREF */
	uint32_t atom;		/* P_ATOM */
	int64_t n;		/* P_INT */
	uint8_t addr[16];	/* P_CIDR: network, host bits cleared */
};

enum node_kind { N_PRED, N_AND, N_OR, N_NOT, N_TRUE, N_FALSE };

struct node {
	uint8_t kind;	/* enum node_kind */
	uint32_t a;	/* N_PRED: pred index; N_AND/N_OR: first kid; N_NOT: child node */
	uint32_t n;	/* N_AND/N_OR: number of kids */
};

struct sample {
	uint8_t match;		/* 1: must match, 0: must not */
	unsigned line, col;
	unsigned index;		/* position within its list, from 0 */
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
};

struct edr_rule {
	char *id, *title, *description, *level, *status, *file;
	unsigned line, col;
	int cat;
	size_t index;
	char **tags;
	size_t ntags;
	char **techs;
	size_t ntechs;

	struct pred *preds;
	size_t npreds;
	struct node *nodes;
	size_t nnodes;
	uint32_t *kids;
	size_t nkids;
	uint32_t root;

	struct sample *samples;
	size_t nsamples;
	char **sample_strs;	/* owned copies the samples point into */
	size_t nsample_strs;
	bool has_match_sample, has_nomatch_sample;

	struct edr_response resp;	/* x-edr-response; action EDR_ACT_NONE: alert only */
	struct edr_kform kform;		/* kind EDR_KFORM_NONE, or arrays owned by the rule */
};

/* A distinct string pattern of a category. */
struct atom {
	int field;		/* -1: keyword (every STR field of the category) */
	unsigned flags;		/* Hyperscan flags */
	char *expr;		/* NUL-terminated Hyperscan expression */
	uint32_t *rules;	/* indices of rules using it, ascending, unique */
	size_t nrules, caprules;
};

struct cat_set {
	struct atom *atoms;
	size_t natoms, capatoms;
	/* open-addressing index of atoms by (field, flags, expr) */
	uint32_t *hash;
	size_t hashcap;

	hs_database_t *db[EDR_SCHEMA_MAX_FIELDS];
	/* CSR of atom -> rules it wakes (trigger sets, matcher.c) */
	uint32_t *atom_rule_off;
	uint32_t *atom_rule;
	uint32_t *always;	/* rules that can hold with no string match */
	size_t nalways;
	size_t nrules;
};

struct edr_ruleset {
	struct edr_rule **rules;
	size_t nrules, caprules;
	struct cat_set cats[_EDR_CAT_MAX];
	size_t natoms_total;
	hs_scratch_t *proto;	/* scratch big enough for every database */
	size_t max_atoms;	/* largest atom count of a category */
};

/* ---- pattern.c ---- */

enum str_mode { M_EXACT, M_CONTAINS, M_STARTS, M_ENDS };

/*
 * Translates a Sigma string value (wildcards * ?, escapes \* \? \\) into a
 * Hyperscan expression. Returns 1 and sets *expr (malloc'd), 0 if the value
 * matches any string (then no expression), or a negative errno.
 * literal: the value has no wildcards (already decoded bytes).
 */
int edr_pat_from_sigma(const char *v, size_t len, enum str_mode mode, bool windash,
		       bool literal, char **expr);
/* Decodes Sigma escapes; returns -EINVAL if v has an unescaped wildcard. */
int edr_pat_unescape(const char *v, size_t len, char **out, size_t *outlen);
/* base64 of v (with padding). */
char *edr_pat_base64(const char *v, size_t len);
/* The three base64offset variants of v (pySigma semantics); n set to 3. */
int edr_pat_base64offset(const char *v, size_t len, char *out[3]);
/* Estimated expanded size of a regex (see pattern.c), saturating. */
size_t edr_pat_regex_cost(const char *re);
/* Parses "a.b.c.d[/n]" or "v6[/n]". Returns 0 or -EINVAL. */
int edr_pat_parse_cidr(const char *s, uint8_t addr[16], uint8_t *family, uint8_t *prefix);

/* ---- kform.c ---- */

/* Frees the arrays of a rule's kernel form. */
void edr_kform_free(struct edr_kform *k);

/* ---- matcher.c ---- */

/* Builds the Hyperscan databases and hot-path tables; fills err on failure. */
int edr_ruleset__finalise(struct edr_ruleset *rs, char *msg, size_t msglen,
			  const struct edr_rule **bad);

#endif /* EDR_RULES_INTERNAL_H */
