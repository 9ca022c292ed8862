/*
 * flowspec.h: RFC 8955 / RFC 8956 flow specification NLRI, built from a
 * struct mit_rule and validated as strictly as BIRD does. No I/O, no logs.
 */
#ifndef BGP_FLOWSPEC_H
#define BGP_FLOWSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "mitigate/mitigate.h"

/*
 * Interop: gobgpd 3.10 disables the family after an NLRI whose length is
 * 240 or more (the 2-byte 0xfnnn form) and ExaBGP 4.2 rejects 256+, so
 * the speaker keeps every NLRI at or below 239 and splits rules otherwise.
 */
#define FLOWSPEC_MAX_LEN	239
#define FLOWSPEC_MAX_LEN_RFC	4095	/* 0xfnnn: 12 bits */
#define FLOWSPEC_NLRI_SIZE	(2 + FLOWSPEC_MAX_LEN_RFC)
#define FLOWSPEC_MAX_SPLIT	64	/* NLRIs one rule may become */

enum flowspec_type {
	FLOW_TYPE_DST_PREFIX = 1,
	FLOW_TYPE_SRC_PREFIX,
	FLOW_TYPE_PROTO,		/* IPv6: upper-layer protocol */
	FLOW_TYPE_PORT,
	FLOW_TYPE_DST_PORT,
	FLOW_TYPE_SRC_PORT,
	FLOW_TYPE_ICMP_TYPE,
	FLOW_TYPE_ICMP_CODE,
	FLOW_TYPE_TCP_FLAGS,
	FLOW_TYPE_PKT_LEN,
	FLOW_TYPE_DSCP,
	FLOW_TYPE_FRAGMENT,
	FLOW_TYPE_FLOW_LABEL,		/* RFC 8956 §3.7, IPv6 only */
	FLOW_TYPE_MAX
};

/* RFC 8955 §4.2.1.1 numeric_op and §4.2.1.2 bitmask_op bits. */
#define FLOW_OP_EOL	0x80
#define FLOW_OP_AND	0x40
#define FLOW_OP_LEN	0x30
#define FLOW_OP_LT	0x04
#define FLOW_OP_GT	0x02
#define FLOW_OP_EQ	0x01
#define FLOW_OP_NOT	0x02
#define FLOW_OP_MATCH	0x01
#define FLOW_OP_NUM_RESERVED	0x08
#define FLOW_OP_BIT_RESERVED	0x0c

/* Reasons flowspec_validate() gives; 0 is success. */
enum flowspec_err {
	FLOWSPEC_OK = 0,
	FLOWSPEC_E_TRUNC,	/* shorter than its length field says */
	FLOWSPEC_E_LENGTH,	/* bad length field (0xf0-less >= 240 etc.) */
	FLOWSPEC_E_EMPTY,	/* no component */
	FLOWSPEC_E_TYPE,	/* unknown component type for this AFI */
	FLOWSPEC_E_ORDER,	/* types not strictly increasing */
	FLOWSPEC_E_PREFIX,	/* prefix length or offset out of range */
	FLOWSPEC_E_AND_FIRST,	/* AND bit on the first term */
	FLOWSPEC_E_RESERVED,	/* reserved operator bits set */
	FLOWSPEC_E_VALUE_LEN,	/* value length not allowed for the type */
	FLOWSPEC_E_VALUE,	/* value out of range (DSCP > 63, label > 2^20) */
	FLOWSPEC_E_DF6,		/* DF fragment bit in IPv6 */
	FLOWSPEC_E_LABEL4,	/* flow label component in IPv4 */
	FLOWSPEC_E_NO_DST,	/* our own rule: no destination prefix */
	FLOWSPEC_E_MAX
};

/* One encoded NLRI: length field included. */
struct flowspec_nlri {
	uint16_t	len;
	uint8_t		buf[FLOWSPEC_NLRI_SIZE];
};

/*
 * Encodes rule r (kind MIT_KIND_FLOW; dst family selects IPv4 or IPv6)
 * into one or more NLRIs whose length value is at most maxlen (239 for
 * interop, up to 4095), splitting an OR list in two until each fits; the
 * NLRIs together match exactly what r matches, never more. Returns the
 * number of NLRIs written to out (at most nout), -EINVAL for a rule flowspec
 * cannot express (DF in IPv6, flow label in IPv4, bad family), or -E2BIG.
 */
