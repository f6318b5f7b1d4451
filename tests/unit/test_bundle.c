// SPDX-License-Identifier: GPL-2.0-only
/* Bundle writer, reader and key files. */
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
#include <sodium.h>

#include "rules/bundle.h"
#include "rules/schema.h"

static char tmp[64];

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

#define expect_err(rc, want_rc, err, want) expect_err_(rc, want_rc, err, want, __LINE__)
static void expect_err_(int rc, int want_rc, const struct edr_bundle_err *err, const char *want,
			int line)
{
	if (rc != want_rc)
		fail_msg("line %d: rc %d, expected %d (%s)", line, rc, want_rc, err->msg);
	if (!strstr(err->msg, want))
		fail_msg("expected '%s' in '%s'", want, err->msg);
}

static void test_keys(void **state)
{
	struct edr_bundle_err err = { "" };
	struct edr_bundle_key key;
	uint8_t sk[64];
	char prefix[128], path[160];
	struct stat st;

	snprintf(prefix, sizeof(prefix), "%s/k", tmp);
	assert_int_equal(edr_bundle_keygen(prefix, &err), 0);
	snprintf(path, sizeof(path), "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(edr_bundle_secret__load(path, sk, &err), 0);
	snprintf(path, sizeof(path), "%s.pub", prefix);
	assert_int_equal(edr_bundle_key__load(path, &key, &err), 0);
	assert_memory_equal(key.pk, sk + 32, 32);
	/* Never overwrites a key. */
	expect_err(edr_bundle_keygen(prefix, &err), -EEXIST, &err, "File exists");

	put("bad1.pub", "edr-ed25519-secret AAAA\n", 0644);
	snprintf(path, sizeof(path), "%s/bad1.pub", tmp);
	expect_err(edr_bundle_key__load(path, &key, &err), -EINVAL, &err,
		   "bad1.pub:1: expected 'edr-ed25519-public <base64>'");
	put("bad2.pub", "edr-ed25519-public !!!notbase64!!!\n", 0644);
	snprintf(path, sizeof(path), "%s/bad2.pub", tmp);
	expect_err(edr_bundle_key__load(path, &key, &err), -EINVAL, &err, "not a base64 32-byte key");
	put("bad3.pub", "edr-ed25519-public AAAA\n", 0644);
	snprintf(path, sizeof(path), "%s/bad3.pub", tmp);
	expect_err(edr_bundle_key__load(path, &key, &err), -EINVAL, &err, "not a base64 32-byte key");
	put("bad4.pub", "edr-ed25519-public dVid7Iix2ZSxvDSq7xmVibX1b+EaGJbUJAVolLeXixc=\nmore\n",
	    0644);
	snprintf(path, sizeof(path), "%s/bad4.pub", tmp);
	expect_err(edr_bundle_key__load(path, &key, &err), -EINVAL, &err, "more than one line");
	snprintf(path, sizeof(path), "%s/missing.pub", tmp);
	expect_err(edr_bundle_key__load(path, &key, &err), -ENOENT, &err, "missing.pub");

	/* A secret others can read is refused; so is one that does not
	 * match its own public half. */
	snprintf(path, sizeof(path), "%s.key", prefix);
	chmod(path, 0644);
	expect_err(edr_bundle_secret__load(path, sk, &err), -EPERM, &err, "chmod 600");
	{
		char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)], line[200];

		sk[40] ^= 1;
		sodium_bin2base64(b64, sizeof(b64), sk, 64, sodium_base64_VARIANT_ORIGINAL);
		snprintf(line, sizeof(line), "edr-ed25519-secret %s\n", b64);
		put("bad.key", line, 0600);
		snprintf(path, sizeof(path), "%s/bad.key", tmp);
		expect_err(edr_bundle_secret__load(path, sk, &err), -EINVAL, &err, "inconsistent");
	}
}

