// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel-integrity events against the real kernel. The test's own child
 * loads a socket filter named "edrtest" and creates an array map named
 * "edrtestmap" with the raw bpf() syscall, then asks for the program's info
 * (a command that must report nothing); tries finit_module on a file that is
 * not a module and init_module on a zeroed image (the machines forbid module
 * loading: the attempt and its error are what is reported); mounts a tmpfs on
 * a temporary directory and unmounts it, and tries a mount on a missing
 * directory. Each test runs once per attach path of its feature, forced
 * through the loader; a path the running kernel lacks is skipped with the
 * probe's reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"
#include "tests/helpers/return0.h"

/* One feature forced onto path, everything else off; self_tgid stands for
 * the sensor's own process (0: none). */
static int kstart_self(struct harness *h, const char *feat, const char *path, uint32_t self_tgid,
		       const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = getpid(), .self_tgid = self_tgid };

	return h_start_forced(h, &feat, 1, path, &opts, why);
}

static int kstart(struct harness *h, const char *feat, const char *path, const char **why)
{
	return kstart_self(h, feat, path, 0, why);
}

#define START(h, feat, path) H_START(path, kstart(h, feat, path, &why_))

/* lsm and kprobe run before the operation; fentry (fexit) and tracepoint after. */
static int is_attempt(const char *path)
{
	return !strcmp(path, "lsm") || !strcmp(path, "kprobe");
}

struct want_n {
	uint32_t tgid;
	size_t n;
};

static int have_n(struct harness *h, void *ctx)
{
	struct want_n *w = ctx;
	const struct edr_decoded *d[16];

	return h_collect(h, 0, w->tgid, d, 16) >= w->n;
}

/* Runs fn(arg, out) in a child; returns its pid once it has written its
 * truth (size bytes) and exited. */
static pid_t run_child(void (*fn)(void *arg, void *out), void *arg, void *truth, size_t size)
{
	int pfd[2], status = 0;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[256] = {};

		close(pfd[0]);
		fn(arg, buf);
		_exit(write(pfd[1], buf, size) == (ssize_t)size ? 0 : 2);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], truth, size), (ssize_t)size);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	return pid;
}

/* ---- bpf ---- */

