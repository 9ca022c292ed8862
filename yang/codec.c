/*
 * codec.c: RFC 9132 §6 CBOR <-> wire JSON. The key table below is the whole
 * schema the codec knows: each CBOR key with its JSON name, value kind and
 * the containers it may appear in. CBOR heads are read with libcbor's
 * streaming decoder one at a time, so no allocation ever follows a length
 * the peer announced; the JSON side is a jansson tree.
 *
 * Decoder policy (hostile input):
 *  - one top-level map, optionally behind CBOR tag 271 (RFC 9132 §10.5);
 *    nothing may follow it;
 *  - definite and indefinite lengths are both accepted (RFC 8949 allows
 *    both); indefinite strings must be made of definite chunks of the
 *    same major type;
 *  - map keys are unsigned integers 1..65535, no duplicates in a map;
 *  - nesting depth (maps, arrays, tags) <= CODEC_MAX_DEPTH, data items <=
 *    CODEC_MAX_ITEMS, body <= CODEC_MAX_BODY;
 *  - unknown keys in 128-255 and 16384-65535 are skipped (they must still
 *    be well-formed), and so are known ones of those ranges (RFC 9244
 *    telemetry) where their container has no such member; unknown keys in
 *    1-127 and 256-16383, and known ones out of place, fail with their
 *    numbers;
 *  - every value must have its key's CBOR type and fit its YANG type.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "yang/codec.h"

/* Containers: where a key may appear (bit mask of these). */
enum ctx {
	CTX_TOP,		/* the body itself */
	CTX_MSCOPE,		/* mitigation-scope */
	CTX_SCOPE,		/* scope list entry */
	CTX_PORTRANGE,		/* target-port-range entry */
	CTX_CINFO,		/* conflict-information */
	CTX_CSCOPE,		/* conflict-scope */
	CTX_ACL22,		/* conflict-scope acl-list entry */
	CTX_ACL53,		/* RFC 9133 acl-list entry */
	CTX_SCONFIG,		/* signal-config */
	CTX_CONFIGSET,		/* mitigating-config, idle-config */
	CTX_UPARAM,		/* heartbeat-interval, ... (uint16 values) */
	CTX_DPARAM,		/* ack-timeout, ack-random-factor (decimal64) */
	CTX_REDIRECT,		/* redirected-signal */
	CTX_HB,			/* heartbeat */
	CTX_TM,			/* anywhere inside RFC 9244 telemetry */
	CTX_MAX
};

static const char *const ctx_names[CTX_MAX] = {
	[CTX_TOP] = "body",
	[CTX_MSCOPE] = "mitigation-scope",
	[CTX_SCOPE] = "scope",
	[CTX_PORTRANGE] = "target-port-range",
	[CTX_CINFO] = "conflict-information",
	[CTX_CSCOPE] = "conflict-scope",
	[CTX_ACL22] = "acl-list",
	[CTX_ACL53] = "ietf-dots-signal-control:acl-list",
	[CTX_SCONFIG] = "signal-config",
	[CTX_CONFIGSET] = "mitigating-config/idle-config",
	[CTX_UPARAM] = "config parameter",
	[CTX_DPARAM] = "config parameter",
	[CTX_REDIRECT] = "redirected-signal",
	[CTX_HB] = "heartbeat",
	[CTX_TM] = "telemetry",
};

#define IN(c)	(1u << (c))

/* Value kinds: the YANG type as it travels in CBOR and in RFC 7951 JSON. */
enum kind {
	K_MAP,		/* container: CBOR map, JSON object */
	K_LIST,		/* list: CBOR array of maps, JSON array of objects */
	K_TEXT,		/* string: text string */
	K_TEXTS,	/* leaf-list of strings: array of text strings */
	K_UINT,		/* uintN: unsigned, JSON number, <= max */
	K_UINTS,	/* leaf-list of uintN */
	K_LIFETIME,	/* union uint32 / int32 -1: unsigned or -1, number */
	K_U64STR,	/* uint64, counter64, gauge64: unsigned, JSON string */
	K_ENUM,		/* enumeration: unsigned, JSON name */
	K_ENUMS,	/* leaf-list of enumeration */
	K_DEC64,	/* decimal64 f-d 2: tag 4 [-2, m], JSON "m/100" */
	K_BOOL,		/* boolean: simple 20/21, JSON false/true */
};

enum enum_table {
	E_NONE,
	E_STATUS,
	E_CONFLICT_STATUS,
	E_CONFLICT_CAUSE,
	E_ATTACK_STATUS,
	E_ACTIVATION_TYPE,
	E_TM_UNIT,
	E_TM_SEVERITY,
	E_TM_INTERVAL,
	E_TM_SAMPLE,
	E_TM_QUERY,
	E_MAX
};

/* iana-dots-signal-channel and RFC 9133 enumerations; index = value. */
static const char *const status_names[] = {
	[1] = "attack-mitigation-in-progress",
	[2] = "attack-successfully-mitigated",
	[3] = "attack-stopped",
	[4] = "attack-exceeded-capability",
	[5] = "dots-client-withdrawn-mitigation",
	[6] = "attack-mitigation-terminated",
	[7] = "attack-mitigation-withdrawn",
	[8] = "attack-mitigation-signal-loss",
};
static const char *const conflict_status_names[] = {
	[1] = "request-inactive-other-active",
	[2] = "request-active",
	[3] = "all-requests-inactive",
};
static const char *const conflict_cause_names[] = {
	[1] = "overlapping-targets",
	[2] = "conflict-with-acceptlist",
	[3] = "cuid-collision",
};
static const char *const attack_status_names[] = {
	[1] = "under-attack",
	[2] = "attack-successfully-mitigated",
};
static const char *const activation_type_names[] = {
	[1] = "activate-when-mitigating",
	[2] = "immediate",
	[3] = "deactivate",
};

