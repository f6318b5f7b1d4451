// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the control protocol decoders (request and reply).
 * Whatever decodes must re-encode and decode to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/ctl/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edr_ctl_err err;
	struct edr_ctl_req *req, *again;
	struct edr_ctl_reply r, r2;
	uint8_t *buf;
	size_t len, i;
	char kind, kind2;

	req = edr_ctl_req__decode(data, size, &err);
	if (req) {
		if (edr_ctl_req__encode(req, &buf, &len) == 0) {
			again = edr_ctl_req__decode(buf + 4, len - 4, &err);
			if (!again || strcmp(again->verb, req->verb) || again->nargs != req->nargs)
				abort();
			for (i = 0; i < req->nargs; i++)
				if (strcmp(again->args[i].key, req->args[i].key) ||
				    strcmp(again->args[i].val, req->args[i].val))
					abort();
			edr_ctl_req__free(again);
			free(buf);
		}
		edr_ctl_req__free(req);
	}

	edr_ctl_reply__init(&r);
	edr_ctl_reply__init(&r2);
	if (edr_ctl_reply__decode(&r, &kind, data, size, &err) == 0) {
		FILE *f = fopen("/dev/null", "w");

		if (f) {
			edr_ctl_reply__print_json(&r, f);
			edr_ctl_reply__print_table(&r, f);
			fclose(f);
		}
		if (edr_ctl_reply__encode(&r, kind, &buf, &len) == 0) {
			if (edr_ctl_reply__decode(&r2, &kind2, buf + 4, len - 4, &err) ||
			    kind2 != kind || r2.status != r.status || strcmp(r2.msg, r.msg))
				abort();
			free(buf);
		}
	}
	edr_ctl_reply__fini(&r);
	edr_ctl_reply__fini(&r2);
	return 0;
}
