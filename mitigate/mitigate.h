/*
 * mitigate.h: THE interface between the DOTS side and the enforcement side.
 *
 *   dotsd/ --(struct mitigation, engine_*)--> mitigate/ --(struct mit_rule,
 *   struct mit_backend)--> xdp/, bgp/
 *
 * dotsd/ knows struct mitigation and the engine_* calls. Backends know
 * struct mit_rule, struct mit_ruleset and struct mit_backend, and nothing of
 * DOTS (no cuid, mid, CoAP or YANG). Every struct here is flat (no
 * pointers, bounded arrays), so it can later cross a privilege-separation
 * pipe as a fixed-size message.
 */
#ifndef MITIGATE_MITIGATE_H
#define MITIGATE_MITIGATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Rules: the match fields of BGP flowspec (RFC 8955 §4, RFC 8956 §3) */
/* ------------------------------------------------------------------ */

#define MIT_MAX_RANGES	8	/* terms per numeric component */
#define MIT_MAX_PROTO	8	/* protocols per rule */

struct mit_prefix {
	uint8_t		family;		/* AF_INET, AF_INET6, 0 = absent */
	uint8_t		len;		/* prefix length in bits */
	uint8_t		addr[16];	/* network byte order, host bits 0 */
};

/* Inclusive range; lo == hi for a single value. */
struct mit_range {
	uint16_t	lo;
	uint16_t	hi;
};

/* RFC 8955 §4.2.2.12 fragment bits, used as mask/value pairs. */
enum mit_frag {
	MIT_FRAG_DF	= 0x01,	/* Don't Fragment (IPv4 only) */
	MIT_FRAG_ISF	= 0x02,	/* Is a Fragment */
	MIT_FRAG_FF	= 0x04,	/* First Fragment */
	MIT_FRAG_LF	= 0x08,	/* Last Fragment */
};

enum mit_action {
	MIT_ACT_DROP = 0,	/* discard (flowspec traffic-rate 0) */
	MIT_ACT_RATE_BPS,	/* police to rate bytes/s; 0 = drop */
	MIT_ACT_RATE_PPS,	/* police to rate packets/s; 0 = drop */
	MIT_ACT_ACCEPT,		/* exception inside a dropped scope */
};

/*
 * What a rule is for. A backend ignores kinds it cannot carry and says so
 * through apply()'s return value.
 */
enum mit_kind {
	MIT_KIND_FLOW = 0,	/* flowspec rule: XDP locally, flowspec upstream */
	MIT_KIND_RTBH,		/* RFC 7999 blackhole of dst (BGP only) */
};

/* Bits of mit_rule.present: which optional components the rule carries. */
enum mit_field {
	MIT_F_SRC	= 1 << 0,
	MIT_F_PROTO	= 1 << 1,
	MIT_F_DPORT	= 1 << 2,
	MIT_F_SPORT	= 1 << 3,
	MIT_F_PORT	= 1 << 4,	/* either port (flowspec type 4) */
	MIT_F_ICMP_TYPE	= 1 << 5,
	MIT_F_ICMP_CODE	= 1 << 6,
	MIT_F_TCP_FLAGS	= 1 << 7,
	MIT_F_PKT_LEN	= 1 << 8,
	MIT_F_DSCP	= 1 << 9,
	MIT_F_FRAG	= 1 << 10,
	MIT_F_FLOW_LABEL = 1 << 11,	/* IPv6 only (RFC 8956 type 13) */
};

/*
 * One rule. A packet matches when it is inside dst and every present
 * component matches; a component with several terms matches when any term
 * does (OR), as in flowspec. Fields not flagged in `present` are ignored.
 */
struct mit_rule {
	uint32_t	id;		/* stable, unique, assigned by the engine */
	uint8_t		kind;		/* enum mit_kind */
	uint8_t		action;		/* enum mit_action */
	uint16_t	present;	/* enum mit_field bits */
	uint64_t	rate;		/* for MIT_ACT_RATE_*: bytes/s or pkts/s */

	struct mit_prefix dst;		/* always present */
	struct mit_prefix src;		/* MIT_F_SRC; same family as dst */

	uint8_t		nproto;
	uint8_t		proto[MIT_MAX_PROTO];	/* IPv4 protocol / IPv6 NH */

	uint8_t		ndport, nsport, nport;
	struct mit_range dport[MIT_MAX_RANGES];
	struct mit_range sport[MIT_MAX_RANGES];
	struct mit_range port[MIT_MAX_RANGES];

