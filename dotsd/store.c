/*
 * store.c: durable state of dotsd in SQLite: accepted mitigation requests,
 * cuid ownership and session configurations. The database runs in WAL mode
 * with synchronous=FULL, so a change is on disk when its function returns:
 * callers commit before they acknowledge (RFC 9132 gives a client no way
 * to learn that an acknowledged request was lost).
 *
 * Single-threaded: only the main loop calls these. The data channel's
 * tables (store_dc.c) share this connection (store_int.h): its HTTPS
 * thread hands every checked request to the main loop (datachan.c), so
 * all writes come from one thread and need no lock of ours, and one
 * connection means no second writer waiting on the group's write lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dotsd/store.h"
#include "dotsd/store_int.h"
#include "lib/log.h"

#define STORE_VERSION	1	/* PRAGMA user_version of the schema below */

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS mit ("
    " id INTEGER PRIMARY KEY,"
    " client TEXT NOT NULL, cuid TEXT NOT NULL, cdid TEXT NOT NULL,"
    " mid INTEGER NOT NULL, lifetime INTEGER NOT NULL,"
    " expires INTEGER NOT NULL, started INTEGER NOT NULL,"
    " terminating_until INTEGER NOT NULL, status INTEGER NOT NULL,"
    " trig INTEGER NOT NULL, scope TEXT NOT NULL, extra TEXT,"
    " UNIQUE (client, cuid, mid));"
    "CREATE TABLE IF NOT EXISTS cfg ("
    " client TEXT PRIMARY KEY, sid INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cuid ("
    " cuid TEXT PRIMARY KEY, client TEXT NOT NULL,"
    " last_used INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta ("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

enum stmt {
	ST_MIT_PUT = 0,
	ST_MIT_DEL,
	ST_MIT_LOAD,
	ST_CFG_PUT,
	ST_CFG_DEL,
	ST_CFG_LOAD,
	ST_CUID_PUT,
	ST_CUID_DEL,
	ST_CUID_LOAD,
	ST_NEXT_PUT,
	ST_MAX
};

static const char *const stmt_sql[ST_MAX] = {
	[ST_MIT_PUT] = "INSERT OR REPLACE INTO mit (id, client, cuid, cdid,"
	    " mid, lifetime, expires, started, terminating_until, status,"
	    " trig, scope, extra) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_MIT_DEL] = "DELETE FROM mit WHERE id = ?",
	[ST_MIT_LOAD] = "SELECT id, client, cuid, cdid, mid, lifetime,"
	    " expires, started, terminating_until, status, trig, scope, extra"
	    " FROM mit ORDER BY id",
	[ST_CFG_PUT] = "INSERT OR REPLACE INTO cfg (client, sid, json)"
	    " VALUES (?,?,?)",
	[ST_CFG_DEL] = "DELETE FROM cfg WHERE client = ?",
	[ST_CFG_LOAD] = "SELECT client, sid, json FROM cfg",
	[ST_CUID_PUT] = "INSERT OR REPLACE INTO cuid (cuid, client, last_used)"
	    " VALUES (?,?,?)",
	[ST_CUID_DEL] = "DELETE FROM cuid WHERE cuid = ?",
	[ST_CUID_LOAD] = "SELECT cuid, client, last_used FROM cuid",
	[ST_NEXT_PUT] = "INSERT INTO meta (key, value) VALUES ('next_id', ?)"
	    " ON CONFLICT(key) DO UPDATE SET value = max(value, excluded.value)",
};

static sqlite3		*db;
static sqlite3_stmt	*stmts[ST_MAX];
static uint64_t		 next_id = 1;
static int		 in_txn;	/* inside store_begin() */
static int		 in_group;	/* inside store_group_begin() */
static void		(*group_hook)(void);	/* ends the group first */

static int
sql_err(int rc)
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
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EACCES;
	default:
		return -EIO;
	}
}

static int
exec(const char *sql)
{
	char	*msg = NULL;
	int	 rc;

	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return sql_err(rc);
}

