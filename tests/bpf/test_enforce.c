// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel enforcement on the real kernel (loader/enforce.h): kill-at-exec and
 * the LSM exec deny, the kill switch, the change stamp, fail open when the
 * loader goes; net deny on the cgroup sock_addr programs and the LSM socket
 * hooks; the generation flip; the LSM file_open write deny; host isolation
 * on a cgroup of the test's own, checked through a veth pair into a network
 * namespace the test makes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/enforce.h"
#include "tests/bpf/harness.h"

#define EDR_REC_DENY(d) (&((const struct edr_exec_denied *)(d)->rec)->deny)

/* Starts everything, with exec_enforce, net_enforce and file_enforce
 * forced onto the paths given (NULL: automatic). -ENOTSUP with *why when
 * the kernel lacks one. */
static int start(struct harness *h, const char *epath, const char *npath, const char *fpath, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = getpid(), .log = h_log };
	const char *const paths[] = { epath, npath, fpath };
	const char *const feats[] = { "exec_enforce", "net_enforce", "file_enforce" };
	const struct edr_feature_status *st;
	int i, f, e;

	memset(h, 0, sizeof(*h));
	h->probe = *h_probe();
	for (i = 0; i < 3; i++) {
		if (!paths[i])
			continue;
		if ((*why = h_path_missing(&h->probe, paths[i])))
			return -ENOTSUP;
		opts.force[h_feature(feats[i])] = paths[i];
	}
	if ((e = h_open(h, &opts)))
		return e;
	st = edr_loader__status(h->loader);
	for (i = 0; i < 3; i++) {
		f = h_feature(feats[i]);
		if (paths[i] && (st[f].chosen < 0 || strcmp(st[f].paths[st[f].chosen], paths[i]))) {
			fprintf(stderr, "loader: %s not on %s: %s\n", feats[i], paths[i], st[f].why[0]);
			return -EIO;
		}
	}
	return 0;
}

/* ---- exec ---- */

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	close(in);
	close(out);
}

/* Runs path; returns the wait status. */
static int run(const char *path)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		execl(path, path, "edr-test-arg", (char *)NULL);
		_exit(errno == EPERM ? 125 : 126);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Runs path, returning its pid in *pid and the wait status. */
static int run_pid(const char *path, pid_t *pid)
{
	int status;

	*pid = fork();
	assert_true(*pid >= 0);
	if (!*pid) {
		execl(path, path, "edr-test-arg", (char *)NULL);
		_exit(errno == EPERM ? 125 : 126);
	}
	assert_int_equal(waitpid(*pid, &status, 0), *pid);
	return status;
}

static void apply_exec(struct harness *h, const char *path, uint32_t rule)
{
	struct edr_policy_exec e;
	struct edr_policy p = { .exec = &e, .nexec = 1 };
	char err[256] = "";

	assert_int_equal(edr_enforce__exec_identity(path, rule, &e, err, sizeof(err)), 0);
	assert_int_equal(edr_enforce__apply(h->loader, &p, err, sizeof(err)), 0);
}

/*
 * state: "kill" or "lsm". A denied exec is killed by SIGKILL before it runs
 * (kill) or fails with EPERM (lsm), with a denial record naming the rule;
 * the kill switch lets it run; a rewritten file (new ctime) is not matched;
 * once the loader is freed, nothing refuses.
 */
