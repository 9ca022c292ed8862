/*
 * flowspec_decode.c: the receive side of RFC 8955 / RFC 8956: a validated
 * flowspec NLRI and its extended communities -> one struct mit_rule that
 * matches exactly the same packets, or the reason why the data plane
 * cannot (then the route is reported and left out, never approximated).
 * No I/O, no logs.
 */
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include "bgp/flowspec.h"

#define RX_SET_MAX	64	/* ranges while combining terms */

static const char *const rx_reasons[FLOWSPEC_RX_MAX] = {
	[FLOWSPEC_RX_OK] = "ok",
	[FLOWSPEC_RX_NO_DST] = "no-destination",
	[FLOWSPEC_RX_OFFSET] = "prefix-offset",
	[FLOWSPEC_RX_TERMS] = "too-many-terms",
	[FLOWSPEC_RX_BITMASK] = "bitmask",
	[FLOWSPEC_RX_LABEL] = "flow-label-range",
	[FLOWSPEC_RX_NEVER] = "matches-nothing",
	[FLOWSPEC_RX_REDIRECT] = "redirect-or-marking",
	[FLOWSPEC_RX_SAMPLE] = "sample",
	[FLOWSPEC_RX_NONTERMINAL] = "non-terminal",
	[FLOWSPEC_RX_RATE] = "rate",
};

/* Largest value per numeric component type (RFC 8955 §4.2.2). */
static const uint32_t rx_max_value[FLOW_TYPE_MAX] = {
	[FLOW_TYPE_PROTO] = 255,
	[FLOW_TYPE_PORT] = 65535,
	[FLOW_TYPE_DST_PORT] = 65535,
	[FLOW_TYPE_SRC_PORT] = 65535,
	[FLOW_TYPE_ICMP_TYPE] = 255,
	[FLOW_TYPE_ICMP_CODE] = 255,
	[FLOW_TYPE_PKT_LEN] = 65535,
	[FLOW_TYPE_DSCP] = 63,
	[FLOW_TYPE_FLOW_LABEL] = 0xfffff,
};

const char *
flowspec_rx_strerror(int reason)
{
	if (reason < 0 || reason >= FLOWSPEC_RX_MAX)
		return "unknown";
	return rx_reasons[reason];
}

/* A sorted list of disjoint, non-adjacent inclusive ranges. */
struct rx_set {
	int		n;
	uint32_t	lo[RX_SET_MAX], hi[RX_SET_MAX];
};

static void
rx_set_add(struct rx_set *s, uint32_t lo, uint32_t hi)
{
	if (s->n < RX_SET_MAX) {
		s->lo[s->n] = lo;
		s->hi[s->n] = hi;
	}
	s->n++;		/* past RX_SET_MAX: overflow, checked by callers */
}

/* RFC 8955 Table 1: the values one numeric term matches. */
static void
rx_term(uint8_t op, uint32_t v, uint32_t max, struct rx_set *s)
{
	int	lt = !!(op & FLOW_OP_LT), gt = !!(op & FLOW_OP_GT);
	int	eq = !!(op & FLOW_OP_EQ);

	s->n = 0;
	if (v > max)
		v = max;	/* validate() refused larger values already */
	if (lt && gt && eq) {
		rx_set_add(s, 0, max);
		return;
	}
	if (lt && v > 0)
		rx_set_add(s, 0, eq ? v : v - 1);
	else if (lt && eq)
		rx_set_add(s, 0, 0);
	else if (eq && !gt)
		rx_set_add(s, v, v);
	if (gt && v < max)
		rx_set_add(s, eq && !lt ? v : v + 1, max);
	else if (gt && eq && !lt)
		rx_set_add(s, max, max);
}

static void
rx_intersect(struct rx_set *a, const struct rx_set *b)
{
	struct rx_set	out = { 0 };
	int		i, j;
	uint32_t	lo, hi;

	for (i = 0; i < a->n && i < RX_SET_MAX; i++)
		for (j = 0; j < b->n && j < RX_SET_MAX; j++) {
			lo = a->lo[i] > b->lo[j] ? a->lo[i] : b->lo[j];
			hi = a->hi[i] < b->hi[j] ? a->hi[i] : b->hi[j];
			if (lo <= hi)
				rx_set_add(&out, lo, hi);
		}
	*a = out;
}

