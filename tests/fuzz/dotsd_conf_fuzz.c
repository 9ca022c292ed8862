/*
 * dotsd_conf_fuzz.c: dotsd/conf.c on arbitrary text. Besides not crashing,
 * whatever parses must print (conf_print) to text that parses again and
 * prints the same: dotsd -nv output is always a valid configuration.
 * Inputs with "include" are skipped: they would read the fuzzer's files.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dotsd/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a file; returns its /proc path in path, or -1. */
static int
as_file(const void *data, size_t size, char *path, size_t len)
{
	int	fd = memfd_create("conf", 0);

	if (fd < 0)
		return -1;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static char *
printed(const struct dotsd_conf *c, size_t *len)
{
	char	*buf = NULL;
	FILE	*f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	conf_print(f, c);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dotsd_conf *c1, *c2;
	char	 path[64], err[512], *p1, *p2;
	size_t	 l1, l2;
	int	 fd, fd2;

	if (size > 65536 || memmem(data, size, "include", 7) != NULL)
		return 0;
	if ((fd = as_file(data, size, path, sizeof(path))) < 0)
		return 0;
	if (conf_parse(path, &c1, err, sizeof(err)) != 0) {
		/* every refusal says where */
		if (strstr(err, path) != err)
			abort();
		close(fd);
		return 0;
	}
	close(fd);
	p1 = printed(c1, &l1);
	if ((fd2 = as_file(p1, l1, path, sizeof(path))) < 0)
		abort();
	if (conf_parse(path, &c2, err, sizeof(err)) != 0) {
		fprintf(stderr, "printed config refused: %s\n%s", err, p1);
		abort();
	}
	close(fd2);
	p2 = printed(c2, &l2);
	if (l1 != l2 || memcmp(p1, p2, l1) != 0) {
		fprintf(stderr, "print not stable:\n%s\n---\n%s", p1, p2);
		abort();
	}
	free(p1);
	free(p2);
	conf_free(c1);
	conf_free(c2);
	return 0;
}
