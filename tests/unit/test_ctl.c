// SPDX-License-Identifier: GPL-2.0-only
/* Control protocol codec, server and client. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/ctl_server.h"

static char tmpdir[64];
static char sockpath[100];

/* ---- codec ---- */

static void test_req_roundtrip(void **state)
{
	struct edr_ctl_req *req = edr_ctl_req__new("load-rules"), *back;
	struct edr_ctl_err err = { "" };
	uint8_t *buf;
	size_t len;

	assert_non_null(req);
	assert_int_equal(edr_ctl_req__add(req, "path", "/tmp/a b.bundle"), 0);
	assert_int_equal(edr_ctl_req__add(req, "shadow", "600"), 0);
	assert_int_equal(edr_ctl_req__encode(req, &buf, &len), 0);
	back = edr_ctl_req__decode(buf + 4, len - 4, &err);
	assert_non_null(back);
	assert_string_equal(back->verb, "load-rules");
	assert_int_equal(back->nargs, 2);
	assert_string_equal(edr_ctl_req__get(back, "path"), "/tmp/a b.bundle");
	assert_string_equal(edr_ctl_req__get(back, "shadow"), "600");
	assert_null(edr_ctl_req__get(back, "force"));
	/* Every strict prefix is truncated and must be refused. */
	for (size_t n = 0; n < len - 4; n++) {
		struct edr_ctl_req *r = edr_ctl_req__decode(buf + 4, n, &err);
		assert_null(r);
	}
	free(buf);
	edr_ctl_req__free(back);
	edr_ctl_req__free(req);
}

