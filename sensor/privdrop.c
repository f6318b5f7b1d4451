// SPDX-License-Identifier: GPL-2.0-only
/*
 * Run-phase privilege drop: capabilities, no_new_privs, seccomp allow-list.
 * Why each capability and each syscall group stays: README, "Privileges".
 */
#include "sensor/privdrop.h"

#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define BIT(c) (UINT64_C(1) << (c))

/*
 * Kept after the drop:
 *  CAP_BPF, CAP_PERFMON   bpf() on the loaded maps (content loads rewrite
 *                         them; bpf() needs CAP_BPF with unprivileged BPF off)
 *  CAP_SYS_ADMIN          fanotify_init for protect rules made active by a
 *                         content load; cgroup and pin operations of isolate
 *  CAP_NET_ADMIN          isolate: cgroup_skb links attached on demand
 *  CAP_KILL               kill responses against other users' processes
 *  CAP_SYS_PTRACE         /proc/PID/{exe,cwd,fd} and pidfds of every process
 *  CAP_DAC_READ_SEARCH    hashing and reading any executable
 *  CAP_DAC_OVERRIDE,      quarantine moves files out of and back into
 *  CAP_FOWNER, CAP_CHOWN  directories the sensor does not own, and restores
 *                         owner and mode; fanotify's O_NOATIME opens
 */
static const uint64_t keep_caps = BIT(CAP_BPF) | BIT(CAP_PERFMON) | BIT(CAP_SYS_ADMIN) |
				  BIT(CAP_NET_ADMIN) | BIT(CAP_KILL) | BIT(CAP_SYS_PTRACE) |
				  BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_DAC_OVERRIDE) |
				  BIT(CAP_FOWNER) | BIT(CAP_CHOWN);

uint64_t edr_privdrop__keep(void)
{
	return keep_caps;
}

/*
 * The run phase's calls, by what needs them. Not here, so refused: execve
 * and execveat (the daemon never runs programs), ptrace, process_vm_*,
 * mount and friends (bpffs and tracefs are mounted before), module, kexec,
 * reboot, swap, clock setting, set*id, setns/unshare, keyctl, io_uring,
 * userfaultfd, personality, and perf_event_open (attaching is over).
 */
static const char *const allow[] = {
	/* memory, threads, signals, exit */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mlock", "munlock",
	"membarrier", "clone", "clone3", "fork", "vfork", "exit", "exit_group", "wait4", "waitid",
	"futex", "futex_waitv", "set_robust_list", "get_robust_list", "set_tid_address", "rseq",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigpending",
	"sigaltstack", "signalfd4", "kill", "tgkill", "tkill", "pidfd_open", "pidfd_send_signal",
	"restart_syscall", "sched_yield", "sched_getaffinity", "sched_setaffinity",
	"arch_prctl", "prctl", "getpriority", "setpriority",
	"getcpu", "msync", "mincore", "alarm", "setitimer", "getitimer", "timer_create",
	"timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "sched_getparam",
	"sched_getscheduler", "getsid", "getpgid",
	/* identity and limits (read only) */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "getgroups",
	"getresuid", "getresgid", "capget", "getrlimit", "prlimit64", "getrusage", "uname",
	"sysinfo", "umask", "getcwd",
	/* time */
	"clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
	"times", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	/* descriptors, polling */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "ioctl",
	"pipe", "pipe2", "eventfd2", "lseek", "poll", "ppoll", "select", "pselect6",
	"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "getrandom",
	"memfd_create",
	/* files: outputs, content store, state, quarantine, hashing, /proc */
	"open", "openat", "openat2", "stat", "fstat", "lstat", "newfstatat", "statx", "statfs",
	"fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents64",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"link", "linkat", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown",
	"fchownat", "utimensat", "fsync", "fdatasync", "sync_file_range", "ftruncate",
	"fallocate", "flock", "fadvise64", "sendfile", "copy_file_range", "splice",
	"name_to_handle_at", "open_by_handle_at", "fchdir", "chdir", "inotify_init1",
	"inotify_add_watch", "inotify_rm_watch",
	"getxattr", "lgetxattr", "fgetxattr", "listxattr", "flistxattr",
	/* BPF maps and links, fanotify */
	"bpf", "fanotify_init", "fanotify_mark",
	/* control socket, journald, /dev/log, netlink */
	"socket", "socketpair", "bind", "listen", "accept", "accept4", "connect", "shutdown",
	"sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "getsockname",
	"getpeername", "getsockopt", "setsockopt",
};

