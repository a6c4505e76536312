// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gateway configuration file: one table of keys (type, default, range,
 * secret flag, a line of help), a YAML reader built on libyaml's document
 * API that keeps every node's position for errors, and a writer that emits
 * the same table as a commented file for `byodctl init`.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "byod_conf.h"
#include "byod_buf.h"
#include "byod_util.h"

#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include <arpa/inet.h>

enum conf_type { CT_STRING, CT_INT, CT_ENUM };

struct conf_key {
	const char *key;
	enum conf_type type;
	size_t off;
	const char *def;
	long min, max;
	const char *const *names; /* CT_ENUM: value i is names[i] */
	int secret;
	int (*check)(const char *value, char *why, size_t len);
	const char *help;
};

static const char *const backends[] = { "sqlite", "postgres", NULL };
static const char *const securities[] = { "wpa2", "wpa3", NULL };
static const char *const onboarding_securities[] = { "open", "owe-transition", NULL };
static const char *const fw_modes[] = { "vlan", "existing", NULL };
/* the order of enum das_mode (firewall/das.h) */
static const char *const das_modes[] = { "disconnect", "coa", "both", NULL };

static int check_uai(const char *v, char *why, size_t len)
{
	if (!v[0])
		return 0;
	if (byod_uai_check(v, NULL)) {
		snprintf(why, len, "'%s' is not a UAI (7 digits and a letter, such as 0750654D)", v);
		return -1;
	}
	return 0;
}

static int parse_month_day(const char *v, int *month, int *day)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char tail;

	if (sscanf(v, "%2d-%2d%c", month, day, &tail) != 2 || strlen(v) != 5)
		return -EINVAL;
	if (*month < 1 || *month > 12 || *day < 1 || *day > mdays[*month - 1])
		return -EINVAL;
	/* 29 February would end the year only one year in four. */
	if (*month == 2 && *day == 29)
		return -EINVAL;
	return 0;
}

static int check_month_day(const char *v, char *why, size_t len)
{
	int m, d;

	if (parse_month_day(v, &m, &d)) {
		snprintf(why, len, "'%s' is not a day of the year in MM-DD form (such as 08-31)",
			 v);
		return -1;
	}
	return 0;
}

/* pki.grace-until: "" (no grace) or a day of the year. */
static int check_grace_day(const char *v, char *why, size_t len)
{
	if (!*v)
		return 0;
	return check_month_day(v, why, len);
}

/* Recorded with each device (the registry keeps 31 characters). */
static int check_charter_version(const char *v, char *why, size_t len)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr(".-_", v[i]))
			break;
	if (n == 0 || n > 31 || i < n) {
		snprintf(why, len,
			 "'%s' is not a charter version (1 to 31 letters, digits, '.', '-', '_')", v);
		return -1;
	}
	return 0;
}

int byod_conf_unlock_minutes(const char *value, int *out, size_t max)
{
	const char *s = value;
	size_t n = 0;
	char *end;
	long v;

	while (*s) {
		if (*s == ' ' || *s == ',') {
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtol(s, &end, 10);
		/* ascending: a teacher reads the choices in order */
		if (v < 1 || v > BYOD_UNLOCK_MINUTES_MAX || n == max || (n && v <= out[n - 1]))
			return -EINVAL;
		out[n++] = (int)v;
		s = end;
	}
	return n ? (int)n : -EINVAL;
}

static int check_unlock_minutes(const char *v, char *why, size_t len)
{
	int m[BYOD_UNLOCK_CHOICES_MAX];

	if (byod_conf_unlock_minutes(v, m, BYOD_UNLOCK_CHOICES_MAX) < 0) {
		snprintf(why, len,
			 "'%s' is not a list of durations in minutes (1 to 8 of them, ascending, "
			 "each 1 to %d, such as \"15 30 60 120\")",
			 v, BYOD_UNLOCK_MINUTES_MAX);
		return -1;
	}
	return 0;
}

/* The shared registry's address; libpq parses the rest before connecting. */
static int check_registry_url(const char *v, char *why, size_t len)
{
	if (!v[0] || !strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11))
		return 0;
	snprintf(why, len,
		 "the registry URL must begin with postgresql:// or postgres:// "
		 "(an SQLite registry is registry.path)");
	return -1;
}

/* A management listener: "" (off), IPv4 "ADDR:PORT" or "[IPv6]:PORT". */
static int check_listen(const char *v, char *why, size_t len)
{
	char host[INET6_ADDRSTRLEN + 2], buf[16];
	const char *colon = strrchr(v, ':');
	size_t hlen;
	char *end;
	long port;

	if (!v[0])
		return 0;
	hlen = colon ? (size_t)(colon - v) : 0;
	if (colon && hlen && hlen < sizeof(host)) {
		memcpy(host, v, hlen);
		host[hlen] = '\0';
		port = strtol(colon + 1, &end, 10);
		if (!*end && end != colon + 1 && port >= 1 && port <= 65535 &&
		    (v[0] == '[' ? hlen > 2 && host[hlen - 1] == ']' &&
				   (host[hlen - 1] = '\0', inet_pton(AF_INET6, host + 1, buf) == 1)
				 : inet_pton(AF_INET, host, buf) == 1))
			return 0;
	}
	snprintf(why, len, "a metrics-listen is ADDR:PORT (127.0.0.1:9101, [::1]:9101), or \"\" "
		 "for none");
	return -1;
}

