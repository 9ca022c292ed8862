/*
 * upstream_body_test.c: the upstream backend's bodies (upstream/body.c):
 * a group's rules -> the PUT scope, reports out of GET answers and
 * notifications, RFC 9132 status -> engine state, session config.
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "upstream/body.h"

static char	err[256];

static struct mit_rule
rule(const char *dst, uint8_t proto, uint16_t lo, uint16_t hi)
{
	struct mit_rule	r;

	memset(&r, 0, sizeof(r));
	r.dst = pfx(dst);
	if (proto) {
		r.present |= MIT_F_PROTO;
		r.nproto = 1;
		r.proto[0] = proto;
	}
	if (lo) {
		r.present |= MIT_F_DPORT;
		r.ndport = 1;
		r.dport[0].lo = lo;
		r.dport[0].hi = hi;
	}
	return r;
}

static void
t_request_union(void)
{
	static struct mit_ruleset rs;
	json_t	*b, *sc;
	char	*txt;

	rs.group = 4 << 2 | 1;
	rs.nrules = 3;
	rs.rules[0] = rule("198.18.0.1/32", 17, 53, 53);
	rs.rules[1] = rule("198.18.0.2/32", 17, 53, 53);
	rs.rules[2] = rule("2001:db8::/48", 17, 1000, 2000);
	T_ASSERT((b = upbody_request(&rs, 600, err, sizeof(err))) != NULL);
	sc = json_array_get(json_object_get(json_object_get(b,
	    "ietf-dots-signal-channel:mitigation-scope"), "scope"), 0);
	txt = json_dumps(sc, JSON_SORT_KEYS | JSON_COMPACT);
	T_STREQ(txt, "{\"lifetime\":600,\"target-port-range\":"
	    "[{\"lower-port\":53},{\"lower-port\":1000,\"upper-port\":2000}],"
	    "\"target-prefix\":[\"198.18.0.1/32\",\"198.18.0.2/32\","
	    "\"2001:db8::/48\"],\"target-protocol\":[17]}");
	free(txt);
	json_decref(b);
}

/* One rule without ports widens the request to every port. */
static void
t_request_widens(void)
{
	static struct mit_ruleset rs;
	json_t	*b, *sc;

	rs.nrules = 2;
	rs.rules[0] = rule("198.18.0.1/32", 6, 80, 80);
	rs.rules[1] = rule("198.18.0.1/32", 0, 0, 0);
	T_ASSERT((b = upbody_request(&rs, 600, err, sizeof(err))) != NULL);
	sc = json_array_get(json_object_get(json_object_get(b,
	    "ietf-dots-signal-channel:mitigation-scope"), "scope"), 0);
	T_ASSERT(json_object_get(sc, "target-port-range") == NULL);
	T_ASSERT(json_object_get(sc, "target-protocol") == NULL);
	T_EQ(json_array_size(json_object_get(sc, "target-prefix")), 1);
	json_decref(b);
	rs.nrules = 0;
	T_ASSERT(upbody_request(&rs, 600, err, sizeof(err)) == NULL);
}

static struct up_report	got[4];
static int		ngot;

static void
collect(const struct up_report *r, void *arg)
{
	if (ngot < 4)
		got[ngot++] = *r;
}

static void
t_reports(void)
{
	json_t	*b = json_loads("{\"ietf-dots-signal-channel:"
	    "mitigation-scope\":{\"scope\":[{\"mid\":12,\"status\":2,"
	    "\"bytes-dropped\":\"18446744073709551615\",\"pkts-dropped\":7,"
	    "\"bps-dropped\":\"100\",\"pps-dropped\":1},{\"status\":2},"
	    "{\"mid\":13,\"pkts-dropped\":\"-1\"}]}}", 0, NULL);

	T_ASSERT(b != NULL);
	ngot = 0;
	T_EQ(upbody_reports(b, collect, NULL, err, sizeof(err)), 2);
	T_EQ(got[0].mid, 12);
	T_EQ(got[0].status, 2);
	T_EQ(got[0].bytes_dropped, UINT64_MAX);
	T_EQ(got[0].pkts_dropped, 7);
	T_EQ(got[0].bps_dropped, 100);
	T_EQ(got[1].mid, 13);
	T_EQ(got[1].status, 0);
	T_EQ(got[1].pkts_dropped, 0);	/* a negative string is no count */
	json_decref(b);
	b = json_loads("{\"ietf-dots-signal-channel:heartbeat\":{}}", 0,
	    NULL);
	T_EQ(upbody_reports(b, collect, NULL, err, sizeof(err)), -EBADMSG);
	json_decref(b);
}

static void
t_status_map(void)
{
	struct up_report	rep = { .mid = 1, .status = 2,
				    .pkts_dropped = 9, .bps_dropped = 3 };
	struct mit_stats	st;

	T_EQ(upbody_state(0), 0);
	T_EQ(upbody_state(1), MIT_ST_PENDING + 1);
	T_EQ(upbody_state(2), MIT_ST_ACTIVE + 1);
	T_EQ(upbody_state(3), MIT_ST_ACTIVE + 1);
	T_EQ(upbody_state(4), MIT_ST_EXCEEDED + 1);
	T_EQ(upbody_state(5), 0);
	T_EQ(upbody_state(6), MIT_ST_FAILED + 1);
	T_EQ(upbody_state(7), MIT_ST_FAILED + 1);
	T_EQ(upbody_state(8), MIT_ST_PENDING + 1);
	T_EQ(upbody_state(9), 0);
	upbody_stats(&rep, &st);
	T_EQ(st.remote_state, MIT_ST_ACTIVE + 1);
	T_EQ(st.pkts_dropped, 9);
	T_EQ(st.remote_bps_dropped, 3);
	upbody_stats(NULL, &st);
	T_EQ(st.remote_state, 0);
	rep.status = 5;		/* our own withdrawal: says nothing */
	upbody_stats(&rep, &st);
	T_EQ(st.pkts_dropped, 0);
}

static void
t_config(void)
{
	json_t		*b = json_loads("{\"ietf-dots-signal-channel:"
	    "signal-config\":{\"mitigating-config\":{\"heartbeat-interval\":"
	    "{\"current-value\":15},\"missing-hb-allowed\":{\"current-value\":"
	    "3}},\"idle-config\":{\"heartbeat-interval\":{\"current-value\":"
	    "0}}}}", 0, NULL);
	unsigned	 hb = 30, missing = 15;

	T_EQ(upbody_config(b, 1, &hb, &missing), 0);
	T_EQ(hb, 15);
	T_EQ(missing, 3);
	hb = 30;
	T_EQ(upbody_config(b, 0, &hb, &missing), 0);
	T_EQ(hb, 30);		/* 0 is out of range: kept */
	json_decref(b);
}

int
main(void)
{
	T_RUN(t_request_union);
	T_RUN(t_request_widens);
	T_RUN(t_reports);
	T_RUN(t_status_map);
	T_RUN(t_config);
	return t_done();
}
