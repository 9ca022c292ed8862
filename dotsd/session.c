/*
 * session.c: signal-channel sessions, heartbeats and loss detection (RFC
 * 9132 §4.7), and the per-client session configuration of /config (RFC
 * 9132 §4.5). No CoAP I/O here except through signal_send_hb().
 */
#include <sys/queue.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/store.h"
#include "lib/log.h"

#define SC_PREFIX	"ietf-dots-signal-channel:"

static LIST_HEAD(, sess) sessions = LIST_HEAD_INITIALIZER(sessions);
static int nsessions;

/* Negotiated configuration and liveness of one configured client. */
struct cstate {
	uint8_t		has_sid;
	uint32_t	sid;
	struct sess_params set[2];	/* [0] idle, [1] mitigating */
	uint8_t		lost;		/* mitreq_signal_lost() called */
};

static const struct dotsd_conf *conf;
static struct cstate *cstates;
static int loading;		/* replaying store.c: no write-back */

/* RFC 9132 §4.5.2 parameters, in YANG order. */
static const struct param {
	const char	*name;
	size_t		 off;
	uint8_t		 decimal;	/* *-value-decimal, hundredths */
} params[] = {
	{ "heartbeat-interval", offsetof(struct sess_params, hb_interval), 0 },
	{ "missing-hb-allowed", offsetof(struct sess_params, missing_hb), 0 },
	{ "probing-rate", offsetof(struct sess_params, probing_rate), 0 },
	{ "max-retransmit", offsetof(struct sess_params, max_retransmit), 0 },
	{ "ack-timeout", offsetof(struct sess_params, ack_timeout), 1 },
	{ "ack-random-factor", offsetof(struct sess_params, ack_random_factor),
	    1 },
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))

static const char *set_names[2] = { "idle-config", "mitigating-config" };

static struct cfg_range *
param_of(struct sess_params *sp, const struct param *p)
{
	return (struct cfg_range *)((char *)sp + p->off);
}

static const struct cfg_range *
param_ofc(const struct sess_params *sp, const struct param *p)
{
	return (const struct cfg_range *)((const char *)sp + p->off);
}

static struct cstate *
cstate_of(const struct client_conf *c)
{
	ptrdiff_t i;

	if (c == NULL || cstates == NULL)
		return NULL;
	i = c - conf->clients;
	if (i < 0 || i >= conf->nclients)
		return NULL;
	return &cstates[i];
}

/* "2.00" -> 200. RFC 7951 decimal64 with fraction-digits 2. */
static int
parse_decimal(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	int frac = -1;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (frac >= 0 && ++frac > 2)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (frac < 0)
		frac = 0;
	for (; frac < 2; frac++)
		v *= 10;
	if (v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static json_t *
decimal_json(uint32_t hundredths)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u.%02u", hundredths / 100,
	    hundredths % 100);
	return json_string(buf);
}

/* ------------------------------------------------------------------ */
/* Session configuration                                               */
/* ------------------------------------------------------------------ */

