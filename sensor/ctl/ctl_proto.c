// SPDX-License-Identifier: GPL-2.0-only
/* Control protocol encoding and decoding; see ctl_proto.h for the format. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sensor/ctl/ctl_proto.h"

void edr_ctl_err__set(struct edr_ctl_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int edr_ctl_key_valid(const char *key)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > EDR_CTL_MAX_KEY)
		return 0;
	for (i = 0; i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* ---- growable output buffer ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap, max;
	int err;
};

static void wb_put(struct wbuf *b, const void *d, size_t n)
{
	if (b->err)
		return;
	if (b->len + n > b->max) {
		b->err = -EMSGSIZE;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void wb_u8(struct wbuf *b, uint8_t v) { wb_put(b, &v, 1); }

static void wb_u16(struct wbuf *b, uint16_t v)
{
	uint8_t d[2] = { v & 0xff, v >> 8 };
	wb_put(b, d, 2);
}

static void wb_u32(struct wbuf *b, uint32_t v)
{
	uint8_t d[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	wb_put(b, d, 4);
}

static void wb_u64(struct wbuf *b, uint64_t v)
{
	wb_u32(b, (uint32_t)v);
	wb_u32(b, (uint32_t)(v >> 32));
}

static void wb_str(struct wbuf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max || n > UINT16_MAX) {
		if (!b->err)
			b->err = -EMSGSIZE;
		return;
	}
	wb_u16(b, (uint16_t)n);
	wb_put(b, s, n);
}

/* Finishes a frame: patches the length prefix reserved at offset 0. */
static int wb_finish(struct wbuf *b, uint8_t **out, size_t *len)
{
	uint32_t n;

	if (b->err) {
		free(b->p);
		return b->err;
	}
	n = (uint32_t)(b->len - 4);
	b->p[0] = n & 0xff;
	b->p[1] = (n >> 8) & 0xff;
	b->p[2] = (n >> 16) & 0xff;
	b->p[3] = n >> 24;
	*out = b->p;
	*len = b->len;
	return 0;
}

/* ---- bounded reader ---- */

struct rbuf {
	const uint8_t *p;
	size_t len, off;
};

static int rb_get(struct rbuf *r, void *d, size_t n)
{
	if (n > r->len - r->off)
		return -1;
	memcpy(d, r->p + r->off, n);
	r->off += n;
	return 0;
}

static int rb_u8(struct rbuf *r, uint8_t *v) { return rb_get(r, v, 1); }

static int rb_u16(struct rbuf *r, uint16_t *v)
{
	uint8_t d[2];

	if (rb_get(r, d, 2))
		return -1;
	*v = (uint16_t)(d[0] | d[1] << 8);
	return 0;
}

static int rb_u32(struct rbuf *r, uint32_t *v)
{
	uint8_t d[4];

	if (rb_get(r, d, 4))
		return -1;
	*v = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	return 0;
}