/* Runs a prepared write statement to completion and resets it. */
static int
step_done(sqlite3_stmt *st)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		log_warnx("store: %s", sqlite3_errmsg(db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_err(rc);
}

/*
 * A single statement outside store_begin() is its own transaction and
 * therefore durable on return (synchronous=FULL).
 */
static int
write_one(sqlite3_stmt *st)
{
	if (db == NULL) {
		sqlite3_reset(st);
		return -ENOTCONN;
	}
	return step_done(st);
}

static void
text_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

static int
migrate(char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 version = 0, rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL)
	    != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	if (version > STORE_VERSION) {
		snprintf(err, errlen, "database schema version %d is newer "
		    "than this dotsd (%d)", version, STORE_VERSION);
		return -EPROTO;
	}
	if (version == STORE_VERSION)
		return 0;
	/* Version 0: empty file. Later versions add steps here. */
	if ((rc = exec("BEGIN IMMEDIATE")) < 0)
		goto fail;
	if ((rc = exec(schema_v1)) < 0 ||
	    (rc = exec("PRAGMA user_version = 1")) < 0) {
		exec("ROLLBACK");
		goto fail;
	}
	if (exec("COMMIT") < 0)
		goto fail;
	return 0;
 fail:
	snprintf(err, errlen, "schema: %s", sqlite3_errmsg(db));
	return -EIO;
}

static int
load_next_id(void)
{
	sqlite3_stmt	*st;
	uint64_t	 v;

	if (sqlite3_prepare_v2(db, "SELECT max(coalesce((SELECT value FROM "
	    "meta WHERE key = 'next_id'), 1), coalesce((SELECT max(id) + 1 "
	    "FROM mit), 1))", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = (uint64_t)sqlite3_column_int64(st, 0);
		next_id = v ? v : 1;
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * Opens (creating if needed) the database at path and brings its schema to
 * the current version. Returns 0 or -errno with err filled.
 */
int
store_open(const char *path, char *err, size_t errlen)
{
	int	rc, i;

	if (db != NULL)
		store_close();
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		rc = sql_err(rc);
		goto fail;
	}
	sqlite3_busy_timeout(db, 2000);
	/* Acknowledged = durable: WAL, and fsync at every commit. */
	if ((rc = exec("PRAGMA journal_mode = WAL")) < 0 ||
	    (rc = exec("PRAGMA synchronous = FULL")) < 0 ||
	    (rc = exec("PRAGMA foreign_keys = ON")) < 0) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		goto fail;
	}
	if ((rc = migrate(err, errlen)) < 0)
		goto fail;
	for (i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v2(db, stmt_sql[i], -1, &stmts[i], NULL)
		    != SQLITE_OK) {
			snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(db));
			rc = -EIO;
			goto fail;
		}
	}
	if ((rc = load_next_id()) < 0) {
		snprintf(err, errlen, "next id: %s", sqlite3_errmsg(db));
		goto fail;
	}
	return 0;
 fail:
	store_close();
	return rc;
}

void
store_close(void)
{
	int	i;

	for (i = 0; i < ST_MAX; i++) {
		sqlite3_finalize(stmts[i]);
		stmts[i] = NULL;
	}
	if (db != NULL)
		sqlite3_close(db);
	db = NULL;
	in_txn = 0;
	in_group = 0;
}

/*
 * Groups several changes into one transaction (e.g. a new mid replacing a
 * lower one). Nothing is durable until store_commit() returns 0.
 */
int
store_begin(void)
{
	int	rc;

	if (db == NULL)
		return -ENOTCONN;
	if (in_txn)
		return -EALREADY;
	/* inside a group: a savepoint, so that a rollback is this one's */
	if ((rc = exec(in_group ? "SAVEPOINT one" : "BEGIN IMMEDIATE")) == 0)
		in_txn = 1;
	return rc;
}

int
store_commit(void)
{
	int	rc;

	if (!in_txn)
		return -EINVAL;
	if (in_group) {
		/* durable with the group */
		in_txn = 0;
		if ((rc = exec("RELEASE one")) < 0) {
			exec("ROLLBACK TO one");
			exec("RELEASE one");
		}
		return rc;
	}
	rc = exec("COMMIT");
	if (rc < 0) {
		exec("ROLLBACK");
	}
	in_txn = 0;
	return rc;
}

void
store_rollback(void)
{
	if (in_txn && in_group) {
		exec("ROLLBACK TO one");
		exec("RELEASE one");
	} else if (in_txn)
		exec("ROLLBACK");
	in_txn = 0;
}

