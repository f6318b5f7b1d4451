// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel enforcement (loader/enforce.h): policy entries into the maps of
 * bpf/enforce.bpf.h with a generation flip, the kill switch, and host
 * isolation pinned under bpffs.
 *
 * One writer is assumed (the sensor's response path); the BPF programs
 * read concurrently. enforce_cfg is written whole, but only one of its
 * words changes per write that matters to a reader (gen at the flip, off
 * for the kill switch), and the counts of a generation are raised before
 * it is put in force and lowered after it is left.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "edr_event.h"
#include "loader/enforce.h"
#include "loader/loader.h"

_Static_assert(EDR_CFG_EXEC_OFF == EDR_EXEC_MODE_OFF && EDR_CFG_EXEC_LSM == EDR_EXEC_MODE_LSM &&
	       EDR_CFG_EXEC_KILL == EDR_EXEC_MODE_KILL, "exec modes agree with bpf/edr_event.h");

static int cfg_read(const struct edr_loader *l, struct edr_enforce_cfg *c)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(edr_loader__map_fd(l, "enforce_cfg"), &zero, c))
		return -errno;
	return 0;
}

static int cfg_write(struct edr_loader *l, const struct edr_enforce_cfg *c)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(edr_loader__map_fd(l, "enforce_cfg"), &zero, c, BPF_ANY))
		return -errno;
	return 0;
}

/* The path the loader chose for a feature, or NULL. */
static const char *chosen(const struct edr_loader *l, const char *feature)
{
	const struct edr_feature_status *st = edr_loader__status(l);
	int f = edr_feature_by_name(feature);

	if (f < 0 || st[f].chosen < 0)
		return NULL;
	return st[f].paths[st[f].chosen];
}

void edr_enforce__caps(const struct edr_loader *l, struct edr_enforce_caps *c)
{
	const char *p;

	memset(c, 0, sizeof(*c));
	p = chosen(l, "exec_enforce");
	c->exec_lsm = p && !strcmp(p, "lsm");
	c->exec_kill = p && !strncmp(p, "kill", 4);
	p = chosen(l, "net_enforce");
	c->net_lsm = p && !strcmp(p, "lsm");
	c->net_cgroup = p && !strcmp(p, "cgroup");
	p = chosen(l, "file_enforce");
	c->file_lsm = p && !strcmp(p, "lsm");
	c->isolate = chosen(l, "isolate") != NULL;
}

void edr_enforce__init(struct edr_loader *l)
{
	struct edr_enforce_caps caps;
	struct edr_enforce_cfg c = {};

	edr_enforce__caps(l, &caps);
	c.exec_mode = caps.exec_lsm ? EDR_CFG_EXEC_LSM : caps.exec_kill ? EDR_CFG_EXEC_KILL : EDR_CFG_EXEC_OFF;
	/* A fresh map already holds zeros: a failure here leaves the mode off. */
	cfg_write(l, &c);
}

int edr_enforce__enabled(const struct edr_loader *l)
{
	struct edr_enforce_cfg c;
	int e = cfg_read(l, &c);

	return e ? e : !c.off;
}

int edr_enforce__exec_mode(const struct edr_loader *l)
{
	struct edr_enforce_cfg c;
	int e = cfg_read(l, &c);

	return e ? e : (int)c.exec_mode;
}

int edr_enforce__set_enabled(struct edr_loader *l, int on)
{
	struct edr_enforce_cfg c;
	int e = cfg_read(l, &c);

	if (e)
		return e;
	c.off = !on;
	return cfg_write(l, &c);
}

int edr_enforce__set_exec_mode(struct edr_loader *l, enum edr_exec_mode m)
{
	struct edr_enforce_caps caps;
	struct edr_enforce_cfg c;
	int e;

	edr_enforce__caps(l, &caps);
	if ((m == EDR_EXEC_MODE_LSM && !caps.exec_lsm) || (m == EDR_EXEC_MODE_KILL && !caps.exec_kill))
		return -EOPNOTSUPP;
	if (m != EDR_EXEC_MODE_OFF && m != EDR_EXEC_MODE_LSM && m != EDR_EXEC_MODE_KILL)
		return -EINVAL;
	e = cfg_read(l, &c);
	if (e)
		return e;
	c.exec_mode = m;
	return cfg_write(l, &c);
}

/* ---- policy entries ---- */

