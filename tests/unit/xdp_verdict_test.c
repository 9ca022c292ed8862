/*
 * xdp_verdict_test.c: the XDP program's verdicts, packets x rules, through
 * BPF_PROG_TEST_RUN (no interface, no traffic), plus the backend's
 * counters, atomic replacement, withdrawal and adoption of pinned state.
 * Needs root and BPF: prints skip and exits 77 otherwise. Each test uses
 * its own pin path under /sys/fs/bpf and flushes it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "tests/t.h"
#include "tests/unit/xdp_pkt.h"
#include "xdp/xdp.h"

#define V4A	"198.18.1.10"
#define V4B	"198.18.2.10"
#define SRC4	"198.19.0.1"
#define V6A	"2001:db8:1::10"
#define SRC6	"2001:db8:ff::1"

static char pin[64];

static void
start(const char *malformed, const char *max_rules)
{
	char err[256];

	/* a test's restart adopts its own pins; a new test starts clean */
	if (pin[0] == '\0') {
		snprintf(pin, sizeof(pin), "/sys/fs/bpf/dx-ut-%d-%d",
		    (int)getppid(), (int)getpid());
		xdp_flush(pin, err, sizeof(err));
	}
	T_EQ(xdp_backend.configure("pin-path", pin, err, sizeof(err)), 0);
	T_EQ(xdp_backend.configure("max-rules", max_rules, err,
	    sizeof(err)), 0);
	T_EQ(xdp_backend.configure("malformed", malformed, err,
	    sizeof(err)), 0);
	if (xdp_backend.start(err, sizeof(err)) != 0)
		T_FAIL("start: %s", err);
}

static void
finish(void)
{
	char err[256];

	xdp_backend.stop();
	T_EQ(xdp_flush(pin, err, sizeof(err)), 0);
}

/* Applies "rule\nrule..." as group g. Returns apply()'s result. */
static int
apply_text(uint64_t g, const char *text)
{
	static struct mit_ruleset rs;
	char buf[4096], *line, *save, err[256];
	const char *why;
	int rv;

	memset(&rs, 0, sizeof(rs));
	rs.group = g;
	snprintf(buf, sizeof(buf), "%s", text);
	for (line = strtok_r(buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (rules_parse(line, &rs.rules[rs.nrules], &why) != 0)
			T_FAIL("rule \"%s\": %s", line, why);
		rs.nrules++;
	}
	rv = xdp_backend.apply(&rs, err, sizeof(err));
	if (rv != 0)
		printf("  apply: %s\n", err);
	return rv;
}

static int
run(const struct pk *k, int repeat)
{
	uint8_t buf[2048];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .repeat = repeat);

	o.data_size_in = pk_build(k, buf);
	if (bpf_prog_test_run_opts(xdp_prog_fd(), &o) != 0)
		T_FAIL("test run: %s", strerror(errno));
	return o.retval;
}

#define UDP4(d, dp)	.src = SRC4, .dst = d, .proto = 17, .sport = 40000, \
			.dport = dp
#define TCP4(d, dp, f)	.src = SRC4, .dst = d, .proto = 6, .sport = 40000, \
			.dport = dp, .tcp_flags = f
#define UDP6(d, dp)	.v6 = 1, .src = SRC6, .dst = d, .proto = 17, \
			.sport = 40000, .dport = dp

struct row {
	const char	*name;
	const char	*rules;
	struct pk	 pkt;
	int		 verdict;
};

