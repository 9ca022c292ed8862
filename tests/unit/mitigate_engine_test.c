/*
 * mitigate_engine_test.c: mitigate/engine.c with two null backends, "null"
 * standing in for xdp (local) and "null2" for bgp (flowspec and RTBH).
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "mitigate/internal.h"
#include "mitigate/null.h"

#define LOCAL	(&null_backend)
#define UP	(&null_backend2)

static char	err[256];

static void
conf(const char *key, const char *value)
{
	if (engine_configure(key, value, err, sizeof(err)) != 0)
		T_FAIL("engine_configure %s %s: %s", key, value, err);
}

static void
setup(void)
{
	conf("local-backend", "null");
	conf("flowspec-backend", "null2");
	conf("rtbh-backend", "null2");
	T_EQ(engine_add_backend(LOCAL), 0);
	T_EQ(engine_add_backend(UP), 0);
	T_EQ(engine_start(err, sizeof(err)), 0);
	engine_tick(1000);
}

static void
consistent(void)
{
	char	report[512];
	int	n = engine_reconcile(report, sizeof(report));

	if (n != 0)
		T_FAIL("reconcile: %d differences:%s", n, report);
}

static int
apply(const struct mitigation *m)
{
	err[0] = '\0';
	return engine_apply(m, err, sizeof(err));
}

static void
t_apply_replace_withdraw(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	struct mit_status	st;
	const struct mit_ruleset *rs;

	setup();
	T_EQ(apply(&m), 0);
	T_EQ(null_ngroups(LOCAL), 1);
	T_EQ(null_ngroups(UP), 0);
	T_ASSERT((rs = null_group(LOCAL, GROUP_OF(1, SLOT_LOCAL))) != NULL);
	T_EQ(rs->nrules, 1);
	T_EQ(engine_status(1, &st), 0);
	T_EQ(st.state, MIT_ST_ACTIVE);
	T_EQ(st.level, MIT_LEVEL_LOCAL);
	T_EQ(st.upstream_only, 0);
	consistent();

	/* A new version replaces the group in place. */
	add_target(&m, "198.18.0.2/32");
	add_target(&m, "198.18.0.3/32");
	T_EQ(apply(&m), 0);
	T_EQ(null_ngroups(LOCAL), 1);
	T_EQ(null_group(LOCAL, GROUP_OF(1, SLOT_LOCAL))->nrules, 3);
	T_EQ(null_count(LOCAL, NULL_OP_APPLY), 2);
	T_EQ(null_count(LOCAL, NULL_OP_WITHDRAW), 0);
	T_EQ(policy_local_rules(), 3);
	consistent();

	T_EQ(engine_withdraw(1), 0);
	T_EQ(null_ngroups(LOCAL), 0);
	T_EQ(engine_status(1, &st), -ENOENT);
	T_EQ(engine_withdraw(1), -ENOENT);
	T_EQ(policy_local_rules(), 0);
	T_EQ(policy_client_rules("client1"), 0);
	consistent();
}

static void
t_rollback_when_second_backend_fails(void)
{
	struct mitigation	m = mit(2, "198.18.0.1/32");
	struct mit_status	st;

	setup();
	m.policy.pin_level = MIT_LEVEL_FLOWSPEC;
	null_fail_next(UP, NULL_OP_APPLY, EIO);
	T_EQ(apply(&m), -EIO);
	T_ASSERT(strstr(err, "null2") != NULL);
	/* null applied it, then took it back. */
	T_EQ(null_count(LOCAL, NULL_OP_APPLY), 1);
	T_EQ(null_count(LOCAL, NULL_OP_WITHDRAW), 1);
	T_EQ(null_ngroups(LOCAL), 0);
	T_EQ(null_ngroups(UP), 0);
	T_EQ(engine_status(2, &st), -ENOENT);
	T_EQ(policy_local_rules(), 0);
	consistent();

	T_EQ(apply(&m), 0);
	T_EQ(null_ngroups(LOCAL), 1);
	T_EQ(null_ngroups(UP), 1);
	T_EQ(engine_status(2, &st), 0);
	T_EQ(st.level, MIT_LEVEL_FLOWSPEC);
	consistent();
}

