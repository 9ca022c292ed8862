/*
 * mitigate_counters_test.c: backend stats -> status counters and rates
 * (mitigate/counters.c), directly and through the engine with counters
 * injected into the null backends.
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "mitigate/internal.h"
#include "mitigate/null.h"

static char	err[256];

static struct mit_stats
stats(uint64_t pd, uint64_t bd, uint64_t pp, uint64_t bp)
{
	struct mit_stats	st = { .pkts_dropped = pd, .bytes_dropped = bd,
				    .pkts_passed = pp, .bytes_passed = bp };

	return st;
}

static void
t_totals_and_rates(void)
{
	struct counters		c;
	struct mit_stats	st;
	struct mit_status	s;

	counters_init(&c, 1000);
	st = stats(100, 10000, 50, 5000);
	counters_update(&c, &st, 1001);
	T_EQ(c.pps, 0);			/* one sample: no rate yet */
	st = stats(300, 30000, 150, 15000);
	counters_update(&c, &st, 1002);
	/* Attack rate counts dropped and passed: 200 + 100 pkts in 1 s. */
	T_EQ(c.pps, 300);
	T_EQ(c.bps, 30000);
	memset(&s, 0, sizeof(s));
	counters_status(&c, 1002, &s);
	T_EQ(s.pkts_dropped, 300);
	T_EQ(s.bytes_dropped, 30000);
	/* Average since start (2 s), dropped only. */
	T_EQ(s.pps_dropped, 150);
	T_EQ(s.bps_dropped, 15000);
	counters_status(&c, 1000, &s);	/* no time elapsed: no division */
	T_EQ(s.pps_dropped, 0);
}

static void
t_short_window(void)
{
	struct counters		c;
	struct mit_stats	st;
	time_t			t;

	T_EQ(counters_configure("rate-window", "3", err, sizeof(err)), 0);
	T_EQ(counters_configure("rate-window", "0", err, sizeof(err)),
	    -EINVAL);
	T_EQ(counters_configure("rate-window", "61", err, sizeof(err)),
	    -EINVAL);
	T_EQ(counters_configure("other", "1", err, sizeof(err)), -ENOENT);
	counters_init(&c, 1000);
	for (t = 1001; t <= 1005; t++) {
		st = stats((t - 1000) * 1000, 0, 0, 0);
		counters_update(&c, &st, t);
	}
	T_EQ(c.pps, 1000);
	counters_update(&c, &st, 1006);	/* attack stops */
	/* (5000 - 3000) / 3 s: the window still sees two busy seconds. */
	T_EQ(c.pps, 666);
	counters_update(&c, &st, 1008);
	T_EQ(c.pps, 0);
	/* A second read in the same second replaces that second. */
	st = stats(5000 + 700, 0, 0, 0);
	counters_update(&c, &st, 1008);
	T_EQ(c.n, 7);		/* 1001..1006 and one 1008 */
	T_EQ(c.pps, (5700 - 5000) / 3);
	T_EQ(c.pkts_dropped, 5700);
}

static void
t_window_longer_than_history(void)
{
	struct counters		c;
	struct mit_stats	st;
	time_t			t;

	T_EQ(counters_configure("rate-window", "60", err, sizeof(err)), 0);
	counters_init(&c, 0);
	/* 200 ticks: the ring keeps the last 61 samples. */
	for (t = 1; t <= 200; t++) {
		st = stats(t * 10, t * 1000, 0, 0);
		counters_update(&c, &st, t);
	}
	T_EQ(c.pps, 10);
	T_EQ(c.bps, 1000);
}

static void
t_backend_counter_reset(void)
{
	struct counters		c;
	struct mit_stats	st;

	counters_init(&c, 1000);
	st = stats(5000, 500000, 0, 0);
	counters_update(&c, &st, 1001);
	/* The backend re-created the group: its counters restart. */
	st = stats(100, 10000, 0, 0);
	counters_update(&c, &st, 1002);
	T_EQ(c.pkts_dropped, 5100);
	T_EQ(c.bytes_dropped, 510000);
	/* The engine replaced the group: the next one counts from 0. */
	counters_forget(&c);
	st = stats(40, 4000, 0, 0);
	counters_update(&c, &st, 1003);
	T_EQ(c.pkts_dropped, 5140);
}

