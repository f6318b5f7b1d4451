// SPDX-License-Identifier: GPL-2.0-only
/*
 * The process family (bpf/exec.bpf.h): exec, fork, exit, and an exec denied
 * by policy. Exec feeds Sigma process_creation, and fileless_exec when the
 * file is a memfd or has no name left.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/json.h"
#include "sensor/proctable.h"
#include "sensor/sigma_map.h"

static const struct edr_rectype types[] = {
	{ EDR_EVENT_EXEC, "exec", "process", "start", "exec", sizeof(struct edr_exec), 1 },
	{ EDR_EVENT_FORK, "fork", "process", "start", "fork", sizeof(struct edr_fork), 0 },
	{ EDR_EVENT_EXIT, "exit", "process", "end", "exit", sizeof(struct edr_exit), 0 },
	{ EDR_EVENT_EXEC_DENIED, "exec_denied", "process", "denied", "exec-denied",
	  sizeof(struct edr_exec_denied), 1 },
};

static int is_exec(const struct edr_decoded *ev)
{
	return ev->type == EDR_EVENT_EXEC || ev->type == EDR_EVENT_EXEC_DENIED;
}

static enum edr_decode_err decode(struct edr_decoded *ev, const char *base, size_t len, size_t *off)
{
	const struct edr_exec *e = EDR_REC(ev, exec);
	enum edr_decode_err err;

	if (!is_exec(ev))
		return EDR_DECODE_OK;
	if (ev->type == EDR_EVENT_EXEC_DENIED && (err = edr_decode_deny(ev, offsetof(struct edr_exec_denied, deny))))
		return err;
	if ((err = edr_decode_str(base, len, off, e->filename_len, &ev->filename, 1)) ||
	    (err = edr_decode_str(base, len, off, e->path_len, &ev->path, 1)) ||
	    (err = edr_decode_str(base, len, off, e->cwd_len, &ev->cwd, 1)) ||
	    (err = edr_decode_str(base, len, off, e->argv_len, &ev->argv, 0)))
		return err;
	return EDR_DECODE_OK;
}

static struct edr_proc *apply(struct edr_proctable *pt, struct edr_decoded *ev, const char *proc_root)
{
	switch (ev->type) {
	case EDR_EVENT_EXEC:
		return edr_proctable__on_exec(pt, ev);
	case EDR_EVENT_FORK:
		return edr_proctable__on_fork(pt, ev->task);
	case EDR_EVENT_EXIT:
		return edr_proctable__on_exit(pt, ev->task, ev->hdr->ts_ns);
	default:
		/* A denied exec did not happen: describe the caller, not a new image. */
		return edr_proctable__get(pt, ev->task->tgid);
	}
}

static int new_image(const struct edr_decoded *ev, uint32_t *dev, uint64_t *ino)
{
	if (ev->type != EDR_EVENT_EXEC)
		return 0;
	*dev = EDR_REC(ev, exec)->dev;
	*ino = EDR_REC(ev, exec)->ino;
	return 1;
}

static const char *outcome(const struct edr_decoded *ev)
{
	return ev->type == EDR_EVENT_EXEC_DENIED ? "failure" : NULL;
}

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
		[6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
		[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
	};

	return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig] ? names[sig] : NULL;
}

/* In "process": an exec's argument count; an exit's code or signal. */
static void ecs_process(struct edr_json *j, const struct edr_decoded *ev)
{
	uint32_t code;
	int sig;

	if (is_exec(ev)) {
		edr_json_kuint(j, "args_count", EDR_REC(ev, exec)->argc);
		return;
	}
	if (ev->type != EDR_EVENT_EXIT)
		return;
	code = EDR_REC(ev, exit)->exit_code;
	sig = code & 0x7f;
	if (sig) {
		const char *sn = signal_name(sig);

		/* ECS has no signal field; shells report 128+N. */
		edr_json_kint(j, "exit_code", 128 + sig);
		edr_json_key(j, "edr");
		edr_json_obj_begin(j);
		edr_json_kint(j, "signal", sig);
		if (sn)
			edr_json_kcstr(j, "signal_name", sn);
		edr_json_kbool(j, "core_dumped", !!(code & 0x80));
		edr_json_obj_end(j);
	} else {
		edr_json_kint(j, "exit_code", (code >> 8) & 0xff);
	}
}

/* The dynamic loader run as the program (`ld.so PROGRAM`): the kernel's
 * executable is then the loader. Its basename: ld-linux*.so*, ld-musl-*, ld.so. */
static int is_loader(const char *p, size_t n)
{
	const char *b = memrchr(p, '/', n);
	size_t bn;

	b = b ? b + 1 : p;
	bn = n - (size_t)(b - p);
	while (bn && !b[bn - 1])
		bn--;
	if (bn >= 8 && !memcmp(b, "ld-linux", 8))
		return memmem(b, bn, ".so", 3) != NULL;
	if (bn >= 8 && !memcmp(b, "ld-musl-", 8))
		return 1;
	return bn == 5 && !memcmp(b, "ld.so", 5);
}

