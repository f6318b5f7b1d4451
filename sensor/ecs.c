// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"

/* ---- records ---- */

int edr_ecs__init(struct edr_ecs *ecs, const char *host_name)
{
	struct timespec rt, bt;

	memset(ecs, 0, sizeof(*ecs));
	if (host_name && *host_name)
		snprintf(ecs->host_name, sizeof(ecs->host_name), "%s", host_name);
	else if (gethostname(ecs->host_name, sizeof(ecs->host_name) - 1))
		snprintf(ecs->host_name, sizeof(ecs->host_name), "unknown");
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	ecs->boot_to_real_ns = (int64_t)(rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
	ecs->ids = edr_idcache__new();
	return ecs->ids ? 0 : -ENOMEM;
}

void edr_ecs__fini(struct edr_ecs *ecs)
{
	edr_idcache__free(ecs->ids);
	ecs->ids = NULL;
}

static void time_key(struct edr_ecs *ecs, struct edr_json *j, const char *key, uint64_t boot_ns)
{
	/* Unsigned: a record's timestamp is not trusted and must not overflow. */
	uint64_t ns = boot_ns + (uint64_t)ecs->boot_to_real_ns;
	time_t sec = ns / 1000000000;
	struct tm tm;
	char b[64];
	size_t n;

	if (!gmtime_r(&sec, &tm) || !(n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm)))
		n = snprintf(b, sizeof(b), "1970-01-01T00:00:00");
	snprintf(b + n, sizeof(b) - n, ".%09lluZ", (unsigned long long)(ns % 1000000000));
	edr_json_kcstr(j, key, b);
}

void edr_ecs__timestamp(struct edr_ecs *ecs, struct edr_json *j, uint64_t boot_ns)
{
	time_key(ecs, j, "@timestamp", boot_ns);
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static void args_array(struct edr_json *j, const char *args, uint32_t len)
{
	struct edr_str a = { args, len };
	const char *arg;
	uint32_t pos = 0;
	int n;

	edr_json_key(j, "args");
	edr_json_arr_begin(j);
	while ((n = edr_argv_next(&a, &pos, &arg)) >= 0)
		edr_json_str(j, arg, n);
	edr_json_arr_end(j);
}

static void process_body(struct edr_json *j, const struct edr_proc *p)
{
	edr_json_kuint(j, "pid", p->tgid);
	edr_json_kcstr(j, "entity_id", p->entity_id);
	if (p->exe) {
		edr_json_kcstr(j, "executable", p->exe);
		edr_json_kcstr(j, "name", base_name(p->exe));
	} else {
		edr_json_kcstr(j, "name", p->comm);
	}
	if (p->args) {
		char *cl = malloc(p->args_len + 1);

		args_array(j, p->args, p->args_len);
		if (cl) {
			size_t n = edr_cmdline(p->args, p->args_len, cl, p->args_len + 1);

			edr_json_kstr(j, "command_line", cl, n);
			free(cl);
		}
	}
}

void edr_ecs__process(struct edr_ecs *ecs, struct edr_json *j, const struct edr_proc *p,
		      const struct edr_proc *parent)
{
	edr_json_key(j, "process");
	edr_json_obj_begin(j);
	process_body(j, p);
	if (p->cwd)
		edr_json_kcstr(j, "working_directory", p->cwd);
	if (p->start_ns)
		time_key(ecs, j, "start", p->start_ns);
	if (parent) {
		edr_json_key(j, "parent");
		edr_json_obj_begin(j);
		process_body(j, parent);
		edr_json_obj_end(j);
	} else {
		edr_json_key(j, "parent");
		edr_json_obj_begin(j);
		edr_json_kuint(j, "pid", p->ppid);
		edr_json_obj_end(j);
	}
}

static void id_object(struct edr_json *j, const char *key, uint32_t id, const char *name)
{
	char b[16];

	snprintf(b, sizeof(b), "%u", id);
	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "id", b);
	if (name)
		edr_json_kcstr(j, "name", name);
}

static void user_group(struct edr_ecs *ecs, struct edr_json *j, const struct edr_task *t)
{
	id_object(j, "user", t->uid, edr_idcache__user(ecs->ids, t->uid));
	id_object(j, "effective", t->euid, edr_idcache__user(ecs->ids, t->euid));
	edr_json_obj_end(j);
	edr_json_obj_end(j);
	id_object(j, "group", t->gid, edr_idcache__group(ecs->ids, t->gid));
	edr_json_obj_end(j);
}

int edr_ecs_severity(const char *level)
{
	if (!level)
		return 47;
	if (!strcmp(level, "informational"))
		return 1;
	if (!strcmp(level, "low"))
		return 21;
	if (!strcmp(level, "high"))
		return 73;
	if (!strcmp(level, "critical"))
		return 99;
	return 47;
}

static void str_array(struct edr_json *j, const char *key, const char *const *v, size_t n)
{
	size_t i;

	edr_json_key(j, key);
	edr_json_arr_begin(j);
	for (i = 0; i < n; i++)
		edr_json_cstr(j, v[i]);
	edr_json_arr_end(j);
}

