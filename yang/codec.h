/*
 * codec.h: RFC 9132 §6 CBOR <-> "wire JSON", and validation of wire JSON
 * against the IETF YANG modules with libyang 2.1.
 *
 * "Wire JSON" is the JSON form the RFC examples use, held as a jansson
 * tree: {"ietf-dots-signal-channel:mitigation-scope": {"scope": [...]}}.
 * It follows RFC 7951 encoding: uint64 counters and mitigation-start as
 * strings, enumerations as their names ("attack-mitigation-in-progress"),
 * decimal64 as strings ("2.00"), lifetime -1 as a number.
 *
 * The codec knows the key table and per-key types (RFC 9132 Table 5, RFC
 * 9133 keys 52/53, RFC 9244 telemetry keys). It does not know protocol
 * rules (lifetime 0, single scope, ...): dotsd/ checks those.
 *
 * Functions return 0 or -errno; on failure `diag` (if not NULL) gets a
 * human-readable reason suitable for a CoAP diagnostic payload.
 */
#ifndef YANG_CODEC_H
#define YANG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CODEC_DIAG_LEN	256

/* Largest CBOR body we decode, and nesting/item bounds (hostile input). */
#define CODEC_MAX_BODY		(64 * 1024)
#define CODEC_MAX_DEPTH		16
#define CODEC_MAX_ITEMS		4096

/*
 * Decodes a CBOR body into wire JSON (*out, caller json_decref()s).
 * -EBADMSG: malformed CBOR, duplicate map key, wrong CBOR type for a key,
 *	     depth/item bound exceeded, trailing bytes, unknown
 *	     comprehension-required key (diag names the key(s)).
 * Unknown comprehension-optional keys (128-255, 16384-65535) are dropped.
 */
int	codec_cbor_decode(const uint8_t *buf, size_t len, json_t **out,
	    char *diag, size_t diaglen);

/*
 * Encodes wire JSON into CBOR (*buf malloc()ed, caller frees).
 * -EINVAL: a member name not in the key table, or a value of the wrong
 * type for its key (diag says which).
 */
int	codec_cbor_encode(const json_t *wire, uint8_t **buf, size_t *len,
	    char *diag, size_t diaglen);

/*
 * Name of value v of an enumeration leaf ("status", "conflict-cause",
 * "attack-status", ...), or NULL when either is unknown.
 */
const char *codec_enum_name(const char *leaf, long long v);

/*
 * Loads the YANG modules from dir (yang/modules: verbatim modules plus the
 * libyang-compat copies), or from codec_yang_default_dir() if dir is NULL.
 * Call once at start; fatal-free: returns -errno with err filled, naming
 * yang-dir and make install when the modules are not there.
 */
int	codec_yang_init(const char *dir, char *err, size_t errlen);
void	codec_yang_fini(void);

/*
 * Validates a signal-channel body (wire JSON, any of the top-level
 * containers mitigation-scope, signal-config, redirected-signal,
 * heartbeat) against ietf-dots-signal-channel (+ signal-control) with
 * libyang. -EBADMSG with diag on failure; -ENOTCONN if not initialized.
 */
int	codec_yang_validate_signal(const json_t *wire, char *diag,
	    size_t diaglen);

/* Default module directory (installed location, overridable). */
#ifndef CODEC_YANG_DIR
#define CODEC_YANG_DIR	"/usr/share/dotsd/yang"
#endif

/*
 * The module directory to use: CODEC_YANG_DIR if the modules are installed
 * there, else the source tree's yang/modules found from the executable's
 * path (dotsd and the tests run from the build tree, .output/bin/dotsd).
 * NULL if neither has them. codec_yang_init(NULL, ...) uses it and then
 * says what is missing.
 */
const char	*codec_yang_default_dir(void);

/*
 * The libyang context codec_yang_init() built (NULL before): it holds
 * ietf-dots-data-channel (compat copy) and ietf-access-control-list with
 * all features, for data-channel validation with lyd_parse_data().
 * Owned by the codec; valid until codec_yang_fini().
 */
struct ly_ctx;
struct ly_ctx	*codec_yang_ctx(void);
/*
 * A new context with the same modules, for a thread of its own (the
 * data channel's HTTP thread): libyang contexts are not shared across
 * threads here. Caller ly_ctx_destroy()s it. 0 or -errno with err.
 */
int	codec_yang_ctx_new(const char *dir, struct ly_ctx **out, char *err,
	    size_t errlen);

/*
 * validate_data.c: checks an RFC 8783 datastore tree, {"ietf-dots-data-
 * channel:dots-data": {...}} in RFC 7951 JSON, against ietf-dots-data-
 * channel and ietf-access-control-list in ctx (config only: read-only
 * nodes are refused). Thread-safe for distinct contexts. 0, or -EBADMSG
 * with the first libyang error in diag.
 */
int	codec_yang_validate_data(struct ly_ctx *ctx, const json_t *tree,
	    char *diag, size_t diaglen);

/*
 * The libyang form of a signal body (P8 in yang/modules/README.md): the
 * wrapper dropped, children module-qualified, every object's members in
 * schema order (P7). *out is new (caller json_decref()s). -EBADMSG with
 * diag for members that are not in the schema; -ENOTCONN before init.
 */
int	codec_yang_reshape(const json_t *wire, json_t **out, char *diag,
	    size_t diaglen);

#endif
