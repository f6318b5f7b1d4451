/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Paths: a struct path walked to an absolute path like d_path(), but from
 * any program type (bpf_d_path is limited to an allowlist of hooks); an
 * open file's path as /proc/PID/exe shows it; a name resolved against a
 * directory fd or the cwd; and the pieces appended to a record's tail.
 *
 * Hooks: none (helpers only). Needs: bpf_loop (5.17, the walk).
 *
 *   walkbuf   per-CPU path-walk buffer
 */
#ifndef EDR_PATH_BPF_H
#define EDR_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"
#include "emit.bpf.h"

#define EDR_PATH_DEPTH 64 /* components walked before a path is marked truncated */
/* Path walk buffer: a 4 KiB window plus room for one 255-byte component. */
#define EDR_WALK_BUF     8192
/* uapi: the "current directory" dirfd (the same on every architecture). */
#define EDR_AT_FDCWD      -100

/* The walk state lives in the map value, not on the stack: values read
 * from a map are unknown scalars to the verifier, so the bpf_loop body
 * converges after one pass instead of being explored per depth. */
struct edr_walk {
	__u8 buf[EDR_WALK_BUF];
	__u64 dentry;
	__u64 mnt;
	__u64 mnt_root; /* mnt's root dentry, read once per mount crossed */
	__u32 pos;
	__s32 trunc;
	__s32 done;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edr_walk);
} walkbuf SEC(".maps");

static __always_inline struct edr_walk *walk_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&walkbuf, &zero);
}

/* d_parent and d_name (struct qstr: hash and len in one u64, then the name
 * pointer), read together where they are adjacent, as on every kernel we
 * know; field by field otherwise. */
struct dentry_head {
	__u64 parent;
	__u64 hash_len; /* little endian: len in the high half */
	__u64 name;
};

static __always_inline int dentry_head_read(struct dentry *d, struct dentry_head *h)
{
	if (bpf_core_field_offset(d->d_name) == bpf_core_field_offset(d->d_parent) + 8 &&
	    bpf_core_field_size(d->d_name) == 16)
		return bpf_probe_read_kernel(h, sizeof(*h), (void *)d + bpf_core_field_offset(d->d_parent));
	h->parent = (__u64)BPF_CORE_READ(d, d_parent);
	h->hash_len = (__u64)BPF_CORE_READ(d, d_name.len) << 32;
	h->name = (__u64)BPF_CORE_READ(d, d_name.name);
	return 0;
}

/* bpf_loop wants its context on the stack; the state itself is in the map. */
struct walk_ctx {
	struct edr_walk *w;
};

/* One step of the walk, run by bpf_loop (5.17). */
static long walk_step(__u32 i, void *data)
{
	struct walk_ctx *c = data;
	struct edr_walk *w = c->w;

	if (!w)
		return 1;
	struct dentry *dentry = (void *)w->dentry;
	struct mount *mnt = (void *)w->mnt;
	struct dentry_head h;
	__u32 nlen, pos = w->pos;

	if (dentry_head_read(dentry, &h) < 0) {
		count_read_error();
		w->done = 1;
		return 1;
	}
	if (w->dentry == w->mnt_root || w->dentry == h.parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (w->dentry != w->mnt_root || mnt == mnt_parent) {
			w->done = 1; /* the global root, or an unmounted/pseudo dentry */
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)mnt_parent;
		w->mnt_root = (__u64)BPF_CORE_READ(mnt_parent, mnt.mnt_root);
		return 0;
	}
	nlen = (h.hash_len >> 32) & 0xff;
	if (nlen + 1 > pos || pos >= EDR_PATH_MAX) {
		w->trunc = 1;
		w->done = 1;
		return 1;
	}
	pos -= nlen + 1;
	w->buf[pos & (EDR_PATH_MAX - 1)] = '/';
	if (bpf_probe_read_kernel(&w->buf[(pos + 1) & (EDR_PATH_MAX - 1)], nlen, (void *)h.name) < 0) {
		count_read_error();
		w->done = 1;
		return 1;
	}
	w->pos = pos;
	w->dentry = h.parent;
	return 0;
}

