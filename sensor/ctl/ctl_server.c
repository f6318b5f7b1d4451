// SPDX-License-Identifier: GPL-2.0-only
/* Control socket server: listener thread plus one thread per connection. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensor/ctl/ctl_server.h"

struct verb {
	char name[EDR_CTL_MAX_VERB + 1];
	int read_only;
	edr_ctl_handler_fn fn;
	void *ctx;
};

struct edr_ctl_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	gid_t ro_gid;
	int timeout_ms;
	int lfd;
	int stop_pipe[2];
	pthread_t thread;
	int started, stopped;

	pthread_mutex_t lock;
	pthread_cond_t idle;
	int active; /* connection threads running */
	int active_nonroot;
	struct {
		uid_t uid;
		int n;
	} held[EDR_CTL_MAX_CLIENTS]; /* non-root connections per uid */

	struct verb verbs[EDR_CTL_MAX_VERBS];
	size_t nverbs;
	struct edr_ctl_server_stats st;
};

enum peer_class { PEER_NONE, PEER_GROUP, PEER_ROOT };

struct conn {
	struct edr_ctl_server *srv;
	int fd;
	uid_t uid;
	enum peer_class cls;
};


static void count(struct edr_ctl_server *srv, unsigned long long *c)
{
	pthread_mutex_lock(&srv->lock);
	(*c)++;
	pthread_mutex_unlock(&srv->lock);
}

static int send_reply(int fd, const struct edr_ctl_reply *r, char kind)
{
	uint8_t *buf;
	size_t len;
	int rc;

	rc = edr_ctl_reply__encode(r, kind, &buf, &len);
	if (rc == -EMSGSIZE && kind == 'R') {
		/* Too many or too large items: still tell the client why. */
		struct edr_ctl_reply small;

		edr_ctl_reply__init(&small);
		edr_ctl_reply__set(&small, -EMSGSIZE, "reply exceeds %d bytes", EDR_CTL_MAX_REPLY);
		rc = edr_ctl_reply__encode(&small, 'R', &buf, &len);
	}
	if (rc)
		return rc;
	rc = edr_ctl_write_all(fd, buf, len);
	free(buf);
	return rc;
}

