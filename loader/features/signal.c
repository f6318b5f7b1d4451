// SPDX-License-Identifier: GPL-2.0-only
/*
 * The signal family's features (bpf/signal.bpf.h): attach paths in order of
 * preference, each listing its programs as skeleton members.
 */
#include "loader/feature_def.h"

const struct edr_feature_def edr_signal_features[] = {
	{ "signal", {
		EDR_PATH("tp_btf", EDR_CAP_TP_BTF, NOCAP,
			EDR_PROG(tp_btf__signal_generate)),
		EDR_PATH("raw_tp", EDR_CAP_RAW_TP, NOCAP,
			EDR_PROG(raw_tp__signal_generate)),
	} },
};
const size_t edr_signal_features_n = sizeof(edr_signal_features) / sizeof(edr_signal_features[0]);
