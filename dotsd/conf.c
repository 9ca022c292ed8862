/*
 * conf.c: dotsd.conf parser. A small hand-written lexer cuts the file into
 * statements (ended by a newline, ';', '{' or '}'), and one function per
 * context (top level, session block, client block, opaque block) gives
 * them meaning. The grammar is documented in doc/dotsd.conf.5. Like every
 * parser here it never logs: the first mistake becomes "file:line: why".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dotsd/conf.h"

#define CONF_MAX_FILE		(1024 * 1024)
#define CONF_MAX_TOKENS		64
#define CONF_MAX_INCLUDE	8

enum kw {
	KW_ACK_RANDOM_FACTOR,
	KW_ACK_TIMEOUT,
	KW_ABT,
	KW_BGP,
	KW_CA,
	KW_CERTIFICATE,
	KW_CLIENT,
	KW_CONTROL,
	KW_DATABASE,
	KW_GATEWAY,
	KW_HEARTBEAT_INTERVAL,
	KW_IDENTITY,
	KW_INCLUDE,
	KW_INDEFINITE_LIFETIME,
	KW_KEY,
	KW_LIFETIME,
	KW_LISTEN,
	KW_MAX_LIFETIME,
	KW_MAX_MITIGATIONS,
	KW_MAX_RETRANSMIT,
	KW_MAX_RULES,
	KW_MAX_SESSIONS,
	KW_METRICS,
	KW_MIN_PREFIX_LEN4,
	KW_MIN_PREFIX_LEN6,
	KW_MISSING_HB_ALLOWED,
	KW_MITIGATE_WITH,
	KW_MITIGATION,
	KW_PIN_LEVEL,
	KW_PREFIX,
	KW_PROBING_RATE,
	KW_PSK,
	KW_RESOLVER,
	KW_SESSION,
	KW_XDP,
	KW_YANG_DIR,
};

enum ctx {
	CTX_TOP		= 1 << 0,
	CTX_SESSION	= 1 << 1,
	CTX_CLIENT	= 1 << 2,
	CTX_OPAQUE	= 1 << 3,
};

struct keyword {
	const char	*name;
	int		 id;		/* enum kw */
	int		 ctx;		/* enum ctx bits where it is valid */
};

/* Keep this table sorted (strcmp order): lookup() uses bsearch. */
static const struct keyword keywords[] = {
	{ "ack-random-factor",		KW_ACK_RANDOM_FACTOR,	CTX_SESSION },
	{ "ack-timeout",		KW_ACK_TIMEOUT,		CTX_SESSION },
	{ "active-but-terminating",	KW_ABT,			CTX_TOP },
	{ "bgp",			KW_BGP,			CTX_TOP },
	{ "ca",				KW_CA,			CTX_TOP },
	{ "certificate",		KW_CERTIFICATE,		CTX_TOP },
	{ "client",			KW_CLIENT,		CTX_TOP },
	{ "control",			KW_CONTROL,		CTX_TOP },
	{ "database",			KW_DATABASE,		CTX_TOP },
	{ "gateway",			KW_GATEWAY,		CTX_CLIENT },
	{ "heartbeat-interval",		KW_HEARTBEAT_INTERVAL,	CTX_SESSION },
	{ "identity",			KW_IDENTITY,		CTX_CLIENT },
	{ "include",			KW_INCLUDE,		CTX_TOP },
	{ "indefinite-lifetime",	KW_INDEFINITE_LIFETIME,	CTX_CLIENT },
	{ "key",			KW_KEY,			CTX_TOP },
	{ "lifetime",			KW_LIFETIME,		CTX_TOP },
	{ "listen",			KW_LISTEN,		CTX_TOP },
	{ "max-lifetime",		KW_MAX_LIFETIME,	CTX_CLIENT },
	{ "max-mitigations",		KW_MAX_MITIGATIONS,	CTX_CLIENT },
	{ "max-retransmit",		KW_MAX_RETRANSMIT,	CTX_SESSION },
	{ "max-rules",			KW_MAX_RULES,		CTX_CLIENT },
	{ "max-sessions",		KW_MAX_SESSIONS,	CTX_TOP },
	{ "metrics",			KW_METRICS,		CTX_TOP },
	{ "min-prefix-len4",		KW_MIN_PREFIX_LEN4,	CTX_CLIENT },
	{ "min-prefix-len6",		KW_MIN_PREFIX_LEN6,	CTX_CLIENT },
	{ "missing-hb-allowed",		KW_MISSING_HB_ALLOWED,	CTX_SESSION },
	{ "mitigate-with",		KW_MITIGATE_WITH,	CTX_CLIENT },
	{ "mitigation",			KW_MITIGATION,		CTX_TOP },
	{ "pin-level",			KW_PIN_LEVEL,		CTX_CLIENT },
	{ "prefix",			KW_PREFIX,		CTX_CLIENT },
	{ "probing-rate",		KW_PROBING_RATE,	CTX_SESSION },
	{ "psk",			KW_PSK,			CTX_TOP },
	{ "resolver",			KW_RESOLVER,		CTX_TOP },
	{ "session",			KW_SESSION,		CTX_TOP },
	{ "xdp",			KW_XDP,			CTX_TOP },
	{ "yang-dir",			KW_YANG_DIR,		CTX_TOP },
};

#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

static int
kw_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct keyword *)e)->name);
}

static const struct keyword *
lookup(const char *s)
{
	return bsearch(s, keywords, NKEYWORDS, sizeof(keywords[0]), kw_cmp);
}

