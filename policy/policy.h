/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The segment policy: who + what + when -> segment. A YAML file that admins
 * edit (policy/README.md describes it) is parsed, checked and compiled into
 * an immutable struct pol_policy; evaluating it is pure (facts about a device
 * and an instant in, a decision out), does no I/O and allocates nothing, so
 * the RADIUS module runs it on every request from many threads at once.
 *
 * Pure library: no network, no database.
 */
#ifndef BYOD_POLICY_H
#define BYOD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "byod_err.h"
#include "byod_types.h"

struct pol_tz;

/* Every problem found in a file, each with file, line and column. */
struct pol_errors {
	struct byod_err *v;
	size_t n, cap;
};
void pol_errors_free(struct pol_errors *errs);

/* What a device is: enum byod_role, byod_kind, byod_device_state (byod_types.h). */
enum pol_method { POL_METHOD_MAC, POL_METHOD_CERTIFICATE, POL_METHOD_N };

int pol_method_parse(const char *s);
const char *pol_method_name(int method);

struct pol_facts {
	int role;               /* enum byod_role, or -1 when unknown */
	const char *school;     /* UAI, or NULL */
	const char *groups;     /* space-separated, or NULL */
	int kind;               /* enum byod_kind, or -1 */
	int state;              /* enum byod_device_state */
	int method;             /* enum pol_method */
	time_t cert_not_before; /* the certificate presented; 0 without one (MAB) */
	time_t cert_not_after;
	/* The device holds a certificate of its own, presented or not: the
	 * latest end among its unrevoked certificates, 0 when it holds none
	 * (an unknown device, one enrolled without). By MAC, such a device
	 * lands only where mab-segment or a rule naming method: mac says. */
	time_t device_cert_until;
	/* what pol_admit refuses whatever the rules say */
	int owner_disabled;     /* the owner's account is disabled */
	int cert_revoked;       /* the certificate presented is revoked */
	/* named in pol_admit's sentences; may be NULL */
	const char *device;     /* the device's id */
	const char *serial;     /* the certificate's serial */
	/* A teacher opened one of the owner's groups until then (the newest
	 * end among the live unlocks of those groups at the owner's school),
	 * 0: none. A rule naming unlock: teacher holds while it is after now,
	 * and a decision made through it lasts until it at most. */
	time_t unlocked_until;
	const char *unlocked_group; /* the group opened, named by explain; may be NULL */
	/* Optional: the owner's groups interned once by pol_groups_intern()
	 * for the policy whose serial is groups_serial, so that pol_eval
	 * neither splits nor looks them up at each decision. Under any other
	 * policy (0: none), and in pol_explain, groups is read instead; keep
	 * both set. */
	uint64_t groups_serial;
	const uint32_t *group_ids;
	size_t ngroup_ids;
};

struct pol_net {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t addr[16];
};

struct pol_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP (no ports) */
	uint16_t lo, hi;
};

struct pol_service {
	char *name;
	int line;
	int builtin;             /* dns, dhcp: defined by the gateway */
	int to_gateway;          /* the segment's own gateway address */
	struct pol_net *to;
	size_t nto;
	struct pol_port *ports;
	size_t nports;
};

struct pol_segment {
	char *name;
	int line, col;
	int vlan;                /* 1..4094 */
	struct pol_net subnet;   /* IPv4 */
	struct pol_net subnet6;  /* IPv6; family 0 when none */
	int *allow;              /* indexes into services */
	size_t nallow;
	int isolate_clients;
};

struct pol_schedule {
	char *name;
	int line;
	uint8_t days;            /* bit 0 Monday .. bit 6 Sunday */
	int from, to;            /* minutes after local midnight; to < from spans midnight */
	struct pol_tz *tz;
};

/* A name of the walled garden (walled-garden:): the registration segment
 * reaches the addresses DNS gives for it and for every name under it. */
struct pol_host {
	char *name;              /* lowercase, without a leading "*." */
	int line, col;
};

enum pol_action { POL_ACTION_SEGMENT, POL_ACTION_REJECT };

