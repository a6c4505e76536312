// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reading a policy file: libyaml's document API gives every node its line
 * and column; this file walks the document into a struct pol_policy,
 * resolving names (segments, services, schedules) as it goes, and records
 * one error per problem instead of stopping at the first, so an admin fixes
 * a file in one pass. The checks that need the whole policy (duplicate
 * VLANs, overlapping subnets, unreachable rules) are in check.c.
 */
#include "policy.h"
#include "policy_internal.h"
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "byod_util.h"
#include "byod_vec.h"

#define MAX_ERRORS 100

void pol_errors_free(struct pol_errors *errs)
{
	if (!errs)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}

void pol_err_add(struct pol_errors *errs, const char *file, int line, int col, const char *fmt,
		 ...)
{
	struct byod_err *e;
	va_list ap;

	if (errs->n >= MAX_ERRORS)
		return;
	e = BYOD_ARRAY_PUSH(errs->v, errs->n, errs->cap);
	if (!e)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file);
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

struct pctx {
	const char *file;
	yaml_document_t *doc;
	struct pol_errors *errs;
	struct pol_policy *pol;
	int oom;
};

static void err_at(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_at(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pol_err_add(c->errs, c->file, n ? (int)n->start_mark.line + 1 : 1,
		    n ? (int)n->start_mark.column + 1 : 1, "%s", msg);
}

static yaml_node_t *node(struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a single value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int want(struct pctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *what)
{
	static const char *const names[] = { "", "a single value", "a list", "a mapping" };

	if (n->type == type)
		return 0;
	err_at(c, n, "%s must be %s, not %s", what, names[type], node_kind(n));
	return -1;
}

static char *dup(struct pctx *c, const char *s)
{
	char *d = strdup(s);

	if (!d)
		c->oom = 1;
	return d;
}

/* Makes room for item n (zeroed) in the array *p; -1 when out of memory,
 * leaving *p as it was. */
static int grow(struct pctx *c, void *p, size_t n, size_t size)
{
	void **arr = p;
	void *q = realloc(*arr, (n + 1) * size);

	if (!q) {
		c->oom = 1;
		return -1;
	}
	memset((char *)q + n * size, 0, size);
	*arr = q;
	return 0;
}

/* Calls fn for every key/value of a mapping; reports keys that are not plain
 * names or that appear twice, and keys not in allowed (NULL: any). */
typedef void (*pair_fn)(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
			void *arg);

static void each_pair(struct pctx *c, yaml_node_t *map, const char *what,
		      const char *const *allowed, pair_fn fn, void *arg)
{
	yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = scalar(k);
		int dupl = 0;

		if (!k || !v)
			continue;
		if (!key) {
			err_at(c, k, "a key in %s must be a plain name", what);
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			const char *other = scalar(node(c, q->key));

			if (other && !strcmp(other, key))
				dupl = 1;
		}
		if (dupl) {
			err_at(c, k, "'%s' appears twice in %s", key, what);
			continue;
		}
		if (allowed) {
			const char *const *a;

			for (a = allowed; *a && strcmp(*a, key); a++)
				;
			if (!*a) {
				char list[256] = "";

				for (a = allowed; *a; a++) {
					size_t used = strlen(list);

					snprintf(list + used, sizeof(list) - used, "%s%s",
						 a == allowed ? "" : ", ", *a);
				}
				err_at(c, k, "unknown key '%s' in %s (known: %s)", key, what, list);
				continue;
			}
		}
		fn(c, key, k, v, arg);
	}
}

/* Calls fn for a single value or for every item of a list of values. */
typedef void (*item_fn)(struct pctx *c, const char *value, yaml_node_t *n, void *arg);

static void each_item(struct pctx *c, yaml_node_t *v, const char *what, item_fn fn, void *arg)
{
	yaml_node_item_t *i;

	if (v->type == YAML_SCALAR_NODE) {
		fn(c, scalar(v), v, arg);
		return;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		err_at(c, v, "%s must be a value or a list of values, not %s", what, node_kind(v));
		return;
	}
	for (i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
		yaml_node_t *n = node(c, *i);

		if (!n)
			continue;
		if (n->type != YAML_SCALAR_NODE) {
			err_at(c, n, "an item of %s must be a single value, not %s", what,
			       node_kind(n));
			continue;
		}
		fn(c, scalar(n), n, arg);
	}
}

static int parse_int(struct pctx *c, yaml_node_t *v, const char *what, long min, long max,
		     int *out)
{
	const char *s = scalar(v);
	char *end;
	long n;

	if (!s) {
		err_at(c, v, "%s must be a number, not %s", what, node_kind(v));
		return -1;
	}
	n = strtol(s, &end, 10);
	if (!s[0] || *end) {
		err_at(c, v, "%s must be a whole number, not '%s'", what, s);
		return -1;
	}
	if (n < min || n > max) {
		err_at(c, v, "%s must be between %ld and %ld, not %ld", what, min, max, n);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int parse_bool(struct pctx *c, yaml_node_t *v, const char *what, int *out)
{
	const char *s = scalar(v);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
		*out = 1;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
		*out = 0;
		return 0;
	}
	err_at(c, v, "%s must be true or false", what);
	return -1;
}

static int valid_name(const char *s)
{
	size_t i;

	if (!s[0] || strlen(s) > 63 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

static int find_service(const struct pol_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->nservices; i++)
		if (!strcmp(pol->services[i].name, name))
			return (int)i;
	return -1;
}

static int find_schedule(const struct pol_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->nschedules; i++)
		if (!strcmp(pol->schedules[i].name, name))
			return (int)i;
	return -1;
}

int pol_segment_find(const struct pol_policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->nsegments; i++)
		if (!strcmp(pol->segments[i].name, name))
			return (int)i;
	return -1;
}

/* ---- services ---- */

static void service_to(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_service *s = arg;
	char why[256];

	if (!strcmp(value, "gateway")) {
		s->to_gateway = 1;
		return;
	}
	if (grow(c, &s->to, s->nto, sizeof(*s->to)))
		return;
	if (pol_net_parse(value, &s->to[s->nto], why, sizeof(why)))
		err_at(c, n, "%s", why);
	else
		s->nto++;
}

static void service_port(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_service *s = arg;
	char why[256];

	if (grow(c, &s->ports, s->nports, sizeof(*s->ports)))
		return;
	if (pol_port_parse(value, &s->ports[s->nports], why, sizeof(why)))
		err_at(c, n, "%s", why);
	else
		s->nports++;
}

static void service_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
			void *arg)
{
	struct pol_service *s = arg;

	if (!strcmp(key, "to"))
		each_item(c, v, "to", service_to, s);
	else if (!strcmp(key, "ports"))
		each_item(c, v, "ports", service_port, s);
}

