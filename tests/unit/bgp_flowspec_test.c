/*
 * bgp_flowspec_test.c: RFC 8955/8956 NLRI encoding (byte-exact vectors),
 * BIRD-strict validation (tests/vectors/bgp/flowspec-validate.txt), splits,
 * the 2-byte length form and the extended communities.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sys/socket.h>

#include "bgp/flowspec.h"
#include "tests/t.h"

#define VECTORS	"tests/vectors/bgp/flowspec-validate.txt"

static const char *const err_names[FLOWSPEC_E_MAX] = {
	[FLOWSPEC_OK] = "ok",
	[FLOWSPEC_E_TRUNC] = "TRUNC",
	[FLOWSPEC_E_LENGTH] = "LENGTH",
	[FLOWSPEC_E_EMPTY] = "EMPTY",
	[FLOWSPEC_E_TYPE] = "TYPE",
	[FLOWSPEC_E_ORDER] = "ORDER",
	[FLOWSPEC_E_PREFIX] = "PREFIX",
	[FLOWSPEC_E_AND_FIRST] = "AND_FIRST",
	[FLOWSPEC_E_RESERVED] = "RESERVED",
	[FLOWSPEC_E_VALUE_LEN] = "VALUE_LEN",
	[FLOWSPEC_E_VALUE] = "VALUE",
	[FLOWSPEC_E_DF6] = "DF6",
	[FLOWSPEC_E_LABEL4] = "LABEL4",
	[FLOWSPEC_E_NO_DST] = "NO_DST",
};

static size_t
hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t	n = 0;

	while (*hex && *hex != '#' && n < max) {
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
prefix4(struct mit_prefix *p, const char *a, int len)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = len;
	inet_pton(AF_INET, a, p->addr);
}

static void
prefix6(struct mit_prefix *p, const char *a, int len)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->len = len;
	inet_pton(AF_INET6, a, p->addr);
}

static struct flowspec_nlri	nl[FLOWSPEC_MAX_SPLIT];

/* Encodes r into exactly one NLRI and compares it with hex. */
static void
expect_nlri(const struct mit_rule *r, const char *hex)
{
	uint8_t	want[512];
	size_t	n = hex2bin(hex, want, sizeof(want)), used;

	T_EQ(flowspec_encode(r, FLOWSPEC_MAX_LEN, nl, FLOWSPEC_MAX_SPLIT), 1);
	if (nl[0].len != n) {
		size_t i;

		for (i = 0; i < nl[0].len; i++)
			printf("%02x ", nl[0].buf[i]);
		printf("\n");
	}
	T_EQ(nl[0].len, n);
	T_MEMEQ(nl[0].buf, want, n);
	T_EQ(flowspec_validate(r->dst.family == AF_INET ? 1 : 2, nl[0].buf,
	    nl[0].len, &used), FLOWSPEC_OK);
	T_EQ(used, n);
}

static void
t_vectors_file(void)
{
	FILE	*f = fopen(VECTORS, "r");
	char	line[1024], expect[32];
	uint8_t	buf[512];
	int	afi, off, r, i, count = 0;
	size_t	n, used;

	T_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		T_ASSERT(sscanf(line, "%d %31s %n", &afi, expect, &off) == 2);
		n = hex2bin(line + off, buf, sizeof(buf));
		r = flowspec_validate(afi, buf, n, &used);
		for (i = 0; i < FLOWSPEC_E_MAX; i++)
			if (err_names[i] && strcmp(err_names[i], expect) == 0)
				break;
		T_ASSERT(i < FLOWSPEC_E_MAX);
		if (r != i)
			T_FAIL("%s: got %s", line, err_names[r]);
		if (r == FLOWSPEC_OK)
			T_EQ(used, n);
		count++;
	}
	fclose(f);
	T_ASSERT(count >= 25);
}

/* Every truncation of a valid NLRI fails cleanly (t_validation4 style). */
static void
t_truncations(void)
{
	FILE	*f = fopen(VECTORS, "r");
	char	line[1024], expect[32];
	uint8_t	buf[512], *copy;
	int	afi, off;
	size_t	n, k, used;

	T_ASSERT(f != NULL);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		T_ASSERT(sscanf(line, "%d %31s %n", &afi, expect, &off) == 2);
		if (strcmp(expect, "ok") != 0)
			continue;
		n = hex2bin(line + off, buf, sizeof(buf));
		for (k = 0; k < n; k++) {
			/* exact-size heap copy so ASan sees any overread */
			copy = malloc(k ? k : 1);
			memcpy(copy, buf, k);
			T_ASSERT(flowspec_validate(afi, copy, k, &used) !=
			    FLOWSPEC_OK);
			free(copy);
		}
	}
	fclose(f);
}

