// SPDX-License-Identifier: GPL-2.0-only
/*
 * Network events downstream of the kernel: the decoder's checks of struct
 * edr_net, the Sigma network_connection view, and the ECS record.
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

static uint8_t buf[EDR_EVENT_MAX_SIZE + 64];

/* A record from sip:sport to dip:dport (text addresses of family fam). */
static size_t make(uint16_t type, int fam, uint16_t proto, const char *sip, uint16_t sport,
		   const char *dip, uint16_t dport, uint32_t flags)
{
	struct edr_net *n = (void *)buf;

	memset(buf, 0, sizeof(buf));
	n->hdr.type = type;
	n->hdr.version = EDR_ABI_VERSION;
	n->hdr.size = sizeof(*n);
	n->task.tgid = 777;
	n->task.pid = 778;
	n->task.ppid = 1;
	n->task.uid = 33;
	n->task.auid = n->task.sessionid = (uint32_t)-1;
	memcpy(n->task.comm, "bash", 5);
	n->family = fam;
	n->protocol = proto;
	n->sport = sport;
	n->dport = dport;
	n->flags = flags;
	n->sock_ino = 4711;
	assert_int_equal(inet_pton(fam, sip, n->saddr), 1);
	assert_int_equal(inet_pton(fam, dip, n->daddr), 1);
	return sizeof(*n);
}

static void test_decode_ok(void **state)
{
	struct edr_decoded d;
	char b[EDR_NET_ADDR_STR];
	size_t n;

	n = make(EDR_EVENT_NET_CONNECT, AF_INET, 6, "10.0.0.2", 40000, "203.0.113.7", 4444, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(d.type, EDR_EVENT_NET_CONNECT);
	assert_true(EDR_IN_FAMILY(&d, NET_CONNECT));
	assert_false(EDR_IN_FAMILY(&d, FILE_CREATE));
	assert_int_equal(d.task->tgid, 777);
	assert_string_equal(edr_net_addr(EDR_REC(&d, net), 1, b), "10.0.0.2");
	assert_string_equal(edr_net_addr(EDR_REC(&d, net), 0, b), "203.0.113.7");
	for (uint16_t t = EDR_EVENT_NET_CONNECT; t <= EDR_EVENT_NET_SEND; t++) {
		n = make(t, AF_INET6, 17, "::1", 1, "::ffff:127.0.0.1", 53, 0);
		assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
		assert_int_equal(d.type, t);
		assert_string_equal(edr_net_addr(EDR_REC(&d, net), 0, b), "::ffff:127.0.0.1");
	}
}

static void test_decode_bad(void **state)
{
	struct edr_net *e = (void *)buf;
	struct edr_decoded d;
	size_t n;

	n = make(EDR_EVENT_NET_ACCEPT, AF_INET, 6, "127.0.0.1", 80, "127.0.0.1", 5555, 0);
	/* short: fewer bytes than the fixed part, with a header that agrees */
	e->hdr.size = n - 1;
	assert_int_equal(edr_decode(buf, n - 1, &d), EDR_DECODE_SHORT);
	assert_null(d.fam);
	assert_int_equal(edr_decode(buf, sizeof(struct edr_event_hdr) + 4, &d), EDR_DECODE_SIZE);
	/* a tail after the fixed part: network records have none */
	e->hdr.size = n + 8;
	assert_int_equal(edr_decode(buf, n + 8, &d), EDR_DECODE_SIZE);
	/* header size disagreeing with the bytes received */
	e->hdr.size = n + 8;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_SIZE);
	/* a family or protocol the kernel side never sends */
	n = make(EDR_EVENT_NET_BIND, AF_INET, 6, "0.0.0.0", 22, "0.0.0.0", 0, 0);
	e->family = 1; /* AF_UNIX */
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_FIELD);
	e->family = AF_INET;
	e->protocol = 1; /* ICMP */
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_FIELD);
	e->protocol = 17;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	e->hdr.version = EDR_ABI_VERSION + 1;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_VERSION);
	assert_string_equal(edr_decode_err_str(EDR_DECODE_FIELD), "field value out of range");
}

