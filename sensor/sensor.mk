# SPDX-License-Identifier: GPL-2.0-only
# sensor/: the edr-sensor daemon and the edrctl CLI.
# SENSOR_OBJS: daemon pieces that unit tests may link too (no main()).
SENSOR_OBJS += $(BUILD)/sensor/decode.o $(BUILD)/sensor/evtypes.o $(BUILD)/sensor/json.o \
	       $(BUILD)/sensor/proctable.o $(BUILD)/sensor/ecs.o \
	       $(BUILD)/sensor/output/output.o $(BUILD)/sensor/sigma_map.o

# EDRCTL_OBJS: one file per group of verbs; each registers in edrctl.c's table.
EDRCTL_OBJS += $(BUILD)/sensor/ctl/edrctl.o

BINS += $(BUILD)/edr-sensor $(BUILD)/edrctl

$(BUILD)/sensor/main.o: $(BPF_SKEL)

# The link rules are in the top Makefile, after every fragment has added
# its objects to SENSOR_OBJS and EDRCTL_OBJS.
include sensor/ctl/ctl.mk
include sensor/content/content.mk
include sensor/install.mk
include sensor/enrich/enrich.mk
