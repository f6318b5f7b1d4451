// SPDX-License-Identifier: GPL-2.0-only
/*
 * The response engine against fake mechanisms: budgets and demotion (with
 * the kernel entries removed), re-arm, shadow "would" lines and the set's
 * counter, the kill switch, protected targets, rule numbers across a
 * generation flip, and the control verbs' argument checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules/schema.h"
#include "sensor/content/content.h"
#include "sensor/content/internal.h"
#include "sensor/ctl/ctl_client.h"
#include "sensor/ctl/ctl_server.h"
#include "sensor/response/protect.h"
#include "sensor/response/response.h"

#define MAXL 64

struct fake {
	uint64_t now;
	int kills, applies, enabled, exec_mode, isolated, adds;
	pid_t killed[16];
	struct edr_policy_exec exec[16];
	size_t nexec, nnet, nfile;
	size_t nallow;
	char *lines[MAXL];
	size_t nlines;
	int alerts;
};

static struct fake F;

static int f_apply(void *ctx, const struct edr_policy *p, char *err, size_t errlen)
{
	F.applies++;
	F.nexec = p->nexec;
	F.nnet = p->nnet;
	F.nfile = p->nfile;
	memcpy(F.exec, p->exec, (p->nexec < 16 ? p->nexec : 16) * sizeof(*p->exec));
	return 0;
}

static int f_add_exec(void *ctx, const struct edr_policy_exec *e)
{
	F.adds++;
	return 0;
}

static int f_enabled(void *ctx, int on)
{
	F.enabled = on;
	return 0;
}

static int f_mode(void *ctx, enum edr_exec_mode m)
{
	F.exec_mode = m;
	return 0;
}

static int f_kill(void *ctx, pid_t pid, uint64_t start, char *why, size_t whylen)
{
	if (F.kills < 16)
		F.killed[F.kills] = pid;
	F.kills++;
	return 0;
}

static int f_iso_on(void *ctx, const struct edr_isolate_allow *a, size_t n, char *err, size_t len)
{
	F.isolated = 1;
	F.nallow = n;
	return 0;
}

static int f_iso_off(void *ctx, char *err, size_t len)
{
	if (!F.isolated) {
		snprintf(err, len, "not isolated");
		return -ENOENT;
	}
	F.isolated = 0;
	return 0;
}

static void f_emit(void *ctx, const char *line, size_t len, int is_alert, int sev)
{
	if (F.nlines < MAXL)
		F.lines[F.nlines++] = strndup(line, len);
	F.alerts += is_alert;
}

static uint64_t f_clock(void *ctx)
{
	return F.now;
}

static void reset(void)
{
	size_t i;

	for (i = 0; i < F.nlines; i++)
		free(F.lines[i]);
	memset(&F, 0, sizeof(F));
	F.now = 1000000000000ull;
}

/* The last line holding needle, or NULL. */
static const char *line_with(const char *needle)
{
	size_t i;

	for (i = F.nlines; i-- > 0;)
		if (strstr(F.lines[i], needle))
			return F.lines[i];
	return NULL;
}

static size_t lines_with(const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < F.nlines; i++)
		n += strstr(F.lines[i], needle) != NULL;
	return n;
}

static struct edr_responder *engine(unsigned per_rule, unsigned total,
				    const struct edr_protect *prot)
{
	struct edr_response_opts o = {
		.ops = { .apply = f_apply, .add_exec = f_add_exec, .set_enabled = f_enabled,
			 .set_exec_mode = f_mode, .kill = f_kill, .isolate_on = f_iso_on,
			 .isolate_off = f_iso_off },
		.caps = { .exec_kill = 1, .net_cgroup = 1, .isolate = 1 },
		.enabled = 1,
		.rate_per_rule = per_rule,
		.rate_total = total,
		.protect = prot,
		.emit = f_emit,
		.clock_ns = f_clock,
		.no_worker = 1,
	};
	struct edr_responder *r = edr_response__new(&o);

	assert_non_null(r);
	return r;
}

