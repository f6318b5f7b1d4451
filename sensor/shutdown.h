/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signals and the stop deadline. SIGTERM and SIGINT must end the sensor
 * within a fixed time whatever it is doing: starting (content load, BPF
 * attach), serving a stuck control request, loading content, hashing a
 * large file, detaching. A watchdog thread owns the signals (a signalfd):
 * the first SIGTERM or SIGINT asks the daemon to stop and starts the clock;
 * if the process is still there when it runs out, or a second one arrives,
 * the watchdog logs the stage it was in and ends the process with _exit().
 * SIGHUP only wakes the event loop (the outputs are reopened there).
 */
#ifndef EDR_SHUTDOWN_H
#define EDR_SHUTDOWN_H

/* Exit status when the deadline or a second signal cut the stop short. */
#define EDR_EXIT_STOP_FORCED 3

typedef void (*edr_shutdown_log_fn)(const char *msg);

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it before
 * any other thread starts, so that every thread inherits the mask) and
 * starts the watchdog. timeout_ms > 0. 0 or a negative errno. */
int edr_shutdown__start(unsigned timeout_ms, edr_shutdown_log_fn log);
/* Readable (an eventfd) when a signal arrived; for the event loop. */
int edr_shutdown__fd(void);
/* Drains the eventfd; 1 when a stop was asked for (now or before). */
int edr_shutdown__requested(void);
/* 1 once per SIGHUP received since the last call. */
int edr_shutdown__take_hup(void);
/* What the daemon is doing, named in the watchdog's message (a literal). */
void edr_shutdown__stage(const char *stage);

#endif /* EDR_SHUTDOWN_H */
