/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Privilege hooks: credential changes, ptrace attach, process_vm_writev.
 * Three features, each with its attach paths in the loader's order of
 * preference (first kernel with each):
 *
 *   cred:
 *     lsm (5.7; task_fix_setgid 5.10, optional): lsm/task_fix_setuid,
 *       lsm/task_fix_setgid and lsm/capset see old and new creds before
 *       commit (EDR_CRED_ATTEMPT). They never see an exec.
 *     fentry (5.5) / kprobe: commit_creds, which every credential change
 *       goes through, exec included: a setuid exec is reported with
 *       EDR_CRED_EXEC, a plain exec (unchanged creds) produces nothing. The
 *       syscall comes from the saved user registers (bpf_task_pt_regs 5.15
 *       on bpf_get_current_task_btf 5.11).
 *     tracepoint: syscalls:sys_enter_* of set{,re,res}{u,g}id, setfs{u,g}id
 *       and capset save the old creds per thread, sys_exit_* compares them
 *       with the new ones. No exec.
 *   Every path reports only when an id or a capability set differs, so a
 *   setuid() to the current id is silent everywhere.
 *
 *   ptrace:
 *     lsm: lsm/ptrace_access_check with PTRACE_MODE_ATTACH, kept only when
 *       the current syscall is ptrace(2) with PTRACE_ATTACH or PTRACE_SEIZE
 *       (the hook also fires for /proc/PID/mem, process_vm_*, pidfd_getfd,
 *       which it drops), and lsm/ptrace_traceme. Attempts.
 *     fentry: fexit/ptrace_attach, fexit/ptrace_traceme (with the result).
 *     kprobe: kprobe/ptrace_attach, kprobe/ptrace_traceme (attempts).
 *       Both functions are static in kernel/ptrace.c: out of line in the
 *       6.1, 6.12 and 6.18 builds checked; a kernel that inlines them
 *       refuses these paths at load or attach and the loader falls back.
 *     tracepoint: sys_enter/exit_ptrace; on success the tracee is the head
 *       of the tracer thread's ptraced list (checked against the pid asked
 *       for; a tracee already gone is reported by the pid as given).
 *
 *   process_vm_writev (vm_write):
 *     lsm: lsm/ptrace_access_check while the current syscall is
 *       process_vm_writev (mm_access() asks for PTRACE_MODE_ATTACH_REALCREDS).
 *       An attempt; the target task is known.
 *     fentry: fexit on the architecture's process_vm_writev syscall wrapper
 *       (EDR_SYSCALL_SEC in bpf/arch.bpf.h; process_vm_rw itself has 7
 *       arguments, more than a 6.1 trampoline takes), kprobe (4.17, libbpf's
 *       ksyscall): ksyscall/process_vm_writev, the same wrapper at entry.
 *       Both only know the pid as the caller gave it.
 *     tracepoint: sys_enter/exit_process_vm_writev, the same.
 *
 * The syscall numbers and the register that holds the current one are the
 * architecture's (bpf/arch.bpf.h). 32-bit compat syscalls are not
 * recognised by the syscall-number tests.
 */
#ifndef EDR_PRIV_BPF_H
#define EDR_PRIV_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "arch.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"

/* include/linux/ptrace.h, include/linux/security.h */
#define EDR_PTRACE_MODE_ATTACH 0x02
#define EDR_LSM_SETID_ID  1
#define EDR_LSM_SETID_RE  2
#define EDR_LSM_SETID_RES 4
#define EDR_LSM_SETID_FS  8

/* kernel_cap_t is { u32 cap[2] } before 6.3 and { u64 val } after: the
 * same 8 little-endian bytes, read as a blob. */
static __always_inline __u64 cap_read(const void *cap)
{
	__u64 v = 0;

	if (bpf_probe_read_kernel(&v, sizeof(v), cap) < 0)
		count_read_error();
	return v;
}

