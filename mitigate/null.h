/*
 * null.h: test hooks of the null backends (mitigate/null.c).
 *
 * Two instances record independently: null_backend ("null") and
 * null_backend2 ("null2"), so one can stand in for xdp and the other for
 * bgp. Each keeps the groups it holds (with their rules), a log of every
 * call, counters a test sets per group, and can be told to fail.
 */
#ifndef MITIGATE_NULL_H
#define MITIGATE_NULL_H

#include <stddef.h>
#include <stdint.h>

#include "mitigate/mitigate.h"

extern const struct mit_backend null_backend2;

enum null_op {
	NULL_OP_CONFIGURE = 0,
	NULL_OP_START,
	NULL_OP_STOP,
	NULL_OP_APPLY,
	NULL_OP_WITHDRAW,
	NULL_OP_STATS,
	NULL_OP_LIST,
};

/* One recorded call. */
struct null_call {
	uint8_t		op;		/* enum null_op */
	int		rc;		/* what it returned */
	uint64_t	group;		/* apply, withdraw, stats */
	uint32_t	nrules;		/* apply */
};

/* Forgets groups, calls, stats and armed failures of be. */
void	null_reset(const struct mit_backend *be);
/* Number of calls recorded, and call i (NULL past the end). */
size_t	null_ncalls(const struct mit_backend *be);
const struct null_call *null_call(const struct mit_backend *be, size_t i);
/* Number of calls of op recorded. */
size_t	null_count(const struct mit_backend *be, enum null_op op);
/*
 * Makes the next call of op (NULL_OP_APPLY or NULL_OP_WITHDRAW) fail with
 * -err, once, without changing anything.
 */
void	null_fail_next(const struct mit_backend *be, enum null_op op, int err);
/* Number of groups held, and the rules of group (NULL if not held). */
size_t	null_ngroups(const struct mit_backend *be);
const struct mit_ruleset *null_group(const struct mit_backend *be,
	    uint64_t group);
/* Sets the counters stats() reports for group (held or not). */
int	null_set_stats(const struct mit_backend *be, uint64_t group,
	    const struct mit_stats *st);
/* Adds a group as if adopted from a previous run (e.g. pinned maps). */
int	null_adopt(const struct mit_backend *be, uint64_t group);

#endif
