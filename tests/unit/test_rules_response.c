// SPDX-License-Identifier: GPL-2.0-only
/*
 * x-edr-response and the kernel form of a rule: every accepted response and
 * every refusal with its exact file:line:col message; the accessors
 * (edr_rule__response, edr_action_name, edr_rule__uses_field); and
 * edr_rule__kform for each accepted shape and for rules that look close
 * but are not equivalent to map entries (they must give EDR_KFORM_NONE).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules/edr_rules.h"

#define CAT(c) "title: t\nlogsource:\n  product: linux\n  category: " c "\n"
#define PC CAT("process_creation")
#define FE CAT("file_event")
#define NC CAT("network_connection")
#define DET_IMG "detection:\n  sel:\n    Image: /usr/bin/x\n  condition: sel\n"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct edr_ruleset *load(const char *yaml, struct edr_rules_err *err)
{
	struct edr_rule_src src = { "t.yml", yaml, strlen(yaml) };

	memset(err, 0, sizeof(*err));
	return edr_ruleset__load_mem(&src, 1, err);
}

static struct edr_ruleset *load_ok(const char *yaml)
{
	struct edr_rules_err err;
	struct edr_ruleset *rs = load(yaml, &err);

	if (!rs)
		fail_msg("did not load: %s\n%s", err.msg, yaml);
	return rs;
}

/* ---- responses -------------------------------------------------------------------- */

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(edr_action_name(EDR_ACT_NONE), "none");
	assert_string_equal(edr_action_name(EDR_ACT_DENY), "deny");
	assert_string_equal(edr_action_name(EDR_ACT_KILL), "kill");
	assert_string_equal(edr_action_name(EDR_ACT_QUARANTINE), "quarantine");
	assert_string_equal(edr_action_name(EDR_ACT_ISOLATE), "isolate");
	assert_string_equal(edr_action_name(_EDR_ACT_MAX), "?");
	assert_string_equal(edr_action_name(-1), "?");
}

struct okcase {
	const char *yaml;
	int action, tree;
};

static const struct okcase ok_cases[] = {
	{ PC DET_IMG, EDR_ACT_NONE, 0 },
	{ PC DET_IMG "x-edr-response: {action: deny}\n", EDR_ACT_DENY, 0 },
	{ PC DET_IMG "x-edr-response:\n  action: kill\n  tree: true\n", EDR_ACT_KILL, 1 },
	{ PC DET_IMG "x-edr-response: {action: kill, tree: false}\n", EDR_ACT_KILL, 0 },
	{ PC DET_IMG "x-edr-response: {action: kill}\n", EDR_ACT_KILL, 0 },
	{ PC DET_IMG "x-edr-response: {action: quarantine}\n", EDR_ACT_QUARANTINE, 0 },
	{ PC DET_IMG "x-edr-response: {action: isolate}\n", EDR_ACT_ISOLATE, 0 },
	{ FE "detection:\n  sel:\n    TargetFilename: /etc/x\n  condition: sel\n"
	  "x-edr-response: {action: deny}\n", EDR_ACT_DENY, 0 },
	{ NC "detection:\n  sel:\n    DestinationPort: 4444\n  condition: sel\n"
	  "x-edr-response: {action: deny}\n", EDR_ACT_DENY, 0 },
	{ CAT("file_rename") "detection:\n  sel:\n    TargetFilename: /etc/x\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n", EDR_ACT_QUARANTINE, 0 },
	{ CAT("file_change") "detection:\n  sel:\n    TargetFilename: /etc/x\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n", EDR_ACT_QUARANTINE, 0 },
	{ CAT("kernel_module") "detection:\n  sel:\n    ModulePath|startswith: /tmp/\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n", EDR_ACT_QUARANTINE, 0 },
	{ CAT("ptrace") "detection:\n  sel:\n    Request: PTRACE_ATTACH\n  condition: sel\n"
	  "x-edr-response: {action: kill, tree: yes}\n", EDR_ACT_KILL, 1 },
	{ CAT("file_delete") "detection:\n  sel:\n    TargetFilename: /var/log/wtmp\n  condition: sel\n"
	  "x-edr-response: {action: isolate}\n", EDR_ACT_ISOLATE, 0 },
};

