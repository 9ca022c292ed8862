/*
 * rib.c: the speaker's RIB: one hash of entries (one NLRI of one family
 * each, contributed by one or more groups), transactions that turn a
 * change into per-peer work, and the Adj-RIB-Out side of session events:
 * a peer's queue of changed entries becomes UPDATEs and End-of-RIB.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "bgp/speaker_int.h"
#include "lib/log.h"

struct rt_entry	**rt_hash;

uint32_t
rt_hashval(uint8_t fam, const uint8_t *nlri, size_t len)
{
	uint32_t	h = 2166136261u ^ fam;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ nlri[i]) * 16777619u;
	return h;
}

struct rt_entry *
rt_find(uint8_t fam, const uint8_t *nlri, size_t len, uint32_t h)
{
	struct rt_entry	*e;

	for (e = rt_hash[h & (RT_HASH_SIZE - 1)]; e; e = e->hnext)
		if (e->hash == h && e->fam == fam && e->nlen == len &&
		    memcmp(e->nlri, nlri, len) == 0)
			return e;
	return NULL;
}

struct rt_entry *
rt_get(uint8_t fam, const uint8_t *nlri, size_t len)
{
	uint32_t	h = rt_hashval(fam, nlri, len);
	struct rt_entry	*e, **b;

	if ((e = rt_find(fam, nlri, len, h)) != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e) + len)) == NULL)
		return NULL;
	e->hash = h;
	e->fam = fam;
	e->nlen = len;
	memcpy(e->nlri, nlri, len);
	b = &rt_hash[h & (RT_HASH_SIZE - 1)];
	e->hnext = *b;
	*b = e;
	return e;
}

/* Frees e once no group wants it and no peer holds or owes it. */
void
rt_maybe_free(struct rt_entry *e)
{
	struct rt_entry	**pp;

	if (e->ncontrib || e->sent || e->queued || e->touched)
		return;
	for (pp = &rt_hash[e->hash & (RT_HASH_SIZE - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	free(e->contrib);
	free(e);
}

/* A police rate of 0 is a drop; say so once, here. */
void
rt_norm_action(uint8_t *action, uint64_t *rate)
{
	if (*action == MIT_ACT_DROP ||
	    ((*action == MIT_ACT_RATE_BPS || *action == MIT_ACT_RATE_PPS) &&
	    *rate == 0)) {
		*action = MIT_ACT_DROP;
		*rate = 0;
	}
}

/* The strongest wish wins: drop, then the lowest rate of the same kind. */
static void
rt_effective(struct rt_entry *e)
{
	int	i;

	if (e->ncontrib == 0)
		return;
	e->action = e->contrib[0].action;
	e->rate = e->contrib[0].rate;
	for (i = 1; i < e->ncontrib; i++) {
		const struct rt_contrib *c = &e->contrib[i];

		if (e->action == MIT_ACT_DROP)
			break;
		if (c->action == MIT_ACT_DROP ||
		    (c->action == e->action && c->rate < e->rate)) {
			e->action = c->action;
			e->rate = c->rate;
		}
	}
}

int
txn_touch(struct rt_txn *t, struct rt_entry *e)
{
	if (e->touched)
		return 0;
	if (t->n == t->cap) {
		size_t		cap = t->cap ? t->cap * 2 : 256;
		struct rt_entry	**n = reallocarray(t->v, cap, sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		t->v = n;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	e->touched = 1;
	e->was_wanted = e->ncontrib > 0;
	e->was_action = e->action;
	e->was_rate = e->rate;
	return 0;
}

/* Applies the per-peer consequences of every touched entry. */
void
txn_commit(struct rt_txn *t)
{
	size_t	i;
	int	k;

	for (i = 0; i < t->n; i++) {
		struct rt_entry	*e = t->v[i];
		int		wanted = e->ncontrib > 0;
		int		changed = wanted != e->was_wanted ||
		    (wanted && (e->action != e->was_action ||
		    e->rate != e->was_rate));

		e->touched = 0;
		for (k = 0; k < bgp_sp.npeers; k++) {
			struct peer	*p = bgp_sp.peers[k];

			p->nwant -= e->was_wanted &&
			    peer_accepts(p, e->fam, e->was_action);
			p->nwant += wanted && peer_accepts(p, e->fam,
			    e->action);
			if (changed && p->state == ST_ESTABLISHED)
				peer_enqueue(p, e);
		}
		rt_maybe_free(e);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Room for one more contributor, so rt_contrib_add() cannot fail. */
int
rt_contrib_reserve(struct rt_entry *e)
{
	uint16_t		cap;
	struct rt_contrib	*n;

	if (e->ncontrib < e->ccap)
		return 0;
	cap = e->ccap ? e->ccap * 2 : 1;
	if ((n = reallocarray(e->contrib, cap, sizeof(*n))) == NULL)
		return -ENOMEM;
	e->contrib = n;
	e->ccap = cap;
	return 0;
}

int
rt_contrib_add(struct rt_entry *e, uint64_t group, uint8_t action,
    uint64_t rate)
{
	int	i;

	for (i = 0; i < e->ncontrib; i++)
		if (e->contrib[i].group == group) {
			/* the same group twice: keep the stronger */
			if (action == MIT_ACT_DROP ||
			    (action == e->contrib[i].action &&
			    rate < e->contrib[i].rate)) {
				e->contrib[i].action = action;
				e->contrib[i].rate = rate;
			}
			rt_effective(e);
			return 0;
		}
	if (rt_contrib_reserve(e) < 0)
		return -ENOMEM;
	e->contrib[e->ncontrib++] = (struct rt_contrib){ group, rate, action };
	rt_effective(e);
	return 0;
}

void
rt_contrib_del(struct rt_entry *e, uint64_t group)
{
	int	i;

	for (i = 0; i < e->ncontrib; i++)
		if (e->contrib[i].group == group) {
			e->contrib[i] = e->contrib[--e->ncontrib];
			break;
		}
	rt_effective(e);
}

void
rib_peer_up(struct peer *p)
{
	uint32_t	i;
	struct rt_entry	*e;

	p->nsent = 0;
	p->eor_pending = p->fams;
	p->ndirty = p->dpos = 0;
	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = e->hnext)
			if (e->ncontrib)
				peer_enqueue(p, e);
}

void
rib_peer_down(struct peer *p)
{
	uint32_t	i, bit = 1u << p->idx;
	struct rt_entry	*e, *next;

	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = next) {
			next = e->hnext;
			e->sent &= ~bit;
			e->queued &= ~bit;
			rt_maybe_free(e);
		}
	p->ndirty = p->dpos = 0;
	p->nsent = 0;
	p->eor_pending = 0;
	free(p->dirty);
	p->dirty = NULL;
	p->dcap = 0;
}

/* RFC 2918: the peer asked for the whole Adj-RIB-Out of fam again. */
void
rib_peer_refresh(struct peer *p, int fam)
{
	uint32_t	i;
	struct rt_entry	*e;

	log_peer_info(p, "route refresh for %s", bgp_fam_name(fam));
	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = e->hnext)
			if (e->fam == fam && e->ncontrib)
				peer_enqueue(p, e);
}

struct out_key {
	int		valid;
	uint8_t		fam, withdraw, action;
	uint64_t	rate;
};

static void
out_flush(struct peer *p, struct bgp_update *u, struct out_key *k)
{
	static uint8_t	msg[BGP_MAX_MSG];
	int		n;

	if (!k->valid || u->count == 0)
		return;
	if ((n = bgp_update_finish(u, msg, sizeof(msg))) > 0 &&
	    fsm_send(p, msg, n) == 0)
		p->updates_out++;
	else
		p->io_error = 1;
	bgp_update_reset(u);
}

/*
 * Turns p's queue of changed entries into UPDATEs, packing routes with
 * the same attributes, until the socket buffer is full enough; End-of-RIB
 * follows the first full table.
 */
void
rib_peer_output(struct peer *p)
{
	static struct bgp_update	u;
	struct out_key			k = { 0 };
	struct bgp_attrs		a;
	uint32_t			bit = 1u << p->idx;
	uint8_t				m[64];
	int				f, n;

	if (p->state != ST_ESTABLISHED)
		return;
	while (p->dpos < p->ndirty && p->olen - p->ooff < BGP_OBUF_HIGH &&
	    !p->io_error) {
		struct rt_entry	*e = p->dirty[p->dpos++];
		struct out_key	nk = { 1, e->fam, 0, 0, 0 };
		int		want;

		e->queued &= ~bit;
		want = e->ncontrib > 0 && (p->fams & BGP_FAM_BIT(e->fam)) &&
		    peer_accepts(p, e->fam, e->action) &&
		    peer_attrs(p, e->fam, e->action, e->rate, &a) == 0;
		if (want) {
			nk.action = e->action;
			nk.rate = e->rate;
		} else if (e->sent & bit)
			nk.withdraw = 1;
		else {
			rt_maybe_free(e);
			continue;
		}
		if (!k.valid || nk.fam != k.fam || nk.withdraw != k.withdraw ||
		    nk.action != k.action || nk.rate != k.rate) {
			out_flush(p, &u, &k);
			k = nk;
			if (bgp_update_init(&u, k.fam, k.withdraw, &a) < 0) {
				k.valid = 0;
				continue;
			}
		}
		if (bgp_update_add(&u, e->nlri, e->nlen) == -ENOSPC) {
			out_flush(p, &u, &k);
			(void)bgp_update_add(&u, e->nlri, e->nlen);
		}
		if (want && !(e->sent & bit)) {
			e->sent |= bit;
			p->nsent++;
		} else if (!want) {
			e->sent &= ~bit;
			p->nsent--;
			rt_maybe_free(e);
		}
	}
	out_flush(p, &u, &k);
	if (p->dpos == p->ndirty) {
		p->dpos = p->ndirty = 0;
		for (f = 0; f < BGP_FAM_MAX && p->eor_pending; f++) {
			if (!(p->eor_pending & p->fams & BGP_FAM_BIT(f)))
				continue;
			if ((n = bgp_eor_build(m, sizeof(m), f)) > 0)
				fsm_send(p, m, n);
		}
		if (p->eor_pending)
			log_peer_debug(p, "End-of-RIB sent, %u routes",
			    p->nsent);
		p->eor_pending = 0;
	}
	fsm_flush(p);
}
