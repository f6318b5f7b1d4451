// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the configuration parser: any bytes, loaded over the
 * defaults, must give diagnostics and a configuration that dumps and reloads
 * to the same text, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/config.h"

static void ignore(enum edr_diag_level level, const char *msg, void *ctx)
{
	/* Every message is one line: edrctl and the journal print them as such. */
	if (strchr(msg, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edr_config a, b;
	char *d1 = NULL, *d2 = NULL;
	size_t l1 = 0, l2 = 0;
	FILE *f;

	if (edr_config__defaults(&a))
		return 0;
	edr_config__load_mem(&a, "fuzz.conf", (const char *)data, size, ignore, NULL);
	f = open_memstream(&d1, &l1);
	edr_config__dump(&a, f);
	fclose(f);
	/* What the dump says is what a reload gives. */
	if (!edr_config__defaults(&b)) {
		edr_config__load_mem(&b, "dump.conf", d1, l1, ignore, NULL);
		f = open_memstream(&d2, &l2);
		edr_config__dump(&b, f);
		fclose(f);
		if (l1 != l2 || memcmp(d1, d2, l1)) {
			fprintf(stderr, "dump/reload differ:\n%s\n---\n%s\n", d1, d2);
			abort();
		}
		edr_config__free(&b);
	}
	free(d1);
	free(d2);
	edr_config__free(&a);
	return 0;
}