static void service_entry(struct pctx *c, const char *name, yaml_node_t *k, yaml_node_t *v,
			  void *arg)
{
	static const char *const keys[] = { "to", "ports", "description", NULL };
	struct pol_policy *pol = c->pol;
	struct pol_service *s;

	if (!valid_name(name)) {
		err_at(c, k, "'%s' is not a service name (a letter, then letters, digits, - or _)",
		       name);
		return;
	}
	if (want(c, v, YAML_MAPPING_NODE, "a service"))
		return;
	if (grow(c, &pol->services, pol->nservices, sizeof(*s)))
		return;
	s = &pol->services[pol->nservices++];
	s->name = dup(c, name);
	s->line = (int)k->start_mark.line + 1;
	each_pair(c, v, "a service", keys, service_key, s);
	if (!s->nto && !s->to_gateway)
		err_at(c, k, "service '%s' has no 'to' (addresses or networks it reaches)", name);
	if (!s->nports)
		err_at(c, k, "service '%s' has no 'ports' (such as tcp/443)", name);
}

/* dns and dhcp are the gateway's own: a policy uses them without defining them. */
static void add_builtin(struct pctx *c, const char *name, const char *const *ports)
{
	struct pol_policy *pol = c->pol;
	struct pol_service *s;
	char why[128];

	if (find_service(pol, name) >= 0)
		return;
	if (grow(c, &pol->services, pol->nservices, sizeof(*s)))
		return;
	s = &pol->services[pol->nservices++];
	s->name = dup(c, name);
	s->builtin = 1;
	s->to_gateway = 1;
	for (; *ports; ports++) {
		if (!grow(c, &s->ports, s->nports, sizeof(*s->ports)) && !pol_port_parse(*ports, &s->ports[s->nports], why, sizeof(why)))
			s->nports++;
	}
}

