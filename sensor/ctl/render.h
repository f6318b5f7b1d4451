/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rendering of the flat typed key/value items of a control reply, for
 * edrctl: an aligned table for people and nested JSON for machines.
 *
 * Keys are dotted ([a-z0-9_.-]+). The shape of a key decides its place:
 *   "uptime_sec"             -> a "key  value" line
 *   "content.version"        -> a "key  value" line
 *   "feature.exec.attach"    -> table "feature", row "exec", column "attach"
 * i.e. three components or more make a table named by the first, with a row
 * per middle part (dots kept) and a column per last component, rows and
 * columns in the order they first appear. Missing cells print "-".
 * In JSON every dot nests: {"feature":{"exec":{"attach":"tracepoint"}}}.
 *
 * Units by key suffix, in the table only (JSON keeps raw integers):
 * _bytes -> 8.0M, _sec -> 1h02m03s, _ms -> 1.250s, _at (unix time) ->
 * 2026-11-27 09:30:00 in local time (0 -> "-").
 */
#ifndef EDR_RENDER_H
#define EDR_RENDER_H

#include <stddef.h>
#include <stdio.h>

#include "sensor/ctl/ctl_proto.h"

/* 0, or -ENOMEM (nothing printed then). */
int edr_render_table(FILE *f, const struct edr_ctl_item *items, size_t n);
/* One line, newline-terminated. 0 or -ENOMEM. */
int edr_render_json(FILE *f, const struct edr_ctl_item *items, size_t n);

/* JSON string with escapes; invalid UTF-8 bytes become U+FFFD. */
void edr_render_json_string(FILE *f, const char *s);

/* Human forms used by the table; buf of 32 bytes is enough. */
const char *edr_render_bytes(long long v, char *buf, size_t size);
const char *edr_render_seconds(long long v, char *buf, size_t size);

#endif /* EDR_RENDER_H */
