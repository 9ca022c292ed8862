/*
 * yang_vectors_test.c: the golden signal-channel vectors in
 * tests/vectors/signal/ (copied from shared/reference/test-vectors):
 *   sNN-*.json + .cbor.hex	JSON encodes to exactly the hex, the hex
 *				decodes back to the same JSON (same member
 *				order), and the JSON validates with libyang
 *				(codec_yang_validate_signal);
 *   dec-*.cbor.hex + .json	decode-only (optional keys, tag 271,
 *				indefinite lengths): hex decodes to the JSON;
 *   bad-*.cbor.hex + .expect	decoding fails with the class and diag
 *				fragment in .expect ("EBADMSG fragment").
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/t.h"
#include "yang/codec.h"

#ifndef DOTSD_SRCDIR
#define DOTSD_SRCDIR	"."
#endif

#define VECDIR		DOTSD_SRCDIR "/tests/vectors/signal"
#define SHAREDDIR	DOTSD_SRCDIR "/../shared/reference/test-vectors/signal"

static char *
slurp(const char *dir, const char *name, size_t *lenp)
{
	char	 path[1024], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	T_ASSERT(buf != NULL);
	T_EQ(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	if (lenp)
		*lenp = n;
	return buf;
}

/* Hex file -> bytes (whitespace ignored). */
static uint8_t *
load_hex(const char *name, size_t *len)
{
	char		*hex = slurp(VECDIR, name, NULL), *p;
	uint8_t		*out;
	unsigned	 b;
	size_t		 n = 0;

	if (hex == NULL)
		T_FAIL("cannot read %s", name);
	out = malloc(strlen(hex) / 2 + 1);
	for (p = hex; *p; ) {
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &b) != 1)
			T_FAIL("%s: bad hex", name);
		out[n++] = (uint8_t)b;
		p += 2;
	}
	free(hex);
	*len = n;
	return out;
}

static json_t *
load_json(const char *name)
{
	char		 path[1024];
	json_error_t	 err;
	json_t		*j;

	snprintf(path, sizeof(path), "%s/%s", VECDIR, name);
	if ((j = json_load_file(path, 0, &err)) == NULL)
		T_FAIL("%s: %s", name, err.text);
	return j;
}

/* Calls fn for every file in VECDIR starting with prefix and ending in
 * suffix, with the common stem; returns how many. */
static int
each(const char *prefix, const char *suffix, void (*fn)(const char *))
{
	DIR		*d;
	struct dirent	*de;
	char		 stem[512];
	size_t		 nl, sl = strlen(suffix);
	int		 count = 0;

	if ((d = opendir(VECDIR)) == NULL)
		T_FAIL("cannot open %s", VECDIR);
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    nl <= sl || strcmp(de->d_name + nl - sl, suffix) != 0 ||
		    nl - sl >= sizeof(stem))
			continue;
		memcpy(stem, de->d_name, nl - sl);
		stem[nl - sl] = '\0';
		fn(stem);
		count++;
	}
	closedir(d);
	return count;
}

static void
check_golden(const char *stem)
{
	char	 name[600], diag[CODEC_DIAG_LEN], *s1, *s2;
	json_t	*j, *back;
	uint8_t	*want, *got;
	size_t	 wlen, glen;
	int	 r;

	snprintf(name, sizeof(name), "%s.json", stem);
	j = load_json(name);
	snprintf(name, sizeof(name), "%s.cbor.hex", stem);
	want = load_hex(name, &wlen);
	if ((r = codec_cbor_encode(j, &got, &glen, diag, sizeof(diag))) != 0)
		T_FAIL("%s: encode: %d %s", stem, r, diag);
	if (glen != wlen || memcmp(got, want, wlen) != 0)
		T_FAIL("%s: encoding differs from .cbor.hex", stem);
	if ((r = codec_cbor_decode(want, wlen, &back, diag,
	    sizeof(diag))) != 0)
		T_FAIL("%s: decode: %d %s", stem, r, diag);
	s1 = json_dumps(j, JSON_COMPACT);
	s2 = json_dumps(back, JSON_COMPACT);
	if (strcmp(s1, s2) != 0)
		T_FAIL("%s: decoded JSON differs:\n  %s\n  %s", stem, s2, s1);
	free(s1);
	free(s2);
	/* RFC 9132 messages are valid YANG (none needs data-channel state:
	 * the compat modules turn the acl-name leafrefs into strings). */
	if ((r = codec_yang_validate_signal(j, diag, sizeof(diag))) != 0)
		T_FAIL("%s: libyang: %d %s", stem, r, diag);
	free(got);
	free(want);
	json_decref(j);
	json_decref(back);
}

