// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sensor/ecs.h"
#include "sensor/evtypes.h"

/* ---- records ---- */

int edr_ecs__init(struct edr_ecs *ecs, const char *host_name)
{
	struct timespec rt, bt;

	memset(ecs, 0, sizeof(*ecs));
	if (host_name && *host_name)
		snprintf(ecs->host_name, sizeof(ecs->host_name), "%s", host_name);
	else if (gethostname(ecs->host_name, sizeof(ecs->host_name) - 1))
		snprintf(ecs->host_name, sizeof(ecs->host_name), "unknown");
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	ecs->boot_to_real_ns = (int64_t)(rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
	ecs->ids = edr_idcache__new();
	return ecs->ids ? 0 : -ENOMEM;
}

void edr_ecs__fini(struct edr_ecs *ecs)
{
	edr_idcache__free(ecs->ids);
	ecs->ids = NULL;
}

static void time_key(struct edr_ecs *ecs, struct edr_json *j, const char *key, uint64_t boot_ns)
{
	/* Unsigned: a record's timestamp is not trusted and must not overflow. */
	uint64_t ns = boot_ns + (uint64_t)ecs->boot_to_real_ns;
	time_t sec = ns / 1000000000;
	struct tm tm;
	char b[64];
	size_t n;

	if (!gmtime_r(&sec, &tm) || !(n = strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm)))
		n = snprintf(b, sizeof(b), "1970-01-01T00:00:00");
	snprintf(b + n, sizeof(b) - n, ".%09lluZ", (unsigned long long)(ns % 1000000000));
	edr_json_kcstr(j, key, b);
}

void edr_ecs__timestamp(struct edr_ecs *ecs, struct edr_json *j, uint64_t boot_ns)
{
	time_key(ecs, j, "@timestamp", boot_ns);
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

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static void args_array(struct edr_json *j, const char *args, uint32_t len)
{
	struct edr_str a = { args, len };
	const char *arg;
	uint32_t pos = 0;
	int n;

	edr_json_key(j, "args");
	edr_json_arr_begin(j);
	while ((n = edr_argv_next(&a, &pos, &arg)) >= 0)
		edr_json_str(j, arg, n);
	edr_json_arr_end(j);
}

static void process_body(struct edr_json *j, const struct edr_proc *p)
{
	edr_json_kuint(j, "pid", p->tgid);
	edr_json_kcstr(j, "entity_id", p->entity_id);
	if (p->exe) {
		edr_json_kcstr(j, "executable", p->exe);
		edr_json_kcstr(j, "name", base_name(p->exe));
	} else {
		edr_json_kcstr(j, "name", p->comm);
	}
	if (p->args) {
		char *cl = malloc(p->args_len + 1);

		args_array(j, p->args, p->args_len);
		if (cl) {
			size_t n = edr_cmdline(p->args, p->args_len, cl, p->args_len + 1);

			edr_json_kstr(j, "command_line", cl, n);
			free(cl);
		}
	}
}

void edr_ecs__process(struct edr_ecs *ecs, struct edr_json *j, const struct edr_proc *p,
		      const struct edr_proc *parent)
{
	edr_json_key(j, "process");
	edr_json_obj_begin(j);
	process_body(j, p);
	if (p->cwd)
		edr_json_kcstr(j, "working_directory", p->cwd);
	if (p->start_ns)
		time_key(ecs, j, "start", p->start_ns);
	if (parent) {
		edr_json_key(j, "parent");
		edr_json_obj_begin(j);
		process_body(j, parent);
		edr_json_obj_end(j);
	} else {
		edr_json_key(j, "parent");
		edr_json_obj_begin(j);
		edr_json_kuint(j, "pid", p->ppid);
		edr_json_obj_end(j);
	}
}

static void id_object(struct edr_json *j, const char *key, uint32_t id, const char *name)
{
	char b[16];

	snprintf(b, sizeof(b), "%u", id);
	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "id", b);
	if (name)
		edr_json_kcstr(j, "name", name);
}

