/*
 * upstream_int.h: what the files of upstream/ share: the instance (one
 * upstream server per dotsd for now), its request table, and the session
 * thread's entry points.
 */
#ifndef UPSTREAM_UPSTREAM_INT_H
#define UPSTREAM_UPSTREAM_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "mitigate/mitigate.h"
#include "upstream/body.h"
#include "upstream/chan.h"

#define UP_MAX_REQS	256
#define UP_MAX_REQS_STR	"256"

/* One group the engine gave us = one mitigation request upstream. */
struct up_req {
	uint8_t		used;
	uint8_t		want;		/* 1: held upstream; 0: withdraw it */
	uint8_t		dirty;		/* to be sent (PUT or DELETE) */
	uint8_t		have_rep;	/* rep holds the upstream's last word */
	uint64_t	group;
	uint32_t	mid;
	json_t		*body;		/* the PUT body (wire JSON) */
	time_t		sent;		/* last accepted PUT (lifetime) */
	time_t		retry_at;	/* not before, after a 5.xx */
	struct up_report rep;
};

struct upstream {
	pthread_mutex_t	 lock;		/* req[], last_mid */
	struct up_req	 req[UP_MAX_REQS];
	uint32_t	 last_mid;

	/* configuration (before start, then read-only) */
	char		 server[300];
	struct server_uri su;
	char		 cert[256], key[256], ca[256];
	char		 cuid[64];
	char		 cdid[64];	/* "": not a gateway (§4.4.1) */
	int64_t		 lifetime;	/* s, sent with each request */
	unsigned	 timeout;	/* s for an answer */
	unsigned	 hb_interval;	/* 0: the server's (session config) */
	unsigned	 missing_hb;

	/* the session thread */
	pthread_t	 thread;
	int		 running;
	volatile int	 stop;
	unsigned	 losses;	/* signal losses seen (logs) */
};

/* backend.c */
struct up_req	*up_find(struct upstream *, uint64_t);

/* conf.c */
int	up_conf_key(struct upstream *, const char *, const char *, char *,
	    size_t);
int	up_conf_check(struct upstream *, char *, size_t);

/* session.c */
int	up_session_start(struct upstream *, char *, size_t);
void	up_session_stop(struct upstream *);
void	up_req_stats(const struct up_req *, struct mit_stats *);

#endif
