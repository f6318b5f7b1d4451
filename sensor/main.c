// SPDX-License-Identifier: GPL-2.0-only
/*
 * edr-sensor: loads the BPF programs, consumes the ring buffer, keeps the
 * process table and writes ECS JSON lines.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "loader/probe.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/json.h"
#include "sensor/output/output.h"
#include "sensor/proctable.h"
#include "sensor/config.h"
#include "sensor/content/content.h"
#include "sensor/ctl/ctl_server.h"
#include "sensor/shutdown.h"
#include "rules/filetype.h"
#include "sensor/notify.h"
#include "sensor/ctl/ops.h"
#include "sensor/output/output_syslog.h"
#include "sensor/sigma_map.h"
#include "sensor/enrich/ancestry.h"
#include "sensor/enrich/container.h"
#include "sensor/enrich/hashcache.h"
#include "sensor/response/daemon.h"
#include "sensor/version.h"
#include "sensor/privdrop.h"

#define MAX_ALERT_RULES 1024
#define MAX_CPUS 1024
#define POLL_MS 100 /* longest an event waits in the ring buffer */

/* Written by the event thread, read by the control thread: atomics. */
struct counters {
	uint64_t read;                      /* records taken from the ring buffer */
	uint64_t emitted;                   /* JSON lines written for events */
	uint64_t per_type[_EDR_EVENT_MAX];
	uint64_t emitted_type[_EDR_EVENT_MAX];
	uint64_t decode_errors[_EDR_DECODE_MAX];
	uint64_t decode_errors_total;
	uint64_t rule_evals, alerts, shadow_alerts, eval_errors;
	uint64_t ring_used, ring_used_max;
};

struct alert_count {
	char rule[128];
	uint64_t count;
};

#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_RELAXED)
#define GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct sensor {
	struct edr_config cfg;
	struct edr_loader_opts lo;
	struct edr_loader *loader;
	struct edr_content *content;
	struct edr_response_daemon resp;
	struct edr_ctl_server *srv;
	struct edr_ops ops;
	struct edr_sigma_view view;
	struct edr_hashcache *hashes;
	struct edr_cgroup_cache *cgroups;
	struct edr_enrichment en;
	time_t started;
	/* The ring's producer and consumer positions, mapped read-only. */
	volatile unsigned long *rb_cons, *rb_prod;
	long page;
	pthread_mutex_t alerts_lock;
	struct alert_count *alert_rules;
	size_t n_alert_rules;
	struct ring_buffer *rb;
	struct edr_proctable *procs;
	struct edr_ecs ecs;
	struct edr_output out;
	struct edr_json j;
	struct counters c;
	int ncpus;
	uint64_t drops_reported[MAX_CPUS];
	uint64_t kernel_drops;              /* sum over CPUs at last read */
	uint64_t kernel_seq;                /* sequence numbers handed out, all CPUs */
	int rcu_registered;                 /* edr_content__thread_init() ran */
};

