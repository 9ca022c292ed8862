/*
 * dotsd_mitreq_test.c: RFC 9132 §4.4 mitigation semantics (dotsd/mitreq.c
 * with dotsd/store.c), rows S1..S4b, S10 and S11 of the signal test
 * vectors, lifetimes, active-but-terminating, conflicts and durability.
 *
 * Links only mitreq.c, store.c and lib/: the engine, authorization,
 * resolver and signal.c are small doubles below, so every outcome here is
 * caused by mitreq.c.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "dotsd/resolve.h"
#include "dotsd/store.h"
#include "lib/log.h"
#include "tests/t.h"

/* ------------------------------------------------------------------ */
/* doubles                                                            */
/* ------------------------------------------------------------------ */

#define FAKE_MAX	64

static struct fake_mit {
	int		 used;
	struct mitigation m;
	struct mit_status st;
} fake[FAKE_MAX];
static int	fake_fail;		/* engine_apply fails with this */
static int	fake_record;		/* engine_apply only records */
static int	fake_applies, fake_withdraws;

static struct fake_mit *
fake_find(uint64_t id)
{
	int	i;

	for (i = 0; i < FAKE_MAX; i++)
		if (fake[i].used && fake[i].m.id == id)
			return &fake[i];
	return NULL;
}

int
engine_apply(const struct mitigation *m, char *err, size_t errlen)
{
	struct fake_mit	*f;
	int		 i;

	if (fake_fail) {
		snprintf(err, errlen, "fake refuses");
		return fake_fail;
	}
	fake_applies++;
	if ((f = fake_find(m->id)) == NULL) {
		for (i = 0; i < FAKE_MAX && fake[i].used; i++)
			;
		if (i == FAKE_MAX)
			return -E2BIG;
		f = &fake[i];
		memset(f, 0, sizeof(*f));
		f->used = 1;
	}
	f->m = *m;
	if (fake_record) {
		f->st.state = MIT_ST_RECORDED;
		f->st.upstream_only = 1;
		snprintf(f->st.reason, sizeof(f->st.reason), "recorded, not "
		    "enforced: no backend configured");
	}
	return 0;
}

int
engine_withdraw(uint64_t id)
{
	struct fake_mit	*f = fake_find(id);

	fake_withdraws++;
	if (f != NULL)
		f->used = 0;
	return 0;
}

int
engine_status(uint64_t id, struct mit_status *st)
{
	struct fake_mit	*f = fake_find(id);

	if (f == NULL)
		return -ENOENT;
	*st = f->st;
	return 0;
}

static int
fake_count(void)
{
	int	i, n = 0;

	for (i = 0; i < FAKE_MAX; i++)
		n += fake[i].used;
	return n;
}

static struct fake_mit *
fake_by_mid(uint32_t mid)
{
	int	i;

	for (i = 0; i < FAKE_MAX; i++)
		if (fake[i].used && fake[i].m.mid == mid)
			return &fake[i];
	return NULL;
}

/* The client's domain: prefix inside one of c->prefixes; no multicast. */
int
authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
    char *why, size_t whylen)
{
	uint32_t	i;

	if ((p->family == AF_INET6 && p->addr[0] == 0xff) ||
	    (p->family == AF_INET && (p->addr[0] >= 224 || p->addr[0] == 127))) {
		snprintf(why, whylen, "bad address class");
		return -EINVAL;
	}
	for (i = 0; i < c->nprefixes; i++) {
		const struct mit_prefix *d = &c->prefixes[i];

		if (d->family == p->family && p->len >= d->len &&
		    memcmp(d->addr, p->addr, d->len / 8) == 0)
			return 0;
	}
	snprintf(why, whylen, "outside the client's domain");
	return -EPERM;
}

static struct client_conf clients[3];
static struct dotsd_conf tconf;

const struct client_conf *
authz_by_name(const struct dotsd_conf *cf, const char *name)
{
	int	i;

	for (i = 0; i < cf->nclients; i++)
		if (strcmp(cf->clients[i].name, name) == 0)
			return &cf->clients[i];
	return NULL;
}

static struct fake_res {
	int		 used;
	char		 name[256];
	resolve_cb	 cb;
	void		*arg;
} res[16];

int
resolve_start(const char *name, resolve_cb cb, void *arg)
{
	int	i;

	for (i = 0; i < 16; i++)
		if (!res[i].used) {
			res[i].used = 1;
			snprintf(res[i].name, sizeof(res[i].name), "%s", name);
			res[i].cb = cb;
			res[i].arg = arg;
			return 0;
		}
	return -EAGAIN;
}

void
resolve_cancel(void *arg)
{
	int	i;

	for (i = 0; i < 16; i++)
		if (res[i].used && res[i].arg == arg)
			res[i].used = 0;
}

/* Answers the pending query for name with addrs (NULL: NXDOMAIN). */
static int
res_answer(const char *name, const char *const *addrs, int n, uint32_t ttl)
{
	struct mit_prefix p[8];
	int		 i, j;

	for (i = 0; i < 16; i++) {
		if (!res[i].used || strcmp(res[i].name, name) != 0)
			continue;
		for (j = 0; j < n; j++)
			prefix_parse(addrs[j], &p[j]);
		res[i].used = 0;
		res[i].cb(res[i].arg, addrs ? 0 : -ENOENT, p, n, ttl);
		return 1;
	}
	return 0;
}

static int	notified[3];		/* signal_notify calls per client */
static json_int_t notified_lifetime;	/* of the first entry notified */
static struct dots_reply async_reply;
static int	async_replies;

static json_t	*entry_of(json_t *, int);

/* Builds the notification body as signal_obs.c does (mitreq_get). */
void
signal_notify(const struct client_conf *c, const char *cuid)
{
	struct dots_peer p = { .client = c };
	struct dots_uri	 u;
	struct dots_reply r;

	notified[c - clients]++;
	memset(&u, 0, sizeof(u));
	snprintf(u.cuid, sizeof(u.cuid), "%s", cuid);
	mitreq_get(&p, &u, &r);
	notified_lifetime = r.code == 205 ? json_integer_value(
	    json_object_get(entry_of(r.body, 0), "lifetime")) : -2;
	json_decref(r.body);
}

void
signal_async_reply(void *pending, struct dots_reply *r)
{
	async_reply = *r;
	async_replies++;
}

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

#define CUID_A	"dz6pHjaADkaFTbjr0JGBpw"
#define CUID_B	"f30d281ce6b64fc5a0b91e"
#define T0	1700000000

