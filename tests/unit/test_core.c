// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for core/: a state directory made by byod_home_init, CSV
 * account import (the formats schools export, and every way it must fail
 * without writing anything), enrolment that leaves no row when signing
 * fails, the per-role limit with retire-one and the audited override in
 * the same transaction, the download offers encoding each PKCS#12 form
 * once, and revocation reaching the CRL.
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byod.h"
#include "byod_util.h"
#include "rmtree.h"
#include "token.h"

#define UAI "0131234W"
#define UAI2 "0750654D"

struct fx {
	char dir[512];
	char home[600];
	struct byod_ctx *ctx;
};

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct byod_init_params p = { .uai = UAI, .name = "Collège des Calanques",
				      .yescrypt_cost = 1 };
	struct reg_school s2 = { .uai = UAI2, .name = "Lycée Henri-IV" };
	struct byod_err err;
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	mkdir(base ? base : "/tmp", 0755);
	snprintf(fx->dir, sizeof(fx->dir), "%s/core.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->home, sizeof(fx->home), "%s/home", fx->dir);
	if (byod_home_init(fx->home, &p, &err)) {
		fprintf(stderr, "init: %s\n", err.msg);
		return -1;
	}
	if (byod_open(fx->home, "test", &fx->ctx, &err)) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	if (reg_school_add(fx->ctx->reg, &s2, &err))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	int rc;

	byod_close(fx->ctx);
	rc = test_rmtree(fx->dir);
	free(fx);
	return rc == 0 ? 0 : -1;
}