/* The program the loader runs: the first argument after argv[0] that is not
 * one of the loader's options (the options that take a value skip it too),
 * made absolute against the exec's working directory when relative. The
 * loader opens that name itself, so this is what it ran (no PATH search). */
static size_t loader_target(const struct edr_decoded *ev, char *out, size_t cap)
{
	static const char *const with_value[] = {
		"--library-path", "--preload", "--argv0", "--audit", "--inhibit-rpath",
		"--glibc-hwcaps-prepend", "--glibc-hwcaps-mask",
	};
	const char *a = ev->argv.p, *end = a ? a + ev->argv.len : NULL;
	int idx = 0, skip = 0;
	size_t i, n;

	for (; a && a < end; a += strnlen(a, (size_t)(end - a)) + 1, idx++) {
		size_t len = strnlen(a, (size_t)(end - a));

		if (idx == 0 || skip) {
			skip = 0;
			continue;
		}
		if (len >= 2 && a[0] == '-' && a[1] == '-') {
			for (i = 0; i < sizeof(with_value) / sizeof(with_value[0]); i++)
				if (strlen(with_value[i]) == len && !memcmp(a, with_value[i], len))
					skip = 1;
			continue;
		}
		if (!len)
			return 0;
		if (a[0] == '/' || !ev->cwd.p)
			n = (size_t)snprintf(out, cap, "%.*s", (int)len, a);
		else
			n = (size_t)snprintf(out, cap, "%.*s/%.*s", (int)strnlen(ev->cwd.p, ev->cwd.len),
					     ev->cwd.p, (int)len, a);
		return n < cap ? n : cap - 1;
	}
	return 0;
}

static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_decoded *ev = c->ev;

	if (is_exec(ev)) {
		uint32_t fl = EDR_REC(ev, exec)->flags;

		if (ev->filename.p)
			edr_json_kstr(j, "filename", ev->filename.p, ev->filename.len);
		edr_json_kbool(j, "args_truncated", !!(fl & EDR_EXEC_ARGV_TRUNC));
		if (fl & (EDR_EXEC_PATH_TRUNC | EDR_EXEC_CWD_TRUNC | EDR_EXEC_FILENAME_TRUNC))
			edr_json_kbool(j, "path_truncated", 1);
		edr_json_kuint(j, "inode", EDR_REC(ev, exec)->ino);
		if (ev->path.p && is_loader(ev->path.p, ev->path.len)) {
			char t[8192];
			size_t n = loader_target(ev, t, sizeof(t));

			/* The executable is the loader; name what it runs. */
			if (n)
				edr_json_kstr(j, "loader_target", t, n);
		}
		/* The executable has no file name left: a memfd or unlinked file. */
		if (fl & (EDR_EXEC_MEMFD | EDR_EXEC_DELETED))
			edr_json_kcstr(j, "fileless", fl & EDR_EXEC_MEMFD ? "memfd" : "deleted");
		edr_ecs_deny(j, ev);
	} else if (ev->type == EDR_EVENT_FORK) {
		edr_json_kuint(j, "parent_pid", EDR_REC(ev, fork)->parent_tgid);
		edr_json_kuint(j, "parent_thread_id", EDR_REC(ev, fork)->parent_pid);
	}
}

/* The image: the table's executable, else the path the record carries. */
static void image(struct edr_field_value *f, const struct edr_event_ctx *c)
{
	if (c->p && c->p->exe)
		edr_sigma_cstr(f, c->p->exe);
	else if (c->ev->path.p)
		edr_sigma_str(f, c->ev->path.p, c->ev->path.len);
}

static void command_line(struct edr_sigma_view *v, struct edr_field_value *f, const struct edr_decoded *ev)
{
	size_t n;

	if (ev->argv.p) {
		n = edr_cmdline(ev->argv.p, ev->argv.len, v->cmd, sizeof(v->cmd));
		edr_sigma_str(f, v->cmd, n);
	}
}

static void user(struct edr_sigma_view *v, struct edr_field_value *f, const struct edr_event_ctx *c)
{
	if (c->user)
		edr_sigma_cstr(f, c->user);
	else
		edr_sigma_int(f, v->num[0], c->ev->task->uid);
}

static void parent_fields(struct edr_sigma_view *v, struct edr_field_value *f, const struct edr_event_ctx *c)
{
	const struct edr_proc *parent = c->parent;
	size_t n;

	edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_PARENT_IMAGE], parent->exe);
	if (parent->args) {
		n = edr_cmdline(parent->args, parent->args_len, v->pcmd, sizeof(v->pcmd));
		edr_sigma_str(&f[EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE], v->pcmd, n);
	}
	if (c->puser)
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_PARENT_USER], c->puser);
	else
		edr_sigma_int(&f[EDR_F_PROCESS_CREATION_PARENT_USER], v->num[5], parent->uid);
}

