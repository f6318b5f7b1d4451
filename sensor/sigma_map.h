/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From a decoded event and the process table to the Sigma views the rule
 * engine evaluates. Field indexes come from rules/schema.def through
 * rules/schema.h: the same table the rule compiler validates against. Each
 * family maps its own records (its descriptor's sigma hook) with the
 * helpers below.
 */
#ifndef EDR_SIGMA_MAP_H
#define EDR_SIGMA_MAP_H

#include "rules/edr_rules.h"
#include "sensor/decode.h"
#include "sensor/enrich/container.h"
#include "sensor/enrich/hashcache.h"
#include "sensor/enrich/idcache.h"
#include "sensor/family/net.h"
#include "sensor/family/family.h"
#include "sensor/proctable.h"

struct edr_sigma_view {
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	struct edr_rule_event ev;
	char cmd[EDR_ARGV_MAX + 1];
	char pcmd[EDR_ARGV_MAX + 1];
	char num[8][24];
	char hashes[8 + EDR_SHA256_HEX_LEN];             /* "SHA256=<hex>" */
	char addr[2][EDR_NET_ADDR_STR];                  /* textual IP addresses */
	/* The pre-exec and open views of a fanotify request
	 * (sensor/response/fanview.c): parent image and current directory,
	 * user and parent user names, container id. */
	char paths[2][EDR_PATH_MAX];
	char names[2][EDR_IDCACHE_NAME_MAX];
	char cid[EDR_CONTAINER_ID_MAX + 1];
};

/*
 * Fills v with view idx (0, 1, ...) of the event in c: 0, or -ENOENT when
 * the event has no such view. c->ev must have decoded (its family is
 * set). An exec has two (process_creation, and
 * fileless_exec for a memfd or deleted file); fork and exit have none.
 */
int edr_sigma_map(struct edr_sigma_view *v, const struct edr_event_ctx *c, int idx);

/* For the families: clears v and opens category cat with n fields. */
struct edr_field_value *edr_sigma_begin(struct edr_sigma_view *v, int cat, unsigned n);
void edr_sigma_str(struct edr_field_value *f, const char *s, size_t len); /* s may be NULL */
void edr_sigma_cstr(struct edr_field_value *f, const char *s);            /* s may be NULL */
/* An integer field; buf (24 bytes, one of v->num) holds its decimal text. */
void edr_sigma_int(struct edr_field_value *f, char *buf, int64_t n);
/* The fields every category has about the acting process: its image,
 * command line, user (the name, else the uid) and process id. */
void edr_sigma_subject(struct edr_sigma_view *v, const struct edr_event_ctx *c, int image, int user,
		       int pid, int cmd);

#endif /* EDR_SIGMA_MAP_H */
