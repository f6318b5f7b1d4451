// SPDX-License-Identifier: GPL-2.0-only
/*
 * edrctl load-rules / rules against a stand-in sensor: a child process
 * running the content manager and the control server, as the daemon will.
 * Checks the CLI contract (stages printed, "rejected at <stage>: <reason>",
 * exit 0 only when active or in shadow) and the rollback after the sensor
 * is killed by SIGSEGV during probation. Skipped (77) when the edrctl
 * binary has not been built.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "sensor/content/content.h"
#include "sensor/ctl/ctl_server.h"

#ifndef EDRCTL_PATH
#define EDRCTL_PATH "build/edrctl"
#endif

static char tmp[64], sock[100], cdir[128], logpath[160];
static const char *edrctl = EDRCTL_PATH;
static uint8_t pk[32], sk[64];
static struct edr_bundle_key key;

static char *rule(const char *tag)
{
	static char buf[4][1024];
	static int i;
	char *b = buf[i++ % 4];

	snprintf(b, 1024,
		 "title: CLI rule %s\nid: 22222222-0000-0000-0000-0000000000%s\n"
		 "logsource:\n  product: linux\n  category: process_creation\n"
		 "detection:\n  sel:\n    Image|endswith: /marker-%s\n  condition: sel\n"
		 "x-edr-samples:\n  match:\n    - Image: /usr/bin/marker-%s\n"
		 "  nomatch:\n    - Image: /usr/bin/true\n", tag, tag, tag, tag);
	return b;
}

static const char *bundle(const char *name, uint64_t version, const char *text)
{
	static char path[4][160];
	static int k;
	struct edr_bundle_src src = { "r.yml", (const uint8_t *)text, strlen(text) };
	struct edr_bundle_wopts o = { .version = version, .created = 1700000000 };
	struct edr_bundle_err err;
	char *p = path[k++ % 4];
	uint8_t *out;
	size_t len;
	FILE *f;

	if (edr_bundle__build(&src, 1, &o, sk, &out, &len, &err))
		fail_msg("%s", err.msg);
	snprintf(p, 160, "%s/%s", tmp, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(out, 1, len, f), len);
	fclose(f);
	free(out);
	return p;
}

static void slog(int prio, const char *msg, void *ctx)
{
	FILE *f = fopen(logpath, "a");

	if (f) {
		fprintf(f, "%s\n", msg);
		fclose(f);
	}
}

/* The stand-in sensor: serves until killed. */
static pid_t start_sensor(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Die of SIGSEGV like the daemon would, not in cmocka's handler. */
		signal(SIGSEGV, SIG_DFL);
		struct edr_content_opts o = { .content_dir = cdir, .keys = &key, .nkeys = 1,
					      .log = slog, .probation_ms = 600000 };
		struct edr_ctl_err cerr;
		struct edr_ctl_server *srv;
		struct edr_content *mgr;
		char err[256];

		mgr = edr_content__new(&o, err, sizeof(err));
		srv = edr_ctl_server__new(sock, (gid_t)-1, &cerr);
		if (!mgr || !srv || edr_content__register_verbs(mgr, srv) ||
		    edr_ctl_server__start(srv))
			_exit(3);
		for (;;)
			pause();
	}
	/* Ready when it accepts (a stale socket from a crash refuses). */
	for (int i = 0; i < 500; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0), rc;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		close(fd);
		if (rc == 0)
			return pid;
		usleep(10000);
	}
	fail_msg("the stand-in sensor did not come up");
	return pid;
}

static void stop_sensor(pid_t pid, int sig)
{
	int status;

	kill(pid, sig);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (sig == SIGSEGV)
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	/* The socket stays behind, as after a real crash; the next server
	 * finds nobody listening on it and replaces it. */
}

