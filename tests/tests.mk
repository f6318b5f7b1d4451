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

$(eval $(call unit_test,test_decode,$(BUILD)/sensor/decode.o $(BUILD)/sensor/evtypes.o))
$(eval $(call unit_test,test_json,$(BUILD)/sensor/json.o))
$(eval $(call unit_test,test_proctable,$(BUILD)/sensor/proctable.o $(BUILD)/sensor/decode.o \
	$(BUILD)/sensor/evtypes.o))
# Unit tests of one family of events: decode, ECS and Sigma mapping.
EVENT_UNIT_OBJS := $(BUILD)/tests/unit/event_util.o $(BUILD)/sensor/decode.o $(BUILD)/sensor/ecs.o $(BUILD)/sensor/evtypes.o $(ENRICH_OBJS) \
	$(BUILD)/sensor/json.o $(BUILD)/sensor/sigma_map.o $(BUILD)/sensor/proctable.o
$(eval $(call unit_test,test_file_events,$(EVENT_UNIT_OBJS)))
$(eval $(call unit_test,test_mem_events,$(EVENT_UNIT_OBJS)))
$(eval $(call unit_test,test_priv_events,$(EVENT_UNIT_OBJS)))
$(eval $(call unit_test,test_kern_events,$(EVENT_UNIT_OBJS)))
$(eval $(call unit_test,test_net_events,$(EVENT_UNIT_OBJS)))

# The feature registry against the BPF object (opened, never loaded: no root).
$(eval $(call unit_test,test_features,$(LOADER_OBJS)))
$(BUILD)/tests/unit/test_features.o: $(BPF_SKEL)

# BPF integration tests link the loader and the skeleton.
BPF_TEST_OBJS := $(BUILD)/tests/bpf/harness.o $(LOADER_OBJS) $(BUILD)/sensor/decode.o $(BUILD)/sensor/evtypes.o
$(BUILD)/tests/bpf/harness.o: $(BPF_SKEL)

# A BPF integration test: $(call bpf_test,name)
define bpf_test
$(BUILD)/tests/bpf/$(1).o: $(BPF_SKEL)
BPF_TESTS += $(BUILD)/tests/bpf/$(1)
$(BUILD)/tests/bpf/$(1): $(BUILD)/tests/bpf/$(1).o $(BPF_TEST_OBJS)
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) -lcmocka
endef

$(eval $(call bpf_test,test_process))
$(eval $(call bpf_test,test_file))
$(eval $(call bpf_test,test_mem))
$(eval $(call bpf_test,test_priv))
$(eval $(call bpf_test,test_kern))
$(eval $(call bpf_test,test_net))
$(eval $(call bpf_test,test_loader))

# Helper programs used by e2e tests and benchmarks.
TEST_HELPERS := $(BUILD)/tests/helpers/spawn $(BUILD)/tests/helpers/execstorm
TEST_HELPERS += $(BUILD)/tests/helpers/filestorm
TEST_HELPERS += $(BUILD)/tests/helpers/dropuid
TEST_HELPERS += $(BUILD)/tests/helpers/bpfload
TEST_HELPERS += $(BUILD)/tests/helpers/connstorm
TEST_HELPERS += $(BUILD)/tests/helpers/tpfloor
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

.PHONY: bench-file
BENCH_STEPS += bench-file
bench-file: $(BINS) $(TEST_HELPERS)
	@python3 tests/bench/file_overhead.py --build $(BUILD)

.PHONY: bench-net
BENCH_STEPS += bench-net
bench-net: $(BINS) $(TEST_HELPERS)
	@python3 tests/bench/net_overhead.py --build $(BUILD)

# Fuzzing the record decoder and everything downstream of it.
DECODE_FUZZ_SRCS := tests/fuzz/fuzz_decode.c sensor/decode.c sensor/proctable.c sensor/ecs.c sensor/evtypes.c \
		    sensor/json.c sensor/sigma_map.c sensor/enrich/idcache.c sensor/enrich/hashcache.c sensor/enrich/container.c sensor/enrich/ancestry.c
DECODE_FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags libsodium libhs 2>/dev/null)
$(BUILD)/fuzz/fuzz_decode: $(DECODE_FUZZ_SRCS) $(wildcard sensor/*.h sensor/*/*.h) bpf/edr_event.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(DECODE_FUZZ_CFLAGS) $(DECODE_FUZZ_SRCS) -o $@ \
		$(shell $(PKG_CONFIG) --libs libsodium) -lm

DECODE_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-decode && \
	$(BUILD)/fuzz/fuzz_decode -max_len=33000 -timeout=10 $(BUILD)/fuzz/corpus-decode \
	tests/fuzz/corpus/decode

$(eval $(call fuzz_target,decode,DECODE_FUZZ_RUN,800000,600))

# Content updates against the real daemon (signed bundles, rejection corpus,
# swaps under load, crash rollback).
.PHONY: test-content-e2e
TEST_STEPS += test-content-e2e
test-content-e2e: $(BINS) $(TEST_HELPERS)
	@python3 tests/e2e/test_content.py $(BUILD)

# House limits: no file over 1,200 lines, no function over 120 (outside tests
# and the BPF SEC() wrappers).
.PHONY: lint-sizes
lint-sizes:
	$(call msg,LINT,sizes)
	$(Q)python3 tests/lint/sizes.py
