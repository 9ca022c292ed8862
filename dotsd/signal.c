/*
 * signal.c: the RFC 9132 signal channel over libcoap 4.3.1: the CoAP
 * context, DTLS and TLS endpoints with mutual X.509 (or PSK)
 * authentication, the /.well-known/dots resources, Observe, notifications
 * and separate (async) responses. Session state, heartbeats and /config
 * semantics live in session.c; /mitigate semantics in mitreq.c.
 */
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coap3/coap.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/signal.h"
#include "dotsd/signal_uri.h"
#include "lib/log.h"
#include "yang/codec.h"

#define SC_PREFIX	"ietf-dots-signal-channel:"
#define CF_DOTS_CBOR	COAP_MEDIATYPE_APPLICATION_DOTS_CBOR	/* 271 */
#define MAX_PATH_SEGS	(3 + SIGURI_MAX_SEGS)
#define MAX_OBS_PER_SESS 32
#define CONFIG_MAX_AGE	3600	/* s; clients refresh /config before */
#define DTLS_RCVBUF	(4 * 1024 * 1024)

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

/* A request answered later (signal_async_reply). */
struct pending {
	LIST_ENTRY(pending) entry;
	coap_session_t	*cs;		/* referenced */
	uint8_t		 token[8];
	size_t		 toklen;
	uint8_t		 con;		/* request was CON: separate CON */
};

static const struct dotsd_conf *conf;
static coap_context_t *ctx;
static coap_resource_t *res_dots;
static LIST_HEAD(, obs) observers = LIST_HEAD_INITIALIZER(observers);
static LIST_HEAD(, pending) pendings = LIST_HEAD_INITIALIZER(pendings);
static uint8_t *pem_cert, *pem_key, *pem_ca;
static size_t pem_cert_len, pem_key_len, pem_ca_len;
static uint8_t *der_cert, *der_key, *der_ca;	/* OPENSSL_free */
static int der_cert_len, der_key_len, der_ca_len;
static uint8_t *hb_body[2];		/* peer-hb-status false/true */
static size_t hb_len[2];

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

static const char *
sess_name(const struct sess *s)
{
	if (s == NULL)
		return "?";
	return s->client != NULL ? s->client->name : s->peer;
}

