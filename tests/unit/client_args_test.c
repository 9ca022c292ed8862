/*
 * client_args_test.c: dots-client command line and config file
 * (dots-client/args.c).
 */
#include <errno.h>

#include "dots-client/client.h"
#include "tests/t.h"

#define ARGC(a)	((int)(sizeof(a) / sizeof((a)[0])) - 1)

static int
parse(struct client_opts *o, char **argv, int argc)
{
	char	err[256];
	int	rv;

	opts_init(o);
	err[0] = '\0';
	rv = args_parse(o, argc, argv, err, sizeof(err));
	if (rv < 0)
		printf("  (err: %s)\n", err);
	return rv;
}

static void
t_request_full(void)
{
	char *argv[] = { "dots-client", "-s", "coaps://[2001:db8::1]:4646",
	    "request", "--target", "2001:db8:6401::1/128,198.18.0.1",
	    "--port", "80", "--port", "443,8000-8080", "--protocol", "tcp",
	    "--protocol", "udp,6", "--fqdn", "www.example.com",
	    "--uri", "https://a.example/x,y", "--alias", "web",
	    "--lifetime", "-1", "--preconfigured", "--mid", "42", "--json",
	    NULL };
	struct client_opts o;

	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(o.cmd, CMD_REQUEST);
	T_EQ(o.prefixes.n, 2);
	T_STREQ(o.prefixes.v[0], "2001:db8:6401::1/128");
	T_STREQ(o.prefixes.v[1], "198.18.0.1/32");
	T_EQ(o.nports, 3);
	T_EQ(o.ports[0].lower, 80);
	T_EQ(o.ports[0].upper, 80);
	T_EQ(o.ports[2].lower, 8000);
	T_EQ(o.ports[2].upper, 8080);
	/* tcp given twice (as a name and as 6): one entry */
	T_EQ(o.nprotos, 2);
	T_EQ(o.protos[0], 6);
	T_EQ(o.protos[1], 17);
	T_EQ(o.fqdns.n, 1);
	/* --uri is not split on commas */
	T_EQ(o.uris.n, 1);
	T_STREQ(o.uris.v[0], "https://a.example/x,y");
	T_STREQ(o.aliases.v[0], "web");
	T_EQ(o.lifetime, -1);
	T_EQ(o.preconfigured, 1);
	T_EQ(o.has_mid, 1);
	T_EQ(o.mid, 42);
	T_EQ(o.json, 1);
	T_ASSERT(o.set & SET_SERVER);
	opts_free(&o);
}

static void
t_request_needs_target(void)
{
	char *argv[] = { "dots-client", "request", "--port", "80", NULL };
	struct client_opts o;

	T_EQ(parse(&o, argv, ARGC(argv)), -EINVAL);
	opts_free(&o);
}

