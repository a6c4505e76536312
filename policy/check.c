// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checks that need the whole policy once every name is resolved: two
 * segments on one VLAN, subnets that overlap, and rules that can never
 * match because an earlier rule already matches every device they would
 * (first match wins, so such a rule is a mistake the admin must see), and
 * walled-garden names another one already covers. And one warning, legal
 * but probably a mistake: a rule that lets MAC authentication into a
 * segment other than registration.
 */
#include "policy.h"
#include "policy_internal.h"

#include <limits.h>
#include <string.h>

static void check_segments(const struct pol_policy *pol, struct pol_errors *errs)
{
	size_t i, j;

	for (i = 0; i < pol->nsegments; i++) {
		const struct pol_segment *b = &pol->segments[i];

		for (j = 0; j < i; j++) {
			const struct pol_segment *a = &pol->segments[j];
			char na[64], nb[64];

			if (a->vlan && a->vlan == b->vlan)
				pol_err_add(errs, pol->file, b->line, b->col,
					    "segments '%s' and '%s' (line %d) share VLAN %d",
					    b->name, a->name, a->line, b->vlan);
			if (a->subnet.family && b->subnet.family &&
			    pol_net_overlap(&a->subnet, &b->subnet)) {
				pol_net_format(&a->subnet, na, sizeof(na));
				pol_net_format(&b->subnet, nb, sizeof(nb));
				pol_err_add(errs, pol->file, b->line, b->col,
					    "the subnet of '%s' (%s) overlaps that of '%s' (%s, "
					    "line %d)",
					    b->name, nb, a->name, na, a->line);
			}
			if (a->subnet6.family && b->subnet6.family &&
			    pol_net_overlap(&a->subnet6, &b->subnet6)) {
				pol_net_format(&a->subnet6, na, sizeof(na));
				pol_net_format(&b->subnet6, nb, sizeof(nb));
				pol_err_add(errs, pol->file, b->line, b->col,
					    "the subnet6 of '%s' (%s) overlaps that of '%s' (%s, "
					    "line %d)",
					    b->name, nb, a->name, na, a->line);
			}
		}
	}
}

/* A condition of a covers that of b: every value b accepts, a accepts. */
static int mask_covers(unsigned a, unsigned b)
{
	return a == 0 || (b != 0 && (b & ~a) == 0);
}

static int list_covers(char **a, size_t na, char **b, size_t nb)
{
	size_t i, j;

	if (na == 0)
		return 1;
	if (nb == 0)
		return 0;
	for (i = 0; i < nb; i++) {
		for (j = 0; j < na && strcmp(a[j], b[i]); j++)
			;
		if (j == na)
			return 0;
	}
	return 1;
}

static int range_covers(int amin, int amax, int bmin, int bmax)
{
	long alo = amin < 0 ? 0 : amin, ahi = amax < 0 ? LONG_MAX : amax;
	long blo = bmin < 0 ? 0 : bmin, bhi = bmax < 0 ? LONG_MAX : bmax;

	return alo <= blo && bhi <= ahi;
}

static int rule_covers(const struct pol_rule *a, const struct pol_rule *b)
{
	return mask_covers(a->roles, b->roles) && mask_covers(a->kinds, b->kinds) &&
	       mask_covers(a->states, b->states) && mask_covers(a->methods, b->methods) &&
	       list_covers(a->schools, a->nschools, b->schools, b->nschools) &&
	       list_covers(a->groups, a->ngroups, b->groups, b->ngroups) &&
	       (a->schedule < 0 || a->schedule == b->schedule) &&
	       range_covers(a->age_min, a->age_max, b->age_min, b->age_max) &&
	       (a->expires_within < 0 ||
		(b->expires_within >= 0 && b->expires_within <= a->expires_within)) &&
	       (!a->unlock || b->unlock);
}

