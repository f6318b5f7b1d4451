// SPDX-License-Identifier: GPL-2.0-only
/* Content bundle reader and writer; the format is described in bundle.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zstd.h>

#include "rules/bundle.h"
#include "rules/filetype.h"
#include "rules/limits.h"
#include "rules/schema.h"

/* A bundle carries what the engine can load, and nothing it would refuse
 * only after decompression. */
_Static_assert(EDR_BUNDLE_MAX_FILE_SIZE == EDR_RULES_MAX_FILE_SIZE, "file size limits differ");
_Static_assert(EDR_BUNDLE_MAX_FILES == EDR_RULES_MAX_FILES, "file count limits differ");

#define KEY_PUB_TAG "edr-ed25519-public"
#define KEY_SEC_TAG "edr-ed25519-secret"

static int set_err(struct edr_bundle_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_err(struct edr_bundle_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int crypto_ready(void)
{
	/* sodium_init() is idempotent and thread-safe; 1 means already done. */
	return sodium_init() < 0 ? -EIO : 0;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p + 4) << 32 | get32(p); }
static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; p[2] = (v >> 16) & 0xff; p[3] = v >> 24;
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

const char *edr_bundle_keyid_hex(const uint8_t id[EDR_BUNDLE_KEYID_SIZE], char *buf)
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = 0; i < EDR_BUNDLE_KEYID_SIZE; i++) {
		buf[2 * i] = hx[id[i] >> 4];
		buf[2 * i + 1] = hx[id[i] & 15];
	}
	buf[2 * EDR_BUNDLE_KEYID_SIZE] = 0;
	return buf;
}

void edr_bundle_key__from_pk(struct edr_bundle_key *key, const uint8_t pk[32])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	memcpy(key->pk, pk, 32);
	crypto_hash_sha256(h, pk, 32);
	memcpy(key->id, h, EDR_BUNDLE_KEYID_SIZE);
}

int edr_version_parse(const char *s, uint32_t *out)
{
	unsigned a, b, c;
	char tail;

	if (sscanf(s, "%u.%u.%u%c", &a, &b, &c, &tail) != 3 || a > 65535 || b > 255 || c > 255)
		return -EINVAL;
	*out = EDR_VERSION_NUM(a, b, c);
	return 0;
}

const char *edr_version_fmt(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
	return buf;
}

/* ---- reading ---- */

int edr_bundle_read_file(const char *path, size_t max, uint8_t **out, size_t *len,
			 struct edr_bundle_err *err)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd, rc;

	/* O_NONBLOCK: a FIFO in its place must not stall the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return set_err(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = set_err(err, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return set_err(err, -EINVAL, "%s: %s, not a regular file", path, edr_file_type(st.st_mode));
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return set_err(err, -E2BIG, "%s: %" PRIu64 " bytes exceed the limit of %zu", path,
			       (uint64_t)st.st_size, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return set_err(err, -ENOMEM, "%s: out of memory", path);
	}
	/* Read one byte more than stat said, so a file growing under us is
	 * noticed rather than silently cut. */
	for (;;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = set_err(err, -errno, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			rc = set_err(err, -EAGAIN, "%s: file changed while being read", path);
			goto fail;
		}
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
fail:
	close(fd);
	free(buf);
	return rc;
}

void edr_bundle__free(struct edr_bundle *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nfiles; i++)
		free(b->files[i].name);
	free(b->files);
	free(b->data);
	free(b);
}

static int name_valid(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0 || n > EDR_BUNDLE_MAX_NAME || p[0] == '/' || p[n - 1] == '/')
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '/'))
			return 0;
		if (c == '/' && p[i + 1] == '/')
			return 0;
		/* No component may start with a dot: no "..", no hidden files. */
		if (c == '.' && (i == 0 || p[i - 1] == '/'))
			return 0;
	}
	return 1;
}

