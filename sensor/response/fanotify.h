/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fanotify permission events (issue 12): exec of any binary and open of a
 * protected file are held by the kernel until user space answers. Used where
 * the BPF LSM is not active.
 *
 * Threads: one reader reads the group (non-blocking, poll), answers at once
 * what needs no decision (our own process, a full queue, every worker stuck),
 * resolves the file's path and identity, and queues the request; `workers`
 * threads call decide. The reader also keeps the deadline: a request not
 * answered deadline_ms after it was read is answered FAN_ALLOW there (fail
 * open), counted in timeouts, and on_timeout is called; decide's later
 * verdict is then discarded. A request is answered exactly once (a flag under
 * the lock, set before the write), and its descriptor is closed when nobody
 * uses it any more (after decide returned).
 *
 * A decide that never returns keeps its worker and one descriptor: each
 * request past its deadline is still answered by the reader. When every
 * worker is stuck that way, new requests are answered allow at once (counted
 * in stuck) rather than waiting the full deadline in a queue nobody serves.
 *
 * None of these threads is the daemon's ring-buffer consumer: it never waits
 * for them. Nothing here is pinned: when the process dies the kernel closes
 * the group and allows everything still pending. The one way a group could
 * outlive us is a child holding its descriptor: a child forked while it is
 * open keeps it until its exec completes, which waits on the group itself.
 * So fork() children close every group at once (a pthread_atfork handler);
 * code that creates processes without fork() (posix_spawn, clone) must close
 * it in the child or not run while a group is open.
 */
#ifndef EDR_RESPONSE_FANOTIFY_H
#define EDR_RESPONSE_FANOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum edr_fan_kind { EDR_FAN_EXEC = 1, EDR_FAN_OPEN = 2 };   /* FAN_OPEN_EXEC_PERM, FAN_OPEN_PERM */
enum edr_fan_verdict { EDR_FAN_ALLOW = 0, EDR_FAN_DENY = 1 };

struct edr_fan_req {
	int kind;              /* enum edr_fan_kind */
	pid_t pid;             /* the process doing the exec or open */
	int fd;                /* the file, opened by fanotify (read-only, valid during decide) */
	const char *path;      /* resolved from fd ("" if unknown) */
	uint32_t dev;          /* kernel encoding, as in bpf/edr_event.h */
	uint64_t ino, ctime_ns;
	uint64_t t_ns;         /* CLOCK_BOOTTIME when read from fanotify */
};

/* Runs in a worker thread; may block up to the deadline (hashing). */
typedef enum edr_fan_verdict (*edr_fan_decide_fn)(const struct edr_fan_req *req, void *ctx);
/* Called when the deadline answered allow before decide returned (fail open).
 * Runs in the reader thread, possibly while decide still runs on req: keep
 * it short and do not block. */
typedef void (*edr_fan_timeout_fn)(const struct edr_fan_req *req, void *ctx);

#define EDR_FAN_DEFAULT_DEADLINE_MS 250
#define EDR_FAN_DEFAULT_WORKERS     2
#define EDR_FAN_MAX_WORKERS         64
#define EDR_FAN_DEFAULT_QUEUE       128
#define EDR_FAN_MAX_QUEUE           4096

struct edr_fanotify_opts {
	uint64_t deadline_ms;  /* 0 = 250 */
	unsigned workers;      /* 0 = 2 */
	edr_fan_decide_fn decide;        /* NULL answers allow */
	edr_fan_timeout_fn on_timeout;   /* may be NULL */
	/* Must outlive the group, and any decide still running after
	 * edr_fanotify__free() returned (see there). */
	void *ctx;
	/* Requests in flight (queued, being decided, or stuck in a decide
	 * past their deadline); 0 = EDR_FAN_DEFAULT_QUEUE. */
	unsigned queue_len;
};

