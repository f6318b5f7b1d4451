/* SPDX-License-Identifier: GPL-2.0-only */
/* Control socket client used by edrctl (and by tests). */
#ifndef EDR_CTL_CLIENT_H
#define EDR_CTL_CLIENT_H

#include "sensor/ctl/ctl_proto.h"

/* How long the client waits for the next frame; load-rules sends progress
 * frames between stages, so this bounds one stage, not the whole call. */
#define EDR_CTL_CLIENT_TIMEOUT_MS	120000

/*
 * Sends req to the server at path (NULL = EDR_CTL_DEFAULT_SOCKET) and fills
 * reply (initialised by the caller, released with edr_ctl_reply__fini).
 * progress, if not NULL, is called for each progress frame.
 * Returns 0 when a final reply arrived (its status may still be an error),
 * or a negative errno with err set when the call itself failed (no sensor,
 * permission denied on the socket, malformed reply).
 */
int edr_ctl_call_progress(const char *path, const struct edr_ctl_req *req,
			  struct edr_ctl_reply *reply, edr_ctl_progress_fn progress, void *ctx,
			  struct edr_ctl_err *err);
int edr_ctl_call(const char *path, const struct edr_ctl_req *req, struct edr_ctl_reply *reply,
		 struct edr_ctl_err *err);

#endif /* EDR_CTL_CLIENT_H */
