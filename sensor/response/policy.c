// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine's tables and policy: rule states kept by key across
 * generations, the per-generation rule tables (rule number -> rule), the
 * mechanism of each rule here, and the kernel policy compiled from the
 * active content's deny rules at every activation (exec identities by
 * stat(), SHA-256 values and the identities learned for them, networks,
 * protected files), applied without the demoted rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "rules/schema.h"
#include "sensor/content/content.h"
#include "sensor/response/internal.h"

/* ---- rule states and generation tables ---- */

static void rule_key(const struct edr_rule *rule, char *buf, size_t len)
{
	const char *id = edr_rule__id(rule);

	if (id && id[0])
		snprintf(buf, len, "%s", id);
	else
		snprintf(buf, len, "%s:%s", edr_rule__file(rule), edr_rule__title(rule));
}

/* Under lock. NULL on ENOMEM. */
struct rstate *edr_resp_state_get(struct edr_responder *r, const struct edr_rule *rule, int create)
{
	char key[sizeof(((struct rstate *)0)->key)];
	struct rstate *st;
	size_t i;

	rule_key(rule, key, sizeof(key));
	for (i = 0; i < r->nstates; i++)
		if (!strcmp(r->states[i]->key, key))
			return r->states[i];
	if (!create)
		return NULL;
	if (r->nstates == r->capstates) {
		size_t nc = r->capstates ? r->capstates * 2 : 16;
		struct rstate **p = realloc(r->states, nc * sizeof(*p));

		if (!p)
			return NULL;
		r->states = p;
		r->capstates = nc;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	snprintf(st->key, sizeof(st->key), "%s", key);
	snprintf(st->id, sizeof(st->id), "%s", edr_rule__id(rule));
	snprintf(st->name, sizeof(st->name), "%s", edr_rule__title(rule));
	st->action = edr_rule__response(rule)->action;
	st->tokens = r->o.rate_per_rule;
	st->last_ns = edr_resp_now(r);
	r->states[r->nstates++] = st;
	return st;
}

uint32_t edr_resp_rule_num(uint64_t seq, size_t idx)
{
	return ((seq & 1) ? GEN_BIT : 0) | (uint32_t)(idx + 1);
}

/* Under lock: the table entry of a number, or NULL. */
struct grule *edr_resp_gen_lookup(struct edr_responder *r, uint32_t num)
{
	struct gen *g = &r->gens[(num & GEN_BIT) ? 1 : 0];
	size_t idx = (num & ~GEN_BIT);

