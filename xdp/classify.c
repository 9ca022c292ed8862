/*
 * classify.c: compiles the rules of one prefix class (every rule whose
 * destination covers a prefix, in RFC 8955 §5.1 order) into the word
 * image the XDP program searches (layout in dotsd_shared.h): per field,
 * the elementary intervals of the rules' terms and, for each interval, a
 * bitmap of the rules it satisfies. No I/O: loader code places the image.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/xdp.h"

typedef unsigned __int128 u128;

_Static_assert(XDP_CLASS_RULES == 64 * XDP_CLASS_WORDS, "class width");

/* One field's table under construction. */
struct ftab {
	u128		*start;		/* interval starts, start[0] = 0 */
	uint64_t	*bm;		/* (n + 1) records of nw words, no summary */
	uint32_t	 n, cap;
};

struct event {
	u128		 v;
	uint32_t	 rule;
	int		 delta;
};

static int
event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return 0;
}

static int
has_field(const struct mit_rule *r, int f)
{
	return (r->present >> f) & 1;
}

/* Terms of field f of r as closed ranges of values. */
static int
terms(const struct mit_rule *r, int f, u128 *lo, u128 *hi)
{
	const struct mit_range *rg = NULL;
	u128 a = 0;
	int n = 0, i, bits;

	switch (1 << f) {
	case MIT_F_SRC:
		bits = r->src.family == AF_INET ? 32 : 128;
		for (i = 0; i < bits / 8; i++)
			a = a << 8 | r->src.addr[i];
		lo[0] = a;
		hi[0] = r->src.len == 0 ? (bits == 128 ? ~(u128)0 :
		    0xffffffffu) : a | ((((u128)1 << (bits - r->src.len)) - 1));
		if (r->src.len == bits)
			hi[0] = a;
		return 1;
	case MIT_F_PROTO:
		for (i = 0; i < r->nproto; i++)
			lo[i] = hi[i] = r->proto[i];
		return r->nproto;
	case MIT_F_FLOW_LABEL:
		lo[0] = hi[0] = r->flow_label;
		return 1;
	case MIT_F_DPORT: rg = r->dport; n = r->ndport; break;
	case MIT_F_SPORT: rg = r->sport; n = r->nsport; break;
	case MIT_F_PORT: rg = r->port; n = r->nport; break;
	case MIT_F_ICMP_TYPE: rg = r->icmp_type; n = r->nicmp_type; break;
	case MIT_F_ICMP_CODE: rg = r->icmp_code; n = r->nicmp_code; break;
	case MIT_F_PKT_LEN: rg = r->pkt_len; n = r->npkt_len; break;
	}
	for (i = 0; i < n && i < MIT_MAX_RANGES; i++) {
		lo[i] = rg[i].lo;
		hi[i] = rg[i].hi;
	}
	return i;
}

/* Value-mask fields: small domains, evaluated value by value. */
static int
small_domain(int f)
{
	switch (1 << f) {
	case MIT_F_TCP_FLAGS: return 256;
	case MIT_F_DSCP: return 64;
	case MIT_F_FRAG: return 16;
	}
	return 0;
}

static int
small_match(const struct mit_rule *r, int f, unsigned int v)
{
	switch (1 << f) {
	case MIT_F_TCP_FLAGS:
		return (v & r->tcp_flags_mask) == r->tcp_flags_value;
	case MIT_F_DSCP:
		return (r->dscp_set >> v) & 1;
	case MIT_F_FRAG:
		return (v & r->frag_mask) == r->frag_value;
	}
	return 0;
}

/* Appends interval [s...) with bitmap bm unless it repeats the last. */
static int
ftab_push(struct ftab *t, u128 s, const uint64_t *bm, uint32_t nw)
{
	void *p;

	if (t->n && memcmp(t->bm + (size_t)(t->n - 1) * nw, bm,
	    nw * sizeof(*bm)) == 0)
		return 0;
	if (t->n + 1 >= t->cap) {	/* + 1: room for the absent record */
		t->cap = t->cap ? 2 * t->cap : 16;
		if ((p = realloc(t->start, t->cap * sizeof(*t->start))) == NULL)
			return -ENOMEM;
		t->start = p;
		if ((p = realloc(t->bm, (size_t)t->cap * nw *
		    sizeof(*t->bm))) == NULL)
			return -ENOMEM;
		t->bm = p;
	}
	t->start[t->n] = s;
	memcpy(t->bm + (size_t)t->n * nw, bm, nw * sizeof(*bm));
	t->n++;
	return 0;
}

