/*
 * client_body_test.c: dots-client request bodies (dots-client/body.c)
 * against the RFC 9132 examples, and the output (dots-client/print.c).
 */
#include <errno.h>

#include "dots-client/client.h"
#include "tests/t.h"

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

static void
parse_ok(struct client_opts *o, char **argv, int argc)
{
	char	err[256];

	opts_init(o);
	if (args_parse(o, argc, argv, err, sizeof(err)) < 0)
		T_FAIL("args: %s", err);
}

static json_t *
load(const char *text)
{
	json_error_t	 e;
	json_t		*j = json_loads(text, 0, &e);

	if (j == NULL)
		T_FAIL("bad JSON in the test: %s", e.text);
	return j;
}

static void
assert_json(json_t *got, const char *want_text)
{
	json_t	*want = load(want_text);

	if (!json_equal(got, want)) {
		char *s = json_dumps(got, JSON_COMPACT);

		T_FAIL("got %s", s);
	}
	json_decref(want);
}

/* RFC 9132 Figure 7 (shared/reference test vector s01). */
static void
t_mitigation_fig7(void)
{
	char *argv[] = { "dots-client", "request", "--target",
	    "2001:db8:6401::1/128,2001:db8:6401::2/128", "--port",
	    "80,443", "--port", "8080", "--protocol", "tcp", NULL };
	struct client_opts	 o;
	json_t			*b;

	parse_ok(&o, argv, ARGC(argv));
	b = body_mitigation(&o);
	assert_json(b, "{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"target-prefix\":[\"2001:db8:6401::1/128\","
	    "\"2001:db8:6401::2/128\"],\"target-port-range\":["
	    "{\"lower-port\":80},{\"lower-port\":443},{\"lower-port\":8080}],"
	    "\"target-protocol\":[6],\"lifetime\":3600}]}}");
	json_decref(b);
	opts_free(&o);
}

static void
t_mitigation_all_targets(void)
{
	char *argv[] = { "dots-client", "request", "--fqdn",
	    "www.example.com", "--uri", "https://www.example.com/a",
	    "--alias", "web,mail", "--port", "1000-2000", "--lifetime", "-1",
	    "--preconfigured", NULL };
	struct client_opts	 o;
	json_t			*b;

	parse_ok(&o, argv, ARGC(argv));
	b = body_mitigation(&o);
	assert_json(b, "{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"target-port-range\":[{\"lower-port\":1000,"
	    "\"upper-port\":2000}],\"target-fqdn\":[\"www.example.com\"],"
	    "\"target-uri\":[\"https://www.example.com/a\"],"
	    "\"alias-name\":[\"web\",\"mail\"],\"lifetime\":-1,"
	    "\"trigger-mitigation\":false}]}}");
	json_decref(b);
	opts_free(&o);
}

/* --source: RFC 9066 source-prefix, narrowing the request. */
static void
t_mitigation_sources(void)
{
	char *argv[] = { "dots-client", "request", "--target", "198.18.0.1",
	    "--source", "198.18.2.2,2001:db8:2::/48", "--mid", "5", NULL };
	struct client_opts	 o;
	json_t			*b;

	parse_ok(&o, argv, ARGC(argv));
	b = body_mitigation(&o);
	assert_json(b, "{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"target-prefix\":[\"198.18.0.1/32\"],"
	    "\"ietf-dots-call-home:source-prefix\":[\"198.18.2.2/32\","
	    "\"2001:db8:2::/48\"],\"lifetime\":3600}]}}");
	json_decref(b);
	opts_free(&o);
}

/* A GET answer of two mitigations (as RFC 9132 Figure 13 / vector s04,
 * with a port list added). */
