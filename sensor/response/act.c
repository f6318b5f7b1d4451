// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine's hands: SIGKILL through a pidfd (no PID-reuse race),
 * tree kills from the process table, the worker thread that quarantines and
 * isolates (never the event thread), and isolation allow-lists.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sensor/proctable.h"
#include "sensor/response/internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Start time of /proc/PID in clock ticks since boot (field 22 of stat). */
static int proc_start_ticks(const char *proc_root, pid_t pid, unsigned long long *ticks)
{
	char path[256], buf[1024];
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return edr_proc_stat_parse(buf, NULL, 0, &ppid, ticks) ? -EIO : 0;
}

int edr_response_pidfd_kill(const char *proc_root, pid_t pid, uint64_t start_ns, char *why,
			    size_t whylen)
{
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	int fd, rc;

	if (pid <= 1) {
		snprintf(why, whylen, "refusing to signal pid %d", (int)pid);
		return -EPERM;
	}
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "pidfd_open(%d): %s", (int)pid, strerror(errno));
		return rc;
	}
	/* The pidfd pins the process; if its start time is the event's, it is
	 * the event's process and not a later one with the same number. */
	if (start_ns && hz > 0) {
		rc = proc_start_ticks(proc_root ? proc_root : "/proc", pid, &ticks);
		if (rc || ticks != start_ns / (1000000000ull / (unsigned long long)hz)) {
			snprintf(why, whylen, "pid %d %s", (int)pid,
				 rc ? "exited before the kill" : "was reused by another process");
			close(fd);
			return -ESRCH;
		}
	}
	rc = (int)syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	if (rc < 0) {
		rc = -errno;
		snprintf(why, whylen, "pidfd_send_signal(%d): %s", (int)pid, strerror(errno));
	}
	close(fd);
	return rc;
}

/* Descendants of one process from the process table (exited ones left out). */
struct kids {
	struct { uint32_t tgid; uint64_t start; } *v;
	size_t n, cap;
};

static int add_kid(struct edr_proc *p, void *ctx)
{
	struct kids *k = ctx;
	size_t i, n = k->n;

	if (p->exit_ns)
		return 0;
	for (i = 0; i < n; i++) {
		if (p->ppid != k->v[i].tgid || p->parent_start_ns / 10000000ull !=
		    k->v[i].start / 10000000ull)
			continue;
		for (size_t j = 0; j < k->n; j++)
			if (k->v[j].tgid == p->tgid)
				return 0;
		if (k->n == k->cap) {
			size_t nc = k->cap ? k->cap * 2 : 32;
			void *q = realloc(k->v, nc * sizeof(*k->v));

			if (!q)
				return -ENOMEM;
			k->v = q;
			k->cap = nc;
		}
		k->v[k->n].tgid = p->tgid;
		k->v[k->n++].start = p->start_ns;
		return 0;
	}
	return 0;
}

static int do_kill(struct edr_responder *r, pid_t pid, uint64_t start, char *why, size_t whylen)
{
	if (r->o.ops.kill)
		return r->o.ops.kill(r->o.ops.ctx, pid, start, why, whylen);
	return edr_response_pidfd_kill(r->o.proc_root, pid, start, why, whylen);
}

int edr_resp_kill(struct edr_responder *r, const struct edr_response_target *t, int tree,
		  char *why, size_t whylen)
{
	struct kids k = { 0 };
	size_t i, before;
	int rc, rc2;
	char w2[128];

	/* Collected first: once the root dies its children are re-parented. */
	if (tree && r->o.procs) {
		k.v = calloc(1, sizeof(*k.v));
		if (k.v) {
			k.cap = 1;
			k.v[k.n].tgid = (uint32_t)t->pid;
			k.v[k.n++].start = t->start_ns;
			do {
				before = k.n;
				edr_proctable__foreach(r->o.procs, add_kid, &k);
			} while (k.n != before);
		}
	}
	rc = do_kill(r, t->pid, t->start_ns, why, whylen);
	for (i = 1; i < k.n; i++) {
		rc2 = do_kill(r, (pid_t)k.v[i].tgid, k.v[i].start, w2, sizeof(w2));
		if (rc2 && rc2 != -ESRCH)
			edr_resp_log(r, "tree kill: %s", w2);
	}
	free(k.v);
	return rc;
}

/* ---- the worker ---- */

void edr_resp_run_job(struct edr_responder *r, struct job *j)
{
	struct resp_line l = { 0, 0, "taken", NULL, j->id, j->name, 0, &j->t, NULL };
	char why[512] = "", qid[17] = "";
	int rc;

	if (j->kind == JOB_QUARANTINE) {
		l.action = EDR_ACT_QUARANTINE;
		l.mech = EDR_RMECH_QUARANTINE;
		if (!j->t.file)
			rc = -ENOENT, snprintf(why, sizeof(why), "the event names no file");
		else if (!r->o.ops.quarantine)
			rc = -EOPNOTSUPP, snprintf(why, sizeof(why), "no quarantine available");
		else
			rc = r->o.ops.quarantine(r->o.ops.ctx, j->t.file, j->id, j->name, qid, why,
						 sizeof(why));
		l.quarantine_id = qid[0] ? qid : NULL;
	} else {
		l.action = EDR_ACT_ISOLATE;
		l.mech = r->mech_isolate;
		rc = edr_response__isolate(r, NULL, 0, why, sizeof(why));
	}
	l.latency_us = j->t.ts_ns ? (int64_t)((edr_resp_now(r) - j->t.ts_ns) / 1000) : 0;
	if (rc) {
		l.outcome = "skipped";
		l.reason = why;
		l.latency_us = -1;
		RINC(r->c.by_action[l.action][EDR_OUT_SKIPPED]);
	} else {
		RINC(r->c.by_action[l.action][EDR_OUT_TAKEN]);
		RINC(r->c.by_mech[l.mech]);
	}
	edr_resp_emit(r, &l);
}

