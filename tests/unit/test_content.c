// SPDX-License-Identifier: GPL-2.0-only
/* Content manager: the load pipeline, RCU swap, shadow, persistence,
 * probation and rollback, driven with synthetic rule events (no BPF). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "sensor/content/content.h"
#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/ctl_server.h"

static char tmp[64];
static uint8_t pk[32], sk[64], pk2[32], sk2[64];
static struct edr_bundle_key key, key2;
static char logbuf[8192];

static void logger(int prio, const char *msg, void *ctx)
{
	size_t n = strlen(logbuf);

	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

/* A rule matching Image ending in /marker-<tag>, with its own samples. */
static char *rule(const char *tag, const char *extra)
{
	static char buf[8][2048];
	static int i;
	char *b = buf[i++ % 8];

	snprintf(b, 2048,
		 "title: Test rule %s\n"
		 "id: 00000000-0000-0000-0000-0000000000%s\n"
		 "logsource:\n  product: linux\n  category: process_creation\n"
		 "detection:\n  sel:\n    Image|endswith: /marker-%s\n%s  condition: sel\n"
		 "level: high\n"
		 "x-edr-samples:\n  match:\n    - Image: /usr/bin/marker-%s\n"
		 "  nomatch:\n    - Image: /usr/bin/true\n",
		 tag, tag, tag, extra ? extra : "", tag);
	return b;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Writes a bundle of the given rule texts to tmp/name; returns its path. */
static const char *bundle(const char *name, uint64_t version, const uint8_t *key_sk, int n, ...)
{
	static char path[8][128];
	static int k;
	struct edr_bundle_src src[8];
	struct edr_bundle_wopts o = { .version = version, .created = 1700000000 };
	struct edr_bundle_err err;
	char names[8][32];
	uint8_t *out;
	size_t len;
	va_list ap;
	int i;
	char *p = path[k++ % 8];

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *text = va_arg(ap, const char *);

		snprintf(names[i], sizeof(names[i]), "r%d.yml", i);
		src[i] = (struct edr_bundle_src){ names[i], (const uint8_t *)text, strlen(text) };
	}
	va_end(ap);
	if (edr_bundle__build(src, (size_t)n, &o, key_sk, &out, &len, &err))
		fail_msg("build: %s", err.msg);
	snprintf(p, 128, "%s/%s", tmp, name);
	write_file(p, out, len);
	free(out);
	return p;
}

static int count_matches;
static int count_shadow;
static char last_id[64];

static void on_match(const struct edr_rule *r, int shadow, const struct edr_content_set *s,
		     void *ctx)
{
	if (shadow)
		count_shadow++;
	else
		count_matches++;
	snprintf(last_id, sizeof(last_id), "%s", edr_rule__id(r));
}

/* Evaluates a process_creation event with Image = image; returns active matches. */
static int eval_image(struct edr_content *mgr, const char *image)
{
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION,
				     EDR_NFIELDS(PROCESS_CREATION), f };

	f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ image, (uint32_t)strlen(image),
								    0, 1 };
	count_matches = count_shadow = 0;
	return edr_content__eval(mgr, &ev, on_match, NULL);
}

static struct edr_content_opts opts(const char *dir)
{
	static char cdir[128];
	struct edr_content_opts o = {
		.content_dir = cdir,
		.keys = &key,
		.nkeys = 1,
		.probation_ms = 600000,
		.log = logger,
		.child_wall_ms = 20000,
	};

	snprintf(cdir, sizeof(cdir), "%s/%s", tmp, dir);
	return o;
}

static struct edr_content *mgr_new(const struct edr_content_opts *o)
{
	char err[256];
	struct edr_content *mgr = edr_content__new(o, err, sizeof(err));

	if (!mgr)
		fail_msg("edr_content__new: %s", err);
	return mgr;
}

struct lines {
	char text[4096];
	int n;
};

static void on_progress(const char *line, void *ctx)
{
	struct lines *l = ctx;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s\n", line);
	l->n++;
}

