/*
 * mitreq_notify.c: what a client sees of its requests. GET bodies (RFC
 * 9132 §4.4.2), which signal.c also sends to observers, and when to
 * notify: on change, at most once per NOTIFY_MIN s (§4.4.2.1), and every
 * NOTIFY_PERIOD s while mitigating.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/mitreq_int.h"

static json_t *
u64_string(uint64_t v)
{
	return json_sprintf("%" PRIu64, v);
}

/* One scope entry of a GET or notification (RFC 9132 §4.4.2, Fig. 14). */
static json_t *
mreq_wire(struct mreq *m, time_t now)
{
	static const char *const order[] = {
		"target-prefix", "target-port-range", "target-protocol",
		"target-fqdn", "target-uri", "alias-name",
		"trigger-mitigation", ACL_KEY,
		"ietf-dots-call-home:source-prefix",
		"ietf-dots-call-home:source-port-range",
		"ietf-dots-call-home:source-icmp-type-range",
	};
	struct mit_status st;
	const struct mit_status *sp = NULL;
	json_t		*e, *v;
	size_t		 i;

	if ((e = json_object()) == NULL)
		return NULL;
	json_object_set_new(e, "mid", json_integer(m->mid));
	if (m->started && m->status != ST_SIGNAL_LOSS)
		json_object_set_new(e, "mitigation-start",
		    u64_string((uint64_t)m->started));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((v = json_object_get(m->rq.scope, order[i])) != NULL)
			json_object_set(e, order[i], v);
	json_object_set_new(e, "lifetime",
	    json_integer(mitreq_fsm_remaining(m, now)));
	json_object_set_new(e, "status",
	    json_string(mitreq_status_name[m->status < ST_MAX ? m->status :
	    0]));
	if (m->conflict_status)
		json_object_set_new(e, "conflict-information",
		    mitreq_conflict_info(
		    m->conflict_status, m->conflict_status ==
		    CS_INACTIVE_OTHER_ACTIVE ? m->retry_timer : 0,
		    m->conflict_scope));
	/* Counters come from the backends, never invented. */
	if (m->in_engine && engine_status(m->id, &st) == 0) {
		m->last = st;
		m->have_last = 1;
		sp = &st;
	} else if (m->have_last && m->started)
		sp = &m->last;
	if (sp != NULL && !sp->upstream_only) {
		json_object_set_new(e, "bytes-dropped",
		    u64_string(sp->bytes_dropped));
		json_object_set_new(e, "bps-dropped",
		    u64_string(sp->bps_dropped));
		json_object_set_new(e, "pkts-dropped",
		    u64_string(sp->pkts_dropped));
		json_object_set_new(e, "pps-dropped",
		    u64_string(sp->pps_dropped));
	}
	return e;
}

/*
 * GET .../mitigate/cuid=[/mid=] (§4.4.2): one or all of (client, cuid).
 * 4.04 if there is none. Also what signal.c sends as a notification.
 */
void
mitreq_get(const struct dots_peer *peer, const struct dots_uri *uri,
    struct dots_reply *r)
{
	struct mreq	*m;
	json_t		*list;
	time_t		 now = mitreq_now();

	mitreq_reply_init(r);
	if (uri->cuid[0] == '\0') {
		mitreq_reply_err(r, 400, "cuid is a mandatory Uri-Path "
		    "parameter");
		return;
	}
	/* what a GET shows is durable, and earlier answers go first */
	mitreq_flush();
	if ((list = json_array()) == NULL) {
		mitreq_reply_err(r, 503, "out of memory");
		return;
	}
	for (m = mitreq_index_group_first(peer->client->name, uri->cuid);
	    m != NULL; m = mitreq_index_group_next(m)) {
		/* purged entries still show their last status (6, 7) */
		if (m->client != peer->client)
			continue;
		if (m->purge && m->status != ST_TERMINATED &&
		    m->status != ST_WITHDRAWN)
			continue;
		if (uri->has_mid && m->mid != uri->mid)
			continue;
		json_array_append_new(list, mreq_wire(m, now));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		if (uri->has_mid)
			mitreq_reply_err(r, 404, "no mitigation with mid %u",
			    uri->mid);
		else
			mitreq_reply_err(r, 404, "no mitigation for this cuid");
		return;
	}
	r->code = 205;
	r->body = mitreq_wrap_scope(list);
}

static struct notif *
notif_get(const struct client_conf *c, const char *cuid)
{
	struct notif	*n;

	TAILQ_FOREACH(n, &mitreq_notifs, entry)
		if (n->client == c && strcmp(n->cuid, cuid) == 0)
			return n;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->client = c;
	snprintf(n->cuid, sizeof(n->cuid), "%s", cuid);
	TAILQ_INSERT_TAIL(&mitreq_notifs, n, entry);
	return n;
}

void
mitreq_notify_mark(const struct mreq *m)
{
	struct notif	*n;

	if ((n = notif_get(m->client, m->cuid)) != NULL)
		n->dirty = 1;
}

static void
after_notify(struct mreq *m)
{
	if (m->notify_left == 0 || --m->notify_left > 0)
		return;
	if ((m->status == ST_STOPPED || m->status == ST_WITHDRAWN) &&
	    !m->rq.trigger) {
		/* Table 3: preconfigured, sent four times, then 8 */
		mitreq_engine_take(m);
		m->activated = 0;
		m->started = 0;
		mitreq_fsm_set_status(m, ST_SIGNAL_LOSS);
	}
}

void
mitreq_notify_flush(time_t now)
{
	struct notif	*n, *nn;
	struct mreq	*m, *next;
	int		 periodic;

	for (n = TAILQ_FIRST(&mitreq_notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		if (now - n->last_sent < NOTIFY_MIN)
			continue;
		periodic = 0;
		for (m = mitreq_index_group_first(n->client->name, n->cuid);
		    m != NULL && !periodic; m = mitreq_index_group_next(m))
			if (m->client == n->client &&
			    (m->in_engine || m->notify_left))
				periodic = 1;
		if (!n->dirty && !(periodic &&
		    now - n->last_sent >= NOTIFY_PERIOD))
			continue;
		n->dirty = 0;
		n->last_sent = now;
		signal_notify(n->client, n->cuid);
		for (m = mitreq_index_group_first(n->client->name, n->cuid);
		    m != NULL; m = next) {
			next = mitreq_index_group_next(m);
			if (m->client != n->client)
				continue;
			if (m->purge) {
				mitreq_index_remove(m);
				mitreq_free(m);
				continue;
			}
			after_notify(m);
		}
	}
}

/* §4.4.4: recovery is no reason to stop anything. */
void
mitreq_signal_restored(const struct client_conf *c)
{
	struct notif	*n;

	/* the client wants to see where things stand at once */
	TAILQ_FOREACH(n, &mitreq_notifs, entry)
		if (n->client == c)
			n->dirty = 1;
}
