// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the bundle reader. Inputs are read twice: without
 * signature checking (so the fuzzer reaches the manifest parser and the
 * zstd decoder, which in production only see signed bytes) and with a
 * trusted key (the path a real load takes). Whatever is accepted must be
 * self-consistent: files inside the decompressed data, sizes adding up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rules/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct edr_bundle_key key;
	static int init;
	struct edr_bundle_err err;
	struct edr_bundle *b;
	size_t i, sum = 0;

	if (!init) {
		uint8_t seed[32], pk[32], sk[64];

		if (sodium_init() < 0)
			abort();
		memset(seed, 0x42, sizeof(seed)); /* the corpus generator's key */
		crypto_sign_seed_keypair(pk, sk, seed);
		edr_bundle_key__from_pk(&key, pk);
		init = 1;
	}
	b = edr_bundle__from_mem(data, size, NULL, 0, EDR_BUNDLE_NO_VERIFY, &err);
	if (b) {
		for (i = 0; i < b->nfiles; i++) {
			if (b->files[i].data != b->data + sum || !b->files[i].name[0])
				abort();
			sum += b->files[i].size;
		}
		if (sum != b->data_size || b->nfiles == 0 || b->verified)
			abort();
		edr_bundle__free(b);
	} else if (!memchr(err.msg, 0, sizeof(err.msg)) || strchr(err.msg, '\n')) {
		abort(); /* every rejection is one terminated line */
	}
	b = edr_bundle__from_mem(data, size, &key, 1, 0, &err);
	if (b && !b->verified)
		abort();
	edr_bundle__free(b);
	return 0;
}