static int parse_manifest(struct edr_bundle *b, const uint8_t *m, size_t len, uint64_t *total,
			  struct edr_bundle_err *err)
{
	size_t off = 36, i, j;
	uint64_t sum = 0;
	uint32_t n;

	if (len < 36)
		return set_err(err, -EBADMSG, "manifest: truncated (%zu bytes)", len);
	b->version = get64(m);
	b->created = get64(m + 8);
	b->min_sensor = get32(m + 16);
	b->schema = get32(m + 20);
	*total = get64(m + 24);
	n = get32(m + 32);
	if (*total > EDR_BUNDLE_MAX_DECOMPRESSED)
		return set_err(err, -E2BIG,
			       "manifest: total size %" PRIu64 " exceeds the limit of %u bytes",
			       *total, EDR_BUNDLE_MAX_DECOMPRESSED);
	if (n == 0)
		return set_err(err, -EBADMSG, "manifest lists no files (empty bundle)");
	if (n > EDR_BUNDLE_MAX_FILES)
		return set_err(err, -E2BIG, "manifest: %u files exceed the limit of %d", n,
			       EDR_BUNDLE_MAX_FILES);
	/* Each entry takes at least 2 + 1 + 8 + 32 bytes: reject a count the
	 * bytes present cannot hold before allocating for it. */
	if ((uint64_t)n * 43 > len - off)
		return set_err(err, -EBADMSG, "manifest: %u files cannot fit in %zu bytes", n,
			       len - off);
	b->files = calloc(n, sizeof(*b->files));
	if (!b->files)
		return set_err(err, -ENOMEM, "manifest: out of memory");
	for (i = 0; i < n; i++) {
		struct edr_bundle_file *f = &b->files[i];
		uint16_t nl;

		if (len - off < 2)
			return set_err(err, -EBADMSG, "manifest: truncated in file %zu", i);
		nl = get16(m + off);
		off += 2;
		if ((size_t)nl + 40 > len - off)
			return set_err(err, -EBADMSG, "manifest: truncated in file %zu", i);
		if (!name_valid(m + off, nl))
			return set_err(err, -EBADMSG,
				       "manifest: file %zu: invalid name (1-%d of [A-Za-z0-9._-/], "
				       "relative, no component starting with '.')",
				       i, EDR_BUNDLE_MAX_NAME);
		f->name = strndup((const char *)m + off, nl);
		if (!f->name)
			return set_err(err, -ENOMEM, "manifest: out of memory");
		b->nfiles++;
		off += nl;
		f->size = (size_t)get64(m + off);
		if (get64(m + off) > EDR_BUNDLE_MAX_FILE_SIZE)
			return set_err(err, -E2BIG,
				       "manifest: file '%s' of %" PRIu64 " bytes exceeds the limit of %u",
				       f->name, get64(m + off), EDR_BUNDLE_MAX_FILE_SIZE);
		off += 8;
		memcpy(f->sha256, m + off, 32);
		off += 32;
		sum += f->size;
		for (j = 0; j < i; j++)
			if (!strcmp(b->files[j].name, f->name))
				return set_err(err, -EBADMSG, "manifest: duplicate file '%s'",
					       f->name);
	}
	if (off != len)
		return set_err(err, -EBADMSG, "manifest: %zu trailing bytes", len - off);
	if (sum != *total)
		return set_err(err, -EBADMSG,
			       "manifest: file sizes add up to %" PRIu64 ", total says %" PRIu64, sum,
			       *total);
	return 0;
}

