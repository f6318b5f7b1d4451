/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Content bundles: one signed file carrying a set of rule files.
 *
 * Layout (integers little-endian):
 *
 *   header, 32 bytes:
 *     0  magic "EDRBUNDL"
 *     8  u16 format version (1)      10  u16 flags (0; others are refused)
 *     12 u32 manifest length         16  u64 payload length
 *     24 8-byte id of the signing key (first 8 bytes of SHA-256(public key))
 *   manifest (binary):
 *     u64 content version (monotonic), u64 creation time (Unix seconds),
 *     u32 minimum sensor version (EDR_VERSION_NUM), u32 schema version,
 *     u64 total decompressed size, u32 file count,
 *     per file: u16 name length, name, u64 size, 32-byte SHA-256
 *   payload: one zstd frame holding the files' bytes, concatenated in
 *     manifest order
 *   signature: 64-byte Ed25519 (libsodium crypto_sign_detached) over
 *     everything before it (header, manifest, payload)
 *
 * The reader checks the header lengths against the file size and the limits
 * below before anything else, then the signature, and only then parses the
 * manifest (so unsigned bytes never reach the parser), then decompresses
 * with the output bounded by the manifest's total (a frame that produces
 * more is a decompression bomb), then checks every file's size and hash.
 * Every error is one line in err->msg.
 *
 * Key files are one line of text:
 *   edr-ed25519-public <base64 of the 32-byte public key>
 *   edr-ed25519-secret <base64 of the 64-byte libsodium secret key>
 * The secret file is created mode 0600 and must not be readable by others.
 */
#ifndef EDR_BUNDLE_H
#define EDR_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#define EDR_BUNDLE_MAGIC		"EDRBUNDL"
#define EDR_BUNDLE_FORMAT		1
#define EDR_BUNDLE_HDR_SIZE		32
#define EDR_BUNDLE_SIG_SIZE		64
#define EDR_BUNDLE_KEYID_SIZE		8

#define EDR_BUNDLE_MAX_SIZE		(16u << 20)	/* bytes of a bundle file */
#define EDR_BUNDLE_MAX_MANIFEST		(2u << 20)
#define EDR_BUNDLE_MAX_DECOMPRESSED	(64u << 20)	/* all files together */
#define EDR_BUNDLE_MAX_FILES		10000
#define EDR_BUNDLE_MAX_FILE_SIZE	(1u << 20)	/* = EDR_RULES_MAX_FILE_SIZE */
#define EDR_BUNDLE_MAX_NAME		255
#define EDR_BUNDLE_ZSTD_WINDOW_LOG_MAX	23		/* 8 MiB decoder window */

#define EDR_VERSION_NUM(maj, min, pat)	((uint32_t)(maj) << 16 | (uint32_t)(min) << 8 | (pat))

struct edr_bundle_err {
	char msg[512];
};

struct edr_bundle_key {
	uint8_t pk[32];
	uint8_t id[EDR_BUNDLE_KEYID_SIZE];
};

struct edr_bundle_file {
	char *name;
	const uint8_t *data; /* into the bundle's decompressed buffer */
	size_t size;
	uint8_t sha256[32];
};

struct edr_bundle {
	uint64_t version;
	uint64_t created;
	uint32_t min_sensor;
	uint32_t schema;
	uint8_t key_id[EDR_BUNDLE_KEYID_SIZE];
	int verified; /* signature checked against a trusted key */
	size_t nfiles;
	struct edr_bundle_file *files;
	uint8_t *data; /* decompressed payload */
	size_t data_size;
};

enum edr_bundle_flags {
	/* Parse without checking the signature (edrctl bundle list). */
	EDR_BUNDLE_NO_VERIFY = 1u << 0,
};

/* Reads and checks a bundle. keys may be NULL/0 only with NO_VERIFY.
 * Returns NULL with errno (EBADMSG for a bad bundle, EKEYREJECTED for an
 * untrusted key or bad signature, E2BIG for a limit, or an I/O error). */
