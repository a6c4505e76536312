// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PostgreSQL backend's dashboard figures, the same as sqlite_dashboard.c's
 * (reg_dashboard.c checks the inputs): each school's people, devices by state
 * and open sessions, enrolments per hour, certificates ending, and the
 * last accounting of each access point, all counted by the server.
 * "$1::text IS NULL OR ... = $1" lets one statement serve one school or
 * all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

#define OF_SCHOOL(state)                                                                           \
	"(SELECT count(*) FROM devices d JOIN people p ON p.id = d.owner "                         \
	"WHERE p.school = sc.uai AND d.state = '" state "'), "

struct school_visit {
	int (*cb)(const struct reg_school_stats *, void *);
	void *ctx;
};

static int visit_school(const PGresult *r, int row, void *arg)
{
	struct school_visit *v = arg;
	struct reg_school_stats s;
	int i;

	memset(&s, 0, sizeof(s));
	pg_get_text(r, row, 0, s.school, sizeof(s.school));
	pg_get_text(r, row, 1, s.name, sizeof(s.name));
	s.people = pg_get_i64(r, row, 2);
	for (i = 0; i < BYOD_DEVICE_UNKNOWN; i++)
		s.devices[i] = pg_get_i64(r, row, 3 + i);
	s.sessions_open = pg_get_i64(r, row, 3 + BYOD_DEVICE_UNKNOWN);
	return v->cb(&s, v->ctx);
}

_Static_assert(BYOD_DEVICE_ACTIVE == 0 && BYOD_DEVICE_SUSPENDED == 1 && BYOD_DEVICE_REVOKED == 2 &&
		       BYOD_DEVICE_RETIRED == 3 && BYOD_DEVICE_UNKNOWN == 4,
	       "the columns of stats_schools follow enum byod_device_state");

int pg_stats_schools(struct reg_db *be, const char *school,
		     int (*cb)(const struct reg_school_stats *, void *), void *ctx,
		     struct byod_err *err)
{
	struct school_visit v = {cb, ctx};
	const char *p[1] = {school};

	return pg_each(PG(be), "counting the schools' figures",
		       "SELECT sc.uai, sc.name, "
		       "(SELECT count(*) FROM people p WHERE p.school = sc.uai "
		       "AND p.state = 'active'), " OF_SCHOOL("active") OF_SCHOOL("suspended")
			       OF_SCHOOL("revoked")
				       OF_SCHOOL("retired") "(SELECT count(*) FROM sessions x JOIN "
							    "devices d ON d.id = x.device "
							    "JOIN people p ON p.id = d.owner WHERE "
							    "p.school = sc.uai "
							    "AND x.state = 'open') "
							    "FROM schools sc WHERE $1::text IS "
							    "NULL OR sc.uai = $1 ORDER BY sc.uai",
		       1, p, visit_school, &v, err);
}

struct hour_visit {
	int (*cb)(const struct reg_stats_hour *, void *);
	void *ctx;
};

static int visit_hour(const PGresult *r, int row, void *arg)
{
	struct hour_visit *v = arg;
	struct reg_stats_hour h;

	memset(&h, 0, sizeof(h));
	pg_get_text(r, row, 0, h.school, sizeof(h.school));
	h.at = (time_t)pg_get_i64(r, row, 1);
	h.count = pg_get_i64(r, row, 2);
	return v->cb(&h, v->ctx);
}

int pg_stats_enrolments(struct reg_db *be, const char *school, time_t from, time_t to,
			int (*cb)(const struct reg_stats_hour *, void *), void *ctx,
			struct byod_err *err)
{
	struct hour_visit v = {cb, ctx};
	char f[24], t[24];
	const char *p[3] = {school, f, t};

	pg_i64(f, (int64_t)from);
	pg_i64(t, (int64_t)to);
	return pg_each(PG(be), "counting enrolments",
		       "SELECT COALESCE(p.school, ''), (d.created / 3600) * 3600 AS h, count(*) "
		       "FROM devices d JOIN people p ON p.id = d.owner "
		       "WHERE ($1::text IS NULL OR p.school = $1) AND d.created >= $2::bigint "
		       "AND d.created < $3::bigint "
		       "GROUP BY 1, 2 ORDER BY 1, 2",
		       3, p, visit_hour, &v, err);
}

