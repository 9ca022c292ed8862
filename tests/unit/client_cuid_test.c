/*
 * client_cuid_test.c: cuid derivation (RFC 9132 §4.4.1.1) and default
 * mids (dots-client/cuid.c). The expected cuids are computed here with the
 * openssl command line from a key made on the spot, so the vector is
 * independent of the code under test.
 */
#include <errno.h>
#include <fcntl.h>

#include "dots-client/client.h"
#include "tests/t.h"

/* Runs a shell command, returns its first output line (static). */
static const char *
sh(const char *cmd)
{
	static char	 line[256];
	FILE		*p;

	if ((p = popen(cmd, "r")) == NULL)
		T_FAIL("popen %s", cmd);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (pclose(p) != 0)
		T_FAIL("command failed: %s", cmd);
	return line;
}

#define B64URL	"openssl dgst -sha256 -binary | head -c 16 | " \
		"openssl base64 -A | tr '+/' '-_' | tr -d '='"

static void
t_cuid_psk_identity(void)
{
	char		 cuid[32];
	const char	*want;

	want = sh("printf %s dots-client-1 | " B64URL);
	T_EQ(strlen(want), CUID_LEN);
	T_EQ(cuid_from_bytes((const uint8_t *)"dots-client-1", 13, cuid,
	    sizeof(cuid)), 0);
	T_STREQ(cuid, want);
	T_EQ(cuid_from_bytes((const uint8_t *)"x", 1, cuid, CUID_LEN),
	    -ENOSPC);
}

/* Fixed input, fixed output: SHA-256("abc") starts ba7816bf 8f01cfea
 * 414140de 5dae2223 (FIPS 180-2 B.1); base64url of those 16 bytes. */
static void
t_cuid_known_digest(void)
{
	char	cuid[32];

	T_EQ(cuid_from_bytes((const uint8_t *)"abc", 3, cuid, sizeof(cuid)),
	    0);
	T_STREQ(cuid, "ungWv48Bz-pBQUDeXa4iIw");
}

static void
cert_case(const char *keygen)
{
	char		 dir[] = "/tmp/client_cuid_test.XXXXXX";
	char		 cmd[1024], path[256], cuid[32], err[256];
	const char	*want;

	if (mkdtemp(dir) == NULL)
		T_FAIL("mkdtemp");
	snprintf(cmd, sizeof(cmd), "cd %s && %s -out k.pem 2>/dev/null && "
	    "openssl req -new -x509 -key k.pem -subj /CN=cuid-test -days 1 "
	    "-out c.pem 2>/dev/null && echo done", dir, keygen);
	T_STREQ(sh(cmd), "done");
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/c.pem -pubkey -noout"
	    " | openssl pkey -pubin -outform DER | " B64URL, dir);
	want = sh(cmd);
	T_EQ(strlen(want), CUID_LEN);
	snprintf(path, sizeof(path), "%s/c.pem", dir);
	T_EQ(cuid_from_cert(path, cuid, sizeof(cuid), err, sizeof(err)), 0);
	T_STREQ(cuid, want);
	/* a key file is not a certificate */
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	T_EQ(cuid_from_cert(path, cuid, sizeof(cuid), err, sizeof(err)),
	    -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s && echo done", dir);
	T_STREQ(sh(cmd), "done");
	T_EQ(cuid_from_cert("/nonexistent.pem", cuid, sizeof(cuid), err,
	    sizeof(err)), -ENOENT);
}

static void
t_cuid_cert_ec(void)
{
	cert_case("openssl genpkey -algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-256");
}

static void
t_cuid_cert_ed25519(void)
{
	cert_case("openssl genpkey -algorithm ED25519");
}

static void
t_mid_from_time(void)
{
	T_EQ(mid_from_time(CLIENT_ID_EPOCH - 5), 1);
	T_EQ(mid_from_time(CLIENT_ID_EPOCH + 1), 1);
	T_EQ(mid_from_time(CLIENT_ID_EPOCH + 3600), 3600);
	/* later invocations get larger mids */
	T_ASSERT(mid_from_time(time(NULL) + 1) > mid_from_time(time(NULL)));
}

static void
t_mid_next(void)
{
	char		path[] = "/tmp/client_cuid_test.XXXXXX";
	uint32_t	mid;
	int		fd;

	if ((fd = mkstemp(path)) < 0)
		T_FAIL("mkstemp");
	close(fd);
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 100, &mid), 0);
	T_EQ(mid, 100);
	/* same second: still increasing */
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 100, &mid), 0);
	T_EQ(mid, 101);
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 100, &mid), 0);
	T_EQ(mid, 102);
	/* the clock moves ahead: the clock wins */
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 500, &mid), 0);
	T_EQ(mid, 500);
	/* the clock goes back: keep increasing */
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 50, &mid), 0);
	T_EQ(mid, 501);
	/* garbage in the file: the clock */
	if ((fd = open(path, O_WRONLY | O_TRUNC)) < 0 ||
	    write(fd, "junk\n", 5) != 5)
		T_FAIL("rewrite");
	close(fd);
	T_EQ(mid_next(path, CLIENT_ID_EPOCH + 60, &mid), 0);
	T_EQ(mid, 60);
	unlink(path);
	/* no state file possible: the clock, and an error */
	T_ASSERT(mid_next("/nonexistent/dir/ids", CLIENT_ID_EPOCH + 7,
	    &mid) < 0);
	T_EQ(mid, 7);
}

int
main(void)
{
	T_RUN(t_cuid_psk_identity);
	T_RUN(t_cuid_known_digest);
	T_RUN(t_cuid_cert_ec);
	T_RUN(t_cuid_cert_ed25519);
	T_RUN(t_mid_from_time);
	T_RUN(t_mid_next);
	return t_done();
}
