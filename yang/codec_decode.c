/*
 * codec_decode.c: RFC 9132 §6 CBOR -> wire JSON, driven by the key table
 * (codec.c) over the bounded CBOR reader (codec_read.c); the JSON side is
 * a jansson tree.
 *
 * Decoder policy (hostile input):
 *  - one top-level map, optionally behind CBOR tag 271 (RFC 9132 §10.5);
 *    nothing may follow it;
 *  - definite and indefinite lengths are both accepted (RFC 8949 allows
 *    both); indefinite strings must be made of definite chunks of the
 *    same major type;
 *  - map keys are unsigned integers 1..65535, no duplicates in a map;
 *  - nesting depth (maps, arrays, tags) <= CODEC_MAX_DEPTH, data items <=
 *    CODEC_MAX_ITEMS, body <= CODEC_MAX_BODY;
 *  - unknown keys in 128-255 and 16384-65535 are skipped (they must still
 *    be well-formed), and so are known ones of those ranges (RFC 9244
 *    telemetry) where their container has no such member; unknown keys in
 *    1-127 and 256-16383, and known ones out of place, fail with their
 *    numbers;
 *  - every value must have its key's CBOR type and fit its YANG type.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yang/codec_int.h"

static const char *const htype_names[] = {
	[H_NONE] = "nothing", [H_UINT] = "unsigned integer",
	[H_NEGINT] = "negative integer", [H_BYTES] = "byte string",
	[H_TEXT] = "text string", [H_ARRAY] = "array", [H_MAP] = "map",
	[H_TAG] = "tag", [H_FLOAT] = "float", [H_BOOL] = "boolean",
	[H_NULL] = "null", [H_UNDEF] = "undefined", [H_SIMPLE] = "simple value",
	[H_BREAK] = "break",
};

static int	dec_map(struct dec *, const struct head *, enum ctx, int,
		    json_t **);

/* Wrong CBOR type for a key: the one diagnostic shape for all kinds. */
static int
dec_type(struct dec *d, const struct key *k, const struct head *h,
    const char *want)
{
	return codec_read_fail(d, "key %u (%s): %s where %s expected", k->key,
	    k->name, htype_names[h->type], want);
}

static int
dec_text(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	char	*s;
	size_t	 slen;
	int	 r;

	if (h->type != H_TEXT)
		return dec_type(d, k, h, "text string");
	if ((r = codec_read_string(d, h, &s, &slen)) != 0)
		return r;
	/* Embedded NULs would be cut by every C consumer of the tree. */
	if (memchr(s, '\0', slen) != NULL) {
		free(s);
		return codec_read_fail(d, "key %u (%s): NUL in text string", k->key,
		    k->name);
	}
	*out = json_stringn(s, slen);
	free(s);
	if (*out == NULL)
		return codec_read_fail(d, "key %u (%s): invalid UTF-8", k->key,
		    k->name);
	return 0;
}

static int
dec_uint(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	if (h->type != H_UINT)
		return dec_type(d, k, h, "unsigned integer");
	if (h->val > k->max)
		return codec_read_fail(d, "key %u (%s): %" PRIu64 " out of range "
		    "(max %" PRIu64 ")", k->key, k->name, h->val, k->max);
	*out = json_integer((json_int_t)h->val);
	return *out ? 0 : -ENOMEM;
}

static int
dec_enum(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	if (h->type != H_UINT)
		return dec_type(d, k, h, "unsigned integer");
	if (h->val >= codec_enum_tables[k->enums].n ||
	    codec_enum_tables[k->enums].names[h->val] == NULL)
		return codec_read_fail(d, "key %u (%s): unknown enumeration value %"
		    PRIu64, k->key, k->name, h->val);
	*out = json_string(codec_enum_tables[k->enums].names[h->val]);
	return *out ? 0 : -ENOMEM;
}

