# SPDX-License-Identifier: GPL-2.0-only
# sensor/response/: response and prevention (issue 12). Each part keeps its
# own section: the protected list (PROTECT_OBJS, linked by the content
# manager's validate stage too), the user-space mechanisms (fanotify,
# quarantine) and the response engine (RESPONSE_OBJS).