static void test_responses_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		struct edr_ruleset *rs = load_ok(ok_cases[i].yaml);
		const struct edr_response *r = edr_rule__response(edr_ruleset__rule(rs, 0));

		assert_non_null(r);
		if (r->action != ok_cases[i].action || r->tree != ok_cases[i].tree)
			fail_msg("case %zu: action %d tree %d, want %d %d", i, r->action, r->tree,
				 ok_cases[i].action, ok_cases[i].tree);
		edr_ruleset__free(rs);
	}
}

struct ecase {
	const char *yaml;
	const char *msg;
};

static const struct ecase err_cases[] = {
	{ PC DET_IMG "x-edr-response: deny\n",
	  "t.yml:9:17: 'x-edr-response' must be a map, not a scalar" },
	{ PC DET_IMG "x-edr-response: [deny]\n",
	  "t.yml:9:17: 'x-edr-response' must be a map, not a list" },
	{ PC DET_IMG "x-edr-response:\n",
	  "t.yml:9:1: 'x-edr-response' is empty (write {action: deny|kill|quarantine|isolate}, or remove it to only alert)" },
	{ PC DET_IMG "x-edr-response: {actoin: deny}\n",
	  "t.yml:9:18: unknown key 'actoin' in x-edr-response (did you mean 'action'?)" },
	{ PC DET_IMG "x-edr-response: {action: kill, trees: true}\n",
	  "t.yml:9:32: unknown key 'trees' in x-edr-response (did you mean 'tree'?)" },
	{ PC DET_IMG "x-edr-response: {action: kill, pids: 1}\n",
	  "t.yml:9:32: unknown key 'pids' in x-edr-response (action or tree)" },
	{ PC DET_IMG "x-edr-response: {tree: true}\n",
	  "t.yml:9:17: x-edr-response has no 'action' (deny, kill, quarantine or isolate)" },
	{ PC DET_IMG "x-edr-response: {action: dney}\n",
	  "t.yml:9:26: unknown action 'dney' in x-edr-response (did you mean 'deny'?)" },
	{ PC DET_IMG "x-edr-response: {action: block}\n",
	  "t.yml:9:26: unknown action 'block' in x-edr-response (deny, kill, quarantine or isolate)" },
	{ PC DET_IMG "x-edr-response: {action: Deny}\n",
	  "t.yml:9:26: unknown action 'Deny' in x-edr-response (did you mean 'deny'?)" },
	{ PC DET_IMG "x-edr-response: {action: [deny]}\n",
	  "t.yml:9:26: 'action' of x-edr-response must be deny, kill, quarantine or isolate, not a list" },
	{ PC DET_IMG "x-edr-response: {action: }\n",
	  "t.yml:9:26: 'action' of x-edr-response must be deny, kill, quarantine or isolate, not nothing" },
	{ PC DET_IMG "x-edr-response: {action: kill, tree: maybe}\n",
	  "t.yml:9:38: 'tree' of x-edr-response must be true or false, not 'maybe'" },
	{ PC DET_IMG "x-edr-response: {action: kill, tree: [true]}\n",
	  "t.yml:9:38: 'tree' of x-edr-response must be true or false, not a list" },
	{ PC DET_IMG "x-edr-response:\n  action: deny\n  tree: true\n",
	  "t.yml:11:3: 'tree' applies to action kill only, not deny" },
	{ PC DET_IMG "x-edr-response: {action: deny, action: kill}\n",
	  "t.yml:9:32: duplicate key 'action' in 'x-edr-response' (first at line 9)" },
	/* actions that mean nothing for the category */
	{ CAT("file_delete") "detection:\n  sel:\n    TargetFilename: /x\n  condition: sel\n"
	  "x-edr-response: {action: deny}\n",
	  "t.yml:9:26: action deny is not available for category file_delete (deny refuses an exec, a connection or an open: process_creation, network_connection, file_event)" },
	{ CAT("ptrace") "detection:\n  sel:\n    Request: x\n  condition: sel\n"
	  "x-edr-response: {action: deny}\n",
	  "t.yml:9:26: action deny is not available for category ptrace (deny refuses an exec, a connection or an open: process_creation, network_connection, file_event)" },
	{ CAT("file_delete") "detection:\n  sel:\n    TargetFilename: /x\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n",
	  "t.yml:9:26: action quarantine needs an event that names a file (process_creation, file_event, file_rename, file_change, kernel_module), not file_delete" },
	{ NC "detection:\n  sel:\n    DestinationPort: 1\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n",
	  "t.yml:9:26: action quarantine needs an event that names a file (process_creation, file_event, file_rename, file_change, kernel_module), not network_connection" },
	{ CAT("privilege_change") "detection:\n  sel:\n    NewUid: 0\n  condition: sel\n"
	  "x-edr-response: {action: quarantine}\n",
	  "t.yml:9:26: action quarantine needs an event that names a file (process_creation, file_event, file_rename, file_change, kernel_module), not privilege_change" },
};

