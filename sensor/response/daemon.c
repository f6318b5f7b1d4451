// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine wired into the daemon: kernel enforcement through
 * loader/enforce.h, fanotify permission decisions on the active content,
 * the quarantine store, and their control verbs. See daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "loader/loader.h"
#include "rules/schema.h"
#include "sensor/config.h"
#include "sensor/content/content.h"
#include "sensor/ctl/ctl_server.h"
#include "sensor/ecs.h"
#include "sensor/enrich/hashcache.h"
#include "sensor/family/net.h"
#include "sensor/json.h"
#include "sensor/output/output.h"
#include "sensor/response/daemon.h"
#include "sensor/response/fanotify.h"
#include "sensor/response/protect.h"
#include "sensor/response/quarantine.h"
#include "sensor/sigma_map.h"

static void dlog(const struct edr_response_daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dlog(const struct edr_response_daemon *d, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!d->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	d->log(d->log_ctx, buf);
}

/* ---- the mechanisms ---- */

static int k_apply(void *ctx, const struct edr_policy *p, char *err, size_t errlen)
{
	return edr_enforce__apply(((struct edr_response_daemon *)ctx)->loader, p, err, errlen);
}

static int k_add_exec(void *ctx, const struct edr_policy_exec *e)
{
	return edr_enforce__add_exec(((struct edr_response_daemon *)ctx)->loader, e);
}

static int k_enabled(void *ctx, int on)
{
	return edr_enforce__set_enabled(((struct edr_response_daemon *)ctx)->loader, on);
}

static int k_mode(void *ctx, enum edr_exec_mode m)
{
	return edr_enforce__set_exec_mode(((struct edr_response_daemon *)ctx)->loader, m);
}

static int k_iso_on(void *ctx, const struct edr_isolate_allow *a, size_t n, char *err,
		    size_t errlen)
{
	return edr_isolate__on(((struct edr_response_daemon *)ctx)->loader, a, n, err, errlen);
}

static int k_iso_off(void *ctx, char *err, size_t errlen)
{
	return edr_isolate__off(err, errlen);
}

static int k_iso_status(void *ctx, struct edr_isolate_status *st)
{
	return edr_isolate__status(st);
}

static int f_protect(void *ctx, const char *path, char *err, size_t errlen)
{
	struct edr_response_daemon *d = ctx;

	if (!d->fan) {
		snprintf(err, errlen, "fanotify is not available");
		return -EOPNOTSUPP;
	}
	return edr_fanotify__protect(d->fan, path, err, errlen);
}

static void f_unprotect(void *ctx)
{
	struct edr_response_daemon *d = ctx;

	if (d->fan)
		edr_fanotify__unprotect_all(d->fan);
}

static int q_put(void *ctx, const char *path, const char *rule_id, const char *rule_name,
		 char id_out[17], char *why, size_t whylen)
{
	struct edr_response_daemon *d = ctx;
	struct edr_quarantine_item item;
	int rc;

	if (d->qfd < 0) {
		snprintf(why, whylen, "the quarantine directory is not usable");
		return -EOPNOTSUPP;
	}
	rc = edr_quarantine__put(d->qfd, path, rule_id, rule_name, 0, &item, why, whylen);
	if (!rc)
		snprintf(id_out, 17, "%s", item.id);
	return rc;
}

/* ---- fanotify decisions ---- */

/* Each fanotify worker evaluates the content: registered with liburcu on
 * first use, unregistered (and its view freed) when the thread exits. */
static pthread_key_t fan_key;
static pthread_once_t fan_key_once = PTHREAD_ONCE_INIT;

static void fan_thread_exit(void *v)
{
	free(v);
	edr_content__thread_fini();
}

static void fan_key_make(void)
{
	pthread_key_create(&fan_key, fan_thread_exit);
}

static struct edr_sigma_view *fan_view(void)
{
	struct edr_sigma_view *v;

	pthread_once(&fan_key_once, fan_key_make);
	v = pthread_getspecific(fan_key);
	if (v)
		return v;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	edr_content__thread_init();
	pthread_setspecific(fan_key, v);
	return v;
}

struct fan_match {
	struct edr_responder *r;
	const struct edr_response_target *t;
	enum edr_fan_verdict verdict;
};

/* Inside the content's read section: the first armed deny rule decides. */
static void fan_cb(const struct edr_rule *rule, int shadow, const struct edr_content_set *set,
		   void *ctx)
{
	struct fan_match *m = ctx;
	uint32_t num;

	if (shadow || m->verdict == EDR_FAN_DENY ||
	    edr_rule__response(rule)->action != EDR_ACT_DENY || !edr_response_rule_pre_exec(rule))
		return;
	if (edr_response__may_deny(m->r, rule, m->t, &num)) {
		m->verdict = EDR_FAN_DENY;
		edr_response__report(m->r, num, EDR_ACT_DENY, EDR_RMECH_FANOTIFY, "taken", NULL,
				     m->t);
	}
}

static enum edr_fan_verdict deny_num(struct edr_responder *r, uint32_t num,
				     const struct edr_response_target *t)
{
	if (!num || !edr_response__may_deny_num(r, num, t))
		return EDR_FAN_ALLOW;
	edr_response__report(r, num, EDR_ACT_DENY, EDR_RMECH_FANOTIFY, "taken", NULL, t);
	return EDR_FAN_DENY;
}

static enum edr_fan_verdict fan_decide(const struct edr_fan_req *req, void *ctx)
{
	struct edr_response_daemon *d = ctx;
	struct edr_response_target t = {
		.ts_ns = req->t_ns, .pid = req->pid, .exe = req->path, .dev = req->dev,
		.ino = req->ino, .ctime_ns = req->ctime_ns,
	};
	struct edr_file_ident id = { req->dev, req->ino };
	char hex[EDR_SHA256_HEX_LEN + 1] = "";
	struct fan_match m = { d->r, &t, EDR_FAN_ALLOW };
	struct edr_sigma_view *v;
	uint32_t num;

	if (!d->r || !edr_response__enabled(d->r))
		return EDR_FAN_ALLOW;
	if (req->kind == EDR_FAN_OPEN) {
		t.cat = EDR_CAT_FILE_EVENT;
		t.file = req->path;
		t.exe = NULL;
		return deny_num(d->r, edr_response__file_policy_hit(d->r, req->dev, req->ino), &t);
	}
	t.cat = EDR_CAT_PROCESS_CREATION;
	/* The exec map's identities and exact paths first: no view, no hash. */
	num = edr_response__exec_policy_hit(d->r, req->dev, req->ino, req->ctime_ns);
	if (!num)
		num = edr_response__exec_path_hit(d->r, req->path);
	if (num)
		return deny_num(d->r, num, &t);
	if (!edr_response__fan_rules(d->r))
		return EDR_FAN_ALLOW;
	/* Hashed only when a rule reads the hash: the exec waits for it. */
	if (d->hashes && edr_response__needs_hash(d->r) &&
	    !edr_hashcache__digest_fd(d->hashes, req->fd, &id, hex))
		t.sha256 = hex;
	v = fan_view();
	if (!v || edr_fan_exec_view(v, req, t.sha256))
		return EDR_FAN_ALLOW;
	edr_content__eval(d->content, &v->ev, fan_cb, &m);
	return m.verdict;
}

/* The alert that a decision took too long and was answered allow. */
static void fan_timeout(const struct edr_fan_req *req, void *ctx)
{
	struct edr_response_daemon *d = ctx;
	struct edr_json j;
	char msg[600];

	__atomic_add_fetch(&d->fan_timeouts, 1, __ATOMIC_RELAXED);
	snprintf(msg, sizeof(msg), "fanotify decision on %s for pid %d missed its deadline: "
		 "allowed (fail open)", req->path && req->path[0] ? req->path : "?", (int)req->pid);
	edr_json_init(&j);
	edr_json_obj_begin(&j);
	edr_json_key(&j, "event");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "kind", "alert");
	edr_json_kcstr(&j, "action", "fanotify-timeout");
	edr_json_kint(&j, "severity", 47);
	edr_json_obj_end(&j);
	edr_json_kcstr(&j, "message", msg);
	edr_json_key(&j, "edr");
	edr_json_obj_begin(&j);
	edr_json_key(&j, "response");
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "mechanism", "fanotify");
	edr_json_kcstr(&j, "outcome", "timeout");
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	if (!j.oom && d->out)
		edr_output__write(d->out, j.buf, j.len, 1, 47);
	edr_json_free(&j);
}

