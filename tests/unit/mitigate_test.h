/*
 * mitigate_test.h: helpers the mitigate_* unit tests share, to build
 * mitigations in one line each.
 */
#ifndef TESTS_UNIT_MITIGATE_TEST_H
#define TESTS_UNIT_MITIGATE_TEST_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mitigate/mitigate.h"

/* "198.18.0.1/32" or "2001:db8::/48" -> prefix; aborts the test if bad. */
static inline struct mit_prefix
pfx(const char *s)
{
	struct mit_prefix	p;
	char			buf[64], *slash;

	memset(&p, 0, sizeof(p));
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		abort();
	*slash = '\0';
	p.len = atoi(slash + 1);
	if (inet_pton(AF_INET, buf, p.addr) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p.addr) == 1)
		p.family = AF_INET6;
	else
		abort();
	return p;
}

/* A mitigation of one target, no pin, every backend allowed. */
static inline struct mitigation
mit(uint64_t id, const char *target)
{
	struct mitigation	m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	strcpy(m.client, "client1");
	m.mid = (uint32_t)id;
	m.ntargets = 1;
	m.targets[0] = pfx(target);
	m.policy.backends = MIT_WHERE_XDP | MIT_WHERE_FLOWSPEC |
	    MIT_WHERE_RTBH;
	m.policy.pin_level = -1;
	return m;
}

static inline void
add_target(struct mitigation *m, const char *target)
{
	m->targets[m->ntargets++] = pfx(target);
}

static inline void
add_port(struct mitigation *m, uint16_t lo, uint16_t hi)
{
	m->ports[m->nports].lo = lo;
	m->ports[m->nports++].hi = hi;
}

static inline void
add_proto(struct mitigation *m, uint8_t p)
{
	m->proto[m->nproto++] = p;
}

#endif
