// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sensor's only BPF compilation unit: thin SEC() wrappers. The logic
 * of each hook family is in bpf/<family>.bpf.h. Program names follow
 * <hook>__<target>, so the loader can pick one of a fallback pair by name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "maps.bpf.h"
#include "compat.bpf.h"
#include "exec.bpf.h"

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf__sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp__sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf__sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp__sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

/* 6.x added a group_dead argument; only the first is used, so both match. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf__sched_process_exit, struct task_struct *p)
{
	return on_exit(p);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp__sched_process_exit, struct task_struct *p)
{
	return on_exit(p);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(lsm__bprm_check_security, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return on_bprm_check(bprm) ? -1 /* EPERM */ : 0;
}
