// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signal family (bpf/signal.bpf.h): one process signalling another
 * (kill, tkill, tgkill, sigqueue), the sender as the event's process and the
 * target in edr.signal.target. No Sigma category.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sensor/ecs.h"
#include "sensor/family/family.h"
#include "sensor/json.h"
#include "sensor/proctable.h"

static const struct edr_rectype types[] = {
	{ EDR_EVENT_SIGNAL, "signal", "process", "info", "signal-sent", sizeof(struct edr_signal), 0 },
};

/* The signal's target: the table's entry is looked up by the daemon. */
static uint32_t target_tgid(const struct edr_decoded *ev)
{
	return EDR_REC(ev, signal)->target_tgid;
}

static const char *signal_name(uint32_t sig)
{
	static const char *const names[] = {
		[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL", [5] = "SIGTRAP",
		[6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [10] = "SIGUSR1",
		[11] = "SIGSEGV", [12] = "SIGUSR2", [13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM",
		[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
		[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG", [24] = "SIGXCPU", [25] = "SIGXFSZ",
		[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO", [30] = "SIGPWR",
		[31] = "SIGSYS",
	};

	return sig < sizeof(names) / sizeof(names[0]) ? names[sig] : NULL;
}

static const char *code_name(int32_t code)
{
	switch (code) {
	case EDR_SIGNAL_SI_USER: return "SI_USER";
	case EDR_SIGNAL_SI_QUEUE: return "SI_QUEUE";
	case EDR_SIGNAL_SI_TKILL: return "SI_TKILL";
	}
	return "unknown";
}

static const char *result_name(uint32_t result)
{
	static const char *const names[] = {
		"delivered", "ignored", "already_pending", "overflow", "delivered_without_info",
	};

	return result < sizeof(names) / sizeof(names[0]) ? names[result] : "unknown";
}

/* The kernel generated the signal; whether the target acts on it is its own
 * business, but an ignored or lost one did nothing. */
static const char *outcome(const struct edr_decoded *ev)
{
	uint32_t r = EDR_REC(ev, signal)->result;

	return r == 0 || r == 4 ? "success" : "failure";
}

static void ecs_edr(struct edr_json *j, const struct edr_event_ctx *c)
{
	const struct edr_signal *s = EDR_REC(c->ev, signal);
	const struct edr_proc *target = c->en ? c->en->target : NULL;
	const char *name = signal_name(s->sig);

	edr_json_key(j, "signal");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "number", s->sig);
	if (name)
		edr_json_kcstr(j, "name", name);
	edr_json_kcstr(j, "code", code_name(s->code));
	edr_json_kcstr(j, "result", result_name(s->result));
	edr_json_kbool(j, "group", !!(s->flags & EDR_SIGNAL_GROUP));
	edr_json_key(j, "target");
	edr_json_obj_begin(j);
	edr_json_kuint(j, "pid", s->target_tgid);
	edr_json_kuint(j, "thread_id", s->target_pid);
	edr_json_kstr(j, "name", s->target_comm, strnlen(s->target_comm, EDR_COMM_LEN));
	if (target && target->exe)
		edr_json_kcstr(j, "executable", target->exe);
	if (target && target->entity_id[0])
		edr_json_kcstr(j, "entity_id", target->entity_id);
	/* Tamper evidence: another process signalling the sensor itself. */
	if (s->target_tgid == (uint32_t)getpid())
		edr_json_kbool(j, "sensor", 1);
	edr_json_obj_end(j);
	edr_json_kcstr(j, "source", edr_ecs_attach_path(c->ev));
	edr_json_obj_end(j);
}

const struct edr_family edr_family_signal = {
	.name = "signal",
	.types = types,
	.ntypes = sizeof(types) / sizeof(types[0]),
	.target_tgid = target_tgid,
	.outcome = outcome,
	.ecs_edr = ecs_edr,
};
