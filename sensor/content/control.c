// SPDX-License-Identifier: GPL-2.0-only
/* The content manager's control-socket verbs: load-rules and rules. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sensor/content/internal.h"
#include "sensor/ctl/ctl_server.h"

static int send_progress(const char *line, void *ctx)
{
	return edr_ctl_reply__progress(ctx, "%s", line);
}

static void progress_to_reply(const char *line, void *ctx)
{
	send_progress(line, ctx);
}

static int h_load_rules(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	struct edr_content *mgr = ctx;
	struct edr_content_load_opts lo = { 0 };
	const char *path = edr_ctl_req__get(req, "path");
	const char *shadow = edr_ctl_req__get(req, "shadow");
	const char *force = edr_ctl_req__get(req, "force");
	const char *enforce_now = edr_ctl_req__get(req, "enforce_now");
	char msg[768];
	uint64_t v;
	size_t n;
	int rc;

	if (!path || path[0] != '/')
		return edr_ctl_reply__set(reply, -EINVAL, "load-rules: 'path' must be absolute");
	/* Without --shadow the configured default applies; --shadow 0 asks
	 * for immediate activation whatever the default. */
	lo.shadow_ms = mgr->o.shadow_default_ms;
	if (shadow && edr_duration_parse(shadow, &lo.shadow_ms))
		return edr_ctl_reply__set(reply, -EINVAL, "load-rules: bad shadow duration '%s'",
					  shadow);
	lo.force = force && !strcmp(force, "1");
	lo.enforce_now = enforce_now && !strcmp(enforce_now, "1");
	rc = edr_content__load(mgr, path, &lo, progress_to_reply, reply, msg, sizeof(msg));
	edr_ctl_reply__set(reply, rc, "%s", msg);
	edr_content__active_info(mgr, &v, &n);
	edr_ctl_reply__add_int(reply, "active.version", (int64_t)v);
	edr_ctl_reply__add_int(reply, "active.rules", (int64_t)n);
	return rc;
}

static void add_set(struct edr_ctl_reply *r, const char *pfx, const struct edr_content_set *s)
{
	char k[64], t[32];

#define K(name) (snprintf(k, sizeof(k), "%s.%s", pfx, name), k)
	edr_ctl_reply__add_int(r, K("version"), (int64_t)s->version);
	edr_ctl_reply__add_str(r, K("source"), s->source);
	edr_ctl_reply__add_int(r, K("rules"), (int64_t)s->nrules);
	edr_ctl_reply__add_str(r, K("digest"), s->digest);
	edr_ctl_reply__add_str(r, K("signed"), s->is_signed ? "yes" : "no");
	if (s->activated_at_ms)
		edr_ctl_reply__add_str(r, K("activated_at"), fmt_time(s->activated_at_ms, t, sizeof(t)));
#undef K
}

static int h_rules(const struct edr_ctl_req *req, struct edr_ctl_reply *r, void *ctx)
{
	struct edr_content *mgr = ctx;
	char t[32];

	pthread_mutex_lock(&mgr->lock);
	if (mgr->active) {
		add_set(r, "active", mgr->active);
		edr_ctl_reply__add_str(r, "active.state",
				       mgr->probation_until_ms ? "probation" : "good");
		if (mgr->probation_until_ms)
			edr_ctl_reply__add_str(r, "active.probation_until",
					       fmt_time(mgr->probation_until_ms, t, sizeof(t)));
	} else {
		edr_ctl_reply__add_str(r, "active.state", "none (no rules)");
	}
	if (mgr->shadow) {
		const struct edr_content_set *s = mgr->shadow;
		uint64_t n = __atomic_load_n(&s->ev_count, __ATOMIC_RELAXED);

		add_set(r, "shadow", s);
		edr_ctl_reply__add_str(r, "shadow.until", fmt_time(mgr->shadow_until_ms, t, sizeof(t)));
		edr_ctl_reply__add_int(r, "shadow.events", (int64_t)n);
		edr_ctl_reply__add_int(r, "shadow.alerts",
				       (int64_t)__atomic_load_n(&s->alerts, __ATOMIC_RELAXED));
		edr_ctl_reply__add_int(r, "shadow.errors",
				       (int64_t)__atomic_load_n(&s->errors, __ATOMIC_RELAXED));
		edr_ctl_reply__add_int(r, "shadow.would_act",
				       (int64_t)__atomic_load_n(&s->would_acts, __ATOMIC_RELAXED));
		edr_ctl_reply__add_int(r, "shadow.ns_per_event",
				       n ? (int64_t)(__atomic_load_n(&s->ev_ns, __ATOMIC_RELAXED) / n)
					 : 0);
	}
	if (mgr->have_lkg) {
		edr_ctl_reply__add_int(r, "last_known_good.version", (int64_t)mgr->lkg_version);
		edr_ctl_reply__add_str(r, "last_known_good.digest", mgr->lkg_digest);
	}
	if (mgr->last_shadow[0])
		edr_ctl_reply__add_str(r, "last_shadow", mgr->last_shadow);
	if (mgr->last_rejection[0])
		edr_ctl_reply__add_str(r, "last_rejection", mgr->last_rejection);
	if (mgr->last_rollback[0])
		edr_ctl_reply__add_str(r, "last_rollback", mgr->last_rollback);
	edr_ctl_reply__add_int(r, "bad_contents", (int64_t)mgr->nbad);
	pthread_mutex_unlock(&mgr->lock);
	return 0;
}

int edr_content__register_verbs(struct edr_content *mgr, struct edr_ctl_server *srv)
{
	int rc = edr_ctl_server__register(srv, "load-rules", 0, h_load_rules, mgr);

	return rc ? rc : edr_ctl_server__register(srv, "rules", 1, h_rules, mgr);
}
