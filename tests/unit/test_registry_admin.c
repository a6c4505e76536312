// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the console's part of the registry: administrators (the
 * role's school rules, updates, audit rows without hashes or secrets), the
 * scope of each role, the scoped searches of devices, people and the audit
 * log (a table of scopes, each asserting that no row of another school is
 * returned and that a get outside the scope is -ENOENT), the school each
 * audit row is given when written, TOTP steps (a replay refused, also by
 * processes racing with one code), API tokens (lookup, expiry) and console
 * sessions (touch, second factor, purge).
 *
 * It runs on both backends (test_registry_admin_pg: registry_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "registry_fixture.h"

#define UAI_C  "0330003C" /* a school with no administrator */
#define HASH_Y "$y$j9T$abcdefghijklmnop$0123456789012345678901234567890123456789012"
#define SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static const char *hash64(unsigned long n)
{
	static char buf[8][REG_HASH_HEX];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%064lx", n);
	return buf[k];
}

static void fill_admin(struct reg_admin *a, const char *login, enum reg_admin_role role,
		       const char *schools)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->login, sizeof(a->login), "%s", login);
	snprintf(a->display_name, sizeof(a->display_name), "Admin %s", login);
	a->role = role;
	snprintf(a->schools, sizeof(a->schools), "%s", schools);
	snprintf(a->password_hash, sizeof(a->password_hash), "%s", HASH_Y);
	a->state = REG_PERSON_ACTIVE;
}

static int64_t add_admin(struct fx *f, const char *login, enum reg_admin_role role,
			 const char *schools)
{
	struct reg_admin a;

	fill_admin(&a, login, role, schools);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
	assert_true(a.id > 0);
	return a.id;
}

static int64_t add_person_at(struct fx *f, const char *login, const char *school, const char *name,
			     enum byod_role role)
{
	struct reg_person p;

	fill_person(&p, login, school);
	if (name)
		snprintf(p.display_name, sizeof(p.display_name), "%s", name);
	p.role = role;
	assert_int_equal(reg_person_add(f->reg, &p, &f->err), 0);
	return p.id;
}

struct rows {
	int n;
	char v[MAXN][REG_NAME_MAX];
	char school[MAXN][REG_UAI_MAX];
	int64_t id[MAXN];
};

static int row_device(const struct reg_device *d, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < MAXN);
	snprintf(r->v[r->n], sizeof(r->v[0]), "%s", d->name);
	snprintf(r->school[r->n], sizeof(r->school[0]), "%s", d->school);
	r->n++;
	return 0;
}

static int row_person(const struct reg_person *p, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < MAXN);
	snprintf(r->v[r->n], sizeof(r->v[0]), "%s", p->login);
	snprintf(r->school[r->n], sizeof(r->school[0]), "%s", p->school);
	r->n++;
	return 0;
}

static int row_audit(const struct reg_audit *a, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < MAXN);
	snprintf(r->v[r->n], sizeof(r->v[0]), "%s %s", a->action, a->object);
	snprintf(r->school[r->n], sizeof(r->school[0]), "%s", a->school);
	r->id[r->n] = a->id;
	r->n++;
	return 0;
}

static int row_school(const struct reg_school *sc, void *arg)
{
	struct rows *r = arg;

	assert_true(r->n < MAXN);
	snprintf(r->v[r->n++], sizeof(r->v[0]), "%s", sc->uai);
	return 0;
}

static int has(const struct rows *r, const char *v)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->v[i], v))
			return 1;
	return 0;
}

/* ---- the world of the scope tests -------------------------------------- */

struct world {
	struct reg_device da, db, dn; /* a pupil's of A, of B, of a person of no school */
	int64_t pa, pb, pn;
};

/* Schools A, B and C; in A: "alice" (phone "alice-phone", serial 1a1a);
 * in B: "bob" ("bob-phone", serial 1b1b); no school: "nina" ("nina-phone",
 * serial 1c1c); one audit row of each, and one of none. */
static void world(struct fx *f, struct world *w)
{
	struct reg_cert c;

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	add_school(f, UAI_C, "Collège C");
	w->pa = add_person_at(f, "alice", UAI_A, "Alice Martin", BYOD_ROLE_STUDENT);
	w->pb = add_person_at(f, "bob", UAI_B, "Bob Durand", BYOD_ROLE_TEACHER);
	w->pn = add_person_at(f, "nina", NULL, "Nina Nowhere", BYOD_ROLE_GUEST);
	add_device(f, w->pa, "alice-phone", "02:00:00:00:00:0a", &w->da);
	add_device(f, w->pb, "bob-phone", "02:00:00:00:00:0b", &w->db);
	add_device(f, w->pn, "nina-phone", "02:00:00:00:00:0c", &w->dn);
	fill_cert(&c, "1a1a", w->da.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "1b1b", w->db.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
	fill_cert(&c, "1c1c", w->dn.id);
	assert_int_equal(reg_cert_add(f->reg, &c, &f->err), 0);
}

/* ---- administrators ------------------------------------------------------ */

static void test_roles_and_rules(void **state)
{
	struct fx *f = *state;
	struct reg_admin a, got;
	enum reg_admin_role r;

	assert_string_equal(reg_admin_role_name(REG_ADMIN_DEPARTEMENT), "departement");
	assert_string_equal(reg_admin_role_name(REG_ADMIN_SCHOOL), "school");
	assert_string_equal(reg_admin_role_name(REG_ADMIN_AUDITOR), "auditor");
	assert_null(reg_admin_role_name((enum reg_admin_role)7));
	assert_int_equal(reg_admin_role_parse("Auditor", &r), 0);
	assert_int_equal(r, REG_ADMIN_AUDITOR);
	assert_int_equal(reg_admin_role_parse("root", &r), -EINVAL);

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");

	/* a login the audit log's actor "admin:LOGIN" holds whole, no longer */
	{
		char login[REG_ADMIN_LOGIN_MAX + 2], actor[sizeof(a.login) + 8];

		memset(login, 'x', REG_ADMIN_LOGIN_MAX + 1);
		login[REG_ADMIN_LOGIN_MAX + 1] = '\0';
		fill_admin(&a, login, REG_ADMIN_DEPARTEMENT, "");
		assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
		login[REG_ADMIN_LOGIN_MAX] = '\0';
		fill_admin(&a, login, REG_ADMIN_DEPARTEMENT, "");
		assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
		snprintf(actor, sizeof(actor), "admin:%s", a.login);
		assert_int_equal(reg_set_actor(f->reg, actor), 0);
		assert_int_equal(reg_set_actor(f->reg, "test:unit"), 0);
	}

	/* a school administrator needs a school, a known one */
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, "");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, UAI_C);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -ENOENT);
	assert_non_null(strstr(f->err.msg, UAI_C));
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, "07512");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	/* the département has no list */
	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, UAI_A);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	/* logins of the console's alphabet only; hashes in crypt(3) form */
	fill_admin(&a, "Bad Login", REG_ADMIN_DEPARTEMENT, "");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, "");
	snprintf(a.password_hash, sizeof(a.password_hash), "plaintext");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, "");
	snprintf(a.totp_secret, sizeof(a.totp_secret), "not base32!");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, "");
	a.role = (enum reg_admin_role)9;
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EINVAL);
	/* none of these was written */
	assert_int_equal(reg_admin_get(f->reg, "ref", &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), -ENOENT);

	/* the list is normalised: single spaces, no duplicate */
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, "  " UAI_B "   " UAI_A " " UAI_B " ");
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "ref", &got, &f->err), 0);
	assert_string_equal(got.schools, UAI_B " " UAI_A);
	assert_int_equal(got.role, REG_ADMIN_SCHOOL);
	assert_int_equal(got.id, a.id);
	assert_true(got.created > 0);
	assert_string_equal(got.password_hash, HASH_Y);
	assert_int_equal(reg_admin_add(f->reg, &a, &f->err), -EEXIST);

	add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	add_admin(f, "aud", REG_ADMIN_AUDITOR, "");
	add_admin(f, "aud-a", REG_ADMIN_AUDITOR, UAI_A);
	assert_int_equal(reg_admin_get_by_id(f->reg, a.id, &got, &f->err), 0);
	assert_string_equal(got.login, "ref");
	assert_int_equal(reg_admin_get_by_id(f->reg, 9999, &got, &f->err), -ENOENT);
}

