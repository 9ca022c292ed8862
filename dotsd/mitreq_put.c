/*
 * mitreq_put.c: PUT on /.well-known/dots/mitigate (RFC 9132 §4.4.1) and
 * efficacy updates (§4.4.3): cuid and target checks, the refresh of an
 * existing request, and for a new one the mid rules and the conflict
 * policy, then enforce, store and acknowledge, in that order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"
#include "dotsd/store.h"
#include "lib/log.h"

static void	put_decide(const struct dots_peer *, const struct dots_uri *,
		    struct req *, int, const struct resjob *,
		    struct dots_reply *);

static void
reply_created(struct dots_reply *r, int code, const struct mreq *m,
    json_t *ci)
{
	json_t	*e;

	e = json_pack("{s:I, s:I}", "mid", (json_int_t)m->mid, "lifetime",
	    (json_int_t)m->lifetime);
	if (e != NULL && ci != NULL)
		json_object_set_new(e, "conflict-information", ci);
	else
		json_decref(ci);
	r->code = code;
	r->body = e ? mitreq_wrap_scope(json_pack("[o]", e)) : NULL;
	if (r->body == NULL)
		mitreq_reply_err(r, 503, "out of memory");
}

void
mitreq_put_resolved(struct putctx *ctx)
{
	struct dots_reply r;

	mitreq_reply_init(&r);
	if (ctx->job.err < 0)
		mitreq_reply_err(&r, 400, "target name %s: %s", ctx->job.failed,
		    ctx->job.err == -ENODATA ? "no address" :
		    strerror(-ctx->job.err));
	else if (ctx->job.overflow)
		mitreq_reply_err(&r, 400, "too many targets (at most %d)",
		    MIT_MAX_TARGETS);
	else
		put_decide(&ctx->peer, &ctx->uri, &ctx->rq, ctx->efficacy,
		    &ctx->job, &r);
	if (!r.drop && r.code >= 400)
		log_debug("mitigation PUT from %s (async): %d %s",
		    ctx->peer.client->name, r.code, r.diag);
	TAILQ_REMOVE(&mitreq_pending, ctx, entry);
	if (mitreq_group_enter(ctx->peer.pending))
		mitreq_group_hold(ctx->peer.pending, &r);
	else
		signal_async_reply(ctx->peer.pending, &r);
	json_decref(ctx->rq.scope);
	free(ctx);
}

/*
 * Same scope apart from lifetime and attack-status? Lists compare as
 * sets: a client repeating its request may list targets in another order.
 */
static int
same_scope(const struct mreq *m, const struct req *rq)
{
	const char	*k;
	json_t		*a, *b, *x, *y;
	size_t		 i, j;

	if (json_object_size(m->rq.scope) != json_object_size(rq->scope))
		return 0;
	json_object_foreach(m->rq.scope, k, a) {
		if ((b = json_object_get(rq->scope, k)) == NULL)
			return 0;
		if (!json_is_array(a) || !json_is_array(b)) {
			if (!json_equal(a, b))
				return 0;
			continue;
		}
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, x) {
			json_array_foreach(b, j, y)
				if (json_equal(x, y))
					break;
			if (j == json_array_size(b))
				return 0;
		}
	}
	return 1;
}

/*
 * Is mid a newer than mid b (§4.4.1.1)? mids increase, but a client
 * restarts at 0 once it reached 3/4 of 2^32 - 1, so anything below that
 * is newer than a mid beyond it.
 */
#define MID_ROLLOVER	UINT32_C(3221225471)

static int
mid_newer(uint32_t a, uint32_t b)
{
	if (b >= MID_ROLLOVER && a < MID_ROLLOVER)
		return 1;
	if (a >= MID_ROLLOVER && b < MID_ROLLOVER)
		return 0;
	return a > b;
}