struct edr_fanotify_stats {
	uint64_t requests, allowed, denied, timeouts, errors, queue_full;
	uint64_t self;           /* our own process's opens and execs, allowed at once */
	uint64_t stuck;          /* allowed at once: every worker stuck in a decide */
	uint64_t stuck_workers;  /* current: workers in a decide past its deadline */
	uint64_t filesystems;    /* current: filesystems watched by watch_exec */
	uint64_t protected;      /* current: files protected since the last unprotect_all */
};

struct edr_fanotify;

/* fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK ...) and the threads. NULL with
 * errno and a one-line reason in err (EPERM, ENOSYS/EINVAL when the kernel lacks permission events). */
struct edr_fanotify *edr_fanotify__new(const struct edr_fanotify_opts *o, char *err, size_t errlen);
/* FAN_OPEN_EXEC_PERM on every filesystem that can hold executables: a
 * FAN_MARK_FILESYSTEM mark on each distinct filesystem (device) of the
 * mounts in /proc/self/mountinfo not flagged noexec, pseudo filesystems
 * (proc, sysfs, cgroup, ...) skipped. 0 when at least one was marked (a
 * filesystem refusing the mark is skipped); else negative errno. */
int edr_fanotify__watch_exec(struct edr_fanotify *f, char *err, size_t errlen);
/* The same on the filesystems of the mounts listed in a mountinfo-format
 * file (tests, or another mount namespace's table). */
int edr_fanotify__watch_exec_from(struct edr_fanotify *f, const char *mountinfo, char *err,
				  size_t errlen);
/* FAN_OPEN_PERM on one file (inode mark); unprotect_all flushes those marks. */
int edr_fanotify__protect(struct edr_fanotify *f, const char *path, char *err, size_t errlen);
void edr_fanotify__unprotect_all(struct edr_fanotify *f);
void edr_fanotify__stats(struct edr_fanotify *f, struct edr_fanotify_stats *st);
/*
 * Closes the group: the kernel allows anything still pending. NULL ok.
 * Waits at most deadline_ms (and at most 1 s) for decides still running;
 * the group is closed before that wait, so nothing waits on it. A worker stuck in
 * decide beyond that is left behind (detached), keeps ctx in use, and frees
 * the remains when its decide returns; its verdict is discarded.
 */
void edr_fanotify__free(struct edr_fanotify *f);

/* Workers left behind by a free, still inside a decide (process-wide, current). */
unsigned edr_fanotify__detached_workers(void);

/* The pre-exec process_creation view of an EDR_FAN_EXEC request: Image = req->path, User/UserId
 * from /proc/PID/status (the exec'ing process's current uid), ParentImage/ParentCommandLine/
 * ParentUser/ParentProcessId from its parent (PPid in /proc/PID/status), CurrentDirectory from
 * /proc/PID/cwd, sha256 and Hashes ("SHA256=<hex>") when hex is non-NULL, ProcessId = pid,
 * CommandLine and OriginalFileName left unset (not known before exec). v is the daemon's view type
 * from sensor/sigma_map.h (its buffers hold the strings). 0 or negative errno. */
struct edr_sigma_view;
int edr_fan_exec_view(struct edr_sigma_view *v, const struct edr_fan_req *req, const char *sha256_hex);
/* The file_event view of an EDR_FAN_OPEN request: TargetFilename = path, Image/User/ProcessId of
 * the opening process. */
int edr_fan_open_view(struct edr_sigma_view *v, const struct edr_fan_req *req);
/* The views above read "<proc_root>/PID/..." (NULL = "/proc") and user names from passwd
 * (NULL = /etc/passwd; unknown uids are given as numbers, as the daemon does). For tests. */
int edr_fan_exec_view_at(struct edr_sigma_view *v, const struct edr_fan_req *req,
			 const char *sha256_hex, const char *proc_root, const char *passwd);
int edr_fan_open_view_at(struct edr_sigma_view *v, const struct edr_fan_req *req,
			 const char *proc_root, const char *passwd);

#endif /* EDR_RESPONSE_FANOTIFY_H */
