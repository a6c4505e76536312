/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway's use cases, shared by byodctl and the portal: a state
 * directory (configuration, registry, CA) opened as one context, school
 * initialisation, account import, device enrolment and revocation, CRLs.
 * These functions combine registry/ and pki/ so that neither program does
 * it twice, and so that issuance and the registry row are one transaction.
 */
#ifndef BYOD_CORE_H
#define BYOD_CORE_H

#include <stddef.h>

#include "byod_conf.h"
#include "byod_err.h"
#include "byod_vec.h"
#include "das.h"
#include "firewall.h"
#include "pki.h"
#include "policy.h"
#include "registry.h"

#define BYOD_DEFAULT_HOME "/var/lib/byod"

struct byod_ctx {
	struct byod_conf conf;
	struct reg *reg;
	struct pki_ca *ca; /* loaded on first use by byod_ca() */
};

/* Opens HOME: reads byod.conf, opens (and migrates) the registry. The audit
 * log names actor for every change made through this context. */
int byod_open(const char *home, const char *actor, struct byod_ctx **out, struct byod_err *err);

/* The same from a configuration already read (copied: conf stays the
 * caller's), for a program that opens several contexts on one HOME. */
int byod_open_conf(const struct byod_conf *conf, const char *actor, struct byod_ctx **out,
		   struct byod_err *err);
void byod_close(struct byod_ctx *ctx);

/* The school CA, loaded once; owned by ctx. */
int byod_ca(struct byod_ctx *ctx, struct pki_ca **ca, struct byod_err *err);

struct byod_init_params {
	const char *uai;
	const char *name;
	int yescrypt_cost; /* 0: the configuration default */
};

/*
 * Creates HOME with byod.conf, the registry with the school in it, the CA,
 * the RADIUS and portal server certificates and a first CRL. Everything is
 * made in a staging directory beside HOME and moved into place at the end,
 * so a failure leaves nothing behind. HOME must not exist or be empty.
 */
int byod_home_init(const char *home, const struct byod_init_params *p, struct byod_err *err);

/*
 * The names devices are told to trust, checked against each other before a
 * program hands out profiles: radius.server-name and wifi.passpoint-realm
 * make Passpoint names (byod_passpoint_names), and radius.server-name is a
 * DNS name of the RADIUS certificate in pki.dir (radius.pem), when that file
 * is here to read (a portal node may not hold it). Every profile tells the
 * device to accept only that name, and Android's Passpoint FQDN is its
 * domain, so a certificate issued for another name is refused by every
 * device. Returns 0, or -EINVAL with err naming the key to change.
 */
int byod_names_check(const struct byod_conf *conf, struct byod_err *err);

/* Logins are compared in lowercase (phones capitalise the first letter):
 * letters, digits and . _ - @, at most 63. Returns 0 or -EINVAL. */
int byod_login_normalise(const char *in, char *out, size_t len);

/* Adds one account (login normalised); password may be NULL (no password: cannot log in). */
int byod_user_add(struct byod_ctx *ctx, struct reg_person *p, const char *password,
		  struct byod_err *err);

struct byod_import_result {
	int rows;       /* accounts imported */
	int added, updated; /* byod_import_commit: accounts added, accounts changed */
};

/*
 * Imports accounts from a CSV file (header row with the columns login,
 * display_name, role, school, groups, password in any order; login, role and
 * school required). UTF-8 with or without BOM, CRLF or LF, ',' or ';' as the
 * separator, quoted fields. All or nothing: the first bad row rolls the whole
 * import back and err names the file, line and column.
 */
int byod_users_import_csv(struct byod_ctx *ctx, const char *path, struct byod_import_result *res,
			  struct byod_err *err);

/*
 * The checks byod_users_import_csv makes of len bytes of a CSV file (named
 * path in the errors) before it asks the registry anything: the encoding,
 * the header, every row's fields; a school is checked as a UAI, not looked
 * up. Pure: no registry, no file. Returns 0 with *rows (may be NULL) the
 * accounts the file holds, or a negative errno with err naming the line
 * and column.
 */
int byod_users_csv_check(const char *path, const void *data, size_t len, int *rows,
			 struct byod_err *err);

/*
 * The console's import (core/import.c): every problem of a file at once,
 * then a plan of what it would change, then the commit of that plan.
 */
#define BYOD_IMPORT_PROBLEMS_MAX 200

struct byod_import_problem {
	int line, col;	  /* 1-based; col 0: the whole line */
	const char *key;  /* the console's catalogue key ("import.role"), static */
	char value[128];  /* what the key's "{}" shows (the value at fault), or "" */
	char msg[400];	  /* the English sentence (logs, byodctl) */
};

enum byod_import_kind {
	BYOD_IMPORT_ADD,    /* a new account */
	BYOD_IMPORT_UPDATE, /* an account whose name, role, school or groups change */
	BYOD_IMPORT_SAME,   /* an account the file leaves as it is */
};

/* What changes in an UPDATE. */
#define BYOD_IMPORT_NAME   (1u << 0)
#define BYOD_IMPORT_ROLE   (1u << 1)
#define BYOD_IMPORT_SCHOOL (1u << 2)
#define BYOD_IMPORT_GROUPS (1u << 3)

struct byod_import_item {
	int line;
	enum byod_import_kind kind;
	unsigned changes;	  /* BYOD_IMPORT_* of an UPDATE */
	int password;		  /* the file gives a password (set for an ADD only) */
	struct reg_person before; /* UPDATE and SAME: the account now (no hash) */
	struct reg_person after;  /* what the row makes of it (no hash) */
};

struct byod_import_plan {
	struct byod_import_problem *problems; /* in the file's order */
	size_t nproblems;
	size_t more;			      /* problems beyond the bound, not listed */
	struct byod_import_item *items;	      /* the good rows, in the file's order */
	size_t nitems, adds, updates, same;
	int rows;			      /* data rows of the file */
	unsigned char text_sha256[32];	      /* of the bytes given */
	unsigned char digest[32];	      /* of the text and of every account the
					       * plan read: differs when the registry
					       * changed in a way that changes the plan */
};

