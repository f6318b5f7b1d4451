// SPDX-License-Identifier: GPL-2.0-only
/*
 * The protected list (sensor/response/protect.h): the binaries a response
 * must never deny or kill, and the validate-time check that refuses content
 * whose deny or kill rule would match one of them.
 *
 * The list is built-in (PID 1, the service manager and its journal, login
 * and udev daemons, the sensor and edrctl, sshd, login/getty/su/sudo/
 * runuser, the package manager, the shells), each under every usrmerge
 * spelling (/bin, /sbin, /usr/bin, /usr/sbin) whether or not it exists here,
 * plus what each resolves to on this host (/bin/sh -> /usr/bin/dash), the
 * running binary, PID 1's executable, and the configured extras.
 *
 * The check evaluates the ordinary matcher on a corpus of realistic events
 * of those binaries: their execs (as invoked and as resolved, by root and
 * by a user, from their usual parents) and, for every other category, an
 * event with the binary as the subject, with the objects it really touches
 * (dpkg renames /usr/bin/x.dpkg-new, sudo changes uid, apt connects out).
 * The corpus is built in a fixed order, so the binary a refusal names does
 * not depend on the host beyond what exists on it.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sensor/response/protect.h"

#define MAX_PATHS 8
#define MAX_CMDS 3

/* A protected program: its name, where it may be, how it is usually run. */
struct prog {
	const char *name;
	const char *paths[MAX_PATHS];
	const char *cmd[MAX_CMDS];   /* typical command lines */
	const char *parent;          /* typical parent image */
	const char *parent_cmd;
};

/* Every usrmerge spelling, the usual one first (it is the one a refusal names). */
#define BIN(x) { "/usr/bin/" x, "/bin/" x, "/usr/sbin/" x, "/sbin/" x }
#define SBIN(x) { "/usr/sbin/" x, "/sbin/" x, "/usr/bin/" x, "/bin/" x }
#define SD(x) { "/usr/lib/systemd/" x, "/lib/systemd/" x }
#define EDR_BIN(x) { "/usr/local/bin/" x, "/usr/bin/" x, "/usr/local/sbin/" x, "/usr/sbin/" x, \
		     "/bin/" x, "/sbin/" x }
#define SYSTEMD "/usr/lib/systemd/systemd"

/* PID 1, and the sensor (whose events the running binary gets too). */
#define PROG_INIT (&progs[0])
#define PROG_SENSOR (&progs[4])
static const struct prog progs[] = {
	{ "systemd", { "/sbin/init", SYSTEMD, "/lib/systemd/systemd", "/usr/sbin/init" },
	  { "/sbin/init", "/lib/systemd/systemd --system --deserialize 31" }, NULL, NULL },
	{ "systemd-journald", SD("systemd-journald"), { "/lib/systemd/systemd-journald" },
	  SYSTEMD, "/sbin/init" },
	{ "systemd-logind", SD("systemd-logind"), { "/lib/systemd/systemd-logind" },
	  SYSTEMD, "/sbin/init" },
	{ "systemd-udevd", SD("systemd-udevd"), { "/lib/systemd/systemd-udevd" },
	  SYSTEMD, "/sbin/init" },
	{ "edr-sensor", EDR_BIN("edr-sensor"),
	  { "/usr/local/bin/edr-sensor", "edr-sensor --config /etc/edr/sensor.conf" },
	  SYSTEMD, "/sbin/init" },
	{ "edrctl", EDR_BIN("edrctl"), { "edrctl status", "edrctl enforce off" },
	  "/usr/bin/bash", "-bash" },
	{ "sshd", SBIN("sshd"), { "/usr/sbin/sshd -D", "sshd: alice [priv]" },
	  SYSTEMD, "/sbin/init" },
	{ "login", BIN("login"), { "/bin/login -p --", "login -- alice" },
	  "/usr/sbin/agetty", "/sbin/agetty -o -p -- \\u --noclear - linux" },
	{ "agetty", SBIN("agetty"), { "/sbin/agetty -o -p -- \\u --noclear - linux" },
	  SYSTEMD, "/sbin/init" },
	{ "getty", SBIN("getty"), { "/sbin/getty 38400 tty1" }, SYSTEMD, "/sbin/init" },
	{ "su", BIN("su"), { "su -c true", "su - alice" }, "/usr/bin/bash", "-bash" },
	{ "sudo", BIN("sudo"), { "sudo -n true", "sudo -i" }, "/usr/bin/bash", "-bash" },
	{ "runuser", SBIN("runuser"), { "runuser -u alice -- true" },
	  "/usr/bin/bash", "bash -c 'runuser -u alice -- true'" },
	{ "apt", BIN("apt"), { "apt update", "apt install -y x" }, "/usr/bin/bash", "-bash" },
	{ "apt-get", BIN("apt-get"), { "apt-get install -y x", "apt-get update" },
	  "/usr/bin/bash", "-bash" },
	{ "dpkg", BIN("dpkg"),
	  { "/usr/bin/dpkg --status-fd 36 --unpack --auto-deconfigure /var/cache/apt/archives/x_1.0_amd64.deb",
	    "dpkg --configure -a" },
	  "/usr/bin/apt-get", "apt-get install -y x" },
	{ "bash", BIN("bash"), { "-bash", "bash -c 'echo ok'", "bash" },
	  "/usr/sbin/sshd", "sshd: alice@pts/0" },
	{ "sh", BIN("sh"), { "/bin/sh -c true", "sh" }, "/usr/bin/bash", "-bash" },
	{ "dash", BIN("dash"), { "dash -c true" }, SYSTEMD, "/sbin/init" },
	{ "zsh", BIN("zsh"), { "-zsh", "zsh -c true" }, "/usr/sbin/sshd", "sshd: alice@pts/0" },
};

