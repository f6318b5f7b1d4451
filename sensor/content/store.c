// SPDX-License-Identifier: GPL-2.0-only
/* The content store: what the manager keeps in its directory. active.bundle
 * and previous.bundle (the last-known-good content), the probation record
 * (state) and the digests never to load automatically again (bad). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "rules/filetype.h"
#include "sensor/content/internal.h"

#define STATE_MAX	4096

/* ---- the probation record and the bad list ---- */

static int write_text(struct edr_content *mgr, const char *name, const char *text)
{
	struct edr_bundle_err err;
	char path[640];
	int rc;

	path_in(mgr, name, path, sizeof(path));
	rc = edr_bundle_write_atomic(path, (const uint8_t *)text, strlen(text), 0600, &err);
	if (rc)
		logf_(mgr, LOG_ERR, "%s", err.msg);
	return rc;
}

int edr_store_save_state_raw(struct edr_content *mgr, const char *digest, uint64_t version,
			     uint64_t probation_until, int clean)
{
	char buf[STATE_MAX];

	snprintf(buf, sizeof(buf),
		 "# edr-sensor content state; written by the sensor, do not edit\n"
		 "active_digest=%s\nactive_version=%" PRIu64 "\nprobation_until=%" PRIu64
		 "\nclean=%d\nfail_digest=%s\nfail_count=%u\nhighest_version=%" PRIu64
		 "\nlkg_digest=%s\n",
		 digest, version, probation_until, clean, mgr->fail_digest, mgr->fail_count,
		 mgr->highest_version, mgr->lkg_recorded);
	return write_text(mgr, "state", buf);
}

int edr_store_save_state(struct edr_content *mgr, int clean)
{
	const struct edr_content_set *a = mgr->active;

	return edr_store_save_state_raw(mgr, a && mgr->active_on_disk ? a->digest : "", a ? a->version : 0,
					mgr->probation_until_ms, clean);
}

void edr_store_load_state(struct edr_content *mgr, struct store_state *st)
{
	struct edr_bundle_err err;
	char path[640], *line, *save = NULL;
	uint8_t *buf;
	size_t len;

	memset(st, 0, sizeof(*st));
	st->clean = 1;
	path_in(mgr, "state", path, sizeof(path));
	if (edr_bundle_read_file(path, STATE_MAX, &buf, &len, &err)) {
		if (access(path, F_OK) == 0)
			logf_(mgr, LOG_WARNING, "%s, ignoring", err.msg);
		return;
	}
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (line[0] == '#' || !eq)
			continue;
		*eq++ = 0;
		if (!strcmp(line, "active_digest"))
			snprintf(st->active_digest, sizeof(st->active_digest), "%.64s", eq);
		else if (!strcmp(line, "probation_until"))
			st->probation_until = strtoull(eq, NULL, 10);
		else if (!strcmp(line, "clean"))
			st->clean = atoi(eq);
		else if (!strcmp(line, "fail_digest"))
			snprintf(st->fail_digest, sizeof(st->fail_digest), "%.64s", eq);
		else if (!strcmp(line, "fail_count"))
			st->fail_count = (unsigned)strtoul(eq, NULL, 10);
		else if (!strcmp(line, "highest_version"))
			st->highest_version = strtoull(eq, NULL, 10);
		else if (!strcmp(line, "lkg_digest"))
			snprintf(st->lkg_digest, sizeof(st->lkg_digest), "%.64s", eq);
	}
	free(buf);
}

int edr_store_is_bad(const struct edr_content *mgr, const char *digest)
{
	size_t i;

	for (i = 0; i < mgr->nbad; i++)
		if (!strcmp(mgr->bad[i], digest))
			return 1;
	return 0;
}

