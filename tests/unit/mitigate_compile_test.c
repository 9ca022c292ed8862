/*
 * mitigate_compile_test.c: mitigation -> rules (mitigate/compile.c) and
 * the ceilings it consults (mitigate/policy.c).
 */
#include <errno.h>

#include "tests/t.h"
#include "tests/unit/mitigate_test.h"
#include "mitigate/internal.h"

static struct mit_ruleset	rs;
static char			err[160];

static int
comp(const struct mitigation *m, int slot)
{
	err[0] = '\0';
	return compile_ruleset(m, slot, GROUP_OF(m->id, slot),
	    RULE_BASE(7, slot), &rs, err, sizeof(err));
}

static void
t_one_target_all_traffic(void)
{
	struct mitigation	m = mit(5, "198.18.0.1/32");
	struct mit_prefix	want = pfx("198.18.0.1/32");

	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.group, 5 << 2 | SLOT_LOCAL);
	T_EQ(rs.nrules, 1);
	T_EQ(rs.rules[0].kind, MIT_KIND_FLOW);
	T_EQ(rs.rules[0].action, MIT_ACT_DROP);
	T_EQ(rs.rules[0].present, 0);
	T_EQ(rs.rules[0].id, 7 << 8 | SLOT_LOCAL << 6 | 0);
	T_MEMEQ(&rs.rules[0].dst, &want, sizeof(want));
}

static void
t_targets_protocols_ports(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	uint32_t		i;

	add_target(&m, "198.18.1.0/24");
	add_target(&m, "2001:db8::/64");
	add_proto(&m, 6);
	add_proto(&m, 17);
	add_port(&m, 53, 53);
	add_port(&m, 80, 80);
	add_port(&m, 443, 443);
	add_port(&m, 8000, 8080);
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 3);
	for (i = 0; i < rs.nrules; i++) {
		T_EQ(rs.rules[i].present, MIT_F_PROTO | MIT_F_DPORT);
		T_EQ(rs.rules[i].nproto, 2);
		T_EQ(rs.rules[i].ndport, 4);
		T_EQ(rs.rules[i].dport[3].lo, 8000);
		T_EQ(rs.rules[i].dport[3].hi, 8080);
		T_EQ(rs.rules[i].id, RULE_BASE(7, SLOT_LOCAL) | i);
	}
	T_EQ(rs.rules[2].dst.family, AF_INET6);
	T_EQ(rs.rules[2].dst.len, 64);
}

static void
t_ports_merged_then_split(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	int			i;

	/* 80,81,82 merge into 80-82; 11 more single ports: 12 terms. */
	add_port(&m, 82, 82);
	add_port(&m, 80, 81);
	for (i = 0; i < 11; i++)
		add_port(&m, 1000 + 10 * i, 1000 + 10 * i);
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 2);
	T_EQ(rs.rules[0].ndport, MIT_MAX_RANGES);
	T_EQ(rs.rules[1].ndport, 12 - MIT_MAX_RANGES);
	T_EQ(rs.rules[0].dport[0].lo, 80);
	T_EQ(rs.rules[0].dport[0].hi, 82);
	T_EQ(rs.rules[1].dport[3].lo, 1100);
	/* No protocol list: the ports select port-carrying traffic. */
	T_EQ(rs.rules[0].present, MIT_F_DPORT);
}

