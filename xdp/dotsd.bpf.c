// SPDX-License-Identifier: GPL-2.0
/*
 * dotsd.bpf.c: the XDP data plane. Parses a packet once (VLAN/QinQ, IPv4
 * options, a bounded walk of IPv6 extension headers, fragments), then finds
 * the rules of its destination through an LPM trie per family and applies
 * the first rule that matches: drop, rate-limit or accept.
 *
 * The per-packet cost depends on how many rule prefixes cover the
 * destination (at most XDP_MAX_DEPTH) and how many rules share one exact
 * prefix (at most XDP_MAX_CAND), never on the total number of rules, and the
 * program is the same whatever the rule count. See xdp/README.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp/dotsd_shared.h"

#define ETH_P_IP_	0x0800
#define ETH_P_IPV6_	0x86DD
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88A8

#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_	58
#define IPPROTO_SCTP_	132

char LICENSE[] SEC("license") = "GPL";

/* max_entries of the big maps are set by the loader (max-rules). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdp_key4);
	__type(value, struct xdp_pfx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lpm4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdp_key6);
	__type(value, struct xdp_pfx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lpm6 SEC(".maps");

/* Host prefixes (/32, /128) by exact address: a hash is cheaper than
 * walking a deep trie. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_pfx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} host4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(key_size, 16);
	__type(value, struct xdp_pfx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} host6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_list);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_spec);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} specs SEC(".maps");

/* Per CPU, so the hot path counts with plain adds and no atomics. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_gbucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gbucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct xdp_lbucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lbucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdp_gstats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gstats SEC(".maps");

/*
 * User space's record of the rules; see struct xdp_meta. A hash without
 * preallocation: it costs memory only for the slots in use.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct xdp_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} meta SEC(".maps");

/*
 * Updating an element of a map-in-map makes the kernel wait for every
 * running XDP program to finish (synchronize_rcu): user space uses this to
 * know that no packet still reads a list or rule it is about to reuse.
 */
struct rcu_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rcu_inner);
} rcu_sync SEC(".maps");

/* What the parser learnt of a packet. */
struct pkt {
	__u8	dst[16];
	__u32	src[4];
	__u32	flow_label;
	__u16	sport;
	__u16	dport;
	__u16	ip_len;		/* RFC 8955 packet length: IP header included */
	__u8	family;		/* 4 or 6 */
	__u8	proto;		/* IPv4 protocol / last IPv6 next header */
	__u8	icmp_type;
	__u8	icmp_code;
	__u8	tcp_flags;
	__u8	dscp;
	__u8	frag;		/* XDP_FRAG_* */
	__u8	l4;		/* L4_* : which L4 fields were read */
	__u8	pad[2];
};

#define L4_PORTS	0x01
#define L4_ICMP		0x02
#define L4_TCP		0x04

enum parse_res {
	PARSE_OK = 0,
	PARSE_NOT_IP,		/* not IPv4/IPv6: not ours */
	PARSE_MALFORMED,	/* destination known, the rest is not sound */
	PARSE_BAD_IP,		/* the IP header itself is truncated or wrong */
};

/*
 * Reads the L4 fields of a first fragment or an unfragmented packet.
 * A header cut short here is malformed: a tiny first fragment must not
 * slip past a port rule (RFC 1858).
 */
static __always_inline int
parse_l4(struct pkt *p, void *l4, void *data_end)
{
	switch (p->proto) {
	case IPPROTO_TCP_: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return PARSE_MALFORMED;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		p->l4 = L4_PORTS | L4_TCP;
		break;
	}
	case IPPROTO_UDP_: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return PARSE_MALFORMED;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->l4 = L4_PORTS;
		break;
	}
	case IPPROTO_SCTP_: {
		__u16 *ports = l4;

		if ((void *)(ports + 2) > data_end)
			return PARSE_MALFORMED;
		p->sport = bpf_ntohs(ports[0]);
		p->dport = bpf_ntohs(ports[1]);
		p->l4 = L4_PORTS;
		break;
	}
	case IPPROTO_ICMP_:
	case IPPROTO_ICMPV6_: {
		__u8 *ic = l4;

		/* ICMP for IPv4, ICMPv6 for IPv6 only. */
		if ((p->proto == IPPROTO_ICMP_) != (p->family == 4))
			break;
		if ((void *)(ic + 2) > data_end)
			return PARSE_MALFORMED;
		p->icmp_type = ic[0];
		p->icmp_code = ic[1];
		p->l4 = L4_ICMP;
		break;
	}
	}
	return PARSE_OK;
}

