// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every way a rule can be rejected: each case gives a rule and the exact
 * one-line error (file:line:col: message) the loader must produce. Also the
 * limits, keep-going mode and the all-or-nothing default.
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
#include "rules/limits.h"

#define H "title: t\nlogsource:\n  product: linux\n  category: process_creation\n"
#define HN "title: t\nlogsource:\n  product: linux\n  category: network_connection\n"

struct ecase {
	const char *yaml;
	const char *msg; /* exact expected first error */
	int err;         /* expected errno */
};

static const struct ecase cases[] = {
	/* schema: unknown field (with suggestion) and wrong types, at file:line:col */
	{ H "detection:\n  sel:\n    CommandLin|contains: x\n  condition: sel\n",
	  "t.yml:7:5: field 'CommandLin' is not in category process_creation (did you mean 'CommandLine'?)", EINVAL },
	{ H "detection:\n  sel:\n    commandline: x\n  condition: sel\n",
	  "t.yml:7:5: field 'commandline' is not in category process_creation (did you mean 'CommandLine'?)", EINVAL },
	{ H "detection:\n  sel:\n    Frobnicate: x\n  condition: sel\n",
	  "t.yml:7:5: field 'Frobnicate' is not in category process_creation", EINVAL },
	{ "title: t\nlogsource: {category: file_event}\ndetection:\n  sel:\n    TargetFilname: /etc/x\n  condition: sel\n",
	  "t.yml:5:5: field 'TargetFilname' is not in category file_event (did you mean 'TargetFilename'?)", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationPort: http\n  condition: sel\n",
	  "t.yml:7:22: field 'DestinationPort' is INT in category network_connection: value 'http' is not an integer", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationPort: '44*'\n  condition: sel\n",
	  "t.yml:7:22: field 'DestinationPort' is INT in category network_connection: value '44*' is not an integer", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationPort: \"4\\n4\\t\"\n  condition: sel\n",
	  "t.yml:7:22: field 'DestinationPort' is INT in category network_connection: value '4?4?' is not an integer", EINVAL },
	{ HN "detection:\n  sel:\n    Initiated: maybe\n  condition: sel\n",
	  "t.yml:7:16: field 'Initiated' is BOOL in category network_connection: value 'maybe' is not true or false", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationPort|contains: 44\n  condition: sel\n",
	  "t.yml:7:5: field 'DestinationPort' is INT: string modifiers need a STR or IP field", EINVAL },
	{ HN "detection:\n  sel:\n    Image|gt: 4\n  condition: sel\n",
	  "t.yml:7:5: 'Image' is STR: gt/gte/lt/lte need an INT field", EINVAL },
	{ HN "detection:\n  sel:\n    Image|cidr: 10.0.0.0/8\n  condition: sel\n",
	  "t.yml:7:5: 'Image' is STR: cidr needs an IP field", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/33\n  condition: sel\n",
	  "t.yml:7:25: '10.0.0.0/33' is not a valid CIDR network (a.b.c.d/n or v6/n)", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationIp|cidr: 300.0.0.0/8\n  condition: sel\n",
	  "t.yml:7:25: '300.0.0.0/8' is not a valid CIDR network (a.b.c.d/n or v6/n)", EINVAL },
	{ HN "detection:\n  sel:\n    DestinationPort|gte: many\n  condition: sel\n",
	  "t.yml:7:26: field 'DestinationPort' is INT in category network_connection: value 'many' is not an integer", EINVAL },
	{ H "detection:\n  sel:\n    Image|fieldref: Imag\n  condition: sel\n",
	  "t.yml:7:21: fieldref: field 'Imag' is not in category process_creation (did you mean 'Image'?)", EINVAL },
	{ H "detection:\n  sel:\n    Image|fieldref: ProcessId\n  condition: sel\n",
	  "t.yml:7:21: fieldref: 'Image' is STR and 'ProcessId' is INT", EINVAL },
	{ H "detection:\n  sel:\n    Image|exists: sometimes\n  condition: sel\n",
	  "t.yml:7:19: 'exists' takes true or false, not 'sometimes'", EINVAL },

	/* modifiers */
	{ H "detection:\n  sel:\n    Image|endswth: /sh\n  condition: sel\n",
	  "t.yml:7:5: unknown modifier 'endswth' (did you mean 'endswith'?)", EINVAL },
	{ H "detection:\n  sel:\n    Image|frobnicate: /sh\n  condition: sel\n",
	  "t.yml:7:5: unknown modifier 'frobnicate'", EINVAL },
	{ H "detection:\n  sel:\n    Image|wide|base64: /sh\n  condition: sel\n",
	  "t.yml:7:5: unsupported modifier 'wide': UTF-16 encodings are for Windows event data; Linux events are UTF-8", EINVAL },
	{ H "detection:\n  sel:\n    Image|expand: '%x%'\n  condition: sel\n",
	  "t.yml:7:5: unsupported modifier 'expand': placeholders need a pipeline that defines them", EINVAL },
	{ H "detection:\n  sel:\n    Image|contains|endswith: /sh\n  condition: sel\n",
	  "t.yml:7:5: only one of contains, startswith, endswith may be given", EINVAL },
	{ H "detection:\n  sel:\n    Image||contains: /sh\n  condition: sel\n",
	  "t.yml:7:5: empty modifier in 'Image||contains'", EINVAL },
	{ H "detection:\n  sel:\n    Image|: /sh\n  condition: sel\n",
	  "t.yml:7:5: empty modifier in 'Image|'", EINVAL },
	{ H "detection:\n  sel:\n    Image|contains|contains: /sh\n  condition: sel\n",
	  "t.yml:7:5: modifier 'contains' given twice", EINVAL },
	{ H "detection:\n  sel:\n    Image|re|contains: sh\n  condition: sel\n",
	  "t.yml:7:5: re cannot be combined with contains/startswith/endswith/windash/cased (write it in the expression; re is case-sensitive unless |i)", EINVAL },
	{ H "detection:\n  sel:\n    Image|i: sh\n  condition: sel\n",
	  "t.yml:7:5: modifiers i, m and s apply to re only", EINVAL },
	{ H "detection:\n  sel:\n    Image|re|base64: sh\n  condition: sel\n",
	  "t.yml:7:5: modifiers re, cidr, exists, gt/gte/lt/lte, fieldref and base64 exclude each other", EINVAL },
	{ H "detection:\n  sel:\n    Image|base64: 'a*b'\n  condition: sel\n",
	  "t.yml:7:19: a value with wildcards cannot be base64-encoded", EINVAL },
	{ H "detection:\n  sel:\n    - '|gt': 4\n  condition: sel\n",
	  "t.yml:7:7: a keyword search cannot use cidr, exists, gt/gte/lt/lte or fieldref", EINVAL },
	{ H "detection:\n  sel:\n    Image|contains: null\n  condition: sel\n",
	  "t.yml:7:21: null cannot be combined with modifiers", EINVAL },

	/* regular expressions Hyperscan cannot run are rejected, not run elsewhere */
	{ H "detection:\n  sel:\n    CommandLine|re: '(a)\\1'\n  condition: sel\n",
	  "t.yml:7:21: regular expression '(a)\\1' rejected: Back-references are unsupported.", EINVAL },
	{ H "detection:\n  sel:\n    CommandLine|re: 'a(?=b)'\n  condition: sel\n",
	  "t.yml:7:21: regular expression 'a(?=b)' rejected: Zero-width assertions are not supported.", EINVAL },
	{ H "detection:\n  sel:\n    CommandLine|re: 'a(b'\n  condition: sel\n",
	  "t.yml:7:21: regular expression 'a(b' rejected: Missing close parenthesis for group started at index 1.", EINVAL },

	{ H "detection:\n  sel:\n    CommandLine|re: '((ab|cd){100}){100}'\n  condition: sel\n",
	  "t.yml:7:21: regular expression '((ab|cd){100}){100}' expands to more than 1000 states (bounded repeats multiply); lower its repeat counts", E2BIG },
	{ H "detection:\n  sel:\n    CommandLine|re: 'x{1001}'\n  condition: sel\n",
	  "t.yml:7:21: regular expression 'x{1001}' expands to more than 1000 states (bounded repeats multiply); lower its repeat counts", E2BIG },
	{ H "detection:\n  sel:\n    CommandLine|re: '.{65535}'\n  condition: sel\n",
	  "t.yml:7:21: regular expression '.{65535}' expands to more than 1000 states (bounded repeats multiply); lower its repeat counts", E2BIG },

	/* detection structure */
	{ H "detection:\n  sel:\n    Image: []\n  condition: sel\n",
	  "t.yml:7:12: empty list of values for 'Image'", EINVAL },
	{ H "detection:\n  sel:\n    Image: {a: b}\n  condition: sel\n",
	  "t.yml:7:12: value of 'Image' must be a scalar or a list of scalars, not a map", EINVAL },
	{ H "detection:\n  sel: {}\n  condition: sel\n",
	  "t.yml:6:8: search identifier 'sel' is empty", EINVAL },
	{ H "detection:\n  sel:\n  condition: sel\n",
	  "t.yml:6:7: search identifier 'sel' is empty", EINVAL },
	{ H "detection:\n  sel:\n    - a\n    - {Image: x}\n  condition: sel\n",
	  "t.yml:7:5: 'sel' mixes maps and keywords in one list", EINVAL },
	{ H "detection:\n  sel:\n    - [a]\n  condition: sel\n",
	  "t.yml:7:7: items of 'sel' must be maps or keywords, not a list", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n    Image: b\n  condition: sel\n",
	  "t.yml:8:5: duplicate key 'Image' in a search identifier (first at line 7)", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n",
	  "t.yml:6:3: detection has no 'condition'", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition:\n",
	  "t.yml:8:3: 'condition' is empty", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  timeframe: 5m\n  condition: sel\n",
	  "t.yml:8:3: 'timeframe' (correlation) is not supported", EINVAL },
	{ H "detection:\n  se l:\n    Image: a\n  condition: sel\n",
	  "t.yml:6:3: search identifier 'se l' may only hold letters, digits, '_', '-' and '.'", EINVAL },
	{ H "detection: [a]\n",
	  "t.yml:5:12: 'detection' must be a map, not a list", EINVAL },

	/* conditions */
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel and selx\n",
	  "t.yml:8:22: condition names 'selx', which is not a search identifier of this detection", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: (sel\n",
	  "t.yml:8:18: expected ')' in condition", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel)\n",
	  "t.yml:8:17: unexpected ')' in condition (missing and/or?)", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel sel\n",
	  "t.yml:8:18: unexpected 'sel' in condition (missing and/or?)", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel and\n",
	  "t.yml:8:21: condition ends too early", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: 1 of filter*\n",
	  "t.yml:8:19: '1 of filter*' matches no search identifier", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: 1 sel\n",
	  "t.yml:8:16: expected 'of' after '1'", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel*\n",
	  "t.yml:8:14: wildcard 'sel*' needs '1 of' or 'all of' in front", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel | count() > 5\n",
	  "t.yml:8:18: aggregations ('| count() ...') are not supported", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel near sel\n",
	  "t.yml:8:18: 'near' (temporal correlation) is not supported", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: sel and $x\n",
	  "t.yml:8:22: unexpected character '$' in condition", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: \"sel \\x01\"\n",
	  "t.yml:8:19: unexpected byte 0x01 in condition", EINVAL },
	{ H "detection:\n  _x:\n    Image: a\n  condition: 1 of them\n",
	  "t.yml:8:19: '1 of them' matches no search identifier", EINVAL },
	{ H "detection:\n  sel:\n    Image: a\n  condition: \"sel and\n    not sel2\"\n",
	  "t.yml:8:14: condition names 'sel2', which is not a search identifier of this detection", EINVAL },

	/* metadata and log source */
	{ "logsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:1:1: rule has no 'title'", EINVAL },
	{ "title: [x]\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:1:8: 'title' must be a string, not a list", EINVAL },
	{ "title: t\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:1:1: rule has no 'logsource'", EINVAL },
	{ "title: t\nlogsource: {category: process_creation}\n",
	  "t.yml:1:1: rule has no 'detection'", EINVAL },
	{ "title: t\nlogsource: {product: windows, category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:22: unsupported logsource product 'windows' (this sensor evaluates linux)", EINVAL },
	{ "title: t\nlogsource: {product: linux, service: auditd}\ndetection: {s: {type: a}, condition: s}\n",
	  "t.yml:2:38: unsupported logsource service 'auditd': this sensor evaluates its own event categories (process_creation, file_event, network_connection, ...), not auditd logs", EINVAL },
	{ "title: t\nlogsource: {product: linux, category: dns_query}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:39: unsupported logsource category 'dns_query' (not in the event schema)", EINVAL },
	{ "title: t\nlogsource: {product: linux}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:12: logsource has no 'category'", EINVAL },
	{ "title: t\nstatus: wip\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:9: unknown status 'wip' (stable, test, experimental, deprecated, unsupported)", EINVAL },
	{ "title: t\nlevel: severe\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:8: unknown level 'severe' (informational, low, medium, high, critical)", EINVAL },
	{ "title: t\ntags: attack.t1059\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:7: 'tags' must be a list of strings, not a scalar", EINVAL },
	{ "title: t\nreferences: {a: b}\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:13: 'references' must be a list of strings, not a map", EINVAL },
	{ "action: global\ntitle: t\nlogsource: {category: process_creation}\n",
	  "t.yml:1:1: rule collections ('action: global') are not supported: write each rule as a complete YAML document", EINVAL },
	{ "title: t\ncorrelation: {type: event_count}\n",
	  "t.yml:2:1: correlation rules are not supported", EINVAL },
	{ "title: t\ntitle: u\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n",
	  "t.yml:2:1: duplicate key 'title' in a rule (first at line 1)", EINVAL },
	{ "- just\n- a list\n", "t.yml:1:1: a rule must be a map, not a list", EINVAL },
	{ "title: t\nid: same\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n---\n"
	  "title: u\nid: same\nlogsource: {category: process_creation}\ndetection: {s: {Image: b}, condition: s}\n",
	  "t.yml:7:5: duplicate rule id same (first in t.yml:1)", EINVAL },

	/* samples */
	{ H "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  match:\n    - {Imag: a}\n",
	  "t.yml:8:8: sample field 'Imag' is not in category process_creation (did you mean 'Image'?)", EINVAL },
	{ H "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  match:\n    - {ProcessId: one}\n",
	  "t.yml:8:19: sample field 'ProcessId' is INT: 'one' is not an integer", EINVAL },
	{ HN "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  match:\n    - {DestinationIp: 1.2.3}\n",
	  "t.yml:8:23: sample field 'DestinationIp' is IP: '1.2.3' is not an address", EINVAL },
	{ HN "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  match:\n    - {Initiated: perhaps}\n",
	  "t.yml:8:19: sample field 'Initiated' is BOOL: 'perhaps' is not true or false", EINVAL },
	{ H "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  matches:\n    - {Image: a}\n",
	  "t.yml:7:3: unknown key 'matches' in x-edr-samples (match or nomatch)", EINVAL },
	{ H "detection: {s: {Image: a}, condition: s}\nx-edr-samples:\n  match: {Image: a}\n",
	  "t.yml:7:10: x-edr-samples match must be a list of events", EINVAL },

	/* YAML itself */
	{ "title: t\n  bad: [\n", "t.yml:2:6: YAML error: mapping values are not allowed in this context", EINVAL },
	{ "title: 'unterminated\n", "t.yml:2:1: YAML error: found unexpected end of stream while scanning a quoted scalar", EINVAL },
};

