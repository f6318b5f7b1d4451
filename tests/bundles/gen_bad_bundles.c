// SPDX-License-Identifier: GPL-2.0-only
/*
 * Generates the corpus of bad bundles: each one derived from a good bundle
 * (or from good rules) by one defect, written to OUTDIR/NNN_name.bundle,
 * with OUTDIR/expected.tsv listing "file<TAB>stage<TAB>reason": the stage
 * at which `load-rules` must reject it and a substring of the one-line
 * reason. Deterministic (fixed keys, creation time, compression level), so
 * the committed corpus can be compared with a fresh run.
 *
 * Usage: gen_bad_bundles OUTDIR RULES_BAD_DIR [GOOD_OUT]
 *   RULES_BAD_DIR: tests/rules/bad, whose files carry "# expect:" or
 *   "# expect-protect:" (validate) or "# expect-selftest:" (self-test) first
 *   lines.
 *   GOOD_OUT: also write the good bundle the cases derive from (a fuzz seed).
 *
 * The consumer (tests/unit/test_bundle_corpus.c) trusts the key made from
 * seed 0x42 and runs with active content version 10. For tests against the
 * real daemon, OUTDIR also gets trusted.pub (that key, in the key file
 * format) and active_v10.bundle (content to run first: one rule matching
 * process_creation events whose Image ends in /marker-zz).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "rules/bundle.h"
#include "rules/schema.h"
#include "sensor/content/content.h"

#define CREATED 1700000000ull
#define GOODVER 20
/* The sensor under test: good bundles need no newer one. */
#define SENSOR_VER EDR_CONTENT_SENSOR_VERSION

static const char *outdir;
static FILE *tsv;
static int ncase;
static uint8_t sk[64], pk[32], sk_other[64], pk_other[32];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen_bad_bundles: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void emit(const char *name, const char *stage, const char *reason, const uint8_t *buf,
		 size_t len)
{
	char path[1024], file[256];
	FILE *f;

	snprintf(file, sizeof(file), "%03d_%s.bundle", ++ncase, name);
	snprintf(path, sizeof(path), "%s/%s", outdir, file);
	f = fopen(path, "wb");
	if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f))
		die("%s: %s", path, strerror(errno));
	fprintf(tsv, "%s\t%s\t%s\n", file, stage, reason);
}

/* ---- good material ---- */

/* Texts and names live until the program ends; they are freed at exit so
 * the generator, built with the sanitizers in `make asan`, leaks nothing. */
static void **kept;
static size_t nkept;

static void free_kept(void)
{
	while (nkept)
		free(kept[--nkept]);
	free(kept);
}

static void *keep(void *p)
{
	void **k;

	if (!p)
		die("out of memory");
	if (!kept)
		atexit(free_kept);
	k = realloc(kept, (nkept + 1) * sizeof(*kept));
	if (!k)
		die("out of memory");
	kept = k;
	kept[nkept++] = p;
	return p;
}

static char *rule_text(const char *tag, const char *detection_extra)
{
	char *b = keep(malloc(16384));

	snprintf(b, 16384,
		 "title: Corpus rule %s\n"
		 "id: 11111111-2222-3333-4444-0000000000%s\n"
		 "logsource:\n  product: linux\n  category: process_creation\n"
		 "detection:\n  sel:\n    Image|endswith: /marker-%s\n%s  condition: sel\n"
		 "level: high\n"
		 "x-edr-samples:\n  match:\n    - Image: /usr/bin/marker-%s\n"
		 "  nomatch:\n    - Image: /usr/bin/true\n",
		 tag, tag, tag, detection_extra ? detection_extra : "", tag);
	return b;
}

struct files {
	struct edr_bundle_src v[32];
	size_t n;
};

static void add(struct files *f, const char *name, const char *data, size_t len)
{
	f->v[f->n++] = (struct edr_bundle_src){ keep(strdup(name)), (const uint8_t *)data, len };
}

static struct files good_files(void)
{
	struct files f = { .n = 0 };
	char *a = rule_text("aa", NULL), *b = rule_text("bb", NULL);

	add(&f, "a.yml", a, strlen(a));
	add(&f, "sub/b.yml", b, strlen(b));
	return f;
}

static void build(const struct files *f, uint64_t version, uint32_t min_sensor, uint32_t schema,
		  const uint8_t *key, uint8_t **out, size_t *len)
{
	struct edr_bundle_wopts o = { version, CREATED, min_sensor, schema };
	struct edr_bundle_err err;

	if (edr_bundle__build(f->v, f->n, &o, key, out, len, &err))
		die("build: %s", err.msg);
}

static void good(uint8_t **out, size_t *len)
{
	struct files f = good_files();

	build(&f, GOODVER, SENSOR_VER, EDR_SCHEMA_VERSION, sk, out, len);
}

