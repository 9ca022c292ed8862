/*
 * mitreq_source.c: the source attributes of a mitigation request. They
 * narrow a mitigation to the traffic of given sources, so dotsd either
 * enforces them exactly or refuses the request (4.00 naming the
 * attribute); it never accepts and drops one.
 *
 *   RFC 9066 §5.3.1 call-home: source-prefix (leaf-list),
 *     source-port-range, source-icmp-type-range in the scope. Each
 *     attribute narrows the whole request (AND), the prefixes are
 *     alternatives (OR).
 *   RFC 9244 §8.1.5 top-talker: attack-detail/top-talker/talker entries,
 *     each one source-prefix with its own port and ICMP-type ranges; the
 *     talkers are alternatives (OR). The rest of attack-detail is
 *     telemetry and not kept.
 *
 * Both become struct mitigation's sources, source ports and ICMP types:
 * one list of ranges shared by every source, so talkers with different
 * ranges cannot be carried exactly and are refused, as is mixing the two
 * kinds in one request. The engine makes one rule per target and source
 * of its family (mitigate/compile.c).
 *
 * The top-talker sources are kept in the stored scope in a reduced,
 * canonical form (only talker/source-prefix and the ranges) under the
 * attack-detail key: a restart re-parses it here, and a refresh must
 * repeat the same talkers. It is never sent back (mitreq_notify.c echoes
 * only the request's own attributes).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"

#define CH_PFX		"ietf-dots-call-home:"
#define CH_PREFIX	CH_PFX "source-prefix"
#define CH_PORTS	CH_PFX "source-port-range"
#define CH_ICMP		CH_PFX "source-icmp-type-range"
#define TM_DETAIL	TELEMETRY_PFX "attack-detail"

/* One list of ranges as parsed: sorted and merged (canonical). */
struct rlist {
	uint8_t		 n;
	struct mit_range r[MIT_MAX_RANGES];
};

int
mitreq_source_key(const char *k)
{
	return strcmp(k, CH_PREFIX) == 0 || strcmp(k, CH_PORTS) == 0 ||
	    strcmp(k, CH_ICMP) == 0 || strcmp(k, TM_DETAIL) == 0;
}

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
range_cmp(const void *a, const void *b)
{
	const struct mit_range	*ra = a, *rb = b;

	if (ra->lo != rb->lo)
		return ra->lo < rb->lo ? -1 : 1;
	return ra->hi < rb->hi ? -1 : ra->hi > rb->hi;
}

/* Sorts and merges overlapping and adjacent ranges, so equal sets compare. */
static void
rlist_canon(struct rlist *l)
{
	int	i, out = 0;

	if (l->n == 0)
		return;
	qsort(l->r, l->n, sizeof(l->r[0]), range_cmp);
	for (i = 1; i < l->n; i++) {
		if ((uint32_t)l->r[i].lo <= (uint32_t)l->r[out].hi + 1) {
			if (l->r[i].hi > l->r[out].hi)
				l->r[out].hi = l->r[i].hi;
		} else
			l->r[++out] = l->r[i];
	}
	l->n = (uint8_t)(out + 1);
}

/*
 * A list of {lo: ..., hi: ...} objects (lower-port/upper-port or
 * lower-type/upper-type, hi optional) into l. 0, or -1 with why filled.
 */
static int
parse_ranges(const char *what, const json_t *v, const char *lo_name,
    const char *hi_name, json_int_t max, struct rlist *l, char *why,
    size_t whylen)
{
	const json_t	*e, *x;
	const char	*k;
	json_int_t	 lo, hi;
	size_t		 i;

	memset(l, 0, sizeof(*l));
	if (!json_is_array(v) || json_array_size(v) == 0) {
		snprintf(why, whylen, "%s: must be a non-empty list", what);
		return -1;
	}
	if (json_array_size(v) > MIT_MAX_RANGES) {
		snprintf(why, whylen, "%s: at most %d ranges can be enforced",
		    what, MIT_MAX_RANGES);
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_object(e))
			goto bad;
		json_object_foreach(unconst(e), k, x)
			if (strcmp(k, lo_name) != 0 &&
			    strcmp(k, hi_name) != 0) {
				snprintf(why, whylen, "%s: unknown member "
				    "\"%s\"", what, k);
				return -1;
			}
		x = json_object_get(e, lo_name);
		if (!json_is_integer(x) || (lo = json_integer_value(x)) < 0 ||
		    lo > max)
			goto bad;
		hi = lo;
		if ((x = json_object_get(e, hi_name)) != NULL &&
		    (!json_is_integer(x) || (hi = json_integer_value(x)) < lo ||
		    hi > max))
			goto bad;
		l->r[l->n].lo = (uint16_t)lo;
		l->r[l->n++].hi = (uint16_t)hi;
	}
	rlist_canon(l);
	return 0;
 bad:
	snprintf(why, whylen, "%s: %s and %s must be integers 0-%lld, %s "
	    "not below %s", what, lo_name, hi_name, (long long)max, hi_name,
	    lo_name);
	return -1;
}

