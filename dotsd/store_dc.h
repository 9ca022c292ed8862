/*
 * store_dc.h: durable state of the RFC 8783 data channel (SQLite):
 * registrations, aliases and ACLs, one row each. Every change is
 * committed (synchronous=FULL) before the HTTP reply leaves. Owner: data
 * channel. Tables of their own in dotsd's database, on store.c's one
 * connection: store_open() first, store_dc_close() before store_close().
 */
#ifndef DOTSD_STORE_DC_H
#define DOTSD_STORE_DC_H

#include <stdint.h>
#include <time.h>

enum store_dc_kind {
	STORE_DC_CLIENT = 0,	/* dots-client registration, name "" */
	STORE_DC_ALIAS,
	STORE_DC_ACL,
};

struct store_dc_row {
	uint8_t		kind;		/* enum store_dc_kind */
	char		cuid[64];
	char		name[65];
	char		client[64];	/* configured client owning cuid */
	char		cdid[64];
	uint64_t	num;		/* ACL number (filter ids), else 0 */
	time_t		expires;	/* 0 = never */
	const char	*json;		/* the resource's config; NUL-terminated */
};

int	store_dc_open(char *err, size_t errlen);
void	store_dc_close(void);
int	store_dc_put(const struct store_dc_row *);	/* insert or replace */
int	store_dc_del(uint8_t kind, const char *cuid, const char *name);
/* Deletes a registration and everything below it, in one transaction. */
int	store_dc_del_client(const char *cuid);
/* Calls cb for every row, registrations first; stops at cb's < 0. */
int	store_dc_load(int (*cb)(const struct store_dc_row *, void *), void *);
/* Next unused ACL number (monotonic, survives restarts), 0 on error. */
uint64_t store_dc_next_num(void);

#endif
