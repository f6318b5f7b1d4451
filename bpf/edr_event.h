/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one event ABI shared by the BPF programs and user space.
 *
 * Rules for this file: fixed-width types only in wire structs (no bool, enum,
 * long or pointers), natural alignment with explicit padding, the common
 * header first in every record, and _Static_assert on every size and offset
 * that user space relies on, so clang (BPF) and gcc (user space) agree.
 * Variable-length data (paths, argv) follows the fixed part of a record; its
 * lengths are in the fixed part and the decoder checks them against
 * hdr.size before reading anything.
 */
#ifndef EDR_EVENT_H
#define EDR_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* 2: the attach source moved from each family's flags into hdr.flags.
 * 3: denial records (struct edr_deny after the fixed part of an exec, net
 *    or file record); EXEC_DENIED is struct edr_exec_denied. */
#define EDR_ABI_VERSION 3

enum edr_event_type {
	EDR_EVENT_EXEC = 1,        /* struct edr_exec */
	EDR_EVENT_FORK = 2,        /* struct edr_fork */
	EDR_EVENT_EXIT = 3,        /* struct edr_exit */
	EDR_EVENT_EXEC_DENIED = 4, /* struct edr_exec_denied: refused (lsm) or killed at exec */
	EDR_EVENT_FILE_CREATE = 5, /* struct edr_file: a new file (open O_CREAT that created it) */
	EDR_EVENT_FILE_WRITE = 6,  /* struct edr_file: existing file opened for write or truncate */
	EDR_EVENT_FILE_UNLINK = 7, /* struct edr_file: unlink or rmdir */
	EDR_EVENT_FILE_RENAME = 8, /* struct edr_file: old_path -> path */
	EDR_EVENT_FILE_CHMOD = 9,  /* struct edr_file: mode is the new mode */
	EDR_EVENT_FILE_CHOWN = 10, /* struct edr_file: uid/gid are the new owner */
	/* Numbers below are assigned; a type without a producer yet is never
	 * sent (the decoder refuses it until its struct exists). */
	EDR_EVENT_NET_CONNECT = 11,   /* struct edr_net */
	EDR_EVENT_NET_ACCEPT = 12,    /* struct edr_net */
	EDR_EVENT_NET_BIND = 13,      /* struct edr_net */
	EDR_EVENT_NET_LISTEN = 14,    /* struct edr_net */
	EDR_EVENT_NET_SEND = 15,      /* struct edr_net: UDP datagram to a new destination */
	EDR_EVENT_CRED_CHANGE = 16,   /* struct edr_cred: setuid family and capset */
	EDR_EVENT_PTRACE = 17,        /* struct edr_ptrace: ptrace attach */
	EDR_EVENT_PROC_VM_WRITE = 18, /* struct edr_vm_write: process_vm_writev into another process */
	EDR_EVENT_MODULE_LOAD = 19,   /* struct edr_module: init_module, finit_module */
	EDR_EVENT_BPF_PROG = 20,      /* struct edr_bpf: bpf() program load by another process */
	EDR_EVENT_BPF_MAP = 21,       /* struct edr_bpf: bpf() map creation by another process */
	EDR_EVENT_MOUNT = 22,         /* struct edr_mount: mount(2), move_mount(2) */
	EDR_EVENT_MEMFD_CREATE = 23,  /* struct edr_memfd */
	EDR_EVENT_MEM_WX = 24,        /* struct edr_mem_wx: mmap or mprotect of W+X memory */
	EDR_EVENT_FILE_LINK = 25,     /* struct edr_file: hard link old_path -> path */
	EDR_EVENT_FILE_SYMLINK = 26,  /* struct edr_file: symlink path -> old_path (target) */
	EDR_EVENT_SIGNAL = 27,        /* struct edr_signal: kill, tkill, tgkill, sigqueue to another process */
	EDR_EVENT_NET_DENIED = 28,    /* struct edr_net_denied: connect or sendmsg refused by policy */
	EDR_EVENT_FILE_DENIED = 29,   /* struct edr_file_denied: open for write refused by policy */
	_EDR_EVENT_MAX,
};

/* Bounds of the variable-length parts (bytes, terminating NUL included). */
#define EDR_PATH_MAX 4096
#define EDR_ARGV_MAX 8192
#define EDR_COMM_LEN 16
/* Largest record any program emits; the decoder rejects anything bigger. */
#define EDR_EVENT_MAX_SIZE 32768

struct edr_event_hdr {
	__u16 type;    /* enum edr_event_type */
	__u16 version; /* EDR_ABI_VERSION */
	__u32 size;    /* whole record, header included */
	__u64 ts_ns;   /* CLOCK_BOOTTIME nanoseconds */
	__u64 seq;     /* per-CPU sequence number, from 1, counted before reserve */
	__u32 cpu;
	__u32 flags;   /* EDR_SRC_* in EDR_HDR_SRC_MASK; the other bits reserved, 0 */
};

