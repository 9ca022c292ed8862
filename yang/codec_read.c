/*
 * codec_read.c: the CBOR reader under codec_decode.c. CBOR heads are read
 * with libcbor's streaming decoder one at a time, so no allocation ever
 * follows a length the peer announced; every head counts against
 * CODEC_MAX_ITEMS. Also reads whole (possibly indefinite) strings and
 * skips well-formed items the key table does not know.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "yang/codec_int.h"

static void
cb_uint8(void *c, uint8_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint16(void *c, uint16_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint32(void *c, uint32_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint64(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

/* Negative integers: val holds n of -1-n, as on the wire. */
static void
cb_negint8(void *c, uint8_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint16(void *c, uint16_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint32(void *c, uint32_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint64(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_bytes(void *c, cbor_data d, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_BYTES, .val = n,
	    .data = d };
}

static void
cb_bytes_start(void *c)
{
	*(struct head *)c = (struct head){ .type = H_BYTES, .indef = true };
}

static void
cb_text(void *c, cbor_data d, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_TEXT, .val = n,
	    .data = d };
}

static void
cb_text_start(void *c)
{
	*(struct head *)c = (struct head){ .type = H_TEXT, .indef = true };
}

static void
cb_array(void *c, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_ARRAY, .val = n };
}

static void
cb_array_indef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_ARRAY, .indef = true };
}

static void
cb_map(void *c, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_MAP, .val = n };
}

static void
cb_map_indef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_MAP, .indef = true };
}

static void
cb_tag(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_TAG, .val = v };
}

static void
cb_float4(void *c, float v)
{
	*(struct head *)c = (struct head){ .type = H_FLOAT };
}

static void
cb_float8(void *c, double v)
{
	*(struct head *)c = (struct head){ .type = H_FLOAT };
}

static void
cb_null(void *c)
{
	*(struct head *)c = (struct head){ .type = H_NULL };
}

static void
cb_undef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_UNDEF };
}

static void
cb_bool(void *c, bool v)
{
	*(struct head *)c = (struct head){ .type = H_BOOL, .val = v };
}

static void
cb_break(void *c)
{
	*(struct head *)c = (struct head){ .type = H_BREAK };
}

static const struct cbor_callbacks head_callbacks = {
	.uint8 = cb_uint8, .uint16 = cb_uint16, .uint32 = cb_uint32,
	.uint64 = cb_uint64,
	.negint8 = cb_negint8, .negint16 = cb_negint16,
	.negint32 = cb_negint32, .negint64 = cb_negint64,
	.byte_string = cb_bytes, .byte_string_start = cb_bytes_start,
	.string = cb_text, .string_start = cb_text_start,
	.array_start = cb_array, .indef_array_start = cb_array_indef,
	.map_start = cb_map, .indef_map_start = cb_map_indef,
	.tag = cb_tag,
	.float2 = cb_float4, .float4 = cb_float4, .float8 = cb_float8,
	.null = cb_null, .undefined = cb_undef, .boolean = cb_bool,
	.indef_break = cb_break,
};