static void test_exec_deny(void **state)
{
	const char *path = *state;
	int kill = strcmp(path, "lsm") != 0;
	char dir[] = "/tmp/edr-enf-XXXXXX", bin[PATH_MAX], real[PATH_MAX];
	const struct edr_decoded *d;
	struct edr_enforce_caps caps;
	struct harness h;
	pid_t pid;
	int st;

	H_START(path, start(&h, path, NULL, NULL, &why_));
	h_report(&h, kill ? "exec_deny/kill" : "exec_deny/lsm");
	edr_enforce__caps(h.loader, &caps);
	assert_int_equal(kill ? caps.exec_kill : caps.exec_lsm, 1);
	assert_int_equal(edr_enforce__exec_mode(h.loader), kill ? EDR_EXEC_MODE_KILL : EDR_EXEC_MODE_LSM);
	assert_non_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/true", dir);
	copy_file("/bin/true", bin);
	assert_int_equal(WEXITSTATUS(run(bin)), 0);

	apply_exec(&h, bin, 4242);
	st = run_pid(bin, &pid);
	if (kill) {
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
	} else {
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 125); /* EPERM */
	}
	h_poll(&h, 3000, h_have, &(struct h_want){ EDR_EVENT_EXEC_DENIED, pid });
	d = h_find(&h, EDR_EVENT_EXEC_DENIED, pid);
	assert_non_null(d);
	assert_int_equal(EDR_REC_DENY(d)->rule, 4242);
	assert_int_equal(EDR_REC_DENY(d)->mechanism, kill ? EDR_MECH_KILL_AT_EXEC : EDR_MECH_LSM);
	assert_int_equal(EDR_REC_DENY(d)->op, EDR_DENY_OP_EXEC);
	assert_int_equal(d->hdr->flags & EDR_HDR_SRC_MASK, h_path_src(path));
	assert_non_null(realpath(bin, real));
	assert_string_equal(d->path.p, real);
	if (kill)
		assert_non_null(d->argv.p); /* the new image's argv */
	/* The killed exec is not reported as a successful one. */
	assert_null(h_find(&h, EDR_EVENT_EXEC, pid));

	/* The kill switch: one map write, and the exec runs. */
	assert_int_equal(edr_enforce__set_enabled(h.loader, 0), 0);
	assert_int_equal(edr_enforce__enabled(h.loader), 0);
	st = run(bin);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(edr_enforce__set_enabled(h.loader, 1), 0);
	st = run(bin);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* Rewritten: a new change time, no longer the file the policy named. */
	usleep(20000);
	copy_file("/bin/true", bin);
	st = run(bin);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* Fail open: denied again, then the loader goes and the exec runs. */
	apply_exec(&h, bin, 4243);
	st = run(bin);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	h_stop(&h);
	st = run(bin);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink(bin);
	rmdir(dir);
}

/* ---- net ---- */

/* connect() from a fresh socket: 0 or -errno. Non-blocking with a short
 * wait, so a dropped SYN reads as -ETIMEDOUT. */
static int try_connect(int fam, const void *addr, uint16_t port, int type, int timeout_ms)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd = socket(fam, type | SOCK_NONBLOCK, 0), r, err = 0;
	struct pollfd p;

	assert_true(fd >= 0);
	if (fam == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, addr, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, addr, 16);
		len = sizeof(*s);
	}
	r = connect(fd, (void *)&ss, len);
	if (r && errno == EINPROGRESS) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, timeout_ms) <= 0) {
			err = -ETIMEDOUT;
		} else {
			socklen_t el = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
			err = -err;
		}
	} else if (r) {
		err = -errno;
	}
	close(fd);
	return err;
}

static int try_sendto4(const char *ip, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	assert_true(fd >= 0);
	inet_pton(AF_INET, ip, &s.sin_addr);
	r = sendto(fd, "x", 1, 0, (void *)&s, sizeof(s)) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

/* A TCP listener on ip (any port); returns the fd, port in *port. */
static int listener(int fam, const char *ip, uint16_t *port)
{
	struct sockaddr_storage ss = {};
	socklen_t len = sizeof(ss);
	int fd = socket(fam, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr);
		((struct sockaddr_in *)&ss)->sin_port = htons(*port);
		assert_int_equal(bind(fd, (void *)&ss, sizeof(struct sockaddr_in)), 0);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr);
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(*port);
		assert_int_equal(bind(fd, (void *)&ss, sizeof(struct sockaddr_in6)), 0);
	}
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (void *)&ss, &len), 0);
	*port = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
			      ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static struct edr_policy_net net_entry(int fam, const char *ip, unsigned prefix, uint16_t port, uint32_t rule)
{
	struct edr_policy_net n = { .family = fam == AF_INET ? 4 : 6, .prefix = prefix, .port = port, .rule = rule };

	assert_int_equal(inet_pton(fam, ip, n.addr), 1);
	return n;
}

