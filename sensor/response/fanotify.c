// SPDX-License-Identifier: GPL-2.0-only
/*
 * fanotify permission events with a hard deadline: see fanotify.h.
 *
 * Every request in flight lives in a slot. A slot has references: the queue
 * (until a worker pops it), the worker running decide, and the reader while
 * it calls on_timeout; the last one out closes the event descriptor. One
 * mutex guards slots, queue and counters; it is never held across decide or
 * on_timeout. The object itself is referenced by its owner and by each
 * worker, so a worker left in a decide by edr_fanotify__free() can still
 * return into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/enrich/hashcache.h"
#include "sensor/response/fanotify.h"

#define READ_BUF     (64u << 10)
#define FREE_WAIT_MS 1000   /* free's wait for a decide still running */

struct fan_slot {
	int used;
	int refs;
	int answered;
	int running;            /* a worker is in decide */
	int timed_out;
	uint64_t deadline_ns;
	struct edr_fan_req req;
	char path[PATH_MAX];
};

struct edr_fanotify {
	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	struct edr_fanotify_opts o;
	int fan_fd;
	int wake_fd;             /* eventfd: stop the reader */
	pid_t self;
	int stop;
	int refs;                /* owner + live workers */

	struct fan_slot *slots;  /* o.queue_len */
	unsigned *queue;         /* ring of slot indexes */
	unsigned qhead, qcount, nused;

	pthread_t reader;
	int reader_started;
	struct fan_worker {
		pthread_t t;
		int exited, detached;
	} *workers;
	unsigned nworkers;

	struct edr_fanotify_stats st;
};

static atomic_uint detached;

static void group_fd_track(int fd, int add);