static void
t_rollback_restores_previous_version(void)
{
	struct mitigation	v1 = mit(3, "198.18.0.1/32");
	struct mitigation	v2 = mit(3, "198.18.0.9/32");
	struct mit_prefix	p1 = pfx("198.18.0.1/32");
	const struct mit_ruleset *rs;
	uint32_t		rule_id;

	setup();
	v1.policy.pin_level = v2.policy.pin_level = MIT_LEVEL_FLOWSPEC;
	add_target(&v2, "198.18.0.10/32");
	T_EQ(apply(&v1), 0);
	rule_id = null_group(LOCAL, GROUP_OF(3, SLOT_LOCAL))->rules[0].id;
	null_fail_next(UP, NULL_OP_APPLY, ENOSPC);
	T_EQ(apply(&v2), -ENOSPC);
	/* Both backends hold v1's rules again, ids and all. */
	rs = null_group(LOCAL, GROUP_OF(3, SLOT_LOCAL));
	T_ASSERT(rs != NULL);
	T_EQ(rs->nrules, 1);
	T_MEMEQ(&rs->rules[0].dst, &p1, sizeof(p1));
	T_EQ(rs->rules[0].id, rule_id);
	rs = null_group(UP, GROUP_OF(3, SLOT_FLOWSPEC));
	T_ASSERT(rs != NULL);
	T_EQ(rs->nrules, 1);
	T_MEMEQ(&rs->rules[0].dst, &p1, sizeof(p1));
	T_EQ(policy_local_rules(), 1);
	T_EQ(policy_announced(), 1);
	consistent();

	/* Lowering the level: the withdraw of flowspec fails, undone too. */
	v1.policy.pin_level = MIT_LEVEL_LOCAL;
	null_fail_next(UP, NULL_OP_WITHDRAW, EIO);
	T_EQ(apply(&v1), -EIO);
	T_ASSERT(null_group(UP, GROUP_OF(3, SLOT_FLOWSPEC)) != NULL);
	consistent();
	T_EQ(apply(&v1), 0);
	T_ASSERT(null_group(UP, GROUP_OF(3, SLOT_FLOWSPEC)) == NULL);
	T_EQ(policy_announced(), 0);
	consistent();
}

static void
t_ceilings_refuse_whole(void)
{
	struct mitigation	m = mit(4, "198.18.0.1/32");
	struct mitigation	big = mit(5, "198.18.1.1/32");

	setup();
	conf("max-rules", "2");
	T_EQ(apply(&m), 0);
	add_target(&big, "198.18.1.2/32");
	T_EQ(apply(&big), -E2BIG);
	T_ASSERT(strstr(err, "max-rules") != NULL);
	T_EQ(null_count(LOCAL, NULL_OP_APPLY), 1);	/* big never sent */

	/* The client's own ceiling. */
	big = mit(5, "198.18.1.1/32");
	big.policy.max_rules = 1;
	T_EQ(apply(&big), -E2BIG);
	T_ASSERT(strstr(err, "client1") != NULL);
	strcpy(big.client, "client2");
	T_EQ(apply(&big), 0);

	/* An RTBH pin of a /24 is refused, nothing half-applied. */
	m = mit(6, "198.18.2.0/24");
	m.policy.pin_level = MIT_LEVEL_RTBH;
	T_EQ(engine_withdraw(4), 0);
	T_EQ(apply(&m), -EPERM);
	T_EQ(null_ngroups(LOCAL), 1);
	T_EQ(null_ngroups(UP), 0);

	/* Upstream route ceiling. */
	conf("max-announcements", "1");
	m = mit(7, "198.18.3.1/32");
	m.policy.pin_level = MIT_LEVEL_RTBH;	/* flowspec + rtbh: 2 */
	T_EQ(engine_withdraw(5), 0);
	T_EQ(apply(&m), -E2BIG);
	T_ASSERT(strstr(err, "max-announcements") != NULL);
	consistent();
}

static void
t_backend_capability_refusal(void)
{
	struct mitigation	m = mit(8, "198.18.0.1/32");

	setup();
	T_EQ(LOCAL->configure("max-rules", "1", err, sizeof(err)), 0);
	add_target(&m, "198.18.0.2/32");
	T_EQ(apply(&m), -E2BIG);
	T_ASSERT(strstr(err, "null: max-rules") != NULL);
	T_EQ(null_ngroups(LOCAL), 0);
	consistent();
}

