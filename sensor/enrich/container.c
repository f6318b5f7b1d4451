// SPDX-License-Identifier: GPL-2.0-only
/*
 * Container id and runtime from cgroup paths, and a cache by cgroup v2 id.
 * See container.h for the path shapes recognised.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "sensor/enrich/container.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
/* include/linux/exportfs.h: a kernfs node id as a file handle. */
#define FILEID_KERNFS 0xfe

static const char *const runtime_names[_EDR_CRT_MAX] = {
	[EDR_CRT_NONE] = "",
	[EDR_CRT_DOCKER] = "docker",
	[EDR_CRT_CONTAINERD] = "containerd",
	[EDR_CRT_CRIO] = "cri-o",
	[EDR_CRT_PODMAN] = "podman",
	[EDR_CRT_LXC] = "lxc",
	[EDR_CRT_CRI] = "cri",
};

const char *edr_container_runtime_str(enum edr_container_runtime rt)
{
	if ((unsigned int)rt >= _EDR_CRT_MAX)
		return "";
	return runtime_names[rt];
}

/* A path component: not NUL-terminated. */
struct comp {
	const char *p;
	size_t n;
};

static int comp_eq(struct comp c, const char *s)
{
	return c.n == strlen(s) && !memcmp(c.p, s, c.n);
}

static int comp_prefix(struct comp c, const char *s)
{
	size_t n = strlen(s);

	return c.n >= n && !memcmp(c.p, s, n);
}

static int comp_suffix(struct comp c, const char *s)
{
	size_t n = strlen(s);

	return c.n >= n && !memcmp(c.p + c.n - n, s, n);
}

static int is_hex64(const char *p, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* "<prefix><64hex><suffix>": returns the id's start or NULL. */
static const char *wrapped_id(struct comp c, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	if (c.n != pl + 64 + sl || !comp_prefix(c, prefix) || !comp_suffix(c, suffix))
		return NULL;
	return is_hex64(c.p + pl, 64) ? c.p + pl : NULL;
}

/* LXC container names: what lxc-create accepts, bounded to the id field. */
static int lxc_name_ok(const char *p, size_t n)
{
	size_t i;

	if (!n || n > EDR_CONTAINER_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_' || p[i] == '.'))
			return 0;
	return 1;
}

/* A pod UID, with '-' or (systemd slice names) '_' between groups. */
static int set_pod_uid(struct edr_cgroup_info *out, const char *p, size_t n)
{
	char uid[37];
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-' && ch != '_')
				return 0;
			ch = '-';
		} else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
			return 0;
		}
		uid[i] = ch;
	}
	uid[36] = '\0';
	memcpy(out->pod_uid, uid, sizeof(uid));
	return 1;
}

static void set_id(struct edr_cgroup_info *out, enum edr_container_runtime rt, const char *p,
		   size_t n)
{
	out->runtime = rt;
	memcpy(out->id, p, n);
	out->id[n] = '\0';
}

static void one_comp(struct edr_cgroup_info *out, struct comp c, struct comp prev, int *kube)
{
	const char *id;

	if ((comp_suffix(c, ".service") || comp_suffix(c, ".scope")) && c.n <= EDR_CGROUP_UNIT_MAX) {
		memcpy(out->unit, c.p, c.n);
		out->unit[c.n] = '\0';
	}
	if (comp_prefix(c, "kubepods"))
		*kube = 1;
	if (*kube) {
		/* cgroupfs: pod<uid>; systemd: kubepods-<qos>-pod<uid_>.slice */
		if (comp_prefix(c, "pod"))
			set_pod_uid(out, c.p + 3, c.n - 3);
		else if (comp_prefix(c, "kubepods") && comp_suffix(c, ".slice") && c.n >= 54 &&
			 !memcmp(c.p + c.n - 6 - 36 - 4, "-pod", 4))
			set_pod_uid(out, c.p + c.n - 6 - 36, 36);
	}

	if ((id = wrapped_id(c, "docker-", ".scope")))
		set_id(out, EDR_CRT_DOCKER, id, 64);
	else if ((id = wrapped_id(c, "cri-containerd-", ".scope")) ||
		 (id = wrapped_id(c, "nerdctl-", ".scope")))
		set_id(out, EDR_CRT_CONTAINERD, id, 64);
	else if ((id = wrapped_id(c, "crio-", ".scope")))
		set_id(out, EDR_CRT_CRIO, id, 64);
	else if ((id = wrapped_id(c, "libpod-", ".scope")) || (id = wrapped_id(c, "libpod-", "")))
		set_id(out, EDR_CRT_PODMAN, id, 64);
	else if (comp_prefix(c, "lxc.payload.") && lxc_name_ok(c.p + 12, c.n - 12))
		set_id(out, EDR_CRT_LXC, c.p + 12, c.n - 12);
	else if (comp_eq(prev, "lxc") && lxc_name_ok(c.p, c.n))
		set_id(out, EDR_CRT_LXC, c.p, c.n);
	else if (is_hex64(c.p, c.n)) {
		/* A bare id: the runtime is told by the parent directory. */
		if (comp_eq(prev, "docker"))
			set_id(out, EDR_CRT_DOCKER, c.p, c.n);
		else if (comp_eq(prev, "libpod_parent"))
			set_id(out, EDR_CRT_PODMAN, c.p, c.n);
		else if (*kube && comp_prefix(prev, "pod"))
			set_id(out, EDR_CRT_CRI, c.p, c.n);
	}
}

