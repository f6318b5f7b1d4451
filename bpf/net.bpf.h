/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Network hooks: TCP/UDP connect, accept, bind and listen, and a UDP
 * datagram to a destination its socket had not sent to before, for
 * AF_INET and AF_INET6. Four features, each with its attach paths in the
 * loader's order of preference (first kernel with each):
 *
 *   lsm (5.7, needs the BPF LSM active): lsm/socket_connect,
 *     lsm/socket_bind and lsm/socket_listen, lsm/socket_sendmsg (UDP with a
 *     msg_name). They run before the operation: records carry
 *     EDR_NET_ATTEMPT, and a connect's source port is not assigned yet
 *     (EDR_NET_SADDR_UNKNOWN). No LSM path for accept: socket_accept runs
 *     before there is a peer.
 *   fentry (5.5; bpf_get_func_ret 5.17): fexit/inet_stream_connect and
 *     fexit/inet_dgram_connect (both families: inet6 uses them too; the
 *     source port is bound by then), fexit/inet_accept (the new socket is
 *     grafted there, so its inode is known; inet_csk_accept returns the
 *     sock before that), fexit/inet_bind, fexit/inet6_bind, fexit/inet_listen,
 *     fexit/udp_sendmsg, fexit/udpv6_sendmsg. Reported on success only.
 *   kprobe (4.x): kprobe/ on the same connect, bind, listen and sendmsg
 *     functions at entry (attempts); kretprobe/inet_csk_accept for accept
 *     (the new sock, before it has a socket inode: sock_ino 0).
 *   tracepoint (bpf_task_pt_regs 5.15): syscalls:sys_exit_connect, accept,
 *     accept4, bind, listen, sendto, sendmsg, sendmmsg. Only exit programs,
 *     like the file opens: the arguments are still in the user registers saved at
 *     entry, and the socket is read from the fd once the call succeeded, so
 *     the bound source port of a connect and the port of a bind to port 0
 *     are known. sendmmsg: the first NET_MMSG_MAX messages sent.
 *
 * The result paths (fentry, tracepoint) report what succeeded (a connect
 * also when it is in progress: ret -EINPROGRESS); the attempt paths (lsm,
 * kprobe) report every call, including one that then fails or a repeated
 * connect() polling a non-blocking socket.
 *
 * Non-INET sockets (AF_UNIX, netlink) are dropped at the first test: the
 * family of the caller's sockaddr, or of the socket where there is none.
 * A TCP send (no destination address) costs one register test.
 *
 * UDP "new destination": net_dests, an LRU hash keyed by (socket inode,
 * destination address, port) remembers up to NET_DESTS destinations; a
 * socket sending to more than that may report one again once it is
 * evicted (never fewer events than destinations). The inode, not the sock
 * pointer: a freed sock's address is reused by the next socket.
 * Connected UDP sockets are reported by their connect; their sends carry
 * no destination and produce nothing.
 *
 */
#ifndef EDR_NET_BPF_H
#define EDR_NET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "task.bpf.h"

#define EDR_AF_INET       2
#define EDR_AF_INET6      10
#define EDR_IPPROTO_TCP   6
#define EDR_IPPROTO_UDP   17
#define EDR_S_IFMT        0170000
#define EDR_S_IFSOCK      0140000
#define EDR_EINPROGRESS   115
#define NET_DESTS         16384

/* sockaddr_in and sockaddr_in6 in one: family, port and the address where
 * each keeps it (sin_addr overlaps sin6_flowinfo). */
struct net_sa {
	__u16 family;
	__u16 port; /* network order */
	__u32 v4;
	__u8 v6[16];
	__u32 scope;
};

struct net_dest_key {
	__u64 sock;  /* socket inode, or the sock pointer when it has none */
	__u8 daddr[16];
	__u16 dport;
	__u16 family;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NET_DESTS);
	__type(key, struct net_dest_key);
	__type(value, __u8);
} net_dests SEC(".maps");

static __always_inline int net_family_ok(__u16 fam)
{
	return fam == EDR_AF_INET || fam == EDR_AF_INET6;
}