static __always_inline void ids_fill(struct edr_ids *d, const struct cred *c)
{
	d->uid = BPF_CORE_READ(c, uid.val);
	d->euid = BPF_CORE_READ(c, euid.val);
	d->suid = BPF_CORE_READ(c, suid.val);
	d->fsuid = BPF_CORE_READ(c, fsuid.val);
	d->gid = BPF_CORE_READ(c, gid.val);
	d->egid = BPF_CORE_READ(c, egid.val);
	d->sgid = BPF_CORE_READ(c, sgid.val);
	d->fsgid = BPF_CORE_READ(c, fsgid.val);
	d->cap_effective = cap_read(__builtin_preserve_access_index(&c->cap_effective));
	d->cap_permitted = cap_read(__builtin_preserve_access_index(&c->cap_permitted));
	d->cap_inheritable = cap_read(__builtin_preserve_access_index(&c->cap_inheritable));
}

static __always_inline int ids_same(const struct edr_ids *a, const struct edr_ids *b)
{
	return a->uid == b->uid && a->euid == b->euid && a->suid == b->suid && a->fsuid == b->fsuid &&
	       a->gid == b->gid && a->egid == b->egid && a->sgid == b->sgid && a->fsgid == b->fsgid &&
	       a->cap_effective == b->cap_effective && a->cap_permitted == b->cap_permitted &&
	       a->cap_inheritable == b->cap_inheritable;
}

/* The current task's saved user registers: bpf_task_pt_regs wants a BTF
 * task pointer, which only bpf_get_current_task_btf (5.11) gives. */
static __always_inline struct pt_regs *cur_regs(void)
{
	return (void *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* The syscall the current task is in. */
static __always_inline long cur_syscall(void)
{
	return EDR_REGS_SYSCALL_NR(cur_regs());
}

static __always_inline __u32 cred_sys_code(long nr)
{
	switch (nr) {
	case EDR_NR_SETUID: return EDR_CRED_SYS_SETUID;
	case EDR_NR_SETGID: return EDR_CRED_SYS_SETGID;
	case EDR_NR_SETREUID: return EDR_CRED_SYS_SETREUID;
	case EDR_NR_SETREGID: return EDR_CRED_SYS_SETREGID;
	case EDR_NR_SETRESUID: return EDR_CRED_SYS_SETRESUID;
	case EDR_NR_SETRESGID: return EDR_CRED_SYS_SETRESGID;
	case EDR_NR_SETFSUID: return EDR_CRED_SYS_SETFSUID;
	case EDR_NR_SETFSGID: return EDR_CRED_SYS_SETFSGID;
	case EDR_NR_CAPSET: return EDR_CRED_SYS_CAPSET;
	case EDR_NR_EXECVE:
	case EDR_NR_EXECVEAT: return EDR_CRED_SYS_EXECVE;
	}
	return EDR_CRED_SYS_OTHER;
}

/*
 * Sends a credential record when old and new differ. The record is built
 * in the per-CPU scratch: two edr_ids on the stack would be most of it.
 */
static __always_inline int cred_emit(struct task_struct *task, const struct edr_ids *old,
				     const struct edr_ids *new, __u32 sys, __u32 flags, __s32 ret,
				     __u32 src)
{
	struct edr_scratch *s;
	struct edr_cred *e;

	if (ids_same(old, new))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = (void *)s->rec;
	fill_task(&e->task, task);
	e->flags = flags;
	e->ret = ret;
	e->syscall = sys;
	e->_pad0 = 0;
	e->old_ids = *old;
	e->new_ids = *new;
	emit(e, EDR_EVENT_CRED_CHANGE, sizeof(*e), src);
	return 0;
}

/* A cred pair (LSM hooks, commit_creds): new is not yet current. */
static __always_inline int cred_pair(const struct cred *new, const struct cred *old, __u32 sys,
				     __u32 flags, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_ids o, n;

	if (!wanted(task))
		return 0;
	ids_fill(&o, old);
	ids_fill(&n, new);
	return cred_emit(task, &o, &n, sys, flags, 0, src);
}

static __always_inline __u32 lsm_setid_code(int flags, int gid)
{
	if (flags & EDR_LSM_SETID_RES)
		return gid ? EDR_CRED_SYS_SETRESGID : EDR_CRED_SYS_SETRESUID;
	if (flags & EDR_LSM_SETID_RE)
		return gid ? EDR_CRED_SYS_SETREGID : EDR_CRED_SYS_SETREUID;
	if (flags & EDR_LSM_SETID_FS)
		return gid ? EDR_CRED_SYS_SETFSGID : EDR_CRED_SYS_SETFSUID;
	return gid ? EDR_CRED_SYS_SETGID : EDR_CRED_SYS_SETUID;
}

/* lsm/capset: the requested sets are the hook's arguments; reading them
 * does not depend on commoncap having copied them into new already. */
static __always_inline int lsm_capset(const struct cred *new, const struct cred *old,
				      const void *eff, const void *inh, const void *prm)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_ids o, n;

	if (!wanted(task))
		return 0;
	ids_fill(&o, old);
	ids_fill(&n, new);
	n.cap_effective = cap_read(eff);
	n.cap_inheritable = cap_read(inh);
	n.cap_permitted = cap_read(prm);
	return cred_emit(task, &o, &n, EDR_CRED_SYS_CAPSET, EDR_CRED_ATTEMPT, 0, EDR_SRC_LSM);
}

/* fentry/kprobe on commit_creds: current's creds are still the old ones. */
static __always_inline int on_commit_creds(const struct cred *new, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 sys, fl = 0;

	if (!wanted(task))
		return 0;
	sys = cred_sys_code(cur_syscall());
	if (sys == EDR_CRED_SYS_EXECVE)
		fl |= EDR_CRED_EXEC;
	return cred_pair(new, BPF_CORE_READ(task, real_cred), sys, fl, src);
}

/* ---- cred: tracepoint path ---- */

struct cred_args {
	struct edr_ids old;
	__u32 sys;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct cred_args);
} cred_args SEC(".maps");

