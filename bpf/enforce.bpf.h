/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enforcement (issue 12): the policy maps, the kill switch, and the
 * programs that refuse. Content never becomes code: loader/enforce.c writes
 * map entries, these fixed programs read them. Hooks (first kernel):
 *
 *   exec (bodies in exec.bpf.h): lsm/bprm_check_security (5.7, BPF LSM
 *     active), or kill-at-exec: bpf_send_signal(SIGKILL) from
 *     tp_btf/sched_process_exec (5.5) or raw_tp/sched_process_exec (4.17;
 *     bpf_send_signal 5.3). current is the task that exec'd, and the signal
 *     is taken on its way back to user space: the new image never runs.
 *   net: lsm/socket_connect and lsm/socket_sendmsg (5.7, BPF LSM active), or
 *     cgroup/connect4|6 (4.17) and cgroup/sendmsg4|6 (4.18) on the root
 *     cgroup.
 *   file: lsm/file_open (5.7, BPF LSM active): opens with FMODE_WRITE.
 *   isolation: cgroup_skb/ingress and cgroup_skb/egress (4.10) on the root
 *     cgroup, attached only while the host is isolated (pinned links).
 *
 * Policy keys carry a generation; enforce_cfg says which one is in force,
 * whether anything is enforced at all (the kill switch, one map write) and
 * how many entries each generation has, so an empty policy costs an array
 * lookup (inlined by the verifier) and a compare.
 *
 *   enforce_cfg    array[1] of struct edr_enforce_cfg
 *   deny_exec      hash: struct edr_exec_key -> rule
 *   deny_net4/6    LPM tries: generation, port, address -> struct edr_net_rule
 *   deny_open      hash: struct edr_file_key -> rule
 *   isolate_allow  LPM trie: port, address -> 1 (pinned while isolated)
 */
#ifndef EDR_ENFORCE_BPF_H
#define EDR_ENFORCE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "net.bpf.h"
#include "path.bpf.h"
#include "task.bpf.h"

#define EDR_ENF_EXEC_MAX  16384
#define EDR_ENF_NET_MAX   4096
#define EDR_ENF_FILE_MAX  4096
#define EDR_ISO_ALLOW_MAX 64
#define EDR_FMODE_WRITE   0x2
#define EDR_EPERM         1
#define EDR_SIGKILL       9
#define EDR_ETH_P_IP      0x0800
#define EDR_ETH_P_IPV6    0x86DD
#define EDR_IPPROTO_ICMPV6 58

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edr_enforce_cfg);
} enforce_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDR_ENF_EXEC_MAX);
	__type(key, struct edr_exec_key);
	__type(value, __u32);
} deny_exec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDR_ENF_NET_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edr_net4_key);
	__type(value, struct edr_net_rule);
} deny_net4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDR_ENF_NET_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edr_net6_key);
	__type(value, struct edr_net_rule);
} deny_net6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EDR_ENF_FILE_MAX);
	__type(key, struct edr_file_key);
	__type(value, __u32);
} deny_open SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, EDR_ISO_ALLOW_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct edr_iso_key);
	__type(value, __u32);
} isolate_allow SEC(".maps");

/* The three layouts of the inode change time. */
struct inode___ctime_611 { /* 6.11+ */
	time64_t i_ctime_sec;
	u32 i_ctime_nsec;
} __attribute__((preserve_access_index));