static void
t_status_through_engine(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	struct mitigation	up = mit(2, "198.18.0.2/32");
	struct mit_stats	st;
	struct mit_status	s;
	time_t			t;

	T_EQ(engine_configure("local-backend", "null", err, sizeof(err)), 0);
	T_EQ(engine_configure("flowspec-backend", "null2", err, sizeof(err)),
	    0);
	T_EQ(engine_configure("rtbh-backend", "null2", err, sizeof(err)), 0);
	T_EQ(engine_add_backend(&null_backend), 0);
	T_EQ(engine_add_backend(&null_backend2), 0);
	T_EQ(engine_start(err, sizeof(err)), 0);
	engine_tick(1000);
	T_EQ(engine_apply(&m, err, sizeof(err)), 0);
	up.policy.backends = MIT_WHERE_RTBH;
	T_EQ(engine_apply(&up, err, sizeof(err)), 0);
	for (t = 1001; t <= 1010; t++) {
		st = stats((t - 1000) * 400, (t - 1000) * 400 * 1500, 0, 0);
		T_EQ(null_set_stats(&null_backend, GROUP_OF(1, SLOT_LOCAL),
		    &st), 0);
		engine_tick(t);
	}
	T_EQ(engine_status(1, &s), 0);
	T_EQ(s.pkts_dropped, 4000);
	T_EQ(s.bytes_dropped, 4000 * 1500);
	T_EQ(s.pps_dropped, 400);
	T_EQ(s.bps_dropped, 400 * 1500);
	T_EQ(s.upstream_only, 0);
	T_EQ(s.routes_announced, 0);

	/* Only announced upstream: nothing counted as dropped. */
	st = stats(0, 0, 0, 0);
	st.announced = 1;
	st.peers_up = 2;
	T_EQ(null_set_stats(&null_backend2, GROUP_OF(2, SLOT_RTBH), &st), 0);
	engine_tick(1011);
	T_EQ(engine_status(2, &s), 0);
	T_EQ(s.upstream_only, 1);
	T_EQ(s.pkts_dropped, 0);
	T_EQ(s.bps_dropped, 0);
	T_EQ(s.routes_announced, 1);
}

/* Upstream reports: added to the totals, kept apart, survive resets. */
static void
t_remote_merge(void)
{
	struct counters		c;
	struct mit_stats	st = stats(0, 0, 0, 0);
	struct mit_status	s;

	counters_init(&c, 1000);
	counters_update(&c, &st, 1000);
	st = stats(100, 150000, 0, 0);
	counters_update(&c, &st, 1010);
	st = stats(5000, 7500000, 0, 0);
	st.remote_state = MIT_ST_ACTIVE + 1;
	st.remote_bps_dropped = 75000;
	st.remote_pps_dropped = 50;
	counters_remote(&c, &st);
	memset(&s, 0, sizeof(s));
	counters_status(&c, 1010, &s);
	T_EQ(s.pkts_dropped, 5100);
	T_EQ(s.bytes_dropped, 7650000);
	T_EQ(s.remote_pkts_dropped, 5000);
	T_EQ(s.remote_bytes_dropped, 7500000);
	T_EQ(s.pps_dropped, 100 / 10 + 50);
	T_EQ(s.bps_dropped, 150000 / 10 + 75000);
	T_EQ(s.remote_state, MIT_ST_ACTIVE + 1);
	/* a re-created upstream request counts from zero: no loss */
	st.pkts_dropped = 10;
	st.bytes_dropped = 15000;
	counters_remote(&c, &st);
	counters_status(&c, 1010, &s);
	T_EQ(s.remote_pkts_dropped, 5010);
	/* upstream gone: totals stay, rates and state go */
	counters_remote(&c, NULL);
	counters_status(&c, 1010, &s);
	T_EQ(s.remote_pkts_dropped, 5010);
	T_EQ(s.remote_state, 0);
	T_EQ(s.pps_dropped, 10);
}

/* What the client is told when local and upstream disagree. */
static void
t_merge_state(void)
{
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, 0, 1), MIT_ST_ACTIVE);
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, MIT_ST_ACTIVE + 1, 1),
	    MIT_ST_ACTIVE);
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, MIT_ST_EXCEEDED + 1, 1),
	    MIT_ST_EXCEEDED);
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, MIT_ST_FAILED + 1, 1),
	    MIT_ST_EXCEEDED);
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, MIT_ST_PENDING + 1, 1),
	    MIT_ST_ACTIVE);
	T_EQ(counters_merge_state(MIT_ST_ACTIVE, MIT_ST_PENDING + 1, 0),
	    MIT_ST_PENDING);
	/* a local failure is not hidden by a happy upstream */
	T_EQ(counters_merge_state(MIT_ST_EXCEEDED, MIT_ST_ACTIVE + 1, 1),
	    MIT_ST_EXCEEDED);
}

int
main(void)
{
	T_RUN(t_totals_and_rates);
	T_RUN(t_short_window);
	T_RUN(t_window_longer_than_history);
	T_RUN(t_backend_counter_reset);
	T_RUN(t_status_through_engine);
	T_RUN(t_remote_merge);
	T_RUN(t_merge_state);
	return t_done();
}