struct logins {
	int n;
	char v[8][REG_LOGIN_MAX];
};

static int collect_admin(const struct reg_admin *a, void *arg)
{
	struct logins *l = arg;

	assert_true(l->n < 8);
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", a->login);
	return 0;
}

/* Updates, passwords and TOTP secrets are audited, never with the hash or the secret. */
static void test_changes_audited(void **state)
{
	struct fx *f = *state;
	struct reg_admin a, got;
	struct reg_scope all;
	struct reg_audit_filter af = {0};
	struct rows r = {0};
	struct logins l = {0};
	struct audits au = {0};
	int i;

	add_school(f, UAI_A, "Collège A");
	add_school(f, UAI_B, "Collège B");
	add_admin(f, "ref", REG_ADMIN_SCHOOL, UAI_A);
	add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");

	assert_int_equal(reg_admin_list(f->reg, collect_admin, &l, &f->err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "dsi");
	assert_string_equal(l.v[1], "ref");

	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, UAI_A " " UAI_B);
	snprintf(a.display_name, sizeof(a.display_name), "Référente");
	assert_int_equal(reg_admin_update(f->reg, &a, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "ref", &got, &f->err), 0);
	assert_string_equal(got.schools, UAI_A " " UAI_B);
	assert_string_equal(got.display_name, "Référente");
	/* the rules hold on update too, and nothing is written */
	a.role = REG_ADMIN_DEPARTEMENT;
	assert_int_equal(reg_admin_update(f->reg, &a, &f->err), -EINVAL);
	a.role = REG_ADMIN_SCHOOL;
	snprintf(a.schools, sizeof(a.schools), UAI_C);
	assert_int_equal(reg_admin_update(f->reg, &a, &f->err), -ENOENT);
	fill_admin(&a, "ghost", REG_ADMIN_DEPARTEMENT, "");
	assert_int_equal(reg_admin_update(f->reg, &a, &f->err), -ENOENT);

	assert_int_equal(reg_admin_set_password(f->reg, "ref", "$y$j9T$other$xyz", &f->err), 0);
	assert_int_equal(reg_admin_set_password(f->reg, "ref", "secret", &f->err), -EINVAL);
	assert_int_equal(reg_admin_set_totp(f->reg, "ref", SECRET, 1, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "ref", &got, &f->err), 0);
	assert_string_equal(got.password_hash, "$y$j9T$other$xyz");
	assert_string_equal(got.totp_secret, SECRET);
	assert_int_equal(got.totp_enrolled, 1);

	reg_scope_all(&all);
	af.action = "admin.";
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 5); /* add, add, update, password, totp */
	assert_true(has(&r, "admin.add ref"));
	assert_true(has(&r, "admin.update ref"));
	assert_true(has(&r, "admin.password ref"));
	assert_true(has(&r, "admin.totp ref"));
	for (i = 0; i < r.n; i++)
		assert_string_equal(r.school[i], "");
	/* no hash and no secret in any row */
	assert_int_equal(reg_audit_list(f->reg, 0, collect_audit, &au, &f->err), 0);
	for (i = 0; i < au.n; i++) {
		assert_null(au.v[i].after ? strstr(au.v[i].after, "$y$") : NULL);
		assert_null(au.v[i].before ? strstr(au.v[i].before, "$y$") : NULL);
		assert_null(au.v[i].after ? strstr(au.v[i].after, SECRET) : NULL);
		assert_null(au.v[i].before ? strstr(au.v[i].before, SECRET) : NULL);
	}
	audits_free(&au);

	/* an update that changes nothing writes no row */
	got.totp_enrolled = 0; /* not an update field */
	assert_int_equal(reg_admin_update(f->reg, &got, &f->err), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 5);
}