struct inode___ctime_66 { /* 6.6 .. 6.10 */
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime_old { /* before 6.6 */
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

static __always_inline __u64 inode_ctime_ns(struct inode *inode)
{
	struct inode___ctime_611 *a = (void *)inode;
	struct inode___ctime_66 *b = (void *)inode;
	struct inode___ctime_old *c = (void *)inode;

	/* 6.13+ keeps a "queried" flag (multigrain timestamps) in the top bits
	 * of i_ctime_nsec; nanoseconds need 30 bits. */
	if (bpf_core_field_exists(a->i_ctime_sec))
		return (__u64)BPF_CORE_READ(a, i_ctime_sec) * 1000000000ull +
		       (BPF_CORE_READ(a, i_ctime_nsec) & 0x3fffffff);
	if (bpf_core_field_exists(b->__i_ctime))
		return (__u64)BPF_CORE_READ(b, __i_ctime.tv_sec) * 1000000000ull +
		       BPF_CORE_READ(b, __i_ctime.tv_nsec);
	return (__u64)BPF_CORE_READ(c, i_ctime.tv_sec) * 1000000000ull + BPF_CORE_READ(c, i_ctime.tv_nsec);
}

/* The configuration when anything is enforced, else NULL. */
static __always_inline struct edr_enforce_cfg *enforce_on(void)
{
	__u32 zero = 0;
	struct edr_enforce_cfg *c = bpf_map_lookup_elem(&enforce_cfg, &zero);

	return c && !c->off ? c : NULL;
}

static __always_inline void deny_fill(struct edr_deny *d, __u32 rule, __u32 mech, __u32 op, __u32 gen)
{
	d->rule = rule;
	d->mechanism = mech;
	d->op = op;
	d->generation = gen;
	d->_pad0 = 0;
}

/* The rule refusing the exec of file in exec mode mode, or 0 (rule numbers
 * are any __u32: the hit is returned in *hit). */
static __always_inline __u32 enforce_exec_rule(struct file *file, __u32 mode, __u32 *gen, int *hit)
{
	struct edr_enforce_cfg *c = enforce_on();
	struct edr_exec_key key = {};
	struct inode *inode;
	__u32 *rule, g;

	*hit = 0;
	if (!c || c->exec_mode != mode)
		return 0;
	g = c->gen & 1;
	if (!c->nexec[g])
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ctime_ns = inode_ctime_ns(inode);
	key.gen = g;
	rule = bpf_map_lookup_elem(&deny_exec, &key);
	if (!rule)
		return 0;
	*gen = g;
	*hit = 1;
	return *rule;
}

/* ---- net ---- */

static __always_inline int is_loopback4(const __u8 *a)
{
	return a[0] == 127;
}

static __always_inline int is_loopback6(const __u8 *a)
{
	__u64 hi;
	__u32 mid, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&mid, a + 8, 4);
	__builtin_memcpy(&lo, a + 12, 4);
	return hi == 0 && mid == 0 && lo == bpf_htonl(1);
}

static __always_inline int is_v4mapped(const __u8 *a)
{
	__u64 hi;
	__u32 mid;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&mid, a + 8, 4);
	return hi == 0 && mid == bpf_htonl(0xffff);
}

/* Looks the destination up with its port, then with port 0 (every port).
 * A loopback destination counts only when an entry names it exactly. */
static __always_inline struct edr_net_rule *net_rule4(__u32 gen, const __u8 *addr, __u16 port_be)
{
	struct edr_net4_key k = { .prefixlen = 32 + 16 + 32, .gen = gen, .port = port_be };
	struct edr_net_rule *r;
	int loop = is_loopback4(addr);

	__builtin_memcpy(k.addr, addr, 4);
	r = bpf_map_lookup_elem(&deny_net4, &k);
	if (r && (!loop || r->prefix == 32))
		return r;
	if (!port_be)
		return NULL;
	k.port = 0;
	r = bpf_map_lookup_elem(&deny_net4, &k);
	return r && (!loop || r->prefix == 32) ? r : NULL;
}

static __always_inline struct edr_net_rule *net_rule6(__u32 gen, const __u8 *addr, __u16 port_be)
{
	struct edr_net6_key k = { .prefixlen = 32 + 16 + 128, .gen = gen, .port = port_be };
	struct edr_net_rule *r;
	int loop = is_loopback6(addr);

	if (is_v4mapped(addr))
		return net_rule4(gen, addr + 12, port_be);
	__builtin_memcpy(k.addr, addr, 16);
	r = bpf_map_lookup_elem(&deny_net6, &k);
	if (r && (!loop || r->prefix == 128))
		return r;
	if (!port_be)
		return NULL;
	k.port = 0;
	r = bpf_map_lookup_elem(&deny_net6, &k);
	return r && (!loop || r->prefix == 128) ? r : NULL;
}

/*
 * The net decision for a destination (fam AF_INET: addr's first 4 bytes;
 * AF_INET6: 16), port in network order. 1 (refuse) after counting and
 * reporting, else 0. proto is the socket's protocol when known.
 */
