# SPDX-License-Identifier: GPL-2.0-only
# vmtest: the BPF tests (and a smoke check of the VM stage) on the kernels in
# vmtest/kernels, each booted in QEMU with the host root shared read-only.
#   make vmtest                      every kernel in the manifest
#   make vmtest VMTEST_KERNELS=6.1   only these (comma separated)
#   make vmtest-selftest             the runner's own tests (tests/vmtest/),
#                                    run by `make test` as a TEST_STEP
#   make vmtest-service              `make install` into a staging tree, then
#                                    in a guest with systemd as init: start
#                                    edr-sensor.service, see an event, stop it,
#                                    nothing left attached (vmtest/service-test.sh)
# See vmtest/README.md.

# qemu-system-x86: the emulator; busybox-static + cpio: the initramfs;
# binutils: objcopy reads module dependencies from .modinfo; xz-utils, zstd:
# compressed modules; util-linux: flock, setsid.
DEPS_PKGS += qemu-system-x86 busybox-static cpio binutils xz-utils zstd util-linux
# virtme-ng (vng) from Debian 13 through a private apt state, and udev, which
# its guest init needs (vmtest/install-vng.sh); VMTEST_VNG=0 leaves it out
# and vmtest boots QEMU directly.
VMTEST_VNG ?= 1
ifneq ($(VMTEST_VNG),0)
DEPS_SCRIPTS += vmtest/install-vng.sh
endif

VMTEST_KERNELS ?=
VMTEST_ARGS    ?=

.PHONY: vmtest vmtest-selftest vmtest-service
vmtest: $(BPF_TESTS) $(BINS) ## the BPF tests on other kernels in QEMU (VMTEST_KERNELS=6.1,...)
	@$(if $(filter 0,$(VMTEST_VNG)),EDR_VMTEST_VNG=0) EDR_VMTEST_KERNELS='$(VMTEST_KERNELS)' vmtest/vmtest.sh $(VMTEST_ARGS) -- $(BPF_TESTS)

vmtest-selftest: ## the vmtest runner's own tests
	@tests/vmtest/test-runner.sh; rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ]

TEST_STEPS += vmtest-selftest

TEST_STEPS += vmtest-service
VMTEST_SERVICE_KERNELS ?= 6.1
VMTEST_SERVICE_STAGE := $(abspath $(BUILD)/vmtest/service-root)
vmtest-service: $(BINS) ## the installed service under systemd in a QEMU guest
	@rm -rf $(VMTEST_SERVICE_STAGE)
	@$(MAKE) --no-print-directory install DESTDIR=$(VMTEST_SERVICE_STAGE) PREFIX=/usr/local > /dev/null
	@EDR_VMTEST_KERNELS='$(VMTEST_SERVICE_KERNELS)' vmtest/vmtest.sh --systemd --timeout 400 \
		--budget 1500 --command "vmtest/service-test.sh $(VMTEST_SERVICE_STAGE)"
