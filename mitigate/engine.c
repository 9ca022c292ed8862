/*
 * engine.c: the mitigation table and the moves between its states.
 *
 * Each mitigation (keyed by dotsd's id) is held as up to three backend
 * groups, one per slot (internal.h): local flow rules, upstream flowspec,
 * upstream RTBH. Its level says which slots it calls for; the client's
 * policy and the operator's `backends` say which are allowed.
 *
 * Every change (new mitigation, new version, level change) is one
 * transition from what is held to what is wanted, all-or-nothing across
 * backends: compile every wanted group, check the ceilings, apply the
 * wanted groups one by one, then withdraw the groups no longer wanted. If
 * a backend fails, every group already changed is put back as it was: the
 * previous ruleset is recompiled from the previous mitigation (compile is
 * deterministic, so this restores the very rules and ids while keeping one
 * struct mitigation per entry instead of three 18 KiB rulesets).
 *
 * Single-threaded: dotsd calls every engine_* function from its main loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mitigate/internal.h"

#define ENGINE_MAX_BACKENDS	8

struct entry {
	struct entry		*next;		/* hash chain */
	struct mitigation	 m;		/* version in force */
	uint32_t		 mnum;		/* rule-id number */
	uint8_t			 level;		/* enum mit_level in force */
	uint8_t			 held;		/* bits of enum slot */
	uint8_t			 state;		/* enum mit_state */
	uint8_t			 withdrawing;	/* withdraw failed, retrying */
	uint8_t			 flowspec_refused; /* upstream said no */
	uint32_t		 nrules[SLOT_MAX];	/* held per slot */
	uint32_t		 announced;	/* upstream routes (stats) */
	struct counters		 ctr;
	struct escalation	 esc;
	char			 reason[128];
};

static const struct mit_backend	*backends[ENGINE_MAX_BACKENDS];
static int			 nbackends;
static char			 slot_backend_name[SLOT_MAX][32] = {
	[SLOT_LOCAL] = "xdp",
	[SLOT_FLOWSPEC] = "bgp",
	[SLOT_RTBH] = "bgp",
};

static struct entry	**table;
static size_t		  table_size;	/* buckets, a power of two */
static size_t		  table_count;

static uint32_t		 *mnum_free;	/* released rule-id numbers */
static size_t		  mnum_nfree, mnum_capfree;
static uint32_t		  mnum_next;

static time_t		  engine_now;	/* of the last tick */

/* Scratch for one transition: the new groups, and one for rollback. */
static struct mit_ruleset	scratch[SLOT_MAX], rollback_rs;