/* ietf-dots-telemetry typedefs unit (unit-class is its 1..3), ... */
static const char *const tm_unit_names[] = {
	[1] = "packet-ps", [2] = "bit-ps", [3] = "byte-ps",
	[4] = "kilopacket-ps", [5] = "kilobit-ps", [6] = "kilobyte-ps",
	[7] = "megapacket-ps", [8] = "megabit-ps", [9] = "megabyte-ps",
	[10] = "gigapacket-ps", [11] = "gigabit-ps", [12] = "gigabyte-ps",
	[13] = "terapacket-ps", [14] = "terabit-ps", [15] = "terabyte-ps",
	[16] = "petapacket-ps", [17] = "petabit-ps", [18] = "petabyte-ps",
	[19] = "exapacket-ps", [20] = "exabit-ps", [21] = "exabyte-ps",
	[22] = "zettapacket-ps", [23] = "zettabit-ps", [24] = "zettabyte-ps",
};
static const char *const tm_severity_names[] = {
	[1] = "none", [2] = "low", [3] = "medium", [4] = "high",
	[5] = "unknown",
};
static const char *const tm_interval_names[] = {
	[1] = "5-minutes", [2] = "10-minutes", [3] = "30-minutes",
	[4] = "hour", [5] = "day", [6] = "week", [7] = "month",
};
static const char *const tm_sample_names[] = {
	[1] = "second", [2] = "5-seconds", [3] = "30-seconds",
	[4] = "minute", [5] = "5-minutes", [6] = "10-minutes",
	[7] = "30-minutes", [8] = "hour",
};
static const char *const tm_query_names[] = {
	[1] = "target-prefix", [2] = "target-port", [3] = "target-protocol",
	[4] = "target-fqdn", [5] = "target-uri", [6] = "target-alias",
	[7] = "mid", [8] = "source-prefix", [9] = "source-port",
	[10] = "source-icmp-type", [11] = "content",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *const	*names;
	size_t			 n;
} enum_tables[E_MAX] = {
	[E_STATUS] = { status_names, NELEM(status_names) },
	[E_CONFLICT_STATUS] = { conflict_status_names,
	    NELEM(conflict_status_names) },
	[E_CONFLICT_CAUSE] = { conflict_cause_names,
	    NELEM(conflict_cause_names) },
	[E_ATTACK_STATUS] = { attack_status_names,
	    NELEM(attack_status_names) },
	[E_ACTIVATION_TYPE] = { activation_type_names,
	    NELEM(activation_type_names) },
	[E_TM_UNIT] = { tm_unit_names, NELEM(tm_unit_names) },
	[E_TM_SEVERITY] = { tm_severity_names, NELEM(tm_severity_names) },
	[E_TM_INTERVAL] = { tm_interval_names, NELEM(tm_interval_names) },
	[E_TM_SAMPLE] = { tm_sample_names, NELEM(tm_sample_names) },
	[E_TM_QUERY] = { tm_query_names, NELEM(tm_query_names) },
};

struct key {
	uint16_t	 key;
	const char	*name;		/* JSON member name */
	enum kind	 kind;
	uint32_t	 where;		/* IN(ctx) mask of containers */
	uint8_t		 child;		/* K_MAP/K_LIST: context of members */
	uint8_t		 enums;		/* K_ENUM: enum_table */
	uint64_t	 max;		/* K_UINT/K_UINTS: largest value */
};

#define SCOPE_TARGET	(IN(CTX_SCOPE) | IN(CTX_CSCOPE))
#define TARGET		(SCOPE_TARGET | IN(CTX_TM))
#define TM		IN(CTX_TM)

/*
 * RFC 9132 Table 5 and RFC 9133 Table 1, in key order. cdid/cuid (3, 4)
 * are accepted in a scope entry so that dotsd can answer 4.00 for them
 * (RFC 9132 §4.4.1: they travel in Uri-Path only); sid (31) likewise in
 * signal-config.
 */
