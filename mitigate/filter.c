/*
 * filter.c: RFC 8783 filtering rules (one access control entry each) as
 * groups of the local backend, in a group id space of their own
 * (FILTER_GROUP in internal.h). A filter is not escalated and not
 * announced: the data channel asks for exactly these rules here. It
 * counts towards the client's and the box's max-rules like a mitigation,
 * through the same policy checks.
 *
 * Single-threaded like engine.c: dotsd calls these from its main loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mitigate/internal.h"

#define FILTER_BUCKETS	4096	/* a power of two */

struct fentry {
	struct fentry		*next;	/* hash chain */
	struct mit_filter	 f;	/* version in force */
};

static struct fentry	*ftab[FILTER_BUCKETS];
static struct mit_ruleset frs;	/* scratch: one group being compiled */

static struct fentry **
filter_find(uint64_t id)
{
	struct fentry	**fp = &ftab[(id * UINT64_C(0x9e3779b97f4a7c15)) >>
	    52 & (FILTER_BUCKETS - 1)];

	for (; *fp != NULL; fp = &(*fp)->next)
		if ((*fp)->f.id == id)
			return fp;
	return fp;
}

/* f's rules as the group the backend gets: ids 0..n-1, local flow kind. */
static int
filter_compile(const struct mit_filter *f, struct mit_ruleset *rs,
    char *err, size_t errlen)
{
	const struct mit_rule	*r;
	uint32_t		 i;

	if (f->id == 0 || f->id > MIT_FILTER_ID_MAX) {
		snprintf(err, errlen, "filter id %" PRIu64 " out of range",
		    f->id);
		return -EINVAL;
	}
	if (memchr(f->client, '\0', sizeof(f->client)) == NULL ||
	    f->nrules == 0 || f->nrules > MIT_MAX_GROUP_RULES) {
		snprintf(err, errlen, "malformed filter (%u rules)",
		    f->nrules);
		return -EINVAL;
	}
	rs->group = FILTER_GROUP(f->id);
	rs->nrules = f->nrules;
	for (i = 0; i < f->nrules; i++) {
		r = &f->rules[i];
		if (r->dst.family == 0 || r->action > MIT_ACT_ACCEPT ||
		    ((r->present & MIT_F_SRC) &&
		    r->src.family != r->dst.family)) {
			snprintf(err, errlen, "rule %u: bad destination, "
			    "source or action", i);
			return -EINVAL;
		}
		rs->rules[i] = *r;
		rs->rules[i].id = i;
		rs->rules[i].kind = MIT_KIND_FLOW;
	}
	return 0;
}

static void
filter_nrules(const struct mit_filter *f, uint32_t n[SLOT_MAX])
{
	memset(n, 0, sizeof(uint32_t) * SLOT_MAX);
	if (f != NULL)
		n[SLOT_LOCAL] = f->nrules;
}

int
engine_filter_apply(const struct mit_filter *f, char *err, size_t errlen)
{
	const struct mit_backend	*be = engine_slot_backend(SLOT_LOCAL);
	struct fentry			**fp, *e;
	uint32_t			  nold[SLOT_MAX], nnew[SLOT_MAX];
	char				  berr[128];
	int				  r;

	if (be == NULL || !(f->policy.backends & MIT_WHERE_XDP)) {
		snprintf(err, errlen, "no local backend allowed for filters");
		return -EPERM;
	}
	if ((r = filter_compile(f, &frs, err, errlen)) != 0)
		return r;
	fp = filter_find(f->id);
	e = *fp;
	filter_nrules(e ? &e->f : NULL, nold);
	filter_nrules(f, nnew);
	if ((r = policy_check(e ? e->f.client : NULL, nold, f->client, nnew,
	    f->policy.max_rules, err, errlen)) != 0)
		return r;
	if (e == NULL && (e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if ((r = be->apply(&frs, berr, sizeof(berr))) != 0) {
		snprintf(err, errlen, "%s: %s", be->name, berr);
		if (*fp == NULL)
			free(e);
		return r;
	}
	if (*fp != NULL)
		policy_account(e->f.client, nold, -1);
	else
		*fp = e;
	policy_account(f->client, nnew, 1);
	e->f = *f;
	return 0;
}

int
engine_filter_withdraw(uint64_t id)
{
	const struct mit_backend	*be = engine_slot_backend(SLOT_LOCAL);
	struct fentry			**fp = filter_find(id), *e = *fp;
	uint32_t			  n[SLOT_MAX];
	char				  err[128];
	int				  r;

	if (e == NULL)
		return 0;
	if (be != NULL && (r = be->withdraw(FILTER_GROUP(id), err,
	    sizeof(err))) != 0) {
		log_warnx("filter %" PRIu64 ": withdraw on %s: %s", id,
		    be->name, err);
		return r;
	}
	filter_nrules(&e->f, n);
	policy_account(e->f.client, n, -1);
	*fp = e->next;
	free(e);
	return 0;
}

int
engine_filter_stats(uint64_t id, struct mit_stats *st)
{
	const struct mit_backend	*be = engine_slot_backend(SLOT_LOCAL);

	memset(st, 0, sizeof(*st));
	if (*filter_find(id) == NULL || be == NULL || be->stats == NULL)
		return -ENOENT;
	return be->stats(FILTER_GROUP(id), st);
}

/* Adds the group of every filter held on be to a reconciliation list. */
void
filter_want(const struct mit_backend *be, void (*add)(uint64_t, void *),
    void *arg)
{
	struct fentry	*e;
	size_t		 i;

	if (be != engine_slot_backend(SLOT_LOCAL))
		return;
	for (i = 0; i < FILTER_BUCKETS; i++)
		for (e = ftab[i]; e != NULL; e = e->next)
			add(FILTER_GROUP(e->f.id), arg);
}

/* Puts back a filter group that be lost (engine_repair). */
int
filter_reapply(const struct mit_backend *be, uint64_t group)
{
	struct fentry	*e = *filter_find(FILTER_ID(group));
	char		 err[128];
	int		 r;

	if (e == NULL)
		return -ENOENT;
	if ((r = filter_compile(&e->f, &frs, err, sizeof(err))) == 0)
		r = be->apply(&frs, err, sizeof(err));
	if (r != 0)
		log_warnx("repair: %s: filter group %#" PRIx64 ": %s",
		    be->name, group, err);
	return r;
}

/* Forgets every filter without withdrawing it (engine_stop). */
void
filter_stop(void)
{
	struct fentry	*e, *next;
	size_t		 i;

	for (i = 0; i < FILTER_BUCKETS; i++) {
		for (e = ftab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		ftab[i] = NULL;
	}
}
