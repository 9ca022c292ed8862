/*
 * dotsd_conf_golden.c: golden configurations. Every tests/vectors/conf/
 * NAME.conf.in is parsed; NAME.conf.ok holds what conf_print() must print
 * (dotsd -nv), or, for bad-*.conf.in, the one error line conf_parse() must
 * report. dist/dotsd.conf.example is checked the same way against
 * dist-example.conf.ok. With -u the .ok files are written instead:
 * tests/update-golden.sh (make update-golden) does that; review the diff.
 * Run from the top of the tree: paths in error lines are relative to it.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf.h"

#define VECTORS	"tests/vectors/conf"

static int	update, failed, passed;

static char *
slurp(const char *path)
{
	char	*buf;
	long	 len;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* What dotsd -n(v) says about the file at in. */
static char *
render(const char *in, int *parsed)
{
	struct dotsd_conf *c;
	char	 err[1024], *out = NULL;
	size_t	 len;
	FILE	*f;

	if (conf_parse(in, &c, err, sizeof(err)) != 0) {
		*parsed = 0;
		if (asprintf(&out, "%s\n", err) < 0)
			return NULL;
		return out;
	}
	*parsed = 1;
	if ((f = open_memstream(&out, &len)) == NULL) {
		conf_free(c);
		return NULL;
	}
	conf_print(f, c);
	fclose(f);
	conf_free(c);
	return out;
}

static void
check(const char *in, const char *ok, const char *name, int want_error)
{
	char	*got, *want;
	int	 parsed;
	FILE	*f;

	if ((got = render(in, &parsed)) == NULL) {
		printf("FAIL %s: out of memory\n", name);
		failed++;
		return;
	}
	if (parsed == want_error) {
		printf("FAIL %s: %s\n", name, want_error ?
		    "parsed, but must be refused" : got);
		failed++;
		free(got);
		return;
	}
	if (update) {
		if ((f = fopen(ok, "w")) == NULL || fputs(got, f) < 0 ||
		    fclose(f) != 0) {
			printf("FAIL %s: cannot write %s\n", name, ok);
			failed++;
		} else
			printf("ok %s (written)\n", name);
		free(got);
		return;
	}
	want = slurp(ok);
	if (want == NULL)
		printf("FAIL %s: no %s (make update-golden)\n", name, ok);
	else if (strcmp(got, want) != 0)
		printf("FAIL %s: differs from %s; got:\n%s", name, ok, got);
	else {
		printf("ok %s\n", name);
		passed++;
	}
	if (want == NULL || strcmp(got, want) != 0)
		failed++;
	free(want);
	free(got);
}

int
main(int argc, char *argv[])
{
	glob_t	 g;
	char	 ok[4096], name[512], *base;
	size_t	 i, n;

	update = argc > 1 && strcmp(argv[1], "-u") == 0;
	if (glob(VECTORS "/*.conf.in", 0, NULL, &g) != 0) {
		printf("FAIL golden: no %s/*.conf.in (run from the top)\n",
		    VECTORS);
		return 1;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		n = strlen(g.gl_pathv[i]) - strlen(".in");
		snprintf(ok, sizeof(ok), "%.*s.ok", (int)n, g.gl_pathv[i]);
		base = strrchr(g.gl_pathv[i], '/') + 1;
		snprintf(name, sizeof(name), "golden_%.*s",
		    (int)(strlen(base) - strlen(".conf.in")), base);
		check(g.gl_pathv[i], ok, name,
		    strncmp(base, "bad-", 4) == 0);
	}
	globfree(&g);
	check("dist/dotsd.conf.example", VECTORS "/dist-example.conf.ok",
	    "golden_dist_example", 0);
	if (!update)
		printf("%d golden files match, %d do not\n", passed, failed);
	return failed ? 1 : 0;
}