static const struct key keys[] = {
	{ 1, "ietf-dots-signal-channel:mitigation-scope", K_MAP,
	    IN(CTX_TOP), CTX_MSCOPE, 0, 0 },
	{ 2, "scope", K_LIST, IN(CTX_MSCOPE), CTX_SCOPE, 0, 0 },
	{ 3, "cdid", K_TEXT, IN(CTX_SCOPE), 0, 0, 0 },
	{ 4, "cuid", K_TEXT, IN(CTX_SCOPE), 0, 0, 0 },
	{ 5, "mid", K_UINT, SCOPE_TARGET, 0, 0, UINT32_MAX },
	{ 6, "target-prefix", K_TEXTS, TARGET, 0, 0, 0 },
	{ 7, "target-port-range", K_LIST, TARGET, CTX_PORTRANGE,
	    0, 0 },
	{ 8, "lower-port", K_UINT, IN(CTX_PORTRANGE), 0, 0, UINT16_MAX },
	{ 9, "upper-port", K_UINT, IN(CTX_PORTRANGE), 0, 0, UINT16_MAX },
	{ 10, "target-protocol", K_UINTS, TARGET, 0, 0, UINT8_MAX },
	{ 11, "target-fqdn", K_TEXTS, TARGET, 0, 0, 0 },
	{ 12, "target-uri", K_TEXTS, TARGET, 0, 0, 0 },
	{ 13, "alias-name", K_TEXTS, TARGET, 0, 0, 0 },
	{ 14, "lifetime", K_LIFETIME, IN(CTX_SCOPE), 0, 0, 0 },
	{ 15, "mitigation-start", K_U64STR, IN(CTX_SCOPE), 0, 0, 0 },
	{ 16, "status", K_ENUM, IN(CTX_SCOPE), 0, E_STATUS, 0 },
	{ 17, "conflict-information", K_MAP, IN(CTX_SCOPE), CTX_CINFO,
	    0, 0 },
	{ 18, "conflict-status", K_ENUM, IN(CTX_CINFO), 0,
	    E_CONFLICT_STATUS, 0 },
	{ 19, "conflict-cause", K_ENUM, IN(CTX_CINFO), 0,
	    E_CONFLICT_CAUSE, 0 },
	{ 20, "retry-timer", K_UINT, IN(CTX_CINFO), 0, 0, UINT32_MAX },
	{ 21, "conflict-scope", K_MAP, IN(CTX_CINFO), CTX_CSCOPE, 0, 0 },
	{ 22, "acl-list", K_LIST, IN(CTX_CSCOPE), CTX_ACL22, 0, 0 },
	{ 23, "acl-name", K_TEXT, IN(CTX_ACL22) | IN(CTX_ACL53), 0, 0, 0 },
	{ 24, "acl-type", K_TEXT, IN(CTX_ACL22), 0, 0, 0 },
	{ 25, "bytes-dropped", K_U64STR, IN(CTX_SCOPE), 0, 0, 0 },
	{ 26, "bps-dropped", K_U64STR, IN(CTX_SCOPE), 0, 0, 0 },
	{ 27, "pkts-dropped", K_U64STR, IN(CTX_SCOPE), 0, 0, 0 },
	{ 28, "pps-dropped", K_U64STR, IN(CTX_SCOPE), 0, 0, 0 },
	{ 29, "attack-status", K_ENUM, IN(CTX_SCOPE), 0, E_ATTACK_STATUS,
	    0 },
	{ 30, "ietf-dots-signal-channel:signal-config", K_MAP, IN(CTX_TOP),
	    CTX_SCONFIG, 0, 0 },
	{ 31, "sid", K_UINT, IN(CTX_SCONFIG), 0, 0, UINT32_MAX },
	{ 32, "mitigating-config", K_MAP, IN(CTX_SCONFIG), CTX_CONFIGSET,
	    0, 0 },
	{ 33, "heartbeat-interval", K_MAP, IN(CTX_CONFIGSET), CTX_UPARAM,
	    0, 0 },
	{ 34, "max-value", K_UINT, IN(CTX_UPARAM), 0, 0, UINT16_MAX },
	{ 35, "min-value", K_UINT, IN(CTX_UPARAM), 0, 0, UINT16_MAX },
	{ 36, "current-value", K_UINT, IN(CTX_UPARAM), 0, 0, UINT16_MAX },
	{ 37, "missing-hb-allowed", K_MAP, IN(CTX_CONFIGSET), CTX_UPARAM,
	    0, 0 },
	{ 38, "max-retransmit", K_MAP, IN(CTX_CONFIGSET), CTX_UPARAM,
	    0, 0 },
	{ 39, "ack-timeout", K_MAP, IN(CTX_CONFIGSET), CTX_DPARAM, 0, 0 },
	{ 40, "ack-random-factor", K_MAP, IN(CTX_CONFIGSET), CTX_DPARAM,
	    0, 0 },
	{ 41, "max-value-decimal", K_DEC64, IN(CTX_DPARAM), 0, 0, 0 },
	{ 42, "min-value-decimal", K_DEC64, IN(CTX_DPARAM), 0, 0, 0 },
	{ 43, "current-value-decimal", K_DEC64, IN(CTX_DPARAM), 0, 0, 0 },
	{ 44, "idle-config", K_MAP, IN(CTX_SCONFIG), CTX_CONFIGSET, 0, 0 },
	{ 45, "trigger-mitigation", K_BOOL, IN(CTX_SCOPE), 0, 0, 0 },
	{ 46, "ietf-dots-signal-channel:redirected-signal", K_MAP,
	    IN(CTX_TOP), CTX_REDIRECT, 0, 0 },
	{ 47, "alt-server", K_TEXT, IN(CTX_REDIRECT), 0, 0, 0 },
	{ 48, "alt-server-record", K_TEXTS, IN(CTX_REDIRECT), 0, 0, 0 },
	{ 49, "ietf-dots-signal-channel:heartbeat", K_MAP, IN(CTX_TOP),
	    CTX_HB, 0, 0 },
	{ 50, "probing-rate", K_MAP, IN(CTX_CONFIGSET), CTX_UPARAM, 0, 0 },
	{ 51, "peer-hb-status", K_BOOL, IN(CTX_HB), 0, 0, 0 },
	/* RFC 9133 §5 */
	{ 52, "activation-type", K_ENUM, IN(CTX_ACL53), 0,
	    E_ACTIVATION_TYPE, 0 },
	{ 53, "ietf-dots-signal-control:acl-list", K_LIST, IN(CTX_SCOPE),
	    CTX_ACL53, 0, 0 },
	/*
	 * RFC 9244 Table 3 (telemetry; all comprehension-optional). Inside a
	 * telemetry subtree every telemetry key and the target keys above
	 * are accepted anywhere (CTX_TM): libyang checks the placement.
	 */
	{ 128, "tsid", K_UINT, TM, 0, 0, UINT32_MAX },
	{ 129, "telemetry", K_LIST, TM, CTX_TM, 0, 0 },
	{ 130, "low-percentile", K_DEC64, TM, 0, 0, 0 },
	{ 131, "mid-percentile", K_DEC64, TM, 0, 0, 0 },
	{ 132, "high-percentile", K_DEC64, TM, 0, 0, 0 },
	{ 133, "unit-config", K_LIST, TM, CTX_TM, 0, 0 },
	{ 134, "unit", K_ENUM, TM, 0, E_TM_UNIT, 0 },
	{ 135, "unit-status", K_BOOL, TM, 0, 0, 0 },
	{ 136, "total-pipe-capacity", K_LIST, TM, CTX_TM, 0, 0 },
	{ 137, "link-id", K_TEXT, TM, 0, 0, 0 },
	{ 138, "pre-or-ongoing-mitigation", K_LIST, TM, CTX_TM, 0, 0 },
	{ 139, "total-traffic-normal", K_LIST, TM, CTX_TM, 0, 0 },
	{ 140, "low-percentile-g", K_U64STR, TM, 0, 0, 0 },
	{ 141, "mid-percentile-g", K_U64STR, TM, 0, 0, 0 },
	{ 142, "high-percentile-g", K_U64STR, TM, 0, 0, 0 },
	{ 143, "peak-g", K_U64STR, TM, 0, 0, 0 },
	{ 144, "total-attack-traffic", K_LIST, TM, CTX_TM, 0, 0 },
	{ 145, "total-traffic", K_LIST, TM, CTX_TM, 0, 0 },
	{ 146, "total-connection-capacity", K_LIST, TM, CTX_TM, 0, 0 },
	{ 147, "connection", K_U64STR, TM, 0, 0, 0 },
	{ 148, "connection-client", K_U64STR, TM, 0, 0, 0 },
	{ 149, "embryonic", K_U64STR, TM, 0, 0, 0 },
	{ 150, "embryonic-client", K_U64STR, TM, 0, 0, 0 },
	{ 151, "connection-ps", K_U64STR, TM, 0, 0, 0 },
	{ 152, "connection-client-ps", K_U64STR, TM, 0, 0, 0 },
	{ 153, "request-ps", K_U64STR, TM, 0, 0, 0 },
	{ 154, "request-client-ps", K_U64STR, TM, 0, 0, 0 },
	{ 155, "partial-request-max", K_U64STR, TM, 0, 0, 0 },
	{ 156, "partial-request-client-max", K_U64STR, TM, 0, 0, 0 },
	{ 157, "total-attack-connection", K_MAP, TM, CTX_TM, 0, 0 },
	{ 158, "connection-c", K_MAP, TM, CTX_TM, 0, 0 },
	{ 159, "embryonic-c", K_MAP, TM, CTX_TM, 0, 0 },
	{ 160, "connection-ps-c", K_MAP, TM, CTX_TM, 0, 0 },
	{ 161, "request-ps-c", K_MAP, TM, CTX_TM, 0, 0 },
	{ 162, "attack-detail", K_LIST, TM, CTX_TM, 0, 0 },
	{ 163, "id", K_UINT, TM, 0, 0, UINT32_MAX },
	{ 164, "attack-id", K_UINT, TM, 0, 0, UINT32_MAX },
	{ 165, "attack-description", K_TEXT, TM, 0, 0, 0 },
	{ 166, "attack-severity", K_ENUM, TM, 0, E_TM_SEVERITY, 0 },
	{ 167, "start-time", K_U64STR, TM, 0, 0, 0 },
	{ 168, "end-time", K_U64STR, TM, 0, 0, 0 },
	{ 169, "source-count", K_MAP, TM, CTX_TM, 0, 0 },
	{ 170, "top-talker", K_MAP, TM, CTX_TM, 0, 0 },
	{ 171, "spoofed-status", K_BOOL, TM, 0, 0, 0 },
	{ 172, "partial-request-c", K_MAP, TM, CTX_TM, 0, 0 },
	{ 173, "total-attack-connection-protocol", K_LIST, TM, CTX_TM, 0, 0 },
	{ 174, "baseline", K_LIST, TM, CTX_TM, 0, 0 },
	{ 175, "current-config", K_MAP, TM, CTX_TM, 0, 0 },
	{ 176, "max-config-values", K_MAP, TM, CTX_TM, 0, 0 },
	{ 177, "min-config-values", K_MAP, TM, CTX_TM, 0, 0 },
	{ 178, "supported-unit-classes", K_MAP, TM, CTX_TM, 0, 0 },
	{ 179, "server-originated-telemetry", K_BOOL, TM, 0, 0, 0 },
	{ 180, "telemetry-notify-interval", K_UINT, TM, 0, 0, UINT16_MAX },
	{ 181, "tmid", K_UINT, TM, 0, 0, UINT32_MAX },
	{ 182, "measurement-interval", K_ENUM, TM, 0, E_TM_INTERVAL, 0 },
	{ 183, "measurement-sample", K_ENUM, TM, 0, E_TM_SAMPLE, 0 },
	{ 184, "talker", K_LIST, TM, CTX_TM, 0, 0 },
	{ 185, "source-prefix", K_TEXT, TM, 0, 0, 0 },
	{ 186, "mid-list", K_UINTS, TM, 0, 0, UINT32_MAX },
	{ 187, "source-port-range", K_LIST, TM, CTX_PORTRANGE, 0, 0 },
	{ 188, "source-icmp-type-range", K_LIST, TM, CTX_TM, 0, 0 },
	{ 189, "target", K_MAP, TM, CTX_TM, 0, 0 },
	{ 190, "capacity", K_U64STR, TM, 0, 0, 0 },
	{ 191, "protocol", K_UINT, TM, 0, 0, UINT8_MAX },
	{ 192, "total-traffic-normal-per-protocol", K_LIST, TM, CTX_TM,
	    0, 0 },
	{ 193, "total-traffic-normal-per-port", K_LIST, TM, CTX_TM, 0, 0 },
	{ 194, "total-connection-capacity-per-port", K_LIST, TM, CTX_TM,
	    0, 0 },
	{ 195, "total-traffic-protocol", K_LIST, TM, CTX_TM, 0, 0 },
	{ 196, "total-traffic-port", K_LIST, TM, CTX_TM, 0, 0 },
	{ 197, "total-attack-traffic-protocol", K_LIST, TM, CTX_TM, 0, 0 },
	{ 198, "total-attack-traffic-port", K_LIST, TM, CTX_TM, 0, 0 },
	{ 199, "total-attack-connection-port", K_LIST, TM, CTX_TM, 0, 0 },
	{ 200, "port", K_UINT, TM, 0, 0, UINT16_MAX },
	{ 201, "supported-query-type", K_ENUMS, TM, 0, E_TM_QUERY, 0 },
	{ 202, "vendor-id", K_UINT, TM, 0, 0, UINT32_MAX },
	{ 203, "ietf-dots-telemetry:telemetry-setup", K_MAP, IN(CTX_TOP),
	    CTX_TM, 0, 0 },
	{ 204, "ietf-dots-telemetry:total-traffic", K_LIST, IN(CTX_SCOPE),
	    CTX_TM, 0, 0 },
	{ 205, "ietf-dots-telemetry:total-attack-traffic", K_LIST,
	    IN(CTX_SCOPE), CTX_TM, 0, 0 },
	{ 206, "ietf-dots-telemetry:total-attack-connection", K_MAP,
	    IN(CTX_SCOPE), CTX_TM, 0, 0 },
	{ 207, "ietf-dots-telemetry:attack-detail", K_LIST, IN(CTX_SCOPE),
	    CTX_TM, 0, 0 },
	{ 208, "ietf-dots-telemetry:telemetry", K_MAP, IN(CTX_TOP), CTX_TM,
	    0, 0 },
	{ 209, "current-g", K_U64STR, TM, 0, 0, 0 },
	{ 210, "description-lang", K_TEXT, TM, 0, 0, 0 },
	{ 32771, "lower-type", K_UINT, TM, 0, 0, UINT8_MAX },
	{ 32772, "upper-type", K_UINT, TM, 0, 0, UINT8_MAX },
};