static int load(struct edr_content *mgr, const char *path, uint64_t shadow_ms, int force,
		char *err, size_t errlen)
{
	struct edr_content_load_opts lo = { .shadow_ms = shadow_ms, .force = force };

	return edr_content__load(mgr, path, &lo, NULL, NULL, err, errlen);
}

static void expect_reject(struct edr_content *mgr, const char *path, int force, const char *want)
{
	char err[768];

	if (load(mgr, path, 0, force, err, sizeof(err)) >= 0)
		fail_msg("accepted (%s), expected '%s'", err, want);
	if (!strstr(err, want))
		fail_msg("expected '%s' in '%s'", want, err);
}

/* ---- tests ---- */

static void test_initial_then_load(void **state)
{
	struct edr_content_opts o = opts("c1");
	char initdir[128], err[768], act[160];
	struct lines pl = { "", 0 };
	struct edr_content_load_opts lo = { 0 };
	struct edr_content *mgr;
	uint64_t v;
	size_t n;

	snprintf(initdir, sizeof(initdir), "%s/init", tmp);
	mkdir(initdir, 0755);
	snprintf(act, sizeof(act), "%s/a.yml", initdir);
	write_file(act, rule("0a", NULL), strlen(rule("0a", NULL)));
	o.initial_path = initdir;
	mgr = mgr_new(&o);
	edr_content__active_info(mgr, &v, &n);
	assert_int_equal(v, 0);
	assert_int_equal(n, 1);
	assert_int_equal(eval_image(mgr, "/bin/marker-0a"), 1);
	assert_string_equal(last_id, "00000000-0000-0000-0000-00000000000a");

	assert_int_equal(edr_content__load(mgr, bundle("b1", 1, sk, 2, rule("0b", NULL),
						       rule("0c", NULL)),
					   &lo, on_progress, &pl, err, sizeof(err)),
			 0);
	assert_non_null(strstr(pl.text, "verify: ok (version 1, 2 files, signed by key"));
	assert_non_null(strstr(pl.text, "validate: ok (2 rules)"));
	assert_non_null(strstr(pl.text, "self-test: ok"));
	assert_non_null(strstr(pl.text, "swap: ok"));
	assert_non_null(strstr(pl.text, "persist: ok"));
	assert_non_null(strstr(pl.text, "probation: until"));
	assert_string_equal(err, "active: version 1, 2 rules");
	assert_int_equal(eval_image(mgr, "/bin/marker-0a"), 0);
	assert_int_equal(eval_image(mgr, "/bin/marker-0c"), 1);
	snprintf(act, sizeof(act), "%s/active.bundle", o.content_dir);
	assert_int_equal(access(act, F_OK), 0);

	/* Rejections leave the active content untouched. */
	expect_reject(mgr, bundle("b1again", 1, sk, 1, rule("0d", NULL)), 0,
		      "rejected at verify: content version 1 is not newer than the active 1");
	expect_reject(mgr, bundle("wrongkey", 5, sk2, 1, rule("0d", NULL)), 0,
		      "rejected at verify: signed by key");
	expect_reject(mgr, bundle("badfield", 5, sk, 1,
				  rule("0d", "    TargetFilname: /x\n")), 0,
		      "rejected at validate: r0.yml:");
	expect_reject(mgr, initdir, 0, "rejected at verify: ");
	{
		/* A rule whose own sample does not match is a self-test failure. */
		char bad[2048];

		snprintf(bad, sizeof(bad), "%s", rule("0e", NULL));
		*strstr(bad, "/usr/bin/marker-0e") = 0;
		strcat(bad, "/usr/bin/nothing\n  nomatch:\n    - Image: /usr/bin/true\n");
		expect_reject(mgr, bundle("selftest", 6, sk, 1, bad), 0, "rejected at self-test: ");
	}
	assert_int_equal(eval_image(mgr, "/bin/marker-0c"), 1);
	/* A forced downgrade is accepted (and logged). */
	assert_int_equal(load(mgr, bundle("b0", 1, sk, 1, rule("0f", NULL)), 0, 1, err,
			      sizeof(err)), 0);
	assert_int_equal(eval_image(mgr, "/bin/marker-0f"), 1);
	assert_non_null(strstr(logbuf, "downgrade forced"));
	edr_content__free(mgr);
}

