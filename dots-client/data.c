/*
 * data.c: "dots-client data ...": arguments and RFC 8783 request bodies
 * (data.h). No network here, so that the unit test covers every body.
 * Bodies are the RFC 7951 JSON of ietf-dots-data-channel as RFC 8783 §5,
 * §6 and §7 give them; the server validates them against the modules.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/client.h"
#include "dots-client/data.h"

enum {
	D_CERT = 256, D_KEY, D_CA, D_CUID, D_CDID, D_FILE, D_TARGET, D_PORT,
	D_PROTOCOL, D_FQDN, D_URI, D_DST, D_SRC, D_ACTIVATION, D_DPORT,
	D_SPORT, D_ACTION, D_RATE, D_ACE,
};

static const struct option dlongopts[] = {
	{ "server",	required_argument, NULL, 's' },
	{ "timeout",	required_argument, NULL, 't' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "cert",	required_argument, NULL, D_CERT },
	{ "key",	required_argument, NULL, D_KEY },
	{ "ca",		required_argument, NULL, D_CA },
	{ "cuid",	required_argument, NULL, D_CUID },
	{ "cdid",	required_argument, NULL, D_CDID },
	{ "file",	required_argument, NULL, D_FILE },
	{ "target",	required_argument, NULL, D_TARGET },
	{ "port",	required_argument, NULL, D_PORT },
	{ "protocol",	required_argument, NULL, D_PROTOCOL },
	{ "fqdn",	required_argument, NULL, D_FQDN },
	{ "uri",	required_argument, NULL, D_URI },
	{ "destination", required_argument, NULL, D_DST },
	{ "source",	required_argument, NULL, D_SRC },
	{ "activation",	required_argument, NULL, D_ACTIVATION },
	{ "destination-port", required_argument, NULL, D_DPORT },
	{ "source-port", required_argument, NULL, D_SPORT },
	{ "action",	required_argument, NULL, D_ACTION },
	{ "rate",	required_argument, NULL, D_RATE },
	{ "ace",	required_argument, NULL, D_ACE },
	{ NULL, 0, NULL, 0 }
};

void
data_usage(FILE *f)
{
	fprintf(f,
	    "usage: dots-client data [-v] -s https://host[:port] --cert file"
	    " --key file\n"
	    "           --ca file [-t seconds] [--cuid cuid] command\n"
	    "commands:\n"
	    "  register [--cdid id]\n"
	    "  unregister\n"
	    "  capabilities\n"
	    "  alias put name [--target prefix] [--port n|n-m]"
	    " [--protocol p]\n"
	    "          [--fqdn name] [--uri uri]\n"
	    "  alias put [name] --file json\n"
	    "  alias get [name]\n"
	    "  alias delete name\n"
	    "  acl put name [--destination prefix] [--source prefix]"
	    " [--protocol p]\n"
	    "          [--destination-port n|n-m] [--source-port n|n-m]\n"
	    "          [--action drop|accept|rate-limit] [--rate bytes/s]\n"
	    "          [--activation immediate|activate-when-mitigating|"
	    "deactivate] [--ace name]\n"
	    "  acl put [name] --file json\n"
	    "  acl get [name]\n"
	    "  acl delete name\n");
}

static int
list_add(struct data_list *l, const char *s, char *err, size_t errlen)
{
	if (l->n >= DATA_MAX_LIST)
		return data_errf(err, errlen, "more than %d values", DATA_MAX_LIST);
	l->v[l->n++] = s;
	return 0;
}

static struct data_list *
opt_list(struct data_opts *o, int ch)
{
	switch (ch) {
	case D_TARGET: return &o->targets;
	case D_PORT: return &o->ports;
	case D_FQDN: return &o->fqdns;
	case D_URI: return &o->uris;
	case D_DST: return &o->dsts;
	case D_SRC: return &o->srcs;
	default: return NULL;
	}
}

static int
opt_apply(struct data_opts *o, int ch, const char *arg, char *err,
    size_t errlen)
{
	struct data_list *l;
	char		 *end;

	if ((l = opt_list(o, ch)) != NULL)
		return list_add(l, arg, err, errlen);
	switch (ch) {
	case 's': o->server = arg; return 0;
	case 'v': o->verbose++; return 0;
	case 't':
		o->timeout = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || o->timeout < 0)
			return data_errf(err, errlen, "bad timeout \"%s\"", arg);
		return 0;
	case D_CERT: o->cert = arg; return 0;
	case D_KEY: o->key = arg; return 0;
	case D_CA: o->ca = arg; return 0;
	case D_CUID: o->cuid = arg; return 0;
	case D_CDID: o->cdid = arg; return 0;
	case D_FILE: o->file = arg; return 0;
	case D_PROTOCOL:
		o->protocol = arg;
		return list_add(&o->protos, arg, err, errlen);
	case D_ACTIVATION: o->activation = arg; return 0;
	case D_DPORT: o->dport = arg; return 0;
	case D_SPORT: o->sport = arg; return 0;
	case D_ACTION: o->action = arg; return 0;
	case D_RATE: o->rate = arg; return 0;
	case D_ACE: o->ace = arg; return 0;
	}
	return data_errf(err, errlen, "unknown option");
}

/* "register", "alias put NAME", ... -> o->cmd and o->name. */
static int
cmd_words(struct data_opts *o, char **w, int n, char *err, size_t errlen)
{
	static const struct {
		const char	*a, *b;
		enum data_cmd	 cmd;
		int		 name;	/* 0 none, 1 optional, 2 required */
	} tab[] = {
		{ "register", NULL, DATA_REGISTER, 0 },
		{ "unregister", NULL, DATA_UNREGISTER, 0 },
		{ "capabilities", NULL, DATA_CAPABILITIES, 0 },
		{ "alias", "put", DATA_ALIAS_PUT, 1 },
		{ "alias", "get", DATA_ALIAS_GET, 1 },
		{ "alias", "delete", DATA_ALIAS_DELETE, 2 },
		{ "acl", "put", DATA_ACL_PUT, 1 },
		{ "acl", "get", DATA_ACL_GET, 1 },
		{ "acl", "delete", DATA_ACL_DELETE, 2 },
	};
	size_t	i;
	int	k;

	if (n == 0)
		return data_errf(err, errlen, "no command");
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(w[0], tab[i].a) != 0 || (tab[i].b != NULL &&
		    (n < 2 || strcmp(w[1], tab[i].b) != 0)))
			continue;
		k = tab[i].b != NULL ? 2 : 1;
		if (n > k + (tab[i].name ? 1 : 0))
			return data_errf(err, errlen, "unexpected \"%s\"", w[n - 1]);
		if (tab[i].name == 2 && n == k)
			return data_errf(err, errlen, "%s %s needs a name", w[0],
			    w[1]);
		o->cmd = tab[i].cmd;
		o->name = n > k ? w[k] : NULL;
		return 0;
	}
	return data_errf(err, errlen, "unknown command \"%s%s%s\"", w[0],
	    n > 1 ? " " : "", n > 1 ? w[1] : "");
}

