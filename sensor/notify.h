/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sd_notify for edr-sensor (Type=notify): READY=1 once programs are attached
 * and content is active, STATUS= lines, and WATCHDOG=1 from the event loop so
 * systemd restarts a consumer that stopped consuming. Every call is a no-op
 * (returns 0) when NOTIFY_SOCKET is unset, as in a foreground run.
 * Thread-safe; returns 1 when a message was sent, 0 for a no-op, or a
 * negative errno.
 */
#ifndef EDR_NOTIFY_H
#define EDR_NOTIFY_H

#include <stdint.h>

int edr_notify_ready(void);
int edr_notify_stopping(void);
/* A short state, e.g. "running, content v12, 3 features degraded". */
int edr_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Sends WATCHDOG=1 at most once per half the watchdog interval
 * (WatchdogSec= / WATCHDOG_USEC), so it may be called on every loop turn.
 */
int edr_notify_watchdog(void);

/*
 * The watchdog interval in microseconds, 0 when the watchdog is off. The
 * event loop should wake at least every edr_notify_watchdog_usec() / 2.
 */
uint64_t edr_notify_watchdog_usec(void);

/* Re-reads the environment (for tests, after changing NOTIFY_SOCKET etc.). */
void edr_notify__reset(void);

#endif /* EDR_NOTIFY_H */