unsigned edr_fanotify__detached_workers(void)
{
	return atomic_load(&detached);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void destroy(struct edr_fanotify *f)
{
	pthread_cond_destroy(&f->work_cond);
	pthread_mutex_destroy(&f->lock);
	free(f->slots);
	free(f->queue);
	free(f->workers);
	free(f);
}

/* Drops one reference to the object; the last frees it. Locked on entry,
 * unlocked on return. */
static void obj_put_unlock(struct edr_fanotify *f)
{
	int last = --f->refs == 0;

	pthread_mutex_unlock(&f->lock);
	if (last)
		destroy(f);
}

/* Writes the answer unless one was written (or the group is closing).
 * Locked. Returns 1 when this call answered. */
static int answer(struct edr_fanotify *f, struct fan_slot *s, uint32_t response)
{
	struct fanotify_response r = { .fd = s->req.fd, .response = response };

	if (s->answered)
		return 0;
	s->answered = 1;
	if (f->fan_fd < 0)
		return 1; /* closed by free: the kernel allowed it */
	if (write(f->fan_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		f->st.errors++;
	return 1;
}

/* Answers an event that gets no slot, and closes its descriptor. Locked. */
static void answer_now(struct edr_fanotify *f, int fd, uint32_t response)
{
	struct fanotify_response r = { .fd = fd, .response = response };

	if (write(f->fan_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		f->st.errors++;
	close(fd);
}

/* Locked. */
static void slot_put(struct edr_fanotify *f, struct fan_slot *s)
{
	if (--s->refs)
		return;
	close(s->req.fd);
	s->used = 0;
	f->nused--;
}

static int path_of(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	buf[n] = '\0';
	return 0;
}

/* Resolves what the request needs besides the event (path, identity), in
 * the reader: a readlink and an fstat, no file system access of the file's
 * contents. */
static void fill_req(struct fan_slot *s, const struct fanotify_event_metadata *m, uint64_t t)
{
	struct stat st;

	memset(&s->req, 0, sizeof(s->req));
	s->req.kind = m->mask & FAN_OPEN_EXEC_PERM ? EDR_FAN_EXEC : EDR_FAN_OPEN;
	s->req.pid = m->pid;
	s->req.fd = m->fd;
	s->req.t_ns = t;
	path_of(m->fd, s->path, sizeof(s->path));
	s->req.path = s->path;
	if (!fstat(m->fd, &st)) {
		s->req.dev = edr_kdev_from_dev(st.st_dev);
		s->req.ino = st.st_ino;
		s->req.ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ull + (uint64_t)st.st_ctim.tv_nsec;
	}
}

/* One permission event from the group. Locked. */
static void on_event(struct edr_fanotify *f, const struct fanotify_event_metadata *m, uint64_t t)
{
	struct fan_slot *s;
	unsigned i;

	f->st.requests++;
	if (m->pid == f->self) {
		/* Our own threads never wait for ourselves. */
		f->st.self++;
		answer_now(f, m->fd, FAN_ALLOW);
		return;
	}
	if (f->st.stuck_workers >= f->nworkers) {
		f->st.stuck++;
		answer_now(f, m->fd, FAN_ALLOW);
		return;
	}
	if (f->nused == f->o.queue_len) {
		f->st.queue_full++;
		answer_now(f, m->fd, FAN_ALLOW);
		return;
	}
	for (i = 0; f->slots[i].used; i++)
		;
	s = &f->slots[i];
	memset(s, 0, offsetof(struct fan_slot, path));
	s->used = 1;
	s->refs = 1; /* the queue's */
	s->deadline_ns = t + f->o.deadline_ms * 1000000ull;
	fill_req(s, m, t);
	f->nused++;
	f->queue[(f->qhead + f->qcount) % f->o.queue_len] = i;
	f->qcount++;
	pthread_cond_signal(&f->work_cond);
}

/* Reads what the group has. Returns 0, or -1 when the group failed. */
static int read_events(struct edr_fanotify *f, char *buf)
{
	const struct fanotify_event_metadata *m;
	uint64_t t;
	ssize_t n;

	n = read(f->fan_fd, buf, READ_BUF);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	t = now_ns();
	pthread_mutex_lock(&f->lock);
	for (m = (const void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0) {
			/* FAN_Q_OVERFLOW (no descriptor), or an ABI we do not know. */
			f->st.errors++;
			if (m->fd >= 0)
				close(m->fd);
			continue;
		}
		if (!(m->mask & (FAN_OPEN_EXEC_PERM | FAN_OPEN_PERM))) {
			close(m->fd);
			continue;
		}
		on_event(f, m, t);
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/*
 * Answers allow for every request past its deadline and calls on_timeout
 * for each. Returns the poll timeout (ms) until the next deadline, -1 when
 * none. Unlocked on entry and return.
 */
static int enforce_deadlines(struct edr_fanotify *f)
{
	uint64_t now = now_ns(), next = UINT64_MAX;
	struct fan_slot *s;
	unsigned i;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->o.queue_len; i++) {
		s = &f->slots[i];
		if (!s->used || s->answered)
			continue;
		if (s->deadline_ns > now) {
			if (s->deadline_ns < next)
				next = s->deadline_ns;
			continue;
		}
		answer(f, s, FAN_ALLOW);
		s->timed_out = 1;
		f->st.timeouts++;
		if (s->running)
			f->st.stuck_workers++;
		if (f->o.on_timeout) {
			s->refs++;
			pthread_mutex_unlock(&f->lock);
			f->o.on_timeout(&s->req, f->o.ctx);
			pthread_mutex_lock(&f->lock);
			slot_put(f, s);
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (next == UINT64_MAX)
		return -1;
	now = now_ns();
	return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static void *reader_main(void *arg)
{
	struct edr_fanotify *f = arg;
	struct pollfd p[2] = { { .fd = f->fan_fd, .events = POLLIN }, { .fd = f->wake_fd, .events = POLLIN } };
	char *buf = aligned_alloc(__alignof__(struct fanotify_event_metadata), READ_BUF);
	int timeout = -1;

	if (!buf)
		return NULL;
	for (;;) {
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if ((p[0].revents & POLLIN) && read_events(f, buf)) {
			pthread_mutex_lock(&f->lock);
			f->st.errors++;
			pthread_mutex_unlock(&f->lock);
			break;
		}
		timeout = enforce_deadlines(f);
	}
	free(buf);
	return NULL;
}

/* Takes a queued slot that still needs a decision. Locked; NULL when none. */
static struct fan_slot *pop(struct edr_fanotify *f)
{
	struct fan_slot *s;

	while (f->qcount) {
		s = &f->slots[f->queue[f->qhead]];
		f->qhead = (f->qhead + 1) % f->o.queue_len;
		f->qcount--;
		if (!s->answered)
			return s; /* the queue's reference is now the worker's */
		slot_put(f, s);   /* timed out while queued */
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	struct edr_fanotify *f = arg;
	enum edr_fan_verdict v;
	struct fan_slot *s;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		s = pop(f);
		if (!s) {
			if (f->stop)
				break;
			pthread_cond_wait(&f->work_cond, &f->lock);
			continue;
		}
		s->running = 1;
		pthread_mutex_unlock(&f->lock);
		v = f->o.decide ? f->o.decide(&s->req, f->o.ctx) : EDR_FAN_ALLOW;
		pthread_mutex_lock(&f->lock);
		s->running = 0;
		if (answer(f, s, v == EDR_FAN_DENY ? FAN_DENY : FAN_ALLOW)) {
			if (v == EDR_FAN_DENY)
				f->st.denied++;
			else
				f->st.allowed++;
		} else if (s->timed_out && f->st.stuck_workers) {
			f->st.stuck_workers--;
		}
		slot_put(f, s);
	}
	for (unsigned i = 0; i < f->nworkers; i++) {
		if (pthread_equal(f->workers[i].t, pthread_self())) {
			f->workers[i].exited = 1;
			if (f->workers[i].detached)
				atomic_fetch_sub(&detached, 1);
		}
	}
	obj_put_unlock(f);
	return NULL;
}

static struct edr_fanotify *fail(struct edr_fanotify *f, int e, char *err, size_t errlen,
				 const char *what)
{
	snprintf(err, errlen, "fanotify: %s: %s", what, strerror(e));
	edr_fanotify__free(f);
	errno = e;
	return NULL;
}

static int open_group(struct edr_fanotify *f, char *err, size_t errlen)
{
	unsigned flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK;
	unsigned ev = O_RDONLY | O_LARGEFILE | O_CLOEXEC;

	/* O_NOATIME keeps hashing from touching atimes (refused by old kernels). */
	f->fan_fd = fanotify_init(flags, ev | O_NOATIME);
	if (f->fan_fd < 0 && errno == EINVAL)
		f->fan_fd = fanotify_init(flags, ev);
	if (f->fan_fd >= 0) {
		group_fd_track(f->fan_fd, 1);
		return 0;
	}
	if (errno == EPERM)
		snprintf(err, errlen, "fanotify_init: permission events need CAP_SYS_ADMIN");
	else if (errno == EINVAL || errno == ENOSYS)
		snprintf(err, errlen, "fanotify_init: this kernel has no permission events "
			 "(CONFIG_FANOTIFY_ACCESS_PERMISSIONS): %s", strerror(errno));
	else
		snprintf(err, errlen, "fanotify_init: %s", strerror(errno));
	return -errno;
}

struct edr_fanotify *edr_fanotify__new(const struct edr_fanotify_opts *o, char *err, size_t errlen)
{
	struct edr_fanotify *f;
	int e;

	if (!o || o->workers > EDR_FAN_MAX_WORKERS || o->queue_len > EDR_FAN_MAX_QUEUE) {
		snprintf(err, errlen, "fanotify: workers over %d or queue over %d", EDR_FAN_MAX_WORKERS,
			 EDR_FAN_MAX_QUEUE);
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return fail(NULL, ENOMEM, err, errlen, "allocation");
	f->o = *o;
	f->o.deadline_ms = o->deadline_ms ? o->deadline_ms : EDR_FAN_DEFAULT_DEADLINE_MS;
	f->o.workers = o->workers ? o->workers : EDR_FAN_DEFAULT_WORKERS;
	f->o.queue_len = o->queue_len ? o->queue_len : EDR_FAN_DEFAULT_QUEUE;
	f->fan_fd = f->wake_fd = -1;
	f->self = getpid();
	f->refs = 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work_cond, NULL);
	f->slots = calloc(f->o.queue_len, sizeof(*f->slots));
	f->queue = calloc(f->o.queue_len, sizeof(*f->queue));
	f->workers = calloc(f->o.workers, sizeof(*f->workers));
	if (!f->slots || !f->queue || !f->workers)
		return fail(f, ENOMEM, err, errlen, "allocation");
	if (open_group(f, err, errlen) < 0) {
		e = errno;
		edr_fanotify__free(f);
		errno = e;
		return NULL;
	}
	f->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->wake_fd < 0)
		return fail(f, errno, err, errlen, "eventfd");
	pthread_mutex_lock(&f->lock);
	for (e = 0; !e && f->nworkers < f->o.workers; ) {
		e = pthread_create(&f->workers[f->nworkers].t, NULL, worker_main, f);
		if (!e) {
			f->refs++;
			f->nworkers++;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (e)
		return fail(f, e, err, errlen, "worker thread");
	e = pthread_create(&f->reader, NULL, reader_main, f);
	if (e)
		return fail(f, e, err, errlen, "reader thread");
	f->reader_started = 1;
	return f;
}

static void join_workers(struct edr_fanotify *f)
{
	uint64_t wait_ms = f->o.deadline_ms < FREE_WAIT_MS ? f->o.deadline_ms : FREE_WAIT_MS;
	struct timespec dl;
	unsigned i;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(wait_ms / 1000);
	dl.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	for (i = 0; i < f->nworkers; i++) {
		if (!pthread_timedjoin_np(f->workers[i].t, NULL, &dl))
			continue;
		/* Stuck in decide: it frees the object when it returns. */
		pthread_mutex_lock(&f->lock);
		if (!f->workers[i].exited) {
			f->workers[i].detached = 1;
			atomic_fetch_add(&detached, 1);
		}
		pthread_detach(f->workers[i].t);
		pthread_mutex_unlock(&f->lock);
	}
}

/*
 * A child forked while a group is open inherits its descriptor and keeps it
 * until its exec completes, that is, after the exec's own permission event
 * is answered: if we died or freed the group meanwhile, the group would
 * outlive us in that child, and its exec (and anything else held) would
 * wait for an answer nobody gives. Children of fork() close every group
 * first thing (async-signal-safe: close only).
 */
#define MAX_GROUPS 16
static atomic_int group_fds[MAX_GROUPS] = { [0 ... MAX_GROUPS - 1] = -1 };
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_child(void)
{
	int i, fd;

	for (i = 0; i < MAX_GROUPS; i++)
		if ((fd = atomic_load(&group_fds[i])) >= 0)
			close(fd);
}

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

static void group_fd_track(int fd, int add)
{
	int i, want = add ? -1 : fd;

	pthread_once(&atfork_once, atfork_register);
	for (i = 0; i < MAX_GROUPS; i++) {
		int cur = want;

		if (atomic_compare_exchange_strong(&group_fds[i], &cur, add ? fd : -1))
			return;
	}
}

/* Removes every mark, then answers allow to everything read or still
 * queued in the group, so nothing waits on it even if another process
 * holds its descriptor. Locked. */
static void release_all(struct edr_fanotify *f)
{
	const struct fanotify_event_metadata *m;
	char *buf = aligned_alloc(__alignof__(struct fanotify_event_metadata), READ_BUF);
	unsigned i;
	ssize_t n;

	fanotify_mark(f->fan_fd, FAN_MARK_FLUSH | FAN_MARK_FILESYSTEM, 0, AT_FDCWD, "/");
	fanotify_mark(f->fan_fd, FAN_MARK_FLUSH | FAN_MARK_MOUNT, 0, AT_FDCWD, "/");
	fanotify_mark(f->fan_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, "/");
	for (i = 0; i < f->o.queue_len; i++)
		if (f->slots[i].used)
			answer(f, &f->slots[i], FAN_ALLOW);
	while (buf && (n = read(f->fan_fd, buf, READ_BUF)) > 0) {
		for (m = (const void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n))
			if (m->fd >= 0)
				answer_now(f, m->fd, FAN_ALLOW);
	}
	free(buf);
}

void edr_fanotify__free(struct edr_fanotify *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	if (f->reader_started) {
		if (write(f->wake_fd, &one, sizeof(one)) < 0) {
			/* An eventfd write only fails on overflow: it is already readable. */
		}
		pthread_join(f->reader, NULL);
	}
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	if (f->fan_fd >= 0) {
		if (f->slots)
			release_all(f);
		group_fd_track(f->fan_fd, 0);
		close(f->fan_fd);
	}
	/* A late worker sees its request answered and writes nothing to a
	 * descriptor number that may be reused by now. */
	f->fan_fd = -1;
	while (pop(f))
		; /* every slot is answered: pop drops the queue's references */
	pthread_cond_broadcast(&f->work_cond);
	pthread_mutex_unlock(&f->lock);
	join_workers(f);
	if (f->wake_fd >= 0)
		close(f->wake_fd);
	f->wake_fd = -1;
	pthread_mutex_lock(&f->lock);
	obj_put_unlock(f);
}

/* Filesystems no binary runs from. */
static int pseudo_fs(const char *type)
{
	static const char *const pseudo[] = {
		"proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "debugfs", "tracefs",
		"securityfs", "bpf", "pstore", "configfs", "fusectl", "binfmt_misc", "efivarfs",
		"nsfs", "rpc_pipefs", "autofs", "selinuxfs", "hugetlbfs", "devtmpfs",
	};
	size_t i;

	for (i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (!strcmp(type, pseudo[i]))
			return 1;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. In place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* One mountinfo line: its device, mount point, whether it is noexec, and its type. */
static int parse_mount(char *line, unsigned *maj, unsigned *min, char **mnt, int *noexec,
		       char **type)
{
	char *opts, *sep, *save = NULL, *tok;
	int i;

	if (sscanf(line, "%*u %*u %u:%u", maj, min) != 2)
		return -1;
	tok = strtok_r(line, " ", &save);
	for (i = 0; tok && i < 4; i++)
		tok = strtok_r(NULL, " ", &save);
	*mnt = tok;                      /* field 5 */
	opts = strtok_r(NULL, " ", &save);
	sep = strstr(save ? save : "", "- ");
	if (!*mnt || !opts || !sep)
		return -1;
	*type = strtok_r(sep + 2, " ", &save);
	if (!*type)
		return -1;
	*noexec = 0;
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, "noexec"))
			*noexec = 1;
	unescape(*mnt);
	return 0;
}

int edr_fanotify__watch_exec_from(struct edr_fanotify *f, const char *mountinfo, char *err,
				  size_t errlen)
{
	unsigned maj, min, (*seen)[2] = NULL, nseen = 0, failed = 0;
	char *line = NULL, *mnt, *type, first_err[256] = "";
	size_t cap = 0;
	int noexec, e = 0;
	FILE *in;

	in = fopen(mountinfo, "re");
	if (!in) {
		e = -errno;
		snprintf(err, errlen, "fanotify: %s: %s", mountinfo, strerror(-e));
		return e;
	}
	while (getline(&line, &cap, in) > 0) {
		unsigned i;

		line[strcspn(line, "\n")] = '\0';
		if (parse_mount(line, &maj, &min, &mnt, &noexec, &type) || noexec || pseudo_fs(type))
			continue;
		for (i = 0; i < nseen && (seen[i][0] != maj || seen[i][1] != min); i++)
			;
		if (i < nseen)
			continue;
		if (fanotify_mark(f->fan_fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM,
				  AT_FDCWD, mnt)) {
			if (!failed++)
				snprintf(first_err, sizeof(first_err), "%s (%s): %s", mnt, type,
					 strerror(errno));
			e = -errno;
			continue;
		}
		void *n = realloc(seen, (nseen + 1) * sizeof(*seen));

		if (!n) {
			e = -ENOMEM;
			break;
		}
		seen = n;
		seen[nseen][0] = maj;
		seen[nseen][1] = min;
		nseen++;
	}
	free(line);
	fclose(in);
	free(seen);
	pthread_mutex_lock(&f->lock);
	f->st.filesystems += nseen;
	pthread_mutex_unlock(&f->lock);
	if (nseen && e != -ENOMEM) {
		if (failed)
			snprintf(err, errlen, "fanotify: %u filesystem(s) refused the exec mark, first %s",
				 failed, first_err);
		return 0;
	}
	if (!e)
		e = -ENOENT;
	snprintf(err, errlen, "fanotify: no filesystem could be watched for exec in %s%s%s",
		 mountinfo, failed ? ", first " : "", first_err);
	return e;
}

int edr_fanotify__watch_exec(struct edr_fanotify *f, char *err, size_t errlen)
{
	return edr_fanotify__watch_exec_from(f, "/proc/self/mountinfo", err, errlen);
}

int edr_fanotify__protect(struct edr_fanotify *f, const char *path, char *err, size_t errlen)
{
	int e;

	if (fanotify_mark(f->fan_fd, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, path)) {
		e = -errno;
		snprintf(err, errlen, "fanotify: protect %s: %s", path, strerror(-e));
		return e;
	}
	pthread_mutex_lock(&f->lock);
	f->st.protected++;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

void edr_fanotify__unprotect_all(struct edr_fanotify *f)
{
	/* Without FAN_MARK_MOUNT/FILESYSTEM, a flush removes the inode marks only. */
	if (fanotify_mark(f->fan_fd, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL) == 0) {
		pthread_mutex_lock(&f->lock);
		f->st.protected = 0;
		pthread_mutex_unlock(&f->lock);
	}
}

void edr_fanotify__stats(struct edr_fanotify *f, struct edr_fanotify_stats *st)
{
	pthread_mutex_lock(&f->lock);
	*st = f->st;
	pthread_mutex_unlock(&f->lock);
}
