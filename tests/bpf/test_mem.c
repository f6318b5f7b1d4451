// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory and fileless-execution events against the real kernel:
 * memfd_create (per attach path of the memfd feature), W+X mmap and
 * mprotect (per attach path of the mem_wx feature) with a plain RW mapping
 * that must produce nothing, and a child that executes a copy of /bin/true
 * from a memfd and from an unlinked file (per exec path). Each path is
 * forced through the loader; a path the running kernel lacks is skipped
 * with the probe's reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif

struct run {
	const char *feat;
	const char *path;
};

/* One feature forced onto one path, everything else off. */
static int mstart(struct harness *h, const struct run *r, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = getpid() };

	return h_start_forced(h, &r->feat, 1, r->path, &opts, why);
}

#define START(h, r) H_START((r)->path, mstart(h, r, &why_))

static int have_memfd(struct harness *h, void *ctx)
{
	(void)ctx;
	return h_find(h, EDR_EVENT_MEMFD_CREATE, getpid()) != NULL;
}

static void test_memfd(void **state)
{
	const struct run *r = *state;
	int attempt = !strcmp(r->path, "kprobe");
	const struct edr_decoded *d;
	struct harness h;
	int fd;

	START(&h, r);
	h_report(&h, "memfd");
	fd = syscall(SYS_memfd_create, "edrtest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	h_poll(&h, 3000, have_memfd, NULL);
	h_poll(&h, 100, NULL, NULL);
	assert_int_equal(h.decode_errors, 0);
	d = h_find(&h, EDR_EVENT_MEMFD_CREATE, getpid());
	assert_non_null(d);
	printf("# %s: memfd name %s flags %#x ret %d rflags %#x\n", r->path, d->name.p, EDR_REC(d, memfd)->mfd_flags,
	       EDR_REC(d, memfd)->ret, EDR_REC(d, memfd)->flags);
	assert_non_null(d->name.p);
	assert_string_equal(d->name.p, "edrtest");
	assert_int_equal(EDR_REC(d, memfd)->mfd_flags, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_int_equal(EDR_REC(d, memfd)->hdr.flags & EDR_HDR_SRC_MASK, h_path_src(r->path));
	if (attempt) {
		/* At entry: the fd is not known yet. */
		assert_true(EDR_REC(d, memfd)->flags & EDR_MEM_ATTEMPT);
		assert_int_equal(EDR_REC(d, memfd)->ret, 0);
	} else {
		assert_int_equal(EDR_REC(d, memfd)->flags & EDR_MEM_ATTEMPT, 0);
		assert_int_equal(EDR_REC(d, memfd)->ret, fd);
	}
	assert_int_equal(d->task->tgid, getpid());
	assert_int_equal(d->task->pid, (uint32_t)syscall(SYS_gettid));
	close(fd);
	h_stop(&h);
}

static int have_three_wx(struct harness *h, void *ctx)
{
	const struct edr_decoded *d[4];

	(void)ctx;
	return h_collect(h, EDR_EVENT_MEM_WX, getpid(), d, 4) >= 3;
}

static void test_wx(void **state)
{
	const struct run *r = *state;
	int lsm = !strcmp(r->path, "lsm"), attempt = lsm || !strcmp(r->path, "kprobe");
	const long pg = sysconf(_SC_PAGESIZE);
	const struct edr_decoded *got[8];
	struct harness h;
	char *base, *a, *b, *c, *plain;
	size_t n, i;

	START(&h, r);
	h_report(&h, "mem_wx");
	/* A PROT_NONE reservation with W+X and RW mappings inside, each
	 * between PROT_NONE pages, so no mapping merges with a neighbour
	 * (the LSM's mprotect hook sees the whole mapping). */
	base = mmap(NULL, 9 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	a = mmap(base + pg, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	assert_ptr_equal(a, base + pg);
	b = mmap(base + 4 * pg, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_ptr_equal(b, base + 4 * pg);
	c = mmap(base + 7 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_ptr_equal(c, base + 7 * pg);
	/* plain RW, and an RW -> R change: nothing */
	plain = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(plain != MAP_FAILED);
	assert_int_equal(mprotect(plain, pg, PROT_READ), 0);
	assert_int_equal(mprotect(b, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	/* pkey_mprotect without a key is an mprotect on every path */
	assert_int_equal(syscall(SYS_pkey_mprotect, c, pg, PROT_READ | PROT_WRITE | PROT_EXEC, -1), 0);
	h_poll(&h, 3000, have_three_wx, NULL);
	h_poll(&h, 200, NULL, NULL);
	assert_int_equal(h.decode_errors, 0);
	n = h_collect(&h, EDR_EVENT_MEM_WX, getpid(), got, 8);
	for (i = 0; i < n; i++)
		printf("# %s: wx op %u addr %#llx len %llu prot %#x mflags %#x ret %lld flags %#x\n", r->path,
		       EDR_REC(got[i], mem_wx)->op, (unsigned long long)EDR_REC(got[i], mem_wx)->addr,
		       (unsigned long long)EDR_REC(got[i], mem_wx)->len, EDR_REC(got[i], mem_wx)->prot, EDR_REC(got[i], mem_wx)->mmap_flags,
		       (long long)EDR_REC(got[i], mem_wx)->ret, EDR_REC(got[i], mem_wx)->flags);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		const struct edr_mem_wx *w = EDR_REC(got[i], mem_wx);

		assert_int_equal(w->prot, PROT_READ | PROT_WRITE | PROT_EXEC);
		assert_int_equal(w->hdr.flags & EDR_HDR_SRC_MASK, h_path_src(r->path));
		assert_int_equal(!!(w->flags & EDR_MEM_ATTEMPT), attempt);
		assert_int_equal(w->flags & EDR_MEM_FILE, 0);
		assert_null(got[i]->path.p);
		assert_int_equal(w->ino, 0);
		assert_int_equal(got[i]->task->tgid, getpid());
	}
	/* the RWX mmap */
	assert_int_equal(EDR_REC(got[0], mem_wx)->op, EDR_MEM_OP_MMAP);
	assert_int_equal(EDR_REC(got[0], mem_wx)->mmap_flags, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
	if (lsm) {
		/* lsm/mmap_file is told neither address nor length */
		assert_true(EDR_REC(got[0], mem_wx)->flags & EDR_MEM_ADDR_UNKNOWN);
		assert_int_equal(EDR_REC(got[0], mem_wx)->addr, 0);
		assert_int_equal(EDR_REC(got[0], mem_wx)->len, 0);
	} else {
		assert_int_equal(EDR_REC(got[0], mem_wx)->flags & EDR_MEM_ADDR_UNKNOWN, 0);
		assert_int_equal(EDR_REC(got[0], mem_wx)->addr, (uintptr_t)a);
		assert_int_equal(EDR_REC(got[0], mem_wx)->len, 2 * pg);
	}
	assert_int_equal(EDR_REC(got[0], mem_wx)->ret, attempt ? 0 : (intptr_t)a);
	/* the RW -> RWX mprotect */
	assert_int_equal(EDR_REC(got[1], mem_wx)->op, EDR_MEM_OP_MPROTECT);
	assert_int_equal(EDR_REC(got[1], mem_wx)->mmap_flags, 0);
	assert_int_equal(EDR_REC(got[1], mem_wx)->addr, (uintptr_t)b);
	assert_int_equal(EDR_REC(got[1], mem_wx)->len, 2 * pg);
	assert_int_equal(EDR_REC(got[1], mem_wx)->ret, 0);
	assert_int_equal(!!(EDR_REC(got[1], mem_wx)->flags & EDR_MEM_RANGE_VMA), lsm);
	assert_int_equal(EDR_REC(got[2], mem_wx)->op, EDR_MEM_OP_MPROTECT);
	assert_int_equal(EDR_REC(got[2], mem_wx)->addr, (uintptr_t)c);
	assert_int_equal(EDR_REC(got[2], mem_wx)->len, pg);
	assert_int_equal(EDR_REC(got[2], mem_wx)->ret, 0);
	munmap(plain, pg);
	munmap(base, 9 * pg);
	h_stop(&h);
}

/* Copies /bin/true to fd. */
static int copy_true(int fd)
{
	char buf[65536];
	int in = open("/bin/true", O_RDONLY);
	ssize_t n;

	if (in < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n) {
			close(in);
			return -1;
		}
	close(in);
	return n < 0 ? -1 : 0;
}

/* A child that execs fd (execveat with AT_EMPTY_PATH, what fexecve does). */
static pid_t exec_fd_child(int fd)
{
	static char *const argv[] = { "edr-fileless", NULL };
	static char *const envp[] = { NULL };
	pid_t pid = fork();

	if (pid == 0) {
		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(127);
	}
	return pid;
}

struct want_exec {
	pid_t a, b;
};

static int have_execs(struct harness *h, void *ctx)
{
	struct want_exec *w = ctx;

	return h_find(h, EDR_EVENT_EXEC, w->a) && h_find(h, EDR_EVENT_EXEC, w->b);
}

static void test_fileless_exec(void **state)
{
	const char *path = *state;
	char tmpl[] = "/tmp/edr-mem-XXXXXX", dir[PATH_MAX], file[PATH_MAX + 8], want[PATH_MAX + 32];
	const struct edr_decoded *d;
	struct want_exec w;
	struct harness h;
	const char *why = NULL;
	int mfd, dfd, err, status;

	err = h_start(&h, path, getpid(), 0, &why);
	if (err == -ENOTSUP) {
		printf("# skipped on path %s: %s\n", path, why);
		skip();
	}
	assert_int_equal(err, 0);
	h_report(&h, "fileless_exec");
	/* from a memfd */
	mfd = syscall(SYS_memfd_create, "edrexec", MFD_CLOEXEC);
	assert_true(mfd >= 0);
	assert_int_equal(copy_true(mfd), 0);
	w.a = exec_fd_child(mfd);
	assert_true(w.a > 0);
	assert_int_equal(waitpid(w.a, &status, 0), w.a);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(mfd);
	/* from a file unlinked after it was opened */
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(file, sizeof(file), "%s/t", dir);
	dfd = open(file, O_CREAT | O_WRONLY | O_EXCL, 0755);
	assert_true(dfd >= 0);
	assert_int_equal(copy_true(dfd), 0);
	close(dfd);
	dfd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(unlink(file), 0);
	w.b = exec_fd_child(dfd);
	assert_true(w.b > 0);
	assert_int_equal(waitpid(w.b, &status, 0), w.b);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(dfd);
	assert_int_equal(rmdir(dir), 0);

	h_poll(&h, 3000, have_execs, &w);
	assert_int_equal(h.decode_errors, 0);
	d = h_find(&h, EDR_EVENT_EXEC, w.a);
	assert_non_null(d);
	printf("# %s: memfd exec path %s flags %#x\n", path, d->path.p, EDR_REC(d, exec)->flags);
	assert_true(EDR_REC(d, exec)->flags & EDR_EXEC_MEMFD);
	assert_int_equal(EDR_REC(d, exec)->flags & EDR_EXEC_DELETED, 0);
	assert_int_equal(EDR_REC(d, exec)->flags & EDR_EXEC_PATH_TRUNC, 0);
	assert_string_equal(d->path.p, "/memfd:edrexec (deleted)");
	d = h_find(&h, EDR_EVENT_EXEC, w.b);
	assert_non_null(d);
	printf("# %s: deleted exec path %s flags %#x\n", path, d->path.p, EDR_REC(d, exec)->flags);
	assert_true(EDR_REC(d, exec)->flags & EDR_EXEC_DELETED);
	assert_int_equal(EDR_REC(d, exec)->flags & EDR_EXEC_MEMFD, 0);
	snprintf(want, sizeof(want), "%s (deleted)", file);
	assert_string_equal(d->path.p, want);
	/* an ordinary exec carries neither flag: the test binary's own parent
	 * side is not traced, so check a plain child */
	{
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", NULL);
			_exit(127);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		w.a = w.b = pid;
		h_poll(&h, 3000, have_execs, &w);
		d = h_find(&h, EDR_EVENT_EXEC, pid);
		assert_non_null(d);
		assert_int_equal(EDR_REC(d, exec)->flags & (EDR_EXEC_MEMFD | EDR_EXEC_DELETED), 0);
		assert_null(strstr(d->path.p, "(deleted)"));
	}
	h_stop(&h);
}

int main(void)
{
	static const struct run memfd_runs[] = {
		{ "memfd", "fentry" }, { "memfd", "kprobe" }, { "memfd", "tracepoint" },
	};
	static const struct run wx_runs[] = {
		{ "mem_wx", "lsm" }, { "mem_wx", "fentry" },
		{ "mem_wx", "kprobe" }, { "mem_wx", "tracepoint" },
	};
	static const char *const exec_paths[] = { "tp_btf", "raw_tp" };
	static struct h_runs r;
	size_t i;

	for (i = 0; i < 3; i++)
		h_run_add(&r, "memfd", test_memfd, (void *)&memfd_runs[i], memfd_runs[i].path);
	for (i = 0; i < 4; i++)
		h_run_add(&r, "mem_wx", test_wx, (void *)&wx_runs[i], wx_runs[i].path);
	h_runs_add(&r, "fileless_exec", test_fileless_exec, exec_paths, 2);
	return h_runs_main(&r, "bpf_mem");
}
