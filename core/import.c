// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Account import from CSV, as a school's IT contact exports it from the ENT
 * or a spreadsheet: UTF-8 with or without BOM, CRLF or LF, ',' or ';' (what
 * French spreadsheets write) as the separator, quoted fields. The file is
 * parsed by libcsv and checked whole before anything is written; the rows
 * then go in as one transaction, so one bad row leaves the registry as it
 * was, and the error names the line and the column.
 */
#include "byod.h"

#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "byod_util.h"
#include "byod_vec.h"

enum col { C_LOGIN, C_DISPLAY, C_ROLE, C_SCHOOL, C_GROUPS, C_PASSWORD, C_COUNT };

static const char *const col_names[C_COUNT] = {
	"login", "display_name", "role", "school", "groups", "password",
};

struct row {
	int line;
	char *f[C_COUNT];
	int fieldno[C_COUNT]; /* 1-based column of each field in the file */
	struct reg_person p;
	int hash; /* the password column is a password to hash */
	int rc;   /* hashing result */
};

struct parse {
	const char *path;
	struct byod_err *err;
	int rc;
	int line;     /* line being fed to libcsv */
	int row_line; /* line the current record started on */
	int open_line; /* line of the first byte after the last record, 0 when none yet */
	/* the current record */
	char **fields;
	size_t nfields, cap;
	/* header: position of each column, -1 when absent */
	int header_done;
	int pos[C_COUNT];
	size_t ncols;
	struct row *rows;
	size_t nrows, rows_cap;
};

static void fields_reset(struct parse *ps)
{
	size_t i;

	for (i = 0; i < ps->nfields; i++)
		free(ps->fields[i]);
	ps->nfields = 0;
}

static void on_field(void *data, size_t len, void *arg)
{
	struct parse *ps = arg;
	char **slot;

	if (ps->rc)
		return;
	if (ps->nfields == 0)
		ps->row_line = ps->line;
	slot = BYOD_ARRAY_PUSH(ps->fields, ps->nfields, ps->cap);
	if (slot)
		*slot = malloc(len + 1);
	if (!slot || !*slot) {
		ps->rc = byod_err_set(ps->err, ENOMEM, "out of memory");
		return;
	}
	memcpy(*slot, data, len);
	(*slot)[len] = '\0';
}

static int header_row(struct parse *ps)
{
	size_t i;
	int c;

	for (c = 0; c < C_COUNT; c++)
		ps->pos[c] = -1;
	for (i = 0; i < ps->nfields; i++) {
		const char *name = ps->fields[i];

		for (c = 0; c < C_COUNT; c++)
			if (!strcasecmp(name, col_names[c]))
				break;
		if (c == C_COUNT)
			return byod_err_set_at(ps->err, EINVAL, ps->path, ps->row_line, (int)i + 1,
					       "unknown column '%s' (the columns are login, "
					       "display_name, role, school, groups, password)",
					       name);
		if (ps->pos[c] >= 0)
			return byod_err_set_at(ps->err, EINVAL, ps->path, ps->row_line, (int)i + 1,
					       "column '%s' appears twice", col_names[c]);
		ps->pos[c] = (int)i;
	}
	for (c = 0; c < C_COUNT; c++)
		if (ps->pos[c] < 0 && (c == C_LOGIN || c == C_ROLE || c == C_SCHOOL))
			return byod_err_set_at(ps->err, EINVAL, ps->path, ps->row_line, 1,
					       "the header row has no '%s' column "
					       "(is the first row a header?)",
					       col_names[c]);
	ps->ncols = ps->nfields;
	ps->header_done = 1;
	return 0;
}

static int data_row(struct parse *ps)
{
	struct row *r;
	int c;

	if (ps->nfields != ps->ncols)
		return byod_err_set_at(ps->err, EINVAL, ps->path, ps->row_line,
				       (int)(ps->nfields < ps->ncols ? ps->nfields : ps->ncols + 1),
				       "this row has %zu fields, the header has %zu", ps->nfields,
				       ps->ncols);
	r = BYOD_ARRAY_PUSH(ps->rows, ps->nrows, ps->rows_cap);
	if (!r)
		return byod_err_set(ps->err, ENOMEM, "out of memory");
	r->line = ps->row_line;
	for (c = 0; c < C_COUNT; c++) {
		if (ps->pos[c] < 0)
			continue;
		r->f[c] = ps->fields[ps->pos[c]];
		ps->fields[ps->pos[c]] = NULL;
		r->fieldno[c] = ps->pos[c] + 1;
	}
	return 0;
}