int	flowspec_encode(const struct mit_rule *r, size_t maxlen,
	    struct flowspec_nlri *out, int nout);

/*
 * Validates the NLRI at p (length field included) for afi (1 IPv4, 2 IPv6)
 * with BIRD's strictness: component order, AND bit on a first term,
 * reserved bits, value lengths, DF in IPv6, flow label in IPv4. Sets *used
 * to the bytes it occupies. Returns FLOWSPEC_OK or an enum flowspec_err.
 */
int	flowspec_validate(int afi, const uint8_t *p, size_t len, size_t *used);
const char *flowspec_strerror(int reason);

/* Extended communities (RFC 8955 §7), 8 bytes each, network order. */
void	flowspec_ec_rate_bytes(uint8_t ec[8], uint16_t asn, float rate);
void	flowspec_ec_rate_pkts(uint8_t ec[8], uint16_t asn, float rate);
void	flowspec_ec_action(uint8_t ec[8], int sample, int terminal);
void	flowspec_ec_redirect(uint8_t ec[8], uint32_t asn, uint32_t val);
void	flowspec_ec_marking(uint8_t ec[8], uint8_t dscp);

/*
 * Returns 1 when no packet can match both a and b (some component present
 * in both has disjoint values), 0 when they may overlap.
 */
int	flowspec_disjoint(const struct mit_rule *a, const struct mit_rule *b);

/* ------------------------------------------------------------------ */
/* Receive side (flowspec_decode.c)                                   */
/* ------------------------------------------------------------------ */

/*
 * Why a received, well-formed flowspec route is not enforced: the data
 * plane (struct mit_rule, first match) cannot express it exactly. Rules
 * are never approximated, so such a route is reported and left out.
 */
enum flowspec_rx {
	FLOWSPEC_RX_OK = 0,
	FLOWSPEC_RX_NO_DST,	/* no destination prefix component */
	FLOWSPEC_RX_OFFSET,	/* IPv6 prefix with a non-zero offset */
	FLOWSPEC_RX_TERMS,	/* more ranges or protocols than a rule holds */
	FLOWSPEC_RX_BITMASK,	/* bitmask terms no mask/value pair expresses */
	FLOWSPEC_RX_LABEL,	/* flow label other than one value */
	FLOWSPEC_RX_NEVER,	/* matches no packet at all */
	FLOWSPEC_RX_REDIRECT,	/* redirect or traffic-marking action */
	FLOWSPEC_RX_SAMPLE,	/* traffic-action sample bit */
	FLOWSPEC_RX_NONTERMINAL, /* traffic-action terminal bit: go on matching */
	FLOWSPEC_RX_RATE,	/* conflicting or invalid traffic-rate values */
	FLOWSPEC_RX_MAX
};

const char *flowspec_rx_strerror(int reason);

/*
 * Decodes the NLRI at p (length field included; already accepted by
 * flowspec_validate() for afi) into r, kind MIT_KIND_FLOW, action unset.
 * The rule matches exactly the packets the NLRI matches (RFC 8955 §4.2.1:
 * AND binds tighter than OR). Returns FLOWSPEC_RX_OK or an enum
 * flowspec_rx reason.
 */
int	flowspec_decode(int afi, const uint8_t *p, size_t len,
	    struct mit_rule *r);

/*
 * Reads the action of a received route from its EXTENDED_COMMUNITIES
 * value (ecs, n 8-byte communities; NULL/0 for none) into r->action and
 * r->rate: traffic-rate-bytes/-packets (0 = drop), no rate = accept
 * (RFC 8955 §7: the default action is to accept). Communities that are
 * not flowspec actions (route targets, ...) are skipped. Returns
 * FLOWSPEC_RX_OK or a reason (redirect, marking, sample, non-terminal,
 * conflicting rates).
 */
int	flowspec_actions(const uint8_t *ecs, size_t n, struct mit_rule *r);

#endif
