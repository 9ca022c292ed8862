/*
 * conf.c: dotsd.conf parser, entry points and grammar. conf_lex.c cuts the
 * file into statements (ended by a newline, ';', '{' or '}'); here the
 * sorted keyword table says where each keyword is valid, and each
 * statement goes to the handler of its context: conf_top.c (top level),
 * conf_block.c (session, client and opaque blocks). conf_check.c checks
 * the whole file afterwards. The grammar is documented in doc/dotsd.conf.5.
 * Like every parser here it never logs: the first mistake becomes
 * "file:line: why".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf_int.h"

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
	{ "data-channel",		KW_DATA_CHANNEL,	CTX_TOP },
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
	{ "signal",			KW_SIGNAL,		CTX_TOP },
	{ "upstream",			KW_UPSTREAM,		CTX_TOP },
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

int
conf_perr(struct parser *p, int line, const char *fmt, ...)
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

/*
 * No "listen": DTLS and TLS on ::, port 4646. libcoap binds :: dual-stack
 * (IPV6_V6ONLY off), so this takes IPv4 too; a second TLS listener on
 * 0.0.0.0 and the same port would fail with EADDRINUSE (conf_check.c
 * refuses such a pair when configured).
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

/* ------------------------------------------------------------------ */
/* Grammar                                                            */
/* ------------------------------------------------------------------ */

static int
open_block(struct parser *p, const struct stmt *st)
{
	const struct keyword *k;

	if (p->ctx != CTX_TOP)
		return conf_perr(p, st->line, "blocks do not nest");
	if (st->ntok == 0)
		return conf_perr(p, st->line, "'{' without a keyword");
	if ((k = lookup(st->tok[0].s)) == NULL || st->tok[0].quoted)
		return conf_perr(p, st->line, "unknown keyword \"%s\"",
		    st->tok[0].s);
	p->block_line = st->line;
	switch (k->id) {
	case KW_CLIENT:
		return conf_block_open_client(p, st);
	case KW_SESSION:
		if (st->ntok == 2 && strcmp(st->tok[1].s, "idle") == 0)
			p->sess = &p->conf->idle;
		else if (st->ntok == 2 &&
		    strcmp(st->tok[1].s, "mitigating") == 0)
			p->sess = &p->conf->mitigating;
		else
			return conf_perr(p, st->line, "usage: session idle|"
			    "mitigating { ... }");
		p->ctx = CTX_SESSION;
		return 0;
	case KW_XDP:
	case KW_BGP:
	case KW_UPSTREAM:
	case KW_MITIGATION:
		if (st->ntok != 1)
			return conf_perr(p, st->line, "usage: %s { ... }",
			    k->name);
		strcpy(p->section, k->name);
		p->ctx = CTX_OPAQUE;
		return 0;
	default:
		return conf_perr(p, st->line, "\"%s\" takes no block", k->name);
	}
}

static int
do_stmt(struct parser *p, const struct stmt *st)
{
	const struct keyword *k;

	if (p->ctx == CTX_OPAQUE)
		return conf_block_opaque(p, st);
	if ((k = lookup(st->tok[0].s)) == NULL || st->tok[0].quoted)
		return conf_perr(p, st->line, "unknown keyword \"%s\"",
		    st->tok[0].s);
	if (!(k->ctx & p->ctx))
		return conf_perr(p, st->line, "\"%s\" is not valid %s", k->name,
		    p->ctx == CTX_TOP ? "at top level" :
		    p->ctx == CTX_CLIENT ? "in a client block" :
		    "in a session block");
	switch (p->ctx) {
	case CTX_TOP:
		return conf_top_stmt(p, st, k->id);
	case CTX_SESSION:
		return conf_block_sess(p, st, k->id);
	default:
		return conf_block_client(p, st, k->id);
	}
}

int
conf_parse_file(struct parser *p, const char *path, int incl_line)
{
	struct lexer lx;
	struct stmt *st;
	const char *saved_file = p->file;
	char	 why[256];
	int	 r;

	if ((r = conf_lex_open(&lx, path, why, sizeof(why))) != 0) {
		if (incl_line > 0)
			return conf_perr(p, incl_line, "include \"%s\": %s", path,
			    why);
		if (p->err != NULL && p->errlen > 0)
			snprintf(p->err, p->errlen, "%s: %s", path, why);
		return r == -ENOMEM ? r : -EINVAL;
	}
	if ((st = malloc(sizeof(*st))) == NULL) {
		conf_lex_close(&lx);
		return -ENOMEM;
	}
	p->file = path;
	p->depth++;
	for (;;) {
		if ((r = conf_lex_stmt(p, &lx, st)) != 0)
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
				r = conf_perr(p, st->line, "'}' without a block");
				break;
			}
			p->ctx = CTX_TOP;
			p->client = NULL;
			p->sess = NULL;
		}
		if (st->term == TERM_EOF) {
			if (p->ctx != CTX_TOP)
				r = conf_perr(p, lx.line, "missing '}' for the "
				    "block opened at line %d", p->block_line);
			break;
		}
	}
	p->depth--;
	free(st);
	conf_lex_close(&lx);
	if (r == 0)
		p->file = saved_file;
	return r;
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
	r = conf_parse_file(&p, c->path, 0);
	if (r == 0)
		r = conf_check_listeners(&p);
	if (r == 0)
		r = conf_check_clients(&p);
	if (r == 0 && c->signal_off && c->nlisten > 0)
		r = conf_perr(&p, p.first_listen_line, "\"listen\" with "
		    "\"signal off\"");
	if (r == 0 && !c->signal_off)
		r = conf_check_credentials(&p);
	if (r != 0) {
		conf_free(c);
		return r;
	}
	if (c->nlisten == 0 && !c->signal_off)
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
