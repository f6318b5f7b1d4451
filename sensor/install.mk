# SPDX-License-Identifier: GPL-2.0-only
# sensor/install.mk: running edr-sensor as a service. Configuration, sd_notify,
# journald/syslog sinks, `edrctl status|stats|config`, the systemd unit, the man
# pages, `make install`/`make uninstall`, and their tests.

# The compiled-in default rule pack follows PREFIX (see sensor/config.c).
$(BUILD)/sensor/config.o: CPPFLAGS += -DEDR_PREFIX='"$(PREFIX)"'

# The key table and parsers (config.c) and one value's parsing and checks
# (config_values.c).
CONFIG_OBJS := $(BUILD)/sensor/config.o $(BUILD)/sensor/config_values.o
SENSOR_OBJS += $(CONFIG_OBJS)

UNIT_TESTS += $(BUILD)/tests/unit/test_config

# config.o takes feature and attach path names from the loader's table.
$(BUILD)/tests/unit/test_config: $(BUILD)/tests/unit/test_config.o $(CONFIG_OBJS) \
		$(LOADER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

SENSOR_OBJS += $(BUILD)/sensor/notify.o
UNIT_TESTS += $(BUILD)/tests/unit/test_notify

$(BUILD)/tests/unit/test_notify: $(BUILD)/tests/unit/test_notify.o $(BUILD)/sensor/notify.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# ---- install / uninstall ----
# Layout (documented in edr-sensor(8)): programs in $(PREFIX)/bin, the unit in
# $(PREFIX)/lib/systemd/system (in systemd's search path for /usr and
# /usr/local alike), the default rule pack read-only in
# $(PREFIX)/share/edr/rules/default (the content manager copies what it
# activates into /var/lib/edr/content), man pages in $(PREFIX)/share/man, and
# the configuration in /etc/edr whatever the prefix, since the unit names it.
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
RULESDIR   := $(DATADIR)/edr/rules/default
EDR_MANPAGES := sensor/man/edr-sensor.8 sensor/man/edrctl.8 sensor/man/edr-sensor.conf.5
EDR_RULEFILES = $(wildcard rules/default/*.yml)

# The unit and the config name installed paths, so both are generated here.
edr_unit_sed = -e 's|/usr/local/bin/edr-sensor|$(BINDIR)/edr-sensor|' \
	       -e 's|/etc/edr/sensor.conf|$(SYSCONFDIR)/edr/sensor.conf|'
edr_conf_sed = -e 's|^\#rules = .*|rules = $(RULESDIR)|'

install: $(BUILD)/edr-sensor $(BUILD)/edrctl ## install programs, unit, rules, man pages, config (DESTDIR, PREFIX)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(RULESDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSCONFDIR)/edr
	$(Q)install -m 0755 $(BUILD)/edr-sensor $(BUILD)/edrctl $(DESTDIR)$(BINDIR)/
	$(Q)sed $(edr_unit_sed) sensor/edr-sensor.service > $(DESTDIR)$(UNITDIR)/edr-sensor.service.tmp
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/edr-sensor.service.tmp
	$(Q)mv -f $(DESTDIR)$(UNITDIR)/edr-sensor.service.tmp $(DESTDIR)$(UNITDIR)/edr-sensor.service
	$(Q)install -m 0644 $(EDR_RULEFILES) $(DESTDIR)$(RULESDIR)/
	$(Q)install -m 0644 sensor/man/edr-sensor.8 sensor/man/edrctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(Q)install -m 0644 sensor/man/edr-sensor.conf.5 $(DESTDIR)$(MANDIR)/man5/
	@# An administrator's configuration is never overwritten.
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf ]; then \
		echo "  KEEP     $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf (exists, not overwritten)"; \
	else \
		sed $(edr_conf_sed) sensor/sensor.conf > $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf.tmp && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf.tmp && \
		mv -f $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf.tmp $(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf; \
	fi
	$(Q)if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; \
		echo "  NEXT     edrctl config check && systemctl enable --now edr-sensor"; fi

# Removes what install put there; a configuration the administrator changed
# stays (and is named). State in /var/lib/edr is left alone.
uninstall: ## remove what install wrote (an edited sensor.conf stays)
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(BINDIR)/edr-sensor $(DESTDIR)$(BINDIR)/edrctl \
		$(DESTDIR)$(UNITDIR)/edr-sensor.service \
		$(DESTDIR)$(MANDIR)/man8/edr-sensor.8 $(DESTDIR)$(MANDIR)/man8/edrctl.8 \
		$(DESTDIR)$(MANDIR)/man5/edr-sensor.conf.5
	$(Q)rm -rf $(DESTDIR)$(RULESDIR)
	$(Q)rmdir $(DESTDIR)$(DATADIR)/edr/rules $(DESTDIR)$(DATADIR)/edr 2>/dev/null || true
	$(Q)conf=$(DESTDIR)$(SYSCONFDIR)/edr/sensor.conf; \
	if [ -e $$conf ]; then \
		if sed $(edr_conf_sed) sensor/sensor.conf | cmp -s - $$conf; then \
			rm -f $$conf; rmdir $(DESTDIR)$(SYSCONFDIR)/edr 2>/dev/null || true; \
		else \
			echo "  KEEP     $$conf (changed locally, not removed)"; \
		fi; \
	fi
	$(Q)if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

# ---- test steps ----
# systemd-analyze (package systemd) for check-unit-file; it works without
# systemd as PID 1, as in CI containers.
DEPS_PKGS += systemd

TEST_STEPS += check-unit-file check-install
.PHONY: check-unit-file check-install

# systemd-analyze verify works offline (PID 1 need not be systemd). The unit
# is checked as install would write it, pointing at the built binary (verify
# insists the ExecStart binary exists) and with the man pages findable.
check-unit-file: $(BUILD)/edr-sensor ## systemd-analyze verify and security of the unit file
	$(call msg,CHECK,sensor/edr-sensor.service)
	@tests/e2e/check_unit_file.sh sensor/edr-sensor.service $(abspath $(BUILD)/edr-sensor) \
		$(BUILD)/check-unit

check-install: $(BUILD)/edr-sensor $(BUILD)/edrctl ## install and uninstall into a staging tree, check the result
	$(call msg,CHECK,install)
	@MAKE="$(MAKE)" tests/e2e/check_install.sh $(BUILD)/check-install $(BUILD)

EDRCTL_OBJS += $(BUILD)/sensor/ctl/render.o
UNIT_TESTS += $(BUILD)/tests/unit/test_render

$(BUILD)/tests/unit/test_render: $(BUILD)/tests/unit/test_render.o $(BUILD)/sensor/ctl/render.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# Daemon and CLI pieces. sensor.mk's link rules were expanded before this file
# is read, so the objects are added as extra prerequisites ($^ gathers them).
SENSOR_OBJS += $(BUILD)/sensor/ctl/ops.o $(BUILD)/sensor/output/output_syslog.o
EDRCTL_OBJS += $(BUILD)/sensor/ctl/edrctl_ops.o $(CONFIG_OBJS)
$(BUILD)/edr-sensor: $(CONFIG_OBJS) $(BUILD)/sensor/notify.o $(BUILD)/sensor/ctl/ops.o \
		     $(BUILD)/sensor/output/output_syslog.o
$(BUILD)/edrctl: $(BUILD)/sensor/ctl/edrctl_ops.o $(CONFIG_OBJS) $(BUILD)/sensor/ctl/render.o \
		 $(LOADER_OBJS)

UNIT_TESTS += $(BUILD)/tests/unit/test_ops
$(BUILD)/tests/unit/test_ops.o: CPPFLAGS += -DEDRCTL_BIN='"$(BUILD)/edrctl"'
# Drives the edrctl binary against an in-process control server.
$(BUILD)/tests/unit/test_ops: $(BUILD)/tests/unit/test_ops.o $(BUILD)/sensor/ctl/ops.o $(EVENT_OBJS) \
		$(CTL_SERVER_OBJS) $(BUILD)/sensor/ctl/ctl_client.o | $(BUILD)/edrctl
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ -lcmocka $(LDLIBS)

UNIT_TESTS += $(BUILD)/tests/unit/test_output_syslog
$(BUILD)/tests/unit/test_output_syslog: $(BUILD)/tests/unit/test_output_syslog.o \
		$(BUILD)/sensor/output/output_syslog.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# The file output on a full disk (RLIMIT_FSIZE stands in for it).
UNIT_TESTS += $(BUILD)/tests/unit/test_output_file
$(BUILD)/tests/unit/test_output_file: $(BUILD)/tests/unit/test_output_file.o \
		$(BUILD)/sensor/output/output.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)

# The sensor started from a configuration file and operated with edrctl
# (root, real kernel): status matches what runs, stats match what was written.
TEST_STEPS += test-service
.PHONY: test-service
test-service: $(BINS) ## e2e: the sensor from a config file, operated with edrctl (root)
	@python3 tests/e2e/test_service.py --build $(BUILD)

# Fuzzing the configuration parser (it also links the loader's feature table).
CONFIG_FUZZ_SRCS := tests/fuzz/fuzz_config.c sensor/config.c sensor/config_values.c $(LOADER_SRCS)
$(BUILD)/fuzz/fuzz_config: $(CONFIG_FUZZ_SRCS) sensor/config.h sensor/config_keys.h loader/loader.h $(BPF_SKEL)
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_BASE_CFLAGS) $(CONFIG_FUZZ_SRCS) -o $@ \
		$(shell $(PKG_CONFIG) --libs libbpf libelf zlib) -lpthread

CONFIG_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-config && \
	$(BUILD)/fuzz/fuzz_config -max_len=8192 -timeout=10 -dict=tests/fuzz/config.dict \
	$(BUILD)/fuzz/corpus-config tests/fuzz/corpus/config

$(eval $(call fuzz_target,config,CONFIG_FUZZ_RUN,20000,600))