/* struct edr_event_hdr.flags: the attach path that observed the record,
 * for every record type. */
#define EDR_HDR_SRC_MASK    0xfu
#define EDR_SRC_TRACEPOINT  0 /* syscalls:* tracepoints */
#define EDR_SRC_LSM         1
#define EDR_SRC_FENTRY      2 /* fentry and fexit */
#define EDR_SRC_KPROBE      3 /* kprobe, kretprobe, ksyscall */
#define EDR_SRC_TP_BTF      4
#define EDR_SRC_RAW_TP      5
#define EDR_SRC_CGROUP      6 /* cgroup/connect4|6, cgroup/sendmsg4|6 */

/* The process an event is about (the subject). */
struct edr_task {
	__u32 pid;       /* kernel task id (thread id) */
	__u32 tgid;      /* process id */
	__u32 ppid;      /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 auid;      /* login uid, 4294967295 when unset */
	__u32 sessionid; /* audit session id */
	__u32 _pad0;
	__u64 cgroup_id;        /* cgroup v2 id of the task */
	__u64 start_ns;         /* group leader's start_boottime */
	__u64 parent_start_ns;  /* real parent's group leader start_boottime */
	char comm[EDR_COMM_LEN];
};

/* struct edr_exec.flags */
#define EDR_EXEC_ARGV_TRUNC     (1u << 0)
#define EDR_EXEC_PATH_TRUNC     (1u << 1)
#define EDR_EXEC_CWD_TRUNC      (1u << 2)
#define EDR_EXEC_FILENAME_TRUNC (1u << 3)
/* (1u << 4) was EDR_EXEC_FROM_LSM before ABI 2: see hdr.flags. */
/* Fileless execution. The path then reads like the kernel's d_path() (and
 * /proc/PID/exe): "/memfd:NAME (deleted)", or the old path + " (deleted)". */
#define EDR_EXEC_MEMFD          (1u << 5) /* the file is a memfd ("memfd:" pseudo file) */
#define EDR_EXEC_DELETED        (1u << 6) /* the file's inode has no name left (nlink 0) */

/*
 * Tail, in this order, each exactly *_len bytes: filename (as the caller
 * wrote it), path (resolved executable), cwd, argv (NUL-separated args).
 * String lengths include their NUL; 0 means absent.
 */
struct edr_exec {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 old_pid;  /* thread id before exec (differs when a thread execs) */
	__u32 flags;    /* EDR_EXEC_* */
	__u32 argc;     /* arguments in argv (before truncation if known) */
	__u32 dev;      /* executable's device, kernel encoding (major << 20 | minor) */
	__u64 ino;      /* executable's inode number */
	__u16 filename_len;
	__u16 path_len;
	__u16 cwd_len;
	__u16 argv_len;
};

struct edr_fork {
	struct edr_event_hdr hdr;
	struct edr_task task;   /* the child */
	__u32 parent_pid;
	__u32 parent_tgid;
	__u32 child_pid;
	__u32 child_tgid;
};

struct edr_exit {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 exit_code;  /* wait(2) status: (code << 8) | signal */
	__u32 _pad0;
};

/* struct edr_file.flags */
#define EDR_FILE_PATH_TRUNC     (1u << 0) /* path longer or deeper than walked */
#define EDR_FILE_OLD_PATH_TRUNC (1u << 1)
#define EDR_FILE_TRUNCATE       (1u << 2) /* opened with O_TRUNC */
#define EDR_FILE_SETID          (1u << 3) /* new mode has S_ISUID or S_ISGID */
/* path (old_path) is the name as the caller wrote it, relative to the
 * directory fd in dirfd (old_dirfd), which the kernel side could not resolve;
 * user space resolves it (racy, best effort). */
#define EDR_FILE_PATH_RELATIVE     (1u << 4)
#define EDR_FILE_OLD_PATH_RELATIVE (1u << 5)
#define EDR_FILE_ATTEMPT        (1u << 6) /* seen before the operation: its result is unknown */
#define EDR_FILE_DIR            (1u << 7) /* the object is a directory (rmdir, ...) */
/* chmod: old_mode holds the mode before the change (else it is unknown:
 * chmod by name on the tracepoint path cannot read the inode at entry). */
#define EDR_FILE_OLD_MODE       (1u << 8)

/*
 * File events. Tail, in this order, each exactly *_len bytes: path (the
 * file, after the operation: the new name for a rename or link, the link
 * itself for a symlink), old_path (rename source, hard link's existing file,
 * symlink's target as written). Lengths include the NUL; 0 means absent.
 */
