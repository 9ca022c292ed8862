/*
 * escalate.c: when to move a mitigation between levels, from the attack
 * rate its local counters measure. No backend calls: escalate_step()
 * returns the level wanted and the engine applies it.
 *
 *   local --(above the flowspec threshold for escalate-after s)--> flowspec
 *   flowspec --(above the RTBH threshold for escalate-after s)--> rtbh
 *   local --(above the flowspec threshold, no flowspec upstream)--> rtbh
 *   above base --(below deescalate-below % of the threshold that led
 *                 there, for deescalate-after s)--> one level down
 *
 * Per mitigation the FSM is STEADY, RISING (above the next threshold since
 * `since`), FALLING (below the hysteresis threshold since `since`) or
 * PINNED (the client's policy fixes the level). Rates in bits per second
 * (bps) and packets per second (pps); a threshold is crossed when any of
 * its configured criteria is.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "mitigate/internal.h"

enum esc_event {
	EV_ABOVE = 0,	/* above the next level's threshold */
	EV_BETWEEN,	/* neither */
	EV_BELOW,	/* below the hysteresis threshold of this level */
};

struct esc_thr {
	uint64_t	bps;		/* bits/s, 0 = unset */
	uint64_t	pps;
	uint64_t	link_pct;	/* % of link_capacity, 0 = unset */
};

static struct {
	struct esc_thr	flowspec, rtbh;
	uint64_t	link_capacity;	/* bits/s */
	uint64_t	after;		/* s above before stepping up */
	uint64_t	below_pct;	/* hysteresis: % of the threshold */
	uint64_t	down_after;	/* s below before stepping down */
} conf = {
	.after = 30,
	.below_pct = 50,
	.down_after = 300,
};

static const char *const level_names[] = {
	[MIT_LEVEL_LOCAL] = "local",
	[MIT_LEVEL_FLOWSPEC] = "flowspec",
	[MIT_LEVEL_RTBH] = "rtbh",
};

static const char *const state_names[] = {
	[ESC_STEADY] = "steady",
	[ESC_RISING] = "rising",
	[ESC_FALLING] = "falling",
	[ESC_PINNED] = "pinned",
};

const char *
escalate_level_name(int level)
{
	if (level == MIT_LEVEL_RTBH + 1)
		return "received";	/* group slot of received rules */
	if (level < 0 || level > MIT_LEVEL_RTBH)
		return "?";
	return level_names[level];
}

const char *
escalate_state_name(int state)
{
	if (state < 0 || state > ESC_PINNED)
		return "?";
	return state_names[state];
}

/*
 * One config keyword of this file; 0, -EINVAL with a reason, or -ENOENT
 * when not ours. Keep the table sorted.
 */
int
escalate_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	static const struct {
		const char	*key;
		uint64_t	*val;
		uint64_t	 max;
	} keys[] = {
		{ "deescalate-after", &conf.down_after, 86400 * 7 },
		{ "deescalate-below", &conf.below_pct, 100 },
		{ "escalate-after", &conf.after, 86400 },
		{ "escalate-flowspec-bps", &conf.flowspec.bps, UINT64_MAX / 8 },
		{ "escalate-flowspec-pps", &conf.flowspec.pps, UINT64_MAX },
		{ "escalate-link-share", &conf.flowspec.link_pct, 1000 },
		{ "escalate-rtbh-bps", &conf.rtbh.bps, UINT64_MAX / 8 },
		{ "escalate-rtbh-link-share", &conf.rtbh.link_pct, 1000 },
		{ "escalate-rtbh-pps", &conf.rtbh.pps, UINT64_MAX },
		{ "link-capacity-bps", &conf.link_capacity, UINT64_MAX / 8 },
	};
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return policy_parse_u64(value, keys[i].max,
			    keys[i].val, err, errlen);
	return -ENOENT;
}

static int
thr_set(const struct esc_thr *t)
{
	return t->bps || t->pps || (t->link_pct && conf.link_capacity);
}

/* Whether any threshold is configured: without one nothing escalates. */
int
escalate_enabled(void)
{
	return thr_set(&conf.flowspec) || thr_set(&conf.rtbh);
}

/* Threshold bps: the lowest of the absolute and the link-share one. */
static uint64_t
thr_bps(const struct esc_thr *t)
{
	uint64_t	share = 0;

	if (t->link_pct && conf.link_capacity)
		share = conf.link_capacity / 100 * t->link_pct +
		    conf.link_capacity % 100 * t->link_pct / 100;
	if (t->bps && share)
		return t->bps < share ? t->bps : share;
	return t->bps ? t->bps : share;
}

/* Whether rate is at or above t (any criterion), scaled by pct %. */
static int
thr_above(const struct esc_thr *t, const struct esc_input *in,
    uint64_t pct)
{
	uint64_t	bps = thr_bps(t);
	uint64_t	bits = in->bps * 8;

	if (bps && bits >= bps / 100 * pct + bps % 100 * pct / 100)
		return 1;
	if (t->pps && in->pps >= t->pps / 100 * pct + t->pps % 100 * pct / 100)
		return 1;
	return 0;
}