/*
 * Reads len bytes of a CSV file (named name in messages) as
 * byod_users_import_csv would, and collects every problem (line and
 * column) instead of stopping at the first: the encoding, the header, each
 * row's fields, schools outside scope (may be NULL: every school) or
 * unknown (reg NULL: not looked up), logins twice, and, with reg, logins
 * taken by an account outside the scope. With reg, each good row becomes
 * an item: an account to add, to change (display name, role, school,
 * groups; an existing account keeps its password and state, and an empty
 * name column or no groups column keeps its name or groups) or left as it
 * is. Returns 0 with *out (byod_import_plan_free) however many problems,
 * or a negative errno with err (memory, the registry).
 */
int byod_import_plan(struct reg *reg, const struct reg_scope *scope, const char *name,
		     const void *data, size_t len, struct byod_import_plan **out,
		     struct byod_err *err);
void byod_import_plan_free(struct byod_import_plan *plan);

/*
 * Makes the plan of the same bytes again and writes it, all or nothing:
 * passwords hashed (yescrypt at cost) for the accounts added, then in one
 * transaction every account read again and added or changed. -EINVAL when
 * the file has a problem (err: the first), -ESTALE when expect (the
 * digest of the plan shown; NULL: none) differs from the plan made now or
 * when an account changed between the plan and the write (nothing is
 * written). res (may be NULL) gets the counts.
 */
int byod_import_commit(struct reg *reg, const struct reg_scope *scope, int cost, const char *name,
		       const void *data, size_t len, const unsigned char expect[32],
		       struct byod_import_result *res, struct byod_err *err);

/*
 * The rentrée sync (core/sync.c): the year's export (the CSV forms
 * byod_import_plan reads) set against the registry. What the import would
 * do (arrivals: accounts added; class changes: groups moved; other
 * changes), and the departures: the active people of the schools the file
 * covers, in the roles the file contains, within the scope, who are not in
 * the file (a file of pupils never touches teachers, a file of one school
 * never another).
 */
struct byod_sync_plan {
	struct byod_import_plan *import; /* problems, arrivals, changes */
	struct reg_person *departures;	 /* by school, then login (no hash) */
	size_t ndepartures;
	size_t arrivals, class_changes, other_changes;
	size_t returns;			 /* people of the file with a leaving date, cancelled */
	char schools[REG_GROUPS_MAX];	 /* the schools the file covers, space-separated */
	unsigned roles;			 /* 1u << enum byod_role, the roles the file holds */
	unsigned char digest[32];	 /* of the import's plan and of every departure */
};

/* Returns 0 with *out (byod_sync_plan_free) however many problems the file
 * has (out->import->nproblems; no departures are planned then), or a
 * negative errno with err (memory, the registry). scope may be NULL. */
int byod_sync_plan(struct reg *reg, const struct reg_scope *scope, const char *name,
		   const void *data, size_t len, struct byod_sync_plan **out,
		   struct byod_err *err);
void byod_sync_plan_free(struct byod_sync_plan *plan);

struct byod_sync_result {
	int added, updated;   /* accounts added, accounts changed */
	int leaving;	      /* departures given leave_at, still in the future */
	int left;	      /* departures disabled at once (leave_at <= now) */
	int devices;	      /* devices revoked with them */
};

/*
 * Writes the plan of the same bytes in one transaction: arrivals added,
 * changes applied, a returning person's leaving date cleared, and each
 * departure given leaves_at = leave_at (audited "person.leave" with the
 * date) or, when leave_at <= now, disabled at once with its devices
 * revoked (reason affiliationChanged; the CRL reissued after the commit).
 * -EINVAL when the file has a problem (err: the first) or when there are
 * departures and no leave_at (0); -ESTALE when expect (NULL: none) is not
 * the digest of the plan made now, or an account changed meanwhile.
 */
int byod_sync_commit(struct byod_ctx *ctx, const struct reg_scope *scope, const char *name,
		     const void *data, size_t len, const unsigned char expect[32],
		     time_t leave_at, time_t now, struct byod_sync_result *res,
		     struct byod_err *err);

/* People whose leaves_at has passed: disabled, their devices revoked (reason
 * affiliationChanged), one transaction per person with audit, then the CRL
 * reissued once. *people and *devices (may be NULL) get the counts. */
int byod_departures_apply(struct byod_ctx *ctx, time_t now, int *people, int *devices,
			  struct byod_err *err);

/* ---- enrolment (core/enrolment.c) ---- */

/* The files offered after an enrolment, each behind its own one-time link. */
enum byod_offer {
	BYOD_OFFER_P12,	       /* the PKCS#12, legacy form: every platform reads it */
	BYOD_OFFER_APPLE,      /* .mobileconfig (legacy PKCS#12 inside) */
	BYOD_OFFER_EAP_CONFIG, /* geteduroam eap-config (legacy PKCS#12 inside) */
	BYOD_OFFER_PASSPOINT,  /* Passpoint R1 (clear PKCS#12 inside) */
	BYOD_OFFER_WINDOWS,    /* WLAN profile XML */
	BYOD_OFFER_NM,	       /* NetworkManager archive (PEM files) */
	BYOD_OFFER_N,
};
#define BYOD_OFFERS_ALL	 ((1u << BYOD_OFFER_N) - 1)
#define BYOD_OFFER_TTL_S 600
#define BYOD_TOKEN_MAX	 44

/*
 * Why an enrolment was refused, as a code the portal translates through its
 * catalogue and as one English sentence byodctl prints: both come from one
 * table (byod_enrol_refusal_key, byod_enrol_refusal_text), and the
 * portal's English catalogue carries the same sentence.
 */
