/*
 * uri.c: the server URI of a signal channel client, coaps://host[:port]
 * (DTLS) or coaps+tcp://host[:port] (TLS, RFC 8323 §8.2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/chan.h"

/* coaps://host[:port] or coaps+tcp://host[:port]; IPv6 in brackets. */
int
server_uri_parse(const char *uri, struct server_uri *su)
{
	const char	*p, *end, *colon;
	char		*num_end;
	long long	 port = DOTS_PORT;
	size_t		 hlen;

	memset(su, 0, sizeof(*su));
	if (strncmp(uri, "coaps://", 8) == 0)
		p = uri + 8;
	else if (strncmp(uri, "coaps+tcp://", 12) == 0) {
		p = uri + 12;
		su->tcp = 1;
	} else
		return -EINVAL;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL)
			return -EINVAL;
		hlen = (size_t)(end - p - 1);
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && end[1] != ':' &&
		    strcmp(end + 1, "/") != 0)
			return -EINVAL;
	} else {
		colon = strchr(p, ':');
		hlen = colon ? (size_t)(colon - p) : strcspn(p, "/");
		if (!colon && p[hlen] != '\0' && strcmp(p + hlen, "/") != 0)
			return -EINVAL;
	}
	if (hlen == 0 || hlen >= sizeof(su->host))
		return -EINVAL;
	memcpy(su->host, p, hlen);
	su->host[hlen] = '\0';
	if (colon != NULL) {
		char	buf[8];
		size_t	plen = strcspn(colon + 1, "/");

		if (plen == 0 || plen >= sizeof(buf) ||
		    (colon[1 + plen] != '\0' &&
		    strcmp(colon + 1 + plen, "/") != 0))
			return -EINVAL;
		memcpy(buf, colon + 1, plen);
		buf[plen] = '\0';
		errno = 0;
		port = strtoll(buf, &num_end, 10);
		if (errno != 0 || *num_end != '\0' || buf[0] < '0' ||
		    buf[0] > '9' || port < 1 || port > 65535)
			return -EINVAL;
	}
	su->port = (uint16_t)port;
	return 0;
}
