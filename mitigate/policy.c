/*
 * policy.c: the engine's own ceilings. dotsd authorizes a client's
 * request; this file still refuses what the operator's global limits or
 * the client's policy forbid: backends not allowed, prefixes too short to
 * announce, too many local rules, too many upstream routes, too many rules
 * for one client. Ceilings only tighten: a client's policy can make a
 * global limit stricter, never looser.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "mitigate/internal.h"

struct policy_config policy_conf = {
	.where = MIT_WHERE_XDP | MIT_WHERE_FLOWSPEC | MIT_WHERE_RTBH,
	.base_level = MIT_LEVEL_LOCAL,
	.announce_min_len4 = 24,
	.announce_min_len6 = 48,
	.rtbh_min_len4 = 32,
	.rtbh_min_len6 = 128,
	.max_rules = 65536,
	.max_announce = 1000,
};

/* Rules held per client, for mit_policy.max_rules. */
struct client_rules {
	struct client_rules	*next;
	uint32_t		 rules;
	char			 name[MIT_NAME_LEN];
};

#define CLIENT_BUCKETS	256

static struct client_rules	*clients[CLIENT_BUCKETS];
static uint32_t			 local_rules;	/* SLOT_LOCAL, all */
static uint32_t			 announced;	/* SLOT_FLOWSPEC + SLOT_RTBH */

static const char *const where_names[] = {
	[SLOT_LOCAL] = "xdp",
	[SLOT_FLOWSPEC] = "flowspec",
	[SLOT_RTBH] = "rtbh",
};

/*
 * Parses a decimal number with an optional k, M, G or T suffix (powers of
 * 1000, as link speeds are written) into *out. Returns 0, or -EINVAL with
 * a reason when it is malformed or above max.
 */
int
policy_parse_u64(const char *v, uint64_t max, uint64_t *out, char *err,
    size_t errlen)
{
	char			*end;
	unsigned long long	 n, mult = 1;

	if (v == NULL || *v < '0' || *v > '9') {
		snprintf(err, errlen, "\"%s\": not a number", v ? v : "");
		return -EINVAL;
	}
	errno = 0;
	n = strtoull(v, &end, 10);
	switch (*end) {
	case 'k': mult = 1000ULL; end++; break;
	case 'M': mult = 1000000ULL; end++; break;
	case 'G': mult = 1000000000ULL; end++; break;
	case 'T': mult = 1000000000000ULL; end++; break;
	}
	if (errno != 0 || *end != '\0' || (n != 0 && mult > max / n) ||
	    n * mult > max) {
		snprintf(err, errlen, "\"%s\": not a number up to %llu", v,
		    (unsigned long long)max);
		return -EINVAL;
	}
	*out = n * mult;
	return 0;
}

static int
policy_parse_where(const char *v, uint8_t *out, char *err, size_t errlen)
{
	char	 buf[128], *tok, *save = NULL;
	uint8_t	 where = 0;
	int	 s;

	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "backend list too long");
		return -EINVAL;
	}
	strcpy(buf, v);
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		for (s = 0; s < SLOT_MAX; s++)
			if (strcmp(tok, where_names[s]) == 0)
				break;
		if (s == SLOT_MAX) {
			snprintf(err, errlen, "\"%s\": not xdp, flowspec or "
			    "rtbh", tok);
			return -EINVAL;
		}
		where |= 1 << s;
	}
	if (where == 0) {
		snprintf(err, errlen, "no backend named");
		return -EINVAL;
	}
	*out = where;
	return 0;
}

static int
policy_parse_level(const char *v, uint8_t *out, char *err, size_t errlen)
{
	int	l;

	for (l = 0; l < SLOT_MAX; l++)
		if (strcmp(v, escalate_level_name(l)) == 0) {
			*out = l;
			return 0;
		}
	snprintf(err, errlen, "\"%s\": not local, flowspec or rtbh", v);
	return -EINVAL;
}

