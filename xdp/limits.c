/*
 * limits.c: the XDP backend's compiled-in limits, as dotsd -nv shows them
 * (xdp_backend.limits). The values come from the constants that define
 * them, so the text follows the code.
 */
#include <stdio.h>

#include "xdp/xdp.h"

const char *
xdp_limits(void)
{
	static char	buf[96];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "rules-covering-a-prefix %d, "
		    "rules-per-group %d", XDP_CLASS_RULES,
		    MIT_MAX_GROUP_RULES);
	return buf;
}