static __always_inline int cred_enter(__u32 sys)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct cred_args a = { .sys = sys };

	if (!wanted(task))
		return 0;
	ids_fill(&a.old, BPF_CORE_READ(task, real_cred));
	bpf_map_update_elem(&cred_args, &id, &a, BPF_ANY);
	return 0;
}

/* setfsuid/setfsgid return the previous id, never an error: the compare
 * decides for them as for the others. */
static __noinline int cred_exit(long ret, __u32 sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct cred_args *p;
	struct edr_ids n;
	int r = 0;

	p = bpf_map_lookup_elem(&cred_args, &id);
	if (!p)
		return 0;
	if (ret >= 0 && p->sys == sys) {
		task = (void *)bpf_get_current_task();
		ids_fill(&n, BPF_CORE_READ(task, real_cred));
		r = cred_emit(task, &p->old, &n, sys, 0,
			      sys == EDR_CRED_SYS_SETFSUID || sys == EDR_CRED_SYS_SETFSGID ? 0 : ret,
			      EDR_SRC_TRACEPOINT);
	}
	bpf_map_delete_elem(&cred_args, &id);
	return r;
}

/* ---- ptrace ---- */

/*
 * The process a ptrace or process_vm_writev record acts on: its pid, tgid
 * and comm when the hook has its task; else only the pid the caller gave
 * (tgid 0, comm empty). Returns 0 in that second case.
 */
static __always_inline int target_fill(struct task_struct *target, __u32 as_given, __u32 *pid,
				       __u32 *tgid, char *comm)
{
	__builtin_memset(comm, 0, EDR_COMM_LEN);
	if (!target) {
		*pid = as_given;
		*tgid = 0;
		return 0;
	}
	*pid = BPF_CORE_READ(target, pid);
	*tgid = BPF_CORE_READ(target, tgid);
	if (bpf_probe_read_kernel_str(comm, EDR_COMM_LEN, &target->comm) < 0)
		comm[0] = 0;
	return 1;
}

/* target NULL: only the pid the caller gave (as_given) is known. */
static __always_inline int ptrace_emit(struct task_struct *task, struct task_struct *target,
				       __u32 tracer_tgid, __u64 request, __u32 flags, __s32 ret,
				       __u32 as_given, __u32 src)
{
	struct edr_scratch *s;
	struct edr_ptrace *e;

	s = scratch_get();
	if (!s)
		return 0;
	e = (void *)s->rec;
	fill_task(&e->task, task);
	e->flags = flags;
	e->ret = ret;
	e->request = request;
	e->tracer_tgid = tracer_tgid;
	e->_pad0 = 0;
	if (!target_fill(target, as_given, &e->target_pid, &e->target_tgid, e->target_comm))
		e->flags |= EDR_PTRACE_TARGET_AS_GIVEN;
	emit(e, EDR_EVENT_PTRACE, sizeof(*e), src);
	return 0;
}

