/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Probing the running kernel: what BPF program types and hooks it really
 * accepts, decided by trial (load and attach), never by version number.
 */
#ifndef EDR_PROBE_H
#define EDR_PROBE_H

#include <stdio.h>

enum edr_cap {
	EDR_CAP_BTF,        /* /sys/kernel/btf/vmlinux readable */
	EDR_CAP_RINGBUF,    /* BPF_MAP_TYPE_RINGBUF */
	EDR_CAP_RAW_TP,     /* raw tracepoint programs attach */
	EDR_CAP_TP_BTF,     /* BTF-typed tracepoints attach */
	EDR_CAP_TRACEPOINT, /* tracefs tracepoint events present */
	EDR_CAP_LSM_ACTIVE, /* "bpf" in securityfs' lsm list */
	EDR_CAP_LSM,        /* an LSM program loads and attaches */
	EDR_CAP_FENTRY,     /* an fentry program loads and attaches */
	EDR_CAP_KPROBE,     /* a kprobe can be created */
	EDR_CAP_SYSCALL_TP, /* syscalls:sys_enter_* tracepoints (CONFIG_FTRACE_SYSCALLS) */
	EDR_CAP_CGROUP_SOCK_ADDR, /* a cgroup/connect4 program attaches to the cgroup2 root */
	EDR_CAP_CGROUP_SKB, /* a cgroup_skb/egress program attaches to the cgroup2 root */
	EDR_CAP__COUNT,
};

struct edr_probe {
	int ok[EDR_CAP__COUNT];            /* 1 available, 0 not */
	char detail[EDR_CAP__COUNT][160];  /* why, either way */
	char kernel[128];                  /* uname release */
};

const char *edr_cap_name(enum edr_cap cap);

/* Runs every probe. Needs the privileges the sensor needs; never fails. */
void edr_probe__run(struct edr_probe *p);

/* Whether tracefs has event ("category/name"), in /sys/kernel/tracing or
 * its old place under debugfs (libbpf looks in both); access(2) mode. On
 * 0, errno is from the last place tried. */
int edr_tracefs_has(const char *event, int mode);

/* The cgroup2 root the sensor attaches cgroup programs to: /sys/fs/cgroup,
 * or /sys/fs/cgroup/unified on a hybrid hierarchy; NULL when neither is
 * cgroup2. */
const char *edr_cgroup2_root(void);

/* 0 when this process may load BPF (CAP_BPF or CAP_SYS_ADMIN), else -EPERM. */
int edr_probe__privileged(void);

#endif /* EDR_PROBE_H */
