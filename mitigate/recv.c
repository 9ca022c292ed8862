/*
 * recv.c: received rules, the engine's second source beside dotsd's
 * mitigations. A backend that receives rules (bgp: flowspec from peers)
 * queues changes; engine_recv_process() drains them and enforces each
 * rule as a group of one on the local backend, and nowhere else: received
 * rules are never announced upstream and have no client, level or
 * escalation. The source has already checked them against its import
 * policy; the engine adds the global local-rule ceiling.
 *
 * Ids: key K of the source becomes group K << 2 | SLOT_RECV, a slot no
 * mitigation uses, and rule id mnum << 8 | SLOT_RECV << 6 with an mnum
 * from the engine's pool, so received groups and rules never collide
 * with those of mitigations, and reconciliation tells them apart.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mitigate/internal.h"

#define RECV_BATCH	256	/* changes taken from a backend at once */
#define RECV_BUDGET	16384	/* changes per engine_recv_process() */
#define RECV_KEY_MAX	MIT_ID_MAX

struct rentry {
	struct rentry	*next;
	uint64_t	 key;
	uint32_t	 mnum;
	uint8_t		 npeers;
	char		 from[64];
	struct mit_rule	 rule;
};

static struct {
	struct rentry	**tab;
	size_t		  size, count;	/* buckets (power of two), entries */
	uint64_t	  ignored[MIT_RX_REASON_MAX];
	struct mit_recv	  batch[RECV_BATCH];
	struct mit_ruleset rs;
} rcv;

static const char *const reason_names[MIT_RX_REASON_MAX] = {
	[MIT_RX_MALFORMED] = "malformed",
	[MIT_RX_IMPORT] = "outside-import",
	[MIT_RX_PREFIX_LEN] = "prefix-length",
	[MIT_RX_MAX_RULES] = "max-rules",
	[MIT_RX_ACTION] = "action-not-allowed",
	[MIT_RX_VALIDATION] = "validation",
	[MIT_RX_INEXACT] = "inexact",
	[MIT_RX_UNSUPPORTED] = "unsupported-action",
	[MIT_RX_BACKEND] = "backend",
};

const char *
engine_recv_reason_name(int reason)
{
	if (reason < 0 || reason >= MIT_RX_REASON_MAX)
		return "unknown";
	return reason_names[reason];
}

static size_t
recv_hash(uint64_t key)
{
	return (key * 0x9e3779b97f4a7c15ULL) >> 32 & (rcv.size - 1);
}

static struct rentry **
recv_find(uint64_t key)
{
	struct rentry	**ep;

	if (rcv.size == 0)
		return NULL;
	for (ep = &rcv.tab[recv_hash(key)]; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->key == key)
			return ep;
	return NULL;
}

static void
recv_insert(struct rentry *e)
{
	struct rentry	**nt, *p, *next;
	size_t		  i, osize = rcv.size;

	if (rcv.count >= rcv.size) {
		rcv.size = osize ? osize * 2 : 1024;
		if ((nt = calloc(rcv.size, sizeof(*nt))) == NULL)
			fatal("%s", __func__);
		for (i = 0; i < osize; i++)
			for (p = rcv.tab[i]; p != NULL; p = next) {
				next = p->next;
				p->next = nt[recv_hash(p->key)];
				nt[recv_hash(p->key)] = p;
			}
		free(rcv.tab);
		rcv.tab = nt;
	}
	e->next = rcv.tab[recv_hash(e->key)];
	rcv.tab[recv_hash(e->key)] = e;
	rcv.count++;
}

/* The one-rule group of e, ready for the local backend. */
static const struct mit_ruleset *
recv_ruleset(const struct rentry *e)
{
	rcv.rs.group = GROUP_OF(e->key, SLOT_RECV);
	rcv.rs.nrules = 1;
	rcv.rs.rules[0] = e->rule;
	rcv.rs.rules[0].id = RULE_BASE(e->mnum, SLOT_RECV);
	return &rcv.rs;
}

static void
recv_refuse(const struct mit_recv *c, int reason, const char *why)
{
	rcv.ignored[reason]++;
	log_info("received rule %" PRIu64 " from %s not enforced: %s", c->key,
	    c->from, why);
}

/* Enforces (or replaces) received rule c; all-or-nothing. */
static void
recv_apply(const struct mit_backend *be, const struct mit_recv *c)
{
	struct rentry	**ep, *e, old;
	char		  err[128];
	int		  fresh, r;

	if (c->key == 0 || c->key > RECV_KEY_MAX || c->rule.kind !=
	    MIT_KIND_FLOW) {
		recv_refuse(c, MIT_RX_BACKEND, "bad key or rule kind");
		return;
	}
	if ((ep = recv_find(c->key)) != NULL) {
		e = *ep;
		old = *e;
		fresh = 0;
	} else {
		if (policy_local_rules() + rcv.count >= policy_conf.max_rules) {
			recv_refuse(c, MIT_RX_MAX_RULES, "max-rules reached");
			return;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    engine_mnum_alloc(&e->mnum) != 0) {
			free(e);
			recv_refuse(c, MIT_RX_BACKEND, "out of rule ids");
			return;
		}
		e->key = c->key;
		fresh = 1;
	}
	e->rule = c->rule;
	e->npeers = c->npeers;
	snprintf(e->from, sizeof(e->from), "%s", c->from);
	if ((r = be->apply(recv_ruleset(e), err, sizeof(err))) != 0) {
		recv_refuse(c, MIT_RX_BACKEND, err);
		if (fresh) {
			engine_mnum_release(e->mnum);
			free(e);
		} else
			*e = old;	/* the backend kept the old version */
		return;
	}
	if (fresh)
		recv_insert(e);
	log_debug("received rule %" PRIu64 " from %s enforced", c->key,
	    c->from);
}

