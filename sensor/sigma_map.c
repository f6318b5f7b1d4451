// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/sigma_map.h"

static void set_str(struct edr_field_value *f, const char *s, size_t len)
{
	if (!s)
		return;
	f->s = s;
	f->len = len;
	f->set = 1;
}

static void set_cstr(struct edr_field_value *f, const char *s)
{
	if (s)
		set_str(f, s, strlen(s));
}

static void set_int(struct edr_field_value *f, char *buf, int64_t n)
{
	int len = snprintf(buf, 24, "%lld", (long long)n);

	f->n = n;
	f->s = buf;
	f->len = len;
	f->set = 1;
}

int edr_sigma_map(struct edr_sigma_view *v, const struct edr_decoded *ev, const struct edr_proc *p,
		  const struct edr_proc *parent, const char *user, const char *puser)
{
	struct edr_field_value *f = v->f;
	const struct edr_task *t = ev->task;
	size_t n;

	if (ev->type != EDR_EVENT_EXEC)
		return -ENOENT;
	memset(f, 0, sizeof(v->f));
	v->ev.cat = EDR_CAT_PROCESS_CREATION;
	v->ev.nfields = EDR_NFIELDS(PROCESS_CREATION);
	v->ev.f = f;
	if (p && p->exe)
		set_cstr(&f[EDR_F_PROCESS_CREATION_IMAGE], p->exe);
	else if (ev->path.p)
		set_str(&f[EDR_F_PROCESS_CREATION_IMAGE], ev->path.p, ev->path.len);
	if (ev->filename.p)
		set_str(&f[EDR_F_PROCESS_CREATION_ORIGINAL_FILE_NAME], ev->filename.p, ev->filename.len);
	if (ev->argv.p) {
		n = edr_cmdline(ev->argv.p, ev->argv.len, v->cmd, sizeof(v->cmd));
		set_str(&f[EDR_F_PROCESS_CREATION_COMMAND_LINE], v->cmd, n);
	}
	if (ev->cwd.p)
		set_str(&f[EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY], ev->cwd.p, ev->cwd.len);
	if (user)
		set_cstr(&f[EDR_F_PROCESS_CREATION_USER], user);
	else
		set_int(&f[EDR_F_PROCESS_CREATION_USER], v->num[0], t->uid);
	if (t->sessionid != (uint32_t)-1)
		set_int(&f[EDR_F_PROCESS_CREATION_LOGON_ID], v->num[1], t->sessionid);
	set_int(&f[EDR_F_PROCESS_CREATION_PROCESS_ID], v->num[2], t->tgid);
	set_int(&f[EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID], v->num[3], t->ppid);
	set_int(&f[EDR_F_PROCESS_CREATION_USER_ID], v->num[4], t->uid);
	if (parent) {
		set_cstr(&f[EDR_F_PROCESS_CREATION_PARENT_IMAGE], parent->exe);
		if (parent->args) {
			n = edr_cmdline(parent->args, parent->args_len, v->pcmd, sizeof(v->pcmd));
			set_str(&f[EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE], v->pcmd, n);
		}
		if (puser)
			set_cstr(&f[EDR_F_PROCESS_CREATION_PARENT_USER], puser);
		else
			set_int(&f[EDR_F_PROCESS_CREATION_PARENT_USER], v->num[5], parent->uid);
	}
	return 0;
}
