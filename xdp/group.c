/*
 * group.c: atomic replacement of one rule group (apply and withdraw).
 * Every prefix class the group's rules fall in (the group's own prefixes
 * and every prefix nested under them, which fold those rules in) is
 * compiled anew into regions of the words map that no packet can reach
 * yet; the prefix entries are tagged with the next generation, then one
 * cfg.gen store publishes them all.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

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

/* A prefix whose class the apply in progress rebuilds. */
struct touched {
	struct upfx	*u;
	uint32_t	 newcls, neworder;
	uint32_t	 oldcls;	/* what older packets see there */
	uint8_t		 created;
	uint8_t		 counted;	/* in plen_cnt: new in the trie */
	uint8_t		 own;		/* the group has or had rules here */
	uint8_t		 placed;	/* newcls is a region of ours */
	struct uref	*refs;		/* own: its rules after the apply */
	uint32_t	 nrefs;
};

struct apply {
	struct touched	*t;
	uint32_t	 nt, cap;
};

static int
touch(struct apply *a, struct upfx *u, int own, int created)
{
	struct touched *nt;

	if (a->nt == a->cap) {
		nt = reallocarray(a->t, a->cap ? 2 * a->cap : 64, sizeof(*nt));
		if (nt == NULL)
			return -ENOMEM;
		a->t = nt;
		a->cap = a->cap ? 2 * a->cap : 64;
	}
	memset(&a->t[a->nt], 0, sizeof(a->t[0]));
	a->t[a->nt].u = u;
	a->t[a->nt].own = own;
	a->t[a->nt].created = created;
	u->mark = 1;
	u->ti = a->nt++;
	return 0;
}

static int
touch_own(struct apply *a, const struct mit_prefix *p)
{
	struct upfx *u = pfx_find(p);
	int rv;

	if (u && u->mark)
		return 0;
	if (u == NULL) {
		if ((u = pfx_get(p)) == NULL)
			return -ENOMEM;
		if ((rv = utrie_insert(u)) != 0 ||
		    (rv = touch(a, u, 1, 1)) != 0) {
			utrie_remove(u);
			pfx_remove(u);
			return rv;
		}
		return 0;
	}
	return touch(a, u, 1, 0);
}

static int
touch_nested(struct upfx *u, void *arg)
{
	if (u->mark)
		return 0;
	return touch(arg, u, 0, 0);
}

/* ---- compiling one class ---- */

struct collect {
	const struct touched *t;	/* the apply's, or NULL */
	struct cref	*c;
	uint32_t	 n, cap;
};

static int
collect_refs(struct upfx *u, void *arg)
{
	struct collect *c = arg;
	const struct uref *r = u->refs;
	uint32_t n = u->nrefs, i;
	struct cref *nc;

	if (c->t && u->mark && c->t[u->ti].own) {
		r = c->t[u->ti].refs;
		n = c->t[u->ti].nrefs;
	}
	for (i = 0; i < n; i++) {
		if (c->n == c->cap) {
			nc = reallocarray(c->c, c->cap ? 2 * c->cap : 64,
			    sizeof(*nc));
			if (nc == NULL)
				return -ENOMEM;
			c->c = nc;
			c->cap = c->cap ? 2 * c->cap : 64;
		}
		c->c[c->n].r = &r[i].g->rules[r[i].idx].r;
		c->c[c->n].group = r[i].g->id;
		c->c[c->n++].ctr = r[i].g->rules[r[i].idx].ctr;
	}
	return 0;
}

static int
cref_cmp(const void *a, const void *b)
{
	const struct cref *x = a, *y = b;
	int d = rules_cmp(x->r, y->r);

	if (d)
		return d;
	return x->group < y->group ? -1 : x->group > y->group;
}