static void test_scope_basics(void **state)
{
	struct fx *f = *state;
	struct reg_scope s;
	struct reg_admin a;

	(void)f;
	reg_scope_all(&s);
	assert_true(s.all);
	assert_true(reg_scope_has(&s, UAI_A));
	assert_true(reg_scope_has(&s, ""));

	assert_int_equal(reg_scope_set(&s, " " UAI_A "  " UAI_B " " UAI_A, &f->err), 0);
	assert_false(s.all);
	assert_string_equal(s.schools, UAI_A " " UAI_B);
	assert_true(reg_scope_has(&s, UAI_A));
	assert_true(reg_scope_has(&s, UAI_B));
	assert_false(reg_scope_has(&s, UAI_C));
	assert_false(reg_scope_has(&s, ""));
	assert_false(reg_scope_has(&s, "0751234")); /* a part of a UAI is not one */
	assert_false(reg_scope_has(&s, UAI_A " " UAI_B));
	assert_int_equal(reg_scope_set(&s, "", &f->err), -EINVAL);
	assert_false(s.all);
	assert_int_equal(reg_scope_set(&s, "   ", &f->err), -EINVAL);
	assert_int_equal(reg_scope_set(&s, UAI_A " nope", &f->err), -EINVAL);
	assert_false(s.all);
	assert_false(reg_scope_has(&s, UAI_A));

	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, "");
	reg_scope_of_admin(&a, &s);
	assert_true(s.all);
	fill_admin(&a, "aud", REG_ADMIN_AUDITOR, "");
	reg_scope_of_admin(&a, &s);
	assert_true(s.all);
	fill_admin(&a, "aud", REG_ADMIN_AUDITOR, UAI_B);
	reg_scope_of_admin(&a, &s);
	assert_false(s.all);
	assert_string_equal(s.schools, UAI_B);
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, UAI_A);
	reg_scope_of_admin(&a, &s);
	assert_false(s.all);
	assert_true(reg_scope_has(&s, UAI_A));
	assert_false(reg_scope_has(&s, UAI_B));
	/* a school administrator without a school, or disabled, sees nothing */
	fill_admin(&a, "ref", REG_ADMIN_SCHOOL, "");
	reg_scope_of_admin(&a, &s);
	assert_false(s.all);
	assert_false(reg_scope_has(&s, UAI_A));
	fill_admin(&a, "dsi", REG_ADMIN_DEPARTEMENT, "");
	a.state = REG_PERSON_DISABLED;
	reg_scope_of_admin(&a, &s);
	assert_false(s.all);
	assert_false(reg_scope_has(&s, UAI_A));
}

/*
 * The isolation table: for each scope, every search and get returns the
 * rows of its schools and no other; a get outside is -ENOENT with the
 * sentence of an absent row.
 */
static void test_scope_isolation(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope sc;
	struct reg_device d;
	struct reg_person p;
	struct reg_device_search ds = {.state = -1};
	struct reg_person_search ps = {.role = -1, .state = -1};
	struct reg_audit_filter af = {0};
	struct rows r;
	char absent[sizeof(f->err.msg)];
	static const struct {
		const char *scope; /* NULL: every school; "-": a scope of no school */
		int a, b, n;	   /* sees alice's, bob's, nina's */
	} table[] = {
		{NULL, 1, 1, 1},  {UAI_A, 1, 0, 0}, {UAI_B, 0, 1, 0}, {UAI_A " " UAI_B, 1, 1, 0},
		{UAI_C, 0, 0, 0}, {"-", 0, 0, 0},
	};
	static const char *const devices[] = {"alice-phone", "bob-phone", "nina-phone"};
	static const char *const logins[] = {"alice", "bob", "nina"};
	static const char *const serials[] = {"1A:1A", "1b1b", "0x1c1c"};
	size_t t;
	int k;

	world(f, &w);
	assert_int_equal(
		reg_audit_add_school(f->reg, "", "registry.note", "x", NULL, NULL, &f->err), 0);
	for (t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
		const struct reg_device *dev[] = {&w.da, &w.db, &w.dn};
		int want[3] = {table[t].a, table[t].b, table[t].n}, nwant = 0;

		if (!table[t].scope)
			reg_scope_all(&sc);
		else if (!strcmp(table[t].scope, "-"))
			memset(&sc, 0, sizeof(sc));
		else
			assert_int_equal(reg_scope_set(&sc, table[t].scope, &f->err), 0);
		for (k = 0; k < 3; k++)
			nwant += want[k];

		/* searches without text: exactly the scope's rows */
		memset(&r, 0, sizeof(r));
		k = -1;
		assert_int_equal(reg_device_search(f->reg, &sc, &ds, row_device, &r, &k, &f->err),
				 0);
		assert_int_equal(r.n, nwant);
		assert_int_equal(k, nwant);
		for (k = 0; k < 3; k++)
			assert_int_equal(has(&r, devices[k]), want[k]);
		memset(&r, 0, sizeof(r));
		assert_int_equal(reg_person_search(f->reg, &sc, &ps, row_person, &r, &k, &f->err),
				 0);
		assert_int_equal(r.n, nwant);
		assert_int_equal(k, nwant);
		for (k = 0; k < 3; k++)
			assert_int_equal(has(&r, logins[k]), want[k]);

		for (k = 0; k < 3; k++) {
			/* a search naming another school's row finds nothing */
			struct reg_device_search one = {.text = logins[k], .state = -1};
			int total = -1;

			memset(&r, 0, sizeof(r));
			assert_int_equal(reg_device_search(f->reg, &sc, &one, row_device, &r,
							   &total, &f->err),
					 0);
			assert_int_equal(r.n, want[k]);
			assert_int_equal(total, want[k]);
			one.text = serials[k];
			memset(&r, 0, sizeof(r));
			assert_int_equal(
				reg_device_search(f->reg, &sc, &one, row_device, &r, NULL, &f->err),
				0);
			assert_int_equal(r.n, want[k]);

			/* gets: the row, or -ENOENT as for a row that is not there */
			assert_int_equal(
				reg_device_get_scoped(f->reg, &sc, dev[k]->id, &d, &f->err),
				want[k] ? 0 : -ENOENT);
			if (want[k])
				assert_string_equal(d.name, devices[k]);
			assert_int_equal(
				reg_device_get_scoped(f->reg, &sc, serials[k], &d, &f->err),
				want[k] ? 0 : -ENOENT);
			if (want[k])
				assert_string_equal(d.id, dev[k]->id);
			assert_int_equal(reg_person_get_scoped(f->reg, &sc, logins[k], &p, &f->err),
					 want[k] ? 0 : -ENOENT);
			if (want[k])
				assert_string_equal(p.login, logins[k]);
			else
				assert_non_null(strstr(f->err.msg, logins[k]));
		}

		/* the audit log: the scope's schools' rows only; "" with every school */
		memset(&r, 0, sizeof(r));
		assert_int_equal(reg_audit_search(f->reg, &sc, &af, row_audit, &r, &f->err), 0);
		for (k = 0; k < r.n; k++) {
			if (!table[t].scope)
				continue;
			assert_true(r.school[k][0]);
			assert_true(reg_scope_has(&sc, r.school[k]));
		}
		assert_int_equal(has(&r, "registry.note x"), table[t].scope == NULL);
		assert_int_equal(has(&r, "person.add alice"), table[t].a);
		assert_int_equal(has(&r, "device.add bob-phone") || has(&r, "person.add bob"),
				 table[t].b);
		assert_int_equal(has(&r, "cert.add 1a1a"), table[t].a);
		assert_int_equal(has(&r, "cert.add 1b1b"), table[t].b);
		assert_int_equal(has(&r, "cert.add 1c1c"), table[t].n);
		/* asking for another school by name gives nothing more */
		af.school = UAI_B;
		memset(&r, 0, sizeof(r));
		assert_int_equal(reg_audit_search(f->reg, &sc, &af, row_audit, &r, &f->err), 0);
		assert_int_equal(r.n > 0, table[t].b);
		af.school = NULL;
	}
	/* the schools in scope */
	memset(&r, 0, sizeof(r));
	reg_scope_all(&sc);
	assert_int_equal(reg_school_list_scoped(f->reg, &sc, row_school, &r, &f->err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(reg_scope_set(&sc, UAI_B " " UAI_C, &f->err), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_school_list_scoped(f->reg, &sc, row_school, &r, &f->err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0], UAI_C); /* by UAI: 0330003C before 0930001B */
	assert_string_equal(r.v[1], UAI_B);
	memset(&sc, 0, sizeof(sc));
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_school_list_scoped(f->reg, &sc, row_school, &r, &f->err), 0);
	assert_int_equal(r.n, 0);

	/* the sentence of a row outside the scope is that of an absent one */
	assert_int_equal(reg_scope_set(&sc, UAI_A, &f->err), 0);
	assert_int_equal(reg_person_get_scoped(f->reg, &sc, "nobody", &p, &f->err), -ENOENT);
	snprintf(absent, sizeof(absent), "%s", f->err.msg);
	assert_int_equal(reg_person_get_scoped(f->reg, &sc, "bob", &p, &f->err), -ENOENT);
	assert_non_null(strstr(absent, "nobody"));
	assert_non_null(strstr(f->err.msg, "bob"));
	assert_int_equal(strlen(absent) - strlen("nobody"), strlen(f->err.msg) - strlen("bob"));
	/* a search for a school outside the scope finds nothing, not an error */
	ds.school = UAI_B;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &sc, &ds, row_device, &r, &k, &f->err), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(k, 0);
	ds.school = "bad";
	assert_int_equal(reg_device_search(f->reg, &sc, &ds, row_device, &r, &k, &f->err), -EINVAL);
	assert_int_equal(reg_device_search(f->reg, NULL, &ds, row_device, &r, &k, &f->err),
			 -EINVAL);
}

