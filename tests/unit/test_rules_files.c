// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Sigma-style rules under tests/rules/: every good rule loads from the
 * directory and passes its own samples; every bad rule is rejected with the
 * exact error its first line announces ("# expect: line:col: message",
 * "# expect-selftest: ..." for a rule that loads but fails its samples, or
 * "# expect-protect: ..." for a rule that loads and passes them but whose
 * response would act on a protected binary: refused at validate).
 * Run from the top of the tree (make test-unit does).
 */
#include <dirent.h>
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
#include "sensor/response/protect.h"

#define GOOD "tests/rules/good"
#define BAD "tests/rules/bad"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yml names of a directory. */
static size_t list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (!d)
		fail_msg("cannot open %s (run from the top of the tree): %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".yml"))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		v[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp);
	*out = v;
	return n;
}

/* Number of rule documents: lines starting with "title:". */
static size_t count_titles(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "title:", 6);
	fclose(f);
	return n;
}

static void test_good_rules(void **state)
{
	struct edr_rules_opts o = { .flags = EDR_RULES_REQUIRE_SAMPLES };
	struct edr_rules_err err = { 0 };
	struct edr_ruleset *rs;
	char **names, path[512];
	size_t n = list_dir(GOOD, &names), i, want = 0;
	const char *prev = "";

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), GOOD "/%s", names[i]);
		want += count_titles(path);
	}
	rs = edr_ruleset__load_opts(GOOD, &o, &err);
	if (!rs)
		fail_msg("%s", err.msg);
	assert_int_equal(edr_ruleset__count(rs), want);
	assert_true(want >= 15);
	/* loaded in sorted file order */
	for (i = 0; i < edr_ruleset__count(rs); i++) {
		const char *f = edr_rule__file(edr_ruleset__rule(rs, i));

		assert_true(strcmp(prev, f) <= 0);
		prev = f;
	}
	if (edr_ruleset__selftest(rs, &err))
		fail_msg("%s", err.msg);
	print_message("%zu own Sigma-style test rules in %zu files load and pass their samples\n",
		      want, n);
	edr_ruleset__free(rs);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_bad_rules(void **state)
{
	char **names, path[512], first[1024], want[2048];
	size_t n = list_dir(BAD, &names), i, bad = 0;

	assert_true(n >= 10);
	for (i = 0; i < n; i++) {
		struct edr_rules_err err = { 0 };
		struct edr_ruleset *rs;
		bool selftest = false, protect = false;
		FILE *f;
		char *nl;

		snprintf(path, sizeof(path), BAD "/%s", names[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(first, sizeof(first), f));
		fclose(f);
		if ((nl = strchr(first, '\n')))
			*nl = 0;
		if (!strncmp(first, "# expect: ", 10)) {
			selftest = false;
			snprintf(want, sizeof(want), "%s:%s", path, first + 10);
		} else if (!strncmp(first, "# expect-selftest: ", 19)) {
			selftest = true;
			snprintf(want, sizeof(want), "%s:%s", path, first + 19);
		} else if (!strncmp(first, "# expect-protect: ", 18)) {
			protect = true;
			snprintf(want, sizeof(want), "%s", first + 18);
		} else {
			fail_msg("%s: first line must be '# expect: ...'", path);
		}
		rs = edr_ruleset__load(path, &err);
		if (protect) {
			struct edr_protect *p = edr_protect__new(NULL, 0);
			char msg[512];

			assert_non_null(p);
			if (!rs || edr_ruleset__selftest(rs, &err)) {
				print_error("%s: does not load or pass its samples: %s\n", path, err.msg);
				bad++;
			} else if (edr_protect__check_ruleset(p, rs, msg, sizeof(msg)) != -EPERM ||
				   strcmp(msg, want)) {
				print_error("%s:\n  got  %s\n  want %s\n", path, msg, want);
				bad++;
			}
			edr_protect__free(p);
			edr_ruleset__free(rs);
			continue;
		}
		if (selftest) {
			if (!rs) {
				print_error("%s: did not load: %s\n", path, err.msg);
				bad++;
				continue;
			}
			assert_int_equal(edr_ruleset__selftest(rs, &err), -EINVAL);
			edr_ruleset__free(rs);
		} else if (rs) {
			print_error("%s: loaded but should fail\n", path);
			edr_ruleset__free(rs);
			bad++;
			continue;
		}
		if (strcmp(err.msg, want)) {
			print_error("%s:\n  got  %s\n  want %s\n", path, err.msg, want);
			bad++;
		}
		/* one error per bad file, even for multi-document collections */
		if (err.nerrors != 1) {
			print_error("%s: %u errors, want 1\n", path, err.nerrors);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void test_bad_dir_keep_going(void **state)
{
	struct edr_rules_opts o = { .flags = EDR_RULES_KEEP_GOING };
	struct edr_rules_err err = { 0 };
	struct edr_ruleset *rs;
	char **names;
	size_t n = list_dir(BAD, &names), i;

	/* every bad file but the selftest and protect ones is refused; the
	 * rest still loads */
	rs = edr_ruleset__load_opts(BAD, &o, &err);
	assert_non_null(rs);
	assert_int_equal(edr_ruleset__count(rs), 2);
	assert_int_equal(err.nerrors, n - 2);
	/* all-or-nothing by default */
	assert_null(edr_ruleset__load(BAD, &err));
	edr_ruleset__free(rs);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_rules),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_bad_dir_keep_going),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
