/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Sigma rule engine: load rules (files, directories or memory), compile
 * them against the event schema (rules/schema.h) into Hyperscan databases,
 * and evaluate events. The rule language is specified in rules/FORMAT.md.
 *
 * A loaded ruleset is immutable and may be shared by threads; each thread
 * evaluates through its own matcher (scratch space).
 *
 * Typical use:
 *
 *	struct edr_rules_err err = { 0 };
 *	struct edr_ruleset *rs = edr_ruleset__load("rules/default", &err);
 *	if (!rs)
 *		log("%s", err.msg);               // "file:line:col: message"
 *	struct edr_matcher *m = edr_matcher__new(rs);   // one per thread
 *
 *	struct edr_field_value f[EDR_NFIELDS(PROCESS_CREATION)] = { 0 };
 *	f[EDR_F_PROCESS_CREATION_IMAGE] = (struct edr_field_value){ .s = path, .len = plen, .set = 1 };
 *	f[EDR_F_PROCESS_CREATION_PROCESS_ID] = (struct edr_field_value){ .n = pid, .set = 1 };
 *	struct edr_rule_event ev = { EDR_CAT_PROCESS_CREATION, EDR_NFIELDS(PROCESS_CREATION), f };
 *	const struct edr_rule *hits[16];
 *	int n = edr_matcher__eval(m, &ev, hits, 16);
 *	for (int i = 0; i < n && i < 16; i++)      // one ECS alert per hit:
 *		... edr_rule__id(hits[i]), edr_rule__title(hits[i]),
 *		    edr_rule__description(hits[i]), edr_rule__severity(hits[i]),
 *		    edr_rule__techniques(hits[i], &nt) ...
 */
#ifndef EDR_RULES_H
#define EDR_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "rules/schema.h"

/* ---- event view ---------------------------------------------------------- */

/*
 * Value of one field. Strings need not be NUL-terminated (len counts the
 * bytes). INT and BOOL use n (s may carry the text too); IP gives the
 * textual address in s. A field with set == 0 is absent.
 */
struct edr_field_value {
	const char *s;
	uint32_t len;
	int64_t n;
	uint8_t set;
};

/*
 * An event of category cat: f[i] is field i of that category (EDR_F_*).
 * Fields at or beyond nfields are treated as unset, whatever the rules say.
 */
struct edr_rule_event {
	int cat;
	uint32_t nfields;
	const struct edr_field_value *f;
};

/* ---- errors -------------------------------------------------------------- */

/*
 * msg holds the FIRST error, one line: "file:line:col: message".
 * nerrors counts every error reported. If on_error is set it is called for
 * every error (each invalid rule with EDR_RULES_KEEP_GOING, each failing
 * sample in selftest), with the location split out and the full line.
 * Zero-initialise before use.
 */
struct edr_rules_err {
	char msg[512];
	unsigned nerrors;
	void (*on_error)(void *ctx, const char *file, unsigned line, unsigned col,
			 const char *line_msg);
	void *ctx;
};

/* ---- loading -------------------------------------------------------------- */

struct edr_ruleset;
struct edr_rule;

/* One rule source in memory: name (for messages) and bytes. */
struct edr_rule_src {
	const char *name;
	const char *data;
	size_t len;
};

enum edr_rules_flags {
	/*
	 * Skip invalid rules instead of failing the whole load (each is
	 * reported through err->on_error). Default: all-or-nothing.
	 */
	EDR_RULES_KEEP_GOING = 1u << 0,
	/* Every rule must carry at least one match and one nomatch sample. */
	EDR_RULES_REQUIRE_SAMPLES = 1u << 1,
};

struct edr_rules_opts {
	unsigned flags; /* enum edr_rules_flags */
};

/*
 * path: a rule file or a directory (searched recursively for *.yml and
 * *.yaml, loaded in sorted path order). Returns NULL and sets errno (EINVAL
 * for an invalid rule, E2BIG for a limit, or the I/O error) with err->msg set.
 */
struct edr_ruleset *edr_ruleset__load(const char *path, struct edr_rules_err *err);
struct edr_ruleset *edr_ruleset__load_mem(const struct edr_rule_src *srcs, size_t n,
					  struct edr_rules_err *err);
/* The same with options (opts may be NULL). */
struct edr_ruleset *edr_ruleset__load_opts(const char *path, const struct edr_rules_opts *opts,
					   struct edr_rules_err *err);
struct edr_ruleset *edr_ruleset__load_mem_opts(const struct edr_rule_src *srcs, size_t n,
					       const struct edr_rules_opts *opts,
					       struct edr_rules_err *err);
void edr_ruleset__free(struct edr_ruleset *rs);

size_t edr_ruleset__count(const struct edr_ruleset *rs);
/* Rule i in load order, NULL if out of range. */
const struct edr_rule *edr_ruleset__rule(const struct edr_ruleset *rs, size_t i);

