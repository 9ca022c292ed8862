/*
 * acl_compile.c: one RFC 8783 access control entry (§7.2, YANG-validated
 * JSON) -> the flow rules that enforce it (mitigate.h struct mit_rule).
 * No I/O, no logs: a refusal comes back as -EINVAL (the entry is wrong:
 * a destination outside the client's domain) or -ENOTSUP (a match the
 * local data plane cannot enforce; the capabilities say false for it),
 * with a reason.
 *
 * An entry without a destination applies to the whole domain of the
 * client (§7.2 destination-ipv4-network), so it becomes one rule per
 * domain prefix of its family.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl.h"

#define IPPROTO_ICMP_	1
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_ICMPV6_	58

/* Identityref values arrive with or without their module prefix. */
static const char *
ident_base(const char *s)
{
	const char	*colon = s ? strchr(s, ':') : NULL;

	return colon ? colon + 1 : s ? s : "";
}

int
acl_compile_family(const json_t *acl)
{
	const char	*t = ident_base(json_string_value(
	    json_object_get(acl, "type")));

	if (strcmp(t, "ipv4-acl-type") == 0)
		return AF_INET;
	if (strcmp(t, "ipv6-acl-type") == 0)
		return AF_INET6;
	return 0;
}

/* Leaves of a match container the data plane cannot look at. */
static const char *
unsupported(const json_t *obj, const char *const *names)
{
	for (; *names != NULL; names++)
		if (json_object_get(obj, *names) != NULL)
			return *names;
	return NULL;
}

/* "198.18.0.0/24" of family af -> p. */
static int
parse_net(const json_t *v, int af, struct mit_prefix *p)
{
	const char	*s = json_string_value(v);

	if (s == NULL || prefix_parse(s, p) != 0 || p->family != af)
		return -EINVAL;
	return 0;
}

/* RFC 8519 port-range-or-operator -> ranges (neq: two). */
static int
parse_ports(const json_t *o, struct mit_range *r, uint8_t *n, char *why,
    size_t whylen)
{
	const json_t	*lo = json_object_get(o, "lower-port");
	const char	*op;
	json_int_t	 port;

	if (lo != NULL) {
		r[0].lo = (uint16_t)json_integer_value(lo);
		r[0].hi = (uint16_t)json_integer_value(json_object_get(o,
		    "upper-port"));
		if (r[0].hi < r[0].lo) {
			snprintf(why, whylen, "upper-port below lower-port");
			return -EINVAL;
		}
		*n = 1;
		return 0;
	}
	port = json_integer_value(json_object_get(o, "port"));
	op = json_string_value(json_object_get(o, "operator"));
	op = op ? op : "eq";
	*n = 1;
	if (strcmp(op, "eq") == 0)
		r[0].lo = r[0].hi = (uint16_t)port;
	else if (strcmp(op, "lte") == 0)
		r[0].lo = 0, r[0].hi = (uint16_t)port;
	else if (strcmp(op, "gte") == 0)
		r[0].lo = (uint16_t)port, r[0].hi = 65535;
	else if (strcmp(op, "neq") == 0) {
		*n = 0;
		if (port > 0)
			r[(*n)++] = (struct mit_range){ 0, (uint16_t)(port - 1) };
		if (port < 65535)
			r[(*n)++] = (struct mit_range){ (uint16_t)(port + 1),
			    65535 };
	} else {
		snprintf(why, whylen, "port operator %s", op);
		return -EINVAL;
	}
	return 0;
}

/*
 * RFC 8783 §4 bitmask operator (bits not, match, any) over value v ->
 * mask/value. "match" is (data & v) == v; "not any" is (data & v) == 0;
 * "any" and "not match" are expressible only for a single bit.
 */
static int
parse_bitop(const json_t *opv, unsigned v, uint8_t *mask, uint8_t *val)
{
	const char	*op = json_string_value(opv);
	int		 neg = 0, any = 0, single = v && !(v & (v - 1));
	char		 buf[64], *t, *save;

	snprintf(buf, sizeof(buf), "%s", op ? op : "match");
	for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (strcmp(t, "not") == 0)
			neg = 1;
		else if (strcmp(t, "any") == 0)
			any = 1;
	*mask = (uint8_t)v;
	if (!neg && (!any || single))
		*val = (uint8_t)v;		/* match; any of one bit */
	else if (neg && (any || single))
		*val = 0;			/* not any; not match of one */
	else
		return -ENOTSUP;
	return 0;
}

