// SPDX-License-Identifier: GPL-2.0-only
/* Event decoding from synthetic records built with edr_event.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/decode.h"
#include "sensor/family/family.h"
#include "tests/unit/event_util.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE + 64];

/* Builds an exec record with the given tail strings; returns its size. */
static size_t make_exec(const char *filename, const char *path, const char *cwd, const char *argv,
			size_t argv_len)
{
	return ev_exec_record(buf, filename, path, cwd, argv, argv_len);
}

static void test_exec_ok(void **state)
{
	size_t n = make_exec("/bin/echo", "/usr/bin/echo", "/tmp", "echo\0a b\0", 9);
	struct edr_decoded d;
	const char *arg;
	uint32_t pos = 0;
	int len;

	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.type, EDR_EVENT_EXEC);
	assert_int_equal(d.task->tgid, 42);
	assert_string_equal(d.filename.p, "/bin/echo");
	assert_int_equal(d.filename.len, 9);
	assert_string_equal(d.path.p, "/usr/bin/echo");
	assert_string_equal(d.cwd.p, "/tmp");
	assert_int_equal(d.argv.len, 8);
	len = edr_argv_next(&d.argv, &pos, &arg);
	assert_int_equal(len, 4);
	assert_memory_equal(arg, "echo", 4);
	len = edr_argv_next(&d.argv, &pos, &arg);
	assert_int_equal(len, 3);
	assert_memory_equal(arg, "a b", 3);
	assert_int_equal(edr_argv_next(&d.argv, &pos, &arg), -1);
}

static void test_argv_empty_args(void **state)
{
	/* "", "x", "" : three args, two of them empty */
	size_t n = make_exec("/f", "/f", "/", "\0x\0\0", 4);
	struct edr_decoded d;
	const char *arg;
	uint32_t pos = 0;

	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(edr_argv_next(&d.argv, &pos, &arg), 0);
	assert_int_equal(edr_argv_next(&d.argv, &pos, &arg), 1);
	assert_int_equal(edr_argv_next(&d.argv, &pos, &arg), 0);
	assert_int_equal(edr_argv_next(&d.argv, &pos, &arg), -1);
}

static void test_truncated(void **state)
{
	size_t n = make_exec("/bin/echo", "/usr/bin/echo", "/tmp", "echo\0", 5);
	struct edr_decoded d;
	size_t cut;

	/* Every prefix of a valid record is refused, none is read past. */
	for (cut = 0; cut < n; cut++)
		assert_int_not_equal(edr_decode(buf, cut, &d), EDR_DECODE_OK);
	assert_int_equal(edr_decode(buf, 10, &d), EDR_DECODE_SHORT);
	assert_int_equal(edr_decode(buf, n - 1, &d), EDR_DECODE_SIZE);
}

static void test_oversized(void **state)
{
	size_t n = make_exec("/a", "/a", "/", "a\0", 2);
	struct edr_exec *e = (void *)buf;
	struct edr_decoded d;

	/* Record longer than its header says. */
	assert_int_equal(edr_decode(buf, n + 8, &d), EDR_DECODE_SIZE);
	/* Tail lengths claiming more than the record holds. */
	e->argv_len = 60000;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	/* Tail shorter than the record: trailing bytes. */
	make_exec("/a", "/a", "/", "a\0", 2);
	e->hdr.size = n + 4;
	assert_int_equal(edr_decode(buf, n + 4, &d), EDR_DECODE_TAIL);
	/* Beyond the ABI maximum. */
	e->hdr.size = EDR_EVENT_MAX_SIZE + 8;
	assert_int_equal(edr_decode(buf, EDR_EVENT_MAX_SIZE + 8, &d), EDR_DECODE_SIZE);
}

static void test_wrong_version_and_type(void **state)
{
	size_t n = make_exec("/a", "/a", "/", "a\0", 2);
	struct edr_exec *e = (void *)buf;
	struct edr_decoded d;

	e->hdr.version = EDR_ABI_VERSION + 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_VERSION);
	e->hdr.version = EDR_ABI_VERSION;
	e->hdr.type = 999;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TYPE);
	e->hdr.type = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TYPE);
}

static void test_unterminated_string(void **state)
{
	size_t n = make_exec("/bin/echo", "/usr/bin/echo", "/tmp", "x\0", 2);
	struct edr_decoded d;

	buf[sizeof(struct edr_exec) + 9] = 'X'; /* filename's NUL */
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_exec("/bin/echo", "/usr/bin/echo", "/tmp", "x\0", 2);
	buf[sizeof(struct edr_exec) + 3] = 0; /* NUL inside the filename */
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	/* argv without a final NUL */
	n = make_exec("/a", "/a", "/", "ab", 2);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
}