static void user_group(struct edr_ecs *ecs, struct edr_json *j, const struct edr_task *t)
{
	id_object(j, "user", t->uid, edr_idcache__user(ecs->ids, t->uid));
	id_object(j, "effective", t->euid, edr_idcache__user(ecs->ids, t->euid));
	edr_json_obj_end(j);
	edr_json_obj_end(j);
	id_object(j, "group", t->gid, edr_idcache__group(ecs->ids, t->gid));
	edr_json_obj_end(j);
}

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
		[6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
		[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
	};

	return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig] ? names[sig] : NULL;
}

int edr_ecs_severity(const char *level)
{
	if (!level)
		return 47;
	if (!strcmp(level, "informational"))
		return 1;
	if (!strcmp(level, "low"))
		return 21;
	if (!strcmp(level, "high"))
		return 73;
	if (!strcmp(level, "critical"))
		return 99;
	return 47;
}

static void str_array(struct edr_json *j, const char *key, const char *const *v, size_t n)
{
	size_t i;

	edr_json_key(j, key);
	edr_json_arr_begin(j);
	for (i = 0; i < n; i++)
		edr_json_cstr(j, v[i]);
	edr_json_arr_end(j);
}

static void record(struct edr_ecs *ecs, struct edr_json *j, const struct edr_decoded *ev,
		   const struct edr_proc *p, const struct edr_proc *parent,
		   const struct edr_alert_info *a);
/* Privilege events' pieces of record(), defined at the end of this file. */
static void priv_thread_caps(struct edr_json *j, const struct edr_decoded *ev);
static const struct edr_task *priv_user_task(const struct edr_decoded *ev, struct edr_task *tmp);
static void priv_edr(struct edr_json *j, const struct edr_decoded *ev, const struct edr_proc *target);

/* ECS "file": path, name and directory of the file the event is about (the
 * new name of a rename), and what the kernel knew of its inode. */
static void file_object(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_file *f = ev->file;
	const char *path = ev->path.p, *slash;
	char b[24];

	edr_json_key(j, "file");
	edr_json_obj_begin(j);
	edr_json_kstr(j, "path", path, ev->path.len);
	slash = memrchr(path, '/', ev->path.len);
	if (slash) {
		edr_json_kstr(j, "name", slash + 1, ev->path.len - (slash + 1 - path));
		edr_json_kstr(j, "directory", path, slash == path ? 1 : (size_t)(slash - path));
	} else {
		edr_json_kstr(j, "name", path, ev->path.len);
	}
	if (ev->type == EDR_EVENT_FILE_CHMOD || f->mode) {
		/* ECS file.mode: the octal permission string, e.g. "0644". */
		snprintf(b, sizeof(b), "%04o", f->mode & 07777);
		edr_json_kcstr(j, "mode", b);
	}
	if (f->uid != (uint32_t)-1) {
		snprintf(b, sizeof(b), "%u", f->uid);
		edr_json_kcstr(j, "uid", b);
	}
	if (f->gid != (uint32_t)-1) {
		snprintf(b, sizeof(b), "%u", f->gid);
		edr_json_kcstr(j, "gid", b);
	}
	if (f->ino) {
		snprintf(b, sizeof(b), "%llu", (unsigned long long)f->ino);
		edr_json_kcstr(j, "inode", b);
	}
	if (f->mode) {
		unsigned fmt = f->mode & 0170000;

		if (fmt)
			edr_json_kcstr(j, "type", fmt == 0040000 ? "dir" : fmt == 0120000 ? "symlink" : "file");
	} else if (f->flags & EDR_FILE_DIR) {
		edr_json_kcstr(j, "type", "dir");
	}
	edr_json_obj_end(j);
}

/* edr.*.source: the attach path a record came from, in the header of every
 * record (EDR_SRC_*). */
static const char *attach_path(const struct edr_decoded *ev)
{
	static const char *const names[] = {
		[EDR_SRC_TRACEPOINT] = "tracepoint", [EDR_SRC_LSM] = "lsm", [EDR_SRC_FENTRY] = "fentry",
		[EDR_SRC_KPROBE] = "kprobe", [EDR_SRC_TP_BTF] = "tp_btf", [EDR_SRC_RAW_TP] = "raw_tp",
	};
	uint32_t src = ev->hdr->flags & EDR_HDR_SRC_MASK;

	return src < sizeof(names) / sizeof(names[0]) ? names[src] : "?";
}