/* The NET_DENIED record of this process with rule, or fail. */
static const struct edr_net_denied *net_denial(struct harness *h, uint32_t rule, uint16_t op)
{
	const struct edr_decoded *all[256];
	size_t i, n;

	h_poll(h, 300, NULL, NULL);
	n = h_collect(h, EDR_EVENT_NET_DENIED, getpid(), all, 256);
	for (i = 0; i < n; i++) {
		const struct edr_net_denied *r = (const void *)all[i]->rec;

		if (r->deny.rule == rule && r->deny.op == op)
			return r;
	}
	fail_msg("no NET_DENIED record for rule %u op %u (%zu denials seen)", rule, op, n);
	return NULL;
}

/*
 * state: "cgroup" or "lsm". connect4/6 and sendmsg4 to a listed
 * destination fail with EPERM, with records naming the rule and the
 * mechanism; the allowed loopback server still answers; a loopback
 * destination under a wider entry is not refused.
 */
static void test_net_deny(void **state)
{
	const char *path = *state;
	uint32_t mech = strcmp(path, "lsm") ? EDR_MECH_CGROUP : EDR_MECH_LSM;
	struct edr_policy_net nets[5];
	struct edr_policy p = { .net = nets, .nnet = 5 };
	const struct edr_net_denied *r;
	uint8_t a4[4], a6[16];
	char err[256] = "";
	struct harness h;
	uint16_t port = 0;
	int lfd;

	H_START(path, start(&h, NULL, path, NULL, &why_));
	h_report(&h, "net_deny");
	lfd = listener(AF_INET, "127.0.0.1", &port);
	nets[0] = net_entry(AF_INET, "127.0.0.191", 32, 4491, 11);
	nets[1] = net_entry(AF_INET6, "2001:db8::77", 128, 4491, 12);
	nets[2] = net_entry(AF_INET6, "2001:db8:1::", 64, 0, 13);
	nets[3] = net_entry(AF_INET, "127.0.0.0", 8, 0, 14); /* loopback: never by a wider entry */
	nets[4] = net_entry(AF_INET, "198.51.100.0", 24, 0, 15);
	assert_int_equal(edr_enforce__apply(h.loader, &p, err, sizeof(err)), 0);

	inet_pton(AF_INET, "127.0.0.191", a4);
	assert_int_equal(try_connect(AF_INET, a4, 4491, SOCK_STREAM, 1000), -EPERM);
	r = net_denial(&h, 11, EDR_DENY_OP_CONNECT);
	assert_int_equal(r->deny.mechanism, mech);
	assert_int_equal(r->net.dport, 4491);
	assert_memory_equal(r->net.daddr, a4, 4);
	assert_int_equal(r->net.ret, -EPERM);
	assert_int_equal(r->net.hdr.flags & EDR_HDR_SRC_MASK, mech == EDR_MECH_LSM ? EDR_SRC_LSM : EDR_SRC_CGROUP);
	/* Another port of the same address is not listed. */
	assert_int_equal(try_connect(AF_INET, a4, 4492, SOCK_STREAM, 1000), -ECONNREFUSED);
	/* The allowed server, under the wider 127/8 entry, answers. */
	inet_pton(AF_INET, "127.0.0.1", a4);
	assert_int_equal(try_connect(AF_INET, a4, port, SOCK_STREAM, 1000), 0);
	/* IPv6: exact address and port; a /64 for every port; v4-mapped. */
	inet_pton(AF_INET6, "2001:db8::77", a6);
	assert_int_equal(try_connect(AF_INET6, a6, 4491, SOCK_STREAM, 1000), -EPERM);
	r = net_denial(&h, 12, EDR_DENY_OP_CONNECT);
	assert_int_equal(r->net.family, AF_INET6);
	assert_memory_equal(r->net.daddr, a6, 16);
	inet_pton(AF_INET6, "2001:db8:1::5", a6);
	assert_int_equal(try_connect(AF_INET6, a6, 80, SOCK_STREAM, 1000), -EPERM);
	net_denial(&h, 13, EDR_DENY_OP_CONNECT);
	inet_pton(AF_INET6, "::ffff:127.0.0.191", a6);
	assert_int_equal(try_connect(AF_INET6, a6, 4491, SOCK_STREAM, 1000), -EPERM);
	/* UDP: sendmsg4. */
	assert_int_equal(try_sendto4("198.51.100.9", 53), -EPERM);
	r = net_denial(&h, 15, EDR_DENY_OP_SENDMSG);
	assert_int_equal(r->net.protocol, IPPROTO_UDP);
	assert_int_equal(try_sendto4("127.0.0.1", port), 0);

	/* Off: the same connect is no longer refused (nothing listens: refused by TCP). */
	assert_int_equal(edr_enforce__set_enabled(h.loader, 0), 0);
	inet_pton(AF_INET, "127.0.0.191", a4);
	assert_int_equal(try_connect(AF_INET, a4, 4491, SOCK_STREAM, 1000), -ECONNREFUSED);
	assert_int_equal(edr_enforce__set_enabled(h.loader, 1), 0);
	close(lfd);
	h_stop(&h);
	/* Fail open: no program is left on the cgroup. */
	assert_int_equal(try_connect(AF_INET, a4, 4491, SOCK_STREAM, 1000), -ECONNREFUSED);
}

