// SPDX-License-Identifier: GPL-2.0-only
/*
 * File events against the real kernel: the test's own child creates,
 * writes, truncates, renames, chmods (setuid), chowns and unlinks files in
 * a temporary directory, and the test asserts the exact sequence of records
 * and their fields. The sequence being exact is what shows that a read-only
 * open produces nothing and that 100 writes to one open fd produce one
 * record. Runs once per attach path of the four file features (lsm, fentry,
 * kprobe, tracepoint), forced through the loader; a path the running kernel
 * lacks is skipped with the probe's reason.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

static const char *const file_feats[] = {
	"file_write", "file_unlink", "file_rename", "file_attr", "file_link",
};
#define N_FEATS (sizeof(file_feats) / sizeof(file_feats[0]))

/* Write-open deduplication window for the next fstart() (0: off). */
static uint64_t dedup_ns;

/* The file features forced onto path, everything else off. */
static int fstart(struct harness *h, const char *path, uint32_t target, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = target, .open_dedup_ns = dedup_ns };

	return h_start_forced(h, file_feats, N_FEATS, path, &opts, why);
}

#define START(h, state) H_START(*(state), fstart(h, *(state), getpid(), &why_))

/* What the child reports back through a pipe. */
struct child_truth {
	uint64_t ino;     /* of f1 right after its creation */
	int steps;        /* operations that succeeded, in order */
};

#define STEPS 12

/*
 * The child's script, in dir (its cwd). Each step checks its own result so
 * a failure names the step rather than surfacing as a missing record.
 */
