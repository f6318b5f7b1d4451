// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kern family's features (bpf/kern.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_kern_features[] = {
	{ "module", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__kernel_read_file),
			EDR_PROG(lsm__kernel_load_data)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__security_kernel_read_file),
			EDR_PROG(kprobe__security_kernel_load_data)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_finit_module),
			EDR_PROG(tracepoint__sys_exit_init_module),
			EDR_PROG_OPT(raw_tp__module_load)), /* CONFIG_MODULES: names a module that loads */
	} },
	{ "bpf", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__bpf)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__bpf_prog_load),
			EDR_PROG(fexit__map_create)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__security_bpf)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_bpf)),
	} },
	{ "mount", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__sb_mount),
			EDR_PROG(lsm__move_mount)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__path_mount)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__path_mount)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_mount),
			EDR_PROG_OPT(tracepoint__sys_exit_move_mount)), /* 5.2 */
	} },
};
const size_t edr_kern_features_n = sizeof(edr_kern_features) / sizeof(edr_kern_features[0]);
