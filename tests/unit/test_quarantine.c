// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quarantine store: put/list/restore round trip (content, mode, owner,
 * mtime), refusals (symlink, FIFO, directory, too big, a store writable by
 * others), restore refusing to overwrite, a move across filesystems (a
 * tmpfs file into a store on disk, and back), the meta parser.
 * Runs without root; as root the owner round trip uses another uid.
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
#include <sys/statfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensor/enrich/hashcache.h"
#include "sensor/response/quarantine.h"

#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static char dir[] = "/var/tmp/edr-test-quarantine-XXXXXX";
static char store[256];
static char err[512];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(store, sizeof(store), "%s/store/q", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_content(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	assert_string_equal(buf, want);
}

static int open_store(void)
{
	int dfd;

	assert_int_equal(edr_quarantine__open(store, &dfd, err, sizeof(err)), 0);
	return dfd;
}

static void round_trip(const char *src)
{
	struct edr_quarantine_item it, back, *items;
	struct stat before, st;
	uid_t uid = geteuid() ? geteuid() : 4321;
	gid_t gid = geteuid() ? getegid() : 4322;
	char fpath[512];
	size_t n;
	int dfd = open_store();

	write_file(src, "abc", 04751);
	assert_int_equal(chown(src, uid, gid), 0);
	assert_int_equal(chmod(src, 04751), 0); /* chown cleared set-uid */
	assert_int_equal(stat(src, &before), 0);
	assert_int_equal(edr_quarantine__put(dfd, src, "r-1", "bad \"tool\"\n", 0, &it, err,
					     sizeof(err)), 0);
	assert_int_equal(strlen(it.id), 16);
	assert_string_equal(it.sha256, SHA_ABC);
	assert_int_equal(it.mode, 04751);
	assert_int_equal(it.uid, uid);
	assert_int_equal(it.size, 3);
	/* Gone from its place; in the store with mode 0000. */
	assert_int_equal(lstat(src, &st), -1);
	snprintf(fpath, sizeof(fpath), "%s/%s/file", store, it.id);
	assert_int_equal(stat(fpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0);
	snprintf(fpath, sizeof(fpath), "%s/%s", store, it.id);
	assert_int_equal(stat(fpath, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	assert_int_equal(edr_quarantine__list(dfd, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].id, it.id);
	assert_string_equal(items[0].path, src);
	assert_string_equal(items[0].rule_name, "bad \"tool\"\n");
	assert_memory_equal(&items[0], &it, sizeof(it));
	free(items);

	assert_int_equal(edr_quarantine__restore(dfd, it.id, 0, &back, err, sizeof(err)), 0);
	assert_content(src, "abc");
	assert_int_equal(stat(src, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04751);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	assert_int_equal(edr_quarantine__list(dfd, &items, &n), 0);
	assert_int_equal(n, 0);
	free(items);
	assert_int_equal(access(fpath, F_OK), -1); /* the item is gone */
	unlink(src);
	close(dfd);
}

static void test_round_trip(void **state)
{
	char src[256];

	snprintf(src, sizeof(src), "%s/victim", dir);
	round_trip(src);
}

/* A tmpfs file into a store on disk: copied, fsync'ed, original unlinked. */
static void test_cross_filesystem(void **state)
{
	struct statfs a, b;
	char src[256];

	assert_int_equal(statfs(dir, &a), 0);
	if (statfs("/dev/shm", &b) || a.f_type == b.f_type) {
		print_message("no tmpfs at /dev/shm beside a disk store, skipped\n");
		skip();
	}
	snprintf(src, sizeof(src), "/dev/shm/edr-test-quarantine-%d", getpid());
	round_trip(src);
}

static void test_refusals(void **state)
{
	struct edr_quarantine_item it, *items;
	char p[256], big[256];
	size_t n;
	int dfd = open_store();

	snprintf(p, sizeof(p), "%s/link", dir);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	assert_int_equal(edr_quarantine__put(dfd, p, "r", "n", 0, &it, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(access("/etc/passwd", R_OK), 0);

	snprintf(p, sizeof(p), "%s/fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(edr_quarantine__put(dfd, p, "r", "n", 0, &it, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	snprintf(p, sizeof(p), "%s/adir", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(edr_quarantine__put(dfd, p, "r", "n", 0, &it, err, sizeof(err)), -EISDIR);

	snprintf(big, sizeof(big), "%s/big", dir);
	write_file(big, "0123456789", 0644);
	assert_int_equal(edr_quarantine__put(dfd, big, "r", "n", 9, &it, err, sizeof(err)), -EFBIG);
	assert_int_equal(access(big, F_OK), 0);

	assert_true(edr_quarantine__put(dfd, "relative", "r", "n", 0, &it, err, sizeof(err)) < 0);
	assert_int_equal(edr_quarantine__list(dfd, &items, &n), 0);
	assert_int_equal(n, 0); /* nothing half-made left behind */
	free(items);
	close(dfd);
}

static void test_restore_no_overwrite(void **state)
{
	struct edr_quarantine_item it, back;
	char src[256];
	int dfd = open_store();

	snprintf(src, sizeof(src), "%s/again", dir);
	write_file(src, "abc", 0640);
	assert_int_equal(edr_quarantine__put(dfd, src, NULL, NULL, 0, &it, err, sizeof(err)), 0);
	write_file(src, "new", 0600);
	assert_int_equal(edr_quarantine__restore(dfd, it.id, 0, &back, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	assert_content(src, "new");
	assert_int_equal(edr_quarantine__restore(dfd, "0123456789abcdef", 0, &back, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(edr_quarantine__restore(dfd, "../../etc", 0, &back, err, sizeof(err)), -EINVAL);
	assert_int_equal(edr_quarantine__restore(dfd, "0123456789abcdef0", 0, &back, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(edr_quarantine__restore(dfd, it.id, 1, &back, err, sizeof(err)), 0);
	assert_content(src, "abc");
	unlink(src);
	close(dfd);
}

static void test_list_sorted(void **state)
{
	struct edr_quarantine_item it[3], *items;
	char src[256];
	size_t n, i;
	int dfd = open_store();

	for (i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s/s%zu", dir, i);
		write_file(src, "x", 0600);
		if (edr_quarantine__put(dfd, src, "r", "n", 0, &it[i], err, sizeof(err)))
			fail_msg("%s", err);
	}
	assert_int_equal(edr_quarantine__list(dfd, &items, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(items[i].id, it[i].id);
	free(items);
	for (i = 0; i < 3; i++)
		assert_int_equal(edr_quarantine__restore(dfd, it[i].id, 0, &it[i], err, sizeof(err)), 0);
	close(dfd);
}

static void test_open_refuses_open_store(void **state)
{
	char p[256];
	int dfd;

	snprintf(p, sizeof(p), "%s/wide", dir);
	assert_int_equal(mkdir(p, 0777), 0);
	assert_int_equal(chmod(p, 0777), 0);
	if (edr_quarantine__open(p, &dfd, err, sizeof(err)) >= 0)
		fail_msg("opened %s", p);
	assert_non_null(strstr(err, "writable"));
	assert_int_equal(dfd, -1);
	snprintf(p, sizeof(p), "%s/fresh/q", dir);
	assert_int_equal(edr_quarantine__open(p, &dfd, err, sizeof(err)), 0);
	close(dfd);
}

static void test_meta_parse(void **state)
{
	struct edr_quarantine_item it = { .id = "0123456789abcdef", .mode = 0755, .uid = 1,
					  .gid = 2, .size = 3, .mtime = 4, .qtime = 5,
					  .sha256 = SHA_ABC, .rule_id = "id", .rule_name = "n\\\"\x01\xc3\xa9" };
	struct edr_quarantine_item back;
	char *text;

	/* A path that is not UTF-8 comes back byte for byte (path_hex). */
	snprintf(it.path, sizeof(it.path), "/tmp/\xff\xfe name\n");
	text = edr_quarantine_meta_format(&it);
	assert_non_null(text);
	assert_int_equal(edr_quarantine_meta_parse(text, strlen(text), &back), 0);
	assert_memory_equal(&it, &back, sizeof(it));
	free(text);

	static const char *const bad[] = {
		"", "{", "{}", "[]", "{\"id\":\"0123456789abcdeg\",\"path\":\"/x\"}",
		"{\"id\":\"0123456789abcdef\"}",                            /* no path */
		"{\"id\":\"0123456789abcdef\",\"path\":\"x\"}",             /* relative */
		"{\"id\":\"0123456789abcdef\",\"path\":\"/x\",\"mode\":99999}",
		"{\"id\":\"0123456789abcdef\",\"path\":\"/x\",\"uid\":4294967296}",
		"{\"id\":\"0123456789abcdef\",\"path\":\"/x\\u0000\"}",
		"{\"id\":\"0123456789abcdef\",\"path\":\"/x\",\"path_hex\":\"2f0\"}",
		"{\"id\":\"0123456789abcdef\",\"path\":\"/x\"} trailing",
		"{\"id\":\"0123456789abcdef\",\"path\":\"/\\ud800\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(edr_quarantine_meta_parse(bad[i], strlen(bad[i]), &back), -EINVAL);
	const char *ok = " {\"id\" : \"0123456789abcdef\", \"extra\": \"\\u00e9\\ud83d\\ude00\", "
			 "\"n\": 12, \"path\":\"/a\\/b\"} ";
	assert_int_equal(edr_quarantine_meta_parse(ok, strlen(ok), &back), 0);
	assert_string_equal(back.path, "/a/b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cross_filesystem),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_restore_no_overwrite),
		cmocka_unit_test(test_list_sorted),
		cmocka_unit_test(test_open_refuses_open_store),
		cmocka_unit_test(test_meta_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