/* CLIENT_MAX_PORTS port values fit; one more is refused as too many. */
static void
t_port_limit(void)
{
	char	list[8 * (CLIENT_MAX_PORTS + 1)], err[256], want[64];
	char	*argv[] = { "dots-client", "request", "--target",
	    "198.18.0.1", "--port", list, NULL };
	struct client_opts o;
	size_t	len = 0;
	int	i;

	for (i = 1; i <= CLIENT_MAX_PORTS; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%d",
		    i > 1 ? "," : "", i);
	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(o.nports, CLIENT_MAX_PORTS);
	opts_free(&o);
	snprintf(list + len, sizeof(list) - len, ",%d", i);
	opts_init(&o);
	T_EQ(args_parse(&o, ARGC(argv), argv, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "too many --port values (at most %d)",
	    CLIENT_MAX_PORTS);
	T_STREQ(err, want);
	opts_free(&o);
}

static void
t_bad_values(void)
{
	static char *cases[][3] = {
		{ "request", "--target", "2001:db8::1/129" },
		{ "request", "--target", "198.18.0.0/33" },
		{ "request", "--target", "not-an-address" },
		{ "request", "--target", "" },
		{ "request", "--target", "198.18.0.1,,198.18.0.2" },
		{ "request", "--fqdn", "a.example," },
		{ "request", "--port", "80-70" },
		{ "request", "--port", "65536" },
		{ "request", "--port", "80,80" },
		{ "request", "--protocol", "256" },
		{ "request", "--protocol", "bogus" },
		{ "request", "--lifetime", "0" },
		{ "request", "--lifetime", "-2" },
		{ "request", "--mid", "4294967296" },
		{ "request", "--mid", "12x" },
	};
	char *eff[] = { "dots-client", "efficacy", "--mid", "1",
	    "--attack-status", "maybe", NULL };
	struct client_opts o;
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { "dots-client", cases[i][0],
		    "--target", "198.18.0.1", cases[i][1],
		    cases[i][2], "--mid", "1", NULL };

		if (parse(&o, argv, ARGC(argv)) != -EINVAL)
			T_FAIL("accepted %s %s", cases[i][1], cases[i][2]);
		opts_free(&o);
	}
	T_EQ(parse(&o, eff, ARGC(eff)), -EINVAL);
	opts_free(&o);
}

static void
t_option_belongs_to_command(void)
{
	char *argv[] = { "dots-client", "withdraw", "--mid", "3", "--port",
	    "80", NULL };
	char *argv2[] = { "dots-client", "get", "--sid", "3", NULL };
	struct client_opts o;

	T_EQ(parse(&o, argv, ARGC(argv)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, argv2, ARGC(argv2)), -EINVAL);
	opts_free(&o);
}

static void
t_required_mid(void)
{
	char *w[] = { "dots-client", "withdraw", NULL };
	char *e[] = { "dots-client", "efficacy", "--attack-status",
	    "under-attack", NULL };
	char *e2[] = { "dots-client", "efficacy", "--mid", "7",
	    "--attack-status", "mitigated", NULL };
	struct client_opts o;

	T_EQ(parse(&o, w, ARGC(w)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, e, ARGC(e)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, e2, ARGC(e2)), 0);
	T_EQ(o.cmd, CMD_EFFICACY);
	T_EQ(o.attack_status, 2);
	opts_free(&o);
}

static void
t_commands(void)
{
	static struct {
		char	*w1, *w2;
		int	 cmd;
	} ok[] = {
		{ "get", NULL, CMD_GET },
		{ "observe", NULL, CMD_OBSERVE },
		{ "heartbeat", NULL, CMD_HEARTBEAT },
		{ "config", "get", CMD_CONFIG_GET },
		{ "config", "delete", CMD_CONFIG_DELETE },
	};
	char *bad1[] = { "dots-client", "config", NULL };
	char *bad2[] = { "dots-client", "config", "frob", NULL };
	char *bad3[] = { "dots-client", "get", "extra", NULL };
	char *bad4[] = { "dots-client", "mitigate", NULL };
	char *bad5[] = { "dots-client", NULL };
	struct client_opts o;
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *argv[] = { "dots-client", ok[i].w1,
		    ok[i].w2, NULL };

		T_EQ(parse(&o, argv, ok[i].w2 ? 3 : 2), 0);
		T_EQ(o.cmd, ok[i].cmd);
		opts_free(&o);
	}
	T_EQ(parse(&o, bad1, ARGC(bad1)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, bad2, ARGC(bad2)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, bad3, ARGC(bad3)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, bad4, ARGC(bad4)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, bad5, ARGC(bad5)), -EINVAL);
	opts_free(&o);
}

