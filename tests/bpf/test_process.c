// SPDX-License-Identifier: GPL-2.0-only
/*
 * Process events against the real kernel: each test runs once per attach
 * path (tp_btf, raw_tp), forced through the loader, and skips with the
 * reason only when the running kernel lacks that path.
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

#include "loader/enforce.h"
#include "tests/bpf/harness.h"

#define START(h, state, ring) H_START(*(state), h_start(h, *(state), getpid(), ring, &why_))

/* The attach source the record header carries for path state. */
static uint32_t state_src(void **state)
{
	return !strcmp(*state, "tp_btf") ? EDR_SRC_TP_BTF : EDR_SRC_RAW_TP;
}

/* A child that changes directory, then execs argv[0] with argv. */
static pid_t spawn(const char *dir, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		if (dir && chdir(dir))
			_exit(126);
		execv(argv[0], argv);
		_exit(errno == EPERM ? 125 : 127);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

struct want {
	uint16_t type;
	uint32_t tgid;
};

static int have(struct harness *h, void *ctx)
{
	struct want *w = ctx;

	return h_find(h, w->type, w->tgid) != NULL;
}

static void test_exec_event(void **state)
{
	char dir[] = "/tmp/edr-bpf-XXXXXX", token[64], real[PATH_MAX];
	char *argv[] = { "/bin/echo", token, "quote\"d", "new\nline", "bad\xff" "byte", "", NULL };
	const struct edr_decoded *d;
	struct harness h;
	struct stat st;
	uint32_t pos = 0;
	const char *arg;
	int i, n;
	pid_t pid;

	START(&h, state, 0);
	h_report(&h, "exec");
	assert_non_null(mkdtemp(dir));
	snprintf(token, sizeof(token), "edr-token-%d-%s", getpid(), (char *)*state);
	pid = spawn(dir, argv);
	assert_int_equal(wait_status(pid), 0);
	h_poll(&h, 3000, have, &(struct want){ EDR_EVENT_EXEC, pid });
	d = h_find(&h, EDR_EVENT_EXEC, pid);
	assert_non_null(d);

	assert_int_equal(d->hdr->version, EDR_ABI_VERSION);
	assert_int_equal(d->hdr->flags & EDR_HDR_SRC_MASK, state_src(state));
	assert_int_equal(d->task->pid, pid);
	assert_int_equal(d->task->tgid, pid);
	assert_int_equal(d->task->ppid, getpid());
	assert_int_equal(d->task->uid, getuid());
	assert_int_equal(d->task->euid, geteuid());
	assert_int_equal(d->task->gid, getgid());
	assert_string_equal(d->task->comm, "echo");
	assert_true(d->hdr->ts_ns > 0);
	assert_true(d->hdr->seq > 0);
	assert_string_equal(d->filename.p, "/bin/echo");
	assert_non_null(realpath("/bin/echo", real));
	assert_string_equal(d->path.p, real);
	assert_non_null(realpath(dir, real));
	assert_string_equal(d->cwd.p, real);
	assert_int_equal(stat("/bin/echo", &st), 0);
	assert_int_equal(EDR_REC(d, exec)->ino, st.st_ino);
	assert_int_equal(EDR_REC(d, exec)->dev, h_kdev(st.st_dev));
	assert_int_equal(EDR_REC(d, exec)->argc, 6);
	assert_false(EDR_REC(d, exec)->flags & EDR_EXEC_ARGV_TRUNC);
	/* argv byte for byte, including the quote, newline, 0xff and "" */
	for (i = 0; argv[i]; i++) {
		n = edr_argv_next(&d->argv, &pos, &arg);
		assert_int_equal(n, strlen(argv[i]));
		assert_memory_equal(arg, argv[i], n);
	}
	assert_int_equal(edr_argv_next(&d->argv, &pos, &arg), -1);
	assert_int_equal(h.decode_errors, 0);
	h_stop(&h);
	rmdir(dir);
}

static void test_fork_exit_events(void **state)
{
	const struct edr_decoded *f, *x;
	struct harness h;
	pid_t pid;

	START(&h, state, 0);
	h_report(&h, "fork+exit");
	pid = fork();
	if (pid == 0)
		_exit(7);
	assert_true(WIFEXITED(wait_status(pid)));
	h_poll(&h, 3000, have, &(struct want){ EDR_EVENT_EXIT, pid });
	f = h_find(&h, EDR_EVENT_FORK, pid);
	assert_non_null(f);
	assert_int_equal(EDR_REC(f, fork)->child_tgid, pid);
	assert_int_equal(EDR_REC(f, fork)->child_pid, pid);
	assert_int_equal(EDR_REC(f, fork)->parent_tgid, getpid());
	assert_int_equal(f->task->ppid, getpid());
	x = h_find(&h, EDR_EVENT_EXIT, pid);
	assert_non_null(x);
	assert_int_equal(EDR_REC(x, exit)->exit_code, 7 << 8);
	assert_int_equal(x->task->start_ns, f->task->start_ns);
	assert_int_equal(f->hdr->flags & EDR_HDR_SRC_MASK, state_src(state));
	assert_int_equal(x->hdr->flags & EDR_HDR_SRC_MASK, state_src(state));
	/* per-CPU sequence numbers increase */
	if (f->hdr->cpu == x->hdr->cpu)
		assert_true(x->hdr->seq > f->hdr->seq);
	h_stop(&h);
}

static void test_exit_signal(void **state)
{
	const struct edr_decoded *x;
	struct harness h;
	pid_t pid;

	START(&h, state, 0);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGKILL);
	wait_status(pid);
	h_poll(&h, 3000, have, &(struct want){ EDR_EVENT_EXIT, pid });
	x = h_find(&h, EDR_EVENT_EXIT, pid);
	assert_non_null(x);
	assert_int_equal(EDR_REC(x, exit)->exit_code & 0x7f, SIGKILL);
	h_stop(&h);
}