/* ECS "file" of a memory event: the memfd's name, or the file a W+X
 * mapping is backed by. */
static void mem_file_object(struct edr_json *j, const struct edr_decoded *ev)
{
	const char *slash;

	if (ev->memfd && ev->name.p) {
		edr_json_key(j, "file");
		edr_json_obj_begin(j);
		edr_json_kstr(j, "name", ev->name.p, ev->name.len);
		edr_json_obj_end(j);
	} else if (ev->mem_wx && ev->path.p) {
		edr_json_key(j, "file");
		edr_json_obj_begin(j);
		edr_json_kstr(j, "path", ev->path.p, ev->path.len);
		slash = memrchr(ev->path.p, '/', ev->path.len);
		if (slash)
			edr_json_kstr(j, "name", slash + 1, ev->path.len - (slash + 1 - ev->path.p));
		if (ev->mem_wx->ino)
			edr_json_kuint(j, "inode", ev->mem_wx->ino);
		edr_json_obj_end(j);
	}
}

/* memfd_create(2) flags, include/uapi/linux/memfd.h. */
static const struct { uint32_t bit; const char *name; } mfd_names[] = {
	{ 0x0001, "MFD_CLOEXEC" }, { 0x0002, "MFD_ALLOW_SEALING" }, { 0x0004, "MFD_HUGETLB" },
	{ 0x0008, "MFD_NOEXEC_SEAL" }, { 0x0010, "MFD_EXEC" },
};

