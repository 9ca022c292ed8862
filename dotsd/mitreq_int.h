/*
 * mitreq_int.h: what the pieces of the mitigation request code
 * (dotsd/mitreq*.c) share: the request table, its types and limits, and
 * the functions each piece offers the others, grouped by defining file.
 * Nothing outside dotsd/mitreq*.c includes this: the contract is
 * dotsd/mitreq.h.
 */
#ifndef DOTSD_MITREQ_INT_H
#define DOTSD_MITREQ_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "mitigate/mitigate.h"

#define MS_KEY		"ietf-dots-signal-channel:mitigation-scope"
#define ACL_KEY		"ietf-dots-signal-control:acl-list"
#define TELEMETRY_PFX	"ietf-dots-telemetry:"

#define ABT_DEFAULT	120	/* RFC 9132 §4.4.4 */
#define ABT_MAX		300	/* RFC 9132 §4.4.4 */
#define NOTIFY_MIN	3	/* RFC 9132 §4.4.2.1: one per 3 s at most */
#define NOTIFY_PERIOD	10	/* periodic status while mitigating */
#define NOTIFY_BEFORE_8	4	/* Table 3: 3 or 7 four times, then 8 */
#define QUIET_STOPPED	300	/* no drops that long: attack-stopped */
#define CUID_HOLD	86400	/* cuid stays bound this long after use */
#define RETRY_INDEF	3600	/* retry-timer when the winner never ends */
#define RETRY_GRACE	45	/* RFC 9132 §4.4.1.3: retry-timer + 45 */
#define BUSY_RETRY	MITREQ_BUSY_RETRY
#define RESOLVE_MIN	30	/* re-resolve no sooner than this */
#define RESOLVE_RETRY	60	/* after a failed re-resolution */
#define MAX_NAMES	16	/* target-fqdn + target-uri names */
#define MAX_CONFLICT	8	/* requests one request conflicts with */
#define NAME_LEN	256

enum {
	ST_IN_PROGRESS = 1,
	ST_MITIGATED,
	ST_STOPPED,
	ST_EXCEEDED,
	ST_TERMINATING,
	ST_TERMINATED,
	ST_WITHDRAWN,
	ST_SIGNAL_LOSS,
	ST_MAX
};

enum {
	CS_NONE = 0,
	CS_INACTIVE_OTHER_ACTIVE,
	CS_ACTIVE,
	CS_ALL_INACTIVE,
	CS_MAX
};

enum { ATTACK_NONE = 0, ATTACK_UNDER, ATTACK_MITIGATED };

/* Where a request's source attributes came from (struct req). */
enum { SRC_CALL_HOME = 1 << 0, SRC_TOP_TALKER = 1 << 1 };

/* One PUT body, checked and flattened. */
struct req {
	json_t		*scope;		/* canonical form, owned */
	int64_t		 lifetime;
	uint8_t		 has_lifetime;
	uint8_t		 trigger;
	uint8_t		 attack_status;
	uint8_t		 has_acl;

	uint8_t		 nprefix;	/* target-prefix + literal URI hosts */
	struct mit_prefix prefix[MIT_MAX_TARGETS];
	uint8_t		 nports;
	struct mit_range ports[MIT_MAX_PORTS];
	uint8_t		 nproto;
	uint8_t		 proto[MIT_MAX_PROTO];
	uint8_t		 source_kind;	/* SRC_* bits (mitreq_source.c) */
	uint8_t		 nsources;	/* RFC 9066 / RFC 9244 sources */
	struct mit_prefix sources[MIT_MAX_SOURCES];
	uint8_t		 nsource_ports;
	struct mit_range source_ports[MIT_MAX_RANGES];
	uint8_t		 nicmp_type;
	struct mit_range icmp_type[MIT_MAX_RANGES];
	int		 nnames;	/* names to resolve */
	char		 names[MAX_NAMES][NAME_LEN];
};

struct mreq;
struct putctx;

/* Resolution of every name of a request (PUT or TTL refresh). */
struct resjob {
	struct mreq	*m;		/* re-resolution of a mitigation, or */
	struct putctx	*put;		/* the names of a PUT */
	int		 outstanding;
	int		 starting;
	int		 err;
	char		 failed[NAME_LEN];
	uint32_t	 ttl;
	int		 overflow;
	uint8_t		 naddr;
	struct mit_prefix addr[MIT_MAX_TARGETS];
	int		 nsub;
	struct ressub {
		struct resjob	*job;
		uint8_t		 done;
		char		 name[NAME_LEN];
	}		 sub[MAX_NAMES];
};

