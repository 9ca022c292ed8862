/*
 * mitreq_index.c: the indexes of the request table (mitreq_list), so that
 * a PUT, DELETE or GET costs O(log n) and not a walk of every request:
 *
 *   by key	(client name, cuid, mid) -> request: mitreq_find()
 *   by group	(client name, cuid) -> its requests in list order, and how
 *		many are not purged: GET, notifications, cuid state
 *   by client	client name -> requests not purged: max-mitigations
 *   by target	every target the engine is given (mitreq_engine_build())
 *		and every target-fqdn, target-uri and alias-name, in one
 *		treap ordered by (family, address, length): the requests
 *		that may overlap a request (RFC 9132 §4.4.1.3)
 *
 * The target index answers with a superset, in list order; callers still
 * ask mitreq_conflict_overlap(), so the answer is the scan's. Client
 * pointers change on reload, names do not: keys use the name.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/mitreq_int.h"

#define FAM_NAME	0xff	/* pseudo family of a name entry */

/* One indexed target (or name) of one request. */
struct ixnode {
	struct ixnode	*left, *right;
	uint32_t	 prio;		/* treap: heap order on prio */
	uint8_t		 fam;
	uint8_t		 len;
	uint8_t		 addr[16];	/* host bits cleared */
	struct mreq	*m;
};

/* (client name, cuid): its requests in list order. */
struct mgroup {
	struct mgroup	*hnext;
	char		 client[MIT_NAME_LEN];
	char		 cuid[DOTS_ID_LEN];
	struct mreq_head list;
	int		 n;		/* members */
	int		 live;		/* members not purged */
};

struct mclient {
	char		 name[MIT_NAME_LEN];
	int		 live;
};

struct mindex {
	struct mreq	**keys;		/* chained on mreq->hnext */
	size_t		 nkeys, keys_size;
	struct mgroup	**groups;	/* chained on mgroup->hnext */
	size_t		 ngroups, groups_size;
	struct mclient	*clients;
	size_t		 nclients;
	struct ixnode	*root;
	uint32_t	 lencount[3][129];	/* [v4, v6, other][len] */
	uint32_t	 rng;
	uint64_t	 seq;		/* list order */
	uint32_t	 epoch;		/* dedupe of query results */
};

static struct mindex ix = { .rng = 0x9e3779b9 };

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t
fnv_str(uint64_t h, const char *s)
{
	return fnv(fnv(h, s, strlen(s)), "", 1);
}

#define FNV0	UINT64_C(0xcbf29ce484222325)

/* ------------------------------------------------------------------ */
/* hash tables                                                        */
/* ------------------------------------------------------------------ */

static size_t
key_slot(const char *client, const char *cuid, uint32_t mid, size_t size)
{
	uint64_t	h = fnv_str(fnv_str(FNV0, client), cuid);

	return (size_t)(fnv(h, &mid, sizeof(mid)) & (size - 1));
}

static size_t
group_slot(const char *client, const char *cuid, size_t size)
{
	return (size_t)(fnv_str(fnv_str(FNV0, client), cuid) & (size - 1));
}

/* Doubles a table when it is as full as it is large. 0 or -1. */
static int
keys_grow(void)
{
	struct mreq	**nt, *m, *next;
	size_t		 i, size = ix.keys_size ? ix.keys_size * 2 : 256, s;

	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < ix.keys_size; i++)
		for (m = ix.keys[i]; m != NULL; m = next) {
			next = m->hnext;
			s = key_slot(m->client->name, m->cuid, m->mid, size);
			m->hnext = nt[s];
			nt[s] = m;
		}
	free(ix.keys);
	ix.keys = nt;
	ix.keys_size = size;
	return 0;
}

