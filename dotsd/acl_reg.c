/*
 * acl_reg.c: dots-client registrations (RFC 8783 §5), the store rows of
 * registrations, aliases and ACLs, and their reloading at start-up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl_int.h"
#include "lib/log.h"

static void
row_init(struct store_dc_row *row, uint8_t kind, const struct dc_client *d,
    const char *name)
{
	memset(row, 0, sizeof(*row));
	row->kind = kind;
	snprintf(row->cuid, sizeof(row->cuid), "%s", d->cuid);
	snprintf(row->name, sizeof(row->name), "%s", name);
	snprintf(row->client, sizeof(row->client), "%s", d->client);
	snprintf(row->cdid, sizeof(row->cdid), "%s", d->cdid);
}

/* An ACL's row: its config and the entry indexes ({"acl":..,"idx":..}). */
int
dc_acl_store(const struct dc_client *d, const struct dc_acl *a)
{
	struct store_dc_row	 row;
	json_t			*o = json_object(), *idx = json_object();
	uint32_t		 i;
	char			*text;
	int			 r;

	for (i = 0; i < a->nace; i++)
		json_object_set_new(idx, a->aces[i].name,
		    json_integer(a->aces[i].idx));
	json_object_set(o, "acl", a->cfg);
	json_object_set_new(o, "idx", idx);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	row_init(&row, STORE_DC_ACL, d, a->name);
	row.num = a->num;
	row.expires = a->expires;
	row.json = text;
	r = store_dc_put(&row);
	free(text);
	return r;
}

int
dc_alias_store(const struct dc_client *d, const struct dc_alias *a)
{
	struct store_dc_row	 row;
	char			*text = json_dumps(a->cfg, JSON_COMPACT);
	int			 r;

	if (text == NULL)
		return -ENOMEM;
	row_init(&row, STORE_DC_ALIAS, d, a->name);
	row.expires = a->expires;
	row.json = text;
	r = store_dc_put(&row);
	free(text);
	return r;
}

void
acl_client_put(const struct client_conf *c, const char *cuid,
    const char *cdid, int create_only, struct acl_res *res)
{
	struct store_dc_row	 row;
	struct dc_client	*d = dc_client_find(cuid), tmp;
	int			 fresh = d == NULL;

	if (cdid[0] != '\0' && !c->gateway) {
		dc_res_set(res, 400, "invalid-value", "cdid: client %s is no "
		    "gateway", c->name);
		return;
	}
	if (d != NULL && (strcmp(d->client, c->name) != 0 || create_only)) {
		dc_res_set(res, 409, "resource-denied", "dots-client %s exists",
		    cuid);
		return;
	}
	memset(&tmp, 0, sizeof(tmp));
	snprintf(tmp.client, sizeof(tmp.client), "%s", c->name);
	snprintf(tmp.cuid, sizeof(tmp.cuid), "%s", cuid);
	snprintf(tmp.cdid, sizeof(tmp.cdid), "%s", cdid);
	row_init(&row, STORE_DC_CLIENT, &tmp, "");
	row.json = "{}";
	if (store_dc_put(&row) != 0) {
		dc_res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	if (fresh) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&d->aliases);
		TAILQ_INIT(&d->acls);
		TAILQ_INSERT_TAIL(&acl_st.clients, d, entry);
	}
	memcpy(d->client, tmp.client, sizeof(d->client));
	memcpy(d->cuid, tmp.cuid, sizeof(d->cuid));
	memcpy(d->cdid, tmp.cdid, sizeof(d->cdid));
	dc_res_set(res, fresh ? 201 : 204, NULL, NULL);
}

void
acl_client_del(const struct client_conf *c, const char *cuid,
    struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*a;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return;
	if (store_dc_del_client(cuid) != 0) {
		dc_res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	TAILQ_FOREACH(a, &d->acls, entry)
		if (a->active)
			dc_acl_withdraw_all(a);
	TAILQ_REMOVE(&acl_st.clients, d, entry);
	dc_client_free(d);
	dc_res_set(res, 204, NULL, NULL);
}

json_t *
acl_client_get(const struct client_conf *c, const char *cuid,
    struct acl_res *res)
{
	struct dc_client	*d;
	json_t			*o;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return NULL;
	o = json_pack("{s:s}", "cuid", d->cuid);
	if (d->cdid[0] != '\0')
		json_object_set_new(o, "cdid", json_string(d->cdid));
	json_object_set_new(o, "aliases", acl_alias_get(c, cuid, NULL, res));
	json_object_set_new(o, "acls", acl_acl_get(c, cuid, NULL, res));
	dc_res_set(res, 200, NULL, NULL);
	return o;
}

static int
load_alias(struct dc_client *d, const struct store_dc_row *r)
{
	struct dc_alias	*a;
	json_t		*cfg = json_loads(r->json, 0, NULL);

	if (cfg == NULL || (a = calloc(1, sizeof(*a))) == NULL) {
		json_decref(cfg);
		return -EINVAL;
	}
	snprintf(a->name, sizeof(a->name), "%s", r->name);
	a->cfg = cfg;
	a->expires = r->expires;
	TAILQ_INSERT_TAIL(&d->aliases, a, entry);
	return 0;
}

static int
load_acl(struct dc_client *d, const struct store_dc_row *r)
{
	const struct client_conf *c = authz_by_name(acl_st.conf, d->client);
	struct dc_acl		*a;
	json_t			*o = json_loads(r->json, 0, NULL);
	char			 why[256];
	int			 err;

	if (c == NULL || o == NULL) {
		log_warnx("dots-client %s: acl %s: %s; not enforced", d->cuid,
		    r->name, c == NULL ? "client no longer configured" :
		    "unreadable row");
		json_decref(o);
		return 0;
	}
	a = dc_acl_build(c, json_object_get(o, "acl"), NULL,
	    json_object_get(o, "idx"), &err, why, sizeof(why));
	json_decref(o);
	if (a == NULL) {
		/* e.g. the domain shrank: the row stays for the operator */
		log_warnx("dots-client %s: acl %s: %s; not enforced",
		    d->cuid, r->name, why);
		return 0;
	}
	a->num = r->num;
	a->expires = r->expires;
	TAILQ_INSERT_TAIL(&d->acls, a, entry);
	return 0;
}

int
dc_load_row(const struct store_dc_row *r, void *arg)
{
	struct dc_client	*d = dc_client_find(r->cuid);

	(void)arg;
	if (r->kind == STORE_DC_CLIENT) {
		if (d != NULL)
			return 0;
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return -ENOMEM;
		TAILQ_INIT(&d->aliases);
		TAILQ_INIT(&d->acls);
		snprintf(d->client, sizeof(d->client), "%s", r->client);
		snprintf(d->cuid, sizeof(d->cuid), "%s", r->cuid);
		snprintf(d->cdid, sizeof(d->cdid), "%s", r->cdid);
		TAILQ_INSERT_TAIL(&acl_st.clients, d, entry);
		return 0;
	}
	if (d == NULL)
		return 0;	/* orphan row: its registration is gone */
	return r->kind == STORE_DC_ALIAS ? load_alias(d, r) : load_acl(d, r);
}