	uint8_t		nicmp_type, nicmp_code;
	struct mit_range icmp_type[MIT_MAX_RANGES];	/* 0..255 */
	struct mit_range icmp_code[MIT_MAX_RANGES];	/* 0..255 */

	uint8_t		tcp_flags_mask;	/* packet & mask == value */
	uint8_t		tcp_flags_value;

	uint8_t		npkt_len;
	struct mit_range pkt_len[MIT_MAX_RANGES];	/* IP total length */

	uint64_t	dscp_set;	/* bit n set: DSCP n matches */

	uint8_t		frag_mask;	/* enum mit_frag; (bits & mask) == value */
	uint8_t		frag_value;

	uint32_t	flow_label;	/* MIT_F_FLOW_LABEL, 20 bits */
};

/*
 * All rules of one group (one mitigation at one escalation level), applied
 * and withdrawn as a unit. Rules in a group are evaluated in RFC 8955 §5.1
 * order by the backend; group ids are opaque to backends.
 */
#define MIT_MAX_GROUP_RULES	64

struct mit_ruleset {
	uint64_t	group;
	uint32_t	nrules;
	struct mit_rule	rules[MIT_MAX_GROUP_RULES];
};

/* Counters a backend reports for a group, summed over its rules. */
struct mit_stats {
	uint64_t	pkts_dropped;
	uint64_t	bytes_dropped;
	uint64_t	pkts_passed;	/* rate-limited or accepted, let through */
	uint64_t	bytes_passed;
	uint32_t	announced;	/* routes announced upstream (BGP) */
	uint32_t	peers_up;	/* BGP: peers holding these routes */
	/*
	 * A backend that asks another provider for mitigation (upstream
	 * DOTS) reports what that provider says: its drops (in the
	 * counters above), its averaged rates, and its state as an enum
	 * mit_state + 1 (0: nothing reported yet).
	 */
	uint8_t		remote_state;
	uint64_t	remote_bps_dropped;	/* bytes/s */
	uint64_t	remote_pps_dropped;
};

/*
 * Received rules: flow rules a backend learns from outside (BGP flowspec
 * from peers, route reflectors, controllers) for the engine to enforce on
 * the local backend only. They are their own source, not mitigations: no
 * client, no escalation, never announced upstream. The key is the
 * source's stable name for one rule (< 2^62); the same key is applied
 * again when its action changes and withdrawn once no peer sends it.
 */
enum mit_recv_op {
	MIT_RECV_APPLY = 0,
	MIT_RECV_WITHDRAW,
};

struct mit_recv {
	uint64_t	key;
	uint8_t		op;		/* enum mit_recv_op */
	uint8_t		npeers;		/* peers sending it */
	char		from[64];	/* the first of them */
	struct mit_rule	rule;		/* APPLY: match and action; id unset */
};

/* Why a received rule is not enforced (counted per reason). */
enum mit_recv_reason {
	MIT_RX_MALFORMED = 0,	/* RFC 7606 treat-as-withdraw */
	MIT_RX_IMPORT,		/* destination outside the import space */
	MIT_RX_PREFIX_LEN,	/* destination shorter than allowed */
	MIT_RX_MAX_RULES,	/* peer's import ceiling, or the engine's */
	MIT_RX_ACTION,		/* action not allowed for this peer */
	MIT_RX_VALIDATION,	/* RFC 8955 §6 / RFC 9117 validation failed */
	MIT_RX_INEXACT,		/* the data plane cannot express the match */
	MIT_RX_UNSUPPORTED,	/* redirect, marking, sample, non-terminal */
	MIT_RX_BACKEND,		/* the local backend refused it */
	MIT_RX_REASON_MAX
};

/*
 * A backend. One instance per process (backends keep static state); it may
 * run threads of its own, started in start() and joined in stop(). apply,
 * withdraw, stats and list are called from the engine's thread only and
 * must not block on the network.
 *
 * Every function returns 0 or -errno, and writes a short reason into err
 * (at most errlen bytes, NUL-terminated) when it fails.
 */
struct mit_backend {
	const char	*name;		/* "xdp", "bgp", "null" */

	/* One config keyword from dotsd.conf's backend block, before start. */
	int	(*configure)(const char *key, const char *value,
		    char *err, size_t errlen);
	int	(*start)(char *err, size_t errlen);
	void	(*stop)(void);

