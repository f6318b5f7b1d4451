// SPDX-License-Identifier: GPL-2.0-only
/*
 * x-edr-response: what a rule does besides alerting (rules/FORMAT.md,
 * "Responses"). Parsed after the detection, since which actions make sense
 * depends on the rule's category; every refusal names the key or value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"
#include "rules/parse.h"

static const char *const action_names[_EDR_ACT_MAX] = {
	[EDR_ACT_NONE] = "none", [EDR_ACT_DENY] = "deny", [EDR_ACT_KILL] = "kill",
	[EDR_ACT_QUARANTINE] = "quarantine", [EDR_ACT_ISOLATE] = "isolate",
};

const char *edr_action_name(int action)
{
	return action >= 0 && action < _EDR_ACT_MAX ? action_names[action] : "?";
}

/* deny: the operations a kernel hook or a permission event can refuse. */
static bool deny_cat(int cat)
{
	return cat == EDR_CAT_PROCESS_CREATION || cat == EDR_CAT_NETWORK_CONNECTION ||
	       cat == EDR_CAT_FILE_EVENT;
}

/* quarantine: the event names a file that still exists afterwards. */
static bool quarantine_cat(int cat)
{
	return cat == EDR_CAT_PROCESS_CREATION || cat == EDR_CAT_FILE_EVENT ||
	       cat == EDR_CAT_FILE_RENAME || cat == EDR_CAT_FILE_CHANGE ||
	       cat == EDR_CAT_KERNEL_MODULE;
}

/* kill: the event has a process subject (its Image and ProcessId). */
static bool kill_cat(int cat)
{
	return edr_schema_field_by_name(cat, "Image") >= 0 &&
	       edr_schema_field_by_name(cat, "ProcessId") >= 0;
}

/* "did you mean 'x'?" for a misspelt word of set, else the choices. */
static const char *suggest(const char *w, const char *const *set, size_t n, const char *choices,
			   char *buf, size_t len)
{
	unsigned best = 3, d;
	size_t i;

	snprintf(buf, len, "%s", choices);
	for (i = 0; i < n; i++) {
		d = edr_edit_distance(w, set[i]);
		if (d < best) {
			best = d;
			snprintf(buf, len, "did you mean '%s'?", set[i]);
		}
	}
	return buf;
}

static int parse_action(struct ctx *c, yaml_node_t *v, uint8_t *out)
{
	static const char *const acts[] = { "deny", "kill", "quarantine", "isolate" };
	char hint[64];
	size_t i;

	if (!is_scalar(v) || is_null(v))
		return fail(c, v, "'action' of x-edr-response must be deny, kill, quarantine or "
			    "isolate, not %s", is_null(v) ? "nothing" : edr_yaml_type_word(v));
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (!strcmp(sval(v), acts[i])) {
			*out = (uint8_t)(EDR_ACT_DENY + i);
			return 0;
		}
	return fail(c, v, "unknown action '%s' in x-edr-response (%s)", sval(v),
		    suggest(sval(v), acts, 4, "deny, kill, quarantine or isolate", hint,
			    sizeof(hint)));
}

/* The action makes sense for the rule's category; 0 or the error at v. */
static int check_action_cat(struct ctx *c, yaml_node_t *v, int action)
{
	int cat = c->r->cat;
	const char *cn = edr_schema_cat_name(cat);

	if (action == EDR_ACT_DENY && !deny_cat(cat))
		return fail(c, v, "action deny is not available for category %s (deny refuses an "
			    "exec, a connection or an open: process_creation, network_connection, "
			    "file_event)", cn);
	if (action == EDR_ACT_QUARANTINE && !quarantine_cat(cat))
		return fail(c, v, "action quarantine needs an event that names a file "
			    "(process_creation, file_event, file_rename, file_change, "
			    "kernel_module), not %s", cn);
	if (action == EDR_ACT_KILL && !kill_cat(cat))
		return fail(c, v, "action kill needs an event with a process subject, not %s", cn);
	return 0;
}

