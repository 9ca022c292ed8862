/*
 * compile.c: a mitigation at one slot -> the rules of one backend group.
 * No I/O, no logs: failures come back as -errno and a reason.
 *
 * Flow rules (local and flowspec slots) carry one destination prefix and at
 * most one source prefix each (a flowspec NLRI has one of each), so a
 * mitigation needs targets x sources rules at least. Protocols are then
 * split by what the port and ICMP attributes can apply to (RFC 9132
 * §4.4.1.2 ports only mean something to port-carrying protocols; ICMP
 * types only to ICMP), and port lists longer than MIT_MAX_RANGES terms
 * are split into several rules. RTBH rules are one host route per target.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "mitigate/internal.h"

#define IPPROTO_ICMP_	1
#define IPPROTO_ICMPV6_	58

/* One set of protocols that takes the same port and ICMP components. */
struct pclass {
	uint8_t		nproto;
	uint8_t		proto[MIT_MAX_PROTO];
	uint8_t		ports;	/* takes dport/sport components */
	uint8_t		icmp;	/* takes the icmp_type component */
};

/* TCP, UDP, DCCP, SCTP */
static const uint8_t port_protos[] = { 6, 17, 33, 132 };

static int
compile_port_proto(uint8_t p)
{
	size_t	i;

	for (i = 0; i < sizeof(port_protos); i++)
		if (port_protos[i] == p)
			return 1;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct mit_range	*ra = a, *rb = b;

	if (ra->lo != rb->lo)
		return ra->lo < rb->lo ? -1 : 1;
	return ra->hi < rb->hi ? -1 : ra->hi > rb->hi;
}

/*
 * Sorts r[0..n) and merges overlapping and adjacent ranges in place, so
 * equal scopes compile to equal rules. Returns the new count.
 */
int
compile_ranges(struct mit_range *r, int n)
{
	int	i, out = 0;

	if (n <= 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		if ((uint32_t)r[i].lo <= (uint32_t)r[out].hi + 1) {
			if (r[i].hi > r[out].hi)
				r[out].hi = r[i].hi;
		} else
			r[++out] = r[i];
	}
	return out + 1;
}

static int
prefix_maxlen(const struct mit_prefix *p)
{
	return p->family == AF_INET ? 32 : 128;
}

/* Clears the host bits, so equal prefixes compare equal. */
static void
prefix_mask(struct mit_prefix *p)
{
	int	i, bits = p->len;

	for (i = 0; i < 16; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			p->addr[i] &= (uint8_t)(0xff00 >> bits);
			bits = 0;
		}
	}
	if (p->family == AF_INET)
		memset(p->addr + 4, 0, 12);
}

static void
prefix_str(const struct mit_prefix *p, char *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN];

	if (inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL)
		strcpy(a, "?");
	snprintf(buf, len, "%s/%u", a, p->len);
}

static int
compile_prefix_ok(const struct mit_prefix *p, const char *what, char *err,
    size_t errlen)
{
	if (p->family != AF_INET && p->family != AF_INET6) {
		snprintf(err, errlen, "%s: address family %u", what,
		    p->family);
		return -EINVAL;
	}
	if (p->len > prefix_maxlen(p)) {
		snprintf(err, errlen, "%s: prefix length %u", what, p->len);
		return -EINVAL;
	}
	return 0;
}

static int
compile_ranges_ok(const struct mit_range *r, int n, unsigned max,
    const char *what, char *err, size_t errlen)
{
	int	i;

	for (i = 0; i < n; i++)
		if (r[i].lo > r[i].hi || r[i].hi > max) {
			snprintf(err, errlen, "%s: bad range %u-%u", what,
			    r[i].lo, r[i].hi);
			return -EINVAL;
		}
	return 0;
}

/*
 * Checks that m is well formed: counts within their arrays, prefixes and
 * ranges sane, id usable in a group id. Returns 0 or -EINVAL with a
 * reason.
 */
