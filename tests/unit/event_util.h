/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the unit tests of each event family share: the ECS line of a decoded
 * record, and assertions on JSON text and on Sigma field values.
 */
#ifndef EDR_TEST_EVENT_UTIL_H
#define EDR_TEST_EVENT_UTIL_H

#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/sigma_map.h"
#include "sensor/family/family.h"
#include "sensor/family/file.h"
#include "sensor/family/kern.h"
#include "sensor/family/net.h"

/* A Sigma view's field by category and field name, e.g. FV(&v, FILE_EVENT, IMAGE). */
#define FV(v, cat, field) (&(v)->f[EDR_F_##cat##_##field])

/* The ECS JSON line of d (malloc'ed), p its process and target the process
 * the event acts on (ptrace, process_vm_writev), either may be NULL. */
char *ev_render(const struct edr_decoded *d, const struct edr_proc *p, const struct edr_proc *target);
/* Sigma view idx of d (edr_sigma_map) with the context given. */
int ev_sigma(struct edr_sigma_view *v, const struct edr_decoded *d, const struct edr_proc *p,
	     const struct edr_proc *parent, const char *user, const char *puser,
	     const struct edr_enrichment *en, int idx);
/* Fails the test, printing json, unless json contains (lacks) part. */
void assert_has(const char *json, const char *part);
void assert_lacks(const char *json, const char *part);
/* A file record in buf (EDR_EVENT_MAX_SIZE bytes, cleared first): type,
 * flags, uid and gid -1, path and old_path (may be NULL) as its tail; the
 * task part is left zero for the caller. Returns its size. */
size_t ev_file_record(void *buf, uint16_t type, const char *path, const char *old_path, uint32_t flags);
/* An exec record in buf (EDR_EVENT_MAX_SIZE bytes, cleared first): tgid 42,
 * filename, path, cwd and argv (argv_len bytes, NULs inside) as its tail;
 * the rest of the task part is left zero for the caller. Returns its size. */
size_t ev_exec_record(void *buf, const char *filename, const char *path, const char *cwd,
		      const char *argv, size_t argv_len);
/* Fails unless the field is set to exactly want. */
void assert_fstr(const struct edr_field_value *f, const char *want);

#endif
