// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader/probe.h"

static const char *const cap_names[EDR_CAP__COUNT] = {
	[EDR_CAP_BTF] = "btf",
	[EDR_CAP_RINGBUF] = "ringbuf",
	[EDR_CAP_RAW_TP] = "raw_tp",
	[EDR_CAP_TP_BTF] = "tp_btf",
	[EDR_CAP_TRACEPOINT] = "tracepoint",
	[EDR_CAP_LSM_ACTIVE] = "bpf_lsm_active",
	[EDR_CAP_LSM] = "lsm",
	[EDR_CAP_FENTRY] = "fentry",
	[EDR_CAP_KPROBE] = "kprobe",
	[EDR_CAP_SYSCALL_TP] = "syscall_tp",
	[EDR_CAP_CGROUP_SOCK_ADDR] = "cgroup_sock_addr",
	[EDR_CAP_CGROUP_SKB] = "cgroup_skb",
};

const char *edr_cap_name(enum edr_cap cap)
{
	return cap < EDR_CAP__COUNT ? cap_names[cap] : "?";
}

static void set(struct edr_probe *p, enum edr_cap cap, int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set(struct edr_probe *p, enum edr_cap cap, int ok, const char *fmt, ...)
{
	va_list ap;

	p->ok[cap] = ok;
	va_start(ap, fmt);
	vsnprintf(p->detail[cap], sizeof(p->detail[cap]), fmt, ap);
	va_end(ap);
}

/* r0 = 0; exit: the smallest program every type accepts. */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/*
 * Loads a trial program of a BTF-attached type and attaches it through
 * BPF_RAW_TRACEPOINT_OPEN, which every kernel with the type supports.
 * Returns 0 or a negative errno; *stage says which step failed.
 */
static int trial_btf_prog(const struct btf *vmlinux, enum bpf_prog_type type,
			  enum bpf_attach_type attach, const char *func, const char **stage)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
	int id, prog_fd, link_fd, err;

	*stage = "lookup";
	id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
	if (id < 0) {
		/* tp_btf targets are typedefs btf_trace_<name> */
		char name[128];

		snprintf(name, sizeof(name), "btf_trace_%s", func);
		id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF);
		if (id < 0)
			return -ENOENT;
	}
	opts.attach_btf_id = id;
	*stage = "load";
	prog_fd = bpf_prog_load(type, "edr_probe", "GPL", ret0, 2, &opts);
	if (prog_fd < 0)
		return -errno;
	*stage = "attach";
	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	err = link_fd < 0 ? -errno : 0;
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	return err;
}

static int trial_raw_tp(const char *tp)
{
	int prog_fd, link_fd, err;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "edr_probe", "GPL", ret0, 2, NULL);
	if (prog_fd < 0)
		return -errno;
	link_fd = bpf_raw_tracepoint_open(tp, prog_fd);
	err = link_fd < 0 ? -errno : 0;
	if (link_fd >= 0)
		close(link_fd);
	close(prog_fd);
	return err;
}

/* A kprobe perf event on a function every kernel has, opened and closed. */
static int trial_kprobe(char *why, size_t len)
{
	struct perf_event_attr attr = { .size = sizeof(attr) };
	char buf[32] = "";
	int fd, type;
	FILE *f;

	f = fopen("/sys/bus/event_source/devices/kprobe/type", "r");
	if (!f) {
		snprintf(why, len, "no kprobe PMU (/sys/bus/event_source/devices/kprobe: %s)", strerror(errno));
		return -ENOENT;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		snprintf(why, len, "kprobe PMU type unreadable");
		return -EIO;
	}
	fclose(f);
	type = atoi(buf);
	attr.type = type;
	attr.config1 = (unsigned long)"vfs_read";
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		snprintf(why, len, "kprobe on vfs_read refused: %s", strerror(-err));
		return err;
	}
	close(fd);
	snprintf(why, len, "kprobe on vfs_read created");
	return 0;
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *edr_cgroup2_root(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sf;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!statfs(roots[i], &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
			return roots[i];
	return NULL;
}

/*
 * A cgroup program of type that returns 1 (allow, pass), attached to the
 * cgroup2 root for a moment through a link: harmless to traffic, and the
 * only proof the attach works (a cgroup1-only host, or a kernel built
 * without CONFIG_CGROUP_BPF, refuses it).
 */
static int trial_cgroup(enum bpf_prog_type type, enum bpf_attach_type attach, char *why, size_t len)
{
	static const struct bpf_insn ret1[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);
	const char *root = edr_cgroup2_root();
	int cg, prog_fd, link_fd, err;

	if (!root) {
		snprintf(why, len, "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified");
		return -ENOENT;
	}
	prog_fd = bpf_prog_load(type, "edr_probe", "GPL", ret1, 2, &opts);
	if (prog_fd < 0) {
		err = -errno;
		snprintf(why, len, "load refused: %s", strerror(-err));
		return err;
	}
	cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		err = -errno;
		close(prog_fd);
		snprintf(why, len, "%s: %s", root, strerror(-err));
		return err;
	}
	link_fd = bpf_link_create(prog_fd, cg, attach, NULL);
	err = link_fd < 0 ? -errno : 0;
	if (link_fd >= 0)
		close(link_fd);
	close(cg);
	close(prog_fd);
	if (err)
		snprintf(why, len, "attach to %s refused: %s", root, strerror(-err));
	else
		snprintf(why, len, "attached to %s", root);
	return err;
}

