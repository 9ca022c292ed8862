/*
 * body.c: request bodies as wire JSON (the RFC 9132 examples' JSON form;
 * yang/codec.c turns them into CBOR). No I/O here.
 */
#include <errno.h>
#include <string.h>

#include "dots-client/client.h"
#include "yang/codec.h"

#define MS_TOP	"ietf-dots-signal-channel:mitigation-scope"
#define SC_TOP	"ietf-dots-signal-channel:signal-config"
#define HB_TOP	"ietf-dots-signal-channel:heartbeat"

const char *
attack_status_name(int v)
{
	/* RFC 9132 §4.4.3 */
	return codec_enum_name("attack-status", v);
}

static json_t *
strv_json(const struct strv *sv)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *
wrap_scope(json_t *scope)
{
	return json_pack("{s:{s:[o]}}", MS_TOP, "scope", scope);
}

/* RFC 9132 §4.4.1.1: PUT body with exactly one scope. */
json_t *
body_mitigation(const struct client_opts *o)
{
	json_t	*scope, *a;
	size_t	 i;

	scope = json_object();
	if (o->prefixes.n)
		json_object_set_new(scope, "target-prefix",
		    strv_json(&o->prefixes));
	if (o->nports) {
		a = json_array();
		for (i = 0; i < o->nports; i++) {
			json_t	*pr = json_object();

			json_object_set_new(pr, "lower-port",
			    json_integer(o->ports[i].lower));
			/* a single port has no upper-port (§4.4.1.2) */
			if (o->ports[i].upper != o->ports[i].lower)
				json_object_set_new(pr, "upper-port",
				    json_integer(o->ports[i].upper));
			json_array_append_new(a, pr);
		}
		json_object_set_new(scope, "target-port-range", a);
	}
	if (o->nprotos) {
		a = json_array();
		for (i = 0; i < o->nprotos; i++)
			json_array_append_new(a, json_integer(o->protos[i]));
		json_object_set_new(scope, "target-protocol", a);
	}
	if (o->fqdns.n)
		json_object_set_new(scope, "target-fqdn", strv_json(&o->fqdns));
	if (o->uris.n)
		json_object_set_new(scope, "target-uri", strv_json(&o->uris));
	if (o->aliases.n)
		json_object_set_new(scope, "alias-name",
		    strv_json(&o->aliases));
	/* RFC 9066 §5.3.1: narrows the mitigation to these sources */
	if (o->sources.n)
		json_object_set_new(scope, "ietf-dots-call-home:source-prefix",
		    strv_json(&o->sources));
	json_object_set_new(scope, "lifetime", json_integer(o->lifetime));
	/* default true is not sent (RFC 9132 §4.4.1.2) */
	if (o->preconfigured)
		json_object_set_new(scope, "trigger-mitigation", json_false());
	return wrap_scope(scope);
}

/*
 * RFC 9132 §4.4.3: an efficacy update repeats the request's parameters as
 * they were sent (lifetime may change or be left out) and adds
 * attack-status. The scope comes from a GET of that mid; only members a
 * client may send are copied, so server-to-client nodes (status,
 * mitigation-start, counters, conflict-information, the remaining
 * lifetime) never go back.
 */
json_t *
body_efficacy(const json_t *get_body, uint32_t mid,
    const struct client_opts *o, char *err, size_t errlen)
{
	static const char *const keep[] = {
		"target-prefix", "target-port-range", "target-protocol",
		"target-fqdn", "target-uri", "alias-name",
		"trigger-mitigation", "ietf-dots-signal-control:acl-list",
		"ietf-dots-call-home:source-prefix",
		"ietf-dots-call-home:source-port-range",
		"ietf-dots-call-home:source-icmp-type-range",
	};
	json_t	*scopes, *sc = NULL, *m, *out;
	size_t	 i, k;

	scopes = json_object_get(json_object_get(get_body, MS_TOP), "scope");
	if (!json_is_array(scopes)) {
		args_errf(err, errlen, "GET response has no mitigation scope");
		return NULL;
	}
	json_array_foreach(scopes, i, sc) {
		m = json_object_get(sc, "mid");
		if (json_is_integer(m) && json_integer_value(m) == mid)
			break;
	}
	if (sc == NULL || i == json_array_size(scopes)) {
		args_errf(err, errlen, "GET response has no mid %u", mid);
		return NULL;
	}
	out = json_object();
	for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
		json_t	*v = json_object_get(sc, keep[k]);

		if (v != NULL)
			json_object_set_new(out, keep[k], json_deep_copy(v));
	}
	if (o->has_lifetime)
		json_object_set_new(out, "lifetime",
		    json_integer(o->lifetime));
	json_object_set_new(out, "attack-status",
	    json_string(attack_status_name(o->attack_status)));
	return wrap_scope(out);
}

static void
cfg_set_params(json_t *set, const struct client_opts *o, int mitigating)
{
	char	buf[16];

	if (o->cfg_set & CFG_HB_INTERVAL)
		json_object_set_new(set, "heartbeat-interval",
		    json_pack("{s:i}", "current-value", o->hb_interval));
	if (o->cfg_set & CFG_MISSING_HB)
		json_object_set_new(set, "missing-hb-allowed",
		    json_pack("{s:i}", "current-value", o->missing_hb));
	/* probing-rate exists in mitigating-config only (RFC 9132 §4.5.2) */
	if ((o->cfg_set & CFG_PROBING_RATE) && mitigating)
		json_object_set_new(set, "probing-rate",
		    json_pack("{s:i}", "current-value", o->probing_rate));
	if (o->cfg_set & CFG_MAX_RETRANSMIT)
		json_object_set_new(set, "max-retransmit",
		    json_pack("{s:i}", "current-value", o->max_retransmit));
	/* decimal64, fraction-digits 2: RFC 7951 string "2.00" */
	if (o->cfg_set & CFG_ACK_TIMEOUT) {
		snprintf(buf, sizeof(buf), "%u.%02u", o->ack_timeout / 100,
		    o->ack_timeout % 100);
		json_object_set_new(set, "ack-timeout",
		    json_pack("{s:s}", "current-value-decimal", buf));
	}
	if (o->cfg_set & CFG_ACK_RANDOM) {
		snprintf(buf, sizeof(buf), "%u.%02u", o->ack_random / 100,
		    o->ack_random % 100);
		json_object_set_new(set, "ack-random-factor",
		    json_pack("{s:s}", "current-value-decimal", buf));
	}
}

/* RFC 9132 §4.5.2: PUT /config/sid=N carries current-value entries only. */
json_t *
body_config(const struct client_opts *o)
{
	json_t	*cfg = json_object(), *set;

	if (o->cfg_which != CFG_IDLE) {
		set = json_object();
		cfg_set_params(set, o, 1);
		json_object_set_new(cfg, "mitigating-config", set);
	}
	if (o->cfg_which != CFG_MITIGATING) {
		set = json_object();
		cfg_set_params(set, o, 0);
		json_object_set_new(cfg, "idle-config", set);
	}
	return json_pack("{s:o}", SC_TOP, cfg);
}

/* RFC 9132 §4.7 */
json_t *
body_heartbeat(int peer_hb_status)
{
	return json_pack("{s:{s:b}}", HB_TOP, "peer-hb-status",
	    peer_hb_status);
}
