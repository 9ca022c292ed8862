/*
 * datachan.c: the data channel's HTTPS server (datachan.h). libevent's
 * evhttp over OpenSSL bufferevents, in a thread of its own so that its
 * event loop needs no place in dotsd's poll loop. Everything that reads
 * network input runs here: TLS with mutual X.509 (TLS 1.2 or 1.3, client
 * certificates verified against `ca`), HTTP, the RESTCONF target URI
 * (RFC 8040 §3.5.3), the JSON body and its validation against the YANG
 * modules, in a libyang context of this thread's own.
 *
 * A checked request becomes a struct dc_job; its pointer goes to the main
 * loop over a SOCK_SEQPACKET socketpair and the thread waits for it to
 * come back answered (the main loop only ever answers, so the wait is
 * short and evhttp cannot free the request meanwhile). A NULL pointer
 * from the main loop stops the thread.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libyang/libyang.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dotsd/datachan.h"
#include "dotsd/datachan_int.h"
#include "lib/log.h"
#include "yang/codec.h"

#define DC_ROOT		"/restconf/data/ietf-dots-data-channel:dots-data"
#define DC_MOD		"ietf-dots-data-channel:"
#define ACL_MOD		"ietf-access-control-list:"
#define DC_TYPE		"application/yang-data+json"
#define DC_TIMEOUT	30	/* seconds an idle connection stays */
#define DC_MAX_BODY	(2 * 1024 * 1024)	/* an ACL of ~10,000 entries */

struct datachan {
	const struct dotsd_conf	*conf;		/* main loop only */
	int			 sv[2];		/* [0] main loop, [1] thread */
	pthread_t		 thread;
	int			 running;
	struct event_base	*base;
	struct evhttp		*http;
	struct event		*quit_ev;
	SSL_CTX			*ssl;
	struct ly_ctx		*ly;
};

static struct datachan	dc = { .sv = { -1, -1 } };

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

static const char *
reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void
send_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer	*buf = evbuffer_new();
	char		*text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	if (text != NULL)
		evbuffer_add(buf, text, strlen(text));
	/* also without a body: evhttp would otherwise say text/html */
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", DC_TYPE);
	evhttp_send_reply(req, code, reason_phrase(code), buf);
	evbuffer_free(buf);
	free(text);
}

/* RFC 8040 §7.1 errors body. */
static void
send_error(struct evhttp_request *req, int code, const char *tag,
    const char *msg)
{
	json_t	*e = json_pack("{s:{s:[{s:s,s:s,s:s}]}}", "ietf-restconf:errors",
	    "error", "error-type", code == 400 && strcmp(tag,
	    "malformed-message") == 0 ? "rpc" : "application", "error-tag",
	    tag, "error-message", msg);

	send_json(req, code, e);
	json_decref(e);
}

/* RFC 8040 §3.1 root discovery (RFC 6415 host-meta). */
static void
send_host_meta(struct evhttp_request *req, int as_json)
{
	static const char xrd[] = "<XRD xmlns='http://docs.oasis-open.org/"
	    "ns/xri/xrd-1.0'>\n  <Link rel='restconf' href='/restconf'/>\n"
	    "</XRD>\n";
	static const char js[] = "{\"links\":[{\"rel\":\"restconf\","
	    "\"href\":\"/restconf\"}]}\n";
	struct evbuffer	*buf = evbuffer_new();

	evbuffer_add(buf, as_json ? js : xrd, strlen(as_json ? js : xrd));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", as_json ? "application/json" :
	    "application/xrd+xml");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* ------------------------------------------------------------------ */
/* Target URI                                                          */
/* ------------------------------------------------------------------ */

/* Percent-decodes one key value into out (at most len - 1 bytes). */
static int
key_value(const char *s, size_t n, char *out, size_t len)
{
	char	*raw, *dec;
	int	 r = -EINVAL;

	if (n == 0 || (raw = strndup(s, n)) == NULL)
		return -EINVAL;
	dec = evhttp_uridecode(raw, 0, NULL);
	if (dec != NULL && dec[0] != '\0' && strlen(dec) < len &&
	    strpbrk(dec, "/") == NULL) {
		snprintf(out, len, "%s", dec);
		r = 0;
	}
	free(dec);
	free(raw);
	return r;
}