/* What a command needs beyond its words. */
static int
data_check(const struct data_opts *o, char *err, size_t errlen)
{
	int	put = o->cmd == DATA_ALIAS_PUT || o->cmd == DATA_ACL_PUT;

	if (o->server == NULL || strncmp(o->server, "https://", 8) != 0)
		return data_errf(err, errlen, "--server https://host[:port] is "
		    "required");
	if (o->cert == NULL || o->key == NULL || o->ca == NULL)
		return data_errf(err, errlen, "--cert, --key and --ca are required "
		    "(RFC 8783 §8: mutual authentication)");
	if (put && o->name == NULL && o->file == NULL)
		return data_errf(err, errlen, "put needs a name or --file");
	if (o->cmd == DATA_ALIAS_PUT && o->file == NULL &&
	    o->targets.n + o->fqdns.n + o->uris.n == 0)
		return data_errf(err, errlen, "alias put needs --target, --fqdn, "
		    "--uri or --file");
	if (o->cmd == DATA_ACL_PUT && o->file == NULL &&
	    o->dsts.n + o->srcs.n == 0)
		return data_errf(err, errlen, "acl put needs --destination, "
		    "--source or --file");
	if (o->rate != NULL && (o->action == NULL ||
	    strcmp(o->action, "rate-limit") != 0))
		return data_errf(err, errlen, "--rate goes with --action "
		    "rate-limit");
	return 0;
}

int
data_args(struct data_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	char	*words[8];
	int	 ch, n = 0;

	memset(o, 0, sizeof(*o));
	o->timeout = CLIENT_TIMEOUT;
	optind = 1;
	opterr = 0;
	for (;;) {
		/* "-" first: words come back in order as 1 */
		ch = getopt_long(argc, argv, "-:s:t:vh", dlongopts, NULL);
		if (ch == -1)
			break;
		if (ch == 'h') {
			o->cmd = DATA_NONE;
			return 0;
		}
		if (ch == '?' || ch == ':')
			return data_errf(err, errlen, "%s \"%s\"", ch == ':' ?
			    "missing value of" : "unknown option",
			    argv[optind - 1]);
		if (ch == 1) {
			if (n == (int)(sizeof(words) / sizeof(words[0])))
				return data_errf(err, errlen, "too many words");
			words[n++] = optarg;
			continue;
		}
		if (opt_apply(o, ch, optarg, err, errlen) < 0)
			return -1;
	}
	if (cmd_words(o, words, n, err, errlen) < 0)
		return -1;
	return data_check(o, err, errlen);
}

int
data_exit(long status)
{
	if (status >= 200 && status < 300)
		return EXIT_OK;
	if (status == 409)
		return EXIT_CONFLICT;
	if (status >= 400 && status < 500)
		return EXIT_REFUSED;
	if (status >= 500)
		return EXIT_SERVER;
	return EXIT_TRANSPORT;
}
