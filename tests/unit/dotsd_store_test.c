/*
 * dotsd_store_test.c: dotsd/store.c: SQLite durability, schema version,
 * WAL + synchronous=FULL, id monotonicity, transactions, cuid and session
 * configuration tables, and the data channel's tables (store_dc.c) on
 * the same connection beside a group commit. Each test reopens the file as a restart would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dotsd/store.h"
#include "dotsd/store_dc.h"
#include "lib/log.h"
#include "tests/t.h"

static char	dir[64], path[128];

static void
db_remove(void)
{
	char	p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static void
fresh(void)
{
	char	err[256];

	db_remove();
	if (store_open(path, err, sizeof(err)) != 0)
		T_FAIL("store_open: %s", err);
}

static void
reopen(void)
{
	char	err[256];

	store_close();
	if (store_open(path, err, sizeof(err)) != 0)
		T_FAIL("store_open: %s", err);
}

static struct store_mit
mit(uint64_t id, uint32_t mid, const char *scope)
{
	struct store_mit m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	snprintf(m.client, sizeof(m.client), "c0");
	snprintf(m.cuid, sizeof(m.cuid), "dz6pHjaADkaFTbjr0JGBpw");
	m.mid = mid;
	m.lifetime = 3600;
	m.expires = 1700003600;
	m.started = 1700000000;
	m.status = 2;
	m.trigger = 1;
	m.scope_json = (char *)(uintptr_t)scope;
	return m;
}

struct seen {
	int		 n;
	struct store_mit last;
	char		 scope[256];
	char		 extra[256];
};

static int
collect(const struct store_mit *m, void *arg)
{
	struct seen	*s = arg;

	s->n++;
	s->last = *m;
	snprintf(s->scope, sizeof(s->scope), "%s", m->scope_json);
	snprintf(s->extra, sizeof(s->extra), "%s",
	    m->extra_json ? m->extra_json : "(null)");
	s->last.scope_json = s->last.extra_json = NULL;
	return 0;
}

static int
stop_at_first(const struct store_mit *m, void *arg)
{
	return -ECANCELED;
}

static void
t_put_reopen_load(void)
{
	struct store_mit m = mit(7, 123, "{\"target-prefix\":[\"x\"]}");
	struct seen	 s = { 0 };

	fresh();
	m.extra_json = (char *)(uintptr_t)"{\"abt\":240}";
	m.lifetime = -1;
	m.expires = 0;
	snprintf(m.cdid, sizeof(m.cdid), "7eeaf349529eb55ed50113");
	T_EQ(store_mit_put(&m), 0);
	reopen();
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 1);
	T_EQ(s.last.id, 7);
	T_EQ(s.last.mid, 123);
	T_EQ(s.last.lifetime, -1);
	T_EQ(s.last.expires, 0);
	T_EQ(s.last.started, 1700000000);
	T_EQ(s.last.status, 2);
	T_EQ(s.last.trigger, 1);
	T_STREQ(s.last.client, "c0");
	T_STREQ(s.last.cdid, "7eeaf349529eb55ed50113");
	T_STREQ(s.scope, "{\"target-prefix\":[\"x\"]}");
	T_STREQ(s.extra, "{\"abt\":240}");
	/* replace, then delete */
	m.status = 5;
	m.extra_json = NULL;
	T_EQ(store_mit_put(&m), 0);
	memset(&s, 0, sizeof(s));
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 1);
	T_EQ(s.last.status, 5);
	T_STREQ(s.extra, "(null)");
	T_EQ(store_mit_del(7), 0);
	reopen();
	memset(&s, 0, sizeof(s));
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 0);
	/* the callback can stop the walk */
	T_EQ(store_mit_put(&m), 0);
	T_EQ(store_mit_load(stop_at_first, NULL), -ECANCELED);
	store_close();
}

static void
t_bad_input(void)
{
	struct store_mit m = mit(0, 1, "{}");

	fresh();
	T_EQ(store_mit_put(&m), -EINVAL);
	m.id = 1;
	m.scope_json = NULL;
	T_EQ(store_mit_put(&m), -EINVAL);
	store_close();
	m.scope_json = (char *)(uintptr_t)"{}";
	T_EQ(store_mit_put(&m), -ENOTCONN);
	T_EQ(store_cfg_put("c0", 1, "{}"), -ENOTCONN);
}

static void
t_next_id_monotonic(void)
{
	struct store_mit m;
	uint64_t	 a, b;

	fresh();
	a = store_next_id();
	b = store_next_id();
	T_ASSERT(b > a);
	m = mit(b, 1, "{}");
	T_EQ(store_mit_put(&m), 0);
	T_EQ(store_mit_del(b), 0);
	/* even with the row gone, a restart never hands out b again */
	reopen();
	T_ASSERT(store_next_id() > b);
	store_close();
}

static void
t_transaction(void)
{
	struct store_mit m1 = mit(1, 1, "{}"), m2 = mit(2, 2, "{}");
	struct seen	 s = { 0 };

	fresh();
	T_EQ(store_mit_put(&m1), 0);
	T_EQ(store_begin(), 0);
	T_EQ(store_begin(), -EALREADY);
	T_EQ(store_mit_put(&m2), 0);
	T_EQ(store_mit_del(1), 0);
	store_rollback();
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 1);
	T_EQ(s.last.id, 1);
	T_EQ(store_begin(), 0);
	T_EQ(store_mit_put(&m2), 0);
	T_EQ(store_mit_del(1), 0);
	T_EQ(store_commit(), 0);
	reopen();
	memset(&s, 0, sizeof(s));
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 1);
	T_EQ(s.last.id, 2);
	/* (client, cuid, mid) is unique: a new id for it replaces the row */
	m1 = mit(3, 2, "{}");
	T_EQ(store_mit_put(&m1), 0);
	memset(&s, 0, sizeof(s));
	T_EQ(store_mit_load(collect, &s), 0);
	T_EQ(s.n, 1);
	T_EQ(s.last.id, 3);
	store_close();
}

