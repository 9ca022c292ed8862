/*
 * mitreq.c: RFC 9132 §4.4 mitigation requests. What a PUT, GET or DELETE
 * on /.well-known/dots/mitigate means: request checks, cuid ownership,
 * authorization, mid ordering, conflicts, lifetimes, the status FSM, and
 * durable state. Transport (CoAP, Observe) is signal.c's; enforcement is
 * the engine's (mitigate/mitigate.h).
 *
 * A request is keyed by (client name, cuid, mid): a client never sees,
 * changes or deletes another client's requests, whatever cuid it sends.
 *
 * Status FSM (RFC 9132 Table 3):
 *   immediate:    1 in-progress -> 2 mitigated <-> 4 exceeded; 2 -> 3
 *                 attack-stopped after QUIET_STOPPED s without local drops
 *                 (back to 2 when drops resume or the client reports
 *                 under-attack); DELETE -> 5 for the active-but-terminating
 *                 period -> 6 -> removed; lifetime end -> 6 -> removed;
 *                 server withdraw (conflict, operator) -> 7.
 *   preconfigured (trigger-mitigation false): 8 until the signal channel
 *                 is lost, then 1/2/4; 3 or 7 are sent NOTIFY_BEFORE_8
 *                 times, then 8 again. Signal recovery stops nothing.
 *
 * Every change a client is told about is committed to the store first.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "dotsd/resolve.h"
#include "dotsd/store.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"

#define MS_KEY		"ietf-dots-signal-channel:mitigation-scope"
#define ACL_KEY		"ietf-dots-signal-control:acl-list"
#define TELEMETRY_PFX	"ietf-dots-telemetry:"

#define ABT_DEFAULT	120	/* RFC 9132 §4.4.4 */
#define ABT_MAX		300	/* RFC 9132 §4.4.4 */
#define NOTIFY_MIN	3	/* RFC 9132 §4.4.2.1: one per 3 s at most */
#define NOTIFY_PERIOD	10	/* periodic status while mitigating */
#define NOTIFY_BEFORE_8	4	/* Table 3: 3 or 7 four times, then 8 */
#define QUIET_STOPPED	300	/* no drops that long: attack-stopped */
#define CUID_HOLD	86400	/* cuid stays bound this long after use */
#define RETRY_INDEF	3600	/* retry-timer when the winner never ends */
#define RETRY_GRACE	45	/* RFC 9132 §4.4.1.3: retry-timer + 45 */
#define BUSY_RETRY	60	/* Max-Age of a 5.03 */
#define RESOLVE_MIN	30	/* re-resolve no sooner than this */
#define RESOLVE_RETRY	60	/* after a failed re-resolution */
#define MAX_NAMES	16	/* target-fqdn + target-uri names */
#define MAX_CONFLICT	8	/* requests one request conflicts with */
#define NAME_LEN	256

enum {
	ST_IN_PROGRESS = 1,
	ST_MITIGATED,
	ST_STOPPED,
	ST_EXCEEDED,
	ST_TERMINATING,
	ST_TERMINATED,
	ST_WITHDRAWN,
	ST_SIGNAL_LOSS,
	ST_MAX
};

static const char *const status_name[ST_MAX] = {
	[0] = "reserved",
	[ST_IN_PROGRESS] = "attack-mitigation-in-progress",
	[ST_MITIGATED] = "attack-successfully-mitigated",
	[ST_STOPPED] = "attack-stopped",
	[ST_EXCEEDED] = "attack-exceeded-capability",
	[ST_TERMINATING] = "dots-client-withdrawn-mitigation",
	[ST_TERMINATED] = "attack-mitigation-terminated",
	[ST_WITHDRAWN] = "attack-mitigation-withdrawn",
	[ST_SIGNAL_LOSS] = "attack-mitigation-signal-loss",
};

enum {
	CS_NONE = 0,
	CS_INACTIVE_OTHER_ACTIVE,
	CS_ACTIVE,
	CS_ALL_INACTIVE,
	CS_MAX
};

static const char *const cstatus_name[CS_MAX] = {
	[CS_NONE] = "",
	[CS_INACTIVE_OTHER_ACTIVE] = "request-inactive-other-active",
	[CS_ACTIVE] = "request-active",
	[CS_ALL_INACTIVE] = "all-requests-inactive",
};

enum { ATTACK_NONE = 0, ATTACK_UNDER, ATTACK_MITIGATED };

/*
 * Scheme -> protocol and default port (RFC 9132 §4.4.1.1: the scheme
 * stands for target-protocol, the port or the scheme's default for
 * target-port-range). Sorted by scheme.
 */
static const struct scheme {
	const char	*name;
	uint16_t	 port;
	uint8_t		 tcp, udp;
} schemes[] = {
	{ "coap",	5683, 0, 1 },	/* RFC 7252 */
	{ "coap+tcp",	5683, 1, 0 },	/* RFC 8323 */
	{ "coap+ws",	80, 1, 0 },
	{ "coaps",	5684, 0, 1 },
	{ "coaps+tcp",	5684, 1, 0 },
	{ "coaps+ws",	443, 1, 0 },
	{ "dns",	53, 1, 1 },	/* RFC 4501 */
	{ "ftp",	21, 1, 0 },
	{ "ftps",	990, 1, 0 },
	{ "http",	80, 1, 0 },	/* RFC 9110 */
	{ "https",	443, 1, 1 },	/* TCP, and QUIC (HTTP/3) */
	{ "imap",	143, 1, 0 },
	{ "ldap",	389, 1, 0 },
	{ "ldaps",	636, 1, 0 },
	{ "pop",	110, 1, 0 },
	{ "rtsp",	554, 1, 0 },
	{ "sip",	5060, 1, 1 },
	{ "sips",	5061, 1, 0 },
	{ "ssh",	22, 1, 0 },
	{ "telnet",	23, 1, 0 },
	{ "ws",		80, 1, 0 },	/* RFC 6455 */
	{ "wss",	443, 1, 0 },
};

/* One PUT body, checked and flattened. */
struct req {
	json_t		*scope;		/* canonical form, owned */
	int64_t		 lifetime;
	uint8_t		 has_lifetime;
	uint8_t		 trigger;
	uint8_t		 attack_status;
	uint8_t		 has_acl;

	uint8_t		 nprefix;	/* target-prefix + literal URI hosts */
	struct mit_prefix prefix[MIT_MAX_TARGETS];
	uint8_t		 nports;
	struct mit_range ports[MIT_MAX_PORTS];
	uint8_t		 nproto;
	uint8_t		 proto[MIT_MAX_PROTO];
	int		 nnames;	/* names to resolve */
	char		 names[MAX_NAMES][NAME_LEN];
};

struct mreq;
struct putctx;

/* Resolution of every name of a request (PUT or TTL refresh). */
struct resjob {
	struct mreq	*m;		/* re-resolution of a mitigation, or */
	struct putctx	*put;		/* the names of a PUT */
	int		 outstanding;
	int		 starting;
	int		 err;
	char		 failed[NAME_LEN];
	uint32_t	 ttl;
	int		 overflow;
	uint8_t		 naddr;
	struct mit_prefix addr[MIT_MAX_TARGETS];
	int		 nsub;
	struct ressub {
		struct resjob	*job;
		uint8_t		 done;
		char		 name[NAME_LEN];
	}		 sub[MAX_NAMES];
};

struct putctx {
	TAILQ_ENTRY(putctx) entry;
	struct dots_peer peer;
	struct dots_uri	 uri;
	int		 efficacy;
	struct req	 rq;
	struct resjob	 job;
};

struct mreq {
	TAILQ_ENTRY(mreq) entry;
	uint64_t	 id;
	const struct client_conf *client;
	char		 cuid[DOTS_ID_LEN];
	char		 cdid[DOTS_ID_LEN];
	uint32_t	 mid;
	struct req	 rq;
	int64_t		 lifetime;	/* granted, -1 indefinite */
	time_t		 expires;	/* 0 = never */
	time_t		 started;	/* mitigation-start */
	time_t		 terminating_until;
	uint32_t	 abt;		/* next active-but-terminating period */
	uint8_t		 status;
	uint8_t		 in_engine;
	uint8_t		 activated;	/* preconfigured, by signal loss */
	uint8_t		 notify_left;	/* 3/7 of a preconfigured */
	uint8_t		 purge;		/* remove after the next notification */
	uint8_t		 enforce_pending;	/* enforce once names resolve */

	uint8_t		 conflict_status;	/* CS_* */
	uint32_t	 retry_timer;
	json_t		*conflict_scope;
	uint8_t		 nconflict;
	uint64_t	 conflict_with[MAX_CONFLICT];

	uint8_t		 naddr;		/* resolved target-fqdn/uri */
	struct mit_prefix addr[MIT_MAX_TARGETS];
	time_t		 resolve_at;	/* 0 = no names */
	struct resjob	*job;

	struct mit_status last;		/* last engine report */
	uint8_t		 have_last;
	uint64_t	 drops_seen;
	time_t		 last_activity;	/* drops or client under-attack */
};

/* Who owns a cuid (RFC 9132 §4.4.1.1). */
struct cuidown {
	TAILQ_ENTRY(cuidown) entry;
	char		 cuid[DOTS_ID_LEN];
	char		 client[MIT_NAME_LEN];
	time_t		 last_used;
};

/* Notification state per (client, cuid) observer set. */
struct notif {
	TAILQ_ENTRY(notif) entry;
	const struct client_conf *client;
	char		 cuid[DOTS_ID_LEN];
	time_t		 last_sent;
	uint8_t		 dirty;
};

enum conflict_policy {
	CP_BOTH = 0,		/* keep both active, report to both */
	CP_FIRST_WINS,		/* refuse the newcomer with 4.09 */
	CP_NEWEST_WINS,		/* deactivate the older request (status 7) */
};

static TAILQ_HEAD(, mreq)	mreqs = TAILQ_HEAD_INITIALIZER(mreqs);
static TAILQ_HEAD(, cuidown)	cuids = TAILQ_HEAD_INITIALIZER(cuids);
static TAILQ_HEAD(, notif)	notifs = TAILQ_HEAD_INITIALIZER(notifs);
static TAILQ_HEAD(, putctx)	pending_puts = TAILQ_HEAD_INITIALIZER(pending_puts);
static time_t			 last_prune;
static const struct dotsd_conf	*conf;
static time_t			 now_s;
static enum conflict_policy	 conflict_policy = CP_BOTH;

static void	mreq_free(struct mreq *);
static void	job_start(struct resjob *);
static void	put_decide(const struct dots_peer *, const struct dots_uri *,
		    struct req *, int, const struct resjob *,
		    struct dots_reply *);

static time_t
clock_now(void)
{
	return now_s ? now_s : time(NULL);
}

/* ------------------------------------------------------------------ */
/* replies                                                            */
/* ------------------------------------------------------------------ */

static void
reply_init(struct dots_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}

static void __attribute__((format(printf, 3, 4)))
reply_err(struct dots_reply *r, int code, const char *fmt, ...)
{
	va_list	ap;

	json_decref(r->body);
	r->body = NULL;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->diag, sizeof(r->diag), fmt, ap);
	va_end(ap);
}

