/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subject part of every record (struct edr_task), read through CO-RE so
 * one object loads on every kernel with BTF.
 *
 * Hooks: none (helpers only). Needs: bpf_get_current_task_btf (5.11,
 * fill_task_cur()).
 */
#ifndef EDR_TASK_BPF_H
#define EDR_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"

/* Filled from any task, not only current: used for fork children too. */
static __always_inline void fill_task(struct edr_task *t, struct task_struct *task)
{
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	const struct cred *cred = BPF_CORE_READ(task, real_cred);

	t->pid = BPF_CORE_READ(task, pid);
	t->tgid = BPF_CORE_READ(task, tgid);
	t->ppid = BPF_CORE_READ(parent, tgid);
	t->uid = BPF_CORE_READ(cred, uid.val);
	t->gid = BPF_CORE_READ(cred, gid.val);
	t->euid = BPF_CORE_READ(cred, euid.val);
	t->egid = BPF_CORE_READ(cred, egid.val);
	/* loginuid and sessionid exist only with CONFIG_AUDITSYSCALL. */
	if (bpf_core_field_exists(task->loginuid)) {
		t->auid = BPF_CORE_READ(task, loginuid.val);
		t->sessionid = BPF_CORE_READ(task, sessionid);
	} else {
		t->auid = (__u32)-1;
		t->sessionid = (__u32)-1;
	}
	t->_pad0 = 0;
	t->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	t->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	t->parent_start_ns = BPF_CORE_READ(parent, group_leader, start_boottime);
	if (bpf_probe_read_kernel_str(t->comm, sizeof(t->comm), &task->comm) < 0)
		t->comm[0] = 0;
}

/*
 * The same for the current task, read through its BTF pointer: plain loads
 * (PROBE_MEM) instead of one helper call per field, which made up most of
 * the cost of a file event. Any program running in the task's context.
 */
static __always_inline void fill_task_cur(struct edr_task *t)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *parent = task->real_parent;
	const struct cred *cred = task->real_cred;
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = (__u32)id;
	t->tgid = id >> 32;
	t->ppid = parent->tgid;
	t->uid = cred->uid.val;
	t->gid = cred->gid.val;
	t->euid = cred->euid.val;
	t->egid = cred->egid.val;
	if (bpf_core_field_exists(task->loginuid)) {
		t->auid = task->loginuid.val;
		t->sessionid = task->sessionid;
	} else {
		t->auid = (__u32)-1;
		t->sessionid = (__u32)-1;
	}
	t->_pad0 = 0;
	t->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	t->start_ns = task->group_leader->start_boottime;
	t->parent_start_ns = parent->group_leader->start_boottime;
	if (bpf_get_current_comm(t->comm, sizeof(t->comm)) < 0)
		t->comm[0] = 0;
}

#endif /* EDR_TASK_BPF_H */
