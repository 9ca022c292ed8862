/*
 * dotsd_signal_uri_test.c: Uri-Path -> resource and parameters (RFC 9132
 * §4.4.1, §4.5, §4.7), table-driven.
 */
#include <errno.h>
#include <string.h>

#include "dotsd/signal_uri.h"
#include "tests/t.h"

/* Splits "a/b/c" into segments and parses them. */
static int
parse(const char *path, struct sig_path *p)
{
	static char buf[1024];
	const char *segs[32];
	size_t lens[32];
	char why[128], *s, *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", path);
	for (s = strtok_r(buf, "/", &save); s != NULL && n < 32;
	    s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, "<empty>") == 0)
			*s = '\0';
		segs[n] = s;
		lens[n] = strlen(s);
		n++;
	}
	return sigpath_parse(p, segs, lens, n, why, sizeof(why));
}

static const struct {
	const char	*name;
	const char	*path;
	int		 gateway;
	int		 err;		/* of parse, then of sigpath_mitigate */
	const char	*cdid, *cuid;
	int		 has_mid;
	uint32_t	 mid;
} mitigate_cases[] = {
	{ "cuid and mid", ".well-known/dots/mitigate/cuid=abc/mid=123", 0, 0,
	    "", "abc", 1, 123 },
	{ "cuid only (GET all)", ".well-known/dots/mitigate/cuid=abc", 0, 0,
	    "", "abc", 0, 0 },
	{ "cdid from a gateway", ".well-known/dots/mitigate/cdid=g1/cuid=abc",
	    1, 0, "g1", "abc", 0, 0 },
	{ "cdid from a client is ignored",
	    ".well-known/dots/mitigate/cdid=g1/cuid=abc/mid=1", 0, 0, "",
	    "abc", 1, 1 },
	{ "mid 2^32-1", ".well-known/dots/mitigate/cuid=a/mid=4294967295", 0,
	    0, "", "a", 1, 4294967295u },
	{ "mid 2^32", ".well-known/dots/mitigate/cuid=a/mid=4294967296", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "mid negative", ".well-known/dots/mitigate/cuid=a/mid=-1", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "mid hex", ".well-known/dots/mitigate/cuid=a/mid=0x10", 0, -EINVAL, NULL, NULL, 0, 0 },
	{ "mid empty", ".well-known/dots/mitigate/cuid=a/mid=", 0, -EINVAL, NULL, NULL, 0, 0 },
	{ "cuid empty", ".well-known/dots/mitigate/cuid=/mid=1", 0, -EINVAL, NULL, NULL, 0, 0 },
	{ "cdid empty", ".well-known/dots/mitigate/cdid=/cuid=a", 1, -EINVAL, NULL, NULL, 0, 0 },
	{ "no cuid", ".well-known/dots/mitigate/mid=1", 0, -EINVAL, NULL, NULL, 0, 0 },
	{ "mid before cuid", ".well-known/dots/mitigate/mid=1/cuid=a", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "cdid after cuid", ".well-known/dots/mitigate/cuid=a/cdid=b", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "extra segment", ".well-known/dots/mitigate/cuid=a/mid=1/x", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "empty segment", ".well-known/dots/mitigate/cuid=a/<empty>", 0,
	    -EINVAL, NULL, NULL, 0, 0 },
	{ "no value", ".well-known/dots/mitigate/cuid", 0, -EINVAL, NULL, NULL, 0, 0 },
	{ "cuid too long", ".well-known/dots/mitigate/cuid="
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    0, -EINVAL, NULL, NULL, 0, 0 },
	{ "other resource", ".well-known/dots/mitigatex/cuid=a", 0, -ENOENT, NULL, NULL, 0, 0 },
	{ "not dots", ".well-known/core", 0, -ENOENT, NULL, NULL, 0, 0 },
	{ "prefix only", ".well-known/dots", 0, -ENOENT, NULL, NULL, 0, 0 },
};

static void
t_mitigate(void)
{
	struct sig_path p;
	struct dots_uri u;
	char why[128];
	size_t i;
	int err;

	for (i = 0; i < sizeof(mitigate_cases) / sizeof(mitigate_cases[0]);
	    i++) {
		err = parse(mitigate_cases[i].path, &p);
		if (err == 0) {
			T_EQ(p.res, RES_MITIGATE);
			err = sigpath_mitigate(&p, mitigate_cases[i].gateway,
			    &u, why, sizeof(why));
		}
		if (err != mitigate_cases[i].err)
			T_FAIL("%s: got %d", mitigate_cases[i].name, err);
		if (err != 0)
			continue;
		T_STREQ(u.cdid, mitigate_cases[i].cdid);
		T_STREQ(u.cuid, mitigate_cases[i].cuid);
		T_EQ(u.has_mid, mitigate_cases[i].has_mid);
		T_EQ(u.mid, mitigate_cases[i].mid);
	}
}

static void
t_config(void)
{
	struct sig_path p;
	uint32_t sid;
	char why[128];
	int has;

	T_EQ(parse(".well-known/dots/config", &p), 0);
	T_EQ(p.res, RES_CONFIG);
	T_EQ(sigpath_config(&p, &has, &sid, why, sizeof(why)), 0);
	T_EQ(has, 0);
	T_EQ(parse(".well-known/dots/config/sid=123", &p), 0);
	T_EQ(sigpath_config(&p, &has, &sid, why, sizeof(why)), 0);
	T_EQ(has, 1);
	T_EQ(sid, 123);
	T_EQ(parse(".well-known/dots/config/cuid=a", &p), 0);
	T_EQ(sigpath_config(&p, &has, &sid, why, sizeof(why)), -EINVAL);
	T_EQ(parse(".well-known/dots/config/sid=1/sid=2", &p), 0);
	T_EQ(sigpath_config(&p, &has, &sid, why, sizeof(why)), -EINVAL);
	T_EQ(parse(".well-known/dots/config/sid=", &p), 0);
	T_EQ(sigpath_config(&p, &has, &sid, why, sizeof(why)), -EINVAL);
}

static void
t_hb_and_limits(void)
{
	struct sig_path p;
	char path[2048];
	size_t n;
	int i;

	T_EQ(parse(".well-known/dots/hb", &p), 0);
	T_EQ(p.res, RES_HB);
	T_EQ(p.nparams, 0);
	/* More parameter segments than we keep: 4.00, not a truncation. */
	n = (size_t)snprintf(path, sizeof(path), ".well-known/dots/hb");
	for (i = 0; i < SIGURI_MAX_SEGS + 1; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/x");
	T_EQ(parse(path, &p), -EINVAL);
}

static void
t_u32(void)
{
	uint32_t v;

	T_EQ(sigpath_u32("0", 1, &v), 0);
	T_EQ(v, 0);
	T_EQ(sigpath_u32("007", 3, &v), 0);
	T_EQ(v, 7);
	T_EQ(sigpath_u32("", 0, &v), -EINVAL);
	T_EQ(sigpath_u32("+1", 2, &v), -EINVAL);
	T_EQ(sigpath_u32(" 1", 2, &v), -EINVAL);
	T_EQ(sigpath_u32("99999999999", 11, &v), -EINVAL);
}

int
main(void)
{
	T_RUN(t_mitigate);
	T_RUN(t_config);
	T_RUN(t_hb_and_limits);
	T_RUN(t_u32);
	return t_done();
}
