# SPDX-License-Identifier: GPL-2.0-only
# The loader: probing, the feature registry (features.c) over one table per
# event family (features/*.c), and open -> configure -> load -> attach.
LOADER_FEATURE_SRCS := loader/features.c $(wildcard loader/features/*.c)
LOADER_OBJS += $(BUILD)/loader/probe.o $(BUILD)/loader/loader.o $(BUILD)/loader/enforce.o \
	       $(BUILD)/loader/isolate.o \
	       $(patsubst %.c,$(BUILD)/%.o,$(LOADER_FEATURE_SRCS))

# Everything that includes the skeleton waits for it.
$(LOADER_OBJS): $(BPF_SKEL)
