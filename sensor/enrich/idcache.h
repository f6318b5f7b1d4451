/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef EDR_IDCACHE_H
#define EDR_IDCACHE_H

#include <stdint.h>

/* User/group name caches, refreshed when /etc/passwd or /etc/group change. */
struct edr_idcache;
struct edr_idcache *edr_idcache__new(void);
void edr_idcache__free(struct edr_idcache *c);
const char *edr_idcache__user(struct edr_idcache *c, uint32_t uid);  /* NULL when unknown */
const char *edr_idcache__group(struct edr_idcache *c, uint32_t gid);

#endif /* EDR_IDCACHE_H */