static const struct row table[] = {
	{ "udp dport drop", "id 1 dst 198.18.1.0/24 proto udp dport 53 "
	    "action drop", { UDP4(V4A, 53) }, XDP_DROP },
	{ "udp other port", "id 1 dst 198.18.1.0/24 proto udp dport 53 "
	    "action drop", { UDP4(V4A, 54) }, XDP_PASS },
	{ "other dst", "id 1 dst 198.18.1.0/24 proto udp dport 53 "
	    "action drop", { UDP4(V4B, 53) }, XDP_PASS },
	{ "tcp vs udp rule", "id 1 dst 198.18.1.0/24 proto udp dport 53 "
	    "action drop", { TCP4(V4A, 53, 0x02) }, XDP_PASS },
	{ "dst only", "id 1 dst 198.18.1.10/32 action drop",
	    { TCP4(V4A, 80, 0x10) }, XDP_DROP },
	{ "src match", "id 1 dst 198.18.1.0/24 src 198.19.0.0/16 action drop",
	    { UDP4(V4A, 1) }, XDP_DROP },
	{ "src mismatch", "id 1 dst 198.18.1.0/24 src 198.20.0.0/16 "
	    "action drop", { UDP4(V4A, 1) }, XDP_PASS },
	{ "dport range", "id 1 dst 198.18.1.0/24 dport 1000-2000,3000 "
	    "action drop", { UDP4(V4A, 1500) }, XDP_DROP },
	{ "dport range miss", "id 1 dst 198.18.1.0/24 dport 1000-2000,3000 "
	    "action drop", { UDP4(V4A, 2500) }, XDP_PASS },
	{ "sport", "id 1 dst 198.18.1.0/24 sport 40000 action drop",
	    { UDP4(V4A, 9) }, XDP_DROP },
	{ "port either (sport)", "id 1 dst 198.18.1.0/24 port 40000 "
	    "action drop", { UDP4(V4A, 9) }, XDP_DROP },
	{ "port either (dport)", "id 1 dst 198.18.1.0/24 port 9 action drop",
	    { UDP4(V4A, 9) }, XDP_DROP },
	{ "sctp ports", "id 1 dst 198.18.1.0/24 dport 36412 action drop",
	    { .src = SRC4, .dst = V4A, .proto = 132, .dport = 36412 },
	    XDP_DROP },
	{ "icmp type", "id 1 dst 198.18.1.0/24 proto icmp icmp-type 8 "
	    "action drop", { .src = SRC4, .dst = V4A, .proto = 1,
	    .icmp_type = 8 }, XDP_DROP },
	{ "icmp type miss", "id 1 dst 198.18.1.0/24 icmp-type 8 action drop",
	    { .src = SRC4, .dst = V4A, .proto = 1, .icmp_type = 0 },
	    XDP_PASS },
	{ "icmp code", "id 1 dst 198.18.1.0/24 icmp-type 3 icmp-code 4 "
	    "action drop", { .src = SRC4, .dst = V4A, .proto = 1,
	    .icmp_type = 3, .icmp_code = 4 }, XDP_DROP },
	{ "icmp rule vs udp", "id 1 dst 198.18.1.0/24 icmp-type 0-255 "
	    "action drop", { UDP4(V4A, 0) }, XDP_PASS },
	{ "tcp syn", "id 1 dst 198.18.1.0/24 tcp-flags syn/syn,ack "
	    "action drop", { TCP4(V4A, 80, 0x02) }, XDP_DROP },
	{ "tcp syn-ack", "id 1 dst 198.18.1.0/24 tcp-flags syn/syn,ack "
	    "action drop", { TCP4(V4A, 80, 0x12) }, XDP_PASS },
	{ "pkt len", "id 1 dst 198.18.1.0/24 len 100-200 action drop",
	    { UDP4(V4A, 1), .payload = 100 }, XDP_DROP },
	{ "pkt len miss", "id 1 dst 198.18.1.0/24 len 100-200 action drop",
	    { UDP4(V4A, 1), .payload = 10 }, XDP_PASS },
	{ "dscp", "id 1 dst 198.18.1.0/24 dscp 46 action drop",
	    { UDP4(V4A, 1), .dscp = 46 }, XDP_DROP },
	{ "dscp miss", "id 1 dst 198.18.1.0/24 dscp 46 action drop",
	    { UDP4(V4A, 1), .dscp = 0 }, XDP_PASS },
	{ "df bit", "id 1 dst 198.18.1.0/24 frag df action drop",
	    { UDP4(V4A, 1), .df = 1 }, XDP_DROP },
	{ "is fragment", "id 1 dst 198.18.1.0/24 frag isf action drop",
	    { UDP4(V4A, 1), .frag = 2 }, XDP_DROP },
	{ "not a fragment", "id 1 dst 198.18.1.0/24 frag none/isf "
	    "action drop", { UDP4(V4A, 1), .frag = 1 }, XDP_PASS },
	{ "first fragment", "id 1 dst 198.18.1.0/24 frag ff action drop",
	    { UDP4(V4A, 1), .frag = 1 }, XDP_DROP },
	{ "last fragment", "id 1 dst 198.18.1.0/24 frag lf action drop",
	    { UDP4(V4A, 1), .frag = 3 }, XDP_DROP },
	{ "first fragment ports", "id 1 dst 198.18.1.0/24 dport 53 "
	    "action drop", { UDP4(V4A, 53), .frag = 1 }, XDP_DROP },
	/* the payload of a later fragment looks like dport 53: not read */
	{ "non-first fragment ports", "id 1 dst 198.18.1.0/24 dport 53 "
	    "action drop", { UDP4(V4A, 53), .frag = 2 }, XDP_PASS },
	{ "non-first fragment proto", "id 1 dst 198.18.1.0/24 proto udp "
	    "action drop", { UDP4(V4A, 53), .frag = 2 }, XDP_DROP },
	{ "vlan", "id 1 dst 198.18.1.0/24 dport 53 action drop",
	    { UDP4(V4A, 53), .vlans = 1 }, XDP_DROP },
	{ "qinq", "id 1 dst 198.18.1.0/24 dport 53 action drop",
	    { UDP4(V4A, 53), .vlans = 2 }, XDP_DROP },
	{ "ipv4 options", "id 1 dst 198.18.1.0/24 dport 53 action drop",
	    { UDP4(V4A, 53), .ip_opts = 8 }, XDP_DROP },
	{ "ipv4 options hide", "id 1 dst 198.18.1.0/24 dport 257 action drop",
	    { UDP4(V4A, 53), .ip_opts = 4 }, XDP_PASS },
	{ "ipv6 udp", "id 1 dst 2001:db8:1::/48 dport 53 action drop",
	    { UDP6(V6A, 53) }, XDP_DROP },
	{ "ipv6 ext headers", "id 1 dst 2001:db8:1::/48 proto udp dport 53 "
	    "action drop", { UDP6(V6A, 53), .exthdrs = 3 }, XDP_DROP },
	{ "ipv6 first fragment", "id 1 dst 2001:db8:1::/48 dport 53 "
	    "action drop", { UDP6(V6A, 53), .frag = 1 }, XDP_DROP },
	{ "ipv6 non-first fragment", "id 1 dst 2001:db8:1::/48 dport 53 "
	    "action drop", { UDP6(V6A, 53), .frag = 2 }, XDP_PASS },
	{ "ipv6 non-first fragment nh", "id 1 dst 2001:db8:1::/48 proto udp "
	    "frag isf action drop", { UDP6(V6A, 53), .frag = 2,
	    .exthdrs = 1 }, XDP_DROP },
	{ "ipv6 vlan", "id 1 dst 2001:db8:1::/48 dport 53 action drop",
	    { UDP6(V6A, 53), .vlans = 2 }, XDP_DROP },
	{ "ipv6 flow label", "id 1 dst 2001:db8:1::/48 flow-label 12345 "
	    "action drop", { UDP6(V6A, 1), .flow_label = 12345 }, XDP_DROP },
	{ "ipv6 flow label miss", "id 1 dst 2001:db8:1::/48 flow-label 12345 "
	    "action drop", { UDP6(V6A, 1), .flow_label = 1 }, XDP_PASS },
	{ "ipv6 dscp", "id 1 dst 2001:db8:1::/48 dscp 10 action drop",
	    { UDP6(V6A, 1), .dscp = 10 }, XDP_DROP },
	{ "ipv6 src", "id 1 dst 2001:db8:1::/48 src 2001:db8:ff::/48 "
	    "action drop", { UDP6(V6A, 1) }, XDP_DROP },
	{ "ipv6 src miss", "id 1 dst 2001:db8:1::/48 src 2001:db8:fe::/48 "
	    "action drop", { UDP6(V6A, 1) }, XDP_PASS },
	/* a top-talker / call-home source with its source ports */
	{ "ipv6 src and sport", "id 1 dst 2001:db8:1::/48 "
	    "src 2001:db8:ff::/48 sport 40000 action drop", { UDP6(V6A, 1) },
	    XDP_DROP },
	{ "ipv6 src and sport miss", "id 1 dst 2001:db8:1::/48 "
	    "src 2001:db8:ff::/48 sport 53 action drop", { UDP6(V6A, 1) },
	    XDP_PASS },
	{ "icmpv6 type", "id 1 dst 2001:db8:1::/48 proto icmpv6 "
	    "icmp-type 128 action drop", { .v6 = 1, .src = SRC6, .dst = V6A,
	    .proto = 58, .icmp_type = 128 }, XDP_DROP },
	{ "icmp in ipv6 is not icmpv6", "id 1 dst 2001:db8:1::/48 "
	    "icmp-type 8 action drop", { .v6 = 1, .src = SRC6, .dst = V6A,
	    .proto = 1, .icmp_type = 8 }, XDP_PASS },
	{ "ipv4 rule, ipv6 packet", "id 1 dst 0.0.0.0/0 action drop",
	    { UDP6(V6A, 1) }, XDP_PASS },
	{ "default route v4", "id 1 dst 0.0.0.0/0 proto udp action drop",
	    { UDP4(V4B, 1) }, XDP_DROP },
	{ "default route v6", "id 1 dst ::/0 proto udp action drop",
	    { UDP6(V6A, 1) }, XDP_DROP },
	/* order: accept exception inside a dropped scope */
	{ "accept in drop", "id 1 dst 198.18.1.0/24 proto udp action drop\n"
	    "id 2 dst 198.18.1.10/32 proto udp dport 53 action accept",
	    { UDP4(V4A, 53) }, XDP_PASS },
	{ "outside the exception", "id 1 dst 198.18.1.0/24 proto udp "
	    "action drop\nid 2 dst 198.18.1.10/32 proto udp dport 53 "
	    "action accept", { UDP4(V4A, 54) }, XDP_DROP },
	{ "same prefix: more components first", "id 1 dst 198.18.1.0/24 "
	    "proto udp action drop\nid 2 dst 198.18.1.0/24 proto udp "
	    "dport 53 action accept", { UDP4(V4A, 53) }, XDP_PASS },
	{ "nested drop under accept", "id 1 dst 198.18.0.0/15 action accept\n"
	    "id 2 dst 198.18.1.0/24 action drop\n"
	    "id 3 dst 198.18.1.10/32 proto tcp action accept",
	    { UDP4(V4A, 1) }, XDP_DROP },
	{ "rate 0 is drop", "id 1 dst 198.18.1.0/24 action rate-pps 0",
	    { UDP4(V4A, 1) }, XDP_DROP },
	{ "rate passes", "id 1 dst 198.18.1.0/24 action rate-bps 1000000",
	    { UDP4(V4A, 1) }, XDP_PASS },
	/* malformed, with the default policy "pass" */
	{ "truncated ip", "id 1 dst 198.18.1.0/24 action drop",
	    { UDP4(V4A, 53), .lie_len = 100 }, XDP_PASS },
	{ "truncated udp", "id 1 dst 198.18.1.0/24 dport 53 action drop",
	    { UDP4(V4A, 53), .truncate = 4, .lie_len = -4 }, XDP_PASS },
	{ "bad ihl", "id 1 dst 198.18.1.0/24 action drop",
	    { UDP4(V4A, 53), .ihl = 3 }, XDP_PASS },
	{ "ipv6 too many ext headers", "id 1 dst 2001:db8:1::/48 action drop",
	    { UDP6(V6A, 53), .exthdrs = XDP_MAX_EXTHDR + 1 }, XDP_PASS },
	{ "ipv6 max ext headers", "id 1 dst 2001:db8:1::/48 action drop",
	    { UDP6(V6A, 53), .exthdrs = XDP_MAX_EXTHDR - 1 }, XDP_DROP },
	{ "short frame", "id 1 dst 0.0.0.0/0 action drop",
	    { UDP4(V4A, 53), .truncate = 20 }, XDP_PASS },
};

