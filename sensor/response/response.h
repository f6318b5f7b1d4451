/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The response engine (issue 12): turns rule matches into actions (deny,
 * kill, quarantine, isolate), compiles the active content's deny rules into
 * a kernel policy at every activation, and is the circuit breaker between
 * the two: protected processes, per-rule and total rate budgets with
 * demotion to alert-only, shadow content that only says what it would do,
 * and a kill switch.
 *
 * Every mechanism it drives is behind struct edr_response_ops, so the unit
 * tests use fakes; the daemon wires them to loader/enforce.h, pidfd,
 * fanotify and the quarantine.
 *
 * Threads: edr_response__on_match() runs in the event thread (inside the
 * content manager's RCU read section: it never blocks for long; quarantine
 * and isolation are queued to the engine's worker thread). on_activate may
 * run in any thread, the control verbs in the control server's threads, the
 * fanotify decisions in fanotify workers; one mutex serialises the engine's
 * tables and is never held across a system call of the event thread's path
 * except the pidfd signal itself.
 *
 * Every action taken or skipped is one ECS line (emit callback, which must
 * be thread-safe):
 *   {"event":{"kind":"event","category":[...],"type":["denied"],"action":"deny"},
 *    "edr":{"response":{"action","mechanism","outcome":"taken|skipped|would",
 *           "reason","latency_us","rule":{"id","name"}}}, process.* / file.* /
 *           destination.*}
 */
#ifndef EDR_RESPONSE_H
#define EDR_RESPONSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "loader/enforce.h"
#include "rules/edr_rules.h"

struct edr_content_set;
struct edr_protect;
struct edr_proctable;
struct edr_ecs;
struct edr_ctl_server;
struct edr_ctl_reply;

/* How an action is carried out; names as in events, --probe and status. */
enum edr_mech {
	EDR_RMECH_NONE = 0,
	EDR_RMECH_LSM,
	EDR_RMECH_KILL_AT_EXEC,
	EDR_RMECH_CGROUP,
	EDR_RMECH_FANOTIFY,
	EDR_RMECH_PIDFD,
	EDR_RMECH_QUARANTINE,
	EDR_RMECH_CGROUP_SKB,
	_EDR_RMECH_MAX,
};

/* "none", "lsm", "kill-at-exec", "cgroup", "fanotify", "pidfd",
 * "quarantine", "cgroup_skb"; "?" out of range. */
const char *edr_mech_name(int m);

/* enforce_exec = auto|lsm|fanotify|kill */
enum edr_exec_pref {
	EDR_EXEC_PREF_AUTO = 0,
	EDR_EXEC_PREF_LSM,
	EDR_EXEC_PREF_FANOTIFY,
	EDR_EXEC_PREF_KILL,
};

/* Chooses the exec mechanism: lsm if attached, else fanotify if it
 * initialised, else kill-at-exec, else pidfd (after the fact). A forced
 * preference that is not available falls back to auto; why says so. */
int edr_response_choose_exec(int pref, const struct edr_enforce_caps *caps, int fanotify_ok,
			     char *why, size_t whylen);

/* The mechanisms, each may be NULL (that mechanism is absent). 0 or a
 * negative errno; err/why a one-line reason. */
struct edr_response_ops {
	int (*apply)(void *ctx, const struct edr_policy *p, char *err, size_t errlen);
	int (*add_exec)(void *ctx, const struct edr_policy_exec *e);
	int (*set_enabled)(void *ctx, int on);
	int (*set_exec_mode)(void *ctx, enum edr_exec_mode m);
	int (*isolate_on)(void *ctx, const struct edr_isolate_allow *a, size_t n, char *err,
			  size_t errlen);
	int (*isolate_off)(void *ctx, char *err, size_t errlen);
	int (*isolate_status)(void *ctx, struct edr_isolate_status *st);
	/* fanotify FAN_OPEN_PERM marks for FILE_PATH rules without file_lsm. */
	int (*protect_path)(void *ctx, const char *path, char *err, size_t errlen);
	void (*unprotect_all)(void *ctx);
	/* SIGKILL to (pid, start_ns) only; NULL = edr_response_pidfd_kill(). */
	int (*kill)(void *ctx, pid_t pid, uint64_t start_ns, char *why, size_t whylen);
	/* Moves path away; id_out (17 bytes) names the item. Worker thread. */
	int (*quarantine)(void *ctx, const char *path, const char *rule_id, const char *rule_name,
			  char id_out[17], char *why, size_t whylen);
	void *ctx;
};

/* Whether every field a process_creation rule reads is known before the
 * exec (Image, ParentImage, User, UserId, CurrentDirectory, sha256, Hashes,
 * ParentProcessId, ParentCommandLine, ParentUser, ContainerId). */
int edr_response_rule_pre_exec(const struct edr_rule *rule);

/* Kill (pid) with SIGKILL through a pidfd, after checking that the pidfd's
 * process started at start_ns (CLOCK_BOOTTIME ns, as the process table has
 * it; /proc/PID/stat's start time in clock ticks), so a reused PID is never
 * signalled. start_ns 0 skips the check. 0 or negative errno (-ESRCH: gone
 * or reused) with why. proc_root NULL = "/proc". */
int edr_response_pidfd_kill(const char *proc_root, pid_t pid, uint64_t start_ns, char *why,
			    size_t whylen);

struct edr_response_opts {
	struct edr_response_ops ops;
	struct edr_enforce_caps caps;   /* what is attached in the kernel */
	int exec_pref;                  /* enum edr_exec_pref */
	int fanotify_ok;                /* fanotify exec marks work (exec decisions) */
	int fanotify_file_ok;           /* fanotify open marks work (protected files) */
	int enabled;                    /* enforce = on at start */
	unsigned rate_per_rule;         /* actions a minute per rule; 0 = 20 */
	unsigned rate_total;            /* actions a minute in total; 0 = 100 */
	const struct edr_protect *protect; /* NULL: nothing protected (tests only) */
	struct edr_proctable *procs;    /* tree kills (event thread only); may be NULL */
	struct edr_ecs *ecs;            /* host name and timestamps; may be NULL */
	/* Thread-safe writer of one JSON line. */
	void (*emit)(void *ctx, const char *line, size_t len, int is_alert, int severity);
	void *emit_ctx;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	/* CLOCK_BOOTTIME ns (the record header's clock); NULL = the real one. */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
	/* Default allow-list of isolation (isolate_allow). */
	const struct edr_isolate_allow *isolate_allow;
	size_t nisolate_allow;
	const char *proc_root;          /* NULL = "/proc" */
	int no_worker;                  /* tests: queued jobs run in edr_response__drain() */
};

struct edr_responder;

/* NULL and errno on failure. Sets the exec mode and the kill switch in the
 * kernel and logs the mechanisms chosen. */
struct edr_responder *edr_response__new(const struct edr_response_opts *o);
/* Stops the worker (running queued jobs first). Accepts NULL. */
void edr_response__free(struct edr_responder *r);

/* The content manager's on_activate hook: compiles set's deny rules into a
 * policy and applies it (generation flip). ctx is the engine. */
void edr_response__on_activate(const struct edr_content_set *set, void *ctx);

/* What a match acts on; the event thread fills it from the event. */
struct edr_response_target {
	int cat;                 /* enum edr_cat of the view that matched */
	uint64_t ts_ns;          /* the event's kernel timestamp (CLOCK_BOOTTIME) */
	pid_t pid;
	uint64_t start_ns;       /* process start (CLOCK_BOOTTIME); 0 = unknown */
	const char *exe;         /* may be NULL */
	const char *entity_id;   /* may be NULL */
	const char *file;        /* file_event / quarantine target; may be NULL */
	const char *dst_ip;      /* network; may be NULL */
	uint16_t dst_port;
	const char *sha256;      /* exec image hash when known; may be NULL */
	uint32_t dev;            /* exec image identity (kernel dev), 0 = unknown */
	uint64_t ino, ctime_ns;
};

/* A rule matched (shadow: from the shadow candidate, whose would-act
 * counter on set is bumped). Event thread. */
void edr_response__on_match(struct edr_responder *r, const struct edr_rule *rule, int shadow,
			    const struct edr_content_set *set, const struct edr_response_target *t);

/* The hash cache learned the digest of an exec'd identity: if an active
 * EXEC_SHA256 rule names it, the identity goes into the kernel's exec map. */
void edr_response__hash_learned(struct edr_responder *r, uint32_t dev, uint64_t ino,
				uint64_t ctime_ns, const char *sha256_hex);

/* A denial the kernel made (record from the BPF side): rule is the number
 * from the policy; one response event naming the rule, counted against the
 * budget. t->cat says which target. */
void edr_response__kernel_denial(struct edr_responder *r, uint32_t rule, int mech,
				 const struct edr_response_target *t);

/* A decision already taken by a user-space pre-operation mechanism
 * (fanotify): reports and counts it like a kernel denial. rule_num as from
 * edr_response__pre_check(). */
void edr_response__report(struct edr_responder *r, uint32_t rule_num, int action, int mech,
			  const char *outcome, const char *reason,
			  const struct edr_response_target *t);

/*
 * Pre-exec and pre-open checks for a user-space mechanism (fanotify): is
 * (dev, ino, ctime) in the exec policy, or path in the protected files?
 * Returns the rule number (> 0) to deny with, 0 to allow.
 */
uint32_t edr_response__exec_policy_hit(struct edr_responder *r, uint32_t dev, uint64_t ino,
				       uint64_t ctime_ns);
uint32_t edr_response__file_policy_hit(struct edr_responder *r, uint32_t dev, uint64_t ino);
/* path (as the kernel resolved the exec) equals an EXEC_PATH rule's path. */
uint32_t edr_response__exec_path_hit(struct edr_responder *r, const char *path);
/* Whether any active deny rule of process_creation needs a hash before exec. */
int edr_response__needs_hash(struct edr_responder *r);
/* How many active rules act after their event (their latency is the event
 * loop's: the daemon polls the ring buffer more often while there are any). */
int edr_response__async_rules(struct edr_responder *r);
/* How many active deny rules the fanotify worker decides on the pre-exec view. */
int edr_response__fan_rules(struct edr_responder *r);

/*
 * May a deny by this rule go ahead now (in a pre-operation mechanism)? The
 * circuit breaker in one call: enforcement on, rule not demoted, process
 * and binary not protected, budget (charging it; over budget demotes).
 * Returns 1 to deny, 0 to allow with a reason (why) already reported as a
 * skipped event. *rule_num receives the rule's number.
 */
int edr_response__may_deny(struct edr_responder *r, const struct edr_rule *rule,
			   const struct edr_response_target *t, uint32_t *rule_num);

/* The same for a policy hit (exec identity, protected file) by number. */
int edr_response__may_deny_num(struct edr_responder *r, uint32_t num,
			       const struct edr_response_target *t);

/* The rule of a number, from the current or the previous generation's
 * table; 0 and "" when unknown. */
int edr_response__rule_name(struct edr_responder *r, uint32_t num, char *id, size_t idlen,
			    char *name, size_t namelen);

/* Kill switch: one kernel write and one atomic. 0 or negative errno. */
int edr_response__set_enabled(struct edr_responder *r, int on);
int edr_response__enabled(const struct edr_responder *r);

/* Re-arms a demoted rule (by id, or by title), or all with rule NULL.
 * Returns how many were re-armed, or -ENOENT. The policy is re-applied. */
int edr_response__rearm(struct edr_responder *r, const char *rule);

/* Isolation from the control verbs (allow NULL/0: the configured list).
 * Runs in the caller's thread. */
int edr_response__isolate(struct edr_responder *r, const struct edr_isolate_allow *a, size_t n,
			  char *err, size_t errlen);
int edr_response__release(struct edr_responder *r, char *err, size_t errlen);

/* Runs the queued jobs in the calling thread (tests with no_worker). */
void edr_response__drain(struct edr_responder *r);

/* Counters for `edrctl stats`. */
enum edr_resp_outcome { EDR_OUT_TAKEN = 0, EDR_OUT_SKIPPED, EDR_OUT_WOULD, _EDR_OUT_MAX };

struct edr_response_stats {
	uint64_t by_action[_EDR_ACT_MAX][_EDR_OUT_MAX];
	uint64_t demoted[_EDR_ACT_MAX];       /* demotions of rules with this action */
	uint64_t by_mech[_EDR_RMECH_MAX];      /* actions taken */
	uint64_t kill_failed;                 /* target gone or reused */
	uint64_t policy_applies, policy_errors;
};
void edr_response__stats(struct edr_responder *r, struct edr_response_stats *st);

/* For `edrctl status` and --probe. */
struct edr_response_status {
	int enabled;
	int mech_exec, mech_net, mech_file, mech_kill, mech_isolate; /* enum edr_mech */
	int isolated;
	size_t nallow;
	struct edr_isolate_allow allow[EDR_ISOLATE_MAX_ALLOW];
	size_t demoted;             /* rules demoted now */
	size_t response_rules;      /* rules with a response in the active set */
	size_t exec_entries, net_entries, file_entries, sha256_rules;
	uint64_t generation;
};
void edr_response__status(struct edr_responder *r, struct edr_response_status *st);

/* Reply items: "response.*" for status and stats (ops.h's extra hook), and
 * the rule table of `edrctl rules` ("rule.N.id|name|action|mechanism|state"). */
int edr_response__status_reply(struct edr_responder *r, struct edr_ctl_reply *reply);
int edr_response__stats_reply(struct edr_responder *r, struct edr_ctl_reply *reply);
int edr_response__rules_reply(struct edr_responder *r, struct edr_ctl_reply *reply);

/* Registers "enforce", "response", "isolate", "release" (root) and
 * "response-rules" (read-only) on srv. */
int edr_response__register_verbs(struct edr_responder *r, struct edr_ctl_server *srv);

/* "CIDR[:PORT]" (IPv6 in brackets when a port follows: "[::1]/128:22").
 * 0 or -EINVAL with a one-line reason. */
int edr_parse_allow(const char *s, struct edr_isolate_allow *a, char *err, size_t errlen);
/* Prints an allow entry back ("10.0.0.0/8:22"). */
const char *edr_format_allow(const struct edr_isolate_allow *a, char *buf, size_t len);

#endif /* EDR_RESPONSE_H */
