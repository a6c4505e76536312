// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backup and restore of one gateway: its registry (SQLite's online backup
 * or pg_dump, registry/snapshot.c), byod.conf, the CA and every key, the
 * charter and whatever else lives in HOME, in one file a restore on a new
 * machine turns back into the same gateway: the devices enrolled before
 * still authenticate, the revocations still hold.
 *
 * The file is a tar (libarchive) of two members:
 *
 *   MANIFEST.json  in clear: format, program, school, schema version,
 *                  creation time, backend, the KDF's salt and costs, the
 *                  GCM nonce, a passphrase check, and per member its
 *                  name, size, mode, owner and SHA-256;
 *   payload.bin    the inner tar of the members, encrypted with
 *                  AES-256-GCM, the manifest as its additional data, the
 *                  16-byte tag after it.
 *
 * The whole payload is encrypted rather than the CA key alone (PKCS#8): the
 * registry holds password hashes, personal data and the RADIUS and DAS
 * secrets, the HOME the portal's key and the pseudonym key; none of it may
 * be readable by whoever finds the file. The key comes from the passphrase
 * through scrypt (N 2^17, r 8, p 1: 128 MiB and about half a second, which
 * makes each guess cost that much, and stays within a small box's memory);
 * 64 bytes come out: the AES key and a key for an HMAC stored as the
 * passphrase check, so that a wrong passphrase is told apart from a damaged
 * file without decrypting anything. The manifest is the GCM's additional
 * data: a changed checksum, name or mode fails the tag like a changed byte
 * of the payload. The members' checksums are checked again as they are
 * extracted.
 *
 * A restore reads and authenticates the whole payload into a staging
 * directory beside the new HOME before anything else, extracts it there,
 * loads the registry (the SQLite file, or pg_restore into the database of
 * the restored configuration's registry.url, in one transaction), runs the
 * migrations, sets modes and owners, and only then renames the staging
 * directory into place: a failure leaves nothing behind.
 */
#define _GNU_SOURCE
#include "byod.h"
#include "byod_backup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "byod_util.h"

#define MANIFEST_NAME "MANIFEST.json"
#define PAYLOAD_NAME "payload.bin"
#define SNAP_SQLITE "registry/snapshot.db"
#define SNAP_PG "registry/snapshot.pgdump"
#define TAG_LEN 16
#define KDF_N (1u << 17)
#define KDF_R 8
#define KDF_P 1
#define CHECK_LABEL "byod-backup passphrase check"
#define CHUNK 65536

/* ---- manifest ---- */

void byod_backup_manifest_free(struct byod_backup_manifest *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->m[i].name);
	free(m->m);
	m->m = NULL;
	m->n = 0;
}

static int hex_decode(const char *hex, unsigned char *out, size_t len)
{
	size_t i;

	if (!hex || strlen(hex) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int b;

		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (unsigned char)b;
	}
	return 0;
}

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
	out[2 * len] = '\0';
}

/* A member's name: "home" or "home/" + a relative path without ".", ".."
 * or empty components, or one of the two snapshot names. */
static int name_ok(const char *name)
{
	const char *p;

	if (!strcmp(name, SNAP_SQLITE) || !strcmp(name, SNAP_PG) || !strcmp(name, "home"))
		return 1;
	if (strncmp(name, "home/", 5) || strlen(name) > 1024)
		return 0;
	for (p = name + 5;;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

static int copy_str(json_t *o, const char *key, char *out, size_t len, int required)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return required ? -1 : (out[0] = '\0', 0);
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int byod_backup_manifest_parse(const char *buf, size_t len, struct byod_backup_manifest *m,
			       struct byod_err *err)
{
	json_t *root, *kdf, *members, *v;
	json_error_t jerr;
	char hex[80], kind[16];
	uint64_t u;
	size_t i, j;
	int rc = -EINVAL;

	memset(m, 0, sizeof(*m));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return byod_err_set(err, EINVAL, "the backup's manifest is not JSON (line %d: %s)",
				    jerr.line, jerr.text);
	if (!json_is_object(root) || get_uint(root, "format", 1000, &u))
		goto bad;
	m->format = (int)u;
	if (m->format != BYOD_BACKUP_FORMAT) {
		rc = byod_err_set(err, EPROTO, "the backup is of format %d; this program reads "
					       "format %d", m->format, BYOD_BACKUP_FORMAT);
		goto out;
	}
	if (copy_str(root, "program", m->program, sizeof(m->program), 1) ||
	    copy_str(root, "school", m->school, sizeof(m->school), 1) ||
	    copy_str(root, "school-name", m->school_name, sizeof(m->school_name), 0) ||
	    copy_str(root, "created", m->created, sizeof(m->created), 1) ||
	    copy_str(root, "backend", m->backend, sizeof(m->backend), 1) ||
	    get_uint(root, "schema", 100000, &u))
		goto bad;
	m->schema = (int)u;
	if (strcmp(m->backend, "sqlite") && strcmp(m->backend, "postgres"))
		goto bad;
	if (copy_str(root, "cipher", kind, sizeof(kind), 1) || strcmp(kind, "aes-256-gcm"))
		goto bad;
	kdf = json_object_get(root, "kdf");
	if (!json_is_object(kdf) || copy_str(kdf, "name", kind, sizeof(kind), 1) ||
	    strcmp(kind, "scrypt"))
		goto bad;
	/* bounds, so that a crafted manifest cannot ask for gigabytes or hours */
	if (get_uint(kdf, "n", 1u << 20, &m->kdf_n) || m->kdf_n < (1u << 14) ||
	    (m->kdf_n & (m->kdf_n - 1)) || get_uint(kdf, "r", 8, &u) || u < 1)
		goto bad;
	m->kdf_r = (uint32_t)u;
	if (get_uint(kdf, "p", 2, &u) || u < 1)
		goto bad;
	m->kdf_p = (uint32_t)u;
	/* the memory scrypt takes (128 * N * r bytes) paid before the
	 * passphrase is known to be right: never more than what this program
	 * writes (128 MiB) */
	if ((uint64_t)m->kdf_n * m->kdf_r > (uint64_t)KDF_N * 8)
		goto bad;
	if (copy_str(kdf, "salt", hex, sizeof(hex), 1) || hex_decode(hex, m->salt, sizeof(m->salt)) ||
	    copy_str(root, "iv", hex, sizeof(hex), 1) || hex_decode(hex, m->iv, sizeof(m->iv)) ||
	    copy_str(root, "key-check", hex, sizeof(hex), 1) ||
	    hex_decode(hex, m->check, sizeof(m->check)) ||
	    get_uint(root, "payload-size", UINT64_C(1) << 50, &m->payload_size))
		goto bad;
	members = json_object_get(root, "members");
	if (!json_is_array(members) || json_array_size(members) > 1000000)
		goto bad;
	m->m = calloc(json_array_size(members) + 1, sizeof(*m->m));
	if (!m->m) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(members, i, v) {
		struct byod_backup_member *b = &m->m[m->n];
		char name[1100], type[8];

		if (!json_is_object(v) || copy_str(v, "name", name, sizeof(name), 1) ||
		    copy_str(v, "type", type, sizeof(type), 1) || get_uint(v, "mode", 07777, &u))
			goto bad;
		if (!name_ok(name)) {
			rc = byod_err_set(err, EINVAL, "the backup's manifest names a member "
						       "outside HOME");
			goto out;
		}
		b->mode = (unsigned)u;
		b->dir = !strcmp(type, "dir");
		if (!b->dir && strcmp(type, "file"))
			goto bad;
		if (copy_str(v, "user", b->user, sizeof(b->user), 0) ||
		    copy_str(v, "group", b->group, sizeof(b->group), 0))
			goto bad;
		if (!b->dir && (get_uint(v, "size", UINT64_C(1) << 50, &b->size) ||
				copy_str(v, "sha256", b->sha256, sizeof(b->sha256), 1) ||
				strlen(b->sha256) != 64 ||
				strspn(b->sha256, "0123456789abcdef") != 64))
			goto bad;
		b->name = strdup(name);
		if (!b->name) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		m->n++;
	}
	/* each name once: sorted, then neighbours compared (a manifest of many
	 * members is not quadratic work before anything is authenticated) */
	if (m->n > 1) {
		const char **names = calloc(m->n, sizeof(*names));

		if (!names) {
			rc = byod_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		for (j = 0; j < m->n; j++)
			names[j] = m->m[j].name;
		qsort(names, m->n, sizeof(*names), cmp_names);
		for (j = 1; j < m->n && strcmp(names[j - 1], names[j]); j++)
			;
		free(names);
		if (j < m->n)
			goto bad;
	}
	rc = 0;
	goto out;
bad:
	rc = byod_err_set(err, EINVAL, "the backup's manifest is malformed");
out:
	json_decref(root);
	return rc;
}

/* ---- the outer archive ---- */

/* Reads the manifest member and the payload's header from a; *raw (caller
 * frees) gets the manifest's bytes, the GCM's additional data. */
static int read_outer(struct archive *a, struct byod_backup_manifest *m, char **raw,
		      size_t *rawlen, struct byod_err *err)
{
	struct archive_entry *e;
	la_int64_t size;
	char *buf = NULL;
	la_ssize_t r;
	size_t got = 0;
	int rc;

	*raw = NULL;
	memset(m, 0, sizeof(*m));
	rc = archive_read_next_header(a, &e);
	if (rc != ARCHIVE_OK)
		return byod_err_set(err, EINVAL, "it is not a BYOD backup (%s)",
				    archive_error_string(a) ? archive_error_string(a)
							    : "no archive member");
	if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", MANIFEST_NAME) ||
	    archive_entry_filetype(e) != AE_IFREG)
		return byod_err_set(err, EINVAL, "it is not a BYOD backup (no manifest first)");
	size = archive_entry_size(e);
	if (size <= 0 || (uint64_t)size > BYOD_BACKUP_MANIFEST_MAX)
		return byod_err_set(err, EINVAL, "its manifest's size is not believable");
	buf = malloc((size_t)size);
	if (!buf)
		return byod_err_set(err, ENOMEM, "out of memory");
	while (got < (size_t)size && (r = archive_read_data(a, buf + got, (size_t)size - got)) > 0)
		got += (size_t)r;
	if (got != (size_t)size) {
		rc = byod_err_set(err, EIO, "it is truncated (in its manifest)");
		goto out;
	}
	rc = byod_backup_manifest_parse(buf, got, m, err);
	if (rc)
		goto out;
	rc = archive_read_next_header(a, &e);
	if (rc != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "it is truncated (no encrypted payload after the "
					    "manifest)");
		goto out;
	}
	if (strcmp(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", PAYLOAD_NAME) ||
	    archive_entry_filetype(e) != AE_IFREG) {
		rc = byod_err_set(err, EINVAL, "it is not a BYOD backup (no payload after the "
					       "manifest)");
		goto out;
	}
	if (archive_entry_size(e) < TAG_LEN ||
	    (uint64_t)archive_entry_size(e) != m->payload_size + TAG_LEN) {
		rc = byod_err_set(err, EINVAL, "its payload's size does not match its manifest");
		goto out;
	}
	*raw = buf;
	*rawlen = got;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (rc)
		byod_backup_manifest_free(m);
	return rc;
}

int byod_backup_inspect_mem(const void *buf, size_t len, struct byod_backup_manifest *m,
			    struct byod_err *err)
{
	struct archive *a = archive_read_new();
	char *raw = NULL;
	size_t rawlen;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!a)
		return byod_err_set(err, ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		rc = byod_err_set(err, EINVAL, "it is not a BYOD backup");
	else
		rc = read_outer(a, m, &raw, &rawlen, err);
	free(raw);
	archive_read_free(a);
	return rc;
}

/* ---- keys ---- */

int byod_backup_passphrase_check(const char *pass, struct byod_err *err)
{
	size_t chars = 0;
	const char *p;

	for (p = pass; p && *p; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			chars++;
	if (chars < BYOD_BACKUP_PASSPHRASE_MIN)
		return byod_err_set(err, EINVAL, "the passphrase is too short: it needs %d "
						 "characters at least", BYOD_BACKUP_PASSPHRASE_MIN);
	return 0;
}

/* key[0..32): AES-256; key[32..64): the passphrase check's HMAC key. */
static int derive(const char *pass, const struct byod_backup_manifest *m, unsigned char key[64],
		  unsigned char check[32], struct byod_err *err)
{
	unsigned int clen = 32;

	if (!EVP_PBE_scrypt(pass, strlen(pass), m->salt, sizeof(m->salt), m->kdf_n, m->kdf_r,
			    m->kdf_p, 1100u << 20, key, 64))
		return byod_err_set(err, ENOMEM, "cannot derive the key from the passphrase "
						 "(scrypt)");
	if (!HMAC(EVP_sha256(), key + 32, 32, (const unsigned char *)CHECK_LABEL,
		  strlen(CHECK_LABEL), check, &clen))
		return byod_err_set(err, EIO, "cannot compute the passphrase check");
	return 0;
}

/* ---- writing ---- */

struct walk {
	struct byod_backup_member *m;
	size_t n, cap;
	const char *home;
	char skip[4][PATH_MAX + 16]; /* the registry file and its companions */
	char skip_prefix[2][PATH_MAX + 260];
	char skip_secret[PATH_MAX + 32];
	int rc;
};

static struct walk *walk_cur; /* nftw has no user pointer */

static void owner_names(const struct stat *st, char *user, char *group)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);

	snprintf(user, 33, "%s", pw ? pw->pw_name : "");
	snprintf(group, 33, "%s", gr ? gr->gr_name : "");
}

static int add_member(struct walk *w, const char *name, const struct stat *st, int dir)
{
	struct byod_backup_member *b;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 32;
		void *p = realloc(w->m, cap * sizeof(*w->m));

		if (!p)
			return -ENOMEM;
		w->m = p;
		w->cap = cap;
	}
	b = &w->m[w->n];
	memset(b, 0, sizeof(*b));
	b->name = strdup(name);
	if (!b->name)
		return -ENOMEM;
	b->dir = dir;
	b->mode = st->st_mode & 07777;
	b->size = dir ? 0 : (uint64_t)st->st_size;
	owner_names(st, b->user, b->group);
	w->n++;
	return 0;
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	struct walk *w = walk_cur;
	char name[4200];
	size_t hl = strlen(w->home);
	int i;

	(void)f;
	for (i = 0; i < 4; i++)
		if (w->skip[i][0] && !strcmp(path, w->skip[i]))
			return 0;
	if (w->skip_secret[0] && !strcmp(path, w->skip_secret))
		return 0;
	for (i = 0; i < 2; i++)
		if (w->skip_prefix[i][0] &&
		    !strncmp(path, w->skip_prefix[i], strlen(w->skip_prefix[i])))
			return 0;
	if (strncmp(path, w->home, hl) || (path[hl] && path[hl] != '/'))
		return 0;
	if (snprintf(name, sizeof(name), "home%s", path + hl) >= (int)sizeof(name))
		return 0;
	if (!name_ok(name))
		return 0;
	if (type == FTW_D && S_ISDIR(st->st_mode))
		w->rc = add_member(w, name, st, 1);
	else if (type == FTW_F && S_ISREG(st->st_mode))
		w->rc = add_member(w, name, st, 0);
	/* sockets, FIFOs and symbolic links are not state worth keeping */
	return w->rc ? 1 : 0;
}

static void walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->m[i].name);
	free(w->m);
}