struct edr_file {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;      /* EDR_FILE_* */
	__s32 ret;        /* syscall result (0 or -errno); 0 when EDR_FILE_ATTEMPT */
	__u32 open_flags; /* open(2) flags, create/write only */
	__u32 mode;       /* file mode (type and permissions); the new mode for chmod */
	__u32 uid;        /* chown: new owner, 4294967295 = unchanged; else the file's */
	__u32 gid;
	__u32 dev;        /* kernel encoding (major << 20 | minor), 0 when unknown */
	__s32 dirfd;      /* with EDR_FILE_PATH_RELATIVE */
	__u64 ino;        /* 0 when unknown */
	__s32 old_dirfd;  /* with EDR_FILE_OLD_PATH_RELATIVE */
	__u16 path_len;
	__u16 old_path_len;
	__u32 old_mode;   /* chmod with EDR_FILE_OLD_MODE: the mode before (type and permissions) */
	__u32 _pad1;
};

/* struct edr_memfd.flags and struct edr_mem_wx.flags */
#define EDR_MEM_NAME_TRUNC      (1u << 0) /* memfd name longer than read */
#define EDR_MEM_PATH_TRUNC      (1u << 1)
#define EDR_MEM_ATTEMPT         (1u << 2) /* seen before the call: ret is unknown (0) */
#define EDR_MEM_FILE            (1u << 3) /* W+X: the mapping is backed by a file */
#define EDR_MEM_RANGE_VMA       (1u << 4) /* W+X: addr/len are the whole mapping the change falls in */
#define EDR_MEM_ADDR_UNKNOWN    (1u << 5) /* W+X: the hook has no address or length (lsm/mmap_file) */

/* memfd_create(2). Tail: name (as given, without the kernel's "memfd:"
 * prefix), name_len bytes with the NUL; 0 when unreadable. */
struct edr_memfd {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;      /* EDR_MEM_* */
	__u32 mfd_flags;  /* MFD_* as passed */
	__s32 ret;        /* the new fd or -errno; 0 with EDR_MEM_ATTEMPT */
	__u16 name_len;
	__u16 _pad0;
};

/* struct edr_mem_wx.op */
#define EDR_MEM_OP_MMAP         1
#define EDR_MEM_OP_MPROTECT     2
#define EDR_MEM_OP_PKEY_MPROTECT 3 /* with a protection key (pkey_mprotect, key != -1) */

/* Memory made writable and executable at once. Tail: path of the backing
 * file (EDR_MEM_FILE), path_len bytes with the NUL; 0 when absent. */
struct edr_mem_wx {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;      /* EDR_MEM_* */
	__u32 prot;       /* PROT_* requested */
	__u32 mmap_flags; /* MAP_* (mmap only) */
	__u32 op;         /* EDR_MEM_OP_* */
	__u64 addr;       /* start: the mapped address after mmap, else as requested */
	__u64 len;
	__s64 ret;        /* mmap: address or -errno; mprotect: 0 or -errno; 0 with EDR_MEM_ATTEMPT */
	__u64 ino;        /* backing file, 0 when anonymous or unknown */
	__u32 dev;        /* kernel encoding (major << 20 | minor) */
	__u16 path_len;
	__u16 _pad0;
};

/* struct edr_cred.syscall: what changed the credentials. */
#define EDR_CRED_SYS_OTHER     0  /* commit_creds from elsewhere (keyctl, setgroups, ...) */
#define EDR_CRED_SYS_SETUID    1
#define EDR_CRED_SYS_SETGID    2
#define EDR_CRED_SYS_SETREUID  3
#define EDR_CRED_SYS_SETREGID  4
#define EDR_CRED_SYS_SETRESUID 5
#define EDR_CRED_SYS_SETRESGID 6
#define EDR_CRED_SYS_SETFSUID  7
#define EDR_CRED_SYS_SETFSGID  8
#define EDR_CRED_SYS_CAPSET    9
#define EDR_CRED_SYS_EXECVE    10 /* a setuid/setgid or file-capability exec */
#define EDR_CRED_SYS_MAX       11

/* struct edr_cred.flags */
#define EDR_CRED_ATTEMPT (1u << 0) /* seen before the change was committed */
#define EDR_CRED_EXEC    (1u << 1) /* changed by an exec */

/* One side of a credential change. Capability sets are the kernel's
 * 64-bit masks (bit N = capability N). */
struct edr_ids {
	__u32 uid;
	__u32 euid;
	__u32 suid;
	__u32 fsuid;
	__u32 gid;
	__u32 egid;
	__u32 sgid;
	__u32 fsgid;
	__u64 cap_effective;
	__u64 cap_permitted;
	__u64 cap_inheritable;
};

/* EDR_EVENT_CRED_CHANGE: sent only when an id or a capability set differs
 * between old and new. task describes the process before the change. */
