// SPDX-License-Identifier: GPL-2.0-only
/*
 * Privilege events against the real kernel, once per attach path of the
 * cred, ptrace and vm_write features (lsm, fentry, kprobe, tracepoint),
 * forced through the loader; a path the running kernel lacks is skipped
 * with the probe's reason.
 *
 *   cred: a child drops a capability (capset), then setresgid, setreuid and
 *   setuid(65534), with setuid() to the id it already has before and after:
 *   exactly four records, each with the old and new ids and capability sets
 *   the child read itself (getresuid, getresgid, capget). A plain exec
 *   produces nothing on every path; an exec of a setuid-root program by
 *   uid 65534 is reported with EDR_CRED_EXEC on the commit_creds paths
 *   (fentry, kprobe), which are the only ones that see execs.
 *   ptrace: PTRACE_ATTACH and PTRACE_SEIZE of our own child, PTRACE_TRACEME
 *   by another child: exact tracer, tracee and request, nothing else.
 *   vm_write: process_vm_writev of 32 bytes from two local iovecs into a
 *   child; process_vm_readv of the same child reports nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "tests/bpf/harness.h"

static const char *const priv_feats[] = { "cred", "ptrace", "vm_write" };
#define N_FEATS (sizeof(priv_feats) / sizeof(priv_feats[0]))

/* The privilege features forced onto path, everything else off. */
static int pstart(struct harness *h, const char *path, const char **why)
{
	struct edr_loader_opts opts = { .target_tgid = getpid() };

	return h_start_forced(h, priv_feats, N_FEATS, path, &opts, why);
}

#define START(h, state) H_START(*(state), pstart(h, *(state), &why_))

/* ---- cred ---- */

static int ids_now(struct edr_ids *d)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uid_t r, e, s;
	gid_t rg, eg, sg;

	if (getresuid(&r, &e, &s) || getresgid(&rg, &eg, &sg) || syscall(SYS_capget, &hdr, data))
		return -1;
	memset(d, 0, sizeof(*d));
	d->uid = r;
	d->euid = e;
	d->suid = s;
	d->fsuid = e; /* every step below moves fsuid with euid */
	d->gid = rg;
	d->egid = eg;
	d->sgid = sg;
	d->fsgid = eg;
	d->cap_effective = data[0].effective | (uint64_t)data[1].effective << 32;
	d->cap_permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	d->cap_inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

#define CRED_STEPS 4

struct cred_truth {
	struct edr_ids ids[CRED_STEPS + 1]; /* before step 0, after each step */
	int steps;
};

/* Drops CAP_NET_RAW from the effective and permitted sets. */
static int drop_net_raw(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1u << CAP_NET_RAW);
	data[0].permitted &= ~(1u << CAP_NET_RAW);
	return syscall(SYS_capset, &hdr, data);
}

static void cred_child(int out)
{
	struct cred_truth t = {};

	if (ids_now(&t.ids[0]) || setuid(0))   /* same id: nothing */
		goto done;
	if (drop_net_raw() || ids_now(&t.ids[1]))
		goto done;
	t.steps++;
	if (setresgid(1001, 1002, 1003) || ids_now(&t.ids[2]))
		goto done;
	t.steps++;
	if (setreuid(1005, -1) || ids_now(&t.ids[3]))
		goto done;
	t.steps++;
	if (setuid(65534) || ids_now(&t.ids[4]))
		goto done;
	t.steps++;
	if (setuid(65534)) /* same id again: nothing */
		t.steps = -1;
done:
	if (write(out, &t, sizeof(t)) != sizeof(t))
		_exit(2);
	_exit(0);
}

