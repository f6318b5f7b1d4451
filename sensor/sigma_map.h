/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From a decoded event and the process table to the Sigma view the rule
 * engine evaluates. Field indexes come from rules/schema.def through
 * rules/schema.h: the same table the rule compiler validates against.
 */
#ifndef EDR_SIGMA_MAP_H
#define EDR_SIGMA_MAP_H

#include "rules/edr_rules.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/proctable.h"

struct edr_sigma_view {
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	struct edr_rule_event ev;
	char cmd[EDR_ARGV_MAX + 1];
	char pcmd[EDR_ARGV_MAX + 1];
	char num[8][24];
	char hashes[8 + EDR_SHA256_HEX_LEN];
	const struct edr_enrichment *en; /* set by the caller, may be NULL */
	char saddr[EDR_NET_ADDR_STR], daddr[EDR_NET_ADDR_STR]; /* network_connection IPs */
};

/* Fills v for ev; returns 0, or -ENOENT when the event type feeds no Sigma
 * category (fork, exit). user/puser: names or NULL. */
int edr_sigma_map(struct edr_sigma_view *v, const struct edr_decoded *ev, const struct edr_proc *p,
		  const struct edr_proc *parent, const char *user, const char *puser);

/* The fileless_exec view of an exec of a memfd or of a deleted file (the
 * same exec also feeds process_creation through edr_sigma_map); -ENOENT
 * for any other event. */
int edr_sigma_map_fileless(struct edr_sigma_view *v, const struct edr_decoded *ev,
			   const struct edr_proc *p, const char *user);

#endif /* EDR_SIGMA_MAP_H */
