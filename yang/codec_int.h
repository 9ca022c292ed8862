/*
 * codec_int.h: what the pieces of the CBOR codec share: containers, value
 * kinds and the key table's entry (codec.c), CBOR heads and the decoder
 * state (codec_read.c, codec_decode.c). Only yang/codec*.c include it;
 * everyone else uses codec.h.
 */
#ifndef YANG_CODEC_INT_H
#define YANG_CODEC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	CTX_ICMPRANGE,		/* RFC 9066 source-icmp-type-range entry */
	CTX_MAX
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

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* An enumeration: names[value], NULL where no value is defined. */
struct codec_enum {
	const char *const	*names;
	size_t			 n;
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

/* CBOR heads and the decoder state (codec_read.c, codec_decode.c). */
enum htype {
	H_NONE, H_UINT, H_NEGINT, H_BYTES, H_TEXT, H_ARRAY, H_MAP, H_TAG,
	H_FLOAT, H_BOOL, H_NULL, H_UNDEF, H_SIMPLE, H_BREAK
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

/* codec.c */
extern const char *const codec_ctx_names[CTX_MAX];
extern const struct codec_enum codec_enum_tables[E_MAX];
const struct key *codec_key_by_num(uint64_t);
const struct key *codec_key_by_name(const char *, enum ctx);
bool	codec_key_optional(uint64_t);

/* codec_read.c */
int	codec_read_fail(struct dec *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	codec_read_head(struct dec *, struct head *);
int	codec_read_string(struct dec *, const struct head *, char **,
	    size_t *);
int	codec_read_skip(struct dec *, const struct head *, int);

#endif /* YANG_CODEC_INT_H */
