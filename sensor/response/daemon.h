/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The response engine in the daemon: its mechanisms wired to the loader's
 * enforcement (loader/enforce.h), fanotify (permission events for exec and
 * protected files, decided on the active content's pre-exec view), the
 * quarantine store, and the control verbs, status and stats that go with
 * them. sensor/main.c holds one struct edr_response_daemon and calls:
 *
 *	co.on_activate = edr_response_daemon__on_activate; co.activate_ctx = &d;
 *	... content and loader ...
 *	edr_response_daemon__open(&d, &o, err, sizeof(err));  // after the loader
 *	edr_response_daemon__register(&d, srv);
 *	on_match:  edr_response_daemon__match(&d, rule, shadow, set, ctx, view);
 *	on_record: edr_response_daemon__record(&d, ev, ctx);   // denial records
 *	edr_response_daemon__close(&d);                       // before the loader goes
 */
#ifndef EDR_RESPONSE_DAEMON_H
#define EDR_RESPONSE_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#include "loader/enforce.h"
#include "sensor/response/response.h"

struct edr_config;
struct edr_loader;
struct edr_content;
struct edr_content_set;
struct edr_hashcache;
struct edr_proctable;
struct edr_ecs;
struct edr_output;
struct edr_ctl_server;
struct edr_ctl_reply;
struct edr_event_ctx;
struct edr_decoded;
struct edr_sigma_view;
struct edr_fanotify;
struct edr_protect;
struct edr_json;
struct edr_feature_status;

struct edr_response_daemon_opts {
	const struct edr_config *cfg;
	struct edr_loader *loader;
	struct edr_content *content;
	struct edr_hashcache *hashes;   /* may be NULL */
	struct edr_proctable *procs;
	struct edr_ecs *ecs;
	struct edr_output *out;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
};

struct edr_response_daemon {
	struct edr_responder *r;        /* NULL until open succeeded */
	struct edr_protect *protect;
	struct edr_fanotify *fan;
	int qfd;                        /* quarantine directory, -1 when unusable */
	struct edr_loader *loader;
	struct edr_content *content;
	struct edr_hashcache *hashes;
	struct edr_output *out;
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	struct edr_isolate_allow allow[EDR_ISOLATE_MAX_ALLOW];
	size_t nallow;
	uint64_t fan_timeouts, fan_errors;
};

/* Protected list, fanotify, quarantine, the engine; the active content's
 * policy applied. Without what fails (fanotify, quarantine) the sensor runs
 * with that mechanism off, logged. 0 or negative errno (err one line) only
 * when the configuration is unusable (isolate_allow, protected). */
int edr_response_daemon__open(struct edr_response_daemon *d,
			      const struct edr_response_daemon_opts *o, char *err, size_t errlen);
/* Fanotify first (its pending requests are allowed), then the engine. */
void edr_response_daemon__close(struct edr_response_daemon *d);

/* The content manager's hook (ctx: the daemon struct). */
void edr_response_daemon__on_activate(const struct edr_content_set *set, void *ctx);

/* A rule matched view v of the event c (event thread). */
void edr_response_daemon__match(struct edr_response_daemon *d, const struct edr_rule *rule,
				int shadow, const struct edr_content_set *set,
				const struct edr_event_ctx *c, const struct edr_sigma_view *v);
/* Every record, after the event line: kernel denial records become
 * response events; a hash the cache just served feeds the SHA-256 policy. */
void edr_response_daemon__record(struct edr_response_daemon *d, const struct edr_event_ctx *c);

/* How long the event loop may wait for the ring buffer: short (10 ms) while
 * rules act after their event, so an asynchronous kill is not held back by
 * the loop's batching; else def_ms. */
int edr_response_daemon__poll_ms(struct edr_response_daemon *d, int def_ms);

/* "enforce", "response", "isolate", "release", "quarantine", "response-rules". */
int edr_response_daemon__register(struct edr_response_daemon *d, struct edr_ctl_server *srv);
/* The response block of `edrctl status` and the counters of `edrctl stats`. */
int edr_response_daemon__reply(struct edr_response_daemon *d, const char *verb,
			       struct edr_ctl_reply *reply);

/* --probe: the mechanism each response would use here, from the loader's
 * plan and a fanotify trial (a group and an exec mark, closed at once). */
void edr_response_probe(const struct edr_config *cfg, const struct edr_feature_status *plan,
			int nfeatures, struct edr_json *j);

#endif /* EDR_RESPONSE_DAEMON_H */
