// SPDX-License-Identifier: GPL-2.0-only
/*
 * The net family's features (bpf/net.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_net_features[] = {
	/* accept has no LSM path: security_socket_accept runs before a peer exists. */
	{ "net_connect", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__socket_connect)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__inet_stream_connect),
			EDR_PROG(fexit__inet_dgram_connect)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__inet_stream_connect),
			EDR_PROG(kprobe__inet_dgram_connect)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_connect)),
	} },
	{ "net_accept", {
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__inet_accept)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kretprobe__inet_csk_accept)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_accept4),
			EDR_PROG(tracepoint__sys_exit_accept)),
	} },
	{ "net_bind", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__socket_bind),
			EDR_PROG(lsm__socket_listen)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__inet_bind),
			EDR_PROG(fexit__inet6_bind), EDR_PROG(fexit__inet_listen)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__inet_bind),
			EDR_PROG(kprobe__inet6_bind), EDR_PROG(kprobe__inet_listen)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_bind),
			EDR_PROG(tracepoint__sys_exit_listen)),
	} },
	{ "net_send", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__socket_sendmsg)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__udp_sendmsg),
			EDR_PROG(fexit__udpv6_sendmsg)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__udp_sendmsg),
			EDR_PROG(kprobe__udpv6_sendmsg)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_sendto),
			EDR_PROG(tracepoint__sys_exit_sendmsg), EDR_PROG(tracepoint__sys_exit_sendmmsg)),
	} },
	/* Refusing a connect or send by destination (loader/enforce.h): the
	 * LSM socket hooks, else cgroup sock_addr programs on the cgroup2 root. */
	{ "net_enforce", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__enforce_connect),
			EDR_PROG(lsm__enforce_sendmsg)),
		EDR_PATH("cgroup", EDR_CAP_CGROUP_SOCK_ADDR, NOCAP,
			EDR_PROG(cgroup__connect4), EDR_PROG(cgroup__connect6),
			EDR_PROG(cgroup__sendmsg4), EDR_PROG(cgroup__sendmsg6)),
	} },
	/* Host isolation: loaded with the sensor, attached to the cgroup2 root
	 * (and pinned) only by edr_isolate__on(). */
	{ "isolate", {
		EDR_PATH("cgroup_skb", EDR_CAP_CGROUP_SKB, NOCAP,
			EDR_PROG_DEMAND(cgroup_skb__isolate_in),
			EDR_PROG_DEMAND(cgroup_skb__isolate_out)),
	} },
};
const size_t edr_net_features_n = sizeof(edr_net_features) / sizeof(edr_net_features[0]);
