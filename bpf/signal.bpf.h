/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Signal hooks.
 *   signal: tp_btf/signal_generate (5.5), raw_tp/signal_generate (4.17); the
 *           tracepoint and its result argument are older (3.x)
 * One process signalling another with kill, tkill, tgkill or sigqueue: the
 * tracepoint runs in the sender's context (current is the sender) once the
 * kernel has generated the signal, so a kill refused by the permission
 * check is never seen. Signals the kernel sends itself (info is
 * SEND_SIG_NOINFO or SEND_SIG_PRIV, or a si_code of its own: SIGCHLD,
 * SIGSEGV, timers) and a process's signals to itself are dropped here.
 */
#ifndef EDR_SIGNAL_BPF_H
#define EDR_SIGNAL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "task.bpf.h"

static __always_inline int on_signal_generate(int sig, struct kernel_siginfo *info, struct task_struct *task,
					      int group, int result, __u32 src)
{
	struct edr_scratch *s;
	struct edr_signal *r;
	__u32 tgid;
	int code;

	/* SEND_SIG_NOINFO (0) and SEND_SIG_PRIV (1) are not pointers. */
	if ((unsigned long)info <= 1)
		return 0;
	code = BPF_CORE_READ(info, si_code);
	if (code != EDR_SIGNAL_SI_USER && code != EDR_SIGNAL_SI_QUEUE && code != EDR_SIGNAL_SI_TKILL)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (tgid == bpf_get_current_pid_tgid() >> 32)
		return 0;
	if (!wanted_cur())
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	r = (void *)s->rec;
	fill_task_cur(&r->task);
	r->flags = group ? EDR_SIGNAL_GROUP : 0;
	r->code = code;
	r->sig = sig;
	r->result = result;
	r->target_pid = BPF_CORE_READ(task, pid);
	r->target_tgid = tgid;
	if (bpf_probe_read_kernel_str(r->target_comm, sizeof(r->target_comm), &task->comm) < 0) {
		r->target_comm[0] = 0;
		count_read_error();
	}
	emit(r, EDR_EVENT_SIGNAL, sizeof(*r), src);
	return 0;
}

#endif /* EDR_SIGNAL_BPF_H */
