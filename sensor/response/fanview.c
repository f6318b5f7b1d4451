// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Sigma views of a fanotify request (see fanotify.h), built from /proc
 * before the exec or open takes effect.
 *
 * At FAN_OPEN_EXEC_PERM time the process is inside execve() and may hold its
 * cred_guard_mutex: of its own /proc entries only status, cgroup and cwd are
 * read (none takes that lock); exe and cmdline are read from its parent,
 * which is not exec'ing (or if it is, is not ours to wait for: a read that
 * fails leaves the field unset).
 *
 * User names come from the passwd file, parsed once and again whenever the
 * file changes (stat), shared by the worker threads under a mutex; an uid
 * it does not list is given as a number, as the daemon does for a name not
 * known yet. NSS (LDAP, sssd) is not asked: it may block past the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensor/response/fanotify.h"
#include "sensor/sigma_map.h"

#define STATUS_MAX  8192
#define PASSWD_MAX  (64u << 20)

static struct {
	pthread_mutex_t lock;
	char path[256];
	struct stat st;
	struct edr_idtab *tab;
} pw = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Reads up to cap - 1 bytes of a file, NUL-terminated. Bytes read, or -errno. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	size_t off = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	while (off < cap - 1 && (n = read(fd, buf + off, cap - 1 - off)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* (Re)parses the passwd file when it is not the one parsed last. Locked. */
static void passwd_refresh(const char *path)
{
	struct edr_idtab *t;
	struct stat st;
	uint64_t errors = 0;
	char *buf;
	ssize_t n;

	if (stat(path, &st))
		return; /* keep what we had */
	if (pw.tab && !strcmp(pw.path, path) && same_file(&st, &pw.st))
		return;
	if (st.st_size < 0 || (uint64_t)st.st_size >= PASSWD_MAX)
		return;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return;
	n = slurp(path, buf, (size_t)st.st_size + 1);
	t = n >= 0 ? edr_idtab__parse(buf, (size_t)n, EDR_ID_USER, 1u << 20, &errors) : NULL;
	free(buf);
	if (!t)
		return;
	edr_idtab__free(pw.tab);
	pw.tab = t;
	pw.st = st;
	snprintf(pw.path, sizeof(pw.path), "%s", path);
}

/* The user field: the name when passwd lists uid, else the number. */
static void user_field(struct edr_field_value *f, const char *passwd, uint32_t uid, char *name,
		       char *num)
{
	const char *n;

	pthread_mutex_lock(&pw.lock);
	passwd_refresh(passwd ? passwd : "/etc/passwd");
	n = pw.tab ? edr_idtab__find(pw.tab, uid) : NULL;
	if (n)
		snprintf(name, EDR_IDCACHE_NAME_MAX, "%s", n);
	pthread_mutex_unlock(&pw.lock);
	if (n)
		edr_sigma_cstr(f, name);
	else
		edr_sigma_int(f, num, uid);
}

/* Real uid and parent pid from /proc/PID/status. 0 or -errno. */
static int proc_status(const char *proc, pid_t pid, uint32_t *uid, pid_t *ppid)
{
	char path[128], buf[STATUS_MAX], *l;
	unsigned long u = 0, p = 0;
	int got = 0;

	snprintf(path, sizeof(path), "%s/%d/status", proc, (int)pid);
	ssize_t n = slurp(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, "Uid:", 4) && sscanf(l + 4, "%lu", &u) == 1)
			got |= 1;
		else if (!strncmp(l, "PPid:", 5) && sscanf(l + 5, "%lu", &p) == 1)
			got |= 2;
	}
	if (got != 3)
		return -EINVAL;
	*uid = (uint32_t)u;
	*ppid = (pid_t)p;
	return 0;
}

static int proc_link(const char *proc, pid_t pid, const char *what, char *out, size_t cap)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/%s", proc, (int)pid, what);
	n = readlink(path, out, cap - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

/* CommandLine-style text of /proc/PID/cmdline into out (cap bytes). */
static void proc_cmdline(const char *proc, pid_t pid, char *out, size_t cap,
			 struct edr_field_value *f)
{
	char path[128], raw[EDR_ARGV_MAX + 1];
	ssize_t n;
	size_t len;

	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, (int)pid);
	n = slurp(path, raw, sizeof(raw));
	/* The kernel's text ends with a NUL: no trailing space. */
	while (n > 0 && !raw[n - 1])
		n--;
	if (n <= 0)
		return;
	len = edr_cmdline(raw, (uint32_t)n, out, cap);
	edr_sigma_str(f, out, len);
}