static struct job *pop(struct edr_responder *r)
{
	struct job *j = r->head;

	if (j) {
		r->head = j->next;
		if (!r->head)
			r->tail = NULL;
	}
	return j;
}

static void *worker(void *arg)
{
	struct edr_responder *r = arg;
	struct job *j;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->stop)
			pthread_cond_wait(&r->cond, &r->lock);
		j = pop(r);
		if (!j)
			break;
		pthread_mutex_unlock(&r->lock);
		edr_resp_run_job(r, j);
		free(j);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int edr_resp_worker_start(struct edr_responder *r)
{
	int rc = pthread_create(&r->worker, NULL, worker, r);

	if (rc) {
		errno = rc;
		return -rc;
	}
	r->have_worker = 1;
	return 0;
}

void edr_resp_worker_stop(struct edr_responder *r)
{
	if (!r->have_worker)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->worker, NULL);
	r->have_worker = 0;
}

void edr_resp_enqueue(struct edr_responder *r, struct job *j)
{
	pthread_mutex_lock(&r->lock);
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void edr_response__drain(struct edr_responder *r)
{
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		j = pop(r);
		pthread_mutex_unlock(&r->lock);
		if (!j)
			return;
		edr_resp_run_job(r, j);
		free(j);
	}
}

/* ---- isolation ---- */

int edr_response__isolate(struct edr_responder *r, const struct edr_isolate_allow *a, size_t n,
			  char *err, size_t errlen)
{
	int rc;

	if (!r->o.ops.isolate_on || r->mech_isolate == EDR_RMECH_NONE) {
		snprintf(err, errlen, "host isolation is not available on this kernel");
		return -EOPNOTSUPP;
	}
	if (!a) {
		a = r->o.isolate_allow;
		n = r->o.nisolate_allow;
	}
	rc = r->o.ops.isolate_on(r->o.ops.ctx, a, n, err, errlen);
	if (!rc) {
		r->isolated = 1;
		edr_resp_log(r, "host isolated (%zu allow-list entries)", n);
	}
	return rc;
}

int edr_response__release(struct edr_responder *r, char *err, size_t errlen)
{
	int rc;

	if (!r->o.ops.isolate_off) {
		snprintf(err, errlen, "host isolation is not available on this kernel");
		return -EOPNOTSUPP;
	}
	rc = r->o.ops.isolate_off(r->o.ops.ctx, err, errlen);
	if (!rc) {
		r->isolated = 0;
		edr_resp_log(r, "host isolation released");
	}
	return rc;
}

int edr_parse_allow(const char *s, struct edr_isolate_allow *a, char *err, size_t errlen)
{
	char buf[128], *addr, *pfx = NULL, *port = NULL, *end;
	unsigned long v;
	int maxp;

	memset(a, 0, sizeof(*a));
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "allow entry must be CIDR[:PORT], got '%.64s'", s ? s : "");
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	addr = buf;
	if (buf[0] == '[') {
		/* [v6/prefix]:port */
		end = strchr(buf, ']');
		if (!end || (end[1] && end[1] != ':')) {
			snprintf(err, errlen, "allow entry '%s': unbalanced '['", s);
			return -EINVAL;
		}
		*end = 0;
		addr = buf + 1;
		if (end[1] == ':')
			port = end + 2;
	} else if (strchr(buf, '.')) {
		port = strchr(buf, ':');
		if (port)
			*port++ = 0;
	}
	pfx = strchr(addr, '/');
	if (pfx)
		*pfx++ = 0;
	if (inet_pton(AF_INET, addr, a->addr) == 1) {
		a->family = 4;
		maxp = 32;
	} else if (inet_pton(AF_INET6, addr, a->addr) == 1) {
		a->family = 6;
		maxp = 128;
	} else {
		snprintf(err, errlen, "allow entry '%s': '%s' is not an IP address", s, addr);
		return -EINVAL;
	}
	a->prefix = (uint8_t)maxp;
	if (pfx) {
		errno = 0;
		v = strtoul(pfx, &end, 10);
		if (!isdigit((unsigned char)*pfx) || *end || errno || v > (unsigned long)maxp) {
			snprintf(err, errlen, "allow entry '%s': prefix must be 0..%d", s, maxp);
			return -EINVAL;
		}
		a->prefix = (uint8_t)v;
	}
	if (port) {
		errno = 0;
		v = strtoul(port, &end, 10);
		if (!isdigit((unsigned char)*port) || *end || errno || v == 0 || v > 65535) {
			snprintf(err, errlen, "allow entry '%s': port must be 1..65535", s);
			return -EINVAL;
		}
		a->port = (uint16_t)v;
	}
	/* Host bits cleared: the LPM trie keys networks. */
	for (int bit = a->prefix; bit < maxp; bit++)
		a->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

const char *edr_format_allow(const struct edr_isolate_allow *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip));
	if (a->family == 6 && a->port)
		snprintf(buf, len, "[%s/%u]:%u", ip, a->prefix, a->port);
	else if (a->port)
		snprintf(buf, len, "%s/%u:%u", ip, a->prefix, a->port);
	else
		snprintf(buf, len, "%s/%u", ip, a->prefix);
	return buf;
}