/* Rules without field f: set in every record of its table. */
static void
base_bits(const struct cref *refs, uint32_t n, int f, uint64_t *bm)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (!has_field(refs[i].r, f))
			bm[i / 64] |= 1ULL << (i % 64);
}

/* Sweep over the terms' end points: one bitmap per elementary interval. */
static int
build_ranges(const struct cref *refs, uint32_t n, int f, uint32_t nw,
    struct ftab *t, uint64_t *cur)
{
	struct event *ev;
	uint32_t *cover, i, ne = 0, k;
	u128 lo[MIT_MAX_RANGES], hi[MIT_MAX_RANGES], maxv = ~(u128)0;
	int nt, j, rv = 0;

	ev = calloc((size_t)n * 2 * MIT_MAX_RANGES + 1, sizeof(*ev));
	cover = calloc(n, sizeof(*cover));
	if (ev == NULL || cover == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!has_field(refs[i].r, f))
			continue;
		nt = terms(refs[i].r, f, lo, hi);
		for (j = 0; j < nt; j++) {
			ev[ne++] = (struct event){ lo[j], i, 1 };
			if (hi[j] != maxv)
				ev[ne++] = (struct event){ hi[j] + 1, i, -1 };
		}
	}
	qsort(ev, ne, sizeof(*ev), event_cmp);
	memset(cur, 0, nw * sizeof(*cur));
	base_bits(refs, n, f, cur);
	k = 0;
	if (ne == 0 || ev[0].v != 0)
		rv = ftab_push(t, 0, cur, nw);
	while (rv == 0 && k < ne) {
		u128 v = ev[k].v;

		for (; k < ne && ev[k].v == v; k++) {
			i = ev[k].rule;
			cover[i] += ev[k].delta;
			if (cover[i])
				cur[i / 64] |= 1ULL << (i % 64);
			else
				cur[i / 64] &= ~(1ULL << (i % 64));
		}
		rv = ftab_push(t, v, cur, nw);
	}
out:
	free(ev);
	free(cover);
	return rv;
}

static int
build_small(const struct cref *refs, uint32_t n, int f, uint32_t nw,
    struct ftab *t, uint64_t *cur)
{
	unsigned int v, dom = small_domain(f);
	uint32_t i;
	int rv = 0;

	for (v = 0; v < dom && rv == 0; v++) {
		memset(cur, 0, nw * sizeof(*cur));
		base_bits(refs, n, f, cur);
		for (i = 0; i < n; i++)
			if (has_field(refs[i].r, f) &&
			    small_match(refs[i].r, f, v))
				cur[i / 64] |= 1ULL << (i % 64);
		rv = ftab_push(t, v, cur, nw);
	}
	return rv;
}

static void
summarize(uint64_t *out, const uint64_t *bm, uint32_t nw)
{
	uint32_t w;

	out[0] = 0;
	for (w = 0; w < nw; w++) {
		out[1 + w] = bm[w];
		if (bm[w])
			out[0] |= 1ULL << w;
	}
}

/*
 * Builds the image of the class refs[0..n) (in match order) of a family
 * (AF_INET, AF_INET6). Offsets are relative to the image; class_place()
 * makes them absolute. 0, -E2BIG (too many rules, *why set), -ENOMEM.
 */
int
class_build(const struct cref *refs, uint32_t n, int family,
    struct class_image *img, const char **why)
{
	struct ftab t[XDP_NFIELDS];
	uint64_t *cur = NULL, *w = NULL;
	uint32_t nw, fmask = 0, i, k, len, off, nf = 0, kw;
	int f, rv = 0;

