// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory, fileless-exec, link and old-mode events downstream of the
 * decoder: the Sigma views (fileless_exec beside process_creation, links
 * as file_event) and the ECS JSON records.
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

static void fill_task(struct edr_task *t)
{
	t->tgid = 4242;
	t->pid = 4242;
	t->ppid = 1;
	t->uid = 33;
	t->auid = t->sessionid = (uint32_t)-1;
	memcpy(t->comm, "x", 2);
}

/* An exec record: path as the kernel side wrote it, argv "x\0-d". */
static size_t make_exec(const char *path, uint32_t flags)
{
	struct edr_exec *e = (void *)buf;
	size_t off = sizeof(*e);
	static const char argv[] = "x\0-d";

	memset(buf, 0, sizeof(buf));
	e->hdr.type = EDR_EVENT_EXEC;
	e->hdr.version = EDR_ABI_VERSION;
	fill_task(&e->task);
	e->flags = flags;
	e->filename_len = 10;
	memcpy(buf + off, "/dev/fd/3", 10);
	off += e->filename_len;
	e->path_len = strlen(path) + 1;
	memcpy(buf + off, path, e->path_len);
	off += e->path_len;
	e->argv_len = sizeof(argv);
	memcpy(buf + off, argv, sizeof(argv));
	off += sizeof(argv);
	e->hdr.size = off;
	return off;
}

static void test_fileless_sigma(void **state)
{
	static struct edr_sigma_view v;
	struct edr_decoded d;
	size_t n;

	n = make_exec("/memfd:a (deleted)", EDR_EXEC_MEMFD);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	/* process_creation as before, with the image as the kernel shows it */
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, "www-data", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_PROCESS_CREATION);
	assert_fstr(FV(&v, PROCESS_CREATION, IMAGE), "/memfd:a (deleted)");
	/* and fileless_exec: what rules/default/fileless_memfd_exec.yml compares */
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, "www-data", NULL, NULL, 1), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILELESS_EXEC);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(FILELESS_EXEC));
	assert_fstr(FV(&v, FILELESS_EXEC, KIND), "memfd");
	assert_fstr(FV(&v, FILELESS_EXEC, NAME), "a");
	assert_fstr(FV(&v, FILELESS_EXEC, IMAGE), "/memfd:a (deleted)");
	assert_fstr(FV(&v, FILELESS_EXEC, USER), "www-data");
	assert_fstr(FV(&v, FILELESS_EXEC, COMMAND_LINE), "x -d");
	assert_int_equal(FV(&v, FILELESS_EXEC, PROCESS_ID)->n, 4242);

	/* runc's self-clone keeps its name, colon and all */
	n = make_exec("/memfd:runc_cloned:/proc/self/exe (deleted)", EDR_EXEC_MEMFD);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 1), 0);
	assert_fstr(FV(&v, FILELESS_EXEC, NAME), "runc_cloned:/proc/self/exe");
	assert_fstr(FV(&v, FILELESS_EXEC, USER), "33");

	/* a deleted file: its old path */
	n = make_exec("/tmp/.update (deleted)", EDR_EXEC_DELETED);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 1), 0);
	assert_fstr(FV(&v, FILELESS_EXEC, KIND), "deleted");
	assert_fstr(FV(&v, FILELESS_EXEC, NAME), "/tmp/.update");

	/* an ordinary exec has no fileless view */
	n = make_exec("/usr/bin/true", 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 1), -ENOENT);
}

static void test_fileless_ecs(void **state)
{
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_exec("/memfd:a (deleted)", EDR_EXEC_MEMFD);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"fileless\":\"memfd\"");
	free(s);
	n = make_exec("/tmp/x (deleted)", EDR_EXEC_DELETED);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"fileless\":\"deleted\"");
	free(s);
	n = make_exec("/usr/bin/true", 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "fileless");
	free(s);
}

static size_t make_file(uint16_t type, const char *path, const char *old_path, uint32_t flags)
{
	size_t n = ev_file_record(buf, type, path, old_path, flags);

	fill_task(&((struct edr_file *)buf)->task);
	return n;
}

static void test_links(void **state)
{
	static struct edr_sigma_view v;
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_file(EDR_EVENT_FILE_SYMLINK, "/etc/cron.d/x", "/tmp/payload", 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_EVENT);
	assert_fstr(FV(&v, FILE_EVENT, TARGET_FILENAME), "/etc/cron.d/x");
	assert_fstr(FV(&v, FILE_EVENT, SOURCE_FILENAME), "/tmp/payload");
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"file-symlink\"");
	assert_has(s, "\"type\":[\"creation\"]");
	assert_has(s, "\"old_path\":\"/tmp/payload\"");
	free(s);

	n = make_file(EDR_EVENT_FILE_LINK, "/tmp/h", "/etc/shadow", 0);
	((struct edr_file *)buf)->hdr.flags = EDR_SRC_LSM;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_fstr(FV(&v, FILE_EVENT, TARGET_FILENAME), "/tmp/h");
	assert_fstr(FV(&v, FILE_EVENT, SOURCE_FILENAME), "/etc/shadow");
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"file-link\"");
	assert_has(s, "\"file\":{\"old_path\":\"/etc/shadow\",\"source\":\"lsm\"}");
	free(s);
}