/* Bounded streaming decompression: output never exceeds total + 1 bytes. */
static int decompress(struct edr_bundle *b, const uint8_t *p, size_t plen, uint64_t total,
		      struct edr_bundle_err *err)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	ZSTD_inBuffer in = { p, plen, 0 };
	ZSTD_outBuffer out;
	size_t cap = (size_t)total + 1, r;
	int rc = 0;

	if (!dctx)
		return set_err(err, -ENOMEM, "payload: out of memory");
	b->data = malloc(cap);
	if (!b->data) {
		ZSTD_freeDCtx(dctx);
		return set_err(err, -ENOMEM, "payload: out of memory");
	}
	/* Bounds the decoder's window memory whatever the frame header asks. */
	ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, EDR_BUNDLE_ZSTD_WINDOW_LOG_MAX);
	out = (ZSTD_outBuffer){ b->data, cap, 0 };
	/* The output buffer holds one byte more than the manifest declares, so
	 * a frame that would expand further stops there and is reported. */
	for (;;) {
		size_t in0 = in.pos, out0 = out.pos;

		r = ZSTD_decompressStream(dctx, &out, &in);
		if (ZSTD_isError(r)) {
			rc = set_err(err, -EBADMSG, "payload: bad zstd data: %s", ZSTD_getErrorName(r));
			goto out;
		}
		if (out.pos > total) {
			rc = set_err(err, -E2BIG,
				     "payload: decompresses to more than the %" PRIu64
				     " bytes the manifest declares (decompression bomb)",
				     total);
			goto out;
		}
		if (r == 0)
			break; /* end of the frame, fully flushed */
		if (in.pos == in0 && out.pos == out0) {
			rc = set_err(err, -EBADMSG, "payload: zstd frame truncated");
			goto out;
		}
	}
	if (in.pos != in.size) {
		rc = set_err(err, -EBADMSG, "payload: %zu bytes after the zstd frame",
			     in.size - in.pos);
		goto out;
	}
	if (out.pos != total) {
		rc = set_err(err, -EBADMSG,
			     "payload: decompressed to %zu bytes, manifest declares %" PRIu64,
			     out.pos, total);
		goto out;
	}
	b->data_size = out.pos;
out:
	ZSTD_freeDCtx(dctx);
	return rc;
}

