// SPDX-License-Identifier: GPL-2.0-only
/*
 * SHA-256 cache: known vectors, one computation per file version,
 * invalidation on size/mtime change, size and rate limits, queue bound,
 * identity check, LRU bound, worker thread. Most tests run without a worker
 * thread (threads = 0) and drive the jobs with edr_hashcache__work(), so
 * every count is deterministic.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

extern char **environ;

#include "sensor/enrich/hashcache.h"

#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* FIPS 180-2 two-block vector. */
#define MSG_2BLK  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
#define SHA_2BLK  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static char dir[] = "/tmp/edr-test-hashcache-XXXXXX";

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

static const char *file(const char *name, const void *data, size_t len)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ % 4];
	int fd;

	snprintf(p, 256, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return p;
}

static struct edr_file_ident ident(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (struct edr_file_ident){ .dev = edr_kdev_from_dev(st.st_dev), .ino = st.st_ino };
}

static struct edr_hashcache *cache(uint64_t max_size, uint64_t rate, size_t entries, size_t queue)
{
	struct edr_hashcache_opts o = { .max_file_size = max_size, .rate = rate,
					.max_entries = entries, .queue_len = queue };
	struct edr_hashcache *hc = edr_hashcache__new(&o);

	assert_non_null(hc);
	return hc;
}

static enum edr_hash_state look(struct edr_hashcache *hc, const char *path, char hex[65],
				enum edr_hash_skip *why)
{
	struct edr_file_ident id = ident(path);

	return edr_hashcache__lookup(hc, path, &id, hex, why);
}

static void test_vectors(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *abc = file("abc", "abc", 3);
	const char *empty = file("empty", "", 0);
	const char *two = file("two", MSG_2BLK, strlen(MSG_2BLK));
	enum edr_hash_skip why;
	char hex[65];

	assert_int_equal(look(hc, abc, hex, &why), EDR_HASH_PENDING);
	assert_string_equal(hex, "");
	assert_int_equal(look(hc, empty, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(look(hc, two, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__work(hc, 10), 3);
	assert_int_equal(look(hc, abc, hex, &why), EDR_HASH_DONE);
	assert_int_equal(why, EDR_HASH_SKIP_NONE);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(look(hc, empty, hex, &why), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_EMPTY);
	assert_int_equal(look(hc, two, hex, &why), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_2BLK);
	edr_hashcache__free(hc);
}

/* A file larger than one read chunk, against sha256sum. */
static void test_large_file_matches_sha256sum(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	size_t len = 300000, i;
	unsigned char *buf = malloc(len);
	char hex[65], cmd[512], want[65] = "";
	const char *p;
	FILE *f;

	assert_non_null(buf);
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 9));
	p = file("large", buf, len);
	free(buf);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", p);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%64s", want), 1);
	pclose(f);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__work(hc, 1);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, want);
	edr_hashcache__free(hc);
}

static void test_one_computation_per_version(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *p = file("once", "abc", 3);
	struct edr_hashcache_stats st;
	char hex[65];

	/* Twice before the worker ran: one job, the second lookup rides on it. */
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__work(hc, 10), 1);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_ABC);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.lookups, 4);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.computed, 1);
	assert_int_equal(st.pending_hits, 1);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.bytes_hashed, 3);
	assert_int_equal(st.entries, 1);
	edr_hashcache__free(hc);
}

static void test_invalidation(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *p = file("inval", "abc", 3);
	struct edr_hashcache_stats st;
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	char hex[65];
	int fd;

	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__work(hc, 10);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);

	/* Rewritten in place with another size: same inode, new digest. */
	fd = open(p, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, MSG_2BLK, strlen(MSG_2BLK)), (ssize_t)strlen(MSG_2BLK));
	close(fd);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__work(hc, 10);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_2BLK);

	/* Same size, only the mtime differs: recomputed too. */
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__work(hc, 10);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_2BLK);

	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.invalidated, 2);
	assert_int_equal(st.computed, 3);
	assert_int_equal(st.entries, 1);
	edr_hashcache__free(hc);
}