static void test_old_mode(void **state)
{
	struct edr_file *f = (void *)buf;
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_file(EDR_EVENT_FILE_CHMOD, "/tmp/sh", NULL, EDR_FILE_OLD_MODE | EDR_FILE_SETID);
	f->mode = 04755;
	f->old_mode = 0100755;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"mode\":\"4755\"");
	assert_has(s, "\"old_mode\":\"0755\"");
	free(s);
	/* unknown (chmod by name on the tracepoint path): no old_mode at all */
	n = make_file(EDR_EVENT_FILE_CHMOD, "/tmp/sh", NULL, 0);
	f->mode = 0644;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "old_mode");
	free(s);
}

static void test_memfd_ecs(void **state)
{
	struct edr_memfd *m = (void *)buf;
	struct edr_decoded d;
	size_t off = sizeof(*m);
	char *s;

	memset(buf, 0, sizeof(buf));
	m->hdr.type = EDR_EVENT_MEMFD_CREATE;
	m->hdr.version = EDR_ABI_VERSION;
	fill_task(&m->task);
	m->hdr.flags = EDR_SRC_FENTRY;
	m->flags = 0;
	m->mfd_flags = 0x3;
	m->ret = 7;
	m->name_len = 8;
	memcpy(buf + off, "edrtest", 8);
	m->hdr.size = off + 8;
	assert_int_equal(edr_decode(buf, off + 8, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"memfd-create\"");
	assert_has(s, "\"outcome\":\"success\"");
	assert_has(s, "\"file\":{\"name\":\"edrtest\"}");
	assert_has(s, "\"memfd\":{\"flags\":3,\"flag_names\":[\"MFD_CLOEXEC\",\"MFD_ALLOW_SEALING\"],"
		      "\"fd\":7,\"source\":\"fentry\"}");
	free(s);
	/* an attempt has no outcome and no fd */
	m->hdr.flags = EDR_SRC_KPROBE;
	m->flags = EDR_MEM_ATTEMPT;
	m->ret = 0;
	assert_int_equal(edr_decode(buf, off + 8, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "outcome");
	assert_lacks(s, "\"fd\"");
	assert_has(s, "\"attempt\":true,\"source\":\"kprobe\"");
	free(s);
	/* a return value no kernel gives is still rendered, not overflowed (found by fuzz_decode) */
	m->flags = 0;
	m->ret = INT32_MIN;
	assert_int_equal(edr_decode(buf, off + 8, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"error\":2147483648");
	free(s);
}

static void test_wx_ecs(void **state)
{
	struct edr_mem_wx *w = (void *)buf;
	struct edr_decoded d;
	size_t off = sizeof(*w);
	char *s;

	memset(buf, 0, sizeof(buf));
	w->hdr.type = EDR_EVENT_MEM_WX;
	w->hdr.version = EDR_ABI_VERSION;
	fill_task(&w->task);
	w->op = EDR_MEM_OP_MMAP;
	w->addr = 0x7f0000001000ull;
	w->len = 8192;
	w->prot = 7;
	w->mmap_flags = 0x22;
	w->ret = 0x7f0000001000ll;
	w->hdr.size = off;
	assert_int_equal(edr_decode(buf, off, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"memory-wx\"");
	assert_has(s, "\"outcome\":\"success\"");
	assert_has(s, "\"memory\":{\"syscall\":\"mmap\",\"address\":\"0x7f0000001000\",\"length\":8192,"
		      "\"prot\":\"rwx\",\"mmap_flags\":34,\"file_backed\":false,\"source\":\"tracepoint\"}");
	free(s);
	/* a failed mprotect of a file mapping */
	w->op = EDR_MEM_OP_MPROTECT;
	w->ret = -13;
	w->flags = EDR_MEM_FILE;
	w->ino = 99;
	w->path_len = 10;
	memcpy(buf + off, "/tmp/x.so", 10);
	w->hdr.size = off + 10;
	assert_int_equal(edr_decode(buf, off + 10, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"outcome\":\"failure\"");
	assert_has(s, "\"file\":{\"path\":\"/tmp/x.so\",\"name\":\"x.so\",\"inode\":99}");
	assert_has(s, "\"file_backed\":true,\"error\":13");
	free(s);
	/* lsm/mmap_file: no address */
	w->op = EDR_MEM_OP_MMAP;
	w->flags = EDR_MEM_ATTEMPT | EDR_MEM_ADDR_UNKNOWN;
	w->path_len = 0;
	w->hdr.size = off;
	assert_int_equal(edr_decode(buf, off, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "address");
	assert_lacks(s, "outcome");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fileless_sigma),
		cmocka_unit_test(test_fileless_ecs),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_old_mode),
		cmocka_unit_test(test_memfd_ecs),
		cmocka_unit_test(test_wx_ecs),
	};

	return cmocka_run_group_tests_name("mem_events", tests, NULL, NULL);
}
