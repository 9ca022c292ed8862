/*
 * adopt.c: adoption of a previous run's pinned maps at start: the model
 * is rebuilt from the meta map and the trie entries, then every candidate
 * list is rewritten and published in one generation.
 */
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

/* ---- adoption of a previous run's pinned state ---- */

struct adopt_rule {
	uint64_t	group;
	uint32_t	ctr;
	struct xdp_meta	m;
};

static int
adopt_cmp(const void *a, const void *b)
{
	const struct adopt_rule *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->ctr < y->ctr ? -1 : x->ctr > y->ctr;
}

/* Creates the user-space prefix of every trie entry; marks its lists. */
static int
adopt_trie(int fd, int family, int host, uint8_t *list_used)
{
	struct xdp_key6 k, next;
	struct xdp_pfx v;
	struct mit_prefix p;
	struct upfx *u;
	void *prev = NULL;

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
		if ((u = pfx_get(&p)) == NULL)
			return -ENOMEM;
		if (!u->in_trie)
			plen_count(&p, 1);
		u->in_trie = 1;
		u->gen = 0;
		u->list = xdp_st.gen >= v.gen ? v.list_new : v.list_old;
		if (u->list >= xdp_st.nlists)
			u->list = XDP_LIST_EMPTY;
		list_used[u->list] = 1;
		xdp_st.nprefixes++;
	}
	return 0;
}

/*
 * Rebuilds the model from meta, then rewrites every candidate list from it
 * and publishes them in one generation: whatever a crash left half done,
 * the data plane ends up exactly as meta says.
 */
