// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compact index (radius-module/index.c) against the index it replaced
 * (index_reference.c: maps of strings and pointers, kept as the reference),
 * both following one SQLite registry: every answer field for field, for
 * every MAC of a small pool carried by many devices (collisions), every
 * serial in several spellings, unknown and malformed ones, after a full
 * load and after each round of random changes through the change feed
 * (devices and certificates added, states changed, MACs moved, certificates
 * revoked and renewed, owners moved, disabled, leaving, erased with their
 * devices), then after a fresh load of what the changes left. Then named
 * cases with their expected answers: the live device wins a shared MAC, an
 * erased holder leaves its MAC unknown until the next load, a serial found
 * in any spelling, a renewal's first sighting, an owner moved to a group
 * with its own segment. BYOD_TEST_SEED picks another random registry.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "byod.h"
#include "byod_util.h"
#include "index.h"
#include "rmtree.h"

/* index_reference.c */
struct ref_index;
int ref_index_open(const struct rad_index_options *opt, struct ref_index **out, int *degraded,
		   struct byod_err *err);
void ref_index_free(struct ref_index *ix);
int ref_index_refresh(struct ref_index *ix, int *changed, struct byod_err *err);
void ref_index_decide(struct ref_index *ix, const struct rad_query *rq, struct rad_answer *out);
void ref_index_stats(struct ref_index *ix, struct rad_index_stats *out);

#define UAI "0131234W"
#define UAI2 "0750654D"
#define NMACS 48

static const char policy[] = "segments:\n"
			     "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
			     "  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
			     "  teachers: { vlan: 30, subnet: 10.30.0.0/20 }\n"
			     "  latin: { vlan: 40, subnet: 10.40.0.0/20 }\n"
			     "rules:\n"
			     "  - name: unknown\n    match: { state: unknown }\n    segment: reg\n"
			     "  - name: latin\n    match: { role: student, group: latin }\n"
			     "    segment: latin\n"
			     "  - name: teachers\n    match: { role: teacher }\n    segment: teachers\n"
			     "  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
			     "default: reg\nmab-segment: reg\n";

static const char *const groups[] = { "", "4B", "4B latin", "3A", "latin 3A", "6C" };

struct fx {
	char dir[512], home[600];
	struct byod_ctx *ctx;
	uint64_t rng;
	time_t now;
	int npeople, ndevices;
	char (*logins)[16];
	char (*devices)[REG_ID_MAX];
	char (*serials)[REG_SERIAL_MAX];
	int *cert_device; /* the device of serials[i], in devices */
	int nserials;
	int erased; /* people erased so far */
};

static uint32_t rnd(struct fx *fx, uint32_t n)
{
	fx->rng ^= fx->rng << 13;
	fx->rng ^= fx->rng >> 7;
	fx->rng ^= fx->rng << 17;
	return (uint32_t)(fx->rng % n);
}

static void mac_of(int i, char out[REG_MAC_MAX])
{
	snprintf(out, REG_MAC_MAX, "02:00:00:00:%02x:%02x", (i >> 8) & 255, i & 255);
}

static void write_policy(struct fx *fx)
{
	struct pol_errors errs;
	struct byod_err err;
	char path[700];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.yaml", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(policy, f);
	fclose(f);
	if (byod_policy_apply(fx->ctx, path, NULL, NULL, &errs, &err))
		fail_msg("policy: %s", err.msg);
}

static int add_person(struct fx *fx)
{
	struct reg_person p = { .role = rnd(fx, 10) == 0 ? BYOD_ROLE_TEACHER : BYOD_ROLE_STUDENT };
	struct byod_err err;
	int i = fx->npeople;

	snprintf(fx->logins[i], sizeof(fx->logins[i]), "p%d", i);
	snprintf(p.login, sizeof(p.login), "%s", fx->logins[i]);
	snprintf(p.display_name, sizeof(p.display_name), "Person %d", i);
	snprintf(p.school, sizeof(p.school), "%s", rnd(fx, 5) ? UAI : UAI2);
	snprintf(p.groups, sizeof(p.groups), "%s", groups[rnd(fx, 6)]);
	if (rnd(fx, 12) == 0)
		p.state = REG_PERSON_DISABLED;
	if (rnd(fx, 12) == 0)
		p.leaves_at = fx->now + (rnd(fx, 2) ? -3600 : 3600);
	if (reg_person_add(fx->ctx->reg, &p, &err))
		fail_msg("person: %s", err.msg);
	fx->npeople++;
	return i;
}