/* ---- schedules ---- */

static const char *const day_names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int day_index(const char *s)
{
	int i;

	for (i = 0; i < 7; i++)
		if (!strcmp(day_names[i], s))
			return i;
	return -1;
}

static void schedule_day(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_schedule *s = arg;
	char a[8], b[8];
	int i, j;

	/* "mon-fri" is a range */
	if (sscanf(value, "%3[a-z]-%3[a-z]", a, b) == 2 && strlen(value) == 7) {
		i = day_index(a);
		j = day_index(b);
		if (i >= 0 && j >= i) {
			for (; i <= j; i++)
				s->days |= (uint8_t)(1u << i);
			return;
		}
	} else if ((i = day_index(value)) >= 0) {
		s->days |= (uint8_t)(1u << i);
		return;
	}
	err_at(c, n, "'%s' is not a day: write mon, tue, wed, thu, fri, sat, sun or a range "
		     "such as mon-fri",
	       value);
}

static int parse_hhmm(struct pctx *c, yaml_node_t *v, const char *what, int *out)
{
	const char *s = scalar(v);
	int h, m;
	char tail;

	if (s && strlen(s) == 5 && sscanf(s, "%2d:%2d%c", &h, &m, &tail) == 2 && h >= 0 &&
	    h <= 24 && m >= 0 && m < 60 && (h < 24 || m == 0) && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[3])) {
		*out = h * 60 + m;
		return 0;
	}
	err_at(c, v, "%s must be a time such as \"07:30\" (quoted), not %s%s%s", what,
	       s ? "'" : "", s ? s : node_kind(v), s ? "'" : "");
	return -1;
}

struct sched_build {
	struct pol_schedule *s;
	yaml_node_t *from, *to, *days, *tz;
};

static void schedule_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
			 void *arg)
{
	struct sched_build *b = arg;

	if (!strcmp(key, "days"))
		b->days = v;
	else if (!strcmp(key, "from"))
		b->from = v;
	else if (!strcmp(key, "to"))
		b->to = v;
	else if (!strcmp(key, "timezone"))
		b->tz = v;
}

static void schedule_entry(struct pctx *c, const char *name, yaml_node_t *k, yaml_node_t *v,
			   void *arg)
{
	static const char *const keys[] = { "days", "from", "to", "timezone", "description",
					     NULL };
	struct pol_policy *pol = c->pol;
	struct sched_build b = { 0 };
	struct byod_err tzerr;
	const char *zone = "Europe/Paris";

	if (!valid_name(name)) {
		err_at(c, k, "'%s' is not a schedule name (a letter, then letters, digits, - or _)",
		       name);
		return;
	}
	if (want(c, v, YAML_MAPPING_NODE, "a schedule"))
		return;
	if (grow(c, &pol->schedules, pol->nschedules, sizeof(*b.s)))
		return;
	b.s = &pol->schedules[pol->nschedules++];
	b.s->name = dup(c, name);
	b.s->line = (int)k->start_mark.line + 1;
	each_pair(c, v, "a schedule", keys, schedule_key, &b);
	if (b.days)
		each_item(c, b.days, "days", schedule_day, b.s);
	else
		b.s->days = 0x7f;
	if (!b.from || !b.to)
		err_at(c, k, "schedule '%s' needs 'from' and 'to' (such as \"07:30\" and \"18:00\")",
		       name);
	else if (!parse_hhmm(c, b.from, "from", &b.s->from) &&
		 !parse_hhmm(c, b.to, "to", &b.s->to) && b.s->from == b.s->to)
		err_at(c, b.to, "schedule '%s' starts and ends at the same time", name);
	if (b.tz) {
		zone = scalar(b.tz);
		if (!zone) {
			err_at(c, b.tz, "timezone must be a name such as Europe/Paris");
			return;
		}
	}
	if (pol_tz_load(zone, &b.s->tz, &tzerr))
		err_at(c, b.tz ? b.tz : k, "%s", tzerr.msg);
}

