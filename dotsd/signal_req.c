/*
 * signal_req.c: the one handler of every request under /.well-known/dots:
 * who may ask, Uri-Path, method, Content-Format and size checks, CBOR
 * decoding and validation of bodies, then /mitigate, /config and /hb.
 * Their semantics live in mitreq*.c and session.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/signal_int.h"
#include "dotsd/signal_uri.h"
#include "lib/log.h"
#include "yang/codec.h"

#define MAX_PATH_SEGS	(3 + SIGURI_MAX_SEGS)

/*
 * Collects the Uri-Path options and hands them to sigpath_parse().
 * 0, -ENOENT (not ours: 4.04) or -EINVAL (4.00) with why.
 */
static int
parse_path(struct req *rq, char *why, size_t whylen)
{
	const char *segs[MAX_PATH_SEGS];
	size_t lens[MAX_PATH_SEGS];
	coap_opt_filter_t filter;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	int n = 0;

	coap_option_filter_clear(&filter);
	coap_option_filter_set(&filter, COAP_OPTION_URI_PATH);
	coap_option_iterator_init(rq->pdu, &it, &filter);
	while ((opt = coap_option_next(&it)) != NULL) {
		if (n == MAX_PATH_SEGS) {
			snprintf(why, whylen, "too many Uri-Path segments");
			return -EINVAL;
		}
		segs[n] = (const char *)coap_opt_value(opt);
		lens[n] = coap_opt_length(opt);
		n++;
	}
	return sigpath_parse(&rq->path, segs, lens, n, why, whylen);
}

/*
 * Decodes and validates a body whose top-level container must be
 * `container`. 0 and *out, or -EBADMSG with why (4.00).
 */
