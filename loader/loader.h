/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * open -> configure -> load -> attach, always in that order. Programs are
 * grouped into features; each feature has attach paths in order of
 * preference, and the loader keeps the first the running kernel accepts
 * (by probe, then by the verifier, then by attach), recording why each
 * other path was refused. A feature with no usable path is reported and
 * left out; the sensor carries on with the rest.
 */
#ifndef EDR_LOADER_H
#define EDR_LOADER_H

#include <stdint.h>
#include <stdio.h>

#include "loader/probe.h"

/*
 * Features are numbered 0 .. edr_feature_count() - 1 in the order of the
 * registry (loader/features.c: one table per event family) and looked up by
 * name; there is no enum of them. EDR_MAX_FEATURES bounds the count (the
 * registry aborts at start-up if it is outgrown) and sizes per-feature arrays.
 */
#define EDR_MAX_FEATURES 48

#define EDR_MAX_PATHS 4

enum edr_feat_state {
	EDR_FEAT_OFF,         /* disabled by configuration */
	EDR_FEAT_ACTIVE,      /* preferred path attached */
	EDR_FEAT_DEGRADED,    /* a fallback path attached */
	EDR_FEAT_UNAVAILABLE, /* no path usable on this kernel */
};

struct edr_feature_status {
	const char *name;
	enum edr_feat_state state;
	int chosen;                        /* index into paths, -1 when none */
	int npaths;
	const char *paths[EDR_MAX_PATHS];  /* path names in preference order */
	char why[EDR_MAX_PATHS][200];      /* per path: chosen, or why refused */
};

struct edr_loader_opts {
	uint32_t ring_size;       /* bytes, power of two >= page size; 0 = default 8 MiB */
	uint32_t wakeup_bytes;    /* wake the consumer at this much pending data; 0 = every record */
	uint32_t self_tgid;       /* events of this process are never reported */
	uint32_t target_tgid;     /* tests: report only this tgid and its children */
	/* A process's repeated write-opens of one file within this many ns of
	 * the one reported are counted, not sent (0: report every open). */
	uint64_t open_dedup_ns;
	int disabled[EDR_MAX_FEATURES];     /* by feature number */
	const char *force[EDR_MAX_FEATURES]; /* path name to use, NULL = automatic */
	/* The loader's notes (a path refused, a hook missing) go here (may be NULL). */
	void (*log)(int debug, const char *msg, void *ctx);
	void *log_ctx;
};

struct edr_loader;

/* Number of features (at most EDR_MAX_FEATURES). */
int edr_feature_count(void);
/* A feature's name; "?" when out of range. */
const char *edr_feature_name(int f);
const char *edr_feat_state_name(enum edr_feat_state s);
/* Looks a feature up by name; -1 when unknown. */
int edr_feature_by_name(const char *name);
/* Comma-separated path names of a feature (for messages and config help). */
const char *edr_feature_paths(int f);

/*
 * Where libbpf's messages go, process-wide (libbpf has one print hook per
 * process): log(debug, line, ctx) gets each message as one line. NULL puts
 * back the printer that was there before the first call.
 */
void edr_libbpf_set_log(void (*log)(int debug, const char *msg, void *ctx), void *ctx);

/*
 * Plans from a probe without loading anything (for --probe), filling
 * status[0 .. edr_feature_count() - 1] with the path each feature would use
 * and why.
 */
void edr_loader__plan(const struct edr_probe *probe, const struct edr_loader_opts *opts,
		      struct edr_feature_status status[EDR_MAX_FEATURES]);

/* Opens, configures, loads and attaches. NULL and errno set on failure,
 * with a one-line reason in err. */
struct edr_loader *edr_loader__new(const struct edr_probe *probe, const struct edr_loader_opts *opts,
				   char *err, size_t errlen);
/* Detaches every program; maps stay readable (to drain the ring). */
void edr_loader__detach(struct edr_loader *l);
/* Detaches everything and frees; accepts NULL. */
void edr_loader__free(struct edr_loader *l);

/* One per feature, edr_feature_count() of them. */
const struct edr_feature_status *edr_loader__status(const struct edr_loader *l);
int edr_loader__ring_fd(const struct edr_loader *l);
int edr_loader__stats_fd(const struct edr_loader *l);
/* How many kernel-only maps were frozen (no bpf() writes from user space)
 * after load, and their names. */
int edr_loader__frozen_maps(const struct edr_loader *l);
const char *const *edr_loader_kernel_only_maps(size_t *n);
int edr_loader__deny_exec_fd(const struct edr_loader *l);
/* A map's or a program's fd by its name in the object, or -ENOENT. */
int edr_loader__map_fd(const struct edr_loader *l, const char *name);
int edr_loader__prog_fd(const struct edr_loader *l, const char *name);
/* BPF program ids that are attached (for tests checking nothing stays). */
int edr_loader__prog_ids(const struct edr_loader *l, uint32_t *ids, int max);

#endif /* EDR_LOADER_H */
