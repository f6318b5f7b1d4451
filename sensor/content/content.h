/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The content manager: which rules the sensor evaluates, and how new ones
 * are taken in without being able to hurt it (issue 4).
 *
 *   verify -> validate -> self-test -> [shadow] -> swap -> persist -> probation
 *
 * verify:    bundle signature against the trusted keys, content version
 *            greater than the active one (or --force), minimum sensor
 *            version, schema version, not marked bad (or --force). A
 *            directory is accepted only with allow_unsigned.
 * validate,  run in a forked child with CPU, address-space and wall-clock
 * self-test: limits: compile every rule (all-or-nothing), run each rule's own
 *            samples, and evaluate a built-in corpus of recorded events
 *            within a CPU budget. A crash or hang kills only the child and
 *            is the reason given. Only after the child succeeded does the
 *            sensor compile the same bytes itself.
 * shadow:    optional: the candidate is evaluated beside the active set on
 *            live events (matches flagged shadow) and promoted by
 *            edr_content__tick() at the end of its window if its health is
 *            within budget (no evaluation error, CPU per event, alert rate),
 *            discarded with the reason otherwise.
 * swap:      rcu_assign_pointer(); the old set is freed after
 *            synchronize_rcu(), so an event is evaluated against one whole
 *            set, never a half-built one, and the event thread never waits.
 * persist:   <content_dir>/active.bundle and previous.bundle (the last
 *            content that passed probation), written temp + fsync + rename
 *            + fsync(dir); <content_dir>/state holds the probation record;
 *            <content_dir>/bad the digests never to load automatically.
 * probation: until probation_ms after activation the state file says so.
 *            A start that finds a probation record not closed by a clean
 *            shutdown knows the sensor died on that content: it starts on
 *            the last-known-good content instead and logs why; a second
 *            consecutive failure of the same content marks it bad.
 *
 * Threads: edr_content__eval() is called by event threads, each registered
 * with edr_content__thread_init() (liburcu). load, tick and the control
 * verbs may run in any thread; they serialise on the manager's mutex.
 *
 * Use in the daemon (struct edr_config from sensor/config.h):
 *
 *	struct edr_bundle_key keys[EDR_CONTENT_MAX_KEYS];
 *	for (i = 0; i < cfg.n_pubkey; i++)          // fatal if a key is unreadable
 *		edr_bundle_key__load(cfg.pubkey[i], &keys[i], &berr);
 *	struct edr_content_opts co = {
 *		.content_dir = cfg.content_dir, .keys = keys, .nkeys = cfg.n_pubkey,
 *		.allow_unsigned = cfg.allow_unsigned, .probation_ms = cfg.probation_ms,
 *		.shadow_default_ms = cfg.shadow_default_ms, .initial_path = cfg.rules,
 *		.log = log_fn, .log_ctx = ...,
 *	};
 *	mgr = edr_content__new(&co, err, sizeof(err));   // before the event loop
 *	gid = cfg.socket_group[0] ? getgrnam(cfg.socket_group)->gr_gid : (gid_t)-1;
 *	srv = edr_ctl_server__new(cfg.socket, gid, &cerr);
 *	edr_content__register_verbs(mgr, srv);          // + status/stats verbs
 *	edr_ctl_server__start(srv);
 *	// event thread:
 *	edr_content__thread_init();
 *	for each event: fill struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] by
 *		EDR_F_<CAT>_<FIELD>; edr_content__eval(mgr, &ev, on_match, ctx);
 *		// on_match(rule, shadow, set, ctx): alert; shadow -> edr.shadow: true
 *	once a second: edr_content__tick(mgr, 0);
 *	edr_content__thread_fini();
 *	// shutdown: edr_ctl_server__free(srv); edr_content__free(mgr);
 */
#ifndef EDR_CONTENT_H
#define EDR_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "rules/bundle.h"
#include "rules/edr_rules.h"
#include "sensor/paths.h"
#include "sensor/version.h"

struct edr_ctl_server;
struct edr_content_set;

#define EDR_CONTENT_MAX_KEYS		16
#define EDR_CONTENT_MAX_RULES		10000
#define EDR_CONTENT_SENSOR_VERSION	EDR_VERSION_NUM(EDR_VERSION_MAJOR, EDR_VERSION_MINOR, \
						EDR_VERSION_PATCH)

/* syslog priorities (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO). */
typedef void (*edr_content_log_fn)(int prio, const char *msg, void *ctx);

struct edr_content_opts {
	const char *content_dir;        /* NULL = EDR_CONTENT_DEFAULT_DIR */
	const struct edr_bundle_key *keys;
	size_t nkeys;
	int allow_unsigned;             /* directories (and unsigned stored content) */
	uint64_t probation_ms;          /* 0 = 10 minutes */
	uint64_t shadow_default_ms;     /* load-rules without --shadow: 0 = activate now */
	const char *initial_path;       /* default pack (file or dir) when nothing stored;
					   trusted, it ships with the sensor */
	uint32_t sensor_version;        /* 0 = EDR_CONTENT_SENSOR_VERSION */
	edr_content_log_fn log;
	void *log_ctx;

	/* Self-test child limits (0 = defaults: 60 s CPU, 4 GiB, 120 s wall). */
	unsigned child_cpu_s;
	uint64_t child_mem;
	unsigned child_wall_ms;
	/* Built-in corpus budget: CPU ns per event on average (0 = 200 us). */
	uint64_t corpus_budget_ns;
	/* Shadow health budgets (0 = defaults: 1 ms per event, 0.5 alerts per event). */
	uint64_t shadow_max_ns_per_event;
	double shadow_max_alert_ratio;
	/* Configured protected executables (absolute paths), added to the
	 * built-in list (sensor/response/protect.h); copied by edr_content__new.
	 * Content whose deny or kill rule would match one is refused at
	 * validate. */
	const char *const *protected;
	size_t nprotected;
	/* Tests only: called in the child before each stage ("validate",
	 * "self-test"), e.g. to crash or hang it. */
	void (*child_hook)(const char *stage);

