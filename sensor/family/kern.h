/* SPDX-License-Identifier: GPL-2.0-only */
/* What the kernel-integrity family (sensor/family/kern.c) offers beyond its descriptor. */
#ifndef EDR_FAMILY_KERN_H
#define EDR_FAMILY_KERN_H

#include <stdint.h>

/* Names of the kernel's bpf() numbers, as libbpf and bpftool spell them
 * ("socket_filter", "array", "BPF_PROG_LOAD"); NULL when unknown. */
const char *edr_bpf_prog_type_str(uint32_t type);
const char *edr_bpf_map_type_str(uint32_t type);
const char *edr_bpf_cmd_str(uint32_t cmd);

#endif /* EDR_FAMILY_KERN_H */