/* A task's pid number as seen from the pid namespace at level (the
 * caller's), 0 when the task is not in it. */
static __always_inline __u32 task_vpid(struct task_struct *t, __u32 level)
{
	struct pid *pid = BPF_CORE_READ(t, thread_pid);
	struct upid up = {};

	if (!pid || BPF_CORE_READ(pid, level) < level || level > 31)
		return 0;
	if (bpf_probe_read_kernel(&up, sizeof(up), (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				  (level & 31) * sizeof(struct upid)) < 0)
		return 0;
	return up.nr;
}

static __always_inline int ptrace_wanted_request(__u64 req)
{
	return req == EDR_PTRACE_ATTACH || req == EDR_PTRACE_SEIZE;
}

/* fentry/kprobe ptrace_attach(task, request, ...): current is the tracer. */
static __always_inline int on_ptrace_attach(struct task_struct *target, __u64 request, __u32 flags,
					    __s32 ret, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	if (!ptrace_wanted_request(request) || !wanted(task))
		return 0;
	return ptrace_emit(task, target, BPF_CORE_READ(task, tgid), request, flags, ret, 0, src);
}

/* TRACEME: the caller is the tracee, its real parent the tracer. */
static __always_inline int on_ptrace_traceme(__u32 flags, __s32 ret, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	if (!wanted(task))
		return 0;
	return ptrace_emit(task, task, BPF_CORE_READ(task, real_parent, tgid), EDR_PTRACE_TRACEME,
			   flags, ret, 0, src);
}

struct ptrace_args {
	__u64 request;
	__u32 pid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct ptrace_args);
} ptrace_args SEC(".maps");

/* Every other request (PEEK, CONT, GETREGS, ...) is dropped here, first. */
static __always_inline int ptrace_enter(__u64 request, __u32 pid)
{
	__u64 id;
	struct ptrace_args a = { .request = request, .pid = pid };

	if (request != EDR_PTRACE_TRACEME && !ptrace_wanted_request(request))
		return 0;
	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	id = bpf_get_current_pid_tgid();
	bpf_map_update_elem(&ptrace_args, &id, &a, BPF_ANY);
	return 0;
}

static __noinline int ptrace_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task, *target;
	struct ptrace_args *p;
	struct list_head *head, *first;
	__u32 pid;
	__u64 req;

	p = bpf_map_lookup_elem(&ptrace_args, &id);
	if (!p)
		return 0;
	req = p->request;
	pid = p->pid;
	bpf_map_delete_elem(&ptrace_args, &id);
	if (ret < 0)
		return 0;
	task = (void *)bpf_get_current_task();
	if (req == EDR_PTRACE_TRACEME)
		return on_ptrace_traceme(0, 0, EDR_SRC_TRACEPOINT);
	/* ptrace_link() puts the new tracee at the head of this thread's list;
	 * it is the one asked for unless it has already gone (exited and been
	 * unlinked), which the pid, compared in the caller's namespace, tells. */
	target = NULL;
	head = __builtin_preserve_access_index(&task->ptraced);
	first = BPF_CORE_READ(task, ptraced.next);
	if (first && first != head) {
		target = (void *)((char *)first - bpf_core_field_offset(struct task_struct, ptrace_entry));
		if (task_vpid(target, BPF_CORE_READ(task, thread_pid, level)) != pid)
			target = NULL;
	}
	return ptrace_emit(task, target, BPF_CORE_READ(task, tgid), req, 0, 0, pid, EDR_SRC_TRACEPOINT);
}

/* ---- process_vm_writev ---- */

struct edr_iovec {
	__u64 base;
	__u64 len;
};

/* Sum of the first EDR_VM_IOV_MAX local iov_len (user memory). */
static __always_inline __u64 iov_bytes(const void *lvec, __u64 cnt, __u32 *flags)
{
	struct edr_iovec v;
	__u64 sum = 0;
	int i;

	if (cnt > EDR_VM_IOV_MAX)
		*flags |= EDR_VM_IOV_TRUNC;
	for (i = 0; i < EDR_VM_IOV_MAX; i++) {
		if (i >= cnt)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (const char *)lvec + i * sizeof(v)) < 0) {
			*flags |= EDR_VM_IOV_TRUNC;
			break;
		}
		sum += v.len;
	}
	return sum;
}