static int
groups_grow(void)
{
	struct mgroup	**nt, *g, *next;
	size_t		 i, size = ix.groups_size ? ix.groups_size * 2 : 64, s;

	if ((nt = calloc(size, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < ix.groups_size; i++)
		for (g = ix.groups[i]; g != NULL; g = next) {
			next = g->hnext;
			s = group_slot(g->client, g->cuid, size);
			g->hnext = nt[s];
			nt[s] = g;
		}
	free(ix.groups);
	ix.groups = nt;
	ix.groups_size = size;
	return 0;
}

static struct mgroup *
group_lookup(const char *client, const char *cuid)
{
	struct mgroup	*g;

	if (ix.groups_size == 0)
		return NULL;
	for (g = ix.groups[group_slot(client, cuid, ix.groups_size)];
	    g != NULL; g = g->hnext)
		if (strcmp(g->cuid, cuid) == 0 && strcmp(g->client, client) == 0)
			return g;
	return NULL;
}

static struct mgroup *
group_get(const char *client, const char *cuid)
{
	struct mgroup	*g;
	size_t		 s;

	if ((g = group_lookup(client, cuid)) != NULL)
		return g;
	if ((ix.ngroups >= ix.groups_size && groups_grow() < 0) ||
	    (g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	snprintf(g->client, sizeof(g->client), "%s", client);
	snprintf(g->cuid, sizeof(g->cuid), "%s", cuid);
	TAILQ_INIT(&g->list);
	s = group_slot(client, cuid, ix.groups_size);
	g->hnext = ix.groups[s];
	ix.groups[s] = g;
	ix.ngroups++;
	return g;
}

static void
group_put(struct mgroup *g)
{
	struct mgroup	**pp;

	if (g->n > 0)
		return;
	for (pp = &ix.groups[group_slot(g->client, g->cuid, ix.groups_size)];
	    *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	ix.ngroups--;
	free(g);
}

static struct mclient *
client_slot(const char *name, int create)
{
	struct mclient	*c;
	size_t		 i;

	for (i = 0; i < ix.nclients; i++)
		if (strcmp(ix.clients[i].name, name) == 0)
			return &ix.clients[i];
	if (!create || (c = reallocarray(ix.clients, ix.nclients + 1,
	    sizeof(*c))) == NULL)
		return NULL;
	ix.clients = c;
	c = &ix.clients[ix.nclients++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/* ------------------------------------------------------------------ */
/* target treap                                                       */
/* ------------------------------------------------------------------ */

/* Order of (family, address, length). */
static int
tkey_cmp(uint8_t fa, const uint8_t *aa, uint8_t la, uint8_t fb,
    const uint8_t *ab, uint8_t lb)
{
	int	c;

	if (fa != fb)
		return fa < fb ? -1 : 1;
	if ((c = memcmp(aa, ab, 16)) != 0)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return 0;
}

/* Total order: the key, then the node itself (a key may repeat). */
static int
node_cmp(const struct ixnode *a, const struct ixnode *b)
{
	int	c = tkey_cmp(a->fam, a->addr, a->len, b->fam, b->addr, b->len);

	if (c != 0)
		return c;
	return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

static uint32_t
rnd(void)
{
	/* xorshift32: balance only, nothing to guess */
	ix.rng ^= ix.rng << 13;
	ix.rng ^= ix.rng >> 17;
	ix.rng ^= ix.rng << 5;
	return ix.rng;
}

static struct ixnode *
treap_insert(struct ixnode *t, struct ixnode *n)
{
	struct ixnode	*c;

	if (t == NULL)
		return n;
	if (node_cmp(n, t) < 0) {
		t->left = treap_insert(t->left, n);
		if (t->left->prio > t->prio) {
			c = t->left;
			t->left = c->right;
			c->right = t;
			return c;
		}
	} else {
		t->right = treap_insert(t->right, n);
		if (t->right->prio > t->prio) {
			c = t->right;
			t->right = c->left;
			c->left = t;
			return c;
		}
	}
	return t;
}

/* Joins two treaps, every key of l below every key of r. */
static struct ixnode *
treap_join(struct ixnode *l, struct ixnode *r)
{
	if (l == NULL)
		return r;
	if (r == NULL)
		return l;
	if (l->prio > r->prio) {
		l->right = treap_join(l->right, r);
		return l;
	}
	r->left = treap_join(l, r->left);
	return r;
}

static struct ixnode *
treap_remove(struct ixnode *t, const struct ixnode *n)
{
	int	c;

	if (t == NULL)
		return NULL;
	if (t == n)
		return treap_join(t->left, t->right);
	c = node_cmp(n, t);
	if (c < 0)
		t->left = treap_remove(t->left, n);
	else
		t->right = treap_remove(t->right, n);
	return t;
}

struct tquery {
	uint8_t		 fam;
	uint8_t		 lo[16], hi[16];
	uint8_t		 llo, lhi;
	struct mreq	**out;
	size_t		 n, size;
	int		 err;
};

static void
collect(struct tquery *q, struct mreq *m)
{
	struct mreq	**na;

	if (m->ix_epoch == ix.epoch)
		return;
	m->ix_epoch = ix.epoch;
	if (q->n == q->size) {
		q->size = q->size ? q->size * 2 : 16;
		if ((na = reallocarray(q->out, q->size, sizeof(*na))) == NULL) {
			q->err = 1;
			return;
		}
		q->out = na;
	}
	q->out[q->n++] = m;
}

/* Every node with a key in [(fam, lo, llo), (fam, hi, lhi)]. */
static void
treap_range(const struct ixnode *t, struct tquery *q)
{
	while (t != NULL) {
		if (tkey_cmp(t->fam, t->addr, t->len, q->fam, q->lo,
		    q->llo) < 0) {
			t = t->right;
			continue;
		}
		if (tkey_cmp(t->fam, t->addr, t->len, q->fam, q->hi,
		    q->lhi) > 0) {
			t = t->left;
			continue;
		}
		treap_range(t->left, q);
		collect(q, t->m);
		t = t->right;
	}
}

static int
fam_slot(uint8_t fam)
{
	return fam == AF_INET ? 0 : fam == AF_INET6 ? 1 : 2;
}

static void
mask(uint8_t *dst, const uint8_t *src, unsigned len)
{
	unsigned	i;

	for (i = 0; i < 16; i++) {
		if (len >= 8 * (i + 1))
			dst[i] = src[i];
		else if (len > 8 * i)
			dst[i] = src[i] & (uint8_t)(0xff << (8 * (i + 1) - len));
		else
			dst[i] = 0;
	}
}

/*
 * Requests with an indexed target that overlaps p: those whose address
 * lies in p (more specific, or p itself), and those that contain p,
 * found by an exact look-up at each length in use shorter than p's.
 */
static void
query_prefix(struct tquery *q, const struct mit_prefix *p)
{
	uint8_t		 base[16];
	unsigned	 len, l, i;
	const uint32_t	*lc = ix.lencount[fam_slot(p->family)];

	len = p->len > 128 ? 128 : p->len;
	mask(base, p->addr, len);
	q->fam = p->family;
	memcpy(q->lo, base, 16);
	memcpy(q->hi, base, 16);
	for (i = len; i < 128; i++)
		q->hi[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	q->llo = 0;
	q->lhi = 128;
	treap_range(ix.root, q);
	for (l = 0; l < len; l++) {
		if (lc[l] == 0)
			continue;
		mask(q->lo, base, l);
		memcpy(q->hi, q->lo, 16);
		q->llo = q->lhi = (uint8_t)l;
		treap_range(ix.root, q);
	}
}

/* A name's entry: (FAM_NAME, 128-bit hash of kind and name, 0). */
static void
name_key(uint8_t *addr, int kind, const char *name)
{
	uint64_t	h1, h2;

	h1 = fnv_str(fnv(FNV0, &kind, sizeof(kind)), name);
	h2 = fnv_str(fnv(UINT64_C(0x84222325cbf29ce4), &kind, sizeof(kind)),
	    name);
	memcpy(addr, &h1, 8);
	memcpy(addr + 8, &h2, 8);
}

static const char *const name_members[] = {
	"target-fqdn", "target-uri", "alias-name"
};

static int
node_add(struct mreq *m, uint8_t fam, const uint8_t *addr, uint8_t len)
{
	struct ixnode	*n, **na;

	if ((na = reallocarray(m->ix_nodes, (size_t)m->ix_n + 1,
	    sizeof(*na))) == NULL)
		return -1;
	m->ix_nodes = na;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->fam = fam;
	n->len = len;
	memcpy(n->addr, addr, 16);
	n->m = m;
	n->prio = rnd();
	m->ix_nodes[m->ix_n++] = n;
	ix.root = treap_insert(ix.root, n);
	if (fam != FAM_NAME)
		ix.lencount[fam_slot(fam)][len]++;
	return 0;
}

static void
targets_del(struct mreq *m)
{
	struct ixnode	*n;
	int		 i;

	for (i = 0; i < m->ix_n; i++) {
		n = m->ix_nodes[i];
		ix.root = treap_remove(ix.root, n);
		if (n->fam != FAM_NAME)
			ix.lencount[fam_slot(n->fam)][n->len]--;
		free(n);
	}
	free(m->ix_nodes);
	m->ix_nodes = NULL;
	m->ix_n = 0;
}

/* Indexes what mitreq_conflict_overlap() compares. 0 or -1. */
static int
targets_add(struct mreq *m)
{
	struct mitigation mit;
	const json_t	*arr, *x;
	uint8_t		 key[16];
	size_t		 i, k;
	int		 rc = 0;

	mitreq_engine_build(m, &mit);
	for (i = 0; i < mit.ntargets && rc == 0; i++) {
		mask(key, mit.targets[i].addr, mit.targets[i].len > 128 ?
		    128 : mit.targets[i].len);
		rc = node_add(m, mit.targets[i].family, key,
		    mit.targets[i].len > 128 ? 128 : mit.targets[i].len);
	}
	for (k = 0; k < sizeof(name_members) / sizeof(name_members[0]); k++) {
		arr = json_object_get(m->rq.scope, name_members[k]);
		json_array_foreach(arr, i, x) {
			if (rc != 0 || !json_is_string(x))
				continue;
			name_key(key, (int)k, json_string_value(x));
			rc = node_add(m, FAM_NAME, key, 0);
		}
	}
	return rc;
}

static int
seq_cmp(const void *a, const void *b)
{
	const struct mreq *x = *(struct mreq *const *)a;
	const struct mreq *y = *(struct mreq *const *)b;

	return x->ix_seq < y->ix_seq ? -1 : x->ix_seq > y->ix_seq;
}

/* ------------------------------------------------------------------ */
/* what the other pieces call                                         */
/* ------------------------------------------------------------------ */

/*
 * Appends m to mitreq_list and indexes it. A failed allocation leaves m
 * out of the indexes that need memory; -1 then, and the caller fails
 * the request. 0 on success.
 */
int
mitreq_index_insert(struct mreq *m)
{
	struct mclient	*c;
	size_t		 s;

	if ((ix.nkeys >= ix.keys_size && keys_grow() < 0) ||
	    (m->ix_group = group_get(m->client->name, m->cuid)) == NULL ||
	    (c = client_slot(m->client->name, 1)) == NULL)
		return -1;
	if (targets_add(m) < 0) {
		targets_del(m);
		group_put(m->ix_group);
		m->ix_group = NULL;
		return -1;
	}
	s = key_slot(m->client->name, m->cuid, m->mid, ix.keys_size);
	m->hnext = ix.keys[s];
	ix.keys[s] = m;
	ix.nkeys++;
	m->ix_seq = ++ix.seq;
	TAILQ_INSERT_TAIL(&mitreq_list, m, entry);
	TAILQ_INSERT_TAIL(&m->ix_group->list, m, gentry);
	m->ix_group->n++;
	if (!m->purge) {
		m->ix_group->live++;
		c->live++;
	}
	return 0;
}

/* Takes m out of mitreq_list and every index (m is not freed). */
void
mitreq_index_remove(struct mreq *m)
{
	struct mreq	**pp;
	struct mclient	*c;

	if (m->ix_group == NULL)
		return;		/* never inserted */
	TAILQ_REMOVE(&mitreq_list, m, entry);
	for (pp = &ix.keys[key_slot(m->client->name, m->cuid, m->mid,
	    ix.keys_size)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			ix.nkeys--;
			break;
		}
	m->hnext = NULL;
	targets_del(m);
	if (!m->purge) {
		m->ix_group->live--;
		if ((c = client_slot(m->client->name, 0)) != NULL)
			c->live--;
	}
	TAILQ_REMOVE(&m->ix_group->list, m, gentry);
	m->ix_group->n--;
	group_put(m->ix_group);
	m->ix_group = NULL;
}

/* m is going (purge): it no longer counts, nor is it found by key. */
void
mitreq_index_purge(struct mreq *m)
{
	struct mclient	*c;

	if (m->purge)
		return;
	m->purge = 1;
	if (m->ix_group == NULL)
		return;		/* not in the table yet */
	m->ix_group->live--;
	if ((c = client_slot(m->client->name, 0)) != NULL)
		c->live--;
}

/* m's resolved addresses changed: index its targets again. */
void
mitreq_index_retarget(struct mreq *m)
{
	if (m->ix_group == NULL)
		return;
	targets_del(m);
	targets_add(m);
}

/* The first in table order, as a walk of the table would find it. */
struct mreq *
mitreq_index_find(const char *client, const char *cuid, uint32_t mid)
{
	struct mreq	*m, *first = NULL;

	if (ix.keys_size == 0)
		return NULL;
	for (m = ix.keys[key_slot(client, cuid, mid, ix.keys_size)];
	    m != NULL; m = m->hnext)
		if (m->mid == mid && !m->purge && strcmp(m->cuid, cuid) == 0 &&
		    strcmp(m->client->name, client) == 0 &&
		    (first == NULL || m->ix_seq < first->ix_seq))
			first = m;
	return first;
}

/* The requests of (client, cuid), purged ones too, in list order. */
struct mreq *
mitreq_index_group_first(const char *client, const char *cuid)
{
	struct mgroup	*g = group_lookup(client, cuid);

	return g ? TAILQ_FIRST(&g->list) : NULL;
}

struct mreq *
mitreq_index_group_next(const struct mreq *m)
{
	return TAILQ_NEXT(m, gentry);
}

/* Requests of (client, cuid) not purged. */
int
mitreq_index_group_live(const char *client, const char *cuid)
{
	struct mgroup	*g = group_lookup(client, cuid);

	return g ? g->live : 0;
}

/* Requests of client not purged. */
int
mitreq_index_client_live(const char *client)
{
	struct mclient	*c = client_slot(client, 0);

	return c ? c->live : 0;
}

/*
 * The requests in the table that may overlap m (m itself left out):
 * *out (caller frees) gets them in list order. Returns how many, or -1
 * when out of memory.
 */
int
mitreq_index_overlapping(struct mreq *m, struct mreq ***out)
{
	struct tquery	 q;
	struct mitigation mit;
	const json_t	*arr, *x;
	size_t		 i, k;

	memset(&q, 0, sizeof(q));
	if (++ix.epoch == 0)
		++ix.epoch;	/* 0 is "never seen" */
	m->ix_epoch = ix.epoch;		/* not itself */
	mitreq_engine_build(m, &mit);
	for (i = 0; i < mit.ntargets; i++)
		query_prefix(&q, &mit.targets[i]);
	for (k = 0; k < sizeof(name_members) / sizeof(name_members[0]); k++) {
		arr = json_object_get(m->rq.scope, name_members[k]);
		json_array_foreach(arr, i, x) {
			if (!json_is_string(x))
				continue;
			q.fam = FAM_NAME;
			name_key(q.lo, (int)k, json_string_value(x));
			memcpy(q.hi, q.lo, 16);
			q.llo = q.lhi = 0;
			treap_range(ix.root, &q);
		}
	}
	if (q.err) {
		free(q.out);
		*out = NULL;
		return -1;
	}
	if (q.n > 1)
		qsort(q.out, q.n, sizeof(*q.out), seq_cmp);
	*out = q.out;
	return (int)q.n;
}

/* Frees the indexes (the requests are mitreq_fini()'s). */
void
mitreq_index_fini(void)
{
	struct mreq	*m;

	while ((m = TAILQ_FIRST(&mitreq_list)) != NULL) {
		mitreq_index_remove(m);
		mitreq_free(m);
	}
	free(ix.keys);
	free(ix.groups);
	free(ix.clients);
	memset(&ix, 0, sizeof(ix));
	ix.rng = 0x9e3779b9;
}
