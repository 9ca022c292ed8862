/*
 * xdp_rules_test.c: xdp/rules.c and xdp/classify.c alone: the rule-file
 * grammar, the checks, the RFC 8955 §5.1 order, and the prefix-class
 * compiler against a plain first-match over random rules and packets.
 * No BPF needed.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/t.h"
#include "xdp/xdp.h"

static struct mit_rule
parse_ok(const char *line)
{
	struct mit_rule r;
	const char *why = "";

	if (rules_parse(line, &r, &why) != 0)
		T_FAIL("\"%s\": %s", line, why);
	return r;
}

static void
t_parse_format_roundtrip(void)
{
	static const char *lines[] = {
		"id 1 dst 198.18.0.0/15 action drop",
		"id 2 dst 198.18.1.0/24 src 198.19.0.0/16 proto 6,17 "
		    "dport 53,1000-2000 action rate-pps 1000",
		"id 3 dst 2001:db8::/32 port 80 sport 1-1023 icmp-type 128 "
		    "icmp-code 0 tcp-flags 2/18 len 64-1500 dscp 10,46 "
		    "frag 2/6 flow-label 77 action accept",
		"id 4 dst 198.18.0.1/32 action rate-bps 125000",
	};
	char buf[1024];
	struct mit_rule a, b;
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		a = parse_ok(lines[i]);
		T_EQ(rules_format(&a, buf, sizeof(buf)), 0);
		b = parse_ok(buf);
		T_MEMEQ(&a, &b, sizeof(a));
	}
}

static void
t_parse_rejects(void)
{
	static const char *bad[] = {
		"dst 198.18.0.0/15 action drop",		/* no id */
		"id 1 action drop",				/* no dst */
		"id 1 dst 198.18.0.0/15",			/* no action */
		"id 1 dst 198.18.0.0/33 action drop",
		"id 1 dst 198.18.0.0/15 dport 70000 action drop",
		"id 1 dst 198.18.0.0/15 dport 20-10 action drop",
		"id 1 dst 198.18.0.0/15 dport 1,2,3,4,5,6,7,8,9 action drop",
		"id 1 dst 198.18.0.0/15 src 2001:db8::/32 action drop",
		"id 1 dst 198.18.0.0/15 flow-label 1 action drop",
		"id 1 dst 198.18.0.0/15 tcp-flags syn,ack/syn action drop",
		"id 1 dst 198.18.0.0/15 action rate-pps",
		"id 1 dst 198.18.0.0/15 action explode",
		"id 1 dst 198.18.0.0/15 colour red action drop",
		"id 1 dst 198.18.0.0/15 proto",
		"id 1 dst 198.18.0.0/15 dscp 64 action drop",
	};
	struct mit_rule r;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rules_parse(bad[i], &r, &why) == 0)
			T_FAIL("accepted \"%s\"", bad[i]);
}

static void
t_check(void)
{
	struct mit_rule r = parse_ok("id 1 dst 198.18.0.0/15 action drop");
	const char *why;

	T_EQ(rules_check(&r, &why), 0);
	r.kind = MIT_KIND_RTBH;
	T_EQ(rules_check(&r, &why), -EOPNOTSUPP);
	r.kind = MIT_KIND_FLOW;
	r.dst.addr[3] = 1;			/* host bits set */
	T_EQ(rules_check(&r, &why), -EINVAL);
}

static void
t_action(void)
{
	struct mit_rule r = parse_ok("id 1 dst 198.18.0.0/15 "
	    "src 198.19.128.0/17 dport 53 action rate-pps 0");

	T_EQ(rules_action(&r), XDP_ACT_DROP);	/* rate 0 = drop */
	r.rate = 1;
	T_EQ(rules_action(&r), XDP_ACT_RATE_PPS);
}

