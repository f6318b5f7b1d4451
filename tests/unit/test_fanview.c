// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Sigma views of a fanotify request against a fake /proc and passwd:
 * every pre-exec field from the right process (the exec'ing one or its
 * parent), names from passwd and numbers for unknown uids, CommandLine and
 * OriginalFileName unset, a vanished process.
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

#include "sensor/response/fanotify.h"
#include "sensor/sigma_map.h"

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/edr-test-fanview-XXXXXX";
static char proc[256], passwd[256];
static struct edr_sigma_view v;

static void put(const char *rel, const char *data, size_t len)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void link_(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
	char p[512];

	if (!mkdtemp(dir))
		return -1;
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	mkdir(proc, 0755);
	snprintf(p, sizeof(p), "%s/100", proc);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/50", proc);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/60", proc);
	mkdir(p, 0755);
	put("passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n", 67);
	put("proc/100/status", "Name:\tx\nUmask:\t0022\nPPid:\t50\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\n", 58);
	link_("/home/alice/work dir", "proc/100/cwd");
	link_("/usr/bin/old-image", "proc/100/exe");
	put("proc/100/cmdline", "old\0image\0", 10);
	put("proc/100/cgroup", "0::/system.slice/docker-" CID ".scope\n", 24 + 64 + 7);
	put("proc/50/status", "PPid:\t1\nUid:\t0\t0\t0\t0\n", 21);
	link_("/usr/bin/bash", "proc/50/exe");
	put("proc/50/cmdline", "bash\0-c\0run it\0", 15);
	/* A process whose uid passwd does not list. */
	put("proc/60/status", "PPid:\t50\nUid:\t4242\t0\t0\t0\n", 25);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void assert_field(int idx, const char *want)
{
	const struct edr_field_value *f = &v.f[idx];

	if (!want) {
		assert_false(f->set);
		return;
	}
	assert_true(f->set);
	assert_int_equal(f->len, strlen(want));
	assert_memory_equal(f->s, want, f->len);
}

static void test_exec_view(void **state)
{
	struct edr_fan_req req = { .kind = EDR_FAN_EXEC, .pid = 100, .fd = -1, .path = "/tmp/x/new" };
	const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

	assert_int_equal(edr_fan_exec_view_at(&v, &req, sha, proc, passwd), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_PROCESS_CREATION);
	assert_field(EDR_F_PROCESS_CREATION_IMAGE, "/tmp/x/new");
	assert_field(EDR_F_PROCESS_CREATION_USER, "alice");
	assert_field(EDR_F_PROCESS_CREATION_USER_ID, "1000");
	assert_field(EDR_F_PROCESS_CREATION_PROCESS_ID, "100");
	assert_field(EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID, "50");
	assert_field(EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY, "/home/alice/work dir");
	assert_field(EDR_F_PROCESS_CREATION_PARENT_IMAGE, "/usr/bin/bash");
	assert_field(EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE, "bash -c run it");
	assert_field(EDR_F_PROCESS_CREATION_PARENT_USER, "root");
	assert_field(EDR_F_PROCESS_CREATION_SHA256, sha);
	assert_field(EDR_F_PROCESS_CREATION_HASHES,
		     "SHA256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_field(EDR_F_PROCESS_CREATION_CONTAINER_ID, CID);
	/* Not known before the exec: the old image's must not leak in. */
	assert_field(EDR_F_PROCESS_CREATION_COMMAND_LINE, NULL);
	assert_field(EDR_F_PROCESS_CREATION_ORIGINAL_FILE_NAME, NULL);
	assert_true(v.f[EDR_F_PROCESS_CREATION_PROCESS_ID].n == 100);

	/* No hash: sha256 and Hashes unset. Unknown uid: its number. */
	req.pid = 60;
	assert_int_equal(edr_fan_exec_view_at(&v, &req, NULL, proc, passwd), 0);
	assert_field(EDR_F_PROCESS_CREATION_SHA256, NULL);
	assert_field(EDR_F_PROCESS_CREATION_HASHES, NULL);
	assert_field(EDR_F_PROCESS_CREATION_USER, "4242");
	assert_field(EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY, NULL);
	assert_field(EDR_F_PROCESS_CREATION_CONTAINER_ID, NULL);

	/* Gone: the image and pid only, and the error. */
	req.pid = 77;
	assert_int_equal(edr_fan_exec_view_at(&v, &req, NULL, proc, passwd), -ENOENT);
	assert_field(EDR_F_PROCESS_CREATION_IMAGE, "/tmp/x/new");
	assert_field(EDR_F_PROCESS_CREATION_USER, NULL);
}

static void test_open_view(void **state)
{
	struct edr_fan_req req = { .kind = EDR_FAN_OPEN, .pid = 100, .fd = -1, .path = "/etc/shadow" };

	assert_int_equal(edr_fan_open_view_at(&v, &req, proc, passwd), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_FILE_EVENT);
	assert_field(EDR_F_FILE_EVENT_TARGET_FILENAME, "/etc/shadow");
	assert_field(EDR_F_FILE_EVENT_IMAGE, "/usr/bin/old-image");
	assert_field(EDR_F_FILE_EVENT_USER, "alice");
	assert_field(EDR_F_FILE_EVENT_PROCESS_ID, "100");
	assert_field(EDR_F_FILE_EVENT_COMMAND_LINE, "old image");
}

/* A passwd edit is seen by the next view. */
static void test_passwd_reload(void **state)
{
	struct edr_fan_req req = { .kind = EDR_FAN_EXEC, .pid = 60, .fd = -1, .path = "/x" };

	assert_int_equal(edr_fan_exec_view_at(&v, &req, NULL, proc, passwd), 0);
	assert_field(EDR_F_PROCESS_CREATION_USER, "4242");
	put("passwd", "bob:x:4242:4242::/home/bob:/bin/sh\n", 35);
	assert_int_equal(edr_fan_exec_view_at(&v, &req, NULL, proc, passwd), 0);
	assert_field(EDR_F_PROCESS_CREATION_USER, "bob");
}

/* The real /proc: ourselves, as a process about to exec. */
static void test_real_proc(void **state)
{
	struct edr_fan_req req = { .kind = EDR_FAN_EXEC, .pid = getpid(), .fd = -1, .path = "/bin/true" };
	char cwd[4096], pexe[4096], link[64], num[24];
	ssize_t n;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(link, sizeof(link), "/proc/%d/exe", getppid());
	n = readlink(link, pexe, sizeof(pexe) - 1);
	assert_int_equal(edr_fan_exec_view(&v, &req, NULL), 0);
	assert_field(EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY, cwd);
	snprintf(num, sizeof(num), "%d", getppid());
	assert_field(EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID, num);
	snprintf(num, sizeof(num), "%u", getuid());
	assert_field(EDR_F_PROCESS_CREATION_USER_ID, num);
	if (n > 0) {
		pexe[n] = '\0';
		assert_field(EDR_F_PROCESS_CREATION_PARENT_IMAGE, pexe);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_view),
		cmocka_unit_test(test_open_view),
		cmocka_unit_test(test_passwd_reload),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
