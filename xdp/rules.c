/*
 * rules.c: struct mit_rule -> struct xdp_spec, the RFC 8955 §5.1 order of
 * rules, rate-limit bucket sizing, and the text form of rules used by
 * dotsd-xdp. No I/O and no logs: callers report the reason.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/xdp.h"

_Static_assert(sizeof(struct mit_rule) <= XDP_META_RULE_SIZE,
    "struct mit_rule no longer fits struct xdp_meta");
_Static_assert(MIT_MAX_RANGES == XDP_MAX_RANGES, "range count");
_Static_assert(MIT_MAX_PROTO == XDP_MAX_PROTO, "protocol count");
_Static_assert((int)MIT_F_FLOW_LABEL == (int)XDP_F_FLOW_LABEL, "field bits");
_Static_assert((int)MIT_ACT_ACCEPT == (int)XDP_ACT_ACCEPT, "action codes");

#define ALL_FIELDS	(MIT_F_SRC | MIT_F_PROTO | MIT_F_DPORT | MIT_F_SPORT | \
	MIT_F_PORT | MIT_F_ICMP_TYPE | MIT_F_ICMP_CODE | MIT_F_TCP_FLAGS | \
	MIT_F_PKT_LEN | MIT_F_DSCP | MIT_F_FRAG | MIT_F_FLOW_LABEL)

static int
prefix_ok(const struct mit_prefix *p)
{
	int i, bits;

	if (p->family == AF_INET)
		bits = 32;
	else if (p->family == AF_INET6)
		bits = 128;
	else
		return 0;
	if (p->len > bits)
		return 0;
	/* host bits must be zero, or two spellings of one prefix differ */
	for (i = p->len; i < bits; i++)
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

static int
ranges_ok(uint8_t n, const struct mit_range *r, unsigned int max)
{
	int i;

	if (n == 0 || n > MIT_MAX_RANGES)
		return 0;
	for (i = 0; i < n; i++)
		if (r[i].lo > r[i].hi || r[i].hi > max)
			return 0;
	return 1;
}

int
rules_check(const struct mit_rule *r, const char **why)
{
	uint16_t f = r->present;

	if (r->kind != MIT_KIND_FLOW) {
		*why = "only flow rules are enforced locally";
		return -EOPNOTSUPP;
	}
	if (r->action > MIT_ACT_ACCEPT) {
		*why = "unknown action";
		return -EINVAL;
	}
	if ((r->action == MIT_ACT_RATE_BPS || r->action == MIT_ACT_RATE_PPS) &&
	    r->rate > XDP_RL_MAX_RATE) {
		*why = "rate too high";
		return -EINVAL;
	}
	if (f & ~ALL_FIELDS) {
		*why = "unknown match field";
		return -EOPNOTSUPP;
	}
	if (!prefix_ok(&r->dst)) {
		*why = "bad destination prefix";
		return -EINVAL;
	}
	if ((f & MIT_F_SRC) && (!prefix_ok(&r->src) ||
	    r->src.family != r->dst.family)) {
		*why = "bad source prefix";
		return -EINVAL;
	}
	if ((f & MIT_F_PROTO) && (r->nproto == 0 || r->nproto > MIT_MAX_PROTO)) {
		*why = "bad protocol list";
		return -EINVAL;
	}
	if (((f & MIT_F_DPORT) && !ranges_ok(r->ndport, r->dport, 65535)) ||
	    ((f & MIT_F_SPORT) && !ranges_ok(r->nsport, r->sport, 65535)) ||
	    ((f & MIT_F_PORT) && !ranges_ok(r->nport, r->port, 65535)) ||
	    ((f & MIT_F_PKT_LEN) && !ranges_ok(r->npkt_len, r->pkt_len, 65535))) {
		*why = "bad port or length range";
		return -EINVAL;
	}
	if (((f & MIT_F_ICMP_TYPE) &&
	    !ranges_ok(r->nicmp_type, r->icmp_type, 255)) ||
	    ((f & MIT_F_ICMP_CODE) &&
	    !ranges_ok(r->nicmp_code, r->icmp_code, 255))) {
		*why = "bad ICMP type or code range";
		return -EINVAL;
	}
	if ((f & MIT_F_TCP_FLAGS) && (r->tcp_flags_value & ~r->tcp_flags_mask)) {
		*why = "TCP flags value outside its mask";
		return -EINVAL;
	}
	if ((f & MIT_F_FRAG) && ((r->frag_value & ~r->frag_mask) ||
	    (r->frag_mask & ~0x0f))) {
		*why = "bad fragment bits";
		return -EINVAL;
	}
	if ((f & MIT_F_FLOW_LABEL) && (r->dst.family != AF_INET6 ||
	    r->flow_label > 0xfffff)) {
		*why = "flow label is a 20-bit IPv6 field";
		return -EINVAL;
	}
	return 0;
}