/* {"...:mitigation-scope":{"scope":[entry]}}, entry stolen. */
static json_t *
wrap_scope(json_t *entries)
{
	return json_pack("{s:{s:o}}", MS_KEY, "scope", entries);
}

static void
reply_conflict(struct dots_reply *r, int code, json_t *ci)
{
	json_decref(r->body);
	r->code = code;
	r->diag[0] = '\0';
	r->body = wrap_scope(json_pack("[{s:o}]", "conflict-information",
	    ci));
}

/* ------------------------------------------------------------------ */
/* prefixes                                                           */
/* ------------------------------------------------------------------ */

static int
prefix_eq(const struct mit_prefix *a, const struct mit_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	    memcmp(a->addr, b->addr, 16) == 0;
}

/* Do a and b share an address? Then *inner is the more specific one. */
static int
prefix_overlap(const struct mit_prefix *a, const struct mit_prefix *b,
    const struct mit_prefix **inner)
{
	unsigned	len, bytes, bits;

	if (a->family != b->family)
		return 0;
	len = a->len < b->len ? a->len : b->len;
	bytes = len / 8;
	bits = len % 8;
	if (memcmp(a->addr, b->addr, bytes) != 0)
		return 0;
	if (bits && ((a->addr[bytes] ^ b->addr[bytes]) &
	    (uint8_t)(0xff << (8 - bits))))
		return 0;
	if (inner != NULL)
		*inner = a->len >= b->len ? a : b;
	return 1;
}

static int
prefix_add(struct mit_prefix *set, uint8_t *n, int max,
    const struct mit_prefix *p)
{
	int	i;

	for (i = 0; i < *n; i++)
		if (prefix_eq(&set[i], p))
			return 0;
	if (*n >= max)
		return -E2BIG;
	set[(*n)++] = *p;
	return 0;
}

static int
range_add(struct mit_range *set, uint8_t *n, int max, uint16_t lo,
    uint16_t hi)
{
	int	i;

	for (i = 0; i < *n; i++)
		if (set[i].lo == lo && set[i].hi == hi)
			return 0;
	if (*n >= max)
		return -E2BIG;
	set[*n].lo = lo;
	set[*n].hi = hi;
	(*n)++;
	return 0;
}

static int
proto_add(struct req *rq, uint8_t proto)
{
	int	i;

	for (i = 0; i < rq->nproto; i++)
		if (rq->proto[i] == proto)
			return 0;
	if (rq->nproto >= MIT_MAX_PROTO)
		return -E2BIG;
	rq->proto[rq->nproto++] = proto;
	return 0;
}

/* ------------------------------------------------------------------ */
/* request parsing (RFC 9132 §4.4.1.1)                                */
/* ------------------------------------------------------------------ */

/*
 * jansson's iterators take json_t * even to read; we never write through
 * the result.
 */
static json_t *
unconst(const json_t *v)
{
	union {
		const json_t	*c;
		json_t		*m;
	} u = { .c = v };

	return u.m;
}

static int
json_uint(const json_t *v, json_int_t max, json_int_t *out)
{
	if (!json_is_integer(v))
		return -EINVAL;
	*out = json_integer_value(v);
	if (*out < 0 || *out > max)
		return -ERANGE;
	return 0;
}

/* A non-empty array of non-empty strings, each at most maxlen long. */
static const char *
check_strings(const json_t *v, size_t maxlen)
{
	const json_t	*s;
	size_t		 i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return "must be a non-empty list";
	json_array_foreach(v, i, s) {
		if (!json_is_string(s) || json_string_length(s) == 0)
			return "must hold non-empty strings";
		if (json_string_length(s) >= maxlen)
			return "value too long";
	}
	return NULL;
}

static int
valid_hostname(const char *s)
{
	size_t	len = strlen(s), label = 0, i;

	if (len == 0 || len > 253)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 && i + 1 != len)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static const struct scheme *
scheme_find(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == len &&
		    strncasecmp(schemes[i].name, name, len) == 0)
			return &schemes[i];
	return NULL;
}

/*
 * RFC 3986 §3: scheme "://" [userinfo "@"] host [":" port] path. The host
 * is an IP literal (added as a /32 or /128 target) or a name (queued for
 * resolution); scheme and port become protocol and port (§4.4.1.1).
 */
static int
parse_uri(struct req *rq, const char *uri, char *why, size_t whylen)
{
	const struct scheme *sc;
	const char	*p, *auth, *end, *at, *host, *hend, *colon;
	char		 hostbuf[NAME_LEN];
	struct mit_prefix pfx;
	unsigned long	 port;
	char		*ep;
	size_t		 hlen;

	if ((p = strchr(uri, ':')) == NULL || p == uri ||
	    strncmp(p, "://", 3) != 0) {
		snprintf(why, whylen, "target-uri \"%s\": no scheme and "
		    "authority", uri);
		return -EINVAL;
	}
	if ((sc = scheme_find(uri, (size_t)(p - uri))) == NULL) {
		snprintf(why, whylen, "target-uri \"%s\": unsupported scheme",
		    uri);
		return -EINVAL;
	}
	auth = p + 3;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	host = at ? at + 1 : auth;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(end - host));
		if (hend == NULL)
			goto bad;
		colon = hend + 1 < end && hend[1] == ':' ? hend + 1 : NULL;
		if (hend + 1 < end && colon == NULL)
			goto bad;
		host++;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		hend = colon ? colon : end;
	}
	hlen = (size_t)(hend - host);
	if (hlen == 0 || hlen >= sizeof(hostbuf))
		goto bad;
	memcpy(hostbuf, host, hlen);
	hostbuf[hlen] = '\0';

	port = sc->port;
	if (colon != NULL && colon + 1 < end) {
		errno = 0;
		port = strtoul(colon + 1, &ep, 10);
		if (ep != end || errno != 0 || port > 65535)
			goto bad;
	}
	if (range_add(rq->ports, &rq->nports, MIT_MAX_PORTS, (uint16_t)port,
	    (uint16_t)port) < 0 ||
	    (sc->tcp && proto_add(rq, IPPROTO_TCP) < 0) ||
	    (sc->udp && proto_add(rq, IPPROTO_UDP) < 0)) {
		snprintf(why, whylen, "target-uri \"%s\": too many ports or "
		    "protocols", uri);
		return -E2BIG;
	}
	if (prefix_parse(hostbuf, &pfx) == 0 && strchr(hostbuf, '/') == NULL) {
		if (prefix_add(rq->prefix, &rq->nprefix, MIT_MAX_TARGETS,
		    &pfx) < 0) {
			snprintf(why, whylen, "too many targets (at most %d)",
			    MIT_MAX_TARGETS);
			return -E2BIG;
		}
		return 0;
	}
	if (!valid_hostname(hostbuf))
		goto bad;
	if (rq->nnames >= MAX_NAMES) {
		snprintf(why, whylen, "too many names (at most %d)",
		    MAX_NAMES);
		return -E2BIG;
	}
	snprintf(rq->names[rq->nnames++], NAME_LEN, "%s", hostbuf);
	return 0;
 bad:
	snprintf(why, whylen, "target-uri \"%s\": bad authority", uri);
	return -EINVAL;
}

static int
parse_ports(struct req *rq, const json_t *v, char *why, size_t whylen)
{
	const json_t	*e, *x;
	const char	*k;
	json_int_t	 lo, hi;
	size_t		 i, j;

	if (!json_is_array(v) || json_array_size(v) == 0) {
		snprintf(why, whylen, "target-port-range: must be a "
		    "non-empty list");
		return -EINVAL;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_object(e))
			goto bad;
		json_object_foreach(unconst(e), k, x) {
			if (strcmp(k, "lower-port") != 0 &&
			    strcmp(k, "upper-port") != 0) {
				snprintf(why, whylen, "target-port-range: "
				    "unknown member \"%s\"", k);
				return -EINVAL;
			}
		}
		if (json_uint(json_object_get(e, "lower-port"), 65535, &lo) < 0)
			goto bad;
		hi = lo;
		if ((x = json_object_get(e, "upper-port")) != NULL &&
		    json_uint(x, 65535, &hi) < 0)
			goto bad;
		if (hi < lo) {
			snprintf(why, whylen, "target-port-range: upper-port "
			    "%lld below lower-port %lld", (long long)hi,
			    (long long)lo);
			return -EINVAL;
		}
		/* lower-port is the list key: no duplicates (YANG) */
		for (j = 0; j < i; j++)
			if (json_integer_value(json_object_get(
			    json_array_get(v, j), "lower-port")) == lo) {
				snprintf(why, whylen, "target-port-range: "
				    "lower-port %lld twice", (long long)lo);
				return -EINVAL;
			}
		if (range_add(rq->ports, &rq->nports, MIT_MAX_PORTS,
		    (uint16_t)lo, (uint16_t)hi) < 0) {
			snprintf(why, whylen, "target-port-range: at most %d "
			    "ranges", MIT_MAX_PORTS);
			return -E2BIG;
		}
	}
	return 0;
 bad:
	snprintf(why, whylen, "target-port-range: lower-port and "
	    "upper-port must be integers 0-65535");
	return -EINVAL;
}

static int
parse_attack_status(const json_t *v)
{
	const char	*s;

	if (json_is_integer(v)) {
		if (json_integer_value(v) == 1 || json_integer_value(v) == 2)
			return (int)json_integer_value(v);
		return -EINVAL;
	}
	if ((s = json_string_value(v)) == NULL)
		return -EINVAL;
	if (strcmp(s, "under-attack") == 0)
		return ATTACK_UNDER;
	if (strcmp(s, "attack-successfully-mitigated") == 0)
		return ATTACK_MITIGATED;
	return -EINVAL;
}

/*
 * Checks a PUT body (RFC 9132 §4.4.1.1, §4.4.1.3, §4.4.3) and flattens it
 * into rq. Returns 0, or a CoAP code (400, 404) with why filled. Does not
 * authorize: that needs the client and resolution.
 */
