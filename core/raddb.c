// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A complete private FreeRADIUS 3.2 configuration (a raddb) for the gateway,
 * from the templates in radius-module/raddb (installed as share/byod/raddb):
 * radiusd.conf, the clients, the byod and eap modules (EAP-TLS with the
 * school CA and the RADIUS server certificate), the default virtual server
 * (MAC authentication, EAP, accounting) and the certificate-check virtual
 * server where rlm_byod decides EAP-TLS. The templates are copied as they
 * are; what belongs to this school (paths, addresses, ports, the secret) is
 * written to byod-vars.conf, which radiusd.conf includes first, so that
 * FreeRADIUS itself expands every ${byod_...} reference. `freeradius -f -d
 * DIR` starts the result as it is.
 */
#define _GNU_SOURCE
#include "byod.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byod_util.h"

/* Every template and where its copy goes: the stock layout's -available
 * names in the tree, the enabled ones in the raddb written. */
static const struct raddb_file {
	const char *tmpl;
	const char *out;
	mode_t mode;
} raddb_files[] = {
	{ "radiusd.conf", "radiusd.conf", 0640 },
	{ "clients.conf", "clients.conf", 0600 },
	{ "mods-available/byod", "mods-enabled/byod", 0640 },
	{ "mods-available/eap", "mods-enabled/eap", 0640 },
	{ "sites-available/default", "sites-enabled/default", 0640 },
	{ "sites-available/check-eap-tls", "sites-enabled/check-eap-tls", 0640 },
};

static const char *const raddb_dirs[] = { "mods-enabled", "sites-enabled", "log", "run",
					  "radacct" };

/*
 * Where the eap module keeps its TLS sessions (FreeRADIUS 3.2 resumes them
 * only from files, two per session): on tmpfs, /dev/shm, in a directory of
 * this raddb's own. Its name ends in 64 random bits chosen when the raddb
 * is first written (and kept in byod-vars.conf, so that writing the raddb
 * again keeps it): /dev/shm is everyone's, and a name another local user
 * could work out (it once was a hash of the raddb's path) could be made by
 * them first, which rlm_byod refuses (it would hand them the sessions'
 * master secrets), so that FreeRADIUS would not start. A name named before
 * that is no longer usable (another user's now) is replaced by a new one.
 * rlm_byod creates it 0700 at each start, refuses it when another user owns
 * it, and removes the expired sessions. Without /dev/shm, in the raddb.
 */
#define TLS_CACHE_PREFIX "/dev/shm/byod-tlscache-"

static int shm_usable(void)
{
	struct stat st;

	return !stat("/dev/shm", &st) && S_ISDIR(st.st_mode);
}

/* A name of ours: TLS_CACHE_PREFIX, this user's id, '-', 16 hex digits. */
static int random_cache_name(const char *dir)
{
	char head[64];
	size_t n, i;

	n = (size_t)snprintf(head, sizeof(head), TLS_CACHE_PREFIX "%u-", (unsigned)geteuid());
	if (strncmp(dir, head, n) || strlen(dir + n) != 16)
		return 0;
	for (i = n; dir[i]; i++)
		if (!strchr("0123456789abcdef", dir[i]))
			return 0;
	return 1;
}

/* The name byod-vars.conf gives, when the raddb was written before and it
 * is one of ours (the older hashed names are not): 0, else -ENOENT. */
static int previous_cache(const char *out, char *dir, size_t len)
{
	char path[PATH_MAX], line[PATH_MAX + 32];
	const char *key = "byod_tls_cache = \"";
	int rc = -ENOENT;
	FILE *f;

	if (byod_path_join(path, sizeof(path), out, "byod-vars.conf"))
		return -ENOENT;
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (rc && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		if (strncmp(line, key, strlen(key)) || n < strlen(key) + 2 ||
		    strcmp(line + n - 2, "\"\n"))
			continue;
		line[n - 2] = 0;
		if (random_cache_name(line + strlen(key)) &&
		    (size_t)snprintf(dir, len, "%s", line + strlen(key)) < len)
			rc = 0;
	}
	fclose(f);
	return rc;
}

static int new_cache_name(char *dir, size_t len)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -EIO;
	return (size_t)snprintf(dir, len, TLS_CACHE_PREFIX "%u-%016llx", (unsigned)geteuid(),
				(unsigned long long)r) >= len ?
		       -ENAMETOOLONG :
		       0;
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