/* FNV-1a: ETags for dynamic representations (RFC 7252 §5.10.6). */
static uint64_t
etag_of(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

static void
count_code(int code)
{
	if (code >= 200 && code < 300)
		dotsd_counters.responses_2xx++;
	else if (code >= 400 && code < 500)
		dotsd_counters.responses_4xx++;
	else if (code >= 500)
		dotsd_counters.responses_5xx++;
}

static coap_pdu_code_t
coap_code(int code)
{
	return (coap_pdu_code_t)COAP_RESPONSE_CODE(code);
}

static void
reply_diag(coap_pdu_t *resp, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 4.xx/5.xx carry a text diagnostic payload (RFC 7252 §5.5.2). */
static void
reply_diag(coap_pdu_t *resp, int code, const char *fmt, ...)
{
	char diag[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(diag, sizeof(diag), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(diag))
		n = sizeof(diag) - 1;
	coap_pdu_set_code(resp, coap_code(code));
	if (n > 0)
		coap_add_data(resp, (size_t)n, (const uint8_t *)diag);
	count_code(code);
}

/* The largest block size exponent whose block fits a message of cs. */
static unsigned
block_szx(coap_session_t *cs)
{
	size_t room = coap_session_max_pdu_size(cs);
	unsigned szx = 6;	/* 1024 bytes; BERT (7) is not used */

	while (szx > 0 && (16U << szx) + 64 > room)
		szx--;
	return szx;
}

/*
 * Adds block num (size 16 << szx) of a representation, with ETag and Size2
 * (RFC 7959 §2.2, §4). The blocks are cut from the representation of this
 * moment, so a client sees a changed ETag rather than stale blocks.
 */
static void
add_block(coap_pdu_t *pdu, const uint8_t *buf, size_t len, unsigned num,
    unsigned szx)
{
	uint8_t ob[8];
	size_t bsize = 16U << szx;
	unsigned more = (size_t)(num + 1) * bsize < len;

	coap_add_option(pdu, COAP_OPTION_ETAG,
	    coap_encode_var_safe8(ob, sizeof(ob), etag_of(buf, len)), ob);
	coap_add_option(pdu, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(ob, sizeof(ob), num << 4 | more << 3 | szx),
	    ob);
	coap_add_option(pdu, COAP_OPTION_SIZE2,
	    coap_encode_var_safe(ob, sizeof(ob), (unsigned)len), ob);
	coap_add_block(pdu, len, buf, num, (unsigned char)szx);
}

/*
 * A representation too large for one message goes out as its first
 * block; the client GETs the rest (RFC 7959 §2.6, RFC 9132 §4.4.2.1).
 */
static void
add_payload(coap_session_t *cs, coap_pdu_t *pdu, const uint8_t *buf,
    size_t len)
{
	if (len + 64 <= coap_session_max_pdu_size(cs))
		coap_add_data(pdu, len, buf);
	else
		add_block(pdu, buf, len, 0, block_szx(cs));
}

/*
 * Encodes body as application/dots+cbor into resp; Block2 when asked for
 * or when it does not fit. observe >= 0 adds the option. 2.05 bodies are
 * dynamic and carry an ETag (RFC 9132 §4.4.2).
 */
static void
reply_body(coap_session_t *cs, const coap_pdu_t *req, coap_pdu_t *resp,
    const coap_string_t *query, int code, const json_t *body, int max_age,
    int64_t observe)
{
	char diag[CODEC_DIAG_LEN];
	uint8_t *buf = NULL, ob[8];
	coap_block_b_t blk;
	size_t len = 0;
	unsigned szx;

	(void)query;
	if (codec_cbor_encode(body, &buf, &len, diag, sizeof(diag)) != 0) {
		log_warnx("cannot encode %d reply: %s", code, diag);
		reply_diag(resp, 500, "cannot encode reply: %s", diag);
		return;
	}
	memset(&blk, 0, sizeof(blk));
	if (code == 205 && coap_get_block_b(cs, req, COAP_OPTION_BLOCK2,
	    &blk)) {
		szx = blk.szx > 6 ? 6 : blk.szx;
		if (szx > block_szx(cs))
			szx = block_szx(cs);
		/* RFC 7959 §2.2: a block past the end is an error. */
		if (blk.num > 0 && ((size_t)blk.num << (szx + 4)) >= len) {
			free(buf);
			reply_diag(resp, 402, "Block2 %u beyond the %zu-byte "
			    "representation", blk.num, len);
			return;
		}
	} else
		szx = block_szx(cs);
	coap_pdu_set_code(resp, coap_code(code));
	/* RFC 7641 §4.4: only the first block carries Observe. */
	if (observe >= 0 && blk.num == 0)
		coap_add_option(resp, COAP_OPTION_OBSERVE,
		    coap_encode_var_safe(ob, sizeof(ob),
		    (unsigned)observe & 0xffffff), ob);
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(ob, sizeof(ob), CF_DOTS_CBOR), ob);
	if (max_age >= 0)
		coap_add_option(resp, COAP_OPTION_MAXAGE,
		    coap_encode_var_safe(ob, sizeof(ob), (unsigned)max_age), ob);
	if (code == 205 && (blk.defined || len + 64 >
	    coap_session_max_pdu_size(cs)))
		add_block(resp, buf, len, blk.num, szx);
	else {
		if (code == 205)
			coap_add_option(resp, COAP_OPTION_ETAG,
			    coap_encode_var_safe8(ob, sizeof(ob),
			    etag_of(buf, len)), ob);
		coap_add_data(resp, len, buf);
	}
	free(buf);
	count_code(code);
}

/* ------------------------------------------------------------------ */
/* Request parsing                                                    */
/* ------------------------------------------------------------------ */

struct req {
	coap_session_t	*cs;
	struct sess	*s;
	const coap_pdu_t *pdu;
	coap_pdu_t	*resp;
	const coap_string_t *query;
	coap_pdu_code_t	 method;
	struct sig_path	 path;
	const uint8_t	*body;
	size_t		 len;
};

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
/* Observe                                                            */
/* ------------------------------------------------------------------ */

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
static int64_t
obs_request(const struct req *rq, const struct dots_uri *u, int ok)
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
	pdu = coap_pdu_init(COAP_MESSAGE_NON, coap_code(code),
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
		add_payload(cs, pdu, buf, len);
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

/* ------------------------------------------------------------------ */
/* Async (separate) responses                                          */
/* ------------------------------------------------------------------ */

static struct pending *
pending_new(const struct req *rq)
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
	return p;
}

static void
pending_free(struct pending *p)
{
	LIST_REMOVE(p, entry);
	coap_session_release(p->cs);
	free(p);
}

/* The session closed: mitreq will not answer these, nor will we. */
static void
pending_cancel(coap_session_t *cs)
{
	struct pending *p, *next;

	for (p = LIST_FIRST(&pendings); p != NULL; p = next) {
		next = LIST_NEXT(p, entry);
		if (cs != NULL && p->cs != cs)
			continue;
		mitreq_cancel(p);
		pending_free(p);
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
	    coap_code(r->code), coap_new_message_id(p->cs),
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
		add_payload(p->cs, pdu, buf, len);
	} else if (r->diag[0] != '\0' && r->code >= 400)
		coap_add_data(pdu, strlen(r->diag), (const uint8_t *)r->diag);
	count_code(r->code);
	coap_send(p->cs, pdu);
out:
	free(buf);
	json_decref(r->body);
	r->body = NULL;
	pending_free(p);
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
		reply_diag(rq->resp, 400, "%s", why);
		return;
	}
	/* RFC 9132 §4.4.1, §4.4.4: PUT and DELETE name one mid. */
	if (!u.has_mid && rq->method != COAP_REQUEST_CODE_GET) {
		reply_diag(rq->resp, 400, "missing mid");
		return;
	}
	if (rq->method == COAP_REQUEST_CODE_PUT) {
		if (decode_body(rq, SC_PREFIX "mitigation-scope", &wire, why,
		    sizeof(why)) != 0) {
			log_debug("%s: mid %u: %s", sess_name(rq->s), u.mid,
			    why);
			reply_diag(rq->resp, 400, "%s", why);
			return;
		}
		/* RFC 9132 §4.4.3: efficacy updates carry an empty If-Match. */
		opt = coap_check_option(rq->pdu, COAP_OPTION_IF_MATCH, &it);
		efficacy = opt != NULL && coap_opt_length(opt) == 0;
	} else if (rq->len > 0) {
		reply_diag(rq->resp, 400, "unexpected body");
		return;
	}

	memset(&peer, 0, sizeof(peer));
	memset(&r, 0, sizeof(r));
	r.max_age = -1;
	peer.client = rq->s->client;
	peer.session = rq->cs;
	/* Registered before the call: mitreq may answer from a callback. */
	if ((p = pending_new(rq)) != NULL) {
		coap_session_reference(rq->cs);
		LIST_INSERT_HEAD(&pendings, p, entry);
	}
	peer.pending = p;

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
		pending_free(p);
	if (r.drop) {
		json_decref(r.body);
		return;
	}
	if (rq->method == COAP_REQUEST_CODE_GET)
		seq = obs_request(rq, &u, r.code == 205);
	if (r.body != NULL)
		reply_body(rq->cs, rq->pdu, rq->resp, rq->query, r.code,
		    r.body, r.max_age >= 0 && r.max_age <= INT32_MAX ?
		    (int)r.max_age : -1, seq);
	else if (r.code >= 400)
		reply_diag(rq->resp, r.code, "%s", r.diag[0] ? r.diag :
		    "request failed");
	else {
		coap_pdu_set_code(rq->resp, coap_code(r.code));
		count_code(r.code);
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
		reply_diag(rq->resp, 400, "%s", why);
		return;
	}
	memset(&r, 0, sizeof(r));
	switch ((int)rq->method) {
	case COAP_REQUEST_CODE_GET:
		sesscfg_get(rq->s->client, has_sid, sid, &r);
		seq = obs_request(rq, NULL, r.code == 205);
		break;
	case COAP_REQUEST_CODE_PUT:
		if (decode_body(rq, SC_PREFIX "signal-config", &wire, why,
		    sizeof(why)) != 0) {
			reply_diag(rq->resp, 400, "%s", why);
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
		reply_body(rq->cs, rq->pdu, rq->resp, rq->query, r.code,
		    r.body, CONFIG_MAX_AGE, seq);
	else if (r.code >= 400)
		reply_diag(rq->resp, r.code, "%s", r.diag);
	else {
		coap_pdu_set_code(rq->resp, coap_code(r.code));
		count_code(r.code);
	}
	json_decref(r.body);
}

static void
handle_hb(struct req *rq)
{
	json_t *wire = NULL;
	char why[256];

	/* RFC 9132 §4.7: no parameters; body with peer-hb-status. */
	if (rq->path.nparams > 0) {
		reply_diag(rq->resp, 400, "unexpected Uri-Path segment");
		return;
	}
	if (decode_body(rq, SC_PREFIX "heartbeat", &wire, why,
	    sizeof(why)) != 0) {
		reply_diag(rq->resp, 400, "%s", why);
		return;
	}
	json_decref(wire);
	sess_hb_rx(rq->s, time(NULL));
	coap_pdu_set_code(rq->resp, coap_code(204));
	count_code(204);
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
static void
handle_request(coap_resource_t *resource, coap_session_t *cs,
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
		reply_diag(resp, 500, "out of memory");
		return;
	}
	sess_rx(rq.s, time(NULL));
	/* RFC 9132 §8: only authenticated, configured clients. */
	if (rq.s->client == NULL) {
		reply_diag(resp, 401, "client not authorized");
		return;
	}
	err = parse_path(&rq, why, sizeof(why));
	if (err == -ENOENT) {
		reply_diag(resp, 404, "no such resource");
		return;
	}
	if (err != 0) {
		reply_diag(resp, 400, "%s", why);
		return;
	}
	if (!method_ok(rq.path.res, rq.method)) {
		reply_diag(resp, 405, "method not allowed");
		return;
	}
	if (coap_get_data_large(pdu, &rq.len, &rq.body, &offset, &total) &&
	    (offset != 0 || rq.len != total)) {
		reply_diag(resp, 408, "incomplete body");
		return;
	}
	/* RFC 9132 §5: payloads are application/dots+cbor, else 4.15. */
	opt = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
	if (rq.len > 0 && (opt == NULL ||
	    coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) !=
	    CF_DOTS_CBOR)) {
		reply_diag(resp, 415, "Content-Format must be "
		    "application/dots+cbor (271)");
		return;
	}
	if (rq.len > CODEC_MAX_BODY) {
		reply_diag(resp, 413, "body too large");
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

/* ------------------------------------------------------------------ */
/* Heartbeats we send (the server as CoAP client, RFC 9132 §4.7)       */
/* ------------------------------------------------------------------ */

int
signal_send_hb(struct sess *s, int peer_hb_status)
{
	static const char *path[] = { ".well-known", "dots", "hb" };
	uint8_t ob[4], tok[4];
	coap_pdu_t *pdu;
	size_t i;
	int idx = peer_hb_status ? 1 : 0;

	pdu = coap_pdu_init(COAP_MESSAGE_NON, COAP_REQUEST_CODE_PUT,
	    coap_new_message_id(s->cs), coap_session_max_pdu_size(s->cs));
	if (pdu == NULL)
		return -ENOMEM;
	s->hb_token++;
	tok[0] = 'h';
	tok[1] = (uint8_t)(s->hb_token >> 16);
	tok[2] = (uint8_t)(s->hb_token >> 8);
	tok[3] = (uint8_t)s->hb_token;
	coap_add_token(pdu, sizeof(tok), tok);
	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(path[i]),
		    (const uint8_t *)path[i]);
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(ob, sizeof(ob), CF_DOTS_CBOR), ob);
	coap_add_data(pdu, hb_len[idx], hb_body[idx]);
	if (coap_send(s->cs, pdu) == COAP_INVALID_MID)
		return -EIO;
	return 0;
}

/* Answers on server sessions are answers to our heartbeats. */
static coap_response_t
handle_response(coap_session_t *cs, const coap_pdu_t *sent,
    const coap_pdu_t *received, const coap_mid_t mid)
{
	struct sess *s = sess_get(cs, 0);

	(void)sent;
	(void)mid;
	if (s != NULL)
		sess_hb_answered(s, time(NULL));
	(void)received;
	return COAP_RESPONSE_OK;
}

static void
handle_ping(coap_session_t *cs, const coap_pdu_t *pdu, const coap_mid_t mid)
{
	struct sess *s = sess_get(cs, 0);

	(void)pdu;
	(void)mid;
	if (s != NULL)
		sess_rx(s, time(NULL));
}

static int
handle_event(coap_session_t *cs, const coap_event_t event)
{
	struct sess *s;

	switch (event) {
	case COAP_EVENT_SERVER_SESSION_NEW:
		sess_get(cs, 1);
		break;
	case COAP_EVENT_SERVER_SESSION_DEL:
		if ((s = sess_get(cs, 0)) != NULL) {
			log_debug("%s: session %s closed", sess_name(s),
			    s->peer);
			sess_free(s);
		}
		break;
	case COAP_EVENT_DTLS_CONNECTED:
		dotsd_counters.handshakes_ok++;
		if ((s = sess_get(cs, 0)) != NULL)
			log_debug("%s: %s session from %s", sess_name(s),
			    s->tcp ? "TLS" : "DTLS", s->peer);
		break;
	case COAP_EVENT_DTLS_ERROR:
		dotsd_counters.handshakes_failed++;
		pending_cancel(cs);
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_TCP_CLOSED:
	case COAP_EVENT_SESSION_CLOSED:
		pending_cancel(cs);
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Authentication                                                      */
/* ------------------------------------------------------------------ */

/*
 * libcoap calls this for each certificate of the peer's chain once
 * OpenSSL has verified it (validated = 0: expired, not yet valid, foreign
 * CA, ...). The leaf (depth 0) must belong to a configured client.
 */
static int
verify_cert(const char *cn, const uint8_t *der, size_t len,
    coap_session_t *cs, unsigned depth, int validated, void *arg)
{
	const struct client_conf *c;
	struct sess *s;

	(void)arg;
	if (!validated) {
		log_info("handshake refused: certificate \"%s\" (depth %u) "
		    "does not verify", cn ? cn : "", depth);
		return 0;
	}
	if (depth > 0)
		return 1;
	if ((c = authz_by_cert(conf, der, len)) == NULL) {
		log_info("handshake refused: certificate \"%s\" is no "
		    "configured client", cn ? cn : "");
		return 0;
	}
	if (conf->max_sessions > 0 &&
	    (uint32_t)sess_count() > conf->max_sessions) {
		log_warnx("client %s: refused, max-sessions %u reached",
		    c->name, conf->max_sessions);
		return 0;
	}
	if ((s = sess_get(cs, 1)) == NULL)
		return 0;
	s->client = c;
	return 1;
}

/* PSK identity -> client (only with `psk yes`). */
static const coap_bin_const_t *
verify_psk(coap_bin_const_t *identity, coap_session_t *cs, void *arg)
{
	static coap_bin_const_t key;
	const struct client_conf *c;
	char id[COAP_DTLS_MAX_PSK_IDENTITY + 1];
	struct sess *s;

	(void)arg;
	if (identity == NULL || identity->length >= sizeof(id))
		return NULL;
	memcpy(id, identity->s, identity->length);
	id[identity->length] = '\0';
	if ((c = authz_by_psk(conf, id)) == NULL || c->psk_len == 0) {
		log_info("handshake refused: unknown PSK identity");
		return NULL;
	}
	if ((s = sess_get(cs, 1)) == NULL)
		return NULL;
	s->client = c;
	key.s = c->psk_key;
	key.length = c->psk_len;
	return &key;	/* libcoap copies it */
}

static int
read_file(const char *path, uint8_t **buf, size_t *len, char *err,
    size_t errlen)
{
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || n > 1024 * 1024) {
		snprintf(err, errlen, "%s: cannot size", path);
		fclose(f);
		return -EINVAL;
	}
	/* NUL-terminated: libcoap then needs no copy (coap_dtls.h). */
	if ((*buf = calloc(1, (size_t)n + 1)) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: short read", path);
		fclose(f);
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n + 1;
	return 0;
}

/* The DER of the only certificate in a PEM buffer; -1 if not exactly one. */
static int
der_single_cert(const uint8_t *pem, size_t len, uint8_t **der)
{
	X509 *x, *next;
	BIO *b;
	int n = -1;

	*der = NULL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if ((next = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
			n = i2d_X509(x, der);
		X509_free(next);
		X509_free(x);
	}
	BIO_free(b);
	/* Probing for a second certificate queued "no start line". */
	ERR_clear_error();
	return n;
}

/*
 * Certificate, key and CA as DER when each file holds one object of a
 * kind libcoap's ASN.1 setup takes (EC or RSA key): libcoap 4.3.1 sets up
 * every handshake from what it was given, and DER costs least to parse
 * (measured by tests/bench/signal-bench.sh: about 1.7 ms of server CPU per
 * handshake with DER, 1.9 ms with PEM buffers, 2.7 ms with PEM files).
 * 0, or -1 to use the PEM buffers (chains, bundles, other key types).
 */
static int
pki_der(coap_dtls_pki_t *pki)
{
	coap_asn1_privatekey_type_t type;
	EVP_PKEY *k;
	BIO *b;

	if (pem_ca == NULL ||
	    (der_cert_len = der_single_cert(pem_cert, pem_cert_len,
	    &der_cert)) <= 0 ||
	    (der_ca_len = der_single_cert(pem_ca, pem_ca_len, &der_ca)) <= 0)
		return -1;
	if ((b = BIO_new_mem_buf(pem_key, (int)pem_key_len)) == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL)
		return -1;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		type = COAP_ASN1_PKEY_EC;
		break;
	case EVP_PKEY_RSA:
		type = COAP_ASN1_PKEY_RSA;
		break;
	default:
		EVP_PKEY_free(k);
		return -1;
	}
	der_key_len = i2d_PrivateKey(k, &der_key);
	EVP_PKEY_free(k);
	if (der_key_len <= 0)
		return -1;
	pki->pki_key.key_type = COAP_PKI_KEY_ASN1;
	pki->pki_key.key.asn1.public_cert = der_cert;
	pki->pki_key.key.asn1.public_cert_len = (size_t)der_cert_len;
	pki->pki_key.key.asn1.private_key = der_key;
	pki->pki_key.key.asn1.private_key_len = (size_t)der_key_len;
	pki->pki_key.key.asn1.private_key_type = type;
	pki->pki_key.key.asn1.ca_cert = der_ca;
	pki->pki_key.key.asn1.ca_cert_len = (size_t)der_ca_len;
	return 0;
}

/*
 * Called by libcoap once it has set a session up from PEM credentials,
 * which it parses anew for every session and which leaves "no start line"
 * queued in OpenSSL: a stale entry there makes SSL_get_error() report a
 * TLS handshake that only wants to read as failed, and the session drops.
 */
static int
clear_tls_errors(void *tls_session, coap_dtls_pki_t *setup_data)
{
	(void)tls_session;
	(void)setup_data;
	ERR_clear_error();
	return 1;
}

static int
setup_pki(char *err, size_t errlen)
{
	coap_dtls_pki_t pki;
	int r;

	if ((r = read_file(conf->cert, &pem_cert, &pem_cert_len, err,
	    errlen)) != 0 ||
	    (r = read_file(conf->key, &pem_key, &pem_key_len, err,
	    errlen)) != 0)
		return r;
	if (conf->ca[0] != '\0' &&
	    (r = read_file(conf->ca, &pem_ca, &pem_ca_len, err, errlen)) != 0)
		return r;
	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	pki.verify_peer_cert = 1;
	/*
	 * With a CA, client chains must end there. Without one (clients
	 * pinned by spki-sha256 only), self-signed client certificates.
	 */
	pki.check_common_ca = pem_ca != NULL;
	pki.allow_self_signed = pem_ca == NULL;
	pki.allow_expired_certs = 0;
	pki.cert_chain_validation = 1;
	pki.cert_chain_verify_depth = 3;
	pki.check_cert_revocation = 0;
	pki.validate_cn_call_back = verify_cert;
	pki.additional_tls_setup_call_back = clear_tls_errors;
	/*
	 * Memory buffers: libcoap's OpenSSL backend re-reads PEM files on
	 * every ClientHello (libcoap-4.3.1-notes.md).
	 */
	if (pki_der(&pki) != 0) {
		pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
		pki.pki_key.key.pem_buf.public_cert = pem_cert;
		pki.pki_key.key.pem_buf.public_cert_len = pem_cert_len;
		pki.pki_key.key.pem_buf.private_key = pem_key;
		pki.pki_key.key.pem_buf.private_key_len = pem_key_len;
		pki.pki_key.key.pem_buf.ca_cert = pem_ca;
		pki.pki_key.key.pem_buf.ca_cert_len = pem_ca_len;
	}
	log_debug("credentials loaded as %s", pki.pki_key.key_type ==
	    COAP_PKI_KEY_ASN1 ? "DER" : "PEM buffers");
	if (!coap_context_set_pki(ctx, &pki)) {
		snprintf(err, errlen, "cannot set up certificates (%s, %s, "
		    "%s)", conf->cert, conf->key, conf->ca);
		return -EINVAL;
	}
	return 0;
}

static int
setup_psk(char *err, size_t errlen)
{
	coap_dtls_spsk_t psk;

	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	psk.validate_id_call_back = verify_psk;
	if (!coap_context_set_psk2(ctx, &psk)) {
		snprintf(err, errlen, "cannot set up PSK");
		return -EINVAL;
	}
	return 0;
}

/*
 * libcoap 4.3.1 does not hand out an endpoint's socket: find our UDP
 * socket bound to port and raise its receive buffer, so handshake bursts
 * are not dropped by the kernel (libcoap-4.3.1-notes.md).
 */
static void
raise_rcvbuf(uint16_t port, int family)
{
	struct sockaddr_storage ss;
	socklen_t sl, tl;
	struct dirent *de;
	DIR *d;
	int fd, type, size = DTLS_RCVBUF;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (fd <= 2)
			continue;
		tl = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
		    type != SOCK_DGRAM)
			continue;
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    ss.ss_family != family)
			continue;
		if ((family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) != port) ||
		    (family == AF_INET6 &&
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) != port))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
			    sizeof(size));
	}
	closedir(d);
}

