// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiled policy, and pol_eval over it. Walking the rules costs about a
 * hundred instructions per rule (the school compared as a string, every group
 * name measured and compared), microseconds at a département's 200 rules, on
 * every RADIUS request. Compiled once at load, a decision is instead:
 *
 *   - the schools and groups that rules name interned to small integers in
 *     open-addressed tables, so the device's school and each of its groups
 *     is hashed and looked up once per decision (or never, when the caller
 *     interned the groups once with pol_groups_intern);
 *   - for every value of every condition (each role, state, kind, method,
 *     interned school and group, and "none of those") the set of rules that
 *     value satisfies, as a bitset over the rules in their order;
 *   - the AND of the device's sets: its lowest bit is the first rule whose
 *     conditions hold, which decides, unless that rule also has a time
 *     condition (schedule, certificate age or expiry, unlock), which is then
 *     checked as the linear walk does (pol_rule_time_match, same code), and
 *     on failure the next bit is tried.
 *
 * So the decision and its valid_until are those of pol_eval_linear (eval.c),
 * the reference, which tests/unit/test_policy_compiled.c compares it with on
 * a million random cases. Immutable once built; any number of threads read it.
 */
#include "policy.h"
#include "policy_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The values a mask condition (role, state, kind, method) can be tested
 * against: 0..31, as mask_match reads them, and one slot for any other. */
#define MASK_SLOTS 33

struct name_slot {
	const char *s; /* a rule's string (pol->rules own it); NULL: empty slot */
	uint32_t len;
	uint32_t id;
};

/* Names interned to 0..n-1; a power-of-two table at most half full. */
struct names {
	struct name_slot *slot;
	uint32_t mask;
	uint32_t n;
};

struct pol_compiled {
	size_t nwords;     /* 64-bit words per rule set */
	uint64_t *mem;     /* every rule set below, in one block */
	uint64_t *role, *state, *kind, *method; /* [MASK_SLOTS][nwords] */
	uint64_t *school;  /* [schools.n + 1][nwords]; the last: a school no rule names */
	uint64_t *group;   /* [groups.n][nwords]: the rules naming that group */
	uint64_t *any_group; /* [nwords]: the rules without a group condition */
	uint64_t *untimed; /* [nwords]: the rules without a time condition */
	struct names schools, groups;
};

/* FNV-1a: names are short (a UAI, a class) and hashed once per decision. */
static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* The id of s[0..len), or -1 when no rule names it. Inlined: it runs for
 * the school and each group at every decision. */
static inline __attribute__((always_inline)) int64_t names_find(const struct names *t, const char *s, size_t len, uint64_t h)
{
	uint32_t i;

	if (!t->n)
		return -1;
	for (i = (uint32_t)h & t->mask;; i = (i + 1) & t->mask) {
		const struct name_slot *e = &t->slot[i];

		if (!e->s)
			return -1;
		if (e->len == len && !memcmp(e->s, s, len))
			return e->id;
	}
}

/* Interns s (which must outlive the table); returns its id. */
static uint32_t names_add(struct names *t, const char *s)
{
	size_t len = strlen(s);
	uint32_t i;

	for (i = (uint32_t)hash(s, len) & t->mask;; i = (i + 1) & t->mask) {
		struct name_slot *e = &t->slot[i];

		if (!e->s) {
			e->s = s;
			e->len = (uint32_t)len;
			e->id = t->n++;
			return e->id;
		}
		if (e->len == len && !memcmp(e->s, s, len))
			return e->id;
	}
}

static int names_init(struct names *t, size_t most)
{
	size_t cap = 8;

	while (cap < 2 * most)
		cap *= 2;
	t->slot = calloc(cap, sizeof(*t->slot));
	t->mask = (uint32_t)(cap - 1);
	t->n = 0;
	return t->slot ? 0 : -ENOMEM;
}

static void set_bit(uint64_t *set, size_t i)
{
	set[i / 64] |= 1ull << (i % 64);
}

void pol_compiled_free(struct pol_compiled *c)
{
	if (!c)
		return;
	free(c->schools.slot);
	free(c->groups.slot);
	free(c->mem);
	free(c);
}