static void
t_rfc8955_examples(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	/* §4.3 ex.1: dst 192.0.2.0/24, proto 6, port 25 */
	prefix4(&r.dst, "192.0.2.0", 24);
	r.present = MIT_F_PROTO | MIT_F_PORT;
	r.nproto = 1;
	r.proto[0] = 6;
	r.nport = 1;
	r.port[0] = (struct mit_range){ 25, 25 };
	expect_nlri(&r, "0b 01 18 c0 00 02 03 81 06 04 81 19");

	/* ex.2: + src 203.0.113.0/24, port >=137&<=139 or 8080, no proto */
	memset(&r, 0, sizeof(r));
	prefix4(&r.dst, "192.0.2.0", 24);
	prefix4(&r.src, "203.0.113.0", 24);
	r.present = MIT_F_SRC | MIT_F_PORT;
	r.nport = 2;
	r.port[0] = (struct mit_range){ 8080, 8080 };	/* sorted on output */
	r.port[1] = (struct mit_range){ 137, 139 };
	expect_nlri(&r,
	    "12 01 18 c0 00 02 02 18 cb 00 71 04 03 89 45 8b 91 1f 90");
}

static void
t_rfc8956_dst(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	/* RFC 8956 §3.8 ex.1 without its src (we always use offset 0) */
	prefix6(&r.dst, "2001:db8::", 32);
	r.present = MIT_F_PROTO;
	r.nproto = 1;
	r.proto[0] = 6;
	expect_nlri(&r, "0a 01 20 00 20 01 0d b8 03 81 06");
}

static void
t_all_components4(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	prefix4(&r.dst, "198.18.5.0", 24);
	r.present = MIT_F_PROTO | MIT_F_DPORT | MIT_F_TCP_FLAGS;
	r.nproto = 1;
	r.proto[0] = 6;
	r.ndport = 3;
	r.dport[0] = (struct mit_range){ 443, 443 };
	r.dport[1] = (struct mit_range){ 8000, 8080 };
	r.dport[2] = (struct mit_range){ 80, 80 };
	r.tcp_flags_mask = 0x12;	/* SYN set, ACK clear */
	r.tcp_flags_value = 0x02;
	expect_nlri(&r, "19 01 18 c6 12 05 03 81 06 05 01 50 11 01 bb 13 1f "
	    "40 d5 1f 90 09 01 02 c2 10");

	memset(&r, 0, sizeof(r));
	r.kind = MIT_KIND_FLOW;
	prefix4(&r.dst, "198.18.6.1", 32);
	prefix4(&r.src, "198.19.0.0", 16);
	r.present = MIT_F_SRC | MIT_F_PORT | MIT_F_SPORT | MIT_F_ICMP_TYPE |
	    MIT_F_ICMP_CODE | MIT_F_PKT_LEN | MIT_F_DSCP | MIT_F_FRAG;
	r.nport = 1;
	r.port[0] = (struct mit_range){ 0, 1023 };	/* <=1023 */
	r.nsport = 1;
	r.sport[0] = (struct mit_range){ 1024, 65535 };	/* >=1024 */
	r.nicmp_type = 1;
	r.icmp_type[0] = (struct mit_range){ 8, 8 };
	r.nicmp_code = 1;
	r.icmp_code[0] = (struct mit_range){ 0, 0 };
	r.npkt_len = 1;
	r.pkt_len[0] = (struct mit_range){ 500, 1500 };
	r.dscp_set = (1ULL << 10) | (1ULL << 11) | (1ULL << 12) | (1ULL << 46);
	r.frag_mask = MIT_FRAG_ISF;
	r.frag_value = MIT_FRAG_ISF;
	expect_nlri(&r, "29 01 20 c6 12 06 01 02 10 c6 13 04 95 03 ff 06 93 04 "
	    "00 07 81 08 08 81 00 0a 13 01 f4 d5 05 dc 0b 03 0a 45 0c 81 2e "
	    "0c 81 02");
}

static void
t_all_components6(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	prefix6(&r.dst, "2001:db8:1::", 48);
	prefix6(&r.src, "2001:db8:2::", 64);
	r.present = MIT_F_SRC | MIT_F_PROTO | MIT_F_FLOW_LABEL | MIT_F_FRAG;
	r.nproto = 2;
	r.proto[0] = 17;
	r.proto[1] = 58;
	r.frag_mask = MIT_FRAG_FF | MIT_FRAG_LF;	/* neither */
	r.frag_value = 0;
	r.flow_label = 0x12345;
	expect_nlri(&r, "22 01 30 00 20 01 0d b8 00 01 02 40 00 20 01 0d b8 00 "
	    "02 00 00 03 01 11 81 3a 0c 82 0c 0d a1 00 01 23 45");
}

