/* SPDX-License-Identifier: GPL-2.0-only */
/* ECS JSON records: events, gap records and the closing summary. */
#ifndef EDR_ECS_H
#define EDR_ECS_H

#include <stdint.h>

#include "sensor/enrich/ancestry.h"
#include "sensor/enrich/container.h"
#include "sensor/decode.h"
#include "sensor/family/family.h"
#include "sensor/enrich/hashcache.h"
#include "sensor/enrich/idcache.h"
#include "sensor/json.h"
#include "sensor/proctable.h"

/* What the daemon adds to an event beyond the kernel's record. */
struct edr_enrichment {
	int have_hash;                       /* exec events only */
	enum edr_hash_state hash_state;
	enum edr_hash_skip hash_skip;
	char sha256[EDR_SHA256_HEX_LEN + 1];
	const struct edr_cgroup_info *container; /* NULL when unknown */
	struct edr_ancestry ancestry;
	const struct edr_proc *target;       /* ptrace/vm_write target in the table, or NULL */
};

struct edr_ecs {
	char host_name[256];
	int64_t boot_to_real_ns;   /* add to CLOCK_BOOTTIME ns to get wall clock */
	struct edr_idcache *ids;   /* user and group names */
};

int edr_ecs__init(struct edr_ecs *ecs, const char *host_name);
void edr_ecs__fini(struct edr_ecs *ecs);

/* Writes "@timestamp" for a CLOCK_BOOTTIME ns value. */
void edr_ecs__timestamp(struct edr_ecs *ecs, struct edr_json *j, uint64_t boot_ns);

/*
 * Opens the event object and writes everything about an event except the
 * final '}': the caller may add keys (e.g. rule fields) and then closes it
 * with edr_json_obj_end(). c->p is the process table entry after the event
 * was applied (may be NULL); c->parent likewise; c->en may be NULL. c->ev
 * must have decoded (its family is set).
 */
void edr_ecs__event(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c);

/* What an alert adds to its triggering event. */
struct edr_alert_info {
	const char *rule_id, *rule_name, *rule_description, *level, *rule_file;
	const char *const *techniques;
	size_t ntechniques;
	const char *const *tags;
	size_t ntags;
	int shadow;                 /* from a shadow candidate: edr.shadow true */
	uint64_t content_version;
};

/* ECS numeric severity for a Sigma level (low 21, medium 47, high 73, critical 99). */
int edr_ecs_severity(const char *level);

/* An alert record: the triggering event's fields plus rule and threat.
 * Opens the object; the caller closes it. */
void edr_ecs__alert(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c,
		    const struct edr_alert_info *a);

/* Writes the "process" object for p (and "process.parent" when given). */
void edr_ecs__process(struct edr_ecs *ecs, struct edr_json *j, const struct edr_proc *p,
		      const struct edr_proc *parent);

/* {"event":{"kind":"event","action":"events-lost",...},"edr":{"lost":N,"cpu":C}} */
void edr_ecs__gap(struct edr_ecs *ecs, struct edr_json *j, uint32_t cpu, uint64_t lost, uint64_t boot_ns);
/* An output that lost lines (a full disk) writes this once it works again:
 * event.action output-lines-lost, event.reason, edr.lost, edr.output. */
void edr_ecs__output_gap(struct edr_ecs *ecs, struct edr_json *j, const char *output, uint64_t lost,
			 const char *reason, uint64_t boot_ns);
/* The same as one line in buf (no newline), stamped now; its length, 0
 * when it does not fit. The output's gap_line callback (ecs: the edr_ecs). */
size_t edr_ecs__output_gap_line(void *ecs, const char *output, uint64_t lost, const char *reason,
				char *buf, size_t size);

/* "key": the string, only when present (s->p set). */
void edr_ecs_kopt(struct edr_json *j, const char *key, const struct edr_str *s);

/* The name of the attach path a record came from ("tracepoint", "lsm",
 * "fentry", "kprobe", "tp_btf", "raw_tp"), from its header, for the
 * families' edr.*.source fields. */
const char *edr_ecs_attach_path(const struct edr_decoded *ev);
/* In "edr": a denial's "deny": {rule, mechanism, operation, generation};
 * nothing for other records. */
void edr_ecs_deny(struct edr_json *j, const struct edr_decoded *ev);

#endif /* EDR_ECS_H */
