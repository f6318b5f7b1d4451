// SPDX-License-Identifier: GPL-2.0-only
/*
 * User and group name cache: the passwd/group parser on odd input, the
 * tables and their reload by the watcher thread, and the resolver path with
 * an injected resolver that stalls on a condition variable, so the tests can
 * show that a lookup answers at once while the resolver is stuck, that the
 * queue is bounded, and that free does not wait for a stuck resolver.
 *
 * Waits for the threads are bounded polls (WAIT_MS), never sleeps that
 * assume a schedule.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "sensor/enrich/idcache.h"

#define WAIT_MS 10000

static char dir[] = "/tmp/edr-test-idcache-XXXXXX";
static char passwd_path[256], group_path[256];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Replaces path atomically (a new inode, as vipw and useradd do). */
static void write_file(const char *path, const char *text)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(passwd_path, sizeof(passwd_path), "%s/passwd", dir);
	snprintf(group_path, sizeof(group_path), "%s/group", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the parser ---- */

static void test_parse_passwd_odd(void **state)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"   \n"
		"root:x:0:0:root:/root:/bin/bash\n"
		"  daemon:x:1:1::/:/usr/sbin/nologin\n"   /* leading blanks, as glibc */
		"+nisuser::::::\n"                          /* NIS compat: ignored */
		"-baduser\n"
		"short:x:2\n"                               /* no gid: malformed */
		"nogid:x:3:\n"                              /* empty gid: malformed */
		"min:x:4:4\n"                               /* gecos, home, shell missing: fine */
		":x:5:5::/:/bin/sh\n"                       /* empty name */
		"noid:x::6::/:/bin/sh\n"                    /* empty uid */
		"neg:x:-1:6::/:/bin/sh\n"
		"alpha:x:12a:6::/:/bin/sh\n"
		"maxid:x:4294967294:1::/:/bin/sh\n"         /* the largest valid id */
		"minus1:x:4294967295:1::/:/bin/sh\n"        /* (uid_t)-1 */
		"huge:x:99999999999999999999999:1::/:/bin/sh\n"
		"zeros:x:0000007:7::/:/bin/sh\n"
		"first:x:1000:1000::/home/a:/bin/sh\n"
		"second:x:1000:1000::/home/b:/bin/sh\n"    /* duplicate: first wins */
		"ctl\001name:x:1001:1::/:/bin/sh\n"
		"nocolon\n"
		"last:x:2000:2000::/:/bin/sh";              /* no final newline */
	struct edr_idtab *t;
	uint64_t errors = 0;

	t = edr_idtab__parse(text, sizeof(text) - 1, EDR_ID_USER, 0, &errors);
	assert_non_null(t);
	assert_string_equal(edr_idtab__find(t, 0), "root");
	assert_string_equal(edr_idtab__find(t, 1), "daemon");
	assert_null(edr_idtab__find(t, 2));
	assert_null(edr_idtab__find(t, 3));
	assert_string_equal(edr_idtab__find(t, 4), "min");
	assert_null(edr_idtab__find(t, 5));
	assert_string_equal(edr_idtab__find(t, 4294967294u), "maxid");
	assert_null(edr_idtab__find(t, 4294967295u));
	assert_string_equal(edr_idtab__find(t, 7), "zeros");
	assert_string_equal(edr_idtab__find(t, 1000), "first");
	assert_null(edr_idtab__find(t, 1001));
	assert_string_equal(edr_idtab__find(t, 2000), "last");
	assert_int_equal(edr_idtab__count(t), 7);
	/* short nogid empty-name noid neg alpha minus1 huge ctl nocolon */
	assert_int_equal(errors, 10);
	edr_idtab__free(t);
}

