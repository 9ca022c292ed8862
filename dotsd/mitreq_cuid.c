/*
 * mitreq_cuid.c: cuid ownership (RFC 9132 §4.4.1.1). A cuid belongs to
 * the client that first used it; another client sending it gets a 4.09
 * cuid-collision. Bindings are durable (dotsd/store.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/mitreq_int.h"
#include "dotsd/store.h"

static struct cuidown *
cuid_find(const char *cuid)
{
	struct cuidown	*o;

	TAILQ_FOREACH(o, &mitreq_cuids, entry)
		if (strcmp(o->cuid, cuid) == 0)
			return o;
	return NULL;
}

int
mitreq_cuid_has_state(const char *client, const char *cuid)
{
	return mitreq_index_group_live(client, cuid) > 0;
}

/*
 * May c use cuid? A cuid belongs to the first client that used it while
 * that client has requests under it, and CUID_HOLD s after. 0 or -EEXIST.
 */
int
mitreq_cuid_check(const struct client_conf *c, const char *cuid, time_t now)
{
	struct cuidown	*o = cuid_find(cuid);

	if (o == NULL || strcmp(o->client, c->name) == 0)
		return 0;
	if (mitreq_cuid_has_state(o->client, cuid) ||
	    now - o->last_used < CUID_HOLD)
		return -EEXIST;
	return 0;
}

/* Binds cuid to c (durably) before a request under it is acknowledged. */
int
mitreq_cuid_bind(const struct client_conf *c, const char *cuid, time_t now)
{
	struct cuidown	*o = cuid_find(cuid);
	int		 rc;

	if (o != NULL && strcmp(o->client, c->name) == 0 &&
	    now - o->last_used < 60)
		return 0;	/* fresh enough: spare an fsync */
	if ((rc = store_cuid_put(cuid, c->name, now)) < 0)
		return rc;
	if (o == NULL) {
		if ((o = calloc(1, sizeof(*o))) == NULL)
			return -ENOMEM;
		snprintf(o->cuid, sizeof(o->cuid), "%s", cuid);
		TAILQ_INSERT_TAIL(&mitreq_cuids, o, entry);
	}
	snprintf(o->client, sizeof(o->client), "%s", c->name);
	o->last_used = now;
	return 0;
}
