/*
 * mitigate_filter_test.c: mitigate/filter.c, RFC 8783 filters as local
 * groups of their own beside mitigations, with the null backends.
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "mitigate/internal.h"
#include "mitigate/null.h"

#define LOCAL	(&null_backend)

static char	err[256];

static void
setup(const char *max_rules)
{
	T_EQ(engine_configure("local-backend", "null", err, sizeof(err)), 0);
	if (max_rules != NULL)
		T_EQ(engine_configure("max-rules", max_rules, err,
		    sizeof(err)), 0);
	T_EQ(engine_add_backend(LOCAL), 0);
	T_EQ(engine_add_backend(&null_backend2), 0);
	T_EQ(engine_start(err, sizeof(err)), 0);
	engine_tick(1000);
}

static struct mit_filter
filter(uint64_t id, const char *dst, int action)
{
	struct mit_filter	f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	strcpy(f.client, "client1");
	f.policy.backends = MIT_WHERE_XDP;
	f.policy.pin_level = -1;
	f.nrules = 1;
	f.rules[0].dst = pfx(dst);
	f.rules[0].action = (uint8_t)action;
	return f;
}

static void
consistent(void)
{
	char	report[512];
	int	n = engine_reconcile(report, sizeof(report));

	if (n != 0)
		T_FAIL("reconcile: %d differences:%s", n, report);
}

/* A filter and a mitigation with the same id are different groups. */
static void
t_own_group_space(void)
{
	struct mitigation	 m = mit(7, "198.18.0.1/32");
	struct mit_filter	 f = filter(7, "198.18.0.1/32", MIT_ACT_ACCEPT);
	const struct mit_ruleset *rs;

	setup(NULL);
	T_EQ(engine_apply(&m, err, sizeof(err)), 0);
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	T_EQ(null_ngroups(LOCAL), 2);
	T_ASSERT(FILTER_GROUP(7) != GROUP_OF(7, SLOT_LOCAL));
	rs = null_group(LOCAL, FILTER_GROUP(7));
	T_ASSERT(rs != NULL);
	T_EQ(rs->nrules, 1);
	T_EQ(rs->rules[0].action, MIT_ACT_ACCEPT);
	T_EQ(rs->rules[0].kind, MIT_KIND_FLOW);
	consistent();
	T_EQ(engine_filter_withdraw(7), 0);
	T_ASSERT(null_group(LOCAL, FILTER_GROUP(7)) == NULL);
	T_ASSERT(null_group(LOCAL, GROUP_OF(7, SLOT_LOCAL)) != NULL);
	consistent();
	T_EQ(engine_filter_withdraw(7), 0);	/* unknown: no error */
}

/* Counters come from the filter's own group. */
static void
t_stats(void)
{
	struct mit_filter	f = filter(3, "198.18.0.0/24", MIT_ACT_DROP);
	struct mit_stats	st = { .pkts_dropped = 5, .bytes_dropped = 300 };

	setup(NULL);
	T_EQ(engine_filter_stats(3, &st), -ENOENT);
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	st.pkts_dropped = 5;
	st.bytes_dropped = 300;
	T_EQ(null_set_stats(LOCAL, FILTER_GROUP(3), &st), 0);
	memset(&st, 0, sizeof(st));
	T_EQ(engine_filter_stats(3, &st), 0);
	T_EQ(st.pkts_dropped, 5);
	T_EQ(st.bytes_dropped, 300);
}

/* Filters count towards max-rules; a refusal changes nothing. */
static void
t_ceilings(void)
{
	struct mit_filter	f = filter(1, "198.18.0.0/24", MIT_ACT_DROP);
	struct mit_filter	g = filter(2, "198.18.1.0/24", MIT_ACT_DROP);
	struct mitigation	m = mit(9, "198.18.2.1/32");

	setup("2");
	f.nrules = 2;
	f.rules[1] = f.rules[0];
	f.rules[1].dst = pfx("198.18.0.128/25");
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	T_EQ(engine_filter_apply(&g, err, sizeof(err)), -E2BIG);
	T_EQ(engine_apply(&m, err, sizeof(err)), -E2BIG);
	T_EQ(null_ngroups(LOCAL), 1);
	/* replacing with fewer rules frees room */
	f.nrules = 1;
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	T_EQ(engine_filter_apply(&g, err, sizeof(err)), 0);
	T_EQ(engine_filter_withdraw(1), 0);
	T_EQ(engine_apply(&m, err, sizeof(err)), 0);
	consistent();
}

/* A backend failure leaves the old version; bad filters are refused. */
static void
t_failure_and_validation(void)
{
	struct mit_filter	f = filter(4, "198.18.0.0/24", MIT_ACT_DROP);
	struct mit_filter	bad = f;

	setup(NULL);
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	f.rules[0].action = MIT_ACT_ACCEPT;
	null_fail_next(LOCAL, NULL_OP_APPLY, EIO);
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), -EIO);
	T_EQ(null_group(LOCAL, FILTER_GROUP(4))->rules[0].action,
	    MIT_ACT_DROP);
	bad.id = 0;
	T_EQ(engine_filter_apply(&bad, err, sizeof(err)), -EINVAL);
	bad.id = MIT_FILTER_ID_MAX + 1;
	T_EQ(engine_filter_apply(&bad, err, sizeof(err)), -EINVAL);
	bad.id = 5;
	bad.nrules = 0;
	T_EQ(engine_filter_apply(&bad, err, sizeof(err)), -EINVAL);
	bad = filter(5, "198.18.0.0/24", MIT_ACT_DROP);
	bad.policy.backends = MIT_WHERE_FLOWSPEC;
	T_EQ(engine_filter_apply(&bad, err, sizeof(err)), -EPERM);
	consistent();
}

/* A repair re-applies a filter group the backend lost, keeps it. */
static void
t_repair(void)
{
	struct mit_filter	f = filter(6, "198.18.0.0/24", MIT_ACT_DROP);
	char			report[256];

	setup(NULL);
	T_EQ(engine_filter_apply(&f, err, sizeof(err)), 0);
	T_EQ(null_backend.withdraw(FILTER_GROUP(6), err, sizeof(err)), 0);
	T_EQ(engine_reconcile(report, sizeof(report)), 1);
	T_EQ(engine_repair(report, sizeof(report)), 0);
	T_ASSERT(null_group(LOCAL, FILTER_GROUP(6)) != NULL);
}

int
main(void)
{
	T_RUN(t_own_group_space);
	T_RUN(t_stats);
	T_RUN(t_ceilings);
	T_RUN(t_failure_and_validation);
	T_RUN(t_repair);
	return t_done();
}
