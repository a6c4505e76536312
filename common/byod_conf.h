/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The gateway configuration file (HOME/byod.conf, YAML). Every key is
 * declared once, in the table in conf.c, with its type, default, range and
 * whether it is a secret; the loader refuses unknown keys, wrong types and
 * values out of range, naming file, line and column.
 */
#ifndef BYOD_CONF_H
#define BYOD_CONF_H

#include <stddef.h>

#include "byod_err.h"
#include "byod_idsrc.h"

#define BYOD_CONF_NAME "byod.conf"

enum byod_registry_backend {
	BYOD_REGISTRY_SQLITE = 0,
	BYOD_REGISTRY_POSTGRES = 1,
};

struct byod_conf {
	char *home;          /* directory relative paths are resolved against */
	char *path;          /* the file this was read from, or NULL */

	char *school_uai;    /* school.uai */
	char *school_name;   /* school.name */

	int registry_backend;   /* registry.backend */
	char *registry_path;    /* registry.path (SQLite file) */
	char *registry_conninfo; /* registry.conninfo (PostgreSQL, secret) */
	char *registry_url;      /* registry.url: postgresql://... selects PostgreSQL (secret) */
	char *registry_read_url; /* registry.read-url: the readers' server ("": registry.url) */
	int registry_busy_timeout_ms;

	char *pki_dir;           /* pki.dir */
	char *pki_school_year_end; /* pki.school-year-end, "MM-DD" */
	int pki_min_validity_days;
	char *pki_grace_until;   /* pki.grace-until, "MM-DD" or "" */
	int pki_renew_days;      /* pki.renew-days */
	int pki_crl_days;
	char *pki_crl_url;
	int pki_ca_years;
	int pki_server_days;

	int auth_yescrypt_cost;

	char *radius_server_name;
	char *portal_hostname;
	char *portal_listen;
	int portal_http_port;
	int portal_https_port;
	char *portal_tls_cert;      /* portal.tls-cert: "" for pki.dir's portal.pem */
	char *portal_tls_key;       /* portal.tls-key: "" for pki.dir's portal.key */
	char *portal_tls_chain;     /* portal.tls-chain: "" for none */
	char *portal_trust_store;   /* portal.trust-store: a hashed directory or a PEM file */
	int portal_hsts_max_age;
	char *portal_public_url;
	char *portal_venue_url;
	int portal_threads;
	int portal_login_workers;
	int portal_access_log; /* portal.access-log: 0 no, 1 yes */
	char *portal_access_log_file; /* portal.access-log-file: "" the log */
	int portal_login_queue; /* logins waiting for a worker; beyond, a 503 */
	int portal_connection_limit;
	int portal_per_ip_limit;
	int portal_per_ip_v6_prefix; /* portal.per-ip-v6-prefix: IPv6 clients counted per prefix */
	int portal_timeout_s;
	int portal_request_deadline_s; /* from accept to a request's last body byte */
	int portal_body_limit;
	int portal_session_idle_s;
	int portal_session_max_s;
	char *portal_unlock_minutes; /* portal.unlock-minutes: the choices a teacher has */
	char *portal_metrics_listen; /* *.metrics-listen: "ADDR:PORT" of /metrics, "" off */

	char *admin_listen;          /* admin.*: byod-admin, HTTPS on a management address */
	int admin_port;
	char *admin_tls_cert;        /* "" for pki.dir's portal.pem */
	char *admin_tls_key;         /* "" for pki.dir's portal.key */
	int admin_threads;
	int admin_body_limit;
	int admin_session_idle_s;
	int admin_session_max_s;
	char *admin_metrics_listen;
	char *admin_public_url;      /* the console's URL for a CAS callback, "" derived */

	char *wifi_ssid;             /* wifi.ssid */
	int wifi_security;           /* wifi.security: 0 wpa2, 1 wpa3 */
	char *wifi_onboarding_ssid;  /* wifi.onboarding-ssid, "" for none */
	int wifi_onboarding_security; /* wifi.onboarding-security: 0 open, 1 owe-transition */
	char *wifi_passpoint_realm;  /* wifi.passpoint-realm */
	char *helpdesk_name, *helpdesk_email, *helpdesk_phone, *helpdesk_url;