/* A serial of 1 to 40 hex digits, some short, none used yet. */
static void new_serial(struct fx *fx, char out[REG_SERIAL_MAX])
{
	static const char hex[] = "0123456789abcdef";
	int n = rnd(fx, 4) == 0 ? 1 + (int)rnd(fx, 4) : 30 + (int)rnd(fx, 11), i;

	for (i = 0; i < n; i++)
		out[i] = hex[i == 0 ? 1 + rnd(fx, 15) : rnd(fx, 16)];
	out[n] = '\0';
}

static void add_cert(struct fx *fx, int dev, const char *replaces)
{
	struct reg_cert c = { .state = REG_CERT_VALID };
	struct byod_err err;
	int k, rc;

	snprintf(c.device, sizeof(c.device), "%s", fx->devices[dev]);
	snprintf(c.replaces, sizeof(c.replaces), "%s", replaces ? replaces : "");
	c.not_after = fx->now + (rnd(fx, 8) == 0 ? -3600 : 86400 * (1 + (long)rnd(fx, 300)));
	c.not_before = fx->now - 86400;
	if (rnd(fx, 20) == 0 && c.not_after > fx->now + 86400)
		c.not_before = fx->now + 3600; /* not valid yet */
	c.first_seen = rnd(fx, 3) == 0 ? fx->now - 60 : 0;
	for (k = 0; k < 10; k++) {
		new_serial(fx, c.serial);
		rc = reg_cert_add(fx->ctx->reg, &c, &err);
		if (rc == -EEXIST)
			continue;
		if (rc == -ENOENT || rc == -EINVAL)
			return; /* its device erased, or a renewal the registry refuses */
		if (rc)
			fail_msg("certificate: %s", err.msg);
		fx->cert_device[fx->nserials] = dev;
		snprintf(fx->serials[fx->nserials++], REG_SERIAL_MAX, "%s", c.serial);
		return;
	}
}

static void add_device(struct fx *fx, int owner)
{
	static const enum byod_device_state st[] = { BYOD_DEVICE_ACTIVE, BYOD_DEVICE_ACTIVE,
						     BYOD_DEVICE_ACTIVE, BYOD_DEVICE_SUSPENDED,
						     BYOD_DEVICE_REVOKED, BYOD_DEVICE_RETIRED };
	struct reg_person p;
	struct reg_device d = { .kind = BYOD_KIND_PHONE };
	struct byod_err err;
	int i = fx->ndevices, n, rc;

	if (reg_person_get(fx->ctx->reg, fx->logins[owner], &p, &err))
		return; /* erased */
	d.owner = p.id;
	d.kind = (enum byod_kind)rnd(fx, BYOD_KIND_N);
	d.state = st[rnd(fx, 6)];
	d.created = fx->now - 100000 + i;
	snprintf(d.name, sizeof(d.name), "device %d", i);
	if (rnd(fx, 6))
		mac_of((int)rnd(fx, NMACS), d.mac);
	rc = reg_device_add(fx->ctx->reg, &d, &err);
	if (rc == -EEXIST) {
		/* a live device holds the MAC already: this one is retired */
		d.state = BYOD_DEVICE_RETIRED;
		d.id[0] = '\0';
		rc = reg_device_add(fx->ctx->reg, &d, &err);
	}
	if (rc)
		fail_msg("device: %s", err.msg);
	snprintf(fx->devices[fx->ndevices++], REG_ID_MAX, "%s", d.id);
	for (n = (int)rnd(fx, 3); n > 0; n--)
		add_cert(fx, i, NULL);
}

