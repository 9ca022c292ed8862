/*
 * loader.c: the XDP backend. Loads dotsd.bpf.c through its skeleton, pins
 * its maps under pin-path so drops outlive dotsd, adopts what a previous
 * run left there, and turns rule groups into map entries.
 *
 * Atomic updates (see xdp/README.md): every apply writes its rules, candidate
 * lists and prefix entries into slots no packet can reach yet, tags the
 * touched prefixes with the next generation and then bumps cfg.gen with one
 * store; a packet reads cfg.gen once, so it sees the old rule set or the new
 * one. Slots the old set used are reused only after an RCU grace period
 * (forced by a map-in-map update), when no packet can still be reading them.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
/* the generated skeleton casts its embedded object's const away */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "xdp/dotsd.skel.h"
#pragma GCC diagnostic pop
#include "xdp/xdp.h"

#define BPF_FS_MAGIC_	0xcafe4a11

/* Spare slots for rule sets in flight: reused after the next grace period. */
#define XDP_SLACK	4096

struct pool {
	uint32_t	*v;
	uint32_t	 n, cap;
};

struct urule {
	struct mit_rule	r;
	uint32_t	spec;
	uint32_t	ctr;
};

struct ugroup {
	struct ugroup	*next;
	uint64_t	 id;
	uint32_t	 retired_ctr;	/* sum of rules since removed, or NONE */
	uint32_t	 nrules;
	struct urule	 rules[];
};

#define CTR_NONE	UINT32_MAX

/* xdp_meta.in_use */
enum {
	META_FREE = 0,
	META_RULE,		/* a live rule */
	META_RETIRED,		/* a group's sum of its removed rules */
	META_RETIRING,		/* a removed rule, folded after a grace period */
};

/* A removed rule's counter slot, still counting until a grace period. */
struct retiring {
	uint32_t	ctr;
	uint64_t	group;
};

struct uref {
	struct ugroup	*g;
	uint32_t	 idx;
};

struct upfx {
	struct upfx	*next;
	struct mit_prefix p;
	uint64_t	 gen;		/* generation tag in the trie entry */
	uint32_t	 list;		/* list at that generation */
	uint8_t		 in_trie;
	uint8_t		 mark;		/* touched by the apply in progress */
	uint8_t		 doomed;	/* empty: delete after a grace period */
	uint8_t		 nrefs;
	struct uref	 refs[XDP_MAX_CAND];
};

static struct {
	/* configuration */
	char		 pin_path[PATH_MAX];
	uint32_t	 max_rules;
	int		 mode;
	int		 malformed_drop;
	struct xdp_iface ifs[XDP_MAX_IFACES];
	int		 nifs;

	/* running */
	struct dotsd	*skel;
	int		 started;
	int		 fd_cfg, fd_lpm4, fd_lpm6, fd_host4, fd_host6;
	int		 fd_lists, fd_specs;
	int		 fd_counters, fd_gbucket, fd_lbucket, fd_gstats, fd_meta;
	int		 fd_rcu, fd_rcu_inner;
	int		 lock_fd;	/* flock on pin-path: one writer */
	uint32_t	 nspecs, nlists, nctrs, nprefixes;
	uint32_t	 plen_cnt[2][129];	/* LPM entries per length */
	int		 ncpus;
	uint64_t	 gen, synced_gen, epoch;
	uint32_t	 nrules, ngroups;

	struct pool	 free_specs, free_lists, free_ctrs;
	struct pool	 defer_specs, defer_lists;
	struct retiring	*retiring;
	uint32_t	 nretiring, retiring_cap;

	struct upfx	**pfx_tab;
	struct ugroup	**grp_tab;
	uint32_t	 tab_mask;
	int		 ndoomed;
} st = {
	.pin_path = XDP_DEFAULT_PIN,
	.max_rules = XDP_DEFAULT_MAX_RULES,
	.fd_rcu_inner = -1,
	.lock_fd = -1,
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- slot pools ---- */

static int
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

static uint32_t
pool_pop(struct pool *p)
{
	return p->v[--p->n];
}

static void
pool_free(struct pool *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* Moves every slot of src to dst (after a grace period). */
static int
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
	return hash_bytes(p->addr, 16, h) & st.tab_mask;
}

static struct upfx *
pfx_find(const struct mit_prefix *p)
{
	struct upfx *u;

	for (u = st.pfx_tab[pfx_hash(p)]; u; u = u->next)
		if (u->p.family == p->family && u->p.len == p->len &&
		    memcmp(u->p.addr, p->addr, 16) == 0)
			return u;
	return NULL;
}

static struct upfx *
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
	u->next = st.pfx_tab[h];
	st.pfx_tab[h] = u;
	return u;
}