/* What ECS has no field for: memfd flags and fd; the W+X range and prot. */
static void mem_edr(struct edr_json *j, const struct edr_decoded *ev)
{
	uint32_t fl = ev->memfd ? ev->memfd->flags : ev->mem_wx->flags;
	char b[32];
	size_t i;

	if (ev->memfd) {
		const struct edr_memfd *m = ev->memfd;

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
		const struct edr_mem_wx *w = ev->mem_wx;
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
	edr_json_kcstr(j, "source", attach_path(ev));
	edr_json_obj_end(j);
}

/* What ECS has no field for: the rename source, flags, the attach path. */
static void file_edr(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_file *f = ev->file;

	edr_json_key(j, "file");
	edr_json_obj_begin(j);
	if (ev->old_path.p)
		edr_json_kstr(j, "old_path", ev->old_path.p, ev->old_path.len);
	if (f->flags & (EDR_FILE_PATH_TRUNC | EDR_FILE_OLD_PATH_TRUNC))
		edr_json_kbool(j, "path_truncated", 1);
	if (f->flags & (EDR_FILE_PATH_RELATIVE | EDR_FILE_OLD_PATH_RELATIVE))
		/* Resolved (or not) in user space against /proc/PID/fd/DIRFD. */
		edr_json_kbool(j, "path_resolved_in_user_space", 1);
	if (f->flags & EDR_FILE_TRUNCATE)
		edr_json_kbool(j, "truncate", 1);
	if (f->flags & EDR_FILE_SETID)
		edr_json_kbool(j, "setid", 1);
	if (f->flags & EDR_FILE_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	if (f->open_flags)
		edr_json_kuint(j, "open_flags", f->open_flags);
	if (ev->type == EDR_EVENT_FILE_CHMOD && (f->flags & EDR_FILE_OLD_MODE)) {
		char b[24];

		/* Like file.mode: the octal permission string. */
		snprintf(b, sizeof(b), "%04o", f->old_mode & 07777);
		edr_json_kcstr(j, "old_mode", b);
	}
	edr_json_kcstr(j, "source", attach_path(ev));
	edr_json_obj_end(j);
}

/* ---- kernel-integrity events: edr.module, edr.bpf, edr.mount ---- */

/* The flags and result every kernel-integrity record has, or 0. */
static int kern_common(const struct edr_decoded *ev, uint32_t *flags, int32_t *ret)
{
	if (ev->module) {
		*flags = ev->module->flags;
		*ret = ev->module->ret;
	} else if (ev->bpf) {
		*flags = ev->bpf->flags;
		*ret = ev->bpf->ret;
	} else if (ev->mount) {
		*flags = ev->mount->flags;
		*ret = ev->mount->ret;
	} else {
		return 0;
	}
	return 1;
}

/* ECS event.outcome: an attempt seen before the kernel decided is unknown. */
static const char *kern_outcome(uint32_t flags, int32_t ret)
{
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
	edr_json_kcstr(j, "attach_path", attach_path(ev));
}

/* MS_* bit names, bit n at index n (include/uapi/linux/mount.h). */
static const char *const ms_names[] = {
	"rdonly", "nosuid", "nodev", "noexec", "synchronous", "remount", "mandlock", "dirsync",
	"nosymfollow", NULL, "noatime", "nodiratime", "bind", "move", "rec", "silent", "posixacl",
	"unbindable", "private", "slave", "shared", "relatime", "kernmount", "i_version",
	"strictatime", "lazytime",
};

static void kern_edr(struct edr_json *j, const struct edr_decoded *ev)
{
	const char *s;
	size_t b;

	if (ev->module) {
		const struct edr_module *m = ev->module;

		edr_json_key(j, "module");
		edr_json_obj_begin(j);
		if (ev->name.p)
			edr_json_kstr(j, "name", ev->name.p, ev->name.len);
		if (ev->path.p)
			edr_json_kstr(j, "path", ev->path.p, ev->path.len);
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
	} else if (ev->bpf) {
		const struct edr_bpf *e = ev->bpf;
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
	} else if (ev->mount) {
		const struct edr_mount *m = ev->mount;

		edr_json_key(j, "mount");
		edr_json_obj_begin(j);
		if (ev->source.p)
			edr_json_kstr(j, "source", ev->source.p, ev->source.len);
		if (ev->path.p)
			edr_json_kstr(j, "target", ev->path.p, ev->path.len);
		if (ev->fstype.p)
			edr_json_kstr(j, "fstype", ev->fstype.p, ev->fstype.len);
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
 * ECS source, destination, server and network for NET_*. ECS calls the
 * initiator of a connection "source": the local side for connect and send,
 * the peer for accept. bind and listen have no peer: their local address
 * is the "server" (the side that will be connected to).
 */
static void net_endpoint(struct edr_json *j, const char *key, const struct edr_net *n, int local)
{
	char b[EDR_NET_ADDR_STR];

	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "ip", edr_net_addr(n, local, b));
	edr_json_kuint(j, "port", local ? n->sport : n->dport);
	edr_json_obj_end(j);
}

static void net_object(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_net *n = ev->net;
	int known_local = !(n->flags & EDR_NET_SADDR_UNKNOWN);
	const char *dir = NULL;

	switch (ev->type) {
	case EDR_EVENT_NET_CONNECT:
	case EDR_EVENT_NET_SEND:
		if (known_local)
			net_endpoint(j, "source", n, 1);
		net_endpoint(j, "destination", n, 0);
		dir = "egress";
		break;
	case EDR_EVENT_NET_ACCEPT:
		net_endpoint(j, "source", n, 0);
		net_endpoint(j, "destination", n, 1);
		dir = "ingress";
		break;
	default: /* bind, listen */
		if (known_local || ev->type == EDR_EVENT_NET_BIND)
			net_endpoint(j, "server", n, 1);
		break;
	}
	edr_json_key(j, "network");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "transport", n->protocol == 6 ? "tcp" : "udp");
	edr_json_kcstr(j, "type", n->family == 10 ? "ipv6" : "ipv4");
	edr_json_kcstr(j, "iana_number", n->protocol == 6 ? "6" : "17");
	if (dir)
		edr_json_kcstr(j, "direction", dir);
	edr_json_obj_end(j);
}

/* What ECS has no field for: attempt, result, the socket, the attach path. */
static void net_edr(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_net *n = ev->net;

	edr_json_key(j, "net");
	edr_json_obj_begin(j);
	if (n->flags & EDR_NET_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	if (n->ret)
		edr_json_kint(j, "ret", n->ret);
	if (n->sock_ino)
		edr_json_kuint(j, "socket_inode", n->sock_ino);
	edr_json_kcstr(j, "source", attach_path(ev));
	edr_json_obj_end(j);
}

void edr_ecs__event(struct edr_ecs *ecs, struct edr_json *j, const struct edr_decoded *ev,
		    const struct edr_proc *p, const struct edr_proc *parent)
{
	record(ecs, j, ev, p, parent, NULL);
}

void edr_ecs__alert(struct edr_ecs *ecs, struct edr_json *j, const struct edr_decoded *ev,
		    const struct edr_proc *p, const struct edr_proc *parent,
		    const struct edr_alert_info *a)
{
	record(ecs, j, ev, p, parent, a);
}

static void record(struct edr_ecs *ecs, struct edr_json *j, const struct edr_decoded *ev,
		   const struct edr_proc *p, const struct edr_proc *parent,
		   const struct edr_alert_info *a)
{
	const struct edr_task *t = ev->task;
	const struct edr_evtype *et = edr_evtype(ev->type);
	struct edr_proc tmp;
	struct edr_task ttmp;

	edr_json_obj_begin(j);
	edr_ecs__timestamp(ecs, j, ev->hdr->ts_ns);
	edr_json_key(j, "event");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "kind", a ? "alert" : "event");
	edr_json_key(j, "category");
	edr_json_arr_begin(j);
	edr_json_cstr(j, et->category);
	if (a)
		edr_json_cstr(j, "intrusion_detection");
	edr_json_arr_end(j);
	edr_json_key(j, "type");
	edr_json_arr_begin(j);
	edr_json_cstr(j, et->type);
	edr_json_arr_end(j);
	edr_json_kcstr(j, "action", et->action);
	if (ev->type == EDR_EVENT_EXEC_DENIED)
		edr_json_kcstr(j, "outcome", "failure");
	if ((ev->memfd && !(ev->memfd->flags & EDR_MEM_ATTEMPT)) ||
	    (ev->mem_wx && !(ev->mem_wx->flags & EDR_MEM_ATTEMPT)))
		edr_json_kcstr(j, "outcome", (ev->memfd ? ev->memfd->ret < 0 :
					      ev->mem_wx->ret < 0 && ev->mem_wx->ret > -4096) ?
					     "failure" : "success");
	{
		uint32_t kflags;
		int32_t kret;

		if (kern_common(ev, &kflags, &kret))
			edr_json_kcstr(j, "outcome", kern_outcome(kflags, kret));
	}
	if (a)
		edr_json_kint(j, "severity", edr_ecs_severity(a->level));
	edr_json_obj_end(j);
	if (a) {
		edr_json_key(j, "rule");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "id", a->rule_id);
		edr_json_kcstr(j, "name", a->rule_name);
		edr_json_kcstr(j, "description", a->rule_description);
		if (a->rule_file)
			edr_json_kcstr(j, "ruleset", a->rule_file);
		edr_json_obj_end(j);
		if (a->ntechniques) {
			edr_json_key(j, "threat");
			edr_json_obj_begin(j);
			edr_json_kcstr(j, "framework", "MITRE ATT&CK");
			edr_json_key(j, "technique");
			edr_json_obj_begin(j);
			str_array(j, "id", a->techniques, a->ntechniques);
			edr_json_obj_end(j);
			edr_json_obj_end(j);
		}
		if (a->ntags)
			str_array(j, "tags", a->tags, a->ntags);
	}
	edr_json_key(j, "host");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "name", ecs->host_name);
	edr_json_obj_end(j);

	/* Without a table entry, describe the process from the event alone. */
	if (!p) {
		memset(&tmp, 0, sizeof(tmp));
		tmp.tgid = t->tgid;
		tmp.ppid = t->ppid;
		tmp.start_ns = t->start_ns;
		memcpy(tmp.comm, t->comm, sizeof(tmp.comm));
		tmp.comm[sizeof(tmp.comm) - 1] = 0;
		p = &tmp;
	}
	edr_ecs__process(ecs, j, p, parent);
	edr_json_key(j, "thread");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "id", t->pid);
	priv_thread_caps(j, ev);
	edr_json_obj_end(j);
	if (ev->type == EDR_EVENT_EXEC || ev->type == EDR_EVENT_EXEC_DENIED) {
		edr_json_kuint(j, "args_count", ev->exec->argc);
	}
	if (ecs->en && ecs->en->have_hash && ecs->en->hash_state == EDR_HASH_DONE) {
		edr_json_key(j, "hash");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "sha256", ecs->en->sha256);
		edr_json_obj_end(j);
	}
	if (ev->type == EDR_EVENT_EXIT) {
		uint32_t code = ev->exit->exit_code;
		int sig = code & 0x7f;

		if (sig) {
			const char *sn = signal_name(sig);

			/* ECS has no signal field; shells report 128+N. */
			edr_json_kint(j, "exit_code", 128 + sig);
			edr_json_key(j, "edr");
			edr_json_obj_begin(j);
			edr_json_kint(j, "signal", sig);
			if (sn)
				edr_json_kcstr(j, "signal_name", sn);
			edr_json_kbool(j, "core_dumped", !!(code & 0x80));
			edr_json_obj_end(j);
		} else {
			edr_json_kint(j, "exit_code", (code >> 8) & 0xff);
		}
	}
	edr_json_obj_end(j); /* process */

	/* A credential change: user.* are the new ids. */
	user_group(ecs, j, priv_user_task(ev, &ttmp));
	if (ecs->en && ecs->en->container && ecs->en->container->runtime != EDR_CRT_NONE) {
		edr_json_key(j, "container");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "id", ecs->en->container->id);
		edr_json_key(j, "runtime");
		edr_json_cstr(j, edr_container_runtime_str(ecs->en->container->runtime));
		edr_json_obj_end(j);
	}
	if (ev->file)
		file_object(j, ev);
	if (ev->memfd || ev->mem_wx)
		mem_file_object(j, ev);
	if (ev->net)
		net_object(j, ev);

	edr_json_key(j, "edr");
	edr_json_obj_begin(j);
	if (a) {
		edr_json_kbool(j, "shadow", a->shadow);
		edr_json_kcstr(j, "level", a->level);
		if (a->content_version)
			edr_json_kuint(j, "content_version", a->content_version);
	}
	edr_json_kuint(j, "seq", ev->hdr->seq);
	if (ecs->en && ecs->en->have_hash && ecs->en->hash_state != EDR_HASH_DONE) {
		edr_json_kcstr(j, "hash_state", edr_hash_state_str(ecs->en->hash_state));
		if (ecs->en->hash_state == EDR_HASH_SKIPPED)
			edr_json_kcstr(j, "hash_skip", edr_hash_skip_str(ecs->en->hash_skip));
	}
	if (ecs->en && ecs->en->ancestry.n) {
		size_t k;

		edr_json_key(j, "ancestors");
		edr_json_arr_begin(j);
		for (k = 0; k < ecs->en->ancestry.n; k++)
			edr_json_cstr(j, edr_ancestry_exe(ecs->en->ancestry.procs[k]));
		edr_json_arr_end(j);
	}
	edr_json_kuint(j, "cpu", ev->hdr->cpu);
	edr_json_kuint(j, "cgroup_id", t->cgroup_id);
	if (t->auid != (uint32_t)-1)
		edr_json_kuint(j, "auid", t->auid);
	if (t->sessionid != (uint32_t)-1)
		edr_json_kuint(j, "session_id", t->sessionid);
	if (ev->exec) {
		uint32_t fl = ev->exec->flags;

		if (ev->filename.p)
			edr_json_kstr(j, "filename", ev->filename.p, ev->filename.len);
		edr_json_kbool(j, "args_truncated", !!(fl & EDR_EXEC_ARGV_TRUNC));
		if (fl & (EDR_EXEC_PATH_TRUNC | EDR_EXEC_CWD_TRUNC | EDR_EXEC_FILENAME_TRUNC))
			edr_json_kbool(j, "path_truncated", 1);
		edr_json_kuint(j, "inode", ev->exec->ino);
		/* The executable has no file name left: a memfd or unlinked file. */
		if (fl & (EDR_EXEC_MEMFD | EDR_EXEC_DELETED))
			edr_json_kcstr(j, "fileless", fl & EDR_EXEC_MEMFD ? "memfd" : "deleted");
	}
	if (ev->file)
		file_edr(j, ev);
	if (ev->memfd || ev->mem_wx)
		mem_edr(j, ev);
	priv_edr(j, ev, ecs->en ? ecs->en->target : NULL);
	kern_edr(j, ev);
	if (ev->net)
		net_edr(j, ev);
	if (ev->fork) {
		edr_json_kuint(j, "parent_pid", ev->fork->parent_tgid);
		edr_json_kuint(j, "parent_thread_id", ev->fork->parent_pid);
	}
	edr_json_obj_end(j);
}

