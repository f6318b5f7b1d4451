/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Limits of the rule engine, all in one place. Exceeding any of them is a
 * load error naming the limit and where it was hit, never a crash or a
 * silent truncation. FORMAT.md documents the same numbers.
 */
#ifndef EDR_RULES_LIMITS_H
#define EDR_RULES_LIMITS_H

#define EDR_RULES_MAX_FILE_SIZE		(1u << 20)	/* bytes per rule file */
#define EDR_RULES_MAX_FILES		10000		/* files per directory load */
#define EDR_RULES_MAX_RULES		10000		/* rules per set */
#define EDR_RULES_MAX_PATTERNS		200000		/* distinct patterns per set */
#define EDR_RULES_MAX_VALUES_PER_RULE	10000		/* values (patterns, comparisons) per rule */
#define EDR_RULES_MAX_PATTERN_LEN	4096		/* bytes of one value or regex */
#define EDR_RULES_MAX_LIST_LEN		1000		/* items of one YAML list or map */
#define EDR_RULES_MAX_REGEX_COST	1000		/* expanded size of a regex (repeats multiplied) */
#define EDR_RULES_MAX_COND_DEPTH	32		/* nesting of parentheses and not */
#define EDR_RULES_MAX_COND_LEN		4096		/* bytes of a condition */
#define EDR_RULES_MAX_YAML_DEPTH	32		/* nesting of YAML collections */
#define EDR_RULES_MAX_SAMPLES		100		/* x-edr-samples per rule */
#define EDR_RULES_MAX_DOCS		1000		/* YAML documents per file */
#define EDR_RULES_MAX_STR		65536		/* bytes of a metadata string */

#endif /* EDR_RULES_LIMITS_H */