/* Host bits set in the rule never reach the wire. */
static void
t_host_bits(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	prefix4(&r.dst, "192.0.2.255", 24);
	expect_nlri(&r, "05 01 18 c0 00 02");
}

/* A component covering its whole domain is left out. */
static void
t_full_range_omitted(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	prefix4(&r.dst, "192.0.2.0", 24);
	r.present = MIT_F_DPORT;
	r.ndport = 2;
	r.dport[0] = (struct mit_range){ 0, 40000 };
	r.dport[1] = (struct mit_range){ 40001, 65535 };
	expect_nlri(&r, "05 01 18 c0 00 02");
}

static void
t_rejects(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };

	prefix6(&r.dst, "2001:db8::", 32);
	r.present = MIT_F_FRAG;
	r.frag_mask = MIT_FRAG_DF;
	T_EQ(flowspec_encode(&r, 239, nl, 4), -EINVAL);

	memset(&r, 0, sizeof(r));
	prefix4(&r.dst, "192.0.2.0", 24);
	r.present = MIT_F_FLOW_LABEL;
	r.flow_label = 1;
	T_EQ(flowspec_encode(&r, 239, nl, 4), -EINVAL);

	memset(&r, 0, sizeof(r));
	prefix4(&r.dst, "192.0.2.0", 24);
	r.present = MIT_F_DPORT;
	r.ndport = 1;
	r.dport[0] = (struct mit_range){ 90, 80 };
	T_EQ(flowspec_encode(&r, 239, nl, 4), -EINVAL);

	memset(&r, 0, sizeof(r));
	r.kind = MIT_KIND_RTBH;
	prefix4(&r.dst, "192.0.2.0", 24);
	T_EQ(flowspec_encode(&r, 239, nl, 4), -EINVAL);
}

/* A rule as large as mit_rule allows. */
static void
big_rule(struct mit_rule *r)
{
	int	i;

	memset(r, 0, sizeof(*r));
	r->kind = MIT_KIND_FLOW;
	prefix6(&r->dst, "2001:db8:1:2:3:4:5:6", 128);
	prefix6(&r->src, "2001:db8:ffff:2:3:4:5:6", 128);
	r->present = MIT_F_SRC | MIT_F_PROTO | MIT_F_PORT | MIT_F_DPORT |
	    MIT_F_SPORT | MIT_F_ICMP_TYPE | MIT_F_ICMP_CODE | MIT_F_PKT_LEN |
	    MIT_F_DSCP | MIT_F_TCP_FLAGS | MIT_F_FLOW_LABEL;
	r->nproto = MIT_MAX_PROTO;
	for (i = 0; i < MIT_MAX_PROTO; i++)
		r->proto[i] = 10 * i + 1;
	r->nport = r->ndport = r->nsport = r->npkt_len = MIT_MAX_RANGES;
	r->nicmp_type = r->nicmp_code = MIT_MAX_RANGES;
	for (i = 0; i < MIT_MAX_RANGES; i++) {
		r->port[i] = (struct mit_range){ 1000 * i + 300, 1000 * i + 310 };
		r->dport[i] = (struct mit_range){ 2000 * i + 300,
		    2000 * i + 400 };
		r->sport[i] = (struct mit_range){ 3000 * i + 300,
		    3000 * i + 500 };
		r->pkt_len[i] = (struct mit_range){ 100 * i + 300,
		    100 * i + 350 };
		r->icmp_type[i] = (struct mit_range){ 20 * i + 1,
		    20 * i + 3 };
		r->icmp_code[i] = (struct mit_range){ 20 * i + 1,
		    20 * i + 1 };
	}
	r->dscp_set = 0x5555555555555555ULL;	/* 32 runs */
	r->tcp_flags_mask = 0x3f;
	r->tcp_flags_value = 0x02;
	r->flow_label = 0xfffff;
}

