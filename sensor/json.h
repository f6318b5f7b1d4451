/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small JSON writer for one line at a time. Any byte sequence given as a
 * string (quotes, control bytes, invalid UTF-8) comes out as valid JSON:
 * invalid UTF-8 bytes become U+FFFD.
 */
#ifndef EDR_JSON_H
#define EDR_JSON_H

#include <stddef.h>
#include <stdint.h>

struct edr_json {
	char *buf;
	size_t len, cap;
	int need_comma;
	int oom; /* set when an allocation failed; the line is then dropped */
};

void edr_json_init(struct edr_json *j);
void edr_json_reset(struct edr_json *j);
void edr_json_free(struct edr_json *j);

void edr_json_obj_begin(struct edr_json *j);
void edr_json_obj_end(struct edr_json *j);
void edr_json_arr_begin(struct edr_json *j);
void edr_json_arr_end(struct edr_json *j);
/* Keys are ASCII literals from the code; they are escaped anyway. */
void edr_json_key(struct edr_json *j, const char *key);
void edr_json_str(struct edr_json *j, const char *s, size_t len);
void edr_json_cstr(struct edr_json *j, const char *s);
void edr_json_int(struct edr_json *j, int64_t v);
void edr_json_uint(struct edr_json *j, uint64_t v);
void edr_json_bool(struct edr_json *j, int v);
void edr_json_raw(struct edr_json *j, const char *s, size_t len);

/* key + value shorthands */
void edr_json_kstr(struct edr_json *j, const char *key, const char *s, size_t len);
void edr_json_kcstr(struct edr_json *j, const char *key, const char *s);
void edr_json_kint(struct edr_json *j, const char *key, int64_t v);
void edr_json_kuint(struct edr_json *j, const char *key, uint64_t v);
void edr_json_kbool(struct edr_json *j, const char *key, int v);

/* Appends escaped bytes without quotes (for building strings). */
void edr_json_escape(struct edr_json *j, const char *s, size_t len);

#endif /* EDR_JSON_H */
