/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The quarantine (issue 12): files a rule names moved out of reach, with
 * their metadata, and put back on request (`edrctl quarantine list|restore`).
 *
 * A root-only store; each item is a directory <dir>/<id>/ holding the file
 * (mode 0000) and meta (one JSON object: id, original path, mode, uid, gid,
 * size, mtime, sha256, rule id and name, time). id is 16 hex digits,
 * unpredictable (getrandom).
 *
 * The path is stored twice in meta: "path" as JSON text for people, and
 * "path_hex" with its exact bytes (a path need not be UTF-8), which is what
 * restore uses. Times are nanoseconds since the epoch.
 *
 * The quarantined inode's mode is set to 0000 before it leaves its place, so
 * another hard link to it cannot be used to read or run it either; restore
 * sets the mode back.
 */
#ifndef EDR_RESPONSE_QUARANTINE_H
#define EDR_RESPONSE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

#define EDR_QUARANTINE_DEFAULT_DIR "/var/lib/edr/quarantine"
#define EDR_QUARANTINE_DEFAULT_MAX (256ull << 20)
#define EDR_QUARANTINE_META_MAX    (64u << 10)   /* bytes of a meta file we read */

struct edr_quarantine_item {
	char id[17];
	char path[4096];
	uint32_t mode, uid, gid;
	uint64_t size, mtime, qtime;   /* mtime and qtime: ns since the epoch */
	char sha256[65];
	char rule_id[128];
	char rule_name[256];
};

/* Creates dir 0700 root-owned if missing (its parents 0755); refuses one not
 * owned by root (or by the caller, for tests run without root), not a
 * directory, or writable by group or others. *dirfd: O_DIRECTORY, close it
 * when done. 0 or negative errno with err one line. */
int edr_quarantine__open(const char *dir, int *dirfd, char *err, size_t errlen);
/* Moves path into the store (rename within one filesystem, else copy+fsync+unlink, never leaving
 * two readable copies or none); fills item. Refuses non-regular files, directories, symlinks
 * (O_NOFOLLOW), files over max_size (0 = 256 MiB). 0 or negative errno with err one line.
 * rule_id and rule_name may be NULL. */
int edr_quarantine__put(int dirfd, const char *path, const char *rule_id, const char *rule_name,
			uint64_t max_size, struct edr_quarantine_item *item, char *err, size_t errlen);
/* Items sorted by time; *items malloc'ed. Unreadable or malformed items are skipped. */
int edr_quarantine__list(int dirfd, struct edr_quarantine_item **items, size_t *n);
/* Puts the file back at its original path with its mode and owner; refuses when something exists
 * there now (-EEXIST) unless force. Removes the item. */
int edr_quarantine__restore(int dirfd, const char *id, int force, struct edr_quarantine_item *item,
			    char *err, size_t errlen);

/* The meta file's text (one line, no newline) and its parser, for tests and
 * the fuzz target. format: malloc'ed string or NULL. parse: 0, or -EINVAL
 * for anything but one object with a valid id and path. Unknown keys are
 * ignored; strings longer than their field are cut. */
char *edr_quarantine_meta_format(const struct edr_quarantine_item *item);
int edr_quarantine_meta_parse(const char *buf, size_t len, struct edr_quarantine_item *item);

#endif /* EDR_RESPONSE_QUARANTINE_H */