static const char s01[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[{"
    "\"target-prefix\":[\"2001:db8:6401::1/128\",\"2001:db8:6401::2/128\"],"
    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443},"
    "{\"lower-port\":8080}],\"target-protocol\":[6],\"lifetime\":3600}]}}";
static const char s02[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[{"
    "\"mid\":123,\"lifetime\":3600}]}}";
static const char s03[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[{"
    "\"conflict-information\":{\"conflict-cause\":\"cuid-collision\"}}]}}";
static const char s05[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[{"
    "\"target-prefix\":[\"2001:db8:6401::1/128\",\"2001:db8:6401::2/128\"],"
    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443},"
    "{\"lower-port\":8080}],\"target-protocol\":[6],"
    "\"attack-status\":\"under-attack\"}]}}";

static char	dbpath[128];
static char	dbdir[64];
static time_t	now;

static void
db_remove(void)
{
	char	p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static void
setup(void)
{
	char	err[256];
	int	i;

	db_remove();
	T_EQ(store_open(dbpath, err, sizeof(err)), 0);

	memset(clients, 0, sizeof(clients));
	memset(&tconf, 0, sizeof(tconf));
	for (i = 0; i < 3; i++) {
		snprintf(clients[i].name, sizeof(clients[i].name), "c%d", i);
		clients[i].nprefixes = 1;
		clients[i].max_lifetime = 0;
	}
	/* c0 and c1 share 2001:db8:6401::/48 (e.g. a customer and its
	 * reseller); c2 has 198.18.0.0/15 only */
	prefix_parse("2001:db8:6401::/48", &clients[0].prefixes[0]);
	prefix_parse("2001:db8:6401::/48", &clients[1].prefixes[0]);
	prefix_parse("198.18.0.0/15", &clients[2].prefixes[0]);
	clients[1].gateway = 1;
	tconf.clients = clients;
	tconf.nclients = 3;
	tconf.default_lifetime = 3600;
	tconf.abt_period = 120;
	now = T0;
	T_EQ(mitreq_load(&tconf, now), 0);
}

static void
tick(time_t t)
{
	now = t;
	mitreq_tick(now);
}

static json_t *
js(const char *s)
{
	json_error_t	 e;
	json_t		*j = json_loads(s, 0, &e);

	if (j == NULL)
		T_FAIL("bad test JSON: %s: %s", e.text, s);
	return j;
}

/* Body of one scope entry: {"...:mitigation-scope":{"scope":[ENTRY]}} */
static json_t *
body(const char *entry)
{
	char	buf[2048];

	snprintf(buf, sizeof(buf), "{\"ietf-dots-signal-channel:"
	    "mitigation-scope\":{\"scope\":[%s]}}", entry);
	return js(buf);
}

static struct dots_peer
peer(int client)
{
	struct dots_peer p = { .client = &clients[client],
	    .pending = &clients[client] };

	return p;
}

static struct dots_uri
uri(const char *cuid, int has_mid, uint32_t mid)
{
	struct dots_uri u;

	memset(&u, 0, sizeof(u));
	snprintf(u.cuid, sizeof(u.cuid), "%s", cuid);
	u.has_mid = (uint8_t)has_mid;
	u.mid = mid;
	return u;
}

/* PUT and return the code; the reply stays in *r (caller decrefs body). */
static int
put(int client, const char *cuid, uint32_t mid, json_t *b, int efficacy,
    struct dots_reply *r)
{
	struct dots_peer p = peer(client);
	struct dots_uri u = uri(cuid, 1, mid);

	mitreq_put(&p, &u, b, efficacy, r);
	json_decref(b);
	return r->code;
}

static int
put_code(int client, const char *cuid, uint32_t mid, json_t *b)
{
	struct dots_reply r;
	int		 code = put(client, cuid, mid, b, 0, &r);

	json_decref(r.body);
	return code;
}

static json_t *
get(int client, const char *cuid, int has_mid, uint32_t mid, int *code)
{
	struct dots_peer p = peer(client);
	struct dots_uri u = uri(cuid, has_mid, mid);
	struct dots_reply r;

	mitreq_get(&p, &u, &r);
	*code = r.code;
	return r.body;
}

static int
del(int client, const char *cuid, int has_mid, uint32_t mid)
{
	struct dots_peer p = peer(client);
	struct dots_uri u = uri(cuid, has_mid, mid);
	struct dots_reply r;

	mitreq_delete(&p, &u, &r);
	T_ASSERT(r.body == NULL);
	return r.code;
}

static json_t *
entry_of(json_t *b, int i)
{
	return json_array_get(json_object_get(json_object_get(b,
	    "ietf-dots-signal-channel:mitigation-scope"), "scope"), (size_t)i);
}

static const char *
status_of(int client, const char *cuid, uint32_t mid)
{
	static char	 st[64];
	json_t		*b;
	int		 code;

	b = get(client, cuid, 1, mid, &code);
	if (code != 205)
		return "none";
	snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(
	    entry_of(b, 0), "status")));
	json_decref(b);
	return st;
}

static json_int_t
lifetime_of(int client, const char *cuid, uint32_t mid)
{
	json_t		*b;
	json_int_t	 v;
	int		 code;

	b = get(client, cuid, 1, mid, &code);
	T_EQ(code, 205);
	v = json_integer_value(json_object_get(entry_of(b, 0), "lifetime"));
	json_decref(b);
	return v;
}

static int
cb_count(const struct store_mit *m, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
stored(void)
{
	int	n = 0;

	T_EQ(store_mit_load(cb_count, &n), 0);
	return n;
}

static void
set_engine(uint32_t mid, int state, uint64_t pkts)
{
	struct fake_mit	*f = fake_by_mid(mid);

	T_ASSERT(f != NULL);
	f->st.state = (uint8_t)state;
	f->st.pkts_dropped = pkts;
	f->st.bytes_dropped = pkts * 100;
	f->st.pps_dropped = 7;
	f->st.bps_dropped = 700;
}

/* ------------------------------------------------------------------ */
/* S1: PUT                                                            */
/* ------------------------------------------------------------------ */

static void
t_s1_created(void)
{
	struct dots_reply r;
	json_t		*want = js(s02);
	struct fake_mit	*f;

	setup();
	T_EQ(put(0, CUID_A, 123, js(s01), 0, &r), 201);
	T_ASSERT(r.body != NULL && json_equal(r.body, want));
	T_ASSERT(!r.async && !r.drop);
	f = fake_by_mid(123);
	T_ASSERT(f != NULL);
	T_EQ(f->m.ntargets, 2);
	T_EQ(f->m.nports, 3);
	T_EQ(f->m.ports[2].lo, 8080);
	T_EQ(f->m.ports[2].hi, 8080);
	T_EQ(f->m.nproto, 1);
	T_EQ(f->m.proto[0], 6);
	T_STREQ(f->m.client, "c0");
	T_EQ(stored(), 1);
	T_STREQ(status_of(0, CUID_A, 123), "attack-mitigation-in-progress");
	json_decref(want);
	json_decref(r.body);
}

static void
t_s1b_refresh(void)
{
	struct dots_reply r;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	tick(T0 + 1000);
	T_EQ(lifetime_of(0, CUID_A, 123), 2600);
	T_EQ(put(0, CUID_A, 123, js(s01), 0, &r), 204);
	T_EQ(json_integer_value(json_object_get(entry_of(r.body, 0),
	    "lifetime")), 3600);
	json_decref(r.body);
	T_EQ(lifetime_of(0, CUID_A, 123), 3600);
	T_EQ(fake_count(), 1);
	T_EQ(stored(), 1);
}

static void
t_s1c_refresh_changed(void)
{
	struct dots_reply r;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	T_EQ(put(0, CUID_A, 123, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::9/128\"],\"lifetime\":3600}"), 0, &r), 400);
	T_ASSERT(r.body == NULL && strstr(r.diag, "refresh") != NULL);
	/* lifetime alone may change */
	T_EQ(put_code(0, CUID_A, 123, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\",\"2001:db8:6401::2/128\"],"
	    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443},"
	    "{\"lower-port\":8080}],\"target-protocol\":[6],"
	    "\"lifetime\":600}")), 204);
	T_EQ(lifetime_of(0, CUID_A, 123), 600);
	/* the same lists in another order are the same request */
	T_EQ(put_code(0, CUID_A, 123, body("{\"target-protocol\":[6],"
	    "\"target-prefix\":"
	    "[\"2001:db8:6401::2/128\",\"2001:db8:6401::1/128\"],"
	    "\"target-port-range\":[{\"lower-port\":8080},"
	    "{\"lower-port\":80},{\"lower-port\":443}],"
	    "\"lifetime\":600}")), 204);
	/* but not a subset */
	T_EQ(put_code(0, CUID_A, 123, body("{\"target-protocol\":[6],"
	    "\"target-prefix\":"
	    "[\"2001:db8:6401::2/128\",\"2001:db8:6401::1/128\"],"
	    "\"target-port-range\":[{\"lower-port\":8080},"
	    "{\"lower-port\":80}],\"lifetime\":600}")), 400);
}

static void
expect_400(const char *entry, const char *diag_part)
{
	struct dots_reply r;

	T_EQ(put(0, CUID_A, 123, body(entry), 0, &r), 400);
	T_ASSERT(r.body == NULL);
	if (strstr(r.diag, diag_part) == NULL)
		T_FAIL("diag \"%s\" lacks \"%s\"", r.diag, diag_part);
}

static void
t_s1d_lifetime(void)
{
	setup();
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"lifetime\":0}", "lifetime 0");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"]}",
	    "lifetime is mandatory");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"lifetime\":-2}", "lifetime");
	T_EQ(fake_count(), 0);
	T_EQ(stored(), 0);
}

static void
t_s1e_two_scopes(void)
{
	struct dots_reply r;

	setup();
	T_EQ(put(0, CUID_A, 123, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600},"
	    "{\"target-prefix\":[\"2001:db8:6401::2/128\"],\"lifetime\":3600}"),
	    0, &r), 400);
	T_ASSERT(strstr(r.diag, "exactly one scope") != NULL);
}

static void
t_s1f_uri_params(void)
{
	struct dots_peer p = peer(0);
	struct dots_uri u = uri(CUID_A, 0, 0);
	struct dots_reply r;
	json_t		*b = js(s01);

	mitreq_put(&p, &u, b, 0, &r);
	T_EQ(r.code, 400);
	T_ASSERT(r.diag[0] != '\0');
	u = uri("", 1, 123);
	mitreq_put(&p, &u, b, 0, &r);
	T_EQ(r.code, 400);
	json_decref(b);
	T_EQ(fake_count(), 0);
}

static void
t_s1g_forbidden_members(void)
{
	static const char *const members[] = {
		"\"cuid\":\"x\"", "\"cdid\":\"y\"", "\"mid\":5",
		"\"status\":\"attack-stopped\"",
		"\"mitigation-start\":\"1507818434\"",
		"\"bytes-dropped\":\"1\"",
		("\"conflict-information\":{\"conflict-cause\":"
		    "\"cuid-collision\"}"),
	};
	char		 e[256];
	size_t		 i;

	setup();
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		snprintf(e, sizeof(e), "{\"target-prefix\":"
		    "[\"2001:db8:6401::1/128\"],%s,\"lifetime\":3600}",
		    members[i]);
		expect_400(e, "not allowed");
	}
	T_EQ(fake_count(), 0);
}

static void
t_s1h_no_target(void)
{
	setup();
	expect_400("{\"target-protocol\":[6],\"lifetime\":3600}",
	    "target-prefix, target-fqdn");
	expect_400("{\"target-prefix\":[],\"lifetime\":3600}",
	    "non-empty");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"target-port-range\":[{\"lower-port\":90,\"upper-port\":80}],"
	    "\"lifetime\":3600}", "upper-port");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":80}],"
	    "\"lifetime\":3600}", "twice");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"target-protocol\":[256],\"lifetime\":3600}",
	    "target-protocol");
	expect_400("{\"target-prefix\":[\"not-a-prefix\"],"
	    "\"lifetime\":3600}", "no prefix");
}

