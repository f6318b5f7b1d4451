// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event families (sensor/family/families.def): their descriptors, in
 * the order features and statistics are shown.
 */
#include <stddef.h>

#include "sensor/family/family.h"
#include "sensor/proctable.h"

#define EDR_FAMILY(name) extern const struct edr_family edr_family_##name;
#include "sensor/family/families.def"
#undef EDR_FAMILY

const struct edr_family *const edr_families[] = {
#define EDR_FAMILY(name) &edr_family_##name,
#include "sensor/family/families.def"
#undef EDR_FAMILY
};
const size_t edr_nfamilies = sizeof(edr_families) / sizeof(edr_families[0]);

/* Record type -> row and family, built once from the descriptors. A type
 * claimed twice is a programming error that test_families catches. */
static const struct edr_rectype *rows[_EDR_EVENT_MAX];
static const struct edr_family *fams[_EDR_EVENT_MAX];

__attribute__((constructor)) static void registry_init(void)
{
	size_t f, i;

	for (f = 0; f < edr_nfamilies; f++)
		for (i = 0; i < edr_families[f]->ntypes; i++) {
			const struct edr_rectype *t = &edr_families[f]->types[i];

			if (t->type < _EDR_EVENT_MAX && !rows[t->type]) {
				rows[t->type] = t;
				fams[t->type] = edr_families[f];
			}
		}
}

const struct edr_rectype *edr_rectype(unsigned type)
{
	static const struct edr_rectype unknown = { 0, NULL, "process", "info", "unknown", 0, 0 };

	return type < _EDR_EVENT_MAX && rows[type] ? rows[type] : &unknown;
}

struct edr_proc *edr_family_apply(struct edr_proctable *pt, struct edr_decoded *ev, const char *proc_root)
{
	if (ev->fam->apply)
		return ev->fam->apply(pt, ev, proc_root);
	return edr_proctable__get(pt, ev->task->tgid);
}

uint32_t edr_family_target(const struct edr_decoded *ev)
{
	return ev->fam->target_tgid ? ev->fam->target_tgid(ev) : 0;
}

int edr_family_new_image(const struct edr_decoded *ev, uint32_t *dev, uint64_t *ino)
{
	return ev->fam->new_image ? ev->fam->new_image(ev, dev, ino) : 0;
}

const struct edr_family *edr_family_of(unsigned type)
{
	return type < _EDR_EVENT_MAX ? fams[type] : NULL;
}