/* ---- life ---- */

static void emit_line(void *ctx, const char *line, size_t len, int is_alert, int severity)
{
	edr_output__write(ctx, line, len, is_alert, severity);
}

static int parse_allow_list(struct edr_response_daemon *d, const struct edr_config *cfg,
			    char *err, size_t errlen)
{
	char why[256];
	size_t i;

	for (i = 0; i < cfg->n_isolate_allow; i++) {
		if (i == EDR_ISOLATE_MAX_ALLOW) {
			snprintf(err, errlen, "isolate_allow: more than %d entries",
				 EDR_ISOLATE_MAX_ALLOW);
			return -E2BIG;
		}
		if (edr_parse_allow(cfg->isolate_allow[i], &d->allow[i], why, sizeof(why))) {
			snprintf(err, errlen, "isolate_allow: %s", why);
			return -EINVAL;
		}
	}
	d->nallow = i;
	return 0;
}

/* fanotify where a mechanism needs it: exec (no LSM, auto or forced) or
 * protected files (no LSM file_open). */
static void open_fanotify(struct edr_response_daemon *d, const struct edr_config *cfg,
			  const struct edr_enforce_caps *caps, int *exec_ok)
{
	struct edr_fanotify_opts fo = {
		.deadline_ms = cfg->fanotify_deadline_ms, .decide = fan_decide,
		.on_timeout = fan_timeout, .ctx = d,
	};
	int want_exec = !caps->exec_lsm && (cfg->enforce_exec == EDR_EXEC_PREF_FANOTIFY ||
					     (cfg->enforce_exec == EDR_EXEC_PREF_AUTO && !caps->exec_kill));
	char err[256];

	*exec_ok = 0;
	if (!want_exec && caps->file_lsm)
		return;
	d->fan = edr_fanotify__new(&fo, err, sizeof(err));
	if (!d->fan) {
		dlog(d, "fanotify: %s, its mechanisms are off, ignoring", err);
		return;
	}
	if (want_exec) {
		if (edr_fanotify__watch_exec(d->fan, err, sizeof(err)))
			dlog(d, "fanotify: exec marks: %s, not used for exec, ignoring", err);
		else
			*exec_ok = 1;
	}
}