int
compile_validate(const struct mitigation *m, char *err, size_t errlen)
{
	int	i, r;

	if (m->id > MIT_ID_MAX) {
		snprintf(err, errlen, "id %llu above 2^61-1",
		    (unsigned long long)m->id);
		return -EINVAL;
	}
	if (memchr(m->client, '\0', sizeof(m->client)) == NULL) {
		snprintf(err, errlen, "client name not terminated");
		return -EINVAL;
	}
	if (m->ntargets == 0 || m->ntargets > MIT_MAX_TARGETS ||
	    m->nports > MIT_MAX_PORTS || m->nproto > MIT_MAX_PROTO ||
	    m->nsources > MIT_MAX_SOURCES ||
	    m->nsource_ports > MIT_MAX_RANGES ||
	    m->nicmp_type > MIT_MAX_RANGES) {
		snprintf(err, errlen, "count out of bounds (targets %u ports "
		    "%u protocols %u sources %u)", m->ntargets, m->nports,
		    m->nproto, m->nsources);
		return -EINVAL;
	}
	if (m->policy.pin_level < -1 || m->policy.pin_level > MIT_LEVEL_RTBH) {
		snprintf(err, errlen, "pin level %d", m->policy.pin_level);
		return -EINVAL;
	}
	for (i = 0; i < m->ntargets; i++)
		if ((r = compile_prefix_ok(&m->targets[i], "target", err,
		    errlen)) != 0)
			return r;
	for (i = 0; i < m->nsources; i++)
		if ((r = compile_prefix_ok(&m->sources[i], "source", err,
		    errlen)) != 0)
			return r;
	if ((r = compile_ranges_ok(m->ports, m->nports, 65535, "port", err,
	    errlen)) != 0 ||
	    (r = compile_ranges_ok(m->source_ports, m->nsource_ports, 65535,
	    "source port", err, errlen)) != 0 ||
	    (r = compile_ranges_ok(m->icmp_type, m->nicmp_type, 255,
	    "icmp type", err, errlen)) != 0)
		return r;
	return 0;
}

/* Adds protocol p to the class with the given flags, creating it. */
static void
pclass_add(struct pclass *pc, int *npc, int ports, int icmp, int p)
{
	int	i;

	for (i = 0; i < *npc; i++)
		if (pc[i].ports == ports && pc[i].icmp == icmp)
			break;
	if (i == *npc) {
		memset(&pc[i], 0, sizeof(pc[i]));
		pc[i].ports = ports;
		pc[i].icmp = icmp;
		(*npc)++;
	}
	if (p >= 0)
		pc[i].proto[pc[i].nproto++] = p;
}

/*
 * The protocol classes of m for a target of family. Without a protocol
 * list, port attributes select the port-carrying protocols and ICMP types
 * select ICMP (of the target's family); no attribute selects everything.
 */
static int
compile_classes(const struct mitigation *m, int family, struct pclass *pc)
{
	int	ports = m->nports > 0 || m->nsource_ports > 0;
	int	icmp = m->nicmp_type > 0;
	int	icmp_proto = family == AF_INET ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_;
	int	i, npc = 0;

	if (m->nproto == 0) {
		if (!ports && !icmp)
			pclass_add(pc, &npc, 0, 0, -1);
		if (ports)
			pclass_add(pc, &npc, 1, 0, -1);
		if (icmp)
			pclass_add(pc, &npc, 0, 1, icmp_proto);
		return npc;
	}
	for (i = 0; i < m->nproto; i++) {
		if (ports && compile_port_proto(m->proto[i]))
			pclass_add(pc, &npc, 1, 0, m->proto[i]);
		else if (icmp && m->proto[i] == icmp_proto)
			pclass_add(pc, &npc, 0, 1, m->proto[i]);
		else
			pclass_add(pc, &npc, 0, 0, m->proto[i]);
	}
	return npc;
}

static int
prefix_eq(const struct mit_prefix *a, const struct mit_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	    memcmp(a->addr, b->addr, 16) == 0;
}