static void test_req_limits(void **state)
{
	struct edr_ctl_req *req = edr_ctl_req__new("x");
	char big[EDR_CTL_MAX_VAL + 2];
	int i;

	assert_null(edr_ctl_req__new("Bad Verb"));
	assert_null(edr_ctl_req__new(""));
	assert_int_equal(edr_ctl_req__add(req, "BAD", "v"), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(edr_ctl_req__add(req, "k", big), -EINVAL);
	for (i = 0; i < EDR_CTL_MAX_ARGS; i++)
		assert_int_equal(edr_ctl_req__add(req, "k", "v"), 0);
	assert_int_equal(edr_ctl_req__add(req, "k", "v"), -E2BIG);
	edr_ctl_req__free(req);
	edr_ctl_req__free(NULL);
}

static void expect_bad_req(const uint8_t *p, size_t n, const char *why)
{
	struct edr_ctl_err err = { "" };
	struct edr_ctl_req *r = edr_ctl_req__decode(p, n, &err);

	assert_null(r);
	if (!strstr(err.msg, why))
		fail_msg("expected '%s' in '%s'", why, err.msg);
}

static void test_req_malformed(void **state)
{
	const uint8_t ok[] = { 'Q', 1, 1, 0, 'x', 0, 0 };
	const uint8_t trailing[] = { 'Q', 1, 1, 0, 'x', 0, 0, 9 };
	const uint8_t badtype[] = { 'R', 1, 1, 0, 'x', 0, 0 };
	const uint8_t badver[] = { 'Q', 2, 1, 0, 'x', 0, 0 };
	const uint8_t longverb[] = { 'Q', 1, 200, 0, 'x' };
	const uint8_t manyargs[] = { 'Q', 1, 1, 0, 'x', 33, 0 };
	const uint8_t nulval[] = { 'Q', 1, 1, 0, 'x', 1, 0, 1, 0, 'k', 2, 0, 'a', 0 };
	const uint8_t badkey[] = { 'Q', 1, 1, 0, 'x', 1, 0, 1, 0, 'K', 0, 0 };
	const uint8_t bigval[] = { 'Q', 1, 1, 0, 'x', 1, 0, 1, 0, 'k', 0xff, 0xff };
	struct edr_ctl_err err;
	struct edr_ctl_req *r = edr_ctl_req__decode(ok, sizeof(ok), &err);

	assert_non_null(r);
	edr_ctl_req__free(r);
	expect_bad_req(trailing, sizeof(trailing), "trailing");
	expect_bad_req(badtype, sizeof(badtype), "not a request");
	expect_bad_req(badver, sizeof(badver), "version 2");
	expect_bad_req(longverb, sizeof(longverb), "verb too long");
	expect_bad_req(manyargs, sizeof(manyargs), "33 arguments");
	expect_bad_req(nulval, sizeof(nulval), "NUL");
	expect_bad_req(badkey, sizeof(badkey), "invalid characters");
	expect_bad_req(bigval, sizeof(bigval), "too long");
	expect_bad_req(ok, EDR_CTL_MAX_REQ + 1, "exceeds");
}

static void test_reply_roundtrip_and_render(void **state)
{
	struct edr_ctl_reply r, back;
	struct edr_ctl_err err = { "" };
	uint8_t *buf;
	size_t len;
	char kind, *out = NULL;
	size_t outlen = 0;
	FILE *f;

	edr_ctl_reply__init(&r);
	edr_ctl_reply__init(&back);
	assert_int_equal(edr_ctl_reply__add_str(&r, "active.source", "a\"b\n"), 0);
	assert_int_equal(edr_ctl_reply__add_int(&r, "active.rules", -42), 0);
	assert_int_equal(edr_ctl_reply__add_int(&r, "BAD KEY", 1), -ENOMEM);
	r.oom = 0; /* the bad key above is exercised; keep the reply usable */
	edr_ctl_reply__set(&r, -EINVAL, "line one\nline two");
	assert_string_equal(r.msg, "line one line two");
	assert_int_equal(edr_ctl_reply__encode(&r, 'R', &buf, &len), 0);
	assert_int_equal(edr_ctl_reply__decode(&back, &kind, buf + 4, len - 4, &err), 0);
	assert_int_equal(kind, 'R');
	assert_int_equal(back.status, -EINVAL);
	assert_int_equal(back.nitems, 2);
	assert_string_equal(edr_ctl_reply__find(&back, "active.source")->s, "a\"b\n");
	assert_int_equal(edr_ctl_reply__find(&back, "active.rules")->n, -42);
	for (size_t n = 0; n < len - 4; n++)
		assert_int_equal(edr_ctl_reply__decode(&back, &kind, buf + 4, n, &err), -EBADMSG);
	free(buf);

	f = open_memstream(&out, &outlen);
	edr_ctl_reply__print_json(&r, f);
	fclose(f);
	assert_string_equal(out, "{\"status\":-22,\"message\":\"line one line two\",\"items\":"
				 "{\"active.source\":\"a\\\"b\\n\",\"active.rules\":-42}}\n");
	free(out);
	f = open_memstream(&out, &outlen);
	edr_ctl_reply__print_table(&r, f);
	fclose(f);
	assert_string_equal(out, "active.source  a\"b\n\nactive.rules   -42\n");
	free(out);
	edr_ctl_reply__fini(&r);
	edr_ctl_reply__fini(&back);
}

/* ---- server ---- */

static int h_echo(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	size_t i;

	(*(int *)ctx)++;
	for (i = 0; i < req->nargs; i++)
		edr_ctl_reply__add_str(reply, req->args[i].key, req->args[i].val);
	edr_ctl_reply__add_int(reply, "nargs", (int64_t)req->nargs);
	return 0;
}

static int h_stages(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	edr_ctl_reply__progress(reply, "stage one");
	edr_ctl_reply__progress(reply, "stage two");
	return -ENOENT; /* no message: the server fills strerror */
}

static int h_fail(const struct edr_ctl_req *req, struct edr_ctl_reply *reply, void *ctx)
{
	return edr_ctl_reply__set(reply, -EINVAL, "rejected at validate: x.yml:1:1: nope");
}

struct prog {
	int n;
	char last[64];
};

static int on_progress(const char *msg, void *ctx)
{
	struct prog *p = ctx;

	p->n++;
	snprintf(p->last, sizeof(p->last), "%s", msg);
	return 0;
}

static struct edr_ctl_server *start_server(gid_t gid, int *calls)
{
	struct edr_ctl_err err = { "" };
	struct edr_ctl_server *srv = edr_ctl_server__new(sockpath, gid, &err);

	if (!srv)
		fail_msg("server: %s", err.msg);
	assert_int_equal(edr_ctl_server__register(srv, "echo", 1, h_echo, calls), 0);
	assert_int_equal(edr_ctl_server__register(srv, "echo", 1, h_echo, calls), -EEXIST);
	assert_int_equal(edr_ctl_server__register(srv, "stages", 0, h_stages, NULL), 0);
	assert_int_equal(edr_ctl_server__register(srv, "fail", 0, h_fail, NULL), 0);
	assert_int_equal(edr_ctl_server__start(srv), 0);
	return srv;
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends raw bytes and returns the final reply's status and message. */
static int raw_call(const void *data, size_t len, char *msg, size_t msglen)
{
	struct edr_ctl_reply r;
	struct edr_ctl_err err;
	uint8_t *buf;
	size_t n;
	char kind;
	int fd = raw_connect(), st;

	edr_ctl_write_all(fd, data, len);
	assert_int_equal(edr_ctl_read_frame(fd, EDR_CTL_MAX_REPLY, &buf, &n), 0);
	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ctl_reply__decode(&r, &kind, buf, n, &err), 0);
	assert_int_equal(kind, 'R');
	st = r.status;
	snprintf(msg, msglen, "%s", r.msg);
	/* The server closes after an error reply. */
	assert_int_equal(read(fd, buf, 1), 0);
	free(buf);
	edr_ctl_reply__fini(&r);
	close(fd);
	return st;
}

static void call_ok(int *calls)
{
	struct edr_ctl_req *req = edr_ctl_req__new("echo");
	struct edr_ctl_reply r;
	struct edr_ctl_err err = { "" };

	edr_ctl_reply__init(&r);
	edr_ctl_req__add(req, "a", "1");
	assert_int_equal(edr_ctl_call(sockpath, req, &r, &err), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(edr_ctl_reply__find(&r, "a")->s, "1");
	assert_int_equal(edr_ctl_reply__find(&r, "nargs")->n, 1);
	edr_ctl_reply__fini(&r);
	edr_ctl_req__free(req);
}

static void test_server_basic(void **state)
{
	struct edr_ctl_server_stats st;
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply r;
	struct edr_ctl_req *req;
	struct prog p = { 0 };
	int calls = 0;
	struct stat sb;
	char msg[EDR_CTL_MAX_MSG], dir[160];
	struct edr_ctl_server *srv = start_server((gid_t)-1, &calls), *two;

	assert_int_equal(stat(sockpath, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);

	/* A second server on a live socket refuses to steal it. */
	two = edr_ctl_server__new(sockpath, (gid_t)-1, &err);
	assert_null(two);
	assert_int_equal(errno, EADDRINUSE);

	call_ok(&calls);

	/* Progress frames arrive before the final reply; empty message filled. */
	edr_ctl_reply__init(&r);
	req = edr_ctl_req__new("stages");
	assert_int_equal(edr_ctl_call_progress(sockpath, req, &r, on_progress, &p, &err), 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.last, "stage two");
	assert_int_equal(r.status, -ENOENT);
	assert_non_null(strstr(r.msg, "No such file"));
	edr_ctl_req__free(req);

	req = edr_ctl_req__new("fail");
	assert_int_equal(edr_ctl_call(sockpath, req, &r, &err), 0);
	assert_int_equal(r.status, -EINVAL);
	assert_string_equal(r.msg, "rejected at validate: x.yml:1:1: nope");
	edr_ctl_req__free(req);

	req = edr_ctl_req__new("nosuchverb");
	assert_int_equal(edr_ctl_call(sockpath, req, &r, &err), 0);
	assert_int_equal(r.status, -EOPNOTSUPP);
	edr_ctl_req__free(req);
	edr_ctl_reply__fini(&r);

	/* Garbage, an oversized frame, a truncated frame: error reply, and the
	 * server keeps serving. */
	{
		const uint8_t garbage[] = { 3, 0, 0, 0, 'Z', 'Z', 'Z' };
		const uint8_t huge[] = { 0xff, 0xff, 0xff, 0x7f };
		const uint8_t trunc[] = { 10, 0, 0, 0, 'Q', 1 };
		int fd;

		assert_int_equal(raw_call(garbage, sizeof(garbage), msg, sizeof(msg)), -EBADMSG);
		assert_non_null(strstr(msg, "malformed request"));
		assert_int_equal(raw_call(huge, sizeof(huge), msg, sizeof(msg)), -EMSGSIZE);
		fd = raw_connect();
		edr_ctl_write_all(fd, trunc, sizeof(trunc));
		shutdown(fd, SHUT_WR); /* EOF mid-frame */
		{
			uint8_t *buf;
			size_t n;
			assert_int_equal(edr_ctl_read_frame(fd, EDR_CTL_MAX_REPLY, &buf, &n), 0);
			free(buf);
		}
		close(fd);
	}
	call_ok(&calls);
	assert_int_equal(calls, 2);
	edr_ctl_server__stats(srv, &st);
	assert_int_equal(st.malformed, 3);
	edr_ctl_server__free(srv);
	/* The socket is removed on free, and a stale one is replaced. */
	assert_int_equal(access(sockpath, F_OK), -1);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(fd); /* stale: bound, nobody listening */
	}
	srv = start_server((gid_t)-1, &calls);
	call_ok(&calls);
	edr_ctl_server__free(srv);
}

/* A client trickling a request byte by byte is cut off at the deadline. */
static void test_server_slow_client(void **state)
{
	const uint8_t req[] = { 7, 0, 0, 0, 'Q', 1, 1, 0, 'x', 0, 0 };
	struct edr_ctl_reply r;
	struct edr_ctl_err err;
	int calls = 0, fd;
	size_t i, n;
	uint8_t *buf;
	char kind;
	struct edr_ctl_server *srv = start_server((gid_t)-1, &calls);

	edr_ctl_server__stop(srv);
	edr_ctl_server__free(srv);
	srv = edr_ctl_server__new(sockpath, (gid_t)-1, &err);
	assert_non_null(srv);
	edr_ctl_server__set_timeout(srv, 300);
	assert_int_equal(edr_ctl_server__register(srv, "x", 1, h_echo, &calls), 0);
	assert_int_equal(edr_ctl_server__start(srv), 0);
	fd = raw_connect();
	for (i = 0; i < 4; i++) {
		edr_ctl_write_all(fd, req + i, 1);
		usleep(100000);
	}
	assert_int_equal(edr_ctl_read_frame(fd, EDR_CTL_MAX_REPLY, &buf, &n), 0);
	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ctl_reply__decode(&r, &kind, buf, n, &err), 0);
	assert_int_equal(r.status, -EBADMSG);
	assert_non_null(strstr(r.msg, "not complete within the time limit"));
	free(buf);
	close(fd);
	/* A prompt client is served. */
	fd = raw_connect();
	edr_ctl_write_all(fd, req, sizeof(req));
	assert_int_equal(edr_ctl_read_frame(fd, EDR_CTL_MAX_REPLY, &buf, &n), 0);
	assert_int_equal(edr_ctl_reply__decode(&r, &kind, buf, n, &err), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(calls, 1);
	free(buf);
	close(fd);
	edr_ctl_reply__fini(&r);
	edr_ctl_server__free(srv);
}

static void test_server_no_server(void **state)
{
	struct edr_ctl_req *req = edr_ctl_req__new("echo");
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply r;

	edr_ctl_reply__init(&r);
	assert_int_equal(edr_ctl_call(sockpath, req, &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "is edr-sensor running?"));
	edr_ctl_req__free(req);
}

/* A forked child cannot free the server (its thread is not there): this
 * keeps it reachable for valgrind's leak check at the child's _exit. */
static struct edr_ctl_server *volatile child_srv;

/* A non-root member of the read-only group may call read-only verbs only. */
static void test_server_peer_creds(void **state)
{
	const gid_t nogroup = 65534;
	struct stat sb;
	int calls = 0, status;
	struct edr_ctl_server *srv;
	pid_t pid;

	char dir[160];

	if (geteuid() != 0) {
		skip();
		return;
	}
	/* The group and mode are set only on a directory the server creates. */
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	rmdir(dir);
	srv = start_server(nogroup, &calls);
	assert_int_equal(stat(sockpath, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0660);
	assert_int_equal(sb.st_gid, nogroup);
	pid = fork();
	if (pid == 0) {
		struct edr_ctl_req *ro = edr_ctl_req__new("echo"), *rw = edr_ctl_req__new("fail");
		struct edr_ctl_err err;
		struct edr_ctl_reply r;

		child_srv = srv;
		if (setgroups(0, NULL) || setgid(nogroup) || setuid(65534))
			_exit(10);
		edr_ctl_reply__init(&r);
		if (edr_ctl_call(sockpath, ro, &r, &err) || r.status != 0)
			_exit(11);
		if (edr_ctl_call(sockpath, rw, &r, &err) || r.status != -EACCES ||
		    !strstr(r.msg, "needs root"))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(calls, 1);
	edr_ctl_server__free(srv);

	/* Without a group, a non-root peer cannot even connect. */
	srv = start_server((gid_t)-1, &calls);
	pid = fork();
	if (pid == 0) {
		struct edr_ctl_req *ro = edr_ctl_req__new("echo");
		struct edr_ctl_err err;
		struct edr_ctl_reply r;

		child_srv = srv;
		if (setgroups(0, NULL) || setgid(nogroup) || setuid(65534))
			_exit(10);
		edr_ctl_reply__init(&r);
		_exit(edr_ctl_call(sockpath, ro, &r, &err) == -EACCES ? 0 : 13);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	edr_ctl_server__free(srv);
}

/* In a child running as uid (group nogroup): opens n connections and keeps
 * them; writes per connection 'h' (held: no reply yet) or 'b' (refused busy)
 * to out, then waits for release to close. */
static pid_t hold_as(uid_t uid, int n, int out, const int release[2])
{
	pid_t pid = fork();
	int i, fds[8];

	if (pid != 0)
		return pid;
	close(release[1]);
	if (setgroups(0, NULL) || setgid(65534) || setuid(uid))
		_exit(10);
	for (i = 0; i < n && i < 8; i++) {
		struct pollfd p;
		char c = 'h';

		fds[i] = raw_connect();
		p = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(&p, 1, 500) == 1) {
			struct edr_ctl_reply r;
			struct edr_ctl_err err;
			uint8_t *buf;
			size_t len;
			char kind;

			edr_ctl_reply__init(&r);
			c = '?';
			if (!edr_ctl_read_frame(fds[i], EDR_CTL_MAX_REPLY, &buf, &len) &&
			    !edr_ctl_reply__decode(&r, &kind, buf, len, &err) && r.status == -EBUSY)
				c = strstr(r.msg, "already holds") ? 'u' : 'b';
			edr_ctl_reply__fini(&r);
		}
		if (write(out, &c, 1) != 1)
			_exit(11);
	}
	if (read(release[0], &i, 1) < 0)
		_exit(12);
	_exit(0);
}

/* Group members holding connections open cannot take root's slots, and one
 * uid cannot take more than its share. */
static void test_server_slots(void **state)
{
	const uid_t uids[] = { 65534, 65533, 65532, 65531 };
	const int want_n[] = { 3, 2, 2, 1 };
	const char *want[] = { "hhu", "hh", "hh", "b" };
	struct edr_ctl_server_stats st;
	int calls = 0, out[2], rel[2], i, status;
	struct edr_ctl_server *srv;
	pid_t pids[4];
	char got[8];

	if (geteuid() != 0) {
		skip();
		return;
	}
	srv = start_server(65534, &calls);
	edr_ctl_server__set_timeout(srv, 20000);
	child_srv = srv;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(rel), 0);
	for (i = 0; i < 4; i++) {
		size_t k;

		pids[i] = hold_as(uids[i], want_n[i], out[1], rel);
		assert_true(pids[i] > 0);
		for (k = 0; k < (size_t)want_n[i]; k++)
			assert_int_equal(read(out[0], &got[k], 1), 1);
		got[want_n[i]] = 0;
		assert_string_equal(got, want[i]);
	}
	/* Six connections held by others: root is still served, twice at once. */
	{
		int a = raw_connect();

		call_ok(&calls);
		close(a);
	}
	edr_ctl_server__stats(srv, &st);
	assert_int_equal(st.busy, 2);
	assert_int_equal(st.busy_per_uid, 1);
	close(rel[1]);
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	close(rel[0]);
	close(out[0]);
	close(out[1]);
	edr_ctl_server__free(srv);
}

/* The socket's directory: refused when others could swap the socket, given
 * to the group whatever mode it was left with. */
static void test_server_socket_dir(void **state)
{
	struct edr_ctl_err err = { "" };
	struct edr_ctl_server *srv;
	char dir[160], link[200];
	struct stat sb;

	if (geteuid() != 0) {
		skip();
		return;
	}
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	mkdir(dir, 0700);
	assert_int_equal(chmod(dir, 0777), 0);
	srv = edr_ctl_server__new(sockpath, (gid_t)-1, &err);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "writable by others (mode 0777)"));
	assert_int_equal(chmod(dir, 0770), 0);
	srv = edr_ctl_server__new(sockpath, 65534, &err);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "writable by its group"));
	assert_int_equal(chown(dir, 65534, 0), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	srv = edr_ctl_server__new(sockpath, (gid_t)-1, &err);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "owned by uid 65534"));
	/* Left 0700 with another group by an earlier run without socket_group. */
	assert_int_equal(chown(dir, 0, 0), 0);
	srv = edr_ctl_server__new(sockpath, 65534, &err);
	if (!srv)
		fail_msg("%s", err.msg);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0750);
	assert_int_equal(sb.st_gid, 65534);
	edr_ctl_server__free(srv);
	/* A symlink in place of the directory. */
	assert_int_equal(rmdir(dir), 0);
	snprintf(link, sizeof(link), "%s/elsewhere", tmpdir);
	assert_int_equal(mkdir(link, 0700), 0);
	assert_int_equal(symlink(link, dir), 0);
	srv = edr_ctl_server__new(sockpath, (gid_t)-1, &err);
	assert_null(srv);
	assert_non_null(strstr(err.msg, "not a directory (a symlink?)"));
	assert_int_equal(unlink(dir), 0);
	assert_int_equal(rmdir(link), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_ctl.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* Others must be able to traverse to the socket dir for the creds test. */
	chmod(tmpdir, 0755);
	snprintf(sockpath, sizeof(sockpath), "%s/run/edr.sock", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_roundtrip),
		cmocka_unit_test(test_req_limits),
		cmocka_unit_test(test_req_malformed),
		cmocka_unit_test(test_reply_roundtrip_and_render),
		cmocka_unit_test(test_server_basic),
		cmocka_unit_test(test_server_slow_client),
		cmocka_unit_test(test_server_no_server),
		cmocka_unit_test(test_server_peer_creds),
		cmocka_unit_test(test_server_slots),
		cmocka_unit_test(test_server_socket_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
