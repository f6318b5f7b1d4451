// SPDX-License-Identifier: GPL-2.0-only
/* The signal watchdog: see shutdown.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "sensor/shutdown.h"

static int sig_fd = -1, wake_fd = -1;
static unsigned deadline_ms;
static edr_shutdown_log_fn logf_;
static int stop_asked, hups;
static const char *stage = "starting";

static void wake(void)
{
	uint64_t one = 1;

	/* The eventfd counter cannot overflow in practice; a failed write
	 * leaves an earlier, unread wake-up pending anyway. */
	if (write(wake_fd, &one, sizeof(one)) < 0) {
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logf_(msg);
}

static void *watchdog(void *arg)
{
	struct pollfd p = { .fd = sig_fd, .events = POLLIN };
	uint64_t until = 0;
	int stopping = 0;

	(void)arg;
	for (;;) {
		struct signalfd_siginfo si;
		int timeout = -1, n;

		if (stopping) {
			uint64_t now = mono_ms();

			timeout = now >= until ? 0 : (int)(until - now);
		}
		n = poll(&p, 1, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && stopping) {
			say("stop: not finished after %u ms (%s), exiting now", deadline_ms,
			    __atomic_load_n(&stage, __ATOMIC_RELAXED));
			_exit(EDR_EXIT_STOP_FORCED);
		}
		while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				__atomic_add_fetch(&hups, 1, __ATOMIC_RELAXED);
			} else if (!stopping) {
				stopping = 1;
				until = mono_ms() + deadline_ms;
				__atomic_store_n(&stop_asked, 1, __ATOMIC_RELEASE);
				say("%s from pid %u: stopping (at most %u ms)", strsignal((int)si.ssi_signo),
				    si.ssi_pid, deadline_ms);
			} else {
				say("second %s from pid %u while stopping (%s), exiting now",
				    strsignal((int)si.ssi_signo), si.ssi_pid,
				    __atomic_load_n(&stage, __ATOMIC_RELAXED));
				_exit(EDR_EXIT_STOP_FORCED);
			}
		}
		wake();
	}
	say("signal watchdog: poll: %s; signals are no longer handled", strerror(errno));
	return NULL;
}

int edr_shutdown__start(unsigned timeout_ms, edr_shutdown_log_fn log)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t mask;
	int rc;

	if (!timeout_ms || !log || sig_fd >= 0)
		return -EINVAL;
	deadline_ms = timeout_ms;
	logf_ = log;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* Blocked before any other thread starts, so only the signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL))
		return -EINVAL;
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		return -errno;
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&t, &attr, watchdog, NULL);
	pthread_attr_destroy(&attr);
	if (!rc)
		return 0;
fail:
	close(sig_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	sig_fd = wake_fd = -1;
	return rc;
}

int edr_shutdown__fd(void)
{
	return wake_fd;
}

int edr_shutdown__requested(void)
{
	uint64_t v;

	if (wake_fd >= 0 && read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) {
		/* Nothing to drain; the flag below is what counts. */
	}
	return __atomic_load_n(&stop_asked, __ATOMIC_ACQUIRE);
}

int edr_shutdown__take_hup(void)
{
	/* Several SIGHUPs before the loop looks are one reopen. */
	return __atomic_exchange_n(&hups, 0, __ATOMIC_RELAXED) > 0;
}

void edr_shutdown__stage(const char *s)
{
	__atomic_store_n(&stage, s, __ATOMIC_RELAXED);
}
