// SPDX-License-Identifier: GPL-2.0-only
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sensor/enrich/idcache.h"

/* ---- user and group names ---- */

#define IDCACHE_SLOTS 256

struct id_slot {
	uint32_t id;
	int valid, known;
	char name[64];
};

struct edr_idcache {
	struct id_slot users[IDCACHE_SLOTS], groups[IDCACHE_SLOTS];
	struct timespec passwd_mtime, group_mtime;
	time_t checked;
};

struct edr_idcache *edr_idcache__new(void)
{
	return calloc(1, sizeof(struct edr_idcache));
}

void edr_idcache__free(struct edr_idcache *c)
{
	free(c);
}

/* At most once a second, drop the caches if the databases changed. */
static void idcache_check(struct edr_idcache *c)
{
	time_t now = time(NULL);
	struct stat st;

	if (now == c->checked)
		return;
	c->checked = now;
	if (!stat("/etc/passwd", &st) && memcmp(&st.st_mtim, &c->passwd_mtime, sizeof(st.st_mtim))) {
		c->passwd_mtime = st.st_mtim;
		memset(c->users, 0, sizeof(c->users));
	}
	if (!stat("/etc/group", &st) && memcmp(&st.st_mtim, &c->group_mtime, sizeof(st.st_mtim))) {
		c->group_mtime = st.st_mtim;
		memset(c->groups, 0, sizeof(c->groups));
	}
}

const char *edr_idcache__user(struct edr_idcache *c, uint32_t uid)
{
	struct id_slot *s;
	struct passwd pw, *res = NULL;
	char buf[2048];

	if (!c)
		return NULL;
	idcache_check(c);
	s = &c->users[uid % IDCACHE_SLOTS];
	if (!s->valid || s->id != uid) {
		s->valid = 1;
		s->id = uid;
		s->known = !getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res;
		if (s->known)
			snprintf(s->name, sizeof(s->name), "%s", pw.pw_name);
	}
	return s->known ? s->name : NULL;
}

const char *edr_idcache__group(struct edr_idcache *c, uint32_t gid)
{
	struct id_slot *s;
	struct group gr, *res = NULL;
	char buf[4096];

	if (!c)
		return NULL;
	idcache_check(c);
	s = &c->groups[gid % IDCACHE_SLOTS];
	if (!s->valid || s->id != gid) {
		s->valid = 1;
		s->id = gid;
		s->known = !getgrgid_r(gid, &gr, buf, sizeof(buf), &res) && res;
		if (s->known)
			snprintf(s->name, sizeof(s->name), "%s", gr.gr_name);
	}
	return s->known ? s->name : NULL;
}

