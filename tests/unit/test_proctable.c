// SPDX-License-Identifier: GPL-2.0-only
/* Process table: fork/exec/exit sequences, pid reuse, missing parent, seeding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensor/proctable.h"

#define SEC 1000000000ull

static struct edr_task task(uint32_t tgid, uint32_t ppid, uint64_t start, uint64_t pstart)
{
	struct edr_task t = { .pid = tgid, .tgid = tgid, .ppid = ppid, .start_ns = start,
			      .parent_start_ns = pstart, .uid = 1000, .auid = (uint32_t)-1 };

	snprintf(t.comm, sizeof(t.comm), "c%u", tgid);
	return t;
}

/* An exec record in a static buffer, decoded. */
static struct edr_decoded exec_ev(struct edr_task t, const char *path, const char *argv, size_t argv_len)
{
	static uint8_t buf[4096];
	struct edr_exec *e = (void *)buf;
	struct edr_decoded d;
	size_t off = sizeof(*e);

	memset(buf, 0, sizeof(buf));
	e->hdr.type = EDR_EVENT_EXEC;
	e->hdr.version = EDR_ABI_VERSION;
	e->task = t;
	e->path_len = strlen(path) + 1;
	memcpy(buf + off, path, e->path_len);
	off += e->path_len;
	e->argv_len = argv_len;
	memcpy(buf + off, argv, argv_len);
	off += argv_len;
	e->hdr.size = off;
	assert_int_equal(edr_decode(buf, off, &d), EDR_DECODE_OK);
	return d;
}

static void test_fork_exec_exit(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_task parent = task(100, 1, 1 * SEC, 0), child = task(200, 100, 2 * SEC, 1 * SEC);
	struct edr_decoded d;
	struct edr_proc *p, *pp;

	assert_non_null(pt);
	d = exec_ev(parent, "/usr/bin/bash", "bash\0", 5);
	p = edr_proctable__on_exec(pt, &d);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/bash");

	/* fork: the child inherits the parent's image until it execs */
	p = edr_proctable__on_fork(pt, &child);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/bash");
	pp = edr_proctable__parent(pt, p);
	assert_non_null(pp);
	assert_int_equal(pp->tgid, 100);

	d = exec_ev(child, "/usr/bin/echo", "echo\0hi\0", 8);
	p = edr_proctable__on_exec(pt, &d);
	assert_string_equal(p->exe, "/usr/bin/echo");
	assert_int_equal(p->args_len, 7);
	assert_memory_equal(p->args, "echo\0hi", 7);
	assert_string_equal(edr_proctable__parent(pt, p)->exe, "/usr/bin/bash");

	/* exit keeps the entry for the grace period, then it is reaped */
	assert_non_null(edr_proctable__on_exit(pt, &child, 10 * SEC));
	assert_non_null(edr_proctable__get(pt, 200));
	edr_proctable__reap(pt, 20 * SEC, 30 * SEC);
	assert_non_null(edr_proctable__get(pt, 200));
	edr_proctable__reap(pt, 41 * SEC, 30 * SEC);
	assert_null(edr_proctable__get(pt, 200));
	assert_non_null(edr_proctable__get(pt, 100));
	assert_int_equal(edr_proctable__count(pt), 1);
	edr_proctable__free(pt);
}

static void test_pid_reuse(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_task old = task(300, 1, 5 * SEC, 0), reused = task(300, 1, 9 * SEC, 0);
	struct edr_task kid_of_old = task(301, 300, 6 * SEC, 5 * SEC);
	struct edr_decoded d;
	struct edr_proc *p;
	char id_old[33];

	d = exec_ev(old, "/old", "old\0", 4);
	p = edr_proctable__on_exec(pt, &d);
	memcpy(id_old, p->entity_id, sizeof(id_old));
	assert_non_null(edr_proctable__on_fork(pt, &kid_of_old));
	edr_proctable__on_exit(pt, &old, 7 * SEC);

	/* pid 300 is reused by a new process: a new entry with a new id, the
	 * old image is not inherited */
	p = edr_proctable__on_fork(pt, &reused);
	assert_non_null(p);
	assert_null(p->exe);
	assert_int_equal(p->exit_ns, 0);
	assert_string_not_equal(p->entity_id, id_old);
	/* the old process's child must not claim the new pid 300 as parent */
	assert_null(edr_proctable__parent(pt, edr_proctable__get(pt, 301)));
	/* an exit for the old incarnation does not touch the new one */
	assert_null(edr_proctable__on_exit(pt, &old, 8 * SEC));
	assert_int_equal(edr_proctable__get(pt, 300)->exit_ns, 0);
	edr_proctable__free(pt);
}

static void test_missing_parent(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(0, "boot");
	struct edr_task orphan = task(400, 399, 3 * SEC, 2 * SEC);
	struct edr_decoded d = exec_ev(orphan, "/x", "x\0", 2);
	struct edr_proc *p = edr_proctable__on_exec(pt, &d);

	assert_non_null(p);
	assert_null(edr_proctable__parent(pt, p));
	/* fork with no known parent: entry without an image */
	p = edr_proctable__on_fork(pt, &(struct edr_task){ .pid = 401, .tgid = 401, .ppid = 12345 });
	assert_non_null(p);
	assert_null(p->exe);
	edr_proctable__free(pt);
}