/* Sets e's status reason (truncated to fit). */
static void
engine_reason(struct entry *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
engine_reason(struct entry *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

static time_t
engine_time(void)
{
	return engine_now ? engine_now : time(NULL);
}

const struct mit_backend *
engine_slot_backend(int slot)
{
	int	i;

	for (i = 0; i < nbackends; i++)
		if (strcmp(backends[i]->name, slot_backend_name[slot]) == 0)
			return backends[i];
	return NULL;
}

static size_t
engine_hash(uint64_t id)
{
	return (id * 0x9e3779b97f4a7c15ULL) >> 32 & (table_size - 1);
}

static struct entry **
engine_find(uint64_t id)
{
	struct entry	**ep;

	if (table_size == 0)
		return NULL;
	for (ep = &table[engine_hash(id)]; *ep != NULL; ep = &(*ep)->next)
		if ((*ep)->m.id == id)
			return ep;
	return NULL;
}

static void
engine_insert(struct entry *e)
{
	struct entry	**nt, *p, *next;
	size_t		  i, osize = table_size;

	if (table_count >= table_size) {
		table_size = osize ? osize * 2 : 1024;
		if ((nt = calloc(table_size, sizeof(*nt))) == NULL)
			fatal("%s", __func__);
		for (i = 0; i < osize; i++)
			for (p = table[i]; p != NULL; p = next) {
				next = p->next;
				p->next = nt[engine_hash(p->m.id)];
				nt[engine_hash(p->m.id)] = p;
			}
		free(table);
		table = nt;
	}
	e->next = table[engine_hash(e->m.id)];
	table[engine_hash(e->m.id)] = e;
	table_count++;
}

int
engine_mnum_alloc(uint32_t *out)
{
	if (mnum_nfree > 0) {
		*out = mnum_free[--mnum_nfree];
		return 0;
	}
	if (mnum_next > RULE_MNUM_MAX)
		return -ENOSPC;
	*out = mnum_next++;
	return 0;
}

void
engine_mnum_release(uint32_t n)
{
	uint32_t	*nf;

	if (mnum_nfree == mnum_capfree) {
		mnum_capfree = mnum_capfree ? mnum_capfree * 2 : 256;
		if ((nf = reallocarray(mnum_free, mnum_capfree,
		    sizeof(*nf))) == NULL)
			fatal("%s", __func__);
		mnum_free = nf;
	}
	mnum_free[mnum_nfree++] = n;
}

/*
 * No slot has a backend (dotsd.conf without xdp and bgp blocks, and no
 * null backend named): mitigations are recorded, checked and answered,
 * and nothing is enforced (dotsd(8)).
 */
int
engine_recording(void)
{
	int	s;

	for (s = 0; s < SLOT_MAX; s++)
		if (engine_slot_backend(s) != NULL)
			return 0;
	return 1;
}

/* Whether slot can act for m: allowed, a backend for it, not refused. */
static int
engine_usable(const struct mitigation *m, int slot, int flowspec_refused)
{
	if (slot == SLOT_FLOWSPEC && flowspec_refused)
		return 0;
	return policy_slot_allowed(m, slot) &&
	    engine_slot_backend(slot) != NULL;
}

/* The slots m calls for at level: every usable slot up to level. */
static uint8_t
engine_want(const struct mitigation *m, int level, int flowspec_refused)
{
	uint8_t	want = 0;
	int	s;

	for (s = 0; s <= level && s < SLOT_MAX; s++)
		if (engine_usable(m, s, flowspec_refused))
			want |= 1 << s;
	return want;
}

/*
 * The level m starts at and steps down to: the pinned level, else the
 * configured base-level, raised to the first level at which some slot is
 * usable (a client allowed only upstream starts upstream).
 */
static int
engine_base(const struct mitigation *m, int flowspec_refused)
{
	int	l;

	if (m->policy.pin_level >= 0)
		return m->policy.pin_level;
	for (l = policy_conf.base_level; l < MIT_LEVEL_RTBH; l++)
		if (engine_want(m, l, flowspec_refused) != 0)
			break;
	return l;
}

/* Puts slot of e back as it was before a failed transition. */
static void
engine_restore(struct entry *e, int slot)
{
	const struct mit_backend	*be = engine_slot_backend(slot);
	uint64_t			 group = GROUP_OF(e->m.id, slot);
	char				 err[128];
	int				 r;

	if (be == NULL)
		return;
	if (e->held & (1 << slot)) {
		r = compile_ruleset(&e->m, slot, group,
		    RULE_BASE(e->mnum, slot), &rollback_rs, err, sizeof(err));
		if (r == 0)
			r = be->apply(&rollback_rs, err, sizeof(err));
	} else
		r = be->withdraw(group, err, sizeof(err));
	if (r != 0) {
		log_warnx("mitigation %" PRIu64 ": rollback on %s failed: %s",
		    e->m.id, be->name, err);
		e->state = MIT_ST_EXCEEDED;
		engine_reason(e, "rollback on %s "
		    "failed: %s", be->name, err);
	}
}

/*
 * Moves e from what it holds to what nm calls for at level, on every
 * backend or none. e->m is the version in force (meaningless while
 * e->held is 0). On failure returns -errno with a reason in err, the slot
 * that failed in *failed (-1 for compile/ceiling failures), and e and the
 * backends are as they were.
 */
static int
engine_transition(struct entry *e, const struct mitigation *nm, int level,
    int *failed, char *err, size_t errlen)
{
	const struct mit_backend	*be;
	uint32_t			 nnew[SLOT_MAX] = { 0 };
	uint8_t				 want, done = 0;
	char				 berr[128];
	int				 s, r;

	*failed = -1;
	want = engine_want(nm, level, e->flowspec_refused);
	if (want == 0 && engine_recording()) {
		/* compiled all the same: refused alike, enforcing or not */
		if ((r = compile_ruleset(nm, SLOT_LOCAL, GROUP_OF(nm->id,
		    SLOT_LOCAL), RULE_BASE(e->mnum, SLOT_LOCAL), &scratch[0],
		    berr, sizeof(berr))) != 0) {
			snprintf(err, errlen, "%s", berr);
			return r;
		}
		if (&e->m != nm)
			e->m = *nm;
		e->level = level;
		return 0;
	}
	if (want == 0) {
		snprintf(err, errlen, "no backend allowed at level %s",
		    escalate_level_name(level));
		return -EPERM;
	}
	for (s = 0; s < SLOT_MAX; s++) {
		if (!(want & (1 << s)))
			continue;
		r = compile_ruleset(nm, s, GROUP_OF(nm->id, s),
		    RULE_BASE(e->mnum, s), &scratch[s], berr, sizeof(berr));
		if (r != 0) {
			snprintf(err, errlen, "%s", berr);
			*failed = s;
			return r;
		}
		nnew[s] = scratch[s].nrules;
	}
	r = policy_check(e->held ? e->m.client : NULL, e->nrules, nm->client,
	    nnew, nm->policy.max_rules, err, errlen);
	if (r != 0)
		return r;

	/*
	 * Apply first: a refusal then happens before anything is removed.
	 * Unchanged groups are sent again too, so a refresh heals a group a
	 * backend lost.
	 */
	for (s = 0; s < SLOT_MAX; s++) {
		if (!(want & (1 << s)))
			continue;
		be = engine_slot_backend(s);
		if ((r = be->apply(&scratch[s], berr, sizeof(berr))) != 0)
			goto rollback;
		done |= 1 << s;
	}
	for (s = 0; s < SLOT_MAX; s++) {
		if (!(e->held & ~want & (1 << s)) ||
		    (be = engine_slot_backend(s)) == NULL)
			continue;
		if ((r = be->withdraw(GROUP_OF(nm->id, s), berr,
		    sizeof(berr))) != 0)
			goto rollback;
		done |= 1 << s;
	}

	if (e->held)
		policy_account(e->m.client, e->nrules, -1);
	policy_account(nm->client, nnew, 1);
	if (&e->m != nm)
		e->m = *nm;
	e->level = level;
	e->held = want;
	memcpy(e->nrules, nnew, sizeof(nnew));
	if (!(want & (1 << SLOT_LOCAL)))
		counters_forget(&e->ctr);
	return 0;

rollback:
	snprintf(err, errlen, "%s: %s", be->name, berr);
	*failed = s;
	for (s = 0; s < SLOT_MAX; s++)
		if (done & (1 << s))
			engine_restore(e, s);
	return r;
}

/*
 * One config keyword of the mitigation block (README.md lists them).
 * Returns 0, -EINVAL with a reason, or -ENOENT for an unknown keyword.
 */
int
engine_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	static const struct {
		const char	*key;
		int		 slot;
	} keys[] = {	/* sorted */
		{ "flowspec-backend", SLOT_FLOWSPEC },
		{ "local-backend", SLOT_LOCAL },
		{ "rtbh-backend", SLOT_RTBH },
	};
	size_t	i;
	int	r;

	if (key == NULL || value == NULL) {
		snprintf(err, errlen, "missing keyword or value");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) != 0)
			continue;
		if (strlen(value) >= sizeof(slot_backend_name[0])) {
			snprintf(err, errlen, "%s: name too long", key);
			return -EINVAL;
		}
		strcpy(slot_backend_name[keys[i].slot], value);
		return 0;
	}
	if ((r = policy_configure(key, value, err, errlen)) != -ENOENT ||
	    (r = counters_configure(key, value, err, errlen)) != -ENOENT ||
	    (r = escalate_configure(key, value, err, errlen)) != -ENOENT)
		return r;
	snprintf(err, errlen, "unknown mitigation keyword \"%s\"", key);
	return -ENOENT;
}

