// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the rule loader: the input is one rule file. If it
 * loads, every category gets a synthetic event (strings taken from the input
 * itself, so patterns can hit) and the rule samples are run: the compiler,
 * the Hyperscan databases and the evaluator all see fuzzed rules; then each
 * rule's response and kernel form are read whole.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rules/edr_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edr_rule_src src = { "fuzz.yml", (const char *)data, size };
	struct edr_rules_opts opts = { 0 };
	struct edr_rules_err err = { 0 };
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	const struct edr_rule *out[8];
	struct edr_ruleset *rs;
	struct edr_matcher *m;
	unsigned c, i;

	/* the last byte picks the load mode, so both paths are explored */
	if (size && (data[size - 1] & 1))
		opts.flags |= EDR_RULES_KEEP_GOING;
	if (size && (data[size - 1] & 2))
		opts.flags |= EDR_RULES_REQUIRE_SAMPLES;
	rs = edr_ruleset__load_mem_opts(&src, 1, &opts, &err);
	if (!rs)
		return 0;
	m = edr_matcher__new(rs);
	if (m) {
		for (c = 0; c < edr_schema_ncats(); c++) {
			struct edr_rule_event ev = { .cat = (int)c, .nfields = edr_schema_nfields((int)c), .f = f };

			memset(f, 0, sizeof(f));
			for (i = 0; i < ev.nfields; i++) {
				size_t off = size ? (i * 131u) % size : 0;

				f[i].set = (i + c) % 5 != 0;
				f[i].s = (const char *)data + off;
				f[i].len = (uint32_t)((size - off) < 64 ? size - off : 64);
				f[i].n = (int64_t)i * 1000 - 1;
				if (edr_schema_field_type((int)c, (int)i) == EDR_FT_IP) {
					f[i].s = i & 1 ? "10.1.2.3" : "2001:db8::1";
					f[i].len = (uint32_t)strlen(f[i].s);
				}
			}
			edr_matcher__eval(m, &ev, out, 8);
			/* fewer fields than the schema */
			ev.nfields /= 2;
			edr_matcher__eval(m, &ev, out, 8);
		}
		edr_matcher__free(m);
	}
	edr_ruleset__selftest(rs, &err);
	/* the response and kernel form of every rule: read every byte of them */
	for (i = 0; i < edr_ruleset__count(rs); i++) {
		const struct edr_rule *r = edr_ruleset__rule(rs, i);
		volatile size_t sink = edr_rule__response(r)->action;
		struct edr_kform k;
		unsigned j;

		edr_rule__kform(r, &k);
		for (j = 0; j < k.nstrs; j++)
			sink += strlen(k.strs[j]);
		for (j = 0; j < k.nnets; j++)
			sink += k.nets[j].prefix + k.nets[j].addr[15];
		for (j = 0; j < k.nports; j++)
			sink += k.ports[j];
		for (j = 0; j < edr_schema_nfields(edr_rule__category(r)); j++)
			sink += (size_t)edr_rule__uses_field(r, j);
		(void)sink;
	}
	edr_ruleset__free(rs);
	return 0;
}
