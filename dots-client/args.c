/*
 * args.c: dots-client command line and config file. Options may appear
 * anywhere (GNU getopt permutes); the first words that are not options
 * name the command. Each command option lists the commands it belongs to,
 * so `withdraw --port 80` is an error rather than silently ignored.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/client.h"

#define C(x)	(1u << (x))
#define C_ANY	(~0u)
#define C_CFG	(C(CMD_CONFIG_GET) | C(CMD_CONFIG_SET) | C(CMD_CONFIG_DELETE))

enum {
	O_CERT = 256, O_KEY, O_CA, O_PSK_ID, O_PSK_KEY, O_CUID,
	O_TARGET, O_PORT, O_PROTOCOL, O_FQDN, O_URI, O_ALIAS, O_SOURCE,
	O_LIFETIME,
	O_PRECONF, O_MID, O_COUNT, O_ATTACK, O_SID, O_HB_INTERVAL,
	O_MISSING_HB, O_MAX_RETRANSMIT, O_ACK_TIMEOUT, O_ACK_RANDOM,
	O_PROBING, O_IDLE, O_MITIGATING, O_INTERVAL,
};

static const struct option longopts[] = {
	{ "config",		required_argument, NULL, 'c' },
	{ "server",		required_argument, NULL, 's' },
	{ "timeout",		required_argument, NULL, 't' },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "json",		no_argument,	   NULL, 'j' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "cert",		required_argument, NULL, O_CERT },
	{ "key",		required_argument, NULL, O_KEY },
	{ "ca",			required_argument, NULL, O_CA },
	{ "psk-identity",	required_argument, NULL, O_PSK_ID },
	{ "psk-key",		required_argument, NULL, O_PSK_KEY },
	{ "cuid",		required_argument, NULL, O_CUID },
	{ "target",		required_argument, NULL, O_TARGET },
	{ "port",		required_argument, NULL, O_PORT },
	{ "protocol",		required_argument, NULL, O_PROTOCOL },
	{ "fqdn",		required_argument, NULL, O_FQDN },
	{ "uri",		required_argument, NULL, O_URI },
	{ "alias",		required_argument, NULL, O_ALIAS },
	{ "source",		required_argument, NULL, O_SOURCE },
	{ "lifetime",		required_argument, NULL, O_LIFETIME },
	{ "preconfigured",	no_argument,	   NULL, O_PRECONF },
	{ "mid",		required_argument, NULL, O_MID },
	{ "count",		required_argument, NULL, O_COUNT },
	{ "interval",		required_argument, NULL, O_INTERVAL },
	{ "attack-status",	required_argument, NULL, O_ATTACK },
	{ "sid",		required_argument, NULL, O_SID },
	{ "heartbeat-interval",	required_argument, NULL, O_HB_INTERVAL },
	{ "missing-hb-allowed",	required_argument, NULL, O_MISSING_HB },
	{ "max-retransmit",	required_argument, NULL, O_MAX_RETRANSMIT },
	{ "ack-timeout",	required_argument, NULL, O_ACK_TIMEOUT },
	{ "ack-random-factor",	required_argument, NULL, O_ACK_RANDOM },
	{ "probing-rate",	required_argument, NULL, O_PROBING },
	{ "idle",		no_argument,	   NULL, O_IDLE },
	{ "mitigating",		no_argument,	   NULL, O_MITIGATING },
	{ NULL, 0, NULL, 0 }
};

/* Which commands accept a command option (global options accept all). */
static unsigned
opt_cmds(int opt)
{
	switch (opt) {
	case O_TARGET: case O_PORT: case O_PROTOCOL: case O_FQDN:
	case O_URI: case O_ALIAS: case O_SOURCE: case O_PRECONF:
		return C(CMD_REQUEST);
	case O_LIFETIME:
		return C(CMD_REQUEST) | C(CMD_EFFICACY);
	case O_MID:
		return C(CMD_REQUEST) | C(CMD_WITHDRAW) | C(CMD_GET) |
		    C(CMD_OBSERVE) | C(CMD_EFFICACY);
	case O_COUNT:
		return C(CMD_OBSERVE) | C(CMD_HEARTBEAT);
	case O_INTERVAL:
		return C(CMD_HEARTBEAT) | C(CMD_OBSERVE);
	case O_ATTACK:
		return C(CMD_EFFICACY);
	case O_SID:
		return C_CFG;
	case O_HB_INTERVAL: case O_MISSING_HB: case O_MAX_RETRANSMIT:
	case O_ACK_TIMEOUT: case O_ACK_RANDOM: case O_PROBING:
	case O_IDLE: case O_MITIGATING:
		return C(CMD_CONFIG_SET);
	default:
		return C_ANY;
	}
}

