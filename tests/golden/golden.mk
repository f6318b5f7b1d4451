# SPDX-License-Identifier: GPL-2.0-only
# The golden test: a generated stream of raw records (every record type from
# every attach source) replayed through decode, the process table, ECS and
# the Sigma mappers, compared byte for byte with tests/golden/expected.txt.
# `make golden-update` rewrites the expected output (review the diff!).
GOLDEN_REPLAY_OBJS := $(BUILD)/tests/golden/replay.o $(BUILD)/sensor/decode.o $(BUILD)/sensor/ecs.o \
	$(BUILD)/sensor/evtypes.o $(ENRICH_OBJS) $(BUILD)/sensor/json.o $(BUILD)/sensor/sigma_map.o \
	$(BUILD)/sensor/proctable.o $(BUILD)/rules/schema.o

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

golden-update: $(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin ## rewrite tests/golden/expected.txt (review the diff!)
	$(Q)$(BUILD)/tests/golden/replay $(BUILD)/tests/golden/records.bin >tests/golden/expected.txt
