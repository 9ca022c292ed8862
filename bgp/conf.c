/*
 * conf.c: the speaker's configuration: one `key value` statement of
 * dotsd.conf's bgp block at a time (bgp_backend.configure), into bgp_sp
 * and its neighbors. Runs before start, so it takes no lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/speaker_int.h"

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char			*end;
	unsigned long long	v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (len)
			*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (len)
			*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

/* ASN:VAL, each 16 bits (RFC 1997 community). */
static int
parse_community(const char *s, uint32_t *out)
{
	char		buf[32], *colon;
	uint32_t	hi, lo;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if ((colon = strchr(buf, ':')) == NULL)
		return -EINVAL;
	*colon = '\0';
	if (parse_u32(buf, 0, 65535, &hi) < 0 ||
	    parse_u32(colon + 1, 0, 65535, &lo) < 0)
		return -EINVAL;
	*out = hi << 16 | lo;
	return 0;
}

static int
parse_list(const char *s, const char *const *names, const unsigned *bits,
    unsigned *out)
{
	char	buf[256], *tok, *save;
	int	i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; names[i]; i++)
			if (strcmp(tok, names[i]) == 0)
				break;
		if (names[i] == NULL)
			return -EINVAL;
		*out |= bits[i];
	}
	return *out ? 0 : -EINVAL;
}

/*
 * The next word of a value, in place: blanks separate words; a word in
 * double quotes may hold blanks and the escapes \" and \\ (dotsd.conf
 * keeps quoted words so). Returns NULL at the end, or with *bad set for
 * an unterminated quote.
 */
static char *
conf_word(char **cur, int *bad)
{
	char	*p = *cur, *w, *o;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	if (*p != '"') {
		w = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		*cur = p;
		return w;
	}
	w = o = ++p;
	while (*p && *p != '"') {
		if (*p == '\\' && p[1])
			p++;
		*o++ = *p++;
	}
	if (*p != '"') {
		*bad = 1;
		return NULL;
	}
	*o = '\0';
	*cur = p + 1;
	return w;
}

/* ADDR/LEN with host bits 0, IPv4 or IPv6. */
static int
parse_prefix(const char *s, struct mit_prefix *pfx)
{
	char		buf[64], *slash;
	uint32_t	len;
	int		max, i;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) == NULL)
		return -EINVAL;
	*slash = '\0';
	memset(pfx, 0, sizeof(*pfx));
	if (inet_pton(AF_INET, buf, pfx->addr) == 1) {
		pfx->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, pfx->addr) == 1) {
		pfx->family = AF_INET6;
		max = 128;
	} else
		return -EINVAL;
	if (parse_u32(slash + 1, 0, max, &len) < 0)
		return -EINVAL;
	pfx->len = len;
	for (i = 0; i < 16; i++) {
		int	bits = (int)len - 8 * i;
		uint8_t	m = bits >= 8 ? 0xff : bits <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - bits));

		if (pfx->addr[i] & ~m)
			return -EINVAL;	/* host bits set: a typo? */
	}
	return 0;
}

/* import PREFIX[,PREFIX...]: the destination space a peer may filter. */
static int
conf_import(struct peer *p, const char *list)
{
	char	buf[1024], *tok, *save;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save)) {
		if (p->c.nimport >= BGP_MAX_IMPORT ||
		    parse_prefix(tok, &p->c.import[p->c.nimport]) < 0)
			return -EINVAL;
		p->c.nimport++;
	}
	return 0;
}

