/*
 * store.h: durable state (SQLite). Everything acknowledged to a client is
 * committed here before the response leaves. Owner: mitigation semantics
 * + store.
 */
#ifndef DOTSD_STORE_H
#define DOTSD_STORE_H

#include <stdint.h>
#include <time.h>

/* One mitigation request as stored. scope_json is the canonical scope. */
struct store_mit {
	uint64_t	id;		/* engine id, stable across restarts */
	char		client[64];
	char		cuid[64];
	char		cdid[64];
	uint32_t	mid;
	int64_t		lifetime;	/* granted; -1 indefinite */
	time_t		expires;	/* 0 = never */
	time_t		started;	/* mitigation-start, 0 = not started */
	time_t		terminating_until;	/* active-but-terminating end */
	uint8_t		status;		/* RFC 9132 status 1..8 */
	uint8_t		trigger;	/* trigger-mitigation */
	char		*scope_json;	/* owned by the caller */
	char		*extra_json;	/* mitreq's private state, or NULL */
};

int	store_open(const char *path, char *err, size_t errlen);
void	store_close(void);
int	store_mit_put(const struct store_mit *);	/* insert or replace */
int	store_mit_del(uint64_t id);
/* Calls cb for every stored mitigation; stops and returns cb's < 0. */
int	store_mit_load(int (*cb)(const struct store_mit *, void *), void *);
/* Session configuration (RFC 9132 §4.5) of a client, JSON body text. */
int	store_cfg_put(const char *client, uint32_t sid, const char *json);
int	store_cfg_del(const char *client);
int	store_cfg_load(int (*cb)(const char *client, uint32_t sid,
	    const char *json, void *), void *);
/* Several changes as one transaction; durable when commit returns 0. */
int	store_begin(void);
int	store_commit(void);
void	store_rollback(void);
/*
 * Group commit: changes until store_group_commit() share one transaction
 * (store_begin() inside it is a savepoint); durable when that returns 0.
 * The hook ends an open group before a write that is not the group's.
 */
int	store_group_begin(void);
int	store_group_commit(void);
int	store_group_active(void);
void	store_group_hook(void (*)(void));
/* cuid ownership (RFC 9132 §4.4.1.1 cuid-collision). */
int	store_cuid_put(const char *cuid, const char *client, time_t last_used);
int	store_cuid_del(const char *cuid);
int	store_cuid_load(int (*cb)(const char *cuid, const char *client,
	    time_t last_used, void *), void *);
/* Next unused mitigation id (monotonic, survives restarts). */
uint64_t store_next_id(void);

#endif
