/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers that read kernel objects through CO-RE, so one object loads on
 * every kernel with BTF (built against the 6.18 vmlinux.h in this tree,
 * tested on 6.1 in vmtest/).
 */
#ifndef EDR_COMPAT_BPF_H
#define EDR_COMPAT_BPF_H

#define EDR_PATH_DEPTH 64 /* components walked before a path is marked truncated */

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
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct dentry *mnt_root = BPF_CORE_READ(mnt, mnt.mnt_root);
	const unsigned char *name;
	__u32 nlen, pos = w->pos;

	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root || mnt == mnt_parent) {
			w->done = 1; /* the global root, or an unmounted/pseudo dentry */
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)mnt_parent;
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name.name);
	nlen = BPF_CORE_READ(dentry, d_name.len) & 0xff;
	if (nlen + 1 > pos || pos >= EDR_PATH_MAX) {
		w->trunc = 1;
		w->done = 1;
		return 1;
	}
	pos -= nlen + 1;
	w->buf[pos & (EDR_PATH_MAX - 1)] = '/';
	if (bpf_probe_read_kernel(&w->buf[(pos + 1) & (EDR_PATH_MAX - 1)], nlen, name) < 0) {
		count_read_error();
		w->done = 1;
		return 1;
	}
	w->pos = pos;
	w->dentry = (__u64)parent;
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

#endif /* EDR_COMPAT_BPF_H */
