/*
 * print.c: what dots-client writes on stdout. Human output names status
 * values (RFC 9132 §4.4.2 Table 3) and units; --json writes one compact
 * object per response, {"code":"2.05","body":{wire JSON}, ...}, so
 * `observe --json` is a JSON Lines stream.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dots-client/client.h"
#include "yang/codec.h"

#define MS_TOP	"ietf-dots-signal-channel:mitigation-scope"
#define SC_TOP	"ietf-dots-signal-channel:signal-config"
#define RS_TOP	"ietf-dots-signal-channel:redirected-signal"


/* The same for every string of a decoded body, before human output. */
static void
json_sanitize(json_t *j)
{
	const char	*key;
	json_t		*v;
	size_t		 i;
	char		 buf[1024];

	if (json_is_object(j)) {
		json_object_foreach(j, key, v)
			json_sanitize(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			json_sanitize(v);
	} else if (json_is_string(j)) {
		text_sanitize(buf, sizeof(buf),
		    (const uint8_t *)json_string_value(j),
		    json_string_length(j));
		json_string_set(j, buf);
	}
}

const char *
code_text(int code)
{
	switch (code) {
	case 201: return "Created";
	case 202: return "Deleted";
	case 203: return "Valid";
	case 204: return "Changed";
	case 205: return "Content";
	case 231: return "Continue";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Bad Option";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Entity Incomplete";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Request Entity Too Large";
	case 415: return "Unsupported Content-Format";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "Proxying Not Supported";
	case 508: return "Hop Limit Reached";
	default:  return "";
	}
}

int
exit_for_code(int code)
{
	if (code >= 200 && code < 300)
		return EXIT_OK;
	if (code == 409)
		return EXIT_CONFLICT;
	if (code >= 400 && code < 500)
		return EXIT_REFUSED;
	if (code >= 500 && code < 600)
		return EXIT_SERVER;
	return EXIT_TRANSPORT;	/* not a response code at all */
}

/* Enumerations may arrive as names (RFC 7951) or, from a lax codec, as
 * numbers; print names either way (the codec's tables, yang/codec.h). */
static const char *
enum_name(const json_t *v, const char *leaf, char *buf, size_t buflen)
{
	const char	*name;

	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_integer(v))
		return "?";
	if ((name = codec_enum_name(leaf, json_integer_value(v))) != NULL)
		return name;
	snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return buf;
}
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Numbers print as numbers, uint64 strings (RFC 7951) as they are. */
static const char *
scalar(const json_t *v, char *buf, size_t buflen)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	return "?";
}

static void
print_list(FILE *f, const char *label, const json_t *a)
{
	char	buf[32];
	json_t	*v;
	size_t	 i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	fprintf(f, "  %s", label);
	json_array_foreach(a, i, v)
		fprintf(f, " %s", scalar(v, buf, sizeof(buf)));
	fputc('\n', f);
}

static void
print_ports(FILE *f, const json_t *a)
{
	json_t	*pr, *lo, *hi;
	size_t	 i;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return;
	fprintf(f, "  port");
	json_array_foreach(a, i, pr) {
		lo = json_object_get(pr, "lower-port");
		hi = json_object_get(pr, "upper-port");
		fprintf(f, " %" JSON_INTEGER_FORMAT, json_integer_value(lo));
		if (json_is_integer(hi) &&
		    json_integer_value(hi) != json_integer_value(lo))
			fprintf(f, "-%" JSON_INTEGER_FORMAT,
			    json_integer_value(hi));
	}
	fputc('\n', f);
}

static void
print_conflict(FILE *f, const json_t *ci)
{
	char	 buf[32];
	json_t	*v, *cs;

	if (!json_is_object(ci))
		return;
	fprintf(f, "  conflict:");
	if ((v = json_object_get(ci, "conflict-status")) != NULL)
		fprintf(f, " status %s", enum_name(v, "conflict-status",
		    buf, sizeof(buf)));
	if ((v = json_object_get(ci, "conflict-cause")) != NULL)
		fprintf(f, " cause %s", enum_name(v, "conflict-cause",
		    buf, sizeof(buf)));
	if ((v = json_object_get(ci, "retry-timer")) != NULL)
		fprintf(f, " retry-timer %s s", scalar(v, buf, sizeof(buf)));
	fputc('\n', f);
	if ((cs = json_object_get(ci, "conflict-scope")) != NULL) {
		if ((v = json_object_get(cs, "mid")) != NULL)
			fprintf(f, "  conflicting mid %s\n",
			    scalar(v, buf, sizeof(buf)));
		print_list(f, "conflicting target", json_object_get(cs,
		    "target-prefix"));
		print_list(f, "conflicting fqdn", json_object_get(cs,
		    "target-fqdn"));
		print_list(f, "conflicting uri", json_object_get(cs,
		    "target-uri"));
		print_list(f, "conflicting alias", json_object_get(cs,
		    "alias-name"));
	}
}

