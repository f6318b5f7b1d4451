// SPDX-License-Identifier: GPL-2.0-only
/* journald and syslog sinks; see output_syslog.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* CODE_FILE= of this sink says nothing about an event. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "sensor/output/output_syslog.h"

int edr_syslog_priority(int is_alert, int severity)
{
	if (!is_alert)
		return LOG_INFO;
	if (severity >= 90)
		return LOG_CRIT;
	if (severity >= 70)
		return LOG_ERR;
	return LOG_WARNING;
}

/* ---- journald ---- */

struct journald_sink {
	struct edr_sink base;
	char *ident;
};

static int journald_write(struct edr_sink *s, const char *line, size_t len, int is_alert,
			  int severity)
{
	struct journald_sink *js = (struct journald_sink *)s;

	if (len > EDR_SYSLOG_MAX_LINE * 16)
		return -EMSGSIZE;
	if (is_alert)
		return sd_journal_send("MESSAGE=%.*s", (int)len, line,
				       "PRIORITY=%d", edr_syslog_priority(1, severity),
				       "SYSLOG_IDENTIFIER=%s", js->ident,
				       "EDR_KIND=alert",
				       "EDR_SEVERITY=%d", severity, NULL);
	return sd_journal_send("MESSAGE=%.*s", (int)len, line,
			       "PRIORITY=%d", LOG_INFO,
			       "SYSLOG_IDENTIFIER=%s", js->ident,
			       "EDR_KIND=event", NULL);
}

static void journald_free(struct edr_sink *s)
{
	struct journald_sink *js = (struct journald_sink *)s;

	if (!js)
		return;
	free(js->ident);
	free(js);
}

struct edr_sink *edr_sink_journald__new(const char *ident)
{
	struct journald_sink *js = calloc(1, sizeof(*js));

	if (!js)
		return NULL;
	js->ident = strdup(ident ? ident : "edr-sensor");
	if (!js->ident) {
		free(js);
		errno = ENOMEM;
		return NULL;
	}
	js->base.name = "journald";
	js->base.write = journald_write;
	js->base.free = journald_free;
	/* No reopen: libsystemd reconnects its datagram socket by itself. */
	return &js->base;
}

/* ---- syslog ---- */

struct syslog_sink {
	struct edr_sink base;
	char *ident;
	int facility;
	int fd;
	struct sockaddr_un addr;
	char *buf;
};

static int syslog_connect(struct syslog_sink *ss)
{
	int fd;

	if (ss->fd >= 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss->addr, sizeof(ss->addr)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	ss->fd = fd;
	return 0;
}

static void syslog_disconnect(struct syslog_sink *ss)
{
	if (ss->fd >= 0)
		close(ss->fd);
	ss->fd = -1;
}

static int syslog_write(struct edr_sink *s, const char *line, size_t len, int is_alert,
			int severity)
{
	struct syslog_sink *ss = (struct syslog_sink *)s;
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	int n, err, attempt;

	if (len > EDR_SYSLOG_MAX_LINE)
		return -EMSGSIZE;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %T", &tm);
	n = snprintf(ss->buf, 512, "<%d>%s %s[%d]: ",
		     ss->facility | edr_syslog_priority(is_alert, severity), ts, ss->ident,
		     (int)getpid());
	if (n < 0 || n >= 512)
		return -EINVAL;
	memcpy(ss->buf + n, line, len);
	/* A daemon that restarted refuses the old connection: reconnect once. */
	for (attempt = 0; attempt < 2; attempt++) {
		err = syslog_connect(ss);
		if (err)
			return err;
		if (send(ss->fd, ss->buf, (size_t)n + len, MSG_NOSIGNAL) >= 0)
			return 0;
		err = -errno;
		if (err != -ECONNREFUSED && err != -ENOTCONN && err != -ECONNRESET)
			return err == -EWOULDBLOCK ? -EAGAIN : err;
		syslog_disconnect(ss);
	}
	return err;
}

static int syslog_reopen(struct edr_sink *s)
{
	struct syslog_sink *ss = (struct syslog_sink *)s;

	syslog_disconnect(ss);
	return syslog_connect(ss);
}

static void syslog_free(struct edr_sink *s)
{
	struct syslog_sink *ss = (struct syslog_sink *)s;

	if (!ss)
		return;
	syslog_disconnect(ss);
	free(ss->ident);
	free(ss->buf);
	free(ss);
}

struct edr_sink *edr_sink_syslog__new(const char *ident, int facility, const char *path)
{
	struct syslog_sink *ss;

	if (!path)
		path = EDR_SYSLOG_PATH;
	if (strlen(path) >= sizeof(ss->addr.sun_path) || (facility & ~LOG_FACMASK)) {
		errno = EINVAL;
		return NULL;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return NULL;
	ss->fd = -1;
	ss->facility = facility;
	ss->addr.sun_family = AF_UNIX;
	snprintf(ss->addr.sun_path, sizeof(ss->addr.sun_path), "%s", path);
	ss->ident = strndup(ident ? ident : "edr-sensor", 64);
	ss->buf = malloc(512 + EDR_SYSLOG_MAX_LINE);
	if (!ss->ident || !ss->buf) {
		syslog_free(&ss->base);
		errno = ENOMEM;
		return NULL;
	}
	ss->base.name = "syslog";
	ss->base.write = syslog_write;
	ss->base.reopen = syslog_reopen;
	ss->base.free = syslog_free;
	/* No daemon yet is not fatal: writes retry the connection. */
	syslog_connect(ss);
	return &ss->base;
}
