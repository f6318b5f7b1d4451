/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SHA-256 of executed files (process.hash.sha256), computed in user space
 * without ever stalling the event thread.
 *
 * The event thread calls edr_hashcache__lookup(). It opens the file itself
 * (open + fstat are the only syscalls it pays), checks that the file is the
 * one the kernel reported (dev, ino), and answers at once:
 *   DONE     the cached digest of exactly this version of the file;
 *   PENDING  queued (or already queued) for the worker; the event goes out
 *            marked pending and a later exec of the same file gets DONE;
 *   SKIPPED  with a reason: too big, over the byte rate, queue full,
 *            unreadable, not a regular file, or not the reported file.
 * The open descriptor travels with the queued job, so the worker hashes the
 * very inode that was checked, even if the path is replaced meanwhile.
 *
 * Entries are keyed by (dev, ino) and carry (size, mtime, ctime): a file
 * rewritten in place, truncated, or touched changes one of them, so its old
 * digest is never served. Memory is bounded: at most max_entries entries
 * (LRU) and queue_len queued jobs, each holding one descriptor.
 *
 * The byte rate is a token bucket of one second's worth of bytes, charged
 * when a job is queued. A file larger than the bucket is accepted only when
 * the bucket is full and leaves it in debt, so the long-run rate holds and
 * every file up to max_file_size can still be hashed.
 *
 * Thread-safe: every function may be called from any thread.
 */
#ifndef EDR_HASHCACHE_H
#define EDR_HASHCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define EDR_SHA256_HEX_LEN 64

enum edr_hash_state {
	EDR_HASH_DONE = 0,
	EDR_HASH_PENDING = 1,
	EDR_HASH_SKIPPED = 2,
};

enum edr_hash_skip {
	EDR_HASH_SKIP_NONE = 0,
	EDR_HASH_SKIP_DISABLED = 1,    /* max_file_size is 0 */
	EDR_HASH_SKIP_TOO_BIG = 2,     /* over max_file_size */
	EDR_HASH_SKIP_RATE = 3,        /* byte rate exceeded */
	EDR_HASH_SKIP_QUEUE_FULL = 4,
	EDR_HASH_SKIP_UNREADABLE = 5,  /* open or fstat failed */
	EDR_HASH_SKIP_NOT_REGULAR = 6,
	EDR_HASH_SKIP_CHANGED = 7,     /* dev/ino differ from the event's */
	EDR_HASH_SKIP_NOMEM = 8,
	_EDR_HASH_SKIP_MAX = 9,
};

/* The executable's identity as BPF events carry it. */
struct edr_file_ident {
	uint32_t dev;  /* kernel encoding: major << 20 | minor */
	uint64_t ino;
};

struct edr_hashcache_opts {
	uint64_t max_file_size;  /* bytes; 0 disables hashing (every lookup SKIPPED) */
	uint64_t rate;           /* bytes per second; 0 = unlimited */
	size_t max_entries;      /* 0 = EDR_HASHCACHE_DEFAULT_ENTRIES */
	size_t queue_len;        /* 0 = EDR_HASHCACHE_DEFAULT_QUEUE */
	/*
	 * Worker threads started by __new (0 = none: the owner calls
	 * edr_hashcache__work() itself, e.g. from its own thread or a test).
	 */
	unsigned int threads;
	/* The mount table consulted when stat()'s st_dev differs from the
	 * event's dev; NULL = /proc/self/mountinfo (tests point it elsewhere).
	 * Not copied: must outlive the cache. */
	const char *mountinfo;
	/* Monotonic clock in ns for the token bucket; NULL = CLOCK_MONOTONIC. */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
};

#define EDR_HASHCACHE_DEFAULT_ENTRIES 4096
#define EDR_HASHCACHE_DEFAULT_QUEUE   64
#define EDR_HASHCACHE_MAX_ENTRIES     (1u << 20)
#define EDR_HASHCACHE_MAX_QUEUE       4096
#define EDR_HASHCACHE_MAX_THREADS     4

struct edr_hashcache_stats {
	uint64_t lookups;
	uint64_t hits;           /* DONE */
	uint64_t misses;         /* not cached (queued or skipped) */
	uint64_t pending_hits;   /* already queued: PENDING without a new job */
	uint64_t invalidated;    /* cached digest dropped: size/mtime/ctime changed */
	uint64_t queued;
	uint64_t computed;       /* digests computed by the worker */
	uint64_t bytes_hashed;
	uint64_t failed;         /* read error, or file changed while being hashed */
	uint64_t evicted;        /* LRU evictions */
	uint64_t dev_by_mount;   /* identity confirmed through the mount's device (btrfs) */
	uint64_t skipped[_EDR_HASH_SKIP_MAX];
	uint64_t entries;        /* current */
	uint64_t queue_depth;    /* current, jobs in progress included */
};