static void test_parse_group_odd(void **state)
{
	static const char text[] =
		"root:x:0:\n"
		"wheel:x:10\n"                  /* no member field: fine for group */
		"big:x:20:a,b,c\n"
		"nogid:x:\n"
		"nopw\n"
		"dup:x:10:z\n"
		"crlf:x:30\r\n";                /* "30\r" is not a number */
	struct edr_idtab *t;
	uint64_t errors = 0;

	t = edr_idtab__parse(text, sizeof(text) - 1, EDR_ID_GROUP, 0, &errors);
	assert_non_null(t);
	assert_string_equal(edr_idtab__find(t, 0), "root");
	assert_string_equal(edr_idtab__find(t, 10), "wheel");
	assert_string_equal(edr_idtab__find(t, 20), "big");
	assert_null(edr_idtab__find(t, 30));
	assert_int_equal(edr_idtab__count(t), 3);
	assert_int_equal(errors, 3);
	edr_idtab__free(t);
}

static void test_parse_bounds(void **state)
{
	size_t n = 1 << 20, i, len;
	char *text = malloc(n + 4096), name[300];
	struct edr_idtab *t;
	uint64_t errors = 0;

	assert_non_null(text);
	/* A 1 MiB member list: a long line is fine, only three fields are read. */
	len = (size_t)sprintf(text, "huge:x:42:");
	for (i = 0; i < n / 2; i++) {
		text[len++] = 'm';
		text[len++] = ',';
	}
	text[len++] = '\n';
	/* The longest name fits, one more byte does not. */
	memset(name, 'n', sizeof(name));
	len += (size_t)sprintf(text + len, "%.*s:x:43\n", EDR_IDCACHE_NAME_MAX - 1, name);
	len += (size_t)sprintf(text + len, "%.*s:x:44\n", EDR_IDCACHE_NAME_MAX, name);
	t = edr_idtab__parse(text, len, EDR_ID_GROUP, 0, &errors);
	assert_non_null(t);
	assert_string_equal(edr_idtab__find(t, 42), "huge");
	assert_int_equal(strlen(edr_idtab__find(t, 43)), EDR_IDCACHE_NAME_MAX - 1);
	assert_null(edr_idtab__find(t, 44));
	assert_int_equal(errors, 1);
	edr_idtab__free(t);

	/* max_entries: later ids are counted and dropped. */
	len = (size_t)sprintf(text, "a:x:1\nb:x:2\na2:x:1\nc:x:3\nd:x:4\n");
	t = edr_idtab__parse(text, len, EDR_ID_GROUP, 2, &errors);
	assert_non_null(t);
	assert_int_equal(edr_idtab__count(t), 2);
	assert_null(edr_idtab__find(t, 3));
	assert_int_equal(errors, 2);
	edr_idtab__free(t);

	/* NUL bytes and no data at all. */
	t = edr_idtab__parse("a\0b:x:1:1\nok:x:2:2\n", 19, EDR_ID_USER, 0, &errors);
	assert_non_null(t);
	assert_null(edr_idtab__find(t, 1));
	assert_string_equal(edr_idtab__find(t, 2), "ok");
	assert_int_equal(errors, 1);
	edr_idtab__free(t);
	t = edr_idtab__parse(NULL, 0, EDR_ID_USER, 0, &errors);
	assert_non_null(t);
	assert_int_equal(edr_idtab__count(t), 0);
	assert_null(edr_idtab__find(t, 0));
	edr_idtab__free(t);
	free(text);
}

/* ---- the cache over files ---- */

static struct edr_idcache *new_files(unsigned int poll_ms, int files_only)
{
	struct edr_idcache_opts o = {
		.passwd_path = passwd_path,
		.group_path = group_path,
		.poll_ms = poll_ms,
		.files_only = files_only,
	};
	struct edr_idcache *c = edr_idcache__new_opts(&o);

	assert_non_null(c);
	return c;
}