/* RFC 9132 + 9133 keys are dense from 1: keys[key - 1]. */
#define DENSE_KEYS	53

static const struct key *
key_by_num(uint64_t num)
{
	size_t	i;

	if (num >= 1 && num <= DENSE_KEYS)
		return &keys[num - 1];
	for (i = DENSE_KEYS; i < NELEM(keys); i++)
		if (keys[i].key == num)
			return &keys[i];
	return NULL;
}

static const struct key *
key_by_name(const char *name, enum ctx ctx)
{
	size_t	i;

	for (i = 0; i < NELEM(keys); i++)
		if ((keys[i].where & IN(ctx)) &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* RFC 9132 §10.6.1.1: 128-255 and 16384-65535 are comprehension-optional. */
static bool
key_optional(uint64_t num)
{
	return (num >= 128 && num <= 255) || (num >= 16384 && num <= 65535);
}

/* ---- decoder ---------------------------------------------------------- */

enum htype {
	H_NONE, H_UINT, H_NEGINT, H_BYTES, H_TEXT, H_ARRAY, H_MAP, H_TAG,
	H_FLOAT, H_BOOL, H_NULL, H_UNDEF, H_SIMPLE, H_BREAK
};

static const char *const htype_names[] = {
	[H_NONE] = "nothing", [H_UINT] = "unsigned integer",
	[H_NEGINT] = "negative integer", [H_BYTES] = "byte string",
	[H_TEXT] = "text string", [H_ARRAY] = "array", [H_MAP] = "map",
	[H_TAG] = "tag", [H_FLOAT] = "float", [H_BOOL] = "boolean",
	[H_NULL] = "null", [H_UNDEF] = "undefined", [H_SIMPLE] = "simple value",
	[H_BREAK] = "break",
};

/* One CBOR head, as reported by a libcbor streaming callback. */
struct head {
	enum htype	 type;
	uint64_t	 val;		/* int, length, tag, bool */
	const uint8_t	*data;		/* definite string bytes */
	bool		 indef;		/* indefinite string/array/map */
};

#define MAX_UNKNOWN	8

struct dec {
	const uint8_t	*buf;
	size_t		 len, off;
	unsigned	 items;
	char		*diag;
	size_t		 diaglen;
	uint64_t	 unknown[MAX_UNKNOWN];	/* comprehension-required */
	unsigned	 nunknown;
};

static void
cb_uint8(void *c, uint8_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint16(void *c, uint16_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint32(void *c, uint32_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

static void
cb_uint64(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_UINT, .val = v };
}

/* Negative integers: val holds n of -1-n, as on the wire. */
static void
cb_negint8(void *c, uint8_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint16(void *c, uint16_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint32(void *c, uint32_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_negint64(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_NEGINT, .val = v };
}

static void
cb_bytes(void *c, cbor_data d, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_BYTES, .val = n,
	    .data = d };
}

static void
cb_bytes_start(void *c)
{
	*(struct head *)c = (struct head){ .type = H_BYTES, .indef = true };
}

static void
cb_text(void *c, cbor_data d, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_TEXT, .val = n,
	    .data = d };
}

static void
cb_text_start(void *c)
{
	*(struct head *)c = (struct head){ .type = H_TEXT, .indef = true };
}

static void
cb_array(void *c, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_ARRAY, .val = n };
}

static void
cb_array_indef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_ARRAY, .indef = true };
}

static void
cb_map(void *c, size_t n)
{
	*(struct head *)c = (struct head){ .type = H_MAP, .val = n };
}

static void
cb_map_indef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_MAP, .indef = true };
}

static void
cb_tag(void *c, uint64_t v)
{
	*(struct head *)c = (struct head){ .type = H_TAG, .val = v };
}