	if (!idx || idx > g->n || !g->rules)
		return NULL;
	return &g->rules[idx - 1];
}

/* Fields of process_creation known before the exec happens. */
static int pre_exec_field(unsigned f)
{
	switch (f) {
	case EDR_F_PROCESS_CREATION_IMAGE:
	case EDR_F_PROCESS_CREATION_PARENT_IMAGE:
	case EDR_F_PROCESS_CREATION_USER:
	case EDR_F_PROCESS_CREATION_USER_ID:
	case EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY:
	case EDR_F_PROCESS_CREATION_SHA256:
	case EDR_F_PROCESS_CREATION_HASHES:
	case EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID:
	case EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE:
	case EDR_F_PROCESS_CREATION_PARENT_USER:
	case EDR_F_PROCESS_CREATION_CONTAINER_ID:
		return 1;
	default:
		return 0;
	}
}

int edr_response_rule_pre_exec(const struct edr_rule *rule)
{
	unsigned f;

	if (edr_rule__category(rule) != EDR_CAT_PROCESS_CREATION)
		return 0;
	for (f = 0; f < EDR_NFIELDS(PROCESS_CREATION); f++)
		if (!pre_exec_field(f) && edr_rule__uses_field(rule, f))
			return 0;
	return 1;
}

/*
 * The mechanism a rule's action uses here, and whether it is decided before
 * the operation (then a match on the event after it is not acted on again:
 * the kernel's denial record or the fanotify worker reports it).
 */
int edr_resp_rule_mech(const struct edr_responder *r, const struct edr_rule *rule, int action,
		     int kform, int *pre)
{
	int cat = edr_rule__category(rule);

	*pre = 0;
	switch (action) {
	case EDR_ACT_KILL:
		return EDR_RMECH_PIDFD;
	case EDR_ACT_QUARANTINE:
		return EDR_RMECH_QUARANTINE;
	case EDR_ACT_ISOLATE:
		return r->mech_isolate;
	case EDR_ACT_DENY:
		break;
	default:
		return EDR_RMECH_NONE;
	}
	if (cat == EDR_CAT_PROCESS_CREATION) {
		if (r->mech_exec == EDR_RMECH_FANOTIFY && edr_response_rule_pre_exec(rule)) {
			*pre = 1;
			return EDR_RMECH_FANOTIFY;
		}
		if ((r->mech_exec == EDR_RMECH_LSM || r->mech_exec == EDR_RMECH_KILL_AT_EXEC) &&
		    (kform == EDR_KFORM_EXEC_PATH || kform == EDR_KFORM_EXEC_SHA256)) {
			/* SHA-256: the first exec of an identity is killed after the
			 * fact and the identity learned (see on_match). */
			*pre = kform == EDR_KFORM_EXEC_PATH;
			return r->mech_exec;
		}
		return EDR_RMECH_PIDFD;
	}
	if (cat == EDR_CAT_NETWORK_CONNECTION && kform == EDR_KFORM_NET &&
	    r->mech_net != EDR_RMECH_PIDFD) {
		*pre = 1;
		return r->mech_net;
	}
	if (cat == EDR_CAT_FILE_EVENT && kform == EDR_KFORM_FILE_PATH &&
	    r->mech_file != EDR_RMECH_PIDFD) {
		*pre = 1;
		return r->mech_file;
	}
	return EDR_RMECH_PIDFD;
}

/* ---- the policy ---- */

/* Room for one more element of *arr (n used of *cap, elem bytes each):
 * 1, or 0 when out of memory. */
static int grow_array(void *arr, size_t n, size_t *cap, size_t elem)
{
	void **a = arr;
	size_t nc;
	void *p;

	if (n < *cap)
		return 1;
	nc = *cap ? *cap * 2 : 16;
	p = realloc(*a, nc * elem);
	if (!p)
		return 0;
	*a = p;
	*cap = nc;
	return 1;
}

#define GROW(arr, n, cap) grow_array(&(arr), (n), &(cap), sizeof(*(arr)))

static uint32_t kdev(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

void edr_resp_policy_clear(struct edr_responder *r)
{
	size_t i;

	for (i = 0; i < r->npaths; i++)
		free(r->paths[i].path);
	r->nexec = r->nnet = r->nfile = r->npaths = r->nsha = 0;
	r->needs_hash = 0;
}

/* One deny rule's kernel form into the user-space policy (under lock). */
static int policy_add(struct edr_responder *r, const struct edr_kform *k, uint32_t num)
{
	struct stat sb;
	size_t i, p;

	for (i = 0; i < k->nstrs && k->kind != EDR_KFORM_NET; i++) {
		const char *s = k->strs[i];

		if (k->kind == EDR_KFORM_EXEC_SHA256) {
			if (!GROW(r->sha, r->nsha, r->capsha))
				return -ENOMEM;
			snprintf(r->sha[r->nsha].hex, sizeof(r->sha[r->nsha].hex), "%s", s);
			r->sha[r->nsha++].num = num;
			r->needs_hash = 1;
			continue;
		}
		if (!GROW(r->paths, r->npaths, r->cappaths))
			return -ENOMEM;
		r->paths[r->npaths].path = strdup(s);
		if (!r->paths[r->npaths].path)
			return -ENOMEM;
		r->paths[r->npaths].num = num;
		r->paths[r->npaths++].kind = k->kind;
		if (stat(s, &sb)) {
			edr_resp_log(r, "policy: %s: %s, no kernel entry until the next activation",
				     s, strerror(errno));
			continue;
		}
		if (k->kind == EDR_KFORM_EXEC_PATH) {
			if (!GROW(r->exec, r->nexec, r->capexec))
				return -ENOMEM;
			r->exec[r->nexec++] = (struct edr_policy_exec){
				.dev = kdev(sb.st_dev), .ino = sb.st_ino,
				.ctime_ns = (uint64_t)sb.st_ctim.tv_sec * 1000000000ull +
					    (uint64_t)sb.st_ctim.tv_nsec,
				.rule = num,
			};
		} else if (k->kind == EDR_KFORM_FILE_PATH) {
			if (!GROW(r->file, r->nfile, r->capfile))
				return -ENOMEM;
			r->file[r->nfile++] = (struct edr_policy_file){
				.dev = kdev(sb.st_dev), .ino = sb.st_ino, .rule = num,
			};
		}
	}
	for (i = 0; k->kind == EDR_KFORM_NET && i < k->nnets; i++)
		for (p = 0; p < (k->nports ? k->nports : 1); p++) {
			struct edr_policy_net *n;

			if (!GROW(r->net, r->nnet, r->capnet))
				return -ENOMEM;
			n = &r->net[r->nnet++];
			memset(n, 0, sizeof(*n));
			n->family = k->nets[i].family;
			n->prefix = k->nets[i].prefix;
			memcpy(n->addr, k->nets[i].addr, sizeof(n->addr));
			n->port = k->nports ? k->ports[p] : 0;
			n->rule = num;
		}
	return 0;
}

/* Whether the rule behind a number may act now (not demoted). */
int edr_resp_num_armed(struct edr_responder *r, uint32_t num)
{
	struct grule *g = edr_resp_gen_lookup(r, num);

	return g && g->st && !g->st->demoted;
}

/* Under lock: the policy without demoted rules goes to the kernel (and
 * the fanotify marks). */
int edr_resp_reapply(struct edr_responder *r, char *err, size_t errlen)
{
	struct edr_policy_exec *ex = calloc(r->nexec + r->nlearned + 1, sizeof(*ex));
	struct edr_policy_net *nt = calloc(r->nnet + 1, sizeof(*nt));
	struct edr_policy_file *fl = calloc(r->nfile + 1, sizeof(*fl));
	struct edr_policy p = { ex, 0, nt, 0, fl, 0 };
	size_t i;
	int rc = 0;

	err[0] = 0;
	if (!ex || !nt || !fl) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < r->nexec; i++)
		if (edr_resp_num_armed(r, r->exec[i].rule))
			ex[p.nexec++] = r->exec[i];
	for (i = 0; i < r->nlearned; i++)
		if (edr_resp_num_armed(r, r->learned[i].e.rule))
			ex[p.nexec++] = r->learned[i].e;
	for (i = 0; i < r->nnet; i++)
		if (edr_resp_num_armed(r, r->net[i].rule))
			nt[p.nnet++] = r->net[i];
	if (r->mech_file == EDR_RMECH_LSM)
		for (i = 0; i < r->nfile; i++)
			if (edr_resp_num_armed(r, r->file[i].rule))
				fl[p.nfile++] = r->file[i];
	if (r->o.ops.apply)
		rc = r->o.ops.apply(r->o.ops.ctx, &p, err, errlen);
	if (r->mech_file == EDR_RMECH_FANOTIFY && r->o.ops.unprotect_all) {
		char e2[256];

		r->o.ops.unprotect_all(r->o.ops.ctx);
		for (i = 0; i < r->npaths; i++)
			if (r->paths[i].kind == EDR_KFORM_FILE_PATH &&
			    edr_resp_num_armed(r, r->paths[i].num) && r->o.ops.protect_path &&
			    r->o.ops.protect_path(r->o.ops.ctx, r->paths[i].path, e2, sizeof(e2)))
				edr_resp_log(r, "policy: fanotify mark on %s: %s", r->paths[i].path, e2);
	}
	RINC(r->c.policy_applies);
	if (rc)
		RINC(r->c.policy_errors);
out:
	free(ex);
	free(nt);
	free(fl);
	return rc;
}

/* Learned identities whose hash no active rule names any more are dropped;
 * the others get the new rule number. */
static void relearn(struct edr_responder *r)
{
	size_t i, k, o = 0;

	for (i = 0; i < r->nlearned; i++) {
		for (k = 0; k < r->nsha; k++)
			if (!strcmp(r->sha[k].hex, r->learned[i].hex))
				break;
		if (k == r->nsha)
			continue;
		r->learned[i].e.rule = r->sha[k].num;
		r->learned[o++] = r->learned[i];
	}
	r->nlearned = o;
}

/* Builds the next generation's table and policy from rs (under lock). */
static int compile_set(struct edr_responder *r, const struct edr_ruleset *rs)
{
	uint64_t seq = r->seq + 1;
	struct gen *g = &r->gens[seq & 1];
	size_t i, n = rs ? edr_ruleset__count(rs) : 0;
	struct grule *rules = calloc(n + 1, sizeof(*rules));

	if (!rules)
		return -ENOMEM;
	edr_resp_policy_clear(r);
	r->response_rules = 0;
	r->fan_rules = 0;
	r->async_rules = 0;
	for (i = 0; i < n; i++) {
		const struct edr_rule *rule = edr_ruleset__rule(rs, i);
		const struct edr_response *resp = edr_rule__response(rule);
		struct edr_kform k;
		struct grule *gr = &rules[i];

		if (resp->action == EDR_ACT_NONE)
			continue;
		r->response_rules++;
		edr_rule__kform(rule, &k);
		gr->st = edr_resp_state_get(r, rule, 1);
		if (!gr->st) {
			free(rules);
			return -ENOMEM;
		}
		gr->action = resp->action;
		gr->tree = resp->tree;
		gr->cat = edr_rule__category(rule);
		gr->kform = k.kind;
		gr->mech = edr_resp_rule_mech(r, rule, resp->action, k.kind, &gr->pre);
		/* An exact path list is checked by path and identity: no view. */
		r->fan_rules += gr->mech == EDR_RMECH_FANOTIFY && gr->cat == EDR_CAT_PROCESS_CREATION &&
				k.kind != EDR_KFORM_EXEC_PATH;
		r->async_rules += !gr->pre;
		if (resp->action == EDR_ACT_DENY && k.kind != EDR_KFORM_NONE &&
		    policy_add(r, &k, edr_resp_rule_num(seq, i))) {
			free(rules);
			return -ENOMEM;
		}
		if (resp->action == EDR_ACT_DENY && gr->cat == EDR_CAT_PROCESS_CREATION &&
		    (edr_rule__uses_field(rule, EDR_F_PROCESS_CREATION_SHA256) ||
		     edr_rule__uses_field(rule, EDR_F_PROCESS_CREATION_HASHES)))
			r->needs_hash = 1;
	}
	free(g->rules);
	g->rules = rules;
	g->n = n;
	g->seq = seq;
	r->seq = seq;
	relearn(r);
	return 0;
}

void edr_response__on_activate(const struct edr_content_set *set, void *ctx)
{
	struct edr_responder *r = ctx;
	char err[256];
	int rc;

	pthread_mutex_lock(&r->lock);
	rc = compile_set(r, set ? set->rs : NULL);
	if (!rc)
		rc = edr_resp_reapply(r, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	if (rc)
		edr_resp_log(r, "policy of content version %llu not applied: %s (the previous "
			     "policy stays in force)", set ? (unsigned long long)set->version : 0ull,
			     err);
	else
		edr_resp_log(r, "policy of content version %llu: %zu rules with a response, %zu exec, "
			     "%zu net, %zu file entries, %zu SHA-256 values",
			     set ? (unsigned long long)set->version : 0ull, r->response_rules,
			     r->nexec, r->nnet, r->nfile, r->nsha);
	pthread_mutex_unlock(&r->lock);
}

/* A SHA-256 deny decided after the exec: the identity goes to the kernel
 * map so the next exec of the same file is refused there. */
int edr_resp_learn_locked(struct edr_responder *r, uint32_t dev, uint64_t ino, uint64_t ctime_ns,
			const char *hex)
{
	size_t i, k;

	if (!hex || !hex[0] || !dev)
		return 0;
	for (k = 0; k < r->nsha; k++)
		if (!strcmp(r->sha[k].hex, hex))
			break;
	if (k == r->nsha || !edr_resp_num_armed(r, r->sha[k].num))
		return 0;
	for (i = 0; i < r->nlearned; i++)
		if (r->learned[i].e.dev == dev && r->learned[i].e.ino == ino &&
		    r->learned[i].e.ctime_ns == ctime_ns)
			return 1;
	if (!GROW(r->learned, r->nlearned, r->caplearned))
		return 0;
	r->learned[r->nlearned].e = (struct edr_policy_exec){ dev, ino, ctime_ns, r->sha[k].num };
	snprintf(r->learned[r->nlearned].hex, sizeof(r->learned[r->nlearned].hex), "%s", hex);
	if (r->o.ops.add_exec && r->o.ops.add_exec(r->o.ops.ctx, &r->learned[r->nlearned].e))
		edr_resp_log(r, "exec map: cannot add the identity of %.16s...", hex);
	r->nlearned++;
	return 1;
}

void edr_response__hash_learned(struct edr_responder *r, uint32_t dev, uint64_t ino,
				uint64_t ctime_ns, const char *sha256_hex)
{
	pthread_mutex_lock(&r->lock);
	edr_resp_learn_locked(r, dev, ino, ctime_ns, sha256_hex);
	pthread_mutex_unlock(&r->lock);
}

uint32_t edr_response__exec_policy_hit(struct edr_responder *r, uint32_t dev, uint64_t ino,
				       uint64_t ctime_ns)
{
	uint32_t num = 0;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; !num && i < r->nexec; i++)
		if (r->exec[i].dev == dev && r->exec[i].ino == ino &&
		    r->exec[i].ctime_ns == ctime_ns && edr_resp_num_armed(r, r->exec[i].rule))
			num = r->exec[i].rule;
	for (i = 0; !num && i < r->nlearned; i++)
		if (r->learned[i].e.dev == dev && r->learned[i].e.ino == ino &&
		    r->learned[i].e.ctime_ns == ctime_ns && edr_resp_num_armed(r, r->learned[i].e.rule))
			num = r->learned[i].e.rule;
	pthread_mutex_unlock(&r->lock);
	return num;
}

uint32_t edr_response__exec_path_hit(struct edr_responder *r, const char *path)
{
	uint32_t num = 0;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; !num && path && i < r->npaths; i++)
		if (r->paths[i].kind == EDR_KFORM_EXEC_PATH && !strcmp(r->paths[i].path, path) &&
		    edr_resp_num_armed(r, r->paths[i].num))
			num = r->paths[i].num;
	pthread_mutex_unlock(&r->lock);
	return num;
}

uint32_t edr_response__file_policy_hit(struct edr_responder *r, uint32_t dev, uint64_t ino)
{
	uint32_t num = 0;
	size_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; !num && i < r->nfile; i++)
		if (r->file[i].dev == dev && r->file[i].ino == ino && edr_resp_num_armed(r, r->file[i].rule))
			num = r->file[i].rule;
	pthread_mutex_unlock(&r->lock);
	return num;
}

int edr_response__needs_hash(struct edr_responder *r)
{
	int n;

	pthread_mutex_lock(&r->lock);
	n = r->needs_hash;
	pthread_mutex_unlock(&r->lock);
	return n;
}

int edr_response__async_rules(struct edr_responder *r)
{
	return (int)__atomic_load_n(&r->async_rules, __ATOMIC_RELAXED);
}

int edr_response__fan_rules(struct edr_responder *r)
{
	int n;

	pthread_mutex_lock(&r->lock);
	n = (int)r->fan_rules;
	pthread_mutex_unlock(&r->lock);
	return n;
}
