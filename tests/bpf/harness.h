/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF integration test harness: loads the real programs through the real
 * loader, collects decoded records from the real ring buffer.
 */
#ifndef EDR_TEST_HARNESS_H
#define EDR_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "loader/loader.h"
#include "loader/probe.h"
#include "sensor/decode.h"

struct h_rec {
	size_t len;
	struct edr_decoded d;
	uint8_t data[];
};

struct harness {
	struct edr_probe probe;
	struct edr_loader *loader;
	struct ring_buffer *rb;
	struct h_rec **recs;
	size_t n, cap;
	uint64_t decode_errors;
};

/* ring_buffer__new callback collecting decoded records into h (ctx). */
int h_on_record(void *ctx, void *data, size_t len);
/* Loader log callback: quiet unless EDR_TEST_VERBOSE is set. */
void h_log(int debug, const char *msg, void *ctx);

/* The probe, run once per test binary. */
const struct edr_probe *h_probe(void);

/* Starts the programs. path forces exec/fork/exit onto one attach path
 * (NULL = automatic); target restricts to that tgid and its children.
 * Returns 0, or -ENOTSUP (with *why set) when the kernel lacks the path. */
int h_start(struct harness *h, const char *path, uint32_t target, uint32_t ring_size,
	    const char **why);
/* Collects records for up to ms milliseconds, returning early once
 * done(h, ctx) says so (done may be NULL). */
void h_poll(struct harness *h, int ms, int (*done)(struct harness *h, void *ctx), void *ctx);
void h_stop(struct harness *h);

/* First record of a type for a tgid (0 = any), or NULL. */
const struct edr_decoded *h_find(struct harness *h, uint16_t type, uint32_t tgid);

/* Converts stat()'s st_dev to the kernel's s_dev encoding. */
uint32_t h_kdev(unsigned long st_dev);

/* Prints "# <test>: kernel K, <feature> via <path>" for the log. */
void h_report(struct harness *h, const char *test);

#endif
