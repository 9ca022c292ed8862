/*
 * mitreq_engine.c: hands requests to the mitigation engine
 * (mitigate/mitigate.h) and takes them back. A request's explicit and
 * resolved targets, its ports and protocols become one struct mitigation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dotsd/mitreq_int.h"
#include "lib/log.h"

void
mitreq_engine_build(const struct mreq *m, struct mitigation *mit)
{
	int	i;

	memset(mit, 0, sizeof(*mit));
	mit->id = m->id;
	snprintf(mit->client, sizeof(mit->client), "%s", m->client->name);
	mit->mid = m->mid;
	for (i = 0; i < m->rq.nprefix; i++)
		mitreq_parse_prefix_add(mit->targets, &mit->ntargets,
		    MIT_MAX_TARGETS, &m->rq.prefix[i]);
	for (i = 0; i < m->naddr; i++)
		mitreq_parse_prefix_add(mit->targets, &mit->ntargets,
		    MIT_MAX_TARGETS, &m->addr[i]);
	mit->nports = m->rq.nports;
	memcpy(mit->ports, m->rq.ports, sizeof(mit->ports));
	mit->nproto = m->rq.nproto;
	memcpy(mit->proto, m->rq.proto, sizeof(mit->proto));
	/* RFC 9066 / RFC 9244 sources: narrow every target (OR of them) */
	mit->nsources = m->rq.nsources;
	memcpy(mit->sources, m->rq.sources, sizeof(mit->sources));
	mit->nsource_ports = m->rq.nsource_ports;
	memcpy(mit->source_ports, m->rq.source_ports,
	    sizeof(mit->source_ports));
	mit->nicmp_type = m->rq.nicmp_type;
	memcpy(mit->icmp_type, m->rq.icmp_type, sizeof(mit->icmp_type));
	mit->policy = m->client->policy;
}

int
mitreq_engine_ntargets(const struct mreq *m)
{
	struct mitigation mit;

	mitreq_engine_build(m, &mit);
	return mit.ntargets;
}

/* Hands m to the engine. 0 or -errno with err filled. */
int
mitreq_engine_hand(struct mreq *m, char *err, size_t errlen)
{
	struct mitigation mit;
	int		 rc;

	mitreq_engine_build(m, &mit);
	if (mit.ntargets == 0) {
		snprintf(err, errlen, "no target address to mitigate");
		return -EDESTADDRREQ;
	}
	if ((rc = engine_apply(&mit, err, errlen)) < 0)
		return rc;
	m->in_engine = 1;
	if (mitreq_engine_recorded(m))
		log_info("mitigation %s/%s/%u: recorded, not enforced (no "
		    "backend configured)", m->client->name, m->cuid, m->mid);
	return 0;
}

/* Is m only recorded by the engine, with no backend to enforce it? */
int
mitreq_engine_recorded(const struct mreq *m)
{
	struct mit_status st;

	return m->in_engine && engine_status(m->id, &st) == 0 &&
	    st.state == MIT_ST_RECORDED;
}

void
mitreq_engine_take(struct mreq *m)
{
	struct mit_status st;

	if (!m->in_engine)
		return;
	if (engine_status(m->id, &st) == 0) {
		m->last = st;
		m->have_last = 1;
	}
	if (engine_withdraw(m->id) < 0)
		log_warnx("mitigation %" PRIu64 ": engine withdraw failed",
		    m->id);
	m->in_engine = 0;
}
