// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for ring buffer records: decode, apply to the process
 * table, render ECS JSON and the Sigma view. A record the decoder accepts
 * must never make the later stages read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/decode.h"
#include "sensor/family/family.h"
#include "sensor/ecs.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

static struct edr_proctable *pt;
static struct edr_ecs ecs;
static struct edr_json j;
static struct edr_sigma_view view;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edr_decoded ev;
	struct edr_proc *p = NULL, *parent = NULL;
	uint8_t *copy;

	if (!pt) {
		pt = edr_proctable__new(1024, "fuzz");
		edr_ecs__init(&ecs, "fuzz");
		edr_json_init(&j);
	}
	/* An exact-size heap copy so ASan sees any read past the record. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (edr_decode(copy, size, &ev) == EDR_DECODE_OK) {
		struct edr_enrichment en = { 0 };
		struct edr_event_ctx c = { .ev = &ev, .en = &en, .user = "user" };
		uint32_t target;
		int i;

		p = edr_family_apply(pt, &ev, "/nonexistent-proc");
		if (p)
			parent = edr_proctable__parent(pt, p);
		target = edr_family_target(&ev);
		en.target = target ? edr_proctable__get(pt, target) : NULL;
		c.p = p;
		c.parent = parent;
		edr_json_reset(&j);
		edr_ecs__event(&ecs, &j, &c);
		edr_json_obj_end(&j);
		for (i = 0; i < 4 && !edr_sigma_map(&view, &c, i); i++)
			;
		edr_proctable__reap(pt, ev.hdr->ts_ns, 1000);
	}
	free(copy);
	return 0;
}
