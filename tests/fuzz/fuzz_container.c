// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the cgroup parsers: any bytes, as /proc/PID/cgroup
 * text and as a cgroup path, give an answer or -EINVAL, never a crash, and
 * every answer is well formed (NUL-terminated fields, an id exactly when
 * there is a runtime, ids of the characters the runtimes use).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/enrich/container.h"

static void check(const struct edr_cgroup_info *in, int err)
{
	size_t n, i;

	if ((unsigned int)in->runtime >= _EDR_CRT_MAX)
		abort();
	n = strnlen(in->id, sizeof(in->id));
	if (n == sizeof(in->id) || strnlen(in->unit, sizeof(in->unit)) == sizeof(in->unit) ||
	    strnlen(in->pod_uid, sizeof(in->pod_uid)) == sizeof(in->pod_uid))
		abort();
	if (err && (in->runtime || n || in->unit[0] || in->pod_uid[0]))
		abort();
	if ((in->runtime != EDR_CRT_NONE) != (n != 0))
		abort();
	if (in->runtime != EDR_CRT_NONE && in->runtime != EDR_CRT_LXC && n != 64)
		abort();
	for (i = 0; i < n; i++)
		if (in->id[i] == '/' || in->id[i] == ':' || (unsigned char)in->id[i] < 0x21 ||
		    (unsigned char)in->id[i] > 0x7e)
			abort();
	if (in->pod_uid[0] && strlen(in->pod_uid) != 36)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edr_cgroup_info a, b;
	char v2[EDR_CGROUP_PATH_MAX + 1];
	int err;

	err = edr_proc_cgroup_parse((const char *)data, size, &a, v2, sizeof(v2));
	check(&a, err);
	if (strnlen(v2, sizeof(v2)) == sizeof(v2))
		abort();
	/* The v2 line's answer is the path parser's answer for that path. */
	if (!err && v2[0]) {
		if (edr_cgroup_path_parse(v2, strlen(v2), &b))
			abort();
		if (b.runtime != EDR_CRT_NONE &&
		    (a.runtime != b.runtime || strcmp(a.id, b.id)))
			abort();
	}
	err = edr_cgroup_path_parse((const char *)data, size, &b);
	check(&b, err);
	return 0;
}