enum byod_enrol_refusal {
	BYOD_ENROL_OK,
	BYOD_ENROL_AT_LIMIT,   /* -EDQUOT: at the role's limit, nothing (live) to retire */
	BYOD_ENROL_CLOSED,     /* -EACCES: the role's limit is 0 */
	BYOD_ENROL_NOT_THEIRS, /* -EINVAL (not a device id) or -ENOENT: the device to
				* retire is not one of the owner's */
	BYOD_ENROL_RATE,       /* -EAGAIN: enrol.rate-per-day enrolments in the last 24 h */
	BYOD_ENROL_RENEW_EARLY, /* -EAGAIN: renewal before its window opens */
	BYOD_ENROL_REFUSAL_N,
};

/* The catalogue key and the English sentence of a refusal ("" and NULL
 * for BYOD_ENROL_OK or out of range). */
const char *byod_enrol_refusal_key(enum byod_enrol_refusal r);
const char *byod_enrol_refusal_text(enum byod_enrol_refusal r);

/* enrol.limit-<role>: how many live (active or suspended) devices a person
 * of that role may have; 0 closes enrolment to the role. */
int byod_enrol_limit(const struct byod_ctx *ctx, enum byod_role role);

struct byod_offered {
	char token[BYOD_TOKEN_MAX]; /* the one-time link's token, "" when not offered */
	char why[768];		    /* why not, when asked for and not offered */
};

struct byod_enrolment {
	struct reg_device device;
	struct pki_issued cert;	  /* ask it for PKCS#12 forms: pki_issued_p12 */
	char retired[REG_ID_MAX]; /* the device retired to make room, or "" */
	char replaces[REG_SERIAL_MAX]; /* a renewal: the certificate it replaces, or "" */
	int renewal;			/* 1: a renewal of an existing device */
	int over_limit;		  /* 1: past the limit by force (audited) */
	int crl_stale;		  /* a device was retired but the CRL was not
				   * reissued (warning says why; the next
				   * publish carries it) */
	struct byod_err warning;
	struct byod_offered offers[BYOD_OFFER_N];
	int no_profiles;		 /* profiles asked for, none could be made: */
	struct byod_err why;		 /* what the administrator must configure */
	enum byod_enrol_refusal refusal; /* set on failure too */
};

struct profile_words;

struct byod_enrol_params {
	const char *login;
	const char *name;
	enum byod_kind kind;
	const char *mac;     /* optional */
	const char *charter; /* version accepted, optional */
	const void *csr;     /* optional: issue for this CSR instead of a new key */
	size_t csr_len;
	const char *retire; /* at the limit, retire this device of the same owner
			     * (id) in the same transaction and go on */
	int force;	    /* an administrator goes past the limit and the rate:
			     * the audit log records it (device.limit-override,
			     * the actor) */
	unsigned offers;    /* bits (1u << enum byod_offer): store these behind
			     * one-time links in the same transaction */
	X509 *sign_cert;    /* sign the Apple profile (the portal's); without */
	EVP_PKEY *sign_key; /* them it is not offered */
	int offer_ttl;	    /* seconds the links live; 0: BYOD_OFFER_TTL_S */
	const struct profile_words *words; /* the profiles' names in the owner's
					    * language (the portal's); NULL: English */
};

/*
 * Enrols a device, one transaction for all of it: the owner's rate
 * (enrol.rate-per-day enrolments in the last 24 hours, unless p->force),
 * the owner's limit (enrol.limit-<role>; at the limit, p->retire is
 * retired as its owner would, or p->force goes past it, audited), the
 * device row, the
 * certificate (server-side key, or p->csr) and its row, and the download
 * offers p->offers asks for (the PKCS#12 forms each needs encoded once).
 * The certificate is returned only once the transaction has committed; a
 * refusal, a failed signing or a failed write leaves no row. Refusals set
 * out->refusal and err to the table's sentence. When a device was retired,
 * the CRL is reissued after the commit (out->crl_stale when that failed).
 * Free out with byod_enrolment_clear().
 */
int byod_device_enrol(struct byod_ctx *ctx, const struct byod_enrol_params *p,
		      struct byod_enrolment *out, struct byod_err *err);
void byod_enrolment_clear(struct byod_enrolment *e);

/* ---- renewal (core/renew.c) ---- */

/* The end a certificate issued at 'now' gets (school-year end, then the grace date). */
time_t byod_cert_end(const struct byod_conf *conf, time_t now);
/* When renewal of a certificate ending at not_after opens (its school-year end minus
 * pki.renew-days: 00:00 UTC of that day). */
time_t byod_renew_opens(const struct byod_conf *conf, time_t not_after);

struct byod_renew_params {
	const char *device;    /* id */
	const char *login;     /* the owner asking (refused, -EPERM, when not the owner); NULL: admin */
	const void *csr; size_t csr_len; /* optional, as in byod_enrol_params */
	int force;             /* before the window opens (an administrator; audited) */
	unsigned offers; X509 *sign_cert; EVP_PKEY *sign_key; int offer_ttl;
	const struct profile_words *words;
};

/* Issues a new certificate for the same device (same id: policy, limits and history go on),
 * recorded as replacing the device's newest valid certificate; the old one stays valid until
 * the new one is first seen at RADIUS (reg_cert_seen) or until its own end. -EAGAIN (refusal
 * BYOD_ENROL_RENEW_EARLY, err says from which date) before the window; -EPERM for a revoked or
 * retired device, a disabled owner or one whose leaving date has passed. The
 * device is locked for the transaction: a second renewal at the same time
 * sees the first one's certificate (and is refused before its window).
 * Output as byod_device_enrol's. */
int byod_device_renew(struct byod_ctx *ctx, const struct byod_renew_params *p,
		      struct byod_enrolment *out, struct byod_err *err);

