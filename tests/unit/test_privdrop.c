// SPDX-License-Identifier: GPL-2.0-only
/* The run-phase privilege drop, applied in a forked child: capability sets,
 * no_new_privs and seccomp mode in /proc/self/status, and a call outside the
 * allow-list refused with EPERM, counted and reported by name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/privdrop.h"

/* Child exit codes: which check failed. */
enum { OK = 0, E_APPLY = 10, E_STATUS, E_CAPEFF, E_CAPPRM, E_CAPBND, E_CAPINH, E_NNP, E_SECCOMP,
       E_EXEC_RAN, E_EXEC_ERRNO, E_COUNT, E_REPORT, E_ALLOWED };

static unsigned long long status_hex(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoull(p + strlen(key), NULL, 16) : ~0ull;
}

static long status_dec(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static char report_line[256];

static void on_report(void *ctx, const char *line)
{
	snprintf(report_line, sizeof(report_line), "%s", line);
}

static int child(void)
{
	char err[256], status[8192];
	char *const argv[] = { "true", NULL };
	uint64_t keep = edr_privdrop__keep();
	FILE *f;
	size_t n;
	int root = geteuid() == 0;

	if (edr_privdrop__apply(1, err, sizeof(err))) {
		fprintf(stderr, "apply: %s\n", err);
		return E_APPLY;
	}
	f = fopen("/proc/self/status", "re");
	if (!f)
		return E_STATUS;
	n = fread(status, 1, sizeof(status) - 1, f);
	status[n] = 0;
	fclose(f);
	/* As root (the test runs as root in CI): exactly the documented set. */
	if (root && status_hex(status, "CapEff:\t") != keep)
		return E_CAPEFF;
	if (root && status_hex(status, "CapPrm:\t") != keep)
		return E_CAPPRM;
	if (root && status_hex(status, "CapBnd:\t") != keep)
		return E_CAPBND;
	if (status_hex(status, "CapInh:\t") != 0)
		return E_CAPINH;
	if (status_dec(status, "NoNewPrivs:\t") != 1)
		return E_NNP;
	if (status_dec(status, "Seccomp:\t") != 2)
		return E_SECCOMP;
	/* Outside the allow-list: refused, not run, not killed. */
	execve("/bin/true", argv, NULL);
	if (errno != EPERM)
		return E_EXEC_ERRNO;
	if (edr_privdrop__denied() != 1)
		return E_COUNT;
	edr_privdrop__report(on_report, NULL);
	if (!strstr(report_line, "seccomp: refused execve (nr ") || !strstr(report_line, "1 times"))
		return E_REPORT;
	/* Inside it: still works. */
	if (getppid() <= 0 || write(STDERR_FILENO, "", 0) != 0)
		return E_ALLOWED;
	return OK;
}

static void test_drop(void **state)
{
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
