// SPDX-License-Identifier: GPL-2.0-only
/*
 * The memory family (bpf/mem.bpf.h): memfd_create, and memory made writable
 * and executable at once by mmap or mprotect. No Sigma category (an exec of
 * a memfd feeds fileless_exec through the process family).
 */
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/json.h"

static const struct edr_rectype types[] = {
	{ EDR_EVENT_MEMFD_CREATE, "memfd_create", "file", "creation", "memfd-create",
	  sizeof(struct edr_memfd), 1 },
	{ EDR_EVENT_MEM_WX, "mem_wx", "process", "change", "memory-wx", sizeof(struct edr_mem_wx), 1 },
};

static enum edr_decode_err decode(struct edr_decoded *ev, const char *base, size_t len, size_t *off)
{
	if (ev->type == EDR_EVENT_MEMFD_CREATE)
		return edr_decode_str(base, len, off, EDR_REC(ev, memfd)->name_len, &ev->name, 1);
	return edr_decode_str(base, len, off, EDR_REC(ev, mem_wx)->path_len, &ev->path, 1);
}

static uint32_t flags(const struct edr_decoded *ev)
{
	return ev->type == EDR_EVENT_MEMFD_CREATE ? EDR_REC(ev, memfd)->flags : EDR_REC(ev, mem_wx)->flags;
}

/* An attempt seen before the call has no outcome yet. */
static const char *outcome(const struct edr_decoded *ev)
{
	int failed;

	if (flags(ev) & EDR_MEM_ATTEMPT)
		return NULL;
	if (ev->type == EDR_EVENT_MEMFD_CREATE)
		failed = EDR_REC(ev, memfd)->ret < 0;
	else
		failed = EDR_REC(ev, mem_wx)->ret < 0 && EDR_REC(ev, mem_wx)->ret > -4096;
	return failed ? "failure" : "success";
}

/* ECS "file" of a memory event: the memfd's name, or the file a W+X
 * mapping is backed by. */
static void ecs_objects(struct edr_json *j, const struct edr_decoded *ev)
{
	const char *slash;

	if (ev->type == EDR_EVENT_MEMFD_CREATE && ev->name.p) {
		edr_json_key(j, "file");
		edr_json_obj_begin(j);
		edr_json_kstr(j, "name", ev->name.p, ev->name.len);
		edr_json_obj_end(j);
	} else if (ev->type == EDR_EVENT_MEM_WX && ev->path.p) {
		edr_json_key(j, "file");
		edr_json_obj_begin(j);
		edr_json_kstr(j, "path", ev->path.p, ev->path.len);
		slash = memrchr(ev->path.p, '/', ev->path.len);
		if (slash)
			edr_json_kstr(j, "name", slash + 1, ev->path.len - (slash + 1 - ev->path.p));
		if (EDR_REC(ev, mem_wx)->ino)
			edr_json_kuint(j, "inode", EDR_REC(ev, mem_wx)->ino);
		edr_json_obj_end(j);
	}
}

/* memfd_create(2) flags, include/uapi/linux/memfd.h. */
static const struct { uint32_t bit; const char *name; } mfd_names[] = {
	{ 0x0001, "MFD_CLOEXEC" }, { 0x0002, "MFD_ALLOW_SEALING" }, { 0x0004, "MFD_HUGETLB" },
	{ 0x0008, "MFD_NOEXEC_SEAL" }, { 0x0010, "MFD_EXEC" },
};

/* What ECS has no field for: memfd flags and fd; the W+X range and prot. */
static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	uint32_t fl = flags(ev);
	char b[32];
	size_t i;

	if (ev->type == EDR_EVENT_MEMFD_CREATE) {
		const struct edr_memfd *m = EDR_REC(ev, memfd);

		edr_json_key(j, "memfd");
		edr_json_obj_begin(j);
		edr_json_kuint(j, "flags", m->mfd_flags);
		edr_json_key(j, "flag_names");
		edr_json_arr_begin(j);
		for (i = 0; i < sizeof(mfd_names) / sizeof(mfd_names[0]); i++)
			if (m->mfd_flags & mfd_names[i].bit)
				edr_json_cstr(j, mfd_names[i].name);
		edr_json_arr_end(j);
		if (!(fl & EDR_MEM_ATTEMPT)) {
			if (m->ret >= 0)
				edr_json_kint(j, "fd", m->ret);
			else
				edr_json_kint(j, "error", -(int64_t)m->ret); /* INT_MIN too */
		}
	} else {
		const struct edr_mem_wx *w = EDR_REC(ev, mem_wx);
		static const char *const ops[] = { "?", "mmap", "mprotect", "pkey_mprotect" };

		edr_json_key(j, "memory");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "syscall", w->op < sizeof(ops) / sizeof(ops[0]) ? ops[w->op] : "?");
		if (!(fl & EDR_MEM_ADDR_UNKNOWN)) {
			snprintf(b, sizeof(b), "0x%llx", (unsigned long long)w->addr);
			edr_json_kcstr(j, "address", b);
			edr_json_kuint(j, "length", w->len);
		}
		if (fl & EDR_MEM_RANGE_VMA)
			edr_json_kbool(j, "range_is_mapping", 1);
		snprintf(b, sizeof(b), "%c%c%c", w->prot & 1 ? 'r' : '-', w->prot & 2 ? 'w' : '-',
			 w->prot & 4 ? 'x' : '-');
		edr_json_kcstr(j, "prot", b);
		if (w->op == EDR_MEM_OP_MMAP)
			edr_json_kuint(j, "mmap_flags", w->mmap_flags);
		edr_json_kbool(j, "file_backed", !!(fl & EDR_MEM_FILE));
		if (!(fl & EDR_MEM_ATTEMPT) && w->ret < 0 && w->ret > -4096)
			edr_json_kint(j, "error", -w->ret);
	}
	if (fl & (EDR_MEM_NAME_TRUNC | EDR_MEM_PATH_TRUNC))
		edr_json_kbool(j, "truncated", 1);
	if (fl & EDR_MEM_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
	edr_json_obj_end(j);
}

const struct edr_family edr_family_mem = {
	.name = "mem",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.decode = decode,
	.outcome = outcome,
	.ecs_objects = ecs_objects,
	.ecs_edr = ecs_edr,
};
