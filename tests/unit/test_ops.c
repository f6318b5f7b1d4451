// SPDX-License-Identifier: GPL-2.0-only
/*
 * status/stats handlers: snapshot -> reply items, and the whole path through
 * a real control server and the edrctl binary (table, JSON, errors, exit
 * status). Run from the source tree, after build/edrctl is built.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/ctl_server.h"
#include "sensor/ctl/ops.h"

#ifndef EDRCTL_BIN
#define EDRCTL_BIN "build/edrctl"
#endif

static int fake_status(struct edr_sensor_status *st, void *arg)
{
	snprintf(st->version, sizeof(st->version), "0.1.0");
	snprintf(st->kernel, sizeof(st->kernel), "6.18.0-test");
	snprintf(st->host_name, sizeof(st->host_name), "host1");
	st->pid = 4242;
	st->uptime_sec = 3725;
	st->started_at = 1790000000;
	st->n_features = 2;
	snprintf(st->features[0].name, 32, "exec");
	snprintf(st->features[0].attach, 32, "tracepoint");
	snprintf(st->features[0].state, 32, "attached");
	snprintf(st->features[1].name, 32, "File IO"); /* made into a key part */
	snprintf(st->features[1].state, 32, "unavailable");
	snprintf(st->features[1].reason, 160, "lsm refused (EPERM), no kprobes");
	st->content_version = 12;
	snprintf(st->content_state, 16, "active");
	snprintf(st->content_source, 256, "/var/lib/edr/content/12.bundle");
	st->content_lkg_version = 11;
	st->n_outputs = 1;
	snprintf(st->outputs[0].dest, 256, "stdout");
	st->outputs[0].lines = 99;
	return 0;
}

static int fake_stats(struct edr_sensor_stats *st, void *arg)
{
	int *fail = arg;

	if (fail && *fail)
		return -EIO;
	st->read[EDR_EVENT_EXEC] = 10;
	st->emitted[EDR_EVENT_EXEC] = 9;
	st->read[EDR_EVENT_EXIT] = 5;
	st->emitted[EDR_EVENT_EXIT] = 5;
	st->decode_errors = 1;
	st->rule_evaluations = 15;
	st->alerts_total = 4;
	st->n_cpus = 2;
	st->cpus = calloc(2, sizeof(*st->cpus));
	st->n_alerts = 2;
	st->alerts = calloc(2, sizeof(*st->alerts));
	if (!st->cpus || !st->alerts)
		return -ENOMEM;
	st->cpus[1].drops = 7;
	st->cpus[0].emitted = 8;
	st->cpus[1].emitted = 8;
	snprintf(st->alerts[0].rule, sizeof(st->alerts[0].rule), "rare rule");
	st->alerts[0].count = 1;
	snprintf(st->alerts[1].rule, sizeof(st->alerts[1].rule), "reverse_shell");
	st->alerts[1].count = 3;
	st->ring_size_bytes = 8 << 20;
	st->ring_used_bytes = 2 << 20;
	return 0;
}

static int64_t int_item(const struct edr_ctl_reply *r, const char *key)
{
	const struct edr_ctl_item *it = edr_ctl_reply__find(r, key);

	if (!it || it->type != EDR_CTL_INT)
		fail_msg("no int item '%s'", key);
	return it->n;
}

static const char *str_item(const struct edr_ctl_reply *r, const char *key)
{
	const struct edr_ctl_item *it = edr_ctl_reply__find(r, key);

	if (!it || it->type != EDR_CTL_STR)
		fail_msg("no string item '%s'", key);
	return it->s;
}