static void test_response_errors(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		struct edr_rules_err err;
		struct edr_ruleset *rs = load(err_cases[i].yaml, &err);

		if (rs) {
			print_error("case %zu loaded:\n%s", i, err_cases[i].yaml);
			edr_ruleset__free(rs);
			bad++;
		} else if (strcmp(err.msg, err_cases[i].msg) || errno != EINVAL) {
			print_error("case %zu:\n  got  %s\n  want %s\n", i, err.msg, err_cases[i].msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ---- uses_field ------------------------------------------------------------------- */

static void test_uses_field(void **state)
{
	struct edr_ruleset *rs;
	const struct edr_rule *r;

	(void)state;
	rs = load_ok(PC "detection:\n  sel:\n    Image: /x\n    User: root\n"
		     "  other:\n    CommandLine: y\n  filter:\n    ParentImage|fieldref: CurrentDirectory\n"
		     "  condition: sel and not filter\n");
	r = edr_ruleset__rule(rs, 0);
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_IMAGE));
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_USER));
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_PARENT_IMAGE));
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY));
	/* 'other' is not in the condition */
	assert_false(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_COMMAND_LINE));
	assert_false(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_SHA256));
	assert_false(edr_rule__uses_field(r, 999));
	edr_ruleset__free(rs);

	/* a keyword reads every STR field, no INT field */
	rs = load_ok(PC "detection:\n  kw:\n    - evil\n  condition: kw\n");
	r = edr_ruleset__rule(rs, 0);
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_COMMAND_LINE));
	assert_true(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_PARENT_USER));
	assert_false(edr_rule__uses_field(r, EDR_F_PROCESS_CREATION_PROCESS_ID));
	edr_ruleset__free(rs);

	rs = load_ok(NC "detection:\n  sel:\n    DestinationPort|gt: 1024\n    DestinationIp|cidr: 10.0.0.0/8\n"
		     "  condition: sel\n");
	r = edr_ruleset__rule(rs, 0);
	assert_true(edr_rule__uses_field(r, EDR_F_NETWORK_CONNECTION_DESTINATION_PORT));
	assert_true(edr_rule__uses_field(r, EDR_F_NETWORK_CONNECTION_DESTINATION_IP));
	assert_false(edr_rule__uses_field(r, EDR_F_NETWORK_CONNECTION_IMAGE));
	edr_ruleset__free(rs);
}

/* ---- kernel forms ---------------------------------------------------------------------- */

static void kform_of(const char *yaml, struct edr_ruleset **rs, struct edr_kform *k)
{
	*rs = load_ok(yaml);
	edr_rule__kform(edr_ruleset__rule(*rs, 0), k);
}

/* A string kernel form: kind, and exactly these strings in order. */
static void assert_strs(const struct edr_kform *k, int kind, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(k->kind, kind);
	assert_int_equal(k->nstrs, n);
	for (i = 0; i < n; i++)
		assert_string_equal(k->strs[i], want[i]);
	assert_int_equal(k->nnets, 0);
	assert_int_equal(k->nports, 0);
}

