// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * byodctl metrics [--out FILE]: the registry's health (health.c, the facts
 * `byodctl doctor` judges) in Prometheus's text exposition format 0.0.4, for
 * node_exporter's textfile collector run from a timer. Each family has its
 * # HELP and # TYPE and all its samples together; label values are escaped
 * as the format says (\\, \", \n). --out writes FILE.tmp (mode 0644, never
 * through a link) and renames it over FILE, so that the collector never
 * reads half a file. A registry that cannot be opened is a file saying
 * byod_registry_up 0, not a failure: exit 1 only when the file cannot be
 * written. --radius-spool DIR (else HOME/radius-spool, when its socket is
 * there) appends the RADIUS module's families, read from DIR/stats.sock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "byod_expo.h"
#include "byod_util.h"
#include "byodctl.h"
#include "health.h"

/* Every family byodctl writes is a gauge (a state read now). */
static void family(struct byod_expo *e, const char *name, const char *help)
{
	byod_expo_family(e, name, "gauge", help);
}

#define sample byod_expo_sample

static void write_registry(struct byod_expo *e, const struct cli_health *h)
{
	const struct reg_ha_status *s = &h->write.status;
	const struct reg_ha_status *r = &h->read.status;
	int i, have = !h->write.rc && !h->write.status_rc;

	family(e, "byod_registry_up", "1 when byodctl opened the registry, 0 when it could not.");
	sample(e, h->write.rc ? 0 : 1, NULL);
	family(e, "byod_registry_open_seconds", "How long opening the registry took.");
	sample(e, h->write.open_ms / 1e3, NULL);
	if (h->schema_version >= 0) {
		family(e, "byod_registry_schema_version", "The registry's schema version.");
		sample(e, h->schema_version, NULL);
		family(e, "byod_registry_schema_newest",
		       "The newest schema version this byodctl knows.");
		sample(e, h->schema_newest, NULL);
	}
	family(e, "byod_registry_in_recovery",
	       "1 when the server is a standby (in recovery); the writers' server and "
	       "registry.read-url's.");
	if (have)
		sample(e, s->in_recovery, "server", s->server, NULL);
	if (h->read_set && !h->read.rc && !h->read.status_rc &&
	    (!have || strcmp(r->server, s->server)))
		sample(e, r->in_recovery, "server", r->server, NULL);
	family(e, "byod_registry_replay_delay_seconds",
	       "How far behind the primary a standby read through registry.read-url replays.");
	if (h->read_set && !h->read.rc && !h->read.status_rc && r->replay_delay_s >= 0)
		sample(e, r->replay_delay_s, "server", r->server, NULL);
	if (h->feed_head >= 0) {
		family(e, "byod_registry_feed_head", "The change feed's last event number.");
		sample(e, (double)h->feed_head, NULL);
	}
	if (!have)
		return;
	family(e, "byod_registry_standbys", "Standbys replicating from the primary.");
	sample(e, s->nstandbys, NULL);
	family(e, "byod_registry_synchronous",
	       "1 when synchronous_standby_names is set (a commit waits for a standby).");
	sample(e, s->sync_names[0] ? 1 : 0, NULL);
	family(e, "byod_registry_standby_lag_bytes",
	       "The primary's WAL position minus what the standby has replayed.");
	for (i = 0; i < s->nstandbys && i < REG_HA_STANDBYS_MAX; i++)
		if (s->standbys[i].lag_bytes >= 0)
			sample(e, (double)s->standbys[i].lag_bytes, "standby", s->standbys[i].name,
			       "sync_state", s->standbys[i].sync_state, NULL);
	family(e, "byod_registry_standby_replay_lag_seconds",
	       "pg_stat_replication.replay_lag of the standby.");
	for (i = 0; i < s->nstandbys && i < REG_HA_STANDBYS_MAX; i++)
		if (s->standbys[i].replay_lag_s >= 0)
			sample(e, s->standbys[i].replay_lag_s, "standby", s->standbys[i].name,
			       "sync_state", s->standbys[i].sync_state, NULL);
}

