/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ancestry chain of a process (edr.ancestors): its parent, grandparent,
 * ... as the process table knows them, up to a configured depth. The walk
 * follows edr_proctable__parent(), which only returns a parent whose start
 * time matches, and stops at the first pid seen twice: a table built from
 * reused pids may hold a cycle, and the walk must end anyway.
 */
#ifndef EDR_ANCESTRY_H
#define EDR_ANCESTRY_H

#include <stddef.h>

#include "sensor/proctable.h"

#define EDR_ANCESTRY_MAX_DEPTH 64

struct edr_ancestry {
	size_t n;
	/* Parent first. Borrowed from the table: valid until it next changes. */
	const struct edr_proc *procs[EDR_ANCESTRY_MAX_DEPTH];
	int truncated;  /* max_depth reached while a further ancestor was known */
	int loop;       /* stopped at a pid already in the chain */
};

/*
 * Fills out with at most max_depth ancestors of p. Returns out->n, or
 * -EINVAL when max_depth is over EDR_ANCESTRY_MAX_DEPTH or an argument is
 * NULL (out is then empty).
 */
int edr_ancestry__walk(struct edr_proctable *pt, const struct edr_proc *p, size_t max_depth,
		       struct edr_ancestry *out);

/* What to show for an ancestor: its executable, else its comm ("" if neither). */
const char *edr_ancestry_exe(const struct edr_proc *p);

#endif /* EDR_ANCESTRY_H */
