# SPDX-License-Identifier: GPL-2.0-only
# The golden test: a generated stream of raw records (every record type from
# every attach source) replayed through decode, the process table, ECS and
# the Sigma mappers, compared byte for byte with tests/golden/expected.txt.
# `make golden-update` rewrites the expected output (review the diff!).
GOLDEN_REPLAY_OBJS := $(BUILD)/tests/golden/replay.o $(EVENT_OBJS) $(BUILD)/rules/schema.o

$(BUILD)/tests/golden/gen_records: $(BUILD)/tests/golden/gen_records.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

$(BUILD)/tests/golden/replay: $(GOLDEN_REPLAY_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/golden/records.bin: $(BUILD)/tests/golden/gen_records
	$(call msg,GEN,$@)
	$(Q)$< $@

.PHONY: test-golden golden-update
TEST_STEPS += test-golden
CHECK_STEPS += test-golden
test-golden: $(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin ## replay the golden record stream, compare with expected.txt
	$(call msg,GOLDEN,tests/golden/expected.txt)
	$(Q)$(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin >$(BUILD)/tests/golden/actual.txt
	$(Q)cmp -s $(BUILD)/tests/golden/actual.txt tests/golden/expected.txt || { \
		diff -u tests/golden/expected.txt $(BUILD)/tests/golden/actual.txt | head -40; \
		echo "test-golden: output differs from tests/golden/expected.txt" >&2; exit 1; }
	@echo "  golden: $$(wc -l <tests/golden/expected.txt) lines identical"

# Every field the schema lets a rule name is filled by some family, and the
# ones marked EDR_UNFILLED (refused in rules) are not.
.PHONY: test-schema-coverage
TEST_STEPS += test-schema-coverage
CHECK_STEPS += test-schema-coverage
test-schema-coverage: $(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin ## every schema field filled by a family, or marked EDR_UNFILLED
	$(call msg,CHECK,schema coverage)
	$(Q)$(BUILD)/tests/golden/replay --coverage $(BUILD)/tests/golden/records.bin

golden-update: $(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin ## rewrite tests/golden/expected.txt (review the diff!)
	$(Q)$(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin >tests/golden/expected.txt
