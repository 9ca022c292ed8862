/*
 * mitreq_bench.c: what a mitigation request costs in dotsd/mitreq.c +
 * dotsd/store.c: a new PUT (check, overlap scan, durable commit), a
 * refresh, GET of all, DELETE and a tick, with N requests already held.
 * The durable store (WAL, synchronous=FULL: one fsync per acknowledged
 * change) is compared with an in-memory database, which shows what the
 * "acknowledged = durable" rule costs. Engine, authz, resolver and
 * signal.c are trivial doubles, so the figures are mitreq's own.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "dotsd/resolve.h"
#include "dotsd/store.h"
#include "lib/log.h"

int
engine_apply(const struct mitigation *m, char *err, size_t errlen)
{
	return 0;
}

int
engine_withdraw(uint64_t id)
{
	return 0;
}

int
engine_status(uint64_t id, struct mit_status *st)
{
	memset(st, 0, sizeof(*st));
	st->state = MIT_ST_ACTIVE;
	st->pkts_dropped = id;
	return 0;
}

int
authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
    char *why, size_t whylen)
{
	return 0;
}

const struct client_conf *
authz_by_name(const struct dotsd_conf *cf, const char *name)
{
	return &cf->clients[0];
}

int
resolve_start(const char *name, resolve_cb cb, void *arg)
{
	return -EAGAIN;
}

void
resolve_cancel(void *arg)
{
}

void
signal_notify(const struct client_conf *c, const char *cuid)
{
}

void
signal_async_reply(void *pending, struct dots_reply *r)
{
}

static struct client_conf client;
static struct dotsd_conf conf;

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static json_t *
body(unsigned i)
{
	char	buf[256];

	/* one /128 per request, no overlaps: the full scan runs each time */
	snprintf(buf, sizeof(buf), "{\"ietf-dots-signal-channel:mitigation-"
	    "scope\":{\"scope\":[{\"target-prefix\":[\"2001:db8:%x:%x::1/128\"],"
	    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443}],"
	    "\"target-protocol\":[6],\"lifetime\":3600}]}}", i >> 16,
	    i & 0xffff);
	return json_loads(buf, 0, NULL);
}

/* One run: n requests created, refreshed, read, deleted. */
static void
run(const char *path, unsigned n)
{
	struct dots_peer peer = { .client = &client };
	struct dots_uri	 uri = { .cuid = "dz6pHjaADkaFTbjr0JGBpw", .has_mid = 1 };
	struct dots_reply r;
	char		 err[256];
	double		 t, put_us, ref_us, get_us, del_us, tick_us;
	json_t		*b;
	unsigned	 i;

	if (strcmp(path, ":memory:") != 0)
		unlink(path);
	if (store_open(path, err, sizeof(err)) != 0) {
		printf("store_open %s: %s\n", path, err);
		return;
	}
	mitreq_load(&conf, 1700000000);

	t = now_us();
	for (i = 0; i < n; i++) {
		uri.mid = i + 1;
		b = body(i);
		mitreq_put(&peer, &uri, b, 0, &r);
		json_decref(b);
		if (r.code != 201) {
			printf("PUT %u: %d %s\n", i, r.code, r.diag);
			return;
		}
		json_decref(r.body);
	}
	put_us = (now_us() - t) / n;

	t = now_us();
	for (i = 0; i < n; i++) {
		uri.mid = i + 1;
		b = body(i);
		mitreq_put(&peer, &uri, b, 0, &r);
		json_decref(b);
		json_decref(r.body);
	}
	ref_us = (now_us() - t) / n;

	uri.has_mid = 0;
	t = now_us();
	mitreq_get(&peer, &uri, &r);
	get_us = now_us() - t;
	json_decref(r.body);
	uri.has_mid = 1;

	t = now_us();
	mitreq_tick(1700000001);
	tick_us = now_us() - t;

	t = now_us();
	for (i = 0; i < n; i++) {
		uri.mid = i + 1;
		mitreq_delete(&peer, &uri, &r);
	}
	del_us = (now_us() - t) / n;

	printf("%-9s n=%-5u PUT new %8.1f us  refresh %8.1f us  "
	    "DELETE %8.1f us  GET all %9.1f us  tick %9.1f us\n",
	    strcmp(path, ":memory:") ? "durable" : "in-memory", n, put_us,
	    ref_us, del_us, get_us, tick_us);
	mitreq_fini();
	store_close();
	if (strcmp(path, ":memory:") != 0)
		unlink(path);
}

int
main(void)
{
	static const unsigned sizes[] = { 10, 100, 1000 };
	char	 dir[] = "/var/tmp/mitreq-bench-XXXXXX", path[64];
	size_t	 i;

	log_init(1, 0, "mitreq_bench");
	/* one log line per request would measure the terminal */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return 1;
	snprintf(client.name, sizeof(client.name), "bench");
	client.max_mitigations = 0;
	conf.clients = &client;
	conf.nclients = 1;
	conf.abt_period = 120;
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	printf("mitreq: cost per request with n requests held "
	    "(durable: %s, fsync per commit)\n", dir);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		run(":memory:", sizes[i]);
		run(path, sizes[i]);
	}
	rmdir(dir);
	return 0;
}