int edr_response_daemon__open(struct edr_response_daemon *d,
			      const struct edr_response_daemon_opts *o, char *err, size_t errlen)
{
	const struct edr_config *cfg = o->cfg;
	struct edr_response_opts ro = {
		.ops = { k_apply, k_add_exec, k_enabled, k_mode, k_iso_on, k_iso_off, k_iso_status,
			 f_protect, f_unprotect, NULL, q_put, d },
		.exec_pref = cfg->enforce_exec,
		.enabled = cfg->enforce,
		.rate_per_rule = (unsigned)cfg->response_rate_per_rule,
		.rate_total = (unsigned)cfg->response_rate_total,
		.procs = o->procs,
		.ecs = o->ecs,
		.emit = emit_line,
		.emit_ctx = o->out,
		.log = o->log,
		.log_ctx = o->log_ctx,
	};
	char why[256];
	int rc, exec_ok;

	d->qfd = -1;
	d->loader = o->loader;
	d->content = o->content;
	d->hashes = o->hashes;
	d->out = o->out;
	d->log = o->log;
	d->log_ctx = o->log_ctx;
	rc = parse_allow_list(d, cfg, err, errlen);
	if (rc)
		return rc;
	d->protect = edr_protect__new((const char *const *)cfg->protected_paths,
				      cfg->n_protected_paths);
	if (!d->protect) {
		snprintf(err, errlen, "protected: %s", strerror(errno));
		return -errno;
	}
	edr_enforce__caps(o->loader, &ro.caps);
	open_fanotify(d, cfg, &ro.caps, &exec_ok);
	ro.fanotify_ok = exec_ok;
	ro.fanotify_file_ok = d->fan != NULL;
	if (edr_quarantine__open(cfg->quarantine_dir, &d->qfd, why, sizeof(why))) {
		dlog(d, "quarantine: %s, the quarantine action is off, ignoring", why);
		d->qfd = -1;
	}
	ro.protect = d->protect;
	ro.isolate_allow = d->allow;
	ro.nisolate_allow = d->nallow;
	d->r = edr_response__new(&ro);
	if (!d->r) {
		snprintf(err, errlen, "response engine: %s", strerror(errno));
		return -errno;
	}
	/* The content was activated before the engine existed. */
	edr_content__notify_active(d->content);
	return 0;
}

