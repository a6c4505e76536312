// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl radius enable|disable [--raddb DIR]: the module, its EAP-TLS
 * instance and its site in the stock FreeRADIUS configuration
 * (/etc/freeradius/3.0, where the package freeradius-byod installs
 * mods-available/byod, mods-available/byod_eap and sites-available/byod),
 * switched on and off the way FreeRADIUS's own modules are: links in
 * mods-enabled/ and sites-enabled/, never a second configuration tree.
 *
 * The site byod listens on the standard ports as the stock site default
 * does, so enable takes that site's link out (its target kept in
 * .byod-default-site, a name FreeRADIUS never reads) and disable puts it
 * back. Enable also lets FreeRADIUS's user (a member of the group that owns
 * the state directory, byod) read what the module and byod_eap need: the
 * registry (SQLite writes its journal files beside it, the module its
 * accounting spool), the school CA's certificate, the RADIUS certificate
 * and its key; the CA's key stays its owner's alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byod_conf.h"
#include "byod_util.h"
#include "byodctl.h"

#define STOCK_RADDB	  "/etc/freeradius/3.0"
#define RLM_BYOD_FILE	  "/usr/lib/freeradius/rlm_byod.so"
#define DEFAULT_SITE_NOTE ".byod-default-site"

/* Every link enable makes: DIR/NAME -> TARGET. */
static const struct stock_link {
	const char *link;
	const char *target;
} stock_links[] = {
	{ "mods-enabled/byod", "../mods-available/byod" },
	{ "mods-enabled/byod_eap", "../mods-available/byod_eap" },
	{ "sites-enabled/byod", "../sites-available/byod" },
};

#define N_LINKS (sizeof(stock_links) / sizeof(stock_links[0]))

static int path_in(char *out, size_t len, const char *dir, const char *name)
{
	return snprintf(out, len, "%s/%s", dir, name) >= (int)len ? -1 : 0;
}

/* 1 when path is a symbolic link to target, 0 when it does not exist, -1
 * when it is something else. */
static int link_is(const char *path, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return errno == ENOENT ? 0 : -1;
	buf[n] = '\0';
	return strcmp(buf, target) ? -1 : 1;
}

/* The stock tree and the package's files in it, or why not. */
static int raddb_check(const char *raddb)
{
	static const char *const need[] = { "radiusd.conf", "mods-enabled", "sites-enabled" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (path_in(path, sizeof(path), raddb, need[i]) || access(path, F_OK))
			return cli_fail("%s is not a FreeRADIUS configuration (no %s): is "
					"freeradius installed, or is it --raddb DIR?",
					raddb, need[i]);
	}
	for (i = 0; i < N_LINKS; i++) {
		/* "../mods-available/byod" names raddb/mods-available/byod */
		if (path_in(path, sizeof(path), raddb, stock_links[i].target + 3) ||
		    access(path, R_OK))
			return cli_fail("%s/%s is missing: install the package freeradius-byod",
					raddb, stock_links[i].target + 3);
	}
	return 0;
}

/* Group read (and for directories, entry) for path, in the state
 * directory's group; extra: more bits (write, setgid). */
static int grant(const char *path, gid_t gid, mode_t extra, int must)
{
	struct stat st;

	if (stat(path, &st))
		return must ? cli_fail("%s: %s", path, strerror(errno)) : 0;
	if (st.st_gid != gid && chown(path, (uid_t)-1, gid))
		return cli_fail("cannot give %s to the group of the state directory: %s", path,
				strerror(errno));
	if (chmod(path,
		  (st.st_mode & 07777) | S_IRGRP | (S_ISDIR(st.st_mode) ? S_IXGRP : 0) | extra))
		return cli_fail("cannot open %s to its group: %s", path, strerror(errno));
	return 0;
}

