// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine: matches turned into actions, response lines, and the
 * circuit breaker (protected targets, budgets and demotion, shadow, kill
 * switch). The rule tables and the kernel policy are in policy.c, the
 * mechanisms in act.c and behind struct edr_response_ops.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "rules/schema.h"
#include "sensor/content/content.h"
#include "sensor/ecs.h"
#include "sensor/json.h"
#include "sensor/response/internal.h"
#include "sensor/response/protect.h"

static const char *const mech_names[_EDR_RMECH_MAX] = {
	"none", "lsm", "kill-at-exec", "cgroup", "fanotify", "pidfd", "quarantine", "cgroup_skb",
};

const char *edr_mech_name(int m)
{
	return m >= 0 && m < _EDR_RMECH_MAX ? mech_names[m] : "?";
}

int edr_response_choose_exec(int pref, const struct edr_enforce_caps *caps, int fanotify_ok,
			     char *why, size_t whylen)
{
	static const char *const pref_names[] = { "auto", "lsm", "fanotify", "kill" };
	int ok = 1;

	why[0] = 0;
	if (pref == EDR_EXEC_PREF_LSM && caps->exec_lsm)
		return EDR_RMECH_LSM;
	if (pref == EDR_EXEC_PREF_FANOTIFY && fanotify_ok)
		return EDR_RMECH_FANOTIFY;
	if (pref == EDR_EXEC_PREF_KILL && caps->exec_kill)
		return EDR_RMECH_KILL_AT_EXEC;
	if (pref != EDR_EXEC_PREF_AUTO && pref >= 0 && pref <= EDR_EXEC_PREF_KILL) {
		snprintf(why, whylen, "enforce_exec = %s is not available on this kernel, choosing "
			 "automatically", pref_names[pref]);
		ok = 0;
	}
	/* Automatically, fanotify comes after kill-at-exec: its exec marks make
	 * every exec on the host wait for this process, so a stopped (SIGSTOP,
	 * debugger) sensor would hold them all; kill-at-exec runs in the kernel
	 * and never waits. enforce_exec = fanotify chooses it knowingly. */
	if (caps->exec_lsm)
		return EDR_RMECH_LSM;
	if (caps->exec_kill)
		return EDR_RMECH_KILL_AT_EXEC;
	if (fanotify_ok)
		return EDR_RMECH_FANOTIFY;
	if (ok)
		snprintf(why, whylen, "no pre-exec mechanism: exec deny rules kill after the fact");
	return EDR_RMECH_PIDFD;
}

uint64_t edr_resp_now(const struct edr_responder *r)
{
	struct timespec ts;

	if (r->o.clock_ns)
		return r->o.clock_ns(r->o.clock_ctx);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void edr_resp_log(const struct edr_responder *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!r->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->o.log(r->o.log_ctx, buf);
}

/* ---- response lines ---- */

static const char *category_of(int action, int cat)
{
	if (action == EDR_ACT_ISOLATE)
		return "host";
	if (action == EDR_ACT_QUARANTINE)
		return "file";
	if (action == EDR_ACT_KILL)
		return "process";
	switch (cat) {
	case EDR_CAT_NETWORK_CONNECTION:
		return "network";
	case EDR_CAT_PROCESS_CREATION:
		return "process";
	case EDR_CAT_FILE_EVENT:
	case EDR_CAT_FILE_DELETE:
	case EDR_CAT_FILE_RENAME:
		return "file";
	default:
		return "process";
	}
}

static void emit_target(struct edr_json *j, const struct edr_response_target *t, int action)
{
	if (t->pid && action != EDR_ACT_ISOLATE) {
		edr_json_key(j, "process");
		edr_json_obj_begin(j);
		edr_json_kint(j, "pid", t->pid);
		if (t->exe)
			edr_json_kcstr(j, "executable", t->exe);
		if (t->entity_id)
			edr_json_kcstr(j, "entity_id", t->entity_id);
		if (t->sha256 && t->sha256[0]) {
			edr_json_key(j, "hash");
			edr_json_obj_begin(j);
			edr_json_kcstr(j, "sha256", t->sha256);
			edr_json_obj_end(j);
		}
		edr_json_obj_end(j);
	}
	if (t->file) {
		edr_json_key(j, "file");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "path", t->file);
		edr_json_obj_end(j);
	}
	if (t->dst_ip) {
		edr_json_key(j, "destination");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "ip", t->dst_ip);
		if (t->dst_port)
			edr_json_kuint(j, "port", t->dst_port);
		edr_json_obj_end(j);
	}
}

