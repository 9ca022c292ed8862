/*
 * datachan_fuzz.c: libFuzzer target for the data channel's parsers of
 * network input: the RESTCONF target path, the JSON body shaped into the
 * datastore and validated with libyang, and each ACL entry that passes
 * compiled to rules (dotsd/acl_compile.c) for a client with a domain.
 * Input: byte 0 the method, then the path up to a newline, then the body.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "dotsd/datachan_int.h"
#include "yang/codec.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The main loop's side (datachan_res.c) is not under test here. */
void
datachan_serve(const struct dotsd_conf *conf, struct dc_job *j)
{
	(void)conf;
	(void)j;
	abort();
}

static struct ly_ctx		*ly;
static struct client_conf	 client;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	err[256];

	(void)argc;
	(void)argv;
	if (codec_yang_ctx_new(codec_yang_default_dir(), &ly, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "yang: %s\n", err);
		abort();
	}
	snprintf(client.name, sizeof(client.name), "fuzz");
	client.nprefixes = 2;
	prefix_parse("198.18.0.0/15", &client.prefixes[0]);
	prefix_parse("2001:db8::/32", &client.prefixes[1]);
	return 0;
}

static void
compile_all(const struct dc_job *j)
{
	static struct mit_rule	rules[MIT_MAX_GROUP_RULES];
	const json_t		*acl, *ace;
	uint32_t		 n;
	size_t			 i, k;
	char			 why[256];

	if (j->child != 2 && j->target != DC_T_ACL)
		return;
	json_array_foreach(j->body, i, acl)
		json_array_foreach(json_object_get(json_object_get(acl,
		    "aces"), "ace"), k, ace)
			if (acl_compile_ace(&client, ace,
			    acl_compile_family(acl), rules, &n, why,
			    sizeof(why)) == 0 && (n == 0 ||
			    n > MIT_MAX_GROUP_RULES))
				abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_job	*j;
	const uint8_t	*nl;
	const char	*tag;
	char		 path[1024], why[256];
	size_t		 plen;

	if (size < 2 || size > 256 * 1024 ||
	    (nl = memchr(data + 1, '\n', size - 1)) == NULL ||
	    (plen = (size_t)(nl - data - 1)) >= sizeof(path))
		return 0;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return 0;
	memcpy(path, data + 1, plen);
	path[plen] = '\0';
	j->method = data[0] % 4;
	if (datachan_parse_target(path, j) == 0 &&
	    (j->method == DC_POST || j->method == DC_PUT) &&
	    (j->target == DC_T_DATA || j->target == DC_T_CLIENT ||
	    j->target == DC_T_ALIAS || j->target == DC_T_ACL) &&
	    datachan_parse_body(ly, j, (const char *)nl + 1,
	    size - plen - 2, why, sizeof(why), &tag) == 0)
		compile_all(j);
	json_decref(j->body);
	free(j);
	return 0;
}
