// SPDX-License-Identifier: GPL-2.0-only
/*
 * The file family (bpf/file.bpf.h): create, write-open or truncate, unlink,
 * rename, chmod, chown, hard link and symlink. Feeds Sigma file_event,
 * file_delete, file_rename and file_change.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/family/file.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

extern const struct edr_family edr_family_file;

#define FILE_TYPE(t, stat, ecs_type, action) \
	{ EDR_EVENT_##t, stat, "file", ecs_type, action, sizeof(struct edr_file), 1 }
static const struct edr_rectype types[] = {
	FILE_TYPE(FILE_CREATE, "file_create", "creation", "file-create"),
	FILE_TYPE(FILE_WRITE, "file_write", "change", "file-write"),
	FILE_TYPE(FILE_UNLINK, "file_delete", "deletion", "file-delete"),
	FILE_TYPE(FILE_RENAME, "file_rename", "change", "file-rename"),
	FILE_TYPE(FILE_CHMOD, "file_chmod", "change", "file-chmod"),
	FILE_TYPE(FILE_CHOWN, "file_chown", "change", "file-chown"),
	FILE_TYPE(FILE_LINK, "file_link", "creation", "file-link"),
	FILE_TYPE(FILE_SYMLINK, "file_symlink", "creation", "file-symlink"),
	/* An open for write refused by policy: not new activity, no Sigma view. */
	{ EDR_EVENT_FILE_DENIED, "file_denied", "file", "denied", "file-denied", sizeof(struct edr_file_denied), 1 },
};

/* Only a rename, link or symlink has a second path. */
static int two_paths(uint16_t type)
{
	return type == EDR_EVENT_FILE_RENAME || type == EDR_EVENT_FILE_LINK ||
	       type == EDR_EVENT_FILE_SYMLINK;
}

static enum edr_decode_err decode(struct edr_decoded *ev, const char *base, size_t len, size_t *off)
{
	const struct edr_file *f = EDR_REC(ev, file);
	enum edr_decode_err e;

	if ((e = edr_decode_str(base, len, off, f->path_len, &ev->path, 1)) ||
	    (e = edr_decode_str(base, len, off, f->old_path_len, &ev->old_path, 1)))
		return e;
	/* Every file event names its file. */
	if (!ev->path.p || (!ev->old_path.p) != !two_paths(ev->type))
		return EDR_DECODE_TAIL;
	if (ev->type == EDR_EVENT_FILE_DENIED)
		return edr_decode_deny(ev, offsetof(struct edr_file_denied, deny));
	return EDR_DECODE_OK;
}

static int resolve_one(struct edr_str *path, const char *proc, uint32_t tgid, int32_t dirfd, char *buf)
{
	char link[64 + 256];
	ssize_t n;

	if (!path->p || path->p[0] == '/' || dirfd < 0)
		return 0;
	snprintf(link, sizeof(link), "%s/%u/fd/%d", proc, tgid, dirfd);
	n = readlink(link, buf, EDR_RESOLVE_MAX - 1);
	/* A directory fd links to an absolute path; anything else (a deleted
	 * directory, "anon_inode:...") cannot be the base of a name. */
	if (n <= 0 || buf[0] != '/' || (size_t)n + 1 + path->len + 1 > EDR_RESOLVE_MAX)
		return 0;
	if (n > 1)
		buf[n++] = '/';
	memcpy(buf + n, path->p, path->len);
	buf[n + path->len] = 0;
	path->p = buf;
	path->len = n + path->len;
	return 1;
}

int edr_file_resolve(struct edr_decoded *ev, const char *proc, char buf[2][EDR_RESOLVE_MAX])
{
	int n = 0;

	const struct edr_file *f = EDR_REC(ev, file);

	if (ev->fam != &edr_family_file)
		return 0;
	if (f->flags & EDR_FILE_PATH_RELATIVE)
		n += resolve_one(&ev->path, proc, ev->task->tgid, f->dirfd, buf[0]);
	if (f->flags & EDR_FILE_OLD_PATH_RELATIVE)
		n += resolve_one(&ev->old_path, proc, ev->task->tgid, f->old_dirfd, buf[1]);
	return n;
}

/* File events describe a known process; the table is unchanged. */
static struct edr_proc *apply(struct edr_proctable *pt, struct edr_decoded *ev, const char *proc_root)
{
	static char resolved[2][EDR_RESOLVE_MAX];
	struct edr_proc *p = edr_proctable__get(pt, ev->task->tgid);

