/*
 * bgp_flowspec_decode_test.c: the receive side of flowspec: received NLRI
 * -> exact rule or the reason it cannot be one
 * (tests/vectors/bgp/flowspec-decode.txt), actions from extended
 * communities, every truncation, and random rules surviving encode ->
 * decode -> encode byte for byte.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "bgp/flowspec.h"
#include "tests/t.h"

#define VECTORS	"tests/vectors/bgp/flowspec-decode.txt"

static const char *const rx_names[FLOWSPEC_RX_MAX] = {
	[FLOWSPEC_RX_OK] = "ok",
	[FLOWSPEC_RX_NO_DST] = "NO_DST",
	[FLOWSPEC_RX_OFFSET] = "OFFSET",
	[FLOWSPEC_RX_TERMS] = "TERMS",
	[FLOWSPEC_RX_BITMASK] = "BITMASK",
	[FLOWSPEC_RX_LABEL] = "LABEL",
	[FLOWSPEC_RX_NEVER] = "NEVER",
	[FLOWSPEC_RX_REDIRECT] = "REDIRECT",
	[FLOWSPEC_RX_SAMPLE] = "SAMPLE",
	[FLOWSPEC_RX_NONTERMINAL] = "NONTERMINAL",
	[FLOWSPEC_RX_RATE] = "RATE",
};

static size_t
hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t	n = 0;

	while (*hex && *hex != '#' && *hex != '|' && n < max) {
		if (isspace((unsigned char)*hex)) {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2hhx", &out[n]) != 1)
			break;
		n++;
		hex += 2;
	}
	return n;
}

static void
put(char *buf, size_t len, const char *fmt, ...)
{
	size_t	used = strlen(buf);
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void
put_ranges(char *buf, size_t len, const char *kw, const struct mit_range *r,
    int n)
{
	int	i;

	put(buf, len, " %s ", kw);
	for (i = 0; i < n; i++)
		if (r[i].lo == r[i].hi)
			put(buf, len, "%s%u", i ? "," : "", r[i].lo);
		else
			put(buf, len, "%s%u-%u", i ? "," : "", r[i].lo, r[i].hi);
}

static void
put_prefix(char *buf, size_t len, const char *kw, const struct mit_prefix *p)
{
	char	a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	put(buf, len, "%s%s %s/%u", buf[0] ? " " : "", kw, a, p->len);
}

/* The rule in the words of the vector file. */
static void
rule_text(const struct mit_rule *r, char *buf, size_t len)
{
	int	i;

	buf[0] = '\0';
	put_prefix(buf, len, "dst", &r->dst);
	if (r->present & MIT_F_SRC)
		put_prefix(buf, len, "src", &r->src);
	if (r->present & MIT_F_PROTO) {
		put(buf, len, " proto ");
		for (i = 0; i < r->nproto; i++)
			put(buf, len, "%s%u", i ? "," : "", r->proto[i]);
	}
	if (r->present & MIT_F_PORT)
		put_ranges(buf, len, "port", r->port, r->nport);
	if (r->present & MIT_F_DPORT)
		put_ranges(buf, len, "dport", r->dport, r->ndport);
	if (r->present & MIT_F_SPORT)
		put_ranges(buf, len, "sport", r->sport, r->nsport);
	if (r->present & MIT_F_ICMP_TYPE)
		put_ranges(buf, len, "icmp-type", r->icmp_type, r->nicmp_type);
	if (r->present & MIT_F_ICMP_CODE)
		put_ranges(buf, len, "icmp-code", r->icmp_code, r->nicmp_code);
	if (r->present & MIT_F_TCP_FLAGS)
		put(buf, len, " tcp 0x%02x/0x%02x", r->tcp_flags_value,
		    r->tcp_flags_mask);
	if (r->present & MIT_F_PKT_LEN)
		put_ranges(buf, len, "length", r->pkt_len, r->npkt_len);
	if (r->present & MIT_F_DSCP)
		put(buf, len, " dscp 0x%llx", (unsigned long long)r->dscp_set);
	if (r->present & MIT_F_FRAG)
		put(buf, len, " frag 0x%02x/0x%02x", r->frag_value,
		    r->frag_mask);
	if (r->present & MIT_F_FLOW_LABEL)
		put(buf, len, " label %u", r->flow_label);
}