static void
t_s1k_unknown_alias(void)
{
	setup();
	expect_400("{\"alias-name\":[\"https1\"],\"lifetime\":3600}",
	    "unknown alias \"https1\"");
}

static void
t_s1l_cuid_collision(void)
{
	struct dots_reply r;
	json_t		*want = js(s03);

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	T_EQ(put(1, CUID_A, 12, js(s01), 0, &r), 409);
	T_ASSERT(r.body != NULL && json_equal(r.body, want));
	json_decref(r.body);
	/* a new cuid works (RFC 9132 Figure 11 step 3) */
	T_EQ(put_code(1, CUID_B, 12, js(s01)), 201);
	/* ownership is durable */
	mitreq_fini();
	T_EQ(mitreq_load(&tconf, now), 0);
	T_EQ(put(1, CUID_A, 13, js(s01), 0, &r), 409);
	json_decref(r.body);
	json_decref(want);
}

static void
t_s1m_lower_mid(void)
{
	struct dots_reply r;
	json_t		*ci, *cs;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	T_EQ(put(0, CUID_A, 122, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":3600}"), 0, &r), 409);
	ci = json_object_get(entry_of(r.body, 0), "conflict-information");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-cause")),
	    "overlapping-targets");
	T_ASSERT(json_object_get(ci, "conflict-status") == NULL);
	cs = json_object_get(ci, "conflict-scope");
	T_EQ(json_integer_value(json_object_get(cs, "mid")), 123);
	T_EQ(json_array_size(json_object_get(cs, "target-prefix")), 2);
	T_STREQ(json_string_value(json_array_get(json_object_get(cs,
	    "target-prefix"), 0)), "2001:db8:6401::1/128");
	json_decref(r.body);
	T_EQ(fake_count(), 1);
	/* a lower mid that does not overlap is fine */
	T_EQ(put_code(0, CUID_A, 100, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:1::/64\"],\"lifetime\":3600}")), 201);
}

static void
t_s1n_higher_mid(void)
{
	struct fake_mit	*f;
	uint64_t	 old;
	int		 code;
	json_t		*b;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	old = fake_by_mid(123)->m.id;
	T_EQ(put_code(0, CUID_A, 124, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600}")), 201);
	T_ASSERT(fake_find(old) == NULL);
	f = fake_by_mid(124);
	T_ASSERT(f != NULL && f->m.id != old);
	b = get(0, CUID_A, 1, 123, &code);
	T_EQ(code, 404);
	T_ASSERT(b == NULL);
	T_EQ(stored(), 1);
	/* different trigger-mitigation: both stay */
	T_EQ(put_code(0, CUID_A, 125, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600,"
	    "\"trigger-mitigation\":false}")), 201);
	T_STREQ(status_of(0, CUID_A, 124), "attack-mitigation-in-progress");
	T_STREQ(status_of(0, CUID_A, 125), "attack-mitigation-signal-loss");
}

static void
t_mid_rollover(void)
{
	setup();
	T_EQ(put_code(0, CUID_A, 3221225471u, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":3600,"
	    "\"trigger-mitigation\":false}")), 201);
	/* the client restarted at 0 and re-creates its preconfigured scope */
	T_EQ(put_code(0, CUID_A, 0, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":3600,"
	    "\"trigger-mitigation\":false}")), 201);
	T_STREQ(status_of(0, CUID_A, 3221225471u), "none");
	/* below the threshold the usual order holds */
	T_EQ(put_code(0, CUID_A, 3221225470u, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":3600,"
	    "\"trigger-mitigation\":false}")), 201);
	T_EQ(put_code(0, CUID_A, 7, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":3600,"
	    "\"trigger-mitigation\":false}")), 409);
}

static void
t_s1o_outside_domain(void)
{
	setup();
	expect_400("{\"target-prefix\":[\"2001:db8:6402::1/128\"],"
	    "\"lifetime\":3600}", "2001:db8:6402::1/128");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\","
	    "\"198.18.0.1/32\"],\"lifetime\":3600}", "198.18.0.1/32");
	expect_400("{\"target-prefix\":[\"ff02::1/128\"],"
	    "\"lifetime\":3600}", "ff02::1/128");
	T_EQ(fake_count(), 0);
}

static void
t_unknown_members(void)
{
	struct dots_reply r;

	setup();
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"bogus\":1,\"lifetime\":3600}", "bogus");
	/* RFC 9244 telemetry members are no scope: ignored */
	T_EQ(put(0, CUID_A, 1, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600,"
	    "\"ietf-dots-telemetry:total-attack-traffic\":[]}"), 0, &r), 201);
	json_decref(r.body);
	/* RFC 9133 acl-list without an ACL store (no hook) -> 4.04 */
	T_EQ(put(0, CUID_A, 2, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600,"
	    "\"ietf-dots-signal-control:acl-list\":[{\"acl-name\":\"a\"}]}"),
	    0, &r), 404);
	T_ASSERT(strstr(r.diag, "acl") != NULL);
}

static void
t_lifetime_grant(void)
{
	struct dots_reply r;

	setup();
	clients[0].max_lifetime = 1800;
	T_EQ(put(0, CUID_A, 1, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":7200}"), 0, &r), 201);
	T_EQ(json_integer_value(json_object_get(entry_of(r.body, 0),
	    "lifetime")), 1800);
	json_decref(r.body);
	/* -1 refused by policy: the ceiling is granted */
	T_EQ(put(0, CUID_A, 2, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::2/128\"],\"lifetime\":-1}"), 0, &r), 201);
	T_EQ(json_integer_value(json_object_get(entry_of(r.body, 0),
	    "lifetime")), 1800);
	json_decref(r.body);
	clients[0].allow_indefinite = 1;
	T_EQ(put(0, CUID_A, 3, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::3/128\"],\"lifetime\":-1}"), 0, &r), 201);
	T_EQ(json_integer_value(json_object_get(entry_of(r.body, 0),
	    "lifetime")), -1);
	json_decref(r.body);
	tick(T0 + 100000);
	T_EQ(lifetime_of(0, CUID_A, 3), -1);
	T_STREQ(status_of(0, CUID_A, 1), "none");
}

static void
t_lifetime_expiry(void)
{
	uint64_t	 id;

	setup();
	T_EQ(put_code(0, CUID_A, 7, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":60}")), 201);
	id = fake_by_mid(7)->m.id;
	tick(T0 + 59);
	T_ASSERT(fake_find(id) != NULL);
	notified[0] = 0;
	tick(T0 + 60);
	T_ASSERT(fake_find(id) == NULL);
	T_EQ(stored(), 0);
	/* status 6 is shown until the last notification went out, which
	 * waits for the 3 s spacing after the one at T0 + 59 */
	T_STREQ(status_of(0, CUID_A, 7), "attack-mitigation-terminated");
	tick(T0 + 62);
	T_EQ(notified[0], 1);
	T_STREQ(status_of(0, CUID_A, 7), "none");
}

static void
t_max_mitigations(void)
{
	struct dots_reply r;

	setup();
	clients[0].max_mitigations = 1;
	T_EQ(put_code(0, CUID_A, 1, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":60}")), 201);
	T_EQ(put(0, CUID_A, 2, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::2/128\"],\"lifetime\":60}"), 0, &r), 503);
	T_ASSERT(r.max_age > 0 && strstr(r.diag, "limit") != NULL);
	/* replacing a lower mid does not count twice */
	T_EQ(put_code(0, CUID_A, 3, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":60}")), 201);
}