static int
cfg_load_cb(const char *client, uint32_t sid, const char *text, void *arg)
{
	const struct client_conf *c;
	struct cfg_reply r;
	json_t *wire;

	(void)arg;
	if ((c = authz_by_name(conf, client)) == NULL)
		return 0;	/* client removed from the config since */
	if ((wire = json_loads(text, 0, NULL)) == NULL) {
		log_warnx("client %s: stored session config unreadable",
		    client);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	sesscfg_put(c, 1, sid, wire, &r);
	if (r.code != 201 && r.code != 204)
		log_warnx("client %s: stored session config sid %u dropped: %s",
		    client, sid, r.diag);
	json_decref(r.body);
	json_decref(wire);
	return 0;
}

int
sesscfg_init(const struct dotsd_conf *c)
{
	int i, r;

	conf = c;
	cstates = calloc(c->nclients > 0 ? (size_t)c->nclients : 1,
	    sizeof(*cstates));
	if (cstates == NULL)
		return -ENOMEM;
	for (i = 0; i < c->nclients; i++) {
		cstates[i].set[0] = c->idle;
		cstates[i].set[1] = c->mitigating;
	}
	/* Negotiated configurations survive restarts (store.c). */
	loading = 1;
	r = store_cfg_load(cfg_load_cb, NULL);
	loading = 0;
	return r;
}

/* Is every current value of sp inside the ranges of r? */
static int
params_fit(const struct sess_params *sp, const struct sess_params *r)
{
	size_t k;

	for (k = 0; k < NPARAMS; k++) {
		uint32_t v = param_ofc(sp, &params[k])->cur;
		const struct cfg_range *rg = param_ofc(r, &params[k]);

		if (params[k].off == offsetof(struct sess_params, hb_interval) &&
		    v == 0)
			continue;
		if (v < rg->min || v > rg->max)
			return 0;
	}
	return 1;
}

/*
 * Configuration reloaded: sessions and negotiated sets follow their
 * client by name. A negotiated set outside the new ranges falls back to
 * the new defaults; sessions of removed clients lose their identity
 * (their requests get 4.01 until they reconnect).
 */
int
sesscfg_reconf(const struct dotsd_conf *nc)
{
	struct cstate *ncs, *old;
	const struct client_conf *c;
	struct sess *s;
	int i, j;

	ncs = calloc(nc->nclients > 0 ? (size_t)nc->nclients : 1,
	    sizeof(*ncs));
	if (ncs == NULL)
		return -ENOMEM;
	for (i = 0; i < nc->nclients; i++) {
		ncs[i].set[0] = nc->idle;
		ncs[i].set[1] = nc->mitigating;
		for (j = 0; j < conf->nclients; j++) {
			if (strcmp(conf->clients[j].name,
			    nc->clients[i].name) != 0)
				continue;
			old = &cstates[j];
			ncs[i].lost = old->lost;
			if (old->has_sid && params_fit(&old->set[0], &nc->idle) &&
			    params_fit(&old->set[1], &nc->mitigating)) {
				ncs[i] = *old;
			} else if (old->has_sid) {
				log_warnx("client %s: session config sid %u "
				    "outside the new ranges, defaults apply",
				    nc->clients[i].name, old->sid);
				store_cfg_del(nc->clients[i].name);
			}
		}
	}
	LIST_FOREACH(s, &sessions, entry) {
		if (s->client == NULL)
			continue;
		if ((c = authz_by_name(nc, s->client->name)) == NULL)
			log_info("client %s: no longer configured, session %s "
			    "unauthorized", s->client->name, s->peer);
		s->client = c;
		s->set = -1;	/* re-apply the parameters at the next tick */
	}
	free(cstates);
	cstates = ncs;
	conf = nc;
	return 0;
}

void
sesscfg_fini(void)
{
	free(cstates);
	cstates = NULL;
}

const struct sess_params *
sesscfg_active(const struct client_conf *c)
{
	struct cstate *cs = cstate_of(c);
	int idx = mitreq_active(c) ? 1 : 0;

	if (cs == NULL)
		return idx ? &conf->mitigating : &conf->idle;
	return &cs->set[idx];
}

/* The signal-config container: min/max of the server, current negotiated. */
static json_t *
cfg_body(const struct cstate *cs)
{
	json_t *top, *sc;
	size_t i, k;

	sc = json_object();
	/* Mitigating first, as in RFC 9132 Figure 20. */
	for (i = 2; i-- > 0;) {
		const struct sess_params *range = i ? &conf->mitigating :
		    &conf->idle;
		json_t *set = json_object();

		for (k = 0; k < NPARAMS; k++) {
			const struct param *p = &params[k];
			const struct cfg_range *r = param_ofc(range, p);
			uint32_t cur = param_ofc(&cs->set[i], p)->cur;
			json_t *o = json_object();

			if (p->decimal) {
				json_object_set_new(o, "max-value-decimal",
				    decimal_json(r->max));
				json_object_set_new(o, "min-value-decimal",
				    decimal_json(r->min));
				json_object_set_new(o, "current-value-decimal",
				    decimal_json(cur));
			} else {
				json_object_set_new(o, "max-value",
				    json_integer(r->max));
				json_object_set_new(o, "min-value",
				    json_integer(r->min));
				json_object_set_new(o, "current-value",
				    json_integer(cur));
			}
			json_object_set_new(set, p->name, o);
		}
		json_object_set_new(sc, set_names[i], set);
	}
	top = json_object();
	json_object_set_new(top, SC_PREFIX "signal-config", sc);
	return top;
}

/* Only the current values: what store.c keeps. */
static json_t *
cfg_current(const struct cstate *cs)
{
	json_t *top, *sc;
	size_t i, k;

	sc = json_object();
	for (i = 0; i < 2; i++) {
		json_t *set = json_object();

		for (k = 0; k < NPARAMS; k++) {
			const struct param *p = &params[k];
			uint32_t cur = param_ofc(&cs->set[i], p)->cur;
			json_t *o = json_object();

			if (p->decimal)
				json_object_set_new(o, "current-value-decimal",
				    decimal_json(cur));
			else
				json_object_set_new(o, "current-value",
				    json_integer(cur));
			json_object_set_new(set, p->name, o);
		}
		json_object_set_new(sc, set_names[i], set);
	}
	top = json_object();
	json_object_set_new(top, SC_PREFIX "signal-config", sc);
	return top;
}

void
sesscfg_get(const struct client_conf *c, int has_sid, uint32_t sid,
    struct cfg_reply *r)
{
	struct cstate *cs = cstate_of(c);

	if (cs == NULL) {
		r->code = 401;
		snprintf(r->diag, sizeof(r->diag), "unknown client");
		return;
	}
	/* RFC 9132 §4.5.3: GET with a sid we do not hold is 4.04. */
	if (has_sid && (!cs->has_sid || cs->sid != sid)) {
		r->code = 404;
		snprintf(r->diag, sizeof(r->diag), "sid %u not found", sid);
		return;
	}
	r->code = 205;
	r->body = cfg_body(cs);
}

/*
 * Parses one parameter set of a PUT into out (which holds the server
 * defaults). 0, -EINVAL (malformed, 4.00) or -ERANGE (4.22), why in diag.
 */
static int
cfg_parse_set(json_t *set, const struct sess_params *range,
    struct sess_params *out, int *nfound, char *diag, size_t diaglen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(set)) {
		snprintf(diag, diaglen, "parameter set is not a container");
		return -EINVAL;
	}
	json_object_foreach(set, key, val) {
		const struct param *p = NULL;
		const struct cfg_range *r;
		json_t *cur;
		uint32_t v;
		size_t k;

		for (k = 0; k < NPARAMS; k++)
			if (strcmp(params[k].name, key) == 0)
				p = &params[k];
		if (p == NULL) {
			snprintf(diag, diaglen, "unknown parameter %s", key);
			return -EINVAL;
		}
		if (p->decimal) {
			cur = json_object_get(val, "current-value-decimal");
			if (!json_is_string(cur) ||
			    parse_decimal(json_string_value(cur), &v) != 0) {
				snprintf(diag, diaglen, "%s: bad "
				    "current-value-decimal", key);
				return -EINVAL;
			}
		} else {
			cur = json_object_get(val, "current-value");
			if (!json_is_integer(cur) ||
			    json_integer_value(cur) < 0 ||
			    json_integer_value(cur) > 65535) {
				snprintf(diag, diaglen, "%s: bad current-value",
				    key);
				return -EINVAL;
			}
			v = (uint32_t)json_integer_value(cur);
		}
		r = param_ofc(range, p);
		/* RFC 9132 §4.5.2: heartbeat-interval 0 disables heartbeats. */
		if (!(p->off == offsetof(struct sess_params, hb_interval) &&
		    v == 0) && (v < r->min || v > r->max)) {
			if (p->decimal)
				snprintf(diag, diaglen, "%s %u.%02u outside "
				    "%u.%02u..%u.%02u", key, v / 100, v % 100,
				    r->min / 100, r->min % 100, r->max / 100,
				    r->max % 100);
			else
				snprintf(diag, diaglen, "%s %u outside %u..%u",
				    key, v, r->min, r->max);
			return -ERANGE;
		}
		param_of(out, p)->cur = v;
		(*nfound)++;
	}
	return 0;
}

