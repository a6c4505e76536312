// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a person types or pastes into the console's
 * second factor (web/totp.c): a base32 secret (web_base32_decode) and a
 * code (web_totp_verify). Checked independently of the decoder: what
 * decodes encodes back, without padding, to the input's base32 letters in
 * capitals, and that text decodes to the same bytes; a code accepted is
 * the input's digits and equals the code web_totp_code gives for the step
 * returned, which is within the window.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_base32(const char *in)
{
	unsigned char out[256], again[256];
	char text[512], letters[512];
	size_t n = 0, m = 0, k = 0, i;

	if (web_base32_decode(in, out, sizeof(out), &n))
		return;
	for (i = 0; in[i] && k < sizeof(letters) - 1; i++)
		if (in[i] != ' ' && in[i] != '=')
			letters[k++] = (char)toupper((unsigned char)in[i]);
	letters[k] = '\0';
	if (web_base32_encode(out, n, 0, text, sizeof(text)) || strcmp(text, letters))
		abort();
	if (web_base32_decode(text, again, sizeof(again), &m) || m != n || memcmp(out, again, n))
		abort();
}

static void check_code(const char *in)
{
	static const char secret[] = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
	const time_t now = 1700000000;
	char digits[16], want[9];
	int64_t step = -1;
	size_t k = 0, i;

	if (web_totp_verify(secret, in, 6, now, 1, &step))
		return;
	for (i = 0; in[i]; i++) {
		if (in[i] == ' ')
			continue;
		if (!isdigit((unsigned char)in[i]) || k == 6)
			abort();
		digits[k++] = in[i];
	}
	digits[k] = '\0';
	if (k != 6 || step < web_totp_step(now) - 1 || step > web_totp_step(now) + 1)
		abort();
	if (web_totp_code(secret, step, 6, want) || strcmp(want, digits))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if (size > 400)
		return 0;
	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_base32(in);
	check_code(in);
	free(in);
	return 0;
}