/* A device's school is its owner's, filled on reads. */
static void test_device_school(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_device d;

	world(f, &w);
	assert_int_equal(reg_device_get(f->reg, w.da.id, &d, &f->err), 0);
	assert_string_equal(d.school, UAI_A);
	assert_int_equal(reg_device_find_by_serial(f->reg, "1b1b", &d, &f->err), 0);
	assert_string_equal(d.school, UAI_B);
	assert_int_equal(reg_device_find_by_mac(f->reg, "02:00:00:00:00:0c", &d, &f->err), 0);
	assert_string_equal(d.school, "");
}

static void test_device_search(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all;
	struct reg_device d;
	struct reg_device_search q = {.state = -1};
	struct rows r;
	int total, i;
	char name[REG_ID_MAX], mac[24];
	static const struct {
		const char *text;
		const char *want; /* the one device found, NULL: none */
	} table[] = {
		{"alice", "alice-phone"},	    /* owner login */
		{"MARTIN", "alice-phone"},	    /* owner name, any case */
		{"bob-ph", "bob-phone"},	    /* device name */
		{"02-00-00-00-00-0B", "bob-phone"}, /* MAC in another form */
		{"00:0c", "nina-phone"},	    /* part of a MAC */
		{"1B:1B", "bob-phone"},		    /* serial in another form */
		{"0x1a1a", "alice-phone"},	    /* serial with 0x */
		{"%", NULL},			    /* LIKE's wildcards are text */
		{"_", NULL},
		{"zzz", NULL},
	};

	world(f, &w);
	reg_scope_all(&all);
	for (i = 0; i < (int)(sizeof(table) / sizeof(table[0])); i++) {
		q.text = table[i].text;
		memset(&r, 0, sizeof(r));
		assert_int_equal(
			reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
		if (!table[i].want) {
			assert_int_equal(r.n, 0);
			assert_int_equal(total, 0);
			continue;
		}
		if (r.n != 1 || strcmp(r.v[0], table[i].want))
			fail_msg("'%s': %d rows, first '%s'", table[i].text, r.n,
				 r.n ? r.v[0] : "");
		assert_int_equal(total, 1);
	}
	/* a device id, in capitals */
	snprintf(name, sizeof(name), "%s", w.db.id);
	for (i = 0; name[i]; i++)
		if (name[i] >= 'a' && name[i] <= 'f')
			name[i] = (char)(name[i] - 'a' + 'A');
	q.text = name;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "bob-phone");
	assert_int_equal(reg_device_get_scoped(f->reg, &all, name, &d, &f->err), 0);
	assert_string_equal(d.id, w.db.id);
	assert_int_equal(reg_device_get_scoped(f->reg, &all, "ffff", &d, &f->err), -ENOENT);
	assert_int_equal(reg_device_get_scoped(f->reg, &all, "not a serial", &d, &f->err), -ENOENT);

	/* state and school */
	assert_int_equal(reg_device_set_state(f->reg, w.db.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);
	q.text = NULL;
	q.state = BYOD_DEVICE_SUSPENDED;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "bob-phone");
	q.state = -1;
	q.school = UAI_A;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "alice-phone");
	assert_string_equal(r.school[0], UAI_A);
	q.school = NULL;
	q.state = 42;
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err),
			 -EINVAL);
	q.state = -1;

	/* paging: newest first, the total without the page */
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "tablet-%d", i);
		snprintf(mac, sizeof(mac), "02:00:00:00:01:%02x", i);
		add_device(f, w.pa, name, mac, &d);
	}
	q.text = "tablet";
	q.limit = 3;
	q.offset = 0;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(total, 7);
	assert_int_equal(r.n, 3);
	q.offset = 6;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(total, 7);
	assert_int_equal(r.n, 1);
	q.offset = 0;
	q.limit = 7;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 7);
	for (i = 0; i < 7; i++) /* created within one second: ties broken alike on each page */
		assert_non_null(strstr(r.v[i], "tablet-"));
	q.limit = 100000;
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err),
			 -EINVAL);
	q.limit = -1;
	assert_int_equal(reg_device_search(f->reg, &all, &q, row_device, &r, &total, &f->err),
			 -EINVAL);
}

