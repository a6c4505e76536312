// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * geteduroam's OAuth 2.0 in the registry: authorization codes, grants and
 * their tokens, as the portal's authorization server (enrol-portal/oauth*.c)
 * keeps them. This file checks what every row must be (hashes in lowercase
 * hex, a known client id's shape, times that make sense) and holds the
 * one-time rules of RFC 6749 in single transactions: a code exchanged
 * twice revokes the grant it gave (§4.1.2), a refresh token used twice
 * revokes its grant (rotation, RFC 9700 §4.14.2) and the certificates
 * renewed with what it gave (revoke_stolen_renewals). Like the portal's other
 * state, these rows write no change-feed event; a grant revoked for a
 * replay writes an audit row, because it means a code or token was stolen.
 */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_internal.h"

static int check_hash(const char *h, const char *what, struct byod_err *err)
{
	size_t i;

	for (i = 0; h && i < REG_HASH_HEX - 1; i++)
		if (!isxdigit((unsigned char)h[i]) || isupper((unsigned char)h[i]))
			break;
	if (!h || i != REG_HASH_HEX - 1 || h[i])
		return byod_err_set(err, EINVAL, "%s is not a SHA-256 in lowercase hex", what);
	return 0;
}

/* A client id as geteduroam's are: a reverse DNS name, [a-z0-9.-]. */
static int check_client(const char *c, struct byod_err *err)
{
	size_t i, n = c ? strlen(c) : 0;

	if (!n || n >= REG_OAUTH_CLIENT_MAX)
		return byod_err_set(err, EINVAL, "an OAuth client id has 1 to %d characters",
				    REG_OAUTH_CLIENT_MAX - 1);
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)c[i]) && !isdigit((unsigned char)c[i]) &&
		    !strchr(".-_", c[i]))
			return byod_err_set(err, EINVAL, "'%.63s' is not an OAuth client id", c);
	return 0;
}

/* A PKCE challenge: 43 to 128 characters of base64url (RFC 7636 §4.2). */
static int check_challenge(const char *c, struct byod_err *err)
{
	size_t i, n = strlen(c);

	if (n < 43 || n > 128)
		return byod_err_set(err, EINVAL, "a PKCE challenge has 43 to 128 characters");
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)c[i]) && !strchr("-._~", c[i]))
			return byod_err_set(err, EINVAL, "a PKCE challenge is base64url");
	return 0;
}

