// SPDX-License-Identifier: GPL-2.0-only
/*
 * The protected list (sensor/response/protect.h): which paths and processes
 * are protected (built-in under every usrmerge spelling, resolved on this
 * host, the running binary, configured extras, a replaced binary's
 * " (deleted)" exe), and the validate-time check: deny/kill rules that would
 * match a protected binary's exec or its events are refused with the
 * one-line reason, the example response rules pass. Run from the top of
 * the tree (make test-unit does).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "rules/edr_rules.h"
#include "sensor/response/protect.h"

#define HDR(file, cat) "title: t\nlogsource:\n  product: linux\n  category: " cat "\n"

static struct edr_ruleset *load_one(const char *name, const char *yaml)
{
	struct edr_rule_src src = { name, yaml, strlen(yaml) };
	struct edr_rules_err err = { 0 };
	struct edr_ruleset *rs = edr_ruleset__load_mem(&src, 1, &err);

	if (!rs)
		fail_msg("%s did not load: %s", name, err.msg);
	return rs;
}

/* edr_protect__check_ruleset on one in-memory rule; msg gets the reason. */
static int check_one(const struct edr_protect *p, const char *name, const char *yaml, char *msg,
		     size_t len)
{
	struct edr_ruleset *rs = load_one(name, yaml);
	int ret = edr_protect__check_ruleset(p, rs, msg, len);

	edr_ruleset__free(rs);
	return ret;
}

static void test_new_refuses_relative(void **state)
{
	const char *rel[] = { "opt/agent" }, *nul[] = { NULL };

	(void)state;
	errno = 0;
	assert_null(edr_protect__new(rel, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(edr_protect__new(nul, 1));
	assert_int_equal(errno, EINVAL);
	edr_protect__free(NULL);
}

static void test_paths(void **state)
{
	static const char *const builtin[] = {
		"/sbin/init", "/usr/lib/systemd/systemd", "/lib/systemd/systemd",
		"/usr/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-logind",
		"/usr/lib/systemd/systemd-udevd", "/usr/local/bin/edr-sensor", "/usr/local/bin/edrctl",
		"/usr/bin/edrctl", "/usr/sbin/sshd", "/sbin/sshd", "/usr/bin/login", "/bin/login",
		"/usr/sbin/agetty", "/sbin/getty", "/usr/bin/su", "/bin/su", "/usr/bin/sudo",
		"/usr/sbin/runuser", "/usr/bin/apt", "/usr/bin/apt-get", "/usr/bin/dpkg",
		"/usr/bin/bash", "/bin/bash", "/usr/bin/sh", "/bin/sh", "/usr/bin/dash",
		"/bin/dash", "/usr/bin/zsh", "/bin/zsh",
	};
	static const char *const not_protected[] = {
		"/usr/bin/curl", "/tmp/x", "/usr/bin/bash2", "/usr/bin/bas", "", "bash",
		"/usr/bin/python3", "/opt/agent/bin/agent2",
	};
	const char *extra[] = { "/opt/agent/bin/agent" };
	struct edr_protect *p = edr_protect__new(extra, 1);
	char self[PATH_MAX], real[PATH_MAX];
	ssize_t n;
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!edr_protect__path(p, builtin[i]))
			fail_msg("%s is not protected", builtin[i]);
	for (i = 0; i < sizeof(not_protected) / sizeof(not_protected[0]); i++)
		if (edr_protect__path(p, not_protected[i]))
			fail_msg("%s is protected", not_protected[i]);
	assert_true(edr_protect__path(p, "/opt/agent/bin/agent"));
	assert_false(edr_protect__path(p, NULL));
	/* what the shells resolve to on this host (/bin/sh -> /usr/bin/dash) */
	if (realpath("/bin/sh", real))
		assert_true(edr_protect__path(p, real));
	if (realpath("/sbin/init", real))
		assert_true(edr_protect__path(p, real));
	/* the running binary, wherever it is */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	assert_true(edr_protect__path(p, self));
	edr_protect__free(p);

	/* without the extra, it is not protected */
	p = edr_protect__new(NULL, 0);
	assert_non_null(p);
	assert_false(edr_protect__path(p, "/opt/agent/bin/agent"));
	edr_protect__free(p);
}

static pid_t spawn(const char *path, char *const argv[])
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execv(path, argv);
		_exit(127);
	}
	return pid;
}

