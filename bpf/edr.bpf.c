// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sensor's only BPF compilation unit: thin SEC() wrappers, grouped by
 * family. The logic of each hook family is in bpf/<family>.bpf.h (each
 * header includes what it uses); shared helpers are in bpf/emit.bpf.h,
 * task.bpf.h, path.bpf.h and arch.bpf.h. Program names follow
 * <hook>__<target>, so the loader can pick one of a fallback pair by name.
 * Every program passes the attach path it is (EDR_SRC_*) to the record
 * header.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "arch.bpf.h"
#include "exec.bpf.h"
#include "file.bpf.h"
#include "mem.bpf.h"
#include "priv.bpf.h"
#include "kern.bpf.h"
#include "net.bpf.h"
#include "signal.bpf.h"
#include "enforce.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- process: exec, fork, exit (bpf/exec.bpf.h) ---- */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf__sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm, EDR_SRC_TP_BTF);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp__sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm, EDR_SRC_RAW_TP);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf__sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child, EDR_SRC_TP_BTF);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp__sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child, EDR_SRC_RAW_TP);
}

/* 6.x added a group_dead argument; only the first is used, so both match. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf__sched_process_exit, struct task_struct *p)
{
	return on_exit(p, EDR_SRC_TP_BTF);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp__sched_process_exit, struct task_struct *p)
{
	return on_exit(p, EDR_SRC_RAW_TP);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(lsm__bprm_check_security, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return on_bprm_check(bprm) ? -1 /* EPERM */ : 0;
}

/* Kill-at-exec: a second program on the exec tracepoint (feature exec_enforce). */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf__exec_kill, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec_kill(p, old_pid, bprm, EDR_SRC_TP_BTF);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp__exec_kill, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec_kill(p, old_pid, bprm, EDR_SRC_RAW_TP);
}

/* ---- file (bpf/file.bpf.h): tracepoint path (syscalls:*; every sys_exit_* shares one body) ---- */

#define FILE_TP_EXIT(sc, op)							\
SEC("tracepoint/syscalls/sys_exit_" #sc)					\
int tracepoint__sys_exit_##sc(struct trace_event_raw_sys_exit *ctx)		\
{										\
	return file_exit(ctx->ret, op);						\
}

/* Opens have no sys_enter program: see open_exit() in file.bpf.h. */
SEC("tracepoint/syscalls/sys_exit_open")
int tracepoint__sys_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, TP_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, TP_OPENAT);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int tracepoint__sys_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, TP_OPENAT2);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int tracepoint__sys_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, TP_CREAT);
}

SEC("tracepoint/syscalls/sys_enter_truncate")
int tracepoint__sys_enter_truncate(struct trace_event_raw_sys_enter *ctx)
{
	return enter_truncate(FOP_TRUNCATE, EDR_AT_FDCWD, (void *)ctx->args[0]);
}
FILE_TP_EXIT(truncate, FOP_TRUNCATE)

SEC("tracepoint/syscalls/sys_enter_ftruncate")
int tracepoint__sys_enter_ftruncate(struct trace_event_raw_sys_enter *ctx)
{
	return enter_truncate(FOP_FTRUNCATE, ctx->args[0], NULL);
}
FILE_TP_EXIT(ftruncate, FOP_FTRUNCATE)

SEC("tracepoint/syscalls/sys_enter_unlink")
int tracepoint__sys_enter_unlink(struct trace_event_raw_sys_enter *ctx)
{
	return enter_unlink(EDR_AT_FDCWD, (void *)ctx->args[0], 0);
}
FILE_TP_EXIT(unlink, FOP_UNLINK)

SEC("tracepoint/syscalls/sys_enter_unlinkat")
int tracepoint__sys_enter_unlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_unlink(ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(unlinkat, FOP_UNLINK)

SEC("tracepoint/syscalls/sys_enter_rmdir")
int tracepoint__sys_enter_rmdir(struct trace_event_raw_sys_enter *ctx)
{
	return enter_unlink(EDR_AT_FDCWD, (void *)ctx->args[0], EDR_AT_REMOVEDIR);
}
FILE_TP_EXIT(rmdir, FOP_UNLINK)

SEC("tracepoint/syscalls/sys_enter_rename")
int tracepoint__sys_enter_rename(struct trace_event_raw_sys_enter *ctx)
{
	return enter_rename(EDR_AT_FDCWD, (void *)ctx->args[0], EDR_AT_FDCWD, (void *)ctx->args[1], 0);
}
FILE_TP_EXIT(rename, FOP_RENAME)

SEC("tracepoint/syscalls/sys_enter_renameat")
int tracepoint__sys_enter_renameat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_rename(ctx->args[0], (void *)ctx->args[1], ctx->args[2], (void *)ctx->args[3], 0);
}
FILE_TP_EXIT(renameat, FOP_RENAME)

SEC("tracepoint/syscalls/sys_enter_renameat2")
int tracepoint__sys_enter_renameat2(struct trace_event_raw_sys_enter *ctx)
{
	return enter_rename(ctx->args[0], (void *)ctx->args[1], ctx->args[2], (void *)ctx->args[3],
			    ctx->args[4]);
}
FILE_TP_EXIT(renameat2, FOP_RENAME)

