// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

static struct edr_probe probe;
static int probed;

const struct edr_probe *h_probe(void)
{
	if (!probed) {
		edr_probe__run(&probe);
		probed = 1;
	}
	return &probe;
}

int h_on_record(void *ctx, void *data, size_t len)
{
	struct harness *h = ctx;
	struct h_rec *r;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct h_rec **nr = realloc(h->recs, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		h->recs = nr;
		h->cap = cap;
	}
	r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	r->len = len;
	memcpy(r->data, data, len);
	if (edr_decode(r->data, len, &r->d)) {
		h->decode_errors++;
		free(r);
		return 0;
	}
	h->recs[h->n++] = r;
	return 0;
}

void h_log(int debug, const char *msg, void *ctx)
{
	if (!debug && getenv("EDR_TEST_VERBOSE"))
		fprintf(stderr, "loader: %s\n", msg);
}

int h_start(struct harness *h, const char *path, uint32_t target, uint32_t ring_size, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = target, .ring_size = ring_size, .log = h_log };
	const struct edr_feature_status *st;
	char err[256];
	int f;

	memset(h, 0, sizeof(*h));
	h->probe = *h_probe();
	if (path) {
		opts.force[EDR_FEAT_EXEC] = opts.force[EDR_FEAT_FORK] = opts.force[EDR_FEAT_EXIT] = path;
		if (!strcmp(path, "tp_btf") && !h->probe.ok[EDR_CAP_TP_BTF]) {
			*why = h->probe.detail[EDR_CAP_TP_BTF];
			return -ENOTSUP;
		}
		if (!strcmp(path, "raw_tp") && !h->probe.ok[EDR_CAP_RAW_TP]) {
			*why = h->probe.detail[EDR_CAP_RAW_TP];
			return -ENOTSUP;
		}
	}
	h->loader = edr_loader__new(&h->probe, &opts, err, sizeof(err));
	if (!h->loader) {
		fprintf(stderr, "loader: %s\n", err);
		return -EIO;
	}
	st = edr_loader__status(h->loader);
	for (f = 0; f <= EDR_FEAT_EXIT; f++)
		if (st[f].chosen < 0 || (path && strcmp(st[f].paths[st[f].chosen], path))) {
			fprintf(stderr, "loader: feature %s not on path %s: %s\n", st[f].name,
				path ? path : "auto", st[f].npaths ? st[f].why[st[f].npaths - 1] : "");
			return -EIO;
		}
	h->rb = ring_buffer__new(edr_loader__ring_fd(h->loader), h_on_record, h, NULL);
	return h->rb ? 0 : -errno;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_poll(struct harness *h, int ms, int (*done)(struct harness *h, void *ctx), void *ctx)
{
	long end = now_ms() + ms;

	do {
		ring_buffer__poll(h->rb, 20);
		if (done && done(h, ctx))
			return;
	} while (now_ms() < end);
}

void h_stop(struct harness *h)
{
	size_t i;

	ring_buffer__free(h->rb);
	edr_loader__free(h->loader);
	for (i = 0; i < h->n; i++)
		free(h->recs[i]);
	free(h->recs);
	memset(h, 0, sizeof(*h));
}

const struct edr_decoded *h_find(struct harness *h, uint16_t type, uint32_t tgid)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->recs[i]->d.type == type && (!tgid || h->recs[i]->d.task->tgid == tgid))
			return &h->recs[i]->d;
	return NULL;
}

uint32_t h_kdev(unsigned long st_dev)
{
	return (major(st_dev) << 20) | minor(st_dev);
}

void h_report(struct harness *h, const char *test)
{
	const struct edr_feature_status *st = edr_loader__status(h->loader);
	const char *k = getenv("EDR_TEST_KERNEL");
	int f;

	printf("# %s: kernel %s%s%s%s", test, h->probe.kernel, k ? " (" : "", k ? k : "", k ? ")" : "");
	for (f = 0; f < EDR_FEAT__COUNT; f++)
		if (st[f].chosen >= 0)
			printf(", %s via %s", st[f].name, st[f].paths[st[f].chosen]);
	printf("\n");
	fflush(stdout);
}
