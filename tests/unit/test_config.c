// SPDX-License-Identifier: GPL-2.0-only
/* Configuration parser: every key, bad values, unknown keys, line numbers, CLI. */
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

#include "sensor/config.h"

/* A feature's number, by the name users see. */
static int F(const char *name)
{
	int f = edr_feature_by_name(name);

	assert_true(f >= 0);
	return f;
}

#define BIT(name) (UINT64_C(1) << F(name))
#define ALL_FEATURES ((UINT64_C(1) << edr_feature_count()) - 1)

/* Collected diagnostics, one string per line. */
struct diags {
	char msg[32][512];
	int level[32];
	int n;
};

static void collect(enum edr_diag_level level, const char *msg, void *ctx)
{
	struct diags *d = ctx;

	if (d->n < 32) {
		snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s", msg);
		d->level[d->n] = level;
	}
	d->n++;
}

static int load(struct edr_config *cfg, struct diags *d, const char *text)
{
	memset(d, 0, sizeof(*d));
	return edr_config__load_mem(cfg, "t.conf", text, strlen(text), collect, d);
}

static void test_defaults(void **state)
{
	struct edr_config cfg;
	int f;

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_string_equal(cfg.output, "stdout");
	assert_int_equal(cfg.syslog, EDR_SYSLOG_OFF);
	assert_int_equal(cfg.ring_buffer_size, 8u << 20);
	assert_int_equal(cfg.features, ALL_FEATURES);
	for (f = 0; f < edr_feature_count(); f++)
		assert_null(cfg.attach[f]);
	assert_int_equal(cfg.hash_max_file_size, 64u << 20);
	assert_int_equal(cfg.hash_rate, 64u << 20);
	assert_string_equal(cfg.content_dir, EDR_CONTENT_DEFAULT_DIR);
	assert_non_null(strstr(cfg.rules, "rules/default"));
	assert_non_null(cfg.pubkey);
	assert_null(cfg.pubkey[0]);
	assert_int_equal(cfg.n_pubkey, 0);
	assert_false(cfg.allow_unsigned);
	assert_int_equal(cfg.probation_ms, 600000);
	assert_int_equal(cfg.shadow_default_ms, 0);
	assert_string_equal(cfg.socket, EDR_CTL_DEFAULT_SOCKET);
	assert_string_equal(cfg.socket_group, "");
	assert_false(cfg.verbose);
	assert_string_equal(cfg.host_name, "");
	assert_string_equal(cfg.config_path, EDR_CONFIG_DEFAULT_PATH);
	assert_false(cfg.probe || cfg.json || cfg.help || cfg.version);
	assert_int_equal(cfg.target_pid, 0);
	edr_config__free(&cfg);
	edr_config__free(&cfg); /* twice is harmless */
	edr_config__free(NULL);
}

