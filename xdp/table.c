/*
 * table.c: the backend's model of what the maps hold: pools of free map
 * slots, and hash tables of rule groups and of destination prefixes (each
 * with the rules that reference it). No map I/O here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/loader_int.h"

/* ---- slot pools ---- */

int
pool_push(struct pool *p, uint32_t v)
{
	uint32_t *nv;

	if (p->n == p->cap) {
		nv = reallocarray(p->v, p->cap ? p->cap * 2 : 256,
		    sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		p->v = nv;
		p->cap = p->cap ? p->cap * 2 : 256;
	}
	p->v[p->n++] = v;
	return 0;
}

uint32_t
pool_pop(struct pool *p)
{
	return p->v[--p->n];
}

void
pool_free(struct pool *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* Moves every slot of src to dst (after a grace period). */
int
pool_drain(struct pool *src, struct pool *dst)
{
	while (src->n)
		if (pool_push(dst, pool_pop(src)) != 0)
			return -ENOMEM;
	return 0;
}

/* ---- hash tables: prefixes and groups ---- */

static uint32_t
hash_bytes(const void *p, size_t len, uint32_t h)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 16777619u;	/* FNV-1a */
	return h;
}

static uint32_t
pfx_hash(const struct mit_prefix *p)
{
	uint32_t h = hash_bytes(&p->family, 1, 2166136261u);

	h = hash_bytes(&p->len, 1, h);
	return hash_bytes(p->addr, 16, h) & xdp_st.tab_mask;
}

struct upfx *
pfx_find(const struct mit_prefix *p)
{
	struct upfx *u;

	for (u = xdp_st.pfx_tab[pfx_hash(p)]; u; u = u->next)
		if (u->p.family == p->family && u->p.len == p->len &&
		    memcmp(u->p.addr, p->addr, 16) == 0)
			return u;
	return NULL;
}

struct upfx *
pfx_get(const struct mit_prefix *p)
{
	struct upfx *u = pfx_find(p);
	uint32_t h;

	if (u)
		return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->p = *p;
	u->list = XDP_LIST_EMPTY;
	h = pfx_hash(p);
	u->next = xdp_st.pfx_tab[h];
	xdp_st.pfx_tab[h] = u;
	return u;
}

void
pfx_remove(struct upfx *u)
{
	struct upfx **pp;

	for (pp = &xdp_st.pfx_tab[pfx_hash(&u->p)]; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	free(u);
}

static uint32_t
grp_hash(uint64_t id)
{
	return hash_bytes(&id, sizeof(id), 2166136261u) & xdp_st.tab_mask;
}

struct ugroup *
grp_find(uint64_t id)
{
	struct ugroup *g;

	for (g = xdp_st.grp_tab[grp_hash(id)]; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

void
grp_unlink(struct ugroup *g)
{
	struct ugroup **pp;

	for (pp = &xdp_st.grp_tab[grp_hash(g->id)]; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			return;
		}
}

void
grp_link(struct ugroup *g)
{
	uint32_t h = grp_hash(g->id);

	g->next = xdp_st.grp_tab[h];
	xdp_st.grp_tab[h] = g;
}
