// SPDX-License-Identifier: GPL-2.0-only
/*
 * The network family (bpf/net.bpf.h): TCP and UDP connect, accept, bind,
 * listen, and a UDP datagram to a new destination. Feeds Sigma
 * network_connection (connect, send, accept).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/family/net.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

#define NET_TYPE(t, stat, ecs_type, action) \
	{ EDR_EVENT_##t, stat, "network", ecs_type, action, sizeof(struct edr_net), 0 }
static const struct edr_rectype types[] = {
	NET_TYPE(NET_CONNECT, "net_connect", "connection", "connect"),
	NET_TYPE(NET_ACCEPT, "net_accept", "connection", "accept"),
	NET_TYPE(NET_BIND, "net_bind", "start", "bind"),
	NET_TYPE(NET_LISTEN, "net_listen", "start", "listen"),
	NET_TYPE(NET_SEND, "net_send", "connection", "udp-send"),
	/* A connect or send refused by policy: not new activity, no Sigma view. */
	{ EDR_EVENT_NET_DENIED, "net_denied", "network", "denied", "net-denied", sizeof(struct edr_net_denied), 0 },
};

/* Consumers index tables by these; the kernel side sends only INET/INET6
 * and TCP/UDP. */
static enum edr_decode_err decode(struct edr_decoded *ev, const char *base, size_t len, size_t *off)
{
	const struct edr_net *n = EDR_REC(ev, net);

	if ((n->family != 2 && n->family != 10) || (n->protocol != 6 && n->protocol != 17))
		return EDR_DECODE_FIELD;
	if (ev->type == EDR_EVENT_NET_DENIED)
		return edr_decode_deny(ev, offsetof(struct edr_net_denied, deny));
	return EDR_DECODE_OK;
}

const char *edr_net_addr(const struct edr_net *n, int local, char *buf)
{
	const uint8_t *a = local ? n->saddr : n->daddr;

	if (!inet_ntop(n->family == 10 ? AF_INET6 : AF_INET, a, buf, EDR_NET_ADDR_STR))
		snprintf(buf, EDR_NET_ADDR_STR, "?");
	return buf;
}

/*
 * ECS source, destination, server and network for NET_*. ECS calls the
 * initiator of a connection "source": the local side for connect and send,
 * the peer for accept. bind and listen have no peer: their local address
 * is the "server" (the side that will be connected to).
 */
static void net_endpoint(struct edr_json *j, const char *key, const struct edr_net *n, int local)
{
	char b[EDR_NET_ADDR_STR];

	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "ip", edr_net_addr(n, local, b));
	edr_json_kuint(j, "port", local ? n->sport : n->dport);
	edr_json_obj_end(j);
}

static void ecs_objects(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_net *n = EDR_REC(ev, net);
	int known_local = !(n->flags & EDR_NET_SADDR_UNKNOWN);
	const char *dir = NULL;

	switch (ev->type) {
	case EDR_EVENT_NET_CONNECT:
	case EDR_EVENT_NET_SEND:
	case EDR_EVENT_NET_DENIED:
		if (known_local)
			net_endpoint(j, "source", n, 1);
		net_endpoint(j, "destination", n, 0);
		dir = "egress";
		break;
	case EDR_EVENT_NET_ACCEPT:
		net_endpoint(j, "source", n, 0);
		net_endpoint(j, "destination", n, 1);
		dir = "ingress";
		break;
	default: /* bind, listen */
		if (known_local || ev->type == EDR_EVENT_NET_BIND)
			net_endpoint(j, "server", n, 1);
		break;
	}
	edr_json_key(j, "network");
	edr_json_obj_begin(j);
	edr_json_kcstr(j, "transport", n->protocol == 6 ? "tcp" : "udp");
	edr_json_kcstr(j, "type", n->family == 10 ? "ipv6" : "ipv4");
	edr_json_kcstr(j, "iana_number", n->protocol == 6 ? "6" : "17");
	if (dir)
		edr_json_kcstr(j, "direction", dir);
	edr_json_obj_end(j);
}

/* What ECS has no field for: attempt, result, the socket, the attach path. */
static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_net *n = EDR_REC(ev, net);

	edr_json_key(j, "net");
	edr_json_obj_begin(j);
	if (n->flags & EDR_NET_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	if (n->ret)
		edr_json_kint(j, "ret", n->ret);
	if (n->sock_ino)
		edr_json_kuint(j, "socket_inode", n->sock_ino);
	edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
	edr_json_obj_end(j);
	edr_ecs_deny(j, ev);
}

static const char *outcome(const struct edr_decoded *ev)
{
	return ev->type == EDR_EVENT_NET_DENIED ? "failure" : NULL;
}

/*
 * Network events feed network_connection, with Sysmon's convention: Source
 * is always the local side, Destination the peer, and Initiated says who
 * opened the connection (true for connect and UDP send, false for accept).
 * bind and listen feed no category: network_connection describes
 * connections, and a listening socket has no peer yet.
 */
static int sigma(struct edr_sigma_view *v, const struct edr_event_ctx *c, int idx)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_net *n = EDR_REC(ev, net);
	struct edr_field_value *f;

	if (idx || (ev->type != EDR_EVENT_NET_CONNECT && ev->type != EDR_EVENT_NET_SEND &&
		    ev->type != EDR_EVENT_NET_ACCEPT))
		return -ENOENT;
	f = edr_sigma_begin(v, EDR_CAT_NETWORK_CONNECTION, EDR_NFIELDS(NETWORK_CONNECTION));
	edr_sigma_subject(v, c, EDR_F_NETWORK_CONNECTION_IMAGE, EDR_F_NETWORK_CONNECTION_USER,
			  EDR_F_NETWORK_CONNECTION_PROCESS_ID, EDR_F_NETWORK_CONNECTION_COMMAND_LINE);
	f[EDR_F_NETWORK_CONNECTION_INITIATED].n = ev->type != EDR_EVENT_NET_ACCEPT;
	edr_sigma_cstr(&f[EDR_F_NETWORK_CONNECTION_INITIATED], f[EDR_F_NETWORK_CONNECTION_INITIATED].n ?
		 "true" : "false");
	edr_sigma_cstr(&f[EDR_F_NETWORK_CONNECTION_PROTOCOL], n->protocol == 6 ? "tcp" : "udp");
	/* An attempt seen before the source port was assigned has no source. */
	if (!(n->flags & EDR_NET_SADDR_UNKNOWN)) {
		edr_sigma_cstr(&f[EDR_F_NETWORK_CONNECTION_SOURCE_IP], edr_net_addr(n, 1, v->addr[0]));
		edr_sigma_int(&f[EDR_F_NETWORK_CONNECTION_SOURCE_PORT], v->num[3], n->sport);
	}
	edr_sigma_cstr(&f[EDR_F_NETWORK_CONNECTION_DESTINATION_IP], edr_net_addr(n, 0, v->addr[1]));
	edr_sigma_int(&f[EDR_F_NETWORK_CONNECTION_DESTINATION_PORT], v->num[4], n->dport);
	return 0;
}

const struct edr_family edr_family_net = {
	.name = "net",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.decode = decode,
	.outcome = outcome,
	.ecs_objects = ecs_objects,
	.ecs_edr = ecs_edr,
	.sigma = sigma,
};