static struct edr_ruleset *load(const char *yml)
{
	struct edr_rule_src src = { "t.yml", yml, strlen(yml) };
	struct edr_rules_err err = { .msg = "" };
	struct edr_ruleset *rs = edr_ruleset__load_mem(&src, 1, &err);

	if (!rs)
		fail_msg("rules: %s", err.msg);
	return rs;
}

#define KILL_RULE                                                                            \
	"title: Kill marker\nid: kill-marker\nlogsource:\n    category: process_creation\n"  \
	"    product: linux\ndetection:\n    sel:\n        CommandLine|contains: marker\n"   \
	"    condition: sel\nlevel: high\nx-edr-response:\n    action: kill\n"

static const struct edr_response_target target = {
	.cat = EDR_CAT_PROCESS_CREATION, .ts_ns = 999999000000ull, .pid = 4242,
	.start_ns = 5, .exe = "/tmp/edr-unit-bin",
};

static void test_budget_demotion_rearm(void **state)
{
	struct edr_ruleset *rs;
	struct edr_responder *r;
	struct edr_response_stats st;
	struct edr_content_set set = { 0 };
	const struct edr_rule *rule;
	int i;

	reset();
	r = engine(3, 100, NULL);
	rs = load(KILL_RULE);
	set.rs = rs;
	edr_response__on_activate(&set, r);
	rule = edr_ruleset__rule(rs, 0);
	for (i = 0; i < 3; i++)
		edr_response__on_match(r, rule, 0, &set, &target);
	assert_int_equal(F.kills, 3);
	assert_int_equal(lines_with("\"outcome\":\"taken\""), 3);
	assert_non_null(line_with("\"latency_us\":1000"));
	/* The fourth within the minute: demoted on the spot, with an alert. */
	edr_response__on_match(r, rule, 0, &set, &target);
	assert_int_equal(F.kills, 3);
	assert_int_equal(F.alerts, 1);
	assert_non_null(line_with("response-demoted"));
	assert_non_null(line_with("over its budget of 3 actions a minute"));
	/* Still demoted a minute later: re-arming is explicit. */
	F.now += 120ull * 1000000000ull;
	edr_response__on_match(r, rule, 0, &set, &target);
	assert_int_equal(F.kills, 3);
	assert_non_null(line_with("rule demoted to alert-only"));
	edr_response__stats(r, &st);
	assert_int_equal(st.demoted[EDR_ACT_KILL], 1);
	assert_int_equal(st.by_action[EDR_ACT_KILL][EDR_OUT_TAKEN], 3);
	assert_int_equal(st.by_action[EDR_ACT_KILL][EDR_OUT_SKIPPED], 2);
	assert_int_equal(st.by_mech[EDR_RMECH_PIDFD], 3);
	assert_int_equal(edr_response__rearm(r, "no-such-rule"), -ENOENT);
	assert_int_equal(edr_response__rearm(r, "kill-marker"), 1);
	edr_response__on_match(r, rule, 0, &set, &target);
	assert_int_equal(F.kills, 4);
	assert_int_equal(edr_response__rearm(r, NULL), -ENOENT);
	edr_response__free(r);
	edr_ruleset__free(rs);
}

static void test_total_budget(void **state)
{
	static const char two[] = KILL_RULE "---\n"
		"title: Kill other\nid: kill-other\nlogsource:\n    category: process_creation\n"
		"    product: linux\ndetection:\n    sel:\n        CommandLine|contains: other\n"
		"    condition: sel\nlevel: high\nx-edr-response:\n    action: kill\n";
	struct edr_content_set set = { 0 };
	struct edr_responder *r;
	struct edr_ruleset *rs;

	reset();
	r = engine(20, 2, NULL);
	rs = load(two);
	set.rs = rs;
	edr_response__on_activate(&set, r);
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &target);
	edr_response__on_match(r, edr_ruleset__rule(rs, 1), 0, &set, &target);
	edr_response__on_match(r, edr_ruleset__rule(rs, 1), 0, &set, &target);
	assert_int_equal(F.kills, 2);
	assert_non_null(line_with("over the total budget of 2 actions a minute"));
	edr_response__free(r);
	edr_ruleset__free(rs);
}

