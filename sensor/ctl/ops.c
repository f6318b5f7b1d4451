// SPDX-License-Identifier: GPL-2.0-only
/* status and stats handlers of the control socket; see ops.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sensor/ctl/ctl_server.h"
#include "sensor/ctl/ops.h"
#include "sensor/family/family.h"

void edr_sensor_stats__fini(struct edr_sensor_stats *st)
{
	if (!st)
		return;
	free(st->cpus);
	free(st->alerts);
	st->cpus = NULL;
	st->alerts = NULL;
	st->n_cpus = st->n_alerts = 0;
}

const char *edr_ops_event_name(unsigned type, char *buf, size_t size)
{
	const char *n = edr_rectype(type)->stat;

	if (n)
		return n;
	snprintf(buf, size, "type%u", type);
	return buf;
}

int edr_ops_fill_process(struct edr_sensor_stats *st)
{
	struct rusage ru;
	unsigned long size = 0, resident = 0;
	FILE *f;
	int n;

	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	st->cpu_user_ms = (uint64_t)ru.ru_utime.tv_sec * 1000 + (uint64_t)ru.ru_utime.tv_usec / 1000;
	st->cpu_system_ms = (uint64_t)ru.ru_stime.tv_sec * 1000 + (uint64_t)ru.ru_stime.tv_usec / 1000;
	/* Current RSS (ru_maxrss is the peak): /proc/self/statm, in pages. */
	f = fopen("/proc/self/statm", "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	if (n != 2)
		return -EIO;
	st->rss_bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/* A name from the daemon made into one key component ([a-z0-9_-]). */
static const char *keypart(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ? c : '_';
	}
	buf[i] = '\0';
	if (!i)
		snprintf(buf, size, "_");
	return buf;
}

/* Adds "prefix.part.suffix"; keeps the first error. */
static void add_str(struct edr_ctl_reply *r, int *err, const char *key, const char *val)
{
	int e = edr_ctl_reply__add_str(r, key, val);

	if (e && !*err)
		*err = e;
}

static void add_int(struct edr_ctl_reply *r, int *err, const char *key, uint64_t val)
{
	/* Counters beyond INT64_MAX do not happen; clamp rather than go negative. */
	int e = edr_ctl_reply__add_int(r, key, val > INT64_MAX ? INT64_MAX : (int64_t)val);

	if (e && !*err)
		*err = e;
}

static size_t bounded(size_t n, size_t max)
{
	return n < max ? n : max;
}

/* Per output: where it goes, lines written (status: "lines", and the write
 * errors), lost for good and held for a retry. */
static void add_outputs(struct edr_ctl_reply *reply, int *err, const struct edr_ops_output *o,
			size_t n, int status)
{
	char key[EDR_CTL_MAX_KEY + 1];
	size_t i;

	for (i = 0; i < bounded(n, EDR_OPS_MAX_OUTPUTS); i++) {
		snprintf(key, sizeof(key), "output.%zu.dest", i);
		add_str(reply, err, key, o[i].dest);
		snprintf(key, sizeof(key), "output.%zu.%s", i, status ? "lines" : "written");
		add_int(reply, err, key, o[i].lines);
		if (status) {
			snprintf(key, sizeof(key), "output.%zu.errors", i);
			add_int(reply, err, key, o[i].errors);
		}
		snprintf(key, sizeof(key), "output.%zu.lost", i);
		add_int(reply, err, key, o[i].lost);
		snprintf(key, sizeof(key), "output.%zu.pending", i);
		add_int(reply, err, key, o[i].pending);
	}
}

int edr_ops__status_reply(const struct edr_sensor_status *st, struct edr_ctl_reply *reply)
{
	char key[EDR_CTL_MAX_KEY + 1], part[32];
	size_t i;
	int err = 0;

	add_str(reply, &err, "state", "running");
	add_int(reply, &err, "pid", (uint64_t)st->pid);
	add_int(reply, &err, "uptime_sec", st->uptime_sec);
	add_int(reply, &err, "started_at", st->started_at);
	add_str(reply, &err, "version", st->version);
	add_str(reply, &err, "kernel", st->kernel);
	add_str(reply, &err, "host_name", st->host_name);
	add_int(reply, &err, "content.version", st->content_version);
	add_str(reply, &err, "content.state", st->content_state[0] ? st->content_state : "none");
	add_str(reply, &err, "content.source", st->content_source);
	add_int(reply, &err, "content.activated_at", st->content_activated_at);
	add_int(reply, &err, "content.last_known_good", st->content_lkg_version);
	if (st->content_shadow_version)
		add_int(reply, &err, "content.shadow_version", st->content_shadow_version);
	if (st->content_probation_left_sec)
		add_int(reply, &err, "content.probation_left_sec", st->content_probation_left_sec);
	for (i = 0; i < bounded(st->n_features, EDR_OPS_MAX_FEATURES); i++) {
		const struct edr_ops_feature *f = &st->features[i];

		keypart(f->name, part, sizeof(part));
		snprintf(key, sizeof(key), "feature.%s.attach", part);
		add_str(reply, &err, key, f->attach[0] ? f->attach : "-");
		snprintf(key, sizeof(key), "feature.%s.state", part);
		add_str(reply, &err, key, f->state);
		snprintf(key, sizeof(key), "feature.%s.reason", part);
		add_str(reply, &err, key, f->reason);
	}
	add_outputs(reply, &err, st->outputs, st->n_outputs, 1);
	if (err)
		edr_ctl_reply__set(reply, err, "status: cannot build the reply: %s", strerror(-err));
	return err;
}

