// SPDX-License-Identifier: GPL-2.0-only
/*
 * The loader's fallback after a refusal at load, for real. The probe is told
 * fentry works on a kernel that refuses tracing programs at BPF_PROG_LOAD
 * (EPERM, see PLATFORM.md), so the first load of the object fails in the
 * kernel. The loader must find which feature and path failed (by loading
 * subsets of the chosen paths, not by reading libbpf's messages), report it
 * as "refused by the kernel at load", and carry on with the next path.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/bpf/harness.h"

#define MAX_NOTES 32

struct notes {
	char line[MAX_NOTES][256];
	int n;
};

static void collect(int debug, const char *msg, void *ctx)
{
	struct notes *n = ctx;

	if (!debug && n->n < MAX_NOTES)
		snprintf(n->line[n->n++], sizeof(n->line[0]), "%s", msg);
	h_log(debug, msg, NULL);
}

static int noted(const struct notes *n, const char *prefix)
{
	for (int i = 0; i < n->n; i++)
		if (!strncmp(n->line[i], prefix, strlen(prefix)))
			return 1;
	return 0;
}

/* The features named on[], everything else off; with forced, that feature
 * is forced onto path force. The probe claims fentry works. */
static struct edr_loader *start_lying(const char *const *on, size_t n, const char *forced,
				      const char *force, struct notes *notes, struct edr_probe *p)
{
	struct edr_loader_opts opts = { .target_tgid = getpid(), .log = collect, .log_ctx = notes };
	struct edr_loader *l;
	char err[256];
	size_t i;
	int f;

	*p = *h_probe();
	if (p->ok[EDR_CAP_FENTRY]) {
		printf("# skipped: this kernel loads fentry programs, no refusal to provoke\n");
		skip();
	}
	if (!p->ok[EDR_CAP_SYSCALL_TP]) {
		printf("# skipped: no syscall tracepoints to fall back to: %s\n", p->detail[EDR_CAP_SYSCALL_TP]);
		skip();
	}
	p->ok[EDR_CAP_FENTRY] = 1;
	for (f = 0; f < edr_feature_count(); f++)
		opts.disabled[f] = 1;
	for (i = 0; i < n; i++)
		opts.disabled[h_feature(on[i])] = 0;
	if (forced)
		opts.force[h_feature(forced)] = force;
	l = edr_loader__new(p, &opts, err, sizeof(err));
	if (!l)
		fail_msg("loader: %s", err);
	return l;
}

static int path_index(const struct edr_feature_status *st, const char *path)
{
	for (int i = 0; i < st->npaths; i++)
		if (!strcmp(st->paths[i], path))
			return i;
	fail_msg("feature %s has no path %s", st->name, path);
	return -1;
}

/* Two features refused on fentry (so the search must find each in turn),
 * one feature without an fentry path loaded alongside. */
static void test_refused_at_load_falls_back(void **state)
{
	static const char *const on[] = { "exec", "file_unlink", "net_bind" };
	static const char *const refused[] = { "file_unlink", "net_bind" };
	const struct edr_feature_status *st;
	struct edr_probe p;
	struct notes notes = {};
	struct edr_loader *l = start_lying(on, 3, NULL, NULL, &notes, &p);
	uint32_t ids[64];
	char prefix[128];

	st = edr_loader__status(l);
	for (size_t i = 0; i < 2; i++) {
		const struct edr_feature_status *fs = &st[h_feature(refused[i])];
		int fe = path_index(fs, "fentry");

		assert_int_equal(fs->state, EDR_FEAT_DEGRADED);
		assert_string_equal(fs->paths[fs->chosen], "tracepoint");
		assert_string_equal(fs->why[fe], "refused by the kernel at load: Operation not permitted");
		snprintf(prefix, sizeof(prefix), "%s: fentry path refused at load (Operation not permitted), "
			 "trying the next", refused[i]);
		assert_true(noted(&notes, prefix));
	}
	assert_int_equal(st[h_feature("exec")].state, EDR_FEAT_ACTIVE);
	assert_int_equal(st[h_feature("file_write")].state, EDR_FEAT_OFF);
	assert_true(edr_loader__prog_ids(l, ids, 64) > 3);
	edr_loader__free(l);
}

/* Forced onto a path the kernel refuses: the feature is unavailable, the
 * others still load. */
static void test_forced_path_refused(void **state)
{
	static const char *const on[] = { "exec", "file_unlink" };
	const struct edr_feature_status *st;
	struct edr_probe p;
	struct notes notes = {};
	struct edr_loader *l;
	int fe, tp;

	l = start_lying(on, 2, "file_unlink", "fentry", &notes, &p);
	st = &edr_loader__status(l)[h_feature("file_unlink")];
	fe = path_index(st, "fentry");
	tp = path_index(st, "tracepoint");
	assert_int_equal(st->state, EDR_FEAT_UNAVAILABLE);
	assert_int_equal(st->chosen, -1);
	assert_string_equal(st->why[fe], "refused by the kernel at load: Operation not permitted");
	assert_string_equal(st->why[tp], "not the forced path (fentry)");
	assert_true(noted(&notes, "file_unlink: fentry path refused at load (Operation not permitted)"));
	assert_int_equal(edr_loader__status(l)[h_feature("exec")].state, EDR_FEAT_ACTIVE);
	edr_loader__free(l);
}

int main(void)
{
	static struct h_runs r;

	h_run_add(&r, "fallback", test_refused_at_load_falls_back, NULL, "fentry refused");
	h_run_add(&r, "forced", test_forced_path_refused, NULL, "fentry refused");
	return h_runs_main(&r, "bpf_loader");
}