static const char *
opt_name(int opt)
{
	const struct option *lo;

	for (lo = longopts; lo->name != NULL; lo++)
		if (lo->val == opt)
			return lo->name;
	return "?";
}

int
args_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void
usage(FILE *f)
{
	fprintf(f,
	    "usage: dots-client [-hjv] [-c file] [-s uri] [-t seconds]\n"
	    "           [--cert file --key file --ca file |"
	    " --psk-identity id --psk-key hex]\n"
	    "           [--cuid cuid] command [command options]\n"
	    "commands:\n"
	    "  request --target prefix[,...] [--port n|n-m] [--protocol p]\n"
	    "          [--fqdn name] [--uri uri] [--alias name]"
	    " [--lifetime s|-1]\n"
	    "          [--source prefix[,...]] [--preconfigured] [--mid n]\n"
	    "  withdraw --mid n\n"
	    "  get [--mid n]\n"
	    "  observe [--mid n] [--count n] [--interval s]\n"
	    "  efficacy --mid n --attack-status under-attack|mitigated"
	    " [--lifetime s]\n"
	    "  config get [--sid n]\n"
	    "  config set [--sid n] [--heartbeat-interval s]"
	    " [--missing-hb-allowed n]\n"
	    "          [--max-retransmit n] [--ack-timeout d]"
	    " [--ack-random-factor d]\n"
	    "          [--probing-rate n] [--idle | --mitigating]\n"
	    "  config delete [--sid n]\n"
	    "  heartbeat [--count n] [--interval s]\n"
	    "  data ...: the RFC 8783 data channel, see dots-client data"
	    " --help\n");
}

void
opts_init(struct client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout = CLIENT_TIMEOUT;
	o->lifetime = CLIENT_LIFETIME;
	o->interval = CLIENT_HB_INTERVAL;
	o->cfg_which = CFG_BOTH;
}

