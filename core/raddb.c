// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A complete private FreeRADIUS 3.2 configuration (a raddb) for the gateway:
 * radiusd.conf, the clients, the byod and eap modules (EAP-TLS with the
 * school CA and the RADIUS server certificate), the default virtual server
 * (MAC authentication, EAP, accounting) and the certificate-check virtual
 * server where rlm_byod decides EAP-TLS. `freeradius -f -d DIR` starts it
 * as it is.
 */
#define _GNU_SOURCE
#include "byod.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"

static int write_text(const char *dir, const char *name, const char *text, mode_t mode,
		      struct byod_err *err)
{
	char path[4096];

	if (byod_path_join(path, sizeof(path), dir, name))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s/%s", dir, name);
	return byod_file_write(path, text, strlen(text), mode, 0, err);
}

/* Formats into a malloc'd string; NULL when out of memory. */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* A RADIUS shared secret: 24 characters of the passphrase alphabet. */
static int make_secret(char out[BYOD_RADIUS_SECRET_MAX])
{
	char a[PKI_PASSPHRASE_MAX], b[PKI_PASSPHRASE_MAX];

	if (pki_passphrase(a) || pki_passphrase(b))
		return -EIO;
	snprintf(out, BYOD_RADIUS_SECRET_MAX, "%s-%.9s", a, b);
	return 0;
}

static int secret_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 16 || n >= BYOD_RADIUS_SECRET_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int byod_radius_config(struct byod_ctx *ctx, const struct byod_radius_params *p,
		       struct byod_err *err)
{
	char home[PATH_MAX], pki[PATH_MAX], secret[BYOD_RADIUS_SECRET_MAX], sub[4096];
	char *text = NULL;
	const char *dirs[] = { "mods-enabled", "sites-enabled", "log", "run", "radacct",
			       "tlscache" };
	size_t i;
	int rc;

	if (p->auth_port < 1 || p->auth_port > 65535 || p->acct_port < 1 ||
	    p->acct_port > 65535 || p->auth_port == p->acct_port)
		return byod_err_set(err, EINVAL, "the authentication and accounting ports must be "
						 "two different ports from 1 to 65535");
	if (p->registration_vlan < 1 || p->registration_vlan > 4094)
		return byod_err_set(err, EINVAL, "the registration VLAN must be 1 to 4094");
	if (p->secret) {
		if (!secret_ok(p->secret))
			return byod_err_set(err, EINVAL,
					    "a RADIUS secret needs 16 to 63 printable characters "
					    "without spaces, quotes or backslashes");
		snprintf(secret, sizeof(secret), "%s", p->secret);
	} else if (make_secret(secret)) {
		return byod_err_set(err, EIO, "no randomness for the RADIUS secret");
	}
	if (!realpath(ctx->conf.home, home))
		return byod_err_set(err, errno, "%s: %s", ctx->conf.home, strerror(errno));
	if (byod_conf_path(&ctx->conf, ctx->conf.pki_dir, sub, sizeof(sub)) || !realpath(sub, pki))
		return byod_err_set(err, ENOENT, "the CA directory %s is missing", sub);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (byod_path_join(sub, sizeof(sub), p->out, dirs[i]))
			return byod_err_set(err, ENAMETOOLONG, "path too long: %s", p->out);
		rc = byod_mkdir_p(sub, 0750, err);
		if (rc)
			return rc;
	}

