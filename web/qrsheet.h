/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A printable sheet of one-time enrolment codes for a class: one card per
 * pupil with their name, a QR code of the portal link that stands in for
 * their login, the same link in text, and when it expires. Built with the
 * escaping page builder; the QR codes are inline SVG from libqrencode, so
 * the sheet is one self-contained HTML file to print.
 */
#ifndef WEB_QRSHEET_H
#define WEB_QRSHEET_H

#include <stddef.h>
#include <time.h>

#include "byod_err.h"

struct web_qr_card {
	const char *name;  /* the pupil's name as printed */
	const char *login;
	const char *url;   /* the one-time link */
};

/* Appends the QR code of text as an SVG element (one <path> of dark
 * modules, a 4-module quiet zone) to h; -EINVAL when text does not fit a QR
 * code, -ENOMEM. */
struct web_html;
int web_qr_svg(struct web_html *h, const char *text);
/* The same with label as the image's accessible name (aria-label): what a
 * screen reader says instead of reading the squares. */
int web_qr_svg_named(struct web_html *h, const char *text, const char *label);

/* The whole sheet (title, then one card per pupil; French labels, as the
 * school prints it) into *out (malloc'd, NUL-terminated). */
int web_qrsheet(const char *school, const char *title, const struct web_qr_card *cards, size_t n,
		   time_t expires, char **out, size_t *len, struct byod_err *err);

#endif /* WEB_QRSHEET_H */