/* A value FreeRADIUS reads back unchanged from a double-quoted string: no
 * quote or backslash to end or escape it, no '$' it would expand, no
 * control character (a newline would end the line). */
static int quotable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || *s == '$' || (unsigned char)*s < ' ')
			return 0;
	return 1;
}

/* The school's name in a comment: one line whatever it holds. */
static void comment_text(const char *in, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "%s", in ? in : "");
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < ' ')
			out[i] = ' ';
}

static int copy_template(const char *tmpl_dir, const char *out_dir, const struct raddb_file *f,
			 struct byod_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	char *text = NULL;
	size_t len;
	int rc;

	if (byod_path_join(src, sizeof(src), tmpl_dir, f->tmpl) ||
	    byod_path_join(dst, sizeof(dst), out_dir, f->out))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", out_dir);
	rc = byod_file_read(src, &text, &len, err);
	if (rc) {
		byod_err_prefix(err, "the raddb template %s", f->tmpl);
		goto out;
	}
	rc = byod_file_write(dst, text, len, f->mode, 0, err);
out:
	free(text);
	return rc;
}

/* byod-vars.conf: the values the templates refer to as ${byod_...}.
 * Returns 0 or -errno with err set. */
/* The TLS cache's directory made now too (rlm_byod makes it at each start,
 * tmpfs being emptied at boot), so that a server without rlm_byod resumes
 * sessions as well; one another user owns or others may enter is refused:
 * it would hand them the sessions' master secrets. */
static int make_tls_cache(const char *dir, struct byod_err *err)
{
	struct stat st;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return byod_err_set(err, errno, "%s: %s", dir, strerror(errno));
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode))
		return byod_err_set(err, ENOTDIR, "the TLS session cache %s is not a directory",
				    dir);
	if (st.st_uid != geteuid() || (st.st_mode & 0077))
		return byod_err_set(err, EPERM, "the TLS session cache %s must belong to this user "
						"and be closed to others (0700)",
				    dir);
	return 0;
}

/* The TLS cache's directory, made: the one named before when it is still
 * ours, else a new name (a few tries: each taken name is someone else's). */
static int tls_cache(const char *out, char *dir, size_t len, struct byod_err *err)
{
	int rc, i;

	if (!shm_usable()) {
		if (byod_path_join(dir, len, out, "tlscache"))
			return byod_err_set(err, ENAMETOOLONG, "path too long: %s", out);
		return make_tls_cache(dir, err);
	}
	if (!previous_cache(out, dir, len) && !make_tls_cache(dir, NULL))
		return 0;
	rc = -EEXIST;
	for (i = 0; i < 4 && rc; i++) {
		rc = new_cache_name(dir, len);
		if (rc)
			return byod_err_set(err, -rc, "no name for the TLS session cache");
		rc = make_tls_cache(dir, err);
	}
	return rc;
}

static int write_vars(struct byod_ctx *ctx, const struct byod_radius_params *p, const char *out,
		      const char *home, const char *pki, const char *cache, const char *secret,
		      struct byod_err *err)
{
	char path[PATH_MAX], school[256];
	char *text = NULL;
	int rc;

	comment_text(ctx->conf.school_name, school, sizeof(school));
	if (asprintf(&text,
		     "# FreeRADIUS 3.2 for the BYOD gateway of %s, written by byodctl radius "
		     "config.\n"
		     "# Start: freeradius -f -d %s\n"
		     "# radiusd.conf includes this file first; the other files are the\n"
		     "# templates as they are, and FreeRADIUS expands their ${byod_...}.\n"
		     "byod_raddb = \"%s\"\n"
		     "byod_libdir = \"%s\"\n"
		     "byod_home = \"%s\"\n"
		     "byod_pki = \"%s\"\n"
		     "byod_listen = \"%s\"\n"
		     "byod_client = \"%s\"\n"
		     "byod_auth_port = %d\n"
		     "byod_acct_port = %d\n"
		     "byod_registration_vlan = %d\n"
		     "byod_tls_cache = \"%s\"\n"
		     "byod_secret = \"%s\"\n",
		     school, out, out, p->libdir, home, pki, p->listen, p->client, p->auth_port,
		     p->acct_port, p->registration_vlan, cache, secret) < 0)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = byod_path_join(path, sizeof(path), out, "byod-vars.conf") ?
		     byod_err_set(err, ENAMETOOLONG, "path too long: %s", out) :
		     byod_file_write(path, text, strlen(text), 0600, 0, err);
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
}

