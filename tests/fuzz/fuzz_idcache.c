// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the passwd/group parser: any bytes, as a passwd and as
 * a group file, give a table or ENOMEM, never a crash, and the table agrees
 * with a second, deliberately naive reading of the same bytes (fields split
 * on every ':'): each valid line's id is found, under the name of the first
 * valid line with that id, the count is the number of distinct ids, and the
 * error count is the number of malformed lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sensor/enrich/idcache.h"

#define MAX_IDS 4096

static int ref_number(const char *p, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v >= UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* 1 valid, 0 ignored, -1 malformed. */
static int ref_line(const char *p, const char *e, enum edr_id_kind kind, const char **name,
		    size_t *nlen, uint32_t *id)
{
	const char *f[4], *q;
	size_t fl[4], i;
	int nf = 0;
	uint32_t gid;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p == e || *p == '#' || *p == '+' || *p == '-')
		return 0;
	for (q = p; nf < 4;) {
		const char *c = memchr(q, ':', (size_t)(e - q));

		f[nf] = q;
		fl[nf++] = (size_t)((c ? c : e) - q);
		if (!c)
			break;
		q = c + 1;
	}
	if (nf < (kind == EDR_ID_USER ? 4 : 3) || !fl[0] || fl[0] >= EDR_IDCACHE_NAME_MAX)
		return -1;
	for (i = 0; i < fl[0]; i++)
		if ((unsigned char)f[0][i] < 0x20 || f[0][i] == 0x7f)
			return -1;
	if (ref_number(f[2], fl[2], id))
		return -1;
	if (kind == EDR_ID_USER && ref_number(f[3], fl[3], &gid))
		return -1;
	*name = f[0];
	*nlen = fl[0];
	return 1;
}

static void check(const char *data, size_t size, enum edr_id_kind kind)
{
	static uint32_t seen[MAX_IDS];
	size_t nseen = 0, pos = 0, nlen, i;
	uint64_t errors = 0, ref_errors = 0;
	const char *p, *e, *name, *got;
	struct edr_idtab *t;
	uint32_t id;
	int r;

	t = edr_idtab__parse(data, size, kind, MAX_IDS, &errors);
	if (!t)
		return;
	while (pos < size) {
		p = data + pos;
		e = memchr(p, '\n', size - pos);
		if (!e)
			e = data + size;
		pos = (size_t)(e - data) + 1;
		r = ref_line(p, e, kind, &name, &nlen, &id);
		if (r < 0)
			ref_errors++;
		if (r <= 0)
			continue;
		got = edr_idtab__find(t, id);
		if (!got || strlen(got) >= EDR_IDCACHE_NAME_MAX)
			abort();
		for (i = 0; i < nseen && seen[i] != id; i++)
			;
		if (i < nseen)
			continue;
		if (nseen == MAX_IDS)
			abort();   /* more ids than lines of an input this short */
		seen[nseen++] = id;
		if (strlen(got) != nlen || memcmp(got, name, nlen))
			abort();
	}
	if (edr_idtab__count(t) != nseen || errors != ref_errors)
		abort();
	edr_idtab__free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check((const char *)data, size, EDR_ID_USER);
	check((const char *)data, size, EDR_ID_GROUP);
	return 0;
}