/* Efficacy update or refresh of an existing request (§4.4.1.3, §4.4.3). */
static void
put_refresh(struct mreq *m, struct req *rq, int efficacy,
    const struct resjob *job, struct dots_reply *r, time_t now)
{
	struct mreq	*o, **cand;
	char		 err[160];
	int		 readdr = 0, i, n;
	uint32_t	 retry = 0;

	if (!same_scope(m, rq)) {
		mitreq_reply_err(r, 400, "mid %u: a refresh must repeat the "
		    "request unchanged except lifetime", m->mid);
		return;
	}
	if (job != NULL && (job->naddr != m->naddr ||
	    memcmp(job->addr, m->addr, sizeof(m->addr[0]) * m->naddr))) {
		m->naddr = job->naddr;
		memcpy(m->addr, job->addr, sizeof(m->addr));
		mitreq_index_retarget(m);
		readdr = 1;
	}
	if (job != NULL)
		m->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
		    RESOLVE_MIN);
	/* A deactivated loser of a conflict: active again if it is over. */
	if (m->status == ST_WITHDRAWN && m->rq.trigger &&
	    m->conflict_status == CS_INACTIVE_OTHER_ACTIVE) {
		if ((n = mitreq_index_overlapping(m, &cand)) < 0) {
			mitreq_reply_err(r, 503, "out of memory");
			return;
		}
		for (i = 0; i < n; i++) {
			o = cand[i];
			if (o != m && o->in_engine && mitreq_fsm_live(o) &&
			    o->client != m->client &&
			    mitreq_conflict_overlap(m, o, NULL)) {
				int64_t	rem =
				    mitreq_fsm_remaining(o, now);

				retry = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
				break;
			}
		}
		free(cand);
		if (retry) {
			m->retry_timer = retry;
			mitreq_fsm_set_lifetime(m, retry + RETRY_GRACE, now);
			mitreq_store_save(m);
			mitreq_reply_conflict(r, 409, mitreq_conflict_info(
			    CS_INACTIVE_OTHER_ACTIVE, retry,
			    m->conflict_scope));
			return;
		}
		if (mitreq_engine_hand(m, err, sizeof(err)) < 0) {
			mitreq_reply_err(r, 503, "cannot mitigate: %s", err);
			r->max_age = BUSY_RETRY;
			return;
		}
		m->conflict_status = CS_NONE;
		json_decref(m->conflict_scope);
		m->conflict_scope = NULL;
		mitreq_conflict_unlink(m);
		m->started = now;
		m->status = ST_IN_PROGRESS;
		mitreq_notify_mark(m);
		readdr = 0;
	}
	if (rq->has_lifetime)
		mitreq_fsm_set_lifetime(m, mitreq_fsm_lifetime_grant(m->client,
		    rq->lifetime), now);
	else
		mitreq_fsm_set_lifetime(m, m->lifetime, now);
	if (efficacy && rq->attack_status == ATTACK_UNDER) {
		m->last_activity = now;
		if (m->status == ST_STOPPED)
			mitreq_fsm_set_status(m, ST_MITIGATED);
	}
	if (readdr && m->in_engine &&
	    mitreq_engine_hand(m, err, sizeof(err)) < 0)
		log_warnx("mitigation %s/%u: re-apply: %s", m->client->name,
		    m->mid, err);
	if (mitreq_store_save(m) < 0) {
		mitreq_reply_err(r, 503, "cannot store the refresh");
		r->max_age = BUSY_RETRY;
		return;
	}
	/* §4.4.3: cannot mitigate -> 5.03 with Max-Age */
	if (efficacy && m->status == ST_EXCEEDED &&
	    rq->attack_status == ATTACK_UNDER) {
		mitreq_reply_err(r, 503, "attack exceeds capability: %s",
		    m->have_last && m->last.reason[0] ? m->last.reason :
		    "backend limit");
		r->max_age = BUSY_RETRY;
		return;
	}
	reply_created(r, 204, m, NULL);
}

/*
 * Everything after resolution: resolved addresses authorized, then refresh
 * or new request with the mid and conflict rules (§4.4.1.3).
 */
static void
put_decide(const struct dots_peer *peer, const struct dots_uri *uri,
    struct req *rq, int efficacy, const struct resjob *job,
    struct dots_reply *r)
{
	const struct client_conf *c = peer->client;
	struct mreq	*m, *o, *nm = NULL, **cand = NULL;
	struct mreq	*replace[64];
	struct mreq	*others[MAX_CONFLICT];
	json_t		*ci = NULL, *cs;
	time_t		 now = mitreq_now();
	int64_t		 rem;
	uint32_t	 abt = 0, retry = 0;
	char		 why[200];
	int		 nreplace = 0, nothers = 0, ncand, i, rc;

