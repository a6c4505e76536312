// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state directory of one gateway (HOME): opening it as a context,
 * creating it for a new school, adding accounts and publishing the CRL.
 *
 * HOME holds byod.conf, the SQLite registry and pki/ (the CA key, server
 * certificates and the current CRL), whose names must agree with byod.conf
 * (byod_names_check). A new HOME is built in a staging
 * directory beside it and renamed into place, so a failed init leaves
 * nothing a later one would trip over.
 */
#define _GNU_SOURCE
#include "byod.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "byod_util.h"
#include "byod_vec.h"

int byod_open(const char *home, const char *actor, struct byod_ctx **out, struct byod_err *err)
{
	struct byod_ctx *ctx;
	int rc;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_conf_load_home(&ctx->conf, home, err);
	if (rc) {
		char path[4096];

		if (!byod_path_join(path, sizeof(path), home, BYOD_CONF_NAME) &&
		    access(path, F_OK) != 0)
			byod_err_prefix(err, "%s is not initialised (byodctl init)", home);
		goto out;
	}
	rc = reg_open_conf(&ctx->conf, actor, 0, &ctx->reg, err);
out:
	if (rc) {
		byod_close(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

/* The first DNS name of x's subjectAltName into out ("" when none). */
static void first_dns_name(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i;

	out[0] = '\0';
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);

		if (g->type == GEN_DNS) {
			snprintf(out, len, "%.*s", ASN1_STRING_length(g->d.dNSName),
				 (const char *)ASN1_STRING_get0_data(g->d.dNSName));
			break;
		}
	}
	GENERAL_NAMES_free(names);
}

int byod_names_check(const struct byod_conf *conf, struct byod_err *err)
{
	char fqdn[BYOD_DNS_MAX], realm[BYOD_DNS_MAX], path[4200], pki[4096], has[BYOD_DNS_MAX];
	const char *name = conf->radius_server_name;
	X509 *x = NULL;
	FILE *f;
	int rc;

	rc = byod_passpoint_names(name, conf->wifi_passpoint_realm, fqdn, realm, err);
	if (rc)
		return rc;
	if (byod_conf_path(conf, conf->pki_dir, pki, sizeof(pki)) ||
	    byod_path_join(path, sizeof(path), pki, "radius.pem"))
		return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
	f = fopen(path, "re");
	if (!f)
		return 0; /* the RADIUS server is elsewhere: nothing to compare */
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		ERR_clear_error();
		return byod_err_set(err, EINVAL, "%s is not a PEM certificate", path);
	}
	if (X509_check_host(x, name, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) != 1) {
		first_dns_name(x, has, sizeof(has));
		rc = byod_err_set(err, EINVAL,
				  "radius.server-name '%s' is not the name in the RADIUS server's "
				  "certificate %s ('%s'): every device, and Android's Passpoint "
				  "(FQDN %s), would refuse the server; set radius.server-name to "
				  "'%s' or give the server a certificate for '%s'",
				  name, path, has, fqdn, has, name);
	}
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int byod_open_conf(const struct byod_conf *conf, const char *actor, struct byod_ctx **out,
		   struct byod_err *err)
{
	struct byod_ctx *ctx;
	int rc;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_conf_copy(&ctx->conf, conf);
	if (rc)
		rc = byod_err_set(err, ENOMEM, "out of memory");
	else
		rc = reg_open_conf(&ctx->conf, actor, 0, &ctx->reg, err);
	if (rc) {
		byod_close(ctx);
		return rc;
	}
	*out = ctx;
	return 0;
}

void byod_close(struct byod_ctx *ctx)
{
	if (!ctx)
		return;
	reg_close(ctx->reg);
	pki_ca_free(ctx->ca);
	byod_conf_free(&ctx->conf);
	free(ctx);
}

int byod_ca(struct byod_ctx *ctx, struct pki_ca **ca, struct byod_err *err)
{
	char dir[4096];
	int rc;

	if (!ctx->ca) {
		if (byod_conf_path(&ctx->conf, ctx->conf.pki_dir, dir, sizeof(dir)))
			return byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
		rc = pki_ca_load(dir, &ctx->ca, err);
		if (rc)
			return rc;
	}
	*ca = ctx->ca;
	return 0;
}

int byod_login_normalise(const char *in, char *out, size_t len)
{
	size_t n = strlen(in), i;

	if (n == 0 || n >= REG_LOGIN_MAX || n >= len)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)in[i]) && !strchr("._-@", in[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	return 0;
}

int byod_user_add(struct byod_ctx *ctx, struct reg_person *p, const char *password,
		  struct byod_err *err)
{
	char login[REG_LOGIN_MAX];

	if (byod_login_normalise(p->login, login, sizeof(login)))
		return byod_err_set(err, EINVAL,
				    "'%s' is not a login (letters, digits and . _ - @, at most 63)",
				    p->login);
	memcpy(p->login, login, sizeof(login));
	if (password && password[0]) {
		int rc = reg_password_hash(password, ctx->conf.auth_yescrypt_cost,
					   p->password_hash, sizeof(p->password_hash), err);

		if (rc)
			return rc;
	}
	return reg_person_add(ctx->reg, p, err);
}

/* The serials are kept apart from the items, which point at them only
 * once the list is complete: a growing vector moves its elements. */
struct crl_serial {
	char s[REG_SERIAL_MAX];
};
struct crl_list {
	struct byod_vec items;	 /* struct pki_revoked */
	struct byod_vec serials; /* struct crl_serial, one per item */
};

static int collect_revoked(const struct reg_cert *c, void *arg)
{
	struct crl_list *l = arg;
	struct pki_revoked *item;
	struct crl_serial *serial;

	item = byod_vec_push(&l->items);
	if (!item)
		return -ENOMEM;
	serial = byod_vec_push(&l->serials);
	if (!serial)
		return -ENOMEM;
	snprintf(serial->s, sizeof(serial->s), "%s", c->serial);
	item->when = c->revoked_at;
	item->reason = c->reason;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int byod_crl_publish(struct byod_ctx *ctx, const char *out_path, struct byod_err *err)
{
	struct crl_list list = {
		.items = BYOD_VEC_INIT(struct pki_revoked),
		.serials = BYOD_VEC_INIT(struct crl_serial),
	};
	struct pki_ca *ca;
	char *pem = NULL, dir[4096], path[4096];
	unsigned char *der = NULL;
	size_t der_len = 0, i;
	int64_t number;
	int rc;

	rc = byod_ca(ctx, &ca, err);
	if (rc)
		return rc;
	rc = reg_cert_list_revoked(ctx->reg, collect_revoked, &list, err);
	if (rc) {
		if (rc == -ENOMEM)
			byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < list.items.n; i++)
		BYOD_VEC_AT(&list.items, struct pki_revoked, i)->serial =
			BYOD_VEC_AT(&list.serials, struct crl_serial, i)->s;
	rc = reg_counter_next(ctx->reg, "crl", &number, err);
	if (rc)
		goto out;
	rc = pki_crl_make(ca, list.items.v, list.items.n, number, ctx->conf.pki_crl_days, &pem,
			  &der, &der_len, err);
	if (rc)
		goto out;
	rc = byod_conf_path(&ctx->conf, ctx->conf.pki_dir, dir, sizeof(dir));
	if (!rc)
		rc = byod_path_join(path, sizeof(path), dir, "crl.pem");
	if (rc) {
		rc = byod_err_set(err, ENAMETOOLONG, "pki.dir too long");
		goto out;
	}
	rc = byod_file_write(path, pem, strlen(pem), 0644, 0, err);
	if (rc)
		goto out;
	byod_path_join(path, sizeof(path), dir, "crl.der");
	rc = byod_file_write(path, der, der_len, 0644, 0, err);
	if (rc)
		goto out;
	if (out_path) {
		if (ends_with(out_path, ".der"))
			rc = byod_file_write(out_path, der, der_len, 0644, 0, err);
		else
			rc = byod_file_write(out_path, pem, strlen(pem), 0644, 0, err);
	}
out:
	byod_vec_free(&list.items);
	byod_vec_free(&list.serials);
	free(pem);
	free(der);
	return rc;
}

static int write_issued(const char *dir, const char *name, const struct pki_issued *c,
			struct byod_err *err)
{
	char path[4096];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s.pem", dir, name) >= (int)sizeof(path))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", dir);
	rc = byod_file_write(path, c->cert_pem, strlen(c->cert_pem), 0644, 1, err);
	if (rc)
		return rc;
	if (snprintf(path, sizeof(path), "%s/%s.key", dir, name) >= (int)sizeof(path))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", dir);
	return byod_file_write(path, c->key_pem, strlen(c->key_pem), 0600, 1, err);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Everything init makes, made inside stage (which becomes HOME). */
/* The school's own text replaces this; it is school content, in the
 * school's language, not portal wording (which lives in the catalogues). */
static const char starter_charter[] =
	"<h2>Charte d'usage du r\u00e9seau sans fil</h2>\n"
	"<p>En inscrivant cet appareil, je m'engage \u00e0 :</p>\n"
	"<ul>\n"
	"<li>utiliser le r\u00e9seau de l'\u00e9tablissement pour le travail scolaire ;</li>\n"
	"<li>ne pas pr\u00eater mon appareil inscrit ni son certificat ;</li>\n"
	"<li>signaler tout de suite la perte ou le vol de l'appareil "
	"(\u00ab\u00a0J'ai perdu cet appareil\u00a0\u00bb dans Mes appareils).</li>\n"
	"</ul>\n"
	"<p>L'\u00e9tablissement conserve la liste des appareils inscrits et les journaux de "
	"connexion un an, comme la loi le demande.</p>\n";

static int init_stage(const char *stage, const struct byod_init_params *p, struct byod_err *err)
{
	struct byod_ctx *ctx = NULL;
	struct pki_ca_params cap;
	struct pki_issued srv;
	struct reg_school school;
	struct pki_ca *ca;
	char path[4096], pki_dir[4096], cn[256];
	const char *names[2];
	int rc, i;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_conf_defaults(&ctx->conf, stage);
	if (rc) {
		rc = byod_err_set(err, rc, "out of memory");
		goto out;
	}
	rc = byod_conf_set(&ctx->conf, "school.uai", p->uai, err);
	if (!rc)
		rc = byod_conf_set(&ctx->conf, "school.name", p->name, err);
	if (!rc && p->yescrypt_cost)
		ctx->conf.auth_yescrypt_cost = p->yescrypt_cost;
	if (rc)
		goto out;
	byod_path_join(path, sizeof(path), stage, BYOD_CONF_NAME);
	rc = byod_conf_write(&ctx->conf, path, err);
	if (rc)
		goto out;

	/* A starter charter the school replaces with its own (enrol.charter-file). */
	byod_path_join(path, sizeof(path), stage, ctx->conf.enrol_charter_file);
	rc = byod_file_write(path, starter_charter, strlen(starter_charter), 0644, 1, err);
	if (rc)
		goto out;

	rc = reg_open_conf(&ctx->conf, "byodctl:init", 0, &ctx->reg, err);
	if (rc)
		goto out;
	memset(&school, 0, sizeof(school));
	snprintf(school.uai, sizeof(school.uai), "%s", p->uai);
	snprintf(school.name, sizeof(school.name), "%s", p->name);
	rc = reg_school_add(ctx->reg, &school, err);
	if (rc)
		goto out;

	byod_conf_path(&ctx->conf, ctx->conf.pki_dir, pki_dir, sizeof(pki_dir));
	rc = byod_mkdir_p(pki_dir, 0700, err);
	if (rc)
		goto out;
	snprintf(cn, sizeof(cn), "%.200s BYOD CA", p->name);
	memset(&cap, 0, sizeof(cap));
	cap.common_name = cn;
	cap.organisation = p->name;
	cap.uai = p->uai;
	cap.years = ctx->conf.pki_ca_years;
	rc = pki_ca_create(pki_dir, &cap, err);
	if (rc)
		goto out;
	rc = byod_ca(ctx, &ca, err);
	if (rc)
		goto out;
	names[0] = ctx->conf.radius_server_name;
	names[1] = ctx->conf.portal_hostname;
	for (i = 0; i < 2; i++) {
		rc = pki_server_issue(ca, names[i], ctx->conf.pki_server_days, &srv, err);
		if (!rc) {
			rc = write_issued(pki_dir, i == 0 ? "radius" : "portal", &srv, err);
			pki_issued_clear(&srv);
		}
		if (rc)
			goto out;
	}
	rc = byod_crl_publish(ctx, NULL, err);
out:
	byod_close(ctx);
	return rc;
}

int byod_home_init(const char *home, const struct byod_init_params *p, struct byod_err *err)
{
	char stage[4096], expected;
	int rc, existed;

	if (byod_uai_check(p->uai, &expected))
		return byod_err_set(err, EINVAL,
				    "'%s' is not a UAI (7 digits and a letter, such as 0750654D)",
				    p->uai);
	if (!p->name || !p->name[0])
		return byod_err_set(err, EINVAL, "the school needs a name");
	existed = access(home, F_OK) == 0;
	if (existed && !dir_is_empty(home))
		return byod_err_set(err, EEXIST, "%s already exists and is not empty", home);
	if (snprintf(stage, sizeof(stage), "%s.init.XXXXXX", home) >= (int)sizeof(stage))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", home);
	if (!mkdtemp(stage))
		return byod_err_set(err, errno, "cannot create %s: %s", stage, strerror(errno));
	chmod(stage, 0750);
	rc = init_stage(stage, p, err);
	if (!rc) {
		/* The registry and configuration name paths relative to HOME, so
		 * the staging directory can become HOME by renaming. */
		if (existed && rmdir(home) < 0)
			rc = byod_err_set(err, errno, "cannot replace %s: %s", home,
					  strerror(errno));
		else if (rename(stage, home) < 0)
			rc = byod_err_set(err, errno, "cannot create %s: %s", home,
					  strerror(errno));
	}
	if (rc)
		nftw(stage, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
