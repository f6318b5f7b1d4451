# SPDX-License-Identifier: GPL-2.0-only
# The loader: probing, the feature registry (features.c) over one table per
# event family (features/*.c), and open -> configure -> load -> attach.
LOADER_FEATURE_SRCS := loader/features.c $(wildcard loader/features/*.c)
# LOADER_SRCS: every source of the loader (the fuzz targets compile them too).
LOADER_SRCS := loader/probe.c loader/loader.c loader/enforce.c loader/isolate.c $(LOADER_FEATURE_SRCS)
LOADER_OBJS += $(patsubst %.c,$(BUILD)/%.o,$(LOADER_SRCS))

# Everything that includes the skeleton waits for it.
$(LOADER_OBJS): $(BPF_SKEL)