static void
strv_free(struct strv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int
strv_add(struct strv *sv, const char *s, size_t len)
{
	char	**nv;

	if ((nv = reallocarray(sv->v, sv->n + 1, sizeof(*nv))) == NULL)
		return -ENOMEM;
	sv->v = nv;
	if ((sv->v[sv->n] = strndup(s, len)) == NULL)
		return -ENOMEM;
	sv->n++;
	return 0;
}

static void
str_set(char **dst, const char *s)
{
	free(*dst);
	if ((*dst = strdup(s)) == NULL) {
		fprintf(stderr, "dots-client: out of memory\n");
		exit(EXIT_USAGE);
	}
}

void
opts_free(struct client_opts *o)
{
	free(o->config);
	free(o->server);
	free(o->cert);
	free(o->key);
	free(o->ca);
	free(o->psk_identity);
	free(o->cuid);
	strv_free(&o->prefixes);
	strv_free(&o->fqdns);
	strv_free(&o->uris);
	strv_free(&o->aliases);
	strv_free(&o->sources);
	/* The PSK is a secret. */
	explicit_bzero(o->psk_key, sizeof(o->psk_key));
}

/* Parses a decimal number in [min, max]. Returns 0 or -EINVAL. */
static int
num_parse(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* "N" or "N-M", 0..65535, N <= M (RFC 9132 §4.4.1.2 target-port-range). */
int
port_range_parse(const char *s, struct port_range *pr)
{
	char		 buf[32];
	char		*dash;
	long long	 lo, hi;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", s) >= sizeof(buf))
		return -EINVAL;
	if ((dash = strchr(buf, '-')) != NULL)
		*dash = '\0';
	if (num_parse(buf, 0, 65535, &lo) < 0)
		return -EINVAL;
	hi = lo;
	if (dash != NULL && num_parse(dash + 1, 0, 65535, &hi) < 0)
		return -EINVAL;
	if (hi < lo)
		return -EINVAL;
	pr->lower = (uint16_t)lo;
	pr->upper = (uint16_t)hi;
	return 0;
}

/* A protocol name from /etc/protocols-like short list, or 0..255. */
int
protocol_parse(const char *s, uint8_t *proto)
{
	static const struct {
		const char	*name;
		uint8_t		 num;
	} names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
		{ "gre", 47 }, { "esp", 50 }, { "ah", 51 },
		{ "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "sctp", 132 },
	};
	long long	v;
	size_t		i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*proto = names[i].num;
			return 0;
		}
	if (num_parse(s, 0, 255, &v) < 0)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

/*
 * Checks an IP prefix (or bare address, which becomes a host prefix) and
 * writes it to out. Policy (loopback, the client's domain) is the
 * server's business; this catches typos before they reach the wire.
 */
int
prefix_check(const char *s, char *out, size_t outlen)
{
	char		 addr[INET6_ADDRSTRLEN + 1];
	const char	*slash;
	uint8_t		 bin[16];
	long long	 len;
	size_t		 alen;
	int		 af, max;

	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = af == AF_INET6 ? 128 : 32;
	if (inet_pton(af, addr, bin) != 1)
		return -EINVAL;
	len = max;
	if (slash != NULL && num_parse(slash + 1, 0, max, &len) < 0)
		return -EINVAL;
	if ((size_t)snprintf(out, outlen, "%s/%lld", addr, len) >= outlen)
		return -EINVAL;
	return 0;
}

/* Hex string (even length, no separators) into buf. */
int
hex_parse(const char *s, uint8_t *buf, size_t bufsize, size_t *len)
{
	size_t	n = strlen(s), i;
	char	byte[3] = { 0 };
	char	*end;

	if (n == 0 || n % 2 != 0 || n / 2 > bufsize)
		return -EINVAL;
	for (i = 0; i < n / 2; i++) {
		byte[0] = s[2 * i];
		byte[1] = s[2 * i + 1];
		if (!isxdigit((unsigned char)byte[0]) ||
		    !isxdigit((unsigned char)byte[1]))
			return -EINVAL;
		buf[i] = (uint8_t)strtoul(byte, &end, 16);
	}
	*len = n / 2;
	return 0;
}

/* "2", "2.5", "2.00": decimal64 with fraction-digits 2 (RFC 9132 §5.3). */
int
decimal2_parse(const char *s, uint32_t *hundredths)
{
	long long	 whole, frac = 0;
	const char	*dot;
	char		 buf[16];
	size_t		 wlen, flen;

	dot = strchr(s, '.');
	wlen = dot ? (size_t)(dot - s) : strlen(s);
	if (wlen == 0 || wlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, wlen);
	buf[wlen] = '\0';
	if (num_parse(buf, 0, 99999, &whole) < 0)
		return -EINVAL;
	if (dot != NULL) {
		flen = strlen(dot + 1);
		if (flen == 0 || flen > 2 || num_parse(dot + 1, 0, 99, &frac))
			return -EINVAL;
		if (flen == 1)
			frac *= 10;
	}
	*hundredths = (uint32_t)(whole * 100 + frac);
	return 0;
}

void
opts_chan(const struct client_opts *o, struct chan_opts *co)
{
	memset(co, 0, sizeof(*co));
	co->server = o->server;
	co->cert = o->cert;
	co->key = o->key;
	co->ca = o->ca;
	co->psk_identity = o->psk_identity;
	co->psk_key = o->psk_key;
	co->psk_key_len = o->psk_key_len;
	co->verbose = o->verbose;
	co->own_log = 1;
}

/* Splits a comma list and hands each element to add(); an empty list or
 * an empty element ("a,,b") is an error. */
static int
split_list(const char *arg, int (*add)(struct client_opts *, const char *),
    struct client_opts *o)
{
	char	*dup, *p, *tok;
	int	 rv = 0;

	if ((dup = strdup(arg)) == NULL)
		return -ENOMEM;
	p = dup;
	while (rv == 0 && (tok = strsep(&p, ",")) != NULL)
		rv = *tok == '\0' ? -EINVAL : add(o, tok);
	free(dup);
	return rv;
}

static int
add_prefix(struct client_opts *o, const char *s)
{
	char	buf[INET6_ADDRSTRLEN + 8];

	if (prefix_check(s, buf, sizeof(buf)) < 0)
		return -EINVAL;
	return strv_add(&o->prefixes, buf, strlen(buf));
}

/* RFC 9066 §5.3.1 source-prefix: an attacker's prefix. */
static int
add_source(struct client_opts *o, const char *s)
{
	char	buf[INET6_ADDRSTRLEN + 8];

	if (prefix_check(s, buf, sizeof(buf)) < 0)
		return -EINVAL;
	return strv_add(&o->sources, buf, strlen(buf));
}

static int
add_port(struct client_opts *o, const char *s)
{
	size_t	i;

	if (o->nports == CLIENT_MAX_PORTS)
		return -E2BIG;
	if (port_range_parse(s, &o->ports[o->nports]) < 0)
		return -EINVAL;
	/* lower-port is the list key (RFC 9132 §4.4.1.2): no duplicates */
	for (i = 0; i < o->nports; i++)
		if (o->ports[i].lower == o->ports[o->nports].lower)
			return -EINVAL;
	o->nports++;
	return 0;
}

static int
add_proto(struct client_opts *o, const char *s)
{
	uint8_t	p;
	size_t	i;

	if (o->nprotos == CLIENT_MAX_PROTOS)
		return -E2BIG;
	if (protocol_parse(s, &p) < 0)
		return -EINVAL;
	for (i = 0; i < o->nprotos; i++)
		if (o->protos[i] == p)
			return 0;	/* leaf-list: duplicates collapse */
	o->protos[o->nprotos++] = p;
	return 0;
}

static int
add_fqdn(struct client_opts *o, const char *s)
{
	return strv_add(&o->fqdns, s, strlen(s));
}

static int
add_alias(struct client_opts *o, const char *s)
{
	return strv_add(&o->aliases, s, strlen(s));
}

static int
parse_u16(const char *s, uint16_t *v)
{
	long long	n;

	if (num_parse(s, 0, 65535, &n) < 0)
		return -EINVAL;
	*v = (uint16_t)n;
	return 0;
}

static int
parse_u32(const char *s, uint32_t *v)
{
	long long	n;

	if (num_parse(s, 0, UINT32_MAX, &n) < 0)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

static int
parse_timeout(const char *s, double *t)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(v >= 0) ||
	    v > 86400 * 365)
		return -EINVAL;
	*t = v;
	return 0;
}

/* Applies one option; shared by the command line and the config file. */
static int
apply_conn(struct client_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 's':
		str_set(&o->server, arg);
		return 0;
	case 't':
		return parse_timeout(arg, &o->timeout);
	case O_CERT:
		str_set(&o->cert, arg);
		return 0;
	case O_KEY:
		str_set(&o->key, arg);
		return 0;
	case O_CA:
		str_set(&o->ca, arg);
		return 0;
	case O_PSK_ID:
		if (*arg == '\0')
			return -EINVAL;
		str_set(&o->psk_identity, arg);
		return 0;
	case O_PSK_KEY:
		return hex_parse(arg, o->psk_key, sizeof(o->psk_key),
		    &o->psk_key_len);
	case O_CUID:
		if (*arg == '\0' || strchr(arg, '/') != NULL)
			return -EINVAL;
		str_set(&o->cuid, arg);
		return 0;
	}
	return -EINVAL;
}