/* The receive-side options of a neighbor; 1 if tok is not one of them. */
static int
conf_neighbor_rx(struct peer *p, const char *tok, const char *arg)
{
	static const char *const act_names[] = {
		"drop", "rate-bytes", "rate-packets", "accept", "all", NULL };
	static const unsigned act_bits[] = {
		BGP_ACT_DROP, BGP_ACT_RATE_BPS, BGP_ACT_RATE_PPS,
		BGP_ACT_ACCEPT, BGP_ACT_DROP | BGP_ACT_RATE_BPS |
		BGP_ACT_RATE_PPS | BGP_ACT_ACCEPT };
	uint32_t	v;
	unsigned	bits;

	if (strcmp(tok, "import") == 0)
		return conf_import(p, arg);
	if (strcmp(tok, "import-max") == 0) {
		if (parse_u32(arg, 1, 10000000, &p->c.import_max) < 0)
			return -EINVAL;
		return 0;
	}
	if (strcmp(tok, "import-actions") == 0) {
		if (parse_list(arg, act_names, act_bits, &bits) < 0)
			return -EINVAL;
		p->c.import_actions = bits;
		return 0;
	}
	if (strcmp(tok, "import-min-len4") == 0 ||
	    strcmp(tok, "import-min-len6") == 0) {
		if (parse_u32(arg, 0, tok[14] == '4' ? 32 : 128, &v) < 0)
			return -EINVAL;
		if (tok[14] == '4')
			p->c.import_min_len4 = v;
		else
			p->c.import_min_len6 = v;
		return 0;
	}
	if (strcmp(tok, "validate") == 0) {
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return -EINVAL;
		p->c.no_validate = strcmp(arg, "off") == 0;
		return 0;
	}
	if (strcmp(tok, "graceful-restart") == 0) {
		if (parse_u32(arg, 0, 4095, &v) < 0)
			return -EINVAL;
		p->c.gr_time = v;
		return 0;
	}
	return 1;
}

