// SPDX-License-Identifier: GPL-2.0-only
/*
 * SHA-256 cache of executed files: see hashcache.h for the contract. One
 * mutex guards the table, the LRU list, the job ring and the counters; it is
 * never held across a read or a digest, so the event thread waits at most for
 * another thread's table update.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sensor/enrich/hashcache.h"

/* Hashing is background work: the workers yield to event threads. */
#define WORKER_NICE 10
#define READ_CHUNK  (64u << 10)
#define MNT_CACHE   8

struct hc_entry {
	uint64_t ino;
	uint32_t dev;
	int done;                       /* hex valid; else a job is queued */
	uint64_t size;
	int64_t mtime_ns, ctime_ns;
	char hex[EDR_SHA256_HEX_LEN + 1];
	struct hc_entry *hnext;
	struct hc_entry *lprev, *lnext; /* LRU: head = most recent */
};

struct hc_job {
	int fd;
	uint64_t ino;
	uint32_t dev;
	uint64_t size;
	int64_t mtime_ns, ctime_ns;
};

struct edr_hashcache {
	pthread_mutex_t lock;
	pthread_cond_t work_cond;       /* a job was queued, or stop */
	pthread_cond_t idle_cond;       /* a job finished */
	struct edr_hashcache_opts opts;

	struct hc_entry **buckets;
	size_t nbuckets;                /* power of two */
	size_t nentries;
	struct hc_entry *lru_head, *lru_tail;

	struct hc_job *jobs;            /* ring of opts.queue_len */
	size_t qhead, qcount, running;

	double tokens;
	uint64_t last_ns;

	struct {
		uint64_t mnt_id;
		uint32_t kdev;
		int used;
	} mnts[MNT_CACHE];
	size_t mnt_next;

	int stop;
	pthread_t threads[EDR_HASHCACHE_MAX_THREADS];
	unsigned int nthreads;

	struct edr_hashcache_stats st;
};

static const char *const skip_names[_EDR_HASH_SKIP_MAX] = {
	[EDR_HASH_SKIP_NONE] = "none",
	[EDR_HASH_SKIP_DISABLED] = "disabled",
	[EDR_HASH_SKIP_TOO_BIG] = "too_big",
	[EDR_HASH_SKIP_RATE] = "rate",
	[EDR_HASH_SKIP_QUEUE_FULL] = "queue_full",
	[EDR_HASH_SKIP_UNREADABLE] = "unreadable",
	[EDR_HASH_SKIP_NOT_REGULAR] = "not_regular",
	[EDR_HASH_SKIP_CHANGED] = "file_changed",
	[EDR_HASH_SKIP_NOMEM] = "no_memory",
};

const char *edr_hash_skip_str(enum edr_hash_skip r)
{
	if ((unsigned int)r >= _EDR_HASH_SKIP_MAX)
		return "unknown";
	return skip_names[r];
}

const char *edr_hash_state_str(enum edr_hash_state s)
{
	switch (s) {
	case EDR_HASH_DONE: return "done";
	case EDR_HASH_PENDING: return "pending";
	case EDR_HASH_SKIPPED: return "skipped";
	}
	return "unknown";
}

uint32_t edr_kdev_from_dev(dev_t dev)
{
	/* The kernel's internal dev_t: 12 bits of major, 20 of minor. */
	return ((uint32_t)major(dev) << 20) | ((uint32_t)minor(dev) & 0xfffff);
}

int64_t edr_sha256_fd(int fd, uint64_t max_bytes, char out_hex[EDR_SHA256_HEX_LEN + 1])
{
	return edr_sha256_fd_stop(fd, max_bytes, out_hex, NULL);
}

