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

# ---- user-space mechanisms (part C2) ----
# fanotify.c: the permission-event group, its reader and workers with the
# hard deadline; fanview.c: the pre-exec and open Sigma views of a request;
# quarantine.c and quarantine_meta.c: the store and its meta file.
FAN_OBJS := $(BUILD)/sensor/response/fanotify.o $(BUILD)/sensor/response/fanview.o \
	    $(BUILD)/sensor/response/quarantine.o $(BUILD)/sensor/response/quarantine_meta.o
SENSOR_OBJS += $(FAN_OBJS)
$(BUILD)/edr-sensor: $(FAN_OBJS)

# The fanotify group for real (root with CAP_SYS_ADMIN, else exit 77 =
# skipped): exec denied/allowed, the deadline, free while stuck, protect,
# queue full, the pre-exec view and hashing of the request's descriptor.
UNIT_TESTS += $(BUILD)/tests/unit/test_fanotify
$(BUILD)/tests/unit/test_fanotify: $(BUILD)/tests/unit/test_fanotify.o $(FAN_OBJS) $(EVENT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS) -lcmocka

# The views against a fake /proc and passwd (no root).
UNIT_TESTS += $(BUILD)/tests/unit/test_fanview
$(BUILD)/tests/unit/test_fanview: $(BUILD)/tests/unit/test_fanview.o $(FAN_OBJS) $(EVENT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS) -lcmocka

# The store: round trip, refusals, cross-filesystem moves, the meta parser.
QUARANTINE_OBJS := $(BUILD)/sensor/response/quarantine.o $(BUILD)/sensor/response/quarantine_meta.o \
		   $(BUILD)/sensor/json.o $(BUILD)/sensor/enrich/hashcache.o
UNIT_TESTS += $(BUILD)/tests/unit/test_quarantine
$(BUILD)/tests/unit/test_quarantine: $(BUILD)/tests/unit/test_quarantine.o $(QUARANTINE_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# libFuzzer target for the meta parser (and format -> parse round trips).
$(BUILD)/fuzz/fuzz_quarantine: tests/fuzz/fuzz_quarantine.c sensor/response/quarantine_meta.c \
		sensor/json.c sensor/response/quarantine.h sensor/json.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_BASE_CFLAGS) tests/fuzz/fuzz_quarantine.c sensor/response/quarantine_meta.c \
		sensor/json.c -o $@

QUARANTINE_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-quarantine && \
	$(BUILD)/fuzz/fuzz_quarantine -max_len=16384 -timeout=10 $(BUILD)/fuzz/corpus-quarantine \
	tests/fuzz/corpus/quarantine

$(eval $(call fuzz_target,quarantine,QUARANTINE_FUZZ_RUN,300000,300))

# Added exec latency of the fanotify path (root): no group, a cached verdict,
# and a first-time hash of a 10 MB binary, side by side in one run.
$(BUILD)/tests/bench/bench_fanotify: $(BUILD)/tests/bench/bench_fanotify.o $(FAN_OBJS) $(EVENT_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS)

.PHONY: bench-fanotify
BENCH_STEPS += bench-fanotify
bench-fanotify: $(BUILD)/tests/bench/bench_fanotify ## benchmark: added exec latency of the fanotify path (root)
	@python3 tests/bench/fanotify_overhead.py --build $(BUILD)

# The fanotify group's threads under ThreadSanitizer (root; exit 77 without
# CAP_SYS_ADMIN counts as skipped).
FAN_TSAN_SRCS := tests/unit/test_fanotify.c sensor/response/fanotify.c sensor/response/fanview.c \
		 $(EVENT_SRCS)
.PHONY: tsan-fanotify
TEST_STEPS += tsan-fanotify
$(BUILD)/tsan/test_fanotify: $(FAN_TSAN_SRCS) sensor/response/fanotify.h
	$(call msg,TSAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O1 -fsanitize=thread -I$(BUILD) -I. -Ibpf -D_GNU_SOURCE $(FAN_TSAN_SRCS) \
	  -o $@ $(PKG_CFLAGS) $(PKG_LIBS) -lcmocka -lpthread -lm
tsan-fanotify: $(BUILD)/tsan/test_fanotify ## the fanotify threads under ThreadSanitizer (root)
	$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(BUILD)/tsan/test_fanotify >$(BUILD)/tsan/test_fanotify.log 2>&1; \
	  rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ] || { tail -60 $(BUILD)/tsan/test_fanotify.log; exit 1; }

# ---- the response engine (part C1) ----
# response.c: matches and the circuit breaker; policy.c: rule tables and the
# kernel policy; act.c: pidfd kill, the worker, isolation; ctl.c: control
# verbs and reply items.
RESPONSE_OBJS := $(BUILD)/sensor/response/response.o $(BUILD)/sensor/response/policy.o \
		 $(BUILD)/sensor/response/act.o $(BUILD)/sensor/response/ctl.o
# daemon.c wires them to the loader, fanotify and the quarantine: the
# daemon only.
RESPONSE_DAEMON_OBJS := $(BUILD)/sensor/response/daemon.o
SENSOR_OBJS += $(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS)
$(BUILD)/edr-sensor: $(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS)
# Messages are cut at their buffer on purpose (one bounded line each).
$(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS): CFLAGS += -Wno-format-truncation

# content.mk is read after this file: its objects by name (the shadow gate).
RESPONSE_CONTENT_OBJS := $(patsubst %,$(BUILD)/sensor/content/%.o,content store selftest control)
# The engine against fake mechanisms (no root): budgets, demotion, re-arm,
# shadow, kill switch, protected targets, rule numbers across generations.
UNIT_TESTS += $(BUILD)/tests/unit/test_response
$(BUILD)/tests/unit/test_response: $(BUILD)/tests/unit/test_response.o $(RESPONSE_OBJS) \
		$(PROTECT_OBJS) $(RESPONSE_CONTENT_OBJS) $(EVENT_OBJS) $(CTL_SERVER_OBJS) \
		$(BUILD)/sensor/ctl/ctl_client.o $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(sort $^) -o $@ $(LDLIBS) -lcmocka

# e2e: deny, kill, quarantine, isolation and the circuit breaker against the
# real daemon on this host's kernel (root).
.PHONY: test-response-e2e
TEST_STEPS += test-response-e2e
test-response-e2e: $(BINS) $(TEST_HELPERS) ## e2e: response and prevention against the real daemon (root)
	@python3 tests/e2e/test_response.py --build $(BUILD)

# make bench: asynchronous kill latency, exec latency enforcing and not (root).
.PHONY: bench-response
BENCH_STEPS += bench-response
bench-response: $(BINS) ## benchmark: async kill latency p50/p99, exec latency with enforcement on/off (root)
	@python3 tests/bench/response_bench.py --build $(BUILD)

# iproute2: ip netns and veth pairs, used by the isolation and net-deny tests.
DEPS_PKGS += iproute2
