// SPDX-License-Identifier: GPL-2.0-only
/*
 * The process family's features (bpf/exec.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

/* BTF-typed tracepoints are cheaper to read from; raw tracepoints work on
 * every kernel the sensor supports. */
const struct edr_feature_def edr_process_features[] = {
	{ "exec", {
		EDR_PATH("tp_btf", EDR_CAP_TP_BTF, NOCAP,
			EDR_PROG(tp_btf__sched_process_exec)),
		EDR_PATH("raw_tp", EDR_CAP_RAW_TP, NOCAP,
			EDR_PROG(raw_tp__sched_process_exec)),
	} },
	{ "fork", {
		EDR_PATH("tp_btf", EDR_CAP_TP_BTF, NOCAP,
			EDR_PROG(tp_btf__sched_process_fork)),
		EDR_PATH("raw_tp", EDR_CAP_RAW_TP, NOCAP,
			EDR_PROG(raw_tp__sched_process_fork)),
	} },
	{ "exit", {
		EDR_PATH("tp_btf", EDR_CAP_TP_BTF, NOCAP,
			EDR_PROG(tp_btf__sched_process_exit)),
		EDR_PATH("raw_tp", EDR_CAP_RAW_TP, NOCAP,
			EDR_PROG(raw_tp__sched_process_exit)),
	} },
	/* Refusing an exec (loader/enforce.h, EDR_EXEC_MODE_*): the LSM
	 * fails it with EPERM; else kill-at-exec, SIGKILL from the exec
	 * tracepoint before the new image runs an instruction. */
	{ "exec_enforce", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__bprm_check_security)),
		EDR_PATH("kill", EDR_CAP_TP_BTF, NOCAP,
			EDR_PROG(tp_btf__exec_kill)),
		EDR_PATH("kill_raw_tp", EDR_CAP_RAW_TP, NOCAP,
			EDR_PROG(raw_tp__exec_kill)),
	} },
};
const size_t edr_process_features_n = sizeof(edr_process_features) / sizeof(edr_process_features[0]);
