// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byod-admin's counters and its /metrics (admin.metrics-listen, plain
 * HTTP on a management listener of its own, answered by
 * httpd_metrics_start): logins, the changes made through the console's
 * forms by page, the JSON API's answers by status class, all the
 * console's answers by class. Relaxed atomics bumped by the request
 * threads, read by the scrape.
 */
#include "admin.h"

#include <errno.h>

#include "byod_expo.h"

#define ROUTES_MAX 64

struct admin_metrics {
	uint64_t logins[4];	       /* ok, failed, throttled, error */
	uint64_t actions[ROUTES_MAX]; /* indexed as admin_routes */
	uint64_t api[6];	       /* by status class, [0] other */
};

static struct admin_metrics m;

static const char *const classes[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

void admin_metrics_login(int rc)
{
	byod_counter_add(&m.logins[!rc ? 0 : rc == -EAGAIN ? 2 : rc == -EACCES ? 1 : 3], 1);
}

void admin_metrics_action(const struct admin_route *r)
{
	size_t i = (size_t)(r - admin_routes);

	if (i < admin_routes_n && i < ROUTES_MAX)
		byod_counter_add(&m.actions[i], 1);
}

void admin_metrics_api(int status)
{
	byod_counter_add(&m.api[status >= 100 && status < 600 ? status / 100 : 0], 1);
}

void admin_metrics_write(void *app, struct byod_expo *e)
{
	static const char *const results[] = {"ok", "failed", "throttled", "error"};
	struct admin *a = app;
	uint64_t answers[6];
	size_t i;

	byod_expo_process(e, "byod-admin", a->started);
	byod_expo_one(e, "byod_registry_up", "gauge",
		      "0 when the registry was unavailable at the last request that needed it, "
		      "else 1.",
		      __atomic_load_n(&a->registry_down, __ATOMIC_SEQ_CST) ? 0 : 1);
	byod_expo_family(e, "byod_admin_logins_total", "counter",
			 "Password logins at the console, by result: ok, failed, throttled "
			 "(refused before the check), error.");
	for (i = 0; i < 4; i++)
		byod_expo_sample(e, (double)byod_counter_get(&m.logins[i]), "result", results[i],
				 NULL);
	byod_expo_family(e, "byod_admin_actions_total", "counter",
			 "Changes made through the console's forms (a POST that succeeded), by "
			 "page.");
	for (i = 0; i < admin_routes_n && i < ROUTES_MAX; i++)
		if (admin_routes[i].post && admin_routes[i].changes)
			byod_expo_sample(e, (double)byod_counter_get(&m.actions[i]), "kind",
					 admin_routes[i].path, NULL);
	byod_expo_family(e, "byod_admin_api_requests_total", "counter",
			 "Requests to the JSON API (/api/), by the status class of the answer.");
	for (i = 1; i < 6; i++)
		byod_expo_sample(e, (double)byod_counter_get(&m.api[i]), "code", classes[i], NULL);
	httpd_answers(a->srv, answers);
	byod_expo_family(e, "byod_admin_http_responses_total", "counter",
			 "Answers the console sent, pages and API, by status class.");
	for (i = 1; i < 6; i++)
		byod_expo_sample(e, (double)answers[i], "code", classes[i], NULL);
}