int64_t edr_sha256_fd_stop(int fd, uint64_t max_bytes, char out_hex[EDR_SHA256_HEX_LEN + 1],
			   const int *stop)
{
	crypto_hash_sha256_state sha;
	unsigned char digest[crypto_hash_sha256_BYTES];
	unsigned char *buf;
	uint64_t off = 0;
	ssize_t n;

	out_hex[0] = '\0';
	buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	crypto_hash_sha256_init(&sha);
	for (;;) {
		/* A stop does not wait for the rest of a large file. */
		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			free(buf);
			return -ECANCELED;
		}
		n = pread(fd, buf, READ_CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		off += (uint64_t)n;
		if (off > max_bytes) {
			free(buf);
			return -EFBIG;
		}
		crypto_hash_sha256_update(&sha, buf, (unsigned long long)n);
	}
	free(buf);
	crypto_hash_sha256_final(&sha, digest);
	sodium_bin2hex(out_hex, EDR_SHA256_HEX_LEN + 1, digest, sizeof(digest));
	return (int64_t)off;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static uint64_t mono_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts_ns(&ts);
}

static size_t bucket_of(const struct edr_hashcache *hc, uint32_t dev, uint64_t ino)
{
	uint64_t h = (ino ^ ((uint64_t)dev << 32)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (hc->nbuckets - 1);
}

static struct hc_entry *find(struct edr_hashcache *hc, uint32_t dev, uint64_t ino)
{
	struct hc_entry *e;

	for (e = hc->buckets[bucket_of(hc, dev, ino)]; e; e = e->hnext)
		if (e->dev == dev && e->ino == ino)
			return e;
	return NULL;
}

static void lru_unlink(struct edr_hashcache *hc, struct hc_entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		hc->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		hc->lru_tail = e->lprev;
	e->lprev = e->lnext = NULL;
}

static void lru_push(struct edr_hashcache *hc, struct hc_entry *e)
{
	e->lprev = NULL;
	e->lnext = hc->lru_head;
	if (hc->lru_head)
		hc->lru_head->lprev = e;
	hc->lru_head = e;
	if (!hc->lru_tail)
		hc->lru_tail = e;
}

static void remove_entry(struct edr_hashcache *hc, struct hc_entry *e)
{
	struct hc_entry **pp = &hc->buckets[bucket_of(hc, e->dev, e->ino)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(hc, e);
	hc->nentries--;
	free(e);
}

/* A new entry for the job's file version, evicting the least recent one at
 * the limit. NULL when out of memory. */
static struct hc_entry *insert(struct edr_hashcache *hc, const struct hc_job *j)
{
	struct hc_entry *e;
	size_t b;

	if (hc->nentries >= hc->opts.max_entries && hc->lru_tail) {
		remove_entry(hc, hc->lru_tail);
		hc->st.evicted++;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->dev = j->dev;
	e->ino = j->ino;
	e->size = j->size;
	e->mtime_ns = j->mtime_ns;
	e->ctime_ns = j->ctime_ns;
	b = bucket_of(hc, e->dev, e->ino);
	e->hnext = hc->buckets[b];
	hc->buckets[b] = e;
	lru_push(hc, e);
	hc->nentries++;
	return e;
}

static int same_version(const struct hc_entry *e, const struct hc_job *j)
{
	return e->size == j->size && e->mtime_ns == j->mtime_ns && e->ctime_ns == j->ctime_ns;
}

static void job_from_stat(struct hc_job *j, int fd, const struct stat *st)
{
	j->fd = fd;
	j->dev = edr_kdev_from_dev(st->st_dev);
	j->ino = st->st_ino;
	j->size = (uint64_t)st->st_size;
	j->mtime_ns = ts_ns(&st->st_mtim);
	j->ctime_ns = ts_ns(&st->st_ctim);
}

/* Token bucket of one second's worth of bytes; see hashcache.h. Locked. */
static int rate_admit(struct edr_hashcache *hc, uint64_t size)
{
	double cap = (double)hc->opts.rate;
	uint64_t now;

	if (!hc->opts.rate)
		return 1;
	now = hc->opts.clock_ns(hc->opts.clock_ctx);
	if (now > hc->last_ns) {
		hc->tokens += (double)(now - hc->last_ns) * cap / 1e9;
		if (hc->tokens > cap)
			hc->tokens = cap;
	}
	hc->last_ns = now;
	if (hc->tokens >= (double)size || hc->tokens >= cap) {
		hc->tokens -= (double)size;
		return 1;
	}
	return 0;
}

/* Records the digest of job j (ok: hashed whole and unchanged meanwhile).
 * Locked. */
static void record(struct edr_hashcache *hc, const struct hc_job *j, int ok, int64_t n,
		   const char hex[EDR_SHA256_HEX_LEN + 1])
{
	struct hc_entry *e = find(hc, j->dev, j->ino);

	if (ok) {
		hc->st.computed++;
		hc->st.bytes_hashed += (uint64_t)n;
		if (e && !same_version(e, j)) {
			/* A newer version of the file is cached or queued: it wins. */
		} else if (e || (e = insert(hc, j))) {
			memcpy(e->hex, hex, EDR_SHA256_HEX_LEN + 1);
			e->done = 1;
		}
	} else {
		hc->st.failed++;
		/* Let a later exec queue the file again rather than wait forever. */
		if (e && !e->done && same_version(e, j))
			remove_entry(hc, e);
	}
}

/* Hashes j's file and checks it did not change meanwhile. Unlocked. */
static int hash_job(const struct hc_job *j, int64_t *n, char hex[EDR_SHA256_HEX_LEN + 1],
		    const int *stop)
{
	struct stat after;
	struct hc_job now;

	*n = edr_sha256_fd_stop(j->fd, j->size, hex, stop);
	/* A file written while we read it has no single digest: drop it. */
	if (*n < 0 || (uint64_t)*n != j->size || fstat(j->fd, &after))
		return 0;
	job_from_stat(&now, j->fd, &after);
	return same_version(&(struct hc_entry){ .size = j->size, .mtime_ns = j->mtime_ns,
						.ctime_ns = j->ctime_ns }, &now);
}

/* Runs one job outside the lock and records its result. Called with the
 * lock held and the job already taken off the ring; returns with it held. */
static void run_job(struct edr_hashcache *hc, struct hc_job j)
{
	char hex[EDR_SHA256_HEX_LEN + 1];
	int64_t n;
	int ok;

	hc->running++;
	pthread_mutex_unlock(&hc->lock);
	ok = hash_job(&j, &n, hex, &hc->stop);
	close(j.fd);
	pthread_mutex_lock(&hc->lock);
	record(hc, &j, ok, n, hex);
	hc->running--;
	pthread_cond_broadcast(&hc->idle_cond);
}

/* Takes the oldest job off the ring. Locked; 0 when empty. */
static int pop_job(struct edr_hashcache *hc, struct hc_job *j)
{
	if (!hc->qcount)
		return 0;
	*j = hc->jobs[hc->qhead];
	hc->qhead = (hc->qhead + 1) % hc->opts.queue_len;
	hc->qcount--;
	return 1;
}

static void *worker(void *arg)
{
	struct edr_hashcache *hc = arg;
	struct hc_job j;

	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), WORKER_NICE);
	pthread_mutex_lock(&hc->lock);
	while (!hc->stop) {
		if (!pop_job(hc, &j)) {
			pthread_cond_wait(&hc->work_cond, &hc->lock);
			continue;
		}
		run_job(hc, j);
	}
	pthread_mutex_unlock(&hc->lock);
	return NULL;
}

size_t edr_hashcache__work(struct edr_hashcache *hc, size_t max_jobs)
{
	struct hc_job j;
	size_t n = 0;

	pthread_mutex_lock(&hc->lock);
	while (n < max_jobs && !hc->stop && pop_job(hc, &j)) {
		run_job(hc, j);
		n++;
	}
	pthread_mutex_unlock(&hc->lock);
	return n;
}

struct edr_hashcache *edr_hashcache__new(const struct edr_hashcache_opts *opts)
{
	struct edr_hashcache *hc;
	pthread_condattr_t ca;
	int err;

	if (!opts || opts->max_entries > EDR_HASHCACHE_MAX_ENTRIES ||
	    opts->queue_len > EDR_HASHCACHE_MAX_QUEUE || opts->threads > EDR_HASHCACHE_MAX_THREADS) {
		errno = EINVAL;
		return NULL;
	}
	/* Selects libsodium's implementations; safe to call more than once. */
	if (sodium_init() < 0) {
		errno = ENOSYS;
		return NULL;
	}
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return NULL;
	hc->opts = *opts;
	if (!hc->opts.max_entries)
		hc->opts.max_entries = EDR_HASHCACHE_DEFAULT_ENTRIES;
	if (!hc->opts.queue_len)
		hc->opts.queue_len = EDR_HASHCACHE_DEFAULT_QUEUE;
	if (!hc->opts.clock_ns)
		hc->opts.clock_ns = mono_ns;
	if (!hc->opts.mountinfo)
		hc->opts.mountinfo = "/proc/self/mountinfo";
	for (hc->nbuckets = 16; hc->nbuckets < hc->opts.max_entries; hc->nbuckets <<= 1)
		;
	hc->buckets = calloc(hc->nbuckets, sizeof(*hc->buckets));
	hc->jobs = calloc(hc->opts.queue_len, sizeof(*hc->jobs));
	if (!hc->buckets || !hc->jobs) {
		free(hc->buckets);
		free(hc->jobs);
		free(hc);
		errno = ENOMEM;
		return NULL;
	}
	hc->tokens = (double)hc->opts.rate;
	hc->last_ns = hc->opts.clock_ns(hc->opts.clock_ctx);
	pthread_mutex_init(&hc->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hc->work_cond, NULL);
	pthread_cond_init(&hc->idle_cond, &ca);
	pthread_condattr_destroy(&ca);
	for (; hc->nthreads < hc->opts.threads; hc->nthreads++) {
		err = pthread_create(&hc->threads[hc->nthreads], NULL, worker, hc);
		if (err) {
			edr_hashcache__free(hc);
			errno = err;
			return NULL;
		}
	}
	return hc;
}

void edr_hashcache__free(struct edr_hashcache *hc)
{
	struct hc_entry *e, *next;
	struct hc_job j;
	unsigned int i;

	if (!hc)
		return;
	pthread_mutex_lock(&hc->lock);
	__atomic_store_n(&hc->stop, 1, __ATOMIC_RELAXED); /* read between chunks, unlocked */
	pthread_cond_broadcast(&hc->work_cond);
	pthread_mutex_unlock(&hc->lock);
	for (i = 0; i < hc->nthreads; i++)
		pthread_join(hc->threads[i], NULL);
	while (pop_job(hc, &j))
		close(j.fd);
	for (e = hc->lru_head; e; e = next) {
		next = e->lnext;
		free(e);
	}
	pthread_cond_destroy(&hc->work_cond);
	pthread_cond_destroy(&hc->idle_cond);
	pthread_mutex_destroy(&hc->lock);
	free(hc->buckets);
	free(hc->jobs);
	free(hc);
}

int edr_mount_kdev(const char *mountinfo, uint64_t mnt_id, uint32_t *kdev)
{
	unsigned long long id, parent;
	unsigned int maj, min;
	char line[1024];
	int at_start = 1, err = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* Only the start of a line: the tail of a long one (long mount
		 * options) could look like a mount entry. */
		int start = at_start;

		at_start = strchr(line, '\n') != NULL;
		if (!start || sscanf(line, "%llu %llu %u:%u", &id, &parent, &maj, &min) != 4 ||
		    id != mnt_id)
			continue;
		*kdev = (maj << 20) | (min & 0xfffff);
		err = 0;
		break;
	}
	if (err && ferror(f))
		err = -EIO;
	fclose(f);
	return err;
}