static __always_inline int
parse_ipv4(struct pkt *p, void *cur, void *data_end)
{
	struct iphdr *iph = cur;
	__u32 hlen;
	__u16 frag_off, off;

	if ((void *)(iph + 1) > data_end)
		return PARSE_BAD_IP;
	if (iph->version != 4)
		return PARSE_BAD_IP;
	p->family = 4;
	__builtin_memcpy(p->dst, &iph->daddr, 4);
	p->src[0] = iph->saddr;
	hlen = iph->ihl * 4;
	p->ip_len = bpf_ntohs(iph->tot_len);
	if (hlen < sizeof(*iph) || p->ip_len < hlen)
		return PARSE_MALFORMED;
	if (cur + p->ip_len > data_end)
		return PARSE_MALFORMED;		/* truncated */
	p->dscp = iph->tos >> 2;
	p->proto = iph->protocol;

	frag_off = bpf_ntohs(iph->frag_off);
	off = frag_off & 0x1fff;
	if (frag_off & 0x4000)
		p->frag |= XDP_FRAG_DF;
	if ((frag_off & 0x2000) || off) {
		p->frag |= XDP_FRAG_ISF;
		if (!off)
			p->frag |= XDP_FRAG_FF;
		else if (!(frag_off & 0x2000))
			p->frag |= XDP_FRAG_LF;
	}
	if (off)
		return PARSE_OK;	/* non-first fragment: no L4 fields */
	cur += hlen;
	if (cur > data_end)
		return PARSE_MALFORMED;
	return parse_l4(p, cur, data_end);
}

static __always_inline int
parse_ipv6(struct pkt *p, void *cur, void *data_end)
{
	struct ipv6hdr *ip6 = cur;
	__u32 vtf;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return PARSE_BAD_IP;
	vtf = bpf_ntohl(*(__u32 *)ip6);
	if ((vtf >> 28) != 6)
		return PARSE_BAD_IP;
	p->family = 6;
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	p->dscp = (vtf >> 22) & 0x3f;
	p->flow_label = vtf & 0xfffff;
	p->ip_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	/* payload_len 0 is a jumbogram or a lie: neither is handled here */
	if (ip6->payload_len == 0 || cur + p->ip_len > data_end)
		return PARSE_MALFORMED;
	nh = ip6->nexthdr;
	cur = ip6 + 1;

	/* Bounded walk: a chain longer than XDP_MAX_EXTHDR is malformed. */
#pragma unroll
	for (i = 0; i < XDP_MAX_EXTHDR; i++) {
		__u8 *eh = cur;
		__u32 len;

		switch (nh) {
		case 0:		/* Hop-by-Hop */
		case 43:	/* Routing */
		case 60:	/* Destination Options */
		case 135:	/* Mobility */
		case 139:	/* HIP */
		case 140:	/* Shim6 */
			if ((void *)(eh + 2) > data_end)
				return PARSE_MALFORMED;
			nh = eh[0];
			len = ((__u32)eh[1] + 1) * 8;
			break;
		case 51:	/* AH: length in 4-octet units, minus 2 */
			if ((void *)(eh + 2) > data_end)
				return PARSE_MALFORMED;
			nh = eh[0];
			len = ((__u32)eh[1] + 2) * 4;
			break;
		case 44: {	/* Fragment */
			__u16 fo;

			if ((void *)(eh + 8) > data_end)
				return PARSE_MALFORMED;
			nh = eh[0];
			fo = bpf_ntohs(*(__u16 *)(eh + 2));
			if ((fo & 0xfff8) || (fo & 1)) {
				p->frag |= XDP_FRAG_ISF;
				if (!(fo & 0xfff8))
					p->frag |= XDP_FRAG_FF;
				else if (!(fo & 1))
					p->frag |= XDP_FRAG_LF;
			}
			if (fo & 0xfff8) {
				/* non-first fragment: the upper-layer protocol is
				 * known, its header is not here */
				p->proto = nh;
				return PARSE_OK;
			}
			len = 8;
			break;
		}
		default:
			p->proto = nh;
			return parse_l4(p, cur, data_end);
		}
		cur += len;
		if (cur > data_end)
			return PARSE_MALFORMED;
	}
	return PARSE_MALFORMED;
}

