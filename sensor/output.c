// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sensor/output.h"

struct file_sink {
	struct edr_sink base;
	char *path; /* NULL for stdout */
	FILE *f;
	char *buf;
};

static int file_open(struct file_sink *fs)
{
	FILE *f;
	int fd;

	if (!fs->path) {
		fs->f = stdout;
	} else {
		fd = open(fs->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
		f = fdopen(fd, "a");
		if (!f) {
			int e = -errno;

			close(fd);
			return e;
		}
		fs->f = f;
	}
	/* Lines are flushed per batch, not per line. */
	setvbuf(fs->f, fs->buf, _IOFBF, 1 << 16);
	return 0;
}

static int file_write(struct edr_sink *s, const char *line, size_t len, int is_alert, int severity)
{
	struct file_sink *fs = (struct file_sink *)s;

	if (fwrite(line, 1, len, fs->f) != len || fputc('\n', fs->f) == EOF)
		return -EIO;
	return 0;
}

static int file_flush(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;

	return fflush(fs->f) ? -errno : 0;
}

static int file_reopen(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;
	FILE *old = fs->f;
	int err;

	if (!fs->path)
		return 0;
	fflush(old);
	err = file_open(fs);
	if (err) {
		fs->f = old; /* keep writing to the old file rather than nowhere */
		return err;
	}
	fclose(old);
	return 0;
}

static void file_free(struct edr_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;

	if (fs->f) {
		fflush(fs->f);
		if (fs->path)
			fclose(fs->f);
		else
			setvbuf(stdout, NULL, _IOLBF, 0);
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
	fs->base.write = file_write;
	fs->base.flush = file_flush;
	fs->base.reopen = file_reopen;
	fs->base.free = file_free;
	fs->buf = malloc(1 << 16);
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
		fs->f = NULL;
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

	o->lines++;
	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->write(o->sinks[i], line, len, is_alert, severity))
			o->write_errors++;
}

void edr_output__flush(struct edr_output *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->flush && o->sinks[i]->flush(o->sinks[i]))
			o->write_errors++;
}

int edr_output__reopen(struct edr_output *o)
{
	int i, err, first = 0;

	for (i = 0; i < o->n; i++)
		if (o->sinks[i]->reopen && (err = o->sinks[i]->reopen(o->sinks[i])) && !first)
			first = err;
	return first;
}

void edr_output__free(struct edr_output *o)
{
	int i;

	for (i = 0; i < o->n; i++)
		o->sinks[i]->free(o->sinks[i]);
	o->n = 0;
}
