# SPDX-License-Identifier: GPL-2.0-only
# Enrichment of process events (issue 5): SHA-256 cache of executed files,
# container id and runtime from the cgroup path, ancestry chain.
#
# Included at the end of sensor.mk. The daemon's link rule now sits in the
# top Makefile after every fragment; the extra prerequisite below keeps the
# objects linked should it move back ($^ lists each prerequisite once).
ENRICH_SRCS := sensor/enrich/idcache.c sensor/enrich/hashcache.c sensor/enrich/container.c \
	       sensor/enrich/ancestry.c
ENRICH_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(ENRICH_SRCS))
SENSOR_OBJS += $(ENRICH_OBJS)
$(BUILD)/edr-sensor: $(ENRICH_OBJS)

UNIT_TESTS += $(BUILD)/tests/unit/test_hashcache
$(BUILD)/tests/unit/test_hashcache: $(BUILD)/tests/unit/test_hashcache.o $(BUILD)/sensor/enrich/hashcache.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

UNIT_TESTS += $(BUILD)/tests/unit/test_idcache
$(BUILD)/tests/unit/test_idcache: $(BUILD)/tests/unit/test_idcache.o $(BUILD)/sensor/enrich/idcache.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

UNIT_TESTS += $(BUILD)/tests/unit/test_container
$(BUILD)/tests/unit/test_container: $(BUILD)/tests/unit/test_container.o $(BUILD)/sensor/enrich/container.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

UNIT_TESTS += $(BUILD)/tests/unit/test_ancestry
$(BUILD)/tests/unit/test_ancestry: $(BUILD)/tests/unit/test_ancestry.o $(BUILD)/sensor/enrich/ancestry.o \
		$(filter-out $(BUILD)/sensor/enrich/ancestry.o,$(EVENT_CORE_OBJS)) $(BUILD)/sensor/enrich/idcache.o \
		$(BUILD)/sensor/enrich/hashcache.o $(BUILD)/sensor/enrich/container.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# libFuzzer target for the cgroup parsers (untrusted /proc and cgroupfs text).
ENRICH_FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS)
$(BUILD)/fuzz/fuzz_container: tests/fuzz/fuzz_container.c sensor/enrich/container.c sensor/enrich/container.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(ENRICH_FUZZ_CFLAGS) tests/fuzz/fuzz_container.c sensor/enrich/container.c -o $@

CONTAINER_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-container && \
	$(BUILD)/fuzz/fuzz_container -max_len=8192 -timeout=10 $(BUILD)/fuzz/corpus-container \
	tests/fuzz/corpus/container

$(eval $(call fuzz_target,container,CONTAINER_FUZZ_RUN,1000000,300))

# The hash cache's threads under ThreadSanitizer (a data race fails the step).
.PHONY: tsan-hashcache
TEST_STEPS += tsan-hashcache
$(BUILD)/tsan/test_hashcache: tests/unit/test_hashcache.c sensor/enrich/hashcache.c sensor/enrich/hashcache.h
	$(call msg,TSAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O1 -fsanitize=thread -I. -Ibpf -D_GNU_SOURCE \
	  tests/unit/test_hashcache.c sensor/enrich/hashcache.c -o $@ \
	  $(shell $(PKG_CONFIG) --cflags --libs libsodium) -lcmocka -lpthread
tsan-hashcache: $(BUILD)/tsan/test_hashcache ## the hash cache's threads under ThreadSanitizer
	$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(BUILD)/tsan/test_hashcache >$(BUILD)/tsan/test_hashcache.log 2>&1 || \
	  { tail -60 $(BUILD)/tsan/test_hashcache.log; exit 1; }

# The name cache's watcher and resolver threads under ThreadSanitizer.
.PHONY: tsan-idcache
TEST_STEPS += tsan-idcache
$(BUILD)/tsan/test_idcache: tests/unit/test_idcache.c sensor/enrich/idcache.c sensor/enrich/idcache.h
	$(call msg,TSAN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -g -O1 -fsanitize=thread -I. -Ibpf -D_GNU_SOURCE \
	  tests/unit/test_idcache.c sensor/enrich/idcache.c -o $@ -lcmocka -lpthread
tsan-idcache: $(BUILD)/tsan/test_idcache
	$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 $(BUILD)/tsan/test_idcache >$(BUILD)/tsan/test_idcache.log 2>&1 || \
	  { tail -60 $(BUILD)/tsan/test_idcache.log; exit 1; }

# libFuzzer target for the passwd/group parser (a differential check against
# a naive second reading of the same bytes).
$(BUILD)/fuzz/fuzz_idcache: tests/fuzz/fuzz_idcache.c sensor/enrich/idcache.c sensor/enrich/idcache.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(ENRICH_FUZZ_CFLAGS) tests/fuzz/fuzz_idcache.c sensor/enrich/idcache.c -o $@ -lpthread

IDCACHE_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-idcache && \
	$(BUILD)/fuzz/fuzz_idcache -max_len=8192 -timeout=10 $(BUILD)/fuzz/corpus-idcache \
	tests/fuzz/corpus/idcache

$(eval $(call fuzz_target,idcache,IDCACHE_FUZZ_RUN,500000,300))