/* Adds b to a, keeping a sorted, merged; a->n > RX_SET_MAX on overflow. */
static void
rx_union(struct rx_set *a, const struct rx_set *b)
{
	struct rx_set	out = { 0 };
	uint32_t	lo, hi;
	int		i = 0, j = 0;

	while (i < a->n || j < b->n) {
		if (j >= b->n || (i < a->n && a->lo[i] <= b->lo[j])) {
			lo = a->lo[i];
			hi = a->hi[i++];
		} else {
			lo = b->lo[j];
			hi = b->hi[j++];
		}
		if (out.n > 0 && out.n <= RX_SET_MAX &&
		    lo <= out.hi[out.n - 1] + 1) {
			if (hi > out.hi[out.n - 1])
				out.hi[out.n - 1] = hi;
		} else
			rx_set_add(&out, lo, hi);
		if (out.n > RX_SET_MAX)
			break;
	}
	*a = out;
}

/*
 * A numeric component's {op, value} list -> the set of values it matches:
 * the OR of AND groups (RFC 8955 §4.2.1.1: AND binds tighter). Sets *used
 * to the bytes read. Returns FLOWSPEC_RX_OK or FLOWSPEC_RX_TERMS.
 */
static int
rx_numeric(const uint8_t *q, size_t left, uint32_t max, struct rx_set *out,
    size_t *used)
{
	struct rx_set	grp = { 0 }, term;
	size_t		i = 0, k, vlen;
	uint32_t	v;
	uint8_t		op;
	int		first = 1;

	out->n = 0;
	for (;;) {
		op = q[i++];
		vlen = 1u << ((op & FLOW_OP_LEN) >> 4);
		for (v = 0, k = 0; k < vlen && i + k < left; k++)
			v = v << 8 | q[i + k];
		i += vlen;
		rx_term(op, v, max, &term);
		if (first || !(op & FLOW_OP_AND)) {
			if (!first)
				rx_union(out, &grp);
			grp = term;
		} else
			rx_intersect(&grp, &term);
		first = 0;
		if ((op & FLOW_OP_EOL) || i >= left)
			break;
	}
	rx_union(out, &grp);
	*used = i;
	return out->n > RX_SET_MAX ? FLOWSPEC_RX_TERMS : FLOWSPEC_RX_OK;
}

/*
 * A bitmask component -> one (mask, value) pair with (data & mask) ==
 * value, when one exists (RFC 8955 §4.2.1.2). *never is set when no data
 * matches. Returns FLOWSPEC_RX_OK or FLOWSPEC_RX_BITMASK.
 */
static int
rx_bitmask(const uint8_t *q, size_t left, uint16_t *mask, uint16_t *value,
    int *never, size_t *used)
{
	uint16_t	gm = 0, gv = 0, v;
	size_t		i = 0, k, vlen;
	uint8_t		op;
	int		first = 1, ngroups = 0, gfalse = 0, single;

	*never = 0;
	for (;;) {
		op = q[i++];
		vlen = 1u << ((op & FLOW_OP_LEN) >> 4);
		for (v = 0, k = 0; k < vlen && i + k < left; k++)
			v = (uint16_t)(v << 8 | q[i + k]);
		i += vlen;
		if (!first && !(op & FLOW_OP_AND)) {
			/* an OR of two groups: expressible only if one is false */
			if (!gfalse) {
				if (ngroups++ > 0 && (gm != *mask ||
				    gv != *value))
					return FLOWSPEC_RX_BITMASK;
				*mask = gm;
				*value = gv;
			}
			gm = gv = 0;
			gfalse = 0;
		}
		first = 0;
		single = v != 0 && (v & (v - 1)) == 0;
		switch (op & (FLOW_OP_NOT | FLOW_OP_MATCH)) {
		case FLOW_OP_MATCH:			/* all bits of v set */
			if (gm & ~gv & v)
				gfalse = 1;
			gm |= v;
			gv |= v;
			break;
		case FLOW_OP_NOT:			/* no bit of v set */
			if (gv & v)
				gfalse = 1;
			gm |= v;
			gv &= ~v;
			break;
		case 0:					/* any bit of v set */
			if (v == 0)
				gfalse = 1;
			else if (!single)
				return FLOWSPEC_RX_BITMASK;
			else {
				if (gm & ~gv & v)
					gfalse = 1;
				gm |= v;
				gv |= v;
			}
			break;
		default:				/* not all bits of v */
			if (v == 0)
				gfalse = 1;
			else if (!single)
				return FLOWSPEC_RX_BITMASK;
			else {
				if (gv & v)
					gfalse = 1;
				gm |= v;
				gv &= ~v;
			}
			break;
		}
		if ((op & FLOW_OP_EOL) || i >= left)
			break;
	}
	if (!gfalse) {
		if (ngroups++ > 0 && (gm != *mask || gv != *value))
			return FLOWSPEC_RX_BITMASK;
		*mask = gm;
		*value = gv;
	}
	*never = ngroups == 0;
	*used = i;
	return FLOWSPEC_RX_OK;
}

