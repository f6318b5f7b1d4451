// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground-truth helper for e2e tests: run as root, drops to uid and gid
 * 65534 with setresgid() then setresuid(), and prints its pid, executable
 * and ids before and after as one JSON object.
 * usage: dropuid
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	uid_t r0, e0, s0, r1, e1, s1;
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0 || getresuid(&r0, &e0, &s0))
		return 1;
	exe[n] = 0;
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) || getresuid(&r1, &e1, &s1))
		return 1;
	/* the path is printed as is: the test's build directory has no quotes */
	printf("{\"pid\":%d,\"exe\":\"%s\",\"old_uid\":%u,\"old_euid\":%u,\"new_uid\":%u,\"new_euid\":%u}\n",
	       getpid(), exe, r0, e0, r1, e1);
	return 0;
}