/*
 * Finds a device by its id or by the serial of one of its certificates
 * (any hex form).
 */
int byod_device_resolve(struct byod_ctx *ctx, const char *id_or_serial, struct reg_device *out,
			struct byod_err *err);

/*
 * Revokes a device and every valid certificate of it (reason: RFC 5280
 * CRLReason), then reissues the CRL. new_state is BYOD_DEVICE_REVOKED, or
 * BYOD_DEVICE_RETIRED when the owner retires it. *out, when given, receives
 * the device as it now is.
 */
int byod_device_revoke(struct byod_ctx *ctx, const char *id_or_serial, int reason,
		       enum byod_device_state new_state, struct reg_device *out,
		       struct byod_err *err);

/*
 * Settles what this HOME left unsettled: enrolments and renewals whose
 * commit outcome was unknown (the registry lost while committing), noted in
 * HOME/unsettled. Each certificate row that was written after all is
 * revoked (and the device an enrolment created retired), as if the
 * enrolment had failed, which is what the person was told; a row not there
 * needs nothing. The CRL is reissued when anything was revoked. 0 when
 * everything is settled (or nothing was noted); an entry the registry could
 * not settle is kept for the next call, and its error returned. The portal
 * calls it when the registry answers again; enrolment and renewal before
 * they begin.
 */
int byod_unsettled_settle(struct byod_ctx *ctx, struct byod_err *err);

/*
 * An enrolment or renewal that was committed but whose certificate could not
 * be handed out after all (the registry lost before the page that carries
 * it was made): noted like one whose commit outcome is unknown, so that
 * byod_unsettled_settle revokes it, as the person was told it failed. e is
 * read before the caller clears it. err gets the sentence for the log.
 */
void byod_enrolment_undelivered(struct byod_ctx *ctx, const struct byod_enrolment *e,
				struct byod_err *err);

/* 1 when HOME/unsettled holds something of device id (a revocation that
 * byod_device_revoke could not confirm: -ENOTCONN, "it will be retried"),
 * else 0. */
int byod_unsettled_pending(struct byod_ctx *ctx, const char *device);

/*
 * Issues a CRL of every revoked certificate. With out_path, writes PEM there
 * (DER when the name ends in .der); always refreshes HOME/<pki.dir>/crl.pem
 * and crl.der, which the portal serves.
 */
int byod_crl_publish(struct byod_ctx *ctx, const char *out_path, struct byod_err *err);

/* ---- the segment policy (core/policy_versions.c) ---- */

/*
 * Checks the file and stores it as a new version (0 and *version). A file
 * that does not check is refused with every problem in errs (freed by the
 * caller with pol_errors_free) and the running policy stays.
 */
int byod_policy_apply(struct byod_ctx *ctx, const char *path, const char *comment,
		      int64_t *version, struct pol_errors *errs, struct byod_err *err);

/* Loads and compiles a stored version (0: the running one). *pol is freed
 * with pol_free; *loaded (may be NULL) receives its number. */
int byod_policy_load(struct byod_ctx *ctx, int64_t version, struct pol_policy **pol,
		     int64_t *loaded, struct byod_err *err);

/* Makes version's text the running policy again, as a new version. */
int byod_policy_rollback(struct byod_ctx *ctx, int64_t version, int64_t *new_version,
			 struct byod_err *err);

/* What the policy knows of a registered device, and the owner it comes from
 * (the facts point into owner). */
struct byod_facts {
	struct pol_facts f;
	struct reg_person owner;
	char device[REG_ID_MAX];     /* f.device points here */
	char serial[REG_SERIAL_MAX]; /* the newest valid certificate's; f.serial points here */
	char unlocked_group[64];     /* f.unlocked_group points here when set */
};
int byod_device_facts(struct byod_ctx *ctx, const struct reg_device *d, struct byod_facts *out,
		      struct byod_err *err);

/* The facts of a MAC authentication: no certificate presented, though
 * the device may hold one (f.device_cert_until is kept). */
void byod_facts_by_mac(struct byod_facts *facts);

/* The admission of a registered device at at under pol (pol_admit on
 * byod_device_facts): what byodctl policy explain prints, with cb called
 * for each rule as pol_explain does. method: POL_METHOD_MAC for a MAC
 * authentication, else -1 (its newest valid certificate, when it holds
 * one). facts (filled) must outlive out. */
int byod_device_admission(struct byod_ctx *ctx, const struct pol_policy *pol,
			  const struct reg_device *d, int method, time_t at,
			  struct byod_facts *facts, struct pol_admission *out, pol_explain_cb cb,
			  void *cb_ctx, struct byod_err *err);

/* Whether a refusal comes before the rules (state, owner, certificate),
 * whatever any policy says. */
int byod_refused_before_rules(const struct pol_admission *a);

/* The impact of a new policy: how many devices move from which decision
 * ("pupils", "reject") to which. */
struct byod_move {
	char from[64];
	char to[64];
	int count;
};
struct byod_diff {
	int devices; /* devices evaluated */
	int changed; /* whose decision changes */
	struct byod_move *moves;
	size_t nmoves;
	size_t cap; /* moves allocated */
};
typedef void (*byod_diff_cb)(void *ctx, const struct reg_device *d,
			     const struct pol_decision *before, const struct pol_decision *after);

/* Evaluates every registered device under both policies at instant at
 * (now_pol NULL: none is running yet, every device counts as moving); cb
 * (may be NULL) is called for each device whose decision changes. */
int byod_policy_diff(struct byod_ctx *ctx, const struct pol_policy *now_pol,
		     const struct pol_policy *new_pol, time_t at, struct byod_diff *out,
		     byod_diff_cb cb, void *cb_ctx, struct byod_err *err);
void byod_diff_free(struct byod_diff *d);

/* ---- a policy per school (core/policies.c, core/policy_versions.c) ---- */