/* Every key with a good value, in a file using sections and quoting. */
static void test_every_key(void **state)
{
	struct edr_config cfg;
	struct diags d;
	const char *text =
		"# comment\n"
		"; another comment\n"
		"output = /var/log/edr/events.json\n"
		"syslog = journald\n"
		"ring_buffer_size = 16M\n"
		"features = exec, fork,exit\n"
		"hash_max_file_size = 100MiB\n"
		"hash_rate = 0\n"
		"content_dir = /srv/edr/content\n"
		"rules = \"/srv/edr/rules # not a comment\"\n"
		"pubkey = /etc/hostname, /etc/passwd\n"
		"allow_unsigned = yes\n"
		"probation = 1h30m\n"
		"shadow_default = 45s\n"
		"socket = /run/edr2/edr.sock\n"
		"socket_group = root\n"
		"verbose = on   # inline comment\n"
		"host_name = sensor-01\n"
		"\n"
		"[attach]\n"
		"exec = raw_tp\n"
		"fork = tp_btf\n"
		"exit = auto\n"
		"exec_enforce = lsm\n";

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(load(&cfg, &d, text), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg.output, "/var/log/edr/events.json");
	assert_int_equal(cfg.syslog, EDR_SYSLOG_JOURNALD);
	assert_int_equal(cfg.ring_buffer_size, 16u << 20);
	assert_int_equal(cfg.features, BIT("exec") | BIT("fork") | BIT("exit"));
	assert_true(edr_config__feature_enabled(&cfg, F("fork")));
	assert_false(edr_config__feature_enabled(&cfg, F("exec_enforce")));
	assert_int_equal(cfg.hash_max_file_size, 100u << 20);
	assert_int_equal(cfg.hash_rate, 0);
	assert_string_equal(cfg.content_dir, "/srv/edr/content");
	assert_string_equal(cfg.rules, "/srv/edr/rules # not a comment");
	assert_int_equal(cfg.n_pubkey, 2);
	assert_string_equal(cfg.pubkey[0], "/etc/hostname");
	assert_string_equal(cfg.pubkey[1], "/etc/passwd");
	assert_null(cfg.pubkey[2]);
	assert_true(cfg.allow_unsigned);
	assert_int_equal(cfg.probation_ms, 90 * 60 * 1000);
	assert_int_equal(cfg.shadow_default_ms, 45000);
	assert_string_equal(cfg.socket, "/run/edr2/edr.sock");
	assert_string_equal(cfg.socket_group, "root");
	assert_true(cfg.verbose);
	assert_string_equal(cfg.host_name, "sensor-01");
	assert_string_equal(cfg.attach[F("exec")], "raw_tp");
	assert_string_equal(cfg.attach[F("fork")], "tp_btf");
	assert_null(cfg.attach[F("exit")]);
	assert_string_equal(cfg.attach[F("exec_enforce")], "lsm");
	edr_config__free(&cfg);
}

/* Bad values of ordinary keys: warning with file:line, old value kept. */
static void test_bad_values_ignored(void **state)
{
	struct edr_config cfg;
	struct diags d;

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(load(&cfg, &d,
			      "ring_buffer_size = 12M\n"      /* not a power of two */
			      "hash_rate = x\n"
			      "hash_max_file_size = 2T\n"     /* above the limit */
			      "output = relative/path\n"
			      "syslog = kafka\n"
			      "features = exec,usb\n"
			      "attach.fork =\n"
			      "probation = 10 minutes\n"
			      "shadow_default = 99999999999999999999s\n"
			      "attach.exec_enforce = raw_tp\n"
			      "verbose = maybe\n"
			      "attach.exec = kprobe\n"
			      "host_name = \"a\tb\"\n"),
			 0);
	assert_int_equal(d.n, 13);
	assert_string_equal(d.msg[0], "t.conf:1: bad value '12M' for 'ring_buffer_size' (expected a "
				      "power-of-two size like 8M, from 4K to 1G), ignoring");
	assert_string_equal(d.msg[1], "t.conf:2: bad value 'x' for 'hash_rate' (expected a "
				      "size like 64M, at most 1T), ignoring");
	assert_string_equal(d.msg[2], "t.conf:3: bad value '2T' for 'hash_max_file_size' (expected a "
				      "size like 64M, at most 1T), ignoring");
	assert_string_equal(d.msg[3], "t.conf:4: bad value 'relative/path' for 'output' (expected "
				      "stdout, none or an absolute file path), ignoring");
	assert_string_equal(d.msg[4], "t.conf:5: bad value 'kafka' for 'syslog' (expected one of off, "
				      "journald, syslog), ignoring");
	assert_non_null(strstr(d.msg[5], "t.conf:6: bad value 'exec,usb' for 'features'"));
	assert_non_null(strstr(d.msg[6], "t.conf:7: bad value '' for 'attach.fork'"));
	assert_string_equal(d.msg[7], "t.conf:8: bad value '10 minutes' for 'probation' (expected a "
				      "duration like 10m or 30s, at most 7d), ignoring");
	assert_non_null(strstr(d.msg[8], "t.conf:9: bad value '99999999999999999999s' for 'shadow_default'"));
	assert_string_equal(d.msg[9], "t.conf:10: bad value 'raw_tp' for 'attach.exec_enforce' "
				      "(expected auto or one of lsm, kill, kill_raw_tp), ignoring");
	assert_string_equal(d.msg[10], "t.conf:11: bad value 'maybe' for 'verbose' (expected yes or no), "
				       "ignoring");
	assert_string_equal(d.msg[11], "t.conf:12: bad value 'kprobe' for 'attach.exec' (expected auto "
				       "or one of tp_btf, raw_tp), ignoring");
	assert_non_null(strstr(d.msg[12], "t.conf:13: bad value 'a?b' for 'host_name'"));
	for (int i = 0; i < d.n; i++)
		assert_int_equal(d.level[i], EDR_DIAG_WARNING);
	/* Defaults survive every bad value. */
	assert_int_equal(cfg.ring_buffer_size, 8u << 20);
	assert_string_equal(cfg.output, "stdout");
	assert_int_equal(cfg.syslog, EDR_SYSLOG_OFF);
	assert_int_equal(cfg.features, ALL_FEATURES);
	assert_int_equal(cfg.probation_ms, 600000);
	assert_false(cfg.verbose);
	assert_null(cfg.attach[F("exec")]);
	assert_null(cfg.attach[F("fork")]);
	assert_null(cfg.attach[F("exec_enforce")]);
	assert_string_equal(cfg.host_name, "");
	edr_config__free(&cfg);
}