static int
req_parse(const json_t *body, int efficacy, struct req *rq, char *why,
    size_t whylen)
{
	const json_t	*ms, *list, *scope, *v, *s;
	const char	*k, *err;
	json_int_t	 n;
	struct mit_prefix pfx;
	size_t		 i;
	int		 ntargets = 0, rc;

	memset(rq, 0, sizeof(*rq));
	rq->trigger = 1;
	if (!json_is_object(body) || json_object_size(body) != 1 ||
	    (ms = json_object_get(body, MS_KEY)) == NULL) {
		snprintf(why, whylen, "body must be one %s", MS_KEY);
		return 400;
	}
	if (!json_is_object(ms) || json_object_size(ms) != 1 ||
	    !json_is_array(list = json_object_get(ms, "scope"))) {
		snprintf(why, whylen, "mitigation-scope must hold only scope");
		return 400;
	}
	/* §4.4.1.1: a single scope entry per PUT */
	if (json_array_size(list) != 1) {
		snprintf(why, whylen, "exactly one scope entry per request, "
		    "got %zu", json_array_size(list));
		return 400;
	}
	scope = json_array_get(list, 0);
	if (!json_is_object(scope)) {
		snprintf(why, whylen, "scope entry must be an object");
		return 400;
	}
	if ((rq->scope = json_object()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return 503;
	}
	json_object_foreach(unconst(scope), k, v) {
		if (strcmp(k, "target-prefix") == 0) {
			if ((err = check_strings(v, 64)) != NULL)
				goto bad_value;
			json_array_foreach(v, i, s) {
				if (prefix_parse(json_string_value(s),
				    &pfx) < 0) {
					snprintf(why, whylen, "target-prefix "
					    "\"%s\" is no prefix",
					    json_string_value(s));
					goto fail400;
				}
				if (prefix_add(rq->prefix, &rq->nprefix,
				    MIT_MAX_TARGETS, &pfx) < 0) {
					snprintf(why, whylen, "too many "
					    "targets (at most %d)",
					    MIT_MAX_TARGETS);
					goto fail400;
				}
			}
			ntargets++;
		} else if (strcmp(k, "target-port-range") == 0) {
			if (parse_ports(rq, v, why, whylen) < 0)
				goto fail400;
		} else if (strcmp(k, "target-protocol") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0) {
				err = "must be a non-empty list";
				goto bad_value;
			}
			json_array_foreach(v, i, s) {
				if (json_uint(s, 255, &n) < 0) {
					err = "must hold integers 0-255";
					goto bad_value;
				}
				if (proto_add(rq, (uint8_t)n) < 0) {
					err = "too many protocols";
					goto bad_value;
				}
			}
		} else if (strcmp(k, "target-fqdn") == 0) {
			if ((err = check_strings(v, NAME_LEN)) != NULL)
				goto bad_value;
			json_array_foreach(v, i, s) {
				if (!valid_hostname(json_string_value(s))) {
					err = "holds an invalid name";
					goto bad_value;
				}
				if (rq->nnames >= MAX_NAMES) {
					err = "too many names";
					goto bad_value;
				}
				snprintf(rq->names[rq->nnames++], NAME_LEN,
				    "%s", json_string_value(s));
			}
			ntargets++;
		} else if (strcmp(k, "target-uri") == 0) {
			if ((err = check_strings(v, 1024)) != NULL)
				goto bad_value;
			json_array_foreach(v, i, s)
				if (parse_uri(rq, json_string_value(s), why,
				    whylen) < 0)
					goto fail400;
			ntargets++;
		} else if (strcmp(k, "alias-name") == 0) {
			if ((err = check_strings(v, NAME_LEN)) != NULL)
				goto bad_value;
			ntargets++;
		} else if (strcmp(k, "lifetime") == 0) {
			/* §4.4.1.1: -1 indefinite, 0 invalid, else uint32 */
			if (!json_is_integer(v) ||
			    json_integer_value(v) < -1 ||
			    json_integer_value(v) > UINT32_MAX) {
				err = "must be -1 or 1-4294967295";
				goto bad_value;
			}
			if (json_integer_value(v) == 0) {
				snprintf(why, whylen, "lifetime 0 is invalid");
				goto fail400;
			}
			rq->lifetime = json_integer_value(v);
			rq->has_lifetime = 1;
			continue;
		} else if (strcmp(k, "trigger-mitigation") == 0) {
			if (!json_is_boolean(v)) {
				err = "must be a boolean";
				goto bad_value;
			}
			rq->trigger = json_is_true(v);
			if (rq->trigger)	/* the default: canonical = absent */
				continue;
		} else if (strcmp(k, "attack-status") == 0) {
			if ((rc = parse_attack_status(v)) < 0) {
				err = "must be under-attack or "
				    "attack-successfully-mitigated";
				goto bad_value;
			}
			rq->attack_status = (uint8_t)rc;
			continue;
		} else if (strcmp(k, ACL_KEY) == 0) {
			rq->has_acl = 1;
		} else if (strncmp(k, TELEMETRY_PFX,
		    strlen(TELEMETRY_PFX)) == 0) {
			/* RFC 9244 pre-or-ongoing attack data: not scope */
			continue;
		} else {
			/* cuid, cdid, mid and server-to-client nodes too */
			snprintf(why, whylen, "\"%s\" is not allowed in a "
			    "mitigation request", k);
			goto fail400;
		}
		json_object_set_new(rq->scope, k, json_deep_copy(v));
	}
	if (ntargets == 0) {
		snprintf(why, whylen, "one of target-prefix, target-fqdn, "
		    "target-uri or alias-name is required");
		goto fail400;
	}
	if (efficacy) {
		/* §4.4.3: attack-status mandatory, lifetime optional */
		if (rq->attack_status == ATTACK_NONE) {
			snprintf(why, whylen, "efficacy update without "
			    "attack-status");
			goto fail400;
		}
	} else if (!rq->has_lifetime) {
		snprintf(why, whylen, "lifetime is mandatory");
		goto fail400;
	}
	if (rq->has_acl) {
		/* RFC 9133: no ACL exists before the data channel does */
		snprintf(why, whylen, "acl-list: unknown acl-name");
		json_decref(rq->scope);
		rq->scope = NULL;
		return 404;
	}
	return 0;
 bad_value:
	snprintf(why, whylen, "%s: %s", k, err);
 fail400:
	json_decref(rq->scope);
	rq->scope = NULL;
	return 400;
}

/*
 * Alias store seam (RFC 8783 §6.1 aliases of this client). The data
 * channel will back this; until then every alias is unknown (-ENOENT).
 * On success it adds the alias's prefixes, ports, protocols and names to
 * rq, as §4.4.1.3 merges them with the other target lists.
 */
static int
alias_lookup(const struct client_conf *c, const char *cuid,
    const char *alias, struct req *rq)
{
	return -ENOENT;
}

/* ------------------------------------------------------------------ */
/* mitigation table                                                   */
/* ------------------------------------------------------------------ */

static struct mreq *
mreq_find(const struct client_conf *c, const char *cuid, uint32_t mid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mreqs, entry)
		if (m->client == c && m->mid == mid &&
		    strcmp(m->cuid, cuid) == 0 && !m->purge)
			return m;
	return NULL;
}

/*
 * Is mid a newer than mid b (§4.4.1.1)? mids increase, but a client
 * restarts at 0 once it reached 3/4 of 2^32 - 1, so anything below that
 * is newer than a mid beyond it.
 */
#define MID_ROLLOVER	UINT32_C(3221225471)

static int
mid_newer(uint32_t a, uint32_t b)
{
	if (b >= MID_ROLLOVER && a < MID_ROLLOVER)
		return 1;
	if (a >= MID_ROLLOVER && b < MID_ROLLOVER)
		return 0;
	return a > b;
}

/* Is m enforcing (or about to)? */
static int
mreq_live(const struct mreq *m)
{
	return !m->purge && m->status >= ST_IN_PROGRESS &&
	    m->status <= ST_TERMINATING;
}

static int64_t
remaining(const struct mreq *m, time_t now)
{
	if (m->lifetime < 0 || m->expires == 0)
		return -1;
	return m->expires > now ? (int64_t)(m->expires - now) : 0;
}

/* §4.4.1.1 lifetime grant: client ceiling, global ceiling, -1 policy. */
static int64_t
lifetime_grant(const struct client_conf *c, int64_t asked)
{
	uint32_t	max = c->max_lifetime;

	if (conf != NULL && conf->max_lifetime &&
	    (max == 0 || conf->max_lifetime < max))
		max = conf->max_lifetime;
	if (asked < 0) {
		if (c->allow_indefinite)
			return -1;
		if (max)
			return max;
		return conf && conf->default_lifetime ?
		    conf->default_lifetime : 3600;
	}
	if (max && asked > max)
		return max;
	return asked;
}

static void
set_lifetime(struct mreq *m, int64_t granted, time_t now)
{
	m->lifetime = granted;
	m->expires = granted < 0 ? 0 : now + (time_t)granted;
}

static uint32_t
abt_period(void)
{
	/* a configured 0 ends a withdrawn mitigation at the next tick */
	uint32_t	p = conf ? conf->abt_period : ABT_DEFAULT;

	return p > ABT_MAX ? ABT_MAX : p;
}

static void
build_mitigation(const struct mreq *m, struct mitigation *mit)
{
	int	i;

	memset(mit, 0, sizeof(*mit));
	mit->id = m->id;
	snprintf(mit->client, sizeof(mit->client), "%s", m->client->name);
	mit->mid = m->mid;
	for (i = 0; i < m->rq.nprefix; i++)
		prefix_add(mit->targets, &mit->ntargets, MIT_MAX_TARGETS,
		    &m->rq.prefix[i]);
	for (i = 0; i < m->naddr; i++)
		prefix_add(mit->targets, &mit->ntargets, MIT_MAX_TARGETS,
		    &m->addr[i]);
	mit->nports = m->rq.nports;
	memcpy(mit->ports, m->rq.ports, sizeof(mit->ports));
	mit->nproto = m->rq.nproto;
	memcpy(mit->proto, m->rq.proto, sizeof(mit->proto));
	mit->policy = m->client->policy;
}

static int
mreq_targets(const struct mreq *m)
{
	struct mitigation mit;

	build_mitigation(m, &mit);
	return mit.ntargets;
}

/* Hands m to the engine. 0 or -errno with err filled. */
static int
engine_hand(struct mreq *m, char *err, size_t errlen)
{
	struct mitigation mit;
	int		 rc;

	build_mitigation(m, &mit);
	if (mit.ntargets == 0) {
		snprintf(err, errlen, "no target address to mitigate");
		return -EDESTADDRREQ;
	}
	if ((rc = engine_apply(&mit, err, errlen)) < 0)
		return rc;
	m->in_engine = 1;
	return 0;
}

static void
engine_take(struct mreq *m)
{
	struct mit_status st;

	if (!m->in_engine)
		return;
	if (engine_status(m->id, &st) == 0) {
		m->last = st;
		m->have_last = 1;
	}
	if (engine_withdraw(m->id) < 0)
		log_warnx("mitigation %" PRIu64 ": engine withdraw failed",
		    m->id);
	m->in_engine = 0;
}

static json_t *
extra_json(const struct mreq *m)
{
	json_t	*x;

	x = json_pack("{s:I, s:b, s:i, s:I}", "abt", (json_int_t)m->abt,
	    "activated", m->activated, "notify_left", m->notify_left,
	    "last_activity", (json_int_t)m->last_activity);
	if (x != NULL && m->conflict_status) {
		json_object_set_new(x, "cstatus",
		    json_integer(m->conflict_status));
		json_object_set_new(x, "retry", json_integer(m->retry_timer));
		if (m->conflict_scope)
			json_object_set(x, "cscope", m->conflict_scope);
	}
	return x;
}

