# SPDX-License-Identifier: GPL-2.0-or-later
# LemonLDAP::NG behind nginx, as the identity tests start it (cas.sh,
# saml.sh, portal_cas.sh, portal_saml.sh): sourced, not run. The sourcing
# script sets H (this folder), P (the test PKI: ca.crt, server.crt/.key),
# ROOT (1 when run as root) and PIDS (the servers it stops at exit).
#
#   idt_llng_start D N PORT   LemonLDAP::NG's FastCGI server with the
#                             configuration already written in D (its
#                             lmConf, by llng-conf.py / saml-llng.py), behind
#                             an nginx of its own in N on 127.0.0.1:PORT with
#                             the test CA's server certificate; both as
#                             www-data when run as root (LemonLDAP::NG
#                             refuses root); their PIDs added to PIDS. The
#                             caller waits for it to answer.

idt_llng_start() {
	local d=$1 n=$2 port=$3 web=()

	sed "s#@D@#$d#g" "$H/llng.ini.in" >"$d/lemonldap-ng.ini"
	sed -e "s#@D@#$d#g" -e "s#@N@#$n#g" -e "s#@PORT@#$port#g" "$H/llng-nginx.conf.in" \
		>"$n/nginx.conf"
	cp "$P/server.crt" "$P/server.key" "$n/"
	chmod 600 "$n/server.key"
	if [ -n "$ROOT" ]; then
		chown -R www-data: "$d" "$n"
		web=(-u www-data -g www-data)
	fi
	# --foreground: $! is the FCGI manager's PID, and TERM to it stops its
	# workers. PERL_LWP_SSL_CA_FILE: its back-channel logout POST (CAS single
	# logout) trusts the test CA.
	PERL_LWP_SSL_CA_FILE=$P/ca.crt LLNG_DEFAULTCONFFILE=$d/lemonldap-ng.ini \
		LLNG_DEFAULTLOGGER=Lemonldap::NG::Common::Logger::Std \
		/usr/sbin/llng-fastcgi-server --foreground "${web[@]}" -n 2 \
		-s "$d/run/llng-fastcgi.sock" -p "$d/run/llng-fastcgi.pid" >"$d/run/llng.log" 2>&1 &
	PIDS+=($!)
	# setpriv execs nginx in place: $! is the nginx master's PID
	if [ -n "$ROOT" ]; then
		setpriv --reuid=www-data --regid=www-data --init-groups \
			/usr/sbin/nginx -p "$n" -c "$n/nginx.conf" -e stderr >"$n/error.log" 2>&1 &
	else
		/usr/sbin/nginx -p "$n" -c "$n/nginx.conf" -e stderr >"$n/error.log" 2>&1 &
	fi
	PIDS+=($!)
}
