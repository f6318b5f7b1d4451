// SPDX-License-Identifier: GPL-2.0-only
/*
 * The feature registry: every family's features, concatenated in the order
 * of sensor/family/families.def. Feature numbers are indices into it; names are what
 * users and the configuration see.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/feature_def.h"

struct family {
	const struct edr_feature_def *defs;
	const size_t *n;
};

static const struct family families[] = {
#define EDR_FAMILY(fam) { edr_##fam##_features, &edr_##fam##_features_n },
#include "sensor/family/families.def"
#undef EDR_FAMILY
};

static const struct edr_feature_def *registry[EDR_MAX_FEATURES];
static int n_registry;
/* "lsm,fentry,kprobe,tracepoint": each feature's path names in order of preference. */
static char path_lists[EDR_MAX_FEATURES][EDR_MAX_PATHS * 16];
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

static void registry_init(void)
{
	size_t fam, i;

	for (fam = 0; fam < sizeof(families) / sizeof(families[0]); fam++)
		for (i = 0; i < *families[fam].n; i++) {
			const struct edr_feature_def *fd = &families[fam].defs[i];
			size_t o = 0;

			if (n_registry == EDR_MAX_FEATURES) {
				/* A build-time constant outgrown: nothing can work. */
				fprintf(stderr, "loader: more than EDR_MAX_FEATURES (%d) features\n",
					EDR_MAX_FEATURES);
				abort();
			}
			for (int p = 0; p < edr_feature_npaths(fd); p++)
				o += (size_t)snprintf(path_lists[n_registry] + o, sizeof(path_lists[0]) - o,
						      "%s%s", p ? "," : "", fd->paths[p].name);
			registry[n_registry++] = fd;
		}
}

int edr_feature_count(void)
{
	pthread_once(&registry_once, registry_init);
	return n_registry;
}

const struct edr_feature_def *edr_feature_def(int f)
{
	return f >= 0 && f < edr_feature_count() ? registry[f] : NULL;
}

int edr_feature_npaths(const struct edr_feature_def *fd)
{
	int n = 0;

	while (n < EDR_MAX_PATHS && fd->paths[n].name)
		n++;
	return n;
}

const char *edr_feature_name(int f)
{
	const struct edr_feature_def *fd = edr_feature_def(f);

	return fd ? fd->name : "?";
}

const char *edr_feature_paths(int f)
{
	return edr_feature_def(f) ? path_lists[f] : "";
}

int edr_feature_by_name(const char *name)
{
	int f, n = edr_feature_count();

	for (f = 0; f < n; f++)
		if (!strcmp(registry[f]->name, name))
			return f;
	return -1;
}
