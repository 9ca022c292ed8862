/*
 * mitigate_bench.c: how long the engine takes to apply, tick, reconcile
 * and withdraw 10,000 mitigations through null backends (null standing in
 * for xdp, null2 for bgp). Prints figures and ratios, never pass/fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/log.h"
#include "mitigate/mitigate.h"
#include "mitigate/null.h"

#define N	10000

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mitigation i: 2 targets (v4 and v6), 3 port ranges, TCP and UDP. */
static void
make(struct mitigation *m, uint64_t id, int pin)
{
	memset(m, 0, sizeof(*m));
	m->id = id;
	snprintf(m->client, sizeof(m->client), "client%u",
	    (unsigned)(id % 50));
	m->ntargets = 2;
	m->targets[0].family = AF_INET;
	m->targets[0].len = 32;
	m->targets[0].addr[0] = 198;
	m->targets[0].addr[1] = 18 + (id >> 16 & 1);
	m->targets[0].addr[2] = id >> 8;
	m->targets[0].addr[3] = id;
	m->targets[1].family = AF_INET6;
	m->targets[1].len = 128;
	m->targets[1].addr[0] = 0x20;
	m->targets[1].addr[1] = 0x01;
	m->targets[1].addr[2] = 0x0d;
	m->targets[1].addr[3] = 0xb8;
	m->targets[1].addr[14] = id >> 8;
	m->targets[1].addr[15] = id;
	m->nports = 3;
	m->ports[0].lo = m->ports[0].hi = 53;
	m->ports[1].lo = m->ports[1].hi = 80;
	m->ports[2].lo = 8000;
	m->ports[2].hi = 8100;
	m->nproto = 2;
	m->proto[0] = 6;
	m->proto[1] = 17;
	m->policy.pin_level = pin;
}

/* Returns the seconds the applies took. */
static double
run(const char *what, int pin)
{
	struct mitigation	m;
	char			err[256];
	double			t0, t_apply, t_tick, t_rec, t_wd;
	uint64_t		i;
	int			n;

	null_reset(&null_backend);
	null_reset(&null_backend2);
	engine_configure("local-backend", "null", err, sizeof(err));
	engine_configure("flowspec-backend", "null2", err, sizeof(err));
	engine_configure("rtbh-backend", "null2", err, sizeof(err));
	engine_configure("max-rules", "1000000", err, sizeof(err));
	engine_configure("max-announcements", "1000000", err, sizeof(err));
	engine_add_backend(&null_backend);
	engine_add_backend(&null_backend2);
	if (engine_start(err, sizeof(err)) != 0)
		fatalx("engine_start: %s", err);
	engine_tick(1000);

	t0 = now_s();
	for (i = 0; i < N; i++) {
		make(&m, i + 1, pin);
		if (engine_apply(&m, err, sizeof(err)) != 0)
			fatalx("apply %llu: %s", (unsigned long long)i, err);
	}
	t_apply = now_s() - t0;
	t0 = now_s();
	engine_tick(1001);
	t_tick = now_s() - t0;
	t0 = now_s();
	n = engine_reconcile(err, sizeof(err));
	t_rec = now_s() - t0;
	if (n != 0)
		fatalx("reconcile: %d differences: %s", n, err);
	t0 = now_s();
	for (i = 0; i < N; i++)
		engine_withdraw(i + 1);
	t_wd = now_s() - t0;
	if (null_ngroups(&null_backend) + null_ngroups(&null_backend2) != 0)
		fatalx("groups left after withdrawing everything");

	printf("mitigate-bench %-9s apply %d: %.3f s (%.1f us each, "
	    "%.0f/s)\n", what, N, t_apply, t_apply / N * 1e6, N / t_apply);
	printf("mitigate-bench %-9s tick over %d: %.1f ms; reconcile: "
	    "%.1f ms; withdraw %d: %.3f s\n", what, N, t_tick * 1e3,
	    t_rec * 1e3, N, t_wd);
	engine_stop();
	return t_apply;
}

int
main(void)
{
	double	local, all;

	log_init(1, 0, "mitigate-bench");
	local = run("local", -1);	/* 1 group, 2 rules each */
	all = run("rtbh-pin", 2);	/* 3 groups, 6 rules each */
	printf("mitigate-bench apply time rtbh-pin/local: %.2f (3 groups "
	    "vs 1)\n", all / local);
	return 0;
}
