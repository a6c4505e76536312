// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The class sheet of one-time enrolment codes: cards to cut out, each with
 * a QR code of the pupil's link. The SVG is built from libqrencode's module
 * matrix as one path of unit squares (small, crisp at any print size).
 */
#include "qrsheet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "html.h"

int web_qr_svg(struct web_html *h, const char *text)
{
	return web_qr_svg_named(h, text, NULL);
}

int web_qr_svg_named(struct web_html *h, const char *text, const char *label)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char box[32], cell[48];
	int x, y, w;

	if (!qr)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	w = qr->width + 8; /* a quiet zone of 4 modules on each side */
	snprintf(box, sizeof(box), "0 0 %d %d", w, w);
	web_html_markup(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
			      "shape-rendering=\"crispEdges\" class=\"qr\"");
	if (label)
		web_html_attr(h, "aria-label", label);
	web_html_attr(h, "viewbox", box);
	web_html_markup(h, "><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
			      "<path fill=\"#000\" d=\"");
	for (y = 0; y < qr->width; y++)
		for (x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1) {
				snprintf(cell, sizeof(cell), "M%d %dh1v1h-1z", x + 4, y + 4);
				web_html_text(h, cell);
			}
	web_html_markup(h, "\"/></svg>");
	QRcode_free(qr);
	return 0;
}

int web_qrsheet(const char *school, const char *title, const struct web_qr_card *cards, size_t n,
		   time_t expires, char **out, size_t *len, struct byod_err *err)
{
	struct web_html h;
	char until[64];
	struct tm tm;
	size_t i;
	int rc;

	localtime_r(&expires, &tm);
	strftime(until, sizeof(until), "%d/%m/%Y %H:%M", &tm);
	web_html_init(&h);
	web_html_markup(&h, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
			       "<title>");
	web_html_text(&h, title);
	web_html_markup(&h, "</title><style>");
	web_html_markup(&h, "body{font:11pt/1.3 system-ui,sans-serif;margin:1cm}"
			       ".cards{display:flex;flex-wrap:wrap;gap:.4cm}"
			       ".card{width:8.5cm;border:1px dashed #555;padding:.3cm;"
			       "break-inside:avoid}"
			       ".qr{width:4cm;height:4cm;float:right}"
			       ".url{font:7pt monospace;word-break:break-all}");
	web_html_markup(&h, "</style></head><body><h1>");
	web_html_text(&h, title);
	web_html_markup(&h, "</h1><p>");
	web_html_text(&h, school);
	web_html_markup(&h, " — codes à usage unique, valables jusqu’au ");
	web_html_text(&h, until);
	web_html_markup(&h, ". Scannez votre code avec l’appareil à inscrire.</p>"
			       "<div class=\"cards\">");
	for (i = 0; i < n; i++) {
		web_html_markup(&h, "<div class=\"card\">");
		rc = web_qr_svg(&h, cards[i].url);
		if (rc) {
			web_html_free(&h);
			return byod_err_set(err, -rc, "the link for %s does not fit a QR code",
					    cards[i].login);
		}
		web_html_markup(&h, "<p><strong>");
		web_html_text(&h, cards[i].name);
		web_html_markup(&h, "</strong><br>");
		web_html_text(&h, cards[i].login);
		web_html_markup(&h, "</p><p class=\"url\">");
		web_html_text(&h, cards[i].url);
		web_html_markup(&h, "</p></div>");
	}
	web_html_markup(&h, "</div></body></html>\n");
	*out = web_html_take(&h, len);
	if (!*out)
		return byod_err_set(err, ENOMEM, "out of memory");
	return 0;
}