/*
 * Resolves a struct path to an absolute path by walking dentries and
 * crossing mounts, like d_path() but usable from any program type (the
 * bpf_d_path helper is limited to an allowlist of hooks). The string is built
 * backwards in w->buf[0..EDR_PATH_MAX) and starts at the returned offset; its
 * length including the NUL is in *len. Sets *trunc when the path was deeper
 * or longer than the buffer.
 */
static __always_inline __u32 path_walk(struct edr_walk *w, struct path *path, __u32 *len, int *trunc)
{
	struct vfsmount *vfsmnt = BPF_CORE_READ(path, mnt);
	struct walk_ctx c = { .w = w };
	__u32 pos;

	w->dentry = (__u64)BPF_CORE_READ(path, dentry);
	w->mnt = (__u64)container_of(vfsmnt, struct mount, mnt);
	w->mnt_root = (__u64)BPF_CORE_READ(vfsmnt, mnt_root);
	w->pos = EDR_PATH_MAX - 1;
	w->trunc = 0;
	w->done = 0;
	w->buf[EDR_PATH_MAX - 1] = 0;
	bpf_loop(EDR_PATH_DEPTH, walk_step, &c, 0);
	*trunc = w->trunc || !w->done;
	pos = w->pos;
	if (pos >= EDR_PATH_MAX)
		pos = EDR_PATH_MAX - 1;
	if (pos == EDR_PATH_MAX - 1) {
		/* The root itself, or a dentry outside any walkable tree: "/". */
		pos--;
		w->buf[pos & (EDR_PATH_MAX - 1)] = '/';
	}
	*len = EDR_PATH_MAX - pos;
	return pos;
}

/*
 * Appends the resolved path to the record tail at *off; returns the length
 * written (NUL included).
 */
static __always_inline __u16 put_path(struct edr_scratch *s, __u32 *off, struct path *path, int *trunc)
{
	struct edr_walk *w = walk_get();
	__u32 len = 0, start;

	if (!w)
		return 0;
	start = path_walk(w, path, &len, trunc);
	if (len > EDR_PATH_MAX)
		return 0;
	if (bpf_probe_read_kernel(&s->rec[*off & EDR_TAIL_OFF_MASK], len & (EDR_PATH_MAX * 2 - 1),
				  &w->buf[start & (EDR_PATH_MAX - 1)]) < 0) {
		count_read_error();
		return 0;
	}
	*off += len;
	return len;
}

/* Appends a kernel string; returns the length written (NUL included). */
static __always_inline __u16 put_kstr(struct edr_scratch *s, __u32 *off, const char *str, int *trunc)
{
	long n = bpf_probe_read_kernel_str(&s->rec[*off & EDR_TAIL_OFF_MASK], EDR_PATH_MAX, str);

	if (n <= 0) {
		count_read_error();
		return 0;
	}
	*trunc = n == EDR_PATH_MAX;
	*off += n;
	return n;
}

#define EDR_DELETED_SUFFIX " (deleted)"
#define EDR_DELETED_SUFFIX_LEN 10

/*
 * A memfd's dentry is a pseudo dentry, its own parent and on no walkable
 * tree ("memfd:NAME" on the shmem or hugetlbfs internal mount): the walk
 * would give "/". Returns 1 when dentry is one.
 */
static __always_inline int dentry_is_memfd(struct dentry *dentry)
{
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	char pfx[6] = {};

	if (BPF_CORE_READ(dentry, d_parent) != dentry)
		return 0;
	if (bpf_probe_read_kernel(pfx, sizeof(pfx), name) < 0)
		return 0;
	return pfx[0] == 'm' && pfx[1] == 'e' && pfx[2] == 'm' && pfx[3] == 'f' && pfx[4] == 'd' &&
	       pfx[5] == ':';
}

/*
 * The path of an open file as d_path() shows it, so that rules written
 * against /proc/PID/exe hold: a memfd is "/memfd:NAME (deleted)", a file
 * whose inode has no name left gets " (deleted)" after its last path.
 * *kind gets EDR_EXEC_MEMFD or EDR_EXEC_DELETED. Returns the length
 * written, NUL included.
 */
