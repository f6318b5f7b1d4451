/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Least privilege for the run phase (README, "Privileges"): once the
 * programs are loaded and attached, the outputs open and the control socket
 * bound, the daemon keeps only the capabilities its run phase needs (in the
 * permitted, effective and bounding sets; none inheritable or ambient), sets
 * no_new_privs and installs a seccomp allow-list.
 *
 * A call outside the allow-list fails with EPERM and is counted: the filter
 * traps (SIGSYS), the handler makes the call return -EPERM and counts it
 * per syscall number; edr_privdrop__report() logs the new refusals from the
 * event loop. A refused call is an error the caller already handles; a
 * killed sensor would be a blind host.
 */
#ifndef EDR_PRIVDROP_H
#define EDR_PRIVDROP_H

#include <stddef.h>
#include <stdint.h>

/* The capabilities kept for the run phase, as a bit mask (1 << CAP_x). */
uint64_t edr_privdrop__keep(void);

/* Capabilities are a property of each thread, inherited by the threads it
 * starts: they are dropped (with no_new_privs set) before the daemon starts
 * any thread, since everything start-up still has to do (BPF load and
 * attach, the cgroup attach, fanotify) needs only the kept ones. */
int edr_privdrop__caps(char *err, size_t errlen);
/* The seccomp allow-list, for every thread (TSYNC), once start-up is done. */
int edr_privdrop__seccomp(char *err, size_t errlen);

/* Both: drops the capabilities, sets no_new_privs and, when seccomp is non-zero,
 * installs the allow-list. Returns 0 or a negative errno with a one-line
 * reason in err. Capabilities the process does not have are not an error
 * (a run with only CAP_BPF and CAP_PERFMON keeps less). */
int edr_privdrop__apply(int seccomp, char *err, size_t errlen);

/* Calls refused since the filter went in (all threads, forked children not). */
uint64_t edr_privdrop__denied(void);

/* Logs, once per syscall and batch, the calls refused since the last report:
 * "seccomp: refused NAME (nr N) K times (total T)". Event loop only. */
void edr_privdrop__report(void (*log)(void *ctx, const char *line), void *ctx);

#endif