/* The i-th registered backend, or NULL past the last. */
const struct mit_backend *
engine_backend_at(int i)
{
	return i >= 0 && i < nbackends ? backends[i] : NULL;
}

/* Registers be (before engine_start); -EEXIST for a second of a name. */
int
engine_add_backend(const struct mit_backend *be)
{
	int	i;

	for (i = 0; i < nbackends; i++)
		if (strcmp(backends[i]->name, be->name) == 0)
			return -EEXIST;
	if (nbackends == ENGINE_MAX_BACKENDS)
		return -ENOSPC;
	backends[nbackends++] = be;
	return 0;
}

/* Starts every backend; on failure stops those started. */
int
engine_start(char *err, size_t errlen)
{
	char	berr[128] = "";
	int	i, r;

	for (i = 0; i < nbackends; i++) {
		if (backends[i]->start == NULL)
			continue;
		if ((r = backends[i]->start(berr, sizeof(berr))) != 0) {
			snprintf(err, errlen, "%s: %s", backends[i]->name,
			    berr);
			while (--i >= 0)
				if (backends[i]->stop != NULL)
					backends[i]->stop();
			return r;
		}
	}
	for (i = 0; i < SLOT_MAX; i++)
		if (engine_slot_backend(i) == NULL)
			log_info("mitigation: no backend \"%s\": %s level "
			    "unavailable", slot_backend_name[i],
			    escalate_level_name(i));
	return 0;
}

