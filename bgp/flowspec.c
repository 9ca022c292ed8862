/*
 * flowspec.c: RFC 8955 / RFC 8956 NLRI encoding from struct mit_rule,
 * strict validation of NLRIs (the checks BIRD resets a session for), and
 * the flowspec extended communities. No I/O, no logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bgp/flowspec.h"

/* Largest value size (bytes) BIRD accepts per component type. */
static const uint8_t flow_max_vlen[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_PROTO] = 1,
	[FLOW_TYPE_PORT] = 2,
	[FLOW_TYPE_DST_PORT] = 2,
	[FLOW_TYPE_SRC_PORT] = 2,
	[FLOW_TYPE_ICMP_TYPE] = 1,
	[FLOW_TYPE_ICMP_CODE] = 1,
	[FLOW_TYPE_TCP_FLAGS] = 2,
	[FLOW_TYPE_PKT_LEN] = 2,
	[FLOW_TYPE_DSCP] = 1,
	[FLOW_TYPE_FRAGMENT] = 1,
	[FLOW_TYPE_FLOW_LABEL] = 4,
};

/* Largest value per numeric component type. */
static const uint32_t flow_max_value[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_PROTO] = 255,
	[FLOW_TYPE_PORT] = 65535,
	[FLOW_TYPE_DST_PORT] = 65535,
	[FLOW_TYPE_SRC_PORT] = 65535,
	[FLOW_TYPE_ICMP_TYPE] = 255,
	[FLOW_TYPE_ICMP_CODE] = 255,
	[FLOW_TYPE_TCP_FLAGS] = 0xffff,
	[FLOW_TYPE_PKT_LEN] = 65535,
	[FLOW_TYPE_DSCP] = 63,
	[FLOW_TYPE_FRAGMENT] = 0x0f,
	[FLOW_TYPE_FLOW_LABEL] = 0xfffff,
};

static const char *const flowspec_reasons[FLOWSPEC_E_MAX] = {
	[FLOWSPEC_OK] = "ok",
	[FLOWSPEC_E_TRUNC] = "truncated NLRI",
	[FLOWSPEC_E_LENGTH] = "bad NLRI length field",
	[FLOWSPEC_E_EMPTY] = "NLRI without components",
	[FLOWSPEC_E_TYPE] = "unknown component type",
	[FLOWSPEC_E_ORDER] = "components out of order",
	[FLOWSPEC_E_PREFIX] = "bad prefix length or offset",
	[FLOWSPEC_E_AND_FIRST] = "AND bit on first term",
	[FLOWSPEC_E_RESERVED] = "reserved operator bits set",
	[FLOWSPEC_E_VALUE_LEN] = "value length not allowed",
	[FLOWSPEC_E_VALUE] = "value out of range",
	[FLOWSPEC_E_DF6] = "DF fragment bit in IPv6",
	[FLOWSPEC_E_LABEL4] = "flow label in IPv4",
	[FLOWSPEC_E_NO_DST] = "rule without destination prefix",
};

const char *
flowspec_strerror(int reason)
{
	if (reason < 0 || reason >= FLOWSPEC_E_MAX)
		return "unknown flowspec error";
	return flowspec_reasons[reason];
}

/* ------------------------------------------------------------------ */
/* Encoding                                                           */
/* ------------------------------------------------------------------ */

/* Component bodies of one rule before the length field; never overflows. */
struct flow_wbuf {
	uint8_t		b[1024];
	size_t		n;
};

struct flow_range {
	uint32_t	lo, hi;
};

static void
wput(struct flow_wbuf *w, uint8_t v)
{
	if (w->n < sizeof(w->b))
		w->b[w->n] = v;
	w->n++;
}

