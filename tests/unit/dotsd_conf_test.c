/*
 * dotsd_conf_test.c: dotsd/conf.c and dotsd/printconf.c: defaults, every
 * statement, one error per class of mistake with its file:line, includes,
 * opaque blocks, and print -> parse -> print stability.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dotsd/conf.h"
#include "tests/t.h"

static char	tmpdir[] = "/tmp/dotsd-conf-test.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		T_FAIL("cannot write %s", path);
}

/* Parses text as tmpdir/t.conf; the error, if any, lands in err. */
static int
parse_text(const char *text, struct dotsd_conf **c, char *err, size_t len)
{
	char	path[256];

	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	write_file(path, text);
	return conf_parse(path, c, err, len);
}

#define CERTS	"certificate \"/etc/dotsd/server.pem\"\nkey /etc/dotsd/key.pem\n"

static void
t_keywords_sorted(void)
{
	T_ASSERT(conf_keyword_unsorted() == NULL);
}

static void
t_defaults(void)
{
	struct dotsd_conf *c;
	char	err[256];

	T_EQ(parse_text(CERTS, &c, err, sizeof(err)), 0);
	/* :: is bound dual-stack: it takes IPv4 as well */
	T_EQ(c->nlisten, 2);
	T_EQ(c->listen[0].proto, LISTEN_DTLS);
	T_STREQ(c->listen[0].addr, "::");
	T_EQ(c->listen[0].port, 4646);
	T_EQ(c->listen[1].proto, LISTEN_TLS);
	T_STREQ(c->listen[1].addr, "::");
	T_EQ(c->listen[1].port, 4646);
	T_EQ(c->psk, 0);
	T_STREQ(c->db, "/var/lib/dotsd/dotsd.db");
	T_STREQ(c->control, "/run/dotsd.sock");
	T_STREQ(c->cert, "/etc/dotsd/server.pem");
	T_STREQ(c->key, "/etc/dotsd/key.pem");
	T_EQ(c->default_lifetime, 3600);
	T_EQ(c->abt_period, 120);
	T_EQ(c->metrics_addr[0], 0);
	/* RFC 9132 Appendix C */
	T_EQ(c->idle.hb_interval.min, 15);
	T_EQ(c->idle.hb_interval.max, 240);
	T_EQ(c->idle.hb_interval.cur, 30);
	T_EQ(c->idle.missing_hb.cur, 15);
	T_EQ(c->idle.probing_rate.cur, 5);
	T_EQ(c->idle.max_retransmit.cur, 3);
	T_EQ(c->idle.ack_timeout.min, 100);
	T_EQ(c->idle.ack_timeout.max, 3000);
	T_EQ(c->idle.ack_timeout.cur, 200);
	T_EQ(c->idle.ack_random_factor.cur, 150);
	T_MEMEQ(&c->idle, &c->mitigating, sizeof(c->idle));
	T_EQ(c->nclients, 0);
	T_EQ(c->nkv, 0);
	conf_free(c);
}

static const char full[] =
    "# a comment\n"
    "listen on 198.18.0.1 port 5000 dtls\n"
    "listen on 2001:DB8::1 tls   # normalized to lower case\n"
    "listen on 198.18.0.2\n"
    "certificate \"/etc/dotsd/server.pem\"; key /etc/dotsd/key.pem\n"
    "ca /etc/dotsd/ca.pem\n"
    "psk yes\n"
    "database /tmp/x.db\n"
    "control /tmp/x.sock\n"
    "yang-dir /usr/share/dotsd/yang\n"
    "metrics listen 127.0.0.1 port 9646\n"
    "resolver 198.18.0.53\n"
    "resolver [2001:db8::53]:5353\n"
    "resolver 198.18.0.54:5300\n"
    "lifetime default 600 max 7200\n"
    "active-but-terminating 300\n"
    "max-sessions 10\n"
    "session mitigating {\n"
    "\theartbeat-interval 0..60 default 10\n"
    "\tack-timeout 1..4.5 default 2.25\n"
    "}\n"
    "client \"acme\" {\n"
    "\tidentity spki-sha256 AB:cd:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:"
    "ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd\n"
    "\tprefix 198.18.0.0/24 2001:db8:1::/48\n"
    "\tprefix 198.18.9.9\n"
    "\tmax-mitigations 5\n"
    "\tmax-lifetime 3600\n"
    "\tindefinite-lifetime yes\n"
    "\tmin-prefix-len4 24\n"
    "\tmin-prefix-len6 56\n"
    "\tgateway yes\n"
    "\tmitigate-with xdp flowspec rtbh\n"
    "\tpin-level flowspec\n"
    "\tmax-rules 100\n"
    "}\n"
    "client cpe { identity psk \"cpe-1\" key 0102030405060708; "
    "prefix 198.19.0.0/16 }\n"
    "client web { identity san-dns \"Web.Example\"; prefix 198.18.1.0/24 }\n"
    "client ops { identity cn \"ops client\"; prefix 198.18.2.0/24 }\n"
    "xdp {\n"
    "\tinterface veth0   native\n"
    "\tdescr \"a b\" c\n"
    "}\n"
    "bgp { neighbor 198.18.0.9 remote-as 65001 }\n"
    "mitigation {\n"
    "\tescalate-after 30\n"
    "}\n";

