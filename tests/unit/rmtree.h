/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Removes a unit test's temporary directory and everything under it, in
 * process (nftw), without a shell.
 */
#ifndef BYOD_TEST_RMTREE_H
#define BYOD_TEST_RMTREE_H

#include <ftw.h>
#include <stdio.h>

static int rmtree_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* 0 when dir and its contents are gone, -1 otherwise. */
static inline int test_rmtree(const char *dir)
{
	return nftw(dir, rmtree_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

#endif /* BYOD_TEST_RMTREE_H */