static void
pfx_str(const struct mit_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

/*
 * Compiles the class of u: the rules of every prefix covering u (t: the
 * apply's new rules where it has any) into a fresh region, written but
 * not yet published. *cls is XDP_CLASS_EMPTY when no rule covers u.
 */
int
class_compile(struct upfx *u, const struct touched *t, uint32_t *cls,
    uint32_t *order, char *err, size_t errlen)
{
	struct collect c = { .t = t };
	struct class_image img;
	const char *why = "";
	char ps[64];
	int rv;

	*cls = XDP_CLASS_EMPTY;
	*order = 0;
	if ((rv = utrie_path(&u->p, collect_refs, &c)) != 0)
		goto out;
	qsort(c.c, c.n, sizeof(c.c[0]), cref_cmp);
	if ((rv = class_build(c.c, c.n, u->p.family, &img, &why)) != 0) {
		pfx_str(&u->p, ps, sizeof(ps));
		if (rv == -E2BIG)
			xdp_seterr(err, errlen, "%s: %s (%u)", ps, why, c.n);
		else
			xdp_seterr(err, errlen, "%s: %s", ps, strerror(-rv));
		goto out;
	}
	if (img.len == 0)
		goto out;
	rv = arena_alloc(img.len, cls, order);
	if (rv == -E2BIG && xdp_st.arena.ndefer && sync_reclaim() == 0)
		rv = arena_alloc(img.len, cls, order);
	if (rv != 0) {
		pfx_str(&u->p, ps, sizeof(ps));
		xdp_seterr(err, errlen, "%s: the classifier is full (%u words "
		    "needed, %llu of %u in use)", ps, img.len,
		    (unsigned long long)xdp_st.arena.used, xdp_st.arena.cap);
		class_free(&img);
		goto out;
	}
	class_place(&img, *cls, *order);
	if ((rv = words_write(*cls, img.w, img.len)) != 0) {
		arena_release(*cls, *order);
		*cls = XDP_CLASS_EMPTY;
		xdp_seterr(err, errlen, "writing the classifier: %s",
		    strerror(-rv));
	}
	class_free(&img);
out:
	free(c.c);
	return rv;
}

/* ---- apply ---- */

static int
rules_equal_action(const struct mit_rule *a, const struct mit_rule *b)
{
	return a->action == b->action && a->rate == b->rate;
}

/* The nearest prefix above u in the trie: where older packets go. */
struct upfx *
upfx_above(struct upfx *u)
{
	struct mit_prefix a = u->p;
	struct upfx *v;
	int l, i;

	for (l = u->p.len - 1; l >= 0; l--) {
		for (i = l; i < 128; i++)
			a.addr[i / 8] &= ~(0x80 >> (i % 8));
		a.len = l;
		if ((v = pfx_find(&a)) != NULL && v->in_trie)
			return v;
	}
	return NULL;
}

static int
check_rules(struct ugroup *old, const struct mit_rule *rules, uint32_t n,
    uint32_t *newctrs, char *err, size_t errlen)
{
	const char *why;
	uint32_t i, j;
	int rv;

	*newctrs = 0;
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
			(*newctrs)++;
	}
	if (xdp_st.nrules - (old ? old->nrules : 0) + n > xdp_st.max_rules) {
		xdp_seterr(err, errlen, "max-rules %u reached",
		    xdp_st.max_rules);
		return -E2BIG;
	}
	return 0;
}

/* The own prefixes' rules after the apply: others' kept, ng's added. */
static int
new_refs(struct apply *a, struct ugroup *old, struct ugroup *ng)
{
	struct touched *t;
	uint32_t k, i, n = ng->nrules;

	for (k = 0; k < a->nt; k++) {
		t = &a->t[k];
		t->refs = calloc(t->u->nrefs + n + 1, sizeof(*t->refs));
		if (t->refs == NULL)
			return -ENOMEM;
		for (i = 0; i < t->u->nrefs; i++)
			if (t->u->refs[i].g != old)
				t->refs[t->nrefs++] = t->u->refs[i];
		for (i = 0; i < n; i++)
			if (memcmp(&ng->rules[i].r.dst, &t->u->p,
			    sizeof(t->u->p)) == 0) {
				t->refs[t->nrefs].g = ng;
				t->refs[t->nrefs++].idx = i;
			}
	}
	return 0;
}

/*
 * Grace period first when an entry about to be rewritten (or the one
 * above a new entry, whose class older packets will find there) was
 * published since the last one: packets older than it may still run.
 */
static int
wait_if_needed(struct apply *a)
{
	struct upfx *v;
	uint32_t k;
	int need = xdp_st.nprefixes + a->nt > xdp_st.max_rules + XDP_SLACK;

	for (k = 0; k < a->nt && !need; k++) {
		v = a->t[k].u->in_trie ? a->t[k].u : upfx_above(a->t[k].u);
		if (v && v->gen > xdp_st.synced_gen)
			need = 1;
	}
	return need ? sync_reclaim() : 0;
}