static void test_kform_exec_path(void **state)
{
	struct edr_ruleset *rs;
	struct edr_kform k;

	(void)state;
	kform_of(PC "detection:\n  sel:\n    Image: /tmp/edr-test-denied\n  condition: sel\n", &rs, &k);
	assert_strs(&k, EDR_KFORM_EXEC_PATH, (const char *const[]){ "/tmp/edr-test-denied" }, 1);
	edr_ruleset__free(rs);

	/* a list, several identifiers ORed, the literal as written (case kept),
	 * an escaped wildcard is a literal byte */
	kform_of(PC "detection:\n  a:\n    Image:\n      - /opt/Evil/run\n      - '/tmp/a\\*b'\n"
		 "  b:\n    Image|cased: /usr/local/bin/miner\n  condition: a or b\n", &rs, &k);
	assert_strs(&k, EDR_KFORM_EXEC_PATH,
		    (const char *const[]){ "/opt/Evil/run", "/tmp/a*b", "/usr/local/bin/miner" }, 3);
	edr_ruleset__free(rs);

	kform_of(PC "detection:\n  sel:\n    - Image: /a/b\n    - Image: /c/d\n  condition: 1 of sel*\n",
		 &rs, &k);
	assert_int_equal(k.kind, EDR_KFORM_EXEC_PATH);
	assert_int_equal(k.nstrs, 2);
	edr_ruleset__free(rs);
}

static void test_kform_sha256(void **state)
{
	struct edr_ruleset *rs;
	struct edr_kform k;
	char upper[65];
	size_t i;

	(void)state;
	kform_of(PC "detection:\n  sel:\n    sha256: " HEX "\n  condition: sel\n", &rs, &k);
	assert_strs(&k, EDR_KFORM_EXEC_SHA256, (const char *const[]){ HEX }, 1);
	edr_ruleset__free(rs);

	/* Hashes as the sensor fills it ("SHA256=<hex>"), contains or equal,
	 * upper-case hex lowered (the match is case-insensitive) */
	for (i = 0; i < 64; i++)
		upper[i] = HEX[i] >= 'a' ? (char)(HEX[i] - 32) : HEX[i];
	upper[64] = 0;
	{
		char y[1024];

		snprintf(y, sizeof(y), PC "detection:\n  a:\n    Hashes|contains: 'SHA256=%s'\n"
			 "  b:\n    Hashes: 'sha256=" HEX "'\n  c:\n    sha256: %s\n"
			 "  condition: a or b or c\n", upper, upper);
		kform_of(y, &rs, &k);
	}
	assert_strs(&k, EDR_KFORM_EXEC_SHA256, (const char *const[]){ HEX, HEX, HEX }, 3);
	edr_ruleset__free(rs);
}

static void test_kform_net(void **state)
{
	struct edr_ruleset *rs;
	struct edr_kform k;
	static const uint8_t v4[4] = { 127, 0, 0, 77 };
	static const uint8_t ten[4] = { 10, 0, 0, 0 };

	(void)state;
	kform_of(NC "detection:\n  sel:\n    DestinationIp|cidr: 127.0.0.77/32\n    DestinationPort: 4444\n"
		 "  condition: sel\n", &rs, &k);
	assert_int_equal(k.kind, EDR_KFORM_NET);
	assert_int_equal(k.nnets, 1);
	assert_int_equal(k.nets[0].family, 4);
	assert_int_equal(k.nets[0].prefix, 32);
	assert_memory_equal(k.nets[0].addr, v4, 4);
	assert_int_equal(k.nports, 1);
	assert_int_equal(k.ports[0], 4444);
	assert_int_equal(k.nstrs, 0);
	edr_ruleset__free(rs);

	/* a list of networks (host bits cleared), an address literal (host
	 * prefix), IPv6, no port (any), "Initiated: true" (what connect means) */
	kform_of(NC "detection:\n  sel:\n    DestinationIp|cidr:\n      - 10.1.2.3/8\n      - 'fd00::/8'\n"
		 "  host:\n    DestinationIp: '2001:db8::1'\n  out:\n    Initiated: true\n"
		 "  condition: (sel or host) and out\n", &rs, &k);
	assert_int_equal(k.kind, EDR_KFORM_NET);
	assert_int_equal(k.nnets, 3);
	assert_int_equal(k.nets[0].prefix, 8);
	assert_memory_equal(k.nets[0].addr, ten, 4);
	assert_int_equal(k.nets[1].family, 6);
	assert_int_equal(k.nets[1].addr[0], 0xfd);
	assert_int_equal(k.nets[2].family, 6);
	assert_int_equal(k.nets[2].prefix, 128);
	assert_int_equal(k.nets[2].addr[15], 1);
	assert_int_equal(k.nports, 0);
	edr_ruleset__free(rs);

	kform_of(NC "detection:\n  sel:\n    DestinationIp: 192.0.2.1\n    DestinationPort:\n"
		 "      - 22\n      - 443\n  condition: sel\n", &rs, &k);
	assert_int_equal(k.kind, EDR_KFORM_NET);
	assert_int_equal(k.nnets, 1);
	assert_int_equal(k.nets[0].prefix, 32);
	assert_int_equal(k.nports, 2);
	assert_int_equal(k.ports[1], 443);
	edr_ruleset__free(rs);
}