static void
t_vectors_file(void)
{
	FILE		*f = fopen(VECTORS, "r");
	char		 line[1024], expect[32], text[512], *want;
	uint8_t		 buf[512];
	struct mit_rule	 r;
	size_t		 n, used;
	int		 afi, off, i, res, count = 0;

	T_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		T_ASSERT(sscanf(line, "%d %31s %n", &afi, expect, &off) == 2);
		n = hex2bin(line + off, buf, sizeof(buf));
		/* the receive side decodes only what validation accepted */
		if (flowspec_validate(afi, buf, n, &used) != FLOWSPEC_OK ||
		    used != n)
			T_FAIL("%s: does not validate", line);
		for (i = 0; i < FLOWSPEC_RX_MAX; i++)
			if (strcmp(rx_names[i], expect) == 0)
				break;
		T_ASSERT(i < FLOWSPEC_RX_MAX);
		res = flowspec_decode(afi, buf, n, &r);
		if (res != i)
			T_FAIL("%s: got %s", line, rx_names[res]);
		if (res != FLOWSPEC_RX_OK)
			continue;
		T_ASSERT((want = strchr(line, '|')) != NULL);
		want++;
		while (*want == ' ')
			want++;
		rule_text(&r, text, sizeof(text));
		if (strcmp(text, want) != 0)
			T_FAIL("%s: got \"%s\"", line, text);
		T_EQ(r.kind, MIT_KIND_FLOW);
		count++;
	}
	fclose(f);
	T_ASSERT(count >= 15);
}

/* Every prefix of a valid NLRI given as if whole: no crash, no overread. */
static void
t_truncations(void)
{
	static const uint8_t nlri[] = { 0x12, 0x01, 0x18, 0xc0, 0x00, 0x02,
	    0x02, 0x18, 0xcb, 0x00, 0x71, 0x04, 0x03, 0x89, 0x45, 0x8b, 0x91,
	    0x1f, 0x90 };
	struct mit_rule	r;
	uint8_t		*copy;
	size_t		 n;

	for (n = 0; n < sizeof(nlri); n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, nlri, n);
		(void)flowspec_decode(1, copy, n, &r);
		free(copy);
	}
}

static void
ec(uint8_t *p, uint8_t type, uint8_t sub, uint32_t hi, uint32_t lo)
{
	p[0] = type;
	p[1] = sub;
	p[2] = hi >> 8;
	p[3] = hi;
	p[4] = lo >> 24;
	p[5] = lo >> 16;
	p[6] = lo >> 8;
	p[7] = lo;
}

static uint32_t
fbits(float f)
{
	uint32_t	b;

	memcpy(&b, &f, 4);
	return b;
}

static void
t_actions(void)
{
	struct mit_rule	r;
	uint8_t		e[4 * 8];

	memset(&r, 0, sizeof(r));
	T_EQ(flowspec_actions(NULL, 0, &r), FLOWSPEC_RX_OK);
	T_EQ(r.action, MIT_ACT_ACCEPT);	/* RFC 8955 §7: default accept */
	ec(e, 0x80, 0x06, 64511, 0);
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_OK);
	T_EQ(r.action, MIT_ACT_DROP);
	ec(e, 0x80, 0x06, 0, fbits(125000.0f));
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_OK);
	T_EQ(r.action, MIT_ACT_RATE_BPS);
	T_EQ(r.rate, 125000);
	ec(e, 0x80, 0x0c, 0, fbits(1000.0f));
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_OK);
	T_EQ(r.action, MIT_ACT_RATE_PPS);
	T_EQ(r.rate, 1000);
	ec(e, 0x80, 0x06, 0, fbits(0.25f));	/* not rounded to a drop */
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_OK);
	T_EQ(r.rate, 1);
	/* a route target and a terminal traffic-action change nothing */
	ec(e, 0x00, 0x02, 64511, 7);
	ec(e + 8, 0x80, 0x07, 0, 0);
	ec(e + 16, 0x80, 0x06, 0, 0);
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_OK);
	T_EQ(r.action, MIT_ACT_DROP);
	ec(e + 8, 0x80, 0x07, 0, 2);		/* sample */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_SAMPLE);
	ec(e + 8, 0x80, 0x07, 0, 1);		/* terminal bit: go on */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_NONTERMINAL);
	ec(e + 8, 0x80, 0x08, 64511, 100);	/* redirect */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_REDIRECT);
	ec(e + 8, 0x82, 0x08, 64511, 100);	/* 4-octet AS redirect */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_REDIRECT);
	ec(e + 8, 0x80, 0x09, 0, 46);		/* marking */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_REDIRECT);
	ec(e + 8, 0x80, 0x0c, 0, fbits(5.0f));	/* two rates */
	T_EQ(flowspec_actions(e, 3, &r), FLOWSPEC_RX_RATE);
	ec(e, 0x80, 0x06, 0, fbits(-1.0f));
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_RATE);
	ec(e, 0x80, 0x06, 0, 0x7fc00000);	/* NaN */
	T_EQ(flowspec_actions(e, 1, &r), FLOWSPEC_RX_RATE);
}

