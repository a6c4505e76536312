// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The accounting journal (reg_journal.h): appended and fsynced while the
 * registry is unavailable, replayed in order when it answers again, with a
 * durable cursor so that a crash never loses a record nor applies a run of
 * them twice. The reader is shared by the files and reg_journal_parse (the
 * fuzz target's entry): every length is checked before it is used, a
 * damaged stretch is skipped to the next record whose magic and CRC hold.
 */
#define _GNU_SOURCE
#include "reg_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC	    "BYJ1"
#define HEAD_LEN    16 /* magic, length, sequence */
#define PAYLOAD_MAX 512
#define REC_MAX	    (HEAD_LEN + PAYLOAD_MAX + 4)

#define CURSOR_MAGIC "BYC1"
#define SLOT_LEN     32

struct reg_journal {
	char dir[PATH_MAX - 16];
	int fd;		   /* journal, O_APPEND */
	int cfd;	   /* cursor */
	uint64_t end;	   /* journal size */
	uint64_t read_off; /* where the next pending record may start */
	uint64_t cursor;   /* last sequence committed */
	int cursor_slot;   /* the slot holding it */
	uint64_t next_seq;
	uint64_t peek_seq; /* the record reg_journal_peek handed out, 0: none */
	size_t peek_len;
	size_t pending;
	time_t oldest;
	uint64_t appended, replayed, corrupt, torn_bytes;
	int owned; /* this process holds the journal's lock: it alone writes */
};

/* ---- encoding --------------------------------------------------------- */

/* CRC-32C (Castagnoli), bitwise: a record is a few hundred bytes. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* The text fields of a record, in their order on disk. */
#define FIELDS(s)                                                                                  \
	{(s)->session_id, sizeof((s)->session_id)}, {(s)->nas_ip, sizeof((s)->nas_ip)},            \
		{(s)->nas_id, sizeof((s)->nas_id)}, {(s)->mac, sizeof((s)->mac)},                  \
		{(s)->ip, sizeof((s)->ip)},                                                        \
	{                                                                                          \
		(s)->serial, sizeof((s)->serial)                                                   \
	}

struct field {
	char *p;
	size_t size;
};

size_t reg_journal_encode(const struct reg_journal_rec *r, uint8_t *out, size_t cap)
{
	struct reg_session *s = (struct reg_session *)&r->s;
	struct field f[] = {FIELDS(s)};
	uint8_t buf[REC_MAX];
	size_t n = HEAD_LEN, i, len;

	buf[n++] = (uint8_t)r->type;
	put64(buf + n, (uint64_t)(int64_t)r->time);
	put64(buf + n + 8, (uint64_t)s->in_octets);
	put64(buf + n + 16, (uint64_t)s->out_octets);
	n += 24;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		len = strnlen(f[i].p, f[i].size - 1);
		buf[n++] = (uint8_t)len;
		memcpy(buf + n, f[i].p, len);
		n += len;
	}
	memcpy(buf, MAGIC, 4);
	put32(buf + 4, (uint32_t)(n - HEAD_LEN));
	put64(buf + 8, r->seq);
	put32(buf + n, crc32c(buf, n));
	n += 4;
	memcpy(out, buf, n < cap ? n : cap);
	return n;
}

enum { DEC_OK, DEC_SHORT, DEC_BAD };

/* One record at p (avail bytes): DEC_OK with *r and *len, DEC_SHORT when
 * the bytes end inside a record that may be whole, DEC_BAD otherwise. */
static int decode(const uint8_t *p, size_t avail, struct reg_journal_rec *r, size_t *len)
{
	struct field f[] = {FIELDS(&r->s)};
	size_t plen, n, i, l;

	if (avail < 4)
		return memcmp(p, MAGIC, avail) ? DEC_BAD : DEC_SHORT;
	if (memcmp(p, MAGIC, 4))
		return DEC_BAD;
	if (avail < HEAD_LEN)
		return DEC_SHORT;
	plen = get32(p + 4);
	if (plen < 25 || plen > PAYLOAD_MAX)
		return DEC_BAD;
	if (avail < HEAD_LEN + plen + 4)
		return DEC_SHORT;
	if (get32(p + HEAD_LEN + plen) != crc32c(p, HEAD_LEN + plen))
		return DEC_BAD;
	memset(r, 0, sizeof(*r));
	r->seq = get64(p + 8);
	n = HEAD_LEN;
	r->type = (enum reg_acct_type)p[n++];
	if (r->type != REG_ACCT_START && r->type != REG_ACCT_STOP && r->type != REG_ACCT_INTERIM)
		return DEC_BAD;
	r->time = (time_t)(int64_t)get64(p + n);
	r->s.in_octets = (int64_t)get64(p + n + 8);
	r->s.out_octets = (int64_t)get64(p + n + 16);
	n += 24;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (n >= HEAD_LEN + plen)
			return DEC_BAD;
		l = p[n++];
		if (l >= f[i].size || n + l > HEAD_LEN + plen || memchr(p + n, '\0', l))
			return DEC_BAD;
		memcpy(f[i].p, p + n, l);
		f[i].p[l] = '\0';
		n += l;
	}
	if (n != HEAD_LEN + plen || r->seq == 0)
		return DEC_BAD;
	*len = HEAD_LEN + plen + 4;
	return 0;
}

