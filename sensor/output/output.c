// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor/output/output.h"

/*
 * Files get whole lines only: lines are gathered in a buffer and written
 * with write(2) at line boundaries, so a crash loses buffered lines but
 * never leaves half a line for a reader (or the next run) to trip on. When
 * a write fails part-way (a full disk), the fragment of the line it cut is
 * truncated away again, the lines not written stay in the buffer, which
 * grows up to FILE_SINK_BACKLOG, and are written when the file takes them
 * again; only lines that do not fit are lost, and counted.
 */
#define FILE_SINK_BUF (64 * 1024)
#define FILE_SINK_BACKLOG (4u << 20)

struct file_sink {
	struct edr_sink base;
	char *path; /* NULL for stdout */
	int fd;
	char *buf;
	size_t len, cap, nlines;
};

static int file_open(struct file_sink *fs)
{
	struct stat st = { 0 };

	if (!fs->path) {
		fs->fd = STDOUT_FILENO;
		return 0;
	}
	/* Not through a symlink (someone could point it at /etc/shadow), and
	 * only into a regular file: a FIFO nobody reads would stall the event
	 * loop, a device or socket is not a log. */
	fs->fd = open(fs->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
				O_NOCTTY, 0640);
	if (fs->fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fs->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? -errno : -EINVAL;

		close(fs->fd);
		fs->fd = -1;
		return e;
	}
	return 0;
}

/* Writes what it can of p; returns the bytes written, *err the error that
 * stopped it (0 when all went). */
static size_t write_some(int fd, const char *p, size_t n, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < n) {
		ssize_t w = write(fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	return done;
}

static size_t count_lines(const char *p, size_t n)
{
	size_t k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
		k++;
		p++;
	}
	return k;
}

/* Takes the last n bytes written (a line cut by the failure) out of the
 * file again. If that fails too, a reader sees one cut line before the gap
 * record. */
static void take_back(int fd, size_t n)
{
	struct stat st;

	if (n && fstat(fd, &st) == 0 && (size_t)st.st_size >= n &&
	    ftruncate(fd, st.st_size - (off_t)n) < 0) {
		/* nothing better to do; see above */
	}
}

static int file_flush(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;
	size_t done, whole, k;
	int err;

	if (!fs->len)
		return 0;
	done = write_some(fs->fd, fs->buf, fs->len, &err);
	if (!err) {
		s->written += fs->nlines;
		fs->len = fs->nlines = 0;
		return 0;
	}
	/* Whole lines went out; a cut one is taken back out of the file. */
	whole = done;
	while (whole > 0 && fs->buf[whole - 1] != '\n')
		whole--;
	take_back(fs->fd, done - whole);
	k = count_lines(fs->buf, whole);
	s->written += k;
	fs->nlines -= k;
	memmove(fs->buf, fs->buf + whole, fs->len - whole);
	fs->len -= whole;
	/* Keep what is not written, up to the backlog's size. */
	if (fs->cap < FILE_SINK_BACKLOG) {
		char *nb = realloc(fs->buf, FILE_SINK_BACKLOG);

		if (nb) {
			fs->buf = nb;
			fs->cap = FILE_SINK_BACKLOG;
		}
	}
	return err;
}

static int file_write(struct edr_sink *s, const char *line, size_t len, int is_alert, int severity)
{
	struct file_sink *fs = (struct file_sink *)s;
	int err = 0;

	(void)is_alert;
	(void)severity;
	if (fs->len + len + 1 > fs->cap)
		err = file_flush(s);
	if (fs->len + len + 1 > fs->cap) {
		if (!fs->len && !err) {
			/* A line bigger than the buffer goes out on its own. */
			char nl = '\n';
			size_t w = write_some(fs->fd, line, len, &err);

			if (!err)
				w += write_some(fs->fd, &nl, 1, &err);
			if (!err) {
				s->written++;
				return 0;
			}
			take_back(fs->fd, w);
		}
		s->lost++;
		return err ? err : -ENOBUFS;
	}
	memcpy(fs->buf + fs->len, line, len);
	fs->buf[fs->len + len] = '\n';
	fs->len += len + 1;
	fs->nlines++;
	return err;
}

static int file_reopen(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;
	int old = fs->fd, err;

	if (!fs->path)
		return 0;
	file_flush(s);
	err = file_open(fs);
	if (err) {
		fs->fd = old; /* keep writing to the old file rather than nowhere */
		return err;
	}
	close(old);
	return 0;
}

static size_t file_pending(struct edr_sink *s)
{
	return ((struct file_sink *)s)->nlines;
}

static void file_free(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;

	if (fs->fd >= 0) {
		file_flush(s);
		if (fs->path)
			close(fs->fd);
	}
	free(fs->path);
	free(fs->buf);
	free(fs);
}

