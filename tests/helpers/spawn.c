// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground-truth helper for e2e tests: forks and execs /bin/echo with the
 * given arguments (in a fresh directory), then forks a child that exits
 * with status 7, and prints what it did as one JSON object.
 * usage: spawn ARG...
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Arguments are printed hex-encoded: the test compares bytes exactly. */
static void hex(const char *s)
{
	putchar('"');
	for (; *s; s++)
		printf("%02x", (unsigned char)*s);
	putchar('"');
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/edr-e2e-XXXXXX", exe[PATH_MAX], cwd[PATH_MAX];
	char **eargv = calloc(argc + 1, sizeof(char *));
	pid_t echo_pid, exit_pid;
	int st, i;
	ssize_t n;

	if (!eargv || !mkdtemp(dir) || !realpath(dir, cwd))
		return 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return 1;
	exe[n] = 0;
	eargv[0] = "/bin/echo";
	for (i = 1; i < argc; i++)
		eargv[i] = argv[i];
	echo_pid = fork();
	if (echo_pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		if (chdir(dir))
			_exit(126);
		execv(eargv[0], eargv);
		_exit(127);
	}
	waitpid(echo_pid, &st, 0);
	exit_pid = fork();
	if (exit_pid == 0)
		_exit(7);
	waitpid(exit_pid, &st, 0);
	rmdir(dir);
	printf("{\"pid\":%d,\"uid\":%u,\"exe\":", getpid(), getuid());
	hex(exe);
	printf(",\"echo_pid\":%d,\"cwd\":", echo_pid);
	hex(cwd);
	printf(",\"argv\":[");
	for (i = 0; eargv[i]; i++) {
		if (i)
			putchar(',');
		hex(eargv[i]);
	}
	printf("],\"exit_pid\":%d,\"exit_status\":%d}\n", exit_pid, WEXITSTATUS(st));
	return 0;
}