struct edr_cred {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;   /* EDR_CRED_* */
	__s32 ret;     /* syscall result; 0 when EDR_CRED_ATTEMPT or unknown */
	__u32 syscall; /* EDR_CRED_SYS_* */
	__u32 _pad0;
	struct edr_ids old_ids;
	struct edr_ids new_ids;
};

/* struct edr_ptrace.request (the uapi values) */
#define EDR_PTRACE_TRACEME 0
#define EDR_PTRACE_ATTACH  0x10
#define EDR_PTRACE_SEIZE   0x4206

/* struct edr_ptrace.flags */
#define EDR_PTRACE_ATTEMPT (1u << 0) /* seen before the attach: its result is unknown */
/* target_pid is the caller's argument (its pid namespace): the tracee could
 * not be found on the tracer's list (it exited at once); target_tgid and
 * target_comm are unknown (0, ""). */
#define EDR_PTRACE_TARGET_AS_GIVEN (1u << 1)

/* EDR_EVENT_PTRACE: an attach. For ATTACH and SEIZE task is the tracer and
 * target the tracee; for TRACEME task and target are the caller (the
 * tracee) and tracer_tgid its parent. */
struct edr_ptrace {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;        /* EDR_PTRACE_* */
	__s32 ret;          /* 0, or -errno when known */
	__u64 request;      /* EDR_PTRACE_* */
	__u32 target_pid;   /* tracee's thread id */
	__u32 target_tgid;  /* tracee's process id */
	__u32 tracer_tgid;
	__u32 _pad0;
	char target_comm[EDR_COMM_LEN];
};

/* struct edr_vm_write.flags */
#define EDR_VM_ATTEMPT        (1u << 0) /* seen before the copy: ret unknown (0) */
#define EDR_VM_IOV_TRUNC      (1u << 1) /* bytes_req counts the first EDR_VM_IOV_MAX local iovecs */
#define EDR_VM_TARGET_AS_GIVEN (1u << 2) /* target_pid is the caller's argument (its pid
					 * namespace); target_tgid and target_comm unknown */
#define EDR_VM_IOV_MAX 8

/* EDR_EVENT_PROC_VM_WRITE: process_vm_writev into another process. */
struct edr_vm_write {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;        /* EDR_VM_* */
	__u32 target_pid;
	__u32 target_tgid;  /* 0 when unknown */
	__u32 _pad0;
	__u64 liovcnt;
	__u64 riovcnt;
	__u64 bytes_req;    /* sum of the local iov_len */
	__s64 ret;          /* bytes written or -errno; 0 when EDR_VM_ATTEMPT */
	char target_comm[EDR_COMM_LEN];
};

/* struct edr_module / edr_bpf / edr_mount .flags (kernel-integrity events) */
#define EDR_KERN_ATTEMPT     (1u << 0) /* seen before the operation: ret is unknown (0) */
#define EDR_KERN_FROM_MEMORY (1u << 1) /* init_module(2): an image in memory, no file */
#define EDR_KERN_PATH_TRUNC  (1u << 2) /* a path longer or deeper than walked */
#define EDR_KERN_PATH_RELATIVE (1u << 3) /* mount target as written, not resolved */
#define EDR_KERN_STR_TRUNC   (1u << 4) /* a name or source string was cut */
/* struct edr_mount from move_mount(2) (the new mount API, 5.2): mount_flags
 * holds its MOVE_MOUNT_* flags, fstype and source describe the mount moved. */
#define EDR_KERN_MOVE_MOUNT  (1u << 5)

/*
 * init_module / finit_module. Tail, in this order, each exactly *_len bytes:
 * name (the module's name, known only once the kernel parsed it: success on
 * the tracepoint path), path (finit_module: the file behind fd). Lengths
 * include the NUL; 0 means absent.
 */
struct edr_module {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;      /* EDR_KERN_* */
	__s32 ret;        /* syscall result (0 or -errno); 0 with EDR_KERN_ATTEMPT */
	__u32 load_flags; /* finit_module flags (MODULE_INIT_*) */
	__s32 fd;         /* finit_module fd, -1 for init_module */
	__u64 len;        /* init_module image length, 0 for finit_module */
	__u16 name_len;
	__u16 path_len;
	__u32 _pad0;
};

/* Names of BPF programs and maps, as in union bpf_attr (NUL included). */
#define EDR_BPF_NAME_LEN 16

/*
 * bpf(BPF_PROG_LOAD) (type EDR_EVENT_BPF_PROG) and bpf(BPF_MAP_CREATE)
 * (EDR_EVENT_BPF_MAP). No tail. For a program, type is the program type,
 * attach_type its expected attach type, extra_flags prog_flags and size the
 * instruction count; for a map, type is the map type, extra_flags map_flags,
 * and key_size/value_size/max_entries are set. name may lack a NUL when it
 * fills all 16 bytes (the kernel refuses that, so only an attempt has it).
 */