	int firewall_mode;           /* firewall.mode: 0 vlan, 1 existing */
	char *firewall_uplink;
	char *firewall_links;        /* "segment=ifname,..." */
	char *firewall_portal_address;
	char *firewall_admit_links;  /* "ifname,..." */

	int das_port;                /* das.* : the RFC 5176 client */
	char *das_secret;
	int das_mode;                /* enum das_mode */
	char *das_nas;               /* "ADDR[:PORT][/MODE],..." */
	int das_timeout_ms;
	int das_retries;
	int das_max_in_flight;       /* das.max-in-flight-per-nas */

	int gateway_poll_ms;
	char *gateway_school;        /* gateway.school: a UAI, or "" */
	int gateway_purge;           /* gateway.purge: 0 no, 1 yes */
	char *gateway_metrics_listen;
	int retention_sessions;      /* retention.*: days */
	int retention_audit;
	int retention_people;
	int retention_decisions;

	char *enrol_charter_file;    /* enrol.charter-file, relative to home */
	char *enrol_charter_version; /* enrol.charter-version */
	int enrol_limit[4];          /* enrol.limit-*, indexed by enum byod_role */
	int enrol_rate_per_day;      /* enrol.rate-per-day: enrolments in 24 h, 0: no rate */

	int oauth_code_ttl;          /* oauth.code-ttl: seconds */
	int oauth_access_ttl;        /* oauth.access-ttl: seconds */
	int oauth_refresh_days;      /* oauth.refresh-days */

	/* identity.NAME.*: the identity sources (byod_idsrc.h), in file order */
	struct byod_idsrc *idsrc;
	size_t nidsrc;
};

/* Fills every field with its default (strings are allocated). */
int byod_conf_defaults(struct byod_conf *conf, const char *home);

/*
 * Reads path over the defaults. On failure err names file:line:col and conf
 * still holds valid (default or partly read) values to be freed.
 */
int byod_conf_load(struct byod_conf *conf, const char *path, struct byod_err *err);

/* Fills conf (uninitialised: this sets the defaults first) from
 * HOME/byod.conf, with home set to HOME. */
int byod_conf_load_home(struct byod_conf *conf, const char *home, struct byod_err *err);

/* Writes conf as a commented YAML file (mode 0640), refusing to overwrite. */
int byod_conf_write(const struct byod_conf *conf, const char *path, struct byod_err *err);

/* Sets one key from text, as the file would ("registry.path", "x.db"). */
int byod_conf_set(struct byod_conf *conf, const char *key, const char *value,
		  struct byod_err *err);

/* Resolves a path from the configuration against home into out. */
int byod_conf_path(const struct byod_conf *conf, const char *rel, char *out, size_t len);

/* Fills dst (uninitialised) with a copy of src that owns its own strings,
 * freed with byod_conf_free. Returns 0 or -ENOMEM (dst then empty). */
int byod_conf_copy(struct byod_conf *dst, const struct byod_conf *src);

/* Frees the strings; the struct itself is the caller's. */
void byod_conf_free(struct byod_conf *conf);

/* The durations of portal.unlock-minutes (what a teacher may open the
 * Wi-Fi of a class for), ascending, each 1 to BYOD_UNLOCK_MINUTES_MAX,
 * into out (at most max). Returns how many, or -EINVAL when malformed. */
#define BYOD_UNLOCK_MINUTES_MAX 120
#define BYOD_UNLOCK_CHOICES_MAX 8
int byod_conf_unlock_minutes(const char *value, int *out, size_t max);

/* Month and day of pki.school-year-end; -EINVAL when malformed. */
int byod_conf_year_end(const struct byod_conf *conf, int *month, int *day);

/* The threads that answer the portal's requests: portal.threads, or with 0
 * (the default) one per core this process may run on, at most
 * BYOD_PORTAL_THREADS_AUTO_MAX (each thread holds a registry connection: a
 * PostgreSQL server's max_connections is shared by every node). A captive
 * probe is a few microseconds of work: threads beyond the cores only
 * preempt each other, which shows in the probes' tail latency. */
#define BYOD_PORTAL_THREADS_AUTO_MAX 8
int byod_conf_portal_threads(const struct byod_conf *conf);

/* Month and day of pki.grace-until; -ENOENT when empty (no grace), -EINVAL when
 * malformed. */
int byod_conf_grace_until(const struct byod_conf *conf, int *month, int *day);

#endif /* BYOD_CONF_H */
