/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The event schema, expanded from rules/schema.def (X-macros). The rule
 * compiler, the evaluator and the sensor all use these names and the lookup
 * functions below, so a field's index and type can only come from one place.
 */
#ifndef EDR_RULES_SCHEMA_H
#define EDR_RULES_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bump when schema.def changes (fields added, renamed, reordered or retyped).
 * EDR_SCHEMA_FINGERPRINT is the FNV-1a hash of the table as
 * edr_schema_fingerprint() computes it; test_rules_schema fails when the
 * table changes without both being updated.
 */
#define EDR_SCHEMA_VERSION	2
#define EDR_SCHEMA_FINGERPRINT	0xb617e0e15b321bd6ULL

enum edr_ftype {
	EDR_FT_STR = 0,	/* bytes in s/len */
	EDR_FT_INT = 1,	/* n (s may also carry the decimal text) */
	EDR_FT_IP = 2,	/* textual IPv4 or IPv6 address in s/len */
	EDR_FT_BOOL = 3, /* n: 0 or 1 */
};

enum edr_cat {
#define EDR_CAT(id, name) EDR_CAT_##id,
#define EDR_FIELD(cat, id, name, type)
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD
	_EDR_CAT_MAX
};

/*
 * Global running numbers: every category opens with a base marker, so the
 * index of a field inside its category is (global - base - 1).
 */
enum _edr_schema_global {
#define EDR_CAT(id, name) _EDR_FBASE_##id,
#define EDR_FIELD(cat, id, name, type) _EDR_FG_##cat##_##id,
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD
	_EDR_FG_MAX
};

/* EDR_F_<CAT>_<FIELD>: index of the field within its category, from 0. */
enum edr_field {
#define EDR_CAT(id, name)
#define EDR_FIELD(cat, id, name, type) \
	EDR_F_##cat##_##id = _EDR_FG_##cat##_##id - _EDR_FBASE_##cat - 1,
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD
};

/*
 * EDR_NFIELDS(CAT): number of fields of a category, a compile-time constant
 * (one char member per field; the struct of a category is closed by the
 * next category's opening).
 */
struct _edr_nf__start {
	char _unused;
#define EDR_CAT(id, name) }; struct _edr_nf_##id {
#define EDR_FIELD(cat, id, name, type) char id;
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD
};
#define EDR_NFIELDS(cat) ((unsigned)sizeof(struct _edr_nf_##cat))

/* Largest field count of any category (for fixed-size event arrays). */
#define EDR_SCHEMA_MAX_FIELDS 32

/* Number of categories. */
unsigned edr_schema_ncats(void);
/* Sigma name of a category ("process_creation"), NULL if out of range. */
const char *edr_schema_cat_name(int cat);
/* Category by Sigma name, or -ENOENT. */
int edr_schema_cat_by_name(const char *name);
/* Number of fields of a category (0 if out of range). */
unsigned edr_schema_nfields(int cat);
/* Field index by exact (case-sensitive) name, or -ENOENT. */
int edr_schema_field_by_name(int cat, const char *name);
/* Name and type of a field; NULL / -1 if out of range. */
const char *edr_schema_field_name(int cat, int field);
int edr_schema_field_type(int cat, int field);
/* Why no event family fills the field yet (a rule naming it is refused),
 * or NULL when some family fills it. */
const char *edr_schema_field_unfilled(int cat, int field);
/* "STR", "INT", "IP", "BOOL". */
const char *edr_schema_type_name(int type);
/*
 * The closest field name of the category to a misspelt one (case-insensitive
 * match first, then edit distance <= 2), or NULL: for "did you mean".
 */
const char *edr_schema_field_suggest(int cat, const char *name);
/* FNV-1a over every category and field name and type, in table order. */
uint64_t edr_schema_fingerprint(void);

/* ASCII-case-insensitive Levenshtein distance for "did you mean" hints;
 * 99 for names over 64 bytes. */
unsigned edr_edit_distance(const char *a, const char *b);

#endif /* EDR_RULES_SCHEMA_H */