static int
add_endpoint(const struct listen_conf *l, char *err, size_t errlen)
{
	coap_address_t addr;
	coap_proto_t proto;
	int family;

	coap_address_init(&addr);
	memset(&addr.addr, 0, sizeof(addr.addr));
	if (inet_pton(AF_INET6, l->addr, &addr.addr.sin6.sin6_addr) == 1) {
		family = AF_INET6;
		addr.addr.sin6.sin6_family = AF_INET6;
		addr.addr.sin6.sin6_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin6);
	} else if (inet_pton(AF_INET, l->addr, &addr.addr.sin.sin_addr) == 1) {
		family = AF_INET;
		addr.addr.sin.sin_family = AF_INET;
		addr.addr.sin.sin_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin);
	} else {
		snprintf(err, errlen, "%s:%d: bad listen address %s",
		    conf->path, l->line, l->addr);
		return -EINVAL;
	}
	proto = l->proto == LISTEN_TLS ? COAP_PROTO_TLS : COAP_PROTO_DTLS;
	if (coap_new_endpoint(ctx, &addr, proto) == NULL) {
		snprintf(err, errlen, "%s:%d: cannot listen on %s %s port %u",
		    conf->path, l->line, l->proto == LISTEN_TLS ? "tls" :
		    "dtls", l->addr, l->port);
		return -EADDRNOTAVAIL;
	}
	if (proto == COAP_PROTO_DTLS)
		raise_rcvbuf(l->port, family);
	log_info("listening on %s %s port %u", l->proto == LISTEN_TLS ?
	    "tls" : "dtls", l->addr, l->port);
	return 0;
}

