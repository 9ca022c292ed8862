/*
 * xdp-bench.c: figures for tests/bench/xdp-bench (which sets up the
 * namespaces and xdp-filter). Prints, never judges.
 *
 *   xdp-bench testrun PIN
 *	ns/packet under BPF_PROG_TEST_RUN: an XDP_PASS floor, dotsd's program
 *	at 1, 1,000 and 100,000 rules for a matching packet, a packet whose
 *	destination has no rule and one whose destination has rules that
 *	do not match.
 *   xdp-bench prog PROG_ID NRULES LABEL
 *	the same packets (made for NRULES rules) through another program,
 *	e.g. xdp-filter holding the same destinations, next to the floor.
 *   xdp-bench live PIN NETNS IFACE SENDER_CMD
 *	drop rate (Mpps) of dotsd's program with 100,000 rules attached to
 *	IFACE (native mode) in NETNS while SENDER_CMD floods it, next to a
 *	bare XDP_DROP program; counts come from the kernel's run counters.
 */
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "tests/unit/xdp_pkt.h"
#include "xdp/xdp.h"

#define REPEAT		1000000
#define TRIES		3

enum { PK_MATCH, PK_NO_PREFIX, PK_NO_RULE, PK_N };
static const char *pk_names[PK_N] = { "match", "miss-prefix", "miss-rule" };
static uint8_t frames[PK_N][2048];
static size_t frame_len[PK_N];

static void
addr_of(uint32_t i, char *buf, size_t len)
{
	uint32_t a = 0xc6120000 + i;	/* 198.18.0.0/15 */

	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
	    (a >> 8) & 0xff, a & 0xff);
}

/* Packets: dst = rule nrules/2 (or 0), dport 53 drops, 54 does not. */
static void
build_frames(uint32_t nrules)
{
	char dst[32];
	struct pk k = { .src = "198.19.255.1", .proto = 17, .sport = 40000,
	    .dport = 53, .payload = 18 };

	addr_of(nrules / 2, dst, sizeof(dst));
	k.dst = dst;
	frame_len[PK_MATCH] = pk_build(&k, frames[PK_MATCH]);
	k.dport = 54;
	frame_len[PK_NO_RULE] = pk_build(&k, frames[PK_NO_RULE]);
	k.dport = 53;
	k.dst = "198.19.255.250";		/* beyond every rule */
	frame_len[PK_NO_PREFIX] = pk_build(&k, frames[PK_NO_PREFIX]);
}

/* Best of TRIES runs of REPEAT: ns per packet, or -1. */
static double
ns_per_packet(int prog_fd, int which, int *verdict)
{
	double best = -1;
	int i;

	for (i = 0; i < TRIES; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o,
		    .data_in = frames[which],
		    .data_size_in = frame_len[which],
		    .repeat = REPEAT);

		if (bpf_prog_test_run_opts(prog_fd, &o) != 0)
			return -1;
		*verdict = o.retval;
		if (best < 0 || o.duration < best)
			best = o.duration;
	}
	return best;
}

static int
load_const_prog(int verdict)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, verdict == XDP_PASS ?
	    "bench_pass" : "bench_drop", "GPL", insns, 2, NULL);
}

