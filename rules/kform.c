// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel form of a rule (rules/edr_rules.h, struct edr_kform): map
 * entries that fixed BPF programs can enforce, derived only when the whole
 * compiled condition is equivalent to them. The checks work on the
 * compiled DAG and the literals the values were written with (c->lits), so
 * anything the shapes below do not name (negation, another field, a
 * wildcard, a modifier, a fieldref, an AND of two values of one field)
 * leaves the rule without a kernel form. rules/FORMAT.md, "Kernel forms".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules/internal.h"
#include "rules/parse.h"

#define SHA256_HEX 64
/* Bounds the recursion over nested ORs/ANDs (the condition's own limit is 32). */
#define KFORM_MAX_DEPTH 64

void edr_kform_free(struct edr_kform *k)
{
	size_t i;

	for (i = 0; i < k->nstrs; i++)
		free((char *)k->strs[i]);
	free((void *)k->strs);
	free((void *)k->nets);
	free((void *)k->ports);
	memset(k, 0, sizeof(*k));
}

void edr_rule__kform(const struct edr_rule *r, struct edr_kform *out)
{
	*out = r->kform;
}

/* The literal behind predicate pi, or NULL (lits are in pred order). */
static const struct plit *lit_of(const struct ctx *c, uint32_t pi)
{
	size_t lo = 0, hi = c->nlits;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->lits[mid].pred == pi)
			return &c->lits[mid];
		if (c->lits[mid].pred < pi)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The predicates of an OR of predicates at ni (ORs flattened): 1, 0 for any
 * other shape, or a negative errno. */
static int or_preds(const struct edr_rule *r, uint32_t ni, struct ilist *out, unsigned depth)
{
	const struct node *n = &r->nodes[ni];
	uint32_t i;
	int ret;

	if (depth > KFORM_MAX_DEPTH)
		return 0;
	if (n->kind == N_PRED)
		return edr_ilist_add(out, (int)n->a) ? -ENOMEM : 1;
	if (n->kind != N_OR)
		return 0;
	for (i = 0; i < n->n; i++) {
		ret = or_preds(r, r->kids[n->a + i], out, depth + 1);
		if (ret <= 0)
			return ret;
	}
	return 1;
}

/* The conjuncts of an AND at ni (ANDs flattened; anything else is one conjunct). */
static int and_parts(const struct edr_rule *r, uint32_t ni, struct ilist *out, unsigned depth)
{
	const struct node *n = &r->nodes[ni];
	uint32_t i;
	int ret;

	if (depth > KFORM_MAX_DEPTH)
		return 0;
	if (n->kind != N_AND)
		return edr_ilist_add(out, (int)ni) ? -ENOMEM : 1;
	for (i = 0; i < n->n; i++) {
		ret = and_parts(r, r->kids[n->a + i], out, depth + 1);
		if (ret <= 0)
			return ret;
	}
	return 1;
}

/*
 * An absolute path as the kernel reports an executable or an opened file:
 * no empty, "." or ".." component, no trailing slash, no NUL. Any other
 * spelling can never equal the event's field, while stat() would still
 * resolve it, so it would not be equivalent.
 */
static bool canonical_path(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len >= PATH_MAX || s[0] != '/' || strlen(s) != len || s[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] != '/')
			continue;
		if (s[i + 1] == '/' || (s[i + 1] == '.' && (s[i + 2] == '/' || !s[i + 2])) ||
		    (s[i + 1] == '.' && s[i + 2] == '.' && (s[i + 3] == '/' || !s[i + 3])))
			return false;
	}
	return true;
}

/* 64 hex digits, lower-cased into out; a cased match needs them lower already. */
static bool sha256_hex(const char *s, size_t len, bool cased, char *out)
{
	size_t i;

	if (len != SHA256_HEX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'F' && !cased)
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return false;
		out[i] = ch;
	}
	out[len] = 0;
	return true;
}

enum leaf_kind { L_NONE, L_PATH, L_SHA, L_IP, L_PORT };

