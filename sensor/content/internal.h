/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the content manager shared by its parts: content.c (the
 * load pipeline, sets, swap, evaluation, start-up), store.c (what is kept
 * on disk), selftest.c (the forked, resource-limited test child) and
 * control.c (the control-socket verbs). Not a public API: see content.h.
 */
#ifndef EDR_CONTENT_INTERNAL_H
#define EDR_CONTENT_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "sensor/content/content.h"
#include "sensor/response/protect.h"

struct edr_content {
	struct edr_content_opts o;
	/* The protected list (built-in + o.protected, copied): validate refuses
	 * content whose deny/kill rule would match one of them. */
	struct edr_protect *protect;
	char dir[512];
	struct edr_bundle_key keys[EDR_CONTENT_MAX_KEYS];

	/* RCU-published; written under lock. */
	struct edr_content_set *active;
	struct edr_content_set *shadow;

	pthread_mutex_t lock;      /* state below, activation */
	pthread_mutex_t load_lock; /* one pipeline at a time */

	uint8_t *shadow_raw;       /* bundle bytes of the shadow candidate */
	size_t shadow_rawlen;
	uint64_t shadow_until_ms;
	uint64_t shadow_since_ms;

	/* Probation record, mirrored in <dir>/state. */
	uint64_t probation_until_ms;
	int active_on_disk;        /* active.bundle holds the active set */
	char fail_digest[65];
	unsigned fail_count;

	uint64_t lkg_version;
	char lkg_digest[65];
	int have_lkg;
	/* Anti-rollback: the highest version ever activated (lowered only by
	 * a forced downgrade), mirrored in <dir>/state with lkg_digest. */
	uint64_t highest_version;
	char lkg_recorded[65];     /* what the sensor itself put in previous.bundle */
	int lock_fd;               /* <dir>/lock, flock()ed; -1 before */

	char **bad;
	size_t nbad;

	char last_rejection[512];
	char last_shadow[512];
	char last_rollback[512];
};

/* A candidate being loaded: its bytes, the bundle read from them, the
 * rule sources (pointing into the bundle) and its identity. */
struct cand {
	uint8_t *raw;
	size_t rawlen;
	struct edr_bundle *b;
	struct edr_rule_src *srcs;
	char digest[65];
	char source[256];
	int is_signed;
};

/* The probation record as read from <dir>/state. */
struct store_state {
	uint64_t highest_version;
	char lkg_digest[65];
	char active_digest[65];
	uint64_t probation_until;
	int clean;
	char fail_digest[65];
	unsigned fail_count;
};

/* ---- small helpers ---- */

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t mono_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline const char *fmt_time(uint64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return buf;
}

static inline void path_in(const struct edr_content *mgr, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", mgr->dir, name);
}

void edr_content_vlogf(struct edr_content *mgr, int prio, const char *fmt, va_list ap);

/* One message to the sensor's log (opts->log), if it has one. */
__attribute__((format(printf, 3, 4)))
static inline void logf_(struct edr_content *mgr, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	edr_content_vlogf(mgr, prio, fmt, ap);
	va_end(ap);
}

/* Identity of content: SHA-256 over each file's name and hash. */
void edr_content_digest(const struct edr_bundle *b, char out[65]);

/* ---- store.c: <dir>/state, bad, active.bundle, previous.bundle ---- */

int edr_store_save_state_raw(struct edr_content *mgr, const char *digest, uint64_t version,
			     uint64_t probation_until, int clean);
/* The probation record of the active content (under mgr->lock). */
int edr_store_save_state(struct edr_content *mgr, int clean);
void edr_store_load_state(struct edr_content *mgr, struct store_state *st);
int edr_store_is_bad(const struct edr_content *mgr, const char *digest);
void edr_store_load_bad(struct edr_content *mgr);
void edr_store_mark_bad(struct edr_content *mgr, const char *digest);
/* Persisting is two steps so that a full disk fails a load before anything
 * changed: stage writes and syncs raw as active.bundle.new (nothing else is
 * touched); commit, after the swap, renames it over active.bundle (the
 * outgoing one first becoming previous.bundle when prev_good). */
int edr_store_stage(struct edr_content *mgr, const uint8_t *raw, size_t rawlen, char *why,
		    size_t whylen);
int edr_store_commit(struct edr_content *mgr, int prev_good, char *why, size_t whylen);
/* Remembers what previous.bundle holds (for `rules` and rollback). */
void edr_store_refresh_lkg(struct edr_content *mgr);
int edr_store_mkdir_p(const char *path, mode_t mode);
/* One sensor per content directory: an exclusive flock on <dir>/lock, held
 * until the manager is freed. -EBUSY (why names the holder's pid). */
int edr_store_lock(struct edr_content *mgr, char *why, size_t whylen);

/* ---- selftest.c ---- */

/* Runs validate and self-test on the candidate in a child. *stage is the
 * stage that failed; progress lines go to progress. */
int edr_selftest_run(struct edr_content *mgr, const struct cand *c, const char **stage,
		     size_t *nrules, edr_content_progress_fn progress, void *pctx, char *why,
		     size_t whylen);

#endif /* EDR_CONTENT_INTERNAL_H */