SEC("tracepoint/syscalls/sys_enter_chmod")
int tracepoint__sys_enter_chmod(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chmod(FOP_CHMOD, EDR_AT_FDCWD, (void *)ctx->args[0], ctx->args[1]);
}
FILE_TP_EXIT(chmod, FOP_CHMOD)

SEC("tracepoint/syscalls/sys_enter_fchmod")
int tracepoint__sys_enter_fchmod(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chmod(FOP_FCHMOD, ctx->args[0], NULL, ctx->args[1]);
}
FILE_TP_EXIT(fchmod, FOP_FCHMOD)

SEC("tracepoint/syscalls/sys_enter_fchmodat")
int tracepoint__sys_enter_fchmodat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chmod(FOP_CHMOD, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(fchmodat, FOP_CHMOD)

/* 6.6+: optional in the loader. */
SEC("tracepoint/syscalls/sys_enter_fchmodat2")
int tracepoint__sys_enter_fchmodat2(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chmod(FOP_CHMOD, ctx->args[0], (void *)ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(fchmodat2, FOP_CHMOD)

SEC("tracepoint/syscalls/sys_enter_chown")
int tracepoint__sys_enter_chown(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chown(FOP_CHOWN, EDR_AT_FDCWD, (void *)ctx->args[0], ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(chown, FOP_CHOWN)

SEC("tracepoint/syscalls/sys_enter_lchown")
int tracepoint__sys_enter_lchown(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chown(FOP_CHOWN, EDR_AT_FDCWD, (void *)ctx->args[0], ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(lchown, FOP_CHOWN)

SEC("tracepoint/syscalls/sys_enter_fchown")
int tracepoint__sys_enter_fchown(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chown(FOP_FCHOWN, ctx->args[0], NULL, ctx->args[1], ctx->args[2]);
}
FILE_TP_EXIT(fchown, FOP_FCHOWN)

SEC("tracepoint/syscalls/sys_enter_fchownat")
int tracepoint__sys_enter_fchownat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_chown(FOP_CHOWN, ctx->args[0], (void *)ctx->args[1], ctx->args[2], ctx->args[3]);
}
FILE_TP_EXIT(fchownat, FOP_CHOWN)

/* ---- file: LSM path (attempts: the hooks run before the operation) ---- */

SEC("lsm/file_open")
int BPF_PROG(lsm__file_open, struct file *file)
{
	lsm_open(file);
	return 0;
}

SEC("lsm/path_truncate")
int BPF_PROG(lsm__path_truncate, const struct path *path)
{
	lsm_truncate(path);
	return 0;
}

SEC("lsm/path_unlink")
int BPF_PROG(lsm__path_unlink, const struct path *dir, struct dentry *dentry)
{
	report_unlink_dentry(dir, dentry, EDR_SRC_LSM, 0);
	return 0;
}

SEC("lsm/path_rmdir")
int BPF_PROG(lsm__path_rmdir, const struct path *dir, struct dentry *dentry)
{
	report_unlink_dentry(dir, dentry, EDR_SRC_LSM, 1);
	return 0;
}

SEC("lsm/path_rename")
int BPF_PROG(lsm__path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry)
{
	report_rename_dentry(old_dir, old_dentry, new_dir, new_dentry, EDR_SRC_LSM);
	return 0;
}

SEC("lsm/path_chmod")
int BPF_PROG(lsm__path_chmod, const struct path *path, umode_t mode)
{
	report_attr_path(path, EDR_EVENT_FILE_CHMOD, mode, 0, 0, EDR_SRC_LSM, 1, 0);
	return 0;
}

/* kuid_t/kgid_t are one-member structs: on the stack as their value. */
SEC("lsm/path_chown")
int BPF_PROG(lsm__path_chown, const struct path *path, __u32 uid, __u32 gid)
{
	report_attr_path(path, EDR_EVENT_FILE_CHOWN, 0, uid, gid, EDR_SRC_LSM, 1, 0);
	return 0;
}

/* ---- file: fentry path ---- */

SEC("fexit/do_filp_open")
int BPF_PROG(fexit__do_filp_open, int dfd, struct filename *pathname, const struct open_flags *op)
{
	__u32 oflags = BPF_CORE_READ(op, open_flag);
	struct file *file;
	__u64 ret = 0;

	if (!(oflags & EDR_O_WRITE_MASK))
		return 0;
	/* As a scalar: an ERR_PTR is compared as a number, not a pointer. */
	bpf_get_func_ret(ctx, &ret);
	if (!ret || ret >= (__u64)-4095)
		return 0;
	file = (void *)ret;
	return report_open((void *)bpf_get_current_task(), file, (void *)&file->f_path, oflags,
			   EDR_SRC_FENTRY, 0);
}

SEC("fexit/vfs_truncate")
int BPF_PROG(fexit__vfs_truncate, const struct path *path, loff_t length, long ret)
{
	return report_attr_path(path, EDR_EVENT_FILE_WRITE, 0, 0, 0, EDR_SRC_FENTRY, 0, ret);
}

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry__do_unlinkat, int dfd, struct filename *name)
{
	return pend_names(FOP_UNLINK, dfd, name, 0, NULL, 0);
}

SEC("fexit/do_unlinkat")
int BPF_PROG(fexit__do_unlinkat)
{
	return pend_drop();
}

SEC("fentry/do_rmdir")
int BPF_PROG(fentry__do_rmdir, int dfd, struct filename *name)
{
	return pend_names(FOP_UNLINK, dfd, name, 0, NULL, EDR_AT_REMOVEDIR);
}

SEC("fexit/do_rmdir")
int BPF_PROG(fexit__do_rmdir)
{
	return pend_drop();
}

SEC("fentry/do_renameat2")
int BPF_PROG(fentry__do_renameat2, int olddfd, struct filename *from, int newdfd, struct filename *to)
{
	return pend_names(FOP_RENAME, olddfd, from, newdfd, to, 0);
}

SEC("fexit/do_renameat2")
int BPF_PROG(fexit__do_renameat2)
{
	return pend_drop();
}

/* The result through bpf_get_func_ret: the argument count of these
 * functions differs between kernels (vfs_rmdir gained one in 6.x). */
SEC("fexit/vfs_unlink")
int BPF_PROG(fexit__vfs_unlink)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return pend_report(FOP_UNLINK, 0, (int)ret, NULL);
}

SEC("fexit/vfs_rmdir")
int BPF_PROG(fexit__vfs_rmdir)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return pend_report(FOP_UNLINK, 1, (int)ret, NULL);
}

SEC("fexit/vfs_rename")
int BPF_PROG(fexit__vfs_rename, struct renamedata *rd)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return pend_report(FOP_RENAME, 0, (int)ret, BPF_CORE_READ(rd, old_dentry));
}

SEC("fexit/chmod_common")
int BPF_PROG(fexit__chmod_common, const struct path *path, umode_t mode, int ret)
{
	return report_attr_path(path, EDR_EVENT_FILE_CHMOD, mode, 0, 0, EDR_SRC_FENTRY, 0, ret);
}

SEC("fexit/chown_common")
int BPF_PROG(fexit__chown_common, const struct path *path, uid_t user, gid_t group, int ret)
{
	return report_attr_path(path, EDR_EVENT_FILE_CHOWN, 0, user, group, EDR_SRC_FENTRY, 0, ret);
}

/* ---- file: kprobe path (at entry: attempts) ---- */

SEC("kprobe/vfs_open")
int BPF_KPROBE(kprobe__vfs_open, const struct path *path, struct file *file)
{
	return report_open((void *)bpf_get_current_task(), file, (void *)path,
			   BPF_CORE_READ(file, f_flags), EDR_SRC_KPROBE, 1);
}

SEC("kprobe/vfs_truncate")
int BPF_KPROBE(kprobe__vfs_truncate, const struct path *path)
{
	return report_attr_path(path, EDR_EVENT_FILE_WRITE, 0, 0, 0, EDR_SRC_KPROBE, 1, 0);
}

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(kprobe__do_unlinkat, int dfd, struct filename *name)
{
	return report_unlink_name(dfd, name, EDR_SRC_KPROBE, 0);
}

SEC("kprobe/do_rmdir")
int BPF_KPROBE(kprobe__do_rmdir, int dfd, struct filename *name)
{
	return report_unlink_name(dfd, name, EDR_SRC_KPROBE, 1);
}

SEC("kprobe/do_renameat2")
int BPF_KPROBE(kprobe__do_renameat2, int olddfd, struct filename *from, int newdfd, struct filename *to)
{
	return report_rename_name(olddfd, from, newdfd, to, EDR_SRC_KPROBE);
}

SEC("kprobe/chmod_common")
int BPF_KPROBE(kprobe__chmod_common, const struct path *path, umode_t mode)
{
	return report_attr_path(path, EDR_EVENT_FILE_CHMOD, mode, 0, 0, EDR_SRC_KPROBE, 1, 0);
}

SEC("kprobe/chown_common")
int BPF_KPROBE(kprobe__chown_common, const struct path *path, uid_t user, gid_t group)
{
	return report_attr_path(path, EDR_EVENT_FILE_CHOWN, 0, user, group, EDR_SRC_KPROBE, 1, 0);
}

/* ---- file: hard links and symlinks (feature file_link), chmod's old mode ---- */

SEC("lsm/path_link")
int BPF_PROG(lsm__path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	report_link_dentry(old_dentry, new_dir, new_dentry);
	return 0;
}

SEC("lsm/path_symlink")
int BPF_PROG(lsm__path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name)
{
	report_symlink_dentry(dir, dentry, old_name);
	return 0;
}

SEC("fentry/do_linkat")
int BPF_PROG(fentry__do_linkat, int olddfd, struct filename *old, int newdfd, struct filename *new)
{
	return pend_names(FOP_LINK, olddfd, old, newdfd, new, 0);
}

SEC("fexit/do_linkat")
int BPF_PROG(fexit__do_linkat)
{
	return pend_drop();
}

SEC("fentry/do_symlinkat")
int BPF_PROG(fentry__do_symlinkat, struct filename *from, int newdfd, struct filename *to)
{
	return pend_names(FOP_SYMLINK, 0, from, newdfd, to, 0);
}

SEC("fexit/do_symlinkat")
int BPF_PROG(fexit__do_symlinkat)
{
	return pend_drop();
}

/* vfs_link's first argument is the existing dentry on every kernel; the
 * rest moved (user namespace, then idmap). */
SEC("fexit/vfs_link")
int BPF_PROG(fexit__vfs_link, struct dentry *old_dentry)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return pend_report_link(FOP_LINK, (int)ret, old_dentry);
}

SEC("fexit/vfs_symlink")
int BPF_PROG(fexit__vfs_symlink)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return pend_report_link(FOP_SYMLINK, (int)ret, NULL);
}

