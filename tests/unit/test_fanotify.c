// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fanotify permission group against the real kernel (needs
 * CAP_SYS_ADMIN: exits 77, skipped, without it or without permission
 * events). The binary under test is a copy of /bin/true on /dev/shm, and the
 * exec mark is put on that filesystem only (a mountinfo with its one line),
 * so the rest of the host is never held; test_watch_exec marks every
 * filesystem for a moment with a decide that allows all but the copy.
 *
 * exec denied (EPERM) and allowed; a decide past the deadline: allowed,
 * counted, on_timeout called, its late verdict discarded; free while a
 * decide is stuck answers at once; every worker stuck: allowed at once;
 * a full queue: allowed at once; FAN_OPEN_PERM protect denies another
 * process's open and never our own; the pre-exec view and the hash of the
 * request's descriptor (cached by identity).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensor/enrich/hashcache.h"
#include "sensor/response/fanotify.h"
#include "sensor/sigma_map.h"

enum mode { PLAIN, SLEEP, BLOCK, VIEW };

static char dir[] = "/dev/shm/edr-test-fanotify-XXXXXX";
static char target[256], victim[256], minfo[256];
static struct stat target_st, victim_st;
static char err[512];

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum mode mode;
	int deny;
	unsigned sleep_ms;
	int gate_open, entered;
	unsigned calls, timeouts;
	char timeout_path[256];
	struct edr_hashcache *hc;
	char image[4096], pimage[4096], user[256], cwd[4096], sha[65], self_exe[4096];
} T = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void copy_field(char *out, size_t cap, const struct edr_field_value *f)
{
	snprintf(out, cap, "%.*s", f->set ? (int)f->len : 0, f->set ? f->s : "");
}

static void view(const struct edr_fan_req *req)
{
	static struct edr_sigma_view v;
	struct edr_file_ident id = { .dev = req->dev, .ino = req->ino };
	char hex[EDR_SHA256_HEX_LEN + 1];

	assert_int_equal(edr_hashcache__digest_fd(T.hc, req->fd, &id, hex), 0);
	assert_int_equal(edr_fan_exec_view(&v, req, hex), 0);
	pthread_mutex_lock(&T.lock);
	copy_field(T.image, sizeof(T.image), &v.f[EDR_F_PROCESS_CREATION_IMAGE]);
	copy_field(T.pimage, sizeof(T.pimage), &v.f[EDR_F_PROCESS_CREATION_PARENT_IMAGE]);
	copy_field(T.user, sizeof(T.user), &v.f[EDR_F_PROCESS_CREATION_USER]);
	copy_field(T.cwd, sizeof(T.cwd), &v.f[EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY]);
	copy_field(T.sha, sizeof(T.sha), &v.f[EDR_F_PROCESS_CREATION_SHA256]);
	pthread_mutex_unlock(&T.lock);
}

static enum edr_fan_verdict decide(const struct edr_fan_req *req, void *ctx)
{
	int ours = (req->ino == target_st.st_ino && req->kind == EDR_FAN_EXEC) ||
		   (req->ino == victim_st.st_ino && req->kind == EDR_FAN_OPEN);
	enum mode mode;
	unsigned sleep_ms;
	int deny;

	if (!ours)
		return EDR_FAN_ALLOW;
	pthread_mutex_lock(&T.lock);
	mode = T.mode;
	sleep_ms = T.sleep_ms;
	T.calls++;
	T.entered++;
	pthread_cond_broadcast(&T.cond);
	if (mode == BLOCK)
		while (!T.gate_open)
			pthread_cond_wait(&T.cond, &T.lock);
	deny = T.deny;
	pthread_mutex_unlock(&T.lock);
	if (mode == SLEEP)
		usleep(sleep_ms * 1000);
	if (mode == VIEW)
		view(req);
	return deny ? EDR_FAN_DENY : EDR_FAN_ALLOW;
}

static void on_timeout(const struct edr_fan_req *req, void *ctx)
{
	pthread_mutex_lock(&T.lock);
	T.timeouts++;
	snprintf(T.timeout_path, sizeof(T.timeout_path), "%s", req->path);
	pthread_mutex_unlock(&T.lock);
}

