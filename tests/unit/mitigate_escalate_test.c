/*
 * mitigate_escalate_test.c: the escalation FSM (mitigate/escalate.c) on
 * its own: thresholds, escalate-after, hysteresis, pinning.
 */
#include <errno.h>

#include "tests/t.h"
#include "mitigate/internal.h"

#define GBIT	(1000000000ULL / 8)	/* bytes/s of 1 Gbit/s */

static char		err[256], why[128];
static struct escalation esc;

static void
conf(const char *key, const char *value)
{
	if (escalate_configure(key, value, err, sizeof(err)) != 0)
		T_FAIL("escalate_configure %s %s: %s", key, value, err);
}

static struct esc_input
input(int level, uint64_t bps, uint64_t pps)
{
	struct esc_input	in = { .id = 1, .bps = bps, .pps = pps,
				    .level = level, .base = MIT_LEVEL_LOCAL,
				    .pin = -1, .can_flowspec = 1,
				    .can_rtbh = 1 };

	return in;
}

/* Feeds the same input from t0 to t1; returns the first level change. */
static int
feed(struct esc_input *in, time_t t0, time_t t1, time_t *when)
{
	time_t	t;
	int	to;

	for (t = t0; t <= t1; t++) {
		why[0] = '\0';
		to = escalate_step(&esc, in, t, why, sizeof(why));
		if (to != in->level) {
			*when = t;
			return to;
		}
	}
	*when = 0;
	return in->level;
}

static void
standard(void)
{
	conf("escalate-flowspec-bps", "1G");
	conf("escalate-rtbh-bps", "5G");
	conf("escalate-after", "10");
	conf("deescalate-below", "50");
	conf("deescalate-after", "60");
	escalate_init(&esc, -1);
}

static void
t_nothing_configured(void)
{
	struct esc_input	in = input(MIT_LEVEL_LOCAL, 100 * GBIT, 1e9);
	time_t			when;

	escalate_init(&esc, -1);
	T_EQ(escalate_enabled(), 0);
	T_EQ(feed(&in, 0, 1000, &when), MIT_LEVEL_LOCAL);
}

