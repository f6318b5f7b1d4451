// SPDX-License-Identifier: GPL-2.0-only
/* Content manager: the load pipeline, RCU publication, evaluation,
 * probation and rollback at start-up. The store on disk is store.c, the
 * self-test child selftest.c, the control verbs control.c. See content.h
 * for the design. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <urcu.h>

#include "sensor/content/internal.h"

#define SLOTS		16	/* matchers cached per set (one per event thread) */
#define MAX_OUT		256	/* matches reported per event and set */

struct edr_content_slots {
	struct {
		uintptr_t owner;
		struct edr_matcher *m;
	} s[SLOTS];
};

/* ---- small helpers ---- */

void edr_content_vlogf(struct edr_content *mgr, int prio, const char *fmt, va_list ap)
{
	char buf[1024];

	if (!mgr->o.log)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	mgr->o.log(prio, buf, mgr->o.log_ctx);
}

/* Identity of content: SHA-256 over each file's name and hash, so the same
 * rules signed twice or rebuilt at another time keep one digest. */
void edr_content_digest(const struct edr_bundle *b, char out[65])
{
	crypto_hash_sha256_state st;
	uint8_t h[32];
	size_t i;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < b->nfiles; i++) {
		crypto_hash_sha256_update(&st, (const uint8_t *)b->files[i].name,
					  strlen(b->files[i].name) + 1);
		crypto_hash_sha256_update(&st, b->files[i].sha256, 32);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, 32);
}

/* ---- sets and per-thread matchers ---- */

static uintptr_t token_counter;
static __thread uintptr_t my_token;

static struct edr_content_set *set_new(struct edr_ruleset *rs, uint64_t version,
				       const char *source, const char *digest, int is_signed)
{
	struct edr_content_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->slots = calloc(1, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return NULL;
	}
	s->rs = rs;
	s->version = version;
	s->nrules = rs ? edr_ruleset__count(rs) : 0;
	s->is_signed = is_signed;
	snprintf(s->source, sizeof(s->source), "%s", source);
	snprintf(s->digest, sizeof(s->digest), "%s", digest);
	return s;
}

static void set_free(struct edr_content_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < SLOTS; i++)
		edr_matcher__free(s->slots->s[i].m);
	free(s->slots);
	edr_ruleset__free(s->rs);
	free(s);
}

/* This thread's matcher for s, created on first use; NULL when all slots
 * are taken (the caller then uses a temporary one). */
static struct edr_matcher *slot_matcher(struct edr_content_set *s)
{
	uintptr_t tok = my_token;
	size_t i;

	if (!tok)
		tok = my_token = __atomic_add_fetch(&token_counter, 1, __ATOMIC_RELAXED);
	for (i = 0; i < SLOTS; i++)
		if (__atomic_load_n(&s->slots->s[i].owner, __ATOMIC_ACQUIRE) == tok)
			return s->slots->s[i].m;
	for (i = 0; i < SLOTS; i++) {
		uintptr_t zero = 0;

		if (__atomic_compare_exchange_n(&s->slots->s[i].owner, &zero, tok, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* Only this thread ever reads slot i's matcher. */
			s->slots->s[i].m = edr_matcher__new(s->rs);
			return s->slots->s[i].m;
		}
	}
	return NULL;
}

void edr_content__thread_init(void)
{
	rcu_register_thread();
}

void edr_content__thread_fini(void)
{
	rcu_unregister_thread();
}

static int eval_set(struct edr_content_set *s, const struct edr_rule_event *ev, int shadow,
		    edr_content_match_fn cb, void *ctx)
{
	const struct edr_rule *out[MAX_OUT];
	struct edr_matcher *m, *tmp = NULL;
	int n, i;

	if (!s->rs)
		return 0;
	m = slot_matcher(s);
	if (!m) {
		m = tmp = edr_matcher__new(s->rs);
		if (!m)
			return -ENOMEM;
	}
	n = edr_matcher__eval(m, ev, out, MAX_OUT);
	for (i = 0; cb && i < n && i < MAX_OUT; i++)
		cb(out[i], shadow, s, ctx);
	edr_matcher__free(tmp);
	return n;
}

int edr_content__eval(struct edr_content *mgr, const struct edr_rule_event *ev,
		      edr_content_match_fn cb, void *ctx)
{
	struct edr_content_set *a, *s;
	int n = 0;

	rcu_read_lock();
	a = rcu_dereference(mgr->active);
	if (a)
		n = eval_set(a, ev, 0, cb, ctx);
	s = rcu_dereference(mgr->shadow);
	if (s) {
		uint64_t t0 = mono_ns(CLOCK_THREAD_CPUTIME_ID), dt;
		int k = eval_set(s, ev, 1, cb, ctx);

		dt = mono_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		__atomic_add_fetch(&s->ev_count, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->ev_ns, dt, __ATOMIC_RELAXED);
		if (k < 0)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&s->alerts, (uint64_t)k, __ATOMIC_RELAXED);
	}
	rcu_read_unlock();
	return n;
}