static void
t_upstream_only_client(void)
{
	struct mitigation	m = mit(9, "198.18.0.1/32");
	struct mit_status	st;

	setup();
	m.policy.backends = MIT_WHERE_RTBH;
	T_EQ(apply(&m), 0);
	T_EQ(engine_status(9, &st), 0);
	T_EQ(st.level, MIT_LEVEL_RTBH);	/* base raised to what acts */
	T_EQ(st.upstream_only, 1);
	T_EQ(null_ngroups(LOCAL), 0);
	T_ASSERT(null_group(UP, GROUP_OF(9, SLOT_RTBH)) != NULL);
	T_EQ(null_group(UP, GROUP_OF(9, SLOT_RTBH))->rules[0].kind,
	    MIT_KIND_RTBH);
	consistent();

	/* The operator allows nothing this client may use. */
	conf("backends", "xdp");
	m = mit(10, "198.18.0.2/32");
	m.policy.backends = MIT_WHERE_RTBH;
	T_EQ(apply(&m), -EPERM);
	T_ASSERT(strstr(err, "no backend") != NULL);
}

static void
t_no_upstream_backend(void)
{
	struct mitigation	m = mit(11, "198.18.0.1/32");

	/* Only a local backend registered: flowspec pins have nowhere. */
	conf("local-backend", "null");
	T_EQ(engine_add_backend(LOCAL), 0);
	T_EQ(engine_add_backend(LOCAL), -EEXIST);
	T_EQ(engine_start(err, sizeof(err)), 0);
	T_EQ(apply(&m), 0);
	m.policy.pin_level = MIT_LEVEL_FLOWSPEC;
	T_EQ(apply(&m), 0);	/* local is all that is usable */
	T_EQ(null_ngroups(LOCAL), 1);
	consistent();
}

/*
 * No backend for any slot (dotsd without xdp and bgp blocks; the null
 * backends registered but not named): recorded, checked, not enforced.
 */
static void
t_no_backend_records(void)
{
	struct mitigation	m = mit(12, "198.18.0.1/32");
	struct mit_status	st;
	int			i;

	T_EQ(engine_add_backend(LOCAL), 0);
	T_EQ(engine_add_backend(UP), 0);
	T_EQ(engine_start(err, sizeof(err)), 0);
	T_EQ(apply(&m), 0);
	T_EQ(engine_status(12, &st), 0);
	T_EQ(st.state, MIT_ST_RECORDED);
	T_EQ(st.upstream_only, 1);	/* nothing counted here */
	T_ASSERT(strstr(st.reason, "not enforced") != NULL);
	T_EQ(null_ngroups(LOCAL) + null_ngroups(UP), 0);
	T_EQ(null_count(LOCAL, NULL_OP_APPLY) +
	    null_count(UP, NULL_OP_APPLY), 0);
	consistent();
	/* refresh and tick keep it recorded; nothing escalates */
	T_EQ(apply(&m), 0);
	engine_tick(1001);
	T_EQ(engine_status(12, &st), 0);
	T_EQ(st.state, MIT_ST_RECORDED);
	/* what would be refused when enforcing is refused here too */
	m = mit(13, "198.18.0.1/32");
	for (i = 0; i < MIT_MAX_SOURCES; i++) {
		m.sources[m.nsources] = pfx("2001:db8::1/128");
		m.sources[m.nsources++].addr[15] = (uint8_t)i;
	}
	T_EQ(apply(&m), -EINVAL);
	T_EQ(engine_status(13, &st), -ENOENT);
	T_EQ(engine_withdraw(12), 0);
	T_EQ(engine_status(12, &st), -ENOENT);
	consistent();
}

static void
set_counters(uint64_t id, uint64_t pkts, uint64_t bytes)
{
	struct mit_stats	st = { .pkts_dropped = pkts,
				    .bytes_dropped = bytes };

	T_EQ(null_set_stats(LOCAL, GROUP_OF(id, SLOT_LOCAL), &st), 0);
}

