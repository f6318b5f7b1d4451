// SPDX-License-Identifier: GPL-2.0-only
/*
 * Denial records (ABI 3) downstream of the kernel: EXEC_DENIED, NET_DENIED
 * and FILE_DENIED decoded with their struct edr_deny (ev->deny), checked
 * (mechanism, operation, the fixed part's length), written to ECS with
 * event.type denied and edr.deny {rule, mechanism, operation, generation},
 * and fed to no Sigma view (a denial is not new activity).
 */
#include <arpa/inet.h>
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
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

static const struct edr_proc proc = {
	.tgid = 500, .ppid = 1, .exe = "/usr/bin/bash", .args = "bash", .args_len = 4, .entity_id = "e5",
};

static void task(struct edr_task *t)
{
	t->tgid = t->pid = 500;
	t->ppid = 1;
	t->auid = t->sessionid = (uint32_t)-1;
	memcpy(t->comm, "bash", 5);
}

static void deny(struct edr_deny *d, uint32_t rule, uint16_t mech, uint16_t op)
{
	d->rule = rule;
	d->mechanism = mech;
	d->op = op;
	d->generation = 1;
}

/* A string piece of a tail at *off; returns its length field. */
static uint16_t put(size_t *off, const char *s)
{
	uint16_t n = strlen(s) + 1;

	memcpy(buf + *off, s, n);
	*off += n;
	return n;
}

static size_t make_exec(uint16_t mech, uint32_t src)
{
	struct edr_exec_denied *e = (void *)buf;
	size_t off = sizeof(*e);

	memset(buf, 0, sizeof(buf));
	e->exec.hdr.type = EDR_EVENT_EXEC_DENIED;
	e->exec.hdr.version = EDR_ABI_VERSION;
	e->exec.hdr.flags = src;
	task(&e->exec.task);
	e->exec.ino = 77;
	e->exec.filename_len = put(&off, "/tmp/evil");
	e->exec.path_len = put(&off, "/tmp/evil");
	e->exec.cwd_len = put(&off, "/tmp");
	memcpy(buf + off, "evil\0-x", 8);
	e->exec.argv_len = 8;
	off += 8;
	deny(&e->deny, 41, mech, EDR_DENY_OP_EXEC);
	e->exec.hdr.size = off;
	return off;
}

static size_t make_net(uint16_t mech, uint32_t src, uint16_t op)
{
	struct edr_net_denied *n = (void *)buf;

	memset(buf, 0, sizeof(buf));
	n->net.hdr.type = EDR_EVENT_NET_DENIED;
	n->net.hdr.version = EDR_ABI_VERSION;
	n->net.hdr.size = sizeof(*n);
	n->net.hdr.flags = src;
	task(&n->net.task);
	n->net.flags = EDR_NET_SADDR_UNKNOWN;
	n->net.ret = -1;
	n->net.family = 2;
	n->net.protocol = op == EDR_DENY_OP_SENDMSG ? 17 : 6;
	n->net.dport = 4444;
	inet_pton(AF_INET, "127.0.0.77", n->net.daddr);
	deny(&n->deny, 42, mech, op);
	return sizeof(*n);
}

static size_t make_file(void)
{
	struct edr_file_denied *f = (void *)buf;
	size_t off = sizeof(*f);

	memset(buf, 0, sizeof(buf));
	f->file.hdr.type = EDR_EVENT_FILE_DENIED;
	f->file.hdr.version = EDR_ABI_VERSION;
	f->file.hdr.flags = EDR_SRC_LSM;
	task(&f->file.task);
	f->file.ret = -1;
	f->file.open_flags = 01;
	f->file.mode = 0100644;
	f->file.dirfd = f->file.old_dirfd = -1;
	f->file.path_len = put(&off, "/etc/shadow");
	deny(&f->deny, 43, EDR_MECH_LSM, EDR_DENY_OP_OPEN_WRITE);
	f->file.hdr.size = off;
	return off;
}

