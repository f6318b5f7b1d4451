# SPDX-License-Identifier: GPL-2.0-only
# rules/: the Sigma rule library (pure user space): schema, parser, compiler,
# Hyperscan matcher. Spec of the language: rules/FORMAT.md.
RULES_OBJS += $(BUILD)/rules/schema.o
include rules/bundle.mk
# The parser: YAML reading, values and modifiers, the condition, rules and files.
RULES_PARSER_OBJS := $(BUILD)/rules/yaml.o $(BUILD)/rules/values.o $(BUILD)/rules/condition.o \
		     $(BUILD)/rules/ruleset.o $(BUILD)/rules/response.o $(BUILD)/rules/kform.o
RULES_OBJS += $(RULES_PARSER_OBJS) $(BUILD)/rules/pattern.o $(BUILD)/rules/matcher.o
EDRCTL_OBJS += $(BUILD)/sensor/ctl/edrctl_rules.o

# The engine alone (the bundle reader is not needed by its tests).
RULES_ENGINE_OBJS := $(BUILD)/rules/schema.o $(RULES_PARSER_OBJS) \
		     $(BUILD)/rules/pattern.o $(BUILD)/rules/matcher.o

# ---- unit tests ------------------------------------------------------------
RULES_UNIT := test_rules test_rules_errors test_rules_schema test_rules_files test_rules_response
UNIT_TESTS += $(addprefix $(BUILD)/tests/unit/,$(RULES_UNIT))

$(addprefix $(BUILD)/tests/unit/,$(RULES_UNIT)): $(BUILD)/tests/unit/%: \
		$(BUILD)/tests/unit/%.o $(RULES_ENGINE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# ---- make test steps ---------------------------------------------------------
.PHONY: check-default-rules check-test-rules bench-rules
TEST_STEPS += check-test-rules check-default-rules
CHECK_STEPS += check-test-rules check-default-rules

# edrctl check-rules itself: our good rules pass (exit 0), the bad ones are
# each reported and fail the run (exit 1), usage errors exit 2.
check-test-rules: $(BUILD)/edrctl ## edrctl check-rules on tests/rules/good and bad
	$(call msg,CHECK,check-rules)
	$(Q)./$(BUILD)/edrctl check-rules --test --require-samples tests/rules/good >$(BUILD)/check-test-rules.log || \
		{ cat $(BUILD)/check-test-rules.log; echo "check-test-rules: tests/rules/good should pass" >&2; exit 1; }
	$(Q)n=$$(ls tests/rules/bad/*.yml | wc -l); \
	./$(BUILD)/edrctl check-rules --test tests/rules/bad >$(BUILD)/check-test-rules.log; rc=$$?; \
	bad=$$(grep -c '^ERROR \|^FAIL ' $(BUILD)/check-test-rules.log); \
	if [ $$rc != 1 ] || [ $$bad != $$n ]; then cat $(BUILD)/check-test-rules.log; \
		echo "check-test-rules: want exit 1 and $$n problems, got exit $$rc and $$bad" >&2; exit 1; fi
	$(Q)./$(BUILD)/edrctl check-rules 2>/dev/null; [ $$? = 2 ] || { echo "check-test-rules: usage error should exit 2" >&2; exit 1; }

# The default pack must load, carry samples, and pass them all.
check-default-rules: $(BUILD)/edrctl ## the default rule pack loads and passes its samples
	@if ! ls rules/default/*.yml >/dev/null 2>&1; then \
		echo "  SKIP     check-default-rules: rules/default has no .yml files yet"; \
	else \
		./$(BUILD)/edrctl check-rules --test --require-samples rules/default >$(BUILD)/check-default-rules.log; \
		rc=$$?; grep -v '^OK ' $(BUILD)/check-default-rules.log; exit $$rc; \
	fi

# ---- fuzzing (clang libFuzzer + ASan/UBSan, objects built apart) ---------------
RULES_FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags yaml-0.1 libhs 2>/dev/null)
RULES_FUZZ_SRCS := tests/fuzz/fuzz_rules.c rules/schema.c rules/yaml.c rules/values.c \
		   rules/condition.c rules/ruleset.c rules/response.c rules/kform.c \
		   rules/pattern.c rules/matcher.c

$(BUILD)/fuzz/fuzz_rules: $(RULES_FUZZ_SRCS) $(wildcard rules/*.h) rules/schema.def
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(RULES_FUZZ_CFLAGS) $(RULES_FUZZ_SRCS) -o $@ \
		$(shell $(PKG_CONFIG) --libs yaml-0.1 libhs) -lm

# -timeout=30: Hyperscan compiles a large (allowed) regex in ~0.5 s natively,
# several seconds through ASan's allocator on a busy 2-core machine.
RULES_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-rules && \
	$(BUILD)/fuzz/fuzz_rules -max_len=8192 -timeout=30 -rss_limit_mb=2048 \
	-dict=tests/fuzz/rules.dict $(BUILD)/fuzz/corpus-rules tests/fuzz/corpus/rules

$(eval $(call fuzz_target,rules,RULES_FUZZ_RUN,60000,600))

# ---- benchmark ---------------------------------------------------------------------
BENCH_STEPS += bench-rules

$(BUILD)/tests/bench/bench_rules: $(BUILD)/tests/bench/bench_rules.o $(RULES_ENGINE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

bench-rules: $(BUILD)/tests/bench/bench_rules ## benchmark: rule evaluation
	@./$(BUILD)/tests/bench/bench_rules $(if $(wildcard rules/default/*.yml),rules/default)