static void reset(enum mode mode, int deny)
{
	pthread_mutex_lock(&T.lock);
	T.sleep_ms = 1000;
	T.mode = mode;
	T.deny = deny;
	T.gate_open = 0;
	T.entered = 0;
	T.calls = 0;
	T.timeouts = 0;
	T.timeout_path[0] = '\0';
	pthread_mutex_unlock(&T.lock);
}

static void open_gate(void)
{
	pthread_mutex_lock(&T.lock);
	T.gate_open = 1;
	pthread_cond_broadcast(&T.cond);
	pthread_mutex_unlock(&T.lock);
}

static void wait_entered(int n)
{
	uint64_t end = ms_now() + 5000;

	pthread_mutex_lock(&T.lock);
	while (T.entered < n && ms_now() < end) {
		pthread_mutex_unlock(&T.lock);
		usleep(1000);
		pthread_mutex_lock(&T.lock);
	}
	assert_true(T.entered >= n);
	pthread_mutex_unlock(&T.lock);
}

static struct edr_fanotify *group(uint64_t deadline_ms, unsigned workers, unsigned queue_len)
{
	struct edr_fanotify_opts o = { .deadline_ms = deadline_ms, .workers = workers,
				       .decide = decide, .on_timeout = on_timeout,
				       .queue_len = queue_len };
	struct edr_fanotify *f = edr_fanotify__new(&o, err, sizeof(err));

	if (!f)
		fail_msg("%s", err);
	if (edr_fanotify__watch_exec_from(f, minfo, err, sizeof(err)))
		fail_msg("%s", err);
	return f;
}

/* Forks a child that execs path (or opens it, open_only); returns its pid.
 * The child reports a failed exec or open through *pipe_rd as an errno. */
static pid_t spawn(const char *path, int open_only, int *pipe_rd)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		char *argv[] = { (char *)path, NULL };
		int e = 0;

		if (chdir(dir))
			_exit(126);
		if (open_only) {
			int fd = open(path, O_RDONLY);

			e = fd < 0 ? errno : 0;
		} else {
			execv(path, argv);
			e = errno;
		}
		if (write(p[1], &e, sizeof(e)) < 0)
			_exit(125);
		_exit(e ? 127 : 0);
	}
	close(p[1]);
	*pipe_rd = p[0];
	return pid;
}

/* The errno of the child's exec (0 when it ran and exited 0). */
static int reap(pid_t pid, int rd)
{
	int e = 0, status;

	if (read(rd, &e, sizeof(e)) != sizeof(e))
		e = 0; /* EOF: exec'ed (the pipe is close-on-exec) */
	close(rd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!e)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return e;
}

static int run(const char *path, int open_only, uint64_t *elapsed_ms)
{
	uint64_t t0 = ms_now();
	int rd, e;
	pid_t pid = spawn(path, open_only, &rd);

	e = reap(pid, rd);
	if (elapsed_ms)
		*elapsed_ms = ms_now() - t0;
	return e;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* A mountinfo holding only the line of /dev/shm's mount. */
static int write_minfo(void)
{
	char *line = NULL, mnt[512];
	size_t cap = 0;
	int found = 0;
	FILE *in = fopen("/proc/self/mountinfo", "r"), *out = fopen(minfo, "w");

	if (!in || !out)
		return -1;
	while (getline(&line, &cap, in) > 0)
		if (sscanf(line, "%*u %*u %*u:%*u %*s %511s", mnt) == 1 && !strcmp(mnt, "/dev/shm") &&
		    !found++)
			fputs(line, out);
	free(line);
	fclose(in);
	fclose(out);
	return found ? 0 : -1;
}

static int setup(void **state)
{
	struct edr_hashcache_opts ho = { .max_file_size = 64 << 20 };
	ssize_t n;

	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof(target), "%s/true", dir);
	snprintf(victim, sizeof(victim), "%s/secret", dir);
	snprintf(minfo, sizeof(minfo), "%s/mountinfo", dir);
	copy_file("/bin/true", target, 0755);
	copy_file("/etc/hostname", victim, 0644);
	if (stat(target, &target_st) || stat(victim, &victim_st) || write_minfo())
		return -1;
	n = readlink("/proc/self/exe", T.self_exe, sizeof(T.self_exe) - 1);
	if (n < 0)
		return -1;
	T.self_exe[n] = '\0';
	T.hc = edr_hashcache__new(&ho);
	return T.hc ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	edr_hashcache__free(T.hc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_exec_deny_allow(void **state)
{
	struct edr_fanotify *f = group(2000, 0, 0);
	struct edr_fanotify_stats st;

	reset(PLAIN, 1);
	assert_int_equal(run(target, 0, NULL), EPERM);
	reset(PLAIN, 0);
	assert_int_equal(run(target, 0, NULL), 0);
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.denied, 1);
	assert_true(st.allowed >= 1);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.filesystems, 1);
	edr_fanotify__free(f);
	/* Without the group nothing is held. */
	reset(PLAIN, 1);
	assert_int_equal(run(target, 0, NULL), 0);
	assert_int_equal(T.calls, 0);
}

