/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * File hooks: create, open for write or truncate, unlink/rmdir, rename,
 * chmod and chown. Four features, each with its attach paths in the
 * loader's order of preference (first kernel with each):
 *
 *   lsm (5.7, needs the BPF LSM active; the hooks need CONFIG_SECURITY_PATH):
 *     lsm/file_open (write: create, write, O_TRUNC), lsm/path_truncate
 *     (truncate(2); ftruncate(2) too before 6.2), lsm/path_unlink and
 *     lsm/path_rmdir, lsm/path_rename, lsm/path_chmod and lsm/path_chown.
 *     They run before the operation: records carry EDR_FILE_ATTEMPT.
 *   fentry (5.5; bpf_get_func_ret 5.17):
 *     fexit/do_filp_open (the open flags as passed, and the result),
 *     fexit/vfs_truncate (truncate(2) only: ftruncate has no path-based
 *     function), fentry+fexit/do_unlinkat, do_rmdir, do_renameat2 with
 *     fexit/vfs_unlink, vfs_rmdir, vfs_rename (reported on success only),
 *     fexit/chmod_common, fexit/chown_common.
 *   kprobe (4.x): kprobe/vfs_open, vfs_truncate, do_unlinkat, do_rmdir,
 *     do_renameat2, chmod_common, chown_common, all at entry: attempts (a
 *     failed unlink of a missing file is reported too).
 *   (fentry and kprobe on do_unlinkat & co. read the name as the caller
 *   wrote it, resolved against the dirfd or cwd like the tracepoint path.)
 *   tracepoint (4.7 for BPF on syscalls:*; bpf_task_pt_regs 5.15):
 *     syscalls:sys_enter_* stores the arguments per thread, sys_exit_*
 *     reports when the call succeeded. Opens have only a sys_exit program
 *     (open_exit): the flags come from the saved user registers, and the
 *     path from the new fd's struct file, so it is the kernel's; names
 *     relative to a directory fd are resolved against the fd's path (or the
 *     cwd) in the kernel, else sent as written with EDR_FILE_PATH_RELATIVE.
 *     sys_enter_fchmodat2 exists from 6.6 and is optional.
 *
 * Read-only opens are dropped at the first test of every path (the flags),
 * before any map access; a write is reported once, at open, never per write.
 *
 * Hard links and symlinks (feature file_link), same order:
 *   lsm: lsm/path_link, lsm/path_symlink (attempts).
 *   fentry: fentry+fexit/do_linkat and do_symlinkat keep the names,
 *     fexit/vfs_link and vfs_symlink report on success, like unlink above.
 *   kprobe: kprobe/do_linkat, do_symlinkat (attempts).
 *   tracepoint: syscalls:sys_enter/exit_link, linkat, symlink, symlinkat.
 * A symlink's target (old_path) is the string as written: the kernel never
 * resolves it.
 *
 * chmod's old mode (EDR_FILE_OLD_MODE): lsm/path_chmod and kprobe/chmod_common
 * run before the change and read the inode; the fentry path keeps it at
 * fentry/chmod_common for fexit; the tracepoint path reads it at
 * sys_enter_fchmod from the fd's inode, and cannot for chmod by name (the
 * name is not resolved at entry): there the flag stays clear.
 */
#ifndef EDR_FILE_BPF_H
#define EDR_FILE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"
#include "path.bpf.h"
#include "task.bpf.h"

/* uapi values: the generic ones (asm-generic/fcntl.h), which x86-64 and
 * arm64 both use; alpha, mips, parisc and sparc have their own O_* values. */
#define EDR_AT_REMOVEDIR  0x200
#define EDR_O_WRONLY      00000001
#define EDR_O_RDWR        00000002
#define EDR_O_CREAT       00000100
#define EDR_O_TRUNC       00001000
#define EDR_O_WRITE_MASK  (EDR_O_WRONLY | EDR_O_RDWR | EDR_O_CREAT | EDR_O_TRUNC)
/* include/linux/fs.h: stable since 4.19 (FMODE_CREATED was added there). */
#define EDR_FMODE_WRITE   0x2
#define EDR_FMODE_CREATED 0x100000
#define EDR_S_ISID        06000
#define EDR_S_IFDIR       0040000

enum file_op {
	FOP_UNLINK = 1,
	FOP_RENAME,
	FOP_CHMOD,  /* by name */
	FOP_FCHMOD, /* by fd */
	FOP_CHOWN,
	FOP_FCHOWN,
	FOP_TRUNCATE,
	FOP_FTRUNCATE,
	FOP_LINK,    /* name (dfd) -> name2 (dfd2) */
	FOP_SYMLINK, /* name2 (dfd2) pointing to name, as written */
};

