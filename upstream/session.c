/*
 * session.c: the upstream backend's session thread. It keeps one signal
 * channel session (upstream/chan.c) to the upstream DOTS server:
 *
 *   connect --ok--> session config GET (RFC 9132 §4.5.2), re-send every
 *     request, observe all of our cuid's mitigations (§4.4.2.1), then
 *     loop: send what changed (PUT / DELETE), refresh lifetimes at half
 *     their length, fold notifications in, heartbeat (§4.7)
 *   connect --fails--> wait 1, 2, 4 ... 60 s and retry
 *   missing-hb-allowed heartbeats unanswered, or a request unanswered
 *     --> signal lost: close, reconnect (the upstream keeps mitigating
 *     until the lifetimes run out, §4.7), re-send on the new session
 *
 * The engine's thread never waits for it: it only sees the table.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "upstream/upstream_int.h"
#include "yang/codec.h"

#define BACKOFF_MAX	60	/* s between connection attempts */
#define REWATCH_EVERY	60	/* s: re-register the observation */
#define IDLE_SLICE_MS	200
#define HB_DEFAULT	30	/* RFC 9132 §4.5 (Appendix C) defaults */
#define MISSING_DEFAULT	15

struct sess {
	struct upstream	*u;
	struct chan	*c;
	unsigned	 hb_idle, missing_idle, hb_mit, missing_mit;
	time_t		 last_hb, last_watch;
	unsigned	 unanswered, answers;
	double		 server_hb;
	int		 rewatch;
};

void
up_req_stats(const struct up_req *r, struct mit_stats *st)
{
	upbody_stats(r->have_rep ? &r->rep : NULL, st);
}

static void
nap(struct upstream *u, unsigned s)
{
	struct timespec	ts = { .tv_nsec = IDLE_SLICE_MS * 1000000L };
	unsigned	i;

	for (i = 0; i < s * (1000 / IDLE_SLICE_MS) && !u->stop; i++)
		nanosleep(&ts, NULL);
}

/* Sends one request and waits for its answer; 0 with resp, or -errno. */
static int
exchange(struct sess *s, const struct chan_req *rq, const json_t *body,
    struct dc_response *resp)
{
	struct chan_req	 req = *rq;
	uint8_t		*cbor = NULL;
	size_t		 len = 0;
	char		 err[256];
	int		 rv;

	if (body != NULL) {
		if (codec_cbor_encode(body, &cbor, &len, err,
		    sizeof(err)) < 0) {
			log_warnx("upstream %s: cannot encode: %s",
			    s->u->server, err);
			return -EINVAL;
		}
		req.body = cbor;
		req.body_len = len;
	}
	rv = chan_request(s->c, &req, resp, (int)s->u->timeout * 1000, err,
	    sizeof(err));
	free(cbor);
	if (rv < 0 && rv != -EINTR)
		log_warnx("upstream %s: %s", s->u->server, err);
	if (rv == 0)
		s->unanswered = 0;	/* any answer is a sign of life */
	return rv;
}

/* RFC 9132 §4.5.2: the server's heartbeat and missing-hb values. */
static int
get_config(struct sess *s)
{
	struct chan_req		rq = { .method = CHAN_GET, .confirmable = 1,
				    .observe = -1, .path = { "config" } };
	struct dc_response	resp;
	int			rv;

	s->hb_idle = s->hb_mit = HB_DEFAULT;
	s->missing_idle = s->missing_mit = MISSING_DEFAULT;
	if ((rv = exchange(s, &rq, NULL, &resp)) < 0)
		return rv;
	if (resp.code == 205 && resp.body != NULL) {
		(void)upbody_config(resp.body, 0, &s->hb_idle,
		    &s->missing_idle);
		(void)upbody_config(resp.body, 1, &s->hb_mit,
		    &s->missing_mit);
	} else
		log_info("upstream %s: session config GET: %d %s",
		    s->u->server, resp.code, resp.diag);
	resp_clear(&resp);
	return 0;
}

static void
path_of(const struct upstream *u, uint32_t mid, char cdid[80],
    char cuid[80], char mids[24], struct chan_req *rq)
{
	int	i = 0;

	rq->path[i++] = "mitigate";
	/* RFC 9132 §4.4.1: a server-domain gateway's cdid comes first */
	if (u->cdid[0] != '\0') {
		snprintf(cdid, 80, "cdid=%s", u->cdid);
		rq->path[i++] = cdid;
	}
	snprintf(cuid, 80, "cuid=%s", u->cuid);
	rq->path[i++] = cuid;
	if (mid != 0) {
		snprintf(mids, 24, "mid=%" PRIu32, mid);
		rq->path[i++] = mids;
	}
}

/* The next request to send, copied out under the lock: changed ones
 * first, then lifetimes at half. Returns 1 with *out, or 0. */
