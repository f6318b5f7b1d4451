// SPDX-License-Identifier: GPL-2.0-only
/* sd_notify wrapper: see notify.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "sensor/notify.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int inited;
static uint64_t wd_usec;      /* 0 = watchdog off */
static uint64_t wd_last_usec; /* monotonic time of the last WATCHDOG=1 */
static int wd_sent;

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Called with lock held. */
static void init_locked(void)
{
	uint64_t usec = 0;

	if (inited)
		return;
	inited = 1;
	/* Checks WATCHDOG_PID too, so a child of ours does not feed our watchdog. */
	if (sd_watchdog_enabled(0, &usec) > 0)
		wd_usec = usec;
	wd_sent = 0;
}

static int notify(const char *msg)
{
	int r;

	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	r = sd_notify(0, msg);
	return r < 0 ? r : r > 0;
}

int edr_notify_ready(void)
{
	return notify("READY=1");
}

int edr_notify_stopping(void)
{
	return notify("STOPPING=1");
}

int edr_notify_status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One line: a newline would start a new (bogus) assignment. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return notify(buf);
}

int edr_notify_watchdog(void)
{
	uint64_t now;
	int r;

	pthread_mutex_lock(&lock);
	init_locked();
	if (!wd_usec) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	now = now_usec();
	if (wd_sent && now - wd_last_usec < wd_usec / 2) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	wd_last_usec = now;
	wd_sent = 1;
	pthread_mutex_unlock(&lock);
	r = notify("WATCHDOG=1");
	return r;
}

uint64_t edr_notify_watchdog_usec(void)
{
	uint64_t v;

	pthread_mutex_lock(&lock);
	init_locked();
	v = wd_usec;
	pthread_mutex_unlock(&lock);
	return v;
}

void edr_notify__reset(void)
{
	pthread_mutex_lock(&lock);
	inited = 0;
	wd_usec = 0;
	wd_sent = 0;
	pthread_mutex_unlock(&lock);
}
