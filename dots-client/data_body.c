/*
 * data_body.c: the method, target URI (RFC 8040 §3.5.3) and body of each
 * "dots-client data" command (data.h). ACLs and aliases come from a JSON
 * file as they are, or from options for the common cases: an alias of
 * prefixes, ports, protocols, names and URIs; an ACL with one entry per
 * (destination, source) pair, all with the same protocol, ports and
 * action.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dots-client/data.h"

#define DC_MOD	"ietf-dots-data-channel:"

/* err filled; -1, the data commands' one failure value */
int
data_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends s percent-encoded (a key value in a RESTCONF URI). */
static int
pct_append(char *buf, size_t len, const char *s)
{
	size_t	n = strlen(buf);

	for (; *s != '\0'; s++) {
		if (n + 4 > len)
			return -1;
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
			buf[n++] = *s;
		else
			n += (size_t)snprintf(buf + n, len - n, "%%%02X",
			    (unsigned char)*s);
	}
	buf[n] = '\0';
	return 0;
}

/* path = "/dots-client=CUID" + mid + escaped name (if any). */
static int
path_of(char *path, size_t len, const char *cuid, const char *mid,
    const char *name)
{
	snprintf(path, len, "/dots-client=");
	if (pct_append(path, len, cuid) < 0 ||
	    strlen(path) + strlen(mid) + 1 > len)
		return -1;
	strcat(path, mid);
	return name != NULL ? pct_append(path, len, name) : 0;
}

static long
num(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	return v;
}

/* "n" or "n-m" into lo, hi (hi = lo for one). */
static int
range(const char *s, long *lo, long *hi)
{
	char		 buf[16];
	const char	*dash = strchr(s, '-');

	if (dash == NULL) {
		*lo = *hi = num(s, 0, 65535);
		return *lo < 0 ? -1 : 0;
	}
	if ((size_t)(dash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	*lo = num(buf, 0, 65535);
	*hi = num(dash + 1, 0, 65535);
	return *lo < 0 || *hi < *lo ? -1 : 0;
}

static long
proto_num(const char *s)
{
	static const struct { const char *n; long v; } names[] = {
		{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "icmpv6", 58 },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].n) == 0)
			return names[i].v;
	return num(s, 0, 255);
}

static json_t *
strings(const struct data_list *l)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static int
alias_body(const struct data_opts *o, json_t **body, char *err,
    size_t errlen)
{
	json_t	*al = json_pack("{s:s}", "name", o->name), *a;
	long	 lo, hi, p;
	size_t	 i;

	*body = json_pack("{s:[o]}", DC_MOD "alias", al);
	if (o->targets.n > 0)
		json_object_set_new(al, "target-prefix", strings(&o->targets));
	if (o->ports.n > 0) {
		a = json_array();
		json_object_set_new(al, "target-port-range", a);
		for (i = 0; i < o->ports.n; i++) {
			if (range(o->ports.v[i], &lo, &hi) < 0)
				return data_errf(err, errlen, "bad port \"%s\"",
				    o->ports.v[i]);
			json_array_append_new(a, hi > lo ? json_pack("{s:I,s:I}",
			    "lower-port", (json_int_t)lo, "upper-port",
			    (json_int_t)hi) : json_pack("{s:I}", "lower-port",
			    (json_int_t)lo));
		}
	}
	if (o->protos.n > 0) {
		a = json_array();
		json_object_set_new(al, "target-protocol", a);
		for (i = 0; i < o->protos.n; i++) {
			if ((p = proto_num(o->protos.v[i])) < 0)
				return data_errf(err, errlen, "bad protocol \"%s\"",
				    o->protos.v[i]);
			json_array_append_new(a, json_integer(p));
		}
	}
	if (o->fqdns.n > 0)
		json_object_set_new(al, "target-fqdn", strings(&o->fqdns));
	if (o->uris.n > 0)
		json_object_set_new(al, "target-uri", strings(&o->uris));
	return 0;
}

