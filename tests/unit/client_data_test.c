/*
 * client_data_test.c: dots-client/data.c and data_body.c: the arguments
 * of "dots-client data" and the RFC 8783 request each builds (method,
 * RESTCONF target, JSON body), with no server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/client.h"
#include "dots-client/data.h"
#include "tests/t.h"

#define CONN	"-s", "https://dotsd.example:4443", "--cert", "c.pem", \
		"--key", "c.key", "--ca", "ca.pem"

struct built {
	const char	*method;
	char		 path[512];
	char		*body;		/* compact JSON, sorted keys */
	char		 err[256];
	int		 rc;
};

/* Parses argv (NULL-terminated, after "data") and builds the request. */
static struct built
build(char **argv)
{
	struct data_opts o;
	struct built	 b;
	json_t		*body = NULL;
	int		 argc = 0;

	memset(&b, 0, sizeof(b));
	while (argv[argc] != NULL)
		argc++;
	if ((b.rc = data_args(&o, argc, argv, b.err, sizeof(b.err))) < 0)
		return b;
	b.rc = data_request(&o, "cu/id", &b.method, b.path, sizeof(b.path),
	    &body, b.err, sizeof(b.err));
	if (body != NULL)
		b.body = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	return b;
}

#define BUILD(...) build((char *[]){ "data", __VA_ARGS__, NULL })

static void
t_register(void)
{
	struct built b = BUILD(CONN, "register", "--cdid", "gw1");

	T_EQ(b.rc, 0);
	T_STREQ(b.method, "POST");
	T_STREQ(b.path, "");
	T_STREQ(b.body, "{\"ietf-dots-data-channel:dots-client\":[{\"cdid\":"
	    "\"gw1\",\"cuid\":\"cu/id\"}]}");
	free(b.body);
	b = BUILD(CONN, "unregister");
	T_STREQ(b.method, "DELETE");
	T_STREQ(b.path, "/dots-client=cu%2Fid");	/* RFC 8040 §3.5.3 */
	T_ASSERT(b.body == NULL);
	b = BUILD(CONN, "capabilities");
	T_STREQ(b.method, "GET");
	T_STREQ(b.path, "/capabilities");
}

static void
t_alias(void)
{
	struct built b = BUILD(CONN, "alias", "put", "www", "--target",
	    "198.18.7.0/24", "--port", "443", "--port", "8000-8080",
	    "--protocol", "tcp", "--protocol", "17", "--uri",
	    "https://x.example/");

	T_EQ(b.rc, 0);
	T_STREQ(b.method, "PUT");
	T_STREQ(b.path, "/dots-client=cu%2Fid/aliases/alias=www");
	T_STREQ(b.body, "{\"ietf-dots-data-channel:alias\":[{\"name\":\"www\","
	    "\"target-port-range\":[{\"lower-port\":443},{\"lower-port\":8000,"
	    "\"upper-port\":8080}],\"target-prefix\":[\"198.18.7.0/24\"],"
	    "\"target-protocol\":[6,17],\"target-uri\":"
	    "[\"https://x.example/\"]}]}");
	free(b.body);
	b = BUILD(CONN, "alias", "get");
	T_STREQ(b.method, "GET");
	T_STREQ(b.path, "/dots-client=cu%2Fid/aliases");
	b = BUILD(CONN, "alias", "delete", "a b");
	T_STREQ(b.method, "DELETE");
	T_STREQ(b.path, "/dots-client=cu%2Fid/aliases/alias=a%20b");
	b = BUILD(CONN, "alias", "put", "x", "--port", "9-8", "--target",
	    "198.18.0.0/24");
	T_EQ(b.rc, -1);
	T_ASSERT(strstr(b.err, "bad port") != NULL);
	b = BUILD(CONN, "alias", "put", "x");
	T_EQ(b.rc, -1);
}