static void compare(const struct rad_query *q, const struct rad_answer *want,
		    const struct rad_answer *got, int explained)
{
	char what[200];

	snprintf(what, sizeof(what), "%s %s explain %d",
		 q->method == RAD_METHOD_MAC ? "mac" : "serial",
		 (q->method == RAD_METHOD_MAC ? q->mac : q->serial) ? (q->method == RAD_METHOD_MAC ? q->mac : q->serial) : "(null)",
		 explained);
	if (got->accept != want->accept || got->vlan != want->vlan ||
	    got->session_timeout != want->session_timeout || got->known != want->known ||
	    strcmp(got->school, want->school) || strcmp(got->segment, want->segment) ||
	    strcmp(got->counted, want->counted) || got->first_sighting != want->first_sighting ||
	    strcmp(got->serial, want->serial))
		fail_msg("%s: accept %d/%d vlan %d/%d known %d/%d school %s/%s segment %s/%s "
			 "counted %s/%s first %d/%d (%s)",
			 what, got->accept, want->accept, got->vlan, want->vlan, got->known,
			 want->known, got->school, want->school, got->segment, want->segment,
			 got->counted, want->counted, got->first_sighting, want->first_sighting,
			 want->reason);
	if (explained || !want->accept) {
		if (strcmp(got->rule, want->rule) || strcmp(got->reason, want->reason) ||
		    strcmp(got->device, want->device))
			fail_msg("%s: rule '%s'/'%s' reason '%s'/'%s' device '%s'/'%s'", what,
				 got->rule, want->rule, got->reason, want->reason, got->device,
				 want->device);
	} else if (got->rule[0] || got->reason[0] || got->device[0]) {
		fail_msg("%s: an accept without explain wrote '%s' '%s' '%s'", what, got->rule,
			 got->reason, got->device);
	}
}

static int ask(struct rad_index *ix, struct ref_index *ref, struct rad_query *q)
{
	struct rad_answer want, got;

	ref_index_decide(ref, q, &want);
	q->explain = true;
	rad_index_decide(ix, q, &got);
	compare(q, &want, &got, 1);
	q->explain = false;
	rad_index_decide(ix, q, &got);
	compare(q, &want, &got, 0);
	return want.known;
}

/* Every query of the pool; returns how many found a device. */
static int ask_all(struct fx *fx, struct rad_index *ix, struct ref_index *ref)
{
	struct rad_query q = { .now = fx->now };
	char mac[REG_MAC_MAX], form[64];
	int i, j, known = 0;
	static const char *const odd[] = { "", "zz", "02:00:00:00:00", "02:00:00:00:00:00:01",
					   "0x12", "12345", "-", "g1" };

	q.method = RAD_METHOD_MAC;
	for (i = 0; i < NMACS + 4; i++) {
		mac_of(i, mac);
		q.mac = mac;
		known += ask(ix, ref, &q);
		for (j = 0; mac[j]; j++)
			form[j] = mac[j] == ':' ? '-' : (char)toupper((unsigned char)mac[j]);
		form[j] = '\0';
		q.mac = form;
		ask(ix, ref, &q);
		snprintf(form, sizeof(form), "0200.0000.%c%c%c%c", mac[12], mac[13], mac[15],
			 mac[16]);
		ask(ix, ref, &q);
	}
	for (i = 0; i < 8; i++) {
		q.mac = odd[i];
		ask(ix, ref, &q);
	}
	q.mac = NULL;
	ask(ix, ref, &q);
	q.method = RAD_METHOD_TLS;
	q.mac = "02:00:00:00:00:01";
	for (i = 0; i < fx->nserials; i++) {
		const char *s = fx->serials[i];

		q.serial = s;
		known += ask(ix, ref, &q);
		for (j = 0; s[j]; j++)
			form[j] = (char)toupper((unsigned char)s[j]);
		form[j] = '\0';
		q.serial = form;
		ask(ix, ref, &q);
		snprintf(form, sizeof(form), "0x00%s", s);
		ask(ix, ref, &q);
		snprintf(form, sizeof(form), "%c:%s", s[0], s + 1);
		ask(ix, ref, &q);
		snprintf(form, sizeof(form), "%sf", s); /* unknown, maybe too long */
		ask(ix, ref, &q);
	}
	for (i = 0; i < 8; i++) {
		q.serial = odd[i];
		ask(ix, ref, &q);
	}
	q.serial = "00";
	ask(ix, ref, &q);
	q.serial = NULL;
	ask(ix, ref, &q);
	return known;
}