/* The rows of one mask condition: value v satisfies a rule whose mask is 0
 * or holds bit v; the last slot (any other value) only the former. */
static void mask_rows(uint64_t *rows, size_t nwords, size_t rule, unsigned mask)
{
	int v;

	for (v = 0; v < MASK_SLOTS; v++)
		if (!mask || (v < 32 && (mask >> v & 1)))
			set_bit(rows + (size_t)v * nwords, rule);
}

int pol_compile(struct pol_policy *pol)
{
	struct pol_compiled *c;
	size_t i, j, nschools = 0, ngroups = 0, nw, rows;
	int rc = -ENOMEM;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (i = 0; i < pol->nrules; i++) {
		nschools += pol->rules[i].nschools;
		ngroups += pol->rules[i].ngroups;
	}
	if (names_init(&c->schools, nschools) || names_init(&c->groups, ngroups))
		goto out;
	for (i = 0; i < pol->nrules; i++) {
		for (j = 0; j < pol->rules[i].nschools; j++)
			names_add(&c->schools, pol->rules[i].schools[j]);
		for (j = 0; j < pol->rules[i].ngroups; j++)
			names_add(&c->groups, pol->rules[i].groups[j]);
	}

	nw = c->nwords = (pol->nrules + 63) / 64;
	rows = 4 * MASK_SLOTS + (c->schools.n + 1) + c->groups.n + 2;
	c->mem = calloc(rows * (nw ? nw : 1), sizeof(*c->mem));
	if (!c->mem)
		goto out;
	c->role = c->mem;
	c->state = c->role + MASK_SLOTS * nw;
	c->kind = c->state + MASK_SLOTS * nw;
	c->method = c->kind + MASK_SLOTS * nw;
	c->school = c->method + MASK_SLOTS * nw;
	c->group = c->school + (c->schools.n + 1) * nw;
	c->any_group = c->group + c->groups.n * nw;
	c->untimed = c->any_group + nw;

	for (i = 0; i < pol->nrules; i++) {
		const struct pol_rule *r = &pol->rules[i];
		size_t s;

		mask_rows(c->role, nw, i, r->roles);
		mask_rows(c->state, nw, i, r->states);
		mask_rows(c->kind, nw, i, r->kinds);
		mask_rows(c->method, nw, i, r->methods);
		if (!r->nschools) {
			for (s = 0; s <= c->schools.n; s++)
				set_bit(c->school + s * nw, i);
		}
		for (j = 0; j < r->nschools; j++) {
			size_t len = strlen(r->schools[j]);

			s = (size_t)names_find(&c->schools, r->schools[j], len,
					       hash(r->schools[j], len));
			set_bit(c->school + s * nw, i);
		}
		if (!r->ngroups)
			set_bit(c->any_group, i);
		for (j = 0; j < r->ngroups; j++) {
			size_t len = strlen(r->groups[j]);

			s = (size_t)names_find(&c->groups, r->groups[j], len,
					       hash(r->groups[j], len));
			set_bit(c->group + s * nw, i);
		}
		if (!pol_rule_timed(r))
			set_bit(c->untimed, i);
	}
	pol->compiled = c;
	c = NULL;
	rc = 0;
out:
	pol_compiled_free(c);
	return rc;
}

/*
 * Calls found(ctx, id) for each of the first POL_MAX_GROUPS names of groups
 * (split on spaces, as eval.c's split_groups does) that a rule names; each
 * name is hashed as it is scanned. Returns how many were found.
 */
static size_t groups_scan(const struct names *t, const char *s, uint32_t *ids, size_t max)
{
	size_t found = 0;
	int n = 0;

	if (!s || !t->n)
		return 0;
	while (*s && n < POL_MAX_GROUPS) {
		uint64_t h = 0xcbf29ce484222325ull;
		const char *e = s;
		int64_t id;

		while (*e && *e != ' ') {
			h = (h ^ (unsigned char)*e) * 0x100000001b3ull;
			e++;
		}
		if (e > s) {
			n++;
			id = names_find(t, s, (size_t)(e - s), h);
			if (id >= 0) {
				if (found < max)
					ids[found] = (uint32_t)id;
				found++;
			}
		}
		for (s = e; *s == ' '; s++)
			;
	}
	return found;
}