static int verbose;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("edr-sensor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void loader_log(int debug, const char *msg, void *ctx)
{
	if (debug && !verbose)
		return;
	logmsg("%s", msg);
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Returns 0 when the line went to the outputs. */
static int emit_line(struct sensor *s, int is_alert, int severity)
{
	if (s->j.oom) {
		INC(s->c.decode_errors_total);
		return -ENOMEM;
	}
	edr_output__write(&s->out, s->j.buf, s->j.len, is_alert, severity);
	return 0;
}

static void count_alert(struct sensor *s, const char *rule)
{
	size_t i;

	pthread_mutex_lock(&s->alerts_lock);
	for (i = 0; i < s->n_alert_rules; i++)
		if (!strcmp(s->alert_rules[i].rule, rule))
			break;
	if (i == s->n_alert_rules && i < MAX_ALERT_RULES) {
		snprintf(s->alert_rules[i].rule, sizeof(s->alert_rules[i].rule), "%s", rule);
		s->alert_rules[i].count = 0;
		s->n_alert_rules++;
	}
	if (i < s->n_alert_rules)
		s->alert_rules[i].count++;
	pthread_mutex_unlock(&s->alerts_lock);
}

struct match_ctx {
	struct sensor *s;
	const struct edr_event_ctx *c;
};

/* Called inside the content manager's RCU read section: no blocking. */
static void on_match(const struct edr_rule *rule, int shadow, const struct edr_content_set *set, void *arg)
{
	struct match_ctx *m = arg;
	struct sensor *s = m->s;
	struct edr_alert_info a = {
		.rule_id = edr_rule__id(rule),
		.rule_name = edr_rule__title(rule),
		.rule_description = edr_rule__description(rule),
		.level = edr_rule__level(rule),
		.rule_file = edr_rule__file(rule),
		.shadow = shadow,
		.content_version = set ? set->version : 0,
	};

	a.techniques = edr_rule__techniques(rule, &a.ntechniques);
	a.tags = edr_rule__tags(rule, &a.ntags);
	edr_json_reset(&s->j);
	edr_ecs__alert(&s->ecs, &s->j, m->c, &a);
	edr_json_obj_end(&s->j);
	emit_line(s, 1, edr_ecs_severity(a.level));
	if (shadow) {
		INC(s->c.shadow_alerts);
	} else {
		INC(s->c.alerts);
		count_alert(s, a.rule_id[0] ? a.rule_id : a.rule_name);
	}
	edr_response_daemon__match(&s->resp, rule, shadow, set, m->c, &s->view);
}

/* Runs the rules over the Sigma view just mapped into s->view. */
static void evaluate_view(struct sensor *s, struct match_ctx *m)
{
	int n;

	INC(s->c.rule_evals);
	n = edr_content__eval(s->content, &s->view.ev, on_match, m);
	if (n < 0 && INC(s->c.eval_errors) == 1)
		logmsg("rule evaluation failed: %s (counted in stats, further failures not logged)",
		       strerror(-n));
}

/* Each Sigma view of the event (an exec of a memfd is process_creation and
 * fileless_exec) goes through the rules. */
static void evaluate(struct sensor *s, struct edr_event_ctx *c)
{
	struct match_ctx m = { s, c };
	int i;

	if (!s->content)
		return;
	c->user = edr_idcache__user(s->ecs.ids, c->ev->task->uid);
	c->puser = c->parent ? edr_idcache__user(s->ecs.ids, c->parent->uid) : NULL;
	for (i = 0; !edr_sigma_map(&s->view, c, i); i++)
		evaluate_view(s, &m);
}

/* Compares the kernel's per-CPU loss counters with what was already
 * reported, and writes one gap record per CPU for the difference. */
static void report_drops(struct sensor *s)
{
	struct edr_bpf_stats st[MAX_CPUS];
	uint32_t zero = 0;
	uint64_t total = 0;
	int cpu;

	if (bpf_map_lookup_elem(edr_loader__stats_fd(s->loader), &zero, st))
		return;
	s->kernel_seq = 0;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		total += st[cpu].drops;
		s->kernel_seq += st[cpu].seq;
		if (st[cpu].drops > s->drops_reported[cpu]) {
			uint64_t lost = st[cpu].drops - s->drops_reported[cpu];

			edr_json_reset(&s->j);
			edr_ecs__gap(&s->ecs, &s->j, cpu, lost, boot_ns());
			emit_line(s, 0, 0);
			s->drops_reported[cpu] = st[cpu].drops;
		}
	}
	s->kernel_drops = total;
}

/* Hash (a new image only, never blocks), container (looked up at exec,
 * inherited at fork) and ancestry, for the event's JSON and Sigma views. */
static void enrich(struct sensor *s, const struct edr_decoded *ev, struct edr_proc *p)
{
	struct edr_enrichment *en = &s->en;
	struct edr_file_ident id = { 0 };
	uint32_t target;
	int image = edr_family_new_image(ev, &id.dev, &id.ino);

	en->have_hash = 0;
	en->container = NULL;
	en->ancestry.n = 0;
	/* ptrace and process_vm_writev name a second process: the table's entry. */
	target = edr_family_target(ev);
	en->target = target ? edr_proctable__get(s->procs, target) : NULL;
	if (s->hashes && image) {
		en->have_hash = 1;
		en->hash_skip = EDR_HASH_SKIP_NONE;
		en->hash_state = edr_hashcache__lookup_exec(s->hashes, "/proc", ev->task->tgid,
							    ev->path.len ? ev->path.p : NULL, &id,
							    en->sha256, &en->hash_skip);
	}
	if (p && image && s->cgroups)
		p->container_known = !edr_cgroup_cache__lookup(s->cgroups, ev->task->cgroup_id,
							       ev->task->tgid, &p->container);
	if (p && p->container_known)
		en->container = &p->container;
	if (p && s->cfg.ancestry_depth > 0)
		edr_ancestry__walk(s->procs, p, (int)s->cfg.ancestry_depth, &en->ancestry);
}

static int on_record(void *ctx, void *data, size_t len)
{
	struct sensor *s = ctx;
	struct edr_decoded ev;
	enum edr_decode_err de;
	struct edr_event_ctx c = { .ev = &ev, .en = &s->en };
	struct edr_proc *p;

	INC(s->c.read);
	de = edr_decode(data, len, &ev);
	if (de) {
		INC(s->c.decode_errors[de]);
		INC(s->c.decode_errors_total);
		if (verbose)
			logmsg("record %llu: %s (%zu bytes), ignoring", (unsigned long long)s->c.read,
			       edr_decode_err_str(de), len);
		return 0;
	}
	INC(s->c.per_type[ev.type]);
	p = edr_family_apply(s->procs, &ev, "/proc");
	c.p = p;
	if (p)
		c.parent = edr_proctable__parent(s->procs, p);
	enrich(s, &ev, p);
	edr_json_reset(&s->j);
	edr_ecs__event(&s->ecs, &s->j, &c);
	edr_json_obj_end(&s->j);
	if (!emit_line(s, 0, 0)) {
		INC(s->c.emitted);
		INC(s->c.emitted_type[ev.type]);
	}
	evaluate(s, &c);
	edr_response_daemon__record(&s->resp, &c);
	return 0;
}

static void print_probe(const struct edr_config *cfg, const struct edr_probe *p,
			const struct edr_feature_status *st, int json)
{
	struct edr_json j;
	int c, f, i;

	if (json) {
		edr_json_init(&j);
		edr_json_obj_begin(&j);
		edr_json_kcstr(&j, "kernel", p->kernel);
		edr_json_key(&j, "capabilities");
		edr_json_obj_begin(&j);
		for (c = 0; c < EDR_CAP__COUNT; c++) {
			edr_json_key(&j, edr_cap_name(c));
			edr_json_obj_begin(&j);
			edr_json_kbool(&j, "available", p->ok[c]);
			edr_json_kcstr(&j, "detail", p->detail[c]);
			edr_json_obj_end(&j);
		}
		edr_json_obj_end(&j);
		edr_json_key(&j, "features");
		edr_json_obj_begin(&j);
		for (f = 0; f < edr_feature_count(); f++) {
			edr_json_key(&j, st[f].name);
			edr_json_obj_begin(&j);
			edr_json_kcstr(&j, "state", edr_feat_state_name(st[f].state));
			if (st[f].chosen >= 0)
				edr_json_kcstr(&j, "path", st[f].paths[st[f].chosen]);
			else
				edr_json_key(&j, "path"), edr_json_raw(&j, "null", 4);
			edr_json_key(&j, "tried");
			edr_json_arr_begin(&j);
			for (i = 0; i < st[f].npaths; i++) {
				edr_json_obj_begin(&j);
				edr_json_kcstr(&j, "path", st[f].paths[i]);
				edr_json_kcstr(&j, "result", st[f].why[i]);
				edr_json_obj_end(&j);
			}
			edr_json_arr_end(&j);
			edr_json_obj_end(&j);
		}
		edr_json_obj_end(&j);
		edr_response_probe(cfg, st, edr_feature_count(), &j);
		edr_json_obj_end(&j);
		printf("%s\n", j.buf);
		edr_json_free(&j);
		return;
	}
	printf("kernel %s\n\n", p->kernel);
	printf("%-16s %-4s %s\n", "CAPABILITY", "OK", "DETAIL");
	for (c = 0; c < EDR_CAP__COUNT; c++)
		printf("%-16s %-4s %s\n", edr_cap_name(c), p->ok[c] ? "yes" : "no", p->detail[c]);
	printf("\n%-14s %-12s %-10s %s\n", "FEATURE", "STATE", "PATH", "PATHS TRIED");
	for (f = 0; f < edr_feature_count(); f++) {
		printf("%-14s %-12s %-10s", st[f].name, edr_feat_state_name(st[f].state),
		       st[f].chosen >= 0 ? st[f].paths[st[f].chosen] : "-");
		for (i = 0; i < st[f].npaths; i++)
			printf("%s%s: %s", i ? "; " : " ", st[f].paths[i], st[f].why[i]);
		printf("\n");
	}
	edr_response_probe(cfg, st, edr_feature_count(), NULL);
}

static void diag(enum edr_diag_level level, const char *msg, void *ctx)
{
	logmsg("%s", msg);
}

static void content_log(int prio, const char *msg, void *ctx)
{
	if (prio >= LOG_DEBUG && !verbose)
		return;
	logmsg("content: %s", msg);
}

static uint64_t ring_used(struct sensor *s)
{
	if (!s->rb_prod || !s->rb_cons)
		return 0;
	return __atomic_load_n(s->rb_prod, __ATOMIC_ACQUIRE) - __atomic_load_n(s->rb_cons, __ATOMIC_ACQUIRE);
}

static void sample_ring(struct sensor *s)
{
	uint64_t used = ring_used(s);

	__atomic_store_n(&s->c.ring_used, used, __ATOMIC_RELAXED);
	if (used > GET(s->c.ring_used_max))
		__atomic_store_n(&s->c.ring_used_max, used, __ATOMIC_RELAXED);
}

/* Maps the ring's consumer and producer position pages read-only, to report
 * how full it is; the kernel allows both read-only. */
static void map_ring_positions(struct sensor *s)
{
	int fd = edr_loader__ring_fd(s->loader);
	void *c, *p;

	s->page = sysconf(_SC_PAGESIZE);
	c = mmap(NULL, s->page, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, s->page, PROT_READ, MAP_SHARED, fd, s->page);
	if (c == MAP_FAILED || p == MAP_FAILED) {
		logmsg("cannot map the ring buffer positions (%s): fill not reported, ignoring", strerror(errno));
		if (c != MAP_FAILED)
			munmap(c, s->page);
		if (p != MAP_FAILED)
			munmap(p, s->page);
		return;
	}
	s->rb_cons = c;
	s->rb_prod = p;
}

/* edrctl status lists every feature. */
_Static_assert(EDR_MAX_FEATURES <= EDR_OPS_MAX_FEATURES, "EDR_OPS_MAX_FEATURES too small");

/* Per output (at most EDR_OPS_MAX_OUTPUTS): where it goes, lines written,
 * lost for good, held for a retry. Returns how many. */
static size_t fill_outputs(struct sensor *s, struct edr_ops_output *o)
{
	size_t i, n = (size_t)s->out.n < EDR_OPS_MAX_OUTPUTS ? (size_t)s->out.n : EDR_OPS_MAX_OUTPUTS;

	for (i = 0; i < n; i++) {
		snprintf(o[i].dest, sizeof(o[i].dest), "%s", s->out.sinks[i]->name);
		edr_output__sink_stats(&s->out, (int)i, &o[i].lines, &o[i].lost, &o[i].pending);
	}
	return n;
}

static int ops_status(struct edr_sensor_status *st, void *arg)
{
	struct sensor *s = arg;
	struct utsname u;
	int f;

	snprintf(st->version, sizeof(st->version), "%s", EDR_VERSION);
	if (!uname(&u))
		snprintf(st->kernel, sizeof(st->kernel), "%s", u.release);
	snprintf(st->host_name, sizeof(st->host_name), "%s", s->ecs.host_name);
	st->pid = getpid();
	st->started_at = (uint64_t)s->started;
	st->uptime_sec = (uint64_t)(time(NULL) - s->started);
	for (f = 0; f < edr_feature_count() && f < EDR_OPS_MAX_FEATURES; f++) {
		const struct edr_feature_status *fs = &edr_loader__status(s->loader)[f];
		struct edr_ops_feature *o = &st->features[st->n_features++];

		snprintf(o->name, sizeof(o->name), "%s", fs->name);
		snprintf(o->state, sizeof(o->state), "%s", edr_feat_state_name(fs->state));
		if (fs->chosen >= 0)
			snprintf(o->attach, sizeof(o->attach), "%s", fs->paths[fs->chosen]);
		else if (fs->npaths)
			snprintf(o->reason, sizeof(o->reason), "%s", fs->why[fs->npaths - 1]);
	}
	if (s->content) {
		struct edr_content_status cs;

		edr_content__status(s->content, &cs);
		st->content_version = cs.version;
		snprintf(st->content_state, sizeof(st->content_state), "%s", cs.state);
		snprintf(st->content_source, sizeof(st->content_source), "%.200s (%zu rules)", cs.source, cs.nrules);
		st->content_activated_at = cs.activated_at;
		st->content_lkg_version = cs.lkg_version;
		st->content_shadow_version = cs.shadow_version;
		st->content_probation_left_sec = cs.probation_left_sec;
	} else {
		snprintf(st->content_state, sizeof(st->content_state), "none");
	}
	st->n_outputs = fill_outputs(s, st->outputs);
	st->outputs[0].errors = GET(s->out.write_errors);
	return 0;
}

static int ops_stats(struct edr_sensor_stats *st, void *arg)
{
	struct sensor *s = arg;
	struct edr_bpf_stats pc[MAX_CPUS];
	uint32_t zero = 0;
	size_t i;
	int cpu, t;

	if (s->hashes) {
		struct edr_hashcache_stats hs;

		edr_hashcache__stats(s->hashes, &hs);
		st->hash_lookups = hs.lookups;
		st->hash_hits = hs.hits;
		st->hash_pending = hs.pending_hits;
		for (t = 0; t < _EDR_HASH_SKIP_MAX; t++)
			st->hash_skipped += hs.skipped[t];
		st->hash_failed = hs.failed;
		st->hash_computed = hs.computed;
		st->hash_entries = hs.entries;
		st->hash_queue = hs.queue_depth;
	}
	if (s->cgroups) {
		struct edr_cgroup_cache_stats cs;

		edr_cgroup_cache__stats(s->cgroups, &cs);
		st->cgroup_hits = cs.hits;
		st->cgroup_misses = cs.misses;
		st->cgroup_uncached = cs.uncached;
		st->cgroup_failed = cs.failed;
	}
	if (s->ecs.ids) {
		struct edr_idcache_stats is;

		edr_idcache__stats(s->ecs.ids, &is);
		st->ids_lookups = is.lookups;
		st->ids_file_hits = is.file_hits;
		st->ids_nss_resolved = is.nss_resolved;
		st->ids_nss_pending = is.nss_pending;
		st->ids_queue_full = is.queue_full;
		st->ids_reloads = is.reloads;
		st->ids_parse_errors = is.parse_errors;
	}
	st->n_outputs = fill_outputs(s, st->outputs);
	if (s->srv) {
		struct edr_ctl_server_stats cs;

		edr_ctl_server__stats(s->srv, &cs);
		st->ctl_accepted = cs.accepted;
		st->ctl_served = cs.served;
		st->ctl_denied = cs.denied;
		st->ctl_busy = cs.busy;
		st->ctl_busy_per_uid = cs.busy_per_uid;
		st->ctl_malformed = cs.malformed;
	}
	for (t = 0; t < _EDR_EVENT_MAX; t++) {
		st->read[t] = GET(s->c.per_type[t]);
		st->emitted[t] = GET(s->c.emitted_type[t]);
	}
	st->decode_errors = GET(s->c.decode_errors_total);
	st->rule_evaluations = GET(s->c.rule_evals);
	st->alerts_total = GET(s->c.alerts);
	st->ring_size_bytes = s->lo.ring_size;
	st->ring_used_bytes = ring_used(s);
	st->ring_used_max_bytes = GET(s->c.ring_used_max);
	if (bpf_map_lookup_elem(edr_loader__stats_fd(s->loader), &zero, pc))
		return -errno;
	st->cpus = calloc((size_t)s->ncpus, sizeof(*st->cpus));
	if (!st->cpus)
		return -ENOMEM;
	st->n_cpus = (size_t)s->ncpus;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		st->cpus[cpu].emitted = pc[cpu].emitted;
		st->cpus[cpu].drops = pc[cpu].drops;
		st->cpus[cpu].read_errors = pc[cpu].read_errors;
		st->cpus[cpu].suppressed = pc[cpu].suppressed;
		st->cpus[cpu].exec_denied = pc[cpu].denied;
		st->cpus[cpu].net_denied = pc[cpu].net_denied;
		st->cpus[cpu].file_denied = pc[cpu].file_denied;
	}
	pthread_mutex_lock(&s->alerts_lock);
	st->alerts = calloc(s->n_alert_rules ? s->n_alert_rules : 1, sizeof(*st->alerts));
	if (st->alerts) {
		for (i = 0; i < s->n_alert_rules; i++)
			st->alerts[i] = (struct edr_rule_alerts){ .count = s->alert_rules[i].count };
		for (i = 0; i < s->n_alert_rules; i++)
			snprintf(st->alerts[i].rule, sizeof(st->alerts[i].rule), "%s", s->alert_rules[i].rule);
		st->n_alerts = s->n_alert_rules;
	}
	pthread_mutex_unlock(&s->alerts_lock);
	return st->alerts ? 0 : -ENOMEM;
}

