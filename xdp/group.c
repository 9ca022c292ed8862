/*
 * group.c: atomic replacement of one rule group (apply and withdraw):
 * new rules, candidate lists and prefix entries go into slots no packet
 * can reach yet, then one cfg.gen store publishes them all.
 */
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

/* ---- apply ---- */

int
ref_cmp(const void *a, const void *b)
{
	const struct uref *ra = a, *rb = b;
	int d = rules_cmp(&ra->g->rules[ra->idx].r, &rb->g->rules[rb->idx].r);

	if (d)
		return d;
	if (ra->g->id != rb->g->id)
		return ra->g->id < rb->g->id ? -1 : 1;
	return 0;
}

static const struct urule *
urule_find(const struct ugroup *g, uint32_t id)
{
	uint32_t i;

	for (i = 0; g && i < g->nrules; i++)
		if (g->rules[i].r.id == id)
			return &g->rules[i];
	return NULL;
}

struct touched {
	struct upfx	*u;
	uint32_t	 newlist;
	uint8_t		 nrefs;
	uint8_t		 created;
	uint8_t		 counted;	/* in plen_cnt: new in the trie */
	struct uref	 refs[XDP_MAX_CAND];
};

/*
 * Number of other LPM prefixes covering p (hosts are looked up apart and
 * do not count). The program walks at most XDP_MAX_DEPTH of them.
 */
static int
lpm_ancestors(const struct mit_prefix *p)
{
	struct mit_prefix a;
	struct upfx *u;
	int l, i, n = 0;

	for (l = 0; l < p->len; l++) {
		a = *p;
		a.len = l;
		for (i = l; i < 128; i++)
			a.addr[i / 8] &= ~(0x80 >> (i % 8));
		if ((u = pfx_find(&a)) != NULL && (u->nrefs || u->mark))
			n++;
	}
	return n;
}

static int
add_touched(struct touched *t, int *nt, const struct mit_prefix *p)
{
	struct upfx *u = pfx_find(p);
	int created = 0;

	if (u && u->mark)
		return 0;
	if (u == NULL) {
		if ((u = pfx_get(p)) == NULL)
			return -ENOMEM;
		created = 1;
	}
	u->mark = 1;
	memset(&t[*nt], 0, sizeof(t[*nt]));
	t[*nt].u = u;
	t[*nt].created = created;
	(*nt)++;
	return 0;
}

static int
rules_equal_action(const struct mit_rule *a, const struct mit_rule *b)
{
	return a->action == b->action && a->rate == b->rate;
}

/*
 * Replaces group `id` by rules[0..n) (n == 0 with `remove` withdraws it).
 * All or nothing: on error the old rule set stays in force.
 */
