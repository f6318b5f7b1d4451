// SPDX-License-Identifier: GPL-2.0-only
/*
 * The evaluator. Per event: each present string field of the category is
 * scanned once by the field's Hyperscan database (all patterns of all rules
 * for that field), which sets atom bits and collects the rules owning those
 * atoms as candidates. Only candidates, plus the few rules that can be true
 * without any string match ("always" rules, e.g. "not sel" or port ranges),
 * have their conditions evaluated, so the cost follows the number of rules
 * that could match, not the size of the set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/internal.h"

/* ---- build ---------------------------------------------------------------- */

/*
 * Trigger sets. For a node, a set of atoms at least one of which must have
 * matched for the node to be true ("any" when it can be true without any
 * string match). A rule is a candidate only when an atom of its root's set
 * matches, so an atom shared by hundreds of rules (Image|endswith: /bash)
 * wakes only those for which it is the rarest requirement.
 */
struct aset {
	uint32_t *v;
	size_t n, cap;
	bool any;
};

static int aset_add(struct aset *s, uint32_t a)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		uint32_t *p = realloc(s->v, nc * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = nc;
	}
	s->v[s->n++] = a;
	return 0;
}

/* Expected cost of waking on a set: atoms shared by many rules are common. */
static uint64_t aset_cost(const struct cat_set *cs, const struct aset *s)
{
	uint64_t c = 0;
	size_t i;

	if (s->any)
		return UINT64_MAX;
	for (i = 0; i < s->n; i++) {
		const struct atom *a = &cs->atoms[s->v[i]];

		c += 1 + a->nrules + (strlen(a->expr) < 8 ? 4 : 0);
	}
	return c;
}

static int trig(const struct cat_set *cs, const struct edr_rule *r, uint32_t ni, struct aset *out)
{
	const struct node *n = &r->nodes[ni];
	const struct pred *p;
	uint32_t i;
	int ret = 0;

	switch (n->kind) {
	case N_FALSE:
		return 0; /* never true: the empty set */
	case N_PRED:
		p = &r->preds[n->a];
		if (p->kind == P_ATOM)
			return aset_add(out, p->atom);
		out->any = true;
		return 0;
	case N_OR:
		for (i = 0; i < n->n && !ret && !out->any; i++)
			ret = trig(cs, r, r->kids[n->a + i], out);
		return ret;
	case N_AND: {
		struct aset best = { .any = true };
		uint64_t bestc = UINT64_MAX;

		for (i = 0; i < n->n && !ret; i++) {
			struct aset t = { 0 };
			uint64_t c;

			ret = trig(cs, r, r->kids[n->a + i], &t);
			c = aset_cost(cs, &t);
			if (!ret && !t.any && c < bestc) {
				free(best.v);
				best = t;
				bestc = c;
			} else {
				free(t.v);
			}
		}
		for (i = 0; !ret && !best.any && i < best.n; i++)
			ret = aset_add(out, best.v[i]);
		if (best.any)
			out->any = true;
		free(best.v);
		return ret;
	}
	default: /* N_TRUE, N_NOT: may hold with no string match */
		out->any = true;
		return 0;
	}
}

/*
 * The category's trigger sets as CSR (atom -> rules it wakes, ascending) and
 * its "always" rules.
 */