/* Runs edrctl with args; returns its exit status, output in out. */
static int run(char *out, size_t outlen, const char *a1, const char *a2, const char *a3,
	       const char *a4)
{
	int p[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		setenv("EDR_SOCKET", sock, 1);
		execl(edrctl, "edrctl", a1, a2, a3, a4, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < outlen && (r = read(p[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void expect(const char *out, const char *want)
{
	if (!strstr(out, want))
		fail_msg("expected '%s' in:\n%s", want, out);
}

/* A "key   value" line of `edrctl rules`, whatever the alignment. */
static void expect_item(const char *out, const char *key, const char *val)
{
	const char *p = out;
	size_t kl = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == out || p[-1] == '\n') && p[kl] == ' ') {
			p += kl + strspn(p + kl, " ");
			if (!strncmp(p, val, strlen(val)) && p[strlen(val)] == '\n')
				return;
		}
		p++;
	}
	fail_msg("expected '%s  %s' in:\n%s", key, val, out);
}

static void test_cli(void **state)
{
	char out[8192];
	pid_t pid;

	if (access(edrctl, X_OK)) {
		print_message("%s not built, skipping\n", edrctl);
		skip();
	}
	/* No sensor yet. */
	assert_int_equal(run(out, sizeof(out), "rules", NULL, NULL, NULL), 1);
	expect(out, "is edr-sensor running?");
	assert_int_equal(run(out, sizeof(out), "load-rules", NULL, NULL, NULL), 2);
	assert_int_equal(run(out, sizeof(out), "load-rules", "/nonexistent", "--shadow", "5x"), 2);

	pid = start_sensor();
	assert_int_equal(run(out, sizeof(out), "load-rules", bundle("v1", 1, rule("a1")), NULL, NULL),
			 0);
	expect(out, "verify: ok (version 1, 1 files, signed by key");
	expect(out, "validate: ok (1 rules)");
	expect(out, "self-test: ok");
	expect(out, "swap: ok");
	expect(out, "persist: ok");
	expect(out, "active: version 1, 1 rules");

	/* A bad rule: the stage and the one-line reason, exit 1. */
	{
		char bad[1024];

		snprintf(bad, sizeof(bad), "%s", rule("a2"));
		memcpy(strstr(bad, "Image|endswith"), "Imagx|endswith", 14);
		assert_int_equal(run(out, sizeof(out), "load-rules", bundle("v2bad", 2, bad), NULL,
				     NULL), 1);
		expect(out, "verify: ok");
		expect(out, "rejected at validate: r.yml:8:5: field 'Imagx' is not in category "
			    "process_creation");
	}
	assert_int_equal(run(out, sizeof(out), "load-rules", bundle("v1b", 1, rule("a3")), NULL,
			     NULL), 1);
	expect(out, "rejected at verify: content version 1 is not newer than the active 1");
	assert_int_equal(run(out, sizeof(out), "load-rules", bundle("v3", 3, rule("a4")),
			     "--shadow", "10m"), 0);
	expect(out, "accepted into shadow: version 3");
	assert_int_equal(run(out, sizeof(out), "rules", NULL, NULL, NULL), 0);
	expect_item(out, "active.version", "1");
	expect_item(out, "shadow.version", "3");
	expect(out, "last_rejection");
	assert_int_equal(run(out, sizeof(out), "rules", "--json", NULL, NULL), 0);
	expect(out, "\"active.version\":1,");
	expect(out, "\"shadow.version\":3,");

	/* v4 goes live, and the sensor dies of SIGSEGV during its probation:
	 * restarted, it runs v1 (the last-known-good) and says why. */
	assert_int_equal(run(out, sizeof(out), "load-rules", bundle("v4", 4, rule("a5")), NULL,
			     NULL), 0);
	expect(out, "active: version 4");
	stop_sensor(pid, SIGSEGV);
	pid = start_sensor();
	assert_int_equal(run(out, sizeof(out), "rules", NULL, NULL, NULL), 0);
	expect_item(out, "active.version", "1");
	expect(out, "last_rollback");
	expect(out, "stopped unexpectedly while content");
	stop_sensor(pid, SIGKILL);
}

static int setup(void **state)
{
	uint8_t seed[32];
	const char *env = getenv("EDRCTL");

	if (env && *env)
		edrctl = env;
	if (sodium_init() < 0)
		return -1;
	memset(seed, 0x51, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	edr_bundle_key__from_pk(&key, pk);
	snprintf(tmp, sizeof(tmp), "/tmp/test_content_cli.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(sock, sizeof(sock), "%s/run/edr.sock", tmp);
	snprintf(cdir, sizeof(cdir), "%s/content", tmp);
	snprintf(logpath, sizeof(logpath), "%s/sensor.log", tmp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