/* ---- segments ---- */

struct seg_build {
	struct pol_segment *s;
	yaml_node_t *vlan, *subnet, *subnet6;
};

static void segment_allow(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_segment *s = arg;
	int i = find_service(c->pol, value);
	size_t j;

	if (i < 0) {
		err_at(c, n, "unknown service '%s' (define it under services:)", value);
		return;
	}
	for (j = 0; j < s->nallow; j++) {
		if (s->allow[j] == i) {
			err_at(c, n, "service '%s' is allowed twice", value);
			return;
		}
	}
	if (!grow(c, &s->allow, s->nallow, sizeof(*s->allow)))
		s->allow[s->nallow++] = i;
}

static void segment_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
			void *arg)
{
	struct seg_build *b = arg;

	if (!strcmp(key, "vlan"))
		b->vlan = v;
	else if (!strcmp(key, "subnet"))
		b->subnet = v;
	else if (!strcmp(key, "subnet6"))
		b->subnet6 = v;
	else if (!strcmp(key, "allow"))
		each_item(c, v, "allow", segment_allow, b->s);
	else if (!strcmp(key, "isolate-clients"))
		parse_bool(c, v, "isolate-clients", &b->s->isolate_clients);
}

static void parse_subnet(struct pctx *c, yaml_node_t *v, int family, struct pol_net *out)
{
	const char *s = scalar(v);
	char why[256];

	if (!s) {
		err_at(c, v, "a subnet must be a network such as 10.20.0.0/16");
		return;
	}
	if (pol_net_parse(s, out, why, sizeof(why))) {
		err_at(c, v, "%s", why);
		out->family = 0;
		return;
	}
	if (out->family != family) {
		err_at(c, v, "'%s' is not an %s network", s, family == AF_INET ? "IPv4" : "IPv6");
		out->family = 0;
		return;
	}
	if ((family == AF_INET && out->prefix > 30) || (family == AF_INET6 && out->prefix > 64)) {
		err_at(c, v, "'%s' is too small for a segment (at most /%d)", s,
		       family == AF_INET ? 30 : 64);
		out->family = 0;
	}
}

static void segment_entry(struct pctx *c, const char *name, yaml_node_t *k, yaml_node_t *v,
			  void *arg)
{
	static const char *const keys[] = { "vlan",	       "subnet",      "subnet6", "allow",
					     "isolate-clients", "description", NULL };
	struct pol_policy *pol = c->pol;
	struct seg_build b = { 0 };

	if (!valid_name(name)) {
		err_at(c, k, "'%s' is not a segment name (a letter, then letters, digits, - or _)",
		       name);
		return;
	}
	if (want(c, v, YAML_MAPPING_NODE, "a segment"))
		return;
	if (grow(c, &pol->segments, pol->nsegments, sizeof(*b.s)))
		return;
	b.s = &pol->segments[pol->nsegments++];
	b.s->name = dup(c, name);
	b.s->line = (int)k->start_mark.line + 1;
	b.s->col = (int)k->start_mark.column + 1;
	each_pair(c, v, "a segment", keys, segment_key, &b);
	if (!b.vlan)
		err_at(c, k, "segment '%s' has no vlan (1 to 4094)", name);
	else
		parse_int(c, b.vlan, "vlan", 1, 4094, &b.s->vlan);
	if (!b.subnet)
		err_at(c, k, "segment '%s' has no subnet (such as 10.20.0.0/16)", name);
	else
		parse_subnet(c, b.subnet, AF_INET, &b.s->subnet);
	if (b.subnet6)
		parse_subnet(c, b.subnet6, AF_INET6, &b.s->subnet6);
}

/* ---- rules ---- */

struct rule_build {
	struct pol_rule *r;
	unsigned *mask;
	int (*parse)(const char *);
	const char *what, *known;
	yaml_node_t *name, *match, *segment, *action;
};

static void mask_item(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct rule_build *b = arg;
	int i = b->parse(value);

	if (i < 0)
		err_at(c, n, "unknown %s '%s' (%s)", b->what, value, b->known);
	else
		*b->mask |= 1u << i;
}