struct bpf_truth {
	int prog_fd, prog_errno;
	int map_fd, map_errno;
	int info_ret;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static void bpf_child(void *arg, void *out)
{
	struct bpf_truth *t = out;
	struct bpf_prog_info info;
	union bpf_attr a;

	(void)arg;
	t->prog_fd = edr_load_return0(BPF_PROG_TYPE_SOCKET_FILTER, "edrtest");
	t->prog_errno = t->prog_fd < 0 ? errno : 0;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 4;
	strcpy(a.map_name, "edrtestmap");
	t->map_fd = sys_bpf(BPF_MAP_CREATE, &a);
	t->map_errno = t->map_fd < 0 ? errno : 0;

	/* An unrelated command: dropped at the first test. */
	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.info.bpf_fd = t->prog_fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uintptr_t)&info;
	t->info_ret = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

static void test_bpf(void **state)
{
	const char *path = *state;
	const struct edr_decoded *got[16], *prog, *map;
	struct bpf_truth t;
	struct harness h;
	uint32_t att = is_attempt(path) ? EDR_KERN_ATTEMPT : 0;
	size_t i, n;
	pid_t pid;

	START(&h, "bpf", path);
	h_report(&h, "bpf");
	pid = run_child(bpf_child, NULL, &t, sizeof(t));
	assert_true(t.prog_fd >= 0);
	assert_true(t.map_fd >= 0);
	assert_int_equal(t.info_ret, 0);

	h_poll(&h, 3000, have_n, &(struct want_n){ pid, 2 });
	h_poll(&h, 200, NULL, NULL);
	n = h_collect(&h, 0, pid, got, 16);
	for (i = 0; i < n; i++)
		printf("# %s: record %zu: type %u cmd %u name %.*s ret %d flags %#x\n", path, i, got[i]->type,
		       (got[i]->type == EDR_EVENT_BPF_PROG || got[i]->type == EDR_EVENT_BPF_MAP) ? EDR_REC(got[i], bpf)->cmd : 0, (int)got[i]->name.len, got[i]->name.p,
		       (got[i]->type == EDR_EVENT_BPF_PROG || got[i]->type == EDR_EVENT_BPF_MAP) ? EDR_REC(got[i], bpf)->ret : 0, (got[i]->type == EDR_EVENT_BPF_PROG || got[i]->type == EDR_EVENT_BPF_MAP) ? EDR_REC(got[i], bpf)->flags : 0);
	assert_int_equal(h.decode_errors, 0);
	/* exactly the load and the create: BPF_OBJ_GET_INFO_BY_FD says nothing */
	assert_int_equal(n, 2);
	prog = got[0];
	map = got[1];
	assert_int_equal(prog->type, EDR_EVENT_BPF_PROG);
	assert_true(EDR_IN_FAMILY(prog, BPF_PROG));
	assert_int_equal(EDR_REC(prog, bpf)->cmd, BPF_PROG_LOAD);
	assert_int_equal(EDR_REC(prog, bpf)->type, BPF_PROG_TYPE_SOCKET_FILTER);
	assert_int_equal(EDR_REC(prog, bpf)->attach_type, 0);
	assert_int_equal(EDR_REC(prog, bpf)->insn_cnt, 2);
	assert_int_equal(prog->name.len, strlen("edrtest"));
	assert_memory_equal(prog->name.p, "edrtest", prog->name.len);
	assert_int_equal(EDR_REC(prog, bpf)->ret, att ? 0 : t.prog_fd);
	assert_int_equal(map->type, EDR_EVENT_BPF_MAP);
	assert_true(EDR_IN_FAMILY(map, BPF_MAP));
	assert_int_equal(EDR_REC(map, bpf)->cmd, BPF_MAP_CREATE);
	assert_int_equal(EDR_REC(map, bpf)->type, BPF_MAP_TYPE_ARRAY);
	assert_int_equal(EDR_REC(map, bpf)->key_size, 4);
	assert_int_equal(EDR_REC(map, bpf)->value_size, 8);
	assert_int_equal(EDR_REC(map, bpf)->max_entries, 4);
	assert_int_equal(map->name.len, strlen("edrtestmap"));
	assert_memory_equal(map->name.p, "edrtestmap", map->name.len);
	assert_int_equal(EDR_REC(map, bpf)->ret, att ? 0 : t.map_fd);
	for (i = 0; i < n; i++) {
		assert_int_equal(EDR_REC(got[i], bpf)->flags & EDR_KERN_ATTEMPT, att);
		assert_int_equal(EDR_REC(got[i], bpf)->hdr.flags & EDR_HDR_SRC_MASK, h_path_src(path));
		assert_int_equal(got[i]->task->tgid, pid);
		assert_int_equal(got[i]->task->ppid, getpid());
		assert_int_equal(got[i]->task->uid, getuid());
	}
	h_stop(&h);
}

/* A child that runs bpf_child once told to, through a pipe: it exists (and
 * has its pid) before the programs are loaded. */
static pid_t parked_bpf_child(int *go, int *out)
{
	int gp[2], op[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(gp), 0);
	assert_int_equal(pipe(op), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[256] = {};

		close(gp[1]);
		close(op[0]);
		if (read(gp[0], &c, 1) != 1)
			_exit(3);
		bpf_child(NULL, buf);
		_exit(write(op[1], buf, sizeof(struct bpf_truth)) == sizeof(struct bpf_truth) ? 0 : 2);
	}
	close(gp[0]);
	close(op[1]);
	*go = gp[1];
	*out = op[0];
	return pid;
}

/* The sensor's own bpf() calls are never reported (cfg_self_tgid), while
 * the same calls by another process in the same run are. */
static void test_bpf_self_excluded(void **state)
{
	const char *path = *state;
	const struct edr_decoded *got[16];
	struct bpf_truth ts, to;
	struct harness h;
	int go_s, out_s, go_o, out_o, status;
	pid_t self, other;
	const char *why = NULL;
	int err;

	self = parked_bpf_child(&go_s, &out_s);
	other = parked_bpf_child(&go_o, &out_o);
	err = kstart_self(&h, "bpf", path, self, &why);
	if (err) {
		close(go_s);
		close(go_o);
		waitpid(self, &status, 0);
		waitpid(other, &status, 0);
		if (err == -ENOTSUP) {
			printf("# skipped on path %s: %s\n", path, why);
			skip();
		}
	}
	assert_int_equal(err, 0);
	assert_int_equal(write(go_s, "g", 1), 1);
	assert_int_equal(read(out_s, &ts, sizeof(ts)), sizeof(ts));
	assert_int_equal(write(go_o, "g", 1), 1);
	assert_int_equal(read(out_o, &to, sizeof(to)), sizeof(to));
	assert_int_equal(waitpid(self, &status, 0), self);
	assert_int_equal(status, 0);
	assert_int_equal(waitpid(other, &status, 0), other);
	assert_int_equal(status, 0);
	assert_true(ts.prog_fd >= 0 && ts.map_fd >= 0 && to.prog_fd >= 0 && to.map_fd >= 0);
	h_poll(&h, 3000, have_n, &(struct want_n){ other, 2 });
	h_poll(&h, 200, NULL, NULL);
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(h_collect(&h, 0, other, got, 16), 2);
	assert_int_equal(h_collect(&h, 0, self, got, 16), 0);
	close(go_s);
	close(out_s);
	close(go_o);
	close(out_o);
	h_stop(&h);
}

/* ---- module ---- */

struct module_truth {
	int fd;
	int finit_errno;
	int init_errno;
	int ok;
};

#define IMAGE_LEN 128 /* above sizeof(Elf64_Ehdr): shorter fails before any hook */

static void module_child(void *arg, void *out)
{
	struct module_truth *t = out;
	static char image[IMAGE_LEN];
	const char *file = arg;

	t->fd = open(file, O_RDONLY);
	if (t->fd < 0)
		return;
	if (syscall(SYS_finit_module, t->fd, "", 0) == 0)
		return;
	t->finit_errno = errno;
	if (syscall(SYS_init_module, image, sizeof(image), "") == 0)
		return;
	t->init_errno = errno;
	t->ok = 1;
}

static void test_module(void **state)
{
	const char *path = *state;
	const struct edr_decoded *got[16], *fin, *ini;
	char tmpl[] = "/tmp/edr-kern-XXXXXX", dir[PATH_MAX], file[PATH_MAX + 32];
	struct module_truth t;
	struct harness h;
	uint32_t att = is_attempt(path) ? EDR_KERN_ATTEMPT : 0;
	size_t i, n;
	pid_t pid;
	int fd;

	/* A kernel built without CONFIG_MODULES has neither the syscalls
	 * (ENOSYS) nor their tracepoints: nothing to observe. */
	if (syscall(SYS_finit_module, -1, "", 0) < 0 && errno == ENOSYS) {
		printf("# skipped on path %s: kernel without module support (finit_module: ENOSYS)\n", path);
		skip();
	}
	START(&h, "module", path);
	h_report(&h, "module");
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(file, sizeof(file), "%s/notamodule.ko", dir);
	fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "this is not an ELF module\n", 26), 26);
	close(fd);
	pid = run_child(module_child, file, &t, sizeof(t));
	assert_int_equal(t.ok, 1);
	printf("# %s: finit_module: %s, init_module: %s\n", path, strerror(t.finit_errno),
	       strerror(t.init_errno));

	h_poll(&h, 3000, have_n, &(struct want_n){ pid, 2 });
	h_poll(&h, 200, NULL, NULL);
	n = h_collect(&h, 0, pid, got, 16);
	for (i = 0; i < n; i++)
		printf("# %s: record %zu: type %u path %s ret %d flags %#x\n", path, i, got[i]->type,
		       got[i]->path.p ? got[i]->path.p : "-", got[i]->type == EDR_EVENT_MODULE_LOAD ? EDR_REC(got[i], module)->ret : 0,
		       got[i]->type == EDR_EVENT_MODULE_LOAD ? EDR_REC(got[i], module)->flags : 0);
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(n, 2);
	fin = got[0];
	ini = got[1];
	for (i = 0; i < n; i++) {
		assert_int_equal(got[i]->type, EDR_EVENT_MODULE_LOAD);
		assert_int_equal(got[i]->type, EDR_EVENT_MODULE_LOAD);
		assert_int_equal(EDR_REC(got[i], module)->flags & EDR_KERN_ATTEMPT, att);
		assert_int_equal(EDR_REC(got[i], module)->hdr.flags & EDR_HDR_SRC_MASK,
				 h_path_src(path));
		assert_int_equal(EDR_REC(got[i], module)->flags & EDR_KERN_PATH_TRUNC, 0);
		/* a module that never loaded has no name */
		assert_null(got[i]->name.p);
		assert_int_equal(got[i]->task->tgid, pid);
		assert_int_equal(got[i]->task->ppid, getpid());
	}
	/* finit_module: the file, its result */
	assert_int_equal(EDR_REC(fin, module)->flags & EDR_KERN_FROM_MEMORY, 0);
	assert_non_null(fin->path.p);
	assert_string_equal(fin->path.p, file);
	assert_int_equal(EDR_REC(fin, module)->ret, att ? 0 : -t.finit_errno);
	assert_int_equal(EDR_REC(fin, module)->fd, att ? -1 : t.fd);
	assert_int_equal(EDR_REC(fin, module)->load_flags, 0);
	/* init_module: from memory, no file */
	assert_true(EDR_REC(ini, module)->flags & EDR_KERN_FROM_MEMORY);
	assert_null(ini->path.p);
	assert_int_equal(EDR_REC(ini, module)->ret, att ? 0 : -t.init_errno);
	assert_int_equal(EDR_REC(ini, module)->len, att ? 0 : IMAGE_LEN);
	h_stop(&h);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A real module load, to see the module named: crc-itu-t (a library module
 * with no dependencies and no side effects) of the running kernel. In the
 * vmtest guests the kernel's modules are where vmtest/fetch.sh unpacked them
 * on the host, whose root the guest sees read-only; elsewhere /lib/modules.
 * Skipped where there is no such module (or it is compressed, or loaded).
 */