static void
t_escalation_through_backends(void)
{
	struct mitigation	m = mit(12, "198.18.0.1/32");
	struct mit_status	st;
	uint64_t		pkts = 0;
	time_t			t;

	setup();
	conf("escalate-flowspec-pps", "1000");
	conf("escalate-rtbh-pps", "100k");
	conf("escalate-after", "3");
	conf("deescalate-after", "5");
	conf("rate-window", "2");
	T_EQ(apply(&m), 0);
	/* 2000 pps for 6 s: flowspec after escalate-after. */
	for (t = 1001; t <= 1006; t++) {
		pkts += 2000;
		set_counters(12, pkts, pkts * 100);
		engine_tick(t);
		consistent();
	}
	T_EQ(engine_status(12, &st), 0);
	T_EQ(st.level, MIT_LEVEL_FLOWSPEC);
	T_ASSERT(strstr(st.reason, "escalated local -> flowspec") != NULL);
	T_ASSERT(null_group(UP, GROUP_OF(12, SLOT_FLOWSPEC)) != NULL);
	T_ASSERT(null_group(LOCAL, GROUP_OF(12, SLOT_LOCAL)) != NULL);
	T_EQ(st.pkts_dropped, pkts);
	/* Counting went on across the level change. */
	T_EQ(st.bytes_dropped, pkts * 100);

	/* Attack gone: back to local after deescalate-after. */
	for (t = 1007; t <= 1020; t++) {
		engine_tick(t);
		consistent();
	}
	T_EQ(engine_status(12, &st), 0);
	T_EQ(st.level, MIT_LEVEL_LOCAL);
	T_ASSERT(strstr(st.reason, "de-escalated flowspec -> local") != NULL);
	T_ASSERT(null_group(UP, GROUP_OF(12, SLOT_FLOWSPEC)) == NULL);
	T_EQ(policy_announced(), 0);
}

static void
t_upstream_takes_no_flowspec(void)
{
	struct mitigation	m = mit(13, "198.18.0.1/32");
	struct mit_status	st;
	uint64_t		pkts = 0;
	time_t			t;

	setup();
	T_EQ(UP->configure("kinds", "rtbh", err, sizeof(err)), 0);
	conf("escalate-flowspec-pps", "1000");
	conf("escalate-after", "2");
	conf("rate-window", "2");
	T_EQ(apply(&m), 0);
	for (t = 1001; t <= 1004; t++) {
		pkts += 5000;
		set_counters(13, pkts, pkts * 60);
		engine_tick(t);
	}
	/* The flowspec step was refused: shown, local still in force. */
	T_EQ(engine_status(13, &st), 0);
	T_EQ(st.state, MIT_ST_EXCEEDED);
	T_EQ(st.level, MIT_LEVEL_LOCAL);
	T_ASSERT(strstr(st.reason, "local -> flowspec failed") != NULL);
	T_ASSERT(strstr(st.reason, "not carried") != NULL);
	consistent();
	/* The next step goes straight to RTBH. */
	for (t = 1005; t <= 1008; t++) {
		pkts += 5000;
		set_counters(13, pkts, pkts * 60);
		engine_tick(t);
	}
	T_EQ(engine_status(13, &st), 0);
	T_EQ(st.state, MIT_ST_ACTIVE);
	T_EQ(st.level, MIT_LEVEL_RTBH);
	T_ASSERT(null_group(UP, GROUP_OF(13, SLOT_RTBH)) != NULL);
	T_ASSERT(null_group(UP, GROUP_OF(13, SLOT_FLOWSPEC)) == NULL);
	consistent();
}

static void
t_pin(void)
{
	struct mitigation	m = mit(14, "198.18.0.1/32");
	struct mit_status	st;
	time_t			t;

	setup();
	conf("escalate-flowspec-pps", "1000");
	conf("deescalate-after", "3");
	T_EQ(apply(&m), 0);
	T_EQ(engine_pin(14, MIT_LEVEL_RTBH, err, sizeof(err)), 0);
	T_EQ(engine_status(14, &st), 0);
	T_EQ(st.level, MIT_LEVEL_RTBH);
	T_ASSERT(null_group(UP, GROUP_OF(14, SLOT_FLOWSPEC)) != NULL);
	T_ASSERT(null_group(UP, GROUP_OF(14, SLOT_RTBH)) != NULL);
	/* No traffic, but pinned: stays. */
	for (t = 1001; t <= 1010; t++)
		engine_tick(t);
	T_EQ(engine_status(14, &st), 0);
	T_EQ(st.level, MIT_LEVEL_RTBH);
	/* Unpinned: steps down one level per deescalate-after. */
	T_EQ(engine_pin(14, -1, err, sizeof(err)), 0);
	for (t = 1011; t <= 1030; t++)
		engine_tick(t);
	T_EQ(engine_status(14, &st), 0);
	T_EQ(st.level, MIT_LEVEL_LOCAL);
	T_EQ(null_ngroups(UP), 0);
	T_EQ(engine_pin(99, 0, err, sizeof(err)), -ENOENT);
	consistent();
}

