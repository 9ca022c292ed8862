/*
 * chan.c: the client side of the RFC 9132 signal channel over libcoap
 * 4.3.1: a DTLS (coaps) or TLS (coaps+tcp, RFC 8323) session with an
 * X.509 certificate or a PSK, requests with our own NON repetition, and a
 * /.well-known/dots/hb resource so the server's heartbeats get 2.04 on
 * the same session (RFC 9132 §4.7), and a standing observation on a token
 * of its own. The only file that includes libcoap. Each channel has its
 * own CoAP context, so a daemon may run one per thread beside its server
 * context; libcoap's global log settings are left alone unless
 * chan_opts.own_log asks.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <coap3/coap.h>

#include "lib/text.h"
#include "upstream/chan.h"
#include "yang/codec.h"

#define DOTS_CF		271	/* application/dots+cbor */
#define NON_FIRST_RETRY	3000	/* RFC 9132 §4.4.1: <= 1 NON per 3 s */
#define IO_SLICE_MS	200	/* how often a signal is noticed */
#define QUEUE_MAX	64	/* notifications not yet read */
#define BLOCK1_ABOVE	512	/* body sizes that may need Block1 */

volatile int	chan_interrupted;

struct rnode {
	struct dc_response	 r;
	struct rnode		*next;
};

struct chan {
	coap_context_t	*ctx;
	coap_session_t	*session;
	int		 tcp;
	int		 failed;
	uint8_t		 token[8];
	size_t		 token_len;
	struct rnode	*head, *tail;
	size_t		 queued;
	unsigned	 server_hbs;
	double		 last_server_hb;
	/* the standing observation (chan_watch) and its answers */
	uint8_t		 watch_token[8];
	size_t		 watch_token_len;
	struct rnode	*whead, *wtail;
	size_t		 wqueued;
	volatile int	*stop;
	/* heartbeats sent alongside an observation (chan_heartbeat) */
	uint8_t		 hb_token[8];
	size_t		 hb_token_len;
	unsigned	 hb_answers;
	/* kept alive for libcoap during the handshake setup */
	char		 sni[256];
};

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
resp_clear(struct dc_response *r)
{
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}

static int64_t
opt_uint(const coap_pdu_t *pdu, uint16_t num, int *present)
{
	coap_opt_iterator_t	 it;
	coap_opt_t		*opt;

	if ((opt = coap_check_option(pdu, num, &it)) == NULL) {
		*present = 0;
		return -1;
	}
	*present = 1;
	return coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt));
}

/* Fills r from a received PDU. Never fails: a body that does not decode
 * becomes a diagnostic. */
static void
resp_from_pdu(struct dc_response *r, const coap_pdu_t *pdu)
{
	coap_pdu_code_t	 code = coap_pdu_get_code(pdu);
	const uint8_t	*data;
	size_t		 len, off, total;
	int64_t		 cf;
	int		 has_cf, has;
	char		 diag[CODEC_DIAG_LEN];

	resp_clear(r);
	r->code = COAP_RESPONSE_CLASS(code) * 100 + (code & 0x1f);
	r->max_age = opt_uint(pdu, COAP_OPTION_MAXAGE, &has);
	if (!has)
		r->max_age = -1;
	r->observe = (uint32_t)opt_uint(pdu, COAP_OPTION_OBSERVE,
	    &r->has_observe);
	cf = opt_uint(pdu, COAP_OPTION_CONTENT_FORMAT, &has_cf);
	if (!coap_get_data_large(pdu, &len, &data, &off, &total) || len == 0)
		return;
	/* 2.xx bodies, and 4.09/5.03 with Content-Format 271, are CBOR */
	if ((has_cf && cf == DOTS_CF) || (!has_cf && r->code < 300)) {
		if (codec_cbor_decode(data, len, &r->body, diag,
		    sizeof(diag)) < 0) {
			r->body = NULL;
			snprintf(r->diag, sizeof(r->diag),
			    "undecodable dots+cbor body: %s", diag);
		}
		return;
	}
	text_sanitize(r->diag, sizeof(r->diag), data, len);
}