static pid_t run_child(void (*fn)(int), int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static void assert_ids(const struct edr_ids *got, const struct edr_ids *want)
{
	assert_int_equal(got->uid, want->uid);
	assert_int_equal(got->euid, want->euid);
	assert_int_equal(got->suid, want->suid);
	assert_int_equal(got->fsuid, want->fsuid);
	assert_int_equal(got->gid, want->gid);
	assert_int_equal(got->egid, want->egid);
	assert_int_equal(got->sgid, want->sgid);
	assert_int_equal(got->fsgid, want->fsgid);
	assert_int_equal(got->cap_effective, want->cap_effective);
	assert_int_equal(got->cap_permitted, want->cap_permitted);
	assert_int_equal(got->cap_inheritable, want->cap_inheritable);
}

/* A setuid-root program that exits at once when run by another user. */
static const char *suid_prog(void)
{
	static const char *const cands[] = { "/usr/bin/umount", "/bin/umount", "/usr/bin/mount" };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (!stat(cands[i], &st) && (st.st_mode & S_ISUID) && st.st_uid == 0)
			return cands[i];
	return NULL;
}

static void test_cred(void **state)
{
	static const uint32_t want_sys[CRED_STEPS] = {
		EDR_CRED_SYS_CAPSET, EDR_CRED_SYS_SETRESGID, EDR_CRED_SYS_SETREUID, EDR_CRED_SYS_SETUID,
	};
	const char *path = *state, *suid = suid_prog();
	uint32_t src = h_path_src(path);
	int commit = src == EDR_SRC_FENTRY || src == EDR_SRC_KPROBE;
	const struct edr_decoded *got[16];
	struct cred_truth t;
	struct harness h;
	pid_t pid, epid, spid;
	int rfd = -1, status = 0, i;
	size_t n;

	START(&h, state);
	pid = run_child(cred_child, &rfd);
	assert_true(pid > 0);
	assert_int_equal(read(rfd, &t, sizeof(t)), sizeof(t));
	close(rfd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(t.steps, CRED_STEPS);
	/* a plain exec by root: creds unchanged, nothing */
	epid = fork();
	if (epid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(epid, &status, 0), epid);
	assert_int_equal(status, 0);
	/* a setuid-root exec by uid 65534 */
	spid = -1;
	if (suid) {
		spid = fork();
		if (spid == 0) {
			if (setresuid(65534, 65534, 65534) || !freopen("/dev/null", "w", stdout))
				_exit(126);
			execl(suid, suid, "--version", (char *)NULL);
			_exit(127);
		}
		assert_int_equal(waitpid(spid, &status, 0), spid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) < 126);
	} else {
		printf("# no setuid-root mount/umount here: setuid exec not checked\n");
	}
	h_poll(&h, 1500, NULL, NULL);
	h_report(&h, "cred");

	n = h_collect(&h, EDR_EVENT_CRED_CHANGE, pid, got, 16);
	for (i = 0; i < (int)n && i < 16; i++)
		printf("# %s: cred %u: uid %u->%u euid %u->%u gid %u->%u caps %llx->%llx\n", path,
		       EDR_REC(got[i], cred)->syscall, EDR_REC(got[i], cred)->old_ids.uid, EDR_REC(got[i], cred)->new_ids.uid,
		       EDR_REC(got[i], cred)->old_ids.euid, EDR_REC(got[i], cred)->new_ids.euid, EDR_REC(got[i], cred)->old_ids.gid,
		       EDR_REC(got[i], cred)->new_ids.gid, (unsigned long long)EDR_REC(got[i], cred)->old_ids.cap_effective,
		       (unsigned long long)EDR_REC(got[i], cred)->new_ids.cap_effective);
	/* setuid() to the current id, before and after: no record */
	assert_int_equal(n, CRED_STEPS);
	for (i = 0; i < CRED_STEPS; i++) {
		const struct edr_cred *c = EDR_REC(got[i], cred);

		assert_int_equal(c->syscall, want_sys[i]);
		assert_int_equal(c->hdr.flags & EDR_HDR_SRC_MASK, src);
		assert_int_equal(!!(c->flags & EDR_CRED_ATTEMPT), src == EDR_SRC_LSM);
		assert_int_equal(c->flags & EDR_CRED_EXEC, 0);
		assert_int_equal(c->ret, 0);
		assert_int_equal(got[i]->task->tgid, pid);
		assert_int_equal(got[i]->task->ppid, getpid());
		assert_ids(&c->old_ids, &t.ids[i]);
		assert_ids(&c->new_ids, &t.ids[i + 1]);
	}
	/* the capset step dropped exactly CAP_NET_RAW */
	assert_int_equal(EDR_REC(got[0], cred)->old_ids.cap_effective & ~EDR_REC(got[0], cred)->new_ids.cap_effective,
			 1ull << CAP_NET_RAW);
	assert_int_equal(EDR_REC(got[3], cred)->new_ids.uid, 65534);
	assert_int_equal(EDR_REC(got[3], cred)->new_ids.cap_effective, 0);

	assert_int_equal(h_collect(&h, EDR_EVENT_CRED_CHANGE, epid, got, 16), 0);
	if (spid > 0) {
		n = h_collect(&h, EDR_EVENT_CRED_CHANGE, spid, got, 16);
		assert_true(n >= 1);
		assert_int_equal(EDR_REC(got[0], cred)->syscall, EDR_CRED_SYS_SETRESUID);
		assert_int_equal(EDR_REC(got[0], cred)->new_ids.euid, 65534);
		if (commit) {
			const struct edr_cred *c;

			assert_true(n >= 2);
			c = EDR_REC(got[1], cred);
			assert_int_equal(c->syscall, EDR_CRED_SYS_EXECVE);
			assert_true(c->flags & EDR_CRED_EXEC);
			assert_int_equal(c->old_ids.uid, 65534);
			assert_int_equal(c->old_ids.euid, 65534);
			assert_int_equal(c->new_ids.uid, 65534);
			assert_int_equal(c->new_ids.euid, 0);
			assert_int_equal(c->new_ids.suid, 0);
		} else {
			for (i = 0; i < (int)n && i < 16; i++)
				assert_int_equal(EDR_REC(got[i], cred)->flags & EDR_CRED_EXEC, 0);
		}
	}
	assert_int_equal(h.decode_errors, 0);
	h_stop(&h);
}

/* ---- ptrace ---- */

static void tracee(int out)
{
	char c = 1;

	prctl(PR_SET_NAME, "edr-tracee");
	if (write(out, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static void traceme(int out)
{
	char c = 1;

	c = ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0;
	if (write(out, &c, 1) != 1)
		_exit(2);
	_exit(0);
}

static void check_ptrace(const struct edr_decoded *d, uint32_t src, uint64_t req, uint32_t tgid,
			 uint32_t target, uint32_t tracer, const char *comm)
{
	const struct edr_ptrace *p = EDR_REC(d, ptrace);

	assert_non_null(p);
	assert_int_equal(p->request, req);
	assert_int_equal(d->task->tgid, tgid);
	assert_int_equal(p->target_tgid, target);
	assert_int_equal(p->target_pid, target);
	assert_int_equal(p->tracer_tgid, tracer);
	assert_int_equal(p->flags & EDR_PTRACE_TARGET_AS_GIVEN, 0);
	assert_int_equal(p->hdr.flags & EDR_HDR_SRC_MASK, src);
	assert_int_equal(!!(p->flags & EDR_PTRACE_ATTEMPT),
			 src == EDR_SRC_LSM || src == EDR_SRC_KPROBE);
	assert_int_equal(p->ret, 0);
	assert_string_equal(p->target_comm, comm);
}

static void test_ptrace(void **state)
{
	const char *path = *state;
	uint32_t src = h_path_src(path);
	const struct edr_decoded *got[8];
	struct harness h;
	pid_t a, b;
	int rfd = -1, status = 0;
	char c = 0;

	START(&h, state);
	a = run_child(tracee, &rfd);
	assert_true(a > 0);
	assert_int_equal(read(rfd, &c, 1), 1);
	close(rfd);
	assert_int_equal(ptrace(PTRACE_ATTACH, a, NULL, NULL), 0);
	assert_int_equal(waitpid(a, &status, 0), a);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(ptrace(PTRACE_DETACH, a, NULL, NULL), 0);
	assert_int_equal(ptrace(PTRACE_SEIZE, a, NULL, NULL), 0);
	kill(a, SIGKILL);
	assert_int_equal(waitpid(a, &status, 0), a);
	b = run_child(traceme, &rfd);
	assert_true(b > 0);
	assert_int_equal(read(rfd, &c, 1), 1);
	close(rfd);
	assert_int_equal(c, 1);
	assert_int_equal(waitpid(b, &status, 0), b);
	h_poll(&h, 1000, NULL, NULL);
	h_report(&h, "ptrace");

	assert_int_equal(h_collect(&h, EDR_EVENT_PTRACE, getpid(), got, 8), 2);
	check_ptrace(got[0], src, EDR_PTRACE_ATTACH, getpid(), a, getpid(), "edr-tracee");
	check_ptrace(got[1], src, EDR_PTRACE_SEIZE, getpid(), a, getpid(), "edr-tracee");
	assert_int_equal(h_collect(&h, EDR_EVENT_PTRACE, b, got, 8), 1);
	check_ptrace(got[0], src, EDR_PTRACE_TRACEME, b, b, getpid(), "test_priv");
	assert_int_equal(h_collect(&h, EDR_EVENT_PTRACE, 0, got, 8), 3);
	/* the LSM hook both features share: an attach is no vm write */
	assert_int_equal(h_collect(&h, EDR_EVENT_PROC_VM_WRITE, 0, got, 8), 0);
	assert_int_equal(h.decode_errors, 0);
	h_stop(&h);
}

/* ---- process_vm_writev ---- */

static char vm_buf[64];

static void vm_target(int out)
{
	char c = 1;

	prctl(PR_SET_NAME, "edr-vmtarget");
	if (write(out, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static void test_vm_write(void **state)
{
	const char *path = *state;
	uint32_t src = h_path_src(path);
	const struct edr_decoded *got[8];
	const struct edr_vm_write *v;
	char a[8] = "01234567", b[24] = "abcdefghijklmnopqrstuvw", back[32];
	struct iovec local[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec remote = { vm_buf, 32 };
	struct iovec rlocal = { back, sizeof(back) };
	struct harness h;
	pid_t c;
	int rfd = -1, status = 0;
	char x = 0;

	START(&h, state);
	c = run_child(vm_target, &rfd);
	assert_true(c > 0);
	assert_int_equal(read(rfd, &x, 1), 1);
	close(rfd);
	assert_int_equal(process_vm_writev(c, local, 2, &remote, 1, 0), 32);
	/* a read of the same process: not reported */
	assert_int_equal(process_vm_readv(c, &rlocal, 1, &remote, 1, 0), 32);
	assert_memory_equal(back, a, 8);
	kill(c, SIGKILL);
	assert_int_equal(waitpid(c, &status, 0), c);
	h_poll(&h, 1000, NULL, NULL);
	h_report(&h, "vm_write");

	assert_int_equal(h_collect(&h, EDR_EVENT_PROC_VM_WRITE, 0, got, 8), 1);
	v = EDR_REC(got[0], vm_write);
	assert_int_equal(got[0]->task->tgid, getpid());
	assert_int_equal(v->target_pid, c);
	assert_int_equal(v->liovcnt, 2);
	assert_int_equal(v->riovcnt, 1);
	assert_int_equal(v->bytes_req, 32);
	assert_int_equal(v->flags & EDR_VM_IOV_TRUNC, 0);
	assert_int_equal(v->hdr.flags & EDR_HDR_SRC_MASK, src);
	if (src == EDR_SRC_LSM) {
		/* the target task itself: its tgid and name */
		assert_int_equal(v->target_tgid, c);
		assert_string_equal(v->target_comm, "edr-vmtarget");
		assert_true(v->flags & EDR_VM_ATTEMPT);
		assert_int_equal(v->ret, 0);
	} else {
		assert_true(v->flags & EDR_VM_TARGET_AS_GIVEN);
		assert_int_equal(v->target_tgid, 0);
		assert_int_equal(v->target_comm[0], 0);
		if (src == EDR_SRC_KPROBE) {
			assert_true(v->flags & EDR_VM_ATTEMPT);
			assert_int_equal(v->ret, 0);
		} else {
			assert_int_equal(v->flags & EDR_VM_ATTEMPT, 0);
			assert_int_equal(v->ret, 32);
		}
	}
	assert_int_equal(h_collect(&h, EDR_EVENT_PTRACE, 0, got, 8), 0);
	assert_int_equal(h.decode_errors, 0);
	h_stop(&h);
}

int main(void)
{
	static const char *const paths[] = { "lsm", "fentry", "kprobe", "tracepoint" };
	static struct h_runs r;

	prctl(PR_SET_NAME, "test_priv");
	h_runs_add(&r, "cred", test_cred, paths, 4);
	h_runs_add(&r, "ptrace", test_ptrace, paths, 4);
	h_runs_add(&r, "vm_write", test_vm_write, paths, 4);
	return h_runs_main(&r, "bpf_priv");
}
