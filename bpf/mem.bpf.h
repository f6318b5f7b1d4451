/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Memory hooks: memfd_create(2) and memory made writable and executable at
 * once (mmap, mprotect, pkey_mprotect). Two features, attach paths in the
 * loader's order of preference (first kernel with each):
 *
 *   memfd:
 *     fentry (5.5): fexit on the architecture's memfd_create syscall
 *       wrapper (EDR_SYSCALL_SEC in bpf/arch.bpf.h), with name, flags and
 *       the fd from the saved user registers:
 *       __do_sys_memfd_create is inlined on 6.1 although its BTF is there.
 *     kprobe (4.17, libbpf's ksyscall): ksyscall/memfd_create, the same
 *       wrapper at entry: attempts.
 *     tracepoint (4.7): syscalls:sys_enter_memfd_create keeps the
 *       arguments per thread, sys_exit_memfd_create reports with the fd.
 *   mem_wx:
 *     lsm (5.7, BPF LSM active): lsm/mmap_file (no address or length:
 *       EDR_MEM_ADDR_UNKNOWN) and lsm/file_mprotect (per mapping the change
 *       falls in: addr/len are the whole mapping, EDR_MEM_RANGE_VMA).
 *       Attempts: they run before the change.
 *     fentry (5.5): fexit/vm_mmap_pgoff (the mapped address) and
 *       fexit/do_mprotect_pkey (mprotect and pkey_mprotect), on success only.
 *     kprobe (4.x): kprobe/vm_mmap_pgoff and kprobe/do_mprotect_pkey,
 *       attempts.
 *     tracepoint (bpf_task_pt_regs 5.15): sys_exit_mmap, sys_exit_mprotect
 *       and sys_exit_pkey_mprotect only: the arguments are still in the user
 *       registers saved at entry, like open_exit() in file.bpf.h.
 *
 * mmap is frequent: every W+X program tests PROT_WRITE|PROT_EXEC first,
 * before any map access, and drops the rest.
 */
#ifndef EDR_MEM_BPF_H
#define EDR_MEM_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "path.bpf.h"
#include "task.bpf.h"

/* uapi values: the generic ones, the same on x86-64 and arm64. */
#define EDR_PROT_WRITE     0x2
#define EDR_PROT_EXEC      0x4
#define EDR_PROT_WX        (EDR_PROT_WRITE | EDR_PROT_EXEC)
#define EDR_MAP_ANONYMOUS  0x20
/* memfd_create(2) limits the name to 249 bytes (NAME_MAX - "memfd:"). */
#define EDR_MEMFD_NAME_MAX 256

/* ---- memfd_create ---- */

static __always_inline int report_memfd(const char *uname, __u32 mfd_flags, long ret, __u32 src,
					__u32 attempt)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_memfd *m;
	__u32 off;
	long n;

	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	m = (void *)s->rec;
	fill_task(&m->task, task);
	m->flags = attempt ? EDR_MEM_ATTEMPT : 0;
	m->mfd_flags = mfd_flags;
	m->ret = ret;
	m->_pad0 = 0;
	off = sizeof(*m);
	n = bpf_probe_read_user_str(&s->rec[off], EDR_MEMFD_NAME_MAX, uname);
	if (n <= 0) {
		count_read_error();
		n = 0;
	} else if (n == EDR_MEMFD_NAME_MAX) {
		m->flags |= EDR_MEM_NAME_TRUNC;
	}
	m->name_len = n;
	emit(m, EDR_EVENT_MEMFD_CREATE, off + n, src);
	return 0;
}

/* The tracepoint path's memfd_create in flight, per thread. */
struct memfd_args {
	__u64 uname;
	__u32 flags;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct memfd_args);
} memfd_args SEC(".maps");

static __always_inline int memfd_enter(const char *uname, __u32 flags)
{
	struct memfd_args a = { .uname = (__u64)uname, .flags = flags };
	__u64 id = bpf_get_current_pid_tgid();

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	bpf_map_update_elem(&memfd_args, &id, &a, BPF_ANY);
	return 0;
}

static __always_inline int memfd_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memfd_args *p = bpf_map_lookup_elem(&memfd_args, &id);
	struct memfd_args a;

	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&memfd_args, &id);
	return report_memfd((void *)a.uname, a.flags, ret, EDR_SRC_TRACEPOINT, 0);
}

/* ---- W+X memory ---- */

static __always_inline int report_wx(__u32 op, __u64 addr, __u64 len, __u32 prot, __u32 mflags, long ret,
				     struct file *file, __u32 src, __u32 fl)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_mem_wx *w;
	__u32 off, kind = 0;
	int trunc = 0;

	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	w = (void *)s->rec;
	fill_task(&w->task, task);
	w->flags = fl;
	w->prot = prot;
	w->mmap_flags = mflags;
	w->op = op;
	w->addr = addr;
	w->len = len;
	w->ret = ret;
	w->ino = 0;
	w->dev = 0;
	w->path_len = 0;
	w->_pad0 = 0;
	off = sizeof(*w);
	if (file) {
		w->flags |= EDR_MEM_FILE;
		w->ino = BPF_CORE_READ(file, f_inode, i_ino);
		w->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
		w->path_len = put_file_path(s, &off, file, &trunc, &kind);
		if (trunc)
			w->flags |= EDR_MEM_PATH_TRUNC;
	}
	emit(w, EDR_EVENT_MEM_WX, off, src);
	return 0;
}

static __always_inline __u32 mprotect_op(int pkey)
{
	return pkey == -1 ? EDR_MEM_OP_MPROTECT : EDR_MEM_OP_PKEY_MPROTECT;
}

enum tp_mem { TP_MMAP, TP_MPROTECT, TP_PKEY_MPROTECT };

/* At sys_exit, from the user registers saved at entry: no sys_enter
 * program and no map access for the common, non-W+X case. */
static __noinline int mem_exit(long ret, __u32 which)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	__u32 prot = PT_REGS_PARM3_SYSCALL(regs), mflags;
	struct file *file = NULL;
	__u64 addr, len;

	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	addr = PT_REGS_PARM1_SYSCALL(regs);
	len = PT_REGS_PARM2_SYSCALL(regs);
	/* pkey_mprotect with key -1 is mprotect, as do_mprotect_pkey() sees
	 * it on the other paths. */
	if (which != TP_MMAP)
		return report_wx(which == TP_MPROTECT ? EDR_MEM_OP_MPROTECT :
				 mprotect_op((int)PT_REGS_PARM4_SYSCALL(regs)),
				 addr, len, prot, 0, ret, NULL, EDR_SRC_TRACEPOINT, 0);
	mflags = PT_REGS_PARM4_SYSCALL(regs);
	if (!(mflags & EDR_MAP_ANONYMOUS))
		file = fd_file_get(task, (int)PT_REGS_PARM5_SYSCALL(regs));
	/* A successful mmap returns the address it mapped (user addresses
	 * are below 2^47: positive); a failed one is reported too. */
	if (ret >= 0)
		addr = ret;
	return report_wx(EDR_MEM_OP_MMAP, addr, len, prot, mflags, ret, file, EDR_SRC_TRACEPOINT, 0);
}

#endif /* EDR_MEM_BPF_H */
