/*
 * signal_int.h: what the pieces of the signal channel share: the CoAP
 * context, the request being handled, replies, Observe, async responses,
 * credentials and endpoints. Internal to signal*.c.
 */
#ifndef DOTSD_SIGNAL_INT_H
#define DOTSD_SIGNAL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/signal_uri.h"

#define SC_PREFIX	"ietf-dots-signal-channel:"
#define CF_DOTS_CBOR	COAP_MEDIATYPE_APPLICATION_DOTS_CBOR	/* 271 */
#define CONFIG_MAX_AGE	3600	/* s; clients refresh /config before */

/* signal.c: the configuration in force and the CoAP context. */
extern const struct dotsd_conf *signal_conf;
extern coap_context_t *signal_ctx;

/* A request under /.well-known/dots being handled. */
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

static inline const char *
sess_name(const struct sess *s)
{
	if (s == NULL)
		return "?";
	return s->client != NULL ? s->client->name : s->peer;
}

/* signal_reply.c: responses, Block2 and ETags. */
void		 sigreply_count(int code);
coap_pdu_code_t	 sigreply_code(int code);
void		 sigreply_diag(coap_pdu_t *resp, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 sigreply_payload(coap_session_t *cs, coap_pdu_t *pdu,
		    const uint8_t *buf, size_t len);
void		 sigreply_body(coap_session_t *cs, const coap_pdu_t *req,
		    coap_pdu_t *resp, const coap_string_t *query, int code,
		    const json_t *body, int max_age, int64_t observe);

/* signal_req.c: the handler of every request under /.well-known/dots. */
void		 sigreq_handle(coap_resource_t *resource, coap_session_t *cs,
		    const coap_pdu_t *pdu, const coap_string_t *query,
		    coap_pdu_t *resp);

/* signal_obs.c: Observe registrations (RFC 7641) and notifications. */
int64_t		 sigobs_request(const struct req *rq, const struct dots_uri *u,
		    int ok);
void		 sigobs_reconf(void);
void		 sigobs_fini(void);

/* signal_async.c: requests answered later (signal_async_reply). */
struct pending;
struct pending	*sigasync_new(const struct req *rq);
void		 sigasync_free(struct pending *p);
void		 sigasync_cancel(coap_session_t *cs);

/* signal_tls.c: credentials, client identification, endpoints. */
int		 sigtls_setup_pki(char *err, size_t errlen);
int		 sigtls_setup_psk(char *err, size_t errlen);
int		 sigtls_endpoint(const struct listen_conf *l, char *err,
		    size_t errlen);
void		 sigtls_fini(void);

#endif