static struct edr_proc proc = {
	.tgid = 777, .ppid = 1, .exe = "/usr/bin/bash", .args = "bash\0-i", .args_len = 7,
	.entity_id = "e1",
};

static void test_sigma(void **state)
{
	static struct edr_sigma_view v;
	struct edr_decoded d;
	size_t n;

	n = make(EDR_EVENT_NET_CONNECT, AF_INET, 6, "10.0.0.2", 40000, "203.0.113.7", 4444, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "www-data", NULL, NULL, 0), 0);
	assert_int_equal(v.ev.cat, EDR_CAT_NETWORK_CONNECTION);
	assert_int_equal(v.ev.nfields, EDR_NFIELDS(NETWORK_CONNECTION));
	assert_fstr(FV(&v, NETWORK_CONNECTION, IMAGE), "/usr/bin/bash");
	assert_fstr(FV(&v, NETWORK_CONNECTION, COMMAND_LINE), "bash -i");
	assert_fstr(FV(&v, NETWORK_CONNECTION, USER), "www-data");
	assert_int_equal(FV(&v, NETWORK_CONNECTION, PROCESS_ID)->n, 777);
	assert_true(FV(&v, NETWORK_CONNECTION, INITIATED)->set);
	assert_int_equal(FV(&v, NETWORK_CONNECTION, INITIATED)->n, 1);
	assert_fstr(FV(&v, NETWORK_CONNECTION, PROTOCOL), "tcp");
	assert_fstr(FV(&v, NETWORK_CONNECTION, SOURCE_IP), "10.0.0.2");
	assert_int_equal(FV(&v, NETWORK_CONNECTION, SOURCE_PORT)->n, 40000);
	assert_fstr(FV(&v, NETWORK_CONNECTION, DESTINATION_IP), "203.0.113.7");
	assert_int_equal(FV(&v, NETWORK_CONNECTION, DESTINATION_PORT)->n, 4444);
	assert_false(FV(&v, NETWORK_CONNECTION, DESTINATION_HOSTNAME)->set);

	/* accept: not initiated; Source stays the local side (Sysmon) */
	n = make(EDR_EVENT_NET_ACCEPT, AF_INET6, 6, "2001:db8::1", 22, "2001:db8::9", 51000, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, NULL, NULL, NULL, NULL, NULL, 0), 0);
	assert_int_equal(FV(&v, NETWORK_CONNECTION, INITIATED)->n, 0);
	assert_fstr(FV(&v, NETWORK_CONNECTION, USER), "33");
	assert_false(FV(&v, NETWORK_CONNECTION, IMAGE)->set);
	assert_fstr(FV(&v, NETWORK_CONNECTION, SOURCE_IP), "2001:db8::1");
	assert_int_equal(FV(&v, NETWORK_CONNECTION, SOURCE_PORT)->n, 22);
	assert_fstr(FV(&v, NETWORK_CONNECTION, DESTINATION_IP), "2001:db8::9");

	/* a UDP send seen before its source port: no Source fields */
	n = make(EDR_EVENT_NET_SEND, AF_INET, 17, "0.0.0.0", 0, "192.0.2.5", 123, EDR_NET_SADDR_UNKNOWN);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "ntp", NULL, NULL, 0), 0);
	assert_int_equal(FV(&v, NETWORK_CONNECTION, INITIATED)->n, 1);
	assert_fstr(FV(&v, NETWORK_CONNECTION, PROTOCOL), "udp");
	assert_false(FV(&v, NETWORK_CONNECTION, SOURCE_IP)->set);
	assert_false(FV(&v, NETWORK_CONNECTION, SOURCE_PORT)->set);
	assert_int_equal(FV(&v, NETWORK_CONNECTION, DESTINATION_PORT)->n, 123);

	/* bind and listen feed no category */
	n = make(EDR_EVENT_NET_BIND, AF_INET, 6, "0.0.0.0", 8080, "0.0.0.0", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);
	n = make(EDR_EVENT_NET_LISTEN, AF_INET, 6, "0.0.0.0", 8080, "0.0.0.0", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	assert_int_equal(ev_sigma(&v, &d, &proc, NULL, "root", NULL, NULL, 0), -ENOENT);
}