static void
t_verdict_table(void)
{
	size_t i;
	int fails = 0, v;

	start("pass", "1000");
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		T_EQ(apply_text(1, table[i].rules), 0);
		v = run(&table[i].pkt, 1);
		if (v != table[i].verdict) {
			printf("  row \"%s\": verdict %d, expected %d\n",
			    table[i].name, v, table[i].verdict);
			fails++;
		}
	}
	finish();
	T_EQ(fails, 0);
}

/*
 * Every truncation of a packet that a rule drops is malformed (or not IP
 * at all) and, with "malformed pass", passes: a cut never turns into a
 * match on bytes that are not there.
 */
static void
t_truncations(void)
{
	static const struct pk pkts[] = {
		{ UDP4(V4A, 53), .ip_opts = 8, .vlans = 1 },
		{ TCP4(V4A, 53, 0x02), .frag = 1 },
		{ UDP6(V6A, 53), .exthdrs = 2, .frag = 1, .vlans = 2 },
		{ .v6 = 1, .src = SRC6, .dst = V6A, .proto = 58,
		  .icmp_type = 128, .exthdrs = 1 },
	};
	uint8_t buf[2048];
	size_t i, len, cut;
	int v;

	start("pass", "1000");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 dport 53 action drop\n"
	    "id 2 dst 198.18.1.0/24 tcp-flags syn action drop\n"
	    "id 3 dst 2001:db8:1::/48 port 53 action drop\n"
	    "id 4 dst 2001:db8:1::/48 icmp-type 128 action drop"), 0);
	for (i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
		len = pk_build(&pkts[i], buf);
		for (cut = 14; cut <= len; cut++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf,
			    .data_size_in = cut, .repeat = 1);

			if (bpf_prog_test_run_opts(xdp_prog_fd(), &o) != 0)
				T_FAIL("test run: %s", strerror(errno));
			v = o.retval;
			if (v != (cut == len ? XDP_DROP : XDP_PASS))
				T_FAIL("packet %zu cut to %zu of %zu: verdict %d",
				    i, cut, len, v);
		}
	}
	finish();
}