/* Re-signs buf in place (after a mutation of the signed part). */
static void resign(uint8_t *buf, size_t len, const uint8_t *key)
{
	crypto_sign_detached(buf + len - 64, NULL, buf, len - 64, key);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = v >> 24;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *zc(const void *src, size_t n, int window_log, size_t *zlen)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *z = malloc(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();

	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 9);
	if (window_log)
		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
	*zlen = ZSTD_compress2(c, z, cap, src, n);
	if (ZSTD_isError(*zlen))
		die("zstd: %s", ZSTD_getErrorName(*zlen));
	ZSTD_freeCCtx(c);
	return z;
}

/* A signed bundle from an explicit manifest and payload. */
static void custom(const char *name, const char *stage, const char *reason,
		   const struct edr_bundle_manifest *m, const uint8_t *payload, size_t plen,
		   const uint8_t *extra_manifest, size_t extra)
{
	uint8_t *man, *out;
	size_t mlen, len;

	if (edr_bundle__encode_manifest(m, &man, &mlen))
		die("manifest");
	if (extra) {
		man = realloc(man, mlen + extra);
		memcpy(man + mlen, extra_manifest, extra);
		mlen += extra;
	}
	if (edr_bundle__assemble(man, mlen, payload, plen, sk, &out, &len))
		die("assemble");
	emit(name, stage, reason, out, len);
	free(man);
	free(out);
}

/* A signed bundle whose manifest announces count files (holding m's). */
static void lie_count(const char *name, const char *reason, const struct edr_bundle_manifest *m,
		      uint32_t count, const uint8_t *payload, size_t plen)
{
	uint8_t *man, *out;
	size_t mlen, len;

	if (edr_bundle__encode_manifest(m, &man, &mlen))
		die("manifest");
	put32(man + 32, count);
	if (edr_bundle__assemble(man, mlen, payload, plen, sk, &out, &len))
		die("assemble");
	emit(name, "verify", reason, out, len);
	free(man);
	free(out);
}

/* The manifest of the good files, with the payload compressed from them. */
static void good_manifest(struct edr_bundle_manifest *m, struct edr_bundle_mfile *mf,
			  uint8_t **payload, size_t *plen)
{
	struct files f = good_files();
	size_t i, total = 0, off = 0;
	uint8_t *cat;

	for (i = 0; i < f.n; i++)
		total += f.v[i].size;
	cat = malloc(total);
	for (i = 0; i < f.n; i++) {
		mf[i].name = f.v[i].name;
		mf[i].size = f.v[i].size;
		crypto_hash_sha256(mf[i].sha256, f.v[i].data, f.v[i].size);
		memcpy(cat + off, f.v[i].data, f.v[i].size);
		off += f.v[i].size;
	}
	*m = (struct edr_bundle_manifest){ GOODVER, CREATED, SENSOR_VER,
					   EDR_SCHEMA_VERSION, total, (uint32_t)f.n, mf };
	*payload = zc(cat, total, 0, plen);
	free(cat);
}

/* ---- the cases ---- */