/*
 * Evaluates every rule's own x-edr-samples; returns 0, or -EINVAL with
 * err->msg naming the first rule and sample that gave the wrong result
 * (every failure goes to err->on_error).
 */
int edr_ruleset__selftest(const struct edr_ruleset *rs, struct edr_rules_err *err);

/* ---- matching -------------------------------------------------------------- */

struct edr_matcher;

/* Per-thread scratch for evaluating events against rs (rs must outlive it). */
struct edr_matcher *edr_matcher__new(const struct edr_ruleset *rs);
void edr_matcher__free(struct edr_matcher *m);

/*
 * Evaluates one event. Stores up to max_out matching rules in out, in load
 * order, and returns the number of matching rules (which may exceed max_out:
 * then only the first max_out are stored), or a negative errno (-EINVAL for
 * a NULL event, -ENOMEM, -EIO if Hyperscan fails). An event of a category
 * no rule uses returns 0.
 */
int edr_matcher__eval(struct edr_matcher *m, const struct edr_rule_event *ev,
		      const struct edr_rule **out, size_t max_out);

/* ---- rule accessors -------------------------------------------------------- */

const char *edr_rule__id(const struct edr_rule *r);          /* "" if the rule has none */
const char *edr_rule__title(const struct edr_rule *r);
const char *edr_rule__description(const struct edr_rule *r); /* "" if none */
/* informational, low, medium, high or critical; "medium" when absent. */
const char *edr_rule__level(const struct edr_rule *r);
/*
 * ECS event.severity for the level, on Elastic's scale: informational 0,
 * low 21, medium 47, high 73, critical 99.
 */
int edr_rule__severity(const struct edr_rule *r);
/* Sigma status ("experimental", ...), "" if absent. */
const char *edr_rule__status(const struct edr_rule *r);
const char *const *edr_rule__tags(const struct edr_rule *r, size_t *n);
/* ATT&CK technique ids from attack.tNNNN[.NNN] tags, upper-cased: "T1059.004". */
const char *const *edr_rule__techniques(const struct edr_rule *r, size_t *n);
const char *edr_rule__file(const struct edr_rule *r);
unsigned edr_rule__line(const struct edr_rule *r);
int edr_rule__category(const struct edr_rule *r); /* enum edr_cat */
/* Position in the ruleset (load order). */
size_t edr_rule__index(const struct edr_rule *r);

/* ---- responses (issue 12) -------------------------------------------------- */

/*
 * What a rule does besides alerting, from its x-edr-response (rules/FORMAT.md).
 * A rule without one only alerts (EDR_ACT_NONE).
 */
enum edr_action {
	EDR_ACT_NONE = 0,
	EDR_ACT_DENY = 1,       /* the operation fails before it takes effect */
	EDR_ACT_KILL = 2,       /* the process (tree: its descendants too) */
	EDR_ACT_QUARANTINE = 3, /* the file the event names is moved away */
	EDR_ACT_ISOLATE = 4,    /* host network isolation */
	_EDR_ACT_MAX,
};

struct edr_response {
	uint8_t action; /* enum edr_action */
	uint8_t tree;   /* kill: descendants too */
};

/* Never NULL: action EDR_ACT_NONE when the rule has no response. */
const struct edr_response *edr_rule__response(const struct edr_rule *r);
/* "none", "deny", "kill", "quarantine", "isolate"; "?" out of range. */
const char *edr_action_name(int action);
/* Whether any predicate of the rule's condition reads field (EDR_F_*). */
int edr_rule__uses_field(const struct edr_rule *r, unsigned field);

/*
 * The kernel form of a rule: what fixed BPF programs can decide from map
 * entries alone. A rule has one only when its whole condition is equivalent
 * to the entries (no other field, no negation, no wildcard), so enforcing
 * the entries never refuses more or less than the rule matches.
 */
enum edr_kform_kind {
	EDR_KFORM_NONE = 0,
	EDR_KFORM_EXEC_PATH,   /* process_creation: Image equals one of strs (absolute paths) */
	EDR_KFORM_EXEC_SHA256, /* process_creation: sha256 / Hashes SHA256= one of strs (64 hex, lower) */
	EDR_KFORM_NET,         /* network_connection: DestinationIp in nets (and DestinationPort in ports) */
	EDR_KFORM_FILE_PATH,   /* file_event: TargetFilename equals one of strs (absolute paths) */
};

struct edr_kform_net {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* bits */
	uint8_t addr[16]; /* network, host bits cleared; IPv4 in addr[0..3] */
};

struct edr_kform {
	int kind;                       /* enum edr_kform_kind */
	const char *const *strs;        /* paths or hashes; valid while the ruleset lives */
	size_t nstrs;
	const struct edr_kform_net *nets;
	size_t nnets;
	const uint16_t *ports;          /* nports == 0: any port */
	size_t nports;
};

/* Fills out (kind EDR_KFORM_NONE when the rule has no kernel form). */
void edr_rule__kform(const struct edr_rule *r, struct edr_kform *out);

#endif /* EDR_RULES_H */
