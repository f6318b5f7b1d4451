// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "edr.skel.h"

struct path_def {
	const char *name;  /* attach path as shown to users and in config */
	const char *prog;  /* BPF program implementing it */
	enum edr_cap cap;  /* what the kernel must support */
	enum edr_cap cap2; /* a second requirement, or EDR_CAP__COUNT */
	/* More programs of the same path, NULL-terminated; a leading '?' marks
	 * one whose hook may be missing (its attach failure is not a refusal). */
	const char *const *more;
};

/* Programs per path beyond the first. */
#define EDR_MAX_MORE 40

struct feature_def {
	const char *name;
	struct path_def paths[EDR_MAX_PATHS];
};

#define NOCAP EDR_CAP__COUNT

/* The file features' further programs (bpf/file.bpf.h). */
static const char *const file_write_tp[] = {
	"tracepoint__sys_exit_open", "tracepoint__sys_exit_creat",
	"?tracepoint__sys_exit_openat2", /* 5.6 */
	"tracepoint__sys_enter_truncate", "tracepoint__sys_exit_truncate",
	"tracepoint__sys_enter_ftruncate", "tracepoint__sys_exit_ftruncate",
	NULL,
};
static const char *const file_write_lsm[] = { "lsm__path_truncate", NULL };
static const char *const file_write_fentry[] = { "fexit__vfs_truncate", NULL };
static const char *const file_write_kprobe[] = { "kprobe__vfs_truncate", NULL };
static const char *const file_unlink_lsm[] = { "lsm__path_rmdir", NULL };
static const char *const file_unlink_fentry[] = {
	"fexit__vfs_unlink", "fexit__do_unlinkat",
	"fentry__do_rmdir", "fexit__vfs_rmdir", "fexit__do_rmdir",
	NULL,
};
static const char *const file_unlink_kprobe[] = { "kprobe__do_rmdir", NULL };
static const char *const file_unlink_tp[] = {
	"tracepoint__sys_exit_unlinkat",
	"tracepoint__sys_enter_unlink", "tracepoint__sys_exit_unlink",
	"tracepoint__sys_enter_rmdir", "tracepoint__sys_exit_rmdir",
	NULL,
};
static const char *const file_rename_fentry[] = { "fexit__vfs_rename", "fexit__do_renameat2", NULL };
static const char *const file_rename_tp[] = {
	"tracepoint__sys_exit_renameat2",
	"tracepoint__sys_enter_rename", "tracepoint__sys_exit_rename",
	"tracepoint__sys_enter_renameat", "tracepoint__sys_exit_renameat",
	NULL,
};
static const char *const file_attr_lsm[] = { "lsm__path_chown", NULL };
/* fentry__chmod_common keeps chmod's old mode for fexit (bpf/file.bpf.h). */
static const char *const file_attr_fentry[] = { "fexit__chown_common", "fentry__chmod_common", NULL };
static const char *const file_attr_kprobe[] = { "kprobe__chown_common", NULL };
static const char *const file_attr_tp[] = {
	"tracepoint__sys_exit_fchmodat",
	"tracepoint__sys_enter_chmod", "tracepoint__sys_exit_chmod",
	"tracepoint__sys_enter_fchmod", "tracepoint__sys_exit_fchmod",
	"?tracepoint__sys_enter_fchmodat2", "?tracepoint__sys_exit_fchmodat2", /* 6.6 */
	"tracepoint__sys_enter_chown", "tracepoint__sys_exit_chown",
	"tracepoint__sys_enter_lchown", "tracepoint__sys_exit_lchown",
	"tracepoint__sys_enter_fchown", "tracepoint__sys_exit_fchown",
	"tracepoint__sys_enter_fchownat", "tracepoint__sys_exit_fchownat",
	NULL,
};

/* Links and symlinks (bpf/file.bpf.h): a feature of its own, so a kernel
 * refusing one of its hooks never costs the other file features. */