/* ---- reading, from a file or a buffer --------------------------------- */

struct source {
	ssize_t (*read)(struct source *src, uint8_t *buf, size_t n, uint64_t off);
	uint64_t size;
	int fd;
	const uint8_t *mem;
};

static ssize_t read_fd(struct source *src, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		k = pread(src->fd, buf + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static ssize_t read_mem(struct source *src, uint8_t *buf, size_t n, uint64_t off)
{
	if (off >= src->size)
		return 0;
	if (n > src->size - off)
		n = (size_t)(src->size - off);
	memcpy(buf, src->mem + off, n);
	return (ssize_t)n;
}

/*
 * The next valid record at or after *off: 1 with *r, *off at its start and
 * *len its length; 0 at the end (*off then where the valid data ends: a
 * torn tail starts there); a negative errno for a read error. Each damaged
 * stretch skipped counts once in *corrupt.
 */
static int next_record(struct source *src, uint64_t *off, struct reg_journal_rec *r, size_t *len,
		       uint64_t *corrupt)
{
	uint8_t buf[REC_MAX];
	uint64_t at = *off, bad_from = 0;
	int bad = 0, d;
	ssize_t n;
	uint8_t *m;

	for (;;) {
		n = src->read(src, buf, sizeof(buf), at);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			/* a damaged stretch that runs to the end is a tail */
			*off = bad ? bad_from : at;
			return 0;
		}
		d = decode(buf, (size_t)n, r, len);
		if (d == DEC_OK) {
			if (bad && corrupt)
				(*corrupt)++;
			*off = at;
			return 1;
		}
		if (d == DEC_SHORT && at + (uint64_t)n >= src->size) {
			*off = bad ? bad_from : at;
			return 0; /* the last record, cut short */
		}
		if (!bad)
			bad_from = at;
		bad = 1;
		m = n > 1 ? memmem(buf + 1, (size_t)n - 1, MAGIC, 4) : NULL;
		if (m)
			at += (uint64_t)(m - buf);
		else
			at += n > 3 ? (uint64_t)n - 3 : 1; /* a magic may straddle */
	}
}

size_t reg_journal_parse(const uint8_t *buf, size_t len,
			 int (*cb)(const struct reg_journal_rec *r, void *arg), void *arg,
			 uint64_t *corrupt)
{
	struct source src = {.read = read_mem, .size = len, .fd = -1, .mem = buf};
	struct reg_journal_rec r;
	uint64_t off = 0;
	size_t rlen;

	if (corrupt)
		*corrupt = 0;
	while (next_record(&src, &off, &r, &rlen, corrupt) == 1) {
		off += rlen;
		if (cb && cb(&r, arg))
			break;
	}
	return (size_t)off;
}

/* ---- the cursor ------------------------------------------------------- */

static void cursor_read(struct reg_journal *sp)
{
	uint8_t buf[2 * SLOT_LEN];
	ssize_t n = pread(sp->cfd, buf, sizeof(buf), 0);
	int i;

	sp->cursor = 0;
	sp->cursor_slot = 1; /* the first write goes to slot 0 */
	for (i = 0; n > 0 && i < 2 && (i + 1) * SLOT_LEN <= n; i++) {
		const uint8_t *s = buf + i * SLOT_LEN;

		if (memcmp(s, CURSOR_MAGIC, 4) || get32(s + 16) != crc32c(s, 16))
			continue;
		if (get64(s + 8) >= sp->cursor) {
			sp->cursor = get64(s + 8);
			sp->cursor_slot = i;
		}
	}
}

/* The other slot gets seq: a torn write leaves the current one whole. */
static int cursor_write(struct reg_journal *sp, uint64_t seq, struct byod_err *err)
{
	uint8_t s[SLOT_LEN] = {0};
	int slot = !sp->cursor_slot;

	memcpy(s, CURSOR_MAGIC, 4);
	put64(s + 8, seq);
	put32(s + 16, crc32c(s, 16));
	if (pwrite(sp->cfd, s, sizeof(s), slot * SLOT_LEN) != (ssize_t)sizeof(s) ||
	    fdatasync(sp->cfd))
		return byod_err_set(err, errno ? errno : EIO,
				    "cannot write the accounting journal's cursor in %s: %s",
				    sp->dir, strerror(errno ? errno : EIO));
	sp->cursor = seq;
	sp->cursor_slot = slot;
	return 0;
}

/* ---- the journal ------------------------------------------------------ */

static struct source file_source(struct reg_journal *sp)
{
	struct source src = {.read = read_fd, .size = sp->end, .fd = sp->fd, .mem = NULL};

	return src;
}

/* Reads the whole journal: where the first pending record is, how many
 * there are, the sequence to go on from; the owner cuts off a torn tail
 * (another process's reading may be an append under way). */
static int scan(struct reg_journal *sp, struct byod_err *err)
{
	struct source src = file_source(sp);
	struct reg_journal_rec r;
	uint64_t off = 0, max = sp->cursor;
	int first = 1, rc;
	size_t len;

	sp->read_off = 0;
	while ((rc = next_record(&src, &off, &r, &len, &sp->corrupt)) == 1) {
		if (r.seq > max)
			max = r.seq;
		if (r.seq > sp->cursor) {
			if (first) {
				sp->read_off = off;
				sp->oldest = r.time;
			}
			first = 0;
			sp->pending++;
		}
		off += len;
	}
	if (rc < 0)
		return byod_err_set(err, -rc, "cannot read the accounting journal in %s: %s",
				    sp->dir, strerror(-rc));
	if (first)
		sp->read_off = off;
	if (off < sp->end && sp->owned) {
		/* never acknowledged: its fsync had not returned */
		sp->torn_bytes = sp->end - off;
		if (ftruncate(sp->fd, (off_t)off) || fsync(sp->fd))
			return byod_err_set(err, errno, "cannot cut the torn end of %s/journal: %s",
					    sp->dir, strerror(errno));
		sp->end = off;
	}
	sp->next_seq = max + 1;
	return 0;
}

static int open_in(struct reg_journal *sp, const char *name, int flags, struct byod_err *err)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", sp->dir, name);
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return byod_err_set(err, errno, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Everything read again, as the owner (cutting a torn tail off). */
static int scan_again(struct reg_journal *sp, struct byod_err *err)
{
	struct stat st;

	if (fstat(sp->fd, &st))
		return byod_err_set(err, errno, "cannot read %s/journal: %s", sp->dir,
				    strerror(errno));
	sp->end = (uint64_t)st.st_size;
	sp->pending = 0;
	sp->oldest = 0;
	sp->corrupt = 0;
	sp->torn_bytes = 0;
	sp->peek_seq = 0;
	cursor_read(sp);
	return scan(sp, err);
}

/* Only the process that holds the journal's lock writes to it. */
static int own(struct reg_journal *sp, struct byod_err *err)
{
	if (sp->owned)
		return 0;
	if (flock(sp->fd, LOCK_EX | LOCK_NB))
		return byod_err_set(err, EBUSY,
				    "the accounting journal in %s is used by another process (each "
				    "RADIUS server needs a spool directory of its own)",
				    sp->dir);
	sp->owned = 1;
	return scan_again(sp, err);
}

int reg_journal_open(const char *dir, struct reg_journal **out, struct byod_err *err)
{
	struct reg_journal *sp;
	struct stat st;
	int rc, dfd;

	*out = NULL;
	if (!dir || !dir[0] || strlen(dir) >= sizeof(sp->dir))
		return byod_err_set(err, EINVAL,
				    "the accounting spool directory is not a usable path");
	if (mkdir(dir, 0700) && errno != EEXIST)
		return byod_err_set(err, errno, "cannot create the accounting spool %s: %s", dir,
				    strerror(errno));
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return byod_err_set(err, ENOMEM, "out of memory");
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	sp->fd = sp->cfd = -1;
	rc = open_in(sp, "journal", O_RDWR | O_APPEND, err);
	if (rc < 0)
		goto fail;
	sp->fd = rc;
	rc = open_in(sp, "cursor", O_RDWR, err);
	if (rc < 0)
		goto fail;
	sp->cfd = rc;
	/* the files' names are durable before anything is acknowledged */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (fstat(sp->fd, &st)) {
		rc = byod_err_set(err, errno, "cannot read %s/journal: %s", dir, strerror(errno));
		goto fail;
	}
	sp->end = (uint64_t)st.st_size;
	cursor_read(sp);
	/* another process owns it (a running server while `freeradius -XC`
	 * checks): read only, owned at the first write if it is free then */
	sp->owned = flock(sp->fd, LOCK_EX | LOCK_NB) == 0;
	rc = scan(sp, err);
	if (rc)
		goto fail;
	*out = sp;
	return 0;
fail:
	reg_journal_free(sp);
	return rc;
}

void reg_journal_free(struct reg_journal *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->cfd >= 0)
		close(sp->cfd);
	free(sp);
}

int reg_journal_append(struct reg_journal *sp, struct reg_journal_rec *r, struct byod_err *err)
{
	uint8_t buf[REC_MAX];
	size_t n, done = 0;
	ssize_t k;
	int rc = own(sp, err);

	if (rc)
		return rc;
	r->seq = sp->next_seq;
	n = reg_journal_encode(r, buf, sizeof(buf));
	while (done < n) {
		k = write(sp->fd, buf + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			goto fail;
		done += (size_t)k;
	}
	if (fdatasync(sp->fd))
		goto fail;
	sp->end += n;
	sp->next_seq++;
	if (!sp->pending)
		sp->oldest = r->time;
	sp->pending++;
	sp->appended++;
	return 0;
fail : {
	int e = errno ? errno : EIO;

	/* leave no half record behind this one's successors */
	if (ftruncate(sp->fd, (off_t)sp->end))
		e = errno ? errno : e;
	return byod_err_set(err, e, "cannot write the accounting journal in %s: %s", sp->dir,
			    strerror(e));
}
}

/* Empties the journal once every record in it is committed. */
static int empty(struct reg_journal *sp, struct byod_err *err)
{
	if (sp->end == 0)
		return 0;
	if (ftruncate(sp->fd, 0) || fsync(sp->fd))
		return byod_err_set(err, errno, "cannot empty %s/journal: %s", sp->dir,
				    strerror(errno));
	sp->end = sp->read_off = 0;
	sp->oldest = 0;
	return 0;
}

int reg_journal_peek(struct reg_journal *sp, struct reg_journal_rec *r, struct byod_err *err)
{
	struct source src;
	uint64_t off;
	size_t len;
	int rc = own(sp, err);

	if (rc)
		return rc;
	src = file_source(sp);
	off = sp->read_off;
	for (;;) {
		rc = next_record(&src, &off, r, &len, &sp->corrupt);
		if (rc < 0)
			return byod_err_set(err, -rc,
					    "cannot read the accounting journal in %s: %s", sp->dir,
					    strerror(-rc));
		if (rc == 0) {
			/* whatever stays unread is damaged: counted, given up */
			sp->pending = 0;
			return empty(sp, err);
		}
		if (r->seq > sp->cursor)
			break;
		off += len; /* committed before a crash, not yet truncated */
	}
	sp->read_off = off;
	sp->peek_seq = r->seq;
	sp->peek_len = len;
	return 1;
}

int reg_journal_done(struct reg_journal *sp, const struct reg_journal_rec *r, struct byod_err *err)
{
	struct source src = file_source(sp);
	struct reg_journal_rec next;
	size_t len;
	int rc;

	if (!sp->peek_seq || r->seq != sp->peek_seq)
		return byod_err_set(err, EINVAL,
				    "accounting record %llu was not the one handed out",
				    (unsigned long long)r->seq);
	rc = cursor_write(sp, r->seq, err);
	if (rc)
		return rc;
	sp->peek_seq = 0;
	sp->read_off += sp->peek_len;
	sp->replayed++;
	if (sp->pending)
		sp->pending--;
	sp->oldest = 0;
	if (sp->pending) {
		uint64_t o = sp->read_off;

		if (next_record(&src, &o, &next, &len, NULL) == 1)
			sp->oldest = next.time;
		return 0;
	}
	return empty(sp, err);
}

int reg_journal_replay_one(struct reg_journal *sp, reg_journal_apply_fn apply, void *arg,
			   struct byod_err *err)
{
	struct reg_journal_rec r;
	int rc;

	rc = reg_journal_peek(sp, &r, err);
	if (rc <= 0)
		return rc;
	rc = apply(&r, arg, err);
	if (!rc)
		rc = reg_journal_done(sp, &r, err);
	return rc ? rc : 1;
}

int reg_journal_record(struct reg *reg, const struct reg_journal_rec *r, struct byod_err *err)
{
	struct reg_session s = r->s;

	if (r->type == REG_ACCT_START)
		s.started = r->time;
	else if (r->type == REG_ACCT_STOP)
		s.stopped = r->time;
	else
		s.updated = r->time;
	return reg_session_record(reg, r->type, &s, err);
}

size_t reg_journal_pending(const struct reg_journal *sp)
{
	return sp->pending;
}

void reg_journal_stats(const struct reg_journal *sp, struct reg_journal_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->pending = sp->pending;
	out->appended = sp->appended;
	out->replayed = sp->replayed;
	out->corrupt = sp->corrupt;
	out->torn_bytes = sp->torn_bytes;
	out->oldest = sp->pending ? sp->oldest : 0;
}
