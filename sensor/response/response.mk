# SPDX-License-Identifier: GPL-2.0-only
# sensor/response/: response and prevention (issue 12). Each part keeps its
# own section: the protected list (PROTECT_OBJS, linked by the content
# manager's validate stage too), the user-space mechanisms (fanotify,
# quarantine) and the response engine (RESPONSE_OBJS).

# ---- the response engine (part C1) ----
# response.c: tables, policy, matches and the circuit breaker; act.c: pidfd
# kill, the worker, isolation; ctl.c: control verbs and reply items.
RESPONSE_OBJS := $(BUILD)/sensor/response/response.o $(BUILD)/sensor/response/act.o \
		 $(BUILD)/sensor/response/ctl.o
# daemon.c wires them to the loader, fanotify and the quarantine: the
# daemon only.
RESPONSE_DAEMON_OBJS := $(BUILD)/sensor/response/daemon.o
SENSOR_OBJS += $(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS)
$(BUILD)/edr-sensor: $(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS)
# Messages are cut at their buffer on purpose (one bounded line each).
$(RESPONSE_OBJS) $(RESPONSE_DAEMON_OBJS): CFLAGS += -Wno-format-truncation

# The engine against fake mechanisms (no root): budgets, demotion, re-arm,
# shadow, kill switch, protected targets, rule numbers across generations.
UNIT_TESTS += $(BUILD)/tests/unit/test_response
$(BUILD)/tests/unit/test_response: $(BUILD)/tests/unit/test_response.o $(RESPONSE_OBJS) \
		$(PROTECT_OBJS) $(EVENT_OBJS) $(CTL_SERVER_OBJS) $(BUILD)/sensor/ctl/ctl_client.o \
		$(RULES_OBJS)
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