static void school_item(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_rule *r = arg;

	if (byod_uai_check(value, NULL)) {
		err_at(c, n, "'%s' is not a UAI (7 digits and a letter, such as 0750654D)", value);
		return;
	}
	if (!grow(c, &r->schools, r->nschools, sizeof(*r->schools)))
		r->schools[r->nschools++] = dup(c, value);
}

static void group_item(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_rule *r = arg;

	if (!value[0] || strpbrk(value, " \t,;|")) {
		err_at(c, n, "'%s' is not a group name (no spaces or separators)", value);
		return;
	}
	if (!grow(c, &r->groups, r->ngroups, sizeof(*r->groups)))
		r->groups[r->ngroups++] = dup(c, value);
}

static void range_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
		      void *arg)
{
	struct pol_rule *r = arg;

	if (!strcmp(key, "min"))
		parse_int(c, v, "cert-age-days min", 0, 36500, &r->age_min);
	else if (!strcmp(key, "max"))
		parse_int(c, v, "cert-age-days max", 0, 36500, &r->age_max);
}

static void match_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
		      void *arg)
{
	static const char *const range_keys[] = { "min", "max", NULL };
	struct rule_build *b = arg;
	struct pol_rule *r = b->r;

	if (!strcmp(key, "role")) {
		b->mask = &r->roles;
		b->parse = byod_role_parse;
		b->what = "role";
		b->known = "student, teacher, staff, guest";
		each_item(c, v, key, mask_item, b);
	} else if (!strcmp(key, "kind")) {
		b->mask = &r->kinds;
		b->parse = byod_kind_parse;
		b->what = "device kind";
		b->known = "phone, tablet, laptop, other";
		each_item(c, v, key, mask_item, b);
	} else if (!strcmp(key, "state")) {
		b->mask = &r->states;
		b->parse = byod_device_state_parse;
		b->what = "device state";
		b->known = "active, suspended, revoked, retired, unknown";
		each_item(c, v, key, mask_item, b);
	} else if (!strcmp(key, "method")) {
		b->mask = &r->methods;
		b->parse = pol_method_parse;
		b->what = "method";
		b->known = "mac, certificate";
		each_item(c, v, key, mask_item, b);
	} else if (!strcmp(key, "school")) {
		each_item(c, v, key, school_item, r);
	} else if (!strcmp(key, "group")) {
		each_item(c, v, key, group_item, r);
	} else if (!strcmp(key, "schedule")) {
		const char *s = scalar(v);

		if (!s)
			err_at(c, v, "schedule must be the name of one schedule");
		else if ((r->schedule = find_schedule(c->pol, s)) < 0)
			err_at(c, v, "unknown schedule '%s' (define it under schedules:)", s);
	} else if (!strcmp(key, "cert-age-days")) {
		if (!want(c, v, YAML_MAPPING_NODE, "cert-age-days"))
			each_pair(c, v, "cert-age-days", range_keys, range_key, r);
		if (r->age_min >= 0 && r->age_max >= 0 && r->age_max < r->age_min)
			err_at(c, v, "cert-age-days: max is smaller than min");
		if (r->age_min < 0 && r->age_max < 0)
			err_at(c, v, "cert-age-days needs min, max or both");
	} else if (!strcmp(key, "expires-within-days")) {
		parse_int(c, v, "expires-within-days", 0, 36500, &r->expires_within);
	} else if (!strcmp(key, "unlock")) {
		const char *s = scalar(v);

		if (!s)
			err_at(c, v, "unlock must be the single value teacher, not %s",
			       node_kind(v));
		else if (strcmp(s, "teacher"))
			err_at(c, v, "unknown unlock '%s' (the only one is teacher: a teacher "
				     "opened one of the owner's groups)",
			       s);
		else
			r->unlock = 1;
	}
}

static void rule_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v,
		     void *arg)
{
	struct rule_build *b = arg;

	if (!strcmp(key, "name"))
		b->name = v;
	else if (!strcmp(key, "match"))
		b->match = v;
	else if (!strcmp(key, "segment"))
		b->segment = v;
	else if (!strcmp(key, "action"))
		b->action = v;
}

