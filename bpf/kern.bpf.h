/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-integrity hooks: module loads, bpf() program loads and map
 * creations by other processes, mounts. Three features, each with its attach
 * paths in the loader's order of preference (first kernel with each):
 *
 *   module:
 *     lsm (5.7, BPF LSM active): lsm/kernel_read_file (READING_MODULE: the
 *       file finit_module reads, 5.10 signature) and lsm/kernel_load_data
 *       (LOADING_MODULE: init_module's image in memory, 5.7). Attempts.
 *     kprobe: the same two checks through security_kernel_read_file and
 *       security_kernel_load_data, at entry: attempts.
 *     tracepoint: syscalls:sys_exit_init_module and sys_exit_finit_module
 *       (the result; finit_module's fd resolved to its file in the kernel),
 *       plus raw_tp/module_load (4.x, CONFIG_MODULES), which names the
 *       module when a load gets that far.
 *   bpf:
 *     lsm: lsm/bpf (5.7; the attr is the kernel's copy). Attempts.
 *     fentry: fexit/bpf_prog_load and fexit/map_create (static functions
 *       of kernel/bpf/syscall.c: present in BTF unless inlined), with the
 *       result (the new fd); their argument count changed in 6.x, so the
 *       result comes from bpf_get_func_ret (5.17).
 *     kprobe: security_bpf, the function behind that hook: attempts.
 *     tracepoint: syscalls:sys_exit_bpf, with the attr read from user memory.
 *   mount:
 *     lsm: lsm/sb_mount (dev name, resolved target, type, flags): attempts.
 *     fentry: fexit/path_mount (5.9): the same, with the result.
 *     kprobe: kprobe/path_mount: attempts.
 *     tracepoint: syscalls:sys_exit_mount; the target as written, resolved
 *       against the cwd in the kernel.
 *     move_mount(2) (5.2; how fsmount() mounts, and mount --move) on the lsm
 *     (lsm/move_mount) and tracepoint (sys_exit_move_mount, optional) paths
 *     only: the fentry and kprobe paths see mount(2) alone.
 *
 * The tracepoint programs are sys_exit only: the arguments are still in the
 * user registers saved at entry (bpf_task_pt_regs, 5.15), as for opens in
 * file.bpf.h. What they read from user memory (the bpf attr, the mount
 * strings) is read after the call: another thread of the caller may have
 * changed it since, which the lsm, fentry and kprobe paths (the kernel's
 * copies) do not suffer. bpf() is called constantly by BPF tools and by the
 * sensor's own edrctl queries, so every command but BPF_PROG_LOAD and
 * BPF_MAP_CREATE is dropped at the first test, before any map access.
 */
#ifndef EDR_KERN_BPF_H
#define EDR_KERN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "path.bpf.h"
#include "task.bpf.h"

/* uapi: union bpf_attr's leading members for the two commands reported.
 * Fixed offsets (uapi never moves them), copied into a buffer of our own so
 * no CO-RE relocation is involved. */
#define EDR_BPF_CMD_MAP_CREATE 0
#define EDR_BPF_CMD_PROG_LOAD  5
#define EDR_ATTR_COPY          72

struct edr_attr_prog {
	__u32 prog_type;
	__u32 insn_cnt;
	__u64 insns;
	__u64 license;
	__u32 log_level;
	__u32 log_size;
	__u64 log_buf;
	__u32 kern_version;
	__u32 prog_flags;
	char prog_name[16];
	__u32 prog_ifindex;
	__u32 expected_attach_type;
};

struct edr_attr_map {
	__u32 map_type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
	__u32 inner_map_fd;
	__u32 numa_node;
	char map_name[16];
};

union edr_attr_head {
	struct edr_attr_prog prog;
	struct edr_attr_map map;
	__u8 raw[EDR_ATTR_COPY];
};

/* MS_MGC_VAL in the top half: an old calling convention, not flags. */
#define EDR_MS_MGC_MSK 0xffff0000ul
#define EDR_MS_MGC_VAL 0xc0ed0000ul

/* A module's name between raw_tp/module_load and sys_exit_*init_module. */
struct kern_modname {
	char name[56]; /* MODULE_NAME_LEN */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct kern_modname);
} kern_modname SEC(".maps");

/* ---- module ---- */

static __always_inline struct edr_module *module_begin(struct edr_scratch *s, struct task_struct *task,
							__u32 fl)
{
	struct edr_module *e = (void *)s->rec;

	fill_task(&e->task, task);
	e->flags = fl;
	e->ret = 0;
	e->load_flags = 0;
	e->fd = -1;
	e->len = 0;
	e->name_len = 0;
	e->path_len = 0;
	e->_pad0 = 0;
	return e;
}

/* lsm/kernel_read_file and kprobe/security_kernel_read_file: the module
 * file finit_module is about to read. */
static __always_inline int module_read_file(struct file *file, int id, __u32 src)
{
	struct task_struct *task;
	struct edr_scratch *s;
	struct edr_module *e;
	struct path path;
	__u32 off = sizeof(*e);
	int trunc = 0;

	if (id != bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return 0;
	task = (void *)bpf_get_current_task();
	if (!wanted(task) || file_path_get(file, &path))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = module_begin(s, task, EDR_KERN_ATTEMPT);
	e->path_len = put_path(s, &off, &path, &trunc);
	if (trunc)
		e->flags |= EDR_KERN_PATH_TRUNC;
	emit(e, EDR_EVENT_MODULE_LOAD, off, src);
	return 0;
}

/* lsm/kernel_load_data and kprobe/security_kernel_load_data: init_module's
 * image, copied from memory (no file, no name yet). */
static __always_inline int module_load_data(int id, __u32 src)
{
	struct task_struct *task;
	struct edr_scratch *s;
	struct edr_module *e;

	if (id != bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return 0;
	task = (void *)bpf_get_current_task();
	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = module_begin(s, task, EDR_KERN_ATTEMPT | EDR_KERN_FROM_MEMORY);
	emit(e, EDR_EVENT_MODULE_LOAD, sizeof(*e), src);
	return 0;
}

static __always_inline int module_loaded(struct module *mod)
{
	struct kern_modname n = {};
	__u64 id = bpf_get_current_pid_tgid();

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	if (bpf_probe_read_kernel_str(n.name, sizeof(n.name), __builtin_preserve_access_index(&mod->name)) <= 0)
		return 0;
	bpf_map_update_elem(&kern_modname, &id, &n, BPF_ANY);
	return 0;
}

/* sys_exit_init_module (finit = 0) and sys_exit_finit_module (finit = 1). */
static __noinline int module_exit(long ret, __u32 finit)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	__u64 id = bpf_get_current_pid_tgid();
	struct kern_modname *n;
	struct edr_scratch *s;
	struct edr_module *e;
	struct path path;
	__u32 off;
	int trunc = 0;
	long len;

	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = module_begin(s, task, finit ? 0 : EDR_KERN_FROM_MEMORY);
	off = sizeof(*e);
	e->ret = ret;
	n = bpf_map_lookup_elem(&kern_modname, &id);
	if (n) {
		len = bpf_probe_read_kernel_str(&s->rec[off & EDR_TAIL_OFF_MASK], sizeof(n->name), n->name);
		if (len > 0) {
			e->name_len = len;
			off += len;
		}
		bpf_map_delete_elem(&kern_modname, &id);
	}
	if (finit) {
		e->fd = PT_REGS_PARM1_SYSCALL(regs);
		e->load_flags = PT_REGS_PARM3_SYSCALL(regs);
		if (!file_path_get(fd_file_get(task, e->fd), &path)) {
			e->path_len = put_path(s, &off, &path, &trunc);
			if (trunc)
				e->flags |= EDR_KERN_PATH_TRUNC;
		}
	} else {
		e->len = PT_REGS_PARM2_SYSCALL(regs);
	}
	emit(e, EDR_EVENT_MODULE_LOAD, off, EDR_SRC_TRACEPOINT);
	return 0;
}

/* ---- bpf ---- */

/* Fills and sends the record from a copy of the attr's head. */
static __always_inline int bpf_report(struct task_struct *task, __u32 cmd, union edr_attr_head *a,
				      __u32 src, __u32 fl, long ret)
{
	struct edr_scratch *s = scratch_get();
	struct edr_bpf *e;

	if (!s)
		return 0;
	e = (void *)s->rec;
	fill_task(&e->task, task);
	e->flags = fl;
	e->ret = ret;
	e->cmd = cmd;
	if (cmd == EDR_BPF_CMD_PROG_LOAD) {
		e->type = a->prog.prog_type;
		e->attach_type = a->prog.expected_attach_type;
		e->extra_flags = a->prog.prog_flags;
		e->insn_cnt = a->prog.insn_cnt;
		e->key_size = 0;
		e->value_size = 0;
		e->max_entries = 0;
		__builtin_memcpy(e->name, a->prog.prog_name, sizeof(e->name));
	} else {
		e->type = a->map.map_type;
		e->attach_type = 0;
		e->extra_flags = a->map.map_flags;
		e->insn_cnt = 0;
		e->key_size = a->map.key_size;
		e->value_size = a->map.value_size;
		e->max_entries = a->map.max_entries;
		__builtin_memcpy(e->name, a->map.map_name, sizeof(e->name));
	}
	emit(e, cmd == EDR_BPF_CMD_PROG_LOAD ? EDR_EVENT_BPF_PROG : EDR_EVENT_BPF_MAP, sizeof(*e), src);
	return 0;
}

/* lsm/bpf and kprobe/security_bpf: attr is the kernel's copy. */
static __always_inline int bpf_attempt(int cmd, const void *attr, __u32 src)
{
	struct task_struct *task;
	union edr_attr_head a;

	if (cmd != EDR_BPF_CMD_PROG_LOAD && cmd != EDR_BPF_CMD_MAP_CREATE)
		return 0;
	task = (void *)bpf_get_current_task();
	if (!wanted(task))
		return 0;
	if (bpf_probe_read_kernel(&a, sizeof(a), attr) < 0) {
		count_read_error();
		return 0;
	}
	return bpf_report(task, cmd, &a, src, EDR_KERN_ATTEMPT, 0);
}

/* fexit/bpf_prog_load and fexit/map_create: the kernel's copy, the result. */
static __always_inline int bpf_done(__u32 cmd, const void *attr, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	union edr_attr_head a;

	if (!wanted(task))
		return 0;
	if (bpf_probe_read_kernel(&a, sizeof(a), attr) < 0) {
		count_read_error();
		return 0;
	}
	return bpf_report(task, cmd, &a, EDR_SRC_FENTRY, 0, ret);
}

static __noinline int bpf_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	__u32 cmd = PT_REGS_PARM1_SYSCALL(regs);
	union edr_attr_head a;
	__u64 size;

	if (cmd != EDR_BPF_CMD_PROG_LOAD && cmd != EDR_BPF_CMD_MAP_CREATE)
		return 0;
	if (!wanted(task))
		return 0;
	/* The kernel zero-extends a short attr; so does this copy. */
	__builtin_memset(&a, 0, sizeof(a));
	/* 64-bit, so the bound checked is the register passed (the size is
	 * an unsigned int in the syscall). */
	size = PT_REGS_PARM3_SYSCALL(regs) & 0xffffffffull;
	if (size > sizeof(a))
		size = sizeof(a);
	if (bpf_probe_read_user(&a, size, (void *)PT_REGS_PARM2_SYSCALL(regs)) < 0) {
		count_read_error();
		return 0;
	}
	return bpf_report(task, cmd, &a, EDR_SRC_TRACEPOINT, 0, ret);
}

/* ---- mount ---- */

static __always_inline struct edr_mount *mount_begin(struct edr_scratch *s, struct task_struct *task,
						      __u32 fl, long ret, __u64 mflags)
{
	struct edr_mount *e = (void *)s->rec;

	fill_task(&e->task, task);
	e->flags = fl;
	e->ret = ret;
	if ((mflags & EDR_MS_MGC_MSK) == EDR_MS_MGC_VAL)
		mflags &= ~EDR_MS_MGC_MSK;
	e->mount_flags = mflags;
	e->fstype_len = 0;
	e->source_len = 0;
	e->target_len = 0;
	e->_pad0 = 0;
	return e;
}

/* A string of at most max bytes at the tail (user or kernel memory); NULL is
 * absent, not an error (a remount or bind mount may pass no type). */
static __always_inline __u16 put_str(struct edr_scratch *s, __u32 *off, const char *p, __u32 max, int user,
				     __u32 *fl)
{
	long n;

	if (!p)
		return 0;
	if (user)
		n = bpf_probe_read_user_str(&s->rec[*off & EDR_TAIL_OFF_MASK], max, p);
	else
		n = bpf_probe_read_kernel_str(&s->rec[*off & EDR_TAIL_OFF_MASK], max, p);
	if (n <= 0) {
		count_read_error();
		return 0;
	}
	if (n == max)
		*fl |= EDR_KERN_STR_TRUNC;
	*off += n;
	return n;
}

/* Ends a mount record whose target is a kernel struct path (the lsm,
 * fentry and kprobe paths): the target's full path, the flags, emit. */
static __always_inline int mount_emit_at(struct edr_scratch *s, struct edr_mount *e, __u32 off,
					 const struct path *target, __u32 fl, __u32 src)
{
	struct path p;
	int trunc = 0;

	p.mnt = BPF_CORE_READ(target, mnt);
	p.dentry = BPF_CORE_READ(target, dentry);
	e->target_len = put_path(s, &off, &p, &trunc);
	if (trunc)
		fl |= EDR_KERN_PATH_TRUNC;
	e->flags |= fl;
	emit(e, EDR_EVENT_MOUNT, off, src);
	return 0;
}

/* lsm/sb_mount, fexit/path_mount, kprobe/path_mount: kernel copies. */
static __always_inline int mount_path(const char *dev, const struct path *path, const char *type,
				      __u64 mflags, __u32 src, __u32 attempt, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_mount *e;
	__u32 off, fl = attempt ? EDR_KERN_ATTEMPT : 0;

	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = mount_begin(s, task, 0, ret, mflags);
	off = sizeof(*e);
	e->fstype_len = put_str(s, &off, type, EDR_FSTYPE_MAX, 0, &fl);
	e->source_len = put_str(s, &off, dev, EDR_PATH_MAX, 0, &fl);
	return mount_emit_at(s, e, off, path, fl, src);
}

static __noinline int mount_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	const char *dev, *dir, *type;
	struct edr_scratch *s;
	struct edr_mount *e;
	__u32 off, fl = 0;

	if (!wanted(task))
		return 0;
	dev = (void *)PT_REGS_PARM1_SYSCALL(regs);
	dir = (void *)PT_REGS_PARM2_SYSCALL(regs);
	type = (void *)PT_REGS_PARM3_SYSCALL(regs);
	s = scratch_get();
	if (!s)
		return 0;
	e = mount_begin(s, task, 0, ret, PT_REGS_PARM4_SYSCALL(regs));
	off = sizeof(*e);
	e->fstype_len = put_str(s, &off, type, EDR_FSTYPE_MAX, 1, &fl);
	e->source_len = put_str(s, &off, dev, EDR_PATH_MAX, 1, &fl);
	if (dir)
		e->target_len = put_name_at(s, &off, task, EDR_AT_FDCWD, dir, 1, &fl, EDR_KERN_PATH_TRUNC,
					    EDR_KERN_PATH_RELATIVE);
	e->flags |= fl;
	emit(e, EDR_EVENT_MOUNT, off, EDR_SRC_TRACEPOINT);
	return 0;
}

/* The mount a path is on: its type and device name, as mount(2) had them. */
static __always_inline void put_mnt_of(struct edr_scratch *s, __u32 *off, struct edr_mount *e,
				       struct vfsmount *vm, __u32 *fl)
{
	struct mount *m = container_of(vm, struct mount, mnt);

	e->fstype_len = put_str(s, off, BPF_CORE_READ(vm, mnt_sb, s_type, name), EDR_FSTYPE_MAX, 0, fl);
	e->source_len = put_str(s, off, BPF_CORE_READ(m, mnt_devname), EDR_PATH_MAX, 0, fl);
}

/* lsm/move_mount: the mount moved (from) and where it goes (to). */
static __always_inline int move_mount_path(const struct path *from, const struct path *to, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_mount *e;
	__u32 off, fl = EDR_KERN_ATTEMPT | EDR_KERN_MOVE_MOUNT;

	if (!wanted(task))
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	/* The hook has no flags argument. */
	e = mount_begin(s, task, 0, 0, 0);
	off = sizeof(*e);
	put_mnt_of(s, &off, e, BPF_CORE_READ(from, mnt), &fl);
	return mount_emit_at(s, e, off, to, fl, src);
}

#define EDR_MOVE_MOUNT_F_EMPTY_PATH 0x4

/* sys_exit_move_mount(from_dfd, from_path, to_dfd, to_path, flags). The
 * mount moved is known when it is the from fd itself (F_EMPTY_PATH, as after
 * fsmount()); a from path is not looked up again here. */
static __noinline int move_mount_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	struct edr_scratch *s;
	struct edr_mount *e;
	struct file *f;
	const char *to;
	__u64 mflags;
	__u32 off, fl = EDR_KERN_MOVE_MOUNT;
	int from_dfd, to_dfd;

	if (!wanted(task))
		return 0;
	from_dfd = PT_REGS_PARM1_SYSCALL(regs);
	to_dfd = PT_REGS_PARM3_SYSCALL(regs);
	to = (void *)PT_REGS_PARM4_SYSCALL(regs);
	mflags = PT_REGS_PARM5_SYSCALL(regs) & 0xffffffffull;
	s = scratch_get();
	if (!s)
		return 0;
	e = mount_begin(s, task, 0, ret, mflags);
	off = sizeof(*e);
	if (mflags & EDR_MOVE_MOUNT_F_EMPTY_PATH) {
		f = fd_file_get(task, from_dfd);
		if (f)
			put_mnt_of(s, &off, e, BPF_CORE_READ(f, f_path.mnt), &fl);
	}
	if (to)
		e->target_len = put_name_at(s, &off, task, to_dfd, to, 1, &fl, EDR_KERN_PATH_TRUNC,
					    EDR_KERN_PATH_RELATIVE);
	e->flags |= fl;
	emit(e, EDR_EVENT_MOUNT, off, EDR_SRC_TRACEPOINT);
	return 0;
}

#endif /* EDR_KERN_BPF_H */
