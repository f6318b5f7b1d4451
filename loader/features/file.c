// SPDX-License-Identifier: GPL-2.0-only
/*
 * The file family's features (bpf/file.bpf.h): attach paths in order of preference,
 * each listing its programs as skeleton members, so a misspelt program
 * fails the build. The first program of a path is its main one.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_file_features[] = {
	{ "file_write", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__file_open),
			EDR_PROG(lsm__path_truncate)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__do_filp_open),
			EDR_PROG(fexit__vfs_truncate)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__vfs_open),
			EDR_PROG(kprobe__vfs_truncate)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_exit_openat),
			EDR_PROG(tracepoint__sys_exit_open), EDR_PROG(tracepoint__sys_exit_creat),
			EDR_PROG_OPT(tracepoint__sys_exit_openat2), /* 5.6 */
			EDR_PROG(tracepoint__sys_enter_truncate), EDR_PROG(tracepoint__sys_exit_truncate),
			EDR_PROG(tracepoint__sys_enter_ftruncate), EDR_PROG(tracepoint__sys_exit_ftruncate)),
	} },
	{ "file_unlink", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__path_unlink),
			EDR_PROG(lsm__path_rmdir)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fentry__do_unlinkat),
			EDR_PROG(fexit__vfs_unlink), EDR_PROG(fexit__do_unlinkat),
			EDR_PROG(fentry__do_rmdir), EDR_PROG(fexit__vfs_rmdir), EDR_PROG(fexit__do_rmdir)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__do_unlinkat),
			EDR_PROG(kprobe__do_rmdir)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_unlinkat),
			EDR_PROG(tracepoint__sys_exit_unlinkat),
			EDR_PROG(tracepoint__sys_enter_unlink), EDR_PROG(tracepoint__sys_exit_unlink),
			EDR_PROG(tracepoint__sys_enter_rmdir), EDR_PROG(tracepoint__sys_exit_rmdir)),
	} },
	{ "file_rename", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__path_rename)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fentry__do_renameat2),
			EDR_PROG(fexit__vfs_rename), EDR_PROG(fexit__do_renameat2)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__do_renameat2)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_renameat2),
			EDR_PROG(tracepoint__sys_exit_renameat2),
			EDR_PROG(tracepoint__sys_enter_rename), EDR_PROG(tracepoint__sys_exit_rename),
			EDR_PROG(tracepoint__sys_enter_renameat), EDR_PROG(tracepoint__sys_exit_renameat)),
	} },
	{ "file_attr", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__path_chmod),
			EDR_PROG(lsm__path_chown)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fexit__chmod_common),
			/* fentry__chmod_common keeps chmod's old mode for fexit (bpf/file.bpf.h). */
			EDR_PROG(fexit__chown_common), EDR_PROG(fentry__chmod_common)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__chmod_common),
			EDR_PROG(kprobe__chown_common)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_fchmodat),
			EDR_PROG(tracepoint__sys_exit_fchmodat),
			EDR_PROG(tracepoint__sys_enter_chmod), EDR_PROG(tracepoint__sys_exit_chmod),
			EDR_PROG(tracepoint__sys_enter_fchmod), EDR_PROG(tracepoint__sys_exit_fchmod),
			EDR_PROG_OPT(tracepoint__sys_enter_fchmodat2), EDR_PROG_OPT(tracepoint__sys_exit_fchmodat2), /* 6.6 */
			EDR_PROG(tracepoint__sys_enter_chown), EDR_PROG(tracepoint__sys_exit_chown),
			EDR_PROG(tracepoint__sys_enter_lchown), EDR_PROG(tracepoint__sys_exit_lchown),
			EDR_PROG(tracepoint__sys_enter_fchown), EDR_PROG(tracepoint__sys_exit_fchown),
			EDR_PROG(tracepoint__sys_enter_fchownat), EDR_PROG(tracepoint__sys_exit_fchownat)),
	} },
	/* Links and symlinks: a feature of its own, so a kernel refusing one of
	 * its hooks never costs the other file features. */
	{ "file_link", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__path_link),
			EDR_PROG(lsm__path_symlink)),
		EDR_PATH("fentry", EDR_CAP_FENTRY, NOCAP,
			EDR_PROG(fentry__do_linkat),
			EDR_PROG(fexit__vfs_link), EDR_PROG(fexit__do_linkat),
			EDR_PROG(fentry__do_symlinkat), EDR_PROG(fexit__vfs_symlink), EDR_PROG(fexit__do_symlinkat)),
		EDR_PATH("kprobe", EDR_CAP_KPROBE, NOCAP,
			EDR_PROG(kprobe__do_linkat),
			EDR_PROG(kprobe__do_symlinkat)),
		EDR_PATH("tracepoint", EDR_CAP_SYSCALL_TP, NOCAP,
			EDR_PROG(tracepoint__sys_enter_linkat),
			EDR_PROG(tracepoint__sys_exit_linkat),
			EDR_PROG(tracepoint__sys_enter_link), EDR_PROG(tracepoint__sys_exit_link),
			EDR_PROG(tracepoint__sys_enter_symlink), EDR_PROG(tracepoint__sys_exit_symlink),
			EDR_PROG(tracepoint__sys_enter_symlinkat), EDR_PROG(tracepoint__sys_exit_symlinkat)),
	} },
	/* Refusing an open for write of a protected file (loader/enforce.h).
	 * Only the LSM can; elsewhere fanotify does it from user space. */
	{ "file_enforce", {
		EDR_PATH("lsm", EDR_CAP_LSM_ACTIVE, EDR_CAP_LSM,
			EDR_PROG(lsm__enforce_file_open)),
	} },
};
const size_t edr_file_features_n = sizeof(edr_file_features) / sizeof(edr_file_features[0]);
