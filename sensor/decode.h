/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Decoding ring buffer records. Nothing in a record is trusted: the type,
 * version, sizes and every tail length are checked against the bytes that
 * actually arrived before any field is read.
 */
#ifndef EDR_DECODE_H
#define EDR_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "edr_event.h"

struct edr_str {
	const char *p; /* not NUL-terminated for argv; check len */
	uint32_t len;  /* bytes, without the final NUL */
};

struct edr_rectype;
struct edr_family;

/*
 * A record that passed the decoder. rec is the whole record as its type's
 * struct (EDR_REC below); rt its row and fam its family in the registry. The strings
 * are the pieces of the tail, named by what they hold in every family that
 * has them; absent ones have p NULL.
 */
struct edr_decoded {
	uint16_t type;
	const struct edr_event_hdr *hdr;
	const struct edr_task *task;
	const void *rec;
	const struct edr_rectype *rt;
	const struct edr_family *fam;
	struct edr_str filename, path, cwd; /* path: a W+X mapping's backing file too */
	struct edr_str old_path;      /* a rename's source, a hard link's existing file,
				       * a symlink's target as written */
	struct edr_str argv;          /* NUL-separated, final NUL excluded */
	struct edr_str name;          /* a module's, a BPF program's or map's (which may fill
				       * 16 bytes with no NUL: use len), a memfd's as given */
	struct edr_str fstype, source; /* mount */
	/* A denial record (EXEC_DENIED, NET_DENIED, FILE_DENIED): the rule
	 * number, the mechanism (EDR_MECH_*), the operation (EDR_DENY_OP_*)
	 * and the policy generation; NULL for every other record. */
	const struct edr_deny *deny;
};

/* The record as its struct: EDR_REC(ev, file) is a const struct edr_file *. */
#define EDR_REC(ev, T) ((const struct edr_##T *)(ev)->rec)

enum edr_decode_err {
	EDR_DECODE_OK = 0,
	EDR_DECODE_SHORT,     /* fewer bytes than the header or the type's fixed part */
	EDR_DECODE_VERSION,   /* ABI version we do not speak */
	EDR_DECODE_SIZE,      /* hdr.size disagrees with the bytes received */
	EDR_DECODE_TYPE,      /* unknown event type */
	EDR_DECODE_TAIL,      /* tail lengths overrun the record */
	EDR_DECODE_STRING,    /* a string that is not NUL-terminated */
	EDR_DECODE_FIELD,     /* a fixed field out of its range (net family, protocol) */
	_EDR_DECODE_MAX,
};

const char *edr_decode_err_str(enum edr_decode_err e);

/* Returns EDR_DECODE_OK and fills *out, or the reason it refused. */
enum edr_decode_err edr_decode(const void *data, size_t len, struct edr_decoded *out);

/*
 * For the families' decoders: takes the next tail piece of len bytes (its
 * NUL included; 0 = absent) at *off into s, checking it fits before end and
 * ends with its NUL (the only one, with strict_nul).
 */
enum edr_decode_err edr_decode_str(const char *base, size_t end, size_t *off, uint32_t len,
				   struct edr_str *s, int strict_nul);

/* For the families' decoders: points ev->deny at the struct edr_deny at
 * offset off of the record and checks its mechanism and operation. */
enum edr_decode_err edr_decode_deny(struct edr_decoded *ev, size_t off);
/* "lsm", "kill-at-exec", "cgroup" (EDR_MECH_*), else "?". */
const char *edr_deny_mechanism_name(unsigned mech);
/* "exec", "connect", "sendmsg", "open-write" (EDR_DENY_OP_*), else "?". */
const char *edr_deny_op_name(unsigned op);

/* Iterates the NUL-separated argv: returns the next arg's length or -1 at the end. */
int edr_argv_next(const struct edr_str *argv, uint32_t *pos, const char **arg);

/* Joins argv with single spaces (Sigma CommandLine, ECS command_line). */
size_t edr_cmdline(const char *args, uint32_t len, char *out, size_t cap);

#endif /* EDR_DECODE_H */