static const char *const purge_yesno[] = {"no", "yes", NULL};

#define F(field) offsetof(struct byod_conf, field)

static const struct conf_key keys[] = {
	{ "school.uai", CT_STRING, F(school_uai), "", 0, 0, NULL, 0, check_uai,
	  "The school's UAI (RNE) code, such as 0750654D." },
	{ "school.name", CT_STRING, F(school_name), "", 0, 0, NULL, 0, NULL,
	  "The school's name as pupils know it; shown on the portal and in profiles." },
	{ "registry.backend", CT_ENUM, F(registry_backend), "sqlite", 0, 0, backends, 0, NULL,
	  "Where devices are recorded: sqlite (one box) or postgres (several nodes)." },
	{ "registry.path", CT_STRING, F(registry_path), "registry.db", 0, 0, NULL, 0, NULL,
	  "SQLite database file, relative to this directory." },
	{ "registry.conninfo", CT_STRING, F(registry_conninfo), "", 0, 0, NULL, 1, NULL,
	  "PostgreSQL connection string (libpq), for backend postgres." },
	{ "registry.url", CT_STRING, F(registry_url), "", 0, 0, NULL, 1, check_registry_url,
	  "A shared PostgreSQL registry, postgresql://user@host/db?sslmode=verify-full "
	  "(libpq URL; takes the place of registry.backend and .conninfo). Empty: the SQLite "
	  "file of registry.path." },
	{ "registry.read-url", CT_STRING, F(registry_read_url), "", 0, 0, NULL, 1,
	  check_registry_url,
	  "The PostgreSQL registry the RADIUS module's index reads from, such as "
	  "postgresql://h1,h2/byod?target_session_attrs=prefer-standby (a standby takes the "
	  "reads off the primary). Empty: registry.url. Accounting and every write still go to "
	  "registry.url." },
	{ "registry.busy-timeout-ms", CT_INT, F(registry_busy_timeout_ms), "5000", 0, 600000,
	  NULL, 0, NULL, "How long a writer waits for a lock before giving up, in milliseconds." },
	{ "pki.dir", CT_STRING, F(pki_dir), "pki", 0, 0, NULL, 0, NULL,
	  "Directory of the school CA (ca.pem, ca.key) and the server certificates." },
	{ "pki.school-year-end", CT_STRING, F(pki_school_year_end), "08-31", 0, 0, NULL, 0,
	  check_month_day, "Device certificates are valid until this day (MM-DD) of the school year." },
	{ "pki.min-validity-days", CT_INT, F(pki_min_validity_days), "14", 0, 180, NULL, 0, NULL,
	  "Enrolling closer than this to the end of the year gives a certificate for the next one." },
	{ "pki.grace-until", CT_STRING, F(pki_grace_until), "", 0, 0, NULL, 0, check_grace_day,
	  "A certificate for the school year ending on pki.school-year-end ends instead on this "
	  "following day (MM-DD, such as 10-31), so that September cuts no one off. Empty: none." },
	{ "pki.renew-days", CT_INT, F(pki_renew_days), "60", 1, 180, NULL, 0, NULL,
	  "Renewal of a certificate opens this many days before the school-year end it covers." },
	{ "pki.crl-days", CT_INT, F(pki_crl_days), "7", 1, 365, NULL, 0, NULL,
	  "Days between a CRL's thisUpdate and nextUpdate." },
	{ "pki.crl-url", CT_STRING, F(pki_crl_url), "http://portal.byod.lan/crl.der", 0, 0, NULL,
	  0, NULL, "CRL distribution point written into every device certificate." },
	{ "pki.ca-years", CT_INT, F(pki_ca_years), "10", 1, 30, NULL, 0, NULL,
	  "Validity of a new school CA, in years." },
	{ "pki.server-days", CT_INT, F(pki_server_days), "825", 1, 3650, NULL, 0, NULL,
	  "Validity of the RADIUS and portal server certificates, in days." },
	{ "auth.yescrypt-cost", CT_INT, F(auth_yescrypt_cost), "5", 1, 11, NULL, 0, NULL,
	  "yescrypt cost for password hashes (libxcrypt's count; 5 is its default)." },
	{ "radius.server-name", CT_STRING, F(radius_server_name), "radius.byod.lan", 0, 0, NULL,
	  0, NULL, "DNS name in the RADIUS server certificate; devices are told to trust it." },
	{ "portal.hostname", CT_STRING, F(portal_hostname), "portal.byod.lan", 0, 0, NULL, 0,
	  NULL, "DNS name of the enrolment portal." },
	{ "portal.listen", CT_STRING, F(portal_listen), "127.0.0.1", 0, 0, NULL, 0, NULL,
	  "Address the portal listens on (IPv4 or IPv6)." },
	{ "portal.http-port", CT_INT, F(portal_http_port), "8080", 1, 65535, NULL, 0, NULL,
	  "Plain HTTP port: captive-portal probes and redirects land here." },
	{ "portal.https-port", CT_INT, F(portal_https_port), "8443", 0, 65535, NULL, 0, NULL,
	  "HTTPS port, with the certificate of portal.tls-cert (0: no HTTPS)." },
	{ "portal.tls-cert", CT_STRING, F(portal_tls_cert), "", 0, 0, NULL, 0, NULL,
	  "The portal's certificate, PEM, its chain after it or not (certbot's fullchain.pem); "
	  "empty: the one byodctl init made in pki.dir. Read again when the file changes." },
	{ "portal.tls-key", CT_STRING, F(portal_tls_key), "", 0, 0, NULL, 0, NULL,
	  "Its private key, PEM, unencrypted (certbot's privkey.pem); empty: pki.dir's portal.key." },
	{ "portal.tls-chain", CT_STRING, F(portal_tls_chain), "", 0, 0, NULL, 0, NULL,
	  "The intermediate certificates, PEM, when they are not in portal.tls-cert (empty: none)." },
	{ "portal.trust-store", CT_STRING, F(portal_trust_store), "/etc/ssl/certs", 0, 0, NULL, 0,
	  NULL, "The roots a phone trusts, standing for theirs: a directory of hashed certificates "
	  "or a PEM file. Devices are sent to HTTPS only when the certificate chains to one." },
	{ "portal.hsts-max-age", CT_INT, F(portal_hsts_max_age), "31536000", 0, 63072000, NULL, 0,
	  NULL, "Strict-Transport-Security max-age over HTTPS with a trusted certificate (0: none)." },
	{ "portal.public-url", CT_STRING, F(portal_public_url), "", 0, 0, NULL, 0, NULL,
	  "The URL devices are sent to (empty: the host name and its port); https when phones "
	  "trust the certificate (byodctl portal check), http otherwise." },
	{ "portal.venue-url", CT_STRING, F(portal_venue_url), "", 0, 0, NULL, 0, NULL,
	  "The school's information page, announced by the RFC 8908 captive API." },
	{ "portal.threads", CT_INT, F(portal_threads), "0", 0, 64, NULL, 0, NULL,
	  "Threads answering requests (0: one per core, 8 at most; passwords are checked by the "
	  "login workers, so more threads than cores would only take turns on them). Each "
	  "holds a registry connection, as each login worker does." },
	{ "portal.login-workers", CT_INT, F(portal_login_workers), "2", 1, 64, NULL, 0, NULL,
	  "Threads checking login passwords (yescrypt), apart from those answering pages: a "
	  "burst of logins waits for them while captive probes and pages are still answered." },
	{ "portal.login-queue", CT_INT, F(portal_login_queue), "128", 1, 4096, NULL, 0, NULL,
	  "Logins waiting for a login worker, in all; beyond, a page (503) asks the pupil to "
	  "try again in a moment." },
	{ "portal.access-log", CT_ENUM, F(portal_access_log), "no", 0, 0, purge_yesno, 0, NULL,
	  "yes: one log line per answer (client, method, host, path, status); no: only faults, "
	  "refusals and the portal's events (a captive probe writes nothing)." },
	{ "portal.access-log-file", CT_STRING, F(portal_access_log_file), "", 0, 0, NULL, 0, NULL,
	  "With portal.access-log: yes, the file the lines go to (relative to the home), "
	  "written a batch at a time within a second and opened again on SIGHUP (logrotate); "
	  "empty: the portal's log (standard error, or the journal)." },
	{ "portal.connection-limit", CT_INT, F(portal_connection_limit), "1024", 16, 65536, NULL,
	  0, NULL, "Connections open at once, in all." },
	{ "portal.per-ip-limit", CT_INT, F(portal_per_ip_limit), "16", 1, 1024, NULL, 0, NULL,
	  "Connections open at once from one IPv4 address or one IPv6 prefix "
	  "(portal.per-ip-v6-prefix)." },
	{ "portal.per-ip-v6-prefix", CT_INT, F(portal_per_ip_v6_prefix), "64", 32, 128, NULL, 0,
	  NULL, "IPv6 clients are counted per prefix of this length: a host may take any address "
	  "of its /64. Devices on one link share its /64, and so one limit: 128 counts single "
	  "addresses, for a link that stops a host taking many (RA guard, SAVI)." },
	{ "portal.timeout-s", CT_INT, F(portal_timeout_s), "15", 1, 600, NULL, 0, NULL,
	  "Seconds an idle connection is kept." },
	{ "portal.request-deadline-s", CT_INT, F(portal_request_deadline_s), "10", 2, 300, NULL,
	  0, NULL, "Seconds a client has, from connecting (or from its previous answer), to send a "
	  "request's headers and body, however it trickles them." },
	{ "portal.body-limit", CT_INT, F(portal_body_limit), "16384", 1024, 1048576, NULL, 0, NULL,
	  "Largest request body accepted, in bytes." },
	{ "portal.session-idle-s", CT_INT, F(portal_session_idle_s), "900", 60, 86400, NULL, 0,
	  NULL, "A portal login ends after this many seconds without a request." },
	{ "portal.session-max-s", CT_INT, F(portal_session_max_s), "14400", 300, 604800, NULL, 0,
	  NULL, "A portal login ends this many seconds after it began, whatever happens." },
	{ "portal.unlock-minutes", CT_STRING, F(portal_unlock_minutes), "15 30 60 90 120", 0, 0,
	  NULL, 0, check_unlock_minutes,
	  "The durations, in minutes, a teacher may open the Wi-Fi of a class for at the portal "
	  "(\"Ouvrir le Wi-Fi pour ma classe\"): ascending, two hours at most." },
	{ "portal.metrics-listen", CT_STRING, F(portal_metrics_listen), "", 0, 0, NULL, 0,
	  check_listen,
	  "Where the portal answers Prometheus's scrape of /metrics, ADDR:PORT on a management "
	  "address apart from the pages (127.0.0.1:9101). Empty: no metrics." },
	{ "admin.listen", CT_STRING, F(admin_listen), "127.0.0.1", 0, 0, NULL, 0, NULL,
	  "The management address byod-admin listens on (HTTPS only), IPv4 or IPv6." },
	{ "admin.port", CT_INT, F(admin_port), "9443", 1, 65535, NULL, 0, NULL,
	  "byod-admin's HTTPS port." },
	{ "admin.tls-cert", CT_STRING, F(admin_tls_cert), "", 0, 0, NULL, 0, NULL,
	  "byod-admin's certificate, PEM, its chain after it or not; empty: the portal's "
	  "certificate byodctl init made in pki.dir. Read again when the file changes." },
	{ "admin.tls-key", CT_STRING, F(admin_tls_key), "", 0, 0, NULL, 0, NULL,
	  "Its private key, PEM, unencrypted; empty: pki.dir's portal.key." },
	{ "admin.threads", CT_INT, F(admin_threads), "4", 1, 64, NULL, 0, NULL,
	  "Threads answering byod-admin's requests." },
	{ "admin.body-limit", CT_INT, F(admin_body_limit), "1048576", 1024, 16777216, NULL, 0,
	  NULL, "Largest request body byod-admin accepts, in bytes (a CSV import is one)." },
	{ "admin.session-idle-s", CT_INT, F(admin_session_idle_s), "900", 60, 86400, NULL, 0,
	  NULL, "An administrator's login ends after this many seconds without a request." },
	{ "admin.session-max-s", CT_INT, F(admin_session_max_s), "28800", 300, 604800, NULL, 0,
	  NULL, "An administrator's login ends this many seconds after it began, whatever "
	  "happens." },
	{ "admin.public-url", CT_STRING, F(admin_public_url), "", 0, 0, NULL, 0, NULL,
	  "The console's address as administrators' browsers reach it (https://admin.example:9443); "
	  "a CAS server sends an administrator back to its /login/SOURCE. Empty: "
	  "https://portal.hostname:admin.port." },
	{ "admin.metrics-listen", CT_STRING, F(admin_metrics_listen), "", 0, 0, NULL, 0,
	  check_listen,
	  "Where byod-admin answers Prometheus's scrape of /metrics (plain HTTP), ADDR:PORT "
	  "(127.0.0.1:9102). Empty: no metrics." },
	{ "wifi.ssid", CT_STRING, F(wifi_ssid), "", 0, 0, NULL, 0, NULL,
	  "The school network's SSID, put in every device profile (empty: no profile)." },
	{ "wifi.security", CT_ENUM, F(wifi_security), "wpa2", 0, 0, securities, 0, NULL,
	  "wpa2 (WPA2-Enterprise) or wpa3 (WPA3-Enterprise), as the access points do." },
	{ "wifi.onboarding-ssid", CT_STRING, F(wifi_onboarding_ssid), "", 0, 0, NULL, 0, NULL,
	  "The SSID without a password where new devices reach the portal, beside wifi.ssid in "
	  "byodctl hostapd config (empty: none)." },
	{ "wifi.onboarding-security", CT_ENUM, F(wifi_onboarding_security), "owe-transition", 0,
	  0, onboarding_securities, 0, NULL,
	  "open, or owe-transition: also a hidden Enhanced Open (OWE) network that phones "
	  "which can use it join instead, encrypted without a password." },
	{ "wifi.passpoint-realm", CT_STRING, F(wifi_passpoint_realm), "", 0, 0, NULL, 0, NULL,
	  "Realm of the Passpoint profile, anonymous@<realm> (empty: the domain of "
	  "radius.server-name, the profile's FQDN)." },
	{ "helpdesk.name", CT_STRING, F(helpdesk_name), "", 0, 0, NULL, 0, NULL,
	  "Who helps with the Wi-Fi, shown in profiles (e.g. the school's IT contact)." },
	{ "helpdesk.email", CT_STRING, F(helpdesk_email), "", 0, 0, NULL, 0, NULL,
	  "The help desk's e-mail address." },
	{ "helpdesk.phone", CT_STRING, F(helpdesk_phone), "", 0, 0, NULL, 0, NULL,
	  "The help desk's telephone number." },
	{ "helpdesk.url", CT_STRING, F(helpdesk_url), "", 0, 0, NULL, 0, NULL,
	  "The help desk's web page." },
	{ "firewall.mode", CT_ENUM, F(firewall_mode), "vlan", 0, 0, fw_modes, 0, NULL,
	  "vlan: a sub-interface <uplink>.<vlan> per segment; existing: firewall.links names them." },
	{ "firewall.uplink", CT_STRING, F(firewall_uplink), "eth0", 0, 0, NULL, 0, NULL,
	  "The interface towards the access points (vlan mode)." },
	{ "firewall.links", CT_STRING, F(firewall_links), "", 0, 0, NULL, 0, NULL,
	  "existing mode: segment=interface pairs, comma-separated (registration=veth-reg,...)." },
	{ "firewall.portal-address", CT_STRING, F(firewall_portal_address), "", 0, 0, NULL, 0,
	  NULL, "IPv4 address plain HTTP of the registration segment goes to (empty: the policy's "
	  "portal service)." },
	{ "firewall.admit-links", CT_STRING, F(firewall_admit_links), "", 0, 0, NULL, 0, NULL,
	  "Interfaces whose authenticator cannot put a station in its VLAN (hostapd's wired driver):"
	  " there only the MACs the gateway admitted pass, in the segment decided for them." },
	{ "das.port", CT_INT, F(das_port), "3799", 1, 65535, NULL, 0, NULL,
	  "The RFC 5176 (Disconnect/CoA) port of the access points." },
	{ "das.secret", CT_STRING, F(das_secret), "", 0, 0, NULL, 1, NULL,
	  "The shared secret of the access points' Dynamic Authorization Server." },
	{ "das.mode", CT_ENUM, F(das_mode), "disconnect", 0, 0, das_modes, 0, NULL,
	  "disconnect (re-authentication; hostapd), coa (a CoA with the new VLAN) or both "
	  "(CoA, then Disconnect when it is refused)." },
	{ "das.nas", CT_STRING, F(das_nas), "", 0, 0, NULL, 0, NULL,
	  "Per access point exceptions: ADDR[:PORT][/MODE], comma-separated (10.0.0.5:1700/coa)." },
	{ "das.timeout-ms", CT_INT, F(das_timeout_ms), "1000", 50, 30000, NULL, 0, NULL,
	  "How long to wait for a Disconnect/CoA answer before sending again; the wait doubles at "
	  "each retry (at most 8 times this)." },
	{ "das.retries", CT_INT, F(das_retries), "2", 0, 10, NULL, 0, NULL,
	  "How many times a Disconnect/CoA request is sent again without an answer." },
	{ "das.max-in-flight-per-nas", CT_INT, F(das_max_in_flight), "8", 1, 255, NULL, 0, NULL,
	  "Disconnect/CoA requests awaiting an answer at one access point at once; the others "
	  "wait their turn, first come first sent, while other access points are served." },
	{ "gateway.poll-ms", CT_INT, F(gateway_poll_ms), "100", 10, 5000, NULL, 0, NULL,
	  "How long byod-gatewayd waits at most between two reads of the registry's change feed, in milliseconds (a commit wakes it sooner)." },
	{ "gateway.school", CT_STRING, F(gateway_school), "", 0, 0, NULL, 0, NULL,
	  "The UAI of the one school whose devices byod-gatewayd follows on a shared registry "
	  "(empty: every device in the registry); --school overrides it." },
	{ "gateway.purge", CT_ENUM, F(gateway_purge), "yes", 0, 0, purge_yesno, 0, NULL,
	  "Whether byod-gatewayd runs the retention purge (byodctl purge) a few minutes after it "
	  "starts, then every 24 hours: yes or no. On a registry shared by several gateways, "
	  "leave it yes on one node only (the others say no)." },
	{ "gateway.metrics-listen", CT_STRING, F(gateway_metrics_listen), "", 0, 0, NULL, 0,
	  check_listen,
	  "Where byod-gatewayd answers Prometheus's scrape of /metrics, ADDR:PORT "
	  "(127.0.0.1:9103). Empty: no metrics." },
	{ "retention.sessions", CT_INT, F(retention_sessions), "365", 1, 3650, NULL, 0, NULL,
	  "Days a closed RADIUS accounting session is kept after its end: the connection log "
	  "that answers a judicial requisition (one year, CPCE L34-1 and R10-13)." },
	{ "retention.audit", CT_INT, F(retention_audit), "400", 1, 3650, NULL, 0, NULL,
	  "Days an audit row is kept. 400 by default: the accounting's year and a month more, so "
	  "that who changed a device's rights can still be shown for every session still kept." },
	{ "retention.people", CT_INT, F(retention_people), "365", 1, 3650, NULL, 0, NULL,
	  "Days a disabled account (a pupil who left) is kept after it was disabled, then removed "
	  "with its devices (accounting kept, unlinked; audit under a pseudonym)." },
	{ "retention.decisions", CT_INT, F(retention_decisions), "90", 1, 3650, NULL, 0, NULL,
	  "Days the per-minute RADIUS decision counts of the console are kept (statistics, "
	  "no personal data)." },
	{ "enrol.charter-file", CT_STRING, F(enrol_charter_file), "charter.html", 0, 0, NULL, 0,
	  NULL, "The school's charter, an HTML fragment (p, ul, li, strong, a...) shown at enrolment." },
	{ "enrol.charter-version", CT_STRING, F(enrol_charter_version), "1", 0, 0, NULL, 0,
	  check_charter_version, "Version of the charter, recorded with every device enrolled." },
	{ "enrol.limit-student", CT_INT, F(enrol_limit[0]), "2", 0, 100, NULL, 0, NULL,
	  "Devices a pupil may have enrolled at once (0: none at the portal)." },
	{ "enrol.limit-teacher", CT_INT, F(enrol_limit[1]), "5", 0, 100, NULL, 0, NULL,
	  "Devices a teacher may have enrolled at once." },
	{ "enrol.limit-staff", CT_INT, F(enrol_limit[2]), "5", 0, 100, NULL, 0, NULL,
	  "Devices a staff member may have enrolled at once." },
	{ "enrol.limit-guest", CT_INT, F(enrol_limit[3]), "1", 0, 100, NULL, 0, NULL,
	  "Devices a guest may have enrolled at once." },
	{ "enrol.rate-per-day", CT_INT, F(enrol_rate_per_day), "5", 0, 1000, NULL, 0, NULL,
	  "Enrolments one account may make in 24 hours, retired devices included "
	  "(0: no rate; byodctl --force goes past it)." },
	{ "oauth.code-ttl", CT_INT, F(oauth_code_ttl), "60", 5, 600, NULL, 0, NULL,
	  "Seconds a geteduroam app has to exchange the one-time authorization code the portal "
	  "gave it after the pupil's consent." },
	{ "oauth.access-ttl", CT_INT, F(oauth_access_ttl), "3600", 60, 86400, NULL, 0, NULL,
	  "Seconds an access token of a geteduroam app is good for (it fetches its eap-config "
	  "with it)." },
	{ "oauth.refresh-days", CT_INT, F(oauth_refresh_days), "400", 1, 800, NULL, 0, NULL,
	  "Days a geteduroam app's refresh token is good for: long enough to reach the renewal "
	  "window of the certificate it got (each use gives a new one)." },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char **str_field(struct byod_conf *conf, const struct conf_key *k)
{
	return (char **)((char *)conf + k->off);
}

static int *int_field(struct byod_conf *conf, const struct conf_key *k)
{
	return (int *)((char *)conf + k->off);
}

static const struct conf_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].key, name))
			return &keys[i];
	return NULL;
}