static void structural(void)
{
	static const size_t cuts[] = { 1, 8, 31, 32, 40, 60, 95 };
	uint8_t *g, *b;
	size_t len, i;
	uint32_t mlen;

	good(&g, &len);
	mlen = get32(g + 12);

	emit("empty_file", "verify", "truncated: 0 bytes", g, 0);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "truncated_at_%zu", cuts[i]);
		emit(name, "verify", cuts[i] < 96 ? "less than a header and a signature"
						  : "truncated: the header announces", g, cuts[i]);
	}
	for (i = 1; i <= 8; i++) {
		char name[64];
		size_t at = 96 + (len - 96) * i / 9;

		snprintf(name, sizeof(name), "truncated_%zu_of_9", i);
		emit(name, "verify", "truncated: the header announces", g, at);
	}
	emit("truncated_minus_1", "verify", "truncated: the header announces", g, len - 1);
	emit("signature_missing", "verify", "truncated: the header announces", g, len - 64);

	b = malloc(len + 4096);
	memcpy(b, g, len);
	b[len] = '\n';
	emit("trailing_newline", "verify", "1 bytes of trailing garbage after the signature", b,
	     len + 1);
	memset(b + len, 'A', 1000);
	emit("trailing_1000", "verify", "1000 bytes of trailing garbage", b, len + 1000);
	memcpy(b + len, g, len < 4096 ? len : 4096);
	emit("two_bundles_concatenated", "verify", "bytes of trailing garbage", b,
	     len + (len < 4096 ? len : 4096));

	memcpy(b, g, len);
	memcpy(b, "EDRBUNDX", 8);
	emit("bad_magic", "verify", "not a bundle (bad magic)", b, len);
	memset(b, 0, 8);
	emit("zero_magic", "verify", "not a bundle (bad magic)", b, len);
	memcpy(b, "PK\x03\x04", 4);
	emit("zip_file", "verify", "not a bundle (bad magic)", b, len);
	{
		const char *yaml = "title: a rule, not a bundle\nlogsource: {}\n";
		char big[200];

		snprintf(big, sizeof(big), "%-150s", yaml);
		emit("plain_yaml", "verify", "not a bundle (bad magic)", (const uint8_t *)big,
		     strlen(big));
	}

	memcpy(b, g, len);
	b[8] = 2;
	emit("format_version_2", "verify", "unsupported bundle format version 2", b, len);
	b[8] = 0;
	emit("format_version_0", "verify", "unsupported bundle format version 0", b, len);
	b[8] = 0xff; b[9] = 0xff;
	emit("format_version_65535", "verify", "unsupported bundle format version 65535", b, len);
	memcpy(b, g, len);
	b[10] = 1;
	emit("header_flags", "verify", "unknown header flags 0x0001", b, len);

	memcpy(b, g, len);
	put32(b + 12, 0xffffffffu);
	emit("manifest_len_huge", "verify", "manifest of 4294967295 bytes exceeds the limit", b,
	     len);
	memcpy(b, g, len);
	put32(b + 12, mlen + 1);
	emit("manifest_len_plus_1", "verify", "truncated: the header announces", b, len);
	memcpy(b, g, len);
	put32(b + 12, mlen - 1);
	emit("manifest_len_minus_1", "verify", "1 bytes of trailing garbage", b, len);
	memcpy(b, g, len);
	put64(b + 16, 1ull << 40);
	emit("payload_len_huge", "verify", "payload of 1099511627776 bytes exceeds the limit", b,
	     len);
	memcpy(b, g, len);
	put64(b + 16, ~0ull);
	emit("payload_len_max", "verify", "exceeds the limit", b, len);
	memcpy(b, g, len);
	put64(b + 16, 0);
	emit("payload_len_zero", "verify", "bytes of trailing garbage", b, len);

	/* Signature and key. */
	memcpy(b, g, len);
	b[len - 1] ^= 1;
	emit("signature_last_bit", "verify", "bad signature (key", b, len);
	memcpy(b, g, len);
	b[len - 64] ^= 0x80;
	emit("signature_first_bit", "verify", "bad signature (key", b, len);
	memcpy(b, g, len);
	memset(b + len - 64, 0, 64);
	emit("signature_zero", "verify", "bad signature (key", b, len);
	memcpy(b, g, len);
	b[32 + 3] ^= 1; /* the content version in the manifest */
	emit("manifest_bit_flip", "verify", "bad signature (key", b, len);
	memcpy(b, g, len);
	b[len - 70] ^= 4; /* inside the payload */
	emit("payload_bit_flip", "verify", "bad signature (key", b, len);
	memcpy(b, g, len);
	b[24] ^= 1;
	emit("key_id_changed", "verify", "which is not trusted", b, len);
	memcpy(b, g, len);
	memset(b + 24, 0, 8);
	memset(b + len - 64, 0, 64);
	emit("unsigned_bundle", "verify", "signed by key 0000000000000000, which is not trusted", b,
	     len);
	{
		struct files f = good_files();
		uint8_t *o;
		size_t olen;

		build(&f, GOODVER, SENSOR_VER, EDR_SCHEMA_VERSION, sk_other, &o, &olen);
		emit("wrong_key", "verify", "which is not trusted", o, olen);
		/* Right key id, signature by the other key. */
		memcpy(o + 24, g + 24, 8);
		resign(o, olen, sk_other);
		emit("key_id_forged", "verify", "bad signature (key", o, olen);
		free(o);
	}
	free(b);
	free(g);
}