/* file_args.old_mode: set when the old mode was read at sys_enter. */
#define EDR_OLD_MODE_KNOWN 0x80000000u

/* A syscall in flight, between sys_enter and sys_exit. */
struct file_args {
	__u32 op;
	__s32 dfd;   /* or the fd for FOP_F* */
	__s32 dfd2;
	__u32 flags; /* open flags, unlinkat flags, rename flags */
	__u64 name;  /* user pointers */
	__u64 name2;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 old_mode; /* fchmod: the inode's i_mode at entry | EDR_OLD_MODE_KNOWN */
};

/* LRU: a thread killed between enter and exit never leaves a slot behind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct file_args);
} file_args SEC(".maps");

/* Every file record names its file (a rename its source too), and the
 * decoder holds to that: a record whose path could not be read is not sent
 * (the failed read is counted in read_errors). */
static __always_inline void emit_file(struct edr_file *e, __u32 type, __u32 off, __u32 src)
{
	if (!e->path_len || ((type == EDR_EVENT_FILE_RENAME || type == EDR_EVENT_FILE_LINK ||
			       type == EDR_EVENT_FILE_SYMLINK) && !e->old_path_len))
		return;
	emit(e, type, off, src);
}

/* The fixed part every file record shares except the inode's fields
 * (mode, uid, gid, dev, ino); returns the tail offset. */
static __always_inline __u32 file_begin_task(struct edr_file *e)
{
	fill_task_cur(&e->task); /* every file hook runs in the caller's context */
	e->flags = 0;
	e->ret = 0;
	e->open_flags = 0;
	e->dirfd = 0;
	e->old_dirfd = 0;
	e->path_len = 0;
	e->old_path_len = 0;
	e->old_mode = 0;
	e->_pad1 = 0;
	return sizeof(*e);
}

/* A file report's record in the per-CPU scratch (*sp), its fixed part
 * begun and the tail offset in *off; NULL when there is no scratch. */
static __always_inline struct edr_file *file_rec(struct edr_scratch **sp, __u32 *off)
{
	struct edr_scratch *s = scratch_get();
	struct edr_file *e;

	*sp = s;
	if (!s)
		return NULL;
	e = (void *)s->rec;
	e->mode = 0;
	e->uid = (__u32)-1;
	e->gid = (__u32)-1;
	e->dev = 0;
	e->ino = 0;
	*off = file_begin_task(e);
	return e;
}

/*
 * A naturally aligned field of TYPE at byte offset OFF (relocated by CO-RE)
 * in a head read into a __u64 array: one aligned word load and a shift, not
 * the byte-by-byte loads clang emits for a field at an offset it cannot see.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "HEAD_LOAD assumes a little-endian target"
#endif
#define HEAD_LOAD(head, type, off) ((type)((head)[(off) / 8] >> ((off) % 8 * 8)))

/* The fields sit near the head of struct inode: one read of that head
 * (offsets relocated by CO-RE) instead of one per field; field by field on a
 * kernel where they do not fit in it. */
#define EDR_INODE_HEAD 128

static __always_inline void file_inode_fill(struct edr_file *e, struct inode *inode)
{
	__u64 head[EDR_INODE_HEAD / 8];
	struct super_block *sb;

	if (bpf_core_field_offset(inode->i_mode) <= EDR_INODE_HEAD - 2 &&
	    bpf_core_field_offset(inode->i_uid) <= EDR_INODE_HEAD - 4 &&
	    bpf_core_field_offset(inode->i_gid) <= EDR_INODE_HEAD - 4 &&
	    bpf_core_field_offset(inode->i_ino) <= EDR_INODE_HEAD - 8 &&
	    bpf_core_field_offset(inode->i_sb) <= EDR_INODE_HEAD - 8) {
		if (bpf_probe_read_kernel(head, sizeof(head), inode) < 0) {
			count_read_error();
			return;
		}
		e->mode = HEAD_LOAD(head, __u16, bpf_core_field_offset(inode->i_mode));
		e->uid = HEAD_LOAD(head, __u32, bpf_core_field_offset(inode->i_uid));
		e->gid = HEAD_LOAD(head, __u32, bpf_core_field_offset(inode->i_gid));
		e->ino = HEAD_LOAD(head, __u64, bpf_core_field_offset(inode->i_ino));
		sb = (void *)HEAD_LOAD(head, __u64, bpf_core_field_offset(inode->i_sb));
		e->dev = BPF_CORE_READ(sb, s_dev);
		return;
	}
	e->mode = BPF_CORE_READ(inode, i_mode);
	e->uid = BPF_CORE_READ(inode, i_uid.val);
	e->gid = BPF_CORE_READ(inode, i_gid.val);
	e->ino = BPF_CORE_READ(inode, i_ino);
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
}

