/*
 * conf.c: the keywords of dotsd.conf's upstream block (dotsd.conf(5)),
 * checked one by one before the backend starts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "upstream/upstream_int.h"

static int
set_str(char *dst, size_t size, const char *key, const char *value,
    char *err, size_t errlen)
{
	if (strlen(value) >= size || value[0] == '\0') {
		snprintf(err, errlen, "%s: empty or longer than %zu", key,
		    size - 1);
		return -EINVAL;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int
set_uint(const char *key, const char *value, long long lo, long long hi,
    int64_t *out, char *err, size_t errlen)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || n < lo || n > hi) {
		snprintf(err, errlen, "%s: %s is not %lld to %lld", key,
		    value, lo, hi);
		return -EINVAL;
	}
	*out = n;
	return 0;
}

/* A cuid or cdid goes into a Uri-Path: no '/', printable ASCII. */
static int
set_id(char *dst, size_t size, const char *key, const char *value,
    char *err, size_t errlen)
{
	const char	*p;

	for (p = value; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == '/' || *p == '=') {
			snprintf(err, errlen, "%s: not a URI-safe token", key);
			return -EINVAL;
		}
	return set_str(dst, size, key, value, err, errlen);
}

/* One keyword; 0 or -EINVAL/-ENOENT with err. */
int
up_conf_key(struct upstream *u, const char *key, const char *value,
    char *err, size_t errlen)
{
	int64_t	n;
	int	r;

	if (strcmp(key, "server") == 0) {
		if (server_uri_parse(value, &u->su) != 0) {
			snprintf(err, errlen, "server: not coaps://host[:port]"
			    " or coaps+tcp://host[:port]");
			return -EINVAL;
		}
		return set_str(u->server, sizeof(u->server), key, value, err,
		    errlen);
	}
	if (strcmp(key, "certificate") == 0)
		return set_str(u->cert, sizeof(u->cert), key, value, err,
		    errlen);
	if (strcmp(key, "key") == 0)
		return set_str(u->key, sizeof(u->key), key, value, err, errlen);
	if (strcmp(key, "ca") == 0)
		return set_str(u->ca, sizeof(u->ca), key, value, err, errlen);
	if (strcmp(key, "cuid") == 0)
		return set_id(u->cuid, sizeof(u->cuid), key, value, err,
		    errlen);
	if (strcmp(key, "cdid") == 0)
		return set_id(u->cdid, sizeof(u->cdid), key, value, err,
		    errlen);
	/* RFC 9132 §4.4.1: lifetime > 0; indefinite (-1) is not asked for,
	 * so a dead dotsd's requests expire upstream */
	if (strcmp(key, "lifetime") == 0)
		return set_uint(key, value, 60, 86400 * 7, &u->lifetime, err,
		    errlen);
	if (strcmp(key, "timeout") == 0) {
		r = set_uint(key, value, 1, 300, &n, err, errlen);
		u->timeout = (unsigned)n;
		return r;
	}
	if (strcmp(key, "heartbeat-interval") == 0) {
		r = set_uint(key, value, 1, 65535, &n, err, errlen);
		u->hb_interval = (unsigned)n;
		return r;
	}
	if (strcmp(key, "missing-hb-allowed") == 0) {
		r = set_uint(key, value, 1, 9, &n, err, errlen);
		u->missing_hb = (unsigned)n;
		return r;
	}
	snprintf(err, errlen, "unknown upstream keyword \"%s\"", key);
	return -ENOENT;
}

/* What start needs: a server, a certificate and a cuid. */
int
up_conf_check(struct upstream *u, char *err, size_t errlen)
{
	const char	*missing = NULL;

	if (u->server[0] == '\0')
		missing = "server";
	else if (u->cert[0] == '\0')
		missing = "certificate";
	else if (u->key[0] == '\0')
		missing = "key";
	else if (u->ca[0] == '\0')
		missing = "ca";
	else if (u->cuid[0] == '\0')
		missing = "cuid";
	if (missing != NULL) {
		snprintf(err, errlen, "upstream block without %s", missing);
		return -EINVAL;
	}
	if (access(u->cert, R_OK) != 0 || access(u->key, R_OK) != 0 ||
	    access(u->ca, R_OK) != 0) {
		snprintf(err, errlen, "upstream certificate, key or ca "
		    "unreadable");
		return -EINVAL;
	}
	return 0;
}
