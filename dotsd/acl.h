/*
 * acl.h: the RFC 8783 data channel's state behind a narrow API:
 * dots-client registrations, aliases and filtering rules (ACLs) of each
 * client, durable in SQLite (store_dc.c), and the compilation of ACL
 * entries into engine filters (mitigate.h engine_filter_*). The RESTCONF
 * side (datachan*.c) calls only these; so do the signal channel's alias
 * and acl-list seams. Bodies arrive validated against the YANG modules;
 * what YANG cannot say (domains, support, protocol rules) is checked here.
 *
 * Every function that changes state returns an HTTP status (201, 204, or
 * an error with an RFC 8040 error-tag and a reason in *res), and has
 * committed the change to the store and the engine before it returns.
 * Single-threaded: the main loop calls these.
 */
#ifndef DOTSD_ACL_H
#define DOTSD_ACL_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "dotsd/conf.h"
#include "dotsd/mitreq.h"
#include "mitigate/mitigate.h"

#define ACL_NAME_LEN		65	/* RFC 8519 names: 1..64 */
#define ACL_MAX_ACES		1024	/* per ACL (filter id bits) */
#define ACL_LIFETIME_MIN	10080	/* RFC 8783 §6.1, §7.2: a week */

enum acl_activation {
	ACL_AWM = 0,		/* activate-when-mitigating (default) */
	ACL_IMMEDIATE,
	ACL_DEACTIVATE,
};

/* The outcome of a request, for the RESTCONF reply. */
struct acl_res {
	int	code;		/* HTTP status */
	char	tag[32];	/* RFC 8040 error-tag when code >= 400 */
	char	why[256];	/* error-message */
};

/* acl.c: state */
int	 acl_init(const struct dotsd_conf *conf, time_t now, char *err,
	    size_t errlen);
void	 acl_reconf(const struct dotsd_conf *conf);
void	 acl_fini(void);
/* Expiry (pending-lifetime) and activate-when-mitigating; once a second. */
void	 acl_tick(time_t now);

/* Registration (RFC 8783 §5). create_only: POST (409 if it exists). */
void	 acl_client_put(const struct client_conf *c, const char *cuid,
	    const char *cdid, int create_only, struct acl_res *res);
void	 acl_client_del(const struct client_conf *c, const char *cuid,
	    struct acl_res *res);
/* The dots-client entry (aliases and ACLs with their state), or NULL. */
json_t	*acl_client_get(const struct client_conf *c, const char *cuid,
	    struct acl_res *res);

/* Aliases (§6): one "alias" list entry each; POST passes create_only. */
void	 acl_alias_put(const struct client_conf *c, const char *cuid,
	    const json_t *aliases, int create_only, struct acl_res *res);
void	 acl_alias_del(const struct client_conf *c, const char *cuid,
	    const char *name, struct acl_res *res);
/* {"alias": [...]} or one entry when name is given; NULL with res. */
json_t	*acl_alias_get(const struct client_conf *c, const char *cuid,
	    const char *name, struct acl_res *res);

/* Filtering rules (§7): an "acl" list; each ACL replaced as a whole. */
void	 acl_acl_put(const struct client_conf *c, const char *cuid,
	    const json_t *acls, int create_only, struct acl_res *res);
void	 acl_acl_del(const struct client_conf *c, const char *cuid,
	    const char *name, struct acl_res *res);
json_t	*acl_acl_get(const struct client_conf *c, const char *cuid,
	    const char *name, struct acl_res *res);

/* What the local data plane can enforce (§7.1), as the capabilities. */
json_t	*acl_capabilities(void);

/* Signal channel seams. 0, or -ENOENT for an unknown alias / ACL. */
int	 acl_alias_lookup(const struct client_conf *c, const char *cuid,
	    const char *name, struct mitreq_alias *out);
/* RFC 9133: activation-type of ACL name during a mitigation. */
int	 acl_set_activation(const struct client_conf *c, const char *cuid,
	    const char *name, int activation);
int	 acl_parse_activation(const char *s);

/* For dotsctl and metrics: one object per ACL entry with counters. */
json_t	*acl_dump(void);

/* acl_compile.c: one ACE (validated JSON) -> rules. 0 or -EINVAL/-ENOTSUP. */
int	 acl_compile_ace(const struct client_conf *c, const json_t *ace,
	    int family, struct mit_rule *rules, uint32_t *nrules,
	    char *why, size_t whylen);
/* ACL "type" -> AF_INET / AF_INET6 / 0 (mixed: from each ACE's matches) */
int	 acl_compile_family(const json_t *acl);

#endif