void edr_response_daemon__close(struct edr_response_daemon *d)
{
	/* fanotify first: what is pending is allowed, no decide runs after. */
	edr_fanotify__free(d->fan);
	d->fan = NULL;
	edr_response__free(d->r);
	d->r = NULL;
	edr_protect__free(d->protect);
	d->protect = NULL;
	if (d->qfd >= 0)
		close(d->qfd);
	d->qfd = -1;
}

void edr_response_daemon__on_activate(const struct edr_content_set *set, void *ctx)
{
	struct edr_response_daemon *d = ctx;

	if (d->r)
		edr_response__on_activate(set, d->r);
}

/* ---- matches and records from the event thread ---- */

/* The change time of pid's executable if it is still inode ino (the
 * identity the kernel's exec map keys); 0 when not. */
static uint64_t exe_ctime(pid_t pid, uint64_t ino)
{
	struct stat sb;
	char p[64];

	snprintf(p, sizeof(p), "/proc/%d/exe", (int)pid);
	if (stat(p, &sb) || sb.st_ino != ino)
		return 0;
	return (uint64_t)sb.st_ctim.tv_sec * 1000000000ull + (uint64_t)sb.st_ctim.tv_nsec;
}

/* A string field of the view, copied (view strings are not terminated). */
static const char *vstr(const struct edr_sigma_view *v, unsigned f, char *buf, size_t len)
{
	const struct edr_field_value *fv;

	if (f >= v->ev.nfields)
		return NULL;
	fv = &v->ev.f[f];
	if (!fv->set || !fv->s)
		return NULL;
	snprintf(buf, len, "%.*s", (int)fv->len, fv->s);
	return buf;
}

void edr_response_daemon__match(struct edr_response_daemon *d, const struct edr_rule *rule,
				int shadow, const struct edr_content_set *set,
				const struct edr_event_ctx *c, const struct edr_sigma_view *v)
{
	const struct edr_decoded *ev = c->ev;
	struct edr_response_target t = { 0 };
	char file[EDR_PATH_MAX], ip[64], exe[EDR_PATH_MAX];
	const struct edr_field_value *port;

	if (!d->r || edr_rule__response(rule)->action == EDR_ACT_NONE)
		return;
	t.cat = v->ev.cat;
	t.ts_ns = ev->hdr->ts_ns;
	t.pid = (pid_t)ev->task->tgid;
	t.start_ns = ev->task->start_ns;
	t.exe = c->p && c->p->exe ? c->p->exe : ev->path.len ? ev->path.p : NULL;
	t.entity_id = c->p ? c->p->entity_id : NULL;
	switch (t.cat) {
	case EDR_CAT_PROCESS_CREATION:
		if (!t.exe)
			t.exe = vstr(v, EDR_F_PROCESS_CREATION_IMAGE, exe, sizeof(exe));
		if (c->en && c->en->have_hash && c->en->hash_state == EDR_HASH_DONE)
			t.sha256 = c->en->sha256;
		edr_family_new_image(ev, &t.dev, &t.ino);
		break;
	case EDR_CAT_FILE_EVENT:
		t.file = vstr(v, EDR_F_FILE_EVENT_TARGET_FILENAME, file, sizeof(file));
		break;
	case EDR_CAT_NETWORK_CONNECTION:
		t.dst_ip = vstr(v, EDR_F_NETWORK_CONNECTION_DESTINATION_IP, ip, sizeof(ip));
		port = &v->ev.f[EDR_F_NETWORK_CONNECTION_DESTINATION_PORT];
		t.dst_port = port->set ? (uint16_t)port->n : 0;
		break;
	}
	if (t.sha256 && t.dev)
		t.ctime_ns = exe_ctime(t.pid, t.ino);
	edr_response__on_match(d->r, rule, shadow, set, &t);
}