static void test_fork_exit(void **state)
{
	struct edr_fork *f = (void *)buf;
	struct edr_exit *x = (void *)buf;
	struct edr_decoded d;

	memset(buf, 0, sizeof(buf));
	f->hdr.type = EDR_EVENT_FORK;
	f->hdr.version = EDR_ABI_VERSION;
	f->hdr.size = sizeof(*f);
	f->parent_tgid = 1;
	f->child_tgid = 2;
	assert_int_equal(edr_decode(buf, sizeof(*f), &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_int_equal(EDR_REC(&d, fork)->child_tgid, 2);
	f->hdr.size = sizeof(*f) + 8;
	assert_int_equal(edr_decode(buf, sizeof(*f) + 8, &d), EDR_DECODE_SIZE);

	memset(buf, 0, sizeof(buf));
	x->hdr.type = EDR_EVENT_EXIT;
	x->hdr.version = EDR_ABI_VERSION;
	x->hdr.size = sizeof(*x);
	x->exit_code = 7 << 8;
	assert_int_equal(edr_decode(buf, sizeof(*x), &d), EDR_DECODE_OK);
	assert_int_equal(EDR_REC(&d, exit)->exit_code >> 8, 7);
	assert_int_equal(edr_decode(buf, sizeof(*x) - 1, &d), EDR_DECODE_SIZE);
	assert_int_equal(edr_decode(NULL, 0, &d), EDR_DECODE_SHORT);
}

/* A file record: path, then old_path (NULL: absent); returns its size. */
static size_t make_file(uint16_t type, const char *path, const char *old_path)
{
	struct edr_file *f = (void *)buf;
	size_t off = sizeof(*f);

	memset(buf, 0, sizeof(buf));
	f->hdr.type = type;
	f->hdr.version = EDR_ABI_VERSION;
	f->task.tgid = 7;
	if (path) {
		f->path_len = strlen(path) + 1;
		memcpy(buf + off, path, f->path_len);
		off += f->path_len;
	}
	if (old_path) {
		f->old_path_len = strlen(old_path) + 1;
		memcpy(buf + off, old_path, f->old_path_len);
		off += f->old_path_len;
	}
	f->hdr.size = off;
	return off;
}

static void test_file_ok(void **state)
{
	static const uint16_t types[] = { EDR_EVENT_FILE_CREATE, EDR_EVENT_FILE_WRITE, EDR_EVENT_FILE_UNLINK,
					  EDR_EVENT_FILE_CHMOD, EDR_EVENT_FILE_CHOWN };
	struct edr_decoded d;
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = make_file(types[i], "/tmp/x", NULL);
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
		assert_int_equal(d.type, types[i]);
		assert_ptr_equal(d.rec, buf);
		assert_int_equal(d.task->tgid, 7);
		assert_string_equal(d.path.p, "/tmp/x");
		assert_int_equal(d.path.len, 6);
		assert_null(d.old_path.p);
		assert_false(EDR_IN_FAMILY(&d, EXEC));
	}
	n = make_file(EDR_EVENT_FILE_RENAME, "/tmp/new", "/tmp/old");
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_string_equal(d.path.p, "/tmp/new");
	assert_string_equal(d.old_path.p, "/tmp/old");
	assert_int_equal(d.old_path.len, 8);
}

static void test_file_bad(void **state)
{
	struct edr_file *f = (void *)buf;
	struct edr_decoded d;
	size_t n;

	/* every file record names its file; only a rename has a source */
	n = make_file(EDR_EVENT_FILE_UNLINK, NULL, NULL);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	n = make_file(EDR_EVENT_FILE_RENAME, "/a", NULL);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	n = make_file(EDR_EVENT_FILE_CHMOD, "/a", "/b");
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	/* fixed part cut short */
	n = make_file(EDR_EVENT_FILE_WRITE, "/a", NULL);
	f->hdr.size = sizeof(*f) - 1;
	assert_int_equal(edr_decode(buf, sizeof(*f) - 1, &d), EDR_DECODE_SHORT);
	/* a length running past the record, and bytes left over */
	n = make_file(EDR_EVENT_FILE_WRITE, "/a", NULL);
	f->path_len = 0xffff;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	n = make_file(EDR_EVENT_FILE_WRITE, "/abc", NULL);
	f->path_len = 2;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_file(EDR_EVENT_FILE_WRITE, "/a", NULL);
	buf[n] = 0;
	f->hdr.size = n + 1;
	assert_int_equal(edr_decode(buf, n + 1, &d), EDR_DECODE_TAIL);
	/* a NUL inside a path */
	n = make_file(EDR_EVENT_FILE_CREATE, "/a/b", NULL);
	buf[sizeof(*f) + 2] = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	/* the type after the last one is unknown */
	n = make_file(_EDR_EVENT_MAX, "/a", NULL);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TYPE);
}