int
datachan_parse_target(const char *p, struct dc_job *j)
{
	const char	*end;

	if (*p == '\0')
		return j->target = DC_T_DATA, 0;
	if (strcmp(p, "/capabilities") == 0)
		return j->target = DC_T_CAPS, 0;
	if (strncmp(p, "/dots-client=", 13) != 0)
		return -ENOENT;
	p += 13;
	end = p + strcspn(p, "/");
	if (key_value(p, (size_t)(end - p), j->cuid, sizeof(j->cuid)) != 0)
		return -EINVAL;
	p = end;
	j->target = DC_T_CLIENT;
	if (*p == '\0')
		return 0;
	if (strcmp(p, "/aliases") == 0)
		return j->target = DC_T_ALIASES, 0;
	if (strcmp(p, "/acls") == 0)
		return j->target = DC_T_ACLS, 0;
	if (strncmp(p, "/aliases/alias=", 15) == 0)
		j->target = DC_T_ALIAS, p += 15;
	else if (strncmp(p, "/acls/acl=", 10) == 0)
		j->target = DC_T_ACL, p += 10;
	else
		return -ENOENT;
	return key_value(p, strlen(p), j->name, sizeof(j->name));
}

/* Which methods each target takes (RFC 8783 §5-§7). */
static int
method_allowed(int target, int method)
{
	static const uint8_t allowed[] = {
		[DC_T_DATA] = 1 << DC_POST,
		[DC_T_CAPS] = 1 << DC_GET,
		[DC_T_CLIENT] = 1 << DC_GET | 1 << DC_PUT | 1 << DC_POST |
		    1 << DC_DELETE,
		[DC_T_ALIASES] = 1 << DC_GET,
		[DC_T_ALIAS] = 1 << DC_GET | 1 << DC_PUT | 1 << DC_DELETE,
		[DC_T_ACLS] = 1 << DC_GET,
		[DC_T_ACL] = 1 << DC_GET | 1 << DC_PUT | 1 << DC_DELETE,
	};

	return (allowed[target] >> method) & 1;
}

/* ------------------------------------------------------------------ */
/* Bodies                                                              */
/* ------------------------------------------------------------------ */

/* Adds the ACL module prefix to an identityref value lacking one (P5). */
static void
qualify(json_t *obj, const char *key)
{
	const char	*v = json_string_value(json_object_get(obj, key));
	char		 buf[128];

	if (v == NULL || strchr(v, ':') != NULL)
		return;
	snprintf(buf, sizeof(buf), ACL_MOD "%s", v);
	json_object_set_new(obj, key, json_string(buf));
}

/*
 * RFC 8783 examples write identities unprefixed and leave an ACL's type
 * out; the module needs both (yang/modules/README.md P3, P5). Fills
 * type from the entries' matches: ipv4, ipv6, or mixed.
 */
static void
normalize_acl(json_t *acl)
{
	json_t	*ace, *m;
	size_t	 i;
	int	 v4 = 0, v6 = 0;

	json_array_foreach(json_object_get(json_object_get(acl, "aces"),
	    "ace"), i, ace) {
		qualify(json_object_get(ace, "actions"), "forwarding");
		m = json_object_get(ace, "matches");
		v4 |= json_object_get(m, "ipv4") != NULL;
		v6 |= json_object_get(m, "ipv6") != NULL;
	}
	if (json_object_get(acl, "type") == NULL && (v4 || v6))
		json_object_set_new(acl, "type", json_string(v4 && v6 ?
		    ACL_MOD "mixed-ipv4-ipv6-acl-type" : v4 ?
		    ACL_MOD "ipv4-acl-type" : ACL_MOD "ipv6-acl-type"));
	qualify(acl, "type");
}

/* The one member of body, named DC_MOD key; NULL if body is not so. */
static json_t *
only_member(json_t *body, const char *key)
{
	char	k[96];

	snprintf(k, sizeof(k), DC_MOD "%s", key);
	if (!json_is_object(body) || json_object_size(body) != 1)
		return NULL;
	return json_object_get(body, k);
}