static void same_counts(struct rad_index *ix, struct ref_index *ref)
{
	struct rad_index_stats a, b;

	rad_index_stats(ix, &a);
	ref_index_stats(ref, &b);
	assert_int_equal(a.devices, b.devices);
	assert_int_equal(a.certs, b.certs);
	assert_int_equal(a.people, b.people);
	assert_int_equal(a.seq, b.seq);
	assert_true(a.bytes > 0);
}

struct ids {
	char (*v)[REG_ID_MAX];
	int n;
};

static int add_id(const struct reg_device *d, void *arg)
{
	struct ids *ids = arg;

	if (ids->n < 64)
		snprintf(ids->v[ids->n++], REG_ID_MAX, "%s", d->id);
	return 0;
}

/* An erasure takes revoked devices only: login's are revoked first. */
static void erase_devices(struct fx *fx, const char *login)
{
	char v[64][REG_ID_MAX];
	struct ids ids = { v, 0 };
	struct reg_device_filter f = { .owner_login = login, .state = -1 };
	struct byod_err err;
	int i;

	if (reg_device_list(fx->ctx->reg, &f, add_id, &ids, &err))
		fail_msg("%s", err.msg);
	for (i = 0; i < ids.n; i++)
		if (reg_device_set_state(fx->ctx->reg, v[i], BYOD_DEVICE_REVOKED, &err))
			fail_msg("%s", err.msg);
}

static void change(struct fx *fx)
{
	struct reg *reg = fx->ctx->reg;
	struct byod_err err;
	struct reg_person p;
	char mac[REG_MAC_MAX], pseud[32];
	int i, rc = 0;

	switch (rnd(fx, 10)) {
	case 0:
		add_device(fx, add_person(fx));
		break;
	case 1:
		add_device(fx, (int)rnd(fx, (uint32_t)fx->npeople));
		break;
	case 2: /* a state changes: the MAC may pass to another device */
		i = (int)rnd(fx, (uint32_t)fx->ndevices);
		rc = reg_device_set_state(reg, fx->devices[i], (enum byod_device_state)rnd(fx, 4),
					  &err);
		break;
	case 3: /* a MAC moves (or goes) */
		i = (int)rnd(fx, (uint32_t)fx->ndevices);
		mac_of((int)rnd(fx, NMACS), mac);
		rc = reg_device_set_mac(reg, fx->devices[i], rnd(fx, 5) ? mac : "", &err);
		break;
	case 4:
		if (fx->nserials)
			rc = reg_cert_revoke(reg, fx->serials[rnd(fx, (uint32_t)fx->nserials)], 1,
					     fx->now - 10, &err);
		break;
	case 5: /* a renewal */
		if (!fx->nserials)
			break;
		i = (int)rnd(fx, (uint32_t)fx->nserials);
		add_cert(fx, fx->cert_device[i], fx->serials[i]);
		break;
	case 6: /* the owner moves: groups, school, role */
		i = (int)rnd(fx, (uint32_t)fx->npeople);
		if (reg_person_get(reg, fx->logins[i], &p, &err))
			break;
		snprintf(p.groups, sizeof(p.groups), "%s", groups[rnd(fx, 6)]);
		if (rnd(fx, 3) == 0)
			snprintf(p.school, sizeof(p.school), "%s",
				 strcmp(p.school, UAI) ? UAI : UAI2);
		if (rnd(fx, 4) == 0)
			p.role = (enum byod_role)rnd(fx, BYOD_ROLE_N);
		rc = reg_person_update(reg, &p, &err);
		break;
	case 7:
		i = (int)rnd(fx, (uint32_t)fx->npeople);
		rc = reg_person_set_state(reg, fx->logins[i],
					  rnd(fx, 2) ? REG_PERSON_DISABLED : REG_PERSON_ACTIVE, &err);
		break;
	case 8:
		i = (int)rnd(fx, (uint32_t)fx->npeople);
		rc = reg_person_set_leaves_at(reg, fx->logins[i],
					      rnd(fx, 2) ? fx->now - 60 : 0, &err);
		break;
	case 9: /* erased with their devices and certificates */
		if (rnd(fx, 3))
			break;
		i = (int)rnd(fx, (uint32_t)fx->npeople);
		snprintf(pseud, sizeof(pseud), "erased-%d", fx->erased++);
		erase_devices(fx, fx->logins[i]);
		rc = reg_person_remove(reg, fx->logins[i], pseud, "person.erase", fx->now, NULL,
				       &err);
		break;
	}
	/* a change the registry refuses (a MAC a live device holds, a
	 * certificate revoked already, an erased owner) is no change */
	if (rc == -EIO || rc == -ENOMEM || rc == -EBUSY)
		fail_msg("change: %s", err.msg);
}

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	const char *seed = getenv("BYOD_TEST_SEED");
	struct byod_init_params ip = { .uai = UAI, .name = "Test", .yescrypt_cost = 1 };
	struct reg_school s2 = { .uai = UAI2, .name = "Lycée" };
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->rng = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ULL;
	if (!fx->rng)
		fx->rng = 1;
	fx->now = time(NULL);
	fx->logins = calloc(4000, sizeof(*fx->logins));
	fx->devices = calloc(4000, sizeof(*fx->devices));
	fx->serials = calloc(12000, sizeof(*fx->serials));
	fx->cert_device = calloc(12000, sizeof(*fx->cert_device));
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/index-compact.XXXXXX", base ? base : "/tmp");
	if (!fx->logins || !fx->devices || !fx->serials || !fx->cert_device || !mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &ip, &err) || byod_open(fx->home, "test", &fx->ctx, &err) ||
	    reg_school_add(fx->ctx->reg, &s2, &err)) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return -1;
	}
	write_policy(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx->logins);
	free(fx->devices);
	free(fx->serials);
	free(fx->cert_device);
	free(fx);
	return rc ? -1 : 0;
}