/*
 * The département writes the default policy; a school may apply its own,
 * which replaces the default for that school until it goes back to the
 * default. Everything that decides about a device (rlm_byod, the gateway,
 * explain) uses the policy of the device's owner's school.
 */

/* The set of compiled policies of a registry: the département default and
 * each school's own. */
struct byod_policies;
/* Loads and compiles every running policy; *out is freed with
 * byod_policies_free. A stored version that no longer compiles (a time
 * zone gone) is an error naming its school and version. No policy at all
 * is not an error: byod_policies_for then gives NULL. */
int byod_policies_load(struct byod_ctx *ctx, struct byod_policies **out, struct byod_err *err);
/* The policy of school (NULL or "": the default; a school without its own,
 * or following the default: the default). NULL: none. Owned by the set. */
const struct pol_policy *byod_policies_for(const struct byod_policies *set, const char *school);
/* The version byod_policies_for's policy was compiled from, 0 when none. */
int64_t byod_policies_version(const struct byod_policies *set, const char *school);
void byod_policies_free(struct byod_policies *set);

/* What an editor applies for one school. */
struct byod_policy_text {
	const char *school;  /* NULL or "": the département's default */
	const char *file;    /* the name errors and history give */
	const char *text;    /* NULL: the school goes back to the default */
	size_t len;
	const char *comment; /* may be NULL */
	/* The school's running version when the editor loaded it (0: none was
	 * running); -1: apply whatever runs now (byodctl without --expect). */
	int64_t expected;
};

/*
 * Checks p->text and stores it as a new version of p->school's policy (0
 * and *version). A text that does not check is refused with every problem
 * in errs (freed by the caller with pol_errors_free). When the school's
 * running version is no longer p->expected, nothing is stored: -ESTALE,
 * with the version running now in *current (may be NULL), so that the
 * editor shows the difference.
 */
int byod_policy_apply_text(struct byod_ctx *ctx, const struct byod_policy_text *p,
			   int64_t *version, int64_t *current, struct pol_errors *errs,
			   struct byod_err *err);
/* The same from a file (school NULL or "": the default). */
int byod_policy_apply_school(struct byod_ctx *ctx, const char *school, const char *path,
			     const char *comment, int64_t expected, int64_t *version,
			     int64_t *current, struct pol_errors *errs, struct byod_err *err);
/* Loads and compiles the running policy of school (NULL or "": the
 * default): *pol freed with pol_free; info (may be NULL) receives its row
 * without text (info->school "" when the school runs the default). */
int byod_policy_load_school(struct byod_ctx *ctx, const char *school, struct pol_policy **pol,
			    struct reg_policy *info, struct byod_err *err);
/* school's versions, oldest first; *running (may be NULL) receives the
 * version it runs (maybe the default's), 0 when none. */
int byod_policy_history_school(struct byod_ctx *ctx, const char *school, int64_t *running,
			       int (*cb)(const struct reg_policy *, void *), void *cb_ctx,
			       struct byod_err *err);
/* Makes version (one of school's own) the school's running policy again
 * as a new version; a version that followed the default sends it back to
 * the default. expected and *current as byod_policy_apply_text. */
int byod_policy_rollback_school(struct byod_ctx *ctx, const char *school, int64_t version,
				int64_t expected, int64_t *new_version, int64_t *current,
				struct byod_err *err);
/* Which devices of school (NULL or "": every device whose school runs the
 * default) move if new_pol becomes its policy (NULL: the school goes back
 * to the default), at at, with the live unlocks of at in the facts. */
int byod_policy_diff_school(struct byod_ctx *ctx, const char *school,
			    const struct pol_policy *new_pol, time_t at, struct byod_diff *out,
			    byod_diff_cb cb, void *cb_ctx, struct byod_err *err);
/*
 * Explains device d at at under its owner's school's running policy, with
 * the live unlocks of the owner's groups in the facts. *pol (freed with
 * pol_free) and info (may be NULL) say which policy decided; -ENOENT when
 * no policy runs. cb as pol_explain. facts (filled) must outlive out.
 */
int byod_device_explain(struct byod_ctx *ctx, const struct reg_device *d, int method, time_t at,
			struct byod_facts *facts, struct pol_admission *out,
			struct pol_policy **pol, struct reg_policy *info, pol_explain_cb cb,
			void *cb_ctx, struct byod_err *err);

/* ---- teacher unlocks (core/unlock.c) ---- */

/* The live unlock of one of groups (space-separated) in school at now
 * whose end is the latest, or NULL. */
const struct reg_unlock *byod_unlock_find(const struct reg_unlock *live, size_t n,
					  const char *school, const char *groups, time_t now);
/* the end of the newest live unlock of one of groups (space-separated) in school at now, 0: none */
time_t byod_unlock_until(const struct reg_unlock *live, size_t n, const char *school,
			 const char *groups, time_t now);
/* Fills facts->f.unlocked_until and unlocked_group from live (the unlocks
 * live at now, e.g. reg_unlock_list_active's). */
void byod_facts_set_unlock(struct byod_facts *facts, const struct reg_unlock *live, size_t n,
			   time_t now);
/* The same, reading the live unlocks of the owner's school from the registry. */
int byod_facts_unlocks(struct byod_ctx *ctx, struct byod_facts *facts, time_t now,
		       struct byod_err *err);
/* The live unlocks at now (school NULL: every school) into *out (free()),
 * *n of them. */
int byod_unlock_live(struct byod_ctx *ctx, const char *school, time_t now,
		     struct reg_unlock **out, size_t *n, struct byod_err *err);
/*
 * A teacher opens group for minutes (1..120) from now: only an active
 * teacher of a school, only a group in their groups (-EPERM otherwise),
 * audited with the teacher as actor ("teacher:LOGIN"). *out (may be NULL)
 * receives the unlock.
 */
