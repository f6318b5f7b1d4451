// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quarantine store: see quarantine.h.
 *
 * put works on an open descriptor of the file (O_NOFOLLOW, checked regular)
 * and on its parent directory, and checks that the name it moves or unlinks
 * still is that inode, so a file swapped in meanwhile is neither taken nor
 * deleted. Within one filesystem the move is a rename; across filesystems
 * the content is copied into the store (fsync'ed) and the original unlinked,
 * and if that unlink fails the copy is removed: the file is then in exactly
 * one place, never two, never none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/enrich/hashcache.h"
#include "sensor/response/quarantine.h"

#define COPY_CHUNK (256u << 10)

/* err = the message and ": strerror(e)" (errf) or the message alone (errm);
 * both return -e. */
static int errv(char *err, size_t errlen, int e, int show, const char *fmt, va_list ap)
{
	int n = vsnprintf(err, errlen, fmt, ap);

	if (show && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(e));
	return -e;
}

__attribute__((format(printf, 4, 5)))
static int errf(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	e = errv(err, errlen, e, 1, fmt, ap);
	va_end(ap);
	return e;
}

__attribute__((format(printf, 4, 5)))
static int errm(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	e = errv(err, errlen, e, 0, fmt, ap);
	va_end(ap);
	return e;
}

static uint64_t ns_of(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static int mkdirs(const char *dir, mode_t last)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, last) && errno != EEXIST)
		return -errno;
	return 0;
}

int edr_quarantine__open(const char *dir, int *dirfd, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	*dirfd = -1;
	e = mkdirs(dir, 0700);
	if (e)
		return errf(err, errlen, -e, "quarantine: cannot create %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errf(err, errlen, errno, "quarantine: %s", dir);
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return errf(err, errlen, e, "quarantine: %s", dir);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		close(fd);
		return errm(err, errlen, EPERM, "quarantine: %s is owned by uid %u, not root", dir,
			    st.st_uid);
	}
	if (st.st_mode & 022) {
		close(fd);
		return errm(err, errlen, EPERM, "quarantine: %s is writable by group or others (mode %04o)",
			    dir, st.st_mode & 07777);
	}
	*dirfd = fd;
	return 0;
}

static int new_id(char id[17])
{
	unsigned char r[8];
	int i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -errno;
	for (i = 0; i < 8; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* Writes the item's meta file (meta.tmp, fsync, rename). */
static int write_meta(int itemfd, const struct edr_quarantine_item *it)
{
	char *text = edr_quarantine_meta_format(it);
	size_t len, off = 0;
	ssize_t n;
	int fd, e = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len] = '\n';
	fd = openat(itemfd, "meta.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	while (off < len + 1 && !e) {
		n = write(fd, text + off, len + 1 - off);
		if (n < 0 && errno != EINTR)
			e = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!e && fsync(fd))
		e = -errno;
	close(fd);
	free(text);
	if (!e && renameat(itemfd, "meta.tmp", itemfd, "meta"))
		e = -errno;
	return e;
}

static int read_meta(int dirfd, const char *id, struct edr_quarantine_item *it)
{
	char path[32], *buf;
	ssize_t n;
	size_t off = 0;
	int fd, e;

	snprintf(path, sizeof(path), "%s/meta", id);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	buf = malloc(EDR_QUARANTINE_META_MAX);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < EDR_QUARANTINE_META_MAX && (n = read(fd, buf + off, EDR_QUARANTINE_META_MAX - off)) > 0)
		off += (size_t)n;
	close(fd);
	e = edr_quarantine_meta_parse(buf, off, it);
	free(buf);
	if (!e && strcmp(it->id, id))
		e = -EINVAL;
	return e;
}

/* Copies in to a new file name in dir (mode 0000), fsync'ed. */
static int copy_into(int in, int dir, const char *name, uint64_t size)
{
	char *buf = malloc(COPY_CHUNK);
	uint64_t off = 0;
	ssize_t n, w;
	int out, e = 0;

	if (!buf)
		return -ENOMEM;
	out = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0);
	if (out < 0) {
		free(buf);
		return -errno;
	}
	while (!e && (n = pread(in, buf, COPY_CHUNK, (off_t)off)) != 0) {
		if (n < 0) {
			e = errno == EINTR ? 0 : -errno;
			continue;
		}
		for (ssize_t done = 0; !e && done < n; done += w) {
			w = write(out, buf + done, (size_t)(n - done));
			if (w < 0)
				e = -errno;
		}
		off += (uint64_t)n;
	}
	if (!e && off != size)
		e = -ESTALE; /* changed while copied */
	if (!e && fsync(out))
		e = -errno;
	close(out);
	free(buf);
	if (e)
		unlinkat(dir, name, 0);
	return e;
}