	memset(img, 0, sizeof(*img));
	memset(t, 0, sizeof(t));
	if (n > XDP_CLASS_RULES) {
		*why = "more than " XDP_STR(XDP_CLASS_RULES) " rules cover "
		    "one destination";
		return -E2BIG;
	}
	if (n == 0)
		return 0;
	nw = (n + 63) / 64;
	for (i = 0; i < n; i++)
		fmask |= refs[i].r->present;
	fmask &= (1U << XDP_NFIELDS) - 1;
	if ((cur = calloc(nw, sizeof(*cur))) == NULL)
		return -ENOMEM;
	len = XDP_C_HDR + n;
	for (f = 0; f < XDP_NFIELDS; f++) {
		if (!(fmask & (1U << f)))
			continue;
		rv = small_domain(f) ? build_small(refs, n, f, nw, &t[f], cur) :
		    build_ranges(refs, n, f, nw, &t[f], cur);
		if (rv != 0)
			goto out;
		/* the record of a packet without this L4 header */
		memset(t[f].bm + (size_t)t[f].n * nw, 0, nw * sizeof(*cur));
		base_bits(refs, n, f, t[f].bm + (size_t)t[f].n * nw);
		kw = f == 0 && family == AF_INET6 ? 2 : 1;
		len += 1 + t[f].n * kw + (t[f].n + 1) * (nw + 1);
		nf++;
	}
	if ((w = calloc(len, sizeof(*w))) == NULL) {
		rv = -ENOMEM;
		goto out;
	}
	w[0] = n | (uint64_t)nw << 16 | (uint64_t)fmask << 32;
	w[1] = XDP_C_HDR + nf;
	for (i = 0; i < n; i++)
		w[w[1] + i] = refs[i].ctr | (uint64_t)rules_action(refs[i].r)
		    << 32;
	off = w[1] + n;
	for (f = 0, k = 0; f < XDP_NFIELDS; f++) {
		if (!(fmask & (1U << f)))
			continue;
		kw = f == 0 && family == AF_INET6 ? 2 : 1;
		w[XDP_C_HDR + k++] = off | (uint64_t)t[f].n << 32;
		for (i = 0; i < t[f].n; i++) {
			if (kw == 2)
				w[off++] = (uint64_t)(t[f].start[i] >> 64);
			w[off++] = (uint64_t)t[f].start[i];
		}
		for (i = 0; i <= t[f].n; i++, off += nw + 1)
			summarize(w + off, t[f].bm + (size_t)i * nw, nw);
	}
	img->w = w;
	img->len = len;
	img->nfields = nf;
out:
	for (f = 0; f < XDP_NFIELDS; f++) {
		free(t[f].start);
		free(t[f].bm);
	}
	free(cur);
	return rv;
}

/* Makes the image's offsets absolute for placement at base, order. */
void
class_place(struct class_image *img, uint32_t base, uint32_t order)
{
	uint32_t k;

	if (img->len == 0)
		return;
	img->w[0] |= (uint64_t)order << 48;
	img->w[1] += base;
	for (k = 0; k < img->nfields; k++)
		img->w[XDP_C_HDR + k] += base;
}

void
class_free(struct class_image *img)
{
	free(img->w);
	memset(img, 0, sizeof(*img));
}

/*
 * What the XDP program does with an image placed at base (words[] = the
 * array the program reads): the index of the first matching rule, or -1.
 * A model of dotsd.bpf.c's classify() for the unit tests.
 */
long
class_eval(const uint64_t *words, uint32_t base, const struct class_pkt *p)
{
	uint64_t hdr = words[base], sum, acc, v;
	uint32_t nw = XDP_C_NWORDS(hdr), fmask = XDP_C_FMASK(hdr), f, k = 0;
	uint32_t rec[XDP_NFIELDS], nrec = 0, b, n, lo, hi, mid, wi, i, kw;
	uint32_t pd = 0, ps = 0, has_port = 0;
	u128 x;

	if (XDP_C_NRULES(hdr) == 0)
		return -1;
	for (f = 0; f < XDP_NFIELDS; f++) {
		if (!(fmask & (1U << f)))
			continue;
		b = (uint32_t)words[base + XDP_C_HDR + k];
		n = (uint32_t)(words[base + XDP_C_HDR + k] >> 32);
		k++;
		kw = f == 0 && p->family == 6 ? 2 : 1;
		for (i = 0; i < (f == 4 ? 2u : 1u); i++) {
			if (p->has[f] == 0) {
				lo = n;
			} else {
				x = f == 4 && i ? p->v[3] : f == 4 ? p->v[2] :
				    p->v[f];
				for (lo = 0, hi = n; hi - lo > 1; ) {
					mid = lo + (hi - lo) / 2;
					v = words[b + kw * mid];
					if ((kw == 2 ? ((u128)v << 64 |
					    words[b + 2 * mid + 1]) : v) <= x)
						lo = mid;
					else
						hi = mid;
				}
			}
			if (f == 4) {
				*(i ? &ps : &pd) = b + n + (nw + 1) * lo;
				has_port = 1;
			} else
				rec[nrec++] = b + n * kw + (nw + 1) * lo;
		}
	}
	sum = nw >= 64 ? ~0ULL : (1ULL << nw) - 1;
	for (wi = 0; wi <= nw; wi++) {
		acc = ~0ULL;
		for (i = 0; i < nrec; i++)
			acc &= words[rec[i] + wi];
		if (has_port)
			acc &= words[pd + wi] | words[ps + wi];
		if (wi == 0) {
			sum &= acc;
			continue;
		}
		if (!(sum >> (wi - 1) & 1) || !acc)
			continue;
		return (wi - 1) * 64 + __builtin_ctzll(acc);
	}
	return -1;
}