/* The socket behind a file and its inode number, or NULL when the file
 * is not a socket. */
static __always_inline struct socket *net_file_socket(struct file *f, __u64 *ino)
{
	struct inode *inode;
	__u32 mode;

	if (!f)
		return NULL;
	inode = BPF_CORE_READ(f, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & EDR_S_IFMT) != EDR_S_IFSOCK)
		return NULL;
	*ino = BPF_CORE_READ(inode, i_ino);
	return BPF_CORE_READ(f, private_data);
}

/* The socket's inode number (0 for a kernel socket without a file). */
static __always_inline __u64 net_sock_ino(struct socket *sock, struct sock *sk)
{
	if (!sock)
		sock = BPF_CORE_READ(sk, sk_socket);
	return sock ? BPF_CORE_READ(sock, file, f_inode, i_ino) : 0;
}

/*
 * The tracepoint path's hot part, with direct loads through the BTF task
 * pointer where the verifier allows them: each helper read costs tens of
 * ns, and a UDP send to a known destination must stay cheap. The fd array
 * itself is indexed by value, which only a helper read may do.
 */
static __always_inline struct file *net_fd_file(struct task_struct *task, int fd)
{
	struct files_struct *files = task->files;
	struct fdtable *fdt;
	struct file *f = NULL;
	__u64 fds;

	if (fd < 0 || !files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || (__u32)fd >= fdt->max_fds)
		return NULL;
	fds = (__u64)fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), (void *)(fds + (__u64)(fd & 0xfffff) * sizeof(f))) < 0)
		return NULL;
	return f;
}

/* A sockaddr, read from user (user set) or kernel memory; 0 when it is
 * INET or INET6. The v4 part first: a sockaddr_in may end at a page end. */
static __always_inline int net_sa_read(struct net_sa *sa, const void *addr, int user)
{
	long n;

	if (!addr)
		return -1;
	n = user ? bpf_probe_read_user(sa, 8, addr) : bpf_probe_read_kernel(sa, 8, addr);
	if (n < 0 || !net_family_ok(sa->family))
		return -1;
	if (sa->family == EDR_AF_INET6) {
		n = user ? bpf_probe_read_user(sa, sizeof(*sa), addr) :
			   bpf_probe_read_kernel(sa, sizeof(*sa), addr);
		if (n < 0)
			return -1;
	}
	return 0;
}

/* Address and port from a sockaddr, in the socket's family (fam): an IPv4
 * sockaddr given to an IPv6 socket becomes v4-mapped. Returns -1 when the
 * two cannot go together. */
static __always_inline int net_sa_put(const struct net_sa *sa, __u16 fam, __u8 addr[16],
				      __u16 *port)
{
	*port = bpf_ntohs(sa->port);
	__builtin_memset(addr, 0, 16);
	if (sa->family == EDR_AF_INET6) {
		if (fam != EDR_AF_INET6)
			return -1;
		__builtin_memcpy(addr, sa->v6, 16);
	} else if (fam == EDR_AF_INET6) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		__builtin_memcpy(addr + 12, &sa->v4, 4);
	} else {
		__builtin_memcpy(addr, &sa->v4, 4);
	}
	return 0;
}

/* Family and protocol of a sock; 0 unless INET/INET6 with TCP or UDP. */
static __always_inline int net_sk_ok(struct sock *sk, __u16 *fam, __u16 *proto)
{
	if (!sk)
		return 0;
	*fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!net_family_ok(*fam))
		return 0;
	*proto = BPF_CORE_READ(sk, sk_protocol);
	return *proto == EDR_IPPROTO_TCP || *proto == EDR_IPPROTO_UDP;
}

/* The fixed part, from the sock: local and peer as the sock holds them. */
static __always_inline struct edr_net *net_begin(struct sock *sk, __u64 ino, __u16 fam, __u16 proto)
{
	struct edr_scratch *s = scratch_get();
	struct edr_net *e;

	if (!s)
		return NULL;
	e = (void *)s->rec;
	/* Every hook here runs in the caller's context. */
	fill_task_cur(&e->task);
	e->flags = 0;
	e->ret = 0;
	e->family = fam;
	e->protocol = proto;
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	/* Explicit sizes: BPF_CORE_READ_INTO would copy sizeof(*e->saddr). */
	if (fam == EDR_AF_INET6) {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	}
	e->sock_ino = ino;
	return e;
}

