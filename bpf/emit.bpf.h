/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emit path every hook family shares: the ring buffer, the per-CPU
 * record scratch and stats, the loader's read-only configuration, the
 * "is this task wanted" filter, and emit(), which stamps the record header
 * (type, version, size, time, sequence number, CPU, attach source) and
 * sends the record.
 *
 * Hooks: none (helpers only). Needs: BPF_MAP_TYPE_RINGBUF and
 * bpf_ringbuf_query (5.8), bpf_ktime_get_boot_ns (5.8),
 * bpf_get_current_task_btf (5.11, wanted_cur()).
 *
 *   events    ring buffer, sized by the loader
 *   stats     per-CPU counters (struct edr_bpf_stats), index 0
 *   scratch   per-CPU record under construction
 */
#ifndef EDR_EMIT_BPF_H
#define EDR_EMIT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "edr_event.h"

/* Record buffer: offsets of tail pieces stay below EDR_TAIL_OFF_MASK + 1 and
 * each piece is at most EDR_ARGV_MAX bytes, so masked writes stay inside. */
#define EDR_REC_BUF      32768
#define EDR_TAIL_OFF_MASK 0x3fff
#define EDR_REC_SIZE_MASK 0x7fff

/* A per-CPU value is limited to 32 KiB: the path walk has a map of its own
 * (bpf/path.bpf.h). */
struct edr_scratch {
	__u8 rec[EDR_REC_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* the loader sets the configured size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edr_bpf_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edr_scratch);
} scratch SEC(".maps");

/* Read-only configuration, set by the loader before load. */
const volatile __u32 cfg_self_tgid = 0;   /* never report the sensor itself */
const volatile __u32 cfg_target_tgid = 0; /* tests: only this tgid and its children */
/* Wake the consumer only once this much is pending (0: on every record);
 * the consumer polls on a timer as well, which bounds the latency. Waking a
 * thread per event costs more than the event. */
const volatile __u32 cfg_wakeup_bytes = 0;

static __always_inline struct edr_bpf_stats *stats_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline struct edr_scratch *scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void count_read_error(void)
{
	struct edr_bpf_stats *st = stats_get();

	if (st)
		st->read_errors++;
}

/* Whether events of this task are reported: never the sensor's own, and in
 * tests only the target process and its children. */
static __always_inline int wanted(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	if (cfg_self_tgid && tgid == cfg_self_tgid)
		return 0;
	if (cfg_target_tgid && tgid != cfg_target_tgid &&
	    BPF_CORE_READ(task, real_parent, tgid) != cfg_target_tgid)
		return 0;
	return 1;
}

/* wanted() for the current task, without a helper call per field. */
static __always_inline int wanted_cur(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (cfg_self_tgid && tgid == cfg_self_tgid)
		return 0;
	if (cfg_target_tgid && tgid != cfg_target_tgid &&
	    bpf_get_current_task_btf()->real_parent->tgid != cfg_target_tgid)
		return 0;
	return 1;
}

/*
 * Stamps the header and sends the record; src is the attach path that
 * observed it (EDR_SRC_*). The sequence number is taken before the ring
 * buffer is tried, so a lost record leaves a gap that user space can see,
 * and the loss is counted per CPU.
 */
static __always_inline void emit(void *rec, __u32 type, __u32 size, __u32 src)
{
	struct edr_event_hdr *hdr = rec;
	struct edr_bpf_stats *st = stats_get();
	__u64 flags = 0;

	if (!st)
		return;
	hdr->type = type;
	hdr->version = EDR_ABI_VERSION;
	hdr->size = size;
	hdr->ts_ns = bpf_ktime_get_boot_ns();
	hdr->seq = ++st->seq;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->flags = src & EDR_HDR_SRC_MASK;
	if (size > EDR_EVENT_MAX_SIZE)
		size = EDR_EVENT_MAX_SIZE;
	if (cfg_wakeup_bytes)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes ?
			BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, rec, size & EDR_REC_SIZE_MASK, flags))
		st->drops++;
	else
		st->emitted++;
}

#endif /* EDR_EMIT_BPF_H */
