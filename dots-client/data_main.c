/*
 * data_main.c: "dots-client data ..." (data.h): one RESTCONF request of
 * the RFC 8783 data channel, its answer on stdout (JSON, as the server
 * sent it, indented), a RESTCONF error on stderr, and an exit code like
 * the signal channel commands' (client.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/client.h"
#include "dots-client/data.h"

static void
warn_(const char *what, const char *why)
{
	fprintf(stderr, "dots-client: %s%s%s\n", what, why ? ": " : "",
	    why ? why : "");
}

/* RFC 8040 §7.1 errors body -> "tag: message" on stderr. */
static void
print_error(const struct data_reply *r)
{
	json_t		*j = json_loads(r->body, 0, NULL), *e;
	const char	*tag, *msg;

	e = json_array_get(json_object_get(json_object_get(j,
	    "ietf-restconf:errors"), "error"), 0);
	tag = json_string_value(json_object_get(e, "error-tag"));
	msg = json_string_value(json_object_get(e, "error-message"));
	fprintf(stderr, "dots-client: %ld %s%s%s\n", r->status,
	    tag ? tag : "error", msg ? ": " : "", msg ? msg : "");
	json_decref(j);
}

static void
print_body(const struct data_reply *r)
{
	json_t	*j;
	char	*s;

	if (r->len == 0)
		return;
	if ((j = json_loads(r->body, 0, NULL)) == NULL ||
	    (s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		fputs(r->body, stdout);	/* not JSON: as it came */
		json_decref(j);
		return;
	}
	printf("%s\n", s);
	free(s);
	json_decref(j);
}

/* RFC 8783 §5: the cuid is the signal channel's (RFC 9132 §4.4.1.1). */
static int
cuid_of(const struct data_opts *o, char *cuid, size_t len)
{
	char	err[256];

	if (o->cuid != NULL) {
		snprintf(cuid, len, "%s", o->cuid);
		return 0;
	}
	if (cuid_from_cert(o->cert, cuid, len, err, sizeof(err)) < 0) {
		warn_("cuid", err);
		return -1;
	}
	return 0;
}

static int
run(const struct data_opts *o, const char *cuid)
{
	struct data_reply	 r;
	const char		*method;
	json_t			*body;
	char			 path[1024], err[512], *text = NULL;
	int			 ex;

	if (data_request(o, cuid, &method, path, sizeof(path), &body, err,
	    sizeof(err)) < 0) {
		json_decref(body);
		warn_(err, NULL);
		return EXIT_USAGE;
	}
	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	if (o->verbose)
		fprintf(stderr, "%s %s%s%s\n%s%s", method, o->server,
		    DATA_ROOT, path, text ? text : "", text ? "\n" : "");
	if (data_http(o, method, path, text, &r, err, sizeof(err)) < 0) {
		free(text);
		warn_(err, NULL);
		return EXIT_TRANSPORT;
	}
	free(text);
	if (o->verbose)
		fprintf(stderr, "%ld\n", r.status);
	if (r.status >= 400)
		print_error(&r);
	else
		print_body(&r);
	ex = data_exit(r.status);
	free(r.body);
	return ex;
}

int
data_main(int argc, char **argv)
{
	struct data_opts	o;
	char			err[256], cuid[128];

	if (data_args(&o, argc, argv, err, sizeof(err)) < 0) {
		warn_(err, NULL);
		fprintf(stderr, "try dots-client data --help\n");
		return EXIT_USAGE;
	}
	if (o.cmd == DATA_NONE) {
		data_usage(stdout);
		return EXIT_OK;
	}
	if (cuid_of(&o, cuid, sizeof(cuid)) < 0)
		return EXIT_USAGE;
	if (o.verbose)
		fprintf(stderr, "cuid %s\n", cuid);
	return run(&o, cuid);
}