/* RFC 8519 port-range-or-operator of "n" or "n-m". */
static json_t *
port_match(const char *s)
{
	long	lo, hi;

	if (range(s, &lo, &hi) < 0)
		return NULL;
	if (lo == hi)
		return json_pack("{s:s,s:I}", "operator", "eq", "port",
		    (json_int_t)lo);
	return json_pack("{s:I,s:I}", "lower-port", (json_int_t)lo,
	    "upper-port", (json_int_t)hi);
}

/* The tcp/udp container of the options' ports, or none. */
static int
ace_l4(const struct data_opts *o, long proto, json_t *m, char *err,
    size_t errlen)
{
	json_t	*l4, *p;

	if (o->dport == NULL && o->sport == NULL)
		return 0;
	if (proto != 6 && proto != 17)
		return data_errf(err, errlen, "ports need --protocol tcp or udp");
	l4 = json_object();
	json_object_set_new(m, proto == 6 ? "tcp" : "udp", l4);
	if (o->dport != NULL) {
		if ((p = port_match(o->dport)) == NULL)
			return data_errf(err, errlen, "bad port \"%s\"", o->dport);
		json_object_set_new(l4, "destination-port-range-or-operator",
		    p);
	}
	if (o->sport != NULL) {
		if ((p = port_match(o->sport)) == NULL)
			return data_errf(err, errlen, "bad port \"%s\"", o->sport);
		json_object_set_new(l4, "source-port-range-or-operator", p);
	}
	return 0;
}

static json_t *
ace_actions(const struct data_opts *o, char *err, size_t errlen)
{
	const char	*act = o->action ? o->action : "drop";
	char		 buf[32], *end;
	double		 r;

	if (strcmp(act, "drop") == 0 || strcmp(act, "accept") == 0)
		return json_pack("{s:s}", "forwarding", act);
	if (strcmp(act, "rate-limit") != 0) {
		data_errf(err, errlen, "bad action \"%s\"", act);
		return NULL;
	}
	r = o->rate ? strtod(o->rate, &end) : -1;
	if (o->rate == NULL || *end != '\0' || r < 0 || r > 1e15) {
		data_errf(err, errlen, "rate-limit needs --rate bytes/s");
		return NULL;
	}
	/* decimal64, fraction-digits 2: a string in RFC 7951 JSON */
	snprintf(buf, sizeof(buf), "%.2f", r);
	return json_pack("{s:s,s:s}", "forwarding", "accept", "rate-limit",
	    buf);
}

/* One entry: dst and src may be NULL. */
static json_t *
ace_one(const struct data_opts *o, size_t k, const char *dst,
    const char *src, char *err, size_t errlen)
{
	const char	*fam = strchr(dst ? dst : src, ':') ? "ipv6" : "ipv4";
	json_t		*m = json_object(), *ip = json_object(), *act;
	char		 name[80], key[40];
	long		 proto = -1;

	json_object_set_new(m, fam, ip);
	snprintf(key, sizeof(key), "destination-%s-network", fam);
	if (dst != NULL)
		json_object_set_new(ip, key, json_string(dst));
	snprintf(key, sizeof(key), "source-%s-network", fam);
	if (src != NULL)
		json_object_set_new(ip, key, json_string(src));
	if (dst && src && !strchr(dst, ':') != !strchr(src, ':'))
		data_errf(err, errlen, "%s and %s: mixed address families", dst,
		    src);
	else if (o->protocol && (proto = proto_num(o->protocol)) < 0)
		data_errf(err, errlen, "bad protocol \"%s\"", o->protocol);
	if (err[0] != '\0' || ace_l4(o, proto, m, err, errlen) < 0 ||
	    (act = ace_actions(o, err, errlen)) == NULL) {
		json_decref(m);
		return NULL;
	}
	if (proto >= 0)
		json_object_set_new(ip, "protocol", json_integer(proto));
	snprintf(name, sizeof(name), "%s%zu", o->ace ? o->ace : "e", k + 1);
	return json_pack("{s:s,s:o,s:o}", "name", name, "matches", m,
	    "actions", act);
}