static void test_status_reply(void **state)
{
	struct edr_sensor_status st = { 0 };
	struct edr_ctl_reply r;

	fake_status(&st, NULL);
	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ops__status_reply(&st, &r), 0);
	assert_string_equal(str_item(&r, "state"), "running");
	assert_int_equal(int_item(&r, "uptime_sec"), 3725);
	assert_string_equal(str_item(&r, "kernel"), "6.18.0-test");
	assert_string_equal(str_item(&r, "feature.exec.attach"), "tracepoint");
	assert_string_equal(str_item(&r, "feature.file_io.attach"), "-");
	assert_string_equal(str_item(&r, "feature.file_io.reason"), "lsm refused (EPERM), no kprobes");
	assert_int_equal(int_item(&r, "content.version"), 12);
	assert_string_equal(str_item(&r, "content.state"), "active");
	assert_int_equal(int_item(&r, "content.last_known_good"), 11);
	assert_null(edr_ctl_reply__find(&r, "content.shadow_version"));
	assert_string_equal(str_item(&r, "output.0.dest"), "stdout");
	assert_int_equal(int_item(&r, "output.0.lines"), 99);
	edr_ctl_reply__fini(&r);
}

static void test_stats_reply(void **state)
{
	struct edr_sensor_stats st = { 0 };
	struct edr_ctl_reply r;

	assert_int_equal(fake_stats(&st, NULL), 0);
	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ops__stats_reply(&st, &r), 0);
	assert_int_equal(int_item(&r, "events_read"), 15);
	assert_int_equal(int_item(&r, "events_emitted"), 14);
	assert_int_equal(int_item(&r, "events.exec.read"), 10);
	assert_int_equal(int_item(&r, "events.exec.emitted"), 9);
	assert_int_equal(int_item(&r, "events.exec_denied.read"), 0);
	assert_int_equal(int_item(&r, "kernel_drops"), 7);
	assert_int_equal(int_item(&r, "cpu.1.drops"), 7);
	assert_int_equal(int_item(&r, "decode_errors"), 1);
	assert_int_equal(int_item(&r, "rule_evaluations"), 15);
	assert_int_equal(int_item(&r, "ring_buffer.fill_pct"), 25);
	/* Most frequent rule first. */
	assert_string_equal(str_item(&r, "alert.0.rule"), "reverse_shell");
	assert_int_equal(int_item(&r, "alert.0.count"), 3);
	assert_string_equal(str_item(&r, "alert.1.rule"), "rare rule");
	edr_ctl_reply__fini(&r);
	edr_sensor_stats__fini(&st);
	edr_sensor_stats__fini(&st);
	edr_sensor_stats__fini(NULL);
}

/* Thousands of rules: bounded rows plus a count of what was left out. */
static void test_stats_many_alerts(void **state)
{
	struct edr_sensor_stats st = { 0 };
	struct edr_ctl_reply r;
	size_t i;

	st.n_alerts = EDR_OPS_MAX_ALERT_ROWS + 50;
	st.alerts = calloc(st.n_alerts, sizeof(*st.alerts));
	assert_non_null(st.alerts);
	for (i = 0; i < st.n_alerts; i++) {
		snprintf(st.alerts[i].rule, sizeof(st.alerts[i].rule), "rule-%zu", i);
		st.alerts[i].count = i;
	}
	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ops__stats_reply(&st, &r), 0);
	assert_int_equal(int_item(&r, "alert_rules_not_shown"), 50);
	assert_string_equal(str_item(&r, "alert.0.rule"), "rule-1049");
	assert_null(edr_ctl_reply__find(&r, "alert.1000.rule"));
	edr_ctl_reply__fini(&r);
	edr_sensor_stats__fini(&st);
}

static void test_status_line(void **state)
{
	struct edr_sensor_status st = { 0 };
	char buf[128];

	edr_ops_status_line(&st, buf, sizeof(buf));
	assert_string_equal(buf, "running, no content");
	fake_status(&st, NULL);
	edr_ops_status_line(&st, buf, sizeof(buf));
	assert_string_equal(buf, "running, content v12, 1 unavailable");
	st.content_shadow_version = 13;
	snprintf(st.features[0].state, 32, "degraded");
	st.n_features = 3;
	snprintf(st.features[2].state, 32, "degraded");
	edr_ops_status_line(&st, buf, sizeof(buf));
	assert_string_equal(buf, "running, content v12 (shadow v13), 2 features degraded, 1 unavailable");
	edr_ops_status_line(&st, buf, 10); /* truncated, still terminated */
	assert_string_equal(buf, "running, ");
}

