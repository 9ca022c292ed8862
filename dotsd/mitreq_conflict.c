/*
 * mitreq_conflict.c: overlapping requests (RFC 9132 §4.4.1.3): whether
 * two requests share a target, the conflict-scope and
 * conflict-information a client is told, and which requests each one
 * conflicts with. Who wins is decided in mitreq_put.c.
 */
#include <string.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq_int.h"

/* Do a and b share an address? Then *inner is the more specific one. */
static int
prefix_overlap(const struct mit_prefix *a, const struct mit_prefix *b,
    const struct mit_prefix **inner)
{
	unsigned	len, bytes, bits;

	if (a->family != b->family)
		return 0;
	len = a->len < b->len ? a->len : b->len;
	bytes = len / 8;
	bits = len % 8;
	if (memcmp(a->addr, b->addr, bytes) != 0)
		return 0;
	if (bits && ((a->addr[bytes] ^ b->addr[bytes]) &
	    (uint8_t)(0xff << (8 - bits))))
		return 0;
	if (inner != NULL)
		*inner = a->len >= b->len ? a : b;
	return 1;
}

/*
 * Do the targets of a and b (prefixes, then resolved addresses, as
 * mitreq_engine_build() lists them) overlap? Only when neither has more
 * than the engine takes, so that the answer is the same.
 */
static int
targets_overlap(const struct mreq *a, const struct mreq *b)
{
	const struct mit_prefix *pa, *pb;
	int	 i, j, na, nb;

	na = a->rq.nprefix + a->naddr;
	nb = b->rq.nprefix + b->naddr;
	for (i = 0; i < na; i++) {
		pa = i < a->rq.nprefix ? &a->rq.prefix[i] :
		    &a->addr[i - a->rq.nprefix];
		for (j = 0; j < nb; j++) {
			pb = j < b->rq.nprefix ? &b->rq.prefix[j] :
			    &b->addr[j - b->rq.nprefix];
			if (prefix_overlap(pa, pb, NULL))
				return 1;
		}
	}
	return 0;
}

/* Do a and b overlap (§4.4.1.3: common address, prefix, FQDN, URI, alias)? */
int
mitreq_conflict_overlap(const struct mreq *a, const struct mreq *b, json_t *cs)
{
	static const char *const names[] = {
		"target-fqdn", "target-uri", "alias-name"
	};
	struct mitigation ma, mb;
	const struct mit_prefix *inner;
	const json_t	*la, *lb, *x, *y;
	json_t		*arr = NULL;
	char		 buf[64];
	size_t		 i, j, k;
	int		 found = 0;

	/*
	 * Every PUT asks this of each request of the client: without a
	 * conflict scope to fill, compare in place instead of building (and
	 * zeroing) two struct mitigation per pair.
	 */
	if (cs == NULL && a->rq.nprefix + a->naddr <= MIT_MAX_TARGETS &&
	    b->rq.nprefix + b->naddr <= MIT_MAX_TARGETS) {
		if (targets_overlap(a, b))
			return 1;
		ma.ntargets = 0;
	} else
		mitreq_engine_build(a, &ma);
	if (ma.ntargets > 0)
		mitreq_engine_build(b, &mb);
	for (i = 0; i < ma.ntargets; i++)
		for (j = 0; j < mb.ntargets; j++) {
			if (!prefix_overlap(&ma.targets[i], &mb.targets[j],
			    &inner))
				continue;
			found = 1;
			if (cs == NULL)
				return 1;
			if (arr == NULL)
				arr = json_array();
			prefix_format(inner, buf, sizeof(buf));
			json_array_append_new(arr, json_string(buf));
		}
	if (arr != NULL)
		json_object_set_new(cs, "target-prefix", arr);
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		la = json_object_get(a->rq.scope, names[k]);
		lb = json_object_get(b->rq.scope, names[k]);
		arr = NULL;
		json_array_foreach(la, i, x)
			json_array_foreach(lb, j, y) {
				if (!json_equal(x, y))
					continue;
				found = 1;
				if (cs == NULL)
					return 1;
				if (arr == NULL)
					arr = json_array();
				json_array_append_new(arr, json_deep_copy(x));
			}
		if (arr != NULL)
			json_object_set_new(cs, names[k], arr);
	}
	return found;
}

/* conflict-scope for a vs b, with b's mid (§4.4.1.3). */
json_t *
mitreq_conflict_scope(const struct mreq *a, const struct mreq *b)
{
	json_t	*cs = json_object();

	if (cs == NULL)
		return NULL;
	mitreq_conflict_overlap(a, b, cs);
	json_object_set_new(cs, "mid", json_integer(b->mid));
	return cs;
}

json_t *
mitreq_conflict_info(uint8_t cstatus, uint32_t retry, json_t *cs)
{
	json_t	*ci = json_object();

	if (ci == NULL)
		return NULL;
	if (cstatus)
		json_object_set_new(ci, "conflict-status",
		    json_string(mitreq_cstatus_name[cstatus]));
	json_object_set_new(ci, "conflict-cause",
	    json_string("overlapping-targets"));
	if (retry)
		json_object_set_new(ci, "retry-timer", json_integer(retry));
	if (cs != NULL)
		json_object_set(ci, "conflict-scope", cs);
	return ci;
}

/*
 * How many requests list a conflict (nconflict > 0): every end of a
 * request asks mitreq_conflict_forget(), and it walks the table only
 * when some request could hold the id.
 */
static int	linked;

void
mitreq_conflict_add(struct mreq *m, uint64_t other)
{
	int	i;

	for (i = 0; i < m->nconflict; i++)
		if (m->conflict_with[i] == other)
			return;
	if (m->nconflict < MAX_CONFLICT) {
		if (m->nconflict == 0)
			linked++;
		m->conflict_with[m->nconflict++] = other;
	}
}

/* m forgets all its conflicts (freed, or active again). */
void
mitreq_conflict_unlink(struct mreq *m)
{
	if (m->nconflict > 0)
		linked--;
	m->nconflict = 0;
}

/* Forget m's conflict with id; clear its conflict-information if none. */
void
mitreq_conflict_forget(uint64_t id)
{
	struct mreq	*m;
	int		 i, j;

	if (linked == 0)
		return;
	TAILQ_FOREACH(m, &mitreq_list, entry) {
		for (i = j = 0; i < m->nconflict; i++)
			if (m->conflict_with[i] != id)
				m->conflict_with[j++] = m->conflict_with[i];
		if (j == m->nconflict)
			continue;
		if (j == 0)
			linked--;
		m->nconflict = (uint8_t)j;
		if (j == 0 && m->conflict_status == CS_ACTIVE) {
			m->conflict_status = CS_NONE;
			json_decref(m->conflict_scope);
			m->conflict_scope = NULL;
			if (!m->purge)
				mitreq_store_save(m);
			mitreq_notify_mark(m);
		}
	}
}