struct edr_bpf {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;       /* EDR_KERN_* */
	__s32 ret;         /* syscall result: the new fd, or -errno; 0 with EDR_KERN_ATTEMPT */
	__u32 cmd;         /* BPF_PROG_LOAD or BPF_MAP_CREATE */
	__u32 type;        /* enum bpf_prog_type or enum bpf_map_type */
	__u32 attach_type; /* programs: expected_attach_type */
	__u32 extra_flags; /* prog_flags or map_flags */
	__u32 insn_cnt;    /* programs */
	__u32 key_size;    /* maps */
	__u32 value_size;  /* maps */
	__u32 max_entries; /* maps */
	char name[EDR_BPF_NAME_LEN];
};

/*
 * mount(2). Tail, in this order, each exactly *_len bytes: fstype, source
 * (the device string as given, absent for e.g. a remount without one),
 * target (the mount point; resolved against the cwd on the tracepoint path).
 * Lengths include the NUL; 0 means absent.
 */
struct edr_mount {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;       /* EDR_KERN_* */
	__s32 ret;         /* syscall result (0 or -errno); 0 with EDR_KERN_ATTEMPT */
	__u64 mount_flags; /* MS_* */
	__u16 fstype_len;
	__u16 source_len;
	__u16 target_len;
	__u16 _pad0;
};

#define EDR_FSTYPE_MAX 64

/* struct edr_net.flags */
#define EDR_NET_ATTEMPT         (1u << 0) /* seen before the operation: its result is unknown */
#define EDR_NET_SADDR_UNKNOWN   (1u << 1) /* the local address/port was not known yet */

/*
 * Network events: connect, accept, bind, listen, and a UDP datagram to a
 * destination the socket had not sent to before. Fixed size, no tail.
 * saddr/sport are always the socket's local side and daddr/dport the peer
 * (for accept: the client that connected). Addresses are as the socket
 * holds them: AF_INET in the first 4 bytes of the 16 (network order, the
 * rest zero); AF_INET6 all 16, so an IPv4 peer of a dual-stack socket
 * appears v4-mapped (::ffff:a.b.c.d). Ports are in host order; 0 = none or
 * unknown (bind/listen have no peer).
 */
struct edr_net {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;      /* EDR_NET_* */
	__s32 ret;        /* 0 or -errno (connect: -EINPROGRESS); 0 when EDR_NET_ATTEMPT */
	__u16 family;     /* AF_INET (2) or AF_INET6 (10) */
	__u16 protocol;   /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u16 sport;
	__u16 dport;
	__u8 saddr[16];
	__u8 daddr[16];
	__u64 sock_ino;   /* the socket's inode (socket:[N] in /proc/PID/fd); 0 when unknown */
};

/* struct edr_signal.flags */
#define EDR_SIGNAL_GROUP     (1u << 0) /* sent to the whole thread group (kill), not one thread */
/* struct edr_signal.code: how the signal was sent (si_code) */
#define EDR_SIGNAL_SI_USER   0   /* kill(2) */
#define EDR_SIGNAL_SI_QUEUE  (-1) /* sigqueue(3), rt_sigqueueinfo(2) */
#define EDR_SIGNAL_SI_TKILL  (-6) /* tkill(2), tgkill(2) */

/*
 * EDR_EVENT_SIGNAL: a process sent a signal to another process (kill,
 * tkill, tgkill, sigqueue), as the kernel generated it: task is the sender.
 * Signals the kernel sends itself (SIGCHLD, SIGPIPE, SIGSEGV, ...) and a
 * process's signals to itself are not reported. A kill refused by
 * permission checks never reaches the hook and is not seen.
 */
struct edr_signal {
	struct edr_event_hdr hdr;
	struct edr_task task;
	__u32 flags;       /* EDR_SIGNAL_* */
	__s32 code;        /* EDR_SIGNAL_SI_* */
	__u32 sig;
	__u32 result;      /* the kernel's TRACE_SIGNAL_*: 0 delivered, 1 ignored, 2 already pending,
			    * 3 queue overflow, 4 delivered without its info */
	__u32 target_pid;  /* thread the signal was sent to */
	__u32 target_tgid;
	char target_comm[EDR_COMM_LEN];
};

/* Per-CPU counters in the stats map, index 0. */
struct edr_bpf_stats {
	__u64 seq;         /* last sequence number handed out */
	__u64 emitted;     /* records committed to the ring buffer */
	__u64 drops;       /* records lost because the ring buffer was full */
	__u64 read_errors; /* kernel reads that failed (fields left empty) */
	__u64 denied;      /* execs refused (lsm) or killed at exec by policy */
	__u64 suppressed;  /* repeated write-opens counted, not sent (cfg_open_dedup_ns) */
	__u64 net_denied;  /* connects and sends refused by policy (lsm or cgroup) */
	__u64 file_denied; /* opens for write refused by policy (lsm) */
};