/* What rlm_byod and byod_eap read and write, opened to HOME's group. */
static int home_share(const char *home)
{
	static const char *const pki_files[] = { "ca.pem", "radius.pem", "radius.key" };
	static const char *const journal[] = { "", "-wal", "-shm", "-journal" };
	char pki[PATH_MAX], path[PATH_MAX + 64], db[PATH_MAX];
	struct byod_conf conf;
	struct byod_err err;
	struct stat st;
	size_t i;
	int rc = 0;

	if (stat(home, &st) || !S_ISDIR(st.st_mode))
		return cli_fail("no state directory %s: run byodctl init first", home);
	snprintf(path, sizeof(path), "%s/byod.conf", home);
	if (access(path, F_OK))
		return cli_fail("no %s: run byodctl init first", path);
	if (byod_conf_load_home(&conf, home, &err)) {
		rc = cli_fail_err(&err);
		goto out;
	}
	if (byod_conf_path(&conf, conf.pki_dir, pki, sizeof(pki)) ||
	    byod_conf_path(&conf, conf.registry_path, db, sizeof(db))) {
		rc = cli_fail("the state directory's paths are too long");
		goto out;
	}
	for (i = 0; i < sizeof(pki_files) / sizeof(pki_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pki, pki_files[i]);
		if (access(path, R_OK)) {
			rc = cli_fail("%s is missing: run byodctl init first", path);
			goto out;
		}
	}
	/* SQLite creates its -wal and -shm beside the file, the module its
	 * spool in HOME: group-writable, and setgid so that what FreeRADIUS
	 * creates stays in the group (the TLS session cache is on tmpfs, in
	 * FreeRADIUS's runtime directory: mods-available/byod_eap) */
	rc = grant(home, st.st_gid, S_IWGRP | S_ISGID, 1);
	for (i = 0; !rc && i < sizeof(journal) / sizeof(journal[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, journal[i]);
		rc = conf.registry_backend == BYOD_REGISTRY_SQLITE
			     ? grant(path, st.st_gid, S_IWGRP, i == 0)
			     : 0;
	}
	if (!rc)
		rc = grant(pki, st.st_gid, 0, 1);
	for (i = 0; !rc && i < sizeof(pki_files) / sizeof(pki_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pki, pki_files[i]);
		rc = grant(path, st.st_gid, 0, 1);
	}
out:
	byod_conf_free(&conf);
	return rc;
}

static int radius_enable(const char *home, const char *raddb)
{
	char path[PATH_MAX], note[PATH_MAX], target[PATH_MAX];
	/* BYOD_RLM_BYOD: the module of a build tree, for the tests */
	const char *module = getenv("BYOD_RLM_BYOD");
	struct byod_err err;
	ssize_t n;
	size_t i;
	int rc;

	if (!module || !module[0])
		module = RLM_BYOD_FILE;
	if (access(module, R_OK))
		return cli_fail("%s is missing: install the package freeradius-byod", module);
	rc = home_share(home);
	if (rc)
		return rc;
	for (i = 0; i < N_LINKS; i++) {
		if (path_in(path, sizeof(path), raddb, stock_links[i].link))
			return cli_fail("%s: path too long", raddb);
		switch (link_is(path, stock_links[i].target)) {
		case 1:
			break;
		case 0:
			if (symlink(stock_links[i].target, path))
				return cli_fail("cannot link %s: %s", path, strerror(errno));
			printf("linked %s -> %s\n", path, stock_links[i].target);
			break;
		default:
			return cli_fail("%s exists and is not the link to %s: move it away first",
					path, stock_links[i].target);
		}
	}
	/* The site default listens on the ports of the site byod. */
	if (path_in(path, sizeof(path), raddb, "sites-enabled/default") ||
	    path_in(note, sizeof(note), raddb, DEFAULT_SITE_NOTE))
		return cli_fail("%s: path too long", raddb);
	n = readlink(path, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (byod_file_write(note, target, (size_t)n, 0644, 0, &err))
			return cli_fail_err(&err);
		if (unlink(path))
			return cli_fail("cannot remove %s: %s", path, strerror(errno));
		printf("removed %s (the site byod listens on its ports; disable puts it back)\n",
		       path);
	} else if (!access(path, F_OK)) {
		return cli_fail("%s is a file of its own, on the ports of the site byod (1812, "
				"1813): remove it or make it listen elsewhere",
				path);
	}
	printf("enabled in %s: restart FreeRADIUS (systemctl restart freeradius)\n", raddb);
	return 0;
}

static int radius_disable(const char *raddb)
{
	char path[PATH_MAX], note[PATH_MAX], target[PATH_MAX];
	size_t i;
	FILE *f;
	int rc = 0;

	for (i = 0; i < N_LINKS; i++) {
		if (path_in(path, sizeof(path), raddb, stock_links[i].link))
			return cli_fail("%s: path too long", raddb);
		switch (link_is(path, stock_links[i].target)) {
		case 1:
			if (unlink(path))
				return cli_fail("cannot remove %s: %s", path, strerror(errno));
			printf("removed %s\n", path);
			break;
		case 0:
			break;
		default:
			fprintf(stderr, "byodctl: %s is not the link to %s: left as it is\n", path,
				stock_links[i].target);
			rc = 1;
		}
	}
	if (path_in(path, sizeof(path), raddb, "sites-enabled/default") ||
	    path_in(note, sizeof(note), raddb, DEFAULT_SITE_NOTE))
		return cli_fail("%s: path too long", raddb);
	f = fopen(note, "r");
	if (f) {
		if (!fgets(target, sizeof(target), f))
			target[0] = '\0';
		fclose(f);
		target[strcspn(target, "\n")] = '\0';
		if (target[0] && access(path, F_OK) && symlink(target, path))
			return cli_fail("cannot link %s: %s", path, strerror(errno));
		if (target[0])
			printf("linked %s -> %s again\n", path, target);
		unlink(note);
	}
	if (!rc)
		printf("disabled in %s: restart FreeRADIUS (systemctl restart freeradius)\n",
		       raddb);
	return rc;
}

int cli_radius_stock(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "raddb", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *raddb = STOCK_RADDB;
	int c, enable = !strcmp(argv[1], "enable"), rc;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			raddb = optarg;
		else
			return cli_usage("radius enable|disable takes [--raddb DIR]");
	}
	if (optind != argc)
		return cli_usage("radius enable|disable takes [--raddb DIR]");
	rc = raddb_check(raddb);
	if (rc)
		return rc;
	return enable ? radius_enable(home, raddb) : radius_disable(raddb);
}