/* Hard links and symlinks carry a second path, like a rename. */
static void test_link_decode(void **state)
{
	static const uint16_t types[] = { EDR_EVENT_FILE_LINK, EDR_EVENT_FILE_SYMLINK };
	struct edr_decoded d;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = make_file(types[i], "/tmp/new", "../rel target");
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
		assert_int_equal(d.type, types[i]);
		assert_ptr_equal(d.rec, buf);
		assert_string_equal(d.path.p, "/tmp/new");
		assert_string_equal(d.old_path.p, "../rel target");
		assert_int_equal(d.old_path.len, 13);
		n = make_file(types[i], "/tmp/new", NULL);
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
		n = make_file(types[i], NULL, "/tmp/old");
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	}
}

static size_t make_memfd(const char *name, size_t name_len)
{
	struct edr_memfd *m = (void *)buf;
	size_t off = sizeof(*m);

	memset(buf, 0, sizeof(buf));
	m->hdr.type = EDR_EVENT_MEMFD_CREATE;
	m->hdr.version = EDR_ABI_VERSION;
	m->task.tgid = 9;
	m->mfd_flags = 3;
	m->ret = 5;
	m->name_len = name_len;
	memcpy(buf + off, name, name_len);
	off += name_len;
	m->hdr.size = off;
	return off;
}

static void test_memfd_decode(void **state)
{
	struct edr_memfd *m = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make_memfd("edrtest", 8);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_false(EDR_IN_FAMILY(&d, FILE_CREATE));
	assert_int_not_equal(d.type, EDR_EVENT_MEM_WX);
	assert_int_equal(d.task->tgid, 9);
	assert_string_equal(d.name.p, "edrtest");
	assert_int_equal(d.name.len, 7);
	assert_int_equal(EDR_REC(&d, memfd)->ret, 5);
	/* an empty name is "" (1 byte); an unreadable one is absent */
	n = make_memfd("", 1);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.name.len, 0);
	n = make_memfd("", 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_null(d.name.p);
	/* short fixed part, a length past the end, no NUL, bytes left over */
	n = make_memfd("a", 2);
	m->hdr.size = sizeof(*m) - 1;
	assert_int_equal(edr_decode(buf, sizeof(*m) - 1, &d), EDR_DECODE_SHORT);
	n = make_memfd("a", 2);
	m->name_len = 0xffff;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	n = make_memfd("abc", 3);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_memfd("a\0b", 4);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_memfd("a", 2);
	m->name_len = 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_memfd("a", 2);
	buf[n] = 0;
	m->hdr.size = n + 1;
	assert_int_equal(edr_decode(buf, n + 1, &d), EDR_DECODE_TAIL);
}

static size_t make_wx(const char *path)
{
	struct edr_mem_wx *w = (void *)buf;
	size_t off = sizeof(*w);

	memset(buf, 0, sizeof(buf));
	w->hdr.type = EDR_EVENT_MEM_WX;
	w->hdr.version = EDR_ABI_VERSION;
	w->task.tgid = 11;
	w->op = EDR_MEM_OP_MPROTECT;
	w->addr = 0x7f0000001000ull;
	w->len = 8192;
	w->prot = 7;
	if (path) {
		w->path_len = strlen(path) + 1;
		memcpy(buf + off, path, w->path_len);
		off += w->path_len;
	}
	w->hdr.size = off;
	return off;
}

static void test_wx_decode(void **state)
{
	struct edr_mem_wx *w = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make_wx(NULL);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_ptr_equal(d.rec, buf);
	assert_null(d.path.p);
	assert_int_equal(EDR_REC(&d, mem_wx)->addr, 0x7f0000001000ull);
	n = make_wx("/usr/lib/x.so");
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_string_equal(d.path.p, "/usr/lib/x.so");
	/* short, overrun, unterminated, leftover */
	n = make_wx(NULL);
	assert_int_equal(edr_decode(buf, sizeof(*w) - 8, &d), EDR_DECODE_SIZE);
	w->hdr.size = sizeof(*w) - 8;
	assert_int_equal(edr_decode(buf, sizeof(*w) - 8, &d), EDR_DECODE_SHORT);
	n = make_wx("/a");
	w->path_len = 200;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_TAIL);
	n = make_wx("/abc");
	w->path_len = 3;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_STRING);
	n = make_wx("/a");
	buf[n] = 0;
	w->hdr.size = n + 1;
	assert_int_equal(edr_decode(buf, n + 1, &d), EDR_DECODE_TAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_decode),
		cmocka_unit_test(test_memfd_decode),
		cmocka_unit_test(test_wx_decode),
		cmocka_unit_test(test_exec_ok),
		cmocka_unit_test(test_argv_empty_args),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_wrong_version_and_type),
		cmocka_unit_test(test_unterminated_string),
		cmocka_unit_test(test_fork_exit),
		cmocka_unit_test(test_file_ok),
		cmocka_unit_test(test_file_bad),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