static void
t_golden(void)
{
	/* 12 vectors in shared/reference; a lost directory must not pass. */
	T_ASSERT(each("s", ".json", check_golden) >= 12);
}

static void
check_decode_only(const char *stem)
{
	char	 name[600], diag[CODEC_DIAG_LEN];
	json_t	*j, *back;
	uint8_t	*cbor;
	size_t	 len;
	int	 r;

	snprintf(name, sizeof(name), "%s.json", stem);
	j = load_json(name);
	snprintf(name, sizeof(name), "%s.cbor.hex", stem);
	cbor = load_hex(name, &len);
	if ((r = codec_cbor_decode(cbor, len, &back, diag,
	    sizeof(diag))) != 0)
		T_FAIL("%s: decode: %d %s", stem, r, diag);
	if (!json_equal(j, back))
		T_FAIL("%s: decoded JSON differs", stem);
	free(cbor);
	json_decref(j);
	json_decref(back);
}

static void
t_decode_only(void)
{
	T_ASSERT(each("dec-", ".json", check_decode_only) >= 2);
}

static void
check_bad(const char *stem)
{
	char	 name[600], diag[CODEC_DIAG_LEN], *expect, *frag, *nl;
	json_t	*j = NULL;
	uint8_t	*cbor;
	size_t	 len;
	int	 r, want;

	snprintf(name, sizeof(name), "%s.expect", stem);
	if ((expect = slurp(VECDIR, name, NULL)) == NULL)
		T_FAIL("%s: no .expect file", stem);
	if ((nl = strchr(expect, '\n')) != NULL)
		*nl = '\0';
	if ((frag = strchr(expect, ' ')) == NULL)
		T_FAIL("%s: .expect is \"CLASS fragment\"", stem);
	*frag++ = '\0';
	if (strcmp(expect, "EBADMSG") == 0)
		want = -EBADMSG;
	else
		T_FAIL("%s: unknown class %s", stem, expect);
	snprintf(name, sizeof(name), "%s.cbor.hex", stem);
	cbor = load_hex(name, &len);
	diag[0] = '\0';
	r = codec_cbor_decode(cbor, len, &j, diag, sizeof(diag));
	if (r != want || j != NULL)
		T_FAIL("%s: decode returned %d, expected %d", stem, r, want);
	if (strstr(diag, frag) == NULL)
		T_FAIL("%s: diag \"%s\" lacks \"%s\"", stem, diag, frag);
	free(cbor);
	free(expect);
}

static void
t_bad(void)
{
	T_ASSERT(each("bad-", ".cbor.hex", check_bad) >= 10);
}

/* Our copies must not drift from shared/reference. */
static void
t_shared_copy(void)
{
	DIR		*d;
	struct dirent	*de;
	char		*a, *b;
	size_t		 alen, blen;
	int		 n = 0;

	T_ASSERT((d = opendir(SHAREDDIR)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		a = slurp(SHAREDDIR, de->d_name, &alen);
		b = slurp(VECDIR, de->d_name, &blen);
		if (b == NULL)
			T_FAIL("%s missing in tests/vectors/signal",
			    de->d_name);
		if (alen != blen || memcmp(a, b, alen) != 0)
			T_FAIL("%s differs from shared/reference", de->d_name);
		free(a);
		free(b);
		n++;
	}
	closedir(d);
	T_ASSERT(n >= 24);
}

int
main(void)
{
	DIR	*d;
	char	 err[CODEC_DIAG_LEN];

	/* Loaded once; each forked test inherits the context. */
	if (codec_yang_init(codec_yang_default_dir(), err, sizeof(err)) != 0) {
		printf("FAIL codec_yang_init: %s\n", err);
		return 1;
	}
	T_RUN(t_golden);
	T_RUN(t_decode_only);
	T_RUN(t_bad);
	if ((d = opendir(SHAREDDIR)) != NULL) {
		closedir(d);
		T_RUN(t_shared_copy);
	} else
		printf("skip t_shared_copy: no %s\n", SHAREDDIR);
	return t_done();
}