static void exec_key(struct edr_exec_key *k, const struct edr_policy_exec *e, uint32_t gen)
{
	memset(k, 0, sizeof(*k));
	k->ino = e->ino;
	k->ctime_ns = e->ctime_ns;
	k->dev = e->dev;
	k->gen = gen;
}

/* Keeps the first prefix bits of n bytes at a, zeroes the rest. */
static void mask_addr(uint8_t *a, size_t n, unsigned prefix)
{
	for (size_t i = 0; i < n; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		if (bits < 8)
			a[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* Writes one net entry for gen: 0 or negative errno. */
static int net_put(const struct edr_loader *l, const struct edr_policy_net *n, uint32_t gen)
{
	struct edr_net_rule v = { .rule = n->rule, .prefix = n->prefix };

	if (n->family == 4) {
		struct edr_net4_key k = { .prefixlen = 32 + 16 + n->prefix, .gen = gen, .port = htons(n->port) };

		memcpy(k.addr, n->addr, 4);
		mask_addr(k.addr, 4, n->prefix);
		return bpf_map_update_elem(edr_loader__map_fd(l, "deny_net4"), &k, &v, BPF_ANY) ? -errno : 0;
	} else {
		struct edr_net6_key k = { .prefixlen = 32 + 16 + n->prefix, .gen = gen, .port = htons(n->port) };

		memcpy(k.addr, n->addr, 16);
		mask_addr(k.addr, 16, n->prefix);
		return bpf_map_update_elem(edr_loader__map_fd(l, "deny_net6"), &k, &v, BPF_ANY) ? -errno : 0;
	}
}

/* Deletes every entry of generation gen from a map whose keys hold the
 * generation at gen_off. */
static void clear_gen(const struct edr_loader *l, const char *name, size_t ksz, size_t gen_off, uint32_t gen)
{
	size_t n = 0, cap = 0, i;
	int fd = edr_loader__map_fd(l, name);
	uint8_t *keys = NULL, *nk, cur[64], next[64];
	void *prev = NULL;
	uint32_t g;

	if (fd < 0 || ksz > sizeof(cur))
		return;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(&g, next + gen_off, sizeof(g));
		if (g == gen) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				nk = realloc(keys, cap * ksz);
				if (!nk)
					break;
				keys = nk;
			}
			memcpy(keys + n++ * ksz, next, ksz);
		}
		memcpy(cur, next, ksz);
		prev = cur;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksz);
	free(keys);
}

static void clear_all_gen(const struct edr_loader *l, uint32_t gen)
{
	clear_gen(l, "deny_exec", sizeof(struct edr_exec_key), offsetof(struct edr_exec_key, gen), gen);
	clear_gen(l, "deny_net4", sizeof(struct edr_net4_key), offsetof(struct edr_net4_key, gen), gen);
	clear_gen(l, "deny_net6", sizeof(struct edr_net6_key), offsetof(struct edr_net6_key, gen), gen);
	clear_gen(l, "deny_open", sizeof(struct edr_file_key), offsetof(struct edr_file_key, gen), gen);
}

static int policy_check(const struct edr_policy *p, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < p->nnet; i++) {
		const struct edr_policy_net *n = &p->net[i];

		if (n->family != 4 && n->family != 6) {
			snprintf(err, errlen, "net entry %zu (rule %u): family %u is neither 4 nor 6", i, n->rule,
				 n->family);
			return -EINVAL;
		}
		if (n->prefix > (n->family == 4 ? 32 : 128)) {
			snprintf(err, errlen, "net entry %zu (rule %u): prefix /%u too long for IPv%u", i, n->rule,
				 n->prefix, n->family);
			return -EINVAL;
		}
	}
	return 0;
}