/* Safety keys: an error, and load reports the start must be refused. */
static void test_safety_keys_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "allow_unsigned = perhaps\n", "'allow_unsigned' (expected yes or no), refusing to start" },
		{ "pubkey = /nonexistent/key.pub\n", "'pubkey' (expected a comma-separated list" },
		{ "pubkey = relative.pub\n", "'pubkey'" },
		{ "socket = relative.sock\n", "'socket' (expected an absolute path of at most 107 bytes)" },
		{ "socket = /run/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "aaa.sock\n", "'socket'" },
		{ "socket_group = no-such-group-edr\n", "'socket_group' (expected the name of an existing group" },
		{ "socket_group = bad/name\n", "'socket_group'" },
		{ "content_dir =\n", "'content_dir'" },
	};
	struct edr_config cfg;
	struct diags d;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(edr_config__defaults(&cfg), 0);
		assert_int_equal(load(&cfg, &d, cases[i][0]), -EINVAL);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.level[0], EDR_DIAG_ERROR);
		assert_non_null(strstr(d.msg[0], "t.conf:1: bad value"));
		if (!strstr(d.msg[0], cases[i][1]))
			fail_msg("case %zu: '%s' lacks '%s'", i, d.msg[0], cases[i][1]);
		assert_non_null(strstr(d.msg[0], "refusing to start"));
		assert_false(cfg.allow_unsigned);
		assert_int_equal(cfg.n_pubkey, 0);
		assert_string_equal(cfg.socket, EDR_CTL_DEFAULT_SOCKET);
		edr_config__free(&cfg);
	}
}

static void test_unknown_keys_and_syntax(void **state)
{
	struct edr_config cfg;
	struct diags d;

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(load(&cfg, &d,
			      "foo = 1\n"
			      "\n"
			      "ring_bufer_size = 8M\n"
			      "just some words\n"
			      "config = /etc/other.conf\n"   /* command line only */
			      "[attach]\n"
			      "exe = lsm\n"
			      "[bad section\n"
			      "exec = lsm\n"                 /* under the bad header: skipped */
			      "[]\n"
			      "[ output ]\n"
			      "x = \"unterminated\n"
			      "[attach]\n"
			      "exec = tp_btf\n"
			      "exec = raw_tp\n"),
			 0);
	assert_int_equal(d.n, 9);
	assert_string_equal(d.msg[0], "t.conf:1: unknown key 'foo', ignoring");
	assert_string_equal(d.msg[1], "t.conf:3: unknown key 'ring_bufer_size' (did you mean "
				      "'ring_buffer_size'?), ignoring");
	assert_string_equal(d.msg[2], "t.conf:4: expected 'key = value', ignoring");
	assert_string_equal(d.msg[3], "t.conf:5: unknown key 'config', ignoring");
	assert_string_equal(d.msg[4], "t.conf:7: unknown key 'attach.exe' (did you mean "
				      "'attach.exec'?), ignoring");
	assert_string_equal(d.msg[5], "t.conf:8: bad section header '[bad section', ignoring");
	assert_string_equal(d.msg[6], "t.conf:10: bad section header '[]', ignoring");
	assert_string_equal(d.msg[7], "t.conf:12: unterminated or malformed quoted value for 'x', "
				      "ignoring");
	assert_string_equal(d.msg[8], "t.conf:15: 'attach.exec' already set at line 14, the later "
				      "value wins");
	assert_string_equal(cfg.attach[F("exec")], "raw_tp");
	edr_config__free(&cfg);
}

