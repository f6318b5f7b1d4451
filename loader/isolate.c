// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host isolation (loader/enforce.h): the isolate feature's cgroup_skb
 * programs, loaded with the sensor, are attached to the cgroup2 root only
 * here, through links pinned under EDR_BPFFS_ISOLATE_DIR beside their
 * allow-list map:
 *
 *   <dir>/allow    the LPM trie the programs read (struct edr_iso_key)
 *   <dir>/ingress  link of cgroup_skb__isolate_in
 *   <dir>/egress   link of cgroup_skb__isolate_out
 *
 * The pins hold the programs and the map, so isolation outlives the sensor
 * and is visible to the next one; removing the files (any process, no
 * programs needed) detaches everything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edr_event.h"
#include "loader/enforce.h"
#include "loader/loader.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

static const char *dir_or_default(const char *pin_dir)
{
	return pin_dir ? pin_dir : EDR_BPFFS_ISOLATE_DIR;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int iso_key(struct edr_iso_key *k, const struct edr_isolate_allow *a)
{
	memset(k, 0, sizeof(*k));
	k->port = htons(a->port);
	if (a->family == 4) {
		if (a->prefix > 32)
			return -EINVAL;
		k->addr[10] = k->addr[11] = 0xff;
		memcpy(k->addr + 12, a->addr, 4);
		k->prefixlen = 16 + 96 + a->prefix;
	} else if (a->family == 6) {
		if (a->prefix > 128)
			return -EINVAL;
		memcpy(k->addr, a->addr, 16);
		k->prefixlen = 16 + a->prefix;
	} else {
		return -EINVAL;
	}
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = k->prefixlen - 16 > i * 8 ? k->prefixlen - 16 - i * 8 : 0;

		if (bits < 8)
			k->addr[i] &= (uint8_t)(0xff00u >> bits);
	}
	return 0;
}

static void iso_allow_of(struct edr_isolate_allow *a, const struct edr_iso_key *k)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned prefix = k->prefixlen - 16;

	memset(a, 0, sizeof(*a));
	a->port = ntohs(k->port);
	if (prefix >= 96 && !memcmp(k->addr, mapped, 12)) {
		a->family = 4;
		a->prefix = prefix - 96;
		memcpy(a->addr, k->addr + 12, 4);
	} else {
		a->family = 6;
		a->prefix = prefix;
		memcpy(a->addr, k->addr, 16);
	}
}

/* Makes the allow map hold exactly a[0..n): the new entries first, then
 * the ones no longer listed, so an entry kept is never missing. */