static int
conf_neighbor(const char *value, char *err, size_t errlen)
{
	static const char *const fam_names[] = {
		"flowspec4", "flowspec6", "rtbh4", "rtbh6", "all", NULL };
	static const unsigned fam_bits[] = {
		BGP_FAM_BIT(BGP_FAM_FLOW4), BGP_FAM_BIT(BGP_FAM_FLOW6),
		BGP_FAM_BIT(BGP_FAM_UNI4), BGP_FAM_BIT(BGP_FAM_UNI6),
		BGP_FAM_ALL };
	static const char *const act_names[] = {
		"drop", "rate-bytes", "rate-packets", "all", NULL };
	static const unsigned act_bits[] = {
		BGP_ACT_DROP, BGP_ACT_RATE_BPS, BGP_ACT_RATE_PPS,
		BGP_ACT_DROP | BGP_ACT_RATE_BPS | BGP_ACT_RATE_PPS };
	char		buf[1024], *tok, *cur = buf, *addr, *arg;
	struct peer	*p;
	uint32_t	v, port = 179;
	unsigned	bits;
	int		have_as = 0, bad = 0;

	if (bgp_sp.npeers >= BGP_MAX_PEERS)
		return speaker_err(err, errlen, -E2BIG, "too many neighbors");
	if (strlen(value) >= sizeof(buf))
		return speaker_err(err, errlen, -EINVAL, "neighbor too long");
	strcpy(buf, value);
	if ((addr = conf_word(&cur, &bad)) == NULL)
		return speaker_err(err, errlen, -EINVAL, "neighbor: address?");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	p->fd = -1;
	p->c.fams = BGP_FAM_ALL;
	p->c.actions = BGP_ACT_DROP | BGP_ACT_RATE_BPS | BGP_ACT_RATE_PPS;
	p->c.mark = -1;
	p->c.import_max = 10000;
	p->c.import_actions = BGP_ACT_DROP | BGP_ACT_RATE_BPS |
	    BGP_ACT_RATE_PPS | BGP_ACT_ACCEPT;
	p->c.gr_time = 120;
	snprintf(p->c.name, sizeof(p->c.name), "%s", addr);
#define NEXT_ARG() do {							\
	if ((arg = conf_word(&cur, &bad)) == NULL) {			\
		speaker_err(err, errlen, -EINVAL, bad ?			\
		    "neighbor %s: %s: unterminated quote" :		\
		    "neighbor %s: %s needs a value", addr, tok);	\
		goto fail;						\
	}								\
} while (0)
#define BAD() do {							\
	speaker_err(err, errlen, -EINVAL, "neighbor %s: bad %s '%s'",	\
	    addr, tok, arg);						\
	goto fail;							\
} while (0)
	while ((tok = conf_word(&cur, &bad)) != NULL) {
		arg = NULL;
		if (strcmp(tok, "remote-as") == 0) {
			NEXT_ARG();
			if (parse_u32(arg, 1, UINT32_MAX, &p->c.remote_as) < 0)
				BAD();
			have_as = 1;
		} else if (strcmp(tok, "port") == 0) {
			NEXT_ARG();
			if (parse_u32(arg, 1, 65535, &port) < 0)
				BAD();
		} else if (strcmp(tok, "passive") == 0) {
			p->c.passive = 1;
		} else if (strcmp(tok, "md5") == 0) {
			NEXT_ARG();
			if (strlen(arg) > 80 || *arg == '\0')
				BAD();
			snprintf(p->c.md5, sizeof(p->c.md5), "%s", arg);
		} else if (strcmp(tok, "families") == 0) {
			NEXT_ARG();
			if (parse_list(arg, fam_names, fam_bits, &bits) < 0)
				BAD();
			p->c.fams = bits;
		} else if (strcmp(tok, "actions") == 0) {
			NEXT_ARG();
			if (parse_list(arg, act_names, act_bits, &bits) < 0)
				BAD();
			p->c.actions = bits;
		} else if (strcmp(tok, "max-announce") == 0) {
			NEXT_ARG();
			if (parse_u32(arg, 1, UINT32_MAX, &p->c.max_announce))
				BAD();
		} else if (strcmp(tok, "rtbh-next-hop") == 0) {
			NEXT_ARG();
			if (inet_pton(AF_INET, arg, &p->c.nh4) == 1 &&
			    p->c.nh4.s_addr != 0)
				p->c.has_nh4 = 1;	/* BIRD: 0.0.0.0 withdraws */
			else if (inet_pton(AF_INET6, arg, &p->c.nh6) == 1 &&
			    !IN6_IS_ADDR_UNSPECIFIED(&p->c.nh6))
				p->c.has_nh6 = 1;
			else
				BAD();
		} else if (strcmp(tok, "rtbh-community") == 0) {
			NEXT_ARG();
			if (p->c.nextra >= BGP_MAX_EXTRA_COMMS ||
			    parse_community(arg,
			    &p->c.extra_comms[p->c.nextra]) < 0)
				BAD();
			p->c.nextra++;
		} else if (strcmp(tok, "local-address") == 0) {
			NEXT_ARG();
			if (parse_addr(arg, 0, &p->c.local, NULL) < 0)
				BAD();
		} else if (strcmp(tok, "hold-time") == 0) {
			NEXT_ARG();
			if (parse_u32(arg, 0, 65535, &v) < 0 ||
			    (v > 0 && v < 3))
				BAD();
			p->c.hold = v;
		} else if (strcmp(tok, "redirect") == 0) {
			char	*colon;

			NEXT_ARG();
			if ((colon = strchr(arg, ':')) == NULL)
				BAD();
			*colon = '\0';
			if (parse_u32(arg, 1, UINT32_MAX, &p->c.redirect_as) <
			    0 || parse_u32(colon + 1, 0, p->c.redirect_as >
			    0xffff ? 0xffff : UINT32_MAX,
			    &p->c.redirect_val) < 0) {
				*colon = ':';
				BAD();
			}
		} else if (strcmp(tok, "mark") == 0) {
			NEXT_ARG();
			if (parse_u32(arg, 0, 63, &v) < 0)
				BAD();
			p->c.mark = v;
		} else if (strcmp(tok, "sample") == 0) {
			p->c.sample = 1;
		} else if (strncmp(tok, "import", 6) == 0 ||
		    strcmp(tok, "validate") == 0 ||
		    strcmp(tok, "graceful-restart") == 0) {
			NEXT_ARG();
			if (conf_neighbor_rx(p, tok, arg) != 0)
				BAD();
		} else {
			speaker_err(err, errlen, -EINVAL,
			    "neighbor %s: unknown option '%s'", addr, tok);
			goto fail;
		}
	}