static void
print_counters(FILE *f, const json_t *sc)
{
	static const struct {
		const char	*key, *unit;
	} ctrs[] = {
		{ "bytes-dropped", "bytes" }, { "pkts-dropped", "packets" },
		{ "bps-dropped", "bytes/s" }, { "pps-dropped", "packets/s" },
	};
	char	 buf[32];
	json_t	*v;
	size_t	 i;
	int	 any = 0;

	for (i = 0; i < NELEM(ctrs); i++) {
		if ((v = json_object_get(sc, ctrs[i].key)) == NULL)
			continue;
		fprintf(f, "%s %s %s", any ? "," : "  dropped",
		    scalar(v, buf, sizeof(buf)), ctrs[i].unit);
		any = 1;
	}
	if (any)
		fputc('\n', f);
}

/* One mitigation of a GET answer or notification (RFC 9132 §4.4.2). */
static void
print_scope(FILE *f, const json_t *sc)
{
	char	 buf[32], tbuf[64];
	json_t	*v;
	struct tm tm;
	time_t	 t;

	if ((v = json_object_get(sc, "mid")) != NULL)
		fprintf(f, "mid %s:", scalar(v, buf, sizeof(buf)));
	else
		fprintf(f, "mitigation:");
	if ((v = json_object_get(sc, "status")) != NULL)
		fprintf(f, " %s,", enum_name(v, "status",
		    buf, sizeof(buf)));
	if ((v = json_object_get(sc, "lifetime")) != NULL) {
		if (json_is_integer(v) && json_integer_value(v) == -1)
			fprintf(f, " lifetime indefinite");
		else
			fprintf(f, " lifetime %s s",
			    scalar(v, buf, sizeof(buf)));
	}
	if (json_is_false(json_object_get(sc, "trigger-mitigation")))
		fprintf(f, ", preconfigured");
	fputc('\n', f);
	print_list(f, "target", json_object_get(sc, "target-prefix"));
	print_ports(f, json_object_get(sc, "target-port-range"));
	print_list(f, "protocol", json_object_get(sc, "target-protocol"));
	print_list(f, "fqdn", json_object_get(sc, "target-fqdn"));
	print_list(f, "uri", json_object_get(sc, "target-uri"));
	print_list(f, "alias", json_object_get(sc, "alias-name"));
	print_list(f, "source", json_object_get(sc,
	    "ietf-dots-call-home:source-prefix"));
	if ((v = json_object_get(sc, "mitigation-start")) != NULL) {
		const char *s = scalar(v, buf, sizeof(buf));

		t = (time_t)strtoll(s, NULL, 10);
		if (gmtime_r(&t, &tm) != NULL &&
		    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			fprintf(f, "  started %s\n", tbuf);
	}
	print_counters(f, sc);
	print_conflict(f, json_object_get(sc, "conflict-information"));
}

static void
print_scopes(FILE *f, const json_t *body)
{
	json_t	*scopes, *sc;
	size_t	 i;

	scopes = json_object_get(json_object_get(body, MS_TOP), "scope");
	json_array_foreach(scopes, i, sc)
		print_scope(f, sc);
}

/* One parameter of a signal-config set: current (min..max). */
static void
print_cfg_param(FILE *f, const char *name, const json_t *p)
{
	static const char *const sfx[] = { "", "-decimal" };
	char	 buf[3][32], key[32];
	json_t	*cur, *min, *max;
	size_t	 i;

	if (!json_is_object(p))
		return;
	for (i = 0; i < NELEM(sfx); i++) {
		snprintf(key, sizeof(key), "current-value%s", sfx[i]);
		cur = json_object_get(p, key);
		snprintf(key, sizeof(key), "min-value%s", sfx[i]);
		min = json_object_get(p, key);
		snprintf(key, sizeof(key), "max-value%s", sfx[i]);
		max = json_object_get(p, key);
		if (cur == NULL && min == NULL && max == NULL)
			continue;
		fprintf(f, "  %-20s %s", name,
		    cur ? scalar(cur, buf[0], sizeof(buf[0])) : "-");
		if (min != NULL || max != NULL)
			fprintf(f, " (%s..%s)",
			    min ? scalar(min, buf[1], sizeof(buf[1])) : "",
			    max ? scalar(max, buf[2], sizeof(buf[2])) : "");
		fputc('\n', f);
	}
}

static void
print_config(FILE *f, const json_t *body)
{
	static const char *const sets[] = { "mitigating-config",
	    "idle-config" };
	static const char *const params[] = { "heartbeat-interval",
	    "missing-hb-allowed", "probing-rate", "max-retransmit",
	    "ack-timeout", "ack-random-factor" };
	json_t	*cfg, *set, *v;
	char	 buf[32];
	size_t	 i, j;

	cfg = json_object_get(body, SC_TOP);
	if ((v = json_object_get(cfg, "sid")) != NULL)
		fprintf(f, "sid %s\n", scalar(v, buf, sizeof(buf)));
	for (i = 0; i < NELEM(sets); i++) {
		if ((set = json_object_get(cfg, sets[i])) == NULL)
			continue;
		fprintf(f, "%s:\n", sets[i]);
		for (j = 0; j < NELEM(params); j++)
			print_cfg_param(f, params[j],
			    json_object_get(set, params[j]));
	}
}

static void
print_redirect(FILE *f, const json_t *body)
{
	json_t	*rs = json_object_get(body, RS_TOP);

	if (rs == NULL)
		return;
	fprintf(f, "  redirected to %s\n", json_string_value(
	    json_object_get(rs, "alt-server")) ?: "?");
	print_list(f, "alt-server-record", json_object_get(rs,
	    "alt-server-record"));
}

/* First scope's mid and lifetime: the 2.01/2.04 answer to a PUT. The
 * server need not repeat the mid; then the one we sent is printed. */
static void
print_granted(FILE *f, const struct client_opts *o, const json_t *body)
{
	json_t	*scopes, *sc, *v;
	char	 buf[32];

	scopes = json_object_get(json_object_get(body, MS_TOP), "scope");
	sc = json_array_get(scopes, 0);
	if ((v = json_object_get(sc, "mid")) != NULL)
		fprintf(f, "mid %s", scalar(v, buf, sizeof(buf)));
	else if (o->has_mid)
		fprintf(f, "mid %u", o->mid);
	else if (sc == NULL)
		return;
	if ((v = json_object_get(sc, "lifetime")) != NULL) {
		if (json_is_integer(v) && json_integer_value(v) == -1)
			fprintf(f, ", lifetime indefinite");
		else
			fprintf(f, ", lifetime %s s",
			    scalar(v, buf, sizeof(buf)));
	}
	fputc('\n', f);
	print_conflict(f, json_object_get(sc, "conflict-information"));
}

static void
print_json(FILE *f, const struct client_opts *o,
    const struct dc_response *r)
{
	json_t	*j;
	char	 code[16], *s;

	snprintf(code, sizeof(code), "%d.%02d", r->code / 100, r->code % 100);
	j = json_pack("{s:s}", "code", code);
	if (r->body != NULL)
		json_object_set(j, "body", r->body);
	if (r->diag[0] != '\0')
		json_object_set_new(j, "diagnostic", json_string(r->diag));
	if (r->max_age >= 0)
		json_object_set_new(j, "max-age", json_integer(r->max_age));
	if (r->has_observe)
		json_object_set_new(j, "observe", json_integer(r->observe));
	/* the identifier this client chose, which a script needs later */
	if (o->has_mid && (o->cmd == CMD_REQUEST || o->cmd == CMD_WITHDRAW ||
	    o->cmd == CMD_EFFICACY))
		json_object_set_new(j, "mid", json_integer(o->mid));
	if (o->has_sid && (o->cmd == CMD_CONFIG_SET ||
	    o->cmd == CMD_CONFIG_GET || o->cmd == CMD_CONFIG_DELETE))
		json_object_set_new(j, "sid", json_integer(o->sid));
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s != NULL)
		fprintf(f, "%s\n", s);
	free(s);
	json_decref(j);
}