static void manifests(void)
{
	struct edr_bundle_mfile mf[4], mf2[4];
	struct edr_bundle_manifest m, m2;
	uint8_t *payload, *man, *out;
	size_t plen, mlen, len;

	good_manifest(&m, mf, &payload, &plen);

	/* A manifest shorter than its fixed part, signed. */
	edr_bundle__encode_manifest(&m, &man, &mlen);
	edr_bundle__assemble(man, 20, payload, plen, sk, &out, &len);
	emit("manifest_truncated_fixed", "verify", "manifest: truncated (20 bytes)", out, len);
	free(out);
	edr_bundle__assemble(man, mlen - 10, payload, plen, sk, &out, &len);
	emit("manifest_truncated_entry", "verify", "manifest: truncated in file 1", out, len);
	free(out);
	free(man);

	m2 = m;
	m2.nfiles = 0;
	m2.total = 0;
	custom("empty_bundle", "verify", "manifest lists no files (empty bundle)", &m2, payload,
	       plen, NULL, 0);
	lie_count("file_count_huge", "1000000000 files exceed the limit of 10000", &m, 1000000000u,
		  payload, plen);
	/* Within the limit, but the bytes are not there. */
	lie_count("file_count_lies", "9000 files cannot fit in", &m, 9000, payload, plen);
	lie_count("file_count_plus_1", "manifest: 3 files cannot fit in", &m, 3, payload, plen);

	{
		static const char *const names[] = {
			"", "../escape.yml", "/etc/abs.yml", ".hidden.yml", "sub/.hidden.yml",
			"a//b.yml", "dir/", "sp ace.yml", "semi;colon.yml", "uni\xc3\xa9.yml",
			"new\nline.yml",
		};
		static const char *const tags[] = {
			"empty", "dotdot", "absolute", "hidden", "hidden_sub", "double_slash",
			"trailing_slash", "space", "semicolon", "utf8", "newline",
		};
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char name[64];

			memcpy(mf2, mf, sizeof(mf2));
			m2 = m;
			m2.files = mf2;
			mf2[0].name = names[i];
			snprintf(name, sizeof(name), "name_%s", tags[i]);
			custom(name, "verify", "manifest: file 0: invalid name", &m2, payload, plen,
			       NULL, 0);
		}
		{
			char longname[300];

			memset(longname, 'x', sizeof(longname));
			memcpy(longname + 295, ".yml", 5);
			memcpy(mf2, mf, sizeof(mf2));
			m2 = m;
			m2.files = mf2;
			mf2[0].name = longname;
			custom("name_too_long", "verify", "manifest: file 0: invalid name", &m2,
			       payload, plen, NULL, 0);
		}
	}
	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	mf2[1].name = mf2[0].name;
	custom("duplicate_file_name", "verify", "manifest: duplicate file 'a.yml'", &m2, payload,
	       plen, NULL, 0);

	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	mf2[0].size = 2u << 20;
	m2.total = mf2[0].size + mf2[1].size;
	custom("file_too_large", "verify", "manifest: file 'a.yml' of 2097152 bytes exceeds the limit",
	       &m2, payload, plen, NULL, 0);
	m2 = m;
	m2.total = 1ull << 32;
	custom("total_too_large", "verify", "manifest: total size 4294967296 exceeds the limit",
	       &m2, payload, plen, NULL, 0);
	m2 = m;
	m2.total = m.total + 1;
	custom("total_mismatch", "verify", "manifest: file sizes add up to", &m2, payload, plen,
	       NULL, 0);
	custom("manifest_trailing", "verify", "manifest: 3 trailing bytes", &m, payload, plen,
	       (const uint8_t *)"xyz", 3);

	/* Hashes and sizes against the content. */
	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	mf2[1].sha256[31] ^= 1;
	custom("hash_mismatch", "verify", "file 'sub/b.yml': SHA-256 does not match the manifest",
	       &m2, payload, plen, NULL, 0);
	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	memset(mf2[0].sha256, 0, 32);
	custom("hash_zero", "verify", "file 'a.yml': SHA-256 does not match the manifest", &m2,
	       payload, plen, NULL, 0);
	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	mf2[0].size -= 5; /* the boundary between the files moves */
	mf2[1].size += 5;
	custom("file_boundary_shifted", "verify", "file 'a.yml': SHA-256 does not match", &m2,
	       payload, plen, NULL, 0);
	memcpy(mf2, mf, sizeof(mf2));
	m2 = m;
	m2.files = mf2;
	memcpy(mf2[0].sha256, mf[1].sha256, 32); /* hashes swapped */
	memcpy(mf2[1].sha256, mf[0].sha256, 32);
	custom("hashes_swapped", "verify", "SHA-256 does not match", &m2, payload, plen, NULL, 0);
	free(payload);
}