struct edr_bundle *edr_bundle__from_mem(const void *buf, size_t len,
					const struct edr_bundle_key *keys, size_t nkeys,
					unsigned flags, struct edr_bundle_err *err)
{
	const uint8_t *p = buf;
	struct edr_bundle *b = NULL;
	const struct edr_bundle_key *key = NULL;
	uint64_t plen, expect, total = 0;
	uint32_t mlen;
	size_t i, off;
	char hex[17];
	int rc;

	rc = crypto_ready();
	if (rc) {
		set_err(err, rc, "libsodium failed to initialise");
		goto fail;
	}
	if (len > EDR_BUNDLE_MAX_SIZE) {
		rc = set_err(err, -E2BIG, "bundle of %zu bytes exceeds the limit of %u", len,
			     EDR_BUNDLE_MAX_SIZE);
		goto fail;
	}
	if (len < EDR_BUNDLE_HDR_SIZE + EDR_BUNDLE_SIG_SIZE) {
		rc = set_err(err, -EBADMSG, "truncated: %zu bytes, less than a header and a signature",
			     len);
		goto fail;
	}
	if (memcmp(p, EDR_BUNDLE_MAGIC, 8)) {
		rc = set_err(err, -EBADMSG, "not a bundle (bad magic)");
		goto fail;
	}
	if (get16(p + 8) != EDR_BUNDLE_FORMAT) {
		rc = set_err(err, -EBADMSG, "unsupported bundle format version %u (this sensor reads %d)",
			     get16(p + 8), EDR_BUNDLE_FORMAT);
		goto fail;
	}
	if (get16(p + 10)) {
		rc = set_err(err, -EBADMSG, "unknown header flags 0x%04x", get16(p + 10));
		goto fail;
	}
	mlen = get32(p + 12);
	plen = get64(p + 16);
	if (mlen > EDR_BUNDLE_MAX_MANIFEST) {
		rc = set_err(err, -E2BIG, "manifest of %u bytes exceeds the limit of %u", mlen,
			     EDR_BUNDLE_MAX_MANIFEST);
		goto fail;
	}
	if (plen > EDR_BUNDLE_MAX_SIZE) {
		rc = set_err(err, -E2BIG, "payload of %" PRIu64 " bytes exceeds the limit of %u",
			     plen, EDR_BUNDLE_MAX_SIZE);
		goto fail;
	}
	/* Both lengths are bounded above, so this sum cannot overflow. */
	expect = EDR_BUNDLE_HDR_SIZE + (uint64_t)mlen + plen + EDR_BUNDLE_SIG_SIZE;
	if (len < expect) {
		rc = set_err(err, -EBADMSG, "truncated: the header announces %" PRIu64
			     " bytes, the file has %zu", expect, len);
		goto fail;
	}
	if (len > expect) {
		rc = set_err(err, -EBADMSG, "%" PRIu64 " bytes of trailing garbage after the signature",
			     (uint64_t)len - expect);
		goto fail;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		rc = set_err(err, -ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(b->key_id, p + 24, EDR_BUNDLE_KEYID_SIZE);
	if (!(flags & EDR_BUNDLE_NO_VERIFY)) {
		for (i = 0; i < nkeys && !key; i++)
			if (!memcmp(keys[i].id, b->key_id, EDR_BUNDLE_KEYID_SIZE))
				key = &keys[i];
		if (!key) {
			rc = set_err(err, -EKEYREJECTED, "signed by key %s, which is not trusted",
				     edr_bundle_keyid_hex(b->key_id, hex));
			goto fail;
		}
		if (crypto_sign_verify_detached(p + len - EDR_BUNDLE_SIG_SIZE, p,
						len - EDR_BUNDLE_SIG_SIZE, key->pk)) {
			rc = set_err(err, -EKEYREJECTED, "bad signature (key %s)",
				     edr_bundle_keyid_hex(b->key_id, hex));
			goto fail;
		}
		b->verified = 1;
	}
	off = EDR_BUNDLE_HDR_SIZE;
	rc = parse_manifest(b, p + off, mlen, &total, err);
	if (rc)
		goto fail;
	off += mlen;
	rc = decompress(b, p + off, (size_t)plen, total, err);
	if (rc)
		goto fail;
	off = 0;
	for (i = 0; i < b->nfiles; i++) {
		struct edr_bundle_file *f = &b->files[i];
		uint8_t h[crypto_hash_sha256_BYTES];

		f->data = b->data + off;
		crypto_hash_sha256(h, f->data, f->size);
		if (memcmp(h, f->sha256, sizeof(h))) {
			rc = set_err(err, -EBADMSG, "file '%s': SHA-256 does not match the manifest",
				     f->name);
			goto fail;
		}
		off += f->size;
	}
	return b;
fail:
	edr_bundle__free(b);
	errno = -rc;
	return NULL;
}

struct edr_bundle *edr_bundle__open(const char *path, const struct edr_bundle_key *keys,
				    size_t nkeys, unsigned flags, struct edr_bundle_err *err)
{
	struct edr_bundle *b;
	uint8_t *buf;
	size_t len;
	int rc;

	rc = edr_bundle_read_file(path, EDR_BUNDLE_MAX_SIZE, &buf, &len, err);
	if (rc) {
		if (rc == -E2BIG)
			set_err(err, rc, "bundle of more than %u bytes exceeds the limit",
				EDR_BUNDLE_MAX_SIZE);
		errno = -rc;
		return NULL;
	}
	b = edr_bundle__from_mem(buf, len, keys, nkeys, flags, err);
	rc = errno;
	free(buf);
	errno = rc;
	return b;
}

/* ---- writing ---- */

int edr_bundle__encode_manifest(const struct edr_bundle_manifest *m, uint8_t **out,
				size_t *len)
{
	size_t n = 36, i, off;
	uint8_t *p;

	for (i = 0; i < m->nfiles; i++)
		n += 2 + strlen(m->files[i].name) + 40;
	p = malloc(n);
	if (!p)
		return -ENOMEM;
	put64(p, m->version);
	put64(p + 8, m->created);
	put32(p + 16, m->min_sensor);
	put32(p + 20, m->schema);
	put64(p + 24, m->total);
	put32(p + 32, m->nfiles);
	off = 36;
	for (i = 0; i < m->nfiles; i++) {
		size_t nl = strlen(m->files[i].name);

		put16(p + off, (uint16_t)nl);
		memcpy(p + off + 2, m->files[i].name, nl);
		off += 2 + nl;
		put64(p + off, m->files[i].size);
		memcpy(p + off + 8, m->files[i].sha256, 32);
		off += 40;
	}
	*out = p;
	*len = n;
	return 0;
}

int edr_bundle__assemble(const uint8_t *manifest, size_t mlen, const uint8_t *payload,
			 size_t plen, const uint8_t sk[64], uint8_t **out, size_t *len)
{
	size_t n = EDR_BUNDLE_HDR_SIZE + mlen + plen + EDR_BUNDLE_SIG_SIZE;
	struct edr_bundle_key key;
	uint8_t *p;

	if (crypto_ready())
		return -EIO;
	p = calloc(1, n);
	if (!p)
		return -ENOMEM;
	memcpy(p, EDR_BUNDLE_MAGIC, 8);
	put16(p + 8, EDR_BUNDLE_FORMAT);
	put16(p + 10, 0);
	put32(p + 12, (uint32_t)mlen);
	put64(p + 16, plen);
	if (sk) {
		/* libsodium's secret key carries the public key in its upper half. */
		edr_bundle_key__from_pk(&key, sk + 32);
		memcpy(p + 24, key.id, EDR_BUNDLE_KEYID_SIZE);
	}
	memcpy(p + EDR_BUNDLE_HDR_SIZE, manifest, mlen);
	memcpy(p + EDR_BUNDLE_HDR_SIZE + mlen, payload, plen);
	if (sk)
		crypto_sign_detached(p + n - EDR_BUNDLE_SIG_SIZE, NULL, p, n - EDR_BUNDLE_SIG_SIZE,
				     sk);
	*out = p;
	*len = n;
	return 0;
}

int edr_bundle__build(const struct edr_bundle_src *files, size_t n,
		      const struct edr_bundle_wopts *o, const uint8_t sk[64], uint8_t **out,
		      size_t *len, struct edr_bundle_err *err)
{
	struct edr_bundle_mfile *mf = NULL;
	struct edr_bundle_manifest m = { 0 };
	uint8_t *cat = NULL, *z = NULL, *man = NULL;
	size_t total = 0, off = 0, zcap, zlen, mlen, i;
	int rc;

	if (crypto_ready())
		return set_err(err, -EIO, "libsodium failed to initialise");
	if (n == 0)
		return set_err(err, -EINVAL, "no rule files to bundle");
	if (n > EDR_BUNDLE_MAX_FILES)
		return set_err(err, -E2BIG, "%zu files exceed the limit of %d", n,
			       EDR_BUNDLE_MAX_FILES);
	for (i = 0; i < n; i++) {
		if (!name_valid((const uint8_t *)files[i].name, strlen(files[i].name)))
			return set_err(err, -EINVAL, "%s: name not allowed in a bundle",
				       files[i].name);
		if (files[i].size > EDR_BUNDLE_MAX_FILE_SIZE)
			return set_err(err, -E2BIG, "%s: %zu bytes exceed the limit of %u",
				       files[i].name, files[i].size, EDR_BUNDLE_MAX_FILE_SIZE);
		total += files[i].size;
	}
	if (total > EDR_BUNDLE_MAX_DECOMPRESSED)
		return set_err(err, -E2BIG, "files total %zu bytes, over the limit of %u", total,
			       EDR_BUNDLE_MAX_DECOMPRESSED);
	mf = calloc(n, sizeof(*mf));
	cat = malloc(total + 1);
	zcap = ZSTD_compressBound(total);
	z = malloc(zcap);
	if (!mf || !cat || !z) {
		rc = set_err(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		mf[i].name = files[i].name;
		mf[i].size = files[i].size;
		crypto_hash_sha256(mf[i].sha256, files[i].data, files[i].size);
		if (files[i].size)
			memcpy(cat + off, files[i].data, files[i].size);
		off += files[i].size;
	}
	zlen = ZSTD_compress(z, zcap, cat, total, 9);
	if (ZSTD_isError(zlen)) {
		rc = set_err(err, -EIO, "zstd: %s", ZSTD_getErrorName(zlen));
		goto out;
	}
	m.version = o->version;
	m.created = o->created ? o->created : (uint64_t)time(NULL);
	m.min_sensor = o->min_sensor;
	m.schema = o->schema ? o->schema : EDR_SCHEMA_VERSION;
	m.total = total;
	m.nfiles = (uint32_t)n;
	m.files = mf;
	rc = edr_bundle__encode_manifest(&m, &man, &mlen);
	if (rc) {
		set_err(err, rc, "out of memory");
		goto out;
	}
	if (mlen > EDR_BUNDLE_MAX_MANIFEST || zlen > EDR_BUNDLE_MAX_SIZE - 200 - mlen) {
		rc = set_err(err, -E2BIG, "bundle would exceed the limit of %u bytes",
			     EDR_BUNDLE_MAX_SIZE);
		goto out;
	}
	rc = edr_bundle__assemble(man, mlen, z, zlen, sk, out, len);
	if (rc)
		set_err(err, rc, "cannot assemble the bundle: %s", strerror(-rc));
out:
	free(mf);
	free(cat);
	free(z);
	free(man);
	return rc;
}

/* ---- directory walk ---- */

struct walk {
	struct edr_bundle_src *v;
	size_t n, cap;
	char *names[EDR_BUNDLE_MAX_FILES];
};

static int has_rule_ext(const char *s)
{
	size_t n = strlen(s);

	return (n > 4 && !strcmp(s + n - 4, ".yml")) || (n > 5 && !strcmp(s + n - 5, ".yaml"));
}

static int cmp_src(const void *a, const void *b)
{
	return strcmp(((const struct edr_bundle_src *)a)->name,
		      ((const struct edr_bundle_src *)b)->name);
}

static int walk_dir(const char *root, const char *rel, int depth, struct walk *w,
		    struct edr_bundle_err *err)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > 8)
		return set_err(err, -ELOOP, "%s/%s: directories nested deeper than 8", root, rel);
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return set_err(err, -errno, "%s: %s", path, strerror(errno));
	while (!rc && (de = readdir(d))) {
		char sub[1024], full[4096];
		struct stat st;
		uint8_t *data;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "",
				     de->d_name) >= sizeof(sub)) {
			rc = set_err(err, -ENAMETOOLONG, "%s/%s: path too long", path, de->d_name);
			break;
		}
		snprintf(full, sizeof(full), "%s/%s", root, sub);
		if (stat(full, &st) < 0) {
			rc = set_err(err, -errno, "%s: %s", full, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(root, sub, depth + 1, w, err);
			continue;
		}
		if (!has_rule_ext(de->d_name))
			continue;
		if (!S_ISREG(st.st_mode)) {
			/* A rule file that is a FIFO or a device is an error, not a
			 * file quietly left out of the content. */
			rc = set_err(err, -EINVAL, "%s: %s, not a regular file", full,
				     edr_file_type(st.st_mode));
			break;
		}
		if (w->n >= EDR_BUNDLE_MAX_FILES) {
			rc = set_err(err, -E2BIG, "%s: more than %d rule files", root,
				     EDR_BUNDLE_MAX_FILES);
			break;
		}
		rc = edr_bundle_read_file(full, EDR_BUNDLE_MAX_FILE_SIZE, &data, &len, err);
		if (rc)
			break;
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 64;
			struct edr_bundle_src *v = realloc(w->v, cap * sizeof(*v));

			if (!v) {
				free(data);
				rc = set_err(err, -ENOMEM, "out of memory");
				break;
			}
			w->v = v;
			w->cap = cap;
		}
		w->names[w->n] = strdup(sub);
		if (!w->names[w->n]) {
			free(data);
			rc = set_err(err, -ENOMEM, "out of memory");
			break;
		}
		w->v[w->n] = (struct edr_bundle_src){ w->names[w->n], data, len };
		w->n++;
	}
	closedir(d);
	return rc;
}

