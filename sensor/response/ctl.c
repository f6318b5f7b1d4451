// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine's control verbs and reply items. Requests come from
 * edrctl but are untrusted: every argument is checked and refused with a
 * one-line reason.
 *
 *   enforce      state=on|off                        (root)
 *   response     op=rearm rule=ID | all=1            (root)
 *   isolate      allow.N=CIDR[:PORT] ...             (root)
 *   release                                          (root)
 *   response-rules                                   (read-only): the rule table
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ctl/ctl_server.h"
#include "sensor/response/internal.h"

/* Keeps the first error of a run of additions. */
static void add_s(struct edr_ctl_reply *r, int *err, const char *key, const char *val)
{
	int e = edr_ctl_reply__add_str(r, key, val);

	if (e && !*err)
		*err = e;
}

static void add_i(struct edr_ctl_reply *r, int *err, const char *key, uint64_t val)
{
	int e = edr_ctl_reply__add_int(r, key, val > INT64_MAX ? INT64_MAX : (int64_t)val);

	if (e && !*err)
		*err = e;
}

int edr_response__status_reply(struct edr_responder *r, struct edr_ctl_reply *reply)
{
	struct edr_response_status st;
	char key[EDR_CTL_MAX_KEY + 1], buf[64], list[EDR_CTL_MAX_VAL];
	size_t i, o = 0;
	int err = 0;

	edr_response__status(r, &st);
	add_s(reply, &err, "response.enforce", st.enabled ? "on" : "off");
	add_s(reply, &err, "response.exec", edr_mech_name(st.mech_exec));
	add_s(reply, &err, "response.connect", edr_mech_name(st.mech_net));
	add_s(reply, &err, "response.file", edr_mech_name(st.mech_file));
	add_s(reply, &err, "response.kill", edr_mech_name(st.mech_kill));
	add_s(reply, &err, "response.isolate", edr_mech_name(st.mech_isolate));
	add_s(reply, &err, "response.isolation", st.isolated ? "isolated" : "off");
	list[0] = 0;
	for (i = 0; i < st.nallow && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? "," : "",
				      edr_format_allow(&st.allow[i], buf, sizeof(buf)));
	if (st.isolated)
		add_s(reply, &err, "response.isolation_allow", list[0] ? list : "-");
	add_i(reply, &err, "response.rules", st.response_rules);
	add_i(reply, &err, "response.demoted_rules", st.demoted);
	add_i(reply, &err, "response.generation", st.generation);
	snprintf(key, sizeof(key), "response.policy");
	snprintf(list, sizeof(list), "%zu exec, %zu net, %zu file, %zu sha256", st.exec_entries,
		 st.net_entries, st.file_entries, st.sha256_rules);
	add_s(reply, &err, key, list);
	return err;
}

int edr_response__stats_reply(struct edr_responder *r, struct edr_ctl_reply *reply)
{
	static const char *const outs[_EDR_OUT_MAX] = { "taken", "skipped", "would" };
	struct edr_response_stats st;
	char key[EDR_CTL_MAX_KEY + 1];
	int a, o, m, err = 0;

	edr_response__stats(r, &st);
	for (a = EDR_ACT_DENY; a < _EDR_ACT_MAX; a++) {
		for (o = 0; o < _EDR_OUT_MAX; o++) {
			snprintf(key, sizeof(key), "response.%s.%s", edr_action_name(a), outs[o]);
			add_i(reply, &err, key, st.by_action[a][o]);
		}
		snprintf(key, sizeof(key), "response.%s.demoted", edr_action_name(a));
		add_i(reply, &err, key, st.demoted[a]);
	}
	for (m = EDR_RMECH_LSM; m < _EDR_RMECH_MAX; m++) {
		snprintf(key, sizeof(key), "response_mechanism.%s.taken", edr_mech_name(m));
		add_i(reply, &err, key, st.by_mech[m]);
	}
	add_i(reply, &err, "response_kill_failed", st.kill_failed);
	add_i(reply, &err, "response_policy_applies", st.policy_applies);
	add_i(reply, &err, "response_policy_errors", st.policy_errors);
	return err;
}