	/*
	 * Install or replace every rule of rs->group at once: after return,
	 * packets (or peers) see either all the old rules or all the new
	 * ones, never a mix. On failure nothing of the new set is installed
	 * and the old set stays. -E2BIG: a ceiling was hit; -EOPNOTSUPP: a
	 * rule kind or field this backend cannot carry.
	 */
	int	(*apply)(const struct mit_ruleset *rs, char *err, size_t errlen);
	/* Remove a group; removing an unknown group is not an error. */
	int	(*withdraw)(uint64_t group, char *err, size_t errlen);
	/* Counters of a group since it was first applied; -ENOENT if unknown. */
	int	(*stats)(uint64_t group, struct mit_stats *st);
	/*
	 * Calls fn for every group the backend holds (also those it adopted
	 * from a previous run, e.g. pinned BPF maps), for reconciliation.
	 */
	int	(*list)(void (*fn)(uint64_t group, void *arg), void *arg);
	/*
	 * Optional (NULL: none): the backend's compiled-in limits as
	 * "name value" pairs separated by ", " (dotsd -nv prints them).
	 * Static storage; callable before start.
	 */
	const char	*(*limits)(void);

	/*
	 * Optional, for a backend that receives rules (bgp). recv_fd: a
	 * descriptor readable when changes wait, or -1. recv_drain: moves at
	 * most max waiting changes into out, returns how many. recv_ignored:
	 * adds the backend's counts of rules left out to counts[] (indexed by
	 * enum mit_recv_reason).
	 */
	int	(*recv_fd)(void);
	int	(*recv_drain)(struct mit_recv *out, int max);
	void	(*recv_ignored)(uint64_t *counts);
};

extern const struct mit_backend xdp_backend, bgp_backend, null_backend;

/* ------------------------------------------------------------------ */
/* Mitigations: what dotsd hands the engine                           */
/* ------------------------------------------------------------------ */

#define MIT_MAX_TARGETS		32	/* resolved addresses and prefixes */
#define MIT_MAX_PORTS		16
#define MIT_MAX_SOURCES		8
#define MIT_NAME_LEN		64

/* Escalation levels, lowest first. */
enum mit_level {
	MIT_LEVEL_LOCAL = 0,	/* XDP on the box */
	MIT_LEVEL_FLOWSPEC,	/* + flowspec upstream */
	MIT_LEVEL_RTBH,		/* + RTBH of attacked hosts upstream */
};

/* Bits of mit_policy.backends. */
enum mit_where {
	MIT_WHERE_XDP		= 1 << 0,
	MIT_WHERE_FLOWSPEC	= 1 << 1,
	MIT_WHERE_RTBH		= 1 << 2,
};

/* The requesting client's policy, copied into each mitigation by dotsd. */
struct mit_policy {
	uint8_t		backends;	/* enum mit_where bits allowed */
	int8_t		pin_level;	/* -1: escalate freely, else fixed */
	uint8_t		min_len4;	/* shortest IPv4 prefix announced */
	uint8_t		min_len6;
	uint32_t	max_rules;	/* ceiling for this client */
};

/*
 * One accepted mitigation, targets already resolved and authorized by
 * dotsd (names and aliases expanded into prefixes, ports and protocols).
 */
struct mitigation {
	uint64_t	id;			/* dotsd's key; stable across restarts */
	char		client[MIT_NAME_LEN];	/* client name, for logs and policy */
	uint32_t	mid;			/* for logs only */

	uint8_t		ntargets;
	struct mit_prefix targets[MIT_MAX_TARGETS];
	uint8_t		nports;			/* 0 = all ports */
	struct mit_range ports[MIT_MAX_PORTS];
	uint8_t		nproto;			/* 0 = all protocols */
	uint8_t		proto[MIT_MAX_PROTO];

	/*
	 * optional source attributes (RFC 9066 call-home source-*, RFC
	 * 9244 top-talkers; later RFC 9133 ACLs): every rule is narrowed to
	 * one source (OR over sources), ports and ICMP types shared
	 */
	uint8_t		nsources;
	struct mit_prefix sources[MIT_MAX_SOURCES];
	uint8_t		nsource_ports;
	struct mit_range source_ports[MIT_MAX_RANGES];
	uint8_t		nicmp_type;
	struct mit_range icmp_type[MIT_MAX_RANGES];

	struct mit_policy policy;
};

/* Status the engine reports per mitigation; dotsd maps it to RFC 9132. */
enum mit_state {
	MIT_ST_PENDING = 0,	/* applying */
	MIT_ST_ACTIVE,		/* all selected backends hold it */
	MIT_ST_EXCEEDED,	/* a backend or ceiling refused part of it */
	MIT_ST_FAILED,		/* nothing could be applied */
	MIT_ST_RECORDED,	/* no backend configured: kept, not enforced */
	MIT_ST_MAX
};

