/*
 * conf_value.c: dotsd.conf words -> typed values (numbers, RFC 9132
 * decimals, yes|no, hex, addresses, prefixes) and the one-value
 * statements "KEYWORD FILE", "KEYWORD N", "KEYWORD yes|no".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dotsd/conf_int.h"

int
conf_value_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	unsigned long long n;
	char	*end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

/* "2", "2.5", "2.00" -> hundredths (RFC 9132 decimal64, 2 digits). */
int
conf_value_centi(const char *s, uint32_t *v)
{
	uint32_t int_part = 0, frac = 0;
	int	 digits = 0;
	const char *q = s;

	if (!isdigit((unsigned char)*q))
		return -EINVAL;
	while (isdigit((unsigned char)*q)) {
		int_part = int_part * 10 + (uint32_t)(*q++ - '0');
		if (int_part > 65535)
			return -EINVAL;
	}
	if (*q == '.') {
		q++;
		while (isdigit((unsigned char)*q)) {
			if (++digits > 2)
				return -EINVAL;
			frac = frac * 10 + (uint32_t)(*q++ - '0');
		}
		if (digits == 0)
			return -EINVAL;
		if (digits == 1)
			frac *= 10;
	}
	if (*q != '\0')
		return -EINVAL;
	*v = int_part * 100 + frac;
	return 0;
}

static int
parse_yesno(const char *s, uint8_t *v)
{
	if (strcmp(s, "yes") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0)
		*v = 0;
	else
		return -EINVAL;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex with optional ':' between bytes -> bytes. Returns length or -EINVAL. */
int
conf_value_hex(const char *s, uint8_t *out, size_t max)
{
	size_t	n = 0;
	int	hi, lo;

	while (*s != '\0') {
		if (*s == ':' && n > 0) {
			s++;
			continue;
		}
		if ((hi = hexval((unsigned char)s[0])) < 0 ||
		    (lo = hexval((unsigned char)s[1])) < 0 || n == max)
			return -EINVAL;
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n == 0 ? -EINVAL : (int)n;
}

int
conf_value_str(struct parser *p, int line, char *dst, size_t len, const char *s,
    const char *what)
{
	if (s[0] == '\0')
		return conf_perr(p, line, "empty %s", what);
	if (strlen(s) >= len)
		return conf_perr(p, line, "%s too long", what);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A numeric address, normalized into out (inet_ntop form). */
int
conf_value_addr(const char *s, char *out, size_t len)
{
	uint8_t	a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, len) ? 0 : -EINVAL;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, len) ? 0 : -EINVAL;
	return -EINVAL;
}

/* Why prefix_parse refused s: host bits or plain nonsense. */
const char *
conf_value_prefix_why(const char *s)
{
	char	 a[64], *slash;
	uint8_t	 bin[16];
	uint32_t len;
	int	 af;

	if (strlen(s) >= sizeof(a))
		return "bad prefix";
	strcpy(a, s);
	if ((slash = strchr(a, '/')) == NULL)
		return "bad prefix";
	*slash = '\0';
	af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, a, bin) != 1 ||
	    conf_value_u32(slash + 1, 0, af == AF_INET ? 32 : 128, &len) != 0)
		return "bad prefix";
	return "host bits set in prefix";
}

int
conf_value_need(struct parser *p, const struct stmt *st, int n, const char *usage)
{
	if (st->ntok != n)
		return conf_perr(p, st->line, "usage: %s", usage);
	return 0;
}

int
conf_value_st_path(struct parser *p, const struct stmt *st, char *dst, size_t len)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s FILE", st->tok[0].s);
	if (conf_value_need(p, st, 2, usage) != 0)
		return -EINVAL;
	return conf_value_str(p, st->line, dst, len, st->tok[1].s, st->tok[0].s);
}

int
conf_value_st_u32(struct parser *p, const struct stmt *st, uint32_t lo, uint32_t hi,
    uint32_t *v)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s N", st->tok[0].s);
	if (conf_value_need(p, st, 2, usage) != 0)
		return -EINVAL;
	if (conf_value_u32(st->tok[1].s, lo, hi, v) != 0)
		return conf_perr(p, st->line, "%s: \"%s\" is not a number in "
		    "%u..%u", st->tok[0].s, st->tok[1].s, lo, hi);
	return 0;
}

int
conf_value_st_yesno(struct parser *p, const struct stmt *st, uint8_t *v)
{
	char	usage[64];

	snprintf(usage, sizeof(usage), "%s yes|no", st->tok[0].s);
	if (conf_value_need(p, st, 2, usage) != 0 || parse_yesno(st->tok[1].s, v) != 0)
		return conf_perr(p, st->line, "usage: %s", usage);
	return 0;
}