static const char get_resp[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":["
    "{\"mid\":12332,\"mitigation-start\":\"1507818434\","
    "\"target-prefix\":[\"2001:db8:6401::1/128\",\"2001:db8:6401::2/128\"],"
    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443},"
    "{\"lower-port\":8080}],"
    "\"target-protocol\":[6],\"lifetime\":1756,"
    "\"status\":\"attack-successfully-mitigated\","
    "\"bytes-dropped\":\"134334555\",\"bps-dropped\":\"43344\","
    "\"pkts-dropped\":\"333334444\",\"pps-dropped\":\"432432\"},"
    "{\"mid\":12333,\"mitigation-start\":\"1507818393\","
    "\"target-prefix\":[\"2001:db8:6401::1/128\"],"
    "\"target-protocol\":[17],\"lifetime\":1755,\"status\":3,"
    "\"conflict-information\":{\"conflict-status\":"
    "\"request-inactive-other-active\",\"conflict-cause\":"
    "\"overlapping-targets\",\"retry-timer\":30,\"conflict-scope\":"
    "{\"mid\":12}}}]}}";

/* RFC 9132 Figure 15 (vector s05): the scope as sent, plus attack-status;
 * nothing the server added goes back. */
static void
t_efficacy(void)
{
	char *argv[] = { "dots-client", "efficacy", "--mid", "12332",
	    "--attack-status", "under-attack", NULL };
	char *argv2[] = { "dots-client", "efficacy", "--mid", "12333",
	    "--attack-status", "mitigated", "--lifetime", "600", NULL };
	struct client_opts	 o;
	json_t			*get = load(get_resp), *b;
	char			 err[256];

	parse_ok(&o, argv, ARGC(argv));
	b = body_efficacy(get, o.mid, &o, err, sizeof(err));
	T_ASSERT(b != NULL);
	assert_json(b, "{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"target-prefix\":[\"2001:db8:6401::1/128\","
	    "\"2001:db8:6401::2/128\"],\"target-port-range\":["
	    "{\"lower-port\":80},{\"lower-port\":443},{\"lower-port\":8080}],"
	    "\"target-protocol\":[6],\"attack-status\":\"under-attack\"}]}}");
	json_decref(b);
	opts_free(&o);

	parse_ok(&o, argv2, ARGC(argv2));
	b = body_efficacy(get, o.mid, &o, err, sizeof(err));
	T_ASSERT(b != NULL);
	assert_json(b, "{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"target-prefix\":[\"2001:db8:6401::1/128\"],"
	    "\"target-protocol\":[17],\"lifetime\":600,\"attack-status\":"
	    "\"attack-successfully-mitigated\"}]}}");
	json_decref(b);
	/* a mid the server did not return */
	o.mid = 5;
	T_ASSERT(body_efficacy(get, o.mid, &o, err, sizeof(err)) == NULL);
	T_ASSERT(strstr(err, "mid 5") != NULL);
	T_ASSERT(body_efficacy(NULL, o.mid, &o, err, sizeof(err)) == NULL);
	json_decref(get);
	opts_free(&o);
}

/* RFC 9132 Figure 18 shape (vector s07): current values only. */
static void
t_config(void)
{
	char *argv[] = { "dots-client", "config", "set", "--sid", "123",
	    "--heartbeat-interval", "30", "--missing-hb-allowed", "15",
	    "--probing-rate", "15", "--max-retransmit", "3",
	    "--ack-timeout", "2", "--ack-random-factor", "1.5", NULL };
	char *idle[] = { "dots-client", "config", "set", "--idle",
	    "--heartbeat-interval", "0", "--probing-rate", "9", NULL };
	struct client_opts	 o;
	json_t			*b;

	parse_ok(&o, argv, ARGC(argv));
	b = body_config(&o);
	assert_json(b, "{\"ietf-dots-signal-channel:signal-config\":{"
	    "\"mitigating-config\":{"
	    "\"heartbeat-interval\":{\"current-value\":30},"
	    "\"missing-hb-allowed\":{\"current-value\":15},"
	    "\"probing-rate\":{\"current-value\":15},"
	    "\"max-retransmit\":{\"current-value\":3},"
	    "\"ack-timeout\":{\"current-value-decimal\":\"2.00\"},"
	    "\"ack-random-factor\":{\"current-value-decimal\":\"1.50\"}},"
	    "\"idle-config\":{"
	    "\"heartbeat-interval\":{\"current-value\":30},"
	    "\"missing-hb-allowed\":{\"current-value\":15},"
	    "\"max-retransmit\":{\"current-value\":3},"
	    "\"ack-timeout\":{\"current-value-decimal\":\"2.00\"},"
	    "\"ack-random-factor\":{\"current-value-decimal\":\"1.50\"}}}}");
	json_decref(b);
	opts_free(&o);

	/* --probing-rate with --idle is refused by args_parse */
	opts_init(&o);
	{
		char	err[256];

		T_EQ(args_parse(&o, ARGC(idle), idle, err, sizeof(err)),
		    -EINVAL);
	}
	opts_free(&o);
}

