/*
 * acl.c: the data channel's state (acl.h): registrations, aliases and
 * ACLs per cuid, kept in memory, durable in SQLite (store_dc.c), and the
 * ACLs' entries held in the engine as filters while they are active.
 *
 * Filter ids: an ACL gets a number when created (store_dc_next_num(),
 * monotonic across restarts), and each entry an index kept by entry name
 * across replacements, so an entry's counters survive a PUT that changes
 * other entries: filter id = number << 10 | index.
 *
 * An ACL is active when its activation-type is immediate, or
 * activate-when-mitigating while its cuid has an active mitigation
 * (RFC 8783 §7.2); acl_tick() follows the mitigations once a second, and
 * every change re-evaluates at once.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl.h"
#include "dotsd/store_dc.h"
#include "lib/log.h"

#define IDX_BITS	10
#define FID(num, idx)	((uint64_t)(num) << IDX_BITS | (uint64_t)(idx))

struct dc_ace {
	char		 name[ACL_NAME_LEN];
	uint32_t	 idx;
	uint32_t	 nrules;	/* 0: not enforceable (see why) */
	struct mit_rule	*rules;
};

struct dc_acl {
	TAILQ_ENTRY(dc_acl) entry;
	char		 name[ACL_NAME_LEN];
	uint64_t	 num;
	uint8_t		 act;		/* enum acl_activation */
	uint8_t		 active;	/* its filters are in the engine */
	time_t		 expires;
	json_t		*cfg;		/* config as PUT, canonical */
	uint32_t	 nace;
	struct dc_ace	*aces;
};

struct dc_alias {
	TAILQ_ENTRY(dc_alias) entry;
	char		 name[ACL_NAME_LEN];
	time_t		 expires;
	json_t		*cfg;
};

TAILQ_HEAD(dc_acl_head, dc_acl);
TAILQ_HEAD(dc_alias_head, dc_alias);

struct dc_client {
	TAILQ_ENTRY(dc_client) entry;
	char		 client[MIT_NAME_LEN];	/* configured client's name */
	char		 cuid[DOTS_ID_LEN];
	char		 cdid[DOTS_ID_LEN];
	struct dc_alias_head aliases;
	struct dc_acl_head acls;
};

TAILQ_HEAD(dc_client_head, dc_client);

struct acl_state {
	const struct dotsd_conf	*conf;
	struct dc_client_head	 clients;
	time_t			 now;
	struct mit_filter	 f;	/* scratch for engine_filter_apply */
};

static struct acl_state	as = {
	.clients = TAILQ_HEAD_INITIALIZER(as.clients),
};