/*
 * RFC 9066 §5.3.1: no broadcast, loopback or multicast source (link-local
 * is allowed). 1 if p is one of those.
 */
static int
bad_source(const struct mit_prefix *p)
{
	static const uint8_t loop6[16] = { [15] = 1 };

	if (p->family == AF_INET)
		return p->addr[0] == 127 || p->addr[0] >= 224;
	return p->addr[0] == 0xff || (p->len == 128 &&
	    memcmp(p->addr, loop6, 16) == 0);
}

static int
add_source(struct req *rq, const char *what, const char *s, char *why,
    size_t whylen)
{
	struct mit_prefix p;

	if (s == NULL || prefix_parse(s, &p) < 0) {
		snprintf(why, whylen, "%s \"%s\" is no prefix", what,
		    s ? s : "");
		return -1;
	}
	if (bad_source(&p)) {
		snprintf(why, whylen, "%s %s: broadcast, loopback and "
		    "multicast sources are invalid", what, s);
		return -1;
	}
	if (mitreq_parse_prefix_add(rq->sources, &rq->nsources,
	    MIT_MAX_SOURCES, &p) < 0) {
		snprintf(why, whylen, "%s: at most %d sources can be "
		    "enforced", what, MIT_MAX_SOURCES);
		return -1;
	}
	return 0;
}

/* Adds kind to rq's source kinds; -1 (why filled) if both are there. */
static int
source_kind(struct req *rq, uint8_t kind, char *why, size_t whylen)
{
	rq->source_kind |= kind;
	if (rq->source_kind != (SRC_CALL_HOME | SRC_TOP_TALKER))
		return 0;
	snprintf(why, whylen, "call-home source attributes and top-talker in "
	    "one request cannot be enforced together");
	return -1;
}

/* RFC 9066 call-home attributes; v is kept in the scope by the caller. */
static int
parse_call_home(struct req *rq, const char *k, const json_t *v, char *why,
    size_t whylen)
{
	struct rlist	 l;
	const json_t	*s;
	size_t		 i;

	if (source_kind(rq, SRC_CALL_HOME, why, whylen) < 0)
		return -1;
	if (strcmp(k, CH_PREFIX) == 0) {
		if (!json_is_array(v) || json_array_size(v) == 0) {
			snprintf(why, whylen, "%s: must be a non-empty list",
			    k);
			return -1;
		}
		json_array_foreach(v, i, s)
			if (add_source(rq, k, json_string_value(s), why,
			    whylen) < 0)
				return -1;
		return 0;
	}
	if (strcmp(k, CH_PORTS) == 0) {
		if (parse_ranges(k, v, "lower-port", "upper-port", 65535, &l,
		    why, whylen) < 0)
			return -1;
		rq->nsource_ports = l.n;
		memcpy(rq->source_ports, l.r, sizeof(l.r));
		return 0;
	}
	if (parse_ranges(k, v, "lower-type", "upper-type", 255, &l, why,
	    whylen) < 0)
		return -1;
	rq->nicmp_type = l.n;
	memcpy(rq->icmp_type, l.r, sizeof(l.r));
	return 0;
}

/*
 * One talker (RFC 9244 §8.1.5): its prefix joins the sources, its ranges
 * must equal those of the talkers before it (one shared list).
 */
static int
parse_talker(struct req *rq, const json_t *t, char *why, size_t whylen)
{
	struct rlist	 ports, icmp;
	const json_t	*v;

	if (!json_is_object(t)) {
		snprintf(why, whylen, "top-talker: talker must be an object");
		return -1;
	}
	memset(&ports, 0, sizeof(ports));
	memset(&icmp, 0, sizeof(icmp));
	if ((v = json_object_get(t, "source-port-range")) != NULL &&
	    parse_ranges("top-talker source-port-range", v, "lower-port",
	    "upper-port", 65535, &ports, why, whylen) < 0)
		return -1;
	if ((v = json_object_get(t, "source-icmp-type-range")) != NULL &&
	    parse_ranges("top-talker source-icmp-type-range", v,
	    "lower-type", "upper-type", 255, &icmp, why, whylen) < 0)
		return -1;
	if (rq->nsources > 0 && (ports.n != rq->nsource_ports ||
	    icmp.n != rq->nicmp_type ||
	    memcmp(ports.r, rq->source_ports, ports.n * sizeof(ports.r[0])) ||
	    memcmp(icmp.r, rq->icmp_type, icmp.n * sizeof(icmp.r[0])))) {
		snprintf(why, whylen, "top-talker: talkers with different "
		    "source-port-range or source-icmp-type-range cannot be "
		    "enforced in one request; send one request per set");
		return -1;
	}
	rq->nsource_ports = ports.n;
	memcpy(rq->source_ports, ports.r, sizeof(ports.r));
	rq->nicmp_type = icmp.n;
	memcpy(rq->icmp_type, icmp.r, sizeof(icmp.r));
	return add_source(rq, "top-talker source-prefix",
	    json_string_value(json_object_get(t, "source-prefix")), why,
	    whylen);
}

