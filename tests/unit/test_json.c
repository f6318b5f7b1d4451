// SPDX-License-Identifier: GPL-2.0-only
/* JSON escaping: any byte sequence gives valid JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sensor/json.h"

static const char *str(struct edr_json *j, const char *s, size_t n)
{
	edr_json_reset(j);
	edr_json_str(j, s, n);
	return j->buf;
}

static void test_escapes(void **state)
{
	struct edr_json j;

	edr_json_init(&j);
	assert_string_equal(str(&j, "plain", 5), "\"plain\"");
	assert_string_equal(str(&j, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(str(&j, "l1\nl2\r\t", 7), "\"l1\\nl2\\r\\t\"");
	assert_string_equal(str(&j, "\x01\x1f", 2), "\"\\u0001\\u001f\"");
	assert_string_equal(str(&j, "nul\0in", 6), "\"nul\\u0000in\"");
	edr_json_free(&j);
}

static void test_utf8(void **state)
{
	struct edr_json j;

	edr_json_init(&j);
	/* valid multi-byte sequences pass through */
	assert_string_equal(str(&j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
			    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* lone continuation, bad lead, truncated sequence, overlong, surrogate */
	assert_string_equal(str(&j, "\xff", 1), "\"\\ufffd\"");
	assert_string_equal(str(&j, "\x80x", 2), "\"\\ufffdx\"");
	assert_string_equal(str(&j, "\xe2\x82", 2), "\"\\ufffd\\ufffd\"");
	assert_string_equal(str(&j, "\xc0\xaf", 2), "\"\\ufffd\\ufffd\"");
	assert_string_equal(str(&j, "\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(str(&j, "\xf4\x90\x80\x80", 4), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	edr_json_free(&j);
}

/* Every output for random bytes must be printable ASCII or valid UTF-8,
 * with no raw control bytes and balanced quotes. */
static void test_random_bytes(void **state)
{
	struct edr_json j;
	char in[64];
	int round, i;

	edr_json_init(&j);
	srand(1);
	for (round = 0; round < 20000; round++) {
		size_t n = rand() % sizeof(in);

		for (i = 0; i < (int)n; i++)
			in[i] = rand();
		str(&j, in, n);
		assert_true(j.len >= 2);
		assert_int_equal(j.buf[0], '"');
		assert_int_equal(j.buf[j.len - 1], '"');
		for (i = 1; i < (int)j.len - 1; i++) {
			unsigned char c = j.buf[i];

			assert_true(c >= 0x20);
			if (c == '"')
				assert_int_equal(j.buf[i - 1], '\\');
		}
	}
	edr_json_free(&j);
}

static void test_structure(void **state)
{
	struct edr_json j;

	edr_json_init(&j);
	edr_json_obj_begin(&j);
	edr_json_kcstr(&j, "a", "x");
	edr_json_key(&j, "arr");
	edr_json_arr_begin(&j);
	edr_json_int(&j, -1);
	edr_json_uint(&j, 18446744073709551615ull);
	edr_json_bool(&j, 1);
	edr_json_arr_end(&j);
	edr_json_key(&j, "o");
	edr_json_obj_begin(&j);
	edr_json_obj_end(&j);
	edr_json_obj_end(&j);
	assert_string_equal(j.buf, "{\"a\":\"x\",\"arr\":[-1,18446744073709551615,true],\"o\":{}}");
	edr_json_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_structure),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