const char *
conf_keyword_unsorted(void)
{
	size_t	i;

	for (i = 1; i < NKEYWORDS; i++)
		if (strcmp(keywords[i - 1].name, keywords[i].name) >= 0)
			return keywords[i].name;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Lexer                                                              */
/* ------------------------------------------------------------------ */

enum term {
	TERM_NL,	/* newline or ';' */
	TERM_OPEN,	/* '{' */
	TERM_CLOSE,	/* '}' */
	TERM_EOF,
};

struct token {
	char		*s;
	uint8_t		 quoted;
};

struct stmt {
	int		 ntok;
	struct token	 tok[CONF_MAX_TOKENS];
	int		 line;		/* of the first token (or terminator) */
	int		 term;		/* enum term */
};

struct lexer {
	const char	*file;
	char		*buf;		/* whole file, NUL-terminated */
	size_t		 pos, len;
	int		 line;
	char		*store;		/* token text of the current stmt */
	size_t		 storelen;
};

struct parser {
	struct dotsd_conf *conf;
	const char	*file;		/* current file, for messages */
	char		*err;
	size_t		 errlen;
	int		 ctx;		/* enum ctx */
	int		 block_line;
	struct client_conf *client;	/* CTX_CLIENT */
	struct sess_params *sess;	/* CTX_SESSION */
	char		 section[16];	/* CTX_OPAQUE */
	int		 depth;		/* include depth */
	int		 first_listen_line;
	int		 last_line;	/* of the last statement */
};

static int perr(struct parser *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, int line, const char *fmt, ...)
{
	char	why[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, line, why);
	return -EINVAL;
}

static int
lex_open(struct lexer *lx, const char *file, char *why, size_t whylen)
{
	FILE	*f;
	char	*nbuf;
	size_t	 cap = 0, n;
	int	 err = 0;

	memset(lx, 0, sizeof(*lx));
	lx->file = file;
	lx->line = 1;
	if ((f = fopen(file, "r")) == NULL) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	/* Grow as needed: the file may be a pipe with no size. */
	for (;;) {
		if (cap - lx->len < 4096) {
			cap = cap ? cap * 2 : 16384;
			if ((nbuf = realloc(lx->buf, cap + 1)) == NULL) {
				snprintf(why, whylen, "out of memory");
				err = -ENOMEM;
				goto out;
			}
			lx->buf = nbuf;
		}
		n = fread(lx->buf + lx->len, 1, cap - lx->len, f);
		lx->len += n;
		if (lx->len > CONF_MAX_FILE) {
			snprintf(why, whylen, "file larger than %d bytes",
			    CONF_MAX_FILE);
			err = -EINVAL;
			goto out;
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "read error");
		err = -EIO;
		goto out;
	}
	lx->buf[lx->len] = '\0';
	if (memchr(lx->buf, '\0', lx->len) != NULL) {
		snprintf(why, whylen, "NUL byte in file");
		err = -EINVAL;
		goto out;
	}
	/* Token texts and their NULs never outgrow the source text. */
	if ((lx->store = malloc(lx->len + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		err = -ENOMEM;
	}
out:
	fclose(f);
	if (err != 0) {
		free(lx->buf);
		free(lx->store);
		lx->buf = lx->store = NULL;
	}
	return err;
}

static void
lex_close(struct lexer *lx)
{
	free(lx->buf);
	free(lx->store);
}

static int
is_special(int c)
{
	return c == '{' || c == '}' || c == ';' || c == '#' || c == '"' ||
	    c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\0';
}

/*
 * Reads the next statement: the tokens up to a newline, ';', '{', '}' or
 * the end of the file. Empty statements ended by a newline are skipped.
 */
static int
lex_stmt(struct parser *p, struct lexer *lx, struct stmt *st)
{
	char	*out = lx->store;
	int	 c;

	st->ntok = 0;
	st->line = lx->line;
	for (;;) {
		c = (unsigned char)lx->buf[lx->pos];
		if (c == '\0') {
			st->term = TERM_EOF;
			return 0;
		}
		if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			while (lx->buf[lx->pos] != '\n' &&
			    lx->buf[lx->pos] != '\0')
				lx->pos++;
			continue;
		}
		if (c == '\n' || c == ';') {
			lx->pos++;
			if (c == '\n')
				lx->line++;
			if (st->ntok == 0) {
				st->line = lx->line;
				continue;
			}
			st->term = TERM_NL;
			return 0;
		}
		if (c == '{' || c == '}') {
			lx->pos++;
			st->term = c == '{' ? TERM_OPEN : TERM_CLOSE;
			if (st->ntok == 0)
				st->line = lx->line;
			return 0;
		}
		if (st->ntok == CONF_MAX_TOKENS)
			return perr(p, lx->line, "too many words in statement");
		if (st->ntok == 0)
			st->line = lx->line;
		st->tok[st->ntok].s = out;
		st->tok[st->ntok].quoted = c == '"';
		if (c == '"') {
			lx->pos++;
			for (;;) {
				c = (unsigned char)lx->buf[lx->pos];
				if (c == '\0' || c == '\n')
					return perr(p, lx->line,
					    "unterminated quoted string");
				lx->pos++;
				if (c == '"')
					break;
				if (c == '\\' && (lx->buf[lx->pos] == '"' ||
				    lx->buf[lx->pos] == '\\'))
					c = (unsigned char)lx->buf[lx->pos++];
				*out++ = c;
			}
		} else {
			while (!is_special((unsigned char)lx->buf[lx->pos]))
				*out++ = lx->buf[lx->pos++];
		}
		*out++ = '\0';
		st->ntok++;
	}
}

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

static int
parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	unsigned long long n;
	char	*end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

/* "2", "2.5", "2.00" -> hundredths (RFC 9132 decimal64, 2 digits). */
static int
parse_centi(const char *s, uint32_t *v)
{
	uint32_t int_part = 0, frac = 0;
	int	 digits = 0;
	const char *q = s;

	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	while (isdigit((unsigned char)*q)) {
		int_part = int_part * 10 + (uint32_t)(*q++ - '0');
		if (int_part > 65535)
			return -EINVAL;
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			if (++digits > 2)
				return -EINVAL;
			frac = frac * 10 + (uint32_t)(*q++ - '0');
		}
		if (digits == 0)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	if (*q != '\0')
		return -EINVAL;
	*v = int_part * 100 + frac;
	return 0;
}

static int
parse_yesno(const char *s, uint8_t *v)
{
	if (strcmp(s, "yes") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0)
		*v = 0;
	else
		return -EINVAL;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex with optional ':' between bytes -> bytes. Returns length or -EINVAL. */
static int
parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t	n = 0;
	int	hi, lo;

	while (*s != '\0') {
		if (*s == ':' && n > 0) {
			s++;
			continue;
		}
		if ((hi = hexval((unsigned char)s[0])) < 0 ||
		    (lo = hexval((unsigned char)s[1])) < 0 || n == max)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n == 0 ? -EINVAL : (int)n;
}

static int
copy_str(struct parser *p, int line, char *dst, size_t len, const char *s,
    const char *what)
{
	if (s[0] == '\0')
		return perr(p, line, "empty %s", what);
	if (strlen(s) >= len)
		return perr(p, line, "%s too long", what);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A numeric address, normalized into out (inet_ntop form). */
static int
parse_addr(const char *s, char *out, size_t len)
{
	uint8_t	a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, len) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, len) ? 0 : -EINVAL;
	return -EINVAL;
}

/* Why prefix_parse refused s: host bits or plain nonsense. */
static const char *
prefix_why(const char *s)
{
	char	 a[64], *slash;
	uint8_t	 bin[16];
	uint32_t len;
	int	 af;

	if (strlen(s) >= sizeof(a))
		return "bad prefix";
	strcpy(a, s);
	if ((slash = strchr(a, '/')) == NULL)
		return "bad prefix";
	*slash = '\0';
	af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, a, bin) != 1 ||
	    parse_u32(slash + 1, 0, af == AF_INET ? 32 : 128, &len) != 0)
		return "bad prefix";
	return "host bits set in prefix";
}