static __always_inline __u16 put_file_path(struct edr_scratch *s, __u32 *off, struct file *file,
					   int *trunc, __u32 *kind)
{
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	__u32 start = *off, len;
	struct path path;

	*kind = 0;
	if (dentry_is_memfd(dentry)) {
		*kind = EDR_EXEC_MEMFD;
		s->rec[start & EDR_TAIL_OFF_MASK] = '/';
		*off = start + 1;
		len = put_kstr(s, off, (const char *)BPF_CORE_READ(dentry, d_name.name), trunc);
		if (!len) {
			*off = start;
			return 0;
		}
		len += 1;
	} else {
		if (BPF_CORE_READ(file, f_inode, __i_nlink) == 0)
			*kind = EDR_EXEC_DELETED;
		if (bpf_probe_read_kernel(&path, sizeof(path),
					  __builtin_preserve_access_index(&file->f_path)) < 0) {
			count_read_error();
			return 0;
		}
		len = put_path(s, off, &path, trunc);
		if (!len || !*kind)
			return len;
	}
	if (len + EDR_DELETED_SUFFIX_LEN > EDR_PATH_MAX) {
		*trunc = 1;
		return len;
	}
	/* Over the NUL, then a new NUL. */
	__builtin_memcpy(&s->rec[(start + len - 1) & EDR_TAIL_OFF_MASK], EDR_DELETED_SUFFIX,
			 EDR_DELETED_SUFFIX_LEN + 1);
	*off = start + len + EDR_DELETED_SUFFIX_LEN;
	return len + EDR_DELETED_SUFFIX_LEN;
}

/* A task's open file by fd, NULL when the slot is empty or out of range. */
static __always_inline struct file *fd_file_get(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]) < 0)
		return NULL;
	return f;
}

/* The file's struct path; -1 when there is no file or it cannot be read. */
static __always_inline int file_path_get(struct file *file, struct path *path)
{
	if (!file || bpf_probe_read_kernel(path, sizeof(*path),
					   __builtin_preserve_access_index(&file->f_path)) < 0)
		return -1;
	return 0;
}

/*
 * Appends "name" resolved against dfd (or the cwd): the directory's path
 * walked in the kernel, '/', then the name as written (user memory when
 * user is set, else kernel memory). An absolute name is copied as is. When
 * the directory fd is not in the table, only the name is written and *fl
 * gets rel_flag. Returns the length written, NUL included.
 */
static __always_inline __u16 put_name_at(struct edr_scratch *s, __u32 *off, struct task_struct *task,
					 int dfd, const char *name, int user, __u32 *fl,
					 __u32 trunc_flag, __u32 rel_flag)
{
	__u32 start = *off, len = 0;
	struct path base;
	int trunc = 0, have = 0;
	long n;
	char c = 0;

	if (user)
		n = bpf_probe_read_user(&c, 1, name);
	else
		n = bpf_probe_read_kernel(&c, 1, name);
	if (n < 0) {
		count_read_error();
		return 0;
	}
	if (c != '/') {
		if (dfd == EDR_AT_FDCWD)
			have = bpf_probe_read_kernel(&base, sizeof(base), &BPF_CORE_READ(task, fs)->pwd) == 0;
		else
			have = file_path_get(fd_file_get(task, dfd), &base) == 0;
		if (!have)
			*fl |= rel_flag;
	}
	if (have) {
		len = put_path(s, off, &base, &trunc);
		if (trunc)
			*fl |= trunc_flag;
		if (len == 2) {
			/* "/": the name follows the slash directly. */
			*off = start + 1;
			len = 1;
		} else if (len > 2) {
			s->rec[(start + len - 1) & (EDR_REC_BUF - 1)] = '/';
		}
	}
	if (user)
		n = bpf_probe_read_user_str(&s->rec[*off & EDR_TAIL_OFF_MASK], EDR_PATH_MAX, name);
	else
		n = bpf_probe_read_kernel_str(&s->rec[*off & EDR_TAIL_OFF_MASK], EDR_PATH_MAX, name);
	if (n <= 0) {
		count_read_error();
		n = 1;
		s->rec[*off & EDR_TAIL_OFF_MASK] = 0;
	}
	if (n == EDR_PATH_MAX)
		*fl |= trunc_flag;
	if (n == 1 && len > 2) {
		/* An empty name (AT_EMPTY_PATH): the directory itself. */
		s->rec[(start + len - 1) & (EDR_REC_BUF - 1)] = 0;
		*off = start + len;
		return len;
	}
	*off += n;
	return len + n;
}

#endif /* EDR_PATH_BPF_H */
