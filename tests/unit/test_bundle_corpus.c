// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bad-bundle corpus (tests/bundles/bad, made by gen_bad_bundles): every
 * bundle goes through the real load pipeline of a content manager running
 * version 10, and must be rejected at the stage and with the reason that
 * expected.tsv gives, while the running content keeps matching.
 * The build generates the corpus afresh into $(BUILD)/tests/bundles/bad (so
 * the engine's expected messages in tests/rules/bad are always current);
 * EDR_BUNDLE_CORPUS overrides the directory, e.g. with tests/bundles/bad.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "sensor/content/content.h"

#define MIN_CASES 100

static char tmp[64];
#ifndef EDR_BUNDLE_CORPUS_DIR
#define EDR_BUNDLE_CORPUS_DIR "tests/bundles/bad"
#endif

static const char *corpus_dir = EDR_BUNDLE_CORPUS_DIR;
static uint8_t pk[32], sk[64];
static struct edr_bundle_key key;

static const char good_rule[] =
	"title: Still running\n"
	"id: 11111111-2222-3333-4444-0000000000ff\n"
	"logsource:\n  product: linux\n  category: process_creation\n"
	"detection:\n  sel:\n    Image|endswith: /marker-zz\n  condition: sel\n"
	"level: high\n"
	"x-edr-samples:\n  match:\n    - Image: /usr/bin/marker-zz\n"
	"  nomatch:\n    - Image: /usr/bin/true\n";

static int still_matches(struct edr_content *mgr)
{
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS] = { 0 };
	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION), f };

	f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ "/bin/marker-zz", 14, 0, 1 };
	return edr_content__eval(mgr, &ev, NULL, NULL);
}

static void test_corpus(void **state)
{
	struct edr_bundle_src src = { "zz.yml", (const uint8_t *)good_rule, sizeof(good_rule) - 1 };
	struct edr_bundle_wopts wo = { .version = 10, .created = 1700000000 };
	struct edr_content_opts o = { 0 };
	struct edr_bundle_err berr;
	struct edr_content *mgr;
	char path[2600], cdir[128], err[1024], line[2048];
	unsigned ncases = 0, nfail = 0, stages[3] = { 0 };
	uint8_t *buf;
	size_t len;
	uint64_t v;
	size_t n;
	FILE *f;

	snprintf(cdir, sizeof(cdir), "%s/content", tmp);
	o.content_dir = cdir;
	o.keys = &key;
	o.nkeys = 1;
	o.child_wall_ms = 30000;
	mgr = edr_content__new(&o, err, sizeof(err));
	assert_non_null(mgr);
	assert_int_equal(edr_bundle__build(&src, 1, &wo, sk, &buf, &len, &berr), 0);
	snprintf(path, sizeof(path), "%s/v10.bundle", tmp);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
	assert_int_equal(edr_content__load(mgr, path, NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(still_matches(mgr), 1);

	snprintf(path, sizeof(path), "%s/expected.tsv", corpus_dir);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	/* Unbuffered: the self-test children share this file's offset, and
	 * under valgrind each runs glibc's cleanup at exit, which seeks a
	 * buffered input stream back to where the parent has read. */
	setvbuf(f, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), f)) {
		char *file = line, *stage, *reason, *nl, want[256];
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		stage = strchr(file, '\t');
		assert_non_null(stage);
		*stage++ = 0;
		reason = strchr(stage, '\t');
		assert_non_null(reason);
		*reason++ = 0;
		ncases++;
		if (!strcmp(stage, "verify"))
			stages[0]++;
		else if (!strcmp(stage, "validate"))
			stages[1]++;
		else
			stages[2]++;
		snprintf(path, sizeof(path), "%s/%s", corpus_dir, file);
		snprintf(want, sizeof(want), "rejected at %s: ", stage);
		err[0] = 0;
		rc = edr_content__load(mgr, path, NULL, NULL, NULL, err, sizeof(err));
		if (rc == 0 || strncmp(err, want, strlen(want)) || !strstr(err, reason) ||
		    strchr(err, '\n')) {
			print_message("MISMATCH %s\n  want: %s... %s\n  got:  %s\n", file, want, reason,
				      rc ? err : "(accepted)");
			nfail++;
		}
		if (getenv("EDR_CORPUS_VERBOSE"))
			print_message("%s\t%s\n", file, err);
		/* The running content is untouched and still evaluates. */
		edr_content__active_info(mgr, &v, &n);
		if (v != 10 || n != 1 || still_matches(mgr) != 1) {
			print_message("ACTIVE CONTENT CHANGED after %s\n", file);
			nfail++;
		}
	}
	fclose(f);
	print_message("%u bad bundles: %u verify, %u validate, %u self-test; %u mismatches\n",
		      ncases, stages[0], stages[1], stages[2], nfail);
	assert_true(ncases >= MIN_CASES);
	assert_true(stages[1] > 0 && stages[2] > 0);
	assert_int_equal(nfail, 0);
	edr_content__free(mgr);
}

static int setup(void **state)
{
	uint8_t seed[32];
	const char *env = getenv("EDR_BUNDLE_CORPUS");

	if (env && *env)
		corpus_dir = env;
	if (sodium_init() < 0)
		return -1;
	memset(seed, 0x42, sizeof(seed)); /* the corpus generator's trusted key */
	crypto_sign_seed_keypair(pk, sk, seed);
	edr_bundle_key__from_pk(&key, pk);
	edr_content__thread_init(); /* this thread evaluates events too */
	snprintf(tmp, sizeof(tmp), "/tmp/test_bundle_corpus.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	edr_content__thread_fini();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