static void
t_up_after_sustained(void)
{
	struct esc_input	in = input(MIT_LEVEL_LOCAL, 2 * GBIT, 0);
	time_t			when;

	standard();
	T_EQ(escalate_enabled(), 1);
	T_EQ(feed(&in, 100, 200, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(when, 110);	/* first seen above at 100, 10 s later */
	T_ASSERT(strstr(why, "escalated local -> flowspec") != NULL);

	/* At flowspec, above 5G for 10 s: RTBH. */
	in = input(MIT_LEVEL_FLOWSPEC, 6 * GBIT, 0);
	T_EQ(feed(&in, 300, 400, &when), MIT_LEVEL_RTBH);
	T_EQ(when, 310);
	/* At the top there is nothing more. */
	in = input(MIT_LEVEL_RTBH, 60 * GBIT, 0);
	T_EQ(feed(&in, 400, 500, &when), MIT_LEVEL_RTBH);
}

static void
t_dip_restarts_timer(void)
{
	struct esc_input	above = input(MIT_LEVEL_LOCAL, 2 * GBIT, 0);
	struct esc_input	dip = input(MIT_LEVEL_LOCAL, GBIT / 2, 0);
	time_t			when;

	standard();
	T_EQ(feed(&above, 100, 108, &when), MIT_LEVEL_LOCAL);
	T_EQ(esc.state, ESC_RISING);
	T_EQ(feed(&dip, 109, 109, &when), MIT_LEVEL_LOCAL);
	T_EQ(esc.state, ESC_STEADY);
	T_EQ(feed(&above, 110, 200, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(when, 120);
}

static void
t_hysteresis_down(void)
{
	struct esc_input	in;
	time_t			when;

	standard();
	/* 0.8 Gbit/s: below 1G but above 50 % of it: stays up. */
	in = input(MIT_LEVEL_FLOWSPEC, GBIT * 8 / 10, 0);
	T_EQ(feed(&in, 0, 1000, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(esc.state, ESC_STEADY);
	/* 0.4 Gbit/s, below 50 %: down after deescalate-after. */
	in = input(MIT_LEVEL_FLOWSPEC, GBIT * 4 / 10, 0);
	T_EQ(feed(&in, 1001, 2000, &when), MIT_LEVEL_LOCAL);
	T_EQ(when, 1061);
	T_ASSERT(strstr(why, "de-escalated flowspec -> local") != NULL);
	/* From RTBH the bar is half of 5G: 3G keeps it. */
	escalate_init(&esc, -1);
	in = input(MIT_LEVEL_RTBH, 3 * GBIT, 0);
	T_EQ(feed(&in, 0, 500, &when), MIT_LEVEL_RTBH);
	in = input(MIT_LEVEL_RTBH, 2 * GBIT, 0);
	T_EQ(feed(&in, 501, 1000, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(when, 561);
	/* Never below base. */
	escalate_init(&esc, -1);
	in = input(MIT_LEVEL_FLOWSPEC, 0, 0);
	in.base = MIT_LEVEL_FLOWSPEC;
	T_EQ(feed(&in, 0, 1000, &when), MIT_LEVEL_FLOWSPEC);
}

static void
t_rise_during_fall(void)
{
	struct esc_input	low = input(MIT_LEVEL_FLOWSPEC, 0, 0);
	struct esc_input	high = input(MIT_LEVEL_FLOWSPEC, 6 * GBIT, 0);
	time_t			when;

	standard();
	T_EQ(feed(&low, 0, 50, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(esc.state, ESC_FALLING);
	T_EQ(feed(&high, 51, 55, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(esc.state, ESC_RISING);
	/* Falling starts over: 60 s from 56, not from 0. */
	T_EQ(feed(&low, 56, 115, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(feed(&low, 116, 116, &when), MIT_LEVEL_LOCAL);
}

static void
t_no_flowspec_goes_rtbh(void)
{
	struct esc_input	in = input(MIT_LEVEL_LOCAL, 2 * GBIT, 0);
	time_t			when;

	standard();
	in.can_flowspec = 0;
	T_EQ(feed(&in, 0, 100, &when), MIT_LEVEL_RTBH);
	T_EQ(when, 10);		/* the first threshold, straight to RTBH */
	/* And back down to local, measured against that threshold. */
	in = input(MIT_LEVEL_RTBH, GBIT * 8 / 10, 0);
	in.can_flowspec = 0;
	T_EQ(feed(&in, 200, 400, &when), MIT_LEVEL_RTBH);
	in.bps = GBIT / 4;
	T_EQ(feed(&in, 401, 600, &when), MIT_LEVEL_LOCAL);
	/* Neither upstream usable: nothing to escalate to. */
	in = input(MIT_LEVEL_LOCAL, 50 * GBIT, 0);
	in.can_flowspec = in.can_rtbh = 0;
	T_EQ(feed(&in, 700, 900, &when), MIT_LEVEL_LOCAL);
}

static void
t_pps_and_link_share(void)
{
	struct esc_input	in;
	time_t			when;

	conf("escalate-flowspec-pps", "1M");
	conf("link-capacity-bps", "10G");
	conf("escalate-link-share", "20");	/* 2 Gbit/s */
	conf("escalate-after", "5");
	escalate_init(&esc, -1);
	in = input(MIT_LEVEL_LOCAL, GBIT, 500000);
	T_EQ(feed(&in, 0, 100, &when), MIT_LEVEL_LOCAL);
	in.pps = 1000000;	/* pps alone crosses */
	T_EQ(feed(&in, 101, 200, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(when, 106);
	escalate_init(&esc, -1);
	in = input(MIT_LEVEL_LOCAL, GBIT * 21 / 10, 0);	/* 21 % of link */
	T_EQ(feed(&in, 0, 100, &when), MIT_LEVEL_FLOWSPEC);
	/* Without a link capacity the share means nothing. */
	conf("link-capacity-bps", "0");
	conf("escalate-flowspec-pps", "0");
	T_EQ(escalate_enabled(), 0);
}

static void
t_pinned(void)
{
	struct esc_input	in = input(MIT_LEVEL_RTBH, 0, 0);
	time_t			when;

	standard();
	in.pin = MIT_LEVEL_RTBH;
	escalate_init(&esc, in.pin);
	T_EQ(esc.state, ESC_PINNED);
	T_EQ(feed(&in, 0, 1000, &when), MIT_LEVEL_RTBH);
	/* Pinned low under a flood: no move either. */
	in = input(MIT_LEVEL_LOCAL, 50 * GBIT, 0);
	in.pin = MIT_LEVEL_LOCAL;
	T_EQ(feed(&in, 1001, 2000, &when), MIT_LEVEL_LOCAL);
	T_EQ(esc.state, ESC_PINNED);
	/* Unpinned: the FSM runs again from steady. */
	in.pin = -1;
	T_EQ(feed(&in, 2001, 2100, &when), MIT_LEVEL_FLOWSPEC);
	T_EQ(when, 2011);
}

static void
t_config_errors(void)
{
	T_EQ(escalate_configure("escalate-after", "x", err, sizeof(err)),
	    -EINVAL);
	T_EQ(escalate_configure("deescalate-below", "101", err, sizeof(err)),
	    -EINVAL);
	T_EQ(escalate_configure("escalate-flowspec-bps", "-1", err,
	    sizeof(err)), -EINVAL);
	T_EQ(escalate_configure("nope", "1", err, sizeof(err)), -ENOENT);
	T_STREQ(escalate_level_name(MIT_LEVEL_FLOWSPEC), "flowspec");
	T_STREQ(escalate_state_name(ESC_FALLING), "falling");
}

int
main(void)
{
	T_RUN(t_nothing_configured);
	T_RUN(t_up_after_sustained);
	T_RUN(t_dip_restarts_timer);
	T_RUN(t_hysteresis_down);
	T_RUN(t_rise_during_fall);
	T_RUN(t_no_flowspec_goes_rtbh);
	T_RUN(t_pps_and_link_share);
	T_RUN(t_pinned);
	T_RUN(t_config_errors);
	return t_done();
}