static void
cb_float4(void *c, float v)
{
	*(struct head *)c = (struct head){ .type = H_FLOAT };
}

static void
cb_float8(void *c, double v)
{
	*(struct head *)c = (struct head){ .type = H_FLOAT };
}

static void
cb_null(void *c)
{
	*(struct head *)c = (struct head){ .type = H_NULL };
}

static void
cb_undef(void *c)
{
	*(struct head *)c = (struct head){ .type = H_UNDEF };
}

static void
cb_bool(void *c, bool v)
{
	*(struct head *)c = (struct head){ .type = H_BOOL, .val = v };
}

static void
cb_break(void *c)
{
	*(struct head *)c = (struct head){ .type = H_BREAK };
}

static const struct cbor_callbacks head_callbacks = {
	.uint8 = cb_uint8, .uint16 = cb_uint16, .uint32 = cb_uint32,
	.uint64 = cb_uint64,
	.negint8 = cb_negint8, .negint16 = cb_negint16,
	.negint32 = cb_negint32, .negint64 = cb_negint64,
	.byte_string = cb_bytes, .byte_string_start = cb_bytes_start,
	.string = cb_text, .string_start = cb_text_start,
	.array_start = cb_array, .indef_array_start = cb_array_indef,
	.map_start = cb_map, .indef_map_start = cb_map_indef,
	.tag = cb_tag,
	.float2 = cb_float4, .float4 = cb_float4, .float8 = cb_float8,
	.null = cb_null, .undefined = cb_undef, .boolean = cb_bool,
	.indef_break = cb_break,
};