/* The kernel's mechanism numbers (bpf/edr_event.h) as the engine's. */
static int kmech(unsigned m)
{
	switch (m) {
	case EDR_MECH_LSM:
		return EDR_RMECH_LSM;
	case EDR_MECH_KILL_AT_EXEC:
		return EDR_RMECH_KILL_AT_EXEC;
	case EDR_MECH_CGROUP:
		return EDR_RMECH_CGROUP;
	default:
		return EDR_RMECH_NONE;
	}
}

/* A denial record: one response event naming the rule, on the budget. */
static void denial(struct edr_response_daemon *d, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	struct edr_response_target t = {
		.ts_ns = ev->hdr->ts_ns, .pid = (pid_t)ev->task->tgid,
		.start_ns = ev->task->start_ns,
	};
	const struct edr_deny *dn;
	char ip[EDR_NET_ADDR_STR], path[EDR_PATH_MAX];

	switch (ev->type) {
	case EDR_EVENT_EXEC_DENIED:
		dn = &EDR_REC(ev, exec_denied)->deny;
		t.cat = EDR_CAT_PROCESS_CREATION;
		if (ev->path.len || ev->filename.len) {
			const struct edr_str *p = ev->path.len ? &ev->path : &ev->filename;

			snprintf(path, sizeof(path), "%.*s", (int)p->len, p->p);
			t.exe = path;
		}
		break;
	case EDR_EVENT_NET_DENIED:
		dn = &EDR_REC(ev, net_denied)->deny;
		t.cat = EDR_CAT_NETWORK_CONNECTION;
		t.dst_ip = edr_net_addr(&EDR_REC(ev, net_denied)->net, 0, ip);
		t.dst_port = EDR_REC(ev, net_denied)->net.dport;
		t.exe = c->p ? c->p->exe : NULL;
		break;
	case EDR_EVENT_FILE_DENIED:
		dn = &EDR_REC(ev, file_denied)->deny;
		t.cat = EDR_CAT_FILE_EVENT;
		snprintf(path, sizeof(path), "%.*s", (int)ev->path.len, ev->path.p ? ev->path.p : "");
		t.file = path;
		t.exe = c->p ? c->p->exe : NULL;
		break;
	default:
		return;
	}
	edr_response__kernel_denial(d->r, dn->rule, kmech(dn->mechanism), &t);
}

void edr_response_daemon__record(struct edr_response_daemon *d, const struct edr_event_ctx *c)
{
	const struct edr_enrichment *en = c->en;
	uint32_t dev;
	uint64_t ino;

	if (!d->r)
		return;
	denial(d, c);
	/* A digest served for a new image feeds the SHA-256 policy: the next
	 * exec of that identity is refused in the kernel. */
	if (en && en->have_hash && en->hash_state == EDR_HASH_DONE &&
	    edr_family_new_image(c->ev, &dev, &ino) && edr_response__needs_hash(d->r)) {
		uint64_t ctime_ns = exe_ctime((pid_t)c->ev->task->tgid, ino);

		if (ctime_ns)
			edr_response__hash_learned(d->r, dev, ino, ctime_ns, en->sha256);
	}
}