struct pol_rule {
	char *name;
	int line, col;
	/* conditions; a zero mask or an empty list means "any" */
	unsigned roles, kinds, states, methods;
	char **schools;
	size_t nschools;
	char **groups;
	size_t ngroups;
	int schedule;            /* index into schedules, or -1 */
	int age_min, age_max;    /* certificate age in days, -1 when unset */
	int expires_within;      /* days to expiry at most, -1 when unset */
	int unlock;              /* unlock: teacher (facts.unlocked_until after now) */
	enum pol_action action;
	int segment;             /* index when action is POL_ACTION_SEGMENT */
};

struct pol_compiled;

struct pol_policy {
	char *file;
	/* unique among the policies loaded by this process (from 1): what
	 * pol_facts.groups_serial names */
	uint64_t serial;
	struct pol_segment *segments;
	size_t nsegments;
	struct pol_service *services;
	size_t nservices;
	struct pol_schedule *schedules;
	size_t nschedules;
	struct pol_rule *rules;
	size_t nrules;
	struct pol_host *walled_garden;
	size_t nwalled_garden;
	enum pol_action default_action;
	int default_segment;
	int default_line;
	/* mab-segment: where a device that holds a certificate lands when it
	 * connects by MAC, unless the rule that matches names method: mac.
	 * When absent: the segment named "registration", else reject. */
	enum pol_action mab_action;
	int mab_segment;         /* index, -1 on reject */
	int mab_line;            /* 0 when not written */
	/* what is legal but probably a mistake; policy check prints them */
	struct pol_errors warnings;
	/* the zone explain gives an unlock's end in: the first schedule's,
	 * else Europe/Paris (owned when no schedule lends one); NULL: UTC */
	const struct pol_tz *local_tz;
	struct pol_tz *own_tz;
	/* the rules as pol_eval reads them (compile.c): schools, groups and
	 * the values of each condition interned, each value with the set of
	 * rules it satisfies as a bitset; NULL: pol_eval walks the rules */
	struct pol_compiled *compiled;
};

/*
 * Parses, checks and compiles a policy. file names the text in errors.
 * Returns 0 and *out (free with pol_free), or a negative errno with every
 * problem found in errs (which the caller frees with pol_errors_free).
 */
int pol_load(const char *file, const char *text, size_t len, struct pol_policy **out,
	     struct pol_errors *errs);
int pol_load_file(const char *path, struct pol_policy **out, struct pol_errors *errs);
void pol_free(struct pol_policy *pol);

struct pol_decision {
	enum pol_action action;
	int segment;             /* index, -1 on reject */
	const char *segment_name;
	int vlan;
	int rule;                /* index of the deciding rule, -1 for the default */
	const char *rule_name;   /* "default" for the default */
	int rule_line;
	/* When the decision may change by itself (a schedule window or a
	 * certificate age limit is crossed), or 0 when nothing is due. The
	 * RADIUS module turns it into Session-Timeout. */
	time_t valid_until;
};

/* Whether a rule names method: mac, so that a device that holds a
 * certificate may land in its segment by MAC (pol_admit). */
int pol_rule_allows_mab(const struct pol_rule *rule);

/*
 * Evaluates: first matching rule wins, else the default. Pure; no I/O, no
 * allocation. Through the compiled form: the AND of the rule sets of the
 * device's role, state, kind, method, school and groups, whose first rule
 * decides unless it has a time condition (schedule, certificate age or
 * expiry, unlock), which is then checked, in order, before the next.
 */
void pol_eval(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
	      struct pol_decision *out);

/* The reference pol_eval must agree with: every rule in order, as
 * pol_explain walks them. For tests and benchmarks. */
void pol_eval_linear(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
		     struct pol_decision *out);

/*
 * The owner's groups ("4B latin", as pol_facts.groups) as pol knows them,
 * for pol_facts.group_ids with groups_serial = pol->serial: writes at most
 * max ids (groups no rule names are left out; they decide nothing) and
 * returns how many there are. When that is more than max, the ids are
 * incomplete: pass the groups as text instead. Pure.
 */
size_t pol_groups_intern(const struct pol_policy *pol, const char *groups, uint32_t *ids,
			 size_t max);

