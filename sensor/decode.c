// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "sensor/decode.h"
#include "sensor/family/family.h"

static const char *const err_str[_EDR_DECODE_MAX] = {
	[EDR_DECODE_OK] = "ok",
	[EDR_DECODE_SHORT] = "record shorter than its fixed part",
	[EDR_DECODE_VERSION] = "unsupported ABI version",
	[EDR_DECODE_SIZE] = "header size disagrees with record length",
	[EDR_DECODE_TYPE] = "unknown event type",
	[EDR_DECODE_TAIL] = "variable-length fields overrun the record",
	[EDR_DECODE_STRING] = "string field not NUL-terminated",
	[EDR_DECODE_FIELD] = "field value out of range",
};

const char *edr_decode_err_str(enum edr_decode_err e)
{
	return e < _EDR_DECODE_MAX ? err_str[e] : "?";
}

/* A string piece of the tail: len includes its NUL, which must be last. */
enum edr_decode_err edr_decode_str(const char *base, size_t end, size_t *off, uint32_t len,
				   struct edr_str *s, int strict_nul)
{
	s->p = NULL;
	s->len = 0;
	if (!len)
		return EDR_DECODE_OK;
	if (len > end - *off)
		return EDR_DECODE_TAIL;
	if (base[*off + len - 1] != 0)
		return EDR_DECODE_STRING;
	/* A path or filename has exactly one NUL, at its end. */
	if (strict_nul && memchr(base + *off, 0, len - 1))
		return EDR_DECODE_STRING;
	s->p = base + *off;
	s->len = len - 1;
	*off += len;
	return EDR_DECODE_OK;
}

enum edr_decode_err edr_decode(const void *data, size_t len, struct edr_decoded *out)
{
	const struct edr_event_hdr *hdr = data;
	const struct edr_rectype *t;
	enum edr_decode_err e;
	size_t off;

	memset(out, 0, sizeof(*out));
	if (!data || len < sizeof(*hdr))
		return EDR_DECODE_SHORT;
	if (hdr->version != EDR_ABI_VERSION)
		return EDR_DECODE_VERSION;
	if (hdr->size != len || len > EDR_EVENT_MAX_SIZE)
		return EDR_DECODE_SIZE;
	t = edr_rectype(hdr->type);
	if (!t->rec_size)
		return EDR_DECODE_TYPE;
	if (len < t->rec_size)
		return EDR_DECODE_SHORT;
	out->type = hdr->type;
	out->hdr = hdr;
	out->rec = data;
	out->rt = t;
	out->fam = edr_family_of(hdr->type);
	/* Every record type starts with hdr then task. */
	out->task = (const struct edr_task *)((const char *)data + sizeof(*hdr));
	/* A record without a tail is exactly its fixed part; one with a tail
	 * is its fixed part and the pieces its lengths name, nothing more. */
	if (!t->tail && len != t->rec_size)
		return EDR_DECODE_SIZE;
	off = t->rec_size;
	if (out->fam->decode && (e = out->fam->decode(out, data, len, &off)))
		return e;
	if (t->tail && off != len)
		return EDR_DECODE_TAIL;
	return EDR_DECODE_OK;
}

enum edr_decode_err edr_decode_deny(struct edr_decoded *ev, size_t off)
{
	const struct edr_deny *d = (const void *)((const char *)ev->rec + off);

	if (d->mechanism < EDR_MECH_LSM || d->mechanism > EDR_MECH_CGROUP || d->op < EDR_DENY_OP_EXEC ||
	    d->op > EDR_DENY_OP_OPEN_WRITE)
		return EDR_DECODE_FIELD;
	ev->deny = d;
	return EDR_DECODE_OK;
}

const char *edr_deny_mechanism_name(unsigned mech)
{
	static const char *const names[] = {
		[EDR_MECH_LSM] = "lsm", [EDR_MECH_KILL_AT_EXEC] = "kill-at-exec", [EDR_MECH_CGROUP] = "cgroup",
	};

	return mech < sizeof(names) / sizeof(names[0]) && names[mech] ? names[mech] : "?";
}

const char *edr_deny_op_name(unsigned op)
{
	static const char *const names[] = {
		[EDR_DENY_OP_EXEC] = "exec", [EDR_DENY_OP_CONNECT] = "connect",
		[EDR_DENY_OP_SENDMSG] = "sendmsg", [EDR_DENY_OP_OPEN_WRITE] = "open-write",
	};

	return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "?";
}

int edr_argv_next(const struct edr_str *argv, uint32_t *pos, const char **arg)
{
	const char *nul;
	uint32_t n;

	/* argv "a\0b" has len 3: "a" then "b"; a present argv of len 0 is one "". */
	if (!argv->p || *pos > argv->len)
		return -1;
	*arg = argv->p + *pos;
	nul = memchr(*arg, 0, argv->len - *pos);
	n = nul ? (uint32_t)(nul - *arg) : argv->len - *pos;
	*pos += n + 1;
	return n;
}

size_t edr_cmdline(const char *args, uint32_t len, char *out, size_t cap)
{
	size_t i, n = len < cap - 1 ? len : cap - 1;

	if (!cap)
		return 0;
	for (i = 0; i < n; i++)
		out[i] = args[i] ? args[i] : ' ';
	out[n] = 0;
	return n;
}
