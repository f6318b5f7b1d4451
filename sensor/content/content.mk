# SPDX-License-Identifier: GPL-2.0-only
# The content manager (issue 4) and signed content bundles. The control
# socket is sensor/ctl/ctl.mk, included before this file: the link rules
# below expand $(CTL_SERVER_OBJS) when read.

# The content manager: the load pipeline, swap and evaluation (content.c),
# the store on disk (store.c), the self-test child (selftest.c) and its
# control verbs (control.c). It needs the rule engine (RULES_OBJS) and liburcu.
# The validate stage checks deny/kill rules against the protected list
# (PROTECT_OBJS, sensor/response/response.mk), so it is part of the manager.
CONTENT_OBJS := $(BUILD)/sensor/content/content.o $(BUILD)/sensor/content/store.o \
		$(BUILD)/sensor/content/selftest.o $(BUILD)/sensor/content/control.o \
		$(PROTECT_OBJS)
SENSOR_OBJS += $(CONTENT_OBJS)
$(BUILD)/edr-sensor: $(CONTENT_OBJS)
# Messages are cut at their buffer on purpose (one bounded line each).
$(CONTENT_OBJS): CFLAGS += -Wno-format-truncation

UNIT_TESTS += $(BUILD)/tests/unit/test_content
$(BUILD)/tests/unit/test_content: $(BUILD)/tests/unit/test_content.o $(CONTENT_OBJS) \
		$(CTL_SERVER_OBJS) $(BUILD)/sensor/ctl/ctl_client.o $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS) -lcmocka

# The bad-bundle corpus: tests/bundles/bad/*.bundle and expected.tsv, made
# by a deterministic generator; `make bundles-corpus` regenerates it.
$(BUILD)/tests/bundles/gen_bad_bundles: $(BUILD)/tests/bundles/gen_bad_bundles.o \
		$(BUILD)/rules/bundle.o $(BUILD)/rules/schema.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: bundles-corpus
bundles-corpus: $(BUILD)/tests/bundles/gen_bad_bundles ## regenerate tests/bundles/bad (the bad-bundle corpus)
	$(Q)mkdir -p tests/fuzz/corpus/bundle && rm -rf tests/bundles/bad && mkdir -p tests/bundles/bad && \
	  $(BUILD)/tests/bundles/gen_bad_bundles tests/bundles/bad tests/rules/bad \
	    tests/fuzz/corpus/bundle/good.bundle

# The test runs on a corpus generated afresh at build time (the engine's
# expected messages in tests/rules/bad may change); the copy in the tree is
# the reference and the fuzz seeds.
$(BUILD)/tests/bundles/bad/expected.tsv: $(BUILD)/tests/bundles/gen_bad_bundles \
		$(wildcard tests/rules/bad/*.yml)
	$(call msg,GEN,$(@D))
	$(Q)rm -rf $(@D) && mkdir -p $(@D) && $(BUILD)/tests/bundles/gen_bad_bundles $(@D) \
	  tests/rules/bad >/dev/null

UNIT_TESTS += $(BUILD)/tests/unit/test_bundle_corpus
$(BUILD)/tests/unit/test_bundle_corpus.o: CPPFLAGS += \
	-DEDR_BUNDLE_CORPUS_DIR='"$(BUILD)/tests/bundles/bad"'
$(BUILD)/tests/unit/test_bundle_corpus: $(BUILD)/tests/unit/test_bundle_corpus.o \
		$(CONTENT_OBJS) $(CTL_SERVER_OBJS) $(RULES_OBJS) \
		| $(BUILD)/tests/bundles/bad/expected.tsv
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $(filter %.o,$^)) -o $@ $(LDLIBS) -lcmocka

# Fuzz target: clang + libFuzzer + ASan, own object directory.
BUNDLE_FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags libzstd libsodium 2>/dev/null)

$(BUILD)/fuzz/fuzz_bundle: tests/fuzz/fuzz_bundle.c rules/bundle.c rules/bundle.h rules/schema.c
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BUNDLE_FUZZ_CFLAGS) tests/fuzz/fuzz_bundle.c rules/bundle.c rules/schema.c -o $@ \
	  $(shell $(PKG_CONFIG) --libs libzstd libsodium)

# Seeds: the bad-bundle corpus plus whatever the fuzzer kept.
BUNDLE_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-bundle && \
	$(BUILD)/fuzz/fuzz_bundle -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	$(BUILD)/fuzz/corpus-bundle tests/fuzz/corpus/bundle tests/bundles/bad

$(eval $(call fuzz_target,bundle,BUNDLE_FUZZ_RUN,300000,300))

UNIT_TESTS += $(BUILD)/tests/unit/test_bundle
$(BUILD)/tests/unit/test_bundle: $(BUILD)/tests/unit/test_bundle.o $(BUILD)/rules/bundle.o \
		$(BUILD)/rules/schema.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# make bench: cost of a content update and events/s while updating.
.PHONY: bench-content
BENCH_STEPS += bench-content
$(BUILD)/tests/bench/bench_content: $(BUILD)/tests/bench/bench_content.o $(CONTENT_OBJS) \
		$(CTL_SERVER_OBJS) $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS)
bench-content: $(BUILD)/tests/bench/bench_content ## benchmark: content update cost, events/s while updating
	./$(BUILD)/tests/bench/bench_content 1000 5

# The edrctl contract against a stand-in sensor (skipped if edrctl is not built).
UNIT_TESTS += $(BUILD)/tests/unit/test_content_cli
$(BUILD)/tests/unit/test_content_cli.o: CPPFLAGS += -DEDRCTL_PATH='"$(BUILD)/edrctl"'
$(BUILD)/tests/unit/test_content_cli: $(BUILD)/tests/unit/test_content_cli.o \
		$(CONTENT_OBJS) $(CTL_SERVER_OBJS) $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS) -lcmocka