/* Decimal64 with fraction-digits 2: tag 4 [e, m], e in -2..0, m int64. */
static int
dec_dec64(struct dec *d, const struct key *k, const struct head *h,
    int depth, json_t **out)
{
	struct head	 a, e, m;
	uint64_t	 mag;
	int64_t	 	 exp10;
	char		 s[32];
	bool		 neg;
	int		 r;

	if (h->type != H_TAG || h->val != 4)
		return dec_type(d, k, h, "decimal fraction (tag 4)");
	if (depth + 2 > CODEC_MAX_DEPTH)
		return codec_read_fail(d, "CBOR nesting deeper than %d",
		    CODEC_MAX_DEPTH);
	if ((r = codec_read_head(d, &a)) != 0)
		return r;
	if (a.type != H_ARRAY || (!a.indef && a.val != 2))
		return codec_read_fail(d, "key %u (%s): tag 4 needs [exponent, "
		    "mantissa]", k->key, k->name);
	if ((r = codec_read_head(d, &e)) != 0 || (r = codec_read_head(d, &m)) != 0)
		return r;
	if (a.indef) {
		struct head brk;

		if ((r = codec_read_head(d, &brk)) != 0)
			return r;
		if (brk.type != H_BREAK)
			return codec_read_fail(d, "key %u (%s): tag 4 needs "
			    "[exponent, mantissa]", k->key, k->name);
	}
	if (e.type == H_NEGINT && e.val <= 1)
		exp10 = -1 - (int64_t)e.val;
	else if (e.type == H_UINT && e.val == 0)
		exp10 = 0;
	else
		return codec_read_fail(d, "key %u (%s): decimal exponent must be "
		    "-2..0 (fraction-digits 2)", k->key, k->name);
	if (m.type == H_UINT) {
		neg = false;
		mag = m.val;
	} else if (m.type == H_NEGINT) {
		neg = true;
		mag = m.val + 1;	/* may wrap for -2^64: checked below */
		if (mag == 0)
			mag = UINT64_MAX;
	} else
		return codec_read_fail(d, "key %u (%s): decimal mantissa must be an "
		    "integer", k->key, k->name);
	for (; exp10 > -2; exp10--) {
		if (mag > UINT64_MAX / 10)
			goto range;
		mag *= 10;
	}
	/* decimal64: the scaled value is a signed 64-bit integer. */
	if ((!neg && mag > (uint64_t)INT64_MAX) ||
	    (neg && mag > (uint64_t)INT64_MAX + 1))
		goto range;
	snprintf(s, sizeof(s), "%s%" PRIu64 ".%02" PRIu64, neg ? "-" : "",
	    mag / 100, mag % 100);
	*out = json_string(s);
	return *out ? 0 : -ENOMEM;
 range:
	return codec_read_fail(d, "key %u (%s): decimal64 out of range", k->key,
	    k->name);
}

/* Decodes the value of key k whose head is h. */
static int
dec_value(struct dec *d, const struct key *k, const struct head *h,
    int depth, json_t **out)
{
	struct head	 el;
	json_t		*item;
	uint64_t	 i;
	char		 s[24];
	int		 r;

	*out = NULL;
	switch (k->kind) {
	case K_MAP:
		if (h->type != H_MAP)
			return dec_type(d, k, h, "map");
		return dec_map(d, h, k->child, depth + 1, out);
	case K_LIST:
	case K_TEXTS:
	case K_UINTS:
	case K_ENUMS:
		if (h->type != H_ARRAY)
			return dec_type(d, k, h, "array");
		if (depth + 1 > CODEC_MAX_DEPTH)
			return codec_read_fail(d, "CBOR nesting deeper than %d",
			    CODEC_MAX_DEPTH);
		if ((*out = json_array()) == NULL)
			return -ENOMEM;
		for (i = 0; h->indef || i < h->val; i++) {
			if ((r = codec_read_head(d, &el)) != 0)
				goto fail;
			if (el.type == H_BREAK && h->indef)
				break;
			if (k->kind == K_LIST) {
				if (el.type != H_MAP) {
					r = dec_type(d, k, &el,
					    "array of maps");
					goto fail;
				}
				r = dec_map(d, &el, k->child, depth + 2,
				    &item);
			} else if (k->kind == K_TEXTS)
				r = dec_text(d, k, &el, &item);
			else if (k->kind == K_ENUMS)
				r = dec_enum(d, k, &el, &item);
			else
				r = dec_uint(d, k, &el, &item);
			if (r != 0)
				goto fail;
			if (json_array_append_new(*out, item) != 0) {
				r = -ENOMEM;
				goto fail;
			}
		}
		return 0;
	case K_TEXT:
		return dec_text(d, k, h, out);
	case K_UINT:
		return dec_uint(d, k, h, out);
	case K_LIFETIME:
		/* RFC 9132 §4.4.1: uint32, or -1 for indefinite. */
		if (h->type == H_NEGINT && h->val == 0)
			*out = json_integer(-1);
		else if (h->type == H_UINT && h->val <= UINT32_MAX)
			*out = json_integer((json_int_t)h->val);
		else if (h->type == H_UINT || h->type == H_NEGINT)
			return codec_read_fail(d, "key %u (%s): out of range (uint32 "
			    "or -1)", k->key, k->name);
		else
			return dec_type(d, k, h, "integer");
		return *out ? 0 : -ENOMEM;
	case K_U64STR:
		if (h->type != H_UINT)
			return dec_type(d, k, h, "unsigned integer");
		snprintf(s, sizeof(s), "%" PRIu64, h->val);
		*out = json_string(s);
		return *out ? 0 : -ENOMEM;
	case K_ENUM:
		return dec_enum(d, k, h, out);
	case K_DEC64:
		return dec_dec64(d, k, h, depth, out);
	case K_BOOL:
		if (h->type != H_BOOL)
			return dec_type(d, k, h, "boolean");
		*out = json_boolean(h->val);
		return *out ? 0 : -ENOMEM;
	}
	return codec_read_fail(d, "internal: bad kind");
 fail:
	json_decref(*out);
	*out = NULL;
	return r;
}

/*
 * Decodes the members of a map (head h) in container ctx at nesting depth
 * `depth` (the map itself) into a JSON object, in CBOR order.
 */
