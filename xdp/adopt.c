/*
 * adopt.c: adoption of a previous run's pinned maps at start: the model
 * is rebuilt from the meta map and the trie entries, then every prefix
 * class is compiled again from it and published, a batch of prefixes per
 * generation.
 */
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

/* Prefixes recompiled per generation: bounds the room adoption needs. */
#define ADOPT_BATCH	4096

struct adopt_rule {
	uint64_t	group;
	uint32_t	ctr;
	struct xdp_meta	m;
};

struct adopt {
	struct adopt_rule *ar;
	uint32_t	 nar;
	struct region	*used;		/* regions the pinned classes hold */
	uint32_t	 nused, capused;
	uint8_t		*ctr_used;
};

static int
adopt_cmp(const void *a, const void *b)
{
	const struct adopt_rule *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->ctr < y->ctr ? -1 : x->ctr > y->ctr;
}

static int
note_region(struct adopt *ad, uint32_t cls, uint32_t *order)
{
	struct region *nr;

	*order = 0;
	if (cls == XDP_CLASS_EMPTY)
		return 0;
	if (cls >= xdp_st.arena.cap || class_order(cls, order) != 0)
		return -EINVAL;
	if (ad->nused == ad->capused) {
		nr = reallocarray(ad->used, ad->capused ? 2 * ad->capused :
		    256, sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		ad->used = nr;
		ad->capused = ad->capused ? 2 * ad->capused : 256;
	}
	ad->used[ad->nused].off = cls;
	ad->used[ad->nused++].order = *order;
	return 0;
}

/* Creates the user-space prefix of every trie entry; notes its region. */
static int
adopt_trie(struct adopt *ad, int fd, int family, int host)
{
	struct xdp_key6 k, next;
	struct xdp_pfx v;
	struct mit_prefix p;
	struct upfx *u;
	void *prev = NULL;
	uint32_t cls;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v) != 0)
			continue;
		memset(&p, 0, sizeof(p));
		p.family = family;
		if (host) {
			/* the key is the bare address */
			p.len = family == AF_INET ? 32 : 128;
			memcpy(p.addr, &k, family == AF_INET ? 4 : 16);
		} else {
			p.len = k.prefixlen;
			memcpy(p.addr, k.addr, family == AF_INET ? 4 : 16);
		}
		if ((u = pfx_get(&p)) == NULL || utrie_insert(u) != 0)
			return -ENOMEM;
		if (!u->in_trie)
			plen_count(&p, 1);
		u->in_trie = 1;
		u->gen = 0;
		cls = xdp_st.gen >= v.gen ? v.cls_new : v.cls_old;
		/* a region we cannot account for is not reused: skip it */
		if (note_region(ad, cls, &u->cls_order) != 0) {
			log_warnx("xdp: adopting: a prefix entry with a bad "
			    "class");
			cls = XDP_CLASS_EMPTY;
		}
		u->cls = cls;
		xdp_st.nprefixes++;
	}
	return 0;
}

/* The rule records of meta, sorted by group. */
static int
read_meta(struct adopt *ad)
{
	uint32_t i;

	for (i = 0; i < xdp_st.nctrs; i++) {
		struct xdp_meta *m = &ad->ar[ad->nar].m;

		if (bpf_map_lookup_elem(xdp_st.fd_meta, &i, m) != 0)
			continue;
		if (m->in_use != META_RULE && m->in_use != META_RETIRED &&
		    m->in_use != META_RETIRING)
			continue;
		ad->ar[ad->nar].group = m->group;
		ad->ar[ad->nar].ctr = i;
		ad->ctr_used[i] = 1;
		ad->nar++;
	}
	qsort(ad->ar, ad->nar, sizeof(*ad->ar), adopt_cmp);
	return 0;
}

static int
adopt_groups(struct adopt *ad)
{
	struct adopt_rule *ar = ad->ar;
	uint32_t i, j, b;

	for (i = 0; i < ad->nar; i = j) {
		struct ugroup *g;

		for (j = i; j < ad->nar && ar[j].group == ar[i].group; j++)
			;
		g = calloc(1, sizeof(*g) + (j - i) * sizeof(g->rules[0]));
		if (g == NULL)
			return -ENOMEM;
		g->id = ar[i].group;
		g->retired_ctr = CTR_NONE;
		grp_link(g);
		xdp_st.ngroups++;
		for (b = i; b < j; b++) {
			struct urule *ur;

			if (ar[b].m.in_use == META_RETIRING) {
				/* folded by the grace period below */
				if (retire(ar[b].ctr, g->id) != 0)
					return -ENOMEM;
				continue;
			}
			if (ar[b].m.in_use == META_RETIRED) {
				if (g->retired_ctr == CTR_NONE)
					g->retired_ctr = ar[b].ctr;
				else if (retire(ar[b].ctr, g->id) != 0)
					return -ENOMEM;
				continue;
			}
			ur = &g->rules[g->nrules++];
			memcpy(&ur->r, ar[b].m.rule, sizeof(ur->r));
			ur->ctr = ar[b].ctr;
		}
		xdp_st.nrules += g->nrules;
	}
	return 0;
}

/* The refs of every adopted rule, on prefixes old or new. */
static int
adopt_refs(void)
{
	struct ugroup *g;
	struct upfx *u;
	uint32_t b, i;

	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (g = xdp_st.grp_tab[b]; g; g = g->next)
			for (i = 0; i < g->nrules; i++) {
				u = pfx_find(&g->rules[i].r.dst);
				if (u == NULL) {
					if ((u = pfx_get(&g->rules[i].r.dst))
					    == NULL || utrie_insert(u) != 0)
						return -ENOMEM;
				}
				if (pfx_addref(u, g, i) != 0)
					return -ENOMEM;
			}
	return 0;
}