/* ---- Denials (ABI 3) ---- */

/* struct edr_deny.mechanism: what refused. */
#define EDR_MECH_LSM          1 /* a BPF LSM hook returned -EPERM */
#define EDR_MECH_KILL_AT_EXEC 2 /* SIGKILL from the exec tracepoint, before the first instruction */
#define EDR_MECH_CGROUP       3 /* cgroup/connect4|6 or cgroup/sendmsg4|6 refused (-EPERM) */
/* struct edr_deny.op: what was refused. */
#define EDR_DENY_OP_EXEC       1
#define EDR_DENY_OP_CONNECT    2
#define EDR_DENY_OP_SENDMSG    3
#define EDR_DENY_OP_OPEN_WRITE 4

/* Follows the fixed part of the record it extends (exec, net, file). */
struct edr_deny {
	__u32 rule;       /* the policy entry's rule number (struct edr_policy_*.rule) */
	__u16 mechanism;  /* EDR_MECH_* */
	__u16 op;         /* EDR_DENY_OP_* */
	__u32 generation; /* the policy generation that refused (0 or 1) */
	__u32 _pad0;
};

/* EDR_EVENT_EXEC_DENIED. Tail as struct edr_exec (filename, path, cwd,
 * argv), after the whole struct. lsm: the exec failed with EPERM, task is
 * the caller before the exec and argv is empty (not copied yet).
 * kill-at-exec: the new image was loaded and killed before it ran; task is
 * the process after the exec and argv is the new one. */
struct edr_exec_denied {
	struct edr_exec exec;
	struct edr_deny deny;
};

/* EDR_EVENT_NET_DENIED: the destination in daddr/dport as the caller gave
 * it (AF_INET in the first 4 bytes; a v4-mapped IPv6 destination stays in
 * IPv6 form), the local side unknown (EDR_NET_SADDR_UNKNOWN), ret -EPERM. */
struct edr_net_denied {
	struct edr_net net;
	struct edr_deny deny;
};

/* EDR_EVENT_FILE_DENIED: tail as struct edr_file (path only), after the
 * whole struct; ret -EPERM, open_flags the open(2) flags as the kernel
 * holds them (f_flags). */
struct edr_file_denied {
	struct edr_file file;
	struct edr_deny deny;
};

/* Key of the deny_open map (and of the exec identity before ABI 3). */
struct edr_file_key {
	__u64 ino;
	__u32 dev;  /* kernel encoding (major << 20 | minor) */
	__u32 gen;  /* policy generation, 0 or 1 */
};

/* ---- Enforcement maps: written by loader/enforce.c, read by bpf/enforce.bpf.h ---- */

/* struct edr_enforce_cfg.exec_mode (the values of enum edr_exec_mode). */
#define EDR_CFG_EXEC_OFF  0 /* deny_exec is not consulted */
#define EDR_CFG_EXEC_LSM  1 /* lsm/bprm_check_security refuses */
#define EDR_CFG_EXEC_KILL 2 /* the exec tracepoint kills */

/* The one entry of enforce_cfg. Zero is "enforcing, generation 0, exec map
 * not consulted": a map that is not set up refuses nothing. Every count is
 * an upper bound of the entries of that generation: 0 lets a program return
 * before any lookup. */
struct edr_enforce_cfg {
	__u32 off;        /* the kill switch: 1 = nothing is refused */
	__u32 gen;        /* the generation in force, 0 or 1 */
	__u32 exec_mode;  /* EDR_CFG_EXEC_* */
	__u32 _pad0;
	__u32 nexec[2];
	__u32 nnet[2];
	__u32 nfile[2];
};

/* Key of deny_exec: the executable's identity and change time. */
struct edr_exec_key {
	__u64 ino;
	__u64 ctime_ns;  /* inode change time, ns since the epoch */
	__u32 dev;       /* kernel encoding (major << 20 | minor) */
	__u32 gen;
};

/* LPM trie keys of deny_net4 / deny_net6: prefixlen counts bits from gen
 * on (32 + 16 + address prefix); port in network order, 0 = every port. */
struct edr_net4_key {
	__u32 prefixlen;
	__u32 gen;
	__u16 port;
	__u8 addr[4];
	__u8 _pad0[2];
};

struct edr_net6_key {
	__u32 prefixlen;
	__u32 gen;
	__u16 port;
	__u8 addr[16];
	__u8 _pad0[2];
};