int
group_replace(uint64_t id, const struct mit_rule *rules, uint32_t n,
    int remove, char *err, size_t errlen)
{
	struct ugroup *old = grp_find(id), *ng = NULL;
	struct touched *t = NULL;
	struct xdp_spec spec;
	struct xdp_list list;
	const char *why;
	uint32_t i, j, newctrs = 0, needlists = 0, oldn, taken = 0;
	uint64_t gen;
	int nt = 0, k, e, rv = 0, need_sync = 0, written = 0, moved = 0;

	if (!xdp_st.started) {
		xdp_seterr(err, errlen, "xdp backend not started");
		return -ENOTCONN;
	}
	if (old == NULL && remove)
		return 0;
	oldn = old ? old->nrules : 0;
	for (i = 0; i < n; i++) {
		if ((rv = rules_check(&rules[i], &why)) != 0) {
			xdp_seterr(err, errlen, "rule %u: %s", rules[i].id,
			    why);
			return rv;
		}
		for (j = 0; j < i; j++)
			if (rules[j].id == rules[i].id) {
				xdp_seterr(err, errlen, "rule id %u twice",
				    rules[i].id);
				return -EINVAL;
			}
		if (!urule_find(old, rules[i].id))
			newctrs++;
	}
	if (xdp_st.nrules - oldn + n > xdp_st.max_rules) {
		xdp_seterr(err, errlen, "max-rules %u reached",
		    xdp_st.max_rules);
		return -E2BIG;
	}

	ng = calloc(1, sizeof(*ng) + n * sizeof(ng->rules[0]));
	t = calloc(n + oldn + 1, sizeof(*t));
	if (ng == NULL || t == NULL) {
		rv = -ENOMEM;
		goto fail;
	}
	ng->id = id;
	ng->nrules = n;
	ng->retired_ctr = old ? old->retired_ctr : CTR_NONE;
	for (i = 0; i < n; i++)
		ng->rules[i].r = rules[i];

	/* every prefix of the old and the new set */
	for (i = 0; i < oldn; i++)
		if ((rv = add_touched(t, &nt, &old->rules[i].r.dst)) != 0)
			goto fail;
	for (i = 0; i < n; i++)
		if ((rv = add_touched(t, &nt, &rules[i].dst)) != 0)
			goto fail;

	/* their new candidate lists, in match order */
	for (k = 0; k < nt; k++) {
		struct upfx *u = t[k].u;

		if (t[k].created && !is_host(&u->p) &&
		    lpm_ancestors(&u->p) >= XDP_MAX_DEPTH) {
			xdp_seterr(err, errlen, "more than %d nested rule "
			    "prefixes", XDP_MAX_DEPTH);
			rv = -E2BIG;
			goto fail;
		}

		for (i = 0; i < u->nrefs; i++)
			if (u->refs[i].g != old)
				t[k].refs[t[k].nrefs++] = u->refs[i];
		for (i = 0; i < n; i++) {
			if (memcmp(&rules[i].dst, &u->p, sizeof(u->p)) != 0)
				continue;
			if (t[k].nrefs >= XDP_MAX_CAND) {
				xdp_seterr(err, errlen, "more than %d rules on "
				    "one destination prefix", XDP_MAX_CAND);
				rv = -E2BIG;
				goto fail;
			}
			t[k].refs[t[k].nrefs].g = ng;
			t[k].refs[t[k].nrefs++].idx = i;
		}
		qsort(t[k].refs, t[k].nrefs, sizeof(t[k].refs[0]), ref_cmp);
		if (t[k].nrefs)
			needlists++;
		/* its old list may still be read by packets older than its
		 * tag: overwrite that only after a grace period */
		if (u->in_trie && u->gen > xdp_st.synced_gen)
			need_sync = 1;
	}
	if (xdp_st.nprefixes + nt > xdp_st.max_rules + XDP_SLACK && !need_sync)
		need_sync = 1;
	if (need_sync || xdp_st.free_specs.n < n ||
	    xdp_st.free_lists.n < needlists || xdp_st.free_ctrs.n < newctrs) {
		if ((rv = sync_reclaim()) != 0) {
			xdp_seterr(err, errlen, "grace period: %s",
			    strerror(-rv));
			goto fail;
		}
	}
	if (xdp_st.free_specs.n < n || xdp_st.free_lists.n < needlists ||
	    xdp_st.free_ctrs.n < newctrs) {
		xdp_seterr(err, errlen, "out of map slots");
		rv = -E2BIG;
		goto fail;
	}

	/* rules: counters (kept for ids already there), then specs */
	for (i = 0; i < n; i++) {
		struct urule *ur = &ng->rules[i];
		const struct urule *prev = urule_find(old, ur->r.id);

		ur->spec = pool_pop(&xdp_st.free_specs);
		ur->ctr = prev ? prev->ctr : pool_pop(&xdp_st.free_ctrs);
		taken = i + 1;
		if (prev == NULL)
			rv = ctr_init(ur->ctr, &ur->r, 1);
		else if (!rules_equal_action(&prev->r, &ur->r))
			rv = ctr_init(ur->ctr, &ur->r, 0);	/* new rate */
		if (rv != 0)
			goto undo;
		rules_compile(&ur->r, ur->ctr, &spec);
		if (bpf_map_update_elem(xdp_st.fd_specs, &ur->spec, &spec,
		    BPF_ANY) != 0) {
			rv = -errno;
			goto undo;
		}
	}

	/* lists, then the prefix entries, tagged with the next generation */
	gen = xdp_st.gen + 1;
	for (k = 0; k < nt; k++) {
		t[k].newlist = XDP_LIST_EMPTY;
		if (t[k].nrefs == 0)
			continue;
		t[k].newlist = pool_pop(&xdp_st.free_lists);
		memset(&list, 0, sizeof(list));
		list.n = t[k].nrefs;
		for (i = 0; i < t[k].nrefs; i++)
			list.spec[i] =
			    t[k].refs[i].g->rules[t[k].refs[i].idx].spec;
		if (bpf_map_update_elem(xdp_st.fd_lists, &t[k].newlist, &list,
		    BPF_ANY) != 0) {
			rv = -errno;
			goto undo;
		}
	}
	/* a shorter prefix: lower the walk's floor before publishing it */
	for (k = 0; k < nt; k++)
		if (!t[k].u->in_trie && t[k].newlist != XDP_LIST_EMPTY) {
			t[k].counted = 1;
			moved |= plen_count(&t[k].u->p, 1);
		}
	if (moved && (rv = cfg_write()) != 0)
		goto undo;
	for (k = 0; k < nt; k++, written++) {
		if (t[k].u->list == t[k].newlist && t[k].u->in_trie)
			continue;
		if ((rv = trie_write(t[k].u, t[k].u->list, t[k].newlist,
		    gen)) != 0)
			goto undo;
	}

	/* publish */
	xdp_st.gen = gen;
	if ((rv = cfg_write()) != 0) {
		xdp_st.gen = gen - 1;
		goto undo;
	}

	/* commit the model; old slots wait for the next grace period */
	for (k = 0; k < nt; k++) {
		struct upfx *u = t[k].u;

		u->mark = 0;
		if (u->list != XDP_LIST_EMPTY && u->list != t[k].newlist)
			pool_push(&xdp_st.defer_lists, u->list);
		if (!u->in_trie)
			xdp_st.nprefixes++;
		u->in_trie = 1;
		u->list = t[k].newlist;
		u->gen = gen;
		u->nrefs = t[k].nrefs;
		memcpy(u->refs, t[k].refs, sizeof(u->refs));
		if (u->nrefs == 0 && !u->doomed) {
			u->doomed = 1;
			xdp_st.ndoomed++;
		}
	}
	for (i = 0; i < oldn; i++) {
		const struct urule *ur = &old->rules[i];

		pool_push(&xdp_st.defer_specs, ur->spec);
		if (urule_find(ng, ur->r.id))
			continue;
		if (retire(ur->ctr, id) != 0)
			log_warnx("xdp: group %llu: lost a removed rule's "
			    "counters", (unsigned long long)id);
	}
	if (remove && ng->retired_ctr != CTR_NONE)
		retire(ng->retired_ctr, id);	/* freed: group is gone */
	for (i = 0; i < n; i++)
		if ((e = meta_write(ng->rules[i].ctr, id, &ng->rules[i],
		    META_RULE)))
			log_warnx("xdp: group %llu: cannot record rule %u: %s",
			    (unsigned long long)id, ng->rules[i].r.id,
			    strerror(-e));
	xdp_st.nrules = xdp_st.nrules - oldn + n;
	if (old) {
		grp_unlink(old);
		free(old);
		xdp_st.ngroups--;
	}
	if (remove) {
		free(ng);
	} else {
		grp_link(ng);
		xdp_st.ngroups++;
	}
	free(t);
	return 0;

undo:
	/* nothing was published: put the trie entries back as they were */
	for (k = 0; k < written; k++) {
		if (t[k].created)
			trie_delete(t[k].u);
		else if (t[k].u->list != t[k].newlist || !t[k].u->in_trie)
			trie_write(t[k].u, t[k].u->list, t[k].u->list, 0);
	}
	for (k = 0; k < nt; k++) {
		if (t[k].newlist != XDP_LIST_EMPTY)
			pool_push(&xdp_st.free_lists, t[k].newlist);
		if (t[k].counted)
			plen_count(&t[k].u->p, -1);
	}
	if (moved)
		cfg_write();
	/* no packet could reach these slots: free them at once */
	for (i = 0; i < taken; i++) {
		pool_push(&xdp_st.free_specs, ng->rules[i].spec);
		if (!urule_find(old, ng->rules[i].r.id))
			pool_push(&xdp_st.free_ctrs, ng->rules[i].ctr);
	}
	xdp_seterr(err, errlen, "map update failed: %s", strerror(-rv));
fail:
	for (k = 0; k < nt; k++) {
		t[k].u->mark = 0;
		if (t[k].created && !t[k].u->in_trie)
			pfx_remove(t[k].u);
	}
	free(t);
	free(ng);
	return rv;
}
