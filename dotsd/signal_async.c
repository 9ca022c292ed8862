/*
 * signal_async.c: separate responses (RFC 7252 §5.2.2): requests that
 * mitreq answers later through signal_async_reply(), and their
 * cancellation when the session goes.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/mitreq.h"
#include "dotsd/signal_int.h"
#include "lib/log.h"
#include "yang/codec.h"

/* A request answered later (signal_async_reply). */
struct pending {
	LIST_ENTRY(pending) entry;
	coap_session_t	*cs;		/* referenced */
	uint8_t		 token[8];
	size_t		 toklen;
	uint8_t		 con;		/* request was CON: separate CON */
};

static LIST_HEAD(, pending) pendings = LIST_HEAD_INITIALIZER(pendings);

/* Registers rq as pending; NULL if it cannot be (answered now). */
struct pending *
sigasync_new(const struct req *rq)
{
	coap_bin_const_t tok = coap_pdu_get_token(rq->pdu);
	struct pending *p;

	if (tok.length > sizeof(p->token) ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cs = rq->cs;
	memcpy(p->token, tok.s, tok.length);
	p->toklen = tok.length;
	p->con = coap_pdu_get_type(rq->pdu) == COAP_MESSAGE_CON;
	coap_session_reference(rq->cs);
	LIST_INSERT_HEAD(&pendings, p, entry);
	return p;
}

void
sigasync_free(struct pending *p)
{
	LIST_REMOVE(p, entry);
	coap_session_release(p->cs);
	free(p);
}

/* The session closed: mitreq will not answer these, nor will we. */
void
sigasync_cancel(coap_session_t *cs)
{
	struct pending *p, *next;

	for (p = LIST_FIRST(&pendings); p != NULL; p = next) {
		next = LIST_NEXT(p, entry);
		if (cs != NULL && p->cs != cs)
			continue;
		mitreq_cancel(p);
		sigasync_free(p);
	}
}

void
signal_async_reply(void *pending, struct dots_reply *r)
{
	struct pending *p = pending;
	char d[CODEC_DIAG_LEN];
	uint8_t *buf = NULL, ob[4];
	size_t len = 0;
	coap_pdu_t *pdu;

	if (p == NULL)
		return;
	if (r->drop || coap_session_get_state(p->cs) !=
	    COAP_SESSION_STATE_ESTABLISHED)
		goto out;
	if (r->body != NULL && codec_cbor_encode(r->body, &buf, &len, d,
	    sizeof(d)) != 0) {
		log_warnx("cannot encode async reply: %s", d);
		r->code = 500;
		snprintf(r->diag, sizeof(r->diag), "cannot encode reply");
	}
	/* RFC 7252 §5.2.2: a separate response to a CON is a CON. */
	pdu = coap_pdu_init(p->con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON,
	    sigreply_code(r->code), coap_new_message_id(p->cs),
	    coap_session_max_pdu_size(p->cs));
	if (pdu == NULL)
		goto out;
	coap_add_token(pdu, p->toklen, p->token);
	if (buf != NULL) {
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
		    coap_encode_var_safe(ob, sizeof(ob), CF_DOTS_CBOR), ob);
		if (r->max_age >= 0)
			coap_add_option(pdu, COAP_OPTION_MAXAGE,
			    coap_encode_var_safe(ob, sizeof(ob),
			    (unsigned)r->max_age), ob);
		sigreply_payload(p->cs, pdu, buf, len);
	} else if (r->diag[0] != '\0' && r->code >= 400)
		coap_add_data(pdu, strlen(r->diag), (const uint8_t *)r->diag);
	sigreply_count(r->code);
	coap_send(p->cs, pdu);
out:
	free(buf);
	json_decref(r->body);
	r->body = NULL;
	sigasync_free(p);
}