static void parse_rule(struct pctx *c, yaml_node_t *n, size_t index)
{
	static const char *const keys[] = { "name", "match", "segment", "action", "description",
					    NULL };
	static const char *const match_keys[] = { "role",
						  "school",
						  "group",
						  "kind",
						  "state",
						  "method",
						  "schedule",
						  "cert-age-days",
						  "expires-within-days",
						  "unlock",
						  NULL };
	struct pol_policy *pol = c->pol;
	struct rule_build b = { 0 };
	struct pol_rule *r;
	char fallback[32];
	const char *name;
	size_t i;

	if (want(c, n, YAML_MAPPING_NODE, "a rule"))
		return;
	if (grow(c, &pol->rules, pol->nrules, sizeof(*r)))
		return;
	r = &pol->rules[pol->nrules++];
	r->line = (int)n->start_mark.line + 1;
	r->col = (int)n->start_mark.column + 1;
	r->schedule = -1;
	r->age_min = r->age_max = r->expires_within = -1;
	b.r = r;
	each_pair(c, n, "a rule", keys, rule_key, &b);

	name = b.name ? scalar(b.name) : NULL;
	if (!b.name) {
		err_at(c, n, "rule %zu has no name", index + 1);
	} else if (!name || !name[0]) {
		err_at(c, b.name, "a rule's name must be some text");
		name = NULL;
	} else {
		for (i = 0; i + 1 < pol->nrules; i++) {
			if (!strcmp(pol->rules[i].name, name)) {
				err_at(c, b.name, "two rules are named '%s' (the other is on line %d)",
				       name, pol->rules[i].line);
				break;
			}
		}
	}
	snprintf(fallback, sizeof(fallback), "rule %zu", index + 1);
	r->name = dup(c, name ? name : fallback);

	if (b.match && !want(c, b.match, YAML_MAPPING_NODE, "match"))
		each_pair(c, b.match, "match", match_keys, match_key, &b);

	if (b.segment && b.action) {
		err_at(c, b.action, "rule '%s' has both a segment and an action: keep one", r->name);
	} else if (b.action) {
		const char *a = scalar(b.action);

		if (a && !strcmp(a, "reject"))
			r->action = POL_ACTION_REJECT;
		else
			err_at(c, b.action, "unknown action '%s' (the only action is reject; "
					    "to place a device, write segment: NAME)",
			       a ? a : node_kind(b.action));
	} else if (b.segment) {
		const char *s = scalar(b.segment);

		r->action = POL_ACTION_SEGMENT;
		if (!s)
			err_at(c, b.segment, "segment must be the name of one segment");
		else if ((r->segment = pol_segment_find(pol, s)) < 0)
			err_at(c, b.segment, "unknown segment '%s' (define it under segments:)", s);
	} else {
		err_at(c, n, "rule '%s' says neither segment: NAME nor action: reject", r->name);
	}
}

/* ---- the walled garden ---- */

#define MAX_WALLED_GARDEN 512

static void walled_garden_item(struct pctx *c, const char *value, yaml_node_t *n, void *arg)
{
	struct pol_policy *pol = c->pol;
	struct pol_host *h;
	char name[256], why[256];

	(void)arg;
	if (pol_host_parse(value, 1, name, sizeof(name), why, sizeof(why))) {
		err_at(c, n, "%s", why);
		return;
	}
	if (pol->nwalled_garden == MAX_WALLED_GARDEN) {
		err_at(c, n, "the walled garden holds at most %d names", MAX_WALLED_GARDEN);
		return;
	}
	if (grow(c, &pol->walled_garden, pol->nwalled_garden, sizeof(*h)))
		return;
	h = &pol->walled_garden[pol->nwalled_garden];
	h->name = dup(c, name);
	if (!h->name)
		return;
	h->line = (int)n->start_mark.line + 1;
	h->col = (int)n->start_mark.column + 1;
	pol->nwalled_garden++;
}

/* ---- mab-segment ---- */

/* Where a device that holds a certificate lands by MAC (pol_admit): a
 * segment or reject; when not written, the segment named registration
 * (the walled garden), else reject: fail closed. */