static void test_line_limits(void **state)
{
	struct edr_config cfg;
	struct diags d;
	char *big;
	size_t n = EDR_CONFIG_MAX_LINE + 10;

	big = malloc(n + 64);
	assert_non_null(big);
	memset(big, 'a', n);
	strcpy(big + n, "\nverbose = yes\n");
	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(load(&cfg, &d, big), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0], "t.conf:1: line longer than 4096 bytes, ignoring");
	assert_true(cfg.verbose);

	/* A NUL byte inside a line, and CRLF line ends. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(edr_config__load_mem(&cfg, "t.conf", "verbose = no\r\nhost_name = a\0b\nx", 31,
					      collect, &d),
			 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msg[0], "t.conf:2: NUL byte in line, ignoring");
	assert_string_equal(d.msg[1], "t.conf:3: expected 'key = value', ignoring");
	assert_false(cfg.verbose);
	assert_string_equal(cfg.host_name, "");

	/* Too big as a whole. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(edr_config__load_mem(&cfg, "t.conf", big, EDR_CONFIG_MAX_FILE + 1, collect, &d),
			 -EFBIG);
	assert_int_equal(d.n, 1);
	free(big);
	edr_config__free(&cfg);
}

static void test_value_parsers(void **state)
{
	uint64_t v;
	bool b;

	assert_int_equal(edr_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(edr_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(edr_parse_size("8m", &v), 0);
	assert_int_equal(v, 8u << 20);
	assert_int_equal(edr_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(edr_parse_size("2TB", &v), 0);
	assert_int_equal(v, 2ull << 40);
	assert_int_equal(edr_parse_size("10B", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(edr_parse_size("", &v), -EINVAL);
	assert_int_equal(edr_parse_size("M", &v), -EINVAL);
	assert_int_equal(edr_parse_size("8 M", &v), -EINVAL);
	assert_int_equal(edr_parse_size("8X", &v), -EINVAL);
	assert_int_equal(edr_parse_size("-8", &v), -EINVAL);
	assert_int_equal(edr_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(edr_parse_size("99999999999T", &v), -ERANGE);

	assert_int_equal(edr_parse_duration_ms("30", &v), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(edr_parse_duration_ms("500ms", &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(edr_parse_duration_ms("1h30m", &v), 0);
	assert_int_equal(v, 5400000);
	assert_int_equal(edr_parse_duration_ms("2d", &v), 0);
	assert_int_equal(v, 172800000);
	assert_int_equal(edr_parse_duration_ms("1m5s250ms", &v), 0);
	assert_int_equal(v, 65250);
	assert_int_equal(edr_parse_duration_ms("", &v), -EINVAL);
	assert_int_equal(edr_parse_duration_ms("m", &v), -EINVAL);
	assert_int_equal(edr_parse_duration_ms("10x", &v), -EINVAL);
	assert_int_equal(edr_parse_duration_ms("10mins", &v), -EINVAL);
	assert_int_equal(edr_parse_duration_ms("1h30", &v), -EINVAL);
	assert_int_equal(edr_parse_duration_ms("99999999999999999d", &v), -ERANGE);

	assert_int_equal(edr_parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(edr_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(edr_parse_bool("", &b), -EINVAL);
	assert_int_equal(edr_parse_bool("2", &b), -EINVAL);
}

static void test_features_list(void **state)
{
	struct edr_config cfg;
	struct diags d;

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(load(&cfg, &d, "features = all,-exec_enforce,-fork\n"), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(cfg.features, ALL_FEATURES - BIT("exec_enforce") - BIT("fork"));
	assert_int_equal(load(&cfg, &d, "features = none\n"), 0);
	assert_int_equal(cfg.features, 0);
	edr_config__free(&cfg);
}

static void test_cli(void **state)
{
	struct edr_config cfg;
	struct diags d = { 0 };
	char *argv[] = { "edr-sensor", "--ring-buffer-size", "32M", "--syslog=syslog", "--verbose",
			 "--attach.exec", "raw_tp", "-c", "/tmp/x.conf", "--pubkey", "/etc/hostname",
			 "--pubkey=/etc/passwd", "--target-pid", "1234", "--probe", "--json",
			 "--no-allow-unsigned", "rest", "--verbose", NULL };
	int argc = sizeof(argv) / sizeof(argv[0]) - 1;

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(edr_config__parse_args(&cfg, argc, argv, collect, &d), 17);
	assert_int_equal(d.n, 0);
	assert_int_equal(cfg.ring_buffer_size, 32u << 20);
	assert_int_equal(cfg.syslog, EDR_SYSLOG_SYSLOG);
	assert_true(cfg.verbose);
	assert_string_equal(cfg.attach[F("exec")], "raw_tp");
	assert_string_equal(cfg.config_path, "/tmp/x.conf");
	assert_int_equal(cfg.n_pubkey, 2); /* repeated on the command line: appended */
	assert_string_equal(cfg.pubkey[1], "/etc/passwd");
	assert_int_equal(cfg.target_pid, 1234);
	assert_true(cfg.probe && cfg.json);
	assert_false(cfg.allow_unsigned);

	/* The command line wins over the file, whose values are still checked. */
	assert_int_equal(load(&cfg, &d,
			      "ring_buffer_size = 4M\nverbose = no\nring_buffer_size = 3M\n"
			      "allow_unsigned = yes\nhash_rate = 1M\npubkey = /etc/group\n"),
			 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msg[0], "t.conf:3: 'ring_buffer_size' already set at line 1, the later "
				      "value wins");
	assert_non_null(strstr(d.msg[1], "t.conf:3: bad value '3M' for 'ring_buffer_size'"));
	assert_int_equal(cfg.ring_buffer_size, 32u << 20);
	assert_true(cfg.verbose);
	assert_false(cfg.allow_unsigned);
	assert_int_equal(cfg.hash_rate, 1u << 20);
	assert_int_equal(cfg.n_pubkey, 2);
	edr_config__free(&cfg);
}