/* encode -> decode -> encode gives the same bytes for random rules. */
static void
t_random_roundtrip(void)
{
	static struct flowspec_nlri a[FLOWSPEC_MAX_SPLIT], b[FLOWSPEC_MAX_SPLIT];
	struct mit_rule	r, d;
	int		k, i, n, j, m, v6;

	srandom(7);
	for (k = 0; k < 3000; k++) {
		v6 = random() & 1;
		memset(&r, 0, sizeof(r));
		r.kind = MIT_KIND_FLOW;
		r.dst.family = r.src.family = v6 ? AF_INET6 : AF_INET;
		r.dst.len = random() % (v6 ? 129 : 33);
		r.src.len = random() % (v6 ? 129 : 33);
		for (i = 0; i < 16; i++) {
			r.dst.addr[i] = random();
			r.src.addr[i] = random();
		}
		r.present = random() & 0x0fff;
		if (!v6)
			r.present &= ~MIT_F_FLOW_LABEL;
		/* ports imply TCP/UDP: give those rules a subset of them */
		r.nproto = 1 + random() % MIT_MAX_PROTO;
		for (i = 0; i < r.nproto; i++)
			r.proto[i] = random();
		if (r.present & (MIT_F_PORT | MIT_F_DPORT | MIT_F_SPORT)) {
			r.present |= MIT_F_PROTO;
			r.nproto = 1 + (random() & 1);
			r.proto[0] = r.nproto == 2 ? 6 : (random() & 1) ? 6 : 17;
			r.proto[1] = 17;
		}
#define RANDR(arr, cnt, max) do {					\
	r.cnt = 1 + random() % MIT_MAX_RANGES;				\
	for (i = 0; i < r.cnt; i++) {					\
		uint16_t x = random() % ((max) + 1), y = random() % ((max) + 1); \
		r.arr[i] = (struct mit_range){ x < y ? x : y, x < y ? y : x }; \
	}								\
} while (0)
		RANDR(port, nport, 65535);
		RANDR(dport, ndport, 65535);
		RANDR(sport, nsport, 65535);
		RANDR(icmp_type, nicmp_type, 255);
		RANDR(icmp_code, nicmp_code, 255);
		RANDR(pkt_len, npkt_len, 65535);
#undef RANDR
		r.dscp_set = (uint64_t)random() << 32 | random();
		if (r.dscp_set == 0)
			r.dscp_set = 1;
		r.tcp_flags_mask = random();
		r.tcp_flags_value = random();
		r.frag_mask = random() & (v6 ? 0x0e : 0x0f);
		r.frag_value = random() & 0x0f;
		r.flow_label = random() & 0xfffff;
		n = flowspec_encode(&r, FLOWSPEC_MAX_LEN, a, FLOWSPEC_MAX_SPLIT);
		T_ASSERT(n >= 1);
		for (j = 0; j < n; j++) {
			int res = flowspec_decode(v6 ? 2 : 1, a[j].buf,
			    a[j].len, &d);

			if (res != FLOWSPEC_RX_OK)
				T_FAIL("rule %d part %d: %s", k, j,
				    flowspec_rx_strerror(res));
			m = flowspec_encode(&d, FLOWSPEC_MAX_LEN_RFC, b, 1);
			T_EQ(m, 1);
			if (b[0].len != a[j].len ||
			    memcmp(b[0].buf, a[j].buf, a[j].len) != 0)
				T_FAIL("rule %d part %d: re-encoded differs", k,
				    j);
		}
	}
}

int
main(void)
{
	T_RUN(t_vectors_file);
	T_RUN(t_truncations);
	T_RUN(t_actions);
	T_RUN(t_random_roundtrip);
	return t_done();
}