static int rb_u64(struct rbuf *r, uint64_t *v)
{
	uint32_t lo, hi;

	if (rb_u32(r, &lo) || rb_u32(r, &hi))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* Reads a str of at most max bytes into a new NUL-terminated string.
 * Returns 0, -1 on truncation, -2 when too long, -3 on an embedded NUL,
 * -4 on ENOMEM. */
static int rb_str(struct rbuf *r, size_t max, char **out)
{
	uint16_t n;
	char *s;

	if (rb_u16(r, &n))
		return -1;
	if (n > max)
		return -2;
	if (n > r->len - r->off)
		return -1;
	if (memchr(r->p + r->off, 0, n))
		return -3;
	s = malloc((size_t)n + 1);
	if (!s)
		return -4;
	memcpy(s, r->p + r->off, n);
	s[n] = 0;
	r->off += n;
	*out = s;
	return 0;
}

static const char *str_why(int rc)
{
	switch (rc) {
	case -1: return "truncated";
	case -2: return "too long";
	case -3: return "contains a NUL byte";
	default: return "out of memory";
	}
}

/* ---- requests ---- */

struct edr_ctl_req *edr_ctl_req__new(const char *verb)
{
	struct edr_ctl_req *req;

	if (!verb || !*verb || strlen(verb) > EDR_CTL_MAX_VERB || !edr_ctl_key_valid(verb)) {
		errno = EINVAL;
		return NULL;
	}
	req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	req->verb = strdup(verb);
	if (!req->verb) {
		free(req);
		errno = ENOMEM;
		return NULL;
	}
	return req;
}

void edr_ctl_req__free(struct edr_ctl_req *req)
{
	size_t i;

	if (!req)
		return;
	for (i = 0; i < req->nargs; i++) {
		free(req->args[i].key);
		free(req->args[i].val);
	}
	free(req->verb);
	free(req);
}

int edr_ctl_req__add(struct edr_ctl_req *req, const char *key, const char *val)
{
	struct edr_ctl_kv *kv;

	if (!edr_ctl_key_valid(key) || strlen(val) > EDR_CTL_MAX_VAL)
		return -EINVAL;
	if (req->nargs >= EDR_CTL_MAX_ARGS)
		return -E2BIG;
	kv = &req->args[req->nargs];
	kv->key = strdup(key);
	kv->val = strdup(val);
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return -ENOMEM;
	}
	req->nargs++;
	return 0;
}

const char *edr_ctl_req__get(const struct edr_ctl_req *req, const char *key)
{
	size_t i;

	for (i = 0; i < req->nargs; i++)
		if (!strcmp(req->args[i].key, key))
			return req->args[i].val;
	return NULL;
}

int edr_ctl_req__encode(const struct edr_ctl_req *req, uint8_t **out, size_t *len)
{
	struct wbuf b = { .max = EDR_CTL_MAX_REQ + 4 };
	size_t i;

	wb_u32(&b, 0);
	wb_u8(&b, 'Q');
	wb_u8(&b, EDR_CTL_VERSION);
	wb_str(&b, req->verb, EDR_CTL_MAX_VERB);
	wb_u16(&b, (uint16_t)req->nargs);
	for (i = 0; i < req->nargs; i++) {
		wb_str(&b, req->args[i].key, EDR_CTL_MAX_KEY);
		wb_str(&b, req->args[i].val, EDR_CTL_MAX_VAL);
	}
	return wb_finish(&b, out, len);
}

struct edr_ctl_req *edr_ctl_req__decode(const uint8_t *buf, size_t len, struct edr_ctl_err *err)
{
	struct rbuf r = { .p = buf, .len = len };
	struct edr_ctl_req *req = NULL;
	uint8_t type, ver;
	uint16_t nargs, i;
	int rc;

	if (len > EDR_CTL_MAX_REQ) {
		edr_ctl_err__set(err, "request of %zu bytes exceeds the limit of %d", len, EDR_CTL_MAX_REQ);
		goto fail;
	}
	if (rb_u8(&r, &type) || rb_u8(&r, &ver)) {
		edr_ctl_err__set(err, "request truncated in its header");
		goto fail;
	}
	if (type != 'Q') {
		edr_ctl_err__set(err, "not a request (type 0x%02x)", type);
		goto fail;
	}
	if (ver != EDR_CTL_VERSION) {
		edr_ctl_err__set(err, "unsupported protocol version %u (expected %d)", ver, EDR_CTL_VERSION);
		goto fail;
	}
	req = calloc(1, sizeof(*req));
	if (!req) {
		edr_ctl_err__set(err, "out of memory");
		goto fail;
	}
	rc = rb_str(&r, EDR_CTL_MAX_VERB, &req->verb);
	if (rc) {
		edr_ctl_err__set(err, "verb %s", str_why(rc));
		goto fail;
	}
	if (!edr_ctl_key_valid(req->verb)) {
		edr_ctl_err__set(err, "verb has invalid characters");
		goto fail;
	}
	if (rb_u16(&r, &nargs)) {
		edr_ctl_err__set(err, "request truncated before the argument count");
		goto fail;
	}
	if (nargs > EDR_CTL_MAX_ARGS) {
		edr_ctl_err__set(err, "%u arguments exceed the limit of %d", nargs, EDR_CTL_MAX_ARGS);
		goto fail;
	}
	for (i = 0; i < nargs; i++) {
		struct edr_ctl_kv *kv = &req->args[i];

		rc = rb_str(&r, EDR_CTL_MAX_KEY, &kv->key);
		if (rc) {
			edr_ctl_err__set(err, "argument %u: key %s", i, str_why(rc));
			goto fail;
		}
		req->nargs++; /* from here on free() owns kv->key */
		if (!edr_ctl_key_valid(kv->key)) {
			edr_ctl_err__set(err, "argument %u: key has invalid characters", i);
			goto fail;
		}
		rc = rb_str(&r, EDR_CTL_MAX_VAL, &kv->val);
		if (rc) {
			edr_ctl_err__set(err, "argument %u ('%s'): value %s", i, kv->key, str_why(rc));
			goto fail;
		}
	}
	if (r.off != r.len) {
		edr_ctl_err__set(err, "%zu trailing bytes after the request", r.len - r.off);
		goto fail;
	}
	return req;
fail:
	edr_ctl_req__free(req);
	errno = EBADMSG;
	return NULL;
}