static void test_kform_file_path(void **state)
{
	struct edr_ruleset *rs;
	struct edr_kform k;

	(void)state;
	kform_of(FE "detection:\n  sel:\n    TargetFilename:\n      - /tmp/edr-test-protected\n"
		 "      - /etc/shadow\n  condition: sel\n", &rs, &k);
	assert_strs(&k, EDR_KFORM_FILE_PATH,
		    (const char *const[]){ "/tmp/edr-test-protected", "/etc/shadow" }, 2);
	edr_ruleset__free(rs);
}

/* Rules that look like a kernel form and are not equivalent to one. */
static const char *const none_cases[] = {
	/* process_creation */
	PC "detection:\n  sel:\n    Image|endswith: /bash\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|startswith: /tmp/\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|contains: /tmp/x\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/*\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x?\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|re: ^/tmp/x$\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|windash: /tmp/-x\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|base64: /tmp/x\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: x\n  condition: sel\n",                 /* relative */
	PC "detection:\n  sel:\n    Image: /tmp//x\n  condition: sel\n",           /* never reported so */
	PC "detection:\n  sel:\n    Image: /tmp/../x\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/./x\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x/\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x/..\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x\n  condition: not sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x\n    User: root\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: /tmp/x\n  f:\n    User: root\n  condition: sel and not f\n",
	PC "detection:\n  sel:\n    Image: /tmp/x\n  o:\n    CommandLine: y\n  condition: sel or o\n",
	PC "detection:\n  sel:\n    Image|all:\n      - /tmp/x\n      - /tmp/y\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|fieldref: ParentImage\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: '*'\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image: null\n  condition: sel\n",
	PC "detection:\n  sel:\n    Image|exists: true\n  condition: sel\n",
	PC "detection:\n  sel:\n    ParentImage: /tmp/x\n  condition: sel\n",
	PC "detection:\n  kw:\n    - /tmp/x\n  condition: kw\n",
	PC "detection:\n  sel:\n    Image: /tmp/x\n  h:\n    sha256: " HEX "\n  condition: sel or h\n",
	PC "detection:\n  sel:\n    sha256|startswith: 0123\n  condition: sel\n",
	PC "detection:\n  sel:\n    sha256: " HEX "0\n  condition: sel\n",
	PC "detection:\n  sel:\n    sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n"
	   "  condition: sel\n",
	PC "detection:\n  sel:\n    sha256|cased: 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n"
	   "  condition: sel\n",
	PC "detection:\n  sel:\n    Hashes|contains: " HEX "\n  condition: sel\n",
	PC "detection:\n  sel:\n    Hashes|contains: 'MD5=" HEX "'\n  condition: sel\n",
	PC "detection:\n  sel:\n    Hashes|endswith: 'SHA256=" HEX "'\n  condition: sel\n",
	PC "detection:\n  sel:\n    Hashes|contains|cased: 'sha256=" HEX "'\n  condition: sel\n",
	/* file_event */
	FE "detection:\n  sel:\n    TargetFilename|startswith: /tmp/edr-test-quarantine/\n  condition: sel\n",
	FE "detection:\n  sel:\n    TargetFilename: /etc/shadow\n    Image: /usr/bin/vi\n  condition: sel\n",
	FE "detection:\n  sel:\n    SourceFilename: /etc/shadow\n  condition: sel\n",
	/* the same shapes in a category without that kernel form */
	CAT("file_rename") "detection:\n  sel:\n    TargetFilename: /etc/shadow\n  condition: sel\n",
	CAT("file_delete") "detection:\n  sel:\n    TargetFilename: /etc/shadow\n  condition: sel\n",
	/* network_connection */
	NC "detection:\n  sel:\n    DestinationPort: 4444\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n    Image: /usr/bin/nc\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n  condition: not sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n    DestinationPort|gt: 1024\n"
	   "  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n    Initiated: false\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n  p:\n    DestinationPort: 1\n"
	   "  condition: sel or p\n",
	NC "detection:\n  a:\n    DestinationIp|cidr: 10.0.0.0/8\n  b:\n    DestinationIp|cidr: 10.1.0.0/16\n"
	   "  condition: a and b\n",
	NC "detection:\n  a:\n    DestinationIp|cidr: 10.0.0.0/8\n    DestinationPort: 1\n"
	   "  b:\n    DestinationPort: 2\n  condition: a and b\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n    SourceIp|cidr: 10.0.0.0/8\n"
	   "  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|startswith: '10.'\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp: 10.0.0.01\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp: '2001:DB8:0:0::1'\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp: '10.0.0.*'\n  condition: sel\n",
	NC "detection:\n  sel:\n    - DestinationIp|cidr: 10.0.0.0/8\n      DestinationPort: 1\n"
	   "    - DestinationIp|cidr: 11.0.0.0/8\n      DestinationPort: 2\n  condition: sel\n",
	NC "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/8\n    DestinationPort: 70000\n"
	   "  condition: sel\n",
	/* other categories never have one */
	CAT("kernel_module") "detection:\n  sel:\n    ModulePath: /tmp/x.ko\n  condition: sel\n",
};