/*
 * An open that may write: reports create (the open made the file), write
 * or truncate, nothing for a read-only open of an existing file. oflags:
 * the open flags as the caller passed them; do_dentry_open() clears O_TRUNC
 * and O_CREAT from f_flags once the file is open.
 */
/*
 * Repeated write-opens of one file by one process: the first is reported,
 * the same again (same inode, same write/truncate flags) within
 * cfg_open_dedup_ns of it is only counted (stats.suppressed), so a program
 * that reopens a log file in a loop sends one event per window, not one per
 * open. A create is never suppressed. cfg_open_dedup_ns 0 reports every open.
 */
struct open_key {
	__u64 ino;
	__u32 dev;
	__u32 tgid;
	__u32 oflags;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct open_key);
	__type(value, __u64);
} open_seen SEC(".maps");

const volatile __u64 cfg_open_dedup_ns = 0;

static __always_inline int open_suppressed(const struct edr_file *e, __u32 oflags)
{
	struct open_key k = {
		.ino = e->ino, .dev = e->dev, .tgid = bpf_get_current_pid_tgid() >> 32,
		.oflags = oflags & (EDR_O_WRONLY | EDR_O_RDWR | EDR_O_TRUNC),
	};
	__u64 now, *last;
	struct edr_bpf_stats *st;

	if (!cfg_open_dedup_ns)
		return 0;
	now = bpf_ktime_get_ns();
	last = bpf_map_lookup_elem(&open_seen, &k);
	if (last && now - *last < cfg_open_dedup_ns) {
		st = stats_get();
		if (st)
			st->suppressed++;
		return 1;
	}
	bpf_map_update_elem(&open_seen, &k, &now, BPF_ANY);
	return 0;
}

/*
 * An open that may write: reports create (the open made the file), write
 * or truncate, nothing for a read-only open of an existing file. oflags:
 * the open flags as the caller passed them; do_dentry_open() clears O_TRUNC
 * and O_CREAT from f_flags once the file is open. inode: from the path (at
 * kprobe/vfs_open, f_inode is not set yet).
 */
static __always_inline int report_open_fi(__u32 fmode, struct inode *inode, struct path *path,
					  __u32 oflags, __u32 src, __u32 attempt)
{
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, type;
	int trunc = 0;

	if (!(fmode & (EDR_FMODE_WRITE | EDR_FMODE_CREATED)) && !(oflags & EDR_O_TRUNC))
		return 0;
	if (!wanted_cur())
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	e = (void *)s->rec;
	type = fmode & EDR_FMODE_CREATED ? EDR_EVENT_FILE_CREATE : EDR_EVENT_FILE_WRITE;
	file_inode_fill(e, inode);
	if (type == EDR_EVENT_FILE_WRITE && open_suppressed(e, oflags))
		return 0;
	off = file_begin_task(e);
	if (attempt)
		e->flags |= EDR_FILE_ATTEMPT;
	if (oflags & EDR_O_TRUNC)
		e->flags |= EDR_FILE_TRUNCATE;
	e->open_flags = oflags;
	if (type == EDR_EVENT_FILE_CREATE && (e->mode & EDR_S_ISID))
		e->flags |= EDR_FILE_SETID;
	e->path_len = put_path(s, &off, path, &trunc);
	if (trunc)
		e->flags |= EDR_FILE_PATH_TRUNC;
	emit_file(e, type, off, src);
	return 0;
}

static __always_inline int report_open(struct task_struct *task, struct file *file, struct path *path,
				       __u32 oflags, __u32 src, __u32 attempt)
{
	return report_open_fi(BPF_CORE_READ(file, f_mode), BPF_CORE_READ(path, dentry, d_inode), path,
			      oflags, src, attempt);
}

/* f_mode, f_path and f_inode from one read of the head of struct file
 * (CO-RE offsets), field by field where they do not fit in it. */
#define EDR_FILE_HEAD 128

struct file_head {
	__u32 fmode;
	struct path path;
	struct inode *inode;
};

static __always_inline int file_head_read(struct file *f, struct file_head *h)
{
	__u64 head[EDR_FILE_HEAD / 8];

	if (!f)
		return -1;
	if (bpf_core_field_offset(f->f_mode) <= EDR_FILE_HEAD - 4 &&
	    bpf_core_field_offset(f->f_path) <= EDR_FILE_HEAD - 16 &&
	    bpf_core_field_offset(f->f_inode) <= EDR_FILE_HEAD - 8) {
		if (bpf_probe_read_kernel(head, sizeof(head), f) < 0)
			return -1;
		h->fmode = HEAD_LOAD(head, __u32, bpf_core_field_offset(f->f_mode));
		h->path.mnt = (void *)HEAD_LOAD(head, __u64, bpf_core_field_offset(f->f_path.mnt));
		h->path.dentry = (void *)HEAD_LOAD(head, __u64, bpf_core_field_offset(f->f_path.dentry));
		h->inode = (void *)HEAD_LOAD(head, __u64, bpf_core_field_offset(f->f_inode));
		return 0;
	}
	h->fmode = BPF_CORE_READ(f, f_mode);
	h->inode = BPF_CORE_READ(f, f_inode);
	return file_path_get(f, &h->path);
}