static void open_both(struct fx *fx, struct rad_index **ix, struct ref_index **ref)
{
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct byod_err err;
	int degraded;

	if (rad_index_open(&o, ix, &degraded, &err) || degraded)
		fail_msg("rad_index_open: %s", err.msg);
	if (ref_index_open(&o, ref, &degraded, &err) || degraded)
		fail_msg("ref_index_open: %s", err.msg);
}

static void refresh_both(struct rad_index *ix, struct ref_index *ref)
{
	struct byod_err err;
	int a, b;

	if (rad_index_refresh(ix, &a, &err))
		fail_msg("refresh: %s", err.msg);
	if (ref_index_refresh(ref, &b, &err))
		fail_msg("reference refresh: %s", err.msg);
	assert_int_equal(a, b);
}

/* Certificates whose serial is not in the registry's form (a leading zero,
 * capitals), written past the registry as a bulk fill might: found by no
 * request, yet their device holds a certificate. */
static void add_odd_serials(struct fx *fx)
{
	static const char *const odd[] = { "00abc123", "ABC124", "0F", "Ab1" };
	char path[700], sql[300];
	sqlite3 *db;
	size_t i;

	snprintf(path, sizeof(path), "%s/registry.db", fx->home);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		int dev = (int)rnd(fx, (uint32_t)fx->ndevices);

		snprintf(sql, sizeof(sql),
			 "INSERT INTO certificates (serial, device, not_before, not_after, state) "
			 "VALUES ('%s', '%s', %lld, %lld, 'valid')",
			 odd[i], fx->devices[dev], (long long)fx->now - 60,
			 (long long)fx->now + 86400 * 400);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			fail_msg("%s", sqlite3_errmsg(db));
		fx->cert_device[fx->nserials] = dev;
		snprintf(fx->serials[fx->nserials++], REG_SERIAL_MAX, "%s", odd[i]);
	}
	sqlite3_close(db);
}

