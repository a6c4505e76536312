// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by every component: kernel randomness, text forms of
 * identifiers, UTC time, atomic file writes and French school identifiers.
 */
#define _GNU_SOURCE
#include "byod_util.h"
#include "byod_buf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int byod_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r = getrandom(p, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

void byod_hex(const void *buf, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int byod_uuid4(char out[37])
{
	uint8_t b[16];
	char h[33];
	int rc;

	rc = byod_random(b, sizeof(b));
	if (rc)
		return rc;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	byod_hex(b, sizeof(b), h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
	return 0;
}

int byod_is_uuid(const char *s)
{
	int i;

	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return s[36] == '\0';
}

char *byod_time_iso(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

int byod_time_parse(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end)
		return -EINVAL;
	if (*end == 'T' || *end == ' ') {
		const char *t = strptime(end + 1, "%H:%M:%S", &tm);

		if (!t)
			t = strptime(end + 1, "%H:%M", &tm);
		if (!t)
			return -EINVAL;
		end = t;
	}
	if (*end == 'Z')
		end++;
	if (*end)
		return -EINVAL;
	*out = timegm(&tm);
	return 0;
}

/* 23:59:59 UTC on month/day of the given year. */
static time_t day_end(int year, int month, int day)
{
	struct tm tm = {0};

	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 23;
	tm.tm_min = 59;
	tm.tm_sec = 59;
	return timegm(&tm);
}

time_t byod_school_year_end(time_t now, int month, int day, int min_days)
{
	struct tm tm;
	time_t end;

	gmtime_r(&now, &tm);
	end = day_end(tm.tm_year + 1900, month, day);
	if (end - now < (time_t)min_days * 86400)
		end = day_end(tm.tm_year + 1901, month, day);
	return end;
}

int byod_mkdir_p(const char *path, mode_t mode, struct byod_err *err)
{
	char buf[4096];
	size_t n = strlen(path), i;

	if (n == 0 || n >= sizeof(buf))
		return byod_err_set(err, ENAMETOOLONG, "bad directory name '%s'", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return byod_err_set(err, errno, "cannot create directory %s: %s", buf,
					    strerror(errno));
		if (i < n)
			buf[i] = '/';
	}
	return 0;
}

/* fsync the directory holding path, so that a rename survives a crash. */
static void sync_dir(const char *path)
{
	char dir[4096];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int byod_file_write(const char *path, const void *data, size_t len, mode_t mode, int excl,
		    struct byod_err *err)
{
	char tmp[4096];
	const char *p = data;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return byod_err_set(err, ENAMETOOLONG, "path too long: %s", path);
	if (excl && access(path, F_OK) == 0)
		return byod_err_set(err, EEXIST, "%s already exists", path);
	/* a fresh, exclusive temporary name: never someone else's file */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return byod_err_set(err, errno, "cannot write %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) < 0) {
		rc = byod_err_set(err, errno, "cannot set mode of %s: %s", path, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = byod_err_set(err, errno, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = byod_err_set(err, errno, "cannot sync %s: %s", path, strerror(errno));
		goto out;
	}
out:
	close(fd);
	if (!rc) {
		if (excl) {
			/* link() fails if path appeared meanwhile: never overwrite. */
			if (link(tmp, path) < 0)
				rc = byod_err_set(err, errno, "cannot create %s: %s", path,
						  strerror(errno));
		} else if (rename(tmp, path) < 0) {
			rc = byod_err_set(err, errno, "cannot create %s: %s", path,
					  strerror(errno));
		}
	}
	unlink(tmp);
	if (!rc)
		sync_dir(path);
	return rc;
}

int byod_file_read(const char *path, char **data, size_t *len, struct byod_err *err)
{
	struct byod_buf b = BYOD_BUF_INIT;
	FILE *f;
	int rc = 0;

	f = fopen(path, "rbe");
	if (!f)
		return byod_err_set(err, errno, "cannot read %s: %s", path, strerror(errno));
	for (;;) {
		size_t r;

		if (b.cap - b.len < 4096 + 1 && byod_buf_reserve(&b, b.cap ? b.cap : 8192)) {
			rc = byod_err_set(err, ENOMEM, "out of memory reading %s", path);
			goto out;
		}
		errno = 0;
		r = fread(b.p + b.len, 1, b.cap - b.len - 1, f);
		b.len += r;
		b.p[b.len] = '\0';
		if (r == 0) {
			if (ferror(f))
				rc = byod_err_set(err, errno ? errno : EIO, "cannot read %s: %s",
						  path, strerror(errno ? errno : EIO));
			break;
		}
	}
out:
	fclose(f);
	if (rc) {
		byod_buf_free(&b);
		return rc;
	}
	*data = byod_buf_take(&b, len);
	return 0;
}

int byod_path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n;

	if (name[0] == '/')
		n = snprintf(out, len, "%s", name);
	else
		n = snprintf(out, len, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int byod_uai_check(const char *uai, char *expected)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	long num = 0;
	int i;

	if (strlen(uai) != 8)
		return -EINVAL;
	for (i = 0; i < 7; i++) {
		if (!isdigit((unsigned char)uai[i]))
			return -EINVAL;
		num = num * 10 + (uai[i] - '0');
	}
	if (!isupper((unsigned char)uai[7]))
		return -EINVAL;
	if (expected)
		*expected = alphabet[num % 23];
	return 0;
}

int byod_mac_normalise(const char *in, char out[18])
{
	char hex[12];
	int n = 0, i;

	for (; *in; in++) {
		if (isxdigit((unsigned char)*in)) {
			if (n == 12)
				return -EINVAL;
			hex[n++] = (char)tolower((unsigned char)*in);
		} else if (*in != ':' && *in != '-' && *in != '.' && *in != ' ') {
			return -EINVAL;
		}
	}
	if (n != 12)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		out[3 * i] = hex[2 * i];
		out[3 * i + 1] = hex[2 * i + 1];
		out[3 * i + 2] = i == 5 ? '\0' : ':';
	}
	return 0;
}

int byod_serial_normalise(const char *in, char *out, size_t len)
{
	size_t n = 0;
	int digits = 0;

	if (in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
		in += 2;
	for (; *in; in++) {
		if (*in == ':' || *in == ' ')
			continue;
		if (!isxdigit((unsigned char)*in))
			return -EINVAL;
		digits++;
		if (n == 0 && *in == '0')
			continue;
		if (n + 1 >= len)
			return -ENAMETOOLONG;
		out[n++] = (char)tolower((unsigned char)*in);
	}
	if (!digits)
		return -EINVAL;
	if (n == 0) {
		if (len < 2)
			return -ENAMETOOLONG;
		out[n++] = '0';
	}
	out[n] = '\0';
	return 0;
}

int byod_port_parse(const char *s, int zero_ok, int *out)
{
	char *end;
	long n;

	if (!s || !(*s >= '0' && *s <= '9'))
		return -EINVAL;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < (zero_ok ? 0 : 1) || n > 65535)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at s that is not a C1
 * control, or 0. */
static size_t utf8_printable(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 && !(c == 0xc2 && s[1] < 0xa0) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

char *byod_log_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(in ? in : "(null)");
	size_t at = 0, n;
	char esc[4];

	if (!len)
		return out;
	while (*s) {
		const char *piece = (const char *)s;

		if (*s == '\\') {
			piece = "\\\\";
			n = 2;
			s++;
		} else if (*s >= 0x20 && *s < 0x7f) {
			n = 1;
			s++;
		} else if (*s >= 0x80 && (n = utf8_printable(s))) {
			s += n;
		} else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*s >> 4];
			esc[3] = hex[*s & 15];
			piece = esc;
			n = 4;
			s++;
		}
		if (at + n >= len)
			break;
		memcpy(out + at, piece, n);
		at += n;
	}
	out[at] = '\0';
	return out;
}

void byod_share_dir(const char *sub, char *out, size_t len)
{
	char self[PATH_MAX], dir[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		snprintf(dir, sizeof(dir), "%s/../share/byod/%s", dirname(self), sub);
		if (realpath(dir, self)) {
			snprintf(out, len, "%s", self);
			return;
		}
	}
	snprintf(out, len, "/usr/share/byod/%s", sub);
}
