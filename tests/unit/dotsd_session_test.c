/*
 * dotsd_session_test.c: session configuration of /config (RFC 9132 §4.5)
 * in dotsd/session.c, with test doubles for what it calls outside
 * (store, mitreq, authz, signal). No CoAP session is created here.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/session.h"
#include "dotsd/store.h"
#include "tests/t.h"

#define SC	"ietf-dots-signal-channel:signal-config"

/* ---- doubles ---- */
struct dotsd_counters dotsd_counters;
static int active, nstore_put, nstore_del, nnotify;
static char stored_json[4096], stored_client[64];
static uint32_t stored_sid;
static const char *load_json;	/* what store_cfg_load replays */
static struct dotsd_conf *cf;

int
mitreq_active(const struct client_conf *c)
{
	(void)c;
	return active;
}
void mitreq_signal_lost(const struct client_conf *c) { (void)c; }
void mitreq_signal_restored(const struct client_conf *c) { (void)c; }
int
store_cfg_put(const char *client, uint32_t sid, const char *json)
{
	nstore_put++;
	snprintf(stored_client, sizeof(stored_client), "%s", client);
	snprintf(stored_json, sizeof(stored_json), "%s", json);
	stored_sid = sid;
	return 0;
}
int
store_cfg_del(const char *client)
{
	(void)client;
	nstore_del++;
	return 0;
}
int
store_cfg_load(int (*cb)(const char *, uint32_t, const char *, void *),
    void *arg)
{
	if (load_json != NULL)
		return cb("one", 77, load_json, arg);
	return 0;
}
const struct client_conf *
authz_by_name(const struct dotsd_conf *c, const char *name)
{
	int i;

	for (i = 0; i < c->nclients; i++)
		if (strcmp(c->clients[i].name, name) == 0)
			return &c->clients[i];
	return NULL;
}
int signal_send_hb(struct sess *s, int st) { (void)s; (void)st; return 0; }
void signal_notify_config(const struct client_conf *c) { (void)c; nnotify++; }
void signal_sess_gone(struct sess *s) { (void)s; }

/* ---- helpers ---- */
static const struct sess_params defaults = {
	.hb_interval = { 15, 240, 30 },
	.missing_hb = { 3, 20, 15 },
	.probing_rate = { 5, 20, 15 },
	.max_retransmit = { 2, 15, 3 },
	.ack_timeout = { 100, 3000, 200 },
	.ack_random_factor = { 110, 400, 150 },
};

static void
setup(void)
{
	cf = calloc(1, sizeof(*cf));
	cf->nclients = 2;
	cf->clients = calloc(2, sizeof(*cf->clients));
	snprintf(cf->clients[0].name, MIT_NAME_LEN, "one");
	snprintf(cf->clients[1].name, MIT_NAME_LEN, "two");
	cf->idle = defaults;
	cf->mitigating = defaults;
	T_EQ(sesscfg_init(cf), 0);
}

static json_t *
body(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (j == NULL)
		T_FAIL("bad test JSON: %s", text);
	return j;
}

static int
put(int client, int has_sid, uint32_t sid, const char *text,
    struct cfg_reply *r)
{
	json_t *j = body(text);

	memset(r, 0, sizeof(*r));
	sesscfg_put(&cf->clients[client], has_sid, sid, j, r);
	json_decref(j);
	json_decref(r->body);
	r->body = NULL;
	return r->code;
}

/* current-value (or -decimal) of set/param in a GET reply. */
static long
cur(const json_t *b, const char *set, const char *param)
{
	json_t *p = json_object_get(json_object_get(json_object_get(b, SC),
	    set), param);
	json_t *v = json_object_get(p, "current-value");
	const char *d;
	unsigned a, c;

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	d = json_string_value(json_object_get(p, "current-value-decimal"));
	if (d != NULL && sscanf(d, "%u.%u", &a, &c) == 2)
		return (long)(a * 100 + c);
	return -1;
}