/* Written between the lookup and the worker: the digest of a file that
 * changed under the reader is not kept, and the next exec queues it again. */
static void test_changed_while_queued(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *p = file("racy", "abc", 3);
	struct edr_hashcache_stats st;
	char hex[65];
	int fd;

	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "def", 3), 3);
	close(fd);
	edr_hashcache__work(hc, 10);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.computed, 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__work(hc, 10);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, "bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721");
	edr_hashcache__free(hc);
}

static void test_too_big_and_disabled(void **state)
{
	struct edr_hashcache *hc = cache(10, 0, 0, 0);
	const char *big = file("big", "0123456789a", 11);
	const char *fits = file("fits", "0123456789", 10);
	struct edr_hashcache_stats st;
	enum edr_hash_skip why;
	char hex[65];

	assert_int_equal(look(hc, big, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_TOO_BIG);
	assert_string_equal(edr_hash_skip_str(why), "too_big");
	assert_string_equal(hex, "");
	assert_int_equal(look(hc, fits, hex, &why), EDR_HASH_PENDING);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.skipped[EDR_HASH_SKIP_TOO_BIG], 1);
	assert_int_equal(st.queue_depth, 1);
	edr_hashcache__free(hc);

	hc = cache(0, 0, 0, 0);
	assert_int_equal(look(hc, fits, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_DISABLED);
	edr_hashcache__free(hc);
}

static uint64_t fake_now;

static uint64_t fake_clock(void *ctx)
{
	return fake_now;
}

static void test_rate_limit(void **state)
{
	struct edr_hashcache_opts o = { .max_file_size = 1000, .rate = 100,
					.clock_ns = fake_clock };
	struct edr_hashcache *hc;
	char buf[500], hex[65];
	const char *a, *b, *big;
	struct edr_hashcache_stats st;
	enum edr_hash_skip why;

	memset(buf, 'x', sizeof(buf));
	fake_now = 5000000000ull;
	hc = edr_hashcache__new(&o);
	assert_non_null(hc);
	a = file("rate_a", buf, 60);
	b = file("rate_b", buf, 61);
	assert_int_equal(look(hc, a, hex, &why), EDR_HASH_PENDING);  /* 100 -> 40 */
	assert_int_equal(look(hc, b, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_RATE);
	fake_now += 200000000ull;                                   /* +20 -> 60 */
	assert_int_equal(look(hc, b, hex, &why), EDR_HASH_SKIPPED);
	fake_now += 10000000ull;                                    /* +1 -> 61 */
	assert_int_equal(look(hc, b, hex, &why), EDR_HASH_PENDING);  /* -> 0 */

	/* Bigger than the bucket: taken only when full, then paid back. */
	big = file("rate_big", buf, 500);
	assert_int_equal(look(hc, big, hex, &why), EDR_HASH_SKIPPED);
	fake_now += 1000000000ull;                                  /* full: 100 */
	assert_int_equal(look(hc, big, hex, &why), EDR_HASH_PENDING); /* -> -400 */
	a = file("rate_c", buf, 1);
	fake_now += 4000000000ull;                                  /* -> 0 */
	assert_int_equal(look(hc, a, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_RATE);
	fake_now += 10000000ull;                                    /* -> 1 */
	assert_int_equal(look(hc, a, hex, &why), EDR_HASH_PENDING);

	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.skipped[EDR_HASH_SKIP_RATE], 4);
	assert_int_equal(st.queued, 4);
	edr_hashcache__free(hc);
}

static void test_queue_full(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 2);
	const char *a = file("q_a", "a", 1), *b = file("q_b", "b", 1), *c = file("q_c", "c", 1);
	struct edr_hashcache_stats st;
	enum edr_hash_skip why;
	char hex[65];

	assert_int_equal(look(hc, a, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(look(hc, b, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(look(hc, c, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_QUEUE_FULL);
	/* Already queued files still answer PENDING when the queue is full. */
	assert_int_equal(look(hc, a, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__work(hc, 1), 1);
	assert_int_equal(look(hc, c, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__work(hc, 10), 2);
	assert_int_equal(look(hc, c, hex, &why), EDR_HASH_DONE);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.skipped[EDR_HASH_SKIP_QUEUE_FULL], 1);
	assert_int_equal(st.queue_depth, 0);
	edr_hashcache__free(hc);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Queued descriptors are closed when the cache is freed with work left. */
static void test_free_with_queued_jobs(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *a = file("fq_a", "a", 1), *b = file("fq_b", "b", 1);
	char hex[65];
	int before = count_fds();

	assert_int_equal(look(hc, a, hex, NULL), EDR_HASH_PENDING);
	assert_int_equal(look(hc, b, hex, NULL), EDR_HASH_PENDING);
	assert_int_equal(count_fds(), before + 2);
	edr_hashcache__free(hc);
	assert_int_equal(count_fds(), before);
}

static void test_identity(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 0, 0);
	const char *p = file("ident", "abc", 3);
	struct edr_file_ident id = ident(p), bad;
	enum edr_hash_skip why;
	char hex[65];

	bad = id;
	bad.ino++;
	assert_int_equal(edr_hashcache__lookup(hc, p, &bad, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_CHANGED);
	bad = id;
	bad.dev ^= 1;
	assert_int_equal(edr_hashcache__lookup(hc, p, &bad, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_CHANGED);
	assert_string_equal(edr_hash_skip_str(why), "file_changed");
	assert_int_equal(edr_hashcache__lookup(hc, p, &id, hex, &why), EDR_HASH_PENDING);
	/* NULL identity: no check. */
	assert_int_equal(edr_hashcache__lookup(hc, p, NULL, hex, &why), EDR_HASH_PENDING);

	assert_int_equal(edr_hashcache__lookup(hc, "/nonexistent/x", NULL, hex, &why),
			 EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_UNREADABLE);
	assert_int_equal(edr_hashcache__lookup(hc, NULL, NULL, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_UNREADABLE);
	assert_int_equal(edr_hashcache__lookup(hc, dir, NULL, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_NOT_REGULAR);
	assert_int_equal(edr_hashcache__lookup(hc, "/dev/null", NULL, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_NOT_REGULAR);
	edr_hashcache__free(hc);
}

static uint64_t mnt_id_of(const char *path)
{
	struct statx sx;

	assert_int_equal(statx(AT_FDCWD, path, 0, STATX_MNT_ID, &sx), 0);
	assert_true(sx.stx_mask & STATX_MNT_ID);
	return sx.stx_mnt_id;
}

/* The real mount table agrees with stat() on filesystems without subvolumes. */
static void test_mount_kdev_real(void **state)
{
	const char *p = file("mnt", "abc", 3);
	struct statfs sf;
	struct stat st;
	uint32_t kdev = 0;

	assert_int_equal(edr_mount_kdev("/proc/self/mountinfo", mnt_id_of(p), &kdev), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(statfs(p, &sf), 0);
	if (sf.f_type != 0x9123683e) /* btrfs: they differ, which is the point */
		assert_int_equal(kdev, edr_kdev_from_dev(st.st_dev));
	assert_int_equal(edr_mount_kdev("/proc/self/mountinfo", UINT64_MAX, &kdev), -ENOENT);
	assert_int_equal(edr_mount_kdev("/nonexistent/mountinfo", 1, &kdev), -ENOENT);
}

/*
 * A file whose stat() device is not the event's (btrfs subvolume): accepted
 * when the mount table gives the event's device for the file's mount, and
 * only then. The fake table also starts with a line longer than the reader's
 * buffer whose tail looks like an entry for the same mount.
 */
static void test_identity_by_mount(void **state)
{
	const char *p = file("subvol", "abc", 3);
	struct edr_file_ident id = ident(p);
	uint64_t mnt = mnt_id_of(p);
	struct edr_hashcache_stats st;
	struct edr_hashcache *hc;
	char mi[300], pad[1100];
	enum edr_hash_skip why;
	char hex[65];
	FILE *f;

	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	f = fopen(mi, "w");
	assert_non_null(f);
	memset(pad, 'o', sizeof(pad));
	fprintf(f, "%.*s", 1023, "1 0 0:1 / / rw - x x ");
	fprintf(f, "%.*s", 1023 - (int)strlen("1 0 0:1 / / rw - x x "), pad);
	fprintf(f, "%llu 1 0:98 / / rw\n", (unsigned long long)mnt);
	fprintf(f, "%llu 1 0:99 / /t rw - btrfs /dev/x rw\n", (unsigned long long)mnt);
	fclose(f);
	hc = edr_hashcache__new(&(struct edr_hashcache_opts){ .max_file_size = 100,
							      .mountinfo = mi });
	assert_non_null(hc);

	id.dev = 99;
	assert_int_equal(edr_hashcache__lookup(hc, p, &id, hex, &why), EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__lookup(hc, p, &id, hex, &why), EDR_HASH_PENDING);
	id.dev = 98;
	assert_int_equal(edr_hashcache__lookup(hc, p, &id, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_CHANGED);
	id.dev = 99;
	id.ino++;
	assert_int_equal(edr_hashcache__lookup(hc, p, &id, hex, &why), EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_CHANGED);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.dev_by_mount, 2);
	edr_hashcache__free(hc);
}

static void test_kdev(void **state)
{
	assert_int_equal(edr_kdev_from_dev(makedev(8, 1)), (8u << 20) | 1);
	assert_int_equal(edr_kdev_from_dev(makedev(259, 0x12345)), (259u << 20) | 0x12345);
	assert_int_equal(edr_kdev_from_dev(makedev(0, 27)), 27);
}

static void test_lookup_exec(void **state)
{
	struct edr_hashcache *hc = cache(64 << 20, 0, 0, 0);
	const char *p = file("exec", "abc", 3);
	struct edr_file_ident child_id = ident("/bin/sleep"), id = ident(p);
	char *argv[] = { "sleep", "30", NULL };
	enum edr_hash_skip why;
	char hex[65];
	pid_t child;
	int status;

	/* A child's executable through /proc/<pid>/exe, no path needed. (Not
	 * our own: valgrind redirects opens of its client's exe.) */
	assert_int_equal(posix_spawn(&child, "/bin/sleep", NULL, NULL, argv, environ), 0);
	assert_int_equal(edr_hashcache__lookup_exec(hc, NULL, child, NULL, &child_id, hex, &why),
			 EDR_HASH_PENDING);
	/* /proc/<pid>/exe is another file: falls back to the path. */
	assert_int_equal(edr_hashcache__lookup_exec(hc, NULL, child, p, &id, hex, &why),
			 EDR_HASH_PENDING);
	assert_int_equal(why, EDR_HASH_SKIP_NONE);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* No such process: falls back to the path. */
	assert_int_equal(edr_hashcache__lookup_exec(hc, dir, 1, p, &id, hex, &why),
			 EDR_HASH_PENDING);
	assert_int_equal(edr_hashcache__work(hc, 10), 2);
	assert_int_equal(edr_hashcache__lookup_exec(hc, dir, 1, p, &id, hex, &why),
			 EDR_HASH_DONE);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(edr_hashcache__lookup(hc, "/bin/sleep", &child_id, hex, &why),
			 EDR_HASH_DONE);
	/* Neither is the reported file. */
	id.ino++;
	assert_int_equal(edr_hashcache__lookup_exec(hc, NULL, getpid(), p, &id, hex, &why),
			 EDR_HASH_SKIPPED);
	assert_int_equal(why, EDR_HASH_SKIP_CHANGED);
	edr_hashcache__free(hc);
}

static void test_lru_bound(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 0, 2, 0);
	const char *a = file("lru_a", "a", 1), *b = file("lru_b", "b", 1), *c = file("lru_c", "c", 1);
	struct edr_hashcache_stats st;
	char hex[65];

	look(hc, a, hex, NULL);
	look(hc, b, hex, NULL);
	edr_hashcache__work(hc, 10);
	assert_int_equal(look(hc, a, hex, NULL), EDR_HASH_DONE); /* a is now most recent */
	look(hc, c, hex, NULL);                                   /* evicts b */
	edr_hashcache__work(hc, 10);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(look(hc, a, hex, NULL), EDR_HASH_DONE);
	assert_int_equal(look(hc, c, hex, NULL), EDR_HASH_DONE);
	assert_int_equal(look(hc, b, hex, NULL), EDR_HASH_PENDING);
	edr_hashcache__free(hc);
}

static void test_worker_thread(void **state)
{
	struct edr_hashcache_opts o = { .max_file_size = 1 << 20, .threads = 2 };
	struct edr_hashcache *hc = edr_hashcache__new(&o);
	char name[32], hex[65];
	const char *p;
	int i;

	assert_non_null(hc);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		p = file(name, "abc", 3);
		assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_PENDING);
	}
	assert_int_equal(edr_hashcache__drain(hc, 10000), 0);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_ABC);
	/* Freed with an idle worker waiting for jobs. */
	edr_hashcache__free(hc);
}

struct hammer {
	struct edr_hashcache *hc;
	const char *paths[8];
	int done_seen;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	char hex[65];
	int i;

	for (i = 0; i < 2000; i++) {
		if (edr_hashcache__lookup(h->hc, h->paths[i % 8], NULL, hex, NULL) == EDR_HASH_DONE) {
			/* Every file holds "abc": any digest served must be that one. */
			if (strcmp(hex, SHA_ABC))
				return (void *)1;
			h->done_seen++;
		}
	}
	return NULL;
}

/* Event threads and workers at once, a small LRU and queue so eviction,
 * queue-full and pending paths all race; run under ASan here, and TSan by
 * hand (see sensor/enrich/enrich.mk). */
static void test_concurrent(void **state)
{
	struct edr_hashcache_opts o = { .max_file_size = 1 << 20, .threads = 2,
					.max_entries = 4, .queue_len = 3 };
	struct hammer h[3];
	pthread_t t[3];
	char name[32];
	void *ret;
	int i, k;

	memset(h, 0, sizeof(h));
	h[0].hc = edr_hashcache__new(&o);
	assert_non_null(h[0].hc);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "conc%d", i);
		h[0].paths[i] = strdup(file(name, "abc", 3));
	}
	for (k = 1; k < 3; k++)
		h[k] = h[0];
	for (k = 0; k < 3; k++)
		assert_int_equal(pthread_create(&t[k], NULL, hammer_thread, &h[k]), 0);
	for (k = 0; k < 3; k++) {
		assert_int_equal(pthread_join(t[k], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(edr_hashcache__drain(h[0].hc, 10000), 0);
	assert_true(h[0].done_seen + h[1].done_seen + h[2].done_seen > 0);
	edr_hashcache__free(h[0].hc);
	for (i = 0; i < 8; i++)
		free((char *)h[0].paths[i]);
}

static void test_sha256_fd_limit(void **state)
{
	const char *p = file("limit", "abcdef", 6);
	char hex[65];
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(edr_sha256_fd(fd, 5, hex), -EFBIG);
	assert_int_equal(edr_sha256_fd(fd, 6, hex), 6);
	close(fd);
	assert_int_equal(edr_sha256_fd(-1, 6, hex), -EBADF);
}

struct stop_hash {
	int fd;
	int stop;
	int64_t rc;
};

static void *stop_hash_thread(void *arg)
{
	struct stop_hash *sh = arg;
	char hex[65];

	sh->rc = edr_sha256_fd_stop(sh->fd, UINT64_MAX, hex, &sh->stop);
	return NULL;
}

/* A stop asked for while a large file is hashed ends the hash at the next
 * chunk, not at the end of the file (a 4 GiB sparse file takes seconds). */
static void test_sha256_fd_stop(void **state)
{
	const char *p = file("big", "x", 1);
	struct stop_hash sh = { .stop = 0 };
	struct timespec t0, t1;
	pthread_t t;
	char hex[65];
	int fd = open(p, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(edr_sha256_fd_stop(fd, 1, hex, &sh.stop), 1);
	sh.stop = 1;
	assert_int_equal(edr_sha256_fd_stop(fd, 1, hex, &sh.stop), -ECANCELED);
	assert_int_equal(ftruncate(fd, (off_t)4 << 30), 0);
	sh.fd = fd;
	sh.stop = 0;
	assert_int_equal(pthread_create(&t, NULL, stop_hash_thread, &sh), 0);
	usleep(50000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(t, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(sh.rc, -ECANCELED);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	close(fd);
}

static void test_bad_opts(void **state)
{
	struct edr_hashcache_opts o = { .max_file_size = 1, .queue_len = EDR_HASHCACHE_MAX_QUEUE + 1 };

	errno = 0;
	assert_null(edr_hashcache__new(&o));
	assert_int_equal(errno, EINVAL);
	o.queue_len = 0;
	o.threads = EDR_HASHCACHE_MAX_THREADS + 1;
	assert_null(edr_hashcache__new(&o));
	assert_int_equal(errno, EINVAL);
	assert_null(edr_hashcache__new(NULL));
	edr_hashcache__free(NULL);
	assert_string_equal(edr_hash_state_str(EDR_HASH_PENDING), "pending");
	assert_string_equal(edr_hash_skip_str(_EDR_HASH_SKIP_MAX), "unknown");
}

/* digest_fd: computed at once in the calling thread, cached by identity so
 * the next lookup (by path) and digest_fd are hits; limits and identity. */
static void test_digest_fd(void **state)
{
	struct edr_hashcache *hc = cache(1 << 20, 1, 0, 1);
	const char *p = file("dfd", "abc", 3);
	struct edr_file_ident id = ident(p), other = id;
	struct edr_hashcache_stats st;
	char hex[65];
	int fd = open(p, O_RDONLY), dfd;

	assert_true(fd >= 0);
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, &id, hex), 0);
	assert_string_equal(hex, SHA_ABC);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.computed, 1);
	assert_int_equal(st.queued, 0);
	assert_int_equal(look(hc, p, hex, NULL), EDR_HASH_DONE);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, NULL, hex), 0);
	edr_hashcache__stats(hc, &st);
	assert_int_equal(st.computed, 1);
	assert_int_equal(st.hits, 2);
	/* Rewritten in place: a new version, hashed again. */
	file("dfd", "abcd", 4);
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, &id, hex), 0);
	assert_string_not_equal(hex, SHA_ABC);
	other.ino++;
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, &other, hex), -ESTALE);
	assert_string_equal(hex, "");
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(edr_hashcache__digest_fd(hc, dfd, NULL, hex), -EINVAL);
	close(dfd);
	edr_hashcache__free(hc);

	hc = cache(2, 0, 0, 0);
	fd = open(p, O_RDONLY);
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, &id, hex), -EFBIG);
	edr_hashcache__free(hc);
	hc = cache(0, 0, 0, 0);
	assert_int_equal(edr_hashcache__digest_fd(hc, fd, &id, hex), -EFBIG);
	edr_hashcache__free(hc);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_large_file_matches_sha256sum),
		cmocka_unit_test(test_one_computation_per_version),
		cmocka_unit_test(test_invalidation),
		cmocka_unit_test(test_changed_while_queued),
		cmocka_unit_test(test_too_big_and_disabled),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_free_with_queued_jobs),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_kdev),
		cmocka_unit_test(test_mount_kdev_real),
		cmocka_unit_test(test_identity_by_mount),
		cmocka_unit_test(test_lookup_exec),
		cmocka_unit_test(test_lru_bound),
		cmocka_unit_test(test_worker_thread),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_sha256_fd_limit),
		cmocka_unit_test(test_sha256_fd_stop),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_digest_fd),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