static void
t_config_set(void)
{
	char *argv[] = { "dots-client", "config", "set", "--sid", "123",
	    "--heartbeat-interval", "60", "--ack-timeout", "2.5",
	    "--ack-random-factor", "1.25", "--idle", NULL };
	char *none[] = { "dots-client", "config", "set", NULL };
	char *both[] = { "dots-client", "config", "set", "--max-retransmit",
	    "3", "--idle", "--mitigating", NULL };
	char *probe[] = { "dots-client", "config", "set", "--probing-rate",
	    "10", "--idle", NULL };
	struct client_opts o;

	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(o.cmd, CMD_CONFIG_SET);
	T_EQ(o.sid, 123);
	T_EQ(o.hb_interval, 60);
	T_EQ(o.ack_timeout, 250);
	T_EQ(o.ack_random, 125);
	T_EQ(o.cfg_which, CFG_IDLE);
	T_EQ(o.cfg_set, CFG_HB_INTERVAL | CFG_ACK_TIMEOUT | CFG_ACK_RANDOM);
	opts_free(&o);
	T_EQ(parse(&o, none, ARGC(none)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, both, ARGC(both)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, probe, ARGC(probe)), -EINVAL);
	opts_free(&o);
}

static void
t_helpers(void)
{
	struct server_uri	su;
	uint32_t		d;
	uint8_t			key[8];
	size_t			len;
	char			buf[64];

	T_EQ(server_uri_parse("coaps://[2001:db8::1]:4647", &su), 0);
	T_STREQ(su.host, "2001:db8::1");
	T_EQ(su.port, 4647);
	T_EQ(su.tcp, 0);
	T_EQ(server_uri_parse("coaps+tcp://dots.example.net", &su), 0);
	T_STREQ(su.host, "dots.example.net");
	T_EQ(su.port, DOTS_PORT);
	T_EQ(su.tcp, 1);
	T_EQ(server_uri_parse("coaps://127.0.0.1/", &su), 0);
	T_EQ(su.port, DOTS_PORT);
	T_EQ(server_uri_parse("coap://127.0.0.1", &su), -EINVAL);
	T_EQ(server_uri_parse("coaps://127.0.0.1:0", &su), -EINVAL);
	T_EQ(server_uri_parse("coaps://127.0.0.1:70000", &su), -EINVAL);
	T_EQ(server_uri_parse("coaps://[::1", &su), -EINVAL);
	T_EQ(server_uri_parse("coaps://", &su), -EINVAL);
	T_EQ(server_uri_parse("coaps://h/path", &su), -EINVAL);

	T_EQ(decimal2_parse("2", &d), 0);
	T_EQ(d, 200);
	T_EQ(decimal2_parse("1.5", &d), 0);
	T_EQ(d, 150);
	T_EQ(decimal2_parse("30.00", &d), 0);
	T_EQ(d, 3000);
	T_EQ(decimal2_parse("1.555", &d), -EINVAL);
	T_EQ(decimal2_parse("1.", &d), -EINVAL);
	T_EQ(decimal2_parse("-1", &d), -EINVAL);

	T_EQ(hex_parse("00fFa1", key, sizeof(key), &len), 0);
	T_EQ(len, 3);
	T_EQ(key[1], 0xff);
	T_EQ(hex_parse("abc", key, sizeof(key), &len), -EINVAL);
	T_EQ(hex_parse("zz", key, sizeof(key), &len), -EINVAL);
	T_EQ(hex_parse("000000000000000000", key, sizeof(key), &len),
	    -EINVAL);

	T_EQ(prefix_check("2001:db8::/32", buf, sizeof(buf)), 0);
	T_STREQ(buf, "2001:db8::/32");
	T_EQ(prefix_check("198.18.0.0/15", buf, sizeof(buf)), 0);
	T_STREQ(buf, "198.18.0.0/15");
	T_EQ(prefix_check("198.18.0.0/", buf, sizeof(buf)), -EINVAL);
}

static char *
write_conf(const char *text)
{
	static char	path[] = "/tmp/client_args_test.XXXXXX";
	int		fd;

	if ((fd = mkstemp(path)) < 0)
		T_FAIL("mkstemp");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		T_FAIL("write");
	close(fd);
	return path;
}