/* Appends the file at path as member b of the inner archive a, computing
 * its checksum on the way. */
static int add_file(struct archive *a, const char *path, struct byod_backup_member *b,
		    struct byod_err *err)
{
	struct archive_entry *e = archive_entry_new();
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[CHUNK], dig[32];
	uint64_t total = 0;
	struct stat st;
	ssize_t r;
	int fd = -1, rc = 0;

	if (!e || !md) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st)) {
		rc = byod_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	/* the size read now: a file that grew since the walk is taken as it is */
	b->size = (uint64_t)st.st_size;
	archive_entry_set_pathname(e, b->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)b->size);
	archive_entry_set_mtime(e, st.st_mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot write the archive: %s", archive_error_string(a));
		goto out;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (total < b->size && (r = read(fd, buf, sizeof(buf))) > 0) {
		if ((uint64_t)r > b->size - total)
			r = (ssize_t)(b->size - total);
		EVP_DigestUpdate(md, buf, (size_t)r);
		if (archive_write_data(a, buf, (size_t)r) != r) {
			rc = byod_err_set(err, EIO, "cannot write the archive: %s",
					  archive_error_string(a));
			goto out;
		}
		total += (uint64_t)r;
	}
	if (total != b->size) {
		rc = byod_err_set(err, EIO, "%s changed while it was read", path);
		goto out;
	}
	EVP_DigestFinal_ex(md, dig, NULL);
	hex_encode(dig, 32, b->sha256);
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	archive_entry_free(e);
	return rc;
}

