/*
 * backend.c: the upstream backend's table of requests and its vtable.
 * apply/withdraw/stats run on the engine's thread and never touch the
 * network: they change the table under a mutex. The session thread
 * (session.c) sends what changed, refreshes lifetimes and folds the
 * upstream's reports back in. Every entry is one engine group, one
 * upstream mid.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "upstream/body.h"
#include "upstream/upstream_int.h"
#include "upstream/upstream.h"

static struct upstream	up = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.lifetime = 3600,
	.timeout = 15,
};

/* RFC 9132 §4.4.1: mids grow; seconds since 2024 outgrow any earlier
 * run's, one per request at most per second on average. */
#define MID_EPOCH	1704067200

static uint32_t
next_mid(struct upstream *u)
{
	uint32_t	t = (uint32_t)(time(NULL) - MID_EPOCH);

	u->last_mid = t > u->last_mid ? t : u->last_mid + 1;
	return u->last_mid;
}

/* The entry of group, or NULL. Caller holds the lock. */
struct up_req *
up_find(struct upstream *u, uint64_t group)
{
	size_t	i;

	for (i = 0; i < UP_MAX_REQS; i++)
		if (u->req[i].used && u->req[i].group == group)
			return &u->req[i];
	return NULL;
}

static int
up_configure(const char *key, const char *value, char *err, size_t errlen)
{
	return up_conf_key(&up, key, value, err, errlen);
}

static int
up_start(char *err, size_t errlen)
{
	return up_session_start(&up, err, errlen);
}

static void
up_stop(void)
{
	up_session_stop(&up);
}

static int
up_apply(const struct mit_ruleset *rs, char *err, size_t errlen)
{
	struct up_req	*r;
	json_t		*body;
	size_t		 i;

	if ((body = upbody_request(rs, up.lifetime, err, errlen)) == NULL)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&up.lock);
	if ((r = up_find(&up, rs->group)) == NULL) {
		for (i = 0; i < UP_MAX_REQS && up.req[i].used; i++)
			;
		if (i == UP_MAX_REQS) {
			pthread_mutex_unlock(&up.lock);
			json_decref(body);
			snprintf(err, errlen, "%d upstream requests at most",
			    UP_MAX_REQS);
			return -E2BIG;
		}
		r = &up.req[i];
		memset(r, 0, sizeof(*r));
		r->used = 1;
		r->group = rs->group;
		r->mid = next_mid(&up);
	}
	/* same mid: a PUT of an existing mid replaces its scope (§4.4.1) */
	json_decref(r->body);
	r->body = body;
	r->want = 1;
	r->dirty = 1;
	pthread_mutex_unlock(&up.lock);
	return 0;
}

static int
up_withdraw(uint64_t group, char *err, size_t errlen)
{
	struct up_req	*r;

	pthread_mutex_lock(&up.lock);
	if ((r = up_find(&up, group)) != NULL && r->want) {
		r->want = 0;
		r->dirty = 1;
	}
	pthread_mutex_unlock(&up.lock);
	return 0;
}

static int
up_stats(uint64_t group, struct mit_stats *st)
{
	struct up_req	*r;
	int		 rv = -ENOENT;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&up.lock);
	if ((r = up_find(&up, group)) != NULL && r->want) {
		up_req_stats(r, st);
		rv = 0;
	}
	pthread_mutex_unlock(&up.lock);
	return rv;
}

static int
up_list(void (*fn)(uint64_t, void *), void *arg)
{
	uint64_t	groups[UP_MAX_REQS];
	size_t		i, n = 0;

	pthread_mutex_lock(&up.lock);
	for (i = 0; i < UP_MAX_REQS; i++)
		if (up.req[i].used && up.req[i].want)
			groups[n++] = up.req[i].group;
	pthread_mutex_unlock(&up.lock);
	for (i = 0; i < n; i++)
		fn(groups[i], arg);
	return 0;
}

static const char *
up_limits(void)
{
	return "requests " UP_MAX_REQS_STR;
}

const struct mit_backend upstream_backend = {
	.name = "upstream",
	.configure = up_configure,
	.start = up_start,
	.stop = up_stop,
	.apply = up_apply,
	.withdraw = up_withdraw,
	.stats = up_stats,
	.list = up_list,
	.limits = up_limits,
};
