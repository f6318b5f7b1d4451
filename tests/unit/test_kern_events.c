// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel-integrity records (module loads, bpf() loads and creations, mounts)
 * from synthetic buffers: the decoder's checks of every length, the ECS
 * record and the Sigma view of each.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/event_util.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

static void task_fill(struct edr_task *t)
{
	t->tgid = 4242;
	t->pid = 4242;
	t->ppid = 1;
	t->uid = 0;
	t->auid = t->sessionid = (uint32_t)-1;
	memcpy(t->comm, "loader", 7);
}

static size_t put(size_t off, const char *s, uint16_t *len)
{
	*len = s ? strlen(s) + 1 : 0;
	if (s)
		memcpy(buf + off, s, *len);
	return off + *len;
}

static size_t make_module(const char *name, const char *path, uint32_t flags, int32_t ret)
{
	struct edr_module *m = (void *)buf;
	size_t off = sizeof(*m);

	memset(buf, 0, sizeof(buf));
	m->hdr.type = EDR_EVENT_MODULE_LOAD;
	m->hdr.version = EDR_ABI_VERSION;
	task_fill(&m->task);
	m->flags = flags;
	m->ret = ret;
	m->fd = path ? 3 : -1;
	off = put(off, name, &m->name_len);
	off = put(off, path, &m->path_len);
	m->hdr.size = off;
	return off;
}

static size_t make_bpf(uint16_t type, uint32_t cmd, uint32_t btype, const char *name, int32_t ret,
		       uint32_t flags)
{
	struct edr_bpf *b = (void *)buf;

	memset(buf, 0, sizeof(buf));
	b->hdr.type = type;
	b->hdr.version = EDR_ABI_VERSION;
	b->hdr.size = sizeof(*b);
	task_fill(&b->task);
	b->flags = flags;
	b->ret = ret;
	b->cmd = cmd;
	b->type = btype;
	memcpy(b->name, name, strnlen(name, sizeof(b->name)));
	return sizeof(*b);
}

static size_t make_mount(const char *fstype, const char *source, const char *target, uint64_t mflags,
			 uint32_t flags, int32_t ret)
{
	struct edr_mount *m = (void *)buf;
	size_t off = sizeof(*m);

	memset(buf, 0, sizeof(buf));
	m->hdr.type = EDR_EVENT_MOUNT;
	m->hdr.version = EDR_ABI_VERSION;
	task_fill(&m->task);
	m->flags = flags;
	m->ret = ret;
	m->mount_flags = mflags;
	off = put(off, fstype, &m->fstype_len);
	off = put(off, source, &m->source_len);
	off = put(off, target, &m->target_len);
	m->hdr.size = off;
	return off;
}

static struct edr_proc proc = {
	.tgid = 4242, .ppid = 1, .exe = "/tmp/.k/loader", .args = "/tmp/.k/loader\0-q", .args_len = 17,
	.entity_id = "e1",
};

