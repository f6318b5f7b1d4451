/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An event family is the unit of the sensor: one BPF header (bpf/<family>.bpf.h)
 * and, here, one descriptor saying everything user space does with its
 * records: their types, sizes and statistics names, how the tail is decoded
 * and checked, what the process table learns, how the ECS line and the
 * Sigma views are written; its loader features with their attach paths are
 * in loader/features/NAME.c. One line of families.def registers both; the
 * decoder, the ECS writer, the Sigma mapper, the loader and the daemon loop
 * over the registry and never name a family. HACKING.md says how to add one.
 */
#ifndef EDR_FAMILY_H
#define EDR_FAMILY_H

#include <stddef.h>
#include <stdint.h>

#include "sensor/decode.h"

struct edr_json;
struct edr_proc;
struct edr_proctable;
struct edr_sigma_view;
struct edr_enrichment;

/* One record type. */
struct edr_rectype {
	uint16_t type;          /* EDR_EVENT_* */
	const char *stat;       /* events.<stat>.read in edrctl stats */
	const char *category;   /* ECS event.category */
	const char *ecs_type;   /* ECS event.type */
	const char *action;     /* ECS event.action */
	unsigned rec_size;      /* the fixed part: sizeof its struct in bpf/edr_event.h */
	int tail;               /* strings follow the fixed part */
};

/* Everything a writer of an event needs, passed explicitly. */
struct edr_event_ctx {
	const struct edr_decoded *ev;
	const struct edr_proc *p, *parent;  /* the process table's entries, or NULL */
	const struct edr_enrichment *en;    /* what the daemon added, or NULL */
	const char *user, *puser;           /* user names for Sigma, or NULL */
};

struct edr_family {
	const char *name;
	const struct edr_rectype *types;
	size_t ntypes;
	/* Decodes the tail from *off (the end of the fixed part) and checks
	 * the fields consumers index tables by; NULL for fixed records. */
	enum edr_decode_err (*decode)(struct edr_decoded *ev, const char *base, size_t len, size_t *off);
	/* What the process table learns; NULL: the event is about a process
	 * the table knows (or not), which it leaves unchanged. */
	struct edr_proc *(*apply)(struct edr_proctable *pt, struct edr_decoded *ev, const char *proc_root);
	/* An event that starts a new program image (exec): 1 and the file's
	 * identity (for its hash and the container lookup), else 0. */
	int (*new_image)(const struct edr_decoded *ev, uint32_t *dev, uint64_t *ino);
	/* The second process an event names (ptrace's tracee), or 0. */
	uint32_t (*target_tgid)(const struct edr_decoded *ev);
	/* ECS, in the order of the line; each may be NULL. */
	const char *(*outcome)(const struct edr_decoded *ev);             /* event.outcome */
	void (*ecs_thread)(struct edr_json *j, const struct edr_decoded *ev); /* in process.thread */
	void (*ecs_process)(struct edr_json *j, const struct edr_decoded *ev); /* in process */
	const struct edr_task *(*user_task)(const struct edr_decoded *ev, struct edr_task *tmp);
	void (*ecs_objects)(struct edr_json *j, const struct edr_decoded *ev); /* top-level objects */
	void (*ecs_edr)(struct edr_json *j, const struct edr_event_ctx *c);    /* in edr */
	/* Fills Sigma view idx (0, 1, ...) of the event: 0, or -ENOENT when
	 * there is no such view (the caller stops at the first). */
	int (*sigma)(struct edr_sigma_view *v, const struct edr_event_ctx *c, int idx);
	/* Its loader features (attach paths, programs as skeleton members) are
	 * loader/features/NAME.c, registered by the same line of
	 * sensor/family/families.def. */
};

/* The registry, in the order features and statistics are shown. */
extern const struct edr_family *const edr_families[];
extern const size_t edr_nfamilies;

/* A record type's row; never NULL: an unknown type gets a row with stat
 * NULL and rec_size 0. */
const struct edr_rectype *edr_rectype(unsigned type);
/* The family of a record type, NULL when unknown. */
const struct edr_family *edr_family_of(unsigned type);

/* Whether a decoded event is of the family of EDR_EVENT_<T>. */
#define EDR_IN_FAMILY(ev, T) ((ev)->fam && (ev)->fam == edr_family_of(EDR_EVENT_##T))

/* Applies a decoded event to the process table (its family's apply, else
 * a lookup) and returns the entry the event is about, or NULL. */
struct edr_proc *edr_family_apply(struct edr_proctable *pt, struct edr_decoded *ev, const char *proc_root);
/* The other process an event names (0 for none) and whether it starts a
 * new program image, from its family. */
uint32_t edr_family_target(const struct edr_decoded *ev);
int edr_family_new_image(const struct edr_decoded *ev, uint32_t *dev, uint64_t *ino);

#endif /* EDR_FAMILY_H */