static unsigned
set_bit(int opt)
{
	switch (opt) {
	case 's':	return SET_SERVER;
	case 't':	return SET_TIMEOUT;
	case O_CERT:	return SET_CERT;
	case O_KEY:	return SET_KEY;
	case O_CA:	return SET_CA;
	case O_PSK_ID:	return SET_PSK_ID;
	case O_PSK_KEY:	return SET_PSK_KEY;
	case O_CUID:	return SET_CUID;
	}
	return 0;
}

static int
apply_cmd_opt(struct client_opts *o, int opt, const char *arg)
{
	long long	n;

	switch (opt) {
	case O_TARGET:
		return split_list(arg, add_prefix, o);
	case O_PORT:
		return split_list(arg, add_port, o);
	case O_PROTOCOL:
		return split_list(arg, add_proto, o);
	case O_FQDN:
		return split_list(arg, add_fqdn, o);
	case O_ALIAS:
		return split_list(arg, add_alias, o);
	case O_SOURCE:
		return split_list(arg, add_source, o);
	case O_URI:
		/* URIs may hold commas: one per option */
		if (*arg == '\0')
			return -EINVAL;
		return strv_add(&o->uris, arg, strlen(arg));
	case O_LIFETIME:
		/* RFC 9132 §4.4.1.1: 0 is invalid, -1 is indefinite */
		if (num_parse(arg, -1, UINT32_MAX, &n) < 0 || n == 0)
			return -EINVAL;
		o->lifetime = n;
		o->has_lifetime = 1;
		return 0;
	case O_PRECONF:
		o->preconfigured = 1;
		return 0;
	case O_MID:
		o->has_mid = 1;
		return parse_u32(arg, &o->mid);
	case O_SID:
		o->has_sid = 1;
		return parse_u32(arg, &o->sid);
	case O_COUNT:
		if (num_parse(arg, 1, UINT32_MAX, &n) < 0)
			return -EINVAL;
		o->count = (unsigned)n;
		return 0;
	case O_INTERVAL:
		if (num_parse(arg, 1, 86400, &n) < 0)
			return -EINVAL;
		o->interval = (unsigned)n;
		return 0;
	case O_ATTACK:
		if (strcmp(arg, "under-attack") == 0)
			o->attack_status = 1;
		else if (strcmp(arg, "mitigated") == 0 ||
		    strcmp(arg, "attack-successfully-mitigated") == 0)
			o->attack_status = 2;
		else
			return -EINVAL;
		return 0;
	case O_HB_INTERVAL:
		o->cfg_set |= CFG_HB_INTERVAL;
		return parse_u16(arg, &o->hb_interval);
	case O_MISSING_HB:
		o->cfg_set |= CFG_MISSING_HB;
		return parse_u16(arg, &o->missing_hb);
	case O_MAX_RETRANSMIT:
		o->cfg_set |= CFG_MAX_RETRANSMIT;
		return parse_u16(arg, &o->max_retransmit);
	case O_PROBING:
		o->cfg_set |= CFG_PROBING_RATE;
		return parse_u16(arg, &o->probing_rate);
	case O_ACK_TIMEOUT:
		o->cfg_set |= CFG_ACK_TIMEOUT;
		return decimal2_parse(arg, &o->ack_timeout);
	case O_ACK_RANDOM:
		o->cfg_set |= CFG_ACK_RANDOM;
		return decimal2_parse(arg, &o->ack_random);
	case O_IDLE:
	case O_MITIGATING:
		if (o->cfg_which != CFG_BOTH)
			return -EINVAL;	/* --idle and --mitigating together */
		o->cfg_which = opt == O_IDLE ? CFG_IDLE : CFG_MITIGATING;
		return 0;
	}
	return -EINVAL;
}