/* A signed bundle of one rule file with its own name (the refusal names it). */
static const char *bundle_file(const char *name, uint64_t version, const char *file,
			       const char *text)
{
	static char path[128];
	struct edr_bundle_src src = { file, (const uint8_t *)text, strlen(text) };
	struct edr_bundle_wopts o = { .version = version, .created = 1700000000 };
	struct edr_bundle_err err;
	uint8_t *out;
	size_t len;

	if (edr_bundle__build(&src, 1, &o, sk, &out, &len, &err))
		fail_msg("build: %s", err.msg);
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	write_file(path, out, len);
	free(out);
	return path;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (!f || !buf)
		fail_msg("%s: %s (run from the top of the tree)", path, strerror(errno));
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

#define DENY_SH(resp) \
	"title: Deny sh\nid: 00000000-0000-0000-0000-0000000000d5\n" \
	"logsource:\n  product: linux\n  category: process_creation\n" \
	"detection:\n  sel:\n    Image: /bin/sh\n  condition: sel\nlevel: high\n" resp \
	"x-edr-samples:\n  match:\n    - Image: /bin/sh\n  nomatch:\n    - Image: /usr/bin/true\n"

/* The circuit breaker at validate: content whose deny rule would match a
 * protected binary is refused, the running content stays; the same rule
 * only alerting loads. */
static void test_protected_validate(void **state)
{
	struct edr_content_opts o = opts("c9");
	const char *extra[] = { "/opt/agent/bin/agent" }, *rel[] = { "agent" };
	char err[768], *shells;
	struct edr_content *mgr;
	uint64_t v;
	size_t n;

	(void)state;
	o.protected = extra;
	o.nprotected = 1;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("p1", 1, sk, 1, rule("5a", NULL)), 0, 0, err,
			      sizeof(err)), 0);

	expect_reject(mgr, bundle_file("p2", 2, "deny_sh.yml", DENY_SH("x-edr-response: {action: deny}\n")),
		      0, "rejected at validate: deny_sh.yml: action deny would match protected /bin/sh");
	shells = read_text("tests/rules/bad/deny_all_shells.yml");
	load(mgr, bundle_file("p3", 2, "deny_all_shells.yml", shells), 0, 0, err, sizeof(err));
	assert_string_equal(err, "rejected at validate: deny_all_shells.yml: action deny would "
				 "match protected /usr/bin/bash");
	free(shells);
	/* the configured list counts too (and kill like deny) */
	expect_reject(mgr, bundle_file("p4", 2, "agent.yml",
				       "title: a\nlogsource:\n  category: process_creation\n"
				       "detection:\n  sel:\n    Image: /opt/agent/bin/agent\n"
				       "  condition: sel\nx-edr-response: {action: kill}\n"),
		      0, "rejected at validate: agent.yml: action kill would match protected "
			 "/opt/agent/bin/agent");
	/* the running content is untouched */
	edr_content__active_info(mgr, &v, &n);
	assert_int_equal(v, 1);
	assert_int_equal(n, 1);
	assert_int_equal(eval_image(mgr, "/bin/marker-5a"), 1);
	assert_int_equal(eval_image(mgr, "/bin/sh"), 0);

	/* the same rule, alerting only, loads */
	assert_int_equal(load(mgr, bundle_file("p5", 2, "deny_sh.yml", DENY_SH("")), 0, 0, err,
			      sizeof(err)), 0);
	assert_int_equal(eval_image(mgr, "/bin/sh"), 1);
	edr_content__free(mgr);

	/* a relative protected path is a configuration error */
	o.protected = rel;
	assert_null(edr_content__new(&o, err, sizeof(err)));
	assert_string_equal(err, "protected path 'agent' is not absolute");
}

static void crash_hook(const char *stage)
{
	if (!strcmp(stage, "self-test"))
		raise(SIGSEGV);
}

