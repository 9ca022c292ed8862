/*
 * mitreq.c: RFC 9132 §4.4 mitigation requests. What a PUT, GET or DELETE
 * on /.well-known/dots/mitigate means (dotsd/mitreq.h). This file holds
 * the request table every piece shares, the replies, and the operator and
 * lifecycle entry points (configure, withdraw, dump, cancel, reload,
 * shutdown). Transport (CoAP, Observe) is signal.c's; enforcement is the
 * engine's (mitigate/mitigate.h).
 *
 * A request is keyed by (client name, cuid, mid): a client never sees,
 * changes or deletes another client's requests, whatever cuid it sends.
 *
 * The other pieces (dotsd/mitreq_int.h is what they share):
 *   mitreq_parse.c	PUT body checks (§4.4.1.1)
 *   mitreq_targets.c	authorization and name resolution of targets
 *   mitreq_cuid.c	cuid ownership (§4.4.1.1)
 *   mitreq_conflict.c	overlaps and conflict-information (§4.4.1.3)
 *   mitreq_put.c	PUT: refresh, mid rules, conflict policy, accept
 *   mitreq_fsm.c	lifetimes, status FSM, DELETE and abt, the tick
 *   mitreq_engine.c	hand-off to the engine
 *   mitreq_notify.c	GET and notification bodies, notification pacing
 *   mitreq_store.c	durable state and its reload at start
 *
 * Every change a client is told about is committed to the store first.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"
#include "dotsd/store.h"
#include "lib/log.h"

struct mreq_head	 mitreq_list = TAILQ_HEAD_INITIALIZER(mitreq_list);
struct cuidown_head	 mitreq_cuids = TAILQ_HEAD_INITIALIZER(mitreq_cuids);
struct notif_head	 mitreq_notifs = TAILQ_HEAD_INITIALIZER(mitreq_notifs);
struct putctx_head	 mitreq_pending =
    TAILQ_HEAD_INITIALIZER(mitreq_pending);
time_t			 mitreq_last_prune;
const struct dotsd_conf	*mitreq_conf;
time_t			 mitreq_now_s;
enum conflict_policy	 mitreq_policy = CP_BOTH;

const char *const mitreq_status_name[ST_MAX] = {
	[0] = "reserved",
	[ST_IN_PROGRESS] = "attack-mitigation-in-progress",
	[ST_MITIGATED] = "attack-successfully-mitigated",
	[ST_STOPPED] = "attack-stopped",
	[ST_EXCEEDED] = "attack-exceeded-capability",
	[ST_TERMINATING] = "dots-client-withdrawn-mitigation",
	[ST_TERMINATED] = "attack-mitigation-terminated",
	[ST_WITHDRAWN] = "attack-mitigation-withdrawn",
	[ST_SIGNAL_LOSS] = "attack-mitigation-signal-loss",
};

const char *const mitreq_cstatus_name[CS_MAX] = {
	[CS_NONE] = "",
	[CS_INACTIVE_OTHER_ACTIVE] = "request-inactive-other-active",
	[CS_ACTIVE] = "request-active",
	[CS_ALL_INACTIVE] = "all-requests-inactive",
};

time_t
mitreq_now(void)
{
	return mitreq_now_s ? mitreq_now_s : time(NULL);
}

/* ------------------------------------------------------------------ */
/* replies                                                            */
/* ------------------------------------------------------------------ */

void
mitreq_reply_init(struct dots_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}

void __attribute__((format(printf, 3, 4)))
mitreq_reply_err(struct dots_reply *r, int code, const char *fmt, ...)
{
	va_list	ap;

	json_decref(r->body);
	r->body = NULL;
	r->code = code;
	va_start(ap, fmt);
	vsnprintf(r->diag, sizeof(r->diag), fmt, ap);
	va_end(ap);
}

