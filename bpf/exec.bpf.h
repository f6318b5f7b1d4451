/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Process hooks.
 *   exec:    tp_btf/sched_process_exec (5.5), raw_tp/sched_process_exec (4.17)
 *   fork:    tp_btf/sched_process_fork (5.5), raw_tp/sched_process_fork (4.17)
 *   exit:    tp_btf/sched_process_exit (5.5), raw_tp/sched_process_exit (4.17)
 *   enforce: lsm/bprm_check_security (5.7, needs the BPF LSM active), or
 *            kill-at-exec on tp_btf/raw_tp sched_process_exec (bpf_send_signal 5.3):
 *            maps and lookups in enforce.bpf.h
 * The tp_btf and raw_tp wrappers share these bodies; the loader keeps one.
 */
#ifndef EDR_EXEC_BPF_H
#define EDR_EXEC_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "enforce.bpf.h"
#include "path.bpf.h"
#include "task.bpf.h"

/* argv from the new mm: at sched_process_exec it is already in place. */
static __always_inline __u16 put_argv(struct edr_scratch *s, __u32 *off, struct task_struct *task,
				      __u32 *flags)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long n = end - start;

	if (end <= start)
		return 0;
	if (n > EDR_ARGV_MAX) {
		n = EDR_ARGV_MAX;
		*flags |= EDR_EXEC_ARGV_TRUNC;
	}
	if (bpf_probe_read_user(&s->rec[*off & EDR_TAIL_OFF_MASK], n & (EDR_ARGV_MAX * 2 - 1),
				(void *)start) < 0) {
		count_read_error();
		return 0;
	}
	/* Always NUL-terminated, truncated or not. */
	s->rec[(*off + n - 1) & (EDR_REC_BUF - 1)] = 0;
	*off += n;
	return n;
}

/* Common exec record: task, filename, resolved path, cwd; the tail starts
 * at off (the size of the fixed part). Returns the tail offset. */
static __always_inline __u32 exec_fill(struct edr_scratch *s, struct task_struct *task,
				       struct linux_binprm *bprm, __u32 off)
{
	struct edr_exec *e = (void *)s->rec;
	struct file *file = BPF_CORE_READ(bprm, file);
	struct path path;
	__u32 kind = 0;
	int trunc = 0;

	fill_task(&e->task, task);
	e->flags = 0;
	e->argc = BPF_CORE_READ(bprm, argc);
	e->ino = BPF_CORE_READ(file, f_inode, i_ino);
	e->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	e->filename_len = put_kstr(s, &off, BPF_CORE_READ(bprm, filename), &trunc);
	if (trunc)
		e->flags |= EDR_EXEC_FILENAME_TRUNC;
	trunc = 0;
	e->path_len = put_file_path(s, &off, file, &trunc, &kind);
	if (trunc)
		e->flags |= EDR_EXEC_PATH_TRUNC;
	e->flags |= kind;
	if (bpf_probe_read_kernel(&path, sizeof(path), &BPF_CORE_READ(task, fs)->pwd) < 0) {
		count_read_error();
		e->cwd_len = 0;
	} else {
		e->cwd_len = put_path(s, &off, &path, &trunc);
		if (trunc)
			e->flags |= EDR_EXEC_CWD_TRUNC;
	}
	e->argv_len = 0;
	return off;
}