int byod_unlock_open(struct byod_ctx *ctx, const struct reg_person *teacher, const char *group,
		     int minutes, struct reg_unlock *out, struct byod_err *err);
/* Closes unlock id now: only the teacher who opened it; -ENOENT for any
 * other (as for an id that does not exist), -EALREADY when it is over. */
int byod_unlock_close(struct byod_ctx *ctx, const struct reg_person *teacher, int64_t id,
		      struct byod_err *err);

/* ---- the firewall's configuration (core/fw_setup.c) ---- */

#define BYOD_FW_LINKS_MAX 64
#define BYOD_FW_ADMIT_MAX 16

/* A fw_config filled from byod.conf and the policy; the strings it points
 * to live here until byod_fw_setup_free. */
struct byod_fw_setup {
	struct fw_config cfg;
	struct fw_link links[BYOD_FW_LINKS_MAX];
	const char *admit[BYOD_FW_ADMIT_MAX];
	char portal[64];
	char *links_buf, *admit_buf;
};

/* -EINVAL with err for a malformed firewall.links / admit-links. Without a
 * portal address (firewall.portal-address, else the policy's portal
 * service) cfg.portal_addr is "", which fw_render refuses. */
int byod_fw_setup(struct byod_ctx *ctx, const struct pol_policy *pol, struct byod_fw_setup *s,
		  struct byod_err *err);
void byod_fw_setup_free(struct byod_fw_setup *s);

/* ---- dnsmasq (core/dnsmasq.c) ---- */

/*
 * The gateway's dnsmasq.conf (firewall/dnsmasq_conf.h) for pol with this
 * gateway's links, the portal's RFC 8908 API (<portal URL>/api/captive) in
 * option 114, and portal.hostname (and the portal URL's host, when it is
 * another name) answered with the portal's address. *conf is malloc'd.
 * -EINVAL with err for a configuration that cannot be written.
 */
int byod_dnsmasq_config(struct byod_ctx *ctx, const struct pol_policy *pol, char **conf,
			struct byod_err *err);

/* ---- the desired firewall state (core/fw_state.c) ---- */

struct byod_hmap; /* common/hmap.h */

/* An entry of a set or map: a MAC (or an address) and a value. */
struct byod_fw_entry {
	char mac[64]; /* "aa:bb:cc:dd:ee:ff", or an address */
	char val[64]; /* admitted: the segment; quarantine: the device */
};

/* Entries keyed by mac, in the order they were put (a deletion moves the
 * last entry into the hole), with a hash index: find, put and delete take
 * constant time whatever the size. Entry i is BYOD_FW_SET_AT(set, i), i <
 * set->v.n; a pointer to an entry is valid until the next put or delete. */
struct byod_fw_set {
	struct byod_vec v;      /* struct byod_fw_entry */
	struct byod_hmap *idx;  /* mac -> index + 1; NULL while empty */
};
#define BYOD_FW_SET_AT(set, i) BYOD_VEC_AT(&(set)->v, struct byod_fw_entry, (i))

void byod_fw_set_init(struct byod_fw_set *s);
void byod_fw_set_free(struct byod_fw_set *s);
struct byod_fw_entry *byod_fw_entry_find(const struct byod_fw_set *s, const char *key);
/* Adds or replaces; 0 or -ENOMEM. */
int byod_fw_entry_put(struct byod_fw_set *s, const char *key, const char *val);
/* Removes entry i (the last one takes its place); i out of range is ignored. */
void byod_fw_set_del_at(struct byod_fw_set *s, size_t i);
/* Removes key; 0 or -ENOENT. */
int byod_fw_entry_del(struct byod_fw_set *s, const char *key);

/* An open accounting session and what admission gives it now. */
struct byod_fw_session {
	int64_t id;
	struct reg_session row;
	char segment[64];         /* "" when refused */
	int vlan;
	int blocked;              /* refused and quarantined */
	struct pol_admission adm; /* the whole decision */
	/* the state's links (read-only outside fw_state.c): every session
	 * oldest first, and the sessions of the same MAC and of the same
	 * device, oldest first */
	struct byod_fw_session *prev, *next;
	struct byod_fw_session *mac_prev, *mac_next;
	struct byod_fw_session *dev_prev, *dev_next;
	struct byod_fw_session *ip_prev, *ip_next;
};

/*
 * What should be: the open sessions followed, each reached by its id, its
 * MAC or its device in constant time (hash maps), and the quarantine with
 * the MACs of each device. school (may be "") limits the state to the
 * devices of owners of that school (byod-gatewayd --school): sessions of
 * other schools' devices, and of no device, are not followed.
 */
struct byod_fw_state {
	struct byod_hmap *sessions;   /* "id" -> struct byod_fw_session (owned) */
	struct byod_fw_session *first, *last; /* oldest first */
	size_t nsessions;
	struct byod_hmap *by_mac;     /* MAC -> the MAC's sessions (first, last) */
	struct byod_hmap *by_device;  /* device id -> the device's sessions */
	struct byod_hmap *by_ip;      /* address -> the sessions with it */
	struct byod_fw_set quarantine; /* MAC -> the device */
	struct byod_hmap *q_by_device; /* device id -> its quarantined MACs */
	/* the MACs and addresses whose entries may have changed since
	 * byod_fw_state_clean: what a follower re-checks, not everything */
	struct byod_fw_set dirty_macs, dirty_ips;
	int dirty_oom;                /* a change could not be noted: check everything */
	char school[REG_UAI_MAX];
};

void byod_fw_state_init(struct byod_fw_state *st);
void byod_fw_state_free(struct byod_fw_state *st);

/* Decides session s at now under pol (NULL: no policy, nothing admitted)
 * with pol_admit, from its device, owner and certificate in the registry. */
int byod_fw_session_decide(struct byod_ctx *ctx, const struct pol_policy *pol,
			   struct byod_fw_session *s, time_t now, struct byod_err *err);

