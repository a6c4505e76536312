// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the line diff (web/linediff.c): identical texts, an
 * empty side, a change in the middle, line numbers on both sides, CRLF
 * and a last line without its end, the shortest diff where the greedy one
 * is longer, and a property check: on random texts, the kept lines and the
 * deleted ones give back the old text, the kept and the added the new one,
 * and the kept lines are as many as the longest common subsequence
 * computed here by another method (recursion with memoisation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linediff.h"

/* The diff as one string: " a", "-b", "+c" lines joined by '|'. */
static void render(const struct web_diff *d, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < d->n && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%c%.*s", i ? "|" : "",
				      d->v[i].op == WEB_DIFF_SAME  ? ' '
				      : d->v[i].op == WEB_DIFF_DEL ? '-'
								   : '+',
				      (int)d->v[i].len, d->v[i].text);
}

static void diff_is(const char *a, const char *b, const char *want)
{
	struct web_diff d;
	struct byod_err err;
	char got[4096];

	assert_int_equal(web_line_diff(a, strlen(a), b, strlen(b), &d, &err), 0);
	render(&d, got, sizeof(got));
	assert_string_equal(got, want);
	web_diff_free(&d);
}

static void test_same(void **state)
{
	(void)state;
	diff_is("a\nb\nc\n", "a\nb\nc\n", " a| b| c");
	diff_is("", "", "");
}

static void test_empty_side(void **state)
{
	(void)state;
	diff_is("", "x\ny\n", "+x|+y");
	diff_is("x\ny\n", "", "-x|-y");
}

static void test_middle(void **state)
{
	struct web_diff d;
	const char *a = "segments:\n  a: 1\n  b: 2\ndefault: a\n";
	const char *b = "segments:\n  a: 1\n  b: 3\n  c: 4\ndefault: a\n";

	(void)state;
	diff_is(a, b, " segments:|   a: 1|-  b: 2|+  b: 3|+  c: 4| default: a");
	assert_int_equal(web_line_diff(a, strlen(a), b, strlen(b), &d, NULL), 0);
	assert_int_equal(d.added, 2);
	assert_int_equal(d.deleted, 1);
	/* line numbers on each side */
	assert_int_equal(d.v[2].old_no, 3);
	assert_int_equal(d.v[2].new_no, 0);
	assert_int_equal(d.v[3].old_no, 0);
	assert_int_equal(d.v[3].new_no, 3);
	assert_int_equal(d.v[4].new_no, 4);
	assert_int_equal(d.v[5].old_no, 4);
	assert_int_equal(d.v[5].new_no, 5);
	web_diff_free(&d);
}

static void test_line_ends(void **state)
{
	(void)state;
	/* CRLF is the same line as LF; a last line without its end counts */
	diff_is("a\r\nb\r\n", "a\nb", " a| b");
	diff_is("a\nb", "a\nc", " a|-b|+c");
	diff_is("\n\n", "\n", " |-");
}

static void test_shortest(void **state)
{
	(void)state;
	/* matching the first equal line greedily (a with the second a) would
	 * keep one line; the LCS keeps a b c */
	diff_is("x\na\nb\nc\n", "a\nb\nc\nx\n", "-x| a| b| c|+x");
	/* the classic example (Myers 1986): 4 lines kept, 3 deleted, 2 added;
	 * a deletion before an addition where both are as short */
	diff_is("a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", "-a|-b| c|-a| b|+a| b| a|+c");
}

/* ---- property check ----------------------------------------------------- */

static int memo[40][40];
static const char *pa[40], *pb[40];
static int la, lb;

static int lcs(int i, int j)
{
	int x, y;

	if (i == la || j == lb)
		return 0;
	if (memo[i][j] >= 0)
		return memo[i][j];
	if (!strcmp(pa[i], pb[j]))
		return memo[i][j] = lcs(i + 1, j + 1) + 1;
	x = lcs(i + 1, j);
	y = lcs(i, j + 1);
	return memo[i][j] = x > y ? x : y;
}

static void test_random(void **state)
{
	static const char *words[] = {"a", "b", "c", "d"};
	char a[256], b[256], back_a[256], back_b[256];
	struct web_diff d;
	size_t i, na, nb;
	int round, kept, k;

	(void)state;
	srand(19);
	for (round = 0; round < 500; round++) {
		la = rand() % 30;
		lb = rand() % 30;
		na = nb = 0;
		for (k = 0; k < la; k++) {
			pa[k] = words[rand() % 4];
			na += (size_t)snprintf(a + na, sizeof(a) - na, "%s\n", pa[k]);
		}
		for (k = 0; k < lb; k++) {
			pb[k] = words[rand() % 4];
			nb += (size_t)snprintf(b + nb, sizeof(b) - nb, "%s\n", pb[k]);
		}
		a[na] = b[nb] = '\0';
		assert_int_equal(web_line_diff(a, na, b, nb, &d, NULL), 0);
		back_a[0] = back_b[0] = '\0';
		kept = 0;
		for (i = 0; i < d.n; i++) {
			char line[8];

			snprintf(line, sizeof(line), "%.*s\n", (int)d.v[i].len, d.v[i].text);
			if (d.v[i].op != WEB_DIFF_ADD)
				strcat(back_a, line);
			if (d.v[i].op != WEB_DIFF_DEL)
				strcat(back_b, line);
			kept += d.v[i].op == WEB_DIFF_SAME;
		}
		assert_string_equal(back_a, a);
		assert_string_equal(back_b, b);
		memset(memo, -1, sizeof(memo));
		assert_int_equal(kept, lcs(0, 0));
		assert_int_equal(d.added, lb - kept);
		assert_int_equal(d.deleted, la - kept);
		web_diff_free(&d);
	}
}

static void test_too_big(void **state)
{
	/* 3000 lines against 3000 others: past the table's bound, the middle
	 * is deleted then added, the common ends kept */
	size_t n = 3000, i, la_ = 0, lb_ = 0;
	char *a = malloc(n * 12 + 32), *b = malloc(n * 12 + 32);
	struct web_diff d;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	la_ += (size_t)sprintf(a, "head\n");
	lb_ += (size_t)sprintf(b, "head\n");
	for (i = 0; i < n; i++) {
		la_ += (size_t)sprintf(a + la_, "a%zu\n", i);
		lb_ += (size_t)sprintf(b + lb_, "b%zu\n", i);
	}
	la_ += (size_t)sprintf(a + la_, "tail\n");
	lb_ += (size_t)sprintf(b + lb_, "tail\n");
	assert_int_equal(web_line_diff(a, la_, b, lb_, &d, NULL), 0);
	assert_int_equal(d.n, 2 * n + 2);
	assert_int_equal(d.v[0].op, WEB_DIFF_SAME);
	assert_int_equal(d.v[1].op, WEB_DIFF_DEL);
	assert_int_equal(d.v[n + 1].op, WEB_DIFF_ADD);
	assert_int_equal(d.v[2 * n + 1].op, WEB_DIFF_SAME);
	assert_int_equal(d.v[2 * n + 1].old_no, (int)n + 2);
	assert_int_equal(d.added, (int)n);
	web_diff_free(&d);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),	 cmocka_unit_test(test_empty_side),
		cmocka_unit_test(test_middle),	 cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_shortest), cmocka_unit_test(test_random),
		cmocka_unit_test(test_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