static void
t_heartbeat(void)
{
	json_t	*b = body_heartbeat(1);

	assert_json(b, "{\"ietf-dots-signal-channel:heartbeat\":"
	    "{\"peer-hb-status\":true}}");
	json_decref(b);
	b = body_heartbeat(0);
	assert_json(b, "{\"ietf-dots-signal-channel:heartbeat\":"
	    "{\"peer-hb-status\":false}}");
	json_decref(b);
}

static char *
render(struct client_opts *o, struct dc_response *r)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	print_response(f, o, r);
	fclose(f);
	return buf;
}

static void
t_print_get(void)
{
	struct client_opts	 o;
	struct dc_response	 r = { .code = 205, .max_age = -1 };
	char			*out;

	opts_init(&o);
	o.cmd = CMD_GET;
	r.body = load(get_resp);
	out = render(&o, &r);
	T_ASSERT(strstr(out, "2.05 Content\n") == out);
	T_ASSERT(strstr(out, "mid 12332: attack-successfully-mitigated, "
	    "lifetime 1756 s\n") != NULL);
	T_ASSERT(strstr(out, "  port 80 443 8080\n") != NULL);
	T_ASSERT(strstr(out, "  started 2017-10-12T14:27:14Z\n") != NULL);
	T_ASSERT(strstr(out, "  dropped 134334555 bytes, 333334444 packets, "
	    "43344 bytes/s, 432432 packets/s\n") != NULL);
	/* a numeric status is named too */
	T_ASSERT(strstr(out, "mid 12333: attack-stopped, lifetime 1755 s\n")
	    != NULL);
	T_ASSERT(strstr(out, "  conflict: status request-inactive-other-active"
	    " cause overlapping-targets retry-timer 30 s\n") != NULL);
	T_ASSERT(strstr(out, "  conflicting mid 12\n") != NULL);
	free(out);
	json_decref(r.body);
}

static void
t_print_json(void)
{
	struct client_opts	 o;
	struct dc_response	 r = { .code = 201, .max_age = -1 };
	json_t			*j;
	char			*out;

	opts_init(&o);
	o.cmd = CMD_REQUEST;
	o.json = 1;
	o.mid = 77;
	o.has_mid = 1;
	r.body = load("{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"mid\":77,\"lifetime\":3600}]}}");
	out = render(&o, &r);
	/* one line, and the line is the object */
	T_ASSERT(strchr(out, '\n') == out + strlen(out) - 1);
	j = load(out);
	T_STREQ(json_string_value(json_object_get(j, "code")), "2.01");
	T_EQ(json_integer_value(json_object_get(j, "mid")), 77);
	T_ASSERT(json_equal(json_object_get(j, "body"), r.body));
	json_decref(j);
	free(out);
	json_decref(r.body);
}

