// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ground-truth helper for e2e tests: loads a trivial socket filter (return
 * 0) with the raw bpf() syscall, no libbpf, under the name given, and prints
 * what it did as one JSON object.
 * usage: bpfload NAME
 */
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/helpers/return0.h"

int main(int argc, char **argv)
{
	char exe[PATH_MAX];
	union bpf_attr a;
	ssize_t n;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof(a.prog_name)) {
		fprintf(stderr, "usage: bpfload NAME (at most %zu bytes)\n", sizeof(a.prog_name) - 1);
		return 2;
	}
	fd = edr_load_return0(BPF_PROG_TYPE_SOCKET_FILTER, argv[1]);
	if (fd < 0) {
		fprintf(stderr, "bpfload: BPF_PROG_LOAD: %s\n", strerror(errno));
		return 1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		fprintf(stderr, "bpfload: /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = 0;
	printf("{\"pid\":%d,\"exe\":\"%s\",\"name\":\"%s\",\"fd\":%d,\"insn_cnt\":2}\n", getpid(), exe,
	       argv[1], fd);
	return 0;
}
