// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor/output/output.h"

/*
 * Files get whole lines only: lines are gathered in a buffer and written
 * with write(2) at line boundaries, so a crash loses buffered lines but
 * never leaves half a line for a reader (or the next run) to trip on.
 */
#define FILE_SINK_BUF (64 * 1024)

struct file_sink {
	struct edr_sink base;
	char *path; /* NULL for stdout */
	int fd;
	char *buf;
	size_t len;
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

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= w;
	}
	return 0;
}

static int file_flush(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;
	int err;

	if (!fs->len)
		return 0;
	err = write_all(fs->fd, fs->buf, fs->len);
	fs->len = 0; /* on error the lines are dropped; the caller counts it */
	return err;
}

static int file_write(struct edr_sink *s, const char *line, size_t len, int is_alert, int severity)
{
	struct file_sink *fs = (struct file_sink *)s;
	int err = 0;

	if (fs->len + len + 1 > FILE_SINK_BUF)
		err = file_flush(s);
	if (len + 1 > FILE_SINK_BUF) {
		/* A line bigger than the buffer goes out on its own. */
		char nl = '\n';

		if (!err)
			err = write_all(fs->fd, line, len);
		if (!err)
			err = write_all(fs->fd, &nl, 1);
		return err;
	}
	memcpy(fs->buf + fs->len, line, len);
	fs->buf[fs->len + len] = '\n';
	fs->len += len + 1;
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
	fs->base.free = file_free;
	fs->buf = malloc(FILE_SINK_BUF);
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

void edr_output__write(struct edr_output *o, const char *line, size_t len, int is_alert, int severity)
{
	int i;

	pthread_mutex_lock(&o->lock);
	o->lines++;
	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->write(o->sinks[i], line, len, is_alert, severity))
			o->write_errors++;
	pthread_mutex_unlock(&o->lock);
}

void edr_output__flush(struct edr_output *o)
{
	int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->flush && o->sinks[i]->flush(o->sinks[i]))
			o->write_errors++;
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
