/*
 * body.c: the bodies the upstream backend exchanges with an upstream
 * DOTS server, in the wire JSON of yang/codec (integers for enums, uint64
 * counters as integers or strings, RFC 7951 §6.1).
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upstream/body.h"

#define MS_TOP	"ietf-dots-signal-channel:mitigation-scope"
#define SC_TOP	"ietf-dots-signal-channel:signal-config"

/* Appends v to a unique list (json_equal), taking the reference. */
static void
add_unique(json_t *a, json_t *v)
{
	size_t	 i;
	json_t	*o;

	json_array_foreach(a, i, o)
		if (json_equal(o, v)) {
			json_decref(v);
			return;
		}
	json_array_append_new(a, v);
}

static json_t *
prefix_json(const struct mit_prefix *p)
{
	char	a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 4];

	if (inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/%u", a, p->len);
	return json_string(buf);
}

static json_t *
range_json(const struct mit_range *r)
{
	json_t	*o = json_pack("{s:i}", "lower-port", r->lo);

	/* a single port has no upper-port (RFC 9132 §4.4.1.2) */
	if (o != NULL && r->hi != r->lo)
		json_object_set_new(o, "upper-port", json_integer(r->hi));
	return o;
}

/* Adds one rule's ports and protocols; *all_* once one has none. */
static void
add_rule(const struct mit_rule *r, json_t *ports, json_t *protos,
    int *all_ports, int *all_protos)
{
	const struct mit_range	*pr = r->port;
	unsigned		 np = r->nport, i;

	if (r->present & MIT_F_DPORT) {
		pr = r->dport;
		np = r->ndport;
	} else if (!(r->present & MIT_F_PORT))
		np = 0;
	if (np == 0)
		*all_ports = 1;
	for (i = 0; i < np; i++)
		add_unique(ports, range_json(&pr[i]));
	if (!(r->present & MIT_F_PROTO) || r->nproto == 0)
		*all_protos = 1;
	for (i = 0; (r->present & MIT_F_PROTO) && i < r->nproto; i++)
		add_unique(protos, json_integer(r->proto[i]));
}

json_t *
upbody_request(const struct mit_ruleset *rs, int64_t lifetime, char *err,
    size_t errlen)
{
	json_t		*pfx = json_array(), *ports = json_array();
	json_t		*protos = json_array(), *scope, *v;
	int		 all_ports = 0, all_protos = 0;
	uint32_t	 i;

	for (i = 0; i < rs->nrules; i++) {
		const struct mit_rule *r = &rs->rules[i];

		if (r->action == MIT_ACT_ACCEPT)
			continue;	/* an exception is not a scope */
		if ((v = prefix_json(&r->dst)) == NULL) {
			snprintf(err, errlen, "rule %" PRIu32 ": bad "
			    "destination", r->id);
			goto fail;
		}
		add_unique(pfx, v);
		add_rule(r, ports, protos, &all_ports, &all_protos);
	}
	if (json_array_size(pfx) == 0) {
		snprintf(err, errlen, "no destination to ask for");
		goto fail;
	}
	scope = json_object();
	json_object_set_new(scope, "target-prefix", pfx);
	if (!all_ports && json_array_size(ports) > 0)
		json_object_set_new(scope, "target-port-range", ports);
	else
		json_decref(ports);
	if (!all_protos && json_array_size(protos) > 0)
		json_object_set_new(scope, "target-protocol", protos);
	else
		json_decref(protos);
	json_object_set_new(scope, "lifetime", json_integer(lifetime));
	return json_pack("{s:{s:[o]}}", MS_TOP, "scope", scope);
fail:
	json_decref(pfx);
	json_decref(ports);
	json_decref(protos);
	return NULL;
}

/* A uint64 counter as integer or decimal string; 0 when absent or bad. */
static uint64_t
u64_of(const json_t *v)
{
	const char	*s;
	char		*end;
	unsigned long long n;

	if (json_is_integer(v))
		return json_integer_value(v) < 0 ? 0 :
		    (uint64_t)json_integer_value(v);
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-')
		return 0;
	return n;
}