SEC("kprobe/do_linkat")
int BPF_KPROBE(kprobe__do_linkat, int olddfd, struct filename *old, int newdfd, struct filename *new)
{
	return report_link_name(FOP_LINK, olddfd, old, newdfd, new, EDR_SRC_KPROBE);
}

SEC("kprobe/do_symlinkat")
int BPF_KPROBE(kprobe__do_symlinkat, struct filename *from, int newdfd, struct filename *to)
{
	return report_link_name(FOP_SYMLINK, 0, from, newdfd, to, EDR_SRC_KPROBE);
}

SEC("tracepoint/syscalls/sys_enter_link")
int tracepoint__sys_enter_link(struct trace_event_raw_sys_enter *ctx)
{
	return enter_link(FOP_LINK, EDR_AT_FDCWD, (void *)ctx->args[0], EDR_AT_FDCWD, (void *)ctx->args[1]);
}
FILE_TP_EXIT(link, FOP_LINK)

SEC("tracepoint/syscalls/sys_enter_linkat")
int tracepoint__sys_enter_linkat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_link(FOP_LINK, ctx->args[0], (void *)ctx->args[1], ctx->args[2], (void *)ctx->args[3]);
}
FILE_TP_EXIT(linkat, FOP_LINK)

SEC("tracepoint/syscalls/sys_enter_symlink")
int tracepoint__sys_enter_symlink(struct trace_event_raw_sys_enter *ctx)
{
	return enter_link(FOP_SYMLINK, 0, (void *)ctx->args[0], EDR_AT_FDCWD, (void *)ctx->args[1]);
}
FILE_TP_EXIT(symlink, FOP_SYMLINK)

