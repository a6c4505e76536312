// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening the registry byod.conf describes: every program (byodctl, the
 * portal, the gateway, rlm_byod's accounting handle and its index, the
 * benchmarks) reads the same keys the same way, so it is written once here.
 * Those who only read (rlm_byod's index) may be given another server,
 * registry.read-url: a standby that takes reads off the primary.
 */
#include "registry.h"

#include <errno.h>
#include <string.h>

#include "byod_conf.h"

static int open_conf(const struct byod_conf *conf, const char *actor, int busy_timeout_ms,
		     int read_only, int no_migrate, struct reg **out, struct byod_err *err)
{
	struct reg_options opt;
	char path[4096];

	if (byod_conf_path(conf, conf->registry_path, path, sizeof(path)))
		return byod_err_set(err, ENAMETOOLONG, "registry path too long");
	memset(&opt, 0, sizeof(opt));
	opt.backend = (enum reg_backend)conf->registry_backend;
	opt.path = path;
	opt.conninfo = conf->registry_conninfo;
	/* registry.url (postgresql://...) wins over backend and conninfo */
	if (conf->registry_url && conf->registry_url[0]) {
		opt.backend = REG_BACKEND_POSTGRES;
		opt.conninfo = conf->registry_url;
	}
	/* registry.read-url (a standby, prefer-standby) for those who only read */
	if (read_only && conf->registry_read_url && conf->registry_read_url[0]) {
		opt.backend = REG_BACKEND_POSTGRES;
		opt.conninfo = conf->registry_read_url;
	}
	opt.read_only = read_only;
	opt.no_migrate = no_migrate;
	opt.busy_timeout_ms = busy_timeout_ms > 0 ? busy_timeout_ms : conf->registry_busy_timeout_ms;
	opt.actor = actor;
	return reg_open(&opt, out, err);
}

int reg_open_conf(const struct byod_conf *conf, const char *actor, int busy_timeout_ms,
		  struct reg **out, struct byod_err *err)
{
	return open_conf(conf, actor, busy_timeout_ms, 0, 0, out, err);
}

int reg_open_conf_read(const struct byod_conf *conf, const char *actor, int busy_timeout_ms,
		       struct reg **out, struct byod_err *err)
{
	return open_conf(conf, actor, busy_timeout_ms, 1, 0, out, err);
}

int reg_open_conf_look(const struct byod_conf *conf, const char *actor, struct reg **out,
		       struct byod_err *err)
{
	return open_conf(conf, actor, 0, 0, 1, out, err);
}

int reg_open_home(const char *home, const char *actor, int busy_timeout_ms, struct reg **out,
		  struct byod_err *err)
{
	struct byod_conf conf;
	int rc;

	rc = byod_conf_load_home(&conf, home, err);
	if (!rc)
		rc = reg_open_conf(&conf, actor, busy_timeout_ms, out, err);
	byod_conf_free(&conf);
	return rc;
}

int reg_open_home_read(const char *home, const char *actor, int busy_timeout_ms,
		       struct reg **out, struct byod_err *err)
{
	struct byod_conf conf;
	int rc;

	rc = byod_conf_load_home(&conf, home, err);
	if (!rc)
		rc = reg_open_conf_read(&conf, actor, busy_timeout_ms, out, err);
	byod_conf_free(&conf);
	return rc;
}