static void hang_hook(const char *stage)
{
	if (!strcmp(stage, "validate"))
		for (;;)
			pause();
}

static void spin_hook(const char *stage)
{
	if (!strcmp(stage, "validate"))
		for (volatile unsigned long i = 0;; i++)
			;
}

static void test_child_crash_hang(void **state)
{
	struct edr_content_opts o = opts("c2");
	struct edr_content *mgr;

	o.child_hook = crash_hook;
	mgr = mgr_new(&o);
	expect_reject(mgr, bundle("c2.bundle", 1, sk, 1, rule("1a", NULL)), 0,
		      "rejected at self-test: self-test crashed the test process (SIGSEGV");
	edr_content__free(mgr);

	o.child_hook = hang_hook;
	o.child_wall_ms = 300;
	mgr = mgr_new(&o);
	expect_reject(mgr, bundle("c2.bundle", 1, sk, 1, rule("1a", NULL)), 0,
		      "rejected at validate: validate did not finish within 300 ms");
	edr_content__free(mgr);

	/* The built-in corpus must evaluate within its CPU budget. */
	o.child_hook = NULL;
	o.corpus_budget_ns = 1;
	mgr = mgr_new(&o);
	expect_reject(mgr, bundle("c2.bundle", 1, sk, 1, rule("1a", NULL)), 0,
		      "rejected at self-test: the built-in corpus took");
	expect_reject(mgr, bundle("c2.bundle", 1, sk, 1, rule("1a", NULL)), 0,
		      "ns CPU per event, over the budget of 1 ns");
	edr_content__free(mgr);
	o.corpus_budget_ns = 0;

	o.child_hook = spin_hook;
	o.child_wall_ms = 20000;
	o.child_cpu_s = 1;
	mgr = mgr_new(&o);
	expect_reject(mgr, bundle("c2.bundle", 1, sk, 1, rule("1a", NULL)), 0,
		      "rejected at validate: validate exceeded the CPU limit of 1 s");
	/* Nothing was activated, and the manager still works. */
	assert_int_equal(eval_image(mgr, "/bin/marker-1a"), 0);
	edr_content__free(mgr);
}

/* ---- a load holds no lock the periodic work or other requests need ---- */

static int stuck_pipe[2] = { -1, -1 };
static volatile int stuck_next;

/* In the self-test child: tells the test it is there, then never finishes
 * (the parent gives up at child_wall_ms). */