static void test_deadline(void **state)
{
	struct edr_fanotify *f = group(150, 0, 0);
	struct edr_fanotify_stats st;
	uint64_t ms;

	reset(SLEEP, 1);
	assert_int_equal(run(target, 0, &ms), 0);
	assert_true(ms >= 140);
	assert_true(ms < 900);
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.timeouts, 1);
	pthread_mutex_lock(&T.lock);
	assert_int_equal(T.timeouts, 1);
	assert_string_equal(T.timeout_path, target);
	pthread_mutex_unlock(&T.lock);
	usleep(1100 * 1000); /* the late deny is discarded, not counted */
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.denied, 0);
	assert_int_equal(st.stuck_workers, 0);
	edr_fanotify__free(f);
}

static pid_t reaped_pid;
static uint64_t reaped_at;
static int reaped_status = -1;

static void *reaper(void *arg)
{
	int status;

	if (waitpid(reaped_pid, &status, 0) == reaped_pid) {
		reaped_status = status;
		reaped_at = ms_now();
	}
	return NULL;
}

static void test_free_while_stuck(void **state)
{
	struct edr_fanotify *f = group(20000, 1, 0);
	uint64_t t0, end;
	pthread_t th;
	int rd;

	reset(BLOCK, 1);
	reaped_pid = spawn(target, 0, &rd);
	assert_int_equal(pthread_create(&th, NULL, reaper, NULL), 0);
	wait_entered(1);
	t0 = ms_now();
	edr_fanotify__free(f);
	pthread_join(th, NULL);
	/* Allowed when the group closed, not when the deadline (20 s) ran out. */
	assert_true(WIFEXITED(reaped_status) && WEXITSTATUS(reaped_status) == 0);
	assert_true(reaped_at - t0 < 900);
	close(rd);
	assert_int_equal(edr_fanotify__detached_workers(), 1);
	open_gate();
	for (end = ms_now() + 3000; edr_fanotify__detached_workers() && ms_now() < end;)
		usleep(1000);
	assert_int_equal(edr_fanotify__detached_workers(), 0);
}

static void test_stuck_workers(void **state)
{
	struct edr_fanotify *f = group(150, 1, 0);
	struct edr_fanotify_stats st;
	uint64_t ms, end;

	reset(BLOCK, 1);
	assert_int_equal(run(target, 0, &ms), 0);   /* timed out */
	assert_true(ms >= 140);
	assert_int_equal(run(target, 0, &ms), 0);   /* the only worker is stuck */
	assert_true(ms < 140);
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.stuck, 1);
	assert_int_equal(st.stuck_workers, 1);
	open_gate();
	for (end = ms_now() + 3000; st.stuck_workers && ms_now() < end; usleep(1000))
		edr_fanotify__stats(f, &st);
	assert_int_equal(st.stuck_workers, 0);
	reset(PLAIN, 1);
	assert_int_equal(run(target, 0, NULL), EPERM); /* decided again */
	edr_fanotify__free(f);
}