static void container_id(struct edr_sigma_view *v, const char *proc, pid_t pid,
			 struct edr_field_value *f)
{
	struct edr_cgroup_info ci;
	char path[128], *buf;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, (int)pid);
	buf = malloc(EDR_PROC_CGROUP_MAX);
	if (!buf)
		return;
	n = slurp(path, buf, EDR_PROC_CGROUP_MAX);
	if (n > 0 && !edr_proc_cgroup_parse(buf, (size_t)n, &ci, NULL, 0) && ci.id[0]) {
		snprintf(v->cid, sizeof(v->cid), "%s", ci.id);
		edr_sigma_cstr(f, v->cid);
	}
	free(buf);
}

int edr_fan_exec_view_at(struct edr_sigma_view *v, const struct edr_fan_req *req,
			 const char *sha256_hex, const char *proc_root, const char *passwd)
{
	struct edr_field_value *f = edr_sigma_begin(v, EDR_CAT_PROCESS_CREATION,
						    EDR_NFIELDS(PROCESS_CREATION));
	const char *proc = proc_root ? proc_root : "/proc";
	uint32_t uid, puid;
	pid_t ppid, pppid;
	int err;

	edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_IMAGE], req->path ? req->path : "");
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_PROCESS_ID], v->num[2], req->pid);
	if (sha256_hex) {
		int n = snprintf(v->hashes, sizeof(v->hashes), "SHA256=%s", sha256_hex);

		edr_sigma_str(&f[EDR_F_PROCESS_CREATION_HASHES], v->hashes, (size_t)n);
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_SHA256], sha256_hex);
	}
	err = proc_status(proc, req->pid, &uid, &ppid);
	if (err)
		return err; /* gone: nothing more is known */
	user_field(&f[EDR_F_PROCESS_CREATION_USER], passwd, uid, v->names[0], v->num[0]);
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_USER_ID], v->num[4], uid);
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID], v->num[3], ppid);
	if (!proc_link(proc, req->pid, "cwd", v->paths[1], sizeof(v->paths[1])))
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY], v->paths[1]);
	container_id(v, proc, req->pid, &f[EDR_F_PROCESS_CREATION_CONTAINER_ID]);
	if (ppid <= 0)
		return 0;
	if (!proc_link(proc, ppid, "exe", v->paths[0], sizeof(v->paths[0])))
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_PARENT_IMAGE], v->paths[0]);
	proc_cmdline(proc, ppid, v->pcmd, sizeof(v->pcmd),
		     &f[EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE]);
	if (!proc_status(proc, ppid, &puid, &pppid))
		user_field(&f[EDR_F_PROCESS_CREATION_PARENT_USER], passwd, puid, v->names[1], v->num[5]);
	return 0;
}

int edr_fan_exec_view(struct edr_sigma_view *v, const struct edr_fan_req *req, const char *sha256_hex)
{
	return edr_fan_exec_view_at(v, req, sha256_hex, NULL, NULL);
}

int edr_fan_open_view_at(struct edr_sigma_view *v, const struct edr_fan_req *req,
			 const char *proc_root, const char *passwd)
{
	struct edr_field_value *f = edr_sigma_begin(v, EDR_CAT_FILE_EVENT, EDR_NFIELDS(FILE_EVENT));
	const char *proc = proc_root ? proc_root : "/proc";
	uint32_t uid;
	pid_t ppid;
	int err;

	edr_sigma_cstr(&f[EDR_F_FILE_EVENT_TARGET_FILENAME], req->path ? req->path : "");
	edr_sigma_int(&f[EDR_F_FILE_EVENT_PROCESS_ID], v->num[1], req->pid);
	err = proc_status(proc, req->pid, &uid, &ppid);
	if (err)
		return err;
	user_field(&f[EDR_F_FILE_EVENT_USER], passwd, uid, v->names[0], v->num[0]);
	if (!proc_link(proc, req->pid, "exe", v->paths[0], sizeof(v->paths[0])))
		edr_sigma_cstr(&f[EDR_F_FILE_EVENT_IMAGE], v->paths[0]);
	proc_cmdline(proc, req->pid, v->cmd, sizeof(v->cmd), &f[EDR_F_FILE_EVENT_COMMAND_LINE]);
	return 0;
}

int edr_fan_open_view(struct edr_sigma_view *v, const struct edr_fan_req *req)
{
	return edr_fan_open_view_at(v, req, NULL, NULL);
}
