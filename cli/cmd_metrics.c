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
 * written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "byodctl.h"
#include "health.h"

/* The exposition being written, and the family whose # HELP and # TYPE are
 * printed before its first sample. */
struct expo {
	FILE *f;
	const char *name, *help;
	int started;
};

static void family(struct expo *e, const char *name, const char *help)
{
	e->name = name;
	e->help = help;
	e->started = 0;
}

/* A label value as the format wants it: backslash, double quote and line
 * feed escaped. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", f);
		else if (*v == '"')
			fputs("\\\"", f);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

/* One sample of the current family: labels are NULL-terminated name,
 * value pairs. */
static void sample(struct expo *e, double value, ...)
{
	const char *label;
	va_list ap;
	int first = 1;

	if (!e->started) {
		fprintf(e->f, "# HELP %s %s\n# TYPE %s gauge\n", e->name, e->help, e->name);
		e->started = 1;
	}
	fputs(e->name, e->f);
	va_start(ap, value);
	while ((label = va_arg(ap, const char *))) {
		fprintf(e->f, "%s%s=\"", first ? "{" : ",", label);
		put_label_value(e->f, va_arg(ap, const char *));
		fputc('"', e->f);
		first = 0;
	}
	va_end(ap);
	fprintf(e->f, "%s %.17g\n", first ? "" : "}", value);
}

static void write_registry(struct expo *e, const struct cli_health *h)
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

static void write_followers(struct expo *e, const struct cli_health *h)
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

int cli_metrics(const char *home, int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	struct cli_health h;
	struct expo e = {0};
	const char *out = NULL;
	char *data = NULL;
	size_t len = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'o')
			return cli_usage(NULL);
		out = optarg;
	}
	if (optind != argc)
		return cli_usage("metrics takes only --out FILE");
	if (cli_health_collect(home, &h)) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	e.f = open_memstream(&data, &len);
	if (!e.f) {
		cli_health_free(&h);
		return cli_fail("out of memory");
	}
	write_registry(&e, &h);
	write_followers(&e, &h);
	cli_health_free(&h);
	if (fclose(e.f)) {
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