struct expiry_visit {
	int (*cb)(const struct reg_cert_expiry *, void *);
	void *ctx;
};

static int visit_expiry(const PGresult *r, int row, void *arg)
{
	struct expiry_visit *v = arg;
	struct reg_cert_expiry e;

	memset(&e, 0, sizeof(e));
	pg_get_text(r, row, 0, e.school, sizeof(e.school));
	pg_get_text(r, row, 1, e.serial, sizeof(e.serial));
	pg_get_text(r, row, 2, e.device, sizeof(e.device));
	pg_get_text(r, row, 3, e.device_name, sizeof(e.device_name));
	pg_get_text(r, row, 4, e.owner_login, sizeof(e.owner_login));
	e.not_after = (time_t)pg_get_i64(r, row, 5);
	return v->cb(&e, v->ctx);
}

int pg_stats_certs_expiring(struct reg_db *be, const char *school, time_t from, time_t to,
			    int (*cb)(const struct reg_cert_expiry *, void *), void *ctx,
			    struct byod_err *err)
{
	struct expiry_visit v = {cb, ctx};
	char f[24], t[24];
	const char *p[3] = {school, f, t};

	pg_i64(f, (int64_t)from);
	pg_i64(t, (int64_t)to);
	return pg_each(PG(be), "listing the certificates ending",
		       "SELECT COALESCE(p.school, ''), c.serial, c.device, d.name, p.login, "
		       "c.not_after FROM certificates c JOIN devices d ON d.id = c.device "
		       "JOIN people p ON p.id = d.owner "
		       "WHERE ($1::text IS NULL OR p.school = $1) AND c.state = 'valid' "
		       "AND d.state IN ('active', 'suspended') "
		       "AND c.not_after >= $2::bigint AND c.not_after < $3::bigint "
		       "AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.device = c.device "
		       "AND n.state = 'valid' AND n.not_after > c.not_after) "
		       "ORDER BY c.not_after, c.serial",
		       3, p, visit_expiry, &v, err);
}

struct nas_visit {
	int (*cb)(const struct reg_nas_seen *, void *);
	void *ctx;
};

static int visit_nas(const PGresult *r, int row, void *arg)
{
	struct nas_visit *v = arg;
	struct reg_nas_seen n;

	memset(&n, 0, sizeof(n));
	pg_get_text(r, row, 0, n.school, sizeof(n.school));
	pg_get_text(r, row, 1, n.nas_ip, sizeof(n.nas_ip));
	pg_get_text(r, row, 2, n.nas_id, sizeof(n.nas_id));
	n.last = (time_t)pg_get_i64(r, row, 3);
	n.sessions_open = pg_get_i64(r, row, 4);
	return v->cb(&n, v->ctx);
}

/* IS NOT DISTINCT FROM: an absent NAS-IP-Address or NAS-Identifier is
 * stored NULL. */
int pg_stats_nas(struct reg_db *be, const char *school, time_t since,
		 int (*cb)(const struct reg_nas_seen *, void *), void *ctx, struct byod_err *err)
{
	struct nas_visit v = {cb, ctx};
	char s[24];
	const char *p[2] = {school, s};

	pg_i64(s, (int64_t)since);
	return pg_each(
		PG(be), "listing the access points",
		"SELECT n.school, n.nas_ip, n.nas_id, "
		"(SELECT max(GREATEST(COALESCE(x.started, 0), COALESCE(x.updated, 0), "
		"COALESCE(x.stopped, 0))) FROM sessions x "
		"WHERE x.nas_ip IS NOT DISTINCT FROM n.nas_ip "
		"AND x.nas_id IS NOT DISTINCT FROM n.nas_id), "
		"(SELECT count(*) FROM sessions x WHERE x.nas_ip IS NOT DISTINCT FROM n.nas_ip "
		"AND x.nas_id IS NOT DISTINCT FROM n.nas_id AND x.state = 'open') "
		"FROM (SELECT DISTINCT COALESCE(p.school, '') AS school, s.nas_ip, s.nas_id "
		"FROM sessions s JOIN devices d ON d.id = s.device "
		"JOIN people p ON p.id = d.owner "
		"WHERE ($1::text IS NULL OR p.school = $1) AND s.started >= $2::bigint) n "
		"ORDER BY n.school, n.nas_ip NULLS FIRST, n.nas_id NULLS FIRST",
		2, p, visit_nas, &v, err);
}