struct putctx {
	TAILQ_ENTRY(putctx) entry;
	struct dots_peer peer;
	struct dots_uri	 uri;
	int		 efficacy;
	struct req	 rq;
	struct resjob	 job;
};

struct ixnode;
struct mgroup;

struct mreq {
	TAILQ_ENTRY(mreq) entry;
	/* mitreq_index.c's, nobody else's */
	TAILQ_ENTRY(mreq) gentry;	/* in its (client, cuid) group */
	struct mreq	*hnext;		/* key hash chain */
	struct mgroup	*ix_group;	/* NULL: not in the table */
	struct ixnode	**ix_nodes;	/* its target entries */
	int		 ix_n;
	uint64_t	 ix_seq;	/* list order */
	uint32_t	 ix_epoch;	/* seen by the current query */

	uint64_t	 id;
	const struct client_conf *client;
	char		 cuid[DOTS_ID_LEN];
	char		 cdid[DOTS_ID_LEN];
	uint32_t	 mid;
	struct req	 rq;
	int64_t		 lifetime;	/* granted, -1 indefinite */
	time_t		 expires;	/* 0 = never */
	time_t		 started;	/* mitigation-start */
	time_t		 terminating_until;
	uint32_t	 abt;		/* next active-but-terminating period */
	uint8_t		 status;
	uint8_t		 in_engine;
	uint8_t		 activated;	/* preconfigured, by signal loss */
	uint8_t		 notify_left;	/* 3/7 of a preconfigured */
	uint8_t		 purge;		/* remove after the next notification */
	uint8_t		 enforce_pending;	/* enforce once names resolve */

	uint8_t		 conflict_status;	/* CS_* */
	uint32_t	 retry_timer;
	json_t		*conflict_scope;
	uint8_t		 nconflict;
	uint64_t	 conflict_with[MAX_CONFLICT];

	uint8_t		 naddr;		/* resolved target-fqdn/uri */
	struct mit_prefix addr[MIT_MAX_TARGETS];
	time_t		 resolve_at;	/* 0 = no names */
	struct resjob	*job;

	struct mit_status last;		/* last engine report */
	uint8_t		 have_last;
	uint64_t	 drops_seen;
	time_t		 last_activity;	/* drops or client under-attack */
};

/* Who owns a cuid (RFC 9132 §4.4.1.1). */
struct cuidown {
	TAILQ_ENTRY(cuidown) entry;
	char		 cuid[DOTS_ID_LEN];
	char		 client[MIT_NAME_LEN];
	time_t		 last_used;
};

/* Notification state per (client, cuid) observer set. */
struct notif {
	TAILQ_ENTRY(notif) entry;
	const struct client_conf *client;
	char		 cuid[DOTS_ID_LEN];
	time_t		 last_sent;
	uint8_t		 dirty;
};

enum conflict_policy {
	CP_BOTH = 0,		/* keep both active, report to both */
	CP_FIRST_WINS,		/* refuse the newcomer with 4.09 */
	CP_NEWEST_WINS,		/* deactivate the older request (status 7) */
};

TAILQ_HEAD(mreq_head, mreq);
TAILQ_HEAD(cuidown_head, cuidown);
TAILQ_HEAD(notif_head, notif);
TAILQ_HEAD(putctx_head, putctx);

/* mitreq.c: shared state, replies, the request table */
extern struct mreq_head		 mitreq_list;
extern struct cuidown_head	 mitreq_cuids;
extern struct notif_head	 mitreq_notifs;
extern struct putctx_head	 mitreq_pending;	/* PUTs resolving names */
extern time_t			 mitreq_last_prune;
extern const struct dotsd_conf	*mitreq_conf;
extern time_t			 mitreq_now_s;	/* of the last tick */
extern enum conflict_policy	 mitreq_policy;
extern const char *const	 mitreq_status_name[ST_MAX];
extern const char *const	 mitreq_cstatus_name[CS_MAX];