/*
 * Spellings the daemon had before the table, kept for scripts and tests, and
 * the one spelling of forcing a path and leaving a feature out: the file's
 * keys, attach.FEATURE and features (with -NAME), as options.
 */
static void test_cli_compat(void **state)
{
	struct edr_config cfg;
	struct diags d = { 0 };
	char cwd[4096], want[4200];
	char *argv[] = { "x", "--ring-size", "4096", "--attach.exec", "raw_tp", "--features=all,-exec_enforce",
			 "-o", "events.json", NULL };

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(edr_config__parse_args(&cfg, 8, argv, collect, &d), 8);
	assert_int_equal(d.n, 0);
	assert_int_equal(cfg.ring_buffer_size, 4096);
	assert_string_equal(cfg.attach[F("exec")], "raw_tp");
	assert_false(edr_config__feature_enabled(&cfg, F("exec_enforce")));
	assert_true(edr_config__feature_enabled(&cfg, F("exec")));
	/* A relative output on the command line is made absolute (the cwd may change). */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/events.json", cwd);
	assert_string_equal(cfg.output, want);
	/* What they set wins over the file, like the keys they stand for. */
	assert_int_equal(load(&cfg, &d, "attach.exec = tp_btf\nfeatures = all\nring_buffer_size = 16M\n"), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg.attach[F("exec")], "raw_tp");
	assert_false(edr_config__feature_enabled(&cfg, F("exec_enforce")));
	assert_int_equal(cfg.ring_buffer_size, 4096);
	edr_config__free(&cfg);
}