static void test_decode_module(void **state)
{
	struct edr_module *m = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make_module("rk", "/tmp/rk.ko", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_false(EDR_IN_FAMILY(&d, FILE_CREATE));
	assert_string_equal(d.name.p, "rk");
	assert_string_equal(d.path.p, "/tmp/rk.ko");
	/* init_module: neither */
	n = make_module(NULL, NULL, EDR_KERN_FROM_MEMORY, -ENOEXEC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_null(d.name.p);
	assert_null(d.path.p);
	/* short of the fixed part */
	n = make_module(NULL, NULL, 0, 0);
	m->hdr.size = n - 1;
	assert_int_equal(edr_decode(buf, n - 1, &d), EDR_DECODE_SHORT);
	/* a tail length past the end, or short of it */
	n = make_module("rk", "/tmp/rk.ko", 0, 0);
	m->path_len += 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	m->path_len -= 2;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	m->path_len += 1;
	m->name_len = 0xffff;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	/* a NUL inside the name */
	n = make_module("rk", "/tmp/rk.ko", 0, 0);
	buf[sizeof(*m)] = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	/* bytes after the last string */
	n = make_module("rk", NULL, 0, 0);
	m->hdr.size = n + 1;
	assert_int_equal(edr_decode(buf, n + 1, &d), EDR_DECODE_TAIL);
}

static void test_decode_bpf(void **state)
{
	struct edr_bpf *b = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make_bpf(EDR_EVENT_BPF_PROG, 5, 2, "hook", 7, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_int_equal(d.name.len, 4);
	assert_memory_equal(d.name.p, "hook", 4);
	/* a name of 16 bytes without a NUL: bounded, not refused */
	n = make_bpf(EDR_EVENT_BPF_MAP, 0, 2, "0123456789abcdefXX", 0, EDR_KERN_ATTEMPT);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.name.len, 16);
	/* the type and the command disagree */
	n = make_bpf(EDR_EVENT_BPF_MAP, 5, 2, "m", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TYPE);
	n = make_bpf(EDR_EVENT_BPF_PROG, 0, 2, "m", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TYPE);
	/* fixed size only: shorter or longer is refused */
	n = make_bpf(EDR_EVENT_BPF_PROG, 5, 1, "p", 0, 0);
	b->hdr.size = n - 4;
	assert_int_equal(edr_decode(buf, n - 4, &d), EDR_DECODE_SHORT);
	b->hdr.size = n + 8;
	assert_int_equal(edr_decode(buf, n + 8, &d), EDR_DECODE_SIZE);
}

static void test_decode_mount(void **state)
{
	struct edr_mount *m = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make_mount("tmpfs", "edrtest", "/mnt/x", 6, 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_string_equal(d.fstype.p, "tmpfs");
	assert_string_equal(d.source.p, "edrtest");
	assert_string_equal(d.path.p, "/mnt/x");
	/* a remount: no type, no source */
	n = make_mount(NULL, NULL, "/", 32, 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_null(d.fstype.p);
	assert_null(d.source.p);
	/* lengths that overrun, or leave bytes over */
	n = make_mount("tmpfs", "edrtest", "/mnt/x", 0, 0, 0);
	m->target_len += 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	m->target_len -= 1;
	m->fstype_len -= 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	m->fstype_len += 1;
	m->source_len = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_mount("tmpfs", NULL, NULL, 0, 0, 0);
	m->hdr.size = sizeof(*m) - 1;
	assert_int_equal(edr_decode(buf, sizeof(*m) - 1, &d), EDR_DECODE_SHORT);
}

static void test_sigma_kern(void **state)
{
	static struct edr_sigma_view v;
	struct edr_decoded d;
	size_t n;

	n = make_module(NULL, "/tmp/.k/rk.ko", 0, -ENOEXEC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_KERNEL_MODULE);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(KERNEL_MODULE));
	assert_fstr(FV(&v, KERNEL_MODULE, MODULE_PATH), "/tmp/.k/rk.ko");
	assert_fstr(FV(&v, KERNEL_MODULE, IMAGE), "/tmp/.k/loader");
	assert_fstr(FV(&v, KERNEL_MODULE, COMMAND_LINE), "/tmp/.k/loader -q");
	assert_fstr(FV(&v, KERNEL_MODULE, USER), "root");
	assert_int_equal(FV(&v, KERNEL_MODULE, PROCESS_ID)->n, 4242);
	/* from memory: no ModulePath */
	n = make_module(NULL, NULL, EDR_KERN_FROM_MEMORY, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_false(FV(&v, KERNEL_MODULE, MODULE_PATH)->set);
	assert_fstr(FV(&v, KERNEL_MODULE, USER), "0");

	n = make_bpf(EDR_EVENT_BPF_PROG, 5, 2, "hook_getdents64", 7, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_BPF_LOAD);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(BPF_LOAD));
	assert_fstr(FV(&v, BPF_LOAD, COMMAND), "BPF_PROG_LOAD");
	assert_fstr(FV(&v, BPF_LOAD, PROGRAM_TYPE), "kprobe");
	assert_fstr(FV(&v, BPF_LOAD, PROGRAM_NAME), "hook_getdents64");
	assert_fstr(FV(&v, BPF_LOAD, IMAGE), "/tmp/.k/loader");
	/* the type names the rules compare */
	n = make_bpf(EDR_EVENT_BPF_PROG, 5, 26, "t", 7, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_fstr(FV(&v, BPF_LOAD, PROGRAM_TYPE), "tracing");
	n = make_bpf(EDR_EVENT_BPF_MAP, 0, 2, "m", 3, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_BPF_LOAD);
	assert_fstr(FV(&v, BPF_LOAD, COMMAND), "BPF_MAP_CREATE");
	assert_false(FV(&v, BPF_LOAD, PROGRAM_TYPE)->set);
	assert_false(FV(&v, BPF_LOAD, PROGRAM_NAME)->set);

	/* mounts feed no category */
	n = make_mount("tmpfs", "x", "/mnt", 0, 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);
}

static void test_ecs_kern(void **state)
{
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_module(NULL, "/tmp/rk.ko", 0, -ENOEXEC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"driver\"]");
	assert_has(s, "\"action\":\"module-load\"");
	assert_has(s, "\"outcome\":\"failure\"");
	assert_has(s, "\"module\":{\"path\":\"/tmp/rk.ko\",\"syscall\":\"finit_module\",\"fd\":3,"
		      "\"load_flags\":0,\"result\":-8,\"attach_path\":\"tracepoint\"}");
	free(s);
	n = make_module("rk", NULL, EDR_KERN_FROM_MEMORY | EDR_KERN_ATTEMPT, 0);
	((struct edr_module *)buf)->hdr.flags = EDR_SRC_LSM;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"outcome\":\"unknown\"");
	assert_has(s, "\"module\":{\"name\":\"rk\",\"syscall\":\"init_module\",\"attempt\":true,"
		      "\"attach_path\":\"lsm\"}");
	free(s);

	n = make_bpf(EDR_EVENT_BPF_PROG, 5, 1, "edrtest", 9, 0);
	((struct edr_bpf *)buf)->insn_cnt = 2;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"action\":\"bpf-prog-load\"");
	assert_has(s, "\"outcome\":\"success\"");
	assert_has(s, "\"bpf\":{\"command\":\"BPF_PROG_LOAD\",\"program\":{\"type\":\"socket_filter\","
		      "\"name\":\"edrtest\",\"attach_type\":0,\"insn_count\":2,\"flags\":0},\"result\":9,"
		      "\"attach_path\":\"tracepoint\"}");
	free(s);
	n = make_bpf(EDR_EVENT_BPF_MAP, 0, 999, "0123456789abcdef", 0,
		     EDR_KERN_ATTEMPT);
	((struct edr_bpf *)buf)->hdr.flags = EDR_SRC_KPROBE;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"bpf-map-create\"");
	/* an unknown type as its number; a name that filled all 16 bytes */
	assert_has(s, "\"map\":{\"type\":999,\"name\":\"0123456789abcdef\",\"key_size\":0");
	assert_has(s, "\"attempt\":true,\"attach_path\":\"kprobe\"");
	free(s);

	n = make_mount("tmpfs", "edrtest", "/mnt/x", 6, 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"action\":\"mount\"");
	assert_has(s, "\"mount\":{\"source\":\"edrtest\",\"target\":\"/mnt/x\",\"fstype\":\"tmpfs\","
		      "\"syscall\":\"mount\",\"flags\":6,\"options\":[\"nosuid\",\"nodev\"],\"result\":0,"
		      "\"attach_path\":\"tracepoint\"}");
	free(s);
	n = make_mount("tmpfs", "edrnew", "/mnt/y", 4, EDR_KERN_MOVE_MOUNT, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"mount\":{\"source\":\"edrnew\",\"target\":\"/mnt/y\",\"fstype\":\"tmpfs\","
		      "\"syscall\":\"move_mount\",\"flags\":4,\"result\":0,");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_module),
		cmocka_unit_test(test_decode_bpf),
		cmocka_unit_test(test_decode_mount),
		cmocka_unit_test(test_sigma_kern),
		cmocka_unit_test(test_ecs_kern),
	};

	return cmocka_run_group_tests_name("kern_events", tests, NULL, NULL);
}
