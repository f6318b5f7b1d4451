// SPDX-License-Identifier: GPL-2.0-only
/*
 * The privilege family (bpf/priv.bpf.h): credential changes (the setuid
 * family, capset, setuid and file-capability execs), ptrace attach, seize
 * and traceme, and process_vm_writev into another process. Feeds Sigma
 * privilege_change and ptrace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

static const struct edr_rectype types[] = {
	{ EDR_EVENT_CRED_CHANGE, "cred_change", "process", "change", "credentials-change",
	  sizeof(struct edr_cred), 0 },
	{ EDR_EVENT_PTRACE, "ptrace", "process", "access", "ptrace-attach", sizeof(struct edr_ptrace), 0 },
	{ EDR_EVENT_PROC_VM_WRITE, "proc_vm_write", "process", "change", "process-vm-write",
	  sizeof(struct edr_vm_write), 0 },
};

static const char *const cred_sys[EDR_CRED_SYS_MAX] = {
	[EDR_CRED_SYS_OTHER] = "commit_creds",
	[EDR_CRED_SYS_SETUID] = "setuid",
	[EDR_CRED_SYS_SETGID] = "setgid",
	[EDR_CRED_SYS_SETREUID] = "setreuid",
	[EDR_CRED_SYS_SETREGID] = "setregid",
	[EDR_CRED_SYS_SETRESUID] = "setresuid",
	[EDR_CRED_SYS_SETRESGID] = "setresgid",
	[EDR_CRED_SYS_SETFSUID] = "setfsuid",
	[EDR_CRED_SYS_SETFSGID] = "setfsgid",
	[EDR_CRED_SYS_CAPSET] = "capset",
	[EDR_CRED_SYS_EXECVE] = "execve",
};

static const char *cred_syscall_name(uint32_t code)
{
	return code < EDR_CRED_SYS_MAX ? cred_sys[code] : "unknown";
}

static const char *ptrace_request_name(uint64_t req)
{
	switch (req) {
	case EDR_PTRACE_TRACEME: return "PTRACE_TRACEME";
	case EDR_PTRACE_ATTACH: return "PTRACE_ATTACH";
	case EDR_PTRACE_SEIZE: return "PTRACE_SEIZE";
	}
	return "unknown";
}

/* include/uapi/linux/capability.h, 0..40 */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

/* ECS process.thread.capabilities.*: an array of names; a bit the table
 * does not know is written as "CAP_<n>". */
static void cap_array(struct edr_json *j, const char *key, uint64_t set)
{
	char b[16];
	unsigned bit;

	edr_json_key(j, key);
	edr_json_arr_begin(j);
	for (bit = 0; bit < 64; bit++) {
		if (!(set & (1ull << bit)))
			continue;
		if (bit < N_CAPS) {
			edr_json_cstr(j, cap_names[bit]);
		} else {
			snprintf(b, sizeof(b), "CAP_%u", bit);
			edr_json_cstr(j, b);
		}
	}
	edr_json_arr_end(j);
}

static void ecs_thread(struct edr_json *j, const struct edr_decoded *ev)
{
	const struct edr_cred *c = EDR_REC(ev, cred);

	if (ev->type != EDR_EVENT_CRED_CHANGE)
		return;
	edr_json_key(j, "capabilities");
	edr_json_obj_begin(j);
	cap_array(j, "effective", c->new_ids.cap_effective);
	cap_array(j, "permitted", c->new_ids.cap_permitted);
	edr_json_obj_end(j);
}

/* A credential change: user.* are the new ids. */
static const struct edr_task *user_task(const struct edr_decoded *ev, struct edr_task *tmp)
{
	const struct edr_cred *c = EDR_REC(ev, cred);

	if (ev->type != EDR_EVENT_CRED_CHANGE)
		return ev->task;
	*tmp = *ev->task;
	tmp->uid = c->new_ids.uid;
	tmp->euid = c->new_ids.euid;
	tmp->gid = c->new_ids.gid;
	tmp->egid = c->new_ids.egid;
	return tmp;
}