static void
recv_withdraw(const struct mit_backend *be, uint64_t key)
{
	struct rentry	**ep, *e;
	char		  err[128];

	if ((ep = recv_find(key)) == NULL)
		return;
	e = *ep;
	if (be->withdraw(GROUP_OF(key, SLOT_RECV), err, sizeof(err)) != 0) {
		/* reconciliation finds the group left behind */
		log_warnx("received rule %" PRIu64 ": withdraw failed: %s",
		    key, err);
	}
	*ep = e->next;
	rcv.count--;
	engine_mnum_release(e->mnum);
	free(e);
}

int
engine_recv_fd(void)
{
	const struct mit_backend	*be;
	int				 i;

	for (i = 0; (be = engine_backend_at(i)) != NULL; i++)
		if (be->recv_fd != NULL && be->recv_fd() >= 0)
			return be->recv_fd();
	return -1;
}

int
engine_recv_process(void)
{
	const struct mit_backend	*src, *local;
	int				 i, k, n, done = 0;

	local = engine_slot_backend(SLOT_LOCAL);
	for (i = 0; (src = engine_backend_at(i)) != NULL; i++) {
		if (src->recv_drain == NULL)
			continue;
		while (done < RECV_BUDGET &&
		    (n = src->recv_drain(rcv.batch, RECV_BATCH)) > 0) {
			for (k = 0; k < n; k++) {
				if (rcv.batch[k].op == MIT_RECV_WITHDRAW) {
					if (local != NULL)
						recv_withdraw(local,
						    rcv.batch[k].key);
				} else if (local == NULL)
					recv_refuse(&rcv.batch[k],
					    MIT_RX_BACKEND,
					    "no local backend");
				else
					recv_apply(local, &rcv.batch[k]);
			}
			done += n;
		}
		if (done >= RECV_BUDGET)
			return 1;
	}
	return 0;
}

void
engine_recv_list(void (*fn)(const struct mit_recv_info *, void *),
    void *arg)
{
	const struct mit_backend	*be = engine_slot_backend(SLOT_LOCAL);
	struct mit_recv_info		 ri;
	struct rentry			*e;
	size_t				 i;

	for (i = 0; i < rcv.size; i++)
		for (e = rcv.tab[i]; e != NULL; e = e->next) {
			memset(&ri, 0, sizeof(ri));
			ri.key = e->key;
			ri.npeers = e->npeers;
			memcpy(ri.from, e->from, sizeof(ri.from));
			ri.rule = e->rule;
			ri.rule.id = RULE_BASE(e->mnum, SLOT_RECV);
			if (be != NULL && be->stats != NULL)
				(void)be->stats(GROUP_OF(e->key, SLOT_RECV),
				    &ri.st);
			fn(&ri, arg);
		}
}

size_t
engine_recv_count(void)
{
	return rcv.count;
}

void
engine_recv_ignored(uint64_t counts[MIT_RX_REASON_MAX])
{
	const struct mit_backend	*be;
	int				 i;

	memcpy(counts, rcv.ignored, sizeof(rcv.ignored));
	for (i = 0; (be = engine_backend_at(i)) != NULL; i++)
		if (be->recv_ignored != NULL)
			be->recv_ignored(counts);
}

/* For reconciliation: the groups received rules hold on the local backend. */
void
recv_groups(void (*add)(uint64_t, void *), void *arg)
{
	struct rentry	*e;
	size_t		 i;

	for (i = 0; i < rcv.size; i++)
		for (e = rcv.tab[i]; e != NULL; e = e->next)
			add(GROUP_OF(e->key, SLOT_RECV), arg);
}

/* Repair: puts back a received group the local backend lost. */
int
recv_reapply(const struct mit_backend *be, uint64_t group)
{
	struct rentry	**ep;
	char		  err[128];
	int		  r;

	if ((ep = recv_find(GROUP_ID(group))) == NULL)
		return -ENOENT;
	if ((r = be->apply(recv_ruleset(*ep), err, sizeof(err))) != 0)
		log_warnx("repair: %s: received group %#" PRIx64 ": %s",
		    be->name, group, err);
	return r;
}

/* engine_stop(): forget received rules (the backends stop too). */
void
recv_reset(void)
{
	struct rentry	*e, *next;
	size_t		 i;

	for (i = 0; i < rcv.size; i++)
		for (e = rcv.tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(rcv.tab);
	rcv.tab = NULL;
	rcv.size = rcv.count = 0;
	memset(rcv.ignored, 0, sizeof(rcv.ignored));
}