/*
 * Evaluates like pol_eval, and calls cb for every rule up to the one that
 * decides: matched ("matches", or for a rule naming unlock: teacher
 * "matches: the class 4B is opened by a teacher until 10:10"), or the
 * first condition that failed, in a sentence ("no teacher has opened the
 * class").
 */
typedef void (*pol_explain_cb)(void *ctx, const struct pol_rule *rule, int matched,
			       const char *why);
void pol_explain(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
		 struct pol_decision *out, pol_explain_cb cb, void *ctx);

/*
 * Admission: the one decision every program makes about a device (the
 * RADIUS module on each request, byod-gatewayd for each session, byodctl
 * policy explain). Fail-closed checks come first and no rule can undo
 * them: a revoked or expired certificate, a device whose state refuses it
 * (the table in admit.c), a disabled owner. Then the policy decides, and
 * the session lasts until the decision may change by itself or the
 * certificate ends, whichever is first. A device that holds a certificate
 * and connects by MAC lands where mab-segment says, whatever segment the
 * rules give it, unless the rule that decides names method: mac.
 */
enum pol_refusal {
	POL_ADMITTED,             /* the policy's segment */
	POL_REFUSED_CERT_REVOKED,
	POL_REFUSED_CERT_EXPIRED,
	POL_REFUSED_DEVICE_STATE, /* suspended, revoked, retired */
	POL_REFUSED_OWNER_DISABLED,
	POL_REFUSED_BY_RULE,      /* a rule (or the default) rejects */
	POL_NO_POLICY,            /* nothing blocks it, but there is no policy to ask */
};

struct pol_admission {
	int admit;                /* 1: dec names the segment */
	enum pol_refusal refusal;
	int quarantine;           /* refused and its MAC is to be quarantined */
	int mab;                  /* by MAC with a certificate: mab-segment decided
				   * (dec names its segment; dec.rule the rule that matched) */
	struct pol_decision dec;  /* the decision; rule -2 when not evaluated */
	long session_timeout;     /* seconds, 0 for none; when admitted */
	const char *what;         /* what decided: "certificate", "device", "mab-segment",
				   * or the rule's name */
	char reason[160];         /* the decision in one sentence */
};

/*
 * Decides admission at now. pol may be NULL (refusal POL_NO_POLICY unless a
 * fail-closed check refuses). When cb is given the rules are walked as by
 * pol_explain, even when a fail-closed check refuses, so that an
 * explanation shows both. Pure; no I/O.
 */
void pol_admit(const struct pol_policy *pol, const struct pol_facts *facts, time_t now,
	       struct pol_admission *out, pol_explain_cb cb, void *cb_ctx);

/* The device states, one table (admit.c): whether the state alone refuses
 * the device, whether its MACs are quarantined on the gateway, and whether
 * the device still holds its MAC in the registry (a retired or revoked
 * device gives it up to a new enrolment). */
int pol_state_refused(int state);
int pol_state_quarantined(int state);
int pol_state_holds_mac(int state);

/* Index of a segment by name, or -1. */
int pol_segment_find(const struct pol_policy *pol, const char *name);

/* "10.20.0.0/16" and back. */
int pol_net_parse(const char *s, struct pol_net *out, char *why, size_t len);
void pol_net_format(const struct pol_net *n, char *out, size_t len);
/* True when a and b share an address. */
int pol_net_overlap(const struct pol_net *a, const struct pol_net *b);
/* True when net contains every address of sub. */
int pol_net_contains(const struct pol_net *net, const struct pol_net *sub);
/* "tcp/80", "udp/67-68", "icmp". */
int pol_port_parse(const char *s, struct pol_port *out, char *why, size_t len);
/*
 * A host name ("play.google.com"; with wildcard_ok also "*.gvt1.com"):
 * labels of letters, digits and '-' between dots, at least two, the last
 * not a number. Writes it in lowercase without the "*." into out; -EINVAL
 * with a sentence in why.
 */
int pol_host_parse(const char *s, int wildcard_ok, char *out, size_t outlen, char *why,
		   size_t len);

#endif /* BYOD_POLICY_H */
