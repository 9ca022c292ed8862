/*
 * null.c: backends that enforce nothing and record everything, the test
 * double of xdp_backend and bgp_backend. Two instances, "null" and
 * "null2", so the engine can be tested with a local and an upstream
 * backend; their test hooks are in mitigate/null.h.
 *
 * Config keywords (configure()): "max-rules N" makes apply() fail with
 * -E2BIG past N rules held in all groups (a full BPF map, a peer's
 * prefix limit); "kinds flow|rtbh|flow,rtbh" makes apply() fail with
 * -EOPNOTSUPP for rules of other kinds (an upstream without flowspec).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "mitigate/null.h"

#define NULL_BUCKETS	4096

struct null_group {
	struct null_group	*next;
	uint64_t		 group;
	struct mit_stats	 st;
	struct mit_ruleset	*rs;	/* rules[0..nrules) allocated only */
};

struct null_inst {
	struct null_group	*buckets[NULL_BUCKETS];
	size_t			 ngroups;
	uint64_t		 nrules;	/* in all groups */
	struct null_call	*calls;
	size_t			 ncalls, capcalls;
	int			 fail_op, fail_err;	/* armed failure */
	uint64_t		 max_rules;	/* 0 = none */
	uint8_t			 kinds;		/* bit per enum mit_kind */
};

static struct null_inst	insts[2] = {
	{ .fail_op = -1, .kinds = 0xff },
	{ .fail_op = -1, .kinds = 0xff },
};

static struct null_inst *
null_inst_of(const struct mit_backend *be)
{
	return be == &null_backend2 ? &insts[1] : &insts[0];
}

static int
null_record(struct null_inst *ni, int op, uint64_t group, uint32_t nrules,
    int rc)
{
	struct null_call	*c;

	if (ni->ncalls == ni->capcalls) {
		size_t	ncap = ni->capcalls ? ni->capcalls * 2 : 256;

		if ((c = reallocarray(ni->calls, ncap, sizeof(*c))) == NULL)
			fatal("%s", __func__);
		ni->calls = c;
		ni->capcalls = ncap;
	}
	c = &ni->calls[ni->ncalls++];
	c->op = op;
	c->rc = rc;
	c->group = group;
	c->nrules = nrules;
	return rc;
}

/* An armed failure for op, consumed: -err, or 0 when none. */
static int
null_armed(struct null_inst *ni, int op)
{
	int	err;

	if (ni->fail_op != op)
		return 0;
	err = ni->fail_err;
	ni->fail_op = -1;
	return -err;
}

static struct null_group **
null_find(struct null_inst *ni, uint64_t group)
{
	struct null_group	**gp;
	uint64_t		  h = group * 0x9e3779b97f4a7c15ULL;

	for (gp = &ni->buckets[h >> 52 & (NULL_BUCKETS - 1)]; *gp != NULL;
	    gp = &(*gp)->next)
		if ((*gp)->group == group)
			break;
	return gp;
}

static int
null_configure(struct null_inst *ni, const char *key, const char *value,
    char *err, size_t errlen)
{
	unsigned long long	 n;
	char			*end;

	if (strcmp(key, "max-rules") == 0) {
		n = strtoull(value, &end, 10);
		if (*value < '0' || *value > '9' || *end != '\0') {
			snprintf(err, errlen, "max-rules: \"%s\"", value);
			return -EINVAL;
		}
		ni->max_rules = n;
		return 0;
	}
	if (strcmp(key, "kinds") == 0) {
		ni->kinds = 0;
		if (strstr(value, "flow") != NULL)
			ni->kinds |= 1 << MIT_KIND_FLOW;
		if (strstr(value, "rtbh") != NULL)
			ni->kinds |= 1 << MIT_KIND_RTBH;
		return 0;
	}
	snprintf(err, errlen, "unknown keyword \"%s\"", key);
	return -EINVAL;
}