static void test_error_cases(void **state)
{
	size_t i, bad = 0;

	/* report every mismatching case, then fail */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct edr_rules_err err = { 0 };
		struct edr_rule_src s = { "t.yml", cases[i].yaml, strlen(cases[i].yaml) };
		struct edr_ruleset *rs = edr_ruleset__load_mem(&s, 1, &err);

		if (rs) {
			edr_ruleset__free(rs);
			print_error("case %zu loaded but should fail with: %s\n", i, cases[i].msg);
			bad++;
			continue;
		}
		if (strcmp(err.msg, cases[i].msg) || errno != cases[i].err || !err.nerrors) {
			print_error("case %zu:\n  got  %s (errno %d)\n  want %s (errno %d)\n", i,
				    err.msg, errno, cases[i].msg, cases[i].err);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* ---- limits ---- */

static char *repeat_list(const char *head, const char *item, size_t n, const char *tail)
{
	size_t len = strlen(head) + strlen(tail) + n * (strlen(item) + 16) + 1;
	char *y = malloc(len), *p = y;
	size_t i;

	p += sprintf(p, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, item, i);
	sprintf(p, "%s", tail);
	return y;
}

static void expect_load_error(const char *y, const char *want, int errnum)
{
	struct edr_rules_err err = { 0 };
	struct edr_rule_src s = { "t.yml", y, strlen(y) };
	struct edr_ruleset *rs = edr_ruleset__load_mem(&s, 1, &err);

	if (rs) {
		edr_ruleset__free(rs);
		fail_msg("loaded but should fail with %s", want);
	}
	if (!strstr(err.msg, want))
		fail_msg("got %s\nwant %s", err.msg, want);
	assert_int_equal(errno, errnum);
}

static void test_limit_list_len(void **state)
{
	char *y = repeat_list(H "detection:\n  sel:\n    CommandLine|contains:\n", "      - v%zu\n",
			      EDR_RULES_MAX_LIST_LEN + 1, "  condition: sel\n");

	expect_load_error(y, "t.yml:8:7: list has 1001 values (limit 1000)", E2BIG);
	free(y);
	/* exactly at the limit loads */
	y = repeat_list(H "detection:\n  sel:\n    CommandLine|contains:\n", "      - v%zu\n",
			EDR_RULES_MAX_LIST_LEN, "  condition: sel\n");
	{
		struct edr_rules_err err = { 0 };
		struct edr_rule_src s = { "t.yml", y, strlen(y) };
		struct edr_ruleset *rs = edr_ruleset__load_mem(&s, 1, &err);

		assert_non_null(rs);
		edr_ruleset__free(rs);
	}
	free(y);
}

static void test_limit_pattern_len(void **state)
{
	char *y = malloc(EDR_RULES_MAX_PATTERN_LEN + 512);

	sprintf(y, H "detection:\n  sel:\n    CommandLine: '%0*d'\n  condition: sel\n",
		EDR_RULES_MAX_PATTERN_LEN + 1, 0);
	expect_load_error(y, "t.yml:7:18: value of 'CommandLine' is 4097 bytes long (limit 4096)", E2BIG);
	free(y);
}

static void test_limit_condition_depth(void **state)
{
	char cond[200], y[1024];
	int i;

	for (i = 0; i < EDR_RULES_MAX_COND_DEPTH + 1; i++)
		cond[i] = '(';
	strcpy(cond + i, "sel");
	for (i = 0; i < EDR_RULES_MAX_COND_DEPTH + 1; i++)
		strcat(cond, ")");
	snprintf(y, sizeof(y), H "detection:\n  sel:\n    Image: a\n  condition: %s\n", cond);
	expect_load_error(y, "t.yml:8:14: condition nests deeper than 32 levels", E2BIG);

	strcpy(cond, "");
	for (i = 0; i < EDR_RULES_MAX_COND_DEPTH + 1; i++)
		strcat(cond, "not ");
	strcat(cond, "sel");
	snprintf(y, sizeof(y), H "detection:\n  sel:\n    Image: a\n  condition: %s\n", cond);
	expect_load_error(y, "condition nests deeper than 32 levels", E2BIG);
}

static void test_limit_yaml_depth(void **state)
{
	char y[512] = "title: t\nx: ";
	int i;

	for (i = 0; i < EDR_RULES_MAX_YAML_DEPTH + 1; i++)
		strcat(y, "[");
	for (i = 0; i < EDR_RULES_MAX_YAML_DEPTH + 1; i++)
		strcat(y, "]");
	strcat(y, "\n");
	expect_load_error(y, "t.yml:2:", E2BIG);
	expect_load_error(y, "YAML nests deeper than 32 levels", E2BIG);
}

static void test_limit_file_size(void **state)
{
	size_t n = EDR_RULES_MAX_FILE_SIZE + 1;
	char *y = malloc(n);
	struct edr_rules_err err = { 0 };
	struct edr_rule_src s = { "big.yml", y, n };

	memset(y, '#', n);
	assert_null(edr_ruleset__load_mem(&s, 1, &err));
	assert_int_equal(errno, E2BIG);
	assert_string_equal(err.msg, "big.yml: file is 1048577 bytes (limit 1048576)");
	free(y);
}

static void test_limit_rules(void **state)
{
	/* 21 files of 500 rules: the 10001st rule (first of file 21) is refused */
	static const char one[] =
		"title: r\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n---\n";
	size_t per = 500, nfiles = EDR_RULES_MAX_RULES / per + 1, i;
	char *y = malloc(per * sizeof(one) + 1), *p = y;
	struct edr_rule_src *srcs = calloc(nfiles, sizeof(*srcs));
	struct edr_rules_err err = { 0 };

	for (i = 0; i < per; i++)
		p = stpcpy(p, one);
	for (i = 0; i < nfiles; i++)
		srcs[i] = (struct edr_rule_src){ "many.yml", y, strlen(y) };
	assert_null(edr_ruleset__load_mem(srcs, nfiles, &err));
	assert_int_equal(errno, E2BIG);
	assert_string_equal(err.msg, "many.yml:1:1: more than 10000 rules in the set");
	free(srcs);
	free(y);
}

static void test_limit_docs(void **state)
{
	char *y = repeat_list("", "---\ntitle: r%zu\n", EDR_RULES_MAX_DOCS + 1, "");

	expect_load_error(y, "more than 1000 YAML documents in one file", E2BIG);
	free(y);
}

/* ---- modes ---- */

struct collected {
	char lines[8][512];
	int n;
};

static void collect(void *ctx, const char *file, unsigned line, unsigned col, const char *msg)
{
	struct collected *c = ctx;

	if (c->n < 8)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s", msg);
}

static const char mixed[] =
	"title: good1\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n---\n"
	"title: bad1\nlogsource: {category: process_creation}\ndetection: {s: {Imagee: a}, condition: s}\n---\n"
	"title: good2\nlogsource: {category: process_creation}\ndetection: {s: {Image: b}, condition: s}\n---\n"
	"title: bad2\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: t}\n";

static void test_all_or_nothing(void **state)
{
	struct collected c = { 0 };
	struct edr_rules_err err = { .on_error = collect, .ctx = &c };
	struct edr_rule_src s = { "m.yml", mixed, strlen(mixed) };

	assert_null(edr_ruleset__load_mem(&s, 1, &err));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(c.n, 1);
	assert_string_equal(err.msg, "m.yml:7:17: field 'Imagee' is not in category process_creation (did you mean 'Image'?)");
}

static void test_keep_going(void **state)
{
	struct collected c = { 0 };
	struct edr_rules_err err = { .on_error = collect, .ctx = &c };
	struct edr_rule_src s = { "m.yml", mixed, strlen(mixed) };
	struct edr_rules_opts o = { .flags = EDR_RULES_KEEP_GOING };
	struct edr_ruleset *rs = edr_ruleset__load_mem_opts(&s, 1, &o, &err);
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { .cat = EDR_CAT_PROCESS_CREATION, .nfields = 1, .f = f };
	const struct edr_rule *out[4];
	struct edr_matcher *m;

	assert_non_null(rs);
	assert_int_equal(edr_ruleset__count(rs), 2);
	assert_string_equal(edr_rule__title(edr_ruleset__rule(rs, 0)), "good1");
	assert_string_equal(edr_rule__title(edr_ruleset__rule(rs, 1)), "good2");
	assert_int_equal(err.nerrors, 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[1], "m.yml:15:39: condition names 't', which is not a search identifier of this detection");
	/* the skipped rules left nothing behind in the matcher */
	m = edr_matcher__new(rs);
	f[0] = (struct edr_field_value){ .s = "b", .len = 1, .set = 1 };
	assert_int_equal(edr_matcher__eval(m, &ev, out, 4), 1);
	assert_string_equal(edr_rule__title(out[0]), "good2");
	edr_matcher__free(m);
	edr_ruleset__free(rs);
}

static void test_require_samples(void **state)
{
	static const char y[] =
		"title: nos\nlogsource: {category: process_creation}\ndetection: {s: {Image: a}, condition: s}\n"
		"x-edr-samples:\n  match:\n    - {Image: a}\n";
	struct edr_rules_err err = { 0 };
	struct edr_rule_src s = { "s.yml", y, strlen(y) };
	struct edr_rules_opts o = { .flags = EDR_RULES_REQUIRE_SAMPLES };
	struct edr_ruleset *rs;

	/* without the option a rule need not have samples */
	rs = edr_ruleset__load_mem(&s, 1, &err);
	assert_non_null(rs);
	edr_ruleset__free(rs);
	assert_null(edr_ruleset__load_mem_opts(&s, 1, &o, &err));
	assert_string_equal(err.msg, "s.yml:1:1: rule 'nos' needs at least one match and one nomatch sample in x-edr-samples");
}

static void test_bad_args(void **state)
{
	struct edr_rules_err err = { 0 };

	errno = 0;
	assert_null(edr_ruleset__load_mem(NULL, 1, &err));
	assert_int_equal(errno, EINVAL);
	assert_null(edr_ruleset__load(NULL, &err));
	assert_null(edr_ruleset__load("/nonexistent/rules", &err));
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err.msg, "/nonexistent/rules: cannot open: No such file or directory");
	assert_null(edr_matcher__new(NULL));
	edr_ruleset__free(NULL);
	edr_matcher__free(NULL);
	assert_int_equal(edr_ruleset__count(NULL), 0);
	assert_int_equal(edr_ruleset__selftest(NULL, &err), -EINVAL);
}

static void test_empty_set(void **state)
{
	struct edr_rules_err err = { 0 };
	struct edr_rule_src s = { "e.yml", "# nothing\n", 10 };
	struct edr_ruleset *rs = edr_ruleset__load_mem(&s, 1, &err);
	struct edr_matcher *m;
	struct edr_rule_event ev = { .cat = EDR_CAT_PROCESS_CREATION };

	assert_non_null(rs);
	assert_int_equal(edr_ruleset__count(rs), 0);
	m = edr_matcher__new(rs);
	assert_non_null(m);
	assert_int_equal(edr_matcher__eval(m, &ev, NULL, 0), 0);
	assert_int_equal(edr_ruleset__selftest(rs, &err), 0);
	edr_matcher__free(m);
	edr_ruleset__free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_cases),
		cmocka_unit_test(test_limit_list_len),
		cmocka_unit_test(test_limit_pattern_len),
		cmocka_unit_test(test_limit_condition_depth),
		cmocka_unit_test(test_limit_yaml_depth),
		cmocka_unit_test(test_limit_file_size),
		cmocka_unit_test(test_limit_rules),
		cmocka_unit_test(test_limit_docs),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_keep_going),
		cmocka_unit_test(test_require_samples),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_empty_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