int edr_cgroup_path_parse(const char *path, size_t len, struct edr_cgroup_info *out)
{
	struct comp c, prev = { "", 0 };
	size_t i = 0, start;
	int kube = 0;

	memset(out, 0, sizeof(*out));
	if (!path || !len || len > EDR_CGROUP_PATH_MAX || path[0] != '/' || memchr(path, '\0', len))
		return -EINVAL;
	while (i < len) {
		while (i < len && path[i] == '/')
			i++;
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (i == start)
			break;
		c = (struct comp){ path + start, i - start };
		one_comp(out, c, prev, &kube);
		prev = c;
	}
	return 0;
}

/* As edr_proc_cgroup_parse; *used_v1 tells whether a v1 line changed the
 * answer the v2 line gave. */
static int proc_cgroup_parse(const char *text, size_t len, struct edr_cgroup_info *out,
			     char *v2_path, size_t v2_size, int *used_v1)
{
	struct edr_cgroup_info v2, v1c, sd, first, cur;
	int have_v2 = 0, have_v1c = 0, have_sd = 0, have_first = 0;
	const char *line = text, *end = text + len, *nl, *c1, *c2, *p;
	size_t plen;

	*used_v1 = 0;
	if (v2_path && v2_size)
		v2_path[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (!text || len > EDR_PROC_CGROUP_MAX)
		return -EINVAL;
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		c1 = memchr(line, ':', (size_t)(nl - line));
		if (!c1 || c1 == line || c1 - line > 10)
			continue;
		for (p = line; p < c1 && *p >= '0' && *p <= '9'; p++)
			;
		if (p != c1)
			continue;
		c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1));
		if (!c2)
			continue;
		p = c2 + 1;
		plen = (size_t)(nl - p);
		if (edr_cgroup_path_parse(p, plen, &cur))
			continue;
		if (!have_first) {
			first = cur;
			have_first = 1;
		}
		if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
			if (!have_v2) {
				v2 = cur;
				have_v2 = 1;
				if (v2_path && v2_size > plen) {
					memcpy(v2_path, p, plen);
					v2_path[plen] = '\0';
				}
			}
			continue;
		}
		if (cur.runtime != EDR_CRT_NONE && !have_v1c) {
			v1c = cur;
			have_v1c = 1;
		}
		if (!have_sd && (size_t)(c2 - c1 - 1) == strlen("name=systemd") &&
		    !memcmp(c1 + 1, "name=systemd", c2 - c1 - 1)) {
			sd = cur;
			have_sd = 1;
		}
	}
	if (!have_first)
		return -EINVAL;
	if (have_v2) {
		*out = v2;
		if (out->runtime == EDR_CRT_NONE && have_v1c) {
			out->runtime = v1c.runtime;
			memcpy(out->id, v1c.id, sizeof(out->id));
			memcpy(out->pod_uid, v1c.pod_uid, sizeof(out->pod_uid));
			*used_v1 = 1;
		}
		if (!out->unit[0] && have_sd && sd.unit[0]) {
			memcpy(out->unit, sd.unit, sizeof(out->unit));
			*used_v1 = 1;
		}
	} else {
		*out = have_v1c ? v1c : have_sd ? sd : first;
		if (!out->unit[0] && have_sd)
			memcpy(out->unit, sd.unit, sizeof(out->unit));
		*used_v1 = 1;
	}
	return 0;
}