/* Writes every touched entry tagged gen; *nw: how many were written. */
static int
write_entries(struct apply *a, uint64_t gen, uint32_t *nw)
{
	struct touched *t;
	struct upfx *v;
	int moved = 0, rv;

	for (*nw = 0; *nw < a->nt; (*nw)++) {
		t = &a->t[*nw];
		if (t->u->in_trie)
			t->oldcls = t->u->cls;
		else {
			v = upfx_above(t->u);
			t->oldcls = v ? v->cls : XDP_CLASS_EMPTY;
		}
	}
	/* a shorter prefix: lower the LPM floor before publishing it */
	for (*nw = 0; *nw < a->nt; (*nw)++)
		if (!a->t[*nw].u->in_trie) {
			a->t[*nw].counted = 1;
			moved |= plen_count(&a->t[*nw].u->p, 1);
		}
	if (moved && (rv = cfg_write()) != 0)
		return rv;
	for (*nw = 0; *nw < a->nt; (*nw)++) {
		t = &a->t[*nw];
		if ((rv = trie_write(t->u, t->oldcls, t->newcls, gen)) != 0)
			return rv;
	}
	return 0;
}

static void
commit(struct apply *a, uint64_t gen)
{
	struct touched *t;
	uint32_t k;

	for (k = 0; k < a->nt; k++) {
		t = &a->t[k];
		t->u->mark = 0;
		if (t->u->in_trie && arena_defer(t->u->cls, t->u->cls_order))
			log_warnx("xdp: lost a region of the classifier");
		if (!t->u->in_trie)
			xdp_st.nprefixes++;
		t->u->in_trie = 1;
		t->u->cls = t->newcls;
		t->u->cls_order = t->neworder;
		t->u->gen = gen;
		if (t->own) {
			free(t->u->refs);
			t->u->refs = t->refs;
			t->u->nrefs = t->u->caprefs = t->nrefs;
			t->refs = NULL;
		}
		if (t->u->nrefs == 0 && !t->u->doomed) {
			t->u->doomed = 1;
			xdp_st.ndoomed++;
		}
	}
}

/* Nothing was published: the entries go back as they were. */
static void
undo(struct apply *a, uint32_t written)
{
	struct touched *t;
	uint32_t k;
	int moved = 0;

	for (k = 0; k < written; k++) {
		t = &a->t[k];
		if (t->created || !t->u->in_trie)
			trie_delete(t->u);
		else
			trie_write(t->u, t->u->cls, t->u->cls, 0);
	}
	for (k = 0; k < a->nt; k++) {
		t = &a->t[k];
		if (t->placed)
			arena_release(t->newcls, t->neworder);
		t->placed = 0;
		if (t->counted)
			moved |= plen_count(&t->u->p, -1);
	}
	if (moved)
		cfg_write();
}

static void
apply_free(struct apply *a)
{
	uint32_t k;

	for (k = 0; k < a->nt; k++) {
		a->t[k].u->mark = 0;
		free(a->t[k].refs);
		if (a->t[k].created && !a->t[k].u->in_trie) {
			utrie_remove(a->t[k].u);
			pfx_remove(a->t[k].u);
		}
	}
	free(a->t);
}

/* Counter slots: kept for ids already there, fresh (zeroed) for others. */
static int
take_counters(struct ugroup *old, struct ugroup *ng, uint32_t *taken)
{
	uint32_t i;
	int rv = 0;

	for (i = 0; i < ng->nrules; i++) {
		struct urule *ur = &ng->rules[i];
		const struct urule *prev = urule_find(old, ur->r.id);

		ur->ctr = prev ? prev->ctr : pool_pop(&xdp_st.free_ctrs);
		*taken = i + 1;
		if (prev == NULL)
			rv = ctr_init(ur->ctr, &ur->r, 1);
		else if (!rules_equal_action(&prev->r, &ur->r))
			rv = ctr_init(ur->ctr, &ur->r, 0);	/* new rate */
		if (rv != 0)
			return rv;
	}
	return 0;
}

