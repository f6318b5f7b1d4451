// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network events against the real kernel: the test's child binds and
 * listens on loopback (IPv4 and IPv6), connects to its own listeners,
 * accepts, sends UDP datagrams (twice to one destination, once to another,
 * by sendto, sendmsg and sendmmsg) and does the same over AF_UNIX; the test asserts
 * the exact sequence of records and their fields. The sequence being exact
 * is what shows that a repeated UDP destination and AF_UNIX produce
 * nothing. Runs once per attach path of the four network features (lsm,
 * fentry, kprobe, tracepoint), forced through the loader; a path the
 * running kernel lacks is skipped with the probe's reason, and a feature
 * without that path (accept has no LSM path) is left off for that run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

static const char *const net_feats[] = {
	"net_connect", "net_accept", "net_bind", "net_send",
};
#define N_FEATS (sizeof(net_feats) / sizeof(net_feats[0]))

/* The network features that have path, forced onto it; everything else off. */
static int nstart(struct harness *h, const char *path, uint32_t target, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = target };

	return h_start_forced(h, net_feats, N_FEATS, path, &opts, why);
}

#define START(h, state) H_START(*(state), nstart(h, *(state), getpid(), &why_))

/* What the child reports back: ports in host order, socket inodes. */
struct side {
	uint16_t lport;  /* listener's port */
	uint16_t cport;  /* client's source port */
	uint64_t l_ino, c_ino, a_ino;
};

struct child_truth {
	struct side v4, v6;
	uint16_t uport;  /* UDP socket's port after its first send */
	uint64_t u_ino;
	int steps;
};

#define STEPS 4
#define UDP_PORT1 40001
#define UDP_PORT2 40002
#define UDP_PORT3 40003

static uint64_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int loopback(int fam, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		s->sin6_addr = in6addr_loopback;
		*len = sizeof(*s);
	}
	return 0;
}

/* A port free right now (found by the parent, so its own bind is not the
 * child's). */
static uint16_t free_port(int fam)
{
	struct sockaddr_storage ss;
	socklen_t len;
	uint16_t p;
	int fd = socket(fam, SOCK_STREAM, 0);

	loopback(fam, 0, &ss, &len);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len))
		return 0;
	p = port_of(fd);
	close(fd);
	return p;
}

/* bind, listen, connect, accept on loopback of family fam. */
static int tcp_round(int fam, uint16_t port, struct side *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, l, c, a;

	loopback(fam, port, &ss, &len);
	l = socket(fam, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&ss, len) || listen(l, 4))
		return -1;
	c = socket(fam, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
		return -1;
	a = accept(l, NULL, NULL);
	if (a < 0)
		return -1;
	s->lport = port;
	s->cport = port_of(c);
	s->l_ino = ino_of(l);
	s->c_ino = ino_of(c);
	s->a_ino = ino_of(a);
	close(a);
	close(c);
	close(l);
	return 0;
}

static void child(uint16_t p4, uint16_t p6, int out)
{
	struct child_truth t = {};
	struct sockaddr_storage d1, d2;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct msghdr mh = {};
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	socklen_t len1, len2;
	int u, l, c, a;

	if (tcp_round(AF_INET, p4, &t.v4))
		goto done;
	t.steps++;
	if (tcp_round(AF_INET6, p6, &t.v6))
		goto done;
	t.steps++;
	/* UDP: twice to one destination, once to another */
	loopback(AF_INET, UDP_PORT1, &d1, &len1);
	loopback(AF_INET, UDP_PORT2, &d2, &len2);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || sendto(u, "x", 1, 0, (struct sockaddr *)&d1, len1) != 1)
		goto done;
	t.uport = port_of(u);
	t.u_ino = ino_of(u);
	if (sendto(u, "x", 1, 0, (struct sockaddr *)&d1, len1) != 1)
		goto done;
	mh.msg_name = &d2;
	mh.msg_namelen = len2;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(u, &mh, 0) != 1)
		goto done;
	/* sendmmsg: one known destination, one new */
	{
		struct sockaddr_storage d3;
		struct mmsghdr mm[2] = {};
		socklen_t len3;

		loopback(AF_INET, UDP_PORT3, &d3, &len3);
		mm[0].msg_hdr = (struct msghdr){ .msg_name = &d1, .msg_namelen = len1, .msg_iov = &iov,
						 .msg_iovlen = 1 };
		mm[1].msg_hdr = (struct msghdr){ .msg_name = &d3, .msg_namelen = len3, .msg_iov = &iov,
						 .msg_iovlen = 1 };
		if (sendmmsg(u, mm, 2, 0) != 2)
			goto done;
	}
	/* and a TCP-style send without a destination on a connected socket */
	if (connect(u, (struct sockaddr *)&d1, len1) || send(u, "x", 1, 0) != 1)
		goto done;
	/* and a disconnect (AF_UNSPEC): nothing */
	{
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };

		if (connect(u, &unspec, sizeof(unspec)))
			goto done;
	}
	close(u);
	t.steps++;
	/* AF_UNIX: bind, listen, connect, accept, sendto: nothing */
	snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "edr-test-net-%d", getpid());
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&un, sizeof(un)) || listen(l, 1))
		goto done;
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&un, sizeof(un)))
		goto done;
	a = accept(l, NULL, NULL);
	if (a < 0 || sendto(c, "x", 1, 0, NULL, 0) != 1)
		goto done;
	close(a);
	close(c);
	close(l);
	t.steps++;