static void test_argv_truncated(void **state)
{
	char *argv[202], args[200][52];
	const struct edr_decoded *d;
	struct harness h;
	uint32_t pos = 0;
	const char *arg;
	int i, n;
	pid_t pid;

	START(&h, state, 0);
	argv[0] = "/bin/true";
	for (i = 0; i < 200; i++) {
		/* 200 arguments of 50 bytes: 10 KiB of argv */
		snprintf(args[i], sizeof(args[i]), "%03d-%046d", i, 0);
		argv[i + 1] = args[i];
	}
	argv[201] = NULL;
	pid = spawn(NULL, argv);
	assert_int_equal(wait_status(pid), 0);
	h_poll(&h, 3000, have, &(struct want){ EDR_EVENT_EXEC, pid });
	d = h_find(&h, EDR_EVENT_EXEC, pid);
	assert_non_null(d);
	assert_true(EDR_REC(d, exec)->flags & EDR_EXEC_ARGV_TRUNC);
	assert_int_equal(EDR_REC(d, exec)->argv_len, EDR_ARGV_MAX);
	assert_int_equal(EDR_REC(d, exec)->argc, 201);
	/* what did arrive is the exact prefix */
	n = edr_argv_next(&d->argv, &pos, &arg);
	assert_int_equal(n, 9);
	assert_memory_equal(arg, "/bin/true", 9);
	for (i = 0; i < 150; i++) {
		n = edr_argv_next(&d->argv, &pos, &arg);
		assert_int_equal(n, 50);
		assert_memory_equal(arg, args[i], 50);
	}
	h_stop(&h);
}

/* Is any of these program ids still loaded? */
static int any_loaded(const uint32_t *ids, int n)
{
	uint32_t id = 0;
	int i;

	while (!bpf_prog_get_next_id(id, &id))
		for (i = 0; i < n; i++)
			if (id == ids[i])
				return 1;
	return 0;
}

/* Everything attached is gone once the loader is freed. The kernel frees a
 * program after an RCU grace period, so allow it a moment. */