int edr_response_daemon__poll_ms(struct edr_response_daemon *d, int def_ms)
{
	return d->r && edr_response__async_rules(d->r) && def_ms > 10 ? 10 : def_ms;
}

/* ---- control ---- */

static int valid_qid(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return i == 16;
}

static int q_list(struct edr_response_daemon *d, struct edr_ctl_reply *reply)
{
	struct edr_quarantine_item *items = NULL;
	char key[EDR_CTL_MAX_KEY + 1];
	size_t i, n = 0;
	int rc = edr_quarantine__list(d->qfd, &items, &n);

	if (rc)
		return edr_ctl_reply__set(reply, rc, "quarantine list: %s", strerror(-rc));
	for (i = 0; i < n && !rc; i++) {
#define K(col) (snprintf(key, sizeof(key), "quarantine.%s.%s", items[i].id, col), key)
		rc = edr_ctl_reply__add_str(reply, K("path"), items[i].path);
		rc = rc ? rc : edr_ctl_reply__add_int(reply, K("size_bytes"), (int64_t)items[i].size);
		rc = rc ? rc : edr_ctl_reply__add_int(reply, K("quarantined_at"),
						      (int64_t)(items[i].qtime / 1000000000ull));
		rc = rc ? rc : edr_ctl_reply__add_str(reply, K("rule"), items[i].rule_id[0] ?
						      items[i].rule_id : items[i].rule_name);
		rc = rc ? rc : edr_ctl_reply__add_str(reply, K("sha256"), items[i].sha256);
#undef K
	}
	free(items);
	if (rc)
		return edr_ctl_reply__set(reply, rc, "quarantine list: reply too large");
	return edr_ctl_reply__set(reply, 0, "%zu item%s in quarantine", n, n == 1 ? "" : "s");
}

static int h_quarantine(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_response_daemon *d = ctx;
	const char *op = edr_ctl_req__get(req, "op");
	const char *id = edr_ctl_req__get(req, "id");
	const char *force = edr_ctl_req__get(req, "force");
	struct edr_quarantine_item item;
	char err[512];
	int rc;

	if (d->qfd < 0)
		return edr_ctl_reply__set(reply, -EOPNOTSUPP, "quarantine: the quarantine directory "
					  "is not usable (see the sensor's log)");
	if (op && !strcmp(op, "list"))
		return q_list(d, reply);
	if (!op || strcmp(op, "restore"))
		return edr_ctl_reply__set(reply, -EINVAL, "quarantine: op must be 'list' or 'restore'");
	if (!id || !valid_qid(id))
		return edr_ctl_reply__set(reply, -EINVAL, "quarantine restore: ID must be 16 hex "
					  "digits (see edrctl quarantine list)");
	if (force && strcmp(force, "1"))
		return edr_ctl_reply__set(reply, -EINVAL, "quarantine restore: bad force flag");
	rc = edr_quarantine__restore(d->qfd, id, force != NULL, &item, err, sizeof(err));
	if (rc)
		return edr_ctl_reply__set(reply, rc, "quarantine restore: %s", err);
	return edr_ctl_reply__set(reply, 0, "restored %s", item.path);
}

int edr_response_daemon__register(struct edr_response_daemon *d, struct edr_ctl_server *srv)
{
	int rc;

	if (!d->r)
		return 0;
	rc = edr_response__register_verbs(d->r, srv);
	return rc ? rc : edr_ctl_server__register(srv, "quarantine", 0, h_quarantine, d);
}

int edr_response_daemon__reply(struct edr_response_daemon *d, const char *verb,
			       struct edr_ctl_reply *reply)
{
	struct edr_fanotify_stats fs = { 0 };
	char buf[128];
	int rc;

