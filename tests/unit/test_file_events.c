// SPDX-License-Identifier: GPL-2.0-only
/*
 * File events downstream of the decoder: the Sigma view of each file
 * category, the ECS JSON record, and the user-space resolution of a path
 * the kernel left relative to a directory fd.
 */
#include <errno.h>
#include <limits.h>
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

#include "tests/unit/event_util.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

static size_t make(uint16_t type, const char *path, const char *old_path, uint32_t flags)
{
	struct edr_file *f = (void *)buf;
	size_t n = ev_file_record(buf, type, path, old_path, flags);

	f->task.tgid = 4242;
	f->task.pid = 4243;
	f->task.ppid = 1;
	f->task.uid = 1000;
	f->task.auid = f->task.sessionid = (uint32_t)-1;
	memcpy(f->task.comm, "mv", 3);
	return n;
}

static struct edr_proc proc = {
	.tgid = 4242, .ppid = 1, .exe = "/usr/bin/mv", .args = "mv\0-f\0a", .args_len = 7,
	.entity_id = "e1",
};

static void test_sigma_categories(void **state)
{
	static struct edr_sigma_view v;
	struct edr_decoded d;
	size_t n;

	n = make(EDR_EVENT_FILE_CREATE, "/etc/cron.d/x", NULL, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "alice", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_EVENT);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(FILE_EVENT));
	assert_fstr(FV(&v, FILE_EVENT, TARGET_FILENAME), "/etc/cron.d/x");
	assert_false(FV(&v, FILE_EVENT, SOURCE_FILENAME)->set);
	assert_fstr(FV(&v, FILE_EVENT, IMAGE), "/usr/bin/mv");
	assert_fstr(FV(&v, FILE_EVENT, COMMAND_LINE), "mv -f a");
	assert_fstr(FV(&v, FILE_EVENT, USER), "alice");
	assert_int_equal(FV(&v, FILE_EVENT, PROCESS_ID)->n, 4242);

	/* a write is a file_event too; unknown user: the uid */
	n = make(EDR_EVENT_FILE_WRITE, "/etc/passwd", NULL, EDR_FILE_TRUNCATE);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_EVENT);
	assert_fstr(FV(&v, FILE_EVENT, USER), "1000");
	assert_false(FV(&v, FILE_EVENT, IMAGE)->set);

	n = make(EDR_EVENT_FILE_UNLINK, "/var/log/auth.log", NULL, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "alice", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_DELETE);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(FILE_DELETE));
	assert_fstr(FV(&v, FILE_DELETE, TARGET_FILENAME), "/var/log/auth.log");
	assert_fstr(FV(&v, FILE_DELETE, IMAGE), "/usr/bin/mv");

	n = make(EDR_EVENT_FILE_RENAME, "/etc/shadow", "/tmp/s", 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "alice", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_RENAME);
	assert_fstr(FV(&v, FILE_RENAME, TARGET_FILENAME), "/etc/shadow");
	assert_fstr(FV(&v, FILE_RENAME, SOURCE_FILENAME), "/tmp/s");
	assert_int_equal(FV(&v, FILE_RENAME, PROCESS_ID)->n, 4242);
}

static void test_sigma_change(void **state)
{
	static struct edr_sigma_view v;
	struct edr_file *f = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make(EDR_EVENT_FILE_CHMOD, "/tmp/sh", NULL, EDR_FILE_SETID);
	f->mode = 0104755; /* type bits never reach NewMode */
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_CHANGE);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(FILE_CHANGE));
	assert_fstr(FV(&v, FILE_CHANGE, TARGET_FILENAME), "/tmp/sh");
	assert_int_equal(FV(&v, FILE_CHANGE, NEW_MODE)->n, 04755);
	assert_fstr(FV(&v, FILE_CHANGE, NEW_MODE), "2541");
	assert_false(FV(&v, FILE_CHANGE, NEW_UID)->set);
	assert_false(FV(&v, FILE_CHANGE, NEW_GID)->set);

	/* chown to root, group unchanged (-1): no NewGid to match */
	n = make(EDR_EVENT_FILE_CHOWN, "/tmp/sh", NULL, 0);
	f->uid = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_CHANGE);
	assert_true(FV(&v, FILE_CHANGE, NEW_UID)->set);
	assert_int_equal(FV(&v, FILE_CHANGE, NEW_UID)->n, 0);
	assert_false(FV(&v, FILE_CHANGE, NEW_GID)->set);
	assert_false(FV(&v, FILE_CHANGE, NEW_MODE)->set);
}

