// SPDX-License-Identifier: GPL-2.0-only
/* edrctl bundle keygen|create|verify|list: offline content bundle tools. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "rules/bundle.h"
#include "rules/schema.h"
#include "sensor/content/content.h"
#include "sensor/ctl/ctl_proto.h"
#include "sensor/ctl/edrctl.h"

int edrctl_cmd_bundle(int argc, char **argv);

#define BUNDLE_USAGE                                                                  \
	"usage: edrctl bundle keygen [-o PREFIX]\n"                                   \
	"       edrctl bundle create DIR -o FILE --key SECRET --version N "           \
	"[--min-sensor X.Y.Z]\n"                                                      \
	"       edrctl bundle verify FILE --pubkey KEY [--pubkey KEY...]\n"           \
	"       edrctl bundle list FILE [--pubkey KEY...] [--json]\n"

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int do_keygen(int argc, char **argv)
{
	struct edr_bundle_err err = { "" };
	const char *prefix = "edr-content";
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			prefix = argv[++i];
		else
			return edrctl_usage_error("bundle keygen: unexpected '%s'\n%s", argv[i],
						  BUNDLE_USAGE);
	}
	if (edr_bundle_keygen(prefix, &err)) {
		fprintf(stderr, "edrctl: bundle keygen: %s\n", err.msg);
		return 1;
	}
	printf("wrote %s.key (secret, mode 0600) and %s.pub (public)\n", prefix, prefix);
	return 0;
}

static int do_create(int argc, char **argv)
{
	struct edr_bundle_wopts o = { .min_sensor = EDR_CONTENT_SENSOR_VERSION };
	struct edr_bundle_err err = { "" };
	const char *dir = NULL, *out = NULL, *key = NULL, *version = NULL;
	uint8_t sk[64];
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--version") && i + 1 < argc)
			version = argv[++i];
		else if (!strcmp(argv[i], "--min-sensor") && i + 1 < argc) {
			if (edr_version_parse(argv[++i], &o.min_sensor))
				return edrctl_usage_error("bundle create: --min-sensor wants X.Y.Z, "
							  "not '%s'", argv[i]);
		} else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return edrctl_usage_error("bundle create: unexpected '%s'\n%s", argv[i],
						  BUNDLE_USAGE);
	}
	if (!dir || !out || !key || !version)
		return edrctl_usage_error("bundle create: DIR, -o, --key and --version are "
					  "required\n%s", BUNDLE_USAGE);
	if (parse_u64(version, &o.version) || o.version == 0)
		return edrctl_usage_error("bundle create: --version wants a positive integer, "
					  "not '%s'", version);
	if (edr_bundle_secret__load(key, sk, &err)) {
		fprintf(stderr, "edrctl: bundle create: %s\n", err.msg);
		return 1;
	}
	rc = edr_bundle__write_dir(dir, &o, sk, out, &err);
	sodium_memzero(sk, sizeof(sk));
	if (rc) {
		fprintf(stderr, "edrctl: bundle create: %s\n", err.msg);
		return 1;
	}
	printf("wrote %s (content version %" PRIu64 ")\n", out, o.version);
	return 0;
}

static int load_keys(int argc, char **argv, struct edr_bundle_key *keys, size_t *nkeys,
		     const char **file, int *json)
{
	struct edr_bundle_err err = { "" };
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pubkey") && i + 1 < argc) {
			if (*nkeys >= 16)
				return edrctl_usage_error("at most 16 --pubkey");
			if (edr_bundle_key__load(argv[++i], &keys[*nkeys], &err)) {
				fprintf(stderr, "edrctl: %s\n", err.msg);
				return 1;
			}
			(*nkeys)++;
		} else if (json && !strcmp(argv[i], "--json")) {
			*json = 1;
		} else if (argv[i][0] != '-' && !*file) {
			*file = argv[i];
		} else {
			return edrctl_usage_error("bundle %s: unexpected '%s'\n%s", argv[0], argv[i],
						  BUNDLE_USAGE);
		}
	}
	if (!*file)
		return edrctl_usage_error("bundle %s: FILE is required\n%s", argv[0], BUNDLE_USAGE);
	return 0;
}

static void print_bundle(const char *path, const struct edr_bundle *b, int json)
{
	char hex[17], ver[32], when[64];
	time_t t = (time_t)b->created;
	struct tm tm;
	size_t i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	edr_version_fmt(b->min_sensor, ver, sizeof(ver));
	edr_bundle_keyid_hex(b->key_id, hex);
	if (json) {
		printf("{\"path\":");
		edr_ctl_json_string(stdout, path);
		printf(",\"version\":%" PRIu64 ",\"created\":\"%s\",\"min_sensor\":\"%s\","
		       "\"schema\":%u,\"key_id\":\"%s\",\"verified\":%s,\"files\":[",
		       b->version, when, ver, b->schema, hex, b->verified ? "true" : "false");
		for (i = 0; i < b->nfiles; i++) {
			printf("%s{\"name\":", i ? "," : "");
			edr_ctl_json_string(stdout, b->files[i].name);
			printf(",\"size\":%zu}", b->files[i].size);
		}
		printf("]}\n");
		return;
	}
	printf("bundle      %s\nversion     %" PRIu64 "\ncreated     %s\nmin-sensor  %s\n"
	       "schema      %u\nkey         %s%s\nfiles       %zu\n",
	       path, b->version, when, ver, b->schema, hex,
	       b->verified ? " (signature verified)" : " (signature NOT verified)", b->nfiles);
	for (i = 0; i < b->nfiles; i++) {
		char h[65];

		sodium_bin2hex(h, sizeof(h), b->files[i].sha256, 32);
		printf("  %10zu  %.16s  %s\n", b->files[i].size, h, b->files[i].name);
	}
}

static int do_verify_or_list(int argc, char **argv, int list)
{
	struct edr_bundle_key keys[16];
	struct edr_bundle_err err = { "" };
	struct edr_bundle *b;
	const char *file = NULL;
	size_t nkeys = 0;
	int json = 0, rc;

	rc = load_keys(argc, argv, keys, &nkeys, &file, list ? &json : NULL);
	if (rc)
		return rc;
	if (!list && nkeys == 0)
		return edrctl_usage_error("bundle verify: --pubkey KEY is required");
	b = edr_bundle__open(file, keys, nkeys, nkeys ? 0 : EDR_BUNDLE_NO_VERIFY, &err);
	if (!b) {
		fprintf(stderr, "edrctl: %s: %s\n", file, err.msg);
		return 1;
	}
	if (list)
		print_bundle(file, b, json);
	else
		printf("%s: good signature (key %s), content version %" PRIu64 ", %zu files\n",
		       file, edr_bundle_keyid_hex(b->key_id, (char[17]){ 0 }), b->version,
		       b->nfiles);
	edr_bundle__free(b);
	return 0;
}

int edrctl_cmd_bundle(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		fputs(BUNDLE_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "keygen"))
		return do_keygen(argc - 1, argv + 1);
	if (!strcmp(argv[1], "create"))
		return do_create(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return do_verify_or_list(argc - 1, argv + 1, 0);
	if (!strcmp(argv[1], "list"))
		return do_verify_or_list(argc - 1, argv + 1, 1);
	return edrctl_usage_error("bundle: unknown sub-verb '%s'\n%s", argv[1], BUNDLE_USAGE);
}