static int ops_more(const char *verb, struct edr_ctl_reply *reply, void *arg)
{
	struct sensor *s = arg;

	return edr_response_daemon__reply(&s->resp, verb, reply);
}

static void notify_status(struct sensor *s)
{
	struct edr_sensor_status *st = calloc(1, sizeof(*st));
	char line[160];

	if (st && !ops_status(st, s)) {
		edr_ops_status_line(st, line, sizeof(line));
		edr_notify_status("%s", line);
	}
	free(st);
}

/* Trusted bundle keys from the configuration's pubkey files. */
static int load_keys(const struct edr_config *cfg, struct edr_bundle_key *keys, size_t *n)
{
	struct edr_bundle_err berr = {};
	size_t i;

	*n = 0;
	for (i = 0; i < cfg->n_pubkey && *n < EDR_CONTENT_MAX_KEYS; i++) {
		if (edr_bundle_key__load(cfg->pubkey[i], &keys[*n], &berr)) {
			logmsg("pubkey %s: %s", cfg->pubkey[i], berr.msg);
			return -EINVAL;
		}
		(*n)++;
	}
	return 0;
}

static int start_control(struct sensor *s)
{
	struct edr_ctl_err cerr = {};
	gid_t gid = (gid_t)-1;

	if (s->cfg.socket_group && s->cfg.socket_group[0]) {
		struct group *g = getgrnam(s->cfg.socket_group);

		if (!g) {
			logmsg("socket_group: no group '%s'", s->cfg.socket_group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	s->srv = edr_ctl_server__new(s->cfg.socket, gid, &cerr);
	if (!s->srv) {
		logmsg("control socket %s: %s", s->cfg.socket, cerr.msg);
		return -EIO;
	}
	s->ops = (struct edr_ops){ .status = ops_status, .stats = ops_stats, .more = ops_more,
				   .arg = s };
	if (edr_ops__register(s->srv, &s->ops) ||
	    (s->content && edr_content__register_verbs(s->content, s->srv)) ||
	    edr_response_daemon__register(&s->resp, s->srv) ||
	    edr_ctl_server__start(s->srv)) {
		logmsg("control socket %s: cannot start", s->cfg.socket);
		return -EIO;
	}
	return 0;
}

static void read_boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	out[0] = 0;
	if (f) {
		if (fgets(out, len, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
}

/*
 * The daemon's life: sensor_open() (configuration, kernel probes, outputs,
 * content, BPF load, control socket, READY=1), sensor_run() (the event loop)
 * and sensor_close() (orderly shutdown and the summary line).
 */
#define SENSOR_OPENED (-1)              /* sensor_open(): go on to sensor_run() */

enum { EV_RING = 1, EV_SIGNAL = 2 };    /* epoll_event.data.u32 */

/* What the daemon holds beside the sensor: the event loop's descriptors and
 * when its periodic work last ran. */
struct daemon {
	struct sensor s;
	int sfd, efd;                       /* the signal watchdog's eventfd, epoll */
	int opened;                         /* signals blocked: sensor_close() has work */
	uint64_t last_drop_check, last_reap, last_tick;
};

/* Options, configuration file and loader options. Returns SENSOR_OPENED or
 * the exit status: 0 after --help or --version, 1 or 2 on errors. */
static int open_config(struct sensor *s, int argc, char **argv)
{
	int f, idx;

	if (edr_config__defaults(&s->cfg))
		return 1;
	idx = edr_config__parse_args(&s->cfg, argc, argv, diag, NULL);
	if (idx < 0)
		return 2;
	if (idx < argc) {
		logmsg("unexpected argument '%s'", argv[idx]);
		return 2;
	}
	if (s->cfg.help)
		return edr_config__usage(stdout), 0;
	if (s->cfg.version)
		return printf("edr-sensor %s\n", EDR_VERSION), 0;
	/* The default file is optional (a foreground run); a named one is not. */
	if (edr_config__load(&s->cfg, diag, NULL))
		return 1;
	verbose = s->cfg.verbose;
	s->lo.ring_size = (uint32_t)s->cfg.ring_buffer_size;
	s->lo.target_tgid = (uint32_t)s->cfg.target_pid;
	for (f = 0; f < edr_feature_count(); f++) {
		s->lo.force[f] = s->cfg.attach[f];
		s->lo.disabled[f] = !edr_config__feature_enabled(&s->cfg, f);
	}
	s->started = time(NULL);
	pthread_mutex_init(&s->alerts_lock, NULL);
	return SENSOR_OPENED;
}

/* Privileges and kernel probes; --probe prints the plan and stops here.
 * Returns SENSOR_OPENED or the exit status. */
static int open_probe(struct sensor *s, struct edr_probe *probe)
{
	struct edr_feature_status plan[EDR_MAX_FEATURES];

	if (edr_probe__privileged()) {
		logmsg("must run as root or with CAP_BPF and CAP_PERFMON to load BPF programs (uid %u)",
		       getuid());
		return 1;
	}
	edr_probe__run(probe);
	if (s->cfg.probe) {
		edr_loader__plan(probe, &s->lo, plan);
		print_probe(&s->cfg, probe, plan, s->cfg.json);
		return 0;
	}
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0 || s->ncpus > MAX_CPUS) {
		logmsg("cannot count possible CPUs (%d)", s->ncpus);
		return 1;
	}
	s->alert_rules = calloc(MAX_ALERT_RULES, sizeof(*s->alert_rules));
	if (!s->alert_rules) {
		logmsg("out of memory");
		return 1;
	}
	return SENSOR_OPENED;
}

static void shutdown_log(const char *msg)
{
	logmsg("%s", msg);
}

/* SIGINT and SIGTERM stop, within shutdown_timeout whatever the stage;
 * SIGHUP reopens the outputs (sensor/shutdown.h). */
static int open_signals(struct daemon *d)
{
	int rc = edr_shutdown__start((unsigned)d->s.cfg.shutdown_timeout_ms, shutdown_log);

	if (rc) {
		logmsg("signals: %s", strerror(-rc));
		return -EIO;
	}
	d->sfd = edr_shutdown__fd();
	d->opened = 1;
	return 0;
}

/* A log line from a part that takes a callback (outputs, the seccomp report). */
static void output_log(void *ctx, const char *msg)
{
	(void)ctx;
	logmsg("%s", msg);
}

/* The output file (or stdout) and syslog or journald. */
static int open_outputs(struct sensor *s)
{
	struct edr_sink *sink;
	const char *output;

	s->out.log = output_log;
	s->out.gap_line = edr_ecs__output_gap_line;
	s->out.ctx = &s->ecs;

	output = !strcmp(s->cfg.output, "stdout") ? NULL : s->cfg.output;
	if (output && strcmp(output, "none")) {
		/* Its directory along the whole path: nobody else may swap the
		 * file (or the directory) under the sensor. */
		char dir[512], why[640], *slash;
		int rc;

		snprintf(dir, sizeof(dir), "%s", output);
		slash = strrchr(dir, '/');
		if (slash)
			slash == dir ? (void)(slash[1] = 0) : (void)(*slash = 0);
		rc = slash ? edr_store_check_dir(dir, why, sizeof(why)) : 0;
		if (rc) {
			logmsg("cannot use output '%s': directory %s", output, why);
			return -EIO;
		}
	}
	if (strcmp(s->cfg.output, "none")) {
		sink = edr_sink_file__new(output);
		if (!sink) {
			struct stat st;
			int e = errno;

			/* Say what is in the way rather than "Invalid argument". */
			/* ENXIO: a FIFO nobody reads (opened without blocking). */
			if (output && (e == ELOOP || e == EINVAL || e == ENXIO) && lstat(output, &st) == 0)
				logmsg("cannot open output '%s': %s, not a regular file%s", output,
				       edr_file_type(st.st_mode),
				       S_ISLNK(st.st_mode) ? " (symbolic links are not followed)" : "");
			else
				logmsg("cannot open output '%s': %s", output ? output : "stdout", strerror(e));
			return -EIO;
		}
		edr_output__add(&s->out, sink);
	}
	if (s->cfg.syslog != EDR_SYSLOG_OFF) {
		const char *what = s->cfg.syslog == EDR_SYSLOG_JOURNALD ? "journald" : "syslog";

		sink = s->cfg.syslog == EDR_SYSLOG_JOURNALD ? edr_sink_journald__new("edr-sensor") :
			edr_sink_syslog__new("edr-sensor", LOG_DAEMON, NULL);
		if (!sink || edr_output__add(&s->out, sink)) {
			logmsg("cannot add the %s output: %s", what, strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

/* ECS writer, JSON buffer and the (empty) process table. */
static int open_tables(struct sensor *s)
{
	char boot_id[64];

	if (edr_ecs__init(&s->ecs, s->cfg.host_name && s->cfg.host_name[0] ? s->cfg.host_name : NULL)) {
		logmsg("out of memory");
		return -ENOMEM;
	}
	edr_json_init(&s->j);
	read_boot_id(boot_id, sizeof(boot_id));
	s->procs = edr_proctable__new(0, boot_id);
	if (!s->procs) {
		logmsg("cannot create the process table: %s", strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

/* Content before programs: READY=1 means attached and content active. */
static int open_content(struct sensor *s)
{
	struct edr_bundle_key keys[EDR_CONTENT_MAX_KEYS];
	struct edr_content_opts co = {};
	char err[256];
	size_t nkeys = 0;

	if (load_keys(&s->cfg, keys, &nkeys))
		return -EINVAL;
	co.content_dir = s->cfg.content_dir;
	co.keys = keys;
	co.nkeys = nkeys;
	co.allow_unsigned = s->cfg.allow_unsigned;
	co.probation_ms = s->cfg.probation_ms;
	co.shadow_default_ms = s->cfg.shadow_default_ms;
	co.initial_path = s->cfg.rules;
	co.log = content_log;
	co.protected = (const char *const *)s->cfg.protected_paths;
	co.nprotected = s->cfg.n_protected_paths;
	co.on_activate = edr_response_daemon__on_activate;
	co.activate_ctx = &s->resp;
	co.response_shadow_ms = s->cfg.response_shadow_ms;
	co.shadow_max_would_act_per_min = (double)s->cfg.shadow_max_would_act_per_min;
	edr_content__thread_init();
	s->rcu_registered = 1;
	s->content = edr_content__new(&co, err, sizeof(err));
	if (!s->content) {
		logmsg("content: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* Enrichment caches: without them the sensor runs, with fields missing. */
static void open_caches(struct sensor *s)
{
	struct edr_hashcache_opts ho = {
		.max_file_size = s->cfg.hash_max_file_size,
		.rate = s->cfg.hash_rate,
		.threads = 1,
	};

	s->hashes = edr_hashcache__new(&ho);
	if (!s->hashes)
		logmsg("hash cache: %s, process.hash.sha256 disabled, ignoring", strerror(errno));
	s->cgroups = edr_cgroup_cache__new(NULL);
	if (!s->cgroups)
		logmsg("cgroup cache: %s, container.id disabled, ignoring", strerror(errno));
}

static void log_features(struct sensor *s)
{
	int f;

	for (f = 0; f < edr_feature_count(); f++) {
		const struct edr_feature_status *st = &edr_loader__status(s->loader)[f];

		if (st->state == EDR_FEAT_ACTIVE || st->state == EDR_FEAT_DEGRADED)
			logmsg("feature %s: %s via %s", st->name, edr_feat_state_name(st->state),
			       st->paths[st->chosen]);
		else
			logmsg("feature %s: %s (%s)", st->name, edr_feat_state_name(st->state),
			       st->npaths ? st->why[st->npaths - 1] : "no path");
	}
}

/* Load and attach the programs, seed the process table, open the ring. */
static int open_loader(struct sensor *s, const struct edr_probe *probe)
{
	char err[256];
	int n;

	s->lo.self_tgid = getpid();
	/* Batch wake-ups: the loop also wakes every POLL_MS, bounding latency. */
	s->lo.wakeup_bytes = (s->lo.ring_size ? s->lo.ring_size : 8u << 20) / 16;
	s->lo.open_dedup_ns = s->cfg.file_write_dedup_ms * 1000000ull;
	s->lo.log = loader_log;
	edr_libbpf_set_log(loader_log, NULL);
	s->loader = edr_loader__new(probe, &s->lo, err, sizeof(err));
	if (!s->loader) {
		logmsg("%s", err);
		return -EIO;
	}
	log_features(s);
	map_ring_positions(s);
	/* Attached first, then seeded: a process that starts in between is
	 * seen by both, and the event wins. */
	n = edr_proctable__seed(s->procs, "/proc");
	if (n < 0)
		logmsg("cannot seed the process table from /proc: %s, ignoring", strerror(-n));

	s->rb = ring_buffer__new(edr_loader__ring_fd(s->loader), on_record, s, NULL);
	if (!s->rb) {
		logmsg("cannot open the ring buffer: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static void response_log(void *ctx, const char *msg)
{
	logmsg("response: %s", msg);
}

/* The response engine, once the loader says what the kernel enforces. */
static int open_response(struct sensor *s)
{
	struct edr_response_daemon_opts o = {
		.cfg = &s->cfg, .loader = s->loader, .content = s->content, .hashes = s->hashes,
		.procs = s->procs, .ecs = &s->ecs, .out = &s->out, .log = response_log,
	};
	char err[256];

	if (edr_response_daemon__open(&s->resp, &o, err, sizeof(err))) {
		logmsg("response: %s", err);
		return -EINVAL;
	}
	return 0;
}

/* One epoll set: the ring buffer and the signal watchdog's eventfd. */
static int open_loop(struct daemon *d)
{
	struct epoll_event ev = { .events = EPOLLIN };

	d->efd = epoll_create1(EPOLL_CLOEXEC);
	if (d->efd < 0) {
		logmsg("epoll: %s", strerror(errno));
		return -EIO;
	}
	ev.data.u32 = EV_RING;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d->s.rb), &ev)) {
		logmsg("epoll_ctl: %s", strerror(errno));
		return -EIO;
	}
	ev.data.u32 = EV_SIGNAL;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, d->sfd, &ev)) {
		logmsg("epoll_ctl: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Last step of the start-up: everything that needs more privilege than the
 * run phase (loading, attaching, mounts, memlock, the socket's chown) is done. */
/* Before any thread starts: capabilities are per thread and inherited. */
static int drop_capabilities(void)
{
	char err[256];

	if (edr_privdrop__caps(err, sizeof(err))) {
		logmsg("privilege drop: %s", err);
		return -EPERM;
	}
	return 0;
}

/* Once start-up is done: the allow-list, for every thread. */
static int drop_privileges(struct sensor *s)
{
	char err[256];

	if (s->cfg.seccomp && edr_privdrop__seccomp(err, sizeof(err))) {
		logmsg("privilege drop: %s", err);
		return -EPERM;
	}
	logmsg("privileges dropped: capabilities %#llx, no_new_privs, seccomp %s",
	       (unsigned long long)edr_privdrop__keep(), s->cfg.seccomp ? "on" : "off (seccomp=off)");
	return 0;
}

/* Returns SENSOR_OPENED when running, or the exit status. After a failure
 * past the signals, sensor_close() still has to run. */
static int sensor_open(struct daemon *d, int argc, char **argv)
{
	struct sensor *s = &d->s;
	struct edr_probe probe;
	int rc;

	rc = open_config(s, argc, argv);
	if (rc == SENSOR_OPENED)
		rc = open_probe(s, &probe);
	if (rc != SENSOR_OPENED)
		return rc;
	if (drop_capabilities() || open_signals(d))
		return 1;
	/* A stop asked for during start-up is served between the steps (and by
	 * the watchdog's deadline within a long one). */
#define STEP(name, call) (edr_shutdown__stage(name), (call) ? 1 : edr_shutdown__requested() ? 0 : -1)
	if ((rc = STEP("opening outputs", open_outputs(s))) >= 0 ||
	    (rc = STEP("reading /proc", open_tables(s))) >= 0 ||
	    (rc = STEP("loading content", open_content(s))) >= 0)
		return rc;
	open_caches(s);
	if ((rc = STEP("loading and attaching BPF", open_loader(s, &probe))) >= 0 ||
	    (rc = STEP("starting responses", open_response(s))) >= 0 ||
	    (rc = STEP("starting the control socket", open_loop(d) || start_control(s))) >= 0)
		return rc;
#undef STEP
	if (drop_privileges(s))
		return 1;
	edr_shutdown__stage("running");
	logmsg("running, %zu processes known, control socket %s", edr_proctable__count(s->procs),
	       s->cfg.socket);
	notify_status(s);
	edr_notify_ready();
	return SENSOR_OPENED;
}

/* After a wake-up from the signal watchdog; returns 0 once a stop was asked. */
static int read_signals(struct daemon *d)
{
	int running = !edr_shutdown__requested();

	if (edr_shutdown__take_hup()) {
		int e = edr_output__reopen(&d->s.out);

		if (e)
			logmsg("SIGHUP: cannot reopen output: %s", strerror(-e));
	}
	return running;
}

/* Drop counters every 100 ms; the reaper, the content timer and the status
 * line every second. */
static void periodic(struct daemon *d, uint64_t now)
{
	struct sensor *s = &d->s;

	if (now - d->last_drop_check >= 100000000ull) {
		report_drops(s);
		d->last_drop_check = now;
	}
	if (now - d->last_reap >= 1000000000ull) {
		edr_proctable__reap(s->procs, now, 30ull * 1000000000ull);
		d->last_reap = now;
	}
	if (now - d->last_tick >= 1000000000ull) {
		edr_content__tick(s->content, 0);
		edr_privdrop__report(output_log, NULL);
		notify_status(s);
		d->last_tick = now;
	}
}

/* Until SIGINT or SIGTERM. Returns the exit status. */
static int sensor_run(struct daemon *d)
{
	struct sensor *s = &d->s;
	struct epoll_event evs[4];
	int running = 1, n, i;

	while (running) {
		n = epoll_wait(d->efd, evs, 4, edr_response_daemon__poll_ms(&s->resp, POLL_MS));
		if (n < 0 && errno != EINTR) {
			logmsg("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++)
			if (evs[i].data.u32 == EV_SIGNAL && !read_signals(d))
				running = 0;
		sample_ring(s);
		if (ring_buffer__consume(s->rb) < 0 && errno != EINTR)
			logmsg("ring buffer: %s", strerror(errno));
		periodic(d, boot_ns());
		edr_output__flush(&s->out);
		edr_notify_watchdog();
	}
	return 0;
}

/* Frees whatever sensor_open() got to; nothing if it stopped before the signals. */
static void sensor_close(struct daemon *d)
{
	struct sensor *s = &d->s;

	if (!d->opened)
		return;
	edr_notify_stopping();
	/* The control thread goes first: it reads what is freed below. */
	edr_shutdown__stage("stopping: waiting for control requests");
	edr_ctl_server__free(s->srv);
	/* fanotify answers what is pending, the response worker finishes. */
	edr_shutdown__stage("stopping: responses");
	edr_response_daemon__close(&s->resp);
	/* Detach, then drain what the programs left in the ring, so the
	 * counters read last are final. */
	edr_shutdown__stage("stopping: detaching BPF");
	edr_loader__detach(s->loader);
	if (s->rb) {
		ring_buffer__consume(s->rb);
		report_drops(s);
	}
	edr_output__flush(&s->out);
	if (s->loader || s->rb) {
		uint64_t w, lost = 0, pend = 0, l, p;
		int i;

		/* Lines an output lost, or still held when it cannot be written. */
		for (i = 0; i < s->out.n; i++) {
			edr_output__sink_stats(&s->out, i, &w, &l, &p);
			lost += l;
			pend += p;
		}
		logmsg("stopped: events read %llu, emitted %llu, dropped %llu, decode errors %llu, sequence %llu, "
		       "alerts %llu, output lines lost %llu",
		       (unsigned long long)s->c.read, (unsigned long long)s->c.emitted,
		       (unsigned long long)s->kernel_drops, (unsigned long long)s->c.decode_errors_total,
		       (unsigned long long)s->kernel_seq, (unsigned long long)s->c.alerts,
		       (unsigned long long)(lost + pend));
	}
	edr_shutdown__stage("stopping: freeing");
	ring_buffer__free(s->rb);
	if (s->rb_cons)
		munmap((void *)s->rb_cons, s->page);
	if (s->rb_prod)
		munmap((void *)s->rb_prod, s->page);
	edr_loader__free(s->loader);
	edr_content__free(s->content);
	if (s->rcu_registered)
		edr_content__thread_fini();
	edr_hashcache__free(s->hashes);
	edr_cgroup_cache__free(s->cgroups);
	edr_proctable__free(s->procs);
	edr_ecs__fini(&s->ecs);
	edr_json_free(&s->j);
	edr_output__free(&s->out);
	edr_config__free(&s->cfg);
	free(s->alert_rules);
	if (d->efd >= 0)
		close(d->efd);
}

int main(int argc, char **argv)
{
	/* Static: the sensor holds per-CPU arrays too big for the stack. */
	static struct daemon d = { .s.resp.qfd = -1, .sfd = -1, .efd = -1 };
	int rc;

	rc = sensor_open(&d, argc, argv);
	if (rc == SENSOR_OPENED)
		rc = sensor_run(&d);
	sensor_close(&d);
	return rc;
}