/* The command line wins over the file; the file fills in the rest. */
static void
t_config_file(void)
{
	char *argv[] = { "dots-client", "--server", "coaps://[::1]:9999",
	    "get", NULL };
	struct client_opts	o;
	struct server_uri	su;
	char			err[256];
	char			*path;

	path = write_conf("# dots-client.conf\n"
	    "server coaps://dots.example.net\n"
	    "  psk-identity   client-1  # trailing comment\n"
	    "psk-key 0011223344556677\n"
	    "timeout 2.5\n\n");
	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(conf_load(&o, path, err, sizeof(err)), 0);
	unlink(path);
	T_STREQ(o.server, "coaps://[::1]:9999");
	T_STREQ(o.psk_identity, "client-1");
	T_EQ(o.psk_key_len, 8);
	T_EQ(o.psk_key[7], 0x77);
	T_ASSERT(o.timeout > 2.49 && o.timeout < 2.51);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), 0);
	T_EQ(su.port, 9999);
	opts_free(&o);
}

static void
t_config_file_errors(void)
{
	static const char *const bad[] = {
		"frobnicate yes\n",
		"server\n",
		"psk-key nothex\n",
		"timeout -1\n",
	};
	char *argv[] = { "dots-client", "get", NULL };
	struct client_opts	o;
	char			err[256], *path;
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_conf(bad[i]);
		T_EQ(parse(&o, argv, ARGC(argv)), 0);
		T_EQ(conf_load(&o, path, err, sizeof(err)), -EINVAL);
		unlink(path);
		/* the diagnostic names the line */
		T_ASSERT(strstr(err, ":1:") != NULL);
		opts_free(&o);
		strcpy(path + strlen(path) - 6, "XXXXXX");
	}
	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(conf_load(&o, "/nonexistent/dots-client.conf", err,
	    sizeof(err)), -ENOENT);
	opts_free(&o);
}

static void
t_credentials(void)
{
	char *cert_only[] = { "dots-client", "-s", "coaps://h", "--cert",
	    "c.pem", "get", NULL };
	char *no_ca[] = { "dots-client", "-s", "coaps://h", "--cert",
	    "c.pem", "--key", "k.pem", "get", NULL };
	char *both[] = { "dots-client", "-s", "coaps://h", "--cert",
	    "c.pem", "--key", "k.pem", "--ca", "ca.pem", "--psk-identity",
	    "x", "--psk-key", "00", "get", NULL };
	char *none[] = { "dots-client", "-s", "coaps://h", "get", NULL };
	char *pki[] = { "dots-client", "-s", "coaps://h", "--cert",
	    "c.pem", "--key", "k.pem", "--ca", "ca.pem", "get", NULL };
	struct client_opts	o;
	struct server_uri	su;
	char			err[256];

	T_EQ(parse(&o, cert_only, ARGC(cert_only)), 0);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, no_ca, ARGC(no_ca)), 0);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, both, ARGC(both)), 0);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, none, ARGC(none)), 0);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), -EINVAL);
	opts_free(&o);
	T_EQ(parse(&o, pki, ARGC(pki)), 0);
	T_EQ(opts_finish(&o, &su, err, sizeof(err)), 0);
	opts_free(&o);
}

static void
t_help(void)
{
	char *argv[] = { "dots-client", "--help", NULL };
	struct client_opts o;

	T_EQ(parse(&o, argv, ARGC(argv)), 0);
	T_EQ(o.cmd, CMD_NONE);
	opts_free(&o);
}

int
main(void)
{
	T_RUN(t_request_full);
	T_RUN(t_request_needs_target);
	T_RUN(t_bad_values);
	T_RUN(t_port_limit);
	T_RUN(t_option_belongs_to_command);
	T_RUN(t_required_mid);
	T_RUN(t_commands);
	T_RUN(t_config_set);
	T_RUN(t_helpers);
	T_RUN(t_config_file);
	T_RUN(t_config_file_errors);
	T_RUN(t_credentials);
	T_RUN(t_help);
	return t_done();
}