static void test_process_fill(void **state)
{
	struct edr_sensor_stats st = { 0 };

	assert_int_equal(edr_ops_fill_process(&st), 0);
	assert_true(st.rss_bytes > 0);
}

/* ---- through a real server and the edrctl binary ---- */

struct srv {
	char path[108];
	struct edr_ctl_server *srv;
	struct edr_ops ops;
	int fail_stats;
};

static int srv_setup(void **state)
{
	static struct srv s;
	struct edr_ctl_err err = { { 0 } };

	if (access(EDRCTL_BIN, X_OK)) {
		print_error("%s not built; run from the source tree\n", EDRCTL_BIN);
		return -1;
	}
	snprintf(s.path, sizeof(s.path), "/tmp/edr-test-ops-%d/edr.sock", (int)getpid());
	s.fail_stats = 0;
	s.ops = (struct edr_ops){ .status = fake_status, .stats = fake_stats, .arg = &s.fail_stats };
	s.srv = edr_ctl_server__new(s.path, (gid_t)-1, &err);
	if (!s.srv) {
		print_error("server: %s\n", err.msg);
		return -1;
	}
	if (edr_ops__register(s.srv, &s.ops) || edr_ctl_server__start(s.srv))
		return -1;
	*state = &s;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv *s = *state;
	char dir[108];

	edr_ctl_server__free(s->srv);
	snprintf(dir, sizeof(dir), "%s", s->path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return 0;
}

/* Runs edrctl with ARGS (a shell word list); returns its exit status, output in *out. */
static int run(char **out, const char *fmt, ...)
{
	char cmd[1024], *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	va_list ap;
	FILE *p, *m;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	m = open_memstream(&buf, &len);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	st = pclose(p);
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_edrctl_status(void **state)
{
	struct srv *s = *state;
	char *out;

	assert_int_equal(run(&out, EDRCTL_BIN " status --socket %s 2>&1", s->path), 0);
	assert_non_null(strstr(out, "state                    running\n"));
	assert_non_null(strstr(out, "uptime_sec               1h02m05s\n"));
	assert_non_null(strstr(out, "FEATURE  ATTACH      STATE        REASON\n"));
	assert_non_null(strstr(out, "exec     tracepoint  attached     -\n"));
	assert_non_null(strstr(out, "file_io  -           unavailable  lsm refused (EPERM), no kprobes\n"));
	free(out);

	assert_int_equal(run(&out, EDRCTL_BIN " status --json --socket=%s", s->path), 0);
	assert_non_null(strstr(out, "\"state\":\"running\""));
	assert_non_null(strstr(out, "\"feature\":{\"exec\":{\"attach\":\"tracepoint\",\"state\":\"attached\",\"reason\":\"\"}"));
	assert_non_null(strstr(out, "\"content\":{\"version\":12,\"state\":\"active\""));
	free(out);
}

static void test_edrctl_stats(void **state)
{
	struct srv *s = *state;
	char *out;
	int lines = 0;

	assert_int_equal(run(&out, EDRCTL_BIN " stats --socket %s", s->path), 0);
	assert_non_null(strstr(out, "EVENTS         READ  EMITTED\n"));
	assert_non_null(strstr(out, "exec             10        9\n"));
	assert_non_null(strstr(out, "CPU  EMITTED  DROPS  READ_ERRORS\n"));
	assert_non_null(strstr(out, "1          8      7            0\n"));
	assert_non_null(strstr(out, "ALERT  RULE           COUNT\n"));
	assert_non_null(strstr(out, "0      reverse_shell      3\n"));
	free(out);

	/* --watch --json: one object per refresh. */
	assert_int_equal(run(&out, EDRCTL_BIN " stats --json --watch --count 2 --socket %s", s->path), 0);
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	assert_non_null(strstr(out, "\"events\":{\"exec\":{\"read\":10,\"emitted\":9}"));
	free(out);

	/* The daemon cannot take a snapshot: one line, exit 1. */
	s->fail_stats = 1;
	assert_int_equal(run(&out, EDRCTL_BIN " stats --socket %s 2>&1", s->path), 1);
	assert_string_equal(out, "edrctl: stats: stats: cannot take a snapshot: Input/output error\n");
	free(out);
	s->fail_stats = 0;
}

static void test_edrctl_errors(void **state)
{
	char *out;

	assert_int_equal(run(&out, EDRCTL_BIN " status --socket /tmp/edr-test-none/edr.sock 2>&1"), 1);
	assert_string_equal(out, "edrctl: cannot connect to /tmp/edr-test-none/edr.sock: No such file "
				 "or directory (is edr-sensor running?)\n");
	free(out);
	assert_int_equal(run(&out, "EDR_SOCKET=/tmp/edr-test-none/x.sock " EDRCTL_BIN " stats 2>&1"), 1);
	assert_non_null(strstr(out, "/tmp/edr-test-none/x.sock"));
	free(out);
	assert_int_equal(run(&out, EDRCTL_BIN " stats --count 0 2>&1"), 2);
	free(out);
	assert_int_equal(run(&out, EDRCTL_BIN " status --socket 2>&1"), 2);
	assert_string_equal(out, "edrctl: status: option '--socket' needs a value\n");
	free(out);
	assert_int_equal(run(&out, EDRCTL_BIN " status extra 2>&1"), 2);
	free(out);
	assert_int_equal(run(&out, EDRCTL_BIN " config frob 2>&1"), 2);
	free(out);
}

static void test_edrctl_config_check(void **state)
{
	char path[] = "/tmp/edr-test-cc-XXXXXX", *out;
	FILE *f;
	int fd;

	assert_int_equal(run(&out, EDRCTL_BIN " config check sensor/sensor.conf"), 0);
	assert_string_equal(out, "sensor/sensor.conf: OK\n");
	free(out);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("ring_buffer_size = 3M\n[attach]\nexec = raw_tp\nfoo = 1\n", f);
	fclose(f);
	assert_int_equal(run(&out, EDRCTL_BIN " config check %s", path), 1);
	assert_non_null(strstr(out, ":1: bad value '3M' for 'ring_buffer_size'"));
	assert_non_null(strstr(out, ":4: unknown key 'attach.foo' (did you mean 'attach.fork'?), ignoring\n"));
	assert_non_null(strstr(out, ": 2 problems, the sensor would start without those lines\n"));
	free(out);
	assert_int_equal(run(&out, EDRCTL_BIN " config check --json %s", path), 1);
	assert_non_null(strstr(out, "\"ok\":false,\"refused\":false,\"warnings\":2,\"errors\":0"));
	free(out);

	f = fopen(path, "w");
	fputs("allow_unsigned = perhaps\n", f);
	fclose(f);
	assert_int_equal(run(&out, EDRCTL_BIN " config check %s", path), 1);
	assert_non_null(strstr(out, "refusing to start\n"));
	assert_non_null(strstr(out, ": the sensor would refuse to start\n"));
	free(out);

	f = fopen(path, "w");
	fputs("attach.exec = raw_tp\n", f);
	fclose(f);
	assert_int_equal(run(&out, EDRCTL_BIN " config check --dump %s", path), 0);
	assert_non_null(strstr(out, ": OK\n"));
	assert_non_null(strstr(out, "\nattach.exec = raw_tp\n"));
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_reply),
		cmocka_unit_test(test_stats_reply),
		cmocka_unit_test(test_stats_many_alerts),
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_process_fill),
		cmocka_unit_test(test_edrctl_errors),
		cmocka_unit_test(test_edrctl_config_check),
	};
	const struct CMUnitTest server_tests[] = {
		cmocka_unit_test(test_edrctl_status),
		cmocka_unit_test(test_edrctl_stats),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	return rc | cmocka_run_group_tests(server_tests, srv_setup, srv_teardown);
}