/* Starts a line: @timestamp and event {kind, category: [category], left
 * open for more keys. */
static void line_begin(struct edr_responder *r, struct edr_json *j, const char *kind,
		       const char *category)
{
	edr_json_init(j);
	edr_json_obj_begin(j);
	if (r->o.ecs)
		edr_ecs__timestamp(r->o.ecs, j, edr_resp_now(r));
	edr_json_key(j, "event");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "kind", kind);
	edr_json_key(j, "category");
	edr_json_arr_begin(j);
	edr_json_cstr(j, category);
	edr_json_arr_end(j);
}

void edr_resp_emit(struct edr_responder *r, const struct resp_line *l)
{
	const char *act = edr_action_name(l->action);
	struct edr_json j;
	char action[48];
	int denied = !strcmp(l->outcome, "taken") &&
		     (l->action == EDR_ACT_DENY || l->action == EDR_ACT_KILL);

	if (!strcmp(l->outcome, "taken"))
		snprintf(action, sizeof(action), "%s", act);
	else
		snprintf(action, sizeof(action), "%s-%s",
			 !strcmp(l->outcome, "would") ? "would" : "skipped", act);
	if (!r->o.emit)
		return;
	line_begin(r, &j, "event", category_of(l->action, l->t ? l->t->cat : -1));
	edr_json_key(&j, "type");
	edr_json_arr_begin(&j);
	edr_json_cstr(&j, denied ? "denied" : !strcmp(l->outcome, "taken") ? "change" : "info");
	edr_json_arr_end(&j);
	edr_json_kcstr(&j, "action", action);
	edr_json_kcstr(&j, "outcome", !strcmp(l->outcome, "taken") ? "success" : "unknown");
	edr_json_obj_end(&j);
	if (r->o.ecs) {
		edr_json_key(&j, "host");
		edr_json_obj_begin(&j);
		edr_json_kcstr(&j, "name", r->o.ecs->host_name);
		edr_json_obj_end(&j);
	}
	if (l->t)
		emit_target(&j, l->t, l->action);
	edr_json_key(&j, "edr");
	edr_json_obj_begin(&j);
	edr_json_key(&j, "response");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "action", act);
	edr_json_kcstr(&j, "mechanism", edr_mech_name(l->mech));
	edr_json_kcstr(&j, "outcome", l->outcome);
	if (l->reason)
		edr_json_kcstr(&j, "reason", l->reason);
	if (l->latency_us >= 0)
		edr_json_kint(&j, "latency_us", l->latency_us);
	if (l->quarantine_id)
		edr_json_kcstr(&j, "quarantine_id", l->quarantine_id);
	edr_json_key(&j, "rule");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "id", l->id ? l->id : "");
	edr_json_kcstr(&j, "name", l->name ? l->name : "");
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	if (!j.oom)
		r->o.emit(r->o.emit_ctx, j.buf, j.len, 0, 0);
	edr_json_free(&j);
}

/* The alert that a rule was demoted to alert-only. */
static void emit_demoted(struct edr_responder *r, const struct rstate *st)
{
	struct edr_json j;

	if (!r->o.emit)
		return;
	line_begin(r, &j, "alert", "configuration");
	edr_json_kcstr(&j, "action", "response-demoted");
	edr_json_kint(&j, "severity", 73);
	edr_json_obj_end(&j);
	edr_json_kcstr(&j, "message", st->demoted_why);
	edr_json_key(&j, "rule");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "id", st->id);
	edr_json_kcstr(&j, "name", st->name);
	edr_json_obj_end(&j);
	edr_json_key(&j, "edr");
	edr_json_obj_begin(&j);
	edr_json_key(&j, "response");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "action", edr_action_name(st->action));
	edr_json_kcstr(&j, "outcome", "demoted");
	edr_json_kcstr(&j, "reason", st->demoted_why);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	if (!j.oom)
		r->o.emit(r->o.emit_ctx, j.buf, j.len, 1, 73);
	edr_json_free(&j);
}