static void child(const char *dir, int out)
{
	struct child_truth t = {};
	char buf[16] = "x", rel[PATH_MAX];
	struct stat st;
	int fd, dfd, i;

	umask(0);
	if (chdir(dir))
		goto done;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		goto done;
	t.steps++; /* 1 */
	/* create, then 100 writes through the same fd: one record */
	fd = open("f1", O_CREAT | O_EXCL | O_WRONLY, 0640);
	if (fd < 0 || fstat(fd, &st))
		goto done;
	t.ino = st.st_ino;
	for (i = 0; i < 100; i++)
		if (write(fd, buf, 1) != 1)
			goto done;
	close(fd);
	t.steps++; /* 2 */
	/* read-only opens, by every syscall: nothing */
	fd = open("f1", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		goto done;
	close(fd);
	fd = openat(dfd, "f1", O_RDONLY);
	if (fd < 0)
		goto done;
	close(fd);
	t.steps++; /* 3 */
	/* open an existing file for write (append): one record, 100 writes */
	fd = open("f1", O_WRONLY | O_APPEND);
	if (fd < 0)
		goto done;
	for (i = 0; i < 100; i++)
		if (write(fd, buf, 1) != 1)
			goto done;
	close(fd);
	t.steps++; /* 4 */
	/* truncate on open, relative to a directory fd */
	fd = openat(dfd, "f1", O_WRONLY | O_TRUNC);
	if (fd < 0)
		goto done;
	close(fd);
	t.steps++; /* 5 */
	if (renameat(dfd, "f1", AT_FDCWD, "f2"))
		goto done;
	t.steps++; /* 6 */
	if (chmod("f2", 04755))
		goto done;
	t.steps++; /* 7 */
	if (chown("f2", 1, 2))
		goto done;
	t.steps++; /* 8 */
	if (unlinkat(dfd, "f2", 0))
		goto done;
	t.steps++; /* 9 */
	if (mkdir("d1", 0700) || rmdir("d1"))
		goto done;
	t.steps++; /* 10 */
	/* chown through an fd with an empty name (AT_EMPTY_PATH), then an
	 * unlink by a name relative to a cwd of "/" */
	fd = open("f3", O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || fchownat(fd, "", 3, 4, AT_EMPTY_PATH))
		goto done;
	close(fd);
	if (chdir("/") || snprintf(rel, sizeof(rel), "%s/f3", dir + 1) >= (int)sizeof(rel) || unlink(rel) ||
	    chdir(dir))
		goto done;
	t.steps++; /* 11 */
	/* a failed unlink reports nothing where the result is known */
	if (unlink("missing") == 0)
		goto done;
	t.steps++; /* 12 */
done:
	if (write(out, &t, sizeof(t)) != sizeof(t))
		_exit(2);
	_exit(0);
}

struct expect {
	uint16_t type;
	const char *name;     /* file name under the directory */
	const char *old_name; /* rename source */
	uint32_t flags;       /* EDR_FILE_* that must be set */
	uint32_t noflags;     /* and that must not */
};

/* Records of tgid about files under dir, in arrival order. */
static size_t collect(struct harness *h, uint32_t tgid, const char *dir, const struct edr_decoded **out,
		      size_t max)
{
	size_t i, n = 0, dl = strlen(dir);

	for (i = 0; i < h->n && n < max; i++) {
		const struct edr_decoded *d = &h->recs[i]->d;

		if (!EDR_IN_FAMILY(d, FILE_CREATE) || d->task->tgid != tgid)
			continue;
		if (d->path.len > dl && !strncmp(d->path.p, dir, dl) && d->path.p[dl] == '/')
			out[n++] = d;
	}
	return n;
}

struct want_n {
	uint32_t tgid;
	const char *dir;
	size_t n;
};

static int have_n(struct harness *h, void *ctx)
{
	struct want_n *w = ctx;
	const struct edr_decoded *d[32];

	return collect(h, w->tgid, w->dir, d, 32) >= w->n;
}

static void test_file_events(void **state)
{
	const char *path = *state;
	/* lsm and kprobe see operations before they happen (bpf/file.bpf.h) */
	int kprobe = !strcmp(path, "kprobe");
	uint32_t att = kprobe || !strcmp(path, "lsm") ? EDR_FILE_ATTEMPT : 0;
	const struct expect want[] = {
		{ EDR_EVENT_FILE_CREATE, "f1", NULL, att, EDR_FILE_TRUNCATE | EDR_FILE_SETID },
		{ EDR_EVENT_FILE_WRITE, "f1", NULL, att, EDR_FILE_TRUNCATE },
		{ EDR_EVENT_FILE_WRITE, "f1", NULL, att | EDR_FILE_TRUNCATE, 0 },
		{ EDR_EVENT_FILE_RENAME, "f2", "f1", att, 0 },
		{ EDR_EVENT_FILE_CHMOD, "f2", NULL, att | EDR_FILE_SETID, 0 },
		{ EDR_EVENT_FILE_CHOWN, "f2", NULL, att, EDR_FILE_SETID },
		{ EDR_EVENT_FILE_UNLINK, "f2", NULL, att, EDR_FILE_DIR },
		{ EDR_EVENT_FILE_UNLINK, "d1", NULL, att | EDR_FILE_DIR, 0 },
		{ EDR_EVENT_FILE_CREATE, "f3", NULL, att, 0 },
		{ EDR_EVENT_FILE_CHOWN, "f3", NULL, att, 0 },
		{ EDR_EVENT_FILE_UNLINK, "f3", NULL, att, EDR_FILE_DIR },
		/* only a kprobe at entry sees the unlink that fails */
		{ EDR_EVENT_FILE_UNLINK, "missing", NULL, att, EDR_FILE_DIR },
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]) - !kprobe;
	uint32_t src = !strcmp(path, "lsm") ? EDR_SRC_LSM : !strcmp(path, "fentry") ? EDR_SRC_FENTRY :
		       kprobe ? EDR_SRC_KPROBE : EDR_SRC_TRACEPOINT;
	char tmpl[] = "/tmp/edr-file-XXXXXX", dir[PATH_MAX], p[PATH_MAX + 8];
	const struct edr_decoded *got[32];
	struct child_truth t;
	struct harness h;
	struct stat st;
	int pfd[2], status = 0;
	size_t i, n;
	pid_t pid;

	START(&h, state);
	h_report(&h, "file");
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(dir, pfd[1]);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &t, sizeof(t)), sizeof(t));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(t.steps, STEPS);

	/* Wait for the last expected record, then a little for any extra. */
	h_poll(&h, 3000, have_n, &(struct want_n){ pid, dir, nwant });
	h_poll(&h, 200, NULL, NULL);
	n = collect(&h, pid, dir, got, 32);
	for (i = 0; i < n; i++)
		printf("# %s: record %zu: type %u %s%s%s flags %#x\n", path, i, got[i]->type, got[i]->path.p,
		       got[i]->old_path.p ? " <- " : "", got[i]->old_path.p ? got[i]->old_path.p : "",
		       EDR_REC(got[i], file)->flags);
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(n, nwant);
	for (i = 0; i < nwant; i++) {
		const struct edr_decoded *d = got[i];
		const struct edr_file *f = EDR_REC(d, file);

		assert_int_equal(d->type, want[i].type);
		snprintf(p, sizeof(p), "%s/%s", dir, want[i].name);
		assert_string_equal(d->path.p, p);
		if (want[i].old_name) {
			snprintf(p, sizeof(p), "%s/%s", dir, want[i].old_name);
			assert_non_null(d->old_path.p);
			assert_string_equal(d->old_path.p, p);
		} else {
			assert_null(d->old_path.p);
		}
		assert_int_equal(f->flags & want[i].flags, want[i].flags);
		assert_int_equal(f->hdr.flags & EDR_HDR_SRC_MASK, src);
		if (!att)
			assert_int_equal(f->flags & EDR_FILE_ATTEMPT, 0);
		assert_int_equal(f->flags & want[i].noflags, 0);
		assert_int_equal(f->flags & (EDR_FILE_PATH_TRUNC | EDR_FILE_OLD_PATH_TRUNC |
					     EDR_FILE_PATH_RELATIVE | EDR_FILE_OLD_PATH_RELATIVE), 0);
		assert_int_equal(d->task->tgid, pid);
		assert_int_equal(d->task->ppid, getpid());
		assert_int_equal(d->task->uid, getuid());
		assert_int_equal(d->hdr->version, EDR_ABI_VERSION);
	}
	/* create: the new inode, its mode (umask 0) and owner */
	assert_int_equal(EDR_REC(got[0], file)->ino, t.ino);
	assert_int_equal(EDR_REC(got[0], file)->dev, h_kdev(st.st_dev));
	assert_int_equal(EDR_REC(got[0], file)->mode, S_IFREG | 0640);
	assert_int_equal(EDR_REC(got[0], file)->uid, getuid());
	assert_int_equal(EDR_REC(got[0], file)->gid, getgid());
	assert_true(EDR_REC(got[0], file)->open_flags & O_CREAT);
	assert_int_equal(EDR_REC(got[1], file)->ino, t.ino);
	assert_true(EDR_REC(got[1], file)->open_flags & O_APPEND);
	assert_int_equal(EDR_REC(got[1], file)->open_flags & O_ACCMODE, O_WRONLY);
	assert_int_equal(EDR_REC(got[2], file)->ino, t.ino);
	/* chmod: permission bits only, setuid included */
	assert_int_equal(EDR_REC(got[4], file)->mode, 04755);
	assert_int_equal(EDR_REC(got[5], file)->uid, 1);
	assert_int_equal(EDR_REC(got[5], file)->gid, 2);
	assert_int_equal(EDR_REC(got[9], file)->uid, 3);
	assert_int_equal(EDR_REC(got[9], file)->gid, 4);
	assert_int_equal(rmdir(dir), 0);
	h_stop(&h);
}