static json_t *manifest_json(const struct byod_backup_manifest *m)
{
	json_t *members = json_array(), *root;
	char salt[33], iv[25], check[65];
	size_t i;

	for (i = 0; members && i < m->n; i++) {
		const struct byod_backup_member *b = &m->m[i];
		json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s}", "name", b->name, "type",
				      b->dir ? "dir" : "file", "mode", (int)b->mode, "user",
				      b->user, "group", b->group);

		if (o && !b->dir) {
			json_object_set_new(o, "size", json_integer((json_int_t)b->size));
			json_object_set_new(o, "sha256", json_string(b->sha256));
		}
		json_array_append_new(members, o);
	}
	hex_encode(m->salt, sizeof(m->salt), salt);
	hex_encode(m->iv, sizeof(m->iv), iv);
	hex_encode(m->check, sizeof(m->check), check);
	root = json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:{s:s, s:I, s:i, s:i, s:s}, "
			 "s:s, s:s, s:I, s:o}",
			 "format", m->format, "program", m->program, "school", m->school,
			 "school-name", m->school_name, "schema", m->schema, "created", m->created,
			 "backend", m->backend, "cipher", "aes-256-gcm", "kdf", "name", "scrypt",
			 "n", (json_int_t)m->kdf_n, "r", (int)m->kdf_r, "p", (int)m->kdf_p, "salt",
			 salt, "iv", iv, "key-check", check, "payload-size",
			 (json_int_t)m->payload_size, "members", members);
	return root;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void rm_tree(const char *dir)
{
	if (dir && dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The directory of path into out ("." when none). */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -errno;
	rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

/* Encrypts the file plain into the outer archive a as the payload member. */
static int write_payload(struct archive *a, const char *plain, const unsigned char *key,
			 const struct byod_backup_manifest *m, const char *aad, size_t aadlen,
			 struct byod_err *err)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	struct archive_entry *e = archive_entry_new();
	unsigned char in[CHUNK], out[CHUNK + 32], tag[TAG_LEN];
	uint64_t total = 0;
	int fd = -1, rc = 0, outl;
	ssize_t r;

	if (!c || !e) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	fd = open(plain, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = byod_err_set(err, errno, "cannot read %s: %s", plain, strerror(errno));
		goto out;
	}
	archive_entry_set_pathname(e, PAYLOAD_NAME);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)(m->payload_size + TAG_LEN));
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto werr;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, sizeof(m->iv), NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, m->iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)aadlen) != 1) {
		rc = byod_err_set(err, EIO, "cannot start AES-256-GCM");
		goto out;
	}
	while ((r = read(fd, in, sizeof(in))) > 0) {
		if (EVP_EncryptUpdate(c, out, &outl, in, (int)r) != 1) {
			rc = byod_err_set(err, EIO, "cannot encrypt");
			goto out;
		}
		if (outl && archive_write_data(a, out, (size_t)outl) != outl)
			goto werr;
		total += (uint64_t)r;
	}
	if (r < 0 || total != m->payload_size) {
		rc = byod_err_set(err, EIO, "cannot read %s back", plain);
		goto out;
	}
	if (EVP_EncryptFinal_ex(c, out, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1) {
		rc = byod_err_set(err, EIO, "cannot finish the encryption");
		goto out;
	}
	if ((outl && archive_write_data(a, out, (size_t)outl) != outl) ||
	    archive_write_data(a, tag, TAG_LEN) != TAG_LEN)
		goto werr;
	goto out;
werr:
	rc = byod_err_set(err, EIO, "cannot write the backup: %s", archive_error_string(a));
out:
	OPENSSL_cleanse(in, sizeof(in));
	if (fd >= 0)
		close(fd);
	archive_entry_free(e);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int byod_backup_create(struct byod_ctx *ctx, const char *out, const char *raddb,
		       const char *passphrase, struct byod_backup_manifest *mout,
		       struct byod_err *err)
{
	const struct byod_conf *conf = &ctx->conf;
	struct byod_backup_manifest m;
	struct walk w;
	struct archive *a = NULL;
	struct stat st;
	char home[PATH_MAX], outdir[4096], tmpdir[4200] = "", snap[4300], inner[4300];
	char tmpout[4200], regpath[4200], src[4300], real[PATH_MAX], secret[4200];
	unsigned char key[64];
	char *mjson = NULL;
	json_t *mj = NULL;
	int rc, fd = -1, is_pg, schema = 0;
	size_t i;

	memset(&m, 0, sizeof(m));
	memset(&w, 0, sizeof(w));
	rc = byod_backup_passphrase_check(passphrase, err);
	if (rc)
		return rc;
	if (!realpath(conf->home, home))
		return byod_err_set(err, errno, "cannot resolve %s: %s", conf->home,
				    strerror(errno));
	rc = reg_schema_version(ctx->reg, &schema, err);
	if (rc)
		return rc;
	is_pg = (conf->registry_url && conf->registry_url[0]) ||
		conf->registry_backend == BYOD_REGISTRY_POSTGRES;

	dir_of(out, outdir, sizeof(outdir));
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/.byod-backup.XXXXXX", outdir) >=
		    (int)sizeof(tmpdir) ||
	    snprintf(tmpout, sizeof(tmpout), "%s.tmp", out) >= (int)sizeof(tmpout))
		return byod_err_set(err, ENAMETOOLONG, "the output's name is too long");
	if (!mkdtemp(tmpdir)) {
		rc = byod_err_set(err, errno, "cannot create a directory beside %s: %s", out,
				  strerror(errno));
		tmpdir[0] = '\0';
		goto out;
	}

	/* the registry's snapshot first: it is what must be consistent */
	snprintf(snap, sizeof(snap), "%s/snapshot", tmpdir);
	if (is_pg) {
		const char *url = conf->registry_url && conf->registry_url[0]
					  ? conf->registry_url
					  : conf->registry_conninfo;

		rc = reg_snapshot_pg_dump(url, snap, err);
	} else {
		if (byod_conf_path(conf, conf->registry_path, regpath, sizeof(regpath))) {
			rc = byod_err_set(err, ENAMETOOLONG, "registry path too long");
			goto out;
		}
		rc = reg_snapshot_sqlite(regpath, snap, err);
	}
	if (rc)
		goto out;
	if (stat(snap, &st)) {
		rc = byod_err_set(err, errno, "cannot read the registry's snapshot");
		goto out;
	}
	w.home = home;
	rc = add_member(&w, is_pg ? SNAP_PG : SNAP_SQLITE, &st, 0);
	if (rc)
		goto nomem;
	if (!is_pg && !stat(regpath, &st)) {
		/* the registry file's owner and mode, not the snapshot's */
		owner_names(&st, w.m[0].user, w.m[0].group);
		w.m[0].mode = st.st_mode & 07777;
	} else {
		w.m[0].mode = 0600;
	}

	/* everything else under HOME, but the live registry and this backup */
	if (!is_pg && realpath(regpath, real)) {
		snprintf(w.skip[0], sizeof(w.skip[0]), "%s", real);
		snprintf(w.skip[1], sizeof(w.skip[1]), "%s-wal", real);
		snprintf(w.skip[2], sizeof(w.skip[2]), "%s-shm", real);
		snprintf(w.skip[3], sizeof(w.skip[3]), "%s-journal", real);
	}
	if (realpath(tmpdir, real))
		snprintf(w.skip_prefix[0], sizeof(w.skip_prefix[0]), "%s", real);
	if (realpath(outdir, real))
		snprintf(w.skip_prefix[1], sizeof(w.skip_prefix[1]), "%s/%.255s", real,
			 strrchr(out, '/') ? strrchr(out, '/') + 1 : out);
	if (raddb)
		/* raddb's secret takes the place of one an earlier restore left */
		snprintf(w.skip_secret, sizeof(w.skip_secret), "%s/" BYOD_BACKUP_RADIUS_SECRET,
			 home);
	walk_cur = &w;
	if (nftw(home, walk_one, 16, FTW_PHYS) != 0 || w.rc) {
		rc = w.rc ? w.rc : byod_err_set(err, errno, "cannot read %s: %s", home,
						  strerror(errno));
		if (rc == -ENOMEM)
			goto nomem;
		goto out;
	}

	if (raddb) {
		if (snprintf(secret, sizeof(secret), "%s/secret", raddb) >= (int)sizeof(secret) ||
		    stat(secret, &st) || !S_ISREG(st.st_mode)) {
			rc = byod_err_set(err, ENOENT, "%s has no RADIUS secret (is it a directory "
						       "byodctl radius config wrote?)", raddb);
			goto out;
		}
		st.st_mode = S_IFREG | 0600;
		if (add_member(&w, "home/" BYOD_BACKUP_RADIUS_SECRET, &st, 0))
			goto nomem;
	}

	/* the inner archive, in clear, in our own 0700 directory */
	snprintf(inner, sizeof(inner), "%s/payload.tar", tmpdir);
	fd = open(inner, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	a = archive_write_new();
	if (fd < 0 || !a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot create %s", inner);
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		if (w.m[i].dir)
			continue;
		if (!strncmp(w.m[i].name, "registry/", 9))
			snprintf(src, sizeof(src), "%s", snap);
		else if (raddb && !strcmp(w.m[i].name, "home/" BYOD_BACKUP_RADIUS_SECRET))
			snprintf(src, sizeof(src), "%s", secret);
		else
			snprintf(src, sizeof(src), "%s%s", home, w.m[i].name + 4);
		rc = add_file(a, src, &w.m[i], err);
		if (rc)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot write %s: %s", inner, archive_error_string(a));
		goto out;
	}
	archive_write_free(a);
	a = NULL;
	if (fstat(fd, &st)) {
		rc = byod_err_set(err, errno, "cannot read %s", inner);
		goto out;
	}
	close(fd);
	fd = -1;

	/* the manifest, the key, the outer archive */
	m.format = BYOD_BACKUP_FORMAT;
	snprintf(m.program, sizeof(m.program), "byod-gateway %s", BYOD_PROGRAM_VERSION);
	snprintf(m.school, sizeof(m.school), "%s", conf->school_uai ? conf->school_uai : "");
	snprintf(m.school_name, sizeof(m.school_name), "%s",
		 conf->school_name ? conf->school_name : "");
	m.schema = schema;
	byod_time_iso(time(NULL), m.created, sizeof(m.created));
	snprintf(m.backend, sizeof(m.backend), "%s", is_pg ? "postgres" : "sqlite");
	m.kdf_n = KDF_N;
	m.kdf_r = KDF_R;
	m.kdf_p = KDF_P;
	m.payload_size = (uint64_t)st.st_size;
	if (RAND_bytes(m.salt, sizeof(m.salt)) != 1 || RAND_bytes(m.iv, sizeof(m.iv)) != 1) {
		rc = byod_err_set(err, EIO, "no randomness for the key");
		goto out;
	}
	rc = derive(passphrase, &m, key, m.check, err);
	if (rc)
		goto out;
	m.m = w.m;
	m.n = w.n;
	mj = manifest_json(&m);
	mjson = mj ? json_dumps(mj, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	if (!mjson)
		goto nomem;

	unlink(tmpout); /* a stale one from a crash */
	fd = open(tmpout, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = byod_err_set(err, errno, "cannot create %s: %s", tmpout, strerror(errno));
		goto out;
	}
	a = archive_write_new();
	if (!a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot create %s", tmpout);
		goto out;
	}
	{
		struct archive_entry *e = archive_entry_new();
		size_t mlen = strlen(mjson);

		archive_entry_set_pathname(e, MANIFEST_NAME);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0600);
		archive_entry_set_size(e, (la_int64_t)mlen);
		archive_entry_set_mtime(e, time(NULL), 0);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, mjson, mlen) != (la_ssize_t)mlen) {
			archive_entry_free(e);
			rc = byod_err_set(err, EIO, "cannot write %s: %s", tmpout,
					  archive_error_string(a));
			goto out;
		}
		archive_entry_free(e);
		rc = write_payload(a, inner, key, &m, mjson, mlen, err);
		if (rc)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot write %s: %s", tmpout, archive_error_string(a));
		goto out;
	}
	if (fchmod(fd, 0600) || fsync(fd) || close(fd)) {
		fd = -1;
		rc = byod_err_set(err, errno, "cannot write %s: %s", tmpout, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmpout, out)) {
		rc = byod_err_set(err, errno, "cannot rename %s to %s: %s", tmpout, out,
				  strerror(errno));
		goto out;
	}
	fsync_dir(outdir);
	if (mout) {
		*mout = m;
		w.m = NULL;
		w.n = 0;
	}
	m.m = NULL;
	m.n = 0;
	rc = 0;
	goto out;