/* {"...:mitigation-scope":{"scope":[entry]}}, entry stolen. */
json_t *
mitreq_wrap_scope(json_t *entries)
{
	return json_pack("{s:{s:o}}", MS_KEY, "scope", entries);
}

void
mitreq_reply_conflict(struct dots_reply *r, int code, json_t *ci)
{
	json_decref(r->body);
	r->code = code;
	r->diag[0] = '\0';
	r->body = mitreq_wrap_scope(json_pack("[{s:o}]", "conflict-information",
	    ci));
}

/* ------------------------------------------------------------------ */
/* request table                                                      */
/* ------------------------------------------------------------------ */

struct mreq *
mitreq_find(const struct client_conf *c, const char *cuid, uint32_t mid)
{
	struct mreq	*m = mitreq_index_find(c->name, cuid, mid);

	/* the key is the name; the client is this very one */
	return m != NULL && m->client == c ? m : NULL;
}

void
mitreq_free(struct mreq *m)
{
	if (m == NULL)
		return;
	if (m->job != NULL) {
		mitreq_targets_cancel(m->job);
		free(m->job);
	}
	mitreq_conflict_unlink(m);
	json_decref(m->rq.scope);
	json_decref(m->conflict_scope);
	free(m);
}

/* ------------------------------------------------------------------ */
/* operator, lifecycle                                                */
/* ------------------------------------------------------------------ */

/*
 * Operator configuration (dotsd.conf mitigation block, dotsctl):
 * conflict-policy both|first-wins|newest-wins. 0 or -EINVAL with err.
 */
int
mitreq_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(key, "conflict-policy") == 0) {
		if (strcmp(value, "both") == 0)
			mitreq_policy = CP_BOTH;
		else if (strcmp(value, "first-wins") == 0)
			mitreq_policy = CP_FIRST_WINS;
		else if (strcmp(value, "newest-wins") == 0)
			mitreq_policy = CP_NEWEST_WINS;
		else {
			snprintf(err, errlen, "conflict-policy: both, "
			    "first-wins or newest-wins");
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown mitigation keyword \"%s\"", key);
	return -EINVAL;
}

/* Operator withdraw (dotsctl): status 7, no abt. 0 or -ENOENT. */
int
mitreq_withdraw_admin(const char *client, uint32_t mid)
{
	struct mreq	*m;
	int		 found = 0;

	mitreq_flush();
	TAILQ_FOREACH(m, &mitreq_list, entry) {
		if (m->purge || m->mid != mid ||
		    strcmp(m->client->name, client) != 0)
			continue;
		log_info("mitigation %s/%s/%u: withdrawn by the operator",
		    client, m->cuid, mid);
		mitreq_fsm_end(m, ST_WITHDRAWN);
		found = 1;
	}
	if (found)
		mitreq_notify_flush(mitreq_now());
	return found ? 0 : -ENOENT;
}

json_t *
mitreq_dump(void)
{
	struct mreq	*m;
	json_t		*arr, *e;
	time_t		 now = mitreq_now();
	struct mitigation mit;
	json_t		*t;
	char		 buf[64];
	int		 i;

	if ((arr = json_array()) == NULL)
		return NULL;
	TAILQ_FOREACH(m, &mitreq_list, entry) {
		if (m->purge)
			continue;
		e = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I,"
		    " s:b, s:b, s:O}", "id", (json_int_t)m->id,
		    "client", m->client->name, "cuid", m->cuid,
		    "cdid", m->cdid, "mid", (json_int_t)m->mid,
		    "status",
		    mitreq_status_name[m->status < ST_MAX ? m->status : 0],
		    "lifetime", (json_int_t)m->lifetime,
		    "remaining", (json_int_t)mitreq_fsm_remaining(m, now),
		    "started", (json_int_t)m->started,
		    "trigger", m->rq.trigger, "enforced", m->in_engine &&
		    !mitreq_engine_recorded(m),
		    "scope", m->rq.scope);
		if (e == NULL)
			continue;
		mitreq_engine_build(m, &mit);
		t = json_array();
		for (i = 0; i < mit.ntargets; i++) {
			prefix_format(&mit.targets[i], buf, sizeof(buf));
			json_array_append_new(t, json_string(buf));
		}
		json_object_set_new(e, "targets", t);
		if (m->conflict_status)
			json_object_set_new(e, "conflict",
			    json_string(
			    mitreq_cstatus_name[m->conflict_status]));
		json_array_append_new(arr, e);
	}
	return arr;
}