static void test_files(void **state)
{
	struct edr_idcache_stats st;
	struct edr_idcache *c;
	const char *a, *b;

	write_file(passwd_path, "root:x:0:0::/root:/bin/sh\nbad line\nalice:x:1000:100::/:/bin/sh\n");
	write_file(group_path, "root:x:0:\nusers:x:100:alice\n");
	c = new_files(0, 1);
	/* The very first lookup has the name: the constructor parsed the files. */
	a = edr_idcache__user(c, 1000);
	b = edr_idcache__user(c, 0);
	assert_string_equal(a, "alice");   /* still valid after a second lookup */
	assert_string_equal(b, "root");
	assert_string_equal(edr_idcache__group(c, 100), "users");
	assert_null(edr_idcache__user(c, 100));
	assert_null(edr_idcache__group(c, 1000));
	edr_idcache__stats(c, &st);
	assert_int_equal(st.lookups, 5);
	assert_int_equal(st.file_hits, 3);
	assert_int_equal(st.parse_errors, 1);
	assert_int_equal(st.users, 2);
	assert_int_equal(st.groups, 2);
	assert_int_equal(st.nss_queued, 0);
	edr_idcache__free(c);

	assert_null(edr_idcache__user(NULL, 0));
	assert_null(edr_idcache__group(NULL, 0));
	edr_idcache__free(NULL);
}

static void test_missing_files(void **state)
{
	struct edr_idcache_opts o = {
		.passwd_path = "/nonexistent/passwd",
		.group_path = dir,   /* a directory: unreadable as a table */
		.files_only = 1,
	};
	struct edr_idcache_stats st;
	struct edr_idcache *c = edr_idcache__new_opts(&o);

	assert_non_null(c);
	assert_null(edr_idcache__user(c, 0));
	assert_null(edr_idcache__group(c, 0));
	edr_idcache__stats(c, &st);
	assert_int_equal(st.read_errors, 1);
	edr_idcache__free(c);

	o.queue_len = EDR_IDCACHE_MAX_QUEUE + 1;
	assert_null(edr_idcache__new_opts(&o));
	assert_int_equal(errno, EINVAL);
}

static const char *wait_user(struct edr_idcache *c, uint32_t uid, const char *want)
{
	uint64_t end = now_ms() + WAIT_MS;
	const char *n;

	for (;;) {
		n = edr_idcache__user(c, uid);
		if ((!want && !n) || (want && n && !strcmp(n, want)) || now_ms() > end)
			return n;
		nap();
	}
}

static void test_reload(void **state)
{
	struct edr_idcache_stats st;
	struct edr_idcache *c;
	const char *old;
	uint64_t end;

	write_file(passwd_path, "alice:x:1000:100::/:/bin/sh\n");
	write_file(group_path, "users:x:100:\n");
	c = new_files(5, 1);
	old = edr_idcache__user(c, 1000);
	assert_string_equal(old, "alice");
	write_file(passwd_path, "alicia:x:1000:100::/:/bin/sh\nbob:x:1001:100::/:/bin/sh\nx\n");
	end = now_ms() + WAIT_MS;
	do {
		nap();
		edr_idcache__stats(c, &st);
	} while (!st.reloads && now_ms() < end);
	assert_int_equal(st.reloads, 1);
	/* The next lookup adopts the new table; an earlier answer survives the swap. */
	assert_string_equal(edr_idcache__user(c, 1000), "alicia");
	assert_string_equal(old, "alice");
	assert_string_equal(edr_idcache__user(c, 1001), "bob");
	assert_string_equal(edr_idcache__group(c, 100), "users");
	edr_idcache__stats(c, &st);
	assert_int_equal(st.parse_errors, 1);
	assert_int_equal(st.users, 2);

	/* Removed: names go; recreated: they come back. */
	assert_int_equal(unlink(passwd_path), 0);
	assert_null(wait_user(c, 1000, NULL));
	write_file(passwd_path, "carol:x:1000:100::/:/bin/sh\n");
	assert_string_equal(wait_user(c, 1000, "carol"), "carol");
	edr_idcache__free(c);
}

/* ---- the resolver path ---- */

struct stall {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int released;
	int calls;
	int inside;        /* a call is waiting for release */
	const char *prefix;
};

#define STALL_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, "dir" }