static void
t_engine_failure(void)
{
	struct dots_reply r;

	setup();
	fake_fail = -E2BIG;
	T_EQ(put(0, CUID_A, 1, js(s01), 0, &r), 503);
	T_ASSERT(r.max_age > 0 && strstr(r.diag, "fake refuses") != NULL);
	T_EQ(stored(), 0);
	fake_fail = 0;
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
}

static void
t_cdid_gateway_only(void)
{
	struct dots_peer p = peer(0);
	struct dots_uri	 u = uri(CUID_A, 1, 1);
	struct dots_reply r;
	json_t		*b, *d;

	setup();
	b = js(s01);
	snprintf(u.cdid, sizeof(u.cdid), "7eeaf349529eb55ed50113");
	mitreq_put(&p, &u, b, 0, &r);
	T_EQ(r.code, 201);
	json_decref(r.body);
	p = peer(1);	/* gateway */
	u = uri(CUID_B, 1, 1);
	snprintf(u.cdid, sizeof(u.cdid), "7eeaf349529eb55ed50113");
	mitreq_put(&p, &u, b, 0, &r);
	T_EQ(r.code, 201);
	json_decref(r.body);
	json_decref(b);
	d = mitreq_dump();
	T_EQ(json_array_size(d), 2);
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 0),
	    "cdid")), "");
	T_STREQ(json_string_value(json_object_get(json_array_get(d, 1),
	    "cdid")), "7eeaf349529eb55ed50113");
	json_decref(d);
}

/* ------------------------------------------------------------------ */
/* S2: GET, S3: efficacy, S4: DELETE                                  */
/* ------------------------------------------------------------------ */

static void
t_s2_get_all(void)
{
	json_t	*b, *e;
	int	 code;

	setup();
	T_EQ(put_code(0, CUID_A, 12332, js(s01)), 201);
	T_EQ(put_code(0, CUID_A, 12333, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:1::/64\"],\"target-protocol\":[17],"
	    "\"lifetime\":1800}")), 201);
	set_engine(12332, MIT_ST_ACTIVE, 1000);
	tick(T0 + 4);
	b = get(0, CUID_A, 0, 0, &code);
	T_EQ(code, 205);
	T_EQ(json_array_size(json_object_get(json_object_get(b,
	    "ietf-dots-signal-channel:mitigation-scope"), "scope")), 2);
	e = entry_of(b, 0);
	T_EQ(json_integer_value(json_object_get(e, "mid")), 12332);
	T_STREQ(json_string_value(json_object_get(e, "mitigation-start")),
	    "1700000000");
	T_EQ(json_integer_value(json_object_get(e, "lifetime")), 3596);
	T_STREQ(json_string_value(json_object_get(e, "status")),
	    "attack-successfully-mitigated");
	T_STREQ(json_string_value(json_object_get(e, "pkts-dropped")),
	    "1000");
	T_STREQ(json_string_value(json_object_get(e, "bytes-dropped")),
	    "100000");
	T_STREQ(json_string_value(json_object_get(e, "pps-dropped")), "7");
	T_STREQ(json_string_value(json_object_get(e, "bps-dropped")), "700");
	T_EQ(json_array_size(json_object_get(e, "target-port-range")), 3);
	e = entry_of(b, 1);
	T_STREQ(json_string_value(json_object_get(e, "status")),
	    "attack-mitigation-in-progress");
	T_STREQ(json_string_value(json_object_get(e, "pkts-dropped")), "0");
	json_decref(b);
	/* S2b unknown mid, another client: nothing */
	T_ASSERT(get(0, CUID_A, 1, 99, &code) == NULL);
	T_EQ(code, 404);
	T_ASSERT(get(1, CUID_A, 0, 0, &code) == NULL);
	T_EQ(code, 404);
}

static void
t_s2c_get_none(void)
{
	int	code;

	setup();
	T_ASSERT(get(0, CUID_A, 0, 0, &code) == NULL);
	T_EQ(code, 404);
}

static void
t_status_fsm(void)
{
	setup();
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	set_engine(1, MIT_ST_EXCEEDED, 0);
	tick(T0 + 1);
	T_STREQ(status_of(0, CUID_A, 1), "attack-exceeded-capability");
	set_engine(1, MIT_ST_ACTIVE, 10);
	tick(T0 + 2);
	T_STREQ(status_of(0, CUID_A, 1), "attack-successfully-mitigated");
	/* no new drops for 300 s: attack-stopped; drops again: 2 */
	tick(T0 + 301);
	T_STREQ(status_of(0, CUID_A, 1), "attack-successfully-mitigated");
	tick(T0 + 302);
	T_STREQ(status_of(0, CUID_A, 1), "attack-stopped");
	set_engine(1, MIT_ST_ACTIVE, 11);
	tick(T0 + 303);
	T_STREQ(status_of(0, CUID_A, 1), "attack-successfully-mitigated");
	/* upstream-only: we cannot see drops, so never "stopped" */
	fake_by_mid(1)->st.upstream_only = 1;
	tick(T0 + 1000);
	T_STREQ(status_of(0, CUID_A, 1), "attack-successfully-mitigated");
}

static void
t_s3_efficacy(void)
{
	struct dots_reply r;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	tick(T0 + 100);
	T_EQ(put(0, CUID_A, 123, js(s05), 1, &r), 204);
	json_decref(r.body);
	T_EQ(lifetime_of(0, CUID_A, 123), 3600);
	/* unknown mid: silently dropped */
	T_EQ(put(0, CUID_A, 999, js(s05), 1, &r), 0);
	T_ASSERT(r.drop && r.body == NULL);
	/* attack-status mandatory */
	T_EQ(put(0, CUID_A, 123, js(s01), 1, &r), 400);
	T_ASSERT(strstr(r.diag, "attack-status") != NULL);
	/* other parameters must be unchanged */
	T_EQ(put(0, CUID_A, 123, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"attack-status\":\"under-attack\"}"),
	    1, &r), 400);
	/* cannot mitigate: 5.03 with Max-Age */
	set_engine(123, MIT_ST_EXCEEDED, 0);
	tick(T0 + 101);
	T_EQ(put(0, CUID_A, 123, js(s05), 1, &r), 503);
	T_ASSERT(r.max_age > 0);
	/* after DELETE (out of order): dropped */
	T_EQ(del(0, CUID_A, 1, 123), 202);
	T_EQ(put(0, CUID_A, 123, js(s05), 1, &r), 0);
	T_ASSERT(r.drop);
}

/*
 * No backend configured: the engine records the request (MIT_ST_RECORDED);
 * the client sees 2.01, then attack-exceeded-capability without drop
 * counters, 5.03 for an efficacy update under attack, and a DELETE ends
 * it at once (nothing to keep enforcing); dotsctl sees enforced false.
 */
static void
t_recorded_only(void)
{
	struct dots_reply r;
	json_t		*b, *d;
	int		 code;

	setup();
	fake_record = 1;
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	T_ASSERT(fake_by_mid(123) != NULL);
	/* status 4 at once, before any tick */
	T_STREQ(status_of(0, CUID_A, 123), "attack-exceeded-capability");
	tick(T0 + 1);
	b = get(0, CUID_A, 1, 123, &code);
	T_EQ(code, 205);
	T_STREQ(json_string_value(json_object_get(entry_of(b, 0), "status")),
	    "attack-exceeded-capability");
	T_ASSERT(json_object_get(entry_of(b, 0), "pkts-dropped") == NULL);
	T_ASSERT(json_object_get(entry_of(b, 0), "bytes-dropped") == NULL);
	json_decref(b);
	d = mitreq_dump();
	T_ASSERT(json_is_false(json_object_get(json_array_get(d, 0),
	    "enforced")));
	json_decref(d);
	T_EQ(put(0, CUID_A, 123, js(s05), 1, &r), 503);
	T_ASSERT(strstr(r.diag, "not enforced") != NULL);
	T_EQ(del(0, CUID_A, 1, 123), 202);
	T_ASSERT(fake_by_mid(123) == NULL);
	T_STREQ(status_of(0, CUID_A, 123), "attack-mitigation-terminated");
}