/* fd -> struct file of the current task: BTF loads down to the fd array,
 * one read for the slot. */
static __always_inline struct file *fd_file_cur(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || (__u32)fd >= fdt->max_fds)
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd & 0xfffff]) < 0)
		return NULL;
	return f;
}

/* ---- tracepoint path ---- */

static __always_inline int file_enter(struct file_args *a)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	bpf_map_update_elem(&file_args, &id, a, BPF_ANY);
	return 0;
}

enum tp_open { TP_OPEN, TP_OPENAT, TP_OPENAT2, TP_CREAT };

/*
 * Opens need no sys_enter program: at sys_exit the arguments are still in
 * the user registers saved at entry, which open(2) and friends never write
 * back. So a read-only open costs one program run, a register read and one
 * test, and no map access; only an open that may write goes further.
 */
static __noinline int open_exit(long ret, __u32 which)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (void *)bpf_task_pt_regs(task);
	struct file_head fh;
	__u32 flags;
	__u64 v = 0;

	if (ret < 0)
		return 0;
	/* Direct loads: regs is a BTF pointer, and a helper call per open
	 * costs more than the rest of this function. */
	switch (which) {
	case TP_OPEN:
		flags = PT_REGS_PARM2_SYSCALL(regs);
		break;
	case TP_OPENAT:
		flags = PT_REGS_PARM3_SYSCALL(regs);
		break;
	case TP_OPENAT2:
		/* struct open_how starts with the u64 flags */
		if (bpf_probe_read_user(&v, sizeof(v), (void *)PT_REGS_PARM3_SYSCALL(regs)) < 0)
			return 0;
		flags = v;
		break;
	default:
		flags = EDR_O_CREAT | EDR_O_WRONLY | EDR_O_TRUNC; /* creat(2) */
		break;
	}
	if (!(flags & EDR_O_WRITE_MASK))
		return 0;
	if (file_head_read(fd_file_cur(ret), &fh))
		return 0;
	return report_open_fi(fh.fmode, fh.inode, &fh.path, flags, EDR_SRC_TRACEPOINT, 0);
}

static __always_inline int enter_unlink(int dfd, const char *name, __u32 flags)
{
	struct file_args a = { .op = FOP_UNLINK, .dfd = dfd, .flags = flags, .name = (__u64)name };

	return file_enter(&a);
}

static __always_inline int enter_rename(int dfd, const char *name, int dfd2, const char *name2, __u32 flags)
{
	struct file_args a = { .op = FOP_RENAME, .dfd = dfd, .dfd2 = dfd2, .flags = flags,
			       .name = (__u64)name, .name2 = (__u64)name2 };

	return file_enter(&a);
}

static __always_inline int enter_chmod(__u32 op, int dfd, const char *name, __u32 mode)
{
	struct file_args a = { .op = op, .dfd = dfd, .mode = mode, .name = (__u64)name };

	/* By fd, the inode is known before the change; by name it is not. */
	if (op == FOP_FCHMOD) {
		struct file *f = fd_file_get((void *)bpf_get_current_task(), dfd);

		if (f)
			a.old_mode = BPF_CORE_READ(f, f_inode, i_mode) | EDR_OLD_MODE_KNOWN;
	}

	return file_enter(&a);
}

static __always_inline int enter_truncate(__u32 op, int fd, const char *name)
{
	struct file_args a = { .op = op, .dfd = fd, .name = (__u64)name };

	return file_enter(&a);
}

static __always_inline int enter_chown(__u32 op, int dfd, const char *name, __u32 uid, __u32 gid)
{
	struct file_args a = { .op = op, .dfd = dfd, .uid = uid, .gid = gid, .name = (__u64)name };

	return file_enter(&a);
}

/*
 * One body for every sys_exit_*: the op stored at enter says what to report.
 * want_op is the exit's own op: an entry left by another path's program (a
 * thread killed mid-call) is dropped, never reported as this call.
 */