struct edr_sink *edr_sink_file__new(const char *path)
{
	struct file_sink *fs = calloc(1, sizeof(*fs));
	int err;

	if (!fs)
		return NULL;
	fs->fd = -1;
	fs->base.write = file_write;
	fs->base.flush = file_flush;
	fs->base.reopen = file_reopen;
	fs->base.pending = file_pending;
	fs->base.free = file_free;
	fs->base.counts_lines = 1;
	fs->buf = malloc(FILE_SINK_BUF);
	fs->cap = FILE_SINK_BUF;
	if (path && strcmp(path, "-"))
		fs->path = strdup(path);
	fs->base.name = fs->path ? fs->path : "stdout";
	if (!fs->buf || (path && strcmp(path, "-") && !fs->path)) {
		file_free(&fs->base);
		errno = ENOMEM;
		return NULL;
	}
	err = file_open(fs);
	if (err) {
		file_free(&fs->base);
		errno = -err;
		return NULL;
	}
	return &fs->base;
}

int edr_output__add(struct edr_output *o, struct edr_sink *s)
{
	if (o->n >= EDR_MAX_SINKS)
		return -ENOSPC;
	o->sinks[o->n++] = s;
	return 0;
}

static void say(struct edr_output *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct edr_output *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!o->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->log(o->ctx, msg);
}

/* After a write or flush of sink s returned err (0 or negative), with lost
 * its lost count before: starts or ends a failure episode. The first
 * failure is logged; the recovery is logged and, when lines were lost, a
 * gap record with their number and the reason goes to that sink first. */
static void episode(struct edr_output *o, struct edr_sink *s, int err, uint64_t lost_before)
{
	if (err) {
		o->write_errors++;
		if (!s->failing) {
			s->failing = 1;
			s->episode_lost = 0;
			snprintf(s->reason, sizeof(s->reason), "%s", strerror(-err));
			say(o, "output %s: cannot write: %s; keeping lines in memory (at most %u MiB) "
			    "until it can", s->name, s->reason, FILE_SINK_BACKLOG >> 20);
		}
		s->episode_lost += s->lost - lost_before;
		return;
	}
	s->episode_lost += s->lost - lost_before;
	if (!s->failing)
		return;
	if (s->pending && s->pending(s))
		return; /* the backlog is not out yet */
	s->failing = 0;
	say(o, "output %s: writing again; %llu lines lost meanwhile (%s)", s->name,
	    (unsigned long long)s->episode_lost, s->reason);
	if (s->episode_lost && o->gap_line) {
		char line[1024];
		size_t n = o->gap_line(o->ctx, s->name, s->episode_lost, s->reason, line, sizeof(line));
		uint64_t lb = s->lost;

		if (n && n < sizeof(line)) {
			int e = s->write(s, line, n, 0, 0);

			if (!e && s->flush)
				e = s->flush(s);
			if (!s->counts_lines && !e)
				s->written++;
			if (e) {
				/* Failing again: the same episode goes on. */
				s->lost = lb;
				s->failing = 1;
				return;
			}
		}
	}
	s->episode_lost = 0;
}

void edr_output__write(struct edr_output *o, const char *line, size_t len, int is_alert, int severity)
{
	int i;

	pthread_mutex_lock(&o->lock);
	o->lines++;
	for (i = 0; i < o->n; i++) {
		struct edr_sink *s = o->sinks[i];
		uint64_t lost = s->lost;
		int err = s->write(s, line, len, is_alert, severity);

		if (!s->counts_lines) {
			if (err)
				s->lost++;
			else
				s->written++;
		}
		/* A buffering sink accepting a line says nothing about the
		 * file; its flush does. */
		if (err || !s->counts_lines)
			episode(o, s, err, lost);
	}
	pthread_mutex_unlock(&o->lock);
}

void edr_output__flush(struct edr_output *o)
{
	int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < o->n; i++) {
		struct edr_sink *s = o->sinks[i];
		uint64_t lost = s->lost;

		if (s->flush)
			episode(o, s, s->flush(s), lost);
	}
	pthread_mutex_unlock(&o->lock);
}

void edr_output__sink_stats(struct edr_output *o, int i, uint64_t *written, uint64_t *lost,
			    uint64_t *pending)
{
	pthread_mutex_lock(&o->lock);
	*written = o->sinks[i]->written;
	*lost = o->sinks[i]->lost;
	*pending = o->sinks[i]->pending ? o->sinks[i]->pending(o->sinks[i]) : 0;
	pthread_mutex_unlock(&o->lock);
}

int edr_output__reopen(struct edr_output *o)
{
	int i, err, first = 0;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->reopen && (err = o->sinks[i]->reopen(o->sinks[i])) && !first)
			first = err;
	pthread_mutex_unlock(&o->lock);
	return first;
}

void edr_output__free(struct edr_output *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		o->sinks[i]->free(o->sinks[i]);
	o->n = 0;
}