static void
finish_groups(struct ugroup *old, struct ugroup *ng, uint64_t id, int remove)
{
	uint32_t i;
	int e;

	for (i = 0; old && i < old->nrules; i++) {
		const struct urule *ur = &old->rules[i];

		if (urule_find(ng, ur->r.id))
			continue;
		if (retire(ur->ctr, id) != 0)
			log_warnx("xdp: group %llu: lost a removed rule's "
			    "counters", (unsigned long long)id);
	}
	if (remove && ng->retired_ctr != CTR_NONE)
		retire(ng->retired_ctr, id);	/* freed: group is gone */
	for (i = 0; i < ng->nrules; i++)
		if ((e = meta_write(ng->rules[i].ctr, id, &ng->rules[i],
		    META_RULE)))
			log_warnx("xdp: group %llu: cannot record rule %u: %s",
			    (unsigned long long)id, ng->rules[i].r.id,
			    strerror(-e));
	xdp_st.nrules = xdp_st.nrules - (old ? old->nrules : 0) + ng->nrules;
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
	struct apply a = { 0 };
	uint32_t i, k, newctrs, oldn, taken = 0, written = 0, nown;
	uint64_t gen;
	int rv;

	if (!xdp_st.started) {
		xdp_seterr(err, errlen, "xdp backend not started");
		return -ENOTCONN;
	}
	if (old == NULL && remove)
		return 0;
	oldn = old ? old->nrules : 0;
	if ((rv = check_rules(old, rules, n, &newctrs, err, errlen)) != 0)
		return rv;
	if ((ng = calloc(1, sizeof(*ng) + n * sizeof(ng->rules[0]))) == NULL)
		return -ENOMEM;
	ng->id = id;
	ng->nrules = n;
	ng->retired_ctr = old ? old->retired_ctr : CTR_NONE;
	for (i = 0; i < n; i++)
		ng->rules[i].r = rules[i];

	/* the group's prefixes, then every prefix nested under them */
	for (i = 0; i < oldn && rv == 0; i++)
		rv = touch_own(&a, &old->rules[i].r.dst);
	for (i = 0; i < n && rv == 0; i++)
		rv = touch_own(&a, &rules[i].dst);
	nown = a.nt;
	for (k = 0; k < nown && rv == 0; k++)
		rv = utrie_subtree(&a.t[k].u->p, touch_nested, &a);
	if (rv == 0)
		rv = new_refs(&a, old, ng);
	if (rv != 0) {
		xdp_seterr(err, errlen, "out of memory");
		goto fail;
	}
	if ((rv = wait_if_needed(&a)) != 0) {
		xdp_seterr(err, errlen, "grace period: %s", strerror(-rv));
		goto fail;
	}
	if (xdp_st.free_ctrs.n < newctrs) {
		xdp_seterr(err, errlen, "out of counter slots");
		rv = -E2BIG;
		goto fail;
	}
	if ((rv = take_counters(old, ng, &taken)) != 0) {
		xdp_seterr(err, errlen, "counters: %s", strerror(-rv));
		goto undo;
	}

	/* the classes, in regions no packet reads yet */
	for (k = 0; k < a.nt; k++) {
		if ((rv = class_compile(a.t[k].u, a.t, &a.t[k].newcls,
		    &a.t[k].neworder, err, errlen)) != 0)
			goto undo_quiet;
		a.t[k].placed = a.t[k].newcls != XDP_CLASS_EMPTY;
	}
	gen = xdp_st.gen + 1;
	if ((rv = write_entries(&a, gen, &written)) != 0)
		goto undo;

	/* publish */
	xdp_st.gen = gen;
	if ((rv = cfg_write()) != 0) {
		xdp_st.gen = gen - 1;
		goto undo;
	}
	commit(&a, gen);
	finish_groups(old, ng, id, remove);
	apply_free(&a);
	return 0;

undo:
	xdp_seterr(err, errlen, "map update failed: %s", strerror(-rv));
undo_quiet:
	undo(&a, written);
	/* no packet could reach these slots: free them at once */
	for (i = 0; i < taken; i++)
		if (!urule_find(old, ng->rules[i].r.id))
			pool_push(&xdp_st.free_ctrs, ng->rules[i].ctr);
fail:
	apply_free(&a);
	free(ng);
	return rv;
}