static int send_error(int fd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int send_error(int fd, int status, const char *fmt, ...)
{
	struct edr_ctl_reply r;
	va_list ap;
	int rc;

	edr_ctl_reply__init(&r);
	r.status = status;
	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
	va_end(ap);
	rc = send_reply(fd, &r, 'R');
	edr_ctl_reply__fini(&r);
	return rc;
}

static int conn_progress(const char *msg, void *ctx)
{
	struct edr_ctl_reply r;
	int fd = *(int *)ctx;

	edr_ctl_reply__init(&r);
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	/* A client that went away does not abort the handler; the work
	 * (e.g. a load) completes and the final reply is simply lost. */
	return send_reply(fd, &r, 'P');
}

/* Who the peer is: root (or our own uid), a member of the read-only group,
 * or nobody we serve. */
static enum peer_class peer_class(struct edr_ctl_server *srv, int fd, uid_t *uid_out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[256];
	socklen_t glen = sizeof(groups);
	size_t i;

	*uid_out = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return PEER_NONE;
	*uid_out = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return PEER_ROOT;
	if (srv->ro_gid == (gid_t)-1)
		return PEER_NONE;
	if (cred.gid == srv->ro_gid)
		return PEER_GROUP;
	/* SO_PEERGROUPS (Linux 4.13) gives the supplementary groups. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
		return PEER_NONE;
	for (i = 0; i < glen / sizeof(gid_t); i++)
		if (groups[i] == srv->ro_gid)
			return PEER_GROUP;
	return PEER_NONE;
}

static void serve(struct edr_ctl_server *srv, const struct conn *c)
{
	int fd = c->fd;
	struct edr_ctl_err err = { "" };
	struct edr_ctl_req *req = NULL;
	struct edr_ctl_reply reply;
	const struct verb *v = NULL;
	uint8_t *buf = NULL;
	size_t len, i;
	int rc;

	edr_ctl_reply__init(&reply);
	/* One deadline for the whole request: a client trickling bytes cannot
	 * hold a connection slot longer than this. */
	rc = edr_ctl_read_frame_deadline(fd, EDR_CTL_MAX_REQ, &buf, &len, srv->timeout_ms);
	if (rc == -EMSGSIZE) {
		count(srv, &srv->st.malformed);
		send_error(fd, -EMSGSIZE, "request exceeds %d bytes", EDR_CTL_MAX_REQ);
		return;
	}
	if (rc == -ECONNRESET)
		return; /* connected and left, e.g. another server probing for life */
	if (rc) {
		count(srv, &srv->st.malformed);
		send_error(fd, -EBADMSG, "could not read the request: %s",
			   rc == -ETIMEDOUT ? "not complete within the time limit" : strerror(-rc));
		return;
	}
	req = edr_ctl_req__decode(buf, len, &err);
	free(buf);
	if (!req) {
		count(srv, &srv->st.malformed);
		send_error(fd, -EBADMSG, "malformed request: %s", err.msg);
		return;
	}
	for (i = 0; i < srv->nverbs; i++)
		if (!strcmp(srv->verbs[i].name, req->verb))
			v = &srv->verbs[i];
	if (!v) {
		send_error(fd, -EOPNOTSUPP, "unknown verb '%s'", req->verb);
		goto out;
	}
	if (c->cls != PEER_ROOT && !v->read_only) {
		count(srv, &srv->st.denied);
		send_error(fd, -EACCES, "uid %d may not call '%s' (needs root)", (int)c->uid,
			   req->verb);
		goto out;
	}
	reply.progress = conn_progress;
	reply.progress_ctx = &fd;
	rc = v->fn(req, &reply, v->ctx);
	if (rc < 0 && reply.status == 0)
		reply.status = rc;
	if (reply.status < 0 && !reply.msg[0])
		snprintf(reply.msg, sizeof(reply.msg), "%s: %s", req->verb, strerror(-reply.status));
	send_reply(fd, &reply, 'R');
	count(srv, &srv->st.served);
out:
	edr_ctl_reply__fini(&reply);
	edr_ctl_req__free(req);
}

/* Under srv->lock: the per-uid entry of uid, or a free one (NULL if none). */
static int *held_of(struct edr_ctl_server *srv, uid_t uid, int add)
{
	int i, free_i = -1;

	for (i = 0; i < EDR_CTL_MAX_CLIENTS; i++) {
		if (srv->held[i].n && srv->held[i].uid == uid)
			return &srv->held[i].n;
		if (!srv->held[i].n && free_i < 0)
			free_i = i;
	}
	if (!add || free_i < 0)
		return NULL;
	srv->held[free_i].uid = uid;
	return &srv->held[free_i].n;
}

/* Takes a slot for c, or says why not (0 on success). Root may use every
 * slot; others leave EDR_CTL_ROOT_SLOTS free and hold at most
 * EDR_CTL_MAX_PER_UID each. */
static int take_slot(struct edr_ctl_server *srv, const struct conn *c, char *why, size_t len)
{
	int rc = 0, *n;

	pthread_mutex_lock(&srv->lock);
	srv->st.accepted++;
	if (c->cls == PEER_ROOT) {
		if (srv->active >= EDR_CTL_MAX_CLIENTS) {
			snprintf(why, len, "too many control connections (%d), try again",
				 EDR_CTL_MAX_CLIENTS);
			rc = -EBUSY;
		}
	} else if ((n = held_of(srv, c->uid, 0)) && *n >= EDR_CTL_MAX_PER_UID) {
		snprintf(why, len, "uid %d already holds %d control connections, try again",
			 (int)c->uid, *n);
		srv->st.busy_per_uid++;
		rc = -EBUSY;
	} else if (srv->active_nonroot >= EDR_CTL_MAX_CLIENTS - EDR_CTL_ROOT_SLOTS ||
		   srv->active >= EDR_CTL_MAX_CLIENTS) {
		snprintf(why, len, "all %d control connections open to non-root users are in use, "
			 "try again", EDR_CTL_MAX_CLIENTS - EDR_CTL_ROOT_SLOTS);
		rc = -EBUSY;
	}
	if (rc) {
		srv->st.busy++;
	} else {
		srv->active++;
		if (c->cls != PEER_ROOT) {
			srv->active_nonroot++;
			(*held_of(srv, c->uid, 1))++;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return rc;
}

static void put_slot(struct edr_ctl_server *srv, const struct conn *c)
{
	int *n;

	pthread_mutex_lock(&srv->lock);
	srv->active--;
	if (c->cls != PEER_ROOT) {
		srv->active_nonroot--;
		n = held_of(srv, c->uid, 0);
		if (n)
			(*n)--;
	}
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct edr_ctl_server *srv = c->srv;

	serve(srv, c);
	close(c->fd);
	put_slot(srv, c);
	free(c);
	return NULL;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { EDR_CTL_IO_TIMEOUT_MS / 1000, (EDR_CTL_IO_TIMEOUT_MS % 1000) * 1000 };

	/* A client that stalls mid-request or stops reading cannot hold a
	 * connection slot forever. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void *listen_thread(void *arg)
{
	struct edr_ctl_server *srv = arg;
	struct pollfd pfd[2] = {
		{ .fd = srv->lfd, .events = POLLIN },
		{ .fd = srv->stop_pipe[0], .events = POLLIN },
	};

	for (;;) {
		pthread_attr_t attr;
		char why[128];
		pthread_t t;
		struct conn *c;
		int fd, rc;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		set_timeouts(fd);
		c = calloc(1, sizeof(*c));
		if (!c) {
			send_error(fd, -ENOMEM, "out of memory");
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		/* Who it is decides before it may take a slot. */
		c->cls = peer_class(srv, fd, &c->uid);
		if (c->cls == PEER_NONE) {
			pthread_mutex_lock(&srv->lock);
			srv->st.accepted++;
			srv->st.denied++;
			pthread_mutex_unlock(&srv->lock);
			send_error(fd, -EACCES, "uid %d is neither root nor in the socket's group",
				   (int)c->uid);
			close(fd);
			free(c);
			continue;
		}
		if (take_slot(srv, c, why, sizeof(why))) {
			send_error(fd, -EBUSY, "%s", why);
			close(fd);
			free(c);
			continue;
		}
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &attr, conn_thread, c);
		pthread_attr_destroy(&attr);
		if (rc) {
			send_error(fd, -ENOMEM, "cannot start a connection thread");
			close(fd);
			put_slot(srv, c);
			free(c);
		}
	}
	return NULL;
}

/* Creates the socket's directory or checks the one that is there: ours,
 * a directory, not writable by group or others. With a group, gives it to
 * the group (0750) whatever mode and group it had, so that members can
 * reach the socket. */
static int make_parent(const char *path, gid_t gid, struct edr_ctl_err *err)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	mode_t mode = gid == (gid_t)-1 ? 0700 : 0750;
	struct stat st;
	char *slash;
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		snprintf(dir, sizeof(dir), "/");
	else
		*slash = 0;
	if (mkdir(dir, mode) < 0 && errno != EEXIST) {
		edr_ctl_err__set(err, "%s: cannot create directory: %s", dir, strerror(errno));
		return -errno;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		edr_ctl_err__set(err, "socket directory %s: %s", dir,
				 errno == ELOOP || errno == ENOTDIR ? "not a directory (a symlink?)"
								    : strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		edr_ctl_err__set(err, "socket directory %s: %s", dir, strerror(errno));
	} else if (st.st_uid != geteuid()) {
		rc = -EPERM;
		edr_ctl_err__set(err, "socket directory %s: owned by uid %d, not by the sensor's uid %d",
				 dir, (int)st.st_uid, (int)geteuid());
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = -EPERM;
		edr_ctl_err__set(err, "socket directory %s: writable by %s (mode %04o); the socket could "
				 "be replaced", dir, st.st_mode & S_IWOTH ? "others" : "its group",
				 (unsigned)(st.st_mode & 07777));
	} else if (gid != (gid_t)-1 && ((st.st_gid != gid && fchown(fd, (uid_t)-1, gid) < 0) ||
					((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0))) {
		rc = -errno;
		edr_ctl_err__set(err, "socket directory %s: cannot give it to group %d: %s", dir,
				 (int)gid, strerror(errno));
	}
	close(fd);
	return rc;
}

/* Removes path if it is a socket nobody listens on. */
static int clear_stale(const char *path, struct edr_ctl_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		edr_ctl_err__set(err, "%s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		edr_ctl_err__set(err, "%s: another process is serving this socket", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		edr_ctl_err__set(err, "%s: cannot remove stale socket: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

struct edr_ctl_server *edr_ctl_server__new(const char *path, gid_t ro_gid,
					   struct edr_ctl_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct edr_ctl_server *srv;
	mode_t mode = ro_gid == (gid_t)-1 ? 0600 : 0660;
	int rc;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		edr_ctl_err__set(err, "socket path '%s' is empty or longer than %zu bytes", path ? path : "",
			sizeof(sa.sun_path) - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		edr_ctl_err__set(err, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	srv->lfd = srv->stop_pipe[0] = srv->stop_pipe[1] = -1;
	srv->ro_gid = ro_gid;
	srv->timeout_ms = EDR_CTL_IO_TIMEOUT_MS;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);

	rc = make_parent(path, ro_gid, err);
	if (rc)
		goto fail;
	rc = clear_stale(path, err);
	if (rc) {
		if (!err || !err->msg[0])
			edr_ctl_err__set(err, "%s: %s", path, strerror(-rc));
		goto fail;
	}
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0) {
		rc = -errno;
		edr_ctl_err__set(err, "socket: %s", strerror(errno));
		goto fail;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		edr_ctl_err__set(err, "%s: bind: %s", path, strerror(errno));
		goto fail;
	}
	/* The parent directory is not open to others, so there is no window
	 * in which a wrong mode on the fresh socket matters. */
	if (chmod(path, mode) < 0 ||
	    (ro_gid != (gid_t)-1 && chown(path, (uid_t)-1, ro_gid) < 0)) {
		rc = -errno;
		edr_ctl_err__set(err, "%s: cannot set mode/group: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	if (listen(srv->lfd, 16) < 0 || pipe2(srv->stop_pipe, O_CLOEXEC) < 0) {
		rc = -errno;
		edr_ctl_err__set(err, "%s: listen: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	return srv;
fail:
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->stop_pipe[0] >= 0) {
		close(srv->stop_pipe[0]);
		close(srv->stop_pipe[1]);
	}
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->idle);
	free(srv);
	errno = -rc;
	return NULL;
}

int edr_ctl_server__register(struct edr_ctl_server *srv, const char *verb, int read_only,
			     edr_ctl_handler_fn fn, void *ctx)
{
	size_t i;

	if (!verb || strlen(verb) > EDR_CTL_MAX_VERB || !edr_ctl_key_valid(verb) || !fn)
		return -EINVAL;
	if (srv->started)
		return -EBUSY;
	for (i = 0; i < srv->nverbs; i++)
		if (!strcmp(srv->verbs[i].name, verb))
			return -EEXIST;
	if (srv->nverbs >= EDR_CTL_MAX_VERBS)
		return -E2BIG;
	snprintf(srv->verbs[srv->nverbs].name, sizeof(srv->verbs[0].name), "%s", verb);
	srv->verbs[srv->nverbs].read_only = read_only;
	srv->verbs[srv->nverbs].fn = fn;
	srv->verbs[srv->nverbs].ctx = ctx;
	srv->nverbs++;
	return 0;
}

int edr_ctl_server__start(struct edr_ctl_server *srv)
{
	int rc;

	if (srv->started)
		return -EALREADY;
	rc = pthread_create(&srv->thread, NULL, listen_thread, srv);
	if (rc)
		return -rc;
	srv->started = 1;
	return 0;
}

void edr_ctl_server__stop(struct edr_ctl_server *srv)
{
	if (!srv || !srv->started || srv->stopped)
		return;
	srv->stopped = 1;
	if (write(srv->stop_pipe[1], "x", 1) < 0) {
		/* The pipe is ours and empty; nothing sensible to do. */
	}
	pthread_join(srv->thread, NULL);
	pthread_mutex_lock(&srv->lock);
	while (srv->active > 0)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
}

void edr_ctl_server__free(struct edr_ctl_server *srv)
{
	if (!srv)
		return;
	edr_ctl_server__stop(srv);
	close(srv->lfd);
	close(srv->stop_pipe[0]);
	close(srv->stop_pipe[1]);
	unlink(srv->path);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->idle);
	free(srv);
}

void edr_ctl_server__set_timeout(struct edr_ctl_server *srv, int ms)
{
	srv->timeout_ms = ms > 0 ? ms : EDR_CTL_IO_TIMEOUT_MS;
}

void edr_ctl_server__stats(struct edr_ctl_server *srv, struct edr_ctl_server_stats *st)
{
	pthread_mutex_lock(&srv->lock);
	*st = srv->st;
	pthread_mutex_unlock(&srv->lock);
}
