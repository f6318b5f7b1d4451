// SPDX-License-Identifier: GPL-2.0-only
/* The signal watchdog (sensor/shutdown.c): a stop asked for by SIGTERM wakes
 * the loop, and a process that does not finish within the deadline, or gets
 * a second signal, ends anyway with EDR_EXIT_STOP_FORCED. Each case runs in
 * a forked child, since the watchdog owns the process's signals. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/shutdown.h"

static int log_fd = -1;

static void log_to_pipe(const char *msg)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "%s\n", msg);

	if (write(log_fd, line, (size_t)n) < 0) {
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Forks a child that starts the watchdog (deadline ms) and runs body; the
 * parent signals it with sig (twice when twice) once it is ready, and
 * returns its exit status, the time from the first signal, and its log. */
static int run_child(unsigned deadline, void (*body)(void), int sig, int twice, double *took,
		     char *log, size_t loglen)
{
	int ready[2], logs[2], status;
	double t0;
	ssize_t n;
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(logs), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(logs[0]);
		log_fd = logs[1];
		if (edr_shutdown__start(deadline, log_to_pipe))
			_exit(20);
		edr_shutdown__stage("testing");
		if (write(ready[1], "r", 1) != 1)
			_exit(21);
		body();
		_exit(0);
	}
	close(ready[1]);
	close(logs[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	t0 = now_s();
	kill(pid, sig);
	if (twice) {
		usleep(100000);
		kill(pid, sig);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*took = now_s() - t0;
	n = read(logs[0], log, loglen - 1);
	log[n > 0 ? n : 0] = 0;
	close(ready[0]);
	close(logs[0]);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A loop that stops when asked: exits 0 (not forced), woken by the fd. */
static void body_obeys(void)
{
	struct pollfd p = { .fd = edr_shutdown__fd(), .events = POLLIN };

	while (!edr_shutdown__requested())
		if (poll(&p, 1, 10000) == 0)
			_exit(30); /* the eventfd never woke us */
	_exit(0);
}

/* Stuck (a handler that never returns, a stop that hangs). */
static void body_stuck(void)
{
	for (;;)
		pause();
}

/* SIGHUP is counted for the loop, not a stop. */
static void body_hup(void)
{
	struct pollfd p = { .fd = edr_shutdown__fd(), .events = POLLIN };

	if (poll(&p, 1, 10000) != 1 || edr_shutdown__requested() || !edr_shutdown__take_hup() ||
	    edr_shutdown__take_hup())
		_exit(40);
	_exit(0);
}

static void test_stop_wakes_the_loop(void **state)
{
	char log[512];
	double took;

	(void)state;
	assert_int_equal(run_child(5000, body_obeys, SIGTERM, 0, &took, log, sizeof(log)), 0);
	assert_true(took < 2);
	assert_non_null(strstr(log, "stopping (at most 5000 ms)"));
}

static void test_deadline_ends_a_stuck_stop(void **state)
{
	char log[512];
	double took;

	(void)state;
	assert_int_equal(run_child(300, body_stuck, SIGTERM, 0, &took, log, sizeof(log)),
			 EDR_EXIT_STOP_FORCED);
	assert_true(took >= 0.25 && took < 3);
	assert_non_null(strstr(log, "stop: not finished after 300 ms (testing), exiting now"));
}

static void test_second_signal_ends_at_once(void **state)
{
	char log[512];
	double took;

	(void)state;
	assert_int_equal(run_child(60000, body_stuck, SIGINT, 1, &took, log, sizeof(log)),
			 EDR_EXIT_STOP_FORCED);
	assert_true(took < 5);
	assert_non_null(strstr(log, "second Interrupt"));
}

static void test_hup_is_not_a_stop(void **state)
{
	char log[512];
	double took;

	(void)state;
	assert_int_equal(run_child(5000, body_hup, SIGHUP, 0, &took, log, sizeof(log)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_wakes_the_loop),
		cmocka_unit_test(test_deadline_ends_a_stuck_stop),
		cmocka_unit_test(test_second_signal_ends_at_once),
		cmocka_unit_test(test_hup_is_not_a_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