/* 1 when this socket has not sent to this destination before (and it is
 * remembered now), else 0. */
static __always_inline int net_dest_new(struct sock *sk, __u64 ino, __u16 fam,
					const struct net_sa *sa)
{
	struct net_dest_key k = {};
	__u8 one = 1;

	k.sock = ino;
	if (!k.sock)
		k.sock = (__u64)sk;
	k.family = fam;
	if (net_sa_put(sa, fam, k.daddr, &k.dport))
		return 0;
	if (bpf_map_lookup_elem(&net_dests, &k))
		return 0;
	bpf_map_update_elem(&net_dests, &k, &one, BPF_ANY);
	return 1;
}

/*
 * One body for every path. sa: the caller's sockaddr where the hook has
 * one that the sock does not reflect yet (an attempt, or a UDP send's
 * destination); sa_local says it is the local side (bind), else the peer.
 */
static __always_inline int net_report(struct socket *sock, struct sock *sk, __u64 ino, __u32 type,
				      __u32 src, long ret, __u32 attempt, const struct net_sa *sa,
				      int sa_local)
{
	struct edr_net *e;
	__u16 fam = 0, proto = 0;

	if (!net_sk_ok(sk, &fam, &proto))
		return 0;
	if (!ino)
		ino = net_sock_ino(sock, sk);
	if (type == EDR_EVENT_NET_SEND) {
		if (proto != EDR_IPPROTO_UDP || !sa || !net_dest_new(sk, ino, fam, sa))
			return 0;
	}
	e = net_begin(sk, ino, fam, proto);
	if (!e)
		return 0;
	/* A send's byte count or an accept's fd is a success: 0. */
	e->ret = ret < 0 ? ret : 0;
	if (attempt)
		e->flags |= EDR_NET_ATTEMPT;
	if (sa) {
		if (sa_local ? net_sa_put(sa, fam, e->saddr, &e->sport) :
			       net_sa_put(sa, fam, e->daddr, &e->dport))
			return 0;
	}
	if (type != EDR_EVENT_NET_BIND && !e->sport)
		e->flags |= EDR_NET_SADDR_UNKNOWN;
	emit(e, type, sizeof(*e), src);
	return 0;
}

/* ---- tracepoint path ---- */

enum net_tp {
	NTP_CONNECT = 1, NTP_ACCEPT, NTP_BIND, NTP_LISTEN, NTP_SENDTO, NTP_SENDMSG, NTP_SENDMMSG,
};

/* sendmmsg: the first NET_MMSG_MAX messages that were sent are looked at
 * (struct mmsghdr: a user_msghdr, msg_name first, then msg_len; 64 bytes). */
#define NET_MMSG_MAX  8
#define NET_MMSG_SIZE 64

/* One message of a sendmmsg: a subprogram, so the loop stays small. */
static __noinline int net_mmsg_one(struct socket *sock, struct sock *sk, __u64 ino, __u64 msg)
{
	const void *uaddr = NULL;
	struct net_sa sa = {};

	if (bpf_probe_read_user(&uaddr, sizeof(uaddr), (void *)msg) < 0 || !uaddr ||
	    net_sa_read(&sa, uaddr, 1))
		return 0;
	return net_report(sock, sk, ino, EDR_EVENT_NET_SEND, EDR_SRC_TRACEPOINT, 0, 0, &sa, 0);
}

/*
 * Every sys_exit_* of the tracepoint path. The first tests need no map and
 * no fd walk: the result, then the family of the caller's sockaddr (a TCP
 * send has none and stops there).
 */
