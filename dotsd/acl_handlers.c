/*
 * acl_handlers.c: the ACL requests (RFC 8783 §7): PUT (enforce, then
 * store), DELETE, GET with per-entry statistics, RFC 9133 activation
 * changes from the signal channel, and the dump for dotsctl/metrics.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl_int.h"
#include "lib/log.h"

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
	na->expires = acl_st.now + ACL_LIFETIME_MIN * 60;
	if ((r = dc_acl_enforce(d, old, na, why, whylen)) != 0)
		return r;
	if ((r = dc_acl_store(d, na)) != 0) {
		/* not durable, so not in force either */
		dc_acl_enforce(d, na, old ? old : na, why, whylen);
		if (old == NULL)
			dc_acl_withdraw_all(na);
		snprintf(why, whylen, "cannot store");
		return r;
	}
	if (old != NULL) {
		TAILQ_INSERT_AFTER(&d->acls, old, na, entry);
		TAILQ_REMOVE(&d->acls, old, entry);
		dc_acl_free(old);
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

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return;
	json_array_foreach(acls, i, cfg) {
		name = json_string_value(json_object_get(cfg, "name"));
		old = name ? dc_acl_find(d, name) : NULL;
		if (create_only && old != NULL) {
			dc_res_set(res, 409, "resource-denied", "acl %s exists",
			    name);
			return;
		}
		if ((na = dc_acl_build(c, cfg, old, NULL, &r, why,
		    sizeof(why))) == NULL ||
		    (r = acl_commit(d, old, na, why, sizeof(why))) != 0) {
			if (na != NULL)
				dc_acl_free(na);
			dc_res_set(res, r == -ENODATA ? 400 : dc_err_code(r),
			    r == -ENODATA ? "missing-attribute" : dc_err_tag(r),
			    "%s", why);
			return;
		}
		created |= old == NULL;
	}
	dc_res_set(res, created ? 201 : 204, NULL, NULL);
}

void
dc_acl_remove(struct dc_client *d, struct dc_acl *a)
{
	if (a->active)
		dc_acl_withdraw_all(a);
	TAILQ_REMOVE(&d->acls, a, entry);
	dc_acl_free(a);
}

void
acl_acl_del(const struct client_conf *c, const char *cuid, const char *name,
    struct acl_res *res)
{
	struct dc_client	*d;
	struct dc_acl		*a;

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return;
	if ((a = dc_acl_find(d, name)) == NULL) {
		dc_res_set(res, 404, "invalid-value", "no acl %s", name);
		return;
	}
	if (store_dc_del(STORE_DC_ACL, cuid, name) != 0) {
		dc_res_set(res, 500, "operation-failed", "cannot store");
		return;
	}
	dc_acl_remove(d, a);
	dc_res_set(res, 204, NULL, NULL);
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
	    json_integer(dc_pending_minutes(a->expires)));
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

	if ((d = dc_client_of(c, cuid, res)) == NULL)
		return NULL;
	if (name != NULL) {
		if ((a = dc_acl_find(d, name)) == NULL) {
			dc_res_set(res, 404, "invalid-value", "no acl %s", name);
			return NULL;
		}
		dc_res_set(res, 200, NULL, NULL);
		return acl_json(a);
	}
	list = json_array();
	TAILQ_FOREACH(a, &d->acls, entry)
		json_array_append_new(list, acl_json(a));
	dc_res_set(res, 200, NULL, NULL);
	return json_pack("{s:o}", "acl", list);
}

int
acl_set_activation(const struct client_conf *c, const char *cuid,
    const char *name, int activation)
{
	struct dc_client	*d = dc_client_find(cuid);
	struct dc_acl		*a;
	char			 why[128];
	uint8_t			 prev;
	int			 r;

	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    (a = dc_acl_find(d, name)) == NULL)
		return -ENOENT;
	if (activation < ACL_AWM || activation > ACL_DEACTIVATE)
		return -EINVAL;
	prev = a->act;
	a->act = (uint8_t)activation;
	/* RFC 9133 §3: refreshed like a data channel PUT */
	a->expires = acl_st.now + ACL_LIFETIME_MIN * 60;
	json_object_set_new(a->cfg, "activation-type",
	    json_string(dc_act_name[activation]));
	if ((r = dc_acl_enforce(d, a, a, why, sizeof(why))) == 0 &&
	    (r = dc_acl_store(d, a)) == 0)
		return 0;
	log_warnx("client %s: acl %s: activation %s: %s", c->name, name,
	    dc_act_name[activation], why);
	a->act = prev;
	json_object_set_new(a->cfg, "activation-type",
	    json_string(dc_act_name[prev]));
	dc_acl_enforce(d, a, a, why, sizeof(why));
	return r;
}

json_t *
acl_dump(void)
{
	struct dc_client	*d;
	struct dc_acl		*a;
	json_t			*arr = json_array();
	uint64_t		 pkts, bytes;
	uint32_t		 i;

	TAILQ_FOREACH(d, &acl_st.clients, entry)
		TAILQ_FOREACH(a, &d->acls, entry)
			for (i = 0; i < a->nace; i++) {
				ace_counts(a, &a->aces[i], &pkts, &bytes);
				json_array_append_new(arr, json_pack(
				    "{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I}",
				    "client", d->client, "cuid", d->cuid,
				    "acl", a->name, "ace", a->aces[i].name,
				    "activation", dc_act_name[a->act],
				    "active", a->active,
				    "pkts", (json_int_t)pkts,
				    "bytes", (json_int_t)bytes));
			}
	return arr;
}

