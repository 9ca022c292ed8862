/*
 * maps.c: writes to the BPF maps: prefix entries (LPM tries and host
 * hashes), cfg, counters, buckets and meta, and the grace period after
 * which slots of replaced rule sets are reused and removed rules'
 * counters are folded into their group's total.
 */
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

/* ---- map helpers ---- */

int
is_host(const struct mit_prefix *p)
{
	return p->len == (p->family == AF_INET ? 32 : 128);
}

/* Host prefixes live in a hash by address, the others in the LPM trie. */
static int
entry_fd(const struct mit_prefix *p)
{
	if (is_host(p))
		return p->family == AF_INET ? xdp_st.fd_host4 : xdp_st.fd_host6;
	return p->family == AF_INET ? xdp_st.fd_lpm4 : xdp_st.fd_lpm6;
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

int
trie_write(const struct upfx *u, uint32_t cls_old, uint32_t cls_new,
    uint64_t gen)
{
	struct xdp_key6 k;
	struct xdp_pfx v = {
		.gen = gen, .cls_old = cls_old, .cls_new = cls_new,
	};

	if (bpf_map_update_elem(entry_fd(&u->p), entry_key(&u->p, &k), &v,
	    BPF_ANY) != 0)
		return -errno;
	return 0;
}

int
trie_delete(const struct upfx *u)
{
	struct xdp_key6 k;

	if (bpf_map_delete_elem(entry_fd(&u->p), entry_key(&u->p, &k)) != 0 &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Writes n words at off in one system call: a class image goes into a
 * region no packet reads yet, so the order of the writes does not matter.
 */
int
words_write(uint32_t off, const uint64_t *w, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	static uint32_t *keys;
	static uint32_t capkeys;
	uint32_t i, done = 0, cnt;
	uint32_t *nk;

	if (n > capkeys) {
		if ((nk = reallocarray(keys, n, sizeof(*nk))) == NULL)
			return -ENOMEM;
		keys = nk;
		capkeys = n;
	}
	for (i = 0; i < n; i++)
		keys[i] = off + i;
	while (done < n) {
		cnt = n - done;
		if (bpf_map_update_batch(xdp_st.fd_words, keys + done,
		    w + done, &cnt, &o) != 0 && cnt == 0)
			return -errno;
		done += cnt;
	}
	return 0;
}

/* The allocation size of the class at cls, from its header. */
int
class_order(uint32_t cls, uint32_t *order)
{
	uint64_t hdr;

	if (bpf_map_lookup_elem(xdp_st.fd_words, &cls, &hdr) != 0)
		return -errno;
	*order = XDP_C_ORDER(hdr);
	return XDP_C_NRULES(hdr) ? 0 : -ENOENT;
}

/* Counts an LPM entry coming (+1) or gone (-1); 1 if the minimum moved. */
int
plen_count(const struct mit_prefix *p, int delta)
{
	uint32_t *cnt = xdp_st.plen_cnt[p->family == AF_INET ? 0 : 1];

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
		if (xdp_st.plen_cnt[fam][i])
			return i;
	return XDP_TRIE_EMPTY;
}

int
cfg_write(void)
{
	uint32_t zero = 0;
	struct xdp_cfg c = {
		.gen = xdp_st.gen,
		.malformed_drop = xdp_st.malformed_drop,
		.ncpus = xdp_st.ncpus,
		.trie_min4 = plen_min(0),
		.trie_min6 = plen_min(1),
	};

	/* an aligned 8-byte store: packets read gen whole, old or new */
	if (bpf_map_update_elem(xdp_st.fd_cfg, &zero, &c, BPF_ANY) != 0)
		return -errno;
	return 0;
}

uint64_t
now_ns(void)
{
	struct timespec ts;

	/* the clock of bpf_ktime_get_ns() */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int
ctr_read(uint32_t ctr, struct mit_stats *out)
{
	struct xdp_counters *v;
	int i;

	if ((v = calloc(xdp_st.ncpus, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(xdp_st.fd_counters, &ctr, v) != 0) {
		free(v);
		return -errno;
	}
	for (i = 0; i < xdp_st.ncpus; i++) {
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
int
ctr_init(uint32_t ctr, const struct mit_rule *r, int counters)
{
	struct xdp_counters *v;
	struct xdp_lbucket *lb;
	struct xdp_gbucket gb;
	int err = 0;

	v = calloc(xdp_st.ncpus, sizeof(*v));
	lb = calloc(xdp_st.ncpus, sizeof(*lb));
	if (v == NULL || lb == NULL) {
		err = -ENOMEM;
		goto out;
	}
	if ((counters &&
	    bpf_map_update_elem(xdp_st.fd_counters, &ctr, v, BPF_ANY) != 0) ||
	    bpf_map_update_elem(xdp_st.fd_lbucket, &ctr, lb, BPF_ANY) != 0) {
		err = -errno;
		goto out;
	}
	rules_bucket(r, xdp_st.ncpus, &gb);
	gb.last_ns = now_ns();
	gb.epoch = ++xdp_st.epoch;
	if (bpf_map_update_elem(xdp_st.fd_gbucket, &ctr, &gb, BPF_ANY) != 0)
		err = -errno;
out:
	free(v);
	free(lb);
	return err;
}

int
meta_write(uint32_t ctr, uint64_t group, const struct urule *ur, int in_use)
{
	struct xdp_meta m;

	if (in_use == META_FREE) {
		if (bpf_map_delete_elem(xdp_st.fd_meta, &ctr) != 0 &&
		    errno != ENOENT)
			return -errno;
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.group = group;
	m.in_use = in_use;
	if (ur)
		memcpy(m.rule, &ur->r, sizeof(ur->r));
	if (bpf_map_update_elem(xdp_st.fd_meta, &ctr, &m, BPF_ANY) != 0)
		return -errno;
	return 0;
}

/*
 * A removed rule's slot keeps counting until a grace period: it is folded
 * into its group's total only then (fold_retiring), so no packet is lost
 * from the group's counters.
 */
int
retire(uint32_t ctr, uint64_t group)
{
	struct retiring *nv;

	if (xdp_st.nretiring == xdp_st.retiring_cap) {
		nv = reallocarray(xdp_st.retiring, xdp_st.retiring_cap ?
		    xdp_st.retiring_cap * 2 : 256, sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		xdp_st.retiring = nv;
		xdp_st.retiring_cap = xdp_st.retiring_cap ?
		    xdp_st.retiring_cap * 2 : 256;
	}
	xdp_st.retiring[xdp_st.nretiring].ctr = ctr;
	xdp_st.retiring[xdp_st.nretiring++].group = group;
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
	a = calloc(xdp_st.ncpus, sizeof(*a));
	b = calloc(xdp_st.ncpus, sizeof(*b));
	if (a == NULL || b == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	/* no class points at either slot now: plain read-add-write is safe */
	if (bpf_map_lookup_elem(xdp_st.fd_counters, &rt->ctr, a) != 0 ||
	    bpf_map_lookup_elem(xdp_st.fd_counters, &g->retired_ctr, b) != 0) {
		rv = -errno;
		goto out;
	}
	for (i = 0; i < xdp_st.ncpus; i++) {
		b[i].pkts_dropped += a[i].pkts_dropped;
		b[i].bytes_dropped += a[i].bytes_dropped;
		b[i].pkts_passed += a[i].pkts_passed;
		b[i].bytes_passed += a[i].bytes_passed;
	}
	if (bpf_map_update_elem(xdp_st.fd_counters, &g->retired_ctr, b,
	    BPF_ANY) != 0) {
		rv = -errno;
		goto out;
	}
release:
	meta_write(rt->ctr, 0, NULL, META_FREE);
	rv = pool_push(&xdp_st.free_ctrs, rt->ctr);
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
int
sync_reclaim(void)
{
	uint32_t zero = 0, b;
	struct upfx *u, *next;
	int left = 0, moved = 0;

	if (bpf_map_update_elem(xdp_st.fd_rcu, &zero, &xdp_st.fd_rcu_inner,
	    BPF_ANY) != 0)
		return -errno;
	xdp_st.synced_gen = xdp_st.gen;
	arena_reclaim();
	while (xdp_st.nretiring) {
		if (fold_one(&xdp_st.retiring[xdp_st.nretiring - 1]) != 0)
			log_warnx("xdp: folding a removed rule's counters "
			    "failed");
		xdp_st.nretiring--;
	}
	if (xdp_st.ndoomed == 0)
		return 0;
	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = next) {
			next = u->next;
			/* marked: the apply in progress is about to use it */
			if (!u->doomed)
				continue;
			if (u->mark) {
				left++;
				continue;
			}
			u->doomed = 0;
			if (u->nrefs)
				continue;
			/* packets go to the prefix above, whose class has
			 * the same rules; this one's class waits a grace */
			if (trie_delete(u) != 0)
				log_warnx("xdp: cannot delete a trie entry");
			if (arena_defer(u->cls, u->cls_order) != 0)
				log_warnx("xdp: lost a region of the "
				    "classifier");
			moved |= plen_count(&u->p, -1);
			xdp_st.nprefixes--;
			utrie_remove(u);
			pfx_remove(u);
		}
	xdp_st.ndoomed = left;
	/* gone from the trie: the walk may stop earlier now */
	if (moved && cfg_write() != 0)
		log_warnx("xdp: cannot write cfg");
	return 0;
}

int
xdp_sync(void)
{
	if (!xdp_st.started)
		return -ENOTCONN;
	return sync_reclaim();
}