/* ---- the corpus of non-exec events ---------------------------------------------- */

struct ofield {
	const char *name;
	const char *s;  /* NULL: an integer */
	int64_t n;
};

/* An event of cat by (progs: space-separated names, NULL = every program)
 * with these object fields; the subject (Image, User, ProcessId,
 * CommandLine) is the protected binary's. */
struct oevent {
	const char *cat;
	const char *progs;
	struct ofield f[7];
};

#define S(n, v) { n, v, 0 }
#define I(n, v) { n, NULL, v }
#define KMOD "/lib/modules/6.1.0-18-amd64/kernel/"
static const struct oevent oevents[] = {
	/* every program, every category: what any process does */
	{ "file_event", NULL, { S("TargetFilename", "/tmp/tmp.k3J9dQ2xLm") } },
	{ "file_delete", NULL, { S("TargetFilename", "/tmp/tmp.k3J9dQ2xLm") } },
	{ "file_rename", NULL, { S("SourceFilename", "/tmp/tmp.k3J9dQ2xLm"),
				 S("TargetFilename", "/tmp/tmp.k3J9dQ2xLm.new") } },
	{ "file_change", NULL, { S("TargetFilename", "/tmp/tmp.k3J9dQ2xLm"), I("NewMode", 0600) } },
	{ "network_connection", NULL, { I("Initiated", 1), S("Protocol", "udp"),
					S("SourceIp", "127.0.0.1"), I("SourcePort", 41234),
					S("DestinationIp", "127.0.0.53"), I("DestinationPort", 53) } },
	{ "kernel_module", NULL, { { NULL, NULL, 0 } } },
	{ "ptrace", NULL, { { NULL, NULL, 0 } } },
	{ "bpf_load", NULL, { { NULL, NULL, 0 } } },
	{ "fileless_exec", NULL, { { NULL, NULL, 0 } } },
	{ "privilege_change", NULL, { { NULL, NULL, 0 } } },
	/* what each really touches */
	{ "file_event", "bash sh dash", { S("TargetFilename", "/root/.bash_history") } },
	{ "file_event", "bash sh dash", { S("TargetFilename", "/home/alice/.bash_history") } },
	{ "file_event", "bash sh dash zsh", { S("TargetFilename", "/tmp/sh-thd.Ab12Cd") } },
	{ "file_event", "zsh", { S("TargetFilename", "/home/alice/.zsh_history") } },
	{ "file_event", "sshd", { S("TargetFilename", "/run/sshd.pid") } },
	{ "file_event", "sshd login", { S("TargetFilename", "/var/log/btmp") } },
	{ "file_event", "login sshd", { S("TargetFilename", "/var/log/wtmp") } },
	{ "file_event", "login sshd", { S("TargetFilename", "/var/log/lastlog") } },
	{ "file_event", "sudo", { S("TargetFilename", "/run/sudo/ts/alice") } },
	{ "file_event", "apt apt-get", { S("TargetFilename", "/var/cache/apt/archives/partial/x_1.0_amd64.deb") } },
	{ "file_event", "apt apt-get", { S("TargetFilename", "/var/lib/apt/lists/partial/deb.debian.org_debian_dists_bookworm_InRelease") } },
	{ "file_event", "apt apt-get", { S("TargetFilename", "/var/cache/apt/pkgcache.bin") } },
	{ "file_event", "dpkg", { S("TargetFilename", "/var/lib/dpkg/status-new") } },
	{ "file_event", "dpkg", { S("TargetFilename", "/var/lib/dpkg/lock-frontend") } },
	{ "file_event", "dpkg", { S("TargetFilename", "/usr/bin/x.dpkg-new") } },
	{ "file_event", "dpkg", { S("TargetFilename", "/etc/x/x.conf.dpkg-new") } },
	{ "file_rename", "dpkg", { S("SourceFilename", "/var/lib/dpkg/status-new"),
				   S("TargetFilename", "/var/lib/dpkg/status") } },
	{ "file_rename", "dpkg", { S("SourceFilename", "/usr/bin/x.dpkg-new"),
				   S("TargetFilename", "/usr/bin/x") } },
	{ "file_delete", "dpkg", { S("TargetFilename", "/var/lib/dpkg/tmp.ci/control") } },
	{ "file_change", "dpkg", { S("TargetFilename", "/usr/bin/x.dpkg-new"), I("NewMode", 0755),
				   I("NewUid", 0), I("NewGid", 0) } },
	{ "file_event", "systemd-journald", { S("TargetFilename", "/var/log/journal/0123456789abcdef0123456789abcdef/system.journal") } },
	{ "file_event", "systemd", { S("TargetFilename", "/run/systemd/units/invocation:ssh.service") } },
	{ "file_event", "systemd-logind", { S("TargetFilename", "/run/systemd/sessions/1") } },
	{ "file_event", "systemd-udevd", { S("TargetFilename", "/run/udev/data/c1:3") } },
	{ "file_event", "edr-sensor", { S("TargetFilename", "/var/lib/edr/content/active") } },
	{ "network_connection", "sshd", { I("Initiated", 0), S("Protocol", "tcp"),
					  S("SourceIp", "10.0.0.5"), I("SourcePort", 22),
					  S("DestinationIp", "192.0.2.10"), I("DestinationPort", 51234) } },
	{ "network_connection", "apt apt-get", { I("Initiated", 1), S("Protocol", "tcp"),
						 S("SourceIp", "10.0.0.5"), I("SourcePort", 43210),
						 S("DestinationIp", "151.101.2.132"), I("DestinationPort", 443) } },
	{ "network_connection", "apt apt-get", { I("Initiated", 1), S("Protocol", "tcp"),
						 S("SourceIp", "10.0.0.5"), I("SourcePort", 43212),
						 S("DestinationIp", "2a04:4e42::644"), I("DestinationPort", 80) } },
	{ "privilege_change", "sudo su", { S("Syscall", "setresuid"), I("OldUid", 1000),
					   I("NewUid", 0), I("OldGid", 1000), I("NewGid", 0) } },
	{ "privilege_change", "sshd login su runuser", { S("Syscall", "setresuid"), I("OldUid", 0),
							 I("NewUid", 1000), I("OldGid", 0),
							 I("NewGid", 1000) } },
	{ "kernel_module", "systemd-udevd", { S("ModulePath", KMOD "drivers/net/virtio_net.ko") } },
	{ "kernel_module", "systemd", { S("ModulePath", KMOD "fs/autofs/autofs4.ko") } },
	{ "bpf_load", "systemd", { S("Command", "BPF_PROG_LOAD"), S("ProgramType", "cgroup_device"),
				   S("ProgramName", "sd_devices") } },
	{ "bpf_load", "edr-sensor", { S("Command", "BPF_PROG_LOAD"), S("ProgramType", "tracepoint"),
				      S("ProgramName", "tp__sched_process_exec") } },
};
#undef S
#undef I