#undef NEXT_ARG
#undef BAD
	if (bad) {
		speaker_err(err, errlen, -EINVAL,
		    "neighbor %s: unterminated quote", addr);
		goto fail;
	}
	if (!have_as) {
		speaker_err(err, errlen, -EINVAL, "neighbor %s: remote-as?",
		    addr);
		goto fail;
	}
	if (parse_addr(addr, port, &p->c.addr, &p->c.addrlen) < 0) {
		speaker_err(err, errlen, -EINVAL, "neighbor %s: bad address",
		    addr);
		goto fail;
	}
	if (p->c.local.ss_family &&
	    p->c.local.ss_family != p->c.addr.ss_family) {
		speaker_err(err, errlen, -EINVAL,
		    "neighbor %s: local-address of another family", addr);
		goto fail;
	}
	p->idx = bgp_sp.npeers;
	if ((p->ibuf = malloc(2 * BGP_MAX_MSG)) == NULL) {
		free(p);
		return -ENOMEM;
	}
	bgp_sp.peers[bgp_sp.npeers++] = p;
	return 0;
fail:
	free(p);
	return -EINVAL;
}

static int
conf_listen(const char *value, char *err, size_t errlen)
{
	char		buf[128], *addr, *tok, *save;
	uint32_t	port = 179;
	struct bgp_listener *l;

	if (bgp_sp.nlisten >= BGP_MAX_LISTEN)
		return speaker_err(err, errlen, -E2BIG, "too many listen");
	if (strlen(value) >= sizeof(buf))
		return speaker_err(err, errlen, -EINVAL, "listen: too long");
	strcpy(buf, value);
	addr = strtok_r(buf, " \t", &save);
	if (addr == NULL)
		return speaker_err(err, errlen, -EINVAL, "listen: address?");
	if ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strcmp(tok, "port") != 0 || parse_u32(strtok_r(NULL,
		    " \t", &save), 1, 65535, &port) < 0)
			return speaker_err(err, errlen, -EINVAL,
			    "listen: expected 'port N'");
	}
	l = &bgp_sp.listen[bgp_sp.nlisten];
	if (parse_addr(addr, port, &l->addr, &l->addrlen) < 0)
		return speaker_err(err, errlen, -EINVAL,
		    "listen: bad address '%s'", addr);
	l->fd = -1;
	bgp_sp.nlisten++;
	return 0;
}

static int
conf_damping(const char *value, char *err, size_t errlen)
{
	char		buf[256], *tok, *save, *arg;
	uint32_t	v;

	if (strcmp(value, "off") == 0) {
		bgp_sp.damping = 0;
		return 0;
	}
	if (strlen(value) >= sizeof(buf))
		return speaker_err(err, errlen, -EINVAL, "damping: too long");
	strcpy(buf, value);
	bgp_sp.damping = 1;
	for (tok = strtok_r(buf, " \t", &save); tok;
	    tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "on") == 0)
			continue;
		arg = strtok_r(NULL, " \t", &save);
		if (parse_u32(arg, 1, 86400 * 1000, &v) < 0)
			return speaker_err(err, errlen, -EINVAL,
			    "damping: bad value for %s", tok);
		if (strcmp(tok, "half-life") == 0)
			bgp_sp.half_life = v;
		else if (strcmp(tok, "suppress") == 0)
			bgp_sp.suppress = v;
		else if (strcmp(tok, "reuse") == 0)
			bgp_sp.reuse = v;
		else if (strcmp(tok, "max-hold") == 0)
			bgp_sp.max_hold = v;
		else
			return speaker_err(err, errlen, -EINVAL,
			    "damping: unknown option '%s'", tok);
	}
	if (bgp_sp.reuse >= bgp_sp.suppress)
		return speaker_err(err, errlen, -EINVAL,
		    "damping: reuse must be below suppress");
	return 0;
}