static void
t_print_errors(void)
{
	struct client_opts	 o;
	struct dc_response	 r = { .code = 503, .max_age = 60 };
	char			*out;

	opts_init(&o);
	o.cmd = CMD_REQUEST;
	snprintf(r.diag, sizeof(r.diag), "mitigator busy");
	out = render(&o, &r);
	T_STREQ(out, "5.03 Service Unavailable: mitigator busy\n"
	    "  retry after 60 s (Max-Age)\n");
	free(out);

	r.code = 409;
	r.max_age = -1;
	r.diag[0] = '\0';
	r.body = load("{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"conflict-information\":{\"conflict-cause\":"
	    "\"cuid-collision\"}}]}}");
	out = render(&o, &r);
	T_ASSERT(strstr(out, "4.09 Conflict\n") == out);
	T_ASSERT(strstr(out, "cause cuid-collision") != NULL);
	free(out);
	json_decref(r.body);
}

/* Server text reaches the terminal only as UTF-8 without controls. */
static void
t_sanitize(void)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "plain text", "plain text" },
		{ "esc\x1b[31mred", "esc.[31mred" },
		{ "tab\tnl\ndel\x7f", "tab.nl.del." },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "c1 \xc2\x9b csi", "c1 . csi" },	/* U+009B */
		{ "bad \xff\xfe", "bad .." },
		{ "overlong \xc0\xaf", "overlong .." },
		{ "surrogate \xed\xa0\x80", "surrogate ." },
		{ "cut \xe2\x82", "cut .." },
	};
	char	buf[64];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text_sanitize(buf, sizeof(buf), (const uint8_t *)cases[i].in,
		    strlen(cases[i].in));
		if (strcmp(buf, cases[i].out) != 0)
			T_FAIL("case %zu: got \"%s\"", i, buf);
	}
	/* a multi-byte character is not split at the end of the buffer */
	text_sanitize(buf, 5, (const uint8_t *)"abc\xc3\xa9", 5);
	T_STREQ(buf, "abc");
	/* an embedded NUL does not end the copy early */
	text_sanitize(buf, sizeof(buf), (const uint8_t *)"a\0b", 3);
	T_STREQ(buf, "a.b");
}

static void
t_print_hostile_strings(void)
{
	struct client_opts	 o;
	struct dc_response	 r = { .code = 205, .max_age = -1 };
	char			*out;

	opts_init(&o);
	o.cmd = CMD_GET;
	r.body = load("{\"ietf-dots-signal-channel:mitigation-scope\":"
	    "{\"scope\":[{\"mid\":1,\"target-fqdn\":[\"a\\u001b]0;pwned\\u0007\"],"
	    "\"status\":\"x\\u009by\"}]}}");
	out = render(&o, &r);
	T_ASSERT(strchr(out, 0x1b) == NULL && strchr(out, 0x07) == NULL);
	T_ASSERT(strstr(out, "  fqdn a.]0;pwned.\n") != NULL);
	T_ASSERT(strstr(out, "mid 1: x.y,") != NULL);
	free(out);
	json_decref(r.body);
}

static void
t_exit_codes(void)
{
	T_EQ(exit_for_code(201), EXIT_OK);
	T_EQ(exit_for_code(202), EXIT_OK);
	T_EQ(exit_for_code(205), EXIT_OK);
	T_EQ(exit_for_code(400), EXIT_REFUSED);
	T_EQ(exit_for_code(404), EXIT_REFUSED);
	T_EQ(exit_for_code(409), EXIT_CONFLICT);
	T_EQ(exit_for_code(422), EXIT_REFUSED);
	T_EQ(exit_for_code(503), EXIT_SERVER);
	T_STREQ(code_text(422), "Unprocessable Entity");
}

int
main(void)
{
	T_RUN(t_mitigation_fig7);
	T_RUN(t_mitigation_all_targets);
	T_RUN(t_mitigation_sources);
	T_RUN(t_efficacy);
	T_RUN(t_config);
	T_RUN(t_heartbeat);
	T_RUN(t_print_get);
	T_RUN(t_print_json);
	T_RUN(t_print_errors);
	T_RUN(t_sanitize);
	T_RUN(t_print_hostile_strings);
	T_RUN(t_exit_codes);
	return t_done();
}
