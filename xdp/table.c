/*
 * table.c: the backend's model of what the maps hold: pools of free map
 * slots, and hash tables of rule groups and of destination prefixes (each
 * with the rules that reference it), the binary trie that gives their
 * nesting, and the allocator of regions of the words map. No map I/O.
 */
#include <sys/socket.h>

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
	u->cls = XDP_CLASS_EMPTY;
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
	free(u->refs);
	free(u);
}

int
pfx_addref(struct upfx *u, struct ugroup *g, uint32_t idx)
{
	struct uref *nr;

	if (u->nrefs == u->caprefs) {
		nr = reallocarray(u->refs, u->caprefs ? 2 * u->caprefs : 4,
		    sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		u->refs = nr;
		u->caprefs = u->caprefs ? 2 * u->caprefs : 4;
	}
	u->refs[u->nrefs].g = g;
	u->refs[u->nrefs++].idx = idx;
	return 0;
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

/* ---- nesting of prefixes: a binary trie, one node per bit ---- */

static int
bit(const struct mit_prefix *p, int i)
{
	return (p->addr[i / 8] >> (7 - i % 8)) & 1;
}

static struct tnode **
troot(const struct mit_prefix *p)
{
	return &xdp_st.troot[p->family == AF_INET ? 0 : 1];
}

int
utrie_insert(struct upfx *u)
{
	struct tnode **n = troot(&u->p);
	int i;

	for (i = 0; ; i++) {
		if (*n == NULL && (*n = calloc(1, sizeof(**n))) == NULL)
			return -ENOMEM;
		if (i == u->p.len)
			break;
		n = &(*n)->c[bit(&u->p, i)];
	}
	(*n)->u = u;
	return 0;
}

/* Unlinks u and frees the nodes left without prefix or child. */
void
utrie_remove(struct upfx *u)
{
	struct tnode **path[129], **n = troot(&u->p);
	int i, depth = 0;

	for (i = 0; *n && i <= u->p.len; i++) {
		path[depth++] = n;
		if (i == u->p.len)
			break;
		n = &(*n)->c[bit(&u->p, i)];
	}
	if (*n == NULL || (*n)->u != u)
		return;
	(*n)->u = NULL;
	while (depth-- > 0) {
		n = path[depth];
		if ((*n)->u || (*n)->c[0] || (*n)->c[1])
			break;
		free(*n);
		*n = NULL;
	}
}

static void
tnode_free(struct tnode *n)
{
	if (n == NULL)
		return;
	tnode_free(n->c[0]);
	tnode_free(n->c[1]);
	free(n);
}

void
utrie_free(void)
{
	tnode_free(xdp_st.troot[0]);
	tnode_free(xdp_st.troot[1]);
	xdp_st.troot[0] = xdp_st.troot[1] = NULL;
}

int
utrie_path(const struct mit_prefix *p, int (*fn)(struct upfx *, void *),
    void *arg)
{
	struct tnode *n = *troot(p);
	int i, rv;

	for (i = 0; n; i++) {
		if (n->u && (rv = fn(n->u, arg)) != 0)
			return rv;
		if (i == p->len)
			break;
		n = n->c[bit(p, i)];
	}
	return 0;
}

static int
tnode_walk(struct tnode *n, int (*fn)(struct upfx *, void *), void *arg)
{
	struct tnode *stack[129 * 2];
	int sp = 0, rv;

	/* iterative: 128 levels of recursion per call chain add up */
	if (n)
		stack[sp++] = n;
	while (sp > 0) {
		n = stack[--sp];
		if (n->u && (rv = fn(n->u, arg)) != 0)
			return rv;
		if (n->c[1])
			stack[sp++] = n->c[1];
		if (n->c[0])
			stack[sp++] = n->c[0];
	}
	return 0;
}

int
utrie_subtree(const struct mit_prefix *p, int (*fn)(struct upfx *, void *),
    void *arg)
{
	struct tnode *n = *troot(p);
	int i;

	for (i = 0; n && i < p->len; i++)
		n = n->c[bit(p, i)];
	return tnode_walk(n, fn, arg);
}

/* ---- regions of the words map ---- */

/*
 * Power-of-two regions from per-size free lists, split from bigger ones,
 * else from the unused top. Words 0..7 are the empty class, never handed
 * out.
 */
int
arena_alloc(uint32_t len, uint32_t *off, uint32_t *order)
{
	struct arena *a = &xdp_st.arena;
	uint32_t o, k, size;

	for (o = 0; o < ARENA_ORDERS && (8u << o) < len; o++)
		;
	if (o >= ARENA_ORDERS)
		return -E2BIG;
	size = 8u << o;
	*order = o;
	if (a->free[o].n) {
		*off = pool_pop(&a->free[o]);
		a->used += size;
		return 0;
	}
	if ((uint64_t)a->top + size <= a->cap) {
		*off = a->top;
		a->top += size;
		a->used += size;
		return 0;
	}
	for (k = o + 1; k < ARENA_ORDERS; k++)
		if (a->free[k].n)
			break;
	if (k >= ARENA_ORDERS)
		return -E2BIG;
	*off = pool_pop(&a->free[k]);
	/* keep the front, give back the halves behind it */
	while (k-- > o)
		if (pool_push(&a->free[k], *off + (8u << k)) != 0)
			return -ENOMEM;
	a->used += size;
	return 0;
}

void
arena_release(uint32_t off, uint32_t order)
{
	if (order >= ARENA_ORDERS || off == XDP_CLASS_EMPTY)
		return;
	xdp_st.arena.used -= 8u << order;
	pool_push(&xdp_st.arena.free[order], off);
}

int
arena_defer(uint32_t off, uint32_t order)
{
	struct arena *a = &xdp_st.arena;
	struct region *nr;

	if (off == XDP_CLASS_EMPTY)
		return 0;
	if (a->ndefer == a->capdefer) {
		nr = reallocarray(a->defer, a->capdefer ? 2 * a->capdefer :
		    256, sizeof(*nr));
		if (nr == NULL)
			return -ENOMEM;
		a->defer = nr;
		a->capdefer = a->capdefer ? 2 * a->capdefer : 256;
	}
	a->defer[a->ndefer].off = off;
	a->defer[a->ndefer++].order = order;
	return 0;
}

/* After a grace period: no packet reads the deferred regions any more. */
int
arena_reclaim(void)
{
	struct arena *a = &xdp_st.arena;

	while (a->ndefer) {
		a->ndefer--;
		arena_release(a->defer[a->ndefer].off,
		    a->defer[a->ndefer].order);
	}
	return 0;
}

static int
region_cmp(const void *x, const void *y)
{
	const struct region *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

static int
arena_gap(uint32_t from, uint32_t to)
{
	int o;

	while (from + 8 <= to) {
		for (o = ARENA_ORDERS - 1; o > 0 && from + (8u << o) > to; o--)
			;
		if (pool_push(&xdp_st.arena.free[o], from) != 0)
			return -ENOMEM;
		from += 8u << o;
	}
	return 0;
}

/*
 * Adoption: the regions a previous run left in use stay allocated; the
 * gaps between them become free regions.
 */
int
arena_rebuild(struct region *used, uint32_t n)
{
	struct arena *a = &xdp_st.arena;
	uint32_t i, at = 8, end;

	qsort(used, n, sizeof(*used), region_cmp);
	for (i = 0; i < n; i++) {
		if (used[i].off < at || used[i].order >= ARENA_ORDERS)
			return -EINVAL;		/* overlapping: not ours */
		end = used[i].off + (8u << used[i].order);
		if (end > a->cap)
			return -EINVAL;
		if (arena_gap(at, used[i].off) != 0)
			return -ENOMEM;
		a->used += 8u << used[i].order;
		at = end;
	}
	a->top = at;
	return 0;
}

void
arena_free_all(void)
{
	struct arena *a = &xdp_st.arena;
	int o;

	for (o = 0; o < ARENA_ORDERS; o++)
		pool_free(&a->free[o]);
	free(a->defer);
	a->defer = NULL;
	a->ndefer = a->capdefer = 0;
	a->top = 8;
	a->used = 0;
}
