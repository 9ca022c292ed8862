/*
 * datachan_res.c: the RFC 8783 resources, answered in the main loop for
 * a request the HTTP thread has parsed and validated (datachan_int.h).
 * Identifies the client from its certificate exactly as the signal
 * channel does (authz.c: spki-sha256, cn, san-dns), then maps method and
 * target onto the acl.h API and wraps what it returns as RFC 8040 says
 * (a GET of a list entry answers {"module:list": [entry]}).
 */
#include <stdio.h>
#include <string.h>

#include "dotsd/datachan_int.h"
#include "lib/log.h"

#define DC_MOD	"ietf-dots-data-channel:"

static void
set(struct dc_job *j, int code, const char *tag, const char *why)
{
	j->res.code = code;
	snprintf(j->res.tag, sizeof(j->res.tag), "%s", tag);
	snprintf(j->res.why, sizeof(j->res.why), "%s", why);
}

/* {"ietf-dots-data-channel:<key>": v}, or NULL when v is. */
static json_t *
wrap(const char *key, json_t *v, int as_list)
{
	char	k[96];

	if (v == NULL)
		return NULL;
	snprintf(k, sizeof(k), DC_MOD "%s", key);
	if (as_list)
		return json_pack("{s:[o]}", k, v);
	return json_pack("{s:o}", k, v);
}

static void
serve_client(const struct client_conf *c, struct dc_job *j)
{
	switch (j->method) {
	case DC_PUT:
		acl_client_put(c, j->cuid, j->cdid, 0, &j->res);
		break;
	case DC_DELETE:
		acl_client_del(c, j->cuid, &j->res);
		break;
	case DC_GET:
		j->reply = wrap("dots-client", acl_client_get(c, j->cuid,
		    &j->res), 1);
		break;
	case DC_POST:
		if (j->child == 1)
			acl_alias_put(c, j->cuid, j->body, 1, &j->res);
		else
			acl_acl_put(c, j->cuid, j->body, 1, &j->res);
		break;
	}
}

static void
serve_alias(const struct client_conf *c, struct dc_job *j)
{
	const char	*name = j->target == DC_T_ALIAS ? j->name : NULL;

	if (j->method == DC_GET)
		j->reply = name ? wrap("alias", acl_alias_get(c, j->cuid,
		    name, &j->res), 1) : wrap("aliases", acl_alias_get(c,
		    j->cuid, NULL, &j->res), 0);
	else if (j->method == DC_PUT)
		acl_alias_put(c, j->cuid, j->body, 0, &j->res);
	else if (j->method == DC_DELETE)
		acl_alias_del(c, j->cuid, name, &j->res);
}

static void
serve_acl(const struct client_conf *c, struct dc_job *j)
{
	const char	*name = j->target == DC_T_ACL ? j->name : NULL;

	if (j->method == DC_GET)
		j->reply = name ? wrap("acl", acl_acl_get(c, j->cuid, name,
		    &j->res), 1) : wrap("acls", acl_acl_get(c, j->cuid, NULL,
		    &j->res), 0);
	else if (j->method == DC_PUT)
		acl_acl_put(c, j->cuid, j->body, 0, &j->res);
	else if (j->method == DC_DELETE)
		acl_acl_del(c, j->cuid, name, &j->res);
}

void
datachan_serve(const struct dotsd_conf *conf, struct dc_job *j)
{
	const struct client_conf *c;

	memset(&j->res, 0, sizeof(j->res));
	j->reply = NULL;
	if ((c = authz_by_cert(conf, j->der, j->derlen)) == NULL) {
		/* the signal channel refuses such a peer at the handshake */
		log_info("data channel: certificate of no configured client");
		set(j, 403, "access-denied", "not a configured DOTS client");
		return;
	}
	switch (j->target) {
	case DC_T_CAPS:
		j->reply = wrap("capabilities", acl_capabilities(), 0);
		set(j, 200, "", "");
		break;
	case DC_T_DATA:		/* POST: registration (§5.1) */
		acl_client_put(c, j->cuid, j->cdid, 1, &j->res);
		break;
	case DC_T_CLIENT:
		serve_client(c, j);
		break;
	case DC_T_ALIASES:
	case DC_T_ALIAS:
		serve_alias(c, j);
		break;
	case DC_T_ACLS:
	case DC_T_ACL:
		serve_acl(c, j);
		break;
	default:
		set(j, 404, "invalid-value", "no such resource");
	}
	if (j->res.code >= 400)
		log_debug("data channel: client %s: %d %s: %s", c->name,
		    j->res.code, j->res.tag, j->res.why);}