/* Sets one value; on failure writes the reason into why and returns -EINVAL. */
static int set_value(struct byod_conf *conf, const struct conf_key *k, const char *v,
		     char *why, size_t len)
{
	char *end, *copy;
	long n;
	int i;

	switch (k->type) {
	case CT_STRING:
		if (k->check && k->check(v, why, len))
			return -EINVAL;
		copy = strdup(v);
		if (!copy) {
			snprintf(why, len, "out of memory");
			return -ENOMEM;
		}
		free(*str_field(conf, k));
		*str_field(conf, k) = copy;
		return 0;
	case CT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!v[0] || *end || errno) {
			snprintf(why, len, "%s must be a whole number, not '%s'", k->key, v);
			return -EINVAL;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, len, "%s must be between %ld and %ld, not %ld", k->key,
				 k->min, k->max, n);
			return -ERANGE;
		}
		*int_field(conf, k) = (int)n;
		return 0;
	case CT_ENUM:
		for (i = 0; k->names[i]; i++) {
			if (!strcmp(k->names[i], v)) {
				*int_field(conf, k) = i;
				return 0;
			}
		}
		snprintf(why, len, "%s must be one of", k->key);
		for (i = 0; k->names[i]; i++) {
			size_t used = strlen(why);

			snprintf(why + used, len - used, "%s %s", i ? "," : "", k->names[i]);
		}
		return -EINVAL;
	}
	return -EINVAL;
}

