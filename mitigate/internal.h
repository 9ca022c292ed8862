/*
 * internal.h: what the files of mitigate/ share among themselves. dotsd/
 * and the backends use mitigate/mitigate.h only. Prototypes are grouped
 * by the file that defines them.
 */
#ifndef MITIGATE_INTERNAL_H
#define MITIGATE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mitigate/mitigate.h"

/*
 * A slot is one kind of enforcement a mitigation can hold, numbered like
 * the escalation level that adds it (enum mit_level): each slot is one
 * backend group. A mitigation at level L holds every allowed slot <= L.
 */
enum slot {
	SLOT_LOCAL = MIT_LEVEL_LOCAL,		/* flow rules, local backend */
	SLOT_FLOWSPEC = MIT_LEVEL_FLOWSPEC,	/* flow rules, upstream */
	SLOT_RTBH = MIT_LEVEL_RTBH,		/* host routes, upstream */
	SLOT_MAX,
	/* not a level: received rules (recv.c), local backend only */
	SLOT_RECV = SLOT_MAX,
};

/*
 * Group id of a mitigation's slot: id << 2 | slot. It depends only on
 * dotsd's id (stable across restarts) and the slot, so a restarted dotsd
 * finds the groups a backend kept (pinned BPF maps) under the same ids.
 */
#define MIT_ID_MAX		((UINT64_C(1) << 61) - 1)
#define GROUP_OF(id, slot)	((uint64_t)(id) << 2 | (uint64_t)(slot))
#define GROUP_ID(group)		((group) >> 2)
#define GROUP_SLOT(group)	((int)((group) & 3))

/*
 * Filter groups (filter.c) have bit 63 set, which no mitigation group
 * can have (ids stop at 2^61-1), so the two spaces never collide and a
 * backend's list() tells them apart after a restart. The slot bits say
 * SLOT_LOCAL, so escalation names and sort order stay meaningful.
 */
#define FILTER_BIT		(UINT64_C(1) << 63)
#define FILTER_GROUP(id)	(FILTER_BIT | (uint64_t)(id) << 2 | SLOT_LOCAL)
#define FILTER_ID(group)	(((group) & ~FILTER_BIT) >> 2)
#define IS_FILTER_GROUP(group)	(((group) & FILTER_BIT) != 0)

/*
 * Rule ids: 24 bits of per-mitigation number (engine-assigned, kept while
 * the mitigation lives), 2 bits of slot, 6 bits of index in the group.
 */
#define RULE_MNUM_MAX		((UINT32_C(1) << 24) - 1)
#define RULE_BASE(mnum, slot)	((uint32_t)(mnum) << 8 | (uint32_t)(slot) << 6)

/* engine.c */
const struct mit_backend *engine_slot_backend(int);
const struct mit_backend *engine_backend_at(int);
int		 engine_mnum_alloc(uint32_t *);
void		 engine_mnum_release(uint32_t);

/* recv.c */
void		 recv_groups(void (*)(uint64_t, void *), void *);
int		 recv_reapply(const struct mit_backend *, uint64_t);
void		 recv_reset(void);

/* policy.c */
struct policy_config {
	uint8_t		where;		/* enum mit_where: operator allows */
	uint8_t		base_level;	/* level a new mitigation starts at */
	uint8_t		announce_min_len4, announce_min_len6;
	uint8_t		rtbh_min_len4, rtbh_min_len6;
	uint32_t	max_rules;	/* local rules, all mitigations */
	uint32_t	max_announce;	/* upstream routes, all mitigations */
};
extern struct policy_config policy_conf;

int		 policy_configure(const char *, const char *, char *, size_t);
int		 policy_parse_u64(const char *, uint64_t, uint64_t *, char *,
		    size_t);
int		 policy_slot_allowed(const struct mitigation *, int);
int		 policy_min_len(const struct mitigation *, int, int);
int		 policy_check(const char *, const uint32_t *, const char *,
		    const uint32_t *, uint32_t, char *, size_t);
void		 policy_account(const char *, const uint32_t *, int);
uint32_t	 policy_client_rules(const char *);
uint32_t	 policy_local_rules(void);
uint32_t	 policy_announced(void);
void		 policy_reset(void);

/* engine.c */
const struct mit_backend *engine_slot_backend(int);

/* filter.c */
void		 filter_want(const struct mit_backend *,
		    void (*)(uint64_t, void *), void *);
int		 filter_reapply(const struct mit_backend *, uint64_t);
void		 filter_stop(void);

/* compile.c */
int		 compile_validate(const struct mitigation *, char *, size_t);
int		 compile_ruleset(const struct mitigation *, int, uint64_t,
		    uint32_t, struct mit_ruleset *, char *, size_t);
int		 compile_ranges(struct mit_range *, int);

/* counters.c */
#define CTR_WINDOW_MAX	60

struct ctr_sample {
	time_t		t;
	uint64_t	pkts;	/* matched (dropped + passed), cumulative */
	uint64_t	bytes;
};

struct counters {
	time_t		start;
	uint64_t	pkts_dropped;	/* accumulated since start */
	uint64_t	bytes_dropped;
	uint64_t	pkts_matched;	/* dropped + passed: attack traffic */
	uint64_t	bytes_matched;
	uint64_t	raw[4];		/* backend counters at last read */
	uint8_t		have_raw;
	uint8_t		head, n;	/* ring of short-window samples */
	struct ctr_sample ring[CTR_WINDOW_MAX + 1];
	uint64_t	bps, pps;	/* short window, matched traffic */
	/* what upstream providers report (counters_remote) */
	uint64_t	remote_raw[2];	/* pkts, bytes at last report */
	uint8_t		have_remote_raw;
	uint8_t		remote_state;	/* enum mit_state + 1, 0: none */
	uint64_t	remote_pkts, remote_bytes;	/* accumulated */
	uint64_t	remote_bps, remote_pps;		/* as reported */
};

int		 counters_configure(const char *, const char *, char *,
		    size_t);
void		 counters_init(struct counters *, time_t);
void		 counters_update(struct counters *, const struct mit_stats *,
		    time_t);
void		 counters_forget(struct counters *);
void		 counters_status(const struct counters *, time_t,
		    struct mit_status *);
void		 counters_remote(struct counters *, const struct mit_stats *);
int		 counters_merge_state(int, int, int);

/* escalate.c */
enum esc_state {
	ESC_STEADY = 0,	/* between the thresholds of its level */
	ESC_RISING,	/* above the next level's threshold since `since` */
	ESC_FALLING,	/* below the hysteresis threshold since `since` */
	ESC_PINNED,	/* operator fixed the level: no moves */
};

struct escalation {
	uint8_t		state;		/* enum esc_state */
	time_t		since;
};

/* What escalate_step() needs to know about one mitigation now. */
struct esc_input {
	uint64_t	id;
	uint64_t	bps, pps;	/* short-window attack rate */
	int		level;		/* in force */
	int		base;		/* lowest level it may step down to */
	int		pin;		/* -1 or the fixed level */
	int		can_flowspec;	/* flowspec slot usable */
	int		can_rtbh;	/* RTBH slot usable */
};

int		 escalate_configure(const char *, const char *, char *,
		    size_t);
int		 escalate_enabled(void);
void		 escalate_init(struct escalation *, int);
int		 escalate_step(struct escalation *, const struct esc_input *,
		    time_t, char *, size_t);
const char	*escalate_level_name(int);
const char	*escalate_state_name(int);

#endif