static void
t_protocol_classes(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	uint32_t		i;
	int			tcp = -1, icmp = -1, gre = -1;

	add_target(&m, "2001:db8::1/128");
	add_proto(&m, 6);	/* takes ports */
	add_proto(&m, 1);	/* ICMP: takes types (IPv4 target only) */
	add_proto(&m, 47);	/* GRE: neither */
	add_port(&m, 80, 80);
	m.nicmp_type = 1;
	m.icmp_type[0].lo = m.icmp_type[0].hi = 8;
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	/* v4: tcp+ports, icmp+types, gre; v6: tcp+ports, {1,47} plain. */
	T_EQ(rs.nrules, 5);
	for (i = 0; i < 3; i++) {
		if (rs.rules[i].proto[0] == 6)
			tcp = i;
		if (rs.rules[i].proto[0] == 1)
			icmp = i;
		if (rs.rules[i].proto[0] == 47)
			gre = i;
	}
	T_ASSERT(tcp >= 0 && icmp >= 0 && gre >= 0);
	T_EQ(rs.rules[tcp].present, MIT_F_PROTO | MIT_F_DPORT);
	T_EQ(rs.rules[icmp].present, MIT_F_PROTO | MIT_F_ICMP_TYPE);
	T_EQ(rs.rules[icmp].icmp_type[0].lo, 8);
	T_EQ(rs.rules[gre].present, MIT_F_PROTO);
	T_EQ(rs.rules[4].dst.family, AF_INET6);
	T_EQ(rs.rules[4].nproto, 2);
	T_EQ(rs.rules[4].present, MIT_F_PROTO);
}

static void
t_icmp_without_protocols(void)
{
	struct mitigation	m = mit(1, "2001:db8::1/128");

	m.nicmp_type = 1;
	m.icmp_type[0].lo = 128;
	m.icmp_type[0].hi = 129;
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 1);
	T_EQ(rs.rules[0].nproto, 1);
	T_EQ(rs.rules[0].proto[0], 58);	/* ICMPv6 for a v6 target */
	T_EQ(rs.rules[0].present, MIT_F_PROTO | MIT_F_ICMP_TYPE);
}

static void
t_sources_by_family(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");
	uint32_t		i;

	add_target(&m, "2001:db8::1/128");
	m.sources[m.nsources++] = pfx("198.18.9.0/24");
	m.sources[m.nsources++] = pfx("198.18.10.0/24");
	m.sources[m.nsources++] = pfx("2001:db8:f::/48");
	m.nsource_ports = 1;
	m.source_ports[0].lo = m.source_ports[0].hi = 123;
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 3);
	for (i = 0; i < rs.nrules; i++) {
		T_EQ(rs.rules[i].src.family, rs.rules[i].dst.family);
		T_EQ(rs.rules[i].present, MIT_F_SRC | MIT_F_SPORT);
		T_EQ(rs.rules[i].sport[0].lo, 123);
	}

	/* Only v6 sources for a v4-only mitigation: nothing can match. */
	m = mit(1, "198.18.0.1/32");
	m.sources[m.nsources++] = pfx("2001:db8:f::/48");
	T_EQ(comp(&m, SLOT_LOCAL), -EINVAL);
}

/*
 * The RFC 9066 call-home shape (tests/vectors/signal/s15): one source,
 * source ports and ICMP types, no protocol list. A packet is attack
 * traffic when it comes from the source and carries one of the ports or
 * is ICMPv6 of one of the types: two rules, each with the source.
 */
static void
t_source_ports_and_icmp(void)
{
	struct mitigation	m = mit(1, "2001:db8:c000::/128");

	m.sources[m.nsources++] = pfx("2001:db8:123::1/128");
	m.nsource_ports = 1;
	m.source_ports[0].lo = 1024;
	m.source_ports[0].hi = 65535;
	m.nicmp_type = 1;
	m.icmp_type[0].lo = 128;
	m.icmp_type[0].hi = 129;
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 2);
	T_EQ(rs.rules[0].present, MIT_F_SRC | MIT_F_SPORT);
	T_EQ(rs.rules[0].sport[0].lo, 1024);
	T_EQ(rs.rules[0].sport[0].hi, 65535);
	T_EQ(rs.rules[1].present, MIT_F_SRC | MIT_F_PROTO | MIT_F_ICMP_TYPE);
	T_EQ(rs.rules[1].proto[0], 58);
	T_EQ(rs.rules[1].icmp_type[0].hi, 129);
	T_EQ(memcmp(&rs.rules[1].src, &m.sources[0], sizeof(m.sources[0])),
	    0);
}

