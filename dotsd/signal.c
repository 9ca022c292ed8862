/*
 * signal.c: the RFC 9132 signal channel over libcoap 4.3.1: the CoAP
 * context and its lifecycle, poll integration, the libcoap callbacks
 * (session events, pings, answers to our heartbeats) and the heartbeats
 * we send. Requests: signal_req.c; replies: signal_reply.c; Observe:
 * signal_obs.c; separate responses: signal_async.c; credentials, client
 * identification and endpoints: signal_tls.c. Session state, heartbeats
 * and /config semantics live in session.c; /mitigate semantics in mitreq.c.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <openssl/err.h>
#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/control.h"
#include "dotsd/session.h"
#include "dotsd/signal.h"
#include "dotsd/signal_int.h"
#include "lib/log.h"
#include "yang/codec.h"

const struct dotsd_conf *signal_conf;
coap_context_t *signal_ctx;
static coap_resource_t *res_dots;
static uint8_t *hb_body[2];		/* peer-hb-status false/true */
static size_t hb_len[2];

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
		sigasync_cancel(cs);
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_TCP_CLOSED:
	case COAP_EVENT_SESSION_CLOSED:
		sigasync_cancel(cs);
		break;
	default:
		break;
	}
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

	signal_conf = c;
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
	if ((signal_ctx = coap_new_context(NULL)) == NULL) {
		snprintf(err, errlen, "cannot create CoAP context");
		return -ENOMEM;
	}
	coap_context_set_block_mode(signal_ctx,
	    COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	/*
	 * Keep silent sessions long enough for our own loss detection
	 * (missing-hb-allowed x heartbeat-interval) to decide first.
	 */
	idle = c->idle.hb_interval.max * (c->idle.missing_hb.max + 1);
	if (idle < 300)
		idle = 300;
	coap_context_set_session_timeout(signal_ctx, idle);
	if (c->psk && (r = sigtls_setup_psk(err, errlen)) != 0)
		return r;
	if (c->cert[0] != '\0' && (r = sigtls_setup_pki(err, errlen)) != 0)
		return r;
	for (i = 0; i < c->nlisten; i++)
		if ((r = sigtls_endpoint(&c->listen[i], err, errlen)) != 0)
			return r;

	/*
	 * One handler for all of /.well-known/dots: DOTS resources are
	 * named by Uri-Path parameters (cuid=, mid=, sid=).
	 */
	res_dots = coap_resource_unknown_init2(sigreq_handle, 0);
	coap_register_request_handler(res_dots, COAP_REQUEST_GET,
	    sigreq_handle);
	coap_register_request_handler(res_dots, COAP_REQUEST_DELETE,
	    sigreq_handle);
	coap_register_request_handler(res_dots, COAP_REQUEST_POST,
	    sigreq_handle);
	coap_add_resource(signal_ctx, res_dots);
	coap_register_response_handler(signal_ctx, handle_response);
	coap_register_ping_handler(signal_ctx, handle_ping);
	coap_register_event_handler(signal_ctx, handle_event);
	return 0;
}

void
signal_fini(void)
{
	sigobs_fini();
	sigasync_cancel(NULL);
	if (signal_ctx != NULL) {
		/* Our own shutdown is no signal loss: no session events. */
		coap_register_event_handler(signal_ctx, NULL);
		coap_free_context(signal_ctx);	/* sends close_notify */
	}
	signal_ctx = NULL;
	sess_fini();
	sesscfg_fini();
	coap_cleanup();
	sigtls_fini();
	free(hb_body[0]);
	free(hb_body[1]);
}

int
signal_pollfds(struct pollfd *pfd, int max)
{
	int fd;

	if (signal_ctx == NULL || max < 1 ||
	    (fd = coap_context_get_coap_fd(signal_ctx)) < 0)
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

	if (signal_ctx == NULL)
		return -1;
	coap_ticks(&now);
	ms = coap_io_prepare_epoll(signal_ctx, now);
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

	if (signal_ctx == NULL || n < 1 || !(pfd[0].revents & POLLIN))
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
		coap_io_do_epoll(signal_ctx, ev, (size_t)k);
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
	int r;

	if ((r = sesscfg_reconf(nc)) != 0)
		return r;
	sigobs_reconf();
	signal_conf = nc;
	return 0;
}

json_t *
signal_dump(void)
{
	return sess_dump();
}
