// SPDX-License-Identifier: GPL-2.0-only
#include <stddef.h>

#include "sensor/evtypes.h"

static const struct edr_evtype types[_EDR_EVENT_MAX] = {
	[EDR_EVENT_EXEC] = { "exec", "process", "start", "exec" },
	[EDR_EVENT_FORK] = { "fork", "process", "start", "fork" },
	[EDR_EVENT_EXIT] = { "exit", "process", "end", "exit" },
	[EDR_EVENT_EXEC_DENIED] = { "exec_denied", "process", "denied", "exec-denied" },
	[EDR_EVENT_FILE_CREATE] = { "file_create", "file", "creation", "file-create" },
	[EDR_EVENT_FILE_WRITE] = { "file_write", "file", "change", "file-write" },
	[EDR_EVENT_FILE_UNLINK] = { "file_delete", "file", "deletion", "file-delete" },
	[EDR_EVENT_FILE_RENAME] = { "file_rename", "file", "change", "file-rename" },
	[EDR_EVENT_FILE_CHMOD] = { "file_chmod", "file", "change", "file-chmod" },
	[EDR_EVENT_FILE_CHOWN] = { "file_chown", "file", "change", "file-chown" },
	[EDR_EVENT_NET_CONNECT] = { "net_connect", "network", "connection", "connect" },
	[EDR_EVENT_NET_ACCEPT] = { "net_accept", "network", "connection", "accept" },
	[EDR_EVENT_NET_BIND] = { "net_bind", "network", "start", "bind" },
	[EDR_EVENT_NET_LISTEN] = { "net_listen", "network", "start", "listen" },
	[EDR_EVENT_NET_SEND] = { "net_send", "network", "connection", "udp-send" },
	[EDR_EVENT_CRED_CHANGE] = { "cred_change", "process", "change", "credentials-change" },
	[EDR_EVENT_PTRACE] = { "ptrace", "process", "access", "ptrace-attach" },
	[EDR_EVENT_PROC_VM_WRITE] = { "proc_vm_write", "process", "change", "process-vm-write" },
	[EDR_EVENT_MODULE_LOAD] = { "module_load", "driver", "start", "module-load" },
	[EDR_EVENT_BPF_PROG] = { "bpf_prog", "process", "info", "bpf-prog-load" },
	[EDR_EVENT_BPF_MAP] = { "bpf_map", "process", "info", "bpf-map-create" },
	[EDR_EVENT_MOUNT] = { "mount", "file", "change", "mount" },
	[EDR_EVENT_MEMFD_CREATE] = { "memfd_create", "file", "creation", "memfd-create" },
	[EDR_EVENT_MEM_WX] = { "mem_wx", "process", "change", "memory-wx" },
	[EDR_EVENT_FILE_LINK] = { "file_link", "file", "creation", "file-link" },
	[EDR_EVENT_FILE_SYMLINK] = { "file_symlink", "file", "creation", "file-symlink" },
};

const struct edr_evtype *edr_evtype(unsigned type)
{
	static const struct edr_evtype unknown = { NULL, "process", "info", "unknown" };

	if (type >= _EDR_EVENT_MAX || !types[type].stat)
		return &unknown;
	return &types[type];
}
