/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sensor's control socket server. It listens on an AF_UNIX stream socket
 * and serves each connection (one request, then progress frames and one final
 * reply) in a thread of its own, so a slow verb (load-rules) blocks neither
 * the event thread nor `edrctl status`. At most EDR_CTL_MAX_CLIENTS
 * connections are served at once; more are refused with -EBUSY.
 *
 * Access: the peer's credentials come from SO_PEERCRED/SO_PEERGROUPS, read
 * at accept, before the connection takes a slot. Root (and the sensor's own
 * uid) may call every verb; members of ro_gid (primary or supplementary
 * group) may call verbs registered read-only; anyone else is refused at
 * once. Slots: EDR_CTL_ROOT_SLOTS of them are only ever given to root, and
 * one non-root uid holds at most EDR_CTL_MAX_PER_UID, so group members
 * cannot lock root out by holding connections open.
 *
 * The socket's directory must be a directory owned by the sensor's uid and
 * not writable by group or others (else the socket could be swapped under
 * it). Without a group (ro_gid == (gid_t)-1) the socket is 0600 and a
 * directory the server creates 0700; with one, the directory (created or
 * found) is given to the group with mode 0750 and the socket is 0660, so
 * that group can reach it whatever state the directory was left in.
 *
 * Handlers run in connection threads, concurrently with each other and with
 * the daemon: they must lock whatever they share.
 */
#ifndef EDR_CTL_SERVER_H
#define EDR_CTL_SERVER_H

#include <sys/types.h>

#include "sensor/ctl/ctl_proto.h"

#define EDR_CTL_MAX_CLIENTS	8
#define EDR_CTL_ROOT_SLOTS	2	/* of the above, for root only */
#define EDR_CTL_MAX_PER_UID	2	/* connections one non-root uid may hold */
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

/* Counters for `edrctl stats` (ctl.*). denied: peers refused at accept or
 * for a verb; busy: refused for want of a slot (per_uid of those because
 * their uid held EDR_CTL_MAX_PER_UID already). */
struct edr_ctl_server_stats {
	unsigned long long accepted, served, denied, malformed, busy, busy_per_uid;
};
void edr_ctl_server__stats(struct edr_ctl_server *srv, struct edr_ctl_server_stats *st);

#endif /* EDR_CTL_SERVER_H */