static __noinline int file_exit(long ret, __u32 want_op)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct file_args a, *p;
	struct edr_scratch *s;
	struct edr_file *e;
	struct path path;
	struct file *f;
	__u32 off, type, fl = 0;
	int trunc = 0;

	p = bpf_map_lookup_elem(&file_args, &id);
	if (!p)
		return 0;
	a = *p;
	bpf_map_delete_elem(&file_args, &id);
	if (ret < 0 || a.op != want_op)
		return 0;
	task = (void *)bpf_get_current_task();
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	e->ret = ret;
	switch (a.op) {
	case FOP_UNLINK:
		type = EDR_EVENT_FILE_UNLINK;
		if (a.flags & EDR_AT_REMOVEDIR)
			fl |= EDR_FILE_DIR;
		break;
	case FOP_RENAME:
		type = EDR_EVENT_FILE_RENAME;
		break;
	case FOP_CHMOD:
	case FOP_FCHMOD:
		type = EDR_EVENT_FILE_CHMOD;
		e->mode = a.mode & 07777;
		if (a.mode & EDR_S_ISID)
			fl |= EDR_FILE_SETID;
		break;
	case FOP_CHOWN:
	case FOP_FCHOWN:
		type = EDR_EVENT_FILE_CHOWN;
		e->uid = a.uid;
		e->gid = a.gid;
		break;
	case FOP_TRUNCATE:
	case FOP_FTRUNCATE:
		type = EDR_EVENT_FILE_WRITE;
		fl |= EDR_FILE_TRUNCATE;
		break;
	case FOP_LINK:
		type = EDR_EVENT_FILE_LINK;
		break;
	case FOP_SYMLINK:
		type = EDR_EVENT_FILE_SYMLINK;
		break;
	default:
		return 0;
	}
	if (a.op == FOP_FCHMOD || a.op == FOP_FCHOWN || a.op == FOP_FTRUNCATE) {
		f = fd_file_get(task, a.dfd);
		if (file_path_get(f, &path))
			return 0;
		file_inode_fill(e, BPF_CORE_READ(f, f_inode));
		if (type == EDR_EVENT_FILE_CHOWN) {
			e->uid = a.uid;
			e->gid = a.gid;
		} else if (type == EDR_EVENT_FILE_CHMOD) {
			e->mode = a.mode & 07777;
			if (a.old_mode & EDR_OLD_MODE_KNOWN) {
				e->old_mode = a.old_mode & 0xffff;
				fl |= EDR_FILE_OLD_MODE;
			}
		}
		e->path_len = put_path(s, &off, &path, &trunc);
		if (trunc)
			fl |= EDR_FILE_PATH_TRUNC;
	} else if (a.op == FOP_RENAME || a.op == FOP_LINK) {
		e->path_len = put_name_at(s, &off, task, a.dfd2, (void *)a.name2, 1, &fl,
					  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
		e->dirfd = a.dfd2;
		e->old_path_len = put_name_at(s, &off, task, a.dfd, (void *)a.name, 1, &fl,
					      EDR_FILE_OLD_PATH_TRUNC, EDR_FILE_OLD_PATH_RELATIVE);
		e->old_dirfd = a.dfd;
	} else if (a.op == FOP_SYMLINK) {
		long n;

		e->path_len = put_name_at(s, &off, task, a.dfd2, (void *)a.name2, 1, &fl,
					  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
		e->dirfd = a.dfd2;
		/* The target as written: never resolved. */
		n = bpf_probe_read_user_str(&s->rec[off & EDR_TAIL_OFF_MASK], EDR_PATH_MAX, (void *)a.name);
		if (n <= 0) {
			count_read_error();
			return 0;
		}
		if (n == EDR_PATH_MAX)
			fl |= EDR_FILE_OLD_PATH_TRUNC;
		off += n;
		e->old_path_len = n;
	} else {
		e->path_len = put_name_at(s, &off, task, a.dfd, (void *)a.name, 1, &fl,
					  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
		e->dirfd = a.dfd;
	}
	e->flags |= fl;
	emit_file(e, type, off, EDR_SRC_TRACEPOINT);
	return 0;
}

/* ---- LSM, fentry and kprobe paths ---- */

/* A dentry under a directory: the walk starts at the dentry itself, on the
 * directory's mount. */
static __always_inline __u16 put_dentry(struct edr_scratch *s, __u32 *off, const struct path *dir,
					struct dentry *dentry, __u32 *fl, __u32 trunc_flag)
{
	struct path p;
	int trunc = 0;
	__u16 n;

	p.mnt = BPF_CORE_READ(dir, mnt);
	p.dentry = dentry;
	n = put_path(s, off, &p, &trunc);
	if (trunc)
		*fl |= trunc_flag;
	return n;
}

static __always_inline int report_unlink_dentry(const struct path *dir, struct dentry *dentry,
						__u32 src, __u32 is_dir)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	if (is_dir)
		fl |= EDR_FILE_DIR;
	file_inode_fill(e, BPF_CORE_READ(dentry, d_inode));
	e->path_len = put_dentry(s, &off, dir, dentry, &fl, EDR_FILE_PATH_TRUNC);
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_UNLINK, off, src);
	return 0;
}

