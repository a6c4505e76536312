// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The SQLite backend's dashboard figures (reg_dashboard.c checks the inputs):
 * each school's people, devices by state and open sessions, enrolments
 * per hour, certificates ending, and the last accounting of each access
 * point, all counted by SQLite. "?1 IS NULL OR ... = ?1" lets one
 * statement serve one school or all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"

/* A school's people and devices through the owner's row. */
#define OF_SCHOOL(state)                                                                           \
	"(SELECT COUNT(*) FROM devices d JOIN people p ON p.id = d.owner "                         \
	"WHERE p.school = sc.uai AND d.state = '" state "'), "

struct school_visit {
	int (*cb)(const struct reg_school_stats *, void *);
	void *ctx;
};

static int visit_school(sqlite3_stmt *st, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school_stats r;
	int i;

	memset(&r, 0, sizeof(r));
	col_text(st, 0, r.school, sizeof(r.school));
	col_text(st, 1, r.name, sizeof(r.name));
	r.people = sqlite3_column_int64(st, 2);
	for (i = 0; i < BYOD_DEVICE_UNKNOWN; i++)
		r.devices[i] = sqlite3_column_int64(st, 3 + i);
	r.sessions_open = sqlite3_column_int64(st, 3 + BYOD_DEVICE_UNKNOWN);
	return v->cb(&r, v->ctx);
}

_Static_assert(BYOD_DEVICE_ACTIVE == 0 && BYOD_DEVICE_SUSPENDED == 1 && BYOD_DEVICE_REVOKED == 2 &&
		       BYOD_DEVICE_RETIRED == 3 && BYOD_DEVICE_UNKNOWN == 4,
	       "the columns of stats_schools follow enum byod_device_state");

int sq_stats_schools(struct reg_db *be, const char *school,
		     int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		     struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct school_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT sc.uai, sc.name, "
			"(SELECT COUNT(*) FROM people p WHERE p.school = sc.uai "
			"AND p.state = 'active'), " OF_SCHOOL("active") OF_SCHOOL("suspended")
				OF_SCHOOL("revoked")
					OF_SCHOOL("retired") "(SELECT COUNT(*) FROM sessions x "
							     "JOIN devices d ON d.id = x.device "
							     "JOIN people p ON p.id = d.owner "
							     "WHERE p.school = sc.uai "
							     "AND x.state = 'open') "
							     "FROM schools sc WHERE ?1 IS NULL OR "
							     "sc.uai = ?1 ORDER BY sc.uai",
			"t", school);
	return rc ? rc : sq_each(s, st, visit_school, &v, "counting the schools' figures", err);
}

struct hour_visit {
	int (*cb)(const struct reg_stats_hour *, void *);
	void *ctx;
};

static int visit_hour(sqlite3_stmt *st, void *arg)
{
	struct hour_visit *v = arg;
	struct reg_stats_hour h;

	memset(&h, 0, sizeof(h));
	col_text(st, 0, h.school, sizeof(h.school));
	h.at = (time_t)sqlite3_column_int64(st, 1);
	h.count = sqlite3_column_int64(st, 2);
	return v->cb(&h, v->ctx);
}

int sq_stats_enrolments(struct reg_db *be, const char *school, time_t from, time_t to,
			int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
			struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct hour_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(
		s, &st, err,
		"SELECT COALESCE(p.school, ''), (d.created / 3600) * 3600 AS h, COUNT(*) "
		"FROM devices d JOIN people p ON p.id = d.owner "
		"WHERE (?1 IS NULL OR p.school = ?1) AND d.created >= ?2 AND d.created < ?3 "
		"GROUP BY p.school, h ORDER BY p.school, h",
		"tii", school, (int64_t)from, (int64_t)to);
	return rc ? rc : sq_each(s, st, visit_hour, &v, "counting enrolments", err);
}

struct expiry_visit {
	int (*cb)(const struct reg_cert_expiry *, void *);
	void *ctx;
};

static int visit_expiry(sqlite3_stmt *st, void *arg)
{
	struct expiry_visit *v = arg;
	struct reg_cert_expiry e;

	memset(&e, 0, sizeof(e));
	col_text(st, 0, e.school, sizeof(e.school));
	col_text(st, 1, e.serial, sizeof(e.serial));
	col_text(st, 2, e.device, sizeof(e.device));
	col_text(st, 3, e.device_name, sizeof(e.device_name));
	col_text(st, 4, e.owner_login, sizeof(e.owner_login));
	e.not_after = (time_t)sqlite3_column_int64(st, 5);
	return v->cb(&e, v->ctx);
}

int sq_stats_certs_expiring(struct reg_db *be, const char *school, time_t from, time_t to,
			    int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			    struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct expiry_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(s, &st, err,
			"SELECT COALESCE(p.school, ''), c.serial, c.device, d.name, p.login, "
			"c.not_after FROM certificates c JOIN devices d ON d.id = c.device "
			"JOIN people p ON p.id = d.owner "
			"WHERE (?1 IS NULL OR p.school = ?1) AND c.state = 'valid' "
			"AND d.state IN ('active', 'suspended') "
			"AND c.not_after >= ?2 AND c.not_after < ?3 "
			"AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.device = c.device "
			"AND n.state = 'valid' AND n.not_after > c.not_after) "
			"ORDER BY c.not_after, c.serial",
			"tii", school, (int64_t)from, (int64_t)to);
	return rc ? rc : sq_each(s, st, visit_expiry, &v, "listing the certificates ending", err);
}

struct nas_visit {
	int (*cb)(const struct reg_nas_seen *, void *);
	void *ctx;
};

static int visit_nas(sqlite3_stmt *st, void *arg)
{
	struct nas_visit *v = arg;
	struct reg_nas_seen n;

	memset(&n, 0, sizeof(n));
	col_text(st, 0, n.school, sizeof(n.school));
	col_text(st, 1, n.nas_ip, sizeof(n.nas_ip));
	col_text(st, 2, n.nas_id, sizeof(n.nas_id));
	n.last = (time_t)sqlite3_column_int64(st, 3);
	n.sessions_open = sqlite3_column_int64(st, 4);
	return v->cb(&n, v->ctx);
}

/* IS, not =: an absent NAS-IP-Address or NAS-Identifier is stored NULL. */
int sq_stats_nas(struct reg_db *be, const char *school, time_t since,
		 int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct nas_visit v = {cb, ctx};
	struct sq *s = sq_of(be);
	int rc;

	rc = sq_prepare(
		s, &st, err,
		"SELECT n.school, n.nas_ip, n.nas_id, "
		"(SELECT MAX(MAX(COALESCE(x.started, 0), COALESCE(x.updated, 0), "
		"COALESCE(x.stopped, 0))) FROM sessions x "
		"WHERE x.nas_ip IS n.nas_ip AND x.nas_id IS n.nas_id), "
		"(SELECT COUNT(*) FROM sessions x WHERE x.nas_ip IS n.nas_ip "
		"AND x.nas_id IS n.nas_id AND x.state = 'open') "
		"FROM (SELECT DISTINCT COALESCE(p.school, '') AS school, s.nas_ip, s.nas_id "
		"FROM sessions s JOIN devices d ON d.id = s.device "
		"JOIN people p ON p.id = d.owner "
		"WHERE (?1 IS NULL OR p.school = ?1) AND s.started >= ?2) n "
		"ORDER BY n.school, n.nas_ip, n.nas_id",
		"ti", school, (int64_t)since);
	return rc ? rc : sq_each(s, st, visit_nas, &v, "listing the access points", err);
}
