#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""LemonLDAP::NG's configuration (File backend, lmConf-1.json) for the CAS
test (cas.sh): LDAP authentication on the test's slapd (StartTLS, its CA
checked, the service account searching then binding as the person), a CAS
3.0 server with one registered service, the gateway's callback, to which it
returns the school attributes, and back-channel single logout.
Usage: llng-conf.py DIR PORTAL_URL SERVICE_URL LDAP_PORT CA_FILE SVC_PW_FILE"""
import json
import os
import sys

D, PORTAL, SERVICE, LDAP_PORT, CA, SVC_PW = sys.argv[1:7]
PORTAL = PORTAL.rstrip("/") + "/"
with open(SVC_PW) as f:
    svc_pw = f.read().strip()
conf = {
    "cfgNum": 1, "cfgVersion": "2.16.1", "cfgAuthor": "byod-test", "cfgDate": "1700000000",
    "cookieName": "lemonldap", "securedCookie": 1, "httpOnly": 1,
    "portal": PORTAL,
    "domain": "localhost",  # required: an empty domain stops the portal
    "https": 1,
    "logLevel": "warn",
    "globalStorage": "Apache::Session::File",
    "globalStorageOptions": {"Directory": f"{D}/sessions", "LockDirectory": f"{D}/sessions/lock",
                             "generateModule":
                             "Lemonldap::NG::Common::Apache::Session::Generate::SHA256"},
    "persistentStorage": "Apache::Session::File",
    "persistentStorageOptions": {"Directory": f"{D}/psessions",
                                 "LockDirectory": f"{D}/psessions/lock"},
    "localSessionStorage": "Cache::FileCache",
    "localSessionStorageOptions": {"cache_depth": 3, "cache_root": f"{D}/cache",
                                   "default_expires_in": 600, "directory_umask": "007",
                                   "namespace": "lemonldap-ng-sessions"},
    "notification": 0, "loginHistoryEnabled": 0, "portalCheckLogins": 0,
    "locationRules": {"localhost": {"default": "accept"}},
    "exportedHeaders": {}, "groups": {}, "macros": {},
    "multiValuesSeparator": ";",
    "authentication": "LDAP", "userDB": "Same", "passwordDB": "LDAP", "registerDB": "Null",
    "ldapServer": f"ldap+tls://127.0.0.1:{LDAP_PORT}",  # StartTLS; the IP is in the SAN
    "ldapVerify": "require", "ldapCAFile": CA,
    "ldapBase": "ou=people,dc=college,dc=test",
    "managerDn": "cn=byod-svc,ou=services,dc=college,dc=test", "managerPassword": svc_pw,
    "AuthLDAPFilter": "(&(uid=$user)(objectClass=inetOrgPerson))",
    "ldapExportedVars": {"uid": "uid", "cn": "cn", "role": "ENTPersonProfils",
                         "uai": "ENTPersonStructRattach", "classe": "ENTEleveClasses"},
    "exportedVars": {},
    "issuerDBCASActivation": 1,
    "casAccessControlPolicy": "error",  # a service not registered gets no ticket
    "casStrictMatching": 1,
    "casBackChannelSingleLogout": 1,
    "casAttr": "uid",
    "casAppMetaDataOptions": {"byod": {"casAppMetaDataOptionsService": SERVICE,
                                       "casAppMetaDataOptionsUserAttribute": "uid"}},
    "casAppMetaDataExportedVars": {"byod": {"uid": "uid", "cn": "cn", "role": "role",
                                            "uai": "uai", "classe": "classe"}},
    "casAppMetaDataMacros": {"byod": {}},
}
os.makedirs(f"{D}/conf", exist_ok=True)
old = os.umask(0o077)
with open(f"{D}/conf/lmConf-1.json", "w") as f:
    json.dump(conf, f, indent=1, sort_keys=True)
os.umask(old)