/* ---- the list -------------------------------------------------------------------- */

/* One protected executable path, with the program whose events it gets. */
struct entry {
	char *path;
	const struct prog *prog; /* NULL: configured or discovered, generic events */
};

struct edr_protect {
	struct entry *v;   /* insertion order: the corpus order */
	size_t n, cap;
	char **sorted;     /* the same paths, sorted, for lookups */
};

static int add_path(struct edr_protect *p, const char *path, const struct prog *prog)
{
	size_t i;

	/* one path may come from two programs (/bin/sh and dash both give
	 * /usr/bin/dash): it then gets the events of both */
	for (i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, path) && p->v[i].prog == prog)
			return 0;
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 64;
		struct entry *v = realloc(p->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = nc;
	}
	p->v[p->n].path = strdup(path);
	if (!p->v[p->n].path)
		return -ENOMEM;
	p->v[p->n++].prog = prog;
	return 0;
}

/* path, then what it resolves to here (if it exists and differs). */
static int add_resolved(struct edr_protect *p, const char *path, const struct prog *prog)
{
	char real[PATH_MAX];
	int ret = add_path(p, path, prog);

	if (!ret && realpath(path, real) && strcmp(real, path))
		ret = add_path(p, real, prog);
	return ret;
}

/* readlink of /proc/PID/exe (pid 0: /proc/self/exe, which tools such as
 * valgrind answer for their client) without the " (deleted)" of a replaced
 * binary. */