/* Paging gives each row once: the pages of 2 put together are the whole. */
static void test_device_paging_whole(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all;
	struct reg_device d;
	struct reg_device_search q = {.state = -1, .limit = 2};
	struct rows r, page;
	char name[32], mac[24];
	int i, j, total;

	world(f, &w);
	reg_scope_all(&all);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "laptop-%d", i);
		snprintf(mac, sizeof(mac), "02:00:00:00:02:%02x", i);
		add_device(f, w.pb, name, mac, &d);
	}
	memset(&r, 0, sizeof(r));
	for (q.offset = 0; q.offset < 8; q.offset += 2) {
		memset(&page, 0, sizeof(page));
		assert_int_equal(
			reg_device_search(f->reg, &all, &q, row_device, &page, &total, &f->err), 0);
		assert_int_equal(total, 8);
		for (j = 0; j < page.n; j++) {
			assert_false(has(&r, page.v[j]));
			snprintf(r.v[r.n++], sizeof(r.v[0]), "%s", page.v[j]);
		}
	}
	assert_int_equal(r.n, 8);
}

static void test_person_search(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all, a;
	struct reg_person_search q = {.role = -1, .state = -1};
	struct rows r;
	char login[32];
	int total, i;

	world(f, &w);
	reg_scope_all(&all);
	assert_int_equal(reg_scope_set(&a, UAI_A, &f->err), 0);
	q.text = "durand";
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "bob");
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &a, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(total, 0);
	q.text = "4B"; /* a group */
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 3);
	q.text = NULL;
	q.role = BYOD_ROLE_TEACHER;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "bob");
	q.role = -1;
	assert_int_equal(reg_person_set_state(f->reg, "nina", REG_PERSON_DISABLED, &f->err), 0);
	q.state = REG_PERSON_DISABLED;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "nina");
	q.state = -1;
	q.role = 77;
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err),
			 -EINVAL);
	q.role = -1;

	/* paging, by login */
	for (i = 0; i < 6; i++) {
		snprintf(login, sizeof(login), "pupil%d", i);
		add_person_at(f, login, UAI_A, NULL, BYOD_ROLE_STUDENT);
	}
	q.text = "pupil";
	q.limit = 4;
	q.offset = 4;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &a, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(total, 6);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0], "pupil4");
	assert_string_equal(r.v[1], "pupil5");
	q.school = UAI_B;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_person_search(f->reg, &all, &q, row_person, &r, &total, &f->err), 0);
	assert_int_equal(total, 0);
}

/* The school of each audit row, filled when it is written. */
static void test_audit_school(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all;
	struct reg_audit_filter af = {0};
	struct reg_session s;
	struct rows r;
	char obj[64];
	static const struct {
		const char *row;
		const char *school;
	} want[] = {
		{"school.add " UAI_A, UAI_A}, {"person.add alice", UAI_A},
		{"person.add nina", ""},      {"cert.add 1b1b", UAI_B},
		{"cert.revoke 1a1a", UAI_A},  {"portal.login bob", UAI_B},
		{"export everything", ""},    {"policy.apply 1", ""},
		{"note " UAI_C, UAI_C},
	};
	size_t i;
	int k;

	world(f, &w);
	assert_int_equal(reg_cert_revoke(f->reg, "1a1a", REG_REASON_KEY_COMPROMISE, 0, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "portal.login", "bob", NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "export", "everything", NULL, NULL, &f->err), 0);
	assert_int_equal(reg_policy_add(f->reg, "rules: []\n", "p.yaml", "c", NULL, &f->err), 0);
	assert_int_equal(reg_audit_add_school(f->reg, UAI_C, "note", UAI_C, NULL, NULL, &f->err),
			 0);
	assert_int_equal(reg_audit_add_school(f->reg, "nope", "note", "x", NULL, NULL, &f->err),
			 -EINVAL);
	/* a device's rows, a session's by its device, anything naming a device id */
	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "acct-1");
	snprintf(s.nas_ip, sizeof(s.nas_ip), "192.0.2.1");
	snprintf(s.serial, sizeof(s.serial), "1b1b");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	snprintf(obj, sizeof(obj), "%lld", (long long)s.id);
	assert_int_equal(reg_audit_add(f->reg, "session.coa", obj, NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "portal.denied", w.da.id, NULL, NULL, &f->err), 0);

	reg_scope_all(&all);
	af.limit = 1000;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (k = 0; k < r.n && strcmp(r.v[k], want[i].row); k++)
			;
		if (k == r.n)
			fail_msg("no audit row '%s'", want[i].row);
		if (strcmp(r.school[k], want[i].school))
			fail_msg("'%s': school '%s', not '%s'", want[i].row, r.school[k],
				 want[i].school);
	}
	for (k = 0; k < r.n; k++) {
		if (!strncmp(r.v[k], "device.add ", 11) && strstr(r.v[k], w.db.id))
			assert_string_equal(r.school[k], UAI_B);
		if (!strncmp(r.v[k], "session.coa ", 12))
			assert_string_equal(r.school[k], UAI_B);
		if (!strncmp(r.v[k], "portal.denied ", 14))
			assert_string_equal(r.school[k], UAI_A);
	}
}