/* ---- the circuit breaker ---- */

static void refill(double *tokens, uint64_t *last, uint64_t now, unsigned per_min)
{
	if (now > *last) {
		*tokens += (double)(now - *last) * per_min / 60e9;
		if (*tokens > per_min)
			*tokens = per_min;
	}
	*last = now;
}

/* Under lock: demotes st (the kernel entries go with it). */
static void demote(struct edr_responder *r, struct rstate *st, const char *why)
{
	char err[256];

	st->demoted = 1;
	snprintf(st->demoted_why, sizeof(st->demoted_why), "rule '%s' demoted to alert-only: %s",
		 st->id[0] ? st->id : st->name, why);
	if (st->action < _EDR_ACT_MAX)
		RINC(r->c.demoted[st->action]);
	edr_resp_log(r, "%s", st->demoted_why);
	if (edr_resp_reapply(r, err, sizeof(err)))
		edr_resp_log(r, "demotion of '%s': kernel entries not removed: %s", st->key, err);
	emit_demoted(r, st);
}

/*
 * Under lock: charges one action to st and the total. Returns 0 when within
 * budget, else demotes the rule and returns -EDQUOT with why.
 */
int edr_resp_charge(struct edr_responder *r, struct rstate *st, char *why, size_t whylen)
{
	uint64_t now = edr_resp_now(r);

	refill(&st->tokens, &st->last_ns, now, r->o.rate_per_rule);
	refill(&r->total_tokens, &r->total_last_ns, now, r->o.rate_total);
	if (st->tokens < 1.0) {
		snprintf(why, whylen, "over its budget of %u actions a minute", r->o.rate_per_rule);
		demote(r, st, why);
		return -EDQUOT;
	}
	if (r->total_tokens < 1.0) {
		snprintf(why, whylen, "over the total budget of %u actions a minute",
			 r->o.rate_total);
		demote(r, st, why);
		return -EDQUOT;
	}
	st->tokens -= 1.0;
	r->total_tokens -= 1.0;
	st->taken++;
	return 0;
}

/* Whether the target is protected; why names it. */
static int protected_target(const struct edr_responder *r, int action,
			    const struct edr_response_target *t, char *why, size_t whylen)
{
	const struct edr_protect *p = r->o.protect;

	if (!p)
		return 0;
	if (action == EDR_ACT_QUARANTINE) {
		const char *f = t->file ? t->file : t->exe;

		if (f && edr_protect__path(p, f)) {
			snprintf(why, whylen, "protected file %s", f);
			return 1;
		}
		return 0;
	}
	if (action == EDR_ACT_ISOLATE)
		return 0;
	/* Refusing one open or connect cannot lock anyone out: there only
	 * init and the sensor are exempt, not every shell that writes. */
	if (action == EDR_ACT_DENY && t->cat != EDR_CAT_PROCESS_CREATION) {
		if (t->pid == 1 || t->pid == getpid()) {
			snprintf(why, whylen, "protected process %d", (int)t->pid);
			return 1;
		}
		return 0;
	}
	if (t->exe && edr_protect__path(p, t->exe)) {
		snprintf(why, whylen, "protected binary %s", t->exe);
		return 1;
	}
	if (t->pid && edr_protect__pid(p, t->pid, t->exe)) {
		snprintf(why, whylen, "protected process %d%s%s", (int)t->pid, t->exe ? " " : "",
			 t->exe ? t->exe : "");
		return 1;
	}
	return 0;
}

static void count(struct edr_responder *r, int action, int outcome, int mech)
{
	if (action < 0 || action >= _EDR_ACT_MAX)
		return;
	RINC(r->c.by_action[action][outcome]);
	if (outcome == EDR_OUT_TAKEN && mech >= 0 && mech < _EDR_RMECH_MAX)
		RINC(r->c.by_mech[mech]);
}

