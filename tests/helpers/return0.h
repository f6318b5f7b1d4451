/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smallest BPF program there is (r0 = 0; exit), loaded with the raw
 * bpf() syscall, no libbpf and no object file: what the tests' and the
 * benchmarks' helpers load when they need a program of their own.
 */
#ifndef EDR_TESTS_RETURN0_H
#define EDR_TESTS_RETURN0_H

#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A program of TYPE named NAME (cut to the kernel's 15 bytes): its fd, or
 * -1 with errno set. */
static inline int edr_load_return0(enum bpf_prog_type type, const char *name)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	return syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
}

#endif