static int
dec_fail(struct dec *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list	ap;

	if (d->diag != NULL && d->diaglen > 0) {
		va_start(ap, fmt);
		vsnprintf(d->diag, d->diaglen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

/* Reads the next head; counts it against CODEC_MAX_ITEMS. */
static int
dec_head(struct dec *d, struct head *h)
{
	struct cbor_decoder_result	r;
	uint8_t				ib;

	if (d->off >= d->len)
		return dec_fail(d, "truncated CBOR at offset %zu", d->off);
	*h = (struct head){ .type = H_NONE };
	ib = d->buf[d->off];
	/*
	 * libcbor 0.8 refuses some well-formed heads: tags 6..20 and simple
	 * values 0..19 in the initial byte, and one-byte simple values. None
	 * is valid in a DOTS member, but an optional member may hold them.
	 */
	if (ib >= 0xC6 && ib <= 0xD4) {
		*h = (struct head){ .type = H_TAG, .val = ib & 0x1f };
		r = (struct cbor_decoder_result){ .read = 1,
		    .status = CBOR_DECODER_FINISHED };
	} else if (ib >= 0xE0 && ib <= 0xF3) {
		*h = (struct head){ .type = H_SIMPLE, .val = ib & 0x1f };
		r = (struct cbor_decoder_result){ .read = 1,
		    .status = CBOR_DECODER_FINISHED };
	} else if (ib == 0xF8) {
		if (d->len - d->off < 2)
			return dec_fail(d, "truncated CBOR at offset %zu",
			    d->off);
		/* RFC 8949 §3.3: values below 32 in two bytes are invalid. */
		if (d->buf[d->off + 1] < 32)
			return dec_fail(d, "malformed CBOR at offset %zu",
			    d->off);
		*h = (struct head){ .type = H_SIMPLE,
		    .val = d->buf[d->off + 1] };
		r = (struct cbor_decoder_result){ .read = 2,
		    .status = CBOR_DECODER_FINISHED };
	} else
		r = cbor_stream_decode(d->buf + d->off, d->len - d->off,
		    &head_callbacks, h);
	if (r.status == CBOR_DECODER_NEDATA)
		return dec_fail(d, "truncated CBOR at offset %zu", d->off);
	if (r.status != CBOR_DECODER_FINISHED || r.read == 0 ||
	    h->type == H_NONE)
		return dec_fail(d, "malformed CBOR at offset %zu", d->off);
	d->off += r.read;
	if (++d->items > CODEC_MAX_ITEMS)
		return dec_fail(d, "more than %d CBOR items",
		    CODEC_MAX_ITEMS);
	return 0;
}

/*
 * Reads the rest of a text (or byte) string whose head is h into a
 * malloc()ed, NUL-terminated copy. Indefinite strings: RFC 8949 §3.2.3,
 * chunks are definite strings of the same major type.
 */
static int
dec_string(struct dec *d, const struct head *h, char **out, size_t *outlen)
{
	struct head	 chunk;
	char		*s, *ns;
	size_t		 n = 0;
	int		 r;

	if (!h->indef) {
		if ((s = malloc(h->val + 1)) == NULL)
			return -ENOMEM;
		memcpy(s, h->data, h->val);
		s[h->val] = '\0';
		*out = s;
		*outlen = h->val;
		return 0;
	}
	if ((s = malloc(1)) == NULL)
		return -ENOMEM;
	for (;;) {
		if ((r = dec_head(d, &chunk)) != 0)
			goto fail;
		if (chunk.type == H_BREAK)
			break;
		if (chunk.type != h->type || chunk.indef) {
			r = dec_fail(d, "bad chunk in indefinite-length "
			    "string at offset %zu", d->off);
			goto fail;
		}
		/* Bounded by the body size, which the caller bounded. */
		if ((ns = realloc(s, n + chunk.val + 1)) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		s = ns;
		memcpy(s + n, chunk.data, chunk.val);
		n += chunk.val;
	}
	s[n] = '\0';
	*out = s;
	*outlen = n;
	return 0;
 fail:
	free(s);
	return r;
}

/*
 * Skips one well-formed data item whose head is h (a comprehension-
 * optional member we do not know). Depth and item bounds still apply.
 */
static int
dec_skip(struct dec *d, const struct head *h, int depth)
{
	struct head	 sub;
	uint64_t	 i, n;
	char		*s;
	size_t		 slen;
	int		 r;

	switch (h->type) {
	case H_BYTES:
	case H_TEXT:
		if (!h->indef)
			return 0;
		if ((r = dec_string(d, h, &s, &slen)) != 0)
			return r;
		free(s);
		return 0;
	case H_ARRAY:
	case H_MAP:
	case H_TAG:
		if (depth + 1 > CODEC_MAX_DEPTH)
			return dec_fail(d, "CBOR nesting deeper than %d",
			    CODEC_MAX_DEPTH);
		if (h->type == H_TAG)
			n = 1;
		else if (h->indef)
			n = UINT64_MAX;
		else if (h->type == H_MAP)
			n = h->val > UINT64_MAX / 2 ? UINT64_MAX : h->val * 2;
		else
			n = h->val;
		for (i = 0; i < n; i++) {
			/* dec_head() fails long before a bogus length runs out. */
			if ((r = dec_head(d, &sub)) != 0)
				return r;
			if (sub.type == H_BREAK) {
				if (h->indef && (h->type == H_ARRAY ||
				    i % 2 == 0))
					return 0;
				return dec_fail(d, "unexpected break at "
				    "offset %zu", d->off - 1);
			}
			if ((r = dec_skip(d, &sub, depth + 1)) != 0)
				return r;
		}
		return 0;
	case H_BREAK:
		return dec_fail(d, "unexpected break at offset %zu",
		    d->off - 1);
	default:
		return 0;
	}
}

static int	dec_map(struct dec *, const struct head *, enum ctx, int,
		    json_t **);

/* Wrong CBOR type for a key: the one diagnostic shape for all kinds. */
static int
dec_type(struct dec *d, const struct key *k, const struct head *h,
    const char *want)
{
	return dec_fail(d, "key %u (%s): %s where %s expected", k->key,
	    k->name, htype_names[h->type], want);
}

static int
dec_text(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	char	*s;
	size_t	 slen;
	int	 r;

	if (h->type != H_TEXT)
		return dec_type(d, k, h, "text string");
	if ((r = dec_string(d, h, &s, &slen)) != 0)
		return r;
	/* Embedded NULs would be cut by every C consumer of the tree. */
	if (memchr(s, '\0', slen) != NULL) {
		free(s);
		return dec_fail(d, "key %u (%s): NUL in text string", k->key,
		    k->name);
	}
	*out = json_stringn(s, slen);
	free(s);
	if (*out == NULL)
		return dec_fail(d, "key %u (%s): invalid UTF-8", k->key,
		    k->name);
	return 0;
}

static int
dec_uint(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	if (h->type != H_UINT)
		return dec_type(d, k, h, "unsigned integer");
	if (h->val > k->max)
		return dec_fail(d, "key %u (%s): %" PRIu64 " out of range "
		    "(max %" PRIu64 ")", k->key, k->name, h->val, k->max);
	*out = json_integer((json_int_t)h->val);
	return *out ? 0 : -ENOMEM;
}

static int
dec_enum(struct dec *d, const struct key *k, const struct head *h,
    json_t **out)
{
	if (h->type != H_UINT)
		return dec_type(d, k, h, "unsigned integer");
	if (h->val >= enum_tables[k->enums].n ||
	    enum_tables[k->enums].names[h->val] == NULL)
		return dec_fail(d, "key %u (%s): unknown enumeration value %"
		    PRIu64, k->key, k->name, h->val);
	*out = json_string(enum_tables[k->enums].names[h->val]);
	return *out ? 0 : -ENOMEM;
}

/* Decimal64 with fraction-digits 2: tag 4 [e, m], e in -2..0, m int64. */
static int
dec_dec64(struct dec *d, const struct key *k, const struct head *h,
    int depth, json_t **out)
{
	struct head	 a, e, m;
	uint64_t	 mag;
	int64_t	 	 exp10;
	char		 s[32];
	bool		 neg;
	int		 r;

	if (h->type != H_TAG || h->val != 4)
		return dec_type(d, k, h, "decimal fraction (tag 4)");
	if (depth + 2 > CODEC_MAX_DEPTH)
		return dec_fail(d, "CBOR nesting deeper than %d",
		    CODEC_MAX_DEPTH);
	if ((r = dec_head(d, &a)) != 0)
		return r;
	if (a.type != H_ARRAY || (!a.indef && a.val != 2))
		return dec_fail(d, "key %u (%s): tag 4 needs [exponent, "
		    "mantissa]", k->key, k->name);
	if ((r = dec_head(d, &e)) != 0 || (r = dec_head(d, &m)) != 0)
		return r;
	if (a.indef) {
		struct head brk;

		if ((r = dec_head(d, &brk)) != 0)
			return r;
		if (brk.type != H_BREAK)
			return dec_fail(d, "key %u (%s): tag 4 needs "
			    "[exponent, mantissa]", k->key, k->name);
	}
	if (e.type == H_NEGINT && e.val <= 1)
		exp10 = -1 - (int64_t)e.val;
	else if (e.type == H_UINT && e.val == 0)
		exp10 = 0;
	else
		return dec_fail(d, "key %u (%s): decimal exponent must be "
		    "-2..0 (fraction-digits 2)", k->key, k->name);
	if (m.type == H_UINT) {
		neg = false;
		mag = m.val;
	} else if (m.type == H_NEGINT) {
		neg = true;
		mag = m.val + 1;	/* may wrap for -2^64: checked below */
		if (mag == 0)
			mag = UINT64_MAX;
	} else
		return dec_fail(d, "key %u (%s): decimal mantissa must be an "
		    "integer", k->key, k->name);
	for (; exp10 > -2; exp10--) {
		if (mag > UINT64_MAX / 10)
			goto range;
		mag *= 10;
	}
	/* decimal64: the scaled value is a signed 64-bit integer. */
	if ((!neg && mag > (uint64_t)INT64_MAX) ||
	    (neg && mag > (uint64_t)INT64_MAX + 1))
		goto range;
	snprintf(s, sizeof(s), "%s%" PRIu64 ".%02" PRIu64, neg ? "-" : "",
	    mag / 100, mag % 100);
	*out = json_string(s);
	return *out ? 0 : -ENOMEM;
 range:
	return dec_fail(d, "key %u (%s): decimal64 out of range", k->key,
	    k->name);
}

/* Decodes the value of key k whose head is h. */
static int
dec_value(struct dec *d, const struct key *k, const struct head *h,
    int depth, json_t **out)
{
	struct head	 el;
	json_t		*item;
	uint64_t	 i;
	char		 s[24];
	int		 r;

	*out = NULL;
	switch (k->kind) {
	case K_MAP:
		if (h->type != H_MAP)
			return dec_type(d, k, h, "map");
		return dec_map(d, h, k->child, depth + 1, out);
	case K_LIST:
	case K_TEXTS:
	case K_UINTS:
	case K_ENUMS:
		if (h->type != H_ARRAY)
			return dec_type(d, k, h, "array");
		if (depth + 1 > CODEC_MAX_DEPTH)
			return dec_fail(d, "CBOR nesting deeper than %d",
			    CODEC_MAX_DEPTH);
		if ((*out = json_array()) == NULL)
			return -ENOMEM;
		for (i = 0; h->indef || i < h->val; i++) {
			if ((r = dec_head(d, &el)) != 0)
				goto fail;
			if (el.type == H_BREAK && h->indef)
				break;
			if (k->kind == K_LIST) {
				if (el.type != H_MAP) {
					r = dec_type(d, k, &el,
					    "array of maps");
					goto fail;
				}
				r = dec_map(d, &el, k->child, depth + 2,
				    &item);
			} else if (k->kind == K_TEXTS)
				r = dec_text(d, k, &el, &item);
			else if (k->kind == K_ENUMS)
				r = dec_enum(d, k, &el, &item);
			else
				r = dec_uint(d, k, &el, &item);
			if (r != 0)
				goto fail;
			if (json_array_append_new(*out, item) != 0) {
				r = -ENOMEM;
				goto fail;
			}
		}
		return 0;
	case K_TEXT:
		return dec_text(d, k, h, out);
	case K_UINT:
		return dec_uint(d, k, h, out);
	case K_LIFETIME:
		/* RFC 9132 §4.4.1: uint32, or -1 for indefinite. */
		if (h->type == H_NEGINT && h->val == 0)
			*out = json_integer(-1);
		else if (h->type == H_UINT && h->val <= UINT32_MAX)
			*out = json_integer((json_int_t)h->val);
		else if (h->type == H_UINT || h->type == H_NEGINT)
			return dec_fail(d, "key %u (%s): out of range (uint32 "
			    "or -1)", k->key, k->name);
		else
			return dec_type(d, k, h, "integer");
		return *out ? 0 : -ENOMEM;
	case K_U64STR:
		if (h->type != H_UINT)
			return dec_type(d, k, h, "unsigned integer");
		snprintf(s, sizeof(s), "%" PRIu64, h->val);
		*out = json_string(s);
		return *out ? 0 : -ENOMEM;
	case K_ENUM:
		return dec_enum(d, k, h, out);
	case K_DEC64:
		return dec_dec64(d, k, h, depth, out);
	case K_BOOL:
		if (h->type != H_BOOL)
			return dec_type(d, k, h, "boolean");
		*out = json_boolean(h->val);
		return *out ? 0 : -ENOMEM;
	}
	return dec_fail(d, "internal: bad kind");
 fail:
	json_decref(*out);
	*out = NULL;
	return r;
}

/*
 * Decodes the members of a map (head h) in container ctx at nesting depth
 * `depth` (the map itself) into a JSON object, in CBOR order.
 */
static int
dec_map(struct dec *d, const struct head *h, enum ctx ctx, int depth,
    json_t **out)
{
	struct head	 kh, vh;
	const struct key *k;
	json_t		*obj, *val;
	uint64_t	*seen = NULL;
	uint64_t	 i, j, nseen = 0;
	int		 r;

	*out = NULL;
	if (depth > CODEC_MAX_DEPTH)
		return dec_fail(d, "CBOR nesting deeper than %d",
		    CODEC_MAX_DEPTH);
	if ((obj = json_object()) == NULL)
		return -ENOMEM;
	for (i = 0; h->indef || i < h->val; i++) {
		if ((r = dec_head(d, &kh)) != 0)
			goto out;
		if (kh.type == H_BREAK && h->indef)
			break;
		if (kh.type != H_UINT || kh.val == 0 || kh.val > 65535) {
			r = dec_fail(d, "map key in %s is not an integer "
			    "1..65535 (offset %zu)", ctx_names[ctx], d->off);
			goto out;
		}
		/* Items are bounded, so this stays small; quadratic is fine. */
		for (j = 0; j < nseen; j++)
			if (seen[j] == kh.val) {
				r = dec_fail(d, "duplicate key %" PRIu64
				    " in %s", kh.val, ctx_names[ctx]);
				goto out;
			}
		if (nseen % 32 == 0) {
			uint64_t *ns = reallocarray(seen, nseen + 32,
			    sizeof(*seen));
			if (ns == NULL) {
				r = -ENOMEM;
				goto out;
			}
			seen = ns;
		}
		seen[nseen++] = kh.val;

		if ((r = dec_head(d, &vh)) != 0)
			goto out;
		if (vh.type == H_BREAK) {
			r = dec_fail(d, "map in %s: key %" PRIu64 " without "
			    "value", ctx_names[ctx], kh.val);
			goto out;
		}
		k = key_by_num(kh.val);
		if (k == NULL || !(k->where & IN(ctx))) {
			/* An optional key out of place is as good as
			 * unknown: skipped (RFC 9132 §10.6.1.1). */
			if (key_optional(kh.val))
				;
			else if (k == NULL && d->nunknown < MAX_UNKNOWN)
				d->unknown[d->nunknown++] = kh.val;
			else if (k != NULL) {
				r = dec_fail(d, "key %u (%s) not allowed in "
				    "%s", k->key, k->name, ctx_names[ctx]);
				goto out;
			}
			if ((r = dec_skip(d, &vh, depth)) != 0)
				goto out;
			continue;
		}
		if ((r = dec_value(d, k, &vh, depth, &val)) != 0)
			goto out;
		if (json_object_set_new_nocheck(obj, k->name, val) != 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
 out:
	free(seen);
	if (r != 0)
		json_decref(obj);
	else
		*out = obj;
	return r;
}

int
codec_cbor_decode(const uint8_t *buf, size_t len, json_t **out, char *diag,
    size_t diaglen)
{
	struct dec	 d = { .buf = buf, .len = len, .diag = diag,
			    .diaglen = diaglen };
	struct head	 h;
	json_t		*obj = NULL;
	char		*p;
	size_t		 left;
	unsigned	 i;
	int		 r;

	*out = NULL;
	if (len == 0)
		return dec_fail(&d, "empty body");
	if (len > CODEC_MAX_BODY)
		return dec_fail(&d, "body larger than %d bytes",
		    CODEC_MAX_BODY);
	if ((r = dec_head(&d, &h)) != 0)
		return r;
	/* RFC 9132 §10.5: tag 271 marks a DOTS signal channel object. */
	if (h.type == H_TAG && h.val == 271 && (r = dec_head(&d, &h)) != 0)
		return r;
	if (h.type != H_MAP)
		return dec_fail(&d, "body is a CBOR %s, not a map",
		    htype_names[h.type]);
	if ((r = dec_map(&d, &h, CTX_TOP, 1, &obj)) != 0)
		return r;
	if (d.off != d.len) {
		json_decref(obj);
		return dec_fail(&d, "%zu trailing bytes after the CBOR body",
		    d.len - d.off);
	}
	if (d.nunknown > 0) {
		/* RFC 9132 §6: the diagnostic payload lists the keys. */
		json_decref(obj);
		if (diag == NULL || diaglen == 0)
			return -EBADMSG;
		r = snprintf(diag, diaglen, "unknown comprehension-required "
		    "key%s", d.nunknown > 1 ? "s" : "");
		for (i = 0; i < d.nunknown && r >= 0 && (size_t)r < diaglen;
		    i++) {
			p = diag + r;
			left = diaglen - r;
			r += snprintf(p, left, "%s%" PRIu64, i ? ", " : " ",
			    d.unknown[i]);
		}
		return -EBADMSG;
	}
	*out = obj;
	return 0;
}

/* ---- encoder ---------------------------------------------------------- */

struct enc {
	uint8_t	*buf;
	size_t	 len, cap;
	char	*diag;
	size_t	 diaglen;
};

static int
enc_fail(struct enc *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
enc_fail(struct enc *e, const char *fmt, ...)
{
	va_list	ap;

	if (e->diag != NULL && e->diaglen > 0) {
		va_start(ap, fmt);
		vsnprintf(e->diag, e->diaglen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int
enc_reserve(struct enc *e, size_t n)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (e->cap - e->len >= n)
		return 0;
	ncap = e->cap ? e->cap : 256;
	while (ncap - e->len < n) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if ((nb = realloc(e->buf, ncap)) == NULL)
		return -ENOMEM;
	e->buf = nb;
	e->cap = ncap;
	return 0;
}

/* Heads are at most 9 bytes; libcbor picks the shortest encoding. */
#define ENC_HEAD(e, fn, ...) do {					\
	if (enc_reserve((e), 9) != 0)					\
		return -ENOMEM;						\
	(e)->len += fn(__VA_ARGS__, (e)->buf + (e)->len, (e)->cap - (e)->len); \
} while (0)

static int
enc_text(struct enc *e, const char *s, size_t n)
{
	ENC_HEAD(e, cbor_encode_string_start, n);
	if (enc_reserve(e, n) != 0)
		return -ENOMEM;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	return 0;
}

/* Strict RFC 7951 uint64: decimal digits only, no sign, fits 64 bits. */
static int
parse_u64(const char *s, uint64_t *v)
{
	uint64_t	acc = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (acc > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	*v = acc;
	return 0;
}

/* decimal64 f-d 2 lexical form: -?digits(.d{1,2})?, into value * 100. */
static int
parse_dec64(const char *s, int64_t *v)
{
	uint64_t	mag = 0;
	int		frac = -1;
	bool		neg = false, digits = false;

	if (*s == '-' || *s == '+')
		neg = (*s++ == '-');
	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || frac == 2)
			return -1;
		if (mag > (UINT64_MAX - 9) / 10)
			return -1;
		mag = mag * 10 + (uint64_t)(*s - '0');
		digits = true;
		if (frac >= 0)
			frac++;
	}
	if (!digits || frac == 0)
		return -1;
	for (frac = frac < 0 ? 0 : frac; frac < 2; frac++) {
		if (mag > UINT64_MAX / 10)
			return -1;
		mag *= 10;
	}
	if ((!neg && mag > (uint64_t)INT64_MAX) ||
	    (neg && mag > (uint64_t)INT64_MAX + 1))
		return -1;
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

static int	enc_map(struct enc *, const json_t *, enum ctx, int);

static int
enc_scalar(struct enc *e, const struct key *k, const json_t *v)
{
	json_int_t	 i;
	uint64_t	 u;
	int64_t		 m;
	size_t		 n;
	const char	*s;

	switch (k->kind) {
	case K_TEXT:
	case K_TEXTS:
		if (!json_is_string(v))
			return enc_fail(e, "%s: string expected", k->name);
		return enc_text(e, json_string_value(v), json_string_length(v));
	case K_UINT:
	case K_UINTS:
		if (!json_is_integer(v) || (i = json_integer_value(v)) < 0 ||
		    (uint64_t)i > k->max)
			return enc_fail(e, "%s: integer 0..%" PRIu64
			    " expected", k->name, k->max);
		ENC_HEAD(e, cbor_encode_uint, (uint64_t)i);
		return 0;
	case K_LIFETIME:
		if (!json_is_integer(v) || (i = json_integer_value(v)) < -1 ||
		    i > (json_int_t)UINT32_MAX)
			return enc_fail(e, "%s: uint32 or -1 expected",
			    k->name);
		if (i == -1)
			ENC_HEAD(e, cbor_encode_negint, 0);
		else
			ENC_HEAD(e, cbor_encode_uint, (uint64_t)i);
		return 0;
	case K_U64STR:
		if (!json_is_string(v) ||
		    parse_u64(json_string_value(v), &u) != 0)
			return enc_fail(e, "%s: uint64 as a decimal string "
			    "expected", k->name);
		ENC_HEAD(e, cbor_encode_uint, u);
		return 0;
	case K_ENUM:
	case K_ENUMS:
		if (!json_is_string(v))
			return enc_fail(e, "%s: enumeration name expected",
			    k->name);
		s = json_string_value(v);
		for (n = 1; n < enum_tables[k->enums].n; n++)
			if (enum_tables[k->enums].names[n] != NULL &&
			    strcmp(enum_tables[k->enums].names[n], s) == 0)
				break;
		if (n == enum_tables[k->enums].n)
			return enc_fail(e, "%s: unknown value \"%.40s\"",
			    k->name, s);
		ENC_HEAD(e, cbor_encode_uint, n);
		return 0;
	case K_DEC64:
		if (!json_is_string(v) ||
		    parse_dec64(json_string_value(v), &m) != 0)
			return enc_fail(e, "%s: decimal64 string with at most "
			    "2 fraction digits expected", k->name);
		ENC_HEAD(e, cbor_encode_tag, 4);
		ENC_HEAD(e, cbor_encode_array_start, 2);
		ENC_HEAD(e, cbor_encode_negint, 1);		/* -2 */
		if (m < 0)
			ENC_HEAD(e, cbor_encode_negint,
			    (uint64_t)(-(m + 1)));
		else
			ENC_HEAD(e, cbor_encode_uint, (uint64_t)m);
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			return enc_fail(e, "%s: boolean expected", k->name);
		ENC_HEAD(e, cbor_encode_bool, json_is_true(v));
		return 0;
	default:
		return enc_fail(e, "internal: bad kind");
	}
}

static int
enc_value(struct enc *e, const struct key *k, const json_t *v, int depth)
{
	const json_t	*el;
	size_t		 i;
	int		 r;

	switch (k->kind) {
	case K_MAP:
		if (!json_is_object(v))
			return enc_fail(e, "%s: object expected", k->name);
		return enc_map(e, v, k->child, depth + 1);
	case K_LIST:
	case K_TEXTS:
	case K_UINTS:
	case K_ENUMS:
		if (!json_is_array(v))
			return enc_fail(e, "%s: array expected", k->name);
		ENC_HEAD(e, cbor_encode_array_start, json_array_size(v));
		json_array_foreach(v, i, el) {
			if (k->kind != K_LIST)
				r = enc_scalar(e, k, el);
			else if (!json_is_object(el))
				r = enc_fail(e, "%s: array of objects "
				    "expected", k->name);
			else
				r = enc_map(e, el, k->child, depth + 2);
			if (r != 0)
				return r;
		}
		return 0;
	default:
		return enc_scalar(e, k, v);
	}
}

/* Members in the object's order (jansson keeps insertion order). */
static int
enc_map(struct enc *e, const json_t *obj, enum ctx ctx, int depth)
{
	const struct key *k;
	const char	*name;
	json_t		*v;
	int		 r;

	if (depth > CODEC_MAX_DEPTH)
		return enc_fail(e, "nesting deeper than %d", CODEC_MAX_DEPTH);
	ENC_HEAD(e, cbor_encode_map_start, json_object_size(obj));
	/* jansson's iterator API is not const-correct; we only read. */
	json_object_foreach((json_t *)(uintptr_t)obj, name, v) {
		if ((k = key_by_name(name, ctx)) == NULL)
			return enc_fail(e, "\"%.60s\" is not a member of %s",
			    name, ctx_names[ctx]);
		ENC_HEAD(e, cbor_encode_uint, k->key);
		if ((r = enc_value(e, k, v, depth)) != 0)
			return r;
	}
	return 0;
}

int
codec_cbor_encode(const json_t *wire, uint8_t **buf, size_t *len,
    char *diag, size_t diaglen)
{
	struct enc	e = { .diag = diag, .diaglen = diaglen };
	int		r;

	*buf = NULL;
	*len = 0;
	if (!json_is_object(wire))
		return enc_fail(&e, "body must be a JSON object");
	if ((r = enc_map(&e, wire, CTX_TOP, 1)) != 0) {
		free(e.buf);
		return r;
	}
	*buf = e.buf;
	*len = e.len;
	return 0;
}
