// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Linux: a tar.gz that a pupil (or the family's admin) unpacks and installs
 * with one command. Everything is in one folder named as the archive
 * (wifi-<device>-linux/), so that unpacking it in Downloads makes that one
 * folder and nothing beside it:
 *
 *   <ssid>.nmconnection  a NetworkManager keyfile (EAP-TLS)
 *   ca.pem               the school CA
 *   client.pem           the device certificate
 *   client.key           its private key, unencrypted PEM, mode 0600
 *   install.sh           copies the PEMs to /etc/NetworkManager/byod/<uuid>/
 *                        and the keyfile to /etc/NetworkManager/system-
 *                        connections/ (both 0600), removes the folder's
 *                        client.key (the installed copy is root's), then
 *                        nmcli connection reload
 *
 * Keyfile paths cannot use ~ or variables, so the certificates live at a
 * fixed absolute path, one directory per connection UUID.
 *
 * The key is shipped unencrypted with private-key-password-flags=4
 * (NM_SETTING_SECRET_FLAG_NOT_REQUIRED): a password would have to be typed
 * into NetworkManager or stored in the keyfile beside the key, which protects
 * nothing; the file modes (0600, root-owned after install) are what protects
 * it.
 *
 * Keys, from the NetworkManager settings reference (nm-settings-keyfile(5),
 * settings-802-11-wireless-security, settings-802-1x): key-mgmt "wpa-eap" is
 * "WPA2 + WPA3 enterprise"; "wpa-eap-suite-b-192" is the 192-bit Suite-B
 * mode only, which this network does not run. So WPA3-Enterprise is
 * key-mgmt=wpa-eap with pmf=3 (NM_SETTING_WIRELESS_SECURITY_PMF_REQUIRED),
 * WPA2 leaves pmf at its default. Values are written with GKeyFile's string
 * escapes (\s for a leading space, \n \t \r \\), the reader NM uses.
 */
#include "profile.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define NM_DIR "/etc/NetworkManager/byod"

/* "key=value\n" with value escaped as g_key_file_set_string() does. */
static void kf_set(struct profile_buf *b, const char *key, const char *value)
{
	const char *s;

	profile_buf_str(b, key);
	profile_buf_str(b, "=");
	for (s = value; *s; s++) {
		switch (*s) {
		case ' ':
			profile_buf_str(b, s == value ? "\\s" : " ");
			break;
		case '\n':
			profile_buf_str(b, "\\n");
			break;
		case '\t':
			profile_buf_str(b, "\\t");
			break;
		case '\r':
			profile_buf_str(b, "\\r");
			break;
		case '\\':
			profile_buf_str(b, "\\\\");
			break;
		default:
			profile_buf_add(b, s, 1);
		}
	}
	profile_buf_str(b, "\n");
}

/*
 * A name-based (version 5, RFC 4122) UUID from the device id, so that
 * installing a newer archive for the same device replaces the connection
 * instead of adding a second one.
 */
static int device_uuid(const char *device_id, char uuid[37])
{
	/* a namespace of our own, chosen once at random */
	static const unsigned char ns[16] = {0x3d, 0x5e, 0x0b, 0x8a, 0x61, 0xc2, 0x4f, 0x1e,
					     0x9b, 0x27, 0x70, 0x4c, 0xd8, 0x13, 0xa6, 0x95};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
		 EVP_DigestUpdate(ctx, ns, sizeof(ns)) &&
		 EVP_DigestUpdate(ctx, device_id, strlen(device_id)) &&
		 EVP_DigestFinal_ex(ctx, md, &mdlen) && mdlen >= 16;

	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -ENOMEM;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(uuid, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
	return 0;
}

/* The archive member name for the keyfile: the SSID is UTF-8 and stays so
 * whatever the portal's locale. The archive is plain ustar (names here are
 * under its 100 bytes), which stores the name's bytes as they are; pax would
 * convert a non-ASCII name from the locale's charset to UTF-8, which fails
 * under the C locale a daemon runs in, and hdrcharset=BINARY makes GNU tar
 * warn on every member.
 * What a file name cannot hold ('/', a leading '.', control characters)
 * becomes '_'. */
static void keyfile_name(const char *ssid, char *name, size_t len)
{
	size_t i;

	snprintf(name, len, "%s.nmconnection", ssid);
	for (i = 0; name[i] && i < strlen(ssid); i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
		    (i == 0 && name[i] == '.'))
			name[i] = '_';
}

static void keyfile(const struct profile_in *in, const char *uuid, struct profile_buf *b)
{
	char path[128];

	profile_buf_str(b, "[connection]\n");
	kf_set(b, "id", in->ssid);
	kf_set(b, "uuid", uuid);
	kf_set(b, "type", "wifi");
	kf_set(b, "permissions", "");
	profile_buf_str(b, "\n[wifi]\n");
	kf_set(b, "mode", "infrastructure");
	kf_set(b, "ssid", in->ssid);
	profile_buf_str(b, "\n[wifi-security]\n");
	kf_set(b, "key-mgmt", "wpa-eap");
	if (in->wpa3)
		kf_set(b, "pmf", "3");
	profile_buf_str(b, "\n[802-1x]\n");
	kf_set(b, "eap", "tls;");
	kf_set(b, "identity", in->identity);
	kf_set(b, "domain-suffix-match", in->server_name);
	snprintf(path, sizeof(path), NM_DIR "/%s/ca.pem", uuid);
	kf_set(b, "ca-cert", path);
	snprintf(path, sizeof(path), NM_DIR "/%s/client.pem", uuid);
	kf_set(b, "client-cert", path);
	snprintf(path, sizeof(path), NM_DIR "/%s/client.key", uuid);
	kf_set(b, "private-key", path);
	kf_set(b, "private-key-password-flags", "4");
	profile_buf_str(b, "\n[ipv4]\n");
	kf_set(b, "method", "auto");
	profile_buf_str(b, "\n[ipv6]\n");
	kf_set(b, "method", "auto");
}

/* install.sh names nothing taken from the configuration but the UUID and
 * the folder's name (hex and dashes), so no SSID ever reaches a shell: it
 * installs whatever *.nmconnection sits beside it. Once every file is in
 * place, the unencrypted key it copied is removed from the folder: only
 * root's copy stays. */
static void install_sh(const char *uuid, const char *folder, struct profile_buf *b)
{
	profile_buf_str(b, "#!/bin/sh\n"
		   "# Installs this school Wi-Fi connection into NetworkManager. Run as root:\n"
		   "#   sudo sh install.sh\n"
		   "set -eu\n"
		   "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
		   "dir=" NM_DIR "/");
	profile_buf_str(b, uuid);
	profile_buf_str(b, "\n"
		   "if [ \"$(id -u)\" -ne 0 ]; then\n"
		   "\techo \"install.sh: run it as root (sudo sh install.sh)\" >&2\n"
		   "\texit 1\n"
		   "fi\n"
		   "umask 077\n"
		   "install -d -m 0700 \"$dir\"\n"
		   "install -m 0600 \"$here/ca.pem\" \"$dir/ca.pem\"\n"
		   "install -m 0600 \"$here/client.pem\" \"$dir/client.pem\"\n"
		   "install -m 0600 \"$here/client.key\" \"$dir/client.key\"\n"
		   "for f in \"$here\"/*.nmconnection; do\n"
		   "\tinstall -m 0600 \"$f\" /etc/NetworkManager/system-connections/\n"
		   "done\n"
		   "# the key is installed (root's, 0600): the folder's copy goes\n"
		   "rm -f \"$here/client.key\"\n"
		   "nmcli connection reload\n"
		   "echo \"Installed. Choose the network in the Wi-Fi menu.\"\n"
		   "echo \"The downloaded ");
	profile_buf_str(b, folder);
	profile_buf_str(b, ".tar.gz still holds the key: delete it.\"\n");
}

/* The PEM form of a certificate (x) or, into a wiped buffer, of a private
 * key (PKCS#8, unencrypted), appended to b; -ENOMEM. */
static int pem_of(X509 *x, EVP_PKEY *key, struct profile_buf *b)
{
	BIO *bio = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
	const char *data = NULL;
	long n;
	int ok;

	if (!bio)
		return -ENOMEM;
	if (key)
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_X509(bio, x);
	n = ok ? BIO_get_mem_data(bio, (char **)&data) : 0;
	if (n > 0)
		profile_buf_add(b, data, (size_t)n);
	BIO_free(bio); /* a secure-heap BIO is wiped as it goes */
	return n > 0 && !b->oom ? 0 : -ENOMEM;
}

static la_ssize_t ar_write(struct archive *a, void *ctx, const void *data, size_t n)
{
	(void)a;
	profile_buf_add(ctx, data, n);
	return ((struct profile_buf *)ctx)->oom ? -1 : (la_ssize_t)n;
}

/* Adds folder/name (a file), or with name "" and AE_IFDIR in mode, the
 * folder itself. */
static int ar_add(struct archive *a, const char *folder, const char *name, int mode, time_t now,
		  const void *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int dir = (mode & AE_IFMT) == AE_IFDIR, rc = -ENOMEM;
	char path[200];

	if (!e)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", folder, name);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, (mode_t)(mode & 07777));
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, now, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	if (archive_write_header(a, e) == ARCHIVE_OK &&
	    (dir || archive_write_data(a, data, len) == (la_ssize_t)len))
		rc = 0;
	archive_entry_free(e);
	return rc;
}

int profile_networkmanager(const struct profile_in *in, struct profile_out *out,
			   struct byod_err *err)
{
	struct profile_buf kf = {0}, sh = {0}, tgz = {0}, ca = {0}, cert = {0}, key = {0};
	struct archive *a = NULL;
	char uuid[37], folder[32], name[128];
	time_t now = time(NULL);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = profile_check(in, err);
	if (rc)
		return rc;
	if (device_uuid(in->device_id, uuid)) {
		rc = byod_err_set(err, ENOMEM, "out of memory building the Linux profile");
		goto out;
	}
	snprintf(folder, sizeof(folder), "wifi-%.8s-linux", in->device_id);
	keyfile(in, uuid, &kf);
	install_sh(uuid, folder, &sh);
	keyfile_name(in->ssid, name, sizeof(name));
	if (kf.oom || sh.oom || pem_of(in->ca, NULL, &ca) || pem_of(in->cred->cert, NULL, &cert) ||
	    pem_of(NULL, in->cred->key, &key)) {
		rc = byod_err_set(err, ENOMEM, "out of memory building the Linux profile");
		goto out;
	}

	a = archive_write_new();
	if (!a || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_ustar(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open2(a, &tgz, NULL, ar_write, NULL, NULL) != ARCHIVE_OK ||
	    ar_add(a, folder, "", AE_IFDIR | 0700, now, NULL, 0) ||
	    ar_add(a, folder, name, 0600, now, kf.buf.p, kf.buf.len) ||
	    ar_add(a, folder, "ca.pem", 0644, now, ca.buf.p, ca.buf.len) ||
	    ar_add(a, folder, "client.pem", 0644, now, cert.buf.p, cert.buf.len) ||
	    ar_add(a, folder, "client.key", 0600, now, key.buf.p, key.buf.len) ||
	    ar_add(a, folder, "install.sh", 0755, now, sh.buf.p, sh.buf.len) ||
	    archive_write_close(a) != ARCHIVE_OK || tgz.oom) {
		rc = byod_err_set(err, EIO, "building the Linux profile archive failed: %s",
				  a && archive_error_string(a) ? archive_error_string(a)
							       : "out of memory");
		goto out;
	}

	out->data = profile_buf_take(&tgz, &out->len);
	if (!out->data) {
		rc = byod_err_set(err, ENOMEM, "out of memory building the Linux profile");
		goto out;
	}
	out->type = "application/gzip";
	snprintf(out->filename, sizeof(out->filename), "%s.tar.gz", folder);
	rc = 0;
out:
	archive_write_free(a);
	profile_buf_wipe(&kf);
	profile_buf_wipe(&sh);
	profile_buf_wipe(&tgz);
	profile_buf_wipe(&ca);
	profile_buf_wipe(&cert);
	profile_buf_wipe(&key);
	return rc;
}
