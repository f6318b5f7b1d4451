# SPDX-License-Identifier: GPL-2.0-only
# One non-recursive Makefile. Each directory contributes a fragment
# (dir/*.mk) that appends to the variables below; nothing recurses.
#
# `make help` lists the targets: a rule line that ends in "## text" is one
# line of the list, so the description stays beside the target.
.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := all

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' '$(1)' '$(2)'
endif

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
PKG_CONFIG ?= pkg-config
PREFIX   ?= /usr/local
DESTDIR  ?=
ARCH     := x86
# The version has one definition, in sensor/version.h.
EDR_VERSION := $(shell sed -n 's/^\#define EDR_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\)$$/\2/p' \
		 sensor/version.h | paste -sd.)

# Sanitizer build: `make SAN=1 ...` puts everything under build-san/.
ifeq ($(SAN),1)
BUILD    := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

PKGS      := libbpf libelf zlib libzstd yaml-0.1 libsodium liburcu libsystemd libhs
# sensor/privdrop.c: the run phase's syscall allow-list (README, Privileges).
PKGS      += libseccomp
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -I$(BUILD) -I. -Ibpf -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -MMD -MP \
	    $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread -lm

BPF_CFLAGS := -g -O2 --target=bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Wno-unused-function -Ibpf -MMD -MP

# libFuzzer targets: clang, ASan and UBSan, any UB fatal. Fragments add
# their own pkg-config flags.
FUZZ_BASE_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		    -I$(BUILD) -I. -Ibpf -D_GNU_SOURCE

# One fuzz target: $(eval $(call fuzz_target,NAME,RUN-VARIABLE,SMOKE-RUNS,CAMPAIGN-SECONDS)).
# RUN-VARIABLE holds the command (binary, options, corpora) of build/fuzz/fuzz_NAME.
#   fuzz-NAME-smoke  a step of `make test`: seed 1 and a fixed number of runs, so a
#                    clean clone in CI repeats the mutations of a local run instead of
#                    failing at random on a new find (the campaigns are for finding)
#   fuzz-NAME        a timed campaign with a random seed ($(FUZZ_TIME) s; `make fuzz`)
define fuzz_target
.PHONY: fuzz-$(1)-smoke fuzz-$(1)
TEST_STEPS += fuzz-$(1)-smoke
FUZZ_TARGETS += fuzz-$(1)
fuzz-$(1)-smoke: $$(BUILD)/fuzz/fuzz_$(1)
	$$(call msg,FUZZ,fuzz_$(1) $(3) runs)
	$$(Q)$$($(2)) -artifact_prefix=$$(BUILD)/fuzz/$(1)- -seed=1 -runs=$(3) >$$(BUILD)/fuzz/fuzz_$(1).log 2>&1 || \
		{ tail -60 $$(BUILD)/fuzz/fuzz_$(1).log; exit 1; }
	@grep -E '^Done [0-9]+ runs' $$(BUILD)/fuzz/fuzz_$(1).log | sed 's/^/  fuzz_$(1): /' || true
fuzz-$(1): $$(BUILD)/fuzz/fuzz_$(1)
	$$(Q)$$($(2)) -artifact_prefix=$$(BUILD)/fuzz/$(1)- -max_total_time=$$(or $$(FUZZ_TIME),$(4))
endef

# Debian packages needed to build, run and test. Fragments append.
DEPS_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev \
	     libcmocka-dev pkg-config make gcc libyaml-dev libsodium-dev \
	     liburcu-dev libsystemd-dev libhyperscan-dev util-linux jq python3 auditd valgrind
DEPS_PKGS += libseccomp-dev

# Fragments append to these.
BINS          :=   # programs installed and built by `all`
UNIT_TESTS    :=   # cmocka binaries, no root
BPF_TESTS     :=   # integration tests against the real kernel (root)
TEST_STEPS    :=   # extra phony steps that `make test` runs after the tests
CHECK_STEPS   :=   # rootless steps of `make check` beside the unit tests
FUZZ_TARGETS  :=   # libFuzzer binaries
BENCH_STEPS   :=   # phony steps run by `make bench`
CLEAN_FILES   :=

# Objects of the libraries, shared by programs and tests.
RULES_OBJS    :=
LOADER_OBJS   :=
SENSOR_OBJS   :=

