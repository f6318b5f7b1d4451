// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "sensor/evtypes.h"

static const struct edr_evtype types[_EDR_EVENT_MAX] = {
	[EDR_EVENT_EXEC] = { "exec", "process", "start", "exec",
		sizeof(struct edr_exec), 1 },
	[EDR_EVENT_FORK] = { "fork", "process", "start", "fork",
		sizeof(struct edr_fork), 0 },
	[EDR_EVENT_EXIT] = { "exit", "process", "end", "exit",
		sizeof(struct edr_exit), 0 },
	[EDR_EVENT_EXEC_DENIED] = { "exec_denied", "process", "denied", "exec-denied",
		sizeof(struct edr_exec), 1 },
	[EDR_EVENT_FILE_CREATE] = { "file_create", "file", "creation", "file-create",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_WRITE] = { "file_write", "file", "change", "file-write",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_UNLINK] = { "file_delete", "file", "deletion", "file-delete",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_RENAME] = { "file_rename", "file", "change", "file-rename",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_CHMOD] = { "file_chmod", "file", "change", "file-chmod",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_CHOWN] = { "file_chown", "file", "change", "file-chown",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_NET_CONNECT] = { "net_connect", "network", "connection", "connect",
		sizeof(struct edr_net), 0 },
	[EDR_EVENT_NET_ACCEPT] = { "net_accept", "network", "connection", "accept",
		sizeof(struct edr_net), 0 },
	[EDR_EVENT_NET_BIND] = { "net_bind", "network", "start", "bind",
		sizeof(struct edr_net), 0 },
	[EDR_EVENT_NET_LISTEN] = { "net_listen", "network", "start", "listen",
		sizeof(struct edr_net), 0 },
	[EDR_EVENT_NET_SEND] = { "net_send", "network", "connection", "udp-send",
		sizeof(struct edr_net), 0 },
	[EDR_EVENT_CRED_CHANGE] = { "cred_change", "process", "change", "credentials-change",
		sizeof(struct edr_cred), 0 },
	[EDR_EVENT_PTRACE] = { "ptrace", "process", "access", "ptrace-attach",
		sizeof(struct edr_ptrace), 0 },
	[EDR_EVENT_PROC_VM_WRITE] = { "proc_vm_write", "process", "change", "process-vm-write",
		sizeof(struct edr_vm_write), 0 },
	[EDR_EVENT_MODULE_LOAD] = { "module_load", "driver", "start", "module-load",
		sizeof(struct edr_module), 1 },
	[EDR_EVENT_BPF_PROG] = { "bpf_prog", "process", "info", "bpf-prog-load",
		sizeof(struct edr_bpf), 0 },
	[EDR_EVENT_BPF_MAP] = { "bpf_map", "process", "info", "bpf-map-create",
		sizeof(struct edr_bpf), 0 },
	[EDR_EVENT_MOUNT] = { "mount", "file", "change", "mount",
		sizeof(struct edr_mount), 1 },
	[EDR_EVENT_MEMFD_CREATE] = { "memfd_create", "file", "creation", "memfd-create",
		sizeof(struct edr_memfd), 1 },
	[EDR_EVENT_MEM_WX] = { "mem_wx", "process", "change", "memory-wx",
		sizeof(struct edr_mem_wx), 1 },
	[EDR_EVENT_FILE_LINK] = { "file_link", "file", "creation", "file-link",
		sizeof(struct edr_file), 1 },
	[EDR_EVENT_FILE_SYMLINK] = { "file_symlink", "file", "creation", "file-symlink",
		sizeof(struct edr_file), 1 },
};

const struct edr_evtype *edr_evtype(unsigned type)
{
	static const struct edr_evtype unknown = { NULL, "process", "info", "unknown", 0, 0 };

	if (type >= _EDR_EVENT_MAX || !types[type].stat)
		return &unknown;
	return &types[type];
}