void edr_ecs__gap(struct edr_ecs *ecs, struct edr_json *j, uint32_t cpu, uint64_t lost, uint64_t boot_ns)
{
	edr_json_obj_begin(j);
	edr_ecs__timestamp(ecs, j, boot_ns);
	edr_json_key(j, "event");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "kind", "event");
	edr_json_kcstr(j, "action", "events-lost");
	edr_json_kcstr(j, "reason", "ring buffer full");
	edr_json_obj_end(j);
	edr_json_key(j, "host");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "name", ecs->host_name);
	edr_json_obj_end(j);
	edr_json_key(j, "edr");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "lost", lost);
	edr_json_kuint(j, "cpu", cpu);
	edr_json_obj_end(j);
	edr_json_obj_end(j);
}

/* ---- Privilege events: credential change, ptrace attach, process_vm_writev ---- */

static const char *const cred_sys[EDR_CRED_SYS_MAX] = {
	[EDR_CRED_SYS_OTHER] = "commit_creds",
	[EDR_CRED_SYS_SETUID] = "setuid",
	[EDR_CRED_SYS_SETGID] = "setgid",
	[EDR_CRED_SYS_SETREUID] = "setreuid",
	[EDR_CRED_SYS_SETREGID] = "setregid",
	[EDR_CRED_SYS_SETRESUID] = "setresuid",
	[EDR_CRED_SYS_SETRESGID] = "setresgid",
	[EDR_CRED_SYS_SETFSUID] = "setfsuid",
	[EDR_CRED_SYS_SETFSGID] = "setfsgid",
	[EDR_CRED_SYS_CAPSET] = "capset",
	[EDR_CRED_SYS_EXECVE] = "execve",
};

