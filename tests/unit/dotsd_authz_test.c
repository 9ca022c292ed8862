/*
 * dotsd_authz_test.c: dotsd/authz.c: prefix text <-> binary, which targets
 * a client may name, and which client a certificate or PSK identity is.
 * Certificates come from tests/certs/gen.sh (openssl CLI, throw-away), plus
 * one built here with an embedded NUL in its dNSName.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dotsd/conf.h"
#include "tests/t.h"

static char	tmpdir[] = "/tmp/dotsd-authz-test.XXXXXX";

static const struct {
	const char	*in;
	const char	*out;	/* NULL: must be refused */
} prefixes[] = {
	{ "198.18.0.0/15",		"198.18.0.0/15" },
	{ "198.18.0.1",			"198.18.0.1/32" },
	{ "0.0.0.0/0",			"0.0.0.0/0" },
	{ "2001:DB8::1",		"2001:db8::1/128" },
	{ "2001:db8:0:0::/64",		"2001:db8::/64" },
	{ "::/0",			"::/0" },
	{ "198.18.0.1/15",		NULL },		/* host bits */
	{ "2001:db8::1/64",		NULL },		/* host bits */
	{ "198.18.0.0/33",		NULL },
	{ "2001:db8::/129",		NULL },
	{ "198.18.0.0/",		NULL },
	{ "198.18.0.0/-1",		NULL },
	{ "198.18.0.0/015",		NULL },
	{ "198.18.0.0/1x",		NULL },
	{ "198.18.0",			NULL },
	{ "198.18.0.0.0/8",		NULL },
	{ "",				NULL },
	{ "/8",				NULL },
	{ "example.com",		NULL },
	{ "2001:db8::g/64",		NULL },
};

static void
t_prefix_parse(void)
{
	struct mit_prefix p;
	char	buf[64];
	size_t	i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (prefixes[i].out == NULL) {
			if (prefix_parse(prefixes[i].in, &p) != -EINVAL)
				T_FAIL("\"%s\" accepted", prefixes[i].in);
			continue;
		}
		if (prefix_parse(prefixes[i].in, &p) != 0)
			T_FAIL("\"%s\" refused", prefixes[i].in);
		prefix_format(&p, buf, sizeof(buf));
		T_STREQ(buf, prefixes[i].out);
	}
	T_EQ(prefix_parse("2001:db8::1", &p), 0);
	T_EQ(p.family, AF_INET6);
	T_EQ(p.len, 128);
	T_EQ(p.addr[15], 1);
	memset(&p, 0, sizeof(p));
	prefix_format(&p, buf, sizeof(buf));
	T_STREQ(buf, "(none)");
}

static char *
write_conf(const char *text)
{
	static char path[300];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) < 0 ||
	    fclose(f) != 0)
		T_FAIL("cannot write %s", path);
	return path;
}