/* Registration body: one dots-client entry, cuid as the URI's if any. */
static int
shape_client(struct dc_job *j, json_t *body, json_t **tree, char *why,
    size_t whylen)
{
	json_t		*list = only_member(body, "dots-client"), *e;
	const char	*cuid, *cdid;

	if (!json_is_array(list) || json_array_size(list) != 1) {
		snprintf(why, whylen, "the body must hold one dots-client");
		return -EINVAL;
	}
	e = json_array_get(list, 0);
	cuid = json_string_value(json_object_get(e, "cuid"));
	cdid = json_string_value(json_object_get(e, "cdid"));
	if (cuid == NULL) {
		snprintf(why, whylen, "cuid is mandatory");
		return -ENODATA;
	}
	if (json_object_get(e, "aliases") || json_object_get(e, "acls")) {
		snprintf(why, whylen, "register first, then add aliases and "
		    "acls");
		return -EINVAL;
	}
	if ((j->target == DC_T_CLIENT && strcmp(cuid, j->cuid) != 0) ||
	    strlen(cuid) >= sizeof(j->cuid) ||
	    (cdid && strlen(cdid) >= sizeof(j->cdid))) {
		snprintf(why, whylen, "cuid differs from the URI's or is too "
		    "long");
		return -EINVAL;
	}
	snprintf(j->cuid, sizeof(j->cuid), "%s", cuid);
	snprintf(j->cdid, sizeof(j->cdid), "%s", cdid ? cdid : "");
	*tree = json_pack("{s:{s:O}}", DC_MOD "dots-data", "dots-client",
	    list);
	return 0;
}

/*
 * Aliases or ACLs under one client: a POST of the container, or a PUT of
 * one entry (whose name must be the URI's). j->body gets the entry list.
 */
static int
shape_child(struct dc_job *j, json_t *body, json_t **tree, char *why,
    size_t whylen)
{
	json_t		*list = NULL, *cont, *e;
	const char	*ck = "acls", *lk = "acl";
	size_t		 i;

	if (j->method == DC_POST) {
		if ((cont = only_member(body, "aliases")) != NULL)
			ck = "aliases", lk = "alias", j->child = 1;
		else if ((cont = only_member(body, "acls")) != NULL)
			j->child = 2;
		list = json_object_get(cont, lk);
	} else {
		if (j->target == DC_T_ALIAS)
			ck = "aliases", lk = "alias";
		list = only_member(body, lk);
		if (json_array_size(list) != 1 || strcmp(j->name,
		    json_string_value(json_object_get(json_array_get(list, 0),
		    "name")) ?: "") != 0) {
			snprintf(why, whylen, "the body must hold the one %s "
			    "the URI names", lk);
			return -EINVAL;
		}
	}
	if (!json_is_array(list) || json_array_size(list) == 0) {
		snprintf(why, whylen, "the body must hold aliases or acls");
		return -EINVAL;
	}
	if (strcmp(lk, "acl") == 0)
		json_array_foreach(list, i, e)
			normalize_acl(e);
	j->body = json_incref(list);
	*tree = json_pack("{s:{s:[{s:s,s:{s:O}}]}}", DC_MOD "dots-data",
	    "dots-client", "cuid", j->cuid, ck, lk, list);
	return 0;
}

int
datachan_parse_body(struct ly_ctx *ly, struct dc_job *j, const char *text,
    size_t len, char *why, size_t whylen, const char **tag)
{
	json_t		*body, *tree = NULL;
	json_error_t	 je;
	int		 r;

	*tag = "invalid-value";
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (body == NULL) {
		snprintf(why, whylen, "JSON: %s", je.text);
		*tag = "malformed-message";
		return 400;
	}
	if (j->target == DC_T_DATA || (j->target == DC_T_CLIENT &&
	    j->method == DC_PUT))
		r = shape_client(j, body, &tree, why, whylen);
	else
		r = shape_child(j, body, &tree, why, whylen);
	if (r == 0 && (r = codec_yang_validate_data(ly, tree, why,
	    whylen)) != 0)
		*tag = strstr(why, "ot found") || strstr(why, "nknown") ?
		    "unknown-element" : strstr(why, "andatory") ?
		    "missing-attribute" : "invalid-value";
	if (r == -ENODATA)
		*tag = "missing-attribute";
	json_decref(tree);
	json_decref(body);
	if (r != 0) {
		json_decref(j->body);
		j->body = NULL;
	}
	return r == 0 ? 0 : 400;
}

