/*
 * signal_tls.c: the security of the signal channel: server credentials
 * (X.509 as DER or PEM buffers, or PSK), the identification of clients
 * during the (D)TLS handshake (RFC 9132 §8), and the DTLS and TLS
 * endpoints.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coap3/coap.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dotsd/conf.h"
#include "dotsd/session.h"
#include "dotsd/signal_int.h"
#include "lib/log.h"

#define DTLS_RCVBUF	(4 * 1024 * 1024)

static uint8_t *pem_cert, *pem_key, *pem_ca;
static size_t pem_cert_len, pem_key_len, pem_ca_len;
static uint8_t *der_cert, *der_key, *der_ca;	/* OPENSSL_free */
static int der_cert_len, der_key_len, der_ca_len;

/* ------------------------------------------------------------------ */
/* Authentication                                                      */
/* ------------------------------------------------------------------ */

/*
 * libcoap calls this for each certificate of the peer's chain once
 * OpenSSL has verified it (validated = 0: expired, not yet valid, foreign
 * CA, ...). The leaf (depth 0) must belong to a configured client.
 */
static int
verify_cert(const char *cn, const uint8_t *der, size_t len,
    coap_session_t *cs, unsigned depth, int validated, void *arg)
{
	const struct client_conf *c;
	struct sess *s;

	(void)arg;
	if (!validated) {
		log_info("handshake refused: certificate \"%s\" (depth %u) "
		    "does not verify", cn ? cn : "", depth);
		return 0;
	}
	if (depth > 0)
		return 1;
	if ((c = authz_by_cert(signal_conf, der, len)) == NULL) {
		log_info("handshake refused: certificate \"%s\" is no "
		    "configured client", cn ? cn : "");
		return 0;
	}
	if (signal_conf->max_sessions > 0 &&
	    (uint32_t)sess_count() > signal_conf->max_sessions) {
		log_warnx("client %s: refused, max-sessions %u reached",
		    c->name, signal_conf->max_sessions);
		return 0;
	}
	if ((s = sess_get(cs, 1)) == NULL)
		return 0;
	s->client = c;
	return 1;
}

/* PSK identity -> client (only with `psk yes`). */
static const coap_bin_const_t *
verify_psk(coap_bin_const_t *identity, coap_session_t *cs, void *arg)
{
	static coap_bin_const_t key;
	const struct client_conf *c;
	char id[COAP_DTLS_MAX_PSK_IDENTITY + 1];
	struct sess *s;

	(void)arg;
	if (identity == NULL || identity->length >= sizeof(id))
		return NULL;
	memcpy(id, identity->s, identity->length);
	id[identity->length] = '\0';
	if ((c = authz_by_psk(signal_conf, id)) == NULL || c->psk_len == 0) {
		log_info("handshake refused: unknown PSK identity");
		return NULL;
	}
	if ((s = sess_get(cs, 1)) == NULL)
		return NULL;
	s->client = c;
	key.s = c->psk_key;
	key.length = c->psk_len;
	return &key;	/* libcoap copies it */
}

static int
read_file(const char *path, uint8_t **buf, size_t *len, char *err,
    size_t errlen)
{
	FILE *f;
	long n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || n > 1024 * 1024) {
		snprintf(err, errlen, "%s: cannot size", path);
		fclose(f);
		return -EINVAL;
	}
	/* NUL-terminated: libcoap then needs no copy (coap_dtls.h). */
	if ((*buf = calloc(1, (size_t)n + 1)) == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n) {
		snprintf(err, errlen, "%s: short read", path);
		fclose(f);
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n + 1;
	return 0;
}

