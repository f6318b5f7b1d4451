// SPDX-License-Identifier: GPL-2.0-only
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/event_util.h"

char *ev_render(const struct edr_decoded *d, const struct edr_proc *p, const struct edr_proc *target)
{
	static struct edr_ecs ecs;
	struct edr_enrichment en = { .target = target };
	struct edr_json j;
	char *s;

	struct edr_event_ctx c = { .ev = d, .p = p, .en = &en }; /* en zeroed but for target */

	assert_int_equal(edr_ecs__init(&ecs, "host1"), 0);
	edr_json_init(&j);
	edr_ecs__event(&ecs, &j, &c);
	edr_json_obj_end(&j);
	assert_false(j.oom);
	s = strndup(j.buf, j.len);
	edr_json_free(&j);
	edr_ecs__fini(&ecs);
	return s;
}

int ev_sigma(struct edr_sigma_view *v, const struct edr_decoded *d, const struct edr_proc *p,
	     const struct edr_proc *parent, const char *user, const char *puser,
	     const struct edr_enrichment *en, int idx)
{
	struct edr_event_ctx c = { .ev = d, .p = p, .parent = parent, .en = en, .user = user, .puser = puser };

	return edr_sigma_map(v, &c, idx);
}

void assert_has(const char *json, const char *part)
{
	if (!strstr(json, part))
		fail_msg("%s\n  does not contain %s", json, part);
}

void assert_lacks(const char *json, const char *part)
{
	if (strstr(json, part))
		fail_msg("%s\n  contains %s", json, part);
}

void assert_fstr(const struct edr_field_value *f, const char *want)
{
	assert_true(f->set);
	assert_int_equal(f->len, strlen(want));
	assert_memory_equal(f->s, want, f->len);
}

size_t ev_exec_record(void *buf, const char *filename, const char *path, const char *cwd,
		      const char *argv, size_t argv_len)
{
	struct edr_exec *e = buf;
	char *tail = buf;
	size_t off = sizeof(*e);

	memset(buf, 0, EDR_EVENT_MAX_SIZE);
	e->hdr.type = EDR_EVENT_EXEC;
	e->hdr.version = EDR_ABI_VERSION;
	e->task.tgid = 42;
	e->filename_len = strlen(filename) + 1;
	memcpy(tail + off, filename, e->filename_len);
	off += e->filename_len;
	e->path_len = strlen(path) + 1;
	memcpy(tail + off, path, e->path_len);
	off += e->path_len;
	e->cwd_len = strlen(cwd) + 1;
	memcpy(tail + off, cwd, e->cwd_len);
	off += e->cwd_len;
	e->argv_len = argv_len;
	memcpy(tail + off, argv, argv_len);
	off += argv_len;
	e->hdr.size = off;
	return off;
}

size_t ev_file_record(void *buf, uint16_t type, const char *path, const char *old_path, uint32_t flags)
{
	struct edr_file *f = buf;
	char *tail = buf;
	size_t off = sizeof(*f);

	memset(buf, 0, EDR_EVENT_MAX_SIZE);
	f->hdr.type = type;
	f->hdr.version = EDR_ABI_VERSION;
	f->flags = flags;
	f->uid = f->gid = (uint32_t)-1;
	f->path_len = strlen(path) + 1;
	memcpy(tail + off, path, f->path_len);
	off += f->path_len;
	if (old_path) {
		f->old_path_len = strlen(old_path) + 1;
		memcpy(tail + off, old_path, f->old_path_len);
		off += f->old_path_len;
	}
	f->hdr.size = off;
	return off;
}