/* RFC 8955 §5.1: each pair is listed in precedence order. */
static void
t_order(void)
{
	static const char *pairs[][2] = {
		/* more specific destination first */
		{ "id 9 dst 198.18.1.0/24 action drop",
		  "id 1 dst 198.18.0.0/16 action accept" },
		/* disjoint: lower address first */
		{ "id 9 dst 198.18.1.0/24 action drop",
		  "id 1 dst 198.18.2.0/24 action drop" },
		/* same dst: having a source prefix first */
		{ "id 9 dst 198.18.1.0/24 src 198.19.0.0/16 action drop",
		  "id 1 dst 198.18.1.0/24 proto 17 action drop" },
		/* same dst: a rule with a lower component type first */
		{ "id 9 dst 198.18.1.0/24 proto 17 action drop",
		  "id 1 dst 198.18.1.0/24 dport 53 action drop" },
		{ "id 9 dst 198.18.1.0/24 proto 17 dport 53 action accept",
		  "id 1 dst 198.18.1.0/24 proto 17 action drop" },
		/* same components: memcmp of the values */
		{ "id 9 dst 198.18.1.0/24 proto 6 action drop",
		  "id 1 dst 198.18.1.0/24 proto 17 action drop" },
		/* common prefix equal: the longer string first */
		{ "id 9 dst 198.18.1.0/24 proto 6,17 action drop",
		  "id 1 dst 198.18.1.0/24 proto 6 action drop" },
		/* all equal: the lower id */
		{ "id 1 dst 198.18.1.0/24 action drop",
		  "id 2 dst 198.18.1.0/24 action accept" },
	};
	struct mit_rule a, b;
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		a = parse_ok(pairs[i][0]);
		b = parse_ok(pairs[i][1]);
		if (rules_cmp(&a, &b) >= 0 || rules_cmp(&b, &a) <= 0)
			T_FAIL("pair %zu in the wrong order", i);
	}
}

static void
t_bucket(void)
{
	struct mit_rule r = parse_ok("id 1 dst 198.18.0.0/15 "
	    "action rate-bps 1000000");
	struct xdp_gbucket g;

	rules_bucket(&r, 2, &g);
	T_EQ(g.rate, 1000000);
	T_EQ(g.burst, 50000);
	T_EQ(g.chunk, 500);
	T_EQ(g.tokens, 50000);
	r = parse_ok("id 1 dst 198.18.0.0/15 action rate-bps 100");
	rules_bucket(&r, 2, &g);
	T_EQ(g.burst, 2 * 1518);		/* two full frames at least */
}

/* ---- the class compiler against a reference first match ---- */

static uint32_t rnd_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static uint16_t
rnd_val(uint32_t max)
{
	/* a few values, so that rules and packets collide often */
	static const uint16_t some[] = { 0, 1, 2, 53, 80, 443, 1000, 65535 };

	return some[rnd(8)] % (max + 1);
}

static void
rnd_ranges(struct mit_range *r, uint8_t *n, uint32_t max)
{
	int i;

	*n = 1 + rnd(3);
	for (i = 0; i < *n; i++) {
		r[i].lo = rnd_val(max);
		r[i].hi = rnd(3) ? r[i].lo : rnd_val(max);
		if (r[i].hi < r[i].lo) {
			uint16_t t = r[i].lo;

			r[i].lo = r[i].hi;
			r[i].hi = t;
		}
	}
}

static void
rnd_rule(struct mit_rule *r, uint32_t id, int v6)
{
	static const uint8_t protos[] = { 1, 6, 17, 58, 132 };
	int i;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->action = rnd(4);
	r->dst.family = v6 ? AF_INET6 : AF_INET;
	if (rnd(4) == 0) {
		r->present |= MIT_F_SRC;
		r->src.family = r->dst.family;
		r->src.len = rnd(v6 ? 129 : 33);
		r->src.addr[0] = 198;
		r->src.addr[1] = rnd(2) ? 19 : 18;
		r->src.addr[2] = rnd(2) ? 0 : 128;
		r->src.addr[v6 ? 15 : 3] = rnd(2);
		for (i = r->src.len; i < (v6 ? 128 : 32); i++)
			r->src.addr[i / 8] &= ~(0x80 >> (i % 8));
	}
	if (rnd(3) == 0) {
		r->present |= MIT_F_PROTO;
		r->nproto = 1 + rnd(2);
		for (i = 0; i < r->nproto; i++)
			r->proto[i] = protos[rnd(5)];
	}
	if (rnd(3) == 0) {
		r->present |= MIT_F_DPORT;
		rnd_ranges(r->dport, &r->ndport, 65535);
	}
	if (rnd(5) == 0) {
		r->present |= MIT_F_SPORT;
		rnd_ranges(r->sport, &r->nsport, 65535);
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_PORT;
		rnd_ranges(r->port, &r->nport, 65535);
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_ICMP_TYPE;
		rnd_ranges(r->icmp_type, &r->nicmp_type, 255);
	}
	if (rnd(8) == 0) {
		r->present |= MIT_F_ICMP_CODE;
		rnd_ranges(r->icmp_code, &r->nicmp_code, 255);
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_TCP_FLAGS;
		r->tcp_flags_mask = rnd(256);
		r->tcp_flags_value = rnd(256) & r->tcp_flags_mask;
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_PKT_LEN;
		rnd_ranges(r->pkt_len, &r->npkt_len, 65535);
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_DSCP;
		r->dscp_set = 1ULL << rnd(64) | 1ULL << rnd(64);
	}
	if (rnd(6) == 0) {
		r->present |= MIT_F_FRAG;
		r->frag_mask = rnd(16);
		r->frag_value = rnd(16) & r->frag_mask;
	}
	if (v6 && rnd(8) == 0) {
		r->present |= MIT_F_FLOW_LABEL;
		r->flow_label = rnd(3);
	}
}