static const char s07[] = "{\"" SC "\": {"
    "\"mitigating-config\": {"
    "\"heartbeat-interval\": {\"current-value\": 30},"
    "\"missing-hb-allowed\": {\"current-value\": 15},"
    "\"probing-rate\": {\"current-value\": 15},"
    "\"max-retransmit\": {\"current-value\": 3},"
    "\"ack-timeout\": {\"current-value-decimal\": \"2.00\"},"
    "\"ack-random-factor\": {\"current-value-decimal\": \"1.50\"}},"
    "\"idle-config\": {"
    "\"heartbeat-interval\": {\"current-value\": 0},"
    "\"max-retransmit\": {\"current-value\": 3},"
    "\"ack-timeout\": {\"current-value-decimal\": \"2.00\"},"
    "\"ack-random-factor\": {\"current-value-decimal\": \"1.50\"}}}}";

/* ---- tests ---- */
static void
t_get_defaults(void)
{
	struct cfg_reply r;
	json_t *hb;

	setup();
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[0], 0, 0, &r);
	T_EQ(r.code, 205);
	hb = json_object_get(json_object_get(json_object_get(r.body, SC),
	    "idle-config"), "heartbeat-interval");
	T_EQ(json_integer_value(json_object_get(hb, "min-value")), 15);
	T_EQ(json_integer_value(json_object_get(hb, "max-value")), 240);
	T_EQ(cur(r.body, "idle-config", "heartbeat-interval"), 30);
	T_EQ(cur(r.body, "mitigating-config", "ack-timeout"), 200);
	T_STREQ(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(r.body, SC), "mitigating-config"),
	    "ack-random-factor"), "max-value-decimal")), "4.00");
	json_decref(r.body);
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[0], 1, 5, &r);
	T_EQ(r.code, 404);
}

static void
t_put_sids(void)
{
	struct cfg_reply r;

	setup();
	T_EQ(put(0, 1, 123, s07, &r), 201);
	T_EQ(nstore_put, 1);
	T_STREQ(stored_client, "one");
	T_EQ(stored_sid, 123);
	T_ASSERT(strstr(stored_json, "\"current-value\": 0") != NULL ||
	    strstr(stored_json, "\"current-value\":0") != NULL);
	T_EQ(nnotify, 1);
	T_EQ(put(0, 1, 123, s07, &r), 204);
	T_EQ(put(0, 1, 122, s07, &r), 400);	/* lower sid */
	T_EQ(put(0, 0, 0, s07, &r), 400);	/* no sid */
	T_EQ(put(0, 1, 124, s07, &r), 201);	/* higher wins */
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[0], 1, 123, &r);
	T_EQ(r.code, 404);			/* 123 replaced */
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[0], 1, 124, &r);
	T_EQ(r.code, 205);
	T_EQ(cur(r.body, "idle-config", "heartbeat-interval"), 0);
	/* Parameters the PUT left out take the server defaults. */
	T_EQ(cur(r.body, "idle-config", "missing-hb-allowed"), 15);
	json_decref(r.body);
	/* Per client. */
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[1], 0, 0, &r);
	T_EQ(cur(r.body, "idle-config", "heartbeat-interval"), 30);
	json_decref(r.body);
}

static void
t_put_invalid(void)
{
	struct cfg_reply r;

	setup();
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {"
	    "\"heartbeat-interval\": {\"current-value\": 241}}}}", &r), 422);
	T_ASSERT(strstr(r.diag, "heartbeat-interval") != NULL);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {"
	    "\"ack-timeout\": {\"current-value-decimal\": \"0.99\"}}}}", &r),
	    422);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {"
	    "\"ack-timeout\": {\"current-value-decimal\": \"2.005\"}}}}", &r),
	    400);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {"
	    "\"ack-timeout\": {\"current-value\": 2}}}}", &r), 400);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {"
	    "\"no-such-parameter\": {\"current-value\": 2}}}}", &r), 400);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"idle-config\": {}}}", &r), 400);
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"busy-config\": {}}}", &r), 400);
	T_EQ(put(0, 1, 1, "{\"other\": {}}", &r), 400);
	T_EQ(nstore_put, 0);
	/* In range, decimals with one or two digits. */
	T_EQ(put(0, 1, 1, "{\"" SC "\": {\"mitigating-config\": {"
	    "\"ack-timeout\": {\"current-value-decimal\": \"2.5\"}}}}", &r),
	    201);
	active = 1;
	T_EQ(sesscfg_active(&cf->clients[0])->ack_timeout.cur, 250);
	active = 0;
	T_EQ(sesscfg_active(&cf->clients[0])->ack_timeout.cur, 200);
}