/* ------------------------------------------------------------------ */
/* Defaults                                                           */
/* ------------------------------------------------------------------ */

/* RFC 9132 Appendix C and §4.5; digest §6. */
static const struct sess_params sess_defaults = {
	.hb_interval		= { 15, 240, 30 },
	.missing_hb		= { 3, 20, 15 },
	.probing_rate		= { 5, 20, 5 },
	.max_retransmit		= { 2, 15, 3 },
	.ack_timeout		= { 100, 3000, 200 },
	.ack_random_factor	= { 110, 400, 150 },
};

static void
conf_defaults(struct dotsd_conf *c)
{
	c->psk = 0;
	strcpy(c->db, "/var/lib/dotsd/dotsd.db");
	strcpy(c->control, "/run/dotsd.sock");
	c->default_lifetime = 3600;		/* RFC 9132 App. C */
	c->max_lifetime = 86400;
	c->abt_period = 120;			/* RFC 9132 §4.4.4 */
	c->max_sessions = 1024;
	c->idle = sess_defaults;
	c->mitigating = sess_defaults;
}

static void
client_defaults(struct client_conf *cl)
{
	cl->max_mitigations = 64;
	cl->policy.backends = MIT_WHERE_XDP;
	cl->policy.pin_level = -1;
	cl->policy.max_rules = 0;		/* engine's ceiling only */
}

/* ------------------------------------------------------------------ */
/* Statements                                                         */
/* ------------------------------------------------------------------ */

static int
need(struct parser *p, const struct stmt *st, int n, const char *usage)
{
	if (st->ntok != n)
		return perr(p, st->line, "usage: %s", usage);
	return 0;
}

static int
add_listen(struct parser *p, int line, const char *addr, uint16_t port,
    int proto)
{
	struct dotsd_conf *c = p->conf;
	struct listen_conf *l;
	int	i;

	for (i = 0; i < c->nlisten; i++) {
		l = &c->listen[i];
		if (l->proto == proto && l->port == port &&
		    strcmp(l->addr, addr) == 0)
			return perr(p, line, "duplicate listener %s port %u %s",
			    addr, port, proto == LISTEN_DTLS ? "dtls" : "tls");
	}
	if (c->nlisten == CONF_MAX_LISTEN)
		return perr(p, line, "more than %d listeners", CONF_MAX_LISTEN);
	l = &c->listen[c->nlisten++];
	l->proto = (uint8_t)proto;
	strcpy(l->addr, addr);
	l->port = port;
	l->line = line;
	if (p->first_listen_line == 0)
		p->first_listen_line = line;
	return 0;
}

/* listen on ADDR [port N] [dtls|tls] */
static int
st_listen(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "listen on ADDR [port N] [dtls|tls]";
	char	 addr[64];
	uint32_t port = DOTS_PORT;
	int	 i = 3, proto = -1, r;

	if (st->ntok < 3 || strcmp(st->tok[1].s, "on") != 0)
		return perr(p, st->line, "usage: %s", usage);
	if (parse_addr(st->tok[2].s, addr, sizeof(addr)) != 0)
		return perr(p, st->line, "bad listen address \"%s\"",
		    st->tok[2].s);
	if (i + 1 < st->ntok && strcmp(st->tok[i].s, "port") == 0) {
		if (parse_u32(st->tok[i + 1].s, 1, 65535, &port) != 0)
			return perr(p, st->line, "bad port \"%s\"",
			    st->tok[i + 1].s);
		i += 2;
	}
	if (i < st->ntok) {
		if (strcmp(st->tok[i].s, "dtls") == 0)
			proto = LISTEN_DTLS;
		else if (strcmp(st->tok[i].s, "tls") == 0)
			proto = LISTEN_TLS;
		else
			return perr(p, st->line, "usage: %s", usage);
		i++;
	}
	if (i != st->ntok)
		return perr(p, st->line, "usage: %s", usage);
	if (proto != LISTEN_TLS &&
	    (r = add_listen(p, st->line, addr, (uint16_t)port,
	    LISTEN_DTLS)) != 0)
		return r;
	if (proto != LISTEN_DTLS &&
	    (r = add_listen(p, st->line, addr, (uint16_t)port,
	    LISTEN_TLS)) != 0)
		return r;
	return 0;
}