int edr_response__rules_reply(struct edr_responder *r, struct edr_ctl_reply *reply)
{
	char key[EDR_CTL_MAX_KEY + 1];
	struct gen *g;
	size_t i, row = 0;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	g = &r->gens[r->seq & 1];
	for (i = 0; i < g->n; i++) {
		const struct grule *gr = &g->rules[i];

		if (!gr->st)
			continue;
#define K(col) (snprintf(key, sizeof(key), "response_rule.%zu.%s", row, col), key)
		add_s(reply, &err, K("id"), gr->st->id[0] ? gr->st->id : "-");
		add_s(reply, &err, K("name"), gr->st->name);
		add_s(reply, &err, K("action"), edr_action_name(gr->action));
		add_s(reply, &err, K("mechanism"), edr_mech_name(gr->mech));
		add_s(reply, &err, K("state"), gr->st->demoted ? "demoted" : "armed");
		add_i(reply, &err, K("actions"), gr->st->taken);
		if (gr->st->demoted)
			add_s(reply, &err, K("why"), gr->st->demoted_why);
#undef K
		row++;
	}
	/* Demoted rules no longer in the active content stay listed: they
	 * stay demoted if the content comes back. */
	for (i = 0; i < r->nstates; i++) {
		size_t k;
		int seen = 0;

		for (k = 0; k < g->n; k++)
			seen |= g->rules[k].st == r->states[i];
		if (seen || !r->states[i]->demoted)
			continue;
		snprintf(key, sizeof(key), "response_rule.%zu.id", row);
		add_s(reply, &err, key, r->states[i]->key);
		snprintf(key, sizeof(key), "response_rule.%zu.state", row);
		add_s(reply, &err, key, "demoted (not in the active content)");
		row++;
	}
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* ---- verbs ---- */

static int h_enforce(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_responder *r = ctx;
	const char *s = edr_ctl_req__get(req, "state");
	int on, rc;

	if (!s || (strcmp(s, "on") && strcmp(s, "off")))
		return edr_ctl_reply__set(reply, -EINVAL, "enforce: state must be 'on' or 'off'");
	on = !strcmp(s, "on");
	rc = edr_response__set_enabled(r, on);
	if (rc)
		return edr_ctl_reply__set(reply, rc, "enforce %s: kernel switch not written: %s%s", s,
					  strerror(-rc), on ? "" : " (user space is off)");
	return edr_ctl_reply__set(reply, 0, "enforcement %s", on ? "on" : "off (observing only)");
}

static int h_response(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_responder *r = ctx;
	const char *op = edr_ctl_req__get(req, "op");
	const char *rule = edr_ctl_req__get(req, "rule");
	const char *all = edr_ctl_req__get(req, "all");
	int n;

	if (!op || strcmp(op, "rearm"))
		return edr_ctl_reply__set(reply, -EINVAL, "response: op must be 'rearm'");
	if (!!rule == (all && !strcmp(all, "1")))
		return edr_ctl_reply__set(reply, -EINVAL, "response rearm: give RULE or --all");
	if (rule && (!rule[0] || strlen(rule) >= RULE_ID_LEN + RULE_NAME_LEN))
		return edr_ctl_reply__set(reply, -EINVAL, "response rearm: bad rule name");
	n = edr_response__rearm(r, rule);
	if (n < 0)
		return edr_ctl_reply__set(reply, n, "response rearm: %s", rule ?
					  "no demoted rule by that id or title" :
					  "no rule is demoted");
	return edr_ctl_reply__set(reply, 0, "%d rule%s re-armed", n, n == 1 ? "" : "s");
}

static int h_isolate(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_responder *r = ctx;
	struct edr_isolate_allow a[EDR_ISOLATE_MAX_ALLOW];
	char key[32], err[256];
	const char *v, *def = edr_ctl_req__get(req, "default");
	size_t n = 0;
	int rc;

	for (n = 0; n <= EDR_ISOLATE_MAX_ALLOW; n++) {
		snprintf(key, sizeof(key), "allow.%zu", n);
		v = edr_ctl_req__get(req, key);
		if (!v)
			break;
		if (n == EDR_ISOLATE_MAX_ALLOW)
			return edr_ctl_reply__set(reply, -E2BIG, "isolate: more than %d allow entries",
						  EDR_ISOLATE_MAX_ALLOW);
		if (edr_parse_allow(v, &a[n], err, sizeof(err)))
			return edr_ctl_reply__set(reply, -EINVAL, "isolate: %s", err);
	}
	/* Without --allow the configured allow-list applies. */
	if (!n || (def && !strcmp(def, "1"))) {
		size_t k;

		for (k = 0; k < r->o.nisolate_allow && n < EDR_ISOLATE_MAX_ALLOW; k++)
			a[n++] = r->o.isolate_allow[k];
	}
	rc = edr_response__isolate(r, a, n, err, sizeof(err));
	if (rc)
		return edr_ctl_reply__set(reply, rc, "isolate: %s", err);
	return edr_ctl_reply__set(reply, 0, "host isolated: everything but loopback and %zu "
				  "allow-list entr%s dropped", n, n == 1 ? "y" : "ies");
}

static int h_release(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	char err[256];
	int rc = edr_response__release(ctx, err, sizeof(err));

	if (rc)
		return edr_ctl_reply__set(reply, rc, "release: %s", err);
	return edr_ctl_reply__set(reply, 0, "isolation released");
}

static int h_rules(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	int rc = edr_response__rules_reply(ctx, reply);

	if (rc)
		edr_ctl_reply__set(reply, rc, "response-rules: cannot build the reply");
	return rc;
}

int edr_response__register_verbs(struct edr_responder *r, struct edr_ctl_server *srv)
{
	int rc = edr_ctl_server__register(srv, "enforce", 0, h_enforce, r);

	if (!rc)
		rc = edr_ctl_server__register(srv, "response", 0, h_response, r);
	if (!rc)
		rc = edr_ctl_server__register(srv, "isolate", 0, h_isolate, r);
	if (!rc)
		rc = edr_ctl_server__register(srv, "release", 0, h_release, r);
	if (!rc)
		rc = edr_ctl_server__register(srv, "response-rules", 1, h_rules, r);
	return rc;
}
