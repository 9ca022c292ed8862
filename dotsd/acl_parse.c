/*
 * acl_parse.c: an ACL's YANG-valid config into entries of engine rules
 * (acl_compile.c per entry), with entry indexes kept across replacements,
 * and the capabilities (RFC 8783 §7.1) those rules can express.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/acl_int.h"

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

const char *const dc_act_name[] = {
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

/*
 * Index for entry name, the at-th of the new ACL: old's, the stored one,
 * else the lowest free. Names are unique in an ACL (the YANG list key),
 * and a replacement mostly keeps the order: old's at-th entry first.
 */
static uint32_t
ace_index(const struct dc_acl *old, const json_t *idxmap, const char *name,
    uint32_t at, const uint8_t *used)
{
	const json_t	*v;
	uint32_t	 i;

	if (old != NULL && at < old->nace &&
	    strcmp(old->aces[at].name, name) == 0 && !used[old->aces[at].idx])
		return old->aces[at].idx;
	for (i = 0; old != NULL && i < old->nace; i++)
		if (strcmp(old->aces[i].name, name) == 0 &&
		    !used[old->aces[i].idx])
			return old->aces[i].idx;
	if ((v = json_object_get(idxmap, name)) != NULL &&
	    json_integer_value(v) >= 0 &&
	    json_integer_value(v) < ACL_MAX_ACES && !used[json_integer_value(v)])
		return (uint32_t)json_integer_value(v);
	for (i = 0; i < ACL_MAX_ACES; i++) {
		if (used[i] || dc_ace_by_idx(old, i) != NULL)
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
		e->idx = ace_index(old, idxmap, name, na->nace, used);
		used[e->idx] = 1;
		na->pos[e->idx] = (uint16_t)(na->nace + 1);
		if ((e->rules = calloc(e->nrules, sizeof(*e->rules))) == NULL)
			return -ENOMEM;
		memcpy(e->rules, rules, sizeof(rules[0]) * e->nrules);
		na->nace++;
	}
	return 0;
}

/* A new ACL from its YANG-valid config. NULL with why and *err. */
struct dc_acl *
dc_acl_build(const struct client_conf *c, const json_t *cfg,
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
		dc_acl_free(na);
		return NULL;
	}
	return na;
}

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
