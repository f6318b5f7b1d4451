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

struct edr_decoded {
	uint16_t type;
	const struct edr_event_hdr *hdr;
	const struct edr_task *task;
	const struct edr_exec *exec;  /* EXEC, EXEC_DENIED */
	const struct edr_fork *fork;
	const struct edr_exit *exit;
	const struct edr_file *file;  /* FILE_* */
	const struct edr_memfd *memfd;   /* MEMFD_CREATE */
	const struct edr_mem_wx *mem_wx; /* MEM_WX */
	const struct edr_cred *cred;  /* CRED_CHANGE */
	const struct edr_ptrace *ptrace;   /* PTRACE */
	const struct edr_vm_write *vm_write; /* PROC_VM_WRITE */
	const struct edr_module *module; /* MODULE_LOAD: name, path (the file) */
	const struct edr_bpf *bpf;       /* BPF_PROG, BPF_MAP */
	const struct edr_mount *mount;   /* MOUNT: fstype, source, path (the target) */
	const struct edr_net *net;    /* NET_* */
	struct edr_str filename, path, cwd; /* path: MEM_WX's backing file too */
	struct edr_str old_path;      /* FILE_RENAME: the source; FILE_LINK: the existing
				       * file; FILE_SYMLINK: the target as written */
	struct edr_str argv;          /* NUL-separated, final NUL excluded */
	struct edr_str name;          /* MODULE_LOAD: module name; BPF_*: prog/map name,
				 * which may fill 16 bytes with no NUL: use len;
				 * MEMFD_CREATE: the name as given */
	struct edr_str fstype, source; /* MOUNT */
};

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

/* Room for one path resolved in user space: directory + '/' + name. */
#define EDR_RESOLVE_MAX (3 * EDR_PATH_MAX)

/*
 * A file event whose path (or rename source) is relative to a directory fd
 * the kernel side could not read (EDR_FILE_PATH_RELATIVE): resolves it by
 * reading the link PROC/TGID/fd/DIRFD, which is racy (the process may have
 * closed the fd or exited), so the record keeps its flag either way. On
 * success ev->path (ev->old_path) points into buf[0] (buf[1]). Returns how
 * many paths were resolved.
 */
int edr_file_resolve(struct edr_decoded *ev, const char *proc, char buf[2][EDR_RESOLVE_MAX]);

/* Names of the kernel's bpf() numbers, as libbpf and bpftool spell them
 * ("socket_filter", "array", "BPF_PROG_LOAD"); NULL when unknown. */
const char *edr_bpf_prog_type_str(uint32_t type);
const char *edr_bpf_map_type_str(uint32_t type);
const char *edr_bpf_cmd_str(uint32_t cmd);
/* Text form of a network event's local (local set) or peer address:
 * "127.0.0.1", "::1", "::ffff:10.0.0.1". buf needs EDR_NET_ADDR_STR bytes. */
#define EDR_NET_ADDR_STR 48
const char *edr_net_addr(const struct edr_net *n, int local, char *buf);

/* Iterates the NUL-separated argv: returns the next arg's length or -1 at the end. */
int edr_argv_next(const struct edr_str *argv, uint32_t *pos, const char **arg);

#endif /* EDR_DECODE_H */