static void test_audit_filters(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all, b;
	struct reg_audit_filter af = {0};
	struct rows r, r2;
	int64_t newest;
	time_t now = time(NULL);
	int k;

	world(f, &w);
	reg_set_actor(f->reg, "byodctl:ann");
	assert_int_equal(reg_device_set_state(f->reg, w.db.id, BYOD_DEVICE_SUSPENDED, &f->err), 0);
	assert_int_equal(reg_device_rename(f->reg, w.db.id, "bob-tablet", &f->err), 0);
	reg_scope_all(&all);
	assert_int_equal(reg_scope_set(&b, UAI_B, &f->err), 0);

	af.actor = "byodctl:ann";
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 2);
	/* newest first */
	assert_true(r.id[0] > r.id[1]);
	assert_non_null(strstr(r.v[0], "device.rename"));
	af.actor = NULL;
	af.action = "device.";
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &b, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 3); /* add, state, rename of bob's */
	af.action = "device.st";
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 1);
	af.action = "%"; /* text, not a wildcard */
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 0);
	af.action = NULL;
	af.object = "1b1b";
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0], "cert.add 1b1b");
	af.object = NULL;
	af.school = UAI_A;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_true(r.n >= 4); /* school, person, device, cert */
	for (k = 0; k < r.n; k++)
		assert_string_equal(r.school[k], UAI_A);
	af.school = NULL;

	/* the period: every row is from now; one in the future finds none */
	af.from = now - 60;
	af.to = now + 60;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, audit_count(f));
	af.from = now + 60;
	af.to = 0;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 0);
	af.from = 0;
	af.to = now - 60;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 0);
	af.to = 0;

	/* pages by before_id */
	af.limit = 3;
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 3);
	newest = r.id[0];
	af.before_id = r.id[2];
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r2, &f->err), 0);
	assert_int_equal(r2.n, 3);
	assert_true(r2.id[0] < r.id[2]);
	assert_true(newest > r2.id[0]);
	af.limit = 20000;
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r2, &f->err), -EINVAL);
	af.limit = 0;
	af.school = "x";
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r2, &f->err), -EINVAL);
}

/* ---- TOTP steps ------------------------------------------------------------ */

static void test_totp_step(void **state)
{
	struct fx *f = *state;
	struct reg_admin got;

	add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	assert_int_equal(reg_admin_set_totp(f->reg, "dsi", SECRET, 0, &f->err), 0);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 1000, &f->err), 0);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 1000, &f->err), -EALREADY);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 999, &f->err), -EALREADY);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 1001, &f->err), 0);
	assert_int_equal(reg_admin_totp_step(f->reg, "nobody", 5000, &f->err), -ENOENT);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 0, &f->err), -EINVAL);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), 0);
	assert_int_equal(got.totp_last_step, 1001);
	assert_int_equal(got.totp_enrolled, 0);
	/* enrolling keeps the step; a new secret starts afresh */
	assert_int_equal(reg_admin_set_totp(f->reg, "dsi", SECRET, 1, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), 0);
	assert_int_equal(got.totp_last_step, 1001);
	assert_int_equal(got.totp_enrolled, 1);
	assert_int_equal(reg_admin_set_totp(f->reg, "dsi", "GEZDGNBVGY3TQOJQGEZDGNBV", 1, &f->err),
			 0);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), 0);
	assert_int_equal(got.totp_last_step, 0);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 5, &f->err), 0);
	/* a replay inside a caller's transaction leaves it going */
	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 5, &f->err), -EALREADY);
	assert_int_equal(reg_admin_session_touch(f->reg, hash64(77), 1, &f->err), -ENOENT);
	assert_int_equal(reg_admin_totp_step(f->reg, "dsi", 6, &f->err), 0);
	assert_int_equal(reg_commit(f->reg, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), 0);
	assert_int_equal(got.totp_last_step, 6);
	/* cleared: not enrolled */
	assert_int_equal(reg_admin_set_totp(f->reg, "dsi", "", 1, &f->err), 0);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &got, &f->err), 0);
	assert_string_equal(got.totp_secret, "");
	assert_int_equal(got.totp_enrolled, 0);
	/* not audited: the step rows are no change of the account */
}

/* Processes with their own connections presenting one code at once:
 * exactly one passes, in each round. */
static void test_totp_step_race(void **state)
{
	enum { PROCS = 6, ROUNDS = 4 };
	struct fx *f = *state;
	int round, i, st, start[2];
	pid_t pid[PROCS];

	add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	for (round = 0; round < ROUNDS; round++) {
		int passed = 0;

		assert_int_equal(pipe(start), 0);
		for (i = 0; i < PROCS; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct reg *reg = NULL;
				struct byod_err err;
				char c;
				int rc;

				close(start[1]);
				if (open_reg(f->path, 10000, &reg, &err))
					_exit(100);
				if (read(start[0], &c, 1) != 0)
					_exit(101);
				rc = reg_admin_totp_step(reg, "dsi", 100 + round, &err);
				reg_close(reg);
				_exit(rc == 0 ? 1 : rc == -EALREADY ? 0 : 102);
			}
		}
		close(start[0]);
		usleep(200 * 1000); /* every child connected and waiting */
		close(start[1]);
		for (i = 0; i < PROCS; i++) {
			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st));
			if (WEXITSTATUS(st) > 1)
				fail_msg("round %d, process %d: exit %d", round, i,
					 WEXITSTATUS(st));
			passed += WEXITSTATUS(st);
		}
		assert_int_equal(passed, 1);
	}
}

/* ---- tokens and sessions -------------------------------------------------- */

struct tokens {
	int n;
	struct reg_admin_token v[8];
};

static int collect_token(const struct reg_admin_token *t, void *arg)
{
	struct tokens *c = arg;

	assert_true(c->n < 8);
	c->v[c->n++] = *t;
	return 0;
}