/* Writes m to the store. 0 or -errno. */
static int
mreq_save(const struct mreq *m)
{
	struct store_mit sm;
	json_t		*x;
	int		 rc;

	memset(&sm, 0, sizeof(sm));
	sm.id = m->id;
	snprintf(sm.client, sizeof(sm.client), "%s", m->client->name);
	snprintf(sm.cuid, sizeof(sm.cuid), "%s", m->cuid);
	snprintf(sm.cdid, sizeof(sm.cdid), "%s", m->cdid);
	sm.mid = m->mid;
	sm.lifetime = m->lifetime;
	sm.expires = m->expires;
	sm.started = m->started;
	sm.terminating_until = m->terminating_until;
	sm.status = m->status;
	sm.trigger = m->rq.trigger;
	sm.scope_json = json_dumps(m->rq.scope, JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	x = extra_json(m);
	sm.extra_json = x ? json_dumps(x, JSON_COMPACT) : NULL;
	json_decref(x);
	if (sm.scope_json == NULL)
		rc = -ENOMEM;
	else
		rc = store_mit_put(&sm);
	free(sm.scope_json);
	free(sm.extra_json);
	if (rc < 0)
		log_warnx("mitigation %s/%u: store: %s", m->client->name,
		    m->mid, strerror(-rc));
	return rc;
}

static struct notif *
notif_get(const struct client_conf *c, const char *cuid)
{
	struct notif	*n;

	TAILQ_FOREACH(n, &notifs, entry)
		if (n->client == c && strcmp(n->cuid, cuid) == 0)
			return n;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->client = c;
	snprintf(n->cuid, sizeof(n->cuid), "%s", cuid);
	TAILQ_INSERT_TAIL(&notifs, n, entry);
	return n;
}

static void
mark_changed(const struct mreq *m)
{
	struct notif	*n;

	if ((n = notif_get(m->client, m->cuid)) != NULL)
		n->dirty = 1;
}

static int
derived(uint8_t st)
{
	return st >= ST_IN_PROGRESS && st <= ST_EXCEEDED;
}

/* The one place where a status changes: log, persist, notify. */
static void
set_status(struct mreq *m, uint8_t st)
{
	uint8_t	old = m->status;

	if (old == st)
		return;
	log_info("mitigation %s/%s/%u: %s -> %s", m->client->name, m->cuid,
	    m->mid, status_name[old < ST_MAX ? old : 0], status_name[st]);
	m->status = st;
	if (st == ST_STOPPED || st == ST_WITHDRAWN)
		m->notify_left = NOTIFY_BEFORE_8;
	/*
	 * 1-4 follow from the engine and are derived again after a
	 * restart: moves among them need no fsync.
	 */
	if (st != ST_TERMINATED && !m->purge &&
	    !(derived(old) && derived(st)))
		mreq_save(m);
	mark_changed(m);
}

/* Forget m's conflict with id; clear its conflict-information if none. */
static void
conflict_forget(uint64_t id)
{
	struct mreq	*m;
	int		 i, j;

	TAILQ_FOREACH(m, &mreqs, entry) {
		for (i = j = 0; i < m->nconflict; i++)
			if (m->conflict_with[i] != id)
				m->conflict_with[j++] = m->conflict_with[i];
		if (j == m->nconflict)
			continue;
		m->nconflict = (uint8_t)j;
		if (j == 0 && m->conflict_status == CS_ACTIVE) {
			m->conflict_status = CS_NONE;
			json_decref(m->conflict_scope);
			m->conflict_scope = NULL;
			if (!m->purge)
				mreq_save(m);
			mark_changed(m);
		}
	}
}

static void
job_cancel(struct resjob *job)
{
	int	i;

	for (i = 0; i < job->nsub; i++)
		if (!job->sub[i].done)
			resolve_cancel(&job->sub[i]);
}

/*
 * Ends m (status 6 after lifetime/abt, 7 by the server): stops the engine,
 * deletes the stored row, and removes m after the last notification.
 */
static void
mreq_end(struct mreq *m, uint8_t st)
{
	int	rc;

	engine_take(m);
	if ((rc = store_mit_del(m->id)) < 0)
		log_warnx("mitigation %s/%u: store delete: %s",
		    m->client->name, m->mid, strerror(-rc));
	if (m->job != NULL) {
		job_cancel(m->job);
		free(m->job);
		m->job = NULL;
	}
	m->purge = 1;		/* before set_status: no store write */
	set_status(m, st);
	conflict_forget(m->id);
}

static void
mreq_free(struct mreq *m)
{
	if (m == NULL)
		return;
	if (m->job != NULL) {
		job_cancel(m->job);
		free(m->job);
	}
	json_decref(m->rq.scope);
	json_decref(m->conflict_scope);
	free(m);
}

/* Do a and b overlap (§4.4.1.3: common address, prefix, FQDN, URI, alias)? */
static int
scope_overlap(const struct mreq *a, const struct mreq *b, json_t *cs)
{
	static const char *const names[] = {
		"target-fqdn", "target-uri", "alias-name"
	};
	struct mitigation ma, mb;
	const struct mit_prefix *inner;
	const json_t	*la, *lb, *x, *y;
	json_t		*arr = NULL;
	char		 buf[64];
	size_t		 i, j, k;
	int		 found = 0;

	build_mitigation(a, &ma);
	build_mitigation(b, &mb);
	for (i = 0; i < ma.ntargets; i++)
		for (j = 0; j < mb.ntargets; j++) {
			if (!prefix_overlap(&ma.targets[i], &mb.targets[j],
			    &inner))
				continue;
			found = 1;
			if (cs == NULL)
				return 1;
			if (arr == NULL)
				arr = json_array();
			prefix_format(inner, buf, sizeof(buf));
			json_array_append_new(arr, json_string(buf));
		}
	if (arr != NULL)
		json_object_set_new(cs, "target-prefix", arr);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		la = json_object_get(a->rq.scope, names[k]);
		lb = json_object_get(b->rq.scope, names[k]);
		arr = NULL;
		json_array_foreach(la, i, x)
			json_array_foreach(lb, j, y) {
				if (!json_equal(x, y))
					continue;
				found = 1;
				if (cs == NULL)
					return 1;
				if (arr == NULL)
					arr = json_array();
				json_array_append_new(arr, json_deep_copy(x));
			}
		if (arr != NULL)
			json_object_set_new(cs, names[k], arr);
	}
	return found;
}

/* conflict-scope for a vs b, with b's mid (§4.4.1.3). */
static json_t *
conflict_scope(const struct mreq *a, const struct mreq *b)
{
	json_t	*cs = json_object();

	if (cs == NULL)
		return NULL;
	scope_overlap(a, b, cs);
	json_object_set_new(cs, "mid", json_integer(b->mid));
	return cs;
}

static json_t *
conflict_info(uint8_t cstatus, uint32_t retry, json_t *cs)
{
	json_t	*ci = json_object();

	if (ci == NULL)
		return NULL;
	if (cstatus)
		json_object_set_new(ci, "conflict-status",
		    json_string(cstatus_name[cstatus]));
	json_object_set_new(ci, "conflict-cause",
	    json_string("overlapping-targets"));
	if (retry)
		json_object_set_new(ci, "retry-timer", json_integer(retry));
	if (cs != NULL)
		json_object_set(ci, "conflict-scope", cs);
	return ci;
}

static void
conflict_add(struct mreq *m, uint64_t other)
{
	int	i;

	for (i = 0; i < m->nconflict; i++)
		if (m->conflict_with[i] == other)
			return;
	if (m->nconflict < MAX_CONFLICT)
		m->conflict_with[m->nconflict++] = other;
}

/* ------------------------------------------------------------------ */
/* cuid ownership (§4.4.1.1)                                          */
/* ------------------------------------------------------------------ */

static struct cuidown *
cuid_find(const char *cuid)
{
	struct cuidown	*o;

	TAILQ_FOREACH(o, &cuids, entry)
		if (strcmp(o->cuid, cuid) == 0)
			return o;
	return NULL;
}

static int
cuid_has_state(const char *client, const char *cuid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mreqs, entry)
		if (!m->purge && strcmp(m->client->name, client) == 0 &&
		    strcmp(m->cuid, cuid) == 0)
			return 1;
	return 0;
}

/*
 * May c use cuid? A cuid belongs to the first client that used it while
 * that client has requests under it, and CUID_HOLD s after. 0 or -EEXIST.
 */
static int
cuid_check(const struct client_conf *c, const char *cuid, time_t now)
{
	struct cuidown	*o = cuid_find(cuid);

	if (o == NULL || strcmp(o->client, c->name) == 0)
		return 0;
	if (cuid_has_state(o->client, cuid) || now - o->last_used < CUID_HOLD)
		return -EEXIST;
	return 0;
}

/* Binds cuid to c (durably) before a request under it is acknowledged. */
static int
cuid_bind(const struct client_conf *c, const char *cuid, time_t now)
{
	struct cuidown	*o = cuid_find(cuid);
	int		 rc;

	if (o != NULL && strcmp(o->client, c->name) == 0 &&
	    now - o->last_used < 60)
		return 0;	/* fresh enough: spare an fsync */
	if ((rc = store_cuid_put(cuid, c->name, now)) < 0)
		return rc;
	if (o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL)
			return -ENOMEM;
		snprintf(o->cuid, sizeof(o->cuid), "%s", cuid);
		TAILQ_INSERT_TAIL(&cuids, o, entry);
	}
	snprintf(o->client, sizeof(o->client), "%s", c->name);
	o->last_used = now;
	return 0;
}

/* ------------------------------------------------------------------ */
/* PUT                                                                */
/* ------------------------------------------------------------------ */

static void
reply_created(struct dots_reply *r, int code, const struct mreq *m,
    json_t *ci)
{
	json_t	*e;

	e = json_pack("{s:I, s:I}", "mid", (json_int_t)m->mid, "lifetime",
	    (json_int_t)m->lifetime);
	if (e != NULL && ci != NULL)
		json_object_set_new(e, "conflict-information", ci);
	else
		json_decref(ci);
	r->code = code;
	r->body = e ? wrap_scope(json_pack("[o]", e)) : NULL;
	if (r->body == NULL)
		reply_err(r, 503, "out of memory");
}

/* Authorizes every explicit and resolved target of c. 0 or -EPERM. */
static int
authorize(const struct client_conf *c, const struct mit_prefix *p, int n,
    char *why, size_t whylen)
{
	char	buf[64], reason[160];
	int	i;

	for (i = 0; i < n; i++) {
		reason[0] = '\0';
		if (authz_prefix(c, &p[i], reason, sizeof(reason)) == 0)
			continue;
		prefix_format(&p[i], buf, sizeof(buf));
		snprintf(why, whylen, "target %s refused: %s", buf,
		    reason[0] ? reason : "outside the client's domain");
		return -EPERM;
	}
	return 0;
}

