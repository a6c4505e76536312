// SPDX-License-Identifier: GPL-2.0-or-later
/* Not written yet: refuses with -ENOSYS. */
#include "profile.h"

#include <errno.h>
#include <string.h>

int profile_eap_config(const struct profile_in *in, struct profile_out *out, struct byod_err *err)
{
	memset(out, 0, sizeof(*out));
	(void)in;
	return byod_err_set(err, ENOSYS, "the eap_config profile is not written yet");
}