/* Refusals per syscall number (and what report() already logged). */
#define NR_MAX 1024
static _Atomic uint32_t refused[NR_MAX + 1]; /* [NR_MAX]: numbers beyond the table */
static uint32_t reported[NR_MAX + 1];
static _Atomic uint64_t refused_total;

/* SIGSYS from SECCOMP_RET_TRAP: the call did not run; make it return
 * -EPERM, as a filtered call would, and count it. Async-signal-safe. */
static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	int nr = si->si_syscall;

	(void)sig;
	atomic_fetch_add_explicit(&refused[nr >= 0 && nr < NR_MAX ? nr : NR_MAX], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&refused_total, 1, memory_order_relaxed);
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
#error "on_sigsys: set the syscall return register for this architecture"
#endif
}

uint64_t edr_privdrop__denied(void)
{
	return atomic_load_explicit(&refused_total, memory_order_relaxed);
}

void edr_privdrop__report(void (*log)(void *ctx, const char *line), void *ctx)
{
	char line[160];
	int nr;

	for (nr = 0; nr <= NR_MAX; nr++) {
		uint32_t n = atomic_load_explicit(&refused[nr], memory_order_relaxed);
		char *name;

		if (n == reported[nr])
			continue;
		name = nr < NR_MAX ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr) : NULL;
		snprintf(line, sizeof(line), "seccomp: refused %s (nr %d) %u times (total %llu)",
			 name ? name : "?", nr < NR_MAX ? nr : -1, n - reported[nr],
			 (unsigned long long)edr_privdrop__denied());
		free(name);
		reported[nr] = n;
		log(ctx, line);
	}
}

static int drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t have, keep;
	int c, last = CAP_LAST_CAP, can_setpcap;
	FILE *f;

	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -errno;
	}
	have = d[0].permitted | (uint64_t)d[1].permitted << 32;
	can_setpcap = !!(d[0].effective & BIT(CAP_SETPCAP));
	/* The running kernel's last capability, which may be past this header's. */
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last) != 1 || last < 0 || last > 63)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the rest below. Without it (a unit whose bounding set is
	 * already the start-up set), what the unit set stays. */
	for (c = 0; can_setpcap && c <= last; c++) {
		if (keep_caps & BIT(c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) {
			snprintf(err, errlen, "dropping capability %d from the bounding set: %s", c,
				 strerror(errno));
			return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(err, errlen, "clearing the ambient capabilities: %s", strerror(errno));
		return -errno;
	}
	keep = have & keep_caps;
	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = (uint32_t)keep;
	d[1].permitted = d[1].effective = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int install_filter(char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO | SA_RESTART };
	scmp_filter_ctx ctx;
	sigset_t set;
	size_t i;
	int rc;

	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(err, errlen, "sigaction(SIGSYS): %s", strerror(errno));
		return -errno;
	}
	/* A blocked SIGSYS would make the kernel kill the thread instead. */
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allow[i]);

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a call of this architecture (open on arm64) */
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc && rc != -EEXIST) {
			snprintf(err, errlen, "seccomp: allowing %s: %s", allow[i], strerror(-rc));
			goto out;
		}
	}
	/* Every thread: the control, response and content threads are running. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		snprintf(err, errlen, "seccomp: loading the filter: %s", strerror(-rc));
out:
	seccomp_release(ctx);
	return rc;
}

int edr_privdrop__caps(char *err, size_t errlen)
{
	int rc = drop_caps(err, errlen);

	if (rc)
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int edr_privdrop__seccomp(char *err, size_t errlen)
{
	return install_filter(err, errlen);
}

int edr_privdrop__apply(int seccomp, char *err, size_t errlen)
{
	int rc = edr_privdrop__caps(err, errlen);

	if (rc)
		return rc;
	return seccomp ? edr_privdrop__seccomp(err, errlen) : 0;
}