/* The body of a POST/PUT, its media type checked, into j. */
static int
read_body(struct evhttp_request *req, struct dc_job *j, char *why,
    size_t whylen, const char **tag)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*ct = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");

	*tag = "invalid-value";
	if (ct == NULL || strncmp(ct, DC_TYPE, strlen(DC_TYPE)) != 0) {
		snprintf(why, whylen, "Content-Type must be " DC_TYPE);
		return 415;
	}
	return datachan_parse_body(dc.ly, j, (const char *)evbuffer_pullup(in,
	    -1), evbuffer_get_length(in), why, whylen, tag);
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */
/* ------------------------------------------------------------------ */

/* The peer's leaf certificate (verified by OpenSSL) into j->der. */
static int
peer_cert(struct evhttp_request *req, struct dc_job *j)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	unsigned char		*p = j->der;
	X509			*x;
	SSL			*ssl;
	int			 n;

	if (conn == NULL ||
	    (bev = evhttp_connection_get_bufferevent(conn)) == NULL ||
	    (ssl = bufferevent_openssl_get_ssl(bev)) == NULL ||
	    (x = SSL_get1_peer_certificate(ssl)) == NULL)
		return -EPERM;
	n = i2d_X509(x, NULL);
	if (n > 0 && n <= (int)sizeof(j->der))
		n = i2d_X509(x, &p);
	X509_free(x);
	if (n <= 0 || n > (int)sizeof(j->der))
		return -EPERM;
	j->derlen = (size_t)n;
	return 0;
}

/* RFC 8040 §4.4.1: a 201 to a POST names the new resource. */
static void
add_location(struct evhttp_request *req, const struct dc_job *j)
{
	char	loc[512], *cuid, *name = NULL;
	json_t	*e = json_array_get(j->body, 0);

	if (j->method != DC_POST)
		return;
	cuid = evhttp_uriencode(j->cuid, -1, 0);
	if (j->child)
		name = evhttp_uriencode(json_string_value(json_object_get(e,
		    "name")) ?: "", -1, 0);
	if (j->target == DC_T_DATA)
		snprintf(loc, sizeof(loc), DC_ROOT "/dots-client=%s", cuid);
	else
		snprintf(loc, sizeof(loc), DC_ROOT "/dots-client=%s/%s=%s",
		    cuid, j->child == 1 ? "aliases/alias" : "acls/acl",
		    name ? name : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	    loc);
	free(cuid);
	free(name);
}

/* Hands j to the main loop and waits for it to come back answered. */
static int
job_roundtrip(struct dc_job *j)
{
	struct dc_job	*back = NULL;
	ssize_t		 n;

	if (write(dc.sv[1], &j, sizeof(j)) != sizeof(j))
		return -EIO;
	do
		n = read(dc.sv[1], &back, sizeof(back));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(back) || back != j) {
		/* NULL: dotsd is stopping */
		event_base_loopbreak(dc.base);
		return -ESHUTDOWN;
	}
	return 0;
}

static void
reply_job(struct evhttp_request *req, struct dc_job *j)
{
	if (j->res.code >= 400) {
		send_error(req, j->res.code, j->res.tag, j->res.why);
		return;
	}
	if (j->res.code == 201)
		add_location(req, j);
	send_json(req, j->res.code ? j->res.code : 500, j->res.code == 200 ?
	    j->reply : NULL);
}

static int
method_of(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return DC_GET;
	case EVHTTP_REQ_POST: return DC_POST;
	case EVHTTP_REQ_PUT: return DC_PUT;
	case EVHTTP_REQ_DELETE: return DC_DELETE;
	default: return -1;
	}
}

/* Everything up to the hand-off; returns 0, or an HTTP error code. */
static int
check_request(struct evhttp_request *req, const char *path,
    struct dc_job *j, char *why, size_t whylen, const char **tag)
{
	int	m = method_of(req), r;