/*
 * Group commit: every change until store_group_commit() is one
 * transaction, one fsync for several requests. Their callers answer
 * only after store_group_commit() returned 0; a crash before it loses
 * the group, and nothing of it was acknowledged. 0 or -errno.
 */
int
store_group_begin(void)
{
	int	rc;

	if (db == NULL)
		return -ENOTCONN;
	if (in_txn || in_group)
		return -EALREADY;
	if ((rc = exec("BEGIN IMMEDIATE")) == 0)
		in_group = 1;
	return rc;
}

int
store_group_commit(void)
{
	int	rc;

	if (!in_group)
		return -EINVAL;
	if (in_txn)
		store_rollback();	/* a member that never finished */
	if ((rc = exec("COMMIT")) < 0)
		exec("ROLLBACK");
	in_group = 0;
	return rc;
}

int
store_group_active(void)
{
	return in_group;
}

/*
 * fn ends an open group (commits it and answers its requests): called
 * before a write that does not belong to the group, such as a session
 * configuration, which its caller acknowledges at once.
 */
void
store_group_hook(void (*fn)(void))
{
	group_hook = fn;
}

static void
foreign_write(void)
{
	if (in_group && group_hook != NULL)
		group_hook();
}

sqlite3 *
store_db(void)
{
	return db;
}

int
store_sql_err(int rc)
{
	return sql_err(rc);
}

int
store_exec(const char *sql)
{
	return db == NULL ? -ENOTCONN : exec(sql);
}

int
store_write_own(sqlite3_stmt *st)
{
	if (db == NULL) {
		sqlite3_reset(st);
		return -ENOTCONN;
	}
	foreign_write();
	if (in_txn || in_group) {
		/* joining it would answer before the commit: refuse */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -EBUSY;
	}
	return write_one(st);
}

int
store_mit_put(const struct store_mit *m)
{
	sqlite3_stmt	*st = stmts[ST_MIT_PUT];
	int		 rc, own;

	if (db == NULL)
		return -ENOTCONN;
	if (m->id == 0 || m->id > INT64_MAX || m->scope_json == NULL)
		return -EINVAL;
	sqlite3_bind_int64(st, 1, (int64_t)m->id);
	sqlite3_bind_text(st, 2, m->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->cdid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, m->mid);
	sqlite3_bind_int64(st, 6, m->lifetime);
	sqlite3_bind_int64(st, 7, (int64_t)m->expires);
	sqlite3_bind_int64(st, 8, (int64_t)m->started);
	sqlite3_bind_int64(st, 9, (int64_t)m->terminating_until);
	sqlite3_bind_int(st, 10, m->status);
	sqlite3_bind_int(st, 11, m->trigger);
	sqlite3_bind_text(st, 12, m->scope_json, -1, SQLITE_STATIC);
	if (m->extra_json != NULL)
		sqlite3_bind_text(st, 13, m->extra_json, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 13);
	/* row and id high-water mark in one commit (one fsync) */
	own = !in_txn && !in_group;
	if (own && (rc = exec("BEGIN IMMEDIATE")) < 0) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return rc;
	}
	if ((rc = write_one(st)) < 0)
		goto out;
	/* Keep ids monotonic even after this row is deleted again. */
	st = stmts[ST_NEXT_PUT];
	sqlite3_bind_int64(st, 1, (int64_t)m->id + 1);
	rc = write_one(st);
 out:
	if (own) {
		if (rc == 0)
			rc = exec("COMMIT");
		if (rc < 0)
			exec("ROLLBACK");
	}
	return rc;
}

int
store_mit_del(uint64_t id)
{
	sqlite3_stmt	*st = stmts[ST_MIT_DEL];

	if (db == NULL)
		return -ENOTCONN;
	sqlite3_bind_int64(st, 1, (int64_t)id);
	return write_one(st);
}

/*
 * Calls cb for every stored mitigation in id order. The strings of the
 * struct are valid during the call only. Returns 0, cb's negative value,
 * or -errno.
 */
