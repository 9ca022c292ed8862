/*
 * chan.h: one signal channel session (CoAP over DTLS or TLS) as the
 * commands use it: open, one request at a time, Observe notifications,
 * idle time that still answers the server's heartbeats.
 */
#ifndef DOTS_CLIENT_CHAN_H
#define DOTS_CLIENT_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "dots-client/client.h"

struct chan;

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
int	chan_open(struct chan **out, const struct client_opts *o,
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
