/*
 * msg.c: BGP-4 message builders and parsers (RFC 4271 §4, RFC 4760, RFC
 * 6793, RFC 2918, RFC 4724 End-of-RIB, RFC 7606 error handling). Pure
 * functions over byte buffers: no I/O, no logs; parsers return a reason.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "bgp/flowspec.h"
#include "bgp/msg.h"

static const struct {
	uint16_t	afi;
	uint8_t		safi;
	const char	*name;
} bgp_fams[BGP_FAM_MAX] = {
	[BGP_FAM_UNI4] = { 1, 1, "ipv4-unicast" },
	[BGP_FAM_UNI6] = { 2, 1, "ipv6-unicast" },
	[BGP_FAM_FLOW4] = { 1, 133, "ipv4-flowspec" },
	[BGP_FAM_FLOW6] = { 2, 133, "ipv6-flowspec" },
};

int
bgp_fam_afi(int fam)
{
	return bgp_fams[fam].afi;
}

int
bgp_fam_safi(int fam)
{
	return bgp_fams[fam].safi;
}

int
bgp_fam_from(int afi, int safi)
{
	int	f;

	for (f = 0; f < BGP_FAM_MAX; f++)
		if (bgp_fams[f].afi == afi && bgp_fams[f].safi == safi)
			return f;
	return -1;
}

const char *
bgp_fam_name(int fam)
{
	if (fam < 0 || fam >= BGP_FAM_MAX)
		return "unknown";
	return bgp_fams[fam].name;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* RFC 4271 §4.1: 16 octets of ones, length, type. */
static void
bgp_hdr(uint8_t *buf, uint16_t len, uint8_t type)
{
	memset(buf, 0xff, 16);
	put16(buf + 16, len);
	buf[18] = type;
}

/* ------------------------------------------------------------------ */
/* Builders                                                           */
/* ------------------------------------------------------------------ */

int
bgp_open_build(uint8_t *buf, size_t len, const struct bgp_open *o)
{
	uint8_t	caps[64];
	size_t	nc = 0, n;
	int	f;

	for (f = 0; f < BGP_FAM_MAX; f++) {
		if (!(o->fams & BGP_FAM_BIT(f)))
			continue;
		/* RFC 4760 §8: code 1, AFI, reserved, SAFI */
		caps[nc++] = 1;
		caps[nc++] = 4;
		put16(caps + nc, bgp_fams[f].afi);
		caps[nc + 2] = 0;
		caps[nc + 3] = bgp_fams[f].safi;
		nc += 4;
	}
	if (o->rrefresh) {
		caps[nc++] = 2;		/* RFC 2918 */
		caps[nc++] = 0;
	}
	if (o->gr) {
		/*
		 * RFC 4724 §3: we are a receiving speaker only: restart
		 * time, no AFI/SAFI tuples (gr_fams 0; we keep no
		 * forwarding state ourselves).
		 */
		size_t	gl;

		caps[nc++] = 64;
		gl = nc;
		caps[nc++] = 2;
		put16(caps + nc, o->gr_time & 0x0fff);
		nc += 2;
		for (f = 0; f < BGP_FAM_MAX; f++) {
			if (!(o->gr_fams & BGP_FAM_BIT(f)))
				continue;
			caps[gl] += 4;	/* a tuple, for test peers */
			put16(caps + nc, bgp_fams[f].afi);
			caps[nc + 2] = bgp_fams[f].safi;
			caps[nc + 3] = o->gr_fwd & BGP_FAM_BIT(f) ? 0x80 : 0;
			nc += 4;
		}
	}
	if (o->as4) {
		caps[nc++] = 65;	/* RFC 6793 */
		caps[nc++] = 4;
		put32(caps + nc, o->as);
		nc += 4;
	}
	n = 29 + (nc ? 2 + nc : 0);
	if (len < n)
		return -ENOSPC;
	bgp_hdr(buf, n, BGP_OPEN);
	buf[19] = BGP_VERSION;
	put16(buf + 20, o->as > 0xffff ? BGP_AS_TRANS : o->as);
	put16(buf + 22, o->hold);
	memcpy(buf + 24, &o->id, 4);
	buf[28] = nc ? 2 + nc : 0;
	if (nc) {
		buf[29] = 2;		/* RFC 5492: capabilities parameter */
		buf[30] = nc;
		memcpy(buf + 31, caps, nc);
	}
	return n;
}

