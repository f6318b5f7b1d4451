// SPDX-License-Identifier: GPL-2.0-only
/* Ancestry chain of a process; see ancestry.h. */
#include <errno.h>
#include <string.h>

#include "sensor/enrich/ancestry.h"

static int seen(const struct edr_ancestry *a, const struct edr_proc *start,
		const struct edr_proc *p)
{
	size_t i;

	if (p == start || p->tgid == start->tgid)
		return 1;
	for (i = 0; i < a->n; i++)
		if (a->procs[i] == p || a->procs[i]->tgid == p->tgid)
			return 1;
	return 0;
}

int edr_ancestry__walk(struct edr_proctable *pt, const struct edr_proc *p, size_t max_depth,
		       struct edr_ancestry *out)
{
	const struct edr_proc *cur = p, *pp;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!pt || !p || max_depth > EDR_ANCESTRY_MAX_DEPTH)
		return -EINVAL;
	while ((pp = edr_proctable__parent(pt, cur))) {
		if (seen(out, p, pp)) {
			out->loop = 1;
			break;
		}
		if (out->n == max_depth) {
			out->truncated = 1;
			break;
		}
		out->procs[out->n++] = pp;
		cur = pp;
	}
	return (int)out->n;
}

const char *edr_ancestry_exe(const struct edr_proc *p)
{
	if (p->exe && p->exe[0])
		return p->exe;
	return p->comm;
}