static int
acl_body(const struct data_opts *o, json_t **body, char *err,
    size_t errlen)
{
	json_t	*aces = json_array(), *acl, *e;
	size_t	 nd = o->dsts.n ? o->dsts.n : 1, ns = o->srcs.n ? o->srcs.n : 1;
	size_t	 i, j;

	acl = json_pack("{s:s,s:{s:o}}", "name", o->name, "aces", "ace", aces);
	*body = json_pack("{s:[o]}", DC_MOD "acl", acl);
	if (o->activation != NULL)
		json_object_set_new(acl, "activation-type",
		    json_string(o->activation));
	err[0] = '\0';
	for (i = 0; i < nd; i++)
		for (j = 0; j < ns; j++) {
			e = ace_one(o, i * ns + j, o->dsts.n ? o->dsts.v[i] :
			    NULL, o->srcs.n ? o->srcs.v[j] : NULL, err, errlen);
			if (e == NULL)
				return -1;
			json_array_append_new(aces, e);
		}
	return 0;
}

static int
file_body(const char *file, json_t **body, char *err, size_t errlen)
{
	json_error_t	je;

	if ((*body = json_load_file(file, 0, &je)) == NULL)
		return data_errf(err, errlen, "%s:%d: %s", file, je.line, je.text);
	return 0;
}

/* put: a named resource is PUT (created or replaced), else POSTed. */
static int
put_request(const struct data_opts *o, const char *cuid, const char **method,
    char *path, size_t len, json_t **body, char *err, size_t errlen)
{
	int	alias = o->cmd == DATA_ALIAS_PUT;

	*method = o->name != NULL ? "PUT" : "POST";
	if (path_of(path, len, cuid, o->name == NULL ? "" : alias ?
	    "/aliases/alias=" : "/acls/acl=", o->name) < 0)
		return data_errf(err, errlen, "name too long");
	if (o->file != NULL)
		return file_body(o->file, body, err, errlen);
	return alias ? alias_body(o, body, err, errlen) :
	    acl_body(o, body, err, errlen);
}

int
data_request(const struct data_opts *o, const char *cuid,
    const char **method, char *path, size_t len, json_t **body, char *err,
    size_t errlen)
{
	int	acl = o->cmd == DATA_ACL_GET || o->cmd == DATA_ACL_DELETE;
	int	rc = 0;

	*body = NULL;
	path[0] = '\0';
	switch (o->cmd) {
	case DATA_REGISTER:
		*method = "POST";
		*body = json_pack("{s:[{s:s}]}", DC_MOD "dots-client", "cuid",
		    cuid);
		if (o->cdid != NULL)
			json_object_set_new(json_array_get(json_object_get(
			    *body, DC_MOD "dots-client"), 0), "cdid",
			    json_string(o->cdid));
		return 0;
	case DATA_UNREGISTER:
		*method = "DELETE";
		rc = path_of(path, len, cuid, "", NULL);
		break;
	case DATA_CAPABILITIES:
		*method = "GET";
		snprintf(path, len, "/capabilities");
		return 0;
	case DATA_ALIAS_PUT:
	case DATA_ACL_PUT:
		return put_request(o, cuid, method, path, len, body, err,
		    errlen);
	default:
		*method = o->cmd == DATA_ALIAS_GET || o->cmd == DATA_ACL_GET ?
		    "GET" : "DELETE";
		rc = path_of(path, len, cuid, acl ? (o->name ? "/acls/acl=" :
		    "/acls") : (o->name ? "/aliases/alias=" : "/aliases"),
		    o->name);
		break;
	}
	return rc < 0 ? data_errf(err, errlen, "name too long") : 0;
}
