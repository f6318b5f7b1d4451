// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench_content: what a content update costs.
 *   1. One load of a signed bundle of N rules (default 1,000) through the
 *      whole pipeline, with the time of each stage; the swap itself (RCU
 *      publication, grace period, freeing the old set) and the compile that
 *      precedes it are reported apart.
 *   2. Events per second evaluated by one event thread, first with no
 *      update running, then while the main thread loads new versions back
 *      to back; every evaluation must succeed and see exactly one set.
 * Usage: bench_content [NRULES] [SWAPS]
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sensor/content/content.h"

static uint8_t pk[32], sk[64];
static char tmp[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const verbs[] = { "curl", "wget", "nc", "socat", "python3", "perl", "bash",
				     "openssl", "base64", "chmod" };

/* N rules, in files of 100, each with its own patterns and samples. */
static const char *make_bundle(size_t n, uint64_t version)
{
	static char path[8][160];
	static int k;
	struct edr_bundle_src src[128] = { { 0 } };
	struct edr_bundle_wopts o = { .version = version, .created = 1700000000 };
	struct edr_bundle_err err;
	char *texts[128], names[128][32], *p = path[k++ % 8];
	uint8_t *out;
	size_t len, i, f, nf = (n + 99) / 100;
	FILE *fp;

	for (f = 0; f < nf; f++) {
		size_t cap = 100 * 1024, off = 0;

		texts[f] = malloc(cap);
		for (i = f * 100; i < n && i < (f + 1) * 100; i++)
			off += (size_t)snprintf(texts[f] + off, cap - off,
				"---\ntitle: bench rule %zu\nid: bbbbbbbb-0000-0000-0000-%012zu\n"
				"logsource: {product: linux, category: process_creation}\n"
				"detection:\n  sel:\n    Image|endswith: '/%s'\n"
				"    CommandLine|contains|all: ['--opt-%zu', 'x%zuy']\n"
				"  filter:\n    ParentImage|startswith: '/usr/lib/bench%zu/'\n"
				"  condition: sel and not filter\nlevel: medium\n"
				"x-edr-samples:\n  match:\n    - Image: /usr/bin/%s\n"
				"      CommandLine: %s --opt-%zu x%zuy\n"
				"  nomatch:\n    - Image: /usr/bin/true\n",
				i, i, verbs[i % 10], i, i, i, verbs[i % 10], verbs[i % 10], i, i);
		snprintf(names[f], sizeof(names[f]), "bench%03zu.yml", f);
		src[f] = (struct edr_bundle_src){ names[f], (const uint8_t *)texts[f], off };
	}
	if (edr_bundle__build(src, nf, &o, sk, &out, &len, &err)) {
		fprintf(stderr, "bench_content: %s\n", err.msg);
		exit(1);
	}
	for (f = 0; f < nf; f++)
		free(texts[f]);
	snprintf(p, 160, "%s/v%llu.bundle", tmp, (unsigned long long)version);
	fp = fopen(p, "w");
	if (!fp || fwrite(out, 1, len, fp) != len || fclose(fp)) {
		perror(p);
		exit(1);
	}
	free(out);
	return p;
}

struct stage_clock {
	double t0, last;
};

static void on_stage(const char *line, void *ctx)
{
	struct stage_clock *c = ctx;
	double t = now_s();

	printf("  %7.1f ms  %s\n", (t - c->last) * 1e3, line);
	c->last = t;
}

struct storm {
	struct edr_content *mgr;
	volatile int stop;
	unsigned long long events, errors;
};

static void *storm(void *arg)
{
	struct storm *st = arg;
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION), f };
	char cmd[8][96];
	int i;

	for (i = 0; i < 8; i++)
		snprintf(cmd[i], sizeof(cmd[i]), "%s --opt-%d x%dy --other-flags /tmp/file-%d",
			 verbs[i % 10], i * 37, i * 37, i);
	edr_content__thread_init();
	memset(f, 0, sizeof(f));
	while (!st->stop) {
		const char *c = cmd[st->events % 8];

		f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ "/usr/bin/curl", 13, 0, 1 };
		f[EDR_F_PROCESS_CREATION_COMMAND_LINE] =
			(struct edr_field_value){ c, (uint32_t)strlen(c), 0, 1 };
		f[EDR_F_PROCESS_CREATION_PARENT_IMAGE] =
			(struct edr_field_value){ "/usr/bin/bash", 13, 0, 1 };
		if (edr_content__eval(st->mgr, &ev, NULL, NULL) < 0)
			st->errors++;
		st->events++;
	}
	edr_content__thread_fini();
	return NULL;
}

