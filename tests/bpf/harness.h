/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF integration test harness: loads the real programs through the real
 * loader, collects decoded records from the real ring buffer.
 */
#ifndef EDR_TEST_HARNESS_H
#define EDR_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "loader/loader.h"
#include "loader/probe.h"
#include "sensor/decode.h"
#include "sensor/family/family.h"
#include "sensor/family/file.h"
#include "sensor/family/kern.h"
#include "sensor/family/net.h"

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
/* Why the running kernel cannot use attach path ("lsm", "fentry", "kprobe",
 * "tracepoint"), from the probe; NULL when it can. */
const char *h_path_missing(const struct edr_probe *p, const char *path);
/* The EDR_SRC_* value the record header carries for attach path. */
uint32_t h_path_src(const char *path);
/* A feature's number by name; aborts when there is none (a typo in a test). */
int h_feature(const char *name);
/* Whether the feature named feature has an attach path named path. */
int h_has_path(const char *feature, const char *path);

/*
 * Starts only the features named feats[0..n) that have attach path path, each
 * forced onto it, everything else off; base (may be NULL) gives the other
 * options (target_tgid, self_tgid, open_dedup_ns...). Returns 0, -ENOTSUP
 * (with *why set) when the kernel lacks the path, or -EIO when a feature
 * did not end up on it (the loader's reasons are printed).
 */
int h_start_forced(struct harness *h, const char *const *feats, size_t n, const char *path,
		   const struct edr_loader_opts *base, const char **why);

/*
 * A test's start: CALL is an h_start*() call that sets why_ (declared here)
 * and returns 0 or -ENOTSUP. -ENOTSUP skips the test with the loader's
 * reason for path, any other error fails it. Needs cmocka.h.
 */
#define H_START(path, call)                                                                \
	do {                                                                               \
		const char *why_ = NULL;                                                   \
		int err_ = (call);                                                         \
		if (err_ == -ENOTSUP) {                                                    \
			printf("# skipped on path %s: %s\n", (const char *)(path), why_); \
			skip();                                                            \
		}                                                                          \
		assert_int_equal(err_, 0);                                                 \
	} while (0)

/* A test binary's runs: test functions with their states, each named
 * "<name>/<label>" in the output (label: the attach path). */
#define H_RUNS_MAX 32
struct h_runs {
	struct CMUnitTest t[H_RUNS_MAX];
	char names[H_RUNS_MAX][48];
	size_t n;
};

/* One run of fn with state, named name/label. */
void h_run_add(struct h_runs *r, const char *name, CMUnitTestFunction fn, void *state, const char *label);
/* One run of fn per attach path, each path its state and label. */
void h_runs_add(struct h_runs *r, const char *name, CMUnitTestFunction fn, const char *const *paths,
		size_t n);
/* Runs them as cmocka group `group` (libbpf's messages through h_log); 77
 * (skipped) when not root. */
int h_runs_main(struct h_runs *r, const char *group);

/* Creates h->loader with opts (onto a cleared h whose probe is set) and its
 * ring buffer: 0, or -EIO (the loader's reason printed) or -errno. */
int h_open(struct harness *h, const struct edr_loader_opts *opts);

/* A done() for h_poll(): a record of type for tgid has arrived. */
struct h_want {
	uint16_t type;
	uint32_t tgid;
};
int h_have(struct harness *h, void *want);

/* Collects records for up to ms milliseconds, returning early once
 * done(h, ctx) says so (done may be NULL). */
void h_poll(struct harness *h, int ms, int (*done)(struct harness *h, void *ctx), void *ctx);
void h_stop(struct harness *h);

/* First record of a type for a tgid (0 = any), or NULL. */
const struct edr_decoded *h_find(struct harness *h, uint16_t type, uint32_t tgid);
/* Records of a type (0 = any) for a tgid (0 = any), in arrival order: at
 * most max of them in out; returns how many it stored. */
size_t h_collect(struct harness *h, uint16_t type, uint32_t tgid, const struct edr_decoded **out,
		 size_t max);

/* Converts stat()'s st_dev to the kernel's s_dev encoding. */
uint32_t h_kdev(unsigned long st_dev);

/* Prints "# <test>: kernel K, <feature> via <path>" for the log. */
void h_report(struct harness *h, const char *test);

#endif
