/*
 * peer.c: per-peer policy: which routes a neighbor takes (families and
 * flowspec actions), the attributes it gets them with (next hop,
 * communities, flowspec actions as extended communities), and its queue
 * of entries to reconsider.
 */
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/rtbh.h"
#include "bgp/speaker_int.h"

int
peer_accepts(const struct peer *p, int fam, int action)
{
	if (!(p->c.fams & BGP_FAM_BIT(fam)))
		return 0;
	if (fam == BGP_FAM_FLOW4 || fam == BGP_FAM_FLOW6) {
		switch (action) {
		case MIT_ACT_DROP:
			return (p->c.actions & BGP_ACT_DROP) != 0;
		case MIT_ACT_RATE_BPS:
			return (p->c.actions & BGP_ACT_RATE_BPS) != 0;
		case MIT_ACT_RATE_PPS:
			return (p->c.actions & BGP_ACT_RATE_PPS) != 0;
		default:
			return 0;
		}
	}
	return 1;
}

void
peer_enqueue(struct peer *p, struct rt_entry *e)
{
	uint32_t	bit = 1u << p->idx;

	if (e->queued & bit)
		return;
	if (p->ndirty == p->dcap) {
		size_t		cap = p->dcap ? p->dcap * 2 : 1024;
		struct rt_entry	**n = reallocarray(p->dirty, cap, sizeof(*n));

		if (n == NULL) {
			/* out of memory: drop the session, it relearns all */
			p->io_error = 1;
			return;
		}
		p->dirty = n;
		p->dcap = cap;
	}
	p->dirty[p->ndirty++] = e;
	e->queued |= bit;
}

/*
 * Attributes of a route for p. Returns -1 when p cannot take it (RTBH
 * without a usable next hop of its family).
 */
int
peer_attrs(const struct peer *p, int fam, uint8_t action, uint64_t rate,
    struct bgp_attrs *a)
{
	const struct sockaddr_storage *la = &p->local_addr;
	uint16_t	as2 = bgp_sp.local_as > 0xffff ? 0 : bgp_sp.local_as;

	memset(a, 0, sizeof(*a));
	a->ebgp = p->ebgp;
	a->as4 = p->as4;
	a->local_as = bgp_sp.local_as;
	a->local_pref = bgp_sp.local_pref;
	switch (fam) {
	case BGP_FAM_UNI4:
		a->nh_len = 4;
		if (p->c.has_nh4)
			memcpy(a->nh, &p->c.nh4, 4);
		else if (la->ss_family == AF_INET)
			memcpy(a->nh, &((const struct sockaddr_in *)la)->sin_addr,
			    4);
		else
			return -1;
		break;
	case BGP_FAM_UNI6:
		a->nh_len = 16;
		if (p->c.has_nh6)
			memcpy(a->nh, &p->c.nh6, 16);
		else if (la->ss_family == AF_INET6)
			memcpy(a->nh,
			    &((const struct sockaddr_in6 *)la)->sin6_addr, 16);
		else if (la->ss_family == AF_INET) {
			/* IPv4-mapped IPv6 next hop over an IPv4 session */
			a->nh[10] = a->nh[11] = 0xff;
			memcpy(a->nh + 12,
			    &((const struct sockaddr_in *)la)->sin_addr, 4);
		} else
			return -1;
		break;
	default:	/* flowspec: RFC 8955 §4 next hop length 0 */
		a->nh_len = 0;
		break;
	}
	if (fam == BGP_FAM_UNI4 || fam == BGP_FAM_UNI6) {
		a->ncomms = rtbh_communities(a->comms, BGP_MAX_COMMS,
		    p->c.extra_comms, p->c.nextra);
		return 0;
	}
	switch (action) {
	case MIT_ACT_DROP:
		if (p->c.redirect_as)
			flowspec_ec_redirect(a->ecs[a->necs++],
			    p->c.redirect_as, p->c.redirect_val);
		else
			flowspec_ec_rate_bytes(a->ecs[a->necs++], as2, 0);
		break;
	case MIT_ACT_RATE_BPS:
		flowspec_ec_rate_bytes(a->ecs[a->necs++], as2, (float)rate);
		break;
	case MIT_ACT_RATE_PPS:
		flowspec_ec_rate_pkts(a->ecs[a->necs++], as2, (float)rate);
		break;
	default:
		return -1;
	}
	if (p->c.sample)
		flowspec_ec_action(a->ecs[a->necs++], 1, 0);
	if (p->c.mark >= 0 && action != MIT_ACT_DROP)
		flowspec_ec_marking(a->ecs[a->necs++], p->c.mark);
	return 0;
}