void edr_content__active_info(struct edr_content *mgr, uint64_t *version, size_t *nrules)
{
	pthread_mutex_lock(&mgr->lock);
	*version = mgr->active ? mgr->active->version : 0;
	*nrules = mgr->active ? mgr->active->nrules : 0;
	pthread_mutex_unlock(&mgr->lock);
}

void edr_content__status(struct edr_content *mgr, struct edr_content_status *st)
{
	uint64_t now = now_ms();

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&mgr->lock);
	if (mgr->active) {
		st->version = mgr->active->version;
		st->nrules = mgr->active->nrules;
		snprintf(st->source, sizeof(st->source), "%s", mgr->active->source);
		st->activated_at = mgr->active->activated_at_ms / 1000;
	}
	if (mgr->have_lkg)
		st->lkg_version = mgr->lkg_version;
	if (mgr->shadow)
		st->shadow_version = mgr->shadow->version;
	if (mgr->probation_until_ms > now)
		st->probation_left_sec = (mgr->probation_until_ms - now + 999) / 1000;
	snprintf(st->state, sizeof(st->state), "%s",
		 !mgr->active ? "none" : mgr->shadow ? "shadow" :
		 mgr->probation_until_ms ? "probation" : "active");
	pthread_mutex_unlock(&mgr->lock);
}

/* ---- the candidate: bytes, bundle, checks ---- */

static void cand_fini(struct cand *c)
{
	free(c->raw);
	edr_bundle__free(c->b);
	free(c->srcs);
	memset(c, 0, sizeof(*c));
}

static int cand_srcs(struct cand *c)
{
	size_t i;

	c->srcs = calloc(c->b->nfiles, sizeof(*c->srcs));
	if (!c->srcs)
		return -ENOMEM;
	for (i = 0; i < c->b->nfiles; i++) {
		c->srcs[i].name = c->b->files[i].name;
		c->srcs[i].data = (const char *)c->b->files[i].data;
		c->srcs[i].len = c->b->files[i].size;
	}
	edr_content_digest(c->b, c->digest);
	return 0;
}

/*
 * Reads a candidate: a bundle file (signature checked unless trusted, i.e.
 * the sensor's own stored or shipped content read with allow_unsigned
 * semantics), or a directory (unsigned; only when allowed or trusted).
 * Returns 0 or a negative errno with a one-line reason in why.
 */
static int cand_read(struct edr_content *mgr, const char *path, int trusted, uint64_t dir_version,
		     struct cand *c, char *why, size_t whylen)
{
	struct edr_bundle_wopts wo = { .version = dir_version, .created = 1 };
	struct edr_bundle_err err = { "" };
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "%s", path);
	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!mgr->o.allow_unsigned && !trusted) {
			snprintf(why, whylen,
				 "%s is a directory of unsigned rules and this sensor does not allow "
				 "unsigned content (--allow-unsigned)", path);
			return -EPERM;
		}
		rc = edr_bundle__build_dir(path, &wo, NULL, &c->raw, &c->rawlen, &err);
		if (!rc) {
			c->b = edr_bundle__from_mem(c->raw, c->rawlen, NULL, 0, EDR_BUNDLE_NO_VERIFY,
						    &err);
			rc = c->b ? 0 : -errno;
		}
	} else {
		rc = edr_bundle_read_file(path, EDR_BUNDLE_MAX_SIZE, &c->raw, &c->rawlen, &err);
		if (rc == -E2BIG)
			snprintf(err.msg, sizeof(err.msg),
				 "bundle of more than %u bytes exceeds the limit", EDR_BUNDLE_MAX_SIZE);
		if (!rc) {
			static const uint8_t zero[EDR_BUNDLE_KEYID_SIZE];
			int unsigned_ok = mgr->o.allow_unsigned || trusted;
			unsigned flags = 0;

			/* Unsigned bundles (zero key id) are what the sensor stores for
			 * directory content; they pass only where directories do. */
			if (c->rawlen >= EDR_BUNDLE_HDR_SIZE && !memcmp(c->raw + 24, zero, 8) &&
			    unsigned_ok)
				flags = EDR_BUNDLE_NO_VERIFY;
			else if (mgr->o.nkeys == 0) {
				snprintf(why, whylen, "no trusted public key is configured (--pubkey)");
				return -EKEYREJECTED;
			}
			c->b = edr_bundle__from_mem(c->raw, c->rawlen, mgr->keys, mgr->o.nkeys, flags,
						    &err);
			rc = c->b ? 0 : -errno;
		}
	}
	if (rc) {
		snprintf(why, whylen, "%s", err.msg);
		return rc ? rc : -EINVAL;
	}
	c->is_signed = c->b->verified;
	rc = cand_srcs(c);
	if (rc)
		snprintf(why, whylen, "out of memory");
	return rc;
}