/* Malformed packets to a protected destination, with "malformed drop". */
static void
t_malformed_drop(void)
{
	struct xdp_global_stats gs;
	struct pk tiny = { UDP4(V4A, 53), .frag = 1, .truncate = 6,
	    .lie_len = -6 };
	struct pk longchain = { UDP6(V6A, 53), .exthdrs = 9 };
	struct pk ok = { UDP4(V4A, 53) }, other = { UDP4(V4B, 53),
	    .lie_len = 50 };

	start("drop", "1000");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 dport 99 action drop\n"
	    "id 2 dst 2001:db8:1::/48 dport 99 action drop"), 0);
	T_EQ(run(&tiny, 1), XDP_DROP);		/* tiny first fragment */
	T_EQ(run(&longchain, 1), XDP_DROP);
	T_EQ(run(&ok, 1), XDP_PASS);		/* sound, no rule matches */
	T_EQ(run(&other, 1), XDP_PASS);		/* not a protected dst */
	T_EQ(xdp_global(&gs), 0);
	T_EQ(gs.malformed_dropped, 2);
	finish();
}

static void
t_counters(void)
{
	struct mit_stats s;
	struct pk drop = { UDP4(V4A, 53), .payload = 50 };
	struct pk acc = { UDP4(V4A, 54) };
	uint8_t buf[2048];
	size_t dlen = pk_build(&drop, buf), alen = pk_build(&acc, buf);

	start("pass", "1000");
	T_EQ(apply_text(7, "id 1 dst 198.18.1.0/24 dport 53 action drop\n"
	    "id 2 dst 198.18.1.0/24 dport 54 action accept"), 0);
	T_EQ(run(&drop, 1000), XDP_DROP);
	T_EQ(run(&acc, 300), XDP_PASS);
	T_EQ(xdp_backend.stats(7, &s), 0);
	T_EQ(s.pkts_dropped, 1000);
	T_EQ(s.bytes_dropped, 1000 * dlen);
	T_EQ(s.pkts_passed, 300);
	T_EQ(s.bytes_passed, 300 * alen);
	T_EQ(xdp_backend.stats(8, &s), -ENOENT);
	finish();
}

