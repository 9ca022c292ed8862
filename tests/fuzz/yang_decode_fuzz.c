/*
 * yang_decode_fuzz.c: libFuzzer target for the signal-channel body parser
 * (yang/codec.c) and the libyang validation behind it (yang/validate.c).
 * Whatever decodes must re-encode, decode again to the same tree and
 * re-encode to the same bytes (canonical form), and validation must
 * return (libyang 2.1.30 loops forever on some inputs unless fed in
 * schema order with LYD_PARSE_ORDERED: -timeout catches a regression).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yang/codec.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	err[CODEC_DIAG_LEN];

	if (codec_yang_init(NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "codec_yang_init: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 diag[CODEC_DIAG_LEN];
	json_t	*tree, *again;
	uint8_t	*buf, *buf2;
	size_t	 len, len2;

	if (codec_cbor_decode(data, size, &tree, diag, sizeof(diag)) != 0)
		return 0;
	if (codec_cbor_encode(tree, &buf, &len, diag, sizeof(diag)) != 0) {
		fprintf(stderr, "decoded tree does not encode: %s\n", diag);
		abort();
	}
	if (codec_cbor_decode(buf, len, &again, diag, sizeof(diag)) != 0 ||
	    !json_equal(tree, again)) {
		fprintf(stderr, "re-encoded body does not decode back\n");
		abort();
	}
	if (codec_cbor_encode(again, &buf2, &len2, diag, sizeof(diag)) != 0 ||
	    len2 != len || memcmp(buf, buf2, len) != 0) {
		fprintf(stderr, "encoding is not canonical\n");
		abort();
	}
	(void)codec_yang_validate_signal(tree, diag, sizeof(diag));
	free(buf);
	free(buf2);
	json_decref(again);
	json_decref(tree);
	return 0;
}
