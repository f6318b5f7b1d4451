# SPDX-License-Identifier: GPL-2.0-only
# sensor/response/: response and prevention (issue 12). Each part keeps its
# own section: the protected list (PROTECT_OBJS, linked by the content
# manager's validate stage too), the user-space mechanisms (fanotify,
# quarantine) and the response engine (RESPONSE_OBJS).

# ---- protected list (part A) --------------------------------------------------
# What is never denied or killed, and the validate-time check of content
# against it. Linked into CONTENT_OBJS (sensor/content/content.mk), so every
# binary that links the content manager has it.
PROTECT_OBJS := $(BUILD)/sensor/response/protect.o

UNIT_TESTS += $(BUILD)/tests/unit/test_protect
$(BUILD)/tests/unit/test_protect: $(BUILD)/tests/unit/test_protect.o $(PROTECT_OBJS) \
		$(RULES_ENGINE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka
# The bad rules of tests/rules/bad include one refused by the protected list
# ("# expect-protect:"), and edrctl check-rules reports it as validate would.
$(BUILD)/tests/unit/test_rules_files: $(PROTECT_OBJS)
$(BUILD)/edrctl: $(PROTECT_OBJS)
