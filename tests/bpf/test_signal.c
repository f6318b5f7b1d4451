// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signal family on the real kernel, on each attach path: kill and tgkill
 * to a child are reported with sender, target, signal, how it was sent and
 * what the kernel did with it; a signal to oneself and the kernel's SIGCHLD
 * are not.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/bpf/harness.h"

static const char *const feats[] = { "signal" };

static int sstart(struct harness *h, const char *path, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = getpid() };

	return h_start_forced(h, feats, 1, path, &opts, why);
}

/* A child that ignores SIGUSR1, says it is ready, and waits to be killed. */
static pid_t target(void)
{
	int fds[2];
	pid_t pid;
	char c = 0;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		prctl(PR_SET_NAME, "edr-sigtarget");
		signal(SIGUSR1, SIG_IGN);
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

static void check(const struct edr_decoded *d, uint32_t src, pid_t child, uint32_t sig, int32_t code,
		  uint32_t result, uint32_t group)
{
	const struct edr_signal *s = EDR_REC(d, signal);

	assert_int_equal(d->hdr->flags & EDR_HDR_SRC_MASK, src);
	assert_int_equal(d->task->tgid, getpid());
	assert_int_equal(s->target_tgid, child);
	assert_int_equal(s->target_pid, child);
	assert_string_equal(s->target_comm, "edr-sigtarget");
	assert_int_equal(s->sig, sig);
	assert_int_equal(s->code, code);
	assert_int_equal(s->result, result);
	assert_int_equal(s->flags & EDR_SIGNAL_GROUP, group);
}

static void test_signal(void **state)
{
	const char *path = *state;
	uint32_t src = !strcmp(path, "tp_btf") ? EDR_SRC_TP_BTF : EDR_SRC_RAW_TP;
	const struct edr_decoded *got[8];
	struct harness h;
	int status = 0;
	pid_t child;

	H_START(path, sstart(&h, path, &why_));
	child = target();
	/* ignored by the child: generated, and dropped by the kernel */
	assert_int_equal(kill(child, SIGUSR1), 0);
	/* to oneself: not reported (SIGURG is ignored by default) */
	assert_int_equal(kill(getpid(), SIGURG), 0);
	/* one thread, and fatal: delivered */
	assert_int_equal(syscall(SYS_tgkill, child, child, SIGTERM), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	h_poll(&h, 1000, NULL, NULL);

	assert_int_equal(h.decode_errors, 0);
	/* the SIGCHLD the kernel sent this process is not a process's signal */
	assert_int_equal(h_collect(&h, EDR_EVENT_SIGNAL, 0, got, 8), 2);
	check(got[0], src, child, SIGUSR1, EDR_SIGNAL_SI_USER, 1 /* ignored */, EDR_SIGNAL_GROUP);
	check(got[1], src, child, SIGTERM, EDR_SIGNAL_SI_TKILL, 0 /* delivered */, 0);
	h_stop(&h);
}

int main(void)
{
	static const char *const paths[] = { "tp_btf", "raw_tp" };
	static struct h_runs r;

	h_runs_add(&r, "signal", test_signal, paths, 2);
	return h_runs_main(&r, "bpf_signal");
}