static int64_t latency_us(const struct edr_responder *r, uint64_t ts_ns)
{
	uint64_t now = edr_resp_now(r);

	return ts_ns && now > ts_ns ? (int64_t)((now - ts_ns) / 1000) : 0;
}

static void skipped(struct edr_responder *r, int action, int mech, const char *id,
		    const char *name, const char *why, const struct edr_response_target *t)
{
	struct resp_line l = { action, mech, "skipped", why, id, name, -1, t, NULL };

	count(r, action, EDR_OUT_SKIPPED, mech);
	edr_resp_emit(r, &l);
}

/*
 * The gate every action passes: kill switch, demotion, protection, budget.
 * Returns 1 when the action may go ahead; otherwise a skipped line is out.
 * Takes and releases the lock.
 */
static int gate(struct edr_responder *r, struct rstate *st, int action, int mech,
		const struct edr_response_target *t)
{
	char why[256];
	int ok = 0;

	if (!__atomic_load_n(&r->enabled, __ATOMIC_ACQUIRE)) {
		skipped(r, action, mech, st->id, st->name, "enforcement off", t);
		return 0;
	}
	if (protected_target(r, action, t, why, sizeof(why))) {
		skipped(r, action, mech, st->id, st->name, why, t);
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if (st->demoted)
		snprintf(why, sizeof(why), "rule demoted to alert-only (edrctl response rearm)");
	else if (!edr_resp_charge(r, st, why, sizeof(why)))
		ok = 1;
	pthread_mutex_unlock(&r->lock);
	if (!ok) {
		char w2[300];

		snprintf(w2, sizeof(w2), "%s", why);
		skipped(r, action, mech, st->id, st->name, w2, t);
	}
	return ok;
}

/* ---- matches ---- */

static void take_kill(struct edr_responder *r, const struct rstate *st, int action, int tree,
		      const struct edr_response_target *t)
{
	struct resp_line l = { action, EDR_RMECH_PIDFD, "taken", NULL, st->id, st->name, 0, t,
			       NULL };
	char why[256] = "";
	int rc = edr_resp_kill(r, t, tree, why, sizeof(why));

	l.latency_us = latency_us(r, t->ts_ns);
	if (rc) {
		RINC(r->c.kill_failed);
		l.outcome = "skipped";
		l.reason = why;
		l.latency_us = -1;
		count(r, action, EDR_OUT_SKIPPED, EDR_RMECH_PIDFD);
	} else {
		if (action == EDR_ACT_DENY)
			l.reason = "decided after the fact";
		count(r, action, EDR_OUT_TAKEN, EDR_RMECH_PIDFD);
	}
	edr_resp_emit(r, &l);
}

static void queue_job(struct edr_responder *r, int kind, const struct rstate *st,
		      const struct edr_response_target *t)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		skipped(r, kind == JOB_ISOLATE ? EDR_ACT_ISOLATE : EDR_ACT_QUARANTINE,
			kind == JOB_ISOLATE ? r->mech_isolate : EDR_RMECH_QUARANTINE, st->id,
			st->name, "out of memory", t);
		return;
	}
	j->kind = kind;
	snprintf(j->id, sizeof(j->id), "%s", st->id);
	snprintf(j->name, sizeof(j->name), "%s", st->name);
	j->t = *t;
	/* The strings are the event's: copied for the worker. */
	snprintf(j->path, sizeof(j->path), "%s", t->file ? t->file : t->exe ? t->exe : "");
	snprintf(j->exe, sizeof(j->exe), "%s", t->exe ? t->exe : "");
	snprintf(j->entity, sizeof(j->entity), "%s", t->entity_id ? t->entity_id : "");
	j->t.file = j->path[0] ? j->path : NULL;
	j->t.exe = j->exe[0] ? j->exe : NULL;
	j->t.entity_id = j->entity[0] ? j->entity : NULL;
	j->t.dst_ip = NULL;
	j->t.sha256 = NULL;
	edr_resp_enqueue(r, j);
}