/* Mount id -> superblock device, remembered for the few mounts binaries
 * run from; looked up again whenever it disagrees (mount ids are reused). */
static int mount_dev_matches(struct edr_hashcache *hc, uint64_t mnt_id, uint32_t want)
{
	uint32_t kdev = 0;
	size_t i;

	pthread_mutex_lock(&hc->lock);
	for (i = 0; i < MNT_CACHE; i++) {
		if (hc->mnts[i].used && hc->mnts[i].mnt_id == mnt_id && hc->mnts[i].kdev == want) {
			pthread_mutex_unlock(&hc->lock);
			return 1;
		}
	}
	pthread_mutex_unlock(&hc->lock);
	if (edr_mount_kdev(hc->opts.mountinfo, mnt_id, &kdev))
		return 0;
	pthread_mutex_lock(&hc->lock);
	for (i = 0; i < MNT_CACHE && !(hc->mnts[i].used && hc->mnts[i].mnt_id == mnt_id); i++)
		;
	if (i == MNT_CACHE)
		i = hc->mnt_next++ % MNT_CACHE;
	hc->mnts[i].used = 1;
	hc->mnts[i].mnt_id = mnt_id;
	hc->mnts[i].kdev = kdev;
	pthread_mutex_unlock(&hc->lock);
	return kdev == want;
}