done:
	if (write(out, &t, sizeof(t)) != sizeof(t))
		_exit(2);
	_exit(0);
}

static int is_net(uint16_t type)
{
	return type >= EDR_EVENT_NET_CONNECT && type <= EDR_EVENT_NET_SEND;
}

static size_t collect(struct harness *h, uint32_t tgid, const struct edr_decoded **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < h->n && n < max; i++) {
		const struct edr_decoded *d = &h->recs[i]->d;

		if (EDR_IN_FAMILY(d, NET_CONNECT) && is_net(d->type) && d->task->tgid == tgid)
			out[n++] = d;
	}
	return n;
}

struct want_n {
	uint32_t tgid;
	size_t n;
};

static int have_n(struct harness *h, void *ctx)
{
	struct want_n *w = ctx;
	const struct edr_decoded *d[32];

	return collect(h, w->tgid, d, 32) >= w->n;
}

struct expect {
	uint16_t type;
	uint16_t family, protocol;
	uint16_t sport, dport;
	int s_lo, d_lo;     /* address is loopback (else all zero) */
	uint64_t ino;       /* 0: not checked (kprobe accept has none) */
	int attempt;
};

static void addr_check(const uint8_t a[16], uint16_t fam, int lo)
{
	uint8_t want[16] = {};

	if (lo && fam == AF_INET) {
		want[0] = 127;
		want[3] = 1;
	} else if (lo) {
		want[15] = 1;
	}
	assert_memory_equal(a, want, 16);
}