/* Destination or source prefix; RFC 8956 §3.1 offset must be 0 here. */
static int
rx_prefix(int afi, const uint8_t *q, struct mit_prefix *pfx, size_t *used)
{
	size_t	hdr = afi == 1 ? 1 : 2, nbytes, max = afi == 1 ? 4 : 16;

	memset(pfx, 0, sizeof(*pfx));
	if (afi == 2 && q[1] != 0)
		return FLOWSPEC_RX_OFFSET;
	pfx->family = afi == 1 ? AF_INET : AF_INET6;
	pfx->len = q[0];
	nbytes = (q[0] + 7u) / 8;
	if (nbytes > max)
		nbytes = max;	/* validate() refused longer ones already */
	memcpy(pfx->addr, q + hdr, nbytes);
	/* RFC 4271 §4.3: trailing bits are irrelevant; ours must be 0 */
	if (pfx->len % 8)
		pfx->addr[nbytes - 1] &= (uint8_t)(0xff << (8 - pfx->len % 8));
	*used = hdr + nbytes;
	return FLOWSPEC_RX_OK;
}

/* Stores a value set as mit_range terms; 0 when the set is the domain. */
static int
rx_ranges(const struct rx_set *s, uint32_t max, struct mit_range *out,
    uint8_t *n)
{
	int	i;

	if (s->n == 0)
		return FLOWSPEC_RX_NEVER;
	if (s->n == 1 && s->lo[0] == 0 && s->hi[0] == max) {
		*n = 0;
		return FLOWSPEC_RX_OK;
	}
	if (s->n > MIT_MAX_RANGES)
		return FLOWSPEC_RX_TERMS;
	for (i = 0; i < s->n; i++) {
		out[i].lo = (uint16_t)s->lo[i];
		out[i].hi = (uint16_t)s->hi[i];
	}
	*n = (uint8_t)s->n;
	return FLOWSPEC_RX_OK;
}

/* Protocol set -> the rule's protocol list, restricted by only (or NULL). */
static int
rx_protos(const struct rx_set *s, const uint8_t *only, int nonly,
    struct mit_rule *r)
{
	uint32_t	v;
	int		i, j, in;

	r->nproto = 0;
	for (i = 0; i < s->n && i < RX_SET_MAX; i++)
		for (v = s->lo[i]; v <= s->hi[i]; v++) {
			for (in = only == NULL, j = 0; j < nonly; j++)
				in |= only[j] == v;
			if (!in)
				continue;
			if (r->nproto == MIT_MAX_PROTO)
				return FLOWSPEC_RX_TERMS;
			r->proto[r->nproto++] = (uint8_t)v;
		}
	if (r->nproto == 0)
		return FLOWSPEC_RX_NEVER;
	r->present |= MIT_F_PROTO;
	return FLOWSPEC_RX_OK;
}

