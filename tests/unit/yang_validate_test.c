/*
 * yang_validate_test.c: yang/validate.c: module loading, the P8 reshaping
 * (schema order whatever the input order: P7 hang), and libyang verdicts
 * on valid and invalid signal bodies. Each test runs with the harness
 * timeout, so a libyang hang fails instead of blocking.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/t.h"
#include "yang/codec.h"

#define SC	"ietf-dots-signal-channel:"

static json_t *
parse(const char *js)
{
	json_error_t	 err;
	json_t		*j = json_loads(js, 0, &err);

	if (j == NULL)
		T_FAIL("bad test JSON: %s: %s", err.text, js);
	return j;
}

static void
valid(const char *js)
{
	json_t	*j = parse(js);
	char	 diag[CODEC_DIAG_LEN] = "";
	int	 r = codec_yang_validate_signal(j, diag, sizeof(diag));

	if (r != 0)
		T_FAIL("%s: %d %s", js, r, diag);
	json_decref(j);
}

static void
invalid(const char *js, const char *want)
{
	json_t	*j = parse(js);
	char	 diag[CODEC_DIAG_LEN] = "";
	int	 r = codec_yang_validate_signal(j, diag, sizeof(diag));

	if (r != -EBADMSG)
		T_FAIL("%s: returned %d, expected -EBADMSG", js, r);
	if (strstr(diag, want) == NULL)
		T_FAIL("%s: diag \"%s\" lacks \"%s\"", js, diag, want);
	json_decref(j);
}

static void
reshaped(const char *js, const char *want)
{
	json_t	*j = parse(js), *out;
	char	 diag[CODEC_DIAG_LEN] = "", *s;

	if (codec_yang_reshape(j, &out, diag, sizeof(diag)) != 0)
		T_FAIL("%s: %s", js, diag);
	s = json_dumps(out, JSON_COMPACT);
	T_STREQ(s, want);
	free(s);
	json_decref(out);
	json_decref(j);
}

static void
t_not_initialized(void)
{
	json_t	*j = parse("{\"" SC "heartbeat\":{\"peer-hb-status\":true}}");
	char	 diag[CODEC_DIAG_LEN];

	codec_yang_fini();
	T_EQ(codec_yang_validate_signal(j, diag, sizeof(diag)), -ENOTCONN);
	T_EQ(codec_yang_reshape(j, &j, diag, sizeof(diag)), -ENOTCONN);
	T_ASSERT(codec_yang_ctx() == NULL);
}

static void
t_init_errors(void)
{
	char	err[CODEC_DIAG_LEN] = "";

	T_ASSERT(codec_yang_init("/nonexistent", err, sizeof(err)) < 0);
	/* the operator is told which setting and what to run */
	T_ASSERT(strstr(err, "yang-dir /nonexistent") != NULL);
	T_ASSERT(strstr(err, "make install") != NULL);
	T_ASSERT(codec_yang_ctx() == NULL);
	/* the build tree's modules, found from this test's own path */
	T_ASSERT(codec_yang_default_dir() != NULL);
	/* and again, after a failure, from the right place */
	T_EQ(codec_yang_init(NULL, err, sizeof(err)), 0);
	T_ASSERT(codec_yang_ctx() != NULL);
}

/* P8 + P7: wrapper dropped, members qualified and in schema order. */
static void
t_reshape(void)
{
	reshaped("{\"" SC "heartbeat\":{\"peer-hb-status\":true}}",
	    "{\"" SC "peer-hb-status\":true}");
	reshaped("{\"" SC "signal-config\":{\"idle-config\":{\"ack-timeout\":"
	    "{\"current-value-decimal\":\"2.00\"},\"heartbeat-interval\":"
	    "{\"current-value\":0}},\"mitigating-config\":{}}}",
	    "{\"" SC "mitigating-config\":{},\"" SC "idle-config\":{"
	    "\"heartbeat-interval\":{\"current-value\":0},\"ack-timeout\":"
	    "{\"current-value-decimal\":\"2.00\"}}}");
	reshaped("{\"" SC "redirected-signal\":{\"alt-server-record\":"
	    "[\"::1\"],\"alt-server\":\"a.example\"}}",
	    "{\"" SC "alt-server\":\"a.example\",\"" SC
	    "alt-server-record\":[\"::1\"]}");
	/* the augment from signal-control keeps its qualification; list
	 * members are reordered too (lifetime after target-prefix) */
	reshaped("{\"" SC "mitigation-scope\":{\"scope\":[{\"lifetime\":1,"
	    "\"ietf-dots-signal-control:acl-list\":[{\"activation-type\":"
	    "\"immediate\",\"acl-name\":\"a\"}],\"mid\":3,"
	    "\"target-prefix\":[\"2001:db8::/32\"]},{\"mid\":4}]}}",
	    "{\"" SC "scope\":[{\"target-prefix\":[\"2001:db8::/32\"],"
	    "\"lifetime\":1,\"mid\":3,\"ietf-dots-signal-control:acl-list\":"
	    "[{\"acl-name\":\"a\",\"activation-type\":\"immediate\"}]},"
	    "{\"mid\":4}]}");
}

