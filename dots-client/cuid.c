/*
 * cuid.c: the client identifiers the client makes up itself: cuid per
 * RFC 9132 §4.4.1.1, and time-derived mid/sid values.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "dots-client/client.h"

/*
 * RFC 9132 §4.4.1.1: SHA-256 of the input, first 16 bytes, base64url
 * (RFC 4648 §5) without the two trailing '='. Returns 0 or -ENOSPC.
 */
int
cuid_from_bytes(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_";
	uint8_t		 md[SHA256_DIGEST_LENGTH];
	uint32_t	 v;
	size_t		 i, o = 0;

	if (outlen < CUID_LEN + 1)
		return -ENOSPC;
	SHA256(data, len, md);
	/* 16 bytes: five 3-byte groups, then one byte -> 2 characters */
	for (i = 0; i + 3 <= 16; i += 3) {
		v = (uint32_t)md[i] << 16 | (uint32_t)md[i + 1] << 8 |
		    md[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	out[o++] = b64url[md[15] >> 2];
	out[o++] = b64url[(md[15] & 3) << 4];
	out[o] = '\0';
	return 0;
}

/* cuid from the DER SubjectPublicKeyInfo of a PEM certificate. */
int
cuid_from_cert(const char *pem_path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	FILE		*f;
	X509		*x;
	uint8_t		*der = NULL;
	int		 len, rv;

	if ((f = fopen(pem_path, "r")) == NULL) {
		rv = -errno;
		snprintf(err, errlen, "%s: %s", pem_path, strerror(errno));
		return rv;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		snprintf(err, errlen, "%s: no PEM certificate", pem_path);
		return -EINVAL;
	}
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0) {
		snprintf(err, errlen, "%s: cannot encode the public key",
		    pem_path);
		X509_free(x);
		return -EINVAL;
	}
	rv = cuid_from_bytes(der, (size_t)len, out, outlen);
	OPENSSL_free(der);
	X509_free(x);
	return rv;
}

/*
 * mid (and sid) when the user gives none: seconds since 2024-01-01 UTC.
 * RFC 9132 §4.4.1.2 wants a client's mids to increase; time does that
 * across invocations without state on disk, and stays below the 3/4
 * rollover mark (3221225471) until the year 2126.
 */
uint32_t
mid_from_time(time_t now)
{
	if (now <= CLIENT_ID_EPOCH)
		return 1;
	return (uint32_t)(now - CLIENT_ID_EPOCH);
}

/*
 * The next mid (or sid): the time-derived value, or one more than the
 * last one handed out if that is not smaller, so that two invocations in
 * the same second (a detector reporting two hosts at once) still get
 * distinct, increasing mids. The last value lives in state_path, locked
 * while read and rewritten. Returns 0, or -errno when the file cannot be
 * used (*mid then holds the time-derived value).
 */
int
mid_next(const char *state_path, time_t now, uint32_t *mid)
{
	char		 buf[32];
	uint32_t	 t = mid_from_time(now);
	unsigned long	 last;
	ssize_t		 n;
	int		 fd, rv = 0;

	*mid = t;
	if ((fd = open(state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		rv = -errno;
		goto out;
	}
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) < 0) {
		rv = -errno;
		goto out;
	}
	buf[n] = '\0';
	last = strtoul(buf, NULL, 10);
	/* a stored value far ahead of the clock (a clock set back, a
	 * corrupt file) is honoured only up to the rollover mark */
	if (last >= t && last < 3221225471UL)
		*mid = (uint32_t)last + 1;
	n = snprintf(buf, sizeof(buf), "%u\n", *mid);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		rv = -EIO;
out:
	close(fd);	/* releases the lock */
	return rv;
}