int
bgp_keepalive_build(uint8_t *buf, size_t len)
{
	if (len < BGP_HDR_LEN)
		return -ENOSPC;
	bgp_hdr(buf, BGP_HDR_LEN, BGP_KEEPALIVE);
	return BGP_HDR_LEN;
}

int
bgp_notification_build(uint8_t *buf, size_t len, uint8_t code,
    uint8_t subcode, const uint8_t *data, size_t dlen)
{
	size_t	n = 21 + dlen;

	if (n > BGP_MAX_MSG || len < n)
		return -ENOSPC;
	bgp_hdr(buf, n, BGP_NOTIFICATION);
	buf[19] = code;
	buf[20] = subcode;
	if (dlen)
		memcpy(buf + 21, data, dlen);
	return n;
}

int
bgp_rrefresh_build(uint8_t *buf, size_t len, int fam)
{
	if (len < 23)
		return -ENOSPC;
	bgp_hdr(buf, 23, BGP_RREFRESH);
	put16(buf + 19, bgp_fams[fam].afi);
	buf[21] = 0;
	buf[22] = bgp_fams[fam].safi;
	return 23;
}

/* RFC 4724 §2: empty UPDATE (IPv4 unicast) or an empty MP_UNREACH. */
int
bgp_eor_build(uint8_t *buf, size_t len, int fam)
{
	if (fam == BGP_FAM_UNI4) {
		if (len < 23)
			return -ENOSPC;
		bgp_hdr(buf, 23, BGP_UPDATE);
		memset(buf + 19, 0, 4);
		return 23;
	}
	if (len < 29)
		return -ENOSPC;
	bgp_hdr(buf, 29, BGP_UPDATE);
	put16(buf + 19, 0);
	put16(buf + 21, 6);
	buf[23] = BGP_ATTR_F_OPTIONAL;
	buf[24] = BGP_ATTR_MP_UNREACH;
	buf[25] = 3;
	put16(buf + 26, bgp_fams[fam].afi);
	buf[28] = bgp_fams[fam].safi;
	return 29;
}

static size_t
attr_put(uint8_t *p, uint8_t flags, uint8_t type, const void *val,
    size_t len)
{
	size_t	h;

	if (len > 255)
		flags |= BGP_ATTR_F_EXTLEN;
	p[0] = flags;
	p[1] = type;
	if (flags & BGP_ATTR_F_EXTLEN) {
		put16(p + 2, len);
		h = 4;
	} else {
		p[2] = len;
		h = 3;
	}
	if (len)
		memcpy(p + h, val, len);
	return h + len;
}

/*
 * Attributes in ascending type order (RFC 4271 §5 SHOULD); MP_REACH (14)
 * is spliced in at finish at offset mp_pos of attrs.
 */
