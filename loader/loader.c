// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/enforce.h"
#include "loader/feature_def.h"
#include "loader/loader.h"
#include "edr.skel.h"

struct edr_loader {
	struct edr_bpf *skel;
	int nfeat;
	int cgroup_fd;  /* the cgroup2 root, for cgroup programs; -1 until needed */
	struct bpf_link *links[EDR_MAX_FEATURES][EDR_MAX_PROGS];
	struct edr_feature_status status[EDR_MAX_FEATURES];
	int frozen_maps; /* kernel-only maps frozen after load */
};

const char *edr_feat_state_name(enum edr_feat_state s)
{
	switch (s) {
	case EDR_FEAT_OFF: return "off";
	case EDR_FEAT_ACTIVE: return "active";
	case EDR_FEAT_DEGRADED: return "degraded";
	case EDR_FEAT_UNAVAILABLE: return "unavailable";
	}
	return "?";
}

/*
 * libbpf's print hook is process-wide, so its sink is too: the one state
 * the loader keeps outside a struct edr_loader. Messages pass through
 * unread; which program a failed load belongs to is found by loading
 * (see find_refused()), not from this text.
 */
static struct {
	void (*log)(int debug, const char *msg, void *ctx);
	void *ctx;
	libbpf_print_fn_t before;
	int set;
} libbpf_sink;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (!libbpf_sink.log)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	libbpf_sink.log(level == LIBBPF_DEBUG, msg, libbpf_sink.ctx);
	return 0;
}

void edr_libbpf_set_log(void (*log)(int debug, const char *msg, void *ctx), void *ctx)
{
	libbpf_print_fn_t old;

	libbpf_sink.log = log;
	libbpf_sink.ctx = ctx;
	old = libbpf_set_print(log ? libbpf_print : libbpf_sink.before);
	if (!libbpf_sink.set) {
		libbpf_sink.before = old;
		libbpf_sink.set = 1;
	}
}

/* Whether the syscall tracepoint a "tracepoint__sys_..." program attaches
 * to exists. */
static int syscall_tp_exists(const char *prog)
{
	char event[128];

	if (strncmp(prog, "tracepoint__sys_", strlen("tracepoint__sys_")))
		return 1;
	snprintf(event, sizeof(event), "syscalls/%s", prog + strlen("tracepoint__"));
	return edr_tracefs_has(event, F_OK);
}

/* Picks the first path not yet refused; refusal reasons stay in why[]. */
static void choose(struct edr_feature_status *st, const struct edr_feature_def *fd,
		   const struct edr_probe *probe, const struct edr_loader_opts *opts,
		   int f, const int refused[EDR_MAX_PATHS])
{
	int i;

	st->name = fd->name;
	st->npaths = edr_feature_npaths(fd);
	st->chosen = -1;
	for (i = 0; i < st->npaths; i++)
		st->paths[i] = fd->paths[i].name;
	if (opts && opts->disabled[f]) {
		st->state = EDR_FEAT_OFF;
		for (i = 0; i < st->npaths; i++)
			snprintf(st->why[i], sizeof(st->why[i]), "feature disabled by configuration");
		return;
	}
	for (i = 0; i < st->npaths; i++) {
		const struct edr_path_def *pd = &fd->paths[i];

		if (refused[i])
			continue; /* why[] already says why */
		if (opts && opts->force[f] && strcmp(opts->force[f], pd->name)) {
			snprintf(st->why[i], sizeof(st->why[i]), "not the forced path (%s)", opts->force[f]);
			continue;
		}
		if (!probe->ok[pd->cap]) {
			snprintf(st->why[i], sizeof(st->why[i]), "%s", probe->detail[pd->cap]);
			continue;
		}
		if (pd->cap2 != NOCAP && !probe->ok[pd->cap2]) {
			snprintf(st->why[i], sizeof(st->why[i]), "%s", probe->detail[pd->cap2]);
			continue;
		}
		if (pd->cap == EDR_CAP_SYSCALL_TP && !syscall_tp_exists(pd->progs[0].name)) {
			/* e.g. no init_module without CONFIG_MODULES: refused here
			 * rather than by a failed attach and a second load. */
			snprintf(st->why[i], sizeof(st->why[i]), "no tracepoint syscalls:%s in this kernel",
				 pd->progs[0].name + strlen("tracepoint__"));
			continue;
		}
		if (st->chosen < 0) {
			st->chosen = i;
			snprintf(st->why[i], sizeof(st->why[i]), "%s", pd->progs[0].on_demand ?
				 "chosen: loaded, attached only on demand (while isolated)" : "chosen");
		} else {
			snprintf(st->why[i], sizeof(st->why[i]), "available, not needed");
		}
	}
	if (st->chosen < 0)
		st->state = EDR_FEAT_UNAVAILABLE;
	else
		st->state = st->chosen == 0 ? EDR_FEAT_ACTIVE : EDR_FEAT_DEGRADED;
}

