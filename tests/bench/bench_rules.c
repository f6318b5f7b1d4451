// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule engine replay benchmark: 1,000,000 synthetic process_creation events
 * against 1,000 generated rules and against 10, on one thread. Reports the
 * thread's CPU time, so the figure is events/s per core whatever else runs.
 *
 * The generated rules look like real ones (endswith on Image, contains and
 * contains|all on CommandLine, parent filters, some regexes, shared shell
 * names), and about 1% of the events are built to match one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/edr_rules.h"

#define NEVENTS 1000000
/*
 * Distinct events replayed in a loop. Small enough to stay in cache, as an
 * event the sensor has just decoded is: a pool of megabytes would measure
 * memory misses on the event array, not the engine.
 */
#define POOL 256

static const char *const bins[] = {
	"/usr/bin/ls", "/usr/bin/cat", "/usr/bin/grep", "/usr/bin/bash", "/usr/bin/sed",
	"/usr/bin/awk", "/usr/bin/python3", "/usr/bin/git", "/usr/bin/make", "/usr/bin/gcc",
	"/usr/sbin/sshd", "/usr/bin/systemctl", "/usr/bin/journalctl", "/usr/bin/find",
	"/usr/bin/tar", "/usr/bin/curl", "/usr/bin/sort", "/usr/bin/head", "/usr/bin/id",
	"/usr/lib/systemd/systemd-journald",
};
static const char *const parents[] = {
	"/usr/bin/bash", "/usr/lib/systemd/systemd", "/usr/bin/make", "/usr/sbin/cron",
	"/usr/bin/python3", "/usr/sbin/sshd", "/usr/bin/zsh",
};

static char *gen_rules(unsigned n)
{
	size_t cap = (size_t)n * 700 + 1, len = 0;
	char *y = malloc(cap);
	unsigned i;

	if (!y)
		exit(1);
	for (i = 0; i < n; i++) {
		len += (size_t)snprintf(y + len, cap - len,
					"%stitle: Generated rule %u\nid: gen-%u\nstatus: test\n"
					"tags: [attack.execution, attack.t1059.004]\n"
					"logsource: {product: linux, category: process_creation}\n"
					"level: medium\ndetection:\n",
					i ? "---\n" : "", i, i);
		switch (i % 10) {
		case 0: case 1: case 2: case 3:
			len += (size_t)snprintf(y + len, cap - len,
				"  selection:\n    Image|endswith: '/tool%u'\n"
				"    CommandLine|contains:\n      - '--opt%u'\n      - ' -x%u '\n"
				"  condition: selection\n", i, i, i);
			break;
		case 4: case 5: case 6:
			len += (size_t)snprintf(y + len, cap - len,
				"  selection:\n    CommandLine|contains|all:\n      - 'word%ua'\n      - 'word%ub'\n"
				"  filter:\n    ParentImage|startswith: '/usr/lib/pkg%u/'\n"
				"  condition: selection and not filter\n", i, i, i);
			break;
		case 7: case 8:
			len += (size_t)snprintf(y + len, cap - len,
				"  sel_parent:\n    ParentImage|endswith: '/parent%u'\n"
				"  sel_shell:\n    Image|endswith: ['/sh', '/bash', '/dash']\n"
				"  condition: all of sel_*\n", i);
			break;
		default:
			len += (size_t)snprintf(y + len, cap - len,
				"  selection:\n    CommandLine|re: 'tool%u\\s+-[a-z]+\\s+[0-9]{2,}'\n"
				"  condition: selection\n", i);
			break;
		}
	}
	return y;
}

struct ev {
	char img[64], cl[192], pimg[64], cwd[32];
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
};