static const char *const file_link_lsm[] = { "lsm__path_symlink", NULL };
static const char *const file_link_fentry[] = {
	"fexit__vfs_link", "fexit__do_linkat",
	"fentry__do_symlinkat", "fexit__vfs_symlink", "fexit__do_symlinkat",
	NULL,
};
static const char *const file_link_kprobe[] = { "kprobe__do_symlinkat", NULL };
static const char *const file_link_tp[] = {
	"tracepoint__sys_exit_linkat",
	"tracepoint__sys_enter_link", "tracepoint__sys_exit_link",
	"tracepoint__sys_enter_symlink", "tracepoint__sys_exit_symlink",
	"tracepoint__sys_enter_symlinkat", "tracepoint__sys_exit_symlinkat",
	NULL,
};
/* Memory (bpf/mem.bpf.h). */
static const char *const memfd_tp[] = { "tracepoint__sys_exit_memfd_create", NULL };
static const char *const mem_wx_lsm[] = { "lsm__file_mprotect", NULL };
static const char *const mem_wx_fentry[] = { "fexit__do_mprotect_pkey", NULL };
static const char *const mem_wx_kprobe[] = { "kprobe__do_mprotect_pkey", NULL };
static const char *const mem_wx_tp[] = {
	"tracepoint__sys_exit_mprotect", "tracepoint__sys_exit_pkey_mprotect", NULL,
};
/* The privilege features' further programs (bpf/priv.bpf.h). */
static const char *const cred_lsm[] = { "?lsm__task_fix_setgid", "lsm__capset", NULL }; /* setgid: 5.19 */
static const char *const cred_tp[] = {
	"tracepoint__sys_exit_setuid",
	"tracepoint__sys_enter_setgid", "tracepoint__sys_exit_setgid",
	"tracepoint__sys_enter_setreuid", "tracepoint__sys_exit_setreuid",
	"tracepoint__sys_enter_setregid", "tracepoint__sys_exit_setregid",
	"tracepoint__sys_enter_setresuid", "tracepoint__sys_exit_setresuid",
	"tracepoint__sys_enter_setresgid", "tracepoint__sys_exit_setresgid",
	"tracepoint__sys_enter_setfsuid", "tracepoint__sys_exit_setfsuid",
	"tracepoint__sys_enter_setfsgid", "tracepoint__sys_exit_setfsgid",
	"tracepoint__sys_enter_capset", "tracepoint__sys_exit_capset",
	NULL,
};
static const char *const ptrace_lsm[] = { "lsm__ptrace_traceme", NULL };
static const char *const ptrace_fentry[] = { "fexit__ptrace_traceme", NULL };
static const char *const ptrace_kprobe[] = { "kprobe__ptrace_traceme", NULL };
static const char *const ptrace_tp[] = { "tracepoint__sys_exit_ptrace", NULL };
static const char *const vm_write_tp[] = { "tracepoint__sys_exit_process_vm_writev", NULL };
/* The kernel-integrity features' further programs (bpf/kern.bpf.h). */
static const char *const module_lsm[] = { "lsm__kernel_load_data", NULL };
static const char *const module_kprobe[] = { "kprobe__security_kernel_load_data", NULL };
static const char *const bpf_fentry[] = { "fexit__map_create", NULL };
static const char *const mount_lsm[] = { "lsm__move_mount", NULL };
static const char *const mount_tp[] = { "?tracepoint__sys_exit_move_mount", NULL }; /* 5.2 */
static const char *const module_tp[] = {
	"tracepoint__sys_exit_init_module",
	"?raw_tp__module_load", /* CONFIG_MODULES: names a module that loads */
	NULL,
};
/* The network features' further programs (bpf/net.bpf.h). */
static const char *const net_connect_fentry[] = { "fexit__inet_dgram_connect", NULL };
static const char *const net_connect_kprobe[] = { "kprobe__inet_dgram_connect", NULL };
static const char *const net_accept_tp[] = { "tracepoint__sys_exit_accept", NULL };
static const char *const net_bind_lsm[] = { "lsm__socket_listen", NULL };
static const char *const net_bind_fentry[] = { "fexit__inet6_bind", "fexit__inet_listen", NULL };
static const char *const net_bind_kprobe[] = { "kprobe__inet6_bind", "kprobe__inet_listen", NULL };
static const char *const net_bind_tp[] = { "tracepoint__sys_exit_listen", NULL };
static const char *const net_send_fentry[] = { "fexit__udpv6_sendmsg", NULL };
static const char *const net_send_kprobe[] = { "kprobe__udpv6_sendmsg", NULL };
static const char *const net_send_tp[] = {
	"tracepoint__sys_exit_sendmsg", "tracepoint__sys_exit_sendmmsg", NULL,
};