static int
policy_parse_len(const char *v, unsigned max, uint8_t *out, char *err,
    size_t errlen)
{
	uint64_t	n;
	int		r;

	if ((r = policy_parse_u64(v, max, &n, err, errlen)) != 0)
		return r;
	*out = n;
	return 0;
}

static int
policy_parse_u32(const char *v, uint32_t *out, char *err, size_t errlen)
{
	uint64_t	n;
	int		r;

	if ((r = policy_parse_u64(v, UINT32_MAX, &n, err, errlen)) != 0)
		return r;
	*out = n;
	return 0;
}

/*
 * One config keyword of this file. Returns 0, -EINVAL with a reason, or
 * -ENOENT when the keyword is not one of ours. Keep the list sorted.
 */
int
policy_configure(const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(key, "announce-min-len4") == 0)
		return policy_parse_len(value, 32,
		    &policy_conf.announce_min_len4, err, errlen);
	if (strcmp(key, "announce-min-len6") == 0)
		return policy_parse_len(value, 128,
		    &policy_conf.announce_min_len6, err, errlen);
	if (strcmp(key, "backends") == 0)
		return policy_parse_where(value, &policy_conf.where, err,
		    errlen);
	if (strcmp(key, "base-level") == 0)
		return policy_parse_level(value, &policy_conf.base_level, err,
		    errlen);
	if (strcmp(key, "max-announcements") == 0)
		return policy_parse_u32(value, &policy_conf.max_announce, err,
		    errlen);
	if (strcmp(key, "max-rules") == 0)
		return policy_parse_u32(value, &policy_conf.max_rules, err,
		    errlen);
	if (strcmp(key, "rtbh-min-len4") == 0)
		return policy_parse_len(value, 32, &policy_conf.rtbh_min_len4,
		    err, errlen);
	if (strcmp(key, "rtbh-min-len6") == 0)
		return policy_parse_len(value, 128, &policy_conf.rtbh_min_len6,
		    err, errlen);
	return -ENOENT;
}

/*
 * Whether the operator and the client's policy both allow slot. A client
 * policy with backends == 0 restricts nothing (dotsd left it unset).
 */
int
policy_slot_allowed(const struct mitigation *m, int slot)
{
	uint8_t	client = m->policy.backends ? m->policy.backends : 0xff;

	return (policy_conf.where & client & (1 << slot)) != 0;
}

static int
max3(int a, int b, int c)
{
	int	m = a > b ? a : b;

	return m > c ? m : c;
}

/*
 * Shortest prefix of family that slot may carry for m: none locally; the
 * announcement floor (global, raised by the client's) upstream; RTBH also
 * its own floor (host routes by default).
 */
int
policy_min_len(const struct mitigation *m, int slot, int family)
{
	int	v4 = family == AF_INET;

	switch (slot) {
	case SLOT_FLOWSPEC:
		return v4 ? max3(policy_conf.announce_min_len4,
		    m->policy.min_len4, 0) :
		    max3(policy_conf.announce_min_len6, m->policy.min_len6, 0);
	case SLOT_RTBH:
		return v4 ? max3(policy_conf.announce_min_len4,
		    m->policy.min_len4, policy_conf.rtbh_min_len4) :
		    max3(policy_conf.announce_min_len6, m->policy.min_len6,
		    policy_conf.rtbh_min_len6);
	default:
		return 0;
	}
}