/* What decides a session: the policy of its owner's school (policies set:
 * byod_policies_for; an unknown device gets the default), else pol for
 * every session; and the teachers' unlocks live now (live[0..nlive), e.g.
 * byod_unlock_live's) in the facts of its owner. */
struct byod_fw_decider {
	const struct pol_policy *pol;
	const struct byod_policies *policies;
	const struct reg_unlock *live;
	size_t nlive;
};

/* byod_fw_session_decide with a decider. */
int byod_fw_session_decide_by(struct byod_ctx *ctx, const struct byod_fw_decider *d,
			      struct byod_fw_session *s, time_t now, struct byod_err *err);

/* The open sessions, each decided at now, and the quarantine (of
 * st->school's devices when it is set). On failure st is unchanged. */
int byod_fw_state_load(struct byod_ctx *ctx, const struct pol_policy *pol, time_t now,
		       struct byod_fw_state *st, struct byod_err *err);
/* The same with a decider. */
int byod_fw_state_load_by(struct byod_ctx *ctx, const struct byod_fw_decider *d, time_t now,
			  struct byod_fw_state *st, struct byod_err *err);

/* The quarantine entries of one device again, from its state now (none
 * for a device of another school than st->school). */
int byod_fw_state_device(struct byod_ctx *ctx, struct byod_fw_state *st, const char *id,
			 struct byod_err *err);

/* Whether device d is followed: always without a school, else its
 * owner's school is st->school. 1, 0, or a negative errno (err set). */
int byod_fw_state_follows(struct byod_ctx *ctx, const struct byod_fw_state *st,
			  const struct reg_device *d, struct byod_err *err);

/* The session with accounting id id, or NULL when not followed. */
struct byod_fw_session *byod_fw_state_session(const struct byod_fw_state *st, int64_t id);
/* Follows row: a new session is the newest, a known one gets the row in
 * its place (its MAC and device links moved). The decision is the
 * caller's. NULL when memory runs out. */
struct byod_fw_session *byod_fw_state_add(struct byod_fw_state *st, const struct reg_session *row);
/* Stops following session id; 0 or -ENOENT. */
int byod_fw_state_drop(struct byod_fw_state *st, int64_t id);
/* The oldest session of device id (then s->dev_next), or NULL. */
struct byod_fw_session *byod_fw_state_device_sessions(const struct byod_fw_state *st,
						      const char *id);
/* Notes that s's decision may have changed (its MAC and address dirty). */
void byod_fw_state_touch(struct byod_fw_state *st, const struct byod_fw_session *s);
/* Forgets the dirty MACs and addresses (the kernel is in line). */
void byod_fw_state_clean(struct byod_fw_state *st);
/* Whether IPv4 address ip should be in the quarantine set of addresses: a
 * blocked session holds it. */
int byod_fw_state_ip_quarantined(const struct byod_fw_state *st, const char *ip);
/* Puts mac in the quarantine for device (moved from another device's
 * MACs); 0 or -ENOMEM. */
int byod_fw_state_quarantine(struct byod_fw_state *st, const char *mac, const char *device);

/* The segment mac should be admitted into, or NULL. */
const char *byod_fw_state_segment(const struct byod_fw_state *st, const char *mac);

/* What the kernel's sets should hold. */
struct byod_fw_sets {
	struct byod_fw_set admitted;       /* MAC -> segment */
	struct byod_fw_set quarantine;     /* MACs */
	struct byod_fw_set quarantine_ips; /* IPv4 addresses, in mac */
};
/* 0 or -ENOMEM; free out with byod_fw_sets_free. */
int byod_fw_state_sets(const struct byod_fw_state *st, struct byod_fw_sets *out);
void byod_fw_sets_free(struct byod_fw_sets *s);

/* The whole ruleset of pol with these sets (or this state) into *text
 * (malloc'd); -ENOENT when pol is NULL. */
int byod_fw_sets_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			const struct byod_fw_sets *sets, char **text, struct byod_err *err);
int byod_fw_state_render(struct byod_ctx *ctx, const struct pol_policy *pol,
			 const struct byod_fw_state *st, char **text, struct byod_err *err);

/* A fingerprint of pol's ruleset without its device sets: what the policy
 * and firewall.* make it, 16 hex digits (FNV-1a: a comparison, not a
 * secret). byod-gatewayd names the one it applied in its heartbeat;
 * byodctl doctor compares it with the running policy's. */
#define BYOD_FW_DIGEST_LEN 17
int byod_fw_ruleset_digest(struct byod_ctx *ctx, const struct pol_policy *pol,
			   char out[BYOD_FW_DIGEST_LEN], struct byod_err *err);

/* ---- live sessions (core/session_das.c) ---- */

/* The DAS port and mode of the NAS at address nas: das.port and das.mode,
 * unless das.nas names it. -EINVAL with err for a malformed das.nas. */
int byod_das_target(const struct byod_conf *conf, const char *nas, int *port,
		    enum das_mode *mode, struct byod_err *err);

/*
 * Ends (or moves) one accounting session at its NAS: a CoA with vlan when
 * the NAS's mode is coa or both and vlan > 0 (both: a Disconnect follows a
 * refused CoA), else a Disconnect-Request. Every request's answer is
 * written to the audit log ("session.disconnect" / "session.coa"). 0 when
 * an answer came (ACK or NAK: see ans->code), -ETIMEDOUT when none did,
 * -EINVAL when das.secret is not set or the session has no NAS address.
 */
int byod_session_disconnect(struct byod_ctx *ctx, const struct reg_session *s, int vlan,
			    struct das_answer *ans, struct byod_err *err);

/* The same for many sessions at once: a queue with das.timeout-ms,
 * das.retries and das.max-in-flight-per-nas (free it with das_queue_free),
 * and one session's request(s) queued on it; done gets the final answer
 * (as das_done_fn's; -EIO when the Disconnect after a refused CoA could not
 * be queued) once known, from das_queue_run, the audit written. */