/* Value of deny_net4 / deny_net6. */
struct edr_net_rule {
	__u32 rule;
	__u32 prefix;  /* address prefix length: a loopback destination is refused only by an exact entry */
};

/* LPM trie key of isolate_allow: port (network order, 0 = every port,
 * matching the local or the remote port) then the peer address, IPv4 as
 * ::ffff:a.b.c.d; prefixlen = 16 + address prefix (IPv4: + 96). */
struct edr_iso_key {
	__u32 prefixlen;
	__u16 port;
	__u8 addr[16];
	__u8 _pad0[2];
};

_Static_assert(sizeof(struct edr_event_hdr) == 32, "edr_event_hdr size");
_Static_assert(__builtin_offsetof(struct edr_event_hdr, flags) == 28, "edr_event_hdr.flags");
_Static_assert(EDR_SRC_TRACEPOINT == 0 && EDR_SRC_LSM == 1 && EDR_SRC_FENTRY == 2 && EDR_SRC_KPROBE == 3 &&
	       EDR_SRC_TP_BTF == 4 && EDR_SRC_RAW_TP == 5 && EDR_SRC_CGROUP == 6,
	       "attach sources keep their values");
_Static_assert((EDR_SRC_CGROUP & ~EDR_HDR_SRC_MASK) == 0, "every attach source fits EDR_HDR_SRC_MASK");
_Static_assert(sizeof(struct edr_task) == 80, "edr_task size");
_Static_assert(__builtin_offsetof(struct edr_task, cgroup_id) == 40, "edr_task.cgroup_id");
_Static_assert(__builtin_offsetof(struct edr_task, comm) == 64, "edr_task.comm");
_Static_assert(sizeof(struct edr_exec) == 144, "edr_exec size");
_Static_assert(__builtin_offsetof(struct edr_exec, ino) == 128, "edr_exec.ino");
_Static_assert(__builtin_offsetof(struct edr_exec, filename_len) == 136, "edr_exec.filename_len");
_Static_assert(sizeof(struct edr_fork) == 128, "edr_fork size");
_Static_assert(sizeof(struct edr_exit) == 120, "edr_exit size");
_Static_assert(sizeof(struct edr_file) == 168, "edr_file size");
_Static_assert(__builtin_offsetof(struct edr_file, old_mode) == 160, "edr_file.old_mode");
_Static_assert(__builtin_offsetof(struct edr_file, flags) == 112, "edr_file.flags");
_Static_assert(__builtin_offsetof(struct edr_file, ino) == 144, "edr_file.ino");
_Static_assert(__builtin_offsetof(struct edr_file, path_len) == 156, "edr_file.path_len");
_Static_assert(sizeof(struct edr_file) + 4 * EDR_PATH_MAX <= EDR_EVENT_MAX_SIZE,
	       "file record fits EDR_EVENT_MAX_SIZE");
_Static_assert(sizeof(struct edr_memfd) == 128, "edr_memfd size");
_Static_assert(__builtin_offsetof(struct edr_memfd, name_len) == 124, "edr_memfd.name_len");
_Static_assert(sizeof(struct edr_mem_wx) == 168, "edr_mem_wx size");
_Static_assert(__builtin_offsetof(struct edr_mem_wx, addr) == 128, "edr_mem_wx.addr");
_Static_assert(__builtin_offsetof(struct edr_mem_wx, ino) == 152, "edr_mem_wx.ino");
_Static_assert(__builtin_offsetof(struct edr_mem_wx, path_len) == 164, "edr_mem_wx.path_len");
_Static_assert(sizeof(struct edr_ids) == 56, "edr_ids size");
_Static_assert(sizeof(struct edr_cred) == 240, "edr_cred size");
_Static_assert(__builtin_offsetof(struct edr_cred, old_ids) == 128, "edr_cred.old_ids");
_Static_assert(__builtin_offsetof(struct edr_cred, new_ids) == 184, "edr_cred.new_ids");
_Static_assert(sizeof(struct edr_ptrace) == 160, "edr_ptrace size");
_Static_assert(__builtin_offsetof(struct edr_ptrace, request) == 120, "edr_ptrace.request");
_Static_assert(__builtin_offsetof(struct edr_ptrace, target_comm) == 144, "edr_ptrace.target_comm");
_Static_assert(sizeof(struct edr_vm_write) == 176, "edr_vm_write size");
_Static_assert(__builtin_offsetof(struct edr_vm_write, liovcnt) == 128, "edr_vm_write.liovcnt");
_Static_assert(__builtin_offsetof(struct edr_vm_write, target_comm) == 160, "edr_vm_write.target_comm");
_Static_assert(sizeof(struct edr_net) == 168, "edr_net size");
_Static_assert(__builtin_offsetof(struct edr_net, flags) == 112, "edr_net.flags");
_Static_assert(__builtin_offsetof(struct edr_net, family) == 120, "edr_net.family");
_Static_assert(__builtin_offsetof(struct edr_net, saddr) == 128, "edr_net.saddr");
_Static_assert(__builtin_offsetof(struct edr_net, daddr) == 144, "edr_net.daddr");
_Static_assert(__builtin_offsetof(struct edr_net, sock_ino) == 160, "edr_net.sock_ino");
_Static_assert(sizeof(struct edr_bpf_stats) == 64, "edr_bpf_stats size");
_Static_assert(sizeof(struct edr_module) == 144, "edr_module size");
_Static_assert(__builtin_offsetof(struct edr_module, flags) == 112, "edr_module.flags");
_Static_assert(__builtin_offsetof(struct edr_module, name_len) == 136, "edr_module.name_len");
_Static_assert(sizeof(struct edr_bpf) == 168, "edr_bpf size");
_Static_assert(__builtin_offsetof(struct edr_bpf, cmd) == 120, "edr_bpf.cmd");
_Static_assert(__builtin_offsetof(struct edr_bpf, name) == 152, "edr_bpf.name");
_Static_assert(sizeof(struct edr_mount) == 136, "edr_mount size");
_Static_assert(__builtin_offsetof(struct edr_mount, mount_flags) == 120, "edr_mount.mount_flags");
_Static_assert(__builtin_offsetof(struct edr_mount, fstype_len) == 128, "edr_mount.fstype_len");
_Static_assert(sizeof(struct edr_module) + 2 * EDR_PATH_MAX <= EDR_EVENT_MAX_SIZE,
	       "module record fits EDR_EVENT_MAX_SIZE");
