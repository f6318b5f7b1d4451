/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the response engine shared by its parts: response.c (tables,
 * policy, matches, the circuit breaker), act.c (pidfd kill, the worker,
 * isolation, allow-lists), ctl.c (control verbs and reply items) and
 * fan.c (the fanotify decisions). Not a public API: see response.h.
 */
#ifndef EDR_RESPONSE_INTERNAL_H
#define EDR_RESPONSE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "sensor/response/response.h"

#define RULE_ID_LEN   128
#define RULE_NAME_LEN 256
#define GEN_BIT       (1u << 31)

/* One rule's circuit-breaker state, kept by key across generations. */
struct rstate {
	char key[RULE_ID_LEN + RULE_NAME_LEN]; /* id, or file:title */
	char id[RULE_ID_LEN], name[RULE_NAME_LEN];
	uint8_t action;
	int demoted;
	double tokens;         /* token bucket: rate_per_rule a minute */
	uint64_t last_ns;
	uint64_t taken;        /* actions counted against the budget */
	char demoted_why[160];
};

/* A rule of one generation's table, indexed by the rule's position. */
struct grule {
	struct rstate *st;     /* NULL: no response */
	uint8_t action, tree;
	int cat, mech, kform;
	int pre;               /* decided before the operation (kernel or fanotify) */
};

struct gen {
	uint64_t seq;          /* activation counter when built; bit 0 = GEN_BIT */
	struct grule *rules;
	size_t n;
};

struct sha_rule {
	char hex[65];
	uint32_t num;
};

/* A path of a kernel form: fanotify marks (FILE_PATH) and the pre-exec
 * path check (EXEC_PATH, which also covers a file replaced since). */
struct kpath {
	char *path;
	uint32_t num;
	int kind;              /* EDR_KFORM_EXEC_PATH or EDR_KFORM_FILE_PATH */
};

struct learned {
	struct edr_policy_exec e;
	char hex[65];
};

enum job_kind { JOB_QUARANTINE = 1, JOB_ISOLATE };

struct job {
	struct job *next;
	int kind;
	char id[RULE_ID_LEN], name[RULE_NAME_LEN];
	uint32_t num;
	struct edr_response_target t;
	char path[4096], exe[4096], entity[33];
};

struct edr_responder {
	struct edr_response_opts o;
	pthread_mutex_t lock;  /* everything below but the atomics */
	int enabled;           /* atomic */
	int mech_exec, mech_net, mech_file, mech_isolate;
	/* Budgets. */
	double total_tokens;
	uint64_t total_last_ns;
	struct rstate **states;
	size_t nstates, capstates;
	/* The current and the previous generation's tables. */
	struct gen gens[2];
	uint64_t seq;
	/* The compiled policy (user-space copy; demoted rules filtered at apply). */
	struct edr_policy_exec *exec;
	size_t nexec, capexec;
	struct edr_policy_net *net;
	size_t nnet, capnet;
	struct edr_policy_file *file;
	size_t nfile, capfile;
	struct kpath *paths;    /* the EXEC_PATH and FILE_PATH paths themselves */
	size_t npaths, cappaths;
	struct sha_rule *sha;
	size_t nsha, capsha;
	struct learned *learned;
	size_t nlearned, caplearned;
	int needs_hash;
	size_t response_rules;
	size_t fan_rules;       /* deny rules decided in the fanotify worker */
	size_t async_rules;     /* rules acting after the event (pidfd, quarantine, isolate) */
	/* Counters (atomics). */
	struct edr_response_stats c;
	/* The worker. */
	pthread_t worker;
	int have_worker, stop;
	pthread_cond_t cond;
	struct job *head, *tail;
	/* Isolation as last set by us (the kernel's pinned state is the truth). */
	int isolated;
};

#define RINC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define RGET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

uint64_t edr_resp_now(const struct edr_responder *r);
void edr_resp_log(const struct edr_responder *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One response line (event.kind event), written through o.emit. */
struct resp_line {
	int action, mech;
	const char *outcome;   /* "taken", "skipped", "would" */
	const char *reason;    /* may be NULL */
	const char *id, *name;
	int64_t latency_us;    /* < 0: not reported */
	const struct edr_response_target *t;
	const char *quarantine_id;
};
void edr_resp_emit(struct edr_responder *r, const struct resp_line *l);

/* policy.c: states, tables and the policy (all under lock). */
struct rstate *edr_resp_state_get(struct edr_responder *r, const struct edr_rule *rule, int create);
uint32_t edr_resp_rule_num(uint64_t seq, size_t idx);
struct grule *edr_resp_gen_lookup(struct edr_responder *r, uint32_t num);
/* The mechanism a rule's action uses here; *pre: decided before the
 * operation (kernel or fanotify), so its match after it is not acted on. */
int edr_resp_rule_mech(const struct edr_responder *r, const struct edr_rule *rule, int action,
		       int kform, int *pre);
int edr_resp_num_armed(struct edr_responder *r, uint32_t num);
/* A SHA-256 deny's identity learned: into the kernel's exec map. */
int edr_resp_learn_locked(struct edr_responder *r, uint32_t dev, uint64_t ino, uint64_t ctime_ns,
			  const char *hex);
void edr_resp_policy_clear(struct edr_responder *r);

/* response.c: the budget; under lock. 0, or -EDQUOT after demoting st. */
int edr_resp_charge(struct edr_responder *r, struct rstate *st, char *why, size_t whylen);

/* act.c */
int edr_resp_worker_start(struct edr_responder *r);
void edr_resp_worker_stop(struct edr_responder *r);
void edr_resp_enqueue(struct edr_responder *r, struct job *j);
void edr_resp_run_job(struct edr_responder *r, struct job *j);
/* Kills t (and with tree its descendants in o.procs); returns the first error. */
int edr_resp_kill(struct edr_responder *r, const struct edr_response_target *t, int tree,
		  char *why, size_t whylen);
/* Re-applies the kernel policy without demoted rules; under lock. */
int edr_resp_reapply(struct edr_responder *r, char *err, size_t errlen);

#endif /* EDR_RESPONSE_INTERNAL_H */
