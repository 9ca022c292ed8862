/*
 * dotsd_shared.h: map keys, values and constants shared by the XDP program
 * (dotsd.bpf.c) and user space (loader.c, rules.c, xdpctl.c). Both sides
 * must agree byte for byte, so everything here has fixed-width fields and
 * explicit padding.
 *
 * Lookup path of one packet (see xdp/README.md):
 *
 *   cfg.gen --+
 *             v
 *   host4/host6[dst]        exact /32 and /128 prefixes: one hash lookup
 *   lpm4/lpm6[dst]          shorter prefixes, longest first
 *             -> struct xdp_pfx {list[old/new], gen, plen}
 *             |            (walk to shorter covering prefixes: plen - 1)
 *             v
 *   lists[list] -> struct xdp_list {n, spec[]}   (RFC 8955 §5.1 order)
 *             v
 *   specs[spec] -> struct xdp_spec (match fields, action, counter slot)
 *             v
 *   counters[ctr] (per CPU), gbucket[ctr] + lbucket[ctr] (per CPU)
 */
#ifndef XDP_DOTSD_SHARED_H
#define XDP_DOTSD_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define XDP_MAX_CAND		16	/* rules sharing one exact dst prefix */
#define XDP_MAX_DEPTH		8	/* nested rule prefixes over one address */
#define XDP_MAX_RANGES		8	/* = MIT_MAX_RANGES */
#define XDP_MAX_PROTO		8	/* = MIT_MAX_PROTO */
#define XDP_MAX_VLAN		2	/* 802.1Q + 802.1ad (QinQ) */
#define XDP_MAX_EXTHDR		8	/* IPv6 extension headers walked */
#define XDP_LIST_EMPTY		0	/* lists[0] is never written: n == 0 */

/* Rate limiter: a shared bucket lends chunks to per-CPU buckets. */
#define XDP_RL_REFILL_CAP_NS	100000000ULL	/* credit at most 100 ms at once */
#define XDP_RL_MAX_RATE		90000000000ULL	/* so ns * rate fits in 64 bits */

enum xdp_action_code {
	XDP_ACT_DROP = 0,
	XDP_ACT_RATE_BPS,
	XDP_ACT_RATE_PPS,
	XDP_ACT_ACCEPT,
};

/* xdp_spec.present bits: identical to enum mit_field. */
enum xdp_field {
	XDP_F_SRC	= 1 << 0,
	XDP_F_PROTO	= 1 << 1,
	XDP_F_DPORT	= 1 << 2,
	XDP_F_SPORT	= 1 << 3,
	XDP_F_PORT	= 1 << 4,
	XDP_F_ICMP_TYPE	= 1 << 5,
	XDP_F_ICMP_CODE	= 1 << 6,
	XDP_F_TCP_FLAGS	= 1 << 7,
	XDP_F_PKT_LEN	= 1 << 8,
	XDP_F_DSCP	= 1 << 9,
	XDP_F_FRAG	= 1 << 10,
	XDP_F_FLOW_LABEL = 1 << 11,
};

/* Fields that live in the L4 header: never matched on non-first fragments. */
#define XDP_F_L4	(XDP_F_DPORT | XDP_F_SPORT | XDP_F_PORT | \
			 XDP_F_ICMP_TYPE | XDP_F_ICMP_CODE | XDP_F_TCP_FLAGS)

/* Fragment bits (RFC 8955 §4.2.2.12), = enum mit_frag. */
#define XDP_FRAG_DF	0x01
#define XDP_FRAG_ISF	0x02
#define XDP_FRAG_FF	0x04
#define XDP_FRAG_LF	0x08

/* cfg[0]: run-time settings, written by user space. */
struct xdp_cfg {
	__u64	gen;		/* current rule-set generation */
	__u32	malformed_drop;	/* 1: drop malformed packets (see README) */
	__u32	ncpus;
	/*
	 * No LPM entry is shorter than this (XDP_TRIE_EMPTY: none at all),
	 * so the walk stops without a lookup that would miss. Lowered before
	 * a shorter prefix is published, raised after it is gone.
	 */
	__u32	trie_min4;
	__u32	trie_min6;
};

#define XDP_TRIE_EMPTY	255

/* LPM trie keys. */
struct xdp_key4 {
	__u32	prefixlen;
	__u8	addr[4];
};

struct xdp_key6 {
	__u32	prefixlen;
	__u8	addr[16];
};

/*
 * One destination prefix. Packets whose generation (cfg.gen, read once per
 * packet) is >= gen use list_new, older ones list_old: writing every
 * touched prefix and then bumping cfg.gen publishes a rule set at once.
 */
struct xdp_pfx {
	__u64	gen;
	__u32	list_old;
	__u32	list_new;
	__u32	plen;		/* this entry's prefix length */
	__u32	pad;
};

/* Candidate rules of one exact destination prefix, in match order. */
struct xdp_list {
	__u32	n;
	__u32	spec[XDP_MAX_CAND];
};

struct xdp_range {
	__u16	lo;
	__u16	hi;
};

/* One compiled rule. */
struct xdp_spec {
	__u32	ctr;		/* counters / bucket slot */
	__u16	present;	/* enum xdp_field */
	__u8	action;		/* enum xdp_action_code */
	__u8	family;		/* 4 or 6 */
	__u32	src[4];		/* network order, already masked */
	__u32	src_mask[4];
	__u8	nproto, ndport, nsport, nport;
	__u8	nicmp_type, nicmp_code, npkt_len, pad0;
	__u8	proto[XDP_MAX_PROTO];
	struct xdp_range dport[XDP_MAX_RANGES];
	struct xdp_range sport[XDP_MAX_RANGES];
	struct xdp_range port[XDP_MAX_RANGES];
	struct xdp_range icmp_type[XDP_MAX_RANGES];
	struct xdp_range icmp_code[XDP_MAX_RANGES];
	struct xdp_range pkt_len[XDP_MAX_RANGES];
	__u8	tcp_mask, tcp_value, frag_mask, frag_value;
	__u32	flow_label;
	__u64	dscp_set;
};

/* counters[ctr], per CPU. */
struct xdp_counters {
	__u64	pkts_dropped;
	__u64	bytes_dropped;
	__u64	pkts_passed;
	__u64	bytes_passed;
};

/* gbucket[ctr]: the shared bucket of a rate-limit rule (atomics only). */
struct xdp_gbucket {
	__s64	tokens;		/* bytes or packets available to lend */
	__u64	last_ns;	/* time up to which tokens were credited */
	__u64	rate;		/* per second */
	__u64	burst;		/* bucket depth */
	__u64	chunk;		/* lent to a CPU at once */
	__u64	epoch;		/* bumped when the rule's rate changes */
};

/* lbucket[ctr], per CPU: tokens borrowed from the shared bucket. */
struct xdp_lbucket {
	__s64	tokens;
	__u64	epoch;
};

/* gstats[0], per CPU: packets that matched no rule for a reason. */
struct xdp_gstats {
	__u64	malformed_passed;
	__u64	malformed_dropped;
	__u64	nonip;
	__u64	depth_exceeded;
};

/*
 * meta[ctr]: user space's own record of each rule, so that a restarted
 * dotsd can adopt the pinned state. Never read by the XDP program.
 * rule holds a struct mit_rule verbatim (checked by a static assert).
 */
#define XDP_META_RULE_SIZE	384
struct xdp_meta {
	__u64	group;
	__u32	in_use;
	__u32	spec;
	__u8	rule[XDP_META_RULE_SIZE];
};

#endif