static void
t_unpin_without_thresholds(void)
{
	struct mitigation	m = mit(17, "198.18.0.1/32");
	struct mit_status	st;
	time_t			t;

	setup();
	conf("deescalate-after", "5");
	m.policy.pin_level = MIT_LEVEL_FLOWSPEC;
	T_EQ(apply(&m), 0);
	for (t = 1001; t <= 1010; t++)
		engine_tick(t);
	T_EQ(engine_status(17, &st), 0);
	T_EQ(st.level, MIT_LEVEL_FLOWSPEC);
	/* No escalation configured: unpinned, it returns to base. */
	T_EQ(engine_pin(17, -1, err, sizeof(err)), 0);
	for (t = 1011; t <= 1020; t++)
		engine_tick(t);
	T_EQ(engine_status(17, &st), 0);
	T_EQ(st.level, MIT_LEVEL_LOCAL);
	T_EQ(null_ngroups(UP), 0);
	consistent();
}

static void
t_withdraw_failure_retried(void)
{
	struct mitigation	m = mit(15, "198.18.0.1/32");
	struct mit_status	st;
	char			report[512];

	setup();
	m.policy.pin_level = MIT_LEVEL_FLOWSPEC;
	T_EQ(apply(&m), 0);
	null_fail_next(UP, NULL_OP_WITHDRAW, EIO);
	T_EQ(engine_withdraw(15), -EIO);
	T_EQ(engine_status(15, &st), -ENOENT);
	T_EQ(null_ngroups(LOCAL), 0);	/* what could go, went */
	T_EQ(engine_reconcile(report, sizeof(report)), 1);
	T_ASSERT(strstr(report, "no mitigation calls for") != NULL);
	engine_tick(1001);
	T_EQ(null_ngroups(UP), 0);
	consistent();
	T_EQ(policy_local_rules() + policy_announced(), 0);
}

static void
t_reconcile_finds_strays(void)
{
	struct mitigation	m = mit(16, "198.18.0.1/32");
	char			report[512];

	setup();
	T_EQ(apply(&m), 0);
	/* A group left over from an earlier run, one lost behind our back. */
	T_EQ(null_adopt(LOCAL, GROUP_OF(77, SLOT_LOCAL)), 0);
	T_EQ(engine_reconcile(report, sizeof(report)), 1);
	T_ASSERT(strstr(report, "mitigation 77") != NULL);
	T_EQ(LOCAL->withdraw(GROUP_OF(16, SLOT_LOCAL), err, sizeof(err)), 0);
	T_EQ(engine_reconcile(report, sizeof(report)), 2);
	T_ASSERT(strstr(report, "lacks group") != NULL);
	/* Repair withdraws the stray and puts back the lost one. */
	T_EQ(engine_repair(report, sizeof(report)), 0);
	T_ASSERT(null_group(LOCAL, GROUP_OF(77, SLOT_LOCAL)) == NULL);
	T_ASSERT(null_group(LOCAL, GROUP_OF(16, SLOT_LOCAL)) != NULL);
	T_EQ(null_group(LOCAL, GROUP_OF(16, SLOT_LOCAL))->nrules, 1);
	consistent();
	/* Re-applying heals a lost group too. */
	T_EQ(LOCAL->withdraw(GROUP_OF(16, SLOT_LOCAL), err, sizeof(err)), 0);
	T_EQ(apply(&m), 0);
	consistent();
}

/* xorshift: reproducible without libc's rand state. */
static uint64_t	rnd_state = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