	if (job != NULL && mitreq_targets_authorize(c, job->addr, job->naddr,
	    why, sizeof(why)) < 0) {
		mitreq_reply_err(r, 400, "%s", why);
		return;
	}
	if (mitreq_cuid_check(c, uri->cuid, now) < 0) {
		mitreq_reply_conflict(r, 409, json_pack("{s:s}",
		    "conflict-cause", "cuid-collision"));
		return;
	}
	m = mitreq_find(c, uri->cuid, uri->mid);
	if (efficacy) {
		/* §4.4.3: no match (or withdrawn by the client): ignore */
		if (m == NULL || m->status == ST_TERMINATING ||
		    m->status == ST_TERMINATED) {
			r->drop = 1;
			return;
		}
		put_refresh(m, rq, efficacy, job, r, now);
		return;
	}
	if (m != NULL && m->status != ST_TERMINATING) {
		put_refresh(m, rq, 0, job, r, now);
		return;
	}

	/* A new request (or one the client withdrew and asks for again). */
	nm = calloc(1, sizeof(*nm));
	if (nm == NULL) {
		mitreq_reply_err(r, 503, "out of memory");
		return;
	}
	nm->client = c;
	snprintf(nm->cuid, sizeof(nm->cuid), "%s", uri->cuid);
	if (c->gateway)
		snprintf(nm->cdid, sizeof(nm->cdid), "%s", uri->cdid);
	nm->mid = uri->mid;
	nm->rq = *rq;
	rq->scope = NULL;	/* moved */
	if (job != NULL) {
		nm->naddr = job->naddr;
		memcpy(nm->addr, job->addr, sizeof(nm->addr));
		nm->resolve_at = now + (job->ttl > RESOLVE_MIN ? job->ttl :
		    RESOLVE_MIN);
	}
	if (mitreq_engine_ntargets(nm) == 0 && nm->rq.nnames == 0 &&
	    nm->rq.nprefix == 0) {
		mitreq_reply_err(r, 400, "no target address");
		goto fail;
	}

	/*
	 * The requests that may overlap nm, in table order (the index: a
	 * scan of every request per PUT is O(n^2) for n requests).
	 */
	if ((ncand = mitreq_index_overlapping(nm, &cand)) < 0) {
		mitreq_reply_err(r, 503, "out of memory");
		goto fail;
	}
	/* withdrawn, asked again: §4.4.4 doubles the abt */
	if (m != NULL)
		replace[nreplace++] = m;
	/* §4.4.1.3 mid rules among this client's requests under this cuid */
	for (i = 0; i < ncand; i++) {
		o = cand[i];
		if (o == m || o->purge || o->client != c ||
		    strcmp(o->cuid, nm->cuid))
			continue;
		if (!mitreq_conflict_overlap(nm, o, NULL))
			continue;
		if (o->status == ST_TERMINATING) {
			if (nreplace < 64)
				replace[nreplace++] = o;
			continue;
		}
		if (o->rq.trigger != nm->rq.trigger) {
			/* the immediate one wins; a preconfigured one that
			 * is active is withdrawn (7, then 8) */
			continue;
		}
		if (mid_newer(o->mid, nm->mid)) {
			cs = mitreq_conflict_scope(nm, o);
			mitreq_reply_conflict(r, 409,
			    mitreq_conflict_info(CS_NONE, 0, cs));
			json_decref(cs);
			goto fail;
		}
		if (nreplace < 64)
			replace[nreplace++] = o;
	}
	for (i = 0; i < nreplace; i++)
		if (replace[i]->status == ST_TERMINATING ||
		    replace[i] == m) {
			uint32_t	a = replace[i]->abt ? replace[i]->abt :
			    mitreq_fsm_abt_period();

			a = a * 2 > ABT_MAX ? ABT_MAX : a * 2;
			if (a > abt)
				abt = a;
		}
	nm->abt = abt ? abt : mitreq_fsm_abt_period();