static void	print_human(FILE *, const struct client_opts *,
		    const struct dc_response *);

void
print_response(FILE *f, const struct client_opts *o,
    const struct dc_response *r)
{
	struct dc_response	clean = *r;

	if (o->json) {
		print_json(f, o, r);
		fflush(f);
		return;
	}
	clean.body = json_deep_copy(r->body);
	json_sanitize(clean.body);
	print_human(f, o, &clean);
	json_decref(clean.body);
}

static void
print_human(FILE *f, const struct client_opts *o,
    const struct dc_response *r)
{
	fprintf(f, "%d.%02d %s", r->code / 100, r->code % 100,
	    code_text(r->code));
	if (r->diag[0] != '\0')
		fprintf(f, ": %s", r->diag);
	fputc('\n', f);
	if (r->code >= 400) {
		/* 4.09 and 5.03 may carry dots+cbor (RFC 9132 §4.4.1.3,
		 * §4.6) */
		if (json_object_get(r->body, MS_TOP) != NULL)
			print_granted(f, o, r->body);
		print_redirect(f, r->body);
		if (r->max_age >= 0)
			fprintf(f, "  retry after %" PRId64 " s (Max-Age)\n",
			    r->max_age);
		fflush(f);
		return;
	}
	switch (o->cmd) {
	case CMD_REQUEST:
	case CMD_EFFICACY:
		print_granted(f, o, r->body);
		break;
	case CMD_WITHDRAW:
		fprintf(f, "mid %u withdrawn\n", o->mid);
		break;
	case CMD_CONFIG_SET:
		fprintf(f, "sid %u\n", o->sid);
		break;
	case CMD_GET:
	case CMD_OBSERVE:
		print_scopes(f, r->body);
		break;
	case CMD_CONFIG_GET:
		print_config(f, r->body);
		if (r->max_age >= 0)
			fprintf(f, "  valid for %" PRId64 " s (Max-Age)\n",
			    r->max_age);
		break;
	default:
		break;
	}
	fflush(f);
}