static int
null_apply(struct null_inst *ni, const struct mit_ruleset *rs, char *err,
    size_t errlen)
{
	struct null_group	**gp, *g;
	struct mit_ruleset	 *copy;
	uint64_t		  held;
	uint32_t		  i;
	int			  r;

	if ((r = null_armed(ni, NULL_OP_APPLY)) != 0) {
		snprintf(err, errlen, "failing as told (%s)",
		    strerror(-r));
		return null_record(ni, NULL_OP_APPLY, rs->group, rs->nrules, r);
	}
	if (rs->nrules > MIT_MAX_GROUP_RULES) {
		snprintf(err, errlen, "%u rules", rs->nrules);
		return null_record(ni, NULL_OP_APPLY, rs->group, rs->nrules,
		    -EINVAL);
	}
	for (i = 0; i < rs->nrules; i++)
		if (rs->rules[i].kind > 7 ||
		    !(ni->kinds & 1 << rs->rules[i].kind)) {
			snprintf(err, errlen, "rule kind %u not carried",
			    rs->rules[i].kind);
			return null_record(ni, NULL_OP_APPLY, rs->group,
			    rs->nrules, -EOPNOTSUPP);
		}
	gp = null_find(ni, rs->group);
	held = *gp != NULL ? (*gp)->rs->nrules : 0;
	if (ni->max_rules && ni->nrules - held + rs->nrules > ni->max_rules) {
		snprintf(err, errlen, "max-rules %llu reached",
		    (unsigned long long)ni->max_rules);
		return null_record(ni, NULL_OP_APPLY, rs->group, rs->nrules,
		    -E2BIG);
	}
	copy = malloc(offsetof(struct mit_ruleset, rules) +
	    rs->nrules * sizeof(rs->rules[0]) + 1);
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return null_record(ni, NULL_OP_APPLY, rs->group, rs->nrules,
		    -ENOMEM);
	}
	memcpy(copy, rs, offsetof(struct mit_ruleset, rules) +
	    rs->nrules * sizeof(rs->rules[0]));
	if ((g = *gp) == NULL) {
		if ((g = calloc(1, sizeof(*g))) == NULL) {
			free(copy);
			snprintf(err, errlen, "out of memory");
			return null_record(ni, NULL_OP_APPLY, rs->group,
			    rs->nrules, -ENOMEM);
		}
		g->group = rs->group;
		*gp = g;
		ni->ngroups++;
	}
	free(g->rs);
	g->rs = copy;
	ni->nrules = ni->nrules - held + rs->nrules;
	return null_record(ni, NULL_OP_APPLY, rs->group, rs->nrules, 0);
}

static int
null_withdraw(struct null_inst *ni, uint64_t group, char *err,
    size_t errlen)
{
	struct null_group	**gp, *g;
	int			  r;

	if ((r = null_armed(ni, NULL_OP_WITHDRAW)) != 0) {
		snprintf(err, errlen, "failing as told (%s)",
		    strerror(-r));
		return null_record(ni, NULL_OP_WITHDRAW, group, 0, r);
	}
	gp = null_find(ni, group);
	if ((g = *gp) != NULL) {
		*gp = g->next;
		ni->ngroups--;
		ni->nrules -= g->rs->nrules;
		free(g->rs);
		free(g);
	}
	return null_record(ni, NULL_OP_WITHDRAW, group, 0, 0);
}

static int
null_stats(struct null_inst *ni, uint64_t group, struct mit_stats *st)
{
	struct null_group	*g = *null_find(ni, group);

	if (g == NULL)
		return null_record(ni, NULL_OP_STATS, group, 0, -ENOENT);
	*st = g->st;
	return null_record(ni, NULL_OP_STATS, group, 0, 0);
}

static int
null_list(struct null_inst *ni, void (*fn)(uint64_t, void *), void *arg)
{
	struct null_group	*g;
	size_t			 i;

	for (i = 0; i < NULL_BUCKETS; i++)
		for (g = ni->buckets[i]; g != NULL; g = g->next)
			fn(g->group, arg);
	return null_record(ni, NULL_OP_LIST, 0, 0, 0);
}

