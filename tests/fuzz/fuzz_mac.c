// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the address forms a NAS, a CSV or an administrator
 * writes and the gateway normalises (common/util.c): MAC addresses
 * (byod_mac_normalise, for Calling-Station-Id and byodctl), certificate
 * serials (byod_serial_normalise, as FreeRADIUS reports them), UAIs and
 * ports. Checked independently of the code: a normalised MAC is
 * "aa:bb:cc:dd:ee:ff" with the input's twelve hex digits in order and
 * normalises to itself; a serial is lowercase hex without leading zeros
 * that normalises to itself; a UAI is 7 digits and a capital, with the
 * checksum's letter handed back; a port is the decimal number written.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "byod_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mac(const char *in)
{
	char out[18], again[18];
	const char *s;
	int i, k = 0;

	memset(out, 'x', sizeof(out));
	if (byod_mac_normalise(in, out))
		return;
	if (strlen(out) != 17)
		abort();
	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? out[i] != ':'
			       : !isxdigit((unsigned char)out[i]) || isupper((unsigned char)out[i]))
			abort();
	/* the input's hex digits, in order, and only separators besides */
	for (s = in; *s; s++) {
		if (isxdigit((unsigned char)*s)) {
			if (k == 17 || tolower((unsigned char)*s) != out[k])
				abort();
			k += k % 3 == 1 ? 2 : 1;
		} else if (!strchr(":-. ", *s)) {
			abort();
		}
	}
	if (byod_mac_normalise(out, again) || strcmp(out, again))
		abort();
}

static void check_serial(const char *in)
{
	char out[41], again[41];

	if (byod_serial_normalise(in, out, sizeof(out)))
		return;
	if (strlen(out) >= sizeof(out) || strspn(out, "0123456789abcdef") != strlen(out) ||
	    (out[0] == '0' && out[1]))
		abort();
	if (byod_serial_normalise(out, again, sizeof(again)) || strcmp(out, again))
		abort();
}

static void check_uai(const char *in)
{
	static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
	char expected = 0;
	long n;
	int i;

	if (byod_uai_check(in, &expected))
		return;
	if (strlen(in) != 8)
		abort();
	for (i = 0, n = 0; i < 7; i++) {
		if (!isdigit((unsigned char)in[i]))
			abort();
		n = n * 10 + (in[i] - '0');
	}
	/* the letter's form is checked; the checksum's letter is handed back */
	if (!isupper((unsigned char)in[7]) || expected != letters[n % 23])
		abort();
}

static void check_port(const char *in)
{
	int port = -1;

	if (byod_port_parse(in, 1, &port))
		return;
	if (port < 0 || port > 65535 || strspn(in, "0123456789") != strlen(in) || atoi(in) != port)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_mac(in);
	check_serial(in);
	check_uai(in);
	check_port(in);
	free(in);
	return 0;
}