static void stuck_hook(const char *stage)
{
	if (stuck_next && !strcmp(stage, "self-test")) {
		if (write(stuck_pipe[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
}

struct bg_load {
	struct edr_content *mgr;
	const char *path;
	int rc;
	volatile int done;
};

static void *bg_load_thread(void *arg)
{
	struct bg_load *b = arg;
	char err[768];

	b->rc = load(b->mgr, b->path, 0, 0, err, sizeof(err));
	b->done = 1;
	return NULL;
}

struct status_probe {
	struct edr_content *mgr;
	int got;          /* the status call returned within 2 s */
};

static void *status_thread(void *arg)
{
	struct edr_content_status st;

	edr_content__status(((struct status_probe *)arg)->mgr, &st);
	return NULL;
}

/* A progress callback that stalls (a client that stops reading): meanwhile
 * another thread must get the manager's status. */
static void stalled_progress(const char *line, void *ctx)
{
	struct status_probe *sp = ctx;
	struct timespec ts;
	pthread_t t;

	if (!strstr(line, "swap: ok"))
		return;
	assert_int_equal(pthread_create(&t, NULL, status_thread, sp), 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	if (pthread_timedjoin_np(t, NULL, &ts) == 0) {
		sp->got = 1;
	} else {
		pthread_detach(t); /* blocked on the lock; released when the load ends */
		sp->got = 0;
	}
}

static void test_load_blocks_no_periodic_work(void **state)
{
	struct edr_content_opts o = opts("c-stuck");
	struct status_probe sp = { 0 };
	struct edr_content_load_opts lo = { 0 };
	struct bg_load b = { 0 };
	struct edr_content_status st;
	struct edr_content *mgr;
	struct timespec ts;
	pthread_t t;
	char c, err[768];

	assert_int_equal(pipe(stuck_pipe), 0);
	o.child_hook = stuck_hook;
	o.child_wall_ms = 3000;
	o.probation_ms = 1000;
	stuck_next = 0;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("s1", 1, sk, 1, rule("5a", NULL)), 0, 0, err,
			      sizeof(err)), 0);
	edr_content__status(mgr, &st);
	assert_string_equal(st.state, "probation");

	/* Version 2's self-test never finishes: the load is stuck for
	 * child_wall_ms. The end of version 1's probation does not wait. */
	stuck_next = 1;
	b.mgr = mgr;
	b.path = bundle("s2", 2, sk, 1, rule("5b", NULL));
	assert_int_equal(pthread_create(&t, NULL, bg_load_thread, &b), 0);
	assert_int_equal(read(stuck_pipe[0], &c, 1), 1);
	clock_gettime(CLOCK_REALTIME, &ts);
	edr_content__tick(mgr, (uint64_t)ts.tv_sec * 1000 + 3600000);
	edr_content__status(mgr, &st);
	assert_false(b.done);
	assert_string_equal(st.state, "active");
	assert_int_equal(st.version, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(b.rc < 0);
	stuck_next = 0;

	/* Progress to a client that stops reading holds no lock. */
	sp.mgr = mgr;
	assert_int_equal(edr_content__load(mgr, bundle("s3", 3, sk, 1, rule("5c", NULL)), &lo,
					   stalled_progress, &sp, err, sizeof(err)), 0);
	assert_true(sp.got);
	edr_content__free(mgr);
	close(stuck_pipe[0]);
	close(stuck_pipe[1]);
}

static void test_unsigned_dir(void **state)
{
	struct edr_content_opts o = opts("c3");
	struct edr_content *mgr;
	char dir[128], f[160], err[768];

	snprintf(dir, sizeof(dir), "%s/dev", tmp);
	mkdir(dir, 0755);
	snprintf(f, sizeof(f), "%s/x.yml", dir);
	write_file(f, rule("2a", NULL), strlen(rule("2a", NULL)));
	mgr = mgr_new(&o);
	expect_reject(mgr, dir, 0, "does not allow unsigned content (--allow-unsigned)");
	edr_content__free(mgr);
	o.allow_unsigned = 1;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, dir, 0, 0, err, sizeof(err)), 0);
	assert_int_equal(eval_image(mgr, "/x/marker-2a"), 1);
	edr_content__free(mgr);
	/* Stored unsigned content comes back only while unsigned is allowed. */
	mgr = mgr_new(&o);
	assert_int_equal(eval_image(mgr, "/x/marker-2a"), 1);
	edr_content__free(mgr);
	o.allow_unsigned = 0;
	logbuf[0] = 0;
	mgr = mgr_new(&o);
	assert_int_equal(eval_image(mgr, "/x/marker-2a"), 0);
	assert_non_null(strstr(logbuf, "WITHOUT RULES"));
	edr_content__free(mgr);
}

/* Starts a manager in a child that loads path and dies without cleanup:
 * the sensor crashing during probation. */
static void crash_during_probation(const struct edr_content_opts *o, const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* static (and volatile, so the store is kept): still reachable
		 * at _exit, which valgrind's leak check does not count as an
		 * error in this child */
		static struct edr_content *volatile mgr;
		char err[768];

		mgr = edr_content__new(o, err, sizeof(err));
		if (!mgr || load(mgr, path, 0, 1, err, sizeof(err)))
			_exit(1);
		_exit(0); /* no edr_content__free: no clean shutdown record */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void kill_parent_hook(const char *stage)
{
	kill(getppid(), SIGKILL);
	_exit(0);
}

static void test_probation_rollback(void **state)
{
	struct edr_content_opts o = opts("c4");
	struct edr_content *mgr;
	const char *v2;
	char err[768];

	/* v1 goes through probation and becomes last-known-good. */
	o.probation_ms = 1000;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("p1", 1, sk, 1, rule("3a", NULL)), 0, 0, err,
			      sizeof(err)), 0);
	edr_content__tick(mgr, UINT64_MAX / 2);
	assert_non_null(strstr(logbuf, "passed probation"));
	edr_content__free(mgr);

	/* v2 crashes the sensor during its probation: next start is on v1. */
	v2 = bundle("p2", 2, sk, 1, rule("3b", NULL));
	logbuf[0] = 0;
	crash_during_probation(&o, v2);
	mgr = mgr_new(&o);
	assert_non_null(strstr(logbuf, "stopped unexpectedly while content"));
	assert_non_null(strstr(logbuf, "started on last-known-good content version 1"));
	assert_int_equal(eval_image(mgr, "/x/marker-3a"), 1);
	assert_int_equal(eval_image(mgr, "/x/marker-3b"), 0);
	edr_content__free(mgr);

	/* Once more: now v2 is bad and refused without --force. */
	logbuf[0] = 0;
	crash_during_probation(&o, v2);
	mgr = mgr_new(&o);
	assert_non_null(strstr(logbuf, "marked bad"));
	assert_int_equal(eval_image(mgr, "/x/marker-3a"), 1);
	expect_reject(mgr, v2, 0, "rejected at verify: content ");
	expect_reject(mgr, v2, 0, "is marked bad");
	edr_content__free(mgr);

	/* A clean stop during probation is not a crash. */
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("p3", 3, sk, 1, rule("3c", NULL)), 0, 0, err,
			      sizeof(err)), 0);
	edr_content__free(mgr);
	logbuf[0] = 0;
	mgr = mgr_new(&o);
	assert_null(strstr(logbuf, "unexpectedly"));
	assert_int_equal(eval_image(mgr, "/x/marker-3c"), 1);
	edr_content__free(mgr);

	/* Resumed after the clean stop, the sensor dies while testing it
	 * again at start: that counts as a failure too. */
	{
		struct edr_content_opts o2 = o;
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			char e[256];

			o2.child_hook = kill_parent_hook;
			edr_content__new(&o2, e, sizeof(e));
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	}
	logbuf[0] = 0;
	mgr = mgr_new(&o);
	assert_non_null(strstr(logbuf, "stopped unexpectedly while content"));
	assert_int_equal(eval_image(mgr, "/x/marker-3c"), 0);
	assert_int_equal(eval_image(mgr, "/x/marker-3a"), 1);
	edr_content__free(mgr);
}

