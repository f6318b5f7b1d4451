# SPDX-License-Identifier: GPL-2.0-only
# rules/: the Sigma rule library (pure user space): schema, parser, compiler,
# Hyperscan matcher. Spec of the language: rules/FORMAT.md.
RULES_OBJS += $(BUILD)/rules/schema.o
include rules/bundle.mk