static struct dotsd_conf *
conf(const char *text)
{
	struct dotsd_conf *c;
	char	err[256];

	if (conf_parse(write_conf(text), &c, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	return c;
}

static const struct {
	const char	*prefix;
	int		 err;
	const char	*why;
} targets[] = {
	{ "198.18.5.0/24",	0,	"" },
	{ "198.18.5.7",		0,	"" },
	{ "198.18.0.0/16",	-EPERM,	"198.18.0.0/16 is shorter than /24" },
	{ "198.19.0.0/24",	-EPERM,	"198.19.0.0/24 is outside the domain "
	    "of client \"isp\"" },
	{ "198.18.0.0/15",	-EPERM,	"198.18.0.0/15 is outside the domain "
	    "of client \"isp\"" },
	{ "2001:db8:1:2::/64",	0,	"" },
	{ "2001:db8::/32",	-EPERM,	"2001:db8::/32 is shorter than /48" },
	{ "2001:db9::/48",	-EPERM,	NULL },
	{ "127.0.0.1",		-EINVAL, "127.0.0.1/32 overlaps loopback "
	    "space 127.0.0.0/8" },
	{ "0.0.0.0/8",		-EINVAL, NULL },
	{ "0.0.0.0/0",		-EINVAL, NULL },
	{ "224.0.0.1",		-EINVAL, NULL },
	{ "239.255.255.255",	-EINVAL, NULL },
	{ "255.255.255.255",	-EINVAL, "255.255.255.255/32 overlaps "
	    "reserved or broadcast space 240.0.0.0/4" },
	{ "169.254.10.0/24",	-EINVAL, NULL },
	{ "::",			-EINVAL, NULL },
	{ "::1",		-EINVAL, NULL },
	{ "::ffff:198.18.0.1",	-EINVAL, NULL },
	{ "fe80::/64",		-EINVAL, NULL },
	{ "febf::/16",		-EINVAL, NULL },
	{ "ff02::1",		-EINVAL, NULL },
	{ "::/0",		-EINVAL, NULL },
};

static void
t_authz_prefix(void)
{
	struct dotsd_conf *c;
	const struct client_conf *cl;
	struct mit_prefix p;
	char	why[256];
	size_t	i;
	int	r;

	c = conf("psk yes\nclient isp { identity psk isp key 01\n"
	    "prefix 198.18.0.0/16 2001:db8::/32\n"
	    "min-prefix-len4 24; min-prefix-len6 48 }\n"
	    "client all { identity psk all key 01\n"
	    "prefix 0.0.0.0/0 ::/0 }\n");
	cl = authz_by_name(c, "isp");
	T_ASSERT(cl != NULL);
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		T_EQ(prefix_parse(targets[i].prefix, &p), 0);
		r = authz_prefix(cl, &p, why, sizeof(why));
		if (r != targets[i].err)
			T_FAIL("%s: %d (%s), expected %d", targets[i].prefix,
			    r, why, targets[i].err);
		if (targets[i].why != NULL)
			T_STREQ(why, targets[i].why);
		else
			T_ASSERT(why[0] != '\0');
	}

	/* A client owning everything still cannot name reserved space. */
	cl = authz_by_name(c, "all");
	T_ASSERT(cl != NULL);
	T_EQ(prefix_parse("10.0.0.0/8", &p), 0);
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), 0);
	T_EQ(prefix_parse("127.0.0.0/8", &p), 0);
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), -EINVAL);
	T_EQ(prefix_parse("::ffff:0:0/96", &p), 0);
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), -EINVAL);
	T_EQ(prefix_parse("2001:db8::/32", &p), 0);
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), 0);

	/* malformed binary prefixes */
	memset(&p, 0, sizeof(p));
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), -EINVAL);
	p.family = AF_INET;
	p.len = 33;
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), -EINVAL);
	p.len = 8;
	p.addr[3] = 1;
	T_EQ(authz_prefix(cl, &p, why, sizeof(why)), -EINVAL);
	T_STREQ(why, "malformed prefix");
	conf_free(c);
}

static void
t_authz_psk_name(void)
{
	struct dotsd_conf *c;

	c = conf("psk yes\nclient a { identity psk \"id-a\" key 01; "
	    "prefix 198.18.0.0/24 }\nclient b { identity psk \"id-b\" key 02; "
	    "prefix 198.18.1.0/24 }\n");
	T_STREQ(authz_by_psk(c, "id-b")->name, "b");
	T_STREQ(authz_by_psk(c, "id-a")->name, "a");
	T_ASSERT(authz_by_psk(c, "id-c") == NULL);
	T_ASSERT(authz_by_psk(c, "ID-A") == NULL);
	T_ASSERT(authz_by_psk(c, "") == NULL);
	T_STREQ(authz_by_name(c, "a")->name, "a");
	T_ASSERT(authz_by_name(c, "c") == NULL);
	/* turning PSK off disables every PSK identity */
	c->psk = 0;
	T_ASSERT(authz_by_psk(c, "id-a") == NULL);
	conf_free(c);
}

