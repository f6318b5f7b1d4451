/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Control protocol between edrctl and edr-sensor (AF_UNIX SOCK_STREAM).
 *
 * Every message is a frame: a 4-byte little-endian payload length, then the
 * payload. Integers in payloads are little-endian; a "str" is a u16 length
 * followed by that many bytes (no NUL, and none allowed inside).
 *
 * Request payload:
 *   u8 'Q', u8 version (1), str verb, u16 nargs, nargs x (str key, str value)
 * Reply payload (the server may send any number of progress frames before
 * the one final frame):
 *   u8 'P' (progress) or 'R' (final), u8 version (1), i32 status (0 or a
 *   negative errno), str message (one line), u16 nitems,
 *   nitems x (u8 type, str key, value): type 1 = str value, 2 = i64 value.
 *
 * The decoder checks every length against the bytes present and against the
 * fixed limits below, rejects trailing bytes, and never reads past the frame.
 * Keys are [a-z0-9_.-]+ so edrctl can print them as a table or as JSON
 * without escaping surprises; values are any bytes except NUL.
 */
#ifndef EDR_CTL_PROTO_H
#define EDR_CTL_PROTO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensor/paths.h"

#define EDR_CTL_VERSION		1
#define EDR_CTL_MAX_REQ		(64 * 1024)	/* request frame payload */
#define EDR_CTL_MAX_REPLY	(1024 * 1024)	/* reply frame payload */
#define EDR_CTL_MAX_VERB	32
#define EDR_CTL_MAX_KEY		64
#define EDR_CTL_MAX_VAL		4096
#define EDR_CTL_MAX_ARGS	32
#define EDR_CTL_MAX_ITEMS	8192
#define EDR_CTL_MAX_MSG		1024

enum edr_ctl_item_type {
	EDR_CTL_STR = 1,
	EDR_CTL_INT = 2,
};

struct edr_ctl_kv {
	char *key;
	char *val;
};

struct edr_ctl_req {
	char *verb;
	size_t nargs;
	struct edr_ctl_kv args[EDR_CTL_MAX_ARGS];
};

struct edr_ctl_item {
	uint8_t type; /* enum edr_ctl_item_type */
	char *key;
	char *s;      /* EDR_CTL_STR */
	int64_t n;    /* EDR_CTL_INT */
};

struct edr_ctl_reply;
/* Sends one progress line to the peer; returns 0 or negative errno. */
typedef int (*edr_ctl_progress_fn)(const char *msg, void *ctx);

struct edr_ctl_reply {
	int status;                 /* 0 or negative errno */
	char msg[EDR_CTL_MAX_MSG];  /* one line */
	size_t nitems, cap;
	struct edr_ctl_item *items;
	int oom;                    /* an add failed; encoded as -ENOMEM */
	/* Set by the server (or a test) so handlers can stream progress. */
	edr_ctl_progress_fn progress;
	void *progress_ctx;
};

struct edr_ctl_err {
	char msg[256];
};

/* Formats a one-line error into err (err may be NULL). */
void edr_ctl_err__set(struct edr_ctl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Requests. */
struct edr_ctl_req *edr_ctl_req__new(const char *verb);
void edr_ctl_req__free(struct edr_ctl_req *req);
int edr_ctl_req__add(struct edr_ctl_req *req, const char *key, const char *val);
/* The value of the first argument named key, or NULL. */
const char *edr_ctl_req__get(const struct edr_ctl_req *req, const char *key);
/* Allocates *out (frame header included); caller frees. */
int edr_ctl_req__encode(const struct edr_ctl_req *req, uint8_t **out, size_t *len);
/* Decodes a payload (without the 4-byte frame header). */
struct edr_ctl_req *edr_ctl_req__decode(const uint8_t *buf, size_t len, struct edr_ctl_err *err);

/* Replies. */
void edr_ctl_reply__init(struct edr_ctl_reply *r);
void edr_ctl_reply__fini(struct edr_ctl_reply *r);
int edr_ctl_reply__add_str(struct edr_ctl_reply *r, const char *key, const char *val);
int edr_ctl_reply__add_int(struct edr_ctl_reply *r, const char *key, int64_t val);
/* Sets status and the one-line message (newlines become spaces); returns status. */
int edr_ctl_reply__set(struct edr_ctl_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Sends a progress line if a progress sink is attached; else a no-op. */
int edr_ctl_reply__progress(struct edr_ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const struct edr_ctl_item *edr_ctl_reply__find(const struct edr_ctl_reply *r, const char *key);
/* kind 'P' or 'R'. For 'P' only msg is encoded. Allocates *out with frame header. */
int edr_ctl_reply__encode(const struct edr_ctl_reply *r, char kind, uint8_t **out, size_t *len);
/* Decodes a reply payload into r (initialised by the caller); *kind gets 'P'/'R'. */
int edr_ctl_reply__decode(struct edr_ctl_reply *r, char *kind, const uint8_t *buf, size_t len,
			  struct edr_ctl_err *err);

/* Rendering for edrctl: aligned "key  value" lines, or one JSON object
 * {"status":..,"message":..,"items":{key:value,...}}. */
void edr_ctl_reply__print_table(const struct edr_ctl_reply *r, FILE *f);
void edr_ctl_reply__print_json(const struct edr_ctl_reply *r, FILE *f);
void edr_ctl_json_string(FILE *f, const char *s);

/* Frame I/O on a blocking socket. read_frame allocates *buf (payload only). */
int edr_ctl_write_all(int fd, const void *buf, size_t len);
int edr_ctl_read_frame(int fd, size_t max, uint8_t **buf, size_t *len);
/* The same, with the whole frame due within timeout_ms (-ETIMEDOUT). */
int edr_ctl_read_frame_deadline(int fd, size_t max, uint8_t **buf, size_t *len, int timeout_ms);

int edr_ctl_key_valid(const char *key);

/* Parses "500ms", "30s", "10m", "2h", "1d" or plain seconds into ms. */
int edr_duration_parse(const char *s, uint64_t *ms);

#endif /* EDR_CTL_PROTO_H */