static void
t_s4_delete(void)
{
	uint64_t	 id;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	id = fake_by_mid(123)->m.id;
	tick(T0 + 5);
	notified_lifetime = -3;
	T_EQ(del(0, CUID_A, 1, 123), 202);
	T_STREQ(status_of(0, CUID_A, 123), "dots-client-withdrawn-mitigation");
	/* §4.4.4: lifetime is what is left of the 120 s period, not 3595 */
	T_EQ(lifetime_of(0, CUID_A, 123), 120);
	tick(T0 + 8);
	T_EQ(notified_lifetime, 117);	/* the Observe notification too */
	/* still enforced during the active-but-terminating period */
	tick(T0 + 124);
	T_ASSERT(fake_find(id) != NULL);
	T_EQ(stored(), 1);
	T_EQ(lifetime_of(0, CUID_A, 123), 1);
	/* survives a restart in that state */
	mitreq_fini();
	T_EQ(mitreq_load(&tconf, T0 + 124), 0);
	T_STREQ(status_of(0, CUID_A, 123), "dots-client-withdrawn-mitigation");
	T_EQ(lifetime_of(0, CUID_A, 123), 1);
	tick(T0 + 125);
	T_ASSERT(fake_find(id) == NULL);
	T_EQ(stored(), 0);
	T_STREQ(status_of(0, CUID_A, 123), "none");
	/* unknown mid, other client's mid: 2.02 and nothing happens */
	T_EQ(put_code(0, CUID_A, 124, js(s01)), 201);
	T_EQ(del(0, CUID_A, 1, 5), 202);
	T_EQ(del(1, CUID_A, 1, 124), 202);
	T_STREQ(status_of(0, CUID_A, 124), "attack-mitigation-in-progress");
	/* S4b */
	T_EQ(del(0, CUID_A, 0, 0), 400);
}

/* A lifetime that ends inside the active-but-terminating period wins. */
static void
t_abt_lifetime(void)
{
	setup();
	T_EQ(put_code(0, CUID_A, 7, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":100}")), 201);
	tick(T0 + 50);
	T_EQ(del(0, CUID_A, 1, 7), 202);
	T_EQ(lifetime_of(0, CUID_A, 7), 50);
	tick(T0 + 99);
	T_EQ(lifetime_of(0, CUID_A, 7), 1);
	T_ASSERT(fake_by_mid(7) != NULL);
	tick(T0 + 100);
	T_ASSERT(fake_by_mid(7) == NULL);
}

static void
t_abt_doubling(void)
{
	struct dots_reply r;
	json_t		*d;

	setup();
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	T_EQ(del(0, CUID_A, 1, 1), 202);
	tick(T0 + 10);
	/* asked again within the period: 2.01, next period doubled */
	T_EQ(put(0, CUID_A, 1, js(s01), 0, &r), 201);
	json_decref(r.body);
	T_STREQ(status_of(0, CUID_A, 1), "attack-mitigation-in-progress");
	T_EQ(fake_count(), 1);
	T_EQ(del(0, CUID_A, 1, 1), 202);
	T_EQ(lifetime_of(0, CUID_A, 1), 240);
	tick(T0 + 10 + 239);
	T_STREQ(status_of(0, CUID_A, 1), "dots-client-withdrawn-mitigation");
	T_EQ(put_code(0, CUID_A, 2, js(s01)), 201);
	T_EQ(del(0, CUID_A, 1, 2), 202);
	/* capped at 300 s */
	tick(T0 + 10 + 239 + 299);
	T_STREQ(status_of(0, CUID_A, 2), "dots-client-withdrawn-mitigation");
	tick(T0 + 10 + 239 + 300);
	T_STREQ(status_of(0, CUID_A, 2), "attack-mitigation-terminated");
	T_ASSERT(fake_by_mid(2) == NULL);
	tick(T0 + 10 + 239 + 303);
	T_STREQ(status_of(0, CUID_A, 2), "none");
	d = mitreq_dump();
	T_EQ(json_array_size(d), 0);
	json_decref(d);
}

/* ------------------------------------------------------------------ */
/* S10: conflicts between clients, S11: preconfigured                 */
/* ------------------------------------------------------------------ */

static void
t_s10_conflict_both(void)
{
	struct dots_reply r;
	json_t		*ci, *b;
	int		 code;

	setup();
	T_EQ(put_code(0, CUID_A, 123, js(s01)), 201);
	notified[0] = 0;
	T_EQ(put(1, CUID_B, 124, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600}"), 0, &r), 201);
	ci = json_object_get(entry_of(r.body, 0), "conflict-information");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-status")),
	    "request-active");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-cause")),
	    "overlapping-targets");
	T_ASSERT(json_object_get(ci, "retry-timer") == NULL);
	json_decref(r.body);
	T_EQ(fake_count(), 2);
	tick(T0 + 1);
	T_ASSERT(notified[0] >= 1);
	/* the first client learns of it too */
	b = get(0, CUID_A, 1, 123, &code);
	ci = json_object_get(entry_of(b, 0), "conflict-information");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-status")),
	    "request-active");
	json_decref(b);
	/* the conflict ends with the other request */
	T_EQ(del(1, CUID_B, 1, 124), 202);
	tick(T0 + 200);
	b = get(0, CUID_A, 1, 123, &code);
	T_ASSERT(json_object_get(entry_of(b, 0), "conflict-information") ==
	    NULL);
	json_decref(b);
}

static void
t_s10_newest_wins(void)
{
	char		 err[128];
	json_t		*b, *e, *ci, *cs;
	int		 code;
	uint64_t	 id;

	setup();
	T_EQ(mitreq_configure("conflict-policy", "newest-wins", err,
	    sizeof(err)), 0);
	T_EQ(put_code(0, CUID_A, 124, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600}")), 201);
	id = fake_by_mid(124)->m.id;
	tick(T0 + 1800);
	T_EQ(put_code(1, CUID_B, 123, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":1800}")), 201);
	T_ASSERT(fake_find(id) == NULL);
	/* s11: status 7, conflict-status 1, retry-timer, lifetime + 45 */
	b = get(0, CUID_A, 1, 124, &code);
	T_EQ(code, 205);
	e = entry_of(b, 0);
	T_STREQ(json_string_value(json_object_get(e, "status")),
	    "attack-mitigation-withdrawn");
	T_EQ(json_integer_value(json_object_get(e, "lifetime")), 1845);
	ci = json_object_get(e, "conflict-information");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-status")),
	    "request-inactive-other-active");
	T_EQ(json_integer_value(json_object_get(ci, "retry-timer")), 1800);
	cs = json_object_get(ci, "conflict-scope");
	T_EQ(json_integer_value(json_object_get(cs, "mid")), 123);
	T_STREQ(json_string_value(json_array_get(json_object_get(cs,
	    "target-prefix"), 0)), "2001:db8:6401::1/128");
	json_decref(b);
	/* refreshing while the winner lives: 4.09, still inactive */
	T_EQ(put_code(0, CUID_A, 124, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600}")), 409);
	/* once it is gone, a refresh activates it again */
	T_EQ(del(1, CUID_B, 1, 123), 202);
	tick(T0 + 1800 + 121);
	T_EQ(put_code(0, CUID_A, 124, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600}")), 204);
	T_STREQ(status_of(0, CUID_A, 124), "attack-mitigation-in-progress");
	T_ASSERT(fake_by_mid(124) != NULL);
}

static void
t_s10_first_wins(void)
{
	char		 err[128];
	struct dots_reply r;
	json_t		*ci;

	setup();
	T_EQ(mitreq_configure("conflict-policy", "first-wins", err,
	    sizeof(err)), 0);
	T_ASSERT(mitreq_configure("conflict-policy", "random", err,
	    sizeof(err)) < 0);
	T_EQ(put_code(0, CUID_A, 1, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":600}")), 201);
	T_EQ(put(1, CUID_B, 1, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":600}"), 0, &r), 409);
	ci = json_object_get(entry_of(r.body, 0), "conflict-information");
	T_STREQ(json_string_value(json_object_get(ci, "conflict-status")),
	    "request-inactive-other-active");
	T_EQ(json_integer_value(json_object_get(ci, "retry-timer")), 600);
	json_decref(r.body);
	T_EQ(fake_count(), 1);
	/* no overlap: no conflict */
	T_EQ(put_code(1, CUID_B, 2, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:5::/64\"],\"lifetime\":600}")), 201);
}

