// SPDX-License-Identifier: GPL-2.0-only
/*
 * journald and syslog sinks, each against a datagram socket standing in for
 * the daemon: framing, priorities, reconnects, a full socket, oversize lines.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/output/output_syslog.h"

static int bind_dgram(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static const char *recv_msg(int fd)
{
	static char buf[70000];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_priority(void **state)
{
	assert_int_equal(edr_syslog_priority(0, 0), LOG_INFO);
	assert_int_equal(edr_syslog_priority(0, 99), LOG_INFO);
	assert_int_equal(edr_syslog_priority(1, 0), LOG_WARNING);
	assert_int_equal(edr_syslog_priority(1, 47), LOG_WARNING);
	assert_int_equal(edr_syslog_priority(1, 73), LOG_ERR);
	assert_int_equal(edr_syslog_priority(1, 99), LOG_CRIT);
}

static void test_syslog_sink(void **state)
{
	char path[64], head[64];
	struct edr_sink *s;
	const char *m;
	int fd;

	snprintf(path, sizeof(path), "/tmp/edr-test-syslog-%d.sock", (int)getpid());
	unlink(path);
	/* No daemon yet: created anyway, writes fail until one appears. */
	s = edr_sink_syslog__new("edr-sensor", LOG_DAEMON, path);
	assert_non_null(s);
	assert_string_equal(s->name, "syslog");
	assert_int_equal(s->write(s, "{}", 2, 0, 0), -ENOENT);

	fd = bind_dgram(path);
	assert_int_equal(s->write(s, "{\"event\":1}", 11, 0, 0), 0);
	m = recv_msg(fd);
	snprintf(head, sizeof(head), "<%d>", LOG_DAEMON | LOG_INFO);
	assert_int_equal(strncmp(m, head, strlen(head)), 0);
	snprintf(head, sizeof(head), " edr-sensor[%d]: {\"event\":1}", (int)getpid());
	assert_non_null(strstr(m, head));
	assert_int_equal(strlen(m), strlen(strstr(m, head)) + 4 + 15); /* "<30>" + "Mmm dd hh:mm:ss" */

	assert_int_equal(s->write(s, "{\"alert\":1}", 11, 1, 73), 0);
	m = recv_msg(fd);
	snprintf(head, sizeof(head), "<%d>", LOG_DAEMON | LOG_ERR);
	assert_int_equal(strncmp(m, head, strlen(head)), 0);

	/* The daemon restarts (new socket at the same path): reconnected. */
	close(fd);
	fd = bind_dgram(path);
	assert_int_equal(s->write(s, "{\"after\":1}", 11, 0, 0), 0);
	assert_non_null(strstr(recv_msg(fd), "{\"after\":1}"));

	/* Oversize: refused whole, not cut into broken JSON. */
	{
		size_t big = EDR_SYSLOG_MAX_LINE + 1;
		char *line = malloc(big);

		assert_non_null(line);
		memset(line, 'x', big);
		assert_int_equal(s->write(s, line, big, 0, 0), -EMSGSIZE);
		free(line);
	}

	/* A daemon that does not read: never blocks, -EAGAIN. */
	{
		int i, err = 0;

		for (i = 0; i < 100000 && !err; i++)
			err = s->write(s, "{\"flood\":1}", 11, 0, 0);
		assert_int_equal(err, -EAGAIN);
	}
	assert_int_equal(s->reopen(s), 0);
	close(fd);
	unlink(path);
	s->free(s);

	assert_null(edr_sink_syslog__new("x", 1 << 20, path)); /* not a facility */
	assert_int_equal(errno, EINVAL);
}

/*
 * journald: libsystemd writes to /run/systemd/journal/socket, a fixed path.
 * A child in its own mount namespace puts a tmpfs there and listens, so the
 * host's journal is never touched. Needs root (CAP_SYS_ADMIN); skipped without.
 */
static void test_journald_sink(void **state)
{
	int pfd[2], st;
	char buf[4096] = "";
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct edr_sink *s;
		int fd;

		close(pfd[0]);
		/* A propagation change ignores source and type; "none" rather
		 * than NULL, which valgrind takes for a bad pointer. */
		if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    (mkdir("/run/systemd", 0755) && errno != EEXIST) ||
		    (mkdir("/run/systemd/journal", 0755) && errno != EEXIST) ||
		    mount("tmpfs", "/run/systemd/journal", "tmpfs", 0, "mode=0755")) {
			dprintf(pfd[1], "SKIP %s", strerror(errno));
			_exit(0);
		}
		fd = bind_dgram("/run/systemd/journal/socket");
		s = edr_sink_journald__new(NULL);
		if (!s || s->write(s, "{\"e\":1}", 7, 0, 0)) {
			dprintf(pfd[1], "FAIL write event");
			_exit(1);
		}
		dprintf(pfd[1], "%s\n--\n", recv_msg(fd));
		if (s->write(s, "{\"a\":2}", 7, 1, 95)) {
			dprintf(pfd[1], "FAIL write alert");
			_exit(1);
		}
		dprintf(pfd[1], "%s", recv_msg(fd));
		s->free(s);
		_exit(0);
	}
	close(pfd[1]);
	/* Read to EOF: the child writes in pieces. */
	while (got < sizeof(buf) - 1 && (n = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	buf[got] = '\0';
	if (!strncmp(buf, "SKIP", 4)) {
		print_message("journald test skipped: %s\n", buf);
		skip();
	}
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_string_equal(buf,
		"MESSAGE={\"e\":1}\nPRIORITY=6\nSYSLOG_IDENTIFIER=edr-sensor\nEDR_KIND=event\n\n--\n"
		"MESSAGE={\"a\":2}\nPRIORITY=2\nSYSLOG_IDENTIFIER=edr-sensor\nEDR_KIND=alert\n"
		"EDR_SEVERITY=95\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_syslog_sink),
		cmocka_unit_test(test_journald_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
