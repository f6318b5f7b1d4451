# SPDX-License-Identifier: GPL-2.0-only
# sensor/ctl/: the control socket (protocol, server, client) and the edrctl
# verbs of content bundles. Included from sensor.mk before the fragments
# that link these objects: content.mk and install.mk use $(CTL_SERVER_OBJS)
# in prerequisite lists, which are expanded when read.
CTL_PROTO_OBJS := $(BUILD)/sensor/ctl/ctl_proto.o
CTL_SERVER_OBJS := $(CTL_PROTO_OBJS) $(BUILD)/sensor/ctl/ctl_server.o
CTL_CLIENT_OBJS := $(CTL_PROTO_OBJS) $(BUILD)/sensor/ctl/ctl_client.o

# The daemon's and edrctl's link rules sit in the top Makefile, after every
# fragment; the extra prerequisite rules below keep these objects linked
# should they move back ($^ lists each prerequisite once).
SENSOR_OBJS += $(BUILD)/sensor/ctl/ctl_proto.o $(BUILD)/sensor/ctl/ctl_server.o
EDRCTL_OBJS += $(BUILD)/sensor/ctl/ctl_proto.o $(BUILD)/sensor/ctl/ctl_client.o
EDRCTL_OBJS += $(BUILD)/sensor/ctl/edrctl_bundle.o $(BUILD)/sensor/ctl/edrctl_content.o \
	       $(BUILD)/sensor/ctl/edrctl_response.o
$(BUILD)/edrctl: $(BUILD)/sensor/ctl/ctl_proto.o $(BUILD)/sensor/ctl/ctl_client.o \
		 $(BUILD)/sensor/ctl/edrctl_bundle.o $(BUILD)/rules/bundle.o \
		 $(BUILD)/sensor/ctl/edrctl_content.o $(BUILD)/sensor/ctl/edrctl_response.o
$(BUILD)/edr-sensor: $(BUILD)/sensor/ctl/ctl_proto.o $(BUILD)/sensor/ctl/ctl_server.o

UNIT_TESTS += $(BUILD)/tests/unit/test_ctl

$(BUILD)/tests/unit/test_ctl: $(BUILD)/tests/unit/test_ctl.o $(CTL_SERVER_OBJS) \
		$(BUILD)/sensor/ctl/ctl_client.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

# Fuzzing the protocol decoder (clang + libFuzzer + ASan, own object directory).
CTL_FUZZ_CFLAGS := $(FUZZ_BASE_CFLAGS)

$(BUILD)/fuzz/fuzz_ctl: tests/fuzz/fuzz_ctl.c sensor/ctl/ctl_proto.c sensor/ctl/ctl_proto.h
	$(call msg,FUZZ,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(CTL_FUZZ_CFLAGS) tests/fuzz/fuzz_ctl.c sensor/ctl/ctl_proto.c -o $@

CTL_FUZZ_RUN = mkdir -p $(BUILD)/fuzz/corpus-ctl && \
	$(BUILD)/fuzz/fuzz_ctl -max_len=70000 $(BUILD)/fuzz/corpus-ctl tests/fuzz/corpus/ctl
$(eval $(call fuzz_target,ctl,CTL_FUZZ_RUN,4000000,300))