int
adopt(char *err, size_t errlen)
{
	struct adopt_rule *ar = NULL;
	struct xdp_cfg c;
	struct xdp_list list;
	uint8_t *spec_used = NULL, *ctr_used = NULL, *list_used = NULL;
	uint32_t zero = 0, i, j, n = 0, b;
	struct upfx *u;
	int rv = 0;

	if (bpf_map_lookup_elem(xdp_st.fd_cfg, &zero, &c) == 0)
		xdp_st.gen = c.gen;
	ar = calloc(xdp_st.nctrs, sizeof(*ar));
	spec_used = calloc(xdp_st.nspecs, 1);
	ctr_used = calloc(xdp_st.nctrs, 1);
	list_used = calloc(xdp_st.nlists, 1);
	if (!ar || !spec_used || !ctr_used || !list_used) {
		rv = -ENOMEM;
		goto out;
	}
	for (i = 0; i < xdp_st.nctrs; i++) {
		struct xdp_meta *m = &ar[n].m;

		if (bpf_map_lookup_elem(xdp_st.fd_meta, &i, m) != 0)
			continue;
		if (m->in_use == META_RULE) {
			if (m->spec >= xdp_st.nspecs || spec_used[m->spec])
				continue;
			spec_used[m->spec] = 1;
		} else if (m->in_use != META_RETIRED &&
		    m->in_use != META_RETIRING)
			continue;
		ar[n].group = m->group;
		ar[n].ctr = i;
		ctr_used[i] = 1;
		n++;
	}
	qsort(ar, n, sizeof(*ar), adopt_cmp);
	for (i = 0; i < n; i = j) {
		struct ugroup *g;

		for (j = i; j < n && ar[j].group == ar[i].group; j++)
			;
		g = calloc(1, sizeof(*g) + (j - i) * sizeof(g->rules[0]));
		if (g == NULL) {
			rv = -ENOMEM;
			goto out;
		}
		g->id = ar[i].group;
		g->retired_ctr = CTR_NONE;
		for (b = i; b < j; b++) {
			struct urule *ur;

			if (ar[b].m.in_use == META_RETIRING) {
				/* folded by the grace period below */
				if (retire(ar[b].ctr, g->id) != 0)
					goto nomem;
				continue;
			}
			if (ar[b].m.in_use == META_RETIRED) {
				if (g->retired_ctr == CTR_NONE)
					g->retired_ctr = ar[b].ctr;
				else if (retire(ar[b].ctr, g->id) != 0)
					goto nomem;
				continue;
			}
			ur = &g->rules[g->nrules++];
			memcpy(&ur->r, ar[b].m.rule, sizeof(ur->r));
			ur->spec = ar[b].m.spec;
			ur->ctr = ar[b].ctr;
		}
		grp_link(g);
		xdp_st.ngroups++;
		xdp_st.nrules += g->nrules;
	}

	list_used[XDP_LIST_EMPTY] = 1;
	if ((rv = adopt_trie(xdp_st.fd_lpm4, AF_INET, 0, list_used)) != 0 ||
	    (rv = adopt_trie(xdp_st.fd_lpm6, AF_INET6, 0, list_used)) != 0 ||
	    (rv = adopt_trie(xdp_st.fd_host4, AF_INET, 1, list_used)) != 0 ||
	    (rv = adopt_trie(xdp_st.fd_host6, AF_INET6, 1, list_used)) != 0)
		goto out;
	for (i = 0; i < xdp_st.nspecs; i++)
		if (!spec_used[i] && pool_push(&xdp_st.free_specs, i) != 0)
			goto nomem;
	for (i = 0; i < xdp_st.nctrs; i++)
		if (!ctr_used[i] && pool_push(&xdp_st.free_ctrs, i) != 0)
			goto nomem;
	for (i = xdp_st.nlists; i-- > 1; )
		if (!list_used[i] && pool_push(&xdp_st.free_lists, i) != 0)
			goto nomem;

	/* refs of every adopted rule */
	for (b = 0; b <= xdp_st.tab_mask; b++) {
		struct ugroup *g;

		for (g = xdp_st.grp_tab[b]; g; g = g->next)
			for (i = 0; i < g->nrules; i++) {
				if ((u = pfx_get(&g->rules[i].r.dst)) == NULL)
					goto nomem;
				if (u->nrefs >= XDP_MAX_CAND)
					continue;
				u->refs[u->nrefs].g = g;
				u->refs[u->nrefs++].idx = i;
			}
	}

	/* prefixes only meta knows of enter the trie: lower its floor first */
	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = u->next)
			if (!u->in_trie)
				plen_count(&u->p, 1);
	if ((rv = cfg_write()) != 0)
		goto out;

	/* fresh lists for all, published as one generation */
	xdp_st.gen++;
	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = u->next) {
			uint32_t nl = XDP_LIST_EMPTY;

			qsort(u->refs, u->nrefs, sizeof(u->refs[0]), ref_cmp);
			if (u->nrefs) {
				if (xdp_st.free_lists.n == 0) {
					rv = -E2BIG;
					goto out;
				}
				nl = pool_pop(&xdp_st.free_lists);
				memset(&list, 0, sizeof(list));
				list.n = u->nrefs;
				for (i = 0; i < u->nrefs; i++)
					list.spec[i] = u->refs[i].g->
					    rules[u->refs[i].idx].spec;
				if (bpf_map_update_elem(xdp_st.fd_lists, &nl,
				    &list, BPF_ANY) != 0) {
					rv = -errno;
					goto out;
				}
			}
			if ((rv = trie_write(u, u->list, nl, xdp_st.gen)) != 0)
				goto out;
			if (!u->in_trie)
				xdp_st.nprefixes++;
			u->in_trie = 1;
			if (u->list != XDP_LIST_EMPTY)
				pool_push(&xdp_st.defer_lists, u->list);
			u->list = nl;
			u->gen = xdp_st.gen;
			if (nl == XDP_LIST_EMPTY) {
				u->doomed = 1;
				xdp_st.ndoomed++;
			}
		}
	if ((rv = cfg_write()) != 0 || (rv = sync_reclaim()) != 0)
		goto out;
	log_info("xdp: adopted %u rules in %u groups from %s", xdp_st.nrules,
	    xdp_st.ngroups, xdp_st.pin_path);
	goto out;
nomem:
	rv = -ENOMEM;
out:
	if (rv != 0)
		xdp_seterr(err, errlen, "adopting %s: %s", xdp_st.pin_path,
		    strerror(-rv));
	free(ar);
	free(spec_used);
	free(ctr_used);
	free(list_used);
	return rv;
}