static void test_cli_errors(void **state)
{
	static const struct { const char *argv[4]; const char *msg; } cases[] = {
		{ { "x", "--ring-bufer-size", "8M" },
		  "unknown option '--ring_bufer_size' (did you mean '--ring_buffer_size'?)" },
		{ { "x", "--frobnicate" }, "unknown option '--frobnicate' (see --help)" },
		{ { "x", "-z" }, "unknown option '-z' (see --help)" },
		{ { "x", "--socket" }, "option '--socket' needs a value (PATH)" },
		{ { "x", "--ring-buffer-size", "3M" }, "bad value '3M' for '--ring_buffer_size' (expected "
						       "a power-of-two size like 8M, from 4K to 1G)" },
		{ { "x", "--target-pid", "-4" }, "bad value '-4' for '--target_pid'" },
		{ { "x", "--no-probe" }, "unknown option '--no_probe' (see --help)" },
		{ { "x", "--verbose=sure" }, "bad value 'sure' for '--verbose' (expected yes or no)" },
		{ { "x", "--no-verbose=yes" }, "unknown option" },
		{ { "x", "--attach.exec", "nonsense" }, "bad value 'nonsense' for '--attach.exec' (expected "
							"auto or one of tp_btf, raw_tp)" },
		{ { "x", "--attach.nofeature", "raw_tp" }, "unknown option '--attach.nofeature'" },
		{ { "x", "--features", "all,-usb" }, "bad value 'all,-usb' for '--features' (expected all or "
						     "a list of exec, fork," },
		/* One spelling: the old aliases of attach.FEATURE and features are gone. */
		{ { "x", "--force", "exec=raw_tp" }, "unknown option '--force'" },
		{ { "x", "--disable", "exec_enforce" }, "unknown option '--disable'" },
		{ { "x", "-o", "bad\ttab" }, "bad value 'bad?tab' for '--output'" },
	};
	struct edr_config cfg;
	struct diags d;
	size_t i;
	int argc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&d, 0, sizeof(d));
		for (argc = 0; cases[i].argv[argc]; argc++)
			;
		assert_int_equal(edr_config__defaults(&cfg), 0);
		assert_int_equal(edr_config__parse_args(&cfg, argc, (char **)cases[i].argv, collect, &d),
				 -EINVAL);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.level[0], EDR_DIAG_ERROR);
		if (strncmp(d.msg[0], cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: got '%s', want '%s'", i, d.msg[0], cases[i].msg);
		edr_config__free(&cfg);
	}
}

static void test_cli_stops(void **state)
{
	struct edr_config cfg;
	char *a1[] = { "x", "--", "--verbose", NULL };
	char *a2[] = { "x", "-", NULL };
	char *a3[] = { "x", "-h", "-V", NULL };

	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(edr_config__parse_args(&cfg, 3, a1, NULL, NULL), 2);
	assert_false(cfg.verbose);
	assert_int_equal(edr_config__parse_args(&cfg, 2, a2, NULL, NULL), 1);
	assert_int_equal(edr_config__parse_args(&cfg, 3, a3, NULL, NULL), 3);
	assert_true(cfg.help && cfg.version);
	edr_config__free(&cfg);
}

/* Dumping and reading back gives the same configuration. */
static void test_dump_roundtrip(void **state)
{
	struct edr_config a, b;
	struct diags d;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f;

	assert_int_equal(edr_config__defaults(&a), 0);
	assert_int_equal(load(&a, &d,
			      "host_name = \"x # y\"\nprobation = 1500ms\nfeatures = exec,exit\n"
			      "pubkey = /etc/hostname\nring_buffer_size = 64K\nattach.fork = raw_tp\n"),
			 0);
	assert_int_equal(d.n, 0);
	f = open_memstream(&buf, &len);
	edr_config__dump(&a, f);
	fclose(f);
	assert_int_equal(edr_config__defaults(&b), 0);
	assert_int_equal(load(&b, &d, buf), 0);
	assert_int_equal(d.n, 0);
	f = open_memstream(&buf2, &len2);
	edr_config__dump(&b, f);
	fclose(f);
	assert_string_equal(buf, buf2);
	assert_non_null(strstr(buf, "probation = 1500ms\n"));
	assert_non_null(strstr(buf, "features = exec,exit\n"));
	assert_non_null(strstr(buf, "attach.fork = raw_tp\n"));
	assert_non_null(strstr(buf, "attach.exec = auto\n"));
	assert_non_null(strstr(buf, "host_name = \"x # y\"\n"));
	assert_string_equal(b.host_name, "x # y");
	free(buf);
	free(buf2);
	edr_config__free(&a);
	edr_config__free(&b);
}

