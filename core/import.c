// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Account import from CSV, as a school's IT contact exports it from the ENT
 * or a spreadsheet: UTF-8 with or without BOM, CRLF or LF, ',' or ';' (what
 * French spreadsheets write) as the separator, quoted fields. The file is
 * parsed by libcsv and checked whole before anything is written; the rows
 * then go in as one transaction, so one bad row leaves the registry as it
 * was, and the error names the line and the column.
 *
 * For the console the same checks collect every problem of a file (up to
 * BYOD_IMPORT_PROBLEMS_MAX) instead of stopping at the first, and a plan
 * says what an import would do to the registry (accounts added, accounts
 * whose name, role, school or groups change) within an administrator's
 * scope; its digest lets a commit refuse a registry that changed since
 * the plan was shown. The rentrée sync (sync.c) commits through the same
 * path, with its own checks and writes hooked in (import_int.h).
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

#include <openssl/evp.h>

#include "byod_util.h"
#include "byod_vec.h"
#include "import_int.h"

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
	int bad;  /* a problem was found in this row (collecting) */
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
	/* collecting every problem into plan instead of stopping at the first */
	struct byod_import_plan *collect;
	int err_set; /* err holds the first problem */
	size_t problems_cap;
	int oom;
};

static int problem_v(struct parse *ps, int line, int col, int code, const char *key,
		     const char *value, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

static int problem_v(struct parse *ps, int line, int col, int code, const char *key,
		     const char *value, const char *fmt, va_list ap)
{
	struct byod_import_problem *pb;
	char msg[sizeof(pb->msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!ps->err_set) {
		byod_err_set_at(ps->err, code, ps->path, line, col, "%s", msg);
		ps->err_set = !!ps->collect;
	}
	if (ps->collect) {
		struct byod_import_plan *pl = ps->collect;

		if (pl->nproblems >= BYOD_IMPORT_PROBLEMS_MAX) {
			pl->more++;
		} else {
			pb = BYOD_ARRAY_PUSH(pl->problems, pl->nproblems, ps->problems_cap);
			if (!pb) {
				ps->oom = 1;
			} else {
				memset(pb, 0, sizeof(*pb));
				pb->line = line;
				pb->col = col;
				pb->key = key;
				snprintf(pb->value, sizeof(pb->value), "%s", value ? value : "");
				snprintf(pb->msg, sizeof(pb->msg), "%s", msg);
			}
		}
	}
	return code > 0 ? -code : code;
}

/* A problem at line and col (0: the whole line): the first goes into err;
 * when collecting, each into the plan. key is the console's catalogue key
 * (a static string), value what the text shows in it. Returns -code. */
static int problem(struct parse *ps, int line, int col, int code, const char *key,
		   const char *value, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int problem(struct parse *ps, int line, int col, int code, const char *key,
		   const char *value, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = problem_v(ps, line, col, code, key, value, fmt, ap);
	va_end(ap);
	return rc;
}

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

/* The header: every problem of it is listed when collecting (an unknown
 * column, a column twice, a required one missing), but a file whose header
 * has one is checked no further: its rows cannot be read. */
static int header_row(struct parse *ps)
{
	size_t i;
	int c, rc = 0;

	for (c = 0; c < C_COUNT; c++)
		ps->pos[c] = -1;
	for (i = 0; i < ps->nfields; i++) {
		const char *name = ps->fields[i];

		for (c = 0; c < C_COUNT; c++)
			if (!strcasecmp(name, col_names[c]))
				break;
		if (c == C_COUNT) {
			rc = problem(ps, ps->row_line, (int)i + 1, EINVAL, "import.header.unknown",
				     name,
				     "unknown column '%s' (the columns are login, "
				     "display_name, role, school, groups, password)",
				     name);
		} else if (ps->pos[c] >= 0) {
			rc = problem(ps, ps->row_line, (int)i + 1, EINVAL, "import.header.twice",
				     col_names[c], "column '%s' appears twice", col_names[c]);
		} else {
			ps->pos[c] = (int)i;
			continue;
		}
		if (!ps->collect)
			return rc;
	}
	for (c = 0; c < C_COUNT; c++) {
		if (ps->pos[c] < 0 && (c == C_LOGIN || c == C_ROLE || c == C_SCHOOL)) {
			rc = problem(ps, ps->row_line, 1, EINVAL, "import.header.missing",
				     col_names[c],
				     "the header row has no '%s' column "
				     "(is the first row a header?)",
				     col_names[c]);
			if (!ps->collect)
				return rc;
		}
	}
	if (rc)
		return rc;
	ps->ncols = ps->nfields;
	ps->header_done = 1;
	return 0;
}

static int data_row(struct parse *ps)
{
	struct row *r;
	int c;

	if (ps->nfields != ps->ncols) {
		char counts[48];
		int rc;

		snprintf(counts, sizeof(counts), "%zu/%zu", ps->nfields, ps->ncols);
		rc = problem(ps, ps->row_line,
			     (int)(ps->nfields < ps->ncols ? ps->nfields : ps->ncols + 1), EINVAL,
			     "import.fields", counts, "this row has %zu fields, the header has %zu",
			     ps->nfields, ps->ncols);
		/* collecting: the row is left out, the next ones are read */
		return ps->collect ? 0 : rc;
	}
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
		return problem(ps, line, col, EILSEQ, "import.encoding", "",
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
			rc = problem(ps, ps->line, 0, EINVAL, "import.csv",
				     csv_strerror(csv_error(&p)), "%s",
				     csv_strerror(csv_error(&p)));
			goto out;
		}
		off += n;
		if (nl)
			ps->line++;
	}
	if (!ps->rc && csv_fini(&p, on_field, on_row, ps)) {
		rc = problem(ps, ps->open_line ? ps->open_line : 1, 0, EINVAL, "import.quote", "",
			     "%s (a quote is not closed)", csv_strerror(csv_error(&p)));
		goto out;
	}
	rc = ps->rc;
	if (!rc && !ps->header_done)
		rc = problem(ps, 1, 0, EINVAL, "import.empty", "",
			     "the file is empty: a header row is expected");
out:
	csv_free(&p);
	return rc;
}

static int row_err(struct parse *ps, struct row *r, int c, int code, const char *key,
		   const char *value, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* A problem at row r, column c: "FILE:LINE:COL: column 'role': ...". */
static int row_err(struct parse *ps, struct row *r, int c, int code, const char *key,
		   const char *value, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->bad = 1;
	return problem(ps, r->line, r->fieldno[c] ? r->fieldno[c] : 0, code, key, value,
		       "column '%s': %s", col_names[c], msg);
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

/* Checks one row and fills r->p; nothing is written yet. Without reg,
 * what the file alone says: the school's UAI is checked, not its existence.
 * With a scope, a school outside it is a problem (before its existence is
 * looked up: another school's existence is not told). Stops at the row's
 * first problem, or when collecting checks every column of it. */
static int check_row(struct reg *reg, const struct reg_scope *scope, struct parse *ps,
		     struct row *r)
{
	const char *v;
	struct reg_school school;
	size_t j;
	int rc, first = 0;

#define BAD(expr)                                                                                  \
	do {                                                                                       \
		int bad_ = (expr);                                                                 \
		if (!ps->collect)                                                                  \
			return bad_;                                                               \
		first = first ? first : bad_;                                                      \
	} while (0)

	v = r->f[C_LOGIN];
	if (!v[0])
		BAD(row_err(ps, r, C_LOGIN, EINVAL, "import.login.empty", "", "the login is empty"));
	else if (byod_login_normalise(v, r->p.login, sizeof(r->p.login)))
		BAD(row_err(ps, r, C_LOGIN, EINVAL, "import.login.bad", v,
			    "'%s' is not a login (letters, digits and . _ - @, at most 63)", v));

	v = r->f[C_DISPLAY] && r->f[C_DISPLAY][0] ? r->f[C_DISPLAY] : r->p.login;
	if (strlen(v) >= sizeof(r->p.display_name))
		BAD(row_err(ps, r, C_DISPLAY, EINVAL, "import.name.long", "",
			    "the name is longer than 127 bytes"));
	else
		snprintf(r->p.display_name, sizeof(r->p.display_name), "%s", v);

	if (parse_role(r->f[C_ROLE], &r->p.role))
		BAD(row_err(ps, r, C_ROLE, EINVAL, "import.role", r->f[C_ROLE],
			    "unknown role '%s' (student, teacher, staff or guest)", r->f[C_ROLE]));

	v = r->f[C_SCHOOL];
	if (strlen(v) >= sizeof(school.uai) || byod_uai_check(v, NULL)) {
		BAD(row_err(ps, r, C_SCHOOL, EINVAL, "import.school.uai", v, "'%s' is not a UAI",
			    v));
	} else if (scope && !reg_scope_has(scope, v)) {
		BAD(row_err(ps, r, C_SCHOOL, EACCES, "import.school.scope", v,
			    "the school '%s' is not one of the schools you administer", v));
	} else {
		rc = reg ? reg_school_get(reg, v, &school, NULL) : 0;
		if (rc == -ENOENT)
			BAD(row_err(ps, r, C_SCHOOL, ENOENT, "import.school.unknown", v,
				    "unknown school '%s' (add it first: byodctl school add)", v));
		else if (rc)
			return byod_err_set(ps->err, -rc, "cannot look up school '%s'", v);
		else
			snprintf(r->p.school, sizeof(r->p.school), "%s", v);
	}

	if (r->f[C_GROUPS] && join_groups(r->f[C_GROUPS], r->p.groups, sizeof(r->p.groups)))
		BAD(row_err(ps, r, C_GROUPS, EINVAL, "import.groups.long", "",
			    "the groups are longer than 255 bytes"));

	v = r->f[C_PASSWORD] ? r->f[C_PASSWORD] : "";
	if (is_crypt_hash(v)) {
		if (strlen(v) >= sizeof(r->p.password_hash))
			BAD(row_err(ps, r, C_PASSWORD, EINVAL, "import.hash.long", "",
				    "the hash is too long"));
		else
			snprintf(r->p.password_hash, sizeof(r->p.password_hash), "%s", v);
	} else {
		r->hash = v[0] != '\0';
	}
	r->p.state = REG_PERSON_ACTIVE;

	for (j = 0; r->p.login[0] && j < (size_t)(r - ps->rows); j++) {
		if (!strcmp(ps->rows[j].p.login, r->p.login)) {
			char line[16];

			snprintf(line, sizeof(line), "%d", ps->rows[j].line);
			BAD(row_err(ps, r, C_LOGIN, EEXIST, "import.login.twice", line,
				    "the login is already on line %d of this file",
				    ps->rows[j].line));
			break;
		}
	}
#undef BAD
	return first;
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
		rc = check_row(NULL, NULL, &ps, &ps.rows[i]);
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
		rc = check_row(ctx->reg, NULL, &ps, &ps.rows[i]);
	if (rc)
		goto out;
	bad = hash_all(ps.rows, ps.nrows, ctx->conf.auth_yescrypt_cost);
	if (bad >= 0) {
		rc = row_err(&ps, &ps.rows[bad], C_PASSWORD, -ps.rows[bad].rc, "import.hash", "",
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
			row_err(&ps, r, rc == -EEXIST ? C_LOGIN : C_SCHOOL, -rc, "import.write", why,
				"%s", why);
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

/* ---- the console's plan and commit ---------------------------------------- */

static void sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL))
		memset(out, 0, 32);
}

static void dig_bytes(EVP_MD_CTX *md, const void *p, size_t n)
{
	EVP_DigestUpdate(md, p, n);
}

/* A string and its NUL: "ab" "c" and "a" "bc" differ. */
static void dig_str(EVP_MD_CTX *md, const char *s)
{
	dig_bytes(md, s, strlen(s) + 1);
}

static void dig_int(EVP_MD_CTX *md, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	dig_str(md, buf);
}

static void dig_person(EVP_MD_CTX *md, const struct reg_person *p)
{
	dig_int(md, p->id);
	dig_str(md, p->login);
	dig_str(md, p->display_name);
	dig_int(md, p->role);
	dig_str(md, p->school);
	dig_str(md, p->groups);
	dig_int(md, p->state);
}

/* The plan's digest: its text, its problems, and for each item what it
 * read and what it would write. */
static int plan_digest(struct byod_import_plan *pl)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;
	size_t i;
	int rc = 0;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	dig_bytes(md, pl->text_sha256, 32);
	dig_int(md, (long long)(pl->nproblems + pl->more));
	for (i = 0; i < pl->nproblems; i++) {
		dig_int(md, pl->problems[i].line);
		dig_int(md, pl->problems[i].col);
		dig_str(md, pl->problems[i].key);
		dig_str(md, pl->problems[i].value);
	}
	dig_int(md, (long long)pl->nitems);
	for (i = 0; i < pl->nitems; i++) {
		const struct byod_import_item *it = &pl->items[i];

		dig_int(md, it->line);
		dig_int(md, it->kind);
		dig_int(md, it->changes);
		dig_int(md, it->password);
		dig_person(md, &it->before);
		dig_person(md, &it->after);
	}
	if (!EVP_DigestFinal_ex(md, pl->digest, &n))
		rc = -EIO;
out:
	EVP_MD_CTX_free(md);
	return rc;
}

static unsigned person_diff(const struct reg_person *a, const struct reg_person *b)
{
	unsigned d = 0;

	if (strcmp(a->display_name, b->display_name))
		d |= BYOD_IMPORT_NAME;
	if (a->role != b->role)
		d |= BYOD_IMPORT_ROLE;
	if (strcmp(a->school, b->school))
		d |= BYOD_IMPORT_SCHOOL;
	if (strcmp(a->groups, b->groups))
		d |= BYOD_IMPORT_GROUPS;
	return d;
}

/* What row r does to the registry: an item, or a problem when the login
 * belongs to an account outside the scope. */
static int plan_row(struct reg *reg, const struct reg_scope *scope, struct parse *ps,
		    struct row *r, struct byod_import_plan *pl, size_t *cap)
{
	struct byod_import_item *it;
	struct reg_person before;
	int rc;

	rc = reg_person_get(reg, r->p.login, &before, NULL);
	if (rc && rc != -ENOENT)
		return byod_err_set(ps->err, -rc, "cannot look up the account '%s'", r->p.login);
	explicit_bzero(before.password_hash, sizeof(before.password_hash));
	if (!rc && !(scope ? reg_scope_has(scope, before.school) : 1)) {
		row_err(ps, r, C_LOGIN, EEXIST, "import.login.taken", r->p.login,
			"the login '%s' belongs to an account outside your schools", r->p.login);
		return 0;
	}
	it = BYOD_ARRAY_PUSH(pl->items, pl->nitems, *cap);
	if (!it)
		return byod_err_set(ps->err, ENOMEM, "out of memory");
	memset(it, 0, sizeof(*it));
	it->line = r->line;
	it->after = r->p;
	explicit_bzero(it->after.password_hash, sizeof(it->after.password_hash));
	if (rc == -ENOENT) {
		it->kind = BYOD_IMPORT_ADD;
		it->password = r->hash || r->p.password_hash[0];
		pl->adds++;
		return 0;
	}
	it->before = before;
	/* what the file does not give, the account keeps */
	if (!r->f[C_DISPLAY] || !r->f[C_DISPLAY][0])
		snprintf(it->after.display_name, sizeof(it->after.display_name), "%s",
			 before.display_name);
	if (!r->f[C_GROUPS])
		snprintf(it->after.groups, sizeof(it->after.groups), "%s", before.groups);
	it->after.id = before.id;
	it->after.state = before.state;
	it->after.created = before.created;
	/* the identity source a person signs in through stays theirs */
	snprintf(it->after.source, sizeof(it->after.source), "%s", before.source);
	it->changes = person_diff(&before, &it->after);
	it->kind = it->changes ? BYOD_IMPORT_UPDATE : BYOD_IMPORT_SAME;
	if (it->changes)
		pl->updates++;
	else
		pl->same++;
	return 0;
}

/* Problems in the file's order: by line, then column. */
static int problem_cmp(const void *a, const void *b)
{
	const struct byod_import_problem *x = a, *y = b;
	int d;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	d = strcmp(x->key, y->key);
	return d ? d : strcmp(x->value, y->value);
}

/* The plan into pl; ps keeps the rows (their passwords) for a commit. */
static int plan_build(struct reg *reg, const struct reg_scope *scope, const char *name,
		      const void *data, size_t len, struct parse *ps,
		      struct byod_import_plan *pl, struct byod_err *err)
{
	size_t i, cap = 0;
	int rc;

	memset(ps, 0, sizeof(*ps));
	ps->path = name;
	ps->err = err;
	ps->collect = pl;
	sha256(data, len, pl->text_sha256);
	rc = parse_file(ps, data, len);
	if (ps->oom || rc == -ENOMEM)
		return byod_err_set(err, ENOMEM, "out of memory");
	pl->rows = (int)ps->nrows;
	/* the rows read before a fault of the file's structure are checked too */
	for (i = 0; ps->header_done && i < ps->nrows; i++) {
		rc = check_row(reg, scope, ps, &ps->rows[i]);
		if (rc && !ps->rows[i].bad)
			return rc; /* the registry, not the file */
	}
	for (i = 0; reg && ps->header_done && i < ps->nrows; i++) {
		if (ps->rows[i].bad)
			continue;
		rc = plan_row(reg, scope, ps, &ps->rows[i], pl, &cap);
		if (rc)
			return rc;
	}
	if (ps->oom)
		return byod_err_set(err, ENOMEM, "out of memory");
	if (pl->nproblems > 1)
		qsort(pl->problems, pl->nproblems, sizeof(pl->problems[0]), problem_cmp);
	rc = plan_digest(pl);
	if (rc)
		return byod_err_set(err, -rc, "cannot compute the import's digest");
	return 0;
}

void byod_import_plan_free(struct byod_import_plan *plan)
{
	if (!plan)
		return;
	free(plan->problems);
	if (plan->items)
		explicit_bzero(plan->items, plan->nitems * sizeof(plan->items[0]));
	free(plan->items);
	free(plan);
}

int byod_import_plan(struct reg *reg, const struct reg_scope *scope, const char *name,
		     const void *data, size_t len, struct byod_import_plan **out,
		     struct byod_err *err)
{
	struct byod_import_plan *pl = calloc(1, sizeof(*pl));
	struct parse ps;
	int rc;

	*out = NULL;
	if (!pl)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = plan_build(reg, scope, name, data, len, &ps, pl, err);
	parse_free(&ps);
	if (rc) {
		byod_import_plan_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

/* The account as the plan read it, and as it is now: the same? */
static int same_person(const struct reg_person *a, const struct reg_person *b)
{
	return a->id == b->id && !person_diff(a, b) && a->state == b->state;
}

/* Writes the plan's items (inside the caller's transaction), each account
 * read again first: -ESTALE when one is not as the plan read it. */
static int commit_items(struct reg *reg, struct parse *ps, struct byod_import_plan *pl,
			struct byod_err *err)
{
	struct reg_person now, p;
	size_t i, j = 0;
	int rc = 0;

	for (i = 0; i < pl->nitems && !rc; i++) {
		const struct byod_import_item *it = &pl->items[i];
		const struct row *r;

		/* the row of the item: the good rows in order */
		while (j < ps->nrows && (ps->rows[j].bad || ps->rows[j].line != it->line))
			j++;
		if (j == ps->nrows)
			return byod_err_set(err, EIO, "the import lost its rows");
		r = &ps->rows[j];
		rc = reg_person_get(reg, it->after.login, &now, NULL);
		explicit_bzero(now.password_hash, sizeof(now.password_hash));
		if (it->kind == BYOD_IMPORT_ADD ? rc != -ENOENT
						: rc || !same_person(&now, &it->before)) {
			if (rc && rc != -ENOENT)
				return byod_err_set(err, -rc, "cannot read the account '%s'",
						    it->after.login);
			return byod_err_set_at(err, ESTALE, ps->path, it->line, 0,
					       "the account '%s' changed since the preview",
					       it->after.login);
		}
		rc = 0;
		if (it->kind == BYOD_IMPORT_ADD) {
			p = it->after;
			memcpy(p.password_hash, r->p.password_hash, sizeof(p.password_hash));
			rc = reg_person_add(reg, &p, err);
			explicit_bzero(&p, sizeof(p));
		} else if (it->kind == BYOD_IMPORT_UPDATE) {
			rc = reg_person_update(reg, &it->after, err);
		}
		if (rc)
			byod_err_prefix(err, "%s:%d: ", ps->path, it->line);
	}
	return rc;
}

int byod_import_commit(struct reg *reg, const struct reg_scope *scope, int cost, const char *name,
		       const void *data, size_t len, const unsigned char expect[32],
		       struct byod_import_result *res, struct byod_err *err)
{
	return byod_import_commit_hooked(reg, scope, cost, name, data, len, expect, NULL, res,
					 err);
}

int byod_import_commit_hooked(struct reg *reg, const struct reg_scope *scope, int cost,
			      const char *name, const void *data, size_t len,
			      const unsigned char expect[32], const struct byod_import_hook *hook,
			      struct byod_import_result *res, struct byod_err *err)
{
	struct byod_import_plan *pl = calloc(1, sizeof(*pl));
	struct parse ps;
	size_t i;
	int rc, bad;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!pl)
		return byod_err_set(err, ENOMEM, "out of memory");
	rc = plan_build(reg, scope, name, data, len, &ps, pl, err);
	if (rc)
		goto out;
	if (pl->nproblems || pl->more) {
		rc = -EINVAL; /* err holds the first problem */
		goto out;
	}
	if (expect && memcmp(expect, pl->digest, sizeof(pl->digest))) {
		rc = byod_err_set(err, ESTALE,
				  "the registry changed since the preview: the import would not "
				  "do what it showed");
		goto out;
	}
	if (hook && hook->planned) {
		rc = hook->planned(reg, pl, hook->arg, err);
		if (rc)
			goto out;
	}
	/* only the accounts added get the file's passwords */
	for (i = 0; i < ps.nrows; i++) {
		size_t k;

		for (k = 0; k < pl->nitems && pl->items[k].line != ps.rows[i].line; k++)
			;
		if (k == pl->nitems || pl->items[k].kind != BYOD_IMPORT_ADD)
			ps.rows[i].hash = 0;
	}
	bad = hash_all(ps.rows, ps.nrows, cost);
	if (bad >= 0) {
		rc = row_err(&ps, &ps.rows[bad], C_PASSWORD, -ps.rows[bad].rc, "import.hash", "",
			     "the password could not be hashed");
		goto out;
	}
	rc = reg_begin(reg, err);
	if (rc)
		goto out;
	rc = commit_items(reg, &ps, pl, err);
	if (!rc && hook && hook->in_tx)
		rc = hook->in_tx(reg, pl, hook->arg, err);
	if (!rc)
		rc = reg_commit(reg, err);
	if (rc) {
		reg_rollback(reg);
		goto out;
	}
	if (res) {
		res->added = (int)pl->adds;
		res->updated = (int)pl->updates;
		res->rows = res->added + res->updated;
	}
out:
	parse_free(&ps);
	byod_import_plan_free(pl);
	return rc;
}
