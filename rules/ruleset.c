// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sigma rule loading: YAML (libyaml document API) to rules compiled against
 * the event schema. This file holds the rules (metadata, samples, their
 * patterns interned per category), the files and the set; the parsing is in
 * yaml.c, values.c and condition.c. Every check a rule can fail is made at
 * load time, with file:line:col; the evaluator (matcher.c) trusts what this
 * produces.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rules/filetype.h"
#include "rules/internal.h"
#include "rules/parse.h"

/* ---- samples ------------------------------------------------------------------- */

static int compile_samples(struct ctx *c, yaml_node_t *root)
{
	struct edr_rule *r = c->r;
	yaml_node_t *k = NULL, *s = edr_yaml_map_get(c, root, "x-edr-samples", &k);
	size_t i, j, total = 0, cap = 0, capstr = 0;
	int ret;

	if (!s)
		return 0;
	ret = edr_yaml_check_map(c, s, "'x-edr-samples'");
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
			ret = edr_yaml_check_map(c, ev, "a sample event");
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
						    sval(fk), edr_yaml_type_word(fv));
				if (is_null(fv))
					continue; /* explicitly absent */
				type = edr_schema_field_type(r->cat, fi);
				val = &sm->f[fi];
				if (type == EDR_FT_INT && !edr_rules_parse_int(sval(fv), &val->n))
					return fail(c, fv, "sample field '%s' is INT: '%s' is not an integer",
						    sval(fk), sval(fv));
				if (type == EDR_FT_BOOL && !edr_rules_parse_bool(sval(fv), &val->n))
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
	edr_kform_free(&r->kform);
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

	if ((v = edr_yaml_map_get(c, root, "action", &k))) {
		c->collection = true;
		return fail(c, k, "rule collections ('action: %s') are not supported: write each rule "
			    "as a complete YAML document", is_scalar(v) ? sval(v) : "?");
	}
	if (edr_yaml_map_get(c, root, "correlation", &k))
		return fail(c, k, "correlation rules are not supported");
	if (edr_yaml_map_get(c, root, "filter", &k))
		return fail(c, k, "Sigma filter documents are not supported");

	if ((ret = edr_yaml_get_str(c, root, "title", true, &r->title)) ||
	    (ret = edr_yaml_get_str(c, root, "id", false, &r->id)) ||
	    (ret = edr_yaml_get_str(c, root, "description", false, &r->description)) ||
	    (ret = edr_yaml_get_str(c, root, "status", false, &r->status)) ||
	    (ret = edr_yaml_get_str(c, root, "level", false, &r->level)))
		return ret;
	if (!*r->title)
		return fail(c, edr_yaml_map_get(c, root, "title", NULL), "'title' is empty");
	if (*r->status && !one_of(r->status, statuses))
		return fail(c, edr_yaml_map_get(c, root, "status", NULL),
			    "unknown status '%s' (stable, test, experimental, deprecated, unsupported)",
			    r->status);
	if (*r->level && !one_of(r->level, levels))
		return fail(c, edr_yaml_map_get(c, root, "level", NULL),
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

		if ((ret = edr_yaml_check_str_list(c, root, lists[i])))
			return ret;
	}

	v = edr_yaml_map_get(c, root, "tags", &k);
	if (v && !is_null(v)) {
		size_t cap = 0, capt = 0;

		if (v->type != YAML_SEQUENCE_NODE)
			return fail(c, v, "'tags' must be a list of strings, not %s", edr_yaml_type_word(v));
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

	v = edr_yaml_map_get(c, root, "logsource", &k);
	if (!v)
		return fail(c, root, "rule has no 'logsource'");
	if ((ret = edr_yaml_check_map(c, v, "'logsource'")))
		return ret;
	{
		yaml_node_t *pk, *pv;

		pv = edr_yaml_map_get(c, v, "product", &pk);
		if (pv && !is_null(pv) && (!is_scalar(pv) || strcasecmp(sval(pv), "linux")))
			return fail(c, pv, "unsupported logsource product '%s' (this sensor evaluates linux)",
				    is_scalar(pv) ? sval(pv) : "?");
		pv = edr_yaml_map_get(c, v, "service", &pk);
		if (pv && !is_null(pv))
			return fail(c, pv, "unsupported logsource service '%s': this sensor evaluates "
				    "its own event categories (process_creation, file_event, "
				    "network_connection, ...), not %s logs",
				    is_scalar(pv) ? sval(pv) : "?", is_scalar(pv) ? sval(pv) : "service");
		pv = edr_yaml_map_get(c, v, "category", &pk);
		if (!pv || is_null(pv))
			return fail(c, v, "logsource has no 'category'");
		if (!is_scalar(pv))
			return fail(c, pv, "logsource category must be a string");
		r->cat = edr_schema_cat_by_name(sval(pv));
		if (r->cat < 0)
			return fail(c, pv, "unsupported logsource category '%s' (not in the event schema)",
				    sval(pv));
	}

	v = edr_yaml_map_get(c, root, "detection", &k);
	if (!v)
		return fail(c, root, "rule has no 'detection'");
	return edr_rules_compile_detection(c, v);
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
	for (i = 0; i < c->nlits; i++)
		free(c->lits[i].s);
	free(c->lits);
	c->lits = NULL;
	c->nlits = c->caplits = 0;
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
	ret = edr_yaml_check_map(c, root, "a rule");
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
		ret = edr_rules_parse_response(c, root);
	if (!ret)
		ret = edr_rules_kform(c);
	if (!ret)
		ret = compile_samples(c, root);
	if (!ret && (c->flags & EDR_RULES_REQUIRE_SAMPLES) &&
	    (!r->has_match_sample || !r->has_nomatch_sample))
		ret = fail(c, root, "rule '%s' needs at least one match and one nomatch sample in "
			   "x-edr-samples", r->title);
	if (!ret && *r->id) {
		for (i = 0; i < rs->nrules; i++)
			if (!strcmp(rs->rules[i]->id, r->id)) {
				ret = fail(c, edr_yaml_map_get(c, root, "id", NULL),
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
		edr_rules_report(err, file, 0, 0, msg);
		return -E2BIG;
	}
	if (!src->data && src->len) {
		edr_rules_report(err, file, 0, 0, "no data");
		return -EINVAL;
	}
	ret = edr_yaml_check_depth(file, src->data ? src->data : "", src->len, err);
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
			edr_rules_report(err, file, (unsigned)p.problem_mark.line + 1,
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
				edr_rules_report(err, file, c.eline, c.ecol, c.emsg);
			else
				edr_rules_report(err, file, (unsigned)root->start_mark.line + 1,
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
			edr_rules_report(err, bad->file, bad->line, bad->col, msg);
		else
			edr_rules_report(err, "<ruleset>", 0, 0, ret == -ENOMEM ? strerror(ENOMEM) : msg);
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
		edr_rules_report(err, dir, 0, 0, "directories nest deeper than 16 levels");
		return -E2BIG;
	}
	d = opendir(dir);
	if (!d) {
		char msg[128];

		ret = -errno;
		snprintf(msg, sizeof(msg), "cannot open directory: %s", strerror(errno));
		edr_rules_report(err, dir, 0, 0, msg);
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
				edr_rules_report(err, dir, 0, 0, "too many rule files");
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
	/* O_NONBLOCK: a FIFO in a rules directory must not stall the load. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto ioerr;
	if (fstat(fd, &st))
		goto ioerr;
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, sizeof(msg), "%s, not a regular file", edr_file_type(st.st_mode));
		edr_rules_report(err, path, 0, 0, msg);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > EDR_RULES_MAX_FILE_SIZE) {
		snprintf(msg, sizeof(msg), "file is %lld bytes (limit %u)", (long long)st.st_size,
			 EDR_RULES_MAX_FILE_SIZE);
		edr_rules_report(err, path, 0, 0, msg);
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
	edr_rules_report(err, path, 0, 0, msg);
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
		edr_rules_report(err, path, 0, 0, msg);
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
				edr_rules_report(err, r->file, s->line, s->col, msg);
				ret = -EINVAL;
			}
		}
	}
done:
	edr_matcher__free(m);
	free(out);
	return ret;
}