/* Fragment bits (RFC 8783 fragment-type) -> enum mit_frag. */
static unsigned
frag_bits(const char *s)
{
	static const struct { const char *n; unsigned b; } t[] = {
		{ "df", MIT_FRAG_DF }, { "isf", MIT_FRAG_ISF },
		{ "ff", MIT_FRAG_FF }, { "lf", MIT_FRAG_LF },
	};
	char		 buf[64], *w, *save;
	unsigned	 b = 0;
	size_t		 i;

	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(w, t[i].n) == 0)
				b |= t[i].b;
	return b;
}

/* TCP flag names (RFC 8519 tcp flags bits) -> byte 13 of the header. */
static unsigned
tcp_bits(const char *s)
{
	static const char *const names[8] = {
		"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr",
	};
	char		 buf[128], *w, *save;
	unsigned	 b = 0, i;

	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		for (i = 0; i < 8; i++)
			if (strcmp(w, names[i]) == 0)
				b |= 1u << i;
	return b;
}

static const char *const l3_unsupported[] = {
	"ecn", "ttl", "ihl", "flags", "offset", "identification", NULL
};

/* The ipv4/ipv6 container into r (destination left to the caller). */
static int
compile_l3(const json_t *l3, int af, struct mit_rule *r, int *has_dst,
    char *why, size_t whylen)
{
	const char	*dk = af == AF_INET ? "destination-ipv4-network" :
	    "destination-ipv6-network";
	const char	*sk = af == AF_INET ? "source-ipv4-network" :
	    "source-ipv6-network";
	const json_t	*v, *frag;
	const char	*bad;

	if ((bad = unsupported(l3, l3_unsupported)) != NULL) {
		snprintf(why, whylen, "match %s is not supported", bad);
		return -ENOTSUP;
	}
	if ((v = json_object_get(l3, dk)) != NULL) {
		if (parse_net(v, af, &r->dst) != 0) {
			snprintf(why, whylen, "bad %s", dk);
			return -EINVAL;
		}
		*has_dst = 1;
	}
	if ((v = json_object_get(l3, sk)) != NULL) {
		if (parse_net(v, af, &r->src) != 0) {
			snprintf(why, whylen, "bad %s", sk);
			return -EINVAL;
		}
		r->present |= MIT_F_SRC;
	}
	if ((v = json_object_get(l3, "protocol")) != NULL) {
		r->nproto = 1;
		r->proto[0] = (uint8_t)json_integer_value(v);
		r->present |= MIT_F_PROTO;
	}
	if ((v = json_object_get(l3, "dscp")) != NULL) {
		r->dscp_set = UINT64_C(1) << (json_integer_value(v) & 63);
		r->present |= MIT_F_DSCP;
	}
	if ((v = json_object_get(l3, "length")) != NULL) {
		r->npkt_len = 1;
		r->pkt_len[0].lo = r->pkt_len[0].hi =
		    (uint16_t)json_integer_value(v);
		r->present |= MIT_F_PKT_LEN;
	}
	if ((v = json_object_get(l3, "flow-label")) != NULL) {
		r->flow_label = (uint32_t)json_integer_value(v);
		r->present |= MIT_F_FLOW_LABEL;
	}
	if ((frag = json_object_get(l3, "fragment")) != NULL) {
		unsigned b = frag_bits(json_string_value(json_object_get(frag,
		    "type")));

		if ((af == AF_INET6 && (b & MIT_FRAG_DF)) ||
		    parse_bitop(json_object_get(frag, "operator"), b,
		    &r->frag_mask, &r->frag_value) != 0 || b == 0) {
			snprintf(why, whylen, "fragment match is not "
			    "supported as given");
			return -ENOTSUP;
		}
		r->present |= MIT_F_FRAG;
	}
	return 0;
}