static void test_file(void **state)
{
	char path[] = "/tmp/edr-test-config-XXXXXX";
	struct edr_config cfg;
	struct diags d = { 0 };
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "verbose = yes\nbogus = 1\n", 24), 24);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(edr_config__load_file(&cfg, path, collect, &d), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0], ":2: unknown key 'bogus', ignoring"));
	assert_int_equal(strncmp(d.msg[0], path, strlen(path)), 0);
	assert_true(cfg.verbose);

	/* A config anyone may write controls a root daemon: refused. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(edr_config__load_file(&cfg, path, collect, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0], "writable by group or others (mode 0666), refusing"));
	unlink(path);

	memset(&d, 0, sizeof(d));
	assert_int_equal(edr_config__load_file(&cfg, path, collect, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msg[0], ": cannot open: No such file or directory"));

	memset(&d, 0, sizeof(d));
	assert_int_equal(edr_config__load_file(&cfg, "/tmp", collect, &d), -EINVAL);
	assert_non_null(strstr(d.msg[0], "/tmp: not a regular file, refusing"));
	edr_config__free(&cfg);
}

static void test_load_default_or_named(void **state)
{
	struct edr_config cfg;
	struct diags d = { 0 };
	char *named[] = { "x", "--config", "/nonexistent/edr.conf", NULL };

	/* The default path, missing: fine, defaults stay. */
	assert_int_equal(edr_config__defaults(&cfg), 0);
	free(cfg.config_path);
	cfg.config_path = strdup("/nonexistent/default.conf");
	assert_int_equal(edr_config__load(&cfg, collect, &d), 0);
	assert_int_equal(d.n, 0);
	edr_config__free(&cfg);

	/* Named on the command line, missing: an error. */
	assert_int_equal(edr_config__defaults(&cfg), 0);
	assert_int_equal(edr_config__parse_args(&cfg, 3, named, collect, &d), 3);
	assert_int_equal(edr_config__load(&cfg, collect, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msg[0], "/nonexistent/edr.conf: cannot open: No such file or directory");
	edr_config__free(&cfg);
}

static void test_usage(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	edr_config__usage(f);
	fclose(f);
	assert_non_null(strstr(buf, "--ring_buffer_size SIZE"));
	assert_non_null(strstr(buf, "[8M]"));
	assert_non_null(strstr(buf, "-c, --config FILE"));
	assert_non_null(strstr(buf, "--attach.exec_enforce PATH"));
	assert_non_null(strstr(buf, "one of tp_btf,raw_tp"));
	/* Without the end of the list: features are appended to it. */
	assert_non_null(strstr(buf, "list of exec, fork, exit, exec_enforce, file_write, file_unlink, "
				    "file_rename, file_attr"));
	/* features appended after the file ones (link, memory, privilege, ...) */
	assert_non_null(strstr(buf, "file_attr, file_link, file_enforce, memfd, mem_wx"));
	assert_non_null(strstr(buf, "cred, ptrace, vm_write"));
	assert_non_null(strstr(buf, "net_connect, net_accept, net_bind, net_send, net_enforce, isolate"));
	assert_non_null(strstr(buf, "--target_pid PID"));
	free(buf);
}

/*
 * Every option edr-sensor(8) names in OPTIONS is one the parser knows, so
 * the page cannot keep a spelling the daemon dropped (--force, --disable).
 */
static void test_man_options_known(void **state)
{
	char line[1024], opt[128];
	FILE *in = fopen("sensor/man/edr-sensor.8", "r");
	bool in_options = false;
	int checked = 0;

	if (!in)
		fail_msg("sensor/man/edr-sensor.8: %s", strerror(errno));
	while (fgets(line, sizeof(line), in)) {
		char plain[1024], *p;
		size_t o = 0, i;

		if (!strncmp(line, ".SH", 3))
			in_options = !strncmp(line, ".SH OPTIONS", 11);
		if (!in_options)
			continue;
		for (i = 0; line[i] && o + 1 < sizeof(plain); i++)
			if (!(line[i] == '\\' && line[i + 1] == '-'))
				plain[o++] = line[i];
		plain[o] = 0;
		for (p = strstr(plain, "--"); p; p = strstr(p + 2, "--")) {
			size_t n = strspn(p + 2, "abcdefghijklmnopqrstuvwxyz_-.");
			struct edr_config cfg;
			struct diags d = { 0 };
			char *argv[3] = { "x", opt, NULL };

			/* "--attach." FEATURE and "--no-" KEY are patterns, not options. */
			if (!n || strchr("-.", p[2 + n - 1]))
				continue;
			snprintf(opt, sizeof(opt), "--%.*s", (int)n, p + 2);
			assert_int_equal(edr_config__defaults(&cfg), 0);
			edr_config__parse_args(&cfg, 2, argv, collect, &d);
			if (d.n && strstr(d.msg[0], "unknown option"))
				fail_msg("edr-sensor(8) names %s: %s", opt, d.msg[0]);
			edr_config__free(&cfg);
			checked++;
		}
	}
	fclose(in);
	assert_true(checked >= 10);
}

