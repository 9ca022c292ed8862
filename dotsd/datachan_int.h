/*
 * datachan_int.h: what datachan.c (HTTP thread) and datachan_res.c (main
 * loop) share: the request as it crosses between them. Flat apart from
 * the two JSON trees, which change owner with the job.
 */
#ifndef DOTSD_DATACHAN_INT_H
#define DOTSD_DATACHAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dotsd/acl.h"
#include "dotsd/conf.h"

/* RFC 8040 target resources under /restconf/data. */
enum dc_target {
	DC_T_DATA = 0,		/* ietf-dots-data-channel:dots-data */
	DC_T_CAPS,		/* .../capabilities */
	DC_T_CLIENT,		/* .../dots-client=cuid */
	DC_T_ALIASES,		/* .../dots-client=cuid/aliases */
	DC_T_ALIAS,		/* .../aliases/alias=name */
	DC_T_ACLS,		/* .../dots-client=cuid/acls */
	DC_T_ACL,		/* .../acls/acl=name */
};

enum dc_method { DC_GET = 0, DC_POST, DC_PUT, DC_DELETE };

#define DC_MAX_DER	8192

struct dc_job {
	/* request, filled by the HTTP thread */
	uint8_t		method;		/* enum dc_method */
	uint8_t		target;		/* enum dc_target */
	char		cuid[DOTS_ID_LEN];
	char		name[ACL_NAME_LEN];
	char		cdid[DOTS_ID_LEN];	/* registration */
	uint8_t		child;		/* POST on a client: 1 aliases, 2 acls */
	json_t		*body;		/* the entries the body holds (thread's) */
	size_t		derlen;
	uint8_t		der[DC_MAX_DER];	/* the client's leaf certificate */
	/* reply, filled by the main loop */
	struct acl_res	res;
	json_t		*reply;		/* body to send, or NULL */
};

/*
 * datachan.c, the parsers of network input (fuzzed: datachan_fuzz.c).
 * parse_target: the path after /restconf/data/ietf-dots-data-channel:
 * dots-data -> j->target, cuid, name; 0, -ENOENT (no such resource) or
 * -EINVAL (bad key). parse_body: the JSON body of j->method on
 * j->target, shaped into the datastore and validated against the YANG
 * modules in ly; j->body gets its entries. 0, or an HTTP status with an
 * error-tag and why.
 */
struct ly_ctx;
int	datachan_parse_target(const char *path, struct dc_job *j);
int	datachan_parse_body(struct ly_ctx *ly, struct dc_job *j,
	    const char *text, size_t len, char *why, size_t whylen,
	    const char **tag);

/* datachan_res.c: answers j in the main loop (reads conf, calls acl.h). */
void	datachan_serve(const struct dotsd_conf *conf, struct dc_job *j);

#endif