static struct mitigation
random_mitigation(uint64_t id)
{
	struct mitigation	m;
	char			t[64];
	int			i, n;

	snprintf(t, sizeof(t), "198.18.%u.%u/%u", rnd(256), rnd(256),
	    rnd(4) ? 32 : 24);
	m = mit(id, t);
	snprintf(m.client, sizeof(m.client), "client%u", rnd(3));
	n = rnd(3);
	for (i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "2001:db8:%x::%x/128", rnd(65536),
		    rnd(65536));
		add_target(&m, t);
	}
	n = rnd(12);
	for (i = 0; i < n; i++)
		add_port(&m, 1 + 3 * i, 1 + 3 * i + rnd(2));
	if (rnd(2))
		add_proto(&m, 17);
	m.policy.pin_level = rnd(3) ? -1 : (int8_t)rnd(3);
	m.policy.backends = rnd(5) ? 0 : (uint8_t)(1 + rnd(7));
	m.policy.max_rules = rnd(10) ? 0 : 5;
	return m;
}

static void
t_random_sequence_reconciles(void)
{
	struct mitigation	m;
	struct mit_status	st, st2;
	uint64_t		pkts[40] = { 0 };
	int			i, live = 0, r, existed;
	uint64_t		id;
	time_t			t = 1001;

	setup();
	conf("escalate-flowspec-pps", "500");
	conf("escalate-rtbh-pps", "5000");
	conf("escalate-after", "2");
	conf("deescalate-after", "3");
	conf("rate-window", "2");
	conf("max-rules", "150");
	conf("max-announcements", "60");
	for (i = 0; i < 3000; i++) {
		id = rnd(40);
		switch (rnd(8)) {
		case 0:
		case 1:
		case 2:
			if (rnd(8) == 0)
				null_fail_next(rnd(2) ? LOCAL : UP,
				    rnd(3) ? NULL_OP_APPLY : NULL_OP_WITHDRAW,
				    1 + rnd(100));
			m = random_mitigation(id);
			existed = engine_status(id, &st) == 0;
			r = apply(&m);
			/* Refused: an older version stays, a new one is not. */
			if (r != 0)
				T_EQ(engine_status(id, &st2) == 0, existed);
			if (r != 0 && existed)
				T_EQ(st2.level, st.level);
			break;
		case 3:
			if (rnd(10) == 0)
				null_fail_next(rnd(2) ? LOCAL : UP,
				    NULL_OP_WITHDRAW, EIO);
			/* A failed withdraw is retried by the next tick. */
			if (engine_withdraw(id) == -EIO)
				engine_tick(t++);
			T_EQ(engine_status(id, &st), -ENOENT);
			break;
		case 4:
			engine_pin(id, (int)rnd(4) - 1, err, sizeof(err));
			break;
		default:
			/* Traffic on some mitigations, then a tick. */
			if (null_group(LOCAL, GROUP_OF(id, SLOT_LOCAL))) {
				pkts[id] += rnd(2) ? rnd(20000) : 0;
				set_counters(id, pkts[id], pkts[id] * 80);
			}
			engine_tick(t++);
			break;
		}
		/* Disarm what went unused. */
		null_fail_next(LOCAL, (enum null_op)-1, 0);
		null_fail_next(UP, (enum null_op)-1, 0);
		consistent();
		T_ASSERT(policy_local_rules() <= 150);
		T_ASSERT(policy_announced() <= 60);
	}
	for (id = 0; id < 40; id++) {
		if (engine_status(id, &st) == 0)
			live++;
		engine_withdraw(id);
	}
	engine_tick(t);
	consistent();
	T_ASSERT(live > 0);
	T_EQ(null_ngroups(LOCAL), 0);
	T_EQ(null_ngroups(UP), 0);
	T_EQ(policy_local_rules(), 0);
	T_EQ(policy_announced(), 0);
	T_EQ(policy_client_rules("client0") + policy_client_rules("client1") +
	    policy_client_rules("client2"), 0);
}

/* A source backend that hands the engine scripted received changes. */
static struct mit_recv	src_q[8];
static int		src_n;

static int
src_drain(struct mit_recv *out, int max)
{
	int	n = src_n < max ? src_n : max;

	memcpy(out, src_q, n * sizeof(*out));
	memmove(src_q, src_q + n, (src_n - n) * sizeof(*out));
	src_n -= n;
	return n;
}

static void
src_ignored(uint64_t *counts)
{
	counts[MIT_RX_IMPORT] += 5;
}

static const struct mit_backend src_backend = {
	.name = "src",
	.recv_drain = src_drain,
	.recv_ignored = src_ignored,
};

