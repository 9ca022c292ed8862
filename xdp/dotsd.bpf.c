// SPDX-License-Identifier: GPL-2.0
/*
 * dotsd.bpf.c: the XDP data plane. Parses a packet once (VLAN/QinQ, IPv4
 * options, a bounded walk of IPv6 extension headers, fragments), then finds
 * the prefix class of its destination (a host hash, else one LPM lookup)
 * and classifies it against every rule of that class at once: one binary
 * search per field over elementary intervals, an AND of rule bitmaps, the
 * first set bit is the first matching rule (RFC 8955 §5.1 order). Then
 * drop, rate-limit or accept.
 *
 * The per-packet cost depends on the fields the class's rules use and,
 * logarithmically, on their distinct values; not on the number of rules on
 * a prefix, the nesting of prefixes or the total. See xdp/README.md.
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

/* Prefix classes: headers, interval starts, bitmaps, rule words. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} words SEC(".maps");

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

static __always_inline __u64 *
word(__u32 i)
{
	return bpf_map_lookup_elem(&words, &i);
}

/* Lowest set bit of x != 0, without branches (BPF has no instruction
 * for it, and branches would multiply the verifier's states). */
static const __u8 debruijn64[64] = {
	0, 1, 56, 2, 57, 49, 28, 3, 61, 58, 42, 50, 38, 29, 17, 4,
	62, 47, 59, 36, 45, 43, 51, 22, 53, 39, 33, 30, 24, 18, 12, 5,
	63, 55, 48, 27, 60, 41, 37, 16, 46, 35, 44, 21, 52, 32, 23, 11,
	54, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};

static __always_inline __u32
ctz64(__u64 x)
{
	return debruijn64[((x & -x) * 0x03f79d71b4ca8b09ULL) >> 58];
}

/*
 * The interval of v among the n sorted starts at words[b...] (the first
 * is 0): the last start <= v, by bounded binary search. A global function:
 * the verifier checks it once, not at every call site.
 */