static void write_followers(struct byod_expo *e, const struct cli_health *h)
{
	static const char *const names[] = {"byod_follower_feed_seq", "byod_follower_feed_behind",
					    "byod_follower_heartbeat_age_seconds"};
	static const char *const helps[] = {
		"The change-feed event the follower has applied.",
		"Events the follower has still to apply (the head minus its position).",
		"Seconds since the follower's last heartbeat.",
	};
	size_t i, k;

	for (k = 0; k < 3; k++) {
		family(e, names[k], helps[k]);
		for (i = 0; i < h->nheartbeats; i++) {
			const struct reg_heartbeat *hb = &h->heartbeats[i];
			double v;

			if (k == 0)
				v = (double)hb->feed_seq;
			else if (k == 1 && h->feed_head >= 0)
				v = (double)(h->feed_head - hb->feed_seq);
			else if (k == 1)
				continue;
			else
				v = h->now > hb->seen ? (double)(h->now - hb->seen) : 0;
			sample(e, v, "component", hb->component, "node", hb->node, "school",
			       hb->school, NULL);
		}
	}
}

/* Writes data to path through path.tmp and a rename; 0 or a failure printed. */
static int write_file(const char *path, const char *data, size_t len)
{
	char tmp[4096];
	size_t done = 0;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return cli_fail("path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_fail("cannot write %s: %s", tmp, strerror(errno));
	if (fchmod(fd, 0644))
		rc = cli_fail("cannot set the mode of %s: %s", tmp, strerror(errno));
	while (!rc && done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = cli_fail("cannot write %s: %s", tmp, strerror(errno));
		else
			done += (size_t)n;
	}
	if (!rc && fsync(fd))
		rc = cli_fail("cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = cli_fail("cannot write %s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path))
		rc = cli_fail("cannot rename %s to %s: %s", tmp, path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

/*
 * The RADIUS module's families, read from its stats socket (SPOOL/stats.sock,
 * radius-module/stats.c) and appended as they came; byod_radius_stats_up
 * says whether the socket answered. A socket that is not there is looked
 * for only when asked (--radius-spool): on a node without FreeRADIUS,
 * HOME/radius-spool has none and nothing is said of it.
 */
#define RADIUS_STATS_MAX (4u << 20)

static int read_radius(const char *spool, char **text, size_t *len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = 5};
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int fd, rc = -EIO;

	*text = NULL;
	*len = 0;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stats.sock", spool) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (n + 4096 > cap) {
			char *p;

			if (cap >= RADIUS_STATS_MAX) {
				rc = -EFBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			p = realloc(buf, cap + 1);
			if (!p) {
				rc = -ENOMEM;
				goto out;
			}
			buf = p;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	/* the module writes whole lines; a cut answer is not one */
	if (!n || buf[n - 1] != '\n')
		goto out;
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static void write_radius(struct byod_expo *e, const char *spool, int asked)
{
	struct stat st;
	char path[4200], *text;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/stats.sock", spool);
	if (!asked && (lstat(path, &st) || !S_ISSOCK(st.st_mode)))
		return;
	rc = read_radius(spool, &text, &len);
	if (rc)
		fprintf(stderr, "byodctl: warning: the RADIUS module's stats socket %s: %s\n", path,
			strerror(-rc));
	family(e, "byod_radius_stats_up",
	       "1 when the RADIUS module's stats socket answered byodctl, 0 when it did not.");
	sample(e, rc ? 0 : 1, NULL);
	if (!rc)
		fwrite(text, 1, len, e->f);
	free(text);
}

int cli_metrics(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"radius-spool", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	struct cli_health h;
	struct byod_expo e;
	const char *out = NULL, *spool = NULL;
	char *data = NULL, dflt[4096];
	size_t len = 0;
	FILE *f;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'r')
			spool = optarg;
		else
			return cli_usage(NULL);
	}
	if (optind != argc)
		return cli_usage("metrics takes only --out FILE and --radius-spool DIR");
	/* the module's default spool (its spool_dir left empty) */
	if (!spool && byod_path_join(dflt, sizeof(dflt), home, "radius-spool"))
		return cli_fail("path too long: %s", home);
	if (cli_health_collect(home, &h)) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	f = open_memstream(&data, &len);
	if (!f) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	byod_expo_init(&e, f);
	write_registry(&e, &h);
	write_followers(&e, &h);
	cli_health_free(&h);
	write_radius(&e, spool ? spool : dflt, spool != NULL);
	if (fclose(f)) {
		free(data);
		return cli_fail("out of memory");
	}
	if (out)
		rc = write_file(out, data, len);
	else if (fwrite(data, 1, len, stdout) != len || fflush(stdout))
		rc = cli_fail("cannot write the metrics");
	else
		rc = 0;
	free(data);
	return rc;
}