static void
t_too_many_rules(void)
{
	struct mitigation	m = mit(1, "198.18.0.0/32");
	char			t[32];
	int			i;

	for (i = 1; i < MIT_MAX_TARGETS; i++) {
		snprintf(t, sizeof(t), "198.18.0.%d/32", i);
		add_target(&m, t);
	}
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 32);
	/* 32 targets x 3 sources = 96 rules > 64 per group. */
	for (i = 0; i < 3; i++) {
		snprintf(t, sizeof(t), "198.19.%d.0/24", i);
		m.sources[m.nsources++] = pfx(t);
	}
	T_EQ(comp(&m, SLOT_LOCAL), -E2BIG);
	T_ASSERT(strstr(err, "96 rules") != NULL);
}

static void
t_rtbh_host_routes_only(void)
{
	struct mitigation	m = mit(1, "198.18.0.1/32");

	add_target(&m, "2001:db8::1/128");
	add_port(&m, 80, 80);	/* RTBH is destination-only */
	T_EQ(comp(&m, SLOT_RTBH), 0);
	T_EQ(rs.nrules, 2);
	T_EQ(rs.rules[0].kind, MIT_KIND_RTBH);
	T_EQ(rs.rules[0].present, 0);
	T_EQ(rs.rules[1].dst.len, 128);
	T_EQ(rs.group, 1 << 2 | SLOT_RTBH);

	m = mit(1, "198.18.0.0/24");
	T_EQ(comp(&m, SLOT_RTBH), -EPERM);
	T_ASSERT(strstr(err, "198.18.0.0/24") != NULL);
	T_EQ(engine_configure("rtbh-min-len4", "24", err, sizeof(err)), 0);
	T_EQ(comp(&m, SLOT_RTBH), 0);
	/* A client's policy only tightens the floor. */
	m.policy.min_len4 = 28;
	T_EQ(comp(&m, SLOT_RTBH), -EPERM);
}

static void
t_announce_floor(void)
{
	struct mitigation	m = mit(1, "198.18.0.0/16");

	/* Locally any prefix; upstream not shorter than /24 by default. */
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(comp(&m, SLOT_FLOWSPEC), -EPERM);
	m = mit(1, "198.18.0.0/24");
	T_EQ(comp(&m, SLOT_FLOWSPEC), 0);
	m.policy.min_len4 = 25;
	T_EQ(comp(&m, SLOT_FLOWSPEC), -EPERM);
	m = mit(1, "2001:db8::/32");
	T_EQ(comp(&m, SLOT_FLOWSPEC), -EPERM);
	T_EQ(engine_configure("announce-min-len6", "32", err, sizeof(err)),
	    0);
	T_EQ(comp(&m, SLOT_FLOWSPEC), 0);
}

static void
t_masked_and_deduplicated(void)
{
	struct mitigation	m = mit(1, "198.18.0.77/24");
	struct mit_prefix	want = pfx("198.18.0.0/24");

	add_target(&m, "198.18.0.0/24");
	T_EQ(comp(&m, SLOT_LOCAL), 0);
	T_EQ(rs.nrules, 1);
	T_MEMEQ(&rs.rules[0].dst, &want, sizeof(want));
}

static void
t_validate(void)
{
	struct mitigation	m;

	m = mit(1, "198.18.0.1/32");
	T_EQ(compile_validate(&m, err, sizeof(err)), 0);
	m.targets[0].len = 33;
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(1, "198.18.0.1/32");
	m.targets[0].family = 99;
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(1, "198.18.0.1/32");
	m.ntargets = 0;
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(1, "198.18.0.1/32");
	add_port(&m, 90, 80);
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(UINT64_C(1) << 62, "198.18.0.1/32");
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(1, "198.18.0.1/32");
	m.nicmp_type = 1;
	m.icmp_type[0].lo = 0;
	m.icmp_type[0].hi = 256;
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
	m = mit(1, "198.18.0.1/32");
	m.policy.pin_level = 3;
	T_EQ(compile_validate(&m, err, sizeof(err)), -EINVAL);
}

