// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading YAML (libyaml document API): error reporting with file:line:col,
 * checked access to maps, strings and lists, and the pre-pass that bounds
 * nesting and the number of documents before a file is loaded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "rules/internal.h"
#include "rules/parse.h"

/* ---- errors ----------------------------------------------------------------- */

void edr_rules_report(struct edr_rules_err *err, const char *file, unsigned line, unsigned col,
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

int edr_rules_failv(struct ctx *c, int errnum, const yaml_mark_t *mk, const char *fmt, va_list ap)
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

/* ---- YAML helpers ------------------------------------------------------------ */

const char *edr_yaml_type_word(const yaml_node_t *n)
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
int edr_yaml_check_map(struct ctx *c, yaml_node_t *m, const char *what)
{
	size_t i, j, n;

	if (!m || m->type != YAML_MAPPING_NODE)
		return fail(c, m, "%s must be a map, not %s", what, edr_yaml_type_word(m));
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

yaml_node_t *edr_yaml_map_get(struct ctx *c, yaml_node_t *m, const char *key,
			      yaml_node_t **keynode)
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

int edr_yaml_get_str(struct ctx *c, yaml_node_t *m, const char *key, bool required, char **out)
{
	yaml_node_t *k = NULL, *v = edr_yaml_map_get(c, m, key, &k);

	*out = NULL;
	if (!v || is_null(v)) {
		if (required)
			return fail(c, v ? v : m, "rule has no '%s'", key);
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (!is_scalar(v))
		return fail(c, v, "'%s' must be a string, not %s", key, edr_yaml_type_word(v));
	if (v->data.scalar.length > EDR_RULES_MAX_STR)
		return fail_limit(c, v, "'%s' is %zu bytes long (limit %u)", key,
				  v->data.scalar.length, EDR_RULES_MAX_STR);
	*out = strdup(sval(v));
	return *out ? 0 : -ENOMEM;
}

/* A scalar or a list of scalars (references, falsepositives, fields). */
int edr_yaml_check_str_list(struct ctx *c, yaml_node_t *m, const char *key)
{
	yaml_node_t *v = edr_yaml_map_get(c, m, key, NULL);
	size_t i;

	if (!v || is_scalar(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE)
		return fail(c, v, "'%s' must be a list of strings, not %s", key, edr_yaml_type_word(v));
	if (seq_len(v) > EDR_RULES_MAX_LIST_LEN)
		return fail_limit(c, v, "'%s' has %zu items (limit %u)", key, seq_len(v),
				  EDR_RULES_MAX_LIST_LEN);
	for (i = 0; i < seq_len(v); i++) {
		yaml_node_t *it = N(c, v->data.sequence.items.start[i]);

		if (!is_scalar(it))
			return fail(c, it, "items of '%s' must be strings, not %s", key,
				    edr_yaml_type_word(it));
	}
	return 0;
}

/* Pre-pass over the YAML events: nesting depth and document count. */
int edr_yaml_check_depth(const char *file, const char *data, size_t len, struct edr_rules_err *err)
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
			edr_rules_report(err, file, (unsigned)p.problem_mark.line + 1,
					 (unsigned)p.problem_mark.column + 1, msg);
			ret = -EINVAL;
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > EDR_RULES_MAX_YAML_DEPTH) {
				snprintf(msg, sizeof(msg), "YAML nests deeper than %u levels",
					 EDR_RULES_MAX_YAML_DEPTH);
				edr_rules_report(err, file, (unsigned)ev.start_mark.line + 1,
						 (unsigned)ev.start_mark.column + 1, msg);
				ret = -E2BIG;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > EDR_RULES_MAX_DOCS) {
			snprintf(msg, sizeof(msg), "more than %u YAML documents in one file",
				 EDR_RULES_MAX_DOCS);
			edr_rules_report(err, file, (unsigned)ev.start_mark.line + 1,
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