static void test_entity_id(void **state)
{
	char a[33], b[33], c[33];

	/* same tick, same id: /proc's tick-rounded start and BPF's ns agree */
	edr_entity_id("boot", 1, 1234567890123ull, a);
	edr_entity_id("boot", 1, 1234560000000ull, b);
	assert_string_equal(a, b);
	edr_entity_id("boot2", 1, 1234567890123ull, c);
	assert_string_not_equal(a, c);
	edr_entity_id("boot", 2, 1234567890123ull, c);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 32);
}

static void test_capacity(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(4, "boot");
	struct edr_task t;
	uint32_t i;

	for (i = 1; i <= 4; i++) {
		t = task(i, 0, i * SEC, 0);
		assert_non_null(edr_proctable__on_fork(pt, &t));
	}
	t = task(5, 0, 5 * SEC, 0);
	assert_null(edr_proctable__on_fork(pt, &t));
	assert_int_equal(edr_proctable__refused(pt), 1);
	/* an exited entry makes room */
	t = task(2, 0, 2 * SEC, 0);
	edr_proctable__on_exit(pt, &t, 9 * SEC);
	t = task(5, 0, 5 * SEC, 0);
	assert_non_null(edr_proctable__on_fork(pt, &t));
	assert_null(edr_proctable__get(pt, 2));
	assert_int_equal(edr_proctable__count(pt), 4);
	edr_proctable__free(pt);
}

/* A fork whose parent is evicted to make room, or that names itself as its
 * own parent, must not read the freed parent (found by fuzz_decode). */
static void test_fork_parent_reused(void **state)
{
	struct edr_proctable *pt = edr_proctable__new(2, "boot");
	struct edr_task a = task(10, 1, 1 * SEC, 0), self = task(10, 10, 5 * SEC, 1 * SEC);
	struct edr_task b = task(11, 1, 2 * SEC, 0), c = task(12, 10, 3 * SEC, 1 * SEC);
	struct edr_decoded d = exec_ev(a, "/usr/bin/a", "a\0", 2);
	struct edr_proc *p;

	assert_non_null(edr_proctable__on_exec(pt, &d));
	assert_non_null(edr_proctable__on_fork(pt, &b));
	/* 10 exited: the table is full, so its entry is evicted for 12 */
	edr_proctable__on_exit(pt, &a, 4 * SEC);
	p = edr_proctable__on_fork(pt, &c);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/a");
	assert_null(edr_proctable__get(pt, 10));
	/* a record claiming to be its own parent */
	d = exec_ev(a, "/usr/bin/a", "a\0", 2);
	edr_proctable__free(pt);
	pt = edr_proctable__new(0, "boot");
	assert_non_null(edr_proctable__on_exec(pt, &d));
	p = edr_proctable__on_fork(pt, &self);
	assert_non_null(p);
	assert_null(p->exe);
	edr_proctable__free(pt);
}

/* Seeding from a fake /proc tree, including a comm with spaces and ')'. */
static void test_seed(void **state)
{
	char dir[] = "/tmp/edr-proc-XXXXXX", p[256];
	struct edr_proctable *pt;
	struct edr_proc *e;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/77", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/77/stat", dir);
	f = fopen(p, "w");
	fprintf(f, "77 (we ird) (x) S 1 77 77 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 250 0 0\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/77/status", dir);
	f = fopen(p, "w");
	fprintf(f, "Name:\tx\nUid:\t1000\t1001\t1000\t1000\nGid:\t50\t51\t50\t50\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/77/cmdline", dir);
	f = fopen(p, "w");
	fwrite("prog\0--flag\0", 1, 12, f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/77/exe", dir);
	assert_int_equal(symlink("/usr/bin/prog", p), 0);
	snprintf(p, sizeof(p), "%s/notapid", dir);
	mkdir(p, 0755);

	pt = edr_proctable__new(0, "boot");
	assert_int_equal(edr_proctable__seed(pt, dir), 1);
	e = edr_proctable__get(pt, 77);
	assert_non_null(e);
	assert_string_equal(e->comm, "we ird) (x");
	assert_int_equal(e->ppid, 1);
	assert_int_equal(e->start_ns, 250 * 10000000ull);
	assert_int_equal(e->uid, 1000);
	assert_int_equal(e->euid, 1001);
	assert_int_equal(e->egid, 51);
	assert_string_equal(e->exe, "/usr/bin/prog");
	assert_int_equal(e->args_len, 11);
	assert_memory_equal(e->args, "prog\0--flag", 11);
	assert_true(e->seeded);
	edr_proctable__free(pt);
	assert_int_equal(edr_proctable__seed(pt = edr_proctable__new(0, "b"), "/nonexistent") < 0, 1);
	edr_proctable__free(pt);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_exec_exit),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_missing_parent),
		cmocka_unit_test(test_entity_id),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_fork_parent_reused),
		cmocka_unit_test(test_seed),
	};

	return cmocka_run_group_tests_name("proctable", tests, NULL, NULL);
}