static int find_module(char *out, size_t size)
{
	const char *cache = getenv("EDR_VMTEST_CACHE");
	char pat[3][PATH_MAX];
	struct utsname u;
	glob_t g;
	int i, found = 0;

	if (uname(&u))
		return 0;
	snprintf(pat[0], sizeof(pat[0]), "/lib/modules/%s/kernel/lib/crc-itu-t.ko", u.release);
	snprintf(pat[1], sizeof(pat[1]), "%s/kernels/*/lib/modules/%s/kernel/lib/crc-itu-t.ko",
		 cache ? cache : "/var/cache/edr-vmtest", u.release);
	snprintf(pat[2], sizeof(pat[2]), "/var/cache/edr-vmtest/kernels/*/lib/modules/%s/kernel/lib/crc-itu-t.ko",
		 u.release);
	for (i = 0; i < 3 && !found; i++) {
		if (glob(pat[i], 0, NULL, &g) == 0 && g.gl_pathc > 0 && realpath(g.gl_pathv[0], out) &&
		    strlen(out) < size)
			found = 1;
		globfree(&g);
	}
	return found;
}

struct modload_truth {
	int fd;
	int ret, err;
	int del_ret;
};

static void modload_child(void *arg, void *out)
{
	struct modload_truth *t = out;

	t->fd = open(arg, O_RDONLY);
	if (t->fd < 0)
		return;
	t->ret = syscall(SYS_finit_module, t->fd, "", 0);
	t->err = t->ret ? errno : 0;
	/* unloaded here, so the machine is left as found even if the test fails */
	t->del_ret = t->ret ? -1 : syscall(SYS_delete_module, "crc_itu_t", O_NONBLOCK);
}

