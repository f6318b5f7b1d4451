// SPDX-License-Identifier: GPL-2.0-only
/*
 * Evasion the telemetry must not allow (issue 13 section 7), downstream of
 * the decoder: an exec path the kernel buffer could not hold is named by
 * PathTruncated (Sigma) and edr.path_truncated (ECS); a program run through
 * the dynamic loader is named by edr.loader_target.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/event_util.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

/* An exec record of path, cwd and argv (argv_len bytes, NULs inside). */
static size_t make_exec(const char *path, const char *cwd, const char *argv, size_t argv_len,
			uint32_t flags)
{
	struct edr_exec *e = (void *)buf;
	size_t n = ev_exec_record(buf, path, path, cwd, argv, argv_len);

	e->task.tgid = e->task.pid = 4242;
	e->task.ppid = 1;
	e->task.auid = e->task.sessionid = (uint32_t)-1;
	memcpy(e->task.comm, "x", 2);
	e->flags = flags;
	return n;
}

static void test_path_truncated_field(void **state)
{
	static struct edr_sigma_view v;
	static const char argv[] = "x";
	struct edr_decoded d;
	size_t n;

	n = make_exec("/a/b/x", "/a", argv, sizeof(argv), EDR_EXEC_PATH_TRUNC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(FV(&v, PROCESS_CREATION, PATH_TRUNCATED)->n, 1);
	assert_fstr(FV(&v, PROCESS_CREATION, PATH_TRUNCATED), "true");
	n = make_exec("/a/b/x", "/a", argv, sizeof(argv), EDR_EXEC_CWD_TRUNC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(FV(&v, PROCESS_CREATION, PATH_TRUNCATED)->n, 1);
	n = make_exec("/a/b/x", "/a", argv, sizeof(argv), 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(FV(&v, PROCESS_CREATION, PATH_TRUNCATED)->n, 0);
	assert_fstr(FV(&v, PROCESS_CREATION, PATH_TRUNCATED), "false");
}

static void test_loader_target(void **state)
{
	static const char abs_argv[] = "/lib64/ld-linux-x86-64.so.2\0/tmp/payload\0-x";
	static const char rel_argv[] = "ld\0--library-path\0/opt/lib\0--inhibit-cache\0./p";
	static const char opt_only[] = "ld\0--list";
	static const char plain[] = "ls\0/tmp/payload";
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_exec("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/home/u", abs_argv,
		      sizeof(abs_argv), 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"loader_target\":\"/tmp/payload\"");
	free(s);
	/* options and their values skipped; relative against the cwd */
	n = make_exec("/lib/ld-musl-x86_64.so.1", "/home/u", rel_argv, sizeof(rel_argv), 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"loader_target\":\"/home/u/./p\"");
	free(s);
	n = make_exec("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/", opt_only, sizeof(opt_only), 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "loader_target");
	free(s);
	/* not a loader: nothing new in the record */
	n = make_exec("/usr/bin/ls", "/", plain, sizeof(plain), 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "loader_target");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_truncated_field),
		cmocka_unit_test(test_loader_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
