/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel-side enforcement (issue 12): the policy maps that fixed, verified
 * programs read, the kill switch, and host isolation. Detection content
 * never becomes code here: a policy is entries in maps.
 *
 * Policies are double-buffered: every key carries a generation (0 or 1) and
 * the programs read the current one from the enforcement config map, so
 * edr_enforce__apply() writes the idle generation, flips with one map write,
 * then clears the old one. A rule-set swap never leaves half a policy in
 * force.
 *
 * Fail open: nothing here is pinned except isolation (which an operator
 * asked for and releases explicitly); when the sensor exits, its links go
 * and nothing refuses anything.
 */
#ifndef EDR_ENFORCE_H
#define EDR_ENFORCE_H

#include <stddef.h>
#include <stdint.h>

struct edr_loader;

/* An executable refused at exec, by identity. ctime_ns is the inode's
 * change time when the entry was made (a rewritten file no longer matches). */
struct edr_policy_exec {
	uint32_t dev;      /* kernel encoding (major << 20 | minor) */
	uint64_t ino;
	uint64_t ctime_ns;
	uint32_t rule;     /* the caller's number for the rule, reported in denial records */
};

/* A destination refused at connect/sendmsg: network and port (0: any). */
struct edr_policy_net {
	uint8_t family;    /* 4 or 6 */
	uint8_t prefix;
	uint16_t port;     /* host order; 0 = every port */
	uint8_t addr[16];
	uint32_t rule;
};

/* A file whose open for write is refused, by identity. */
struct edr_policy_file {
	uint32_t dev;
	uint64_t ino;
	uint32_t rule;
};

struct edr_policy {
	const struct edr_policy_exec *exec;
	size_t nexec;
	const struct edr_policy_net *net;
	size_t nnet;
	const struct edr_policy_file *file;
	size_t nfile;
};

/* How an exec map hit is enforced in the kernel. */
enum edr_exec_mode {
	EDR_EXEC_MODE_OFF = 0,  /* the map is not consulted */
	EDR_EXEC_MODE_LSM = 1,  /* lsm/bprm_check_security refuses (-EPERM) */
	EDR_EXEC_MODE_KILL = 2, /* the exec tracepoint sends SIGKILL before the new image runs */
};

/* Replaces the whole policy (generation flip). 0 or negative errno with a
 * one-line reason in err; on failure the previous policy stays in force. */
int edr_enforce__apply(struct edr_loader *l, const struct edr_policy *p, char *err, size_t errlen);
/* Adds one exec entry to the live generation (a hash verdict). */
int edr_enforce__add_exec(struct edr_loader *l, const struct edr_policy_exec *e);
/* The kill switch for every kernel mechanism: one map write. */
int edr_enforce__set_enabled(struct edr_loader *l, int on);
int edr_enforce__set_exec_mode(struct edr_loader *l, enum edr_exec_mode m);

/* Called by edr_loader__new() once everything is attached: enforcing, an
 * empty policy, generation 0, and the exec mode of the exec_enforce path
 * the loader chose (lsm: EDR_EXEC_MODE_LSM, kill: EDR_EXEC_MODE_KILL, none:
 * EDR_EXEC_MODE_OFF). */
void edr_enforce__init(struct edr_loader *l);
/* 1 when enforcing (the kill switch is on), 0 when off, negative errno. */
int edr_enforce__enabled(const struct edr_loader *l);
/* The exec mode in force, or a negative errno. */
int edr_enforce__exec_mode(const struct edr_loader *l);

/* Fill an entry from a file by stat(2) (device in the kernel's encoding,
 * inode, change time). 0 or negative errno with a one-line reason in err. */
int edr_enforce__exec_identity(const char *path, uint32_t rule, struct edr_policy_exec *e, char *err,
			       size_t errlen);
int edr_enforce__file_identity(const char *path, uint32_t rule, struct edr_policy_file *f, char *err,
			       size_t errlen);

/* Which kernel mechanisms are attached on this kernel (after load). */
struct edr_enforce_caps {
	int exec_lsm, exec_kill, net_lsm, net_cgroup, file_lsm, isolate;
};
void edr_enforce__caps(const struct edr_loader *l, struct edr_enforce_caps *c);

/* Host isolation: everything but loopback and the allow-list is dropped.
 * Pinned under EDR_BPFFS_ISOLATE_DIR, so it outlives the sensor until
 * released. port 0 = every port; a port matches the local or the remote one. */
#define EDR_BPFFS_ISOLATE_DIR "/sys/fs/bpf/edr/isolate"

struct edr_isolate_allow {
	uint8_t family;    /* 4 or 6 */
	uint8_t prefix;
	uint16_t port;
	uint8_t addr[16];
};

struct edr_isolate_status {
	int isolated;
	size_t nallow;
	struct edr_isolate_allow allow[64];
};

#define EDR_ISOLATE_MAX_ALLOW 64

/* Isolates (or, when already isolated, replaces the allow-list of the
 * pinned isolation, which a new sensor instance keeps). -EOPNOTSUPP when
 * the isolate feature is not loaded. */
int edr_isolate__on(struct edr_loader *l, const struct edr_isolate_allow *a, size_t n, char *err,
		    size_t errlen);
/* Releases: removes the pins, which detaches the programs. Works from any
 * process. -ENOENT ("not isolated") when there was nothing to release. */
int edr_isolate__off(char *err, size_t errlen);
/* 0 with st filled (isolated 0 when nothing is pinned), or negative errno. */
int edr_isolate__status(struct edr_isolate_status *st);

/* The same on a given cgroup2 directory (NULL: the cgroup2 root) and pin
 * directory (NULL: EDR_BPFFS_ISOLATE_DIR): tests isolate a cgroup of their
 * own instead of the host. */
int edr_isolate__on_at(struct edr_loader *l, const char *cgroup, const char *pin_dir,
		       const struct edr_isolate_allow *a, size_t n, char *err, size_t errlen);
int edr_isolate__off_at(const char *pin_dir, char *err, size_t errlen);
int edr_isolate__status_at(const char *pin_dir, struct edr_isolate_status *st);

#endif /* EDR_ENFORCE_H */
