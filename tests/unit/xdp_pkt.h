/*
 * xdp_pkt.h: builds test frames for the XDP program: Ethernet, up to two
 * VLAN tags, IPv4 (options, fragments) or IPv6 (extension headers,
 * fragment header), then TCP/UDP/ICMP. Used by the verdict test and the
 * benchmark; header-only so each links only what it tests.
 */
#ifndef TESTS_UNIT_XDP_PKT_H
#define TESTS_UNIT_XDP_PKT_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct pk {
	int		v6;
	const char	*src, *dst;
	uint8_t		proto;
	uint16_t	sport, dport;
	uint8_t		tcp_flags;
	uint8_t		icmp_type, icmp_code;
	int		vlans;		/* 0, 1 or 2 tags (802.1ad outer) */
	int		ip_opts;	/* IPv4 option bytes, multiple of 4 */
	int		frag;		/* 0 no, 1 first, 2 middle, 3 last */
	int		df;
	int		exthdrs;	/* IPv6 Destination Options headers */
	uint8_t		dscp;
	uint32_t	flow_label;
	int		payload;
	int		truncate;	/* cut this many bytes off the frame */
	int		lie_len;	/* add this to the IP length field */
	int		ihl;		/* force an IPv4 IHL (0: computed) */
};

static inline void
pk_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Returns the frame length written to buf (at least 2048 bytes). */
static inline size_t
pk_build(const struct pk *k, uint8_t *buf)
{
	uint8_t *p = buf, *ip, *l4;
	size_t l4len = 0, iplen, hlen;
	int i, nonfirst = k->frag == 2 || k->frag == 3;
	uint8_t proto = k->proto;

	memset(buf, 0, 2048);
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (k->vlans == 2) {
		pk_put16(p, 0x88a8);
		pk_put16(p + 2, 100);
		p += 4;
	}
	if (k->vlans >= 1) {
		pk_put16(p, 0x8100);
		pk_put16(p + 2, 200);
		p += 4;
	}
	pk_put16(p, k->v6 ? 0x86dd : 0x0800);
	p += 2;
	ip = p;

	if (!k->v6) {
		hlen = 20 + k->ip_opts;
		l4 = ip + hlen;
	} else {
		hlen = 40 + 8 * k->exthdrs + (k->frag ? 8 : 0);
		l4 = ip + hlen;
	}

	/* L4 header, or for a non-first fragment bytes that look like one */
	switch (proto) {
	case 6:
		pk_put16(l4, k->sport);
		pk_put16(l4 + 2, k->dport);
		l4[12] = 5 << 4;
		l4[13] = k->tcp_flags;
		l4len = 20;
		break;
	case 17:
	case 132:
		pk_put16(l4, k->sport);
		pk_put16(l4 + 2, k->dport);
		pk_put16(l4 + 4, 8 + k->payload);
		l4len = 8;
		break;
	case 1:
	case 58:
		l4[0] = k->icmp_type;
		l4[1] = k->icmp_code;
		l4len = 8;
		break;
	}
	l4len += k->payload;
	memset(l4 + l4len - k->payload, 0xab, k->payload);
	iplen = hlen + l4len;

	if (!k->v6) {
		uint16_t fo = 0;

		ip[0] = 0x40 | (k->ihl ? k->ihl : (int)(hlen / 4));
		ip[1] = k->dscp << 2;
		pk_put16(ip + 2, iplen + k->lie_len);
		pk_put16(ip + 4, 0x1234);
		if (k->df)
			fo |= 0x4000;
		if (k->frag == 1 || k->frag == 2)
			fo |= 0x2000;
		if (nonfirst)
			fo |= 100;
		pk_put16(ip + 6, fo);
		ip[8] = 64;
		ip[9] = proto;
		inet_pton(AF_INET, k->src, ip + 12);
		inet_pton(AF_INET, k->dst, ip + 16);
		for (i = 0; i < k->ip_opts; i++)
			ip[20 + i] = 1;		/* NOP */
	} else {
		uint32_t vtf = 6u << 28 | (uint32_t)(k->dscp << 2) << 20 |
		    (k->flow_label & 0xfffff);
		uint8_t *eh = ip + 40;
		uint8_t *nhp = ip + 6;

		ip[0] = vtf >> 24;
		ip[1] = vtf >> 16;
		ip[2] = vtf >> 8;
		ip[3] = vtf;
		pk_put16(ip + 4, iplen - 40 + k->lie_len);
		ip[7] = 64;
		inet_pton(AF_INET6, k->src, ip + 8);
		inet_pton(AF_INET6, k->dst, ip + 24);
		for (i = 0; i < k->exthdrs; i++) {
			*nhp = 60;
			nhp = eh;
			eh[1] = 0;
			eh[2] = 1;		/* PadN, 4 bytes of padding */
			eh[3] = 4;
			eh += 8;
		}
		if (k->frag) {
			uint16_t fo = 0;

			*nhp = 44;
			nhp = eh;
			if (nonfirst)
				fo |= 100 << 3;
			if (k->frag == 1 || k->frag == 2)
				fo |= 1;
			pk_put16(eh + 2, fo);
			eh += 8;
		}
		*nhp = proto;
	}
	return (size_t)(ip - buf) + iplen - k->truncate;
}

#endif