/* A path deeper than the kernel walks (EDR_PATH_DEPTH components) comes
 * out as its deepest part, flagged truncated. */
#define DEEP 80

static void test_deep_path_truncated(void **state)
{
	char tmpl[] = "/tmp/edr-deep-XXXXXX", dir[PATH_MAX];
	const struct edr_decoded *d = NULL;
	struct harness h;
	int fd, dfd, i, status = 0;
	size_t k;
	pid_t pid;

	START(&h, state);
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dfd = open(dir, O_RDONLY | O_DIRECTORY);
		for (i = 0; i < DEEP && dfd >= 0; i++) {
			if (mkdirat(dfd, "d", 0700))
				_exit(1);
			fd = openat(dfd, "d", O_RDONLY | O_DIRECTORY);
			close(dfd);
			dfd = fd;
		}
		fd = dfd < 0 ? -1 : openat(dfd, "f", O_CREAT | O_WRONLY, 0600);
		_exit(fd < 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	h_poll(&h, 3000, NULL, NULL);
	for (k = 0; k < h.n; k++)
		if (h.recs[k]->d.type == EDR_EVENT_FILE_CREATE && h.recs[k]->d.task->tgid == (uint32_t)pid)
			d = &h.recs[k]->d;
	assert_non_null(d);
	printf("# %s: %.60s... (%u bytes)\n", (char *)*state, d->path.p, d->path.len);
	assert_true(EDR_REC(d, file)->flags & EDR_FILE_PATH_TRUNC);
	/* the deepest components, ending in the file */
	assert_true(d->path.len > 2 && d->path.len < (uint32_t)(DEEP * 2 + 2));
	assert_string_equal(d->path.p + d->path.len - 4, "/d/f");
	assert_int_equal(d->path.p[0], '/');
	h_stop(&h);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		assert_int_equal(system(cmd), 0);
	}
}

