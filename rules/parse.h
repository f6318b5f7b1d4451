/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the rule parser shared by yaml.c (YAML reading, errors),
 * values.c (values and modifiers), condition.c (the detection and its
 * condition) and ruleset.c (rules, samples, files, the set). Not a public
 * API; the matcher and the pattern translator see only internal.h.
 */
#ifndef EDR_RULES_PARSE_H
#define EDR_RULES_PARSE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rules/internal.h"

/* ---- per-document context ------------------------------------------------- */

/* A string pattern of the rule being compiled, interned only if the rule is valid. */
struct pend {
	int field;
	unsigned flags;
	char *expr;
};

/*
 * The literal behind a string predicate (no wildcard, no encoding), kept
 * while the rule is compiled so its kernel form (kform.c) can be derived
 * from the value as written, not from the Hyperscan expression.
 */
struct plit {
	uint32_t pred;		/* index in the rule's preds */
	uint8_t mode;		/* enum str_mode */
	uint8_t cased;
	char *s;		/* decoded bytes, NUL-terminated */
	size_t len;
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
	struct plit *lits;
	size_t nlits, caplits;
	/* capacities of the rule's growing arrays */
	size_t cap_preds, cap_nodes, cap_kids;
	bool collection;	/* the file is a Sigma rule collection */
	/* first error of the current rule */
	bool failed;
	int errnum;
	unsigned eline, ecol;
	char emsg[400];
};

/* Makes room for one more element of arr (n used of cap): 1, or 0 if out of memory. */
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

/* Dynamic list of node indices. */
struct ilist {
	uint32_t *v;
	size_t n, cap;
};

/* ---- yaml.c: errors ---------------------------------------------------------- */

/* Reports one message (file:line:col: msg) to err; quoted bytes made printable. */
void edr_rules_report(struct edr_rules_err *err, const char *file, unsigned line, unsigned col,
		      const char *msg);
/* Records the first error of the current rule; returns -errnum. */
int edr_rules_failv(struct ctx *c, int errnum, const yaml_mark_t *mk, const char *fmt, va_list ap);

/* The first error of the rule at node n (may be NULL), errno errnum. */
__attribute__((format(printf, 4, 5)))
static inline int fail_err(struct ctx *c, int errnum, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = edr_rules_failv(c, errnum, n ? &n->start_mark : NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* An invalid rule (EINVAL); a limit of rules/limits.h exceeded (E2BIG). */
#define fail(c, n, ...) fail_err(c, EINVAL, n, __VA_ARGS__)
#define fail_limit(c, n, ...) fail_err(c, E2BIG, n, __VA_ARGS__)

/* An error at byte coloff of scalar n (the condition parser's position). */
__attribute__((format(printf, 4, 5)))
static inline int fail_at(struct ctx *c, const yaml_node_t *n, size_t coloff, const char *fmt, ...)
{
	va_list ap;
	yaml_mark_t mk = n->start_mark;
	int ret;

	/* a plain or quoted one-line scalar: point into it */
	if (n->start_mark.line == n->end_mark.line)
		mk.column += coloff + (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? 0 : 1);
	va_start(ap, fmt);
	ret = edr_rules_failv(c, EINVAL, &mk, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- yaml.c: reading nodes ------------------------------------------------------ */

static inline yaml_node_t *N(struct ctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

static inline bool is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

static inline const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (!is_scalar(n) || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static inline size_t map_len(const yaml_node_t *n)
{
	return n->data.mapping.pairs.top - n->data.mapping.pairs.start;
}

static inline size_t seq_len(const yaml_node_t *n)
{
	return n->data.sequence.items.top - n->data.sequence.items.start;
}

/* "a scalar", "a list", "a map" or "nothing", for messages. */
const char *edr_yaml_type_word(const yaml_node_t *n);
/* Checks a map: scalar keys without NUL bytes, no duplicates, bounded size. */
int edr_yaml_check_map(struct ctx *c, yaml_node_t *m, const char *what);
/* The value of key in map m (and its key node), or NULL. */
yaml_node_t *edr_yaml_map_get(struct ctx *c, yaml_node_t *m, const char *key,
			      yaml_node_t **keynode);
/* A string value, copied ("" when absent and not required). */
int edr_yaml_get_str(struct ctx *c, yaml_node_t *m, const char *key, bool required, char **out);
/* A scalar or a list of scalars (references, falsepositives, fields). */
int edr_yaml_check_str_list(struct ctx *c, yaml_node_t *m, const char *key);
/* Pre-pass over the YAML events: nesting depth and document count. */
int edr_yaml_check_depth(const char *file, const char *data, size_t len,
			 struct edr_rules_err *err);

/* ---- values.c ------------------------------------------------------------------- */

/* Adds a node to the rule's DAG; returns its index or a negative errno. */
int edr_rule_add_node(struct ctx *c, uint8_t kind, uint32_t a, uint32_t n);
/* An AND/OR over child nodes (one child: the child itself). */
int edr_rule_add_group(struct ctx *c, uint8_t kind, const uint32_t *kids, size_t n);
/* Appends idx (a node index, or passes on a negative errno). */
int edr_ilist_add(struct ilist *l, int idx);
bool edr_rules_parse_int(const char *s, int64_t *out);
bool edr_rules_parse_bool(const char *s, int64_t *out);
/* A search identifier: map (AND of items), list of maps (OR), list of keywords (OR). */
int edr_rules_compile_search(struct ctx *c, yaml_node_t *name, yaml_node_t *v, unsigned depth);

/* ---- response.c: x-edr-response --------------------------------------------- */

/* Parses the rule's x-edr-response (after its category is known). */
int edr_rules_parse_response(struct ctx *c, yaml_node_t *root);

/* ---- kform.c ------------------------------------------------------------------ */

/* Derives the rule's kernel form from its compiled condition and c->lits. */
int edr_rules_kform(struct ctx *c);

/* ---- condition.c ---------------------------------------------------------------- */

/* The detection map: search identifiers and the condition; sets the rule's root. */
int edr_rules_compile_detection(struct ctx *c, yaml_node_t *det);

#endif /* EDR_RULES_PARSE_H */
