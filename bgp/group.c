/*
 * group.c: the engine's side of the speaker (bgp_backend apply, withdraw,
 * stats, list). A rule group is encoded into a set of routes without the
 * lock, checked against each peer's max-announce, and swapped into the
 * RIB in one transaction, so a failure leaves nothing half applied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/rtbh.h"
#include "bgp/speaker_int.h"
#include "lib/log.h"

struct group	*groups;

/*
 * groups is the list the speaker walks; gtab indexes it by id, because
 * the engine asks for every group's stats each second: with a list walk
 * that was quadratic (10,000 mitigations took ten minutes to install).
 * Without memory for the index, lookups walk the list.
 */
static struct group	**gtab;
static size_t		gtab_size, gtab_count;

static size_t
group_slot(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (gtab_size - 1);
}

/* Doubles the index and re-files every listed group; 0 or -ENOMEM. */
static int
group_grow(void)
{
	size_t		nsize = gtab_size ? gtab_size * 2 : 256, h;
	struct group	**nt, *g;

	if ((nt = calloc(nsize, sizeof(*nt))) == NULL)
		return -ENOMEM;
	free(gtab);
	gtab = nt;
	gtab_size = nsize;
	for (g = groups; g; g = g->next) {
		h = group_slot(g->id);
		g->hnext = gtab[h];
		gtab[h] = g;
	}
	return 0;
}

struct group *
group_find(uint64_t id, struct group ***prevp)
{
	struct group	*g;

	if (gtab != NULL) {
		for (g = gtab[group_slot(id)]; g; g = g->hnext)
			if (g->id == id)
				break;
	} else
		for (g = groups; g; g = g->next)
			if (g->id == id)
				break;
	if (g != NULL && prevp)
		*prevp = g->pprev;
	return g;
}

/* Puts g (id set) at the head of the list and into the index. */
void
group_link(struct group *g)
{
	if (gtab_count >= gtab_size / 2)
		(void)group_grow();	/* a fuller index still works */
	g->next = groups;
	if (groups)
		groups->pprev = &g->next;
	g->pprev = &groups;
	groups = g;
	if (gtab != NULL) {
		size_t h = group_slot(g->id);

		g->hnext = gtab[h];
		gtab[h] = g;
	}
	gtab_count++;
}

static void
group_unlink(struct group *g)
{
	struct group	**hp;

	*g->pprev = g->next;
	if (g->next)
		g->next->pprev = g->pprev;
	if (gtab != NULL)
		for (hp = &gtab[group_slot(g->id)]; *hp; hp = &(*hp)->hnext)
			if (*hp == g) {
				*hp = g->hnext;
				break;
			}
	gtab_count--;
}

/* Frees every group and the index (the speaker stops). */
void
group_free_all(void)
{
	struct group	*g;

	while ((g = groups) != NULL) {
		groups = g->next;
		free(g->routes);
		free(g);
	}
	free(gtab);
	gtab = NULL;
	gtab_size = gtab_count = 0;
}

/* Takes the group's routes out of the RIB and frees the group. */
void
group_remove(struct group *g)
{
	struct rt_txn	t = { 0 };
	uint32_t	i;

	for (i = 0; i < g->nroutes; i++) {
		/* no memory for the transaction: withdraw without it */
		if (txn_touch(&t, g->routes[i]) < 0)
			continue;
		rt_contrib_del(g->routes[i], g->id);
	}
	txn_commit(&t);
	group_unlink(g);
	free(g->routes);
	free(g);
}

struct new_route {
	uint8_t		fam;
	uint8_t		action;
	uint64_t	rate;
	uint16_t	nlen;
	uint32_t	off;	/* into the arena */
};

struct new_set {
	struct new_route	*v;
	size_t			n, cap;
	uint8_t			*arena;
	size_t			alen, acap;
};