static void test_decode(void **state)
{
	struct edr_decoded d;
	size_t n;

	n = make_exec(EDR_MECH_KILL_AT_EXEC, EDR_SRC_TP_BTF);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_non_null(d.deny);
	assert_int_equal(d.deny->rule, 41);
	assert_int_equal(d.deny->mechanism, EDR_MECH_KILL_AT_EXEC);
	assert_string_equal(d.path.p, "/tmp/evil");
	assert_int_equal(d.argv.len, 7);
	n = make_net(EDR_MECH_CGROUP, EDR_SRC_CGROUP, EDR_DENY_OP_CONNECT);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.deny->rule, 42);
	assert_true(EDR_IN_FAMILY(&d, NET_CONNECT));
	n = make_file();
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.deny->rule, 43);
	assert_string_equal(d.path.p, "/etc/shadow");
	assert_true(EDR_IN_FAMILY(&d, FILE_WRITE));
	/* Not a denial: no deny part. */
	make_net(EDR_MECH_CGROUP, EDR_SRC_CGROUP, EDR_DENY_OP_CONNECT);
	((struct edr_net *)buf)->hdr.type = EDR_EVENT_NET_CONNECT;
	((struct edr_net *)buf)->hdr.size = sizeof(struct edr_net);
	assert_int_equal(edr_decode(buf, sizeof(struct edr_net), &d), EDR_DECODE_OK);
	assert_null(d.deny);
}

static void test_decode_bad(void **state)
{
	struct edr_decoded d;
	size_t n;

	/* A mechanism or an operation out of range. */
	n = make_net(9, EDR_SRC_CGROUP, EDR_DENY_OP_CONNECT);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_FIELD);
	n = make_net(EDR_MECH_LSM, EDR_SRC_LSM, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_FIELD);
	n = make_exec(0, EDR_SRC_LSM);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_FIELD);
	/* A net denial one byte short or long; an exec denial as long as the
	 * fixed part of an exec only (the ABI 2 layout). */
	n = make_net(EDR_MECH_LSM, EDR_SRC_LSM, EDR_DENY_OP_CONNECT);
	((struct edr_event_hdr *)buf)->size = n - 1;
	assert_int_not_equal(edr_decode(buf, n - 1, &d), EDR_DECODE_OK);
	((struct edr_event_hdr *)buf)->size = n + 1;
	assert_int_not_equal(edr_decode(buf, n + 1, &d), EDR_DECODE_OK);
	make_exec(EDR_MECH_LSM, EDR_SRC_LSM);
	((struct edr_event_hdr *)buf)->size = sizeof(struct edr_exec);
	assert_int_equal(edr_decode(buf, sizeof(struct edr_exec), &d), EDR_DECODE_SHORT);
	/* A file denial must name its file. */
	n = make_file();
	((struct edr_file *)buf)->path_len = 0;
	((struct edr_event_hdr *)buf)->size = sizeof(struct edr_file_denied);
	assert_int_not_equal(edr_decode(buf, sizeof(struct edr_file_denied), &d), EDR_DECODE_OK);
}

static void test_ecs(void **state)
{
	struct edr_sigma_view v;
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make_exec(EDR_MECH_KILL_AT_EXEC, EDR_SRC_TP_BTF);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"process\"],\"type\":[\"denied\"],\"action\":\"exec-denied\","
		      "\"outcome\":\"failure\"");
	assert_has(s, "\"deny\":{\"rule\":41,\"mechanism\":\"kill-at-exec\",\"operation\":\"exec\","
		      "\"generation\":1}");
	free(s);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);

	n = make_net(EDR_MECH_CGROUP, EDR_SRC_CGROUP, EDR_DENY_OP_SENDMSG);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"network\"],\"type\":[\"denied\"],\"action\":\"net-denied\","
		      "\"outcome\":\"failure\"");
	assert_lacks(s, "\"source\":{");
	assert_has(s, "\"destination\":{\"ip\":\"127.0.0.77\",\"port\":4444}");
	assert_has(s, "\"transport\":\"udp\"");
	assert_has(s, "\"net\":{\"ret\":-1,\"source\":\"cgroup\"},\"deny\":{\"rule\":42,"
		      "\"mechanism\":\"cgroup\",\"operation\":\"sendmsg\",\"generation\":1}");
	free(s);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);

	n = make_file();
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"file\"],\"type\":[\"denied\"],\"action\":\"file-denied\","
		      "\"outcome\":\"failure\"");
	assert_has(s, "\"path\":\"/etc/shadow\"");
	assert_has(s, "\"deny\":{\"rule\":43,\"mechanism\":\"lsm\",\"operation\":\"open-write\","
		      "\"generation\":1}");
	free(s);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_ecs),
	};

	return cmocka_run_group_tests_name("deny_events", tests, NULL, NULL);
}
