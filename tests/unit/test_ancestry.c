// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ancestry chain through the process table API: order, depth limit, a pid
 * cycle, pid reuse, missing parents, the comm fallback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/enrich/ancestry.h"

#define SEC 1000000000ull

static struct edr_task task(uint32_t tgid, uint32_t ppid, uint64_t start, uint64_t pstart)
{
	struct edr_task t = { .pid = tgid, .tgid = tgid, .ppid = ppid, .start_ns = start,
			      .parent_start_ns = pstart, .auid = (uint32_t)-1 };

	snprintf(t.comm, sizeof(t.comm), "c%u", tgid);
	return t;
}

/* fork then exec of path, through the table's own event handlers. */
static struct edr_proc *spawn(struct edr_proctable *pt, uint32_t tgid, uint32_t ppid,
			      uint64_t start, uint64_t pstart, const char *path)
{
	static uint8_t buf[1024];
	struct edr_exec *e = (void *)buf;
	struct edr_task t = task(tgid, ppid, start, pstart);
	struct edr_decoded d;
	size_t plen = strlen(path) + 1;

	assert_non_null(edr_proctable__on_fork(pt, &t));
	memset(buf, 0, sizeof(buf));
	e->hdr.type = EDR_EVENT_EXEC;
	e->hdr.version = EDR_ABI_VERSION;
	e->task = t;
	e->path_len = plen;
	memcpy(buf + sizeof(*e), path, plen);
	e->hdr.size = sizeof(*e) + plen;
	assert_int_equal(edr_decode(buf, e->hdr.size, &d), EDR_DECODE_OK);
	return edr_proctable__on_exec(pt, &d);
}

static void test_chain_and_depth(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_ancestry a;
	struct edr_proc *leaf;

	assert_non_null(pt);
	spawn(pt, 1, 0, 1 * SEC, 0, "/sbin/init");
	spawn(pt, 100, 1, 2 * SEC, 1 * SEC, "/usr/bin/bash");
	spawn(pt, 200, 100, 3 * SEC, 2 * SEC, "/usr/bin/python3");
	leaf = spawn(pt, 300, 200, 4 * SEC, 3 * SEC, "/usr/bin/sh");
	assert_non_null(leaf);

	assert_int_equal(edr_ancestry__walk(pt, leaf, 10, &a), 3);
	assert_string_equal(edr_ancestry_exe(a.procs[0]), "/usr/bin/python3");
	assert_string_equal(edr_ancestry_exe(a.procs[1]), "/usr/bin/bash");
	assert_string_equal(edr_ancestry_exe(a.procs[2]), "/sbin/init");
	assert_false(a.truncated);
	assert_false(a.loop);

	assert_int_equal(edr_ancestry__walk(pt, leaf, 2, &a), 2);
	assert_string_equal(edr_ancestry_exe(a.procs[1]), "/usr/bin/bash");
	assert_true(a.truncated);
	/* Exactly as deep as the chain: nothing cut. */
	assert_int_equal(edr_ancestry__walk(pt, leaf, 3, &a), 3);
	assert_false(a.truncated);
	assert_int_equal(edr_ancestry__walk(pt, leaf, 0, &a), 0);
	assert_true(a.truncated);
	edr_proctable__free(pt);
}

static void test_longest_chain(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_ancestry a;
	struct edr_proc *p = NULL;
	uint32_t i;

	assert_non_null(pt);
	for (i = 1; i <= 100; i++)
		p = spawn(pt, i, i - 1, i * SEC, (i - 1) * SEC, "/bin/sh");
	assert_int_equal(edr_ancestry__walk(pt, p, EDR_ANCESTRY_MAX_DEPTH, &a), EDR_ANCESTRY_MAX_DEPTH);
	assert_true(a.truncated);
	assert_int_equal(a.procs[EDR_ANCESTRY_MAX_DEPTH - 1]->tgid, 100 - EDR_ANCESTRY_MAX_DEPTH);
	assert_int_equal(edr_ancestry__walk(pt, p, EDR_ANCESTRY_MAX_DEPTH + 1, &a), -EINVAL);
	assert_int_equal(a.n, 0);
	assert_int_equal(edr_ancestry__walk(NULL, p, 1, &a), -EINVAL);
	assert_int_equal(edr_ancestry__walk(pt, NULL, 1, &a), -EINVAL);
	assert_int_equal(edr_ancestry__walk(pt, p, 1, NULL), -EINVAL);
	edr_proctable__free(pt);
}

/*
 * Reused pids can make a cycle the table accepts: A's recorded parent is B
 * and B's is A, start times agreeing both ways. The walk must stop.
 */
static void test_cycle(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_task a = task(100, 200, 1 * SEC, 2 * SEC), b = task(200, 100, 2 * SEC, 1 * SEC);
	struct edr_task c = task(300, 100, 3 * SEC, 1 * SEC);
	struct edr_proc *pa, *pc;
	struct edr_ancestry an;

	assert_non_null(pt);
	pa = edr_proctable__on_fork(pt, &a);
	assert_non_null(edr_proctable__on_fork(pt, &b));
	pc = edr_proctable__on_fork(pt, &c);
	assert_non_null(pa);
	assert_non_null(pc);
	/* The table does hold the cycle. */
	assert_int_equal(edr_proctable__parent(pt, edr_proctable__parent(pt, pa))->tgid, 100);

	assert_int_equal(edr_ancestry__walk(pt, pa, 10, &an), 1);
	assert_int_equal(an.procs[0]->tgid, 200);
	assert_true(an.loop);
	/* Entered from outside the cycle: each member once. */
	assert_int_equal(edr_ancestry__walk(pt, pc, 10, &an), 2);
	assert_int_equal(an.procs[0]->tgid, 100);
	assert_int_equal(an.procs[1]->tgid, 200);
	assert_true(an.loop);
	assert_false(an.truncated);
	edr_proctable__free(pt);
}

static void test_reuse_and_missing(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_task orphan = task(700, 650, 9 * SEC, 8 * SEC);
	struct edr_ancestry a;
	struct edr_proc *child, *p;

	assert_non_null(pt);
	spawn(pt, 50, 0, 1 * SEC, 0, "/usr/bin/old");
	child = spawn(pt, 60, 50, 2 * SEC, 1 * SEC, "/usr/bin/child");
	assert_int_equal(edr_ancestry__walk(pt, child, 5, &a), 1);
	/* pid 50 exits and is reused by another process: not child's parent. */
	spawn(pt, 50, 0, 5 * SEC, 0, "/usr/bin/new");
	child = edr_proctable__get(pt, 60);
	assert_int_equal(edr_ancestry__walk(pt, child, 5, &a), 0);
	assert_false(a.truncated);

	/* Parent never seen: no ancestors; an unknown image shows its comm. */
	p = edr_proctable__on_fork(pt, &orphan);
	assert_non_null(p);
	assert_int_equal(edr_ancestry__walk(pt, p, 5, &a), 0);
	assert_null(p->exe);
	assert_string_equal(edr_ancestry_exe(p), "c700");
	edr_proctable__free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_and_depth),
		cmocka_unit_test(test_longest_chain),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_reuse_and_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
