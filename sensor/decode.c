// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sensor/decode.h"
#include "sensor/evtypes.h"

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
static enum edr_decode_err take(const char *base, size_t end, size_t *off, uint32_t len,
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
	const char *base = data;
	enum edr_decode_err e;
	const struct edr_evtype *t;
	size_t fixed, off;
	int tail;

	memset(out, 0, sizeof(*out));
	if (!data || len < sizeof(*hdr))
		return EDR_DECODE_SHORT;
	if (hdr->version != EDR_ABI_VERSION)
		return EDR_DECODE_VERSION;
	if (hdr->size != len || len > EDR_EVENT_MAX_SIZE)
		return EDR_DECODE_SIZE;
	t = edr_evtype(hdr->type);
	if (!t->rec_size)
		return EDR_DECODE_TYPE;
	fixed = t->rec_size;
	tail = t->tail;
	if (len < fixed)
		return EDR_DECODE_SHORT;
	out->type = hdr->type;
	out->hdr = hdr;
	/* Every record type starts with hdr then task. */
	out->task = (const struct edr_task *)(base + sizeof(*hdr));
	/* A record without a tail is exactly its fixed part; one with a tail
	 * is its fixed part and the pieces its lengths name, nothing more. */
	if (!tail && len != fixed)
		return EDR_DECODE_SIZE;
	off = fixed;
	switch (hdr->type) {
	case EDR_EVENT_EXEC:
	case EDR_EVENT_EXEC_DENIED:
		out->exec = data;
		if ((e = take(base, len, &off, out->exec->filename_len, &out->filename, 1)) ||
		    (e = take(base, len, &off, out->exec->path_len, &out->path, 1)) ||
		    (e = take(base, len, &off, out->exec->cwd_len, &out->cwd, 1)) ||
		    (e = take(base, len, &off, out->exec->argv_len, &out->argv, 0)))
			return e;
		break;
	case EDR_EVENT_FORK:
		out->fork = data;
		break;
	case EDR_EVENT_EXIT:
		out->exit = data;
		break;
	case EDR_EVENT_MEMFD_CREATE:
		out->memfd = data;
		if ((e = take(base, len, &off, out->memfd->name_len, &out->name, 1)))
			return e;
		break;
	case EDR_EVENT_MEM_WX:
		out->mem_wx = data;
		if ((e = take(base, len, &off, out->mem_wx->path_len, &out->path, 1)))
			return e;
		break;
	/* Fixed-size records; their comm fields are used only up to a NUL
	 * within EDR_COMM_LEN by every reader. */
	case EDR_EVENT_CRED_CHANGE:
		out->cred = data;
		break;
	case EDR_EVENT_PTRACE:
		out->ptrace = data;
		break;
	case EDR_EVENT_PROC_VM_WRITE:
		out->vm_write = data;
		break;
	case EDR_EVENT_MODULE_LOAD:
		out->module = data;
		if ((e = take(base, len, &off, out->module->name_len, &out->name, 1)) ||
		    (e = take(base, len, &off, out->module->path_len, &out->path, 1)))
			return e;
		break;
	case EDR_EVENT_BPF_PROG:
	case EDR_EVENT_BPF_MAP:
		out->bpf = data;
		/* name[] may fill all 16 bytes without a NUL (an attempt the
		 * kernel then refuses): bounded here, never read past. */
		out->name.p = out->bpf->name;
		out->name.len = strnlen(out->bpf->name, sizeof(out->bpf->name));
		/* The type says which command: anything else is not ours. */
		if (out->bpf->cmd != (hdr->type == EDR_EVENT_BPF_PROG ? 5u : 0u))
			return EDR_DECODE_TYPE;
		break;
	case EDR_EVENT_MOUNT:
		out->mount = data;
		if ((e = take(base, len, &off, out->mount->fstype_len, &out->fstype, 1)) ||
		    (e = take(base, len, &off, out->mount->source_len, &out->source, 1)) ||
		    (e = take(base, len, &off, out->mount->target_len, &out->path, 1)))
			return e;
		break;
	case EDR_EVENT_NET_CONNECT:
	case EDR_EVENT_NET_ACCEPT:
	case EDR_EVENT_NET_BIND:
	case EDR_EVENT_NET_LISTEN:
	case EDR_EVENT_NET_SEND:
		/* Consumers index tables by these; the kernel side sends only
		 * INET/INET6 and TCP/UDP. */
		{
			const struct edr_net *n = data;

			if ((n->family != 2 && n->family != 10) || (n->protocol != 6 && n->protocol != 17))
				return EDR_DECODE_FIELD;
			out->net = n;
		}
		break;
	default: /* FILE_*, the only other types the first switch lets through */
		out->file = data;
		if ((e = take(base, len, &off, out->file->path_len, &out->path, 1)) ||
		    (e = take(base, len, &off, out->file->old_path_len, &out->old_path, 1)))
			return e;
		/* Only a rename, link or symlink has a second path; every file
		 * event names its file. */
		if (!out->path.p || (!out->old_path.p) != (hdr->type != EDR_EVENT_FILE_RENAME &&
							   hdr->type != EDR_EVENT_FILE_LINK &&
							   hdr->type != EDR_EVENT_FILE_SYMLINK))
			return EDR_DECODE_TAIL;
		break;
	}
	if (tail && off != len)
		return EDR_DECODE_TAIL;
	return EDR_DECODE_OK;
}

