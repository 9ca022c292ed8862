/*
 * speaker_int.h: what the pieces of the speaker share (speaker.c, conf.c,
 * rib.c, peer.c, damp.c, group.c): the RIB's types and functions. fsm.c
 * needs none of it; its side is bgp.h. Everything is guarded by bgp_sp.mtx.
 */
#ifndef BGP_SPEAKER_INT_H
#define BGP_SPEAKER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bgp/bgp.h"
#include "bgp/msg.h"
#include "mitigate/mitigate.h"

#define RT_HASH_BITS	17
#define RT_HASH_SIZE	(1u << RT_HASH_BITS)
#define DAMP_PENALTY	1000.0	/* added by each withdraw */

/* One group's wish for an entry. */
struct rt_contrib {
	uint64_t	group;
	uint64_t	rate;
	uint8_t		action;
};

/* A route: one NLRI of one family; its attributes follow its action. */
struct rt_entry {
	struct rt_entry		*hnext;
	uint32_t		hash;
	uint32_t		sent;		/* peers holding it */
	uint32_t		queued;		/* peers with it in ->dirty */
	uint8_t			fam;
	uint8_t			action;		/* effective, enum mit_action */
	uint64_t		rate;
	/* snapshot while a transaction touches it */
	uint8_t			touched;
	uint8_t			was_wanted, was_action;
	uint64_t		was_rate;
	uint16_t		ncontrib, ccap;
	struct rt_contrib	*contrib;
	uint16_t		nlen;
	uint8_t			nlri[];
};

struct group {
	struct group		*next;
	uint64_t		id;
	uint32_t		nroutes;
	struct rt_entry		**routes;
	int64_t			linger_since;	/* damping: withdrawn, held */
	struct group		**pprev;	/* in the list: O(1) unlink */
	struct group		*hnext;		/* in group.c's index by id */
};

struct damp {
	uint64_t	group;
	double		penalty;
	int64_t		t;
};

/* Transaction: touched entries remember their state before the change. */
struct rt_txn {
	struct rt_entry	**v;
	size_t		n, cap;
};

/* speaker.c */
extern int	speaker_configured;
void	speaker_defaults(void);
void	speaker_wake(void);
int	speaker_err(char *err, size_t errlen, int code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* conf.c */
int	conf_configure(const char *key, const char *value, char *err,
	    size_t errlen);

/* rib.c */
extern struct rt_entry	**rt_hash;
uint32_t rt_hashval(uint8_t fam, const uint8_t *nlri, size_t len);
struct rt_entry *rt_find(uint8_t fam, const uint8_t *nlri, size_t len,
	    uint32_t h);
struct rt_entry *rt_get(uint8_t fam, const uint8_t *nlri, size_t len);
void	rt_maybe_free(struct rt_entry *);
void	rt_norm_action(uint8_t *action, uint64_t *rate);
int	txn_touch(struct rt_txn *, struct rt_entry *);
void	txn_commit(struct rt_txn *);
int	rt_contrib_reserve(struct rt_entry *);
int	rt_contrib_add(struct rt_entry *, uint64_t group, uint8_t action,
	    uint64_t rate);
void	rt_contrib_del(struct rt_entry *, uint64_t group);

/* peer.c */
int	peer_accepts(const struct peer *, int fam, int action);
void	peer_enqueue(struct peer *, struct rt_entry *);
int	peer_attrs(const struct peer *, int fam, uint8_t action,
	    uint64_t rate, struct bgp_attrs *);

/* damp.c */
struct damp *damp_get(uint64_t group, int create);
double	damp_decay(struct damp *, int64_t now);
void	damp_tick(int64_t now);
void	damp_clear(void);

/* group.c */
extern struct group	*groups;
struct group *group_find(uint64_t id, struct group ***prevp);
void	group_link(struct group *g);
void	group_free_all(void);
void	group_remove(struct group *);
int	group_apply(const struct mit_ruleset *, char *err, size_t errlen);
int	group_withdraw(uint64_t group, char *err, size_t errlen);
int	group_stats(uint64_t group, struct mit_stats *);
int	group_list(void (*fn)(uint64_t, void *), void *arg);

#endif