static struct chan *
chan_of(coap_session_t *session)
{
	return coap_session_get_app_data(session);
}

/* Appends a received PDU to a queue; a full queue drops it (the reader
 * is too slow, and the next notification carries the state anyway). */
static coap_response_t
enqueue(struct rnode **head, struct rnode **tail, size_t *queued,
    const coap_pdu_t *received)
{
	struct rnode	*n;

	if (*queued >= QUEUE_MAX || (n = calloc(1, sizeof(*n))) == NULL)
		return COAP_RESPONSE_OK;
	n->r.max_age = -1;
	resp_from_pdu(&n->r, received);
	if (*tail != NULL)
		(*tail)->next = n;
	else
		*head = n;
	*tail = n;
	(*queued)++;
	return COAP_RESPONSE_OK;
}

static coap_response_t
response_handler(coap_session_t *session, const coap_pdu_t *sent,
    const coap_pdu_t *received, const coap_mid_t mid)
{
	struct chan	*c = chan_of(session);
	coap_bin_const_t tok = coap_pdu_get_token(received);

	if (c != NULL && c->hb_token_len != 0 &&
	    tok.length == c->hb_token_len &&
	    memcmp(tok.s, c->hb_token, tok.length) == 0) {
		if (COAP_RESPONSE_CLASS(coap_pdu_get_code(received)) == 2)
			c->hb_answers++;
		return COAP_RESPONSE_OK;
	}
	if (c != NULL && c->watch_token_len != 0 &&
	    tok.length == c->watch_token_len &&
	    memcmp(tok.s, c->watch_token, tok.length) == 0)
		return enqueue(&c->whead, &c->wtail, &c->wqueued, received);
	if (c == NULL || tok.length != c->token_len ||
	    memcmp(tok.s, c->token, tok.length) != 0) {
		/* A late answer to an earlier request, or a notification
		 * we no longer want: a Reset ends such an observation
		 * (RFC 7641 §3.6). */
		return COAP_RESPONSE_FAIL;
	}
	return enqueue(&c->head, &c->tail, &c->queued, received);
}

static void
nack_handler(coap_session_t *session, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct chan	*c = chan_of(session);

	/* A CON that exhausted its retransmissions, or the (D)TLS layer
	 * failed: nothing more will come on this request. */
	if (c != NULL && (reason == COAP_NACK_TOO_MANY_RETRIES ||
	    reason == COAP_NACK_NOT_DELIVERABLE ||
	    reason == COAP_NACK_TLS_FAILED))
		c->failed = 1;
}

