/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `edrctl status` and `edrctl stats` on the daemon side: the snapshot
 * structs the daemon fills, and control-socket handlers that turn a
 * snapshot into a reply of flat key/value items (rendered by edrctl as a
 * table or JSON, see render.h for the key shapes).
 *
 * The handlers run in the control server's threads; they ask the daemon for
 * a snapshot through the callbacks of struct edr_ops, which must copy what
 * they need under the daemon's own locks (or read atomics) and return fast.
 *
 *	static struct edr_ops ops = { .status = my_status, .stats = my_stats, .arg = &daemon };
 *	edr_ops__register(srv, &ops);   // "status" and "stats", read-only verbs
 */
#ifndef EDR_OPS_H
#define EDR_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/edr_event.h"
#include "sensor/ctl/ctl_proto.h"

struct edr_ctl_server;

#define EDR_OPS_MAX_FEATURES 48 /* at least EDR_MAX_FEATURES (asserted in sensor/main.c) */
#define EDR_OPS_MAX_OUTPUTS  8
#define EDR_OPS_MAX_ALERT_ROWS 1000 /* stats shows the most frequent rules */

struct edr_ops_feature {
	char name[32];    /* "exec" */
	char attach[32];  /* path in use: "tracepoint", "lsm", ...; "" when none */
	char state[32];   /* the loader's words: "active", "degraded", "off", "unavailable" */
	char reason[160]; /* why, when not plainly attached; "" otherwise */
};

struct edr_ops_output {
	char dest[256];   /* "stdout", a file path, "journald", "syslog" */
	uint64_t lines;   /* written */
	uint64_t errors;  /* failed writes (all outputs, on the first) */
	uint64_t lost;    /* lines lost for good (a full disk past the backlog) */
	uint64_t pending; /* lines held in memory while the output cannot be written */
};

struct edr_sensor_status {
	char version[32];
	char kernel[65];           /* uname -r */
	char host_name[256];
	int64_t pid;
	uint64_t started_at;       /* unix time, seconds */
	uint64_t uptime_sec;
	size_t n_features;
	struct edr_ops_feature features[EDR_OPS_MAX_FEATURES];
	/* Content: state is "active", "shadow", "probation" or "none". */
	uint64_t content_version;
	char content_state[16];
	char content_source[256];  /* where the active content came from */
	uint64_t content_activated_at; /* unix time */
	uint64_t content_lkg_version;  /* last-known-good; 0 = none */
	uint64_t content_shadow_version; /* 0 = none in shadow */
	uint64_t content_probation_left_sec;
	size_t n_outputs;
	struct edr_ops_output outputs[EDR_OPS_MAX_OUTPUTS];
};

struct edr_cpu_stats {
	uint64_t emitted, drops, read_errors, suppressed; /* from the BPF per-CPU stats map */
	uint64_t exec_denied, net_denied, file_denied;    /* refusals by the enforcement programs */
};

struct edr_rule_alerts {
	char rule[128]; /* rule id or title */
	uint64_t count;
};

struct edr_sensor_stats {
	/* Indexed by enum edr_event_type. */
	uint64_t read[_EDR_EVENT_MAX];    /* records read from the ring buffer */
	uint64_t emitted[_EDR_EVENT_MAX]; /* JSON lines written for them */
	uint64_t decode_errors;
	uint64_t rule_evaluations;
	uint64_t alerts_total;
	/* Kernel side, per CPU; malloc'ed, freed by edr_sensor_stats__fini. */
	struct edr_cpu_stats *cpus;
	size_t n_cpus;
	/* Alerts per rule; malloc'ed, freed by edr_sensor_stats__fini. */
	struct edr_rule_alerts *alerts;
	size_t n_alerts;
	/* Ring buffer fill at the snapshot and its high-water mark. */
	uint64_t ring_size_bytes, ring_used_bytes, ring_used_max_bytes;
	/* Filled by the handler itself from getrusage() and /proc/self/statm. */
	uint64_t cpu_user_ms, cpu_system_ms, rss_bytes;
	/* Enrichment caches (all 0 when a cache is off). */
	uint64_t hash_lookups, hash_hits, hash_pending, hash_skipped, hash_failed, hash_computed,
		 hash_entries, hash_queue;
	uint64_t cgroup_hits, cgroup_misses, cgroup_uncached, cgroup_failed;
	/* user and group names (sensor/enrich/idcache.h) */
	uint64_t ids_lookups, ids_file_hits, ids_nss_resolved, ids_nss_pending, ids_queue_full,
		 ids_reloads, ids_parse_errors;
	/* The control socket (sensor/ctl/ctl_server.h). */
	uint64_t ctl_accepted, ctl_served, ctl_denied, ctl_busy, ctl_busy_per_uid, ctl_malformed;
	/* Per output, as in the status. */
	struct edr_ops_output outputs[EDR_OPS_MAX_OUTPUTS];
	size_t n_outputs;
};

struct edr_ops {
	/* Fill a snapshot (zeroed by the caller). 0 or negative errno. */
	int (*status)(struct edr_sensor_status *st, void *arg);
	int (*stats)(struct edr_sensor_stats *st, void *arg);
	/* Optional: adds items of other parts (the response engine's block)
	 * to the "status" or "stats" reply, after the snapshot's. */
	int (*more)(const char *verb, struct edr_ctl_reply *reply, void *arg);
	void *arg;
};

/* Frees what a stats snapshot allocated; the struct itself is the caller's. */
void edr_sensor_stats__fini(struct edr_sensor_stats *st);

/* Name of an event type in stats keys ("exec", "exec_denied", "type9"). */
const char *edr_ops_event_name(unsigned type, char *buf, size_t size);

/* Fill CPU time and RSS of the calling process. 0 or negative errno. */
int edr_ops_fill_process(struct edr_sensor_stats *st);

/*
 * The one-line summary for sd_notify STATUS= and the log, e.g.
 * "running, content v12 (shadow v13), 1 feature degraded, 1 unavailable".
 */
void edr_ops_status_line(const struct edr_sensor_status *st, char *buf, size_t size);

/* Snapshot -> reply items. 0 or negative errno (reply status set too). */
int edr_ops__status_reply(const struct edr_sensor_status *st, struct edr_ctl_reply *reply);
int edr_ops__stats_reply(const struct edr_sensor_stats *st, struct edr_ctl_reply *reply);

/* Control handlers (ctx is a struct edr_ops *). */
int edr_ops__status_handler(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx);
int edr_ops__stats_handler(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx);

/* Registers "status" and "stats" as read-only verbs. */
int edr_ops__register(struct edr_ctl_server *srv, struct edr_ops *ops);

#endif /* EDR_OPS_H */