/* RFC 9244 attack-detail entries: only their top-talkers narrow. */
static int
parse_attack_detail(struct req *rq, const json_t *v, char *why,
    size_t whylen)
{
	const json_t	*d, *tt, *talkers, *t;
	size_t		 i, j;

	if (!json_is_array(v)) {
		snprintf(why, whylen, "%s: must be a list", TM_DETAIL);
		return -1;
	}
	json_array_foreach(v, i, d) {
		if ((tt = json_object_get(d, "top-talker")) == NULL)
			continue;
		talkers = json_object_get(tt, "talker");
		if (!json_is_array(talkers) || json_array_size(talkers) == 0) {
			snprintf(why, whylen, "top-talker: talker must be a "
			    "non-empty list");
			return -1;
		}
		if (source_kind(rq, SRC_TOP_TALKER, why, whylen) < 0)
			return -1;
		json_array_foreach(talkers, j, t)
			if (parse_talker(rq, t, why, whylen) < 0)
				return -1;
	}
	return 0;
}

/*
 * One scope member k for which mitreq_source_key() is true. Returns 0, or
 * -1 with why filled (a 4.00).
 */
int
mitreq_source_parse(struct req *rq, const char *k, const json_t *v,
    char *why, size_t whylen)
{
	if (strcmp(k, TM_DETAIL) == 0)
		return parse_attack_detail(rq, v, why, whylen);
	return parse_call_home(rq, k, v, why, whylen);
}

static json_t *
ranges_json(const struct mit_range *r, int n, const char *lo_name,
    const char *hi_name)
{
	json_t	*a = json_array(), *e;
	int	 i;

	for (i = 0; a != NULL && i < n; i++) {
		e = json_pack("{s:i}", lo_name, r[i].lo);
		if (e != NULL && r[i].hi != r[i].lo)
			json_object_set_new(e, hi_name, json_integer(r[i].hi));
		json_array_append_new(a, e);
	}
	return a;
}

static int
prefix_cmp(const void *a, const void *b)
{
	const struct mit_prefix	*pa = a, *pb = b;
	int			 c;

	if (pa->family != pb->family)
		return pa->family < pb->family ? -1 : 1;
	if ((c = memcmp(pa->addr, pb->addr, 16)) != 0)
		return c;
	return pa->len < pb->len ? -1 : pa->len > pb->len;
}

/* The reduced, canonical top-talker form kept in the scope (see top). */
static json_t *
talkers_json(const struct req *rq)
{
	json_t	*talkers = json_array(), *t;
	char	 buf[64];
	int	 i;

	for (i = 0; talkers != NULL && i < rq->nsources; i++) {
		prefix_format(&rq->sources[i], buf, sizeof(buf));
		t = json_pack("{s:s}", "source-prefix", buf);
		if (t != NULL && rq->nsource_ports > 0)
			json_object_set_new(t, "source-port-range",
			    ranges_json(rq->source_ports, rq->nsource_ports,
			    "lower-port", "upper-port"));
		if (t != NULL && rq->nicmp_type > 0)
			json_object_set_new(t, "source-icmp-type-range",
			    ranges_json(rq->icmp_type, rq->nicmp_type,
			    "lower-type", "upper-type"));
		json_array_append_new(talkers, t);
	}
	return json_pack("[{s:{s:o}}]", "top-talker", "talker", talkers);
}

/*
 * After the whole scope: refuses sources no target can match and
 * stores the top-talkers' canonical form in rq->scope. 0, or -1 with why
 * filled (4.00), or -ENOMEM.
 */
int
mitreq_source_finish(struct req *rq, char *why, size_t whylen)
{
	json_t	*tt;
	int	 i, j;

	/* with literal targets only, a source of no target's family is
	 * a rule for nothing */
	for (i = 0; rq->nnames == 0 && i < rq->nsources; i++) {
		for (j = 0; j < rq->nprefix; j++)
			if (rq->prefix[j].family == rq->sources[i].family)
				break;
		if (j == rq->nprefix) {
			snprintf(why, whylen, "source %s: no target of its "
			    "address family", rq->source_kind ==
			    SRC_TOP_TALKER ? "top-talker" : CH_PREFIX);
			return -1;
		}
	}
	if (rq->source_kind != SRC_TOP_TALKER)
		return 0;
	qsort(rq->sources, rq->nsources, sizeof(rq->sources[0]), prefix_cmp);
	if ((tt = talkers_json(rq)) == NULL)
		return -ENOMEM;
	json_object_set_new(rq->scope, TM_DETAIL, tt);
	return 0;
}