static int
event_handler(coap_session_t *session, const coap_event_t event)
{
	struct chan	*c = chan_of(session);

	if (c == NULL)
		return 0;
	switch (event) {
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_DTLS_ERROR:
	case COAP_EVENT_TCP_CLOSED:
	case COAP_EVENT_TCP_FAILED:
	case COAP_EVENT_SESSION_CLOSED:
	case COAP_EVENT_SESSION_FAILED:
		c->failed = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* RFC 9132 §4.7: the server's heartbeat, answered 2.04 with no body. */
static void
hb_handler(coap_resource_t *resource, coap_session_t *session,
    const coap_pdu_t *request, const coap_string_t *query,
    coap_pdu_t *response)
{
	struct chan	*c = chan_of(session);

	if (c != NULL) {
		c->server_hbs++;
		c->last_server_hb = now_s();
	}
	coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

unsigned
chan_server_heartbeats(const struct chan *c, double *last)
{
	if (last != NULL)
		*last = c->last_server_hb;
	return c->server_hbs;
}

#define MAX_ADDRS	8

/* All addresses of the server (a dual-stack name has several). Returns
 * how many, or -EHOSTUNREACH with err. */
static int
resolve(const struct server_uri *su, coap_address_t *dst, int max,
    char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 port[8];
	int		 rv, n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = su->tcp ? SOCK_STREAM : SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", su->port);
	if ((rv = getaddrinfo(su->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", su->host, gai_strerror(rv));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(dst[n].addr))
			continue;
		coap_address_init(&dst[n]);
		dst[n].size = ai->ai_addrlen;
		memcpy(&dst[n].addr.sa, ai->ai_addr, ai->ai_addrlen);
		n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "%s: no usable address", su->host);
		return -EHOSTUNREACH;
	}
	return n;
}

/* libcoap logs debug output to stdout by default; stdout is for answers
 * (--json is parsed by scripts). */
static void
log_handler(coap_log_t level, const char *message)
{
	fputs(message, stderr);
}

static int
stopped(const struct chan *c)
{
	return chan_interrupted || (c->stop != NULL && *c->stop);
}

static int
step(struct chan *c, int ms)
{
	if (stopped(c))
		return -EINTR;
	if (ms > IO_SLICE_MS)
		ms = IO_SLICE_MS;
	if (ms < 1)
		ms = 1;
	if (coap_io_process(c->ctx, (uint32_t)ms) < 0 && !stopped(c))
		return -EIO;
	return stopped(c) ? -EINTR : 0;
}

static coap_session_t *
session_new(struct chan *c, const struct chan_opts *o,
    const coap_address_t *dst)
{
	coap_proto_t	proto = c->tcp ? COAP_PROTO_TLS : COAP_PROTO_DTLS;

	if (o->cert != NULL) {
		coap_dtls_pki_t	pki;

		memset(&pki, 0, sizeof(pki));
		pki.version = COAP_DTLS_PKI_SETUP_VERSION;
		pki.verify_peer_cert = 1;
		pki.check_common_ca = 1;
		pki.cert_chain_validation = 1;
		pki.cert_chain_verify_depth = 3;
		pki.client_sni = c->sni;
		pki.pki_key.key_type = COAP_PKI_KEY_PEM;
		pki.pki_key.key.pem.public_cert = o->cert;
		pki.pki_key.key.pem.private_key = o->key;
		pki.pki_key.key.pem.ca_file = o->ca;
		return coap_new_client_session_pki(c->ctx, NULL, dst, proto,
		    &pki);
	} else {
		coap_dtls_cpsk_t psk;

		memset(&psk, 0, sizeof(psk));
		psk.version = COAP_DTLS_CPSK_SETUP_VERSION;
		psk.client_sni = c->sni;
		psk.psk_info.identity.s = (const uint8_t *)o->psk_identity;
		psk.psk_info.identity.length = strlen(o->psk_identity);
		psk.psk_info.key.s = o->psk_key;
		psk.psk_info.key.length = o->psk_key_len;
		return coap_new_client_session_psk2(c->ctx, NULL, dst, proto,
		    &psk);
	}
}

static void
session_drop(struct chan *c)
{
	if (c->session == NULL)
		return;
	coap_session_set_app_data(c->session, NULL);
	coap_session_release(c->session);
	c->session = NULL;
}

/* One address: handshake until established, failed or deadline. */
static int
session_try(struct chan *c, const struct chan_opts *o,
    const coap_address_t *dst, double deadline)
{
	int	rv;

	c->failed = 0;
	if ((c->session = session_new(c, o, dst)) == NULL)
		return -EINVAL;
	coap_session_set_app_data(c->session, c);
	while (coap_session_get_state(c->session) !=
	    COAP_SESSION_STATE_ESTABLISHED) {
		if (c->failed)
			return -ECONNREFUSED;
		if (now_s() >= deadline)
			return -ETIMEDOUT;
		if ((rv = step(c, (int)((deadline - now_s()) * 1000))) < 0)
			return rv;
	}
	return 0;
}

int
chan_open(struct chan **out, const struct chan_opts *o,
    const struct server_uri *su, int timeout_ms, char *err, size_t errlen)
{
	struct chan	*c;
	coap_address_t	 dst[MAX_ADDRS];
	coap_resource_t	*r;
	double		 end, slot;
	int		 rv = -ETIMEDOUT, naddr, i;

	*out = NULL;
	coap_startup();		/* once per process; later calls return */
	if (o->own_log) {
		coap_set_log_handler(log_handler);
		coap_set_log_level(o->verbose >= 2 ? LOG_DEBUG :
		    o->verbose == 1 ? LOG_INFO : LOG_ERR);
		coap_dtls_set_log_level(o->verbose >= 2 ? LOG_DEBUG :
		    LOG_ERR);
	}
	if (!coap_dtls_is_supported() || (su->tcp &&
	    !coap_tls_is_supported())) {
		snprintf(err, errlen, "libcoap has no (D)TLS support");
		return -EINVAL;
	}
	if ((naddr = resolve(su, dst, MAX_ADDRS, err, errlen)) < 0)
		return naddr;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->tcp = su->tcp;
	c->stop = o->stop;
	snprintf(c->sni, sizeof(c->sni), "%s", su->host);
	if ((c->ctx = coap_new_context(NULL)) == NULL) {
		snprintf(err, errlen, "cannot create a CoAP context");
		free(c);
		return -ENOMEM;
	}
	/* libcoap reassembles Block2 answers (a long GET of all mids) */
	coap_context_set_block_mode(c->ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_register_response_handler(c->ctx, response_handler);
	coap_register_nack_handler(c->ctx, nack_handler);
	coap_register_event_handler(c->ctx, event_handler);
	r = coap_resource_init(coap_make_str_const(".well-known/dots/hb"), 0);
	coap_register_request_handler(r, COAP_REQUEST_PUT, hb_handler);
	coap_add_resource(c->ctx, r);

	/* Each address in turn, sharing the time left, so a dual-stack
	 * name works when the server listens on one family only. */
	end = now_s() + timeout_ms / 1000.0;
	for (i = 0; i < naddr; i++) {
		slot = now_s() + (end - now_s()) / (naddr - i);
		if ((rv = session_try(c, o, &dst[i], slot)) == 0) {
			*out = c;
			return 0;
		}
		session_drop(c);
		if (rv == -EINVAL || rv == -EINTR)
			break;
	}
	switch (rv) {
	case -EINVAL:
		snprintf(err, errlen, "cannot set up a session to %s "
		    "(certificate or key unreadable?)", o->server);
		break;
	case -ECONNREFUSED:
		snprintf(err, errlen, "%s: %s handshake failed", o->server,
		    su->tcp ? "TLS" : "DTLS");
		break;
	case -ETIMEDOUT:
		snprintf(err, errlen, "%s: no %s session within %d ms",
		    o->server, su->tcp ? "TLS" : "DTLS", timeout_ms);
		break;
	default:
		snprintf(err, errlen, "interrupted");
		break;
	}
	chan_close(c);
	return rv;
}

static void
list_flush(struct rnode **head, struct rnode **tail, size_t *queued)
{
	struct rnode	*n;

	while ((n = *head) != NULL) {
		*head = n->next;
		resp_clear(&n->r);
		free(n);
	}
	*tail = NULL;
	*queued = 0;
}

static void
queue_flush(struct chan *c)
{
	list_flush(&c->head, &c->tail, &c->queued);
}

void
chan_close(struct chan *c)
{
	if (c == NULL)
		return;
	queue_flush(c);
	list_flush(&c->whead, &c->wtail, &c->wqueued);
	session_drop(c);
	/* no coap_cleanup(): other contexts of the process may live on */
	if (c->ctx != NULL)
		coap_free_context(c->ctx);
	free(c);
}

static void
release_body(coap_session_t *session, void *app_ptr)
{
	free(app_ptr);
}

static coap_pdu_t *
build_pdu(struct chan *c, const struct chan_req *rq, const uint8_t *token,
    size_t token_len)
{
	coap_optlist_t	*opts = NULL;
	coap_pdu_t	*pdu;
	uint8_t		 buf[4];
	size_t		 i;

	pdu = coap_pdu_init(rq->confirmable ? COAP_MESSAGE_CON :
	    COAP_MESSAGE_NON, (coap_pdu_code_t)rq->method,
	    coap_new_message_id(c->session),
	    coap_session_max_pdu_size(c->session));
	if (pdu == NULL)
		return NULL;
	if (!coap_add_token(pdu, token_len, token))
		goto fail;
	/* RFC 9132 §4.4.3: efficacy updates carry an empty If-Match */
	if (rq->if_match_empty)
		coap_insert_optlist(&opts, coap_new_optlist(
		    COAP_OPTION_IF_MATCH, 0, NULL));
	if (rq->observe >= 0)
		coap_insert_optlist(&opts, coap_new_optlist(
		    COAP_OPTION_OBSERVE, coap_encode_var_safe(buf,
		    sizeof(buf), (unsigned)rq->observe), buf));
	coap_insert_optlist(&opts, coap_new_optlist(COAP_OPTION_URI_PATH,
	    11, (const uint8_t *)".well-known"));
	coap_insert_optlist(&opts, coap_new_optlist(COAP_OPTION_URI_PATH,
	    4, (const uint8_t *)"dots"));
	for (i = 0; i < CHAN_MAX_PATH && rq->path[i] != NULL; i++)
		coap_insert_optlist(&opts, coap_new_optlist(
		    COAP_OPTION_URI_PATH, strlen(rq->path[i]),
		    (const uint8_t *)rq->path[i]));
	if (rq->body != NULL)
		coap_insert_optlist(&opts, coap_new_optlist(
		    COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf,
		    sizeof(buf), DOTS_CF), buf));
	if (!coap_add_optlist_pdu(pdu, &opts))
		goto fail;
	coap_delete_optlist(opts);
	opts = NULL;
	/* A body larger than a datagram goes out with Block1 (RFC 7959);
	 * libcoap sends the blocks from its own copy, freed when done. */
	if (rq->body != NULL) {
		uint8_t	*copy;

		if ((copy = malloc(rq->body_len)) == NULL)
			goto fail;
		memcpy(copy, rq->body, rq->body_len);
		if (!coap_add_data_large_request(c->session, pdu,
		    rq->body_len, copy, release_body, copy))
			goto fail;
	}
	return pdu;
fail:
	coap_delete_optlist(opts);
	coap_delete_pdu(pdu);
	return NULL;
}

static int
send_req(struct chan *c, const struct chan_req *rq, char *err,
    size_t errlen)
{
	coap_pdu_t	*pdu;

	if ((pdu = build_pdu(c, rq, c->token, c->token_len)) == NULL) {
		snprintf(err, errlen, "cannot build the request (too large?)");
		return -EINVAL;
	}
	if (coap_send(c->session, pdu) == COAP_INVALID_MID) {
		snprintf(err, errlen, "cannot send the request");
		return -EIO;
	}
	return 0;
}

/* Takes the oldest response of a queue; 1 if there was one. */
static int
list_take(struct rnode **head, struct rnode **tail, size_t *queued,
    struct dc_response *resp)
{
	struct rnode	*n;

	if ((n = *head) == NULL)
		return 0;
	if ((*head = n->next) == NULL)
		*tail = NULL;
	(*queued)--;
	*resp = n->r;		/* moves the body reference */
	free(n);
	return 1;
}

static int
dequeue(struct chan *c, struct dc_response *resp)
{
	return list_take(&c->head, &c->tail, &c->queued, resp);
}

int
chan_watch(struct chan *c, const struct chan_req *rq, char *err,
    size_t errlen)
{
	coap_pdu_t	*pdu;

	list_flush(&c->whead, &c->wtail, &c->wqueued);
	coap_session_new_token(c->session, &c->watch_token_len,
	    c->watch_token);
	if ((pdu = build_pdu(c, rq, c->watch_token,
	    c->watch_token_len)) == NULL) {
		snprintf(err, errlen, "cannot build the observation");
		return -EINVAL;
	}
	if (coap_send(c->session, pdu) == COAP_INVALID_MID) {
		snprintf(err, errlen, "cannot send the observation");
		return -EIO;
	}
	return 0;
}

int
chan_watch_take(struct chan *c, struct dc_response *resp)
{
	return list_take(&c->whead, &c->wtail, &c->wqueued, resp);
}

int
chan_request(struct chan *c, const struct chan_req *rq,
    struct dc_response *resp, int timeout_ms, char *err, size_t errlen)
{
	double	 start = now_s(), deadline, next_retry;
	int	 retry_ms = NON_FIRST_RETRY, rv;

	memset(resp, 0, sizeof(*resp));
	resp->max_age = -1;
	if (!rq->same_token) {
		coap_session_new_token(c->session, &c->token_len, c->token);
		queue_flush(c);
	}
	if ((rv = send_req(c, rq, err, errlen)) < 0)
		return rv;
	deadline = start + timeout_ms / 1000.0;
	next_retry = start + retry_ms / 1000.0;
	for (;;) {
		if (dequeue(c, resp))
			return 0;
		if (c->failed) {
			snprintf(err, errlen, "session failed");
			return -ECONNRESET;
		}
		if (now_s() >= deadline) {
			snprintf(err, errlen, "no answer within %d ms",
			    timeout_ms);
			return -ETIMEDOUT;
		}
		/* RFC 9132 §4.4.1: repeat a NON until answered, same token
		 * so a late answer to an earlier copy still counts; TCP is
		 * reliable and has no message types (RFC 8323) */
		if (rq->retry && !rq->confirmable && !c->tcp &&
		    now_s() >= next_retry) {
			/* a Block1 transfer still running under the old
			 * token would collide with a new one */
			if (rq->body_len > BLOCK1_ABOVE) {
				coap_session_new_token(c->session,
				    &c->token_len, c->token);
				queue_flush(c);
			}
			if ((rv = send_req(c, rq, err, errlen)) < 0)
				return rv;
			retry_ms *= 2;
			next_retry = now_s() + retry_ms / 1000.0;
		}
		if ((rv = step(c, (int)((deadline - now_s()) * 1000))) < 0) {
			snprintf(err, errlen, rv == -EINTR ? "interrupted" :
			    "I/O error");
			return rv;
		}
	}
}

int
chan_next(struct chan *c, struct dc_response *resp, int timeout_ms)
{
	double	deadline = now_s() + timeout_ms / 1000.0;
	int	rv;

	memset(resp, 0, sizeof(*resp));
	resp->max_age = -1;
	for (;;) {
		if (dequeue(c, resp))
			return 0;
		if (c->failed)
			return -ECONNRESET;
		if (now_s() >= deadline)
			return -ETIMEDOUT;
		if ((rv = step(c, (int)((deadline - now_s()) * 1000))) < 0)
			return rv;
	}
}

int
chan_idle(struct chan *c, int ms)
{
	double	deadline = now_s() + ms / 1000.0;
	int	rv;

	while (now_s() < deadline) {
		if (c->failed)
			return -ECONNRESET;
		if ((rv = step(c, (int)((deadline - now_s()) * 1000))) < 0)
			return rv;
	}
	return 0;
}

/*
 * RFC 7641 §3.6: deregister with a GET carrying Observe 1 and the
 * observation's token. libcoap tracks the observation (block mode) and
 * would give a hand-made second GET with that token a new one, so let
 * it build the request.
 */
int
chan_observe_cancel(struct chan *c, struct dc_response *resp,
    int timeout_ms)
{
	coap_binary_t	tok = { .length = c->token_len, .s = c->token };

	queue_flush(c);
	if (!coap_cancel_observe(c->session, &tok, c->tcp ?
	    COAP_MESSAGE_CON : COAP_MESSAGE_NON))
		return -ENOENT;
	return chan_next(c, resp, timeout_ms);
}

/*
 * RFC 9132 §4.7: a heartbeat sent while another exchange (an observation)
 * owns the request token. It has a token of its own, nobody waits for its
 * answer, and answers are only counted.
 */
int
chan_heartbeat(struct chan *c, const uint8_t *body, size_t len)
{
	struct chan_req	 rq = { .method = CHAN_PUT, .observe = -1,
	    .path = { "hb" }, .body = body, .body_len = len };
	coap_pdu_t	*pdu;

	coap_session_new_token(c->session, &c->hb_token_len, c->hb_token);
	if ((pdu = build_pdu(c, &rq, c->hb_token, c->hb_token_len)) == NULL)
		return -EINVAL;
	if (coap_send(c->session, pdu) == COAP_INVALID_MID)
		return -EIO;
	return 0;
}

unsigned
chan_heartbeat_answers(const struct chan *c)
{
	return c->hb_answers;
}
