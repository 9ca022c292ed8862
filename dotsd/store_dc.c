/*
 * store_dc.c: the data channel's rows in SQLite (store_dc.h), on
 * store.c's connection (WAL, synchronous=FULL): every write is a
 * transaction of its own, after any open group commit has been committed
 * and answered (store_write_own), so a change is on disk when its
 * function returns and a kill -9 after a 201/204 loses nothing.
 *
 * Single-threaded: only the main loop calls these (the HTTPS thread
 * hands its requests over, datachan.c), as for store.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "dotsd/store_dc.h"
#include "dotsd/store_int.h"
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

/* Statements on store.c's connection (store_int.h). */
struct store_dc {
	sqlite3		*db;		/* store_db() when opened */
	sqlite3_stmt	*q[Q_MAX];
};

static struct store_dc	sdc;

/*
 * Creates the data channel's tables in the database store_open() opened
 * and prepares its statements there. 0 or -errno with err filled.
 */
int
store_dc_open(char *err, size_t errlen)
{
	int	rc, i;

	store_dc_close();
	if ((sdc.db = store_db()) == NULL) {
		snprintf(err, errlen, "data channel tables: no database open");
		return -ENOTCONN;
	}
	if ((rc = store_exec(schema)) < 0)
		goto fail;
	for (i = 0; i < Q_MAX; i++)
		if (sqlite3_prepare_v2(sdc.db, q_sql[i], -1, &sdc.q[i],
		    NULL) != SQLITE_OK) {
			rc = -EIO;
			goto fail;
		}
	return 0;
 fail:
	snprintf(err, errlen, "data channel tables: %s",
	    sqlite3_errmsg(sdc.db));
	store_dc_close();
	return rc;
}

/* Before store_close(): the connection stays store.c's. */
void
store_dc_close(void)
{
	int	i;

	for (i = 0; i < Q_MAX; i++) {
		sqlite3_finalize(sdc.q[i]);
		sdc.q[i] = NULL;
	}
	sdc.db = NULL;
}

int
store_dc_put(const struct store_dc_row *r)
{
	sqlite3_stmt	*st = sdc.q[Q_PUT];

	if (sdc.db == NULL)
		return -ENOTCONN;
	sqlite3_bind_int(st, 1, r->kind);
	sqlite3_bind_text(st, 2, r->cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->cdid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)r->num);
	sqlite3_bind_int64(st, 7, (int64_t)r->expires);
	sqlite3_bind_text(st, 8, r->json ? r->json : "{}", -1, SQLITE_STATIC);
	return store_write_own(st);
}

int
store_dc_del(uint8_t kind, const char *cuid, const char *name)
{
	sqlite3_stmt	*st = sdc.q[Q_DEL];

	if (sdc.db == NULL)
		return -ENOTCONN;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	return store_write_own(st);
}

int
store_dc_del_client(const char *cuid)
{
	sqlite3_stmt	*st = sdc.q[Q_DEL_CLIENT];

	if (sdc.db == NULL)
		return -ENOTCONN;
	sqlite3_bind_text(st, 1, cuid, -1, SQLITE_STATIC);
	return store_write_own(st);
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
		ret = store_sql_err(rc);
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
	if (store_write_own(sdc.q[Q_NUM_PUT]) != 0)
		return 0;
	return n;
}