int
bgp_update_init(struct bgp_update *u, int fam, int withdraw,
    const struct bgp_attrs *a)
{
	uint8_t	v[256], *p = u->attrs;
	size_t	n, mp_over;
	int	i, need_as4_path = 0;

	memset(u, 0, offsetof(struct bgp_update, nlri));
	if (fam < 0 || fam >= BGP_FAM_MAX)
		return -EINVAL;
	u->fam = fam;
	u->withdraw = withdraw != 0;
	put16(u->mp_hdr, bgp_fams[fam].afi);
	u->mp_hdr[2] = bgp_fams[fam].safi;
	u->mp_hdr_len = 3;
	if (withdraw) {
		u->budget = BGP_MAX_MSG - 23 -
		    (fam == BGP_FAM_UNI4 ? 0 : 4 + u->mp_hdr_len);
		return 0;
	}
	if (a->ncomms > BGP_MAX_COMMS || a->necs > BGP_MAX_ECS ||
	    a->nh_len > 16)
		return -EINVAL;

	v[0] = 0;		/* ORIGIN IGP */
	p += attr_put(p, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_ORIGIN, v, 1);
	if (a->ebgp) {
		/* one AS_SEQUENCE holding our AS */
		v[0] = 2;
		v[1] = 1;
		if (a->as4) {
			put32(v + 2, a->local_as);
			n = 6;
		} else {
			need_as4_path = a->local_as > 0xffff;
			put16(v + 2, need_as4_path ? BGP_AS_TRANS :
			    a->local_as);
			n = 4;
		}
	} else
		n = 0;
	p += attr_put(p, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_AS_PATH, v, n);
	if (fam == BGP_FAM_UNI4) {
		if (a->nh_len != 4)
			return -EINVAL;
		p += attr_put(p, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_NEXT_HOP,
		    a->nh, 4);
	}
	if (!a->ebgp) {
		put32(v, a->local_pref);
		p += attr_put(p, BGP_ATTR_F_TRANSITIVE, BGP_ATTR_LOCAL_PREF,
		    v, 4);
	}
	if (a->ncomms) {
		for (i = 0; i < a->ncomms; i++)
			put32(v + 4 * i, a->comms[i]);
		p += attr_put(p, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_COMMUNITIES, v, 4 * a->ncomms);
	}
	u->mp_pos = p - u->attrs;
	if (a->necs)
		p += attr_put(p, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_EXT_COMMUNITIES, a->ecs, 8 * a->necs);
	if (need_as4_path) {
		v[0] = 2;
		v[1] = 1;
		put32(v + 2, a->local_as);
		p += attr_put(p, BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE,
		    BGP_ATTR_AS4_PATH, v, 6);
	}
	u->attrs_len = p - u->attrs;

	mp_over = 0;
	if (fam != BGP_FAM_UNI4) {
		/* RFC 4760 §3: AFI SAFI nh_len nh reserved */
		u->mp_hdr[3] = a->nh_len;
		memcpy(u->mp_hdr + 4, a->nh, a->nh_len);
		u->mp_hdr[4 + a->nh_len] = 0;
		u->mp_hdr_len = 5 + a->nh_len;
		mp_over = 4 + u->mp_hdr_len;
	}
	u->budget = BGP_MAX_MSG - 23 - u->attrs_len - mp_over;
	return 0;
}

int
bgp_update_add(struct bgp_update *u, const uint8_t *nlri, size_t len)
{
	if (u->nlri_len + len > u->budget)
		return -ENOSPC;
	memcpy(u->nlri + u->nlri_len, nlri, len);
	u->nlri_len += len;
	u->count++;
	return 0;
}

void
bgp_update_reset(struct bgp_update *u)
{
	u->nlri_len = 0;
	u->count = 0;
}

int
bgp_update_finish(struct bgp_update *u, uint8_t *buf, size_t len)
{
	size_t	n, alen, pos;
	uint8_t	*p;

	if (u->fam == BGP_FAM_UNI4) {
		n = 23 + u->attrs_len + u->nlri_len;
		if (len < n)
			return -ENOSPC;
		bgp_hdr(buf, n, BGP_UPDATE);
		p = buf + 19;
		if (u->withdraw) {
			put16(p, u->nlri_len);
			memcpy(p + 2, u->nlri, u->nlri_len);
			put16(p + 2 + u->nlri_len, 0);
		} else {
			put16(p, 0);
			put16(p + 2, u->attrs_len);
			memcpy(p + 4, u->attrs, u->attrs_len);
			memcpy(p + 4 + u->attrs_len, u->nlri, u->nlri_len);
		}
		return n;
	}
	alen = u->attrs_len + 4 + u->mp_hdr_len + u->nlri_len;
	n = 23 + alen;
	if (len < n || n > BGP_MAX_MSG)
		return -ENOSPC;
	bgp_hdr(buf, n, BGP_UPDATE);
	put16(buf + 19, 0);
	put16(buf + 21, alen);
	p = buf + 23;
	pos = u->withdraw ? 0 : u->mp_pos;
	memcpy(p, u->attrs, pos);
	p += pos;
	*p++ = BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_EXTLEN;
	*p++ = u->withdraw ? BGP_ATTR_MP_UNREACH : BGP_ATTR_MP_REACH;
	put16(p, u->mp_hdr_len + u->nlri_len);
	p += 2;
	memcpy(p, u->mp_hdr, u->mp_hdr_len);
	p += u->mp_hdr_len;
	memcpy(p, u->nlri, u->nlri_len);
	p += u->nlri_len;
	memcpy(p, u->attrs + pos, u->attrs_len - pos);
	return n;
}

/* ------------------------------------------------------------------ */
/* Parsers                                                            */
/* ------------------------------------------------------------------ */

static int
bgp_fail(struct bgp_err *e, uint8_t code, uint8_t subcode,
    const char *reason)
{
	e->code = code;
	e->subcode = subcode;
	e->reason = reason;
	return -1;
}

