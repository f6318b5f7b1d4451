// SPDX-License-Identifier: GPL-2.0-only
/*
 * The priv family's features (bpf/priv.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_priv_features[] = {
	{ "cred", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__task_fix_setuid),
			EDR_PROG_OPT(lsm__task_fix_setgid) /* 5.19 */, EDR_PROG(lsm__capset)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fentry__commit_creds)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__commit_creds)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_setuid),
			EDR_PROG(tracepoint__sys_exit_setuid),
			EDR_PROG(tracepoint__sys_enter_setgid), EDR_PROG(tracepoint__sys_exit_setgid),
			EDR_PROG(tracepoint__sys_enter_setreuid), EDR_PROG(tracepoint__sys_exit_setreuid),
			EDR_PROG(tracepoint__sys_enter_setregid), EDR_PROG(tracepoint__sys_exit_setregid),
			EDR_PROG(tracepoint__sys_enter_setresuid), EDR_PROG(tracepoint__sys_exit_setresuid),
			EDR_PROG(tracepoint__sys_enter_setresgid), EDR_PROG(tracepoint__sys_exit_setresgid),
			EDR_PROG(tracepoint__sys_enter_setfsuid), EDR_PROG(tracepoint__sys_exit_setfsuid),
			EDR_PROG(tracepoint__sys_enter_setfsgid), EDR_PROG(tracepoint__sys_exit_setfsgid),
			EDR_PROG(tracepoint__sys_enter_capset), EDR_PROG(tracepoint__sys_exit_capset)),
	} },
	{ "ptrace", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__ptrace_access_check),
			EDR_PROG(lsm__ptrace_traceme)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__ptrace_attach),
			EDR_PROG(fexit__ptrace_traceme)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__ptrace_attach),
			EDR_PROG(kprobe__ptrace_traceme)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_ptrace),
			EDR_PROG(tracepoint__sys_exit_ptrace)),
	} },
	{ "vm_write", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__ptrace_access_check_vm)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__sys_process_vm_writev)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(ksyscall__process_vm_writev)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_process_vm_writev),
			EDR_PROG(tracepoint__sys_exit_process_vm_writev)),
	} },
};
const size_t edr_priv_features_n = sizeof(edr_priv_features) / sizeof(edr_priv_features[0]);