/* Nothing is reported about processes outside the target, and a storm of
 * read-only opens by the target itself produces no record at all. */
static void test_readonly_storm_is_silent(void **state)
{
	struct harness h;
	int fd, i;

	START(&h, state);
	for (i = 0; i < 2000; i++) {
		fd = open("/etc/hostname", O_RDONLY);
		assert_true(fd >= 0);
		close(fd);
	}
	h_poll(&h, 300, NULL, NULL);
	for (i = 0; i < (int)h.n; i++)
		assert_true(strcmp(h.recs[i]->d.path.p ? h.recs[i]->d.path.p : "", "/etc/hostname"));
	h_stop(&h);
}

static int have_links(struct harness *h, void *ctx)
{
	const struct edr_decoded *d[4];
	uint32_t pid = *(uint32_t *)ctx;

	return h_collect(h, EDR_EVENT_FILE_SYMLINK, pid, d, 4) >= 1 &&
	       h_collect(h, EDR_EVENT_FILE_CHMOD, pid, d, 4) >= 2;
}

/*
 * Hard link, symlink (relative to a directory fd, with a target the kernel
 * never resolves) and chmod's old mode: by name (known except on the
 * tracepoint path) and by fd (known on every path).
 */
static void test_links_old_mode(void **state)
{
	const char *path = *state;
	int tp = !strcmp(path, "tracepoint");
	uint32_t att = !strcmp(path, "kprobe") || !strcmp(path, "lsm") ? EDR_FILE_ATTEMPT : 0;
	uint32_t src = !strcmp(path, "lsm") ? EDR_SRC_LSM : !strcmp(path, "fentry") ? EDR_SRC_FENTRY :
		       !strcmp(path, "kprobe") ? EDR_SRC_KPROBE : EDR_SRC_TRACEPOINT;
	char tmpl[] = "/tmp/edr-link-XXXXXX", dir[PATH_MAX], p[PATH_MAX + 8];
	const struct edr_decoded *d[4];
	struct harness h;
	struct stat st;
	int status = 0;
	uint32_t upid;
	size_t i;
	pid_t pid;

	START(&h, state);
	h_report(&h, "links");
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, dir));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd, dfd;

		umask(0);
		if (chdir(dir) || (dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
			_exit(1);
		fd = open("f", O_CREAT | O_WRONLY, 0600);
		if (fd < 0 || link("f", "h") || symlinkat("../target/as written", dfd, "s"))
			_exit(2);
		if (chmod("f", 0640) || fchmod(fd, 0604))
			_exit(3);
		close(fd);
		if (unlink("s") || unlink("h") || unlink("f"))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	upid = pid;
	h_poll(&h, 3000, have_links, &upid);
	h_poll(&h, 200, NULL, NULL);
	assert_int_equal(h.decode_errors, 0);

	/* link: the new name, and the existing file as old_path */
	assert_int_equal(h_collect(&h, EDR_EVENT_FILE_LINK, pid, d, 4), 1);
	printf("# %s: link %s <- %s flags %#x\n", path, d[0]->path.p, d[0]->old_path.p, EDR_REC(d[0], file)->flags);
	snprintf(p, sizeof(p), "%s/h", dir);
	assert_string_equal(d[0]->path.p, p);
	snprintf(p, sizeof(p), "%s/f", dir);
	assert_non_null(d[0]->old_path.p);
	assert_string_equal(d[0]->old_path.p, p);
	/* symlink: the link, and the target exactly as written */
	assert_int_equal(h_collect(&h, EDR_EVENT_FILE_SYMLINK, pid, d + 1, 3), 1);
	printf("# %s: symlink %s -> %s flags %#x\n", path, d[1]->path.p, d[1]->old_path.p, EDR_REC(d[1], file)->flags);
	snprintf(p, sizeof(p), "%s/s", dir);
	assert_string_equal(d[1]->path.p, p);
	assert_non_null(d[1]->old_path.p);
	assert_string_equal(d[1]->old_path.p, "../target/as written");
	for (i = 0; i < 2; i++) {
		assert_int_equal(EDR_REC(d[i], file)->hdr.flags & EDR_HDR_SRC_MASK, src);
		assert_int_equal(EDR_REC(d[i], file)->flags & EDR_FILE_ATTEMPT, att);
		assert_int_equal(EDR_REC(d[i], file)->flags & (EDR_FILE_PATH_TRUNC | EDR_FILE_OLD_PATH_TRUNC |
						      EDR_FILE_PATH_RELATIVE | EDR_FILE_OLD_PATH_RELATIVE), 0);
		assert_int_equal(d[i]->task->tgid, pid);
	}
	/* chmod by name, then by fd */
	assert_int_equal(h_collect(&h, EDR_EVENT_FILE_CHMOD, pid, d, 4), 2);
	for (i = 0; i < 2; i++)
		printf("# %s: chmod %s mode %#o old %#o flags %#x\n", path, d[i]->path.p, EDR_REC(d[i], file)->mode,
		       EDR_REC(d[i], file)->old_mode, EDR_REC(d[i], file)->flags);
	assert_int_equal(EDR_REC(d[0], file)->mode, 0640);
	if (tp) {
		/* by name at sys_enter, the inode is not known */
		assert_int_equal(EDR_REC(d[0], file)->flags & EDR_FILE_OLD_MODE, 0);
		assert_int_equal(EDR_REC(d[0], file)->old_mode, 0);
	} else {
		assert_true(EDR_REC(d[0], file)->flags & EDR_FILE_OLD_MODE);
		assert_int_equal(EDR_REC(d[0], file)->old_mode, S_IFREG | 0600);
	}
	assert_int_equal(EDR_REC(d[1], file)->mode, 0604);
	assert_true(EDR_REC(d[1], file)->flags & EDR_FILE_OLD_MODE);
	assert_int_equal(EDR_REC(d[1], file)->old_mode, S_IFREG | 0640);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(rmdir(dir), 0);
	h_stop(&h);
}

/* Sum of the kernel's per-CPU suppressed counters. */
static uint64_t suppressed(struct harness *h)
{
	int ncpu = libbpf_num_possible_cpus();
	struct edr_bpf_stats pc[ncpu > 0 ? ncpu : 1];
	uint32_t zero = 0;
	uint64_t n = 0;

	assert_true(ncpu > 0);
	assert_int_equal(bpf_map_lookup_elem(edr_loader__stats_fd(h->loader), &zero, pc), 0);
	for (int i = 0; i < ncpu; i++)
		n += pc[i].suppressed;
	return n;
}

static int write_opens(struct harness *h, const char *path)
{
	int n = 0;

	for (size_t i = 0; i < h->n; i++)
		if (h->recs[i]->d.type == EDR_EVENT_FILE_WRITE && h->recs[i]->d.path.p &&
		    !strcmp(h->recs[i]->d.path.p, path))
			n++;
	return n;
}

/*
 * Five write-opens of one file: with a window, the first is reported and the
 * other four counted as suppressed; a truncating open differs in its flags
 * and is reported. Without a window, all five are reported.
 */
static void test_write_dedup(void **state)
{
	char dir[] = "/tmp/edr-dedup-XXXXXX", path[64], real[PATH_MAX];
	struct harness h;
	int fd, i, round;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_non_null(realpath(path, real));
	for (round = 0; round < 2; round++) {
		dedup_ns = round == 0 ? 10ull * 1000000000 : 0;
		START(&h, state);
		dedup_ns = 0;
		for (i = 0; i < 5; i++) {
			fd = open(path, O_WRONLY | O_APPEND);
			assert_true(fd >= 0);
			assert_int_equal(write(fd, "x", 1), 1);
			close(fd);
		}
		fd = open(path, O_WRONLY | O_TRUNC);
		assert_true(fd >= 0);
		close(fd);
		h_poll(&h, 300, NULL, NULL);
		if (round == 0) {
			assert_int_equal(write_opens(&h, real), 2);
			assert_int_equal(suppressed(&h), 4);
		} else {
			assert_int_equal(write_opens(&h, real), 6);
			assert_int_equal(suppressed(&h), 0);
		}
		h_stop(&h);
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static const char *const paths[] = { "lsm", "fentry", "kprobe", "tracepoint" };
	static struct h_runs r;

	h_runs_add(&r, "file_events", test_file_events, paths, 4);
	h_runs_add(&r, "readonly_storm", test_readonly_storm_is_silent, paths, 4);
	h_runs_add(&r, "deep_path", test_deep_path_truncated, paths, 4);
	h_runs_add(&r, "write_dedup", test_write_dedup, paths, 4);
	h_runs_add(&r, "links_old_mode", test_links_old_mode, paths, 4);
	return h_runs_main(&r, "bpf_file");
}