const char *edr_cred_syscall_name(uint32_t code)
{
	return code < EDR_CRED_SYS_MAX ? cred_sys[code] : "unknown";
}

const char *edr_ptrace_request_name(uint64_t req)
{
	switch (req) {
	case EDR_PTRACE_TRACEME: return "PTRACE_TRACEME";
	case EDR_PTRACE_ATTACH: return "PTRACE_ATTACH";
	case EDR_PTRACE_SEIZE: return "PTRACE_SEIZE";
	}
	return "unknown";
}

/* include/uapi/linux/capability.h, 0..40 */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/* ECS process.thread.capabilities.*: an array of names; a bit the table
 * does not know is written as "CAP_<n>". */
static void cap_array(struct edr_json *j, const char *key, uint64_t set)
{
	char b[16];
	unsigned bit;

	edr_json_key(j, key);
	edr_json_arr_begin(j);
	for (bit = 0; bit < 64; bit++) {
		if (!(set & (1ull << bit)))
			continue;
		if (bit < N_CAPS) {
			edr_json_cstr(j, cap_names[bit]);
		} else {
			snprintf(b, sizeof(b), "CAP_%u", bit);
			edr_json_cstr(j, b);
		}
	}
	edr_json_arr_end(j);
}

static void priv_thread_caps(struct edr_json *j, const struct edr_decoded *ev)
{
	if (!ev->cred)
		return;
	edr_json_key(j, "capabilities");
	edr_json_obj_begin(j);
	cap_array(j, "effective", ev->cred->new_ids.cap_effective);
	cap_array(j, "permitted", ev->cred->new_ids.cap_permitted);
	edr_json_obj_end(j);
}