void edr_ops_status_line(const struct edr_sensor_status *st, char *buf, size_t size)
{
	size_t i, degraded = 0, unavailable = 0, o;

	for (i = 0; i < bounded(st->n_features, EDR_OPS_MAX_FEATURES); i++) {
		if (!strcmp(st->features[i].state, "degraded"))
			degraded++;
		else if (!strcmp(st->features[i].state, "unavailable"))
			unavailable++;
	}
	if (st->content_version)
		o = (size_t)snprintf(buf, size, "running, content v%llu",
				     (unsigned long long)st->content_version);
	else
		o = (size_t)snprintf(buf, size, "running, no content");
	if (st->content_shadow_version && o < size)
		o += (size_t)snprintf(buf + o, size - o, " (shadow v%llu)",
				      (unsigned long long)st->content_shadow_version);
	if (degraded && o < size)
		o += (size_t)snprintf(buf + o, size - o, ", %zu feature%s degraded", degraded,
				      degraded == 1 ? "" : "s");
	if (unavailable && o < size)
		snprintf(buf + o, size - o, ", %zu unavailable", unavailable);
}

static int by_count_desc(const void *a, const void *b)
{
	const struct edr_rule_alerts *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->rule, y->rule);
}

int edr_ops__stats_reply(const struct edr_sensor_stats *st, struct edr_ctl_reply *reply)
{
	char key[EDR_CTL_MAX_KEY + 1], name[16];
	uint64_t read = 0, emitted = 0, drops = 0, rerr = 0, supp = 0, xden = 0, nden = 0, fden = 0;
	struct edr_rule_alerts *sorted = NULL;
	size_t i, n;
	int err = 0;

	for (i = 1; i < _EDR_EVENT_MAX; i++) {
		read += st->read[i];
		emitted += st->emitted[i];
	}
	for (i = 0; i < st->n_cpus; i++) {
		drops += st->cpus[i].drops;
		rerr += st->cpus[i].read_errors;
		supp += st->cpus[i].suppressed;
		xden += st->cpus[i].exec_denied;
		nden += st->cpus[i].net_denied;
		fden += st->cpus[i].file_denied;
	}
	add_int(reply, &err, "events_read", read);
	add_int(reply, &err, "events_emitted", emitted);
	add_int(reply, &err, "kernel_drops", drops);
	add_int(reply, &err, "kernel_read_errors", rerr);
	add_int(reply, &err, "kernel_suppressed", supp);
	add_int(reply, &err, "kernel_denied.exec", xden);
	add_int(reply, &err, "kernel_denied.net", nden);
	add_int(reply, &err, "kernel_denied.file", fden);
	add_int(reply, &err, "decode_errors", st->decode_errors);
	add_int(reply, &err, "rule_evaluations", st->rule_evaluations);
	add_int(reply, &err, "alerts", st->alerts_total);
	add_int(reply, &err, "cpu_user_ms", st->cpu_user_ms);
	add_int(reply, &err, "cpu_system_ms", st->cpu_system_ms);
	add_int(reply, &err, "rss_bytes", st->rss_bytes);
	add_int(reply, &err, "hash.lookups", st->hash_lookups);
	add_int(reply, &err, "hash.hits", st->hash_hits);
	add_int(reply, &err, "hash.pending", st->hash_pending);
	add_int(reply, &err, "hash.skipped", st->hash_skipped);
	add_int(reply, &err, "hash.failed", st->hash_failed);
	add_int(reply, &err, "hash.computed", st->hash_computed);
	add_int(reply, &err, "hash.entries", st->hash_entries);
	add_int(reply, &err, "hash.queue", st->hash_queue);
	add_int(reply, &err, "cgroup.hits", st->cgroup_hits);
	add_int(reply, &err, "cgroup.misses", st->cgroup_misses);
	add_int(reply, &err, "cgroup.uncached", st->cgroup_uncached);
	add_int(reply, &err, "cgroup.failed", st->cgroup_failed);
	add_int(reply, &err, "ids.lookups", st->ids_lookups);
	add_int(reply, &err, "ids.file_hits", st->ids_file_hits);
	add_int(reply, &err, "ids.nss_resolved", st->ids_nss_resolved);
	add_int(reply, &err, "ids.nss_pending", st->ids_nss_pending);
	add_int(reply, &err, "ids.queue_full", st->ids_queue_full);
	add_int(reply, &err, "ids.reloads", st->ids_reloads);
	add_int(reply, &err, "ids.parse_errors", st->ids_parse_errors);
	add_int(reply, &err, "ctl.accepted", st->ctl_accepted);
	add_int(reply, &err, "ctl.served", st->ctl_served);
	add_int(reply, &err, "ctl.denied", st->ctl_denied);
	add_int(reply, &err, "ctl.busy", st->ctl_busy);
	add_int(reply, &err, "ctl.busy_per_uid", st->ctl_busy_per_uid);
	add_int(reply, &err, "ctl.malformed", st->ctl_malformed);
	add_outputs(reply, &err, st->outputs, st->n_outputs, 0);
	add_int(reply, &err, "ring_buffer.size_bytes", st->ring_size_bytes);
	add_int(reply, &err, "ring_buffer.used_bytes", st->ring_used_bytes);
	add_int(reply, &err, "ring_buffer.used_max_bytes", st->ring_used_max_bytes);
	add_int(reply, &err, "ring_buffer.fill_pct",
		st->ring_size_bytes ? st->ring_used_bytes * 100 / st->ring_size_bytes : 0);
	for (i = 1; i < _EDR_EVENT_MAX; i++) {
		const char *t = edr_ops_event_name((unsigned)i, name, sizeof(name));

		snprintf(key, sizeof(key), "events.%s.read", t);
		add_int(reply, &err, key, st->read[i]);
		snprintf(key, sizeof(key), "events.%s.emitted", t);
		add_int(reply, &err, key, st->emitted[i]);
	}
	for (i = 0; i < st->n_cpus; i++) {
		snprintf(key, sizeof(key), "cpu.%zu.emitted", i);
		add_int(reply, &err, key, st->cpus[i].emitted);
		snprintf(key, sizeof(key), "cpu.%zu.drops", i);
		add_int(reply, &err, key, st->cpus[i].drops);
		snprintf(key, sizeof(key), "cpu.%zu.read_errors", i);
		add_int(reply, &err, key, st->cpus[i].read_errors);
	}
	/* The most frequent rules first, bounded so the reply stays small. */
	if (st->n_alerts) {
		sorted = malloc(st->n_alerts * sizeof(*sorted));
		if (!sorted) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(sorted, st->alerts, st->n_alerts * sizeof(*sorted));
		for (i = 0; i < st->n_alerts; i++)
			sorted[i].rule[sizeof(sorted[i].rule) - 1] = '\0';
		qsort(sorted, st->n_alerts, sizeof(*sorted), by_count_desc);
	}
	n = bounded(st->n_alerts, EDR_OPS_MAX_ALERT_ROWS);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "alert.%zu.rule", i);
		add_str(reply, &err, key, sorted[i].rule);
		snprintf(key, sizeof(key), "alert.%zu.count", i);
		add_int(reply, &err, key, sorted[i].count);
	}
	if (st->n_alerts > n)
		add_int(reply, &err, "alert_rules_not_shown", st->n_alerts - n);
