/*
 * acl.c: the data channel's state (acl.h): registrations, aliases and
 * ACLs per cuid, kept in memory, durable in SQLite (store_dc.c), and the
 * ACLs' entries held in the engine as filters while they are active.
 * This file: the state, lookups, the engine side, expiry, start-up.
 * Resources: acl_reg.c, acl_alias.c, acl_parse.c, acl_handlers.c.
 *
 * An ACL is active when its activation-type is immediate, or
 * activate-when-mitigating while its cuid has an active mitigation
 * (RFC 8783 §7.2); acl_tick() follows the mitigations once a second, and
 * every change re-evaluates at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl_int.h"
#include "lib/log.h"

struct acl_state	acl_st = {
	.clients = TAILQ_HEAD_INITIALIZER(acl_st.clients),
};

void
dc_res_set(struct acl_res *res, int code, const char *tag, const char *fmt, ...)
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

struct dc_client *
dc_client_find(const char *cuid)
{
	struct dc_client	*d;

	TAILQ_FOREACH(d, &acl_st.clients, entry)
		if (strcmp(d->cuid, cuid) == 0)
			return d;
	return NULL;
}

/* c's registration of cuid, or NULL with a 404 in res. */
struct dc_client *
dc_client_of(const struct client_conf *c, const char *cuid, struct acl_res *res)
{
	struct dc_client	*d = dc_client_find(cuid);

	if (d == NULL || strcmp(d->client, c->name) != 0) {
		dc_res_set(res, 404, "invalid-value", "dots-client %s is not "
		    "registered", cuid);
		return NULL;
	}
	return d;
}

struct dc_acl *
dc_acl_find(struct dc_client *d, const char *name)
{
	struct dc_acl	*a;

	TAILQ_FOREACH(a, &d->acls, entry)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

struct dc_alias *
dc_alias_find(struct dc_client *d, const char *name)
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
	if (a->act != ACL_AWM || acl_st.conf == NULL ||
	    (c = authz_by_name(acl_st.conf, d->client)) == NULL)
		return 0;
	return mitreq_cuid_active(c, d->cuid);
}

static int
ace_apply(const struct dc_client *d, const struct dc_acl *a,
    const struct dc_ace *e, char *err, size_t errlen)
{
	const struct client_conf *c = authz_by_name(acl_st.conf, d->client);

	if (c == NULL) {
		snprintf(err, errlen, "client %s is no longer configured",
		    d->client);
		return -ENOENT;
	}
	memset(&acl_st.f, 0, sizeof(acl_st.f));
	acl_st.f.id = FID(a->num, e->idx);
	snprintf(acl_st.f.client, sizeof(acl_st.f.client), "%s", d->client);
	acl_st.f.policy = c->policy;
	acl_st.f.nrules = e->nrules;
	memcpy(acl_st.f.rules, e->rules, sizeof(e->rules[0]) * e->nrules);
	return engine_filter_apply(&acl_st.f, err, errlen);
}

void
dc_acl_withdraw_all(const struct dc_acl *a)
{
	uint32_t	i;

	for (i = 0; i < a->nace; i++)
		engine_filter_withdraw(FID(a->num, a->aces[i].idx));
}

const struct dc_ace *
dc_ace_by_idx(const struct dc_acl *a, uint32_t idx)
{
	if (a == NULL || idx >= ACL_MAX_ACES || a->pos[idx] == 0 ||
	    a->pos[idx] > a->nace)
		return NULL;
	return &a->aces[a->pos[idx] - 1];
}

