// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Single-use keys in the registry (registry.h, "single-use keys"): what
 * the identity sources keep between two requests that may reach two
 * processes (a SAML request's state until the identity provider answers)
 * and what must be seen only once (a SAML assertion's ID, against
 * replays). This file checks keys, data and times; each use is one
 * statement of the backend (sqlite_once.c, postgres_once.c), so that of two
 * processes using one key at once exactly one wins. Like the portal's
 * other state, no audit row and no change-feed event: the caller audits
 * what the use means (a replay refused, a login).
 */
#include "registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reg_internal.h"

/* Printable ASCII without space: keys end up in logs when a use fails. */
static int check_key(const char *key, struct byod_err *err)
{
	size_t i, n = key ? strnlen(key, REG_ONCE_KEY_MAX) : 0;

	if (!n || n == REG_ONCE_KEY_MAX)
		return byod_err_set(err, EINVAL, "a single-use key has 1 to %d characters",
				    REG_ONCE_KEY_MAX - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
			return byod_err_set(err, EINVAL,
					    "a single-use key is printable ASCII without space");
	return 0;
}

/* Text without NUL (a C string) or control characters but tab, CR and LF. */
static int check_data(const char *data, struct byod_err *err)
{
	size_t i, n = strnlen(data, REG_ONCE_DATA_MAX);

	if (n == REG_ONCE_DATA_MAX)
		return byod_err_set(err, EINVAL, "a single-use key's data has at most %d bytes",
				    REG_ONCE_DATA_MAX - 1);
	for (i = 0; i < n; i++)
		if (((unsigned char)data[i] < 0x20 && !strchr("\t\r\n", data[i])) ||
		    data[i] == 0x7f)
			return byod_err_set(err, EINVAL,
					    "a single-use key's data holds a control character");
	return 0;
}

int reg_once_put(struct reg *reg, const char *key, const char *data, time_t now, time_t expires,
		 struct byod_err *err)
{
	int rc = check_key(key, err), n = 0;

	if (!rc && !data)
		data = "";
	if (!rc)
		rc = check_data(data, err);
	if (!rc && (now < 0 || expires <= now))
		rc = byod_err_set(err, EINVAL, "a single-use key must expire after now");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->once_put(reg->be, key, data, now, expires, &n, err);
	/* the upsert decides: a live row was there, nothing written */
	if (!rc && n != 1)
		return reg_tx_end(reg, byod_err_set(err, EEXIST, "the single-use key %.40s%s is "
						    "in use", key, strlen(key) > 40 ? "..." : ""),
				  0, err);
	return reg_tx_end(reg, rc, 1, err);
}

int reg_once_claim(struct reg *reg, const char *key, time_t now, time_t expires,
		   struct byod_err *err)
{
	return reg_once_put(reg, key, "", now, expires, err);
}

int reg_once_take(struct reg *reg, const char *key, time_t now, char **data,
		  struct byod_err *err)
{
	char *d = NULL;
	int rc = check_key(key, err);

	if (data)
		*data = NULL;
	if (!rc && now < 0)
		rc = byod_err_set(err, EINVAL, "a negative time");
	if (!rc)
		rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->once_take(reg->be, key, now, &d, err);
	if (rc == -ENOENT)
		return reg_tx_end(reg, byod_err_set(err, ENOENT, "no such single-use key, or it "
						    "has expired or was used"),
				  0, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && data)
		*data = d;
	else
		free(d);
	return rc;
}

int reg_once_purge(struct reg *reg, time_t now, int *deleted, struct byod_err *err)
{
	int rc, n = 0;

	if (now < 0)
		return byod_err_set(err, EINVAL, "a negative time");
	rc = reg_begin(reg, err);
	if (rc)
		return rc;
	rc = OPS(reg)->once_purge(reg->be, now, &n, err);
	rc = reg_tx_end(reg, rc, 1, err);
	if (!rc && deleted)
		*deleted = n;
	return rc;
}