SEC("tracepoint/syscalls/sys_enter_symlinkat")
int tracepoint__sys_enter_symlinkat(struct trace_event_raw_sys_enter *ctx)
{
	return enter_link(FOP_SYMLINK, 0, (void *)ctx->args[0], ctx->args[1], (void *)ctx->args[2]);
}
FILE_TP_EXIT(symlinkat, FOP_SYMLINK)

/* The fentry path's chmod: the mode before the change, for fexit. */
SEC("fentry/chmod_common")
int BPF_PROG(fentry__chmod_common, const struct path *path)
{
	return chmod_keep_old(path);
}

/* ---- memory: memfd_create (bpf/mem.bpf.h) ---- */

/* The arch wrapper (bpf/arch.bpf.h): __do_sys_memfd_create is in 6.1's BTF
 * but inlined (neither fentry nor a kprobe can attach to it there). Its one
 * argument is the caller's saved user registers. */
SEC(EDR_SYSCALL_SEC("fexit", memfd_create))
int BPF_PROG(fexit__sys_memfd_create, const struct pt_regs *regs, long ret)
{
	return report_memfd((void *)PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
			    ret, EDR_SRC_FENTRY, 0);
}

/* libbpf resolves the same wrapper at attach. */
SEC("ksyscall/memfd_create")
int BPF_KSYSCALL(ksyscall__memfd_create, const char *uname, unsigned int flags)
{
	return report_memfd(uname, flags, 0, EDR_SRC_KPROBE, 1);
}