/* The file at path is a regular file and the one the event reported. */
static int check_file(struct edr_hashcache *hc, int dirfd, const char *path, int at_flags,
		      const struct stat *st, const struct edr_file_ident *id,
		      enum edr_hash_skip *reason)
{
	struct statx sx;

	if (!S_ISREG(st->st_mode)) {
		*reason = EDR_HASH_SKIP_NOT_REGULAR;
		return -1;
	}
	if (!id || ((uint64_t)st->st_ino == id->ino && edr_kdev_from_dev(st->st_dev) == id->dev))
		return 0;
	/* Same inode number, another device: on btrfs, stat() shows the
	 * subvolume's device; the event has the superblock's, which the mount
	 * table gives. */
	if ((uint64_t)st->st_ino == id->ino &&
	    !statx(dirfd, path, at_flags, STATX_MNT_ID, &sx) && (sx.stx_mask & STATX_MNT_ID) &&
	    mount_dev_matches(hc, sx.stx_mnt_id, id->dev)) {
		pthread_mutex_lock(&hc->lock);
		hc->st.dev_by_mount++;
		pthread_mutex_unlock(&hc->lock);
		return 0;
	}
	*reason = EDR_HASH_SKIP_CHANGED;
	return -1;
}

/* The cached answer for a stat'ed file, without opening it. 1 if answered. */
static int from_cache(struct edr_hashcache *hc, const struct stat *st,
		      char out_hex[EDR_SHA256_HEX_LEN + 1], enum edr_hash_state *state)
{
	struct hc_entry *e;
	struct hc_job j;
	int found = 0;

	job_from_stat(&j, -1, st);
	pthread_mutex_lock(&hc->lock);
	e = find(hc, j.dev, j.ino);
	if (e && same_version(e, &j)) {
		lru_unlink(hc, e);
		lru_push(hc, e);
		if (e->done) {
			memcpy(out_hex, e->hex, EDR_SHA256_HEX_LEN + 1);
			hc->st.hits++;
			*state = EDR_HASH_DONE;
		} else {
			hc->st.pending_hits++;
			*state = EDR_HASH_PENDING;
		}
		found = 1;
	}
	pthread_mutex_unlock(&hc->lock);
	return found;
}