/* The DER of the only certificate in a PEM buffer; -1 if not exactly one. */
static int
der_single_cert(const uint8_t *pem, size_t len, uint8_t **der)
{
	X509 *x, *next;
	BIO *b;
	int n = -1;

	*der = NULL;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if ((next = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
			n = i2d_X509(x, der);
		X509_free(next);
		X509_free(x);
	}
	BIO_free(b);
	/* Probing for a second certificate queued "no start line". */
	ERR_clear_error();
	return n;
}

/*
 * Certificate, key and CA as DER when each file holds one object of a
 * kind libcoap's ASN.1 setup takes (EC or RSA key): libcoap 4.3.1 sets up
 * every handshake from what it was given, and DER costs least to parse
 * (measured by tests/bench/signal-bench.sh: about 1.7 ms of server CPU per
 * handshake with DER, 1.9 ms with PEM buffers, 2.7 ms with PEM files).
 * 0, or -1 to use the PEM buffers (chains, bundles, other key types).
 */
static int
pki_der(coap_dtls_pki_t *pki)
{
	coap_asn1_privatekey_type_t type;
	EVP_PKEY *k;
	BIO *b;

	if (pem_ca == NULL ||
	    (der_cert_len = der_single_cert(pem_cert, pem_cert_len,
	    &der_cert)) <= 0 ||
	    (der_ca_len = der_single_cert(pem_ca, pem_ca_len, &der_ca)) <= 0)
		return -1;
	if ((b = BIO_new_mem_buf(pem_key, (int)pem_key_len)) == NULL)
		return -1;
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL)
		return -1;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		type = COAP_ASN1_PKEY_EC;
		break;
	case EVP_PKEY_RSA:
		type = COAP_ASN1_PKEY_RSA;
		break;
	default:
		EVP_PKEY_free(k);
		return -1;
	}
	der_key_len = i2d_PrivateKey(k, &der_key);
	EVP_PKEY_free(k);
	if (der_key_len <= 0)
		return -1;
	pki->pki_key.key_type = COAP_PKI_KEY_ASN1;
	pki->pki_key.key.asn1.public_cert = der_cert;
	pki->pki_key.key.asn1.public_cert_len = (size_t)der_cert_len;
	pki->pki_key.key.asn1.private_key = der_key;
	pki->pki_key.key.asn1.private_key_len = (size_t)der_key_len;
	pki->pki_key.key.asn1.private_key_type = type;
	pki->pki_key.key.asn1.ca_cert = der_ca;
	pki->pki_key.key.asn1.ca_cert_len = (size_t)der_ca_len;
	return 0;
}

/*
 * Called by libcoap once it has set a session up from PEM credentials,
 * which it parses anew for every session and which leaves "no start line"
 * queued in OpenSSL: a stale entry there makes SSL_get_error() report a
 * TLS handshake that only wants to read as failed, and the session drops.
 */
static int
clear_tls_errors(void *tls_session, coap_dtls_pki_t *setup_data)
{
	(void)tls_session;
	(void)setup_data;
	ERR_clear_error();
	return 1;
}

int
sigtls_setup_pki(char *err, size_t errlen)
{
	coap_dtls_pki_t pki;
	int r;

	if ((r = read_file(signal_conf->cert, &pem_cert, &pem_cert_len, err,
	    errlen)) != 0 ||
	    (r = read_file(signal_conf->key, &pem_key, &pem_key_len, err,
	    errlen)) != 0)
		return r;
	if (signal_conf->ca[0] != '\0' &&
	    (r = read_file(signal_conf->ca, &pem_ca, &pem_ca_len, err,
	    errlen)) != 0)
		return r;
	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	pki.verify_peer_cert = 1;
	/*
	 * With a CA, client chains must end there. Without one (clients
	 * pinned by spki-sha256 only), self-signed client certificates.
	 */
	pki.check_common_ca = pem_ca != NULL;
	pki.allow_self_signed = pem_ca == NULL;
	pki.allow_expired_certs = 0;
	pki.cert_chain_validation = 1;
	pki.cert_chain_verify_depth = 3;
	pki.check_cert_revocation = 0;
	pki.validate_cn_call_back = verify_cert;
	pki.additional_tls_setup_call_back = clear_tls_errors;
	/*
	 * Memory buffers: libcoap's OpenSSL backend re-reads PEM files on
	 * every ClientHello (libcoap-4.3.1-notes.md).
	 */
	if (pki_der(&pki) != 0) {
		pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
		pki.pki_key.key.pem_buf.public_cert = pem_cert;
		pki.pki_key.key.pem_buf.public_cert_len = pem_cert_len;
		pki.pki_key.key.pem_buf.private_key = pem_key;
		pki.pki_key.key.pem_buf.private_key_len = pem_key_len;
		pki.pki_key.key.pem_buf.ca_cert = pem_ca;
		pki.pki_key.key.pem_buf.ca_cert_len = pem_ca_len;
	}
	log_debug("credentials loaded as %s", pki.pki_key.key_type ==
	    COAP_PKI_KEY_ASN1 ? "DER" : "PEM buffers");
	if (!coap_context_set_pki(signal_ctx, &pki)) {
		snprintf(err, errlen, "cannot set up certificates (%s, %s, "
		    "%s)", signal_conf->cert, signal_conf->key,
		    signal_conf->ca);
		return -EINVAL;
	}
	return 0;
}