static void parse_mab_segment(struct pctx *c, yaml_node_t *v)
{
	struct pol_policy *pol = c->pol;
	const char *s = v ? scalar(v) : "registration";

	pol->mab_action = POL_ACTION_REJECT;
	pol->mab_segment = -1;
	if (v)
		pol->mab_line = (int)v->start_mark.line + 1;
	if (s && !strcmp(s, "reject"))
		return;
	if (!s) {
		err_at(c, v, "mab-segment must be a segment name or reject");
		return;
	}
	pol->mab_segment = pol_segment_find(pol, s);
	if (pol->mab_segment >= 0)
		pol->mab_action = POL_ACTION_SEGMENT;
	else if (v)
		err_at(c, v, "unknown segment '%s' as the mab-segment", s);
}

/* ---- unlock: teacher ---- */

/* The zone explain says an unlock's end in ("until 10:10"): the first
 * schedule's, else Europe/Paris, the schedules' default; none (UTC) when
 * even that cannot be read, which only changes how a time is written. */
static void local_zone(struct pol_policy *pol)
{
	struct byod_err tzerr;
	size_t i;

	for (i = 0; i < pol->nrules && !pol->rules[i].unlock; i++)
		;
	if (i == pol->nrules)
		return;
	if (pol->nschedules && pol->schedules[0].tz)
		pol->local_tz = pol->schedules[0].tz;
	else if (!pol_tz_load("Europe/Paris", &pol->own_tz, &tzerr))
		pol->local_tz = pol->own_tz;
}

/* ---- the document ---- */

struct top {
	yaml_node_t *segments, *services, *schedules, *rules, *deflt, *walled_garden, *mab;
	yaml_node_t *deflt_key;
};

static void top_key(struct pctx *c, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct top *t = arg;

	if (!strcmp(key, "segments"))
		t->segments = v;
	else if (!strcmp(key, "services"))
		t->services = v;
	else if (!strcmp(key, "schedules"))
		t->schedules = v;
	else if (!strcmp(key, "rules"))
		t->rules = v;
	else if (!strcmp(key, "walled-garden"))
		t->walled_garden = v;
	else if (!strcmp(key, "mab-segment"))
		t->mab = v;
	else if (!strcmp(key, "default")) {
		t->deflt = v;
		t->deflt_key = k;
	}
}

static void parse_document(struct pctx *c, yaml_node_t *root)
{
	static const char *const keys[] = { "segments",	     "services", "schedules",
					    "rules",	     "default",	 "mab-segment",
					    "walled-garden", "version",	 NULL };
	static const char *const dns_ports[] = { "udp/53", "tcp/53", NULL };
	static const char *const dhcp_ports[] = { "udp/67-68", NULL };
	struct pol_policy *pol = c->pol;
	struct top t = { 0 };
	yaml_node_item_t *i;

	if (want(c, root, YAML_MAPPING_NODE, "a policy"))
		return;
	each_pair(c, root, "the policy", keys, top_key, &t);

	if (t.services && !want(c, t.services, YAML_MAPPING_NODE, "services"))
		each_pair(c, t.services, "services", NULL, service_entry, NULL);
	add_builtin(c, "dns", dns_ports);
	add_builtin(c, "dhcp", dhcp_ports);
	if (t.schedules && !want(c, t.schedules, YAML_MAPPING_NODE, "schedules"))
		each_pair(c, t.schedules, "schedules", NULL, schedule_entry, NULL);
	if (!t.segments)
		err_at(c, root, "the policy has no segments: section");
	else if (!want(c, t.segments, YAML_MAPPING_NODE, "segments"))
		each_pair(c, t.segments, "segments", NULL, segment_entry, NULL);
	if (t.segments && t.segments->type == YAML_MAPPING_NODE && !pol->nsegments &&
	    !c->errs->n)
		err_at(c, t.segments, "segments: is empty");
	if (t.rules && !want(c, t.rules, YAML_SEQUENCE_NODE, "rules")) {
		for (i = t.rules->data.sequence.items.start; i < t.rules->data.sequence.items.top;
		     i++) {
			yaml_node_t *n = node(c, *i);

			if (n)
				parse_rule(c, n, (size_t)(i - t.rules->data.sequence.items.start));
		}
	}
	if (t.walled_garden && !want(c, t.walled_garden, YAML_SEQUENCE_NODE, "walled-garden"))
		each_item(c, t.walled_garden, "walled-garden", walled_garden_item, NULL);
	if (!t.deflt) {
		err_at(c, root, "the policy has no default: add 'default: <segment>' or "
				"'default: reject' for devices no rule matches");
	} else {
		const char *d = scalar(t.deflt);

		pol->default_line = (int)t.deflt->start_mark.line + 1;
		if (d && !strcmp(d, "reject")) {
			pol->default_action = POL_ACTION_REJECT;
			pol->default_segment = -1;
		} else if (!d) {
			err_at(c, t.deflt, "default must be a segment name or reject");
		} else if ((pol->default_segment = pol_segment_find(pol, d)) < 0) {
			err_at(c, t.deflt, "unknown segment '%s' as the default", d);
		} else {
			pol->default_action = POL_ACTION_SEGMENT;
		}
	}
	parse_mab_segment(c, t.mab);
	local_zone(pol);
}