static void
res_cb(void *arg, int err, const struct mit_prefix *addrs, int n,
    uint32_t ttl)
{
	struct ressub	*sub = arg;
	struct resjob	*job = sub->job;
	int		 i;

	sub->done = 1;
	if (err < 0 && job->err == 0) {
		job->err = err;
		snprintf(job->failed, sizeof(job->failed), "%s", sub->name);
	} else if (err == 0 && n == 0 && job->err == 0) {
		job->err = -ENODATA;
		snprintf(job->failed, sizeof(job->failed), "%s", sub->name);
	}
	for (i = 0; err == 0 && i < n; i++)
		if (prefix_add(job->addr, &job->naddr, MIT_MAX_TARGETS,
		    &addrs[i]) < 0)
			job->overflow = 1;
	if (err == 0 && (job->ttl == 0 || ttl < job->ttl))
		job->ttl = ttl;
	if (--job->outstanding == 0 && !job->starting)
		job_start(job);	/* all answered: finish */
}

static void put_resolved(struct putctx *);
static void reresolved(struct mreq *, struct resjob *);

/*
 * First call: asks for every name. Called again by res_cb when the last
 * answer is in (outstanding 0, starting 0): hands the result on.
 */
static void
job_start(struct resjob *job)
{
	struct req	*rq;
	int		 i;

	if (job->nsub == 0 && job->outstanding == 0 && !job->starting) {
		rq = job->put ? &job->put->rq : &job->m->rq;
		job->starting = 1;
		for (i = 0; i < rq->nnames && i < MAX_NAMES; i++) {
			job->sub[i].job = job;
			snprintf(job->sub[i].name, NAME_LEN, "%s",
			    rq->names[i]);
			job->nsub++;
			job->outstanding++;
			if (resolve_start(rq->names[i], res_cb,
			    &job->sub[i]) < 0) {
				job->sub[i].done = 1;
				job->outstanding--;
				if (job->err == 0) {
					job->err = -EAGAIN;
					snprintf(job->failed,
					    sizeof(job->failed), "%s",
					    rq->names[i]);
				}
			}
		}
		job->starting = 0;
		if (job->outstanding > 0)
			return;
	}
	if (job->put != NULL)
		put_resolved(job->put);
	else
		reresolved(job->m, job);
}

static void
put_resolved(struct putctx *ctx)
{
	struct dots_reply r;

	reply_init(&r);
	if (ctx->job.err < 0)
		reply_err(&r, 400, "target name %s: %s", ctx->job.failed,
		    ctx->job.err == -ENODATA ? "no address" :
		    strerror(-ctx->job.err));
	else if (ctx->job.overflow)
		reply_err(&r, 400, "too many targets (at most %d)",
		    MIT_MAX_TARGETS);
	else
		put_decide(&ctx->peer, &ctx->uri, &ctx->rq, ctx->efficacy,
		    &ctx->job, &r);
	if (!r.drop && r.code >= 400)
		log_debug("mitigation PUT from %s (async): %d %s",
		    ctx->peer.client->name, r.code, r.diag);
	TAILQ_REMOVE(&pending_puts, ctx, entry);
	signal_async_reply(ctx->peer.pending, &r);
	json_decref(ctx->rq.scope);
	free(ctx);
}

/*
 * Same scope apart from lifetime and attack-status? Lists compare as
 * sets: a client repeating its request may list targets in another order.
 */
static int
same_scope(const struct mreq *m, const struct req *rq)
{
	const char	*k;
	json_t		*a, *b, *x, *y;
	size_t		 i, j;

	if (json_object_size(m->rq.scope) != json_object_size(rq->scope))
		return 0;
	json_object_foreach(m->rq.scope, k, a) {
		if ((b = json_object_get(rq->scope, k)) == NULL)
			return 0;
		if (!json_is_array(a) || !json_is_array(b)) {
			if (!json_equal(a, b))
				return 0;
			continue;
		}
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, x) {
			json_array_foreach(b, j, y)
				if (json_equal(x, y))
					break;
			if (j == json_array_size(b))
				return 0;
		}
	}
	return 1;
}

static int
client_count(const struct client_conf *c)
{
	struct mreq	*m;
	int		 n = 0;

	TAILQ_FOREACH(m, &mreqs, entry)
		if (m->client == c && !m->purge)
			n++;
	return n;
}

/* Efficacy update or refresh of an existing request (§4.4.1.3, §4.4.3). */
static void
put_refresh(struct mreq *m, struct req *rq, int efficacy,
    const struct resjob *job, struct dots_reply *r, time_t now)
{
	struct mreq	*o;
	char		 err[160];
	int		 readdr = 0;
	uint32_t	 retry = 0;

	if (!same_scope(m, rq)) {
		reply_err(r, 400, "mid %u: a refresh must repeat the request "
		    "unchanged except lifetime", m->mid);
		return;
	}
	if (job != NULL && (job->naddr != m->naddr ||
	    memcmp(job->addr, m->addr, sizeof(m->addr[0]) * m->naddr))) {
		m->naddr = job->naddr;
		memcpy(m->addr, job->addr, sizeof(m->addr));
		readdr = 1;
	}
	if (job != NULL)
		m->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
		    RESOLVE_MIN);
	/* A deactivated loser of a conflict: active again if it is over. */
	if (m->status == ST_WITHDRAWN && m->rq.trigger &&
	    m->conflict_status == CS_INACTIVE_OTHER_ACTIVE) {
		TAILQ_FOREACH(o, &mreqs, entry)
			if (o != m && o->in_engine && mreq_live(o) &&
			    o->client != m->client && scope_overlap(m, o,
			    NULL)) {
				int64_t	rem = remaining(o, now);

				retry = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
				break;
			}
		if (retry) {
			m->retry_timer = retry;
			set_lifetime(m, retry + RETRY_GRACE, now);
			mreq_save(m);
			reply_conflict(r, 409, conflict_info(
			    CS_INACTIVE_OTHER_ACTIVE, retry,
			    m->conflict_scope));
			return;
		}
		if (engine_hand(m, err, sizeof(err)) < 0) {
			reply_err(r, 503, "cannot mitigate: %s", err);
			r->max_age = BUSY_RETRY;
			return;
		}
		m->conflict_status = CS_NONE;
		json_decref(m->conflict_scope);
		m->conflict_scope = NULL;
		m->nconflict = 0;
		m->started = now;
		m->status = ST_IN_PROGRESS;
		mark_changed(m);
		readdr = 0;
	}
	if (rq->has_lifetime)
		set_lifetime(m, lifetime_grant(m->client, rq->lifetime), now);
	else
		set_lifetime(m, m->lifetime, now);
	if (efficacy && rq->attack_status == ATTACK_UNDER) {
		m->last_activity = now;
		if (m->status == ST_STOPPED)
			set_status(m, ST_MITIGATED);
	}
	if (readdr && m->in_engine &&
	    engine_hand(m, err, sizeof(err)) < 0)
		log_warnx("mitigation %s/%u: re-apply: %s", m->client->name,
		    m->mid, err);
	if (mreq_save(m) < 0) {
		reply_err(r, 503, "cannot store the refresh");
		r->max_age = BUSY_RETRY;
		return;
	}
	/* §4.4.3: cannot mitigate -> 5.03 with Max-Age */
	if (efficacy && m->status == ST_EXCEEDED &&
	    rq->attack_status == ATTACK_UNDER) {
		reply_err(r, 503, "attack exceeds capability: %s",
		    m->have_last && m->last.reason[0] ? m->last.reason :
		    "backend limit");
		r->max_age = BUSY_RETRY;
		return;
	}
	reply_created(r, 204, m, NULL);
}

/*
 * Everything after resolution: resolved addresses authorized, then refresh
 * or new request with the mid and conflict rules (§4.4.1.3).
 */
static void
put_decide(const struct dots_peer *peer, const struct dots_uri *uri,
    struct req *rq, int efficacy, const struct resjob *job,
    struct dots_reply *r)
{
	const struct client_conf *c = peer->client;
	struct mreq	*m, *o, *nm = NULL;
	struct mreq	*replace[64];
	struct mreq	*others[MAX_CONFLICT];
	json_t		*ci = NULL, *cs;
	time_t		 now = clock_now();
	int64_t		 rem;
	uint32_t	 abt = 0, retry = 0;
	char		 why[200];
	int		 nreplace = 0, nothers = 0, i, rc;

	if (job != NULL && authorize(c, job->addr, job->naddr, why,
	    sizeof(why)) < 0) {
		reply_err(r, 400, "%s", why);
		return;
	}
	if (cuid_check(c, uri->cuid, now) < 0) {
		reply_conflict(r, 409, json_pack("{s:s}", "conflict-cause",
		    "cuid-collision"));
		return;
	}
	m = mreq_find(c, uri->cuid, uri->mid);
	if (efficacy) {
		/* §4.4.3: no match (or withdrawn by the client): ignore */
		if (m == NULL || m->status == ST_TERMINATING ||
		    m->status == ST_TERMINATED) {
			r->drop = 1;
			return;
		}
		put_refresh(m, rq, efficacy, job, r, now);
		return;
	}
	if (m != NULL && m->status != ST_TERMINATING) {
		put_refresh(m, rq, 0, job, r, now);
		return;
	}

