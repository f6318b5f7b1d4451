// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec storm: N fork+exec of a program (default /bin/true), one after the
 * other. Prints the elapsed time in ns. Used by e2e tests and `make bench`.
 * usage: execstorm N [PROGRAM]
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000, i;
	char *prog = argc > 2 ? argv[2] : "/bin/true";
	char *args[] = { prog, NULL };
	struct timespec a, b;
	int st;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execv(prog, args);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "execstorm: %s failed\n", prog);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