static int lsm_listed(char *why, size_t len)
{
	char buf[512] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "r");
	char *tok, *save = NULL;

	if (!f) {
		snprintf(why, len, "/sys/kernel/security/lsm: %s (securityfs not mounted?)", strerror(errno));
		return 0;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "bpf")) {
			snprintf(why, len, "bpf listed in /sys/kernel/security/lsm");
			return 1;
		}
	}
	snprintf(why, len, "bpf not in lsm list '%.100s' (boot with lsm=...,bpf)", buf);
	return 0;
}

int edr_probe__privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
	if (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN))
		return 0;
	if (data[CAP_TO_INDEX(CAP_BPF)].effective & CAP_TO_MASK(CAP_BPF))
		return 0;
	return -EPERM;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int edr_tracefs_has(const char *event, int mode)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], event);
		if (access(path, mode) == 0)
			return 1;
	}
	return 0;
}

void edr_probe__run(struct edr_probe *p)
{
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	struct btf *vmlinux = NULL;
	struct utsname u;
	const char *stage;
	int err;

	memset(p, 0, sizeof(*p));
	if (!uname(&u))
		snprintf(p->kernel, sizeof(p->kernel), "%s", u.release);

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		set(p, EDR_CAP_BTF, 0, "no kernel BTF: %s (CONFIG_DEBUG_INFO_BTF needed)", strerror(errno));
	else
		set(p, EDR_CAP_BTF, 1, "/sys/kernel/btf/vmlinux");

	err = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	set(p, EDR_CAP_RINGBUF, err == 1, err == 1 ? "ring buffer maps supported" :
	    "ring buffer maps not supported (needs 5.8)");

	err = trial_raw_tp("sched_process_exec");
	set(p, EDR_CAP_RAW_TP, !err, err ? "raw tracepoint sched_process_exec: %s" :
	    "raw tracepoint sched_process_exec attached", strerror(-err));

	if (access("/sys/kernel/tracing/events/sched/sched_process_exec/id", R_OK) == 0)
		set(p, EDR_CAP_TRACEPOINT, 1, "tracefs events present");
	else
		set(p, EDR_CAP_TRACEPOINT, 0, "/sys/kernel/tracing/events/sched: %s (tracefs not mounted?)",
		    strerror(errno));

	p->ok[EDR_CAP_LSM_ACTIVE] = lsm_listed(p->detail[EDR_CAP_LSM_ACTIVE],
					       sizeof(p->detail[EDR_CAP_LSM_ACTIVE]));

	if (vmlinux) {
		err = trial_btf_prog(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
				     "sched_process_exec", &stage);
		set(p, EDR_CAP_TP_BTF, !err, err ? "tp_btf sched_process_exec: %s failed: %s" :
		    "tp_btf sched_process_exec loaded and attached%.0s%.0s", stage, err ? strerror(-err) : "");
		err = trial_btf_prog(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "vfs_read", &stage);
		set(p, EDR_CAP_FENTRY, !err, err ? "fentry vfs_read: %s failed: %s" :
		    "fentry vfs_read loaded and attached%.0s%.0s", stage, err ? strerror(-err) : "");
		err = trial_btf_prog(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC,
				     "bpf_lsm_bprm_check_security", &stage);
		set(p, EDR_CAP_LSM, !err, err ? "lsm bprm_check_security: %s failed: %s" :
		    "lsm bprm_check_security loaded and attached%.0s%.0s", stage, err ? strerror(-err) : "");
	} else {
		set(p, EDR_CAP_TP_BTF, 0, "needs kernel BTF");
		set(p, EDR_CAP_FENTRY, 0, "needs kernel BTF");
		set(p, EDR_CAP_LSM, 0, "needs kernel BTF");
	}
	if (!p->ok[EDR_CAP_LSM] && !p->ok[EDR_CAP_LSM_ACTIVE])
		snprintf(p->detail[EDR_CAP_LSM], sizeof(p->detail[EDR_CAP_LSM]),
			 "BPF LSM not active (add bpf to the lsm= boot parameter)");

	err = trial_kprobe(p->detail[EDR_CAP_KPROBE], sizeof(p->detail[EDR_CAP_KPROBE]));
	p->ok[EDR_CAP_KPROBE] = !err;

	/* Syscall events need CONFIG_FTRACE_SYSCALLS. */
	if (edr_tracefs_has("syscalls/sys_enter_openat", R_OK))
		set(p, EDR_CAP_SYSCALL_TP, 1, "syscalls:sys_enter_openat present");
	else
		set(p, EDR_CAP_SYSCALL_TP, 0, "no syscalls:sys_enter_openat in tracefs: %s "
		    "(tracefs not mounted, or no CONFIG_FTRACE_SYSCALLS)", strerror(errno));

	err = trial_cgroup(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT,
			   p->detail[EDR_CAP_CGROUP_SOCK_ADDR], sizeof(p->detail[0]));
	p->ok[EDR_CAP_CGROUP_SOCK_ADDR] = !err;
	err = trial_cgroup(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, p->detail[EDR_CAP_CGROUP_SKB],
			   sizeof(p->detail[0]));
	p->ok[EDR_CAP_CGROUP_SKB] = !err;

	btf__free(vmlinux);
	libbpf_set_print(old);
}
