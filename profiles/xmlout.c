// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libxml2 tree building for the XML profile formats: every text goes
 * through xmlNewTextChild/xmlNewProp, which escape it, so no value can
 * change the document's structure.
 */
#include "xmlout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

xmlNodePtr xml_child(xmlNodePtr parent, const char *ns, const char *name, const char *text)
{
	xmlNodePtr n = xmlNewTextChild(parent, NULL, (const xmlChar *)name, (const xmlChar *)text);
	xmlNsPtr d;

	if (!n)
		return NULL;
	if (ns) {
		d = xmlNewNs(n, (const xmlChar *)ns, NULL);
		if (!d)
			return NULL;
		xmlSetNs(n, d);
	} else if (parent) {
		/* children stay in their parent's namespace */
		xmlSetNs(n, parent->ns);
	}
	return n;
}

int xml_attr(xmlNodePtr node, const char *name, const char *value)
{
	return xmlNewProp(node, (const xmlChar *)name, (const xmlChar *)value) ? 0 : -ENOMEM;
}

char *xml_base64(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int xml_finish(xmlDocPtr doc, const char *type, const char *filename, struct profile_out *out)
{
	xmlChar *mem = NULL;
	int n = 0;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &n, "UTF-8", 1);
	if (!mem || n <= 0) {
		xmlFree(mem);
		return -ENOMEM;
	}
	out->data = malloc((size_t)n);
	if (!out->data) {
		explicit_bzero(mem, (size_t)n);
		xmlFree(mem);
		return -ENOMEM;
	}
	memcpy(out->data, mem, (size_t)n);
	out->len = (size_t)n;
	explicit_bzero(mem, (size_t)n);
	xmlFree(mem);
	out->type = type;
	snprintf(out->filename, sizeof(out->filename), "%s", filename);
	return 0;
}