/* the compact index answers as the reference does, loaded and followed */
static void test_same_answers(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct ref_index *ref;
	int i, round, known;

	for (i = 0; i < 150; i++)
		add_person(fx);
	for (i = 0; i < 300; i++)
		add_device(fx, (int)rnd(fx, (uint32_t)fx->npeople));
	add_odd_serials(fx);
	open_both(fx, &ix, &ref);
	same_counts(ix, ref);
	known = ask_all(fx, ix, ref);
	assert_true(known > NMACS); /* most MACs and serials name a device */
	for (round = 0; round < 8; round++) {
		for (i = 0; i < 60; i++)
			change(fx);
		refresh_both(ix, ref);
		same_counts(ix, ref);
		ask_all(fx, ix, ref);
	}
	assert_true(fx->erased > 0);
	rad_index_free(ix);
	ref_index_free(ref);
	/* what the changes left, loaded afresh (the bulk read) */
	open_both(fx, &ix, &ref);
	same_counts(ix, ref);
	ask_all(fx, ix, ref);
	rad_index_free(ix);
	ref_index_free(ref);
}

/*
 * A registry bigger than the loader's batches (rows read in one thread,
 * put into the maps in another, in batches of 512): people whose groups
 * overflow a batch's text, devices sharing a MAC (a retired one before a
 * live one, and after it), revoked certificates and renewals, then every
 * MAC and serial asked of the compact index and of the reference.
 */
static void test_big_load(void **state)
{
	struct fx *fx = *state;
	struct rad_index *ix;
	struct ref_index *ref;
	struct rad_index_stats st;
	struct rad_query q = { .now = fx->now };
	char path[700], sql[4000], mac[REG_MAC_MAX], serial[REG_SERIAL_MAX];
	sqlite3 *db;
	int i, known = 0;
	enum { P = 1500, D = 3000 };

	snprintf(path, sizeof(path), "%s/registry.db", fx->home);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "BEGIN;"
		 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %d) "
		 "INSERT INTO people (id, login, display_name, role, school, \"groups\", state, "
		 "created) SELECT 5000 + i, printf('big%%05d', i), 'Big', "
		 "CASE WHEN i %% 9 = 0 THEN 'teacher' ELSE 'student' END, "
		 "CASE WHEN i %% 5 = 0 THEN '%s' ELSE '%s' END, "
		 "CASE WHEN i %% 3 = 0 THEN printf('latin g%%05d-%%s', i, "
		 "  substr(hex(zeroblob(120)), 1, 60 + i %% 160)) "
		 "  ELSE printf('4B g%%d', i %% 17) END, "
		 "CASE WHEN i %% 11 = 0 THEN 'disabled' ELSE 'active' END, %lld FROM k;"
		 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %d) "
		 "INSERT INTO devices (id, owner, name, kind, mac, state, created) "
		 "SELECT printf('%%08x-0000-4000-8000-%%012x', i + 65536, i), 5000 + i / 2, 'd', "
		 "CASE i %% 4 WHEN 0 THEN 'phone' WHEN 1 THEN 'tablet' WHEN 2 THEN 'laptop' "
		 "  ELSE 'other' END, "
		 "CASE WHEN i %% 13 = 0 THEN NULL "
		 "  ELSE printf('02:00:01:00:%%02x:%%02x', (i %% 2900 >> 8) & 255, i %% 2900 & 255) END, "
		 "CASE WHEN i %% 2900 < 100 AND i < 2900 AND i %% 2 = 0 THEN 'retired' "
		 "  WHEN i >= 2900 AND i %% 2 = 1 THEN 'retired' "
		 "  WHEN i %% 17 = 0 THEN 'suspended' WHEN i %% 19 = 0 THEN 'revoked' "
		 "  ELSE 'active' END, %lld + i FROM k;"
		 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %d) "
		 "INSERT INTO certificates (serial, device, not_before, not_after, state, revoked_at, "
		 "reason, replaces) "
		 "SELECT printf('%%x', i + 4096), printf('%%08x-0000-4000-8000-%%012x', i + 65536, i), "
		 "%lld - 60, %lld + 86400 * (1 + i %% 300) - (CASE WHEN i %% 10 = 0 THEN 86400 * 400 "
		 "  ELSE 0 END), "
		 "CASE WHEN i %% 7 = 0 THEN 'revoked' ELSE 'valid' END, "
		 "CASE WHEN i %% 7 = 0 THEN %lld ELSE NULL END, CASE WHEN i %% 7 = 0 THEN 1 ELSE NULL END, "
		 "CASE WHEN i %% 5 = 0 AND i > 0 THEN printf('%%x', i + 4095) ELSE '' END FROM k;"
		 "COMMIT;",
		 P, UAI, UAI2, (long long)fx->now, D, (long long)fx->now - 200000, D,
		 (long long)fx->now, (long long)fx->now, (long long)fx->now);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	open_both(fx, &ix, &ref);
	same_counts(ix, ref);
	rad_index_stats(ix, &st);
	assert_int_equal(st.devices, D);
	assert_int_equal(st.certs, D);
	assert_true(st.people >= P);
	assert_true(st.load_s > 0);
	q.method = RAD_METHOD_MAC;
	for (i = 0; i < 2900; i++) {
		snprintf(mac, sizeof(mac), "02:00:01:00:%02x:%02x", (i >> 8) & 255, i & 255);
		q.mac = mac;
		known += ask(ix, ref, &q);
	}
	q.method = RAD_METHOD_TLS;
	q.mac = "02:00:01:00:00:01";
	for (i = 0; i < D; i++) {
		snprintf(serial, sizeof(serial), "%x", i + 4096);
		q.serial = serial;
		known += ask(ix, ref, &q);
	}
	assert_true(known > D);
	rad_index_free(ix);
	ref_index_free(ref);
}

