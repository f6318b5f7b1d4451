# SPDX-License-Identifier: GPL-2.0-only
.PHONY: vmtest
vmtest:
	@echo "vmtest: not built yet"
