// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "sensor/proctable.h"

#define NBUCKETS 4096
/* /proc reports start times in USER_HZ ticks of 10 ms. */
#define NS_PER_TICK 10000000ull

struct edr_proctable {
	struct edr_proc *buckets[NBUCKETS];
	size_t count, max, refused;
	struct edr_proc *lru_head, *lru_tail; /* exited, oldest at head */
	char boot_id[64];
};

void edr_entity_id(const char *boot_id, uint32_t tgid, uint64_t start_ns, char out[33])
{
	unsigned char h[16];
	char in[128];
	int n = snprintf(in, sizeof(in), "%s|%u|%llu", boot_id, tgid,
			 (unsigned long long)(start_ns / NS_PER_TICK));

	crypto_generichash(h, sizeof(h), (const unsigned char *)in, n, NULL, 0);
	sodium_bin2hex(out, 33, h, sizeof(h));
}

struct edr_proctable *edr_proctable__new(size_t max_entries, const char *boot_id)
{
	struct edr_proctable *pt;

	if (sodium_init() < 0) {
		errno = EIO;
		return NULL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	pt->max = max_entries ? max_entries : 1u << 18;
	snprintf(pt->boot_id, sizeof(pt->boot_id), "%s", boot_id ? boot_id : "");
	return pt;
}

static void proc_free(struct edr_proc *p)
{
	free(p->exe);
	free(p->args);
	free(p->cwd);
	free(p);
}

static void lru_unlink(struct edr_proctable *pt, struct edr_proc *p)
{
	if (!p->exit_ns)
		return;
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else if (pt->lru_head == p)
		pt->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else if (pt->lru_tail == p)
		pt->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
}

void edr_proctable__free(struct edr_proctable *pt)
{
	size_t i;

	if (!pt)
		return;
	for (i = 0; i < NBUCKETS; i++) {
		struct edr_proc *p = pt->buckets[i], *n;

		for (; p; p = n) {
			n = p->next;
			proc_free(p);
		}
	}
	free(pt);
}

static size_t bucket(uint32_t tgid)
{
	return (tgid * 2654435761u) % NBUCKETS;
}

int edr_proctable__foreach(struct edr_proctable *pt, int (*fn)(struct edr_proc *p, void *ctx),
			   void *ctx)
{
	struct edr_proc *p;
	size_t b;
	int rc;

	for (b = 0; b < NBUCKETS; b++)
		for (p = pt->buckets[b]; p; p = p->next)
			if ((rc = fn(p, ctx)))
				return rc;
	return 0;
}

struct edr_proc *edr_proctable__get(struct edr_proctable *pt, uint32_t tgid)
{
	struct edr_proc *p;