static void test_ecs(void **state)
{
	struct edr_decoded d;
	char *s;
	size_t n;

	n = make(EDR_EVENT_NET_CONNECT, AF_INET, 6, "10.0.0.2", 40000, "203.0.113.7", 4444, 0);
	((struct edr_net *)buf)->hdr.flags = EDR_SRC_FENTRY;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, &proc, NULL);
	assert_has(s, "\"category\":[\"network\"]");
	assert_has(s, "\"type\":[\"connection\"]");
	assert_has(s, "\"action\":\"connect\"");
	assert_has(s, "\"source\":{\"ip\":\"10.0.0.2\",\"port\":40000},"
		      "\"destination\":{\"ip\":\"203.0.113.7\",\"port\":4444},"
		      "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"iana_number\":\"6\","
		      "\"direction\":\"egress\"}");
	assert_has(s, "\"net\":{\"socket_inode\":4711,\"source\":\"fentry\"}");
	assert_has(s, "\"executable\":\"/usr/bin/bash\"");
	free(s);

	/* accept: ECS source is the initiator, the peer */
	n = make(EDR_EVENT_NET_ACCEPT, AF_INET6, 6, "::1", 22, "::ffff:127.0.0.1", 51000, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"source\":{\"ip\":\"::ffff:127.0.0.1\",\"port\":51000},"
		      "\"destination\":{\"ip\":\"::1\",\"port\":22},"
		      "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv6\",\"iana_number\":\"6\","
		      "\"direction\":\"ingress\"}");
	assert_has(s, "\"source\":\"tracepoint\"");
	free(s);

	/* an LSM attempt without a source port, still in progress */
	n = make(EDR_EVENT_NET_CONNECT, AF_INET, 6, "0.0.0.0", 0, "192.0.2.1", 443,
		 EDR_NET_ATTEMPT | EDR_NET_SADDR_UNKNOWN);
	((struct edr_net *)buf)->hdr.flags = EDR_SRC_LSM;
	((struct edr_net *)buf)->ret = -115;
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_lacks(s, "\"source\":{");
	assert_has(s, "\"destination\":{\"ip\":\"192.0.2.1\",\"port\":443}");
	assert_has(s, "\"net\":{\"attempt\":true,\"ret\":-115,\"socket_inode\":4711,\"source\":\"lsm\"}");
	free(s);

	/* bind: the local side as the server, no direction; UDP send */
	n = make(EDR_EVENT_NET_BIND, AF_INET, 17, "0.0.0.0", 53, "0.0.0.0", 0, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"bind\"");
	assert_has(s, "\"server\":{\"ip\":\"0.0.0.0\",\"port\":53},"
		      "\"network\":{\"transport\":\"udp\",\"type\":\"ipv4\",\"iana_number\":\"17\"}");
	assert_lacks(s, "\"direction\"");
	assert_lacks(s, "\"destination\"");
	free(s);
	n = make(EDR_EVENT_NET_SEND, AF_INET, 17, "0.0.0.0", 5353, "192.0.2.5", 123, 0);
	assert_int_equal(edr_decode(buf, n, &d), EDR_DECODE_OK);
	s = ev_render(&d, NULL, NULL);
	assert_has(s, "\"action\":\"udp-send\"");
	assert_has(s, "\"direction\":\"egress\"");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_bad),
		cmocka_unit_test(test_sigma),
		cmocka_unit_test(test_ecs),
	};

	return cmocka_run_group_tests_name("net_events", tests, NULL, NULL);
}