static void test_shadow_would(void **state)
{
	struct edr_content_set set = { 0 };
	struct edr_responder *r;
	struct edr_ruleset *rs;

	reset();
	r = engine(20, 100, NULL);
	rs = load(KILL_RULE);
	set.rs = rs;
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 1, &set, &target);
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 1, &set, &target);
	assert_int_equal(F.kills, 0);
	assert_int_equal(set.would_acts, 2);
	assert_non_null(line_with("\"action\":\"would-kill\""));
	assert_non_null(line_with("\"outcome\":\"would\""));
	edr_response__free(r);
	edr_ruleset__free(rs);
}

static void test_kill_switch(void **state)
{
	struct edr_content_set set = { 0 };
	struct edr_responder *r;
	struct edr_ruleset *rs;

	reset();
	r = engine(20, 100, NULL);
	assert_int_equal(F.enabled, 1);
	rs = load(KILL_RULE);
	set.rs = rs;
	edr_response__on_activate(&set, r);
	assert_int_equal(edr_response__set_enabled(r, 0), 0);
	assert_int_equal(F.enabled, 0);
	assert_int_equal(edr_response__enabled(r), 0);
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &target);
	assert_int_equal(F.kills, 0);
	assert_non_null(line_with("\"action\":\"skipped-kill\""));
	assert_non_null(line_with("enforcement off"));
	assert_int_equal(edr_response__set_enabled(r, 1), 0);
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &target);
	assert_int_equal(F.kills, 1);
	edr_response__free(r);
	edr_ruleset__free(rs);
}

static void test_protected_skip(void **state)
{
	const char *extra[] = { "/tmp/edr-unit-bin" };
	struct edr_protect *p = edr_protect__new(extra, 1);
	struct edr_content_set set = { 0 };
	struct edr_response_target t = target;
	struct edr_responder *r;
	struct edr_ruleset *rs;

	assert_non_null(p);
	reset();
	r = engine(20, 100, p);
	rs = load(KILL_RULE);
	set.rs = rs;
	edr_response__on_activate(&set, r);
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &t);
	assert_int_equal(F.kills, 0);
	assert_non_null(line_with("protected binary /tmp/edr-unit-bin"));
	t.exe = "/usr/bin/bash";
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &t);
	assert_int_equal(F.kills, 0);
	t.pid = 1;
	t.exe = "/tmp/other";
	edr_response__on_match(r, edr_ruleset__rule(rs, 0), 0, &set, &t);
	assert_int_equal(F.kills, 0);
	assert_non_null(line_with("protected process 1"));
	edr_response__free(r);
	edr_ruleset__free(rs);
	edr_protect__free(p);
}

static char *deny_rule(const char *id, const char *path)
{
	char *s;

	assert_true(asprintf(&s, "title: Deny %s\nid: %s\nlogsource:\n    category: process_creation\n"
			     "    product: linux\ndetection:\n    sel:\n        Image: '%s'\n"
			     "    condition: sel\nlevel: high\nx-edr-response:\n    action: deny\n",
			     id, id, path) > 0);
	return s;
}