/* Replaces the rule set by n rules "dst X/32 proto udp dport 53 drop". */
static int
load_rules(uint32_t n)
{
	static struct mit_ruleset rs;
	char err[256], line[128], dst[32];
	const char *why;
	uint32_t i, g = 0;
	uint64_t grp;

	for (grp = 1; grp <= 100000 / MIT_MAX_GROUP_RULES + 1; grp++)
		xdp_backend.withdraw(grp, err, sizeof(err));
	for (i = 0; i < n; i = g) {
		memset(&rs, 0, sizeof(rs));
		rs.group = i / MIT_MAX_GROUP_RULES + 1;
		for (g = i; g < n && g < i + MIT_MAX_GROUP_RULES; g++) {
			addr_of(g, dst, sizeof(dst));
			snprintf(line, sizeof(line), "id %u dst %s/32 proto udp "
			    "dport 53 action drop", g + 1, dst);
			if (rules_parse(line, &rs.rules[rs.nrules++], &why)) {
				fprintf(stderr, "%s: %s\n", line, why);
				return -1;
			}
		}
		if (xdp_backend.apply(&rs, err, sizeof(err)) != 0) {
			fprintf(stderr, "apply: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static int
start_backend(const char *pin, const char *iface)
{
	char err[256];

	xdp_flush(pin, err, sizeof(err));
	if (xdp_backend.configure("pin-path", pin, err, sizeof(err)) != 0 ||
	    xdp_backend.configure("max-rules", "100000", err,
	    sizeof(err)) != 0 ||
	    (iface && (xdp_backend.configure("interface", iface, err,
	    sizeof(err)) != 0 || xdp_backend.configure("mode", "native",
	    err, sizeof(err)) != 0)) ||
	    xdp_backend.start(err, sizeof(err)) != 0) {
		fprintf(stderr, "xdp-bench: %s\n", err);
		return -1;
	}
	return 0;
}

static int
cmd_testrun(int argc, char **argv)
{
	static const uint32_t counts[] = { 1, 1000, 100000 };
	double floor_ns, ns[3][PK_N];
	int floor_fd, i, j, v;
	char err[256];
	struct timespec t0, t1;

	floor_fd = load_const_prog(XDP_PASS);
	if (floor_fd < 0 || start_backend(argv[1], NULL) != 0) {
		fprintf(stderr, "xdp-bench: cannot load programs\n");
		return 1;
	}
	build_frames(1000);
	floor_ns = ns_per_packet(floor_fd, PK_MATCH, &v);
	printf("BPF_PROG_TEST_RUN, ns/packet (best of %d x %d runs)\n",
	    TRIES, REPEAT);
	printf("  %-34s %8.1f\n", "XDP_PASS floor", floor_ns);
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (load_rules(counts[i]) != 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		build_frames(counts[i]);
		for (j = 0; j < PK_N; j++) {
			ns[i][j] = ns_per_packet(xdp_prog_fd(), j, &v);
			printf("  dotsd %6u rules, %-12s %8.1f  (%s, %.2fx "
			    "floor)\n", counts[i], pk_names[j], ns[i][j],
			    v == XDP_DROP ? "drop" : "pass",
			    ns[i][j] / floor_ns);
		}
		printf("  (loaded %u rules in %.2f s)\n", counts[i],
		    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	printf("ratios at 100,000 rules\n");
	for (j = 0; j < PK_N; j++)
		printf("  %-12s %.2fx floor, %.2fx dotsd at 1 rule\n",
		    pk_names[j], ns[2][j] / floor_ns, ns[2][j] / ns[0][j]);
	xdp_backend.stop();
	xdp_flush(argv[1], err, sizeof(err));
	close(floor_fd);
	return 0;
}

static int
cmd_prog(int argc, char **argv)
{
	double floor_ns, t;
	int fd, floor_fd, j, v;

	if (argc != 4)
		return 2;
	fd = bpf_prog_get_fd_by_id(atoi(argv[1]));
	floor_fd = load_const_prog(XDP_PASS);
	if (fd < 0 || floor_fd < 0) {
		perror("xdp-bench: program");
		return 1;
	}
	build_frames(atoi(argv[2]));
	floor_ns = ns_per_packet(floor_fd, PK_MATCH, &v);
	for (j = 0; j < PK_N; j++) {
		t = ns_per_packet(fd, j, &v);
		printf("  %s, %-12s %8.1f  (%s, %.2fx floor)\n", argv[3],
		    pk_names[j], t, v == XDP_DROP ? "drop" : "pass",
		    t / floor_ns);
	}
	close(fd);
	close(floor_fd);
	return 0;
}

static uint64_t
run_cnt(int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return 0;
	return info.run_cnt;
}

/* Mpps the program ran at while the sender flooded. */
static double
live_rate(int prog_fd, const char *sender)
{
	struct timespec t0, t1;
	uint64_t c0, c1;
	double secs;

	c0 = run_cnt(prog_fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (system(sender) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c1 = run_cnt(prog_fd);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return (c1 - c0) / secs / 1e6;
}

static int
cmd_live(int argc, char **argv)
{
	char path[256], err[256];
	double ours, bare;
	int nsfd, stats_fd, drop_fd, ifindex;

	if (argc != 5)
		return 2;
	snprintf(path, sizeof(path), "/run/netns/%s", argv[2]);
	if ((nsfd = open(path, O_RDONLY)) < 0 || setns(nsfd, CLONE_NEWNET)) {
		perror(path);
		return 1;
	}
	if ((stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0) {
		perror("bpf_enable_stats");
		return 1;
	}
	if (start_backend(argv[1], argv[3]) != 0 || load_rules(100000) != 0)
		return 1;
	build_frames(100000);
	ours = live_rate(xdp_prog_fd(), argv[4]);
	xdp_backend.stop();
	xdp_flush(argv[1], err, sizeof(err));	/* detaches */

	ifindex = if_nametoindex(argv[3]);
	if ((drop_fd = load_const_prog(XDP_DROP)) < 0 ||
	    bpf_xdp_attach(ifindex, drop_fd, XDP_FLAGS_DRV_MODE, NULL) != 0) {
		perror("attach XDP_DROP");
		return 1;
	}
	bare = live_rate(drop_fd, argv[4]);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	printf("live drop rate over veth (native XDP, one sender)\n");
	printf("  dotsd, 100,000 rules   %6.3f Mpps\n", ours);
	printf("  bare XDP_DROP          %6.3f Mpps\n", bare);
	printf("  ratio                  %6.2fx  (aim: >= 0.8x)\n",
	    bare > 0 ? ours / bare : 0);
	close(stats_fd);
	return 0;
}

int
main(int argc, char *argv[])
{
	log_init(1, 0, "xdp-bench");
	if (argc == 3 && strcmp(argv[1], "testrun") == 0)
		return cmd_testrun(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "prog") == 0)
		return cmd_prog(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "live") == 0)
		return cmd_live(argc - 1, argv + 1);
	fprintf(stderr, "usage: xdp-bench testrun PIN\n"
	    "       xdp-bench prog PROG_ID NRULES LABEL\n"
	    "       xdp-bench live PIN NETNS IFACE SENDER_CMD\n");
	return 2;
}