/* A "more" entry's program name, without its optional marker. */
static const char *more_name(const char *m)
{
	return m[0] == '?' ? m + 1 : m;
}

/* Preference order: BTF-typed tracepoints are cheaper to read from;
 * raw tracepoints work on every kernel the sensor supports. */
static const struct feature_def features[EDR_FEAT__COUNT] = {
	[EDR_FEAT_EXEC] = { "exec", {
		{ "tp_btf", "tp_btf__sched_process_exec", EDR_CAP_TP_BTF, NOCAP },
		{ "raw_tp", "raw_tp__sched_process_exec", EDR_CAP_RAW_TP, NOCAP },
	} },
	[EDR_FEAT_FORK] = { "fork", {
		{ "tp_btf", "tp_btf__sched_process_fork", EDR_CAP_TP_BTF, NOCAP },
		{ "raw_tp", "raw_tp__sched_process_fork", EDR_CAP_RAW_TP, NOCAP },
	} },
	[EDR_FEAT_EXIT] = { "exit", {
		{ "tp_btf", "tp_btf__sched_process_exit", EDR_CAP_TP_BTF, NOCAP },
		{ "raw_tp", "raw_tp__sched_process_exit", EDR_CAP_RAW_TP, NOCAP },
	} },
	[EDR_FEAT_EXEC_ENFORCE] = { "exec_enforce", {
		{ "lsm", "lsm__bprm_check_security", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
	} },
	[EDR_FEAT_FILE_WRITE] = { "file_write", {
		{ "lsm", "lsm__file_open", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, file_write_lsm },
		{ "fentry", "fexit__do_filp_open", EDR_CAP_FENTRY, NOCAP, file_write_fentry },
		{ "kprobe", "kprobe__vfs_open", EDR_CAP_KPROBE, NOCAP, file_write_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_openat", EDR_CAP_SYSCALL_TP, NOCAP, file_write_tp },
	} },
	[EDR_FEAT_FILE_UNLINK] = { "file_unlink", {
		{ "lsm", "lsm__path_unlink", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, file_unlink_lsm },
		{ "fentry", "fentry__do_unlinkat", EDR_CAP_FENTRY, NOCAP, file_unlink_fentry },
		{ "kprobe", "kprobe__do_unlinkat", EDR_CAP_KPROBE, NOCAP, file_unlink_kprobe },
		{ "tracepoint", "tracepoint__sys_enter_unlinkat", EDR_CAP_SYSCALL_TP, NOCAP, file_unlink_tp },
	} },
	[EDR_FEAT_FILE_RENAME] = { "file_rename", {
		{ "lsm", "lsm__path_rename", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
		{ "fentry", "fentry__do_renameat2", EDR_CAP_FENTRY, NOCAP, file_rename_fentry },
		{ "kprobe", "kprobe__do_renameat2", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_enter_renameat2", EDR_CAP_SYSCALL_TP, NOCAP, file_rename_tp },
	} },
	[EDR_FEAT_FILE_ATTR] = { "file_attr", {
		{ "lsm", "lsm__path_chmod", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, file_attr_lsm },
		{ "fentry", "fexit__chmod_common", EDR_CAP_FENTRY, NOCAP, file_attr_fentry },
		{ "kprobe", "kprobe__chmod_common", EDR_CAP_KPROBE, NOCAP, file_attr_kprobe },
		{ "tracepoint", "tracepoint__sys_enter_fchmodat", EDR_CAP_SYSCALL_TP, NOCAP, file_attr_tp },
	} },
	[EDR_FEAT_FILE_LINK] = { "file_link", {
		{ "lsm", "lsm__path_link", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, file_link_lsm },
		{ "fentry", "fentry__do_linkat", EDR_CAP_FENTRY, NOCAP, file_link_fentry },
		{ "kprobe", "kprobe__do_linkat", EDR_CAP_KPROBE, NOCAP, file_link_kprobe },
		{ "tracepoint", "tracepoint__sys_enter_linkat", EDR_CAP_SYSCALL_TP, NOCAP, file_link_tp },
	} },
	/* No LSM hook sees memfd_create itself (only the shmem inode). */
	[EDR_FEAT_MEMFD] = { "memfd", {
		{ "fentry", "fexit__sys_memfd_create", EDR_CAP_FENTRY, NOCAP },
		{ "kprobe", "ksyscall__memfd_create", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_enter_memfd_create", EDR_CAP_SYSCALL_TP, NOCAP, memfd_tp },
	} },
	[EDR_FEAT_MEM_WX] = { "mem_wx", {
		{ "lsm", "lsm__mmap_file", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, mem_wx_lsm },
		{ "fentry", "fexit__vm_mmap_pgoff", EDR_CAP_FENTRY, NOCAP, mem_wx_fentry },
		{ "kprobe", "kprobe__vm_mmap_pgoff", EDR_CAP_KPROBE, NOCAP, mem_wx_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_mmap", EDR_CAP_SYSCALL_TP, NOCAP, mem_wx_tp },
	} },
	[EDR_FEAT_CRED] = { "cred", {
		{ "lsm", "lsm__task_fix_setuid", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, cred_lsm },
		{ "fentry", "fentry__commit_creds", EDR_CAP_FENTRY, NOCAP },
		{ "kprobe", "kprobe__commit_creds", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_enter_setuid", EDR_CAP_SYSCALL_TP, NOCAP, cred_tp },
	} },
	[EDR_FEAT_PTRACE] = { "ptrace", {
		{ "lsm", "lsm__ptrace_access_check", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, ptrace_lsm },
		{ "fentry", "fexit__ptrace_attach", EDR_CAP_FENTRY, NOCAP, ptrace_fentry },
		{ "kprobe", "kprobe__ptrace_attach", EDR_CAP_KPROBE, NOCAP, ptrace_kprobe },
		{ "tracepoint", "tracepoint__sys_enter_ptrace", EDR_CAP_SYSCALL_TP, NOCAP, ptrace_tp },
	} },
	[EDR_FEAT_VM_WRITE] = { "vm_write", {
		{ "lsm", "lsm__ptrace_access_check_vm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
		{ "fentry", "fexit__sys_process_vm_writev", EDR_CAP_FENTRY, NOCAP },
		{ "kprobe", "ksyscall__process_vm_writev", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_enter_process_vm_writev", EDR_CAP_SYSCALL_TP, NOCAP,
		  vm_write_tp },
	} },
	[EDR_FEAT_MODULE] = { "module", {
		{ "lsm", "lsm__kernel_read_file", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, module_lsm },
		{ "kprobe", "kprobe__security_kernel_read_file", EDR_CAP_KPROBE, NOCAP, module_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_finit_module", EDR_CAP_SYSCALL_TP, NOCAP, module_tp },
	} },
	[EDR_FEAT_BPF] = { "bpf", {
		{ "lsm", "lsm__bpf", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
		{ "fentry", "fexit__bpf_prog_load", EDR_CAP_FENTRY, NOCAP, bpf_fentry },
		{ "kprobe", "kprobe__security_bpf", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_exit_bpf", EDR_CAP_SYSCALL_TP, NOCAP },
	} },
	[EDR_FEAT_MOUNT] = { "mount", {
		{ "lsm", "lsm__sb_mount", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, mount_lsm },
		{ "fentry", "fexit__path_mount", EDR_CAP_FENTRY, NOCAP },
		{ "kprobe", "kprobe__path_mount", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_exit_mount", EDR_CAP_SYSCALL_TP, NOCAP, mount_tp },
	} },
	/* accept has no LSM path: security_socket_accept runs before a peer exists. */
	[EDR_FEAT_NET_CONNECT] = { "net_connect", {
		{ "lsm", "lsm__socket_connect", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
		{ "fentry", "fexit__inet_stream_connect", EDR_CAP_FENTRY, NOCAP, net_connect_fentry },
		{ "kprobe", "kprobe__inet_stream_connect", EDR_CAP_KPROBE, NOCAP, net_connect_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_connect", EDR_CAP_SYSCALL_TP, NOCAP },
	} },
	[EDR_FEAT_NET_ACCEPT] = { "net_accept", {
		{ "fentry", "fexit__inet_accept", EDR_CAP_FENTRY, NOCAP },
		{ "kprobe", "kretprobe__inet_csk_accept", EDR_CAP_KPROBE, NOCAP },
		{ "tracepoint", "tracepoint__sys_exit_accept4", EDR_CAP_SYSCALL_TP, NOCAP, net_accept_tp },
	} },
	[EDR_FEAT_NET_BIND] = { "net_bind", {
		{ "lsm", "lsm__socket_bind", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM, net_bind_lsm },
		{ "fentry", "fexit__inet_bind", EDR_CAP_FENTRY, NOCAP, net_bind_fentry },
		{ "kprobe", "kprobe__inet_bind", EDR_CAP_KPROBE, NOCAP, net_bind_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_bind", EDR_CAP_SYSCALL_TP, NOCAP, net_bind_tp },
	} },
	[EDR_FEAT_NET_SEND] = { "net_send", {
		{ "lsm", "lsm__socket_sendmsg", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM },
		{ "fentry", "fexit__udp_sendmsg", EDR_CAP_FENTRY, NOCAP, net_send_fentry },
		{ "kprobe", "kprobe__udp_sendmsg", EDR_CAP_KPROBE, NOCAP, net_send_kprobe },
		{ "tracepoint", "tracepoint__sys_exit_sendto", EDR_CAP_SYSCALL_TP, NOCAP, net_send_tp },
	} },
};

struct edr_loader {
	struct edr_bpf *skel;
	struct bpf_link *links[EDR_FEAT__COUNT];
	struct bpf_link *more_links[EDR_FEAT__COUNT][EDR_MAX_MORE];
	struct edr_feature_status status[EDR_FEAT__COUNT];
};

const char *edr_feature_name(enum edr_feature f)
{
	return f < EDR_FEAT__COUNT ? features[f].name : "?";
}

static int npaths(const struct feature_def *fd)
{
	int n = 0;

	while (n < EDR_MAX_PATHS && fd->paths[n].name)
		n++;
	return n;
}

/* "lsm,fentry,kprobe,tracepoint": each feature's path names in order of
 * preference, joined once at load from the table above. */
static char path_lists[EDR_FEAT__COUNT][EDR_MAX_PATHS * 16];

__attribute__((constructor)) static void path_lists_init(void)
{
	size_t f, i, o;

	for (f = 0; f < EDR_FEAT__COUNT; f++)
		for (i = 0, o = 0; i < (size_t)npaths(&features[f]); i++)
			o += (size_t)snprintf(path_lists[f] + o, sizeof(path_lists[f]) - o, "%s%s",
					      i ? "," : "", features[f].paths[i].name);
}

const char *edr_feature_paths(enum edr_feature f)
{
	return f < EDR_FEAT__COUNT ? path_lists[f] : "";
}

int edr_feature_by_name(const char *name)
{
	int f;

	for (f = 0; f < EDR_FEAT__COUNT; f++)
		if (!strcmp(features[f].name, name))
			return f;
	return -1;
}

const char *edr_feat_state_name(enum edr_feat_state s)
{
	switch (s) {
	case EDR_FEAT_OFF: return "off";
	case EDR_FEAT_ACTIVE: return "active";
	case EDR_FEAT_DEGRADED: return "degraded";
	case EDR_FEAT_UNAVAILABLE: return "unavailable";
	}
	return "?";
}

/* Whether the syscall tracepoint a "tracepoint__sys_..." program attaches
 * to exists. */
static int syscall_tp_exists(const char *prog)
{
	char event[128];

	if (strncmp(prog, "tracepoint__sys_", strlen("tracepoint__sys_")))
		return 1;
	snprintf(event, sizeof(event), "syscalls/%s", prog + strlen("tracepoint__"));
	return edr_tracefs_has(event, F_OK);
}

/* Picks the first path not yet refused; refusal reasons stay in why[]. */
static void choose(struct edr_feature_status *st, const struct feature_def *fd,
		   const struct edr_probe *probe, const struct edr_loader_opts *opts,
		   enum edr_feature f, const int refused[EDR_MAX_PATHS])
{
	int i;

	st->name = fd->name;
	st->npaths = npaths(fd);
	st->chosen = -1;
	for (i = 0; i < st->npaths; i++)
		st->paths[i] = fd->paths[i].name;
	if (opts && opts->disabled[f]) {
		st->state = EDR_FEAT_OFF;
		for (i = 0; i < st->npaths; i++)
			snprintf(st->why[i], sizeof(st->why[i]), "feature disabled by configuration");
		return;
	}
	for (i = 0; i < st->npaths; i++) {
		const struct path_def *pd = &fd->paths[i];

		if (refused[i])
			continue; /* why[] already says why */
		if (opts && opts->force[f] && strcmp(opts->force[f], pd->name)) {
			snprintf(st->why[i], sizeof(st->why[i]), "not the forced path (%s)", opts->force[f]);
			continue;
		}
		if (!probe->ok[pd->cap]) {
			snprintf(st->why[i], sizeof(st->why[i]), "%s", probe->detail[pd->cap]);
			continue;
		}
		if (pd->cap2 != NOCAP && !probe->ok[pd->cap2]) {
			snprintf(st->why[i], sizeof(st->why[i]), "%s", probe->detail[pd->cap2]);
			continue;
		}
		if (pd->cap == EDR_CAP_SYSCALL_TP && !syscall_tp_exists(pd->prog)) {
			/* e.g. no init_module without CONFIG_MODULES: refused here
			 * rather than by a failed attach and a second load. */
			snprintf(st->why[i], sizeof(st->why[i]), "no tracepoint syscalls:%s in this kernel",
				 pd->prog + strlen("tracepoint__"));
			continue;
		}
		if (st->chosen < 0) {
			st->chosen = i;
			snprintf(st->why[i], sizeof(st->why[i]), "chosen");
		} else {
			snprintf(st->why[i], sizeof(st->why[i]), "available, not needed");
		}
	}
	if (st->chosen < 0)
		st->state = EDR_FEAT_UNAVAILABLE;
	else
		st->state = st->chosen == 0 ? EDR_FEAT_ACTIVE : EDR_FEAT_DEGRADED;
}

void edr_loader__plan(const struct edr_probe *probe, const struct edr_loader_opts *opts,
		      struct edr_feature_status status[EDR_FEAT__COUNT])
{
	int refused[EDR_MAX_PATHS] = {};
	int f;

	memset(status, 0, sizeof(*status) * EDR_FEAT__COUNT);
	for (f = 0; f < EDR_FEAT__COUNT; f++)
		choose(&status[f], &features[f], probe, opts, f, refused);
}

/* libbpf's output is global; while the loader runs it is routed here. */
static const struct edr_loader_opts *cur_opts;
static char failed_prog[128];

static int loader_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	const char *p, *q;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = 0;
	/* "libbpf: prog 'NAME': failed to load: -13" names the program a
	 * verifier or attach failure belongs to. */
	if ((p = strstr(msg, "prog '")) && strstr(msg, "fail") && (q = strchr(p + 6, '\''))) {
		size_t n = q - (p + 6);

		if (n < sizeof(failed_prog)) {
			memcpy(failed_prog, p + 6, n);
			failed_prog[n] = 0;
		}
	}
	if (cur_opts && cur_opts->log)
		cur_opts->log(level == LIBBPF_DEBUG, msg, cur_opts->log_ctx);
	return 0;
}

static void note(const struct edr_loader_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(const struct edr_loader_opts *opts, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!opts || !opts->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	opts->log(0, msg, opts->log_ctx);
}

void edr_loader__detach(struct edr_loader *l)
{
	int f;

	if (!l)
		return;
	for (f = 0; f < EDR_FEAT__COUNT; f++) {
		bpf_link__destroy(l->links[f]);
		l->links[f] = NULL;
		for (int m = 0; m < EDR_MAX_MORE; m++) {
			bpf_link__destroy(l->more_links[f][m]);
			l->more_links[f][m] = NULL;
		}
	}
}

static void destroy(struct edr_loader *l)
{
	edr_loader__detach(l);
	edr_bpf__destroy(l->skel);
	l->skel = NULL;
}

/* Finds the feature and path a program implements. */
static int prog_owner(const char *prog, int *feat, int *path)
{
	int f, i;

	for (f = 0; f < EDR_FEAT__COUNT; f++)
		for (i = 0; i < EDR_MAX_PATHS && features[f].paths[i].name; i++) {
			const char *const *m = features[f].paths[i].more;
			int hit = !strcmp(features[f].paths[i].prog, prog);

			for (; m && *m && !hit; m++)
				hit = !strcmp(more_name(*m), prog);
			if (hit) {
				*feat = f;
				*path = i;
				return 0;
			}
		}
	return -ENOENT;
}

static int configure(struct edr_loader *l, const struct edr_loader_opts *opts)
{
	struct bpf_program *prog;
	uint32_t ring = opts->ring_size ? opts->ring_size : 8u << 20;
	int f, err;

	l->skel->rodata->cfg_self_tgid = opts->self_tgid;
	l->skel->rodata->cfg_target_tgid = opts->target_tgid;
	l->skel->rodata->cfg_wakeup_bytes = opts->wakeup_bytes;
	l->skel->rodata->cfg_open_dedup_ns = opts->open_dedup_ns;
	err = bpf_map__set_max_entries(l->skel->maps.events, ring);
	if (err)
		return err;
	bpf_object__for_each_program(prog, l->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (f = 0; f < EDR_FEAT__COUNT; f++) {
		struct edr_feature_status *st = &l->status[f];

		if (st->chosen < 0)
			continue;
		prog = bpf_object__find_program_by_name(l->skel->obj, features[f].paths[st->chosen].prog);
		if (!prog)
			return -ENOENT;
		bpf_program__set_autoload(prog, true);
		for (const char *const *m = features[f].paths[st->chosen].more; m && *m; m++) {
			prog = bpf_object__find_program_by_name(l->skel->obj, more_name(*m));
			if (!prog)
				return -ENOENT;
			bpf_program__set_autoload(prog, true);
		}
	}
	return 0;
}

/* Attaches the chosen path's further programs; a refusal refuses the path. */
static int attach_more(struct edr_loader *l, int f, const struct edr_loader_opts *opts)
{
	struct edr_feature_status *st = &l->status[f];
	const char *const *more = features[f].paths[st->chosen].more;
	int m, e;

	for (m = 0; more && more[m]; m++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(l->skel->obj, more_name(more[m]));

		if (m >= EDR_MAX_MORE) {
			snprintf(st->why[st->chosen], sizeof(st->why[st->chosen]),
				 "more than %d programs in one path (EDR_MAX_MORE)", EDR_MAX_MORE + 1);
			return -E2BIG;
		}

		l->more_links[f][m] = bpf_program__attach(prog);
		if (l->more_links[f][m])
			continue;
		e = -errno;
		if (more[m][0] == '?' && e == -ENOENT) {
			note(opts, "%s: %s not in this kernel, ignoring", features[f].name, more_name(more[m]));
			continue;
		}
		snprintf(st->why[st->chosen], sizeof(st->why[st->chosen]),
			 "refused by the kernel at attach: %s: %s", more_name(more[m]), strerror(-e));
		note(opts, "%s: %s path refused at attach (%s: %s), trying the next", features[f].name,
		     features[f].paths[st->chosen].name, more_name(more[m]), strerror(-e));
		return e;
	}
	return 0;
}

struct edr_loader *edr_loader__new(const struct edr_probe *probe, const struct edr_loader_opts *opts,
				   char *err, size_t errlen)
{
	static const struct edr_loader_opts no_opts;
	int refused[EDR_FEAT__COUNT][EDR_MAX_PATHS] = {};
	libbpf_print_fn_t old_print;
	struct edr_loader *l;
	int attempt, f, e = 0, any;

	if (!opts)
		opts = &no_opts;
	if (opts->ring_size && (opts->ring_size < 4096 || (opts->ring_size & (opts->ring_size - 1)))) {
		snprintf(err, errlen, "ring buffer size %u is not a power of two >= 4096", opts->ring_size);
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	cur_opts = opts;
	old_print = libbpf_set_print(loader_print);

	/* Each failed attempt refuses one more path; the number of paths bounds it. */
	for (attempt = 0; attempt < EDR_FEAT__COUNT * EDR_MAX_PATHS + 1; attempt++) {
		int retry = 0;

		for (f = 0; f < EDR_FEAT__COUNT; f++) {
			char saved[EDR_MAX_PATHS][200];

			memcpy(saved, l->status[f].why, sizeof(saved));
			choose(&l->status[f], &features[f], probe, opts, f, refused[f]);
			for (int i = 0; i < EDR_MAX_PATHS; i++)
				if (refused[f][i])
					memcpy(l->status[f].why[i], saved[i], sizeof(saved[i]));
		}
		l->skel = edr_bpf__open();
		if (!l->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open BPF object: %s", strerror(-e));
			goto fail;
		}
		e = configure(l, opts);
		if (e) {
			snprintf(err, errlen, "cannot configure BPF object: %s", strerror(-e));
			goto fail;
		}
		failed_prog[0] = 0;
		e = edr_bpf__load(l->skel);
		if (e) {
			int pf, pp;

			if (!failed_prog[0] || prog_owner(failed_prog, &pf, &pp)) {
				snprintf(err, errlen, "cannot load BPF programs: %s", strerror(-e));
				goto fail;
			}
			refused[pf][pp] = 1;
			snprintf(l->status[pf].why[pp], sizeof(l->status[pf].why[pp]),
				 "refused by the kernel at load: %s", strerror(-e));
			note(opts, "%s: %s path refused at load (%s), trying the next", features[pf].name,
			     features[pf].paths[pp].name, strerror(-e));
			destroy(l);
			continue;
		}
		for (f = 0; f < EDR_FEAT__COUNT; f++) {
			struct edr_feature_status *st = &l->status[f];
			struct bpf_program *prog;

			if (st->chosen < 0)
				continue;
			prog = bpf_object__find_program_by_name(l->skel->obj, features[f].paths[st->chosen].prog);
			l->links[f] = bpf_program__attach(prog);
			if (!l->links[f]) {
				e = -errno;
				refused[f][st->chosen] = 1;
				snprintf(st->why[st->chosen], sizeof(st->why[st->chosen]),
					 "refused by the kernel at attach: %s", strerror(-e));
				note(opts, "%s: %s path refused at attach (%s), trying the next", features[f].name,
				     features[f].paths[st->chosen].name, strerror(-e));
				retry = 1;
				continue;
			}
			e = attach_more(l, f, opts);
			if (e) {
				refused[f][st->chosen] = 1;
				retry = 1;
			}
		}
		if (retry) {
			destroy(l);
			continue;
		}
		break;
	}
	if (!l->skel) {
		snprintf(err, errlen, "BPF programs could not be loaded after every fallback");
		e = -ENOEXEC;
		goto fail;
	}
	any = 0;
	for (f = 0; f < EDR_FEAT__COUNT; f++)
		if (l->status[f].chosen >= 0)
			any = 1;
	if (!any) {
		snprintf(err, errlen, "no feature could be attached on this kernel (see --probe)");
		e = -ENOTSUP;
		goto fail;
	}
	libbpf_set_print(old_print);
	cur_opts = NULL;
	return l;
fail:
	libbpf_set_print(old_print);
	cur_opts = NULL;
	destroy(l);
	free(l);
	errno = -e;
	return NULL;
}

void edr_loader__free(struct edr_loader *l)
{
	if (!l)
		return;
	destroy(l);
	free(l);
}

const struct edr_feature_status *edr_loader__status(const struct edr_loader *l)
{
	return l->status;
}

int edr_loader__ring_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int edr_loader__stats_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.stats);
}

int edr_loader__deny_exec_fd(const struct edr_loader *l)
{
	return bpf_map__fd(l->skel->maps.deny_exec);
}

int edr_loader__prog_ids(const struct edr_loader *l, uint32_t *ids, int max)
{
	int f, n = 0;

	for (f = 0; f < EDR_FEAT__COUNT && n < max; f++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		const struct edr_feature_status *st = &l->status[f];
		struct bpf_program *prog;

		if (!l->links[f] || st->chosen < 0)
			continue;
		prog = bpf_object__find_program_by_name(l->skel->obj, features[f].paths[st->chosen].prog);
		if (prog && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			ids[n++] = info.id;
		for (int m = 0; m < EDR_MAX_MORE && n < max; m++) {
			if (!l->more_links[f][m])
				continue;
			prog = bpf_object__find_program_by_name(l->skel->obj,
				more_name(features[f].paths[st->chosen].more[m]));
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (prog && !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
				ids[n++] = info.id;
		}
	}
	return n;
}
