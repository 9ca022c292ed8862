/*
 * dotsd_mitreq_index_test.c: the request table's indexes
 * (dotsd/mitreq_index.c) against the scans they replaced, on random sets
 * of requests: overlapping requests (RFC 9132 §4.4.1.3), look-up by key,
 * counts per client and per (client, cuid), after inserts, purges,
 * re-resolutions and removals. The scans live here, as the oracle.
 *
 * Links the mitreq pieces with trivial doubles of the engine,
 * authorization, resolver and signal channel (none is asked anything
 * that matters here).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"
#include "dotsd/resolve.h"
#include "lib/log.h"
#include "tests/t.h"

/* doubles */
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
	return -1;
}

int
authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
    char *why, size_t len)
{
	return 0;
}

const struct client_conf *
authz_by_name(const struct dotsd_conf *conf, const char *name)
{
	return NULL;
}

int
resolve_start(const char *name, resolve_cb cb, void *arg)
{
	return -1;
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

/* ------------------------------------------------------------------ */
/* the oracle: what mitreq did before the index                        */
/* ------------------------------------------------------------------ */

/* Every request of the table overlapping q, in table order. */
static int
scan_overlapping(const struct mreq *q, struct mreq **out, int max)
{
	struct mreq	*o;
	int		 n = 0;

	TAILQ_FOREACH(o, &mitreq_list, entry)
		if (o != q && mitreq_conflict_overlap(q, o, NULL) && n < max)
			out[n++] = o;
	return n;
}

static struct mreq *
scan_find(const struct client_conf *c, const char *cuid, uint32_t mid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (m->client == c && m->mid == mid &&
		    strcmp(m->cuid, cuid) == 0 && !m->purge)
			return m;
	return NULL;
}

static int
scan_client_count(const struct client_conf *c)
{
	struct mreq	*m;
	int		 n = 0;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (m->client == c && !m->purge)
			n++;
	return n;
}

static int
scan_cuid_state(const char *client, const char *cuid)
{
	struct mreq	*m;

	TAILQ_FOREACH(m, &mitreq_list, entry)
		if (!m->purge && strcmp(m->client->name, client) == 0 &&
		    strcmp(m->cuid, cuid) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* random requests                                                    */
/* ------------------------------------------------------------------ */

#define NCLIENTS	3
#define NREQ		600

static struct client_conf clients[NCLIENTS];
static const char *const names[] = {
	"a.example", "b.example", "c.example", "https://a.example/x",
	"alias-1", "alias-2",
};

/*
 * A random prefix in a small space, so that many overlap: IPv4 within
 * 198.18.0.0/22 or IPv6 within 2001:db8::/118, at lengths around the
 * space's own (containing, equal, contained).
 */
static void
rand_prefix(struct mit_prefix *p)
{
	unsigned	len, i, v;

	memset(p, 0, sizeof(*p));
	v = (unsigned)random() & 0x3ff;
	if (random() & 1) {
		p->family = AF_INET;
		len = 20 + (unsigned)random() % 13;	/* /20../32 */
		p->addr[0] = 198;
		p->addr[1] = 18;
		p->addr[2] = (uint8_t)(v >> 8);
		p->addr[3] = (uint8_t)v;
	} else {
		p->family = AF_INET6;
		len = 116 + (unsigned)random() % 13;	/* /116../128 */
		p->addr[0] = 0x20;
		p->addr[1] = 0x01;
		p->addr[2] = 0x0d;
		p->addr[3] = 0xb8;
		p->addr[14] = (uint8_t)(v >> 8);
		p->addr[15] = (uint8_t)v;
	}
	if (random() % 16 == 0)
		len = p->family == AF_INET ? 16 : 112;	/* a big one */
	p->len = (uint8_t)len;
	for (i = len; i < 128; i++)
		p->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
}

static void
rand_addrs(struct mreq *m)
{
	int	i;

	m->naddr = (uint8_t)(random() % 3);
	for (i = 0; i < m->naddr; i++) {
		rand_prefix(&m->addr[i]);
		m->addr[i].len = m->addr[i].family == AF_INET ? 32 : 128;
	}
}

static struct mreq *
rand_req(uint32_t mid)
{
	struct mreq	*m = calloc(1, sizeof(*m));
	json_t		*arr;
	int		 i, k;

	T_ASSERT(m != NULL);
	m->client = &clients[random() % NCLIENTS];
	snprintf(m->cuid, sizeof(m->cuid), "cuid%ld", random() % 4);
	m->mid = mid;
	m->rq.scope = json_object();
	m->rq.nprefix = (uint8_t)(random() % 4);
	for (i = 0; i < m->rq.nprefix; i++)
		rand_prefix(&m->rq.prefix[i]);
	rand_addrs(m);
	/* names now and then: target-fqdn, target-uri or alias-name */
	for (k = 0; k < 3; k++) {
		if (random() % 5 != 0)
			continue;
		arr = json_array();
		json_array_append_new(arr,
		    json_string(names[random() % 6]));
		json_object_set_new(m->rq.scope, k == 0 ? "target-fqdn" :
		    k == 1 ? "target-uri" : "alias-name", arr);
	}
	/* sometimes more targets than the engine takes */
	if (random() % 50 == 0)
		for (m->rq.nprefix = 0; m->rq.nprefix < MIT_MAX_TARGETS;
		    m->rq.nprefix++)
			rand_prefix(&m->rq.prefix[m->rq.nprefix]);
	return m;
}

/* The index's answer, filtered as its callers do, equals the scan's. */
static void
check_overlaps(struct mreq *q)
{
	static struct mreq *want[NREQ + 8];
	struct mreq	**cand;
	int		 nwant, ncand, i, j;

	nwant = scan_overlapping(q, want, NREQ + 8);
	ncand = mitreq_index_overlapping(q, &cand);
	T_ASSERT(ncand >= 0);
	for (i = j = 0; i < ncand; i++) {
		T_ASSERT(cand[i] != q);
		if (i > 0)
			T_ASSERT(cand[i - 1]->ix_seq < cand[i]->ix_seq);
		if (!mitreq_conflict_overlap(q, cand[i], NULL))
			continue;
		T_ASSERT(j < nwant);
		T_ASSERT(cand[i] == want[j]);
		j++;
	}
	T_EQ(j, nwant);
	free(cand);
}

static void
check_all(void)
{
	struct mreq	*m, *q;
	int		 i;
	char		 cuid[16];

	TAILQ_FOREACH(m, &mitreq_list, entry) {
		check_overlaps(m);
		T_ASSERT(mitreq_index_find(m->client->name, m->cuid, m->mid) ==
		    scan_find(m->client, m->cuid, m->mid));
	}
	/* requests that are not in the table ask too (a new PUT) */
	for (i = 0; i < 40; i++) {
		q = rand_req(100000 + (uint32_t)i);
		check_overlaps(q);
		mitreq_free(q);
	}
	for (i = 0; i < NCLIENTS; i++) {
		T_EQ(mitreq_index_client_live(clients[i].name),
		    scan_client_count(&clients[i]));
		snprintf(cuid, sizeof(cuid), "cuid%d", i);
		T_EQ(mitreq_index_group_live(clients[i].name, cuid) > 0,
		    scan_cuid_state(clients[i].name, cuid));
	}
}

static void
t_random_sets(void)
{
	struct mreq	*m, *next;
	uint32_t	 mid;
	int		 round, i;

	for (round = 0; round < 4; round++) {
		srandom(0x5eed + (unsigned)round);
		for (mid = 1; mid <= NREQ; mid++)
			T_EQ(mitreq_index_insert(rand_req(mid)), 0);
		check_all();
		/* purge some, re-resolve some, remove some */
		i = 0;
		for (m = TAILQ_FIRST(&mitreq_list); m != NULL; m = next) {
			next = TAILQ_NEXT(m, entry);
			switch (i++ % 5) {
			case 0:
				mitreq_index_purge(m);
				break;
			case 1:
				rand_addrs(m);
				mitreq_index_retarget(m);
				break;
			case 2:
				mitreq_index_remove(m);
				mitreq_free(m);
				break;
			}
		}
		check_all();
		/* and add again, with mids that repeat */
		for (mid = 1; mid <= NREQ / 4; mid++)
			T_EQ(mitreq_index_insert(rand_req(mid)), 0);
		check_all();
		mitreq_index_fini();
		T_ASSERT(TAILQ_EMPTY(&mitreq_list));
		for (i = 0; i < NCLIENTS; i++)
			T_EQ(mitreq_index_client_live(clients[i].name), 0);
	}
}

/* 40,000 requests of one cuid, distinct /32s: nothing overlaps. */
static void
t_many_cheap(void)
{
	struct mreq	*m, **cand;
	uint32_t	 i;
	int		 n;

	for (i = 0; i < 40000; i++) {
		m = calloc(1, sizeof(*m));
		T_ASSERT(m != NULL);
		m->client = &clients[0];
		snprintf(m->cuid, sizeof(m->cuid), "one");
		m->mid = i;
		m->rq.scope = json_object();
		m->rq.nprefix = 1;
		m->rq.prefix[0].family = AF_INET;
		m->rq.prefix[0].len = 32;
		m->rq.prefix[0].addr[0] = 198;
		m->rq.prefix[0].addr[1] = (uint8_t)(18 + (i >> 16));
		m->rq.prefix[0].addr[2] = (uint8_t)(i >> 8);
		m->rq.prefix[0].addr[3] = (uint8_t)i;
		n = mitreq_index_overlapping(m, &cand);
		T_EQ(n, 0);
		free(cand);
		T_EQ(mitreq_index_insert(m), 0);
		T_ASSERT(mitreq_index_find("c0", "one", i) == m);
	}
	T_EQ(mitreq_index_client_live("c0"), 40000);
	mitreq_index_fini();
}

int
main(void)
{
	int	i;

	log_init(1, 0, "mitreq_index_test");
	for (i = 0; i < NCLIENTS; i++)
		snprintf(clients[i].name, sizeof(clients[i].name), "c%d", i);
	T_RUN(t_random_sets);
	T_RUN(t_many_cheap);
	return t_done();
}