SEC("tracepoint/syscalls/sys_enter_memfd_create")
int tracepoint__sys_enter_memfd_create(struct trace_event_raw_sys_enter *ctx)
{
	return memfd_enter((void *)ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_memfd_create")
int tracepoint__sys_exit_memfd_create(struct trace_event_raw_sys_exit *ctx)
{
	return memfd_exit(ctx->ret);
}

/* ---- memory: W+X, every program drops non-W+X prot first ---- */

SEC("lsm/mmap_file")
int BPF_PROG(lsm__mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags)
{
	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	report_wx(EDR_MEM_OP_MMAP, 0, 0, prot, flags, 0, file, EDR_SRC_LSM,
		  EDR_MEM_ATTEMPT | EDR_MEM_ADDR_UNKNOWN);
	return 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(lsm__file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot)
{
	__u64 start;

	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	start = BPF_CORE_READ(vma, vm_start);
	report_wx(EDR_MEM_OP_MPROTECT, start, BPF_CORE_READ(vma, vm_end) - start, prot, 0, 0,
		  BPF_CORE_READ(vma, vm_file), EDR_SRC_LSM, EDR_MEM_ATTEMPT | EDR_MEM_RANGE_VMA);
	return 0;
}

SEC("fexit/vm_mmap_pgoff")
int BPF_PROG(fexit__vm_mmap_pgoff, struct file *file, unsigned long addr, unsigned long len,
	     unsigned long prot, unsigned long flag, unsigned long pgoff, long ret)
{
	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	return report_wx(EDR_MEM_OP_MMAP, ret >= 0 ? ret : addr, len, prot, flag, ret, file,
			 EDR_SRC_FENTRY, 0);
}

SEC("fexit/do_mprotect_pkey")
int BPF_PROG(fexit__do_mprotect_pkey, unsigned long start, size_t len, unsigned long prot, int pkey,
	     int ret)
{
	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	return report_wx(mprotect_op(pkey), start, len, prot, 0, ret, NULL, EDR_SRC_FENTRY, 0);
}

SEC("kprobe/vm_mmap_pgoff")
int BPF_KPROBE(kprobe__vm_mmap_pgoff, struct file *file, unsigned long addr, unsigned long len,
	       unsigned long prot, unsigned long flag)
{
	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	return report_wx(EDR_MEM_OP_MMAP, addr, len, prot, flag, 0, file, EDR_SRC_KPROBE,
			 EDR_MEM_ATTEMPT);
}

SEC("kprobe/do_mprotect_pkey")
int BPF_KPROBE(kprobe__do_mprotect_pkey, unsigned long start, size_t len, unsigned long prot, int pkey)
{
	if ((prot & EDR_PROT_WX) != EDR_PROT_WX)
		return 0;
	return report_wx(mprotect_op(pkey), start, len, prot, 0, 0, NULL, EDR_SRC_KPROBE,
			 EDR_MEM_ATTEMPT);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int tracepoint__sys_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	return mem_exit(ctx->ret, TP_MMAP);
}

SEC("tracepoint/syscalls/sys_exit_mprotect")
int tracepoint__sys_exit_mprotect(struct trace_event_raw_sys_exit *ctx)
{
	return mem_exit(ctx->ret, TP_MPROTECT);
}

SEC("tracepoint/syscalls/sys_exit_pkey_mprotect")
int tracepoint__sys_exit_pkey_mprotect(struct trace_event_raw_sys_exit *ctx)
{
	return mem_exit(ctx->ret, TP_PKEY_MPROTECT);
}

/* ---- privilege: cred (bpf/priv.bpf.h) ---- */

SEC("lsm/task_fix_setuid")
int BPF_PROG(lsm__task_fix_setuid, struct cred *new, const struct cred *old, int flags)
{
	cred_pair(new, old, lsm_setid_code(flags, 0), EDR_CRED_ATTEMPT, EDR_SRC_LSM);
	return 0;
}

/* 5.19+: optional in the loader. */
SEC("lsm/task_fix_setgid")
int BPF_PROG(lsm__task_fix_setgid, struct cred *new, const struct cred *old, int flags)
{
	cred_pair(new, old, lsm_setid_code(flags, 1), EDR_CRED_ATTEMPT, EDR_SRC_LSM);
	return 0;
}

SEC("lsm/capset")
int BPF_PROG(lsm__capset, struct cred *new, const struct cred *old, const kernel_cap_t *effective,
	     const kernel_cap_t *inheritable, const kernel_cap_t *permitted)
{
	lsm_capset(new, old, effective, inheritable, permitted);
	return 0;
}

SEC("fentry/commit_creds")
int BPF_PROG(fentry__commit_creds, const struct cred *new)
{
	return on_commit_creds(new, EDR_SRC_FENTRY);
}

SEC("kprobe/commit_creds")
int BPF_KPROBE(kprobe__commit_creds, const struct cred *new)
{
	return on_commit_creds(new, EDR_SRC_KPROBE);
}

#define CRED_TP(sc, code)							\
SEC("tracepoint/syscalls/sys_enter_" #sc)					\
int tracepoint__sys_enter_##sc(struct trace_event_raw_sys_enter *ctx)		\
{										\
	return cred_enter(code);						\
}										\
SEC("tracepoint/syscalls/sys_exit_" #sc)					\
int tracepoint__sys_exit_##sc(struct trace_event_raw_sys_exit *ctx)		\
{										\
	return cred_exit(ctx->ret, code);					\
}

CRED_TP(setuid, EDR_CRED_SYS_SETUID)
CRED_TP(setgid, EDR_CRED_SYS_SETGID)
CRED_TP(setreuid, EDR_CRED_SYS_SETREUID)
CRED_TP(setregid, EDR_CRED_SYS_SETREGID)
CRED_TP(setresuid, EDR_CRED_SYS_SETRESUID)
CRED_TP(setresgid, EDR_CRED_SYS_SETRESGID)
CRED_TP(setfsuid, EDR_CRED_SYS_SETFSUID)
CRED_TP(setfsgid, EDR_CRED_SYS_SETFSGID)
CRED_TP(capset, EDR_CRED_SYS_CAPSET)

/* ---- privilege: ptrace ---- */

SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm__ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	lsm_ptrace_check(child, mode, 0);
	return 0;
}

SEC("lsm/ptrace_traceme")
int BPF_PROG(lsm__ptrace_traceme, struct task_struct *parent)
{
	on_ptrace_traceme(EDR_PTRACE_ATTEMPT, 0, EDR_SRC_LSM);
	return 0;
}

SEC("fexit/ptrace_attach")
int BPF_PROG(fexit__ptrace_attach, struct task_struct *task, long request, unsigned long addr,
	     unsigned long flags, int ret)
{
	if (ret)
		return 0;
	return on_ptrace_attach(task, request, 0, ret, EDR_SRC_FENTRY);
}

SEC("fexit/ptrace_traceme")
int BPF_PROG(fexit__ptrace_traceme, int ret)
{
	if (ret)
		return 0;
	return on_ptrace_traceme(0, ret, EDR_SRC_FENTRY);
}

SEC("kprobe/ptrace_attach")
int BPF_KPROBE(kprobe__ptrace_attach, struct task_struct *task, long request)
{
	return on_ptrace_attach(task, request, EDR_PTRACE_ATTEMPT, 0, EDR_SRC_KPROBE);
}

SEC("kprobe/ptrace_traceme")
int BPF_KPROBE(kprobe__ptrace_traceme)
{
	return on_ptrace_traceme(EDR_PTRACE_ATTEMPT, 0, EDR_SRC_KPROBE);
}

SEC("tracepoint/syscalls/sys_enter_ptrace")
int tracepoint__sys_enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	return ptrace_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int tracepoint__sys_exit_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	return ptrace_exit(ctx->ret);
}

/* ---- privilege: process_vm_writev ---- */

/* A second program on the same hook: the vm_write feature's LSM path. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm__ptrace_access_check_vm, struct task_struct *child, unsigned int mode)
{
	lsm_ptrace_check(child, mode, 1);
	return 0;
}

SEC(EDR_SYSCALL_SEC("fexit", process_vm_writev))
int BPF_PROG(fexit__sys_process_vm_writev, const struct pt_regs *regs, long ret)
{
	if (ret < 0)
		return 0;
	return vm_call(PT_REGS_PARM1_CORE_SYSCALL(regs), (void *)PT_REGS_PARM2_CORE_SYSCALL(regs),
		       PT_REGS_PARM3_CORE_SYSCALL(regs), PT_REGS_PARM5_CORE_SYSCALL(regs), 0, ret,
		       EDR_SRC_FENTRY);
}

SEC("ksyscall/process_vm_writev")
int BPF_KSYSCALL(ksyscall__process_vm_writev, pid_t pid, const void *lvec, unsigned long liovcnt,
		 const void *rvec, unsigned long riovcnt)
{
	return vm_call(pid, lvec, liovcnt, riovcnt, EDR_VM_ATTEMPT, 0, EDR_SRC_KPROBE);
}

SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int tracepoint__sys_enter_process_vm_writev(struct trace_event_raw_sys_enter *ctx)
{
	return vm_enter(ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[4]);
}

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int tracepoint__sys_exit_process_vm_writev(struct trace_event_raw_sys_exit *ctx)
{
	return vm_exit(ctx->ret);
}

/* ---- kernel integrity: module (bpf/kern.bpf.h) ---- */

SEC("lsm/kernel_read_file")
int BPF_PROG(lsm__kernel_read_file, struct file *file, int id)
{
	module_read_file(file, id, EDR_SRC_LSM);
	return 0;
}

SEC("lsm/kernel_load_data")
int BPF_PROG(lsm__kernel_load_data, int id)
{
	module_load_data(id, EDR_SRC_LSM);
	return 0;
}

SEC("kprobe/security_kernel_read_file")
int BPF_KPROBE(kprobe__security_kernel_read_file, struct file *file, int id)
{
	return module_read_file(file, id, EDR_SRC_KPROBE);
}

SEC("kprobe/security_kernel_load_data")
int BPF_KPROBE(kprobe__security_kernel_load_data, int id)
{
	return module_load_data(id, EDR_SRC_KPROBE);
}

SEC("tracepoint/syscalls/sys_exit_init_module")
int tracepoint__sys_exit_init_module(struct trace_event_raw_sys_exit *ctx)
{
	return module_exit(ctx->ret, 0);
}

SEC("tracepoint/syscalls/sys_exit_finit_module")
int tracepoint__sys_exit_finit_module(struct trace_event_raw_sys_exit *ctx)
{
	return module_exit(ctx->ret, 1);
}

SEC("raw_tp/module_load")
int BPF_PROG(raw_tp__module_load, struct module *mod)
{
	return module_loaded(mod);
}

/* ---- kernel integrity: bpf ---- */

SEC("lsm/bpf")
int BPF_PROG(lsm__bpf, int cmd, union bpf_attr *attr)
{
	bpf_attempt(cmd, attr, EDR_SRC_LSM);
	return 0;
}

SEC("fexit/bpf_prog_load")
int BPF_PROG(fexit__bpf_prog_load, union bpf_attr *attr)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return bpf_done(EDR_BPF_CMD_PROG_LOAD, attr, (int)ret);
}

SEC("fexit/map_create")
int BPF_PROG(fexit__map_create, union bpf_attr *attr)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return bpf_done(EDR_BPF_CMD_MAP_CREATE, attr, (int)ret);
}

SEC("kprobe/security_bpf")
int BPF_KPROBE(kprobe__security_bpf, int cmd, union bpf_attr *attr)
{
	return bpf_attempt(cmd, attr, EDR_SRC_KPROBE);
}

SEC("tracepoint/syscalls/sys_exit_bpf")
int tracepoint__sys_exit_bpf(struct trace_event_raw_sys_exit *ctx)
{
	return bpf_exit(ctx->ret);
}

/* ---- kernel integrity: mount ---- */

SEC("lsm/sb_mount")
int BPF_PROG(lsm__sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags)
{
	mount_path(dev_name, path, type, flags, EDR_SRC_LSM, 1, 0);
	return 0;
}

SEC("fexit/path_mount")
int BPF_PROG(fexit__path_mount, const char *dev_name, struct path *path, const char *type_page,
	     unsigned long flags, void *data_page, int ret)
{
	return mount_path(dev_name, path, type_page, flags, EDR_SRC_FENTRY, 0, ret);
}

SEC("kprobe/path_mount")
int BPF_KPROBE(kprobe__path_mount, const char *dev_name, struct path *path, const char *type_page,
	       unsigned long flags)
{
	return mount_path(dev_name, path, type_page, flags, EDR_SRC_KPROBE, 1, 0);
}

SEC("tracepoint/syscalls/sys_exit_mount")
int tracepoint__sys_exit_mount(struct trace_event_raw_sys_exit *ctx)
{
	return mount_exit(ctx->ret);
}

SEC("lsm/move_mount")
int BPF_PROG(lsm__move_mount, const struct path *from_path, const struct path *to_path)
{
	move_mount_path(from_path, to_path, EDR_SRC_LSM);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_move_mount")
int tracepoint__sys_exit_move_mount(struct trace_event_raw_sys_exit *ctx)
{
	return move_mount_exit(ctx->ret);
}

/* ---- net (bpf/net.bpf.h): tracepoint path (exit only: see net_tp_exit()) ---- */

#define NET_TP_EXIT(sc, which)							\
SEC("tracepoint/syscalls/sys_exit_" #sc)					\
int tracepoint__sys_exit_##sc(struct trace_event_raw_sys_exit *ctx)		\
{										\
	return net_tp_exit(ctx->ret, which);					\
}

NET_TP_EXIT(connect, NTP_CONNECT)
NET_TP_EXIT(accept, NTP_ACCEPT)
NET_TP_EXIT(accept4, NTP_ACCEPT)
NET_TP_EXIT(bind, NTP_BIND)
NET_TP_EXIT(listen, NTP_LISTEN)
NET_TP_EXIT(sendto, NTP_SENDTO)
NET_TP_EXIT(sendmsg, NTP_SENDMSG)
NET_TP_EXIT(sendmmsg, NTP_SENDMMSG)

/* ---- net: LSM path (attempts) ---- */

SEC("lsm/socket_connect")
int BPF_PROG(lsm__socket_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	net_sock_hook(sock, NULL, EDR_EVENT_NET_CONNECT, EDR_SRC_LSM, 0, 1, address, 0);
	return 0;
}

SEC("lsm/socket_bind")
int BPF_PROG(lsm__socket_bind, struct socket *sock, struct sockaddr *address, int addrlen)
{
	net_sock_hook(sock, NULL, EDR_EVENT_NET_BIND, EDR_SRC_LSM, 0, 1, address, 1);
	return 0;
}

SEC("lsm/socket_listen")
int BPF_PROG(lsm__socket_listen, struct socket *sock, int backlog)
{
	net_sock_hook(sock, NULL, EDR_EVENT_NET_LISTEN, EDR_SRC_LSM, 0, 1, NULL, 0);
	return 0;
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(lsm__socket_sendmsg, struct socket *sock, struct msghdr *msg, int size)
{
	void *name = BPF_CORE_READ(msg, msg_name);

	if (name)
		net_sock_hook(sock, NULL, EDR_EVENT_NET_SEND, EDR_SRC_LSM, 0, 1, name, 0);
	return 0;
}

/* ---- net: fentry path (results) ---- */

SEC("fexit/inet_stream_connect")
int BPF_PROG(fexit__inet_stream_connect, struct socket *sock, struct sockaddr *uaddr, int addr_len,
	     int flags, int ret)
{
	/* AF_UNSPEC disconnects: the family test drops it. */
	if (uaddr && !net_family_ok(BPF_CORE_READ(uaddr, sa_family)))
		return 0;
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_CONNECT, EDR_SRC_FENTRY, ret, 0, NULL, 0);
}

SEC("fexit/inet_dgram_connect")
int BPF_PROG(fexit__inet_dgram_connect, struct socket *sock, struct sockaddr *uaddr, int addr_len,
	     int flags, int ret)
{
	if (uaddr && !net_family_ok(BPF_CORE_READ(uaddr, sa_family)))
		return 0;
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_CONNECT, EDR_SRC_FENTRY, ret, 0, NULL, 0);
}

/* The third argument changed in 6.10 (struct proto_accept_arg); only the
 * first two are used, and they did not. */
SEC("fexit/inet_accept")
int BPF_PROG(fexit__inet_accept, struct socket *sock, struct socket *newsock)
{
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	return net_sock_hook(newsock, NULL, EDR_EVENT_NET_ACCEPT, EDR_SRC_FENTRY, (int)ret, 0, NULL, 0);
}

SEC("fexit/inet_bind")
int BPF_PROG(fexit__inet_bind, struct socket *sock, struct sockaddr *uaddr, int addr_len, int ret)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_BIND, EDR_SRC_FENTRY, ret, 0, NULL, 0);
}