static void check_rules(const struct pol_policy *pol, struct pol_errors *errs)
{
	size_t i, j;

	for (i = 0; i < pol->nrules; i++) {
		const struct pol_rule *b = &pol->rules[i];

		for (j = 0; j < i; j++) {
			const struct pol_rule *a = &pol->rules[j];

			if (rule_covers(a, b)) {
				pol_err_add(errs, pol->file, b->line, b->col,
					    "rule '%s' can never match: rule '%s' (line %d) comes "
					    "first and matches every device it would",
					    b->name, a->name, a->line);
				break;
			}
		}
	}
}

/* Whether name is domain or a name under it ("a.b.c" is under "b.c"). */
static int under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	return n >= d && !strcmp(name + n - d, domain) && (n == d || name[n - d - 1] == '.');
}

/* A name of the walled garden covers itself and every name under it (as
 * dnsmasq matches them): a name listed twice, or under another listed
 * name, is a mistake the admin should see, as an unreachable rule is. */
static void check_walled_garden(const struct pol_policy *pol, struct pol_errors *errs)
{
	size_t i, j;

	for (i = 0; i < pol->nwalled_garden; i++) {
		const struct pol_host *b = &pol->walled_garden[i];

		for (j = 0; j < pol->nwalled_garden; j++) {
			const struct pol_host *a = &pol->walled_garden[j];

			if (j == i || !under(b->name, a->name))
				continue;
			if (!strcmp(a->name, b->name) && j < i) {
				pol_err_add(errs, pol->file, b->line, b->col,
					    "%s is in the walled garden twice (also line %d)",
					    b->name, a->line);
				break;
			}
			if (strcmp(a->name, b->name)) {
				pol_err_add(errs, pol->file, b->line, b->col,
					    "%s is already in the walled garden: %s (line %d) "
					    "covers every name under it",
					    b->name, a->name, a->line);
				break;
			}
		}
	}
}

int pol_rule_allows_mab(const struct pol_rule *r)
{
	return r->methods >> POL_METHOD_MAC & 1;
}

/* Whether a segment is where a device that connects by MAC belongs: the
 * registration segment (the walled garden) or the mab-segment. */
static int mab_home(const struct pol_policy *pol, int segment)
{
	return segment == pol->mab_segment || !strcmp(pol->segments[segment].name, "registration");
}

/*
 * A MAC address is whatever the device says it is: a rule that sends
 * devices authenticated by their MAC into a segment other than
 * registration lets anyone who copies a MAC in there too. A rule naming
 * method: mac does so for every device it matches (certificate holders
 * included: it opts them out of mab-segment); one naming state: unknown
 * does so for devices the registry does not know, which only MAC
 * authentication brings. Legal (printers, consoles), so a warning.
 */
static void warn_mab(struct pol_policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nrules; i++) {
		const struct pol_rule *r = &pol->rules[i];
		const char *seg;

		if (r->action != POL_ACTION_SEGMENT || r->segment < 0 || mab_home(pol, r->segment))
			continue;
		seg = pol->segments[r->segment].name;
		if (pol_rule_allows_mab(r))
			pol_err_add(&pol->warnings, pol->file, r->line, r->col,
				    "warning: rule '%s' admits method: mac to segment '%s', not "
				    "registration: a MAC is easily copied, and a device that holds "
				    "a certificate lands there by MAC too",
				    r->name, seg);
		else if (r->states >> BYOD_DEVICE_UNKNOWN & 1)
			pol_err_add(&pol->warnings, pol->file, r->line, r->col,
				    "warning: rule '%s' admits unknown devices (by MAC) to segment "
				    "'%s', not registration: a MAC is easily copied",
				    r->name, seg);
	}
}

void pol_check(struct pol_policy *pol, struct pol_errors *errs)
{
	check_segments(pol, errs);
	check_rules(pol, errs);
	check_walled_garden(pol, errs);
	if (!errs->n) /* every name resolved */
		warn_mab(pol);
}
