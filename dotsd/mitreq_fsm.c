/*
 * mitreq_fsm.c: the life of a request: granted lifetimes, the status FSM,
 * DELETE and the active-but-terminating period, signal loss, and the
 * tick that drives them.
 *
 * Status FSM (RFC 9132 Table 3):
 *   immediate:    1 in-progress -> 2 mitigated <-> 4 exceeded; 2 -> 3
 *                 attack-stopped after QUIET_STOPPED s without local drops
 *                 (back to 2 when drops resume or the client reports
 *                 under-attack); DELETE -> 5 for the active-but-terminating
 *                 period -> 6 -> removed; lifetime end -> 6 -> removed;
 *                 server withdraw (conflict, operator) -> 7.
 *   preconfigured (trigger-mitigation false): 8 until the signal channel
 *                 is lost, then 1/2/4; 3 or 7 are sent NOTIFY_BEFORE_8
 *                 times, then 8 again. Signal recovery stops nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/mitreq_int.h"
#include "dotsd/store.h"
#include "lib/log.h"

/* Is m enforcing (or about to)? */
int
mitreq_fsm_live(const struct mreq *m)
{
	return !m->purge && m->status >= ST_IN_PROGRESS &&
	    m->status <= ST_TERMINATING;
}

/*
 * Seconds m has left: while active-but-terminating (status 5), what is
 * left of that period (RFC 9132 §4.4.4, at most ABT_MAX) or of the
 * lifetime if that ends first; otherwise the lifetime (-1 indefinite).
 */
int64_t
mitreq_fsm_remaining(const struct mreq *m, time_t now)
{
	int64_t	left = -1, abt;

	if (m->lifetime >= 0 && m->expires != 0)
		left = m->expires > now ? (int64_t)(m->expires - now) : 0;
	if (m->status != ST_TERMINATING)
		return left;
	abt = m->terminating_until > now ?
	    (int64_t)(m->terminating_until - now) : 0;
	return left < 0 || abt < left ? abt : left;
}

/* §4.4.1.1 lifetime grant: client ceiling, global ceiling, -1 policy. */
int64_t
mitreq_fsm_lifetime_grant(const struct client_conf *c, int64_t asked)
{
	uint32_t	max = c->max_lifetime;

	if (mitreq_conf != NULL && mitreq_conf->max_lifetime &&
	    (max == 0 || mitreq_conf->max_lifetime < max))
		max = mitreq_conf->max_lifetime;
	if (asked < 0) {
		if (c->allow_indefinite)
			return -1;
		if (max)
			return max;
		return mitreq_conf && mitreq_conf->default_lifetime ?
		    mitreq_conf->default_lifetime : 3600;
	}
	if (max && asked > max)
		return max;
	return asked;
}

void
mitreq_fsm_set_lifetime(struct mreq *m, int64_t granted, time_t now)
{
	m->lifetime = granted;
	m->expires = granted < 0 ? 0 : now + (time_t)granted;
}

uint32_t
mitreq_fsm_abt_period(void)
{
	/* a configured 0 ends a withdrawn mitigation at the next tick */
	uint32_t	p = mitreq_conf ? mitreq_conf->abt_period : ABT_DEFAULT;

	return p > ABT_MAX ? ABT_MAX : p;
}

static int
derived(uint8_t st)
{
	return st >= ST_IN_PROGRESS && st <= ST_EXCEEDED;
}

/* The one place where a status changes: log, persist, notify. */
void
mitreq_fsm_set_status(struct mreq *m, uint8_t st)
{
	uint8_t	old = m->status;

	if (old == st)
		return;
	log_info("mitigation %s/%s/%u: %s -> %s", m->client->name, m->cuid,
	    m->mid, mitreq_status_name[old < ST_MAX ? old : 0],
	    mitreq_status_name[st]);
	m->status = st;
	if (st == ST_STOPPED || st == ST_WITHDRAWN)
		m->notify_left = NOTIFY_BEFORE_8;
	/*
	 * 1-4 follow from the engine and are derived again after a
	 * restart: moves among them need no fsync.
	 */
	if (st != ST_TERMINATED && !m->purge &&
	    !(derived(old) && derived(st)))
		mitreq_store_save(m);
	mitreq_notify_mark(m);
}