static int
in(const struct mit_range *r, int n, unsigned int v)
{
	int i;

	for (i = 0; i < n; i++)
		if (v >= r[i].lo && v <= r[i].hi)
			return 1;
	return 0;
}

/* What dotsd.bpf.c's match used to do rule by rule. */
static int
ref_match(const struct mit_rule *r, const struct class_pkt *p,
    const uint8_t *src)
{
	uint16_t f = r->present;
	int i, bits = p->family == 6 ? 128 : 32;
	unsigned int dp = p->v[2], sp = p->v[3];

	if (f & MIT_F_SRC)
		for (i = 0; i < r->src.len && i < bits; i++)
			if (((src[i / 8] ^ r->src.addr[i / 8]) >>
			    (7 - i % 8)) & 1)
				return 0;
	if ((f & MIT_F_PROTO) && !memchr(r->proto, (int)p->v[1], r->nproto))
		return 0;
	if ((f & (MIT_F_DPORT | MIT_F_SPORT | MIT_F_PORT)) && !p->has[2])
		return 0;
	if ((f & MIT_F_DPORT) && !in(r->dport, r->ndport, dp))
		return 0;
	if ((f & MIT_F_SPORT) && !in(r->sport, r->nsport, sp))
		return 0;
	if ((f & MIT_F_PORT) && !in(r->port, r->nport, dp) &&
	    !in(r->port, r->nport, sp))
		return 0;
	if ((f & (MIT_F_ICMP_TYPE | MIT_F_ICMP_CODE)) && !p->has[5])
		return 0;
	if ((f & MIT_F_ICMP_TYPE) &&
	    !in(r->icmp_type, r->nicmp_type, p->v[5]))
		return 0;
	if ((f & MIT_F_ICMP_CODE) &&
	    !in(r->icmp_code, r->nicmp_code, p->v[6]))
		return 0;
	if ((f & MIT_F_TCP_FLAGS) && (!p->has[7] ||
	    (p->v[7] & r->tcp_flags_mask) != r->tcp_flags_value))
		return 0;
	if ((f & MIT_F_PKT_LEN) && !in(r->pkt_len, r->npkt_len, p->v[8]))
		return 0;
	if ((f & MIT_F_DSCP) && !((r->dscp_set >> p->v[9]) & 1))
		return 0;
	if ((f & MIT_F_FRAG) && (p->v[10] & r->frag_mask) != r->frag_value)
		return 0;
	if ((f & MIT_F_FLOW_LABEL) && p->v[11] != r->flow_label)
		return 0;
	return 1;
}