int edr_rules_parse_response(struct ctx *c, yaml_node_t *root)
{
	static const char *const keys[] = { "action", "tree" };
	struct edr_response *resp = &c->r->resp;
	yaml_node_t *k = NULL, *m = edr_yaml_map_get(c, root, "x-edr-response", &k);
	yaml_node_t *act = NULL, *tree = NULL, *treek = NULL;
	char hint[64];
	int64_t b = 0;
	size_t i;
	int ret;

	if (!m)
		return 0;
	if (is_null(m))
		return fail(c, k, "'x-edr-response' is empty (write {action: deny|kill|quarantine|"
			    "isolate}, or remove it to only alert)");
	ret = edr_yaml_check_map(c, m, "'x-edr-response'");
	if (ret)
		return ret;
	for (i = 0; i < map_len(m); i++) {
		yaml_node_pair_t *p = &m->data.mapping.pairs.start[i];
		yaml_node_t *pk = N(c, p->key);

		if (!strcmp(sval(pk), "action")) {
			act = N(c, p->value);
		} else if (!strcmp(sval(pk), "tree")) {
			tree = N(c, p->value);
			treek = pk;
		} else {
			return fail(c, pk, "unknown key '%s' in x-edr-response (%s)", sval(pk),
				    suggest(sval(pk), keys, 2, "action or tree", hint, sizeof(hint)));
		}
	}
	if (!act)
		return fail(c, m, "x-edr-response has no 'action' (deny, kill, quarantine or isolate)");
	ret = parse_action(c, act, &resp->action);
	if (!ret)
		ret = check_action_cat(c, act, resp->action);
	if (ret || !tree)
		return ret;
	if (!is_scalar(tree) || is_null(tree) || !edr_rules_parse_bool(sval(tree), &b))
		return fail(c, tree, "'tree' of x-edr-response must be true or false, not %s%s%s",
			    is_scalar(tree) && !is_null(tree) ? "'" : "",
			    is_scalar(tree) && !is_null(tree) ? sval(tree) :
			    is_null(tree) ? "nothing" : edr_yaml_type_word(tree),
			    is_scalar(tree) && !is_null(tree) ? "'" : "");
	if (resp->action != EDR_ACT_KILL)
		return fail(c, treek, "'tree' applies to action kill only, not %s",
			    edr_action_name(resp->action));
	resp->tree = (uint8_t)b;
	return 0;
}

/* ---- accessors ------------------------------------------------------------------ */

const struct edr_response *edr_rule__response(const struct edr_rule *r)
{
	return &r->resp;
}

/* Whether node ni (reached from the root) reads field; seen marks visited nodes. */
static bool node_uses(const struct edr_rule *r, uint32_t ni, unsigned field, uint8_t *seen)
{
	const struct node *n = &r->nodes[ni];
	const struct pred *p;
	uint32_t i;

	if (seen[ni])
		return false;
	seen[ni] = 1;
	switch (n->kind) {
	case N_PRED:
		p = &r->preds[n->a];
		if (p->kind == P_ATOM && p->field == 0xffff) /* a keyword: every STR field */
			return edr_schema_field_type(r->cat, (int)field) == EDR_FT_STR;
		return p->field == field || (p->kind == P_FIELDREF && p->field2 == field);
	case N_NOT:
		return node_uses(r, n->a, field, seen);
	case N_AND:
	case N_OR:
		for (i = 0; i < n->n; i++)
			if (node_uses(r, r->kids[n->a + i], field, seen))
				return true;
		return false;
	default:
		return false;
	}
}

int edr_rule__uses_field(const struct edr_rule *r, unsigned field)
{
	uint8_t *seen;
	bool used;

	if (!r || field >= edr_schema_nfields(r->cat) || !r->nnodes)
		return 0;
	seen = calloc(r->nnodes, 1);
	if (!seen) /* cannot tell: say yes, the cautious answer for every caller */
		return 1;
	used = node_uses(r, r->root, field, seen);
	free(seen);
	return used;
}