size_t pol_groups_intern(const struct pol_policy *pol, const char *groups, uint32_t *ids,
			 size_t max)
{
	if (!pol || !pol->compiled)
		return 0;
	return groups_scan(&pol->compiled->groups, groups, ids, max);
}

static size_t mask_slot(int v)
{
	return v >= 0 && v < 32 ? (size_t)v : 32;
}

void pol_eval(const struct pol_policy *pol, const struct pol_facts *f, time_t now,
	      struct pol_decision *out)
{
	const struct pol_compiled *c = pol->compiled;
	const uint64_t *role, *state, *kind, *method, *school;
	struct pol_sched_memo memo;
	uint32_t local_ids[POL_MAX_GROUPS];
	const uint32_t *ids = local_ids;
	time_t until = 0, change;
	size_t nids, w, k, nw;
	int64_t sid = -1;
	int rule = -1;

	if (!c) {
		pol_eval_linear(pol, f, now, out);
		return;
	}
	nw = c->nwords;
	role = c->role + mask_slot(f->role) * nw;
	state = c->state + mask_slot(f->state) * nw;
	kind = c->kind + mask_slot(f->kind) * nw;
	method = c->method + mask_slot(f->method) * nw;
	if (c->schools.n && f->school) {
		/* hashed as it is measured: one pass over the UAI */
		uint64_t h = 0xcbf29ce484222325ull;
		const char *e;

		for (e = f->school; *e; e++)
			h = (h ^ (unsigned char)*e) * 0x100000001b3ull;
		sid = names_find(&c->schools, f->school, (size_t)(e - f->school), h);
	}
	school = c->school + (sid >= 0 ? (size_t)sid : c->schools.n) * nw;
	if (f->groups_serial && f->groups_serial == pol->serial) {
		ids = f->group_ids;
		nids = f->ngroup_ids;
	} else {
		/* at most POL_MAX_GROUPS names are read, so all fit */
		nids = groups_scan(&c->groups, f->groups, local_ids, POL_MAX_GROUPS);
	}

	memo.done = memo.inside = 0;
	for (w = 0; w < nw && rule < 0; w++) {
		uint64_t g = c->any_group[w], cand;

		for (k = 0; k < nids; k++)
			if (ids[k] < c->groups.n) /* ids a caller kept: never read out of bounds */
				g |= c->group[(size_t)ids[k] * nw + w];
		cand = role[w] & state[w] & kind[w] & method[w] & school[w] & g;
		/* the rules before the first untimed candidate that have a time
		 * condition are checked in order; that one decides if none does */
		while (cand) {
			int b = __builtin_ctzll(cand);
			size_t i = w * 64 + (size_t)b;
			int m;

			if (c->untimed[w] >> b & 1) {
				rule = (int)i;
				break;
			}
			m = pol_rule_time_match(pol, &pol->rules[i], f, now, NULL, 0, &change, &memo);
			if (change && (!until || change < until))
				until = change;
			if (m) {
				rule = (int)i;
				break;
			}
			cand &= cand - 1;
		}
	}

	memset(out, 0, sizeof(*out));
	if (rule >= 0) {
		const struct pol_rule *r = &pol->rules[rule];

		out->action = r->action;
		out->segment = r->action == POL_ACTION_SEGMENT ? r->segment : -1;
		out->rule = rule;
		out->rule_name = r->name;
		out->rule_line = r->line;
	} else {
		out->action = pol->default_action;
		out->segment = pol->default_action == POL_ACTION_SEGMENT ? pol->default_segment
									  : -1;
		out->rule = -1;
		out->rule_name = "default";
		out->rule_line = pol->default_line;
	}
	if (out->segment >= 0) {
		out->segment_name = pol->segments[out->segment].name;
		out->vlan = pol->segments[out->segment].vlan;
	}
	out->valid_until = until;
}