int
bgp_hdr_parse(const uint8_t *p, size_t avail, uint16_t *mlen, uint8_t *type,
    struct bgp_err *e)
{
	static const uint16_t	min_len[] = {
		[BGP_OPEN] = 29, [BGP_UPDATE] = 23, [BGP_NOTIFICATION] = 21,
		[BGP_KEEPALIVE] = 19, [BGP_RREFRESH] = 23,
	};
	int	i;

	if (avail < BGP_HDR_LEN)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "short header");
	for (i = 0; i < 16; i++)
		if (p[i] != 0xff)
			return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_SYNC,
			    "bad marker");
	*mlen = get16(p + 16);
	*type = p[18];
	if (*type < BGP_OPEN || *type > BGP_RREFRESH)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_TYPE,
		    "unknown message type");
	/* RFC 4271 §6.1: too short for its type, KEEPALIVE not exactly 19 */
	if (*mlen > BGP_MAX_MSG || *mlen < min_len[*type] ||
	    (*type == BGP_KEEPALIVE && *mlen != 19) ||
	    (*type == BGP_RREFRESH && *mlen != 23))
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "bad message length");
	return 0;
}

static void
bgp_gr_parse(const uint8_t *p, size_t clen, struct bgp_open *o)
{
	size_t	k;
	int	f;

	o->gr = 1;
	o->gr_time = get16(p) & 0x0fff;
	for (k = 2; k + 4 <= clen; k += 4) {
		f = bgp_fam_from(get16(p + k), p[k + 2]);
		if (f < 0)
			continue;
		o->gr_fams |= BGP_FAM_BIT(f);
		if (p[k + 3] & 0x80)
			o->gr_fwd |= BGP_FAM_BIT(f);
	}
}

static int
bgp_caps_parse(const uint8_t *p, size_t len, struct bgp_open *o,
    struct bgp_err *e)
{
	size_t	off = 0;
	uint8_t	code, clen;
	int	f;

	while (off < len) {
		if (off + 2 > len)
			return bgp_fail(e, BGP_ERR_OPEN, 0,
			    "truncated capability");
		code = p[off];
		clen = p[off + 1];
		off += 2;
		if (off + clen > len)
			return bgp_fail(e, BGP_ERR_OPEN, 0,
			    "truncated capability");
		switch (code) {
		case 1:
			if (clen != 4)
				return bgp_fail(e, BGP_ERR_OPEN, 0,
				    "bad multiprotocol capability");
			o->has_mp = 1;
			f = bgp_fam_from(get16(p + off), p[off + 3]);
			if (f >= 0)
				o->fams |= BGP_FAM_BIT(f);
			break;
		case 2:
			o->rrefresh = 1;
			break;
		case 64:	/* RFC 4724 §3 */
			if (clen < 2 || (clen - 2) % 4)
				return bgp_fail(e, BGP_ERR_OPEN, 0,
				    "bad graceful restart capability");
			bgp_gr_parse(p + off, clen, o);
			break;
		case 65:
			if (clen != 4)
				return bgp_fail(e, BGP_ERR_OPEN, 0,
				    "bad 4-octet AS capability");
			o->as4 = 1;
			o->as = get32(p + off);
			break;
		default:	/* RFC 5492 §3: ignore what we do not know */
			break;
		}
		off += clen;
	}
	return 0;
}

int
bgp_open_parse(const uint8_t *msg, size_t len, struct bgp_open *o,
    struct bgp_err *e)
{
	size_t		optlen, off;
	uint16_t	my_as;

	memset(o, 0, sizeof(*o));
	if (len < 29)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "short OPEN");
	if (msg[19] != BGP_VERSION)
		return bgp_fail(e, BGP_ERR_OPEN, BGP_ERR_OPEN_VERSION,
		    "unsupported version");
	my_as = get16(msg + 20);
	o->hold = get16(msg + 22);
	memcpy(&o->id, msg + 24, 4);
	optlen = msg[28];
	if (29 + optlen != len)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "OPEN optional parameters length mismatch");
	/* RFC 4271 §6.2: hold time 1 or 2 is unacceptable */
	if (o->hold == 1 || o->hold == 2)
		return bgp_fail(e, BGP_ERR_OPEN, BGP_ERR_OPEN_HOLD,
		    "unacceptable hold time");
	if (o->id == 0)
		return bgp_fail(e, BGP_ERR_OPEN, BGP_ERR_OPEN_ID,
		    "BGP identifier 0");
	for (off = 29; off < len; ) {
		uint8_t	ptype, plen;

		if (off + 2 > len)
			return bgp_fail(e, BGP_ERR_OPEN, 0,
			    "truncated optional parameter");
		ptype = msg[off];
		plen = msg[off + 1];
		off += 2;
		if (off + plen > len)
			return bgp_fail(e, BGP_ERR_OPEN, 0,
			    "truncated optional parameter");
		if (ptype != 2)
			return bgp_fail(e, BGP_ERR_OPEN, BGP_ERR_OPEN_OPT,
			    "unsupported optional parameter");
		if (bgp_caps_parse(msg + off, plen, o, e) < 0)
			return -1;
		off += plen;
	}
	if (!o->as4)
		o->as = my_as;
	return 0;
}