include bpf/bpf.mk
include loader/loader.mk
include rules/rules.mk
include sensor/sensor.mk
include tests/tests.mk
include tests/golden/golden.mk
include vmtest/vmtest.mk

# Programs link last: prerequisites expand when read, so every fragment must
# have added its objects by now.
$(BUILD)/edr-sensor: $(BUILD)/sensor/main.o $(SENSOR_OBJS) $(LOADER_OBJS) $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/edrctl: $(EDRCTL_OBJS) $(RULES_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

.PHONY: all deps run test asan valgrind bench fuzz install uninstall clean vmlinux mounts \
	test-unit test-bpf test-steps check check-steps help

all: $(BINS) ## build build/edr-sensor and build/edrctl (and the BPF skeleton)

$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Quiet and idempotent: only missing packages are installed.
deps: ## install the Debian packages needed (only those missing; root)
	@missing=$$(for p in $(sort $(DEPS_PKGS)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "  DEPS     installing:" $$missing; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: must run as root to install:" $$missing >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq >/dev/null && \
		apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
		{ echo "make deps: apt-get install failed for:" $$missing >&2; exit 1; }; \
	fi
	@$(foreach c,$(DEPS_SCRIPTS),$(c) &&) true

# bpffs, tracefs and securityfs are not mounted at boot on every host.
mounts: ## mount bpffs, tracefs and securityfs where missing (root)
	@mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	@mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
	@mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security

run: ## deps, build, mounts, then run the sensor (RUN_ARGS=...; root)
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory mounts
	@exec ./$(BUILD)/edr-sensor $(RUN_ARGS)

test: ## deps, build and every test: unit, BPF, TEST_STEPS, vmtest (root)
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory mounts
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-bpf
	@$(MAKE) --no-print-directory test-steps
	@$(MAKE) --no-print-directory vmtest

test-unit: $(UNIT_TESTS) ## build and run the cmocka unit tests (no root)
	@tests/run-tests.sh unit $(UNIT_TESTS)

test-bpf: $(BPF_TESTS) $(BINS) ## the BPF integration tests against the running kernel (root)
	@tests/run-tests.sh bpf $(BPF_TESTS)

test-steps: $(TEST_STEPS) ## only the TEST_STEPS of `make test` (e2e, fuzz smoke, golden, ...)

# The edit-compile-test loop, rootless: the programs and the unit tests built
# (the BPF skeleton too, but nothing is loaded), the unit tests run, then the
# CHECK_STEPS (golden replay, rule samples, lint-facts).
check: ## rootless and quick: build, unit tests, CHECK_STEPS (golden, rule samples)
	@$(MAKE) --no-print-directory all $(UNIT_TESTS)
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory check-steps

check-steps: $(CHECK_STEPS) ## only the CHECK_STEPS of `make check`

asan: ## the unit tests built and run with ASan + UBSan (in build-san/)
	@$(MAKE) --no-print-directory SAN=1 test-unit

# The unit tests under valgrind (memcheck, definite leaks are errors).
valgrind: $(UNIT_TESTS) ## the unit tests under valgrind memcheck
	@TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" \
		tests/run-tests.sh valgrind $(UNIT_TESTS)

bench: $(BENCH_STEPS) ## every benchmark (BENCH_STEPS; not tests; root for the BPF ones)

fuzz: $(FUZZ_TARGETS) ## every fuzz campaign (FUZZ_TIME=seconds overrides each length)

vmlinux: ## regenerate bpf/vmlinux.h from the running kernel (explicit only)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h

clean: ## remove build/ and build-san/
	rm -rf build build-san $(CLEAN_FILES)

help: ## this list
	@echo 'edr $(EDR_VERSION): make [V=1] [SAN=1] [BUILD=DIR] TARGET...'
	@awk -F':[^#]*## ' '/^[A-Za-z0-9_.-]+:[^=]*## / { printf "  %-20s %s\n", $$1, $$2 }' \
		$(filter Makefile %.mk,$(MAKEFILE_LIST))
	@echo '  fuzz-NAME            one fuzz campaign; fuzz-NAME-smoke: its fixed run in `make test`'
	@echo '                       NAME: $(patsubst fuzz-%,%,$(FUZZ_TARGETS))'

-include $(shell find $(BUILD) -type f -name '*.d' 2>/dev/null)
