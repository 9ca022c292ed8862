/*
 * loader_int.h: what the pieces of the XDP backend share (loader.c,
 * table.c, maps.c, group.c, adopt.c): the user-space model of the maps
 * (slot pools, rule groups, prefixes) and the backend's one state, xdp_st.
 * Single-threaded: only the engine thread calls the backend.
 */
#ifndef XDP_LOADER_INT_H
#define XDP_LOADER_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "mitigate/mitigate.h"
#include "xdp/dotsd_shared.h"
#include "xdp/xdp.h"

/* Spare slots for rule sets in flight: reused after the next grace period. */
#define XDP_SLACK	4096
/* Size of the words map: per max-rules, plus room for a few big classes. */
#define XDP_WORDS_PER_RULE	48
#define XDP_WORDS_MIN		(1U << 20)

struct pool {
	uint32_t	*v;
	uint32_t	 n, cap;
};

struct urule {
	struct mit_rule	r;
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
	struct upfx	*next;		/* hash chain */
	struct mit_prefix p;
	uint64_t	 gen;		/* generation tag in the trie entry */
	uint32_t	 cls;		/* class at that generation */
	uint32_t	 cls_order;	/* its region's size */
	uint8_t		 in_trie;
	uint8_t		 mark;		/* touched by the apply in progress */
	uint8_t		 doomed;	/* no rules: delete after a grace period */
	uint32_t	 ti;		/* its entry in the apply's touched list */
	uint32_t	 nrefs, caprefs;
	struct uref	*refs;		/* the rules on exactly this prefix */
};

/* The user-space binary trie of prefixes, for nesting (one per family). */
struct tnode {
	struct tnode	*c[2];
	struct upfx	*u;
};

/* Regions of the words map: 8 << order words each. */
#define ARENA_ORDERS	24
struct region {
	uint32_t	off;
	uint32_t	order;
};

struct arena {
	uint32_t	 top, cap;	/* words handed out up to top, of cap */
	uint64_t	 used;		/* in regions now */
	struct pool	 free[ARENA_ORDERS];
	struct region	*defer;		/* freed after the next grace period */
	uint32_t	 ndefer, capdefer;
};

struct xdp_state {
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
	int		 fd_words;
	int		 fd_counters, fd_gbucket, fd_lbucket, fd_gstats, fd_meta;
	int		 fd_rcu, fd_rcu_inner;
	int		 lock_fd;	/* flock on pin-path: one writer */
	uint32_t	 nctrs, nprefixes;
	uint32_t	 plen_cnt[2][129];	/* LPM entries per length */
	int		 ncpus;
	uint64_t	 gen, synced_gen, epoch;
	uint32_t	 nrules, ngroups;

	struct pool	 free_ctrs;
	struct arena	 arena;
	struct tnode	*troot[2];	/* AF_INET, AF_INET6 */
	struct retiring	*retiring;
	uint32_t	 nretiring, retiring_cap;

	struct upfx	**pfx_tab;
	struct ugroup	**grp_tab;
	uint32_t	 tab_mask;
	int		 ndoomed;
};

extern struct xdp_state	xdp_st;

/* loader.c */
void	xdp_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* table.c */
int	pool_push(struct pool *, uint32_t v);
uint32_t pool_pop(struct pool *);
void	pool_free(struct pool *);
int	pool_drain(struct pool *src, struct pool *dst);
struct upfx *pfx_find(const struct mit_prefix *);
struct upfx *pfx_get(const struct mit_prefix *);
void	pfx_remove(struct upfx *);
int	pfx_addref(struct upfx *, struct ugroup *, uint32_t idx);
int	utrie_insert(struct upfx *);
void	utrie_remove(struct upfx *);
void	utrie_free(void);
/* Calls fn on every prefix of the trie covering p, shortest first
 * (p itself last, if present); on every prefix p covers (p first). */
int	utrie_path(const struct mit_prefix *p,
	    int (*fn)(struct upfx *, void *), void *arg);
int	utrie_subtree(const struct mit_prefix *p,
	    int (*fn)(struct upfx *, void *), void *arg);
int	arena_alloc(uint32_t len, uint32_t *off, uint32_t *order);
void	arena_release(uint32_t off, uint32_t order);	/* unpublished */
int	arena_defer(uint32_t off, uint32_t order);	/* after a grace */
int	arena_reclaim(void);
int	arena_rebuild(struct region *used, uint32_t n);
void	arena_free_all(void);
struct ugroup *grp_find(uint64_t id);
void	grp_unlink(struct ugroup *);
void	grp_link(struct ugroup *);

/* maps.c */
int	is_host(const struct mit_prefix *);
int	trie_write(const struct upfx *, uint32_t cls_old, uint32_t cls_new,
	    uint64_t gen);
int	words_write(uint32_t off, const uint64_t *w, uint32_t n);
int	class_order(uint32_t cls, uint32_t *order);
int	trie_delete(const struct upfx *);
int	plen_count(const struct mit_prefix *, int delta);
int	cfg_write(void);
uint64_t now_ns(void);
int	ctr_read(uint32_t ctr, struct mit_stats *);
int	ctr_init(uint32_t ctr, const struct mit_rule *, int counters);
int	meta_write(uint32_t ctr, uint64_t group, const struct urule *,
	    int in_use);
int	retire(uint32_t ctr, uint64_t group);
int	sync_reclaim(void);

/* group.c */
int	ref_cmp(const void *, const void *);
struct touched;
struct upfx *upfx_above(struct upfx *);
int	class_compile(struct upfx *u, const struct touched *t, uint32_t *cls,
	    uint32_t *order, char *err, size_t errlen);
int	group_replace(uint64_t id, const struct mit_rule *rules, uint32_t n,
	    int remove, char *err, size_t errlen);

/* adopt.c */
int	adopt(char *err, size_t errlen);

#endif
