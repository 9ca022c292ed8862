/*
 * body.h: what the upstream backend says to and hears from an upstream
 * DOTS server, as wire JSON (RFC 9132 §4.4, §4.5). No I/O, no libcoap:
 * unit-tested on its own (tests/unit/upstream_body_test.c).
 */
#ifndef UPSTREAM_BODY_H
#define UPSTREAM_BODY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mitigate/mitigate.h"

/* What the upstream says of one of our requests (one scope entry). */
struct up_report {
	uint32_t	mid;
	int		status;		/* RFC 9132 §4.4.2 status, 0 absent */
	uint64_t	bytes_dropped, pkts_dropped;
	uint64_t	bps_dropped, pps_dropped;
};

/*
 * The mitigation-scope body of a PUT asking the upstream to mitigate
 * what rs covers: the union of its destinations, ports and protocols
 * (a mitigation's rules are the cross product of those, so the union is
 * its scope; a rule without ports or protocols widens to all). Source
 * narrowing is not sent: the upstream then mitigates every source, a
 * superset. New reference, or NULL with err.
 */
json_t	*upbody_request(const struct mit_ruleset *rs, int64_t lifetime,
	    char *err, size_t errlen);
/*
 * Finds the reports in a GET answer or notification body; calls fn for
 * each scope entry with a mid. Returns how many, or -EBADMSG with err
 * when the body is no mitigation-scope.
 */
int	upbody_reports(const json_t *body,
	    void (*fn)(const struct up_report *, void *), void *arg,
	    char *err, size_t errlen);
/*
 * RFC 9132 §4.4.2 status -> enum mit_state + 1 as struct mit_stats'
 * remote_state holds it (0: the value says nothing of the upstream's
 * mitigation, e.g. 5, our own withdrawal being processed).
 */
int	upbody_state(int status);
/*
 * What stats() reports for one request: the upstream's counters and
 * state when it has reported (rep non-NULL), else nothing (zeros).
 */
void	upbody_stats(const struct up_report *rep, struct mit_stats *st);
/* The heartbeat body (RFC 9132 §4.7); new reference. */
json_t	*upbody_heartbeat(int peer_hb_status);
/*
 * Heartbeat interval and missing-hb-allowed of a session configuration
 * (RFC 9132 §4.5.2), mitigating or idle. Leaves the values unchanged
 * when absent; 0, or -EBADMSG.
 */
int	upbody_config(const json_t *body, int mitigating, unsigned *hb,
	    unsigned *missing);

#endif