int edr_bundle_write_atomic(const char *path, const uint8_t *buf, size_t len, unsigned mode,
			    struct edr_bundle_err *err)
{
	char tmp[4096], dir[4096], *slash;
	size_t off = 0;
	int fd, dfd, rc = 0;

	/* An unpredictable temporary name, created O_EXCL|O_NOFOLLOW: a name
	 * planted in advance (a symlink to anything) fails the create instead
	 * of redirecting the write; a few fresh names are tried. */
	for (int tries = 0;; tries++) {
		uint8_t rnd[8];

		if (crypto_ready())
			return set_err(err, -EIO, "libsodium failed to initialise");
		randombytes_buf(rnd, sizeof(rnd));
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x",
				     path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6],
				     rnd[7]) >= sizeof(tmp))
			return set_err(err, -ENAMETOOLONG, "%s: path too long", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  (mode_t)mode);
		if (fd >= 0 || errno != EEXIST || tries >= 8)
			break;
	}
	if (fd < 0)
		return set_err(err, -errno, "%s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = set_err(err, -errno, "%s: %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)n;
	}
	if (!rc && fsync(fd) < 0)
		rc = set_err(err, -errno, "%s: fsync: %s", tmp, strerror(errno));
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = set_err(err, -errno, "%s: rename: %s", path, strerror(errno));
	if (rc) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	/* The rename is durable only once the directory is synced. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return set_err(err, -errno, "%s: %s", dir, strerror(errno));
	if (fsync(dfd) < 0)
		rc = set_err(err, -errno, "%s: fsync: %s", dir, strerror(errno));
	close(dfd);
	return rc;
}

int edr_bundle__build_dir(const char *dir, const struct edr_bundle_wopts *o,
			  const uint8_t sk[64], uint8_t **out, size_t *len,
			  struct edr_bundle_err *err)
{
	struct walk *w = calloc(1, sizeof(*w));
	size_t i;
	int rc;

	if (!w)
		return set_err(err, -ENOMEM, "out of memory");
	rc = walk_dir(dir, "", 0, w, err);
	if (!rc && w->n == 0)
		rc = set_err(err, -ENOENT, "%s: no *.yml or *.yaml files", dir);
	if (!rc) {
		qsort(w->v, w->n, sizeof(*w->v), cmp_src);
		rc = edr_bundle__build(w->v, w->n, o, sk, out, len, err);
	}
	for (i = 0; i < w->n; i++) {
		free((void *)w->v[i].data);
		free(w->names[i]);
	}
	free(w->v);
	free(w);
	return rc;
}

int edr_bundle__write_dir(const char *dir, const struct edr_bundle_wopts *o,
			  const uint8_t sk[64], const char *out, struct edr_bundle_err *err)
{
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	rc = edr_bundle__build_dir(dir, o, sk, &buf, &len, err);
	if (!rc)
		rc = edr_bundle_write_atomic(out, buf, len, 0644, err);
	free(buf);
	return rc;
}

/* ---- keys ---- */

