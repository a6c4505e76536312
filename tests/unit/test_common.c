// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for common/: the configuration file (table, YAML reader,
 * errors with positions, writer round trip) and the small helpers (UAI
 * check letters, MAC and serial forms, school-year end, atomic writes).
 */
#define _GNU_SOURCE /* nftw (rmtree.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <unistd.h>

#include "byod_conf.h"
#include "byod_util.h"
#include "rmtree.h"

static char tmpdir[512];

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");

	snprintf(tmpdir, sizeof(tmpdir), "%s/common.XXXXXX", base ? base : "/tmp");
	mkdir(base ? base : "/tmp", 0755);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return test_rmtree(tmpdir);
}

static void write_text(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_conf_defaults(void **state)
{
	struct byod_conf c;

	assert_int_equal(byod_conf_defaults(&c, "/h"), 0);
	assert_string_equal(c.registry_path, "registry.db");
	assert_int_equal(c.registry_backend, BYOD_REGISTRY_SQLITE);
	assert_int_equal(c.registry_busy_timeout_ms, 5000);
	assert_string_equal(c.pki_school_year_end, "08-31");
	assert_string_equal(c.pki_grace_until, "");
	assert_int_equal(c.pki_renew_days, 60);
	{
		int m, d;

		assert_int_equal(byod_conf_grace_until(&c, &m, &d), -ENOENT);
	}
	assert_int_equal(c.auth_yescrypt_cost, 5);
	byod_conf_free(&c);
	byod_conf_free(NULL);
}

static void test_conf_load(void **state)
{
	struct byod_conf c;
	struct byod_err err;
	char path[600], rp[700];

	write_text("ok.conf",
		   "# comment\n"
		   "school:\n"
		   "  uai: \"0750654D\"\n"
		   "  name: 'Lycée Henri-IV'\n"
		   "registry:\n"
		   "  backend: postgres\n"
		   "  busy-timeout-ms: 250\n"
		   "pki:\n"
		   "  school-year-end: 07-14\n"
		   "  grace-until: \"10-31\"\n"
		   "  renew-days: 180\n",
		   path, sizeof(path));
	assert_int_equal(byod_conf_defaults(&c, tmpdir), 0);
	assert_int_equal(byod_conf_load(&c, path, &err), 0);
	assert_string_equal(c.school_uai, "0750654D");
	assert_string_equal(c.school_name, "Lycée Henri-IV");
	assert_int_equal(c.registry_backend, BYOD_REGISTRY_POSTGRES);
	assert_int_equal(c.registry_busy_timeout_ms, 250);
	assert_string_equal(c.registry_path, "registry.db"); /* default kept */
	assert_string_equal(c.pki_grace_until, "10-31");
	assert_int_equal(c.pki_renew_days, 180);
	{
		int m = 0, d = 0;

		assert_int_equal(byod_conf_grace_until(&c, &m, &d), 0);
		assert_int_equal(m, 10);
		assert_int_equal(d, 31);
	}
	assert_int_equal(byod_conf_path(&c, c.registry_path, rp, sizeof(rp)), 0);
	assert_true(strstr(rp, tmpdir) == rp);
	byod_conf_free(&c);
}

/* Each bad file is refused with the right position and a sentence. */
static void expect_conf_error(const char *text, int line, int col, const char *needle)
{
	struct byod_conf c;
	struct byod_err err;
	char path[600];

	write_text("bad.conf", text, path, sizeof(path));
	assert_int_equal(byod_conf_defaults(&c, tmpdir), 0);
	assert_true(byod_conf_load(&c, path, &err) < 0);
	assert_string_equal(err.file, path);
	assert_int_equal(err.line, line);
	assert_int_equal(err.col, col);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' not in '%s'", needle, err.msg);
	byod_conf_free(&c);
}

static void test_conf_errors(void **state)
{
	expect_conf_error("school:\n  uai: 0750654D\n  colour: blue\n", 3, 3,
			  "unknown configuration key 'school.colour'");
	expect_conf_error("schol:\n  uai: 0750654D\n", 1, 1, "unknown configuration section");
	expect_conf_error("registry:\n  busy-timeout-ms: lots\n", 2, 20, "whole number");
	expect_conf_error("registry:\n  busy-timeout-ms: 9999999\n", 2, 20, "between 0 and 600000");
	expect_conf_error("registry:\n  backend: mysql\n", 2, 12, "sqlite, postgres");
	expect_conf_error("school:\n  uai: 12345\n", 2, 8, "not a UAI");
	expect_conf_error("pki:\n  school-year-end: 13-01\n", 2, 20, "MM-DD");
	expect_conf_error("pki:\n  grace-until: 10-32\n", 2, 16, "MM-DD");
	expect_conf_error("pki:\n  grace-until: \"1031\"\n", 2, 16, "MM-DD");
	expect_conf_error("pki:\n  grace-until: 02-29\n", 2, 16, "MM-DD");
	expect_conf_error("pki:\n  renew-days: 0\n", 2, 15, "between 1 and 180");
	expect_conf_error("pki:\n  renew-days: 181\n", 2, 15, "between 1 and 180");
	expect_conf_error("school:\n  name: a\n  name: b\n", 3, 3, "set twice");
	expect_conf_error("school:\n  name: [a, b]\n", 2, 9, "not a list");
	expect_conf_error("school: {name: \"unterminated}\n", 2, 1, "");
	expect_conf_error("- just\n- a list\n", 1, 1, "mapping");
	expect_conf_error("portal:\n  unlock-minutes: \"30 240\"\n", 2, 19, "durations in minutes");
}

/* portal.unlock-minutes: a teacher's choices, ascending, two hours at most */
static void test_conf_unlock_minutes(void **state)
{
	struct byod_conf c;
	int m[BYOD_UNLOCK_CHOICES_MAX];

	assert_int_equal(byod_conf_defaults(&c, "/h"), 0);
	assert_int_equal(byod_conf_unlock_minutes(c.portal_unlock_minutes, m, 8), 5);
	assert_int_equal(m[0], 15);
	assert_int_equal(m[4], 120);
	byod_conf_free(&c);
	assert_int_equal(byod_conf_unlock_minutes("1, 10", m, 8), 2);
	assert_int_equal(m[0], 1);
	assert_int_equal(m[1], 10);
	assert_int_equal(byod_conf_unlock_minutes("120", m, 8), 1);
	assert_int_equal(byod_conf_unlock_minutes("121", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("0 10", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("30 15", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("15 15", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("15 -30", m, 8), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("1 2 3", m, 2), -EINVAL);
	assert_int_equal(byod_conf_unlock_minutes("1h", m, 8), -EINVAL);
}

/* portal.threads: 0 (the default) is one per core, 8 at most, and stays 0 in
 * the file (a byod.conf copied to a bigger server follows its cores) */
static void test_conf_portal_threads(void **state)
{
	struct byod_conf c;
	struct byod_err err;
	cpu_set_t set, one;
	long cores;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	cores = CPU_COUNT(&set);
	assert_int_equal(byod_conf_defaults(&c, "/h"), 0);
	assert_int_equal(c.portal_threads, 0);
	assert_int_equal(byod_conf_portal_threads(&c), cores > 8 ? 8 : cores);
	/* the cores this process may run on, not the machine's */
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			CPU_SET(i, &one);
			break;
		}
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(byod_conf_portal_threads(&c), 1);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(byod_conf_set(&c, "portal.threads", "3", &err), 0);
	assert_int_equal(byod_conf_portal_threads(&c), 3);
	assert_int_equal(byod_conf_set(&c, "portal.threads", "-1", &err), -ERANGE);
	assert_int_equal(byod_conf_set(&c, "portal.threads", "65", &err), -ERANGE);
	assert_int_equal(byod_conf_portal_threads(&c), 3);
	byod_conf_free(&c);
}

static void test_conf_write_roundtrip(void **state)
{
	struct byod_conf a, b;
	struct byod_err err;
	char path[600];

	snprintf(path, sizeof(path), "%s/written.conf", tmpdir);
	assert_int_equal(byod_conf_defaults(&a, tmpdir), 0);
	assert_int_equal(byod_conf_set(&a, "school.name", "Collège \"Les Pins\": 4ème", &err), 0);
	assert_int_equal(byod_conf_set(&a, "school.uai", "0131234W", &err), 0);
	assert_int_equal(byod_conf_set(&a, "pki.crl-days", "3", &err), 0);
	assert_int_equal(byod_conf_set(&a, "pki.crl-days", "0", &err), -ERANGE);
	assert_int_equal(byod_conf_set(&a, "no.such", "1", &err), -ENOENT);
	/* the metrics listeners: ADDR:PORT, [IPv6]:PORT or "" */
	assert_int_equal(byod_conf_set(&a, "portal.metrics-listen", "127.0.0.1:9101", &err), 0);
	assert_int_equal(byod_conf_set(&a, "admin.metrics-listen", "[::1]:9102", &err), 0);
	assert_int_equal(byod_conf_set(&a, "gateway.metrics-listen", "", &err), 0);
	assert_int_not_equal(byod_conf_set(&a, "gateway.metrics-listen", "localhost:9103", &err), 0);
	assert_int_not_equal(byod_conf_set(&a, "gateway.metrics-listen", "127.0.0.1", &err), 0);
	assert_int_not_equal(byod_conf_set(&a, "gateway.metrics-listen", "127.0.0.1:0", &err), 0);
	assert_int_not_equal(byod_conf_set(&a, "gateway.metrics-listen", "::1:9103", &err), 0);
	assert_int_not_equal(byod_conf_set(&a, "gateway.metrics-listen", "[::1]9103", &err), 0);
	assert_int_equal(byod_conf_write(&a, path, &err), 0);
	/* never overwritten */
	assert_int_equal(byod_conf_write(&a, path, &err), -EEXIST);
	assert_int_equal(byod_conf_defaults(&b, tmpdir), 0);
	assert_int_equal(byod_conf_load(&b, path, &err), 0);
	assert_string_equal(b.school_name, "Collège \"Les Pins\": 4ème");
	assert_string_equal(b.school_uai, "0131234W");
	assert_int_equal(b.pki_crl_days, 3);
	assert_string_equal(b.portal_metrics_listen, "127.0.0.1:9101");
	assert_string_equal(b.admin_metrics_listen, "[::1]:9102");
	assert_string_equal(b.gateway_metrics_listen, "");
	byod_conf_free(&a);
	byod_conf_free(&b);
}

/* a copy owns its strings: freeing the original leaves it whole */
static void test_conf_copy(void **state)
{
	struct byod_conf a, b;
	struct byod_err err;

	assert_int_equal(byod_conf_defaults(&a, tmpdir), 0);
	assert_int_equal(byod_conf_set(&a, "school.name", "Collège Les Pins", &err), 0);
	assert_int_equal(byod_conf_set(&a, "registry.busy-timeout-ms", "250", &err), 0);
	assert_int_equal(byod_conf_copy(&b, &a), 0);
	assert_ptr_not_equal(b.school_name, a.school_name);
	assert_ptr_not_equal(b.home, a.home);
	assert_ptr_not_equal(b.registry_path, a.registry_path);
	byod_conf_free(&a);
	assert_string_equal(b.school_name, "Collège Les Pins");
	assert_string_equal(b.home, tmpdir);
	assert_null(b.path);
	assert_string_equal(b.registry_path, "registry.db");
	assert_int_equal(b.registry_busy_timeout_ms, 250);
	assert_int_equal(b.pki_crl_days, 7);
	byod_conf_free(&b);
}

static void test_uai(void **state)
{
	char expected;

	assert_int_equal(byod_uai_check("0750654D", &expected), 0);
	assert_int_equal(expected, 'D'); /* Lycée Henri-IV */
	assert_int_equal(byod_uai_check("0750655E", &expected), 0);
	assert_int_equal(expected, 'E');
	assert_int_equal(byod_uai_check("0131234X", &expected), 0); /* form right... */
	assert_int_equal(expected, 'W');                           /* ...letter not */
	assert_int_equal(byod_uai_check("075065D", NULL), -EINVAL);
	assert_int_equal(byod_uai_check("0750654d", NULL), -EINVAL);
	assert_int_equal(byod_uai_check("A750654D", NULL), -EINVAL);
}

static void test_mac(void **state)
{
	char out[18];

	assert_int_equal(byod_mac_normalise("AA-BB-CC-DD-EE-FF", out), 0);
	assert_string_equal(out, "aa:bb:cc:dd:ee:ff");
	assert_int_equal(byod_mac_normalise("aabb.ccdd.eeff", out), 0);
	assert_string_equal(out, "aa:bb:cc:dd:ee:ff");
	assert_int_equal(byod_mac_normalise("AABBCCDDEEFF", out), 0);
	assert_string_equal(out, "aa:bb:cc:dd:ee:ff");
	assert_int_equal(byod_mac_normalise("02:00:00:00:aa:01", out), 0);
	assert_string_equal(out, "02:00:00:00:aa:01");
	assert_int_equal(byod_mac_normalise("aa:bb:cc:dd:ee", out), -EINVAL);
	assert_int_equal(byod_mac_normalise("aa:bb:cc:dd:ee:ff:00", out), -EINVAL);
	assert_int_equal(byod_mac_normalise("gg:bb:cc:dd:ee:ff", out), -EINVAL);
}

static void test_serial(void **state)
{
	char out[41];

	assert_int_equal(byod_serial_normalise("00BAD1", out, sizeof(out)), 0);
	assert_string_equal(out, "bad1");
	assert_int_equal(byod_serial_normalise("0x0a:0b", out, sizeof(out)), 0);
	assert_string_equal(out, "a0b");
	assert_int_equal(byod_serial_normalise("000", out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(byod_serial_normalise("", out, sizeof(out)), -EINVAL);
	assert_int_equal(byod_serial_normalise("xyz", out, sizeof(out)), -EINVAL);
	assert_int_equal(byod_serial_normalise("abcdef", out, 4), -ENAMETOOLONG);
}

static void test_school_year_end(void **state)
{
	time_t now, end, want;

	assert_int_equal(byod_time_parse("2026-11-28 09:00", &now), 0);
	assert_int_equal(byod_time_parse("2027-08-31T23:59:59Z", &want), 0);
	end = byod_school_year_end(now, 8, 31, 14);
	assert_int_equal(end, want);
	/* in the last days of August, the certificate is for the next year */
	assert_int_equal(byod_time_parse("2027-08-25", &now), 0);
	assert_int_equal(byod_time_parse("2028-08-31T23:59:59", &want), 0);
	assert_int_equal(byod_school_year_end(now, 8, 31, 14), want);
	/* early in August, still this year */
	assert_int_equal(byod_time_parse("2027-08-01", &now), 0);
	assert_int_equal(byod_time_parse("2027-08-31T23:59:59", &want), 0);
	assert_int_equal(byod_school_year_end(now, 8, 31, 14), want);
	assert_int_equal(byod_time_parse("2027-02-30x", &now), -EINVAL);
}

static void test_file_write(void **state)
{
	struct byod_err err;
	struct stat st;
	char path[600], *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/secret.key", tmpdir);
	umask(022);
	assert_int_equal(byod_file_write(path, "k1", 2, 0600, 1, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(byod_file_write(path, "k2", 2, 0600, 1, &err), -EEXIST);
	assert_int_equal(byod_file_read(path, &data, &len, &err), 0);
	assert_string_equal(data, "k1");
	free(data);
	assert_int_equal(byod_file_write(path, "k3", 2, 0644, 0, &err), 0);
	assert_int_equal(byod_file_read(path, &data, &len, &err), 0);
	assert_string_equal(data, "k3");
	assert_int_equal(len, 2);
	free(data);
	assert_true(byod_file_read("/nonexistent/x", &data, &len, &err) < 0);
	assert_non_null(strstr(err.msg, "/nonexistent/x"));
}

static void test_uuid(void **state)
{
	char a[37], b[37];

	assert_int_equal(byod_uuid4(a), 0);
	assert_int_equal(byod_uuid4(b), 0);
	assert_true(byod_is_uuid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_false(byod_is_uuid("not-a-uuid"));
}

static void test_port_parse(void **state)
{
	int port = -1;

	assert_int_equal(byod_port_parse("1812", 0, &port), 0);
	assert_int_equal(port, 1812);
	assert_int_equal(byod_port_parse("65535", 0, &port), 0);
	assert_int_equal(byod_port_parse("0", 1, &port), 0);
	assert_int_equal(port, 0);
	port = 7;
	assert_int_equal(byod_port_parse("0", 0, &port), -EINVAL);
	assert_int_equal(byod_port_parse("65536", 1, &port), -EINVAL);
	assert_int_equal(byod_port_parse("-1", 1, &port), -EINVAL);
	assert_int_equal(byod_port_parse(" 80", 1, &port), -EINVAL);
	assert_int_equal(byod_port_parse("80x", 1, &port), -EINVAL);
	assert_int_equal(byod_port_parse("", 1, &port), -EINVAL);
	assert_int_equal(byod_port_parse("99999999999999999999", 1, &port), -EINVAL);
	assert_int_equal(port, 7);
}

static void test_dns_name(void **state)
{
	static const char *const good[] = { "radius.byod.lan", "a", "x-1.example.fr",
					    "RADIUS.Byod.Lan", NULL };
	static const char *const bad[] = { "", "radius..lan", ".lan", "lan.", "-a.lan", "a-.lan",
					   "a_b.lan", "a b", "anonymous@byod.lan", NULL };
	char longlabel[80];
	int i;

	(void)state;
	for (i = 0; good[i]; i++)
		if (byod_dns_name_check(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; bad[i]; i++)
		if (!byod_dns_name_check(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(byod_dns_name_check(NULL), -EINVAL);
	memset(longlabel, 'a', 63);
	strcpy(longlabel + 63, ".lan");
	assert_int_equal(byod_dns_name_check(longlabel), 0);
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".lan");
	assert_int_equal(byod_dns_name_check(longlabel), -EINVAL);
}

/* The Passpoint FQDN is always radius.server-name or a domain above it
 * (Android's domain_suffix_match), never a bare top-level label. */
static void test_passpoint_names(void **state)
{
	static const struct {
		const char *server, *realm, *fqdn, *want_realm;
	} cases[] = {
		{ "radius.byod.lan", "", "byod.lan", "byod.lan" },
		{ "radius.byod.lan", NULL, "byod.lan", "byod.lan" },
		{ "radius.byod.lan", "college-calanques.fr", "byod.lan", "college-calanques.fr" },
		{ "aaa.college.ac-aix-marseille.fr", "", "college.ac-aix-marseille.fr",
		  "college.ac-aix-marseille.fr" },
		{ "radius.lan", "", "radius.lan", "radius.lan" },
		{ "radius", "", "radius", "radius" },
	};
	char fqdn[BYOD_DNS_MAX], realm[BYOD_DNS_MAX];
	struct byod_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (byod_passpoint_names(cases[i].server, cases[i].realm, fqdn, realm, &err))
			fail_msg("%s: %s", cases[i].server, err.msg);
		assert_string_equal(fqdn, cases[i].fqdn);
		assert_string_equal(realm, cases[i].want_realm);
		/* the suffix Android checks: the server's name ends in the FQDN */
		assert_true(strlen(cases[i].server) >= strlen(fqdn));
		assert_string_equal(cases[i].server + strlen(cases[i].server) - strlen(fqdn), fqdn);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(byod_passpoint_names("radius_byod", "", fqdn, realm, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "radius.server-name"));
	assert_string_equal(fqdn, "");
	memset(&err, 0, sizeof(err));
	assert_int_equal(byod_passpoint_names("radius.byod.lan", "@byod.lan", fqdn, realm, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "wifi.passpoint-realm"));
	assert_string_equal(realm, "");
}

/* A log line cannot be split or reach a terminal's escape parser: control
 * bytes, DEL, broken UTF-8 and C1 controls as \xNN, a backslash doubled,
 * accented names kept, and a short buffer cut before a whole escape. */
static void test_log_escape(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(byod_log_escape("/a b", out, sizeof(out)), "/a b");
	assert_string_equal(byod_log_escape("/\nFAKE\x1b[31m", out, sizeof(out)),
			    "/\\x0aFAKE\\x1b[31m");
	assert_string_equal(byod_log_escape("\r\t\x7f", out, sizeof(out)), "\\x0d\\x09\\x7f");
	assert_string_equal(byod_log_escape("a\\x0a", out, sizeof(out)), "a\\\\x0a");
	assert_string_equal(byod_log_escape("L\xc3\xa9" "a \xe2\x82\xac \xf0\x9f\x98\x80", out,
					    sizeof(out)),
			    "L\xc3\xa9" "a \xe2\x82\xac \xf0\x9f\x98\x80");
	/* C1 CSI (U+009B), a lone continuation byte, an overlong '/', a
	 * surrogate, a sequence cut by the end */
	assert_string_equal(byod_log_escape("\xc2\x9b" "1m", out, sizeof(out)), "\\xc2\\x9b" "1m");
	assert_string_equal(byod_log_escape("\x80\xc0\xaf", out, sizeof(out)), "\\x80\\xc0\\xaf");
	assert_string_equal(byod_log_escape("\xed\xa0\x80", out, sizeof(out)), "\\xed\\xa0\\x80");
	assert_string_equal(byod_log_escape("x\xe2\x82", out, sizeof(out)), "x\\xe2\\x82");
	assert_string_equal(byod_log_escape(NULL, out, sizeof(out)), "(null)");
	/* 7 bytes: "ab", one escape and the NUL fit, the next escape does not */
	assert_string_equal(byod_log_escape("ab\n\n", out, 7), "ab\\x0a");
	assert_string_equal(byod_log_escape("ab\n\n", out, 6), "ab");
	assert_string_equal(byod_log_escape("\xc3\xa9", out, 2), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_load),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_unlock_minutes),
		cmocka_unit_test(test_conf_portal_threads),
		cmocka_unit_test(test_conf_write_roundtrip),
		cmocka_unit_test(test_conf_copy),
		cmocka_unit_test(test_uai),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_school_year_end),
		cmocka_unit_test(test_file_write),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_port_parse),
		cmocka_unit_test(test_dns_name),
		cmocka_unit_test(test_passpoint_names),
		cmocka_unit_test(test_log_escape),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