/* Replacing one group keeps the other's counters and its own kept ids. */
static void
t_counters_survive(void)
{
	struct mit_stats s;
	struct pk a = { UDP4(V4A, 53) }, b = { UDP4(V4B, 53) };

	start("pass", "1000");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 action drop"), 0);
	T_EQ(apply_text(2, "id 1 dst 198.18.2.0/24 action drop"), 0);
	T_EQ(run(&a, 10), XDP_DROP);
	T_EQ(run(&b, 20), XDP_DROP);
	T_EQ(apply_text(2, "id 1 dst 198.18.2.0/24 action drop\n"
	    "id 2 dst 198.18.3.0/24 action drop"), 0);
	T_EQ(xdp_backend.stats(1, &s), 0);
	T_EQ(s.pkts_dropped, 10);
	T_EQ(xdp_backend.stats(2, &s), 0);
	T_EQ(s.pkts_dropped, 20);
	/* rule 1 leaves group 2: its count stays in the group's total */
	T_EQ(apply_text(2, "id 3 dst 198.18.2.0/24 action drop"), 0);
	T_EQ(run(&b, 5), XDP_DROP);
	T_EQ(xdp_backend.stats(2, &s), 0);
	T_EQ(s.pkts_dropped, 25);
	/* folded into the group's total after a grace period, and kept
	 * across a restart */
	T_EQ(xdp_sync(), 0);
	T_EQ(xdp_backend.stats(2, &s), 0);
	T_EQ(s.pkts_dropped, 25);
	T_EQ(apply_text(2, "id 4 dst 198.18.2.0/24 action drop"), 0);
	T_EQ(run(&b, 1), XDP_DROP);
	xdp_backend.stop();
	start("pass", "1000");
	T_EQ(xdp_backend.stats(2, &s), 0);
	T_EQ(s.pkts_dropped, 26);
	T_EQ(xdp_backend.stats(1, &s), 0);
	T_EQ(s.pkts_dropped, 10);
	/* a new rule id starts at zero even in a recycled slot */
	T_EQ(xdp_sync(), 0);
	T_EQ(apply_text(3, "id 9 dst 198.18.4.0/24 action drop"), 0);
	T_EQ(xdp_backend.stats(3, &s), 0);
	T_EQ(s.pkts_dropped, 0);
	finish();
}

static void
count_groups(uint64_t g, void *arg)
{
	(void)g;
	(*(int *)arg)++;
}

