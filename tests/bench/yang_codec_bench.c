/*
 * yang_codec_bench.c: per-body cost of the signal-channel codec: CBOR
 * decode, encode, and libyang validation of RFC 9132 Figure 8 (request)
 * and the two-entry GET response (vector s04). Prints figures and the
 * validate/decode ratio, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yang/codec.h"

static const char *const bodies[][2] = {
	{ "fig8-request",
	  "A101A10281A4068274323030313A6462383A363430313A3A312F3132387432303031"
	  "3A6462383A363430313A3A322F3132380783A1081850A1081901BBA108191F900A81"
	  "060E190E10" },
	{ "s04-get-2-entries",
	  "A101A10282AA0519302C0F1A59DF7BC2068274323030313A6462383A363430313A3A"
	  "312F31323874323030313A6462383A363430313A3A322F3132380A81110E1906DC10"
	  "0218191A0801C85B181A19A950181B1A13DE47AC181C1A00069930AA0519302D0F1A"
	  "59DF7B99068274323030313A6462383A363430313A3A312F31323874323030313A64"
	  "62383A363430313A3A322F3132380A81060E1906DB1003181900181A00181B00181C"
	  "00" },
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(void)
{
	char		 diag[CODEC_DIAG_LEN];
	uint8_t		 cbor[512], *out;
	json_t		*j;
	size_t		 n, len, b;
	unsigned	 x;
	double		 t0, dec, enc, val;
	int		 i, iters = 20000, viters = 2000;

	if (codec_yang_init(NULL, diag, sizeof(diag)) != 0) {
		printf("cannot load YANG modules: %s\n", diag);
		return 1;
	}
	t0 = now_s();
	if (codec_yang_init(NULL, diag, sizeof(diag)) != 0)
		return 1;
	printf("codec_yang_init: %.1f ms\n", (now_s() - t0) * 1e3);
	for (b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
		for (n = 0; sscanf(bodies[b][1] + 2 * n, "%2x", &x) == 1 &&
		    n < sizeof(cbor); n++)
			cbor[n] = (uint8_t)x;
		t0 = now_s();
		for (i = 0; i < iters; i++) {
			if (codec_cbor_decode(cbor, n, &j, diag,
			    sizeof(diag)) != 0)
				return 1;
			json_decref(j);
		}
		dec = (now_s() - t0) / iters;
		codec_cbor_decode(cbor, n, &j, diag, sizeof(diag));
		t0 = now_s();
		for (i = 0; i < iters; i++) {
			if (codec_cbor_encode(j, &out, &len, diag,
			    sizeof(diag)) != 0)
				return 1;
			free(out);
		}
		enc = (now_s() - t0) / iters;
		t0 = now_s();
		for (i = 0; i < viters; i++)
			if (codec_yang_validate_signal(j, diag,
			    sizeof(diag)) != 0)
				return 1;
		val = (now_s() - t0) / viters;
		json_decref(j);
		printf("%-18s %3zu bytes: decode %6.2f us, encode %6.2f us, "
		    "validate %7.2f us (validate/decode %.0fx)\n",
		    bodies[b][0], n, dec * 1e6, enc * 1e6, val * 1e6,
		    val / dec);
	}
	codec_yang_fini();
	return 0;
}