static int
dec_map(struct dec *d, const struct head *h, enum ctx ctx, int depth,
    json_t **out)
{
	struct head	 kh, vh;
	const struct key *k;
	json_t		*obj, *val;
	uint64_t	*seen = NULL;
	uint64_t	 i, j, nseen = 0;
	int		 r;

	*out = NULL;
	if (depth > CODEC_MAX_DEPTH)
		return codec_read_fail(d, "CBOR nesting deeper than %d",
		    CODEC_MAX_DEPTH);
	if ((obj = json_object()) == NULL)
		return -ENOMEM;
	for (i = 0; h->indef || i < h->val; i++) {
		if ((r = codec_read_head(d, &kh)) != 0)
			goto out;
		if (kh.type == H_BREAK && h->indef)
			break;
		if (kh.type != H_UINT || kh.val == 0 || kh.val > 65535) {
			r = codec_read_fail(d, "map key in %s is not an integer "
			    "1..65535 (offset %zu)", codec_ctx_names[ctx], d->off);
			goto out;
		}
		/* Items are bounded, so this stays small; quadratic is fine. */
		for (j = 0; j < nseen; j++)
			if (seen[j] == kh.val) {
				r = codec_read_fail(d, "duplicate key %" PRIu64
				    " in %s", kh.val, codec_ctx_names[ctx]);
				goto out;
			}
		if (nseen % 32 == 0) {
			uint64_t *ns = reallocarray(seen, nseen + 32,
			    sizeof(*seen));
			if (ns == NULL) {
				r = -ENOMEM;
				goto out;
			}
			seen = ns;
		}
		seen[nseen++] = kh.val;

		if ((r = codec_read_head(d, &vh)) != 0)
			goto out;
		if (vh.type == H_BREAK) {
			r = codec_read_fail(d, "map in %s: key %" PRIu64 " without "
			    "value", codec_ctx_names[ctx], kh.val);
			goto out;
		}
		k = codec_key_by_num(kh.val);
		if (k == NULL || !(k->where & IN(ctx))) {
			/* An optional key out of place is as good as
			 * unknown: skipped (RFC 9132 §10.6.1.1). */
			if (codec_key_optional(kh.val))
				;
			else if (k == NULL && d->nunknown < MAX_UNKNOWN)
				d->unknown[d->nunknown++] = kh.val;
			else if (k != NULL) {
				r = codec_read_fail(d, "key %u (%s) not allowed in "
				    "%s", k->key, k->name, codec_ctx_names[ctx]);
				goto out;
			}
			if ((r = codec_read_skip(d, &vh, depth)) != 0)
				goto out;
			continue;
		}
		if ((r = dec_value(d, k, &vh, depth, &val)) != 0)
			goto out;
		if (json_object_set_new_nocheck(obj, k->name, val) != 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
 out:
	free(seen);
	if (r != 0)
		json_decref(obj);
	else
		*out = obj;
	return r;
}

int
codec_cbor_decode(const uint8_t *buf, size_t len, json_t **out, char *diag,
    size_t diaglen)
{
	struct dec	 d = { .buf = buf, .len = len, .diag = diag,
			    .diaglen = diaglen };
	struct head	 h;
	json_t		*obj = NULL;
	char		*p;
	size_t		 left;
	unsigned	 i;
	int		 r;

	*out = NULL;
	if (len == 0)
		return codec_read_fail(&d, "empty body");
	if (len > CODEC_MAX_BODY)
		return codec_read_fail(&d, "body larger than %d bytes",
		    CODEC_MAX_BODY);
	if ((r = codec_read_head(&d, &h)) != 0)
		return r;
	/* RFC 9132 §10.5: tag 271 marks a DOTS signal channel object. */
	if (h.type == H_TAG && h.val == 271 && (r = codec_read_head(&d, &h)) != 0)
		return r;
	if (h.type != H_MAP)
		return codec_read_fail(&d, "body is a CBOR %s, not a map",
		    htype_names[h.type]);
	if ((r = dec_map(&d, &h, CTX_TOP, 1, &obj)) != 0)
		return r;
	if (d.off != d.len) {
		json_decref(obj);
		return codec_read_fail(&d, "%zu trailing bytes after the CBOR body",
		    d.len - d.off);
	}
	if (d.nunknown > 0) {
		/* RFC 9132 §6: the diagnostic payload lists the keys. */
		json_decref(obj);
		if (diag == NULL || diaglen == 0)
			return -EBADMSG;
		r = snprintf(diag, diaglen, "unknown comprehension-required "
		    "key%s", d.nunknown > 1 ? "s" : "");
		for (i = 0; i < d.nunknown && r >= 0 && (size_t)r < diaglen;
		    i++) {
			p = diag + r;
			left = diaglen - r;
			r += snprintf(p, left, "%s%" PRIu64, i ? ", " : " ",
			    d.unknown[i]);
		}
		return -EBADMSG;
	}
	*out = obj;
	return 0;
}