static void test_generations(void **state)
{
	char path[64];
	int fd = (snprintf(path, sizeof(path), "/tmp/edr-unit-gen-%d", (int)getpid()),
		  open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600));
	char *y1 = deny_rule("deny-one", path), *y2 = deny_rule("deny-two", path);
	struct edr_content_set s1 = { 0 }, s2 = { 0 };
	struct edr_ruleset *r1, *r2;
	struct edr_responder *r;
	char id[128], name[256];
	uint32_t n1, n2;

	assert_true(fd >= 0);
	close(fd);
	reset();
	r = engine(2, 100, NULL);
	assert_int_equal(F.exec_mode, EDR_EXEC_MODE_KILL);
	r1 = load(y1);
	r2 = load(y2);
	s1.rs = r1;
	s2.rs = r2;
	edr_response__on_activate(&s1, r);
	assert_int_equal(F.nexec, 1);
	n1 = F.exec[0].rule;
	edr_response__on_activate(&s2, r);
	assert_int_equal(F.nexec, 1);
	n2 = F.exec[0].rule;
	assert_int_not_equal(n1, n2);
	/* The pre-exec path check (a file replaced since still matches by path). */
	assert_int_equal(edr_response__exec_path_hit(r, path), n2);
	assert_int_equal(edr_response__exec_path_hit(r, "/tmp/elsewhere"), 0);
	assert_int_equal(edr_response__exec_policy_hit(r, F.exec[0].dev, F.exec[0].ino,
						       F.exec[0].ctime_ns), n2);
	/* A record of the old generation still names its rule. */
	assert_true(edr_response__rule_name(r, n1, id, sizeof(id), name, sizeof(name)));
	assert_string_equal(id, "deny-one");
	assert_true(edr_response__rule_name(r, n2, id, sizeof(id), name, sizeof(name)));
	assert_string_equal(id, "deny-two");
	/* Kernel denials are reported and count against the budget: the
	 * third demotes the rule and its entry leaves the kernel. */
	edr_response__kernel_denial(r, n2, EDR_RMECH_KILL_AT_EXEC, &target);
	assert_non_null(line_with("\"mechanism\":\"kill-at-exec\""));
	assert_non_null(line_with("\"id\":\"deny-two\""));
	edr_response__kernel_denial(r, n2, EDR_RMECH_KILL_AT_EXEC, &target);
	assert_int_equal(F.nexec, 1);
	edr_response__kernel_denial(r, n2, EDR_RMECH_KILL_AT_EXEC, &target);
	assert_int_equal(F.nexec, 0);
	assert_non_null(line_with("response-demoted"));
	assert_int_equal(edr_response__exec_path_hit(r, path), 0);
	/* Matches of a rule decided in the kernel are not acted on twice. */
	edr_response__on_match(r, edr_ruleset__rule(r2, 0), 0, &s2, &target);
	assert_int_equal(F.kills, 0);
	assert_int_equal(edr_response__rearm(r, NULL), 1);
	assert_int_equal(F.nexec, 1);
	edr_response__free(r);
	edr_ruleset__free(r1);
	edr_ruleset__free(r2);
	free(y1);
	free(y2);
	unlink(path);
}

