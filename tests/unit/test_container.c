// SPDX-License-Identifier: GPL-2.0-only
/*
 * Container id and runtime from cgroup paths (real-world shapes), the
 * /proc/PID/cgroup parser (v2, v1, hybrid, garbage), and the cache by cgroup
 * id through a fake /proc and cgroup tree, and through the host's cgroup2
 * mount when we may create a cgroup there.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensor/enrich/container.h"

#define ID  "3f4e2b1a9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "8a9b7c6d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
#define UID_ "8a9b7c6d_1e2f_4a3b_9c8d_7e6f5a4b3c2d"

struct shape {
	const char *path;
	enum edr_container_runtime rt;
	const char *id;
	const char *unit;
	const char *pod;
};

static const struct shape shapes[] = {
	/* host */
	{ "/", EDR_CRT_NONE, "", "", "" },
	{ "/init.scope", EDR_CRT_NONE, "", "init.scope", "" },
	{ "/system.slice/sshd.service", EDR_CRT_NONE, "", "sshd.service", "" },
	{ "/system.slice/system-getty.slice/getty@tty1.service", EDR_CRT_NONE, "", "getty@tty1.service", "" },
	{ "/user.slice/user-1000.slice/session-3.scope", EDR_CRT_NONE, "", "session-3.scope", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-1234.scope",
	  EDR_CRT_NONE, "", "app-gnome-firefox-1234.scope", "" },
	{ "/system.slice/docker.service", EDR_CRT_NONE, "", "docker.service", "" },
	{ "/system.slice/containerd.service", EDR_CRT_NONE, "", "containerd.service", "" },
	{ "/machine.slice/machine-qemu\\x2d1\\x2dvm.scope", EDR_CRT_NONE, "", "machine-qemu\\x2d1\\x2dvm.scope", "" },
	/* docker */
	{ "/docker/" ID, EDR_CRT_DOCKER, ID, "", "" },
	{ "/system.slice/docker-" ID ".scope", EDR_CRT_DOCKER, ID, "docker-" ID ".scope", "" },
	{ "/docker/" ID "/docker/" ID2, EDR_CRT_DOCKER, ID2, "", "" },   /* docker in docker */
	{ "/docker/" ID "/system.slice/nginx.service", EDR_CRT_DOCKER, ID, "nginx.service", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" ID ".scope",
	  EDR_CRT_DOCKER, ID, "docker-" ID ".scope", "" },                /* rootless */
	/* containerd / kubernetes, systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/"
	  "cri-containerd-" ID ".scope", EDR_CRT_CONTAINERD, ID, "cri-containerd-" ID ".scope", UID },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	  EDR_CRT_CONTAINERD, ID, "cri-containerd-" ID ".scope", UID },   /* guaranteed QoS */
	{ "/system.slice/nerdctl-" ID ".scope", EDR_CRT_CONTAINERD, ID, "nerdctl-" ID ".scope", "" },
	/* kubernetes, cgroupfs driver */
	{ "/kubepods/besteffort/pod" UID "/" ID, EDR_CRT_CRI, ID, "", UID },
	{ "/kubepods/pod" UID "/" ID, EDR_CRT_CRI, ID, "", UID },
	{ "/kubepods/burstable/pod" UID, EDR_CRT_NONE, "", "", UID },     /* the pod, no container */
	/* cri-o */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID ".scope",
	  EDR_CRT_CRIO, ID, "crio-" ID ".scope", UID },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
	  ".scope/container", EDR_CRT_CRIO, ID, "crio-" ID ".scope", UID },
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-conmon-"
	  ID ".scope", EDR_CRT_NONE, "", "crio-conmon-" ID ".scope", UID },
	/* podman */
	{ "/machine.slice/libpod-" ID ".scope", EDR_CRT_PODMAN, ID, "libpod-" ID ".scope", "" },
	{ "/machine.slice/libpod-" ID ".scope/container", EDR_CRT_PODMAN, ID, "libpod-" ID ".scope", "" },
	{ "/machine.slice/libpod-conmon-" ID ".scope", EDR_CRT_NONE, "", "libpod-conmon-" ID ".scope", "" },
	{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	  EDR_CRT_PODMAN, ID, "libpod-" ID ".scope", "" },
	{ "/libpod_parent/libpod-" ID, EDR_CRT_PODMAN, ID, "", "" },
	{ "/libpod_parent/" ID, EDR_CRT_PODMAN, ID, "", "" },
	/* lxc / lxd */
	{ "/lxc.payload.web01", EDR_CRT_LXC, "web01", "", "" },
	{ "/lxc.payload.web01/system.slice/cron.service", EDR_CRT_LXC, "web01", "cron.service", "" },
	{ "/lxc/db-2", EDR_CRT_LXC, "db-2", "", "" },
	{ "/lxc.monitor.web01", EDR_CRT_NONE, "", "", "" },
	/* near misses: not containers */
	{ "/docker/" "3f4e2b1a9c8d7e6f", EDR_CRT_NONE, "", "", "" },            /* short id */
	{ "/docker/" "3F4E2B1A9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F",
	  EDR_CRT_NONE, "", "", "" },                                            /* upper case */
	{ "/system.slice/docker-" ID ".scopex", EDR_CRT_NONE, "", "", "" },
	{ "/system.slice/docker-" ID "0.scope", EDR_CRT_NONE, "", "docker-" ID "0.scope", "" },
	{ "/somewhere/" ID, EDR_CRT_NONE, "", "", "" },                          /* unknown parent */
	{ "/" ID, EDR_CRT_NONE, "", "", "" },
	{ "/pod" UID "/" ID, EDR_CRT_NONE, "", "", "" },                         /* not under kubepods */
	{ "/lxc/bad name", EDR_CRT_NONE, "", "", "" },
	{ "//docker//" ID "/", EDR_CRT_DOCKER, ID, "", "" },                     /* extra slashes */
	{ "/../../docker/" ID, EDR_CRT_DOCKER, ID, "", "" },                     /* seen from a child ns */
};