SEC("fexit/inet6_bind")
int BPF_PROG(fexit__inet6_bind, struct socket *sock, struct sockaddr *uaddr, int addr_len, int ret)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_BIND, EDR_SRC_FENTRY, ret, 0, NULL, 0);
}

SEC("fexit/inet_listen")
int BPF_PROG(fexit__inet_listen, struct socket *sock, int backlog, int ret)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_LISTEN, EDR_SRC_FENTRY, ret, 0, NULL, 0);
}

SEC("fexit/udp_sendmsg")
int BPF_PROG(fexit__udp_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return net_udp_send(sk, msg, 0, EDR_SRC_FENTRY, ret, 0);
}

SEC("fexit/udpv6_sendmsg")
int BPF_PROG(fexit__udpv6_sendmsg, struct sock *sk, struct msghdr *msg, size_t len, int ret)
{
	return net_udp_send(sk, msg, 1, EDR_SRC_FENTRY, ret, 0);
}

/* ---- net: kprobe path (at entry: attempts; accept at return) ---- */

SEC("kprobe/inet_stream_connect")
int BPF_KPROBE(kprobe__inet_stream_connect, struct socket *sock, struct sockaddr *uaddr)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_CONNECT, EDR_SRC_KPROBE, 0, 1, uaddr, 0);
}

