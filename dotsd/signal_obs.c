/*
 * signal_obs.c: Observe (RFC 7641) on /mitigate and /config: the
 * registrations, kept per session and token, and the notifications sent
 * when a mitigation or a session configuration changes.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/signal_int.h"
#include "dotsd/signal_uri.h"
#include "lib/log.h"
#include "yang/codec.h"

#define MAX_OBS_PER_SESS 32

/* An Observe registration (RFC 7641), kept here: libcoap 4.3.1 cannot
 * observe its unknown-resource handler, and DOTS keys observers by the
 * Uri-Path parameters (cuid, mid) rather than by a static resource. */
struct obs {
	LIST_ENTRY(obs) entry;
	struct sess	*s;
	uint8_t		 token[8];
	size_t		 toklen;
	uint8_t		 res;		/* enum sig_resource */
	struct dots_uri	 uri;
	uint32_t	 seq;
};

static LIST_HEAD(, obs) observers = LIST_HEAD_INITIALIZER(observers);

static struct obs *
obs_find(const struct sess *s, const coap_pdu_t *pdu)
{
	coap_bin_const_t tok = coap_pdu_get_token(pdu);
	struct obs *o;

	LIST_FOREACH(o, &observers, entry)
		if (o->s == s && o->toklen == tok.length &&
		    memcmp(o->token, tok.s, tok.length) == 0)
			return o;
	return NULL;
}

static void
obs_free(struct obs *o)
{
	LIST_REMOVE(o, entry);
	free(o);
}

/*
 * Handles the Observe option of a GET. Returns the sequence number to put
 * in a 2.05 (a registration), or -1 (no Observe in the answer).
 */
int64_t
sigobs_request(const struct req *rq, const struct dots_uri *u, int ok)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	struct obs *o, *x;
	coap_bin_const_t tok;
	unsigned action;
	int n = 0;

	if ((opt = coap_check_option(rq->pdu, COAP_OPTION_OBSERVE, &it)) ==
	    NULL)
		return -1;
	action = coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt));
	o = obs_find(rq->s, rq->pdu);
	/* RFC 7641 §3.6: deregistration, or an error ends the relation. */
	if (action != COAP_OBSERVE_ESTABLISH || !ok) {
		if (o != NULL)
			obs_free(o);
		return -1;
	}
	tok = coap_pdu_get_token(rq->pdu);
	if (o == NULL) {
		LIST_FOREACH(x, &observers, entry)
			if (x->s == rq->s)
				n++;
		if (n >= MAX_OBS_PER_SESS || tok.length > sizeof(o->token))
			return -1;
		if ((o = calloc(1, sizeof(*o))) == NULL)
			return -1;
		o->s = rq->s;
		memcpy(o->token, tok.s, tok.length);
		o->toklen = tok.length;
		o->seq = 2;
		LIST_INSERT_HEAD(&observers, o, entry);
	}
	o->res = (uint8_t)rq->path.res;
	if (u != NULL)
		o->uri = *u;
	return o->seq++;
}

/* Sends one notification: NON always (RFC 9132 §4.4.2.1). */
static void
obs_send(struct obs *o, int code, const json_t *body, const char *diag,
    int max_age)
{
	coap_session_t *cs = o->s->cs;
	char d[CODEC_DIAG_LEN];
	uint8_t *buf = NULL, ob[4];
	size_t len = 0;
	coap_pdu_t *pdu;

	if (body != NULL && codec_cbor_encode(body, &buf, &len, d,
	    sizeof(d)) != 0) {
		log_warnx("%s: cannot encode notification: %s",
		    sess_name(o->s), d);
		return;
	}
	pdu = coap_pdu_init(COAP_MESSAGE_NON, sigreply_code(code),
	    coap_new_message_id(cs), coap_session_max_pdu_size(cs));
	if (pdu == NULL)
		goto out;
	coap_add_token(pdu, o->toklen, o->token);
	if (code / 100 == 2)
		coap_add_option(pdu, COAP_OPTION_OBSERVE,
		    coap_encode_var_safe(ob, sizeof(ob), o->seq++ & 0xffffff),
		    ob);
	if (buf != NULL) {
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
		    coap_encode_var_safe(ob, sizeof(ob), CF_DOTS_CBOR), ob);
		if (max_age >= 0)
			coap_add_option(pdu, COAP_OPTION_MAXAGE,
			    coap_encode_var_safe(ob, sizeof(ob),
			    (unsigned)max_age), ob);
		sigreply_payload(cs, pdu, buf, len);
	} else if (diag != NULL && *diag != '\0')
		coap_add_data(pdu, strlen(diag), (const uint8_t *)diag);
	if (coap_send(cs, pdu) != COAP_INVALID_MID)
		dotsd_counters.notifications++;
out:
	free(buf);
}

void
signal_notify(const struct client_conf *c, const char *cuid)
{
	struct obs *o, *next;

	for (o = LIST_FIRST(&observers); o != NULL; o = next) {
		struct dots_peer peer;
		struct dots_reply r;

		next = LIST_NEXT(o, entry);
		if (o->res != RES_MITIGATE || o->s->client != c)
			continue;
		if (cuid != NULL && strcmp(o->uri.cuid, cuid) != 0)
			continue;
		memset(&peer, 0, sizeof(peer));
		memset(&r, 0, sizeof(r));
		r.max_age = -1;
		peer.client = c;
		peer.session = o->s->cs;
		mitreq_get(&peer, &o->uri, &r);
		if (r.drop || r.async) {
			json_decref(r.body);
			continue;
		}
		obs_send(o, r.code, r.body, r.diag,
		    r.max_age >= 0 && r.max_age <= INT32_MAX ?
		    (int)r.max_age : -1);
		json_decref(r.body);
		/* RFC 7641 §3.2: an error notification ends the relation. */
		if (r.code / 100 != 2)
			obs_free(o);
	}
}

void
signal_notify_config(const struct client_conf *c)
{
	struct obs *o;

	LIST_FOREACH(o, &observers, entry) {
		struct cfg_reply r;

		if (o->res != RES_CONFIG || o->s->client != c)
			continue;
		memset(&r, 0, sizeof(r));
		sesscfg_get(c, 0, 0, &r);
		obs_send(o, r.code, r.body, r.diag, CONFIG_MAX_AGE);
		json_decref(r.body);
	}
}

void
signal_sess_gone(struct sess *s)
{
	struct obs *o, *next;

	for (o = LIST_FIRST(&observers); o != NULL; o = next) {
		next = LIST_NEXT(o, entry);
		if (o->s == s)
			obs_free(o);
	}
}

/* After a reload: observers of sessions that lost their client go. */
void
sigobs_reconf(void)
{
	struct obs *o, *next;

	for (o = LIST_FIRST(&observers); o != NULL; o = next) {
		next = LIST_NEXT(o, entry);
		if (o->s->client == NULL)
			obs_free(o);
	}
}

void
sigobs_fini(void)
{
	struct obs *o;

	while ((o = LIST_FIRST(&observers)) != NULL)
		obs_free(o);
}
