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
struct ugroup *grp_find(uint64_t id);
void	grp_unlink(struct ugroup *);
void	grp_link(struct ugroup *);

/* maps.c */
int	is_host(const struct mit_prefix *);
int	trie_write(const struct upfx *, uint32_t list_old, uint32_t list_new,
	    uint64_t gen);
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
int	group_replace(uint64_t id, const struct mit_rule *rules, uint32_t n,
	    int remove, char *err, size_t errlen);

/* adopt.c */
int	adopt(char *err, size_t errlen);

#endif
