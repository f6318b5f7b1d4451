# SPDX-License-Identifier: GPL-2.0-only
# sensor/install.mk: running edr-sensor as a service. Configuration, sd_notify,
# journald/syslog sinks, `edrctl status|stats|config`, the systemd unit, the man
# pages, `make install`/`make uninstall`, and their tests.

# The compiled-in default rule pack follows PREFIX (see sensor/config.c).
$(BUILD)/sensor/config.o: CPPFLAGS += -DEDR_PREFIX='"$(PREFIX)"'

SENSOR_OBJS += $(BUILD)/sensor/config.o

UNIT_TESTS += $(BUILD)/tests/unit/test_config

$(BUILD)/tests/unit/test_config: $(BUILD)/tests/unit/test_config.o $(BUILD)/sensor/config.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ -lcmocka $(LDLIBS)