static int build_triggers(struct edr_ruleset *rs, struct cat_set *cs, unsigned c)
{
	struct aset *sets;
	uint32_t *fill = NULL;
	size_t i, j, total = 0;
	int ret = 0;

	cs->atom_rule_off = calloc(cs->natoms + 1, sizeof(uint32_t));
	cs->always = calloc(rs->nrules + 1, sizeof(uint32_t));
	sets = calloc(rs->nrules + 1, sizeof(*sets));
	if (!cs->atom_rule_off || !cs->always || !sets) {
		free(sets);
		return -ENOMEM;
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct edr_rule *r = rs->rules[i];

		if (r->cat != (int)c)
			continue;
		cs->nrules++;
		if (trig(cs, r, r->root, &sets[i])) {
			ret = -ENOMEM;
			goto free_sets;
		}
		if (sets[i].any)
			cs->always[cs->nalways++] = (uint32_t)i;
		else
			for (j = 0; j < sets[i].n; j++)
				cs->atom_rule_off[sets[i].v[j] + 1]++;
	}
	/* CSR atom -> rules woken by it, rules ascending */
	for (i = 0; i < cs->natoms; i++)
		cs->atom_rule_off[i + 1] += cs->atom_rule_off[i];
	cs->atom_rule = calloc(cs->atom_rule_off[cs->natoms] + 1, sizeof(uint32_t));
	fill = calloc(cs->natoms + 1, sizeof(uint32_t));
	if (!cs->atom_rule || !fill) {
		ret = -ENOMEM;
		goto free_sets;
	}
	for (i = 0; i < rs->nrules; i++) {
		for (j = 0; !sets[i].any && j < sets[i].n; j++) {
			uint32_t a = sets[i].v[j], at = cs->atom_rule_off[a] + fill[a];

			/* an atom twice in one set wakes the rule once */
			if (fill[a] && cs->atom_rule[at - 1] == i)
				continue;
			cs->atom_rule[at] = (uint32_t)i;
			fill[a]++;
		}
	}
	/* compact the slots left by duplicates */
	for (i = 0; i < cs->natoms; i++) {
		uint32_t start = cs->atom_rule_off[i];

		cs->atom_rule_off[i] = (uint32_t)total;
		for (j = 0; j < fill[i]; j++)
			cs->atom_rule[total++] = cs->atom_rule[start + j];
	}
	cs->atom_rule_off[cs->natoms] = (uint32_t)total;
free_sets:
	for (i = 0; i < rs->nrules; i++)
		free(sets[i].v);
	free(sets);
	free(fill);
	return ret;
}

/*
 * The Hyperscan database of one field: every atom on it, plus the keywords
 * if it is a STR field. A pattern Hyperscan rejects names its first rule.
 */
static int build_field_db(struct edr_ruleset *rs, struct cat_set *cs, unsigned c, unsigned f,
			  char *msg, size_t msglen, const struct edr_rule **bad)
{
	int type = edr_schema_field_type((int)c, (int)f);
	const char **exprs;
	unsigned *flags, *ids, n = 0;
	hs_compile_error_t *cerr = NULL;
	size_t i;

	exprs = calloc(cs->natoms + 1, sizeof(*exprs));
	flags = calloc(cs->natoms + 1, sizeof(*flags));
	ids = calloc(cs->natoms + 1, sizeof(*ids));
	if (!exprs || !flags || !ids) {
		free(exprs), free(flags), free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < cs->natoms; i++) {
		const struct atom *a = &cs->atoms[i];

		if (a->field == (int)f || (a->field < 0 && type == EDR_FT_STR)) {
			exprs[n] = a->expr;
			flags[n] = a->flags;
			ids[n] = (unsigned)i;
			n++;
		}
	}
	if (n && hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL,
				  &cs->db[f], &cerr) != HS_SUCCESS) {
		const struct atom *a = NULL;

		if (cerr && cerr->expression >= 0 && (unsigned)cerr->expression < n) {
			a = &cs->atoms[ids[cerr->expression]];
			*bad = rs->rules[a->rules[0]];
		}
		snprintf(msg, msglen, "pattern cannot be compiled by Hyperscan: %s%s%s",
			 cerr ? cerr->message : "unknown error",
			 a ? " in expression " : "", a ? a->expr : "");
		hs_free_compile_error(cerr);
		free(exprs), free(flags), free(ids);
		return -EINVAL;
	}
	free(exprs), free(flags), free(ids);
	if (cs->db[f] && hs_alloc_scratch(cs->db[f], &rs->proto) != HS_SUCCESS)
		return -ENOMEM;
	return 0;
}