static void zstd_cases(void)
{
	struct edr_bundle_mfile mf[4];
	struct edr_bundle_manifest m, m2;
	uint8_t *payload, *b, *z;
	size_t plen, zlen, big = 60u << 20;

	good_manifest(&m, mf, &payload, &plen);
	b = malloc(plen + 64);

	custom("payload_not_zstd", "verify", "payload: bad zstd data", &m,
	       (const uint8_t *)"this is not a zstd frame at all, just text.......", 48, NULL, 0);
	custom("payload_empty", "verify", "payload: zstd frame truncated", &m, payload, 0, NULL, 0);
	custom("zstd_truncated_half", "verify", "payload: zstd frame truncated", &m, payload,
	       plen / 2, NULL, 0);
	custom("zstd_truncated_last_byte", "verify", "payload: zstd frame truncated", &m, payload,
	       plen - 1, NULL, 0);
	custom("zstd_header_only", "verify", "payload: zstd frame truncated", &m, payload, 6, NULL,
	       0);
	memcpy(b, payload, plen);
	b[0] ^= 0xff; /* the frame magic */
	custom("zstd_bad_magic", "verify", "payload: bad zstd data", &m, b, plen, NULL, 0);
	memcpy(b, payload, plen);
	b[4] = 0xff; /* frame header descriptor: reserved bit set */
	custom("zstd_bad_frame_header", "verify", "payload: bad zstd data", &m, b, plen, NULL, 0);
	memcpy(b, payload, plen);
	memcpy(b + plen, payload, plen < 64 ? plen : 64);
	custom("zstd_trailing_bytes", "verify", "bytes after the zstd frame", &m, b,
	       plen + (plen < 64 ? plen : 64), NULL, 0);
	{
		uint8_t *two = malloc(plen * 2);

		memcpy(two, payload, plen);
		memcpy(two + plen, payload, plen);
		custom("zstd_two_frames", "verify", "bytes after the zstd frame", &m, two,
		       plen * 2, NULL, 0);
		free(two);
	}
	{
		/* A skippable frame carries no data. */
		uint8_t skip[16] = { 0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0 };

		custom("zstd_skippable_only", "verify", "payload: decompressed to 0 bytes", &m, skip,
		       sizeof(skip), NULL, 0);
	}
	m2 = m;
	m2.total = m.total - 1;
	mf[1].size -= 1;
	custom("zstd_longer_than_manifest", "verify", "decompression bomb", &m2, payload, plen,
	       NULL, 0);
	mf[1].size += 1;
	{
		/* The frame decodes to less than declared. */
		uint8_t *cat = calloc(1, m.total);
		uint8_t *small = zc(cat, m.total - 7, 0, &zlen);

		custom("zstd_shorter_than_manifest", "verify", "decompressed to", &m, small, zlen,
		       NULL, 0);
		free(small);
		free(cat);
	}
	/* Decompression bombs: a few KB expanding to 60 MB of zeros. */
	{
		uint8_t *zero = calloc(1, big);
		struct edr_bundle_mfile one = { "bomb.yml", 0, { 0 } };

		z = zc(zero, big, 0, &zlen);
		m2 = m;
		m2.nfiles = 1;
		m2.files = &one;
		one.size = 100;
		m2.total = 100;
		custom("bomb_small_declared", "verify", "decompression bomb", &m2, z, zlen, NULL, 0);
		one.size = 1u << 20;
		m2.total = 1u << 20;
		custom("bomb_1mb_declared", "verify", "decompression bomb", &m2, z, zlen, NULL, 0);
		free(z);
		/* Same size, but a window beyond what the reader allows. */
		z = zc(zero, 32u << 20, 27, &zlen);
		custom("zstd_window_too_large", "verify", "payload: bad zstd data", &m2, z, zlen,
		       NULL, 0);
		free(z);
		free(zero);
	}
	free(b);
	free(payload);
}