/* Compiles and publishes the classes of us[0..n) as one generation. */
static int
adopt_batch(struct upfx **us, uint32_t n, char *err, size_t errlen)
{
	uint32_t *cls, *order, k, oldcls;
	struct upfx *v;
	int rv = 0;

	cls = calloc(n, sizeof(*cls));
	order = calloc(n, sizeof(*order));
	if (cls == NULL || order == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	for (k = 0; k < n; k++)
		if ((rv = class_compile(us[k], NULL, &cls[k], &order[k], err,
		    errlen)) != 0)
			goto out;
	for (k = 0; k < n; k++) {
		oldcls = us[k]->cls;
		if (!us[k]->in_trie) {
			v = upfx_above(us[k]);
			oldcls = v ? v->cls : XDP_CLASS_EMPTY;
		}
		if ((rv = trie_write(us[k], oldcls, cls[k], xdp_st.gen + 1))
		    != 0)
			goto out;
	}
	xdp_st.gen++;
	if ((rv = cfg_write()) != 0)
		goto out;
	for (k = 0; k < n; k++) {
		if (us[k]->in_trie)
			arena_defer(us[k]->cls, us[k]->cls_order);
		else
			xdp_st.nprefixes++;
		us[k]->in_trie = 1;
		us[k]->cls = cls[k];
		us[k]->cls_order = order[k];
		us[k]->gen = xdp_st.gen;
		if (us[k]->nrefs == 0 && !us[k]->doomed) {
			us[k]->doomed = 1;
			xdp_st.ndoomed++;
		}
	}
	/* mark: the grace period must not delete the batch's rule-less
	 * prefixes before the prefixes under them are done */
	rv = sync_reclaim();
out:
	free(cls);
	free(order);
	return rv;
}

/* Every prefix of the model, recompiled from meta, ADOPT_BATCH at once. */
static int
adopt_classes(char *err, size_t errlen)
{
	struct upfx **us, *u;
	uint32_t b, n = 0, k, i;
	int rv = 0;

	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = u->next)
			n++;
	if ((us = calloc(n + 1, sizeof(*us))) == NULL)
		return -ENOMEM;
	n = 0;
	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = u->next) {
			us[n++] = u;
			u->mark = 1;	/* kept until every batch is done */
		}
	/* entries only meta knows of enter the trie: lower its floor first */
	for (k = 0; k < n; k++)
		if (!us[k]->in_trie)
			plen_count(&us[k]->p, 1);
	if ((rv = cfg_write()) != 0)
		goto out;
	for (k = 0; k < n && rv == 0; k += ADOPT_BATCH)
		rv = adopt_batch(us + k, n - k < ADOPT_BATCH ? n - k :
		    ADOPT_BATCH, err, errlen);
out:
	for (i = 0; i < n; i++)
		us[i]->mark = 0;
	free(us);
	if (rv == 0)
		rv = sync_reclaim();	/* now the rule-less prefixes go */
	return rv;
}

/*
 * Rebuilds the model from meta, then compiles every class again from it:
 * whatever a crash left half done, the data plane ends up exactly as meta
 * says.
 */
int
adopt(char *err, size_t errlen)
{
	struct adopt ad = { 0 };
	struct xdp_cfg c;
	uint32_t zero = 0, i;
	int rv = 0;

	err[0] = '\0';
	if (bpf_map_lookup_elem(xdp_st.fd_cfg, &zero, &c) == 0)
		xdp_st.gen = c.gen;
	ad.ar = calloc(xdp_st.nctrs, sizeof(*ad.ar));
	ad.ctr_used = calloc(xdp_st.nctrs, 1);
	if (!ad.ar || !ad.ctr_used) {
		rv = -ENOMEM;
		goto out;
	}
	if ((rv = read_meta(&ad)) != 0 || (rv = adopt_groups(&ad)) != 0)
		goto out;
	if ((rv = adopt_trie(&ad, xdp_st.fd_lpm4, AF_INET, 0)) != 0 ||
	    (rv = adopt_trie(&ad, xdp_st.fd_lpm6, AF_INET6, 0)) != 0 ||
	    (rv = adopt_trie(&ad, xdp_st.fd_host4, AF_INET, 1)) != 0 ||
	    (rv = adopt_trie(&ad, xdp_st.fd_host6, AF_INET6, 1)) != 0)
		goto out;
	if ((rv = arena_rebuild(ad.used, ad.nused)) != 0)
		goto out;
	for (i = 0; i < xdp_st.nctrs; i++)
		if (!ad.ctr_used[i] && pool_push(&xdp_st.free_ctrs, i) != 0) {
			rv = -ENOMEM;
			goto out;
		}
	if ((rv = adopt_refs()) != 0 || (rv = adopt_classes(err, errlen)))
		goto out;
	log_info("xdp: adopted %u rules in %u groups from %s", xdp_st.nrules,
	    xdp_st.ngroups, xdp_st.pin_path);
out:
	if (rv != 0 && err[0] == '\0')
		xdp_seterr(err, errlen, "adopting %s: %s", xdp_st.pin_path,
		    strerror(-rv));
	free(ad.ar);
	free(ad.used);
	free(ad.ctr_used);
	return rv;
}