static __always_inline int report_rename_dentry(const struct path *old_dir, struct dentry *old_dentry,
						const struct path *new_dir, struct dentry *new_dentry,
						__u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	file_inode_fill(e, BPF_CORE_READ(old_dentry, d_inode));
	e->path_len = put_dentry(s, &off, new_dir, new_dentry, &fl, EDR_FILE_PATH_TRUNC);
	e->old_path_len = put_dentry(s, &off, old_dir, old_dentry, &fl, EDR_FILE_OLD_PATH_TRUNC);
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_RENAME, off, src);
	return 0;
}

/* fentry/chmod_common keeps the mode before the change for fexit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u32);
} chmod_old SEC(".maps");

static __always_inline int chmod_keep_old(const struct path *path)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 mode;

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	mode = BPF_CORE_READ(path, dentry, d_inode, i_mode);
	bpf_map_update_elem(&chmod_old, &id, &mode, BPF_ANY);
	return 0;
}

/* chmod (type CHMOD, mode), chown (type CHOWN, uid/gid) or truncate
 * (type WRITE) of a path. */
static __always_inline int report_attr_path(const struct path *path, __u32 type, __u32 mode,
					    __u32 uid, __u32 gid, __u32 src, __u32 attempt, long ret)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	struct path p;
	__u32 off, fl = attempt ? EDR_FILE_ATTEMPT : 0;
	int trunc = 0;

	if (ret < 0 || !wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	e->ret = ret;
	p.mnt = BPF_CORE_READ(path, mnt);
	p.dentry = BPF_CORE_READ(path, dentry);
	file_inode_fill(e, BPF_CORE_READ(p.dentry, d_inode));
	if (type == EDR_EVENT_FILE_CHMOD) {
		if (attempt) {
			/* Before the change: the inode still has its old mode. */
			e->old_mode = e->mode;
			fl |= EDR_FILE_OLD_MODE;
		} else {
			__u64 id = bpf_get_current_pid_tgid();
			__u32 *old = bpf_map_lookup_elem(&chmod_old, &id);

			if (old) {
				e->old_mode = *old;
				fl |= EDR_FILE_OLD_MODE;
				bpf_map_delete_elem(&chmod_old, &id);
			}
		}
		e->mode = mode & 07777;
		if (mode & EDR_S_ISID)
			fl |= EDR_FILE_SETID;
	} else if (type == EDR_EVENT_FILE_CHOWN) {
		e->uid = uid;
		e->gid = gid;
	} else {
		fl |= EDR_FILE_TRUNCATE;
	}
	e->path_len = put_path(s, &off, &p, &trunc);
	if (trunc)
		fl |= EDR_FILE_PATH_TRUNC;
	e->flags |= fl;
	emit_file(e, type, off, src);
	return 0;
}

/* do_unlinkat/do_rmdir/do_renameat2 take struct filename (kernel copies). */
static __always_inline int report_unlink_name(int dfd, struct filename *name, __u32 src, __u32 is_dir)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	if (is_dir)
		fl |= EDR_FILE_DIR;
	e->path_len = put_name_at(s, &off, task, dfd, BPF_CORE_READ(name, name), 0, &fl,
				  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
	if (!e->path_len)
		return 0; /* getname() failed: nothing was attempted */
	e->dirfd = dfd;
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_UNLINK, off, src);
	return 0;
}

static __always_inline int report_rename_name(int olddfd, struct filename *from, int newdfd,
					      struct filename *to, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	e->path_len = put_name_at(s, &off, task, newdfd, BPF_CORE_READ(to, name), 0, &fl,
				  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
	e->dirfd = newdfd;
	e->old_path_len = put_name_at(s, &off, task, olddfd, BPF_CORE_READ(from, name), 0, &fl,
				      EDR_FILE_OLD_PATH_TRUNC, EDR_FILE_OLD_PATH_RELATIVE);
	if (!e->path_len || !e->old_path_len)
		return 0;
	e->old_dirfd = olddfd;
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_RENAME, off, src);
	return 0;
}