int edr_proc_cgroup_parse(const char *text, size_t len, struct edr_cgroup_info *out,
			  char *v2_path, size_t v2_path_size)
{
	int used_v1;

	return proc_cgroup_parse(text, len, out, v2_path, v2_path_size, &used_v1);
}

/* ---- cache ---- */

struct cc_slot {
	uint64_t id;
	int used;
	struct edr_cgroup_info info;
};

struct edr_cgroup_cache {
	pthread_mutex_t lock;
	struct cc_slot *slots;
	size_t mask;
	char *proc_root;
	char *cg2_root;     /* canonical mount point, NULL = none */
	int cg2_fd;
	int pure_v2;        /* no v1 hierarchy: the v2 path tells everything */
	struct edr_cgroup_cache_stats st;
};

static int is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
}

/* Reads at most max bytes of a small file; returns the length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t max)
{
	size_t off = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (off < max) {
		n = read(fd, buf + off, max - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!n)
			break;
		off += (size_t)n;
	}
	close(fd);
	return (ssize_t)off;
}

/* A host where our own /proc/self/cgroup has only the "0::" line. */
static int detect_pure_v2(const char *proc_root)
{
	char path[PATH_MAX], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/self/cgroup", proc_root);
	n = read_small(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return !strncmp(buf, "0::", 3) && !strchr(buf + 3, ':');
}

struct edr_cgroup_cache *edr_cgroup_cache__new(const struct edr_cgroup_cache_opts *opts)
{
	struct edr_cgroup_cache_opts o = opts ? *opts : (struct edr_cgroup_cache_opts){ 0 };
	struct edr_cgroup_cache *cc;
	const char *root = o.cgroup2_root;
	size_t n;

	if (o.max_entries > EDR_CGROUP_CACHE_MAX_ENTRIES) {
		errno = EINVAL;
		return NULL;
	}
	cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	cc->cg2_fd = -1;
	for (n = 16; n < (o.max_entries ? o.max_entries : 1024); n <<= 1)
		;
	cc->mask = n - 1;
	cc->slots = calloc(n, sizeof(*cc->slots));
	cc->proc_root = strdup(o.proc_root ? o.proc_root : "/proc");
	if (!cc->slots || !cc->proc_root)
		goto nomem;
	if (!root)
		root = is_cgroup2("/sys/fs/cgroup") ? "/sys/fs/cgroup" :
		       is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "";
	if (root[0]) {
		cc->cg2_root = realpath(root, NULL);
		if (cc->cg2_root)
			cc->cg2_fd = open(cc->cg2_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	cc->pure_v2 = detect_pure_v2(cc->proc_root);
	pthread_mutex_init(&cc->lock, NULL);
	return cc;
nomem:
	free(cc->slots);
	free(cc->proc_root);
	free(cc);
	errno = ENOMEM;
	return NULL;
}

void edr_cgroup_cache__free(struct edr_cgroup_cache *cc)
{
	if (!cc)
		return;
	if (cc->cg2_fd >= 0)
		close(cc->cg2_fd);
	pthread_mutex_destroy(&cc->lock);
	free(cc->cg2_root);
	free(cc->proc_root);
	free(cc->slots);
	free(cc);
}

void edr_cgroup_cache__flush(struct edr_cgroup_cache *cc)
{
	pthread_mutex_lock(&cc->lock);
	memset(cc->slots, 0, (cc->mask + 1) * sizeof(*cc->slots));
	pthread_mutex_unlock(&cc->lock);
}

void edr_cgroup_cache__stats(struct edr_cgroup_cache *cc, struct edr_cgroup_cache_stats *out)
{
	pthread_mutex_lock(&cc->lock);
	*out = cc->st;
	pthread_mutex_unlock(&cc->lock);
}

static struct cc_slot *slot_of(struct edr_cgroup_cache *cc, uint64_t id)
{
	return &cc->slots[(size_t)((id * 0x9e3779b97f4a7c15ull) >> 40) & cc->mask];
}

/* The cgroup v2 path of an id, relative to the mount ("/" for the root). */
static int path_by_handle(struct edr_cgroup_cache *cc, uint64_t id, char *out, size_t size)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char link[PATH_MAX], fdpath[64];
	size_t rl = strlen(cc->cg2_root);
	ssize_t n;
	int fd;

	h.fh.handle_bytes = sizeof(uint64_t);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cc->cg2_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	n = readlink(fdpath, link, sizeof(link) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	/* Under our mount point unless the cgroup lives in another mount namespace. */
	if (strncmp(link, cc->cg2_root, rl) || (link[rl] && link[rl] != '/'))
		return -EXDEV;
	if (!link[rl])
		snprintf(out, size, "/");
	else if ((size_t)snprintf(out, size, "%s", link + rl) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* The v2 cgroup at path is the one with this id. */
static int id_matches(struct edr_cgroup_cache *cc, const char *v2_path, uint64_t id)
{
	char full[PATH_MAX];
	struct stat st;

	if (!cc->cg2_root || !v2_path[0] ||
	    (size_t)snprintf(full, sizeof(full), "%s%s", cc->cg2_root, v2_path) >= sizeof(full))
		return 0;
	return stat(full, &st) == 0 && S_ISDIR(st.st_mode) && (uint64_t)st.st_ino == id;
}

static void store(struct edr_cgroup_cache *cc, uint64_t id, const struct edr_cgroup_info *info)
{
	struct cc_slot *s;

	pthread_mutex_lock(&cc->lock);
	s = slot_of(cc, id);
	s->id = id;
	s->used = 1;
	s->info = *info;
	pthread_mutex_unlock(&cc->lock);
}

static void count(struct edr_cgroup_cache *cc, uint64_t *ctr)
{
	pthread_mutex_lock(&cc->lock);
	(*ctr)++;
	pthread_mutex_unlock(&cc->lock);
}

int edr_cgroup_cache__lookup(struct edr_cgroup_cache *cc, uint64_t cgroup_id, uint32_t tgid,
			     struct edr_cgroup_info *out)
{
	char *buf = NULL, path[EDR_CGROUP_PATH_MAX + 1], file[PATH_MAX];
	struct edr_cgroup_info by_handle;
	struct cc_slot *s;
	int err, used_v1, have_handle = 0;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&cc->lock);
	s = slot_of(cc, cgroup_id);
	if (cgroup_id && s->used && s->id == cgroup_id) {
		*out = s->info;
		cc->st.hits++;
		pthread_mutex_unlock(&cc->lock);
		return 0;
	}
	cc->st.misses++;
	pthread_mutex_unlock(&cc->lock);

	if (cgroup_id && cc->cg2_fd >= 0 &&
	    !path_by_handle(cc, cgroup_id, path, sizeof(path)) &&
	    !edr_cgroup_path_parse(path, strlen(path), &by_handle)) {
		count(cc, &cc->st.by_handle);
		have_handle = 1;
		if (by_handle.runtime != EDR_CRT_NONE || cc->pure_v2) {
			store(cc, cgroup_id, &by_handle);
			*out = by_handle;
			return 0;
		}
	}

	err = -ENOENT;
	if (tgid) {
		buf = malloc(EDR_PROC_CGROUP_MAX);
		if (!buf)
			return -ENOMEM;
		snprintf(file, sizeof(file), "%s/%u/cgroup", cc->proc_root, tgid);
		n = read_small(file, buf, EDR_PROC_CGROUP_MAX);
		err = n < 0 ? (int)n : proc_cgroup_parse(buf, (size_t)n, out, path, sizeof(path),
							&used_v1);
		free(buf);
		if (!err) {
			count(cc, &cc->st.by_proc);
			/* The process may have moved since the event: cache only a
			 * path that is provably the event's cgroup. With v1
			 * hierarchies, processes of one v2 cgroup may sit in
			 * different v1 (container) cgroups: the id decides nothing. */
			if (cgroup_id && cc->pure_v2 && !used_v1 && id_matches(cc, path, cgroup_id))
				store(cc, cgroup_id, out);
			else
				count(cc, &cc->st.uncached);
			return 0;
		}
	}
	if (have_handle) {
		/* A v1 host without the process's v1 lines: the v2 answer. */
		*out = by_handle;
		count(cc, &cc->st.uncached);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	count(cc, &cc->st.failed);
	return err;
}
