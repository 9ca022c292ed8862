/*
 * yang_json_fuzz.c: libFuzzer target for wire JSON that did not come from
 * our decoder (dots-client bodies, dotsd's own responses): members in any
 * order, any JSON types, unknown names. Validation must return (libyang
 * 2.1.30 loops forever on unordered structure siblings: P7), and whatever
 * encodes must decode to a tree that encodes to the same bytes.
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
	char		 diag[CODEC_DIAG_LEN];
	json_error_t	 jerr;
	json_t		*wire, *back;
	uint8_t		*buf, *buf2;
	size_t		 len, len2;

	if (size > CODEC_MAX_BODY)
		return 0;
	wire = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
	if (wire == NULL)
		return 0;
	(void)codec_yang_validate_signal(wire, diag, sizeof(diag));
	if (codec_cbor_encode(wire, &buf, &len, diag, sizeof(diag)) == 0) {
		/* The encoder bounds nesting like the decoder, so what
		 * encodes decodes, unless it exceeds the item bound. */
		if (codec_cbor_decode(buf, len, &back, diag,
		    sizeof(diag)) == 0) {
			/* Equal up to normalization ("2" -> "2.00"): the
			 * decoded tree encodes to the same bytes. */
			if (codec_cbor_encode(back, &buf2, &len2, diag,
			    sizeof(diag)) != 0 || len2 != len ||
			    memcmp(buf, buf2, len) != 0) {
				fprintf(stderr, "round trip differs\n");
				abort();
			}
			free(buf2);
			json_decref(back);
		} else if (strstr(diag, "more than") == NULL &&
		    strstr(diag, "larger than") == NULL) {
			fprintf(stderr, "encoded body does not decode: %s\n",
			    diag);
			abort();
		}
		free(buf);
	}
	json_decref(wire);
	return 0;
}