struct edr_hashcache;

/* NULL with errno (EINVAL for limits over the maxima above, ENOMEM, or a
 * pthread_create error). */
struct edr_hashcache *edr_hashcache__new(const struct edr_hashcache_opts *opts);
/* Stops the workers, drops queued jobs (closing their descriptors). NULL ok. */
void edr_hashcache__free(struct edr_hashcache *hc);

/*
 * path: the executable (e.g. the event's resolved path, or
 * "/proc/<tgid>/exe", which reaches the file even in another mount
 * namespace or after it was deleted). id: from the event, or NULL to skip
 * the identity check. out_hex receives 64 hex digits and a NUL when DONE,
 * "" otherwise. reason (may be NULL) receives the skip reason or
 * EDR_HASH_SKIP_NONE. Never blocks on the worker.
 */
enum edr_hash_state edr_hashcache__lookup(struct edr_hashcache *hc, const char *path,
					  const struct edr_file_ident *id,
					  char out_hex[EDR_SHA256_HEX_LEN + 1],
					  enum edr_hash_skip *reason);

/*
 * Same as lookup, trying "<proc_root>/<tgid>/exe" first and path second if
 * the first cannot be opened or is not the reported file: the process may
 * already be gone, or may live in a mount namespace where path means
 * something else. proc_root NULL = "/proc".
 */
enum edr_hash_state edr_hashcache__lookup_exec(struct edr_hashcache *hc, const char *proc_root,
					       uint32_t tgid, const char *path,
					       const struct edr_file_ident *id,
					       char out_hex[EDR_SHA256_HEX_LEN + 1],
					       enum edr_hash_skip *reason);

/*
 * The digest of an open file (e.g. the descriptor of a fanotify permission
 * event), computed in the calling thread when not cached: the caller is
 * waiting for it, so neither the queue nor the byte rate applies, and a job
 * already queued for the same file is not waited for. The result is cached
 * under the file's identity as lookup's are, so the next lookup or
 * digest_fd of this version is a hit. id: as for lookup, or NULL. fd is
 * read with pread (its offset is left alone) and not closed. Returns 0 with
 * out_hex filled; -EFBIG when skipped (over max_file_size, or hashing
 * disabled); -EINVAL for a file that is not regular; -ESTALE when it is not
 * the reported file or changed while read; or -errno of fstat/read.
 */
int edr_hashcache__digest_fd(struct edr_hashcache *hc, int fd, const struct edr_file_ident *id,
			     char out_hex[EDR_SHA256_HEX_LEN + 1]);

/*
 * Runs up to max_jobs queued jobs in the calling thread (for owners without
 * worker threads). Returns the number run.
 */
size_t edr_hashcache__work(struct edr_hashcache *hc, size_t max_jobs);

/* Waits until no job is queued or running, at most timeout_ms (0 = no
 * wait). Returns 0, or -ETIMEDOUT. */
int edr_hashcache__drain(struct edr_hashcache *hc, unsigned int timeout_ms);

void edr_hashcache__stats(struct edr_hashcache *hc, struct edr_hashcache_stats *out);

const char *edr_hash_state_str(enum edr_hash_state s);   /* "done", "pending", "skipped" */
const char *edr_hash_skip_str(enum edr_hash_skip r);     /* "too_big", ... */

/* stat()'s st_dev in the kernel's encoding (major << 20 | minor), as events carry it. */
uint32_t edr_kdev_from_dev(dev_t dev);

/*
 * The superblock device (kernel encoding) of mount mnt_id (statx
 * STATX_MNT_ID), from the "major:minor" field of a mountinfo file. Events
 * carry inode->i_sb->s_dev; on btrfs stat() reports each subvolume's own
 * anonymous device instead, so the two differ for the same file and the
 * mount table is what ties them. Returns 0, -ENOENT (no such mount), or
 * -errno of the read.
 */
int edr_mount_kdev(const char *mountinfo, uint64_t mnt_id, uint32_t *kdev);

/*
 * SHA-256 of an open file from offset 0 to its end, in hex. Returns the
 * bytes read, -EFBIG when the file holds more than max_bytes (a file growing
 * while read is not hashed forever), or -errno of a read.
 */
int64_t edr_sha256_fd(int fd, uint64_t max_bytes, char out_hex[EDR_SHA256_HEX_LEN + 1]);

/* The same, giving up with -ECANCELED between two reads once *stop is set
 * (the hash workers pass their stop flag: a stop does not wait out the
 * hash of a large file). stop may be NULL. */
int64_t edr_sha256_fd_stop(int fd, uint64_t max_bytes, char out_hex[EDR_SHA256_HEX_LEN + 1],
			   const int *stop);

#endif /* EDR_HASHCACHE_H */
