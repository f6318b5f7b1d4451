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

/* The fields every category has about the acting process: its image,
 * command line, user (the name, else the uid) and process id. */
static void subject(struct edr_sigma_view *v, const struct edr_task *t, const struct edr_proc *p,
		    const char *user, int image, int fuser, int pid, int cmd)
{
	struct edr_field_value *f = v->f;
	size_t n;

	if (p && p->exe)
		set_cstr(&f[image], p->exe);
	if (p && p->args) {
		n = edr_cmdline(p->args, p->args_len, v->cmd, sizeof(v->cmd));
		set_str(&f[cmd], v->cmd, n);
	}
	if (user)
		set_cstr(&f[fuser], user);
	else
		set_int(&f[fuser], v->num[0], t->uid);
	set_int(&f[pid], v->num[1], t->tgid);
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

static int sigma_map_file(struct edr_sigma_view *v, const struct edr_decoded *ev,
			  const struct edr_proc *p, const char *user)
{
	struct edr_field_value *f = v->f;
	const struct edr_task *t = ev->task;
	const struct edr_file *fe = ev->file;
	const struct file_cat *c;

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
	memset(f, 0, sizeof(v->f));
	v->ev.cat = c->cat;
	v->ev.nfields = c->nfields;
	v->ev.f = f;
	set_str(&f[c->target], ev->path.p, ev->path.len);
	if (c->source >= 0 && ev->old_path.p)
		set_str(&f[c->source], ev->old_path.p, ev->old_path.len);
	subject(v, t, p, user, c->image, c->user, c->pid, c->cmd);
	if (ev->type == EDR_EVENT_FILE_CHMOD)
		set_int(&f[EDR_F_FILE_CHANGE_NEW_MODE], v->num[2], fe->mode & 07777);
	if (ev->type == EDR_EVENT_FILE_CHOWN) {
		/* (uid_t)-1 leaves the owner unchanged: no new value to match. */
		if (fe->uid != (uint32_t)-1)
			set_int(&f[EDR_F_FILE_CHANGE_NEW_UID], v->num[3], fe->uid);
		if (fe->gid != (uint32_t)-1)
			set_int(&f[EDR_F_FILE_CHANGE_NEW_GID], v->num[4], fe->gid);
	}
	return 0;
}

/*
 * privilege_change from a credential change: the ids are the effective
 * ones, which are what grants privilege (a setuid exec changes only euid).
 * ptrace from an attach, and from process_vm_writev with Request
 * "process_vm_writev". The target's image comes from the process table.
 */
static int sigma_map_priv(struct edr_sigma_view *v, const struct edr_decoded *ev,
			  const struct edr_proc *p, const char *user)
{
	struct edr_field_value *f = v->f;
	const struct edr_task *t = ev->task;
	const struct edr_proc *target = v->en ? v->en->target : NULL;
	int image, fuser, pid, cmd;

	memset(f, 0, sizeof(v->f));
	v->ev.f = f;
	if (ev->cred) {
		const struct edr_cred *c = ev->cred;

		v->ev.cat = EDR_CAT_PRIVILEGE_CHANGE;
		v->ev.nfields = EDR_NFIELDS(PRIVILEGE_CHANGE);
		image = EDR_F_PRIVILEGE_CHANGE_IMAGE;
		fuser = EDR_F_PRIVILEGE_CHANGE_USER;
		pid = EDR_F_PRIVILEGE_CHANGE_PROCESS_ID;
		cmd = EDR_F_PRIVILEGE_CHANGE_COMMAND_LINE;
		set_cstr(&f[EDR_F_PRIVILEGE_CHANGE_SYSCALL], edr_cred_syscall_name(c->syscall));
		set_int(&f[EDR_F_PRIVILEGE_CHANGE_OLD_UID], v->num[2], c->old_ids.euid);
		set_int(&f[EDR_F_PRIVILEGE_CHANGE_NEW_UID], v->num[3], c->new_ids.euid);
		set_int(&f[EDR_F_PRIVILEGE_CHANGE_OLD_GID], v->num[4], c->old_ids.egid);
		set_int(&f[EDR_F_PRIVILEGE_CHANGE_NEW_GID], v->num[5], c->new_ids.egid);
	} else {
		uint32_t tgid = edr_priv_target_tgid(ev);

		v->ev.cat = EDR_CAT_PTRACE;
		v->ev.nfields = EDR_NFIELDS(PTRACE);
		image = EDR_F_PTRACE_IMAGE;
		fuser = EDR_F_PTRACE_USER;
		pid = EDR_F_PTRACE_PROCESS_ID;
		cmd = EDR_F_PTRACE_COMMAND_LINE;
		set_cstr(&f[EDR_F_PTRACE_REQUEST], ev->ptrace ? edr_ptrace_request_name(ev->ptrace->request) :
			 "process_vm_writev");
		if (tgid)
			set_int(&f[EDR_F_PTRACE_TARGET_PROCESS_ID], v->num[2], tgid);
		if (target && target->exe)
			set_cstr(&f[EDR_F_PTRACE_TARGET_IMAGE], target->exe);
	}
	subject(v, t, p, user, image, fuser, pid, cmd);
	return 0;
}

/*
 * Module loads feed kernel_module and bpf() loads and creations feed
 * bpf_load; attempts (LSM, kprobe) and failures are mapped as well: a refused
 * load by an unexpected process is as telling as one that worked. Mounts
 * have no Sigma category.
 */
static int sigma_map_kern(struct edr_sigma_view *v, const struct edr_decoded *ev,
			  const struct edr_proc *p, const char *user)
{
	struct edr_field_value *f = v->f;
	const struct edr_task *t = ev->task;
	int image, fuser, pid, cmd;

	memset(f, 0, sizeof(v->f));
	v->ev.f = f;
	if (ev->module) {
		v->ev.cat = EDR_CAT_KERNEL_MODULE;
		v->ev.nfields = EDR_NFIELDS(KERNEL_MODULE);
		image = EDR_F_KERNEL_MODULE_IMAGE;
		fuser = EDR_F_KERNEL_MODULE_USER;
		pid = EDR_F_KERNEL_MODULE_PROCESS_ID;
		cmd = EDR_F_KERNEL_MODULE_COMMAND_LINE;
		if (ev->path.p)
			set_str(&f[EDR_F_KERNEL_MODULE_MODULE_PATH], ev->path.p, ev->path.len);
	} else {
		v->ev.cat = EDR_CAT_BPF_LOAD;
		v->ev.nfields = EDR_NFIELDS(BPF_LOAD);
		image = EDR_F_BPF_LOAD_IMAGE;
		fuser = EDR_F_BPF_LOAD_USER;
		pid = EDR_F_BPF_LOAD_PROCESS_ID;
		cmd = EDR_F_BPF_LOAD_COMMAND_LINE;
		set_cstr(&f[EDR_F_BPF_LOAD_COMMAND], edr_bpf_cmd_str(ev->bpf->cmd));
		if (ev->type == EDR_EVENT_BPF_PROG) {
			set_cstr(&f[EDR_F_BPF_LOAD_PROGRAM_TYPE], edr_bpf_prog_type_str(ev->bpf->type));
			set_str(&f[EDR_F_BPF_LOAD_PROGRAM_NAME], ev->name.p, ev->name.len);
		}
	}
	subject(v, t, p, user, image, fuser, pid, cmd);
	return 0;
}

/*
 * Network events feed network_connection, with Sysmon's convention: Source
 * is always the local side, Destination the peer, and Initiated says who
 * opened the connection (true for connect and UDP send, false for accept).
 * bind and listen feed no category: network_connection describes
 * connections, and a listening socket has no peer yet.
 */
static int sigma_map_net(struct edr_sigma_view *v, const struct edr_decoded *ev,
			 const struct edr_proc *p, const char *user)
{
	struct edr_field_value *f = v->f;
	const struct edr_net *n = ev->net;

	if (ev->type != EDR_EVENT_NET_CONNECT && ev->type != EDR_EVENT_NET_SEND &&
	    ev->type != EDR_EVENT_NET_ACCEPT)
		return -ENOENT;
	memset(f, 0, sizeof(v->f));
	v->ev.cat = EDR_CAT_NETWORK_CONNECTION;
	v->ev.nfields = EDR_NFIELDS(NETWORK_CONNECTION);
	v->ev.f = f;
	subject(v, ev->task, p, user, EDR_F_NETWORK_CONNECTION_IMAGE, EDR_F_NETWORK_CONNECTION_USER,
		EDR_F_NETWORK_CONNECTION_PROCESS_ID, EDR_F_NETWORK_CONNECTION_COMMAND_LINE);
	f[EDR_F_NETWORK_CONNECTION_INITIATED].n = ev->type != EDR_EVENT_NET_ACCEPT;
	set_cstr(&f[EDR_F_NETWORK_CONNECTION_INITIATED], f[EDR_F_NETWORK_CONNECTION_INITIATED].n ?
		 "true" : "false");
	set_cstr(&f[EDR_F_NETWORK_CONNECTION_PROTOCOL], n->protocol == 6 ? "tcp" : "udp");
	/* An attempt seen before the source port was assigned has no source. */
	if (!(n->flags & EDR_NET_SADDR_UNKNOWN)) {
		set_cstr(&f[EDR_F_NETWORK_CONNECTION_SOURCE_IP], edr_net_addr(n, 1, v->saddr));
		set_int(&f[EDR_F_NETWORK_CONNECTION_SOURCE_PORT], v->num[3], n->sport);
	}
	set_cstr(&f[EDR_F_NETWORK_CONNECTION_DESTINATION_IP], edr_net_addr(n, 0, v->daddr));
	set_int(&f[EDR_F_NETWORK_CONNECTION_DESTINATION_PORT], v->num[4], n->dport);
	return 0;
}

int edr_sigma_map(struct edr_sigma_view *v, const struct edr_decoded *ev, const struct edr_proc *p,
		  const struct edr_proc *parent, const char *user, const char *puser)
{
	struct edr_field_value *f = v->f;
	const struct edr_task *t = ev->task;
	size_t n;

	if (ev->file)
		return sigma_map_file(v, ev, p, user);
	if (ev->cred || ev->ptrace || ev->vm_write)
		return sigma_map_priv(v, ev, p, user);
	if (ev->module || ev->bpf)
		return sigma_map_kern(v, ev, p, user);
	if (ev->net)
		return sigma_map_net(v, ev, p, user);
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
	if (v->en && v->en->have_hash && v->en->hash_state == EDR_HASH_DONE) {
		int n = snprintf(v->hashes, sizeof(v->hashes), "SHA256=%s", v->en->sha256);

		set_str(&f[EDR_F_PROCESS_CREATION_HASHES], v->hashes, n);
		set_cstr(&f[EDR_F_PROCESS_CREATION_SHA256], v->en->sha256);
	}
	if (v->en && v->en->container && v->en->container->id[0])
		set_cstr(&f[EDR_F_PROCESS_CREATION_CONTAINER_ID], v->en->container->id);
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

int edr_sigma_map_fileless(struct edr_sigma_view *v, const struct edr_decoded *ev,
			   const struct edr_proc *p, const char *user)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = sizeof(suffix) - 1;
	struct edr_field_value *f = v->f;
	const char *name;
	size_t n;

	if (ev->type != EDR_EVENT_EXEC || !(ev->exec->flags & (EDR_EXEC_MEMFD | EDR_EXEC_DELETED)))
		return -ENOENT;
	memset(f, 0, sizeof(v->f));
	v->ev.cat = EDR_CAT_FILELESS_EXEC;
	v->ev.nfields = EDR_NFIELDS(FILELESS_EXEC);
	v->ev.f = f;
	if (p && p->exe)
		set_cstr(&f[EDR_F_FILELESS_EXEC_IMAGE], p->exe);
	else if (ev->path.p)
		set_str(&f[EDR_F_FILELESS_EXEC_IMAGE], ev->path.p, ev->path.len);
	if (ev->argv.p) {
		n = edr_cmdline(ev->argv.p, ev->argv.len, v->cmd, sizeof(v->cmd));
		set_str(&f[EDR_F_FILELESS_EXEC_COMMAND_LINE], v->cmd, n);
	}
	if (user)
		set_cstr(&f[EDR_F_FILELESS_EXEC_USER], user);
	else
		set_int(&f[EDR_F_FILELESS_EXEC_USER], v->num[0], ev->task->uid);
	set_int(&f[EDR_F_FILELESS_EXEC_PROCESS_ID], v->num[1], ev->task->tgid);
	set_cstr(&f[EDR_F_FILELESS_EXEC_KIND], ev->exec->flags & EDR_EXEC_MEMFD ? "memfd" : "deleted");
	/* Name: the memfd's name without "/memfd:", or the path the file had;
	 * either way without the " (deleted)" the kernel side appended. */
	name = ev->path.p;
	n = ev->path.len;
	if (name && n >= slen && !memcmp(name + n - slen, suffix, slen))
		n -= slen;
	if (name && (ev->exec->flags & EDR_EXEC_MEMFD) && n >= 7 && !memcmp(name, "/memfd:", 7)) {
		name += 7;
		n -= 7;
	}
	if (name)
		set_str(&f[EDR_F_FILELESS_EXEC_NAME], name, n);
	return 0;
}
