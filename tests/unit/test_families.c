// SPDX-License-Identifier: GPL-2.0-only
/*
 * The family registry's invariants: every record type of the ABI belongs
 * to exactly one family, with a size no smaller than the common header and
 * task, a unique statistics name, and the family it is looked up under.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/family/family.h"

static void test_every_type_in_one_family(void **state)
{
	unsigned claims[_EDR_EVENT_MAX] = { 0 };
	size_t f, i;
	unsigned t;

	(void)state;
	assert_true(edr_nfamilies > 0);
	for (f = 0; f < edr_nfamilies; f++) {
		const struct edr_family *fam = edr_families[f];

		assert_non_null(fam->name);
		assert_true(fam->ntypes > 0);
		for (i = 0; i < fam->ntypes; i++) {
			const struct edr_rectype *rt = &fam->types[i];

			assert_true(rt->type > 0 && rt->type < _EDR_EVENT_MAX);
			claims[rt->type]++;
			assert_ptr_equal(edr_rectype(rt->type), rt);
			assert_ptr_equal(edr_family_of(rt->type), fam);
			assert_true(rt->rec_size >= sizeof(struct edr_event_hdr) + sizeof(struct edr_task));
			assert_non_null(rt->stat);
			assert_non_null(rt->category);
			assert_non_null(rt->ecs_type);
			assert_non_null(rt->action);
		}
	}
	for (t = 1; t < _EDR_EVENT_MAX; t++)
		if (claims[t] != 1)
			fail_msg("record type %u is claimed by %u families", t, claims[t]);
	assert_null(edr_rectype(0)->stat);
	assert_null(edr_family_of(_EDR_EVENT_MAX));
}

static void test_stat_names_unique(void **state)
{
	unsigned a, b;

	(void)state;
	for (a = 1; a < _EDR_EVENT_MAX; a++)
		for (b = a + 1; b < _EDR_EVENT_MAX; b++)
			if (!strcmp(edr_rectype(a)->stat, edr_rectype(b)->stat))
				fail_msg("types %u and %u share the stats name %s", a, b, edr_rectype(a)->stat);
}

static void test_family_names_unique(void **state)
{
	size_t a, b;

	(void)state;
	for (a = 0; a < edr_nfamilies; a++)
		for (b = a + 1; b < edr_nfamilies; b++)
			assert_string_not_equal(edr_families[a]->name, edr_families[b]->name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_in_one_family),
		cmocka_unit_test(test_stat_names_unique),
		cmocka_unit_test(test_family_names_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
