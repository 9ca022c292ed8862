/*
 * conf_top.c: dotsd.conf top-level statements: listeners, credentials,
 * files, metrics, resolvers, lifetimes, limits and include.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dotsd/conf_int.h"

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
			return conf_perr(p, line, "duplicate listener %s port %u %s",
			    addr, port, proto == LISTEN_DTLS ? "dtls" : "tls");
	}
	if (c->nlisten == CONF_MAX_LISTEN)
		return conf_perr(p, line, "more than %d listeners", CONF_MAX_LISTEN);
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
		return conf_perr(p, st->line, "usage: %s", usage);
	if (conf_value_addr(st->tok[2].s, addr, sizeof(addr)) != 0)
		return conf_perr(p, st->line, "bad listen address \"%s\"",
		    st->tok[2].s);
	if (i + 1 < st->ntok && strcmp(st->tok[i].s, "port") == 0) {
		if (conf_value_u32(st->tok[i + 1].s, 1, 65535, &port) != 0)
			return conf_perr(p, st->line, "bad port \"%s\"",
			    st->tok[i + 1].s);
		i += 2;
	}
	if (i < st->ntok) {
		if (strcmp(st->tok[i].s, "dtls") == 0)
			proto = LISTEN_DTLS;
		else if (strcmp(st->tok[i].s, "tls") == 0)
			proto = LISTEN_TLS;
		else
			return conf_perr(p, st->line, "usage: %s", usage);
		i++;
	}
	if (i != st->ntok)
		return conf_perr(p, st->line, "usage: %s", usage);
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

/* data-channel listen ADDR [port N]: RFC 8783 RESTCONF over HTTPS */
static int
st_data_channel(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "data-channel listen ADDR [port N]";
	struct dotsd_conf *c = p->conf;
	struct listen_conf *l;
	char	 addr[64];
	uint32_t port = DC_PORT;
	int	 i;

	if ((st->ntok != 3 && st->ntok != 5) ||
	    strcmp(st->tok[1].s, "listen") != 0 ||
	    (st->ntok == 5 && strcmp(st->tok[3].s, "port") != 0))
		return conf_perr(p, st->line, "usage: %s", usage);
	if (conf_value_addr(st->tok[2].s, addr, sizeof(addr)) != 0)
		return conf_perr(p, st->line, "bad data-channel address "
		    "\"%s\"", st->tok[2].s);
	if (st->ntok == 5 &&
	    conf_value_u32(st->tok[4].s, 1, 65535, &port) != 0)
		return conf_perr(p, st->line, "bad port \"%s\"",
		    st->tok[4].s);
	for (i = 0; i < c->ndc_listen; i++)
		if (c->dc_listen[i].port == port &&
		    strcmp(c->dc_listen[i].addr, addr) == 0)
			return conf_perr(p, st->line, "duplicate data-channel "
			    "listener %s port %u", addr, port);
	if (c->ndc_listen == CONF_MAX_DC_LISTEN)
		return conf_perr(p, st->line, "more than %d data-channel "
		    "listeners", CONF_MAX_DC_LISTEN);
	l = &c->dc_listen[c->ndc_listen++];
	l->proto = LISTEN_TLS;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->port = (uint16_t)port;
	l->line = st->line;
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

	if (conf_value_need(p, st, 2, "resolver ADDR[:PORT]") != 0)
		return -EINVAL;
	if (strlen(s) >= sizeof(host))
		return conf_perr(p, st->line, "bad resolver \"%s\"", s);
	if (s[0] == '[') {
		strcpy(host, s + 1);
		if ((colon = strchr(host, ']')) == NULL)
			return conf_perr(p, st->line, "bad resolver \"%s\"", s);
		*colon++ = '\0';
		if (*colon == ':') {
			if (conf_value_u32(colon + 1, 1, 65535, &port) != 0)
				return conf_perr(p, st->line, "bad resolver port "
				    "in \"%s\"", s);
		} else if (*colon != '\0')
			return conf_perr(p, st->line, "bad resolver \"%s\"", s);
		if (!strchr(host, ':'))
			return conf_perr(p, st->line, "bad resolver \"%s\"", s);
	} else {
		strcpy(host, s);
		colon = strchr(host, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			if (conf_value_u32(colon + 1, 1, 65535, &port) != 0)
				return conf_perr(p, st->line, "bad resolver port "
				    "in \"%s\"", s);
		}
	}
	if (conf_value_addr(host, addr, sizeof(addr)) != 0)
		return conf_perr(p, st->line, "bad resolver address \"%s\"", s);
	if (strchr(addr, ':'))
		snprintf(ent, sizeof(ent), "[%s]:%u", addr, port);
	else
		snprintf(ent, sizeof(ent), "%s:%u", addr, port);
	used = strlen(c->resolver);
	if (used + strlen(ent) + 2 > sizeof(c->resolver))
		return conf_perr(p, st->line, "too many resolvers");
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
		return conf_perr(p, st->line, "usage: %s", usage);
	if (conf_value_addr(st->tok[2].s, p->conf->metrics_addr,
	    sizeof(p->conf->metrics_addr)) != 0)
		return conf_perr(p, st->line, "bad metrics address \"%s\"",
		    st->tok[2].s);
	if (conf_value_u32(st->tok[4].s, 1, 65535, &port) != 0)
		return conf_perr(p, st->line, "bad port \"%s\"", st->tok[4].s);
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
		return conf_perr(p, st->line, "usage: %s", usage);
	for (i = 1; i < st->ntok; i += 2) {
		if (conf_value_u32(st->tok[i + 1].s, 1, UINT32_MAX - 1, &v) != 0)
			return conf_perr(p, st->line, "bad lifetime \"%s\"",
			    st->tok[i + 1].s);
		if (strcmp(st->tok[i].s, "default") == 0)
			p->conf->default_lifetime = v;
		else if (strcmp(st->tok[i].s, "max") == 0)
			p->conf->max_lifetime = v;
		else
			return conf_perr(p, st->line, "usage: %s", usage);
	}
	if (p->conf->default_lifetime > p->conf->max_lifetime)
		return conf_perr(p, st->line, "default lifetime %u exceeds max %u",
		    p->conf->default_lifetime, p->conf->max_lifetime);
	return 0;
}