static void
t_withdraw(void)
{
	struct mit_stats s;
	struct pk a = { UDP4(V4A, 53) };
	char err[256];
	int n = 0;

	start("pass", "1000");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 action drop"), 0);
	T_EQ(apply_text(2, "id 1 dst 198.18.1.10/32 dport 53 action drop"),
	    0);
	T_EQ(run(&a, 1), XDP_DROP);
	T_EQ(xdp_backend.withdraw(1, err, sizeof(err)), 0);
	T_EQ(run(&a, 1), XDP_DROP);		/* group 2 still there */
	T_EQ(xdp_backend.withdraw(2, err, sizeof(err)), 0);
	T_EQ(run(&a, 1), XDP_PASS);
	T_EQ(xdp_backend.withdraw(2, err, sizeof(err)), 0);	/* unknown */
	T_EQ(xdp_backend.stats(1, &s), -ENOENT);
	T_EQ(xdp_backend.list(count_groups, &n), 0);
	T_EQ(n, 0);
	/* after a grace period the empty prefixes leave the trie */
	T_EQ(xdp_sync(), 0);
	{
		struct xdp_global_stats gs;

		T_EQ(xdp_global(&gs), 0);
		T_EQ(gs.prefixes, 0);
		T_EQ(gs.rules, 0);
	}
	finish();
}

static void
withdraw_cb(uint64_t g, void *arg)
{
	char err[256];

	(*(int *)arg)++;
	T_EQ(xdp_backend.withdraw(g, err, sizeof(err)), 0);
}

/* Reconciliation may withdraw groups from inside list(). */
static void
t_list_withdraw(void)
{
	struct pk a = { UDP4(V4A, 53) };
	int n = 0, i;
	char rule[128];

	start("pass", "1000");
	for (i = 1; i <= 20; i++) {
		snprintf(rule, sizeof(rule), "id 1 dst 198.18.%d.0/24 "
		    "action drop", i);
		T_EQ(apply_text(i, rule), 0);
	}
	T_EQ(run(&a, 1), XDP_DROP);
	T_EQ(xdp_backend.list(withdraw_cb, &n), 0);
	T_EQ(n, 20);
	n = 0;
	T_EQ(xdp_backend.list(count_groups, &n), 0);
	T_EQ(n, 0);
	T_EQ(run(&a, 1), XDP_PASS);
	finish();
}

static void
pfx_of(const char *addr, int len, char *buf, size_t buflen)
{
	struct mit_prefix p;
	char a[64];

	/* the parser clears the host bits */
	snprintf(a, sizeof(a), "%s/%d", addr, len);
	T_EQ(rules_parse_prefix(a, &p), 0);
	inet_ntop(p.family, p.addr, a, sizeof(a));
	snprintf(buf, buflen, "%.50s/%d", a, len);
}

/*
 * Nested rule prefixes, any depth: every level of /8 ... /32 over one
 * address (25 levels, one group each) and /16 ... /128 over an IPv6 one
 * keep their own rule, the most specific first; a prefix added above or
 * below the others, or withdrawn, changes only what it covers.
 */
static void
t_depth(void)
{
	struct pk a = { UDP4(V4A, 53) }, a6 = { UDP6(V6A, 53) };
	char rule[160], p[64], err[256];
	int l, fails = 0;

	start("pass", "1000");
	for (l = 8; l <= 32; l++) {
		pfx_of(V4A, l, p, sizeof(p));
		snprintf(rule, sizeof(rule), "id 1 dst %s proto udp dport %d "
		    "action drop", p, 1000 + l);
		T_EQ(apply_text(l, rule), 0);
	}
	for (l = 16; l <= 128; l += 4) {
		pfx_of(V6A, l, p, sizeof(p));
		snprintf(rule, sizeof(rule), "id 1 dst %s dport %d "
		    "action drop", p, 2000 + l);
		T_EQ(apply_text(1000 + l, rule), 0);
	}
	for (l = 7; l <= 33; l++) {
		a.dport = 1000 + l;
		if (run(&a, 1) != (l >= 8 && l <= 32 ? XDP_DROP : XDP_PASS))
			fails++;
	}
	for (l = 12; l <= 132; l += 4) {
		a6.dport = 2000 + l;
		if (run(&a6, 1) != (l >= 16 && l <= 128 ? XDP_DROP : XDP_PASS))
			fails++;
	}
	T_EQ(fails, 0);
	/* a drop of everything above them all; an exception below */
	T_EQ(apply_text(1, "id 1 dst 0.0.0.0/0 action drop"), 0);
	T_EQ(apply_text(2, "id 1 dst " V4A "/32 proto udp dport 999 "
	    "action accept"), 0);
	a.dport = 999;
	T_EQ(run(&a, 1), XDP_PASS);
	a.dport = 998;
	T_EQ(run(&a, 1), XDP_DROP);
	/* the /32 of level 32 goes: the exception stays, on the same /32 */
	T_EQ(xdp_backend.withdraw(32, err, sizeof(err)), 0);
	a.dport = 1032;
	T_EQ(run(&a, 1), XDP_DROP);		/* by 0/0 now */
	a.dport = 999;
	T_EQ(run(&a, 1), XDP_PASS);
	T_EQ(xdp_backend.withdraw(1, err, sizeof(err)), 0);
	a.dport = 998;
	T_EQ(run(&a, 1), XDP_PASS);
	a.dport = 1020;
	T_EQ(run(&a, 1), XDP_DROP);
	T_EQ(xdp_sync(), 0);
	T_EQ(run(&a, 1), XDP_DROP);
	finish();
}