int byod_conf_defaults(struct byod_conf *conf, const char *home)
{
	char why[256];
	size_t i;

	memset(conf, 0, sizeof(*conf));
	conf->home = strdup(home ? home : ".");
	if (!conf->home)
		return -ENOMEM;
	for (i = 0; i < NKEYS; i++) {
		int rc = set_value(conf, &keys[i], keys[i].def, why, sizeof(why));

		if (rc) {
			byod_conf_free(conf);
			return rc;
		}
	}
	return 0;
}

void byod_conf_free(struct byod_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == CT_STRING) {
			free(*str_field(conf, &keys[i]));
			*str_field(conf, &keys[i]) = NULL;
		}
	}
	free(conf->home);
	free(conf->path);
	conf->home = NULL;
	conf->path = NULL;
	byod_idsrc_free(conf->idsrc, conf->nidsrc);
	conf->idsrc = NULL;
	conf->nidsrc = 0;
}

/* *dst = a copy of src (NULL stays NULL). Returns 0 or -ENOMEM. */
static int dup_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

int byod_conf_copy(struct byod_conf *dst, const struct byod_conf *src)
{
	size_t i;

	*dst = *src;
	dst->home = NULL;
	dst->path = NULL;
	dst->idsrc = NULL;
	dst->nidsrc = 0;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == CT_STRING)
			*str_field(dst, &keys[i]) = NULL;
	if (dup_str(&dst->home, src->home) || dup_str(&dst->path, src->path))
		goto oom;
	for (i = 0; i < NKEYS; i++)
		if (keys[i].type == CT_STRING &&
		    dup_str(str_field(dst, &keys[i]), *str_field((struct byod_conf *)src, &keys[i])))
			goto oom;
	if (byod_idsrc_copy(&dst->idsrc, src->idsrc, src->nidsrc))
		goto oom;
	dst->nidsrc = src->nidsrc;
	return 0;