static void mab(struct rad_index *ix, const char *mac, struct rad_answer *a)
{
	struct rad_query q = { .method = RAD_METHOD_MAC, .mac = mac, .now = time(NULL),
			       .explain = true };

	rad_index_decide(ix, &q, a);
}

static void tls(struct rad_index *ix, const char *serial, struct rad_answer *a)
{
	struct rad_query q = { .method = RAD_METHOD_TLS, .serial = serial, .now = time(NULL) };

	rad_index_decide(ix, &q, a);
}

static struct reg_device enrol(struct fx *fx, const char *login, const char *grp,
			       enum byod_device_state st, const char *mac, time_t created)
{
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .school = UAI };
	struct reg_device d = { .kind = BYOD_KIND_PHONE, .state = st, .created = created };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.groups, sizeof(p.groups), "%s", grp);
	if (reg_person_get(fx->ctx->reg, login, &p, &err) &&
	    reg_person_add(fx->ctx->reg, &p, &err))
		fail_msg("%s", err.msg);
	d.owner = p.id;
	snprintf(d.name, sizeof(d.name), "phone");
	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	if (reg_device_add(fx->ctx->reg, &d, &err))
		fail_msg("%s", err.msg);
	return d;
}

/* named cases: MAC collisions, erase, serial spellings, renewal, a move */
static void test_expected(void **state)
{
	struct fx *fx = *state;
	struct reg *reg = fx->ctx->reg;
	struct rad_index_options o = { .home = fx->home, .registration_vlan = 99 };
	struct rad_index *ix;
	struct rad_answer a;
	struct reg_device d1, d2;
	struct reg_cert c = { .state = REG_CERT_VALID };
	struct reg_person p;
	struct byod_err err;
	int degraded, n;

	/* two devices carried one MAC: the live one holds it, whichever came last */
	d1 = enrol(fx, "ana", "4B", BYOD_DEVICE_ACTIVE, "02:00:00:00:0a:01", fx->now - 20);
	d2 = enrol(fx, "bob", "4B latin", BYOD_DEVICE_RETIRED, "02:00:00:00:0a:01", fx->now - 10);
	snprintf(c.serial, sizeof(c.serial), "0ab");
	snprintf(c.device, sizeof(c.device), "%s", d2.id);
	c.not_before = fx->now - 60;
	c.not_after = fx->now + 86400;
	if (reg_cert_add(reg, &c, &err))
		fail_msg("%s", err.msg);
	if (rad_index_open(&o, &ix, &degraded, &err) || degraded)
		fail_msg("%s", err.msg);
	mab(ix, "02-00-00-00-0A-01", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	assert_string_equal(a.device, d1.id);
	/* a serial in any spelling FreeRADIUS or a person gives */
	tls(ix, "ab", &a);
	assert_false(a.accept);
	assert_true(a.known);
	assert_string_equal(a.counted, "device-state");
	assert_string_equal(a.device, d2.id);
	tls(ix, "0x00AB", &a);
	assert_string_equal(a.device, d2.id);
	tls(ix, "a:b", &a);
	assert_string_equal(a.device, d2.id);
	tls(ix, "abc", &a);
	assert_false(a.known);
	assert_string_equal(a.reason, "certificate abc is not in the registry");

	/* ana's retired: hers is still the MAC's device (changed last) */
	if (reg_device_set_state(reg, d1.id, BYOD_DEVICE_RETIRED, &err) ||
	    rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	mab(ix, "02:00:00:00:0a:01", &a);
	assert_false(a.accept);
	assert_string_equal(a.counted, "device-state");
	assert_string_equal(a.device, d1.id);
	/* bob's comes back: the live device holds the MAC */
	if (reg_device_set_state(reg, d2.id, BYOD_DEVICE_ACTIVE, &err) ||
	    rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(n, 1);
	mab(ix, "02:00:00:00:0a:01", &a);
	assert_string_equal(a.device, d2.id);
	assert_int_equal(a.vlan, 10); /* by MAC, a device with a certificate: mab-segment */
	tls(ix, "ab", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 40);
	/* bob moves out of latin */
	if (reg_person_get(reg, "bob", &p, &err))
		fail_msg("%s", err.msg);
	snprintf(p.groups, sizeof(p.groups), "4B");
	if (reg_person_update(reg, &p, &err) || rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	tls(ix, "ab", &a);
	assert_true(a.accept);
	assert_int_equal(a.vlan, 20);
	/* a renewal of ab, never seen: its first accept is a first sighting */
	snprintf(c.serial, sizeof(c.serial), "1234567890abcdef1234567890abcdef12345678");
	snprintf(c.replaces, sizeof(c.replaces), "ab");
	if (reg_cert_add(reg, &c, &err) || rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	tls(ix, "1234567890ABCDEF1234567890ABCDEF12345678", &a);
	assert_true(a.accept);
	assert_true(a.first_sighting);
	assert_string_equal(a.serial, "1234567890abcdef1234567890abcdef12345678");
	/* ab revoked: refused by its serial, not the renewal's first sighting */
	if (reg_cert_revoke(reg, "ab", 1, fx->now - 1, &err) || rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	tls(ix, "ab", &a);
	assert_false(a.accept);
	assert_string_equal(a.counted, "cert-revoked");
	tls(ix, "1234567890abcdef1234567890abcdef12345678", &a);
	assert_true(a.accept);
	assert_false(a.first_sighting);
	/* bob erased: his device leaves, and its MAC with it, even though
	 * ana's phone carries it too, until the next full load */
	erase_devices(fx, "bob");
	if (reg_person_remove(reg, "bob", "erased-bob", "person.erase", fx->now, NULL, &err) ||
	    rad_index_refresh(ix, &n, &err))
		fail_msg("%s", err.msg);
	mab(ix, "02:00:00:00:0a:01", &a);
	assert_true(a.accept);
	assert_false(a.known);
	assert_int_equal(a.vlan, 10);
	tls(ix, "1234567890abcdef1234567890abcdef12345678", &a);
	assert_false(a.accept);
	assert_false(a.known);
	rad_index_free(ix);
	if (rad_index_open(&o, &ix, &degraded, &err) || degraded)
		fail_msg("%s", err.msg);
	mab(ix, "02:00:00:00:0a:01", &a);
	assert_true(a.known);
	assert_false(a.accept);
	assert_string_equal(a.device, d1.id);
	rad_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
