/*
 * chan.h: one RFC 9132 signal channel session from the client side (CoAP
 * over DTLS or TLS): open, one request at a time, an Observe
 * registration of its own, heartbeats both ways, idle time. Shared by
 * dots-client (the command-line client) and dotsd's upstream backend
 * (upstream/backend.c, one session per thread). Only chan.c includes
 * libcoap.
 */
#ifndef UPSTREAM_CHAN_H
#define UPSTREAM_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct chan;

#define DOTS_PORT	4646	/* RFC 9132 §3 default */

/* coaps://host[:port] or coaps+tcp://host[:port] */
struct server_uri {
	int		tcp;		/* 1: CoAP over TLS (RFC 8323) */
	char		host[256];	/* without IPv6 brackets */
	uint16_t	port;
};

/* uri.c: parses uri into su; 0 or -EINVAL. */
int	server_uri_parse(const char *uri, struct server_uri *su);

/* How to reach and authenticate to the server. Strings stay the caller's
 * and must outlive the channel. */
struct chan_opts {
	const char	*server;	/* as given, for messages */
	const char	*cert;		/* PEM; NULL: PSK */
	const char	*key;
	const char	*ca;
	const char	*psk_identity;
	const uint8_t	*psk_key;
	size_t		 psk_key_len;
	int		 verbose;	/* libcoap log level, see own_log */
	int		 own_log;	/* 1: chan_open sets libcoap's log
					 * handler (stderr) and level; a
					 * daemon sets its own */
	volatile int	*stop;		/* chan_* return -EINTR once *stop */
};

/* A response (or notification) as the callers see it. */
struct dc_response {
	int		 code;		/* class * 100 + detail: 201, 404 */
	json_t		*body;		/* decoded dots+cbor body, or NULL */
	char		 diag[512];	/* diagnostic payload, printable */
	int64_t		 max_age;	/* -1: no Max-Age option */
	int		 has_observe;
	uint32_t	 observe;
};

enum chan_method {
	CHAN_GET = 1,
	CHAN_PUT = 3,
	CHAN_DELETE = 4,
};

#define CHAN_MAX_PATH	6

struct chan_req {
	enum chan_method method;
	int		 confirmable;	/* CON (config); else NON */
	int		 retry;		/* repeat a NON until answered */
	const char	*path[CHAN_MAX_PATH];	/* after .well-known/dots */
	const uint8_t	*body;		/* CBOR, Content-Format 271 */
	size_t		 body_len;
	int		 if_match_empty;	/* efficacy update */
	int		 observe;	/* -1 none, 0 register, 1 deregister */
	int		 same_token;	/* reuse the last request's token */
};

/* Connects and completes the (D)TLS handshake within timeout_ms.
 * Returns 0, -EINVAL (setup, err filled) or -ECONNREFUSED/-ETIMEDOUT. */
int	chan_open(struct chan **out, const struct chan_opts *o,
	    const struct server_uri *su, int timeout_ms, char *err,
	    size_t errlen);
void	chan_close(struct chan *);

/*
 * Sends a request and waits up to timeout_ms for its response (a NON
 * with retry is repeated at 3, 6, 12 ... s, RFC 9132 §4.4.1).
 * Returns 0 with *resp filled (caller calls resp_clear()), -ETIMEDOUT,
 * -ECONNRESET (session failed), -EINTR (signal), -EINVAL (err filled).
 */
int	chan_request(struct chan *, const struct chan_req *,
	    struct dc_response *resp, int timeout_ms, char *err,
	    size_t errlen);
/* Next notification for the last request's token (Observe). Same
 * returns as chan_request. */
int	chan_next(struct chan *, struct dc_response *resp, int timeout_ms);
/* Deregisters the last request's observation and waits for the answer.
 * Returns as chan_next, or -ENOENT if there is no observation. */
int	chan_observe_cancel(struct chan *, struct dc_response *resp,
	    int timeout_ms);
/*
 * A standing observation beside the requests (rq: a GET with observe 0)
 * on a token of its own, so that later chan_request() calls do not end
 * it. Sends without waiting; its answer and notifications are taken
 * with chan_watch_take(). 0 or -errno with err.
 */
int	chan_watch(struct chan *, const struct chan_req *rq, char *err,
	    size_t errlen);
/* Takes the oldest answer on the standing observation: 1, or 0 if none. */
int	chan_watch_take(struct chan *, struct dc_response *resp);
/* Sends a heartbeat (CBOR body) without waiting; answers are counted. */
int	chan_heartbeat(struct chan *, const uint8_t *body, size_t len);
unsigned chan_heartbeat_answers(const struct chan *);
/* Runs I/O for ms (answers server heartbeats). -EINTR on a signal. */
int	chan_idle(struct chan *, int ms);
/* Server heartbeats received, and when the last one came (monotonic s). */
unsigned chan_server_heartbeats(const struct chan *, double *last);
void	resp_clear(struct dc_response *);

/* Set by SIGINT/SIGTERM; chan_* return -EINTR when it is set. */
extern volatile int chan_interrupted;

#endif