_Static_assert(sizeof(struct edr_mount) + EDR_FSTYPE_MAX + 3 * EDR_PATH_MAX <= EDR_EVENT_MAX_SIZE,
	       "mount record fits EDR_EVENT_MAX_SIZE");
_Static_assert(sizeof(struct edr_file_key) == 16, "edr_file_key size");
_Static_assert(sizeof(struct edr_deny) == 16, "edr_deny size");
_Static_assert(sizeof(struct edr_exec_denied) == 160, "edr_exec_denied size");
_Static_assert(__builtin_offsetof(struct edr_exec_denied, deny) == 144, "edr_exec_denied.deny");
_Static_assert(sizeof(struct edr_net_denied) == 184, "edr_net_denied size");
_Static_assert(__builtin_offsetof(struct edr_net_denied, deny) == 168, "edr_net_denied.deny");
_Static_assert(sizeof(struct edr_file_denied) == 184, "edr_file_denied size");
_Static_assert(__builtin_offsetof(struct edr_file_denied, deny) == 168, "edr_file_denied.deny");
_Static_assert(sizeof(struct edr_file_denied) + EDR_PATH_MAX <= EDR_EVENT_MAX_SIZE,
	       "file denial fits EDR_EVENT_MAX_SIZE");
_Static_assert(sizeof(struct edr_exec_denied) + 3 * EDR_PATH_MAX + EDR_ARGV_MAX <= EDR_EVENT_MAX_SIZE,
	       "exec denial fits EDR_EVENT_MAX_SIZE");
_Static_assert(sizeof(struct edr_enforce_cfg) == 40, "edr_enforce_cfg size");
_Static_assert(sizeof(struct edr_exec_key) == 24, "edr_exec_key size");
_Static_assert(sizeof(struct edr_net4_key) == 16, "edr_net4_key size");
_Static_assert(__builtin_offsetof(struct edr_net4_key, addr) == 10, "edr_net4_key.addr");
_Static_assert(sizeof(struct edr_net6_key) == 28, "edr_net6_key size");
_Static_assert(__builtin_offsetof(struct edr_net6_key, addr) == 10, "edr_net6_key.addr");
_Static_assert(sizeof(struct edr_iso_key) == 24, "edr_iso_key size");
_Static_assert(__builtin_offsetof(struct edr_iso_key, addr) == 6, "edr_iso_key.addr");
_Static_assert(sizeof(struct edr_signal) == 152, "edr_signal size");
_Static_assert(__builtin_offsetof(struct edr_signal, flags) == 112, "edr_signal.flags");
_Static_assert(__builtin_offsetof(struct edr_signal, target_pid) == 128, "edr_signal.target_pid");
_Static_assert(__builtin_offsetof(struct edr_signal, target_comm) == 136, "edr_signal.target_comm");
_Static_assert(sizeof(struct edr_exec) + 3 * EDR_PATH_MAX + EDR_ARGV_MAX <= EDR_EVENT_MAX_SIZE,
	       "exec record fits EDR_EVENT_MAX_SIZE");

#endif /* EDR_EVENT_H */