static int
flow_range_cmp(const void *a, const void *b)
{
	const struct flow_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

/*
 * Sorts and merges overlapping or adjacent ranges so equal rules encode
 * to equal bytes. Returns the new count, 0 when a range covers the whole
 * domain (the component matches everything and is left out), -EINVAL on
 * lo > hi.
 */
static int
flow_normalize(struct flow_range *rg, int n, uint32_t maxval, int *all)
{
	int	i, m = 0;

	*all = 0;
	for (i = 0; i < n; i++) {
		if (rg[i].lo > rg[i].hi || rg[i].lo > maxval)
			return -EINVAL;
		if (rg[i].hi > maxval)
			rg[i].hi = maxval;
	}
	qsort(rg, n, sizeof(*rg), flow_range_cmp);
	for (i = 0; i < n; i++) {
		if (m > 0 && rg[i].lo <= rg[m - 1].hi + 1) {
			if (rg[i].hi > rg[m - 1].hi)
				rg[m - 1].hi = rg[i].hi;
			continue;
		}
		rg[m++] = rg[i];
	}
	if (m == 1 && rg[0].lo == 0 && rg[0].hi == maxval)
		*all = 1;
	return m;
}

static void
flow_put_value(struct flow_wbuf *w, uint8_t op, uint32_t v)
{
	if (v <= 0xff) {
		wput(w, op);
		wput(w, v);
	} else if (v <= 0xffff) {
		wput(w, op | 0x10);
		wput(w, v >> 8);
		wput(w, v);
	} else {
		wput(w, op | 0x20);
		wput(w, v >> 24);
		wput(w, v >> 16);
		wput(w, v >> 8);
		wput(w, v);
	}
}

/*
 * RFC 8955 §4.2.1.1: ranges become an OR of terms, "=v" or ">=lo AND
 * <=hi" (one side left out at the ends of the domain). The first term of
 * the component never carries the AND bit; the last carries end-of-list.
 */
static int
flow_put_numeric(struct flow_wbuf *w, int type, struct flow_range *rg, int n)
{
	uint8_t		ops[2 * 64];
	uint32_t	vals[2 * 64];
	int		i, nt = 0, all;

	if (n == 0)
		return 0;
	n = flow_normalize(rg, n, flow_max_value[type], &all);
	if (n < 0)
		return n;
	if (all)
		return 0;
	for (i = 0; i < n && nt < (int)(sizeof(ops) - 1); i++) {
		if (rg[i].lo == rg[i].hi) {
			ops[nt] = FLOW_OP_EQ;
			vals[nt++] = rg[i].lo;
		} else if (rg[i].lo == 0) {
			ops[nt] = FLOW_OP_LT | FLOW_OP_EQ;
			vals[nt++] = rg[i].hi;
		} else if (rg[i].hi == flow_max_value[type]) {
			ops[nt] = FLOW_OP_GT | FLOW_OP_EQ;
			vals[nt++] = rg[i].lo;
		} else {
			ops[nt] = FLOW_OP_GT | FLOW_OP_EQ;
			vals[nt++] = rg[i].lo;
			ops[nt] = FLOW_OP_AND | FLOW_OP_LT | FLOW_OP_EQ;
			vals[nt++] = rg[i].hi;
		}
	}
	ops[nt - 1] |= FLOW_OP_EOL;
	wput(w, type);
	for (i = 0; i < nt; i++)
		flow_put_value(w, ops[i], vals[i]);
	return 0;
}

/* (data & mask) == value as "value bits all set" AND "other bits clear". */
static void
flow_put_bitmask(struct flow_wbuf *w, int type, uint8_t mask, uint8_t value)
{
	uint8_t	set = value & mask, clear = mask & ~value;

	if (mask == 0)
		return;
	wput(w, type);
	if (set) {
		wput(w, FLOW_OP_MATCH | (clear ? 0 : FLOW_OP_EOL));
		wput(w, set);
	}
	if (clear) {
		wput(w, FLOW_OP_NOT | FLOW_OP_EOL | (set ? FLOW_OP_AND : 0));
		wput(w, clear);
	}
}

static int
flow_put_prefix(struct flow_wbuf *w, int type, const struct mit_prefix *p,
    int family)
{
	int	i, nbytes;

	if (p->family != family)
		return -EINVAL;
	if ((family == AF_INET && p->len > 32) ||
	    (family == AF_INET6 && p->len > 128))
		return -EINVAL;
	wput(w, type);
	wput(w, p->len);
	if (family == AF_INET6)
		wput(w, 0);	/* RFC 8956 §3.1: offset; we always use 0 */
	nbytes = (p->len + 7) / 8;
	for (i = 0; i < nbytes; i++) {
		uint8_t	b = p->addr[i];

		/* host bits must be zero on the wire */
		if (i == nbytes - 1 && p->len % 8)
			b &= 0xff << (8 - p->len % 8);
		wput(w, b);
	}
	return 0;
}

static int
flow_ranges(struct flow_range *out, const struct mit_range *in, int n)
{
	int	i;

	if (n > MIT_MAX_RANGES)
		n = MIT_MAX_RANGES;
	for (i = 0; i < n; i++) {
		out[i].lo = in[i].lo;
		out[i].hi = in[i].hi;
	}
	return n;
}

/* DSCP bitmap to runs of consecutive set bits. */
static int
flow_dscp_ranges(struct flow_range *out, uint64_t set)
{
	int	d, n = 0;

	for (d = 0; d < 64; d++) {
		if (!(set & (1ULL << d)))
			continue;
		if (n > 0 && out[n - 1].hi == (uint32_t)d - 1)
			out[n - 1].hi = d;
		else {
			out[n].lo = out[n].hi = d;
			n++;
		}
	}
	return n;
}

/* Component bodies of r in type order (RFC 8955 §4.2: strictly ascending). */
static int
flow_body(const struct mit_rule *r, struct flow_wbuf *w)
{
	struct flow_range	rg[64];
	int			family = r->dst.family, i, n, err;

	w->n = 0;
	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if ((err = flow_put_prefix(w, FLOW_TYPE_DST_PREFIX, &r->dst,
	    family)) < 0)
		return err;
	if ((r->present & MIT_F_SRC) && (err = flow_put_prefix(w,
	    FLOW_TYPE_SRC_PREFIX, &r->src, family)) < 0)
		return err;
	if ((r->present & MIT_F_PROTO) && r->nproto > 0) {
		n = r->nproto > MIT_MAX_PROTO ? MIT_MAX_PROTO : r->nproto;
		for (i = 0; i < n; i++)
			rg[i].lo = rg[i].hi = r->proto[i];
		if ((err = flow_put_numeric(w, FLOW_TYPE_PROTO, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_PORT) {
		n = flow_ranges(rg, r->port, r->nport);
		if ((err = flow_put_numeric(w, FLOW_TYPE_PORT, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_DPORT) {
		n = flow_ranges(rg, r->dport, r->ndport);
		if ((err = flow_put_numeric(w, FLOW_TYPE_DST_PORT, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_SPORT) {
		n = flow_ranges(rg, r->sport, r->nsport);
		if ((err = flow_put_numeric(w, FLOW_TYPE_SRC_PORT, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_ICMP_TYPE) {
		n = flow_ranges(rg, r->icmp_type, r->nicmp_type);
		if ((err = flow_put_numeric(w, FLOW_TYPE_ICMP_TYPE, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_ICMP_CODE) {
		n = flow_ranges(rg, r->icmp_code, r->nicmp_code);
		if ((err = flow_put_numeric(w, FLOW_TYPE_ICMP_CODE, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_TCP_FLAGS)
		flow_put_bitmask(w, FLOW_TYPE_TCP_FLAGS, r->tcp_flags_mask,
		    r->tcp_flags_value);
	if (r->present & MIT_F_PKT_LEN) {
		n = flow_ranges(rg, r->pkt_len, r->npkt_len);
		if ((err = flow_put_numeric(w, FLOW_TYPE_PKT_LEN, rg, n)) < 0)
			return err;
	}
	if ((r->present & MIT_F_DSCP) && r->dscp_set != 0) {
		n = flow_dscp_ranges(rg, r->dscp_set);
		if ((err = flow_put_numeric(w, FLOW_TYPE_DSCP, rg, n)) < 0)
			return err;
	}
	if (r->present & MIT_F_FRAG) {
		/* RFC 8956 §3.6: IPv6 has no DF bit; BIRD resets on it */
		if (family == AF_INET6 && (r->frag_mask & MIT_FRAG_DF))
			return -EINVAL;
		if ((r->frag_mask | r->frag_value) & 0xf0)
			return -EINVAL;
		flow_put_bitmask(w, FLOW_TYPE_FRAGMENT, r->frag_mask,
		    r->frag_value);
	}
	if (r->present & MIT_F_FLOW_LABEL) {
		if (family != AF_INET6 || r->flow_label > 0xfffff)
			return -EINVAL;
		rg[0].lo = rg[0].hi = r->flow_label;
		if ((err = flow_put_numeric(w, FLOW_TYPE_FLOW_LABEL, rg,
		    1)) < 0)
			return err;
	}
	if (w->n > sizeof(w->b))
		return -E2BIG;
	return 0;
}

/* Bytes the terms of a range list take on the wire (for split choice). */
static int
flow_weight(const struct mit_range *rg, int n)
{
	int	i, w = 0;

	for (i = 0; i < n && i < MIT_MAX_RANGES; i++)
		w += (rg[i].lo == rg[i].hi ? 1 : 2) * (rg[i].hi > 255 ? 3 : 2);
	return n >= 2 ? w : 0;
}

static int
flow_dscp_weight(uint64_t set)
{
	struct flow_range	rg[64];
	int			i, n = flow_dscp_ranges(rg, set), w = 0;

	for (i = 0; i < n; i++)
		w += rg[i].lo == rg[i].hi ? 2 : 4;
	return n >= 2 ? w : 0;
}

/*
 * Splits r into a and b whose union matches exactly r: the OR list that
 * takes the most bytes is cut in half (a rule matches when any term of a
 * component does). Returns -E2BIG when no list has two terms left.
 */
static int
flow_split(const struct mit_rule *r, struct mit_rule *a, struct mit_rule *b)
{
	struct {
		int	 w;
		int	 n;
		int	 field;
	} c[] = {
		{ r->present & MIT_F_PROTO && r->nproto >= 2 ?
		    2 * r->nproto : 0, r->nproto, MIT_F_PROTO },
		{ r->present & MIT_F_PORT ? flow_weight(r->port, r->nport) : 0,
		    r->nport, MIT_F_PORT },
		{ r->present & MIT_F_DPORT ? flow_weight(r->dport,
		    r->ndport) : 0, r->ndport, MIT_F_DPORT },
		{ r->present & MIT_F_SPORT ? flow_weight(r->sport,
		    r->nsport) : 0, r->nsport, MIT_F_SPORT },
		{ r->present & MIT_F_ICMP_TYPE ? flow_weight(r->icmp_type,
		    r->nicmp_type) : 0, r->nicmp_type, MIT_F_ICMP_TYPE },
		{ r->present & MIT_F_ICMP_CODE ? flow_weight(r->icmp_code,
		    r->nicmp_code) : 0, r->nicmp_code, MIT_F_ICMP_CODE },
		{ r->present & MIT_F_PKT_LEN ? flow_weight(r->pkt_len,
		    r->npkt_len) : 0, r->npkt_len, MIT_F_PKT_LEN },
		{ r->present & MIT_F_DSCP ? flow_dscp_weight(r->dscp_set) : 0,
		    0, MIT_F_DSCP },
	};
	struct flow_range	rg[64];
	size_t			i, best = 0;
	int			h;

	for (i = 1; i < sizeof(c) / sizeof(c[0]); i++)
		if (c[i].w > c[best].w)
			best = i;
	if (c[best].w == 0)
		return -E2BIG;
	if (c[best].field == MIT_F_DSCP)
		c[best].n = flow_dscp_ranges(rg, r->dscp_set);
	*a = *r;
	*b = *r;
	h = c[best].n / 2;
#define SPLIT(arr, cnt) do {						\
	memmove(b->arr, r->arr + h, (r->cnt - h) * sizeof(r->arr[0]));	\
	a->cnt = h;							\
	b->cnt = r->cnt - h;						\
} while (0)
	switch (c[best].field) {
	case MIT_F_PROTO:
		SPLIT(proto, nproto);
		break;
	case MIT_F_PORT:
		SPLIT(port, nport);
		break;
	case MIT_F_DPORT:
		SPLIT(dport, ndport);
		break;
	case MIT_F_SPORT:
		SPLIT(sport, nsport);
		break;
	case MIT_F_ICMP_TYPE:
		SPLIT(icmp_type, nicmp_type);
		break;
	case MIT_F_ICMP_CODE:
		SPLIT(icmp_code, nicmp_code);
		break;
	case MIT_F_PKT_LEN:
		SPLIT(pkt_len, npkt_len);
		break;
	case MIT_F_DSCP: {
		uint64_t	lo = 0;
		int		k;

		for (k = 0; k < h; k++) {
			uint32_t d;

			for (d = rg[k].lo; d <= rg[k].hi; d++)
				lo |= 1ULL << d;
		}
		a->dscp_set = lo;
		b->dscp_set = r->dscp_set & ~lo;
		break;
	}
	}
#undef SPLIT
	return 0;
}

static int
flow_encode_one(const struct mit_rule *r, size_t maxlen,
    struct flowspec_nlri *out, int nout, int depth)
{
	struct flow_wbuf	w;
	struct mit_rule		*halves;
	int			err, na, nb;

	if (nout < 1)
		return -E2BIG;
	if ((err = flow_body(r, &w)) < 0)
		return err;
	if (w.n <= maxlen) {
		uint8_t *p = out->buf;

		if (w.n < 240) {
			*p++ = w.n;
			out->len = 1 + w.n;
		} else {
			*p++ = 0xf0 | (w.n >> 8);
			*p++ = w.n & 0xff;
			out->len = 2 + w.n;
		}
		memcpy(p, w.b, w.n);
		return 1;
	}
	if (depth > 24)
		return -E2BIG;
	if ((halves = calloc(2, sizeof(*halves))) == NULL)
		return -ENOMEM;
	if ((err = flow_split(r, &halves[0], &halves[1])) < 0)
		goto out;
	if ((na = flow_encode_one(&halves[0], maxlen, out, nout,
	    depth + 1)) < 0) {
		err = na;
		goto out;
	}
	if ((nb = flow_encode_one(&halves[1], maxlen, out + na, nout - na,
	    depth + 1)) < 0) {
		err = nb;
		goto out;
	}
	err = na + nb;
out:
	free(halves);
	return err;
}

int
flowspec_encode(const struct mit_rule *r, size_t maxlen,
    struct flowspec_nlri *out, int nout)
{
	if (maxlen > FLOWSPEC_MAX_LEN_RFC)
		maxlen = FLOWSPEC_MAX_LEN_RFC;
	if (r->kind != MIT_KIND_FLOW)
		return -EINVAL;
	return flow_encode_one(r, maxlen, out, nout, 0);
}

/* ------------------------------------------------------------------ */
/* Validation                                                         */
/* ------------------------------------------------------------------ */

static int
flow_check_prefix(int afi, const uint8_t *q, size_t left, size_t *used)
{
	size_t	plen, off = 0, nbytes;

	if (afi == 1) {
		if (left < 1)
			return FLOWSPEC_E_TRUNC;
		plen = q[0];
		if (plen > 32)
			return FLOWSPEC_E_PREFIX;
		nbytes = (plen + 7) / 8;
		*used = 1 + nbytes;
	} else {
		if (left < 2)
			return FLOWSPEC_E_TRUNC;
		plen = q[0];
		off = q[1];
		/* RFC 8956 §3.1: offset beyond the length is malformed */
		if (plen > 128 || off > plen)
			return FLOWSPEC_E_PREFIX;
		nbytes = (plen - off + 7) / 8;
		*used = 2 + nbytes;
	}
	if (*used > left)
		return FLOWSPEC_E_TRUNC;
	return FLOWSPEC_OK;
}

static int
flow_check_ops(int afi, int type, const uint8_t *q, size_t left,
    size_t *used)
{
	size_t		i = 0, vlen, k;
	int		first = 1, bitmask;
	uint8_t		op;
	uint32_t	v;

	bitmask = (type == FLOW_TYPE_TCP_FLAGS || type == FLOW_TYPE_FRAGMENT);
	for (;;) {
		if (i >= left)
			return FLOWSPEC_E_TRUNC;
		op = q[i++];
		if (first && (op & FLOW_OP_AND))
			return FLOWSPEC_E_AND_FIRST;
		if (op & (bitmask ? FLOW_OP_BIT_RESERVED :
		    FLOW_OP_NUM_RESERVED))
			return FLOWSPEC_E_RESERVED;
		vlen = 1u << ((op & FLOW_OP_LEN) >> 4);
		if (vlen > flow_max_vlen[type])
			return FLOWSPEC_E_VALUE_LEN;
		if (i + vlen > left)
			return FLOWSPEC_E_TRUNC;
		for (v = 0, k = 0; k < vlen; k++)
			v = v << 8 | q[i + k];
		i += vlen;
		if (v > flow_max_value[type])
			return FLOWSPEC_E_VALUE;
		if (type == FLOW_TYPE_FRAGMENT && afi == 2 &&
		    (v & MIT_FRAG_DF))
			return FLOWSPEC_E_DF6;
		first = 0;
		if (op & FLOW_OP_EOL)
			break;
	}
	*used = i;
	return FLOWSPEC_OK;
}

int
flowspec_validate(int afi, const uint8_t *p, size_t len, size_t *used)
{
	size_t	hdr, body, off, n;
	int	last = 0, type, r;

	if (afi != 1 && afi != 2)
		return FLOWSPEC_E_TYPE;
	if (len < 1)
		return FLOWSPEC_E_TRUNC;
	if (p[0] >= 0xf0) {
		if (len < 2)
			return FLOWSPEC_E_TRUNC;
		hdr = 2;
		body = (size_t)(p[0] & 0x0f) << 8 | p[1];
	} else {
		hdr = 1;
		body = p[0];
	}
	if (hdr + body > len)
		return FLOWSPEC_E_TRUNC;
	if (body == 0)
		return FLOWSPEC_E_EMPTY;
	p += hdr;
	for (off = 0; off < body; off += 1 + n) {
		type = p[off];
		if (type == 0 || type >= FLOW_TYPE_MAX)
			return FLOWSPEC_E_TYPE;
		if (type == FLOW_TYPE_FLOW_LABEL && afi == 1)
			return FLOWSPEC_E_LABEL4;
		if (type <= last)
			return FLOWSPEC_E_ORDER;
		last = type;
		if (type == FLOW_TYPE_DST_PREFIX || type == FLOW_TYPE_SRC_PREFIX)
			r = flow_check_prefix(afi, p + off + 1, body - off - 1,
			    &n);
		else
			r = flow_check_ops(afi, type, p + off + 1,
			    body - off - 1, &n);
		if (r != FLOWSPEC_OK)
			return r;
	}
	*used = hdr + body;
	return FLOWSPEC_OK;
}

/* ------------------------------------------------------------------ */
/* Extended communities, RFC 8955 §7                                  */
/* ------------------------------------------------------------------ */

static void
flow_ec_float(uint8_t ec[8], uint8_t subtype, uint16_t asn, float rate)
{
	uint32_t	bits;

	memcpy(&bits, &rate, sizeof(bits));
	ec[0] = 0x80;
	ec[1] = subtype;
	ec[2] = asn >> 8;
	ec[3] = asn;
	ec[4] = bits >> 24;
	ec[5] = bits >> 16;
	ec[6] = bits >> 8;
	ec[7] = bits;
}

void
flowspec_ec_rate_bytes(uint8_t ec[8], uint16_t asn, float rate)
{
	flow_ec_float(ec, 0x06, asn, rate);
}

void
flowspec_ec_rate_pkts(uint8_t ec[8], uint16_t asn, float rate)
{
	flow_ec_float(ec, 0x0c, asn, rate);
}

/* §7.3: the low two bits of the last octet are S (sample) and T. */
void
flowspec_ec_action(uint8_t ec[8], int sample, int terminal)
{
	memset(ec, 0, 8);
	ec[0] = 0x80;
	ec[1] = 0x07;
	ec[7] = (sample ? 0x02 : 0) | (terminal ? 0x01 : 0);
}

/* §7.4: 2-octet AS form when the AS fits, else the 4-octet AS form. */
void
flowspec_ec_redirect(uint8_t ec[8], uint32_t asn, uint32_t val)
{
	if (asn <= 0xffff) {
		ec[0] = 0x80;
		ec[1] = 0x08;
		ec[2] = asn >> 8;
		ec[3] = asn;
		ec[4] = val >> 24;
		ec[5] = val >> 16;
		ec[6] = val >> 8;
		ec[7] = val;
	} else {
		ec[0] = 0x82;
		ec[1] = 0x08;
		ec[2] = asn >> 24;
		ec[3] = asn >> 16;
		ec[4] = asn >> 8;
		ec[5] = asn;
		ec[6] = val >> 8;
		ec[7] = val;
	}
}

void
flowspec_ec_marking(uint8_t ec[8], uint8_t dscp)
{
	memset(ec, 0, 8);
	ec[0] = 0x80;
	ec[1] = 0x09;
	ec[7] = dscp & 0x3f;
}

/* ------------------------------------------------------------------ */
/* Overlap                                                            */
/* ------------------------------------------------------------------ */

static int
flow_prefix_disjoint(const struct mit_prefix *a, const struct mit_prefix *b)
{
	int	len = a->len < b->len ? a->len : b->len, i;

	if (a->family != b->family)
		return 1;
	for (i = 0; i < len / 8; i++)
		if (a->addr[i] != b->addr[i])
			return 1;
	if (len % 8) {
		uint8_t	m = 0xff << (8 - len % 8);

		if ((a->addr[i] & m) != (b->addr[i] & m))
			return 1;
	}
	return 0;
}

static int
flow_ranges_disjoint(const struct mit_range *a, int na,
    const struct mit_range *b, int nb)
{
	int	i, j;

	for (i = 0; i < na && i < MIT_MAX_RANGES; i++)
		for (j = 0; j < nb && j < MIT_MAX_RANGES; j++)
			if (a[i].lo <= b[j].hi && b[j].lo <= a[i].hi)
				return 0;
	return 1;
}

int
flowspec_disjoint(const struct mit_rule *a, const struct mit_rule *b)
{
	uint16_t	both = a->present & b->present;
	int		i, j;

	if (flow_prefix_disjoint(&a->dst, &b->dst))
		return 1;
	if ((both & MIT_F_SRC) && flow_prefix_disjoint(&a->src, &b->src))
		return 1;
	if (both & MIT_F_PROTO) {
		int common = 0;

		for (i = 0; i < a->nproto && i < MIT_MAX_PROTO; i++)
			for (j = 0; j < b->nproto && j < MIT_MAX_PROTO; j++)
				common |= a->proto[i] == b->proto[j];
		if (!common)
			return 1;
	}
	if ((both & MIT_F_DPORT) && flow_ranges_disjoint(a->dport, a->ndport,
	    b->dport, b->ndport))
		return 1;
	if ((both & MIT_F_SPORT) && flow_ranges_disjoint(a->sport, a->nsport,
	    b->sport, b->nsport))
		return 1;
	if ((both & MIT_F_ICMP_TYPE) && flow_ranges_disjoint(a->icmp_type,
	    a->nicmp_type, b->icmp_type, b->nicmp_type))
		return 1;
	if ((both & MIT_F_ICMP_CODE) && flow_ranges_disjoint(a->icmp_code,
	    a->nicmp_code, b->icmp_code, b->nicmp_code))
		return 1;
	if ((both & MIT_F_PKT_LEN) && flow_ranges_disjoint(a->pkt_len,
	    a->npkt_len, b->pkt_len, b->npkt_len))
		return 1;
	if ((both & MIT_F_DSCP) && (a->dscp_set & b->dscp_set) == 0)
		return 1;
	if ((both & MIT_F_FLOW_LABEL) && a->flow_label != b->flow_label)
		return 1;
	return 0;
}