static void on_row(int term, void *arg)
{
	struct parse *ps = arg;
	size_t i;

	if (ps->rc)
		return;
	/* A spreadsheet's line of empty cells (",,,,,") is not an account. */
	for (i = 0; i < ps->nfields && !ps->fields[i][0]; i++)
		;
	if (i == ps->nfields) {
		fields_reset(ps);
		return;
	}
	ps->rc = ps->header_done ? data_row(ps) : header_row(ps);
	fields_reset(ps);
	ps->open_line = 0;
}

/* Position of the first byte that is not valid UTF-8 (or a NUL), or -1. */
static long utf8_invalid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned long cp;

		if (c == 0)
			return (long)i;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += n + 1;
	}
	return -1;
}

/* ',' or ';', whichever the header line has more of outside quotes. */
static unsigned char guess_delim(const char *s, size_t len)
{
	const char *end = s + len;
	int commas = 0, semis = 0, quoted = 0;

	for (; s < end && *s && *s != '\n' && *s != '\r'; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == ',')
			commas++;
		else if (!quoted && *s == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

/* The bytes up to and with the end of the line s starts: LF, CRLF, or a
 * lone CR (what a Mac spreadsheet writes, and libcsv ends a row on). */
static size_t line_len(const char *s, size_t len, int *ended)
{
	size_t i;

	*ended = 1;
	for (i = 0; i < len; i++)
		if (s[i] == '\n' || (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n')))
			return i + 1;
	*ended = 0;
	return len;
}

static int parse_file(struct parse *ps, const char *buf, size_t len)
{
	struct csv_parser p;
	size_t off = 0;
	long bad;
	int rc = 0;

	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	bad = utf8_invalid((const unsigned char *)buf, len);
	if (bad >= 0) {
		int line = 1, col = 1;
		long i;

		for (i = 0; i < bad; i++) {
			if (buf[i] == '\n' || (buf[i] == '\r' && buf[i + 1] != '\n')) {
				line++;
				col = 1;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		return byod_err_set_at(ps->err, EILSEQ, ps->path, line, col,
				       "not UTF-8 text (save the file as CSV UTF-8)");
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI))
		return byod_err_set(ps->err, ENOMEM, "out of memory");
	csv_set_delim(&p, guess_delim(buf, len));
	ps->line = 1;
	/* Fed line by line so that every callback knows its line. */
	while (off < len && !ps->rc) {
		int nl;
		size_t n = line_len(buf + off, len - off, &nl);

		/* where a record left open at the end began (blank lines are none) */
		if (!ps->open_line && buf[off] != '\n' &&
		    !(buf[off] == '\r' && (n == 1 || buf[off + 1] == '\n')))
			ps->open_line = ps->line;

		if (csv_parse(&p, buf + off, n, on_field, on_row, ps) != n) {
			rc = byod_err_set_at(ps->err, EINVAL, ps->path, ps->line, 0, "%s",
					     csv_strerror(csv_error(&p)));
			goto out;
		}
		off += n;
		if (nl)
			ps->line++;
	}
	if (!ps->rc && csv_fini(&p, on_field, on_row, ps)) {
		rc = byod_err_set_at(ps->err, EINVAL, ps->path, ps->open_line ? ps->open_line : 1,
				     0, "%s (a quote is not closed)",
				     csv_strerror(csv_error(&p)));
		goto out;
	}
	rc = ps->rc;
	if (!rc && !ps->header_done)
		rc = byod_err_set_at(ps->err, EINVAL, ps->path, 1, 0,
				     "the file is empty: a header row is expected");
out:
	csv_free(&p);
	return rc;
}

static int row_err(struct parse *ps, const struct row *r, int c, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An error at row r, column c: "FILE:LINE:COL: column 'role': ...". */
static int row_err(struct parse *ps, const struct row *r, int c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	byod_err_set_at(ps->err, code, ps->path, r->line, r->fieldno[c] ? r->fieldno[c] : 0,
			"column '%s': %s", col_names[c], msg);
	return code > 0 ? -code : code;
}

static int parse_role(const char *s, enum byod_role *role)
{
	static const struct {
		const char *name;
		enum byod_role role;
	} aliases[] = {
		{ "élève", BYOD_ROLE_STUDENT },     { "eleve", BYOD_ROLE_STUDENT },
		{ "enseignant", BYOD_ROLE_TEACHER }, { "professeur", BYOD_ROLE_TEACHER },
		{ "personnel", BYOD_ROLE_STAFF },    { "invité", BYOD_ROLE_GUEST },
		{ "invite", BYOD_ROLE_GUEST },
	};
	char lower[32];
	size_t i;

	for (i = 0; s[i] && i < sizeof(lower) - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		/* UTF-8 Latin-1 capitals (É, È, ...) are C3 80..9E; small is +0x20 */
		if (i > 0 && (unsigned char)s[i - 1] == 0xc3 && c >= 0x80 && c <= 0x9e &&
		    c != 0x97)
			c += 0x20;
		lower[i] = (char)tolower(c);
	}
	lower[i] = '\0';
	if (byod_role_parse(lower) >= 0) {
		*role = (enum byod_role)byod_role_parse(lower);
		return 0;
	}
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (!strcmp(lower, aliases[i].name)) {
			*role = aliases[i].role;
			return 0;
		}
	}
	return -EINVAL;
}

/* Groups separated by spaces, ',', ';' or '|' become "g1 g2 g3". */
static int join_groups(const char *in, char *out, size_t len)
{
	size_t n = 0;

	while (*in) {
		size_t w = strcspn(in, " \t,;|");

		if (w) {
			if (n + w + (n ? 1 : 0) >= len)
				return -ENAMETOOLONG;
			if (n)
				out[n++] = ' ';
			memcpy(out + n, in, w);
			n += w;
			in += w;
		} else {
			in++;
		}
	}
	out[n] = '\0';
	return 0;
}

static int is_crypt_hash(const char *s)
{
	return !strncmp(s, "$y$", 3) || !strncmp(s, "$gy$", 4) || !strncmp(s, "$7$", 3) ||
	       !strncmp(s, "$2b$", 4) || !strncmp(s, "$6$", 3);
}

/* Checks one row and fills r->p; nothing is written yet. Without ctx, what
 * the file alone says: the school's UAI is checked, not its existence. */
static int check_row(struct byod_ctx *ctx, struct parse *ps, struct row *r)
{
	const char *v;
	struct reg_school school;
	size_t j;
	int rc;

	v = r->f[C_LOGIN];
	if (!v[0])
		return row_err(ps, r, C_LOGIN, EINVAL, "the login is empty");
	if (byod_login_normalise(v, r->p.login, sizeof(r->p.login)))
		return row_err(ps, r, C_LOGIN, EINVAL,
			       "'%s' is not a login (letters, digits and . _ - @, at most 63)", v);

	v = r->f[C_DISPLAY] && r->f[C_DISPLAY][0] ? r->f[C_DISPLAY] : r->p.login;
	if (strlen(v) >= sizeof(r->p.display_name))
		return row_err(ps, r, C_DISPLAY, EINVAL, "the name is longer than 127 bytes");
	snprintf(r->p.display_name, sizeof(r->p.display_name), "%s", v);

	if (parse_role(r->f[C_ROLE], &r->p.role))
		return row_err(ps, r, C_ROLE, EINVAL,
			       "unknown role '%s' (student, teacher, staff or guest)",
			       r->f[C_ROLE]);

	v = r->f[C_SCHOOL];
	if (strlen(v) >= sizeof(school.uai) || byod_uai_check(v, NULL))
		return row_err(ps, r, C_SCHOOL, EINVAL, "'%s' is not a UAI", v);
	rc = ctx ? reg_school_get(ctx->reg, v, &school, NULL) : 0;
	if (rc == -ENOENT)
		return row_err(ps, r, C_SCHOOL, ENOENT,
			       "unknown school '%s' (add it first: byodctl school add)", v);
	if (rc)
		return row_err(ps, r, C_SCHOOL, -rc, "cannot look up school '%s'", v);
	snprintf(r->p.school, sizeof(r->p.school), "%s", v);

	if (r->f[C_GROUPS] && join_groups(r->f[C_GROUPS], r->p.groups, sizeof(r->p.groups)))
		return row_err(ps, r, C_GROUPS, EINVAL, "the groups are longer than 255 bytes");

	v = r->f[C_PASSWORD] ? r->f[C_PASSWORD] : "";
	if (is_crypt_hash(v)) {
		if (strlen(v) >= sizeof(r->p.password_hash))
			return row_err(ps, r, C_PASSWORD, EINVAL, "the hash is too long");
		snprintf(r->p.password_hash, sizeof(r->p.password_hash), "%s", v);
	} else {
		r->hash = v[0] != '\0';
	}
	r->p.state = REG_PERSON_ACTIVE;

	for (j = 0; j < (size_t)(r - ps->rows); j++)
		if (!strcmp(ps->rows[j].p.login, r->p.login))
			return row_err(ps, r, C_LOGIN, EEXIST,
				       "the login is already on line %d of this file",
				       ps->rows[j].line);
	return 0;
}

/* The fields are wiped: the password column holds passwords. */
static void parse_free(struct parse *ps)
{
	size_t i;
	int c;

	fields_reset(ps);
	free(ps->fields);
	for (i = 0; i < ps->nrows; i++) {
		for (c = 0; c < C_COUNT; c++) {
			if (ps->rows[i].f[c]) {
				explicit_bzero(ps->rows[i].f[c], strlen(ps->rows[i].f[c]));
				free(ps->rows[i].f[c]);
			}
		}
	}
	free(ps->rows);
	memset(ps, 0, sizeof(*ps));
}

int byod_users_csv_check(const char *path, const void *data, size_t len, int *rows,
			 struct byod_err *err)
{
	struct parse ps;
	size_t i;
	int rc;

	memset(&ps, 0, sizeof(ps));
	ps.path = path;
	ps.err = err;
	rc = parse_file(&ps, data, len);
	for (i = 0; !rc && i < ps.nrows; i++)
		rc = check_row(NULL, &ps, &ps.rows[i]);
	if (rows)
		*rows = rc ? 0 : (int)ps.nrows;
	parse_free(&ps);
	return rc;
}

struct hash_job {
	struct row *rows;
	size_t n;
	int cost;
	atomic_size_t next;
};

static void *hash_worker(void *arg)
{
	struct hash_job *job = arg;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->n) {
		struct row *r = &job->rows[i];

		if (r->hash)
			r->rc = reg_password_hash(r->f[C_PASSWORD], job->cost, r->p.password_hash,
						  sizeof(r->p.password_hash), NULL);
	}
	return NULL;
}

/* yescrypt is slow on purpose: a class list is hashed on every core. */
static int hash_all(struct row *rows, size_t n, int cost)
{
	struct hash_job job = { .rows = rows, .n = n, .cost = cost };
	pthread_t th[8];
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int nth = cores < 1 ? 1 : cores > 8 ? 8 : (int)cores, started = 0, i;

	atomic_init(&job.next, 0);
	for (i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, hash_worker, &job))
			break;
		started++;
	}
	if (!started)
		hash_worker(&job);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < (int)n; i++)
		if (rows[i].rc)
			return i;
	return -1;
}

int byod_users_import_csv(struct byod_ctx *ctx, const char *path, struct byod_import_result *res,
			  struct byod_err *err)
{
	struct parse ps;
	char *buf = NULL;
	size_t len, i;
	int rc, bad;

	memset(&ps, 0, sizeof(ps));
	ps.path = path;
	ps.err = err;
	if (res)
		res->rows = 0;
	rc = byod_file_read(path, &buf, &len, err);
	if (rc)
		return rc;
	rc = parse_file(&ps, buf, len);
	for (i = 0; !rc && i < ps.nrows; i++)
		rc = check_row(ctx, &ps, &ps.rows[i]);
	if (rc)
		goto out;
	bad = hash_all(ps.rows, ps.nrows, ctx->conf.auth_yescrypt_cost);
	if (bad >= 0) {
		rc = row_err(&ps, &ps.rows[bad], C_PASSWORD, -ps.rows[bad].rc,
			     "the password could not be hashed");
		goto out;
	}

	rc = reg_begin(ctx->reg, err);
	if (rc)
		goto out;
	for (i = 0; i < ps.nrows; i++) {
		struct row *r = &ps.rows[i];

		rc = reg_person_add(ctx->reg, &r->p, err);
		if (rc) {
			char why[sizeof(err->msg)];

			snprintf(why, sizeof(why), "%s", err ? err->msg : "");
			row_err(&ps, r, rc == -EEXIST ? C_LOGIN : C_SCHOOL, -rc, "%s", why);
			break;
		}
	}
	if (!rc)
		rc = reg_commit(ctx->reg, err);
	if (rc)
		reg_rollback(ctx->reg);
	else if (res)
		res->rows = (int)ps.nrows;
out:
	parse_free(&ps);
	if (buf) {
		explicit_bzero(buf, len);
		free(buf);
	}
	return rc;
}
