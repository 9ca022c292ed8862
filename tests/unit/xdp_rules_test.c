/*
 * xdp_rules_test.c: xdp/rules.c alone: the rule-file grammar, the checks,
 * the compiled map value and the RFC 8955 §5.1 order. No BPF needed.
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

int
main(void)
{
	T_RUN(t_parse_format_roundtrip);
	T_RUN(t_parse_rejects);
	T_RUN(t_check);
	T_RUN(t_action);
	T_RUN(t_order);
	T_RUN(t_bucket);
	return t_done();
}
