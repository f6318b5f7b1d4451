/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Container id and runtime from a process's cgroup (container.id,
 * container.runtime), and the systemd unit it runs in.
 *
 * Runtimes place each container in a cgroup whose name holds the id:
 *   docker      /docker/<64hex> (cgroupfs driver), docker-<64hex>.scope (systemd)
 *   containerd  cri-containerd-<64hex>.scope, nerdctl-<64hex>.scope
 *   cri-o       crio-<64hex>.scope (crio-conmon-<id>.scope is its monitor, on the host)
 *   podman      libpod-<64hex>.scope, libpod-<64hex> under libpod_parent
 *               (libpod-conmon-<id>.scope is its monitor, on the host)
 *   lxc         lxc.payload.<name>, /lxc/<name>
 *   kubernetes  /kubepods/<qos>/pod<uid>/<64hex> (cgroupfs driver: the CRI
 *               runtime is not in the path, reported as "cri")
 * Nested containers (docker in docker) report the innermost. A cgroup with
 * no container is the host: runtime NONE, id "", and unit names the
 * innermost systemd unit (sshd.service, session-3.scope) if any.
 *
 * The parsers are pure functions of untrusted text: any bytes give an answer
 * or -EINVAL, never a crash; lengths are bounded below.
 */
#ifndef EDR_CONTAINER_H
#define EDR_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

enum edr_container_runtime {
	EDR_CRT_NONE = 0,
	EDR_CRT_DOCKER = 1,
	EDR_CRT_CONTAINERD = 2,
	EDR_CRT_CRIO = 3,
	EDR_CRT_PODMAN = 4,
	EDR_CRT_LXC = 5,
	EDR_CRT_CRI = 6,        /* kubernetes with the cgroupfs driver: runtime unknown */
	_EDR_CRT_MAX = 7,
};

#define EDR_CONTAINER_ID_MAX   64    /* characters */
#define EDR_CGROUP_UNIT_MAX    255   /* characters, systemd's limit */
#define EDR_CGROUP_PATH_MAX    4096  /* bytes of a cgroup path we accept */
#define EDR_PROC_CGROUP_MAX    65536 /* bytes of /proc/PID/cgroup we read */

struct edr_cgroup_info {
	enum edr_container_runtime runtime;
	char id[EDR_CONTAINER_ID_MAX + 1];      /* "" when not in a container */
	char unit[EDR_CGROUP_UNIT_MAX + 1];     /* innermost systemd unit, or "" */
	char pod_uid[37];                       /* kubernetes pod UID, or "" */
};

/* "docker", "containerd", "cri-o", "podman", "lxc", "cri"; "" for NONE. */
const char *edr_container_runtime_str(enum edr_container_runtime rt);

/*
 * A cgroup path ("/system.slice/docker-<id>.scope"), len bytes, not
 * necessarily NUL-terminated. Returns 0 (out filled, possibly "none"), or
 * -EINVAL when it is not an absolute path or is over EDR_CGROUP_PATH_MAX.
 */
int edr_cgroup_path_parse(const char *path, size_t len, struct edr_cgroup_info *out);

/*
 * /proc/PID/cgroup text ("hierarchy:controllers:path" lines). The cgroup v2
 * line ("0::") decides; on a v1 or hybrid host a container seen on any line
 * counts. v2_path (may be NULL) receives the v2 path, "" if there is none.
 * Returns 0, or -EINVAL when no line is well formed.
 */
int edr_proc_cgroup_parse(const char *text, size_t len, struct edr_cgroup_info *out,
			  char *v2_path, size_t v2_path_size);

/*
 * Cache: cgroup v2 id (the BPF task.cgroup_id, the cgroup directory's inode
 * number) -> info. A miss resolves the id to its path through the cgroup2
 * mount (open_by_handle_at, needs CAP_DAC_READ_SEARCH), else through
 * /proc/<tgid>/cgroup checked against the id. On a v1 or hybrid host the
 * v2 id does not tell containers apart (they live in v1 hierarchies): only
 * a v2 path naming a container is cached there; other answers come from
 * /proc/<tgid>/cgroup each time and are counted as uncached. Direct-mapped,
 * bounded, thread-safe.
 */
struct edr_cgroup_cache_opts {
	size_t max_entries;          /* 0 = 1024; rounded up to a power of two */
	const char *proc_root;       /* NULL = "/proc" */
	const char *cgroup2_root;    /* NULL = detect: /sys/fs/cgroup or /sys/fs/cgroup/unified;
				      * "" = none (only /proc is used) */
};

#define EDR_CGROUP_CACHE_MAX_ENTRIES (1u << 16)

struct edr_cgroup_cache_stats {
	uint64_t hits, misses;
	uint64_t by_handle;      /* resolved through the cgroup2 mount */
	uint64_t by_proc;        /* resolved through /proc/<tgid>/cgroup */
	uint64_t uncached;       /* answered without caching (v1 lines, unverified) */
	uint64_t failed;         /* nothing could be read */
};

struct edr_cgroup_cache;

/* NULL with errno (EINVAL, ENOMEM). A missing cgroup2 mount is not an error. */
struct edr_cgroup_cache *edr_cgroup_cache__new(const struct edr_cgroup_cache_opts *opts);
void edr_cgroup_cache__free(struct edr_cgroup_cache *cc);

/* Returns 0 and fills out (runtime NONE for the host), or -errno when
 * neither the id nor the process could be resolved (out is then "none"). */
int edr_cgroup_cache__lookup(struct edr_cgroup_cache *cc, uint64_t cgroup_id, uint32_t tgid,
			     struct edr_cgroup_info *out);

/* Drops every entry (e.g. after a cgroup2 remount). */
void edr_cgroup_cache__flush(struct edr_cgroup_cache *cc);

void edr_cgroup_cache__stats(struct edr_cgroup_cache *cc, struct edr_cgroup_cache_stats *out);

#endif /* EDR_CONTAINER_H */