static void ids_json(struct edr_json *j, const char *key, const struct edr_ids *d)
{
	char b[24];

	edr_json_key(j, key);
	edr_json_obj_begin(j);
	edr_json_kuint(j, "uid", d->uid);
	edr_json_kuint(j, "euid", d->euid);
	edr_json_kuint(j, "suid", d->suid);
	edr_json_kuint(j, "fsuid", d->fsuid);
	edr_json_kuint(j, "gid", d->gid);
	edr_json_kuint(j, "egid", d->egid);
	edr_json_kuint(j, "sgid", d->sgid);
	edr_json_kuint(j, "fsgid", d->fsgid);
	/* Hex masks as /proc/PID/status shows them: exact and compact. */
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_effective);
	edr_json_kcstr(j, "cap_effective", b);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_permitted);
	edr_json_kcstr(j, "cap_permitted", b);
	snprintf(b, sizeof(b), "%016llx", (unsigned long long)d->cap_inheritable);
	edr_json_kcstr(j, "cap_inheritable", b);
	edr_json_obj_end(j);
}

/* comm fields are at most EDR_COMM_LEN bytes, NUL-terminated or not. */
static void comm_json(struct edr_json *j, const char *key, const char *comm)
{
	edr_json_kstr(j, key, comm, strnlen(comm, EDR_COMM_LEN));
}

static void target_json(struct edr_json *j, uint32_t pid, uint32_t tgid, const char *comm,
			const struct edr_proc *target)
{
	edr_json_key(j, "target");
	edr_json_obj_begin(j);
	if (tgid)
		edr_json_kuint(j, "pid", tgid);
	edr_json_kuint(j, "thread_id", pid);
	if (comm[0])
		comm_json(j, "name", comm);
	else if (target)
		comm_json(j, "name", target->comm);
	if (target && target->exe)
		edr_json_kcstr(j, "executable", target->exe);
	edr_json_obj_end(j);
}