/* Forget a PUT still resolving names, without answering it. */
static void
pending_drop(struct putctx *ctx)
{
	TAILQ_REMOVE(&mitreq_pending, ctx, entry);
	mitreq_targets_cancel(&ctx->job);
	json_decref(ctx->rq.scope);
	free(ctx);
}

/*
 * The session that left a PUT pending (resolving names) went away: forget
 * the request without answering.
 */
void
mitreq_cancel(void *pending)
{
	struct putctx	*ctx, *next;

	mitreq_group_cancel(pending);
	for (ctx = TAILQ_FIRST(&mitreq_pending); ctx != NULL; ctx = next) {
		next = TAILQ_NEXT(ctx, entry);
		if (ctx->peer.pending != pending)
			continue;
		pending_drop(ctx);
	}
}

/*
 * A new configuration (reload): requests follow their client by name; a
 * client no longer configured loses its requests (withdrawn, not kept).
 */
void
mitreq_reconf(const struct dotsd_conf *nc)
{
	const struct client_conf *c;
	struct mreq	*m, *mn;
	struct notif	*n, *nn;
	struct putctx	*ctx, *cn;

	mitreq_flush();
	mitreq_conf = nc;
	for (m = TAILQ_FIRST(&mitreq_list); m != NULL; m = mn) {
		mn = TAILQ_NEXT(m, entry);
		if ((c = authz_by_name(nc, m->client->name)) != NULL) {
			m->client = c;
			continue;
		}
		log_info("mitigation %s/%s/%u: client no longer configured, "
		    "withdrawn", m->client->name, m->cuid, m->mid);
		mitreq_engine_take(m);
		store_mit_del(m->id);
		mitreq_conflict_forget(m->id);
		mitreq_index_remove(m);
		mitreq_free(m);
	}
	for (n = TAILQ_FIRST(&mitreq_notifs); n != NULL; n = nn) {
		nn = TAILQ_NEXT(n, entry);
		if ((c = authz_by_name(nc, n->client->name)) != NULL) {
			n->client = c;
			continue;
		}
		TAILQ_REMOVE(&mitreq_notifs, n, entry);
		free(n);
	}
	for (ctx = TAILQ_FIRST(&mitreq_pending); ctx != NULL; ctx = cn) {
		cn = TAILQ_NEXT(ctx, entry);
		if ((c = authz_by_name(nc, ctx->peer.client->name)) != NULL) {
			ctx->peer.client = c;
			continue;
		}
		pending_drop(ctx);
	}
}

/* Frees all in-memory state (not the store): shutdown and tests. */
void
mitreq_fini(void)
{
	struct cuidown	*o;
	struct notif	*n;
	struct putctx	*ctx;

	mitreq_flush();
	mitreq_group_commit(0);
	mitreq_index_fini();
	while ((o = TAILQ_FIRST(&mitreq_cuids)) != NULL) {
		TAILQ_REMOVE(&mitreq_cuids, o, entry);
		free(o);
	}
	while ((n = TAILQ_FIRST(&mitreq_notifs)) != NULL) {
		TAILQ_REMOVE(&mitreq_notifs, n, entry);
		free(n);
	}
	while ((ctx = TAILQ_FIRST(&mitreq_pending)) != NULL)
		pending_drop(ctx);
	mitreq_last_prune = 0;
	mitreq_conf = NULL;
	mitreq_now_s = 0;
	mitreq_policy = CP_BOTH;
}