struct leaf {
	int kind;
	char str[PATH_MAX];
	struct edr_kform_net net;
	uint16_t port;
};

/* An IP literal compared as text: equivalent to a host network only when
 * the literal is the text the sensor writes (inet_ntop's). */
static bool ip_literal(const struct plit *l, struct edr_kform_net *net)
{
	char back[INET6_ADDRSTRLEN];
	int af;

	if (strlen(l->s) != l->len || l->len >= sizeof(back))
		return false;
	af = strchr(l->s, ':') ? AF_INET6 : AF_INET;
	memset(net, 0, sizeof(*net));
	if (inet_pton(af, l->s, net->addr) != 1 || !inet_ntop(af, net->addr, back, sizeof(back)))
		return false;
	if (l->cased ? strcmp(back, l->s) : strcasecmp(back, l->s))
		return false;
	net->family = af == AF_INET ? 4 : 6;
	net->prefix = af == AF_INET ? 32 : 128;
	return true;
}

/* What predicate pi is as a piece of a kernel form of category cat. */
static void classify(const struct ctx *c, uint32_t pi, struct leaf *out)
{
	const struct edr_rule *r = c->r;
	const struct pred *p = &r->preds[pi];
	const struct plit *l = p->kind == P_ATOM ? lit_of(c, pi) : NULL;
	int cat = r->cat;

	out->kind = L_NONE;
	if (cat == EDR_CAT_NETWORK_CONNECTION) {
		if (p->kind == P_INT && p->op == OP_EQ &&
		    p->field == EDR_F_NETWORK_CONNECTION_DESTINATION_PORT && p->n >= 0 && p->n <= 65535) {
			out->kind = L_PORT;
			out->port = (uint16_t)p->n;
		} else if (p->kind == P_CIDR && p->field == EDR_F_NETWORK_CONNECTION_DESTINATION_IP) {
			out->kind = L_IP;
			out->net.family = p->family;
			out->net.prefix = p->prefix;
			memcpy(out->net.addr, p->addr, sizeof(out->net.addr));
		} else if (l && l->mode == M_EXACT &&
			   p->field == EDR_F_NETWORK_CONNECTION_DESTINATION_IP && ip_literal(l, &out->net)) {
			out->kind = L_IP;
		}
		return;
	}
	if (!l)
		return;
	if ((cat == EDR_CAT_PROCESS_CREATION && p->field == EDR_F_PROCESS_CREATION_IMAGE) ||
	    (cat == EDR_CAT_FILE_EVENT && p->field == EDR_F_FILE_EVENT_TARGET_FILENAME)) {
		if (l->mode == M_EXACT && canonical_path(l->s, l->len)) {
			out->kind = L_PATH;
			memcpy(out->str, l->s, l->len + 1);
		}
		return;
	}
	if (cat != EDR_CAT_PROCESS_CREATION)
		return;
	if (p->field == EDR_F_PROCESS_CREATION_SHA256 && l->mode == M_EXACT &&
	    sha256_hex(l->s, l->len, l->cased, out->str)) {
		out->kind = L_SHA;
	} else if (p->field == EDR_F_PROCESS_CREATION_HASHES &&
		   (l->mode == M_EXACT || l->mode == M_CONTAINS) && l->len > 7 &&
		   (l->cased ? !strncmp(l->s, "SHA256=", 7) : !strncasecmp(l->s, "SHA256=", 7)) &&
		   sha256_hex(l->s + 7, l->len - 7, l->cased, out->str)) {
		/* the sensor's Hashes is exactly "SHA256=<hex>" (sensor/family/process.c):
		 * containing those 71 bytes is being equal to them */
		out->kind = L_SHA;
	}
}

