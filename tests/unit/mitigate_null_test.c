/*
 * mitigate_null_test.c: the null backends (mitigate/null.c) record what
 * they are told and fail when told to, each instance on its own.
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "mitigate/null.h"

static char			err[256];
static struct mit_ruleset	rs;

static void
ruleset(uint64_t group, int nrules, int kind)
{
	int	i;

	memset(&rs, 0, sizeof(rs));
	rs.group = group;
	rs.nrules = nrules;
	for (i = 0; i < nrules; i++) {
		rs.rules[i].id = 100 + i;
		rs.rules[i].kind = kind;
		rs.rules[i].dst = pfx("198.18.0.1/32");
		rs.rules[i].dst.addr[3] = i;
	}
}

static void
count_group(uint64_t group, void *arg)
{
	uint64_t	*sum = arg;

	*sum += group;
}

static void
t_records_and_holds(void)
{
	const struct mit_backend *be = &null_backend;
	const struct mit_ruleset *held;
	const struct null_call	*c;
	struct mit_stats	 st = { .pkts_dropped = 7 }, got;
	uint64_t		 sum = 0;

	T_STREQ(be->name, "null");
	T_EQ(be->start(err, sizeof(err)), 0);
	ruleset(4, 3, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	ruleset(8, 1, MIT_KIND_RTBH);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	T_EQ(null_ngroups(be), 2);
	held = null_group(be, 4);
	T_ASSERT(held != NULL);
	T_EQ(held->nrules, 3);
	T_EQ(held->rules[2].id, 102);
	T_EQ(held->rules[2].dst.addr[3], 2);
	T_EQ(be->list(count_group, &sum), 0);
	T_EQ(sum, 12);
	T_EQ(be->stats(4, &got), 0);
	T_EQ(got.pkts_dropped, 0);
	T_EQ(null_set_stats(be, 4, &st), 0);
	T_EQ(be->stats(4, &got), 0);
	T_EQ(got.pkts_dropped, 7);
	T_EQ(null_set_stats(be, 99, &st), -ENOENT);
	T_EQ(be->stats(99, &got), -ENOENT);
	T_EQ(be->withdraw(4, err, sizeof(err)), 0);
	T_EQ(be->withdraw(4, err, sizeof(err)), 0);	/* unknown: fine */
	T_ASSERT(null_group(be, 4) == NULL);
	be->stop();

	T_EQ(null_count(be, NULL_OP_APPLY), 2);
	T_EQ(null_count(be, NULL_OP_WITHDRAW), 2);
	T_EQ(null_count(be, NULL_OP_STATS), 3);
	c = null_call(be, 1);
	T_ASSERT(c != NULL);
	T_EQ(c->op, NULL_OP_APPLY);
	T_EQ(c->group, 4);
	T_EQ(c->nrules, 3);
	T_EQ(c->rc, 0);
	T_ASSERT(null_call(be, null_ncalls(be)) == NULL);
	T_EQ(null_call(be, null_ncalls(be) - 1)->op, NULL_OP_STOP);
	null_reset(be);
	T_EQ(null_ncalls(be), 0);
	T_EQ(null_ngroups(be), 0);
}

static void
t_fail_next_once(void)
{
	const struct mit_backend *be = &null_backend;

	ruleset(4, 1, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	null_fail_next(be, NULL_OP_APPLY, ENOSPC);
	ruleset(4, 2, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), -ENOSPC);
	T_ASSERT(strstr(err, "failing as told") != NULL);
	/* The old set stays. */
	T_EQ(null_group(be, 4)->nrules, 1);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	T_EQ(null_group(be, 4)->nrules, 2);
	null_fail_next(be, NULL_OP_WITHDRAW, EIO);
	T_EQ(be->withdraw(4, err, sizeof(err)), -EIO);
	T_ASSERT(null_group(be, 4) != NULL);
	T_EQ(be->withdraw(4, err, sizeof(err)), 0);
	T_EQ(null_call(be, 1)->rc, -ENOSPC);
}

static void
t_capability_limits(void)
{
	const struct mit_backend *be = &null_backend2;

	T_STREQ(be->name, "null2");
	T_EQ(be->configure("max-rules", "4", err, sizeof(err)), 0);
	T_EQ(be->configure("max-rules", "four", err, sizeof(err)), -EINVAL);
	T_EQ(be->configure("colour", "red", err, sizeof(err)), -EINVAL);
	ruleset(1, 3, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	ruleset(2, 2, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), -E2BIG);
	/* Replacing group 1 by 4 rules fits: its 3 are given back. */
	ruleset(1, 4, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
	T_EQ(be->configure("kinds", "rtbh", err, sizeof(err)), 0);
	T_EQ(be->configure("max-rules", "0", err, sizeof(err)), 0);
	ruleset(3, 1, MIT_KIND_FLOW);
	T_EQ(be->apply(&rs, err, sizeof(err)), -EOPNOTSUPP);
	ruleset(3, 1, MIT_KIND_RTBH);
	T_EQ(be->apply(&rs, err, sizeof(err)), 0);
}

static void
t_instances_independent(void)
{
	ruleset(4, 1, MIT_KIND_FLOW);
	T_EQ(null_backend.apply(&rs, err, sizeof(err)), 0);
	null_fail_next(&null_backend2, NULL_OP_APPLY, EIO);
	T_EQ(null_backend.apply(&rs, err, sizeof(err)), 0);
	T_EQ(null_ngroups(&null_backend), 1);
	T_EQ(null_ngroups(&null_backend2), 0);
	T_EQ(null_backend2.apply(&rs, err, sizeof(err)), -EIO);
	T_EQ(null_adopt(&null_backend2, 40), 0);
	T_EQ(null_ngroups(&null_backend2), 1);
	T_EQ(null_ncalls(&null_backend), 2);
}

int
main(void)
{
	T_RUN(t_records_and_holds);
	T_RUN(t_fail_next_once);
	T_RUN(t_capability_limits);
	T_RUN(t_instances_independent);
	return t_done();
}