time_t	 mitreq_now(void);
void	 mitreq_reply_init(struct dots_reply *);
void	 mitreq_reply_err(struct dots_reply *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
json_t	*mitreq_wrap_scope(json_t *);
void	 mitreq_reply_conflict(struct dots_reply *, int, json_t *);
struct mreq *mitreq_find(const struct client_conf *, const char *, uint32_t);
void	 mitreq_free(struct mreq *);

/* mitreq_index.c: indexes of mitreq_list (insert/remove go through it) */
int	 mitreq_index_insert(struct mreq *);
void	 mitreq_index_remove(struct mreq *);
void	 mitreq_index_purge(struct mreq *);
void	 mitreq_index_retarget(struct mreq *);
struct mreq *mitreq_index_find(const char *, const char *, uint32_t);
struct mreq *mitreq_index_group_first(const char *, const char *);
struct mreq *mitreq_index_group_next(const struct mreq *);
int	 mitreq_index_group_live(const char *, const char *);
int	 mitreq_index_client_live(const char *);
int	 mitreq_index_overlapping(struct mreq *, struct mreq ***);
void	 mitreq_index_fini(void);

/* mitreq_group.c: group commit */
int	 mitreq_group_enter(const void *);
void	 mitreq_group_hold(void *, struct dots_reply *);
void	 mitreq_group_done(const struct dots_peer *, struct dots_reply *);
void	 mitreq_group_cancel(const void *);

/* mitreq_parse.c: PUT bodies */
int	 mitreq_parse_req(const json_t *, int, struct req *, char *, size_t);
int	 mitreq_parse_alias(const struct client_conf *, const char *,
	    const char *, struct req *);
/* mitreq_source.c */
int	 mitreq_source_key(const char *);
int	 mitreq_source_parse(struct req *, const char *, const json_t *,
	    char *, size_t);
int	 mitreq_source_finish(struct req *, char *, size_t);
int	 mitreq_parse_prefix_add(struct mit_prefix *, uint8_t *, int,
	    const struct mit_prefix *);

/* mitreq_targets.c: authorization and name resolution */
int	 mitreq_targets_authorize(const struct client_conf *,
	    const struct mit_prefix *, int, char *, size_t);
void	 mitreq_targets_resolve(struct resjob *);
void	 mitreq_targets_cancel(struct resjob *);

/* mitreq_cuid.c: cuid ownership */
int	 mitreq_cuid_has_state(const char *, const char *);
int	 mitreq_cuid_check(const struct client_conf *, const char *, time_t);
int	 mitreq_cuid_bind(const struct client_conf *, const char *, time_t);

/* mitreq_conflict.c: overlaps and conflict-information */
int	 mitreq_conflict_overlap(const struct mreq *, const struct mreq *,
	    json_t *);
json_t	*mitreq_conflict_scope(const struct mreq *, const struct mreq *);
json_t	*mitreq_conflict_info(uint8_t, uint32_t, json_t *);
void	 mitreq_conflict_add(struct mreq *, uint64_t);
void	 mitreq_conflict_forget(uint64_t);
void	 mitreq_conflict_unlink(struct mreq *);

/* mitreq_put.c: PUT */
void	 mitreq_put_resolved(struct putctx *);

/* mitreq_fsm.c: lifetimes, status FSM, tick */
int	 mitreq_fsm_live(const struct mreq *);
int64_t	 mitreq_fsm_remaining(const struct mreq *, time_t);
int64_t	 mitreq_fsm_lifetime_grant(const struct client_conf *, int64_t);
void	 mitreq_fsm_set_lifetime(struct mreq *, int64_t, time_t);
uint32_t mitreq_fsm_abt_period(void);
void	 mitreq_fsm_set_status(struct mreq *, uint8_t);
void	 mitreq_fsm_end(struct mreq *, uint8_t);

/* mitreq_engine.c: engine hand-off */
void	 mitreq_engine_build(const struct mreq *, struct mitigation *);
int	 mitreq_engine_ntargets(const struct mreq *);
int	 mitreq_engine_hand(struct mreq *, char *, size_t);
void	 mitreq_engine_take(struct mreq *);
int	 mitreq_engine_recorded(const struct mreq *);

/* mitreq_notify.c: GET and notification bodies */
void	 mitreq_notify_mark(const struct mreq *);
void	 mitreq_notify_flush(time_t);

/* mitreq_store.c: durable state */
int	 mitreq_store_save(const struct mreq *);

#endif
