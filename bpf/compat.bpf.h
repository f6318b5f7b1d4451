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

#endif /* EDR_COMPAT_BPF_H */
