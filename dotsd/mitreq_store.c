/*
 * mitreq_store.c: durable requests (dotsd/store.c keeps the rows). Every
 * change a client is told about is committed first; at start the stored
 * requests pass the PUT checks again and go back to the engine.
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

static json_t *
extra_json(const struct mreq *m)
{
	json_t	*x;

	x = json_pack("{s:I, s:b, s:i, s:I}", "abt", (json_int_t)m->abt,
	    "activated", m->activated, "notify_left", m->notify_left,
	    "last_activity", (json_int_t)m->last_activity);
	if (x != NULL && m->conflict_status) {
		json_object_set_new(x, "cstatus",
		    json_integer(m->conflict_status));
		json_object_set_new(x, "retry", json_integer(m->retry_timer));
		if (m->conflict_scope)
			json_object_set(x, "cscope", m->conflict_scope);
	}
	return x;
}

/* Writes m to the store. 0 or -errno. */
int
mitreq_store_save(const struct mreq *m)
{
	struct store_mit sm;
	json_t		*x;
	int		 rc;

	memset(&sm, 0, sizeof(sm));
	sm.id = m->id;
	snprintf(sm.client, sizeof(sm.client), "%s", m->client->name);
	snprintf(sm.cuid, sizeof(sm.cuid), "%s", m->cuid);
	snprintf(sm.cdid, sizeof(sm.cdid), "%s", m->cdid);
	sm.mid = m->mid;
	sm.lifetime = m->lifetime;
	sm.expires = m->expires;
	sm.started = m->started;
	sm.terminating_until = m->terminating_until;
	sm.status = m->status;
	sm.trigger = m->rq.trigger;
	sm.scope_json = json_dumps(m->rq.scope, JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	x = extra_json(m);
	sm.extra_json = x ? json_dumps(x, JSON_COMPACT) : NULL;
	json_decref(x);
	if (sm.scope_json == NULL)
		rc = -ENOMEM;
	else
		rc = store_mit_put(&sm);
	free(sm.scope_json);
	free(sm.extra_json);
	if (rc < 0)
		log_warnx("mitigation %s/%u: store: %s", m->client->name,
		    m->mid, strerror(-rc));
	return rc;
}

/* ------------------------------------------------------------------ */
/* start                                                              */
/* ------------------------------------------------------------------ */

static int
load_cuid(const char *cuid, const char *client, time_t last_used, void *arg)
{
	struct cuidown	*o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return -ENOMEM;
	snprintf(o->cuid, sizeof(o->cuid), "%s", cuid);
	snprintf(o->client, sizeof(o->client), "%s", client);
	o->last_used = last_used;
	TAILQ_INSERT_TAIL(&mitreq_cuids, o, entry);
	return 0;
}

static int
load_one(const struct store_mit *sm, void *arg)
{
	time_t		 now = *(time_t *)arg;
	const struct client_conf *c;
	struct mreq	*m;
	json_t		*scope, *body, *x;
	json_error_t	 jerr;
	char		 why[200], err[160];
	int		 code;

	c = mitreq_conf ? authz_by_name(mitreq_conf, sm->client) : NULL;
	if (c == NULL || (sm->expires && now >= sm->expires) ||
	    sm->status == ST_TERMINATED ||
	    (sm->status == ST_TERMINATING && now >= sm->terminating_until)) {
		log_info("mitigation %s/%s/%u: %s, removed", sm->client,
		    sm->cuid, sm->mid, c == NULL ? "client no longer "
		    "configured" : "ended while down");
		store_mit_del(sm->id);
		return 0;
	}
	if ((scope = json_loads(sm->scope_json, 0, &jerr)) == NULL)
		goto bad;
	/* the same checks as a PUT, so a config change applies */
	json_object_set_new(scope, "lifetime", json_integer(sm->lifetime));
	body = json_pack("{s:{s:[o]}}", MS_KEY, "scope", scope);
	if (body == NULL || (m = calloc(1, sizeof(*m))) == NULL) {
		json_decref(body);
		return -ENOMEM;
	}
	code = mitreq_parse_req(body, 0, &m->rq, why, sizeof(why));
	json_decref(body);
	if (code != 0 || mitreq_targets_authorize(c, m->rq.prefix,
	    m->rq.nprefix, why, sizeof(why)) < 0) {
		mitreq_free(m);
		log_warnx("mitigation %s/%s/%u: %s, removed", sm->client,
		    sm->cuid, sm->mid, why);
		store_mit_del(sm->id);
		return 0;
	}
	json_object_del(m->rq.scope, "lifetime");
	m->id = sm->id;
	m->client = c;
	snprintf(m->cuid, sizeof(m->cuid), "%s", sm->cuid);
	snprintf(m->cdid, sizeof(m->cdid), "%s", sm->cdid);
	m->mid = sm->mid;
	m->lifetime = sm->lifetime;
	m->expires = sm->expires;
	m->started = sm->started;
	m->terminating_until = sm->terminating_until;
	m->status = sm->status;
	m->last_activity = now;
	if (sm->extra_json && (x = json_loads(sm->extra_json, 0, &jerr))) {
		m->abt = (uint32_t)json_integer_value(json_object_get(x,
		    "abt"));
		m->activated = json_is_true(json_object_get(x, "activated"));
		m->notify_left = (uint8_t)json_integer_value(json_object_get(x,
		    "notify_left"));
		m->conflict_status = (uint8_t)json_integer_value(
		    json_object_get(x, "cstatus"));
		m->retry_timer = (uint32_t)json_integer_value(
		    json_object_get(x, "retry"));
		if ((m->conflict_scope = json_object_get(x, "cscope")))
			json_incref(m->conflict_scope);
		json_decref(x);
	}
	if (m->rq.nnames > 0)
		m->resolve_at = now;	/* names: resolve again first */
	if (mitreq_index_insert(m) < 0) {
		mitreq_free(m);
		return -ENOMEM;
	}

	/* Enforced before the restart: enforce again. */
	if (m->status == ST_SIGNAL_LOSS ||
	    (m->status == ST_WITHDRAWN && (!m->rq.trigger ||
	    m->conflict_status == CS_INACTIVE_OTHER_ACTIVE))) {
		if (!m->rq.trigger && m->status == ST_WITHDRAWN)
			m->status = ST_SIGNAL_LOSS;
		return 0;
	}
	if (mitreq_engine_ntargets(m) == 0 && m->rq.nnames > 0) {
		/* only names: applied once they are resolved (tick) */
		m->status = ST_IN_PROGRESS;
		m->enforce_pending = 1;
		m->resolve_at = now;
		return 0;
	}
	if (mitreq_engine_hand(m, err, sizeof(err)) < 0) {
		log_warnx("mitigation %s/%u: re-apply after restart: %s",
		    c->name, m->mid, err);
		m->status = ST_EXCEEDED;
	}
	log_info("mitigation %s/%s/%u: restored", c->name, m->cuid, m->mid);
	return 0;
 bad:
	log_warnx("mitigation %s/%s/%u: stored scope unreadable, removed",
	    sm->client, sm->cuid, sm->mid);
	store_mit_del(sm->id);
	return 0;
}

/*
 * Reloads the store at start (the store is open): expired requests end,
 * the rest go to the engine again. Keeps conf for lifetimes and clients.
 */
int
mitreq_load(const struct dotsd_conf *c, time_t now)
{
	int	rc;

	mitreq_conf = c;
	mitreq_now_s = now;
	if ((rc = store_cuid_load(load_cuid, NULL)) < 0)
		return rc;
	return store_mit_load(load_one, &now);
}