/* resolver ADDR | ADDR:PORT | [ADDR6]:PORT -> c-ares csv entry */
static int
st_resolver(struct parser *p, const struct stmt *st)
{
	struct dotsd_conf *c = p->conf;
	char	 host[64], addr[64], ent[80], *colon;
	const char *s = st->tok[1].s;
	uint32_t port = 53;
	size_t	 used;

	if (need(p, st, 2, "resolver ADDR[:PORT]") != 0)
		return -EINVAL;
	if (strlen(s) >= sizeof(host))
		return perr(p, st->line, "bad resolver \"%s\"", s);
	if (s[0] == '[') {
		strcpy(host, s + 1);
		if ((colon = strchr(host, ']')) == NULL)
			return perr(p, st->line, "bad resolver \"%s\"", s);
		*colon++ = '\0';
		if (*colon == ':') {
			if (parse_u32(colon + 1, 1, 65535, &port) != 0)
				return perr(p, st->line, "bad resolver port "
				    "in \"%s\"", s);
		} else if (*colon != '\0')
			return perr(p, st->line, "bad resolver \"%s\"", s);
		if (!strchr(host, ':'))
			return perr(p, st->line, "bad resolver \"%s\"", s);
	} else {
		strcpy(host, s);
		colon = strchr(host, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			if (parse_u32(colon + 1, 1, 65535, &port) != 0)
				return perr(p, st->line, "bad resolver port "
				    "in \"%s\"", s);
		}
	}
	if (parse_addr(host, addr, sizeof(addr)) != 0)
		return perr(p, st->line, "bad resolver address \"%s\"", s);
	if (strchr(addr, ':'))
		snprintf(ent, sizeof(ent), "[%s]:%u", addr, port);
	else
		snprintf(ent, sizeof(ent), "%s:%u", addr, port);
	used = strlen(c->resolver);
	if (used + strlen(ent) + 2 > sizeof(c->resolver))
		return perr(p, st->line, "too many resolvers");
	if (used > 0)
		strcat(c->resolver, ",");
	strcat(c->resolver, ent);
	return 0;
}

/* metrics listen ADDR port N */
static int
st_metrics(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "metrics listen ADDR port N";
	uint32_t port;

	if (st->ntok != 5 || strcmp(st->tok[1].s, "listen") != 0 ||
	    strcmp(st->tok[3].s, "port") != 0)
		return perr(p, st->line, "usage: %s", usage);
	if (parse_addr(st->tok[2].s, p->conf->metrics_addr,
	    sizeof(p->conf->metrics_addr)) != 0)
		return perr(p, st->line, "bad metrics address \"%s\"",
		    st->tok[2].s);
	if (parse_u32(st->tok[4].s, 1, 65535, &port) != 0)
		return perr(p, st->line, "bad port \"%s\"", st->tok[4].s);
	p->conf->metrics_port = (uint16_t)port;
	return 0;
}

/* lifetime [default N] [max N] */
static int
st_lifetime(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "lifetime [default N] [max N]";
	uint32_t v;
	int	 i;

	if (st->ntok < 3 || (st->ntok - 1) % 2 != 0)
		return perr(p, st->line, "usage: %s", usage);
	for (i = 1; i < st->ntok; i += 2) {
		if (parse_u32(st->tok[i + 1].s, 1, UINT32_MAX - 1, &v) != 0)
			return perr(p, st->line, "bad lifetime \"%s\"",
			    st->tok[i + 1].s);
		if (strcmp(st->tok[i].s, "default") == 0)
			p->conf->default_lifetime = v;
		else if (strcmp(st->tok[i].s, "max") == 0)
			p->conf->max_lifetime = v;
		else
			return perr(p, st->line, "usage: %s", usage);
	}
	if (p->conf->default_lifetime > p->conf->max_lifetime)
		return perr(p, st->line, "default lifetime %u exceeds max %u",
		    p->conf->default_lifetime, p->conf->max_lifetime);
	return 0;
}

static int
st_path(struct parser *p, const struct stmt *st, char *dst, size_t len)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s FILE", st->tok[0].s);
	if (need(p, st, 2, usage) != 0)
		return -EINVAL;
	return copy_str(p, st->line, dst, len, st->tok[1].s, st->tok[0].s);
}

static int
st_u32(struct parser *p, const struct stmt *st, uint32_t lo, uint32_t hi,
    uint32_t *v)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s N", st->tok[0].s);
	if (need(p, st, 2, usage) != 0)
		return -EINVAL;
	if (parse_u32(st->tok[1].s, lo, hi, v) != 0)
		return perr(p, st->line, "%s: \"%s\" is not a number in "
		    "%u..%u", st->tok[0].s, st->tok[1].s, lo, hi);
	return 0;
}

static int
st_yesno(struct parser *p, const struct stmt *st, uint8_t *v)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s yes|no", st->tok[0].s);
	if (need(p, st, 2, usage) != 0 || parse_yesno(st->tok[1].s, v) != 0)
		return perr(p, st->line, "usage: %s", usage);
	return 0;
}

static int parse_file(struct parser *, const char *, int);

static int
st_include(struct parser *p, const struct stmt *st)
{
	char	path[PATH_MAX];
	const char *slash;

	if (need(p, st, 2, "include \"FILE\"") != 0)
		return -EINVAL;
	if (p->depth >= CONF_MAX_INCLUDE)
		return perr(p, st->line, "includes nested too deeply");
	/* A relative name is relative to the including file. */
	slash = strrchr(p->file, '/');
	if (st->tok[1].s[0] != '/' && slash != NULL) {
		if (snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - p->file), p->file, st->tok[1].s) >=
		    (int)sizeof(path))
			return perr(p, st->line, "include path too long");
	} else if (snprintf(path, sizeof(path), "%s", st->tok[1].s) >=
	    (int)sizeof(path))
		return perr(p, st->line, "include path too long");
	return parse_file(p, path, st->line);
}

static int
top_stmt(struct parser *p, const struct stmt *st, int kw)
{
	struct dotsd_conf *c = p->conf;
	uint32_t v;
	int	 r;

	switch (kw) {
	case KW_LISTEN:
		return st_listen(p, st);
	case KW_CERTIFICATE:
		return st_path(p, st, c->cert, sizeof(c->cert));
	case KW_KEY:
		return st_path(p, st, c->key, sizeof(c->key));
	case KW_CA:
		return st_path(p, st, c->ca, sizeof(c->ca));
	case KW_PSK:
		return st_yesno(p, st, &c->psk);
	case KW_DATABASE:
		return st_path(p, st, c->db, sizeof(c->db));
	case KW_CONTROL:
		return st_path(p, st, c->control, sizeof(c->control));
	case KW_YANG_DIR:
		return st_path(p, st, c->yang_dir, sizeof(c->yang_dir));
	case KW_METRICS:
		return st_metrics(p, st);
	case KW_RESOLVER:
		return st_resolver(p, st);
	case KW_LIFETIME:
		return st_lifetime(p, st);
	case KW_ABT:
		/* RFC 9132 §4.4.4: at most 300 seconds. */
		if ((r = st_u32(p, st, 0, 300, &v)) == 0)
			c->abt_period = v;
		return r;
	case KW_MAX_SESSIONS:
		if ((r = st_u32(p, st, 1, 1000000, &v)) == 0)
			c->max_sessions = v;
		return r;
	case KW_INCLUDE:
		return st_include(p, st);
	default:
		return perr(p, st->line, "\"%s\" needs a block: %s ... { }",
		    st->tok[0].s, st->tok[0].s);
	}
}