	edr_file_resolve(ev, proc_root, resolved);
	return p;
}

/* ECS "file": path, name and directory of the file the event is about (the
 * new name of a rename), and what the kernel knew of its inode. */
static void ecs_objects(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_file *f = EDR_REC(ev, file);
	const char *path = ev->path.p, *slash;
	char b[24];

	edr_json_key(j, "file");
	edr_json_obj_begin(j);
	edr_json_kstr(j, "path", path, ev->path.len);
	slash = memrchr(path, '/', ev->path.len);
	if (slash) {
		edr_json_kstr(j, "name", slash + 1, ev->path.len - (slash + 1 - path));
		edr_json_kstr(j, "directory", path, slash == path ? 1 : (size_t)(slash - path));
	} else {
		edr_json_kstr(j, "name", path, ev->path.len);
	}
	if (ev->type == EDR_EVENT_FILE_CHMOD || f->mode) {
		/* ECS file.mode: the octal permission string, e.g. "0644". */
		snprintf(b, sizeof(b), "%04o", f->mode & 07777);
		edr_json_kcstr(j, "mode", b);
	}
	if (f->uid != (uint32_t)-1) {
		snprintf(b, sizeof(b), "%u", f->uid);
		edr_json_kcstr(j, "uid", b);
	}
	if (f->gid != (uint32_t)-1) {
		snprintf(b, sizeof(b), "%u", f->gid);
		edr_json_kcstr(j, "gid", b);
	}
	if (f->ino) {
		snprintf(b, sizeof(b), "%llu", (unsigned long long)f->ino);
		edr_json_kcstr(j, "inode", b);
	}
	if (f->mode) {
		unsigned fmt = f->mode & 0170000;

		if (fmt)
			edr_json_kcstr(j, "type", fmt == 0040000 ? "dir" : fmt == 0120000 ? "symlink" : "file");
	} else if (f->flags & EDR_FILE_DIR) {
		edr_json_kcstr(j, "type", "dir");
	}
	edr_json_obj_end(j);
}

/* What ECS has no field for: the rename source, flags, the attach path. */
static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;
	const struct edr_file *f = EDR_REC(ev, file);

	edr_json_key(j, "file");
	edr_json_obj_begin(j);
	if (ev->old_path.p)
		edr_json_kstr(j, "old_path", ev->old_path.p, ev->old_path.len);
	if (f->flags & (EDR_FILE_PATH_TRUNC | EDR_FILE_OLD_PATH_TRUNC))
		edr_json_kbool(j, "path_truncated", 1);
	if (f->flags & (EDR_FILE_PATH_RELATIVE | EDR_FILE_OLD_PATH_RELATIVE))
		/* Resolved (or not) in user space against /proc/PID/fd/DIRFD. */
		edr_json_kbool(j, "path_resolved_in_user_space", 1);
	if (f->flags & EDR_FILE_TRUNCATE)
		edr_json_kbool(j, "truncate", 1);
	if (f->flags & EDR_FILE_SETID)
		edr_json_kbool(j, "setid", 1);
	if (f->flags & EDR_FILE_ATTEMPT)
		edr_json_kbool(j, "attempt", 1);
	if (f->open_flags)
		edr_json_kuint(j, "open_flags", f->open_flags);
	if (ev->type == EDR_EVENT_FILE_CHMOD && (f->flags & EDR_FILE_OLD_MODE)) {
		char b[24];

		/* Like file.mode: the octal permission string. */
		snprintf(b, sizeof(b), "%04o", f->old_mode & 07777);
		edr_json_kcstr(j, "old_mode", b);
	}
	edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
	edr_json_obj_end(j);
	edr_ecs_deny(j, ev);
}

static const char *outcome(const struct edr_decoded *ev)
{
	return ev->type == EDR_EVENT_FILE_DENIED ? "failure" : NULL;
}

/*
 * File events: the four file categories share TargetFilename, Image, User,
 * ProcessId and CommandLine; the index of each comes from its own category.
 */
struct file_cat {
	int cat; /* enum edr_cat */
	uint32_t nfields;
	int target, source, image, user, pid, cmd; /* -1: the category has no such field */
};

