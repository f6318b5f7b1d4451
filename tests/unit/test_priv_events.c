// SPDX-License-Identifier: GPL-2.0-only
/*
 * Privilege events downstream of the kernel: decoding of the three fixed
 * records (and refusing short, long or truncated ones), their ECS JSON and
 * their Sigma views (privilege_change, ptrace), fed to the default rules'
 * own fields.
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
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static uint8_t buf[EDR_EVENT_MAX_SIZE];

static void task_fill(struct edr_task *t)
{
	t->tgid = 4242;
	t->pid = 4243;
	t->ppid = 1;
	t->uid = 1000;
	t->gid = 1000;
	t->euid = 1000;
	t->egid = 1000;
	t->auid = t->sessionid = (uint32_t)-1;
	memcpy(t->comm, "exploit", 8);
}

static size_t make(uint16_t type)
{
	struct edr_event_hdr *h = (void *)buf;
	size_t n;

	memset(buf, 0, sizeof(buf));
	switch (type) {
	case EDR_EVENT_CRED_CHANGE:
		n = sizeof(struct edr_cred);
		break;
	case EDR_EVENT_PTRACE:
		n = sizeof(struct edr_ptrace);
		break;
	default:
		n = sizeof(struct edr_vm_write);
		break;
	}
	h->type = type;
	h->version = EDR_ABI_VERSION;
	h->size = n;
	task_fill((void *)(buf + sizeof(*h)));
	return n;
}

static void test_decode_fixed(void **state)
{
	static const uint16_t types[] = { EDR_EVENT_CRED_CHANGE, EDR_EVENT_PTRACE, EDR_EVENT_PROC_VM_WRITE };
	struct edr_event_hdr *h = (void *)buf;
	struct edr_decoded d;
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = make(types[i]);
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
		assert_int_equal(d.type, types[i]);
		assert_int_equal(d.task->tgid, 4242);
		assert_int_equal(d.type == EDR_EVENT_CRED_CHANGE, types[i] == EDR_EVENT_CRED_CHANGE);
		assert_int_equal(d.type == EDR_EVENT_PTRACE, types[i] == EDR_EVENT_PTRACE);
		assert_int_equal(d.type == EDR_EVENT_PROC_VM_WRITE, types[i] == EDR_EVENT_PROC_VM_WRITE);
		assert_false(EDR_IN_FAMILY(&d, FILE_CREATE));
		/* one byte short of the fixed part */
		h->size = n - 1;
		assert_int_equal(edr_decode(buf, n - 1, &d), EDR_DECODE_SHORT);
		/* a tail where none may be */
		h->size = n + 8;
		assert_int_equal(edr_decode(buf, n + 8, &d), EDR_DECODE_SIZE);
		/* header size disagreeing with what arrived */
		h->size = n;
		assert_int_equal(edr_decode(buf, n + 8, &d), EDR_DECODE_SIZE);
		assert_int_equal(edr_decode(buf, 16, &d), EDR_DECODE_SHORT);
	}
}

static struct edr_proc proc = {
	.tgid = 4242, .ppid = 1, .exe = "/tmp/exploit", .args = "./exploit\0-x", .args_len = 12,
	.entity_id = "e1", .comm = "exploit",
};
static struct edr_proc target = {
	.tgid = 812, .ppid = 1, .exe = "/usr/sbin/sshd", .args = "sshd", .args_len = 4,
	.entity_id = "e2", .comm = "sshd",
};

static void cred_fill(struct edr_cred *c)
{
	c->syscall = EDR_CRED_SYS_SETRESUID;
	c->old_ids = (struct edr_ids){ 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 0, 0, 0 };
	c->new_ids = (struct edr_ids){ 0, 0, 0, 0, 1000, 1000, 1000, 1000,
				       (1ull << 0) | (1ull << 21) | (1ull << 45), 1ull << 21, 0 };
}

static void test_cred_ecs(void **state)
{
	struct edr_cred *c = (void *)buf;
	struct edr_decoded d;
	size_t n;
	char *s;

	n = make(EDR_EVENT_CRED_CHANGE);
	cred_fill(c);
	c->hdr.flags = EDR_SRC_FENTRY;
	c->flags = 0;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"action\":\"credentials-change\"");
	/* user.* are the new ids */
	assert_has(s, "\"user\":{\"id\":\"0\"");
	assert_has(s, "\"effective\":{\"id\":\"0\"");
	assert_has(s, "\"capabilities\":{\"effective\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\",\"CAP_45\"],"
		      "\"permitted\":[\"CAP_SYS_ADMIN\"]}");
	assert_has(s, "\"cred\":{\"syscall\":\"setresuid\",\"old\":{\"uid\":1000,\"euid\":1000,");
	assert_has(s, "\"new\":{\"uid\":0,\"euid\":0,\"suid\":0,\"fsuid\":0,\"gid\":1000,");
	assert_has(s, "\"cap_effective\":\"0000200000200001\"");
	assert_has(s, "\"ret\":0,\"source\":\"fentry\"}");
	free(s);
	/* an exec seen at commit_creds; an unknown syscall code */
	c->hdr.flags = EDR_SRC_LSM;
	c->flags = EDR_CRED_EXEC | EDR_CRED_ATTEMPT;
	c->syscall = 77;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"syscall\":\"unknown\"");
	assert_has(s, "\"exec\":true,\"attempt\":true,\"source\":\"lsm\"");
	free(s);
}