static void
engine_free(struct entry *e)
{
	engine_mnum_release(e->mnum);
	free(e);
}

/*
 * Stops the backends and forgets every mitigation without withdrawing it:
 * what a backend keeps across restarts (pinned XDP maps) stays in force
 * until the next dotsd re-applies or withdraws it.
 */
void
engine_stop(void)
{
	struct entry	*e, *next;
	size_t		 i;

	for (i = nbackends; i-- > 0;)
		if (backends[i]->stop != NULL)
			backends[i]->stop();
	filter_stop();
	for (i = 0; i < table_size; i++)
		for (e = table[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(table);
	table = NULL;
	table_size = table_count = 0;
	free(mnum_free);
	mnum_free = NULL;
	mnum_nfree = mnum_capfree = 0;
	recv_reset();
	mnum_next = 0;
	nbackends = 0;
	engine_now = 0;
	policy_reset();
}

int
engine_apply(const struct mitigation *m, char *err, size_t errlen)
{
	struct entry	**ep, *e, *fresh = NULL;
	int		  level, base, failed, r;

	if ((r = compile_validate(m, err, errlen)) != 0)
		return r;
	if ((ep = engine_find(m->id)) != NULL) {
		e = *ep;
		base = engine_base(m, e->flowspec_refused);
		level = m->policy.pin_level >= 0 ? m->policy.pin_level :
		    e->level < base ? base : e->level;
	} else {
		if ((fresh = calloc(1, sizeof(*fresh))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		if ((r = engine_mnum_alloc(&fresh->mnum)) != 0) {
			free(fresh);
			snprintf(err, errlen, "out of rule ids");
			return r;
		}
		e = fresh;
		e->m.id = m->id;	/* for a rollback's withdraws */
		level = engine_base(m, 0);
	}
	if ((r = engine_transition(e, m, level, &failed, err, errlen)) != 0) {
		log_debug("mitigation %" PRIu64 " (%s mid %" PRIu32 ") "
		    "refused: %s", m->id, m->client, m->mid, err);
		if (fresh != NULL)
			engine_free(fresh);
		return r;
	}
	if (fresh != NULL) {
		counters_init(&e->ctr, engine_time());
		escalate_init(&e->esc, m->policy.pin_level);
		engine_insert(e);
	} else if ((e->esc.state == ESC_PINNED) != (m->policy.pin_level >= 0))
		escalate_init(&e->esc, m->policy.pin_level);
	e->withdrawing = 0;
	e->state = MIT_ST_ACTIVE;
	engine_reason(e, "applied at level %s",
	    escalate_level_name(e->level));
	if (e->held == 0) {
		e->state = MIT_ST_RECORDED;
		engine_reason(e, "recorded, not enforced: no backend "
		    "configured");
	}
	log_debug("mitigation %" PRIu64 " (%s mid %" PRIu32 "): %s, rules "
	    "%u local %u flowspec %u rtbh", m->id, m->client, m->mid,
	    e->reason, e->nrules[SLOT_LOCAL], e->nrules[SLOT_FLOWSPEC],
	    e->nrules[SLOT_RTBH]);
	return 0;
}

/*
 * Withdraws every group of e. Returns 0 when none is left, else the
 * first error (the groups that failed stay held, to be retried).
 */
static int
engine_withdraw_groups(struct entry *e, char *err, size_t errlen)
{
	const struct mit_backend	*be;
	uint32_t			 gone[SLOT_MAX] = { 0 };
	char				 berr[128];
	int				 s, r, rv = 0;

	for (s = 0; s < SLOT_MAX; s++) {
		if (!(e->held & (1 << s)))
			continue;
		if ((be = engine_slot_backend(s)) == NULL)
			r = 0;	/* its backend is gone: nothing holds it */
		else
			r = be->withdraw(GROUP_OF(e->m.id, s), berr,
			    sizeof(berr));
		if (r != 0) {
			if (rv == 0)
				snprintf(err, errlen, "%s: %s", be->name,
				    berr);
			rv = rv ? rv : r;
			continue;
		}
		gone[s] = e->nrules[s];
		e->nrules[s] = 0;
		e->held &= ~(1 << s);
	}
	policy_account(e->m.client, gone, -1);
	return rv;
}

int
engine_withdraw(uint64_t id)
{
	struct entry	**ep, *e;
	char		  err[160];
	int		  r;

	if ((ep = engine_find(id)) == NULL)
		return -ENOENT;
	e = *ep;
	if ((r = engine_withdraw_groups(e, err, sizeof(err))) != 0) {
		log_warnx("mitigation %" PRIu64 ": withdraw failed, will "
		    "retry: %s", id, err);
		e->withdrawing = 1;
		e->state = MIT_ST_FAILED;
		engine_reason(e, "withdraw failed: %s",
		    err);
		return r;
	}
	*ep = e->next;
	table_count--;
	engine_free(e);
	return 0;
}

int
engine_status(uint64_t id, struct mit_status *st)
{
	struct entry	**ep, *e;

	if ((ep = engine_find(id)) == NULL || (*ep)->withdrawing)
		return -ENOENT;
	e = *ep;
	memset(st, 0, sizeof(*st));
	st->state = e->state;
	/* The level whose slot is the highest held: what acts, truly. */
	st->level = e->held & (1 << SLOT_RTBH) ? MIT_LEVEL_RTBH :
	    e->held & (1 << SLOT_FLOWSPEC) ? MIT_LEVEL_FLOWSPEC :
	    MIT_LEVEL_LOCAL;
	st->upstream_only = !(e->held & (1 << SLOT_LOCAL));
	counters_status(&e->ctr, engine_time(), st);
	st->state = counters_merge_state(e->state, st->remote_state,
	    !st->upstream_only);
	/* drops an upstream provider reports are drops a client may see */
	if (st->remote_state != 0)
		st->upstream_only = 0;
	st->routes_announced = e->announced;
	snprintf(st->reason, sizeof(st->reason), "%s", e->reason);
	return 0;
}

/*
 * Fixes the level of mitigation id (level -1: escalate freely again), as
 * the client's policy pin_level does, and moves it there now.
 */
int
engine_pin(uint64_t id, int level, char *err, size_t errlen)
{
	struct mitigation	 m;
	struct entry		**ep;

	if ((ep = engine_find(id)) == NULL || (*ep)->withdrawing) {
		snprintf(err, errlen, "no mitigation %" PRIu64, id);
		return -ENOENT;
	}
	m = (*ep)->m;
	m.policy.pin_level = level;
	return engine_apply(&m, err, errlen);
}

/* Reads e's backend counters. */
static void
engine_read_stats(struct entry *e, time_t now)
{
	const struct mit_backend	*be;
	struct mit_stats		 st;
	uint32_t			 announced = 0;
	int				 s, remote = 0;

	for (s = 0; s < SLOT_MAX; s++) {
		if (!(e->held & (1 << s)) ||
		    (be = engine_slot_backend(s)) == NULL ||
		    be->stats == NULL)
			continue;
		memset(&st, 0, sizeof(st));
		if (be->stats(GROUP_OF(e->m.id, s), &st) != 0)
			continue;
		if (s == SLOT_LOCAL)
			counters_update(&e->ctr, &st, now);
		else
			announced += st.announced;
		/* one upstream provider reports per mitigation: the
		 * highest slot that has one */
		if (s != SLOT_LOCAL && st.remote_state != 0) {
			counters_remote(&e->ctr, &st);
			remote = 1;
		}
	}
	if (!remote)
		counters_remote(&e->ctr, NULL);
	e->announced = announced;
}

/* Runs e's escalation FSM and applies the level it asks for. */
static void
engine_escalate(struct entry *e, time_t now)
{
	struct esc_input	in;
	char			why[128] = "", err[128], prev[128];
	int			to, from = e->level, failed, r;

	/* Without thresholds only an unpinned mitigation above base moves. */
	if (!escalate_enabled() && e->m.policy.pin_level < 0 &&
	    e->level <= engine_base(&e->m, e->flowspec_refused))
		return;
	memset(&in, 0, sizeof(in));
	in.id = e->m.id;
	in.bps = e->ctr.bps;
	in.pps = e->ctr.pps;
	in.level = e->level;
	in.base = engine_base(&e->m, e->flowspec_refused);
	in.pin = e->m.policy.pin_level;
	in.can_flowspec = engine_usable(&e->m, SLOT_FLOWSPEC,
	    e->flowspec_refused);
	in.can_rtbh = engine_usable(&e->m, SLOT_RTBH, 0);
	to = escalate_step(&e->esc, &in, now, why, sizeof(why));
	if (to == from)
		return;
	r = engine_transition(e, &e->m, to, &failed, err, sizeof(err));
	if (r == 0) {
		log_info("mitigation %" PRIu64 " (%s mid %" PRIu32 "): %s",
		    e->m.id, e->m.client, e->m.mid, why[0] ? why :
		    "level changed");
		e->state = MIT_ST_ACTIVE;
		engine_reason(e, "%s", why[0] ? why :
		    "level changed");
		return;
	}
	if (r == -EOPNOTSUPP && failed == SLOT_FLOWSPEC)
		e->flowspec_refused = 1;	/* next step goes to RTBH */
	snprintf(prev, sizeof(prev), "%s", e->reason);
	e->state = MIT_ST_EXCEEDED;
	engine_reason(e, "%s -> %s failed: %s",
	    escalate_level_name(from), escalate_level_name(to), err);
	/* A step retried every escalate-after s is logged once. */
	if (strcmp(prev, e->reason) != 0)
		log_warnx("mitigation %" PRIu64 " (%s mid %" PRIu32 "): %s",
		    e->m.id, e->m.client, e->m.mid, e->reason);
}

void
engine_tick(time_t now)
{
	struct entry	**ep, *e;
	char		  err[160];
	size_t		  i;

	engine_now = now;
	for (i = 0; i < table_size; i++) {
		ep = &table[i];
		while ((e = *ep) != NULL) {
			if (e->withdrawing) {
				if (engine_withdraw_groups(e, err,
				    sizeof(err)) == 0) {
					*ep = e->next;
					table_count--;
					engine_free(e);
					continue;
				}
				engine_reason(e, "withdraw failed: %s", err);
			} else if (e->state != MIT_ST_RECORDED) {
				engine_read_stats(e, now);
				engine_escalate(e, now);
			}
			ep = &e->next;
		}
	}
}

/* Groups of one backend: what it lists, or what the table calls for. */
struct glist {
	uint64_t	*g;
	size_t		 n, cap;
	int		 oom;
};

static void
glist_add(uint64_t group, void *arg)
{
	struct glist	*gl = arg;
	uint64_t	*ng;

	if (gl->n == gl->cap) {
		gl->cap = gl->cap ? gl->cap * 2 : 1024;
		if ((ng = reallocarray(gl->g, gl->cap, sizeof(*ng))) == NULL) {
			gl->oom = 1;
			gl->cap = gl->n;
			return;
		}
		gl->g = ng;
	}
	gl->g[gl->n++] = group;
}

static int
group_cmp(const void *a, const void *b)
{
	uint64_t	ga = *(const uint64_t *)a, gb = *(const uint64_t *)b;

	return ga < gb ? -1 : ga > gb;
}

/* Appends one difference to report (as long as it fits). */
static void
report_add(char *report, size_t len, int *ndiff, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report_add(char *report, size_t len, int *ndiff, const char *fmt, ...)
{
	va_list	ap;
	size_t	used;

	(*ndiff)++;
	if (report == NULL || len == 0)
		return;
	used = strlen(report);
	if (used + 1 >= len)
		return;
	if (used > 0)
		report[used++] = ';', report[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(report + used, len - used, fmt, ap);
	va_end(ap);
}

/* Compares backend be's groups with those the table has it hold. */
/* Puts back a group that e holds but its backend lost. */
static int
engine_reapply(const struct mit_backend *be, uint64_t group)
{
	struct entry	**ep;
	char		  err[128];
	int		  slot = GROUP_SLOT(group), r;

	if (IS_FILTER_GROUP(group))
		return filter_reapply(be, group);
	if (slot == SLOT_RECV)
		return recv_reapply(be, group);
	if ((ep = engine_find(GROUP_ID(group))) == NULL)
		return -ENOENT;
	r = compile_ruleset(&(*ep)->m, slot, group,
	    RULE_BASE((*ep)->mnum, slot), &rollback_rs, err, sizeof(err));
	if (r == 0)
		r = be->apply(&rollback_rs, err, sizeof(err));
	if (r != 0)
		log_warnx("repair: %s: group %#" PRIx64 ": %s", be->name,
		    group, err);
	return r;
}

static void
engine_reconcile_backend(const struct mit_backend *be, char *report,
    size_t len, int *ndiff, int repair)
{
	char	err[128];

	struct glist	 have = { 0 }, want = { 0 };
	struct entry	*e;
	size_t		 i, a, b;
	int		 s;

	if (be->list == NULL || be->list(glist_add, &have) != 0) {
		report_add(report, len, ndiff, " %s: cannot list groups",
		    be->name);
		goto out;
	}
	for (i = 0; i < table_size; i++)
		for (e = table[i]; e != NULL; e = e->next) {
			if (e->withdrawing)
				continue;
			for (s = 0; s < SLOT_MAX; s++)
				if ((e->held & (1 << s)) &&
				    engine_slot_backend(s) == be)
					glist_add(GROUP_OF(e->m.id, s), &want);
		}
	filter_want(be, glist_add, &want);
	if (be == engine_slot_backend(SLOT_LOCAL))
		recv_groups(glist_add, &want);
	if (have.oom || want.oom) {
		report_add(report, len, ndiff, " %s: out of memory", be->name);
		goto out;
	}
	if (have.n > 1)
		qsort(have.g, have.n, sizeof(uint64_t), group_cmp);
	if (want.n > 1)
		qsort(want.g, want.n, sizeof(uint64_t), group_cmp);
	for (a = b = 0; a < have.n || b < want.n;) {
		if (b == want.n || (a < have.n && have.g[a] < want.g[b])) {
			report_add(report, len, ndiff, " %s holds group %#"
			    PRIx64 " (mitigation %" PRIu64 " %s) that no "
			    "mitigation calls for", be->name, have.g[a],
			    GROUP_ID(have.g[a]),
			    escalate_level_name(GROUP_SLOT(have.g[a])));
			if (repair && be->withdraw(have.g[a], err,
			    sizeof(err)) != 0)
				log_warnx("repair: %s: withdraw %#" PRIx64
				    ": %s", be->name, have.g[a], err);
			a++;
		} else if (a == have.n || want.g[b] < have.g[a]) {
			report_add(report, len, ndiff, " %s lacks group %#"
			    PRIx64 " (mitigation %" PRIu64 " %s)", be->name,
			    want.g[b], GROUP_ID(want.g[b]),
			    escalate_level_name(GROUP_SLOT(want.g[b])));
			if (repair)
				engine_reapply(be, want.g[b]);
			b++;
		} else
			a++, b++;
	}
out:
	free(have.g);
	free(want.g);
}

static int
engine_check(char *report, size_t len, int repair)
{
	const struct mit_backend	*seen[SLOT_MAX], *be;
	struct entry			*e;
	size_t				 i;
	int				 s, t, nseen = 0, ndiff = 0, failed;
	uint8_t				 want;
	char				 err[128];

	if (report != NULL && len > 0)
		report[0] = '\0';
	/* Every entry holds what its level calls for... */
	for (i = 0; i < table_size; i++)
		for (e = table[i]; e != NULL; e = e->next) {
			if (e->withdrawing)
				continue;
			want = engine_want(&e->m, e->level,
			    e->flowspec_refused);
			if (e->held == want)
				continue;
			report_add(report, len, &ndiff, " mitigation %" PRIu64
			    " holds slots %#x, level %s calls for %#x",
			    e->m.id, e->held, escalate_level_name(e->level),
			    want);
			if (repair && engine_transition(e, &e->m, e->level,
			    &failed, err, sizeof(err)) != 0)
				log_warnx("repair: mitigation %" PRIu64 ": %s",
				    e->m.id, err);
		}
	/* ...and every backend holds exactly the groups held. */
	for (s = 0; s < SLOT_MAX; s++) {
		if ((be = engine_slot_backend(s)) == NULL)
			continue;
		for (t = 0; t < nseen; t++)
			if (seen[t] == be)
				break;
		if (t < nseen)
			continue;
		seen[nseen++] = be;
		engine_reconcile_backend(be, report, len, &ndiff, repair);
	}
	return ndiff;
}

int
engine_reconcile(char *report, size_t len)
{
	return engine_check(report, len, 0);
}

/*
 * Makes the backends hold what the table calls for: withdraws groups no
 * mitigation calls for (left over from an earlier run, or by a failed
 * rollback), re-applies the ones missing. Returns the number of
 * differences left afterwards (0 = consistent), described in report.
 */
int
engine_repair(char *report, size_t len)
{
	int	n;

	if ((n = engine_check(NULL, 0, 1)) > 0)
		log_info("mitigation: repaired %d differences with the "
		    "backends", n);
	return engine_check(report, len, 0);
}
