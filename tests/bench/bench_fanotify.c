// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exec latency through the fanotify permission path (driven by
 * tests/bench/fanotify_overhead.py; root). One run = one configuration:
 *   none      no group: fork + exec + wait of a small binary
 *   cached    a group on every filesystem, decide answering from a verdict
 *             cached by file identity (the steady state of a known binary)
 *   none-big  no group, a fresh 10 MB copy of the binary for every exec
 *   hash      the group, decide hashing that fresh 10 MB copy through the
 *             hash cache (digest_fd, a miss every time) and building the
 *             pre-exec view before answering
 * Prints one exec latency per line, in microseconds: fork to reaped child
 * (the copy for the big modes is made before the clock starts).
 *
 * usage: bench_fanotify MODE N DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sensor/enrich/hashcache.h"
#include "sensor/response/fanotify.h"
#include "sensor/sigma_map.h"

#define BIG (10u << 20)
#define VERDICTS 64

static struct edr_hashcache *hc;
static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static struct { uint32_t dev; uint64_t ino, ctime_ns; int used; } verdicts[VERDICTS];

static int cached(const struct edr_fan_req *r)
{
	int i, hit = 0;

	pthread_mutex_lock(&vlock);
	for (i = 0; i < VERDICTS && !hit; i++)
		hit = verdicts[i].used && verdicts[i].dev == r->dev && verdicts[i].ino == r->ino &&
		      verdicts[i].ctime_ns == r->ctime_ns;
	pthread_mutex_unlock(&vlock);
	return hit;
}

static void remember(const struct edr_fan_req *r)
{
	static unsigned next;

	pthread_mutex_lock(&vlock);
	verdicts[next % VERDICTS].dev = r->dev;
	verdicts[next % VERDICTS].ino = r->ino;
	verdicts[next % VERDICTS].ctime_ns = r->ctime_ns;
	verdicts[next % VERDICTS].used = 1;
	next++;
	pthread_mutex_unlock(&vlock);
}

/* The full decision: hash (cached or not), the view, a verdict. */
static enum edr_fan_verdict decide(const struct edr_fan_req *r, void *ctx)
{
	static __thread struct edr_sigma_view v;
	struct edr_file_ident id = { .dev = r->dev, .ino = r->ino };
	char hex[EDR_SHA256_HEX_LEN + 1];

	if (r->kind != EDR_FAN_EXEC || cached(r))
		return EDR_FAN_ALLOW;
	edr_fan_exec_view(&v, r, edr_hashcache__digest_fd(hc, r->fd, &id, hex) ? NULL : hex);
	remember(r);
	return EDR_FAN_ALLOW;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int copy(const char *from, const char *to, size_t pad)
{
	static char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;
	size_t done = 0;

	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	/* Trailing bytes an ELF loader never maps: a 10 MB file that still runs. */
	memset(buf, 0xa5, sizeof(buf));
	for (; done < pad; done += sizeof(buf))
		if (write(out, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	close(in);
	return close(out);
}

static uint64_t exec_once(const char *path)
{
	char *argv[] = { (char *)path, NULL };
	uint64_t t0 = now_us();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		exit(1);
	if (!pid) {
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench_fanotify: exec of %s failed\n", path);
		exit(1);
	}
	return now_us() - t0;
}

int main(int argc, char **argv)
{
	struct edr_hashcache_opts ho = { .max_file_size = 64 << 20 };
	struct edr_fanotify_opts fo = { .decide = decide };
	struct edr_fanotify *f = NULL;
	char err[512], small[512], big[512];
	const char *mode;
	int n, i, group, fresh;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_fanotify none|cached|none-big|hash N DIR\n");
		return 2;
	}
	mode = argv[1];
	n = atoi(argv[2]);
	group = !strcmp(mode, "cached") || !strcmp(mode, "hash");
	fresh = !strcmp(mode, "none-big") || !strcmp(mode, "hash");
	snprintf(small, sizeof(small), "%s/true", argv[3]);
	snprintf(big, sizeof(big), "%s/big", argv[3]);
	if (copy("/bin/true", small, 0))
		return 1;
	hc = edr_hashcache__new(&ho);
	if (!hc)
		return 1;
	if (group) {
		f = edr_fanotify__new(&fo, err, sizeof(err));
		if (!f || edr_fanotify__watch_exec(f, err, sizeof(err))) {
			fprintf(stderr, "bench_fanotify: %s\n", err);
			return 1;
		}
	}
	exec_once(small); /* warm: page cache, and the verdict cache in "cached" */
	for (i = 0; i < n; i++) {
		if (fresh && (unlink(big), copy("/bin/true", big, BIG)))
			return 1;
		printf("%llu\n", (unsigned long long)exec_once(fresh ? big : small));
	}
	if (f) {
		struct edr_fanotify_stats st;

		edr_fanotify__stats(f, &st);
		fprintf(stderr, "bench_fanotify %s: requests %llu allowed %llu timeouts %llu queue_full %llu\n",
			mode, (unsigned long long)st.requests, (unsigned long long)st.allowed,
			(unsigned long long)st.timeouts, (unsigned long long)st.queue_full);
	}
	edr_fanotify__free(f);
	edr_hashcache__free(hc);
	unlink(small);
	unlink(big);
	return 0;
}