void
sesscfg_put(const struct client_conf *c, int has_sid, uint32_t sid,
    json_t *wire, struct cfg_reply *r)
{
	struct cstate *cs = cstate_of(c);
	struct sess_params set[2];
	json_t *sc;
	const char *key;
	json_t *val, *cur;
	char *text;
	int nfound = 0, err, created;

	if (cs == NULL) {
		r->code = 401;
		snprintf(r->diag, sizeof(r->diag), "unknown client");
		return;
	}
	/* RFC 9132 §4.5.2: a PUT without sid is invalid. */
	if (!has_sid) {
		r->code = 400;
		snprintf(r->diag, sizeof(r->diag), "missing sid");
		return;
	}
	/* RFC 9132 §11: lower sids are replays or stale. */
	if (cs->has_sid && sid < cs->sid) {
		r->code = 400;
		snprintf(r->diag, sizeof(r->diag), "sid %u lower than current "
		    "%u", sid, cs->sid);
		return;
	}
	sc = json_object_get(wire, SC_PREFIX "signal-config");
	if (!json_is_object(sc)) {
		r->code = 400;
		snprintf(r->diag, sizeof(r->diag), "body is not a "
		    "signal-config");
		return;
	}
	/* Missing parameters take the server defaults (§4.5.2). */
	set[0] = conf->idle;
	set[1] = conf->mitigating;
	json_object_foreach(sc, key, val) {
		int idx;

		if (strcmp(key, set_names[0]) == 0)
			idx = 0;
		else if (strcmp(key, set_names[1]) == 0)
			idx = 1;
		else if (strcmp(key, "sid") == 0)
			continue;	/* older drafts echo it; ignore */
		else {
			r->code = 400;
			snprintf(r->diag, sizeof(r->diag), "unknown member %s",
			    key);
			return;
		}
		err = cfg_parse_set(val, idx ? &conf->mitigating : &conf->idle,
		    &set[idx], &nfound, r->diag, sizeof(r->diag));
		if (err != 0) {
			r->code = err == -ERANGE ? 422 : 400;
			return;
		}
	}
	if (nfound == 0) {
		r->code = 400;
		snprintf(r->diag, sizeof(r->diag), "no parameter to configure");
		return;
	}
	created = !cs->has_sid || cs->sid != sid;
	cs->has_sid = 1;
	cs->sid = sid;
	cs->set[0] = set[0];
	cs->set[1] = set[1];
	r->code = created ? 201 : 204;
	if (loading)
		return;

	/* Acknowledged state is durable (store.h); a failure is logged. */
	cur = cfg_current(cs);
	text = json_dumps(cur, JSON_COMPACT);
	json_decref(cur);
	if (text == NULL || store_cfg_put(c->name, sid, text) != 0)
		log_warnx("client %s: cannot store session config sid %u",
		    c->name, sid);
	free(text);
	signal_notify_config(c);
}