	if (c->max_mitigations && mitreq_index_client_live(c->name) -
	    nreplace + 1 > (int)c->max_mitigations) {
		mitreq_reply_err(r, 503, "client limit of %u mitigations "
		    "reached", c->max_mitigations);
		r->max_age = BUSY_RETRY;
		goto fail;
	}

	/* Other clients (and other cuids of this client): policy decides. */
	if (nm->rq.trigger) {
		for (i = 0; i < ncand; i++) {
			o = cand[i];
			if (!o->in_engine || !mitreq_fsm_live(o) ||
			    (o->client == c && strcmp(o->cuid, nm->cuid) == 0))
				continue;
			if (o->status == ST_TERMINATING ||
			    !mitreq_conflict_overlap(nm, o, NULL))
				continue;
			if (nothers < MAX_CONFLICT)
				others[nothers++] = o;
		}
	}
	if (nothers > 0 && mitreq_policy == CP_FIRST_WINS) {
		rem = mitreq_fsm_remaining(others[0], now);
		retry = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
		cs = mitreq_conflict_scope(nm, others[0]);
		mitreq_reply_conflict(r, 409, mitreq_conflict_info(
		    CS_INACTIVE_OTHER_ACTIVE, retry, cs));
		json_decref(cs);
		log_info("mitigation %s/%u refused: overlaps %s/%u",
		    c->name, nm->mid, others[0]->client->name,
		    others[0]->mid);
		goto fail;
	}

	nm->id = store_next_id();
	mitreq_fsm_set_lifetime(nm, mitreq_fsm_lifetime_grant(c,
	    nm->rq.lifetime), now);
	nm->status = nm->rq.trigger ? ST_IN_PROGRESS : ST_SIGNAL_LOSS;
	if (nm->rq.trigger)
		nm->started = now;
	nm->last_activity = now;
	if (nothers > 0) {
		nm->conflict_status = CS_ACTIVE;
		nm->conflict_scope = mitreq_conflict_scope(nm, others[0]);
		for (i = 0; i < nothers; i++)
			mitreq_conflict_add(nm, others[i]->id);
	}

	/* Enforce first, then make it durable, then acknowledge. */
	if (nm->rq.trigger &&
	    (rc = mitreq_engine_hand(nm, why, sizeof(why))) < 0) {
		/* -EINVAL: the request itself (e.g. no source of a resolved
		 * target's family), not a busy server */
		mitreq_reply_err(r, rc == -EINVAL ? 400 : 503,
		    "cannot mitigate: %s", why);
		if (rc != -EINVAL)
			r->max_age = BUSY_RETRY;
		goto fail;
	}
	/* recorded only (no backend): status 4 from the first GET on */
	if (nm->rq.trigger && mitreq_engine_recorded(nm))
		nm->status = ST_EXCEEDED;
	/* in the table before the store, out again if the store fails */
	if (mitreq_index_insert(nm) < 0) {
		rc = -ENOMEM;
		goto store_fail;
	}
	if ((rc = mitreq_cuid_bind(c, nm->cuid, now)) < 0 ||
	    (rc = store_begin()) < 0)
		goto store_fail;
	if ((rc = mitreq_store_save(nm)) < 0) {
		store_rollback();
		goto store_fail;
	}
	for (i = 0; i < nreplace; i++)
		if ((rc = store_mit_del(replace[i]->id)) < 0) {
			store_rollback();
			goto store_fail;
		}
	if ((rc = store_commit()) < 0)
		goto store_fail;

	log_info("mitigation %s/%s/%u: accepted, lifetime %lld%s",
	    c->name, nm->cuid, nm->mid, (long long)nm->lifetime,
	    nm->rq.trigger ? "" : ", preconfigured");

