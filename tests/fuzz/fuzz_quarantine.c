// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the quarantine's meta parser: any bytes give an item
 * or -EINVAL, never a crash or a read past the input; an accepted item has
 * a valid id, an absolute NUL-terminated path and terminated strings; and
 * formatting it and parsing the text again gives the same item (so what
 * restore reads back is what put wrote).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/response/quarantine.h"

static void check_item(const struct edr_quarantine_item *it)
{
	if (memchr(it->id, 0, sizeof(it->id)) != it->id + 16 || it->path[0] != '/' ||
	    !memchr(it->path, 0, sizeof(it->path)) || !memchr(it->sha256, 0, sizeof(it->sha256)) ||
	    !memchr(it->rule_id, 0, sizeof(it->rule_id)) ||
	    !memchr(it->rule_name, 0, sizeof(it->rule_name)) || it->mode > 07777)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct edr_quarantine_item it, back;
	char *copy = malloc(size ? size : 1), *text;

	if (!copy)
		return 0;
	memcpy(copy, data, size); /* exact size: ASan sees any read past it */
	if (edr_quarantine_meta_parse(copy, size, &it) == 0) {
		check_item(&it);
		text = edr_quarantine_meta_format(&it);
		if (text) {
			/* Strings that are not UTF-8 are written as U+FFFD: only
			 * the path (path_hex) must survive byte for byte. */
			if (edr_quarantine_meta_parse(text, strlen(text), &back) ||
			    strcmp(back.path, it.path) || strcmp(back.id, it.id) ||
			    back.mode != it.mode || back.uid != it.uid || back.size != it.size ||
			    back.mtime != it.mtime || back.qtime != it.qtime)
				abort();
			free(text);
		}
	}
	free(copy);
	return 0;
}