void
sesscfg_delete(const struct client_conf *c, struct cfg_reply *r)
{
	struct cstate *cs = cstate_of(c);

	if (cs == NULL) {
		r->code = 401;
		snprintf(r->diag, sizeof(r->diag), "unknown client");
		return;
	}
	/* RFC 9132 §4.5.4: back to the defaults, with or without sid. */
	cs->has_sid = 0;
	cs->sid = 0;
	cs->set[0] = conf->idle;
	cs->set[1] = conf->mitigating;
	if (store_cfg_del(c->name) != 0)
		log_warnx("client %s: cannot delete stored session config",
		    c->name);
	r->code = 202;
	signal_notify_config(c);
}

/* ------------------------------------------------------------------ */
/* Sessions                                                            */
/* ------------------------------------------------------------------ */

struct sess *
sess_get(coap_session_t *cs, int create)
{
	struct sess *s = coap_session_get_app_data(cs);
	const coap_address_t *a;

	if (s != NULL || !create)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cs = cs;
	s->set = -1;
	s->created = s->last_rx = time(NULL);
	s->tcp = COAP_PROTO_RELIABLE(coap_session_get_proto(cs));
	a = coap_session_get_addr_remote(cs);
	if (a == NULL || coap_print_addr(a, (uint8_t *)s->peer,
	    sizeof(s->peer)) == 0)
		snprintf(s->peer, sizeof(s->peer), "?");
	coap_session_set_app_data(cs, s);
	LIST_INSERT_HEAD(&sessions, s, entry);
	nsessions++;
	return s;
}