static void would(struct edr_responder *r, const struct edr_rule *rule,
		  const struct edr_content_set *set, int action, int mech,
		  const struct edr_response_target *t)
{
	struct resp_line l = { action, mech, "would", "shadow content", edr_rule__id(rule),
			       edr_rule__title(rule), -1, t, NULL };

	/* The counter the promotion gate reads; the set is the manager's. */
	if (set)
		__atomic_add_fetch(&((struct edr_content_set *)set)->would_acts, 1,
				   __ATOMIC_RELAXED);
	count(r, action, EDR_OUT_WOULD, mech);
	edr_resp_emit(r, &l);
}

void edr_response__on_match(struct edr_responder *r, const struct edr_rule *rule, int shadow,
			    const struct edr_content_set *set, const struct edr_response_target *t)
{
	const struct edr_response *resp = edr_rule__response(rule);
	struct edr_kform k;
	struct rstate *st;
	int mech, pre;

	if (!r || resp->action == EDR_ACT_NONE)
		return;
	edr_rule__kform(rule, &k);
	mech = edr_resp_rule_mech(r, rule, resp->action, k.kind, &pre);
	if (shadow) {
		would(r, rule, set, resp->action, mech, t);
		return;
	}
	if (pre)
		return; /* refused before it happened; reported from there */
	pthread_mutex_lock(&r->lock);
	st = edr_resp_state_get(r, rule, 1);
	if (st && resp->action == EDR_ACT_DENY && k.kind == EDR_KFORM_EXEC_SHA256 &&
	    t->sha256 && t->sha256[0])
		edr_resp_learn_locked(r, t->dev, t->ino, t->ctime_ns, t->sha256);
	pthread_mutex_unlock(&r->lock);
	if (!st)
		return;
	if (!gate(r, st, resp->action, mech, t))
		return;
	switch (resp->action) {
	case EDR_ACT_DENY:
	case EDR_ACT_KILL:
		take_kill(r, st, resp->action, resp->action == EDR_ACT_KILL && resp->tree, t);
		break;
	case EDR_ACT_QUARANTINE:
		queue_job(r, JOB_QUARANTINE, st, t);
		break;
	case EDR_ACT_ISOLATE:
		queue_job(r, JOB_ISOLATE, st, t);
		break;
	}
}

/* ---- decisions made before the operation (kernel, fanotify) ---- */

void edr_response__report(struct edr_responder *r, uint32_t num, int action, int mech,
			  const char *outcome, const char *reason,
			  const struct edr_response_target *t)
{
	struct resp_line l = { action, mech, outcome, reason, "", "", -1, t, NULL };
	char id[RULE_ID_LEN] = "", name[RULE_NAME_LEN] = "";

	edr_response__rule_name(r, num, id, sizeof(id), name, sizeof(name));
	l.id = id;
	l.name = name;
	if (!strcmp(outcome, "taken"))
		l.latency_us = latency_us(r, t->ts_ns);
	count(r, action, !strcmp(outcome, "taken") ? EDR_OUT_TAKEN :
		  !strcmp(outcome, "would") ? EDR_OUT_WOULD : EDR_OUT_SKIPPED, mech);
	edr_resp_emit(r, &l);
}

void edr_response__kernel_denial(struct edr_responder *r, uint32_t num, int mech,
				 const struct edr_response_target *t)
{
	struct resp_line l = { EDR_ACT_DENY, mech, "taken", NULL, "", "", 0, t, NULL };
	struct grule *g;
	char why[160];

	pthread_mutex_lock(&r->lock);
	g = edr_resp_gen_lookup(r, num);
	if (g && g->st) {
		l.id = g->st->id;
		l.name = g->st->name;
		l.action = g->action;
		/* Counted against the budget: a rule refusing too much is demoted
		 * and its entries leave the kernel. */
		if (!g->st->demoted)
			edr_resp_charge(r, g->st, why, sizeof(why));
	} else {
		l.reason = "rule of an earlier generation";
	}
	count(r, l.action, EDR_OUT_TAKEN, mech);
	edr_resp_emit(r, &l);
	pthread_mutex_unlock(&r->lock);
}

