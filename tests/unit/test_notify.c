// SPDX-License-Identifier: GPL-2.0-only
/* sd_notify wrapper against a datagram socket standing in for systemd's. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/notify.h"

struct fake {
	char path[108];
	int fd;
};

static int setup(void **state)
{
	static struct fake f;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f.path, sizeof(f.path), "/tmp/edr-test-notify-%d.sock", (int)getpid());
	unlink(f.path);
	f.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(f.fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f.path);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("NOTIFY_SOCKET", f.path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	edr_notify__reset();
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	close(f->fd);
	unlink(f->path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	edr_notify__reset();
	return 0;
}

/* The next datagram, or "" when none is waiting. */
static const char *next_msg(struct fake *f)
{
	static char buf[512];
	ssize_t n = recv(f->fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_ready_status(void **state)
{
	struct fake *f = *state;

	assert_int_equal(edr_notify_ready(), 1);
	assert_string_equal(next_msg(f), "READY=1");
	assert_int_equal(edr_notify_status("running, content v%d,\n%d features degraded", 12, 3), 1);
	assert_string_equal(next_msg(f), "STATUS=running, content v12, 3 features degraded");
	assert_int_equal(edr_notify_stopping(), 1);
	assert_string_equal(next_msg(f), "STOPPING=1");
	assert_string_equal(next_msg(f), "");
}

static void test_no_socket_is_noop(void **state)
{
	struct fake *f = *state;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(edr_notify_ready(), 0);
	assert_int_equal(edr_notify_status("x"), 0);
	assert_int_equal(edr_notify_watchdog(), 0);
	assert_string_equal(next_msg(f), "");
}

static void test_watchdog_off(void **state)
{
	struct fake *f = *state;

	assert_int_equal(edr_notify_watchdog_usec(), 0);
	assert_int_equal(edr_notify_watchdog(), 0);
	assert_string_equal(next_msg(f), "");
}

static void test_watchdog_rate_limited(void **state)
{
	struct fake *f = *state;
	char pid[32];
	int i;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_USEC", "400000", 1); /* 0.4 s: pinged at most every 0.2 s */
	setenv("WATCHDOG_PID", pid, 1);
	edr_notify__reset();
	assert_int_equal(edr_notify_watchdog_usec(), 400000);
	assert_int_equal(edr_notify_watchdog(), 1);
	assert_string_equal(next_msg(f), "WATCHDOG=1");
	for (i = 0; i < 100; i++)
		assert_int_equal(edr_notify_watchdog(), 0);
	assert_string_equal(next_msg(f), "");
	usleep(210000);
	assert_int_equal(edr_notify_watchdog(), 1);
	assert_string_equal(next_msg(f), "WATCHDOG=1");
}

/* The watchdog of another process (WATCHDOG_PID) is not ours to feed. */
static void test_watchdog_other_pid(void **state)
{
	struct fake *f = *state;

	setenv("WATCHDOG_USEC", "400000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	edr_notify__reset();
	assert_int_equal(edr_notify_watchdog_usec(), 0);
	assert_int_equal(edr_notify_watchdog(), 0);
	assert_string_equal(next_msg(f), "");
}

static void test_bad_socket(void **state)
{
	setenv("NOTIFY_SOCKET", "/nonexistent/dir/notify.sock", 1);
	assert_true(edr_notify_ready() < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_socket_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_other_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_socket, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