typedef das_done_fn byod_das_done_fn;
int byod_das_queue_new(const struct byod_conf *conf, struct das_queue **out,
		       struct byod_err *err);
int byod_session_disconnect_queue(struct byod_ctx *ctx, struct das_queue *q,
				  const struct reg_session *s, int vlan, byod_das_done_fn done,
				  void *arg, struct byod_err *err);

/* ---- FreeRADIUS (core/raddb.c) ---- */

#define BYOD_RADIUS_SECRET_MAX 64

struct byod_radius_params {
	const char *out;       /* the raddb directory to write */
	const char *templates; /* radius-module/raddb as installed (share/byod/raddb) */
	const char *libdir;    /* where rlm_byod.so is, ':'-separated with the server's */
	const char *listen;    /* address to listen on, e.g. 127.0.0.1 */
	const char *client;    /* the NAS address allowed to ask */
	int auth_port, acct_port;
	int registration_vlan;
	const char *secret;    /* NULL: a random one (written to OUT/secret) */
};

/*
 * Writes a complete raddb for freeradius -f -d OUT: the templates copied as
 * they are (mods-available/ and sites-available/ into mods-enabled/ and
 * sites-enabled/), byod-vars.conf with this school's values (the templates
 * read them as ${byod_...}), and the secret alone in OUT/secret. 0 or
 * -errno with err set: -EINVAL for a bad parameter or a path FreeRADIUS
 * cannot quote, -ENOENT (prefixed with its name) for a missing template.
 */
int byod_radius_config(struct byod_ctx *ctx, const struct byod_radius_params *p,
		       struct byod_err *err);

/* A certificate ending within this many days is reported (portal_tls.c). */
#define BYOD_PORTAL_CERT_DAYS 30

/* Where the portal's certificate is and where devices are sent. */
struct byod_portal_tls {
	char cert[4096];	/* portal.tls-cert, or pki.dir/portal.pem */
	char key[4096];		/* portal.tls-key, or pki.dir/portal.key */
	char chain[4096];	/* portal.tls-chain; "" for none */
	char trust_store[4096]; /* portal.trust-store */
	char host[256];		/* the host of portal.public-url, else portal.hostname */
	char url_https[512];	/* no trailing slash; "" when portal.https-port is 0 */
	char url_http[512];	/* no trailing slash */
};

/* Fills out from conf (paths resolved against its home). -EINVAL with err
 * for a portal.public-url that is not an http(s) URL with a host. */
int byod_portal_tls_where(const struct byod_conf *conf, struct byod_portal_tls *out,
			  struct byod_err *err);

/*
 * Loads the portal's certificate, chain and key as w names them and checks
 * them as a phone would (pki_server_cert_check: w->trust_store, w->host,
 * BYOD_PORTAL_CERT_DAYS). Returns 0 with rep filled and, when sc is not
 * NULL, the loaded certificate in *sc (pki_server_cert_free); or a
 * negative errno with err when the files cannot be used (missing, not PEM,
 * a key that is not the certificate's).
 */
int byod_portal_tls_check(const struct byod_portal_tls *w, struct pki_server_cert **sc,
			  struct pki_cert_report *rep, struct byod_err *err);

/* Where devices are sent now, no trailing slash: the HTTPS URL when phones
 * trust the certificate (byod_portal_tls_check), else the HTTP one. */
int byod_portal_url(const struct byod_conf *conf, char *out, size_t len, struct byod_err *err);


/* ---- retention and a person's rights (core/retention.c) ---- */

/* What one purge deleted (or, in a dry run, would delete). */
struct byod_purge_report {
	int departed_people, departed_devices; /* byod_departures_apply, run first */
	int sessions_closed; /* open sessions silent past REG_SESSION_OPEN_MARGIN, closed */
	int sessions;	 /* accounting sessions ended before now - retention.sessions */
	int audit;	 /* audit rows older than retention.audit */
	int web;	 /* expired portal sessions, form tokens, download links, throttle rows */
	int admin_web;	 /* expired console sessions and API tokens */
	int enrol_codes; /* expired one-time enrolment codes */
	int oauth;	 /* expired OAuth requests, codes and tokens, old revoked grants */
	int decisions;	 /* decision counts older than retention.decisions */
	int people;	 /* accounts disabled longer than retention.people, removed */
	int devices;	 /* their devices, removed */
	int crl_kept;	 /* serials of erased devices' certificates past their end */
};

/*
 * Runs byod_departures_apply, then deletes each kind of data past its
 * retention (the counts above), in one transaction, with one audit row
 * "retention.purge" holding the counts; the CRL is reissued when people
 * were removed. dry_run counts the same in a transaction it rolls back
 * (the departures are not applied). r (may be NULL) gets the counts.
 */
int byod_purge(struct byod_ctx *ctx, time_t now, int dry_run, struct byod_purge_report *r,
	       struct byod_err *err);

/* The stable pseudonym of a login in the audit trail: "anon-" and 20 hex
 * digits of a keyed hash (HMAC-SHA256 with the key in HOME/pseudonym.key,
 * mode 0600, made on first use; never in the registry). */
int byod_pseudonym(struct byod_ctx *ctx, const char *login, char out[REG_LOGIN_MAX],
		   struct byod_err *err);

/*
 * Erases the person login (RGPD art. 17): revokes their live devices
 * (reason cessationOfOperation, the CRL reissued), then reg_person_remove
 * under their pseudonym (in *pseudonym), then reissues the CRL. r (may be
 * NULL) gets reg_person_remove's counts.
 */
int byod_person_erase(struct byod_ctx *ctx, const char *login, time_t now,
		      struct reg_remove_report *r, char pseudonym[REG_LOGIN_MAX],
		      struct byod_err *err);

#endif /* BYOD_CORE_H */