static void gen_events(struct ev *evs, unsigned nrules)
{
	unsigned i;

	srand(42);
	for (i = 0; i < POOL; i++) {
		struct ev *e = &evs[i];
		unsigned r = (unsigned)rand();
		const char *b = bins[r % (sizeof(bins) / sizeof(bins[0]))];

		if (i % 100 == 0) {
			/* a hit on a rule of the first kind */
			unsigned k = (r % (nrules / 10 ? nrules / 10 : 1)) * 10;

			snprintf(e->img, sizeof(e->img), "/opt/x/tool%u", k);
			snprintf(e->cl, sizeof(e->cl), "tool%u --opt%u --verbose /var/lib/data/%u", k, k, r);
		} else {
			snprintf(e->img, sizeof(e->img), "%s", b);
			snprintf(e->cl, sizeof(e->cl), "%s --color=auto -l /home/user%u/projects/src/file%u.c "
				 "--include=*.h -o /tmp/build-%u/out.o", strrchr(b, '/') + 1, r % 50,
				 r % 1000, r % 77);
		}
		snprintf(e->pimg, sizeof(e->pimg), "%s", parents[(r >> 8) % (sizeof(parents) / sizeof(parents[0]))]);
		snprintf(e->cwd, sizeof(e->cwd), "/home/user%u", r % 50);
		memset(e->f, 0, sizeof(e->f));
#define S(F, v) e->f[EDR_F_PROCESS_CREATION_##F] = (struct edr_field_value){ .s = v, .len = (uint32_t)strlen(v), .set = 1 }
#define I(F, v) e->f[EDR_F_PROCESS_CREATION_##F] = (struct edr_field_value){ .n = v, .set = 1 }
		S(IMAGE, e->img);
		S(COMMAND_LINE, e->cl);
		S(PARENT_IMAGE, e->pimg);
		S(CURRENT_DIRECTORY, e->cwd);
		S(USER, "user");
		S(PARENT_USER, "user");
		I(PROCESS_ID, 1000 + i);
		I(PARENT_PROCESS_ID, 999 + i);
		I(USER_ID, 1000);
	}
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct edr_ruleset *load_generated(unsigned nrules, double *secs)
{
	struct edr_rules_err err = { 0 };
	char *y = gen_rules(nrules), *p = y, *start = y;
	struct edr_rule_src srcs[64];
	struct edr_ruleset *rs;
	size_t nsrc = 0;
	unsigned docs = 0;
	double t0;

	/* more rules than one file's document limit: split into files of 500 */
	while ((p = strstr(p, "\n---\n"))) {
		if (++docs % 500 == 0 && nsrc < 63) {
			srcs[nsrc++] = (struct edr_rule_src){ "bench.yml", start, (size_t)(p + 1 - start) };
			start = p + 1;
		}
		p++;
	}
	srcs[nsrc++] = (struct edr_rule_src){ "bench.yml", start, strlen(start) };
	t0 = cpu_now();
	rs = edr_ruleset__load_mem(srcs, nsrc, &err);
	*secs = cpu_now() - t0;
	if (!rs) {
		fprintf(stderr, "bench-rules: load failed: %s\n", err.msg);
		exit(1);
	}
	free(y);
	return rs;
}

/* Best of three passes over NEVENTS events: events/s on this thread's CPU. */
static double run(const char *what, const struct edr_ruleset *rs, double load,
		  const struct ev *evs)
{
	struct edr_matcher *m = edr_matcher__new(rs);
	const struct edr_rule *out[16];
	unsigned long matches = 0;
	double best = 0;
	unsigned i, pass;

	if (!m) {
		fprintf(stderr, "bench-rules: matcher: %s\n", strerror(errno));
		exit(1);
	}
	for (pass = 0; pass < 3; pass++) {
		double t0 = cpu_now(), rate;

		matches = 0;
		for (i = 0; i < NEVENTS; i++) {
			struct edr_rule_event ev = { .cat = EDR_CAT_PROCESS_CREATION,
						     .nfields = EDR_NFIELDS(PROCESS_CREATION),
						     .f = evs[i % POOL].f };
			int n = edr_matcher__eval(m, &ev, out, 16);

			if (n < 0) {
				fprintf(stderr, "bench-rules: eval: %s\n", strerror(-n));
				exit(1);
			}
			matches += (unsigned long)n;
		}
		rate = NEVENTS / (cpu_now() - t0);
		if (rate > best)
			best = rate;
	}
	printf("bench-rules: %-22s %5zu rules (compiled in %.2f s): %.0f events/s/core "
	       "(best of 3 x %d events, %lu matches per pass)\n",
	       what, edr_ruleset__count(rs), load, best, NEVENTS, matches);
	edr_matcher__free(m);
	return best;
}

int main(int argc, char **argv)
{
	struct ev *evs = calloc(POOL, sizeof(*evs));
	struct edr_ruleset *rs;
	double big, small, load;

	if (!evs)
		return 1;
	gen_events(evs, 1000);
	rs = load_generated(1000, &load);
	big = run("generated", rs, load, evs);
	edr_ruleset__free(rs);
	rs = load_generated(10, &load);
	small = run("generated", rs, load, evs);
	edr_ruleset__free(rs);
	printf("bench-rules: throughput with 1000 rules is %.2f of that with 10 rules "
	       "(goal >= 1,000,000 events/s/core with 1000 rules: %s)\n",
	       big / small, big >= 1e6 ? "met" : "NOT met");

	/* the shipped pack, for reference (same synthetic events) */
	if (argc > 1) {
		struct edr_rules_err err = { 0 };
		double t0 = cpu_now();

		rs = edr_ruleset__load(argv[1], &err);
		load = cpu_now() - t0;
		if (!rs) {
			fprintf(stderr, "bench-rules: %s\n", err.msg);
			return 1;
		}
		run(argv[1], rs, load, evs);
		edr_ruleset__free(rs);
	}
	free(evs);
	return 0;
}