static void test_tokens(void **state)
{
	struct fx *f = *state;
	struct reg_admin_token t, got;
	struct tokens l = {0};
	struct reg_scope all;
	struct reg_audit_filter af = {.action = "admin.token"};
	struct rows r = {0};
	struct audits au = {0};
	time_t now = time(NULL);
	int64_t dsi, ref;
	int k;

	add_school(f, UAI_A, "Collège A");
	dsi = add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	ref = add_admin(f, "ref", REG_ADMIN_SCHOOL, UAI_A);

	memset(&t, 0, sizeof(t));
	snprintf(t.id_hash, sizeof(t.id_hash), "%s", hash64(1));
	t.admin = dsi;
	snprintf(t.name, sizeof(t.name), "inventory");
	t.created = now - 100;
	t.expires = now + 3600;
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), 0);
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), -EEXIST);
	snprintf(t.id_hash, sizeof(t.id_hash), "%s", hash64(2));
	t.admin = ref;
	snprintf(t.name, sizeof(t.name), "nightly");
	t.created = now - 50;
	t.expires = 0;
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), 0);
	snprintf(t.id_hash, sizeof(t.id_hash), "%s", hash64(3));
	t.admin = 999;
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), -ENOENT);
	t.admin = dsi;
	snprintf(t.id_hash, sizeof(t.id_hash), "NOTHEX");
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), -EINVAL);
	snprintf(t.id_hash, sizeof(t.id_hash), "%s", hash64(3));
	t.name[0] = '\0';
	assert_int_equal(reg_admin_token_add(f->reg, &t, &f->err), -EINVAL);

	/* lookup: live until expires, then gone */
	assert_int_equal(reg_admin_token_get(f->reg, hash64(1), now, &got, &f->err), 0);
	assert_int_equal(got.admin, dsi);
	assert_string_equal(got.name, "inventory");
	assert_int_equal(got.expires, now + 3600);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(1), now + 3599, &got, &f->err), 0);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(1), now + 3600, &got, &f->err),
			 -ENOENT);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(2), now + 999999, &got, &f->err), 0);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(9), now, &got, &f->err), -ENOENT);

	/* touch never goes back */
	assert_int_equal(reg_admin_token_touch(f->reg, hash64(1), now, &f->err), 0);
	assert_int_equal(reg_admin_token_touch(f->reg, hash64(1), now - 10, &f->err), 0);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(1), now, &got, &f->err), 0);
	assert_int_equal(got.last_used, now);
	assert_int_equal(reg_admin_token_touch(f->reg, hash64(9), now, &f->err), -ENOENT);

	assert_int_equal(reg_admin_token_list(f->reg, 0, collect_token, &l, &f->err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].name, "inventory"); /* by created */
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_admin_token_list(f->reg, ref, collect_token, &l, &f->err), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].id_hash, hash64(2));

	assert_int_equal(reg_admin_token_delete(f->reg, hash64(2), &f->err), 0);
	assert_int_equal(reg_admin_token_delete(f->reg, hash64(2), &f->err), -ENOENT);
	assert_int_equal(reg_admin_token_get(f->reg, hash64(2), now, &got, &f->err), -ENOENT);

	/* audited with the hash's first digits only */
	reg_scope_all(&all);
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	assert_int_equal(r.n, 3);
	assert_true(has(&r, "admin.token-delete ref"));
	assert_true(has(&r, "admin.token-add dsi"));
	assert_int_equal(reg_audit_list(f->reg, 3, collect_audit, &au, &f->err), 0);
	for (k = 0; k < au.n; k++) {
		const char *j = au.v[k].after ? au.v[k].after : au.v[k].before;

		assert_non_null(j);
		assert_null(strstr(j, hash64(1)));
		assert_null(strstr(j, hash64(2)));
	}
	audits_free(&au);

	/* purge: an expired token goes */
	int deleted = -1;

	assert_int_equal(reg_admin_session_purge(f->reg, now + 3600, 0, 0, &deleted, &f->err), 0);
	assert_int_equal(deleted, 1);
	memset(&l, 0, sizeof(l));
	assert_int_equal(reg_admin_token_list(f->reg, 0, collect_token, &l, &f->err), 0);
	assert_int_equal(l.n, 0);
}

static void add_session(struct fx *f, unsigned long n, int64_t admin, time_t created, time_t seen)
{
	struct reg_admin_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash64(n));
	s.admin = admin;
	s.created = created;
	s.seen = seen;
	snprintf(s.client, sizeof(s.client), "192.0.2.9");
	assert_int_equal(reg_admin_session_add(f->reg, &s, &f->err), 0);
}

static void test_sessions(void **state)
{
	struct fx *f = *state;
	struct reg_admin_session s, got;
	struct reg_admin a;
	time_t now = time(NULL);
	int64_t dsi, aud;
	int n = -1;

	dsi = add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	aud = add_admin(f, "aud", REG_ADMIN_AUDITOR, "");
	add_session(f, 10, dsi, now - 100, now - 100);
	memset(&s, 0, sizeof(s));
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash64(10));
	s.admin = dsi;
	assert_int_equal(reg_admin_session_add(f->reg, &s, &f->err), -EEXIST);
	snprintf(s.id_hash, sizeof(s.id_hash), "%s", hash64(11));
	s.admin = 4242;
	assert_int_equal(reg_admin_session_add(f->reg, &s, &f->err), -ENOENT);
	s.admin = 0;
	assert_int_equal(reg_admin_session_add(f->reg, &s, &f->err), -EINVAL);

	assert_int_equal(reg_admin_session_get(f->reg, hash64(10), &got, &f->err), 0);
	assert_int_equal(got.admin, dsi);
	assert_int_equal(got.mfa, 0);
	assert_string_equal(got.client, "192.0.2.9");
	assert_int_equal(got.created, now - 100);
	assert_int_equal(reg_admin_session_touch(f->reg, hash64(10), now, &f->err), 0);
	assert_int_equal(reg_admin_session_touch(f->reg, hash64(10), now - 50, &f->err), 0);
	assert_int_equal(reg_admin_session_set_mfa(f->reg, hash64(10), &f->err), 0);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(10), &got, &f->err), 0);
	assert_int_equal(got.seen, now);
	assert_int_equal(got.mfa, 1);
	assert_int_equal(reg_admin_session_touch(f->reg, hash64(99), now, &f->err), -ENOENT);
	assert_int_equal(reg_admin_session_set_mfa(f->reg, hash64(99), &f->err), -ENOENT);
	assert_int_equal(reg_admin_session_get(f->reg, "zz", &got, &f->err), -EINVAL);

	assert_int_equal(reg_admin_session_delete(f->reg, hash64(10), &f->err), 0);
	assert_int_equal(reg_admin_session_delete(f->reg, hash64(10), &f->err), -ENOENT);

	/* purge: idle, too old, and the live one kept */
	add_session(f, 20, dsi, now - 10, now - 7200); /* idle */
	add_session(f, 21, dsi, now - 90000, now - 5); /* too old */
	add_session(f, 22, aud, now - 10, now - 5);    /* live */
	assert_int_equal(reg_admin_session_purge(f->reg, now, now - 3600, now - 43200, &n, &f->err),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(20), &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(21), &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(22), &got, &f->err), 0);

	/* disabling an administrator ends its sessions */
	add_session(f, 23, aud, now, now);
	assert_int_equal(reg_admin_get(f->reg, "aud", &a, &f->err), 0);
	a.state = REG_PERSON_DISABLED;
	assert_int_equal(reg_admin_update(f->reg, &a, &f->err), 0);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(22), &got, &f->err), -ENOENT);
	assert_int_equal(reg_admin_session_get(f->reg, hash64(23), &got, &f->err), -ENOENT);
	add_session(f, 24, dsi, now, now);
	add_session(f, 25, dsi, now, now);
	assert_int_equal(reg_admin_session_delete_admin(f->reg, dsi, &n, &f->err), 0);
	assert_int_equal(n, 2);
}