void edr_loader__plan(const struct edr_probe *probe, const struct edr_loader_opts *opts,
		      struct edr_feature_status status[EDR_MAX_FEATURES])
{
	int refused[EDR_MAX_PATHS] = {};
	int f, n = edr_feature_count();

	memset(status, 0, sizeof(*status) * EDR_MAX_FEATURES);
	for (f = 0; f < n; f++)
		choose(&status[f], edr_feature_def(f), probe, opts, f, refused);
}

static void note(const struct edr_loader_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct edr_loader_opts *opts, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!opts || !opts->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	opts->log(0, msg, opts->log_ctx);
}

/* Links destroyed by one detach thread: every DETACH_THREADS-th of the list. */
#define DETACH_THREADS 16
struct detach_job {
	struct bpf_link **links;
	int n, first, step;
};

static void *detach_some(void *arg)
{
	struct detach_job *j = arg;
	int i;

	for (i = j->first; i < j->n; i += j->step)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

/*
 * Closing a tracepoint link waits for the kernel to let go of the program
 * (tens of ms, a grace period), so closing 85 links one after the other
 * took seconds. Closed from several threads at once, the waits overlap.
 * A thread that cannot start leaves its share to the calling thread.
 */
void edr_loader__detach(struct edr_loader *l)
{
	struct bpf_link *links[EDR_MAX_FEATURES * EDR_MAX_PROGS];
	struct detach_job jobs[DETACH_THREADS];
	pthread_t tids[DETACH_THREADS];
	int started[DETACH_THREADS] = { 0 };
	int f, m, n = 0, t, nt;

	if (!l)
		return;
	for (f = 0; f < EDR_MAX_FEATURES; f++)
		for (m = 0; m < EDR_MAX_PROGS; m++) {
			if (l->links[f][m])
				links[n++] = l->links[f][m];
			l->links[f][m] = NULL;
		}
	/* EDR_DETACH_THREADS=1 detaches one link after the other, as before
	 * (for make bench-restart's side-by-side figure). */
	nt = getenv("EDR_DETACH_THREADS") ? atoi(getenv("EDR_DETACH_THREADS")) : DETACH_THREADS;
	if (nt < 1 || nt > DETACH_THREADS)
		nt = DETACH_THREADS;
	for (t = 0; t < nt && t < n; t++) {
		jobs[t] = (struct detach_job){ links, n, t, nt };
		started[t] = t > 0 && pthread_create(&tids[t], NULL, detach_some, &jobs[t]) == 0;
	}
	for (t = 0; t < nt && t < n; t++)
		if (!started[t])
			detach_some(&jobs[t]);
	for (t = 0; t < nt && t < n; t++)
		if (started[t])
			pthread_join(tids[t], NULL);
}

static void destroy(struct edr_loader *l)
{
	edr_loader__detach(l);
	edr_bpf__destroy(l->skel);
	l->skel = NULL;
	if (l->cgroup_fd >= 0)
		close(l->cgroup_fd);
	l->cgroup_fd = -1;
}

/*
 * Sets rodata and map sizes, and autoloads the programs of each feature's
 * chosen path; with pick, only of the features pick[] marks.
 */
static int configure(struct edr_bpf *skel, const struct edr_loader_opts *opts,
		     const struct edr_feature_status *status, int nfeat, const unsigned char *pick)
{
	struct bpf_program *prog;
	uint32_t ring = opts->ring_size ? opts->ring_size : 8u << 20;
	int f, i, err;

	skel->rodata->cfg_self_tgid = opts->self_tgid;
	skel->rodata->cfg_target_tgid = opts->target_tgid;
	skel->rodata->cfg_wakeup_bytes = opts->wakeup_bytes;
	skel->rodata->cfg_open_dedup_ns = opts->open_dedup_ns;
	err = bpf_map__set_max_entries(skel->maps.events, ring);
	if (err)
		return err;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (f = 0; f < nfeat; f++) {
		const struct edr_path_def *pd;

		if (status[f].chosen < 0 || (pick && !pick[f]))
			continue;
		pd = &edr_feature_def(f)->paths[status[f].chosen];
		for (i = 0; i < pd->nprogs; i++) {
			err = bpf_program__set_autoload(edr_prog(skel, &pd->progs[i]), true);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Loads (then unloads) the chosen paths of n features only: 0 when the
 * kernel accepts them, else the load's error. */
static int trial_load(const struct edr_loader_opts *opts, const struct edr_feature_status *status,
		      int nfeat, const int *feats, int n)
{
	unsigned char pick[EDR_MAX_FEATURES] = {};
	struct edr_bpf *skel;
	int i, e;

	for (i = 0; i < n; i++)
		pick[feats[i]] = 1;
	skel = edr_bpf__open();
	if (!skel)
		return -errno;
	e = configure(skel, opts, status, nfeat, pick);
	if (!e)
		e = edr_bpf__load(skel);
	edr_bpf__destroy(skel);
	return e;
}

/*
 * Which feature's chosen path made a load fail. libbpf unloads every
 * program when one is refused, so nothing in the failed object tells;
 * instead the chosen paths are loaded again in halves, keeping a half that
 * fails, until one feature is left (about log2(features) + 2 loads, on the
 * rare failure only). Returns the feature, with its load error in *load_err,
 * or -1 when no single path is to blame (the maps alone fail, say).
 */
static int find_refused(const struct edr_loader_opts *opts, const struct edr_feature_status *status,
			int nfeat, int *load_err)
{
	int cand[EDR_MAX_FEATURES], n = 0, lo, hi, f, e, known_bad = 1;

	for (f = 0; f < nfeat; f++)
		if (status[f].chosen >= 0)
			cand[n++] = f;
	if (!n || trial_load(opts, status, nfeat, cand, 0))
		return -1;
	/* cand[lo..hi) fails to load as a whole (known_bad) or by deduction. */
	for (lo = 0, hi = n; hi - lo > 1;) {
		int mid = lo + (hi - lo) / 2;

		e = trial_load(opts, status, nfeat, cand + lo, mid - lo);
		if (e) {
			hi = mid;
			*load_err = e;
			known_bad = 1;
		} else {
			lo = mid;
			known_bad = 0;
		}
	}
	if (!known_bad) {
		e = trial_load(opts, status, nfeat, cand + lo, 1);
		if (!e)
			return -1;
		*load_err = e;
	}
	return cand[lo];
}

/*
 * Attaches one program: cgroup programs to the cgroup2 root through a link
 * (not pinned: it goes when the sensor goes), the others where their
 * section says. NULL with errno set on failure.
 */
static struct bpf_link *attach_prog(struct edr_loader *l, struct bpf_program *prog)
{
	enum bpf_prog_type t = bpf_program__type(prog);
	const char *root;

	if (t != BPF_PROG_TYPE_CGROUP_SOCK_ADDR && t != BPF_PROG_TYPE_CGROUP_SKB &&
	    t != BPF_PROG_TYPE_CGROUP_SOCK)
		return bpf_program__attach(prog);
	if (l->cgroup_fd < 0) {
		root = edr_cgroup2_root();
		if (!root) {
			errno = ENOENT;
			return NULL;
		}
		l->cgroup_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (l->cgroup_fd < 0)
			return NULL;
	}
	return bpf_program__attach_cgroup(prog, l->cgroup_fd);
}

/* Attaches the chosen path's programs; a refusal refuses the path. */
static int attach_feature(struct edr_loader *l, int f, const struct edr_loader_opts *opts)
{
	struct edr_feature_status *st = &l->status[f];
	const struct edr_feature_def *fd = edr_feature_def(f);
	const struct edr_path_def *pd = &fd->paths[st->chosen];
	char *why = st->why[st->chosen];
	int m, e;

	for (m = 0; m < pd->nprogs; m++) {
		const struct edr_prog_ref *r = &pd->progs[m];

		if (m >= EDR_MAX_PROGS) {
			snprintf(why, sizeof(st->why[0]), "more than %d programs in one path (EDR_MAX_PROGS)",
				 EDR_MAX_PROGS);
			return -E2BIG;
		}
		if (r->on_demand)
			continue;
		l->links[f][m] = attach_prog(l, edr_prog(l->skel, r));
		if (l->links[f][m])
			continue;
		e = -errno;
		if (r->optional && e == -ENOENT) {
			note(opts, "%s: %s not in this kernel, ignoring", fd->name, r->name);
			continue;
		}
		if (m == 0) {
			snprintf(why, sizeof(st->why[0]), "refused by the kernel at attach: %s", strerror(-e));
			note(opts, "%s: %s path refused at attach (%s), trying the next", fd->name, pd->name,
			     strerror(-e));
		} else {
			snprintf(why, sizeof(st->why[0]), "refused by the kernel at attach: %s: %s", r->name,
				 strerror(-e));
			note(opts, "%s: %s path refused at attach (%s: %s), trying the next", fd->name,
			     pd->name, r->name, strerror(-e));
		}
		return e;
	}
	return 0;
}

/* Chooses again for every feature, keeping the reasons of refused paths. */
static void replan(struct edr_loader *l, const struct edr_probe *probe, const struct edr_loader_opts *opts,
		   int refused[][EDR_MAX_PATHS])
{
	int f, i;

	for (f = 0; f < l->nfeat; f++) {
		char saved[EDR_MAX_PATHS][sizeof(l->status[0].why[0])];

		memcpy(saved, l->status[f].why, sizeof(saved));
		choose(&l->status[f], edr_feature_def(f), probe, opts, f, refused[f]);
		for (i = 0; i < EDR_MAX_PATHS; i++)
			if (refused[f][i])
				memcpy(l->status[f].why[i], saved[i], sizeof(saved[i]));
	}
}

/*
 * Maps only the BPF programs write (scratch and per-call state, the
 * counters): frozen once loaded so that no process, the sensor included,
 * can write them through bpf(); the programs still can. The maps user space
 * writes (enforce_cfg, the deny and isolate maps) stay writable, and the
 * ring buffer cannot be frozen (its consumer page is mapped writable).
 */
static const char *const kernel_only_maps[] = {
	"stats", "scratch", "file_args", "open_seen", "chmod_old", "file_pend", "file_trunc",
	"kern_modname", "memfd_args", "net_dests", "walkbuf", "cred_args", "ptrace_args", "vm_args",
};

const char *const *edr_loader_kernel_only_maps(size_t *n)
{
	*n = sizeof(kernel_only_maps) / sizeof(kernel_only_maps[0]);
	return kernel_only_maps;
}

static int freeze_kernel_maps(struct edr_loader *l, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(kernel_only_maps) / sizeof(kernel_only_maps[0]); i++) {
		int fd = bpf_object__find_map_fd_by_name(l->skel->obj, kernel_only_maps[i]);

		if (fd < 0)
			continue;
		if (bpf_map_freeze(fd)) {
			int e = -errno;

			snprintf(err, errlen, "cannot freeze BPF map %s: %s", kernel_only_maps[i], strerror(-e));
			return e;
		}
		l->frozen_maps++;
	}
	return 0;
}

/*
 * One open, configure, load and attach of the current plan. 0 when all is
 * attached; 1 when a path was refused (marked in refused[], try again);
 * a negative errno, with err filled, when nothing more can be tried.
 */
static int attempt(struct edr_loader *l, const struct edr_loader_opts *opts, int refused[][EDR_MAX_PATHS],
		   char *err, size_t errlen)
{
	int f, e, pf, retry = 0;

	l->skel = edr_bpf__open();
	if (!l->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
		return e;
	}
	e = configure(l->skel, opts, l->status, l->nfeat, NULL);
	if (e) {
		snprintf(err, errlen, "cannot configure BPF object: %s", strerror(-e));
		return e;
	}
	e = edr_bpf__load(l->skel);
	if (e) {
		destroy(l);
		pf = find_refused(opts, l->status, l->nfeat, &e);
		if (pf < 0) {
			snprintf(err, errlen, "cannot load BPF programs: %s", strerror(-e));
			return e;
		}
		refused[pf][l->status[pf].chosen] = 1;
		snprintf(l->status[pf].why[l->status[pf].chosen], sizeof(l->status[pf].why[0]),
			 "refused by the kernel at load: %s", strerror(-e));
		note(opts, "%s: %s path refused at load (%s), trying the next", l->status[pf].name,
		     l->status[pf].paths[l->status[pf].chosen], strerror(-e));
		return 1;
	}
	for (f = 0; f < l->nfeat; f++) {
		if (l->status[f].chosen < 0)
			continue;
		if (attach_feature(l, f, opts)) {
			refused[f][l->status[f].chosen] = 1;
			retry = 1;
		}
	}
	if (retry) {
		destroy(l);
		return retry;
	}
	return freeze_kernel_maps(l, err, errlen);
}

struct edr_loader *edr_loader__new(const struct edr_probe *probe, const struct edr_loader_opts *opts,
				   char *err, size_t errlen)
{
	static const struct edr_loader_opts no_opts;
	int refused[EDR_MAX_FEATURES][EDR_MAX_PATHS] = {};
	struct edr_loader *l;
	int tries, f, e = 0, any;

	if (!opts)
		opts = &no_opts;
	if (opts->ring_size && (opts->ring_size < 4096 || (opts->ring_size & (opts->ring_size - 1)))) {
		snprintf(err, errlen, "ring buffer size %u is not a power of two >= 4096", opts->ring_size);
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->nfeat = edr_feature_count();
	l->cgroup_fd = -1;

	/* Each failed attempt refuses one more path; the number of paths bounds it. */
	for (tries = 0; tries < l->nfeat * EDR_MAX_PATHS + 1; tries++) {
		replan(l, probe, opts, refused);
		e = attempt(l, opts, refused, err, errlen);
		if (e < 0)
			goto fail;
		if (!e)
			break;
	}
	if (!l->skel) {
		snprintf(err, errlen, "BPF programs could not be loaded after every fallback");
		e = -ENOEXEC;
		goto fail;
	}
	any = 0;
	for (f = 0; f < l->nfeat; f++)
		if (l->status[f].chosen >= 0)
			any = 1;
	if (!any) {
		snprintf(err, errlen, "no feature could be attached on this kernel (see --probe)");
		e = -ENOTSUP;
		goto fail;
	}
	edr_enforce__init(l);
	return l;
fail:
	destroy(l);
	free(l);
	errno = -e;
	return NULL;
}

void edr_loader__free(struct edr_loader *l)
{
	if (!l)
		return;
	destroy(l);
	free(l);
}

const struct edr_feature_status *edr_loader__status(const struct edr_loader *l)
{
	return l->status;
}

int edr_loader__ring_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int edr_loader__stats_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.stats);
}

int edr_loader__frozen_maps(const struct edr_loader *l)
{
	return l->frozen_maps;
}

int edr_loader__map_fd(const struct edr_loader *l, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(l->skel->obj, name);

	return fd < 0 ? -ENOENT : fd;
}

int edr_loader__prog_fd(const struct edr_loader *l, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(l->skel->obj, name);
	int fd = p ? bpf_program__fd(p) : -1;

	return fd < 0 ? -ENOENT : fd;
}

int edr_loader__deny_exec_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.deny_exec);
}

int edr_loader__prog_ids(const struct edr_loader *l, uint32_t *ids, int max)
{
	int f, m, n = 0;

	for (f = 0; f < l->nfeat && n < max; f++) {
		const struct edr_feature_status *st = &l->status[f];
		const struct edr_path_def *pd;

		if (st->chosen < 0)
			continue;
		pd = &edr_feature_def(f)->paths[st->chosen];
		for (m = 0; m < pd->nprogs && m < EDR_MAX_PROGS && n < max; m++) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (!l->links[f][m])
				continue;
			if (!bpf_obj_get_info_by_fd(bpf_program__fd(edr_prog(l->skel, &pd->progs[m])), &info, &len))
				ids[n++] = info.id;
		}
	}
	return n;
}