static void test_shadow(void **state)
{
	struct edr_content_opts o = opts("c5");
	struct edr_content *mgr;
	char err[768];

	o.shadow_max_alert_ratio = 1.0;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("s1", 1, sk, 1, rule("4a", NULL)), 0, 0, err,
			      sizeof(err)), 0);
	assert_int_equal(load(mgr, bundle("s2", 2, sk, 1, rule("4b", NULL)), 60000, 0, err,
			      sizeof(err)), 0);
	assert_non_null(strstr(err, "accepted into shadow: version 2"));
	{
		struct edr_content_status cs;

		edr_content__status(mgr, &cs);
		assert_int_equal(cs.version, 1);
		assert_int_equal(cs.shadow_version, 2);
		assert_string_equal(cs.state, "shadow");
		assert_true(cs.probation_left_sec > 0);
		assert_true(cs.activated_at > 1700000000);
	}
	/* Both sets evaluate; the candidate's matches are flagged shadow. */
	assert_int_equal(eval_image(mgr, "/x/marker-4b"), 0);
	assert_int_equal(count_shadow, 1);
	assert_int_equal(eval_image(mgr, "/x/marker-4a"), 1);
	assert_int_equal(count_shadow, 0);
	edr_content__tick(mgr, 1); /* window not over */
	assert_int_equal(eval_image(mgr, "/x/marker-4b"), 0);
	edr_content__tick(mgr, UINT64_MAX / 4);
	assert_non_null(strstr(logbuf, "promoted"));
	assert_int_equal(eval_image(mgr, "/x/marker-4b"), 1);
	assert_int_equal(count_shadow, 0);
	edr_content__free(mgr);

	/* A candidate that alerts on every event is discarded. */
	o.shadow_max_alert_ratio = 0.1;
	mgr = mgr_new(&o);
	assert_int_equal(load(mgr, bundle("s3", 3, sk, 1, rule("4c", NULL)), 60000, 0, err,
			      sizeof(err)), 0);
	for (int i = 0; i < 10; i++)
		eval_image(mgr, "/x/marker-4c");
	edr_content__tick(mgr, UINT64_MAX / 4);
	assert_non_null(strstr(logbuf, "discarded: 10 alerts for 10 events"));
	assert_int_equal(eval_image(mgr, "/x/marker-4c"), 0);
	assert_int_equal(eval_image(mgr, "/x/marker-4b"), 1);
	edr_content__free(mgr);
}