static void
t_s11_preconfigured(void)
{
	struct dots_reply r;
	json_t		*b;
	int		 code, i;

	setup();
	T_EQ(put(0, CUID_A, 10, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::/64\"],\"lifetime\":-1,"
	    "\"trigger-mitigation\":false}"), 0, &r), 201);
	/* -1 not allowed for this client: a finite value is granted */
	T_EQ(json_integer_value(json_object_get(entry_of(r.body, 0),
	    "lifetime")), 3600);
	json_decref(r.body);
	T_EQ(fake_count(), 0);
	b = get(0, CUID_A, 1, 10, &code);
	T_STREQ(json_string_value(json_object_get(entry_of(b, 0), "status")),
	    "attack-mitigation-signal-loss");
	T_ASSERT(json_object_get(entry_of(b, 0), "mitigation-start") == NULL);
	T_ASSERT(json_is_false(json_object_get(entry_of(b, 0),
	    "trigger-mitigation")));
	json_decref(b);
	T_ASSERT(!mitreq_active(&clients[0]));
	/* an overlapping immediate request, then the session is lost */
	T_EQ(put_code(0, CUID_A, 11, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":600}")), 201);
	mitreq_signal_lost(&clients[0]);
	T_ASSERT(fake_by_mid(10) != NULL);
	T_ASSERT(fake_by_mid(11) == NULL);
	T_STREQ(status_of(0, CUID_A, 10), "attack-mitigation-in-progress");
	T_STREQ(status_of(0, CUID_A, 11), "attack-mitigation-withdrawn");
	T_ASSERT(mitreq_active(&clients[0]));
	/* recovery does not stop it (§4.4.4) */
	mitreq_signal_restored(&clients[0]);
	tick(T0 + 5);
	T_ASSERT(fake_by_mid(10) != NULL);
	/* attack over: 3 four times, then 8 and no longer enforced */
	set_engine(10, MIT_ST_ACTIVE, 0);
	tick(T0 + 400);
	T_STREQ(status_of(0, CUID_A, 10), "attack-stopped");
	for (i = 0; i < 6; i++)
		tick(T0 + 400 + 10 * (i + 1));
	T_STREQ(status_of(0, CUID_A, 10), "attack-mitigation-signal-loss");
	T_ASSERT(fake_by_mid(10) == NULL);
}

static void
t_admin_withdraw(void)
{
	setup();
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	T_EQ(mitreq_withdraw_admin("c0", 2), -ENOENT);
	T_EQ(mitreq_withdraw_admin("c0", 1), 0);
	T_EQ(fake_count(), 0);
	T_EQ(stored(), 0);
}

/* ------------------------------------------------------------------ */
/* names                                                              */
/* ------------------------------------------------------------------ */

static void
t_fqdn_async(void)
{
	static const char *const good[] = { "2001:db8:6401::80",
	    "2001:db8:6401::81" };
	static const char *const bad[] = { "2001:db8:9999::1" };
	struct dots_reply r;
	struct fake_mit	*f;

	setup();
	async_replies = 0;
	T_EQ(put(0, CUID_A, 1, body("{\"target-fqdn\":[\"www.example.com\"],"
	    "\"lifetime\":3600}"), 0, &r), 0);
	T_ASSERT(r.async);
	T_EQ(fake_count(), 0);
	T_ASSERT(res_answer("www.example.com", good, 2, 300));
	T_EQ(async_replies, 1);
	T_EQ(async_reply.code, 201);
	json_decref(async_reply.body);
	f = fake_by_mid(1);
	T_ASSERT(f != NULL);
	T_EQ(f->m.ntargets, 2);
	/* TTL over: resolved again, engine updated */
	tick(T0 + 300);
	T_ASSERT(res_answer("www.example.com", good, 1, 300));
	T_EQ(fake_by_mid(1)->m.ntargets, 1);
	/* a resolved address outside the domain: refused (§4.4.1.1) */
	T_EQ(put(0, CUID_A, 2, body("{\"target-fqdn\":[\"evil.example\"],"
	    "\"lifetime\":3600}"), 0, &r), 0);
	T_ASSERT(res_answer("evil.example", bad, 1, 300));
	T_EQ(async_reply.code, 400);
	T_ASSERT(strstr(async_reply.diag, "2001:db8:9999::1") != NULL);
	/* NXDOMAIN */
	T_EQ(put(0, CUID_A, 3, body("{\"target-fqdn\":[\"nx.example\"],"
	    "\"lifetime\":3600}"), 0, &r), 0);
	T_ASSERT(res_answer("nx.example", NULL, 0, 0));
	T_EQ(async_reply.code, 400);
	T_ASSERT(strstr(async_reply.diag, "nx.example") != NULL);
	/* FQDN equality is overlap (§4.4.1.3) */
	T_EQ(put(0, CUID_A, 0, body("{\"target-fqdn\":[\"www.example.com\"],"
	    "\"lifetime\":3600}"), 0, &r), 0);
	T_ASSERT(res_answer("www.example.com", good + 1, 1, 300));
	T_EQ(async_reply.code, 409);
	json_decref(async_reply.body);
}

static void
t_uri(void)
{
	struct fake_mit	*f;

	setup();
	T_EQ(put_code(0, CUID_A, 1, body("{\"target-uri\":"
	    "[\"https://[2001:db8:6401::5]:8443/x\","
	    "\"http://[2001:db8:6401::6]/\"],\"lifetime\":3600}")), 201);
	f = fake_by_mid(1);
	T_ASSERT(f != NULL);
	T_EQ(f->m.ntargets, 2);
	T_EQ(f->m.nports, 2);
	T_EQ(f->m.ports[0].lo, 8443);
	T_EQ(f->m.ports[1].lo, 80);
	T_EQ(f->m.nproto, 2);	/* tcp, and udp for HTTP/3 */
	T_EQ(f->m.proto[0], 6);
	expect_400("{\"target-uri\":[\"gopher://[2001:db8:6401::5]/\"],"
	    "\"lifetime\":3600}", "unsupported scheme");
	expect_400("{\"target-uri\":[\"https://[2001:db8:6401::5/\"],"
	    "\"lifetime\":3600}", "bad authority");
	expect_400("{\"target-uri\":[\"https://[2001:db8:6402::5]/\"],"
	    "\"lifetime\":3600}", "2001:db8:6402::5/128");
}

static void
t_async_cancel(void)
{
	struct dots_reply r;
	int		 i, pending = 0;

	setup();
	async_replies = 0;
	T_EQ(put(0, CUID_A, 1, body("{\"target-fqdn\":[\"a.example\","
	    "\"b.example\"],\"lifetime\":3600}"), 0, &r), 0);
	T_ASSERT(r.async);
	for (i = 0; i < 16; i++)
		pending += res[i].used;
	T_EQ(pending, 2);
	/* the session went away: queries dropped, never answered */
	mitreq_cancel(&clients[0]);
	for (i = pending = 0; i < 16; i++)
		pending += res[i].used;
	T_EQ(pending, 0);
	T_EQ(async_replies, 0);
	T_EQ(fake_count(), 0);
}

static void
t_reconf(void)
{
	static struct client_conf again[2];
	static struct dotsd_conf nconf;
	int		 code;
	json_t		*b;

	setup();
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	T_EQ(put_code(2, CUID_B, 2, body("{\"target-prefix\":"
	    "[\"198.18.0.0/24\"],\"lifetime\":600}")), 201);
	/* reload: c0 and c1 copied elsewhere, c2 gone */
	memcpy(again, clients, sizeof(again));
	nconf = tconf;
	nconf.clients = again;
	nconf.nclients = 2;
	mitreq_reconf(&nconf);
	T_ASSERT(fake_by_mid(2) == NULL);
	T_ASSERT(fake_by_mid(1) != NULL);
	T_EQ(stored(), 1);
	/* c0 is now known by its new entry */
	{
		struct dots_peer p = { .client = &again[0] };
		struct dots_uri	 u = uri(CUID_A, 1, 1);
		struct dots_reply r;

		mitreq_get(&p, &u, &r);
		T_EQ(r.code, 205);
		json_decref(r.body);
	}
	b = get(0, CUID_A, 1, 1, &code);
	T_EQ(code, 404);
	T_ASSERT(b == NULL);
}

static void
t_cuid_released(void)
{
	setup();
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	T_EQ(del(0, CUID_A, 1, 1), 202);
	tick(T0 + 200);
	/* no state, but recently used: still c0's */
	T_EQ(put_code(1, CUID_A, 1, js(s01)), 409);
	tick(T0 + 86400 + 100);
	T_EQ(put_code(1, CUID_A, 1, js(s01)), 201);
}

/* ------------------------------------------------------------------ */
/* source attributes: RFC 9066 call-home, RFC 9244 top-talker          */
/* ------------------------------------------------------------------ */

#define CH_SRC	"\"ietf-dots-call-home:source-prefix\":" \
	"[\"2001:db8:123::1/128\"]"
#define CH_ENTRY "{\"target-prefix\":[\"2001:db8:6401::1/128\"]," \
	CH_SRC ",\"ietf-dots-call-home:source-port-range\":" \
	"[{\"lower-port\":1024,\"upper-port\":65535}]," \
	"\"ietf-dots-call-home:source-icmp-type-range\":" \
	"[{\"lower-type\":128,\"upper-type\":129}],\"lifetime\":3600}"