static int same_inode(int dir, const char *name, const struct stat *want)
{
	struct stat st;

	return !fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) && st.st_dev == want->st_dev &&
	       st.st_ino == want->st_ino;
}

/* Moves the file (fd, named base in parent) to item/file. */
static int move_in(int fd, const struct stat *st, int parent, const char *base, int itemfd)
{
	int e;

	if (!same_inode(parent, base, st))
		return -ESTALE;
	if (!renameat(parent, base, itemfd, "file")) {
		if (same_inode(itemfd, "file", st))
			return 0;
		/* Swapped between the check and the rename: put it back. */
		renameat2(itemfd, "file", parent, base, RENAME_NOREPLACE);
		return -ESTALE;
	}
	if (errno != EXDEV)
		return -errno;
	e = copy_into(fd, itemfd, "file", (uint64_t)st->st_size);
	if (e)
		return e;
	if (!same_inode(parent, base, st))
		e = -ESTALE;
	else if (unlinkat(parent, base, 0))
		e = -errno;
	if (e) {
		unlinkat(itemfd, "file", 0);
		return e;
	}
	fsync(parent);
	return 0;
}

static int open_target(const char *path, int *fd, struct stat *st, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0) {
		if (errno == ELOOP)
			return errm(err, errlen, ELOOP, "quarantine: %s is a symbolic link, refusing", path);
		return errf(err, errlen, errno, "quarantine: %s", path);
	}
	if (fstat(*fd, st))
		return errf(err, errlen, errno, "quarantine: %s", path);
	if (S_ISDIR(st->st_mode))
		return errm(err, errlen, EISDIR, "quarantine: %s is a directory, refusing", path);
	if (!S_ISREG(st->st_mode))
		return errm(err, errlen, EINVAL, "quarantine: %s is not a regular file, refusing", path);
	return 0;
}

static int split_path(const char *path, char *dir, char *base, size_t cap)
{
	char a[4096], b[4096];

	if (snprintf(a, sizeof(a), "%s", path) >= (int)sizeof(a) || path[0] != '/')
		return -EINVAL;
	snprintf(b, sizeof(b), "%s", path);
	snprintf(dir, cap, "%s", dirname(a));
	snprintf(base, cap, "%s", basename(b));
	return 0;
}

int edr_quarantine__put(int dirfd, const char *path, const char *rule_id, const char *rule_name,
			uint64_t max_size, struct edr_quarantine_item *it, char *err, size_t errlen)
{
	char dir[4096], base[4096];
	int fd = -1, parent = -1, itemfd = -1, e;
	struct timespec now;
	struct stat st;

	memset(it, 0, sizeof(*it));
	if (split_path(path, dir, base, sizeof(dir)))
		return errm(err, errlen, EINVAL, "quarantine: %s: not an absolute path", path);
	e = open_target(path, &fd, &st, err, errlen);
	if (e)
		goto out;
	if ((uint64_t)st.st_size > (max_size ? max_size : EDR_QUARANTINE_DEFAULT_MAX)) {
		e = errm(err, errlen, EFBIG, "quarantine: %s is over the size limit (%llu bytes)", path,
			 (unsigned long long)st.st_size);
		goto out;
	}
	parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0) {
		e = errf(err, errlen, errno, "quarantine: %s", dir);
		goto out;
	}
	snprintf(it->path, sizeof(it->path), "%s", path);
	it->mode = st.st_mode & 07777;
	it->uid = st.st_uid;
	it->gid = st.st_gid;
	it->size = (uint64_t)st.st_size;
	it->mtime = ns_of(&st.st_mtim);
	clock_gettime(CLOCK_REALTIME, &now);
	it->qtime = ns_of(&now);
	snprintf(it->rule_id, sizeof(it->rule_id), "%s", rule_id ? rule_id : "");
	snprintf(it->rule_name, sizeof(it->rule_name), "%s", rule_name ? rule_name : "");
	if (edr_sha256_fd(fd, it->size, it->sha256) < 0) {
		e = errf(err, errlen, EIO, "quarantine: cannot read %s", path);
		goto out;
	}
	if ((e = new_id(it->id)) || mkdirat(dirfd, it->id, 0700)) {
		e = errf(err, errlen, e ? -e : errno, "quarantine: new item for %s", path);
		goto out;
	}
	itemfd = openat(dirfd, it->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (itemfd < 0 || (e = write_meta(itemfd, it))) {
		e = errf(err, errlen, itemfd < 0 ? errno : -e, "quarantine: item %s", it->id);
		goto undo;
	}
	/* Unreadable and unrunnable through any other link from now on. */
	if (fchmod(fd, 0)) {
		e = errf(err, errlen, errno, "quarantine: chmod %s", path);
		goto undo;
	}
	e = move_in(fd, &st, parent, base, itemfd);
	if (e) {
		fchmod(fd, it->mode);
		errf(err, errlen, -e, "quarantine: moving %s into the store", path);
		goto undo;
	}
	fsync(itemfd);
	goto out;
undo:
	if (itemfd >= 0) {
		unlinkat(itemfd, "meta", 0);
		unlinkat(itemfd, "meta.tmp", 0);
	}
	unlinkat(dirfd, it->id, AT_REMOVEDIR);
out:
	if (itemfd >= 0)
		close(itemfd);
	if (parent >= 0)
		close(parent);
	if (fd >= 0)
		close(fd);
	return e;
}