/* Keeps the largest "swapped in N us" reported. */
static void grab_swap(const char *line, void *ctx)
{
	const char *p = strstr(line, "swapped in ");
	double *max = ctx, us;

	if (p && sscanf(p, "swapped in %lf us", &us) == 1 && us / 1e3 > *max)
		*max = us / 1e3;
}

static double rate(struct storm *st, double secs, int swaps, size_t nrules, uint64_t *version,
		   double *swap_ms_max)
{
	pthread_t t;
	unsigned long long e0;
	double t0, t1;
	char err[768];
	int i;

	st->stop = 0;
	st->events = 0;
	pthread_create(&t, NULL, storm, st);
	usleep(100000);
	e0 = st->events;
	t0 = now_s();
	if (!swaps) {
		usleep((useconds_t)(secs * 1e6));
	} else {
		for (i = 0; i < swaps; i++) {
			const char *b = make_bundle(nrules, ++*version);

			if (edr_content__load(st->mgr, b, NULL, grab_swap, swap_ms_max, err,
					      sizeof(err))) {
				fprintf(stderr, "bench_content: %s\n", err);
				exit(1);
			}
			unlink(b);
		}
	}
	t1 = now_s();
	st->stop = 1;
	pthread_join(t, NULL);
	return (double)(st->events - e0) / (t1 - t0);
}

int main(int argc, char **argv)
{
	size_t nrules = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	int swaps = argc > 2 ? atoi(argv[2]) : 5;
	struct edr_content_opts o = { 0 };
	struct edr_bundle_key key;
	struct stage_clock sc;
	struct storm st = { 0 };
	struct edr_content *mgr;
	char cdir[128], err[768], cmd[128];
	uint8_t seed[32];
	uint64_t version = 1;
	double base, during, t0, swap_max = 0;
	const char *b;

	if (sodium_init() < 0 || nrules == 0 || nrules > 10000)
		return 2;
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	edr_bundle_key__from_pk(&key, pk);
	snprintf(tmp, sizeof(tmp), "/tmp/bench_content.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(cdir, sizeof(cdir), "%s/content", tmp);
	o.content_dir = cdir;
	o.keys = &key;
	o.nkeys = 1;
	mgr = edr_content__new(&o, err, sizeof(err));
	if (!mgr) {
		fprintf(stderr, "bench_content: %s\n", err);
		return 1;
	}

	printf("bench_content: load of %zu rules through the whole pipeline\n", nrules);
	b = make_bundle(nrules, version);
	sc.t0 = sc.last = now_s();
	if (edr_content__load(mgr, b, NULL, on_stage, &sc, err, sizeof(err))) {
		fprintf(stderr, "bench_content: %s\n", err);
		return 1;
	}
	printf("  %7.1f ms  total: %s\n", (now_s() - sc.t0) * 1e3, err);

	st.mgr = mgr;
	base = rate(&st, 3.0, 0, nrules, &version, NULL);
	printf("bench_content: %.0f events/s with %zu rules, no update running (%llu errors)\n",
	       base, nrules, st.errors);
	t0 = now_s();
	during = rate(&st, 0, swaps, nrules, &version, &swap_max);
	printf("bench_content: %.0f events/s during %d back-to-back loads of %zu rules "
	       "(%.0f%% of idle; %.2f s per load; longest swap %.2f ms; %llu errors)\n",
	       during, swaps, nrules, base > 0 ? 100.0 * during / base : 0.0,
	       (now_s() - t0) / swaps, swap_max, st.errors);
	edr_content__free(mgr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		return 1;
	return st.errors ? 1 : 0;
}
