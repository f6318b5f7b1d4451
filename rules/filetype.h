/* SPDX-License-Identifier: GPL-2.0-only */
/* What a path turned out to be, for one-line errors about paths that must
 * name a regular file ("rules/x.yml: a FIFO, not a regular file"). Paths a
 * user or a file supplies are opened with O_NONBLOCK, so a FIFO or a device
 * cannot stall the open, and checked with fstat() before any read. */
#ifndef EDR_FILETYPE_H
#define EDR_FILETYPE_H

#include <sys/stat.h>

static inline const char *edr_file_type(mode_t m)
{
	if (S_ISREG(m))
		return "a regular file";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "not a regular file";
}

#endif /* EDR_FILETYPE_H */