	for (p = pt->buckets[bucket(tgid)]; p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

static void remove_entry(struct edr_proctable *pt, struct edr_proc *victim)
{
	struct edr_proc **pp;

	for (pp = &pt->buckets[bucket(victim->tgid)]; *pp; pp = &(*pp)->next)
		if (*pp == victim) {
			*pp = victim->next;
			break;
		}
	lru_unlink(pt, victim);
	proc_free(victim);
	pt->count--;
}

/* Returns a zeroed entry for tgid: the existing one reset, or a new one. */
static struct edr_proc *fresh(struct edr_proctable *pt, uint32_t tgid)
{
	struct edr_proc *p = edr_proctable__get(pt, tgid);

	if (p) {
		struct edr_proc *next = p->next;

		lru_unlink(pt, p);
		free(p->exe);
		free(p->args);
		free(p->cwd);
		memset(p, 0, sizeof(*p));
		p->next = next;
		p->tgid = tgid;
		return p;
	}
	/* Full: make room by dropping the oldest exited process. */
	if (pt->count >= pt->max && pt->lru_head)
		remove_entry(pt, pt->lru_head);
	if (pt->count >= pt->max) {
		pt->refused++;
		errno = ENOSPC;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->next = pt->buckets[bucket(tgid)];
	pt->buckets[bucket(tgid)] = p;
	pt->count++;
	return p;
}

static void set_task(struct edr_proctable *pt, struct edr_proc *p, const struct edr_task *t)
{
	p->ppid = t->ppid;
	p->start_ns = t->start_ns;
	p->parent_start_ns = t->parent_start_ns;
	p->uid = t->uid;
	p->gid = t->gid;
	p->euid = t->euid;
	p->egid = t->egid;
	p->auid = t->auid;
	p->sessionid = t->sessionid;
	p->cgroup_id = t->cgroup_id;
	memcpy(p->comm, t->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = 0;
	edr_entity_id(pt->boot_id, p->tgid, p->start_ns, p->entity_id);
}

static char *dup_n(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

struct edr_proc *edr_proctable__parent(struct edr_proctable *pt, const struct edr_proc *p)
{
	struct edr_proc *pp = edr_proctable__get(pt, p->ppid);

	if (!pp || pp == p)
		return NULL;
	/* Start times from /proc are tick-rounded; compare at that precision. */
	if (pp->start_ns / NS_PER_TICK != p->parent_start_ns / NS_PER_TICK)
		return NULL;
	return pp;
}

struct edr_proc *edr_proctable__on_fork(struct edr_proctable *pt, const struct edr_task *child)
{
	struct edr_proc *parent = edr_proctable__get(pt, child->ppid);
	struct edr_proc *p = edr_proctable__get(pt, child->tgid);
	struct edr_proc inherit = {};

	if (p && p->start_ns == child->start_ns)
		return p; /* already known (e.g. exec arrived first) */
	/*
	 * A forked child runs its parent's image until it execs, in its
	 * parent's cgroup. Copied before fresh(), which may reuse or evict the
	 * parent's entry (a record claiming its own parent, or a full table).
	 */
	if (parent && parent != p &&
	    parent->start_ns / NS_PER_TICK == child->parent_start_ns / NS_PER_TICK) {
		inherit.exe = parent->exe ? strdup(parent->exe) : NULL;
		inherit.args = parent->args ? dup_n(parent->args, parent->args_len) : NULL;
		inherit.args_len = inherit.args ? parent->args_len : 0;
		inherit.args_truncated = parent->args_truncated;
		inherit.cwd = parent->cwd ? strdup(parent->cwd) : NULL;
		inherit.container_known = parent->container_known;
		inherit.container = parent->container;
	}
	p = fresh(pt, child->tgid);
	if (!p) {
		free(inherit.exe);
		free(inherit.args);
		free(inherit.cwd);
		return NULL;
	}
	set_task(pt, p, child);
	p->exe = inherit.exe;
	p->args = inherit.args;
	p->args_len = inherit.args_len;
	p->args_truncated = inherit.args_truncated;
	p->cwd = inherit.cwd;
	p->container_known = inherit.container_known;
	p->container = inherit.container;
	return p;
}

struct edr_proc *edr_proctable__on_exec(struct edr_proctable *pt, const struct edr_decoded *ev)
{
	const struct edr_task *t = ev->task;
	struct edr_proc *p = edr_proctable__get(pt, t->tgid);

	if (!p || p->start_ns != t->start_ns)
		p = fresh(pt, t->tgid);
	if (!p)
		return NULL;
	if (p->exit_ns) {
		lru_unlink(pt, p);
		p->exit_ns = 0;
	}
	set_task(pt, p, t);
	p->seeded = 0;
	free(p->exe);
	free(p->args);
	free(p->cwd);
	p->exe = ev->path.p ? dup_n(ev->path.p, ev->path.len) :
		 ev->filename.p ? dup_n(ev->filename.p, ev->filename.len) : NULL;
	p->args = ev->argv.p ? dup_n(ev->argv.p, ev->argv.len) : NULL;
	p->args_len = p->args ? ev->argv.len : 0;
	p->args_truncated = !!(EDR_REC(ev, exec)->flags & EDR_EXEC_ARGV_TRUNC);
	p->cwd = ev->cwd.p ? dup_n(ev->cwd.p, ev->cwd.len) : NULL;
	return p;
}

struct edr_proc *edr_proctable__on_exit(struct edr_proctable *pt, const struct edr_task *task,
					uint64_t now_ns)
{
	struct edr_proc *p = edr_proctable__get(pt, task->tgid);

	if (!p || p->start_ns / NS_PER_TICK != task->start_ns / NS_PER_TICK)
		return NULL;
	if (!p->exit_ns) {
		p->exit_ns = now_ns ? now_ns : 1;
		p->lru_prev = pt->lru_tail;
		p->lru_next = NULL;
		if (pt->lru_tail)
			pt->lru_tail->lru_next = p;
		else
			pt->lru_head = p;
		pt->lru_tail = p;
	}
	return p;
}

void edr_proctable__reap(struct edr_proctable *pt, uint64_t now_ns, uint64_t grace_ns)
{
	while (pt->lru_head && pt->lru_head->exit_ns + grace_ns <= now_ns)
		remove_entry(pt, pt->lru_head);
}

size_t edr_proctable__count(const struct edr_proctable *pt)
{
	return pt->count;
}

size_t edr_proctable__refused(const struct edr_proctable *pt)
{
	return pt->refused;
}

/* Reads a whole small file; returns bytes read or -1. */
static ssize_t slurp(int dirfd, const char *name, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < cap && (n = read(fd, buf + total, cap - total)) > 0)
		total += n;
	close(fd);
	return total;
}

int edr_proc_stat_parse(const char *buf, char *comm, size_t commlen, int *ppid,
			unsigned long long *start_ticks)
{
	const char *p = strrchr(buf, ')'), *open = strchr(buf, '(');

	/* comm may contain spaces and parentheses: fields start after the last ')'. */
	if (!p || !open || p < open)
		return -EINVAL;
	if (comm)
		snprintf(comm, commlen, "%.*s", (int)(p - open - 1), open + 1);
	/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice threads itrealvalue starttime */
	if (sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   ppid, start_ticks) != 2)
		return -EINVAL;
	return 0;
}

static int seed_one(struct edr_proctable *pt, int procfd, uint32_t tgid)
{
	char name[32], buf[8192], *p;
	struct edr_task t = {};
	unsigned long long start_ticks = 0;
	struct edr_proc *e;
	ssize_t n;
	int dfd, ppid = 0;

	snprintf(name, sizeof(name), "%u", tgid);
	dfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	n = slurp(dfd, "stat", buf, sizeof(buf) - 1);
	if (n <= 0)
		goto out;
	buf[n] = 0;
	if (edr_proc_stat_parse(buf, t.comm, sizeof(t.comm), &ppid, &start_ticks))
		goto out;
	t.pid = t.tgid = tgid;
	t.ppid = ppid;
	t.start_ns = start_ticks * NS_PER_TICK;
	t.auid = t.sessionid = (uint32_t)-1;
	n = slurp(dfd, "status", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		if ((p = strstr(buf, "\nUid:")))
			sscanf(p + 5, "%u %u", &t.uid, &t.euid);
		if ((p = strstr(buf, "\nGid:")))
			sscanf(p + 5, "%u %u", &t.gid, &t.egid);
	}
	n = slurp(dfd, "loginuid", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		t.auid = strtoul(buf, NULL, 10);
	}
	n = slurp(dfd, "sessionid", buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = 0;
		t.sessionid = strtoul(buf, NULL, 10);
	}
	/* Don't clobber what events already told us about this process. */
	e = edr_proctable__get(pt, tgid);
	if (e && !e->seeded)
		goto out;
	e = fresh(pt, tgid);
	if (!e) {
		close(dfd);
		return -ENOSPC;
	}
	set_task(pt, e, &t);
	e->seeded = 1;
	n = readlinkat(dfd, "exe", buf, sizeof(buf) - 1);
	if (n > 0)
		e->exe = dup_n(buf, n);
	n = readlinkat(dfd, "cwd", buf, sizeof(buf) - 1);
	if (n > 0)
		e->cwd = dup_n(buf, n);
	n = slurp(dfd, "cmdline", buf, sizeof(buf));
	if (n > 0) {
		if (buf[n - 1] == 0)
			n--;
		e->args = dup_n(buf, n);
		e->args_len = e->args ? n : 0;
		e->args_truncated = n >= (ssize_t)sizeof(buf) - 1;
	}
out:
	close(dfd);
	return 0;
}

int edr_proctable__seed(struct edr_proctable *pt, const char *proc_root)
{
	struct dirent *de;
	int procfd, added = 0;
	DIR *d;

	procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	d = fdopendir(dup(procfd));
	if (!d) {
		close(procfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long tgid = strtoul(de->d_name, &end, 10);

		if (*end || !tgid || tgid > UINT32_MAX)
			continue;
		if (seed_one(pt, procfd, tgid) == 0)
			added++;
	}
	closedir(d);
	close(procfd);
	return added;
}