	/* Responses (issue 12). on_activate is called with the active set
	 * after every swap and once at start (set NULL: no content), under the
	 * manager's lock: it must not call back into the manager. */
	void (*on_activate)(const struct edr_content_set *set, void *ctx);
	void *activate_ctx;
	/* Content holding a rule with a response runs this shadow window first
	 * when loaded without one, unless loaded with enforce_now (0 = none). */
	uint64_t response_shadow_ms;
	/* Promotion gate: "would act" responses per minute of shadow at most
	 * (0 = default 20; the window counts as one minute at least). */
	double shadow_max_would_act_per_min;
};

/* One immutable compiled content set, published with RCU. */
struct edr_content_set {
	struct edr_ruleset *rs;
	uint64_t version;
	char source[256];   /* path it came from, or "default" */
	char digest[65];    /* SHA-256 over the files' names and hashes */
	int is_signed;
	uint64_t activated_at_ms; /* Unix ms; 0 while only a candidate */
	size_t nrules;
	uint64_t compile_ns; /* compiling the set in the sensor, before the swap */
	uint64_t swap_ns;    /* publication and grace period: old set unreachable */
	uint64_t free_ns;    /* then freeing the old set (in the loading thread) */
	/* Internal: matchers, one per event thread, freed with the set. */
	struct edr_content_slots *slots;
	/* Shadow health counters (updated by event threads, atomically). */
	uint64_t ev_count, ev_ns, alerts, errors;
	/* Actions its rules would have taken (shadow "would-<action>" lines,
	 * counted by the response engine): part of the promotion gate. */
	uint64_t would_acts;
};

struct edr_content;

/* Loads the stored content (or the initial one), deciding about rollback;
 * every decision is logged through opts->log. Fails only if the content
 * dir is unusable; with no usable content at all it starts with an empty
 * set and logs that loudly. */
/* Checks a directory the sensor writes under, along its whole path: every
 * component a directory owned by root (or the sensor's uid) and not
 * writable by group or others (ancestors may be sticky, like /tmp), the
 * last one not a symbolic link. 0, or a negative errno with why set. */
int edr_store_check_dir(const char *path, char *why, size_t whylen);

struct edr_content *edr_content__new(const struct edr_content_opts *opts, char *err,
				     size_t errlen);
/* Closes the probation record cleanly (so the next start does not count a
 * crash), frees everything. Accepts NULL. No event thread may be in eval. */
void edr_content__free(struct edr_content *mgr);

/* Per event thread: rcu_register_thread / rcu_unregister_thread. */
void edr_content__thread_init(void);
void edr_content__thread_fini(void);

/*
 * Evaluates ev against the active set and the shadow candidate, if any,
 * calling cb for each match (shadow = 1 for the candidate's). cb runs inside
 * the RCU read-side section: it must not block or call back into the
 * manager; rule and set are valid only during the call.
 * Returns the number of active matches or a negative errno.
 */
typedef void (*edr_content_match_fn)(const struct edr_rule *rule, int shadow,
				     const struct edr_content_set *set, void *ctx);
int edr_content__eval(struct edr_content *mgr, const struct edr_rule_event *ev,
		      edr_content_match_fn cb, void *ctx);

struct edr_content_load_opts {
	uint64_t shadow_ms; /* 0 = activate now */
	int force;          /* allow downgrade / same version / content marked bad */
	int enforce_now;    /* responses act at once: no response_shadow_ms window */
};

/* Called with one line per stage passed ("verify: ok (...)"). */
typedef void (*edr_content_progress_fn)(const char *line, void *ctx);

/*
 * Runs the pipeline on path (a bundle, or a directory when allow_unsigned).
 * Returns 0 when the content is active or accepted into shadow; otherwise a
 * negative errno with err = "rejected at <stage>: <reason>" and the running
 * content untouched.
 */
int edr_content__load(struct edr_content *mgr, const char *path,
		      const struct edr_content_load_opts *lo, edr_content_progress_fn progress,
		      void *pctx, char *err, size_t errlen);

/* Ends probation and shadow windows that are over; now_ms = Unix ms
 * (0 = now). Call about once a second from the main loop. */
void edr_content__tick(struct edr_content *mgr, uint64_t now_ms);

/* Calls opts->on_activate again with the active set (for a subscriber that
 * starts after the manager, e.g. the response engine after the loader). */
void edr_content__notify_active(struct edr_content *mgr);

/* Whether any rule of rs carries a response (x-edr-response). */
int edr_content_has_response(const struct edr_ruleset *rs);

/* Registers "load-rules" (root) and "rules" (read-only) on srv. */
int edr_content__register_verbs(struct edr_content *mgr, struct edr_ctl_server *srv);

/* For status output: version and rule count of the active set. */
void edr_content__active_info(struct edr_content *mgr, uint64_t *version, size_t *nrules);

/* A snapshot for `edrctl status` (maps onto struct edr_sensor_status). */
struct edr_content_status {
	uint64_t version;
	size_t nrules;
	char state[16];          /* "active", "probation", "shadow" (one pending), "none" */
	char source[256];
	uint64_t activated_at;   /* Unix seconds; 0 = nothing active */
	uint64_t lkg_version;    /* 0 = no last-known-good stored */
	uint64_t shadow_version; /* 0 = none */
	uint64_t probation_left_sec;
};
void edr_content__status(struct edr_content *mgr, struct edr_content_status *st);

#endif /* EDR_CONTENT_H */