static void test_ecs_records(void **state)
{
	struct edr_file *f = (void *)buf;
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make(EDR_EVENT_FILE_RENAME, "/etc/cron.d/job", "/tmp/job", EDR_FILE_ATTEMPT);
	f->hdr.flags = EDR_SRC_LSM;
	f->mode = 0100644;
	f->ino = 77;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"file\"]");
	assert_has(s, "\"type\":[\"change\"]");
	assert_has(s, "\"action\":\"file-rename\"");
	assert_has(s, "\"file\":{\"path\":\"/etc/cron.d/job\",\"name\":\"job\",\"directory\":\"/etc/cron.d\","
		      "\"mode\":\"0644\",\"inode\":\"77\",\"type\":\"file\"}");
	assert_has(s, "\"file\":{\"old_path\":\"/tmp/job\",\"attempt\":true,\"source\":\"lsm\"}");
	assert_has(s, "\"executable\":\"/usr/bin/mv\"");
	free(s);

	/* a file at the root; a chmod's mode; creation and deletion types */
	n = make(EDR_EVENT_FILE_CHMOD, "/x", NULL, EDR_FILE_SETID);
	f->mode = 04755;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"file\":{\"path\":\"/x\",\"name\":\"x\",\"directory\":\"/\",\"mode\":\"4755\"}");
	assert_has(s, "\"setid\":true");
	assert_has(s, "\"source\":\"tracepoint\"");
	free(s);
	n = make(EDR_EVENT_FILE_CREATE, "/tmp/n", NULL, EDR_FILE_PATH_TRUNC);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"type\":[\"creation\"]");
	assert_has(s, "\"path_truncated\":true");
	free(s);
	n = make(EDR_EVENT_FILE_UNLINK, "/tmp/d", NULL, EDR_FILE_DIR);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"type\":[\"deletion\"]");
	assert_has(s, "\"action\":\"file-delete\"");
	assert_has(s, "\"type\":\"dir\"");
	free(s);
}

/* A fake /proc: PID/fd/N links to a directory, as the kernel's do. */
static void test_resolve_relative(void **state)
{
	char root[] = "/tmp/edr-proc-XXXXXX", p[PATH_MAX], rb[2][EDR_RESOLVE_MAX];
	struct edr_file *f = (void *)buf;
	struct edr_decoded d;
	size_t n;

	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/4242", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/4242/fd", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/4242/fd/5", root);
	assert_int_equal(symlink("/srv/data", p), 0);
	snprintf(p, sizeof(p), "%s/4242/fd/6", root);
	assert_int_equal(symlink("/", p), 0);
	snprintf(p, sizeof(p), "%s/4242/fd/7", root);
	assert_int_equal(symlink("anon_inode:[eventfd]", p), 0);

	n = make(EDR_EVENT_FILE_RENAME, "new", "sub/old",
		 EDR_FILE_PATH_RELATIVE | EDR_FILE_OLD_PATH_RELATIVE);
	f->dirfd = 5;
	f->old_dirfd = 6;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(edr_file_resolve(&d, root, rb), 2);
	assert_string_equal(d.path.p, "/srv/data/new");
	assert_int_equal(d.path.len, strlen("/srv/data/new"));
	assert_string_equal(d.old_path.p, "/sub/old");

	/* not a directory link, a closed fd, no flag: left as they are */
	n = make(EDR_EVENT_FILE_UNLINK, "x", NULL, EDR_FILE_PATH_RELATIVE);
	f->dirfd = 7;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(edr_file_resolve(&d, root, rb), 0);
	assert_string_equal(d.path.p, "x");
	f->dirfd = 9;
	assert_int_equal(edr_file_resolve(&d, root, rb), 0);
	f->dirfd = -100;
	assert_int_equal(edr_file_resolve(&d, root, rb), 0);
	n = make(EDR_EVENT_FILE_UNLINK, "x", NULL, 0);
	f->dirfd = 5;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(edr_file_resolve(&d, root, rb), 0);
	assert_string_equal(d.path.p, "x");

	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigma_categories),
		cmocka_unit_test(test_sigma_change),
		cmocka_unit_test(test_ecs_records),
		cmocka_unit_test(test_resolve_relative),
	};

	return cmocka_run_group_tests_name("file_events", tests, NULL, NULL);
}
