// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mem family's features (bpf/mem.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_mem_features[] = {
	/* No LSM hook sees memfd_create itself (only the shmem inode). */
	{ "memfd", {
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__sys_memfd_create)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(ksyscall__memfd_create)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_memfd_create),
			EDR_PROG(tracepoint__sys_exit_memfd_create)),
	} },
	{ "mem_wx", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__mmap_file),
			EDR_PROG(lsm__file_mprotect)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__vm_mmap_pgoff),
			EDR_PROG(fexit__do_mprotect_pkey)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__vm_mmap_pgoff),
			EDR_PROG(kprobe__do_mprotect_pkey)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_mmap),
			EDR_PROG(tracepoint__sys_exit_mprotect), EDR_PROG(tracepoint__sys_exit_pkey_mprotect)),
	} },
};
const size_t edr_mem_features_n = sizeof(edr_mem_features) / sizeof(edr_mem_features[0]);