static void verify_semantics(void)
{
	struct files f = good_files();
	char next_patch[64], ver[16];
	uint8_t *o;
	size_t len;

	snprintf(next_patch, sizeof(next_patch), "content needs sensor %s or newer",
		 edr_version_fmt(SENSOR_VER + 1, ver, sizeof(ver)));

	build(&f, 5, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
	emit("downgrade", "verify", "content version 5 is not newer than the active 10", o, len);
	free(o);
	build(&f, 10, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
	emit("same_version", "verify", "content version 10 is not newer than the active 10", o, len);
	free(o);
	build(&f, 0, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
	emit("version_zero", "verify", "content version 0 is not newer", o, len);
	free(o);
	build(&f, GOODVER, EDR_VERSION_NUM(9, 0, 0), EDR_SCHEMA_VERSION, sk, &o, &len);
	emit("needs_newer_sensor", "verify", "content needs sensor 9.0.0 or newer", o, len);
	free(o);
	build(&f, GOODVER, SENSOR_VER + 1, EDR_SCHEMA_VERSION, sk, &o, &len);
	emit("needs_next_patch", "verify", next_patch, o, len);
	free(o);
	build(&f, GOODVER, SENSOR_VER, EDR_SCHEMA_VERSION + 1, sk, &o, &len);
	emit("schema_newer", "verify", "content written for schema version", o, len);
	free(o);
	{
		/* Schema version 0 cannot come from edr_bundle__build (0 = current). */
		struct edr_bundle_mfile mf[4];
		struct edr_bundle_manifest m;
		uint8_t *payload;
		size_t plen;

		good_manifest(&m, mf, &payload, &plen);
		m.schema = 0;
		custom("schema_zero", "verify", "content written for schema version 0", &m, payload,
		       plen, NULL, 0);
		free(payload);
	}
}

/* One bundle holding the given rule files. */
static void rules_case(const char *name, const char *stage, const char *reason, size_t n, ...)
{
	struct files f = { .n = 0 };
	uint8_t *o;
	size_t len, i;
	va_list ap;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *fname = va_arg(ap, const char *);
		const char *text = va_arg(ap, const char *);
		size_t tlen = va_arg(ap, size_t);

		add(&f, fname, text, tlen);
	}
	va_end(ap);
	build(&f, GOODVER, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
	emit(name, stage, reason, o, len);
	free(o);
}

#define R1(name, stage, reason, text) rules_case(name, stage, reason, 1, "r.yml", text, strlen(text))

static void rule_cases(void)
{
	char *a = rule_text("aa", NULL), *t, *u;
	size_t i, n;

	R1("unknown_field", "validate", "r.yml:9:5: field 'TargetFilename' is not in category process_creation",
	   rule_text("cc", "    TargetFilename: /etc/passwd\n"));
	R1("field_of_other_category", "validate", "field 'NewMode' is not in category process_creation",
	   rule_text("cc", "    NewMode: 4755\n"));
	R1("field_name_typo", "validate", "did you mean 'CommandLine'",
	   rule_text("cc", "    CommandLin|contains: x\n"));
	R1("int_field_string_value", "validate", "r.yml:9:16: field 'ProcessId' is INT in category process_creation: value 'not-a-number' is not an integer",
	   rule_text("cc", "    ProcessId: not-a-number\n"));
	R1("unknown_modifier", "validate", "r.yml:9:5: unknown modifier 'containz'",
	   rule_text("cc", "    CommandLine|containz: x\n"));
	R1("regex_backreference", "validate", "Back-references are unsupported",
	   rule_text("cc", "    CommandLine|re: '(a+)\\1'\n"));
	R1("regex_lookbehind", "validate", "Zero-width assertions are not supported",
	   rule_text("cc", "    CommandLine|re: '(?<=a)b'\n"));
	R1("regex_unbalanced", "validate", "r.yml:9:21: regular expression '(ab' rejected: Missing close parenthesis",
	   rule_text("cc", "    CommandLine|re: '(ab'\n"));
	R1("regex_pathological_repeat", "validate", "r.yml:9:21: regular expression '(a{1000}){1000}'",
	   rule_text("cc", "    CommandLine|re: '(a{1000}){1000}'\n"));

	/* A value longer than EDR_RULES_MAX_PATTERN_LEN. */
	t = malloc(8192);
	u = malloc(16384);
	memset(t, 'a', 5000);
	t[5000] = 0;
	snprintf(u, 16384, "    CommandLine|contains: %s\n", t);
	R1("pattern_too_long", "validate", "r.yml:9:27: value of 'CommandLine' is 5000 bytes long (limit 4096)", rule_text("cc", u));

	/* Deep nesting: YAML collections and the condition. */
	n = 0;
	for (i = 0; i < 40; i++)
		n += (size_t)sprintf(u + n, "%*sk%zu:\n", (int)(4 + 2 * i), "", i);
	sprintf(u + n, "%*sImage: /x\n", 84, "");
	R1("yaml_nesting_40", "validate", "YAML nests deeper than 32 levels", rule_text("cc", u));
	{
		char cond[512] = "", *r = rule_text("cc", NULL), *c;

		for (i = 0; i < 40; i++)
			strcat(cond, "(");
		strcat(cond, "sel");
		for (i = 0; i < 40; i++)
			strcat(cond, ")");
		c = malloc(8192);
		t[0] = 0;
		snprintf(c, 8192, "%.*s  condition: %s\n%s", (int)(strstr(r, "  condition: sel\n") - r),
			 r, cond, strstr(r, "level:"));
		R1("condition_nesting_40", "validate", "r.yml:9:14: condition nests deeper than 32 levels", c);
		for (i = 0; i < 40; i++)
			strcat(t, "not ");
		snprintf(c, 8192, "%.*s  condition: %ssel\n%s", (int)(strstr(r, "  condition: sel\n") - r),
			 r, t, strstr(r, "level:"));
		R1("condition_not_chain_40", "validate", "condition nests deeper than 32 levels", c);
		snprintf(c, 8192, "%.*s  condition: sel and missing_selection\n%s",
			 (int)(strstr(r, "  condition: sel\n") - r), r, strstr(r, "level:"));
		R1("condition_undefined_selection", "validate", "condition names 'missing_selection', which is not a search identifier", c);
		snprintf(c, 8192, "%.*s  condition: sel and\n%s",
			 (int)(strstr(r, "  condition: sel\n") - r), r, strstr(r, "level:"));
		R1("condition_syntax_error", "validate", "r.yml:9:21: condition ends too early", c);
		snprintf(c, 8192, "%.*s  condition: sel | count() > 5\n%s",
			 (int)(strstr(r, "  condition: sel\n") - r), r, strstr(r, "level:"));
		R1("condition_aggregation", "validate", "aggregations ('| count() ...') are not supported", c);
		free(c);
	}
	/* A list longer than EDR_RULES_MAX_LIST_LEN. */
	{
		size_t cap = 64 * 1024;
		char *l = malloc(cap);

		n = (size_t)sprintf(l, "    CommandLine|contains:\n");
		for (i = 0; i < 1001; i++)
			n += (size_t)snprintf(l + n, cap - n, "      - item%zu\n", i);
		R1("list_1001_items", "validate", "list has 1001 values (limit 1000)", rule_text("cc", l));
		free(l);
	}
	/* Two files, one rule id. */
	rules_case("duplicate_rule_id", "validate", "duplicate rule id", 2, "a.yml", a, strlen(a),
		   "b.yml", a, strlen(a));
	R1("empty_rule_file", "validate", "no rules", "");
	R1("comment_only_file", "validate", "no rules", "# nothing here\n# at all\n");
	R1("yaml_document_markers_only", "validate", "no rules", "---\n...\n");
	R1("binary_garbage", "validate", "r.yml:1:1: YAML error",
	   "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00");
	{
		/* A NUL inside the text (R1 would stop at it). */
		char *r = rule_text("cc", NULL);

		r[6] = 0; /* in the title */
		rules_case("nul_byte", "validate", "YAML error: control characters are not allowed", 1, "r.yml", r, strlen(r + 7) + 7);
	}
	R1("unterminated_quote", "validate", "YAML error: found unexpected end of stream", "title: 'oops\nlogsource: {}\n");
	R1("tab_indentation", "validate", "r.yml:3:1: YAML error", "title: x\ndetection:\n\tsel: 1\n");
	R1("top_level_list", "validate", "a rule must be a map, not a list", "- a\n- b\n");
	R1("top_level_scalar", "validate", "a rule must be a map, not a scalar", "just a string\n");
	{
		/* Billion laughs: aliases that would expand to 9^6 values. */
		char *r = rule_text("cc", "    CommandLine|contains: *f\n"), *c = malloc(16384);

		snprintf(c, 16384,
			 "x-a: &a [x, x, x, x, x, x, x, x, x]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			 "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			 "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nx-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			 "%s", r);
		R1("alias_bomb", "validate", "must be a scalar or a list of scalars, not a list", c);
		free(c);
	}
	R1("missing_detection", "validate", "rule has no 'detection'",
	   "title: t\nid: 11111111-2222-3333-4444-0000000000dd\n"
	   "logsource:\n  product: linux\n  category: process_creation\nlevel: high\n");
	R1("missing_logsource", "validate", "rule has no 'logsource'",
	   "title: t\nid: 11111111-2222-3333-4444-0000000000dd\n"
	   "detection:\n  sel:\n    Image: /x\n  condition: sel\n");
	R1("unknown_category", "validate", "unsupported logsource category 'registry_event'",
	   "title: t\nid: 11111111-2222-3333-4444-0000000000dd\n"
	   "logsource:\n  product: linux\n  category: registry_event\n"
	   "detection:\n  sel:\n    Image: /x\n  condition: sel\n");
	R1("windows_product", "validate", "unsupported logsource product 'windows'",
	   "title: t\nid: 11111111-2222-3333-4444-0000000000dd\n"
	   "logsource:\n  product: windows\n  category: process_creation\n"
	   "detection:\n  sel:\n    Image: /x\n  condition: sel\n");
	R1("detection_not_a_map", "validate", "'detection' must be a map, not a list",
	   "title: t\nid: 11111111-2222-3333-4444-0000000000dd\n"
	   "logsource:\n  product: linux\n  category: process_creation\n"
	   "detection: [1, 2]\n");
	R1("duplicate_yaml_key", "validate", "duplicate key",
	   "title: t\ntitle: u\nlogsource:\n  product: linux\n  category: process_creation\n"
	   "detection:\n  sel:\n    Image: /x\n  condition: sel\n");
	/* The sample names a field the schema does not have: one more field
	 * than the interpreter supplies. */
	{
		char *s = rule_text("cc", NULL), *c = malloc(8192);
		char *at = strstr(s, "    - Image: /usr/bin/marker-cc\n");

		snprintf(c, 8192, "%.*s    - Image: /usr/bin/marker-cc\n      NoSuchField: 1\n%s",
			 (int)(at - s), s, at + strlen("    - Image: /usr/bin/marker-cc\n"));
		R1("sample_field_not_in_schema", "validate", "sample field 'NoSuchField' is not in category process_creation", c);
		free(c);
	}
	/* More rules than EDR_RULES_MAX_RULES, spread over files of 1000. */
	{
		struct files f = { .n = 0 };
		uint8_t *o;
		size_t len, k;

		for (k = 0; k < 11; k++) {
			size_t cap = 400 * 1000, off = 0;
			char *txt = keep(malloc(cap)), fname[32];

			for (i = 0; i < 1000 && k * 1000 + i < 10001; i++)
				off += (size_t)snprintf(txt + off, cap - off,
					"---\ntitle: r%zu\nid: 0000%04zu-0000-0000-0000-%012zu\n"
					"logsource: {product: linux, category: process_creation}\n"
					"detection: {sel: {Image: /x%zu}, condition: sel}\n",
					k * 1000 + i, k, k * 1000 + i, k * 1000 + i);
			snprintf(fname, sizeof(fname), "many%02zu.yml", k);
			add(&f, fname, txt, off);
		}
		build(&f, GOODVER, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
		emit("rules_10001", "validate", "more than 10000 rules", o, len);
		free(o);
	}

	/* Self-test: the rule's own samples disagree with it. */
	{
		char *s = rule_text("cc", NULL), *c = malloc(8192);
		char *at = strstr(s, "/usr/bin/marker-cc");

		snprintf(c, 8192, "%.*s/usr/bin/other%s", (int)(at - s), s, at + strlen("/usr/bin/marker-cc"));
		R1("selftest_match_sample_misses", "self-test", "match sample 1 did not match", c);
		at = strstr(s, "/usr/bin/true");
		snprintf(c, 8192, "%.*s/opt/marker-cc%s", (int)(at - s), s, at + strlen("/usr/bin/true"));
		R1("selftest_nomatch_sample_hits", "self-test", "nomatch sample 1 matched", c);
		free(c);
	}
	free(t);
	free(u);
}

/* tests/rules/bad: each file with its expected error on line 1. */
static void engine_corpus(const char *dir)
{
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		die("%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char path[1024], name[300], reason[1024], *text, *nl;
		const char *stage;
		size_t len;
		FILE *f;

		if (!strstr(ents[i]->d_name, ".yml"))
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		f = fopen(path, "rb");
		if (!f)
			die("%s: %s", path, strerror(errno));
		text = malloc(1 << 20);
		len = fread(text, 1, (1 << 20) - 1, f);
		fclose(f);
		text[len] = 0;
		nl = strchr(text, '\n');
		if (!strncmp(text, "# expect: ", 10) && nl) {
			stage = "validate";
			snprintf(reason, sizeof(reason), "%s:%.*s", ents[i]->d_name,
				 (int)(nl - text - 10), text + 10);
		} else if (!strncmp(text, "# expect-selftest: ", 19) && nl) {
			stage = "self-test";
			snprintf(reason, sizeof(reason), "%.*s", (int)(nl - text - 19), text + 19);
		} else if (!strncmp(text, "# expect-protect: ", 18) && nl) {
			/* valid, but it would act on a protected binary */
			stage = "validate";
			snprintf(reason, sizeof(reason), "%.*s", (int)(nl - text - 18), text + 18);
		} else {
			free(text);
			goto next;
		}
		snprintf(name, sizeof(name), "rules_%.*s", (int)(strlen(ents[i]->d_name) - 4),
			 ents[i]->d_name);
		rules_case(name, stage, reason, 1, ents[i]->d_name, text, len);
		free(text);
next:
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	uint8_t seed[32];
	char path[1024];

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: gen_bad_bundles OUTDIR RULES_BAD_DIR [GOOD_OUT]\n");
		return 2;
	}
	if (sodium_init() < 0)
		die("libsodium");
	outdir = argv[1];
	memset(seed, 0x42, 32);
	crypto_sign_seed_keypair(pk, sk, seed);
	memset(seed, 0x43, 32);
	crypto_sign_seed_keypair(pk_other, sk_other, seed);
	snprintf(path, sizeof(path), "%s/expected.tsv", outdir);
	tsv = fopen(path, "w");
	if (!tsv)
		die("%s: %s", path, strerror(errno));
	fprintf(tsv, "# file\tstage\treason (substring of the one-line rejection)\n");
	{
		static const char zz[] =
			"title: Still running\n"
			"id: 11111111-2222-3333-4444-0000000000ff\n"
			"logsource:\n  product: linux\n  category: process_creation\n"
			"detection:\n  sel:\n    Image|endswith: /marker-zz\n  condition: sel\n"
			"level: high\n"
			"x-edr-samples:\n  match:\n    - Image: /usr/bin/marker-zz\n"
			"  nomatch:\n    - Image: /usr/bin/true\n";
		struct files f = { .n = 0 };
		char b64[64], line[128];
		uint8_t *o;
		size_t len;
		FILE *fp;

		add(&f, "zz.yml", zz, sizeof(zz) - 1);
		build(&f, 10, SENSOR_VER, EDR_SCHEMA_VERSION, sk, &o, &len);
		snprintf(path, sizeof(path), "%s/active_v10.bundle", outdir);
		fp = fopen(path, "wb");
		if (!fp || fwrite(o, 1, len, fp) != len || fclose(fp))
			die("%s: %s", path, strerror(errno));
		free(o);
		sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
		snprintf(line, sizeof(line), "edr-ed25519-public %s\n", b64);
		snprintf(path, sizeof(path), "%s/trusted.pub", outdir);
		fp = fopen(path, "w");
		if (!fp || fputs(line, fp) < 0 || fclose(fp))
			die("%s: %s", path, strerror(errno));
	}
	structural();
	manifests();
	zstd_cases();
	verify_semantics();
	rule_cases();
	engine_corpus(argv[2]);
	if (fclose(tsv))
		die("%s: %s", path, strerror(errno));
	if (argc == 4) {
		uint8_t *g;
		size_t len;
		FILE *f;

		good(&g, &len);
		f = fopen(argv[3], "wb");
		if (!f || fwrite(g, 1, len, f) != len || fclose(f))
			die("%s: %s", argv[3], strerror(errno));
		free(g);
	}
	printf("%d bad bundles in %s\n", ncase, outdir);
	return 0;
}
