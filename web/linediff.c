// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The line diff: both texts cut into lines, their common first and last
 * lines set aside, then the classic dynamic programme of the longest
 * common subsequence on what is left (a table of lengths from the end,
 * walked from the start, deletions before additions at each change), as
 * long as that table stays under WEB_DIFF_MAX_CELLS; beyond, the middle is
 * all deleted then all added.
 */
#include "linediff.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct line {
	const char *p;
	size_t len;
};

/* The lines of text into *out (malloc'd), their ends cut off. */
static int split(const char *text, size_t len, struct line **out, size_t *n)
{
	size_t i, start = 0, count = 0, k = 0;
	struct line *v;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			count++;
	if (len && text[len - 1] != '\n')
		count++;
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i <= len && k < count; i++) {
		if (i == len || text[i] == '\n') {
			size_t l = i - start;

			if (l && text[start + l - 1] == '\r')
				l--;
			v[k].p = text + start;
			v[k].len = l;
			k++;
			start = i + 1;
		}
	}
	*out = v;
	*n = count;
	return 0;
}

static int same(const struct line *a, const struct line *b)
{
	return a->len == b->len && !memcmp(a->p, b->p, a->len);
}

static void push(struct web_diff *d, enum web_diff_op op, const struct line *l, int old_no,
		 int new_no)
{
	struct web_diff_line *x = &d->v[d->n++];

	x->op = op;
	x->text = l->p;
	x->len = l->len;
	x->old_no = op == WEB_DIFF_ADD ? 0 : old_no;
	x->new_no = op == WEB_DIFF_DEL ? 0 : new_no;
	if (op == WEB_DIFF_ADD)
		d->added++;
	if (op == WEB_DIFF_DEL)
		d->deleted++;
}

int web_line_diff(const char *old, size_t old_len, const char *new, size_t new_len,
		  struct web_diff *out, struct byod_err *err)
{
	struct line *a = NULL, *b = NULL;
	uint32_t *t = NULL;
	size_t na = 0, nb = 0, pre = 0, suf = 0, ma, mb, i, j, k;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = split(old, old_len, &a, &na);
	if (!rc)
		rc = split(new, new_len, &b, &nb);
	if (rc)
		goto out;
	out->v = calloc(na + nb ? na + nb : 1, sizeof(*out->v));
	if (!out->v) {
		rc = -ENOMEM;
		goto out;
	}
	while (pre < na && pre < nb && same(&a[pre], &b[pre]))
		pre++;
	while (suf < na - pre && suf < nb - pre && same(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	ma = na - pre - suf;
	mb = nb - pre - suf;
	for (k = 0; k < pre; k++)
		push(out, WEB_DIFF_SAME, &a[k], (int)k + 1, (int)k + 1);
	if (ma && mb && (ma + 1) * (mb + 1) <= WEB_DIFF_MAX_CELLS) {
		/* t[i][j]: the LCS length of a[pre+i..] and b[pre+j..] */
		size_t w = mb + 1;

		t = calloc((ma + 1) * w, sizeof(*t));
		if (!t) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = ma; i-- > 0;)
			for (j = mb; j-- > 0;)
				t[i * w + j] = same(&a[pre + i], &b[pre + j])
						       ? t[(i + 1) * w + j + 1] + 1
						       : (t[(i + 1) * w + j] >= t[i * w + j + 1]
								  ? t[(i + 1) * w + j]
								  : t[i * w + j + 1]);
		i = j = 0;
		while (i < ma || j < mb) {
			if (i < ma && j < mb && same(&a[pre + i], &b[pre + j])) {
				push(out, WEB_DIFF_SAME, &a[pre + i], (int)(pre + i) + 1,
				     (int)(pre + j) + 1);
				i++;
				j++;
			} else if (i < ma && (j == mb || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
				push(out, WEB_DIFF_DEL, &a[pre + i], (int)(pre + i) + 1, 0);
				i++;
			} else {
				push(out, WEB_DIFF_ADD, &b[pre + j], 0, (int)(pre + j) + 1);
				j++;
			}
		}
	} else {
		for (i = 0; i < ma; i++)
			push(out, WEB_DIFF_DEL, &a[pre + i], (int)(pre + i) + 1, 0);
		for (j = 0; j < mb; j++)
			push(out, WEB_DIFF_ADD, &b[pre + j], 0, (int)(pre + j) + 1);
	}
	for (k = 0; k < suf; k++)
		push(out, WEB_DIFF_SAME, &a[na - suf + k], (int)(na - suf + k) + 1,
		     (int)(nb - suf + k) + 1);
out:
	free(t);
	free(a);
	free(b);
	if (rc) {
		web_diff_free(out);
		byod_err_set(err, -rc, "out of memory for the difference of two texts");
	}
	return rc;
}

void web_diff_free(struct web_diff *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}
