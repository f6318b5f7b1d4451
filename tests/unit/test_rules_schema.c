// SPDX-License-Identifier: GPL-2.0-only
/*
 * The schema table and its expansion: indices, counts, types and lookups
 * must agree with each other, and the table cannot change unnoticed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rules/schema.h"

static void test_fingerprint(void **state)
{
	/*
	 * A change to schema.def must come with a new EDR_SCHEMA_VERSION and
	 * EDR_SCHEMA_FINGERPRINT: rules and sensors built on the old table
	 * would otherwise disagree silently.
	 */
	assert_true(edr_schema_fingerprint() == EDR_SCHEMA_FINGERPRINT);
}

static void test_enums_match_table(void **state)
{
	assert_int_equal(edr_schema_ncats(), _EDR_CAT_MAX);
	assert_string_equal(edr_schema_cat_name(EDR_CAT_PROCESS_CREATION), "process_creation");
	assert_string_equal(edr_schema_cat_name(EDR_CAT_NETWORK_CONNECTION), "network_connection");
	assert_int_equal(edr_schema_cat_by_name("file_event"), EDR_CAT_FILE_EVENT);
	assert_int_equal(edr_schema_cat_by_name("nope"), -ENOENT);
	assert_int_equal(edr_schema_cat_by_name(NULL), -ENOENT);
	assert_null(edr_schema_cat_name(-1));
	assert_null(edr_schema_cat_name(_EDR_CAT_MAX));

	assert_int_equal(EDR_F_PROCESS_CREATION_IMAGE, 0);
	assert_int_equal(EDR_F_FILE_EVENT_TARGET_FILENAME, 0);
	assert_int_equal(edr_schema_field_by_name(EDR_CAT_PROCESS_CREATION, "CommandLine"),
			 EDR_F_PROCESS_CREATION_COMMAND_LINE);
	assert_int_equal(edr_schema_field_by_name(EDR_CAT_NETWORK_CONNECTION, "DestinationPort"),
			 EDR_F_NETWORK_CONNECTION_DESTINATION_PORT);
	assert_int_equal(edr_schema_field_type(EDR_CAT_NETWORK_CONNECTION,
					       EDR_F_NETWORK_CONNECTION_DESTINATION_PORT), EDR_FT_INT);
	assert_int_equal(edr_schema_field_type(EDR_CAT_NETWORK_CONNECTION,
					       EDR_F_NETWORK_CONNECTION_DESTINATION_IP), EDR_FT_IP);
	assert_int_equal(edr_schema_field_type(EDR_CAT_NETWORK_CONNECTION,
					       EDR_F_NETWORK_CONNECTION_INITIATED), EDR_FT_BOOL);
	/* names are case-sensitive, as in Sigma */
	assert_int_equal(edr_schema_field_by_name(EDR_CAT_PROCESS_CREATION, "commandline"), -ENOENT);
	assert_int_equal(edr_schema_field_by_name(-1, "Image"), -ENOENT);
	assert_null(edr_schema_field_name(EDR_CAT_PROCESS_CREATION, -1));
	assert_null(edr_schema_field_name(EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION)));
	assert_int_equal(edr_schema_field_type(EDR_CAT_PTRACE, 99), -1);
	assert_int_equal(edr_schema_nfields(_EDR_CAT_MAX), 0);
	assert_string_equal(edr_schema_type_name(EDR_FT_IP), "IP");
}

static void test_counts_and_roundtrip(void **state)
{
	unsigned c, f, total = 0;

#define EDR_CAT(id, name) assert_int_equal(edr_schema_nfields(EDR_CAT_##id), EDR_NFIELDS(id));
#define EDR_FIELD(cat, id, name, type)                                                      \
	assert_string_equal(edr_schema_field_name(EDR_CAT_##cat, EDR_F_##cat##_##id), name); \
	assert_int_equal(edr_schema_field_type(EDR_CAT_##cat, EDR_F_##cat##_##id), EDR_FT_##type);
#include "rules/schema.def"
#undef EDR_CAT
#undef EDR_FIELD

	for (c = 0; c < edr_schema_ncats(); c++) {
		assert_int_equal(edr_schema_cat_by_name(edr_schema_cat_name((int)c)), (int)c);
		assert_true(edr_schema_nfields((int)c) <= EDR_SCHEMA_MAX_FIELDS);
		assert_true(edr_schema_nfields((int)c) > 0);
		for (f = 0; f < edr_schema_nfields((int)c); f++) {
			const char *n = edr_schema_field_name((int)c, (int)f);

			/* unique within the category */
			assert_int_equal(edr_schema_field_by_name((int)c, n), (int)f);
			total++;
		}
	}
	assert_int_equal(total, _EDR_FG_MAX - _EDR_CAT_MAX);
}

static void test_suggest(void **state)
{
	assert_string_equal(edr_schema_field_suggest(EDR_CAT_FILE_EVENT, "TargetFilname"), "TargetFilename");
	assert_string_equal(edr_schema_field_suggest(EDR_CAT_PROCESS_CREATION, "commandline"), "CommandLine");
	assert_string_equal(edr_schema_field_suggest(EDR_CAT_PROCESS_CREATION, "Imagee"), "Image");
	assert_null(edr_schema_field_suggest(EDR_CAT_PROCESS_CREATION, "Frobnicate"));
	assert_null(edr_schema_field_suggest(EDR_CAT_PROCESS_CREATION, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_enums_match_table),
		cmocka_unit_test(test_counts_and_roundtrip),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