/* IPv4/IPv6 prefixes: length byte then the significant octets. */
static int
bgp_prefixes_check(const uint8_t *p, size_t len, int maxbits,
    uint32_t *count)
{
	size_t	off = 0, n;

	while (off < len) {
		if (p[off] > maxbits)
			return -1;
		n = 1 + (p[off] + 7) / 8;
		if (off + n > len)
			return -1;
		off += n;
		(*count)++;
	}
	return 0;
}

/* The length of the flowspec NLRI at p (field included), or 0 if cut short. */
static size_t
bgp_flow_frame(const uint8_t *p, size_t len)
{
	size_t	n;

	if (len < 1)
		return 0;
	if (p[0] >= 0xf0) {
		if (len < 2)
			return 0;
		n = 2 + ((size_t)(p[0] & 0x0f) << 8 | p[1]);
	} else
		n = 1 + (size_t)p[0];
	return n <= len ? n : 0;
}

/*
 * NLRIs of an MP attribute. Returns 0, 1 when a flowspec NLRI is malformed
 * (RFC 8955 §4 / RFC 7606: treat-as-withdraw; *broken set when even its
 * length field overruns, so the NLRIs after it cannot be found), -1 on a
 * framing error of unicast prefixes.
 */
static int
bgp_mp_nlri_check(int fam, const uint8_t *p, size_t len, uint32_t *count,
    const char **why, uint8_t *broken)
{
	size_t	off = 0, used, n;
	int	r, rv = 0;

	if (fam == BGP_FAM_UNI4 || fam == BGP_FAM_UNI6)
		return bgp_prefixes_check(p, len, fam == BGP_FAM_UNI4 ? 32 :
		    128, count);
	while (off < len) {
		if ((n = bgp_flow_frame(p + off, len - off)) == 0) {
			*why = flowspec_strerror(FLOWSPEC_E_TRUNC);
			*broken = 1;
			return 1;
		}
		r = flowspec_validate(bgp_fams[fam].afi, p + off, n, &used);
		if (r != FLOWSPEC_OK && rv == 0) {
			*why = flowspec_strerror(r);
			rv = 1;
		}
		off += n;
		(*count)++;
	}
	return rv;
}

static int
bgp_aspath_check(const uint8_t *p, size_t len, int asize)
{
	size_t	off = 0;

	while (off < len) {
		if (off + 2 > len)
			return -1;
		/* RFC 7606 §7.2: unknown segment type or count 0 */
		if (p[off] < 1 || p[off] > 4 || p[off + 1] == 0)
			return -1;
		off += 2 + (size_t)p[off + 1] * asize;
	}
	return off == len ? 0 : -1;
}

/*
 * RFC 7606 §3(c): the Optional and Transitive bits a known attribute must
 * carry (0 for types we do not check). A conflict makes the attribute
 * malformed: treat-as-withdraw, or attribute discard where §7 says so.
 */