static enum edr_hash_state lookup_fd(struct edr_hashcache *hc, int fd, const struct stat *st,
				     char out_hex[EDR_SHA256_HEX_LEN + 1],
				     enum edr_hash_skip *reason);

/*
 * One candidate path. A cache hit costs one stat(); a miss opens the file
 * and checks that the descriptor is the inode just stat'ed, so the worker
 * hashes exactly the reported file. Returns 1 when answered (*state set),
 * 0 when this path is not usable (*reason set).
 */
static int try_path(struct edr_hashcache *hc, const char *path, const struct edr_file_ident *id,
		    char out_hex[EDR_SHA256_HEX_LEN + 1], enum edr_hash_skip *reason,
		    enum edr_hash_state *state)
{
	/* O_NONBLOCK: a FIFO put in place of the binary must not block us. */
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct stat st, fst;
	int fd;

	if (stat(path, &st)) {
		*reason = EDR_HASH_SKIP_UNREADABLE;
		return 0;
	}
	if (check_file(hc, AT_FDCWD, path, 0, &st, id, reason))
		return 0;
	if (from_cache(hc, &st, out_hex, state))
		return 1;
	if ((uint64_t)st.st_size > hc->opts.max_file_size) {
		/* Known from stat() alone: not worth an open. */
		pthread_mutex_lock(&hc->lock);
		hc->st.misses++;
		hc->st.skipped[EDR_HASH_SKIP_TOO_BIG]++;
		pthread_mutex_unlock(&hc->lock);
		*reason = EDR_HASH_SKIP_TOO_BIG;
		*state = EDR_HASH_SKIPPED;
		return 1;
	}
	/* O_NOATIME keeps the sensor from touching atimes; only the owner or
	 * CAP_FOWNER may ask for it. */
	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	if (fd < 0 || fstat(fd, &fst)) {
		if (fd >= 0)
			close(fd);
		*reason = EDR_HASH_SKIP_UNREADABLE;
		return 0;
	}
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		/* Replaced between the stat and the open. */
		close(fd);
		*reason = EDR_HASH_SKIP_CHANGED;
		return 0;
	}
	*state = lookup_fd(hc, fd, &fst, out_hex, reason);
	return 1;
}