int edr_ruleset__finalise(struct edr_ruleset *rs, char *msg, size_t msglen,
			  const struct edr_rule **bad)
{
	unsigned c, f;
	int ret;

	*bad = NULL;
	for (c = 0; c < _EDR_CAT_MAX; c++) {
		struct cat_set *cs = &rs->cats[c];

		if (cs->natoms > rs->max_atoms)
			rs->max_atoms = cs->natoms;
		ret = build_triggers(rs, cs, c);
		if (ret)
			return ret;
		for (f = 0; f < edr_schema_nfields((int)c); f++) {
			ret = build_field_db(rs, cs, c, f, msg, msglen, bad);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---- evaluation ------------------------------------------------------------ */

struct edr_matcher {
	const struct edr_ruleset *rs;
	hs_scratch_t *scratch;
	uint64_t *bits;
	uint32_t *touched;
	size_t ntouched;
	uint8_t *mark;
	uint32_t *cand;
	size_t ncand;
	const struct cat_set *cs;
};

struct edr_matcher *edr_matcher__new(const struct edr_ruleset *rs)
{
	struct edr_matcher *m;

	if (!rs) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->rs = rs;
	m->bits = calloc(rs->max_atoms / 64 + 1, sizeof(uint64_t));
	m->touched = calloc(rs->max_atoms + 1, sizeof(uint32_t));
	m->mark = calloc(rs->nrules + 1, 1);
	m->cand = calloc(rs->nrules + 1, sizeof(uint32_t));
	if (!m->bits || !m->touched || !m->mark || !m->cand)
		goto nomem;
	if (rs->proto && hs_clone_scratch(rs->proto, &m->scratch) != HS_SUCCESS)
		goto nomem;
	return m;
nomem:
	edr_matcher__free(m);
	errno = ENOMEM;
	return NULL;
}

void edr_matcher__free(struct edr_matcher *m)
{
	if (!m)
		return;
	if (m->scratch)
		hs_free_scratch(m->scratch);
	free(m->bits);
	free(m->touched);
	free(m->mark);
	free(m->cand);
	free(m);
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct edr_matcher *m = ctx;
	const struct cat_set *cs = m->cs;
	uint32_t i;

	if (m->bits[id / 64] & (1ULL << (id % 64)))
		return 0;
	m->bits[id / 64] |= 1ULL << (id % 64);
	m->touched[m->ntouched++] = id;
	for (i = cs->atom_rule_off[id]; i < cs->atom_rule_off[id + 1]; i++) {
		uint32_t r = cs->atom_rule[i];

		if (!m->mark[r]) {
			m->mark[r] = 1;
			m->cand[m->ncand++] = r;
		}
	}
	return 0;
}

static const struct edr_field_value *field_of(const struct edr_rule_event *ev, unsigned f)
{
	if (f >= ev->nfields || !ev->f[f].set)
		return NULL;
	return &ev->f[f];
}

static bool parse_ip(const struct edr_field_value *v, uint8_t addr[16], uint8_t *family)
{
	char buf[64];

	if (!v->s || v->len == 0 || v->len >= sizeof(buf))
		return false;
	memcpy(buf, v->s, v->len);
	buf[v->len] = 0;
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, buf, addr) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		/* an IPv4-mapped address is matched by IPv4 networks */
		if (!memcmp(addr, mapped, 12)) {
			memmove(addr, addr + 12, 4);
			*family = 4;
		} else {
			*family = 6;
		}
		return true;
	}
	return false;
}

static bool mem_eq(const char *a, const char *b, size_t n, bool cased)
{
	size_t i;

	if (cased)
		return !memcmp(a, b, n);
	for (i = 0; i < n; i++) {
		unsigned char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x |= 0x20;
		if (y >= 'A' && y <= 'Z')
			y |= 0x20;
		if (x != y)
			return false;
	}
	return true;
}

static bool eval_pred(const struct edr_matcher *m, const struct pred *p,
		      const struct edr_rule_event *ev, int cat)
{
	const struct edr_field_value *v, *w;

	switch (p->kind) {
	case P_ATOM:
		return m->bits[p->atom / 64] & (1ULL << (p->atom % 64));
	case P_SET:
		return field_of(ev, p->field) != NULL;
	case P_NULL:
		v = field_of(ev, p->field);
		if (!v)
			return true;
		return edr_schema_field_type(cat, p->field) != EDR_FT_INT &&
		       edr_schema_field_type(cat, p->field) != EDR_FT_BOOL && v->len == 0;
	case P_INT:
		v = field_of(ev, p->field);
		if (!v)
			return false;
		switch (p->op) {
		case OP_EQ: return v->n == p->n;
		case OP_GT: return v->n > p->n;
		case OP_GTE: return v->n >= p->n;
		case OP_LT: return v->n < p->n;
		case OP_LTE: return v->n <= p->n;
		}
		return false;
	case P_CIDR: {
		uint8_t addr[16], fam;
		unsigned full, rest;

		v = field_of(ev, p->field);
		if (!v || !parse_ip(v, addr, &fam) || fam != p->family)
			return false;
		full = p->prefix / 8;
		rest = p->prefix % 8;
		if (memcmp(addr, p->addr, full))
			return false;
		return !rest || (addr[full] & (uint8_t)(0xff << (8 - rest))) == p->addr[full];
	}
	case P_FIELDREF:
		v = field_of(ev, p->field);
		w = field_of(ev, p->field2);
		if (!v || !w)
			return false;
		if (edr_schema_field_type(cat, p->field) == EDR_FT_INT ||
		    edr_schema_field_type(cat, p->field) == EDR_FT_BOOL)
			return v->n == w->n;
		if (!v->s || !w->s)
			return v->len == 0 && w->len == 0;
		switch (p->op) {
		case OP_EQ:
			return v->len == w->len && mem_eq(v->s, w->s, v->len, p->cased);
		case OP_STARTS:
			return v->len >= w->len && mem_eq(v->s, w->s, w->len, p->cased);
		case OP_ENDS:
			return v->len >= w->len &&
			       mem_eq(v->s + v->len - w->len, w->s, w->len, p->cased);
		case OP_CONTAINS: {
			size_t i;

			if (w->len > v->len)
				return false;
			for (i = 0; i + w->len <= v->len; i++)
				if (mem_eq(v->s + i, w->s, w->len, p->cased))
					return true;
			return false;
		}
		}
		return false;
	}
	return false;
}

static bool eval_node(const struct edr_matcher *m, const struct edr_rule *r, uint32_t ni,
		      const struct edr_rule_event *ev)
{
	const struct node *n = &r->nodes[ni];
	uint32_t i;

	switch (n->kind) {
	case N_TRUE:
		return true;
	case N_FALSE:
		return false;
	case N_PRED:
		return eval_pred(m, &r->preds[n->a], ev, r->cat);
	case N_NOT:
		return !eval_node(m, r, n->a, ev);
	case N_AND:
		for (i = 0; i < n->n; i++)
			if (!eval_node(m, r, r->kids[n->a + i], ev))
				return false;
		return true;
	case N_OR:
		for (i = 0; i < n->n; i++)
			if (eval_node(m, r, r->kids[n->a + i], ev))
				return true;
		return false;
	}
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int edr_matcher__eval(struct edr_matcher *m, const struct edr_rule_event *ev,
		      const struct edr_rule **out, size_t max_out)
{
	const struct edr_ruleset *rs;
	const struct cat_set *cs;
	struct edr_rule_event e;
	unsigned f, nf;
	size_t i, a, c;
	int ret = 0, count = 0;

	if (!m || !ev || (ev->nfields && !ev->f))
		return -EINVAL;
	if (ev->cat < 0 || ev->cat >= _EDR_CAT_MAX)
		return -EINVAL;
	rs = m->rs;
	cs = &rs->cats[ev->cat];
	if (!cs->nrules)
		return 0;
	/* never look past the fields either side knows */
	nf = edr_schema_nfields(ev->cat);
	e = *ev;
	if (e.nfields > nf)
		e.nfields = nf;

	m->cs = cs;
	for (f = 0; f < e.nfields; f++) {
		const struct edr_field_value *v = &e.f[f];

		if (!cs->db[f] || !v->set || (!v->s && v->len))
			continue;
		if (hs_scan(cs->db[f], v->s ? v->s : "", v->len, 0, m->scratch, on_match, m) !=
		    HS_SUCCESS) {
			ret = -EIO;
			goto out;
		}
	}

	if (m->ncand > 1) {
		if (m->ncand < 16) {
			for (i = 1; i < m->ncand; i++) {
				uint32_t x = m->cand[i];

				for (a = i; a > 0 && m->cand[a - 1] > x; a--)
					m->cand[a] = m->cand[a - 1];
				m->cand[a] = x;
			}
		} else {
			qsort(m->cand, m->ncand, sizeof(uint32_t), cmp_u32);
		}
	}
	/* merge candidates and always-rules, both ascending, in load order */
	a = 0;
	c = 0;
	while (a < cs->nalways || c < m->ncand) {
		uint32_t r;

		if (c >= m->ncand || (a < cs->nalways && cs->always[a] < m->cand[c])) {
			r = cs->always[a++];
		} else {
			r = m->cand[c++];
			if (a < cs->nalways && cs->always[a] == r)
				a++;
		}
		if (eval_node(m, rs->rules[r], rs->rules[r]->root, &e)) {
			if ((size_t)count < max_out && out)
				out[count] = rs->rules[r];
			count++;
		}
	}
	ret = count;
out:
	for (i = 0; i < m->ntouched; i++)
		m->bits[m->touched[i] / 64] = 0;
	m->ntouched = 0;
	for (i = 0; i < m->ncand; i++)
		m->mark[m->cand[i]] = 0;
	m->ncand = 0;
	return ret;
}