static void
res_set(struct acl_res *res, int code, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
res_set(struct acl_res *res, int code, const char *tag, const char *fmt, ...)
{
	va_list	ap;

	res->code = code;
	snprintf(res->tag, sizeof(res->tag), "%s", tag ? tag : "");
	res->why[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(res->why, sizeof(res->why), fmt, ap);
		va_end(ap);
	}
}

/* ---- lookup ---- */

static struct dc_client *
client_find(const char *cuid)
{
	struct dc_client	*d;

	TAILQ_FOREACH(d, &as.clients, entry)
		if (strcmp(d->cuid, cuid) == 0)
			return d;
	return NULL;
}

/* c's registration of cuid, or NULL with a 404 in res. */
static struct dc_client *
client_of(const struct client_conf *c, const char *cuid, struct acl_res *res)
{
	struct dc_client	*d = client_find(cuid);

	if (d == NULL || strcmp(d->client, c->name) != 0) {
		res_set(res, 404, "invalid-value", "dots-client %s is not "
		    "registered", cuid);
		return NULL;
	}
	return d;
}

static struct dc_acl *
acl_find(struct dc_client *d, const char *name)
{
	struct dc_acl	*a;

	TAILQ_FOREACH(a, &d->acls, entry)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

static struct dc_alias *
alias_find(struct dc_client *d, const char *name)
{
	struct dc_alias	*a;

	TAILQ_FOREACH(a, &d->aliases, entry)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* ---- engine ---- */

static int
acl_wanted(const struct dc_client *d, const struct dc_acl *a)
{
	const struct client_conf *c;

	if (a->act == ACL_IMMEDIATE)
		return 1;
	if (a->act != ACL_AWM || as.conf == NULL ||
	    (c = authz_by_name(as.conf, d->client)) == NULL)
		return 0;
	return mitreq_cuid_active(c, d->cuid);
}

static int
ace_apply(const struct dc_client *d, const struct dc_acl *a,
    const struct dc_ace *e, char *err, size_t errlen)
{
	const struct client_conf *c = authz_by_name(as.conf, d->client);

	if (c == NULL) {
		snprintf(err, errlen, "client %s is no longer configured",
		    d->client);
		return -ENOENT;
	}
	memset(&as.f, 0, sizeof(as.f));
	as.f.id = FID(a->num, e->idx);
	snprintf(as.f.client, sizeof(as.f.client), "%s", d->client);
	as.f.policy = c->policy;
	as.f.nrules = e->nrules;
	memcpy(as.f.rules, e->rules, sizeof(e->rules[0]) * e->nrules);
	return engine_filter_apply(&as.f, err, errlen);
}

static void
acl_withdraw_all(const struct dc_acl *a)
{
	uint32_t	i;

	for (i = 0; i < a->nace; i++)
		engine_filter_withdraw(FID(a->num, a->aces[i].idx));
}

static const struct dc_ace *
ace_by_idx(const struct dc_acl *a, uint32_t idx)
{
	uint32_t	i;

	for (i = 0; a != NULL && i < a->nace; i++)
		if (a->aces[i].idx == idx)
			return &a->aces[i];
	return NULL;
}

/* Does old hold e's rules in force already (a refresh PUT)? */
static int
ace_unchanged(const struct dc_acl *old, const struct dc_ace *e)
{
	const struct dc_ace	*oe;

	if (old == NULL || !old->active || (oe = ace_by_idx(old, e->idx)) ==
	    NULL || oe == e || oe->nrules != e->nrules)
		return 0;
	return memcmp(oe->rules, e->rules, sizeof(e->rules[0]) *
	    e->nrules) == 0;
}

/*
 * Moves the engine from old (NULL: none; active or not) to what na calls
 * for, all or nothing: on failure every filter touched is put back as
 * old had it. Returns 0 or -errno with a reason.
 */
static int
acl_enforce(const struct dc_client *d, const struct dc_acl *old,
    struct dc_acl *na, char *err, size_t errlen)
{
	const struct dc_ace	*oe;
	char			 e2[128];
	uint32_t		 i, done = 0;
	int			 r = 0, want = acl_wanted(d, na);

	if (want) {
		for (done = 0; done < na->nace; done++) {
			if (na->aces[done].nrules == 0 ||
			    ace_unchanged(old, &na->aces[done]))
				continue;
			if ((r = ace_apply(d, na, &na->aces[done], err,
			    errlen)) != 0)
				goto rollback;
		}
	}
	/* what old held and na no longer does */
	if (old != NULL && old->active)
		for (i = 0; i < old->nace; i++) {
			oe = ace_by_idx(want ? na : NULL, old->aces[i].idx);
			if (oe == NULL || oe->nrules == 0)
				engine_filter_withdraw(FID(old->num,
				    old->aces[i].idx));
		}
	na->active = (uint8_t)want;
	return 0;

 rollback:
	for (i = 0; i < done; i++) {
		oe = old && old->active ? ace_by_idx(old, na->aces[i].idx) :
		    NULL;
		if (oe != NULL && oe->nrules > 0)
			ace_apply(d, old, oe, e2, sizeof(e2));
		else
			engine_filter_withdraw(FID(na->num, na->aces[i].idx));
	}
	return r;
}

/* ---- freeing ---- */

static void
acl_free(struct dc_acl *a)
{
	uint32_t	i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nace; i++)
		free(a->aces[i].rules);
	free(a->aces);
	json_decref(a->cfg);
	free(a);
}

static void
alias_free(struct dc_alias *a)
{
	if (a == NULL)
		return;
	json_decref(a->cfg);
	free(a);
}

static void
client_free(struct dc_client *d)
{
	struct dc_acl	*a;
	struct dc_alias	*al;

	while ((a = TAILQ_FIRST(&d->acls)) != NULL) {
		TAILQ_REMOVE(&d->acls, a, entry);
		acl_free(a);
	}
	while ((al = TAILQ_FIRST(&d->aliases)) != NULL) {
		TAILQ_REMOVE(&d->aliases, al, entry);
		alias_free(al);
	}
	free(d);
}

/* ---- rows ---- */

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
static int
acl_store(const struct dc_client *d, const struct dc_acl *a)
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

static int
alias_store(const struct dc_client *d, const struct dc_alias *a)
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

/* ---- registrations ---- */

void
acl_client_put(const struct client_conf *c, const char *cuid,
    const char *cdid, int create_only, struct acl_res *res)
{
	struct store_dc_row	 row;
	struct dc_client	*d = client_find(cuid), tmp;
	int			 fresh = d == NULL;

	if (cdid[0] != '\0' && !c->gateway) {
		res_set(res, 400, "invalid-value", "cdid: client %s is no "
		    "gateway", c->name);
		return;
	}
	if (d != NULL && (strcmp(d->client, c->name) != 0 || create_only)) {
		res_set(res, 409, "resource-denied", "dots-client %s exists",
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
		res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	if (fresh) {
		if ((d = calloc(1, sizeof(*d))) == NULL)
			fatal("%s", __func__);
		TAILQ_INIT(&d->aliases);
		TAILQ_INIT(&d->acls);
		TAILQ_INSERT_TAIL(&as.clients, d, entry);
	}
	memcpy(d->client, tmp.client, sizeof(d->client));
	memcpy(d->cuid, tmp.cuid, sizeof(d->cuid));
	memcpy(d->cdid, tmp.cdid, sizeof(d->cdid));
	res_set(res, fresh ? 201 : 204, NULL, NULL);
}

void
acl_client_del(const struct client_conf *c, const char *cuid,
    struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*a;

	if ((d = client_of(c, cuid, res)) == NULL)
		return;
	if (store_dc_del_client(cuid) != 0) {
		res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	TAILQ_FOREACH(a, &d->acls, entry)
		if (a->active)
			acl_withdraw_all(a);
	TAILQ_REMOVE(&as.clients, d, entry);
	client_free(d);
	res_set(res, 204, NULL, NULL);
}

json_t *
acl_client_get(const struct client_conf *c, const char *cuid,
    struct acl_res *res)
{
	struct dc_client	*d;
	json_t			*o;

	if ((d = client_of(c, cuid, res)) == NULL)
		return NULL;
	o = json_pack("{s:s}", "cuid", d->cuid);
	if (d->cdid[0] != '\0')
		json_object_set_new(o, "cdid", json_string(d->cdid));
	json_object_set_new(o, "aliases", acl_alias_get(c, cuid, NULL, res));
	json_object_set_new(o, "acls", acl_acl_get(c, cuid, NULL, res));
	res_set(res, 200, NULL, NULL);
	return o;
}

/* ---- aliases ---- */

static int
pending_minutes(time_t expires)
{
	time_t	left = expires - as.now;

	return left <= 0 ? 0 : (int)((left + 59) / 60);
}

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

static int
err_code(int r)
{
	return r == -EPERM ? 403 : r == -E2BIG ? 409 : r == -ENOTSUP ? 400 :
	    r == -EINVAL ? 400 : 500;
}

static const char *
err_tag(int r)
{
	return r == -EPERM ? "access-denied" : r == -E2BIG ?
	    "resource-denied" : r == -EINVAL || r == -ENOTSUP ?
	    "invalid-value" : "operation-failed";
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

	if ((d = client_of(c, cuid, res)) == NULL)
		return;
	/* all entries checked before any is stored */
	json_array_foreach(aliases, i, al) {
		if ((r = alias_check(c, al, why, sizeof(why))) != 0) {
			res_set(res, err_code(r), err_tag(r), "%s", why);
			return;
		}
		name = json_string_value(json_object_get(al, "name"));
		if (create_only && alias_find(d, name) != NULL) {
			res_set(res, 409, "resource-denied", "alias %s exists",
			    name);
			return;
		}
	}
	json_array_foreach(aliases, i, al) {
		name = json_string_value(json_object_get(al, "name"));
		cfg = json_deep_copy(al);
		json_object_del(cfg, "pending-lifetime");
		if ((a = alias_find(d, name)) == NULL) {
			if ((a = calloc(1, sizeof(*a))) == NULL)
				fatal("%s", __func__);
			snprintf(a->name, sizeof(a->name), "%s", name);
			TAILQ_INSERT_TAIL(&d->aliases, a, entry);
			created = 1;
		}
		json_decref(a->cfg);
		a->cfg = cfg;
		a->expires = as.now + ACL_LIFETIME_MIN * 60;
		if (alias_store(d, a) != 0) {
			res_set(res, 500, "operation-failed", "cannot store");
			return;
		}
	}
	res_set(res, created ? 201 : 204, NULL, NULL);
}

void
acl_alias_del(const struct client_conf *c, const char *cuid,
    const char *name, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_alias		*a;

	if ((d = client_of(c, cuid, res)) == NULL)
		return;
	if ((a = alias_find(d, name)) == NULL) {
		res_set(res, 404, "invalid-value", "no alias %s", name);
		return;
	}
	if (store_dc_del(STORE_DC_ALIAS, cuid, name) != 0) {
		res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	TAILQ_REMOVE(&d->aliases, a, entry);
	alias_free(a);
	res_set(res, 204, NULL, NULL);
}

static json_t *
alias_json(const struct dc_alias *a)
{
	json_t	*o = json_deep_copy(a->cfg);

	json_object_set_new(o, "pending-lifetime",
	    json_integer(pending_minutes(a->expires)));
	return o;
}

json_t *
acl_alias_get(const struct client_conf *c, const char *cuid,
    const char *name, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_alias		*a;
	json_t			*list;

	if ((d = client_of(c, cuid, res)) == NULL)
		return NULL;
	if (name != NULL) {
		if ((a = alias_find(d, name)) == NULL) {
			res_set(res, 404, "invalid-value", "no alias %s",
			    name);
			return NULL;
		}
		res_set(res, 200, NULL, NULL);
		return alias_json(a);
	}
	list = json_array();
	TAILQ_FOREACH(a, &d->aliases, entry)
		json_array_append_new(list, alias_json(a));
	res_set(res, 200, NULL, NULL);
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
	struct dc_client	*d = client_find(cuid);
	struct dc_alias		*a;
	const json_t		*v;
	char			 host[256];
	size_t			 i;

	memset(out, 0, sizeof(*out));
	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    (a = alias_find(d, name)) == NULL)
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

/* ---- ACLs ---- */

int
acl_parse_activation(const char *s)
{
	if (s == NULL || strcmp(s, "activate-when-mitigating") == 0)
		return ACL_AWM;
	if (strcmp(s, "immediate") == 0)
		return ACL_IMMEDIATE;
	if (strcmp(s, "deactivate") == 0)
		return ACL_DEACTIVATE;
	return -EINVAL;
}

static const char *const act_name[] = {
	[ACL_AWM] = "activate-when-mitigating",
	[ACL_IMMEDIATE] = "immediate",
	[ACL_DEACTIVATE] = "deactivate",
};

/* Does this ACE name a destination (§7.2: mandatory for immediate)? */
static int
ace_has_dst(const json_t *ace)
{
	const json_t	*m = json_object_get(ace, "matches");

	return json_object_get(json_object_get(m, "ipv4"),
	    "destination-ipv4-network") != NULL ||
	    json_object_get(json_object_get(m, "ipv6"),
	    "destination-ipv6-network") != NULL;
}

/* Index for entry name: old's, the stored one, else the lowest free. */
static uint32_t
ace_index(const struct dc_acl *old, const json_t *idxmap, const char *name,
    const uint8_t *used)
{
	const json_t	*v;
	uint32_t	 i;

	for (i = 0; old != NULL && i < old->nace; i++)
		if (strcmp(old->aces[i].name, name) == 0 &&
		    !used[old->aces[i].idx])
			return old->aces[i].idx;
	if ((v = json_object_get(idxmap, name)) != NULL &&
	    json_integer_value(v) >= 0 &&
	    json_integer_value(v) < ACL_MAX_ACES && !used[json_integer_value(v)])
		return (uint32_t)json_integer_value(v);
	for (i = 0; i < ACL_MAX_ACES; i++) {
		if (used[i] || ace_by_idx(old, i) != NULL)
			continue;
		return i;
	}
	for (i = 0; i < ACL_MAX_ACES && used[i]; i++)
		;
	return i;
}

/* Compiles every entry of cfg into na->aces. 0 or -errno with why. */
static int
acl_build_aces(const struct client_conf *c, struct dc_acl *na,
    const struct dc_acl *old, const json_t *idxmap, char *why, size_t whylen)
{
	static uint8_t	 used[ACL_MAX_ACES];
	struct mit_rule	 rules[MIT_MAX_GROUP_RULES];
	const json_t	*aces = json_object_get(json_object_get(na->cfg,
	    "aces"), "ace"), *ace;
	struct dc_ace	*e;
	const char	*name;
	char		 w[200];
	size_t		 i;
	int		 family = acl_compile_family(na->cfg), r;

	if (json_array_size(aces) > ACL_MAX_ACES) {
		snprintf(why, whylen, "more than %d entries", ACL_MAX_ACES);
		return -E2BIG;
	}
	memset(used, 0, sizeof(used));
	if (json_array_size(aces) > 0 && (na->aces = calloc(
	    json_array_size(aces), sizeof(*na->aces))) == NULL)
		return -ENOMEM;
	json_array_foreach(aces, i, ace) {
		e = &na->aces[na->nace];
		name = json_string_value(json_object_get(ace, "name"));
		if (name == NULL || strlen(name) >= sizeof(e->name)) {
			snprintf(why, whylen, "entry without a name");
			return -EINVAL;
		}
		if (na->act == ACL_IMMEDIATE && !ace_has_dst(ace)) {
			snprintf(why, whylen, "ace %s: an immediate ACL needs "
			    "a destination network", name);
			return -ENODATA;
		}
		if ((r = acl_compile_ace(c, ace, family, rules, &e->nrules, w,
		    sizeof(w))) != 0) {
			snprintf(why, whylen, "ace %s: %s", name, w);
			return r;
		}
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->idx = ace_index(old, idxmap, name, used);
		used[e->idx] = 1;
		if ((e->rules = calloc(e->nrules, sizeof(*e->rules))) == NULL)
			return -ENOMEM;
		memcpy(e->rules, rules, sizeof(rules[0]) * e->nrules);
		na->nace++;
	}
	return 0;
}

/* A new ACL from its YANG-valid config. NULL with why and *err. */
static struct dc_acl *
acl_build(const struct client_conf *c, const json_t *cfg,
    const struct dc_acl *old, const json_t *idxmap, int *err, char *why,
    size_t whylen)
{
	struct dc_acl	*na;
	const char	*name = json_string_value(json_object_get(cfg, "name"));
	int		 act;

	*err = -EINVAL;
	if (name == NULL || strlen(name) >= ACL_NAME_LEN) {
		snprintf(why, whylen, "ACL without a name");
		return NULL;
	}
	if ((act = acl_parse_activation(json_string_value(json_object_get(cfg,
	    "activation-type")))) < 0) {
		snprintf(why, whylen, "bad activation-type");
		return NULL;
	}
	if ((na = calloc(1, sizeof(*na))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	snprintf(na->name, sizeof(na->name), "%s", name);
	na->act = (uint8_t)act;
	na->cfg = json_deep_copy(cfg);
	json_object_del(na->cfg, "pending-lifetime");
	if ((*err = acl_build_aces(c, na, old, idxmap, why, whylen)) != 0) {
		acl_free(na);
		return NULL;
	}
	return na;
}

/* Enforces and stores na in place of old (NULL: new) for d. */
static int
acl_commit(struct dc_client *d, struct dc_acl *old, struct dc_acl *na,
    char *why, size_t whylen)
{
	int	r;

	na->num = old ? old->num : store_dc_next_num();
	if (na->num == 0) {
		snprintf(why, whylen, "cannot store");
		return -EIO;
	}
	na->expires = as.now + ACL_LIFETIME_MIN * 60;
	if ((r = acl_enforce(d, old, na, why, whylen)) != 0)
		return r;
	if ((r = acl_store(d, na)) != 0) {
		/* not durable, so not in force either */
		acl_enforce(d, na, old ? old : na, why, whylen);
		if (old == NULL)
			acl_withdraw_all(na);
		snprintf(why, whylen, "cannot store");
		return r;
	}
	if (old != NULL) {
		TAILQ_INSERT_AFTER(&d->acls, old, na, entry);
		TAILQ_REMOVE(&d->acls, old, entry);
		acl_free(old);
	} else
		TAILQ_INSERT_TAIL(&d->acls, na, entry);
	return 0;
}

void
acl_acl_put(const struct client_conf *c, const char *cuid,
    const json_t *acls, int create_only, struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*na, *old;
	const json_t		*cfg;
	const char		*name;
	char			 why[256];
	size_t			 i;
	int			 r, created = 0;

	if ((d = client_of(c, cuid, res)) == NULL)
		return;
	json_array_foreach(acls, i, cfg) {
		name = json_string_value(json_object_get(cfg, "name"));
		old = name ? acl_find(d, name) : NULL;
		if (create_only && old != NULL) {
			res_set(res, 409, "resource-denied", "acl %s exists",
			    name);
			return;
		}
		if ((na = acl_build(c, cfg, old, NULL, &r, why,
		    sizeof(why))) == NULL ||
		    (r = acl_commit(d, old, na, why, sizeof(why))) != 0) {
			if (na != NULL)
				acl_free(na);
			res_set(res, r == -ENODATA ? 400 : err_code(r),
			    r == -ENODATA ? "missing-attribute" : err_tag(r),
			    "%s", why);
			return;
		}
		created |= old == NULL;
	}
	res_set(res, created ? 201 : 204, NULL, NULL);
}

static void
acl_remove(struct dc_client *d, struct dc_acl *a)
{
	if (a->active)
		acl_withdraw_all(a);
	TAILQ_REMOVE(&d->acls, a, entry);
	acl_free(a);
}

void
acl_acl_del(const struct client_conf *c, const char *cuid, const char *name,
    struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*a;

	if ((d = client_of(c, cuid, res)) == NULL)
		return;
	if ((a = acl_find(d, name)) == NULL) {
		res_set(res, 404, "invalid-value", "no acl %s", name);
		return;
	}
	if (store_dc_del(STORE_DC_ACL, cuid, name) != 0) {
		res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	acl_remove(d, a);
	res_set(res, 204, NULL, NULL);
}

/* Matched packets and bytes of one entry (0 while inactive). */
static void
ace_counts(const struct dc_acl *a, const struct dc_ace *e, uint64_t *pkts,
    uint64_t *bytes)
{
	struct mit_stats	st;

	*pkts = *bytes = 0;
	if (!a->active || e->nrules == 0 ||
	    engine_filter_stats(FID(a->num, e->idx), &st) != 0)
		return;
	*pkts = st.pkts_dropped + st.pkts_passed;
	*bytes = st.bytes_dropped + st.bytes_passed;
}

static json_t *
u64_json(uint64_t v)
{
	char	buf[24];

	/* RFC 7951 §6.1: 64-bit integers are strings */
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static json_t *
acl_json(const struct dc_acl *a)
{
	json_t		*o = json_deep_copy(a->cfg), *ace;
	const char	*name;
	uint64_t	 pkts, bytes;
	size_t		 i;
	uint32_t	 k;

	json_object_set_new(o, "pending-lifetime",
	    json_integer(pending_minutes(a->expires)));
	json_array_foreach(json_object_get(json_object_get(o, "aces"), "ace"),
	    i, ace) {
		name = json_string_value(json_object_get(ace, "name"));
		for (k = 0; k < a->nace; k++)
			if (name && strcmp(a->aces[k].name, name) == 0)
				break;
		if (k == a->nace)
			continue;
		ace_counts(a, &a->aces[k], &pkts, &bytes);
		json_object_set_new(ace, "statistics", json_pack("{s:o,s:o}",
		    "matched-packets", u64_json(pkts),
		    "matched-octets", u64_json(bytes)));
	}
	return o;
}

json_t *
acl_acl_get(const struct client_conf *c, const char *cuid, const char *name,
    struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*a;
	json_t			*list;

	if ((d = client_of(c, cuid, res)) == NULL)
		return NULL;
	if (name != NULL) {
		if ((a = acl_find(d, name)) == NULL) {
			res_set(res, 404, "invalid-value", "no acl %s", name);
			return NULL;
		}
		res_set(res, 200, NULL, NULL);
		return acl_json(a);
	}
	list = json_array();
	TAILQ_FOREACH(a, &d->acls, entry)
		json_array_append_new(list, acl_json(a));
	res_set(res, 200, NULL, NULL);
	return json_pack("{s:o}", "acl", list);
}

int
acl_set_activation(const struct client_conf *c, const char *cuid,
    const char *name, int activation)
{
	struct dc_client	*d = client_find(cuid);
	struct dc_acl		*a;
	char			 why[128];
	uint8_t			 prev;
	int			 r;

	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    (a = acl_find(d, name)) == NULL)
		return -ENOENT;
	if (activation < ACL_AWM || activation > ACL_DEACTIVATE)
		return -EINVAL;
	prev = a->act;
	a->act = (uint8_t)activation;
	/* RFC 9133 §3: refreshed like a data channel PUT */
	a->expires = as.now + ACL_LIFETIME_MIN * 60;
	json_object_set_new(a->cfg, "activation-type",
	    json_string(act_name[activation]));
	if ((r = acl_enforce(d, a, a, why, sizeof(why))) == 0 &&
	    (r = acl_store(d, a)) == 0)
		return 0;
	log_warnx("client %s: acl %s: activation %s: %s", c->name, name,
	    act_name[activation], why);
	a->act = prev;
	json_object_set_new(a->cfg, "activation-type",
	    json_string(act_name[prev]));
	acl_enforce(d, a, a, why, sizeof(why));
	return r;
}

/* ---- capabilities (§7.1) ---- */

/*
 * Exactly what dotsd-xdp matches (xdp/README.md "Rules and their
 * order"); acl_compile.c refuses every match reported false here.
 */
json_t *
acl_capabilities(void)
{
	return json_pack("{s:[s,s],s:[s,s],s:b,s:[i,i,i,i],"
	    "s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b},"
	    "s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b},"
	    "s:{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b},"
	    "s:{s:b,s:b,s:b,s:b},s:{s:b,s:b,s:b}}",
	    "address-family", "ipv4", "ipv6",
	    "forwarding-actions", "ietf-access-control-list:drop",
	    "ietf-access-control-list:accept",
	    "rate-limit", 1,
	    "transport-protocols", 1, 6, 17, 58,
	    "ipv4", "dscp", 1, "ecn", 0, "length", 1, "ttl", 0,
	    "protocol", 1, "ihl", 0, "flags", 0, "offset", 0,
	    "identification", 0, "source-prefix", 1,
	    "destination-prefix", 1, "fragment", 1,
	    "ipv6", "dscp", 1, "ecn", 0, "length", 1, "hoplimit", 0,
	    "protocol", 1, "destination-prefix", 1, "source-prefix", 1,
	    "flow-label", 1, "fragment", 1,
	    "tcp", "sequence-number", 0, "acknowledgement-number", 0,
	    "data-offset", 0, "reserved", 0, "flags", 1, "window-size", 0,
	    "urgent-pointer", 0, "options", 0, "flags-bitmask", 1,
	    "source-port", 1, "destination-port", 1, "port-range", 1,
	    "udp", "length", 0, "source-port", 1, "destination-port", 1,
	    "port-range", 1,
	    "icmp", "type", 1, "code", 1, "rest-of-header", 0);
}

/* ---- time ---- */

void
acl_tick(time_t now)
{
	struct dc_client	*d;
	struct dc_acl		*a, *na;
	struct dc_alias		*al, *nal;
	char			 why[128];

	as.now = now;
	TAILQ_FOREACH(d, &as.clients, entry) {
		for (a = TAILQ_FIRST(&d->acls); a != NULL; a = na) {
			na = TAILQ_NEXT(a, entry);
			if (a->expires != 0 && a->expires <= now) {
				log_info("dots-client %s: acl %s expired",
				    d->cuid, a->name);
				if (store_dc_del(STORE_DC_ACL, d->cuid,
				    a->name) == 0)
					acl_remove(d, a);
				continue;
			}
			if (acl_wanted(d, a) != a->active &&
			    acl_enforce(d, a, a, why, sizeof(why)) != 0)
				log_warnx("dots-client %s: acl %s: %s",
				    d->cuid, a->name, why);
		}
		for (al = TAILQ_FIRST(&d->aliases); al != NULL; al = nal) {
			nal = TAILQ_NEXT(al, entry);
			if (al->expires != 0 && al->expires <= now &&
			    store_dc_del(STORE_DC_ALIAS, d->cuid,
			    al->name) == 0) {
				TAILQ_REMOVE(&d->aliases, al, entry);
				alias_free(al);
			}
		}
	}
}

/* ---- start-up ---- */

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
	const struct client_conf *c = authz_by_name(as.conf, d->client);
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
	a = acl_build(c, json_object_get(o, "acl"), NULL,
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

static int
load_row(const struct store_dc_row *r, void *arg)
{
	struct dc_client	*d = client_find(r->cuid);

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
		TAILQ_INSERT_TAIL(&as.clients, d, entry);
		return 0;
	}
	if (d == NULL)
		return 0;	/* orphan row: its registration is gone */
	return r->kind == STORE_DC_ALIAS ? load_alias(d, r) : load_acl(d, r);
}

static int
alias_hook(const struct client_conf *c, const char *cuid, const char *name,
    struct mitreq_alias *out)
{
	return acl_alias_lookup(c, cuid, name, out);
}

/* RFC 9133 acl-list from the signal channel (mitreq_acl_fn). */
static int
acl_hook(const struct client_conf *c, const char *cuid, const char *name,
    const char *activation)
{
	struct dc_client	*d = client_find(cuid);
	int			 act;

	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    acl_find(d, name) == NULL)
		return -ENOENT;
	if (activation == NULL)
		return 0;
	if ((act = acl_parse_activation(activation)) < 0)
		return -EINVAL;
	return acl_set_activation(c, cuid, name, act);
}

int
acl_init(const struct dotsd_conf *conf, time_t now, char *err, size_t errlen)
{
	struct dc_client	*d;
	struct dc_acl		*a;
	char			 why[256];
	int			 r;

	as.conf = conf;
	as.now = now;
	if ((r = store_dc_open(err, errlen)) != 0)
		return r;
	if ((r = store_dc_load(load_row, NULL)) != 0) {
		snprintf(err, errlen, "data channel: cannot load the stored "
		    "state (%s)", strerror(-r));
		return r;
	}
	TAILQ_FOREACH(d, &as.clients, entry)
		TAILQ_FOREACH(a, &d->acls, entry)
			if (acl_wanted(d, a) && acl_enforce(d, NULL, a, why,
			    sizeof(why)) != 0)
				log_warnx("dots-client %s: acl %s: %s",
				    d->cuid, a->name, why);
	mitreq_set_alias_lookup(alias_hook);
	mitreq_set_acl_hook(acl_hook);
	return 0;
}

void
acl_reconf(const struct dotsd_conf *conf)
{
	as.conf = conf;
}

/* Forgets the in-memory state; filters stay in the backends (pinned). */
void
acl_fini(void)
{
	struct dc_client	*d;

	mitreq_set_alias_lookup(NULL);
	mitreq_set_acl_hook(NULL);
	while ((d = TAILQ_FIRST(&as.clients)) != NULL) {
		TAILQ_REMOVE(&as.clients, d, entry);
		client_free(d);
	}
	store_dc_close();
}

json_t *
acl_dump(void)
{
	struct dc_client	*d;
	struct dc_acl		*a;
	json_t			*arr = json_array();
	uint64_t		 pkts, bytes;
	uint32_t		 i;

	TAILQ_FOREACH(d, &as.clients, entry)
		TAILQ_FOREACH(a, &d->acls, entry)
			for (i = 0; i < a->nace; i++) {
				ace_counts(a, &a->aces[i], &pkts, &bytes);
				json_array_append_new(arr, json_pack(
				    "{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I}",
				    "client", d->client, "cuid", d->cuid,
				    "acl", a->name, "ace", a->aces[i].name,
				    "activation", act_name[a->act],
				    "active", a->active,
				    "pkts", (json_int_t)pkts,
				    "bytes", (json_int_t)bytes));
			}
	return arr;
}