/* Waits until /proc/PID/exe names want (after the exec). */
static void wait_exe(pid_t pid, const char *want)
{
	char link[64], buf[PATH_MAX];
	int i;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	for (i = 0; i < 2000; i++) {
		ssize_t n = readlink(link, buf, sizeof(buf) - 1);

		if (n > 0) {
			buf[n] = 0;
			if (strstr(buf, want))
				return;
		}
		usleep(1000);
	}
	fail_msg("pid %d never ran %s", (int)pid, want);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	assert_int_equal(close(out), 0);
}

static void test_pid(void **state)
{
	char dir[] = "/tmp/edr-protect-XXXXXX", agent[PATH_MAX], sleep_real[PATH_MAX];
	const char *extra[1];
	struct edr_protect *p;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(agent, sizeof(agent), "%s/agent", dir);
	assert_non_null(realpath("/bin/sleep", sleep_real));
	copy_file(sleep_real, agent);
	extra[0] = agent;
	p = edr_protect__new(extra, 1);
	assert_non_null(p);

	assert_true(edr_protect__pid(p, 1, NULL));
	assert_true(edr_protect__pid(p, 0, NULL));
	assert_true(edr_protect__pid(p, getpid(), NULL));
	assert_true(edr_protect__pid(p, 4242, "/usr/bin/bash"));
	assert_false(edr_protect__pid(p, 4242, "/usr/bin/curl"));

	/* a process running an unprotected binary, read from /proc */
	pid = spawn(sleep_real, (char *const[]){ "sleep", "30", NULL });
	wait_exe(pid, "sleep");
	assert_false(edr_protect__pid(p, pid, NULL));
	reap(pid);
	/* gone: nothing to act on */
	assert_false(edr_protect__pid(p, pid, NULL));

	/* a configured binary, also once replaced on disk (exe "... (deleted)") */
	pid = spawn(agent, (char *const[]){ "agent", "30", NULL });
	wait_exe(pid, "/agent");
	assert_true(edr_protect__pid(p, pid, NULL));
	assert_int_equal(unlink(agent), 0);
	assert_true(edr_protect__pid(p, pid, NULL));
	reap(pid);

	/* a fork of this process runs this binary: protected (under valgrind
	 * the child's exe is valgrind's tool, not this binary) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	{
		char self[PATH_MAX], child[PATH_MAX], link[64];
		ssize_t a = readlink("/proc/self/exe", self, sizeof(self) - 1), b;

		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
		b = readlink(link, child, sizeof(child) - 1);
		assert_true(a > 0 && b > 0);
		self[a] = child[b] = 0;
		if (!strcmp(self, child))
			assert_true(edr_protect__pid(p, pid, NULL));
		else
			print_message("fork runs %s, not %s: not checked\n", child, self);
	}
	reap(pid);

	edr_protect__free(p);
	assert_int_equal(rmdir(dir), 0);
}

/* Rules whose deny/kill would act on a protected binary, with the reason. */
struct refusal {
	const char *yaml;
	const char *msg;
};

static const struct refusal refusals[] = {
	{ HDR(, "process_creation") "detection:\n  sel:\n    Image|endswith:\n      - /bash\n      - /sh\n"
	  "  condition: sel\nx-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /usr/bin/bash" },
	/* /bin/sh as invoked, on a host where it is a symlink to dash */
	{ HDR(, "process_creation") "detection:\n  sel:\n    Image: /bin/sh\n  condition: sel\n"
	  "x-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /bin/sh" },
	{ HDR(, "process_creation") "detection:\n  sel:\n    Image|endswith: /dash\n  condition: sel\n"
	  "x-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/dash" },
	{ HDR(, "process_creation") "detection:\n  sel:\n    CommandLine|contains: 'sudo -n'\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/sudo" },
	{ HDR(, "process_creation") "detection:\n  sel:\n    CommandLine: /usr/sbin/sshd -D\n"
	  "  condition: sel\nx-edr-response: {action: kill, tree: true}\n",
	  "r.yml: action kill would match protected /usr/sbin/sshd" },
	/* a rule on the parent: every exec from bash (edrctl is the first such) */
	{ HDR(, "process_creation") "detection:\n  sel:\n    ParentImage|endswith: /bash\n"
	  "    User: root\n  condition: sel\nx-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /usr/local/bin/edrctl" },
	{ HDR(, "process_creation") "detection:\n  sel:\n    Image|startswith: /usr/lib/systemd/\n"
	  "  condition: sel\nx-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /usr/lib/systemd/systemd" },
	/* quarantining an exec's binary moves it away */
	{ HDR(, "process_creation") "detection:\n  sel:\n    Image: /usr/bin/zsh\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n",
	  "r.yml: action quarantine would match protected /usr/bin/zsh" },
	/* other categories: the protected binary as the subject */
	{ HDR(, "privilege_change") "detection:\n  sel:\n    OldUid|gt: 0\n    NewUid: 0\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/su" },
	{ HDR(, "network_connection") "detection:\n  sel:\n    DestinationPort: 443\n"
	  "  condition: sel\nx-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /usr/bin/apt" },
	{ HDR(, "network_connection") "detection:\n  sel:\n    Initiated: false\n"
	  "    SourcePort: 22\n  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/sbin/sshd" },
	{ HDR(, "file_event") "detection:\n  sel:\n    TargetFilename|startswith: /usr/bin/\n"
	  "  condition: sel\nx-edr-response: {action: deny}\n",
	  "r.yml: action deny would match protected /usr/bin/dpkg" },
	{ HDR(, "file_event") "detection:\n  sel:\n    TargetFilename|endswith: /.bash_history\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/bash" },
	{ HDR(, "file_rename") "detection:\n  sel:\n    SourceFilename|endswith: .dpkg-new\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/dpkg" },
	{ HDR(, "kernel_module") "detection:\n  sel:\n    ModulePath|startswith: /lib/modules/\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /sbin/init" },
	{ HDR(, "bpf_load") "detection:\n  sel:\n    ProgramType: tracepoint\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/local/bin/edr-sensor" },
	/* every category has events of every protected binary as the subject */
	{ HDR(, "ptrace") "detection:\n  sel:\n    Image|endswith: /sshd\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/sbin/sshd" },
	{ HDR(, "fileless_exec") "detection:\n  sel:\n    Image: /usr/bin/apt-get\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/bin/apt-get" },
	{ HDR(, "file_delete") "detection:\n  sel:\n    Image|endswith: -journald\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/lib/systemd/systemd-journald" },
	{ HDR(, "file_change") "detection:\n  sel:\n    CommandLine|contains: 'runuser'\n"
	  "  condition: sel\nx-edr-response: {action: kill}\n",
	  "r.yml: action kill would match protected /usr/sbin/runuser" },
};

static void test_check_refuses(void **state)
{
	struct edr_protect *p = edr_protect__new(NULL, 0);
	char msg[512];
	size_t i, bad = 0;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		int ret = check_one(p, "some/dir/r.yml", refusals[i].yaml, msg, sizeof(msg));

		if (ret != -EPERM || strcmp(msg, refusals[i].msg)) {
			print_error("case %zu: %d\n  got  %s\n  want %s\n", i, ret, msg,
				    refusals[i].msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	edr_protect__free(p);
}

/* The same shapes without an acting response, or aimed at what is not
 * protected, pass. The running binary is protected, so no case may match
 * where a tree is built (/tmp in CI's clean clone, /work here). */
static const char *const passes[] = {
	/* alert only, isolate, quarantine of a written file */
	HDR(, "process_creation") "detection:\n  sel:\n    Image|endswith: /bash\n  condition: sel\n",
	HDR(, "process_creation") "detection:\n  sel:\n    Image|endswith: /bash\n  condition: sel\n"
	"x-edr-response: {action: isolate}\n",
	HDR(, "file_event") "detection:\n  sel:\n    TargetFilename|endswith: /.bash_history\n"
	"  condition: sel\nx-edr-response: {action: quarantine}\n",
	/* typical detections that act */
	HDR(, "process_creation") "detection:\n  sel:\n    CommandLine|contains: '/dev/tcp/'\n"
	"  condition: sel\nx-edr-response: {action: kill}\n",
	HDR(, "process_creation") "detection:\n  sel:\n    Image|startswith: /dev/shm/\n"
	"  condition: sel\nx-edr-response: {action: deny}\n",
	HDR(, "ptrace") "detection:\n  sel:\n    Request: PTRACE_ATTACH\n"
	"  condition: sel\nx-edr-response: {action: kill}\n",
	HDR(, "file_event") "detection:\n  sel:\n    TargetFilename: /etc/shadow\n"
	"  condition: sel\nx-edr-response: {action: deny}\n",
	HDR(, "network_connection") "detection:\n  sel:\n    DestinationIp|cidr: 203.0.113.0/24\n"
	"  condition: sel\nx-edr-response: {action: deny}\n",
	HDR(, "kernel_module") "detection:\n  sel:\n    ModulePath|startswith: /tmp/\n"
	"  condition: sel\nx-edr-response: {action: kill}\n",
	HDR(, "privilege_change") "detection:\n  sel:\n    Image|startswith: /dev/shm/\n    NewUid: 0\n"
	"  condition: sel\nx-edr-response: {action: kill}\n",
};

static void test_check_passes(void **state)
{
	struct edr_protect *p = edr_protect__new(NULL, 0);
	struct edr_rules_err err = { 0 };
	struct edr_ruleset *rs;
	char msg[512];
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(passes) / sizeof(passes[0]); i++)
		if (check_one(p, "r.yml", passes[i], msg, sizeof(msg)))
			fail_msg("case %zu refused: %s", i, msg);
	/* the example response rules other tests use */
	rs = edr_ruleset__load("tests/rules/response", &err);
	if (!rs)
		fail_msg("tests/rules/response: %s", err.msg);
	assert_int_equal(edr_ruleset__count(rs), 6);
	if (edr_protect__check_ruleset(p, rs, msg, sizeof(msg)))
		fail_msg("tests/rules/response refused: %s", msg);
	edr_ruleset__free(rs);
	/* and the default pack, were its rules to act */
	rs = edr_ruleset__load("rules/default", &err);
	if (!rs)
		fail_msg("rules/default: %s", err.msg);
	assert_int_equal(edr_protect__check_ruleset(p, rs, msg, sizeof(msg)), 0);
	edr_ruleset__free(rs);
	edr_protect__free(p);
}

/* A configured binary is refused like a built-in one. */
static void test_check_extra(void **state)
{
	static const char rule[] = HDR(, "process_creation")
		"detection:\n  sel:\n    Image: /opt/agent/bin/agent\n  condition: sel\n"
		"x-edr-response: {action: deny}\n";
	const char *extra[] = { "/opt/agent/bin/agent" };
	struct edr_protect *p = edr_protect__new(NULL, 0), *pe = edr_protect__new(extra, 1);
	char msg[512];

	(void)state;
	assert_non_null(p);
	assert_non_null(pe);
	assert_int_equal(check_one(p, "agent.yml", rule, msg, sizeof(msg)), 0);
	assert_int_equal(check_one(pe, "agent.yml", rule, msg, sizeof(msg)), -EPERM);
	assert_string_equal(msg, "agent.yml: action deny would match protected /opt/agent/bin/agent");
	assert_int_equal(edr_protect__check_ruleset(NULL, NULL, msg, sizeof(msg)), -EINVAL);
	edr_protect__free(p);
	edr_protect__free(pe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_refuses_relative),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_check_refuses),
		cmocka_unit_test(test_check_passes),
		cmocka_unit_test(test_check_extra),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