SEC("kprobe/inet_dgram_connect")
int BPF_KPROBE(kprobe__inet_dgram_connect, struct socket *sock, struct sockaddr *uaddr)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_CONNECT, EDR_SRC_KPROBE, 0, 1, uaddr, 0);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(kretprobe__inet_csk_accept, struct sock *newsk)
{
	return net_sock_hook(NULL, newsk, EDR_EVENT_NET_ACCEPT, EDR_SRC_KPROBE, 0, 0, NULL, 0);
}

SEC("kprobe/inet_bind")
int BPF_KPROBE(kprobe__inet_bind, struct socket *sock, struct sockaddr *uaddr)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_BIND, EDR_SRC_KPROBE, 0, 1, uaddr, 1);
}

SEC("kprobe/inet6_bind")
int BPF_KPROBE(kprobe__inet6_bind, struct socket *sock, struct sockaddr *uaddr)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_BIND, EDR_SRC_KPROBE, 0, 1, uaddr, 1);
}

SEC("kprobe/inet_listen")
int BPF_KPROBE(kprobe__inet_listen, struct socket *sock)
{
	return net_sock_hook(sock, NULL, EDR_EVENT_NET_LISTEN, EDR_SRC_KPROBE, 0, 1, NULL, 0);
}

SEC("kprobe/udp_sendmsg")
int BPF_KPROBE(kprobe__udp_sendmsg, struct sock *sk, struct msghdr *msg)
{
	return net_udp_send(sk, msg, 0, EDR_SRC_KPROBE, 0, 1);
}