static __always_inline int enforce_net(__u16 fam, const __u8 *addr, __u16 port_be, __u16 proto, __u32 op,
				       __u32 mech, __u32 src)
{
	struct edr_enforce_cfg *c = enforce_on();
	struct edr_net_rule *r;
	struct edr_bpf_stats *st;
	struct edr_scratch *s;
	struct edr_net_denied *d;
	__u32 g;

	if (!c)
		return 0;
	g = c->gen & 1;
	if (!c->nnet[g])
		return 0;
	r = fam == EDR_AF_INET6 ? net_rule6(g, addr, port_be) : net_rule4(g, addr, port_be);
	if (!r)
		return 0;
	st = stats_get();
	if (st)
		st->net_denied++;
	if (!wanted_cur() || !(s = scratch_get()))
		return 1;
	d = (void *)s->rec;
	fill_task_cur(&d->net.task);
	d->net.flags = EDR_NET_SADDR_UNKNOWN;
	d->net.ret = -EDR_EPERM;
	d->net.family = fam;
	d->net.protocol = proto;
	d->net.sport = 0;
	d->net.dport = bpf_ntohs(port_be);
	__builtin_memset(d->net.saddr, 0, 16);
	__builtin_memset(d->net.daddr, 0, 16);
	if (fam == EDR_AF_INET6)
		__builtin_memcpy(d->net.daddr, addr, 16);
	else
		__builtin_memcpy(d->net.daddr, addr, 4);
	d->net.sock_ino = 0;
	deny_fill(&d->deny, r->rule, mech, op, g);
	emit(d, EDR_EVENT_NET_DENIED, sizeof(*d), src);
	return 1;
}

/* cgroup/connect4|6, cgroup/sendmsg4|6: 1 allows, 0 refuses (EPERM). */
static __always_inline int enforce_sock_addr(struct bpf_sock_addr *ctx, int v6, __u32 op)
{
	__u8 addr[16];
	__u32 a[4];

	if (v6) {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		__builtin_memcpy(addr, a, 16);
	} else {
		a[0] = ctx->user_ip4;
		__builtin_memcpy(addr, a, 4);
	}
	return !enforce_net(v6 ? EDR_AF_INET6 : EDR_AF_INET, addr, (__u16)ctx->user_port, ctx->protocol, op,
			    EDR_MECH_CGROUP, EDR_SRC_CGROUP);
}

/* lsm/socket_connect, lsm/socket_sendmsg: 0 or -EPERM. addr is a kernel
 * sockaddr (the caller's, already copied in). */
static __always_inline int enforce_lsm_sock(struct socket *sock, void *addr, __u32 op)
{
	struct net_sa sa = {};
	__u16 proto;

	if (!addr || net_sa_read(&sa, addr, 0))
		return 0;
	proto = BPF_CORE_READ(sock, sk, sk_protocol);
	if (sa.family == EDR_AF_INET6)
		return enforce_net(EDR_AF_INET6, sa.v6, sa.port, proto, op, EDR_MECH_LSM, EDR_SRC_LSM) ?
		       -EDR_EPERM : 0;
	return enforce_net(EDR_AF_INET, (__u8 *)&sa.v4, sa.port, proto, op, EDR_MECH_LSM, EDR_SRC_LSM) ?
	       -EDR_EPERM : 0;
}

/* ---- file ---- */

/* lsm/file_open: an open for write of a listed file fails with EPERM. */
static __always_inline int enforce_file_open(struct file *file)
{
	struct edr_enforce_cfg *c;
	struct edr_file_key key = {};
	struct edr_file_denied *d;
	struct edr_bpf_stats *st;
	struct edr_scratch *s;
	struct inode *inode;
	__u32 *rule, g, off, kind = 0;
	int trunc = 0;

	if (!(BPF_CORE_READ(file, f_mode) & EDR_FMODE_WRITE))
		return 0;
	c = enforce_on();
	if (!c)
		return 0;
	g = c->gen & 1;
	if (!c->nfile[g])
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	key.ino = BPF_CORE_READ(inode, i_ino);
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.gen = g;
	rule = bpf_map_lookup_elem(&deny_open, &key);
	if (!rule)
		return 0;
	st = stats_get();
	if (st)
		st->file_denied++;
	if (!wanted_cur() || !(s = scratch_get()))
		return -EDR_EPERM;
	d = (void *)s->rec;
	__builtin_memset(&d->file.flags, 0, sizeof(*d) - __builtin_offsetof(struct edr_file, flags));
	fill_task_cur(&d->file.task);
	d->file.ret = -EDR_EPERM;
	d->file.open_flags = BPF_CORE_READ(file, f_flags);
	d->file.mode = BPF_CORE_READ(inode, i_mode);
	d->file.uid = BPF_CORE_READ(inode, i_uid.val);
	d->file.gid = BPF_CORE_READ(inode, i_gid.val);
	d->file.dev = key.dev;
	d->file.ino = key.ino;
	d->file.dirfd = -1;
	d->file.old_dirfd = -1;
	deny_fill(&d->deny, *rule, EDR_MECH_LSM, EDR_DENY_OP_OPEN_WRITE, g);
	off = sizeof(*d);
	d->file.path_len = put_file_path(s, &off, file, &trunc, &kind);
	if (trunc)
		d->file.flags |= EDR_FILE_PATH_TRUNC;
	emit(d, EDR_EVENT_FILE_DENIED, off, EDR_SRC_LSM);
	return -EDR_EPERM;
}