/* A change inside an outer transaction rolled back leaves nothing. */
static void test_rollback(void **state)
{
	struct fx *f = *state;
	struct reg_admin a;
	int before = audit_count(f);

	assert_int_equal(reg_begin(f->reg, &f->err), 0);
	add_admin(f, "dsi", REG_ADMIN_DEPARTEMENT, "");
	reg_rollback(f->reg);
	assert_int_equal(reg_admin_get(f->reg, "dsi", &a, &f->err), -ENOENT);
	assert_int_equal(audit_count(f), before);
}

/*
 * A registry from before the console: migrating gives the rows already in
 * the audit log their school from what they name, as a new row gets it.
 * (The migration undone here must be the newest one.)
 */
static void test_migrate_audit_school(void **state)
{
	struct fx *f = *state;
	struct world w;
	struct reg_scope all;
	struct reg_audit_filter af = {.limit = 1000};
	struct reg_session s;
	struct rows r;
	char sql[2048], obj[64], dev[128];
	raw_db *db;
	int k;
	static const struct {
		const char *row, *school;
	} want[] = {
		{"school.add " UAI_C, UAI_C}, {"person.add alice", UAI_A},
		{"person.add bob", UAI_B},    {"person.add nina", ""},
		{"cert.add 1a1a", UAI_A},     {"cert.add 1b1b", UAI_B},
		{"cert.add 1c1c", ""},	      {"portal.login bob", UAI_B},
		{"export all", ""},
	};
	size_t i;

	world(f, &w);
	assert_int_equal(reg_audit_add(f->reg, "portal.login", "bob", NULL, NULL, &f->err), 0);
	assert_int_equal(reg_audit_add(f->reg, "export", "all", NULL, NULL, &f->err), 0);
	memset(&s, 0, sizeof(s));
	snprintf(s.session_id, sizeof(s.session_id), "acct-9");
	snprintf(s.nas_ip, sizeof(s.nas_ip), "192.0.2.1");
	snprintf(s.serial, sizeof(s.serial), "1a1a");
	assert_int_equal(reg_session_record(f->reg, REG_ACCT_START, &s, &f->err), 0);
	snprintf(obj, sizeof(obj), "%lld", (long long)s.id);
	assert_int_equal(reg_audit_add(f->reg, "session.disconnect", obj, NULL, NULL, &f->err), 0);
	reg_close(f->reg);
	f->reg = NULL;

	db = raw_open(f->path);
	snprintf(sql, sizeof(sql),
		 "DROP TABLE oauth_tokens; DROP TABLE oauth_codes; DROP TABLE oauth_grants; "
		     "DROP TABLE oauth_requests; "
		 "DROP TABLE admin_tokens; DROP TABLE admin_sessions; DROP TABLE admins; "
		 "DROP TABLE crl_kept; DROP INDEX sessions_ip; DROP INDEX sessions_mac; "
		 "DROP INDEX audit_time; "
		 "DROP INDEX audit_school; ALTER TABLE audit DROP COLUMN school; "
		 "DROP INDEX certificates_replaces; ALTER TABLE certificates DROP COLUMN replaces; "
		 "ALTER TABLE certificates DROP COLUMN first_seen; "
		 "DROP INDEX people_leaving; ALTER TABLE people DROP COLUMN leaves_at; "
		 "ALTER TABLE people DROP COLUMN disabled_at; "
		 "DROP TABLE once_keys; DROP INDEX people_source; "
		 "ALTER TABLE people DROP COLUMN source; %s%s%d",
		 on_postgres() ? "DROP FUNCTION cert_supersede(text, text, bigint); "
				 "ALTER TABLE events DROP COLUMN tag; "
			       : "",
		 on_postgres() ? "UPDATE schema_version SET version = " : "PRAGMA user_version = ",
		 /* the version before the console's migration (later ones dropped too) */
		 on_postgres() ? 4 : 10);
	raw_exec(db, sql);
	raw_close(db);
	assert_int_equal(open_reg(f->path, 2000, &f->reg, &f->err), 0);

	reg_scope_all(&all);
	memset(&r, 0, sizeof(r));
	assert_int_equal(reg_audit_search(f->reg, &all, &af, row_audit, &r, &f->err), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (k = 0; k < r.n && strcmp(r.v[k], want[i].row); k++)
			;
		if (k == r.n)
			fail_msg("no audit row '%s'", want[i].row);
		if (strcmp(r.school[k], want[i].school))
			fail_msg("'%s': school '%s' after the migration, not '%s'", want[i].row,
				 r.school[k], want[i].school);
	}
	snprintf(dev, sizeof(dev), "device.add %s", w.db.id);
	assert_true(has(&r, dev));
	for (k = 0; k < r.n; k++) {
		if (!strcmp(r.v[k], dev))
			assert_string_equal(r.school[k], UAI_B);
		if (!strncmp(r.v[k], "session.disconnect ", 19))
			assert_string_equal(r.school[k], UAI_A);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roles_and_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_basics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_school, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_paging_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_person_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_school, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_totp_step_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_audit_school, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