static void test_ptrace_ecs(void **state)
{
	struct edr_ptrace *p = (void *)buf;
	struct edr_vm_write *v = (void *)buf;
	struct edr_decoded d;
	size_t n;
	char *s;

	n = make(EDR_EVENT_PTRACE);
	p->request = EDR_PTRACE_SEIZE;
	p->target_pid = 813;
	p->target_tgid = 812;
	p->tracer_tgid = 4242;
	/* a full comm with no NUL stays within its 16 bytes */
	memcpy(p->target_comm, "sshd-0123456789abcdef", EDR_COMM_LEN);
	p->hdr.flags = EDR_SRC_LSM;
	p->flags = EDR_PTRACE_ATTEMPT;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, &target);
	assert_has(s, "\"action\":\"ptrace-attach\"");
	assert_has(s, "\"ptrace\":{\"request\":\"PTRACE_SEIZE\",\"target\":{\"pid\":812,\"thread_id\":813,"
		      "\"name\":\"sshd-0123456789a\",\"executable\":\"/usr/sbin/sshd\"},\"tracer_pid\":4242,"
		      "\"attempt\":true,\"source\":\"lsm\"}");
	free(s);
	/* a tracee gone before the tracepoint path could find it */
	n = make(EDR_EVENT_PTRACE);
	p->request = EDR_PTRACE_ATTACH;
	p->target_pid = 812;
	p->flags = EDR_PTRACE_TARGET_AS_GIVEN;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(edr_family_target(&d), 812);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"target\":{\"thread_id\":812},\"target_pid_as_given\":true,\"tracer_pid\":0,");
	free(s);

	n = make(EDR_EVENT_PROC_VM_WRITE);
	v->target_pid = 812;
	v->liovcnt = 9;
	v->riovcnt = 1;
	v->bytes_req = 4096;
	v->ret = 4096;
	v->flags = EDR_VM_TARGET_AS_GIVEN | EDR_VM_IOV_TRUNC;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, &target);
	assert_has(s, "\"action\":\"process-vm-write\"");
	assert_has(s, "\"vm_write\":{\"target\":{\"thread_id\":812,\"name\":\"sshd\",\"executable\":"
		      "\"/usr/sbin/sshd\"},\"target_pid_as_given\":true,\"local_iovcnt\":9,\"remote_iovcnt\":1,"
		      "\"bytes_requested\":4096,\"bytes_requested_partial\":true,\"bytes_written\":4096,"
		      "\"source\":\"tracepoint\"}");
	free(s);
}

static void test_sigma(void **state)
{
	static struct edr_sigma_view v;
	struct edr_enrichment en = { .target = &target };
	struct edr_cred *c = (void *)buf;
	struct edr_ptrace *p = (void *)buf;
	struct edr_vm_write *w = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make(EDR_EVENT_CRED_CHANGE);
	cred_fill(c);
	/* a setuid exec: only the effective ids move, and those are matched */
	c->new_ids.uid = 1000;
	c->syscall = EDR_CRED_SYS_EXECVE;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "bob", NULL, &en, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_PRIVILEGE_CHANGE);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(PRIVILEGE_CHANGE));
	assert_fstr(FV(&v, PRIVILEGE_CHANGE, SYSCALL), "execve");
	assert_fstr(FV(&v, PRIVILEGE_CHANGE, IMAGE), "/tmp/exploit");
	assert_fstr(FV(&v, PRIVILEGE_CHANGE, USER), "bob");
	assert_fstr(FV(&v, PRIVILEGE_CHANGE, COMMAND_LINE), "./exploit -x");
	assert_int_equal(FV(&v, PRIVILEGE_CHANGE, PROCESS_ID)->n, 4242);
	assert_int_equal(FV(&v, PRIVILEGE_CHANGE, OLD_UID)->n, 1000);
	assert_int_equal(FV(&v, PRIVILEGE_CHANGE, NEW_UID)->n, 0);
	assert_int_equal(FV(&v, PRIVILEGE_CHANGE, OLD_GID)->n, 1000);
	assert_int_equal(FV(&v, PRIVILEGE_CHANGE, NEW_GID)->n, 1000);

	n = make(EDR_EVENT_PTRACE);
	p->request = EDR_PTRACE_ATTACH;
	p->target_pid = p->target_tgid = 812;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, NULL, NULL, &en, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_PTRACE);
	assert_fstr(FV(&v, PTRACE, REQUEST), "PTRACE_ATTACH");
	assert_fstr(FV(&v, PTRACE, TARGET_IMAGE), "/usr/sbin/sshd");
	assert_int_equal(FV(&v, PTRACE, TARGET_PROCESS_ID)->n, 812);
	assert_int_equal(FV(&v, PTRACE, USER)->n, 1000); /* no name: the uid */

	/* process_vm_writev feeds ptrace too; no table entry, no TargetImage */
	en.target = NULL;
	n = make(EDR_EVENT_PROC_VM_WRITE);
	w->target_pid = 812;
	w->flags = EDR_VM_TARGET_AS_GIVEN;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, &en, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_PTRACE);
	assert_fstr(FV(&v, PTRACE, REQUEST), "process_vm_writev");
	assert_int_equal(FV(&v, PTRACE, TARGET_PROCESS_ID)->n, 812);
	assert_false(FV(&v, PTRACE, TARGET_IMAGE)->set);
	assert_false(FV(&v, PTRACE, IMAGE)->set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_fixed),
		cmocka_unit_test(test_cred_ecs),
		cmocka_unit_test(test_ptrace_ecs),
		cmocka_unit_test(test_sigma),
	};

	return cmocka_run_group_tests_name("priv_events", tests, NULL, NULL);
}