static enum client_cmd
cmd_lookup(char **words, int nwords, char *err, size_t errlen)
{
	static const struct {
		const char	*w1, *w2;
		enum client_cmd	 cmd;
	} cmds[] = {
		{ "request", NULL, CMD_REQUEST },
		{ "withdraw", NULL, CMD_WITHDRAW },
		{ "get", NULL, CMD_GET },
		{ "observe", NULL, CMD_OBSERVE },
		{ "efficacy", NULL, CMD_EFFICACY },
		{ "config", "get", CMD_CONFIG_GET },
		{ "config", "set", CMD_CONFIG_SET },
		{ "config", "delete", CMD_CONFIG_DELETE },
		{ "heartbeat", NULL, CMD_HEARTBEAT },
	};
	size_t	i;

	if (nwords == 0) {
		args_errf(err, errlen, "no command");
		return CMD_NONE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(words[0], cmds[i].w1) != 0)
			continue;
		if (cmds[i].w2 == NULL) {
			if (nwords == 1)
				return cmds[i].cmd;
			break;
		}
		if (nwords == 2 && strcmp(words[1], cmds[i].w2) == 0)
			return cmds[i].cmd;
	}
	if (strcmp(words[0], "config") == 0)
		args_errf(err, errlen, "config: expected get, set or delete");
	else if (nwords > 1 && i < sizeof(cmds) / sizeof(cmds[0]))
		args_errf(err, errlen, "%s: unexpected argument \"%s\"",
		    words[0], words[1]);
	else
		args_errf(err, errlen, "unknown command \"%s\"", words[0]);
	return CMD_NONE;
}