static __noinline int net_tp_exit(long ret, __u32 which)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	struct net_sa sa = {};
	const void *uaddr = NULL;
	struct socket *sock;
	struct sock *sk;
	__u64 ino = 0;
	__u32 type;
	int fd, have_sa = 0;

	if (ret < 0 && !(which == NTP_CONNECT && ret == -EDR_EINPROGRESS))
		return 0;
	fd = PT_REGS_PARM1_SYSCALL(regs);
	switch (which) {
	case NTP_CONNECT:
		type = EDR_EVENT_NET_CONNECT;
		uaddr = (void *)PT_REGS_PARM2_SYSCALL(regs);
		break;
	case NTP_BIND:
		type = EDR_EVENT_NET_BIND;
		uaddr = (void *)PT_REGS_PARM2_SYSCALL(regs);
		break;
	case NTP_SENDTO:
		type = EDR_EVENT_NET_SEND;
		uaddr = (void *)PT_REGS_PARM5_SYSCALL(regs);
		if (!uaddr)
			return 0;
		have_sa = 1;
		break;
	case NTP_SENDMSG:
		type = EDR_EVENT_NET_SEND;
		/* struct user_msghdr starts with msg_name. */
		if (bpf_probe_read_user(&uaddr, sizeof(uaddr), (void *)PT_REGS_PARM2_SYSCALL(regs)) < 0 ||
		    !uaddr)
			return 0;
		have_sa = 1;
		break;
	case NTP_SENDMMSG:
		/* The first message's destination decides, like sendto's: a
		 * connected socket sends without one. */
		type = EDR_EVENT_NET_SEND;
		if (bpf_probe_read_user(&uaddr, sizeof(uaddr), (void *)PT_REGS_PARM2_SYSCALL(regs)) < 0 ||
		    !uaddr)
			return 0;
		break;
	case NTP_ACCEPT:
		type = EDR_EVENT_NET_ACCEPT;
		fd = ret;
		break;
	case NTP_LISTEN:
		type = EDR_EVENT_NET_LISTEN;
		break;
	default:
		return 0;
	}
	if (uaddr && net_sa_read(&sa, uaddr, 1))
		return 0;
	if (!wanted_cur())
		return 0;
	sock = net_file_socket(net_fd_file(task, fd), &ino);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (which == NTP_SENDMMSG) {
		__u64 vec = PT_REGS_PARM2_SYSCALL(regs);

		for (int i = 0; i < NET_MMSG_MAX; i++) {
			if (i >= ret)
				break;
			net_mmsg_one(sock, sk, ino, vec + i * NET_MMSG_SIZE);
		}
		return 0;
	}
	/* Connect and bind: the sock holds the result (the bound ports). */
	return net_report(sock, sk, ino, type, EDR_SRC_TRACEPOINT, ret, 0, have_sa ? &sa : NULL, 0);
}

/* ---- LSM, fentry and kprobe paths (kernel sockaddrs) ---- */

static __always_inline int net_sock_hook(struct socket *sock, struct sock *sk, __u32 type, __u32 src,
					 long ret, __u32 attempt, const void *kaddr, int sa_local)
{
	struct net_sa sa = {};

	if (ret < 0 && !(type == EDR_EVENT_NET_CONNECT && ret == -EDR_EINPROGRESS))
		return 0;
	if (kaddr && net_sa_read(&sa, kaddr, 0))
		return 0;
	if (!wanted_cur())
		return 0;
	if (!sk)
		sk = BPF_CORE_READ(sock, sk);
	return net_report(sock, sk, 0, type, src, ret, attempt, kaddr ? &sa : NULL, sa_local);
}

/* udp_sendmsg and udpv6_sendmsg: a v4 destination of an IPv6 socket goes
 * through both; only udpv6_sendmsg reports it. */
static __always_inline int net_udp_send(struct sock *sk, struct msghdr *msg, __u32 v6, __u32 src,
					long ret, __u32 attempt)
{
	void *name = BPF_CORE_READ(msg, msg_name);

	if (!name || ret < 0)
		return 0;
	if (!v6 && BPF_CORE_READ(sk, __sk_common.skc_family) == EDR_AF_INET6)
		return 0;
	return net_sock_hook(NULL, sk, EDR_EVENT_NET_SEND, src, attempt ? 0 : ret, attempt, name, 0);
}

#endif /* EDR_NET_BPF_H */
