/*
 * bgp_rtbh_test.c: RTBH prefixes against their minimum lengths, the NLRI
 * bytes and the RFC 7999 communities with per-peer extras.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "bgp/msg.h"
#include "bgp/rtbh.h"
#include "tests/t.h"

static void
rule(struct mit_rule *r, int family, const char *a, int len)
{
	memset(r, 0, sizeof(*r));
	r->kind = MIT_KIND_RTBH;
	r->dst.family = family;
	r->dst.len = len;
	inet_pton(family, a, r->dst.addr);
}

static void
t_check(void)
{
	struct mit_rule	r;

	rule(&r, AF_INET, "198.18.7.7", 32);
	T_EQ(rtbh_check(&r, 32, 128), 0);
	rule(&r, AF_INET, "198.18.7.0", 24);
	T_EQ(rtbh_check(&r, 32, 128), -EPERM);
	T_EQ(rtbh_check(&r, 24, 128), 0);
	rule(&r, AF_INET6, "2001:db8::1", 128);
	T_EQ(rtbh_check(&r, 32, 128), 0);
	rule(&r, AF_INET6, "2001:db8::", 64);
	T_EQ(rtbh_check(&r, 32, 128), -EPERM);
	T_EQ(rtbh_check(&r, 32, 64), 0);
	rule(&r, AF_INET, "198.18.7.7", 33);
	T_EQ(rtbh_check(&r, 0, 0), -EINVAL);
	rule(&r, 0, "", 0);
	T_EQ(rtbh_check(&r, 0, 0), -EINVAL);
	rule(&r, AF_INET, "198.18.7.7", 32);
	r.kind = MIT_KIND_FLOW;
	T_EQ(rtbh_check(&r, 0, 0), -EINVAL);
}

static void
t_nlri(void)
{
	struct mit_rule	r;
	uint8_t		b[RTBH_NLRI_MAX];

	rule(&r, AF_INET, "198.18.7.7", 32);
	T_EQ(rtbh_nlri(&r.dst, b), 5);
	T_MEMEQ(b, "\x20\xc6\x12\x07\x07", 5);
	rule(&r, AF_INET, "198.18.7.255", 25);	/* host bits cleared */
	T_EQ(rtbh_nlri(&r.dst, b), 5);
	T_MEMEQ(b, "\x19\xc6\x12\x07\x80", 5);
	rule(&r, AF_INET6, "2001:db8:7::7", 128);
	T_EQ(rtbh_nlri(&r.dst, b), 17);
	T_MEMEQ(b, "\x80\x20\x01\x0d\xb8\x00\x07", 7);
	T_EQ(b[16], 7);
}

static void
t_communities(void)
{
	uint32_t	c[8], extra[] = { 0xfde9029a, BGP_COMM_NO_EXPORT,
	    0xfde90001 };

	T_EQ(rtbh_communities(c, 8, NULL, 0), 2);
	T_EQ(c[0], 0xffff029a);		/* 65535:666 */
	T_EQ(c[1], 0xffffff01);		/* NO_EXPORT */
	T_EQ(rtbh_communities(c, 8, extra, 3), 4);	/* no duplicate */
	T_EQ(c[2], 0xfde9029a);
	T_EQ(c[3], 0xfde90001);
	T_EQ(rtbh_communities(c, 3, extra, 3), 3);	/* bounded */
}

int
main(void)
{
	T_RUN(t_check);
	T_RUN(t_nlri);
	T_RUN(t_communities);
	return t_done();
}