/* src: EDR_SRC_TP_BTF or EDR_SRC_RAW_TP, the wrapper's attach path. */
static __always_inline int on_exec(struct task_struct *task, __u32 old_pid, struct linux_binprm *bprm,
				   __u32 src)
{
	struct edr_scratch *s;
	struct edr_exec *e;
	__u32 off, flags = 0, gen;
	int hit;

	if (!wanted(task))
		return 0;
	/* Killed at this exec: the kill program reports it as EXEC_DENIED. */
	enforce_exec_rule(BPF_CORE_READ(bprm, file), EDR_CFG_EXEC_KILL, &gen, &hit);
	if (hit)
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = (void *)s->rec;
	off = exec_fill(s, task, bprm, sizeof(*e));
	e->old_pid = old_pid;
	e->argv_len = put_argv(s, &off, task, &flags);
	e->flags |= flags;
	emit(e, EDR_EVENT_EXEC, off, src);
	return 0;
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child, __u32 src)
{
	struct edr_scratch *s;
	struct edr_fork *f;

	/* Threads are not processes: only report a new thread group. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (!wanted(child))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	f = (void *)s->rec;
	fill_task(&f->task, child);
	f->parent_pid = BPF_CORE_READ(parent, pid);
	f->parent_tgid = BPF_CORE_READ(parent, tgid);
	f->child_pid = f->task.pid;
	f->child_tgid = f->task.tgid;
	emit(f, EDR_EVENT_FORK, sizeof(*f), src);
	return 0;
}

static __always_inline int on_exit(struct task_struct *task, __u32 src)
{
	struct edr_scratch *s;
	struct edr_exit *x;

	/* Report the process once, when its last thread is gone. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	x = (void *)s->rec;
	fill_task(&x->task, task);
	x->exit_code = BPF_CORE_READ(task, exit_code);
	x->_pad0 = 0;
	emit(x, EDR_EVENT_EXIT, sizeof(*x), src);
	return 0;
}

/* The EXEC_DENIED record: the exec part, the denial, argv when asked. */
static __always_inline void exec_denied_emit(struct task_struct *task, struct linux_binprm *bprm,
					     __u32 old_pid, __u32 rule, __u32 gen, __u32 mech,
					     int argv, __u32 src)
{
	struct edr_scratch *s = scratch_get();
	struct edr_exec_denied *d;
	__u32 off, flags = 0;

	if (!s || !wanted(task))
		return;
	d = (void *)s->rec;
	off = exec_fill(s, task, bprm, sizeof(*d));
	d->exec.old_pid = old_pid;
	if (argv)
		d->exec.argv_len = put_argv(s, &off, task, &flags);
	d->exec.flags |= flags;
	deny_fill(&d->deny, rule, mech, EDR_DENY_OP_EXEC, gen);
	emit(d, EDR_EVENT_EXEC_DENIED, off, src);
}

/* lsm/bprm_check_security in EDR_CFG_EXEC_LSM: 1 refuses the exec. */
static __always_inline int on_bprm_check(struct linux_binprm *bprm)
{
	struct task_struct *task = (void *)bpf_get_current_task_btf();
	struct edr_bpf_stats *st;
	__u32 rule, gen;
	int hit;

	rule = enforce_exec_rule(BPF_CORE_READ(bprm, file), EDR_CFG_EXEC_LSM, &gen, &hit);
	if (!hit)
		return 0;
	st = stats_get();
	if (st)
		st->denied++;
	exec_denied_emit(task, bprm, BPF_CORE_READ(task, pid), rule, gen, EDR_MECH_LSM, 0, EDR_SRC_LSM);
	return 1;
}

/* Kill-at-exec (EDR_CFG_EXEC_KILL), on the exec tracepoint: current has
 * its new image and is killed before returning to user space. */
static __always_inline int on_exec_kill(struct task_struct *task, __u32 old_pid, struct linux_binprm *bprm,
					__u32 src)
{
	struct edr_bpf_stats *st;
	__u32 rule, gen;
	int hit;

	rule = enforce_exec_rule(BPF_CORE_READ(bprm, file), EDR_CFG_EXEC_KILL, &gen, &hit);
	if (!hit)
		return 0;
	bpf_send_signal(EDR_SIGKILL);
	st = stats_get();
	if (st)
		st->denied++;
	exec_denied_emit(task, bprm, old_pid, rule, gen, EDR_MECH_KILL_AT_EXEC, 1, src);
	return 0;
}

#endif /* EDR_EXEC_BPF_H */