static int
has_source(const struct mitigation *m, const char *p)
{
	struct mit_prefix want;
	int		 i;

	T_EQ(prefix_parse(p, &want), 0);
	for (i = 0; i < m->nsources; i++)
		if (memcmp(&m->sources[i], &want, sizeof(want)) == 0)
			return 1;
	return 0;
}

/* Call-home sources narrow the mitigation, are echoed and survive. */
static void
t_sources_call_home(void)
{
	struct fake_mit	*f;
	json_t		*b;
	int		 code;

	setup();
	T_EQ(put_code(0, CUID_A, 50, body(CH_ENTRY)), 201);
	T_ASSERT((f = fake_by_mid(50)) != NULL);
	T_EQ(f->m.nsources, 1);
	T_ASSERT(has_source(&f->m, "2001:db8:123::1/128"));
	T_EQ(f->m.nsource_ports, 1);
	T_EQ(f->m.source_ports[0].lo, 1024);
	T_EQ(f->m.source_ports[0].hi, 65535);
	T_EQ(f->m.nicmp_type, 1);
	T_EQ(f->m.icmp_type[0].lo, 128);
	T_EQ(f->m.icmp_type[0].hi, 129);
	/* GET shows them as the client sent them (§4.4.2) */
	b = get(0, CUID_A, 1, 50, &code);
	T_EQ(code, 205);
	T_ASSERT(json_object_get(entry_of(b, 0),
	    "ietf-dots-call-home:source-port-range") != NULL);
	T_ASSERT(json_object_get(entry_of(b, 0),
	    "ietf-dots-call-home:source-prefix") != NULL);
	json_decref(b);
	/* a refresh must repeat them; another source is another request */
	T_EQ(put_code(0, CUID_A, 50, body(CH_ENTRY)), 204);
	T_EQ(put_code(0, CUID_A, 50, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"ietf-dots-call-home:source-prefix\":"
	    "[\"2001:db8:124::1/128\"],\"lifetime\":3600}")), 400);
	/* restart: the stored scope gives the same sources again */
	mitreq_fini();
	memset(fake, 0, sizeof(fake));
	T_EQ(mitreq_load(&tconf, now), 0);
	T_ASSERT((f = fake_by_mid(50)) != NULL);
	T_EQ(f->m.nsources, 1);
	T_EQ(f->m.nicmp_type, 1);
	T_EQ(f->m.nsource_ports, 1);
}

#define TALKER(p, port) "{\"source-prefix\":\"" p "\",\"spoofed-status\":" \
	"false,\"source-port-range\":[{\"lower-port\":" port "}]}"
#define TT_ENTRY(talkers, sev) "{\"target-prefix\":" \
	"[\"2001:db8:6401::1/128\"],\"lifetime\":3600," \
	"\"ietf-dots-telemetry:attack-detail\":[{\"vendor-id\":32473," \
	"\"attack-id\":77,\"attack-severity\":\"" sev "\",\"top-talker\":" \
	"{\"talker\":[" talkers "]}}]}"

/* Top-talkers: each one a source (OR), their ranges shared, not echoed. */
static void
t_sources_top_talker(void)
{
	struct dots_reply r;
	struct fake_mit	*f;
	json_t		*b;
	int		 code;

	setup();
	T_EQ(put_code(0, CUID_A, 60, body(TT_ENTRY(TALKER("2001:db8:2::1/128",
	    "53") "," TALKER("2001:db8:1::/48", "53"), "high"))), 201);
	T_ASSERT((f = fake_by_mid(60)) != NULL);
	T_EQ(f->m.nsources, 2);
	T_ASSERT(has_source(&f->m, "2001:db8:1::/48"));
	T_ASSERT(has_source(&f->m, "2001:db8:2::1/128"));
	T_EQ(f->m.nsource_ports, 1);
	T_EQ(f->m.source_ports[0].lo, 53);
	T_EQ(f->m.source_ports[0].hi, 53);
	T_EQ(f->m.nicmp_type, 0);
	/* telemetry is not echoed without a telemetry session (§9.2) */
	b = get(0, CUID_A, 1, 60, &code);
	T_EQ(code, 205);
	T_ASSERT(json_object_get(entry_of(b, 0),
	    "ietf-dots-telemetry:attack-detail") == NULL);
	json_decref(b);
	/* efficacy update: same talkers (other order, other telemetry) */
	T_EQ(put(0, CUID_A, 60, body("{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"attack-status\":\"under-attack\","
	    "\"ietf-dots-telemetry:attack-detail\":[{\"vendor-id\":32473,"
	    "\"attack-id\":77,\"attack-severity\":\"low\",\"top-talker\":"
	    "{\"talker\":[" TALKER("2001:db8:1::/48", "53") ","
	    TALKER("2001:db8:2::1/128", "53") "]}}]}"), 1, &r), 204);
	json_decref(r.body);
	/* other talkers change what is enforced: not a refresh */
	T_EQ(put_code(0, CUID_A, 60, body(TT_ENTRY(TALKER("2001:db8:1::/48",
	    "53"), "high"))), 400);
	mitreq_fini();
	memset(fake, 0, sizeof(fake));
	T_EQ(mitreq_load(&tconf, now), 0);
	T_ASSERT((f = fake_by_mid(60)) != NULL);
	T_EQ(f->m.nsources, 2);
	T_EQ(f->m.nsource_ports, 1);
	T_EQ(f->m.source_ports[0].lo, 53);
}

/* What cannot be enforced exactly: 4.00 naming the attribute. */
static void
t_sources_refused(void)
{
	char	 buf[1024];
	size_t	 off;
	int	 i;

	setup();
	expect_400(TT_ENTRY(TALKER("2001:db8:1::/48", "53") ","
	    TALKER("2001:db8:2::/48", "123"), "high"), "top-talker");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"]," CH_SRC ","
	    "\"lifetime\":3600,\"ietf-dots-telemetry:attack-detail\":"
	    "[{\"vendor-id\":1,\"attack-id\":1,\"top-talker\":{\"talker\":["
	    TALKER("2001:db8:1::/48", "53") "]}}]}", "together");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"ietf-dots-call-home:source-prefix\":[\"ff02::1/128\"],"
	    "\"lifetime\":3600}", "multicast");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"ietf-dots-call-home:source-prefix\":[\"198.18.0.1/32\"],"
	    "\"lifetime\":3600}", "address family");
	expect_400("{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"ietf-dots-call-home:source-icmp-type-range\":[{\"lower-type\":"
	    "9,\"upper-type\":8}],\"lifetime\":3600}",
	    "source-icmp-type-range");
	off = (size_t)snprintf(buf, sizeof(buf), "{\"target-prefix\":"
	    "[\"2001:db8:6401::1/128\"],\"lifetime\":3600,"
	    "\"ietf-dots-call-home:source-prefix\":[");
	for (i = 0; i <= MIT_MAX_SOURCES; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s\"2001:db8:%x::/48\"", i ? "," : "", i + 1);
	snprintf(buf + off, sizeof(buf) - off, "]}");
	expect_400(buf, "at most 8 sources");
	T_EQ(fake_count(), 0);
	T_EQ(stored(), 0);
}

/* ------------------------------------------------------------------ */
/* notifications, durability                                          */
/* ------------------------------------------------------------------ */

static void
t_notify_rate(void)
{
	int	n;

	setup();
	notified[0] = 0;
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	tick(T0);
	T_EQ(notified[0], 1);
	set_engine(1, MIT_ST_ACTIVE, 5);
	tick(T0 + 1);		/* a change, but < 3 s since the last */
	T_EQ(notified[0], 1);
	tick(T0 + 3);
	T_EQ(notified[0], 2);
	/* periodic while mitigating, NOTIFY_PERIOD apart */
	n = notified[0];
	tick(T0 + 12);
	T_EQ(notified[0], n);
	tick(T0 + 13);
	T_EQ(notified[0], n + 1);
	/* other clients see nothing of it */
	T_EQ(notified[1], 0);
}