#define EMIT(name, mode, ...)                                                    \
	do {                                                                     \
		text = fmt(__VA_ARGS__);                                         \
		if (!text)                                                       \
			return byod_err_set(err, ENOMEM, "out of memory");       \
		rc = write_text(p->out, name, text, mode, err);                  \
		free(text);                                                      \
		if (rc)                                                          \
			return rc;                                               \
	} while (0)

	EMIT("radiusd.conf", 0640,
	     "# FreeRADIUS 3.2 for the BYOD gateway of %s, written by byodctl radius config.\n"
	     "# Start: freeradius -f -d %s\n"
	     "prefix = /usr\n"
	     "exec_prefix = /usr\n"
	     "sysconfdir = /etc\n"
	     "localstatedir = /var\n"
	     "sbindir = /usr/sbin\n"
	     "raddbdir = %s\n"
	     "confdir = ${raddbdir}\n"
	     "modconfdir = ${confdir}/mods-config\n"
	     "logdir = ${raddbdir}/log\n"
	     "radacctdir = ${raddbdir}/radacct\n"
	     "run_dir = ${raddbdir}/run\n"
	     "db_dir = ${raddbdir}\n"
	     "name = freeradius\n"
	     "libdir = %s\n"
	     "pidfile = ${run_dir}/${name}.pid\n"
	     "max_request_time = 30\n"
	     "cleanup_delay = 5\n"
	     "max_requests = 65536\n"
	     "hostname_lookups = no\n"
	     "log {\n"
	     "\tdestination = files\n"
	     "\tfile = ${logdir}/radius.log\n"
	     "\tsyslog_facility = daemon\n"
	     "\tstripped_names = no\n"
	     "\tauth = yes\n"
	     "\tauth_badpass = no\n"
	     "\tauth_goodpass = no\n"
	     "}\n"
	     "security {\n"
	     "\tallow_core_dumps = no\n"
	     "\tmax_attributes = 200\n"
	     "\treject_delay = 0\n"
	     "\tstatus_server = yes\n"
	     "}\n"
	     "proxy_requests = no\n"
	     "$INCLUDE clients.conf\n"
	     "thread pool {\n"
	     "\tstart_servers = 4\n"
	     "\tmax_servers = 32\n"
	     "\tmin_spare_servers = 2\n"
	     "\tmax_spare_servers = 8\n"
	     "\tmax_requests_per_server = 0\n"
	     "\tauto_limit_acct = no\n"
	     "}\n"
	     "modules {\n"
	     "\t$INCLUDE mods-enabled/\n"
	     "}\n"
	     "instantiate {\n"
	     "}\n"
	     "policy {\n"
	     "}\n"
	     "$INCLUDE sites-enabled/\n",
	     ctx->conf.school_name, p->out, p->out, p->libdir);

	/* Blast-RADIUS (CVE-2024-3596): Access-Requests without a
	 * Message-Authenticator are dropped. */
	EMIT("clients.conf", 0600,
	     "# The access points and switches allowed to ask. The secret is also in\n"
	     "# the file 'secret' beside this one.\n"
	     "client gateway-local {\n"
	     "\tipaddr = %s\n"
	     "\tsecret = \"%s\"\n"
	     "\trequire_message_authenticator = yes\n"
	     "\tnas_type = other\n"
	     "\tshortname = gateway-local\n"
	     "}\n",
	     p->client, secret);
	EMIT("secret", 0600, "%s\n", secret);

	EMIT("mods-enabled/byod", 0640,
	     "# rlm_byod: decisions from the gateway's registry and segment policy.\n"
	     "byod {\n"
	     "\t# the gateway's state directory (byod.conf, registry, pki)\n"
	     "\thome = \"%s\"\n"
	     "\t# where devices go while the registry or the policy cannot be read\n"
	     "\tregistration_vlan = %d\n"
	     "\t# milliseconds between two reads of the registry's change feed\n"
	     "\tpoll_interval = 200\n"
	     "\t# while the registry has never been read since the start: known\n"
	     "\t# devices cannot be told apart, so every device is put in the\n"
	     "\t# registration VLAN (registration) or refused (reject); once read,\n"
	     "\t# an outage keeps the last decisions from memory\n"
	     "\tregistry_down = registration\n"
	     "}\n",
	     home, p->registration_vlan);

	EMIT("mods-enabled/eap", 0640,
	     "# EAP-TLS with the school CA. rlm_byod decides in the check-eap-tls\n"
	     "# virtual server, where a refusal still ends in an EAP-Failure.\n"
	     "eap {\n"
	     "\tdefault_eap_type = tls\n"
	     "\ttimer_expire = 60\n"
	     "\tignore_unknown_eap_types = no\n"
	     "\tcisco_accounting_username_bug = no\n"
	     "\tmax_sessions = ${max_requests}\n"
	     "\ttls-config tls-common {\n"
	     "\t\tprivate_key_file = %s/radius.key\n"
	     "\t\tcertificate_file = %s/radius.pem\n"
	     "\t\tca_file = %s/ca.pem\n"
	     "\t\tecdh_curve = \"prime256v1\"\n"
	     "\t\tcipher_list = \"DEFAULT\"\n"
	     "\t\tcipher_server_preference = yes\n"
	     "\t\ttls_min_version = \"1.2\"\n"
	     "\t\ttls_max_version = \"1.2\"\n"
	     "\t\tfragment_size = 1024\n"
	     "\t\tinclude_length = yes\n"
	     "\t\tcheck_crl = no\n"
	     "\t\tcache {\n"
	     "\t\t\tenable = yes\n"
	     "\t\t\tlifetime = 24\n"
	     "\t\t\tname = \"byod\"\n"
	     "\t\t\t# FreeRADIUS 3.2 keeps resumable sessions only here\n"
	     "\t\t\tpersist_dir = \"${raddbdir}/tlscache\"\n"
	     "\t\t}\n"
	     "\t\tverify {\n"
	     "\t\t}\n"
	     "\t}\n"
	     "\ttls {\n"
	     "\t\ttls = tls-common\n"
	     "\t\tvirtual_server = check-eap-tls\n"
	     "\t}\n"
	     "}\n",
	     pki, pki, pki);

	EMIT("sites-enabled/default", 0640,
	     "server default {\n"
	     "\tlisten {\n"
	     "\t\ttype = auth\n"
	     "\t\tipaddr = %s\n"
	     "\t\tport = %d\n"
	     "\t}\n"
	     "\tlisten {\n"
	     "\t\ttype = acct\n"
	     "\t\tipaddr = %s\n"
	     "\t\tport = %d\n"
	     "\t}\n"
	     "\tauthorize {\n"
	     "\t\teap {\n"
	     "\t\t\tok = return\n"
	     "\t\t\tupdated = return\n"
	     "\t\t}\n"
	     "\t\t# no EAP: MAC authentication\n"
	     "\t\tbyod\n"
	     "\t}\n"
	     "\tauthenticate {\n"
	     "\t\tAuth-Type eap {\n"
	     "\t\t\teap\n"
	     "\t\t}\n"
	     "\t}\n"
	     "\tpreacct {\n"
	     "\t}\n"
	     "\taccounting {\n"
	     "\t\tbyod\n"
	     "\t}\n"
	     "\tpost-auth {\n"
	     "\t\t# the final decision of an EAP-TLS accept (resumed sessions too)\n"
	     "\t\tbyod\n"
	     "\t\tPost-Auth-Type REJECT {\n"
	     "\t\t\teap\n"
	     "\t\t}\n"
	     "\t}\n"
	     "}\n",
	     p->listen, p->auth_port, p->listen, p->acct_port);

	EMIT("sites-enabled/check-eap-tls", 0640,
	     "# Called by eap { tls { virtual_server } } once the client certificate\n"
	     "# has verified: TLS-Client-Cert-Serial and friends are in the request.\n"
	     "server check-eap-tls {\n"
	     "\tauthorize {\n"
	     "\t\tbyod\n"
	     "\t}\n"
	     "}\n");
#undef EMIT
	return 0;
}