static void
t_delete(void)
{
	struct cfg_reply r;

	setup();
	T_EQ(put(0, 1, 9, s07, &r), 201);
	memset(&r, 0, sizeof(r));
	sesscfg_delete(&cf->clients[0], &r);
	T_EQ(r.code, 202);
	T_EQ(nstore_del, 1);
	T_EQ(sesscfg_active(&cf->clients[0])->hb_interval.cur, 30);
	/* After DELETE any sid is new again. */
	T_EQ(put(0, 1, 1, s07, &r), 201);
}

static void
t_load_and_reconf(void)
{
	struct dotsd_conf *nc;
	struct cfg_reply r;

	load_json = "{\"" SC "\": {\"idle-config\": {"
	    "\"heartbeat-interval\": {\"current-value\": 60}}}}";
	setup();
	/* Replayed from the store, not written back. */
	T_EQ(nstore_put, 0);
	T_EQ(sesscfg_active(&cf->clients[0])->hb_interval.cur, 60);
	memset(&r, 0, sizeof(r));
	sesscfg_get(&cf->clients[0], 1, 77, &r);
	T_EQ(r.code, 205);
	json_decref(r.body);

	/* New ranges that exclude 60: back to the new defaults. */
	nc = calloc(1, sizeof(*nc));
	nc->nclients = 1;
	nc->clients = calloc(1, sizeof(*nc->clients));
	snprintf(nc->clients[0].name, MIT_NAME_LEN, "one");
	nc->idle = defaults;
	nc->idle.hb_interval.max = 50;
	nc->idle.hb_interval.cur = 40;
	nc->mitigating = defaults;
	T_EQ(sesscfg_reconf(nc), 0);
	T_EQ(sesscfg_active(&nc->clients[0])->hb_interval.cur, 40);
	T_EQ(nstore_del, 1);
	memset(&r, 0, sizeof(r));
	sesscfg_get(&nc->clients[0], 1, 77, &r);
	T_EQ(r.code, 404);
}

/* RFC 9132 §4.7: peer-hb-status is mandatory and boolean. */
static void
t_hb_body(void)
{
	static const struct {
		const char	*body;
		int		 rc, peer_ok;
		const char	*diag;
	} v[] = {
		{ "{\"ietf-dots-signal-channel:heartbeat\":"
		    "{\"peer-hb-status\":true}}", 0, 1, NULL },
		{ "{\"ietf-dots-signal-channel:heartbeat\":"
		    "{\"peer-hb-status\":false}}", 0, 0, NULL },
		{ "{\"ietf-dots-signal-channel:heartbeat\":{}}", -EBADMSG, 0,
		    "peer-hb-status" },
		{ "{\"ietf-dots-signal-channel:heartbeat\":"
		    "{\"peer-hb-status\":1}}", -EBADMSG, 0, "boolean" },
		{ "{\"ietf-dots-signal-channel:heartbeat\":[]}", -EBADMSG, 0,
		    "heartbeat" },
	};
	json_error_t e;
	char why[128];
	size_t i;
	int ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		json_t *w = json_loads(v[i].body, 0, &e);

		T_ASSERT(w != NULL);
		why[0] = '\0';
		ok = -1;
		T_EQ(sess_hb_body(w, &ok, why, sizeof(why)), v[i].rc);
		if (v[i].rc == 0)
			T_EQ(ok, v[i].peer_ok);
		else
			T_ASSERT(strstr(why, v[i].diag) != NULL);
		json_decref(w);
	}
}

int
main(void)
{
	T_RUN(t_hb_body);
	T_RUN(t_get_defaults);
	T_RUN(t_put_sids);
	T_RUN(t_put_invalid);
	T_RUN(t_delete);
	T_RUN(t_load_and_reconf);
	return t_done();
}