static int write_new(const char *path, const char *text, mode_t mode, struct edr_bundle_err *err)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		return set_err(err, -errno, "%s: %s", path, strerror(errno));
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		int rc = set_err(err, -errno ? -errno : -EIO, "%s: write: %s", path,
				 strerror(errno ? errno : EIO));
		close(fd);
		unlink(path);
		return rc;
	}
	close(fd);
	return 0;
}

int edr_bundle_keygen(const char *prefix, struct edr_bundle_err *err)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char b64pk[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	char b64sk[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
	char pubpath[4096], secpath[4096], line[256];
	int rc;

	if (crypto_ready())
		return set_err(err, -EIO, "libsodium failed to initialise");
	if ((size_t)snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix) >= sizeof(pubpath) ||
	    (size_t)snprintf(secpath, sizeof(secpath), "%s.key", prefix) >= sizeof(secpath))
		return set_err(err, -ENAMETOOLONG, "%s: path too long", prefix);
	crypto_sign_keypair(pk, sk);
	sodium_bin2base64(b64pk, sizeof(b64pk), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(b64sk, sizeof(b64sk), sk, 64, sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), KEY_SEC_TAG " %s\n", b64sk);
	rc = write_new(secpath, line, 0600, err);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(b64sk, sizeof(b64sk));
	if (rc)
		return rc;
	snprintf(line, sizeof(line), KEY_PUB_TAG " %s\n", b64pk);
	rc = write_new(pubpath, line, 0644, err);
	if (rc)
		unlink(secpath);
	return rc;
}