out:
	free(sorted);
	if (err)
		edr_ctl_reply__set(reply, err, "stats: cannot build the reply: %s", strerror(-err));
	return err;
}

int edr_ops__status_handler(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_ops *ops = ctx;
	struct edr_sensor_status *st;
	int err;

	if (!ops || !ops->status)
		return edr_ctl_reply__set(reply, -EOPNOTSUPP, "status: not available");
	st = calloc(1, sizeof(*st));
	if (!st)
		return edr_ctl_reply__set(reply, -ENOMEM, "status: out of memory");
	err = ops->status(st, ops->arg);
	if (err)
		edr_ctl_reply__set(reply, err, "status: cannot take a snapshot: %s", strerror(-err));
	else
		err = edr_ops__status_reply(st, reply);
	if (!err && ops->more && (err = ops->more("status", reply, ops->arg)))
		edr_ctl_reply__set(reply, err, "status: cannot build the reply: %s", strerror(-err));
	free(st);
	return err;
}

int edr_ops__stats_handler(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_ops *ops = ctx;
	struct edr_sensor_stats st;
	int err;

	if (!ops || !ops->stats)
		return edr_ctl_reply__set(reply, -EOPNOTSUPP, "stats: not available");
	memset(&st, 0, sizeof(st));
	err = ops->stats(&st, ops->arg);
	if (!err && !st.cpu_user_ms && !st.cpu_system_ms && !st.rss_bytes)
		err = edr_ops_fill_process(&st);
	if (err)
		edr_ctl_reply__set(reply, err, "stats: cannot take a snapshot: %s", strerror(-err));
	else
		err = edr_ops__stats_reply(&st, reply);
	if (!err && ops->more && (err = ops->more("stats", reply, ops->arg)))
		edr_ctl_reply__set(reply, err, "stats: cannot build the reply: %s", strerror(-err));
	edr_sensor_stats__fini(&st);
	return err;
}

int edr_ops__register(struct edr_ctl_server *srv, struct edr_ops *ops)
{
	int err;

	err = edr_ctl_server__register(srv, "status", 1, edr_ops__status_handler, ops);
	if (err)
		return err;
	return edr_ctl_server__register(srv, "stats", 1, edr_ops__stats_handler, ops);
}
