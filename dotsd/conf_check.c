/*
 * conf_check.c: dotsd.conf whole-file checks, run once the file is
 * parsed: clients complete and distinct, credentials for the listeners
 * and clients, listeners that can all bind.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "dotsd/conf_int.h"

static int
same_identity(const struct client_conf *a, const struct client_conf *b)
{
	if (a->id_kind != b->id_kind)
		return 0;
	if (a->id_kind == ID_SAN_DNS)
		return strcasecmp(a->id_value, b->id_value) == 0;
	return strcmp(a->id_value, b->id_value) == 0;
}

int
conf_check_clients(struct parser *p)
{
	struct dotsd_conf *c = p->conf;
	struct client_conf *cl;
	int	 i, j;

	for (i = 0; i < c->nclients; i++) {
		cl = &c->clients[i];
		if (cl->id_kind == ID_NONE)
			return conf_perr(p, cl->line, "client \"%s\": no identity",
			    cl->name);
		if (cl->id_kind == ID_PSK && !c->psk)
			return conf_perr(p, cl->line, "client \"%s\": psk identity "
			    "but \"psk yes\" is not set", cl->name);
		if (cl->nprefixes == 0)
			return conf_perr(p, cl->line, "client \"%s\": no prefix",
			    cl->name);
		for (j = 0; j < i; j++)
			if (same_identity(cl, &c->clients[j]))
				return conf_perr(p, cl->line, "client \"%s\": same "
				    "identity as client \"%s\"", cl->name,
				    c->clients[j].name);
		if (cl->max_lifetime == 0)
			cl->max_lifetime = c->max_lifetime;
		else if (cl->max_lifetime > c->max_lifetime)
			return conf_perr(p, cl->line, "client \"%s\": max-lifetime "
			    "%u exceeds the global lifetime max %u", cl->name,
			    cl->max_lifetime, c->max_lifetime);
		if (cl->policy.backends == 0)
			return conf_perr(p, cl->line, "client \"%s\": no backend",
			    cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_LOCAL &&
		    !(cl->policy.backends & MIT_WHERE_XDP))
			return conf_perr(p, cl->line, "client \"%s\": pin-level "
			    "local needs mitigate-with xdp", cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_FLOWSPEC &&
		    !(cl->policy.backends & MIT_WHERE_FLOWSPEC))
			return conf_perr(p, cl->line, "client \"%s\": pin-level "
			    "flowspec needs mitigate-with flowspec", cl->name);
		if (cl->policy.pin_level == MIT_LEVEL_RTBH &&
		    !(cl->policy.backends & MIT_WHERE_RTBH))
			return conf_perr(p, cl->line, "client \"%s\": pin-level "
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
int
conf_check_credentials(struct parser *p)
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
		return conf_perr(p, line, "listener needs a \"certificate\"");
	if (need_cert && c->key[0] == '\0')
		return conf_perr(p, line, "listener needs a \"key\"");
	if (c->cert[0] != '\0' && c->key[0] == '\0')
		return conf_perr(p, line, "\"certificate\" without \"key\"");
	if (c->key[0] != '\0' && c->cert[0] == '\0')
		return conf_perr(p, line, "\"key\" without \"certificate\"");
	if (c->ndc_listen > 0 && (c->cert[0] == '\0' || c->ca[0] == '\0'))
		return conf_perr(p, c->dc_listen[0].line, "the data channel "
		    "needs \"certificate\", \"key\" and \"ca\" (mutual "
		    "X.509)");
	if (need_ca && c->ca[0] == '\0')
		return conf_perr(p, line, "clients named by cn or san-dns need "
		    "a \"ca\"");
	return 0;
}

/*
 * TLS on 0.0.0.0 and on :: with one port cannot both bind: libcoap binds ::
 * dual-stack (see default_listeners() in conf.c).
 */
int
conf_check_listeners(struct parser *p)
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
				return conf_perr(p, a->line, "tls on %s and %s "
				    "port %u: \"::\" takes IPv4 as well, "
				    "listen on one of them", b->addr, a->addr,
				    a->port);
		}
	}
	return 0;
}
