/* SPDX-License-Identifier: GPL-2.0-only */
/* What the file family (sensor/family/file.c) offers beyond its descriptor. */
#ifndef EDR_FAMILY_FILE_H
#define EDR_FAMILY_FILE_H

#include "sensor/decode.h"

/* Room for one path resolved in user space: directory + '/' + name. */
#define EDR_RESOLVE_MAX (3 * EDR_PATH_MAX)

/*
 * A file event whose path (or rename source) is relative to a directory fd
 * the kernel side could not read (EDR_FILE_PATH_RELATIVE): resolves it by
 * reading the link PROC/TGID/fd/DIRFD, which is racy (the process may have
 * closed the fd or exited), so the record keeps its flag either way. On
 * success ev->path (ev->old_path) points into buf[0] (buf[1]). Returns how
 * many paths were resolved; 0 for any other event.
 */
int edr_file_resolve(struct edr_decoded *ev, const char *proc, char buf[2][EDR_RESOLVE_MAX]);

#endif /* EDR_FAMILY_FILE_H */