	/* A new request (or one the client withdrew and asks for again). */
	nm = calloc(1, sizeof(*nm));
	if (nm == NULL) {
		reply_err(r, 503, "out of memory");
		return;
	}
	nm->client = c;
	snprintf(nm->cuid, sizeof(nm->cuid), "%s", uri->cuid);
	if (c->gateway)
		snprintf(nm->cdid, sizeof(nm->cdid), "%s", uri->cdid);
	nm->mid = uri->mid;
	nm->rq = *rq;
	rq->scope = NULL;	/* moved */
	if (job != NULL) {
		nm->naddr = job->naddr;
		memcpy(nm->addr, job->addr, sizeof(nm->addr));
		nm->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
		    RESOLVE_MIN);
	}
	if (mreq_targets(nm) == 0 && nm->rq.nnames == 0 &&
	    nm->rq.nprefix == 0) {
		reply_err(r, 400, "no target address");
		goto fail;
	}

	/* §4.4.1.3 mid rules among this client's requests under this cuid */
	TAILQ_FOREACH(o, &mreqs, entry) {
		if (o->purge || o->client != c || strcmp(o->cuid, nm->cuid))
			continue;
		if (o == m) {
			/* withdrawn, asked again: §4.4.4 doubles the abt */
			replace[nreplace++] = o;
			continue;
		}
		if (!scope_overlap(nm, o, NULL))
			continue;
		if (o->status == ST_TERMINATING) {
			if (nreplace < 64)
				replace[nreplace++] = o;
			continue;
		}
		if (o->rq.trigger != nm->rq.trigger) {
			/* the immediate one wins; a preconfigured one that
			 * is active is withdrawn (7, then 8) */
			continue;
		}
		if (mid_newer(o->mid, nm->mid)) {
			cs = conflict_scope(nm, o);
			reply_conflict(r, 409, conflict_info(CS_NONE, 0, cs));
			json_decref(cs);
			goto fail;
		}
		if (nreplace < 64)
			replace[nreplace++] = o;
	}
	for (i = 0; i < nreplace; i++)
		if (replace[i]->status == ST_TERMINATING ||
		    replace[i] == m) {
			uint32_t	a = replace[i]->abt ? replace[i]->abt :
			    abt_period();

			a = a * 2 > ABT_MAX ? ABT_MAX : a * 2;
			if (a > abt)
				abt = a;
		}
	nm->abt = abt ? abt : abt_period();

	if (c->max_mitigations &&
	    client_count(c) - nreplace + 1 > (int)c->max_mitigations) {
		reply_err(r, 503, "client limit of %u mitigations reached",
		    c->max_mitigations);
		r->max_age = BUSY_RETRY;
		goto fail;
	}

	/* Other clients (and other cuids of this client): policy decides. */
	if (nm->rq.trigger) {
		TAILQ_FOREACH(o, &mreqs, entry) {
			if (!o->in_engine || !mreq_live(o) ||
			    (o->client == c && strcmp(o->cuid, nm->cuid) == 0))
				continue;
			if (o->status == ST_TERMINATING ||
			    !scope_overlap(nm, o, NULL))
				continue;
			if (nothers < MAX_CONFLICT)
				others[nothers++] = o;
		}
	}
	if (nothers > 0 && conflict_policy == CP_FIRST_WINS) {
		rem = remaining(others[0], now);
		retry = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
		cs = conflict_scope(nm, others[0]);
		reply_conflict(r, 409, conflict_info(CS_INACTIVE_OTHER_ACTIVE,
		    retry, cs));
		json_decref(cs);
		log_info("mitigation %s/%u refused: overlaps %s/%u",
		    c->name, nm->mid, others[0]->client->name,
		    others[0]->mid);
		goto fail;
	}

	nm->id = store_next_id();
	set_lifetime(nm, lifetime_grant(c, nm->rq.lifetime), now);
	nm->status = nm->rq.trigger ? ST_IN_PROGRESS : ST_SIGNAL_LOSS;
	if (nm->rq.trigger)
		nm->started = now;
	nm->last_activity = now;
	if (nothers > 0) {
		nm->conflict_status = CS_ACTIVE;
		nm->conflict_scope = conflict_scope(nm, others[0]);
		for (i = 0; i < nothers; i++)
			conflict_add(nm, others[i]->id);
	}

	/* Enforce first, then make it durable, then acknowledge. */
	if (nm->rq.trigger && (rc = engine_hand(nm, why, sizeof(why))) < 0) {
		reply_err(r, 503, "cannot mitigate: %s", why);
		r->max_age = BUSY_RETRY;
		goto fail;
	}
	if ((rc = cuid_bind(c, nm->cuid, now)) < 0 ||
	    (rc = store_begin()) < 0)
		goto store_fail;
	if ((rc = mreq_save(nm)) < 0) {
		store_rollback();
		goto store_fail;
	}
	for (i = 0; i < nreplace; i++)
		if ((rc = store_mit_del(replace[i]->id)) < 0) {
			store_rollback();
			goto store_fail;
		}
	if ((rc = store_commit()) < 0)
		goto store_fail;

	TAILQ_INSERT_TAIL(&mreqs, nm, entry);
	log_info("mitigation %s/%s/%u: accepted, lifetime %lld%s",
	    c->name, nm->cuid, nm->mid, (long long)nm->lifetime,
	    nm->rq.trigger ? "" : ", preconfigured");

	/* Lower mids (and withdrawn ones) are gone: §4.4.1.3 */
	for (i = 0; i < nreplace; i++) {
		o = replace[i];
		engine_take(o);
		o->purge = 1;
		conflict_forget(o->id);
		mark_changed(o);
		log_info("mitigation %s/%s/%u: replaced by mid %u",
		    c->name, o->cuid, o->mid, nm->mid);
	}
	/* An immediate request withdraws overlapping active preconfigured */
	if (nm->rq.trigger)
		TAILQ_FOREACH(o, &mreqs, entry)
			if (o->client == c && !o->purge && !o->rq.trigger &&
			    o->activated && o->in_engine &&
			    scope_overlap(nm, o, NULL)) {
				engine_take(o);
				o->activated = 0;
				set_status(o, ST_WITHDRAWN);
			}
	for (i = 0; i < nothers; i++) {
		o = others[i];
		if (conflict_policy == CP_NEWEST_WINS) {
			rem = remaining(nm, now);
			o->retry_timer = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
			engine_take(o);
			o->conflict_status = CS_INACTIVE_OTHER_ACTIVE;
			set_lifetime(o, o->retry_timer + RETRY_GRACE, now);
		} else {
			o->conflict_status = CS_ACTIVE;
		}
		json_decref(o->conflict_scope);
		o->conflict_scope = conflict_scope(o, nm);
		conflict_add(o, nm->id);
		if (conflict_policy == CP_NEWEST_WINS)
			set_status(o, ST_WITHDRAWN);
		else
			mreq_save(o);
		mark_changed(o);
		log_info("mitigation %s/%u overlaps %s/%u (%s)",
		    c->name, nm->mid, o->client->name, o->mid,
		    conflict_policy == CP_NEWEST_WINS ? "older withdrawn" :
		    "both active");
	}
	if (nm->conflict_status)
		ci = conflict_info(nm->conflict_status, 0, nm->conflict_scope);
	mark_changed(nm);
	reply_created(r, 201, nm, ci);
	/* replaced requests vanish at once (no status 6, §4.4.1.3) */
	for (i = 0; i < nreplace; i++) {
		TAILQ_REMOVE(&mreqs, replace[i], entry);
		mreq_free(replace[i]);
	}
	return;
 store_fail:
	if (nm->in_engine)
		engine_withdraw(nm->id);
	reply_err(r, 503, "cannot store the request: %s", strerror(-rc));
	r->max_age = BUSY_RETRY;
 fail:
	mreq_free(nm);
}

/*
 * PUT .../mitigate/[cdid=]/cuid=/mid= (RFC 9132 §4.4.1), or an efficacy
 * update (§4.4.3) when efficacy (empty If-Match) is set. Fills r; sets
 * r->async when the answer needs name resolution first.
 */
void
mitreq_put(const struct dots_peer *peer, const struct dots_uri *uri,
    const json_t *body, int efficacy, struct dots_reply *r)
{
	const struct client_conf *c = peer->client;
	const json_t	*aliases, *a;
	struct putctx	*ctx;
	struct req	 rq;
	char		 why[200];
	size_t		 i;
	int		 code;

	reply_init(r);
	if (uri->cuid[0] == '\0' || !uri->has_mid) {
		reply_err(r, 400, "cuid and mid are mandatory Uri-Path "
		    "parameters");
		return;
	}
	if ((code = req_parse(body, efficacy, &rq, why, sizeof(why))) != 0) {
		reply_err(r, code, "%s", why);
		log_debug("mitigation PUT from %s: %s", c->name, why);
		return;
	}
	/* §4.4.1.1: a cuid in use by another client -> 4.09 */
	if (cuid_check(c, uri->cuid, clock_now()) < 0) {
		reply_conflict(r, 409, json_pack("{s:s}", "conflict-cause",
		    "cuid-collision"));
		log_info("mitigation PUT from %s: cuid %s belongs to another "
		    "client", c->name, uri->cuid);
		goto out;
	}
	if (authorize(c, rq.prefix, rq.nprefix, why, sizeof(why)) < 0) {
		reply_err(r, 400, "%s", why);
		log_warnx("mitigation PUT from %s mid %u: %s", c->name,
		    uri->mid, why);
		goto out;
	}
	/* §4.4.1.3: aliases must be this client's (data channel) */
	aliases = json_object_get(rq.scope, "alias-name");
	json_array_foreach(aliases, i, a)
		if (alias_lookup(c, uri->cuid, json_string_value(a), &rq) < 0) {
			reply_err(r, 400, "unknown alias \"%s\"",
			    json_string_value(a));
			goto out;
		}
	if (rq.nnames == 0) {
		put_decide(peer, uri, &rq, efficacy, NULL, r);
		goto out;
	}
	if (peer->pending == NULL || (ctx = calloc(1, sizeof(*ctx))) == NULL) {
		reply_err(r, 503, "cannot resolve names now");
		r->max_age = BUSY_RETRY;
		goto out;
	}
	ctx->peer = *peer;
	ctx->uri = *uri;
	ctx->efficacy = efficacy;
	ctx->rq = rq;
	ctx->job.put = ctx;
	r->async = 1;
	TAILQ_INSERT_TAIL(&pending_puts, ctx, entry);
	job_start(&ctx->job);	/* may answer at once */
	return;
 out:
	json_decref(rq.scope);
}

/* ------------------------------------------------------------------ */
/* GET, DELETE                                                        */
/* ------------------------------------------------------------------ */

static json_t *
u64_string(uint64_t v)
{
	return json_sprintf("%" PRIu64, v);
}

/* One scope entry of a GET or notification (RFC 9132 §4.4.2, Fig. 14). */
static json_t *
mreq_wire(struct mreq *m, time_t now)
{
	static const char *const order[] = {
		"target-prefix", "target-port-range", "target-protocol",
		"target-fqdn", "target-uri", "alias-name",
		"trigger-mitigation", ACL_KEY,
	};
	struct mit_status st;
	const struct mit_status *sp = NULL;
	json_t		*e, *v;
	size_t		 i;

	if ((e = json_object()) == NULL)
		return NULL;
	json_object_set_new(e, "mid", json_integer(m->mid));
	if (m->started && m->status != ST_SIGNAL_LOSS)
		json_object_set_new(e, "mitigation-start",
		    u64_string((uint64_t)m->started));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((v = json_object_get(m->rq.scope, order[i])) != NULL)
			json_object_set(e, order[i], v);
	json_object_set_new(e, "lifetime", json_integer(remaining(m, now)));
	json_object_set_new(e, "status", json_string(status_name[m->status <
	    ST_MAX ? m->status : 0]));
	if (m->conflict_status)
		json_object_set_new(e, "conflict-information", conflict_info(
		    m->conflict_status, m->conflict_status ==
		    CS_INACTIVE_OTHER_ACTIVE ? m->retry_timer : 0,
		    m->conflict_scope));
	/* Counters come from the backends, never invented. */
	if (m->in_engine && engine_status(m->id, &st) == 0) {
		m->last = st;
		m->have_last = 1;
		sp = &st;
	} else if (m->have_last && m->started)
		sp = &m->last;
	if (sp != NULL && !sp->upstream_only) {
		json_object_set_new(e, "bytes-dropped",
		    u64_string(sp->bytes_dropped));
		json_object_set_new(e, "bps-dropped",
		    u64_string(sp->bps_dropped));
		json_object_set_new(e, "pkts-dropped",
		    u64_string(sp->pkts_dropped));
		json_object_set_new(e, "pps-dropped",
		    u64_string(sp->pps_dropped));
	}
	return e;
}

/*
 * GET .../mitigate/cuid=[/mid=] (§4.4.2): one or all of (client, cuid).
 * 4.04 if there is none. Also what signal.c sends as a notification.
 */
void
mitreq_get(const struct dots_peer *peer, const struct dots_uri *uri,
    struct dots_reply *r)
{
	struct mreq	*m;
	json_t		*list;
	time_t		 now = clock_now();