void edr_store_load_bad(struct edr_content *mgr)
{
	struct edr_bundle_err err;
	char path[640], *line, *save = NULL;
	uint8_t *buf;
	size_t len;

	path_in(mgr, "bad", path, sizeof(path));
	if (edr_bundle_read_file(path, 1 << 20, &buf, &len, &err))
		return;
	for (line = strtok_r((char *)buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **v;

		if (strlen(line) != 64)
			continue;
		v = realloc(mgr->bad, (mgr->nbad + 1) * sizeof(*v));
		if (!v)
			break;
		mgr->bad = v;
		mgr->bad[mgr->nbad] = strdup(line);
		if (mgr->bad[mgr->nbad])
			mgr->nbad++;
	}
	free(buf);
}

void edr_store_mark_bad(struct edr_content *mgr, const char *digest)
{
	size_t i, len = 0;
	char *text, **v;

	if (edr_store_is_bad(mgr, digest))
		return;
	v = realloc(mgr->bad, (mgr->nbad + 1) * sizeof(*v));
	if (!v)
		return;
	mgr->bad = v;
	mgr->bad[mgr->nbad] = strdup(digest);
	if (!mgr->bad[mgr->nbad])
		return;
	mgr->nbad++;
	text = malloc(mgr->nbad * 65 + 1);
	if (!text)
		return;
	for (i = 0; i < mgr->nbad; i++)
		len += (size_t)sprintf(text + len, "%s\n", mgr->bad[i]);
	write_text(mgr, "bad", text);
	free(text);
}


/* ---- active.bundle, previous.bundle (last-known-good), the directory ---- */

int edr_store_stage(struct edr_content *mgr, const uint8_t *raw, size_t rawlen, char *why,
		    size_t whylen)
{
	struct edr_bundle_err err = { "" };
	char next[640];
	int rc;

	path_in(mgr, "active.bundle.new", next, sizeof(next));
	rc = edr_bundle_write_atomic(next, raw, rawlen, 0600, &err);
	if (rc)
		snprintf(why, whylen, "%s", err.msg);
	return rc;
}

int edr_store_commit(struct edr_content *mgr, int prev_good, char *why, size_t whylen)
{
	char act[640], prev[640], next[640];
	int dfd, rc = 0;

	path_in(mgr, "active.bundle", act, sizeof(act));
	path_in(mgr, "previous.bundle", prev, sizeof(prev));
	path_in(mgr, "active.bundle.new", next, sizeof(next));
	/* prev_good: the outgoing content becomes last-known-good (see
	 * activate()); otherwise the older last-known-good stays. */
	if (prev_good && mgr->active_on_disk && rename(act, prev) < 0 && errno != ENOENT) {
		snprintf(why, whylen, "%s: %s", prev, strerror(errno));
		return -errno;
	}
	if (rename(next, act) < 0) {
		snprintf(why, whylen, "%s: %s", act, strerror(errno));
		return -errno;
	}
	dfd = open(mgr->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		snprintf(why, whylen, "%s: fsync: %s", mgr->dir, strerror(errno));
		rc = -errno;
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}


/* Remembers what previous.bundle holds (for `rules` and rollback). */
void edr_store_refresh_lkg(struct edr_content *mgr)
{
	struct edr_bundle_err err;
	struct edr_bundle *b;
	char path[640];

	path_in(mgr, "previous.bundle", path, sizeof(path));
	mgr->have_lkg = 0;
	if (access(path, F_OK))
		return;
	b = edr_bundle__open(path, NULL, 0, EDR_BUNDLE_NO_VERIFY, &err);
	if (!b)
		return;
	mgr->have_lkg = 1;
	mgr->lkg_version = b->version;
	edr_content_digest(b, mgr->lkg_digest);
	edr_bundle__free(b);
}


int edr_store_mkdir_p(const char *path, mode_t mode)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}


/* One component of a path the sensor writes under: a directory (symbolic
 * links only where root owns them), owned by root or the sensor's uid, not
 * writable by group or others unless sticky (like /tmp: nobody can rename
 * what another owns there); the last one a directory proper, never
 * writable by group or others. */
static int check_component(const char *p, int last, char *why, size_t whylen)
{
	struct stat l, st;

	if (lstat(p, &l) < 0 || stat(p, &st) < 0) {
		snprintf(why, whylen, "%s: %s", p, strerror(errno));
		return -errno;
	}
	if (S_ISLNK(l.st_mode) && last) {
		snprintf(why, whylen, "%s: a symbolic link, not a directory", p);
		return -ELOOP;
	}
	if (S_ISLNK(l.st_mode) && l.st_uid != 0) {
		snprintf(why, whylen, "%s: a symbolic link owned by uid %u, not root", p,
			 (unsigned)l.st_uid);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s: %s, not a directory", p, edr_file_type(st.st_mode));
		return -ENOTDIR;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s: owned by uid %u, not root", p, (unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st.st_mode & S_ISVTX))) {
		snprintf(why, whylen, "%s: writable by %s (mode %04o)", p,
			 st.st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int edr_store_check_dir(const char *path, char *why, size_t whylen)
{
	char buf[512], *p;
	int rc;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf)) {
		snprintf(why, whylen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	for (p = buf + 1; *p; p++) {
		if (*p != '/' || p[1] == 0)
			continue;
		*p = 0;
		rc = check_component(buf, 0, why, whylen);
		*p = '/';
		if (rc)
			return rc;
	}
	while (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/')
		buf[strlen(buf) - 1] = 0;
	return check_component(buf, 1, why, whylen);
}

int edr_store_lock(struct edr_content *mgr, char *why, size_t whylen)
{
	char path[640], pid[32] = "";
	ssize_t n;
	int fd;

	path_in(mgr, "lock", path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		if (e == EWOULDBLOCK)
			snprintf(why, whylen, "%s is in use by another edr-sensor%s%s%s", mgr->dir,
				 pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		else
			snprintf(why, whylen, "%s: flock: %s", path, strerror(e));
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* The pid is only for the message above; the lock is what counts. */
	}
	mgr->lock_fd = fd;
	return 0;
}