/* ---- swapping under load ---- */

struct storm {
	struct edr_content *mgr;
	volatile int stop;
	unsigned long events, bad;
};

static void storm_match(const struct edr_rule *r, int shadow, const struct edr_content_set *s,
			void *ctx)
{
	(*(int *)ctx)++;
}

static void *storm_thread(void *arg)
{
	struct storm *st = arg;
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION), f };

	edr_content__thread_init();
	f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ "/x/marker-5z", 12, 0, 1 };
	while (!st->stop) {
		int hits = 0, n = edr_content__eval(st->mgr, &ev, storm_match, &hits);

		/* Every version has exactly one rule matching marker-5z. */
		if (n != 1 || hits != 1)
			st->bad++;
		st->events++;
	}
	edr_content__thread_fini();
	return NULL;
}

static void test_swap_under_load(void **state)
{
	struct edr_content_opts o = opts("c6");
	struct storm st = { 0 };
	pthread_t t[2];
	char err[768];
	int i;

	st.mgr = mgr_new(&o);
	assert_int_equal(load(st.mgr, bundle("w0", 1, sk, 1, rule("5z", NULL)), 0, 0, err,
			      sizeof(err)), 0);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, storm_thread, &st);
	for (i = 2; i < 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "w%d", i);
		assert_int_equal(load(st.mgr, bundle(name, (uint64_t)i, sk, 2, rule("5z", NULL),
						     rule("5y", NULL)), 0, 0, err, sizeof(err)), 0);
	}
	st.stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_true(st.events > 0);
	assert_int_equal(st.bad, 0);
	edr_content__free(st.mgr);
}

/* ---- over the control socket ---- */

static struct lines ctl_lines;

static int ctl_progress(const char *msg, void *ctx)
{
	on_progress(msg, &ctl_lines);
	return 0;
}