/* Appends a leaf's value to the form being built. */
static int add_leaf(struct edr_kform *k, const struct leaf *lf)
{
	if (lf->kind == L_PATH || lf->kind == L_SHA) {
		const char **v = realloc((void *)k->strs, (k->nstrs + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->strs = v;
		v[k->nstrs] = strdup(lf->str);
		if (!v[k->nstrs])
			return -ENOMEM;
		k->nstrs++;
	} else if (lf->kind == L_IP) {
		struct edr_kform_net *v = realloc((void *)k->nets, (k->nnets + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->nets = v;
		v[k->nnets++] = lf->net;
	} else {
		uint16_t *v = realloc((void *)k->ports, (k->nports + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->ports = v;
		v[k->nports++] = lf->port;
	}
	return 0;
}

/*
 * One OR group at ni whose predicates are all of one leaf kind (L_PATH and
 * L_SHA may not mix): adds them to k and sets *kind. 1, 0 when the group
 * is not such a list, or a negative errno.
 */
static int or_group(struct ctx *c, uint32_t ni, struct edr_kform *k, int *kind, struct leaf *lf)
{
	struct ilist preds = { 0 };
	size_t i;
	int ret = or_preds(c->r, ni, &preds, 0);

	*kind = L_NONE;
	for (i = 0; ret > 0 && i < preds.n; i++) {
		classify(c, preds.v[i], lf);
		if (lf->kind == L_NONE || (*kind != L_NONE && lf->kind != *kind))
			ret = 0;
		else if ((ret = add_leaf(k, lf)) == 0)
			ret = 1;
		*kind = lf->kind;
	}
	free(preds.v);
	return ret;
}

/* network_connection: an IP group, and at most one port group (and
 * "Initiated: true", which the connect/sendmsg hooks imply). */
static int net_form(struct ctx *c, struct edr_kform *k, struct leaf *lf)
{
	const struct edr_rule *r = c->r;
	struct ilist parts = { 0 };
	int ret = and_parts(r, r->root, &parts, 0), kind, nip = 0, nport = 0;
	size_t i;

	for (i = 0; ret > 0 && i < parts.n; i++) {
		const struct node *n = &r->nodes[parts.v[i]];
		const struct pred *p = n->kind == N_PRED ? &r->preds[n->a] : NULL;

		if (p && p->kind == P_INT && p->op == OP_EQ && p->n == 1 &&
		    p->field == EDR_F_NETWORK_CONNECTION_INITIATED)
			continue;
		ret = or_group(c, parts.v[i], k, &kind, lf);
		if (ret > 0 && ((kind == L_IP && nip++) || (kind == L_PORT && nport++)))
			ret = 0; /* two lists of one field ANDed: an intersection, not a list */
	}
	free(parts.v);
	if (ret > 0 && !nip)
		ret = 0;
	if (ret > 0)
		k->kind = EDR_KFORM_NET;
	return ret;
}

int edr_rules_kform(struct ctx *c)
{
	struct edr_rule *r = c->r;
	struct edr_kform k = { 0 };
	struct leaf *lf;
	int ret = 0, kind = L_NONE;

	r->kform = (struct edr_kform){ .kind = EDR_KFORM_NONE };
	if (r->cat != EDR_CAT_PROCESS_CREATION && r->cat != EDR_CAT_FILE_EVENT &&
	    r->cat != EDR_CAT_NETWORK_CONNECTION)
		return 0;
	lf = malloc(sizeof(*lf));
	if (!lf)
		return -ENOMEM;
	if (r->cat == EDR_CAT_NETWORK_CONNECTION) {
		ret = net_form(c, &k, lf);
	} else {
		ret = or_group(c, r->root, &k, &kind, lf);
		if (ret > 0 && kind == L_PATH)
			k.kind = r->cat == EDR_CAT_PROCESS_CREATION ? EDR_KFORM_EXEC_PATH :
								     EDR_KFORM_FILE_PATH;
		else if (ret > 0 && kind == L_SHA && r->cat == EDR_CAT_PROCESS_CREATION)
			k.kind = EDR_KFORM_EXEC_SHA256;
	}
	free(lf);
	if (ret > 0 && k.kind != EDR_KFORM_NONE) {
		r->kform = k;
		return 0;
	}
	edr_kform_free(&k);
	return ret < 0 ? ret : 0;
}