static void test_module_named(void **state)
{
	const char *path = *state;
	const struct edr_decoded *got[16], *d;
	char ko[PATH_MAX];
	struct modload_truth t;
	struct harness h;
	uint32_t att = is_attempt(path) ? EDR_KERN_ATTEMPT : 0;
	size_t i, n;
	pid_t pid;

	if (syscall(SYS_finit_module, -1, "", 0) < 0 && errno == ENOSYS) {
		printf("# skipped on path %s: kernel without module support (finit_module: ENOSYS)\n", path);
		skip();
	}
	if (!find_module(ko, sizeof(ko))) {
		printf("# skipped on path %s: no uncompressed crc-itu-t.ko for this kernel\n", path);
		skip();
	}
	if (access("/sys/module/crc_itu_t", F_OK) == 0) {
		printf("# skipped on path %s: crc_itu_t is already loaded\n", path);
		skip();
	}
	START(&h, "module", path);
	pid = run_child(modload_child, ko, &t, sizeof(t));
	if (t.ret)
		printf("# %s: finit_module(%s): %s\n", path, ko, strerror(t.err));
	assert_int_equal(t.ret, 0);
	assert_int_equal(t.del_ret, 0);

	h_poll(&h, 3000, have_n, &(struct want_n){ pid, 1 });
	h_poll(&h, 200, NULL, NULL);
	n = h_collect(&h, 0, pid, got, 16);
	for (i = 0; i < n; i++)
		printf("# %s: record %zu: type %u name %s path %s ret %d flags %#x\n", path, i, got[i]->type,
		       got[i]->name.p ? got[i]->name.p : "-", got[i]->path.p ? got[i]->path.p : "-",
		       got[i]->type == EDR_EVENT_MODULE_LOAD ? EDR_REC(got[i], module)->ret : 0, got[i]->type == EDR_EVENT_MODULE_LOAD ? EDR_REC(got[i], module)->flags : 0);
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(n, 1);
	d = got[0];
	assert_int_equal(d->type, EDR_EVENT_MODULE_LOAD);
	assert_int_equal(d->type, EDR_EVENT_MODULE_LOAD);
	assert_int_equal(EDR_REC(d, module)->flags & (EDR_KERN_ATTEMPT | EDR_KERN_FROM_MEMORY), att);
	assert_int_equal(EDR_REC(d, module)->hdr.flags & EDR_HDR_SRC_MASK, h_path_src(path));
	assert_non_null(d->path.p);
	assert_string_equal(d->path.p, ko);
	assert_int_equal(EDR_REC(d, module)->ret, 0);
	if (att) {
		/* read before the kernel parsed it: no name yet */
		assert_null(d->name.p);
	} else {
		/* named by module:module_load */
		assert_non_null(d->name.p);
		assert_string_equal(d->name.p, "crc_itu_t");
		assert_int_equal(EDR_REC(d, module)->fd, t.fd);
	}
	h_stop(&h);
}

