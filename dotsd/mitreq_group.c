/*
 * mitreq_group.c: group commit. With it on (mitreq_group_commit(1), the
 * daemon), the PUTs and DELETEs of one wake-up of the main loop share
 * one store transaction, one fsync, instead of one each; their answers
 * are held and go out as separate responses (signal_async_reply) once
 * mitreq_flush() has committed them. Nothing is acknowledged before its
 * commit, and a crash before it loses only requests nobody was told
 * about. Enforcement still comes first (mitreq_put.c), as before.
 *
 * A GET, the tick, operator actions and writes that are not the group's
 * (store_group_hook) end the group first, so none of them sees or
 * reports a change that is not durable yet.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/mitreq_int.h"
#include "dotsd/store.h"
#include "lib/log.h"

/* An answer waiting for the group's commit. */
struct held {
	TAILQ_ENTRY(held) entry;
	void		*pending;
	struct dots_reply r;
};

static struct {
	int		 on;
	int		 open;		/* store_group_begin() done */
	int		 n;
	TAILQ_HEAD(, held) held;
} grp = { .held = TAILQ_HEAD_INITIALIZER(grp.held) };

void
mitreq_group_commit(int on)
{
	mitreq_flush();
	grp.on = on;
	store_group_hook(on ? mitreq_flush : NULL);
}

/*
 * Before a request that may change the store: joins (or opens) the
 * group. Returns 1 when the answer is to be held (mitreq_group_hold).
 */
int
mitreq_group_enter(const void *pending)
{
	if (!grp.on || pending == NULL)
		return 0;
	if (grp.open)
		return 1;
	if (store_group_begin() < 0)
		return 0;	/* no store, or a transaction: answer now */
	grp.open = 1;
	return 1;
}

/*
 * Holds r for the commit (r->body moves): r becomes async, which tells
 * signal.c to send nothing now. A dropped answer is held too: the
 * pending handle is freed by signal_async_reply().
 */
void
mitreq_group_hold(void *pending, struct dots_reply *r)
{
	struct held	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		/* cannot wait: commit now, answer now */
		mitreq_flush();
		signal_async_reply(pending, r);
		r->async = 1;
		return;
	}
	h->pending = pending;
	h->r = *r;
	r->body = NULL;
	r->async = 1;
	TAILQ_INSERT_TAIL(&grp.held, h, entry);
	grp.n++;
}

/*
 * Commits the open group and sends its answers; if the commit fails,
 * what would have been a success is a 5.03 (the client retries).
 * Returns the commit's 0 or -errno.
 */
static int
group_end(void)
{
	struct held	*h;
	int		 rc = 0, n = grp.n;

	/* not open: answers held after a mid-request commit (a write that
	 * is not the group's ended it) are durable already */
	if (grp.open && (rc = store_group_commit()) < 0)
		log_warnx("store: group commit of %d request%s failed: %s", n,
		    n == 1 ? "" : "s", strerror(-rc));
	grp.open = 0;
	while ((h = TAILQ_FIRST(&grp.held)) != NULL) {
		TAILQ_REMOVE(&grp.held, h, entry);
		grp.n--;
		if (rc < 0 && !h->r.drop && h->r.code < 300) {
			mitreq_reply_err(&h->r, 503, "cannot store the "
			    "request: %s", strerror(-rc));
			h->r.max_age = BUSY_RETRY;
		}
		signal_async_reply(h->pending, &h->r);
		free(h);
	}
	return rc;
}

void
mitreq_flush(void)
{
	group_end();
}

/*
 * The request of peer was handled inside the group: hold its answer, or
 * for a CON (answered in its ACK) commit the group now and answer r.
 */
void
mitreq_group_done(const struct dots_peer *peer, struct dots_reply *r)
{
	if (!peer->piggyback) {
		mitreq_group_hold(peer->pending, r);
		return;
	}
	if (group_end() < 0 && !r->drop && r->code < 300) {
		mitreq_reply_err(r, 503, "cannot store the request");
		r->max_age = BUSY_RETRY;
	}
}

/* The session of pending is gone: its held answer goes nowhere. */
void
mitreq_group_cancel(const void *pending)
{
	struct held	*h, *next;

	for (h = TAILQ_FIRST(&grp.held); h != NULL; h = next) {
		next = TAILQ_NEXT(h, entry);
		if (h->pending != pending)
			continue;
		TAILQ_REMOVE(&grp.held, h, entry);
		grp.n--;
		json_decref(h->r.body);
		free(h);
	}
}