static void test_ctl_verbs(void **state)
{
	struct edr_content_opts o = opts("c7");
	struct edr_ctl_err cerr = { "" };
	struct edr_ctl_server *srv;
	struct edr_ctl_reply r;
	struct edr_ctl_req *req;
	struct edr_content *mgr;
	char sock[128];

	snprintf(sock, sizeof(sock), "%s/run/edr.sock", tmp);
	o.shadow_default_ms = 600000;
	mgr = mgr_new(&o);
	srv = edr_ctl_server__new(sock, (gid_t)-1, &cerr);
	assert_non_null(srv);
	assert_int_equal(edr_content__register_verbs(mgr, srv), 0);
	assert_int_equal(edr_ctl_server__start(srv), 0);

	edr_ctl_reply__init(&r);
	req = edr_ctl_req__new("load-rules");
	edr_ctl_req__add(req, "path", bundle("k1", 4, sk, 1, rule("6a", NULL)));
	edr_ctl_req__add(req, "shadow", "0");
	assert_int_equal(edr_ctl_call_progress(sock, req, &r, ctl_progress, NULL, &cerr), 0);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.msg, "active: version 4, 1 rules");
	assert_true(ctl_lines.n >= 5);
	assert_non_null(strstr(ctl_lines.text, "self-test: ok"));
	edr_ctl_req__free(req);

	/* The configured default shadow applies unless the request says 0. */
	req = edr_ctl_req__new("load-rules");
	edr_ctl_req__add(req, "path", bundle("k3", 5, sk, 1, rule("6c", NULL)));
	assert_int_equal(edr_ctl_call(sock, req, &r, &cerr), 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.msg, "accepted into shadow: version 5"));
	edr_ctl_req__free(req);
	req = edr_ctl_req__new("load-rules");
	edr_ctl_req__add(req, "path", bundle("k4", 6, sk, 1, rule("6d", NULL)));
	edr_ctl_req__add(req, "shadow", "0");
	assert_int_equal(edr_ctl_call(sock, req, &r, &cerr), 0);
	assert_string_equal(r.msg, "active: version 6, 1 rules");
	edr_ctl_req__free(req);

	req = edr_ctl_req__new("load-rules");
	edr_ctl_req__add(req, "path", bundle("k2", 2, sk, 1, rule("6b", NULL)));
	assert_int_equal(edr_ctl_call(sock, req, &r, &cerr), 0);
	assert_int_equal(r.status, -ESTALE);
	assert_non_null(strstr(r.msg, "rejected at verify: content version 2 is not newer"));
	edr_ctl_req__free(req);

	req = edr_ctl_req__new("rules");
	assert_int_equal(edr_ctl_call(sock, req, &r, &cerr), 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(edr_ctl_reply__find(&r, "active.version")->n, 6);
	assert_int_equal(edr_ctl_reply__find(&r, "active.rules")->n, 1);
	assert_string_equal(edr_ctl_reply__find(&r, "active.state")->s, "probation");
	assert_string_equal(edr_ctl_reply__find(&r, "active.signed")->s, "yes");
	assert_non_null(strstr(edr_ctl_reply__find(&r, "last_rejection")->s, "rejected at verify"));
	edr_ctl_req__free(req);
	edr_ctl_reply__fini(&r);
	edr_ctl_server__free(srv);
	edr_content__free(mgr);
}

static void test_duration(void **state)
{
	uint64_t ms;

	assert_int_equal(edr_duration_parse("10m", &ms), 0);
	assert_int_equal(ms, 600000);
	assert_int_equal(edr_duration_parse("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(edr_duration_parse("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(edr_duration_parse("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(edr_duration_parse("-1", &ms), -EINVAL);
	assert_int_equal(edr_duration_parse("5x", &ms), -EINVAL);
	assert_int_equal(edr_duration_parse("", &ms), -EINVAL);
	assert_int_equal(edr_duration_parse("99999999999999999999d", &ms), -EINVAL);
}

static int setup(void **state)
{
	uint8_t seed[32];

	if (sodium_init() < 0)
		return -1;
	memset(seed, 0x42, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memset(seed, 0x43, sizeof(seed));
	crypto_sign_seed_keypair(pk2, sk2, seed);
	edr_bundle_key__from_pk(&key, pk);
	edr_bundle_key__from_pk(&key2, pk2);
	edr_content__thread_init(); /* this thread evaluates events too */
	snprintf(tmp, sizeof(tmp), "/tmp/test_content.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	edr_content__thread_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int reset_log(void **state)
{
	logbuf[0] = 0;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test_setup(test_initial_then_load, reset_log),
		cmocka_unit_test_setup(test_child_crash_hang, reset_log),
		cmocka_unit_test_setup(test_load_blocks_no_periodic_work, reset_log),
		cmocka_unit_test_setup(test_unsigned_dir, reset_log),
		cmocka_unit_test_setup(test_probation_rollback, reset_log),
		cmocka_unit_test_setup(test_shadow, reset_log),
		cmocka_unit_test_setup(test_swap_under_load, reset_log),
		cmocka_unit_test_setup(test_ctl_verbs, reset_log),
		cmocka_unit_test_setup(test_protected_validate, reset_log),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