/*
 * Many rules on one destination, several groups: the first in RFC 8955
 * order wins whatever the number; more than XDP_CLASS_RULES covering
 * one address is refused whole.
 */
static void
t_many_on_one(void)
{
	static struct mit_ruleset rs;
	struct pk k = { UDP4(V4A, 53) };
	char err[256], line[160];
	const char *why;
	uint32_t i, g;
	int fails = 0;

	start("pass", "10000");
	/* 1,000 rules on one /32: dport i drops, except for the source
	 * 198.19.0.0/16 on odd ports (accept, more components: first) */
	for (i = 0; i < 1000; i++) {
		g = i / 40;
		if (i % 40 == 0) {
			memset(&rs, 0, sizeof(rs));
			rs.group = 100 + g;
		}
		snprintf(line, sizeof(line), "id %u dst " V4A "/32 proto udp "
		    "dport %u action drop", 2 * i, 10000 + i);
		T_EQ(rules_parse(line, &rs.rules[rs.nrules++], &why), 0);
		if (i % 2) {
			snprintf(line, sizeof(line), "id %u dst " V4A "/32 "
			    "src 198.19.0.0/16 proto udp dport %u "
			    "action accept", 2 * i + 1, 10000 + i);
			T_EQ(rules_parse(line, &rs.rules[rs.nrules++], &why),
			    0);
		}
		if (i % 40 == 39 &&
		    xdp_backend.apply(&rs, err, sizeof(err)) != 0)
			T_FAIL("apply: %s", err);
	}
	for (i = 0; i < 1000; i++) {
		k.dport = 10000 + i;
		if (run(&k, 1) != (i % 2 ? XDP_PASS : XDP_DROP))
			fails++;
	}
	k.dport = 9999;
	T_EQ(run(&k, 1), XDP_PASS);
	T_EQ(fails, 0);
	finish();

	start("pass", "10000");
	for (g = 0; g * MIT_MAX_GROUP_RULES < XDP_CLASS_RULES; g++) {
		memset(&rs, 0, sizeof(rs));
		rs.group = g + 1;
		for (i = 0; i < MIT_MAX_GROUP_RULES; i++) {
			snprintf(line, sizeof(line), "id %u dst 198.18.1.0/24 "
			    "action drop", i);
			T_EQ(rules_parse(line, &rs.rules[rs.nrules++], &why),
			    0);
		}
		if (xdp_backend.apply(&rs, err, sizeof(err)) != 0)
			T_FAIL("apply %u: %s", g, err);
	}
	/* one more rule on the /24, or on a /32 under it: refused */
	T_EQ(apply_text(999, "id 1 dst 198.18.1.0/24 action accept"), -E2BIG);
	T_EQ(apply_text(999, "id 1 dst " V4A "/32 action accept"), -E2BIG);
	T_EQ(run(&k, 1), XDP_DROP);
	T_EQ(xdp_backend.withdraw(1, err, sizeof(err)), 0);
	T_EQ(apply_text(999, "id 1 dst " V4A "/32 action accept"), 0);
	T_EQ(run(&k, 1), XDP_PASS);
	finish();
}

/* A failed apply leaves the old set in force. */
static void
t_all_or_nothing(void)
{
	struct pk a = { UDP4(V4A, 53) };

	start("pass", "3");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 action drop\n"
	    "id 2 dst 198.18.2.0/24 action drop"), 0);
	T_EQ(apply_text(2, "id 1 dst 198.18.3.0/24 action drop\n"
	    "id 2 dst 198.18.4.0/24 action drop"), -E2BIG);
	T_EQ(run(&a, 1), XDP_DROP);
	finish();
}