static int
rx_store(int type, const struct rx_set *s, struct mit_rule *r,
    struct rx_set *proto)
{
	uint8_t		n = 0;
	uint32_t	max = rx_max_value[type];
	int		e, d, i;

#define RANGES(arr, cnt, bit) do {					\
	if ((e = rx_ranges(s, max, r->arr, &n)) != FLOWSPEC_RX_OK)	\
		return e;						\
	r->cnt = n;							\
	if (n > 0)							\
		r->present |= (bit);					\
} while (0)
	switch (type) {
	case FLOW_TYPE_PROTO:
		*proto = *s;
		return s->n == 0 ? FLOWSPEC_RX_NEVER : FLOWSPEC_RX_OK;
	case FLOW_TYPE_PORT:
		RANGES(port, nport, MIT_F_PORT);
		break;
	case FLOW_TYPE_DST_PORT:
		RANGES(dport, ndport, MIT_F_DPORT);
		break;
	case FLOW_TYPE_SRC_PORT:
		RANGES(sport, nsport, MIT_F_SPORT);
		break;
	case FLOW_TYPE_ICMP_TYPE:
		RANGES(icmp_type, nicmp_type, MIT_F_ICMP_TYPE);
		break;
	case FLOW_TYPE_ICMP_CODE:
		RANGES(icmp_code, nicmp_code, MIT_F_ICMP_CODE);
		break;
	case FLOW_TYPE_PKT_LEN:
		RANGES(pkt_len, npkt_len, MIT_F_PKT_LEN);
		break;
	case FLOW_TYPE_DSCP:
		if (s->n == 0)
			return FLOWSPEC_RX_NEVER;
		for (r->dscp_set = 0, i = 0; i < s->n; i++)
			for (d = (int)s->lo[i]; d <= (int)s->hi[i]; d++)
				r->dscp_set |= 1ULL << d;
		if (r->dscp_set != ~0ULL)
			r->present |= MIT_F_DSCP;
		break;
	case FLOW_TYPE_FLOW_LABEL:
		if (s->n == 0)
			return FLOWSPEC_RX_NEVER;
		if (s->n == 1 && s->lo[0] == 0 && s->hi[0] == max)
			break;
		if (s->n != 1 || s->lo[0] != s->hi[0])
			return FLOWSPEC_RX_LABEL;
		r->flow_label = s->lo[0];
		r->present |= MIT_F_FLOW_LABEL;
		break;
	}
#undef RANGES
	return FLOWSPEC_RX_OK;
}

static int
rx_bits(int type, const uint8_t *q, size_t left, struct mit_rule *r,
    size_t *used)
{
	uint16_t	mask = 0, value = 0;
	int		never, e;

	if ((e = rx_bitmask(q, left, &mask, &value, &never, used)) != 0)
		return e;
	if (never)
		return FLOWSPEC_RX_NEVER;
	if (mask == 0)
		return FLOWSPEC_RX_OK;	/* always true: no component */
	if (type == FLOW_TYPE_TCP_FLAGS) {
		/* the data plane holds the 8 flag bits of the TCP header */
		if (mask > 0xff)
			return FLOWSPEC_RX_BITMASK;
		r->tcp_flags_mask = (uint8_t)mask;
		r->tcp_flags_value = (uint8_t)value;
		r->present |= MIT_F_TCP_FLAGS;
	} else {
		r->frag_mask = (uint8_t)mask;
		r->frag_value = (uint8_t)value;
		r->present |= MIT_F_FRAG;
	}
	return FLOWSPEC_RX_OK;
}

/*
 * RFC 8955 §4.2.2.4-6: port components match TCP and UDP only. The data
 * plane reads ports of SCTP too, so a port rule gets the protocol list
 * {TCP, UDP} (or its intersection with the rule's own), which keeps the
 * match exact.
 */
static int
rx_finish_protos(struct mit_rule *r, const struct rx_set *proto,
    int have_proto)
{
	static const uint8_t tcp_udp[] = { 6, 17 };
	struct rx_set	all = { .n = 1, .lo = { 0 }, .hi = { 255 } };
	int		ports = r->present & (MIT_F_PORT | MIT_F_DPORT |
			    MIT_F_SPORT);

	if (ports)
		return rx_protos(have_proto ? proto : &all, tcp_udp, 2, r);
	if (!have_proto || (proto->n == 1 && proto->lo[0] == 0 &&
	    proto->hi[0] == 255))
		return FLOWSPEC_RX_OK;
	return rx_protos(proto, NULL, 0, r);
}