/* ---- replies ---- */

void edr_ctl_reply__init(struct edr_ctl_reply *r)
{
	memset(r, 0, sizeof(*r));
}

void edr_ctl_reply__fini(struct edr_ctl_reply *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].key);
		free(r->items[i].s);
	}
	free(r->items);
	r->items = NULL;
	r->nitems = r->cap = 0;
}

static struct edr_ctl_item *reply_slot(struct edr_ctl_reply *r, const char *key)
{
	struct edr_ctl_item *it;

	if (!edr_ctl_key_valid(key)) {
		r->oom = 1; /* a programming error; make it visible to the client */
		return NULL;
	}
	if (r->nitems >= EDR_CTL_MAX_ITEMS) {
		r->oom = 1;
		return NULL;
	}
	if (r->nitems == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct edr_ctl_item *p = realloc(r->items, cap * sizeof(*p));

		if (!p) {
			r->oom = 1;
			return NULL;
		}
		r->items = p;
		r->cap = cap;
	}
	it = &r->items[r->nitems];
	memset(it, 0, sizeof(*it));
	it->key = strdup(key);
	if (!it->key) {
		r->oom = 1;
		return NULL;
	}
	r->nitems++;
	return it;
}

int edr_ctl_reply__add_str(struct edr_ctl_reply *r, const char *key, const char *val)
{
	struct edr_ctl_item *it = reply_slot(r, key);
	size_t n;

	if (!it)
		return -ENOMEM;
	it->type = EDR_CTL_STR;
	n = strnlen(val, EDR_CTL_MAX_VAL);
	it->s = strndup(val, n); /* values are truncated to the protocol limit */
	if (!it->s) {
		r->oom = 1;
		r->nitems--;
		free(it->key);
		return -ENOMEM;
	}
	return 0;
}

int edr_ctl_reply__add_int(struct edr_ctl_reply *r, const char *key, int64_t val)
{
	struct edr_ctl_item *it = reply_slot(r, key);

	if (!it)
		return -ENOMEM;
	it->type = EDR_CTL_INT;
	it->n = val;
	return 0;
}

static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int edr_ctl_reply__set(struct edr_ctl_reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	one_line(r->msg);
	return status;
}

int edr_ctl_reply__progress(struct edr_ctl_reply *r, const char *fmt, ...)
{
	char line[EDR_CTL_MAX_MSG];
	va_list ap;

	if (!r->progress)
		return 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	one_line(line);
	return r->progress(line, r->progress_ctx);
}

const struct edr_ctl_item *edr_ctl_reply__find(const struct edr_ctl_reply *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nitems; i++)
		if (!strcmp(r->items[i].key, key))
			return &r->items[i];
	return NULL;
}

