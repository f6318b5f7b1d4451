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

# A cache's threads under ThreadSanitizer (a data race fails the step):
# $(call tsan_test,NAME,EXTRA-LIBS) builds tests/unit/test_NAME.c with
# sensor/enrich/NAME.c and runs it as step tsan-NAME.
define tsan_test
.PHONY: tsan-$(1)
TEST_STEPS += tsan-$(1)
$$(BUILD)/tsan/test_$(1): tests/unit/test_$(1).c sensor/enrich/$(1).c sensor/enrich/$(1).h
	$$(call msg,TSAN,$$@)
	@mkdir -p $$(@D)
	$$(Q)$$(CC) -std=gnu11 -g -O1 -fsanitize=thread -I. -Ibpf -D_GNU_SOURCE \
	  tests/unit/test_$(1).c sensor/enrich/$(1).c -o $$@ $(2) -lcmocka -lpthread
tsan-$(1): $$(BUILD)/tsan/test_$(1) ## the $(1) threads under ThreadSanitizer
	$$(Q)TSAN_OPTIONS=halt_on_error=1:exitcode=66 $$(BUILD)/tsan/test_$(1) >$$(BUILD)/tsan/test_$(1).log 2>&1 || \
	  { tail -60 $$(BUILD)/tsan/test_$(1).log; exit 1; }
endef
$(eval $(call tsan_test,hashcache,$(shell $(PKG_CONFIG) --cflags --libs libsodium)))
$(eval $(call tsan_test,idcache,))

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