	if (!d->r)
		return 0;
	if (d->fan)
		edr_fanotify__stats(d->fan, &fs);
	if (!strcmp(verb, "status")) {
		rc = edr_response__status_reply(d->r, reply);
		if (d->fan)
			snprintf(buf, sizeof(buf), "on (%llu filesystems, %llu protected files)",
				 (unsigned long long)fs.filesystems, (unsigned long long)fs.protected);
		return rc ? rc : edr_ctl_reply__add_str(reply, "response.fanotify",
							d->fan ? buf : "off");
	}
	rc = edr_response__stats_reply(d->r, reply);
#define ADD(k, v) (rc = rc ? rc : edr_ctl_reply__add_int(reply, "fanotify." k, (int64_t)(v)))
	ADD("requests", fs.requests);
	ADD("allowed", fs.allowed);
	ADD("denied", fs.denied);
	ADD("timeouts", fs.timeouts);
	ADD("errors", fs.errors);
	ADD("queue_full", fs.queue_full);
	ADD("stuck", fs.stuck);
#undef ADD
	return rc;
}

/* ---- --probe ---- */

/* A fanotify group with a permission mark on one file (this binary), closed
 * at once: do permission events work here? */
static int fanotify_trial(char *why, size_t whylen)
{
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);

	if (fd < 0) {
		snprintf(why, whylen, "fanotify_init: %s", strerror(errno));
		return 0;
	}
	if (fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, "/proc/self/exe")) {
		snprintf(why, whylen, "FAN_OPEN_EXEC_PERM mark: %s", strerror(errno));
		close(fd);
		return 0;
	}
	close(fd);
	snprintf(why, whylen, "permission events work");
	return 1;
}

/* The path the plan chose for a feature, or NULL. */
static const char *plan_path(const struct edr_feature_status *plan, int n, const char *name)
{
	int f;

	for (f = 0; f < n; f++)
		if (!strcmp(plan[f].name, name))
			return plan[f].chosen >= 0 ? plan[f].paths[plan[f].chosen] : NULL;
	return NULL;
}

void edr_response_probe(const struct edr_config *cfg, const struct edr_feature_status *plan,
			int n, struct edr_json *j)
{
	const char *ex = plan_path(plan, n, "exec_enforce"), *ne = plan_path(plan, n, "net_enforce");
	const char *fe = plan_path(plan, n, "file_enforce"), *is = plan_path(plan, n, "isolate");
	struct edr_enforce_caps caps = {
		.exec_lsm = ex && !strcmp(ex, "lsm"), .exec_kill = ex && !strcmp(ex, "kill"),
		.net_lsm = ne && !strcmp(ne, "lsm"), .net_cgroup = ne && !strcmp(ne, "cgroup"),
		.file_lsm = fe && !strcmp(fe, "lsm"), .isolate = is != NULL,
	};
	char fwhy[128], why[256];
	int fan = fanotify_trial(fwhy, sizeof(fwhy));
	int mexec = edr_response_choose_exec(cfg->enforce_exec, &caps, fan, why, sizeof(why));
	const char *rows[][2] = {
		{ "exec", edr_mech_name(mexec) },
		{ "connect", caps.net_lsm ? "lsm" : caps.net_cgroup ? "cgroup" : "pidfd" },
		{ "file", caps.file_lsm ? "lsm" : fan ? "fanotify" : "pidfd" },
		{ "kill", "pidfd" },
		{ "quarantine", "quarantine" },
		{ "isolate", caps.isolate ? "cgroup_skb" : "none" },
		{ "fanotify", fwhy },
	};
	size_t i;

	if (j) {
		edr_json_key(j, "response");
		edr_json_obj_begin(j);
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			edr_json_kcstr(j, rows[i][0], rows[i][1]);
		edr_json_kcstr(j, "enforce", cfg->enforce ? "on" : "off");
		if (why[0])
			edr_json_kcstr(j, "exec_note", why);
		edr_json_obj_end(j);
		return;
	}
	printf("\n%-14s %s\n", "RESPONSE", "MECHANISM");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		printf("%-14s %s\n", rows[i][0], rows[i][1]);
	printf("%-14s %s\n", "enforce", cfg->enforce ? "on" : "off (observing only)");
	if (why[0])
		printf("note: %s\n", why);
}