static uint8_t *
read_file(const char *name, size_t *len)
{
	char	 path[300];
	uint8_t	*buf = malloc(65536);
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (buf == NULL || (f = fopen(path, "rb")) == NULL)
		T_FAIL("cannot read %s", path);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void
t_authz_cert(void)
{
	struct dotsd_conf *c;
	uint8_t	*c1, *c2, *srv;
	size_t	 l1, l2, ls;
	char	 text[1024], spki[80], *nl;
	uint8_t	*pin;
	size_t	 lp;

	c1 = read_file("client1.der", &l1);
	c2 = read_file("client2.der", &l2);
	srv = read_file("server.der", &ls);
	pin = read_file("client1.spki", &lp);
	T_ASSERT(lp >= 64 && lp < sizeof(spki));
	memcpy(spki, pin, lp);
	spki[lp] = '\0';
	if ((nl = strchr(spki, '\n')) != NULL)
		*nl = '\0';

	/* spki pin beats dNSName, which beats CN */
	snprintf(text, sizeof(text), "certificate /s; key /k; ca /ca\n"
	    "client pinned { identity spki-sha256 %s; prefix 198.18.0.0/24 }\n"
	    "client byname { identity san-dns \"ALT.example\"; "
	    "prefix 198.18.1.0/24 }\n"
	    "client bycn { identity cn \"client one\"; prefix 198.18.2.0/24 }\n"
	    "client two { identity cn \"client two\"; prefix 198.18.3.0/24 }\n"
	    "client twosan { identity san-dns \"client two\"; "
	    "prefix 198.18.4.0/24 }\n", spki);
	c = conf(text);
	T_STREQ(authz_by_cert(c, c1, l1)->name, "pinned");
	T_STREQ(authz_by_cert(c, c2, l2)->name, "two");
	T_ASSERT(authz_by_cert(c, srv, ls) == NULL);
	/* truncations and trailing garbage are nobody */
	T_ASSERT(authz_by_cert(c, c1, l1 - 1) == NULL);
	T_ASSERT(authz_by_cert(c, c1, 10) == NULL);
	T_ASSERT(authz_by_cert(c, c1, 0) == NULL);
	T_ASSERT(authz_by_cert(c, NULL, 10) == NULL);
	c1[l1] = 0;
	T_ASSERT(authz_by_cert(c, c1, l1 + 1) == NULL);
	conf_free(c);

	/* without the pin, the dNSName (case-insensitive) decides */
	c = conf("certificate /s; key /k; ca /ca\n"
	    "client bycn { identity cn \"client one\"; prefix 198.18.2.0/24 }\n"
	    "client byname { identity san-dns \"ALT.example\"; "
	    "prefix 198.18.1.0/24 }\n");
	T_STREQ(authz_by_cert(c, c1, l1)->name, "byname");
	T_ASSERT(authz_by_cert(c, c2, l2) == NULL);
	conf_free(c);

	/* and without it, the subject CN (exact) */
	c = conf("certificate /s; key /k; ca /ca\n"
	    "client bycn { identity cn \"client one\"; prefix 198.18.2.0/24 }\n"
	    "client upper { identity cn \"CLIENT TWO\"; prefix 198.18.3.0/24 }\n");
	T_STREQ(authz_by_cert(c, c1, l1)->name, "bycn");
	T_ASSERT(authz_by_cert(c, c2, l2) == NULL);
	conf_free(c);
	free(c1);
	free(c2);
	free(srv);
	free(pin);
}

/* A self-signed certificate with one dNSName of n bytes (may hold NULs). */
static int
make_cert(const char *dns, int n, uint8_t **der)
{
	EVP_PKEY	*pk = EVP_EC_gen("P-256");
	X509		*x = X509_new();
	GENERAL_NAMES	*names = GENERAL_NAMES_new();
	GENERAL_NAME	*gn = GENERAL_NAME_new();
	ASN1_IA5STRING	*ia5 = ASN1_IA5STRING_new();
	int		 len;

	T_ASSERT(pk && x && names && gn && ia5);
	T_ASSERT(ASN1_STRING_set(ia5, dns, n) == 1);
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	T_ASSERT(sk_GENERAL_NAME_push(names, gn) > 0);
	T_ASSERT(X509_set_version(x, 2) == 1);
	T_ASSERT(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1);
	T_ASSERT(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL);
	T_ASSERT(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	T_ASSERT(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"x", -1, -1, 0) == 1);
	T_ASSERT(X509_set_issuer_name(x, X509_get_subject_name(x)) == 1);
	T_ASSERT(X509_set_pubkey(x, pk) == 1);
	T_ASSERT(X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, 0) == 1);
	T_ASSERT(X509_sign(x, pk, EVP_sha256()) > 0);
	*der = NULL;
	len = i2d_X509(x, der);
	T_ASSERT(len > 0);
	GENERAL_NAMES_free(names);
	X509_free(x);
	EVP_PKEY_free(pk);
	return len;
}

static void
t_authz_cert_nul(void)
{
	static const char evil[] = "victim.example\0.attacker.example";
	struct dotsd_conf *c;
	uint8_t	*der;
	int	 len;

	c = conf("certificate /s; key /k; ca /ca\n"
	    "client victim { identity san-dns victim.example; "
	    "prefix 198.18.0.0/24 }\n");
	len = make_cert(evil, sizeof(evil) - 1, &der);
	T_ASSERT(authz_by_cert(c, der, (size_t)len) == NULL);
	OPENSSL_free(der);
	/* the same certificate without the NUL trick matches */
	len = make_cert("victim.example", 14, &der);
	T_STREQ(authz_by_cert(c, der, (size_t)len)->name, "victim");
	OPENSSL_free(der);
	conf_free(c);
}

int
main(void)
{
	char	cmd[400];
	int	failed;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "tests/certs/gen.sh %s >/dev/null", tmpdir);
	if (system(cmd) != 0) {
		printf("FAIL certificates: %s\n", cmd);
		return 1;
	}
	T_RUN(t_prefix_parse);
	T_RUN(t_authz_prefix);
	T_RUN(t_authz_psk_name);
	T_RUN(t_authz_cert);
	T_RUN(t_authz_cert_nul);
	failed = t_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