int
sigtls_setup_psk(char *err, size_t errlen)
{
	coap_dtls_spsk_t psk;

	memset(&psk, 0, sizeof(psk));
	psk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	psk.validate_id_call_back = verify_psk;
	if (!coap_context_set_psk2(signal_ctx, &psk)) {
		snprintf(err, errlen, "cannot set up PSK");
		return -EINVAL;
	}
	return 0;
}

/*
 * libcoap 4.3.1 does not hand out an endpoint's socket: find our UDP
 * socket bound to port and raise its receive buffer, so handshake bursts
 * are not dropped by the kernel (libcoap-4.3.1-notes.md).
 */
static void
raise_rcvbuf(uint16_t port, int family)
{
	struct sockaddr_storage ss;
	socklen_t sl, tl;
	struct dirent *de;
	DIR *d;
	int fd, type, size = DTLS_RCVBUF;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = atoi(de->d_name);
		if (fd <= 2)
			continue;
		tl = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
		    type != SOCK_DGRAM)
			continue;
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    ss.ss_family != family)
			continue;
		if ((family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) != port) ||
		    (family == AF_INET6 &&
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) != port))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		    sizeof(size)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
			    sizeof(size));
	}
	closedir(d);
}

int
sigtls_endpoint(const struct listen_conf *l, char *err, size_t errlen)
{
	coap_address_t addr;
	coap_proto_t proto;
	int family;

	coap_address_init(&addr);
	memset(&addr.addr, 0, sizeof(addr.addr));
	if (inet_pton(AF_INET6, l->addr, &addr.addr.sin6.sin6_addr) == 1) {
		family = AF_INET6;
		addr.addr.sin6.sin6_family = AF_INET6;
		addr.addr.sin6.sin6_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin6);
	} else if (inet_pton(AF_INET, l->addr, &addr.addr.sin.sin_addr) == 1) {
		family = AF_INET;
		addr.addr.sin.sin_family = AF_INET;
		addr.addr.sin.sin_port = htons(l->port);
		addr.size = sizeof(addr.addr.sin);
	} else {
		snprintf(err, errlen, "%s:%d: bad listen address %s",
		    signal_conf->path, l->line, l->addr);
		return -EINVAL;
	}
	proto = l->proto == LISTEN_TLS ? COAP_PROTO_TLS : COAP_PROTO_DTLS;
	if (coap_new_endpoint(signal_ctx, &addr, proto) == NULL) {
		snprintf(err, errlen, "%s:%d: cannot listen on %s %s port %u",
		    signal_conf->path, l->line, l->proto == LISTEN_TLS ? "tls" :
		    "dtls", l->addr, l->port);
		return -EADDRNOTAVAIL;
	}
	if (proto == COAP_PROTO_DTLS)
		raise_rcvbuf(l->port, family);
	log_info("listening on %s %s port %u", l->proto == LISTEN_TLS ?
	    "tls" : "dtls", l->addr, l->port);
	return 0;
}

/* Drops the credentials; the key material is wiped first. */
void
sigtls_fini(void)
{
	free(pem_cert);
	if (pem_key != NULL)
		explicit_bzero(pem_key, pem_key_len);
	free(pem_key);
	free(pem_ca);
	OPENSSL_free(der_cert);
	if (der_key != NULL)
		OPENSSL_clear_free(der_key, (size_t)der_key_len);
	OPENSSL_free(der_ca);
}