static __always_inline int
parse(struct xdp_md *ctx, struct pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cur;
	__u16 eth_type;
	int i;

	if ((void *)(eth + 1) > data_end)
		return PARSE_NOT_IP;
	eth_type = bpf_ntohs(eth->h_proto);
	cur = eth + 1;
#pragma unroll
	for (i = 0; i < XDP_MAX_VLAN; i++) {
		__u16 *vh = cur;

		if (eth_type != ETH_P_8021Q_ && eth_type != ETH_P_8021AD_)
			break;
		if ((void *)(vh + 2) > data_end)
			return PARSE_NOT_IP;
		eth_type = bpf_ntohs(vh[1]);
		cur = vh + 2;
	}
	if (eth_type == ETH_P_IP_)
		return parse_ipv4(p, cur, data_end);
	if (eth_type == ETH_P_IPV6_)
		return parse_ipv6(p, cur, data_end);
	return PARSE_NOT_IP;
}

static __always_inline int
in_ranges(const struct xdp_range *r, __u8 n, __u16 v)
{
	int i;

#pragma unroll
	for (i = 0; i < XDP_MAX_RANGES; i++) {
		if (i >= n)
			break;
		if (v >= r[i].lo && v <= r[i].hi)
			return 1;
	}
	return 0;
}

/*
 * Returns 1 when every present component of s matches p. A rule with an
 * L4 component never matches a packet whose L4 header was not read
 * (non-first fragment, other protocol).
 */
__noinline int
match_spec(const struct xdp_spec *s, const struct pkt *p)
{
	__u16 present;
	int i, ok;

	if (!s || !p)
		return 0;
	present = s->present;
	if (present & XDP_F_SRC) {
		ok = 1;
#pragma unroll
		for (i = 0; i < 4; i++)
			if ((p->src[i] & s->src_mask[i]) != s->src[i])
				ok = 0;
		if (!ok)
			return 0;
	}
	if (present & XDP_F_PROTO) {
		ok = 0;
#pragma unroll
		for (i = 0; i < XDP_MAX_PROTO; i++)
			if (i < s->nproto && s->proto[i] == p->proto)
				ok = 1;
		if (!ok)
			return 0;
	}
	if ((present & (XDP_F_DPORT | XDP_F_SPORT | XDP_F_PORT)) &&
	    !(p->l4 & L4_PORTS))
		return 0;
	if ((present & XDP_F_DPORT) &&
	    !in_ranges(s->dport, s->ndport, p->dport))
		return 0;
	if ((present & XDP_F_SPORT) &&
	    !in_ranges(s->sport, s->nsport, p->sport))
		return 0;
	if ((present & XDP_F_PORT) &&
	    !in_ranges(s->port, s->nport, p->dport) &&
	    !in_ranges(s->port, s->nport, p->sport))
		return 0;
	if (present & (XDP_F_ICMP_TYPE | XDP_F_ICMP_CODE)) {
		if (!(p->l4 & L4_ICMP))
			return 0;
		if ((present & XDP_F_ICMP_TYPE) &&
		    !in_ranges(s->icmp_type, s->nicmp_type, p->icmp_type))
			return 0;
		if ((present & XDP_F_ICMP_CODE) &&
		    !in_ranges(s->icmp_code, s->nicmp_code, p->icmp_code))
			return 0;
	}
	if (present & XDP_F_TCP_FLAGS) {
		if (!(p->l4 & L4_TCP))
			return 0;
		if ((p->tcp_flags & s->tcp_mask) != s->tcp_value)
			return 0;
	}
	if ((present & XDP_F_PKT_LEN) &&
	    !in_ranges(s->pkt_len, s->npkt_len, p->ip_len))
		return 0;
	if ((present & XDP_F_DSCP) && !((s->dscp_set >> (p->dscp & 63)) & 1))
		return 0;
	if ((present & XDP_F_FRAG) &&
	    (p->frag & s->frag_mask) != s->frag_value)
		return 0;
	if ((present & XDP_F_FLOW_LABEL) && p->flow_label != s->flow_label)
		return 0;
	return 1;
}

