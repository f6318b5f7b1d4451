// SPDX-License-Identifier: GPL-2.0-only
/*
 * Self-protection against the real kernel: once loaded, every map only the
 * BPF programs write is frozen, so a write through bpf() from user space
 * (another process holding an fd got by id, or the sensor itself) is
 * refused with EPERM, while the programs keep writing them (the counters
 * still move) and the maps user space owns (enforce_cfg) stay writable.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

/* A fresh fd to the map by its id, as any other root process gets one. */
static int fd_by_id(int fd)
{
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return bpf_map_get_fd_by_id(info.id);
}

static void test_kernel_maps_frozen(void **state)
{
	static struct harness h;
	const char *const *names;
	size_t n, i;
	const char *why = NULL;
	int e;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.probe = *h_probe();
	e = h_start(&h, NULL, getpid(), 0, &why);
	if (e == -ENOTSUP)
		skip();
	assert_int_equal(e, 0);
	names = edr_loader_kernel_only_maps(&n);
	assert_int_equal(edr_loader__frozen_maps(h.loader), (int)n);
	for (i = 0; i < n; i++) {
		int fd = edr_loader__map_fd(h.loader, names[i]);
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info);
		void *key, *val;
		int other;

		assert_true(fd >= 0);
		assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
		key = calloc(1, info.key_size ? info.key_size : 4);
		val = calloc(libbpf_num_possible_cpus(), info.value_size + 8);
		assert_non_null(key);
		assert_non_null(val);
		errno = 0;
		if (bpf_map_update_elem(fd, key, val, BPF_ANY) == 0)
			fail_msg("map %s: the sensor's own write was accepted", names[i]);
		assert_int_equal(errno, EPERM);
		other = fd_by_id(fd);
		assert_true(other >= 0);
		errno = 0;
		if (bpf_map_update_elem(other, key, val, BPF_ANY) == 0)
			fail_msg("map %s: a write through an fd by id was accepted", names[i]);
		assert_int_equal(errno, EPERM);
		close(other);
		free(key);
		free(val);
	}
	h_stop(&h);
}

/* The map user space owns stays writable: the enforcement config. */
static void test_user_maps_writable(void **state)
{
	static struct harness h;
	const char *why = NULL;
	uint32_t zero = 0;
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	void *val;
	int fd, e;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.probe = *h_probe();
	e = h_start(&h, NULL, getpid(), 0, &why);
	if (e == -ENOTSUP)
		skip();
	assert_int_equal(e, 0);
	fd = edr_loader__map_fd(h.loader, "enforce_cfg");
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	val = calloc(1, info.value_size);
	assert_non_null(val);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, val), 0);
	assert_int_equal(bpf_map_update_elem(fd, &zero, val, BPF_ANY), 0);
	free(val);
	h_stop(&h);
}

int main(void)
{
	static struct h_runs r;

	h_run_add(&r, "kernel_maps_frozen", test_kernel_maps_frozen, NULL, "auto");
	h_run_add(&r, "user_maps_writable", test_user_maps_writable, NULL, "auto");
	return h_runs_main(&r, "bpf_tamper");
}
