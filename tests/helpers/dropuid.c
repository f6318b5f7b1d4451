// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground-truth helper for e2e tests, run as root. Prints its pid,
 * executable and uids before and after as one JSON object.
 *   dropuid          drops to uid and gid 65534: setresgid() then setresuid()
 *   dropuid regain   setresuid(1000, 1000, 0), then back to 0 through the
 *                    saved uid: an unprivileged euid becoming root, as an
 *                    exploit would look
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uid_t r0, e0, s0, r1, e1, s1;
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0 || getresuid(&r0, &e0, &s0))
		return 1;
	exe[n] = 0;
	if (argc > 1 && !strcmp(argv[1], "regain")) {
		if (setresuid(1000, 1000, 0) || getresuid(&r0, &e0, &s0) || setresuid(0, 0, 0))
			return 1;
	} else if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)) {
		return 1;
	}
	if (getresuid(&r1, &e1, &s1))
		return 1;
	/* the path is printed as is: the test's directories have no quotes */
	printf("{\"pid\":%d,\"exe\":\"%s\",\"old_uid\":%u,\"old_euid\":%u,\"new_uid\":%u,\"new_euid\":%u}\n",
	       getpid(), exe, r0, e0, r1, e1);
	return 0;
}