static int by_time(const void *a, const void *b)
{
	const struct edr_quarantine_item *x = a, *y = b;

	if (x->qtime != y->qtime)
		return x->qtime < y->qtime ? -1 : 1;
	return strcmp(x->id, y->id);
}

int edr_quarantine__list(int dirfd, struct edr_quarantine_item **items, size_t *n)
{
	struct edr_quarantine_item *v = NULL, *nv;
	size_t cap = 0, count = 0;
	struct dirent *de;
	DIR *d;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*items = NULL;
	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (strlen(de->d_name) != 16)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		if (!read_meta(dirfd, de->d_name, &v[count]))
			count++;
	}
	closedir(d);
	if (count)
		qsort(v, count, sizeof(*v), by_time);
	*items = v;
	*n = count;
	return 0;
}

/* The store's file back under a temporary name beside the original. */
static int copy_out(int itemfd, int parent, const char *tmp, const struct edr_quarantine_item *it)
{
	int in = openat(itemfd, "file", O_RDONLY | O_NOFOLLOW | O_CLOEXEC), e;

	if (in < 0)
		return -errno;
	e = copy_into(in, parent, tmp, it->size);
	close(in);
	return e;
}

/* Owner, mode and mtime of the item as they were. */
static int set_attrs(int dir, const char *name, const struct edr_quarantine_item *it)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT },
				  { .tv_sec = (time_t)(it->mtime / 1000000000ull),
				    .tv_nsec = (long)(it->mtime % 1000000000ull) } };

	/* chown first: it clears set-id bits that the chmod then restores. */
	if (fchownat(dir, name, it->uid, it->gid, AT_SYMLINK_NOFOLLOW) ||
	    fchmodat(dir, name, it->mode, 0) || utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW))
		return -errno;
	return 0;
}

static int valid_id(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return i == 16;
}

int edr_quarantine__restore(int dirfd, const char *id, int force, struct edr_quarantine_item *it,
			    char *err, size_t errlen)
{
	char dir[4096], base[4096], tmp[64], idbuf[17];
	int parent = -1, itemfd = -1, e;
	struct stat st;

	/* id may point into *it. */
	snprintf(idbuf, sizeof(idbuf), "%s", id);
	if (strlen(id) != 16)
		idbuf[0] = '\0';
	id = idbuf;
	memset(it, 0, sizeof(*it));
	if (!valid_id(id))
		return errm(err, errlen, EINVAL, "quarantine: '%s' is not an item id", idbuf);
	e = read_meta(dirfd, id, it);
	if (e)
		return errf(err, errlen, -e, "quarantine: item %s", id);
	split_path(it->path, dir, base, sizeof(dir));
	parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	itemfd = openat(dirfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (parent < 0 || itemfd < 0) {
		e = errf(err, errlen, errno, "quarantine: restore %s to %s", id, parent < 0 ? dir : id);
		goto out;
	}
	if (!force && !fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW)) {
		e = errm(err, errlen, EEXIST, "quarantine: %s exists, not overwritten (force to replace)",
			 it->path);
		goto out;
	}
	/* Attributes first, while the file is in the store: it is never in
	 * place with the wrong owner or mode. */
	if ((e = set_attrs(itemfd, "file", it)))
		goto fail;
	if (!renameat2(itemfd, "file", parent, base, force ? 0 : RENAME_NOREPLACE))
		goto done;
	if (errno != EXDEV) {
		e = -errno;
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), ".edr-restore-%s", id);
	if ((e = copy_out(itemfd, parent, tmp, it)) || (e = set_attrs(parent, tmp, it)))
		goto fail_tmp;
	if (renameat2(parent, tmp, parent, base, force ? 0 : RENAME_NOREPLACE)) {
		e = -errno;
		goto fail_tmp;
	}
	unlinkat(itemfd, "file", 0);
done:
	fsync(parent);
	unlinkat(itemfd, "meta", 0);
	unlinkat(dirfd, id, AT_REMOVEDIR);
	e = 0;
	goto out;
fail_tmp:
	unlinkat(parent, tmp, 0);
fail:
	fchmodat(itemfd, "file", 0, 0);
	errf(err, errlen, -e, "quarantine: restore %s to %s", id, it->path);
out:
	if (parent >= 0)
		close(parent);
	if (itemfd >= 0)
		close(itemfd);
	return e;
}