int edr_ctl_reply__encode(const struct edr_ctl_reply *r, char kind, uint8_t **out, size_t *len)
{
	struct wbuf b = { .max = EDR_CTL_MAX_REPLY + 4 };
	int status = r->status;
	size_t i, n = kind == 'R' ? r->nitems : 0;

	if (kind == 'R' && r->oom && status == 0)
		status = -ENOMEM;
	wb_u32(&b, 0);
	wb_u8(&b, (uint8_t)kind);
	wb_u8(&b, EDR_CTL_VERSION);
	wb_u32(&b, (uint32_t)status);
	wb_str(&b, r->msg, EDR_CTL_MAX_MSG);
	wb_u16(&b, (uint16_t)n);
	for (i = 0; i < n; i++) {
		const struct edr_ctl_item *it = &r->items[i];

		wb_u8(&b, it->type);
		wb_str(&b, it->key, EDR_CTL_MAX_KEY);
		if (it->type == EDR_CTL_STR)
			wb_str(&b, it->s, EDR_CTL_MAX_VAL);
		else
			wb_u64(&b, (uint64_t)it->n);
	}
	return wb_finish(&b, out, len);
}

int edr_ctl_reply__decode(struct edr_ctl_reply *r, char *kind, const uint8_t *buf, size_t len,
			  struct edr_ctl_err *err)
{
	struct rbuf rb = { .p = buf, .len = len };
	uint8_t k, ver, type;
	uint32_t status;
	uint16_t n, i;
	char *msg = NULL;
	int rc;

	edr_ctl_reply__fini(r);
	edr_ctl_reply__init(r);
	if (len > EDR_CTL_MAX_REPLY) {
		edr_ctl_err__set(err, "reply of %zu bytes exceeds the limit of %d", len, EDR_CTL_MAX_REPLY);
		return -EBADMSG;
	}
	if (rb_u8(&rb, &k) || rb_u8(&rb, &ver) || rb_u32(&rb, &status)) {
		edr_ctl_err__set(err, "reply truncated in its header");
		return -EBADMSG;
	}
	if (k != 'P' && k != 'R') {
		edr_ctl_err__set(err, "not a reply (type 0x%02x)", k);
		return -EBADMSG;
	}
	if (ver != EDR_CTL_VERSION) {
		edr_ctl_err__set(err, "unsupported protocol version %u (expected %d)", ver, EDR_CTL_VERSION);
		return -EBADMSG;
	}
	if ((int32_t)status > 0 || (int32_t)status < -4095) {
		edr_ctl_err__set(err, "reply status %d out of range", (int32_t)status);
		return -EBADMSG;
	}
	r->status = (int32_t)status;
	rc = rb_str(&rb, EDR_CTL_MAX_MSG - 1, &msg);
	if (rc) {
		edr_ctl_err__set(err, "reply message %s", str_why(rc));
		return -EBADMSG;
	}
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	free(msg);
	if (rb_u16(&rb, &n)) {
		edr_ctl_err__set(err, "reply truncated before the item count");
		return -EBADMSG;
	}
	if (n > EDR_CTL_MAX_ITEMS) {
		edr_ctl_err__set(err, "%u items exceed the limit of %d", n, EDR_CTL_MAX_ITEMS);
		return -EBADMSG;
	}
	for (i = 0; i < n; i++) {
		char *key = NULL, *s = NULL;
		uint64_t v = 0;
		struct edr_ctl_item *it;

		if (rb_u8(&rb, &type)) {
			edr_ctl_err__set(err, "item %u truncated", i);
			goto fail;
		}
		if (type != EDR_CTL_STR && type != EDR_CTL_INT) {
			edr_ctl_err__set(err, "item %u has unknown type %u", i, type);
			goto fail;
		}
		rc = rb_str(&rb, EDR_CTL_MAX_KEY, &key);
		if (rc) {
			edr_ctl_err__set(err, "item %u: key %s", i, str_why(rc));
			goto fail;
		}
		if (!edr_ctl_key_valid(key)) {
			edr_ctl_err__set(err, "item %u: key has invalid characters", i);
			free(key);
			goto fail;
		}
		if (type == EDR_CTL_STR)
			rc = rb_str(&rb, EDR_CTL_MAX_VAL, &s);
		else
			rc = rb_u64(&rb, &v) ? -1 : 0;
		if (rc) {
			edr_ctl_err__set(err, "item %u ('%s'): value %s", i, key, str_why(rc));
			free(key);
			goto fail;
		}
		it = reply_slot(r, key);
		free(key);
		if (!it) {
			free(s);
			edr_ctl_err__set(err, "out of memory");
			goto fail;
		}
		it->type = type;
		it->s = s;
		it->n = (int64_t)v;
	}
	if (rb.off != rb.len) {
		edr_ctl_err__set(err, "%zu trailing bytes after the reply", rb.len - rb.off);
		goto fail;
	}
	*kind = (char)k;
	return 0;
fail:
	edr_ctl_reply__fini(r);
	return -EBADMSG;
}