static void
t_ranges_merge(void)
{
	struct mit_range	r[] = { { 10, 20 }, { 1, 2 }, { 21, 30 },
				    { 15, 16 }, { 3, 3 }, { 40, 40 } };

	T_EQ(compile_ranges(r, 6), 3);
	T_EQ(r[0].lo, 1);
	T_EQ(r[0].hi, 3);
	/* 10-20 and 21-30 are adjacent: one range. */
	T_EQ(r[1].lo, 10);
	T_EQ(r[1].hi, 30);
	T_EQ(r[2].lo, 40);
	T_EQ(r[2].hi, 40);
	T_EQ(compile_ranges(r, 0), 0);
}

static void
t_config_values(void)
{
	T_EQ(engine_configure("max-rules", "10k", err, sizeof(err)), 0);
	T_EQ(policy_conf.max_rules, 10000);
	T_EQ(engine_configure("max-rules", "5G", err, sizeof(err)), -EINVAL);
	T_EQ(engine_configure("announce-min-len4", "33", err, sizeof(err)),
	    -EINVAL);
	T_EQ(engine_configure("backends", "xdp rtbh", err, sizeof(err)), 0);
	T_EQ(policy_conf.where, MIT_WHERE_XDP | MIT_WHERE_RTBH);
	T_EQ(engine_configure("backends", "xdp,bogus", err, sizeof(err)),
	    -EINVAL);
	T_EQ(engine_configure("base-level", "flowspec", err, sizeof(err)), 0);
	T_EQ(policy_conf.base_level, MIT_LEVEL_FLOWSPEC);
	T_EQ(engine_configure("no-such-thing", "1", err, sizeof(err)),
	    -ENOENT);
	T_ASSERT(strstr(err, "no-such-thing") != NULL);
}

static void
t_client_ceiling(void)
{
	uint32_t	none[SLOT_MAX] = { 0 }, three[SLOT_MAX] = { 3, 0, 0 };
	uint32_t	two[SLOT_MAX] = { 1, 1, 0 };

	policy_account("a", three, 1);
	T_EQ(policy_client_rules("a"), 3);
	T_EQ(policy_local_rules(), 3);
	/* a: 3 + 2 > 4 */
	T_EQ(policy_check(NULL, none, "a", two, 4, err, sizeof(err)), -E2BIG);
	/* another client is not counted against a */
	T_EQ(policy_check(NULL, none, "b", two, 4, err, sizeof(err)), 0);
	/* replacing a's 3 by 2 shrinks: fine */
	T_EQ(policy_check("a", three, "a", two, 4, err, sizeof(err)), 0);
	T_EQ(engine_configure("max-announcements", "0", err, sizeof(err)),
	    0);
	T_EQ(policy_check(NULL, none, "b", two, 0, err, sizeof(err)), -E2BIG);
	T_ASSERT(strstr(err, "max-announcements") != NULL);
	policy_account("a", three, -1);
	T_EQ(policy_client_rules("a"), 0);
	T_EQ(policy_local_rules(), 0);
}

int
main(void)
{
	T_RUN(t_one_target_all_traffic);
	T_RUN(t_targets_protocols_ports);
	T_RUN(t_ports_merged_then_split);
	T_RUN(t_protocol_classes);
	T_RUN(t_icmp_without_protocols);
	T_RUN(t_sources_by_family);
	T_RUN(t_source_ports_and_icmp);
	T_RUN(t_too_many_rules);
	T_RUN(t_rtbh_host_routes_only);
	T_RUN(t_announce_floor);
	T_RUN(t_masked_and_deduplicated);
	T_RUN(t_validate);
	T_RUN(t_ranges_merge);
	T_RUN(t_config_values);
	T_RUN(t_client_ceiling);
	return t_done();
}