oom:
	byod_conf_free(dst);
	return -ENOMEM;
}

int byod_conf_set(struct byod_conf *conf, const char *key, const char *value,
		  struct byod_err *err)
{
	const struct conf_key *k = find_key(key);
	char why[512];
	int rc;

	if (!k)
		return byod_err_set(err, ENOENT, "unknown configuration key '%s'", key);
	rc = set_value(conf, k, value, why, sizeof(why));
	if (rc)
		return byod_err_set(err, rc, "%s", why);
	return 0;
}

struct walk {
	struct byod_conf *conf;
	yaml_document_t *doc;
	const char *file;
	struct byod_err *err;
	unsigned char seen[NKEYS];
};

static int node_err(struct walk *w, const yaml_node_t *node, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int node_err(struct walk *w, const yaml_node_t *node, int code, const char *fmt, ...)
{
	char msg[sizeof(w->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return byod_err_set_at(w->err, code, w->file, (int)node->start_mark.line + 1,
			       (int)node->start_mark.column + 1, "%s", msg);
}

static int walk_mapping(struct walk *w, yaml_node_t *map, const char *prefix)
{
	yaml_node_pair_t *pair;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(w->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(w->doc, pair->value);
		const struct conf_key *k;
		char name[256], why[512];
		int rc;

		if (!kn || !vn || kn->type != YAML_SCALAR_NODE)
			return node_err(w, kn ? kn : map, EINVAL, "a key must be a plain name");
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "",
			 (const char *)kn->data.scalar.value);
		/* the identity sources: named mappings of their own (conf_identity.c) */
		if (!prefix[0] && !strcmp(name, "identity")) {
			rc = byod_conf_identity_read(w->conf, w->doc, vn, w->file, w->err);
			if (rc)
				return rc;
			continue;
		}
		if (vn->type == YAML_MAPPING_NODE) {
			size_t plen = strlen(name);
			int known = 0;

			for (size_t i = 0; i < NKEYS; i++)
				if (!strncmp(keys[i].key, name, plen) && keys[i].key[plen] == '.')
					known = 1;
			if (!known)
				return node_err(w, kn, ENOENT,
						"unknown configuration section '%s'", name);
			rc = walk_mapping(w, vn, name);
			if (rc)
				return rc;
			continue;
		}
		k = find_key(name);
		if (!k)
			return node_err(w, kn, ENOENT, "unknown configuration key '%s'", name);
		if (w->seen[k - keys])
			return node_err(w, kn, EEXIST, "'%s' is set twice", name);
		w->seen[k - keys] = 1;
		if (vn->type != YAML_SCALAR_NODE)
			return node_err(w, vn, EINVAL, "%s takes a single value, not a list",
					name);
		rc = set_value(w->conf, k, (const char *)vn->data.scalar.value, why, sizeof(why));
		if (rc)
			return node_err(w, vn, rc, "%s", why);
	}
	return 0;
}

int byod_conf_load(struct byod_conf *conf, const char *path, struct byod_err *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walk w;
	FILE *f;
	int rc = 0;

	f = fopen(path, "rbe");
	if (!f)
		return byod_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
	free(conf->path);
	conf->path = strdup(path);
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return byod_err_set(err, ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = byod_err_set_at(err, EINVAL, path, (int)parser.problem_mark.line + 1,
				     (int)parser.problem_mark.column + 1, "%s",
				     parser.problem ? parser.problem : "malformed YAML");
		goto out_parser;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		goto out_doc; /* an empty file: every default stands */
	memset(&w, 0, sizeof(w));
	w.conf = conf;
	w.doc = &doc;
	w.file = path;
	w.err = err;
	if (root->type != YAML_MAPPING_NODE)
		rc = node_err(&w, root, EINVAL, "the configuration must be a mapping of sections");
	else
		rc = walk_mapping(&w, root, "");
out_doc:
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

int byod_conf_load_home(struct byod_conf *conf, const char *home, struct byod_err *err)
{
	char path[4096];
	int rc;

	rc = byod_conf_defaults(conf, home);
	if (rc)
		return byod_err_set(err, rc, "out of memory");
	if (byod_path_join(path, sizeof(path), home, BYOD_CONF_NAME))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", home);
	return byod_conf_load(conf, path, err);
}

int byod_conf_path(const struct byod_conf *conf, const char *rel, char *out, size_t len)
{
	return byod_path_join(out, len, conf->home, rel);
}

int byod_conf_year_end(const struct byod_conf *conf, int *month, int *day)
{
	return parse_month_day(conf->pki_school_year_end, month, day);
}

int byod_conf_portal_threads(const struct byod_conf *conf)
{
	cpu_set_t set;
	long cores;

	if (conf->portal_threads > 0)
		return conf->portal_threads;
	/* the cores this process may run on (a container's cpuset, taskset),
	 * not the machine's */
	cores = sched_getaffinity(0, sizeof(set), &set) ? sysconf(_SC_NPROCESSORS_ONLN)
							 : CPU_COUNT(&set);
	return cores < 1 ? 1 : cores > BYOD_PORTAL_THREADS_AUTO_MAX ? BYOD_PORTAL_THREADS_AUTO_MAX
								  : (int)cores;
}

int byod_conf_grace_until(const struct byod_conf *conf, int *month, int *day)
{
	if (!conf->pki_grace_until || !*conf->pki_grace_until)
		return -ENOENT;
	return parse_month_day(conf->pki_grace_until, month, day);
}

/* YAML double-quoted scalar: every string is written quoted, so that a UAI
 * such as 0750654D or a name with a colon reads back as the same text. */
static void put_quoted(struct byod_buf *b, int *rc, const char *s)
{
	byod_buf_putf(b, rc, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			byod_buf_putf(b, rc, "\\%c", c);
		else if (c < 0x20)
			byod_buf_putf(b, rc, "\\x%02x", c);
		else
			byod_buf_putf(b, rc, "%c", c);
	}
	byod_buf_putf(b, rc, "\"");
}

int byod_conf_write(const struct byod_conf *conf, const char *path, struct byod_err *err)
{
	/* secrets (registry.conninfo, das.secret) may be in it */
	struct byod_buf b = BYOD_BUF_SECRET_INIT;
	char section[64] = "";
	size_t i;
	int rc = 0;

	byod_buf_putf(&b, &rc,
	    "# BYOD Gateway configuration (YAML).\n"
	    "# Every key is optional; what is left out takes the default shown.\n"
	    "# Relative paths are relative to this directory.\n");
	for (i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &keys[i];
		const char *dot = strchr(k->key, '.');
		size_t slen = (size_t)(dot - k->key);
		struct byod_conf *c = (struct byod_conf *)conf;

		if (strlen(section) != slen || strncmp(section, k->key, slen)) {
			snprintf(section, sizeof(section), "%.*s", (int)slen, k->key);
			byod_buf_putf(&b, &rc, "\n%s:\n", section);
		}
		byod_buf_putf(&b, &rc, "  # %s\n", k->help);
		if (k->type == CT_STRING) {
			const char *v = *str_field(c, k);

			if (k->secret && (!v || !v[0])) {
				byod_buf_putf(&b, &rc, "  # %s: \"\"\n", dot + 1);
				continue;
			}
			byod_buf_putf(&b, &rc, "  %s: ", dot + 1);
			put_quoted(&b, &rc, v ? v : "");
			byod_buf_putf(&b, &rc, "\n");
		} else if (k->type == CT_INT) {
			byod_buf_putf(&b, &rc, "  %s: %d\n", dot + 1, *int_field(c, k));
		} else {
			byod_buf_putf(&b, &rc, "  %s: %s\n", dot + 1, k->names[*int_field(c, k)]);
		}
	}
	byod_conf_identity_write(&b, &rc);
	if (rc)
		rc = byod_err_set(err, -rc, "out of memory");
	else
		rc = byod_file_write(path, b.p, b.len, 0640, 1, err);
	byod_buf_free(&b);
	return rc;
}
