// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-portal's counters and its /metrics (portal.metrics-listen, answered
 * by httpd_metrics_start on a management listener of its own). The pages
 * bump relaxed atomics (byod_counter_add), a scrape reads them: nothing
 * on a page's path takes a lock or does I/O for the metrics.
 */
#include "portal.h"

#include <errno.h>

#include "byod_expo.h"

struct portal_metrics portal_metrics;

/* The refusals by their names in the label, indexed by enum byod_enrol_refusal. */
static const char *const refusal_names[BYOD_ENROL_REFUSAL_N] = {
	[BYOD_ENROL_OK] = "none",
	[BYOD_ENROL_AT_LIMIT] = "at-limit",
	[BYOD_ENROL_CLOSED] = "closed",
	[BYOD_ENROL_NOT_THEIRS] = "not-theirs",
	[BYOD_ENROL_RATE] = "rate",
	[BYOD_ENROL_RENEW_EARLY] = "renew-early",
};

static void outcome(uint64_t *issued, uint64_t *refused, uint64_t *failed, int rc,
		    enum byod_enrol_refusal why)
{
	if (!rc)
		byod_counter_add(issued, 1);
	else if (why > BYOD_ENROL_OK && why < BYOD_ENROL_REFUSAL_N)
		byod_counter_add(&refused[why], 1);
	else
		byod_counter_add(failed, 1);
}

void portal_metrics_enrolment(int rc, enum byod_enrol_refusal why)
{
	outcome(&portal_metrics.enrol_issued, portal_metrics.enrol_refused,
		&portal_metrics.enrol_failed, rc, why);
}

void portal_metrics_renewal(int rc, enum byod_enrol_refusal why)
{
	outcome(&portal_metrics.renew_issued, portal_metrics.renew_refused,
		&portal_metrics.renew_failed, rc, why);
}

void portal_metrics_login(int rc)
{
	byod_counter_add(&portal_metrics.logins[!rc ? 0 : rc == -EAGAIN ? 2 : rc == -EACCES ? 1 : 3],
			 1);
}

static void refusals(struct byod_expo *e, const uint64_t *n, int renewal)
{
	int i;

	for (i = BYOD_ENROL_OK + 1; i < BYOD_ENROL_REFUSAL_N; i++)
		if ((i == BYOD_ENROL_RENEW_EARLY) == renewal || byod_counter_get(&n[i]))
			byod_expo_sample(e, (double)byod_counter_get(&n[i]), "reason",
					 refusal_names[i], NULL);
}

void portal_metrics_write(void *app, struct byod_expo *e)
{
	static const char *const login_results[] = {"ok", "failed", "throttled", "error"};
	static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	struct portal *p = app;
	uint64_t answers[6];
	int i;

	byod_expo_process(e, "byod-portal", p->started);
	byod_expo_one(e, "byod_registry_up", "gauge",
		      "0 when the registry was unavailable at the last page that needed it, else 1.",
		      __atomic_load_n(&p->registry_down, __ATOMIC_SEQ_CST) ? 0 : 1);
	byod_expo_one(e, "byod_portal_enrolments_issued_total", "counter",
		      "Devices enrolled at the portal (a certificate issued), the geteduroam "
		      "apps' included.",
		      (double)byod_counter_get(&portal_metrics.enrol_issued));
	byod_expo_family(e, "byod_portal_enrolments_refused_total", "counter",
			 "Enrolments refused, by reason: at-limit (the role's limit, nothing "
			 "retired), closed (the role may not enrol), not-theirs (the device to "
			 "retire), rate (enrol.rate-per-day).");
	refusals(e, portal_metrics.enrol_refused, 0);
	byod_expo_one(e, "byod_portal_enrolments_failed_total", "counter",
		      "Enrolments that failed for a fault (the registry, the CA): nothing issued.",
		      (double)byod_counter_get(&portal_metrics.enrol_failed));
	byod_expo_family(e, "byod_portal_renewals_total", "counter",
			 "Certificate renewals asked for at the portal or by a geteduroam app, by "
			 "outcome.");
	byod_expo_sample(e, (double)byod_counter_get(&portal_metrics.renew_issued), "outcome",
			 "issued", NULL);
	byod_expo_sample(e, (double)byod_counter_get(&portal_metrics.renew_refused[BYOD_ENROL_RENEW_EARLY]),
			 "outcome", "refused", NULL);
	byod_expo_sample(e, (double)byod_counter_get(&portal_metrics.renew_failed), "outcome",
			 "failed", NULL);
	byod_expo_family(e, "byod_portal_logins_total", "counter",
			 "Password logins at the portal, by result: ok, failed (a wrong login or "
			 "password), throttled (refused before the check), error.");
	for (i = 0; i < 4; i++)
		byod_expo_sample(e, (double)byod_counter_get(&portal_metrics.logins[i]), "result",
				 login_results[i], NULL);
	byod_expo_one(e, "byod_portal_registry_unavailable_total", "counter",
		      "Pages answered 503 because the registry was unavailable.",
		      (double)byod_counter_get(&portal_metrics.registry_503));
	byod_expo_one(e, "byod_portal_logins_busy_total", "counter",
		      "Logins answered 503 (try again in a moment): every login worker busy and "
		      "portal.login-workers' queue full.",
		      (double)byod_counter_get(&portal_metrics.login_busy));
	httpd_answers(p->srv, answers);
	byod_expo_family(e, "byod_portal_http_responses_total", "counter",
			 "Answers the portal's pages sent (HTTP and HTTPS), by status class.");
	for (i = 1; i < 6; i++)
		byod_expo_sample(e, (double)answers[i], "code", classes[i], NULL);
	if (answers[0])
		byod_expo_sample(e, (double)answers[0], "code", classes[0], NULL);
}