int
store_mit_load(int (*cb)(const struct store_mit *, void *), void *arg)
{
	sqlite3_stmt	*st = stmts[ST_MIT_LOAD];
	struct store_mit m;
	int		 rc, ret = 0;

	if (db == NULL)
		return -ENOTCONN;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.id = (uint64_t)sqlite3_column_int64(st, 0);
		text_col(m.client, sizeof(m.client), st, 1);
		text_col(m.cuid, sizeof(m.cuid), st, 2);
		text_col(m.cdid, sizeof(m.cdid), st, 3);
		m.mid = (uint32_t)sqlite3_column_int64(st, 4);
		m.lifetime = sqlite3_column_int64(st, 5);
		m.expires = (time_t)sqlite3_column_int64(st, 6);
		m.started = (time_t)sqlite3_column_int64(st, 7);
		m.terminating_until = (time_t)sqlite3_column_int64(st, 8);
		m.status = (uint8_t)sqlite3_column_int(st, 9);
		m.trigger = (uint8_t)sqlite3_column_int(st, 10);
		if (sqlite3_column_text(st, 11) == NULL)
			continue;
		/* the struct's strings are the caller's: copies */
		m.scope_json = strdup((const char *)sqlite3_column_text(st,
		    11));
		if (sqlite3_column_text(st, 12) != NULL)
			m.extra_json = strdup((const char *)
			    sqlite3_column_text(st, 12));
		if (m.scope_json == NULL) {
			free(m.extra_json);
			ret = -ENOMEM;
			break;
		}
		ret = cb(&m, arg);
		free(m.scope_json);
		free(m.extra_json);
		if (ret < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sql_err(rc);
	sqlite3_reset(st);
	return ret;
}

int
store_cfg_put(const char *client, uint32_t sid, const char *json)
{
	sqlite3_stmt	*st = stmts[ST_CFG_PUT];

	if (db == NULL)
		return -ENOTCONN;
	foreign_write();
	sqlite3_bind_text(st, 1, client, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, sid);
	sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
	return write_one(st);
}

int
store_cfg_del(const char *client)
{
	sqlite3_stmt	*st = stmts[ST_CFG_DEL];

	if (db == NULL)
		return -ENOTCONN;
	foreign_write();
	sqlite3_bind_text(st, 1, client, -1, SQLITE_STATIC);
	return write_one(st);
}

int
store_cfg_load(int (*cb)(const char *, uint32_t, const char *, void *),
    void *arg)
{
	sqlite3_stmt	*st = stmts[ST_CFG_LOAD];
	const char	*client, *json;
	int		 rc, ret = 0;

	if (db == NULL)
		return -ENOTCONN;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		client = (const char *)sqlite3_column_text(st, 0);
		json = (const char *)sqlite3_column_text(st, 2);
		if (client == NULL || json == NULL)
			continue;
		ret = cb(client, (uint32_t)sqlite3_column_int64(st, 1), json,
		    arg);
		if (ret < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sql_err(rc);
	sqlite3_reset(st);
	return ret;
}

int
store_cuid_put(const char *cuid, const char *client, time_t last_used)
{
	sqlite3_stmt	*st = stmts[ST_CUID_PUT];

	if (db == NULL)
		return -ENOTCONN;
	sqlite3_bind_text(st, 1, cuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, client, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)last_used);
	return write_one(st);
}

int
store_cuid_del(const char *cuid)
{
	sqlite3_stmt	*st = stmts[ST_CUID_DEL];

	if (db == NULL)
		return -ENOTCONN;
	sqlite3_bind_text(st, 1, cuid, -1, SQLITE_STATIC);
	return write_one(st);
}

int
store_cuid_load(int (*cb)(const char *cuid, const char *client,
    time_t last_used, void *), void *arg)
{
	sqlite3_stmt	*st = stmts[ST_CUID_LOAD];
	const char	*cuid, *client;
	int		 rc, ret = 0;

	if (db == NULL)
		return -ENOTCONN;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cuid = (const char *)sqlite3_column_text(st, 0);
		client = (const char *)sqlite3_column_text(st, 1);
		if (cuid == NULL || client == NULL)
			continue;
		ret = cb(cuid, client, (time_t)sqlite3_column_int64(st, 2),
		    arg);
		if (ret < 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sql_err(rc);
	sqlite3_reset(st);
	return ret;
}

/*
 * Next unused mitigation id. Ids handed out but never stored may come back
 * after a restart; nothing refers to them, since a mitigation is stored
 * before the engine sees it.
 */
uint64_t
store_next_id(void)
{
	return next_id++;
}
