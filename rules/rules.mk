# SPDX-License-Identifier: GPL-2.0-only
# rules/: the Sigma rule library (pure user space). Filled in by the rules work.