/* Owns fd (closed unless queued). */
static enum edr_hash_state lookup_fd(struct edr_hashcache *hc, int fd, const struct stat *st,
				     char out_hex[EDR_SHA256_HEX_LEN + 1],
				     enum edr_hash_skip *reason)
{
	enum edr_hash_state state = EDR_HASH_SKIPPED;
	struct hc_entry *e;
	struct hc_job j;

	job_from_stat(&j, fd, st);
	pthread_mutex_lock(&hc->lock);
	e = find(hc, j.dev, j.ino);
	if (e && same_version(e, &j)) {
		lru_unlink(hc, e);
		lru_push(hc, e);
		if (e->done) {
			memcpy(out_hex, e->hex, EDR_SHA256_HEX_LEN + 1);
			hc->st.hits++;
			state = EDR_HASH_DONE;
		} else {
			hc->st.pending_hits++;
			state = EDR_HASH_PENDING;
		}
		goto out;
	}
	if (e) {
		/* Rewritten, truncated or touched since it was hashed. */
		hc->st.invalidated++;
		remove_entry(hc, e);
	}
	hc->st.misses++;
	if (j.size > hc->opts.max_file_size)
		*reason = EDR_HASH_SKIP_TOO_BIG;
	else if (hc->qcount + hc->running >= hc->opts.queue_len)
		*reason = EDR_HASH_SKIP_QUEUE_FULL;
	else if (!rate_admit(hc, j.size))
		*reason = EDR_HASH_SKIP_RATE;
	else if (!insert(hc, &j))
		*reason = EDR_HASH_SKIP_NOMEM;
	else {
		hc->jobs[(hc->qhead + hc->qcount) % hc->opts.queue_len] = j;
		hc->qcount++;
		hc->st.queued++;
		pthread_cond_signal(&hc->work_cond);
		fd = -1; /* the job owns it now */
		state = EDR_HASH_PENDING;
	}
	if (state == EDR_HASH_SKIPPED)
		hc->st.skipped[*reason]++;
out:
	pthread_mutex_unlock(&hc->lock);
	if (fd >= 0)
		close(fd);
	return state;
}

static enum edr_hash_state skipped(struct edr_hashcache *hc, enum edr_hash_skip r,
				   enum edr_hash_skip *reason)
{
	*reason = r;
	pthread_mutex_lock(&hc->lock);
	hc->st.skipped[r]++;
	pthread_mutex_unlock(&hc->lock);
	return EDR_HASH_SKIPPED;
}

static enum edr_hash_state lookup2(struct edr_hashcache *hc, const char *first, const char *path,
				   const struct edr_file_ident *id,
				   char out_hex[EDR_SHA256_HEX_LEN + 1],
				   enum edr_hash_skip *reason)
{
	enum edr_hash_state state;
	enum edr_hash_skip dummy;

	if (!reason)
		reason = &dummy;
	*reason = EDR_HASH_SKIP_UNREADABLE; /* when no path is given */
	out_hex[0] = '\0';
	pthread_mutex_lock(&hc->lock);
	hc->st.lookups++;
	pthread_mutex_unlock(&hc->lock);
	if (!hc->opts.max_file_size)
		return skipped(hc, EDR_HASH_SKIP_DISABLED, reason);
	if (first && try_path(hc, first, id, out_hex, reason, &state))
		goto answered;
	if (path && try_path(hc, path, id, out_hex, reason, &state))
		goto answered;
	return skipped(hc, *reason, reason);
answered:
	if (state != EDR_HASH_SKIPPED)
		*reason = EDR_HASH_SKIP_NONE;
	return state;
}

