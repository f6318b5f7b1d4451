# SPDX-License-Identifier: GPL-2.0-only
LOADER_OBJS += $(BUILD)/loader/probe.o $(BUILD)/loader/loader.o

# Everything that includes the skeleton waits for it.
$(LOADER_OBJS): $(BPF_SKEL)
