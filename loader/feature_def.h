/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a feature is made of (loader-internal): attach paths in order of
 * preference, each a list of BPF programs named as members of the skeleton
 * (struct edr_bpf), so the compiler checks every name. One file per event
 * family under loader/features/ defines its features; loader/features.c
 * concatenates the families in the order users see (--probe, edrctl status,
 * config). A feature is an index into that registry.
 */
#ifndef EDR_FEATURE_DEF_H
#define EDR_FEATURE_DEF_H

#include <stddef.h>

#include "loader/loader.h"
#include "loader/probe.h"
#include "edr.skel.h"

/* Programs in one attach path at most (the main one included). */
#define EDR_MAX_PROGS 41

/* No second requirement. */
#define NOCAP EDR_CAP__COUNT

struct edr_prog_ref {
	size_t off;       /* offsetof(struct edr_bpf, progs.NAME) */
	const char *name; /* NAME, for messages */
	int optional;     /* its hook may be missing: an attach ENOENT is not a refusal */
	int on_demand;    /* loaded, not attached by the loader (isolation: loader/enforce.c) */
};

#define EDR_PROG(n)     { offsetof(struct edr_bpf, progs.n), #n, 0, 0 }
#define EDR_PROG_OPT(n) { offsetof(struct edr_bpf, progs.n), #n, 1, 0 }
#define EDR_PROG_DEMAND(n) { offsetof(struct edr_bpf, progs.n), #n, 0, 1 }

struct edr_path_def {
	const char *name;                  /* as shown to users and in config */
	enum edr_cap cap;                  /* what the kernel must support */
	enum edr_cap cap2;                 /* a second requirement, or NOCAP */
	const struct edr_prog_ref *progs;  /* progs[0] is the main program */
	int nprogs;
};

/* A path and its programs: EDR_PATH("tracepoint", CAP, NOCAP, EDR_PROG(a), EDR_PROG(b)). */
#define EDR_PATH(pname, c1, c2, ...)                                                   \
	{ .name = (pname), .cap = (c1), .cap2 = (c2),                                  \
	  .progs = (const struct edr_prog_ref[]){ __VA_ARGS__ },                       \
	  .nprogs = sizeof((const struct edr_prog_ref[]){ __VA_ARGS__ }) /             \
		    sizeof(struct edr_prog_ref) }

struct edr_feature_def {
	const char *name;
	struct edr_path_def paths[EDR_MAX_PATHS]; /* unused ones have a NULL name */
};

/*
 * The families (sensor/family/families.def), in the order their features
 * are listed. A family FAM defines edr_FAM_features[] and
 * edr_FAM_features_n in loader/features/FAM.c.
 */
#define EDR_FAMILY(fam)                                         \
	extern const struct edr_feature_def edr_##fam##_features[]; \
	extern const size_t edr_##fam##_features_n;
#include "sensor/family/families.def"
#undef EDR_FAMILY

/* The definition of feature f (0 <= f < edr_feature_count()), else NULL. */
const struct edr_feature_def *edr_feature_def(int f);

/* Number of paths of a feature. */
int edr_feature_npaths(const struct edr_feature_def *fd);

/* The program a reference names in an opened skeleton. */
static inline struct bpf_program *edr_prog(const struct edr_bpf *skel, const struct edr_prog_ref *r)
{
	return *(struct bpf_program *const *)((const char *)skel + r->off);
}

#endif /* EDR_FEATURE_DEF_H */