#define ATTR_WK		(BGP_ATTR_F_TRANSITIVE)
#define ATTR_OPT	(BGP_ATTR_F_OPTIONAL)
#define ATTR_OPT_T	(BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)
static const uint8_t bgp_attr_flags[256] = {
	[BGP_ATTR_ORIGIN] = ATTR_WK,
	[BGP_ATTR_AS_PATH] = ATTR_WK,
	[BGP_ATTR_NEXT_HOP] = ATTR_WK,
	[BGP_ATTR_MED] = ATTR_OPT,
	[BGP_ATTR_LOCAL_PREF] = ATTR_WK,
	[BGP_ATTR_ATOMIC_AGG] = ATTR_WK,
	[BGP_ATTR_AGGREGATOR] = ATTR_OPT_T,
	[BGP_ATTR_COMMUNITIES] = ATTR_OPT_T,
	[BGP_ATTR_ORIGINATOR_ID] = ATTR_OPT,
	[BGP_ATTR_CLUSTER_LIST] = ATTR_OPT,
	[BGP_ATTR_MP_REACH] = ATTR_OPT,
	[BGP_ATTR_MP_UNREACH] = ATTR_OPT,
	[BGP_ATTR_EXT_COMMUNITIES] = ATTR_OPT_T,
	[BGP_ATTR_AS4_PATH] = ATTR_OPT_T,
	[BGP_ATTR_AS4_AGGREGATOR] = ATTR_OPT_T,
	[BGP_ATTR_LARGE_COMMUNITIES] = ATTR_OPT_T,
};

/* Returns 1 when the flags of a known attribute conflict with its type. */
static int
bgp_attr_flags_bad(uint8_t type, uint8_t flags)
{
	uint8_t	want = bgp_attr_flags[type];

	if (want == 0)
		return 0;
	return (flags & (BGP_ATTR_F_OPTIONAL | BGP_ATTR_F_TRANSITIVE)) != want;
}

/*
 * What the flowspec validation (RFC 8955 §6, RFC 9117) needs from a
 * well-formed AS_PATH: its left-most AS, whether it is empty apart from
 * confederation segments, whether it holds a set.
 */
static void
bgp_aspath_info(const uint8_t *p, size_t len, int asize,
    struct bgp_update_info *ui)
{
	size_t	off = 0, k;
	uint8_t	seg;

	ui->aspath_empty = 1;
	while (off + 2 <= len) {
		seg = p[off];
		if (seg == 1 || seg == 4)	/* AS_SET, AS_CONFED_SET */
			ui->aspath_set = 1;
		if (seg == 1 || seg == 2) {
			if (ui->aspath_empty && seg == 2 &&
			    off + 2 + (size_t)asize <= len)
				for (k = 0; k < (size_t)asize; k++)
					ui->first_as = ui->first_as << 8 |
					    p[off + 2 + k];
			ui->aspath_empty = 0;
		}
		off += 2 + (size_t)p[off + 1] * asize;
	}
}

int
bgp_update_parse(const uint8_t *msg, size_t len, int as4,
    struct bgp_update_info *ui, struct bgp_err *e)
{
	const uint8_t	*p, *a, *nlri;
	size_t		wlen, alen, off, nlen, h, l;
	uint32_t	seen[8] = { 0 };
	int		has_mp_reach = 0, nattrs = 0, fam, r;
	uint8_t		flags, type;

