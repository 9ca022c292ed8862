/*
 * prefix.c: text <-> struct mit_prefix for the config, the requests and
 * the control socket. Kept apart from authz.c so that tests faking the
 * authorization still parse prefixes the way dotsd does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dotsd/conf.h"

static int
addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Are the bits of a beyond len all zero? */
static int
host_bits_zero(const uint8_t *a, int alen, int len)
{
	int	i;

	for (i = len; i < alen * 8; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

int
prefix_valid(const struct mit_prefix *p)
{
	return (p->family == AF_INET || p->family == AF_INET6) &&
	    p->len <= addr_len(p->family) * 8 &&
	    host_bits_zero(p->addr, addr_len(p->family), p->len);
}

int
prefix_parse(const char *s, struct mit_prefix *p)
{
	char	 a[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;
	int	 family, alen;

	if (strlen(s) >= sizeof(a))
		return -EINVAL;
	strcpy(a, s);
	memset(p, 0, sizeof(*p));
	family = strchr(a, ':') != NULL ? AF_INET6 : AF_INET;
	alen = addr_len(family);
	if ((slash = strchr(a, '/')) != NULL) {
		*slash++ = '\0';
		if (*slash < '0' || *slash > '9' ||
		    (slash[0] == '0' && slash[1] != '\0'))
			return -EINVAL;
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno != 0 || *end != '\0' || len > (unsigned)alen * 8)
			return -EINVAL;
	} else
		len = (unsigned long)alen * 8;	/* a bare address */
	if (inet_pton(family, a, p->addr) != 1)
		return -EINVAL;
	if (!host_bits_zero(p->addr, alen, (int)len))
		return -EINVAL;
	p->family = (uint8_t)family;
	p->len = (uint8_t)len;
	return 0;
}

void
prefix_format(const struct mit_prefix *p, char *buf, size_t len)
{
	char	a[INET6_ADDRSTRLEN];

	if ((p->family != AF_INET && p->family != AF_INET6) ||
	    inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL) {
		snprintf(buf, len, "(none)");
		return;
	}
	snprintf(buf, len, "%s/%u", a, p->len);
}