static const char *const prog_types[] = {
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
	"perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
	"sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
	"lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
	"cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
};

static const char *const map_types[] = {
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array",
	"stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
	"hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
	"reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack", "sk_storage", "devmap_hash",
	"struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter", "user_ringbuf",
	"cgrp_storage", "arena",
};

const char *edr_bpf_prog_type_str(uint32_t type)
{
	return type < sizeof(prog_types) / sizeof(prog_types[0]) ? prog_types[type] : NULL;
}

const char *edr_bpf_map_type_str(uint32_t type)
{
	return type < sizeof(map_types) / sizeof(map_types[0]) ? map_types[type] : NULL;
}

const char *edr_bpf_cmd_str(uint32_t cmd)
{
	/* Only the two commands the kernel side reports. */
	return cmd == 0 ? "BPF_MAP_CREATE" : cmd == 5 ? "BPF_PROG_LOAD" : NULL;
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

static int resolve_one(struct edr_str *path, const char *proc, uint32_t tgid, int32_t dirfd, char *buf)
{
	char link[64 + 256];
	ssize_t n;

	if (!path->p || path->p[0] == '/' || dirfd < 0)
		return 0;
	snprintf(link, sizeof(link), "%s/%u/fd/%d", proc, tgid, dirfd);
	n = readlink(link, buf, EDR_RESOLVE_MAX - 1);
	/* A directory fd links to an absolute path; anything else (a deleted
	 * directory, "anon_inode:...") cannot be the base of a name. */
	if (n <= 0 || buf[0] != '/' || (size_t)n + 1 + path->len + 1 > EDR_RESOLVE_MAX)
		return 0;
	if (n > 1)
		buf[n++] = '/';
	memcpy(buf + n, path->p, path->len);
	buf[n + path->len] = 0;
	path->p = buf;
	path->len = n + path->len;
	return 1;
}

int edr_file_resolve(struct edr_decoded *ev, const char *proc, char buf[2][EDR_RESOLVE_MAX])
{
	int n = 0;

	if (!ev->file)
		return 0;
	if (ev->file->flags & EDR_FILE_PATH_RELATIVE)
		n += resolve_one(&ev->path, proc, ev->task->tgid, ev->file->dirfd, buf[0]);
	if (ev->file->flags & EDR_FILE_OLD_PATH_RELATIVE)
		n += resolve_one(&ev->old_path, proc, ev->task->tgid, ev->file->old_dirfd, buf[1]);
	return n;
}

const char *edr_net_addr(const struct edr_net *n, int local, char *buf)
{
	const uint8_t *a = local ? n->saddr : n->daddr;

	if (!inet_ntop(n->family == 10 ? AF_INET6 : AF_INET, a, buf, EDR_NET_ADDR_STR))
		snprintf(buf, EDR_NET_ADDR_STR, "?");
	return buf;
}