static const struct edr_task *priv_user_task(const struct edr_decoded *ev, struct edr_task *tmp)
{
	if (!ev->cred)
		return ev->task;
	*tmp = *ev->task;
	tmp->uid = ev->cred->new_ids.uid;
	tmp->euid = ev->cred->new_ids.euid;
	tmp->gid = ev->cred->new_ids.gid;
	tmp->egid = ev->cred->new_ids.egid;
	return tmp;
}

static void ids_json(struct edr_json *j, const char *key, const struct edr_ids *d)
{
	char b[24];

	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kuint(j, "uid", d->uid);
	edr_json_kuint(j, "euid", d->euid);
	edr_json_kuint(j, "suid", d->suid);
	edr_json_kuint(j, "fsuid", d->fsuid);
	edr_json_kuint(j, "gid", d->gid);
	edr_json_kuint(j, "egid", d->egid);
	edr_json_kuint(j, "sgid", d->sgid);
	edr_json_kuint(j, "fsgid", d->fsgid);
	/* Hex masks as /proc/PID/status shows them: exact and compact. */
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_effective);
	edr_json_kcstr(j, "cap_effective", b);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_permitted);
	edr_json_kcstr(j, "cap_permitted", b);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_inheritable);
	edr_json_kcstr(j, "cap_inheritable", b);
	edr_json_obj_end(j);
}

