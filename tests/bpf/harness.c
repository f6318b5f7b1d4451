// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

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
	static const char *const process[] = { "exec", "fork", "exit" };
	const struct edr_feature_status *st;
	char err[256];
	int f, i;

	memset(h, 0, sizeof(*h));
	h->probe = *h_probe();
	if (path) {
		opts.force[h_feature("exec")] = opts.force[h_feature("fork")] = opts.force[h_feature("exit")] = path;
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
	for (i = 0; i < 3; i++) {
		f = h_feature(process[i]);
		if (st[f].chosen < 0 || (path && strcmp(st[f].paths[st[f].chosen], path))) {
			fprintf(stderr, "loader: feature %s not on path %s: %s\n", st[f].name,
				path ? path : "auto", st[f].npaths ? st[f].why[st[f].npaths - 1] : "");
			return -EIO;
		}
	}
	h->rb = ring_buffer__new(edr_loader__ring_fd(h->loader), h_on_record, h, NULL);
	return h->rb ? 0 : -errno;
}

const char *h_path_missing(const struct edr_probe *p, const char *path)
{
	if (!strcmp(path, "lsm")) {
		if (!p->ok[EDR_CAP_LSM_ACTIVE])
			return p->detail[EDR_CAP_LSM_ACTIVE];
		return p->ok[EDR_CAP_LSM] ? NULL : p->detail[EDR_CAP_LSM];
	}
	if (!strcmp(path, "fentry"))
		return p->ok[EDR_CAP_FENTRY] ? NULL : p->detail[EDR_CAP_FENTRY];
	if (!strcmp(path, "kprobe"))
		return p->ok[EDR_CAP_KPROBE] ? NULL : p->detail[EDR_CAP_KPROBE];
	if (!strcmp(path, "kill") || !strcmp(path, "tp_btf"))
		return p->ok[EDR_CAP_TP_BTF] ? NULL : p->detail[EDR_CAP_TP_BTF];
	if (!strcmp(path, "kill_raw_tp") || !strcmp(path, "raw_tp"))
		return p->ok[EDR_CAP_RAW_TP] ? NULL : p->detail[EDR_CAP_RAW_TP];
	if (!strcmp(path, "cgroup"))
		return p->ok[EDR_CAP_CGROUP_SOCK_ADDR] ? NULL : p->detail[EDR_CAP_CGROUP_SOCK_ADDR];
	if (!strcmp(path, "cgroup_skb"))
		return p->ok[EDR_CAP_CGROUP_SKB] ? NULL : p->detail[EDR_CAP_CGROUP_SKB];
	return p->ok[EDR_CAP_SYSCALL_TP] ? NULL : p->detail[EDR_CAP_SYSCALL_TP];
}

uint32_t h_path_src(const char *path)
{
	return !strcmp(path, "lsm") ? EDR_SRC_LSM : !strcmp(path, "fentry") ? EDR_SRC_FENTRY :
	       !strcmp(path, "kprobe") ? EDR_SRC_KPROBE : !strcmp(path, "kill") ? EDR_SRC_TP_BTF :
	       !strcmp(path, "kill_raw_tp") ? EDR_SRC_RAW_TP : !strcmp(path, "cgroup") ? EDR_SRC_CGROUP :
	       EDR_SRC_TRACEPOINT;
}

int h_feature(const char *name)
{
	int f = edr_feature_by_name(name);

	if (f < 0) {
		fprintf(stderr, "harness: no feature named '%s'\n", name);
		abort();
	}
	return f;
}

int h_has_path(const char *feature, const char *path)
{
	char list[128], *tok, *save = NULL;

	snprintf(list, sizeof(list), "%s", edr_feature_paths(h_feature(feature)));
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, path))
			return 1;
	return 0;
}

int h_start_forced(struct harness *h, const char *const *feats, size_t n, const char *path,
		   const struct edr_loader_opts *base, const char **why)
{
	struct edr_loader_opts opts = { .log = h_log };
	const struct edr_feature_status *st;
	char err[256];
	size_t i;
	int f;

	if (base)
		opts = *base;
	opts.log = h_log;
	memset(h, 0, sizeof(*h));
	h->probe = *h_probe();
	if ((*why = h_path_missing(&h->probe, path)))
		return -ENOTSUP;
	for (f = 0; f < edr_feature_count(); f++)
		opts.disabled[f] = 1;
	for (i = 0; i < n; i++) {
		if (!h_has_path(feats[i], path))
			continue;
		opts.disabled[h_feature(feats[i])] = 0;
		opts.force[h_feature(feats[i])] = path;
	}
	h->loader = edr_loader__new(&h->probe, &opts, err, sizeof(err));
	if (!h->loader) {
		fprintf(stderr, "loader: %s\n", err);
		return -EIO;
	}
	st = edr_loader__status(h->loader);
	for (i = 0; i < n; i++) {
		if (!h_has_path(feats[i], path))
			continue;
		f = h_feature(feats[i]);
		if (st[f].chosen < 0 || strcmp(st[f].paths[st[f].chosen], path)) {
			fprintf(stderr, "loader: feature %s not on path %s:", st[f].name, path);
			for (int p = 0; p < st[f].npaths; p++)
				fprintf(stderr, " %s: %s;", st[f].paths[p], st[f].why[p]);
			fprintf(stderr, "\n");
			return -EIO;
		}
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

int h_open(struct harness *h, const struct edr_loader_opts *opts)
{
	char err[256];

	h->loader = edr_loader__new(&h->probe, opts, err, sizeof(err));
	if (!h->loader) {
		fprintf(stderr, "loader: %s\n", err);
		return -EIO;
	}
	h->rb = ring_buffer__new(edr_loader__ring_fd(h->loader), h_on_record, h, NULL);
	return h->rb ? 0 : -errno;
}

int h_have(struct harness *h, void *want)
{
	const struct h_want *w = want;

	return h_find(h, w->type, w->tgid) != NULL;
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

size_t h_collect(struct harness *h, uint16_t type, uint32_t tgid, const struct edr_decoded **out,
		 size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < h->n && n < max; i++) {
		const struct edr_decoded *d = &h->recs[i]->d;

		if ((!type || d->type == type) && (!tgid || d->task->tgid == tgid))
			out[n++] = d;
	}
	return n;
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
	for (f = 0; f < edr_feature_count(); f++)
		if (st[f].chosen >= 0)
			printf(", %s via %s", st[f].name, st[f].paths[st[f].chosen]);
	printf("\n");
	fflush(stdout);
}

void h_run_add(struct h_runs *r, const char *name, CMUnitTestFunction fn, void *state, const char *label)
{
	if (r->n >= H_RUNS_MAX) {
		fprintf(stderr, "h_run_add: more than %d runs\n", H_RUNS_MAX);
		abort();
	}
	r->t[r->n] = (struct CMUnitTest)cmocka_unit_test_prestate(fn, state);
	snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s/%s", name, label);
	r->t[r->n].name = r->names[r->n];
	r->n++;
}

void h_runs_add(struct h_runs *r, const char *name, CMUnitTestFunction fn, const char *const *paths,
		size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h_run_add(r, name, fn, (void *)paths[i], paths[i]);
}

int h_runs_main(struct h_runs *r, const char *group)
{
	if (geteuid() != 0) {
		printf("# BPF tests need root, skipping\n");
		return 77;
	}
	/* libbpf's messages, like the loader's, only with EDR_TEST_VERBOSE. */
	edr_libbpf_set_log(h_log, NULL);
	return _cmocka_run_group_tests(group, r->t, r->n, NULL, NULL);
}
