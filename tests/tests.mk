# SPDX-License-Identifier: GPL-2.0-only
# tests/: unit tests (no root), BPF integration tests (root, real kernel),
# e2e tests of the daemon. Other fragments add their own tests.

# A cmocka unit test: $(call unit_test,name,objects it links)
define unit_test
UNIT_TESTS += $(BUILD)/tests/unit/$(1)
$(BUILD)/tests/unit/$(1): $(BUILD)/tests/unit/$(1).o $(2)
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) -lcmocka
endef

$(eval $(call unit_test,test_decode,$(BUILD)/sensor/decode.o))
$(eval $(call unit_test,test_json,$(BUILD)/sensor/json.o))
$(eval $(call unit_test,test_proctable,$(BUILD)/sensor/proctable.o $(BUILD)/sensor/decode.o))

# BPF integration tests link the loader and the skeleton.
BPF_TEST_OBJS := $(BUILD)/tests/bpf/harness.o $(LOADER_OBJS) $(BUILD)/sensor/decode.o
$(BUILD)/tests/bpf/harness.o $(BUILD)/tests/bpf/test_process.o: $(BPF_SKEL)

BPF_TESTS += $(BUILD)/tests/bpf/test_process
$(BUILD)/tests/bpf/test_process: $(BUILD)/tests/bpf/test_process.o $(BPF_TEST_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# Helper programs used by e2e tests and benchmarks.
TEST_HELPERS := $(BUILD)/tests/helpers/spawn $(BUILD)/tests/helpers/execstorm
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# e2e: the real daemon against the real kernel.
.PHONY: test-e2e
TEST_STEPS += test-e2e
test-e2e: $(BINS) $(TEST_HELPERS)
	@python3 tests/e2e/test_sensor.py --build $(BUILD)

# Benchmarks (make bench): not tests, never timed assertions.
.PHONY: bench-exec
BENCH_STEPS += bench-exec
bench-exec: $(BINS) $(TEST_HELPERS)
	@python3 tests/bench/exec_overhead.py --build $(BUILD)
