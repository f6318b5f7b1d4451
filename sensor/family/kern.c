// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel-integrity family (bpf/kern.bpf.h): kernel module loads, bpf()
 * program loads and map creations by other processes, mount and
 * move_mount. Feeds Sigma kernel_module and bpf_load (mounts have no
 * category).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/family/kern.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

static const struct edr_rectype types[] = {
	{ EDR_EVENT_MODULE_LOAD, "module_load", "driver", "start", "module-load",
	  sizeof(struct edr_module), 1 },
	{ EDR_EVENT_BPF_PROG, "bpf_prog", "process", "info", "bpf-prog-load", sizeof(struct edr_bpf), 0 },
	{ EDR_EVENT_BPF_MAP, "bpf_map", "process", "info", "bpf-map-create", sizeof(struct edr_bpf), 0 },
	{ EDR_EVENT_MOUNT, "mount", "file", "change", "mount", sizeof(struct edr_mount), 1 },
};

static enum edr_decode_err decode(struct edr_decoded *ev, const char *base, size_t len, size_t *off)
{
	enum edr_decode_err e = EDR_DECODE_OK;

	if (ev->type == EDR_EVENT_MODULE_LOAD) {
		const struct edr_module *m = EDR_REC(ev, module);

		if ((e = edr_decode_str(base, len, off, m->name_len, &ev->name, 1)) ||
		    (e = edr_decode_str(base, len, off, m->path_len, &ev->path, 1)))
			return e;
	} else if (ev->type == EDR_EVENT_MOUNT) {
		const struct edr_mount *m = EDR_REC(ev, mount);

		if ((e = edr_decode_str(base, len, off, m->fstype_len, &ev->fstype, 1)) ||
		    (e = edr_decode_str(base, len, off, m->source_len, &ev->source, 1)) ||
		    (e = edr_decode_str(base, len, off, m->target_len, &ev->path, 1)))
			return e;
	} else {
		const struct edr_bpf *b = EDR_REC(ev, bpf);

		/* name[] may fill all 16 bytes without a NUL (an attempt the
		 * kernel then refuses): bounded here, never read past. */
		ev->name.p = b->name;
		ev->name.len = strnlen(b->name, sizeof(b->name));
		/* The type says which command: anything else is not ours. */
		if (b->cmd != (ev->type == EDR_EVENT_BPF_PROG ? 5u : 0u))
			return EDR_DECODE_TYPE;
	}
	return e;
}

/* The flags and result every kernel-integrity record has. */
static void common(const struct edr_decoded *ev, uint32_t *flags, int32_t *ret)
{
	if (ev->type == EDR_EVENT_MODULE_LOAD) {
		*flags = EDR_REC(ev, module)->flags;
		*ret = EDR_REC(ev, module)->ret;
	} else if (ev->type == EDR_EVENT_MOUNT) {
		*flags = EDR_REC(ev, mount)->flags;
		*ret = EDR_REC(ev, mount)->ret;
	} else {
		*flags = EDR_REC(ev, bpf)->flags;
		*ret = EDR_REC(ev, bpf)->ret;
	}
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

/* ECS event.outcome: an attempt seen before the kernel decided is unknown. */
static const char *outcome(const struct edr_decoded *ev)
{
	uint32_t flags;
	int32_t ret;

	common(ev, &flags, &ret);
	if (flags & EDR_KERN_ATTEMPT)
		return "unknown";
	return ret < 0 ? "failure" : "success";
}

static void kern_result(struct edr_json *j, const struct edr_decoded *ev, uint32_t flags, int32_t ret)
{
	if (flags & EDR_KERN_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	else
		edr_json_kint(j, "result", ret);
	if (flags & (EDR_KERN_PATH_TRUNC | EDR_KERN_STR_TRUNC))
		edr_json_kbool(j, "truncated", 1);
	edr_json_kcstr(j, "attach_path", edr_ecs_attach_path(ev));
}

/* MS_* bit names, bit n at index n (include/uapi/linux/mount.h). */
static const char *const ms_names[] = {
	"rdonly", "nosuid", "nodev", "noexec", "synchronous", "remount", "mandlock", "dirsync",
	"nosymfollow", NULL, "noatime", "nodiratime", "bind", "move", "rec", "silent", "posixacl",
	"unbindable", "private", "slave", "shared", "relatime", "kernmount", "i_version",
	"strictatime", "lazytime",
};

static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	const char *s;
	size_t b;

	if (ev->type == EDR_EVENT_MODULE_LOAD) {
		const struct edr_module *m = EDR_REC(ev, module);

		edr_json_key(j, "module");
		edr_json_obj_begin(j);
		edr_ecs_kopt(j, "name", &ev->name);
		edr_ecs_kopt(j, "path", &ev->path);
		edr_json_kcstr(j, "syscall", m->flags & EDR_KERN_FROM_MEMORY ? "init_module" : "finit_module");
		if (m->flags & EDR_KERN_FROM_MEMORY) {
			if (m->len)
				edr_json_kuint(j, "image_size", m->len);
		} else if (m->fd >= 0) {
			edr_json_kint(j, "fd", m->fd);
			edr_json_kuint(j, "load_flags", m->load_flags);
		}
		kern_result(j, ev, m->flags, m->ret);
		edr_json_obj_end(j);
	} else if (ev->type == EDR_EVENT_BPF_PROG || ev->type == EDR_EVENT_BPF_MAP) {
		const struct edr_bpf *e = EDR_REC(ev, bpf);
		int prog = ev->type == EDR_EVENT_BPF_PROG;

		edr_json_key(j, "bpf");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "command", edr_bpf_cmd_str(e->cmd));
		edr_json_key(j, prog ? "program" : "map");
		edr_json_obj_begin(j);
		s = prog ? edr_bpf_prog_type_str(e->type) : edr_bpf_map_type_str(e->type);
		if (s)
			edr_json_kcstr(j, "type", s);
		else
			edr_json_kuint(j, "type", e->type); /* newer than this sensor */
		edr_json_kstr(j, "name", ev->name.p, ev->name.len);
		if (prog) {
			edr_json_kuint(j, "attach_type", e->attach_type);
			edr_json_kuint(j, "insn_count", e->insn_cnt);
		} else {
			edr_json_kuint(j, "key_size", e->key_size);
			edr_json_kuint(j, "value_size", e->value_size);
			edr_json_kuint(j, "max_entries", e->max_entries);
		}
		edr_json_kuint(j, "flags", e->extra_flags);
		edr_json_obj_end(j);
		kern_result(j, ev, e->flags, e->ret);
		edr_json_obj_end(j);
	} else {
		const struct edr_mount *m = EDR_REC(ev, mount);

		edr_json_key(j, "mount");
		edr_json_obj_begin(j);
		edr_ecs_kopt(j, "source", &ev->source);
		edr_ecs_kopt(j, "target", &ev->path);
		edr_ecs_kopt(j, "fstype", &ev->fstype);
		edr_json_kcstr(j, "syscall", m->flags & EDR_KERN_MOVE_MOUNT ? "move_mount" : "mount");
		edr_json_kuint(j, "flags", m->mount_flags);
		if (!(m->flags & EDR_KERN_MOVE_MOUNT)) {
			/* MS_* only; move_mount's flags are MOVE_MOUNT_* */
			edr_json_key(j, "options");
			edr_json_arr_begin(j);
			for (b = 0; b < sizeof(ms_names) / sizeof(ms_names[0]); b++)
				if (ms_names[b] && (m->mount_flags & (1ull << b)))
					edr_json_cstr(j, ms_names[b]);
			edr_json_arr_end(j);
		}
		if (m->flags & EDR_KERN_PATH_RELATIVE)
			edr_json_kbool(j, "target_as_written", 1);
		kern_result(j, ev, m->flags, m->ret);
		edr_json_obj_end(j);
	}
}