	reply_init(r);
	if (uri->cuid[0] == '\0') {
		reply_err(r, 400, "cuid is a mandatory Uri-Path parameter");
		return;
	}
	if ((list = json_array()) == NULL) {
		reply_err(r, 503, "out of memory");
		return;
	}
	TAILQ_FOREACH(m, &mreqs, entry) {
		/* purged entries still show their last status (6, 7) */
		if (m->client != peer->client || strcmp(m->cuid, uri->cuid))
			continue;
		if (m->purge && m->status != ST_TERMINATED &&
		    m->status != ST_WITHDRAWN)
			continue;
		if (uri->has_mid && m->mid != uri->mid)
			continue;
		json_array_append_new(list, mreq_wire(m, now));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		if (uri->has_mid)
			reply_err(r, 404, "no mitigation with mid %u",
			    uri->mid);
		else
			reply_err(r, 404, "no mitigation for this cuid");
		return;
	}
	r->code = 205;
	r->body = wrap_scope(list);
}

/*
 * DELETE .../mitigate/cuid=/mid= (§4.4.4): 2.02 even for an unknown mid;
 * a live mitigation keeps enforcing for the active-but-terminating period.
 */
void
mitreq_delete(const struct dots_peer *peer, const struct dots_uri *uri,
    struct dots_reply *r)
{
	struct mreq	*m;
	time_t		 now = clock_now();

	reply_init(r);
	if (uri->cuid[0] == '\0' || !uri->has_mid) {
		reply_err(r, 400, "cuid and mid are mandatory Uri-Path "
		    "parameters");
		return;
	}
	r->code = 202;
	if ((m = mreq_find(peer->client, uri->cuid, uri->mid)) == NULL ||
	    m->status == ST_TERMINATING)
		return;
	if (!m->in_engine) {
		/* nothing enforced (8, 7): no abt (§4.4.4) */
		mreq_end(m, ST_TERMINATED);
		return;
	}
	if (m->abt == 0)
		m->abt = abt_period();
	m->terminating_until = now + m->abt;
	set_status(m, ST_TERMINATING);	/* stored there */
}

/* ------------------------------------------------------------------ */
/* tick: lifetimes, abt, engine status, re-resolution, notifications   */
/* ------------------------------------------------------------------ */

static void
reresolved(struct mreq *m, struct resjob *job)
{
	time_t		 now = clock_now();
	char		 why[200];
	int		 i, n = 0;
	struct mit_prefix ok[MIT_MAX_TARGETS];
	char		 err[160];

	m->job = NULL;
	if (job->err < 0 || job->naddr == 0) {
		log_warnx("mitigation %s/%u: re-resolving %s: %s",
		    m->client->name, m->mid, job->failed,
		    job->err ? strerror(-job->err) : "no address");
		m->resolve_at = now + RESOLVE_RETRY;
		free(job);
		return;
	}
	/* §4.4.1.1: resolved addresses get the target-prefix checks again */
	for (i = 0; i < job->naddr; i++) {
		if (authorize(m->client, &job->addr[i], 1, why,
		    sizeof(why)) < 0) {
			log_warnx("mitigation %s/%u: %s", m->client->name,
			    m->mid, why);
			continue;
		}
		ok[n++] = job->addr[i];
	}
	m->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
	    RESOLVE_MIN);
	if (n > 0 && (n != m->naddr ||
	    memcmp(ok, m->addr, sizeof(ok[0]) * (size_t)n) != 0)) {
		m->naddr = (uint8_t)n;
		memcpy(m->addr, ok, sizeof(ok[0]) * (size_t)n);
		if ((m->in_engine || m->enforce_pending) &&
		    engine_hand(m, err, sizeof(err)) < 0)
			log_warnx("mitigation %s/%u: re-apply: %s",
			    m->client->name, m->mid, err);
		else {
			m->enforce_pending = 0;
			log_info("mitigation %s/%u: targets re-resolved",
			    m->client->name, m->mid);
		}
	}
	free(job);
}

/* Engine state -> RFC 9132 status for a live, enforced request. */
static void
status_refresh(struct mreq *m, time_t now)
{
	struct mit_status st;
	uint8_t		 next = m->status;

	if (!m->in_engine || m->status == ST_TERMINATING ||
	    engine_status(m->id, &st) < 0)
		return;
	m->last = st;
	m->have_last = 1;
	if (st.pkts_dropped != m->drops_seen) {
		m->drops_seen = st.pkts_dropped;
		m->last_activity = now;
	}
	switch (st.state) {
	case MIT_ST_PENDING:
		next = ST_IN_PROGRESS;
		break;
	case MIT_ST_ACTIVE:
		next = ST_MITIGATED;
		/* quiet for a while where we can see drops: stopped */
		if (!st.upstream_only &&
		    now - m->last_activity >= QUIET_STOPPED)
			next = ST_STOPPED;
		break;
	case MIT_ST_EXCEEDED:
	case MIT_ST_FAILED:
		next = ST_EXCEEDED;
		break;
	}
	/* a preconfigured one back at 8 after its 3s stays there */
	if (next != m->status)
		set_status(m, next);
}

static void
after_notify(struct mreq *m)
{
	if (m->notify_left == 0 || --m->notify_left > 0)
		return;
	if ((m->status == ST_STOPPED || m->status == ST_WITHDRAWN) &&
	    !m->rq.trigger) {
		/* Table 3: preconfigured, sent four times, then 8 */
		engine_take(m);
		m->activated = 0;
		m->started = 0;
		set_status(m, ST_SIGNAL_LOSS);
	}
}

static void
notify_flush(time_t now)
{
	struct notif	*n, *nn;
	struct mreq	*m, *next;
	int		 periodic;

	for (n = TAILQ_FIRST(&notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		periodic = 0;
		TAILQ_FOREACH(m, &mreqs, entry)
			if (m->client == n->client &&
			    strcmp(m->cuid, n->cuid) == 0 &&
			    (m->in_engine || m->notify_left))
				periodic = 1;
		if (now - n->last_sent < NOTIFY_MIN)
			continue;
		if (!n->dirty && !(periodic &&
		    now - n->last_sent >= NOTIFY_PERIOD))
			continue;
		n->dirty = 0;
		n->last_sent = now;
		signal_notify(n->client, n->cuid);
		for (m = TAILQ_FIRST(&mreqs); m != NULL; m = next) {
			next = TAILQ_NEXT(m, entry);
			if (m->client != n->client || strcmp(m->cuid, n->cuid))
				continue;
			if (m->purge) {
				TAILQ_REMOVE(&mreqs, m, entry);
				mreq_free(m);
				continue;
			}
			after_notify(m);
		}
	}
}

static int
has_state(const struct client_conf *c, const char *cuid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mreqs, entry)
		if (m->client == c && strcmp(m->cuid, cuid) == 0)
			return 1;
	return 0;
}

/*
 * Forgets cuids and notification slots nothing refers to any more: a
 * client can make up any number of cuids over time.
 */
static void
prune(time_t now)
{
	struct cuidown	*o, *on;
	struct notif	*n, *nn;

	for (o = TAILQ_FIRST(&cuids); o != NULL; o = on) {
		on = TAILQ_NEXT(o, entry);
		if (now - o->last_used < CUID_HOLD ||
		    cuid_has_state(o->client, o->cuid))
			continue;
		if (store_cuid_del(o->cuid) < 0)
			continue;
		TAILQ_REMOVE(&cuids, o, entry);
		free(o);
	}
	for (n = TAILQ_FIRST(&notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		if (n->dirty || now - n->last_sent < NOTIFY_PERIOD ||
		    has_state(n->client, n->cuid))
			continue;
		TAILQ_REMOVE(&notifs, n, entry);
		free(n);
	}
}

/* About once a second: lifetimes, abt, statuses, names, notifications. */
void
mitreq_tick(time_t now)
{
	struct mreq	*m;
	int		 txn;

	now_s = now;
	/* what a tick changes (expiries, abt ends) costs one fsync */
	txn = store_begin() == 0;
	TAILQ_FOREACH(m, &mreqs, entry) {
		if (m->purge)
			continue;
		if (m->expires && now >= m->expires) {
			log_info("mitigation %s/%s/%u: lifetime expired",
			    m->client->name, m->cuid, m->mid);
			mreq_end(m, ST_TERMINATED);
			continue;
		}
		if (m->status == ST_TERMINATING &&
		    now >= m->terminating_until) {
			mreq_end(m, ST_TERMINATED);
			continue;
		}
		status_refresh(m, now);
		if (m->resolve_at && now >= m->resolve_at && m->job == NULL &&
		    m->rq.nnames > 0 && (m->in_engine || m->enforce_pending)) {
			if ((m->job = calloc(1, sizeof(*m->job))) == NULL)
				continue;
			m->job->m = m;
			m->resolve_at = 0;
			job_start(m->job);
		}
	}
	if (txn && store_commit() < 0)
		log_warnx("mitigation state: store commit failed");
	notify_flush(now);
	if (now - last_prune >= 60) {
		last_prune = now;
		prune(now);
	}
}

int
mitreq_active(const struct client_conf *c)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mreqs, entry)
		if (m->client == c && m->in_engine && mreq_live(m))
			return 1;
	return 0;
}

/*
 * §4.4.1.3, §4.7: a lost session activates the client's preconfigured
 * requests, and its immediate requests that overlap them are withdrawn.
 */
void
mitreq_signal_lost(const struct client_conf *c)
{
	struct mreq	*m, *o;
	char		 err[160];
	time_t		 now = clock_now();

	TAILQ_FOREACH(m, &mreqs, entry) {
		if (m->client != c || m->purge || m->rq.trigger ||
		    m->status != ST_SIGNAL_LOSS)
			continue;
		if (engine_hand(m, err, sizeof(err)) < 0) {
			log_warnx("mitigation %s/%u: activation on signal "
			    "loss failed: %s", c->name, m->mid, err);
			continue;
		}
		m->activated = 1;
		m->started = now;
		m->last_activity = now;
		m->notify_left = 0;
		set_status(m, ST_IN_PROGRESS);
		TAILQ_FOREACH(o, &mreqs, entry)
			if (o->client == c && !o->purge && o->rq.trigger &&
			    o->in_engine && o->status != ST_TERMINATING &&
			    scope_overlap(m, o, NULL)) {
				log_info("mitigation %s/%u: withdrawn, "
				    "preconfigured mid %u takes over",
				    c->name, o->mid, m->mid);
				mreq_end(o, ST_WITHDRAWN);
			}
	}
}

/* §4.4.4: recovery is no reason to stop anything. */
void
mitreq_signal_restored(const struct client_conf *c)
{
	struct notif	*n;

	/* the client wants to see where things stand at once */
	TAILQ_FOREACH(n, &notifs, entry)
		if (n->client == c)
			n->dirty = 1;
}

/* ------------------------------------------------------------------ */
/* start, operator                                                    */
/* ------------------------------------------------------------------ */

