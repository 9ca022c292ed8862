/*
 * data.h: dots-client's RFC 8783 data channel commands ("dots-client
 * data ..."): arguments and request bodies (data.c, unit-testable, no
 * network) and RESTCONF over HTTPS with a client certificate (http.c,
 * libcurl).
 */
#ifndef DOTS_CLIENT_DATA_H
#define DOTS_CLIENT_DATA_H

#include <stddef.h>

#include <jansson.h>

#define DATA_MAX_LIST	64	/* --target, --source, ... of one command */
#define DATA_ROOT	"/restconf/data/ietf-dots-data-channel:dots-data"

enum data_cmd {
	DATA_NONE,
	DATA_REGISTER,
	DATA_UNREGISTER,
	DATA_CAPABILITIES,
	DATA_ALIAS_PUT,
	DATA_ALIAS_GET,
	DATA_ALIAS_DELETE,
	DATA_ACL_PUT,
	DATA_ACL_GET,
	DATA_ACL_DELETE,
};

struct data_list {
	const char	*v[DATA_MAX_LIST];	/* argv strings */
	size_t		 n;
};

struct data_opts {
	enum data_cmd	 cmd;
	const char	*server;	/* https://host[:port] */
	const char	*cert, *key, *ca;
	const char	*cuid, *cdid;
	const char	*name;		/* alias or ACL name */
	const char	*file;		/* body from a JSON file */
	double		 timeout;
	int		 verbose;
	/* alias */
	struct data_list targets, ports, protos, fqdns, uris;
	/* ACL from options: one entry per (destination, source) pair */
	struct data_list dsts, srcs;
	const char	*activation;	/* NULL: server's default (AWM) */
	const char	*protocol;	/* tcp, udp, icmp or a number */
	const char	*dport, *sport;	/* n or n-m */
	const char	*action;	/* drop (default), accept, rate-limit */
	const char	*rate;		/* bytes/s for rate-limit */
	const char	*ace;		/* entry name prefix, default "e" */
};

/* Parses argv after "data"; 0, or -1 with err filled. */
int	data_args(struct data_opts *o, int argc, char **argv, char *err,
	    size_t errlen);
/* The request for o: method, path under DATA_ROOT (escaped) and body
 * (NULL: none). 0 or -1 with err. */
int	data_request(const struct data_opts *o, const char *cuid,
	    const char **method, char *path, size_t pathlen, json_t **body,
	    char *err, size_t errlen);
/* The exit code (client.h) for an HTTP status, 0 for none. */
int	data_exit(long status);
void	data_usage(FILE *f);

/* http.c: one RESTCONF exchange; body text in/out. 0 or -1 with err. */
struct data_reply {
	long	 status;
	char	*body;		/* malloc'ed, NUL-terminated, maybe "" */
	size_t	 len;
};
int	data_http(const struct data_opts *o, const char *method,
	    const char *path, const char *body, struct data_reply *r,
	    char *err, size_t errlen);

int	data_errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* main entry from main.c for argv[1] == "data" */
int	data_main(int argc, char **argv);

#endif
