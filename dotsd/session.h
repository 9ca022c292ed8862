/*
 * session.h: signal-channel sessions (one per (D)TLS session), their
 * heartbeats and loss detection (RFC 9132 §4.7), and the per-client
 * session configuration of /config (RFC 9132 §4.5). Internal to signal*.c
 * and session.c.
 */
#ifndef DOTSD_SESSION_H
#define DOTSD_SESSION_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <coap3/coap.h>
#include <jansson.h>

#include "dotsd/conf.h"

struct sess {
	LIST_ENTRY(sess) entry;
	coap_session_t	*cs;
	const struct client_conf *client;	/* NULL until authenticated */
	uint8_t		tcp;		/* CoAP over TLS: no CON/ACK */
	uint8_t		lost;		/* declared lost, not heard since */
	int8_t		set;		/* parameter set applied, -1 none */
	uint8_t		hb_pending;	/* our last heartbeat unanswered */
	uint32_t	missed;		/* consecutive unanswered heartbeats */
	uint32_t	hb_token;
	time_t		created;
	time_t		last_rx;	/* anything at all from the peer */
	time_t		last_hb_rx;	/* the peer's own heartbeat */
	time_t		last_hb_tx;
	time_t		first_missed;	/* send time of first unanswered hb */
	char		peer[64];	/* address for logs */
};

/* session.c: the session table. */
struct sess	*sess_get(coap_session_t *cs, int create);
void		 sess_free(struct sess *s);
int		 sess_count(void);
void		 sess_rx(struct sess *s, time_t now);
void		 sess_hb_rx(struct sess *s, time_t now);
int		 sess_hb_body(const json_t *wire, int *peer_ok, char *why,
		    size_t whylen);
void		 sess_hb_answered(struct sess *s, time_t now);
void		 sess_tick(time_t now);
json_t		*sess_dump(void);
void		 sess_fini(void);

/* session.c: session configuration, per client. */
int		 sesscfg_init(const struct dotsd_conf *conf);
void		 sesscfg_fini(void);
int		 sesscfg_reconf(const struct dotsd_conf *nc);
/* The parameter set in force for c (mitigating while it has one active). */
const struct sess_params *sesscfg_active(const struct client_conf *c);
/* /config handlers: fill code, body (caller decrefs) or diag. */
struct cfg_reply {
	int		code;
	json_t		*body;
	char		diag[256];
};
void		 sesscfg_get(const struct client_conf *c, int has_sid,
		    uint32_t sid, struct cfg_reply *r);
void		 sesscfg_put(const struct client_conf *c, int has_sid,
		    uint32_t sid, json_t *wire, struct cfg_reply *r);
void		 sesscfg_delete(const struct client_conf *c,
		    struct cfg_reply *r);

/* signal*.c: services session.c needs. */
/* signal.c */
int		 signal_send_hb(struct sess *s, int peer_hb_status);
/* signal_obs.c */
void		 signal_notify_config(const struct client_conf *c);
void		 signal_sess_gone(struct sess *s);

#endif
