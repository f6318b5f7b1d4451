// SPDX-License-Identifier: GPL-2.0-only
/*
 * Default places on disk: the one definition each, used by the daemon, edrctl,
 * the configuration defaults and the unit tests. The man pages, the unit file
 * and sensor.conf repeat them as text; tests/lint/facts.py checks they agree.
 */
#ifndef EDR_PATHS_H
#define EDR_PATHS_H

#define EDR_CONFIG_DEFAULT_PATH	"/etc/edr/sensor.conf"

/* RuntimeDirectory=edr in the unit file. */
#define EDR_RUN_DIR		"/run/edr"
#define EDR_CTL_DEFAULT_SOCKET	EDR_RUN_DIR "/edr.sock"

/* StateDirectory=edr in the unit file. */
#define EDR_STATE_DEFAULT_DIR	"/var/lib/edr"
#define EDR_CONTENT_DEFAULT_DIR	EDR_STATE_DEFAULT_DIR "/content"
/* Files moved away by the quarantine action (root only). */
#define EDR_QUARANTINE_PATH	EDR_STATE_DEFAULT_DIR "/quarantine"

#endif
