/*
 * acl_int.h: what the data channel's state files share (acl.c core and
 * engine, acl_reg.c registrations and rows, acl_alias.c aliases,
 * acl_parse.c ACL parsing, acl_handlers.c ACL requests). Not for other
 * modules: they use acl.h.
 *
 * Filter ids: an ACL gets a number when created (store_dc_next_num(),
 * monotonic across restarts), and each entry an index kept by entry name
 * across replacements, so an entry's counters survive a PUT that changes
 * other entries: filter id = number << 10 | index.
 */
#ifndef DOTSD_ACL_INT_H
#define DOTSD_ACL_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dotsd/acl.h"
#include "dotsd/store_dc.h"

#define IDX_BITS	10
#define FID(num, idx)	((uint64_t)(num) << IDX_BITS | (uint64_t)(idx))

struct dc_ace {
	char		 name[ACL_NAME_LEN];
	uint32_t	 idx;
	uint32_t	 nrules;	/* 0: not enforceable (see why) */
	struct mit_rule	*rules;
};

struct dc_acl {
	TAILQ_ENTRY(dc_acl) entry;
	char		 name[ACL_NAME_LEN];
	uint64_t	 num;
	uint8_t		 act;		/* enum acl_activation */
	uint8_t		 active;	/* its filters are in the engine */
	time_t		 expires;
	json_t		*cfg;		/* config as PUT, canonical */
	uint32_t	 nace;
	struct dc_ace	*aces;
	/* position + 1 in aces of the entry with each index, 0: none, so
	 * that matching old and new entries of a big ACL is not O(n^2) */
	uint16_t	 pos[ACL_MAX_ACES];
};

struct dc_alias {
	TAILQ_ENTRY(dc_alias) entry;
	char		 name[ACL_NAME_LEN];
	time_t		 expires;
	json_t		*cfg;
};

TAILQ_HEAD(dc_acl_head, dc_acl);
TAILQ_HEAD(dc_alias_head, dc_alias);

struct dc_client {
	TAILQ_ENTRY(dc_client) entry;
	char		 client[MIT_NAME_LEN];	/* configured client's name */
	char		 cuid[DOTS_ID_LEN];
	char		 cdid[DOTS_ID_LEN];
	struct dc_alias_head aliases;
	struct dc_acl_head acls;
};

TAILQ_HEAD(dc_client_head, dc_client);

struct acl_state {
	const struct dotsd_conf	*conf;
	struct dc_client_head	 clients;
	time_t			 now;
	struct mit_filter	 f;	/* scratch for engine_filter_apply */
};

/* The data channel's one state (acl.c); main loop only. */
extern struct acl_state	acl_st;

/* acl.c */
void	dc_res_set(struct acl_res *res, int code, const char *tag,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct dc_client *dc_client_find(const char *cuid);
/* c's registration of cuid, or NULL with a 404 in res. */
struct dc_client *dc_client_of(const struct client_conf *c,
	    const char *cuid, struct acl_res *res);
struct dc_acl	*dc_acl_find(struct dc_client *d, const char *name);
struct dc_alias	*dc_alias_find(struct dc_client *d, const char *name);
const struct dc_ace *dc_ace_by_idx(const struct dc_acl *a, uint32_t idx);
void	dc_acl_withdraw_all(const struct dc_acl *a);
/* old -> na in the engine, all or nothing; 0 or -errno with err. */
int	dc_acl_enforce(const struct dc_client *d, const struct dc_acl *old,
	    struct dc_acl *na, char *err, size_t errlen);
void	dc_acl_free(struct dc_acl *a);
void	dc_alias_free(struct dc_alias *a);
void	dc_client_free(struct dc_client *d);
int	dc_pending_minutes(time_t expires);
/* -errno of a check -> HTTP status and RFC 8040 error-tag */
int	dc_err_code(int r);
const char *dc_err_tag(int r);

/* acl_reg.c */
int	dc_acl_store(const struct dc_client *d, const struct dc_acl *a);
int	dc_alias_store(const struct dc_client *d, const struct dc_alias *a);
/* store_dc_load() callback at start-up */
int	dc_load_row(const struct store_dc_row *r, void *arg);

/* acl_parse.c */
extern const char *const dc_act_name[];
/* A new ACL from its YANG-valid config. NULL with why and *err. */
struct dc_acl	*dc_acl_build(const struct client_conf *c,
	    const json_t *cfg, const struct dc_acl *old, const json_t *idxmap,
	    int *err, char *why, size_t whylen);

/* acl_handlers.c */
void	dc_acl_remove(struct dc_client *d, struct dc_acl *a);

#endif