static int
decode_body(const struct req *rq, const char *container, json_t **out,
    char *why, size_t whylen)
{
	char diag[CODEC_DIAG_LEN];
	json_t *wire = NULL;
	const char *key;
	json_t *val;

	if (rq->len == 0) {
		snprintf(why, whylen, "missing body");
		return -EBADMSG;
	}
	if (codec_cbor_decode(rq->body, rq->len, &wire, diag,
	    sizeof(diag)) != 0) {
		snprintf(why, whylen, "%s", diag);
		return -EBADMSG;
	}
	/* RFC 9132 §4.4.1, §4.5.2, §4.7: one container of the resource. */
	json_object_foreach(wire, key, val) {
		if (strcmp(key, container) != 0) {
			snprintf(why, whylen, "unexpected %s in body", key);
			json_decref(wire);
			return -EBADMSG;
		}
	}
	if (json_object_get(wire, container) == NULL) {
		snprintf(why, whylen, "body is not a %s", container +
		    strlen(SC_PREFIX));
		json_decref(wire);
		return -EBADMSG;
	}
	if (codec_yang_validate_signal(wire, diag, sizeof(diag)) != 0) {
		snprintf(why, whylen, "%s", diag);
		json_decref(wire);
		return -EBADMSG;
	}
	*out = wire;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Resources                                                          */
/* ------------------------------------------------------------------ */

static void
handle_mitigate(struct req *rq)
{
	struct dots_uri u;
	struct dots_peer peer;
	struct dots_reply r;
	struct pending *p = NULL;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	json_t *wire = NULL;
	char why[256];
	int64_t seq = -1;
	int efficacy = 0;

	if (sigpath_mitigate(&rq->path, rq->s->client->gateway, &u, why,
	    sizeof(why)) != 0) {
		sigreply_diag(rq->resp, 400, "%s", why);
		return;
	}
	/* RFC 9132 §4.4.1, §4.4.4: PUT and DELETE name one mid. */
	if (!u.has_mid && rq->method != COAP_REQUEST_CODE_GET) {
		sigreply_diag(rq->resp, 400, "missing mid");
		return;
	}
	if (rq->method == COAP_REQUEST_CODE_PUT) {
		if (decode_body(rq, SC_PREFIX "mitigation-scope", &wire, why,
		    sizeof(why)) != 0) {
			log_debug("%s: mid %u: %s", sess_name(rq->s), u.mid,
			    why);
			sigreply_diag(rq->resp, 400, "%s", why);
			return;
		}
		/* RFC 9132 §4.4.3: efficacy updates carry an empty If-Match. */
		opt = coap_check_option(rq->pdu, COAP_OPTION_IF_MATCH, &it);
		efficacy = opt != NULL && coap_opt_length(opt) == 0;
	} else if (rq->len > 0) {
		sigreply_diag(rq->resp, 400, "unexpected body");
		return;
	}

	memset(&peer, 0, sizeof(peer));
	memset(&r, 0, sizeof(r));
	r.max_age = -1;
	peer.client = rq->s->client;
	peer.session = rq->cs;
	/* Registered before the call: mitreq may answer from a callback. */
	p = sigasync_new(rq);
	peer.pending = p;
	/* RFC 7252 §5.2.1: a CON is answered in its ACK (no group wait) */
	peer.piggyback = coap_pdu_get_type(rq->pdu) == COAP_MESSAGE_CON &&
	    COAP_PROTO_NOT_RELIABLE(coap_session_get_proto(rq->cs));

	if (rq->method == COAP_REQUEST_CODE_PUT)
		mitreq_put(&peer, &u, wire, efficacy, &r);
	else if (rq->method == COAP_REQUEST_CODE_GET)
		mitreq_get(&peer, &u, &r);
	else
		mitreq_delete(&peer, &u, &r);
	json_decref(wire);

	if (r.async && p != NULL) {
		/* Empty ACK now (CON), the answer later. */
		json_decref(r.body);
		return;
	}
	if (p != NULL)
		sigasync_free(p);
	if (r.drop) {
		json_decref(r.body);
		return;
	}
	if (rq->method == COAP_REQUEST_CODE_GET)
		seq = sigobs_request(rq, &u, r.code == 205);
	if (r.body != NULL)
		sigreply_body(rq->cs, rq->pdu, rq->resp, rq->query, r.code,
		    r.body, r.max_age >= 0 && r.max_age <= INT32_MAX ?
		    (int)r.max_age : -1, seq);
	else if (r.code >= 400)
		sigreply_diag(rq->resp, r.code, "%s", r.diag[0] ? r.diag :
		    "request failed");
	else {
		coap_pdu_set_code(rq->resp, sigreply_code(r.code));
		sigreply_count(r.code);
	}
	json_decref(r.body);
}

static void
handle_config(struct req *rq)
{
	struct cfg_reply r;
	uint32_t sid = 0;
	int has_sid = 0;
	int64_t seq = -1;
	json_t *wire = NULL;
	char why[256];

	if (sigpath_config(&rq->path, &has_sid, &sid, why, sizeof(why)) !=
	    0) {
		sigreply_diag(rq->resp, 400, "%s", why);
		return;
	}
	memset(&r, 0, sizeof(r));
	switch ((int)rq->method) {
	case COAP_REQUEST_CODE_GET:
		sesscfg_get(rq->s->client, has_sid, sid, &r);
		seq = sigobs_request(rq, NULL, r.code == 205);
		break;
	case COAP_REQUEST_CODE_PUT:
		if (decode_body(rq, SC_PREFIX "signal-config", &wire, why,
		    sizeof(why)) != 0) {
			sigreply_diag(rq->resp, 400, "%s", why);
			return;
		}
		sesscfg_put(rq->s->client, has_sid, sid, wire, &r);
		json_decref(wire);
		if (r.code == 422)
			log_debug("%s: config sid %u refused: %s",
			    sess_name(rq->s), sid, r.diag);
		break;
	case COAP_REQUEST_CODE_DELETE:
		sesscfg_delete(rq->s->client, &r);
		break;
	}
	if (r.body != NULL)
		sigreply_body(rq->cs, rq->pdu, rq->resp, rq->query, r.code,
		    r.body, CONFIG_MAX_AGE, seq);
	else if (r.code >= 400)
		sigreply_diag(rq->resp, r.code, "%s", r.diag);
	else {
		coap_pdu_set_code(rq->resp, sigreply_code(r.code));
		sigreply_count(r.code);
	}
	json_decref(r.body);
}

static void
handle_hb(struct req *rq)
{
	json_t *wire = NULL;
	char why[256];
	int peer_ok, r;

	/* RFC 9132 §4.7: no parameters; body with peer-hb-status. */
	if (rq->path.nparams > 0) {
		sigreply_diag(rq->resp, 400, "unexpected Uri-Path segment");
		return;
	}
	if (decode_body(rq, SC_PREFIX "heartbeat", &wire, why,
	    sizeof(why)) != 0) {
		sigreply_diag(rq->resp, 400, "%s", why);
		return;
	}
	r = sess_hb_body(wire, &peer_ok, why, sizeof(why));
	json_decref(wire);
	if (r != 0) {
		sigreply_diag(rq->resp, 400, "%s", why);
		return;
	}
	if (!peer_ok)
		log_debug("%s: the client hears no heartbeats from us",
		    sess_name(rq->s));
	sess_hb_rx(rq->s, time(NULL));
	coap_pdu_set_code(rq->resp, sigreply_code(204));
	sigreply_count(204);
}

/* Methods each resource supports (RFC 9132 §4.4, §4.5, §4.7). */
static int
method_ok(int res, coap_pdu_code_t m)
{
	switch (res) {
	case RES_MITIGATE:
	case RES_CONFIG:
		return m == COAP_REQUEST_CODE_PUT ||
		    m == COAP_REQUEST_CODE_GET ||
		    m == COAP_REQUEST_CODE_DELETE;
	case RES_HB:
		return m == COAP_REQUEST_CODE_PUT;
	}
	return 0;
}

/* The one entry point of every request under /.well-known/dots. */
void
sigreq_handle(coap_resource_t *resource, coap_session_t *cs,
    const coap_pdu_t *pdu, const coap_string_t *query, coap_pdu_t *resp)
{
	struct req rq;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	char why[256];
	size_t offset, total;
	int err;

	(void)resource;
	dotsd_counters.requests++;
	memset(&rq, 0, sizeof(rq));
	rq.cs = cs;
	rq.pdu = pdu;
	rq.resp = resp;
	rq.query = query;
	rq.method = coap_pdu_get_code(pdu);
	rq.s = sess_get(cs, 1);
	if (rq.s == NULL) {
		sigreply_diag(resp, 500, "out of memory");
		return;
	}
	sess_rx(rq.s, time(NULL));
	/* RFC 9132 §8: only authenticated, configured clients. */
	if (rq.s->client == NULL) {
		sigreply_diag(resp, 401, "client not authorized");
		return;
	}
	err = parse_path(&rq, why, sizeof(why));
	if (err == -ENOENT) {
		sigreply_diag(resp, 404, "no such resource");
		return;
	}
	if (err != 0) {
		sigreply_diag(resp, 400, "%s", why);
		return;
	}
	if (!method_ok(rq.path.res, rq.method)) {
		sigreply_diag(resp, 405, "method not allowed");
		return;
	}
	if (coap_get_data_large(pdu, &rq.len, &rq.body, &offset, &total) &&
	    (offset != 0 || rq.len != total)) {
		sigreply_diag(resp, 408, "incomplete body");
		return;
	}
	/* RFC 9132 §5: payloads are application/dots+cbor, else 4.15. */
	opt = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
	if (rq.len > 0 && (opt == NULL ||
	    coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) !=
	    CF_DOTS_CBOR)) {
		sigreply_diag(resp, 415, "Content-Format must be "
		    "application/dots+cbor (271)");
		return;
	}
	if (rq.len > CODEC_MAX_BODY) {
		sigreply_diag(resp, 413, "body too large");
		return;
	}

	switch (rq.path.res) {
	case RES_MITIGATE:
		handle_mitigate(&rq);
		break;
	case RES_CONFIG:
		handle_config(&rq);
		break;
	case RES_HB:
		handle_hb(&rq);
		break;
	}
}