static int
client_live_sessions(const struct client_conf *c, const struct sess *except)
{
	struct sess *s;
	int n = 0;

	LIST_FOREACH(s, &sessions, entry)
		if (s != except && s->client == c && !s->lost)
			n++;
	return n;
}

static void
client_lost(const struct client_conf *c)
{
	struct cstate *cs = cstate_of(c);

	if (cs == NULL || cs->lost)
		return;
	cs->lost = 1;
	dotsd_counters.sessions_lost++;
	log_warnx("client %s: signal channel lost", c->name);
	mitreq_signal_lost(c);
}

void
sess_free(struct sess *s)
{
	if (s == NULL)
		return;
	/*
	 * libcoap drops a session that stayed silent for its idle timeout;
	 * if our heartbeats were going unanswered, that is a loss too.
	 */
	if (s->client != NULL && !s->lost && s->missed > 0 &&
	    client_live_sessions(s->client, s) == 0)
		client_lost(s->client);
	signal_sess_gone(s);
	coap_session_set_app_data(s->cs, NULL);
	LIST_REMOVE(s, entry);
	nsessions--;
	free(s);
}

int
sess_count(void)
{
	return nsessions;
}

void
sess_rx(struct sess *s, time_t now)
{
	struct cstate *cs;

	s->last_rx = now;
	if (s->client == NULL)
		return;
	cs = cstate_of(s->client);
	s->lost = 0;
	if (cs != NULL && cs->lost) {
		cs->lost = 0;
		log_info("client %s: signal channel restored (%s)",
		    s->client->name, s->peer);
		mitreq_signal_restored(s->client);
	}
}

void
sess_hb_rx(struct sess *s, time_t now)
{
	s->last_hb_rx = now;
	dotsd_counters.heartbeats_rx++;
	sess_rx(s, now);
}

/*
 * Checks a decoded heartbeat body, {"...:heartbeat": {"peer-hb-status":
 * B}}. RFC 9132 §4.7 makes peer-hb-status mandatory; the YANG cannot say
 * so (an empty heartbeat selects no case of its choice), so this does.
 * Returns 0 with B in *peer_ok, or -EBADMSG with a reason in why.
 */
int
sess_hb_body(const json_t *wire, int *peer_ok, char *why, size_t whylen)
{
	const json_t *hb, *st;

	hb = json_object_get(wire, "ietf-dots-signal-channel:heartbeat");
	if (!json_is_object(hb)) {
		snprintf(why, whylen, "body is not a heartbeat");
		return -EBADMSG;
	}
	if ((st = json_object_get(hb, "peer-hb-status")) == NULL) {
		snprintf(why, whylen, "heartbeat without the mandatory "
		    "peer-hb-status");
		return -EBADMSG;
	}
	if (!json_is_boolean(st)) {
		snprintf(why, whylen, "peer-hb-status must be a boolean");
		return -EBADMSG;
	}
	*peer_ok = json_is_true(st);
	return 0;
}