/*
 * Token bucket shared by all CPUs without a lock: each CPU spends tokens
 * it borrowed in chunks (about 1 ms of rate) from the shared bucket, which
 * is credited by whichever CPU wins a compare-and-swap on last_ns. Atomics
 * touch the shared cache line once per chunk, not once per packet.
 * Returns 1 to pass the packet.
 */
static __always_inline int
rl_admit(__u32 ctr, __u64 cost)
{
	struct xdp_gbucket *g = bpf_map_lookup_elem(&gbucket, &ctr);
	struct xdp_lbucket *l = bpf_map_lookup_elem(&lbucket, &ctr);
	__u64 now, last, delta, add, rate, need;
	__s64 old, t;

	if (!g || !l)
		return 0;
	if (l->epoch != g->epoch) {
		l->epoch = g->epoch;
		l->tokens = 0;
	}
	if (l->tokens >= (__s64)cost) {
		l->tokens -= cost;
		return 1;
	}

	rate = g->rate;
	now = bpf_ktime_get_ns();
	last = g->last_ns;
	if (rate && now > last) {
		delta = now - last;
		if (delta > XDP_RL_REFILL_CAP_NS) {
			/* idle for a while: the bucket is full anyway */
			add = XDP_RL_REFILL_CAP_NS * rate / 1000000000ULL;
			if (__sync_val_compare_and_swap(&g->last_ns, last,
			    now) != last)
				add = 0;
		} else {
			add = delta * rate / 1000000000ULL;
			/* advance by the time these tokens are worth, so the
			 * fractions are not lost */
			if (add && __sync_val_compare_and_swap(&g->last_ns,
			    last, last + add * 1000000000ULL / rate) != last)
				add = 0;
		}
		if (add) {
			t = __sync_fetch_and_add(&g->tokens, add) + add;
			if (t > (__s64)g->burst)
				__sync_fetch_and_add(&g->tokens,
				    (__s64)g->burst - t);
		}
	}

	need = g->chunk;
	if (need < cost)
		need = cost;
	old = __sync_fetch_and_add(&g->tokens, -(__s64)need);
	if (old >= (__s64)need) {
		l->tokens += need - cost;
		return 1;
	}
	__sync_fetch_and_add(&g->tokens, need);
	if (need == cost)
		return 0;
	old = __sync_fetch_and_add(&g->tokens, -(__s64)cost);
	if (old >= (__s64)cost)
		return 1;
	__sync_fetch_and_add(&g->tokens, cost);
	return 0;
}

static __always_inline struct xdp_pfx *
lookup_pfx(struct pkt *p, struct xdp_key6 *key)
{
	if (p->family == 4)
		return bpf_map_lookup_elem(&lpm4, key);
	return bpf_map_lookup_elem(&lpm6, key);
}

static __always_inline struct xdp_pfx *
lookup_host(struct pkt *p)
{
	if (p->family == 4)
		return bpf_map_lookup_elem(&host4, p->dst);
	return bpf_map_lookup_elem(&host6, p->dst);
}

static __always_inline void
count_gstats(int which)
{
	__u32 zero = 0;
	struct xdp_gstats *gs = bpf_map_lookup_elem(&gstats, &zero);

	if (!gs)
		return;
	switch (which) {
	case 0: gs->malformed_passed++; break;
	case 1: gs->malformed_dropped++; break;
	case 2: gs->nonip++; break;
	case 3: gs->depth_exceeded++; break;
	}
}