/* pol_policy.serial: what pre-interned groups name (pol_facts.groups_serial) */
static uint64_t serials;

int pol_load(const char *file, const char *text, size_t len, struct pol_policy **out,
	     struct pol_errors *errs)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct pol_policy *pol;
	struct pctx c;
	yaml_node_t *root;
	int rc = 0;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	pol = calloc(1, sizeof(*pol));
	if (!pol)
		return -ENOMEM;
	pol->file = strdup(file);
	pol->default_segment = -1;
	if (!yaml_parser_initialize(&parser)) {
		pol_free(pol);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		pol_err_add(errs, file, (int)parser.problem_mark.line + 1,
			    (int)parser.problem_mark.column + 1, "%s%s%s",
			    parser.problem ? parser.problem : "malformed YAML",
			    parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		pol_free(pol);
		return -EINVAL;
	}
	memset(&c, 0, sizeof(c));
	c.file = file;
	c.doc = &doc;
	c.errs = errs;
	c.pol = pol;
	root = yaml_document_get_root_node(&doc);
	if (!root)
		pol_err_add(errs, file, 1, 1, "the policy is empty");
	else
		parse_document(&c, root);
	/* the whole-policy checks too, so one pass reports every problem */
	if (root && !c.oom)
		pol_check(pol, errs);
	if (c.oom)
		rc = -ENOMEM;
	else if (errs->n)
		rc = -EINVAL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!rc)
		rc = pol_compile(pol);
	if (rc) {
		pol_free(pol);
		return rc;
	}
	pol->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	*out = pol;
	return 0;
}

int pol_load_file(const char *path, struct pol_policy **out, struct pol_errors *errs)
{
	struct byod_err err;
	char *text;
	size_t len;
	int rc;

	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	rc = byod_file_read(path, &text, &len, &err);
	if (rc) {
		pol_err_add(errs, path, 0, 0, "%s", err.msg);
		return rc;
	}
	rc = pol_load(path, text, len, out, errs);
	free(text);
	return rc;
}

void pol_free(struct pol_policy *pol)
{
	size_t i, j;

	if (!pol)
		return;
	for (i = 0; i < pol->nsegments; i++) {
		free(pol->segments[i].name);
		free(pol->segments[i].allow);
	}
	for (i = 0; i < pol->nservices; i++) {
		free(pol->services[i].name);
		free(pol->services[i].to);
		free(pol->services[i].ports);
	}
	for (i = 0; i < pol->nschedules; i++) {
		free(pol->schedules[i].name);
		pol_tz_free(pol->schedules[i].tz);
	}
	for (i = 0; i < pol->nrules; i++) {
		struct pol_rule *r = &pol->rules[i];

		free(r->name);
		for (j = 0; j < r->nschools; j++)
			free(r->schools[j]);
		for (j = 0; j < r->ngroups; j++)
			free(r->groups[j]);
		free(r->schools);
		free(r->groups);
	}
	free(pol->segments);
	free(pol->services);
	free(pol->schedules);
	free(pol->rules);
	for (i = 0; i < pol->nwalled_garden; i++)
		free(pol->walled_garden[i].name);
	free(pol->walled_garden);
	pol_errors_free(&pol->warnings);
	pol_tz_free(pol->own_tz);
	pol_compiled_free(pol->compiled);
	free(pol->file);
	free(pol);
}