/* Stop (as a crash would) and start again: the rules are adopted. */
static void
t_adopt(void)
{
	struct mit_stats s;
	struct pk a = { UDP4(V4A, 53) }, b = { UDP4(V4B, 53) };
	char err[256];
	int n = 0;

	start("pass", "1000");
	T_EQ(apply_text(4, "id 1 dst 198.18.1.0/24 action drop\n"
	    "id 2 dst 198.18.2.0/24 dport 53 action accept"), 0);
	T_EQ(run(&a, 5), XDP_DROP);
	xdp_backend.stop();
	if (xdp_backend.start(err, sizeof(err)) != 0)
		T_FAIL("restart: %s", err);
	T_EQ(xdp_backend.list(count_groups, &n), 0);
	T_EQ(n, 1);
	T_EQ(run(&a, 1), XDP_DROP);
	T_EQ(run(&b, 1), XDP_PASS);
	T_EQ(xdp_backend.stats(4, &s), 0);
	T_EQ(s.pkts_dropped, 6);
	T_EQ(s.pkts_passed, 1);
	/* and can be changed as usual */
	T_EQ(apply_text(4, "id 1 dst 198.18.1.0/24 dport 54 action drop"), 0);
	T_EQ(run(&a, 1), XDP_PASS);
	finish();
}

/* A burst on one CPU gets the bucket depth (50 ms of rate) through. */
static void
t_rate_burst(void)
{
	struct mit_stats s;
	struct pk a = { UDP4(V4A, 53) };

	start("pass", "1000");
	T_EQ(apply_text(1, "id 1 dst 198.18.1.0/24 action rate-pps 2000"), 0);
	run(&a, 2000);
	T_EQ(xdp_backend.stats(1, &s), 0);
	T_EQ(s.pkts_passed + s.pkts_dropped, 2000);
	/* 100 tokens of depth, plus what accrues while the loop runs */
	T_ASSERT(s.pkts_passed >= 100 && s.pkts_passed <= 130);
	finish();
}

/*
 * 100,000 rules, one per /32 of 198.18.0.0/15, in groups of 64: every
 * one matches its own packets, and the 100,001st does not fit.
 */
static void
t_scale_100k(void)
{
	static struct mit_ruleset rs;
	char err[256], line[128], dst[32];
	const char *why;
	uint32_t i, a;
	struct pk k = { .src = SRC4, .proto = 17, .sport = 1, .dport = 53 };

	start("pass", "100000");
	for (i = 0; i < 100000; i++) {
		if (i % MIT_MAX_GROUP_RULES == 0) {
			memset(&rs, 0, sizeof(rs));
			rs.group = i / MIT_MAX_GROUP_RULES + 1;
		}
		a = 0xc6120000 + i;
		snprintf(line, sizeof(line), "id %u dst %u.%u.%u.%u/32 "
		    "dport 53 action drop", i, a >> 24, (a >> 16) & 0xff,
		    (a >> 8) & 0xff, a & 0xff);
		T_EQ(rules_parse(line, &rs.rules[rs.nrules++], &why), 0);
		if (rs.nrules == MIT_MAX_GROUP_RULES || i == 99999)
			if (xdp_backend.apply(&rs, err, sizeof(err)) != 0)
				T_FAIL("rule %u: %s", i, err);
	}
	for (i = 0; i < 100000; i += 9973) {
		a = 0xc6120000 + i;
		snprintf(dst, sizeof(dst), "%u.%u.%u.%u", a >> 24,
		    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
		k.dst = dst;
		k.dport = 53;
		T_EQ(run(&k, 1), XDP_DROP);
		k.dport = 54;
		T_EQ(run(&k, 1), XDP_PASS);
	}
	T_EQ(apply_text(999999, "id 1 dst 198.19.255.255/32 action drop"),
	    -E2BIG);
	finish();
}

/* A test that failed half-way left its pins: remove them. */
static void
flush_leftovers(void)
{
	char prefix[64], path[512], err[256];
	struct dirent *de;
	DIR *d;

	snprintf(prefix, sizeof(prefix), "dx-ut-%d-", (int)getpid());
	if ((d = opendir("/sys/fs/bpf")) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "/sys/fs/bpf/%s",
			    de->d_name);
			xdp_flush(path, err, sizeof(err));
		}
	closedir(d);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("skip xdp_verdict: needs root and BPF\n");
		return 77;
	}
	log_init(1, 0, "xdp_verdict_test");
	T_RUN(t_verdict_table);
	T_RUN(t_truncations);
	T_RUN(t_malformed_drop);
	T_RUN(t_counters);
	T_RUN(t_counters_survive);
	T_RUN(t_withdraw);
	T_RUN(t_list_withdraw);
	T_RUN(t_depth);
	T_RUN(t_many_on_one);
	T_RUN(t_all_or_nothing);
	T_RUN(t_adopt);
	T_RUN(t_rate_burst);
	T_RUN(t_scale_100k);
	flush_leftovers();
	return t_done();
}
