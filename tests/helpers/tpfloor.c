// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark helper: the floor under a tracepoint-based sensor. Attaches a
 * BPF program that does nothing (return 0) to each tracepoint given, with
 * the raw bpf() and perf_event_open() syscalls (no libbpf, no BPF object),
 * prints "ready" and holds them until SIGTERM or SIGINT. What a storm
 * loses with this running is what the hook itself costs, before any work
 * of the sensor's programs.
 * usage: tpfloor CATEGORY/NAME...   (e.g. syscalls/sys_exit_openat)
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/helpers/return0.h"

static const char *const tracefs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static long tp_id(const char *tp)
{
	char path[512];
	long id = -1;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(tracefs) / sizeof(tracefs[0]) && id < 0; i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", tracefs[i], tp);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
	}
	return id;
}

static int attach(int prog, const char *tp)
{
	struct perf_event_attr pa;
	long id = tp_id(tp);
	int fd;

	if (id < 0) {
		fprintf(stderr, "tpfloor: %s: no such tracepoint (is tracefs mounted?)\n", tp);
		return -1;
	}
	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.size = sizeof(pa);
	pa.config = id;
	pa.sample_period = 1;
	fd = syscall(SYS_perf_event_open, &pa, -1 /* any pid */, 0 /* cpu */, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tpfloor: %s: perf_event_open: %s\n", tp, strerror(errno));
		return -1;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) < 0 || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		fprintf(stderr, "tpfloor: %s: attach: %s\n", tp, strerror(errno));
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	sigset_t set;
	int prog, i, sig;

	if (argc < 2) {
		fprintf(stderr, "usage: tpfloor CATEGORY/NAME...\n");
		return 2;
	}
	prog = edr_load_return0(BPF_PROG_TYPE_TRACEPOINT, "edr_floor");
	if (prog < 0) {
		fprintf(stderr, "tpfloor: BPF_PROG_LOAD: %s\n", strerror(errno));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* As libbpf does: one event (any pid, CPU 0); the program joins the
	 * tracepoint's program array, which runs on every CPU. */
	for (i = 1; i < argc; i++)
		if (attach(prog, argv[i]) < 0)
			return 1;
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	return 0;
}