/* NAME MIN..MAX default CUR, integers or (centi) decimals. */
static int
sess_stmt(struct parser *p, const struct stmt *st, int kw)
{
	struct sess_params *sp = p->sess;
	struct cfg_range *rg, nr;
	char	 lo[32], *dots;
	int	 centi = 0, r1, r2, r3;
	uint32_t floor = 0;

	switch (kw) {
	case KW_HEARTBEAT_INTERVAL:
		rg = &sp->hb_interval;
		break;
	case KW_MISSING_HB_ALLOWED:
		rg = &sp->missing_hb;
		break;
	case KW_PROBING_RATE:
		rg = &sp->probing_rate;
		break;
	case KW_MAX_RETRANSMIT:
		rg = &sp->max_retransmit;
		break;
	case KW_ACK_TIMEOUT:
		rg = &sp->ack_timeout;
		centi = 1;
		floor = 100;	/* RFC 7252 §4.8: ACK_TIMEOUT >= 1 s */
		break;
	case KW_ACK_RANDOM_FACTOR:
		rg = &sp->ack_random_factor;
		centi = 1;
		floor = 100;	/* RFC 7252 §4.8: ACK_RANDOM_FACTOR >= 1.0 */
		break;
	default:
		return perr(p, st->line, "\"%s\" is not valid in a session "
		    "block", st->tok[0].s);
	}
	if (st->ntok != 4 || strcmp(st->tok[2].s, "default") != 0 ||
	    (dots = strstr(st->tok[1].s, "..")) == NULL ||
	    (size_t)(dots - st->tok[1].s) >= sizeof(lo))
		return perr(p, st->line, "usage: %s MIN..MAX default CUR",
		    st->tok[0].s);
	memcpy(lo, st->tok[1].s, (size_t)(dots - st->tok[1].s));
	lo[dots - st->tok[1].s] = '\0';
	if (centi) {
		r1 = parse_centi(lo, &nr.min);
		r2 = parse_centi(dots + 2, &nr.max);
		r3 = parse_centi(st->tok[3].s, &nr.cur);
	} else {
		/* YANG uint16 (RFC 9132 §5.3). */
		r1 = parse_u32(lo, 0, 65535, &nr.min);
		r2 = parse_u32(dots + 2, 0, 65535, &nr.max);
		r3 = parse_u32(st->tok[3].s, 0, 65535, &nr.cur);
	}
	if (r1 != 0 || r2 != 0 || r3 != 0)
		return perr(p, st->line, "%s: bad number%s", st->tok[0].s,
		    centi ? " (decimal with at most 2 digits)" : "");
	if (centi && nr.max > 65535)
		return perr(p, st->line, "%s: too large", st->tok[0].s);
	if (nr.min > nr.max)
		return perr(p, st->line, "%s: min %s > max", st->tok[0].s, lo);
	if (nr.cur < nr.min || nr.cur > nr.max)
		return perr(p, st->line, "%s: default %s outside %s",
		    st->tok[0].s, st->tok[3].s, st->tok[1].s);
	if (nr.min < floor)
		return perr(p, st->line, "%s: must be at least 1.00",
		    st->tok[0].s);
	*rg = nr;
	return 0;
}