/*
 * fentry path for unlink, rmdir and rename: fentry on do_unlinkat & co.
 * keeps the names (struct filename, alive until those functions return)
 * per thread; fexit of the vfs_* call under them reports, only when it
 * succeeded; fexit of do_* drops what is left (a failed lookup never reaches
 * vfs_*). A separate map from file_args: the two paths may serve different
 * features at once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct file_args);
} file_pend SEC(".maps");

static __always_inline int pend_names(__u32 op, int dfd, struct filename *name, int dfd2,
				      struct filename *name2, __u32 flags)
{
	struct file_args a = { .op = op, .dfd = dfd, .dfd2 = dfd2, .flags = flags,
			       .name = (__u64)name, .name2 = (__u64)name2 };
	__u64 id = bpf_get_current_pid_tgid();

	if (!wanted((void *)bpf_get_current_task()))
		return 0;
	bpf_map_update_elem(&file_pend, &id, &a, BPF_ANY);
	return 0;
}

static __always_inline int pend_drop(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&file_pend, &id);
	return 0;
}

static __always_inline int pend_report(__u32 op, __u32 is_dir, long ret, struct dentry *old_dentry)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task;
	struct file_args a, *p;
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, type, fl = 0;

	struct filename *name, *name2;

	p = bpf_map_lookup_elem(&file_pend, &id);
	if (!p)
		return 0;
	a = *p;
	if (a.op != op || ret)
		return 0;
	/* Locals: inside BPF_CORE_READ, a.name would become a CO-RE
	 * relocation against struct file_args, which the kernel lacks. */
	name = (void *)a.name;
	name2 = (void *)a.name2;
	if (op == FOP_UNLINK && !(a.flags & EDR_AT_REMOVEDIR) != !is_dir)
		return 0;
	bpf_map_delete_elem(&file_pend, &id);
	task = (void *)bpf_get_current_task();
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	if (op == FOP_RENAME) {
		type = EDR_EVENT_FILE_RENAME;
		file_inode_fill(e, BPF_CORE_READ(old_dentry, d_inode));
		e->path_len = put_name_at(s, &off, task, a.dfd2, BPF_CORE_READ(name2, name),
					  0, &fl, EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
		e->dirfd = a.dfd2;
		e->old_path_len = put_name_at(s, &off, task, a.dfd,
					      BPF_CORE_READ(name, name), 0, &fl,
					      EDR_FILE_OLD_PATH_TRUNC, EDR_FILE_OLD_PATH_RELATIVE);
		e->old_dirfd = a.dfd;
		if (!e->old_path_len)
			return 0;
	} else {
		/* The dentry is negative by now: no inode to describe. */
		type = EDR_EVENT_FILE_UNLINK;
		if (is_dir)
			fl |= EDR_FILE_DIR;
		e->path_len = put_name_at(s, &off, task, a.dfd, BPF_CORE_READ(name, name), 0, &fl,
					  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
		e->dirfd = a.dfd;
	}
	if (!e->path_len)
		return 0;
	e->flags |= fl;
	emit_file(e, type, off, EDR_SRC_FENTRY);
	return 0;
}

/* fexit/vfs_link (FOP_LINK) and fexit/vfs_symlink (FOP_SYMLINK): the names
 * kept by fentry/do_linkat or do_symlinkat, on success. A function apart
 * from pend_report(): inlined together they pass the 512-byte stack. */
static __always_inline int pend_report_link(__u32 op, long ret, struct dentry *old_dentry)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct filename *name, *name2;
	struct file_args a, *p;
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = 0;
	int trunc = 0;

	p = bpf_map_lookup_elem(&file_pend, &id);
	if (!p)
		return 0;
	a = *p;
	if (a.op != op || ret)
		return 0;
	name = (void *)a.name;
	name2 = (void *)a.name2;
	bpf_map_delete_elem(&file_pend, &id);
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	if (old_dentry)
		file_inode_fill(e, BPF_CORE_READ(old_dentry, d_inode));
	e->path_len = put_name_at(s, &off, (void *)bpf_get_current_task(), a.dfd2,
				  BPF_CORE_READ(name2, name), 0, &fl, EDR_FILE_PATH_TRUNC,
				  EDR_FILE_PATH_RELATIVE);
	e->dirfd = a.dfd2;
	if (op == FOP_LINK) {
		e->old_path_len = put_name_at(s, &off, (void *)bpf_get_current_task(), a.dfd,
					      BPF_CORE_READ(name, name), 0, &fl, EDR_FILE_OLD_PATH_TRUNC,
					      EDR_FILE_OLD_PATH_RELATIVE);
		e->old_dirfd = a.dfd;
	} else {
		/* The target as written: never resolved. */
		e->old_path_len = put_kstr(s, &off, BPF_CORE_READ(name, name), &trunc);
		if (trunc)
			fl |= EDR_FILE_OLD_PATH_TRUNC;
	}
	e->flags |= fl;
	emit_file(e, op == FOP_LINK ? EDR_EVENT_FILE_LINK : EDR_EVENT_FILE_SYMLINK, off, EDR_SRC_FENTRY);
	return 0;
}