SEC("kprobe/udpv6_sendmsg")
int BPF_KPROBE(kprobe__udpv6_sendmsg, struct sock *sk, struct msghdr *msg)
{
	return net_udp_send(sk, msg, 1, EDR_SRC_KPROBE, 0, 1);
}

/* ---- signal: one process signalling another (bpf/signal.bpf.h) ---- */

SEC("tp_btf/signal_generate")
int BPF_PROG(tp_btf__signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal_generate(sig, info, task, group, result, EDR_SRC_TP_BTF);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(raw_tp__signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal_generate(sig, info, task, group, result, EDR_SRC_RAW_TP);
}

/* ---- enforcement: net and file (bpf/enforce.bpf.h) ---- */

SEC("lsm/socket_connect")
int BPF_PROG(lsm__enforce_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return enforce_lsm_sock(sock, address, EDR_DENY_OP_CONNECT);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(lsm__enforce_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	if (ret)
		return ret;
	return enforce_lsm_sock(sock, BPF_CORE_READ(msg, msg_name), EDR_DENY_OP_SENDMSG);
}

SEC("cgroup/connect4")
int cgroup__connect4(struct bpf_sock_addr *ctx)
{
	return enforce_sock_addr(ctx, 0, EDR_DENY_OP_CONNECT);
}

SEC("cgroup/connect6")
int cgroup__connect6(struct bpf_sock_addr *ctx)
{
	return enforce_sock_addr(ctx, 1, EDR_DENY_OP_CONNECT);
}

SEC("cgroup/sendmsg4")
int cgroup__sendmsg4(struct bpf_sock_addr *ctx)
{
	return enforce_sock_addr(ctx, 0, EDR_DENY_OP_SENDMSG);
}

SEC("cgroup/sendmsg6")
int cgroup__sendmsg6(struct bpf_sock_addr *ctx)
{
	return enforce_sock_addr(ctx, 1, EDR_DENY_OP_SENDMSG);
}

SEC("lsm/file_open")
int BPF_PROG(lsm__enforce_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	return enforce_file_open(file);
}

/* ---- isolation: attached only while isolated (loader/enforce.c pins them) ---- */

SEC("cgroup_skb/ingress")
int cgroup_skb__isolate_in(struct __sk_buff *skb)
{
	return isolate_pass(skb, 1);
}

SEC("cgroup_skb/egress")
int cgroup_skb__isolate_out(struct __sk_buff *skb)
{
	return isolate_pass(skb, 0);
}