static void
pfx_remove(struct upfx *u)
{
	struct upfx **pp;

	for (pp = &st.pfx_tab[pfx_hash(&u->p)]; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	free(u);
}

static uint32_t
grp_hash(uint64_t id)
{
	return hash_bytes(&id, sizeof(id), 2166136261u) & st.tab_mask;
}

static struct ugroup *
grp_find(uint64_t id)
{
	struct ugroup *g;

	for (g = st.grp_tab[grp_hash(id)]; g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

static void
grp_unlink(struct ugroup *g)
{
	struct ugroup **pp;

	for (pp = &st.grp_tab[grp_hash(g->id)]; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			return;
		}
}

static void
grp_link(struct ugroup *g)
{
	uint32_t h = grp_hash(g->id);

	g->next = st.grp_tab[h];
	st.grp_tab[h] = g;
}

/* ---- map helpers ---- */

static int
is_host(const struct mit_prefix *p)
{
	return p->len == (p->family == AF_INET ? 32 : 128);
}

/* Host prefixes live in a hash by address, the others in the LPM trie. */
static int
entry_fd(const struct mit_prefix *p)
{
	if (is_host(p))
		return p->family == AF_INET ? st.fd_host4 : st.fd_host6;
	return p->family == AF_INET ? st.fd_lpm4 : st.fd_lpm6;
}

static void *
entry_key(const struct mit_prefix *p, struct xdp_key6 *k)
{
	memset(k, 0, sizeof(*k));
	if (is_host(p)) {
		memcpy(k, p->addr, p->family == AF_INET ? 4 : 16);
		return k;
	}
	k->prefixlen = p->len;
	memcpy(k->addr, p->addr, p->family == AF_INET ? 4 : 16);
	return k;
}

static int
trie_write(const struct upfx *u, uint32_t list_old, uint32_t list_new,
    uint64_t gen)
{
	struct xdp_key6 k;
	struct xdp_pfx v = {
		.gen = gen, .list_old = list_old, .list_new = list_new,
		.plen = u->p.len,
	};

	if (bpf_map_update_elem(entry_fd(&u->p), entry_key(&u->p, &k), &v,
	    BPF_ANY) != 0)
		return -errno;
	return 0;
}

static int
trie_delete(const struct upfx *u)
{
	struct xdp_key6 k;

	if (bpf_map_delete_elem(entry_fd(&u->p), entry_key(&u->p, &k)) != 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

/* Counts an LPM entry coming (+1) or gone (-1); 1 if the minimum moved. */
static int
plen_count(const struct mit_prefix *p, int delta)
{
	uint32_t *cnt = st.plen_cnt[p->family == AF_INET ? 0 : 1];

	if (is_host(p))
		return 0;
	cnt[p->len] += delta;
	return (delta > 0 && cnt[p->len] == 1) || (delta < 0 &&
	    cnt[p->len] == 0);
}

static uint32_t
plen_min(int fam)
{
	uint32_t i;

	for (i = 0; i <= 128; i++)
		if (st.plen_cnt[fam][i])
			return i;
	return XDP_TRIE_EMPTY;
}

static int
cfg_write(void)
{
	uint32_t zero = 0;
	struct xdp_cfg c = {
		.gen = st.gen,
		.malformed_drop = st.malformed_drop,
		.ncpus = st.ncpus,
		.trie_min4 = plen_min(0),
		.trie_min6 = plen_min(1),
	};

	/* an aligned 8-byte store: packets read gen whole, old or new */
	if (bpf_map_update_elem(st.fd_cfg, &zero, &c, BPF_ANY) != 0)
		return -errno;
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	/* the clock of bpf_ktime_get_ns() */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int
ctr_read(uint32_t ctr, struct mit_stats *out)
{
	struct xdp_counters *v;
	int i;

	if ((v = calloc(st.ncpus, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st.fd_counters, &ctr, v) != 0) {
		free(v);
		return -errno;
	}
	for (i = 0; i < st.ncpus; i++) {
		out->pkts_dropped += v[i].pkts_dropped;
		out->bytes_dropped += v[i].bytes_dropped;
		out->pkts_passed += v[i].pkts_passed;
		out->bytes_passed += v[i].bytes_passed;
	}
	free(v);
	return 0;
}

/*
 * A freshly allocated counter slot starts at zero on every CPU (counters
 * set); a rule whose rate changed only gets a new bucket.
 */
static int
ctr_init(uint32_t ctr, const struct mit_rule *r, int counters)
{
	struct xdp_counters *v;
	struct xdp_lbucket *lb;
	struct xdp_gbucket gb;
	int err = 0;

	v = calloc(st.ncpus, sizeof(*v));
	lb = calloc(st.ncpus, sizeof(*lb));
	if (v == NULL || lb == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if ((counters &&
	    bpf_map_update_elem(st.fd_counters, &ctr, v, BPF_ANY) != 0) ||
	    bpf_map_update_elem(st.fd_lbucket, &ctr, lb, BPF_ANY) != 0) {
		err = -errno;
		goto out;
	}
	rules_bucket(r, st.ncpus, &gb);
	gb.last_ns = now_ns();
	gb.epoch = ++st.epoch;
	if (bpf_map_update_elem(st.fd_gbucket, &ctr, &gb, BPF_ANY) != 0)
		err = -errno;
out:
	free(v);
	free(lb);
	return err;
}

static struct ugroup *grp_find(uint64_t);

static int
meta_write(uint32_t ctr, uint64_t group, const struct urule *ur, int in_use)
{
	struct xdp_meta m;

	if (in_use == META_FREE) {
		if (bpf_map_delete_elem(st.fd_meta, &ctr) != 0 &&
		    errno != ENOENT)
			return -errno;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.group = group;
	m.in_use = in_use;
	if (ur) {
		m.spec = ur->spec;
		memcpy(m.rule, &ur->r, sizeof(ur->r));
	}
	if (bpf_map_update_elem(st.fd_meta, &ctr, &m, BPF_ANY) != 0)
		return -errno;
	return 0;
}

/*
 * A removed rule's slot keeps counting until a grace period: it is folded
 * into its group's total only then (fold_retiring), so no packet is lost
 * from the group's counters.
 */
static int
retire(uint32_t ctr, uint64_t group)
{
	struct retiring *nv;

	if (st.nretiring == st.retiring_cap) {
		nv = reallocarray(st.retiring, st.retiring_cap ?
		    st.retiring_cap * 2 : 256, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		st.retiring = nv;
		st.retiring_cap = st.retiring_cap ? st.retiring_cap * 2 : 256;
	}
	st.retiring[st.nretiring].ctr = ctr;
	st.retiring[st.nretiring++].group = group;
	return meta_write(ctr, group, NULL, META_RETIRING);
}

static int
fold_one(const struct retiring *rt)
{
	struct ugroup *g = grp_find(rt->group);
	struct xdp_counters *a = NULL, *b = NULL;
	int i, rv = 0;

	if (g == NULL)
		goto release;		/* withdrawn meanwhile */
	if (g->retired_ctr == CTR_NONE) {
		/* the first removed rule's slot becomes the group's total */
		g->retired_ctr = rt->ctr;
		return meta_write(rt->ctr, rt->group, NULL, META_RETIRED);
	}
	a = calloc(st.ncpus, sizeof(*a));
	b = calloc(st.ncpus, sizeof(*b));
	if (a == NULL || b == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	/* no spec points at either slot now: plain read-add-write is safe */
	if (bpf_map_lookup_elem(st.fd_counters, &rt->ctr, a) != 0 ||
	    bpf_map_lookup_elem(st.fd_counters, &g->retired_ctr, b) != 0) {
		rv = -errno;
		goto out;
	}
	for (i = 0; i < st.ncpus; i++) {
		b[i].pkts_dropped += a[i].pkts_dropped;
		b[i].bytes_dropped += a[i].bytes_dropped;
		b[i].pkts_passed += a[i].pkts_passed;
		b[i].bytes_passed += a[i].bytes_passed;
	}
	if (bpf_map_update_elem(st.fd_counters, &g->retired_ctr, b,
	    BPF_ANY) != 0) {
		rv = -errno;
		goto out;
	}
release:
	meta_write(rt->ctr, 0, NULL, META_FREE);
	rv = pool_push(&st.free_ctrs, rt->ctr);
out:
	free(a);
	free(b);
	return rv;
}

/*
 * Waits until no XDP program that started before now is still running:
 * the kernel runs synchronize_rcu() on a map-in-map update. Then the slots
 * of replaced rule sets are free and doomed prefixes can leave the trie.
 */
static int
sync_reclaim(void)
{
	uint32_t zero = 0, b;
	struct upfx *u, *next;
	int left = 0, moved = 0;

	if (bpf_map_update_elem(st.fd_rcu, &zero, &st.fd_rcu_inner,
	    BPF_ANY) != 0)
		return -errno;
	st.synced_gen = st.gen;
	if (pool_drain(&st.defer_specs, &st.free_specs) != 0 ||
	    pool_drain(&st.defer_lists, &st.free_lists) != 0)
		return -ENOMEM;
	while (st.nretiring) {
		if (fold_one(&st.retiring[st.nretiring - 1]) != 0)
			log_warnx("xdp: folding a removed rule's counters "
			    "failed");
		st.nretiring--;
	}
	if (st.ndoomed == 0)
		return 0;
	for (b = 0; b <= st.tab_mask; b++)
		for (u = st.pfx_tab[b]; u; u = next) {
			next = u->next;
			/* marked: the apply in progress is about to use it */
			if (!u->doomed)
				continue;
			if (u->mark) {
				left++;
				continue;
			}
			u->doomed = 0;
			if (u->nrefs || u->list != XDP_LIST_EMPTY)
				continue;
			if (trie_delete(u) != 0)
				log_warnx("xdp: cannot delete a trie entry");
			moved |= plen_count(&u->p, -1);
			st.nprefixes--;
			pfx_remove(u);
		}
	st.ndoomed = left;
	/* gone from the trie: the walk may stop earlier now */
	if (moved && cfg_write() != 0)
		log_warnx("xdp: cannot write cfg");
	return 0;
}

int
xdp_sync(void)
{
	if (!st.started)
		return -ENOTCONN;
	return sync_reclaim();
}

/* ---- apply ---- */

static int
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
static int
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

	if (!st.started) {
		seterr(err, errlen, "xdp backend not started");
		return -ENOTCONN;
	}
	if (old == NULL && remove)
		return 0;
	oldn = old ? old->nrules : 0;
	for (i = 0; i < n; i++) {
		if ((rv = rules_check(&rules[i], &why)) != 0) {
			seterr(err, errlen, "rule %u: %s", rules[i].id, why);
			return rv;
		}
		for (j = 0; j < i; j++)
			if (rules[j].id == rules[i].id) {
				seterr(err, errlen, "rule id %u twice",
				    rules[i].id);
				return -EINVAL;
			}
		if (!urule_find(old, rules[i].id))
			newctrs++;
	}
	if (st.nrules - oldn + n > st.max_rules) {
		seterr(err, errlen, "max-rules %u reached", st.max_rules);
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
			seterr(err, errlen, "more than %d nested rule "
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
				seterr(err, errlen, "more than %d rules on one "
				    "destination prefix", XDP_MAX_CAND);
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
		if (u->in_trie && u->gen > st.synced_gen)
			need_sync = 1;
	}
	if (st.nprefixes + nt > st.max_rules + XDP_SLACK && !need_sync)
		need_sync = 1;
	if (need_sync || st.free_specs.n < n || st.free_lists.n < needlists ||
	    st.free_ctrs.n < newctrs) {
		if ((rv = sync_reclaim()) != 0) {
			seterr(err, errlen, "grace period: %s", strerror(-rv));
			goto fail;
		}
	}
	if (st.free_specs.n < n || st.free_lists.n < needlists ||
	    st.free_ctrs.n < newctrs) {
		seterr(err, errlen, "out of map slots");
		rv = -E2BIG;
		goto fail;
	}

	/* rules: counters (kept for ids already there), then specs */
	for (i = 0; i < n; i++) {
		struct urule *ur = &ng->rules[i];
		const struct urule *prev = urule_find(old, ur->r.id);

		ur->spec = pool_pop(&st.free_specs);
		ur->ctr = prev ? prev->ctr : pool_pop(&st.free_ctrs);
		taken = i + 1;
		if (prev == NULL)
			rv = ctr_init(ur->ctr, &ur->r, 1);
		else if (!rules_equal_action(&prev->r, &ur->r))
			rv = ctr_init(ur->ctr, &ur->r, 0);	/* new rate */
		if (rv != 0)
			goto undo;
		rules_compile(&ur->r, ur->ctr, &spec);
		if (bpf_map_update_elem(st.fd_specs, &ur->spec, &spec,
		    BPF_ANY) != 0) {
			rv = -errno;
			goto undo;
		}
	}

	/* lists, then the prefix entries, tagged with the next generation */
	gen = st.gen + 1;
	for (k = 0; k < nt; k++) {
		t[k].newlist = XDP_LIST_EMPTY;
		if (t[k].nrefs == 0)
			continue;
		t[k].newlist = pool_pop(&st.free_lists);
		memset(&list, 0, sizeof(list));
		list.n = t[k].nrefs;
		for (i = 0; i < t[k].nrefs; i++)
			list.spec[i] =
			    t[k].refs[i].g->rules[t[k].refs[i].idx].spec;
		if (bpf_map_update_elem(st.fd_lists, &t[k].newlist, &list,
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
	st.gen = gen;
	if ((rv = cfg_write()) != 0) {
		st.gen = gen - 1;
		goto undo;
	}

	/* commit the model; old slots wait for the next grace period */
	for (k = 0; k < nt; k++) {
		struct upfx *u = t[k].u;

		u->mark = 0;
		if (u->list != XDP_LIST_EMPTY && u->list != t[k].newlist)
			pool_push(&st.defer_lists, u->list);
		if (!u->in_trie)
			st.nprefixes++;
		u->in_trie = 1;
		u->list = t[k].newlist;
		u->gen = gen;
		u->nrefs = t[k].nrefs;
		memcpy(u->refs, t[k].refs, sizeof(u->refs));
		if (u->nrefs == 0 && !u->doomed) {
			u->doomed = 1;
			st.ndoomed++;
		}
	}
	for (i = 0; i < oldn; i++) {
		const struct urule *ur = &old->rules[i];

		pool_push(&st.defer_specs, ur->spec);
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
	st.nrules = st.nrules - oldn + n;
	if (old) {
		grp_unlink(old);
		free(old);
		st.ngroups--;
	}
	if (remove) {
		free(ng);
	} else {
		grp_link(ng);
		st.ngroups++;
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
			pool_push(&st.free_lists, t[k].newlist);
		if (t[k].counted)
			plen_count(&t[k].u->p, -1);
	}
	if (moved)
		cfg_write();
	/* no packet could reach these slots: free them at once */
	for (i = 0; i < taken; i++) {
		pool_push(&st.free_specs, ng->rules[i].spec);
		if (!urule_find(old, ng->rules[i].r.id))
			pool_push(&st.free_ctrs, ng->rules[i].ctr);
	}
	seterr(err, errlen, "map update failed: %s", strerror(-rv));
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
		u->list = st.gen >= v.gen ? v.list_new : v.list_old;
		if (u->list >= st.nlists)
			u->list = XDP_LIST_EMPTY;
		list_used[u->list] = 1;
		st.nprefixes++;
	}
	return 0;
}

/*
 * Rebuilds the model from meta, then rewrites every candidate list from it
 * and publishes them in one generation: whatever a crash left half done,
 * the data plane ends up exactly as meta says.
 */
static int
adopt(char *err, size_t errlen)
{
	struct adopt_rule *ar = NULL;
	struct xdp_cfg c;
	struct xdp_list list;
	uint8_t *spec_used = NULL, *ctr_used = NULL, *list_used = NULL;
	uint32_t zero = 0, i, j, n = 0, b;
	struct upfx *u;
	int rv = 0;

	if (bpf_map_lookup_elem(st.fd_cfg, &zero, &c) == 0)
		st.gen = c.gen;
	ar = calloc(st.nctrs, sizeof(*ar));
	spec_used = calloc(st.nspecs, 1);
	ctr_used = calloc(st.nctrs, 1);
	list_used = calloc(st.nlists, 1);
	if (!ar || !spec_used || !ctr_used || !list_used) {
		rv = -ENOMEM;
		goto out;
	}
	for (i = 0; i < st.nctrs; i++) {
		struct xdp_meta *m = &ar[n].m;

		if (bpf_map_lookup_elem(st.fd_meta, &i, m) != 0)
			continue;
		if (m->in_use == META_RULE) {
			if (m->spec >= st.nspecs || spec_used[m->spec])
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
		st.ngroups++;
		st.nrules += g->nrules;
	}

	list_used[XDP_LIST_EMPTY] = 1;
	if ((rv = adopt_trie(st.fd_lpm4, AF_INET, 0, list_used)) != 0 ||
	    (rv = adopt_trie(st.fd_lpm6, AF_INET6, 0, list_used)) != 0 ||
	    (rv = adopt_trie(st.fd_host4, AF_INET, 1, list_used)) != 0 ||
	    (rv = adopt_trie(st.fd_host6, AF_INET6, 1, list_used)) != 0)
		goto out;
	for (i = 0; i < st.nspecs; i++)
		if (!spec_used[i] && pool_push(&st.free_specs, i) != 0)
			goto nomem;
	for (i = 0; i < st.nctrs; i++)
		if (!ctr_used[i] && pool_push(&st.free_ctrs, i) != 0)
			goto nomem;
	for (i = st.nlists; i-- > 1; )
		if (!list_used[i] && pool_push(&st.free_lists, i) != 0)
			goto nomem;

	/* refs of every adopted rule */
	for (b = 0; b <= st.tab_mask; b++) {
		struct ugroup *g;

		for (g = st.grp_tab[b]; g; g = g->next)
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
	for (b = 0; b <= st.tab_mask; b++)
		for (u = st.pfx_tab[b]; u; u = u->next)
			if (!u->in_trie)
				plen_count(&u->p, 1);
	if ((rv = cfg_write()) != 0)
		goto out;

	/* fresh lists for all, published as one generation */
	st.gen++;
	for (b = 0; b <= st.tab_mask; b++)
		for (u = st.pfx_tab[b]; u; u = u->next) {
			uint32_t nl = XDP_LIST_EMPTY;

			qsort(u->refs, u->nrefs, sizeof(u->refs[0]), ref_cmp);
			if (u->nrefs) {
				if (st.free_lists.n == 0) {
					rv = -E2BIG;
					goto out;
				}
				nl = pool_pop(&st.free_lists);
				memset(&list, 0, sizeof(list));
				list.n = u->nrefs;
				for (i = 0; i < u->nrefs; i++)
					list.spec[i] = u->refs[i].g->
					    rules[u->refs[i].idx].spec;
				if (bpf_map_update_elem(st.fd_lists, &nl, &list,
				    BPF_ANY) != 0) {
					rv = -errno;
					goto out;
				}
			}
			if ((rv = trie_write(u, u->list, nl, st.gen)) != 0)
				goto out;
			if (!u->in_trie)
				st.nprefixes++;
			u->in_trie = 1;
			if (u->list != XDP_LIST_EMPTY)
				pool_push(&st.defer_lists, u->list);
			u->list = nl;
			u->gen = st.gen;
			if (nl == XDP_LIST_EMPTY) {
				u->doomed = 1;
				st.ndoomed++;
			}
		}
	if ((rv = cfg_write()) != 0 || (rv = sync_reclaim()) != 0)
		goto out;
	log_info("xdp: adopted %u rules in %u groups from %s", st.nrules,
	    st.ngroups, st.pin_path);
	goto out;
nomem:
	rv = -ENOMEM;
out:
	if (rv != 0)
		seterr(err, errlen, "adopting %s: %s", st.pin_path,
		    strerror(-rv));
	free(ar);
	free(spec_used);
	free(ctr_used);
	free(list_used);
	return rv;
}

/* ---- backend entry points ---- */

static int
xdp_configure(const char *key, const char *value, char *err, size_t errlen)
{
	char *end;
	unsigned long v;
	int i;

	if (st.started) {
		seterr(err, errlen, "xdp: configure after start");
		return -EBUSY;
	}
	if (strcmp(key, "interface") == 0) {
		if (st.nifs >= XDP_MAX_IFACES) {
			seterr(err, errlen, "at most %d interfaces",
			    XDP_MAX_IFACES);
			return -E2BIG;
		}
		if (strlen(value) == 0 || strlen(value) >= XDP_IFNAMSIZ ||
		    strchr(value, '/')) {
			seterr(err, errlen, "bad interface name \"%s\"", value);
			return -EINVAL;
		}
		for (i = 0; i < st.nifs; i++)
			if (strcmp(st.ifs[i].name, value) == 0)
				return 0;	/* named twice */
		memset(&st.ifs[st.nifs], 0, sizeof(st.ifs[0]));
		strcpy(st.ifs[st.nifs].name, value);
		st.ifs[st.nifs++].link_fd = -1;
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "auto") == 0)
			st.mode = XDP_MODE_AUTO;
		else if (strcmp(value, "native") == 0)
			st.mode = XDP_MODE_NATIVE;
		else if (strcmp(value, "generic") == 0)
			st.mode = XDP_MODE_GENERIC;
		else {
			seterr(err, errlen, "mode is auto, native or generic");
			return -EINVAL;
		}
	} else if (strcmp(key, "malformed") == 0) {
		if (strcmp(value, "pass") == 0)
			st.malformed_drop = 0;
		else if (strcmp(value, "drop") == 0)
			st.malformed_drop = 1;
		else {
			seterr(err, errlen, "malformed is pass or drop");
			return -EINVAL;
		}
	} else if (strcmp(key, "pin-path") == 0) {
		if (value[0] != '/' || strlen(value) >= sizeof(st.pin_path) - 32) {
			seterr(err, errlen, "pin-path must be an absolute path");
			return -EINVAL;
		}
		snprintf(st.pin_path, sizeof(st.pin_path), "%s", value);
	} else if (strcmp(key, "max-rules") == 0) {
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || *end || v < 1 || v > 10000000) {
			seterr(err, errlen, "max-rules is 1 to 10000000");
			return -EINVAL;
		}
		st.max_rules = v;
	} else {
		seterr(err, errlen, "unknown xdp keyword \"%s\"", key);
		return -ENOENT;
	}
	return 0;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libbpf: %s", buf);
	return 0;
}

static void
state_free(void)
{
	struct upfx *u, *un;
	struct ugroup *g, *gn;
	uint32_t b;

	for (b = 0; st.pfx_tab && b <= st.tab_mask; b++)
		for (u = st.pfx_tab[b]; u; u = un) {
			un = u->next;
			free(u);
		}
	for (b = 0; st.grp_tab && b <= st.tab_mask; b++)
		for (g = st.grp_tab[b]; g; g = gn) {
			gn = g->next;
			free(g);
		}
	free(st.pfx_tab);
	free(st.grp_tab);
	st.pfx_tab = NULL;
	st.grp_tab = NULL;
	pool_free(&st.free_specs);
	pool_free(&st.free_lists);
	pool_free(&st.free_ctrs);
	pool_free(&st.defer_specs);
	pool_free(&st.defer_lists);
	free(st.retiring);
	st.retiring = NULL;
	st.nretiring = st.retiring_cap = 0;
	st.nrules = st.ngroups = st.nprefixes = 0;
	memset(st.plen_cnt, 0, sizeof(st.plen_cnt));
	st.ndoomed = 0;
}

/*
 * Pins need a bpf file system. Debian mounts one on /sys/fs/bpf under
 * systemd; without it (containers, minimal boots) we mount it, as bpftool
 * and tc do.
 */
static int
ensure_bpffs(const char *pin_path, char *err, size_t errlen)
{
	char parent[PATH_MAX], *slash;
	struct statfs sf;

	snprintf(parent, sizeof(parent), "%s", pin_path);
	if ((slash = strrchr(parent, '/')) == NULL || slash == parent)
		return 0;
	*slash = '\0';
	if (statfs(parent, &sf) == 0 && sf.f_type == BPF_FS_MAGIC_)
		return 0;
	if (strcmp(parent, "/sys/fs/bpf") != 0) {
		seterr(err, errlen, "%s is not on a bpf file system", pin_path);
		return -EINVAL;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700") != 0) {
		seterr(err, errlen, "mounting bpffs on %s: %s", parent,
		    strerror(errno));
		return -errno;
	}
	log_info("xdp: mounted a bpf file system on %s", parent);
	return 0;
}

static int
xdp_start(char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = st.pin_path);
	char path[PATH_MAX + 8];
	struct stat sb;
	uint32_t i, tabsz;
	int rv, adopting;

	if (st.started)
		return 0;
	libbpf_set_print(libbpf_quiet);
	if ((rv = ensure_bpffs(st.pin_path, err, errlen)) != 0)
		return rv;
	if (mkdir(st.pin_path, 0700) != 0 && errno != EEXIST) {
		rv = -errno;
		seterr(err, errlen, "mkdir %s: %s", st.pin_path, strerror(errno));
		return rv;
	}
	/* two writers would hand out the same slots */
	st.lock_fd = open(st.pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st.lock_fd < 0 || flock(st.lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rv = -errno;
		seterr(err, errlen, "%s is in use by another dotsd or "
		    "dotsd-xdp: %s", st.pin_path, strerror(errno));
		if (st.lock_fd >= 0)
			close(st.lock_fd);
		st.lock_fd = -1;
		return rv == -EWOULDBLOCK ? -EBUSY : rv;
	}
	snprintf(path, sizeof(path), "%s/cfg", st.pin_path);
	adopting = stat(path, &sb) == 0;

	st.ncpus = libbpf_num_possible_cpus();
	if (st.ncpus <= 0) {
		seterr(err, errlen, "cannot count CPUs");
		return -EINVAL;
	}
	st.nspecs = st.max_rules + XDP_SLACK;
	/* a group's total of removed rules takes a slot of its own */
	st.nctrs = 2 * st.max_rules + XDP_SLACK;
	/* adoption rebuilds every list beside the live ones */
	st.nlists = 2 * st.max_rules + XDP_SLACK;
	for (tabsz = 1024; tabsz < st.max_rules; tabsz <<= 1)
		;
	st.tab_mask = tabsz - 1;
	st.pfx_tab = calloc(tabsz, sizeof(*st.pfx_tab));
	st.grp_tab = calloc(tabsz, sizeof(*st.grp_tab));
	if (!st.pfx_tab || !st.grp_tab) {
		rv = -ENOMEM;
		seterr(err, errlen, "out of memory");
		goto fail;
	}

	if ((st.skel = dotsd__open_opts(&oo)) == NULL) {
		rv = -errno;
		seterr(err, errlen, "opening the BPF object: %s",
		    strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(st.skel->maps.lpm4, st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(st.skel->maps.lpm6, st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(st.skel->maps.host4, st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(st.skel->maps.host6, st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(st.skel->maps.lists, st.nlists);
	bpf_map__set_max_entries(st.skel->maps.specs, st.nspecs);
	bpf_map__set_max_entries(st.skel->maps.counters, st.nctrs);
	bpf_map__set_max_entries(st.skel->maps.gbucket, st.nctrs);
	bpf_map__set_max_entries(st.skel->maps.lbucket, st.nctrs);
	bpf_map__set_max_entries(st.skel->maps.meta, st.nctrs);
	if ((rv = dotsd__load(st.skel)) != 0) {
		seterr(err, errlen, "loading the XDP program: %s%s",
		    strerror(-rv), adopting ? " (pinned maps of another "
		    "size or version? see dotsd-xdp flush)" : "");
		goto fail;
	}
	st.fd_cfg = bpf_map__fd(st.skel->maps.cfg);
	st.fd_lpm4 = bpf_map__fd(st.skel->maps.lpm4);
	st.fd_lpm6 = bpf_map__fd(st.skel->maps.lpm6);
	st.fd_host4 = bpf_map__fd(st.skel->maps.host4);
	st.fd_host6 = bpf_map__fd(st.skel->maps.host6);
	st.fd_lists = bpf_map__fd(st.skel->maps.lists);
	st.fd_specs = bpf_map__fd(st.skel->maps.specs);
	st.fd_counters = bpf_map__fd(st.skel->maps.counters);
	st.fd_gbucket = bpf_map__fd(st.skel->maps.gbucket);
	st.fd_lbucket = bpf_map__fd(st.skel->maps.lbucket);
	st.fd_gstats = bpf_map__fd(st.skel->maps.gstats);
	st.fd_meta = bpf_map__fd(st.skel->maps.meta);
	st.fd_rcu = bpf_map__fd(st.skel->maps.rcu_sync);
	st.fd_rcu_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "dotsd_rcu",
	    sizeof(uint32_t), sizeof(uint32_t), 1, NULL);
	if (st.fd_rcu_inner < 0) {
		rv = -errno;
		seterr(err, errlen, "creating a map: %s", strerror(errno));
		goto fail;
	}
	st.epoch = now_ns();
	st.started = 1;

	if (adopting) {
		if ((rv = adopt(err, errlen)) != 0)
			goto fail;
	} else {
		for (i = st.nspecs; i-- > 0; )
			pool_push(&st.free_specs, i);
		for (i = st.nctrs; i-- > 0; )
			pool_push(&st.free_ctrs, i);
		for (i = st.nlists; i-- > 1; )
			pool_push(&st.free_lists, i);
		if (st.free_lists.n != st.nlists - 1) {
			rv = -ENOMEM;
			goto fail;
		}
	}
	if ((rv = cfg_write()) != 0) {
		seterr(err, errlen, "writing cfg: %s", strerror(-rv));
		goto fail;
	}
	if (st.nifs && (rv = ifwatch_start(bpf_program__fd(
	    st.skel->progs.dotsd_xdp), st.pin_path, st.mode, st.ifs, st.nifs,
	    err, errlen)) != 0)
		goto fail;
	return 0;
fail:
	st.started = 0;
	if (st.fd_rcu_inner >= 0)
		close(st.fd_rcu_inner);
	st.fd_rcu_inner = -1;
	dotsd__destroy(st.skel);
	st.skel = NULL;
	state_free();
	close(st.lock_fd);
	st.lock_fd = -1;
	return rv;
}

/* Leaves links and maps pinned: drops go on without dotsd. */
static void
xdp_stop(void)
{
	if (!st.started)
		return;
	ifwatch_stop();
	close(st.fd_rcu_inner);
	st.fd_rcu_inner = -1;
	dotsd__destroy(st.skel);
	st.skel = NULL;
	state_free();
	st.started = 0;
	if (st.lock_fd >= 0)
		close(st.lock_fd);
	st.lock_fd = -1;
}

static int
xdp_apply(const struct mit_ruleset *rs, char *err, size_t errlen)
{
	if (rs->nrules > MIT_MAX_GROUP_RULES) {
		seterr(err, errlen, "too many rules in a group");
		return -E2BIG;
	}
	return group_replace(rs->group, rs->rules, rs->nrules, 0, err, errlen);
}

static int
xdp_withdraw(uint64_t group, char *err, size_t errlen)
{
	return group_replace(group, NULL, 0, 1, err, errlen);
}

static int
xdp_stats(uint64_t group, struct mit_stats *out)
{
	struct ugroup *g;
	uint32_t i;
	int rv;

	if (!st.started)
		return -ENOTCONN;
	if ((g = grp_find(group)) == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < g->nrules; i++)
		if ((rv = ctr_read(g->rules[i].ctr, out)) != 0)
			return rv;
	if (g->retired_ctr != CTR_NONE &&
	    (rv = ctr_read(g->retired_ctr, out)) != 0)
		return rv;
	for (i = 0; i < st.nretiring; i++)
		if (st.retiring[i].group == group &&
		    (rv = ctr_read(st.retiring[i].ctr, out)) != 0)
			return rv;
	return 0;
}

/* The ids are copied first: fn may withdraw groups as it goes. */
static int
xdp_list(void (*fn)(uint64_t, void *), void *arg)
{
	struct ugroup *g;
	uint64_t *ids;
	uint32_t b, n = 0, i;

	if (!st.started)
		return -ENOTCONN;
	if ((ids = calloc(st.ngroups + 1, sizeof(*ids))) == NULL)
		return -ENOMEM;
	for (b = 0; b <= st.tab_mask; b++)
		for (g = st.grp_tab[b]; g && n < st.ngroups; g = g->next)
			ids[n++] = g->id;
	for (i = 0; i < n; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}

int
xdp_prog_fd(void)
{
	if (!st.started)
		return -ENOTCONN;
	return bpf_program__fd(st.skel->progs.dotsd_xdp);
}

int
xdp_global(struct xdp_global_stats *gs)
{
	struct xdp_gstats *v;
	uint32_t zero = 0;
	int i;

	if (!st.started)
		return -ENOTCONN;
	memset(gs, 0, sizeof(*gs));
	gs->gen = st.gen;
	gs->groups = st.ngroups;
	gs->rules = st.nrules;
	gs->prefixes = st.nprefixes;
	if ((v = calloc(st.ncpus, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st.fd_gstats, &zero, v) == 0)
		for (i = 0; i < st.ncpus; i++) {
			gs->malformed_passed += v[i].malformed_passed;
			gs->malformed_dropped += v[i].malformed_dropped;
			gs->nonip += v[i].nonip;
			gs->depth_exceeded += v[i].depth_exceeded;
		}
	free(v);
	return 0;
}

/*
 * Unpinning the last reference of a link detaches the program; unpinning
 * the maps frees them once no program uses them.
 */
int
xdp_flush(const char *pin_path, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rv = 0;

	if ((d = opendir(pin_path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		rv = -errno;
		seterr(err, errlen, "%s: %s", pin_path, strerror(errno));
		return rv;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
		if (unlink(path) != 0 && rv == 0) {
			rv = -errno;
			seterr(err, errlen, "%s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (rv == 0 && rmdir(pin_path) != 0 && errno != ENOENT) {
		rv = -errno;
		seterr(err, errlen, "%s: %s", pin_path, strerror(errno));
	}
	return rv;
}

const struct mit_backend xdp_backend = {
	.name = "xdp",
	.configure = xdp_configure,
	.start = xdp_start,
	.stop = xdp_stop,
	.apply = xdp_apply,
	.withdraw = xdp_withdraw,
	.stats = xdp_stats,
	.list = xdp_list,
};
