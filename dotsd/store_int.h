/*
 * store_int.h: store.c's connection for the other tables of dotsd's
 * database (store_dc.c). One connection for all of them, so that one
 * transaction order holds: a write that is not the group commit's ends
 * the group first (its answers go out once it is durable), then commits
 * on its own, durable when it returns. Not for other modules.
 */
#ifndef DOTSD_STORE_INT_H
#define DOTSD_STORE_INT_H

#include <sqlite3.h>

sqlite3	*store_db(void);		/* NULL when not open */
int	 store_sql_err(int sqlite_rc);	/* 0 or -errno */
int	 store_exec(const char *sql);	/* logs a failure; 0 or -errno */
/*
 * Runs a bound write statement that is not the group's as a transaction
 * of its own (an open group is committed and answered first) and resets
 * it. Durable when it returns 0.
 */
int	 store_write_own(sqlite3_stmt *st);

#endif
