/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * journald and syslog sinks for the JSON lines (interface in output.h).
 * Events go at LOG_INFO; alerts at LOG_WARNING or higher by severity
 * (0..100: from 70 LOG_ERR, from 90 LOG_CRIT), so a plain priority filter
 * (journalctl -p warning, a syslog selector *.warning) shows only alerts.
 */
#ifndef EDR_OUTPUT_SYSLOG_H
#define EDR_OUTPUT_SYSLOG_H

#include "sensor/output/output.h"

#define EDR_SYSLOG_PATH "/dev/log"
/* Bigger lines are refused (-EMSGSIZE) rather than cut into invalid JSON. */
#define EDR_SYSLOG_MAX_LINE (60 * 1024)

/* The syslog priority (LOG_INFO ... LOG_CRIT) of a line. */
int edr_syslog_priority(int is_alert, int severity);

/*
 * journald through sd_journal_send: MESSAGE= the line, PRIORITY=,
 * SYSLOG_IDENTIFIER=ident, EDR_KIND=event|alert and, for alerts,
 * EDR_SEVERITY=. NULL and errno on failure.
 */
struct edr_sink *edr_sink_journald__new(const char *ident);

/*
 * A local syslog daemon over its datagram socket (path NULL = /dev/log),
 * RFC 3164 framing as syslog(3) writes it, facility e.g. LOG_DAEMON. Sends
 * never block: a full socket returns -EAGAIN (counted by the caller as a
 * write error). A missing daemon is retried on each write and on reopen.
 */
struct edr_sink *edr_sink_syslog__new(const char *ident, int facility, const char *path);

#endif /* EDR_OUTPUT_SYSLOG_H */