static int
st_identity(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "identity spki-sha256 HEX | cn \"X\" | "
	    "san-dns \"X\" | psk \"ID\" key HEX";
	struct client_conf *cl = p->client;
	uint8_t	 spki[32];
	int	 n, i;
	const char *kind;

	if (cl->id_kind != ID_NONE)
		return perr(p, st->line, "client \"%s\": more than one identity",
		    cl->name);
	if (st->ntok < 3)
		return perr(p, st->line, "usage: %s", usage);
	kind = st->tok[1].s;
	if (strcmp(kind, "spki-sha256") == 0 && st->ntok == 3) {
		if (parse_hex(st->tok[2].s, spki, sizeof(spki)) != 32)
			return perr(p, st->line, "spki-sha256 needs 32 bytes "
			    "of hex");
		for (i = 0; i < 32; i++)
			snprintf(cl->id_value + 2 * i, 3, "%02x", spki[i]);
		cl->id_kind = ID_SPKI_SHA256;
	} else if (strcmp(kind, "cn") == 0 && st->ntok == 3) {
		if (copy_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		cl->id_kind = ID_SUBJECT_CN;
	} else if (strcmp(kind, "san-dns") == 0 && st->ntok == 3) {
		if (copy_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		cl->id_kind = ID_SAN_DNS;
	} else if (strcmp(kind, "psk") == 0 && st->ntok == 5 &&
	    strcmp(st->tok[3].s, "key") == 0) {
		if (copy_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		n = parse_hex(st->tok[4].s, cl->psk_key, sizeof(cl->psk_key));
		if (n < 0)
			return perr(p, st->line, "psk key: 1 to %zu bytes of "
			    "hex", sizeof(cl->psk_key));
		cl->psk_len = (size_t)n;
		cl->id_kind = ID_PSK;
	} else
		return perr(p, st->line, "usage: %s", usage);
	return 0;
}

static int
st_prefix(struct parser *p, const struct stmt *st)
{
	struct client_conf *cl = p->client;
	struct mit_prefix pfx;
	uint32_t i;
	int	 t;

	if (st->ntok < 2)
		return perr(p, st->line, "usage: prefix P ...");
	for (t = 1; t < st->ntok; t++) {
		if (prefix_parse(st->tok[t].s, &pfx) != 0)
			return perr(p, st->line, "%s \"%s\"",
			    prefix_why(st->tok[t].s), st->tok[t].s);
		for (i = 0; i < cl->nprefixes; i++)
			if (memcmp(&cl->prefixes[i], &pfx, sizeof(pfx)) == 0)
				return perr(p, st->line, "duplicate prefix "
				    "\"%s\"", st->tok[t].s);
		if (cl->nprefixes == CONF_MAX_PREFIXES)
			return perr(p, st->line, "more than %d prefixes",
			    CONF_MAX_PREFIXES);
		cl->prefixes[cl->nprefixes++] = pfx;
	}
	return 0;
}

static int
st_mitigate_with(struct parser *p, const struct stmt *st)
{
	uint8_t	w = 0;
	int	i;

	if (st->ntok < 2)
		return perr(p, st->line, "usage: mitigate-with xdp|flowspec|"
		    "rtbh ...");
	for (i = 1; i < st->ntok; i++) {
		if (strcmp(st->tok[i].s, "xdp") == 0)
			w |= MIT_WHERE_XDP;
		else if (strcmp(st->tok[i].s, "flowspec") == 0)
			w |= MIT_WHERE_FLOWSPEC;
		else if (strcmp(st->tok[i].s, "rtbh") == 0)
			w |= MIT_WHERE_RTBH;
		else
			return perr(p, st->line, "mitigate-with: unknown "
			    "backend \"%s\"", st->tok[i].s);
	}
	p->client->policy.backends = w;
	return 0;
}

static int
st_pin_level(struct parser *p, const struct stmt *st)
{
	static const char *const levels[] = {
		[MIT_LEVEL_LOCAL] = "local",
		[MIT_LEVEL_FLOWSPEC] = "flowspec",
		[MIT_LEVEL_RTBH] = "rtbh",
	};
	int	i;

	if (need(p, st, 2, "pin-level auto|local|flowspec|rtbh") != 0)
		return -EINVAL;
	if (strcmp(st->tok[1].s, "auto") == 0) {
		p->client->policy.pin_level = -1;
		return 0;
	}
	for (i = 0; i < 3; i++)
		if (strcmp(st->tok[1].s, levels[i]) == 0) {
			p->client->policy.pin_level = (int8_t)i;
			return 0;
		}
	return perr(p, st->line, "usage: pin-level auto|local|flowspec|rtbh");
}

static int
client_stmt(struct parser *p, const struct stmt *st, int kw)
{
	struct client_conf *cl = p->client;
	uint32_t v;
	int	 r;

	switch (kw) {
	case KW_IDENTITY:
		return st_identity(p, st);
	case KW_PREFIX:
		return st_prefix(p, st);
	case KW_MAX_MITIGATIONS:
		if ((r = st_u32(p, st, 1, 1000000, &v)) == 0)
			cl->max_mitigations = v;
		return r;
	case KW_MAX_LIFETIME:
		if ((r = st_u32(p, st, 1, UINT32_MAX - 1, &v)) == 0)
			cl->max_lifetime = v;
		return r;
	case KW_INDEFINITE_LIFETIME:
		return st_yesno(p, st, &cl->allow_indefinite);
	case KW_MIN_PREFIX_LEN4:
		if ((r = st_u32(p, st, 0, 32, &v)) == 0)
			cl->min_len4 = (uint8_t)v;
		return r;
	case KW_MIN_PREFIX_LEN6:
		if ((r = st_u32(p, st, 0, 128, &v)) == 0)
			cl->min_len6 = (uint8_t)v;
		return r;
	case KW_GATEWAY:
		return st_yesno(p, st, &cl->gateway);
	case KW_MITIGATE_WITH:
		return st_mitigate_with(p, st);
	case KW_PIN_LEVEL:
		return st_pin_level(p, st);
	case KW_MAX_RULES:
		if ((r = st_u32(p, st, 0, UINT32_MAX, &v)) == 0)
			cl->policy.max_rules = v;
		return r;
	default:
		return perr(p, st->line, "\"%s\" is not valid in a client "
		    "block", st->tok[0].s);
	}
}

static int
kv_append(struct kv_conf *kv, size_t *used, const char *s)
{
	size_t	n = strlen(s);

	if (*used + n >= sizeof(kv->value))
		return -E2BIG;
	memcpy(kv->value + *used, s, n + 1);
	*used += n;
	return 0;
}

/* A line of xdp/bgp/mitigation: first word = key, the rest = value. */
static int
opaque_stmt(struct parser *p, const struct stmt *st)
{
	struct dotsd_conf *c = p->conf;
	struct kv_conf *kv, *nkv;
	const char *q;
	char	 esc[3];
	size_t	 used = 0;
	int	 i, r = 0;

	if (st->tok[0].quoted)
		return perr(p, st->line, "keyword expected, not a string");
	if (strlen(st->tok[0].s) >= sizeof(kv->key))
		return perr(p, st->line, "keyword too long");
	if ((c->nkv & 15) == 0) {
		nkv = reallocarray(c->kv, (size_t)c->nkv + 16, sizeof(*c->kv));
		if (nkv == NULL)
			return perr(p, st->line, "out of memory");
		c->kv = nkv;
	}
	kv = &c->kv[c->nkv];
	memset(kv, 0, sizeof(*kv));
	strcpy(kv->section, p->section);
	strcpy(kv->key, st->tok[0].s);
	kv->line = st->line;
	/*
	 * Words joined by one blank; quoted ones keep their quotes (and
	 * escapes), so that the value prints back as it was written.
	 */
	for (i = 1; i < st->ntok; i++) {
		if (i > 1 && (r = kv_append(kv, &used, " ")) != 0)
			break;
		if (!st->tok[i].quoted) {
			if ((r = kv_append(kv, &used, st->tok[i].s)) != 0)
				break;
			continue;
		}
		r = kv_append(kv, &used, "\"");
		for (q = st->tok[i].s; r == 0 && *q != '\0'; q++) {
			esc[0] = '\\';
			esc[1] = *q;
			esc[2] = '\0';
			r = kv_append(kv, &used, *q == '"' || *q == '\\' ?
			    esc : esc + 1);
		}
		if (r == 0)
			r = kv_append(kv, &used, "\"");
		if (r != 0)
			break;
	}
	if (r != 0)
		return perr(p, st->line, "value too long");
	c->nkv++;
	return 0;
}

static int
open_client(struct parser *p, const struct stmt *st)
{
	struct dotsd_conf *c = p->conf;
	struct client_conf *ncl, *cl;
	int	i;

	if (st->ntok != 2)
		return perr(p, st->line, "usage: client \"NAME\" { ... }");
	if (st->tok[1].s[0] == '\0' || strlen(st->tok[1].s) >= MIT_NAME_LEN)
		return perr(p, st->line, "client name must be 1 to %d "
		    "characters", MIT_NAME_LEN - 1);
	for (i = 0; st->tok[1].s[i] != '\0'; i++)
		if (!isgraph((unsigned char)st->tok[1].s[i]))
			return perr(p, st->line, "client name with blank or "
			    "control character");
	for (i = 0; i < c->nclients; i++)
		if (strcmp(c->clients[i].name, st->tok[1].s) == 0)
			return perr(p, st->line, "duplicate client \"%s\" "
			    "(first at line %d)", st->tok[1].s,
			    c->clients[i].line);
	if ((c->nclients & 7) == 0) {
		ncl = reallocarray(c->clients, (size_t)c->nclients + 8,
		    sizeof(*c->clients));
		if (ncl == NULL)
			return perr(p, st->line, "out of memory");
		c->clients = ncl;
	}
	cl = &c->clients[c->nclients++];
	memset(cl, 0, sizeof(*cl));
	client_defaults(cl);
	strcpy(cl->name, st->tok[1].s);
	cl->line = st->line;
	p->client = cl;
	p->ctx = CTX_CLIENT;
	return 0;
}

static int
open_block(struct parser *p, const struct stmt *st)
{
	const struct keyword *k;

	if (p->ctx != CTX_TOP)
		return perr(p, st->line, "blocks do not nest");
	if (st->ntok == 0)
		return perr(p, st->line, "'{' without a keyword");
	if ((k = lookup(st->tok[0].s)) == NULL || st->tok[0].quoted)
		return perr(p, st->line, "unknown keyword \"%s\"",
		    st->tok[0].s);
	p->block_line = st->line;
	switch (k->id) {
	case KW_CLIENT:
		return open_client(p, st);
	case KW_SESSION:
		if (st->ntok == 2 && strcmp(st->tok[1].s, "idle") == 0)
			p->sess = &p->conf->idle;
		else if (st->ntok == 2 &&
		    strcmp(st->tok[1].s, "mitigating") == 0)
			p->sess = &p->conf->mitigating;
		else
			return perr(p, st->line, "usage: session idle|"
			    "mitigating { ... }");
		p->ctx = CTX_SESSION;
		return 0;
	case KW_XDP:
	case KW_BGP:
	case KW_MITIGATION:
		if (st->ntok != 1)
			return perr(p, st->line, "usage: %s { ... }",
			    k->name);
		strcpy(p->section, k->name);
		p->ctx = CTX_OPAQUE;
		return 0;
	default:
		return perr(p, st->line, "\"%s\" takes no block", k->name);
	}
}

static int
do_stmt(struct parser *p, const struct stmt *st)
{
	const struct keyword *k;

	if (p->ctx == CTX_OPAQUE)
		return opaque_stmt(p, st);
	if ((k = lookup(st->tok[0].s)) == NULL || st->tok[0].quoted)
		return perr(p, st->line, "unknown keyword \"%s\"",
		    st->tok[0].s);
	if (!(k->ctx & p->ctx))
		return perr(p, st->line, "\"%s\" is not valid %s", k->name,
		    p->ctx == CTX_TOP ? "at top level" :
		    p->ctx == CTX_CLIENT ? "in a client block" :
		    "in a session block");
	switch (p->ctx) {
	case CTX_TOP:
		return top_stmt(p, st, k->id);
	case CTX_SESSION:
		return sess_stmt(p, st, k->id);
	default:
		return client_stmt(p, st, k->id);
	}
}

static int
parse_file(struct parser *p, const char *path, int incl_line)
{
	struct lexer lx;
	struct stmt *st;
	const char *saved_file = p->file;
	char	 why[256];
	int	 r;

	if ((r = lex_open(&lx, path, why, sizeof(why))) != 0) {
		if (incl_line > 0)
			return perr(p, incl_line, "include \"%s\": %s", path,
			    why);
		if (p->err != NULL && p->errlen > 0)
			snprintf(p->err, p->errlen, "%s: %s", path, why);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if ((st = malloc(sizeof(*st))) == NULL) {
		lex_close(&lx);
		return -ENOMEM;
	}
	p->file = path;
	p->depth++;
	for (;;) {
		if ((r = lex_stmt(p, &lx, st)) != 0)
			break;
		if (st->term == TERM_OPEN) {
			if ((r = open_block(p, st)) != 0)
				break;
			continue;
		}
		if (st->ntok > 0 && p->depth == 1)
			p->last_line = st->line;
		if (st->ntok > 0 && (r = do_stmt(p, st)) != 0)
			break;
		if (st->term == TERM_CLOSE) {
			if (p->ctx == CTX_TOP) {
				r = perr(p, st->line, "'}' without a block");
				break;
			}
			p->ctx = CTX_TOP;
			p->client = NULL;
			p->sess = NULL;
		}
		if (st->term == TERM_EOF) {
			if (p->ctx != CTX_TOP)
				r = perr(p, lx.line, "missing '}' for the "
				    "block opened at line %d", p->block_line);
			break;
		}
	}
	p->depth--;
	free(st);
	lex_close(&lx);
	if (r == 0)
		p->file = saved_file;
	return r;
}

/* ------------------------------------------------------------------ */
/* Whole-file checks                                                  */
/* ------------------------------------------------------------------ */

static int
same_identity(const struct client_conf *a, const struct client_conf *b)
{
	if (a->id_kind != b->id_kind)
		return 0;
	if (a->id_kind == ID_SAN_DNS)
		return strcasecmp(a->id_value, b->id_value) == 0;
	return strcmp(a->id_value, b->id_value) == 0;
}

static int
check_clients(struct parser *p)
{
	struct dotsd_conf *c = p->conf;
	struct client_conf *cl;
	int	 i, j;

	for (i = 0; i < c->nclients; i++) {
		cl = &c->clients[i];
		if (cl->id_kind == ID_NONE)
			return perr(p, cl->line, "client \"%s\": no identity",
			    cl->name);
		if (cl->id_kind == ID_PSK && !c->psk)
			return perr(p, cl->line, "client \"%s\": psk identity "
			    "but \"psk yes\" is not set", cl->name);
		if (cl->nprefixes == 0)
			return perr(p, cl->line, "client \"%s\": no prefix",
			    cl->name);
		for (j = 0; j < i; j++)
			if (same_identity(cl, &c->clients[j]))
				return perr(p, cl->line, "client \"%s\": same "
				    "identity as client \"%s\"", cl->name,
				    c->clients[j].name);
		if (cl->max_lifetime == 0)
			cl->max_lifetime = c->max_lifetime;
		else if (cl->max_lifetime > c->max_lifetime)
			return perr(p, cl->line, "client \"%s\": max-lifetime "
			    "%u exceeds the global lifetime max %u", cl->name,
			    cl->max_lifetime, c->max_lifetime);
		if (cl->policy.backends == 0)
			return perr(p, cl->line, "client \"%s\": no backend",
			    cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_LOCAL &&
		    !(cl->policy.backends & MIT_WHERE_XDP))
			return perr(p, cl->line, "client \"%s\": pin-level "
			    "local needs mitigate-with xdp", cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_FLOWSPEC &&
		    !(cl->policy.backends & MIT_WHERE_FLOWSPEC))
			return perr(p, cl->line, "client \"%s\": pin-level "
			    "flowspec needs mitigate-with flowspec", cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_RTBH &&
		    !(cl->policy.backends & MIT_WHERE_RTBH))
			return perr(p, cl->line, "client \"%s\": pin-level "
			    "rtbh needs mitigate-with rtbh", cl->name);
		/* The engine announces no shorter prefix than asked for. */
		cl->policy.min_len4 = cl->min_len4;
		cl->policy.min_len6 = cl->min_len6;
	}
	return 0;
}

/*
 * A server certificate and key are needed unless every client uses a PSK;
 * a CA is needed to validate client certificates named by cn or san-dns
 * (an spki-sha256 pin authenticates on its own).
 */
static int
check_credentials(struct parser *p)
{
	struct dotsd_conf *c = p->conf;
	int	i, need_cert = !c->psk, need_ca = 0, line;

	line = p->first_listen_line ? p->first_listen_line : p->last_line;
	for (i = 0; i < c->nclients; i++) {
		if (c->clients[i].id_kind != ID_PSK)
			need_cert = 1;
		if (c->clients[i].id_kind == ID_SUBJECT_CN ||
		    c->clients[i].id_kind == ID_SAN_DNS) {
			need_ca = 1;
			if (!p->first_listen_line)
				line = c->clients[i].line;
		}
	}
	if (need_cert && c->cert[0] == '\0')
		return perr(p, line, "listener needs a \"certificate\"");
	if (need_cert && c->key[0] == '\0')
		return perr(p, line, "listener needs a \"key\"");
	if (c->cert[0] != '\0' && c->key[0] == '\0')
		return perr(p, line, "\"certificate\" without \"key\"");
	if (c->key[0] != '\0' && c->cert[0] == '\0')
		return perr(p, line, "\"key\" without \"certificate\"");
	if (need_ca && c->ca[0] == '\0')
		return perr(p, line, "clients named by cn or san-dns need "
		    "a \"ca\"");
	return 0;
}

/*
 * No "listen": DTLS and TLS on ::, port 4646. libcoap binds :: dual-stack
 * (IPV6_V6ONLY off), so this takes IPv4 too; a second TLS listener on
 * 0.0.0.0 and the same port would fail with EADDRINUSE.
 */
static void
default_listeners(struct dotsd_conf *c)
{
	struct listen_conf *l;
	int	proto;

	for (proto = LISTEN_DTLS; proto <= LISTEN_TLS; proto++) {
		l = &c->listen[c->nlisten++];
		l->proto = (uint8_t)proto;
		strcpy(l->addr, "::");
		l->port = DOTS_PORT;
		l->line = 0;
	}
}

/* TLS on 0.0.0.0 and on :: with one port cannot both bind (see above). */
static int
check_listeners(struct parser *p)
{
	const struct listen_conf *a, *b;
	int	i, j;

	for (i = 0; i < p->conf->nlisten; i++) {
		a = &p->conf->listen[i];
		if (a->proto != LISTEN_TLS || (strcmp(a->addr, "::") != 0 &&
		    strcmp(a->addr, "0.0.0.0") != 0))
			continue;
		for (j = 0; j < i; j++) {
			b = &p->conf->listen[j];
			if (b->proto == LISTEN_TLS && b->port == a->port &&
			    strcmp(b->addr, a->addr) != 0 &&
			    (strcmp(b->addr, "::") == 0 ||
			    strcmp(b->addr, "0.0.0.0") == 0))
				return perr(p, a->line, "tls on %s and %s "
				    "port %u: \"::\" takes IPv4 as well, "
				    "listen on one of them", b->addr, a->addr,
				    a->port);
		}
	}
	return 0;
}

int
conf_parse(const char *path, struct dotsd_conf **out, char *err, size_t errlen)
{
	struct dotsd_conf *c;
	struct parser p;
	int	r;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if (strlen(path) >= sizeof(c->path)) {
		free(c);
		if (err != NULL)
			snprintf(err, errlen, "%s: path too long", path);
		return -EINVAL;
	}
	strcpy(c->path, path);
	conf_defaults(c);

	memset(&p, 0, sizeof(p));
	p.conf = c;
	p.file = c->path;
	p.err = err;
	p.errlen = errlen;
	p.ctx = CTX_TOP;
	r = parse_file(&p, c->path, 0);
	if (r == 0)
		r = check_listeners(&p);
	if (r == 0)
		r = check_clients(&p);
	if (r == 0)
		r = check_credentials(&p);
	if (r != 0) {
		conf_free(c);
		return r;
	}
	if (c->nlisten == 0)
		default_listeners(c);
	*out = c;
	return 0;
}

void
conf_free(struct dotsd_conf *c)
{
	int	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nclients; i++)
		explicit_bzero(c->clients[i].psk_key,
		    sizeof(c->clients[i].psk_key));
	free(c->clients);
	free(c->kv);
	free(c);
}