/* Bodies of 240+ use the 0xfnnn form when allowed. */
static void
t_two_byte_length(void)
{
	struct mit_rule	r;
	size_t		used, body;
	int		n;

	big_rule(&r);
	n = flowspec_encode(&r, FLOWSPEC_MAX_LEN_RFC, nl, FLOWSPEC_MAX_SPLIT);
	T_EQ(n, 1);
	T_EQ(nl[0].buf[0] & 0xf0, 0xf0);
	body = (size_t)(nl[0].buf[0] & 0x0f) << 8 | nl[0].buf[1];
	T_ASSERT(body >= 240);
	T_EQ(nl[0].len, body + 2);
	T_EQ(flowspec_validate(2, nl[0].buf, nl[0].len, &used), FLOWSPEC_OK);
	T_EQ(used, nl[0].len);
}

/* Counts the dscp values a split set covers, to check the union. */
static void
t_split_interop(void)
{
	struct mit_rule	r;
	size_t		used;
	int		n, i;

	big_rule(&r);
	n = flowspec_encode(&r, FLOWSPEC_MAX_LEN, nl, FLOWSPEC_MAX_SPLIT);
	T_ASSERT(n > 1);
	for (i = 0; i < n; i++) {
		/* gobgpd 3.10 / ExaBGP 4.2: 1-byte length only */
		T_ASSERT(nl[i].buf[0] <= FLOWSPEC_MAX_LEN);
		T_EQ(nl[i].len, nl[i].buf[0] + 1);
		T_EQ(flowspec_validate(2, nl[i].buf, nl[i].len, &used),
		    FLOWSPEC_OK);
	}
	/* the worst rule fits the split budget exactly */
	T_ASSERT(n <= FLOWSPEC_MAX_SPLIT);
	/* a tighter limit splits further, still valid */
	r.present = MIT_F_DPORT | MIT_F_SPORT;
	n = flowspec_encode(&r, 60, nl, FLOWSPEC_MAX_SPLIT);
	T_ASSERT(n > 2);
	for (i = 0; i < n; i++) {
		T_ASSERT(nl[i].buf[0] <= 60);
		T_EQ(flowspec_validate(2, nl[i].buf, nl[i].len, &used),
		    FLOWSPEC_OK);
	}
}

/* The split halves match exactly the original port list, no more. */
static void
t_split_union(void)
{
	struct mit_rule	r = { .kind = MIT_KIND_FLOW };
	int		n, i, terms = 0;

	prefix4(&r.dst, "192.0.2.0", 24);
	r.present = MIT_F_DPORT;
	r.ndport = 8;
	for (i = 0; i < 8; i++)
		r.dport[i] = (struct mit_range){ 100 + 10 * i, 100 + 10 * i };
	/* 5 bytes dst + type + 8 * 2 = 22; limit 12 forces 4 NLRIs */
	n = flowspec_encode(&r, 12, nl, FLOWSPEC_MAX_SPLIT);
	T_EQ(n, 4);
	for (i = 0; i < n; i++) {
		/* dst(5) type(1) and two "=port" terms */
		T_EQ(nl[i].len, 1 + 5 + 1 + 4);
		T_EQ(nl[i].buf[6], 0x05);
		T_EQ(nl[i].buf[7], 0x01);
		T_EQ(nl[i].buf[9], 0x81);
		T_EQ(nl[i].buf[8], 100 + 20 * i);
		T_EQ(nl[i].buf[10], 110 + 20 * i);
		terms += 2;
	}
	T_EQ(terms, 8);
	/* nothing left to split: -E2BIG */
	T_EQ(flowspec_encode(&r, 4, nl, FLOWSPEC_MAX_SPLIT), -E2BIG);
}