static int
st_include(struct parser *p, const struct stmt *st)
{
	char	path[PATH_MAX];
	const char *slash;

	if (conf_value_need(p, st, 2, "include \"FILE\"") != 0)
		return -EINVAL;
	if (p->depth >= CONF_MAX_INCLUDE)
		return conf_perr(p, st->line, "includes nested too deeply");
	/* A relative name is relative to the including file. */
	slash = strrchr(p->file, '/');
	if (st->tok[1].s[0] != '/' && slash != NULL) {
		if (snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - p->file), p->file, st->tok[1].s) >=
		    (int)sizeof(path))
			return conf_perr(p, st->line, "include path too long");
	} else if (snprintf(path, sizeof(path), "%s", st->tok[1].s) >=
	    (int)sizeof(path))
		return conf_perr(p, st->line, "include path too long");
	return conf_parse_file(p, path, st->line);
}

int
conf_top_stmt(struct parser *p, const struct stmt *st, int kw)
{
	struct dotsd_conf *c = p->conf;
	uint32_t v;
	int	 r;

	switch (kw) {
	case KW_LISTEN:
		return st_listen(p, st);
	case KW_CERTIFICATE:
		return conf_value_st_path(p, st, c->cert, sizeof(c->cert));
	case KW_KEY:
		return conf_value_st_path(p, st, c->key, sizeof(c->key));
	case KW_CA:
		return conf_value_st_path(p, st, c->ca, sizeof(c->ca));
	case KW_PSK:
		return conf_value_st_yesno(p, st, &c->psk);
	case KW_DATABASE:
		return conf_value_st_path(p, st, c->db, sizeof(c->db));
	case KW_CONTROL:
		return conf_value_st_path(p, st, c->control, sizeof(c->control));
	case KW_YANG_DIR:
		return conf_value_st_path(p, st, c->yang_dir, sizeof(c->yang_dir));
	case KW_METRICS:
		return st_metrics(p, st);
	case KW_DATA_CHANNEL:
		return st_data_channel(p, st);
	case KW_RESOLVER:
		return st_resolver(p, st);
	case KW_LIFETIME:
		return st_lifetime(p, st);
	case KW_ABT:
		/* RFC 9132 §4.4.4: at most 300 seconds. */
		if ((r = conf_value_st_u32(p, st, 0, 300, &v)) == 0)
			c->abt_period = v;
		return r;
	case KW_MAX_SESSIONS:
		if ((r = conf_value_st_u32(p, st, 1, 1000000, &v)) == 0)
			c->max_sessions = v;
		return r;
	case KW_INCLUDE:
		return st_include(p, st);
	case KW_SIGNAL:
		/* an edge box that only enforces received flowspec */
		if (conf_value_need(p, st, 2, "signal on|off") != 0)
			return -EINVAL;
		if (strcmp(st->tok[1].s, "on") != 0 &&
		    strcmp(st->tok[1].s, "off") != 0)
			return conf_perr(p, st->line, "signal on|off");
		c->signal_off = strcmp(st->tok[1].s, "off") == 0;
		return 0;
	default:
		return conf_perr(p, st->line, "\"%s\" needs a block: %s ... { }",
		    st->tok[0].s, st->tok[0].s);
	}
}