/* Inputs in the worst order for libyang 2.1.30 (P7) still validate. */
static void
t_any_order_no_hang(void)
{
	valid("{\"" SC "signal-config\":{\"idle-config\":{\"max-retransmit\":"
	    "{\"current-value\":3}},\"mitigating-config\":{\"probing-rate\":"
	    "{\"current-value\":15},\"heartbeat-interval\":"
	    "{\"current-value\":30}}}}");
	valid("{\"" SC "redirected-signal\":{\"alt-server-record\":"
	    "[\"2001:db8::1\",\"2001:db8::2\"],\"alt-server\":\"a.example\"}}");
	valid("{\"" SC "mitigation-scope\":{\"scope\":[{\"lifetime\":60,"
	    "\"target-protocol\":[6,17],\"target-prefix\":"
	    "[\"198.51.100.0/24\",\"2001:db8::/32\"]},{\"mid\":1,"
	    "\"status\":\"attack-stopped\"},{\"mid\":2}]}}");
}

static void
t_valid_bodies(void)
{
	valid("{\"" SC "mitigation-scope\":{\"scope\":[{\"target-fqdn\":"
	    "[\"www.example.com\"],\"target-uri\":[\"https://example.com/x\"],"
	    "\"target-port-range\":[{\"lower-port\":1,\"upper-port\":1024}],"
	    "\"alias-name\":[\"a1\"],\"lifetime\":-1,"
	    "\"trigger-mitigation\":false}]}}");
	valid("{\"" SC "mitigation-scope\":{\"scope\":[{\"mid\":5,"
	    "\"conflict-information\":{\"conflict-status\":\"request-active\","
	    "\"conflict-cause\":\"conflict-with-acceptlist\",\"conflict-scope\":"
	    "{\"acl-list\":[{\"acl-name\":\"x\",\"acl-type\":"
	    "\"ietf-access-control-list:ipv4-acl-type\"}]}}}]}}");
	valid("{\"" SC "mitigation-scope\":{}}");
}

static void
t_invalid_bodies(void)
{
	invalid("{}", "exactly one");
	invalid("{\"" SC "heartbeat\":{\"peer-hb-status\":true},\"" SC
	    "redirected-signal\":{}}", "exactly one");
	invalid("{\"" SC "bogus\":{}}", "unknown member");
	invalid("{\"heartbeat\":{}}", "unknown member");
	invalid("{\"" SC "heartbeat\":true}", "not an object");
	/* a member of another case */
	invalid("{\"" SC "heartbeat\":{\"scope\":[]}}",
	    "unknown member \"scope\" in heartbeat");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"bogus\":1}]}}",
	    "unknown member \"bogus\" in scope");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[1]}}",
	    "not an object");
	/* RFC 7951 §4: qualified only where the module changes */
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"" SC
	    "mid\":1}]}}", "unknown member \"" SC "mid\"");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"acl-list\":"
	    "[]}]}}", "unknown member \"acl-list\"");
	valid("{\"" SC "mitigation-scope\":{\"" SC "scope\":[{\"mid\":1}]}}");
	/* libyang's verdicts */
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"target-prefix\":"
	    "[\"2001:db8::/129\"]}]}}", "target-prefix");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"lifetime\":-2}]}}",
	    "lifetime");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"status\":"
	    "\"bogus\"}]}}", "status");
	invalid("{\"" SC "heartbeat\":{\"peer-hb-status\":\"yes\"}}",
	    "peer-hb-status");
	invalid("{\"" SC "signal-config\":{\"mitigating-config\":{"
	    "\"ack-timeout\":{\"current-value-decimal\":\"2.001\"}}}}",
	    "current-value-decimal");
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"mid\":5,"
	    "\"conflict-information\":{\"conflict-cause\":"
	    "\"conflict-with-acceptlist\",\"conflict-scope\":{\"acl-list\":"
	    "[{\"acl-name\":\"x\",\"acl-type\":\"no-such-type\"}]}}}]}}",
	    "acl-type");
	/* server-to-client and client-to-server members do not mix */
	invalid("{\"" SC "mitigation-scope\":{\"scope\":[{\"mid\":5,"
	    "\"attack-status\":\"under-attack\"}]}}", "");
}

int
main(void)
{
	char	err[CODEC_DIAG_LEN];

	T_RUN(t_not_initialized);
	T_RUN(t_init_errors);
	if (codec_yang_init(NULL, err, sizeof(err)) != 0) {
		printf("FAIL codec_yang_init: %s\n", err);
		return 1;
	}
	T_RUN(t_reshape);
	T_RUN(t_any_order_no_hang);
	T_RUN(t_valid_bodies);
	T_RUN(t_invalid_bodies);
	codec_yang_fini();
	return t_done();
}