	memset(ui, 0, sizeof(*ui));
	ui->eor_fam = -1;
	ui->reach_fam = ui->unreach_fam = -1;
	ui->aspath_empty = 1;
	if (len < 23)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "short UPDATE");
	p = msg + 19;
	wlen = get16(p);
	if (23 + wlen > len)
		return bgp_fail(e, BGP_ERR_UPDATE, BGP_ERR_UPD_ATTRLIST,
		    "withdrawn routes length overrun");
	if (bgp_prefixes_check(p + 2, wlen, 32, &ui->withdrawn) < 0)
		return bgp_fail(e, BGP_ERR_UPDATE, BGP_ERR_UPD_NETWORK,
		    "malformed withdrawn route");
	alen = get16(p + 2 + wlen);
	if (23 + wlen + alen > len)
		return bgp_fail(e, BGP_ERR_UPDATE, BGP_ERR_UPD_ATTRLIST,
		    "path attribute length overrun");
	a = p + 4 + wlen;
	nlri = a + alen;
	nlen = len - 23 - wlen - alen;
	if (wlen == 0 && alen == 0 && nlen == 0) {
		ui->eor_fam = BGP_FAM_UNI4;
		return 0;
	}

	for (off = 0; off < alen; off += h + l) {
		if (off + 3 > alen)
			return bgp_fail(e, BGP_ERR_UPDATE,
			    BGP_ERR_UPD_ATTRLIST, "truncated attribute");
		flags = a[off];
		type = a[off + 1];
		if (flags & BGP_ATTR_F_EXTLEN) {
			if (off + 4 > alen)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_ATTRLIST,
				    "truncated attribute");
			l = get16(a + off + 2);
			h = 4;
		} else {
			l = a[off + 2];
			h = 3;
		}
		if (off + h + l > alen)
			return bgp_fail(e, BGP_ERR_UPDATE,
			    BGP_ERR_UPD_ATTRLIST, "attribute length overrun");
		nattrs++;
		/* RFC 4271 §5: each attribute at most once */
		if (seen[type / 32] & (1u << (type % 32)))
			return bgp_fail(e, BGP_ERR_UPDATE,
			    BGP_ERR_UPD_ATTRLIST, "duplicate attribute");
		seen[type / 32] |= 1u << (type % 32);
		const uint8_t *v = a + off + h;

		if (bgp_attr_flags_bad(type, flags)) {
			/* RFC 7606 §7.6, §7.7: discard these two */
			if (type == BGP_ATTR_ATOMIC_AGG ||
			    type == BGP_ATTR_AGGREGATOR)
				continue;
			/* the rest: treat-as-withdraw, NLRIs still read */
			ui->treat_as_withdraw = "bad attribute flags";
		}
		switch (type) {
		case BGP_ATTR_ORIGIN:
			if (l != 1)
				ui->treat_as_withdraw = "bad ORIGIN length";
			else if (v[0] > 2)
				ui->treat_as_withdraw = "invalid ORIGIN";
			break;
		case BGP_ATTR_AS_PATH:
			if (bgp_aspath_check(v, l, as4 ? 4 : 2) < 0)
				ui->treat_as_withdraw = "malformed AS_PATH";
			else
				bgp_aspath_info(v, l, as4 ? 4 : 2, ui);
			break;
		case BGP_ATTR_AS4_PATH:
			/* RFC 6793 §6: a bad AS4_PATH is discarded */
			break;
		case BGP_ATTR_NEXT_HOP:
			if (l != 4)
				ui->treat_as_withdraw = "bad NEXT_HOP length";
			break;
		case BGP_ATTR_MED:
		case BGP_ATTR_LOCAL_PREF:
			if (l != 4)
				ui->treat_as_withdraw = "bad MED/LOCAL_PREF";
			break;
		case BGP_ATTR_ATOMIC_AGG:
		case BGP_ATTR_AGGREGATOR:
		case BGP_ATTR_AS4_AGGREGATOR:
			/* RFC 7606 §7.6-7.7: attribute discard */
			break;
		case BGP_ATTR_COMMUNITIES:
			if (l == 0 || l % 4)
				ui->treat_as_withdraw = "bad COMMUNITIES";
			break;
		case BGP_ATTR_ORIGINATOR_ID:	/* RFC 7606 §7.9 */
			if (l != 4)
				ui->treat_as_withdraw = "bad ORIGINATOR_ID";
			else {
				ui->has_originator = 1;
				memcpy(&ui->originator_id, v, 4);
			}
			break;
		case BGP_ATTR_CLUSTER_LIST:	/* RFC 7606 §7.10 */
			if (l == 0 || l % 4)
				ui->treat_as_withdraw = "bad CLUSTER_LIST";
			break;
		case BGP_ATTR_EXT_COMMUNITIES:
			if (l == 0 || l % 8)
				ui->treat_as_withdraw =
				    "bad EXTENDED COMMUNITIES";
			else {
				ui->ecs = v;
				ui->necs = (uint16_t)(l / 8);
			}
			break;
		case BGP_ATTR_LARGE_COMMUNITIES:
			if (l == 0 || l % 12)
				ui->treat_as_withdraw =
				    "bad LARGE COMMUNITIES";
			break;
		case BGP_ATTR_MP_REACH: {
			size_t nhl;

			/* RFC 7606 §7.11: MP errors reset the session */
			if (l < 5)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR, "short MP_REACH");
			nhl = v[3];
			if (5 + nhl > l)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR,
				    "MP_REACH next hop overrun");
			has_mp_reach = 1;
			fam = bgp_fam_from(get16(v), v[2]);
			if (fam < 0)
				break;	/* not negotiated by us: ignore */
			if ((fam == BGP_FAM_UNI4 && nhl != 4 && nhl != 16) ||
			    (fam == BGP_FAM_UNI6 && nhl != 16 && nhl != 32))
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR,
				    "bad MP_REACH next hop length");
			r = bgp_mp_nlri_check(fam, v + 5 + nhl, l - 5 - nhl,
			    &ui->announced, &ui->treat_as_withdraw,
			    &ui->nlri_broken);
			if (fam == BGP_FAM_FLOW4 || fam == BGP_FAM_FLOW6) {
				ui->reach_fam = (int8_t)fam;
				ui->reach = v + 5 + nhl;
				ui->reach_len = (uint16_t)(l - 5 - nhl);
			}
			if (r < 0)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR,
				    "malformed MP_REACH NLRI");
			break;
		}
		case BGP_ATTR_MP_UNREACH:
			if (l < 3)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR, "short MP_UNREACH");
			fam = bgp_fam_from(get16(v), v[2]);
			if (fam < 0)
				break;
			if (l == 3 && alen == h + l && wlen == 0 &&
			    nlen == 0) {
				ui->eor_fam = fam;
				break;
			}
			r = bgp_mp_nlri_check(fam, v + 3, l - 3,
			    &ui->withdrawn, &ui->treat_as_withdraw,
			    &ui->nlri_broken);
			if (fam == BGP_FAM_FLOW4 || fam == BGP_FAM_FLOW6) {
				ui->unreach_fam = (int8_t)fam;
				ui->unreach = v + 3;
				ui->unreach_len = (uint16_t)(l - 3);
			}
			if (r < 0)
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_OPTATTR,
				    "malformed MP_UNREACH NLRI");
			break;
		default:
			/* RFC 4271 §6.3: unknown well-known attribute */
			if (!(flags & BGP_ATTR_F_OPTIONAL))
				return bgp_fail(e, BGP_ERR_UPDATE,
				    BGP_ERR_UPD_UNKNWN_WK,
				    "unrecognized well-known attribute");
			break;
		}
	}
	(void)nattrs;
	if (bgp_prefixes_check(nlri, nlen, 32, &ui->announced) < 0)
		return bgp_fail(e, BGP_ERR_UPDATE, BGP_ERR_UPD_NETWORK,
		    "malformed NLRI");
	/* RFC 4271 §6.3 / RFC 7606 §3(d): missing mandatory attributes */
	if ((nlen > 0 || has_mp_reach) && ui->treat_as_withdraw == NULL) {
#define SEEN(t) (seen[(t) / 32] & (1u << ((t) % 32)))
		if (!SEEN(BGP_ATTR_ORIGIN) || !SEEN(BGP_ATTR_AS_PATH) ||
		    (nlen > 0 && !SEEN(BGP_ATTR_NEXT_HOP)))
			ui->treat_as_withdraw = "missing mandatory attribute";
#undef SEEN
	}
	return 0;
}