/* comm fields are at most EDR_COMM_LEN bytes, NUL-terminated or not. */
static void comm_json(struct edr_json *j, const char *key, const char *comm)
{
	edr_json_kstr(j, key, comm, strnlen(comm, EDR_COMM_LEN));
}

static void target_json(struct edr_json *j, uint32_t pid, uint32_t tgid, const char *comm,
			const struct edr_proc *target)
{
	edr_json_key(j, "target");
	edr_json_obj_begin(j);
	if (tgid)
		edr_json_kuint(j, "pid", tgid);
	edr_json_kuint(j, "thread_id", pid);
	if (comm[0])
		comm_json(j, "name", comm);
	else if (target)
		comm_json(j, "name", target->comm);
	if (target && target->exe)
		edr_json_kcstr(j, "executable", target->exe);
	edr_json_obj_end(j);
}

static void priv_edr(struct edr_json *j, const struct edr_decoded *ev, const struct edr_proc *target)
{
	if (ev->cred) {
		const struct edr_cred *c = ev->cred;

		edr_json_key(j, "cred");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "syscall", edr_cred_syscall_name(c->syscall));
		ids_json(j, "old", &c->old_ids);
		ids_json(j, "new", &c->new_ids);
		if (c->flags & EDR_CRED_EXEC)
			edr_json_kbool(j, "exec", 1);
		if (c->flags & EDR_CRED_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		else
			edr_json_kint(j, "ret", c->ret);
		edr_json_kcstr(j, "source", attach_path(ev));
		edr_json_obj_end(j);
	}
	if (ev->ptrace) {
		const struct edr_ptrace *p = ev->ptrace;

		edr_json_key(j, "ptrace");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "request", edr_ptrace_request_name(p->request));
		target_json(j, p->target_pid, p->target_tgid, p->target_comm, target);
		if (p->flags & EDR_PTRACE_TARGET_AS_GIVEN)
			edr_json_kbool(j, "target_pid_as_given", 1);
		edr_json_kuint(j, "tracer_pid", p->tracer_tgid);
		if (p->flags & EDR_PTRACE_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		edr_json_kcstr(j, "source", attach_path(ev));
		edr_json_obj_end(j);
	}
	if (ev->vm_write) {
		const struct edr_vm_write *v = ev->vm_write;

		edr_json_key(j, "vm_write");
		edr_json_obj_begin(j);
		target_json(j, v->target_pid, v->target_tgid, v->target_comm, target);
		if (v->flags & EDR_VM_TARGET_AS_GIVEN)
			edr_json_kbool(j, "target_pid_as_given", 1);
		edr_json_kuint(j, "local_iovcnt", v->liovcnt);
		edr_json_kuint(j, "remote_iovcnt", v->riovcnt);
		edr_json_kuint(j, "bytes_requested", v->bytes_req);
		if (v->flags & EDR_VM_IOV_TRUNC)
			edr_json_kbool(j, "bytes_requested_partial", 1);
		if (v->flags & EDR_VM_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		else if (v->ret >= 0)
			edr_json_kuint(j, "bytes_written", (uint64_t)v->ret);
		edr_json_kcstr(j, "source", attach_path(ev));
		edr_json_obj_end(j);
	}
}

uint32_t edr_priv_target_tgid(const struct edr_decoded *ev)
{
	if (ev->ptrace)
		return ev->ptrace->target_tgid ? ev->ptrace->target_tgid : ev->ptrace->target_pid;
	if (ev->vm_write)
		return ev->vm_write->target_tgid ? ev->vm_write->target_tgid : ev->vm_write->target_pid;
	return 0;
}
