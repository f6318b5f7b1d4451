// SPDX-License-Identifier: GPL-2.0-only
/*
 * The version of edr-sensor and edrctl: the one place it is written. The
 * string is what --version and `edrctl status` show; the numbers, packed with
 * EDR_VERSION_NUM (rules/bundle.h), are the sensor version that a content
 * bundle's min_sensor is compared with. The Makefile reads it from here too.
 */
#ifndef EDR_VERSION_H
#define EDR_VERSION_H

#define EDR_VERSION_MAJOR	0
#define EDR_VERSION_MINOR	1
#define EDR_VERSION_PATCH	0

#define EDR_VERSION_STR_(x)	#x
#define EDR_VERSION_STR(x)	EDR_VERSION_STR_(x)
#define EDR_VERSION		EDR_VERSION_STR(EDR_VERSION_MAJOR) "." \
				EDR_VERSION_STR(EDR_VERSION_MINOR) "." \
				EDR_VERSION_STR(EDR_VERSION_PATCH)

#endif