uint32_t
rules_action(const struct mit_rule *r)
{
	/* rate 0 polices everything away: that is a drop */
	if ((r->action == MIT_ACT_RATE_BPS || r->action == MIT_ACT_RATE_PPS) &&
	    r->rate == 0)
		return XDP_ACT_DROP;
	return r->action;
}

/*
 * RFC 8955 §5.1 for prefixes: the more specific of two overlapping
 * prefixes first, otherwise the lower address.
 */
static int
prefix_cmp(const struct mit_prefix *a, const struct mit_prefix *b)
{
	int common = a->len < b->len ? a->len : b->len;
	int i, d;

	for (i = 0; i < common; i++) {
		d = ((a->addr[i / 8] >> (7 - i % 8)) & 1) -
		    ((b->addr[i / 8] >> (7 - i % 8)) & 1);
		if (d)
			return d;	/* disjoint: lower address first */
	}
	if (a->len != b->len)
		return a->len > b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

/* RFC 8955 §5.1 for other components: memcmp, then the longer first. */
static int
bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int d = memcmp(a, b, n);

	if (d)
		return d;
	if (alen != blen)
		return alen > blen ? -1 : 1;
	return 0;
}

/*
 * Our stand-in for a component's wire form: every term big-endian, in
 * order. Comparing these gives the same order as comparing flowspec
 * encodings for the common single-term and equal-operator cases.
 */
static size_t
enc_ranges(uint8_t *buf, const struct mit_range *r, uint8_t n, int wide)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n && i < MIT_MAX_RANGES; i++) {
		if (wide)
			buf[len++] = r[i].lo >> 8;
		buf[len++] = r[i].lo & 0xff;
		if (wide)
			buf[len++] = r[i].hi >> 8;
		buf[len++] = r[i].hi & 0xff;
	}
	return len;
}

static size_t
enc_component(const struct mit_rule *r, int field, uint8_t *buf)
{
	size_t i;

	switch (field) {
	case MIT_F_PROTO:
		memcpy(buf, r->proto, r->nproto);
		return r->nproto;
	case MIT_F_PORT:
		return enc_ranges(buf, r->port, r->nport, 1);
	case MIT_F_DPORT:
		return enc_ranges(buf, r->dport, r->ndport, 1);
	case MIT_F_SPORT:
		return enc_ranges(buf, r->sport, r->nsport, 1);
	case MIT_F_ICMP_TYPE:
		return enc_ranges(buf, r->icmp_type, r->nicmp_type, 0);
	case MIT_F_ICMP_CODE:
		return enc_ranges(buf, r->icmp_code, r->nicmp_code, 0);
	case MIT_F_TCP_FLAGS:
		buf[0] = r->tcp_flags_mask;
		buf[1] = r->tcp_flags_value;
		return 2;
	case MIT_F_PKT_LEN:
		return enc_ranges(buf, r->pkt_len, r->npkt_len, 1);
	case MIT_F_DSCP:
		for (i = 0; i < 8; i++)
			buf[i] = r->dscp_set >> (56 - 8 * i);
		return 8;
	case MIT_F_FRAG:
		buf[0] = r->frag_mask;
		buf[1] = r->frag_value;
		return 2;
	case MIT_F_FLOW_LABEL:
		for (i = 0; i < 4; i++)
			buf[i] = r->flow_label >> (24 - 8 * i);
		return 4;
	}
	return 0;
}

int
rules_cmp(const struct mit_rule *a, const struct mit_rule *b)
{
	/* flowspec component types 2..13 in type order (1 is dst) */
	static const int order[] = {
		MIT_F_SRC, MIT_F_PROTO, MIT_F_PORT, MIT_F_DPORT, MIT_F_SPORT,
		MIT_F_ICMP_TYPE, MIT_F_ICMP_CODE, MIT_F_TCP_FLAGS,
		MIT_F_PKT_LEN, MIT_F_DSCP, MIT_F_FRAG, MIT_F_FLOW_LABEL,
	};
	uint8_t ea[64], eb[64];
	size_t i, la, lb;
	int d;

	if (a->dst.family != b->dst.family)
		return a->dst.family < b->dst.family ? -1 : 1;
	if ((d = prefix_cmp(&a->dst, &b->dst)) != 0)
		return d;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int fa = a->present & order[i], fb = b->present & order[i];

		/* the rule that has the lower type has precedence */
		if (fa != fb)
			return fa ? -1 : 1;
		if (!fa)
			continue;
		if (order[i] == MIT_F_SRC)
			d = prefix_cmp(&a->src, &b->src);
		else {
			la = enc_component(a, order[i], ea);
			lb = enc_component(b, order[i], eb);
			d = bytes_cmp(ea, la, eb, lb);
		}
		if (d)
			return d;
	}
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