/* edr.*.source: the attach path a record came from, in the header of every
 * record (EDR_SRC_*). */
const char *edr_ecs_attach_path(const struct edr_decoded *ev)
{
	static const char *const names[] = {
		[EDR_SRC_TRACEPOINT] = "tracepoint", [EDR_SRC_LSM] = "lsm", [EDR_SRC_FENTRY] = "fentry",
		[EDR_SRC_KPROBE] = "kprobe", [EDR_SRC_TP_BTF] = "tp_btf", [EDR_SRC_RAW_TP] = "raw_tp",
		[EDR_SRC_CGROUP] = "cgroup",
	};
	uint32_t src = ev->hdr->flags & EDR_HDR_SRC_MASK;

	return src < sizeof(names) / sizeof(names[0]) ? names[src] : "?";
}

void edr_ecs_deny(struct edr_json *j, const struct edr_decoded *ev)
{
	if (!ev->deny)
		return;
	edr_json_key(j, "deny");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "rule", ev->deny->rule);
	edr_json_kcstr(j, "mechanism", edr_deny_mechanism_name(ev->deny->mechanism));
	edr_json_kcstr(j, "operation", edr_deny_op_name(ev->deny->op));
	edr_json_kuint(j, "generation", ev->deny->generation);
	edr_json_obj_end(j);
}

void edr_ecs_kopt(struct edr_json *j, const char *key, const struct edr_str *s)
{
	if (s->p)
		edr_json_kstr(j, key, s->p, s->len);
}

/* The "event" object: kind, category, type, action, outcome, severity. */
static void event_object(struct edr_json *j, const struct edr_decoded *ev, const struct edr_alert_info *a)
{
	const struct edr_rectype *et = edr_rectype(ev->type);
	const char *outcome = ev->fam->outcome ? ev->fam->outcome(ev) : NULL;

	edr_json_key(j, "event");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "kind", a ? "alert" : "event");
	edr_json_key(j, "category");
	edr_json_arr_begin(j);
	edr_json_cstr(j, et->category);
	if (a)
		edr_json_cstr(j, "intrusion_detection");
	edr_json_arr_end(j);
	edr_json_key(j, "type");
	edr_json_arr_begin(j);
	edr_json_cstr(j, et->ecs_type);
	edr_json_arr_end(j);
	edr_json_kcstr(j, "action", et->action);
	if (outcome)
		edr_json_kcstr(j, "outcome", outcome);
	if (a)
		edr_json_kint(j, "severity", edr_ecs_severity(a->level));
	edr_json_obj_end(j);
}

/* What an alert adds: rule, threat, tags. */
static void rule_objects(struct edr_json *j, const struct edr_alert_info *a)
{
	edr_json_key(j, "rule");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "id", a->rule_id);
	edr_json_kcstr(j, "name", a->rule_name);
	edr_json_kcstr(j, "description", a->rule_description);
	if (a->rule_file)
		edr_json_kcstr(j, "ruleset", a->rule_file);
	edr_json_obj_end(j);
	if (a->ntechniques) {
		edr_json_key(j, "threat");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "framework", "MITRE ATT&CK");
		edr_json_key(j, "technique");
		edr_json_obj_begin(j);
		str_array(j, "id", a->techniques, a->ntechniques);
		edr_json_obj_end(j);
		edr_json_obj_end(j);
	}
	if (a->ntags)
		str_array(j, "tags", a->tags, a->ntags);
}

/* "process", with the thread and whatever the family adds. Without a
 * table entry, the process is described from the event alone. */
static void process_object(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_task *t = ev->task;
	const struct edr_enrichment *en = c->en;
	const struct edr_proc *p = c->p;
	struct edr_proc tmp;

	if (!p) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.tgid = t->tgid;
		tmp.ppid = t->ppid;
		tmp.start_ns = t->start_ns;
		memcpy(tmp.comm, t->comm, sizeof(tmp.comm));
		tmp.comm[sizeof(tmp.comm) - 1] = 0;
		p = &tmp;
	}
	edr_ecs__process(ecs, j, p, c->parent);
	edr_json_key(j, "thread");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "id", t->pid);
	if (ev->fam->ecs_thread)
		ev->fam->ecs_thread(j, ev);
	edr_json_obj_end(j);
	if (ev->fam->ecs_process)
		ev->fam->ecs_process(j, ev);
	if (en && en->have_hash && en->hash_state == EDR_HASH_DONE) {
		edr_json_key(j, "hash");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "sha256", en->sha256);
		edr_json_obj_end(j);
	}
	edr_json_obj_end(j); /* process */
}