/* ---- rendering ---- */

void edr_ctl_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f); /* UTF-8 passes through as is */
		}
	}
	fputc('"', f);
}

void edr_ctl_reply__print_table(const struct edr_ctl_reply *r, FILE *f)
{
	size_t i, w = 0;

	for (i = 0; i < r->nitems; i++) {
		size_t n = strlen(r->items[i].key);
		if (n > w)
			w = n;
	}
	for (i = 0; i < r->nitems; i++) {
		const struct edr_ctl_item *it = &r->items[i];

		if (it->type == EDR_CTL_INT)
			fprintf(f, "%-*s  %" PRId64 "\n", (int)w, it->key, it->n);
		else
			fprintf(f, "%-*s  %s\n", (int)w, it->key, it->s);
	}
}

void edr_ctl_reply__print_json(const struct edr_ctl_reply *r, FILE *f)
{
	size_t i;

	fprintf(f, "{\"status\":%d,\"message\":", r->status);
	edr_ctl_json_string(f, r->msg);
	fputs(",\"items\":{", f);
	for (i = 0; i < r->nitems; i++) {
		const struct edr_ctl_item *it = &r->items[i];

		if (i)
			fputc(',', f);
		edr_ctl_json_string(f, it->key);
		fputc(':', f);
		if (it->type == EDR_CTL_INT)
			fprintf(f, "%" PRId64, it->n);
		else
			edr_ctl_json_string(f, it->s);
	}
	fputs("}}\n", f);
}

/* ---- frame I/O ---- */

int edr_ctl_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* deadline: CLOCK_MONOTONIC ms, 0 = none (the socket's own timeouts apply). */
static int read_all(int fd, void *buf, size_t len, uint64_t deadline)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (deadline) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			uint64_t now = mono_ms();
			int r;

			if (now >= deadline)
				return -ETIMEDOUT;
			r = poll(&pfd, 1, (int)(deadline - now));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			if (r == 0)
				return -ETIMEDOUT;
		}
		n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return got ? -EPROTO : -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int edr_ctl_read_frame_deadline(int fd, size_t max, uint8_t **buf, size_t *len, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	uint8_t h[4];
	uint32_t n;
	uint8_t *p;
	int rc;

	rc = read_all(fd, h, 4, deadline);
	if (rc)
		return rc;
	n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	/* Checked before allocating: a peer cannot make us reserve 4 GiB. */
	if (n > max)
		return -EMSGSIZE;
	p = malloc(n ? n : 1);
	if (!p)
		return -ENOMEM;
	rc = read_all(fd, p, n, deadline);
	if (rc) {
		free(p);
		return rc == -ECONNRESET ? -EPROTO : rc;
	}
	*buf = p;
	*len = n;
	return 0;
}

int edr_ctl_read_frame(int fd, size_t max, uint8_t **buf, size_t *len)
{
	return edr_ctl_read_frame_deadline(fd, max, buf, len, 0);
}

int edr_duration_parse(const char *s, uint64_t *ms)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (!*end || !strcmp(end, "s"))
		mult = 1000;
	else if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else if (!strcmp(end, "d"))
		mult = 86400000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ms = v * mult;
	return 0;
}