static void process_creation(struct edr_sigma_view *v, const struct edr_event_ctx *c)
{
	struct edr_field_value *f = edr_sigma_begin(v, EDR_CAT_PROCESS_CREATION,
						    EDR_NFIELDS(PROCESS_CREATION));
	const struct edr_decoded *ev = c->ev;
	const struct edr_enrichment *en = c->en;
	const struct edr_task *t = ev->task;

	image(&f[EDR_F_PROCESS_CREATION_IMAGE], c);
	if (ev->filename.p)
		edr_sigma_str(&f[EDR_F_PROCESS_CREATION_ORIGINAL_FILE_NAME], ev->filename.p, ev->filename.len);
	command_line(v, &f[EDR_F_PROCESS_CREATION_COMMAND_LINE], ev);
	if (ev->cwd.p)
		edr_sigma_str(&f[EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY], ev->cwd.p, ev->cwd.len);
	user(v, &f[EDR_F_PROCESS_CREATION_USER], c);
	if (t->sessionid != (uint32_t)-1)
		edr_sigma_int(&f[EDR_F_PROCESS_CREATION_LOGON_ID], v->num[1], t->sessionid);
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_PROCESS_ID], v->num[2], t->tgid);
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID], v->num[3], t->ppid);
	edr_sigma_int(&f[EDR_F_PROCESS_CREATION_USER_ID], v->num[4], t->uid);
	if (en && en->have_hash && en->hash_state == EDR_HASH_DONE) {
		int n = snprintf(v->hashes, sizeof(v->hashes), "SHA256=%s", en->sha256);

		edr_sigma_str(&f[EDR_F_PROCESS_CREATION_HASHES], v->hashes, n);
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_SHA256], en->sha256);
	}
	if (en && en->container && en->container->id[0])
		edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_CONTAINER_ID], en->container->id);
	if (c->parent)
		parent_fields(v, f, c);
	/* An explicit field, so a rule can name an exec whose path the kernel
	 * buffer could not hold instead of matching a silently shorter one. */
	f[EDR_F_PROCESS_CREATION_PATH_TRUNCATED].n =
		!!(EDR_REC(ev, exec)->flags & (EDR_EXEC_PATH_TRUNC | EDR_EXEC_CWD_TRUNC | EDR_EXEC_FILENAME_TRUNC));
	edr_sigma_cstr(&f[EDR_F_PROCESS_CREATION_PATH_TRUNCATED],
		       f[EDR_F_PROCESS_CREATION_PATH_TRUNCATED].n ? "true" : "false");
}

/* fileless_exec: Name is the memfd's name without "/memfd:", or the path
 * the file had; either way without the " (deleted)" the kernel appended. */
static void fileless_exec(struct edr_sigma_view *v, const struct edr_event_ctx *c)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = sizeof(suffix) - 1;
	struct edr_field_value *f = edr_sigma_begin(v, EDR_CAT_FILELESS_EXEC, EDR_NFIELDS(FILELESS_EXEC));
	const struct edr_decoded *ev = c->ev;
	uint32_t fl = EDR_REC(ev, exec)->flags;
	const char *name = ev->path.p;
	size_t n = ev->path.len;

	image(&f[EDR_F_FILELESS_EXEC_IMAGE], c);
	command_line(v, &f[EDR_F_FILELESS_EXEC_COMMAND_LINE], ev);
	user(v, &f[EDR_F_FILELESS_EXEC_USER], c);
	edr_sigma_int(&f[EDR_F_FILELESS_EXEC_PROCESS_ID], v->num[1], ev->task->tgid);
	edr_sigma_cstr(&f[EDR_F_FILELESS_EXEC_KIND], fl & EDR_EXEC_MEMFD ? "memfd" : "deleted");
	if (name && n >= slen && !memcmp(name + n - slen, suffix, slen))
		n -= slen;
	if (name && (fl & EDR_EXEC_MEMFD) && n >= 7 && !memcmp(name, "/memfd:", 7)) {
		name += 7;
		n -= 7;
	}
	if (name)
		edr_sigma_str(&f[EDR_F_FILELESS_EXEC_NAME], name, n);
}

static int sigma(struct edr_sigma_view *v, const struct edr_event_ctx *c, int idx)
{
	if (c->ev->type != EDR_EVENT_EXEC)
		return -ENOENT;
	if (idx == 0) {
		process_creation(v, c);
		return 0;
	}
	if (idx == 1 && (EDR_REC(c->ev, exec)->flags & (EDR_EXEC_MEMFD | EDR_EXEC_DELETED))) {
		fileless_exec(v, c);
		return 0;
	}
	return -ENOENT;
}

const struct edr_family edr_family_process = {
	.name = "process",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.decode = decode,
	.apply = apply,
	.new_image = new_image,
	.outcome = outcome,
	.ecs_process = ecs_process,
	.ecs_edr = ecs_edr,
	.sigma = sigma,
};
