/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The circuit breaker's first half: what is never denied or killed. PID 1,
 * the sensor and edrctl, the service manager, sshd, login/getty/su/sudo/
 * runuser, the package manager, the shells, and the configured list.
 *
 * Used twice: at validate (content whose deny or kill rule matches the exec
 * of a protected binary, evaluated by the same matcher on a built-in corpus
 * of their exec events, is refused) and before every action at run time.
 */
#ifndef EDR_PROTECT_H
#define EDR_PROTECT_H

#include <stddef.h>
#include <sys/types.h>

#include "rules/edr_rules.h"

struct edr_protect;

/* The built-in list plus extra (absolute paths of executables, may be
 * NULL/0). NULL and errno set on failure (EINVAL for a relative path). */
struct edr_protect *edr_protect__new(const char *const *extra, size_t nextra);
void edr_protect__free(struct edr_protect *p);

/* 1 when path (an executable, as the kernel resolved it) is protected. */
int edr_protect__path(const struct edr_protect *p, const char *path);
/* 1 when the process must never be acted on: PID 1, this process, or one
 * whose executable (exe, may be NULL: then read from /proc) is protected. */
int edr_protect__pid(const struct edr_protect *p, pid_t pid, const char *exe);

/*
 * Evaluates every deny and kill rule of rs (and quarantine on
 * process_creation, which would move the binary away) on the corpus of
 * protected exec events and of events with a protected binary as the
 * subject. 0, or -EPERM with err one line naming the rule's file and the
 * protected binary: "deny_all_shells.yml: action deny would match protected
 * /usr/bin/bash" (the content pipeline prefixes "rejected at validate: ").
 */
int edr_protect__check_ruleset(const struct edr_protect *p, const struct edr_ruleset *rs,
			       char *err, size_t errlen);

#endif /* EDR_PROTECT_H */
