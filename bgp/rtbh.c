/*
 * rtbh.c: RTBH announcements (RFC 7999 BLACKHOLE, RFC 5635): host routes
 * by default, shorter prefixes only within the configured minimum.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "bgp/msg.h"
#include "bgp/rtbh.h"

int
rtbh_check(const struct mit_rule *r, int min_len4, int min_len6)
{
	const struct mit_prefix	*p = &r->dst;

	if (r->kind != MIT_KIND_RTBH)
		return -EINVAL;
	if (p->family == AF_INET) {
		if (p->len > 32)
			return -EINVAL;
		if (p->len < min_len4)
			return -EPERM;
	} else if (p->family == AF_INET6) {
		if (p->len > 128)
			return -EINVAL;
		if (p->len < min_len6)
			return -EPERM;
	} else
		return -EINVAL;
	return 0;
}

int
rtbh_nlri(const struct mit_prefix *p, uint8_t out[RTBH_NLRI_MAX])
{
	int	n = (p->len + 7) / 8;

	out[0] = p->len;
	memcpy(out + 1, p->addr, n);
	if (p->len % 8)	/* host bits are zero on the wire */
		out[n] &= 0xff << (8 - p->len % 8);
	return 1 + n;
}

int
rtbh_communities(uint32_t *comms, int max, const uint32_t *extra,
    int nextra)
{
	int	n = 0, i, j;

	if (max < 2)
		return 0;
	comms[n++] = BGP_COMM_BLACKHOLE;
	/* RFC 7999 §3.2: the route must not leave the neighbouring AS */
	comms[n++] = BGP_COMM_NO_EXPORT;
	for (i = 0; i < nextra && n < max; i++) {
		for (j = 0; j < n; j++)
			if (comms[j] == extra[i])
				break;
		if (j == n)
			comms[n++] = extra[i];
	}
	return n;
}