/* Copies m's prefixes masked and without duplicates; returns the count. */
static int
compile_prefixes(const struct mit_prefix *in, int n, struct mit_prefix *out)
{
	int	i, j, nout = 0;

	for (i = 0; i < n; i++) {
		out[nout] = in[i];
		prefix_mask(&out[nout]);
		for (j = 0; j < nout; j++)
			if (prefix_eq(&out[j], &out[nout]))
				break;
		if (j == nout)
			nout++;
	}
	return nout;
}

static struct mit_rule *
rule_next(struct mit_ruleset *rs, uint32_t rule_base)
{
	struct mit_rule	*r = &rs->rules[rs->nrules];

	memset(r, 0, sizeof(*r));
	r->id = rule_base | rs->nrules;
	rs->nrules++;
	return r;
}

static int
compile_rtbh(const struct mitigation *m, const struct mit_prefix *dst,
    int ndst, uint32_t rule_base, struct mit_ruleset *rs, char *err,
    size_t errlen)
{
	struct mit_rule	*r;
	char		 pfx[64];
	int		 i, floor;

	if (ndst > MIT_MAX_GROUP_RULES) {
		snprintf(err, errlen, "needs %d RTBH routes, more than %d per "
		    "mitigation", ndst, MIT_MAX_GROUP_RULES);
		return -E2BIG;
	}
	for (i = 0; i < ndst; i++) {
		floor = policy_min_len(m, SLOT_RTBH, dst[i].family);
		if (dst[i].len < floor) {
			prefix_str(&dst[i], pfx, sizeof(pfx));
			snprintf(err, errlen, "RTBH of %s refused: shorter "
			    "than /%d", pfx, floor);
			return -EPERM;
		}
		r = rule_next(rs, rule_base);
		r->kind = MIT_KIND_RTBH;
		r->action = MIT_ACT_DROP;
		r->dst = dst[i];
	}
	return 0;
}

/* Fills one flow rule: dst, optional src, one protocol class, one chunk. */
static void
compile_flow_rule(struct mit_rule *r, const struct mit_prefix *dst,
    const struct mit_prefix *src, const struct pclass *pc,
    const struct mit_range *dport, int ndport, const struct mit_range *sport,
    int nsport, const struct mit_range *icmp, int nicmp)
{
	r->kind = MIT_KIND_FLOW;
	r->action = MIT_ACT_DROP;
	r->dst = *dst;
	if (src != NULL) {
		r->src = *src;
		r->present |= MIT_F_SRC;
	}
	if (pc->nproto > 0) {
		r->nproto = pc->nproto;
		memcpy(r->proto, pc->proto, pc->nproto);
		r->present |= MIT_F_PROTO;
	}
	if (pc->ports && ndport > 0) {
		r->ndport = ndport;
		memcpy(r->dport, dport, ndport * sizeof(*dport));
		r->present |= MIT_F_DPORT;
	}
	if (pc->ports && nsport > 0) {
		r->nsport = nsport;
		memcpy(r->sport, sport, nsport * sizeof(*sport));
		r->present |= MIT_F_SPORT;
	}
	if (pc->icmp && nicmp > 0) {
		r->nicmp_type = nicmp;
		memcpy(r->icmp_type, icmp, nicmp * sizeof(*icmp));
		r->present |= MIT_F_ICMP_TYPE;
	}
}

static int
compile_flow(const struct mitigation *m, int slot,
    const struct mit_prefix *dst, int ndst, uint32_t rule_base,
    struct mit_ruleset *rs, char *err, size_t errlen)
{
	struct mit_prefix	 src[MIT_MAX_SOURCES];
	struct mit_range	 dport[MIT_MAX_PORTS];
	struct mit_range	 sport[MIT_MAX_RANGES], icmp[MIT_MAX_RANGES];
	struct pclass		 pc[3];
	const struct mit_prefix	*sp;
	char			 pfx[64];
	int			 nsrc, ndport, nsport, nicmp, nchunks;
	int			 i, j, k, c, npc, floor, need = 0, skipped = 0;

