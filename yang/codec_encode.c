/*
 * codec_encode.c: wire JSON -> RFC 9132 §6 CBOR, driven by the key table
 * (codec.c). Members go out in the JSON object's order; libcbor writes
 * each head in its shortest form into one growing buffer.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "yang/codec_int.h"

struct enc {
	uint8_t	*buf;
	size_t	 len, cap;
	char	*diag;
	size_t	 diaglen;
};

static int
enc_fail(struct enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
enc_fail(struct enc *e, const char *fmt, ...)
{
	va_list	ap;

	if (e->diag != NULL && e->diaglen > 0) {
		va_start(ap, fmt);
		vsnprintf(e->diag, e->diaglen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int
enc_reserve(struct enc *e, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (e->cap - e->len >= n)
		return 0;
	ncap = e->cap ? e->cap : 256;
	while (ncap - e->len < n) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if ((nb = realloc(e->buf, ncap)) == NULL)
		return -ENOMEM;
	e->buf = nb;
	e->cap = ncap;
	return 0;
}

/* Heads are at most 9 bytes; libcbor picks the shortest encoding. */
#define ENC_HEAD(e, fn, ...) do {					\
	if (enc_reserve((e), 9) != 0)					\
		return -ENOMEM;						\
	(e)->len += fn(__VA_ARGS__, (e)->buf + (e)->len, (e)->cap - (e)->len); \
} while (0)

static int
enc_text(struct enc *e, const char *s, size_t n)
{
	ENC_HEAD(e, cbor_encode_string_start, n);
	if (enc_reserve(e, n) != 0)
		return -ENOMEM;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	return 0;
}

/* Strict RFC 7951 uint64: decimal digits only, no sign, fits 64 bits. */
static int
parse_u64(const char *s, uint64_t *v)
{
	uint64_t	acc = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (acc > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	*v = acc;
	return 0;
}

/* decimal64 f-d 2 lexical form: -?digits(.d{1,2})?, into value * 100. */
static int
parse_dec64(const char *s, int64_t *v)
{
	uint64_t	mag = 0;
	int		frac = -1;
	bool		neg = false, digits = false;

	if (*s == '-' || *s == '+')
		neg = (*s++ == '-');
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || frac == 2)
			return -1;
		if (mag > (UINT64_MAX - 9) / 10)
			return -1;
		mag = mag * 10 + (uint64_t)(*s - '0');
		digits = true;
		if (frac >= 0)
			frac++;
	}
	if (!digits || frac == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < 2; frac++) {
		if (mag > UINT64_MAX / 10)
			return -1;
		mag *= 10;
	}
	if ((!neg && mag > (uint64_t)INT64_MAX) ||
	    (neg && mag > (uint64_t)INT64_MAX + 1))
		return -1;
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int	enc_map(struct enc *, const json_t *, enum ctx, int);