/* Does old hold e's rules in force already (a refresh PUT)? */
static int
ace_unchanged(const struct dc_acl *old, const struct dc_ace *e)
{
	const struct dc_ace	*oe;

	if (old == NULL || !old->active || (oe = dc_ace_by_idx(old, e->idx)) ==
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
int
dc_acl_enforce(const struct dc_client *d, const struct dc_acl *old,
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
			oe = dc_ace_by_idx(want ? na : NULL, old->aces[i].idx);
			if (oe == NULL || oe->nrules == 0)
				engine_filter_withdraw(FID(old->num,
				    old->aces[i].idx));
		}
	na->active = (uint8_t)want;
	return 0;

 rollback:
	for (i = 0; i < done; i++) {
		oe = old && old->active ? dc_ace_by_idx(old, na->aces[i].idx) :
		    NULL;
		if (oe != NULL && oe->nrules > 0)
			ace_apply(d, old, oe, e2, sizeof(e2));
		else
			engine_filter_withdraw(FID(na->num, na->aces[i].idx));
	}
	return r;
}

/* ---- freeing ---- */

void
dc_acl_free(struct dc_acl *a)
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

void
dc_alias_free(struct dc_alias *a)
{
	if (a == NULL)
		return;
	json_decref(a->cfg);
	free(a);
}

void
dc_client_free(struct dc_client *d)
{
	struct dc_acl	*a;
	struct dc_alias	*al;

	while ((a = TAILQ_FIRST(&d->acls)) != NULL) {
		TAILQ_REMOVE(&d->acls, a, entry);
		dc_acl_free(a);
	}
	while ((al = TAILQ_FIRST(&d->aliases)) != NULL) {
		TAILQ_REMOVE(&d->aliases, al, entry);
		dc_alias_free(al);
	}
	free(d);
}

int
dc_pending_minutes(time_t expires)
{
	time_t	left = expires - acl_st.now;

	return left <= 0 ? 0 : (int)((left + 59) / 60);
}

int
dc_err_code(int r)
{
	return r == -EPERM ? 403 : r == -E2BIG ? 409 : r == -ENOTSUP ? 400 :
	    r == -EINVAL ? 400 : 500;
}

const char *
dc_err_tag(int r)
{
	return r == -EPERM ? "access-denied" : r == -E2BIG ?
	    "resource-denied" : r == -EINVAL || r == -ENOTSUP ?
	    "invalid-value" : "operation-failed";
}

void
acl_tick(time_t now)
{
	struct dc_client	*d;
	struct dc_acl		*a, *na;
	struct dc_alias		*al, *nal;
	char			 why[128];

	acl_st.now = now;
	TAILQ_FOREACH(d, &acl_st.clients, entry) {
		for (a = TAILQ_FIRST(&d->acls); a != NULL; a = na) {
			na = TAILQ_NEXT(a, entry);
			if (a->expires != 0 && a->expires <= now) {
				log_info("dots-client %s: acl %s expired",
				    d->cuid, a->name);
				if (store_dc_del(STORE_DC_ACL, d->cuid,
				    a->name) == 0)
					dc_acl_remove(d, a);
				continue;
			}
			if (acl_wanted(d, a) != a->active &&
			    dc_acl_enforce(d, a, a, why, sizeof(why)) != 0)
				log_warnx("dots-client %s: acl %s: %s",
				    d->cuid, a->name, why);
		}
		for (al = TAILQ_FIRST(&d->aliases); al != NULL; al = nal) {
			nal = TAILQ_NEXT(al, entry);
			if (al->expires != 0 && al->expires <= now &&
			    store_dc_del(STORE_DC_ALIAS, d->cuid,
			    al->name) == 0) {
				TAILQ_REMOVE(&d->aliases, al, entry);
				dc_alias_free(al);
			}
		}
	}
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
	struct dc_client	*d = dc_client_find(cuid);
	int			 act;

	if (d == NULL || strcmp(d->client, c->name) != 0 ||
	    dc_acl_find(d, name) == NULL)
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

	acl_st.conf = conf;
	acl_st.now = now;
	if ((r = store_dc_open(err, errlen)) != 0)
		return r;
	if ((r = store_dc_load(dc_load_row, NULL)) != 0) {
		snprintf(err, errlen, "data channel: cannot load the stored "
		    "state (%s)", strerror(-r));
		return r;
	}
	TAILQ_FOREACH(d, &acl_st.clients, entry)
		TAILQ_FOREACH(a, &d->acls, entry)
			if (acl_wanted(d, a) && dc_acl_enforce(d, NULL, a, why,
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
	acl_st.conf = conf;
}

/* Forgets the in-memory state; filters stay in the backends (pinned). */
void
acl_fini(void)
{
	struct dc_client	*d;

	mitreq_set_alias_lookup(NULL);
	mitreq_set_acl_hook(NULL);
	while ((d = TAILQ_FIRST(&acl_st.clients)) != NULL) {
		TAILQ_REMOVE(&acl_st.clients, d, entry);
		dc_client_free(d);
	}
	store_dc_close();
}