static void
src_push(uint64_t key, int op, const char *dst, int action)
{
	struct mit_recv	*c = &src_q[src_n++];

	memset(c, 0, sizeof(*c));
	c->key = key;
	c->op = op;
	c->npeers = 1;
	strcpy(c->from, "198.18.0.254");
	c->rule.kind = MIT_KIND_FLOW;
	c->rule.action = action;
	c->rule.dst = pfx(dst);
}

static void
count_recv(const struct mit_recv_info *ri, void *arg)
{
	(*(int *)arg)++;
	T_EQ(ri->st.pkts_dropped, ri->key == 7 ? 42 : 0);
}

/*
 * Received rules: one group each on the local backend only (slot 3 ids),
 * replaced in place, withdrawn, counted, reconciled, refused past
 * max-rules.
 */
static void
t_received_rules(void)
{
	const struct mit_ruleset	*rs;
	struct mit_stats		 st = { .pkts_dropped = 42 };
	uint64_t			 c[MIT_RX_REASON_MAX];
	int				 n = 0;

	conf("max-rules", "2");
	T_EQ(engine_add_backend(&src_backend), 0);
	setup();
	src_push(7, MIT_RECV_APPLY, "198.18.7.0/24", MIT_ACT_DROP);
	src_push(8, MIT_RECV_APPLY, "198.18.8.0/24", MIT_ACT_ACCEPT);
	src_push(9, MIT_RECV_APPLY, "198.18.9.0/24", MIT_ACT_DROP);
	T_EQ(engine_recv_process(), 0);
	T_EQ(engine_recv_count(), 2);		/* max-rules 2 */
	T_EQ(null_ngroups(LOCAL), 2);
	T_EQ(null_ngroups(UP), 0);		/* never announced */
	T_ASSERT((rs = null_group(LOCAL, 7 << 2 | 3)) != NULL);
	T_EQ(rs->nrules, 1);
	T_EQ(rs->rules[0].id & 0xc0, 3 << 6);
	T_EQ(engine_reconcile(err, sizeof(err)), 0);
	/* replaced in place: the same group, the new action */
	src_push(7, MIT_RECV_APPLY, "198.18.7.0/24", MIT_ACT_ACCEPT);
	engine_recv_process();
	T_EQ(null_group(LOCAL, 7 << 2 | 3)->rules[0].action, MIT_ACT_ACCEPT);
	null_set_stats(LOCAL, 7 << 2 | 3, &st);
	engine_recv_list(count_recv, &n);
	T_EQ(n, 2);
	engine_recv_ignored(c);
	T_EQ(c[MIT_RX_MAX_RULES], 1);
	T_EQ(c[MIT_RX_IMPORT], 5);
	/* a mitigation beside them does not disturb them */
	struct mitigation m = mit(1, "198.18.1.1/32");
	T_EQ(engine_apply(&m, err, sizeof(err)), 0);
	T_EQ(engine_reconcile(err, sizeof(err)), 0);
	src_push(7, MIT_RECV_WITHDRAW, "198.18.7.0/24", 0);
	engine_recv_process();
	T_ASSERT(null_group(LOCAL, 7 << 2 | 3) == NULL);
	T_EQ(engine_recv_count(), 1);
	/* the local backend lost one: repair puts it back */
	null_reset(LOCAL);
	T_ASSERT(engine_repair(err, sizeof(err)) == 0);
	T_ASSERT(null_group(LOCAL, 8 << 2 | 3) != NULL);
	engine_stop();
}

int
main(void)
{
	T_RUN(t_apply_replace_withdraw);
	T_RUN(t_rollback_when_second_backend_fails);
	T_RUN(t_rollback_restores_previous_version);
	T_RUN(t_ceilings_refuse_whole);
	T_RUN(t_backend_capability_refusal);
	T_RUN(t_upstream_only_client);
	T_RUN(t_no_upstream_backend);
	T_RUN(t_no_backend_records);
	T_RUN(t_escalation_through_backends);
	T_RUN(t_upstream_takes_no_flowspec);
	T_RUN(t_pin);
	T_RUN(t_unpin_without_thresholds);
	T_RUN(t_withdraw_failure_retried);
	T_RUN(t_reconcile_finds_strays);
	T_RUN(t_random_sequence_reconciles);
	T_RUN(t_received_rules);
	return t_done();
}