/* The number of a rule of the current generation (0 if not in it). */
static uint32_t current_num(struct edr_responder *r, const struct edr_rule *rule)
{
	struct gen *g = &r->gens[r->seq & 1];
	size_t idx = edr_rule__index(rule);

	return idx < g->n && g->rules[idx].st ? edr_resp_rule_num(r->seq, idx) : 0;
}

int edr_response__may_deny(struct edr_responder *r, const struct edr_rule *rule,
			   const struct edr_response_target *t, uint32_t *num)
{
	const struct edr_response *resp = edr_rule__response(rule);
	struct rstate *st;

	*num = 0;
	if (resp->action != EDR_ACT_DENY)
		return 0;
	pthread_mutex_lock(&r->lock);
	st = edr_resp_state_get(r, rule, 1);
	*num = current_num(r, rule);
	pthread_mutex_unlock(&r->lock);
	return st && gate(r, st, EDR_ACT_DENY, EDR_RMECH_FANOTIFY, t);
}

int edr_response__may_deny_num(struct edr_responder *r, uint32_t num,
			       const struct edr_response_target *t)
{
	struct grule *g;
	struct rstate *st;

	pthread_mutex_lock(&r->lock);
	g = edr_resp_gen_lookup(r, num);
	st = g ? g->st : NULL;
	pthread_mutex_unlock(&r->lock);
	return st && gate(r, st, EDR_ACT_DENY, EDR_RMECH_FANOTIFY, t);
}

