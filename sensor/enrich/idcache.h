/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * User and group names (user.name, group.name) without ever blocking the
 * event thread.
 *
 * Names of ids listed in the passwd and group files come from tables parsed
 * from those files: built once in the constructor (the first event already
 * has names), then rebuilt by a watcher thread when a file changes (dev,
 * inode, size, mtime or ctime, polled every poll_ms). The watcher publishes
 * a new table with an atomic exchange; the lookup thread adopts it with an
 * atomic exchange at its next lookup and frees the table it replaced, which
 * no other thread can see, so no grace period is needed. The lookup thread
 * never stats or reads a file.
 *
 * Ids missing from the files (directory users: LDAP, sssd, systemd) go to a
 * resolver thread (getpwuid_r/getgrgid_r by default, injectable) through a
 * bounded single-producer single-consumer ring; the lookup returns NULL at
 * once and a later lookup gets the name. Results come back through a second
 * ring. Found names and negative answers are cached in a bounded set
 * associative table with a time to live; an expired name is still served
 * while its refresh is pending. A full queue is counted, never waited for.
 *
 * A resolver stuck in NSS cannot be interrupted safely (cancelling a thread
 * inside glibc's NSS code can leave its locks held), so edr_idcache__free()
 * waits for it at most stop_timeout_ms and then detaches it: the thread owns
 * a reference to the rings it uses and frees them when the resolver finally
 * returns. edr_idcache__detached_workers() counts such threads.
 *
 * Threads: edr_idcache__user() and edr_idcache__group() are called from one
 * thread at a time (the event thread), as before; edr_idcache__stats() from
 * any thread. The returned name is a copy owned by the cache, valid until
 * EDR_IDCACHE_RING further lookups on the same cache or its free, whichever
 * comes first (a table swap or a cache eviction never invalidates it).
 */
#ifndef EDR_IDCACHE_H
#define EDR_IDCACHE_H

#include <stddef.h>
#include <stdint.h>

#define EDR_IDCACHE_NAME_MAX 256   /* longest name + NUL; longer lines are skipped */
#define EDR_IDCACHE_RING     32    /* returned names stay valid this many lookups */

enum edr_id_kind {
	EDR_ID_USER = 0,
	EDR_ID_GROUP = 1,
	_EDR_ID_MAX = 2,
};

/*
 * Resolves one id outside the files. Returns 1 with a NUL-terminated name in
 * buf, 0 when the id does not exist, or a negative errno (cached as a
 * negative answer too, so a failing directory is asked at most once per
 * negative_ttl_s per id). May block: it runs on the resolver thread only.
 */
typedef int (*edr_idcache_resolve_fn)(enum edr_id_kind kind, uint32_t id, char *buf, size_t len,
				      void *ctx);

struct edr_idcache_opts {
	const char *passwd_path;        /* NULL = /etc/passwd (copied) */
	const char *group_path;         /* NULL = /etc/group (copied) */
	unsigned int poll_ms;           /* file change check; 0 = 1000 */
	size_t max_file_size;           /* bytes read per file; 0 = 64 MiB */
	size_t max_entries;             /* ids per file; 0 = 1 << 20 */
	size_t queue_len;               /* resolver requests in flight; 0 = 64, rounded up to 2^n */
	size_t nss_entries;             /* cached resolver answers; 0 = 4096 */
	unsigned int ttl_s;             /* resolved names; 0 = 600 */
	unsigned int negative_ttl_s;    /* ids not found or failed; 0 = 60 */
	unsigned int stop_timeout_ms;   /* free's wait for a stuck resolver; 0 = 1000 */
	int files_only;                 /* no resolver thread: unknown ids stay unknown */
	/* NULL = getpwuid_r/getgrgid_r. ctx must outlive the cache and any
	 * resolver call still running after free (see above). */
	edr_idcache_resolve_fn resolve;
	void *resolve_ctx;
};

#define EDR_IDCACHE_MAX_FILE_SIZE (1ul << 30)
#define EDR_IDCACHE_MAX_QUEUE     4096
#define EDR_IDCACHE_MAX_NSS       (1ul << 20)

struct edr_idcache_stats {
	uint64_t lookups;
	uint64_t file_hits;         /* answered from the passwd/group tables */
	uint64_t nss_hits;          /* answered with a name from the resolver cache */
	uint64_t nss_negative_hits; /* known not to exist (cached) */
	uint64_t nss_queued;        /* requests handed to the resolver */
	uint64_t nss_pending;       /* current: queued or being resolved */
	uint64_t nss_resolved;      /* names found by the resolver */
	uint64_t nss_not_found;
	uint64_t nss_errors;        /* resolver failures */
	uint64_t nss_evicted;       /* cached answers dropped for room */
	uint64_t queue_full;        /* requests not queued: a new id gets no name, an
	                             * expired one keeps its old name */
	uint64_t reloads;           /* tables rebuilt after a file change */
	uint64_t read_errors;       /* a changed file could not be read (old table kept) */
	uint64_t parse_errors;      /* malformed lines skipped, cumulative */
	uint64_t users, groups;     /* ids in the current tables */
};

struct edr_idcache;

/* Defaults: /etc/passwd, /etc/group, NSS resolver. NULL with errno. */
struct edr_idcache *edr_idcache__new(void);
/* NULL with errno (EINVAL for limits over the maxima, ENOMEM, or a
 * pthread_create error). Missing files give empty tables, not an error. */
struct edr_idcache *edr_idcache__new_opts(const struct edr_idcache_opts *opts);
/* Stops the threads (see above for a stuck resolver). NULL ok. */
void edr_idcache__free(struct edr_idcache *c);

/* NULL when unknown (yet). Never blocks. */
const char *edr_idcache__user(struct edr_idcache *c, uint32_t uid);
const char *edr_idcache__group(struct edr_idcache *c, uint32_t gid);

void edr_idcache__stats(struct edr_idcache *c, struct edr_idcache_stats *out);

/* Resolver threads left running by a free (process-wide, current). */
unsigned int edr_idcache__detached_workers(void);

/*
 * The parser, for tests and the fuzz target. data need not be
 * NUL-terminated. Lines are "name:password:id:..." (passwd also needs the
 * gid field); empty lines, '#' comments and NIS "+"/"-" lines are ignored;
 * lines with a missing or empty name, an id that is not a decimal number
 * below 2^32 - 1, a name longer than EDR_IDCACHE_NAME_MAX - 1 or holding
 * control characters, or beyond max_entries ids are counted in *errors and
 * skipped. The first line of a duplicate id wins, as with NSS files.
 * NULL with errno ENOMEM.
 */
struct edr_idtab;
struct edr_idtab *edr_idtab__parse(const char *data, size_t len, enum edr_id_kind kind,
				   size_t max_entries, uint64_t *errors);
const char *edr_idtab__find(const struct edr_idtab *t, uint32_t id);
size_t edr_idtab__count(const struct edr_idtab *t);
void edr_idtab__free(struct edr_idtab *t);

#endif /* EDR_IDCACHE_H */