	*tag = "invalid-value";
	if (strncmp(path, DC_ROOT, strlen(DC_ROOT)) != 0 ||
	    (r = datachan_parse_target(path + strlen(DC_ROOT), j)) ==
	    -ENOENT) {
		snprintf(why, whylen, "no such resource");
		return 404;
	}
	if (r != 0) {
		snprintf(why, whylen, "bad key in the URI");
		return 400;
	}
	if (m < 0 || !method_allowed(j->target, m)) {
		*tag = "operation-not-supported";
		snprintf(why, whylen, "method not allowed here");
		return 405;
	}
	j->method = (uint8_t)m;
	if (peer_cert(req, j) != 0) {
		*tag = "access-denied";
		snprintf(why, whylen, "no client certificate");
		return 403;
	}
	if (m == DC_POST || m == DC_PUT)
		return read_body(req, j, why, whylen, tag);
	return 0;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char		*tag;
	struct dc_job		*j;
	char			 why[256];
	int			 code;

	(void)arg;
	if (path != NULL && method_of(req) == DC_GET &&
	    (strcmp(path, "/.well-known/host-meta") == 0 ||
	    strcmp(path, "/.well-known/host-meta.json") == 0)) {
		send_host_meta(req, strchr(path + 12, '.') != NULL);
		return;
	}
	if (path == NULL || (j = calloc(1, sizeof(*j))) == NULL) {
		send_error(req, path ? 503 : 400, "operation-failed",
		    path ? "out of memory" : "bad URI");
		return;
	}
	if ((code = check_request(req, path, j, why, sizeof(why), &tag)) != 0)
		send_error(req, code, tag, why);
	else if (job_roundtrip(j) != 0)
		send_error(req, 503, "operation-failed", "stopping");
	else
		reply_job(req, j);
	json_decref(j->body);
	json_decref(j->reply);
	free(j);
}

/* ------------------------------------------------------------------ */
/* TLS and the thread                                                  */
/* ------------------------------------------------------------------ */

