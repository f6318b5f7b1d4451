// SPDX-License-Identifier: GPL-2.0-only
/*
 * User and group names: see idcache.h for the contract.
 *
 * Three threads touch a cache:
 *   lookup    (the event thread) owns cur[], the resolver answer cache, the
 *             name ring and the producer end of the request ring;
 *   watcher   stats the files every poll_ms and publishes rebuilt tables
 *             into next[] (atomic exchange, adopted by the lookup thread);
 *   resolver  consumes requests, calls the resolver, produces answers.
 * Every counter has a single writer, so it is bumped with a relaxed load and
 * store (no locked instruction on the event path) and read with a relaxed
 * load by edr_idcache__stats() from any thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/enrich/idcache.h"

#define DEF_POLL_MS     1000
#define DEF_MAX_FILE    (64ul << 20)
#define DEF_MAX_ENTRIES (1ul << 20)
#define DEF_QUEUE       64
#define DEF_NSS         4096
#define DEF_TTL_S       600
#define DEF_NEG_TTL_S   60
#define DEF_STOP_MS     1000
#define NSS_WAYS        4
#define NSS_BUF_MAX     (1u << 20)  /* getgrgid_r buffer cap: directory groups can be huge */

typedef _Atomic uint64_t counter_t;

/* Single writer per counter: no read-modify-write needed. */
static inline void bump(counter_t *v)
{
	atomic_store_explicit(v, atomic_load_explicit(v, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static inline void setc(counter_t *v, uint64_t x)
{
	atomic_store_explicit(v, x, memory_order_relaxed);
}

static inline uint64_t readc(counter_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- tables parsed from the passwd and group files ---- */

struct idslot {
	uint32_t id;
	uint32_t off;   /* into names; 0 = empty slot */
};

/* One allocation: the header, then mask + 1 slots, then the names. */
struct edr_idtab {
	size_t mask;
	size_t count;
	struct idslot *slots;
	char *names;
};

/* Ids come in runs and strides: mix every bit into the low ones. */
static inline size_t idhash(uint32_t id)
{
	id ^= id >> 16;
	id *= 0x45d9f3bu;
	id ^= id >> 16;
	return id;
}

/* A decimal id below 2^32 - 1 ((uid_t)-1 is never a valid id). */
static int parse_id(const char *p, const char *end, const char **next, uint32_t *out)
{
	const char *s = p;
	uint64_t v = 0;

	while (p < end && *p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v >= UINT32_MAX)
			return -1;
		p++;
	}
	if (p == s || (p < end && *p != ':'))
		return -1;
	*next = p;
	*out = (uint32_t)v;
	return 0;
}

/*
 * One line without its newline. 1 = an entry, 0 = nothing (blank, comment,
 * NIS compat), -1 = malformed. glibc's files backend needs the same fields:
 * name, password and uid and gid for passwd, name, password and gid for
 * group; the rest may be missing.
 */
static int parse_line(const char *p, const char *end, enum edr_id_kind kind, const char **name,
		      size_t *nlen, uint32_t *id)
{
	const char *q, *f;
	uint32_t gid;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#' || *p == '+' || *p == '-')
		return 0;
	q = memchr(p, ':', (size_t)(end - p));
	if (!q || q == p || q - p >= EDR_IDCACHE_NAME_MAX)
		return -1;
	for (f = p; f < q; f++)
		if ((unsigned char)*f < 0x20 || *f == 0x7f)
			return -1;
	*name = p;
	*nlen = (size_t)(q - p);
	q = memchr(q + 1, ':', (size_t)(end - q - 1));   /* end of the password field */
	if (!q || parse_id(q + 1, end, &q, id))
		return -1;
	if (kind == EDR_ID_USER && (q == end || parse_id(q + 1, end, &q, &gid)))
		return -1;
	return 1;
}

const char *edr_idtab__find(const struct edr_idtab *t, uint32_t id)
{
	size_t i;

	if (!t)
		return NULL;
	for (i = idhash(id) & t->mask;; i = (i + 1) & t->mask) {
		if (!t->slots[i].off)
			return NULL;
		if (t->slots[i].id == id)
			return t->names + t->slots[i].off;
	}
}

size_t edr_idtab__count(const struct edr_idtab *t)
{
	return t ? t->count : 0;
}

void edr_idtab__free(struct edr_idtab *t)
{
	free(t);
}

/* The next line [*p, *e) of data at *pos; the last line needs no newline. */
static int next_line(const char *data, size_t len, size_t *pos, const char **p, const char **e)
{
	if (*pos >= len)
		return 0;
	*p = data + *pos;
	*e = memchr(*p, '\n', len - *pos);
	if (!*e)
		*e = data + len;
	*pos = (size_t)(*e - data) + 1;
	return 1;
}

struct edr_idtab *edr_idtab__parse(const char *data, size_t len, enum edr_id_kind kind,
				   size_t max_entries, uint64_t *errors)
{
	size_t pos, nvalid = 0, bytes = 1, cap = 16, used = 1, nlen = 0, i;
	const char *p, *e, *name = NULL;
	struct edr_idtab *t;
	uint64_t err = 0;
	uint32_t id = 0;

	if (!max_entries)
		max_entries = DEF_MAX_ENTRIES;
	if (!data)
		len = 0;
	/* First pass: room for every valid line's name, slots for at most max_entries. */
	for (pos = 0; next_line(data, len, &pos, &p, &e);) {
		if (parse_line(p, e, kind, &name, &nlen, &id) == 1) {
			nvalid++;
			bytes += nlen + 1;
		}
	}
	while (cap < 2 * (nvalid < max_entries ? nvalid : max_entries))
		cap <<= 1;
	if (bytes > UINT32_MAX) {   /* names are found by 32-bit offsets */
		errno = EFBIG;
		return NULL;
	}
	t = malloc(sizeof(*t) + cap * sizeof(struct idslot) + bytes);
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->mask = cap - 1;
	t->count = 0;
	t->slots = (struct idslot *)(t + 1);
	t->names = (char *)(t->slots + cap);
	memset(t->slots, 0, cap * sizeof(struct idslot));
	t->names[0] = '\0';
	for (pos = 0; next_line(data, len, &pos, &p, &e);) {
		int r = parse_line(p, e, kind, &name, &nlen, &id);

		if (r < 0)
			err++;
		if (r <= 0)
			continue;
		for (i = idhash(id) & t->mask; t->slots[i].off && t->slots[i].id != id;
		     i = (i + 1) & t->mask)
			;
		if (t->slots[i].off)
			continue;   /* duplicate id: the first line wins */
		if (t->count >= max_entries) {
			err++;
			continue;
		}
		memcpy(t->names + used, name, nlen);
		t->names[used + nlen] = '\0';
		t->slots[i].id = id;
		t->slots[i].off = (uint32_t)used;
		used += nlen + 1;
		t->count++;
	}
	if (errors)
		*errors = err;
	return t;
}

/* ---- the resolver thread and its rings ---- */

struct nss_req {
	uint32_t id;
	uint8_t kind;
};

struct nss_resp {
	uint32_t id;
	uint8_t kind;
	int8_t result;   /* 1 found, 0 not found, -1 failed */
	char name[EDR_IDCACHE_NAME_MAX];
};

/*
 * Shared by the cache and its resolver thread, freed by whichever drops the
 * last reference: a resolver stuck in NSS may outlive the cache.
 */
struct nss_worker {
	atomic_int refs;
	atomic_int stop;
	atomic_int handoff;   /* see stop_resolver() */
	sem_t wake;
	edr_idcache_resolve_fn resolve;
	void *ctx;
	size_t mask;          /* ring capacity - 1 */
	/* Single producer, single consumer: free-running indices. */
	_Atomic size_t req_head, req_tail, resp_head, resp_tail;
	struct nss_req *reqs;
	struct nss_resp *resps;
	counter_t resolved, not_found, errors;
};

static atomic_uint detached_workers;

unsigned int edr_idcache__detached_workers(void)
{
	return atomic_load(&detached_workers);
}

static void worker_put(struct nss_worker *w)
{
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	sem_destroy(&w->wake);
	free(w->reqs);
	free(w->resps);
	free(w);
}

static int req_pop(struct nss_worker *w, struct nss_req *r)
{
	size_t head = atomic_load_explicit(&w->req_head, memory_order_relaxed);

	if (head == atomic_load_explicit(&w->req_tail, memory_order_acquire))
		return 0;
	*r = w->reqs[head & w->mask];
	atomic_store_explicit(&w->req_head, head + 1, memory_order_release);
	return 1;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void resp_push(struct nss_worker *w, const struct nss_req *r, int rc, const char *name)
{
	size_t tail = atomic_load_explicit(&w->resp_tail, memory_order_relaxed);
	struct nss_resp *o;

	/* Cannot be full: the lookup side keeps at most mask + 1 requests in flight. */
	if (tail - atomic_load_explicit(&w->resp_head, memory_order_acquire) > w->mask)
		return;
	o = &w->resps[tail & w->mask];
	o->id = r->id;
	o->kind = r->kind;
	o->result = (int8_t)(rc > 0 ? 1 : rc < 0 ? -1 : 0);
	snprintf(o->name, sizeof(o->name), "%s", rc > 0 ? name : "");
	atomic_store_explicit(&w->resp_tail, tail + 1, memory_order_release);
}

static void *resolver_main(void *arg)
{
	struct nss_worker *w = arg;
	char buf[EDR_IDCACHE_NAME_MAX];
	struct nss_req r;
	int rc, detached;

	while (!atomic_load(&w->stop)) {
		if (!req_pop(w, &r)) {
			while (sem_wait(&w->wake) && errno == EINTR)
				;
			continue;
		}
		buf[0] = '\0';
		rc = w->resolve((enum edr_id_kind)r.kind, r.id, buf, sizeof(buf), w->ctx);
		buf[sizeof(buf) - 1] = '\0';
		if (rc > 0 && !valid_name(buf))
			rc = -EINVAL;
		if (atomic_load(&w->stop))
			break;
		bump(rc > 0 ? &w->resolved : rc < 0 ? &w->errors : &w->not_found);
		resp_push(w, &r, rc, buf);
	}
	detached = atomic_exchange(&w->handoff, 1);
	worker_put(w);
	if (detached)
		atomic_fetch_sub(&detached_workers, 1);
	return NULL;
}

/* getpwuid_r/getgrgid_r; not-found errnos listed in getpwuid_r(3) mean "no such id". */
static int nss_resolve(enum edr_id_kind kind, uint32_t id, char *out, size_t outlen, void *ctx)
{
	size_t len = 1024;
	char *buf = NULL, *nb;
	const char *name = NULL;
	struct passwd pw, *pres;
	struct group gr, *gres;
	int rc;

	for (;;) {
		nb = realloc(buf, len);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		pres = NULL;
		gres = NULL;
		if (kind == EDR_ID_USER) {
			rc = getpwuid_r(id, &pw, buf, len, &pres);
			name = pres ? pw.pw_name : NULL;
		} else {
			rc = getgrgid_r(id, &gr, buf, len, &gres);
			name = gres ? gr.gr_name : NULL;
		}
		if (rc != ERANGE || len >= NSS_BUF_MAX)
			break;
		len *= 2;
	}
	if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		rc = 0;
	if (!rc && name && strlen(name) >= outlen)
		rc = ENAMETOOLONG;
	if (!rc && name)
		memcpy(out, name, strlen(name) + 1);
	free(buf);
	return rc ? -rc : name ? 1 : 0;
}

/* ---- the cache ---- */

enum { NE_EMPTY, NE_PENDING, NE_FOUND, NE_MISSING };

struct nss_entry {
	uint32_t id;
	uint8_t kind;
	uint8_t state;
	uint64_t expires_ns;
	uint64_t used;      /* LRU stamp within the set */
	char *name;         /* NULL, or the last name (also while a refresh is pending) */
};

struct file_ident {
	int present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

struct edr_idcache {
	struct edr_idcache_opts opts;
	char *paths[_EDR_ID_MAX];

	/* Lookup thread only. */
	struct edr_idtab *cur[_EDR_ID_MAX];
	struct nss_entry *nss;
	size_t nss_mask;    /* sets - 1 */
	uint64_t nss_clock;
	size_t inflight;
	unsigned int ring_next;
	char ring[EDR_IDCACHE_RING][EDR_IDCACHE_NAME_MAX];

	/* Watcher -> lookup thread. */
	_Atomic(struct edr_idtab *) next[_EDR_ID_MAX];

	/* Watcher thread (and the constructor before it starts). */
	struct file_ident fid[_EDR_ID_MAX];
	pthread_t watcher;
	int watcher_started;
	pthread_mutex_t lock;   /* guards stop; the watcher sleeps on cond */
	pthread_cond_t cond;
	int stop;

	struct nss_worker *w;
	pthread_t resolver;
	int resolver_started;

	/* Lookup thread. */
	counter_t lookups, file_hits, nss_hits, nss_negative_hits, nss_queued, nss_pending,
		  nss_evicted, queue_full;
	/* Watcher thread. */
	counter_t reloads, read_errors, parse_errors, entries[_EDR_ID_MAX];
};

static void ident_of(struct file_ident *f, const struct stat *st)
{
	f->present = 1;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtim = st->st_mtim;
	f->ctim = st->st_ctim;
}

static int same_ident(const struct file_ident *f, const struct stat *st)
{
	return f->present && f->dev == st->st_dev && f->ino == st->st_ino &&
	       f->size == st->st_size && f->mtim.tv_sec == st->st_mtim.tv_sec &&
	       f->mtim.tv_nsec == st->st_mtim.tv_nsec && f->ctim.tv_sec == st->st_ctim.tv_sec &&
	       f->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/*
 * Reads and parses one file, at most max_file_size bytes (a longer file is
 * cut at its last complete line and counted as one parse error). A missing
 * file gives an empty table. Returns 0 or -errno; *fid gets what was read.
 */
static int load_db(struct edr_idcache *c, enum edr_id_kind kind, struct edr_idtab **out,
		   struct file_ident *fid)
{
	size_t want, n = 0;
	uint64_t errors = 0;
	struct stat st;
	char *buf = NULL;
	ssize_t r;
	int fd, err = 0, cut = 0;

	memset(fid, 0, sizeof(*fid));
	fd = open(c->paths[kind], O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0) {
		if (fstat(fd, &st)) {
			err = -errno;
			goto cleanup;
		}
		if (!S_ISREG(st.st_mode)) {
			err = -EINVAL;
			goto cleanup;
		}
		want = (uint64_t)st.st_size > c->opts.max_file_size ? c->opts.max_file_size
								    : (size_t)st.st_size;
		cut = (uint64_t)st.st_size > c->opts.max_file_size;
		buf = malloc(want ? want : 1);
		if (!buf) {
			err = -ENOMEM;
			goto cleanup;
		}
		while (n < want && (r = read(fd, buf + n, want - n)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				err = -errno;
				goto cleanup;
			}
			n += (size_t)r;
		}
		if (cut)
			while (n && buf[n - 1] != '\n')
				n--;
		ident_of(fid, &st);
	}
	*out = edr_idtab__parse(buf, n, kind, c->opts.max_entries, &errors);
	if (!*out)
		err = -ENOMEM;
	else
		setc(&c->parse_errors, readc(&c->parse_errors) + errors + (uint64_t)cut);
cleanup:
	free(buf);
	if (fd >= 0)
		close(fd);
	return err;
}

/* The lookup thread takes a table with an exchange, so one replaced here was never seen. */
static void publish(struct edr_idcache *c, enum edr_id_kind kind, struct edr_idtab *t)
{
	edr_idtab__free(atomic_exchange_explicit(&c->next[kind], t, memory_order_acq_rel));
	setc(&c->entries[kind], t->count);
}

static void check_files(struct edr_idcache *c)
{
	struct edr_idtab *t = NULL;
	struct file_ident fid;
	struct stat st;
	int kind;

	for (kind = 0; kind < _EDR_ID_MAX; kind++) {
		if (stat(c->paths[kind], &st)) {
			if (errno != ENOENT || !c->fid[kind].present)
				continue;
		} else if (same_ident(&c->fid[kind], &st)) {
			continue;
		}
		if (load_db(c, (enum edr_id_kind)kind, &t, &fid)) {
			bump(&c->read_errors);
			/* Keep the old table; retry at the next poll. */
			c->fid[kind].present = 0;
			continue;
		}
		c->fid[kind] = fid;
		publish(c, (enum edr_id_kind)kind, t);
		bump(&c->reloads);
	}
}

static void *watcher_main(void *arg)
{
	struct edr_idcache *c = arg;
	struct timespec dl;

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += c->opts.poll_ms / 1000;
		dl.tv_nsec += (long)(c->opts.poll_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		while (!c->stop && pthread_cond_timedwait(&c->cond, &c->lock, &dl) != ETIMEDOUT)
			;
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->lock);
		check_files(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Our threads take no signals: the daemon's handlers run on its own threads. */
static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -err;
}

/*
 * Waits at most stop_timeout_ms for the resolver. A resolver stuck in NSS is
 * detached rather than cancelled (cancellation inside NSS modules is unsafe);
 * handoff tells whichever of the two sides comes last that the thread was
 * detached, so detached_workers counts exactly the threads still running.
 */
static void stop_resolver(struct edr_idcache *c)
{
	struct nss_worker *w = c->w;
	struct timespec dl;
	int err;

	atomic_store(&w->stop, 1);
	sem_post(&w->wake);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += c->opts.stop_timeout_ms / 1000;
	dl.tv_nsec += (long)(c->opts.stop_timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	err = pthread_timedjoin_np(c->resolver, NULL, &dl);
	if (err) {
		pthread_detach(c->resolver);
		atomic_fetch_add(&detached_workers, 1);
		if (atomic_exchange(&w->handoff, 1))
			atomic_fetch_sub(&detached_workers, 1);
	}
	worker_put(w);
}

void edr_idcache__free(struct edr_idcache *c)
{
	size_t i;
	int k;

	if (!c)
		return;
	if (c->watcher_started) {
		pthread_mutex_lock(&c->lock);
		c->stop = 1;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->watcher, NULL);
	}
	if (c->resolver_started)
		stop_resolver(c);
	else if (c->w)
		worker_put(c->w);
	for (k = 0; k < _EDR_ID_MAX; k++) {
		edr_idtab__free(c->cur[k]);
		edr_idtab__free(atomic_load(&c->next[k]));
		free(c->paths[k]);
	}
	if (c->nss)
		for (i = 0; i < (c->nss_mask + 1) * NSS_WAYS; i++)
			free(c->nss[i].name);
	free(c->nss);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int opts_fill(struct edr_idcache_opts *o, const struct edr_idcache_opts *in)
{
	if (in)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	if (o->max_file_size > EDR_IDCACHE_MAX_FILE_SIZE || o->queue_len > EDR_IDCACHE_MAX_QUEUE ||
	    o->nss_entries > EDR_IDCACHE_MAX_NSS)
		return -EINVAL;
	o->poll_ms = o->poll_ms ? o->poll_ms : DEF_POLL_MS;
	o->max_file_size = o->max_file_size ? o->max_file_size : DEF_MAX_FILE;
	o->max_entries = o->max_entries ? o->max_entries : DEF_MAX_ENTRIES;
	o->queue_len = pow2_at_least(o->queue_len ? o->queue_len : DEF_QUEUE);
	o->nss_entries = o->nss_entries ? o->nss_entries : DEF_NSS;
	o->ttl_s = o->ttl_s ? o->ttl_s : DEF_TTL_S;
	o->negative_ttl_s = o->negative_ttl_s ? o->negative_ttl_s : DEF_NEG_TTL_S;
	o->stop_timeout_ms = o->stop_timeout_ms ? o->stop_timeout_ms : DEF_STOP_MS;
	if (!o->resolve) {
		o->resolve = nss_resolve;
		o->resolve_ctx = NULL;
	}
	return 0;
}

static int resolver_init(struct edr_idcache *c)
{
	struct nss_worker *w;
	int err;

	c->nss_mask = pow2_at_least((c->opts.nss_entries + NSS_WAYS - 1) / NSS_WAYS) - 1;
	c->nss = calloc((c->nss_mask + 1) * NSS_WAYS, sizeof(*c->nss));
	if (!c->nss)
		return -ENOMEM;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (sem_init(&w->wake, 0, 0)) {
		err = -errno;
		free(w);
		return err;
	}
	atomic_init(&w->refs, 1);
	c->w = w;
	w->mask = c->opts.queue_len - 1;
	w->reqs = calloc(c->opts.queue_len, sizeof(*w->reqs));
	w->resps = calloc(c->opts.queue_len, sizeof(*w->resps));
	if (!w->reqs || !w->resps)
		return -ENOMEM;
	w->resolve = c->opts.resolve;
	w->ctx = c->opts.resolve_ctx;
	atomic_fetch_add(&w->refs, 1);   /* the thread's */
	err = start_thread(&c->resolver, resolver_main, w);
	if (err) {
		atomic_fetch_sub(&w->refs, 1);
		return err;
	}
	c->resolver_started = 1;
	return 0;
}

struct edr_idcache *edr_idcache__new_opts(const struct edr_idcache_opts *opts)
{
	static const char *const defaults[_EDR_ID_MAX] = { "/etc/passwd", "/etc/group" };
	struct edr_idcache *c;
	pthread_condattr_t ca;
	int err, k;

	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = opts_fill(&c->opts, opts);
	if (err)
		goto cleanup;
	c->paths[EDR_ID_USER] = strdup(c->opts.passwd_path ? c->opts.passwd_path
							  : defaults[EDR_ID_USER]);
	c->paths[EDR_ID_GROUP] = strdup(c->opts.group_path ? c->opts.group_path
							   : defaults[EDR_ID_GROUP]);
	c->opts.passwd_path = c->paths[EDR_ID_USER];
	c->opts.group_path = c->paths[EDR_ID_GROUP];
	if (!c->paths[EDR_ID_USER] || !c->paths[EDR_ID_GROUP]) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Synchronous first load: the first event already has names. */
	for (k = 0; k < _EDR_ID_MAX; k++) {
		err = load_db(c, (enum edr_id_kind)k, &c->cur[k], &c->fid[k]);
		if (err == -ENOMEM)
			goto cleanup;
		if (err) {
			/* Unreadable now: empty table, the watcher retries. */
			bump(&c->read_errors);
			c->cur[k] = edr_idtab__parse(NULL, 0, (enum edr_id_kind)k, 1, NULL);
			if (!c->cur[k]) {
				err = -ENOMEM;
				goto cleanup;
			}
		}
		setc(&c->entries[k], c->cur[k]->count);
	}
	if (!c->opts.files_only) {
		err = resolver_init(c);
		if (err)
			goto cleanup;
	}
	err = start_thread(&c->watcher, watcher_main, c);
	if (err)
		goto cleanup;
	c->watcher_started = 1;
	return c;
cleanup:
	edr_idcache__free(c);
	errno = -err;
	return NULL;
}

struct edr_idcache *edr_idcache__new(void)
{
	return edr_idcache__new_opts(NULL);
}

/* ---- lookups (the event thread) ---- */

static const char *ret_name(struct edr_idcache *c, const char *name)
{
	char *dst = c->ring[c->ring_next++ % EDR_IDCACHE_RING];
	size_t n = strnlen(name, EDR_IDCACHE_NAME_MAX - 1);

	memcpy(dst, name, n);
	dst[n] = '\0';
	return dst;
}

static void adopt(struct edr_idcache *c, enum edr_id_kind kind)
{
	struct edr_idtab *t;

	if (!atomic_load_explicit(&c->next[kind], memory_order_relaxed))
		return;
	t = atomic_exchange_explicit(&c->next[kind], NULL, memory_order_acquire);
	if (!t)
		return;
	edr_idtab__free(c->cur[kind]);
	c->cur[kind] = t;
}

static struct nss_entry *nss_find(struct edr_idcache *c, enum edr_id_kind kind, uint32_t id,
				  struct nss_entry **victim)
{
	struct nss_entry *set = &c->nss[((idhash(id) ^ kind) & c->nss_mask) * NSS_WAYS], *e;
	int i;

	if (victim)
		*victim = NULL;
	for (i = 0; i < NSS_WAYS; i++) {
		e = &set[i];
		if (e->state != NE_EMPTY && e->id == id && e->kind == kind)
			return e;
		if (!victim || e->state == NE_PENDING)
			continue;
		if (!*victim || e->state == NE_EMPTY ||
		    ((*victim)->state != NE_EMPTY && e->used < (*victim)->used))
			*victim = e;
	}
	return NULL;
}

/* Answers that came back from the resolver. */
static void nss_drain(struct edr_idcache *c)
{
	struct nss_worker *w = c->w;
	size_t head = atomic_load_explicit(&w->resp_head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&w->resp_tail, memory_order_acquire);
	uint64_t now;

	if (head == tail)
		return;
	now = mono_ns();
	for (; head != tail; head++) {
		const struct nss_resp *r = &w->resps[head & w->mask];
		struct nss_entry *e = nss_find(c, (enum edr_id_kind)r->kind, r->id, NULL);
		char *name;

		c->inflight--;
		if (!e || e->state != NE_PENDING)
			continue;
		if (r->result > 0 && (name = strdup(r->name))) {
			free(e->name);
			e->name = name;
			e->state = NE_FOUND;
			e->expires_ns = now + c->opts.ttl_s * 1000000000ull;
			continue;
		}
		/* A failed refresh keeps the name it had; a missing id loses it. */
		if (r->result == 0 || !e->name) {
			free(e->name);
			e->name = NULL;
		}
		e->state = e->name ? NE_FOUND : NE_MISSING;
		e->expires_ns = now + c->opts.negative_ttl_s * 1000000000ull;
	}
	atomic_store_explicit(&w->resp_head, head, memory_order_release);
	setc(&c->nss_pending, c->inflight);
}

static int nss_queue(struct edr_idcache *c, enum edr_id_kind kind, uint32_t id)
{
	struct nss_worker *w = c->w;
	size_t tail = atomic_load_explicit(&w->req_tail, memory_order_relaxed);

	if (c->inflight > w->mask) {
		bump(&c->queue_full);
		return -1;
	}
	w->reqs[tail & w->mask] = (struct nss_req){ .id = id, .kind = (uint8_t)kind };
	atomic_store_explicit(&w->req_tail, tail + 1, memory_order_release);
	sem_post(&w->wake);
	c->inflight++;
	bump(&c->nss_queued);
	setc(&c->nss_pending, c->inflight);
	return 0;
}

static const char *lookup(struct edr_idcache *c, enum edr_id_kind kind, uint32_t id)
{
	struct nss_entry *e, *victim;
	const char *name;

	if (!c)
		return NULL;
	bump(&c->lookups);
	adopt(c, kind);
	name = edr_idtab__find(c->cur[kind], id);
	if (name) {
		bump(&c->file_hits);
		return ret_name(c, name);
	}
	if (!c->w)
		return NULL;
	nss_drain(c);
	e = nss_find(c, kind, id, &victim);
	if (e) {
		e->used = ++c->nss_clock;
		if (e->state != NE_PENDING && mono_ns() >= e->expires_ns && !nss_queue(c, kind, id))
			e->state = NE_PENDING;
		if (e->name) {
			bump(&c->nss_hits);
			return ret_name(c, e->name);
		}
		if (e->state == NE_MISSING)
			bump(&c->nss_negative_hits);
		return NULL;
	}
	if (!victim) {   /* every way of the set is waiting for the resolver */
		bump(&c->queue_full);
		return NULL;
	}
	if (nss_queue(c, kind, id))
		return NULL;
	if (victim->state != NE_EMPTY) {
		free(victim->name);
		bump(&c->nss_evicted);
	}
	*victim = (struct nss_entry){ .id = id, .kind = (uint8_t)kind, .state = NE_PENDING,
				      .used = ++c->nss_clock };
	return NULL;
}

const char *edr_idcache__user(struct edr_idcache *c, uint32_t uid)
{
	return lookup(c, EDR_ID_USER, uid);
}

const char *edr_idcache__group(struct edr_idcache *c, uint32_t gid)
{
	return lookup(c, EDR_ID_GROUP, gid);
}

void edr_idcache__stats(struct edr_idcache *c, struct edr_idcache_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!c)
		return;
	out->lookups = readc(&c->lookups);
	out->file_hits = readc(&c->file_hits);
	out->nss_hits = readc(&c->nss_hits);
	out->nss_negative_hits = readc(&c->nss_negative_hits);
	out->nss_queued = readc(&c->nss_queued);
	out->nss_pending = readc(&c->nss_pending);
	out->nss_evicted = readc(&c->nss_evicted);
	out->queue_full = readc(&c->queue_full);
	out->reloads = readc(&c->reloads);
	out->read_errors = readc(&c->read_errors);
	out->parse_errors = readc(&c->parse_errors);
	out->users = readc(&c->entries[EDR_ID_USER]);
	out->groups = readc(&c->entries[EDR_ID_GROUP]);
	if (c->w) {
		out->nss_resolved = readc(&c->w->resolved);
		out->nss_not_found = readc(&c->w->not_found);
		out->nss_errors = readc(&c->w->errors);
	}
}