/*
 * Ends m (status 6 after lifetime/abt, 7 by the server): stops the engine,
 * deletes the stored row, and removes m after the last notification.
 */
void
mitreq_fsm_end(struct mreq *m, uint8_t st)
{
	int	rc;

	mitreq_engine_take(m);
	if ((rc = store_mit_del(m->id)) < 0)
		log_warnx("mitigation %s/%u: store delete: %s",
		    m->client->name, m->mid, strerror(-rc));
	if (m->job != NULL) {
		mitreq_targets_cancel(m->job);
		free(m->job);
		m->job = NULL;
	}
	mitreq_index_purge(m);	/* before the status: no store write */
	mitreq_fsm_set_status(m, st);
	mitreq_conflict_forget(m->id);
}

/* ------------------------------------------------------------------ */
/* DELETE                                                             */
/* ------------------------------------------------------------------ */

static void
delete_request(const struct dots_peer *peer, const struct dots_uri *uri,
    struct dots_reply *r)
{
	struct mreq	*m;
	time_t		 now = mitreq_now();

	mitreq_reply_init(r);
	if (uri->cuid[0] == '\0' || !uri->has_mid) {
		mitreq_reply_err(r, 400, "cuid and mid are mandatory Uri-Path "
		    "parameters");
		return;
	}
	r->code = 202;
	if ((m = mitreq_find(peer->client, uri->cuid, uri->mid)) == NULL ||
	    m->status == ST_TERMINATING)
		return;
	if (!m->in_engine || mitreq_engine_recorded(m)) {
		/* nothing enforced (8, 7, no backend): no abt (§4.4.4) */
		mitreq_fsm_end(m, ST_TERMINATED);
		return;
	}
	if (m->abt == 0)
		m->abt = mitreq_fsm_abt_period();
	m->terminating_until = now + m->abt;
	mitreq_fsm_set_status(m, ST_TERMINATING);	/* stored there */
}

/*
 * DELETE .../mitigate/cuid=/mid= (§4.4.4): 2.02 even for an unknown mid;
 * a live mitigation keeps enforcing for the active-but-terminating period.
 * The 2.02 waits for the group commit when there is one.
 */
void
mitreq_delete(const struct dots_peer *peer, const struct dots_uri *uri,
    struct dots_reply *r)
{
	int	grouped = mitreq_group_enter(peer->pending);

	delete_request(peer, uri, r);
	if (grouped)
		mitreq_group_done(peer, r);
}

/* ------------------------------------------------------------------ */
/* tick: lifetimes, abt, engine status, re-resolution, notifications   */
/* ------------------------------------------------------------------ */

/* Engine state -> RFC 9132 status for a live, enforced request. */
static void
status_refresh(struct mreq *m, time_t now)
{
	struct mit_status st;
	uint8_t		 next = m->status;

	if (!m->in_engine || m->status == ST_TERMINATING ||
	    engine_status(m->id, &st) < 0)
		return;
	m->last = st;
	m->have_last = 1;
	if (st.pkts_dropped != m->drops_seen) {
		m->drops_seen = st.pkts_dropped;
		m->last_activity = now;
	}
	switch (st.state) {
	case MIT_ST_PENDING:
		next = ST_IN_PROGRESS;
		break;
	case MIT_ST_ACTIVE:
		next = ST_MITIGATED;
		/* quiet for a while where we can see drops: stopped */
		if (!st.upstream_only &&
		    now - m->last_activity >= QUIET_STOPPED)
			next = ST_STOPPED;
		break;
	case MIT_ST_EXCEEDED:
	case MIT_ST_FAILED:
	case MIT_ST_RECORDED:
		/* recorded only: the capability here is none at all */
		next = ST_EXCEEDED;
		break;
	}
	/* a preconfigured one back at 8 after its 3s stays there */
	if (next != m->status)
		mitreq_fsm_set_status(m, next);
}

static int
has_state(const struct client_conf *c, const char *cuid)
{
	return mitreq_index_group_first(c->name, cuid) != NULL;
}

/*
 * Forgets cuids and notification slots nothing refers to any more: a
 * client can make up any number of cuids over time.
 */
