/* SPDX-License-Identifier: GPL-2.0-only */
/* What the network family (sensor/family/net.c) offers beyond its descriptor. */
#ifndef EDR_FAMILY_NET_H
#define EDR_FAMILY_NET_H

#include "edr_event.h"

/* Text form of a network event's local (local set) or peer address:
 * "127.0.0.1", "::1", "::ffff:10.0.0.1". buf needs EDR_NET_ADDR_STR bytes. */
#define EDR_NET_ADDR_STR 48
const char *edr_net_addr(const struct edr_net *n, int local, char *buf);

#endif /* EDR_FAMILY_NET_H */