struct edr_bundle *edr_bundle__from_mem(const void *buf, size_t len,
					const struct edr_bundle_key *keys, size_t nkeys,
					unsigned flags, struct edr_bundle_err *err);
struct edr_bundle *edr_bundle__open(const char *path, const struct edr_bundle_key *keys,
				    size_t nkeys, unsigned flags, struct edr_bundle_err *err);
void edr_bundle__free(struct edr_bundle *b);

/* Reads a whole regular file of at most max bytes (NUL appended, not counted). */
int edr_bundle_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
			 struct edr_bundle_err *err);

/* ---- writing ---- */

struct edr_bundle_wopts {
	uint64_t version;
	uint64_t created;     /* 0 = now */
	uint32_t min_sensor;  /* EDR_VERSION_NUM */
	uint32_t schema;      /* 0 = EDR_SCHEMA_VERSION */
};

struct edr_bundle_src {
	const char *name;
	const uint8_t *data;
	size_t size;
};

/* Builds a signed bundle in memory (*out malloc'ed). */
int edr_bundle__build(const struct edr_bundle_src *files, size_t n,
		      const struct edr_bundle_wopts *o, const uint8_t sk[64], uint8_t **out,
		      size_t *len, struct edr_bundle_err *err);
/* The same for every rule file under dir, in memory (sk NULL: unsigned,
 * zero key id and signature, for development content). */
int edr_bundle__build_dir(const char *dir, const struct edr_bundle_wopts *o,
			  const uint8_t sk[64], uint8_t **out, size_t *len,
			  struct edr_bundle_err *err);
/* Writes buf to path: temp file, fsync, rename, fsync of the directory. */
int edr_bundle_write_atomic(const char *path, const uint8_t *buf, size_t len, unsigned mode,
			    struct edr_bundle_err *err);
/* Bundles every .yml and .yaml file under dir (recursively, sorted, hidden entries
 * skipped) and writes out atomically (temp file, fsync, rename). */
int edr_bundle__write_dir(const char *dir, const struct edr_bundle_wopts *o,
			  const uint8_t sk[64], const char *out, struct edr_bundle_err *err);

/* Low level, for tests and the bad-bundle generator. */
struct edr_bundle_mfile {
	const char *name;
	uint64_t size;
	uint8_t sha256[32];
};
struct edr_bundle_manifest {
	uint64_t version, created;
	uint32_t min_sensor, schema;
	uint64_t total;
	uint32_t nfiles;
	const struct edr_bundle_mfile *files;
};
int edr_bundle__encode_manifest(const struct edr_bundle_manifest *m, uint8_t **out,
				size_t *len);
/* header + manifest + payload + signature; sk NULL leaves a zero signature. */
int edr_bundle__assemble(const uint8_t *manifest, size_t mlen, const uint8_t *payload,
			 size_t plen, const uint8_t sk[64], uint8_t **out, size_t *len);

/* ---- keys ---- */

/* Writes PREFIX.pub and PREFIX.key (0600, never overwriting). */
int edr_bundle_keygen(const char *prefix, struct edr_bundle_err *err);
int edr_bundle_key__load(const char *path, struct edr_bundle_key *key,
			 struct edr_bundle_err *err);
int edr_bundle_secret__load(const char *path, uint8_t sk[64], struct edr_bundle_err *err);
void edr_bundle_key__from_pk(struct edr_bundle_key *key, const uint8_t pk[32]);
/* "0123456789abcdef" for an 8-byte key id; buf of at least 17 bytes. */
const char *edr_bundle_keyid_hex(const uint8_t id[EDR_BUNDLE_KEYID_SIZE], char *buf);
/* "1.2.3" <-> EDR_VERSION_NUM; parse returns 0 or -EINVAL. */
int edr_version_parse(const char *s, uint32_t *out);
const char *edr_version_fmt(uint32_t v, char *buf, size_t len);

#endif /* EDR_BUNDLE_H */