static void test_detach(void **state)
{
	uint32_t ids[16];
	struct harness h;
	int n, tries;

	START(&h, state, 0);
	n = edr_loader__prog_ids(h.loader, ids, 16);
	assert_true(n >= 3);
	assert_true(any_loaded(ids, n));
	h_stop(&h);
	for (tries = 0; tries < 100 && any_loaded(ids, n); tries++)
		usleep(50000);
	assert_false(any_loaded(ids, n));
}

/* LSM exec enforcement: a denied executable fails with EPERM and is
 * reported (tests/bpf/test_enforce.c covers the rest of enforcement). */
static void test_exec_denied(void **state)
{
	const struct edr_probe *p = h_probe();
	struct edr_policy_exec x;
	struct edr_policy pol = { .exec = &x, .nexec = 1 };
	const struct edr_decoded *d;
	struct harness h;
	char *argv[] = { "/bin/true", NULL };
	char real[PATH_MAX], err[256];
	pid_t pid;

	if (!p->ok[EDR_CAP_LSM] || !p->ok[EDR_CAP_LSM_ACTIVE]) {
		printf("# exec_denied skipped: %s\n", p->ok[EDR_CAP_LSM_ACTIVE] ? p->detail[EDR_CAP_LSM] :
		       p->detail[EDR_CAP_LSM_ACTIVE]);
		skip();
	}
	{
		const char *why;

		assert_int_equal(h_start(&h, NULL, getpid(), 0, &why), 0);
	}
	assert_int_equal(edr_loader__status(h.loader)[h_feature("exec_enforce")].state, EDR_FEAT_ACTIVE);
	h_report(&h, "exec_denied");
	assert_int_equal(edr_enforce__exec_identity("/bin/true", 1, &x, err, sizeof(err)), 0);
	assert_int_equal(edr_enforce__apply(h.loader, &pol, err, sizeof(err)), 0);
	pid = spawn(NULL, argv);
	assert_int_equal(WEXITSTATUS(wait_status(pid)), 125); /* execv failed with EPERM */
	h_poll(&h, 3000, have, &(struct want){ EDR_EVENT_EXEC_DENIED, pid });
	d = h_find(&h, EDR_EVENT_EXEC_DENIED, pid);
	assert_non_null(d);
	assert_non_null(realpath("/bin/true", real));
	assert_string_equal(d->path.p, real);
	assert_int_equal(d->hdr->flags & EDR_HDR_SRC_MASK, EDR_SRC_LSM);
	assert_non_null(d->deny);
	assert_int_equal(d->deny->rule, 1);
	assert_int_equal(d->deny->mechanism, EDR_MECH_LSM);
	assert_null(h_find(&h, EDR_EVENT_EXEC, pid));
	/* an empty policy: the same exec works again */
	assert_int_equal(edr_enforce__apply(h.loader, NULL, err, sizeof(err)), 0);
	pid = spawn(NULL, argv);
	assert_int_equal(WEXITSTATUS(wait_status(pid)), 0);
	h_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_exec_event, "tp_btf"),
		cmocka_unit_test_prestate(test_exec_event, "raw_tp"),
		cmocka_unit_test_prestate(test_fork_exit_events, "tp_btf"),
		cmocka_unit_test_prestate(test_fork_exit_events, "raw_tp"),
		cmocka_unit_test_prestate(test_exit_signal, "tp_btf"),
		cmocka_unit_test_prestate(test_exit_signal, "raw_tp"),
		cmocka_unit_test_prestate(test_argv_truncated, "tp_btf"),
		cmocka_unit_test_prestate(test_argv_truncated, "raw_tp"),
		cmocka_unit_test_prestate(test_detach, "tp_btf"),
		cmocka_unit_test(test_exec_denied),
	};

	if (geteuid()) {
		printf("# BPF tests need root, skipping\n");
		return 77;
	}
	return cmocka_run_group_tests_name("bpf_process", tests, NULL, NULL);
}