/* ---- mount ---- */

struct mount_truth {
	int mount_ret, mount_errno;
	int umount_ret;
	int bad_ret, bad_errno;
	int move_ret, move_errno; /* fsopen .. move_mount */
	int umount2_ret;
};

static void mount_child(void *arg, void *out)
{
	struct mount_truth *t = out;
	const char *dir = arg;
	char mnt[PATH_MAX + 16], bad[PATH_MAX + 16];
	int fs, m;

	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(bad, sizeof(bad), "%s/missing", dir);
	t->mount_ret = mount("edrtest", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m");
	t->mount_errno = t->mount_ret ? errno : 0;
	t->umount_ret = t->mount_ret ? -1 : umount(mnt);
	/* fails at the path lookup, before any mount hook */
	t->bad_ret = mount("edrtest2", bad, "tmpfs", 0, NULL);
	t->bad_errno = t->bad_ret ? errno : 0;
	/* the new mount API: a tmpfs made by fsmount(), put in place by move_mount() */
	t->move_ret = -1;
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "edrnew", 0) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) || (m = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0) {
		t->move_errno = errno;
		return;
	}
	t->move_ret = move_mount(m, "", AT_FDCWD, mnt, MOVE_MOUNT_F_EMPTY_PATH);
	t->move_errno = t->move_ret ? errno : 0;
	/* the mount fd holds the mount busy */
	close(m);
	close(fs);
	t->umount2_ret = t->move_ret ? -1 : umount(mnt);
}

