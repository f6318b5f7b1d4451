// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark (not a test): the exec latency the kernel enforcement adds.
 * Loads only the exec_enforce feature (whatever path this kernel gives:
 * lsm where the BPF LSM is active, kill-at-exec otherwise), fills the exec
 * map with ENTRIES identities that do not match, and times fork + exec +
 * wait of PROGRAM one exec at a time, alternating rounds: nothing loaded,
 * enforcement off (kill switch), enforcement on. Prints p50 and p99 per
 * configuration and the ratios against the unloaded baseline of the same run.
 *
 * usage: bench_enforce [N per round] [ROUNDS] [ENTRIES] [PROGRAM]
 * Root. Run on the host by `make bench-enforce`, in the 6.12 guest (BPF LSM
 * active) by `make bench-enforce-vm`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "loader/enforce.h"
#include "loader/loader.h"
#include "loader/probe.h"

enum { CFG_BASE, CFG_OFF, CFG_ON, NCFG };
static const char *const cfg_name[NCFG] = { "nothing loaded", "enforcement off", "enforcement on" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* n execs of prog, each one timed into out. 0 or -1. */
static int storm(const char *prog, long n, uint64_t *out)
{
	char *args[] = { (char *)prog, NULL };
	long i;
	int st;

	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		pid_t pid = fork();

		if (pid < 0)
			return perror("fork"), -1;
		if (pid == 0) {
			execv(prog, args);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "bench_enforce: %s did not exit 0\n", prog);
			return -1;
		}
		out[i] = now_ns() - t0;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static struct edr_loader *load(const struct edr_probe *probe, const char **path)
{
	struct edr_loader_opts o = { .self_tgid = (uint32_t)getpid() };
	const struct edr_feature_status *st;
	struct edr_loader *l;
	char err[256];
	int f, ef = edr_feature_by_name("exec_enforce");

	if (ef < 0) {
		fprintf(stderr, "bench_enforce: no exec_enforce feature\n");
		return NULL;
	}
	for (f = 0; f < edr_feature_count(); f++)
		o.disabled[f] = f != ef;
	l = edr_loader__new(probe, &o, err, sizeof(err));
	if (!l) {
		fprintf(stderr, "bench_enforce: %s\n", err);
		return NULL;
	}
	st = &edr_loader__status(l)[ef];
	if (st->chosen < 0) {
		fprintf(stderr, "bench_enforce: exec_enforce unavailable: %s\n",
			st->npaths ? st->why[st->npaths - 1] : "no path");
		edr_loader__free(l);
		return NULL;
	}
	*path = st->paths[st->chosen];
	return l;
}

/* ENTRIES identities on a device that does not exist: looked up, never hit. */
static int fill(struct edr_loader *l, size_t entries)
{
	struct edr_policy_exec *e = calloc(entries ? entries : 1, sizeof(*e));
	struct edr_policy p = { .exec = e, .nexec = entries };
	char err[256];
	size_t i;
	int rc;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < entries; i++)
		e[i] = (struct edr_policy_exec){ .dev = 0xfff00000u | 7, .ino = 1000000 + i, .rule = 1 };
	rc = edr_enforce__apply(l, &p, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bench_enforce: %s\n", err);
	free(e);
	return rc;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;
	int rounds = argc > 2 ? atoi(argv[2]) : 3;
	size_t entries = argc > 3 ? (size_t)atol(argv[3]) : 1000;
	const char *prog = argc > 4 ? argv[4] : "/bin/true";
	uint64_t *lat[NCFG], *tmp;
	const char *path = "?";
	struct edr_probe probe;
	struct edr_loader *l;
	size_t cnt[NCFG] = { 0 };
	int r, c;

	if (n < 10 || rounds < 1) {
		fprintf(stderr, "usage: bench_enforce [N >= 10] [ROUNDS] [ENTRIES] [PROGRAM]\n");
		return 2;
	}
	tmp = calloc((size_t)n, sizeof(*tmp));
	for (c = 0; c < NCFG; c++)
		lat[c] = calloc((size_t)n * (size_t)rounds, sizeof(uint64_t));
	if (!tmp || !lat[0] || !lat[1] || !lat[2])
		return 1;
	edr_probe__run(&probe);
	for (r = 0; r < rounds; r++) {
		/* Unloaded first, then loaded: off and on alternate within it. */
		if (storm(prog, n, tmp))
			return 1;
		memcpy(lat[CFG_BASE] + cnt[CFG_BASE], tmp, (size_t)n * sizeof(*tmp));
		cnt[CFG_BASE] += (size_t)n;
		l = load(&probe, &path);
		if (!l || fill(l, entries))
			return 1;
		for (c = CFG_OFF; c <= CFG_ON; c++) {
			int cc = (r & 1) ? (CFG_ON + CFG_OFF - c) : c;

			if (edr_enforce__set_enabled(l, cc == CFG_ON) || storm(prog, n, tmp))
				return 1;
			memcpy(lat[cc] + cnt[cc], tmp, (size_t)n * sizeof(*tmp));
			cnt[cc] += (size_t)n;
		}
		edr_loader__free(l);
	}
	printf("exec latency of %s, %ld execs x %d rounds, %zu entries in the exec map, kernel %s, path %s\n",
	       prog, n, rounds, entries, probe.kernel, path);
	printf("%-18s %10s %10s %10s %10s\n", "configuration", "p50 us", "p99 us", "p50 ratio", "p99 ratio");
	for (c = 0; c < NCFG; c++)
		qsort(lat[c], cnt[c], sizeof(uint64_t), cmp_u64);
	for (c = 0; c < NCFG; c++)
		printf("%-18s %10.1f %10.1f %9.3fx %9.3fx\n", cfg_name[c], pct(lat[c], cnt[c], 0.5) / 1e3,
		       pct(lat[c], cnt[c], 0.99) / 1e3,
		       (double)pct(lat[c], cnt[c], 0.5) / (double)pct(lat[CFG_BASE], cnt[CFG_BASE], 0.5),
		       (double)pct(lat[c], cnt[c], 0.99) / (double)pct(lat[CFG_BASE], cnt[CFG_BASE], 0.99));
	for (c = 0; c < NCFG; c++)
		free(lat[c]);
	free(tmp);
	return 0;
}
