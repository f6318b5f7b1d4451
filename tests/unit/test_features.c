// SPDX-License-Identifier: GPL-2.0-only
/*
 * The feature registry against the BPF object, without root: the skeleton
 * is opened (never loaded) and every program in it must belong to exactly
 * one feature and one attach path of loader/features/, every table entry
 * must name a program once, and the features keep the order users see.
 * A program added to bpf/ without a feature fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "loader/feature_def.h"
#include "edr.skel.h"

/* The order of --probe, edrctl status and the configuration's help: these
 * first, as they always were (the enforcement features of issue 12 sit with
 * their families); a new family's features come after them. */
static const char *const order[] = {
	"exec", "fork", "exit", "exec_enforce",
	"file_write", "file_unlink", "file_rename", "file_attr", "file_link", "file_enforce",
	"memfd", "mem_wx",
	"cred", "ptrace", "vm_write",
	"module", "bpf", "mount",
	"net_connect", "net_accept", "net_bind", "net_send", "net_enforce", "isolate",
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static void test_order_and_names(void **state)
{
	int f, g, n = edr_feature_count();

	assert_true(n >= (int)(sizeof(order) / sizeof(order[0])));
	assert_true(n <= EDR_MAX_FEATURES);
	for (f = 0; f < n; f++) {
		if (f < (int)(sizeof(order) / sizeof(order[0])))
			assert_string_equal(edr_feature_name(f), order[f]);
		assert_int_equal(edr_feature_by_name(edr_feature_name(f)), f);
		for (g = 0; g < f; g++)
			assert_string_not_equal(edr_feature_name(g), edr_feature_name(f));
	}
	assert_int_equal(edr_feature_by_name("nonsense"), -1);
	assert_null(edr_feature_def(n));
	assert_null(edr_feature_def(-1));
	assert_string_equal(edr_feature_name(n), "?");
	assert_string_equal(edr_feature_paths(n), "");
	assert_string_equal(edr_feature_paths(edr_feature_by_name("exec")), "tp_btf,raw_tp");
	assert_string_equal(edr_feature_paths(edr_feature_by_name("file_write")), "lsm,fentry,kprobe,tracepoint");
}

static void test_paths_well_formed(void **state)
{
	int f, p, q;

	for (f = 0; f < edr_feature_count(); f++) {
		const struct edr_feature_def *fd = edr_feature_def(f);
		int np = edr_feature_npaths(fd);

		assert_true(np >= 1);
		for (p = 0; p < np; p++) {
			const struct edr_path_def *pd = &fd->paths[p];

			assert_true(pd->nprogs >= 1 && pd->nprogs <= EDR_MAX_PROGS);
			/* The main program is what plans check and what always attaches. */
			assert_false(pd->progs[0].optional);
			for (q = 0; q < p; q++)
				assert_string_not_equal(fd->paths[q].name, pd->name);
		}
	}
}

/* Every program of the object in exactly one (feature, path); every table
 * entry a program of the object whose name it carries. */
static void test_every_program_once(void **state)
{
	struct edr_bpf *skel;
	struct bpf_program *prog;
	libbpf_print_fn_t old = libbpf_set_print(quiet);
	int f, p, i, nprogs = 0, listed = 0;

	skel = edr_bpf__open();
	libbpf_set_print(old);
	assert_non_null(skel);
	bpf_object__for_each_program(prog, skel->obj) {
		const char *owner = NULL, *owner_path = NULL;
		int uses = 0;

		nprogs++;
		for (f = 0; f < edr_feature_count(); f++) {
			const struct edr_feature_def *fd = edr_feature_def(f);

			for (p = 0; p < edr_feature_npaths(fd); p++)
				for (i = 0; i < fd->paths[p].nprogs; i++) {
					if (edr_prog(skel, &fd->paths[p].progs[i]) != prog)
						continue;
					if (uses++)
						fail_msg("program %s listed twice: %s/%s and %s/%s",
							 bpf_program__name(prog), owner, owner_path, fd->name,
							 fd->paths[p].name);
					owner = fd->name;
					owner_path = fd->paths[p].name;
				}
		}
		if (!uses)
			fail_msg("program %s belongs to no feature (add it to loader/features/)",
				 bpf_program__name(prog));
	}
	for (f = 0; f < edr_feature_count(); f++) {
		const struct edr_feature_def *fd = edr_feature_def(f);

		for (p = 0; p < edr_feature_npaths(fd); p++)
			for (i = 0; i < fd->paths[p].nprogs; i++) {
				const struct edr_prog_ref *r = &fd->paths[p].progs[i];

				prog = edr_prog(skel, r);
				assert_non_null(prog);
				assert_string_equal(bpf_program__name(prog), r->name);
				listed++;
			}
	}
	assert_int_equal(listed, nprogs);
	edr_bpf__destroy(skel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_names),
		cmocka_unit_test(test_paths_well_formed),
		cmocka_unit_test(test_every_program_once),
	};

	return cmocka_run_group_tests_name("features", tests, NULL, NULL);
}