int reg_oauth_code_add(struct reg *reg, const struct reg_oauth_code *c, struct byod_err *err)
{
	int rc;

	rc = check_hash(c->code_hash, "the code's hash", err);
	if (!rc)
		rc = check_hash(c->redirect_hash, "the redirect URI's hash", err);
	if (!rc)
		rc = check_client(c->client, err);
	if (!rc)
		rc = check_challenge(c->challenge, err);
	if (!rc)
		rc = reg_check_text(c->charter, REG_CHARTER_MAX, 1, "charter version", err);
	if (!rc && c->expires <= c->created)
		rc = byod_err_set(err, EINVAL,
				  "an authorization code must expire after it is made");
	if (rc)
		return rc;
	rc = OPS(reg)->oauth_code_insert(reg->be, c, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no account with id %lld", (long long)c->person);
	return rc;
}

int reg_oauth_code_get(struct reg *reg, const char *code_hash, struct reg_oauth_code *out,
		       struct byod_err *err)
{
	int rc = check_hash(code_hash, "the code's hash", err);

	if (!rc)
		rc = OPS(reg)->oauth_code_get(reg->be, code_hash, out, err);
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such authorization code");
	return rc;
}

/* A grant revoked because a one-time value came back: audited. */
static int revoke_replayed(struct reg *reg, int64_t grant, time_t now, const char *what,
			   struct byod_err *err)
{
	char object[32];
	int rc;

	if (!grant)
		return 0;
	rc = OPS(reg)->oauth_grant_revoke(reg->be, grant, now, err);
	snprintf(object, sizeof(object), "%lld", (long long)grant);
	if (!rc)
		rc = reg_audit_add_school(reg, "", what, object, NULL, NULL, err);
	return rc;
}

/*
 * A refresh token used twice means one of its two users is a thief, and
 * the first user may well be the thief: with the access token that refresh
 * gave (marked refreshed), inside the renewal window, /api/eap-config/
 * renews the grant's device and hands over a PKCS#12. Revoking the grant
 * stops further tokens but not that certificate, which would even revoke
 * the pupil's own once first seen at RADIUS (reg_cert_seen). So, in the
 * transaction that revokes the grant, every valid certificate of the
 * grant's device that was issued by renewal (it replaces another) since
 * the reused token was first used is revoked too (reason keyCompromise,
 * audited "cert.revoke", on the change feed): whoever renewed after that
 * moment held the stolen chain or raced it, and we cannot tell which, so
 * both lose the renewal. The certificate such a renewal replaced is left
 * alone: the pupil's device keeps working with it (unless the thief's was
 * already seen at RADIUS and superseded it: then the pupil enrols again),
 * and renews again later through a new grant. A certificate's not_before
 * is backdated by the CA (pki/issue.c, five minutes), so "issued since"
 * is "not_before later than the first use minus ISSUE_SLACK".
 */
#define ISSUE_SLACK 600
#define STOLEN_MAX  16

struct stolen {
	time_t since;
	size_t n;
	char serial[STOLEN_MAX][REG_SERIAL_MAX];
};

static int pick_stolen(const struct reg_cert *c, void *arg)
{
	struct stolen *s = arg;

	if (c->state == REG_CERT_VALID && c->replaces[0] && c->not_before >= s->since &&
	    s->n < STOLEN_MAX)
		snprintf(s->serial[s->n++], REG_SERIAL_MAX, "%s", c->serial);
	return 0;
}

static int revoke_stolen_renewals(struct reg *reg, const struct reg_oauth_grant *g,
				  const struct reg_oauth_token *reused, time_t now,
				  struct byod_err *err)
{
	struct stolen s = {.since = reused->used - ISSUE_SLACK};
	size_t i;
	int rc;

	if (!g->device[0] || reused->kind != REG_OAUTH_REFRESH || !reused->used)
		return 0;
	rc = reg_cert_list_for_device(reg, g->device, pick_stolen, &s, err);
	for (i = 0; !rc && i < s.n; i++) {
		rc = reg_cert_revoke(reg, s.serial[i], REG_REASON_KEY_COMPROMISE, now, err);
		if (rc == -EALREADY)
			rc = 0;
	}
	return rc;
}

static int check_tokens(const struct reg_oauth_token *access, const struct reg_oauth_token *refresh,
			time_t now, struct byod_err *err)
{
	int rc = check_hash(access->token_hash, "the access token's hash", err);

	if (!rc && access->expires <= now)
		rc = byod_err_set(err, EINVAL, "an access token must expire after now");
	if (!rc && refresh)
		rc = check_hash(refresh->token_hash, "the refresh token's hash", err);
	if (!rc && refresh && refresh->expires <= now)
		rc = byod_err_set(err, EINVAL, "a refresh token must expire after now");
	return rc;
}

static int store_tokens(struct reg *reg, int64_t grant, struct reg_oauth_token *access,
			struct reg_oauth_token *refresh, time_t now, int refreshed,
			struct byod_err *err)
{
	int rc;

	access->grant = grant;
	access->kind = REG_OAUTH_ACCESS;
	access->refreshed = refreshed;
	access->created = now;
	access->used = 0;
	rc = OPS(reg)->oauth_token_insert(reg->be, access, err);
	if (!rc && refresh) {
		refresh->grant = grant;
		refresh->kind = REG_OAUTH_REFRESH;
		refresh->refreshed = refreshed;
		refresh->created = now;
		refresh->used = 0;
		rc = OPS(reg)->oauth_token_insert(reg->be, refresh, err);
	}
	return rc;
}

int reg_oauth_code_redeem(struct reg *reg, const char *code_hash, time_t now,
			  struct reg_oauth_token *access, struct reg_oauth_token *refresh,
			  struct reg_oauth_grant *out, struct byod_err *err)
{
	struct reg_oauth_code c;
	int rc, wrote = 0, changes = 0, replay = 0;

	rc = check_hash(code_hash, "the code's hash", err);
	if (!rc)
		rc = check_tokens(access, refresh, now, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_oauth_code_get(reg, code_hash, &c, err);
	if (rc)
		goto out;
	if (c.used) {
		wrote = replay = 1;
		rc = revoke_replayed(reg, c.grant, now, "oauth.code-replayed", err);
		if (!rc)
			rc = byod_err_set(err, EALREADY,
					  "this authorization code was used already; the access it "
					  "gave is revoked");
		goto out;
	}
	if (c.expires <= now) {
		rc = byod_err_set(err, ETIMEDOUT, "this authorization code has expired");
		goto out;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->client, sizeof(out->client), "%s", c.client);
	snprintf(out->charter, sizeof(out->charter), "%s", c.charter);
	out->person = c.person;
	out->created = now;
	wrote = 1;
	rc = OPS(reg)->oauth_grant_insert(reg->be, out, err);
	if (!rc)
		rc = OPS(reg)->oauth_code_use(reg->be, code_hash, now, out->id, &changes, err);
	if (!rc && changes != 1) {
		/* another exchange of the same code committed after we read it
		 * (PostgreSQL, READ COMMITTED): a replay like any other, so the
		 * grant it gave is revoked, and the one made here with it */
		replay = 1;
		rc = reg_oauth_code_get(reg, code_hash, &c, err);
		if (!rc)
			rc = revoke_replayed(reg, c.grant, now, "oauth.code-replayed", err);
		if (!rc)
			rc = OPS(reg)->oauth_grant_revoke(reg->be, out->id, now, err);
		if (!rc)
			rc = byod_err_set(err, EALREADY,
					  "this authorization code was used already; the access it "
					  "gave is revoked");
		goto out;
	}
	if (!rc)
		rc = store_tokens(reg, out->id, access, refresh, now, 0, err);
out:
	/* a replay's revocation is kept even though the exchange fails */
	if (replay && rc == -EALREADY) {
		struct byod_err ignored;
		int crc = reg_tx_end(reg, 0, wrote, &ignored);

		return crc ? crc : rc;
	}
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_oauth_token_find(struct reg *reg, const char *token_hash, time_t now,
			 struct reg_oauth_token *tok, struct reg_oauth_grant *grant,
			 struct byod_err *err)
{
	int rc = check_hash(token_hash, "the token's hash", err);

	if (!rc)
		rc = OPS(reg)->oauth_token_get(reg->be, token_hash, tok, err);
	if (!rc)
		rc = OPS(reg)->oauth_grant_get(reg->be, tok->grant, grant, err);
	if (!rc && (tok->expires <= now || grant->revoked))
		rc = -ENOENT;
	if (rc == -ENOENT)
		return byod_err_set(err, ENOENT, "no such token, or it has expired or was revoked");
	if (!rc && tok->used)
		rc = byod_err_set(err, EALREADY,
				  tok->kind == REG_OAUTH_REFRESH
					  ? "this refresh token was used already"
					  : "this access token was spent already");
	return rc;
}

int reg_oauth_refresh(struct reg *reg, const char *refresh_hash, const char *client, time_t now,
		      struct reg_oauth_token *access, struct reg_oauth_token *refresh,
		      struct reg_oauth_grant *grant, struct byod_err *err)
{
	struct reg_oauth_token old;
	int rc, wrote = 0, changes = 0, replay = 0;

	rc = check_hash(refresh_hash, "the refresh token's hash", err);
	if (!rc)
		rc = check_client(client, err);
	if (!rc)
		rc = check_tokens(access, refresh, now, err);
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_oauth_token_find(reg, refresh_hash, now, &old, grant, err);
	if (rc == -EALREADY) {
		wrote = replay = 1;
		rc = revoke_replayed(reg, old.grant, now, "oauth.refresh-replayed", err);
		if (!rc)
			rc = revoke_stolen_renewals(reg, grant, &old, now, err);
		if (!rc)
			rc = byod_err_set(err, EALREADY,
					  "this refresh token was used already; the access it "
					  "gave is revoked");
		goto out;
	}
	if (rc)
		goto out;
	if (old.kind != REG_OAUTH_REFRESH) {
		rc = byod_err_set(err, ENOENT, "this is not a refresh token");
		goto out;
	}
	if (strcmp(grant->client, client)) {
		rc = byod_err_set(err, EPERM, "this refresh token was given to another client");
		goto out;
	}
	wrote = 1;
	rc = OPS(reg)->oauth_token_use(reg->be, refresh_hash, now, &changes, err);
	if (!rc && changes != 1)
		rc = byod_err_set(err, EALREADY, "this refresh token was used already");
	if (!rc)
		rc = store_tokens(reg, grant->id, access, refresh, now, 1, err);
out:
	if (replay && rc == -EALREADY) {
		struct byod_err ignored;
		int crc = reg_tx_end(reg, 0, wrote, &ignored);

		return crc ? crc : rc;
	}
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_oauth_token_spend(struct reg *reg, const char *token_hash, time_t now, struct byod_err *err)
{
	struct reg_oauth_token t;
	int rc = check_hash(token_hash, "the token's hash", err), changes = 0;

	if (!rc)
		rc = OPS(reg)->oauth_token_get(reg->be, token_hash, &t, err);
	if (rc == -ENOENT)
		return byod_err_set(err, ENOENT, "no such token");
	if (!rc && t.kind != REG_OAUTH_ACCESS)
		return byod_err_set(err, EINVAL, "only an access token is spent");
	if (!rc)
		rc = OPS(reg)->oauth_token_use(reg->be, token_hash, now, &changes, err);
	if (!rc && changes != 1)
		rc = byod_err_set(err, EALREADY, "this access token was spent already");
	return rc;
}

int reg_oauth_grant_get(struct reg *reg, int64_t id, struct reg_oauth_grant *out,
			struct byod_err *err)
{
	int rc = id > 0 ? OPS(reg)->oauth_grant_get(reg->be, id, out, err) : -ENOENT;

	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no OAuth grant %lld", (long long)id);
	return rc;
}

int reg_oauth_grant_set_device(struct reg *reg, int64_t id, const char *device,
			       struct byod_err *err)
{
	struct reg_oauth_grant g;
	struct reg_device d;
	int rc, wrote = 0, changes = 0;

	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_oauth_grant_get(reg, id, &g, err);
	if (!rc && g.revoked)
		rc = byod_err_set(err, ENOENT, "OAuth grant %lld is revoked", (long long)id);
	if (!rc && g.device[0])
		rc = byod_err_set(err, EEXIST, "OAuth grant %lld has a device already",
				  (long long)id);
	if (!rc)
		rc = reg_device_get(reg, device, &d, err);
	if (!rc && d.owner != g.person)
		rc = byod_err_set(err, EPERM, "device %s is not the grant's person's", d.id);
	if (!rc) {
		wrote = 1;
		rc = OPS(reg)->oauth_grant_set_device(reg->be, id, d.id, &changes, err);
	}
	if (!rc && changes != 1)
		rc = byod_err_set(err, EEXIST, "OAuth grant %lld has a device already",
				  (long long)id);
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_oauth_grant_revoke(struct reg *reg, int64_t id, time_t now, struct byod_err *err)
{
	struct reg_oauth_grant g;
	int rc, wrote = 0;

	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = reg_oauth_grant_get(reg, id, &g, err);
	if (!rc) {
		wrote = 1;
		rc = OPS(reg)->oauth_grant_revoke(reg->be, id, now, err);
	}
	return reg_tx_end(reg, rc, wrote, err);
}

int reg_oauth_device_drop(struct reg *reg, const char *device, struct byod_err *err)
{
	int rc, changes = 0;

	if (!device || !device[0] || strlen(device) >= REG_ID_MAX)
		return byod_err_set(err, EINVAL, "'%.40s' is not a device id",
				    device ? device : "");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->oauth_device_drop(reg->be, device, time(NULL), &changes, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_oauth_request_put(struct reg *reg, const char *id_hash, const char *data, time_t now,
			  time_t expires, struct byod_err *err)
{
	int rc = check_hash(id_hash, "the request's hash", err);

	if (!rc && (!data || !data[0] || strlen(data) >= REG_OAUTH_REQUEST_MAX))
		rc = byod_err_set(err, EINVAL, "an authorization request has 1 to %d bytes",
				  REG_OAUTH_REQUEST_MAX - 1);
	if (!rc && expires <= now)
		rc = byod_err_set(err, EINVAL, "an authorization request must expire after now");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->oauth_request_put(reg->be, id_hash, data, now, expires, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_oauth_request_get(struct reg *reg, const char *id_hash, time_t now, char **data,
			  struct byod_err *err)
{
	time_t expires = 0;
	int rc = check_hash(id_hash, "the request's hash", err);

	*data = NULL;
	if (!rc)
		rc = OPS(reg)->oauth_request_get(reg->be, id_hash, data, &expires, err);
	if (!rc && expires <= now) {
		free(*data);
		*data = NULL;
		rc = -ENOENT;
	}
	if (rc == -ENOENT)
		rc = byod_err_set(err, ENOENT, "no such authorization request, or it has expired");
	return rc;
}

int reg_oauth_request_delete(struct reg *reg, const char *id_hash, struct byod_err *err)
{
	int rc = check_hash(id_hash, "the request's hash", err);

	return rc ? rc : OPS(reg)->oauth_request_delete(reg->be, id_hash, err);
}

int reg_oauth_purge(struct reg *reg, time_t before, int *deleted, struct byod_err *err)
{
	int rc, n = 0;

	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->oauth_purge(reg->be, before, &n, err);
	if (!rc && deleted)
		*deleted = n;
	return reg_tx_end(reg, rc, 1, err);
}