struct mit_status {
	uint8_t		state;		/* enum mit_state */
	uint8_t		level;		/* enum mit_level now in force */
	uint8_t		upstream_only;	/* nothing dropped here, only announced */
	uint64_t	pkts_dropped;	/* local drops since start (XDP) */
	uint64_t	bytes_dropped;
	uint64_t	pps_dropped;	/* averaged, see engine.c */
	uint64_t	bps_dropped;	/* bytes per second */
	uint32_t	routes_announced;
	char		reason[128];	/* why EXCEEDED/FAILED, or last step */
	/*
	 * Of the counters above, what upstream providers reported (already
	 * added in), and their state as enum mit_state + 1 (0: none
	 * reported), for dotsctl and logs.
	 */
	uint8_t		remote_state;
	uint64_t	remote_pkts_dropped;
	uint64_t	remote_bytes_dropped;
};

/* Engine API, called by dotsd (main thread). 0 or -errno. */
int	engine_configure(const char *key, const char *value, char *err,
	    size_t errlen);
int	engine_add_backend(const struct mit_backend *be);
int	engine_start(char *err, size_t errlen);
/* 1 when no escalation level has a backend: requests are only recorded. */
int	engine_recording(void);
void	engine_stop(void);

/*
 * Create or replace a mitigation. All-or-nothing: on error nothing of m is
 * in force (an older version of the same id stays as it was).
 */
int	engine_apply(const struct mitigation *m, char *err, size_t errlen);
int	engine_withdraw(uint64_t id);
int	engine_status(uint64_t id, struct mit_status *st);
/* Counters, rates and escalation; call about once a second. */
void	engine_tick(time_t now);
/*
 * Compare what the backends hold with what the active mitigations call
 * for. Returns the number of differences (0 = consistent) and describes
 * the first ones in report.
 */
int	engine_reconcile(char *report, size_t len);
/*
 * Operator override (dotsctl): fix mitigation id at level (enum mit_level),
 * or -1 to let it escalate freely again; moves it there now. 0 or -errno.
 */
int	engine_pin(uint64_t id, int level, char *err, size_t errlen);
/*
 * Make the backends hold what the active mitigations call for (withdraw
 * leftovers, e.g. pinned groups of mitigations gone across a restart;
 * re-apply missing ones). Returns the differences left, as
 * engine_reconcile() does.
 */
int	engine_repair(char *report, size_t len);

/*
 * Received rules (mitigate/recv.c). engine_recv_fd: what dotsd polls, or
 * -1; engine_recv_process: applies what the backends received to the
 * local backend (at most a batch per call; returns 1 when more waits).
 */
struct mit_recv_info {
	uint64_t	key;
	uint8_t		npeers;
	char		from[64];
	struct mit_rule	rule;
	struct mit_stats st;
};
int	engine_recv_fd(void);
int	engine_recv_process(void);
/* Calls fn for every received rule in force, with its counters. */
void	engine_recv_list(void (*fn)(const struct mit_recv_info *, void *),
	    void *arg);
size_t	engine_recv_count(void);
/* Rules left out so far, per enum mit_recv_reason (counts[] zeroed). */
void	engine_recv_ignored(uint64_t counts[MIT_RX_REASON_MAX]);
const char *engine_recv_reason_name(int reason);

/* ------------------------------------------------------------------ */
/* Filters: RFC 8783 ACL entries, enforced locally as they are         */
/* ------------------------------------------------------------------ */

/*
 * One filter: the rules of one access control entry of a client, already
 * authorized by dotsd (destinations inside the client's domain). Filters
 * live in a group id space of their own (internal.h FILTER_GROUP), apart
 * from mitigations', and count towards the same ceilings (the client's
 * max-rules and the local max-rules). Each filter is one backend group,
 * so its counters are the entry's. Rule ids and kinds are assigned by the
 * engine; every rule is MIT_KIND_FLOW on the local backend.
 */
#define MIT_FILTER_ID_MAX	((UINT64_C(1) << 60) - 1)

struct mit_filter {
	uint64_t	id;			/* dotsd's key, 1..MAX */
	char		client[MIT_NAME_LEN];
	struct mit_policy policy;
	uint32_t	nrules;
	struct mit_rule	rules[MIT_MAX_GROUP_RULES];
};

/* Install or replace filter f, all-or-nothing. 0 or -errno with err. */
int	engine_filter_apply(const struct mit_filter *f, char *err,
	    size_t errlen);
/* Remove filter id (unknown: not an error). 0 or -errno. */
int	engine_filter_withdraw(uint64_t id);
/* Counters of filter id since first applied; -ENOENT if not in force. */
int	engine_filter_stats(uint64_t id, struct mit_stats *st);

#endif