static void
t_durability(void)
{
	char	 err[256];
	json_t	*b;
	int	 code;

	setup();
	clients[0].allow_indefinite = 1;
	T_EQ(put_code(0, CUID_A, 1, js(s01)), 201);
	T_EQ(put_code(0, CUID_A, 2, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:2::/64\"],\"lifetime\":60}")), 201);
	T_EQ(put_code(0, CUID_A, 3, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:3::/64\"],\"lifetime\":-1,"
	    "\"trigger-mitigation\":false}")), 201);
	T_EQ(put_code(2, CUID_B, 4, body("{\"target-prefix\":"
	    "[\"198.18.0.0/24\"],\"lifetime\":600}")), 201);
	T_EQ(store_cfg_put("c0", 123, "{\"x\":1}"), 0);

	/* "crash": all memory and the engine gone, the file stays */
	mitreq_fini();
	store_close();
	memset(fake, 0, sizeof(fake));
	T_EQ(store_open(dbpath, err, sizeof(err)), 0);
	T_EQ(mitreq_load(&tconf, T0 + 61), 0);

	/* expired mid 2 ended, the rest is back in the engine */
	T_ASSERT(fake_by_mid(1) != NULL);
	T_ASSERT(fake_by_mid(2) == NULL);
	T_ASSERT(fake_by_mid(3) == NULL);	/* preconfigured: idle */
	T_ASSERT(fake_by_mid(4) != NULL);
	T_EQ(fake_by_mid(1)->m.nports, 3);
	T_EQ(stored(), 3);
	T_EQ(lifetime_of(0, CUID_A, 1), 3600 - 61);
	T_EQ(lifetime_of(0, CUID_A, 3), -1);
	b = get(0, CUID_A, 1, 1, &code);
	T_STREQ(json_string_value(json_object_get(entry_of(b, 0),
	    "mitigation-start")), "1700000000");
	json_decref(b);
	T_STREQ(status_of(0, CUID_A, 2), "none");
	/* new ids never reuse stored ones */
	T_EQ(put_code(0, CUID_A, 5, body("{\"target-prefix\":"
	    "[\"2001:db8:6401:5::/64\"],\"lifetime\":60}")), 201);
	T_ASSERT(fake_by_mid(5)->m.id > fake_by_mid(4)->m.id);
	/* a client dropped from the config loses its requests */
	mitreq_fini();
	tconf.nclients = 2;
	memset(fake, 0, sizeof(fake));
	T_EQ(mitreq_load(&tconf, T0 + 62), 0);
	T_ASSERT(fake_by_mid(4) == NULL);
	T_EQ(stored(), 3);
}

/* ------------------------------------------------------------------ */
/* group commit                                                       */
/* ------------------------------------------------------------------ */

/* Stored requests as another connection sees them: committed ones. */
static int
committed(void)
{
	sqlite3		*db2;
	sqlite3_stmt	*st = NULL;
	int		 n = -1;

	T_EQ(sqlite3_open_v2(dbpath, &db2, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	if (sqlite3_prepare_v2(db2, "SELECT count(*) FROM mit", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db2);
	return n;
}

static const char *const host_entry[] = {
	"{\"target-prefix\":[\"2001:db8:6401::11/128\"],\"lifetime\":600}",
	"{\"target-prefix\":[\"2001:db8:6401::12/128\"],\"lifetime\":600}",
	"{\"target-prefix\":[\"2001:db8:6401::13/128\"],\"lifetime\":600}",
	"{\"target-prefix\":[\"2001:db8:6401::14/128\"],\"lifetime\":600}",
	"{\"target-prefix\":[\"2001:db8:6401::15/128\"],\"lifetime\":600}",
};

/* A NON PUT inside a group: held, so nothing is answered yet. */
static void
put_held(uint32_t mid)
{
	struct dots_reply r;

	put(0, CUID_A, mid, body(host_entry[mid - 1]), 0, &r);
	T_ASSERT(r.async && r.body == NULL);
}

static void
t_group_commit(void)
{
	struct dots_peer p = peer(0);
	struct dots_uri	 u = uri(CUID_A, 1, 4);
	struct dots_reply r;
	json_t		*b;

	setup();
	mitreq_group_commit(1);
	async_replies = 0;
	put_held(1);
	put_held(2);
	T_ASSERT(fake_by_mid(1) != NULL);	/* enforced first */
	u.mid = 9;
	mitreq_delete(&p, &u, &r);		/* unknown mid: 2.02, held */
	T_ASSERT(r.async);
	T_EQ(async_replies, 0);
	T_EQ(committed(), 0);			/* not durable: not answered */
	mitreq_flush();
	T_EQ(committed(), 2);
	T_EQ(async_replies, 3);
	T_EQ(async_reply.code, 202);
	mitreq_flush();				/* nothing open: nothing sent */
	T_EQ(async_replies, 3);

	/* a CON over UDP is answered in its ACK: the group commits now */
	put_held(3);
	p.piggyback = 1;
	u.mid = 4;
	b = body(host_entry[3]);
	mitreq_put(&p, &u, b, 0, &r);
	json_decref(b);
	T_EQ(r.code, 201);
	T_ASSERT(!r.async && r.body != NULL);
	json_decref(r.body);
	T_EQ(async_replies, 4);			/* mid 3's answer went first */
	T_EQ(committed(), 4);

	/* a GET shows only what is durable: it commits the group first */
	put_held(5);
	T_EQ(committed(), 4);
	T_STREQ(status_of(0, CUID_A, 5), "attack-mitigation-in-progress");
	T_EQ(async_replies, 5);
	T_EQ(async_reply.code, 201);
	T_EQ(committed(), 5);
}

/*
 * A crash between a request and the group's commit loses that request
 * only, and it was never answered; what was answered is there.
 */
static void
t_group_crash(void)
{
	char	 err[256];
	pid_t	 pid;
	int	 status;

	setup();
	mitreq_fini();
	store_close();
	if ((pid = fork()) == 0) {
		if (store_open(dbpath, err, sizeof(err)) != 0 ||
		    mitreq_load(&tconf, now) != 0)
			_exit(2);
		mitreq_group_commit(1);
		async_replies = 0;
		put_held(1);
		mitreq_flush();
		put_held(2);
		/* the crash: no commit, no answer for mid 2 */
		_exit(async_replies == 1 && async_reply.code == 201 ? 0 : 1);
	}
	T_ASSERT(pid > 0);
	T_EQ(waitpid(pid, &status, 0), pid);
	T_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	T_EQ(store_open(dbpath, err, sizeof(err)), 0);
	T_EQ(mitreq_load(&tconf, now), 0);
	T_EQ(stored(), 1);
	T_STREQ(status_of(0, CUID_A, 1), "attack-mitigation-in-progress");
	T_STREQ(status_of(0, CUID_A, 2), "none");
	T_ASSERT(fake_by_mid(1) != NULL && fake_by_mid(2) == NULL);
}

int
main(void)
{
	log_init(1, 0, "mitreq_test");
	snprintf(dbdir, sizeof(dbdir), "/tmp/mitreq-test-XXXXXX");
	if (mkdtemp(dbdir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/dotsd.db", dbdir);
	T_RUN(t_s1_created);
	T_RUN(t_s1b_refresh);
	T_RUN(t_s1c_refresh_changed);
	T_RUN(t_s1d_lifetime);
	T_RUN(t_s1e_two_scopes);
	T_RUN(t_s1f_uri_params);
	T_RUN(t_s1g_forbidden_members);
	T_RUN(t_s1h_no_target);
	T_RUN(t_s1k_unknown_alias);
	T_RUN(t_s1l_cuid_collision);
	T_RUN(t_s1m_lower_mid);
	T_RUN(t_s1n_higher_mid);
	T_RUN(t_mid_rollover);
	T_RUN(t_s1o_outside_domain);
	T_RUN(t_unknown_members);
	T_RUN(t_lifetime_grant);
	T_RUN(t_lifetime_expiry);
	T_RUN(t_max_mitigations);
	T_RUN(t_engine_failure);
	T_RUN(t_cdid_gateway_only);
	T_RUN(t_s2_get_all);
	T_RUN(t_s2c_get_none);
	T_RUN(t_status_fsm);
	T_RUN(t_s3_efficacy);
	T_RUN(t_s4_delete);
	T_RUN(t_abt_doubling);
	T_RUN(t_recorded_only);
	T_RUN(t_sources_call_home);
	T_RUN(t_sources_top_talker);
	T_RUN(t_sources_refused);
	T_RUN(t_abt_lifetime);
	T_RUN(t_s10_conflict_both);
	T_RUN(t_s10_newest_wins);
	T_RUN(t_s10_first_wins);
	T_RUN(t_s11_preconfigured);
	T_RUN(t_admin_withdraw);
	T_RUN(t_fqdn_async);
	T_RUN(t_uri);
	T_RUN(t_async_cancel);
	T_RUN(t_reconf);
	T_RUN(t_cuid_released);
	T_RUN(t_notify_rate);
	T_RUN(t_durability);
	T_RUN(t_group_commit);
	T_RUN(t_group_crash);
	db_remove();
	rmdir(dbdir);
	return t_done();
}
