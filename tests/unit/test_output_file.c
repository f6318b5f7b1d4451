// SPDX-License-Identifier: GPL-2.0-only
/* The file output on a full disk (simulated with RLIMIT_FSIZE: writes past
 * it fail with EFBIG): only whole lines reach the file, the lines it could
 * not take wait in memory and go out when it can, what does not fit is
 * counted exactly, the episode is logged once at its start and once at its
 * end, and a gap record with the number lost follows the recovery. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/output/output.h"

static char dir[64], path[96];
static int nlogs;
static char lastlog[512];

static void log_fn(void *ctx, const char *msg)
{
	(void)ctx;
	nlogs++;
	snprintf(lastlog, sizeof(lastlog), "%s", msg);
}

static size_t gap_fn(void *ctx, const char *sink, uint64_t lost, const char *reason, char *buf,
		     size_t size)
{
	(void)ctx;
	(void)sink;
	return (size_t)snprintf(buf, size, "{\"gap\":%llu,\"reason\":\"%s\"}", (unsigned long long)lost,
				reason);
}

/* Lines in the file: every one whole; returns the count of "line" ones and
 * the gap record's number (or -1). */
static size_t read_back(long long *gap)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	size_t n = 0;

	*gap = -1;
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		assert_true(strlen(buf) > 0 && buf[strlen(buf) - 1] == '\n');
		if (!strncmp(buf, "{\"gap\":", 7))
			*gap = atoll(buf + 7);
		else
			assert_int_equal(strncmp(buf, "{\"line\":", 8), 0), n++;
	}
	fclose(f);
	return n;
}

static void set_fsize(rlim_t soft)
{
	struct rlimit r;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &r), 0);
	r.rlim_cur = soft;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static void put(struct edr_output *o, int i)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "{\"line\":%08d,\"pad\":\"%040d\"}", i, 0);

	edr_output__write(o, line, (size_t)n, 0, 0);
}

static void run(int total, rlim_t limit, int *written_out, long long *lost_out, long long *gap_out)
{
	struct edr_output o = { 0 };
	uint64_t w, lost, pend;
	long long gap;
	size_t inside;
	int i;

	unlink(path);
	nlogs = 0;
	o.log = log_fn;
	o.gap_line = gap_fn;
	assert_int_equal(edr_output__add(&o, edr_sink_file__new(path)), 0);
	set_fsize(limit);
	for (i = 0; i < total; i++) {
		put(&o, i);
		if (i % 100 == 99)
			edr_output__flush(&o);
	}
	edr_output__flush(&o);
	edr_output__sink_stats(&o, 0, &w, &lost, &pend);
	assert_true(pend > 0);                     /* the file is full: lines wait */
	assert_int_equal(w + lost + pend, total);  /* every line accounted for */
	assert_int_equal(nlogs, 1);                /* the first failure, once */
	assert_non_null(strstr(lastlog, "File too large"));
	inside = read_back(&gap);
	assert_int_equal(inside, w);
	assert_int_equal(gap, -1);
	/* Space again: the backlog goes out, then the gap record. */
	set_fsize(RLIM_INFINITY);
	edr_output__flush(&o);
	edr_output__sink_stats(&o, 0, &w, &lost, &pend);
	assert_int_equal(pend, 0);
	assert_int_equal(w + lost, total + (lost ? 1 : 0));
	assert_int_equal(nlogs, 2);
	assert_non_null(strstr(lastlog, "writing again"));
	inside = read_back(&gap);
	*written_out = (int)inside;
	*lost_out = (long long)lost;
	*gap_out = gap;
	edr_output__free(&o);
}

/* A short outage: the backlog holds everything, nothing is lost. */
static void test_short_outage_loses_nothing(void **state)
{
	int written;
	long long lost, gap;

	(void)state;
	run(2000, 8192, &written, &lost, &gap);
	assert_int_equal(written, 2000);
	assert_int_equal(lost, 0);
	assert_int_equal(gap, -1);
	assert_non_null(strstr(lastlog, "0 lines lost"));
}

/* A long one: past the 4 MiB backlog lines are lost, exactly counted, and
 * the gap record says how many. */
static void test_long_outage_counts_and_records_the_gap(void **state)
{
	int written;
	long long lost, gap;

	(void)state;
	run(120000, 8192, &written, &lost, &gap);
	assert_true(lost > 0);
	assert_int_equal(written + lost, 120000);
	assert_int_equal(gap, lost);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_output_file.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/events.json", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_outage_loses_nothing),
		cmocka_unit_test(test_long_outage_counts_and_records_the_gap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