static void test_parse_allow(void **state)
{
	struct edr_isolate_allow a;
	char err[256], buf[64];

	assert_int_equal(edr_parse_allow("10.1.2.3/8:22", &a, err, sizeof(err)), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.prefix, 8);
	assert_int_equal(a.port, 22);
	assert_string_equal(edr_format_allow(&a, buf, sizeof(buf)), "10.0.0.0/8:22");
	assert_int_equal(edr_parse_allow("192.168.1.1", &a, err, sizeof(err)), 0);
	assert_int_equal(a.prefix, 32);
	assert_int_equal(edr_parse_allow("[fd00::1/64]:443", &a, err, sizeof(err)), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.port, 443);
	assert_int_equal(edr_parse_allow("::1", &a, err, sizeof(err)), 0);
	assert_int_equal(a.prefix, 128);
	assert_int_equal(edr_parse_allow("10.0.0.0/33", &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "prefix must be 0..32"));
	assert_int_equal(edr_parse_allow("10.0.0.1:0", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(edr_parse_allow("10.0.0.1:70000", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(edr_parse_allow("host.example", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(edr_parse_allow("[::1", &a, err, sizeof(err)), -EINVAL);
	assert_int_equal(edr_parse_allow("", &a, err, sizeof(err)), -EINVAL);
}

/* One request through a real control server; returns the reply status. */
static int call(const char *sock, const char *verb, const char *const *kv, char *msg, size_t len)
{
	struct edr_ctl_req *req = edr_ctl_req__new(verb);
	struct edr_ctl_err err = { "" };
	struct edr_ctl_reply rep;
	int rc;

	for (; kv && kv[0]; kv += 2)
		assert_int_equal(edr_ctl_req__add(req, kv[0], kv[1]), 0);
	edr_ctl_reply__init(&rep);
	rc = edr_ctl_call(sock, req, &rep, &err);
	assert_int_equal(rc, 0);
	rc = rep.status;
	snprintf(msg, len, "%s", rep.msg);
	edr_ctl_reply__fini(&rep);
	edr_ctl_req__free(req);
	return rc;
}

static void test_verbs(void **state)
{
	char dir[] = "/tmp/edr-unit-ctlXXXXXX", sock[128], msg[1024];
	struct edr_ctl_err cerr = { "" };
	struct edr_ctl_server *srv;
	struct edr_responder *r;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/s", dir);
	reset();
	r = engine(20, 100, NULL);
	srv = edr_ctl_server__new(sock, (gid_t)-1, &cerr);
	assert_non_null(srv);
	assert_int_equal(edr_response__register_verbs(r, srv), 0);
	assert_int_equal(edr_ctl_server__start(srv), 0);

	assert_int_not_equal(call(sock, "enforce", (const char *[]){ "state", "maybe", NULL }, msg,
				  sizeof(msg)), 0);
	assert_string_equal(msg, "enforce: state must be 'on' or 'off'");
	assert_int_not_equal(call(sock, "enforce", NULL, msg, sizeof(msg)), 0);
	assert_int_equal(call(sock, "enforce", (const char *[]){ "state", "off", NULL }, msg,
			      sizeof(msg)), 0);
	assert_int_equal(F.enabled, 0);
	assert_int_equal(call(sock, "enforce", (const char *[]){ "state", "on", NULL }, msg,
			      sizeof(msg)), 0);
	assert_int_equal(F.enabled, 1);
	assert_int_not_equal(call(sock, "response", (const char *[]){ "op", "explode", NULL }, msg,
				  sizeof(msg)), 0);
	assert_string_equal(msg, "response: op must be 'rearm'");
	assert_int_not_equal(call(sock, "response", (const char *[]){ "op", "rearm", NULL }, msg,
				  sizeof(msg)), 0);
	assert_string_equal(msg, "response rearm: give RULE or --all");
	assert_int_not_equal(call(sock, "response", (const char *[]){ "op", "rearm", "all", "1",
				  NULL }, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "response rearm: no rule is demoted");
	assert_int_not_equal(call(sock, "isolate", (const char *[]){ "allow.0", "10.0.0.0/99",
				  NULL }, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "isolate: allow entry '10.0.0.0/99': prefix must be 0..32"));
	assert_int_equal(F.isolated, 0);
	assert_int_equal(call(sock, "isolate", (const char *[]){ "allow.0", "10.0.0.0/8:22",
			      "allow.1", "192.168.0.1", NULL }, msg, sizeof(msg)), 0);
	assert_int_equal(F.isolated, 1);
	assert_int_equal(F.nallow, 2);
	assert_int_equal(call(sock, "release", NULL, msg, sizeof(msg)), 0);
	assert_int_not_equal(call(sock, "release", NULL, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "release: not isolated");
	edr_ctl_server__free(srv);
	edr_response__free(r);
	rmdir(dir);
}

static void test_choose_exec(void **state)
{
	struct edr_enforce_caps none = { 0 }, lsm = { .exec_lsm = 1, .exec_kill = 1 },
				kill = { .exec_kill = 1 };
	char why[256];

	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_AUTO, &lsm, 1, why, sizeof(why)),
			 EDR_RMECH_LSM);
	/* automatically kill-at-exec before fanotify (a stopped sensor holds no exec) */
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_AUTO, &kill, 1, why, sizeof(why)),
			 EDR_RMECH_KILL_AT_EXEC);
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_AUTO, &none, 1, why, sizeof(why)),
			 EDR_RMECH_FANOTIFY);
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_FANOTIFY, &kill, 1, why, sizeof(why)),
			 EDR_RMECH_FANOTIFY);
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_AUTO, &kill, 0, why, sizeof(why)),
			 EDR_RMECH_KILL_AT_EXEC);
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_KILL, &lsm, 1, why, sizeof(why)),
			 EDR_RMECH_KILL_AT_EXEC);
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_LSM, &kill, 0, why, sizeof(why)),
			 EDR_RMECH_KILL_AT_EXEC);
	assert_non_null(strstr(why, "enforce_exec = lsm is not available"));
	assert_int_equal(edr_response_choose_exec(EDR_EXEC_PREF_AUTO, &none, 0, why, sizeof(why)),
			 EDR_RMECH_PIDFD);
}

