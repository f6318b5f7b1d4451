/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What user space says about each event type, in one table: the name in
 * `edrctl stats`, the ECS event.category, event.type and event.action, and
 * the record's fixed size and whether a tail follows it (the decoder).
 */
#ifndef EDR_EVTYPES_H
#define EDR_EVTYPES_H

#include "edr_event.h"

struct edr_evtype {
	const char *stat;     /* events.<stat>.read in edrctl stats */
	const char *category; /* ECS event.category */
	const char *type;     /* ECS event.type */
	const char *action;   /* ECS event.action */
	unsigned rec_size;    /* the record's fixed part; 0 for an unknown type */
	int tail;             /* strings or argv follow the fixed part */
};

/* Never NULL: an unknown type gets a row with stat NULL. */
const struct edr_evtype *edr_evtype(unsigned type);

#endif /* EDR_EVTYPES_H */