static int
newset_add(struct new_set *s, uint8_t fam, uint8_t action, uint64_t rate,
    const uint8_t *nlri, size_t len)
{
	size_t	i;

	/* two rules of a group may encode alike: one route, stronger action */
	for (i = 0; i < s->n; i++) {
		struct new_route *o = &s->v[i];

		if (o->fam != fam || o->nlen != len ||
		    memcmp(s->arena + o->off, nlri, len) != 0)
			continue;
		if (action == MIT_ACT_DROP ||
		    (action == o->action && rate < o->rate)) {
			o->action = action;
			o->rate = rate;
		}
		return 0;
	}
	if (s->n == s->cap) {
		size_t			cap = s->cap ? s->cap * 2 : 64;
		struct new_route	*n = reallocarray(s->v, cap,
		    sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	if (s->alen + len > s->acap) {
		size_t	cap = s->acap ? s->acap * 2 : 8192;
		uint8_t	*n;

		while (cap < s->alen + len)
			cap *= 2;
		if ((n = realloc(s->arena, cap)) == NULL)
			return -ENOMEM;
		s->arena = n;
		s->acap = cap;
	}
	memcpy(s->arena + s->alen, nlri, len);
	s->v[s->n++] = (struct new_route){ fam, action, rate, len, s->alen };
	s->alen += len;
	return 0;
}

/*
 * Encodes every rule of rs. ACCEPT rules are not announced (flowspec has
 * no accept action whose precedence every upstream honours); instead a
 * drop or rate rule that may overlap an accept exception of the same
 * group is kept local too, so upstream never filters more than the group
 * means. Returns 0 or -errno with the reason in err.
 */
static int
encode_group(const struct mit_ruleset *rs, struct new_set *s,
    struct flowspec_nlri *nl, uint32_t *withheld, char *err, size_t errlen)
{
	uint32_t	i, j;
	int		n, k, r;

	*withheld = 0;
	if (rs->nrules > MIT_MAX_GROUP_RULES)
		return speaker_err(err, errlen, -EINVAL, "too many rules");
	for (i = 0; i < rs->nrules; i++) {
		const struct mit_rule	*rule = &rs->rules[i];
		uint8_t			action = rule->action;
		uint64_t		rate = rule->rate;
		int			fam, v6 = rule->dst.family == AF_INET6;

		if (rule->dst.family != AF_INET && !v6)
			return speaker_err(err, errlen, -EINVAL,
			    "rule %u: no destination", rule->id);
		if (action == MIT_ACT_ACCEPT)
			continue;	/* an exception is never announced */
		if (rule->kind == MIT_KIND_RTBH) {
			uint8_t	buf[RTBH_NLRI_MAX];

			r = rtbh_check(rule, bgp_sp.rtbh_min_len4,
			    bgp_sp.rtbh_min_len6);
			if (r == -EPERM)
				return speaker_err(err, errlen, r,
				    "rule %u: RTBH prefix /%u shorter than "
				    "/%u", rule->id, rule->dst.len, v6 ?
				    bgp_sp.rtbh_min_len6 :
				    bgp_sp.rtbh_min_len4);
			if (r < 0)
				return speaker_err(err, errlen, r,
				    "rule %u: bad RTBH prefix", rule->id);
			n = rtbh_nlri(&rule->dst, buf);
			if ((r = newset_add(s, v6 ? BGP_FAM_UNI6 :
			    BGP_FAM_UNI4, MIT_ACT_DROP, 0, buf, n)) < 0)
				return r;
			continue;
		}
		if (rule->kind != MIT_KIND_FLOW)
			return speaker_err(err, errlen, -EOPNOTSUPP,
			    "rule %u: unknown kind %u", rule->id, rule->kind);
		if (rule->dst.len < (v6 ? bgp_sp.min_len6 : bgp_sp.min_len4))
			return speaker_err(err, errlen, -EPERM,
			    "rule %u: prefix /%u shorter than /%u", rule->id,
			    rule->dst.len, v6 ? bgp_sp.min_len6 :
			    bgp_sp.min_len4);
		if (action > MIT_ACT_ACCEPT)
			return speaker_err(err, errlen, -EOPNOTSUPP,
			    "rule %u: unknown action %u", rule->id, action);
		for (j = 0; j < rs->nrules; j++)
			if (rs->rules[j].kind == MIT_KIND_FLOW &&
			    rs->rules[j].action == MIT_ACT_ACCEPT &&
			    !flowspec_disjoint(rule, &rs->rules[j]))
				break;
		if (j < rs->nrules) {
			(*withheld)++;
			continue;
		}
		rt_norm_action(&action, &rate);
		n = flowspec_encode(rule, bgp_sp.nlri_max, nl,
		    FLOWSPEC_MAX_SPLIT);
		if (n < 0)
			return speaker_err(err, errlen, n == -E2BIG ?
			    -EOPNOTSUPP : n, "rule %u: flowspec cannot "
			    "express it (%s)", rule->id, strerror(-n));
		fam = v6 ? BGP_FAM_FLOW6 : BGP_FAM_FLOW4;
		for (k = 0; k < n; k++)
			if ((r = newset_add(s, fam, action, rate, nl[k].buf,
			    nl[k].len)) < 0)
				return r;
	}
	return 0;
}

/*
 * Per-peer ceilings: the routes p would want after replacing group g by
 * the new set. Returns the first peer over its max-announce, or NULL.
 */
static struct peer *
ceiling_check(const struct group *g, uint64_t id, const struct new_set *s,
    uint32_t *would)
{
	int	k;
	size_t	i;

	for (k = 0; k < bgp_sp.npeers; k++) {
		struct peer	*p = bgp_sp.peers[k];
		int64_t		cnt = p->nwant;

		if (!p->c.max_announce)
			continue;
		/* routes only this group holds go away... */
		for (i = 0; g && i < g->nroutes; i++) {
			struct rt_entry	*e = g->routes[i];

			if (e->ncontrib == 1 && e->contrib[0].group == id &&
			    peer_accepts(p, e->fam, e->action))
				cnt--;
		}
		/* ...and the new set's routes nobody else holds come */
		for (i = 0; i < s->n; i++) {
			const struct new_route	*nr = &s->v[i];
			const uint8_t		*nlri = s->arena + nr->off;
			struct rt_entry		*e;

			if (!peer_accepts(p, nr->fam, nr->action))
				continue;
			e = rt_find(nr->fam, nlri, nr->nlen,
			    rt_hashval(nr->fam, nlri, nr->nlen));
			if (e == NULL || e->ncontrib == 0 ||
			    (e->ncontrib == 1 && e->contrib[0].group == id))
				cnt++;
		}
		if (cnt > (int64_t)p->c.max_announce) {
			*would = cnt;
			return p;
		}
	}
	return NULL;
}

int
group_apply(const struct mit_ruleset *rs, char *err, size_t errlen)
{
	struct new_set		s = { 0 };
	struct flowspec_nlri	*nl;
	struct rt_txn		t = { 0 };
	struct group		*g, *ng = NULL;
	struct peer		*over;
	struct rt_entry		**routes = NULL;
	uint32_t		withheld, would, i;
	size_t			k;
	int			r;

	if (!bgp_sp.running)
		return speaker_err(err, errlen, -ENOTCONN, "not started");
	if ((nl = calloc(FLOWSPEC_MAX_SPLIT, sizeof(*nl))) == NULL)
		return -ENOMEM;
	/* encoding needs no lock: it touches only rs and local memory */
	r = encode_group(rs, &s, nl, &withheld, err, errlen);
	free(nl);
	if (r < 0)
		goto out;

	pthread_mutex_lock(&bgp_sp.mtx);
	g = group_find(rs->group, NULL);
	if ((over = ceiling_check(g, rs->group, &s, &would)) != NULL) {
		r = speaker_err(err, errlen, -E2BIG, "neighbor %s: %u routes "
		    "would exceed max-announce %u", over->c.name, would,
		    over->c.max_announce);
		goto unlock;
	}
	if ((routes = calloc(s.n ? s.n : 1, sizeof(*routes))) == NULL ||
	    (g == NULL && (ng = calloc(1, sizeof(*ng))) == NULL)) {
		r = -ENOMEM;
		goto unlock;
	}
	/* allocate everything first, so nothing can fail halfway */
	for (k = 0; k < s.n; k++) {
		const struct new_route *nr = &s.v[k];

		if ((routes[k] = rt_get(nr->fam, s.arena + nr->off,
		    nr->nlen)) == NULL || txn_touch(&t, routes[k]) < 0 ||
		    rt_contrib_reserve(routes[k]) < 0) {
			/* nothing changed yet: this only frees new entries */
			if (routes[k] && !routes[k]->touched)
				rt_maybe_free(routes[k]);
			txn_commit(&t);
			r = -ENOMEM;
			goto unlock;
		}
	}
	if (g) {
		for (i = 0; i < g->nroutes; i++) {
			(void)txn_touch(&t, g->routes[i]);
			rt_contrib_del(g->routes[i], rs->group);
		}
		free(g->routes);
	} else {
		g = ng;
		ng = NULL;
		g->id = rs->group;
		group_link(g);
	}
	for (k = 0; k < s.n; k++)
		(void)rt_contrib_add(routes[k], rs->group, s.v[k].action,
		    s.v[k].rate);
	g->routes = routes;
	g->nroutes = s.n;
	g->linger_since = 0;
	routes = NULL;
	txn_commit(&t);
	if (withheld)
		log_info("bgp: group %llu: %u rules kept local (they overlap "
		    "an accept exception)", (unsigned long long)rs->group,
		    withheld);
	r = 0;
unlock:
	pthread_mutex_unlock(&bgp_sp.mtx);
	if (r == 0)
		speaker_wake();
out:
	free(routes);
	free(ng);
	free(s.v);
	free(s.arena);
	return r;
}

int
group_withdraw(uint64_t group, char *err, size_t errlen)
{
	struct group	*g;
	struct damp	*d;
	int64_t		now = bgp_now_ms();

	if (!bgp_sp.running)
		return 0;
	pthread_mutex_lock(&bgp_sp.mtx);
	if ((g = group_find(group, NULL)) == NULL || g->linger_since) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return 0;
	}
	if (bgp_sp.damping && (d = damp_get(group, 1)) != NULL) {
		damp_decay(d, now);
		d->penalty += DAMP_PENALTY;
		if (d->penalty >= bgp_sp.suppress) {
			g->linger_since = now;
			log_info("bgp: damping: group %llu flaps (penalty "
			    "%.0f), its withdraw waits", (unsigned long long)group,
			    d->penalty);
			pthread_mutex_unlock(&bgp_sp.mtx);
			return 0;
		}
	}
	group_remove(g);
	pthread_mutex_unlock(&bgp_sp.mtx);
	speaker_wake();
	return 0;
}

int
group_stats(uint64_t group, struct mit_stats *st)
{
	struct group	*g;
	uint32_t	i, peers = 0, up = 0;
	int		k;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&bgp_sp.mtx);
	if ((g = group_find(group, NULL)) == NULL || g->linger_since) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return -ENOENT;
	}
	for (k = 0; k < bgp_sp.npeers; k++)
		if (bgp_sp.peers[k]->state == ST_ESTABLISHED)
			up |= 1u << k;
	for (i = 0; i < g->nroutes; i++) {
		if (g->routes[i]->sent & up)
			st->announced++;
		peers |= g->routes[i]->sent & up;
	}
	st->peers_up = __builtin_popcount(peers);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return 0;
}

int
group_list(void (*fn)(uint64_t, void *), void *arg)
{
	struct group	*g;
	uint64_t	*ids = NULL, *n;
	size_t		cnt = 0, cap = 0, i;

	pthread_mutex_lock(&bgp_sp.mtx);
	for (g = groups; g; g = g->next) {
		if (g->linger_since)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((n = reallocarray(ids, cap, sizeof(*ids))) == NULL) {
				pthread_mutex_unlock(&bgp_sp.mtx);
				free(ids);
				return -ENOMEM;
			}
			ids = n;
		}
		ids[cnt++] = g->id;
	}
	pthread_mutex_unlock(&bgp_sp.mtx);
	/* called unlocked: fn may call back into the backend */
	for (i = 0; i < cnt; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}
