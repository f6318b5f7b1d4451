/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Process table: tgid -> what the sensor knows of that process, so every
 * event can carry its process and parent context. Seeded from /proc at
 * start-up; kept current by fork, exec and exit events. A pid is reused by
 * the kernel, so an entry is the pair (tgid, start time): a fork or exec
 * whose start time differs replaces the entry.
 */
#ifndef EDR_PROCTABLE_H
#define EDR_PROCTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/enrich/container.h"
#include "sensor/decode.h"

struct edr_proc {
	uint32_t tgid, ppid;
	uint64_t start_ns;         /* group leader start, CLOCK_BOOTTIME ns */
	uint64_t parent_start_ns;
	uint32_t uid, gid, euid, egid, auid, sessionid;
	uint64_t cgroup_id;
	char *exe;                 /* resolved executable path, may be NULL */
	char *args;                /* NUL-separated argv */
	uint32_t args_len;         /* bytes in args, last NUL excluded */
	int args_truncated;
	char *cwd;
	char comm[16];
	char entity_id[33];        /* stable process GUID (hex) */
	uint64_t exit_ns;          /* 0 while running */
	int seeded;                /* known from /proc, not from an event */
	int container_known;       /* container looked up (at exec, or inherited at fork) */
	struct edr_cgroup_info container;
	struct edr_proc *next;     /* hash chain */
	struct edr_proc *lru_prev, *lru_next; /* exited entries, oldest first */
};

struct edr_proctable;

/* boot_id: /proc/sys/kernel/random/boot_id or any per-boot string. */
struct edr_proctable *edr_proctable__new(size_t max_entries, const char *boot_id);
void edr_proctable__free(struct edr_proctable *pt);

/* NULL when unknown. */
struct edr_proc *edr_proctable__get(struct edr_proctable *pt, uint32_t tgid);
/* The parent of p if it is the same process the kernel reported (start
 * times match), else NULL. */
struct edr_proc *edr_proctable__parent(struct edr_proctable *pt, const struct edr_proc *p);

/* Each returns the entry updated, or NULL (errno) when the table is full. */
struct edr_proc *edr_proctable__on_fork(struct edr_proctable *pt, const struct edr_task *child);
struct edr_proc *edr_proctable__on_exec(struct edr_proctable *pt, const struct edr_decoded *ev);
struct edr_proc *edr_proctable__on_exit(struct edr_proctable *pt, const struct edr_task *task,
					uint64_t now_ns);

/* Exited entries are kept for grace_ns so late events and children still
 * find them, then removed. */
void edr_proctable__reap(struct edr_proctable *pt, uint64_t now_ns, uint64_t grace_ns);

/* Seeds from a /proc-like directory; returns processes added or -errno. */
int edr_proctable__seed(struct edr_proctable *pt, const char *proc_root);

size_t edr_proctable__count(const struct edr_proctable *pt);
/* Calls fn for every entry (exited ones included) until it returns non-zero;
 * returns that value or 0. fn must not change the table. */
int edr_proctable__foreach(struct edr_proctable *pt, int (*fn)(struct edr_proc *p, void *ctx),
			   void *ctx);
size_t edr_proctable__refused(const struct edr_proctable *pt);

/* The entity id for (tgid, start): same whether seen from /proc or BPF,
 * since it uses the start time in clock ticks as /proc reports it. */
void edr_entity_id(const char *boot_id, uint32_t tgid, uint64_t start_ns, char out[33]);

/* Parses the text of /proc/PID/stat: comm (may be NULL), the parent's pid and
 * the start time in clock ticks since boot. 0 or -EINVAL. */
int edr_proc_stat_parse(const char *buf, char *comm, size_t commlen, int *ppid,
			unsigned long long *start_ticks);

#endif /* EDR_PROCTABLE_H */
