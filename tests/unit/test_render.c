// SPDX-License-Identifier: GPL-2.0-only
/* edrctl's table and JSON renderers of flat key/value replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "sensor/ctl/render.h"

#define S(k, v) { .type = EDR_CTL_STR, .key = (char *)(k), .s = (char *)(v) }
#define I(k, v) { .type = EDR_CTL_INT, .key = (char *)(k), .n = (v) }

static char *table(const struct edr_ctl_item *items, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(edr_render_table(f, items, n), 0);
	fclose(f);
	return buf;
}

static char *json(const struct edr_ctl_item *items, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(edr_render_json(f, items, n), 0);
	fclose(f);
	return buf;
}

static const struct edr_ctl_item status[] = {
	S("state", "running"),
	I("uptime_sec", 3723),
	S("version", "0.1.0"),
	S("kernel", "6.18.0"),
	S("feature.exec.attach", "tracepoint"),
	S("feature.exec.state", "attached"),
	S("feature.file.attach", ""),
	S("feature.file.state", "unavailable"),
	S("feature.network.state", "disabled"),
	I("content.version", 12),
	S("content.state", "active"),
};

static void test_status_table(void **state)
{
	char *out = table(status, sizeof(status) / sizeof(status[0]));

	assert_string_equal(out,
		"state            running\n"
		"uptime_sec       1h02m03s\n"
		"version          0.1.0\n"
		"kernel           6.18.0\n"
		"content.version  12\n"
		"content.state    active\n"
		"\n"
		"FEATURE  ATTACH      STATE\n"
		"exec     tracepoint  attached\n"
		"file     -           unavailable\n"
		"network  -           disabled\n");
	free(out);
}

static void test_status_json(void **state)
{
	char *out = json(status, sizeof(status) / sizeof(status[0]));

	assert_string_equal(out,
		"{\"state\":\"running\",\"uptime_sec\":3723,\"version\":\"0.1.0\",\"kernel\":\"6.18.0\","
		"\"feature\":{\"exec\":{\"attach\":\"tracepoint\",\"state\":\"attached\"},"
		"\"file\":{\"attach\":\"\",\"state\":\"unavailable\"},\"network\":{\"state\":\"disabled\"}},"
		"\"content\":{\"version\":12,\"state\":\"active\"}}\n");
	free(out);
}

/* Several tables, numbers right-aligned, units by suffix, dotted row names. */
static void test_stats_table(void **state)
{
	static const struct edr_ctl_item stats[] = {
		I("events.exec.read", 1500),
		I("events.exec.emitted", 1499),
		I("events.exit.read", 7),
		I("events.exit.emitted", 7),
		I("cpu.0.drops", 0),
		I("cpu.1.drops", 123456),
		I("rss_bytes", 25165824),
		I("cpu_user_ms", 1250),
		I("alerts.rule.with.dots.count", 3),
		I("ring_buffer.size_bytes", 8 << 20),
		I("started_at", 0),
	};
	char *out = table(stats, sizeof(stats) / sizeof(stats[0]));

	assert_string_equal(out,
		"rss_bytes               24.0M\n"
		"cpu_user_ms             1.250s\n"
		"ring_buffer.size_bytes  8.0M\n"
		"started_at              -\n"
		"\n"
		"EVENTS  READ  EMITTED\n"
		"exec    1500     1499\n"
		"exit       7        7\n"
		"\n"
		"CPU   DROPS\n"
		"0         0\n"
		"1    123456\n"
		"\n"
		"ALERTS          COUNT\n"
		"rule.with.dots      3\n");
	free(out);
}

/* Hostile strings: no terminal escapes in the table, valid JSON. */
static void test_escaping(void **state)
{
	static const struct edr_ctl_item items[] = {
		S("title", "a\x1b[31mred\x07\"q\"\\"),
		S("utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		S("bad", "x\xff\xc3y\xed\xa0\x80z"),
		S("nl", "line1\nline2\ttab\r"),
	};
	char *t = table(items, 4), *j = json(items, 4);

	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\x07'));
	assert_non_null(strstr(t, "title  a?[31mred?\"q\"\\\n"));
	assert_non_null(strstr(t, "nl     line1?line2?tab?\n"));
	assert_string_equal(j,
		"{\"title\":\"a\\u001b[31mred\\u0007\\\"q\\\"\\\\\","
		"\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
		"\"bad\":\"x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\","
		"\"nl\":\"line1\\nline2\\ttab\\r\"}\n");
	free(t);
	free(j);
}

static void test_edge_shapes(void **state)
{
	static const struct edr_ctl_item items[] = {
		I("a", 1),
		I("a.b", 2),
		I("a", 3), /* duplicate: first wins in JSON */
		I("neg", -5),
		I("big", INT64_MAX),
	};
	char *j = json(items, 5), *t;

	assert_string_equal(j, "{\"a\":{\"_value\":1,\"b\":2},\"neg\":-5,\"big\":9223372036854775807}\n");
	free(j);
	j = json(NULL, 0);
	assert_string_equal(j, "{}\n");
	free(j);
	t = table(NULL, 0);
	assert_string_equal(t, "");
	free(t);
}

static void test_units(void **state)
{
	static const struct edr_ctl_item at[] = { I("started_at", 1790000000) };
	char buf[32], *t;

	setenv("TZ", "UTC", 1);
	tzset();
	t = table(at, 1);
	assert_string_equal(t, "started_at  2026-09-21 14:13:20\n");
	free(t);

	assert_string_equal(edr_render_bytes(0, buf, sizeof(buf)), "0");
	assert_string_equal(edr_render_bytes(1023, buf, sizeof(buf)), "1023");
	assert_string_equal(edr_render_bytes(1024, buf, sizeof(buf)), "1.0K");
	assert_string_equal(edr_render_bytes(1536, buf, sizeof(buf)), "1.5K");
	assert_string_equal(edr_render_bytes(INT64_MAX, buf, sizeof(buf)), "8.0E");
	assert_string_equal(edr_render_seconds(0, buf, sizeof(buf)), "0s");
	assert_string_equal(edr_render_seconds(59, buf, sizeof(buf)), "59s");
	assert_string_equal(edr_render_seconds(61, buf, sizeof(buf)), "1m01s");
	assert_string_equal(edr_render_seconds(90061, buf, sizeof(buf)), "1d01h01m01s");
	assert_string_equal(edr_render_seconds(-1, buf, sizeof(buf)), "-1");
}

/* Thousands of rows (alerts per rule) render without trouble. */
static void test_many_rows(void **state)
{
	enum { N = 5000 };
	struct edr_ctl_item *items = calloc(N, sizeof(*items));
	char (*keys)[64] = calloc(N, 64);
	char *t, *j;
	size_t i, lines = 0;

	assert_non_null(items);
	assert_non_null(keys);
	for (i = 0; i < N; i++) {
		snprintf(keys[i], 64, "alerts.rule-%zu.count", i);
		items[i].type = EDR_CTL_INT;
		items[i].key = keys[i];
		items[i].n = (int64_t)i;
	}
	t = table(items, N);
	for (char *p = t; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, N + 1);
	assert_non_null(strstr(t, "rule-4999   4999\n"));
	j = json(items, N);
	assert_non_null(strstr(j, "\"rule-4999\":{\"count\":4999}}}\n"));
	free(t);
	free(j);
	free(keys);
	free(items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_stats_table),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_edge_shapes),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_many_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