static int
cuid_cb(const char *cuid, const char *client, time_t last, void *arg)
{
	snprintf(arg, 128, "%s=%s@%lld", cuid, client, (long long)last);
	return 0;
}

static int
cfg_cb(const char *client, uint32_t sid, const char *json, void *arg)
{
	snprintf(arg, 128, "%s/%u/%s", client, sid, json);
	return 0;
}

static void
t_cuid_and_cfg(void)
{
	char	got[128] = "";

	fresh();
	T_EQ(store_cuid_put("abc", "c0", 100), 0);
	T_EQ(store_cuid_put("abc", "c1", 200), 0);
	T_EQ(store_cfg_put("c0", 123, "{\"a\":1}"), 0);
	T_EQ(store_cfg_put("c0", 124, "{\"a\":2}"), 0);
	reopen();
	T_EQ(store_cuid_load(cuid_cb, got), 0);
	T_STREQ(got, "abc=c1@200");
	T_EQ(store_cfg_load(cfg_cb, got), 0);
	T_STREQ(got, "c0/124/{\"a\":2}");
	T_EQ(store_cfg_del("c0"), 0);
	T_EQ(store_cuid_del("abc"), 0);
	got[0] = '\0';
	T_EQ(store_cfg_load(cfg_cb, got), 0);
	T_EQ(store_cuid_load(cuid_cb, got), 0);
	T_STREQ(got, "");
	store_close();
}

static int	hook_calls;

/* What mitreq_flush() does for the daemon: commit the group (and answer). */
static void
group_hook(void)
{
	hook_calls++;
	T_EQ(store_group_commit(), 0);
}

static int
dc_cb(const struct store_dc_row *r, void *arg)
{
	snprintf(arg, 256, "%u/%s/%s/%llu/%s", r->kind, r->cuid, r->name,
	    (unsigned long long)r->num, r->json);
	return 0;
}

static void
dc_open(void)
{
	char	err[256];

	if (store_dc_open(err, sizeof(err)) != 0)
		T_FAIL("store_dc_open: %s", err);
}

/*
 * One connection: a data channel write while a group commit is open
 * commits the group first (the hook answers it), then commits on its own;
 * with no hook to end the group it is refused rather than joined, since
 * its 201 would go out before the commit.
 */
static void
t_dc_beside_group(void)
{
	struct store_mit	m1 = mit(1, 1, "{}");
	struct store_dc_row	r = { .kind = STORE_DC_ACL, .cuid = "cu",
	    .name = "a1", .client = "c0", .num = 0, .json = "{\"x\":1}" };
	char			got[256] = "";
	uint64_t		n1, n2;

	fresh();
	T_EQ(store_dc_open(got, sizeof(got)), 0);
	n1 = store_dc_next_num();
	n2 = store_dc_next_num();
	T_ASSERT(n1 > 0 && n2 == n1 + 1);
	r.num = n2;
	store_group_hook(group_hook);
	T_EQ(store_group_begin(), 0);
	T_EQ(store_mit_put(&m1), 0);
	hook_calls = 0;
	T_EQ(store_dc_put(&r), 0);
	T_EQ(hook_calls, 1);
	T_EQ(store_group_active(), 0);
	/* both committed: a restart sees them */
	store_dc_close();
	reopen();
	dc_open();
	T_EQ(store_dc_load(dc_cb, got), 0);
	T_STREQ(got, "2/cu/a1/2/{\"x\":1}");
	T_ASSERT(store_dc_next_num() == n2 + 1);
	store_group_hook(NULL);
	T_EQ(store_group_begin(), 0);
	T_EQ(store_dc_del(STORE_DC_ACL, "cu", "a1"), -EBUSY);
	T_EQ(store_group_commit(), 0);
	T_EQ(store_dc_del_client("cu"), 0);
	got[0] = '\0';
	T_EQ(store_dc_load(dc_cb, got), 0);
	T_STREQ(got, "");
	store_dc_close();
	store_close();
	T_EQ(store_dc_open(got, sizeof(got)), -ENOTCONN);
}

/* What the file says about itself: WAL, schema version. */
static void
t_pragmas(void)
{
	sqlite3		*db;
	sqlite3_stmt	*st;

	fresh();
	store_close();
	T_EQ(sqlite3_open(path, &db), SQLITE_OK);
	T_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	T_EQ(sqlite3_step(st), SQLITE_ROW);
	T_STREQ((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	T_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	    SQLITE_OK);
	T_EQ(sqlite3_step(st), SQLITE_ROW);
	T_EQ(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	/* a newer schema than ours: refused, not damaged */
	T_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	{
		char	err[256];

		T_EQ(store_open(path, err, sizeof(err)), -EPROTO);
		T_ASSERT(strstr(err, "newer") != NULL);
	}
}

static void
t_unwritable(void)
{
	char	err[256];

	T_ASSERT(store_open("/nonexistent-dir/x.db", err, sizeof(err)) < 0);
	T_ASSERT(err[0] != '\0');
}

int
main(void)
{
	log_init(1, 0, "store_test");
	snprintf(dir, sizeof(dir), "/tmp/store-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/dotsd.db", dir);
	T_RUN(t_put_reopen_load);
	T_RUN(t_bad_input);
	T_RUN(t_next_id_monotonic);
	T_RUN(t_transaction);
	T_RUN(t_cuid_and_cfg);
	T_RUN(t_dc_beside_group);
	T_RUN(t_pragmas);
	T_RUN(t_unwritable);
	db_remove();
	rmdir(dir);
	return t_done();
}