static void
t_full(void)
{
	struct dotsd_conf *c;
	const struct client_conf *cl;
	char	err[256], s[64];

	if (parse_text(full, &c, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	T_EQ(c->nlisten, 4);
	T_STREQ(c->listen[0].addr, "198.18.0.1");
	T_EQ(c->listen[0].port, 5000);
	T_EQ(c->listen[0].line, 2);
	T_STREQ(c->listen[1].addr, "2001:db8::1");
	T_EQ(c->listen[1].proto, LISTEN_TLS);
	T_EQ(c->listen[1].port, 4646);
	/* no protocol: both */
	T_EQ(c->listen[2].proto, LISTEN_DTLS);
	T_EQ(c->listen[3].proto, LISTEN_TLS);
	T_STREQ(c->ca, "/etc/dotsd/ca.pem");
	T_EQ(c->psk, 1);
	T_STREQ(c->db, "/tmp/x.db");
	T_STREQ(c->control, "/tmp/x.sock");
	T_STREQ(c->yang_dir, "/usr/share/dotsd/yang");
	T_STREQ(c->metrics_addr, "127.0.0.1");
	T_EQ(c->metrics_port, 9646);
	T_STREQ(c->resolver,
	    "198.18.0.53:53,[2001:db8::53]:5353,198.18.0.54:5300");
	T_EQ(c->default_lifetime, 600);
	T_EQ(c->max_lifetime, 7200);
	T_EQ(c->abt_period, 300);
	T_EQ(c->max_sessions, 10);
	T_EQ(c->mitigating.hb_interval.min, 0);
	T_EQ(c->mitigating.hb_interval.max, 60);
	T_EQ(c->mitigating.hb_interval.cur, 10);
	T_EQ(c->mitigating.ack_timeout.min, 100);
	T_EQ(c->mitigating.ack_timeout.max, 450);
	T_EQ(c->mitigating.ack_timeout.cur, 225);
	T_EQ(c->idle.hb_interval.cur, 30);

	T_EQ(c->nclients, 4);
	cl = &c->clients[0];
	T_STREQ(cl->name, "acme");
	T_EQ(cl->id_kind, ID_SPKI_SHA256);
	T_STREQ(cl->id_value, "abcd00112233445566778899aabbccddeeff001122334455"
	    "66778899aabbccdd");
	T_EQ(cl->nprefixes, 3);
	prefix_format(&cl->prefixes[1], s, sizeof(s));
	T_STREQ(s, "2001:db8:1::/48");
	prefix_format(&cl->prefixes[2], s, sizeof(s));
	T_STREQ(s, "198.18.9.9/32");
	T_EQ(cl->max_mitigations, 5);
	T_EQ(cl->max_lifetime, 3600);
	T_EQ(cl->allow_indefinite, 1);
	T_EQ(cl->min_len4, 24);
	T_EQ(cl->min_len6, 56);
	T_EQ(cl->gateway, 1);
	T_EQ(cl->policy.backends,
	    MIT_WHERE_XDP | MIT_WHERE_FLOWSPEC | MIT_WHERE_RTBH);
	T_EQ(cl->policy.pin_level, MIT_LEVEL_FLOWSPEC);
	T_EQ(cl->policy.max_rules, 100);
	T_EQ(cl->policy.min_len4, 24);
	T_EQ(cl->policy.min_len6, 56);
	T_EQ(cl->line, 22);

	cl = &c->clients[1];
	T_STREQ(cl->name, "cpe");
	T_EQ(cl->id_kind, ID_PSK);
	T_STREQ(cl->id_value, "cpe-1");
	T_EQ(cl->psk_len, 8);
	T_EQ(cl->psk_key[7], 8);
	/* defaults of a client */
	T_EQ(cl->max_lifetime, 7200);
	T_EQ(cl->max_mitigations, 64);
	T_EQ(cl->allow_indefinite, 0);
	T_EQ(cl->policy.backends, MIT_WHERE_XDP);
	T_EQ(cl->policy.pin_level, -1);
	T_EQ(c->clients[2].id_kind, ID_SAN_DNS);
	T_STREQ(c->clients[2].id_value, "Web.Example");
	T_EQ(c->clients[3].id_kind, ID_SUBJECT_CN);
	T_STREQ(c->clients[3].id_value, "ops client");

	T_EQ(c->nkv, 4);
	T_STREQ(c->kv[0].section, "xdp");
	T_STREQ(c->kv[0].key, "interface");
	T_STREQ(c->kv[0].value, "veth0 native");
	T_STREQ(c->kv[1].value, "\"a b\" c");
	T_STREQ(c->kv[2].section, "bgp");
	T_STREQ(c->kv[2].key, "neighbor");
	T_STREQ(c->kv[2].value, "198.18.0.9 remote-as 65001");
	T_STREQ(c->kv[3].section, "mitigation");
	T_STREQ(c->kv[3].key, "escalate-after");
	T_STREQ(c->kv[3].value, "30");
	T_EQ(c->kv[3].line, 45);
	conf_free(c);
}

static char *
print_str(const struct dotsd_conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	T_ASSERT(f != NULL);
	conf_print(f, c);
	T_ASSERT(fclose(f) == 0);
	return buf;
}

/* print(parse(x)) parses to a configuration that prints the same. */
static void
t_print_stable(void)
{
	struct dotsd_conf *c1, *c2;
	char	 err[256], *p1, *p2;
	int	 i;

	if (parse_text(full, &c1, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	p1 = print_str(c1);
	if (parse_text(p1, &c2, err, sizeof(err)) != 0)
		T_FAIL("reparse: %s\n%s", err, p1);
	p2 = print_str(c2);
	T_STREQ(p2, p1);
	T_ASSERT(strstr(p1, "\tack-timeout 1.00..4.50 default 2.25\n"));
	T_ASSERT(strstr(p1, "resolver [2001:db8::53]:5353\n"));
	T_ASSERT(strstr(p1, "\tidentity psk \"cpe-1\" key 0102030405060708\n"));
	T_ASSERT(strstr(p1, "\nbgp {\n\tneighbor 198.18.0.9 remote-as 65001\n}"));
	T_EQ(c2->nkv, c1->nkv);
	T_EQ(c2->nclients, c1->nclients);
	for (i = 0; i < c1->nclients; i++) {
		/* the same apart from where they were written */
		c1->clients[i].line = c2->clients[i].line = 0;
		T_MEMEQ(&c2->clients[i], &c1->clients[i],
		    sizeof(c1->clients[i]));
	}
	free(p1);
	free(p2);
	conf_free(c1);
	conf_free(c2);
}

static void
t_include(void)
{
	struct dotsd_conf *c;
	char	 err[256], path[300], text[512];

	snprintf(path, sizeof(path), "%s/clients.conf", tmpdir);
	write_file(path, "client a { identity cn a; prefix 198.18.0.0/24 }\n");
	snprintf(text, sizeof(text), CERTS "ca /ca.pem\n"
	    "include \"clients.conf\"\n");
	if (parse_text(text, &c, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	T_EQ(c->nclients, 1);
	T_STREQ(c->clients[0].name, "a");
	conf_free(c);

	/* an error inside the included file names that file */
	write_file(path, "\nclient a { identity cn a; prefix 198.18.0.1/24 }\n");
	T_EQ(parse_text(text, &c, err, sizeof(err)), -EINVAL);
	T_ASSERT(c == NULL);
	snprintf(text, sizeof(text), "%s:2: host bits set in prefix "
	    "\"198.18.0.1/24\"", path);
	T_STREQ(err, text);

	/* a missing include is reported at the include line */
	snprintf(text, sizeof(text), CERTS "include nonexistent.conf\n");
	T_EQ(parse_text(text, &c, err, sizeof(err)), -EINVAL);
	T_ASSERT(strstr(err, "t.conf:3: include \"") != NULL);
	T_ASSERT(strstr(err, "No such file") != NULL);
}

/* Each mistake and the message it must produce (after "t.conf:"). */
static const struct {
	const char	*text;
	const char	*err;
} bad[] = {
	{ CERTS "frobnicate 1\n", "3: unknown keyword \"frobnicate\"" },
	{ CERTS "\"listen\" on ::\n", "3: unknown keyword \"listen\"" },
	{ CERTS "prefix 198.18.0.0/24\n",
	    "3: \"prefix\" is not valid at top level" },
	{ CERTS "listen on 198.18.0.300\n",
	    "3: bad listen address \"198.18.0.300\"" },
	{ CERTS "listen on :: port 0\n", "3: bad port \"0\"" },
	{ CERTS "listen on :: dtls tls\n",
	    "3: usage: listen on ADDR [port N] [dtls|tls]" },
	{ CERTS "listen on ::\nlisten on :: port 4646 tls\n",
	    "4: duplicate listener :: port 4646 tls" },
	{ CERTS "listen on :: tls\nlisten on 0.0.0.0 port 4646\n",
	    "4: tls on :: and 0.0.0.0 port 4646: \"::\" takes IPv4 as well, "
	    "listen on one of them" },
	{ CERTS "psk maybe\n", "3: usage: psk yes|no" },
	{ CERTS "active-but-terminating 301\n",
	    "3: active-but-terminating: \"301\" is not a number in 0..300" },
	{ CERTS "lifetime max 100\n",
	    "3: default lifetime 3600 exceeds max 100" },
	{ CERTS "lifetime forever\n", "3: usage: lifetime [default N] [max N]" },
	{ CERTS "metrics listen 127.0.0.1\n",
	    "3: usage: metrics listen ADDR port N" },
	{ CERTS "resolver 198.18.0.1:99999\n",
	    "3: bad resolver port in \"198.18.0.1:99999\"" },
	{ CERTS "resolver dns.example\n",
	    "3: bad resolver address \"dns.example\"" },
	{ CERTS "session idle {\n heartbeat-interval 60..30 default 40\n}\n",
	    "4: heartbeat-interval: min 60 > max" },
	{ CERTS "session idle {\n missing-hb-allowed 3..20 default 21\n}\n",
	    "4: missing-hb-allowed: default 21 outside 3..20" },
	{ CERTS "session idle {\n ack-timeout 1.001..2 default 2\n}\n",
	    "4: ack-timeout: bad number (decimal with at most 2 digits)" },
	{ CERTS "session idle {\n ack-random-factor 0.5..2 default 1\n}\n",
	    "4: ack-random-factor: must be at least 1.00" },
	{ CERTS "session idle {\n max-retransmit 2..15\n}\n",
	    "4: usage: max-retransmit MIN..MAX default CUR" },
	{ CERTS "session busy {\n}\n",
	    "3: usage: session idle|mitigating { ... }" },
	{ CERTS "session idle {\n prefix 198.18.0.0/24\n}\n",
	    "4: \"prefix\" is not valid in a session block" },
	{ CERTS "client a { identity cn a; prefix 198.18.0.1/24 }\n",
	    "3: host bits set in prefix \"198.18.0.1/24\"" },
	{ CERTS "client a { identity cn a; prefix 198.18.0.0/33 }\n",
	    "3: bad prefix \"198.18.0.0/33\"" },
	{ CERTS "client a {\n identity cn a\n prefix 2001:db8::/32 "
	    "2001:db8::/32\n}\n",
	    "5: duplicate prefix \"2001:db8::/32\"" },
	{ CERTS "ca /ca\nclient a { identity cn a; prefix 198.18.0.0/24 }\n"
	    "client a { identity cn b; prefix 198.18.0.0/24 }\n",
	    "5: duplicate client \"a\" (first at line 4)" },
	{ CERTS "ca /ca\nclient a { identity cn x; prefix 198.18.0.0/24 }\n"
	    "client b { identity cn x; prefix 198.18.0.0/24 }\n",
	    "5: client \"b\": same identity as client \"a\"" },
	{ CERTS "client a { identity san-dns A.example; prefix ::/0 }\n"
	    "ca /ca\nclient b { identity san-dns a.EXAMPLE; prefix ::/0 }\n",
	    "5: client \"b\": same identity as client \"a\"" },
	{ CERTS "client a { identity cn x; identity cn y }\n",
	    "3: client \"a\": more than one identity" },
	{ CERTS "client a { prefix 198.18.0.0/24 }\n",
	    "3: client \"a\": no identity" },
	{ CERTS "client a { identity spki-sha256 abcd; prefix ::/0 }\n",
	    "3: spki-sha256 needs 32 bytes of hex" },
	{ CERTS "client a { identity psk a key 0102 ; prefix ::/0 }\n",
	    "3: client \"a\": psk identity but \"psk yes\" is not set" },
	{ CERTS "psk yes\nclient a { identity psk a key 01x2 ; prefix ::/0 }\n",
	    "4: psk key: 1 to 64 bytes of hex" },
	{ CERTS "client a {\n identity psk a\n}\n", "4: usage: identity "
	    "spki-sha256 HEX | cn \"X\" | san-dns \"X\" | psk \"ID\" key HEX" },
	{ CERTS "ca /c\nclient a { identity cn a }\n",
	    "4: client \"a\": no prefix" },
	{ CERTS "ca /c\nclient a { identity cn a; prefix ::/0; "
	    "mitigate-with bgp }\n",
	    "4: mitigate-with: unknown backend \"bgp\"" },
	{ CERTS "ca /c\nclient a { identity cn a; prefix ::/0; "
	    "pin-level rtbh }\n",
	    "4: client \"a\": pin-level rtbh needs mitigate-with rtbh" },
	{ CERTS "lifetime default 600 max 1000\nca /c\nclient a { identity cn a; "
	    "prefix ::/0; max-lifetime 2000 }\n",
	    "5: client \"a\": max-lifetime 2000 exceeds the global lifetime "
	    "max 1000" },
	{ CERTS "ca /c\nclient a { identity cn a; prefix ::/0; "
	    "min-prefix-len4 33 }\n",
	    "4: min-prefix-len4: \"33\" is not a number in 0..32" },
	{ CERTS "ca /c\nclient \"\" { identity cn a; prefix ::/0 }\n",
	    "4: client name must be 1 to 63 characters" },
	{ CERTS "ca /c\nclient \"a b\" { identity cn a; prefix ::/0 }\n",
	    "4: client name with blank or control character" },
	{ CERTS "ca /c\nclient a {\n identity cn a\n prefix ::/0\n",
	    "7: missing '}' for the block opened at line 4" },
	{ CERTS "}\n", "3: '}' without a block" },
	{ CERTS "client a { client b { } }\n", "3: blocks do not nest" },
	{ CERTS "xdp { bgp { } }\n", "3: blocks do not nest" },
	{ CERTS "xdp x {\n}\n", "3: usage: xdp { ... }" },
	{ CERTS "listen {\n}\n", "3: \"listen\" takes no block" },
	{ CERTS "client \"a\"\n", "3: \"client\" needs a block: client ... { }" },
	{ CERTS "certificate \"/x\n", "3: unterminated quoted string" },
	{ CERTS "certificate\n", "3: usage: certificate FILE" },
	{ "listen on 198.18.0.1\n", "1: listener needs a \"certificate\"" },
	{ "certificate /c\n", "1: listener needs a \"key\"" },
	{ "psk yes\nkey /k\n", "2: \"key\" without \"certificate\"" },
	{ CERTS "client a { identity cn a; prefix ::/0 }\n",
	    "3: clients named by cn or san-dns need a \"ca\"" },
};

static void
t_errors(void)
{
	struct dotsd_conf *c;
	char	 err[512];
	const char *colon;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		c = (void *)1;
		if (parse_text(bad[i].text, &c, err, sizeof(err)) != -EINVAL)
			T_FAIL("bad[%zu] parsed: %s", i, bad[i].text);
		T_ASSERT(c == NULL);
		colon = strstr(err, "t.conf:");
		if (colon == NULL || strcmp(colon + 7, bad[i].err) != 0)
			T_FAIL("bad[%zu]: got \"%s\", expected \"t.conf:%s\"",
			    i, err, bad[i].err);
	}
}

/* PSK-only servers need neither certificate nor key. */
static void
t_psk_only(void)
{
	struct dotsd_conf *c;
	char	err[256];

	if (parse_text("psk yes\nclient a { identity psk id key 00ff; "
	    "prefix 198.18.0.0/15 }\n", &c, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	T_EQ(c->nclients, 1);
	T_EQ(c->clients[0].psk_len, 2);
	T_EQ(c->clients[0].psk_key[1], 0xff);
	conf_free(c);
}

static void
t_missing_file(void)
{
	struct dotsd_conf *c = (void *)1;
	char	err[256];

	T_EQ(conf_parse("/nonexistent/dotsd.conf", &c, err, sizeof(err)),
	    -EINVAL);
	T_ASSERT(c == NULL);
	T_STREQ(err, "/nonexistent/dotsd.conf: No such file or directory");
	conf_free(NULL);
}

int
main(void)
{
	char	cmd[300];
	int	failed;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(t_keywords_sorted);
	T_RUN(t_defaults);
	T_RUN(t_full);
	T_RUN(t_print_stable);
	T_RUN(t_include);
	T_RUN(t_errors);
	T_RUN(t_psk_only);
	T_RUN(t_missing_file);
	failed = t_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
