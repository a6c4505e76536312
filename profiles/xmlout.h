/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the XML profile formats share (eap-config, Windows WLAN profile):
 * building elements with libxml2's tree API, base64, and the serialised
 * document as a profile output.
 */
#ifndef PORTAL_PROFILE_XMLOUT_H
#define PORTAL_PROFILE_XMLOUT_H

#include <stddef.h>

#include <libxml/tree.h>

#include "profile.h"

/* A new child element of parent with text (NULL: none); when ns is given,
 * the element declares it as its default namespace. NULL when out of
 * memory (the document's memory flag is then set: see xml_failed). */
xmlNodePtr xml_child(xmlNodePtr parent, const char *ns, const char *name, const char *text);

/* Adds an attribute; returns 0 or -ENOMEM. */
int xml_attr(xmlNodePtr node, const char *name, const char *value);

/* base64 (no line breaks) of data, malloc'd; NULL when out of memory. */
char *xml_base64(const unsigned char *data, size_t len);

/* Serialises doc (UTF-8, indented) into out with type and filename;
 * -ENOMEM. The document is left to the caller. */
int xml_finish(xmlDocPtr doc, const char *type, const char *filename, struct profile_out *out);

#endif /* PORTAL_PROFILE_XMLOUT_H */
