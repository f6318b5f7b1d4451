/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What differs between architectures, chosen by the build's
 * -D__TARGET_ARCH_<arch> (Makefile: ARCH): the name of the syscall wrappers
 * that fentry/fexit attach to, the register that holds the current syscall
 * number, and the syscall numbers tested against it. Everything else reads
 * syscall arguments through libbpf's arch-neutral macros (BPF_KSYSCALL,
 * PT_REGS_PARM*_SYSCALL, PT_REGS_PARM*_CORE_SYSCALL). A new architecture is
 * a block here and its vmlinux.h.
 *
 * Hooks: none (macros only). The wrappers take the caller's saved struct
 * pt_regs as their only argument on x86-64 (4.17) and arm64 (4.19).
 */
#ifndef EDR_ARCH_BPF_H
#define EDR_ARCH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#if defined(__TARGET_ARCH_x86)

#define EDR_SYSCALL_PREFIX "__x64_sys_"
/* The syscall number, kept apart from ax (the return value) on entry. */
#define EDR_REGS_SYSCALL_NR(regs) BPF_CORE_READ((const struct pt_regs *)(regs), orig_ax)

/* arch/x86/entry/syscalls/syscall_64.tbl */
#define EDR_NR_EXECVE            59
#define EDR_NR_PTRACE            101
#define EDR_NR_SETUID            105
#define EDR_NR_SETGID            106
#define EDR_NR_SETREUID          113
#define EDR_NR_SETREGID          114
#define EDR_NR_SETRESUID         117
#define EDR_NR_SETRESGID         119
#define EDR_NR_SETFSUID          122
#define EDR_NR_SETFSGID          123
#define EDR_NR_CAPSET            126
#define EDR_NR_PROCESS_VM_WRITEV 311
#define EDR_NR_EXECVEAT          322

#elif defined(__TARGET_ARCH_arm64)

#define EDR_SYSCALL_PREFIX "__arm64_sys_"
/* A CO-RE flavour: the field exists in arm64's struct pt_regs only. */
struct pt_regs___edr_arm64 {
	int syscallno;
};
#define EDR_REGS_SYSCALL_NR(regs) BPF_CORE_READ((const struct pt_regs___edr_arm64 *)(regs), syscallno)

/* include/uapi/asm-generic/unistd.h */
#define EDR_NR_CAPSET            91
#define EDR_NR_PTRACE            117
#define EDR_NR_SETREGID          143
#define EDR_NR_SETGID            144
#define EDR_NR_SETREUID          145
#define EDR_NR_SETUID            146
#define EDR_NR_SETRESUID         147
#define EDR_NR_SETRESGID         149
#define EDR_NR_SETFSUID          151
#define EDR_NR_SETFSGID          152
#define EDR_NR_EXECVE            221
#define EDR_NR_PROCESS_VM_WRITEV 271
#define EDR_NR_EXECVEAT          281

#else
#error "bpf/arch.bpf.h: define __TARGET_ARCH_x86 or __TARGET_ARCH_arm64 (make ARCH=...)"
#endif

/* The section of a program on a syscall's wrapper function:
 * SEC(EDR_SYSCALL_SEC("fexit", memfd_create)). */
#define EDR_SYSCALL_SEC(hook, name) hook "/" EDR_SYSCALL_PREFIX #name

#endif /* EDR_ARCH_BPF_H */
