// SPDX-License-Identifier: GPL-2.0-only
/* The event schema table (rules/schema.def) and its lookups. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "rules/schema.h"

struct schema_field {
	const char *name;
	int type;
};

struct schema_cat {
	const char *name;
	unsigned nfields;
	const struct schema_field *fields;
};

/* The per-category field arrays, filled at their EDR_F_* index. */
#define EDR_CAT(id, name)
#define EDR_FIELD(cat, id, name, type) \
	[_EDR_FG_##cat##_##id] = { name, EDR_FT_##type },
static const struct schema_field all_fields[_EDR_FG_MAX] = {
#include "rules/schema.def"
};
#undef EDR_CAT
#undef EDR_FIELD

static const struct schema_cat cats[_EDR_CAT_MAX] = {
#define EDR_CAT(id, name) [EDR_CAT_##id] = { name, EDR_NFIELDS(id), &all_fields[_EDR_FBASE_##id + 1] },
#define EDR_FIELD(cat, id, name, type)
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD
};

/* Fields no family fills yet, with the reason (EDR_UNFILLED). */
static const char *unfilled[_EDR_FG_MAX];

__attribute__((constructor)) static void unfilled_init(void)
{
#define EDR_CAT(id, name)
#define EDR_FIELD(cat, id, name, type)
#define EDR_UNFILLED(cat, id, why) unfilled[_EDR_FG_##cat##_##id] = why;
#include "rules/schema.def"
#undef EDR_UNFILLED
#undef EDR_CAT
#undef EDR_FIELD
}

const char *edr_schema_field_unfilled(int cat, int field)
{
	if (cat < 0 || cat >= _EDR_CAT_MAX || field < 0 || (unsigned)field >= cats[cat].nfields)
		return NULL;
	return unfilled[&cats[cat].fields[field] - all_fields];
}

#define EDR_CAT(id, name) \
	_Static_assert(EDR_NFIELDS(id) <= EDR_SCHEMA_MAX_FIELDS, "raise EDR_SCHEMA_MAX_FIELDS");
#define EDR_FIELD(cat, id, name, type)
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD

unsigned edr_schema_ncats(void)
{
	return _EDR_CAT_MAX;
}

const char *edr_schema_cat_name(int cat)
{
	if (cat < 0 || cat >= _EDR_CAT_MAX)
		return NULL;
	return cats[cat].name;
}

int edr_schema_cat_by_name(const char *name)
{
	int i;

	if (!name)
		return -ENOENT;
	for (i = 0; i < _EDR_CAT_MAX; i++)
		if (!strcmp(cats[i].name, name))
			return i;
	return -ENOENT;
}

unsigned edr_schema_nfields(int cat)
{
	if (cat < 0 || cat >= _EDR_CAT_MAX)
		return 0;
	return cats[cat].nfields;
}

int edr_schema_field_by_name(int cat, const char *name)
{
	unsigned i;

	if (cat < 0 || cat >= _EDR_CAT_MAX || !name)
		return -ENOENT;
	for (i = 0; i < cats[cat].nfields; i++)
		if (!strcmp(cats[cat].fields[i].name, name))
			return (int)i;
	return -ENOENT;
}

const char *edr_schema_field_name(int cat, int field)
{
	if (cat < 0 || cat >= _EDR_CAT_MAX || field < 0 || (unsigned)field >= cats[cat].nfields)
		return NULL;
	return cats[cat].fields[field].name;
}

int edr_schema_field_type(int cat, int field)
{
	if (cat < 0 || cat >= _EDR_CAT_MAX || field < 0 || (unsigned)field >= cats[cat].nfields)
		return -1;
	return cats[cat].fields[field].type;
}

const char *edr_schema_type_name(int type)
{
	switch (type) {
	case EDR_FT_STR: return "STR";
	case EDR_FT_INT: return "INT";
	case EDR_FT_IP: return "IP";
	case EDR_FT_BOOL: return "BOOL";
	}
	return "?";
}

unsigned edr_edit_distance(const char *a, const char *b)
{
	unsigned row[65], i, j, la = strlen(a), lb = strlen(b);

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned prev = row[0], tmp;

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			unsigned cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			unsigned best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *edr_schema_field_suggest(int cat, const char *name)
{
	const char *best = NULL;
	unsigned i, d, bestd = 3;

	if (cat < 0 || cat >= _EDR_CAT_MAX || !name)
		return NULL;
	for (i = 0; i < cats[cat].nfields; i++)
		if (!strcasecmp(cats[cat].fields[i].name, name))
			return cats[cat].fields[i].name;
	for (i = 0; i < cats[cat].nfields; i++) {
		d = edr_edit_distance(cats[cat].fields[i].name, name);
		if (d < bestd) {
			bestd = d;
			best = cats[cat].fields[i].name;
		}
	}
	return best;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t edr_schema_fingerprint(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned c, f;

	for (c = 0; c < _EDR_CAT_MAX; c++) {
		h = fnv(h, "C", 1);
		h = fnv(h, cats[c].name, strlen(cats[c].name) + 1);
		for (f = 0; f < cats[c].nfields; f++) {
			unsigned char t = (unsigned char)cats[c].fields[f].type;

			h = fnv(h, cats[c].fields[f].name, strlen(cats[c].fields[f].name) + 1);
			h = fnv(h, &t, 1);
		}
	}
	return h;
}