static void write_bytes(struct fx *fx, const char *name, const char *data, size_t len,
			char *path, size_t plen)
{
	FILE *f;

	snprintf(path, plen, "%s/%s", fx->dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int count_person(const struct reg_person *p, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int people(struct fx *fx)
{
	int n = 0;

	assert_int_equal(reg_person_list(fx->ctx->reg, count_person, &n, NULL), 0);
	return n;
}

static int64_t last_event(struct fx *fx)
{
	int64_t seq;

	assert_int_equal(reg_events_last(fx->ctx->reg, &seq, NULL), 0);
	return seq;
}

static void test_init_layout(void **state)
{
	struct fx *fx = *state;
	struct byod_init_params p = { .uai = UAI, .name = "Again", .yescrypt_cost = 1 };
	struct byod_err err;
	const char *files[] = { "byod.conf", "registry.db", "pki/ca.pem", "pki/ca.key",
				"pki/radius.pem", "pki/radius.key", "pki/portal.pem",
				"pki/portal.key", "pki/crl.pem", "pki/crl.der" };
	struct reg_school school;
	struct stat st;
	char path[800], home2[700];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->home, files[i]);
		if (stat(path, &st))
			fail_msg("%s missing", path);
	}
	snprintf(path, sizeof(path), "%s/pki/ca.key", fx->home);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(reg_school_get(fx->ctx->reg, UAI, &school, &err), 0);
	assert_string_equal(school.name, "Collège des Calanques");
	assert_string_equal(fx->ctx->conf.school_uai, UAI);

	/* a second init is refused and changes nothing */
	assert_int_equal(byod_home_init(fx->home, &p, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "not empty"));
	/* a bad UAI leaves no directory behind */
	snprintf(home2, sizeof(home2), "%s/home2", fx->dir);
	p.uai = "13";
	assert_int_equal(byod_home_init(home2, &p, &err), -EINVAL);
	assert_int_not_equal(access(home2, F_OK), 0);
}

static const char good_csv[] =
	"\xef\xbb\xbf"
	"login,display_name,role,school,groups,password\r\n"
	"Lea.Martin,\"Martin, Léa\",student," UAI ",4B,soleil\r\n"
	"hugo.bernard,Hugo Bernard,Élève," UAI ",\"4B, latin\",\r\n"
	"m.durand,Marc Durand,enseignant," UAI2 ",4B 3A,\"pa,ss\"\"word\"\r\n"
	"c.leroy,Claire Leroy,staff," UAI ",,$y$j9T$abc$def\r\n"
	",,,,,\r\n";

static void test_import_good(void **state)
{
	struct fx *fx = *state;
	struct byod_import_result res;
	struct reg_person p;
	struct byod_err err;
	char path[700];

	write_bytes(fx, "good.csv", good_csv, sizeof(good_csv) - 1, path, sizeof(path));
	if (byod_users_import_csv(fx->ctx, path, &res, &err))
		fail_msg("import: %s:%d:%d %s", err.file, err.line, err.col, err.msg);
	assert_int_equal(res.rows, 4);
	assert_int_equal(people(fx), 4);

	assert_int_equal(reg_person_get(fx->ctx->reg, "lea.martin", &p, &err), 0);
	assert_string_equal(p.display_name, "Martin, Léa");
	assert_int_equal(p.role, BYOD_ROLE_STUDENT);
	assert_string_equal(p.groups, "4B");
	assert_int_equal(reg_password_verify("soleil", p.password_hash), 0);
	assert_int_equal(reg_password_verify("Soleil", p.password_hash), -EACCES);

	assert_int_equal(reg_person_get(fx->ctx->reg, "hugo.bernard", &p, &err), 0);
	assert_string_equal(p.groups, "4B latin");
	assert_string_equal(p.password_hash, "");

	assert_int_equal(reg_person_get(fx->ctx->reg, "m.durand", &p, &err), 0);
	assert_int_equal(p.role, BYOD_ROLE_TEACHER);
	assert_string_equal(p.school, UAI2);
	assert_int_equal(reg_password_verify("pa,ss\"word", p.password_hash), 0);

	assert_int_equal(reg_person_get(fx->ctx->reg, "c.leroy", &p, &err), 0);
	assert_string_equal(p.password_hash, "$y$j9T$abc$def");
}

static void test_import_semicolon_lf(void **state)
{
	static const char csv[] = "role;login;school\n"
				  "student;ines.petit;" UAI "\n"
				  "guest;\"visiteur;1\";" UAI "\n";
	struct fx *fx = *state;
	struct byod_err err;
	char path[700];

	/* a ';' file whose login has a ';' in it: refused at line 3, column 2 */
	write_bytes(fx, "semi.csv", csv, sizeof(csv) - 1, path, sizeof(path));
	assert_int_equal(byod_users_import_csv(fx->ctx, path, NULL, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 2);
	assert_int_equal(people(fx), 0);

	write_bytes(fx, "semi.csv", csv, 46, path, sizeof(path));
	if (byod_users_import_csv(fx->ctx, path, NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(people(fx), 1);
}

/* Imports a file that must fail at line:col with needle in the message,
 * and checks that nothing at all was written. */
static void expect_import_error(struct fx *fx, const char *csv, int code, int line, int col,
				const char *needle)
{
	struct byod_err err;
	char path[700];
	int64_t before = last_event(fx);
	int n = people(fx), rc;

	write_bytes(fx, "bad.csv", csv, strlen(csv), path, sizeof(path));
	rc = byod_users_import_csv(fx->ctx, path, NULL, &err);
	if (rc != code)
		fail_msg("rc %d, want %d: %s", rc, code, err.msg);
	assert_string_equal(err.file, path);
	if (err.line != line || err.col != col)
		fail_msg("at %d:%d, want %d:%d: %s", err.line, err.col, line, col, err.msg);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' not in '%s'", needle, err.msg);
	assert_int_equal(people(fx), n);
	assert_int_equal(last_event(fx), before);
}

static void test_import_errors(void **state)
{
	struct fx *fx = *state;
	struct reg_person existing = { .login = "taken", .role = BYOD_ROLE_STUDENT, .school = UAI };
	struct byod_err err;

	expect_import_error(fx,
			    "login,role,school\na.b,student," UAI "\nc.d,prof," UAI "\n",
			    -EINVAL, 3, 2, "unknown role 'prof'");
	expect_import_error(fx,
			    "login,role,school\na.b,student," UAI "\nA.B,student," UAI "\n",
			    -EEXIST, 3, 1, "already on line 2");
	expect_import_error(fx, "login,role,school\na.b,student,0999999Z\n", -ENOENT, 2, 3,
			    "unknown school");
	expect_import_error(fx, "login,role,school\na.b,student,\"" UAI "\n", -EINVAL, 2, 0,
			    "quote is not closed");
	/* the quote opens the record: its line, not the header's */
	expect_import_error(fx, "login,role,school\n\n\"a.b,student," UAI "\n\n", -EINVAL, 3, 0,
			    "quote is not closed");
	expect_import_error(fx, "login,role,school\na.b,student," UAI ",extra\n", -EINVAL, 2, 4,
			    "4 fields, the header has 3");
	expect_import_error(fx, "login,role\na.b,student\n", -EINVAL, 1, 1, "no 'school'");
	expect_import_error(fx, "login,role,school,colour\n", -EINVAL, 1, 4,
			    "unknown column 'colour'");
	expect_import_error(fx, "login,role,school\na.b,student," UAI "\nz\xe9,student," UAI "\n",
			    -EILSEQ, 3, 2, "not UTF-8");
	expect_import_error(fx, "", -EINVAL, 1, 0, "empty");
	expect_import_error(fx, "login,role,school\nbad login,student," UAI "\n", -EINVAL, 2, 1,
			    "not a login");
	/* a Mac spreadsheet's lone CR ends a line as LF does (found by fuzz_csv:
	 * every error was said to be on line 1) */
	expect_import_error(fx, "login,role,school\ra.b,student," UAI "\rc.d,prof," UAI "\r",
			    -EINVAL, 3, 2, "unknown role 'prof'");
	expect_import_error(fx, "login,role,school\r\na.b,student," UAI "\rz\xe9,student," UAI,
			    -EILSEQ, 3, 2, "not UTF-8");

	/* a login already in the registry: the whole file rolls back */
	assert_int_equal(byod_user_add(fx->ctx, &existing, NULL, &err), 0);
	expect_import_error(fx,
			    "login,role,school\nfirst.one,student," UAI "\ntaken,student," UAI
			    "\n",
			    -EEXIST, 3, 1, "taken");
	assert_int_equal(reg_person_get(fx->ctx->reg, "first.one", &existing, &err), -ENOENT);
}

/* The file's own checks, without the registry: a school is a UAI, not
 * looked up. */
static void test_import_csv_check(void **state)
{
	static const char good[] = "login,role,school\na.b,student,0999999Z\nc.d,teacher," UAI "\n";
	static const char bad[] = "login,role,school\na.b,student,0999999Z\nc.d,prof," UAI "\n";
	struct byod_err err;
	int rows = -1;

	(void)state;
	assert_int_equal(byod_users_csv_check("x.csv", good, sizeof(good) - 1, &rows, &err), 0);
	assert_int_equal(rows, 2);
	assert_int_equal(byod_users_csv_check("x.csv", bad, sizeof(bad) - 1, &rows, &err), -EINVAL);
	assert_int_equal(rows, 0);
	assert_string_equal(err.file, "x.csv");
	assert_int_equal(err.line, 3);
	/* not NUL-terminated: the delimiter guess stops at the end */
	assert_int_equal(byod_users_csv_check("x.csv", "login;role", 5, &rows, &err), -EINVAL);
}

static void add_pupil(struct fx *fx, const char *login)
{
	struct reg_person p = { .role = BYOD_ROLE_STUDENT, .school = UAI };
	struct byod_err err;

	snprintf(p.login, sizeof(p.login), "%s", login);
	snprintf(p.display_name, sizeof(p.display_name), "%s", login);
	if (byod_user_add(fx->ctx, &p, "pw", &err))
		fail_msg("%s", err.msg);
}

static int count_device(const struct reg_device *d, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int devices(struct fx *fx)
{
	int n = 0;

	assert_int_equal(reg_device_list(fx->ctx->reg, NULL, count_device, &n, NULL), 0);
	return n;
}

static void test_enrol_and_failed_signing(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = { .login = "Lea.Martin", .name = "Téléphone",
				       .kind = BYOD_KIND_PHONE };
	struct byod_enrolment e;
	const unsigned char *der;
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;
	int64_t before;
	size_t len;

	add_pupil(fx, "lea.martin");
	p.login = "lea.martin";
	if (byod_device_enrol(fx->ctx, &p, &e, &err))
		fail_msg("%s", err.msg);
	assert_true(byod_is_uuid(e.device.id));
	assert_int_equal(pki_issued_p12(&e.cert, PKI_P12_MODERN, &der, &len, &err), 0);
	assert_non_null(der);
	assert_true(strlen(e.cert.passphrase) > 0);
	assert_int_equal(reg_device_get(fx->ctx->reg, e.device.id, &d, &err), 0);
	assert_string_equal(d.owner_login, "lea.martin");
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	assert_int_equal(reg_cert_get(fx->ctx->reg, e.cert.serial, &c, &err), 0);
	assert_string_equal(c.device, e.device.id);
	assert_int_equal(c.not_after, d.expires);
	byod_enrolment_clear(&e);

	/* a CSR that does not verify: signing fails, and no row is left */
	before = last_event(fx);
	p.csr = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
	p.csr_len = strlen(p.csr);
	assert_true(byod_device_enrol(fx->ctx, &p, &e, &err) < 0);
	assert_int_equal(devices(fx), 1);
	assert_int_equal(last_event(fx), before);
	assert_null(e.cert.cert_pem);

	/* unknown account */
	p.csr = NULL;
	p.login = "nobody";
	assert_int_equal(byod_device_enrol(fx->ctx, &p, &e, &err), -ENOENT);
	assert_int_equal(devices(fx), 1);
}

/* Is serial in HOME/pki/crl.pem? */
static int in_crl(struct fx *fx, const char *serial)
{
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	X509_CRL *crl;
	char path[800];
	FILE *f;
	int found;

	snprintf(path, sizeof(path), "%s/pki/crl.pem", fx->home);
	f = fopen(path, "r");
	assert_non_null(f);
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(crl);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	found = X509_CRL_get0_by_serial(crl, &rev, sn) == 1;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_CRL_free(crl);
	return found;
}

struct audit_find {
	const char *action, *object;
	char actor[64];
	char after[256];
	int n;
};

static int find_audit(const struct reg_audit *a, void *arg)
{
	struct audit_find *f = arg;

	if (strcmp(a->action, f->action) || strcmp(a->object, f->object))
		return 0;
	f->n++;
	snprintf(f->actor, sizeof(f->actor), "%s", a->actor);
	snprintf(f->after, sizeof(f->after), "%s", a->after ? a->after : "");
	return 0;
}

/* Enrols login's device name (p->retire, p->force as set); returns rc and
 * the device id in id. */
static int enrol_one(struct fx *fx, struct byod_enrol_params *p, const char *name, char *id,
		     struct byod_enrolment *e, struct byod_err *err)
{
	int rc;

	p->name = name;
	rc = byod_device_enrol(fx->ctx, p, e, err);
	if (!rc && id)
		snprintf(id, REG_ID_MAX, "%s", e->device.id);
	return rc;
}

/* The rate (enrol.rate-per-day): enrolling and retiring in a loop stops at
 * it with the one sentence and nothing written, retired devices counted;
 * another account is not concerned; an administrator's --force goes past. */
static void test_enrol_rate(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = {.login = "lea", .kind = BYOD_KIND_PHONE};
	char id[REG_ID_MAX];
	struct byod_enrolment e;
	struct byod_err err;
	int64_t before;
	int i;

	assert_int_equal(fx->ctx->conf.enrol_rate_per_day, 5); /* the default */
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "enrol.rate-per-day", "3", &err), 0);
	add_pupil(fx, "lea");
	add_pupil(fx, "hugo");
	for (i = 0; i < 3; i++) {
		if (enrol_one(fx, &p, "loop", id, &e, &err))
			fail_msg("%s", err.msg);
		byod_enrolment_clear(&e);
		assert_int_equal(
			byod_device_revoke(fx->ctx, id, 0, BYOD_DEVICE_RETIRED, NULL, &err), 0);
	}
	before = last_event(fx);
	assert_int_equal(enrol_one(fx, &p, "fourth", NULL, &e, &err), -EAGAIN);
	assert_int_equal(e.refusal, BYOD_ENROL_RATE);
	assert_string_equal(err.msg, byod_enrol_refusal_text(BYOD_ENROL_RATE));
	assert_string_equal(byod_enrol_refusal_key(BYOD_ENROL_RATE), "enrol.rate");
	assert_null(e.cert.cert);
	assert_int_equal(devices(fx), 3);
	assert_int_equal(last_event(fx), before);

	p.login = "hugo";
	assert_int_equal(enrol_one(fx, &p, "hugo's", NULL, &e, &err), 0);
	byod_enrolment_clear(&e);
	p.login = "lea";
	p.force = 1;
	if (enrol_one(fx, &p, "forced", NULL, &e, &err))
		fail_msg("%s", err.msg);
	byod_enrolment_clear(&e);
	p.force = 0;
	assert_int_equal(enrol_one(fx, &p, "again", NULL, &e, &err), -EAGAIN);
	/* 0: no rate */
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "enrol.rate-per-day", "0", &err), 0);
	assert_int_equal(enrol_one(fx, &p, "no rate", NULL, &e, &err), 0);
	byod_enrolment_clear(&e);
}

/* Renewal's refusals (core/renew.c): before the window (the day it opens
 * said, nothing written), by someone not the owner, for a device not
 * active, an owner disabled or past their leaving date; an administrator's force, recorded as
 * replacing the newest valid certificate, the same device. */
static void test_renew_refusals(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = {.login = "lea", .kind = BYOD_KIND_PHONE};
	struct byod_renew_params rp = {.login = "lea"};
	struct byod_enrolment e;
	struct byod_err err;
	char id[REG_ID_MAX], s1[REG_SERIAL_MAX], s2[REG_SERIAL_MAX], md[32];
	time_t end = time(NULL) + 200 * 86400;
	struct reg_cert c;
	struct tm tm;
	int64_t before;

	/* a school year ending in 200 days: renewal opens in 20 (180 before) */
	gmtime_r(&end, &tm);
	if (tm.tm_mon == 1 && tm.tm_mday == 29)
		tm.tm_mday = 28;
	snprintf(md, sizeof(md), "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "pki.school-year-end", md, &err), 0);
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "pki.renew-days", "180", &err), 0);
	add_pupil(fx, "lea");
	add_pupil(fx, "hugo");
	if (enrol_one(fx, &p, "phone", id, &e, &err))
		fail_msg("%s", err.msg);
	snprintf(s1, sizeof(s1), "%s", e.cert.serial);
	byod_enrolment_clear(&e);
	rp.device = id;

	before = last_event(fx);
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EAGAIN);
	assert_int_equal(e.refusal, BYOD_ENROL_RENEW_EARLY);
	assert_string_equal(byod_enrol_refusal_key(BYOD_ENROL_RENEW_EARLY), "renew.early");
	assert_non_null(strstr(err.msg, byod_enrol_refusal_text(BYOD_ENROL_RENEW_EARLY)));
	assert_non_null(strstr(err.msg, "Renewal opens on 20"));
	assert_null(e.cert.cert);
	assert_int_equal(last_event(fx), before);

	rp.login = "hugo";
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EPERM);
	rp.login = NULL; /* an administrator */
	rp.force = 1;
	if (byod_device_renew(fx->ctx, &rp, &e, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(e.device.id, id);
	assert_string_equal(e.replaces, s1);
	snprintf(s2, sizeof(s2), "%s", e.cert.serial);
	assert_string_not_equal(s2, s1);
	byod_enrolment_clear(&e);
	assert_int_equal(reg_cert_get(fx->ctx->reg, s2, &c, &err), 0);
	assert_string_equal(c.replaces, s1);
	assert_int_equal(reg_cert_get(fx->ctx->reg, s1, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_VALID);
	assert_int_equal(devices(fx), 1);
	/* forced again: it replaces the newest valid one */
	if (byod_device_renew(fx->ctx, &rp, &e, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(e.replaces, s2);
	byod_enrolment_clear(&e);

	assert_int_equal(reg_device_set_state(fx->ctx->reg, id, BYOD_DEVICE_SUSPENDED, &err), 0);
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EPERM);
	assert_int_equal(reg_device_set_state(fx->ctx->reg, id, BYOD_DEVICE_ACTIVE, &err), 0);
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_DISABLED, &err), 0);
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EPERM);
	assert_non_null(strstr(err.msg, "disabled"));
	assert_int_equal(reg_person_set_state(fx->ctx->reg, "lea", REG_PERSON_ACTIVE, &err), 0);
	/* past the owner's leaving date, before the daily job disables them:
	 * refused as enrolment is, nothing written; before that date, renewed */
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "lea", time(NULL) - 60, &err), 0);
	before = last_event(fx);
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EPERM);
	assert_string_equal(err.msg, "the account 'lea' has left");
	assert_null(e.cert.cert);
	assert_int_equal(last_event(fx), before);
	assert_int_equal(reg_person_set_leaves_at(fx->ctx->reg, "lea", time(NULL) + 86400, &err),
			 0);
	if (byod_device_renew(fx->ctx, &rp, &e, &err))
		fail_msg("%s", err.msg);
	byod_enrolment_clear(&e);
	assert_int_equal(byod_device_revoke(fx->ctx, id, 0, BYOD_DEVICE_RETIRED, NULL, &err), 0);
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EPERM);
	rp.device = "not-an-id";
	assert_int_equal(byod_device_renew(fx->ctx, &rp, &e, &err), -EINVAL);
}