	/* Lower mids (and withdrawn ones) are gone: §4.4.1.3 */
	for (i = 0; i < nreplace; i++) {
		o = replace[i];
		mitreq_engine_take(o);
		mitreq_index_purge(o);
		mitreq_conflict_forget(o->id);
		mitreq_notify_mark(o);
		log_info("mitigation %s/%s/%u: replaced by mid %u",
		    c->name, o->cuid, o->mid, nm->mid);
	}
	/* An immediate request withdraws overlapping active preconfigured */
	for (i = 0; nm->rq.trigger && i < ncand; i++) {
		o = cand[i];
		if (o->client == c && !o->purge && !o->rq.trigger &&
		    o->activated && o->in_engine &&
		    mitreq_conflict_overlap(nm, o, NULL)) {
			mitreq_engine_take(o);
			o->activated = 0;
			mitreq_fsm_set_status(o, ST_WITHDRAWN);
		}
	}
	for (i = 0; i < nothers; i++) {
		o = others[i];
		if (mitreq_policy == CP_NEWEST_WINS) {
			rem = mitreq_fsm_remaining(nm, now);
			o->retry_timer = rem < 0 ? RETRY_INDEF : (uint32_t)rem;
			mitreq_engine_take(o);
			o->conflict_status = CS_INACTIVE_OTHER_ACTIVE;
			mitreq_fsm_set_lifetime(o, o->retry_timer + RETRY_GRACE,
			    now);
		} else {
			o->conflict_status = CS_ACTIVE;
		}
		json_decref(o->conflict_scope);
		o->conflict_scope = mitreq_conflict_scope(o, nm);
		mitreq_conflict_add(o, nm->id);
		if (mitreq_policy == CP_NEWEST_WINS)
			mitreq_fsm_set_status(o, ST_WITHDRAWN);
		else
			mitreq_store_save(o);
		mitreq_notify_mark(o);
		log_info("mitigation %s/%u overlaps %s/%u (%s)",
		    c->name, nm->mid, o->client->name, o->mid,
		    mitreq_policy == CP_NEWEST_WINS ? "older withdrawn" :
		    "both active");
	}
	if (nm->conflict_status)
		ci = mitreq_conflict_info(nm->conflict_status, 0,
		    nm->conflict_scope);
	mitreq_notify_mark(nm);
	reply_created(r, 201, nm, ci);
	/* replaced requests vanish at once (no status 6, §4.4.1.3) */
	for (i = 0; i < nreplace; i++) {
		mitreq_index_remove(replace[i]);
		mitreq_free(replace[i]);
	}
	free(cand);
	return;
 store_fail:
	if (nm->in_engine)
		engine_withdraw(nm->id);
	mitreq_reply_err(r, 503, "cannot store the request: %s", strerror(-rc));
	r->max_age = BUSY_RETRY;
 fail:
	mitreq_index_remove(nm);
	mitreq_free(nm);
	free(cand);
}

static mitreq_acl_fn acl_hook;

void
mitreq_set_acl_hook(mitreq_acl_fn fn)
{
	acl_hook = fn;
}

/*
 * RFC 9133 §3 acl-list of a request: with apply 0, checks that every
 * acl-name is an ACL of (c, cuid) (4.04 otherwise); with apply 1 sets
 * their activation types (5.03 naming the failed update otherwise).
 * Returns 0 or -1 with r filled.
 */
static int
put_acl_list(const struct client_conf *c, const char *cuid,
    const json_t *acls, int apply, struct dots_reply *r)
{
	const json_t	*e;
	const char	*name, *act;
	size_t		 i;

	json_array_foreach(acls, i, e) {
		name = json_string_value(json_object_get(e, "acl-name"));
		act = json_string_value(json_object_get(e, "activation-type"));
		if (name == NULL || acl_hook == NULL ||
		    acl_hook(c, cuid, name, NULL) == -ENOENT) {
			mitreq_reply_err(r, 404, "acl-list: unknown acl-name "
			    "\"%s\"", name ? name : "");
			return -1;
		}
		if (!apply || act == NULL)
			continue;
		if (acl_hook(c, cuid, name, act) != 0) {
			json_decref(r->body);
			r->body = NULL;
			mitreq_reply_err(r, 503, "acl-list: cannot set acl %s "
			    "to %s", name, act);
			r->max_age = BUSY_RETRY;
			return -1;
		}
	}
	return 0;
}