enum edr_hash_state edr_hashcache__lookup(struct edr_hashcache *hc, const char *path,
					  const struct edr_file_ident *id,
					  char out_hex[EDR_SHA256_HEX_LEN + 1],
					  enum edr_hash_skip *reason)
{
	return lookup2(hc, NULL, path, id, out_hex, reason);
}

enum edr_hash_state edr_hashcache__lookup_exec(struct edr_hashcache *hc, const char *proc_root,
					       uint32_t tgid, const char *path,
					       const struct edr_file_ident *id,
					       char out_hex[EDR_SHA256_HEX_LEN + 1],
					       enum edr_hash_skip *reason)
{
	char exe[512];
	int n;

	n = snprintf(exe, sizeof(exe), "%s/%u/exe", proc_root ? proc_root : "/proc", tgid);
	if (n < 0 || (size_t)n >= sizeof(exe))
		return lookup2(hc, NULL, path, id, out_hex, reason);
	return lookup2(hc, exe, path, id, out_hex, reason);
}

int edr_hashcache__digest_fd(struct edr_hashcache *hc, int fd, const struct edr_file_ident *id,
			     char out_hex[EDR_SHA256_HEX_LEN + 1])
{
	enum edr_hash_skip reason = EDR_HASH_SKIP_NONE;
	enum edr_hash_state state;
	char hex[EDR_SHA256_HEX_LEN + 1];
	struct stat st;
	struct hc_job j;
	int64_t n;
	int ok;

	out_hex[0] = '\0';
	pthread_mutex_lock(&hc->lock);
	hc->st.lookups++;
	pthread_mutex_unlock(&hc->lock);
	if (!hc->opts.max_file_size) {
		skipped(hc, EDR_HASH_SKIP_DISABLED, &reason);
		return -EFBIG;
	}
	if (fstat(fd, &st)) {
		ok = -errno;
		skipped(hc, EDR_HASH_SKIP_UNREADABLE, &reason);
		return ok;
	}
	if (check_file(hc, fd, "", AT_EMPTY_PATH, &st, id, &reason)) {
		skipped(hc, reason, &reason);
		return reason == EDR_HASH_SKIP_NOT_REGULAR ? -EINVAL : -ESTALE;
	}
	if (from_cache(hc, &st, out_hex, &state) && state == EDR_HASH_DONE)
		return 0;
	/* Not cached, or queued for a worker: hashed here, not waited for. */
	pthread_mutex_lock(&hc->lock);
	hc->st.misses++;
	if ((uint64_t)st.st_size > hc->opts.max_file_size) {
		hc->st.skipped[EDR_HASH_SKIP_TOO_BIG]++;
		pthread_mutex_unlock(&hc->lock);
		return -EFBIG;
	}
	pthread_mutex_unlock(&hc->lock);
	job_from_stat(&j, fd, &st);
	ok = hash_job(&j, &n, hex, &hc->stop);
	pthread_mutex_lock(&hc->lock);
	record(hc, &j, ok, n, hex);
	pthread_mutex_unlock(&hc->lock);
	if (!ok)
		return n < 0 ? (int)n : -ESTALE;
	memcpy(out_hex, hex, sizeof(hex));
	return 0;
}

int edr_hashcache__drain(struct edr_hashcache *hc, unsigned int timeout_ms)
{
	struct timespec dl;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&hc->lock);
	while (hc->qcount + hc->running > 0 && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&hc->idle_cond, &hc->lock, &dl);
	err = hc->qcount + hc->running > 0 ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&hc->lock);
	return err;
}

void edr_hashcache__stats(struct edr_hashcache *hc, struct edr_hashcache_stats *out)
{
	pthread_mutex_lock(&hc->lock);
	*out = hc->st;
	out->entries = hc->nentries;
	out->queue_depth = hc->qcount + hc->running;
	pthread_mutex_unlock(&hc->lock);
}