nomem:
	rc = byod_err_set(err, ENOMEM, "out of memory");
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (a)
		archive_write_free(a);
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmpout);
	free(mjson);
	json_decref(mj);
	if (m.m != w.m)
		byod_backup_manifest_free(&m);
	walk_free(&w);
	rm_tree(tmpdir);
	return rc;
}

/* ---- restoring ---- */

/* Decrypts the payload member a is at into the new file plain; -EBADMSG
 * when the tag does not match (altered), -EIO when the file ends early. */
static int read_payload(struct archive *a, const char *plain, const unsigned char *key,
			const struct byod_backup_manifest *m, const char *aad, size_t aadlen,
			struct byod_err *err)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char in[CHUNK], out[CHUNK + 32], tag[TAG_LEN];
	uint64_t left = m->payload_size, tagged = 0;
	int fd = -1, rc = 0, outl;
	la_ssize_t r;

	if (!c)
		return byod_err_set(err, ENOMEM, "out of memory");
	fd = open(plain, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = byod_err_set(err, errno, "cannot create %s: %s", plain, strerror(errno));
		goto out;
	}
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, sizeof(m->iv), NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, m->iv) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, (const unsigned char *)aad, (int)aadlen) != 1) {
		rc = byod_err_set(err, EIO, "cannot start AES-256-GCM");
		goto out;
	}
	while (left + (TAG_LEN - tagged) > 0) {
		size_t want = left > sizeof(in) ? sizeof(in) : (size_t)left;

		if (!want) {
			r = archive_read_data(a, tag + tagged, TAG_LEN - tagged);
			if (r <= 0)
				break;
			tagged += (uint64_t)r;
			continue;
		}
		r = archive_read_data(a, in, want);
		if (r <= 0)
			break;
		if (EVP_DecryptUpdate(c, out, &outl, in, (int)r) != 1 ||
		    (outl && write(fd, out, (size_t)outl) != outl)) {
			rc = byod_err_set(err, EIO, "cannot write %s", plain);
			goto out;
		}
		left -= (uint64_t)r;
	}
	if (left || tagged != TAG_LEN) {
		rc = byod_err_set(err, EIO, "it is truncated or damaged (%s)",
				  archive_error_string(a) ? archive_error_string(a)
							  : "its payload ends early");
		goto out;
	}
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, out, &outl) != 1) {
		rc = byod_err_set(err, EBADMSG, "it is damaged: its contents do not match their "
						"authentication tag (altered or cut)");
		goto out;
	}
	if (fsync(fd))
		rc = byod_err_set(err, errno, "cannot write %s: %s", plain, strerror(errno));
