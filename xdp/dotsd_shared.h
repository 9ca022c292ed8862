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
 *   lpm4/lpm6[dst]          else the longest shorter prefix: one LPM lookup
 *             -> struct xdp_pfx {cls[old/new], gen}
 *             v
 *   words[cls...]           the prefix class: every rule whose destination
 *                           covers this prefix (nested prefixes folded in
 *                           by user space), in RFC 8955 §5.1 order, as
 *                           per-field elementary-interval tables whose
 *                           entries are bitmaps of those rules
 *             v             (AND of one bitmap per field, first set bit)
 *   words[rules + i] = ctr | action << 32
 *             v
 *   counters[ctr] (per CPU), gbucket[ctr] + lbucket[ctr] (per CPU)
 */
#ifndef XDP_DOTSD_SHARED_H
#define XDP_DOTSD_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define XDP_CLASS_WORDS		64	/* bitmap words of a prefix class */
#define XDP_CLASS_RULES		4096	/* = 64 * XDP_CLASS_WORDS: rules covering one prefix */
#define XDP_NFIELDS		12	/* = the bits of enum xdp_field */
#define XDP_BSEARCH_STEPS	18	/* 2^18 > bounds of any field table */
#define XDP_MAX_RANGES		8	/* = MIT_MAX_RANGES */
#define XDP_MAX_PROTO		8	/* = MIT_MAX_PROTO */
#define XDP_MAX_VLAN		2	/* 802.1Q + 802.1ad (QinQ) */
#define XDP_MAX_EXTHDR		8	/* IPv6 extension headers walked */
#define XDP_CLASS_EMPTY		0	/* words[0..]: a class of no rules */

/* Rate limiter: a shared bucket lends chunks to per-CPU buckets. */
#define XDP_RL_REFILL_CAP_NS	100000000ULL	/* credit at most 100 ms at once */
#define XDP_RL_MAX_RATE		90000000000ULL	/* so ns * rate fits in 64 bits */

enum xdp_action_code {
	XDP_ACT_DROP = 0,
	XDP_ACT_RATE_BPS,
	XDP_ACT_RATE_PPS,
	XDP_ACT_ACCEPT,
};

/* Fields of a rule (mit_rule.present bits, = enum mit_field). */
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
	 * No LPM entry is shorter than this (XDP_TRIE_EMPTY: none at all):
	 * with only host prefixes the LPM lookup that would miss is skipped.
	 * Lowered before a shorter prefix is published, raised after.
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
 * packet) is >= gen use cls_new, older ones cls_old: writing every touched
 * prefix and then bumping cfg.gen publishes a rule set at once.
 */
struct xdp_pfx {
	__u64	gen;
	__u32	cls_old;	/* word offset of a prefix class in words */
	__u32	cls_new;
};

/*
 * A prefix class in the words array, at offset C (all offsets absolute):
 *
 *   words[C]       nrules | nwords << 16 | fmask << 32 | order << 48
 *   words[C + 1]   R: words[R + i] = rule i's counter slot | action << 32
 *   words[C + 2 + k], the k-th field of fmask (lowest bit first):
 *                  B | n << 32: n sorted interval starts at words[B...]
 *                  (two words, high half first, for an IPv6 source),
 *                  the first one 0; then n + 1 bitmap records of
 *                  1 + nwords words: record i for values in interval i,
 *                  record n for a packet without that L4 header. Word 0
 *                  of a record says which of its words are not zero.
 *
 * Bit j of word w of a record is set when rule 64 w + j lacks the field
 * or matches the interval's values. The rules are in match order, so the
 * first bit set in the AND of one record per field is the verdict.
 * order is the allocation size (8 << order words) of the region.
 */
#define XDP_C_NRULES(w)	((__u32)((w) & 0xffff))
#define XDP_C_NWORDS(w)	((__u32)(((w) >> 16) & 0xff))
#define XDP_C_FMASK(w)	((__u32)(((w) >> 32) & 0xffff))
#define XDP_C_ORDER(w)	((__u32)(((w) >> 48) & 0xff))
#define XDP_C_HDR	2	/* words before the field descriptors */

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
	__u64	unused;	/* was depth_exceeded: no depth limit any more */
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
	__u32	pad;
	__u8	rule[XDP_META_RULE_SIZE];
};

#endif
