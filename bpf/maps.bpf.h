/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps and the emit path shared by every hook family.
 *   events    ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8), sized by the loader
 *   stats     per-CPU counters (struct edr_bpf_stats), index 0
 *   scratch   per-CPU record under construction
 *   walkbuf   per-CPU path-walk buffer
 *   deny_exec executables the LSM exec hook refuses (struct edr_file_key)
 */
#ifndef EDR_MAPS_BPF_H
#define EDR_MAPS_BPF_H

/* Record buffer: offsets of tail pieces stay below EDR_TAIL_OFF_MASK + 1 and
 * each piece is at most EDR_ARGV_MAX bytes, so masked writes stay inside. */
#define EDR_REC_BUF      32768
#define EDR_TAIL_OFF_MASK 0x3fff
#define EDR_REC_SIZE_MASK 0x7fff
/* Path walk buffer: a 4 KiB window plus room for one 255-byte component. */
#define EDR_WALK_BUF     8192

/* Two maps: a per-CPU value is limited to 32 KiB. */
struct edr_scratch {
	__u8 rec[EDR_REC_BUF];
};

/* The walk state lives in the map value, not on the stack: values read
 * from a map are unknown scalars to the verifier, so the bpf_loop body
 * converges after one pass instead of being explored per depth. */
struct edr_walk {
	__u8 buf[EDR_WALK_BUF];
	__u64 dentry;
	__u64 mnt;
	__u64 mnt_root; /* mnt's root dentry, read once per mount crossed */
	__u32 pos;
	__s32 trunc;
	__s32 done;
	__u32 _pad;
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edr_walk);
} walkbuf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct edr_file_key);
	__type(value, __u32);
} deny_exec SEC(".maps");

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

static __always_inline struct edr_walk *walk_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&walkbuf, &zero);
}

static __always_inline void count_read_error(void)
{
	struct edr_bpf_stats *st = stats_get();

	if (st)
		st->read_errors++;
}

/*
 * Stamps the header and sends the record. The sequence number is taken
 * before the ring buffer is tried, so a lost record leaves a gap that user
 * space can see, and the loss is counted per CPU.
 */
static __always_inline void emit(void *rec, __u32 type, __u32 size)
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
	hdr->flags = 0;
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

#endif /* EDR_MAPS_BPF_H */
