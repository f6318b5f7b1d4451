// SPDX-License-Identifier: GPL-2.0-only
/* Control socket client: one connection per call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensor/ctl/ctl_client.h"

int edr_ctl_call_progress(const char *path, const struct edr_ctl_req *req,
			  struct edr_ctl_reply *reply, edr_ctl_progress_fn progress, void *ctx,
			  struct edr_ctl_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { EDR_CTL_CLIENT_TIMEOUT_MS / 1000, 0 };
	uint8_t *buf = NULL;
	size_t len;
	int fd = -1, rc;
	char kind;

	if (!path)
		path = EDR_CTL_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err->msg, sizeof(err->msg), "%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	rc = edr_ctl_req__encode(req, &buf, &len);
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "cannot encode the request: %s", strerror(-rc));
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		snprintf(err->msg, sizeof(err->msg), "%s: %s%s", path, strerror(errno),
			 errno == ENOENT || errno == ECONNREFUSED ? " (is edr-sensor running?)" : "");
		goto out;
	}
	rc = edr_ctl_write_all(fd, buf, len);
	free(buf);
	buf = NULL;
	if (rc) {
		snprintf(err->msg, sizeof(err->msg), "%s: sending the request: %s", path,
			 strerror(-rc));
		goto out;
	}
	for (;;) {
		rc = edr_ctl_read_frame(fd, EDR_CTL_MAX_REPLY, &buf, &len);
		if (rc) {
			snprintf(err->msg, sizeof(err->msg), "%s: reading the reply: %s", path,
				 rc == -EAGAIN ? "timed out" : strerror(-rc));
			goto out;
		}
		rc = edr_ctl_reply__decode(reply, &kind, buf, len, err);
		free(buf);
		buf = NULL;
		if (rc)
			goto out;
		if (kind == 'R')
			break;
		if (progress)
			progress(reply->msg, ctx);
	}
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int edr_ctl_call(const char *path, const struct edr_ctl_req *req, struct edr_ctl_reply *reply,
		 struct edr_ctl_err *err)
{
	return edr_ctl_call_progress(path, req, reply, NULL, NULL, err);
}
