// SPDX-License-Identifier: GPL-2.0-only
/* The self-test: a candidate is validated (compiled), its rules' samples
 * run and a built-in corpus evaluated within a CPU budget, all in a forked
 * child under CPU, address-space and wall-clock limits, so a crash or a
 * hang costs the child only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sensor/content/internal.h"

/* A few recorded events per category; every rule set must evaluate them
 * within the CPU budget (pathological patterns show up here). */
struct corpus_field {
	int idx;
	const char *s;
	int64_t n;
};
struct corpus_event {
	int cat;
	struct corpus_field f[8];
};

#define PC(f) EDR_F_PROCESS_CREATION_##f
static const struct corpus_event corpus[] = {
	{ EDR_CAT_PROCESS_CREATION, { { PC(IMAGE), "/usr/bin/bash", 0 },
		{ PC(COMMAND_LINE), "bash -c 'for i in $(seq 1 10); do echo $i; done'", 0 },
		{ PC(PARENT_IMAGE), "/usr/sbin/sshd", 0 }, { PC(USER), "alice", 0 },
		{ PC(PROCESS_ID), NULL, 4242 }, { PC(CURRENT_DIRECTORY), "/home/alice", 0 },
		{ -1, NULL, 0 } } },
	{ EDR_CAT_PROCESS_CREATION, { { PC(IMAGE), "/usr/bin/curl", 0 },
		{ PC(COMMAND_LINE), "curl -fsSL https://example.com/install.sh -o /tmp/install.sh", 0 },
		{ PC(PARENT_IMAGE), "/usr/bin/bash", 0 }, { PC(USER), "root", 0 },
		{ PC(USER_ID), NULL, 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_PROCESS_CREATION, { { PC(IMAGE), "/usr/bin/python3", 0 },
		{ PC(COMMAND_LINE), "python3 -c import socket,subprocess,os;s=socket.socket()", 0 },
		{ PC(PARENT_IMAGE), "/usr/bin/dash", 0 }, { PC(USER), "www-data", 0 },
		{ -1, NULL, 0 } } },
	{ EDR_CAT_PROCESS_CREATION, { { PC(IMAGE), "/usr/lib/systemd/systemd-journald", 0 },
		{ PC(COMMAND_LINE), "/usr/lib/systemd/systemd-journald", 0 },
		{ PC(PARENT_IMAGE), "/usr/lib/systemd/systemd", 0 }, { PC(USER), "root", 0 },
		{ PC(CONTAINER_ID), "", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_PROCESS_CREATION, { { PC(IMAGE), "/tmp/.x/a", 0 },
		{ PC(COMMAND_LINE), "/tmp/.x/a -o stratum+tcp://pool.example:3333 -u wallet", 0 },
		{ PC(PARENT_IMAGE), "/usr/bin/sh", 0 }, { PC(USER), "nobody", 0 },
		{ -1, NULL, 0 } } },
	{ EDR_CAT_FILE_EVENT, { { EDR_F_FILE_EVENT_TARGET_FILENAME, "/etc/cron.d/job", 0 },
		{ EDR_F_FILE_EVENT_IMAGE, "/usr/bin/cp", 0 },
		{ EDR_F_FILE_EVENT_USER, "root", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_FILE_EVENT, { { EDR_F_FILE_EVENT_TARGET_FILENAME,
		"/home/alice/.ssh/authorized_keys", 0 },
		{ EDR_F_FILE_EVENT_IMAGE, "/usr/bin/vim.basic", 0 },
		{ EDR_F_FILE_EVENT_USER, "alice", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_FILE_DELETE, { { EDR_F_FILE_DELETE_TARGET_FILENAME, "/var/log/auth.log", 0 },
		{ EDR_F_FILE_DELETE_IMAGE, "/usr/bin/rm", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_NETWORK_CONNECTION, { { EDR_F_NETWORK_CONNECTION_IMAGE, "/usr/bin/nc", 0 },
		{ EDR_F_NETWORK_CONNECTION_DESTINATION_IP, "203.0.113.7", 0 },
		{ EDR_F_NETWORK_CONNECTION_DESTINATION_PORT, NULL, 4444 },
		{ EDR_F_NETWORK_CONNECTION_INITIATED, NULL, 1 },
		{ EDR_F_NETWORK_CONNECTION_PROTOCOL, "tcp", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_KERNEL_MODULE, { { EDR_F_KERNEL_MODULE_IMAGE, "/usr/sbin/insmod", 0 },
		{ EDR_F_KERNEL_MODULE_MODULE_PATH, "/tmp/rootkit.ko", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_PTRACE, { { EDR_F_PTRACE_IMAGE, "/usr/bin/gdb", 0 },
		{ EDR_F_PTRACE_TARGET_IMAGE, "/usr/sbin/sshd", 0 },
		{ EDR_F_PTRACE_REQUEST, "PTRACE_ATTACH", 0 }, { -1, NULL, 0 } } },
	{ EDR_CAT_PRIVILEGE_CHANGE, { { EDR_F_PRIVILEGE_CHANGE_IMAGE, "/usr/bin/sudo", 0 },
		{ EDR_F_PRIVILEGE_CHANGE_OLD_UID, NULL, 1000 },
		{ EDR_F_PRIVILEGE_CHANGE_NEW_UID, NULL, 0 }, { -1, NULL, 0 } } },
};
#undef PC

#define CORPUS_ROUNDS 50

static void corpus_fields(const struct corpus_event *ce, struct edr_field_value *f,
			  struct edr_rule_event *ev)
{
	int i;

	memset(f, 0, sizeof(*f) * EDR_SCHEMA_MAX_FIELDS);
	for (i = 0; i < 8 && ce->f[i].idx >= 0; i++) {
		struct edr_field_value *v = &f[ce->f[i].idx];

		v->set = 1;
		v->n = ce->f[i].n;
		v->s = ce->f[i].s ? ce->f[i].s : "";
		v->len = (uint32_t)strlen(v->s);
	}
	ev->cat = ce->cat;
	ev->nfields = edr_schema_nfields(ce->cat);
	ev->f = f;
}

/* Returns CPU ns per event, or negative errno. */
static int64_t corpus_run(const struct edr_ruleset *rs)
{
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	struct edr_matcher *m = edr_matcher__new(rs);
	const struct edr_rule *out[8];
	struct edr_rule_event ev;
	uint64_t t0;
	size_t i, r, n = 0;
	int rc = 0;

	if (!m)
		return -ENOMEM;
	/* The thread clock, not the process one: once RLIMIT_CPU is set, this
	 * host's CLOCK_PROCESS_CPUTIME_ID stops advancing between ticks (seen
	 * on 6.18), and the child is single-threaded anyway. */
	t0 = mono_ns(CLOCK_THREAD_CPUTIME_ID);
	for (r = 0; r < CORPUS_ROUNDS && !rc; r++)
		for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++, n++) {
			corpus_fields(&corpus[i], f, &ev);
			rc = edr_matcher__eval(m, &ev, out, 8);
			if (rc < 0)
				break;
			rc = 0;
		}
	edr_matcher__free(m);
	if (rc < 0)
		return rc;
	return (int64_t)((mono_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / (n ? n : 1));
}

static void child_say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void child_say(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, (size_t)n) < 0)
		_exit(3);
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

/* The checks on the compiled set, in the child; returns its exit status. */
static int child_test(struct edr_content *mgr, const struct edr_ruleset *rs, int fd)
{
	struct edr_rules_err err = { .msg = "" };
	size_t n = edr_ruleset__count(rs);
	int64_t ns;

	if (n == 0) {
		child_say(fd, "E validate the content holds no rules");
		return 1;
	}
	if (n > EDR_CONTENT_MAX_RULES) {
		child_say(fd, "E validate %zu rules exceed the limit of %d", n, EDR_CONTENT_MAX_RULES);
		return 1;
	}
	child_say(fd, "S validate %zu", n);
	if (mgr->o.child_hook)
		mgr->o.child_hook("self-test");
	if (edr_ruleset__selftest(rs, &err)) {
		one_line(err.msg);
		child_say(fd, "E self-test %s", err.msg);
		return 1;
	}
	ns = corpus_run(rs);
	if (ns < 0) {
		child_say(fd, "E self-test evaluating the built-in corpus failed: %s",
			  strerror((int)-ns));
		return 1;
	}
	if ((uint64_t)ns > mgr->o.corpus_budget_ns) {
		child_say(fd, "E self-test the built-in corpus took %" PRId64
			  " ns CPU per event, over the budget of %" PRIu64 " ns", ns,
			  mgr->o.corpus_budget_ns);
		return 1;
	}
	child_say(fd, "S self-test %" PRId64, ns);
	return 0;
}

static void __attribute__((noreturn)) child_main(struct edr_content *mgr, const struct cand *c,
						  int fd)
{
	struct edr_rules_err err = { .msg = "" };
	struct edr_ruleset *rs;
	struct rlimit rl;
	static const int crash_sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGXCPU,
					  SIGTERM, SIGPIPE };
	sigset_t all;
	size_t i;
	int status;

	/* The parent's handlers (a crash reporter, a test framework) must not
	 * run here: a crash has to end this process so the parent sees it. */
	for (i = 0; i < sizeof(crash_sigs) / sizeof(crash_sigs[0]); i++)
		signal(crash_sigs[i], SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	/* Testing content must not take CPU from the event thread. */
	if (setpriority(PRIO_PROCESS, 0, 10) < 0) {
		/* Not fatal: the limits below still hold. */
	}
	rl.rlim_cur = rl.rlim_max = mgr->o.child_cpu_s;
	setrlimit(RLIMIT_CPU, &rl);
#if !defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of shadow address space; its builds go
	 * without the address-space limit (the CPU and wall limits remain). */
	rl.rlim_cur = rl.rlim_max = mgr->o.child_mem;
	setrlimit(RLIMIT_AS, &rl);
#endif
	if (mgr->o.child_hook)
		mgr->o.child_hook("validate");
	rs = edr_ruleset__load_mem(c->srcs, c->b->nfiles, &err);
	if (!rs) {
		one_line(err.msg);
		child_say(fd, "E validate %s", err.msg[0] ? err.msg : strerror(errno));
		_exit(1);
	}
	/* the circuit breaker: no deny/kill rule may match a protected binary */
	if (mgr->protect && edr_protect__check_ruleset(mgr->protect, rs, err.msg, sizeof(err.msg))) {
		one_line(err.msg);
		child_say(fd, "E validate %s", err.msg);
		edr_ruleset__free(rs);
		_exit(1);
	}
	status = child_test(mgr, rs, fd);
	/* Nothing needs it freed before _exit, but valgrind checks the child
	 * for leaks too, and makes them its exit status. */
	edr_ruleset__free(rs);
	_exit(status);
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGKILL: return "SIGKILL";
	case SIGXCPU: return "SIGXCPU";
	default: return "signal";
	}
}

/*
 * Runs validate and self-test on the candidate in a child. *stage is the
 * stage that failed; progress lines go to progress.
 */
int edr_selftest_run(struct edr_content *mgr, const struct cand *c, const char **stage,
		     size_t *nrules, edr_content_progress_fn progress, void *pctx, char *why,
		     size_t whylen)
{
	char buf[4096], line[1200];
	size_t have = 0;
	uint64_t deadline = mono_ns(CLOCK_MONOTONIC) + (uint64_t)mgr->o.child_wall_ms * 1000000ull;
	int fds[2], status, rc = 0, done = 0, timed_out = 0;
	pid_t pid;

	*stage = "validate";
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		close(fds[0]);
		/* The store lock is the parent's: a child outliving it must not
		 * keep the next sensor out. */
		if (mgr->lock_fd >= 0)
			close(mgr->lock_fd);
		child_main(mgr, c, fds[1]);
	}
	close(fds[1]);
	while (!done) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		uint64_t now = mono_ns(CLOCK_MONOTONIC);
		ssize_t n;
		char *nl;

		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		n = poll(&pfd, 1, (int)((deadline - now) / 1000000 + 1));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			continue;
		n = read(fds[0], buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EOF: the child exited */
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			snprintf(line, sizeof(line), "%s", buf);
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
			have -= strlen(line) + 1;
			if (!strncmp(line, "S validate ", 11)) {
				*nrules = strtoul(line + 11, NULL, 10);
				if (progress) {
					char p[128];
					snprintf(p, sizeof(p), "validate: ok (%zu rules)", *nrules);
					progress(p, pctx);
				}
				*stage = "self-test";
			} else if (!strncmp(line, "S self-test ", 12)) {
				if (progress) {
					char p[160];
					snprintf(p, sizeof(p),
						 "self-test: ok (rule samples pass; built-in corpus "
						 "%s ns CPU per event)", line + 12);
					progress(p, pctx);
				}
				done = 1;
			} else if (line[0] == 'E') {
				const char *sp = strchr(line + 2, ' ');

				snprintf(why, whylen, "%s", sp ? sp + 1 : line);
				rc = -EINVAL;
				done = 1;
			}
		}
		if (have >= sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: drop it */
	}
	if (timed_out)
		kill(pid, SIGKILL);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (timed_out) {
		snprintf(why, whylen, "%s did not finish within %u ms (killed)", *stage,
			 mgr->o.child_wall_ms);
		return -ETIMEDOUT;
	}
	if (rc)
		return rc;
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		if (sig == SIGXCPU || (sig == SIGKILL && done == 0))
			snprintf(why, whylen, "%s exceeded the CPU limit of %u s (%s)", *stage,
				 mgr->o.child_cpu_s, sig_name(sig));
		else
			snprintf(why, whylen, "%s crashed the test process (%s, signal %d)", *stage,
				 sig_name(sig), sig);
		return -ECHILD;
	}
	if (!done || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "%s test process exited with status %d without a result",
			 *stage, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -ECHILD;
	}
	return 0;
}
