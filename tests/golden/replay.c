// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replays a golden stream (tests/golden/gen_records.c) through what the
 * daemon does with each record: decode, the process table, enrichment,
 * the ECS line, the Sigma views and an alert, and prints all of it, one
 * line each, for a byte-for-byte comparison with tests/golden/expected.txt.
 * Nothing depends on the machine: no /proc, a fixed host name, boot id and
 * clock offset, and enrichment (hash, container) made up from the record.
 *
 *   replay IN             the output
 *   replay --coverage IN  instead, checks the schema against the families:
 *                         every field a rule may name (rules/schema.def) is
 *                         filled by some family for some record of the
 *                         stream, and every field marked EDR_UNFILLED is not
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/schema.h"
#include "sensor/enrich/ancestry.h"
#include "sensor/decode.h"
#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

struct replay {
	struct edr_proctable *procs;
	struct edr_ecs ecs;
	struct edr_enrichment en;
	struct edr_sigma_view view;
	struct edr_cgroup_info container;
	struct edr_json j;
	uint64_t n;
	int coverage;                                  /* --coverage: no output */
	uint8_t seen[_EDR_CAT_MAX][EDR_SCHEMA_MAX_FIELDS];
};

static void note_view(struct replay *r, const struct edr_sigma_view *v)
{
	unsigned i;

	for (i = 0; i < v->ev.nfields; i++)
		if (v->ev.f[i].set)
			r->seen[v->ev.cat][i] = 1;
}

/* Fields the schema offers that no family filled, or filled ones the
 * schema says are never filled: each a line, and the count. */
static int check_coverage(const struct replay *r)
{
	unsigned cat, i;
	int bad = 0;

	for (cat = 0; cat < edr_schema_ncats(); cat++)
		for (i = 0; i < edr_schema_nfields(cat); i++) {
			const char *why = edr_schema_field_unfilled(cat, i);

			if (!r->seen[cat][i] && !why) {
				printf("%s.%s: a rule may name it but no family fills it (mark it EDR_UNFILLED)\n",
				       edr_schema_cat_name(cat), edr_schema_field_name(cat, i));
				bad++;
			} else if (r->seen[cat][i] && why) {
				printf("%s.%s: filled by a family but marked EDR_UNFILLED\n",
				       edr_schema_cat_name(cat), edr_schema_field_name(cat, i));
				bad++;
			}
		}
	return bad;
}

static void print_view(const struct edr_sigma_view *v)
{
	unsigned i;

	printf("sigma %s", edr_schema_cat_name(v->ev.cat));
	for (i = 0; i < v->ev.nfields; i++) {
		const struct edr_field_value *f = &v->ev.f[i];

		if (!f->set)
			continue;
		printf(" | %s=", edr_schema_field_name(v->ev.cat, i));
		if (f->s)
			fwrite(f->s, 1, f->len, stdout);
		printf(" (n=%lld)", (long long)f->n);
	}
	putchar('\n');
}

static void print_json(struct replay *r)
{
	if (r->coverage)
		return;
	edr_json_obj_end(&r->j);
	fwrite(r->j.buf, 1, r->j.len, stdout);
	putchar('\n');
}

/* What the daemon's enrich() adds, from the record instead of the machine. */
static void enrich(struct replay *r, const struct edr_decoded *ev, struct edr_proc *p)
{
	struct edr_enrichment *en = &r->en;
	uint32_t target = edr_family_target(ev), dev;
	uint64_t ino;

	en->have_hash = 0;
	en->container = NULL;
	en->ancestry.n = 0;
	en->target = target ? edr_proctable__get(r->procs, target) : NULL;
	if (edr_family_new_image(ev, &dev, &ino)) {
		en->have_hash = 1;
		en->hash_state = ev->hdr->seq % 3 == 0 ? EDR_HASH_DONE :
				 ev->hdr->seq % 3 == 1 ? EDR_HASH_PENDING : EDR_HASH_SKIPPED;
		en->hash_skip = EDR_HASH_SKIP_TOO_BIG;
		snprintf(en->sha256, sizeof(en->sha256), "%064llx", (unsigned long long)ev->hdr->seq);
	}
	if (p && p->tgid == 200) {
		r->container.runtime = EDR_CRT_DOCKER;
		snprintf(r->container.id, sizeof(r->container.id), "%064x", 0xc0ffee);
		en->container = &r->container;
	}
	if (p)
		edr_ancestry__walk(r->procs, p, 4, &en->ancestry);
}

static void alert(struct replay *r, const struct edr_event_ctx *c)
{
	static const char *const techniques[] = { "T1059", "T1055.008" };
	static const char *const tags[] = { "attack.execution", "golden" };
	uint64_t seq = c->ev->hdr->seq;
	struct edr_alert_info a = {
		.rule_id = "0000-golden", .rule_name = "Golden rule", .rule_description = "d\"esc",
		.level = seq % 8 == 0 ? "critical" : "low", .rule_file = "golden.yml",
		.techniques = techniques, .ntechniques = 2, .tags = tags, .ntags = seq % 3 ? 2 : 0,
		.shadow = (int)(seq % 2), .content_version = seq % 5,
	};

	edr_json_reset(&r->j);
	edr_ecs__alert(&r->ecs, &r->j, c, &a);
	print_json(r);
}

static void one(struct replay *r, void *data, size_t len)
{
	struct edr_decoded ev;
	struct edr_event_ctx c = { .ev = &ev, .en = &r->en };
	struct edr_proc *p;
	enum edr_decode_err de;
	int i;

	r->n++;
	de = edr_decode(data, len, &ev);
	if (de) {
		if (!r->coverage)
			printf("record %llu: decode error: %s\n", (unsigned long long)r->n,
			       edr_decode_err_str(de));
		return;
	}
	p = edr_family_apply(r->procs, &ev, "/nonexistent-proc");
	c.p = p;
	if (p)
		c.parent = edr_proctable__parent(r->procs, p);
	enrich(r, &ev, p);
	edr_json_reset(&r->j);
	edr_ecs__event(&r->ecs, &r->j, &c);
	print_json(r);
	c.user = edr_idcache__user(r->ecs.ids, ev.task->uid);
	if (c.parent)
		c.puser = edr_idcache__user(r->ecs.ids, c.parent->uid);
	for (i = 0; !edr_sigma_map(&r->view, &c, i); i++) {
		note_view(r, &r->view);
		if (!r->coverage)
			print_view(&r->view);
	}
	if (ev.hdr->seq % 4 == 0)
		alert(r, &c);
}

int main(int argc, char **argv)
{
	static uint8_t buf[EDR_EVENT_MAX_SIZE + 16];
	struct replay r = { 0 };
	uint32_t len;
	FILE *f;

	if (argc == 3 && !strcmp(argv[1], "--coverage")) {
		r.coverage = 1;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: replay [--coverage] IN\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	r.procs = edr_proctable__new(64, "golden-boot-id");
	if (!r.procs || edr_ecs__init(&r.ecs, "golden-host"))
		return 1;
	r.ecs.boot_to_real_ns = 1700000000000000000ll;
	edr_json_init(&r.j);
	while (fread(&len, sizeof(len), 1, f) == 1) {
		if (len > sizeof(buf) || fread(buf, 1, len, f) != len) {
			fprintf(stderr, "replay: truncated stream\n");
			return 1;
		}
		one(&r, buf, len);
	}
	fclose(f);
	if (r.coverage && check_coverage(&r))
		return 1;
	edr_json_free(&r.j);
	edr_ecs__fini(&r.ecs);
	edr_proctable__free(r.procs);
	return 0;
}