/* Waits for release; ids below 6000 exist as "<prefix><id>", others do not. */
static int stall_resolve(enum edr_id_kind kind, uint32_t id, char *buf, size_t len, void *ctx)
{
	struct stall *s = ctx;
	int rc;

	pthread_mutex_lock(&s->lock);
	s->calls++;
	s->inside = 1;
	pthread_cond_broadcast(&s->cond);
	while (!s->released)
		pthread_cond_wait(&s->cond, &s->lock);
	s->inside = 0;
	rc = id < 6000;
	if (rc)
		snprintf(buf, len, "%s%s%u", kind == EDR_ID_GROUP ? "g" : "", s->prefix, id);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static void stall_wait_inside(struct stall *s)
{
	struct timespec dl;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	while (!s->inside && pthread_cond_timedwait(&s->cond, &s->lock, &dl) == 0)
		;
	assert_true(s->inside);
	pthread_mutex_unlock(&s->lock);
}

static void stall_release(struct stall *s)
{
	pthread_mutex_lock(&s->lock);
	s->released = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int stall_calls(struct stall *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->calls;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static struct edr_idcache *new_stalled(struct stall *s, size_t queue_len, unsigned int ttl_s)
{
	struct edr_idcache_opts o = {
		.passwd_path = passwd_path,
		.group_path = group_path,
		.queue_len = queue_len,
		.ttl_s = ttl_s,
		.negative_ttl_s = 3600,
		.stop_timeout_ms = 100,
		.resolve = stall_resolve,
		.resolve_ctx = s,
	};
	struct edr_idcache *c;

	write_file(passwd_path, "root:x:0:0::/root:/bin/sh\n");
	write_file(group_path, "root:x:0:\n");
	c = edr_idcache__new_opts(&o);
	assert_non_null(c);
	return c;
}

static void test_stalled_resolver(void **state)
{
	struct stall s = STALL_INIT;
	struct edr_idcache_stats st;
	struct edr_idcache *c = new_stalled(&s, 0, 0);
	uint64_t t0;
	int i;

	t0 = now_ms();
	assert_null(edr_idcache__user(c, 5000));
	stall_wait_inside(&s);
	/* The resolver is stuck: lookups still answer at once, without a name. */
	for (i = 0; i < 100; i++)
		assert_null(edr_idcache__user(c, 5000));
	assert_string_equal(edr_idcache__user(c, 0), "root");
	assert_true(now_ms() - t0 < WAIT_MS);
	edr_idcache__stats(c, &st);
	assert_int_equal(st.nss_queued, 1);   /* a pending id is not queued twice */
	assert_int_equal(st.nss_pending, 1);
	assert_int_equal(st.file_hits, 1);

	stall_release(&s);
	assert_string_equal(wait_user(c, 5000, "dir5000"), "dir5000");
	assert_null(edr_idcache__group(c, 6001));   /* does not exist */
	assert_null(edr_idcache__group(c, 5000));
	{
		uint64_t end = now_ms() + WAIT_MS;
		const char *g;

		while (!(g = edr_idcache__group(c, 5000)) && now_ms() < end)
			nap();
		assert_string_equal(g, "gdir5000");
	}
	edr_idcache__stats(c, &st);
	assert_int_equal(st.nss_resolved, 2);
	assert_int_equal(st.nss_not_found, 1);
	assert_int_equal(st.nss_pending, 0);
	assert_true(st.nss_hits >= 2);
	/* Negative answers are cached: asking again does not call the resolver. */
	i = stall_calls(&s);
	assert_null(edr_idcache__group(c, 6001));
	assert_null(edr_idcache__group(c, 6001));
	assert_int_equal(stall_calls(&s), i);
	edr_idcache__stats(c, &st);
	assert_int_equal(st.nss_negative_hits, 2);
	edr_idcache__free(c);
}

static void test_queue_bound(void **state)
{
	struct stall s = STALL_INIT;
	struct edr_idcache_stats st;
	struct edr_idcache *c = new_stalled(&s, 4, 0);
	uint32_t id;

	for (id = 100; id < 110; id++)
		assert_null(edr_idcache__user(c, id));
	stall_wait_inside(&s);
	edr_idcache__stats(c, &st);
	assert_int_equal(st.nss_queued, 4);
	assert_int_equal(st.nss_pending, 4);
	assert_int_equal(st.queue_full, 6);
	assert_int_equal(stall_calls(&s), 1);   /* one stuck, three waiting in the ring */

	stall_release(&s);
	assert_string_equal(wait_user(c, 103, "dir103"), "dir103");
	assert_string_equal(wait_user(c, 100, "dir100"), "dir100");
	/* Room again: the ids that did not fit are queued now. */
	assert_string_equal(wait_user(c, 109, "dir109"), "dir109");
	edr_idcache__stats(c, &st);
	assert_int_equal(st.nss_pending, 0);
	assert_int_equal(stall_calls(&s), 5);
	edr_idcache__free(c);
}

static void test_ttl_refresh(void **state)
{
	struct stall s = STALL_INIT;
	struct edr_idcache *c = new_stalled(&s, 0, 1);

	stall_release(&s);
	assert_string_equal(wait_user(c, 7, "dir7"), "dir7");
	pthread_mutex_lock(&s.lock);
	s.prefix = "new";
	pthread_mutex_unlock(&s.lock);
	/* After the TTL the old name is served while the refresh runs. */
	assert_string_equal(wait_user(c, 7, "new7"), "new7");
	assert_int_equal(stall_calls(&s), 2);
	edr_idcache__free(c);
}

/*
 * free with the resolver stuck returns after stop_timeout_ms (100 ms here):
 * the thread is detached and frees its rings when the resolver returns.
 */
static void test_free_while_stuck(void **state)
{
	struct stall s = STALL_INIT;
	struct edr_idcache *c = new_stalled(&s, 0, 0);
	uint64_t t0, end;

	assert_null(edr_idcache__user(c, 5000));
	assert_null(edr_idcache__user(c, 5001));
	stall_wait_inside(&s);
	t0 = now_ms();
	edr_idcache__free(c);
	assert_true(now_ms() - t0 < 5000);
	assert_int_equal(edr_idcache__detached_workers(), 1);

	stall_release(&s);
	end = now_ms() + WAIT_MS;
	while (edr_idcache__detached_workers() && now_ms() < end)
		nap();
	assert_int_equal(edr_idcache__detached_workers(), 0);
	assert_int_equal(stall_calls(&s), 1);   /* stopped before the queued id */
	nap();   /* let the thread return from its start routine */
}

/* The default resolver (NSS) on this host: root from the file, an unknown id. */
static void test_default_nss(void **state)
{
	struct edr_idcache_opts o = { .passwd_path = passwd_path, .group_path = group_path };
	struct edr_idcache_stats st;
	struct edr_idcache *c;
	uint64_t end;

	write_file(passwd_path, "");
	write_file(group_path, "");
	c = edr_idcache__new_opts(&o);
	assert_non_null(c);
	assert_null(edr_idcache__user(c, 0));   /* not in our file: queued */
	assert_string_equal(wait_user(c, 0, "root"), "root");
	assert_null(edr_idcache__user(c, 3999999999u));
	end = now_ms() + WAIT_MS;
	do {
		edr_idcache__user(c, 3999999999u);
		edr_idcache__stats(c, &st);
		nap();
	} while (st.nss_not_found + st.nss_errors < 1 && now_ms() < end);
	assert_int_equal(st.nss_not_found + st.nss_errors, 1);
	assert_int_equal(st.nss_resolved, 1);
	edr_idcache__free(c);

	c = edr_idcache__new();
	assert_non_null(c);
	assert_string_equal(edr_idcache__user(c, 0), "root");
	assert_string_equal(edr_idcache__group(c, 0), "root");
	edr_idcache__free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_passwd_odd),
		cmocka_unit_test(test_parse_group_odd),
		cmocka_unit_test(test_parse_bounds),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_stalled_resolver),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_ttl_refresh),
		cmocka_unit_test(test_free_while_stuck),
		cmocka_unit_test(test_default_nss),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
