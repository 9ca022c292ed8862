/*
 * authz.c: who a (D)TLS peer is, and what it may ask for. The transport
 * has already verified the peer's certificate chain (against "ca") or its
 * PSK; here the verified credentials are matched against the configured
 * client identities, and requested targets against the client's domain.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dotsd/conf.h"

/* ------------------------------------------------------------------ */
/* Prefixes                                                           */
/* ------------------------------------------------------------------ */

/* Does prefix outer contain inner (same family, outer no longer)? */
static int
prefix_contains(const struct mit_prefix *outer, const struct mit_prefix *inner)
{
	int	i;

	if (outer->family != inner->family || outer->len > inner->len)
		return 0;
	for (i = 0; i < outer->len; i++)
		if ((outer->addr[i / 8] ^ inner->addr[i / 8]) &
		    (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/*
 * Address space nobody may ask us to mitigate: it is not routed on the
 * Internet as unicast, so a rule for it is a mistake or an attack on the
 * router itself (doc/dotsd.conf.5, AUTHORIZATION).
 */
static const struct {
	const char	*prefix;
	const char	*why;
} bad_space[] = {
	{ "0.0.0.0/8",		"\"this network\" (RFC 791)" },
	{ "127.0.0.0/8",	"loopback" },
	{ "169.254.0.0/16",	"link-local" },
	{ "224.0.0.0/4",	"multicast" },
	{ "240.0.0.0/4",	"reserved or broadcast" },
	{ "::/128",		"unspecified" },
	{ "::1/128",		"loopback" },
	{ "::ffff:0:0/96",	"IPv4-mapped" },
	{ "fe80::/10",		"link-local" },
	{ "ff00::/8",		"multicast" },
};

int
authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
    char *why, size_t whylen)
{
	struct mit_prefix bad;
	char	 s[64];
	size_t	 i;
	uint32_t j;
	int	 inside = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (!prefix_valid(p)) {
		snprintf(why, whylen, "malformed prefix");
		return -EINVAL;
	}
	prefix_format(p, s, sizeof(s));
	for (i = 0; i < sizeof(bad_space) / sizeof(bad_space[0]); i++) {
		if (prefix_parse(bad_space[i].prefix, &bad) != 0)
			continue;
		/* Overlap either way: one of them contains the other. */
		if (prefix_contains(&bad, p) || prefix_contains(p, &bad)) {
			snprintf(why, whylen, "%s overlaps %s space %s", s,
			    bad_space[i].why, bad_space[i].prefix);
			return -EINVAL;
		}
	}
	for (j = 0; j < c->nprefixes && !inside; j++)
		inside = prefix_contains(&c->prefixes[j], p);
	if (!inside) {
		snprintf(why, whylen, "%s is outside the domain of client "
		    "\"%s\"", s, c->name);
		return -EPERM;
	}
	if (p->family == AF_INET ? p->len < c->min_len4 :
	    p->len < c->min_len6) {
		snprintf(why, whylen, "%s is shorter than /%u", s,
		    p->family == AF_INET ? c->min_len4 : c->min_len6);
		return -EPERM;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Identities                                                         */
/* ------------------------------------------------------------------ */

const struct client_conf *
authz_by_name(const struct dotsd_conf *conf, const char *name)
{
	int	i;

	for (i = 0; i < conf->nclients; i++)
		if (strcmp(conf->clients[i].name, name) == 0)
			return &conf->clients[i];
	return NULL;
}

const struct client_conf *
authz_by_psk(const struct dotsd_conf *conf, const char *identity)
{
	int	i;

	if (!conf->psk)
		return NULL;
	for (i = 0; i < conf->nclients; i++)
		if (conf->clients[i].id_kind == ID_PSK &&
		    strcmp(conf->clients[i].id_value, identity) == 0)
			return &conf->clients[i];
	return NULL;
}

static const struct client_conf *
find_id(const struct dotsd_conf *conf, int kind, const char *value)
{
	const struct client_conf *cl;
	int	i;

	for (i = 0; i < conf->nclients; i++) {
		cl = &conf->clients[i];
		if (cl->id_kind != kind)
			continue;
		if (kind == ID_SAN_DNS ? strcasecmp(cl->id_value, value) == 0 :
		    strcmp(cl->id_value, value) == 0)
			return cl;
	}
	return NULL;
}

/* Hex SHA-256 of the DER SubjectPublicKeyInfo (RFC 7469 §2.4 style). */
static int
spki_sha256_hex(X509 *x, char *hex, size_t len)
{
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	int		 n;

	if (len < 65)
		return -EINVAL;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0)
		return -EINVAL;
	if (EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return -EINVAL;
	}
	OPENSSL_free(der);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* UTF-8 text of an ASN.1 string; -EINVAL if it has an embedded NUL. */
static int
asn1_text(const ASN1_STRING *as, char *buf, size_t len)
{
	unsigned char	*u = NULL;
	int		 n;

	if ((n = ASN1_STRING_to_UTF8(&u, as)) < 0)
		return -EINVAL;
	if ((size_t)n >= len || memchr(u, '\0', (size_t)n) != NULL) {
		OPENSSL_free(u);
		return -EINVAL;
	}
	memcpy(buf, u, (size_t)n);
	buf[n] = '\0';
	OPENSSL_free(u);
	return 0;
}

static const struct client_conf *
by_san_dns(const struct dotsd_conf *conf, X509 *x)
{
	const struct client_conf *cl = NULL;
	GENERAL_NAMES	*names;
	GENERAL_NAME	*gn;
	char		 name[256];
	int		 i;

	names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (names == NULL)
		return NULL;
	for (i = 0; i < sk_GENERAL_NAME_num(names) && cl == NULL; i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type != GEN_DNS ||
		    asn1_text(gn->d.dNSName, name, sizeof(name)) != 0)
			continue;
		cl = find_id(conf, ID_SAN_DNS, name);
	}
	GENERAL_NAMES_free(names);
	return cl;
}

static const struct client_conf *
by_cn(const struct dotsd_conf *conf, X509 *x)
{
	const struct client_conf *cl = NULL;
	X509_NAME	*subj = X509_get_subject_name(x);
	X509_NAME_ENTRY	*e;
	char		 cn[256];
	int		 i = -1;

	while (cl == NULL && subj != NULL &&
	    (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
		e = X509_NAME_get_entry(subj, i);
		if (asn1_text(X509_NAME_ENTRY_get_data(e), cn,
		    sizeof(cn)) != 0)
			continue;
		cl = find_id(conf, ID_SUBJECT_CN, cn);
	}
	return cl;
}

/*
 * The most specific identity wins: an SPKI pin, then a dNSName, then the
 * subject CN, so a pinned key cannot be shadowed by a name.
 */
const struct client_conf *
authz_by_cert(const struct dotsd_conf *conf, const uint8_t *der, size_t len)
{
	const struct client_conf *cl;
	const unsigned char *q = der;
	X509	*x;
	char	 hex[65];

	if (der == NULL || len == 0 || len > 65536)
		return NULL;
	if ((x = d2i_X509(NULL, &q, (long)len)) == NULL)
		return NULL;
	if (q != der + len) {		/* trailing garbage */
		X509_free(x);
		return NULL;
	}
	cl = NULL;
	if (spki_sha256_hex(x, hex, sizeof(hex)) == 0)
		cl = find_id(conf, ID_SPKI_SHA256, hex);
	if (cl == NULL)
		cl = by_san_dns(conf, x);
	if (cl == NULL)
		cl = by_cn(conf, x);
	X509_free(x);
	return cl;
}