static int
load_cuid(const char *cuid, const char *client, time_t last_used, void *arg)
{
	struct cuidown	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return -ENOMEM;
	snprintf(o->cuid, sizeof(o->cuid), "%s", cuid);
	snprintf(o->client, sizeof(o->client), "%s", client);
	o->last_used = last_used;
	TAILQ_INSERT_TAIL(&cuids, o, entry);
	return 0;
}

static int
load_one(const struct store_mit *sm, void *arg)
{
	time_t		 now = *(time_t *)arg;
	const struct client_conf *c;
	struct mreq	*m;
	json_t		*scope, *body, *x;
	json_error_t	 jerr;
	char		 why[200], err[160];
	int		 code;

	c = conf ? authz_by_name(conf, sm->client) : NULL;
	if (c == NULL || (sm->expires && now >= sm->expires) ||
	    sm->status == ST_TERMINATED ||
	    (sm->status == ST_TERMINATING && now >= sm->terminating_until)) {
		log_info("mitigation %s/%s/%u: %s, removed", sm->client,
		    sm->cuid, sm->mid, c == NULL ? "client no longer "
		    "configured" : "ended while down");
		store_mit_del(sm->id);
		return 0;
	}
	if ((scope = json_loads(sm->scope_json, 0, &jerr)) == NULL)
		goto bad;
	/* the same checks as a PUT, so a config change applies */
	json_object_set_new(scope, "lifetime", json_integer(sm->lifetime));
	body = json_pack("{s:{s:[o]}}", MS_KEY, "scope", scope);
	if (body == NULL || (m = calloc(1, sizeof(*m))) == NULL) {
		json_decref(body);
		return -ENOMEM;
	}
	code = req_parse(body, 0, &m->rq, why, sizeof(why));
	json_decref(body);
	if (code != 0 || authorize(c, m->rq.prefix, m->rq.nprefix, why,
	    sizeof(why)) < 0) {
		mreq_free(m);
		log_warnx("mitigation %s/%s/%u: %s, removed", sm->client,
		    sm->cuid, sm->mid, why);
		store_mit_del(sm->id);
		return 0;
	}
	json_object_del(m->rq.scope, "lifetime");
	m->id = sm->id;
	m->client = c;
	snprintf(m->cuid, sizeof(m->cuid), "%s", sm->cuid);
	snprintf(m->cdid, sizeof(m->cdid), "%s", sm->cdid);
	m->mid = sm->mid;
	m->lifetime = sm->lifetime;
	m->expires = sm->expires;
	m->started = sm->started;
	m->terminating_until = sm->terminating_until;
	m->status = sm->status;
	m->last_activity = now;
	if (sm->extra_json && (x = json_loads(sm->extra_json, 0, &jerr))) {
		m->abt = (uint32_t)json_integer_value(json_object_get(x,
		    "abt"));
		m->activated = json_is_true(json_object_get(x, "activated"));
		m->notify_left = (uint8_t)json_integer_value(json_object_get(x,
		    "notify_left"));
		m->conflict_status = (uint8_t)json_integer_value(
		    json_object_get(x, "cstatus"));
		m->retry_timer = (uint32_t)json_integer_value(
		    json_object_get(x, "retry"));
		if ((m->conflict_scope = json_object_get(x, "cscope")))
			json_incref(m->conflict_scope);
		json_decref(x);
	}
	if (m->rq.nnames > 0)
		m->resolve_at = now;	/* names: resolve again first */
	TAILQ_INSERT_TAIL(&mreqs, m, entry);

	/* Enforced before the restart: enforce again. */
	if (m->status == ST_SIGNAL_LOSS ||
	    (m->status == ST_WITHDRAWN && (!m->rq.trigger ||
	    m->conflict_status == CS_INACTIVE_OTHER_ACTIVE))) {
		if (!m->rq.trigger && m->status == ST_WITHDRAWN)
			m->status = ST_SIGNAL_LOSS;
		return 0;
	}
	if (mreq_targets(m) == 0 && m->rq.nnames > 0) {
		/* only names: applied once they are resolved (tick) */
		m->status = ST_IN_PROGRESS;
		m->enforce_pending = 1;
		m->resolve_at = now;
		return 0;
	}
	if (engine_hand(m, err, sizeof(err)) < 0) {
		log_warnx("mitigation %s/%u: re-apply after restart: %s",
		    c->name, m->mid, err);
		m->status = ST_EXCEEDED;
	}
	log_info("mitigation %s/%s/%u: restored", c->name, m->cuid, m->mid);
	return 0;
 bad:
	log_warnx("mitigation %s/%s/%u: stored scope unreadable, removed",
	    sm->client, sm->cuid, sm->mid);
	store_mit_del(sm->id);
	return 0;
}

/*
 * Reloads the store at start (the store is open): expired requests end,
 * the rest go to the engine again. Keeps conf for lifetimes and clients.
 */
int
mitreq_load(const struct dotsd_conf *c, time_t now)
{
	int	rc;

	conf = c;
	now_s = now;
	if ((rc = store_cuid_load(load_cuid, NULL)) < 0)
		return rc;
	return store_mit_load(load_one, &now);
}

/*
 * Operator configuration (dotsd.conf mitigation block, dotsctl):
 * conflict-policy both|first-wins|newest-wins. 0 or -EINVAL with err.
 */
int
mitreq_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(key, "conflict-policy") == 0) {
		if (strcmp(value, "both") == 0)
			conflict_policy = CP_BOTH;
		else if (strcmp(value, "first-wins") == 0)
			conflict_policy = CP_FIRST_WINS;
		else if (strcmp(value, "newest-wins") == 0)
			conflict_policy = CP_NEWEST_WINS;
		else {
			snprintf(err, errlen, "conflict-policy: both, "
			    "first-wins or newest-wins");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown mitigation keyword \"%s\"", key);
	return -EINVAL;
}

/* Operator withdraw (dotsctl): status 7, no abt. 0 or -ENOENT. */
int
mitreq_withdraw_admin(const char *client, uint32_t mid)
{
	struct mreq	*m;
	int		 found = 0;

	TAILQ_FOREACH(m, &mreqs, entry) {
		if (m->purge || m->mid != mid ||
		    strcmp(m->client->name, client) != 0)
			continue;
		log_info("mitigation %s/%s/%u: withdrawn by the operator",
		    client, m->cuid, mid);
		mreq_end(m, ST_WITHDRAWN);
		found = 1;
	}
	if (found)
		notify_flush(clock_now());
	return found ? 0 : -ENOENT;
}

json_t *
mitreq_dump(void)
{
	struct mreq	*m;
	json_t		*arr, *e;
	time_t		 now = clock_now();
	struct mitigation mit;
	json_t		*t;
	char		 buf[64];
	int		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(m, &mreqs, entry) {
		if (m->purge)
			continue;
		e = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I,"
		    " s:b, s:b, s:O}", "id", (json_int_t)m->id,
		    "client", m->client->name, "cuid", m->cuid,
		    "cdid", m->cdid, "mid", (json_int_t)m->mid,
		    "status", status_name[m->status < ST_MAX ? m->status : 0],
		    "lifetime", (json_int_t)m->lifetime,
		    "remaining", (json_int_t)remaining(m, now),
		    "started", (json_int_t)m->started,
		    "trigger", m->rq.trigger, "enforced", m->in_engine,
		    "scope", m->rq.scope);
		if (e == NULL)
			continue;
		build_mitigation(m, &mit);
		t = json_array();
		for (i = 0; i < mit.ntargets; i++) {
			prefix_format(&mit.targets[i], buf, sizeof(buf));
			json_array_append_new(t, json_string(buf));
		}
		json_object_set_new(e, "targets", t);
		if (m->conflict_status)
			json_object_set_new(e, "conflict",
			    json_string(cstatus_name[m->conflict_status]));
		json_array_append_new(arr, e);
	}
	return arr;
}

/*
 * The session that left a PUT pending (resolving names) went away: forget
 * the request without answering.
 */
void
mitreq_cancel(void *pending)
{
	struct putctx	*ctx, *next;

	for (ctx = TAILQ_FIRST(&pending_puts); ctx != NULL; ctx = next) {
		next = TAILQ_NEXT(ctx, entry);
		if (ctx->peer.pending != pending)
			continue;
		TAILQ_REMOVE(&pending_puts, ctx, entry);
		job_cancel(&ctx->job);
		json_decref(ctx->rq.scope);
		free(ctx);
	}
}

/*
 * A new configuration (reload): requests follow their client by name; a
 * client no longer configured loses its requests (withdrawn, not kept).
 */
void
mitreq_reconf(const struct dotsd_conf *nc)
{
	const struct client_conf *c;
	struct mreq	*m, *mn;
	struct notif	*n, *nn;
	struct putctx	*ctx, *cn;

	conf = nc;
	for (m = TAILQ_FIRST(&mreqs); m != NULL; m = mn) {
		mn = TAILQ_NEXT(m, entry);
		if ((c = authz_by_name(nc, m->client->name)) != NULL) {
			m->client = c;
			continue;
		}
		log_info("mitigation %s/%s/%u: client no longer configured, "
		    "withdrawn", m->client->name, m->cuid, m->mid);
		engine_take(m);
		store_mit_del(m->id);
		conflict_forget(m->id);
		TAILQ_REMOVE(&mreqs, m, entry);
		mreq_free(m);
	}
	for (n = TAILQ_FIRST(&notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		if ((c = authz_by_name(nc, n->client->name)) != NULL) {
			n->client = c;
			continue;
		}
		TAILQ_REMOVE(&notifs, n, entry);
		free(n);
	}
	for (ctx = TAILQ_FIRST(&pending_puts); ctx != NULL; ctx = cn) {
		cn = TAILQ_NEXT(ctx, entry);
		if ((c = authz_by_name(nc, ctx->peer.client->name)) != NULL) {
			ctx->peer.client = c;
			continue;
		}
		TAILQ_REMOVE(&pending_puts, ctx, entry);
		job_cancel(&ctx->job);
		json_decref(ctx->rq.scope);
		free(ctx);
	}
}

/* Frees all in-memory state (not the store): shutdown and tests. */
void
mitreq_fini(void)
{
	struct mreq	*m;
	struct cuidown	*o;
	struct notif	*n;
	struct putctx	*ctx;

	while ((m = TAILQ_FIRST(&mreqs)) != NULL) {
		TAILQ_REMOVE(&mreqs, m, entry);
		mreq_free(m);
	}
	while ((o = TAILQ_FIRST(&cuids)) != NULL) {
		TAILQ_REMOVE(&cuids, o, entry);
		free(o);
	}
	while ((n = TAILQ_FIRST(&notifs)) != NULL) {
		TAILQ_REMOVE(&notifs, n, entry);
		free(n);
	}
	while ((ctx = TAILQ_FIRST(&pending_puts)) != NULL) {
		TAILQ_REMOVE(&pending_puts, ctx, entry);
		job_cancel(&ctx->job);
		json_decref(ctx->rq.scope);
		free(ctx);
	}
	last_prune = 0;
	conf = NULL;
	now_s = 0;
	conflict_policy = CP_BOTH;
}
