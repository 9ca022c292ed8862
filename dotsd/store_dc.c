/*
 * store_dc.c: the data channel's rows in SQLite (store_dc.h). WAL mode
 * with synchronous=FULL like store.c, so a change is on disk when its
 * function returns: a kill -9 after a 201/204 loses nothing.
 *
 * Single-threaded: only the main loop calls these.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "dotsd/store.h"
#include "dotsd/store_dc.h"
#include "lib/log.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS dc ("
    " kind INTEGER NOT NULL, cuid TEXT NOT NULL, name TEXT NOT NULL,"
    " client TEXT NOT NULL, cdid TEXT NOT NULL, num INTEGER NOT NULL,"
    " expires INTEGER NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY (kind, cuid, name));"
    "CREATE TABLE IF NOT EXISTS dc_meta ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

enum {
	Q_PUT = 0,
	Q_DEL,
	Q_DEL_CLIENT,
	Q_LOAD,
	Q_NUM_GET,
	Q_NUM_PUT,
	Q_MAX
};

static const char *const q_sql[Q_MAX] = {
	[Q_PUT] = "INSERT OR REPLACE INTO dc (kind, cuid, name, client, cdid,"
	    " num, expires, json) VALUES (?,?,?,?,?,?,?,?)",
	[Q_DEL] = "DELETE FROM dc WHERE kind = ? AND cuid = ? AND name = ?",
	[Q_DEL_CLIENT] = "DELETE FROM dc WHERE cuid = ?",
	[Q_LOAD] = "SELECT kind, cuid, name, client, cdid, num, expires, json"
	    " FROM dc ORDER BY kind, cuid, name",
	[Q_NUM_GET] = "SELECT coalesce((SELECT value FROM dc_meta WHERE"
	    " key = 'next_num'), 1)",
	[Q_NUM_PUT] = "INSERT OR REPLACE INTO dc_meta (key, value)"
	    " VALUES ('next_num', ?)",
};

struct store_dc {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_MAX];
};

static struct store_dc	sdc;

static int
sdc_err(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* Runs a bound write statement to completion and resets it. */
static int
sdc_step(sqlite3_stmt *st)
{
	int	rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		log_warnx("store: data channel: %s", sqlite3_errmsg(sdc.db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sdc_err(rc);
}

int
store_dc_open(const char *path, char *err, size_t errlen)
{
	char	*msg = NULL;
	int	 rc, i;

	store_dc_close();
	rc = sqlite3_open_v2(path, &sdc.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(sdc.db, 2000);
	rc = sqlite3_exec(sdc.db, "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;", NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sdc.db, schema, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		goto fail;
	for (i = 0; i < Q_MAX; i++)
		if ((rc = sqlite3_prepare_v2(sdc.db, q_sql[i], -1, &sdc.q[i],
		    NULL)) != SQLITE_OK)
			goto fail;
	return 0;
 fail:
	snprintf(err, errlen, "%s: data channel tables: %s", path,
	    msg ? msg : sdc.db ? sqlite3_errmsg(sdc.db) : sqlite3_errstr(rc));
	sqlite3_free(msg);
	store_dc_close();
	return -EIO;
}

void
store_dc_close(void)
{
	int	i;

	for (i = 0; i < Q_MAX; i++) {
		sqlite3_finalize(sdc.q[i]);
		sdc.q[i] = NULL;
	}
	if (sdc.db != NULL)
		sqlite3_close(sdc.db);
	sdc.db = NULL;
}

int
store_dc_put(const struct store_dc_row *r)
{
	sqlite3_stmt	*st = sdc.q[Q_PUT];

	if (sdc.db == NULL)
		return -ENOTCONN;
	store_group_yield();	/* the group's write lock would block this */
	sqlite3_bind_int(st, 1, r->kind);
	sqlite3_bind_text(st, 2, r->cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->cdid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)r->num);
	sqlite3_bind_int64(st, 7, (int64_t)r->expires);
	sqlite3_bind_text(st, 8, r->json ? r->json : "{}", -1, SQLITE_STATIC);
	return sdc_step(st);
}

int
store_dc_del(uint8_t kind, const char *cuid, const char *name)
{
	sqlite3_stmt	*st = sdc.q[Q_DEL];

	if (sdc.db == NULL)
		return -ENOTCONN;
	store_group_yield();	/* the group's write lock would block this */
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	return sdc_step(st);
}

int
store_dc_del_client(const char *cuid)
{
	sqlite3_stmt	*st = sdc.q[Q_DEL_CLIENT];

	if (sdc.db == NULL)
		return -ENOTCONN;
	store_group_yield();	/* the group's write lock would block this */
	sqlite3_bind_text(st, 1, cuid, -1, SQLITE_STATIC);
	return sdc_step(st);
}

static void
sdc_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

int
store_dc_load(int (*cb)(const struct store_dc_row *, void *), void *arg)
{
	sqlite3_stmt		*st = sdc.q[Q_LOAD];
	struct store_dc_row	 r;
	int			 rc, ret = 0;

	if (sdc.db == NULL)
		return -ENOTCONN;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.kind = (uint8_t)sqlite3_column_int(st, 0);
		sdc_text(r.cuid, sizeof(r.cuid), st, 1);
		sdc_text(r.name, sizeof(r.name), st, 2);
		sdc_text(r.client, sizeof(r.client), st, 3);
		sdc_text(r.cdid, sizeof(r.cdid), st, 4);
		r.num = (uint64_t)sqlite3_column_int64(st, 5);
		r.expires = (time_t)sqlite3_column_int64(st, 6);
		r.json = (const char *)sqlite3_column_text(st, 7);
		if ((ret = cb(&r, arg)) < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sdc_err(rc);
	sqlite3_reset(st);
	return ret;
}

uint64_t
store_dc_next_num(void)
{
	sqlite3_stmt	*st = sdc.q[Q_NUM_GET];
	uint64_t	 n = 0;

	if (sdc.db == NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (n == 0)
		return 0;
	sqlite3_bind_int64(sdc.q[Q_NUM_PUT], 1, (int64_t)(n + 1));
	if (sdc_step(sdc.q[Q_NUM_PUT]) != 0)
		return 0;
	return n;
}
