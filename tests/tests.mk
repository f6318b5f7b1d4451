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

$(eval $(call unit_test,test_decode,$(BUILD)/tests/unit/event_util.o $(EVENT_OBJS)))
$(eval $(call unit_test,test_json,$(BUILD)/sensor/json.o))
$(eval $(call unit_test,test_proctable,$(EVENT_OBJS)))
$(eval $(call unit_test,test_families,$(EVENT_OBJS)))
$(eval $(call unit_test,test_shutdown,$(BUILD)/sensor/shutdown.o))
# Unit tests of one family of events: decode, ECS and Sigma mapping.
EVENT_UNIT_OBJS := $(BUILD)/tests/unit/event_util.o $(EVENT_OBJS)
# tests/unit/test_<family>_events.c, one per family, found by name.
$(foreach t,$(sort $(notdir $(basename $(wildcard tests/unit/test_*_events.c)))),\
	$(eval $(call unit_test,$(t),$(EVENT_UNIT_OBJS))))

# The feature registry against the BPF object (opened, never loaded: no root).
$(eval $(call unit_test,test_features,$(LOADER_OBJS)))
$(BUILD)/tests/unit/test_features.o: $(BPF_SKEL)

# BPF integration tests link the loader and the skeleton.
BPF_TEST_OBJS := $(BUILD)/tests/bpf/harness.o $(LOADER_OBJS) $(EVENT_OBJS)
$(BUILD)/tests/bpf/harness.o: $(BPF_SKEL)

# A BPF integration test: $(call bpf_test,name)
define bpf_test
$(BUILD)/tests/bpf/$(1).o: $(BPF_SKEL)
BPF_TESTS += $(BUILD)/tests/bpf/$(1)
$(BUILD)/tests/bpf/$(1): $(BUILD)/tests/bpf/$(1).o $(BPF_TEST_OBJS)
	$$(call msg,LD,$$@)
	$$(Q)$$(CC) $$(LDFLAGS) $$^ -o $$@ $$(LDLIBS) -lcmocka
endef

# tests/bpf/test_<family>.c, found by name (the harness is not a test).
$(foreach t,$(sort $(notdir $(basename $(wildcard tests/bpf/test_*.c)))),$(eval $(call bpf_test,$(t))))

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
test-e2e: $(BINS) $(TEST_HELPERS) ## e2e: the real daemon against the real kernel (root)
	@python3 tests/e2e/test_sensor.py --build $(BUILD)

# The sensor on a hostile host (issue 13): control socket abuse, files that
# are not what they should be, stops that must not hang.
.PHONY: test-hostile-e2e
TEST_STEPS += test-hostile-e2e
test-hostile-e2e: $(BINS) $(TEST_HELPERS) ## e2e: the sensor against a hostile host (root)
	@python3 tests/e2e/test_hostile.py --build $(BUILD)

# Hostile directories, planted temporary names, files that are not files.
.PHONY: test-hostile-files-e2e
TEST_STEPS += test-hostile-files-e2e
test-hostile-files-e2e: $(BINS) $(TEST_HELPERS) ## e2e: hostile files and directories against the real daemon (root)
	@python3 tests/e2e/test_hostile_files.py $(BUILD)

# Benchmarks (make bench): not tests, never timed assertions.
.PHONY: bench-exec
BENCH_STEPS += bench-exec
bench-exec: $(BINS) $(TEST_HELPERS) ## benchmark: exec overhead of the sensor (root)
	@python3 tests/bench/exec_overhead.py --build $(BUILD)

.PHONY: bench-restart
BENCH_STEPS += bench-restart
bench-restart: $(BINS) ## benchmark: start and stop time, links detached in parallel vs serially (root)
	@python3 tests/bench/restart_bench.py --build $(BUILD)

.PHONY: bench-file
BENCH_STEPS += bench-file
bench-file: $(BINS) $(TEST_HELPERS) ## benchmark: file-open overhead of the sensor (root)
	@python3 tests/bench/file_overhead.py --build $(BUILD)