static void
t_acl(void)
{
	struct built b = BUILD(CONN, "acl", "put", "dl", "--destination",
	    "2001:db8::1/128", "--source", "2001:db8:1::/48", "--source",
	    "2001:db8:2::/48", "--protocol", "udp", "--destination-port",
	    "53", "--source-port", "1024-2047", "--activation", "immediate",
	    "--ace", "x");

	T_EQ(b.rc, 0);
	T_STREQ(b.method, "PUT");
	T_STREQ(b.path, "/dots-client=cu%2Fid/acls/acl=dl");
	T_STREQ(b.body, "{\"ietf-dots-data-channel:acl\":[{\"aces\":{\"ace\":["
	    "{\"actions\":{\"forwarding\":\"drop\"},\"matches\":{\"ipv6\":{"
	    "\"destination-ipv6-network\":\"2001:db8::1/128\",\"protocol\":17,"
	    "\"source-ipv6-network\":\"2001:db8:1::/48\"},\"udp\":{"
	    "\"destination-port-range-or-operator\":{\"operator\":\"eq\","
	    "\"port\":53},\"source-port-range-or-operator\":{\"lower-port\":"
	    "1024,\"upper-port\":2047}}},\"name\":\"x1\"},"
	    "{\"actions\":{\"forwarding\":\"drop\"},\"matches\":{\"ipv6\":{"
	    "\"destination-ipv6-network\":\"2001:db8::1/128\",\"protocol\":17,"
	    "\"source-ipv6-network\":\"2001:db8:2::/48\"},\"udp\":{"
	    "\"destination-port-range-or-operator\":{\"operator\":\"eq\","
	    "\"port\":53},\"source-port-range-or-operator\":{\"lower-port\":"
	    "1024,\"upper-port\":2047}}},\"name\":\"x2\"}]},"
	    "\"activation-type\":\"immediate\",\"name\":\"dl\"}]}");
	free(b.body);
	b = BUILD(CONN, "acl", "put", "rl", "--destination", "198.18.0.0/24",
	    "--action", "rate-limit", "--rate", "1500.5");
	T_EQ(b.rc, 0);
	T_ASSERT(strstr(b.body, "\"actions\":{\"forwarding\":\"accept\","
	    "\"rate-limit\":\"1500.50\"}") != NULL);
	free(b.body);
	b = BUILD(CONN, "acl", "put", "m", "--destination", "198.18.0.1/32",
	    "--source", "2001:db8::/32");
	T_EQ(b.rc, -1);
	T_ASSERT(strstr(b.err, "mixed") != NULL);
	b = BUILD(CONN, "acl", "put", "m", "--destination", "198.18.0.1/32",
	    "--rate", "5");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "acl", "put", "m", "--destination", "198.18.0.1/32",
	    "--action", "reject");
	T_EQ(b.rc, -1);
	T_ASSERT(strstr(b.err, "bad action") != NULL);
	b = BUILD(CONN, "acl", "put", "--file", "/nonexistent.json");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "acl", "get", "dl");
	T_STREQ(b.method, "GET");
	T_STREQ(b.path, "/dots-client=cu%2Fid/acls/acl=dl");
}

static void
t_usage(void)
{
	struct built b = BUILD("register");

	T_EQ(b.rc, -1);
	T_ASSERT(strstr(b.err, "https") != NULL);
	b = BUILD(CONN, "-s", "coaps://x", "register");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "acl", "delete");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "acl", "frobnicate");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "register", "extra");
	T_EQ(b.rc, -1);
	b = BUILD(CONN, "--bogus", "register");
	T_EQ(b.rc, -1);
	T_EQ(data_exit(201), EXIT_OK);
	T_EQ(data_exit(409), EXIT_CONFLICT);
	T_EQ(data_exit(404), EXIT_REFUSED);
	T_EQ(data_exit(503), EXIT_SERVER);
}

int
main(void)
{
	T_RUN(t_register);
	T_RUN(t_alias);
	T_RUN(t_acl);
	T_RUN(t_usage);
	return t_done();
}
