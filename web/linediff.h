/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A line diff of two texts (the longest common subsequence of their
 * lines), for pages that show what changed between two versions of a
 * text: the console's policy editor shows it when a form is stale (the
 * running policy changed since the page was loaded).
 */
#ifndef WEB_LINEDIFF_H
#define WEB_LINEDIFF_H

#include <stddef.h>

#include "byod_err.h"

enum web_diff_op { WEB_DIFF_SAME, WEB_DIFF_DEL, WEB_DIFF_ADD };

/* One line of the diff: kept, only in the old text, or only in the new. */
struct web_diff_line {
	enum web_diff_op op;
	const char *text; /* points into the old (SAME, DEL) or the new (ADD) text */
	size_t len;	  /* without its end of line */
	int old_no;	  /* 1-based line in the old text, 0 for ADD */
	int new_no;	  /* 1-based line in the new text, 0 for DEL */
};

struct web_diff {
	struct web_diff_line *v;
	size_t n;
	int added, deleted;
};

/* The largest product of the two texts' lines (once their common first and
 * last lines are set aside) compared line by line; beyond it the middle is
 * shown as deleted then added, still a true diff, only not the shortest. */
#define WEB_DIFF_MAX_CELLS (4u * 1024 * 1024)

/*
 * Diffs old (old_len bytes) against new (new_len bytes), lines ended by
 * "\n" or "\r\n" (a last line without one counts); out points into both
 * texts, which must outlive it. 0, or -ENOMEM (err set).
 */
int web_line_diff(const char *old, size_t old_len, const char *new, size_t new_len,
		  struct web_diff *out, struct byod_err *err);
void web_diff_free(struct web_diff *d);

#endif /* WEB_LINEDIFF_H */