static struct bufferevent *
new_bev(struct event_base *base, void *arg)
{
	SSL	*ssl = SSL_new(dc.ssl);

	(void)arg;
	if (ssl == NULL)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

static int
tls_setup(const struct dotsd_conf *c, char *err, size_t errlen)
{
	struct stat	st;
	int		ok;

	if ((dc.ssl = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	/* RFC 8783 §8: TLS 1.2 at least; mutual authentication */
	SSL_CTX_set_min_proto_version(dc.ssl, TLS1_2_VERSION);
	ok = SSL_CTX_use_certificate_chain_file(dc.ssl, c->cert) == 1 ||
	    SSL_CTX_use_certificate_file(dc.ssl, c->cert, SSL_FILETYPE_ASN1)
	    == 1;
	ok = ok && (SSL_CTX_use_PrivateKey_file(dc.ssl, c->key,
	    SSL_FILETYPE_PEM) == 1 || SSL_CTX_use_PrivateKey_file(dc.ssl,
	    c->key, SSL_FILETYPE_ASN1) == 1);
	ok = ok && SSL_CTX_check_private_key(dc.ssl) == 1;
	if (ok && stat(c->ca, &st) == 0 && S_ISDIR(st.st_mode))
		ok = SSL_CTX_load_verify_locations(dc.ssl, NULL, c->ca) == 1;
	else if (ok)
		ok = SSL_CTX_load_verify_locations(dc.ssl, c->ca, NULL) == 1;
	if (!ok)
		goto fail;
	SSL_CTX_set_verify(dc.ssl, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	ERR_clear_error();
	return 0;
 fail:
	snprintf(err, errlen, "data channel: certificate %s, key %s or ca "
	    "%s: %s", c->cert, c->key, c->ca,
	    ERR_reason_error_string(ERR_peek_last_error()) ?: "unusable");
	ERR_clear_error();
	return -EINVAL;
}

/* The main loop said stop (a NULL job while idle). */
static void
on_quit(evutil_socket_t fd, short what, void *arg)
{
	struct dc_job	*j;

	(void)what;
	(void)arg;
	if (read(fd, &j, sizeof(j)) <= 0 || j == NULL)
		event_base_loopbreak(dc.base);
}

static void *
dc_thread(void *arg)
{
	(void)arg;
	event_base_dispatch(dc.base);
	return NULL;
}

static int
http_setup(const struct dotsd_conf *c, char *err, size_t errlen)
{
	int	i;

	if ((dc.base = event_base_new()) == NULL ||
	    (dc.http = evhttp_new(dc.base)) == NULL)
		goto oom;
	evhttp_set_bevcb(dc.http, new_bev, NULL);
	evhttp_set_gencb(dc.http, on_request, NULL);
	evhttp_set_allowed_methods(dc.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_body_size(dc.http, DC_MAX_BODY);
	evhttp_set_max_headers_size(dc.http, 16384);
	evhttp_set_timeout(dc.http, DC_TIMEOUT);
	for (i = 0; i < c->ndc_listen; i++) {
		if (evhttp_bind_socket(dc.http, c->dc_listen[i].addr,
		    c->dc_listen[i].port) != 0) {
			snprintf(err, errlen, "%s:%d: data channel: cannot "
			    "listen on %s port %u", c->path,
			    c->dc_listen[i].line, c->dc_listen[i].addr,
			    c->dc_listen[i].port);
			return -EADDRINUSE;
		}
		log_info("data channel listening on %s port %u",
		    c->dc_listen[i].addr, c->dc_listen[i].port);
	}
	if ((dc.quit_ev = event_new(dc.base, dc.sv[1], EV_READ | EV_PERSIST,
	    on_quit, NULL)) == NULL || event_add(dc.quit_ev, NULL) != 0)
		goto oom;
	return 0;
 oom:
	snprintf(err, errlen, "data channel: out of memory");
	return -ENOMEM;
}

int
datachan_init(const struct dotsd_conf *c, char *err, size_t errlen)
{
	const char	*ydir;
	int		 r;

	dc.conf = c;
	if (c->ndc_listen == 0)
		return 0;
	ydir = c->yang_dir[0] ? c->yang_dir : codec_yang_default_dir();
	if ((r = codec_yang_ctx_new(ydir, &dc.ly, err, errlen)) != 0 ||
	    (r = tls_setup(c, err, errlen)) != 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, dc.sv)
	    != 0) {
		snprintf(err, errlen, "data channel: socketpair: %s",
		    strerror(errno));
		r = -errno;
		goto fail;
	}
	fcntl(dc.sv[0], F_SETFL, O_NONBLOCK);
	if ((r = http_setup(c, err, errlen)) != 0)
		goto fail;
	if ((r = pthread_create(&dc.thread, NULL, dc_thread, NULL)) != 0) {
		snprintf(err, errlen, "data channel: thread: %s",
		    strerror(r));
		r = -r;
		goto fail;
	}
	dc.running = 1;
	return 0;
 fail:
	datachan_fini();
	return r;
}

void
datachan_reconf(const struct dotsd_conf *c)
{
	dc.conf = c;
}

int
datachan_pollfds(struct pollfd *pfd, int max)
{
	if (!dc.running || max < 1)
		return 0;
	pfd[0].fd = dc.sv[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

void
datachan_process(const struct pollfd *pfd, int n)
{
	struct dc_job	*j;

	if (n < 1 || !(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
		return;
	/* the thread sends one job at a time and waits for it */
	if (read(dc.sv[0], &j, sizeof(j)) != sizeof(j) || j == NULL)
		return;
	datachan_serve(dc.conf, j);
	if (write(dc.sv[0], &j, sizeof(j)) != sizeof(j))
		log_warn("data channel: cannot answer the HTTP thread");
}

void
datachan_fini(void)
{
	struct dc_job	*j = NULL;

	if (dc.running) {
		/* a job in flight is answered 503 by the NULL */
		if (read(dc.sv[0], &j, sizeof(j)) == sizeof(j) && j != NULL)
			j = NULL;
		if (write(dc.sv[0], &j, sizeof(j)) != sizeof(j))
			log_warn("data channel: cannot stop the HTTP thread");
		pthread_join(dc.thread, NULL);
		dc.running = 0;
	}
	if (dc.quit_ev != NULL)
		event_free(dc.quit_ev);
	if (dc.http != NULL)
		evhttp_free(dc.http);
	if (dc.base != NULL)
		event_base_free(dc.base);
	if (dc.ssl != NULL)
		SSL_CTX_free(dc.ssl);
	if (dc.ly != NULL)
		ly_ctx_destroy(dc.ly);
	if (dc.sv[0] >= 0)
		close(dc.sv[0]);
	if (dc.sv[1] >= 0)
		close(dc.sv[1]);
	dc.quit_ev = NULL;
	dc.http = NULL;
	dc.base = NULL;
	dc.ssl = NULL;
	dc.ly = NULL;
	dc.sv[0] = dc.sv[1] = -1;
}
