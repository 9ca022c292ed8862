/*
 * codec.c: RFC 9132 §6 CBOR <-> wire JSON, the key table. The table below
 * is the whole schema the codec knows: each CBOR key with its JSON name,
 * value kind and the containers it may appear in, and the enumerations by
 * value. codec_decode.c (CBOR -> JSON, on top of codec_read.c's bounded
 * CBOR reader) and codec_encode.c (JSON -> CBOR) follow it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "yang/codec_int.h"

const char *const codec_ctx_names[CTX_MAX] = {
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
	[CTX_ICMPRANGE] = "source-icmp-type-range",
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

const struct codec_enum codec_enum_tables[E_MAX] = {
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
	/*
	 * RFC 9066 Table 1: the call-home source attributes of a request
	 * scope (comprehension-optional like all keys above 16383, but
	 * narrowing a mitigation: dotsd enforces them). lower-type and
	 * upper-type are shared with RFC 9244's source-icmp-type-range.
	 */
	{ 32768, "ietf-dots-call-home:source-prefix", K_TEXTS, IN(CTX_SCOPE),
	    0, 0, 0 },
	{ 32769, "ietf-dots-call-home:source-port-range", K_LIST,
	    IN(CTX_SCOPE), CTX_PORTRANGE, 0, 0 },
	{ 32770, "ietf-dots-call-home:source-icmp-type-range", K_LIST,
	    IN(CTX_SCOPE), CTX_ICMPRANGE, 0, 0 },
	{ 32771, "lower-type", K_UINT, TM | IN(CTX_ICMPRANGE), 0, 0,
	    UINT8_MAX },
	{ 32772, "upper-type", K_UINT, TM | IN(CTX_ICMPRANGE), 0, 0,
	    UINT8_MAX },
};

/* RFC 9132 + 9133 keys are dense from 1: keys[key - 1]. */
#define DENSE_KEYS	53

const struct key *
codec_key_by_num(uint64_t num)
{
	size_t	i;

	if (num >= 1 && num <= DENSE_KEYS)
		return &keys[num - 1];
	for (i = DENSE_KEYS; i < NELEM(keys); i++)
		if (keys[i].key == num)
			return &keys[i];
	return NULL;
}

const struct key *
codec_key_by_name(const char *name, enum ctx ctx)
{
	size_t	i;

	for (i = 0; i < NELEM(keys); i++)
		if ((keys[i].where & IN(ctx)) &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Name of value v of the enumeration leaf called name, or NULL. */
const char *
codec_enum_name(const char *name, long long v)
{
	const struct codec_enum	*e;
	size_t			 i;

	for (i = 0; i < NELEM(keys); i++) {
		if (keys[i].kind != K_ENUM || strcmp(keys[i].name, name) != 0)
			continue;
		e = &codec_enum_tables[keys[i].enums];
		if (v < 0 || (unsigned long long)v >= e->n)
			return NULL;
		return e->names[v];
	}
	return NULL;
}

/* RFC 9132 §10.6.1.1: 128-255 and 16384-65535 are comprehension-optional. */
bool
codec_key_optional(uint64_t num)
{
	return (num >= 128 && num <= 255) || (num >= 16384 && num <= 65535);
}