static void keypair(uint8_t pk[32], uint8_t sk[64], struct edr_bundle_key *key, int c)
{
	uint8_t seed[32];

	memset(seed, c, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	edr_bundle_key__from_pk(key, pk);
}

static void test_roundtrip(void **state)
{
	const char *a = "title: a\n", *b = "title: b\nlonger\n";
	struct edr_bundle_src src[2] = {
		{ "a.yml", (const uint8_t *)a, strlen(a) },
		{ "dir/b.yaml", (const uint8_t *)b, strlen(b) },
	};
	struct edr_bundle_wopts o = { 42, 1700000000, EDR_VERSION_NUM(1, 2, 3), 0 };
	struct edr_bundle_err err = { "" };
	struct edr_bundle_key key, other;
	struct edr_bundle *bd;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], *buf;
	size_t len, i, bit;

	keypair(pk, sk, &key, 1);
	keypair(pk2, sk2, &other, 2);
	assert_int_equal(edr_bundle__build(src, 2, &o, sk, &buf, &len, &err), 0);
	bd = edr_bundle__from_mem(buf, len, &key, 1, 0, &err);
	assert_non_null(bd);
	assert_true(bd->verified);
	assert_int_equal(bd->version, 42);
	assert_int_equal(bd->created, 1700000000);
	assert_int_equal(bd->min_sensor, EDR_VERSION_NUM(1, 2, 3));
	assert_int_equal(bd->schema, EDR_SCHEMA_VERSION);
	assert_memory_equal(bd->key_id, key.id, 8);
	assert_int_equal(bd->nfiles, 2);
	assert_string_equal(bd->files[1].name, "dir/b.yaml");
	assert_int_equal(bd->files[1].size, strlen(b));
	assert_memory_equal(bd->files[1].data, b, strlen(b));
	edr_bundle__free(bd);

	/* Several keys: the one named by the key id is used. */
	{
		struct edr_bundle_key two[2] = { other, key };

		bd = edr_bundle__from_mem(buf, len, two, 2, 0, &err);
		assert_non_null(bd);
		edr_bundle__free(bd);
	}
	assert_null(edr_bundle__from_mem(buf, len, &other, 1, 0, &err));
	assert_int_equal(errno, EKEYREJECTED);
	bd = edr_bundle__from_mem(buf, len, NULL, 0, EDR_BUNDLE_NO_VERIFY, &err);
	assert_non_null(bd);
	assert_false(bd->verified);
	edr_bundle__free(bd);

	/* Every truncation and every single-bit change is refused. */
	for (i = 0; i < len; i++)
		assert_null(edr_bundle__from_mem(buf, i, &key, 1, 0, &err));
	for (bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		bd = edr_bundle__from_mem(buf, len, &key, 1, 0, &err);
		if (bd)
			fail_msg("bit %zu flipped and accepted", bit);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(buf);

	/* The writer refuses what the reader would refuse. */
	src[0].name = "../a.yml";
	expect_err(edr_bundle__build(src, 2, &o, sk, &buf, &len, &err), -EINVAL, &err,
		   "../a.yml: name not allowed");
	expect_err(edr_bundle__build(src, 0, &o, sk, &buf, &len, &err), -EINVAL, &err,
		   "no rule files");
	src[0].name = "a.yml";
	src[0].size = EDR_BUNDLE_MAX_FILE_SIZE + 1;
	expect_err(edr_bundle__build(src, 1, &o, sk, &buf, &len, &err), -E2BIG, &err,
		   "exceed the limit");
}

static void test_dir_and_files(void **state)
{
	struct edr_bundle_wopts o = { 7, 0, 0, 0 };
	struct edr_bundle_err err = { "" };
	struct edr_bundle_key key;
	struct edr_bundle *bd;
	uint8_t pk[32], sk[64];
	char dir[128], out[160], sub[160];

	keypair(pk, sk, &key, 3);
	snprintf(dir, sizeof(dir), "%s/rules", tmp);
	mkdir(dir, 0755);
	snprintf(out, sizeof(out), "%s/out.bundle", tmp);
	expect_err(edr_bundle__write_dir(dir, &o, sk, out, &err), -ENOENT, &err,
		   "no *.yml or *.yaml files");
	snprintf(sub, sizeof(sub), "%s/rules/z", tmp);
	mkdir(sub, 0755);
	put("rules/b.yml", "title: b\n", 0644);
	put("rules/z/a.yaml", "title: a\n", 0644);
	put("rules/.hidden.yml", "title: h\n", 0644);
	put("rules/readme.txt", "not a rule\n", 0644);
	assert_int_equal(edr_bundle__write_dir(dir, &o, sk, out, &err), 0);
	bd = edr_bundle__open(out, &key, 1, 0, &err);
	assert_non_null(bd);
	assert_int_equal(bd->nfiles, 2);
	assert_string_equal(bd->files[0].name, "b.yml");
	assert_string_equal(bd->files[1].name, "z/a.yaml");
	assert_int_equal(bd->version, 7);
	assert_true(bd->created > 1700000000);
	edr_bundle__free(bd);

	assert_null(edr_bundle__open(dir, &key, 1, 0, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	{
		/* A file over the size limit is refused before it is read. */
		int fd;

		snprintf(out, sizeof(out), "%s/huge.bundle", tmp);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_int_equal(ftruncate(fd, EDR_BUNDLE_MAX_SIZE + 1), 0);
		close(fd);
		assert_null(edr_bundle__open(out, &key, 1, 0, &err));
		assert_int_equal(errno, E2BIG);
		assert_non_null(strstr(err.msg, "exceeds the limit"));
	}
}

static void test_versions(void **state)
{
	uint32_t v;
	char buf[32];

	assert_int_equal(edr_version_parse("1.2.3", &v), 0);
	assert_int_equal(v, EDR_VERSION_NUM(1, 2, 3));
	assert_string_equal(edr_version_fmt(v, buf, sizeof(buf)), "1.2.3");
	assert_int_equal(edr_version_parse("1.2", &v), -EINVAL);
	assert_int_equal(edr_version_parse("1.2.3x", &v), -EINVAL);
	assert_int_equal(edr_version_parse("1.256.0", &v), -EINVAL);
	assert_int_equal(edr_version_parse("", &v), -EINVAL);
}

static int setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "/tmp/test_bundle.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_dir_and_files),
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