void
rules_bucket(const struct mit_rule *r, unsigned int ncpus,
    struct xdp_gbucket *g)
{
	uint64_t floor;

	memset(g, 0, sizeof(*g));
	g->rate = r->rate;
	/*
	 * 50 ms of depth keeps a 1-second window within a few percent of
	 * the rate; it must still hold a couple of full-size frames.
	 */
	floor = r->action == MIT_ACT_RATE_BPS ? 2 * 1518 : 1;
	g->burst = r->rate / 20;
	if (g->burst < floor)
		g->burst = floor;
	/* ~1 ms of rate per loan: few atomics, little left stranded on a CPU */
	g->chunk = r->rate / 1000 / (ncpus ? ncpus : 1);
	if (g->chunk < 1)
		g->chunk = 1;
	g->tokens = g->burst;
}

/* ---- text form (dotsd-xdp rule files) ---- */

int
rules_parse_prefix(const char *s, struct mit_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long len;
	int i, bits;

	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		bits = 128;
	} else
		return -EINVAL;
	len = bits;
	if (slash) {
		errno = 0;
		len = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || len < 0 || len > bits)
			return -EINVAL;
	}
	p->len = len;
	for (i = p->len; i < bits; i++)
		p->addr[i / 8] &= ~(0x80 >> (i % 8));
	return 0;
}

static int
parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 0);
	if (errno || *end != '\0' || *v > max)
		return -EINVAL;
	return 0;
}

/* "80,443,1000-2000" */
static int
parse_ranges(const char *s, struct mit_range *r, uint8_t *n, unsigned long max)
{
	char buf[256], *tok, *save, *dash;
	unsigned long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n >= MIT_MAX_RANGES)
			return -EINVAL;
		dash = strchr(tok, '-');
		if (dash)
			*dash++ = '\0';
		if (parse_num(tok, max, &lo) != 0)
			return -EINVAL;
		hi = lo;
		if (dash && parse_num(dash, max, &hi) != 0)
			return -EINVAL;
		if (lo > hi)
			return -EINVAL;
		r[*n].lo = lo;
		r[*n].hi = hi;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

static const struct {
	const char	*name;
	uint8_t		value;
} proto_names[] = {
	{ "icmp", 1 }, { "icmpv6", 58 }, { "sctp", 132 }, { "tcp", 6 },
	{ "udp", 17 },
}, tcp_flag_names[] = {
	{ "ack", 0x10 }, { "cwr", 0x80 }, { "ece", 0x40 }, { "fin", 0x01 },
	{ "psh", 0x08 }, { "rst", 0x04 }, { "syn", 0x02 }, { "urg", 0x20 },
}, frag_names[] = {
	{ "df", MIT_FRAG_DF }, { "ff", MIT_FRAG_FF }, { "isf", MIT_FRAG_ISF },
	{ "lf", MIT_FRAG_LF },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
parse_protos(const char *s, struct mit_rule *r)
{
	char buf[128], *tok, *save;
	unsigned long v;
	size_t i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	r->nproto = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (r->nproto >= MIT_MAX_PROTO)
			return -EINVAL;
		for (i = 0; i < NELEM(proto_names); i++)
			if (strcmp(tok, proto_names[i].name) == 0)
				break;
		if (i < NELEM(proto_names))
			v = proto_names[i].value;
		else if (parse_num(tok, 255, &v) != 0)
			return -EINVAL;
		r->proto[r->nproto++] = v;
	}
	return r->nproto ? 0 : -EINVAL;
}

/* "syn,ack" or a number; "none" is 0. */
static int
parse_bits(const char *s, const __typeof__(proto_names[0]) *names,
    size_t nnames, uint8_t *out)
{
	char buf[64], *tok, *save;
	unsigned long v;
	size_t i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*out = 0;
	if (strcmp(buf, "none") == 0)
		return 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nnames; i++)
			if (strcmp(tok, names[i].name) == 0)
				break;
		if (i < nnames)
			v = names[i].value;
		else if (parse_num(tok, 255, &v) != 0)
			return -EINVAL;
		*out |= v;
	}
	return 0;
}

