// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for what every device profile shares: profile_check refuses
 * an empty SSID, server name or identity, a missing CA, a credential
 * without a passphrase, a key that is not the certificate's, a certificate
 * not from the school CA, and each format refuses the same (nothing in its
 * output, no PKCS#12 encoded for it). The legacy PKCS#12 of the Apple
 * profile opens with the passphrase, carries the device's certificate and
 * key, and uses 3DES and a SHA-1 MAC. The Apple profile names its payloads
 * in the words it is given (the portal's language), English without; the
 * Linux archive is one folder named as the archive, and its install.sh
 * removes the key it copied.
 */
#define _GNU_SOURCE /* memmem; nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "pki.h"
#include "profile.h"

static char dir[512], dir2[600];
static struct pki_ca *ca, *other;
static struct pki_issued dev, stranger;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int make_ca(const char *d, struct pki_ca **out)
{
	struct pki_ca_params p = {
		.common_name = "Collège BYOD CA", .organisation = "Collège", .years = 2
	};

	if (mkdir(d, 0700) || pki_ca_create(d, &p, NULL))
		return -1;
	return pki_ca_load(d, out, NULL);
}

static int setup(void **state)
{
	const char *base = getenv("BYOD_TEST_TMP");
	struct pki_device_params dp = {
		.device_id = "3044b37d-a7bf-4ab4-8d77-dfe97c69973b",
		.not_after = time(NULL) + 86400 * 30,
	};

	(void)state;
	snprintf(dir, sizeof(dir), "%s/profiles.XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dir2, sizeof(dir2), "%s/a", dir);
	if (make_ca(dir2, &ca))
		return -1;
	snprintf(dir2, sizeof(dir2), "%s/b", dir);
	if (make_ca(dir2, &other))
		return -1;
	if (pki_device_issue(ca, &dp, &dev, NULL) || pki_device_issue(other, &dp, &stranger, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pki_issued_clear(&dev);
	pki_issued_clear(&stranger);
	pki_ca_free(ca);
	pki_ca_free(other);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void good(struct profile_in *in)
{
	memset(in, 0, sizeof(*in));
	in->school = "Collège des Calanques";
	in->ssid = "Collège-BYOD";
	in->server_name = "radius.byod.lan";
	in->ca = dev.ca;
	in->cred = &dev;
	in->identity = "lea.martin";
	in->device_id = "3044b37d-a7bf-4ab4-8d77-dfe97c69973b";
	in->domain = "portal.byod.lan";
	in->passpoint_realm = "";
	in->helpdesk_name = in->helpdesk_email = in->helpdesk_phone = in->helpdesk_url = "";
}

/* dev's credential, sharing its certificate and key, with no PKCS#12 form
 * encoded yet: a test changes one part of it. */
static struct pki_issued variant(const struct pki_issued *from)
{
	struct pki_issued v = *from;

	memset(v.p12, 0, sizeof(v.p12));
	return v;
}

/* Every format refuses in, with a message holding says; nothing is output,
 * and no PKCS#12 was encoded for it. */
static void all_refuse(const struct profile_in *in, const char *says)
{
	struct profile_out out;
	struct byod_err err;
	int f;

	memset(&err, 0, sizeof(err));
	assert_int_equal(profile_check(in, &err), -EINVAL);
	if (!strstr(err.msg, says))
		fail_msg("profile_check said '%s', not '%s'", err.msg, says);
	for (f = 0; f < 5; f++) {
		int rc;

		memset(&out, 0, sizeof(out));
		memset(&err, 0, sizeof(err));
		switch (f) {
		case 0:
			rc = profile_apple(in, dev.cert, dev.key, &out, &err);
			break;
		case 1:
			rc = profile_eap_config(in, &out, &err);
			break;
		case 2:
			rc = profile_passpoint(in, &out, &err);
			break;
		case 3:
			rc = profile_windows(in, &out, &err);
			break;
		default:
			rc = profile_networkmanager(in, &out, &err);
			break;
		}
		if (rc != -EINVAL || !strstr(err.msg, says))
			fail_msg("format %d: %d '%s', expected a refusal naming '%s'", f, rc, err.msg,
				 says);
		assert_null(out.data);
		assert_int_equal(out.len, 0);
	}
	if (in->cred && in->cred != &dev)
		for (f = 0; f < PKI_P12_FORM_N; f++)
			assert_null(in->cred->p12[f].der);
}

static void test_check_good(void **state)
{
	struct profile_in in;
	struct byod_err err;

	(void)state;
	good(&in);
	if (profile_check(&in, &err))
		fail_msg("%s", err.msg);
}

static void test_check_refusals(void **state)
{
	struct pki_issued v;
	struct profile_in in;

	(void)state;
	good(&in);
	in.ssid = "";
	all_refuse(&in, "wifi.ssid");
	in.ssid = NULL;
	all_refuse(&in, "wifi.ssid");
	in.ssid = "an SSID much longer than thirty-two bytes";
	all_refuse(&in, "wifi.ssid");

	good(&in);
	in.server_name = "";
	all_refuse(&in, "radius.server-name");

	good(&in);
	in.ca = NULL;
	all_refuse(&in, "school CA");

	good(&in);
	v = variant(&dev);
	v.passphrase[0] = '\0';
	in.cred = &v;
	all_refuse(&in, "passphrase");
	in.cred = NULL;
	all_refuse(&in, "passphrase");

	good(&in);
	v = variant(&dev);
	v.cert = stranger.cert; /* not the key's certificate */
	in.cred = &v;
	all_refuse(&in, "does not match");
	v = variant(&dev);
	v.key = NULL;
	in.cred = &v;
	all_refuse(&in, "does not match");

	/* a consistent identity, but from another CA than the school's */
	good(&in);
	v = variant(&stranger);
	in.cred = &v;
	all_refuse(&in, "not from the school CA");
	/* the school's identity, checked against another school's CA */
	good(&in);
	in.ca = stranger.ca;
	all_refuse(&in, "not from the school CA");

	good(&in);
	in.identity = "";
	all_refuse(&in, "identity");
}

/* The Passpoint names come from radius.server-name and wifi.passpoint-realm:
 * what is not a DNS name is refused by name, with nothing written. */
static void test_passpoint_names(void **state)
{
	struct profile_out out;
	struct profile_in in;
	struct byod_err err;

	(void)state;
	good(&in);
	memset(&out, 0, sizeof(out));
	if (profile_passpoint(&in, &out, &err))
		fail_msg("%s", err.msg);
	profile_out_free(&out);

	in.server_name = "radius byod";
	memset(&err, 0, sizeof(err));
	assert_int_equal(profile_passpoint(&in, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "radius.server-name"));
	assert_null(out.data);

	good(&in);
	in.passpoint_realm = "anonymous@byod.lan";
	memset(&err, 0, sizeof(err));
	assert_int_equal(profile_passpoint(&in, &out, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "wifi.passpoint-realm"));
	assert_null(out.data);
}

static void test_legacy_p12(void **state)
{
	const unsigned char *p, *der = NULL;
	struct pki_issued v;
	struct byod_err err;
	size_t len = 0;
	PKCS12 *p12;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *cas = NULL;
	const X509_ALGOR *macalg = NULL;
	const ASN1_OBJECT *obj = NULL;

	(void)state;
	assert_int_equal(pki_issued_p12(&dev, PKI_P12_LEGACY, &der, &len, &err), 0);
	p = der;
	p12 = d2i_PKCS12(NULL, &p, (long)len);
	assert_non_null(p12);
	assert_int_equal(PKCS12_verify_mac(p12, dev.passphrase, -1), 1);
	assert_int_equal(PKCS12_verify_mac(p12, "wrong", -1), 0);
	PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p12);
	assert_non_null(macalg);
	X509_ALGOR_get0(&obj, NULL, NULL, macalg);
	assert_int_equal(OBJ_obj2nid(obj), NID_sha1);
	assert_int_equal(PKCS12_parse(p12, dev.passphrase, &key, &cert, &cas), 1);
	assert_non_null(key);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_int_equal(sk_X509_num(cas), 1); /* the school CA */
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(cas, X509_free);
	PKCS12_free(p12);

	v = variant(&dev);
	v.key = NULL;
	assert_int_equal(pki_issued_p12(&v, PKI_P12_LEGACY, &der, &len, &err), -EINVAL);
	assert_null(der);
	assert_null(v.p12[PKI_P12_LEGACY].der);
}

/* 1 when the n bytes at p hold s. */
static int holds(const unsigned char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

static void test_apple_words(void **state)
{
	static const struct profile_words fr = {
		.ca = "Certificat du collège",
		.identity = "Certificat de l’appareil",
		.about = "Connecte cet appareil au réseau Wi-Fi Collège-BYOD.",
		.help = "Aide : ",
	};
	static const struct profile_words part = { .ca = "Certificat du collège" };
	struct profile_out out;
	struct profile_in in;
	struct byod_err err;

	(void)state;
	/* English without words (the signed content is in the clear in the CMS) */
	good(&in);
	in.helpdesk_name = "Référent";
	assert_int_equal(profile_apple(&in, dev.cert, dev.key, &out, &err), 0);
	assert_true(holds(out.data, out.len, "<string>School CA</string>"));
	assert_true(holds(out.data, out.len, "<string>Device certificate</string>"));
	assert_true(holds(out.data, out.len, "Connects this device to the Wi-Fi network "
					     "Collège-BYOD of Collège des Calanques. Help: Référent"));
	profile_out_free(&out);
	/* the portal's words, in French */
	in.words = &fr;
	assert_int_equal(profile_apple(&in, dev.cert, dev.key, &out, &err), 0);
	assert_true(holds(out.data, out.len, "<string>Certificat du collège</string>"));
	assert_true(holds(out.data, out.len, "<string>Certificat de l’appareil</string>"));
	assert_true(holds(out.data, out.len,
			  "Connecte cet appareil au réseau Wi-Fi Collège-BYOD. Aide : Référent"));
	assert_false(holds(out.data, out.len, "School CA"));
	assert_false(holds(out.data, out.len, "Device certificate"));
	assert_false(holds(out.data, out.len, "Help"));
	profile_out_free(&out);
	/* a word not given stays English */
	in.words = &part;
	assert_int_equal(profile_apple(&in, dev.cert, dev.key, &out, &err), 0);
	assert_true(holds(out.data, out.len, "<string>Certificat du collège</string>"));
	assert_true(holds(out.data, out.len, "<string>Device certificate</string>"));
	assert_true(holds(out.data, out.len, "Help: Référent"));
	profile_out_free(&out);
}

static void test_networkmanager_folder(void **state)
{
	static const char *const want[] = {
		"wifi-3044b37d-linux/", "wifi-3044b37d-linux/Collège-BYOD.nmconnection",
		"wifi-3044b37d-linux/ca.pem", "wifi-3044b37d-linux/client.pem",
		"wifi-3044b37d-linux/client.key", "wifi-3044b37d-linux/install.sh",
	};
	struct archive_entry *e;
	struct profile_out out;
	struct profile_in in;
	struct byod_err err;
	struct archive *a;
	char sh[4096];
	const char *copy, *rm, *reload;
	size_t i = 0;
	la_ssize_t n;

	(void)state;
	good(&in);
	assert_int_equal(profile_networkmanager(&in, &out, &err), 0);
	assert_string_equal(out.filename, "wifi-3044b37d-linux.tar.gz");
	a = archive_read_new();
	assert_non_null(a);
	assert_int_equal(archive_read_support_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, out.data, out.len), ARCHIVE_OK);
	sh[0] = '\0';
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		assert_true(i < sizeof(want) / sizeof(want[0]));
		assert_string_equal(archive_entry_pathname(e), want[i]);
		if (i == 0) /* the folder first, private */
			assert_int_equal(archive_entry_filetype(e), AE_IFDIR);
		if (!strcmp(want[i], "wifi-3044b37d-linux/install.sh")) {
			n = archive_read_data(a, sh, sizeof(sh) - 1);
			assert_true(n > 0);
			sh[n] = '\0';
		}
		i++;
	}
	assert_int_equal(i, sizeof(want) / sizeof(want[0]));
	archive_read_free(a);
	profile_out_free(&out);
	/* install.sh removes the folder's key, after copying it, before it ends */
	copy = strstr(sh, "install -m 0600 \"$here/client.key\" \"$dir/client.key\"\n");
	rm = strstr(sh, "\nrm -f \"$here/client.key\"\n");
	reload = strstr(sh, "\nnmcli connection reload\n");
	assert_non_null(copy);
	assert_non_null(rm);
	assert_non_null(reload);
	assert_true(copy < rm && rm < reload);
	assert_non_null(strstr(sh, "wifi-3044b37d-linux.tar.gz still holds the key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_good),
		cmocka_unit_test(test_check_refusals),
		cmocka_unit_test(test_legacy_p12),
		cmocka_unit_test(test_passpoint_names),
		cmocka_unit_test(test_apple_words),
		cmocka_unit_test(test_networkmanager_folder),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
