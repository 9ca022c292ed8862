/*
 * mitreq_parse.c: checks a mitigation request body (RFC 9132 §4.4.1.1,
 * §4.4.1.3, §4.4.3) and flattens it into a struct req: target prefixes,
 * ports and protocols, names to resolve, lifetime, trigger-mitigation and
 * attack-status. No state and no logging: authorization and resolution
 * are mitreq_targets.c's.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"

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

/* ------------------------------------------------------------------ */
/* prefixes                                                           */
/* ------------------------------------------------------------------ */

static int
prefix_eq(const struct mit_prefix *a, const struct mit_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	    memcmp(a->addr, b->addr, 16) == 0;
}

int
mitreq_parse_prefix_add(struct mit_prefix *set, uint8_t *n, int max,
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
		if (mitreq_parse_prefix_add(rq->prefix, &rq->nprefix,
		    MIT_MAX_TARGETS, &pfx) < 0) {
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
int
mitreq_parse_req(const json_t *body, int efficacy, struct req *rq, char *why,
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
				if (mitreq_parse_prefix_add(rq->prefix,
				    &rq->nprefix, MIT_MAX_TARGETS,
				    &pfx) < 0) {
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
		} else if (mitreq_source_key(k)) {
			/* RFC 9066, RFC 9244 sources: enforced or refused */
			if (mitreq_source_parse(rq, k, v, why, whylen) < 0)
				goto fail400;
			if (strncmp(k, TELEMETRY_PFX,
			    strlen(TELEMETRY_PFX)) == 0)
				continue;	/* its talkers, below */
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
	if ((rc = mitreq_source_finish(rq, why, whylen)) < 0) {
		if (rc == -ENOMEM) {
			snprintf(why, whylen, "out of memory");
			json_decref(rq->scope);
			rq->scope = NULL;
			return 503;
		}
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
	/* RFC 9133 acl-list: the names are checked by mitreq_put */
	return 0;
 bad_value:
	snprintf(why, whylen, "%s: %s", k, err);
 fail400:
	json_decref(rq->scope);
	rq->scope = NULL;
	return 400;
}

static mitreq_alias_fn alias_lookup;

void
mitreq_set_alias_lookup(mitreq_alias_fn fn)
{
	alias_lookup = fn;
}

/*
 * Alias store seam (RFC 8783 §6.1 aliases of this client), backed by the
 * data channel (dotsd/acl.c) through mitreq_set_alias_lookup(). On
 * success it adds the alias's prefixes, ports, protocols and names to
 * rq, as §4.4.1.3 merges them with the other target lists. -ENOENT for
 * an unknown alias, -E2BIG when the merged lists overflow.
 */
int
mitreq_parse_alias(const struct client_conf *c, const char *cuid,
    const char *alias, struct req *rq)
{
	static struct mitreq_alias a;	/* 4 KiB of names: not on the stack */
	int	i, r;

	if (alias_lookup == NULL || alias == NULL)
		return -ENOENT;
	memset(&a, 0, sizeof(a));
	if ((r = alias_lookup(c, cuid, alias, &a)) != 0)
		return r;
	if (rq->nprefix + a.nprefix > MIT_MAX_TARGETS ||
	    rq->nports + a.nports > MIT_MAX_PORTS ||
	    rq->nproto + a.nproto > MIT_MAX_PROTO ||
	    rq->nnames + a.nnames > MAX_NAMES)
		return -E2BIG;
	for (i = 0; i < a.nprefix; i++)
		rq->prefix[rq->nprefix++] = a.prefix[i];
	for (i = 0; i < a.nports; i++)
		rq->ports[rq->nports++] = a.ports[i];
	for (i = 0; i < a.nproto; i++)
		rq->proto[rq->nproto++] = a.proto[i];
	for (i = 0; i < a.nnames; i++)
		snprintf(rq->names[rq->nnames++], NAME_LEN, "%s", a.names[i]);
	return 0;
}

const char *
mitreq_limits(void)
{
	static char	buf[128];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "targets %d, port-ranges %d, "
		    "protocols %d, target-names %d", MIT_MAX_TARGETS,
		    MIT_MAX_PORTS, MIT_MAX_PROTO, MAX_NAMES);
	return buf;
}