/* Writes the whole policy into generation gen: 0, or negative errno with err set. */
static int policy_put(const struct edr_loader *l, const struct edr_policy *p, uint32_t gen, char *err,
		      size_t errlen)
{
	struct edr_exec_key ek;
	struct edr_file_key fk;
	size_t i;
	int e;

	for (i = 0; i < p->nexec; i++) {
		exec_key(&ek, &p->exec[i], gen);
		if (bpf_map_update_elem(edr_loader__map_fd(l, "deny_exec"), &ek, &p->exec[i].rule, BPF_ANY)) {
			e = -errno;
			snprintf(err, errlen, "deny_exec: entry %zu (rule %u): %s", i, p->exec[i].rule, strerror(-e));
			return e;
		}
	}
	for (i = 0; i < p->nnet; i++) {
		e = net_put(l, &p->net[i], gen);
		if (e) {
			snprintf(err, errlen, "deny_net%u: entry %zu (rule %u): %s", p->net[i].family, i,
				 p->net[i].rule, strerror(-e));
			return e;
		}
	}
	for (i = 0; i < p->nfile; i++) {
		memset(&fk, 0, sizeof(fk));
		fk.ino = p->file[i].ino;
		fk.dev = p->file[i].dev;
		fk.gen = gen;
		if (bpf_map_update_elem(edr_loader__map_fd(l, "deny_open"), &fk, &p->file[i].rule, BPF_ANY)) {
			e = -errno;
			snprintf(err, errlen, "deny_open: entry %zu (rule %u): %s", i, p->file[i].rule, strerror(-e));
			return e;
		}
	}
	return 0;
}

static uint32_t count(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

int edr_enforce__apply(struct edr_loader *l, const struct edr_policy *p, char *err, size_t errlen)
{
	static const struct edr_policy empty;
	struct edr_enforce_cfg c;
	uint32_t cur, idle;
	int e;

	if (!p)
		p = &empty;
	if ((e = policy_check(p, err, errlen)))
		return e;
	if ((e = cfg_read(l, &c))) {
		snprintf(err, errlen, "enforce_cfg: cannot read: %s", strerror(-e));
		return e;
	}
	cur = c.gen & 1;
	idle = !cur;
	/* What a failed apply may have left in the idle generation. */
	clear_all_gen(l, idle);
	if ((e = policy_put(l, p, idle, err, errlen))) {
		clear_all_gen(l, idle);
		return e;
	}
	c.nexec[idle] = count(p->nexec);
	c.nnet[idle] = count(p->nnet);
	c.nfile[idle] = count(p->nfile);
	if ((e = cfg_write(l, &c))) {
		snprintf(err, errlen, "enforce_cfg: cannot write: %s", strerror(-e));
		clear_all_gen(l, idle);
		return e;
	}
	/* The flip: one map write puts the whole new policy in force. */
	c.gen = idle;
	if ((e = cfg_write(l, &c))) {
		snprintf(err, errlen, "enforce_cfg: cannot flip to generation %u: %s", idle, strerror(-e));
		return e;
	}
	c.nexec[cur] = c.nnet[cur] = c.nfile[cur] = 0;
	cfg_write(l, &c);
	clear_all_gen(l, cur);
	return 0;
}

int edr_enforce__add_exec(struct edr_loader *l, const struct edr_policy_exec *x)
{
	struct edr_enforce_cfg c;
	struct edr_exec_key k;
	uint32_t g;
	int e;

	if ((e = cfg_read(l, &c)))
		return e;
	g = c.gen & 1;
	exec_key(&k, x, g);
	if (bpf_map_update_elem(edr_loader__map_fd(l, "deny_exec"), &k, &x->rule, BPF_ANY))
		return -errno;
	if (c.nexec[g] < UINT32_MAX)
		c.nexec[g]++;
	return cfg_write(l, &c);
}

static int identity(const char *path, struct stat *st, char *err, size_t errlen)
{
	if (stat(path, st)) {
		int e = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		return e;
	}
	return 0;
}

/* stat()'s st_dev in the kernel's s_dev encoding (major << 20 | minor). */
static uint32_t kdev(dev_t d)
{
	return (uint32_t)(major(d) << 20 | minor(d));
}

int edr_enforce__exec_identity(const char *path, uint32_t rule, struct edr_policy_exec *x, char *err,
			       size_t errlen)
{
	struct stat st;
	int e = identity(path, &st, err, errlen);

	if (e)
		return e;
	memset(x, 0, sizeof(*x));
	x->dev = kdev(st.st_dev);
	x->ino = st.st_ino;
	x->ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ull + (uint64_t)st.st_ctim.tv_nsec;
	x->rule = rule;
	return 0;
}

int edr_enforce__file_identity(const char *path, uint32_t rule, struct edr_policy_file *f, char *err,
			       size_t errlen)
{
	struct stat st;
	int e = identity(path, &st, err, errlen);

	if (e)
		return e;
	memset(f, 0, sizeof(*f));
	f->dev = kdev(st.st_dev);
	f->ino = st.st_ino;
	f->rule = rule;
	return 0;
}