static void
put_request(const struct dots_peer *peer, const struct dots_uri *uri,
    const json_t *body, int efficacy, struct dots_reply *r)
{
	const struct client_conf *c = peer->client;
	const json_t	*aliases, *a;
	json_t		*acls = NULL;
	struct putctx	*ctx;
	struct req	 rq;
	char		 why[200];
	size_t		 i;
	int		 code;

	mitreq_reply_init(r);
	if (uri->cuid[0] == '\0' || !uri->has_mid) {
		mitreq_reply_err(r, 400, "cuid and mid are mandatory Uri-Path "
		    "parameters");
		return;
	}
	if ((code = mitreq_parse_req(body, efficacy, &rq, why,
	    sizeof(why))) != 0) {
		mitreq_reply_err(r, code, "%s", why);
		log_debug("mitigation PUT from %s: %s", c->name, why);
		return;
	}
	/* §4.4.1.1: a cuid in use by another client -> 4.09 */
	if (mitreq_cuid_check(c, uri->cuid, mitreq_now()) < 0) {
		mitreq_reply_conflict(r, 409, json_pack("{s:s}",
		    "conflict-cause", "cuid-collision"));
		log_info("mitigation PUT from %s: cuid %s belongs to another "
		    "client", c->name, uri->cuid);
		goto out;
	}
	/* §4.4.1.3: aliases must be this client's (data channel); their
	 * prefixes are authorized with the others */
	aliases = json_object_get(rq.scope, "alias-name");
	json_array_foreach(aliases, i, a)
		if (mitreq_parse_alias(c, uri->cuid, json_string_value(a),
		    &rq) < 0) {
			mitreq_reply_err(r, 400, "unknown alias \"%s\"",
			    json_string_value(a));
			goto out;
		}
	if (mitreq_targets_authorize(c, rq.prefix, rq.nprefix, why,
	    sizeof(why)) < 0) {
		mitreq_reply_err(r, 400, "%s", why);
		log_warnx("mitigation PUT from %s mid %u: %s", c->name,
		    uri->mid, why);
		goto out;
	}
	/* RFC 9133: every named ACL must be this client's, else 4.04 */
	acls = json_deep_copy(json_object_get(rq.scope, ACL_KEY));
	if (rq.has_acl && put_acl_list(c, uri->cuid, acls, 0, r) != 0)
		goto out;
	if (rq.nnames == 0) {
		put_decide(peer, uri, &rq, efficacy, NULL, r);
		/* §3: enforced once the request is accepted */
		if (rq.has_acl && r->code >= 200 && r->code < 300)
			put_acl_list(c, uri->cuid, acls, 1, r);
		goto out;	/* scope moved, or ours to free */
	}
	/* names to resolve first: the activation types change now */
	if (rq.has_acl && put_acl_list(c, uri->cuid, acls, 1, r) != 0)
		goto out;
	if (peer->pending == NULL || (ctx = calloc(1, sizeof(*ctx))) == NULL) {
		mitreq_reply_err(r, 503, "cannot resolve names now");
		r->max_age = BUSY_RETRY;
		goto out;
	}
	ctx->peer = *peer;
	ctx->uri = *uri;
	ctx->efficacy = efficacy;
	ctx->rq = rq;
	ctx->job.put = ctx;
	r->async = 1;
	TAILQ_INSERT_TAIL(&mitreq_pending, ctx, entry);
	json_decref(acls);	/* ctx keeps rq.scope, not the copy */
	mitreq_targets_resolve(&ctx->job);	/* may answer at once */
	return;
 out:
	json_decref(acls);
	json_decref(rq.scope);
}

/*
 * PUT .../mitigate/[cdid=]/cuid=/mid= (RFC 9132 §4.4.1), or an efficacy
 * update (§4.4.3) when efficacy (empty If-Match) is set. Fills r; sets
 * r->async when the answer needs name resolution first, or waits for
 * the group commit (mitreq_group.c).
 */
void
mitreq_put(const struct dots_peer *peer, const struct dots_uri *uri,
    const json_t *body, int efficacy, struct dots_reply *r)
{
	int	grouped = mitreq_group_enter(peer->pending);

	put_request(peer, uri, body, efficacy, r);
	if (grouped && !r->async)
		mitreq_group_done(peer, r);
}