int
codec_read_fail(struct dec *d, const char *fmt, ...)
{
	va_list	ap;

	if (d->diag != NULL && d->diaglen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->diag, d->diaglen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Reads the next head; counts it against CODEC_MAX_ITEMS. */
int
codec_read_head(struct dec *d, struct head *h)
{
	struct cbor_decoder_result	r;
	uint8_t				ib;

	if (d->off >= d->len)
		return codec_read_fail(d, "truncated CBOR at offset %zu", d->off);
	*h = (struct head){ .type = H_NONE };
	ib = d->buf[d->off];
	/*
	 * libcbor 0.8 refuses some well-formed heads: tags 6..20 and simple
	 * values 0..19 in the initial byte, and one-byte simple values. None
	 * is valid in a DOTS member, but an optional member may hold them.
	 */
	if (ib >= 0xC6 && ib <= 0xD4) {
		*h = (struct head){ .type = H_TAG, .val = ib & 0x1f };
		r = (struct cbor_decoder_result){ .read = 1,
		    .status = CBOR_DECODER_FINISHED };
	} else if (ib >= 0xE0 && ib <= 0xF3) {
		*h = (struct head){ .type = H_SIMPLE, .val = ib & 0x1f };
		r = (struct cbor_decoder_result){ .read = 1,
		    .status = CBOR_DECODER_FINISHED };
	} else if (ib == 0xF8) {
		if (d->len - d->off < 2)
			return codec_read_fail(d, "truncated CBOR at offset %zu",
			    d->off);
		/* RFC 8949 §3.3: values below 32 in two bytes are invalid. */
		if (d->buf[d->off + 1] < 32)
			return codec_read_fail(d, "malformed CBOR at offset %zu",
			    d->off);
		*h = (struct head){ .type = H_SIMPLE,
		    .val = d->buf[d->off + 1] };
		r = (struct cbor_decoder_result){ .read = 2,
		    .status = CBOR_DECODER_FINISHED };
	} else
		r = cbor_stream_decode(d->buf + d->off, d->len - d->off,
		    &head_callbacks, h);
	if (r.status == CBOR_DECODER_NEDATA)
		return codec_read_fail(d, "truncated CBOR at offset %zu", d->off);
	if (r.status != CBOR_DECODER_FINISHED || r.read == 0 ||
	    h->type == H_NONE)
		return codec_read_fail(d, "malformed CBOR at offset %zu", d->off);
	d->off += r.read;
	if (++d->items > CODEC_MAX_ITEMS)
		return codec_read_fail(d, "more than %d CBOR items",
		    CODEC_MAX_ITEMS);
	return 0;
}

/*
 * Reads the rest of a text (or byte) string whose head is h into a
 * malloc()ed, NUL-terminated copy. Indefinite strings: RFC 8949 §3.2.3,
 * chunks are definite strings of the same major type.
 */
int
codec_read_string(struct dec *d, const struct head *h, char **out, size_t *outlen)
{
	struct head	 chunk;
	char		*s, *ns;
	size_t		 n = 0;
	int		 r;

	if (!h->indef) {
		if ((s = malloc(h->val + 1)) == NULL)
			return -ENOMEM;
		memcpy(s, h->data, h->val);
		s[h->val] = '\0';
		*out = s;
		*outlen = h->val;
		return 0;
	}
	if ((s = malloc(1)) == NULL)
		return -ENOMEM;
	for (;;) {
		if ((r = codec_read_head(d, &chunk)) != 0)
			goto fail;
		if (chunk.type == H_BREAK)
			break;
		if (chunk.type != h->type || chunk.indef) {
			r = codec_read_fail(d, "bad chunk in indefinite-length "
			    "string at offset %zu", d->off);
			goto fail;
		}
		/* Bounded by the body size, which the caller bounded. */
		if ((ns = realloc(s, n + chunk.val + 1)) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		s = ns;
		memcpy(s + n, chunk.data, chunk.val);
		n += chunk.val;
	}
	s[n] = '\0';
	*out = s;
	*outlen = n;
	return 0;
 fail:
	free(s);
	return r;
}

/*
 * Skips one well-formed data item whose head is h (a comprehension-
 * optional member we do not know). Depth and item bounds still apply.
 */
int
codec_read_skip(struct dec *d, const struct head *h, int depth)
{
	struct head	 sub;
	uint64_t	 i, n;
	char		*s;
	size_t		 slen;
	int		 r;

	switch (h->type) {
	case H_BYTES:
	case H_TEXT:
		if (!h->indef)
			return 0;
		if ((r = codec_read_string(d, h, &s, &slen)) != 0)
			return r;
		free(s);
		return 0;
	case H_ARRAY:
	case H_MAP:
	case H_TAG:
		if (depth + 1 > CODEC_MAX_DEPTH)
			return codec_read_fail(d, "CBOR nesting deeper than %d",
			    CODEC_MAX_DEPTH);
		if (h->type == H_TAG)
			n = 1;
		else if (h->indef)
			n = UINT64_MAX;
		else if (h->type == H_MAP)
			n = h->val > UINT64_MAX / 2 ? UINT64_MAX : h->val * 2;
		else
			n = h->val;
		for (i = 0; i < n; i++) {
			/* codec_read_head() fails long before a bogus length runs out. */
			if ((r = codec_read_head(d, &sub)) != 0)
				return r;
			if (sub.type == H_BREAK) {
				if (h->indef && (h->type == H_ARRAY ||
				    i % 2 == 0))
					return 0;
				return codec_read_fail(d, "unexpected break at "
				    "offset %zu", d->off - 1);
			}
			if ((r = codec_read_skip(d, &sub, depth + 1)) != 0)
				return r;
		}
		return 0;
	case H_BREAK:
		return codec_read_fail(d, "unexpected break at offset %zu",
		    d->off - 1);
	default:
		return 0;
	}
}