void
sess_hb_answered(struct sess *s, time_t now)
{
	s->hb_pending = 0;
	s->missed = 0;
	sess_rx(s, now);
}

static coap_fixed_point_t
fixed_point(uint32_t hundredths)
{
	coap_fixed_point_t fp;

	fp.integer_part = (uint16_t)(hundredths / 100);
	fp.fractional_part = (uint16_t)((hundredths % 100) * 10);
	return fp;
}

/* RFC 9132 §4.5: both peers use the negotiated transmission values. */
static void
sess_apply(struct sess *s, const struct sess_params *sp)
{
	if (s->tcp)
		return;		/* RFC 8323: no retransmission at CoAP level */
	coap_session_set_ack_timeout(s->cs, fixed_point(sp->ack_timeout.cur));
	coap_session_set_ack_random_factor(s->cs,
	    fixed_point(sp->ack_random_factor.cur));
	coap_session_set_max_retransmit(s->cs, sp->max_retransmit.cur);
}

static void
sess_tick_one(struct sess *s, time_t now)
{
	const struct sess_params *sp;
	uint32_t interval, allowed;
	int idx, peer_ok;

	if (s->client == NULL)
		return;
	idx = mitreq_active(s->client) ? 1 : 0;
	sp = sesscfg_active(s->client);
	if (idx != s->set) {
		sess_apply(s, sp);
		s->set = (int8_t)idx;
	}
	interval = sp->hb_interval.cur;
	if (interval == 0 || s->lost)
		return;		/* heartbeats disabled, or already lost */
	if (now - s->last_hb_tx < (time_t)interval)
		return;
	if (s->hb_pending) {
		if (s->missed++ == 0)
			s->first_missed = s->last_hb_tx;
	}
	/*
	 * RFC 9132 §4.7: lost when missing-hb-allowed heartbeats went
	 * unanswered and nothing at all came from the peer meanwhile. Over
	 * TLS one unanswered heartbeat (waited heartbeat-interval) counts.
	 */
	allowed = s->tcp ? 1 : sp->missing_hb.cur;
	if (allowed == 0)
		allowed = 1;
	if (s->missed >= allowed && s->last_rx < s->first_missed) {
		s->lost = 1;
		log_info("client %s: session %s: %u heartbeats unanswered",
		    s->client->name, s->peer, s->missed);
		if (client_live_sessions(s->client, s) == 0)
			client_lost(s->client);
		return;
	}
	/* "I heard you within the last 2 x heartbeat-interval." */
	peer_ok = s->last_hb_rx != 0 &&
	    now - s->last_hb_rx <= 2 * (time_t)interval;
	if (signal_send_hb(s, peer_ok) == 0) {
		dotsd_counters.heartbeats_tx++;
		s->hb_pending = 1;
	}
	s->last_hb_tx = now;
}

void
sess_tick(time_t now)
{
	struct sess *s, *next;

	for (s = LIST_FIRST(&sessions); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		sess_tick_one(s, now);
	}
}

json_t *
sess_dump(void)
{
	json_t *a = json_array();
	struct sess *s;

	LIST_FOREACH(s, &sessions, entry) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:I, "
		    "s:I, s:i, s:b}",
		    "client", s->client ? s->client->name : "",
		    "peer", s->peer,
		    "transport", s->tcp ? "tls" : "dtls",
		    "since", (json_int_t)s->created,
		    "last-rx", (json_int_t)s->last_rx,
		    "last-hb-rx", (json_int_t)s->last_hb_rx,
		    "missed-hb", (int)s->missed,
		    "lost", (int)s->lost));
	}
	return a;
}

void
sess_fini(void)
{
	struct sess *s;

	while ((s = LIST_FIRST(&sessions)) != NULL) {
		coap_session_set_app_data(s->cs, NULL);
		LIST_REMOVE(s, entry);
		free(s);
	}
	nsessions = 0;
}
