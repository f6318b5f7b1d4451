# SPDX-License-Identifier: GPL-2.0-only
# rules/: the Sigma rule library (pure user space): schema, parser, compiler,
# Hyperscan matcher. Spec of the language: rules/FORMAT.md.
RULES_OBJS += $(BUILD)/rules/schema.o
include rules/bundle.mk
RULES_OBJS += $(BUILD)/rules/ruleset.o $(BUILD)/rules/pattern.o $(BUILD)/rules/matcher.o
EDRCTL_OBJS += $(BUILD)/sensor/edrctl_rules.o
