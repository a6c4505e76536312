#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A person's browser at LemonLDAP::NG's SAML IdP, for test_identity_saml:
follows the gateway's redirect URL (a signed AuthnRequest), gets the login
form, posts it back with its hidden fields (url, the anti-CSRF token...), the
login and the password (read from a file, never argv), and prints what the
IdP's auto-submitted form would POST to the ACS: SAMLResponse on the first
line, RelayState on the second. With --as MD KEY, the AuthnRequest is made
again by the service provider of metadata MD (signed with KEY) with the same
ID and RelayState, as another service provider would ask (python3-lasso).
Usage: saml-browser.py CA URL USER PASSWORD_FILE [--as MD KEY IDP_MD]"""
import base64
import html
import re
import subprocess
import sys
import tempfile
import urllib.parse
import zlib
from html.parser import HTMLParser

ca, url, user, pwfile = sys.argv[1:5]

if len(sys.argv) > 5 and sys.argv[5] == "--as":
    import lasso
    md, key, idp_md = sys.argv[6:9]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    xml = zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15).decode()
    req_id = re.search(r'\bID="([^"]+)"', xml).group(1)
    server = lasso.Server(md, key, None, None)
    server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
    server.addProvider(lasso.PROVIDER_ROLE_IDP, idp_md, None, None)
    login = lasso.Login(server)
    login.initAuthnRequest(list(server.providerIds)[0], lasso.HTTP_METHOD_REDIRECT)
    login.request.nameIdPolicy.format = lasso.SAML2_NAME_IDENTIFIER_FORMAT_TRANSIENT
    login.request.nameIdPolicy.allowCreate = True
    login.request.protocolBinding = lasso.SAML2_METADATA_BINDING_POST
    login.request.id = req_id
    login.msgRelayState = q.get("RelayState", [""])[0]
    login.buildAuthnRequestMsg()
    url = login.msgUrl

jar = tempfile.NamedTemporaryFile(prefix="saml-jar.")


def curl(*a):
    return subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", ca,
                           "-b", jar.name, "-c", jar.name, *a],
                          check=True, capture_output=True, text=True).stdout


hidden = {}


class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            hidden[a["name"]] = a.get("value") or ""


P().feed(curl(url))
args = ["--data-urlencode", f"user={user}", "--data-urlencode", f"password@{pwfile}"]
for k, v in hidden.items():
    args += ["--data-urlencode", f"{k}={v}"]
page = curl(*args, url)
m = re.search(r'name="SAMLResponse"\s+value="([^"]+)"', page)
if not m:
    sys.exit("saml-browser.py: no SAMLResponse in the IdP's answer:\n" + page[:1500])
r = re.search(r'name="RelayState"\s+value="([^"]*)"', page)
print(html.unescape(m.group(1)))
print(html.unescape(r.group(1)) if r else "")