/*
 * Module loads feed kernel_module and bpf() loads and creations feed
 * bpf_load; attempts (LSM, kprobe) and failures are mapped as well: a refused
 * load by an unexpected process is as telling as one that worked. Mounts
 * have no Sigma category.
 */
static int sigma(struct edr_sigma_view *v, const struct edr_event_ctx *ctx, int idx)
{
	const struct edr_decoded *ev = ctx->ev;
	struct edr_field_value *f;
	int image, fuser, pid, cmd;

	if (idx || ev->type == EDR_EVENT_MOUNT)
		return -ENOENT;
	if (ev->type == EDR_EVENT_MODULE_LOAD) {
		f = edr_sigma_begin(v, EDR_CAT_KERNEL_MODULE, EDR_NFIELDS(KERNEL_MODULE));
		image = EDR_F_KERNEL_MODULE_IMAGE;
		fuser = EDR_F_KERNEL_MODULE_USER;
		pid = EDR_F_KERNEL_MODULE_PROCESS_ID;
		cmd = EDR_F_KERNEL_MODULE_COMMAND_LINE;
		if (ev->path.p)
			edr_sigma_str(&f[EDR_F_KERNEL_MODULE_MODULE_PATH], ev->path.p, ev->path.len);
	} else {
		f = edr_sigma_begin(v, EDR_CAT_BPF_LOAD, EDR_NFIELDS(BPF_LOAD));
		image = EDR_F_BPF_LOAD_IMAGE;
		fuser = EDR_F_BPF_LOAD_USER;
		pid = EDR_F_BPF_LOAD_PROCESS_ID;
		cmd = EDR_F_BPF_LOAD_COMMAND_LINE;
		edr_sigma_cstr(&f[EDR_F_BPF_LOAD_COMMAND], edr_bpf_cmd_str(EDR_REC(ev, bpf)->cmd));
		if (ev->type == EDR_EVENT_BPF_PROG) {
			edr_sigma_cstr(&f[EDR_F_BPF_LOAD_PROGRAM_TYPE], edr_bpf_prog_type_str(EDR_REC(ev, bpf)->type));
			edr_sigma_str(&f[EDR_F_BPF_LOAD_PROGRAM_NAME], ev->name.p, ev->name.len);
		}
	}
	edr_sigma_subject(v, ctx, image, fuser, pid, cmd);
	return 0;
}

const struct edr_family edr_family_kern = {
	.name = "kern",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.decode = decode,
	.outcome = outcome,
	.ecs_edr = ecs_edr,
	.sigma = sigma,
};