static void
coap_logger(coap_log_t level, const char *msg)
{
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (level <= LOG_ERR)
		log_warnx("libcoap: %.*s", (int)n, msg);
	else
		log_debug("libcoap: %.*s", (int)n, msg);
}

static int
encode_hb_bodies(char *err, size_t errlen)
{
	char diag[CODEC_DIAG_LEN];
	json_t *j;
	int i, r;

	for (i = 0; i < 2; i++) {
		j = json_pack("{s:{s:b}}", SC_PREFIX "heartbeat",
		    "peer-hb-status", i);
		r = codec_cbor_encode(j, &hb_body[i], &hb_len[i], diag,
		    sizeof(diag));
		json_decref(j);
		if (r != 0) {
			snprintf(err, errlen, "heartbeat body: %s", diag);
			return r;
		}
	}
	return 0;
}

int
signal_init(const struct dotsd_conf *c, char *err, size_t errlen)
{
	int i, r;
	unsigned idle;

	conf = c;
	coap_startup();
	coap_set_log_handler(coap_logger);
	coap_set_log_level(log_getverbose() > 1 ? LOG_DEBUG : LOG_WARNING);
	coap_dtls_set_log_level(log_getverbose() > 1 ? LOG_DEBUG :
	    LOG_WARNING);
	if (!coap_dtls_is_supported() || !coap_tls_is_supported()) {
		snprintf(err, errlen, "libcoap lacks DTLS or TLS support");
		return -ENOTSUP;
	}
	if ((r = encode_hb_bodies(err, errlen)) != 0)
		return r;
	if ((r = sesscfg_init(c)) != 0) {
		snprintf(err, errlen, "cannot load session configurations");
		return r;
	}
	if ((ctx = coap_new_context(NULL)) == NULL) {
		snprintf(err, errlen, "cannot create CoAP context");
		return -ENOMEM;
	}
	coap_context_set_block_mode(ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	/*
	 * Keep silent sessions long enough for our own loss detection
	 * (missing-hb-allowed x heartbeat-interval) to decide first.
	 */
	idle = c->idle.hb_interval.max * (c->idle.missing_hb.max + 1);
	if (idle < 300)
		idle = 300;
	coap_context_set_session_timeout(ctx, idle);
	if (c->psk && (r = setup_psk(err, errlen)) != 0)
		return r;
	if (c->cert[0] != '\0' && (r = setup_pki(err, errlen)) != 0)
		return r;
	for (i = 0; i < c->nlisten; i++)
		if ((r = add_endpoint(&c->listen[i], err, errlen)) != 0)
			return r;

	/*
	 * One handler for all of /.well-known/dots: DOTS resources are
	 * named by Uri-Path parameters (cuid=, mid=, sid=).
	 */
	res_dots = coap_resource_unknown_init2(handle_request, 0);
	coap_register_request_handler(res_dots, COAP_REQUEST_GET,
	    handle_request);
	coap_register_request_handler(res_dots, COAP_REQUEST_DELETE,
	    handle_request);
	coap_register_request_handler(res_dots, COAP_REQUEST_POST,
	    handle_request);
	coap_add_resource(ctx, res_dots);
	coap_register_response_handler(ctx, handle_response);
	coap_register_ping_handler(ctx, handle_ping);
	coap_register_event_handler(ctx, handle_event);
	return 0;
}

void
signal_fini(void)
{
	struct obs *o;

	while ((o = LIST_FIRST(&observers)) != NULL)
		obs_free(o);
	pending_cancel(NULL);
	if (ctx != NULL) {
		/* Our own shutdown is no signal loss: no session events. */
		coap_register_event_handler(ctx, NULL);
		coap_free_context(ctx);	/* sends close_notify */
	}
	ctx = NULL;
	sess_fini();
	sesscfg_fini();
	coap_cleanup();
	free(pem_cert);
	if (pem_key != NULL)
		explicit_bzero(pem_key, pem_key_len);
	free(pem_key);
	free(pem_ca);
	OPENSSL_free(der_cert);
	if (der_key != NULL)
		OPENSSL_clear_free(der_key, (size_t)der_key_len);
	OPENSSL_free(der_ca);
	free(hb_body[0]);
	free(hb_body[1]);
}

int
signal_pollfds(struct pollfd *pfd, int max)
{
	int fd;

	if (ctx == NULL || max < 1 || (fd = coap_context_get_coap_fd(ctx)) < 0)
		return 0;
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

/*
 * Retransmissions, timeouts and the epoll interest of every session: the
 * walk over all sessions libcoap 4.3.1 does per wake-up. Done here, once
 * per loop iteration, and not again by signal_process().
 */
int
signal_timeout_ms(void)
{
	coap_tick_t now;
	unsigned ms;

	if (ctx == NULL)
		return -1;
	coap_ticks(&now);
	ms = coap_io_prepare_epoll(ctx, now);
	return ms == 0 ? -1 : (int)ms;
}

/*
 * Reads up to SIGNAL_BATCH ready datagrams/segments per wake-up, so the
 * per-session walk of signal_timeout_ms() is paid once per batch rather
 * than once per datagram (libcoap reads one per coap_io_do_epoll()).
 */
#define SIGNAL_BATCH	64

void
signal_process(const struct pollfd *pfd, int n)
{
	struct epoll_event ev[16];
	int fd, k, i;

	if (ctx == NULL || n < 1 || !(pfd[0].revents & POLLIN))
		return;
	fd = pfd[0].fd;
	for (i = 0; i < SIGNAL_BATCH; i++) {
		if ((k = epoll_wait(fd, ev, 16, 0)) <= 0)
			break;
		/*
		 * libcoap 4.3.1 leaves OpenSSL errors queued (PEM parsing of
		 * the credentials per session); a stale entry makes the next
		 * SSL_get_error() report a failure for a handshake that only
		 * wants to read, and the session is dropped.
		 */
		ERR_clear_error();
		coap_io_do_epoll(ctx, ev, (size_t)k);
	}
}

void
signal_tick(time_t now)
{
	sess_tick(now);
}

int
signal_reconf(const struct dotsd_conf *nc)
{
	struct obs *o, *next;
	int r;

	if ((r = sesscfg_reconf(nc)) != 0)
		return r;
	/* Observers of sessions that lost their client go. */
	for (o = LIST_FIRST(&observers); o != NULL; o = next) {
		next = LIST_NEXT(o, entry);
		if (o->s->client == NULL)
			obs_free(o);
	}
	conf = nc;
	return 0;
}

json_t *
signal_dump(void)
{
	return sess_dump();
}