/* Applies a matched rule's action and counts it. */
static __always_inline int
apply_spec(const struct xdp_spec *s, __u64 bytes)
{
	__u32 ctr = s->ctr;
	struct xdp_counters *c = bpf_map_lookup_elem(&counters, &ctr);
	int pass;

	switch (s->action) {
	case XDP_ACT_ACCEPT:
		pass = 1;
		break;
	case XDP_ACT_RATE_BPS:
		pass = rl_admit(ctr, bytes);
		break;
	case XDP_ACT_RATE_PPS:
		pass = rl_admit(ctr, 1);
		break;
	default:
		pass = 0;
		break;
	}
	if (c) {
		if (pass) {
			c->pkts_passed++;
			c->bytes_passed += bytes;
		} else {
			c->pkts_dropped++;
			c->bytes_dropped += bytes;
		}
	}
	return pass ? XDP_PASS : XDP_DROP;
}

#define NO_VERDICT	(-1)

/*
 * The rules of one destination prefix, at the packet's generation: the
 * first that matches decides; NO_VERDICT sends the walk on.
 */
static __always_inline int
try_prefix(struct xdp_pfx *pfx, __u64 gen, struct pkt *p, int res,
    __u32 malformed_drop, __u64 bytes)
{
	struct xdp_list *l;
	__u32 list_id;
	int i;

	list_id = gen >= pfx->gen ? pfx->list_new : pfx->list_old;
	l = bpf_map_lookup_elem(&lists, &list_id);
	if (!l || !l->n)
		return NO_VERDICT;
	if (res == PARSE_MALFORMED) {
		/* a protected destination: never match rules on what could
		 * not be parsed */
		count_gstats(malformed_drop ? 1 : 0);
		return malformed_drop ? XDP_DROP : XDP_PASS;
	}
	for (i = 0; i < XDP_MAX_CAND; i++) {
		__u32 spec_id;
		struct xdp_spec *s;

		if (i >= l->n)
			break;
		spec_id = l->spec[i];
		s = bpf_map_lookup_elem(&specs, &spec_id);
		if (s && match_spec(s, p))
			return apply_spec(s, bytes);
	}
	return NO_VERDICT;
}

SEC("xdp")
int
dotsd_xdp(struct xdp_md *ctx)
{
	struct pkt p = {};
	struct xdp_key6 key = {};
	struct xdp_pfx *pfx;
	struct xdp_cfg *c;
	__u32 zero = 0, full, trie_min, malformed_drop;
	__u64 gen, bytes;
	int res, depth, v;

	bytes = ctx->data_end - ctx->data;
	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c)
		return XDP_PASS;
	gen = c->gen;
	malformed_drop = c->malformed_drop;

	res = parse(ctx, &p);
	if (res == PARSE_NOT_IP) {
		count_gstats(2);
		return XDP_PASS;
	}
	if (res == PARSE_BAD_IP) {
		/* no destination to look up: the policy alone decides */
		count_gstats(malformed_drop ? 1 : 0);
		return malformed_drop ? XDP_DROP : XDP_PASS;
	}
	full = p.family == 4 ? 32 : 128;
	trie_min = p.family == 4 ? c->trie_min4 : c->trie_min6;

	/* the host prefix first: the usual target of a mitigation */
	key.prefixlen = full;
	pfx = lookup_host(&p);
	if (pfx) {
		v = try_prefix(pfx, gen, &p, res, malformed_drop, bytes);
		if (v != NO_VERDICT)
			return v;
		key.prefixlen = full - 1;
	}
	__builtin_memcpy(key.addr, p.dst, 16);
	for (depth = 0; depth < XDP_MAX_DEPTH; depth++) {
		if (key.prefixlen < trie_min || trie_min > full)
			return XDP_PASS;	/* nothing that short in the trie */
		pfx = lookup_pfx(&p, &key);
		if (!pfx)
			return XDP_PASS;
		v = try_prefix(pfx, gen, &p, res, malformed_drop, bytes);
		if (v != NO_VERDICT)
			return v;
		if (pfx->plen == 0)
			return XDP_PASS;
		key.prefixlen = pfx->plen - 1;
	}
	count_gstats(3);
	return XDP_PASS;
}