/*
 * The shipped sensor/sensor.conf lists every key of the table with its
 * default, commented out: uncommented it loads cleanly and dumps exactly like
 * the built-in defaults (except rules, which install rewrites).
 */
static void test_shipped_conf(void **state)
{
	struct edr_config def, shipped;
	struct diags d;
	char line[1024], *a = NULL, *b = NULL, *text = NULL, *p;
	size_t la = 0, lb = 0, lt = 0;
	FILE *in, *out;

	in = fopen("sensor/sensor.conf", "r");
	if (!in)
		fail_msg("sensor/sensor.conf: %s (run from the source tree)", strerror(errno));
	out = open_memstream(&text, &lt);
	while (fgets(line, sizeof(line), in)) {
		/* "#key = value" is a default; "# words" is prose. */
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " ="))
			fputs(line + 1, out);
	}
	fclose(in);
	fclose(out);

	assert_int_equal(edr_config__defaults(&def), 0);
	assert_int_equal(edr_config__defaults(&shipped), 0);
	assert_int_equal(load(&shipped, &d, text), 0);
	for (int i = 0; i < d.n && i < 32; i++)
		print_error("%s\n", d.msg[i]);
	assert_int_equal(d.n, 0);
	out = open_memstream(&a, &la);
	edr_config__dump(&def, out);
	fclose(out);
	out = open_memstream(&b, &lb);
	edr_config__dump(&shipped, out);
	fclose(out);
	/* Every key of the dump appears in the shipped file. */
	for (p = strtok(a, "\n"); p; p = strtok(NULL, "\n")) {
		char key[128];

		snprintf(key, sizeof(key), "%.*s", (int)strcspn(p, " "), p);
		if (!strcmp(key, "rules"))
			continue;
		if (!strstr(b, p))
			fail_msg("sensor/sensor.conf: '%s' missing or with another default", p);
		(void)key;
	}
	assert_non_null(strstr(text, "rules = /usr/local/share/edr/rules/default\n"));

	/* And the man page documents every key. */
	{
		char *man = NULL;
		size_t lm = 0;

		in = fopen("sensor/man/edr-sensor.conf.5", "r");
		if (!in)
			fail_msg("sensor/man/edr-sensor.conf.5: %s", strerror(errno));
		out = open_memstream(&man, &lm);
		while (fgets(line, sizeof(line), in))
			fputs(line, out);
		fclose(in);
		fclose(out);
		free(a);
		a = NULL;
		la = 0;
		out = open_memstream(&a, &la);
		edr_config__dump(&def, out);
		fclose(out);
		for (p = strtok(a, "\n"); p; p = strtok(NULL, "\n")) {
			char key[128];

			snprintf(key, sizeof(key), "%.*s", (int)strcspn(p, " "), p);
			if (!strstr(man, key))
				fail_msg("sensor/man/edr-sensor.conf.5 does not document '%s'", key);
		}
		free(man);
	}
	free(a);
	free(b);
	free(text);
	edr_config__free(&def);
	edr_config__free(&shipped);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_bad_values_ignored),
		cmocka_unit_test(test_safety_keys_refused),
		cmocka_unit_test(test_unknown_keys_and_syntax),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_features_list),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_cli_compat),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_cli_stops),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_load_default_or_named),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_man_options_known),
		cmocka_unit_test(test_shipped_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