int
flowspec_decode(int afi, const uint8_t *p, size_t len, struct mit_rule *r)
{
	struct rx_set	set, proto = { 0 };
	size_t		hdr, body, off, n;
	int		type, e, have_dst = 0, have_proto = 0;

	memset(r, 0, sizeof(*r));
	r->kind = MIT_KIND_FLOW;
	if (len < 1)
		return FLOWSPEC_RX_NO_DST;
	hdr = p[0] >= 0xf0 ? 2 : 1;
	body = hdr == 2 ? (size_t)(p[0] & 0x0f) << 8 | p[1] : p[0];
	if (hdr + body > len)
		return FLOWSPEC_RX_NO_DST;	/* validate() refused it already */
	p += hdr;
	for (off = 0; off < body; off += 1 + n) {
		type = p[off];
		if (type == FLOW_TYPE_DST_PREFIX || type == FLOW_TYPE_SRC_PREFIX) {
			e = rx_prefix(afi, p + off + 1, type ==
			    FLOW_TYPE_DST_PREFIX ? &r->dst : &r->src, &n);
			if (type == FLOW_TYPE_DST_PREFIX)
				have_dst = 1;
			else
				r->present |= MIT_F_SRC;
		} else if (type == FLOW_TYPE_TCP_FLAGS ||
		    type == FLOW_TYPE_FRAGMENT)
			e = rx_bits(type, p + off + 1, body - off - 1, r, &n);
		else {
			e = rx_numeric(p + off + 1, body - off - 1,
			    rx_max_value[type], &set, &n);
			if (e == FLOWSPEC_RX_OK)
				e = rx_store(type, &set, r, &proto);
			have_proto |= type == FLOW_TYPE_PROTO;
		}
		if (e != FLOWSPEC_RX_OK)
			return e;
	}
	if (!have_dst)
		return FLOWSPEC_RX_NO_DST;
	return rx_finish_protos(r, &proto, have_proto);
}

/* ------------------------------------------------------------------ */
/* Actions, RFC 8955 §7                                               */
/* ------------------------------------------------------------------ */

static float
rx_float(const uint8_t *b)
{
	uint32_t	bits = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
			    (uint32_t)b[2] << 8 | b[3];
	float		f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

int
flowspec_actions(const uint8_t *ecs, size_t n, struct mit_rule *r)
{
	const uint8_t	*ec;
	int		nrates = 0, action = MIT_ACT_ACCEPT;
	uint64_t	rate = 0;
	float		f;
	size_t		i;

	for (i = 0; i < n; i++) {
		ec = ecs + 8 * i;
		/* transitive experimental types 0x80-0x82 carry the actions */
		if (ec[0] < 0x80 || ec[0] > 0x82)
			continue;
		switch (ec[1]) {
		case 0x06:	/* §7.1 traffic-rate-bytes */
		case 0x0c:	/* §7.2 traffic-rate-packets */
			if (ec[0] != 0x80)
				continue;
			f = rx_float(ec + 4);
			/* §7.1: negative values are invalid */
			if (isnan(f) || f < 0 || f >= 1.8e19f)
				return FLOWSPEC_RX_RATE;
			if (nrates++ > 0)
				return FLOWSPEC_RX_RATE;
			/* a fraction of a byte per second is not a drop */
			rate = (uint64_t)ceilf(f);
			action = rate == 0 ? MIT_ACT_DROP : ec[1] == 0x06 ?
			    MIT_ACT_RATE_BPS : MIT_ACT_RATE_PPS;
			break;
		case 0x07:	/* §7.3 traffic-action: S and T bits */
			if (ec[0] != 0x80)
				continue;
			if (ec[7] & 0x02)
				return FLOWSPEC_RX_SAMPLE;
			if (ec[7] & 0x01)
				return FLOWSPEC_RX_NONTERMINAL;
			break;
		case 0x08:	/* §7.4 rt-redirect, all three AS forms */
		case 0x09:	/* §7.5 traffic-marking */
			return FLOWSPEC_RX_REDIRECT;
		default:
			break;
		}
	}
	r->action = (uint8_t)action;
	r->rate = rate;
	return FLOWSPEC_RX_OK;
}