.PHONY: bench-net
BENCH_STEPS += bench-net
bench-net: $(BINS) $(TEST_HELPERS) ## benchmark: connect overhead of the sensor (root)
	@python3 tests/bench/net_overhead.py --build $(BUILD)

# Fuzzing the record decoder and everything downstream of it.
DECODE_FUZZ_SRCS := tests/fuzz/fuzz_decode.c $(EVENT_SRCS)
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
test-content-e2e: $(BINS) $(TEST_HELPERS) ## e2e: signed content updates against the real daemon (root)
	@python3 tests/e2e/test_content.py $(BUILD)

# House limits: no file over 1,200 lines, no function over 120 (outside tests
# and the BPF SEC() wrappers).
.PHONY: lint-sizes
TEST_STEPS += lint-sizes
CHECK_STEPS += lint-sizes
lint-sizes: ## house limits: files <= 1,200 lines, functions <= 120
	$(call msg,LINT,sizes)
	$(Q)python3 tests/lint/sizes.py

# One source for each fact: the default paths (sensor/paths.h) and the version
# (sensor/version.h) as the man pages, the unit file and sensor.conf repeat them.
.PHONY: lint-facts
TEST_STEPS += lint-facts
CHECK_STEPS += lint-facts
lint-facts: ## man pages, unit file and sensor.conf agree with paths.h
	$(call msg,LINT,facts)
	$(Q)python3 tests/lint/facts.py

# Exec latency the kernel enforcement adds (exec_enforce alone, 1,000
# non-matching entries): unloaded, kill switch off, enforcing, alternated in
# one run. On the host the path is kill-at-exec; in the 6.12 guest (BPF LSM
# active) it is lsm.
$(BUILD)/tests/bench/bench_enforce.o: $(BPF_SKEL)
$(BUILD)/tests/bench/bench_enforce: $(BUILD)/tests/bench/bench_enforce.o $(LOADER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: bench-enforce bench-enforce-vm
BENCH_STEPS += bench-enforce
bench-enforce: $(BUILD)/tests/bench/bench_enforce ## benchmark: exec latency added by kernel enforcement (root)
	@$(BUILD)/tests/bench/bench_enforce 2000 3 1000

BENCH_STEPS += bench-enforce-vm
bench-enforce-vm: $(BUILD)/tests/bench/bench_enforce ## benchmark: the same on the LSM path, in the 6.12 guest
	@EDR_VMTEST_KERNELS=6.12 vmtest/vmtest.sh --timeout 900 --budget 1200 \
		--command "$(BUILD)/tests/bench/bench_enforce 300 3 1000"

# The run-phase privilege drop, applied in a forked child.
$(eval $(call unit_test,test_privdrop,$(BUILD)/sensor/privdrop.o))

# The daemon's run-phase privileges (root, real kernel): capability sets,
# no_new_privs and the seccomp mode of every thread.
TEST_STEPS += test-privilege-e2e
.PHONY: test-privilege-e2e
test-privilege-e2e: $(BINS) ## e2e: the running daemon's capabilities, no_new_privs, seccomp (root)
	@python3 tests/e2e/test_privilege.py --build $(BUILD)

# Tamper evidence: the real daemon ptraced and signalled by another process.
.PHONY: test-tamper-e2e
TEST_STEPS += test-tamper-e2e
test-tamper-e2e: $(BINS) $(TEST_HELPERS) ## e2e: tamper attempts on the real daemon are seen and alerted (root)
	@python3 tests/e2e/test_tamper.py --build $(BUILD)

# Evasion: deep exec paths, programs run through the dynamic loader.
.PHONY: test-evasion-e2e
TEST_STEPS += test-evasion-e2e
test-evasion-e2e: $(BINS) $(TEST_HELPERS) ## e2e: deep exec paths and ld.so PROGRAM against the real daemon (root)
	@python3 tests/e2e/test_evasion.py --build $(BUILD)