/* Version, sensor version, schema, bad list. */
static int cand_check(struct edr_content *mgr, const struct cand *c, int force, char *why,
		      size_t whylen)
{
	uint64_t cur = 0;
	char a[32], b[32];

	pthread_mutex_lock(&mgr->lock);
	if (mgr->active)
		cur = mgr->active->version;
	pthread_mutex_unlock(&mgr->lock);
	if (c->b->schema != EDR_SCHEMA_VERSION) {
		snprintf(why, whylen, "content written for schema version %u, this sensor has %d",
			 c->b->schema, EDR_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (c->b->min_sensor > mgr->o.sensor_version) {
		snprintf(why, whylen, "content needs sensor %s or newer, this is %s",
			 edr_version_fmt(c->b->min_sensor, a, sizeof(a)),
			 edr_version_fmt(mgr->o.sensor_version, b, sizeof(b)));
		return -EPROTO;
	}
	if (c->b->version <= cur && !force) {
		snprintf(why, whylen,
			 "content version %" PRIu64 " is not newer than the active %" PRIu64
			 " (a downgrade needs --force)",
			 c->b->version, cur);
		return -ESTALE;
	}
	if (edr_store_is_bad(mgr, c->digest) && !force) {
		snprintf(why, whylen,
			 "content %.16s is marked bad (it failed probation twice); --force to load "
			 "it anyway",
			 c->digest);
		return -EPERM;
	}
	if (c->b->version <= cur)
		logf_(mgr, LOG_WARNING, "content version %" PRIu64 " replaces %" PRIu64
		      " (downgrade forced)", c->b->version, cur);
	return 0;
}

/* ---- activation ---- */

/* Publishes set as the active one (under mgr->lock) and frees the old set
 * after a grace period. */
static void publish_active(struct edr_content *mgr, struct edr_content_set *set)
{
	struct edr_content_set *old = mgr->active;
	uint64_t t0 = mono_ns(CLOCK_MONOTONIC), t1;

	set->activated_at_ms = now_ms();
	rcu_assign_pointer(mgr->active, set);
	/* swap_ns: until no event can still be evaluated against the old set;
	 * freeing it afterwards concerns only this thread. */
	if (old)
		synchronize_rcu();
	t1 = mono_ns(CLOCK_MONOTONIC);
	set->swap_ns = t1 - t0;
	if (old) {
		set_free(old);
		set->free_ns = mono_ns(CLOCK_MONOTONIC) - t1;
	}
	if (mgr->o.on_activate)
		mgr->o.on_activate(set, mgr->o.activate_ctx);
}

void edr_content__notify_active(struct edr_content *mgr)
{
	pthread_mutex_lock(&mgr->lock);
	if (mgr->o.on_activate)
		mgr->o.on_activate(mgr->active, mgr->o.activate_ctx);
	pthread_mutex_unlock(&mgr->lock);
}

int edr_content_has_response(const struct edr_ruleset *rs)
{
	size_t i, n = rs ? edr_ruleset__count(rs) : 0;

	for (i = 0; i < n; i++)
		if (edr_rule__response(edr_ruleset__rule(rs, i))->action != EDR_ACT_NONE)
			return 1;
	return 0;
}

static void drop_shadow(struct edr_content *mgr, const char *why)
{
	struct edr_content_set *old = mgr->shadow;

	if (!old)
		return;
	rcu_assign_pointer(mgr->shadow, NULL);
	synchronize_rcu();
	snprintf(mgr->last_shadow, sizeof(mgr->last_shadow), "version %" PRIu64 " discarded: %s",
		 old->version, why);
	logf_(mgr, LOG_NOTICE, "shadow content %s", mgr->last_shadow);
	set_free(old);
	free(mgr->shadow_raw);
	mgr->shadow_raw = NULL;
}

/* Activates set (under mgr->lock): store, swap, start probation. The new
 * bundle is written and synced before anything changes; when that fails
 * (a full disk) nothing is swapped and the caller still owns set: the
 * error is in why. */
static int activate(struct edr_content *mgr, struct edr_content_set *set, const uint8_t *raw,
		    size_t rawlen, edr_content_progress_fn progress, void *pctx, char *why,
		    size_t whylen)
{
	char p[640], t[32], prev[640];
	int prev_good, moved;
	int rc;

	rc = edr_store_stage(mgr, raw, rawlen, why, whylen);
	if (rc) {
		logf_(mgr, LOG_ERR, "content version %" PRIu64 " not activated: cannot store it: %s",
		      set->version, why);
		return rc;
	}
	/* The outgoing content becomes the fallback if it passed probation,
	 * or if there is no fallback at all yet (better than no rules). */
	path_in(mgr, "previous.bundle", prev, sizeof(prev));
	prev_good = mgr->probation_until_ms == 0 || access(prev, F_OK) != 0;
	publish_active(mgr, set);
	if (set->version > mgr->highest_version)
		mgr->highest_version = set->version;
	if (progress) {
		snprintf(p, sizeof(p), "swap: ok (version %" PRIu64 ", %zu rules active; compiled in "
			 "%" PRIu64 " ms, swapped in %" PRIu64 " us, old set freed in %" PRIu64 " us)",
			 set->version, set->nrules, set->compile_ns / 1000000, set->swap_ns / 1000,
			 set->free_ns / 1000);
		progress(p, pctx);
	}
	moved = prev_good && mgr->active_on_disk;
	rc = edr_store_commit(mgr, prev_good, why, whylen);
	if (!rc && moved) {
		/* The sensor itself made this the last-known-good: record it, so
		 * that a bundle copied there later is not taken for it. */
		edr_store_refresh_lkg(mgr);
		snprintf(mgr->lkg_recorded, sizeof(mgr->lkg_recorded), "%s",
			 mgr->have_lkg ? mgr->lkg_digest : "");
	}
	if (rc) {
		/* Staged and synced, but not renamed into place: the content is
		 * live; only the next start would not find it. */
		mgr->active_on_disk = 0;
		logf_(mgr, LOG_ERR, "content version %" PRIu64 " active but not stored: %s",
		      set->version, why);
		if (progress) {
			snprintf(p, sizeof(p), "persist: FAILED: %s (content is active until restart)",
				 why);
			progress(p, pctx);
		}
		return 0;
	}
	mgr->active_on_disk = 1;
	mgr->probation_until_ms = set->activated_at_ms + mgr->o.probation_ms;
	edr_store_refresh_lkg(mgr);
	edr_store_save_state(mgr, 0);
	if (progress) {
		snprintf(p, sizeof(p), "persist: ok (%s/active.bundle)", mgr->dir);
		progress(p, pctx);
		snprintf(p, sizeof(p), "probation: until %s",
			 fmt_time(mgr->probation_until_ms, t, sizeof(t)));
		progress(p, pctx);
	}
	logf_(mgr, LOG_NOTICE, "content version %" PRIu64 " (%.16s, %zu rules) active from %s, "
	      "on probation until %s", set->version, set->digest, set->nrules, set->source,
	      fmt_time(mgr->probation_until_ms, t, sizeof(t)));
	return 0;
}

/* Full test and compile of a candidate (no version check). */
static struct edr_content_set *build_set(struct edr_content *mgr, const struct cand *c,
					 const char **stage, edr_content_progress_fn progress,
					 void *pctx, char *why, size_t whylen)
{
	struct edr_rules_err rerr = { .msg = "" };
	struct edr_content_set *set;
	struct edr_ruleset *rs;
	size_t nrules = 0;
	uint64_t t0;
	int rc, nice0 = 0, reniced = 0;
	id_t tid;

	rc = edr_selftest_run(mgr, c, stage, &nrules, progress, pctx, why, whylen);
	if (rc)
		return NULL;
	/* The child compiled these very bytes with this very code, so this
	 * cannot crash or hang in a way the child did not. */
	*stage = "validate";
	t0 = mono_ns(CLOCK_MONOTONIC);
	/* Compiling is the long part of a load; at a low priority for
	 * this thread only, so events keep flowing on a busy host. */
	tid = (id_t)syscall(SYS_gettid);
	errno = 0;
	nice0 = getpriority(PRIO_PROCESS, tid);
	if (errno == 0 && setpriority(PRIO_PROCESS, tid, 10) == 0)
		reniced = 1;
	rs = edr_ruleset__load_mem(c->srcs, c->b->nfiles, &rerr);
	if (reniced && setpriority(PRIO_PROCESS, tid, nice0) < 0)
		logf_(mgr, LOG_WARNING, "cannot restore the priority of the control thread: %s",
		      strerror(errno));
	if (!rs) {
		snprintf(why, whylen, "%s", rerr.msg);
		return NULL;
	}
	set = set_new(rs, c->b->version, c->source, c->digest, c->is_signed);
	if (!set) {
		edr_ruleset__free(rs);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	set->compile_ns = mono_ns(CLOCK_MONOTONIC) - t0;
	return set;
}

/* Progress lines made while mgr->lock is held wait here and go to the
 * client after the unlock: a client that stops reading then holds no lock
 * that the event loop's tick or another request waits on. */
#define PQ_LINES 8
struct pq {
	char line[PQ_LINES][640];
	int n;
};

static void pq_add(const char *line, void *ctx)
{
	struct pq *q = ctx;

	if (q->n < PQ_LINES)
		snprintf(q->line[q->n++], sizeof(q->line[0]), "%s", line);
}

static void pq_flush(struct pq *q, edr_content_progress_fn progress, void *pctx)
{
	int i;

	for (i = 0; progress && i < q->n; i++)
		progress(q->line[i], pctx);
	q->n = 0;
}

static int reject(struct edr_content *mgr, const char *stage, const char *reason, int rc,
		  char *err, size_t errlen)
{
	snprintf(err, errlen, "rejected at %s: %s", stage, reason);
	pthread_mutex_lock(&mgr->lock);
	snprintf(mgr->last_rejection, sizeof(mgr->last_rejection), "%s", err);
	pthread_mutex_unlock(&mgr->lock);
	logf_(mgr, LOG_WARNING, "content load: %s", err);
	return rc < 0 ? rc : -EINVAL;
}

int edr_content__load(struct edr_content *mgr, const char *path,
		      const struct edr_content_load_opts *lo, edr_content_progress_fn progress,
		      void *pctx, char *err, size_t errlen)
{
	static const struct edr_content_load_opts none;
	struct edr_content_set *set;
	const char *stage = "verify";
	char why[512] = "", p[640], hex[17];
	struct pq q = { .n = 0 };
	struct cand c;
	uint64_t cur, shadow_ms;
	int rc;

	if (!lo)
		lo = &none;
	if (pthread_mutex_trylock(&mgr->load_lock))
		return reject(mgr, "verify", "another content load is in progress", -EBUSY, err,
			      errlen);
	pthread_mutex_lock(&mgr->lock);
	cur = mgr->active ? mgr->active->version : 0;
	pthread_mutex_unlock(&mgr->lock);
	rc = cand_read(mgr, path, 0, cur + 1, &c, why, sizeof(why));
	if (!rc)
		rc = cand_check(mgr, &c, lo->force, why, sizeof(why));
	if (rc) {
		rc = reject(mgr, stage, why, rc, err, errlen);
		goto out;
	}
	if (progress) {
		if (c.is_signed)
			snprintf(p, sizeof(p), "verify: ok (version %" PRIu64 ", %zu files, signed by "
				 "key %s)", c.b->version, c.b->nfiles,
				 edr_bundle_keyid_hex(c.b->key_id, hex));
		else
			snprintf(p, sizeof(p), "verify: ok (version %" PRIu64 ", %zu files, UNSIGNED)",
				 c.b->version, c.b->nfiles);
		progress(p, pctx);
	}
	set = build_set(mgr, &c, &stage, progress, pctx, why, sizeof(why));
	if (!set) {
		rc = reject(mgr, stage, why, -EINVAL, err, errlen);
		goto out;
	}
	shadow_ms = lo->shadow_ms;
	/* Responses go through a shadow window first: what they would have
	 * done is logged and gates the promotion. */
	if (!shadow_ms && !lo->enforce_now && mgr->o.response_shadow_ms &&
	    edr_content_has_response(set->rs)) {
		shadow_ms = mgr->o.response_shadow_ms;
		if (progress)
			progress("shadow: the content has rules with responses; they only log what "
				 "they would do until promoted (--enforce-now skips this)", pctx);
	}
	pthread_mutex_lock(&mgr->lock);
	/* The tick may have promoted a shadow while this one was built
	 * (it does not wait for a load): the version check again. */
	if (!lo->force && mgr->active && set->version <= mgr->active->version) {
		snprintf(why, sizeof(why), "content version %" PRIu64 " is not newer than the "
			 "active %" PRIu64 " (activated during this load)", set->version,
			 mgr->active->version);
		pthread_mutex_unlock(&mgr->lock);
		set_free(set);
		rc = reject(mgr, "swap", why, -ESTALE, err, errlen);
		goto out;
	}
	if (shadow_ms) {
		char t[32];

		drop_shadow(mgr, "superseded by a newer candidate");
		mgr->shadow_raw = c.raw;
		mgr->shadow_rawlen = c.rawlen;
		c.raw = NULL;
		mgr->shadow_since_ms = now_ms();
		mgr->shadow_until_ms = mgr->shadow_since_ms + shadow_ms;
		rcu_assign_pointer(mgr->shadow, set);
		if (progress) {
			snprintf(p, sizeof(p), "shadow: evaluating beside the active rules until %s",
				 fmt_time(mgr->shadow_until_ms, t, sizeof(t)));
			pq_add(p, &q);
		}
		logf_(mgr, LOG_NOTICE, "content version %" PRIu64 " (%zu rules) in shadow until %s",
		      set->version, set->nrules, fmt_time(mgr->shadow_until_ms, t, sizeof(t)));
		snprintf(err, errlen, "accepted into shadow: version %" PRIu64 ", %zu rules, until %s",
			 set->version, set->nrules, t);
	} else {
		uint64_t highest = mgr->highest_version;

		/* A forced downgrade is the operator's word: the next start may
		 * use this version (anti-rollback counts from it). */
		if (lo->force && set->version < highest)
			mgr->highest_version = set->version;
		rc = activate(mgr, set, c.raw, c.rawlen, progress ? pq_add : NULL, &q, why,
			      sizeof(why));
		if (rc) {
			mgr->highest_version = highest;
			pthread_mutex_unlock(&mgr->lock);
			pq_flush(&q, progress, pctx);
			set_free(set);
			rc = reject(mgr, "persist", why, rc, err, errlen);
			goto out;
		}
		drop_shadow(mgr, "another content was activated");
		snprintf(err, errlen, "active: version %" PRIu64 ", %zu rules", set->version,
			 set->nrules);
	}
	pthread_mutex_unlock(&mgr->lock);
	pq_flush(&q, progress, pctx);
	rc = 0;
out:
	cand_fini(&c);
	pthread_mutex_unlock(&mgr->load_lock);
	return rc;
}

/* ---- tick: shadow promotion, end of probation ---- */

static int shadow_healthy(struct edr_content *mgr, struct edr_content_set *s, char *why,
			  size_t whylen)
{
	uint64_t n = __atomic_load_n(&s->ev_count, __ATOMIC_RELAXED);
	uint64_t ns = __atomic_load_n(&s->ev_ns, __ATOMIC_RELAXED);
	uint64_t alerts = __atomic_load_n(&s->alerts, __ATOMIC_RELAXED);
	uint64_t errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
	uint64_t would = __atomic_load_n(&s->would_acts, __ATOMIC_RELAXED);
	uint64_t span_ms = mgr->shadow_until_ms - mgr->shadow_since_ms;
	/* A window shorter than a minute counts as one. */
	double would_per_min = (double)would * 60000.0 / (double)(span_ms > 60000 ? span_ms : 60000);

	if (errors) {
		snprintf(why, whylen, "%" PRIu64 " evaluation errors in %" PRIu64 " events", errors, n);
		return 0;
	}
	if (n && ns / n > mgr->o.shadow_max_ns_per_event) {
		snprintf(why, whylen, "%" PRIu64 " ns CPU per event, over the budget of %" PRIu64,
			 ns / n, mgr->o.shadow_max_ns_per_event);
		return 0;
	}
	if (would_per_min > mgr->o.shadow_max_would_act_per_min) {
		snprintf(why, whylen, "%" PRIu64 " responses it would have taken in %" PRIu64 " s "
			 "(%.1f a minute), over shadow_max_would_act_per_min = %.1f", would,
			 span_ms / 1000, would_per_min, mgr->o.shadow_max_would_act_per_min);
		return 0;
	}
	if (n && (double)alerts / (double)n > mgr->o.shadow_max_alert_ratio) {
		snprintf(why, whylen, "%" PRIu64 " alerts for %" PRIu64 " events, over the budget of "
			 "%.2f per event", alerts, n, mgr->o.shadow_max_alert_ratio);
		return 0;
	}
	snprintf(why, whylen, "%" PRIu64 " events, %" PRIu64 " alerts, %" PRIu64 " ns per event, "
		 "%" PRIu64 " responses it would have taken", n, alerts, n ? ns / n : 0, would);
	return 1;
}

void edr_content__tick(struct edr_content *mgr, uint64_t now)
{
	char why[256], t[32];

	if (!now)
		now = now_ms();
	/* Not behind load_lock: a load (self-test, compile, progress to a
	 * client that may not read) must not hold back the end of probation or
	 * of a shadow window. Everything here is under mgr->lock, which a load
	 * only holds for its swap, and the load checks the version again
	 * there. */
	pthread_mutex_lock(&mgr->lock);
	if (mgr->shadow && now >= mgr->shadow_until_ms) {
		struct edr_content_set *s = mgr->shadow;

		if (shadow_healthy(mgr, s, why, sizeof(why))) {
			uint8_t *raw = mgr->shadow_raw;
			size_t rawlen = mgr->shadow_rawlen;

			rcu_assign_pointer(mgr->shadow, NULL);
			mgr->shadow_raw = NULL;
			/* Readers may still see s as the shadow; they only read it,
			 * and it stays allocated as the active set. */
			snprintf(mgr->last_shadow, sizeof(mgr->last_shadow),
				 "version %" PRIu64 " promoted: %s", s->version, why);
			logf_(mgr, LOG_NOTICE, "shadow content %s", mgr->last_shadow);
			synchronize_rcu(); /* no reader still counts s as the shadow */
			if (activate(mgr, s, raw, rawlen, NULL, NULL, why, sizeof(why))) {
				snprintf(mgr->last_shadow, sizeof(mgr->last_shadow),
					 "version %" PRIu64 " not promoted: cannot store it: %s",
					 s->version, why);
				set_free(s);
			}
			free(raw);
		} else {
			drop_shadow(mgr, why);
		}
	}
	if (mgr->probation_until_ms && now >= mgr->probation_until_ms) {
		logf_(mgr, LOG_NOTICE, "content version %" PRIu64 " passed probation (since %s)",
		      mgr->active ? mgr->active->version : 0,
		      fmt_time(mgr->active ? mgr->active->activated_at_ms : 0, t, sizeof(t)));
		mgr->probation_until_ms = 0;
		mgr->fail_digest[0] = 0;
		mgr->fail_count = 0;
		edr_store_save_state(mgr, 0);
	}
	pthread_mutex_unlock(&mgr->lock);
}

/* ---- start-up: what to run, rollback ---- */

/* Anti-rollback: content older than the highest version ever activated is
 * never started on automatically, except the last-known-good the state
 * recorded (a rollback, logged). 0 when c may run. */
static int rollback_check(struct edr_content *mgr, const struct cand *c, const char *label,
			  const struct store_state *st, char *why, size_t whylen)
{
	int lkg = !strcmp(label, "last-known-good");

	if (c->b->version >= mgr->highest_version)
		return 0;
	if (lkg && st->lkg_digest[0] && !strcmp(st->lkg_digest, c->digest)) {
		logf_(mgr, LOG_WARNING, "rolling back to the last-known-good content version %" PRIu64
		      ", older than version %" PRIu64 " activated before", c->b->version,
		      mgr->highest_version);
		return 0;
	}
	snprintf(why, whylen, "version %" PRIu64 " is older than version %" PRIu64 " activated "
		 "before (anti-rollback)%s", c->b->version, mgr->highest_version,
		 lkg ? " and not the last-known-good the state recorded" : "");
	return -ESTALE;
}

/* Tries to start on one stored or shipped content; 0 on success. */
static int start_on(struct edr_content *mgr, const char *path, int from_disk, const char *label,
		    const struct store_state *st)
{
	struct edr_content_set *set;
	const char *stage = "verify";
	char why[512] = "";
	struct cand c;
	int rc;

	rc = cand_read(mgr, path, !from_disk, 0, &c, why, sizeof(why));
	if (!rc && edr_store_is_bad(mgr, c.digest)) {
		snprintf(why, sizeof(why), "content %.16s is marked bad", c.digest);
		rc = -EPERM;
	}
	if (!rc && c.b->schema != EDR_SCHEMA_VERSION) {
		snprintf(why, sizeof(why), "written for schema version %u, this sensor has %d",
			 c.b->schema, EDR_SCHEMA_VERSION);
		rc = -EPROTO;
	}
	if (!rc)
		rc = rollback_check(mgr, &c, label, st, why, sizeof(why));
	if (rc) {
		logf_(mgr, LOG_ERR, "%s content %s unusable at %s: %s", label, path, stage, why);
		cand_fini(&c);
		return rc;
	}
	set = build_set(mgr, &c, &stage, NULL, NULL, why, sizeof(why));
	if (!set) {
		logf_(mgr, LOG_ERR, "%s content %s rejected at %s: %s", label, path, stage, why);
		cand_fini(&c);
		return -EINVAL;
	}
	if (!from_disk)
		snprintf(set->source, sizeof(set->source), "%s (default)", path);
	publish_active(mgr, set);
	if (set->version > mgr->highest_version)
		mgr->highest_version = set->version;
	logf_(mgr, LOG_NOTICE, "started on %s content version %" PRIu64 " (%.16s, %zu rules) from %s",
	      label, set->version, set->digest, set->nrules, path);
	cand_fini(&c);
	return 0;
}

static void startup(struct edr_content *mgr)
{
	char act[640], prev[640];
	struct store_state st;
	struct edr_bundle_err berr;
	int have_act, rolled_back = 0;
	uint64_t now = now_ms();

	path_in(mgr, "active.bundle", act, sizeof(act));
	path_in(mgr, "previous.bundle", prev, sizeof(prev));
	edr_store_load_bad(mgr);
	edr_store_load_state(mgr, &st);
	snprintf(mgr->fail_digest, sizeof(mgr->fail_digest), "%s", st.fail_digest);
	mgr->fail_count = st.fail_count;
	mgr->highest_version = st.highest_version;
	snprintf(mgr->lkg_recorded, sizeof(mgr->lkg_recorded), "%s", st.lkg_digest);
	have_act = access(act, F_OK) == 0;

	if (have_act && st.probation_until && !st.clean && st.active_digest[0]) {
		/* The last run was on probation content and did not shut down
		 * cleanly: count it as that content's failure. */
		if (!strcmp(mgr->fail_digest, st.active_digest))
			mgr->fail_count++;
		else
			mgr->fail_count = 1;
		snprintf(mgr->fail_digest, sizeof(mgr->fail_digest), "%s", st.active_digest);
		snprintf(mgr->last_rollback, sizeof(mgr->last_rollback),
			 "the sensor stopped unexpectedly while content %.16s was on probation "
			 "(failure %u); falling back to the last-known-good content",
			 st.active_digest, mgr->fail_count);
		logf_(mgr, LOG_ERR, "%s", mgr->last_rollback);
		if (mgr->fail_count >= 2) {
			edr_store_mark_bad(mgr, st.active_digest);
			logf_(mgr, LOG_ERR, "content %.16s failed probation %u times in a row: marked "
			      "bad, it will not be loaded automatically again",
			      st.active_digest, mgr->fail_count);
		}
		rolled_back = 1;
	}
	if (!rolled_back && have_act && st.probation_until && st.active_digest[0]) {
		/* Still on probation after a clean stop: from here on, dying
		 * (even while compiling it below) counts against it again. */
		edr_store_save_state_raw(mgr, st.active_digest, 0, st.probation_until, 0);
	}
	if (!rolled_back && have_act && start_on(mgr, act, 1, "stored", &st) == 0) {
		mgr->active_on_disk = 1;
		/* A clean stop during probation resumes the same window. */
		mgr->probation_until_ms = st.probation_until > now || st.probation_until == 0
						  ? st.probation_until : now;
		edr_store_refresh_lkg(mgr);
		if (mgr->probation_until_ms)
			edr_store_save_state(mgr, 0);
		return;
	}
	mgr->probation_until_ms = 0;
	if (access(prev, F_OK) == 0 && start_on(mgr, prev, 1, "last-known-good", &st) == 0) {
		/* previous.bundle becomes the stored active content again. */
		uint8_t *buf;
		size_t len;

		if (edr_bundle_read_file(prev, EDR_BUNDLE_MAX_SIZE, &buf, &len, &berr) == 0) {
			if (edr_bundle_write_atomic(act, buf, len, 0600, &berr) == 0)
				mgr->active_on_disk = 1;
			else
				logf_(mgr, LOG_ERR, "%s", berr.msg);
			free(buf);
		}
		edr_store_refresh_lkg(mgr);
		edr_store_save_state(mgr, 0);
		return;
	}
	if (mgr->o.initial_path && start_on(mgr, mgr->o.initial_path, 0, "initial", &st) == 0) {
		if (have_act || rolled_back) {
			/* What is on disk is not what runs: do not keep it as active. */
			unlink(act);
		}
		mgr->active_on_disk = 0;
		edr_store_refresh_lkg(mgr);
		edr_store_save_state(mgr, 0);
		return;
	}
	mgr->active_on_disk = 0;
	edr_store_save_state(mgr, 0);
	logf_(mgr, LOG_ERR, "no usable content: the sensor runs WITHOUT RULES until "
	      "`edrctl load-rules` succeeds");
}

struct edr_content *edr_content__new(const struct edr_content_opts *opts, char *err,
				     size_t errlen)
{
	struct edr_content *mgr;
	struct stat st;
	size_t i;
	int rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		errno = EIO;
		return NULL;
	}
	if (opts->nkeys > EDR_CONTENT_MAX_KEYS) {
		snprintf(err, errlen, "%zu public keys exceed the limit of %d", opts->nkeys,
			 EDR_CONTENT_MAX_KEYS);
		errno = E2BIG;
		return NULL;
	}
	mgr = calloc(1, sizeof(*mgr));
	if (!mgr) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	mgr->o = *opts;
	mgr->lock_fd = -1;
	for (i = 0; i < opts->nkeys; i++)
		mgr->keys[i] = opts->keys[i];
	mgr->o.keys = mgr->keys;
	if (!mgr->o.probation_ms)
		mgr->o.probation_ms = 10 * 60 * 1000;
	if (!mgr->o.sensor_version)
		mgr->o.sensor_version = EDR_CONTENT_SENSOR_VERSION;
	if (!mgr->o.child_cpu_s)
		mgr->o.child_cpu_s = 60;
	if (!mgr->o.child_mem)
		mgr->o.child_mem = 4ull << 30;
	if (!mgr->o.child_wall_ms)
		mgr->o.child_wall_ms = 120000;
	if (!mgr->o.corpus_budget_ns)
		mgr->o.corpus_budget_ns = 200000;
	if (!mgr->o.shadow_max_ns_per_event)
		mgr->o.shadow_max_ns_per_event = 1000000;
	if (mgr->o.shadow_max_alert_ratio <= 0)
		mgr->o.shadow_max_alert_ratio = 0.5;
	if (mgr->o.shadow_max_would_act_per_min <= 0)
		mgr->o.shadow_max_would_act_per_min = 20;
	snprintf(mgr->dir, sizeof(mgr->dir), "%s",
		 opts->content_dir ? opts->content_dir : EDR_CONTENT_DEFAULT_DIR);
	pthread_mutex_init(&mgr->lock, NULL);
	pthread_mutex_init(&mgr->load_lock, NULL);
	for (i = 0; i < opts->nprotected; i++)
		if (!opts->protected[i] || opts->protected[i][0] != '/') {
			snprintf(err, errlen, "protected path '%s' is not absolute",
				 opts->protected[i] ? opts->protected[i] : "");
			edr_content__free(mgr);
			errno = EINVAL;
			return NULL;
		}
	mgr->protect = edr_protect__new(opts->protected, opts->nprotected);
	mgr->o.protected = NULL; /* borrowed by the caller: the copy is in mgr->protect */
	mgr->o.nprotected = 0;
	if (!mgr->protect) {
		snprintf(err, errlen, "the protected list: %s", strerror(errno));
		rc = errno;
		edr_content__free(mgr);
		errno = rc;
		return NULL;
	}
	rc = edr_store_mkdir_p(mgr->dir, 0700);
	if (rc || stat(mgr->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot create the content directory: %s", mgr->dir,
			 strerror(rc ? -rc : errno ? errno : ENOTDIR));
		edr_content__free(mgr);
		errno = rc ? -rc : ENOTDIR;
		return NULL;
	}
	rc = edr_store_check_dir(mgr->dir, err, errlen);
	if (!rc)
		rc = edr_store_lock(mgr, err, errlen);
	if (rc) {
		edr_content__free(mgr);
		errno = -rc;
		return NULL;
	}
	pthread_mutex_lock(&mgr->lock);
	startup(mgr);
	pthread_mutex_unlock(&mgr->lock);
	return mgr;
}

void edr_content__free(struct edr_content *mgr)
{
	size_t i;

	if (!mgr)
		return;
	pthread_mutex_lock(&mgr->lock);
	if (mgr->probation_until_ms && mgr->active_on_disk)
		edr_store_save_state(mgr, 1); /* a clean stop is not a crash */
	pthread_mutex_unlock(&mgr->lock);
	set_free(mgr->active);
	set_free(mgr->shadow);
	free(mgr->shadow_raw);
	for (i = 0; i < mgr->nbad; i++)
		free(mgr->bad[i]);
	free(mgr->bad);
	edr_protect__free(mgr->protect);
	if (mgr->lock_fd >= 0)
		close(mgr->lock_fd); /* the next sensor may have the directory */
	pthread_mutex_destroy(&mgr->lock);
	pthread_mutex_destroy(&mgr->load_lock);
	free(mgr);
}