/*
 * TCP flags: "flags" alone is an exact match of the 8 flag bits; with
 * "flags-bitmask" the bitmask selects the bits and its operator says how
 * they match (RFC 8783 §4). The data plane sees byte 13 only, so the 4
 * bits of byte 12 (reserved, NS) cannot be matched.
 */
static int
compile_tcp_flags(const json_t *tcp, struct mit_rule *r, char *why,
    size_t whylen)
{
	const json_t	*fb = json_object_get(tcp, "flags-bitmask");
	const json_t	*fl = json_object_get(tcp, "flags");
	json_int_t	 mask;

	if (fb == NULL && fl == NULL)
		return 0;
	if (fb == NULL) {
		r->tcp_flags_mask = 0xff;
		r->tcp_flags_value = (uint8_t)tcp_bits(json_string_value(fl));
	} else {
		mask = json_integer_value(json_object_get(fb, "bitmask"));
		if (mask <= 0 || mask > 0xff) {
			snprintf(why, whylen, "flags-bitmask %lld: only the "
			    "8 flag bits of byte 13 can be matched",
			    (long long)mask);
			return -ENOTSUP;
		}
		if (fl != NULL) {
			/* bitmask selects, flags gives the values */
			r->tcp_flags_mask = (uint8_t)mask;
			r->tcp_flags_value = (uint8_t)(tcp_bits(
			    json_string_value(fl)) & mask);
		} else if (parse_bitop(json_object_get(fb, "operator"),
		    (unsigned)mask, &r->tcp_flags_mask,
		    &r->tcp_flags_value) != 0) {
			snprintf(why, whylen, "flags-bitmask operator is not "
			    "supported for several bits");
			return -ENOTSUP;
		}
	}
	r->present |= MIT_F_TCP_FLAGS;
	return 0;
}

static const char *const tcp_unsupported[] = {
	"sequence-number", "acknowledgement-number", "data-offset",
	"reserved", "window-size", "urgent-pointer", "options", NULL
};

/* tcp/udp/icmp into r; proto is set (and must agree with an L3 one). */
static int
compile_l4(const json_t *m, int af, struct mit_rule *r, char *why,
    size_t whylen)
{
	const json_t	*l4, *v;
	const char	*bad;
	int		 proto;

	if ((l4 = json_object_get(m, "tcp")) != NULL)
		proto = IPPROTO_TCP_;
	else if ((l4 = json_object_get(m, "udp")) != NULL)
		proto = IPPROTO_UDP_;
	else if ((l4 = json_object_get(m, "icmp")) != NULL)
		proto = af == AF_INET ? IPPROTO_ICMP_ : IPPROTO_ICMPV6_;
	else
		return 0;
	if ((r->present & MIT_F_PROTO) && r->proto[0] != proto) {
		snprintf(why, whylen, "protocol %u contradicts the L4 match",
		    r->proto[0]);
		return -EINVAL;
	}
	r->nproto = 1;
	r->proto[0] = (uint8_t)proto;
	r->present |= MIT_F_PROTO;
	if (proto == IPPROTO_TCP_ &&
	    (bad = unsupported(l4, tcp_unsupported)) != NULL) {
		snprintf(why, whylen, "match tcp %s is not supported", bad);
		return -ENOTSUP;
	}
	if (proto == IPPROTO_UDP_ && json_object_get(l4, "length")) {
		snprintf(why, whylen, "match udp length is not supported");
		return -ENOTSUP;
	}
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_) {
		if (json_object_get(l4, "rest-of-header")) {
			snprintf(why, whylen, "match icmp rest-of-header is "
			    "not supported");
			return -ENOTSUP;
		}
		if ((v = json_object_get(l4, "type")) != NULL) {
			r->nicmp_type = 1;
			r->icmp_type[0].lo = r->icmp_type[0].hi =
			    (uint16_t)json_integer_value(v);
			r->present |= MIT_F_ICMP_TYPE;
		}
		if ((v = json_object_get(l4, "code")) != NULL) {
			r->nicmp_code = 1;
			r->icmp_code[0].lo = r->icmp_code[0].hi =
			    (uint16_t)json_integer_value(v);
			r->present |= MIT_F_ICMP_CODE;
		}
		return 0;
	}
	if ((v = json_object_get(l4, "source-port-range-or-operator"))) {
		if (parse_ports(v, r->sport, &r->nsport, why, whylen) != 0)
			return -EINVAL;
		r->present |= MIT_F_SPORT;
	}
	if ((v = json_object_get(l4, "destination-port-range-or-operator"))) {
		if (parse_ports(v, r->dport, &r->ndport, why, whylen) != 0)
			return -EINVAL;
		r->present |= MIT_F_DPORT;
	}
	if (proto == IPPROTO_TCP_)
		return compile_tcp_flags(l4, r, why, whylen);
	return 0;
}