/* The limit of a pupil (enrol.limit-student, 2): refused at it with the
 * one sentence, nothing written; a device of theirs retired in the same
 * transaction, or the limit overridden and audited. */
static void test_enrol_limit(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = {.login = "lea", .kind = BYOD_KIND_PHONE};
	char a[REG_ID_MAX], b[REG_ID_MAX], c[REG_ID_MAX], hugo[REG_ID_MAX], serial_a[64];
	struct audit_find af = {.action = "device.limit-override"};
	struct byod_enrolment e;
	struct reg_device d;
	struct byod_err err;
	int64_t before;

	/* the limit alone here (test_enrol_rate: the rate) */
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "enrol.rate-per-day", "0", &err), 0);
	add_pupil(fx, "lea");
	add_pupil(fx, "hugo");
	assert_int_equal(byod_enrol_limit(fx->ctx, BYOD_ROLE_STUDENT), 2);
	assert_int_equal(enrol_one(fx, &p, "one", a, &e, &err), 0);
	snprintf(serial_a, sizeof(serial_a), "%s", e.cert.serial);
	byod_enrolment_clear(&e);
	assert_int_equal(enrol_one(fx, &p, "two", b, &e, &err), 0);
	byod_enrolment_clear(&e);
	p.login = "hugo";
	assert_int_equal(enrol_one(fx, &p, "hugo's", hugo, &e, &err), 0);
	byod_enrolment_clear(&e);
	p.login = "lea";

	/* at the limit: refused with the table's sentence, nothing written */
	before = last_event(fx);
	assert_int_equal(enrol_one(fx, &p, "three", NULL, &e, &err), -EDQUOT);
	assert_int_equal(e.refusal, BYOD_ENROL_AT_LIMIT);
	assert_string_equal(err.msg, byod_enrol_refusal_text(BYOD_ENROL_AT_LIMIT));
	assert_string_equal(byod_enrol_refusal_key(BYOD_ENROL_AT_LIMIT), "enrol.pick_one");
	assert_null(e.cert.cert);
	assert_int_equal(devices(fx), 3);
	assert_int_equal(last_event(fx), before);

	/* the device to retire must be a live one of hers */
	p.retire = "not-an-id";
	assert_int_equal(enrol_one(fx, &p, "three", NULL, &e, &err), -EINVAL);
	assert_int_equal(e.refusal, BYOD_ENROL_NOT_THEIRS);
	p.retire = hugo;
	assert_int_equal(enrol_one(fx, &p, "three", NULL, &e, &err), -ENOENT);
	assert_int_equal(e.refusal, BYOD_ENROL_NOT_THEIRS);
	p.retire = "00000000-0000-4000-8000-000000000000";
	assert_int_equal(enrol_one(fx, &p, "three", NULL, &e, &err), -ENOENT);
	assert_int_equal(reg_device_get(fx->ctx->reg, hugo, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	assert_int_equal(devices(fx), 3);
	assert_int_equal(last_event(fx), before);

	/* retire one and go on, in one transaction; the CRL lists it */
	p.retire = a;
	if (enrol_one(fx, &p, "three", c, &e, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(e.retired, a);
	assert_int_equal(e.over_limit, 0);
	assert_int_equal(e.crl_stale, 0);
	byod_enrolment_clear(&e);
	assert_int_equal(reg_device_get(fx->ctx->reg, a, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_RETIRED);
	assert_int_equal(reg_device_get(fx->ctx->reg, c, &d, &err), 0);
	assert_int_equal(d.state, BYOD_DEVICE_ACTIVE);
	assert_true(in_crl(fx, serial_a));

	/* a retired or revoked device makes no room */
	assert_int_equal(enrol_one(fx, &p, "four", NULL, &e, &err), -ENOENT);
	assert_int_equal(byod_device_revoke(fx->ctx, b, 0, BYOD_DEVICE_REVOKED, NULL, &err), 0);
	p.retire = NULL;
	assert_int_equal(enrol_one(fx, &p, "four", b, &e, &err), 0); /* b no longer counts */
	byod_enrolment_clear(&e);
	p.retire = c;
	assert_int_equal(byod_device_revoke(fx->ctx, c, 0, BYOD_DEVICE_REVOKED, NULL, &err), 0);
	assert_int_equal(enrol_one(fx, &p, "five", NULL, &e, &err), 0);
	byod_enrolment_clear(&e);
	assert_int_equal(enrol_one(fx, &p, "six", NULL, &e, &err), -EDQUOT);
	assert_int_equal(e.refusal, BYOD_ENROL_AT_LIMIT);

	/* an administrator's override: past the limit, audited with the actor */
	p.retire = NULL;
	p.force = 1;
	if (enrol_one(fx, &p, "six", c, &e, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(e.over_limit, 1);
	assert_string_equal(e.retired, "");
	byod_enrolment_clear(&e);
	af.object = c;
	assert_int_equal(reg_audit_list(fx->ctx->reg, 0, find_audit, &af, &err), 0);
	assert_int_equal(af.n, 1);
	assert_string_equal(af.actor, "test");
	assert_non_null(strstr(af.after, "\"limit\":2"));
	assert_non_null(strstr(af.after, "\"owner\":\"lea\""));

	/* a role whose limit is 0 may not enrol, but by force */
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "enrol.limit-student", "0", &err), 0);
	p.force = 0;
	p.login = "hugo";
	assert_int_equal(enrol_one(fx, &p, "closed", NULL, &e, &err), -EACCES);
	assert_int_equal(e.refusal, BYOD_ENROL_CLOSED);
	assert_non_null(strstr(err.msg, "enrol.limit-student"));
}

/* One enrolment with every download the portal offers: each PKCS#12 form
 * the offers carry is encoded once (the legacy one for the download, the
 * Apple profile and the eap-config; the clear one for Passpoint), the
 * modern one not at all; the download opens with the passphrase. */
static void test_enrol_offers_encode_once(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = {.login = "lea",
				      .name = "iPhone",
				      .kind = BYOD_KIND_PHONE,
				      .offers = BYOD_OFFERS_ALL};
	unsigned long before[PKI_P12_FORM_N];
	char cert_path[800], key_path[800], hash[REG_HASH_HEX];
	struct reg_download dl;
	struct byod_enrolment e;
	struct byod_err err;
	const unsigned char *der;
	PKCS12 *p12;
	int i;

	add_pupil(fx, "lea");
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "wifi.ssid", "Collège-BYOD", &err), 0);
	snprintf(cert_path, sizeof(cert_path), "%s/pki/portal.pem", fx->home);
	snprintf(key_path, sizeof(key_path), "%s/pki/portal.key", fx->home);
	assert_int_equal(pki_keypair_load(cert_path, key_path, &p.sign_cert, &p.sign_key, &err), 0);
	for (i = 0; i < PKI_P12_FORM_N; i++)
		before[i] = pki_p12_encode_count(i);
	if (byod_device_enrol(fx->ctx, &p, &e, &err))
		fail_msg("%s", err.msg);
	for (i = 0; i < BYOD_OFFER_N; i++) {
		if (!e.offers[i].token[0])
			fail_msg("offer %d not made: %s", i, e.offers[i].why);
		assert_string_equal(e.offers[i].why, "");
	}
	assert_int_equal(e.no_profiles, 0);
	assert_int_equal(pki_p12_encode_count(PKI_P12_LEGACY), before[PKI_P12_LEGACY] + 1);
	assert_int_equal(pki_p12_encode_count(PKI_P12_CLEAR), before[PKI_P12_CLEAR] + 1);
	assert_int_equal(pki_p12_encode_count(PKI_P12_MODERN), before[PKI_P12_MODERN]);

	/* the download is the legacy form, under the passphrase */
	assert_int_equal(web_token_hash(e.offers[BYOD_OFFER_P12].token, hash), 0);
	assert_int_equal(reg_download_take(fx->ctx->reg, hash, time(NULL), &dl, &err), 0);
	assert_string_equal(dl.type, "application/x-pkcs12");
	assert_string_equal(dl.device, e.device.id);
	der = dl.data;
	p12 = d2i_PKCS12(NULL, &der, (long)dl.len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_verify_mac(p12, e.cert.passphrase, -1), 1);
	PKCS12_free(p12);
	reg_download_clear(&dl);
	assert_int_equal(reg_download_take(fx->ctx->reg, hash, time(NULL), &dl, &err), -ENOENT);
	byod_enrolment_clear(&e);

	/* no SSID: the PKCS#12 alone, and why there are no profiles */
	assert_int_equal(byod_conf_set(&fx->ctx->conf, "wifi.ssid", "", &err), 0);
	for (i = 0; i < PKI_P12_FORM_N; i++)
		before[i] = pki_p12_encode_count(i);
	p.name = "iPad";
	if (byod_device_enrol(fx->ctx, &p, &e, &err))
		fail_msg("%s", err.msg);
	assert_true(e.offers[BYOD_OFFER_P12].token[0] != '\0');
	for (i = BYOD_OFFER_APPLE; i < BYOD_OFFER_N; i++)
		assert_string_equal(e.offers[i].token, "");
	assert_int_equal(e.no_profiles, 1);
	assert_non_null(strstr(e.why.msg, "wifi.ssid"));
	assert_int_equal(pki_p12_encode_count(PKI_P12_LEGACY), before[PKI_P12_LEGACY] + 1);
	assert_int_equal(pki_p12_encode_count(PKI_P12_CLEAR), before[PKI_P12_CLEAR]);
	byod_enrolment_clear(&e);

	/* a refused enrolment offers nothing: at the limit, no link is stored */
	p.name = "third";
	assert_int_equal(byod_device_enrol(fx->ctx, &p, &e, &err), -EDQUOT);
	for (i = 0; i < BYOD_OFFER_N; i++)
		assert_string_equal(e.offers[i].token, "");
	X509_free(p.sign_cert);
	EVP_PKEY_free(p.sign_key);
}

static void test_revoke_reaches_crl(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = { .login = "hugo", .name = "Portable", .kind = BYOD_KIND_LAPTOP };
	struct byod_enrolment e;
	struct reg_device d;
	struct reg_cert c;
	struct byod_err err;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	X509_CRL *crl;
	FILE *f;
	char path[800], upper[80], serial[64];
	size_t i;

	add_pupil(fx, "hugo");
	if (byod_device_enrol(fx->ctx, &p, &e, &err))
		fail_msg("%s", err.msg);
	snprintf(serial, sizeof(serial), "%s", e.cert.serial);
	/* revoke by serial, typed as openssl prints it: upper case, zero-padded */
	snprintf(upper, sizeof(upper), "00%s", serial);
	for (i = 0; upper[i]; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	if (byod_device_revoke(fx->ctx, upper, REG_REASON_KEY_COMPROMISE, BYOD_DEVICE_REVOKED, &d,
			       &err))
		fail_msg("%s", err.msg);
	assert_string_equal(d.id, e.device.id);
	assert_int_equal(d.state, BYOD_DEVICE_REVOKED);
	assert_int_equal(reg_cert_get(fx->ctx->reg, serial, &c, &err), 0);
	assert_int_equal(c.state, REG_CERT_REVOKED);
	assert_int_equal(c.reason, REG_REASON_KEY_COMPROMISE);
	assert_int_equal(byod_device_revoke(fx->ctx, e.device.id, 0, BYOD_DEVICE_REVOKED, NULL,
					    &err),
			 -EALREADY);

	snprintf(path, sizeof(path), "%s/pki/crl.pem", fx->home);
	f = fopen(path, "r");
	assert_non_null(f);
	crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(crl);
	assert_true(BN_hex2bn(&bn, serial) > 0);
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rev, sn), 1);
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_CRL_free(crl);
	byod_enrolment_clear(&e);
}

static const char policy_v1[] =
	"segments:\n"
	"  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
	"  pupils: { vlan: 20, subnet: 10.20.0.0/16 }\n"
	"  lab: { vlan: 30, subnet: 10.30.0.0/20 }\n"
	"rules:\n"
	"  - name: revoked\n    match: { state: revoked }\n    action: reject\n"
	"  - name: pupils\n    match: { role: student }\n    segment: pupils\n"
	"default: reg\n";

static void test_policy_apply_diff(void **state)
{
	struct fx *fx = *state;
	struct byod_enrol_params p = { .name = "Phone", .kind = BYOD_KIND_PHONE };
	struct pol_policy *now_pol, *new_pol;
	struct pol_errors errs;
	struct byod_enrolment e;
	struct byod_facts facts;
	struct byod_diff diff;
	struct reg_device d;
	struct byod_err err;
	char path[700], id4b[REG_ID_MAX];
	const char *v2;
	int64_t version, loaded;
	size_t i;

	assert_int_equal(byod_policy_load(fx->ctx, 0, &now_pol, NULL, &err), -ENOENT);
	add_pupil(fx, "a4b");
	add_pupil(fx, "b3a");
	for (i = 0; i < 3; i++) {
		p.login = i == 0 ? "a4b" : "b3a";
		if (byod_device_enrol(fx->ctx, &p, &e, &err))
			fail_msg("%s", err.msg);
		if (i == 0)
			snprintf(id4b, sizeof(id4b), "%s", e.device.id);
		if (i == 2)
			assert_int_equal(byod_device_revoke(fx->ctx, e.device.id, 0,
							    BYOD_DEVICE_REVOKED, NULL, &err),
					 0);
		byod_enrolment_clear(&e);
	}

	/* facts come from the owner and the newest valid certificate */
	assert_int_equal(reg_device_get(fx->ctx->reg, id4b, &d, &err), 0);
	assert_int_equal(byod_device_facts(fx->ctx, &d, &facts, &err), 0);
	assert_int_equal(facts.f.role, BYOD_ROLE_STUDENT);
	assert_int_equal(facts.f.kind, BYOD_KIND_PHONE);
	assert_int_equal(facts.f.state, BYOD_DEVICE_ACTIVE);
	assert_int_equal(facts.f.method, POL_METHOD_CERTIFICATE);
	assert_string_equal(facts.f.school, UAI);
	assert_int_equal(facts.f.cert_not_after, d.expires);

	write_bytes(fx, "v1.yaml", policy_v1, sizeof(policy_v1) - 1, path, sizeof(path));
	assert_int_equal(byod_policy_apply(fx->ctx, path, "first", &version, &errs, &err), 0);
	assert_int_equal(version, 1);

	/* a broken file is refused with its problems, and version 1 still runs */
	write_bytes(fx, "bad.yaml", "segments: [\n", 12, path, sizeof(path));
	assert_int_equal(byod_policy_apply(fx->ctx, path, NULL, &version, &errs, &err), -EINVAL);
	assert_true(errs.n >= 1);
	assert_non_null(strstr(err.msg, "the running policy stays"));
	pol_errors_free(&errs);
	assert_int_equal(byod_policy_load(fx->ctx, 0, &now_pol, &loaded, &err), 0);
	assert_int_equal(loaded, 1);

	/* the impact of sending everyone but revoked devices to the lab */
	v2 = "segments:\n"
	     "  reg: { vlan: 10, subnet: 10.10.0.0/22 }\n"
	     "  lab: { vlan: 30, subnet: 10.30.0.0/20 }\n"
	     "rules:\n"
	     "  - name: revoked\n    match: { state: revoked }\n    action: reject\n"
	     "default: lab\n";
	write_bytes(fx, "v2.yaml", v2, strlen(v2), path, sizeof(path));
	assert_int_equal(pol_load_file(path, &new_pol, &errs), 0);
	assert_int_equal(byod_policy_diff(fx->ctx, now_pol, new_pol, time(NULL), &diff, NULL, NULL,
					  &err),
			 0);
	assert_int_equal(diff.devices, 3);
	assert_int_equal(diff.changed, 2);
	assert_int_equal(diff.nmoves, 1);
	assert_string_equal(diff.moves[0].from, "pupils");
	assert_string_equal(diff.moves[0].to, "lab");
	assert_int_equal(diff.moves[0].count, 2);
	byod_diff_free(&diff);
	pol_free(new_pol);
	pol_free(now_pol);

	/* apply version 2, then roll back to 1: a new version 3 with 1's text */
	assert_int_equal(byod_policy_apply(fx->ctx, path, NULL, &version, &errs, &err), 0);
	assert_int_equal(version, 2);
	assert_int_equal(byod_policy_rollback(fx->ctx, 1, &version, &err), 0);
	assert_int_equal(version, 3);
	assert_int_equal(byod_policy_load(fx->ctx, 0, &now_pol, &loaded, &err), 0);
	assert_int_equal(loaded, 3);
	assert_true(pol_segment_find(now_pol, "pupils") >= 0);
	pol_free(now_pol);
	assert_int_equal(byod_policy_rollback(fx->ctx, 7, &version, &err), -ENOENT);
}

/* das.port / das.mode, and the das.nas exceptions (IPv4, [IPv6]:port, bare IPv6). */
static void test_das_target(void **state)
{
	struct byod_conf conf;
	struct byod_err err;
	enum das_mode mode;
	int port;

	(void)state;
	assert_int_equal(byod_conf_defaults(&conf, "/nonexistent"), 0);
	assert_int_equal(byod_das_target(&conf, "10.0.0.9", &port, &mode, &err), 0);
	assert_int_equal(port, 3799);
	assert_int_equal(mode, DAS_MODE_DISCONNECT);
	assert_int_equal(byod_conf_set(&conf, "das.mode", "both", &err), 0);
	assert_int_equal(byod_conf_set(&conf, "das.nas",
				       "10.0.0.5:1700/coa,10.0.0.6/disconnect,[fd00::5]:1812,fd00::6/coa",
				       &err), 0);
	assert_int_equal(byod_das_target(&conf, "10.0.0.5", &port, &mode, &err), 0);
	assert_int_equal(port, 1700);
	assert_int_equal(mode, DAS_MODE_COA);
	assert_int_equal(byod_das_target(&conf, "10.0.0.6", &port, &mode, &err), 0);
	assert_int_equal(port, 3799);
	assert_int_equal(mode, DAS_MODE_DISCONNECT);
	assert_int_equal(byod_das_target(&conf, "fd00::5", &port, &mode, &err), 0);
	assert_int_equal(port, 1812);
	assert_int_equal(mode, DAS_MODE_BOTH);
	assert_int_equal(byod_das_target(&conf, "fd00::6", &port, &mode, &err), 0);
	assert_int_equal(port, 3799);
	assert_int_equal(mode, DAS_MODE_COA);
	/* a NAS not listed keeps the defaults */
	assert_int_equal(byod_das_target(&conf, "10.0.0.50", &port, &mode, &err), 0);
	assert_int_equal(port, 3799);
	assert_int_equal(mode, DAS_MODE_BOTH);
	assert_int_equal(byod_conf_set(&conf, "das.nas", "10.0.0.5:99999", &err), 0);
	assert_int_equal(byod_das_target(&conf, "10.0.0.5", &port, &mode, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "10.0.0.5:99999"));
	assert_int_equal(byod_conf_set(&conf, "das.nas", "10.0.0.5/reboot", &err), 0);
	assert_int_equal(byod_das_target(&conf, "10.0.0.5", &port, &mode, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "reboot"));
	assert_int_equal(byod_conf_set(&conf, "das.nas", "10.0.0.5,,10.0.0.6", &err), 0);
	assert_int_equal(byod_das_target(&conf, "10.0.0.6", &port, &mode, &err), -EINVAL);
	byod_conf_free(&conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_semicolon_lf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_errors, setup, teardown),
		cmocka_unit_test(test_import_csv_check),
		cmocka_unit_test_setup_teardown(test_enrol_and_failed_signing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrol_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrol_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrol_offers_encode_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoke_reaches_crl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_apply_diff, setup, teardown),
		cmocka_unit_test(test_das_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