int edr_response__rule_name(struct edr_responder *r, uint32_t num, char *id, size_t idlen,
			    char *name, size_t namelen)
{
	struct grule *g;
	int found = 0;

	pthread_mutex_lock(&r->lock);
	g = edr_resp_gen_lookup(r, num);
	if (g && g->st) {
		snprintf(id, idlen, "%s", g->st->id);
		snprintf(name, namelen, "%s", g->st->name);
		found = 1;
	} else {
		snprintf(id, idlen, "%s", "");
		snprintf(name, namelen, "%s", "");
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* ---- operator controls ---- */

int edr_response__set_enabled(struct edr_responder *r, int on)
{
	int rc = 0;

	if (r->o.ops.set_enabled)
		rc = r->o.ops.set_enabled(r->o.ops.ctx, on);
	/* User space follows even if the kernel write failed when turning off:
	 * off must always work as far as it can. */
	if (!rc || !on)
		__atomic_store_n(&r->enabled, on ? 1 : 0, __ATOMIC_RELEASE);
	edr_resp_log(r, "enforcement %s%s", on ? "on" : "off", rc ? " (kernel write failed)" : "");
	return rc;
}

int edr_response__enabled(const struct edr_responder *r)
{
	return __atomic_load_n(&r->enabled, __ATOMIC_ACQUIRE);
}

int edr_response__rearm(struct edr_responder *r, const char *rule)
{
	char err[256];
	size_t i;
	int n = 0;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nstates; i++) {
		struct rstate *st = r->states[i];

		if (!st->demoted)
			continue;
		if (rule && strcmp(st->id, rule) && strcmp(st->name, rule) && strcmp(st->key, rule))
			continue;
		st->demoted = 0;
		st->demoted_why[0] = 0;
		st->tokens = r->o.rate_per_rule;
		st->last_ns = edr_resp_now(r);
		edr_resp_log(r, "rule '%s' re-armed", st->key);
		n++;
	}
	if (n && edr_resp_reapply(r, err, sizeof(err)))
		edr_resp_log(r, "re-arm: policy not applied: %s", err);
	pthread_mutex_unlock(&r->lock);
	return n ? n : -ENOENT;
}

void edr_response__stats(struct edr_responder *r, struct edr_response_stats *st)
{
	const uint64_t *src = (const uint64_t *)&r->c;
	uint64_t *dst = (uint64_t *)st;
	size_t i;

	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void edr_response__status(struct edr_responder *r, struct edr_response_status *st)
{
	struct edr_isolate_status is = { 0 };
	size_t i;

	memset(st, 0, sizeof(*st));
	st->enabled = edr_response__enabled(r);
	st->mech_exec = r->mech_exec;
	st->mech_net = r->mech_net;
	st->mech_file = r->mech_file;
	st->mech_kill = EDR_RMECH_PIDFD;
	st->mech_isolate = r->mech_isolate;
	if (r->o.ops.isolate_status && !r->o.ops.isolate_status(r->o.ops.ctx, &is)) {
		st->isolated = is.isolated;
		st->nallow = is.nallow < EDR_ISOLATE_MAX_ALLOW ? is.nallow : EDR_ISOLATE_MAX_ALLOW;
		memcpy(st->allow, is.allow, st->nallow * sizeof(st->allow[0]));
	}
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->nstates; i++)
		st->demoted += r->states[i]->demoted ? 1 : 0;
	st->response_rules = r->response_rules;
	st->exec_entries = r->nexec + r->nlearned;
	st->net_entries = r->nnet;
	st->file_entries = r->nfile;
	st->sha256_rules = r->nsha;
	st->generation = r->seq;
	pthread_mutex_unlock(&r->lock);
}

/* ---- life ---- */

static void choose(struct edr_responder *r)
{
	char why[256];

	r->mech_exec = edr_response_choose_exec(r->o.exec_pref, &r->o.caps, r->o.fanotify_ok, why,
						sizeof(why));
	if (why[0])
		edr_resp_log(r, "%s", why);
	r->mech_net = r->o.caps.net_lsm ? EDR_RMECH_LSM :
		      r->o.caps.net_cgroup ? EDR_RMECH_CGROUP : EDR_RMECH_PIDFD;
	r->mech_file = r->o.caps.file_lsm ? EDR_RMECH_LSM :
		       r->o.fanotify_file_ok ? EDR_RMECH_FANOTIFY : EDR_RMECH_PIDFD;
	r->mech_isolate = r->o.caps.isolate ? EDR_RMECH_CGROUP_SKB : EDR_RMECH_NONE;
	edr_resp_log(r, "response mechanisms: exec deny %s, connect deny %s, file deny %s, kill "
		     "pidfd, isolate %s; enforcement %s", edr_mech_name(r->mech_exec),
		     edr_mech_name(r->mech_net), edr_mech_name(r->mech_file),
		     edr_mech_name(r->mech_isolate), r->o.enabled ? "on" : "OFF (observing only)");
}

struct edr_responder *edr_response__new(const struct edr_response_opts *o)
{
	struct edr_responder *r = calloc(1, sizeof(*r));
	enum edr_exec_mode mode;

	if (!r)
		return NULL;
	r->o = *o;
	if (!r->o.rate_per_rule)
		r->o.rate_per_rule = 20;
	if (!r->o.rate_total)
		r->o.rate_total = 100;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->total_tokens = r->o.rate_total;
	r->total_last_ns = edr_resp_now(r);
	choose(r);
	mode = r->mech_exec == EDR_RMECH_LSM ? EDR_EXEC_MODE_LSM :
	       r->mech_exec == EDR_RMECH_KILL_AT_EXEC ? EDR_EXEC_MODE_KILL : EDR_EXEC_MODE_OFF;
	if (r->o.ops.set_exec_mode && r->o.ops.set_exec_mode(r->o.ops.ctx, mode))
		edr_resp_log(r, "cannot set the kernel's exec mode, ignoring");
	r->enabled = r->o.enabled ? 1 : 0;
	if (r->o.ops.set_enabled && r->o.ops.set_enabled(r->o.ops.ctx, r->enabled))
		edr_resp_log(r, "cannot set the kernel's kill switch, ignoring");
	if (!r->o.no_worker && edr_resp_worker_start(r)) {
		edr_response__free(r);
		return NULL;
	}
	return r;
}

void edr_response__free(struct edr_responder *r)
{
	size_t i;

	if (!r)
		return;
	edr_resp_worker_stop(r);
	edr_response__drain(r);
	edr_resp_policy_clear(r);
	for (i = 0; i < r->nstates; i++)
		free(r->states[i]);
	free(r->states);
	free(r->gens[0].rules);
	free(r->gens[1].rules);
	free(r->exec);
	free(r->net);
	free(r->file);
	free(r->paths);
	free(r->sha);
	free(r->learned);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}