/*
 * actions (§7.2): drop, accept, or accept with rate-limit (bytes per
 * second, decimal64 as a string in RFC 7951 JSON). reject is refused:
 * the data plane sends nothing back.
 */
static int
compile_action(const json_t *ace, struct mit_rule *r, char *why,
    size_t whylen)
{
	const json_t	*a = json_object_get(ace, "actions");
	const json_t	*rl = json_object_get(a, "rate-limit");
	const char	*fwd = ident_base(json_string_value(json_object_get(a,
	    "forwarding")));
	double		 rate;
	char		*end;

	if (strcmp(fwd, "drop") == 0)
		r->action = MIT_ACT_DROP;
	else if (strcmp(fwd, "accept") == 0)
		r->action = MIT_ACT_ACCEPT;
	else {
		snprintf(why, whylen, "forwarding action \"%s\" is not "
		    "supported", fwd[0] ? fwd : "(none)");
		return fwd[0] ? -ENOTSUP : -EINVAL;
	}
	if (rl == NULL)
		return 0;
	if (r->action != MIT_ACT_ACCEPT) {
		snprintf(why, whylen, "rate-limit applies to accepted "
		    "traffic only");
		return -EINVAL;
	}
	rate = json_is_string(rl) ? strtod(json_string_value(rl), &end) :
	    json_number_value(rl);
	if (rate < 0 || rate > 1e15) {
		snprintf(why, whylen, "rate-limit out of range");
		return -EINVAL;
	}
	r->action = MIT_ACT_RATE_BPS;
	r->rate = (uint64_t)rate;
	return 0;
}

int
acl_compile_ace(const struct client_conf *c, const json_t *ace, int family,
    struct mit_rule *rules, uint32_t *nrules, char *why, size_t whylen)
{
	const json_t	*m = json_object_get(ace, "matches"), *l3 = NULL;
	struct mit_rule	 r;
	char		 az[128];
	uint32_t	 i;
	int		 has_dst = 0, rv;

	memset(&r, 0, sizeof(r));
	*nrules = 0;
	if ((l3 = json_object_get(m, "ipv4")) != NULL)
		family = AF_INET;
	else if ((l3 = json_object_get(m, "ipv6")) != NULL)
		family = AF_INET6;
	if (family == 0) {
		snprintf(why, whylen, "no ipv4 or ipv6 match and no ACL type: "
		    "the address family is unknown");
		return -EINVAL;
	}
	if (l3 != NULL && (rv = compile_l3(l3, family, &r, &has_dst, why,
	    whylen)) != 0)
		return rv;
	if ((rv = compile_l4(m, family, &r, why, whylen)) != 0 ||
	    (rv = compile_action(ace, &r, why, whylen)) != 0)
		return rv;
	if (has_dst) {
		/* §7.2: destinations within the client's domain */
		if (authz_prefix(c, &r.dst, az, sizeof(az)) != 0) {
			snprintf(why, whylen, "destination: %s", az);
			return -EPERM;
		}
		rules[(*nrules)++] = r;
		return 0;
	}
	for (i = 0; i < c->nprefixes && *nrules < MIT_MAX_GROUP_RULES; i++) {
		if (c->prefixes[i].family != family)
			continue;
		r.dst = c->prefixes[i];
		rules[(*nrules)++] = r;
	}
	if (*nrules == 0) {
		snprintf(why, whylen, "the client's domain has no %s prefix",
		    family == AF_INET ? "IPv4" : "IPv6");
		return -EPERM;
	}
	return 0;
}