/*
 * The threshold that takes a mitigation up from level, and the level it
 * leads to; NULL when none applies. Without flowspec upstream, the first
 * threshold leads straight to RTBH (issue 5: "or the upstream takes no
 * flowspec, RTBH the attacked hosts").
 */
static const struct esc_thr *
escalate_up(const struct esc_input *in, int level, int *to)
{
	if (level == MIT_LEVEL_LOCAL) {
		if (in->can_flowspec && thr_set(&conf.flowspec)) {
			*to = MIT_LEVEL_FLOWSPEC;
			return &conf.flowspec;
		}
		if (in->can_rtbh && !in->can_flowspec &&
		    thr_set(&conf.flowspec)) {
			*to = MIT_LEVEL_RTBH;
			return &conf.flowspec;
		}
		if (in->can_rtbh && thr_set(&conf.rtbh)) {
			*to = MIT_LEVEL_RTBH;
			return &conf.rtbh;
		}
	}
	if (level == MIT_LEVEL_FLOWSPEC && in->can_rtbh &&
	    thr_set(&conf.rtbh)) {
		*to = MIT_LEVEL_RTBH;
		return &conf.rtbh;
	}
	return NULL;
}

/*
 * The level one step down from in->level, and the threshold that led up
 * from it (the one the hysteresis is measured against; NULL if none).
 */
static const struct esc_thr *
escalate_down(const struct esc_input *in, int *to)
{
	const struct esc_thr	*t;
	int			 below, up;

	below = in->level - 1;
	if (below == MIT_LEVEL_FLOWSPEC && !in->can_flowspec)
		below = MIT_LEVEL_LOCAL;
	if (below < in->base)
		below = in->base;
	*to = below;
	t = escalate_up(in, below, &up);
	return t != NULL && up == in->level ? t : NULL;
}

static void
change_state(struct escalation *e, const struct esc_input *in, int state,
    time_t now)
{
	if (e->state != state)
		log_debug("mitigation %" PRIu64 ": escalation %s -> %s at %s",
		    in->id, state_names[e->state], state_names[state],
		    level_names[in->level]);
	e->state = state;
	e->since = now;
}

void
escalate_init(struct escalation *e, int pin)
{
	memset(e, 0, sizeof(*e));
	e->state = pin >= 0 ? ESC_PINNED : ESC_STEADY;
}

/*
 * Feeds the rates of now into e. Returns the level the mitigation should
 * be at (in->level when no move is due) and, on a move, why in `why`.
 */
int
escalate_step(struct escalation *e, const struct esc_input *in, time_t now,
    char *why, size_t whylen)
{
	const struct esc_thr	*up, *down;
	int			 up_to = in->level, down_to = in->level;
	int			 ev;

	if (in->pin >= 0) {
		if (e->state != ESC_PINNED)
			change_state(e, in, ESC_PINNED, now);
		return in->pin;
	}
	if (e->state == ESC_PINNED)
		change_state(e, in, ESC_STEADY, now);

	up = escalate_up(in, in->level, &up_to);
	down = in->level > in->base ? escalate_down(in, &down_to) : NULL;
	if (up != NULL && thr_above(up, in, 100))
		ev = EV_ABOVE;
	else if (in->level > in->base &&
	    (down == NULL || !thr_above(down, in, conf.below_pct)))
		ev = EV_BELOW;
	else
		ev = EV_BETWEEN;

	switch (e->state) {
	case ESC_STEADY:
		switch (ev) {
		case EV_ABOVE:
			change_state(e, in, ESC_RISING, now);
			break;
		case EV_BELOW:
			change_state(e, in, ESC_FALLING, now);
			break;
		case EV_BETWEEN:
			break;
		}
		break;
	case ESC_RISING:
		switch (ev) {
		case EV_ABOVE:
			if ((uint64_t)(now - e->since) < conf.after)
				break;
			snprintf(why, whylen, "escalated %s -> %s: %" PRIu64
			    " bps %" PRIu64 " pps above threshold for %"
			    PRIu64 " s", level_names[in->level],
			    level_names[up_to], in->bps * 8, in->pps,
			    (uint64_t)(now - e->since));
			change_state(e, in, ESC_STEADY, now);
			return up_to;
		case EV_BELOW:
			change_state(e, in, ESC_FALLING, now);
			break;
		case EV_BETWEEN:
			change_state(e, in, ESC_STEADY, now);
			break;
		}
		break;
	case ESC_FALLING:
		switch (ev) {
		case EV_BELOW:
			if ((uint64_t)(now - e->since) < conf.down_after)
				break;
			snprintf(why, whylen, "de-escalated %s -> %s: %" PRIu64
			    " bps %" PRIu64 " pps below %" PRIu64 "%% of "
			    "threshold for %" PRIu64 " s",
			    level_names[in->level], level_names[down_to],
			    in->bps * 8, in->pps, conf.below_pct,
			    (uint64_t)(now - e->since));
			change_state(e, in, ESC_STEADY, now);
			return down_to;
		case EV_ABOVE:
			change_state(e, in, ESC_RISING, now);
			break;
		case EV_BETWEEN:
			change_state(e, in, ESC_STEADY, now);
			break;
		}
		break;
	case ESC_PINNED:
		break;
	}
	return in->level;
}