/* "VALUE[/MASK]"; the mask defaults to the value. */
static int
parse_value_mask(const char *s, const __typeof__(proto_names[0]) *names,
    size_t nnames, uint8_t *value, uint8_t *mask)
{
	char buf[128], *slash;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_bits(buf, names, nnames, value) != 0)
		return -EINVAL;
	*mask = *value;
	if (slash && parse_bits(slash, names, nnames, mask) != 0)
		return -EINVAL;
	return 0;
}

int
rules_parse(const char *line, struct mit_rule *r, const char **why)
{
	char buf[1024], *tok, *val, *save;
	unsigned long v;
	uint8_t n;
	int have_action = 0, have_id = 0;

	memset(r, 0, sizeof(*r));
	if (strlen(line) >= sizeof(buf)) {
		*why = "line too long";
		return -EINVAL;
	}
	strcpy(buf, line);
	for (tok = strtok_r(buf, " \t\r\n", &save); tok;
	    tok = strtok_r(NULL, " \t\r\n", &save)) {
		val = strtok_r(NULL, " \t\r\n", &save);
		*why = tok;
		if (val == NULL) {
			*why = "keyword without a value";
			return -EINVAL;
		}
		if (strcmp(tok, "id") == 0) {
			if (parse_num(val, UINT32_MAX, &v) != 0)
				return -EINVAL;
			r->id = v;
			have_id = 1;
		} else if (strcmp(tok, "dst") == 0) {
			if (rules_parse_prefix(val, &r->dst) != 0)
				return -EINVAL;
		} else if (strcmp(tok, "src") == 0) {
			if (rules_parse_prefix(val, &r->src) != 0)
				return -EINVAL;
			r->present |= MIT_F_SRC;
		} else if (strcmp(tok, "proto") == 0) {
			if (parse_protos(val, r) != 0)
				return -EINVAL;
			r->present |= MIT_F_PROTO;
		} else if (strcmp(tok, "dport") == 0) {
			if (parse_ranges(val, r->dport, &r->ndport, 65535))
				return -EINVAL;
			r->present |= MIT_F_DPORT;
		} else if (strcmp(tok, "sport") == 0) {
			if (parse_ranges(val, r->sport, &r->nsport, 65535))
				return -EINVAL;
			r->present |= MIT_F_SPORT;
		} else if (strcmp(tok, "port") == 0) {
			if (parse_ranges(val, r->port, &r->nport, 65535))
				return -EINVAL;
			r->present |= MIT_F_PORT;
		} else if (strcmp(tok, "icmp-type") == 0) {
			if (parse_ranges(val, r->icmp_type, &r->nicmp_type, 255))
				return -EINVAL;
			r->present |= MIT_F_ICMP_TYPE;
		} else if (strcmp(tok, "icmp-code") == 0) {
			if (parse_ranges(val, r->icmp_code, &r->nicmp_code, 255))
				return -EINVAL;
			r->present |= MIT_F_ICMP_CODE;
		} else if (strcmp(tok, "tcp-flags") == 0) {
			if (parse_value_mask(val, tcp_flag_names,
			    NELEM(tcp_flag_names), &r->tcp_flags_value,
			    &r->tcp_flags_mask) != 0)
				return -EINVAL;
			r->present |= MIT_F_TCP_FLAGS;
		} else if (strcmp(tok, "len") == 0) {
			if (parse_ranges(val, r->pkt_len, &r->npkt_len, 65535))
				return -EINVAL;
			r->present |= MIT_F_PKT_LEN;
		} else if (strcmp(tok, "dscp") == 0) {
			struct mit_range d[MIT_MAX_RANGES];
			int i, j;

			if (parse_ranges(val, d, &n, 63) != 0)
				return -EINVAL;
			for (i = 0; i < n; i++)
				for (j = d[i].lo; j <= d[i].hi; j++)
					r->dscp_set |= 1ULL << j;
			r->present |= MIT_F_DSCP;
		} else if (strcmp(tok, "frag") == 0) {
			if (parse_value_mask(val, frag_names, NELEM(frag_names),
			    &r->frag_value, &r->frag_mask) != 0)
				return -EINVAL;
			r->present |= MIT_F_FRAG;
		} else if (strcmp(tok, "flow-label") == 0) {
			if (parse_num(val, 0xfffff, &v) != 0)
				return -EINVAL;
			r->flow_label = v;
			r->present |= MIT_F_FLOW_LABEL;
		} else if (strcmp(tok, "action") == 0) {
			have_action = 1;
			if (strcmp(val, "drop") == 0)
				r->action = MIT_ACT_DROP;
			else if (strcmp(val, "accept") == 0)
				r->action = MIT_ACT_ACCEPT;
			else if (strcmp(val, "rate-bps") == 0 ||
			    strcmp(val, "rate-pps") == 0) {
				r->action = val[5] == 'b' ? MIT_ACT_RATE_BPS :
				    MIT_ACT_RATE_PPS;
				val = strtok_r(NULL, " \t\r\n", &save);
				if (val == NULL ||
				    parse_num(val, XDP_RL_MAX_RATE, &v) != 0)
					return -EINVAL;
				r->rate = v;
			} else
				return -EINVAL;
		} else {
			*why = "unknown keyword";
			return -EINVAL;
		}
	}
	if (!have_id || r->dst.family == 0 || !have_action) {
		*why = "a rule needs id, dst and action";
		return -EINVAL;
	}
	return rules_check(r, why) == 0 ? 0 : -EINVAL;
}