static void test_net_events(void **state)
{
	const char *path = *state;
	int lsm = !strcmp(path, "lsm"), kprobe = !strcmp(path, "kprobe");
	int att = lsm || kprobe; /* connect, bind, listen and send at entry */
	uint32_t src = lsm ? EDR_SRC_LSM : !strcmp(path, "fentry") ? EDR_SRC_FENTRY :
		       kprobe ? EDR_SRC_KPROBE : EDR_SRC_TRACEPOINT;
	uint16_t p4 = free_port(AF_INET), p6 = free_port(AF_INET6);
	const struct edr_decoded *got[32];
	struct expect want[16];
	struct child_truth t;
	struct harness h;
	size_t n, nw = 0, i;
	int pfd[2], status = 0;
	pid_t pid;

	assert_true(p4 && p6);
	START(&h, state);
	h_report(&h, "net");
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(p4, p6, pfd[1]);
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &t, sizeof(t)), sizeof(t));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(t.steps, STEPS);

	for (int v6 = 0; v6 < 2; v6++) {
		const struct side *s = v6 ? &t.v6 : &t.v4;
		uint16_t fam = v6 ? AF_INET6 : AF_INET;

		want[nw++] = (struct expect){ EDR_EVENT_NET_BIND, fam, IPPROTO_TCP, s->lport, 0, 1, 0,
					      s->l_ino, att };
		want[nw++] = (struct expect){ EDR_EVENT_NET_LISTEN, fam, IPPROTO_TCP, s->lport, 0, 1, 0,
					      s->l_ino, att };
		/* before the connect, the client has no source address yet */
		want[nw++] = (struct expect){ EDR_EVENT_NET_CONNECT, fam, IPPROTO_TCP, att ? 0 : s->cport,
					      s->lport, !att, 1, s->c_ino, att };
		if (!lsm)
			want[nw++] = (struct expect){ EDR_EVENT_NET_ACCEPT, fam, IPPROTO_TCP, s->lport,
						      s->cport, 1, 1, kprobe ? 0 : s->a_ino, 0 };
	}
	/* the first send autobinds the socket (inet_sendmsg, before
	 * udp_sendmsg): only the LSM hook runs before that */
	want[nw++] = (struct expect){ EDR_EVENT_NET_SEND, AF_INET, IPPROTO_UDP, lsm ? 0 : t.uport, UDP_PORT1,
				      0, 1, t.u_ino, att };
	want[nw++] = (struct expect){ EDR_EVENT_NET_SEND, AF_INET, IPPROTO_UDP, t.uport, UDP_PORT2, 0, 1,
				      t.u_ino, att };
	want[nw++] = (struct expect){ EDR_EVENT_NET_SEND, AF_INET, IPPROTO_UDP, t.uport, UDP_PORT3, 0, 1,
				      t.u_ino, att };
	/* connected UDP: its connect is reported, its send is not */
	want[nw++] = (struct expect){ EDR_EVENT_NET_CONNECT, AF_INET, IPPROTO_UDP, t.uport, UDP_PORT1, 0, 1,
				      t.u_ino, att };

	h_poll(&h, 3000, have_n, &(struct want_n){ pid, nw });
	h_poll(&h, 200, NULL, NULL);
	n = collect(&h, pid, got, 32);
	for (i = 0; i < n; i++) {
		const struct edr_net *e = EDR_REC(got[i], net);
		char sa[64], da[64];

		inet_ntop(e->family, e->saddr, sa, sizeof(sa));
		inet_ntop(e->family, e->daddr, da, sizeof(da));
		printf("# %s: record %zu: type %u proto %u %s:%u -> %s:%u ino %llu ret %d flags %#x\n", path, i,
		       got[i]->type, e->protocol, sa, e->sport, da, e->dport, (unsigned long long)e->sock_ino,
		       e->ret, e->flags);
	}
	assert_int_equal(h.decode_errors, 0);
	assert_int_equal(n, nw);
	for (i = 0; i < nw; i++) {
		const struct edr_net *e = EDR_REC(got[i], net);
		const struct expect *w = &want[i];

		printf("# %s: checking record %zu\n", path, i);
		assert_int_equal(got[i]->type, w->type);
		assert_int_equal(e->family, w->family);
		assert_int_equal(e->protocol, w->protocol);
		assert_int_equal(e->sport, w->sport);
		assert_int_equal(e->dport, w->dport);
		/* a UDP socket's unconnected local address is the wildcard */
		if (w->protocol == IPPROTO_TCP)
			addr_check(e->saddr, e->family, w->s_lo);
		addr_check(e->daddr, e->family, w->d_lo);
		if (w->ino)
			assert_int_equal(e->sock_ino, w->ino);
		assert_int_equal(e->ret, 0);
		assert_int_equal(!!(e->flags & EDR_NET_ATTEMPT), w->attempt);
		assert_int_equal(!!(e->flags & EDR_NET_SADDR_UNKNOWN),
				 w->type != EDR_EVENT_NET_BIND && !w->sport);
		assert_int_equal(e->hdr.flags & EDR_HDR_SRC_MASK, src);
		assert_int_equal(got[i]->task->tgid, pid);
		assert_int_equal(got[i]->task->ppid, getpid());
		assert_int_equal(got[i]->task->uid, getuid());
		assert_int_equal(got[i]->hdr->version, EDR_ABI_VERSION);
	}
	h_stop(&h);
}

int main(void)
{
	static const char *const paths[] = { "lsm", "fentry", "kprobe", "tracepoint" };
	static struct h_runs r;

	h_runs_add(&r, "net_events", test_net_events, paths, 4);
	return h_runs_main(&r, "bpf_net");
}