static void test_queue_full(void **state)
{
	struct edr_fanotify *f = group(5000, 1, 1);
	struct edr_fanotify_stats st;
	uint64_t ms;
	int rd;
	pid_t a;

	reset(BLOCK, 1);
	a = spawn(target, 0, &rd);
	wait_entered(1);
	assert_int_equal(run(target, 0, &ms), 0);   /* no room: allowed at once */
	assert_true(ms < 1000);
	open_gate();
	assert_int_equal(reap(a, rd), EPERM);
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.queue_full, 1);
	assert_int_equal(st.denied, 1);
	edr_fanotify__free(f);
}

static void test_protect(void **state)
{
	struct edr_fanotify *f = group(2000, 0, 0);
	struct edr_fanotify_stats st;
	int fd;

	reset(PLAIN, 1);
	assert_int_equal(edr_fanotify__protect(f, victim, err, sizeof(err)), 0);
	assert_int_equal(run(victim, 1, NULL), EPERM);
	/* Our own process is never held, whatever decide would say. */
	fd = open(victim, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	edr_fanotify__stats(f, &st);
	assert_int_equal(st.denied, 1);
	assert_true(st.self >= 1);
	assert_int_equal(st.protected, 1);
	edr_fanotify__unprotect_all(f);
	reset(PLAIN, 1);
	assert_int_equal(run(victim, 1, NULL), 0);
	pthread_mutex_lock(&T.lock);
	assert_int_equal(T.calls, 0);
	pthread_mutex_unlock(&T.lock);
	assert_true(edr_fanotify__protect(f, "/nonexistent/x", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/x"));
	edr_fanotify__free(f);
}

static void test_view_and_hash(void **state)
{
	struct edr_fanotify *f = group(5000, 0, 0);
	struct edr_hashcache_stats hs, hs2;
	char want[EDR_SHA256_HEX_LEN + 1];
	int fd = open(target, O_RDONLY);

	assert_true(edr_sha256_fd(fd, 1 << 30, want) > 0);
	close(fd);
	reset(VIEW, 0);
	edr_hashcache__stats(T.hc, &hs);
	assert_int_equal(run(target, 0, NULL), 0);
	pthread_mutex_lock(&T.lock);
	assert_string_equal(T.image, target);
	assert_string_equal(T.pimage, T.self_exe);   /* the child's parent is us */
	assert_string_equal(T.cwd, dir);             /* the child chdir'ed there */
	assert_string_equal(T.sha, want);
	if (geteuid() == 0)
		assert_string_equal(T.user, "root");
	pthread_mutex_unlock(&T.lock);
	assert_int_equal(run(target, 0, NULL), 0);
	edr_hashcache__stats(T.hc, &hs2);
	assert_int_equal(hs2.computed - hs.computed, 1);  /* the second exec: a cache hit */
	assert_int_equal(hs2.hits - hs.hits, 1);
	edr_fanotify__free(f);
}

/* Every filesystem, for a moment: only the copy is refused. */
static void test_watch_exec(void **state)
{
	struct edr_fanotify_opts o = { .decide = decide };
	struct edr_fanotify *f = edr_fanotify__new(&o, err, sizeof(err));
	struct edr_fanotify_stats st;

	assert_non_null(f);
	assert_int_equal(edr_fanotify__watch_exec(f, err, sizeof(err)), 0);
	reset(PLAIN, 1);
	assert_int_equal(run(target, 0, NULL), EPERM);
	assert_int_equal(run("/bin/true", 0, NULL), 0);
	edr_fanotify__stats(f, &st);
	assert_true(st.filesystems >= 2);   /* the root filesystem and /dev/shm at least */
	assert_true(st.requests >= 3);      /* /bin/true and its loader too */
	edr_fanotify__free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_deny_allow),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_free_while_stuck),
		cmocka_unit_test(test_stuck_workers),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_protect),
		cmocka_unit_test(test_view_and_hash),
		cmocka_unit_test(test_watch_exec),
	};
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);

	if (fd < 0) {
		printf("test_fanotify: skipped: fanotify_init(FAN_CLASS_CONTENT): %s\n", strerror(errno));
		return 77;
	}
	close(fd);
	return cmocka_run_group_tests(tests, setup, teardown);
}
