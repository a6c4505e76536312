/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A gateway's backup: one file holding its registry's snapshot, its
 * configuration, its CA and keys, all encrypted under a passphrase
 * (core/backup.c describes the format), and its restore into a new HOME.
 */
#ifndef BYOD_BACKUP_H
#define BYOD_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "byod_err.h"

struct byod_ctx;

#define BYOD_BACKUP_FORMAT 1
/* Characters (not bytes) a passphrase needs at least. */
#define BYOD_BACKUP_PASSPHRASE_MIN 12
/* Largest manifest read before anything is checked. */
#define BYOD_BACKUP_MANIFEST_MAX (4u << 20)

struct byod_backup_member {
	char *name;	/* "home/<path under HOME>" or "registry/snapshot.{db,pgdump}" */
	int dir;	/* a directory (size 0, no checksum) */
	uint64_t size;
	char sha256[65];
	unsigned mode;	/* permission bits */
	char user[33];	/* owner's and group's names ("" unknown) */
	char group[33];
};

struct byod_backup_manifest {
	int format;
	char program[64];
	char school[32];
	char school_name[256];
	int schema;		/* the registry's schema version when it was saved */
	char created[32];	/* ISO 8601, UTC */
	char backend[16];	/* "sqlite" or "postgres" */
	uint64_t kdf_n;		/* scrypt's cost parameters */
	uint32_t kdf_r, kdf_p;
	unsigned char salt[16];
	unsigned char iv[12];
	unsigned char check[32]; /* tells a wrong passphrase from a damaged file */
	uint64_t payload_size;	 /* bytes of the inner archive, before encryption */
	struct byod_backup_member *m;
	size_t n;
};

/* Parses a manifest (JSON) into m, checking every field: names that stay
 * inside HOME, sizes, KDF costs within bounds. Returns 0 or -EINVAL with one
 * sentence. m is the caller's (byod_backup_manifest_free, also on failure). */
int byod_backup_manifest_parse(const char *buf, size_t len, struct byod_backup_manifest *m,
			       struct byod_err *err);
void byod_backup_manifest_free(struct byod_backup_manifest *m);

/* Reads a backup held in memory as far as no passphrase is needed: the
 * outer archive, the manifest, the encrypted payload's header and size. */
int byod_backup_inspect_mem(const void *buf, size_t len, struct byod_backup_manifest *m,
			    struct byod_err *err);

/* 0 when passphrase is long enough, or -EINVAL with one sentence. */
int byod_backup_passphrase_check(const char *passphrase, struct byod_err *err);

/* The RADIUS shared secret's member: restored as HOME/radius.secret (0600),
 * for byodctl radius config --secret-stdin on the new machine. */
#define BYOD_BACKUP_RADIUS_SECRET "radius.secret"

/*
 * Writes the backup of ctx's gateway to out (0600, through out.tmp, fsync
 * and rename). raddb (may be NULL): a directory byodctl radius config
 * wrote, whose secret (the access points' shared secret) is kept too.
 * m (may be NULL) gets the manifest written (caller frees).
 */
int byod_backup_create(struct byod_ctx *ctx, const char *out, const char *raddb,
		       const char *passphrase, struct byod_backup_manifest *m,
		       struct byod_err *err);

struct byod_restore_opts {
	const char *passphrase;
	const char *registry_url; /* NULL: the backup's registry.url (PostgreSQL) */
	int force;		  /* an existing HOME is moved aside; a database cleaned */
};

struct byod_restore_report {
	int schema_before;	/* the backup's */
	int schema_after;	/* after migrations */
	char moved_aside[4200]; /* where --force put the HOME that was there ("" none) */
	char registry[4200];	/* what was restored: a path or the URL as it may be shown */
	int has_radius_secret;	/* HOME/radius.secret was restored */
};

/*
 * Restores the backup file into home: checks the passphrase and every
 * byte before anything is written, builds the new HOME beside it and
 * renames it into place, runs the registry's migrations. m (may be NULL)
 * gets the manifest (caller frees). Returns 0 or a negative errno with one
 * sentence; on failure nothing of the backup is left.
 */
int byod_backup_restore(const char *file, const char *home, const struct byod_restore_opts *o,
			struct byod_backup_manifest *m, struct byod_restore_report *rep,
			struct byod_err *err);

#endif /* BYOD_BACKUP_H */
