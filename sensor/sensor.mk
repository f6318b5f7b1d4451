# SPDX-License-Identifier: GPL-2.0-only
# sensor/: the edr-sensor daemon and the edrctl CLI.
# SENSOR_OBJS: daemon pieces that unit tests may link too (no main()).
# The event families (sensor/family/): one descriptor each, and the registry.
# A new family's file is picked up here; its row goes in registry.c.
FAMILY_SRCS := $(sort $(wildcard sensor/family/*.c))
# The event path: decoder, families, process table, ECS and Sigma writers,
# and (EVENT_OBJS, once enrich.mk is read) the enrichment they print.
EVENT_CORE_SRCS := sensor/decode.c sensor/json.c sensor/proctable.c sensor/ecs.c sensor/sigma_map.c \
		   $(FAMILY_SRCS)
EVENT_CORE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(EVENT_CORE_SRCS))
SENSOR_OBJS += $(EVENT_CORE_OBJS) $(BUILD)/sensor/output/output.o
# The run-phase privilege drop (README, Privileges).
SENSOR_OBJS += $(BUILD)/sensor/privdrop.o

# Signals and the stop deadline.
SENSOR_OBJS += $(BUILD)/sensor/shutdown.o

# EDRCTL_OBJS: one file per group of verbs; each registers in edrctl.c's table.
EDRCTL_OBJS += $(BUILD)/sensor/ctl/edrctl.o

BINS += $(BUILD)/edr-sensor $(BUILD)/edrctl

$(BUILD)/sensor/main.o: $(BPF_SKEL)

# The link rules are in the top Makefile, after every fragment has added
# its objects to SENSOR_OBJS and EDRCTL_OBJS.
include sensor/enrich/enrich.mk
EVENT_OBJS := $(EVENT_CORE_OBJS) $(ENRICH_OBJS)
EVENT_SRCS := $(EVENT_CORE_SRCS) $(ENRICH_SRCS)
include sensor/ctl/ctl.mk
include sensor/response/response.mk
include sensor/content/content.mk
include sensor/install.mk