static void
prune(time_t now)
{
	struct cuidown	*o, *on;
	struct notif	*n, *nn;

	for (o = TAILQ_FIRST(&mitreq_cuids); o != NULL; o = on) {
		on = TAILQ_NEXT(o, entry);
		if (now - o->last_used < CUID_HOLD ||
		    mitreq_cuid_has_state(o->client, o->cuid))
			continue;
		if (store_cuid_del(o->cuid) < 0)
			continue;
		TAILQ_REMOVE(&mitreq_cuids, o, entry);
		free(o);
	}
	for (n = TAILQ_FIRST(&mitreq_notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		if (n->dirty || now - n->last_sent < NOTIFY_PERIOD ||
		    has_state(n->client, n->cuid))
			continue;
		TAILQ_REMOVE(&mitreq_notifs, n, entry);
		free(n);
	}
}

/* About once a second: lifetimes, abt, statuses, names, notifications. */
void
mitreq_tick(time_t now)
{
	struct mreq	*m;
	int		 txn;

	mitreq_now_s = now;
	mitreq_flush();		/* nothing the tick reports is not durable */
	/* what a tick changes (expiries, abt ends) costs one fsync */
	txn = store_begin() == 0;
	TAILQ_FOREACH(m, &mitreq_list, entry) {
		if (m->purge)
			continue;
		if (m->expires && now >= m->expires) {
			log_info("mitigation %s/%s/%u: lifetime expired",
			    m->client->name, m->cuid, m->mid);
			mitreq_fsm_end(m, ST_TERMINATED);
			continue;
		}
		if (m->status == ST_TERMINATING &&
		    now >= m->terminating_until) {
			mitreq_fsm_end(m, ST_TERMINATED);
			continue;
		}
		status_refresh(m, now);
		if (m->resolve_at && now >= m->resolve_at && m->job == NULL &&
		    m->rq.nnames > 0 && (m->in_engine || m->enforce_pending)) {
			if ((m->job = calloc(1, sizeof(*m->job))) == NULL)
				continue;
			m->job->m = m;
			m->resolve_at = 0;
			mitreq_targets_resolve(m->job);
		}
	}
	if (txn && store_commit() < 0)
		log_warnx("mitigation state: store commit failed");
	mitreq_notify_flush(now);
	if (now - mitreq_last_prune >= 60) {
		mitreq_last_prune = now;
		prune(now);
	}
}

int
mitreq_active(const struct client_conf *c)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (m->client == c && m->in_engine && mitreq_fsm_live(m))
			return 1;
	return 0;
}

int
mitreq_cuid_active(const struct client_conf *c, const char *cuid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (m->client == c && m->in_engine && mitreq_fsm_live(m) &&
		    strcmp(m->cuid, cuid) == 0)
			return 1;
	return 0;
}

int
mitreq_unresolved(void)
{
	struct mreq	*m;
	int		 n = 0;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (!m->purge && m->enforce_pending)
			n++;
	return n;
}

/*
 * §4.4.1.3, §4.7: a lost session activates the client's preconfigured
 * requests, and its immediate requests that overlap them are withdrawn.
 */
void
mitreq_signal_lost(const struct client_conf *c)
{
	struct mreq	*m, *o, **cand;
	char		 err[160];
	time_t		 now = mitreq_now();
	int		 i, n;

	TAILQ_FOREACH(m, &mitreq_list, entry) {
		if (m->client != c || m->purge || m->rq.trigger ||
		    m->status != ST_SIGNAL_LOSS)
			continue;
		if (mitreq_engine_hand(m, err, sizeof(err)) < 0) {
			log_warnx("mitigation %s/%u: activation on signal "
			    "loss failed: %s", c->name, m->mid, err);
			continue;
		}
		m->activated = 1;
		m->started = now;
		m->last_activity = now;
		m->notify_left = 0;
		mitreq_fsm_set_status(m, ST_IN_PROGRESS);
		if ((n = mitreq_index_overlapping(m, &cand)) < 0)
			continue;
		for (i = 0; i < n; i++) {
			o = cand[i];
			if (o->client == c && !o->purge && o->rq.trigger &&
			    o->in_engine && o->status != ST_TERMINATING &&
			    mitreq_conflict_overlap(m, o, NULL)) {
				log_info("mitigation %s/%u: withdrawn, "
				    "preconfigured mid %u takes over",
				    c->name, o->mid, m->mid);
				mitreq_fsm_end(o, ST_WITHDRAWN);
			}
		}
		free(cand);
	}
}