static int
enc_scalar(struct enc *e, const struct key *k, const json_t *v)
{
	json_int_t	 i;
	uint64_t	 u;
	int64_t		 m;
	size_t		 n;
	const char	*s;

	switch (k->kind) {
	case K_TEXT:
	case K_TEXTS:
		if (!json_is_string(v))
			return enc_fail(e, "%s: string expected", k->name);
		return enc_text(e, json_string_value(v), json_string_length(v));
	case K_UINT:
	case K_UINTS:
		if (!json_is_integer(v) || (i = json_integer_value(v)) < 0 ||
		    (uint64_t)i > k->max)
			return enc_fail(e, "%s: integer 0..%" PRIu64
			    " expected", k->name, k->max);
		ENC_HEAD(e, cbor_encode_uint, (uint64_t)i);
		return 0;
	case K_LIFETIME:
		if (!json_is_integer(v) || (i = json_integer_value(v)) < -1 ||
		    i > (json_int_t)UINT32_MAX)
			return enc_fail(e, "%s: uint32 or -1 expected",
			    k->name);
		if (i == -1)
			ENC_HEAD(e, cbor_encode_negint, 0);
		else
			ENC_HEAD(e, cbor_encode_uint, (uint64_t)i);
		return 0;
	case K_U64STR:
		if (!json_is_string(v) ||
		    parse_u64(json_string_value(v), &u) != 0)
			return enc_fail(e, "%s: uint64 as a decimal string "
			    "expected", k->name);
		ENC_HEAD(e, cbor_encode_uint, u);
		return 0;
	case K_ENUM:
	case K_ENUMS:
		if (!json_is_string(v))
			return enc_fail(e, "%s: enumeration name expected",
			    k->name);
		s = json_string_value(v);
		for (n = 1; n < codec_enum_tables[k->enums].n; n++)
			if (codec_enum_tables[k->enums].names[n] != NULL &&
			    strcmp(codec_enum_tables[k->enums].names[n], s) == 0)
				break;
		if (n == codec_enum_tables[k->enums].n)
			return enc_fail(e, "%s: unknown value \"%.40s\"",
			    k->name, s);
		ENC_HEAD(e, cbor_encode_uint, n);
		return 0;
	case K_DEC64:
		if (!json_is_string(v) ||
		    parse_dec64(json_string_value(v), &m) != 0)
			return enc_fail(e, "%s: decimal64 string with at most "
			    "2 fraction digits expected", k->name);
		ENC_HEAD(e, cbor_encode_tag, 4);
		ENC_HEAD(e, cbor_encode_array_start, 2);
		ENC_HEAD(e, cbor_encode_negint, 1);		/* -2 */
		if (m < 0)
			ENC_HEAD(e, cbor_encode_negint,
			    (uint64_t)(-(m + 1)));
		else
			ENC_HEAD(e, cbor_encode_uint, (uint64_t)m);
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			return enc_fail(e, "%s: boolean expected", k->name);
		ENC_HEAD(e, cbor_encode_bool, json_is_true(v));
		return 0;
	default:
		return enc_fail(e, "internal: bad kind");
	}
}

static int
enc_value(struct enc *e, const struct key *k, const json_t *v, int depth)
{
	const json_t	*el;
	size_t		 i;
	int		 r;

	switch (k->kind) {
	case K_MAP:
		if (!json_is_object(v))
			return enc_fail(e, "%s: object expected", k->name);
		return enc_map(e, v, k->child, depth + 1);
	case K_LIST:
	case K_TEXTS:
	case K_UINTS:
	case K_ENUMS:
		if (!json_is_array(v))
			return enc_fail(e, "%s: array expected", k->name);
		ENC_HEAD(e, cbor_encode_array_start, json_array_size(v));
		json_array_foreach(v, i, el) {
			if (k->kind != K_LIST)
				r = enc_scalar(e, k, el);
			else if (!json_is_object(el))
				r = enc_fail(e, "%s: array of objects "
				    "expected", k->name);
			else
				r = enc_map(e, el, k->child, depth + 2);
			if (r != 0)
				return r;
		}
		return 0;
	default:
		return enc_scalar(e, k, v);
	}
}

/* Members in the object's order (jansson keeps insertion order). */
static int
enc_map(struct enc *e, const json_t *obj, enum ctx ctx, int depth)
{
	const struct key *k;
	const char	*name;
	json_t		*v;
	int		 r;

	if (depth > CODEC_MAX_DEPTH)
		return enc_fail(e, "nesting deeper than %d", CODEC_MAX_DEPTH);
	ENC_HEAD(e, cbor_encode_map_start, json_object_size(obj));
	/* jansson's iterator API is not const-correct; we only read. */
	json_object_foreach((json_t *)(uintptr_t)obj, name, v) {
		if ((k = codec_key_by_name(name, ctx)) == NULL)
			return enc_fail(e, "\"%.60s\" is not a member of %s",
			    name, codec_ctx_names[ctx]);
		ENC_HEAD(e, cbor_encode_uint, k->key);
		if ((r = enc_value(e, k, v, depth)) != 0)
			return r;
	}
	return 0;
}

int
codec_cbor_encode(const json_t *wire, uint8_t **buf, size_t *len,
    char *diag, size_t diaglen)
{
	struct enc	e = { .diag = diag, .diaglen = diaglen };
	int		r;

	*buf = NULL;
	*len = 0;
	if (!json_is_object(wire))
		return enc_fail(&e, "body must be a JSON object");
	if ((r = enc_map(&e, wire, CTX_TOP, 1)) != 0) {
		free(e.buf);
		return r;
	}
	*buf = e.buf;
	*len = e.len;
	return 0;
}