static int
conf_u32(const char *value, uint32_t min, uint32_t max, uint32_t *out,
    const char *key, char *err, size_t errlen)
{
	if (parse_u32(value, min, max, out) < 0)
		return speaker_err(err, errlen, -EINVAL,
		    "%s: expected a number from %u to %u", key, min, max);
	return 0;
}

int
conf_configure(const char *key, const char *value, char *err, size_t errlen)
{
	uint32_t	v;
	int		r;

	if (!speaker_configured) {
		speaker_defaults();
		speaker_configured = 1;
	}
	if (bgp_sp.running)
		return speaker_err(err, errlen, -EBUSY, "already started");
	if (value == NULL)
		value = "";
	/* keywords in alphabetical order */
	if (strcmp(key, "connect-retry") == 0) {
		if ((r = conf_u32(value, 1, 3600, &v, key, err, errlen)) == 0)
			bgp_sp.connect_retry = v;
		return r;
	}
	if (strcmp(key, "damping") == 0)
		return conf_damping(value, err, errlen);
	if (strcmp(key, "hold-time") == 0) {
		if (parse_u32(value, 0, 65535, &v) < 0 || (v > 0 && v < 3))
			return speaker_err(err, errlen, -EINVAL,
			    "hold-time: 0 or 3..65535");
		bgp_sp.hold = v;
		return 0;
	}
	if (strcmp(key, "listen") == 0)
		return conf_listen(value, err, errlen);
	if (strcmp(key, "local-as") == 0) {
		if ((r = conf_u32(value, 1, UINT32_MAX, &v, key, err,
		    errlen)) == 0)
			bgp_sp.local_as = v;
		return r;
	}
	if (strcmp(key, "local-pref") == 0) {
		if ((r = conf_u32(value, 0, UINT32_MAX, &v, key, err,
		    errlen)) == 0)
			bgp_sp.local_pref = v;
		return r;
	}
	if (strcmp(key, "min-prefix-len4") == 0) {
		if ((r = conf_u32(value, 0, 32, &v, key, err, errlen)) == 0)
			bgp_sp.min_len4 = v;
		return r;
	}
	if (strcmp(key, "min-prefix-len6") == 0) {
		if ((r = conf_u32(value, 0, 128, &v, key, err, errlen)) == 0)
			bgp_sp.min_len6 = v;
		return r;
	}
	if (strcmp(key, "neighbor") == 0)
		return conf_neighbor(value, err, errlen);
	if (strcmp(key, "nlri-max-length") == 0) {
		if ((r = conf_u32(value, 32, FLOWSPEC_MAX_LEN_RFC, &v, key,
		    err, errlen)) == 0)
			bgp_sp.nlri_max = v;
		return r;
	}
	if (strcmp(key, "router-id") == 0) {
		struct in_addr	a;

		if (inet_pton(AF_INET, value, &a) != 1 || a.s_addr == 0)
			return speaker_err(err, errlen, -EINVAL,
			    "router-id: expected A.B.C.D, not 0.0.0.0");
		bgp_sp.router_id = a.s_addr;
		return 0;
	}
	if (strcmp(key, "rtbh-min-prefix-len4") == 0) {
		if ((r = conf_u32(value, 0, 32, &v, key, err, errlen)) == 0)
			bgp_sp.rtbh_min_len4 = v;
		return r;
	}
	if (strcmp(key, "rtbh-min-prefix-len6") == 0) {
		if ((r = conf_u32(value, 0, 128, &v, key, err, errlen)) == 0)
			bgp_sp.rtbh_min_len6 = v;
		return r;
	}
	return speaker_err(err, errlen, -EINVAL, "unknown keyword '%s'", key);
}