static int
pick(struct upstream *u, time_t now, struct up_req *out)
{
	struct up_req	*r;
	size_t		 i;
	int		 found = 0;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < UP_MAX_REQS && !found; i++) {
		r = &u->req[i];
		if (!r->used || now < r->retry_at)
			continue;
		if (r->dirty || (r->want && now - r->sent >= u->lifetime / 2)) {
			r->dirty = 0;
			*out = *r;
			json_incref(out->body);
			found = 1;
		}
	}
	pthread_mutex_unlock(&u->lock);
	return found;
}

/* Folds the answer to a PUT (want) or DELETE into the table. */
static void
answered(struct upstream *u, const struct up_req *sent,
    const struct dc_response *resp, time_t now)
{
	struct up_req	*r;
	int		 ok = resp->code >= 200 && resp->code < 300;

	pthread_mutex_lock(&u->lock);
	if ((r = up_find(u, sent->group)) == NULL || r->mid != sent->mid)
		goto out;
	if (!sent->want) {
		/* gone upstream, or never there (4.04) */
		if ((ok || resp->code == 404) && !r->want && !r->dirty) {
			json_decref(r->body);
			memset(r, 0, sizeof(*r));
		} else if (!ok && resp->code != 404)
			r->dirty = 1, r->retry_at = now + 5;
		goto out;
	}
	if (ok) {
		r->sent = now;
		goto out;
	}
	/* refused: 5.xx is the upstream's capacity (status 4), 4.xx a
	 * refusal of this request (status 7); tried again at refresh */
	r->sent = now;
	r->have_rep = 1;
	memset(&r->rep, 0, sizeof(r->rep));
	r->rep.mid = r->mid;
	r->rep.status = resp->code >= 500 ? 4 : 7;
out:
	pthread_mutex_unlock(&u->lock);
}

/* Sends one pending request; 1 sent, 0 none, -errno session lost. */
static int
send_one(struct sess *s, time_t now)
{
	struct chan_req		rq = { .retry = 1, .observe = -1 };
	struct dc_response	resp;
	struct up_req		r;
	char			cdid[80], cuid[80], mids[24];
	int			rv;

	if (!pick(s->u, now, &r))
		return 0;
	rq.method = r.want ? CHAN_PUT : CHAN_DELETE;
	path_of(s->u, r.mid, cdid, cuid, mids, &rq);
	rv = exchange(s, &rq, r.want ? r.body : NULL, &resp);
	json_decref(r.body);
	if (rv < 0) {
		pthread_mutex_lock(&s->u->lock);
		if (up_find(s->u, r.group) != NULL)
			up_find(s->u, r.group)->dirty = 1;
		pthread_mutex_unlock(&s->u->lock);
		return rv;
	}
	if (resp.code >= 300)
		log_warnx("upstream %s: %s mid %" PRIu32 ": %d.%02d %s",
		    s->u->server, r.want ? "PUT" : "DELETE", r.mid,
		    resp.code / 100, resp.code % 100, resp.diag);
	else
		log_info("upstream %s: %s mid %" PRIu32 ": %d.%02d",
		    s->u->server, r.want ? "requested" : "withdrew", r.mid,
		    resp.code / 100, resp.code % 100);
	answered(s->u, &r, &resp, now);
	resp_clear(&resp);
	s->rewatch = 1;
	return 1;
}

static void
fold(const struct up_report *rep, void *arg)
{
	struct upstream	*u = arg;
	struct up_req	*r;
	size_t		 i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < UP_MAX_REQS; i++) {
		r = &u->req[i];
		if (!r->used || r->mid != rep->mid || !r->want)
			continue;
		if (!r->have_rep || r->rep.status != rep->status)
			log_info("upstream %s: mid %" PRIu32 " status %d (%s)",
			    u->server, rep->mid, rep->status,
			    codec_enum_name("status", rep->status) ?
			    codec_enum_name("status", rep->status) : "?");
		r->rep = *rep;
		r->have_rep = 1;
	}
	pthread_mutex_unlock(&u->lock);
}

/* Observes all of our cuid's mitigations, and takes what came in. */
static int
watch(struct sess *s, time_t now)
{
	struct chan_req		rq = { .method = CHAN_GET, .observe = 0 };
	struct dc_response	resp;
	char			cdid[80], cuid[80], mids[24], err[128];
	int			rv;

	if (s->rewatch || now - s->last_watch >= REWATCH_EVERY) {
		path_of(s->u, 0, cdid, cuid, mids, &rq);
		if ((rv = chan_watch(s->c, &rq, err, sizeof(err))) < 0)
			return rv;
		s->rewatch = 0;
		s->last_watch = now;
	}
	while (chan_watch_take(s->c, &resp)) {
		s->unanswered = 0;
		if (resp.code == 205 && resp.body != NULL &&
		    upbody_reports(resp.body, fold, s->u, err,
		    sizeof(err)) < 0)
			log_warnx("upstream %s: notification: %s",
			    s->u->server, err);
		resp_clear(&resp);
	}
	return 0;
}