static void test_pidfd_kill_reuse(void **state)
{
	char why[256];
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (!pid) {
		pause();
		_exit(0);
	}
	/* A start time that is not the child's: refused, the child lives. */
	st = edr_response_pidfd_kill(NULL, pid, 1, why, sizeof(why));
	if (st == -ENOSYS) {
		/* valgrind does not know pidfd_open */
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		skip();
	}
	if (st != -ESRCH)
		kill(pid, SIGKILL);
	assert_int_equal(st, -ESRCH);
	assert_non_null(strstr(why, "reused"));
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(edr_response_pidfd_kill(NULL, pid, 0, why, sizeof(why)), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(edr_response_pidfd_kill(NULL, 1, 0, why, sizeof(why)), -EPERM);
}

struct shadow_ctx {
	struct edr_responder *r;
	int matches;
};

static void shadow_cb(const struct edr_rule *rule, int shadow, const struct edr_content_set *set,
		      void *ctx)
{
	struct shadow_ctx *c = ctx;

	c->matches++;
	edr_response__on_match(c->r, rule, shadow, set, &target);
}

/* Content with responses goes to shadow first; what it would do gates its
 * promotion; --enforce-now skips the window. */
static void test_shadow_gate(void **state)
{
	char dir[] = "/tmp/edr-unit-shadowXXXXXX", cdir[128], rdir[128], f[160], err[512];
	struct edr_field_value fv[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION), fv };
	struct edr_content_load_opts lo = { 0 };
	struct edr_content_opts co = {
		.allow_unsigned = 1, .response_shadow_ms = 60000, .shadow_max_would_act_per_min = 2,
		.child_wall_ms = 20000,
		/* Only the would-act gate may decide (valgrind is slow, matches many). */
		.shadow_max_ns_per_event = 10000000000ull, .shadow_max_alert_ratio = 1e9,
	};
	struct shadow_ctx c = { 0 };
	struct edr_content *mgr;
	FILE *fp;
	int i;

	assert_non_null(mkdtemp(dir));
	snprintf(cdir, sizeof(cdir), "%s/content", dir);
	snprintf(rdir, sizeof(rdir), "%s/rules", dir);
	snprintf(f, sizeof(f), "%s/kill.yml", rdir);
	assert_int_equal(mkdir(rdir, 0700), 0);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs(KILL_RULE, fp);
	fclose(fp);
	co.content_dir = cdir;
	mgr = edr_content__new(&co, err, sizeof(err));
	assert_non_null(mgr);
	reset();
	c.r = engine(20, 100, NULL);
	assert_int_equal(edr_content__load(mgr, rdir, &lo, NULL, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "accepted into shadow"));
	fv[EDR_F_PROCESS_CREATION_COMMAND_LINE] = (struct edr_field_value){ "x marker", 8, 0, 1 };
	for (i = 0; i < 3; i++)
		edr_content__eval(mgr, &ev, shadow_cb, &c);
	assert_int_equal(c.matches, 3);
	assert_int_equal(F.kills, 0);
	assert_int_equal(lines_with("would-kill"), 3);
	/* Three would-act in a window counted as a minute: over 2, discarded. */
	edr_content__tick(mgr, mgr->shadow_until_ms + 1);
	assert_null(mgr->shadow);
	assert_non_null(strstr(mgr->last_shadow, "over shadow_max_would_act_per_min"));
	/* --enforce-now: active at once. */
	lo.enforce_now = 1;
	assert_int_equal(edr_content__load(mgr, rdir, &lo, NULL, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "active"));
	edr_content__free(mgr);
	edr_response__free(c.r);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_demotion_rearm),
		cmocka_unit_test(test_total_budget),
		cmocka_unit_test(test_shadow_would),
		cmocka_unit_test(test_kill_switch),
		cmocka_unit_test(test_protected_skip),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_parse_allow),
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_choose_exec),
		cmocka_unit_test(test_pidfd_kill_reuse),
		cmocka_unit_test(test_shadow_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