static int proc_exe(pid_t pid, char *buf, size_t len)
{
	static const char deleted[] = " (deleted)";
	char link[64];
	ssize_t n;

	if (pid)
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	else
		snprintf(link, sizeof(link), "/proc/self/exe");
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if ((size_t)n > sizeof(deleted) - 1 && !strcmp(buf + n - (sizeof(deleted) - 1), deleted))
		buf[n - (sizeof(deleted) - 1)] = 0;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct edr_protect *edr_protect__new(const char *const *extra, size_t nextra)
{
	struct edr_protect *p;
	char exe[PATH_MAX];
	size_t i, j;
	int ret = 0;

	for (i = 0; i < nextra; i++)
		if (!extra || !extra[i] || extra[i][0] != '/') {
			errno = EINVAL;
			return NULL;
		}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	for (i = 0; !ret && i < sizeof(progs) / sizeof(progs[0]); i++)
		for (j = 0; !ret && j < MAX_PATHS && progs[i].paths[j]; j++)
			ret = add_resolved(p, progs[i].paths[j], &progs[i]);
	/* the running sensor and PID 1 wherever they are (PID 1 needs root) */
	if (!ret && !proc_exe(0, exe, sizeof(exe)))
		ret = add_path(p, exe, PROG_SENSOR);
	if (!ret && !proc_exe(1, exe, sizeof(exe)))
		ret = add_path(p, exe, PROG_INIT);
	for (i = 0; !ret && i < nextra; i++)
		ret = add_resolved(p, extra[i], NULL);
	if (!ret) {
		p->sorted = calloc(p->n + 1, sizeof(*p->sorted));
		ret = p->sorted ? 0 : -ENOMEM;
	}
	if (ret) {
		edr_protect__free(p);
		errno = -ret;
		return NULL;
	}
	for (i = 0; i < p->n; i++)
		p->sorted[i] = p->v[i].path;
	qsort(p->sorted, p->n, sizeof(*p->sorted), cmp_str);
	return p;
}

void edr_protect__free(struct edr_protect *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	free(p->sorted);
	free(p);
}

int edr_protect__path(const struct edr_protect *p, const char *path)
{
	if (!p || !path)
		return 0;
	return bsearch(&path, p->sorted, p->n, sizeof(*p->sorted), cmp_str) != NULL;
}

int edr_protect__pid(const struct edr_protect *p, pid_t pid, const char *exe)
{
	char buf[PATH_MAX], dir[64];
	int ret;

	if (pid <= 1 || pid == getpid())
		return 1;
	if (!exe) {
		ret = proc_exe(pid, buf, sizeof(buf));
		if (ret) {
			/* gone: nothing to act on; otherwise (a kernel thread, no
			 * access) we cannot tell, and never act when unsure */
			snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
			return access(dir, F_OK) == 0;
		}
		exe = buf;
	}
	return edr_protect__path(p, exe);
}

/* ---- the check ------------------------------------------------------------------- */

struct check {
	const struct edr_protect *p;
	const struct edr_ruleset *rs;
	struct edr_matcher *m;
	const struct edr_rule **hits;
	size_t nrules;
	char *err;
	size_t errlen;
};

static bool prog_in(const char *list, const char *name)
{
	size_t l = strlen(name);
	const char *s = list;

	while ((s = strstr(s, name))) {
		if ((s == list || s[-1] == ' ') && (s[l] == ' ' || !s[l]))
			return true;
		s += l;
	}
	return false;
}

static void set_str(struct edr_field_value *f, int idx, const char *s)
{
	if (idx < 0 || !s)
		return;
	f[idx] = (struct edr_field_value){ .s = s, .len = (uint32_t)strlen(s), .set = 1 };
}

static void set_int(struct edr_field_value *f, int idx, int64_t n, char *txt, size_t len)
{
	if (idx < 0)
		return;
	snprintf(txt, len, "%lld", (long long)n);
	f[idx] = (struct edr_field_value){ .s = txt, .len = (uint32_t)strlen(txt), .n = n, .set = 1 };
}

/* Evaluates one event: 0, -EPERM (err set) on a deny/kill hit, or -errno. */
static int eval(struct check *c, int cat, const struct edr_field_value *f, const char *image)
{
	struct edr_rule_event ev = { .cat = cat, .nfields = edr_schema_nfields(cat), .f = f };
	int n = edr_matcher__eval(c->m, &ev, c->hits, c->nrules), i;

	if (n < 0)
		return n;
	for (i = 0; i < n && (size_t)i < c->nrules; i++) {
		const struct edr_response *r = edr_rule__response(c->hits[i]);
		const char *file = edr_rule__file(c->hits[i]), *slash = strrchr(file, '/');

		/* quarantining an exec's file moves the protected binary away:
		 * as fatal as denying it */
		if (r->action != EDR_ACT_DENY && r->action != EDR_ACT_KILL &&
		    !(r->action == EDR_ACT_QUARANTINE && cat == EDR_CAT_PROCESS_CREATION))
			continue;
		snprintf(c->err, c->errlen, "%s: action %s would match protected %s",
			 slash ? slash + 1 : file, edr_action_name(r->action), image);
		return -EPERM;
	}
	return 0;
}

/* The execs of one protected path: each typical command line, by root and by
 * a user, from the program's usual parent. */
static int check_exec(struct check *c, const struct entry *e)
{
	static const struct { const char *user; int64_t uid; } users[] = { { "root", 0 },
									   { "alice", 1000 } };
	const struct prog *pg = e->prog;
	const char *cmds[MAX_CMDS] = { e->path };
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	char num[4][24];
	size_t ci, ui;
	int ret = 0;

	if (pg)
		memcpy(cmds, pg->cmd, sizeof(cmds));
	for (ci = 0; !ret && ci < MAX_CMDS && cmds[ci]; ci++)
		for (ui = 0; !ret && ui < 2; ui++) {
			bool init = pg == PROG_INIT;

			memset(f, 0, sizeof(f));
			set_str(f, EDR_F_PROCESS_CREATION_IMAGE, e->path);
			set_str(f, EDR_F_PROCESS_CREATION_COMMAND_LINE, cmds[ci]);
			set_str(f, EDR_F_PROCESS_CREATION_CURRENT_DIRECTORY, "/");
			set_str(f, EDR_F_PROCESS_CREATION_USER, users[ui].user);
			set_int(f, EDR_F_PROCESS_CREATION_USER_ID, users[ui].uid, num[0], sizeof(num[0]));
			set_int(f, EDR_F_PROCESS_CREATION_PROCESS_ID, init ? 1 : 4242, num[1],
				sizeof(num[1]));
			set_int(f, EDR_F_PROCESS_CREATION_PARENT_PROCESS_ID, init ? 0 : 4241, num[2],
				sizeof(num[2]));
			set_int(f, EDR_F_PROCESS_CREATION_LOGON_ID, 3, num[3], sizeof(num[3]));
			if (!init) {
				set_str(f, EDR_F_PROCESS_CREATION_PARENT_IMAGE,
					pg && pg->parent ? pg->parent : SYSTEMD);
				set_str(f, EDR_F_PROCESS_CREATION_PARENT_COMMAND_LINE,
					pg && pg->parent_cmd ? pg->parent_cmd : "/sbin/init");
				set_str(f, EDR_F_PROCESS_CREATION_PARENT_USER, users[ui].user);
			}
			ret = eval(c, EDR_CAT_PROCESS_CREATION, f, e->path);
		}
	return ret;
}

/* The path as the subject of every other category's events. */
static int check_subject(struct check *c, const struct entry *e)
{
	struct edr_field_value f[EDR_SCHEMA_MAX_FIELDS];
	char num[8][24];
	size_t i, k;
	int ret = 0;

	for (i = 0; !ret && i < sizeof(oevents) / sizeof(oevents[0]); i++) {
		const struct oevent *oe = &oevents[i];
		int cat = edr_schema_cat_by_name(oe->cat);

		if (cat < 0)
			return -EINVAL; /* a typo in the table: test_protect catches it */
		if (oe->progs && (!e->prog || !prog_in(oe->progs, e->prog->name)))
			continue;
		memset(f, 0, sizeof(f));
		set_str(f, edr_schema_field_by_name(cat, "Image"), e->path);
		set_str(f, edr_schema_field_by_name(cat, "User"), "root");
		set_int(f, edr_schema_field_by_name(cat, "ProcessId"),
			e->prog == PROG_INIT ? 1 : 4242, num[7], sizeof(num[7]));
		set_str(f, edr_schema_field_by_name(cat, "CommandLine"),
			e->prog ? e->prog->cmd[0] : e->path);
		for (k = 0; k < 7 && oe->f[k].name; k++) {
			int idx = edr_schema_field_by_name(cat, oe->f[k].name);

			if (idx < 0)
				return -EINVAL;
			if (oe->f[k].s)
				set_str(f, idx, oe->f[k].s);
			else
				set_int(f, idx, oe->f[k].n, num[k], sizeof(num[k]));
		}
		ret = eval(c, cat, f, e->path);
	}
	return ret;
}

int edr_protect__check_ruleset(const struct edr_protect *p, const struct edr_ruleset *rs,
			       char *err, size_t errlen)
{
	struct check c = { .p = p, .rs = rs, .err = err, .errlen = errlen };
	size_t i;
	int ret = 0, acting = 0;

	if (!p || !rs || !err || !errlen)
		return -EINVAL;
	err[0] = 0;
	c.nrules = edr_ruleset__count(rs);
	for (i = 0; i < c.nrules; i++) {
		int a = edr_rule__response(edr_ruleset__rule(rs, i))->action;

		acting |= a == EDR_ACT_DENY || a == EDR_ACT_KILL || a == EDR_ACT_QUARANTINE;
	}
	if (!acting)
		return 0;
	c.m = edr_matcher__new(rs);
	c.hits = calloc(c.nrules, sizeof(*c.hits));
	if (!c.m || !c.hits) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; !ret && i < p->n; i++) {
		ret = check_exec(&c, &p->v[i]);
		if (!ret)
			ret = check_subject(&c, &p->v[i]);
	}
	if (ret && ret != -EPERM)
		snprintf(err, errlen, "checking the protected list: %s", strerror(-ret));
out:
	edr_matcher__free(c.m);
	free(c.hits);
	return ret;
}
