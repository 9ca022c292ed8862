/*
 * counters.c: backend stats of a mitigation's local group -> its status
 * counters and rates.
 *
 * Two kinds of rate, for two readers:
 *  - the short window (rate-window seconds, default 10): the attack rate
 *    the escalation FSM compares with its thresholds. It counts matched
 *    traffic, dropped plus passed (rate-limited), since that is what
 *    arrives at the link, and follows the attack within seconds.
 *  - pps_dropped/bps_dropped in the status, for RFC 9132 §4.4.2's
 *    pps-dropped/bps-dropped: "averaged over five-minute buckets since the
 *    mitigation was triggered". Summing the buckets and dividing by the
 *    time since start (the current bucket counted for its elapsed part) is
 *    total dropped / elapsed seconds, which is what we compute; it is
 *    refreshed at every tick rather than once per bucket.
 *
 * Backend counters are taken as deltas between reads, so a counter that
 * goes back (a group re-created by a backend restart) does not wipe or
 * inflate the totals.
 *
 * Upstream providers (a DOTS server asked by the upstream backend) report
 * their own drops for the same mitigation. They are added to the status
 * counters, which RFC 9132 §4.4.2 defines for the mitigation as a whole,
 * and kept apart as remote_* so the operator sees whose they are; they
 * stay out of the attack rate, which measures what reaches this box.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mitigate/internal.h"

static int	rate_window = 10;	/* seconds */

/*
 * One config keyword of this file; 0, -EINVAL with a reason, or -ENOENT
 * when not ours.
 */
int
counters_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	uint64_t	n;
	int		r;

	if (strcmp(key, "rate-window") == 0) {
		if ((r = policy_parse_u64(value, CTR_WINDOW_MAX, &n, err,
		    errlen)) != 0)
			return r;
		if (n == 0) {
			snprintf(err, errlen, "rate-window must be 1 to %d",
			    CTR_WINDOW_MAX);
			return -EINVAL;
		}
		rate_window = n;
		return 0;
	}
	return -ENOENT;
}

void
counters_init(struct counters *c, time_t now)
{
	memset(c, 0, sizeof(*c));
	c->start = now;
}

/* The local group is gone: its next incarnation counts from zero. */
void
counters_forget(struct counters *c)
{
	c->have_raw = 0;
}

static uint64_t
delta(uint64_t cur, uint64_t last, int have)
{
	if (!have || cur < last)
		return cur;
	return cur - last;
}

/* Folds one reading of the local group's stats taken at now. */
void
counters_update(struct counters *c, const struct mit_stats *st, time_t now)
{
	uint64_t		 raw[4] = { st->pkts_dropped, st->bytes_dropped,
				    st->pkts_passed, st->bytes_passed };
	uint64_t		 d[4];
	const struct ctr_sample	*old, *new;
	struct ctr_sample	*s;
	int			 i, last;

	for (i = 0; i < 4; i++)
		d[i] = delta(raw[i], c->raw[i], c->have_raw);
	memcpy(c->raw, raw, sizeof(raw));
	c->have_raw = 1;
	c->pkts_dropped += d[0];
	c->bytes_dropped += d[1];
	c->pkts_matched += d[0] + d[2];
	c->bytes_matched += d[1] + d[3];

	/* Two reads in one second overwrite that second's sample. */
	last = (c->head + CTR_WINDOW_MAX) % (CTR_WINDOW_MAX + 1);
	if (c->n > 0 && c->ring[last].t == now)
		s = &c->ring[last];
	else {
		s = &c->ring[c->head];
		c->head = (c->head + 1) % (CTR_WINDOW_MAX + 1);
		if (c->n < CTR_WINDOW_MAX + 1)
			c->n++;
	}
	s->t = now;
	s->pkts = c->pkts_matched;
	s->bytes = c->bytes_matched;

	/* Oldest sample inside the window. */
	last = (c->head + CTR_WINDOW_MAX) % (CTR_WINDOW_MAX + 1);
	new = &c->ring[last];
	old = new;
	for (i = 1; i < c->n; i++) {
		const struct ctr_sample	*p = &c->ring[(last + CTR_WINDOW_MAX +
					    1 - i) % (CTR_WINDOW_MAX + 1)];

		if (p->t < now - rate_window || p->t > now)
			break;
		old = p;
	}
	if (new->t > old->t) {
		c->pps = (new->pkts - old->pkts) / (uint64_t)(new->t - old->t);
		c->bps = (new->bytes - old->bytes) / (uint64_t)(new->t -
		    old->t);
	} else
		c->pps = c->bps = 0;
}

/* Fills the counter fields of st as of now. */
void
counters_status(const struct counters *c, time_t now, struct mit_status *st)
{
	uint64_t	elapsed = now > c->start ? (uint64_t)(now - c->start) : 0;

	st->pkts_dropped = c->pkts_dropped + c->remote_pkts;
	st->bytes_dropped = c->bytes_dropped + c->remote_bytes;
	st->pps_dropped = (elapsed ? c->pkts_dropped / elapsed : 0) +
	    c->remote_pps;
	st->bps_dropped = (elapsed ? c->bytes_dropped / elapsed : 0) +
	    c->remote_bps;
	st->remote_state = c->remote_state;
	st->remote_pkts_dropped = c->remote_pkts;
	st->remote_bytes_dropped = c->remote_bytes;
}

/*
 * Folds an upstream provider's report (st->remote_state != 0), or notes
 * that none holds the mitigation now (st NULL). Totals survive: a
 * re-created upstream request counts from zero again, and what the
 * earlier one dropped stays dropped.
 */
void
counters_remote(struct counters *c, const struct mit_stats *st)
{
	if (st == NULL || st->remote_state == 0) {
		c->have_remote_raw = 0;
		c->remote_state = 0;
		c->remote_bps = c->remote_pps = 0;
		return;
	}
	c->remote_pkts += delta(st->pkts_dropped, c->remote_raw[0],
	    c->have_remote_raw);
	c->remote_bytes += delta(st->bytes_dropped, c->remote_raw[1],
	    c->have_remote_raw);
	c->remote_raw[0] = st->pkts_dropped;
	c->remote_raw[1] = st->bytes_dropped;
	c->have_remote_raw = 1;
	c->remote_state = st->remote_state;
	c->remote_bps = st->remote_bps_dropped;
	c->remote_pps = st->remote_pps_dropped;
}

/*
 * The state a client is told: the local one, unless an upstream provider
 * (remote, enum mit_state + 1, 0 none) says worse. An upstream that gave
 * up or cannot cope makes the whole mitigation short of its scope
 * (EXCEEDED); one still setting up is what acts when nothing does here
 * (local_held 0).
 */
int
counters_merge_state(int local, int remote, int local_held)
{
	if (remote == 0 || local != MIT_ST_ACTIVE)
		return local;
	switch (remote - 1) {
	case MIT_ST_EXCEEDED:
	case MIT_ST_FAILED:
		return MIT_ST_EXCEEDED;
	case MIT_ST_PENDING:
		return local_held ? local : MIT_ST_PENDING;
	default:
		return local;
	}
}