/* "edr": what ECS has no field for; the family's part last. */
static void edr_object(struct edr_json *j, const struct edr_event_ctx *c, const struct edr_alert_info *a)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_enrichment *en = c->en;
	const struct edr_task *t = ev->task;

	edr_json_key(j, "edr");
	edr_json_obj_begin(j);
	if (a) {
		edr_json_kbool(j, "shadow", a->shadow);
		edr_json_kcstr(j, "level", a->level);
		if (a->content_version)
			edr_json_kuint(j, "content_version", a->content_version);
	}
	edr_json_kuint(j, "seq", ev->hdr->seq);
	if (en && en->have_hash && en->hash_state != EDR_HASH_DONE) {
		edr_json_kcstr(j, "hash_state", edr_hash_state_str(en->hash_state));
		if (en->hash_state == EDR_HASH_SKIPPED)
			edr_json_kcstr(j, "hash_skip", edr_hash_skip_str(en->hash_skip));
	}
	if (en && en->ancestry.n) {
		size_t k;

		edr_json_key(j, "ancestors");
		edr_json_arr_begin(j);
		for (k = 0; k < en->ancestry.n; k++)
			edr_json_cstr(j, edr_ancestry_exe(en->ancestry.procs[k]));
		edr_json_arr_end(j);
	}
	edr_json_kuint(j, "cpu", ev->hdr->cpu);
	edr_json_kuint(j, "cgroup_id", t->cgroup_id);
	if (t->auid != (uint32_t)-1)
		edr_json_kuint(j, "auid", t->auid);
	if (t->sessionid != (uint32_t)-1)
		edr_json_kuint(j, "session_id", t->sessionid);
	if (ev->fam->ecs_edr)
		ev->fam->ecs_edr(j, c);
	edr_json_obj_end(j);
}

static void record(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c,
		   const struct edr_alert_info *a)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_enrichment *en = c->en;
	const struct edr_task *ut = ev->task;
	struct edr_task ttmp;

	edr_json_obj_begin(j);
	edr_ecs__timestamp(ecs, j, ev->hdr->ts_ns);
	event_object(j, ev, a);
	if (a)
		rule_objects(j, a);
	edr_json_key(j, "host");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "name", ecs->host_name);
	edr_json_obj_end(j);
	process_object(ecs, j, c);
	/* A credential change: user.* are the new ids. */
	if (ev->fam->user_task)
		ut = ev->fam->user_task(ev, &ttmp);
	user_group(ecs, j, ut);
	if (en && en->container && en->container->runtime != EDR_CRT_NONE) {
		edr_json_key(j, "container");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "id", en->container->id);
		edr_json_key(j, "runtime");
		edr_json_cstr(j, edr_container_runtime_str(en->container->runtime));
		edr_json_obj_end(j);
	}
	if (ev->fam->ecs_objects)
		ev->fam->ecs_objects(j, ev);
	edr_object(j, c, a);
}

void edr_ecs__event(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c)
{
	record(ecs, j, c, NULL);
}

void edr_ecs__alert(struct edr_ecs *ecs, struct edr_json *j, const struct edr_event_ctx *c,
		    const struct edr_alert_info *a)
{
	record(ecs, j, c, a);
}

/* A gap record: what was lost, why, and where (a CPU's ring, an output). */
static void gap(struct edr_ecs *ecs, struct edr_json *j, uint64_t boot_ns, const char *action,
		const char *reason, uint64_t lost, int64_t cpu, const char *output)
{
	edr_json_obj_begin(j);
	edr_ecs__timestamp(ecs, j, boot_ns);
	edr_json_key(j, "event");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "kind", "event");
	edr_json_kcstr(j, "action", action);
	edr_json_kcstr(j, "reason", reason);
	edr_json_obj_end(j);
	edr_json_key(j, "host");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "name", ecs->host_name);
	edr_json_obj_end(j);
	edr_json_key(j, "edr");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "lost", lost);
	if (cpu >= 0)
		edr_json_kuint(j, "cpu", (uint64_t)cpu);
	if (output)
		edr_json_kcstr(j, "output", output);
	edr_json_obj_end(j);
	edr_json_obj_end(j);
}

void edr_ecs__gap(struct edr_ecs *ecs, struct edr_json *j, uint32_t cpu, uint64_t lost, uint64_t boot_ns)
{
	gap(ecs, j, boot_ns, "events-lost", "ring buffer full", lost, cpu, NULL);
}

void edr_ecs__output_gap(struct edr_ecs *ecs, struct edr_json *j, const char *output, uint64_t lost,
			 const char *reason, uint64_t boot_ns)
{
	gap(ecs, j, boot_ns, "output-lines-lost", reason, lost, -1, output);
}


size_t edr_ecs__output_gap_line(void *ecs, const char *output, uint64_t lost, const char *reason,
				char *buf, size_t size)
{
	struct timespec ts;
	struct edr_json j;
	size_t n = 0;

	/* A JSON buffer of its own: this runs inside a write of the event
	 * thread's line. */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	edr_json_init(&j);
	edr_ecs__output_gap(ecs, &j, output, lost, reason,
			    (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	if (!j.oom && j.len < size) {
		memcpy(buf, j.buf, j.len);
		n = j.len;
	}
	edr_json_free(&j);
	return n;
}
