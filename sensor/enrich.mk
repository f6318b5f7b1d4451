# SPDX-License-Identifier: GPL-2.0-only
# Enrichment of process events (issue 5): SHA-256 cache of executed files,
# container id and runtime from the cgroup path, ancestry chain.
#
# Included at the end of sensor.mk, after its link rules expanded
# SENSOR_OBJS: the extra prerequisite rule below adds our objects to the
# daemon's link ($^ gathers the prerequisites of every rule).
ENRICH_OBJS := $(BUILD)/sensor/hashcache.o $(BUILD)/sensor/container.o
SENSOR_OBJS += $(ENRICH_OBJS)
$(BUILD)/edr-sensor: $(ENRICH_OBJS)

UNIT_TESTS += $(BUILD)/tests/unit/test_hashcache
$(BUILD)/tests/unit/test_hashcache: $(BUILD)/tests/unit/test_hashcache.o $(BUILD)/sensor/hashcache.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

UNIT_TESTS += $(BUILD)/tests/unit/test_container
$(BUILD)/tests/unit/test_container: $(BUILD)/tests/unit/test_container.o $(BUILD)/sensor/container.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka
