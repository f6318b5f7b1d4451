/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Output sinks for JSON lines. The daemon writes each record to every
 * configured sink; a sink that fails counts the failure and the sensor
 * carries on.
 */
#ifndef EDR_OUTPUT_H
#define EDR_OUTPUT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct edr_sink {
	const char *name; /* for status: "stdout", the file path, "journald" */
	/* line has no trailing newline; severity 0..100 for alerts, 0 for events */
	int (*write)(struct edr_sink *s, const char *line, size_t len, int is_alert, int severity);
	int (*flush)(struct edr_sink *s);   /* may be NULL */
	int (*reopen)(struct edr_sink *s);  /* may be NULL; SIGHUP */
	size_t (*pending)(struct edr_sink *s); /* may be NULL; lines held, not yet written */
	void (*free)(struct edr_sink *s);
	/* Accounting, under the output's lock. A sink that buffers counts its
	 * own lines (counts_lines); for the others every write() is one line,
	 * written when it returns 0 and lost otherwise. */
	int counts_lines;
	uint64_t written, lost;
	/* The failure episode: since the first failed write until a write
	 * succeeds with nothing left pending. */
	int failing;
	uint64_t episode_lost;
	char reason[96];
};

/* path NULL or "-" is stdout. NULL and errno on failure. */
struct edr_sink *edr_sink_file__new(const char *path);

#define EDR_MAX_SINKS 4

/*
 * write, flush and reopen may be called from several threads (the event
 * thread, the response worker, fanotify workers): one mutex, uncontended in
 * the common case (the event thread alone). A zeroed struct is ready to use
 * (glibc's PTHREAD_MUTEX_INITIALIZER is all zeros), as the daemon's static
 * one is.
 */
struct edr_output {
	struct edr_sink *sinks[EDR_MAX_SINKS];
	int n;
	uint64_t lines, write_errors;
	pthread_mutex_t lock;
	/* Optional: where the first failure and the recovery of a sink are
	 * told, and the gap record (one ECS line, no newline; its length, 0
	 * for none) written to a sink that recovers after losing lines. */
	void (*log)(void *ctx, const char *msg);
	size_t (*gap_line)(void *ctx, const char *sink, uint64_t lost, const char *reason, char *buf,
			   size_t size);
	void *ctx;
};

int edr_output__add(struct edr_output *o, struct edr_sink *s);
void edr_output__write(struct edr_output *o, const char *line, size_t len, int is_alert, int severity);
void edr_output__flush(struct edr_output *o);
/* Lines sink i wrote, lost for good, and holds for a retry. */
void edr_output__sink_stats(struct edr_output *o, int i, uint64_t *written, uint64_t *lost,
			    uint64_t *pending);
/* Reopens every sink; returns the first error, others are still tried. */
int edr_output__reopen(struct edr_output *o);
void edr_output__free(struct edr_output *o);

#endif /* EDR_OUTPUT_H */