static struct client_rules **
policy_client_slot(const char *name)
{
	struct client_rules	**cp;
	uint32_t		  h = 2166136261u;	/* FNV-1a */
	const unsigned char	 *p;

	for (p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	for (cp = &clients[h % CLIENT_BUCKETS]; *cp != NULL;
	    cp = &(*cp)->next)
		if (strncmp((*cp)->name, name, MIT_NAME_LEN) == 0)
			break;
	return cp;
}

/* Rules all mitigations of client hold now, over every slot. */
uint32_t
policy_client_rules(const char *name)
{
	struct client_rules	*c = *policy_client_slot(name);

	return c ? c->rules : 0;
}

uint32_t
policy_local_rules(void)
{
	return local_rules;
}

uint32_t
policy_announced(void)
{
	return announced;
}

static uint32_t
sum(const uint32_t *n)
{
	return n[SLOT_LOCAL] + n[SLOT_FLOWSPEC] + n[SLOT_RTBH];
}

/*
 * Whether replacing what old_client's mitigation holds (old[slot] rules
 * per slot) by new[slot] rules for new_client stays within the global
 * ceilings and client_max (0 = none). Returns 0 or -E2BIG with a reason.
 */
int
policy_check(const char *old_client, const uint32_t *old,
    const char *new_client, const uint32_t *new, uint32_t client_max,
    char *err, size_t errlen)
{
	uint64_t	n;
	uint32_t	held;
	int		same;

	n = (uint64_t)local_rules - old[SLOT_LOCAL] + new[SLOT_LOCAL];
	if (new[SLOT_LOCAL] > old[SLOT_LOCAL] && n > policy_conf.max_rules) {
		snprintf(err, errlen, "max-rules %u reached (%llu needed)",
		    policy_conf.max_rules, (unsigned long long)n);
		return -E2BIG;
	}
	n = (uint64_t)announced - old[SLOT_FLOWSPEC] - old[SLOT_RTBH] +
	    new[SLOT_FLOWSPEC] + new[SLOT_RTBH];
	if (new[SLOT_FLOWSPEC] + new[SLOT_RTBH] >
	    old[SLOT_FLOWSPEC] + old[SLOT_RTBH] &&
	    n > policy_conf.max_announce) {
		snprintf(err, errlen, "max-announcements %u reached (%llu "
		    "needed)", policy_conf.max_announce,
		    (unsigned long long)n);
		return -E2BIG;
	}
	same = old_client != NULL &&
	    strncmp(old_client, new_client, MIT_NAME_LEN) == 0;
	held = same ? sum(old) : 0;
	n = (uint64_t)policy_client_rules(new_client) - held + sum(new);
	if (client_max != 0 && sum(new) > held && n > client_max) {
		snprintf(err, errlen, "client %.*s: max %u rules reached "
		    "(%llu needed)", MIT_NAME_LEN, new_client, client_max,
		    (unsigned long long)n);
		return -E2BIG;
	}
	return 0;
}

/* Adds (sign > 0) or removes (sign < 0) n[slot] rules held by client. */
void
policy_account(const char *client, const uint32_t *n, int sign)
{
	struct client_rules	**cp, *c;
	uint32_t		  total = sum(n);

	if (sign > 0) {
		local_rules += n[SLOT_LOCAL];
		announced += n[SLOT_FLOWSPEC] + n[SLOT_RTBH];
	} else {
		local_rules -= n[SLOT_LOCAL];
		announced -= n[SLOT_FLOWSPEC] + n[SLOT_RTBH];
	}
	if (total == 0)
		return;
	cp = policy_client_slot(client);
	if ((c = *cp) == NULL) {
		if (sign < 0)
			return;
		/* Accounting must not fail halfway: OOM is fatal here. */
		if ((c = calloc(1, sizeof(*c))) == NULL)
			fatal("%s", __func__);
		strncpy(c->name, client, MIT_NAME_LEN - 1);
		*cp = c;
	}
	if (sign > 0)
		c->rules += total;
	else
		c->rules -= total < c->rules ? total : c->rules;
	if (c->rules == 0) {
		*cp = c->next;
		free(c);
	}
}

/* Forgets every count (engine_stop). */
void
policy_reset(void)
{
	struct client_rules	*c, *next;
	int			 i;

	for (i = 0; i < CLIENT_BUCKETS; i++) {
		for (c = clients[i]; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
		clients[i] = NULL;
	}
	local_rules = announced = 0;
}