static int allow_set(int fd, const struct edr_isolate_allow *a, size_t n, char *err, size_t errlen)
{
	struct edr_iso_key want[EDR_ISOLATE_MAX_ALLOW], k, next, stale[EDR_ISOLATE_MAX_ALLOW * 2];
	uint32_t one = 1;
	size_t i, nstale = 0;
	void *prev = NULL;

	for (i = 0; i < n; i++) {
		if (iso_key(&want[i], &a[i])) {
			snprintf(err, errlen, "isolate: allow entry %zu: family %u prefix /%u is not valid", i,
				 a[i].family, a[i].prefix);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &want[i], &one, BPF_ANY)) {
			int e = -errno;

			snprintf(err, errlen, "isolate: allow entry %zu: %s", i, strerror(-e));
			return e;
		}
	while (!bpf_map_get_next_key(fd, prev, &next) && nstale < sizeof(stale) / sizeof(stale[0])) {
		int keep = 0;

		for (i = 0; i < n && !keep; i++)
			keep = !memcmp(&want[i], &next, sizeof(next));
		if (!keep)
			stale[nstale++] = next;
		k = next;
		prev = &k;
	}
	for (i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	return 0;
}

/* bpffs at /sys/fs/bpf (mounted when it is not) and the pin directory. */
static int pin_dir_make(const char *dir, char *err, size_t errlen)
{
	char path[256], *s;
	struct statfs sf;

	if (!strncmp(dir, "/sys/fs/bpf/", 12) && (statfs("/sys/fs/bpf", &sf) || sf.f_type != BPF_FS_MAGIC_) &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		int e = -errno;

		snprintf(err, errlen, "isolate: cannot mount bpffs on /sys/fs/bpf: %s", strerror(-e));
		return e;
	}
	snprintf(path, sizeof(path), "%s", dir);
	for (s = path + 1; ; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = 0;
		if (mkdir(path, 0700) && errno != EEXIST) {
			int e = -errno;

			snprintf(err, errlen, "isolate: mkdir %s: %s", path, strerror(-e));
			return e;
		}
		if (!c)
			break;
		*s = c;
	}
	return 0;
}

static void unpin_all(const char *dir)
{
	static const char *const names[] = { "ingress", "egress", "allow" };
	char path[256];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pin_path(path, sizeof(path), dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Attaches prog to the cgroup at cg for attach and pins the link. */
static int attach_pin(int prog_fd, int cg, enum bpf_attach_type attach, const char *path,
		      char *err, size_t errlen)
{
	int fd = prog_fd < 0 ? -1 : bpf_link_create(prog_fd, cg, attach, NULL), e = 0;

	if (fd < 0) {
		e = prog_fd < 0 ? -ENOENT : -errno;
		snprintf(err, errlen, "isolate: attach %s: %s", path, strerror(-e));
		return e;
	}
	if (bpf_obj_pin(fd, path)) {
		e = -errno;
		snprintf(err, errlen, "isolate: pin %s: %s", path, strerror(-e));
	}
	/* Closing drops our reference: the pin (or nothing) holds the link now. */
	close(fd);
	return e;
}

int edr_isolate__on_at(struct edr_loader *l, const char *cgroup, const char *pin_dir,
		       const struct edr_isolate_allow *a, size_t n, char *err, size_t errlen)
{
	const char *dir = dir_or_default(pin_dir);
	const struct edr_feature_status *st;
	int map_fd = edr_loader__map_fd(l, "isolate_allow");
	char path[256];
	int fd, cg, e, f;

	if (n > EDR_ISOLATE_MAX_ALLOW) {
		snprintf(err, errlen, "isolate: %zu allow entries, at most %d", n, EDR_ISOLATE_MAX_ALLOW);
		return -E2BIG;
	}
	pin_path(path, sizeof(path), dir, "allow");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		/* Already isolated (by this sensor or an earlier one): new list. */
		e = allow_set(fd, a, n, err, errlen);
		close(fd);
		return e;
	}
	f = edr_feature_by_name("isolate");
	st = edr_loader__status(l);
	if (f < 0 || st[f].chosen < 0) {
		snprintf(err, errlen, "isolate: not available on this kernel: %s",
			 f >= 0 && st[f].npaths ? st[f].why[0] : "no isolate feature");
		return -EOPNOTSUPP;
	}
	if ((e = allow_set(map_fd, a, n, err, errlen)) ||
	    (e = pin_dir_make(dir, err, errlen)))
		return e;
	if (!cgroup)
		cgroup = edr_cgroup2_root();
	cg = cgroup ? open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (cg < 0) {
		e = cgroup ? -errno : -ENOENT;
		snprintf(err, errlen, "isolate: cgroup2 %s: %s", cgroup ? cgroup : "root", strerror(-e));
		return e;
	}
	if (bpf_obj_pin(map_fd, path)) {
		e = -errno;
		snprintf(err, errlen, "isolate: pin %s: %s", path, strerror(-e));
		goto fail;
	}
	pin_path(path, sizeof(path), dir, "egress");
	if ((e = attach_pin(edr_loader__prog_fd(l, "cgroup_skb__isolate_out"), cg, BPF_CGROUP_INET_EGRESS, path, err, errlen)))
		goto fail;
	pin_path(path, sizeof(path), dir, "ingress");
	if ((e = attach_pin(edr_loader__prog_fd(l, "cgroup_skb__isolate_in"), cg, BPF_CGROUP_INET_INGRESS, path, err, errlen)))
		goto fail;
	close(cg);
	return 0;
fail:
	close(cg);
	unpin_all(dir);
	return e;
}

int edr_isolate__on(struct edr_loader *l, const struct edr_isolate_allow *a, size_t n, char *err, size_t errlen)
{
	return edr_isolate__on_at(l, NULL, NULL, a, n, err, errlen);
}

int edr_isolate__off_at(const char *pin_dir, char *err, size_t errlen)
{
	static const char *const names[] = { "ingress", "egress", "allow" };
	const char *dir = dir_or_default(pin_dir);
	char path[256];
	int found = 0, e = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		pin_path(path, sizeof(path), dir, names[i]);
		if (!unlink(path))
			found = 1;
		else if (errno != ENOENT && !e) {
			e = -errno;
			snprintf(err, errlen, "release: unlink %s: %s", path, strerror(-e));
		}
	}
	rmdir(dir);
	if (e)
		return e;
	if (!found) {
		snprintf(err, errlen, "release: not isolated (nothing pinned under %s)", dir);
		return -ENOENT;
	}
	return 0;
}

int edr_isolate__off(char *err, size_t errlen)
{
	return edr_isolate__off_at(NULL, err, errlen);
}

int edr_isolate__status_at(const char *pin_dir, struct edr_isolate_status *st)
{
	const char *dir = dir_or_default(pin_dir);
	struct edr_iso_key k, next;
	char path[256];
	void *prev = NULL;
	int fd;

	memset(st, 0, sizeof(*st));
	pin_path(path, sizeof(path), dir, "ingress");
	st->isolated = !access(path, F_OK);
	pin_path(path, sizeof(path), dir, "egress");
	st->isolated |= !access(path, F_OK);
	if (!st->isolated)
		return 0;
	pin_path(path, sizeof(path), dir, "allow");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	while (st->nallow < EDR_ISOLATE_MAX_ALLOW && !bpf_map_get_next_key(fd, prev, &next)) {
		iso_allow_of(&st->allow[st->nallow++], &next);
		k = next;
		prev = &k;
	}
	close(fd);
	return 0;
}

int edr_isolate__status(struct edr_isolate_status *st)
{
	return edr_isolate__status_at(NULL, st);
}