static void test_mount(void **state)
{
	const char *path = *state;
	const struct edr_decoded *got[16], *d;
	char tmpl[] = "/tmp/edr-kern-XXXXXX", dir[PATH_MAX], p[PATH_MAX + 32];
	struct mount_truth t;
	struct harness h;
	uint32_t att = is_attempt(path) ? EDR_KERN_ATTEMPT : 0;
	/* only the syscall tracepoint sees a mount that fails at the lookup;
	 * only lsm and tracepoint see move_mount */
	int tp = !strcmp(path, "tracepoint"), lsm = !strcmp(path, "lsm");
	size_t want = 1 + tp + (tp || lsm);
	size_t i, n;
	pid_t pid;

	START(&h, "mount", path);
	h_report(&h, "mount");
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	snprintf(p, sizeof(p), "%s/mnt", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	pid = run_child(mount_child, dir, &t, sizeof(t));
	assert_int_equal(t.mount_ret, 0);
	assert_int_equal(t.umount_ret, 0);
	assert_int_equal(t.bad_ret, -1);
	assert_int_equal(t.bad_errno, ENOENT);
	if (t.move_ret)
		printf("# %s: fsopen..move_mount: %s\n", path, strerror(t.move_errno));
	assert_int_equal(t.move_ret, 0);
	assert_int_equal(t.umount2_ret, 0);

	h_poll(&h, 3000, have_n, &(struct want_n){ pid, want });
	h_poll(&h, 200, NULL, NULL);
	n = h_collect(&h, 0, pid, got, 16);
	for (i = 0; i < n; i++)
		printf("# %s: record %zu: type %u %s on %s type %s ret %d flags %#x\n", path, i, got[i]->type,
		       got[i]->source.p ? got[i]->source.p : "-", got[i]->path.p ? got[i]->path.p : "-",
		       got[i]->fstype.p ? got[i]->fstype.p : "-", got[i]->type == EDR_EVENT_MOUNT ? EDR_REC(got[i], mount)->ret : 0,
		       got[i]->type == EDR_EVENT_MOUNT ? EDR_REC(got[i], mount)->flags : 0);
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(n, want);
	for (i = 0; i < n; i++) {
		d = got[i];
		assert_int_equal(d->type, EDR_EVENT_MOUNT);
		assert_int_equal(d->type, EDR_EVENT_MOUNT);
		assert_int_equal(EDR_REC(d, mount)->flags & EDR_KERN_ATTEMPT, att);
		assert_int_equal(EDR_REC(d, mount)->hdr.flags & EDR_HDR_SRC_MASK, h_path_src(path));
		assert_int_equal(EDR_REC(d, mount)->flags & (EDR_KERN_PATH_TRUNC | EDR_KERN_PATH_RELATIVE |
						     EDR_KERN_STR_TRUNC), 0);
		assert_int_equal(!!(EDR_REC(d, mount)->flags & EDR_KERN_MOVE_MOUNT), (tp || lsm) && i == n - 1);
		assert_non_null(d->fstype.p);
		assert_string_equal(d->fstype.p, "tmpfs");
		assert_int_equal(d->task->tgid, pid);
		assert_int_equal(d->task->ppid, getpid());
	}
	d = got[0];
	assert_string_equal(d->source.p, "edrtest");
	assert_string_equal(d->path.p, p);
	assert_int_equal(EDR_REC(d, mount)->mount_flags, MS_NOSUID | MS_NODEV);
	assert_int_equal(EDR_REC(d, mount)->ret, 0);
	if (tp) {
		d = got[1];
		snprintf(p, sizeof(p), "%s/missing", dir);
		assert_string_equal(d->source.p, "edrtest2");
		assert_string_equal(d->path.p, p);
		assert_int_equal(EDR_REC(d, mount)->mount_flags, 0);
		assert_int_equal(EDR_REC(d, mount)->ret, -ENOENT);
	}
	if (tp || lsm) {
		/* the mount moved: its type and source as fsconfig() set them */
		d = got[n - 1];
		snprintf(p, sizeof(p), "%s/mnt", dir);
		assert_string_equal(d->source.p, "edrnew");
		assert_string_equal(d->path.p, p);
		assert_int_equal(EDR_REC(d, mount)->mount_flags, tp ? MOVE_MOUNT_F_EMPTY_PATH : 0);
		assert_int_equal(EDR_REC(d, mount)->ret, 0);
	}
	h_stop(&h);
	snprintf(p, sizeof(p), "%s/mnt", dir);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	/* Each feature's own paths (loader/loader.c). */
	static const char *const bpf_paths[] = { "lsm", "fentry", "kprobe", "tracepoint" };
	static const char *const module_paths[] = { "lsm", "kprobe", "tracepoint" };
	static const char *const mount_paths[] = { "lsm", "fentry", "kprobe", "tracepoint" };
	static struct h_runs r;

	h_runs_add(&r, "bpf", test_bpf, bpf_paths, 4);
	h_runs_add(&r, "bpf_self_excluded", test_bpf_self_excluded, bpf_paths, 4);
	h_runs_add(&r, "module", test_module, module_paths, 3);
	h_runs_add(&r, "module_named", test_module_named, module_paths, 3);
	h_runs_add(&r, "mount", test_mount, mount_paths, 4);
	return h_runs_main(&r, "bpf_kern");
}
