# SPDX-License-Identifier: GPL-2.0-only
# BPF: one compilation unit (bpf/edr.bpf.c), one skeleton (build/edr.skel.h).
BPF_OBJ  := $(BUILD)/bpf/edr.bpf.o
BPF_SKEL := $(BUILD)/edr.skel.h

$(BPF_OBJ): bpf/edr.bpf.c bpf/vmlinux.h
	$(call msg,BPF,$@)
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_SKEL): $(BPF_OBJ)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name edr_bpf > $@

# Every bpf/*.bpf.h compiles on its own: it includes what it uses.
.PHONY: check-bpf-headers
check-bpf-headers:
	$(call msg,CHECK,bpf/*.bpf.h)
	$(Q)for h in $(notdir $(wildcard bpf/*.bpf.h)); do \
		echo "#include \"$$h\"" | $(CLANG) $(filter-out -MMD -MP,$(BPF_CFLAGS)) -fsyntax-only -x c - \
			|| { echo "bpf/$$h is not self-contained" >&2; exit 1; }; \
	done