/* ---- isolation ---- */

/* Whether the allow-list lets traffic with peer (16 bytes, IPv4 mapped)
 * through: an entry for the remote port, the local port, or every port. */
static __always_inline int iso_allowed(const __u8 *peer, __u16 rport_be, __u16 lport_be)
{
	struct edr_iso_key k = { .prefixlen = 16 + 128, .port = rport_be };

	__builtin_memcpy(k.addr, peer, 16);
	if (rport_be && bpf_map_lookup_elem(&isolate_allow, &k))
		return 1;
	k.port = lport_be;
	if (lport_be && bpf_map_lookup_elem(&isolate_allow, &k))
		return 1;
	k.port = 0;
	return bpf_map_lookup_elem(&isolate_allow, &k) != NULL;
}

/* Source and destination ports of a TCP or UDP header at off. */
static __always_inline void iso_ports(struct __sk_buff *skb, __u32 off, __u16 *sport, __u16 *dport)
{
	__u16 p[2];

	if (bpf_skb_load_bytes(skb, off, p, sizeof(p)) < 0)
		return;
	*sport = p[0];
	*dport = p[1];
}

/*
 * cgroup_skb/ingress and egress while isolated: 1 passes, 0 drops. Passed:
 * the lo interface, 127.0.0.0/8 and ::1 either way, IPv6 neighbour
 * discovery (else no peer on the allow-list could be reached over IPv6),
 * and peers on the allow-list. The packet starts at its network header.
 */
static __always_inline int isolate_pass(struct __sk_buff *skb, int ingress)
{
	__u16 sport = 0, dport = 0;
	__u8 peer[16] = {};
	__u8 proto;

	if (ingress && skb->ifindex == 1) /* LOOPBACK_IFINDEX in every namespace */
		return 1;
	if (skb->protocol == bpf_htons(EDR_ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
			return 0;
		if ((ip.saddr & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000) ||
		    (ip.daddr & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000))
			return 1;
		proto = ip.protocol;
		if ((proto == EDR_IPPROTO_TCP || proto == EDR_IPPROTO_UDP) &&
		    !(ip.frag_off & bpf_htons(0x1fff)))
			iso_ports(skb, (ip.ihl & 0xf) * 4, &sport, &dport);
		peer[10] = 0xff;
		peer[11] = 0xff;
		__builtin_memcpy(peer + 12, ingress ? &ip.saddr : &ip.daddr, 4);
	} else if (skb->protocol == bpf_htons(EDR_ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0)
			return 0;
		if (is_loopback6((__u8 *)&ip6.saddr) || is_loopback6((__u8 *)&ip6.daddr))
			return 1;
		proto = ip6.nexthdr;
		if (proto == EDR_IPPROTO_ICMPV6) {
			__u8 type = 0;

			bpf_skb_load_bytes(skb, sizeof(ip6), &type, 1);
			if (type >= 133 && type <= 137)
				return 1;
		}
		if (proto == EDR_IPPROTO_TCP || proto == EDR_IPPROTO_UDP)
			iso_ports(skb, sizeof(ip6), &sport, &dport);
		__builtin_memcpy(peer, ingress ? (void *)&ip6.saddr : (void *)&ip6.daddr, 16);
	} else {
		return 0;
	}
	return ingress ? iso_allowed(peer, sport, dport) : iso_allowed(peer, dport, sport);
}

#endif /* EDR_ENFORCE_BPF_H */