/* What each command needs beyond option syntax. */
static int
cmd_check(struct client_opts *o, char *err, size_t errlen)
{
	switch (o->cmd) {
	case CMD_REQUEST:
		/* RFC 9132 §4.4.1.2: at least one target attribute */
		if (o->prefixes.n == 0 && o->fqdns.n == 0 && o->uris.n == 0 &&
		    o->aliases.n == 0)
			return args_errf(err, errlen, "request: give --target, "
			    "--fqdn, --uri or --alias");
		return 0;
	case CMD_WITHDRAW:
		if (!o->has_mid)
			return args_errf(err, errlen,
			    "withdraw: --mid is required");
		return 0;
	case CMD_EFFICACY:
		if (!o->has_mid)
			return args_errf(err, errlen,
			    "efficacy: --mid is required");
		if (o->attack_status == 0)
			return args_errf(err, errlen,
			    "efficacy: --attack-status is required");
		return 0;
	case CMD_CONFIG_SET:
		if (o->cfg_set == 0)
			return args_errf(err, errlen,
			    "config set: nothing to set");
		if (o->cfg_which == CFG_IDLE &&
		    (o->cfg_set & CFG_PROBING_RATE))
			return args_errf(err, errlen, "config set: "
			    "--probing-rate applies to the mitigating set "
			    "only");
		return 0;
	default:
		return 0;
	}
}

int
args_parse(struct client_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	struct {
		int		 opt;
		const char	*arg;
	} *cmdopts;
	size_t	ncmdopts = 0, i;
	int	ch, rv = 0;

	if ((cmdopts = calloc((size_t)argc + 1, sizeof(*cmdopts))) == NULL)
		return args_errf(err, errlen, "out of memory");
	optind = 0;	/* full reset: args_parse may run more than once */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:s:t:vjh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			o->cmd = CMD_NONE;
			goto out;
		case 'v':
			o->verbose++;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			str_set(&o->config, optarg);
			break;
		case ':':
			rv = args_errf(err, errlen, "option %s needs a value",
			    argv[optind - 1]);
			goto out;
		case '?':
			rv = args_errf(err, errlen, "unknown option %s",
			    argv[optind - 1]);
			goto out;
		case 's': case 't': case O_CERT: case O_KEY: case O_CA:
		case O_PSK_ID: case O_PSK_KEY: case O_CUID:
			if (apply_conn(o, ch, optarg) < 0) {
				rv = args_errf(err, errlen,
				    "bad value for --%s: \"%s\"", opt_name(ch),
				    optarg);
				goto out;
			}
			o->set |= set_bit(ch);
			break;
		default:
			/* command options wait until the command is known */
			cmdopts[ncmdopts].opt = ch;
			cmdopts[ncmdopts].arg = optarg;
			ncmdopts++;
			break;
		}
	}
	o->cmd = cmd_lookup(argv + optind, argc - optind, err, errlen);
	if (o->cmd == CMD_NONE) {
		rv = -EINVAL;
		goto out;
	}
	for (i = 0; i < ncmdopts; i++) {
		if (!(opt_cmds(cmdopts[i].opt) & C(o->cmd))) {
			rv = args_errf(err, errlen, "--%s does not apply to %s",
			    opt_name(cmdopts[i].opt), argv[optind]);
			goto out;
		}
		if ((rv = apply_cmd_opt(o, cmdopts[i].opt,
		    cmdopts[i].arg)) == -E2BIG) {
			rv = args_errf(err, errlen, "too many --%s values "
			    "(at most %d)", opt_name(cmdopts[i].opt),
			    cmdopts[i].opt == O_PORT ? CLIENT_MAX_PORTS :
			    CLIENT_MAX_PROTOS);
			goto out;
		}
		if (rv < 0) {
			rv = args_errf(err, errlen,
			    "bad value for --%s: \"%s\"",
			    opt_name(cmdopts[i].opt),
			    cmdopts[i].arg ? cmdopts[i].arg : "");
			goto out;
		}
	}
	rv = cmd_check(o, err, errlen);