static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *ctx)
{
	const struct edr_decoded *ev = ctx->ev;
	const struct edr_proc *target = ctx->en ? ctx->en->target : NULL;

	if (ev->type == EDR_EVENT_CRED_CHANGE) {
		const struct edr_cred *c = EDR_REC(ev, cred);

		edr_json_key(j, "cred");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "syscall", cred_syscall_name(c->syscall));
		ids_json(j, "old", &c->old_ids);
		ids_json(j, "new", &c->new_ids);
		if (c->flags & EDR_CRED_EXEC)
			edr_json_kbool(j, "exec", 1);
		if (c->flags & EDR_CRED_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		else
			edr_json_kint(j, "ret", c->ret);
		edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
		edr_json_obj_end(j);
	}
	if (ev->type == EDR_EVENT_PTRACE) {
		const struct edr_ptrace *p = EDR_REC(ev, ptrace);

		edr_json_key(j, "ptrace");
		edr_json_obj_begin(j);
		edr_json_kcstr(j, "request", ptrace_request_name(p->request));
		target_json(j, p->target_pid, p->target_tgid, p->target_comm, target);
		if (p->flags & EDR_PTRACE_TARGET_AS_GIVEN)
			edr_json_kbool(j, "target_pid_as_given", 1);
		edr_json_kuint(j, "tracer_pid", p->tracer_tgid);
		if (p->flags & EDR_PTRACE_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
		edr_json_obj_end(j);
	}
	if (ev->type == EDR_EVENT_PROC_VM_WRITE) {
		const struct edr_vm_write *v = EDR_REC(ev, vm_write);

		edr_json_key(j, "vm_write");
		edr_json_obj_begin(j);
		target_json(j, v->target_pid, v->target_tgid, v->target_comm, target);
		if (v->flags & EDR_VM_TARGET_AS_GIVEN)
			edr_json_kbool(j, "target_pid_as_given", 1);
		edr_json_kuint(j, "local_iovcnt", v->liovcnt);
		edr_json_kuint(j, "remote_iovcnt", v->riovcnt);
		edr_json_kuint(j, "bytes_requested", v->bytes_req);
		if (v->flags & EDR_VM_IOV_TRUNC)
			edr_json_kbool(j, "bytes_requested_partial", 1);
		if (v->flags & EDR_VM_ATTEMPT)
			edr_json_kbool(j, "attempt", 1);
		else if (v->ret >= 0)
			edr_json_kuint(j, "bytes_written", (uint64_t)v->ret);
		edr_json_kcstr(j, "source", edr_ecs_attach_path(ev));
		edr_json_obj_end(j);
	}
}

/* The process the event is aimed at (ptrace tracee, process_vm_writev
 * target), as the event gives it; 0 for a credential change. */
static uint32_t target_tgid(const struct edr_decoded *ev)
{
	if (ev->type == EDR_EVENT_PTRACE)
		return EDR_REC(ev, ptrace)->target_tgid ? EDR_REC(ev, ptrace)->target_tgid :
							  EDR_REC(ev, ptrace)->target_pid;
	if (ev->type == EDR_EVENT_PROC_VM_WRITE)
		return EDR_REC(ev, vm_write)->target_tgid ? EDR_REC(ev, vm_write)->target_tgid :
							    EDR_REC(ev, vm_write)->target_pid;
	return 0;
}
/*
 * privilege_change from a credential change: the ids are the effective
 * ones, which are what grants privilege (a setuid exec changes only euid).
 * ptrace from an attach, and from process_vm_writev with Request
 * "process_vm_writev". The target's image comes from the process table.
 */
static int sigma(struct edr_sigma_view *v, const struct edr_event_ctx *ctx, int idx)
{
	const struct edr_decoded *ev = ctx->ev;
	const struct edr_proc *target = ctx->en ? ctx->en->target : NULL;
	struct edr_field_value *f;
	int image, fuser, pid, cmd;

	if (idx)
		return -ENOENT;
	if (ev->type == EDR_EVENT_CRED_CHANGE) {
		const struct edr_cred *c = EDR_REC(ev, cred);

		f = edr_sigma_begin(v, EDR_CAT_PRIVILEGE_CHANGE, EDR_NFIELDS(PRIVILEGE_CHANGE));
		image = EDR_F_PRIVILEGE_CHANGE_IMAGE;
		fuser = EDR_F_PRIVILEGE_CHANGE_USER;
		pid = EDR_F_PRIVILEGE_CHANGE_PROCESS_ID;
		cmd = EDR_F_PRIVILEGE_CHANGE_COMMAND_LINE;
		edr_sigma_cstr(&f[EDR_F_PRIVILEGE_CHANGE_SYSCALL], cred_syscall_name(c->syscall));
		edr_sigma_int(&f[EDR_F_PRIVILEGE_CHANGE_OLD_UID], v->num[2], c->old_ids.euid);
		edr_sigma_int(&f[EDR_F_PRIVILEGE_CHANGE_NEW_UID], v->num[3], c->new_ids.euid);
		edr_sigma_int(&f[EDR_F_PRIVILEGE_CHANGE_OLD_GID], v->num[4], c->old_ids.egid);
		edr_sigma_int(&f[EDR_F_PRIVILEGE_CHANGE_NEW_GID], v->num[5], c->new_ids.egid);
	} else {
		uint32_t tgid = target_tgid(ev);

		f = edr_sigma_begin(v, EDR_CAT_PTRACE, EDR_NFIELDS(PTRACE));
		image = EDR_F_PTRACE_IMAGE;
		fuser = EDR_F_PTRACE_USER;
		pid = EDR_F_PTRACE_PROCESS_ID;
		cmd = EDR_F_PTRACE_COMMAND_LINE;
		edr_sigma_cstr(&f[EDR_F_PTRACE_REQUEST], ev->type == EDR_EVENT_PTRACE ?
			       ptrace_request_name(EDR_REC(ev, ptrace)->request) :
			 "process_vm_writev");
		if (tgid)
			edr_sigma_int(&f[EDR_F_PTRACE_TARGET_PROCESS_ID], v->num[2], tgid);
		if (target && target->exe)
			edr_sigma_cstr(&f[EDR_F_PTRACE_TARGET_IMAGE], target->exe);
	}
	edr_sigma_subject(v, ctx, image, fuser, pid, cmd);
	return 0;
}

const struct edr_family edr_family_priv = {
	.name = "priv",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.target_tgid = target_tgid,
	.ecs_thread = ecs_thread,
	.user_task = user_task,
	.ecs_edr = ecs_edr,
	.sigma = sigma,
};