static void
rnd_pkt(struct class_pkt *p, uint8_t *src, int v6)
{
	static const uint8_t protos[] = { 1, 6, 17, 58, 132, 47 };
	int i, l4;

	memset(p, 0, sizeof(*p));
	memset(src, 0, 16);
	p->family = v6 ? 6 : 4;
	src[0] = 198;
	src[1] = rnd(2) ? 19 : 18;
	src[2] = rnd(2) ? 0 : 128 + rnd(2);
	src[v6 ? 15 : 3] = rnd(3);
	for (i = 0; i < (v6 ? 16 : 4); i++)
		p->v[0] = p->v[0] << 8 | src[i];
	p->v[1] = protos[rnd(6)];
	l4 = rnd(5) != 0;	/* else a non-first fragment */
	for (i = 0; i < XDP_NFIELDS; i++)
		p->has[i] = 1;
	p->has[2] = p->has[3] = p->has[4] = l4 && (p->v[1] == 6 ||
	    p->v[1] == 17 || p->v[1] == 132);
	p->has[5] = p->has[6] = l4 && p->v[1] == (v6 ? 58 : 1);
	p->has[7] = l4 && p->v[1] == 6;
	if (p->has[2]) {
		p->v[2] = rnd_val(65535) + rnd(2);
		p->v[3] = rnd_val(65535);
	}
	if (p->has[5]) {
		p->v[5] = rnd_val(255);
		p->v[6] = rnd_val(255);
	}
	if (p->has[7])
		p->v[7] = rnd(256);
	p->v[8] = rnd_val(65535) + rnd(2);
	p->v[9] = rnd(64);
	p->v[10] = rnd(16);
	if (v6)
		p->v[11] = rnd(3);
}

static int
rule_cmp_ptr(const void *a, const void *b)
{
	return rules_cmp(a, b);
}

static void
t_class_random(void)
{
	static struct mit_rule rules[700];
	static struct cref refs[700];
	static uint64_t words[1 << 20];
	struct class_image img;
	struct class_pkt p;
	uint8_t src[16];
	const char *why;
	uint32_t round, n, i, k, want, fails = 0;
	long got;
	int v6;

	for (round = 0; round < 60; round++) {
		v6 = round % 2;
		n = round < 10 ? 1 + round : 1 + rnd(round < 50 ? 200 : 700);
		for (i = 0; i < n; i++)
			rnd_rule(&rules[i], i + 1, v6);
		qsort(rules, n, sizeof(rules[0]), rule_cmp_ptr);
		for (i = 0; i < n; i++) {
			refs[i].r = &rules[i];
			refs[i].ctr = 1000 + i;
		}
		T_EQ(class_build(refs, n, v6 ? AF_INET6 : AF_INET, &img, &why),
		    0);
		T_ASSERT(img.len + 8 <= sizeof(words) / sizeof(words[0]));
		memset(words, 0, sizeof(words));
		class_place(&img, 8, 0);
		memcpy(words + 8, img.w, img.len * sizeof(words[0]));
		for (k = 0; k < 3000; k++) {
			rnd_pkt(&p, src, v6);
			for (want = 0; want < n; want++)
				if (ref_match(&rules[want], &p, src))
					break;
			got = class_eval(words, 8, &p);
			if (got != (want < n ? (long)want : -1L) && fails++ < 5)
				printf("  round %u (%u rules): packet %u: rule "
				    "%ld, expected %d\n", round, n, k, got,
				    want < n ? (int)want : -1);
			/* the rule word names the counter slot */
			if (got >= 0 && (uint32_t)words[words[9] + got] !=
			    1000 + (uint32_t)got)
				fails++;
		}
		class_free(&img);
	}
	T_EQ(fails, 0);
}

/* More rules than a class holds: refused, with the reason. */
static void
t_class_limit(void)
{
	static struct mit_rule r;
	static struct cref refs[XDP_CLASS_RULES + 1];
	struct class_image img;
	const char *why = NULL;
	uint32_t i;

	r = parse_ok("id 1 dst 198.18.0.0/15 dport 53 action drop");
	for (i = 0; i <= XDP_CLASS_RULES; i++)
		refs[i].r = &r;
	T_EQ(class_build(refs, XDP_CLASS_RULES, AF_INET, &img, &why), 0);
	T_ASSERT(img.len > XDP_CLASS_RULES);
	class_free(&img);
	T_EQ(class_build(refs, XDP_CLASS_RULES + 1, AF_INET, &img, &why),
	    -E2BIG);
	T_ASSERT(why != NULL && strstr(why, "4096") != NULL);
	T_EQ(class_build(refs, 0, AF_INET, &img, &why), 0);
	T_EQ(img.len, 0);
}

int
main(void)
{
	T_RUN(t_parse_format_roundtrip);
	T_RUN(t_parse_rejects);
	T_RUN(t_check);
	T_RUN(t_action);
	T_RUN(t_order);
	T_RUN(t_bucket);
	T_RUN(t_class_random);
	T_RUN(t_class_limit);
	return t_done();
}