	nsrc = compile_prefixes(m->sources, m->nsources, src);
	memcpy(dport, m->ports, m->nports * sizeof(*dport));
	ndport = compile_ranges(dport, m->nports);
	memcpy(sport, m->source_ports, m->nsource_ports * sizeof(*sport));
	nsport = compile_ranges(sport, m->nsource_ports);
	memcpy(icmp, m->icmp_type, m->nicmp_type * sizeof(*icmp));
	nicmp = compile_ranges(icmp, m->nicmp_type);
	nchunks = ndport > 0 ? (ndport + MIT_MAX_RANGES - 1) / MIT_MAX_RANGES
	    : 1;

	/* Count first: a mitigation that does not fit is refused whole. */
	for (i = 0; i < ndst; i++) {
		int	ns = 0, nr = 0;

		for (j = 0; j < nsrc; j++)
			ns += src[j].family == dst[i].family;
		if (nsrc > 0 && ns == 0) {
			skipped++;
			continue;
		}
		npc = compile_classes(m, dst[i].family, pc);
		for (c = 0; c < npc; c++)
			nr += pc[c].ports ? nchunks : 1;
		need += (nsrc > 0 ? ns : 1) * nr;
		floor = policy_min_len(m, slot, dst[i].family);
		if (dst[i].len < floor) {
			prefix_str(&dst[i], pfx, sizeof(pfx));
			snprintf(err, errlen, "announcing %s refused: shorter "
			    "than /%d", pfx, floor);
			return -EPERM;
		}
	}
	if (skipped == ndst) {
		snprintf(err, errlen, "no source of the targets' address "
		    "family");
		return -EINVAL;
	}
	if (need > MIT_MAX_GROUP_RULES) {
		snprintf(err, errlen, "needs %d rules, more than %d per "
		    "mitigation", need, MIT_MAX_GROUP_RULES);
		return -E2BIG;
	}

	for (i = 0; i < ndst; i++) {
		npc = compile_classes(m, dst[i].family, pc);
		for (j = 0; j < (nsrc > 0 ? nsrc : 1); j++) {
			sp = nsrc > 0 ? &src[j] : NULL;
			if (sp != NULL && sp->family != dst[i].family)
				continue;
			for (c = 0; c < npc; c++) {
				if (!pc[c].ports) {
					compile_flow_rule(rule_next(rs,
					    rule_base), &dst[i], sp, &pc[c],
					    NULL, 0, sport, nsport, icmp,
					    nicmp);
					continue;
				}
				for (k = 0; k < nchunks; k++) {
					int	off = k * MIT_MAX_RANGES;
					int	n = ndport - off;

					if (n > MIT_MAX_RANGES)
						n = MIT_MAX_RANGES;
					compile_flow_rule(rule_next(rs,
					    rule_base), &dst[i], sp, &pc[c],
					    dport + off, n > 0 ? n : 0, sport,
					    nsport, icmp, nicmp);
				}
			}
		}
	}
	return 0;
}

/*
 * Compiles m's rules for slot into rs, under group id group, rule ids
 * rule_base | index. m must have passed compile_validate(). Returns 0,
 * -E2BIG when the rules do not fit in one group, -EPERM when a prefix is
 * shorter than the slot's floor, or -EINVAL, each with a reason.
 */
int
compile_ruleset(const struct mitigation *m, int slot, uint64_t group,
    uint32_t rule_base, struct mit_ruleset *rs, char *err, size_t errlen)
{
	struct mit_prefix	dst[MIT_MAX_TARGETS];
	int			ndst;

	rs->group = group;
	rs->nrules = 0;
	ndst = compile_prefixes(m->targets, m->ntargets, dst);
	if (slot == SLOT_RTBH)
		return compile_rtbh(m, dst, ndst, rule_base, rs, err, errlen);
	return compile_flow(m, slot, dst, ndst, rule_base, rs, err, errlen);
}