static int
fmt_ranges(char *buf, size_t len, const char *kw, const struct mit_range *r,
    uint8_t n)
{
	size_t off;
	int i;

	off = snprintf(buf, len, " %s ", kw);
	for (i = 0; i < n && off < len; i++) {
		if (r[i].lo == r[i].hi)
			off += snprintf(buf + off, len - off, "%s%u",
			    i ? "," : "", r[i].lo);
		else
			off += snprintf(buf + off, len - off, "%s%u-%u",
			    i ? "," : "", r[i].lo, r[i].hi);
	}
	return off;
}

static int
fmt_prefix(char *buf, size_t len, const char *kw, const struct mit_prefix *p)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	return snprintf(buf, len, " %s %s/%u", kw, a, p->len);
}

int
rules_format(const struct mit_rule *r, char *buf, size_t len)
{
	static const char *act[] = { "drop", "rate-bps", "rate-pps", "accept" };
	char tmp[256];
	size_t off;
	int i;

	off = snprintf(buf, len, "id %u", r->id);
#define APPEND(...) do {						\
	snprintf(tmp, sizeof(tmp), __VA_ARGS__);			\
	if (off < len)							\
		off += snprintf(buf + off, len - off, "%s", tmp);	\
} while (0)
	{
		char t[128];

		fmt_prefix(t, sizeof(t), "dst", &r->dst);
		APPEND("%s", t);
		if (r->present & MIT_F_SRC) {
			fmt_prefix(t, sizeof(t), "src", &r->src);
			APPEND("%s", t);
		}
	}
	if (r->present & MIT_F_PROTO) {
		APPEND(" proto ");
		for (i = 0; i < r->nproto; i++)
			APPEND("%s%u", i ? "," : "", r->proto[i]);
	}
	if (r->present & MIT_F_PORT) {
		char t[256];

		fmt_ranges(t, sizeof(t), "port", r->port, r->nport);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_DPORT) {
		char t[256];

		fmt_ranges(t, sizeof(t), "dport", r->dport, r->ndport);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_SPORT) {
		char t[256];

		fmt_ranges(t, sizeof(t), "sport", r->sport, r->nsport);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_ICMP_TYPE) {
		char t[256];

		fmt_ranges(t, sizeof(t), "icmp-type", r->icmp_type,
		    r->nicmp_type);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_ICMP_CODE) {
		char t[256];

		fmt_ranges(t, sizeof(t), "icmp-code", r->icmp_code,
		    r->nicmp_code);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_TCP_FLAGS)
		APPEND(" tcp-flags %u/%u", r->tcp_flags_value,
		    r->tcp_flags_mask);
	if (r->present & MIT_F_PKT_LEN) {
		char t[256];

		fmt_ranges(t, sizeof(t), "len", r->pkt_len, r->npkt_len);
		APPEND("%s", t);
	}
	if (r->present & MIT_F_DSCP) {
		int first = 1;

		APPEND(" dscp ");
		for (i = 0; i < 64; i++)
			if (r->dscp_set & (1ULL << i)) {
				APPEND("%s%d", first ? "" : ",", i);
				first = 0;
			}
	}
	if (r->present & MIT_F_FRAG)
		APPEND(" frag %u/%u", r->frag_value, r->frag_mask);
	if (r->present & MIT_F_FLOW_LABEL)
		APPEND(" flow-label %u", r->flow_label);
	APPEND(" action %s", r->action <= MIT_ACT_ACCEPT ? act[r->action] :
	    "?");
	if (r->action == MIT_ACT_RATE_BPS || r->action == MIT_ACT_RATE_PPS)
		APPEND(" %llu", (unsigned long long)r->rate);
#undef APPEND
	return off < len ? 0 : -ENOSPC;
}