int byod_radius_config(struct byod_ctx *ctx, const struct byod_radius_params *p,
		       struct byod_err *err)
{
	char home[PATH_MAX], pki[PATH_MAX], out[PATH_MAX], secret[BYOD_RADIUS_SECRET_MAX];
	char sub[PATH_MAX], line[BYOD_RADIUS_SECRET_MAX + 1], cache[PATH_MAX];
	size_t i;
	int rc;

	if (p->auth_port < 1 || p->auth_port > 65535 || p->acct_port < 1 ||
	    p->acct_port > 65535 || p->auth_port == p->acct_port)
		return byod_err_set(err, EINVAL, "the authentication and accounting ports must be "
						 "two different ports from 1 to 65535");
	if (p->registration_vlan < 1 || p->registration_vlan > 4094)
		return byod_err_set(err, EINVAL, "the registration VLAN must be 1 to 4094");
	if (!p->out || !p->templates || !p->libdir || !p->listen || !p->client)
		return byod_err_set(err, EINVAL, "the raddb needs an output directory, templates, "
						 "a libdir, a listen and a client address");
	if (!quotable(p->libdir) || !quotable(p->listen) || !quotable(p->client))
		return byod_err_set(err, EINVAL, "quotes, backslashes, '$' and control characters "
						 "cannot go into the FreeRADIUS configuration");
	if (p->secret) {
		if (!secret_ok(p->secret))
			return byod_err_set(err, EINVAL,
					    "a RADIUS secret needs 16 to 63 printable characters "
					    "without spaces, quotes or backslashes");
		snprintf(secret, sizeof(secret), "%s", p->secret);
	} else if (make_secret(secret)) {
		return byod_err_set(err, EIO, "no randomness for the RADIUS secret");
	}
	rc = -ENOENT;
	if (!realpath(ctx->conf.home, home)) {
		byod_err_set(err, errno, "%s: %s", ctx->conf.home, strerror(errno));
		goto out;
	}
	if (byod_conf_path(&ctx->conf, ctx->conf.pki_dir, sub, sizeof(sub)) || !realpath(sub, pki)) {
		byod_err_set(err, ENOENT, "the CA directory %s is missing", sub);
		goto out;
	}
	/* every template is there before anything is written */
	for (i = 0; i < sizeof(raddb_files) / sizeof(raddb_files[0]); i++) {
		if (byod_path_join(sub, sizeof(sub), p->templates, raddb_files[i].tmpl) ||
		    access(sub, R_OK)) {
			byod_err_set(err, ENOENT, "the raddb template %s is missing from %s",
				     raddb_files[i].tmpl, p->templates);
			goto out;
		}
	}
	rc = byod_mkdir_p(p->out, 0750, err);
	if (rc)
		goto out;
	if (!realpath(p->out, out)) {
		rc = byod_err_set(err, errno, "%s: %s", p->out, strerror(errno));
		goto out;
	}
	if (!quotable(home) || !quotable(pki) || !quotable(out)) {
		rc = byod_err_set(err, EINVAL, "the paths %s, %s and %s cannot go into the "
					       "FreeRADIUS configuration (quotes, backslashes, "
					       "'$' or control characters)",
				  home, pki, out);
		goto out;
	}
	for (i = 0; !rc && i < sizeof(raddb_dirs) / sizeof(raddb_dirs[0]); i++)
		rc = byod_path_join(sub, sizeof(sub), out, raddb_dirs[i]) ?
			     byod_err_set(err, ENAMETOOLONG, "path too long: %s", out) :
			     byod_mkdir_p(sub, 0750, err);
	for (i = 0; !rc && i < sizeof(raddb_files) / sizeof(raddb_files[0]); i++)
		rc = copy_template(p->templates, out, &raddb_files[i], err);
	if (rc)
		goto out;
	rc = tls_cache(out, cache, sizeof(cache), err);
	if (rc)
		goto out;
	rc = write_vars(ctx, p, out, home, pki, cache, secret, err);
	if (rc)
		goto out;
	snprintf(line, sizeof(line), "%s\n", secret);
	rc = byod_path_join(sub, sizeof(sub), out, "secret") ?
		     byod_err_set(err, ENAMETOOLONG, "path too long: %s", out) :
		     byod_file_write(sub, line, strlen(line), 0600, 0, err);
out:
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(line, sizeof(line));
	return rc;
}
