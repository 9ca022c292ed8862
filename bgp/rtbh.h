/*
 * rtbh.h: RFC 7999 / RFC 5635 remotely triggered black hole routes: the
 * unicast NLRI of a destination and its communities. No I/O, no logs.
 */
#ifndef BGP_RTBH_H
#define BGP_RTBH_H

#include <stddef.h>
#include <stdint.h>

#include "mitigate/mitigate.h"

#define RTBH_NLRI_MAX	17	/* length byte + 16 octets */

/*
 * Checks r (kind MIT_KIND_RTBH) against the shortest prefixes allowed.
 * Returns 0, -EINVAL (bad family or length), or -EPERM (too short).
 */
int	rtbh_check(const struct mit_rule *r, int min_len4, int min_len6);
/* Writes the unicast NLRI of p (RFC 4271 §4.3) to out; returns its size. */
int	rtbh_nlri(const struct mit_prefix *p, uint8_t out[RTBH_NLRI_MAX]);
/*
 * Fills comms with BLACKHOLE, NO_EXPORT (RFC 7999 §3.2) and then the
 * per-peer extras, without duplicates. Returns the count (at most max).
 */
int	rtbh_communities(uint32_t *comms, int max, const uint32_t *extra,
	    int nextra);

#endif