static const struct file_cat file_cats[] = {
	/* SourceFilename: a hard link's existing file, a symlink's target. */
	{ EDR_CAT_FILE_EVENT, EDR_NFIELDS(FILE_EVENT), EDR_F_FILE_EVENT_TARGET_FILENAME,
	  EDR_F_FILE_EVENT_SOURCE_FILENAME,
	  EDR_F_FILE_EVENT_IMAGE, EDR_F_FILE_EVENT_USER, EDR_F_FILE_EVENT_PROCESS_ID,
	  EDR_F_FILE_EVENT_COMMAND_LINE },
	{ EDR_CAT_FILE_DELETE, EDR_NFIELDS(FILE_DELETE), EDR_F_FILE_DELETE_TARGET_FILENAME, -1,
	  EDR_F_FILE_DELETE_IMAGE, EDR_F_FILE_DELETE_USER, EDR_F_FILE_DELETE_PROCESS_ID,
	  EDR_F_FILE_DELETE_COMMAND_LINE },
	{ EDR_CAT_FILE_RENAME, EDR_NFIELDS(FILE_RENAME), EDR_F_FILE_RENAME_TARGET_FILENAME,
	  EDR_F_FILE_RENAME_SOURCE_FILENAME, EDR_F_FILE_RENAME_IMAGE, EDR_F_FILE_RENAME_USER,
	  EDR_F_FILE_RENAME_PROCESS_ID, EDR_F_FILE_RENAME_COMMAND_LINE },
	{ EDR_CAT_FILE_CHANGE, EDR_NFIELDS(FILE_CHANGE), EDR_F_FILE_CHANGE_TARGET_FILENAME, -1,
	  EDR_F_FILE_CHANGE_IMAGE, EDR_F_FILE_CHANGE_USER, EDR_F_FILE_CHANGE_PROCESS_ID,
	  EDR_F_FILE_CHANGE_COMMAND_LINE },
};

static int sigma(struct edr_sigma_view *v, const struct edr_event_ctx *ctx, int idx)
{
	const struct edr_decoded *ev = ctx->ev;
	const struct edr_file *fe = EDR_REC(ev, file);
	struct edr_field_value *f;
	const struct file_cat *c;

	if (idx)
		return -ENOENT;
	switch (ev->type) {
	case EDR_EVENT_FILE_CREATE:
	case EDR_EVENT_FILE_WRITE:
	case EDR_EVENT_FILE_LINK:    /* TargetFilename: the new name */
	case EDR_EVENT_FILE_SYMLINK: /* TargetFilename: the link */
		c = &file_cats[0];
		break;
	case EDR_EVENT_FILE_UNLINK:
		c = &file_cats[1];
		break;
	case EDR_EVENT_FILE_RENAME:
		c = &file_cats[2];
		break;
	case EDR_EVENT_FILE_CHMOD:
	case EDR_EVENT_FILE_CHOWN:
		c = &file_cats[3];
		break;
	default:
		return -ENOENT;
	}
	f = edr_sigma_begin(v, c->cat, c->nfields);
	edr_sigma_str(&f[c->target], ev->path.p, ev->path.len);
	if (c->source >= 0 && ev->old_path.p)
		edr_sigma_str(&f[c->source], ev->old_path.p, ev->old_path.len);
	edr_sigma_subject(v, ctx, c->image, c->user, c->pid, c->cmd);
	if (ev->type == EDR_EVENT_FILE_CHMOD)
		edr_sigma_int(&f[EDR_F_FILE_CHANGE_NEW_MODE], v->num[2], fe->mode & 07777);
	if (ev->type == EDR_EVENT_FILE_CHOWN) {
		/* (uid_t)-1 leaves the owner unchanged: no new value to match. */
		if (fe->uid != (uint32_t)-1)
			edr_sigma_int(&f[EDR_F_FILE_CHANGE_NEW_UID], v->num[3], fe->uid);
		if (fe->gid != (uint32_t)-1)
			edr_sigma_int(&f[EDR_F_FILE_CHANGE_NEW_GID], v->num[4], fe->gid);
	}
	return 0;
}

const struct edr_family edr_family_file = {
	.name = "file",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.decode = decode,
	.outcome = outcome,
	.apply = apply,
	.ecs_objects = ecs_objects,
	.ecs_edr = ecs_edr,
	.sigma = sigma,
};