/* The vtables: one set of thin wrappers per instance. */
#define NULL_INSTANCE(N, VAR, NAME)					\
static int								\
null_configure_##N(const char *key, const char *value, char *err,	\
    size_t errlen)							\
{									\
	return null_record(&insts[N], NULL_OP_CONFIGURE, 0, 0,		\
	    null_configure(&insts[N], key, value, err, errlen));	\
}									\
static int								\
null_start_##N(char *err, size_t errlen)				\
{									\
	return null_record(&insts[N], NULL_OP_START, 0, 0, 0);		\
}									\
static void								\
null_stop_##N(void)							\
{									\
	null_record(&insts[N], NULL_OP_STOP, 0, 0, 0);			\
}									\
static int								\
null_apply_##N(const struct mit_ruleset *rs, char *err, size_t errlen)	\
{									\
	return null_apply(&insts[N], rs, err, errlen);			\
}									\
static int								\
null_withdraw_##N(uint64_t group, char *err, size_t errlen)		\
{									\
	return null_withdraw(&insts[N], group, err, errlen);		\
}									\
static int								\
null_stats_##N(uint64_t group, struct mit_stats *st)			\
{									\
	return null_stats(&insts[N], group, st);			\
}									\
static int								\
null_list_##N(void (*fn)(uint64_t, void *), void *arg)			\
{									\
	return null_list(&insts[N], fn, arg);				\
}									\
const struct mit_backend VAR = {					\
	.name = NAME,							\
	.configure = null_configure_##N,				\
	.start = null_start_##N,					\
	.stop = null_stop_##N,						\
	.apply = null_apply_##N,					\
	.withdraw = null_withdraw_##N,					\
	.stats = null_stats_##N,					\
	.list = null_list_##N,						\
}

NULL_INSTANCE(0, null_backend, "null");
NULL_INSTANCE(1, null_backend2, "null2");

void
null_reset(const struct mit_backend *be)
{
	struct null_inst	*ni = null_inst_of(be);
	struct null_group	*g, *next;
	size_t			 i;

	for (i = 0; i < NULL_BUCKETS; i++) {
		for (g = ni->buckets[i]; g != NULL; g = next) {
			next = g->next;
			free(g->rs);
			free(g);
		}
		ni->buckets[i] = NULL;
	}
	free(ni->calls);
	ni->calls = NULL;
	ni->ncalls = ni->capcalls = ni->ngroups = 0;
	ni->nrules = 0;
	ni->fail_op = -1;
	ni->max_rules = 0;
	ni->kinds = 0xff;
}

size_t
null_ncalls(const struct mit_backend *be)
{
	return null_inst_of(be)->ncalls;
}

const struct null_call *
null_call(const struct mit_backend *be, size_t i)
{
	struct null_inst	*ni = null_inst_of(be);

	return i < ni->ncalls ? &ni->calls[i] : NULL;
}

size_t
null_count(const struct mit_backend *be, enum null_op op)
{
	struct null_inst	*ni = null_inst_of(be);
	size_t			 i, n = 0;

	for (i = 0; i < ni->ncalls; i++)
		n += ni->calls[i].op == op;
	return n;
}

void
null_fail_next(const struct mit_backend *be, enum null_op op, int err)
{
	struct null_inst	*ni = null_inst_of(be);

	ni->fail_op = op;
	ni->fail_err = err;
}

size_t
null_ngroups(const struct mit_backend *be)
{
	return null_inst_of(be)->ngroups;
}

const struct mit_ruleset *
null_group(const struct mit_backend *be, uint64_t group)
{
	struct null_group	*g = *null_find(null_inst_of(be), group);

	return g ? g->rs : NULL;
}

int
null_set_stats(const struct mit_backend *be, uint64_t group,
    const struct mit_stats *st)
{
	struct null_group	*g = *null_find(null_inst_of(be), group);

	if (g == NULL)
		return -ENOENT;
	g->st = *st;
	return 0;
}

int
null_adopt(const struct mit_backend *be, uint64_t group)
{
	struct mit_ruleset	rs = { .group = group };
	char			err[64];

	return null_apply(null_inst_of(be), &rs, err, sizeof(err));
}
