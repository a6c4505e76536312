#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Adds a SAML 2.0 identity provider to the LemonLDAP::NG configuration that
llng-conf.py wrote (DIR/conf/lmConf-1.json), for the SAML test (saml.sh): its
signing key (RSA-SHA256), three service providers registered from their
metadata, each returning the school attributes: the gateway (byodsp, plain
signed assertions), the gateway again under another entityID whose
assertions are encrypted to its key (byodenc), and another service provider
(othersp) whose assertions are for another audience.
Usage: saml-llng.py DIR IDP_KEY IDP_CRT SP_MD ENC_MD OTHER_MD"""
import json
import os
import sys

D, IDP_KEY, IDP_CRT, SP_MD, ENC_MD, OTHER_MD = sys.argv[1:7]


def text(path):
    with open(path) as f:
        return f.read()


def attr(name, mandatory=1):
    return f"{mandatory};{name};urn:oasis:names:tc:SAML:2.0:attrname-format:basic"


def options(enc):
    return {"samlSPMetaDataOptionsNameIDFormat": "transient",
            "samlSPMetaDataOptionsSignSSOMessage": 1,
            # the AuthnRequest must be signed: an unsigned one gets no answer
            "samlSPMetaDataOptionsCheckSSOMessageSignature": 1,
            "samlSPMetaDataOptionsEncryptionMode": enc,
            "samlSPMetaDataOptionsNotOnOrAfterTimeout": 300,
            "samlSPMetaDataOptionsSessionNotOnOrAfterTimeout": 3600,
            "samlSPMetaDataOptionsOneTimeUse": 0}


ATTRS = {"uid": attr("uid"), "cn": attr("cn", 0), "role": attr("role", 0),
         "uai": attr("uai", 0), "classe": attr("classe", 0)}
path = f"{D}/conf/lmConf-1.json"
with open(path) as f:
    conf = json.load(f)
conf.update({
    "issuerDBSAMLActivation": 1,
    # #PORTAL# loses its trailing slash: https://localhost:PORT/saml/metadata
    "samlEntityID": "#PORTAL#/saml/metadata",
    "samlServicePrivateKeySig": text(IDP_KEY), "samlServicePrivateKeySigPwd": "",
    "samlServicePublicKeySig": text(IDP_CRT),
    "samlServiceSignatureMethod": "RSA_SHA256",
    "samlServiceUseCertificateInResponse": 1,
    "samlOrganizationName": "BYOD test", "samlOrganizationDisplayName": "BYOD test IdP",
    "samlOrganizationURL": conf["portal"],
    "samlSPMetaDataXML": {"byodsp": {"samlSPMetaDataXML": text(SP_MD)},
                          "byodenc": {"samlSPMetaDataXML": text(ENC_MD)},
                          "othersp": {"samlSPMetaDataXML": text(OTHER_MD)}},
    "samlSPMetaDataOptions": {"byodsp": options("none"), "byodenc": options("assertion"),
                              "othersp": options("none")},
    "samlSPMetaDataExportedAttributes": {"byodsp": ATTRS, "byodenc": ATTRS, "othersp": ATTRS},
    "samlSPMetaDataMacros": {"byodsp": {}, "byodenc": {}, "othersp": {}},
})
old = os.umask(0o077)
with open(path, "w") as f:
    json.dump(conf, f, indent=1, sort_keys=True)
os.umask(old)