static void test_shapes(void **state)
{
	struct edr_cgroup_info info;
	size_t i;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		assert_int_equal(edr_cgroup_path_parse(s->path, strlen(s->path), &info), 0);
		if (info.runtime != s->rt || strcmp(info.id, s->id) || strcmp(info.unit, s->unit) ||
		    strcmp(info.pod_uid, s->pod))
			print_error("shape %zu: %s\n", i, s->path);
		assert_int_equal(info.runtime, s->rt);
		assert_string_equal(info.id, s->id);
		assert_string_equal(info.unit, s->unit);
		assert_string_equal(info.pod_uid, s->pod);
	}
}

static void test_path_errors(void **state)
{
	struct edr_cgroup_info info;
	char *big;

	assert_int_equal(edr_cgroup_path_parse("", 0, &info), -EINVAL);
	assert_int_equal(edr_cgroup_path_parse(NULL, 3, &info), -EINVAL);
	assert_int_equal(edr_cgroup_path_parse("docker/" ID, 7 + 64, &info), -EINVAL);
	assert_int_equal(edr_cgroup_path_parse("/docker/\0" ID, 9 + 64, &info), -EINVAL);
	/* Not NUL-terminated: only len bytes are read. */
	assert_int_equal(edr_cgroup_path_parse("/docker/" ID "ffff", 8 + 64, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_int_equal(edr_cgroup_path_parse("/docker/" ID, 8 + 63, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_NONE);

	big = malloc(EDR_CGROUP_PATH_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', EDR_CGROUP_PATH_MAX + 1);
	big[0] = '/';
	assert_int_equal(edr_cgroup_path_parse(big, EDR_CGROUP_PATH_MAX + 1, &info), -EINVAL);
	assert_int_equal(edr_cgroup_path_parse(big, EDR_CGROUP_PATH_MAX, &info), 0);
	/* A component longer than a unit name is not a unit. */
	memcpy(big + EDR_CGROUP_PATH_MAX - 8, ".service", 8);
	assert_int_equal(edr_cgroup_path_parse(big, EDR_CGROUP_PATH_MAX, &info), 0);
	assert_string_equal(info.unit, "");
	free(big);

	assert_string_equal(edr_container_runtime_str(EDR_CRT_CRIO), "cri-o");
	assert_string_equal(edr_container_runtime_str(EDR_CRT_NONE), "");
	assert_string_equal(edr_container_runtime_str(_EDR_CRT_MAX), "");
}

static void test_proc_cgroup(void **state)
{
	struct edr_cgroup_info info;
	char v2[256];
	const char *t;

	/* cgroup v2 only */
	t = "0::/system.slice/docker-" ID ".scope\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, sizeof(v2)), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_string_equal(info.id, ID);
	assert_string_equal(v2, "/system.slice/docker-" ID ".scope");

	/* cgroup v1: docker seen on the controllers, systemd unit on name=systemd */
	t = "12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n"
	    "1:name=systemd:/docker/" ID "\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, sizeof(v2)), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_string_equal(info.id, ID);
	assert_string_equal(v2, "");

	/* hybrid: v2 at the root, the container only on a v1 line */
	t = "9:name=systemd:/system.slice/sshd.service\n4:memory:/docker/" ID "\n0::/\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, sizeof(v2)), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_string_equal(info.unit, "sshd.service");
	assert_string_equal(v2, "/");

	/* host on v1 */
	t = "9:name=systemd:/user.slice/user-0.slice/session-1.scope\n1:cpu:/\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, NULL, 0), 0);
	assert_int_equal(info.runtime, EDR_CRT_NONE);
	assert_string_equal(info.unit, "session-1.scope");

	/* no final newline, CRLF-free garbage lines skipped */
	t = "garbage\nx:y:/docker/" ID "\n:cpu:/docker/" ID "\n0::/lxc.payload.c1";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, sizeof(v2)), 0);
	assert_int_equal(info.runtime, EDR_CRT_LXC);
	assert_string_equal(info.id, "c1");

	/* v2 path too long for the caller's buffer: the answer, no path */
	t = "0::/docker/" ID "\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, 10), 0);
	assert_string_equal(v2, "");
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);

	/* nothing usable */
	t = "hello\nworld\n1:cpu:relative\n";
	assert_int_equal(edr_proc_cgroup_parse(t, strlen(t), &info, v2, sizeof(v2)), -EINVAL);
	assert_int_equal(edr_proc_cgroup_parse("", 0, &info, v2, sizeof(v2)), -EINVAL);
	assert_int_equal(edr_proc_cgroup_parse(t, EDR_PROC_CGROUP_MAX + 1, &info, v2, sizeof(v2)),
			 -EINVAL);
}

/* ---- cache through a fake /proc and cgroup tree ---- */

static char dir[] = "/tmp/edr-test-container-XXXXXX";

static int setup_dir(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static uint64_t mkcg(const char *rel)
{
	char path[512], cmd[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/cg%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void test_cache_proc(void **state)
{
	char proc[256], cg[256];
	struct edr_cgroup_cache_opts o = { .max_entries = 4, .proc_root = proc, .cgroup2_root = cg };
	struct edr_cgroup_cache *cc;
	struct edr_cgroup_cache_stats st;
	struct edr_cgroup_info info;
	uint64_t id_docker = mkcg("/system.slice/docker-" ID ".scope");
	uint64_t id_ssh = mkcg("/system.slice/sshd.service");

	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	put("proc/self/cgroup", "0::/\n");
	put("proc/100/cgroup", "0::/system.slice/docker-" ID ".scope\n");
	put("proc/200/cgroup", "0::/system.slice/sshd.service\n");
	cc = edr_cgroup_cache__new(&o);
	assert_non_null(cc);

	assert_int_equal(edr_cgroup_cache__lookup(cc, id_docker, 100, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_string_equal(info.id, ID);
	/* Cached by id: another process of the same cgroup needs no /proc read. */
	assert_int_equal(edr_cgroup_cache__lookup(cc, id_docker, 4242, &info), 0);
	assert_string_equal(info.id, ID);
	assert_int_equal(edr_cgroup_cache__lookup(cc, id_ssh, 200, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_NONE);
	assert_string_equal(info.unit, "sshd.service");

	/* The process moved since the event: answered, not cached under that id. */
	put("proc/300/cgroup", "0::/system.slice/sshd.service\n");
	assert_int_equal(edr_cgroup_cache__lookup(cc, 999999, 300, &info), 0);
	assert_string_equal(info.unit, "sshd.service");
	/* Gone, and the id is not cached: an error, and "none". */
	assert_int_equal(edr_cgroup_cache__lookup(cc, 999999, 301, &info), -ENOENT);
	assert_int_equal(info.runtime, EDR_CRT_NONE);

	edr_cgroup_cache__stats(cc, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.by_proc, 3);
	assert_int_equal(st.uncached, 1);
	assert_int_equal(st.failed, 1);

	edr_cgroup_cache__flush(cc);
	assert_int_equal(edr_cgroup_cache__lookup(cc, id_docker, 0, &info), -ENOENT);
	edr_cgroup_cache__free(cc);
	edr_cgroup_cache__free(NULL);
}

static void test_cache_hybrid_not_cached(void **state)
{
	char proc[256];
	struct edr_cgroup_cache_opts o = { .proc_root = proc, .cgroup2_root = "" };
	struct edr_cgroup_cache *cc;
	struct edr_cgroup_cache_stats st;
	struct edr_cgroup_info info;

	char cg[256];
	uint64_t root_id = mkcg("");

	/* A hybrid host: every process in the v2 root, containers in v1. */
	snprintf(proc, sizeof(proc), "%s/hproc", dir);
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	o.cgroup2_root = cg;
	put("hproc/self/cgroup", "4:memory:/\n1:name=systemd:/\n0::/\n");
	put("hproc/500/cgroup", "4:memory:/docker/" ID "\n0::/\n");
	put("hproc/600/cgroup", "4:memory:/\n0::/\n");
	cc = edr_cgroup_cache__new(&o);
	assert_non_null(cc);
	/* The host process first: its answer must not stick to the root id. */
	assert_int_equal(edr_cgroup_cache__lookup(cc, root_id, 600, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_NONE);
	assert_int_equal(edr_cgroup_cache__lookup(cc, root_id, 500, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_int_equal(edr_cgroup_cache__lookup(cc, root_id, 500, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	edr_cgroup_cache__stats(cc, &st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.uncached, 3);
	edr_cgroup_cache__free(cc);

	/* No cgroup2 mount at all: nothing can be verified, nothing cached. */
	o.cgroup2_root = "";
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	put("proc/self/cgroup", "0::/\n");
	put("proc/100/cgroup", "0::/system.slice/docker-" ID ".scope\n");
	cc = edr_cgroup_cache__new(&o);
	assert_non_null(cc);
	assert_int_equal(edr_cgroup_cache__lookup(cc, root_id, 100, &info), 0);
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	edr_cgroup_cache__stats(cc, &st);
	assert_int_equal(st.uncached, 1);
	edr_cgroup_cache__free(cc);

	o.max_entries = EDR_CGROUP_CACHE_MAX_ENTRIES + 1;
	errno = 0;
	assert_null(edr_cgroup_cache__new(&o));
	assert_int_equal(errno, EINVAL);
}

/* The real cgroup2 mount: a cgroup we create is found by its id alone. */
static void test_cache_by_handle(void **state)
{
	struct edr_cgroup_cache *cc = edr_cgroup_cache__new(NULL);
	struct edr_cgroup_cache_stats st;
	struct edr_cgroup_info info;
	char top[256], leaf[512];
	const char *root;
	struct stat sb;
	int made;

	assert_non_null(cc);
	root = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ?
	       "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
	snprintf(top, sizeof(top), "%s/edr-test-%d", root, (int)getpid());
	snprintf(leaf, sizeof(leaf), "%s/docker-" ID2 ".scope", top);
	made = mkdir(top, 0755) == 0 && mkdir(leaf, 0755) == 0;
	if (!made || stat(leaf, &sb)) {
		rmdir(top);
		edr_cgroup_cache__free(cc);
		skip(); /* not root, or no writable cgroup2 mount */
	}
	assert_int_equal(edr_cgroup_cache__lookup(cc, sb.st_ino, 0, &info), 0);
	rmdir(leaf);
	rmdir(top);
	edr_cgroup_cache__stats(cc, &st);
	if (!st.by_handle) {
		edr_cgroup_cache__free(cc);
		skip(); /* open_by_handle_at refused (no CAP_DAC_READ_SEARCH) */
	}
	assert_int_equal(info.runtime, EDR_CRT_DOCKER);
	assert_string_equal(info.id, ID2);
	/* Cached: answers after the cgroup is gone. */
	assert_int_equal(edr_cgroup_cache__lookup(cc, sb.st_ino, 0, &info), 0);
	assert_string_equal(info.id, ID2);
	edr_cgroup_cache__free(cc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_proc_cgroup),
		cmocka_unit_test(test_cache_proc),
		cmocka_unit_test(test_cache_hybrid_not_cached),
		cmocka_unit_test(test_cache_by_handle),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