/* target NULL: only the pid as given is known. */
static __always_inline int vm_emit(struct task_struct *task, struct task_struct *target, __u32 pid,
				   const void *lvec, __u64 liovcnt, __u64 riovcnt, __u32 flags, __s64 ret,
				   __u32 src)
{
	struct edr_scratch *s;
	struct edr_vm_write *e;

	s = scratch_get();
	if (!s)
		return 0;
	e = (void *)s->rec;
	fill_task(&e->task, task);
	e->flags = flags;
	e->_pad0 = 0;
	e->liovcnt = liovcnt;
	e->riovcnt = riovcnt;
	e->bytes_req = iov_bytes(lvec, liovcnt, &e->flags);
	e->ret = ret;
	if (!target_fill(target, pid, &e->target_pid, &e->target_tgid, e->target_comm))
		e->flags |= EDR_VM_TARGET_AS_GIVEN;
	emit(e, EDR_EVENT_PROC_VM_WRITE, sizeof(*e), src);
	return 0;
}

/* process_vm_writev(pid, lvec, liovcnt, rvec, riovcnt, flags) at the
 * syscall wrapper (fexit) or its ksyscall kprobe: only the pid as given. */
static __always_inline int vm_call(__u32 pid, const void *lvec, __u64 liovcnt, __u64 riovcnt,
				   __u32 flags, __s64 ret, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	if (!wanted(task))
		return 0;
	return vm_emit(task, NULL, pid, lvec, liovcnt, riovcnt, flags, ret, src);
}

struct vm_args {
	__u64 lvec;
	__u64 liovcnt;
	__u64 riovcnt;
	__u32 pid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct vm_args);
} vm_args SEC(".maps");

static __always_inline int vm_enter(__u32 pid, __u64 lvec, __u64 liovcnt, __u64 riovcnt)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vm_args a = { .lvec = lvec, .liovcnt = liovcnt, .riovcnt = riovcnt, .pid = pid };

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	bpf_map_update_elem(&vm_args, &id, &a, BPF_ANY);
	return 0;
}

static __noinline int vm_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vm_args *p, a;

	p = bpf_map_lookup_elem(&vm_args, &id);
	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&vm_args, &id);
	if (ret < 0)
		return 0;
	return vm_emit((void *)bpf_get_current_task(), NULL, a.pid, (void *)a.lvec, a.liovcnt, a.riovcnt,
		       0, ret, EDR_SRC_TRACEPOINT);
}

/*
 * lsm/ptrace_access_check: one hook, two features. Only an ATTACH mode is
 * looked at; then the current syscall says whether this is ptrace(2)
 * (ptrace feature) or process_vm_writev (vm_write feature). Anything else
 * (/proc/PID/mem, process_vm_readv, pidfd_getfd) is dropped.
 */
static __always_inline int lsm_ptrace_check(struct task_struct *child, __u32 mode, int vm)
{
	struct task_struct *task;
	struct pt_regs *regs;
	long nr;

	if (!(mode & EDR_PTRACE_MODE_ATTACH))
		return 0;
	task = (void *)bpf_get_current_task();
	if (!wanted(task))
		return 0;
	regs = cur_regs();
	nr = EDR_REGS_SYSCALL_NR(regs);
	if (vm) {
		if (nr != EDR_NR_PROCESS_VM_WRITEV)
			return 0;
		return vm_emit(task, child, 0, (void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
			       PT_REGS_PARM3_CORE_SYSCALL(regs), PT_REGS_PARM5_CORE_SYSCALL(regs),
			       EDR_VM_ATTEMPT, 0, EDR_SRC_LSM);
	}
	if (nr != EDR_NR_PTRACE)
		return 0;
	return on_ptrace_attach(child, PT_REGS_PARM1_CORE_SYSCALL(regs), EDR_PTRACE_ATTEMPT, 0,
				EDR_SRC_LSM);
}

#endif /* EDR_PRIV_BPF_H */