/* Whatever we encode passes the BIRD-strict validator. */
static void
t_random_rules_validate(void)
{
	struct mit_rule	r;
	size_t		used;
	int		k, i, n, j;

	srandom(42);
	for (k = 0; k < 3000; k++) {
		int v6 = random() & 1;

		memset(&r, 0, sizeof(r));
		r.kind = MIT_KIND_FLOW;
		if (v6)
			prefix6(&r.dst, "2001:db8::", random() % 129);
		else
			prefix4(&r.dst, "198.18.0.0", random() % 33);
		for (i = 0; i < 16; i++)
			r.dst.addr[i] = random();
		r.present = random() & 0x0fff;
		if (!v6)
			r.present &= ~MIT_F_FLOW_LABEL;
		r.src = r.dst;
		r.src.len = random() % (v6 ? 129 : 33);
		r.nproto = random() % (MIT_MAX_PROTO + 1);
		for (i = 0; i < r.nproto; i++)
			r.proto[i] = random();
#define RANDR(arr, cnt, max) do {					\
	r.cnt = random() % (MIT_MAX_RANGES + 1);			\
	for (i = 0; i < r.cnt; i++) {					\
		uint16_t a = random() % ((max) + 1), b = random() % ((max) + 1); \
		r.arr[i] = (struct mit_range){ a < b ? a : b, a < b ? b : a }; \
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
		r.tcp_flags_mask = random();
		r.tcp_flags_value = random();
		r.frag_mask = random() & (v6 ? 0x0e : 0x0f);
		r.frag_value = random() & 0x0f;
		r.flow_label = random() & 0xfffff;
		n = flowspec_encode(&r, FLOWSPEC_MAX_LEN, nl,
		    FLOWSPEC_MAX_SPLIT);
		T_ASSERT(n >= 1);
		for (j = 0; j < n; j++) {
			int res = flowspec_validate(v6 ? 2 : 1, nl[j].buf,
			    nl[j].len, &used);

			if (res != FLOWSPEC_OK)
				T_FAIL("rule %d part %d: %s", k, j,
				    flowspec_strerror(res));
			T_EQ(used, nl[j].len);
			T_ASSERT(nl[j].len <= FLOWSPEC_MAX_LEN + 1);
		}
	}
}

static void
t_ext_communities(void)
{
	uint8_t	ec[8];

	flowspec_ec_rate_bytes(ec, 65000, 0);
	T_MEMEQ(ec, "\x80\x06\xfd\xe8\x00\x00\x00\x00", 8);
	flowspec_ec_rate_bytes(ec, 65000, 125000.0f);
	T_MEMEQ(ec, "\x80\x06\xfd\xe8\x47\xf4\x24\x00", 8);
	flowspec_ec_rate_pkts(ec, 0, 1000.0f);
	T_MEMEQ(ec, "\x80\x0c\x00\x00\x44\x7a\x00\x00", 8);
	flowspec_ec_action(ec, 1, 0);
	T_MEMEQ(ec, "\x80\x07\x00\x00\x00\x00\x00\x02", 8);
	flowspec_ec_action(ec, 0, 1);
	T_MEMEQ(ec, "\x80\x07\x00\x00\x00\x00\x00\x01", 8);
	flowspec_ec_redirect(ec, 65000, 666);
	T_MEMEQ(ec, "\x80\x08\xfd\xe8\x00\x00\x02\x9a", 8);
	flowspec_ec_redirect(ec, 4200000000u, 666);
	T_MEMEQ(ec, "\x82\x08\xfa\x56\xea\x00\x02\x9a", 8);
	flowspec_ec_marking(ec, 46);
	T_MEMEQ(ec, "\x80\x09\x00\x00\x00\x00\x00\x2e", 8);
}

static void
t_disjoint(void)
{
	struct mit_rule	a = { .kind = MIT_KIND_FLOW }, b;

	prefix4(&a.dst, "198.18.0.0", 24);
	b = a;
	T_EQ(flowspec_disjoint(&a, &b), 0);
	prefix4(&b.dst, "198.18.1.0", 24);
	T_EQ(flowspec_disjoint(&a, &b), 1);
	prefix4(&b.dst, "198.18.0.7", 32);
	T_EQ(flowspec_disjoint(&a, &b), 0);	/* inside */
	b.present = MIT_F_SRC;
	prefix4(&b.src, "198.19.0.1", 32);
	T_EQ(flowspec_disjoint(&a, &b), 0);	/* a has no src: overlaps */
	a.present = MIT_F_DPORT;
	a.ndport = 1;
	a.dport[0] = (struct mit_range){ 80, 80 };
	b.present |= MIT_F_DPORT;
	b.ndport = 1;
	b.dport[0] = (struct mit_range){ 443, 443 };
	T_EQ(flowspec_disjoint(&a, &b), 1);
	b.dport[0] = (struct mit_range){ 1, 100 };
	T_EQ(flowspec_disjoint(&a, &b), 0);
	prefix6(&b.dst, "2001:db8::", 32);
	T_EQ(flowspec_disjoint(&a, &b), 1);
}

int
main(void)
{
	T_RUN(t_vectors_file);
	T_RUN(t_truncations);
	T_RUN(t_rfc8955_examples);
	T_RUN(t_rfc8956_dst);
	T_RUN(t_all_components4);
	T_RUN(t_all_components6);
	T_RUN(t_host_bits);
	T_RUN(t_full_range_omitted);
	T_RUN(t_rejects);
	T_RUN(t_two_byte_length);
	T_RUN(t_split_interop);
	T_RUN(t_split_union);
	T_RUN(t_random_rules_validate);
	T_RUN(t_ext_communities);
	T_RUN(t_disjoint);
	return t_done();
}
