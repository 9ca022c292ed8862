/*
 * mitreq.h: RFC 9132 §4.4 mitigation requests: what a PUT, GET or DELETE
 * on /.well-known/dots/mitigate means, independent of CoAP. signal.c
 * decodes the transport, calls these, and encodes the reply. Owner:
 * mitigation semantics + store.
 */
#ifndef DOTSD_MITREQ_H
#define DOTSD_MITREQ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "dotsd/conf.h"

#define DOTS_ID_LEN	64	/* cuid/cdid bound (RFC: 22 chars typical) */
#define MITREQ_BUSY_RETRY 60	/* Max-Age of a 5.03: retry after it */

/* The requesting peer, as signal.c authenticated it. */
struct dots_peer {
	const struct client_conf *client;	/* never NULL */
	void		*session;	/* coap_session_t *, opaque here */
	void		*pending;	/* async handle for signal_async_reply */
	uint8_t		 piggyback;	/* CON over UDP: answer in the ACK */
};

/* Uri-Path parameters after /.well-known/dots/mitigate. */
struct dots_uri {
	char		cdid[DOTS_ID_LEN];	/* "" unless from a gateway */
	char		cuid[DOTS_ID_LEN];
	uint8_t		has_mid;
	uint32_t	mid;
};

/* What to answer. signal.c encodes body as CBOR, or sends diag as text. */
struct dots_reply {
	int		code;		/* 201, 204, 400, 409, ... */
	json_t		*body;		/* wire JSON, owned by the reply */
	char		diag[256];	/* error diagnostic when body is NULL */
	int64_t		max_age;	/* seconds, -1 = no Max-Age option */
	uint8_t		drop;		/* send nothing at all */
	uint8_t		async;		/* answered later: signal_async_reply */
};

void	mitreq_put(const struct dots_peer *, const struct dots_uri *,
	    const json_t *body, int efficacy, struct dots_reply *);
void	mitreq_get(const struct dots_peer *, const struct dots_uri *,
	    struct dots_reply *);
void	mitreq_delete(const struct dots_peer *, const struct dots_uri *,
	    struct dots_reply *);

/*
 * The request limits as "name value" pairs separated by ", ", for dotsd
 * -nv: past them a PUT gets 4.00. Static storage.
 */
const char *mitreq_limits(void);

/* Lifetimes, active-but-terminating, status refresh. About once a second. */
void	mitreq_tick(time_t now);
/* Does this client have an active mitigation (selects mitigating-config)? */
int	mitreq_active(const struct client_conf *c);
/* Does cuid of client c have one (RFC 8783 activate-when-mitigating)? */
int	mitreq_cuid_active(const struct client_conf *c, const char *cuid);
/*
 * The data channel's alias store (RFC 8783 §6, RFC 9132 §4.4.1.2
 * alias-name): fills the alias's targets into the arrays of *out. Set
 * once at start; without it every alias is unknown. Returns 0 or -ENOENT.
 */
struct mitreq_alias {
	uint8_t		nprefix;
	struct mit_prefix prefix[MIT_MAX_TARGETS];
	uint8_t		nports;
	struct mit_range ports[MIT_MAX_PORTS];
	uint8_t		nproto;
	uint8_t		proto[MIT_MAX_PROTO];
	uint8_t		nnames;			/* FQDNs to resolve */
	char		names[16][256];
};
typedef int (*mitreq_alias_fn)(const struct client_conf *, const char *cuid,
    const char *name, struct mitreq_alias *out);
void	mitreq_set_alias_lookup(mitreq_alias_fn fn);
/*
 * The data channel's ACLs (RFC 9133 acl-list): with activation NULL, 0 if
 * ACL name of (c, cuid) exists, else -ENOENT; otherwise sets its
 * activation-type ("immediate", ...): 0 or -errno. Without it every
 * acl-name is unknown.
 */
typedef int (*mitreq_acl_fn)(const struct client_conf *, const char *cuid,
    const char *name, const char *activation);
void	mitreq_set_acl_hook(mitreq_acl_fn fn);
/* Requests restored with names only, not enforced until they resolve. */
int	mitreq_unresolved(void);
/* Signal channel of c lost / back (activates preconfigured requests). */
void	mitreq_signal_lost(const struct client_conf *c);
void	mitreq_signal_restored(const struct client_conf *c);
/* Reload durable state at start and hand it to the engine again. */
int	mitreq_load(const struct dotsd_conf *conf, time_t now);
/* Snapshot for dotsctl and metrics: array of objects, caller decrefs. */
json_t	*mitreq_dump(void);
/* Operator withdraw (dotsctl): status 7, no abt. 0 or -ENOENT. */
int	mitreq_withdraw_admin(const char *client, uint32_t mid);
/*
 * Operator settings, before mitreq_load: "conflict-policy" both (default)
 * | first-wins | newest-wins. 0 or -EINVAL with err.
 */
int	mitreq_configure(const char *key, const char *value, char *err,
	    size_t errlen);
/*
 * Group commit (mitreq_group.c): on, PUT and DELETE answers wait for
 * mitreq_flush(), which commits them with one fsync and sends them
 * (signal_async_reply). The main loop flushes after each wake-up.
 */
void	mitreq_group_commit(int on);
void	mitreq_flush(void);
/* Frees all in-memory state (not the store): shutdown, tests. */
void	mitreq_fini(void);
/* The session holding an async PUT's pending handle is gone: no reply. */
void	mitreq_cancel(void *pending);
/* Configuration reloaded: requests follow their client by name. */
void	mitreq_reconf(const struct dotsd_conf *conf);

/*
 * Implemented by signal_obs.c: notify observers of client c (all its cuids)
 * that the representation of its mitigations changed.
 */
void	signal_notify(const struct client_conf *c, const char *cuid);
/*
 * Implemented by signal_async.c: deliver the reply of a request left async.
 * As for synchronous replies, r->body becomes signal.c's to free.
 */
void	signal_async_reply(void *pending, struct dots_reply *r);

#endif