static int
mitigating(struct upstream *u)
{
	size_t	i;
	int	any = 0;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < UP_MAX_REQS && !any; i++)
		any = u->req[i].used && u->req[i].want;
	pthread_mutex_unlock(&u->lock);
	return any;
}

/*
 * RFC 9132 §4.7: a heartbeat every heartbeat-interval (the mitigating
 * one while we hold requests); the session is lost once more than
 * missing-hb-allowed in a row went unanswered with no other sign of
 * life (an answer, a notification, the server's own heartbeat).
 * Returns 0, or -ETIMEDOUT on signal loss.
 */
static int
heartbeat(struct sess *s, time_t now)
{
	struct upstream	*u = s->u;
	int		 mit = mitigating(u);
	unsigned	 hb = u->hb_interval ? u->hb_interval :
			    mit ? s->hb_mit : s->hb_idle;
	unsigned	 missing = u->missing_hb ? u->missing_hb :
			    mit ? s->missing_mit : s->missing_idle;
	unsigned	 answers = chan_heartbeat_answers(s->c);
	double		 last;
	uint8_t		*cbor;
	size_t		 len;
	json_t		*body;
	char		 err[128];

	(void)chan_server_heartbeats(s->c, &last);
	if (answers != s->answers || last != s->server_hb)
		s->unanswered = 0;
	s->answers = answers;
	s->server_hb = last;
	if ((unsigned)(now - s->last_hb) < hb)
		return 0;
	if (s->unanswered > missing) {
		u->losses++;
		log_warnx("upstream %s: signal lost: %u heartbeats "
		    "unanswered (missing-hb-allowed %u)", u->server,
		    s->unanswered, missing);
		return -ETIMEDOUT;
	}
	s->last_hb = now;
	body = upbody_heartbeat(last > 0);
	if (codec_cbor_encode(body, &cbor, &len, err, sizeof(err)) == 0) {
		if (chan_heartbeat(s->c, cbor, len) == 0)
			s->unanswered++;
		free(cbor);
	}
	json_decref(body);
	return 0;
}

static void
dirty_all(struct upstream *u)
{
	size_t	i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < UP_MAX_REQS; i++)
		if (u->req[i].used) {
			u->req[i].dirty = 1;
			u->req[i].retry_at = 0;
		}
	pthread_mutex_unlock(&u->lock);
}

/* One established session, until it is lost or we stop. */
static void
run(struct upstream *u, struct chan *c)
{
	struct sess	s = { .u = u, .c = c, .rewatch = 1 };
	time_t		now;
	int		rv;

	s.last_hb = time(NULL);
	if (get_config(&s) < 0)
		return;
	/* the upstream may have lost or expired them meanwhile */
	dirty_all(u);
	while (!u->stop) {
		now = time(NULL);
		while ((rv = send_one(&s, now)) > 0 && !u->stop)
			now = time(NULL);
		if (rv < 0 || watch(&s, now) < 0 || heartbeat(&s, now) < 0)
			return;
		if (chan_idle(c, IDLE_SLICE_MS) < 0)
			return;
	}
}

static void *
up_main(void *arg)
{
	struct upstream		*u = arg;
	struct chan_opts	 co = { .server = u->server, .cert = u->cert,
				    .key = u->key, .ca = u->ca,
				    .stop = &u->stop };
	struct chan		*c;
	unsigned		 backoff = 1;
	char			 err[256], last_err[256] = "";

	while (!u->stop) {
		if (chan_open(&c, &co, &u->su, (int)u->timeout * 1000, err,
		    sizeof(err)) == 0) {
			log_info("upstream %s: session up", u->server);
			last_err[0] = '\0';
			backoff = 1;
			run(u, c);
			chan_close(c);
			if (!u->stop)
				log_warnx("upstream %s: session down",
				    u->server);
		} else if (strcmp(err, last_err) != 0) {
			/* logged once per cause, not every retry */
			log_warnx("upstream %s: %s (retrying)", u->server, err);
			snprintf(last_err, sizeof(last_err), "%s", err);
		}
		nap(u, backoff);
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	return NULL;
}

int
up_session_start(struct upstream *u, char *err, size_t errlen)
{
	int	r;

	if ((r = up_conf_check(u, err, errlen)) != 0)
		return r;
	u->stop = 0;
	if ((r = pthread_create(&u->thread, NULL, up_main, u)) != 0) {
		snprintf(err, errlen, "cannot start the session thread: %s",
		    strerror(r));
		return -r;
	}
	u->running = 1;
	return 0;
}

/* Stops the thread. Requests stay upstream until their lifetime ends:
 * a restarting dotsd re-sends them under the same cuid. */
void
up_session_stop(struct upstream *u)
{
	if (!u->running)
		return;
	u->stop = 1;
	pthread_join(u->thread, NULL);
	u->running = 0;
}
