# SPDX-License-Identifier: GPL-2.0-only
# rules/bundle.*: signed content bundles (issue 4).
RULES_OBJS += $(BUILD)/rules/bundle.o
