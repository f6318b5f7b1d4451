/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sensor's control socket server. It listens on an AF_UNIX stream socket
 * and serves each connection (one request, then progress frames and one final
 * reply) in a thread of its own, so a slow verb (load-rules) blocks neither
 * the event thread nor `edrctl status`. At most EDR_CTL_MAX_CLIENTS
 * connections are served at once; more are refused with -EBUSY.
 *
 * Access: the peer's credentials come from SO_PEERCRED/SO_PEERGROUPS. Root
 * (and the sensor's own uid) may call every verb; members of ro_gid (primary
 * or supplementary group) may call verbs registered read-only. Without a
 * group (ro_gid == (gid_t)-1) the directory is 0700 and the socket 0600;
 * with one, both are group-owned by it, the directory 0750 and the socket
 * 0660, so that group can connect at all.
 *
 * Handlers run in connection threads, concurrently with each other and with
 * the daemon: they must lock whatever they share.
 */
#ifndef EDR_CTL_SERVER_H
#define EDR_CTL_SERVER_H

#include <sys/types.h>

#include "sensor/ctl/ctl_proto.h"

#define EDR_CTL_MAX_CLIENTS	8
#define EDR_CTL_MAX_VERBS	64
#define EDR_CTL_IO_TIMEOUT_MS	5000	/* for reading a request, writing a frame */

struct edr_ctl_server;

/* Returns 0 or a negative errno; set the reply with edr_ctl_reply__set()
 * and items; a negative return with an empty message becomes strerror. */
typedef int (*edr_ctl_handler_fn)(const struct edr_ctl_req *req, struct edr_ctl_reply *reply,
				  void *ctx);

/* Creates the directory if missing, removes a stale socket (one nobody
 * listens on), binds and listens. Fails with EADDRINUSE when another
 * process serves the path. */
struct edr_ctl_server *edr_ctl_server__new(const char *path, gid_t ro_gid,
					   struct edr_ctl_err *err);
/* Before start(). Verbs are [a-z0-9_-]+; a duplicate is -EEXIST. */
int edr_ctl_server__register(struct edr_ctl_server *srv, const char *verb, int read_only,
			     edr_ctl_handler_fn fn, void *ctx);
int edr_ctl_server__start(struct edr_ctl_server *srv);
/* Stops accepting, waits for running handlers to return. Idempotent. */
void edr_ctl_server__stop(struct edr_ctl_server *srv);
/* Stops, closes and unlinks the socket. Accepts NULL. */
void edr_ctl_server__free(struct edr_ctl_server *srv);

/* Time allowed for a whole request to arrive (default EDR_CTL_IO_TIMEOUT_MS). */
void edr_ctl_server__set_timeout(struct edr_ctl_server *srv, int ms);

/* Counters for `edrctl stats`. */
struct edr_ctl_server_stats {
	unsigned long long accepted, served, denied, malformed, busy;
};
void edr_ctl_server__stats(struct edr_ctl_server *srv, struct edr_ctl_server_stats *st);

#endif /* EDR_CTL_SERVER_H */
