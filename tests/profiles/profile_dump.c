// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test tool: enrols a device for LOGIN in the state directory HOME (as the
 * portal does) and writes every requested profile format for it into DIR,
 * with the device's own files beside them (device.p12, device.pem,
 * device.key, passphrase, device_id), so that the check scripts in
 * tests/profiles/ can read each file with an independent reader and
 * authenticate with it.
 *
 *   profile_dump --home HOME --login LOGIN --out DIR FORMAT...
 *   FORMAT: apple, eap_config, passpoint, windows, networkmanager
 *
 * Exit status 0 when every format was written; 1 when one was refused (its
 * message on stderr, nothing written for it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "byod.h"
#include "byod_util.h"
#include "profile.h"

static int write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4200];
	struct byod_err err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (byod_file_write(path, data, len, 0600, 0, &err)) {
		fprintf(stderr, "profile_dump: %s\n", err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'h' },
		{ "login", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = NULL, *login = NULL, *dir = NULL;
	char pki[4096], path[4200], key_path[4200], buf[1200];
	const unsigned char *p12 = NULL;
	size_t p12_len = 0;
	X509 *sign_cert = NULL;
	EVP_PKEY *sign_key = NULL;
	struct byod_enrol_params ep;
	struct byod_enrolment e;
	struct profile_in in;
	struct byod_ctx *ctx;
	struct byod_err err;
	int c, i, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			home = optarg;
		else if (c == 'l')
			login = optarg;
		else if (c == 'o')
			dir = optarg;
		else
			return 2;
	}
	if (!home || !login || !dir || optind == argc) {
		fprintf(stderr, "usage: profile_dump --home HOME --login LOGIN --out DIR FORMAT...\n");
		return 2;
	}
	if (byod_open(home, "test:profiles", &ctx, &err) || byod_mkdir_p(dir, 0700, &err)) {
		fprintf(stderr, "profile_dump: %s\n", byod_err_str(&err, buf, sizeof(buf)));
		return 1;
	}
	memset(&ep, 0, sizeof(ep));
	ep.login = login;
	ep.name = "profile test";
	ep.kind = BYOD_KIND_PHONE;
	ep.charter = ctx->conf.enrol_charter_version;
	ep.force = 1; /* one device per run, for the same pupil: past the limit */
	if (byod_device_enrol(ctx, &ep, &e, &err)) {
		fprintf(stderr, "profile_dump: %s\n", byod_err_str(&err, buf, sizeof(buf)));
		byod_close(ctx);
		return 1;
	}
	byod_conf_path(&ctx->conf, ctx->conf.pki_dir, pki, sizeof(pki));
	snprintf(path, sizeof(path), "%s/portal.pem", pki);
	snprintf(key_path, sizeof(key_path), "%s/portal.key", pki);
	pki_keypair_load(path, key_path, &sign_cert, &sign_key, NULL);

	memset(&in, 0, sizeof(in));
	in.school = ctx->conf.school_name;
	in.ssid = ctx->conf.wifi_ssid;
	in.wpa3 = ctx->conf.wifi_security == 1;
	in.server_name = ctx->conf.radius_server_name;
	in.ca = e.cert.ca;
	in.cred = &e.cert;
	in.identity = login;
	in.device_id = e.device.id;
	in.domain = ctx->conf.portal_hostname;
	in.passpoint_realm = ctx->conf.wifi_passpoint_realm;
	in.helpdesk_name = ctx->conf.helpdesk_name;
	in.helpdesk_email = ctx->conf.helpdesk_email;
	in.helpdesk_phone = ctx->conf.helpdesk_phone;
	in.helpdesk_url = ctx->conf.helpdesk_url;

	/* device.p12: the modern form, as byodctl writes it */
	if (pki_issued_p12(&e.cert, PKI_P12_MODERN, &p12, &p12_len, &err)) {
		fprintf(stderr, "profile_dump: %s\n", err.msg);
		rc = 1;
	} else if (write_file(dir, "device.p12", p12, p12_len) ||
		   write_file(dir, "device.pem", e.cert.cert_pem, strlen(e.cert.cert_pem)) ||
		   write_file(dir, "device.key", e.cert.key_pem, strlen(e.cert.key_pem)) ||
		   write_file(dir, "passphrase", e.cert.passphrase, strlen(e.cert.passphrase)) ||
		   write_file(dir, "device_id", e.device.id, strlen(e.device.id)))
		rc = 1;
	for (i = optind; !rc && i < argc; i++) {
		struct profile_out out;
		int r;

		memset(&out, 0, sizeof(out));
		if (!strcmp(argv[i], "apple"))
			r = profile_apple(&in, sign_cert, sign_key, &out, &err);
		else if (!strcmp(argv[i], "eap_config"))
			r = profile_eap_config(&in, &out, &err);
		else if (!strcmp(argv[i], "passpoint"))
			r = profile_passpoint(&in, &out, &err);
		else if (!strcmp(argv[i], "windows"))
			r = profile_windows(&in, &out, &err);
		else if (!strcmp(argv[i], "networkmanager"))
			r = profile_networkmanager(&in, &out, &err);
		else
			r = byod_err_set(&err, EINVAL, "unknown format %s", argv[i]);
		if (r) {
			fprintf(stderr, "profile_dump: %s: %s\n", argv[i], err.msg);
			rc = 1;
		} else {
			printf("%s %s %s\n", argv[i], out.filename, out.type);
			if (write_file(dir, out.filename, out.data, out.len))
				rc = 1;
		}
		profile_out_free(&out);
	}
	X509_free(sign_cert);
	EVP_PKEY_free(sign_key);
	byod_enrolment_clear(&e);
	byod_close(ctx);
	return rc;
}