__noinline __u32
find_interval(__u32 b, __u32 n, __u64 v)
{
	__u32 lo = 0, hi = n, mid, k;
	__u64 *w;

	for (k = 0; k < XDP_BSEARCH_STEPS; k++) {
		if (hi - lo <= 1)
			break;
		mid = lo + (hi - lo) / 2;
		w = word(b + mid);
		if (!w)
			break;
		if (*w <= v)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The same over 128-bit starts (an IPv6 source), two words each. */
__noinline __u32
find_interval2(__u32 b, __u32 n, __u64 vhi, __u64 vlo)
{
	__u32 lo = 0, hi = n, mid, k;
	__u64 *wh, *wl;

	for (k = 0; k < XDP_BSEARCH_STEPS; k++) {
		if (hi - lo <= 1)
			break;
		mid = lo + (hi - lo) / 2;
		wh = word(b + 2 * mid);
		wl = word(b + 2 * mid + 1);
		if (!wh || !wl)
			break;
		if (*wh < vhi || (*wh == vhi && *wl <= vlo))
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static __always_inline __u64
be64_at(const __u32 *a)
{
	return ((__u64)bpf_ntohl(a[0]) << 32) | bpf_ntohl(a[1]);
}

/*
 * One classification. The loops over fields and bitmap words run under
 * bpf_loop(), so the verifier checks each body once rather than every
 * combination of fields a class may use.
 */
struct cctx {
	__u64	v[16];		/* value of field f (enum xdp_field bit) */
	__u64	src_lo;		/* v[0] is the high half of an IPv6 source */
	__u64	sum;		/* words of the bitmaps still possible */
	__u32	has;		/* fields whose L4 header was read */
	__u32	v6;
	__u32	c, k, fmask, stride;
	__u32	rec[16];	/* the record each used field selects */
	__u32	nrec;
	__u32	has_port, port_d, port_s;
	__u32	bad;
	long	result;
};

/* Field i of the class: which of its records the packet selects. */
static long
field_cb(__u64 i, void *arg)
{
	struct cctx *x = arg;
	__u32 f = i, b, n, idx, kw = 1;
	__u64 *w;

	if (f >= XDP_NFIELDS)
		return 1;
	if (!(x->fmask & (1U << f)))
		return 0;
	w = word(x->c + XDP_C_HDR + x->k);
	x->k++;
	if (!w) {
		x->bad = 1;
		return 1;
	}
	b = (__u32)*w;
	n = (__u32)(*w >> 32);
	if (f == 4) {
		/* either port: the OR of both ports' records */
		x->has_port = 1;
		if (!(x->has & (1U << 4))) {
			x->port_d = x->port_s = b + n + x->stride * n;
			return 0;
		}
		x->port_d = b + n + x->stride * find_interval(b, n, x->v[2]);
		x->port_s = b + n + x->stride * find_interval(b, n, x->v[3]);
		return 0;
	}
	if (!(x->has & (1U << f)))
		idx = n;
	else if (f == 0 && x->v6) {
		kw = 2;
		idx = find_interval2(b, n, x->v[0], x->src_lo);
	} else
		idx = find_interval(b, n, x->v[f & 15]);
	if (x->nrec < XDP_NFIELDS)
		x->rec[x->nrec++ & 15] = b + n * kw + x->stride * idx;
	return 0;
}

/* The AND of the selected records' word wi (0: the summaries). */
static __always_inline __u64
and_word(struct cctx *x, __u32 wi)
{
	__u64 acc = ~0ULL, *w, *w2;
	__u32 i;

	for (i = 0; i < XDP_NFIELDS; i++) {
		if (i >= x->nrec)
			break;
		w = word(x->rec[i & 15] + wi);
		if (!w)
			return 0;
		acc &= *w;
	}
	if (x->has_port) {
		w = word(x->port_d + wi);
		w2 = word(x->port_s + wi);
		if (!w || !w2)
			return 0;
		acc &= *w | *w2;
	}
	return acc;
}

/* The next bitmap word the summaries leave: its first rule, if any. */
static long
word_cb(__u64 i, void *arg)
{
	struct cctx *x = arg;
	__u64 acc;
	__u32 wi;

	if (!x->sum)
		return 1;
	wi = ctz64(x->sum);
	acc = and_word(x, 1 + wi);
	if (acc) {
		x->result = wi * 64 + ctz64(acc);
		return 1;
	}
	x->sum &= x->sum - 1;
	return 0;
}

static __always_inline void
packet_values(const struct pkt *p, struct cctx *x)
{
	if (p->family == 6) {
		x->v6 = 1;
		x->v[0] = be64_at(p->src);
		x->src_lo = be64_at(p->src + 2);
	} else
		x->v[0] = bpf_ntohl(p->src[0]);
	x->v[1] = p->proto;
	x->v[2] = p->dport;
	x->v[3] = p->sport;
	x->v[5] = p->icmp_type;
	x->v[6] = p->icmp_code;
	x->v[7] = p->tcp_flags;
	x->v[8] = p->ip_len;
	x->v[9] = p->dscp;
	x->v[10] = p->frag;
	x->v[11] = p->flow_label;
	x->has = 0x0f03;	/* src, proto, len, dscp, frag, flow label */
	if (p->l4 & L4_PORTS)
		x->has |= 0x1c;
	if (p->l4 & L4_ICMP)
		x->has |= 0x60;
	if (p->l4 & L4_TCP)
		x->has |= 0x80;
}

/*
 * Classifies p against the class at c: the index of the first rule of
 * the class that matches, or -1. The cost is one search per field and
 * one AND per field for each bitmap word the summaries leave, whatever
 * the number of rules.
 */
static __always_inline long
classify(const struct pkt *p, __u32 c, __u64 hdr)
{
	struct cctx x = {};
	__u32 nw = XDP_C_NWORDS(hdr);

	if (nw == 0 || nw > XDP_CLASS_WORDS)
		return -1;
	packet_values(p, &x);
	x.c = c;
	x.fmask = XDP_C_FMASK(hdr);
	x.stride = nw + 1;
	x.result = -1;
	bpf_loop(XDP_NFIELDS, field_cb, &x, 0);
	if (x.bad)
		return -1;
	x.sum = nw >= 64 ? ~0ULL : (1ULL << nw) - 1;
	x.sum &= and_word(&x, 0);
	bpf_loop(XDP_CLASS_WORDS, word_cb, &x, 0);
	return x.result;
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
	}
}

/* Applies a matched rule's action and counts it. */
static __always_inline int
apply_rule(__u64 rw, __u64 bytes)
{
	__u32 ctr = (__u32)rw;
	struct xdp_counters *c = bpf_map_lookup_elem(&counters, &ctr);
	int pass;

	switch ((__u32)(rw >> 32)) {
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

SEC("xdp")
int
dotsd_xdp(struct xdp_md *ctx)
{
	struct pkt p = {};
	struct xdp_key6 key = {};
	struct xdp_pfx *pfx;
	struct xdp_cfg *c;
	__u32 zero = 0, full, trie_min, malformed_drop, cls;
	__u64 gen, bytes, *w;
	long ri;
	int res;

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

	/* the host prefix first: the usual target of a mitigation; its
	 * class holds the rules of every prefix above it too */
	pfx = lookup_host(&p);
	if (!pfx) {
		if (trie_min > full)
			return XDP_PASS;	/* no shorter prefix at all */
		key.prefixlen = full;
		__builtin_memcpy(key.addr, p.dst, 16);
		pfx = lookup_pfx(&p, &key);
		if (!pfx)
			return XDP_PASS;
	}
	cls = gen >= pfx->gen ? pfx->cls_new : pfx->cls_old;
	w = word(cls);
	if (!w || XDP_C_NRULES(*w) == 0)
		return XDP_PASS;
	if (res == PARSE_MALFORMED) {
		/* a protected destination: never match rules on what could
		 * not be parsed */
		count_gstats(malformed_drop ? 1 : 0);
		return malformed_drop ? XDP_DROP : XDP_PASS;
	}
	ri = classify(&p, cls, *w);
	if (ri < 0)
		return XDP_PASS;
	w = word(cls + 1);
	if (!w)
		return XDP_PASS;
	w = word((__u32)*w + (__u32)ri);
	if (!w)
		return XDP_PASS;
	return apply_rule(*w, bytes);
}