out:
	OPENSSL_cleanse(out, sizeof(out));
	if (fd >= 0)
		close(fd);
	EVP_CIPHER_CTX_free(c);
	return rc;
}

static struct byod_backup_member *member_find(struct byod_backup_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(m->m[i].name, name))
			return &m->m[i];
	return NULL;
}

/* The staging path of member name into out. */
static int staged_path(const char *stage, const char *name, char *out, size_t len)
{
	int n;

	if (!strcmp(name, SNAP_SQLITE) || !strcmp(name, SNAP_PG))
		n = snprintf(out, len, "%s/.restore-snapshot", stage);
	else
		n = snprintf(out, len, "%s%s", stage, name + 4);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Extracts the inner archive plain into stage, checking every member
 * against the manifest. */
static int extract(const char *plain, const char *stage, struct byod_backup_manifest *m,
		   struct byod_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	unsigned char buf[CHUNK], dig[32];
	char path[4300], hex[65];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *seen = calloc(m->n + 1, 1);
	size_t i;
	int rc = 0, fd = -1, r;

	if (!a || !md || !seen) {
		rc = byod_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/* directories first, with the modes they will keep */
	for (i = 0; i < m->n; i++) {
		if (!m->m[i].dir)
			continue;
		seen[i] = 1;
		if (strcmp(m->m[i].name, "home") && (staged_path(stage, m->m[i].name, path,
								 sizeof(path)) ||
						     mkdir(path, 0700))) {
			rc = byod_err_set(err, errno, "cannot create %s: %s", path,
					  strerror(errno));
			goto out;
		}
	}
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, plain, CHUNK) != ARCHIVE_OK) {
		rc = byod_err_set(err, EIO, "cannot read the decrypted payload");
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		struct byod_backup_member *b = name ? member_find(m, name) : NULL;
		uint64_t total = 0;
		la_ssize_t n;

		if (!b || b->dir || seen[b - m->m] || archive_entry_filetype(e) != AE_IFREG ||
		    (uint64_t)archive_entry_size(e) != b->size) {
			rc = byod_err_set(err, EINVAL, "it holds a member its manifest does not "
						       "list: %s", name ? name : "(no name)");
			goto out;
		}
		seen[b - m->m] = 1;
		if (staged_path(stage, b->name, path, sizeof(path))) {
			rc = byod_err_set(err, ENAMETOOLONG, "a member's name is too long");
			goto out;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = byod_err_set(err, errno, "cannot create %s: %s", path,
					  strerror(errno));
			goto out;
		}
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
			EVP_DigestUpdate(md, buf, (size_t)n);
			if (write(fd, buf, (size_t)n) != n) {
				rc = byod_err_set(err, errno, "cannot write %s: %s", path,
						  strerror(errno));
				goto out;
			}
			total += (uint64_t)n;
		}
		EVP_DigestFinal_ex(md, dig, NULL);
		hex_encode(dig, 32, hex);
		if (n < 0 || total != b->size || strcmp(hex, b->sha256)) {
			rc = byod_err_set(err, EBADMSG, "it is damaged: %s does not match its "
							"checksum", b->name);
			goto out;
		}
		if (fsync(fd) || close(fd)) {
			fd = -1;
			rc = byod_err_set(err, errno, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		fd = -1;
	}
	if (r != ARCHIVE_EOF) {
		rc = byod_err_set(err, EBADMSG, "it is damaged: %s", archive_error_string(a));
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if (!seen[i]) {
			rc = byod_err_set(err, EBADMSG, "it is damaged: %s is missing",
					  m->m[i].name);
			goto out;
		}
out:
	if (fd >= 0)
		close(fd);
	free(seen);
	EVP_MD_CTX_free(md);
	archive_read_free(a);
	return rc;
}

/* Modes and, when we may, owners as they were. A private key is 0600
 * whatever the archive says. */
static void set_owner_mode(const char *path, const struct byod_backup_member *b)
{
	unsigned mode = b->mode & 0777;
	size_t len = strlen(b->name);

	if (!b->dir && len > 4 && !strcmp(b->name + len - 4, ".key"))
		mode = 0600;
	if (geteuid() == 0) {
		struct passwd *pw = b->user[0] ? getpwnam(b->user) : NULL;
		struct group *gr = b->group[0] ? getgrnam(b->group) : NULL;

		/* best effort: the mode below holds whatever happens */
		if ((pw || gr) &&
		    lchown(path, pw ? pw->pw_uid : (uid_t)-1, gr ? gr->gr_gid : (gid_t)-1))
			mode &= 0700;
	}
	chmod(path, mode);
}

/* 1 when dir holds anything, 0 when empty or absent, negative on error. */
static int dir_used(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return 1;
	/* an empty one is removed: the rename makes it again */
	return rmdir(dir) == 0 ? 0 : 1;
}

int byod_backup_restore(const char *file, const char *home, const struct byod_restore_opts *o,
			struct byod_backup_manifest *mout, struct byod_restore_report *rep,
			struct byod_err *err)
{
	struct byod_backup_manifest m;
	struct archive *a = NULL;
	struct byod_conf conf;
	struct reg *reg = NULL;
	unsigned char key[64], check[32];
	char parent[4096], stage[4200] = "", plain[4300], snap[4300], dst[4300];
	char *raw = NULL;
	size_t rawlen = 0, i;
	int rc, conf_loaded = 0, used, is_pg;

	memset(&m, 0, sizeof(m));
	memset(rep, 0, sizeof(*rep));
	memset(&conf, 0, sizeof(conf));
	rc = byod_backup_passphrase_check(o->passphrase, err);
	if (rc)
		return rc;
	a = archive_read_new();
	if (!a)
		return byod_err_set(err, ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, file, CHUNK) != ARCHIVE_OK) {
		rc = byod_err_set(err, EINVAL, "%s is not a BYOD backup, or cannot be read (%s)",
				  file, archive_error_string(a));
		goto out;
	}
	rc = read_outer(a, &m, &raw, &rawlen, err);
	if (rc) {
		byod_err_prefix(err, "%s", file);
		goto out;
	}
	rep->schema_before = m.schema;
	rep->has_radius_secret = member_find(&m, "home/" BYOD_BACKUP_RADIUS_SECRET) != NULL;
	is_pg = !strcmp(m.backend, "postgres");
	if (!member_find(&m, is_pg ? SNAP_PG : SNAP_SQLITE) || !member_find(&m, "home/byod.conf")) {
		rc = byod_err_set(err, EINVAL, "%s: its manifest lacks the registry or byod.conf",
				  file);
		goto out;
	}
	rc = derive(o->passphrase, &m, key, check, err);
	if (rc)
		goto out;
	if (CRYPTO_memcmp(check, m.check, sizeof(check))) {
		rc = byod_err_set(err, EACCES, "wrong passphrase: %s was made with another one",
				  file);
		goto out;
	}

	/* where it goes: a new HOME, or one moved aside with --force */
	used = dir_used(home);
	if (used < 0) {
		rc = byod_err_set(err, -used, "cannot look at %s: %s", home, strerror(-used));
		goto out;
	}
	if (used && !o->force) {
		rc = byod_err_set(err, EEXIST, "%s already exists and is not empty: restore into a "
					       "new directory, or add --force (it is then moved "
					       "aside, not deleted)", home);
		goto out;
	}
	dir_of(home, parent, sizeof(parent));
	rc = byod_mkdir_p(parent, 0755, err);
	if (rc)
		goto out;
	if (snprintf(stage, sizeof(stage), "%s/.byod-restore.XXXXXX", parent) >=
	    (int)sizeof(stage) || !mkdtemp(stage)) {
		rc = byod_err_set(err, errno ? errno : ENAMETOOLONG,
				  "cannot create a directory beside %s", home);
		stage[0] = '\0';
		goto out;
	}

	/* every byte authenticated before any of it is used */
	snprintf(plain, sizeof(plain), "%s/.restore-payload", stage);
	rc = read_payload(a, plain, key, &m, raw, rawlen, err);
	if (rc) {
		byod_err_prefix(err, "%s", file);
		goto out;
	}
	rc = extract(plain, stage, &m, err);
	unlink(plain);
	if (rc) {
		byod_err_prefix(err, "%s", file);
		goto out;
	}

	/* the registry where the restored configuration says */
	rc = byod_conf_load_home(&conf, stage, err);
	if (rc)
		goto out;
	conf_loaded = 1;
	if (o->registry_url) {
		char confpath[4300], newpath[4310];

		/* the new machine's database, written into the restored byod.conf */
		snprintf(confpath, sizeof(confpath), "%s/" BYOD_CONF_NAME, stage);
		snprintf(newpath, sizeof(newpath), "%s.new", confpath);
		rc = byod_conf_set(&conf, "registry.url", o->registry_url, err);
		if (!rc)
			rc = byod_conf_write(&conf, newpath, err);
		if (!rc && rename(newpath, confpath))
			rc = byod_err_set(err, errno, "cannot replace %s: %s", confpath,
					  strerror(errno));
		if (rc)
			goto out;
	}
	snprintf(snap, sizeof(snap), "%s/.restore-snapshot", stage);
	if (is_pg) {
		const char *url = conf.registry_url && conf.registry_url[0]
					  ? conf.registry_url
					  : conf.registry_conninfo;
		struct reg_url u;

		if (!url || !url[0] || reg_url_parse(url, &u, NULL) ||
		    u.backend != REG_BACKEND_POSTGRES) {
			rc = byod_err_set(err, EINVAL, "the backup is of a PostgreSQL registry but "
						       "the restored byod.conf names none: give "
						       "--registry-url postgresql://...");
			goto out;
		}
		snprintf(rep->registry, sizeof(rep->registry), "%s", u.shown);
		rc = reg_snapshot_pg_empty(url, err);
		if (rc < 0)
			goto out;
		/* never over a database that holds tables, even with --force:
		 * pg_restore --clean would replace it before the rest of the
		 * restore is known to succeed, and a failure after that would
		 * leave the old HOME pointing at the new rows */
		if (rc == 1) {
			rc = byod_err_set(err, EEXIST, "the database %s already holds tables: "
						       "restore into an empty database (createdb, "
						       "then --registry-url)", u.shown);
			goto out;
		}
		rc = reg_snapshot_pg_restore(url, snap, 0, err);
		unlink(snap);
		if (rc)
			goto out;
	} else {
		if (conf.registry_path[0] == '/' || !strcmp(conf.registry_path, "..") ||
		    !strncmp(conf.registry_path, "../", 3) || strstr(conf.registry_path, "/../") ||
		    (strlen(conf.registry_path) >= 3 &&
		     !strcmp(conf.registry_path + strlen(conf.registry_path) - 3, "/.."))) {
			rc = byod_err_set(err, EINVAL, "the restored byod.conf's registry.path is "
						       "outside HOME (%s): make it relative to HOME "
						       "first", conf.registry_path);
			goto out;
		}
		if (byod_conf_path(&conf, conf.registry_path, dst, sizeof(dst)) ||
		    rename(snap, dst)) {
			rc = byod_err_set(err, errno ? errno : ENAMETOOLONG,
					  "cannot place the registry at %s", conf.registry_path);
			goto out;
		}
		snprintf(rep->registry, sizeof(rep->registry), "%s/%s", home, conf.registry_path);
	}

	/* migrations, where the backup's schema is older than this program's */
	rc = reg_open_conf(&conf, "byodctl restore", 0, &reg, err);
	if (!rc)
		rc = reg_schema_version(reg, &rep->schema_after, err);
	reg_close(reg);
	reg = NULL;
	if (rc) {
		byod_err_prefix(err, "the restored registry does not open");
		goto out;
	}

	/* modes and owners, then the whole of it into place */
	for (i = 0; i < m.n; i++) {
		const struct byod_backup_member *b = &m.m[i];

		if (!strcmp(b->name, SNAP_PG))
			continue;
		if (!strcmp(b->name, SNAP_SQLITE)) {
			static const char *const side[] = { "-wal", "-shm" };

			/* what the migrations' connection left beside it too */
			for (size_t k = 0; k < 2; k++) {
				snprintf(plain, sizeof(plain), "%.4200s%s", dst, side[k]);
				if (access(plain, F_OK) == 0)
					set_owner_mode(plain, b);
			}
			snprintf(plain, sizeof(plain), "%s", dst);
		} else if (staged_path(stage, b->name, plain, sizeof(plain)))
			continue;
		set_owner_mode(plain, b);
	}
	if (used) {
		char aside[4200], stamp[32];
		time_t now = time(NULL);

		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime(&now));
		snprintf(aside, sizeof(aside), "%s.before-restore-%s", home, stamp);
		if (rename(home, aside)) {
			rc = byod_err_set(err, errno, "cannot move %s aside: %s", home,
					  strerror(errno));
			goto out;
		}
		snprintf(rep->moved_aside, sizeof(rep->moved_aside), "%s", aside);
	}
	if (rename(stage, home)) {
		rc = byod_err_set(err, errno, "cannot rename %s to %s: %s", stage, home,
				  strerror(errno));
		/* the old HOME back where it was */
		if (used && !rename(rep->moved_aside, home))
			rep->moved_aside[0] = '\0';
		goto out;
	}
	stage[0] = '\0';
	fsync_dir(parent);
	if (mout) {
		*mout = m;
		memset(&m, 0, sizeof(m));
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (conf_loaded)
		byod_conf_free(&conf);
	free(raw);
	byod_backup_manifest_free(&m);
	if (a)
		archive_read_free(a);
	rm_tree(stage);
	return rc;
}