out:
	free(cmdopts);
	return rv;
}

/*
 * Config file: one `key value` per line, '#' comments, keys are the
 * connection options' long names (server, cert, key, ca, psk-identity,
 * psk-key, cuid, timeout).
 */
int
conf_load(struct client_opts *o, const char *path, char *err, size_t errlen)
{
	static const struct {
		const char	*key;
		int		 opt;
	} keys[] = {
		{ "ca", O_CA }, { "cert", O_CERT }, { "cuid", O_CUID },
		{ "key", O_KEY }, { "psk-identity", O_PSK_ID },
		{ "psk-key", O_PSK_KEY }, { "server", 's' },
		{ "timeout", 't' },
	};
	FILE	*f;
	char	*line = NULL, *k, *v, *end;
	size_t	 cap = 0, i;
	int	 lineno = 0, rv = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -errno;
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if ((k = strchr(line, '#')) != NULL)
			*k = '\0';
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (*k == '\0')
			continue;
		for (v = k; *v != '\0' && !isspace((unsigned char)*v); v++)
			;
		if (*v != '\0')
			*v++ = '\0';
		while (isspace((unsigned char)*v))
			v++;
		end = v + strlen(v);
		while (end > v && isspace((unsigned char)end[-1]))
			*--end = '\0';
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(k, keys[i].key) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			rv = args_errf(err, errlen, "%s:%d: unknown key \"%s\"",
			    path, lineno, k);
			break;
		}
		if (*v == '\0') {
			rv = args_errf(err, errlen, "%s:%d: %s needs a value",
			    path, lineno, k);
			break;
		}
		if (o->set & set_bit(keys[i].opt))
			continue;	/* the command line wins */
		if (apply_conn(o, keys[i].opt, v) < 0) {
			rv = args_errf(err, errlen, "%s:%d: bad value for %s",
			    path, lineno, k);
			break;
		}
	}
	if (line != NULL)
		explicit_bzero(line, cap);	/* may have held psk-key */
	free(line);
	fclose(f);
	return rv;
}

int
opts_finish(struct client_opts *o, struct server_uri *su, char *err,
    size_t errlen)
{
	int	pki, psk;

	if (o->server == NULL)
		return args_errf(err, errlen, "no server: use --server or a "
		    "config file");
	if (server_uri_parse(o->server, su) < 0)
		return args_errf(err, errlen, "bad server URI \"%s\" (expected "
		    "coaps://host[:port] or coaps+tcp://host[:port])",
		    o->server);
	pki = o->cert != NULL || o->key != NULL;
	psk = o->psk_identity != NULL || o->psk_key_len != 0;
	if (pki && psk)
		return args_errf(err, errlen, "give a certificate or a PSK, "
		    "not both");
	if (pki && (o->cert == NULL || o->key == NULL))
		return args_errf(err, errlen, "--cert and --key go together");
	if (pki && o->ca == NULL)
		return args_errf(err, errlen, "--ca is required to verify the "
		    "server");
	if (psk && (o->psk_identity == NULL || o->psk_key_len == 0))
		return args_errf(err, errlen, "--psk-identity and --psk-key go "
		    "together");
	if (!pki && !psk)
		return args_errf(err, errlen, "no credentials: use "
		    "--cert/--key/--ca or --psk-identity/--psk-key");
	return 0;
}