static void test_kform_refused(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(none_cases) / sizeof(none_cases[0]); i++) {
		struct edr_ruleset *rs;
		struct edr_kform k;

		kform_of(none_cases[i], &rs, &k);
		if (k.kind != EDR_KFORM_NONE || k.nstrs || k.nnets || k.nports) {
			print_error("case %zu has kernel form %d:\n%s", i, k.kind, none_cases[i]);
			bad++;
		}
		edr_ruleset__free(rs);
	}
	assert_int_equal(bad, 0);
}

/* The kernel form does not depend on the response, and one rule's form is
 * not disturbed by its neighbours' literals. */
static void test_kform_per_rule(void **state)
{
	struct edr_ruleset *rs;
	struct edr_kform k;

	(void)state;
	rs = load_ok(PC "detection:\n  sel:\n    Image|endswith: /x\n  condition: sel\n"
		     "---\n" PC "id: b\ndetection:\n  sel:\n    Image: /usr/bin/y\n  condition: sel\n"
		     "x-edr-response: {action: deny}\n");
	edr_rule__kform(edr_ruleset__rule(rs, 0), &k);
	assert_int_equal(k.kind, EDR_KFORM_NONE);
	edr_rule__kform(edr_ruleset__rule(rs, 1), &k);
	assert_int_equal(k.kind, EDR_KFORM_EXEC_PATH);
	assert_string_equal(k.strs[0], "/usr/bin/y");
	edr_ruleset__free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_responses_ok),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_uses_field),
		cmocka_unit_test(test_kform_exec_path),
		cmocka_unit_test(test_kform_sha256),
		cmocka_unit_test(test_kform_net),
		cmocka_unit_test(test_kform_file_path),
		cmocka_unit_test(test_kform_refused),
		cmocka_unit_test(test_kform_per_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
