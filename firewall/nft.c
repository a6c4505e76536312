// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ruleset through libnftables: checked (dry run) or applied to the
 * current network namespace as one transaction; nft's own messages come
 * back in err.
 */
#include "firewall.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

int fw_nft_run(const char *text, int dry_run, struct byod_err *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;
	int rc;

	if (!nft)
		return byod_err_set(err, ENOMEM, "cannot start libnftables");
	nft_ctx_set_dry_run(nft, dry_run ? true : false);
	if (nft_ctx_buffer_output(nft) || nft_ctx_buffer_error(nft)) {
		nft_ctx_free(nft);
		return byod_err_set(err, ENOMEM, "cannot start libnftables");
	}
	rc = nft_run_cmd_from_buffer(nft, text);
	msg = nft_ctx_get_error_buffer(nft);
	if (rc) {
		size_t n = msg ? strlen(msg) : 0;

		while (n && msg[n - 1] == '\n')
			n--;
		rc = byod_err_set(err, EINVAL, "nftables refused the ruleset: %.*s", (int)n,
				  msg ? msg : "");
	}
	nft_ctx_free(nft);
	return rc;
}
