/*
 * acl_alias.c: aliases (RFC 8783 §6): checked against the client's
 * domain, stored, and resolved for alias-name in mitigation requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl_int.h"
#include "lib/log.h"

/* Checks one alias entry (YANG-valid) for the domain of c. */
static int
alias_check(const struct client_conf *c, const json_t *al, char *why,
    size_t whylen)
{
	const json_t		*v;
	struct mit_prefix	 p;
	char			 az[128];
	size_t			 i;

	if (json_string_value(json_object_get(al, "name")) == NULL) {
		snprintf(why, whylen, "alias without a name");
		return -EINVAL;
	}
	json_array_foreach(json_object_get(al, "target-prefix"), i, v) {
		if (prefix_parse(json_string_value(v), &p) != 0) {
			snprintf(why, whylen, "bad target-prefix");
			return -EINVAL;
		}
		if (authz_prefix(c, &p, az, sizeof(az)) != 0) {
			snprintf(why, whylen, "target-prefix %s: %s",
			    json_string_value(v), az);
			return -EPERM;
		}
	}
	if (json_object_get(al, "target-prefix") == NULL &&
	    json_object_get(al, "target-fqdn") == NULL &&
	    json_object_get(al, "target-uri") == NULL) {
		snprintf(why, whylen, "alias %s has no target",
		    json_string_value(json_object_get(al, "name")));
		return -EINVAL;
	}
	return 0;
}

void
acl_alias_put(const struct client_conf *c, const char *cuid,
    const json_t *aliases, int create_only, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_alias		*a;
	const json_t		*al;
	const char		*name;
	json_t			*cfg;
	char			 why[200];
	size_t			 i;
	int			 r, created = 0;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return;
	/* all entries checked before any is stored */
	json_array_foreach(aliases, i, al) {
		if ((r = alias_check(c, al, why, sizeof(why))) != 0) {
			dc_res_set(res, dc_err_code(r), dc_err_tag(r), "%s", why);
			return;
		}
		name = json_string_value(json_object_get(al, "name"));
		if (create_only && dc_alias_find(d, name) != NULL) {
			dc_res_set(res, 409, "resource-denied", "alias %s exists",
			    name);
			return;
		}
	}
	json_array_foreach(aliases, i, al) {
		name = json_string_value(json_object_get(al, "name"));
		cfg = json_deep_copy(al);
		json_object_del(cfg, "pending-lifetime");
		if ((a = dc_alias_find(d, name)) == NULL) {
			if ((a = calloc(1, sizeof(*a))) == NULL)
				fatal("%s", __func__);
			snprintf(a->name, sizeof(a->name), "%s", name);
			TAILQ_INSERT_TAIL(&d->aliases, a, entry);
			created = 1;
		}
		json_decref(a->cfg);
		a->cfg = cfg;
		a->expires = acl_st.now + ACL_LIFETIME_MIN * 60;
		if (dc_alias_store(d, a) != 0) {
			dc_res_set(res, 500, "operation-failed", "cannot store");
			return;
		}
	}
	dc_res_set(res, created ? 201 : 204, NULL, NULL);
}

void
acl_alias_del(const struct client_conf *c, const char *cuid,
    const char *name, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_alias		*a;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return;
	if ((a = dc_alias_find(d, name)) == NULL) {
		dc_res_set(res, 404, "invalid-value", "no alias %s", name);
		return;
	}
	if (store_dc_del(STORE_DC_ALIAS, cuid, name) != 0) {
		dc_res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	TAILQ_REMOVE(&d->aliases, a, entry);
	dc_alias_free(a);
	dc_res_set(res, 204, NULL, NULL);
}

static json_t *
alias_json(const struct dc_alias *a)
{
	json_t	*o = json_deep_copy(a->cfg);

	json_object_set_new(o, "pending-lifetime",
	    json_integer(dc_pending_minutes(a->expires)));
	return o;
}

json_t *
acl_alias_get(const struct client_conf *c, const char *cuid,
    const char *name, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_alias		*a;
	json_t			*list;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return NULL;
	if (name != NULL) {
		if ((a = dc_alias_find(d, name)) == NULL) {
			dc_res_set(res, 404, "invalid-value", "no alias %s",
			    name);
			return NULL;
		}
		dc_res_set(res, 200, NULL, NULL);
		return alias_json(a);
	}
	list = json_array();
	TAILQ_FOREACH(a, &d->aliases, entry)
		json_array_append_new(list, alias_json(a));
	dc_res_set(res, 200, NULL, NULL);
	return json_pack("{s:o}", "alias", list);
}

/* Host part of "scheme://[user@]host[:port]/...", into buf. */
static int
uri_host(const char *uri, char *buf, size_t len)
{
	const char	*p = strstr(uri, "://"), *end;
	size_t		 n;

	if (p == NULL)
		return -EINVAL;
	p += 3;
	if ((end = strchr(p, '@')) != NULL && end < p + strcspn(p, "/"))
		p = end + 1;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
	} else
		end = p + strcspn(p, ":/?#");
	if (end == NULL || (n = (size_t)(end - p)) == 0 || n >= len)
		return -EINVAL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

static int
alias_add_name(struct mitreq_alias *out, const char *host)
{
	struct mit_prefix	p;

	if (prefix_parse(host, &p) == 0) {
		if (out->nprefix >= MIT_MAX_TARGETS)
			return -E2BIG;
		out->prefix[out->nprefix++] = p;
		return 0;
	}
	if (out->nnames >= sizeof(out->names) / sizeof(out->names[0]))
		return -E2BIG;
	snprintf(out->names[out->nnames++], sizeof(out->names[0]), "%s", host);
	return 0;
}

int
acl_alias_lookup(const struct client_conf *c, const char *cuid,
    const char *name, struct mitreq_alias *out)
{
	struct dc_client	*d = dc_client_find(cuid);
	struct dc_alias		*a;
	const json_t		*v;
	char			 host[256];
	size_t			 i;

	memset(out, 0, sizeof(*out));
	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    (a = dc_alias_find(d, name)) == NULL)
		return -ENOENT;
	json_array_foreach(json_object_get(a->cfg, "target-prefix"), i, v)
		if (out->nprefix >= MIT_MAX_TARGETS ||
		    prefix_parse(json_string_value(v),
		    &out->prefix[out->nprefix++]) != 0)
			return -E2BIG;
	json_array_foreach(json_object_get(a->cfg, "target-port-range"), i,
	    v) {
		const json_t *up = json_object_get(v, "upper-port");

		if (out->nports >= MIT_MAX_PORTS)
			return -E2BIG;
		out->ports[out->nports].lo = (uint16_t)json_integer_value(
		    json_object_get(v, "lower-port"));
		out->ports[out->nports].hi = up ?
		    (uint16_t)json_integer_value(up) :
		    out->ports[out->nports].lo;
		out->nports++;
	}
	json_array_foreach(json_object_get(a->cfg, "target-protocol"), i, v) {
		if (out->nproto >= MIT_MAX_PROTO)
			return -E2BIG;
		out->proto[out->nproto++] = (uint8_t)json_integer_value(v);
	}
	json_array_foreach(json_object_get(a->cfg, "target-fqdn"), i, v)
		if (alias_add_name(out, json_string_value(v)) != 0)
			return -E2BIG;
	json_array_foreach(json_object_get(a->cfg, "target-uri"), i, v)
		if (uri_host(json_string_value(v), host, sizeof(host)) != 0 ||
		    alias_add_name(out, host) != 0)
			return -E2BIG;
	return 0;
}
