// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signal family: decoding a record, its ECS line (sender as the
 * process, the target in edr.signal.target with what the table knows of
 * it), outcome, and no Sigma view.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/event_util.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

static struct edr_signal *make(uint32_t sig, int32_t code, uint32_t result)
{
	struct edr_signal *s = (void *)buf;

	memset(buf, 0, sizeof(buf));
	s->hdr.type = EDR_EVENT_SIGNAL;
	s->hdr.version = EDR_ABI_VERSION;
	s->hdr.size = sizeof(*s);
	s->hdr.flags = EDR_SRC_TP_BTF;
	s->task.tgid = s->task.pid = 4242;
	s->task.auid = s->task.sessionid = (uint32_t)-1;
	memcpy(s->task.comm, "pkill", 6);
	s->sig = sig;
	s->code = code;
	s->result = result;
	s->target_pid = s->target_tgid = 812;
	/* a full comm with no NUL stays within its 16 bytes */
	memcpy(s->target_comm, "edr-sensor-0123456789", EDR_COMM_LEN);
	return s;
}

static void test_decode(void **state)
{
	struct edr_decoded d;

	(void)state;
	make(9, EDR_SIGNAL_SI_USER, 0);
	assert_int_equal(edr_decode(buf, sizeof(struct edr_signal), &d), EDR_DECODE_OK);
	assert_int_equal(d.type, EDR_EVENT_SIGNAL);
	assert_ptr_equal(d.rec, buf);
	assert_string_equal(d.rt->stat, "signal");
	assert_int_equal(edr_family_target(&d), 812);
	/* fixed size: one byte more or less is refused */
	((struct edr_signal *)buf)->hdr.size = sizeof(struct edr_signal) + 1;
	assert_int_equal(edr_decode(buf, sizeof(struct edr_signal) + 1, &d), EDR_DECODE_SIZE);
	((struct edr_signal *)buf)->hdr.size = sizeof(struct edr_signal) - 1;
	assert_int_equal(edr_decode(buf, sizeof(struct edr_signal) - 1, &d), EDR_DECODE_SHORT);
}

static void test_ecs(void **state)
{
	struct edr_proc target = { .tgid = 812, .exe = "/usr/bin/edr-sensor" };
	struct edr_sigma_view v;
	struct edr_decoded d;
	char *s;

	(void)state;
	snprintf(target.entity_id, sizeof(target.entity_id), "%s", "0123456789abcdef0123456789abcdef");
	make(9, EDR_SIGNAL_SI_USER, 0)->flags = EDR_SIGNAL_GROUP;
	assert_int_equal(edr_decode(buf, sizeof(struct edr_signal), &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, &target);
	assert_has(s, "\"category\":[\"process\"],\"type\":[\"info\"],\"action\":\"signal-sent\","
		      "\"outcome\":\"success\"");
	assert_has(s, "\"process\":{\"pid\":4242,");
	assert_has(s, "\"signal\":{\"number\":9,\"name\":\"SIGKILL\",\"code\":\"SI_USER\",\"result\":"
		      "\"delivered\",\"group\":true,\"target\":{\"pid\":812,\"thread_id\":812,\"name\":"
		      "\"edr-sensor-01234\",\"executable\":\"/usr/bin/edr-sensor\",\"entity_id\":"
		      "\"0123456789abcdef0123456789abcdef\"},\"source\":\"tp_btf\"}");
	free(s);

	/* an ignored real-time signal by tgkill, target unknown to the table */
	make(40, EDR_SIGNAL_SI_TKILL, 1);
	assert_int_equal(edr_decode(buf, sizeof(struct edr_signal), &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"outcome\":\"failure\"");
	assert_has(s, "\"signal\":{\"number\":40,\"code\":\"SI_TKILL\",\"result\":\"ignored\",\"group\":false,"
		      "\"target\":{\"pid\":812,\"thread_id\":812,\"name\":\"edr-sensor-01234\"},");
	assert_lacks(s, "executable\":\"/usr/bin/edr-sensor");
	free(s);
	/* no Sigma category */
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_ecs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