/* Entries of map name whose key holds generation gen at gen_off. */
static int count_gen(struct harness *h, const char *name, size_t ksz, size_t gen_off, uint32_t gen)
{
	uint8_t k[64], next[64];
	void *prev = NULL;
	int fd = edr_loader__map_fd(h->loader, name), n = 0;
	uint32_t g;

	assert_true(fd >= 0);
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(&g, next + gen_off, 4);
		n += g == gen;
		memcpy(k, next, ksz);
		prev = k;
	}
	return n;
}

/* Policy A then B: A's entries are gone, B's are in force, one generation
 * at a time. */
static void test_generation_flip(void **state)
{
	struct edr_policy_net a = net_entry(AF_INET, "127.0.0.191", 32, 4491, 1);
	struct edr_policy_net b[2] = { net_entry(AF_INET, "127.0.0.192", 32, 4491, 2),
				       net_entry(AF_INET, "127.0.0.193", 32, 0, 3) };
	struct edr_policy pa = { .net = &a, .nnet = 1 }, pb = { .net = b, .nnet = 2 };
	uint8_t x[4];
	char err[256] = "";
	struct harness h;

	(void)state;
	H_START("cgroup", start(&h, NULL, NULL, NULL, &why_));
	if (!edr_loader__status(h.loader)[h_feature("net_enforce")].state ||
	    edr_loader__status(h.loader)[h_feature("net_enforce")].chosen < 0) {
		printf("# generation_flip skipped: no net_enforce path\n");
		h_stop(&h);
		skip();
	}
	assert_int_equal(edr_enforce__apply(h.loader, &pa, err, sizeof(err)), 0);
	inet_pton(AF_INET, "127.0.0.191", x);
	assert_int_equal(try_connect(AF_INET, x, 4491, SOCK_STREAM, 1000), -EPERM);
	assert_int_equal(count_gen(&h, "deny_net4", sizeof(struct edr_net4_key), 4, 1), 1);
	assert_int_equal(count_gen(&h, "deny_net4", sizeof(struct edr_net4_key), 4, 0), 0);
	assert_int_equal(edr_enforce__apply(h.loader, &pb, err, sizeof(err)), 0);
	assert_int_equal(count_gen(&h, "deny_net4", sizeof(struct edr_net4_key), 4, 0), 2);
	assert_int_equal(count_gen(&h, "deny_net4", sizeof(struct edr_net4_key), 4, 1), 0);
	assert_int_equal(try_connect(AF_INET, x, 4491, SOCK_STREAM, 1000), -ECONNREFUSED);
	inet_pton(AF_INET, "127.0.0.192", x);
	assert_int_equal(try_connect(AF_INET, x, 4491, SOCK_STREAM, 1000), -EPERM);
	net_denial(&h, 2, EDR_DENY_OP_CONNECT);
	inet_pton(AF_INET, "127.0.0.193", x);
	assert_int_equal(try_connect(AF_INET, x, 9, SOCK_STREAM, 1000), -EPERM);
	/* A bad policy is refused whole; B stays in force. */
	a.prefix = 40;
	assert_int_equal(edr_enforce__apply(h.loader, &pa, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix /40"));
	assert_int_equal(try_connect(AF_INET, x, 9, SOCK_STREAM, 1000), -EPERM);
	/* The empty policy clears everything. */
	assert_int_equal(edr_enforce__apply(h.loader, NULL, err, sizeof(err)), 0);
	assert_int_equal(try_connect(AF_INET, x, 9, SOCK_STREAM, 1000), -ECONNREFUSED);
	h_stop(&h);
}

/* ---- file ---- */

/* lsm/file_open: a listed file cannot be opened for write; reading works. */
static void test_file_deny(void **state)
{
	char path[] = "/tmp/edr-enf-file-XXXXXX";
	struct edr_policy_file f;
	struct edr_policy p = { .file = &f, .nfile = 1 };
	const struct edr_decoded *all[64];
	const struct edr_file_denied *r = NULL;
	char err[256] = "", real[PATH_MAX];
	struct harness h;
	size_t i, n;
	int fd;

	(void)state;
	H_START("lsm", start(&h, NULL, NULL, "lsm", &why_));
	h_report(&h, "file_deny");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(edr_enforce__file_identity(path, 77, &f, err, sizeof(err)), 0);
	assert_int_equal(edr_enforce__apply(h.loader, &p, err, sizeof(err)), 0);
	assert_int_equal(open(path, O_WRONLY), -1);
	assert_int_equal(errno, EPERM);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	h_poll(&h, 300, NULL, NULL);
	n = h_collect(&h, EDR_EVENT_FILE_DENIED, getpid(), all, 64);
	for (i = 0; i < n && !r; i++)
		if (((const struct edr_file_denied *)all[i]->rec)->deny.rule == 77)
			r = (const void *)all[i]->rec;
	assert_non_null(r);
	assert_int_equal(r->deny.mechanism, EDR_MECH_LSM);
	assert_int_equal(r->deny.op, EDR_DENY_OP_OPEN_WRITE);
	assert_non_null(realpath(path, real));
	assert_string_equal(all[i - 1]->path.p, real);
	h_stop(&h);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
}

/* ---- isolation ---- */

/* What test_isolate set up, for its teardown (which runs on failure too). */
static struct {
	char ns[32], veth[16], cg[PATH_MAX], pins[PATH_MAX];
	pid_t server;
	int up;
} iso;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int iso_teardown(void **state)
{
	char err[256];

	(void)state;
	if (!iso.up)
		return 0;
	edr_isolate__off_at(iso.pins, err, sizeof(err));
	if (iso.server > 0) {
		kill(iso.server, SIGKILL);
		waitpid(iso.server, NULL, 0);
	}
	sh("ip link del %s 2>/dev/null; ip netns del %s 2>/dev/null", iso.veth, iso.ns);
	rmdir(iso.cg);
	memset(&iso, 0, sizeof(iso));
	return 0;
}

/* The peer in the namespace: echoes on 10.213.77.2, ports 8080 and 8081. */
static void echo_server(int ready)
{
	char path[64], buf[256];
	struct pollfd p[2];
	uint16_t ports[2] = { 8080, 8081 };
	int fd, i, c;
	ssize_t n;

	snprintf(path, sizeof(path), "/run/netns/%s", iso.ns);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		_exit(1);
	for (i = 0; i < 2; i++) {
		p[i].fd = listener(AF_INET, "10.213.77.2", &ports[i]);
		p[i].events = POLLIN;
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		if (poll(p, 2, -1) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			c = accept(p[i].fd, NULL, NULL);
			if (c < 0)
				continue;
			if (fork() == 0) {
				while ((n = read(c, buf, sizeof(buf))) > 0)
					if (write(c, buf, n) != n)
						break;
				_exit(0);
			}
			close(c);
		}
	}
}

static void join_cgroup(void)
{
	char path[PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", iso.cg);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "0", 1) != 1)
		_exit(120);
	close(fd);
}

/* connect() from a child in the isolated cgroup: 0 or -errno. */
static int cg_connect(const char *ip, uint16_t port)
{
	uint8_t a[4];
	int st;
	pid_t pid;

	inet_pton(AF_INET, ip, a);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		join_cgroup();
		_exit(-try_connect(AF_INET, a, port, SOCK_STREAM, 1500));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 120);
	return -WEXITSTATUS(st);
}

/* A session made before isolation, in the cgroup: echoes once per byte
 * written to go, answering 0 (echo came back) or 1 on done. */
static pid_t session(int *go, int *done)
{
	int a[2], b[2];
	uint8_t ip[4];
	pid_t pid;

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(8080) };
		char c, buf[8];
		int fd;

		close(a[1]);
		close(b[0]);
		join_cgroup();
		inet_pton(AF_INET, "10.213.77.2", ip);
		memcpy(&s.sin_addr, ip, 4);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (void *)&s, sizeof(s)))
			_exit(1);
		struct timeval tv = { .tv_sec = 2 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (read(a[0], &c, 1) == 1) {
			c = write(fd, "ping", 4) == 4 && read(fd, buf, sizeof(buf)) == 4 ? 0 : 1;
			if (write(b[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	*go = a[1];
	*done = b[0];
	return pid;
}

static int session_echo(int go, int done)
{
	char c = 'g';

	assert_int_equal(write(go, &c, 1), 1);
	assert_int_equal(read(done, &c, 1), 1);
	return c;
}

/*
 * Isolation of a cgroup of the test's own (the same programs the sensor
 * attaches to the cgroup2 root): a peer on the allow-list is reachable, one
 * not listed is not, loopback works, a session made before keeps working;
 * it stays after the loader is freed and goes with edr_isolate__off_at().
 */
static void test_isolate(void **state)
{
	struct edr_isolate_allow allow = { .family = 4, .prefix = 32, .port = 8080 };
	struct edr_isolate_status st;
	const char *root = edr_cgroup2_root();
	char err[256] = "";
	struct harness h;
	uint16_t lport = 0;
	int ready[2], go, done, lfd;
	pid_t sess;
	char c;

	(void)state;
	H_START("cgroup_skb", start(&h, NULL, NULL, NULL, &why_));
	if (!root || sh("ip netns add edrt-%d 2>/dev/null", getpid())) {
		printf("# isolate skipped: %s\n", root ? "cannot create a network namespace" : "no cgroup2");
		h_stop(&h);
		skip();
	}
	iso.up = 1;
	snprintf(iso.ns, sizeof(iso.ns), "edrt-%d", getpid());
	snprintf(iso.veth, sizeof(iso.veth), "edrt%d", getpid() % 100000);
	snprintf(iso.cg, sizeof(iso.cg), "%s/edr-test-iso-%d", root, getpid());
	snprintf(iso.pins, sizeof(iso.pins), "/sys/fs/bpf/edr-test-iso-%d", getpid());
	if (sh("ip link add %s type veth peer name %sn 2>/dev/null", iso.veth, iso.veth)) {
		printf("# isolate skipped: cannot create a veth pair (no veth driver?)\n");
		h_stop(&h);
		skip();
	}
	assert_int_equal(sh("ip link set %sn netns %s && ip addr add 10.213.77.1/24 dev %s && "
			    "ip link set %s up && ip -n %s addr add 10.213.77.2/24 dev %sn && "
			    "ip -n %s link set %sn up && ip -n %s link set lo up",
			    iso.veth, iso.ns, iso.veth, iso.veth, iso.ns, iso.veth, iso.ns, iso.veth, iso.ns), 0);
	assert_int_equal(mkdir(iso.cg, 0755), 0);
	assert_int_equal(pipe(ready), 0);
	iso.server = fork();
	assert_true(iso.server >= 0);
	if (!iso.server)
		echo_server(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	lfd = listener(AF_INET, "127.0.0.1", &lport);

	assert_int_equal(cg_connect("10.213.77.2", 8081), 0);
	sess = session(&go, &done);
	assert_int_equal(session_echo(go, done), 0);

	inet_pton(AF_INET, "10.213.77.2", allow.addr);
	assert_int_equal(edr_isolate__on_at(h.loader, iso.cg, iso.pins, &allow, 1, err, sizeof(err)), 0);
	assert_int_equal(edr_isolate__status_at(iso.pins, &st), 0);
	assert_int_equal(st.isolated, 1);
	assert_int_equal(st.nallow, 1);
	assert_memory_equal(&st.allow[0], &allow, sizeof(allow));
	assert_int_equal(cg_connect("10.213.77.2", 8080), 0);
	assert_int_equal(cg_connect("10.213.77.2", 8081), -ETIMEDOUT);
	assert_int_equal(cg_connect("127.0.0.1", lport), 0);
	assert_int_equal(session_echo(go, done), 0);

	/* The loader goes; the pinned isolation stays. */
	h_stop(&h);
	assert_int_equal(edr_isolate__status_at(iso.pins, &st), 0);
	assert_int_equal(st.isolated, 1);
	assert_int_equal(cg_connect("10.213.77.2", 8081), -ETIMEDOUT);
	assert_int_equal(cg_connect("10.213.77.2", 8080), 0);

	/* Released from a process that never loaded anything of it. */
	assert_int_equal(edr_isolate__off_at(iso.pins, err, sizeof(err)), 0);
	assert_int_equal(edr_isolate__status_at(iso.pins, &st), 0);
	assert_int_equal(st.isolated, 0);
	assert_int_equal(cg_connect("10.213.77.2", 8081), 0);
	assert_int_equal(edr_isolate__off_at(iso.pins, err, sizeof(err)), -ENOENT);
	close(go);
	close(done);
	waitpid(sess, NULL, 0);
	close(lfd);
}

int main(void)
{
	static const char *const exec_paths[] = { "kill", "kill_raw_tp", "lsm" };
	static const char *const net_paths[] = { "cgroup", "lsm" };
	struct h_runs r = {};

	h_runs_add(&r, "exec_deny", test_exec_deny, exec_paths, 3);
	h_runs_add(&r, "net_deny", test_net_deny, net_paths, 2);
	h_run_add(&r, "generation_flip", test_generation_flip, NULL, "auto");
	h_run_add(&r, "file_deny", test_file_deny, NULL, "lsm");
	h_run_add(&r, "isolate", test_isolate, NULL, "cgroup_skb");
	r.t[r.n - 1].teardown_func = iso_teardown;
	return h_runs_main(&r, "bpf_enforce");
}