/*
 * LSM path: an open with O_TRUNC calls security_path_truncate() after
 * security_file_open(); lsm/file_open already reported it with
 * EDR_FILE_TRUNCATE, so it leaves the inode here for lsm/path_truncate to
 * skip once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} file_trunc SEC(".maps");

static __always_inline int lsm_open(struct file *file)
{
	__u32 oflags = BPF_CORE_READ(file, f_flags);

	if (oflags & EDR_O_TRUNC) {
		__u64 id = bpf_get_current_pid_tgid();
		__u64 inode = (__u64)BPF_CORE_READ(file, f_inode);

		bpf_map_update_elem(&file_trunc, &id, &inode, BPF_ANY);
	}
	return report_open((void *)bpf_get_current_task(), file, (void *)&file->f_path, oflags,
			   EDR_SRC_LSM, 1);
}

static __always_inline int lsm_truncate(const struct path *path)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *inode = bpf_map_lookup_elem(&file_trunc, &id);

	if (inode) {
		__u64 mine = (__u64)BPF_CORE_READ(path, dentry, d_inode);
		__u64 seen = *inode;

		bpf_map_delete_elem(&file_trunc, &id);
		if (seen == mine)
			return 0;
	}
	return report_attr_path(path, EDR_EVENT_FILE_WRITE, 0, 0, 0, EDR_SRC_LSM, 1, 0);
}

/* ---- hard links and symlinks: LSM and kprobe paths ---- */

/* lsm/path_link: a hard link never crosses mounts (do_linkat refuses with
 * EXDEV before the hook), so the existing file walks on new_dir's mount. */
static __always_inline int report_link_dentry(struct dentry *old_dentry, const struct path *new_dir,
					      struct dentry *new_dentry)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	file_inode_fill(e, BPF_CORE_READ(old_dentry, d_inode));
	e->path_len = put_dentry(s, &off, new_dir, new_dentry, &fl, EDR_FILE_PATH_TRUNC);
	e->old_path_len = put_dentry(s, &off, new_dir, old_dentry, &fl, EDR_FILE_OLD_PATH_TRUNC);
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_LINK, off, EDR_SRC_LSM);
	return 0;
}

static __always_inline int report_symlink_dentry(const struct path *dir, struct dentry *dentry,
						 const char *target)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;
	int trunc = 0;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	e->path_len = put_dentry(s, &off, dir, dentry, &fl, EDR_FILE_PATH_TRUNC);
	e->old_path_len = put_kstr(s, &off, target, &trunc);
	if (trunc)
		fl |= EDR_FILE_OLD_PATH_TRUNC;
	e->flags |= fl;
	emit_file(e, EDR_EVENT_FILE_SYMLINK, off, EDR_SRC_LSM);
	return 0;
}

/* kprobe/do_linkat (FOP_LINK: from at olddfd -> to at newdfd) and
 * kprobe/do_symlinkat (FOP_SYMLINK: to at newdfd, target from as written). */
static __always_inline int report_link_name(__u32 op, int olddfd, struct filename *from, int newdfd,
					    struct filename *to, __u32 src)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct edr_scratch *s;
	struct edr_file *e;
	__u32 off, fl = EDR_FILE_ATTEMPT;
	int trunc = 0;

	if (!wanted(task))
		return 0;
	e = file_rec(&s, &off);
	if (!e)
		return 0;
	e->path_len = put_name_at(s, &off, task, newdfd, BPF_CORE_READ(to, name), 0, &fl,
				  EDR_FILE_PATH_TRUNC, EDR_FILE_PATH_RELATIVE);
	e->dirfd = newdfd;
	if (op == FOP_LINK) {
		e->old_path_len = put_name_at(s, &off, task, olddfd, BPF_CORE_READ(from, name), 0, &fl,
					      EDR_FILE_OLD_PATH_TRUNC, EDR_FILE_OLD_PATH_RELATIVE);
		e->old_dirfd = olddfd;
	} else {
		e->old_path_len = put_kstr(s, &off, BPF_CORE_READ(from, name), &trunc);
		if (trunc)
			fl |= EDR_FILE_OLD_PATH_TRUNC;
	}
	e->flags |= fl;
	emit_file(e, op == FOP_LINK ? EDR_EVENT_FILE_LINK : EDR_EVENT_FILE_SYMLINK, off, src);
	return 0;
}

static __always_inline int enter_link(__u32 op, int dfd, const char *name, int dfd2, const char *name2)
{
	struct file_args a = { .op = op, .dfd = dfd, .dfd2 = dfd2, .name = (__u64)name,
			       .name2 = (__u64)name2 };

	return file_enter(&a);
}

#endif /* EDR_FILE_BPF_H */