static int load_key_line(const char *path, const char *tag, uint8_t *out, size_t outlen,
			 int secret, struct edr_bundle_err *err)
{
	uint8_t *buf;
	size_t len, taglen = strlen(tag), bin_len;
	const char *b64, *end;
	struct stat st;
	int rc;

	rc = edr_bundle_read_file(path, 1024, &buf, &len, err);
	if (rc)
		return rc;
	if (secret && stat(path, &st) == 0 && (st.st_mode & 077)) {
		rc = set_err(err, -EPERM, "%s: secret key readable by group or others (chmod 600)",
			     path);
		goto out;
	}
	if (len < taglen + 2 || memcmp(buf, tag, taglen) || buf[taglen] != ' ') {
		rc = set_err(err, -EINVAL, "%s:1: expected '%s <base64>'", path, tag);
		goto out;
	}
	b64 = (const char *)buf + taglen + 1;
	end = b64 + strcspn(b64, "\r\n");
	if (*end && strspn(end, "\r\n") != strlen(end)) {
		rc = set_err(err, -EINVAL, "%s: more than one line", path);
		goto out;
	}
	if (sodium_base642bin(out, outlen, b64, (size_t)(end - b64), NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    bin_len != outlen) {
		rc = set_err(err, -EINVAL, "%s:1: not a base64 %zu-byte key", path, outlen);
		goto out;
	}
out:
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

int edr_bundle_key__load(const char *path, struct edr_bundle_key *key, struct edr_bundle_err *err)
{
	uint8_t pk[32];
	int rc;

	if (crypto_ready())
		return set_err(err, -EIO, "libsodium failed to initialise");
	rc = load_key_line(path, KEY_PUB_TAG, pk, sizeof(pk), 0, err);
	if (rc)
		return rc;
	edr_bundle_key__from_pk(key, pk);
	return 0;
}

int edr_bundle_secret__load(const char *path, uint8_t sk[64], struct edr_bundle_err *err)
{
	uint8_t pk[32], seed[32], check[64];
	int rc;

	if (crypto_ready())
		return set_err(err, -EIO, "libsodium failed to initialise");
	rc = load_key_line(path, KEY_SEC_TAG, sk, 64, 1, err);
	if (rc)
		return rc;
	/* A corrupted secret would sign bundles nobody can verify: derive the
	 * public key from the seed half and compare it with the stored half. */
	crypto_sign_ed25519_sk_to_seed(seed, sk);
	crypto_sign_seed_keypair(pk, check, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(check, sizeof(check));
	if (memcmp(pk, sk + 32, 32)) {
		sodium_memzero(sk, 64);
		return set_err(err, -EINVAL, "%s: secret key is inconsistent", path);
	}
	return 0;
}