int
upbody_reports(const json_t *body,
    void (*fn)(const struct up_report *, void *), void *arg, char *err,
    size_t errlen)
{
	const json_t	*scopes, *sc, *mid, *st;
	struct up_report rep;
	size_t		 i;
	int		 n = 0;

	scopes = json_object_get(json_object_get(body, MS_TOP), "scope");
	if (!json_is_array(scopes)) {
		snprintf(err, errlen, "no mitigation-scope/scope");
		return -EBADMSG;
	}
	json_array_foreach(scopes, i, sc) {
		mid = json_object_get(sc, "mid");
		if (!json_is_integer(mid) || json_integer_value(mid) < 0 ||
		    json_integer_value(mid) > UINT32_MAX)
			continue;
		memset(&rep, 0, sizeof(rep));
		rep.mid = (uint32_t)json_integer_value(mid);
		st = json_object_get(sc, "status");
		if (json_is_integer(st))
			rep.status = (int)json_integer_value(st);
		rep.bytes_dropped = u64_of(json_object_get(sc,
		    "bytes-dropped"));
		rep.pkts_dropped = u64_of(json_object_get(sc, "pkts-dropped"));
		rep.bps_dropped = u64_of(json_object_get(sc, "bps-dropped"));
		rep.pps_dropped = u64_of(json_object_get(sc, "pps-dropped"));
		fn(&rep, arg);
		n++;
	}
	return n;
}

int
upbody_state(int status)
{
	/* RFC 9132 §4.4.2, Table 3 (the status typedef of the module) */
	static const int map[] = {
		[1] = MIT_ST_PENDING + 1,	/* in-progress */
		[2] = MIT_ST_ACTIVE + 1,	/* successfully-mitigated */
		[3] = MIT_ST_ACTIVE + 1,	/* attack-stopped: still held */
		[4] = MIT_ST_EXCEEDED + 1,	/* exceeded-capability */
		[5] = 0,			/* our withdrawal, terminating */
		[6] = MIT_ST_FAILED + 1,	/* mitigation terminated */
		[7] = MIT_ST_FAILED + 1,	/* mitigation withdrawn */
		/* 8 only for trigger-mitigation false, which we never send:
		 * waiting, nothing acts */
		[8] = MIT_ST_PENDING + 1,
	};

	if (status < 1 || status >= (int)(sizeof(map) / sizeof(map[0])))
		return 0;
	return map[status];
}

static void
current(const json_t *cfg, const char *key, unsigned *out)
{
	const json_t	*v = json_object_get(json_object_get(cfg, key),
			    "current-value");

	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) <= 65535)
		*out = (unsigned)json_integer_value(v);
}

int
upbody_config(const json_t *body, int mitigating, unsigned *hb,
    unsigned *missing)
{
	const json_t	*sc = json_object_get(body, SC_TOP), *cfg;

	if (!json_is_object(sc))
		return -EBADMSG;
	cfg = json_object_get(sc, mitigating ? "mitigating-config" :
	    "idle-config");
	if (!json_is_object(cfg))
		return -EBADMSG;
	current(cfg, "heartbeat-interval", hb);
	current(cfg, "missing-hb-allowed", missing);
	return 0;
}

void
upbody_stats(const struct up_report *rep, struct mit_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (rep == NULL || (st->remote_state = upbody_state(rep->status)) == 0)
		return;
	st->pkts_dropped = rep->pkts_dropped;
	st->bytes_dropped = rep->bytes_dropped;
	st->remote_bps_dropped = rep->bps_dropped;
	st->remote_pps_dropped = rep->pps_dropped;
}

json_t *
upbody_heartbeat(int peer_hb_status)
{
	return json_pack("{s:{s:b}}", "ietf-dots-signal-channel:heartbeat",
	    "peer-hb-status", peer_hb_status);
}