int
bgp_notification_parse(const uint8_t *msg, size_t len, uint8_t *code,
    uint8_t *subcode)
{
	if (len < 21)
		return -1;
	*code = msg[19];
	*subcode = msg[20];
	return 0;
}

int
bgp_rrefresh_parse(const uint8_t *msg, size_t len, struct bgp_err *e)
{
	if (len != 23)
		return bgp_fail(e, BGP_ERR_HEADER, BGP_ERR_HDR_LEN,
		    "bad ROUTE-REFRESH length");
	return bgp_fam_from(get16(msg + 19), msg[22]);
}

const char *
bgp_err_name(uint8_t code, uint8_t subcode)
{
	static const char *const names[] = {
		[BGP_ERR_HEADER] = "message header error",
		[BGP_ERR_OPEN] = "OPEN message error",
		[BGP_ERR_UPDATE] = "UPDATE message error",
		[BGP_ERR_HOLD] = "hold timer expired",
		[BGP_ERR_FSM] = "finite state machine error",
		[BGP_ERR_CEASE] = "cease",
	};
	static const char *const cease[] = {
		[BGP_CEASE_MAXPFX] = "cease: maximum prefixes reached",
		[BGP_CEASE_SHUTDOWN] = "cease: administrative shutdown",
		[BGP_CEASE_UNCONFIGURED] = "cease: peer de-configured",
		[BGP_CEASE_RESET] = "cease: administrative reset",
		[BGP_CEASE_REJECTED] = "cease: connection rejected",
		[BGP_CEASE_CONFIG] = "cease: other configuration change",
		[BGP_CEASE_COLLISION] = "cease: connection collision",
		[BGP_CEASE_RESOURCES] = "cease: out of resources",
	};

	if (code == BGP_ERR_CEASE && subcode >= 1 && subcode <= 8)
		return cease[subcode];
	if (code >= 1 && code <= 6)
		return names[code];
	return "unknown error";
}
