// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensor/sigma_map.h"

void edr_sigma_str(struct edr_field_value *f, const char *s, size_t len)
{
	if (!s)
		return;
	f->s = s;
	f->len = len;
	f->set = 1;
}

void edr_sigma_cstr(struct edr_field_value *f, const char *s)
{
	if (s)
		edr_sigma_str(f, s, strlen(s));
}

void edr_sigma_int(struct edr_field_value *f, char *buf, int64_t n)
{
	int len = snprintf(buf, 24, "%lld", (long long)n);

	f->n = n;
	f->s = buf;
	f->len = len;
	f->set = 1;
}

struct edr_field_value *edr_sigma_begin(struct edr_sigma_view *v, int cat, unsigned n)
{
	memset(v->f, 0, sizeof(v->f));
	v->ev.cat = cat;
	v->ev.nfields = n;
	v->ev.f = v->f;
	return v->f;
}

void edr_sigma_subject(struct edr_sigma_view *v, const struct edr_event_ctx *c, int image, int user,
		       int pid, int cmd)
{
	struct edr_field_value *f = v->f;
	const struct edr_proc *p = c->p;
	size_t n;

	if (p && p->exe)
		edr_sigma_cstr(&f[image], p->exe);
	if (p && p->args) {
		n = edr_cmdline(p->args, p->args_len, v->cmd, sizeof(v->cmd));
		edr_sigma_str(&f[cmd], v->cmd, n);
	}
	if (c->user)
		edr_sigma_cstr(&f[user], c->user);
	else
		edr_sigma_int(&f[user], v->num[0], c->ev->task->uid);
	edr_sigma_int(&f[pid], v->num[1], c->ev->task->tgid);
}

int edr_sigma_map(struct edr_sigma_view *v, const struct edr_event_ctx *c, int idx)
{
	const struct edr_family *fam = c->ev->fam;

	return fam->sigma ? fam->sigma(v, c, idx) : -ENOENT;
}
