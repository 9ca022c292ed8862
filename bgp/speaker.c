/*
 * speaker.c: the announce-only BGP speaker behind bgp_backend. It turns
 * rule groups into flowspec and RTBH routes (one RIB of entries, each
 * contributed by one or more groups), keeps per-peer Adj-RIB-Out state as
 * bit masks, and runs every session on its own thread with a poll loop.
 * apply/withdraw/stats from the engine thread only take the mutex, change
 * memory and wake the thread: they never wait for the network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/rtbh.h"
#include "lib/log.h"

#define RT_HASH_BITS	17
#define RT_HASH_SIZE	(1u << RT_HASH_BITS)
#define DAMP_PENALTY	1000.0	/* added by each withdraw */

/* One group's wish for an entry. */
struct rt_contrib {
	uint64_t	group;
	uint64_t	rate;
	uint8_t		action;
};

/* A route: one NLRI of one family; its attributes follow its action. */
struct rt_entry {
	struct rt_entry		*hnext;
	uint32_t		hash;
	uint32_t		sent;		/* peers holding it */
	uint32_t		queued;		/* peers with it in ->dirty */
	uint8_t			fam;
	uint8_t			action;		/* effective, enum mit_action */
	uint64_t		rate;
	/* snapshot while a transaction touches it */
	uint8_t			touched;
	uint8_t			was_wanted, was_action;
	uint64_t		was_rate;
	uint16_t		ncontrib, ccap;
	struct rt_contrib	*contrib;
	uint16_t		nlen;
	uint8_t			nlri[];
};

struct group {
	struct group		*next;
	uint64_t		id;
	uint32_t		nroutes;
	struct rt_entry		**routes;
	int64_t			linger_since;	/* damping: withdrawn, held */
};

struct damp {
	uint64_t	group;
	double		penalty;
	int64_t		t;
};

struct bgp_speaker bgp_sp = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.wake = { -1, -1 },
};

static struct rt_entry	**rt_hash;
static struct group	*groups;
static struct damp	*damps;
static size_t		ndamps, cdamps;

static void
speaker_defaults(void)
{
	bgp_sp.router_id = 0;
	bgp_sp.local_as = 0;
	bgp_sp.hold = 90;
	bgp_sp.connect_retry = 5;
	bgp_sp.local_pref = 100;
	bgp_sp.min_len4 = 24;
	bgp_sp.min_len6 = 48;
	bgp_sp.rtbh_min_len4 = 32;
	bgp_sp.rtbh_min_len6 = 128;
	bgp_sp.nlri_max = FLOWSPEC_MAX_LEN;
	bgp_sp.damping = 1;
	bgp_sp.half_life = 60;
	bgp_sp.suppress = 3000;
	bgp_sp.reuse = 750;
	bgp_sp.max_hold = 600;
}

static int	speaker_configured;

int64_t
bgp_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
speaker_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
speaker_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list	ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

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

static int
bgp_configure(const char *key, const char *value, char *err, size_t errlen)
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

/* ------------------------------------------------------------------ */
/* RIB                                                                */
/* ------------------------------------------------------------------ */

static uint32_t
rt_hashval(uint8_t fam, const uint8_t *nlri, size_t len)
{
	uint32_t	h = 2166136261u ^ fam;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ nlri[i]) * 16777619u;
	return h;
}

static struct rt_entry *
rt_find(uint8_t fam, const uint8_t *nlri, size_t len, uint32_t h)
{
	struct rt_entry	*e;

	for (e = rt_hash[h & (RT_HASH_SIZE - 1)]; e; e = e->hnext)
		if (e->hash == h && e->fam == fam && e->nlen == len &&
		    memcmp(e->nlri, nlri, len) == 0)
			return e;
	return NULL;
}

static struct rt_entry *
rt_get(uint8_t fam, const uint8_t *nlri, size_t len)
{
	uint32_t	h = rt_hashval(fam, nlri, len);
	struct rt_entry	*e, **b;

	if ((e = rt_find(fam, nlri, len, h)) != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e) + len)) == NULL)
		return NULL;
	e->hash = h;
	e->fam = fam;
	e->nlen = len;
	memcpy(e->nlri, nlri, len);
	b = &rt_hash[h & (RT_HASH_SIZE - 1)];
	e->hnext = *b;
	*b = e;
	return e;
}

/* Frees e once no group wants it and no peer holds or owes it. */
static void
rt_maybe_free(struct rt_entry *e)
{
	struct rt_entry	**pp;

	if (e->ncontrib || e->sent || e->queued || e->touched)
		return;
	for (pp = &rt_hash[e->hash & (RT_HASH_SIZE - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	free(e->contrib);
	free(e);
}

static int
peer_accepts(const struct peer *p, int fam, int action)
{
	if (!(p->c.fams & BGP_FAM_BIT(fam)))
		return 0;
	if (fam == BGP_FAM_FLOW4 || fam == BGP_FAM_FLOW6) {
		switch (action) {
		case MIT_ACT_DROP:
			return (p->c.actions & BGP_ACT_DROP) != 0;
		case MIT_ACT_RATE_BPS:
			return (p->c.actions & BGP_ACT_RATE_BPS) != 0;
		case MIT_ACT_RATE_PPS:
			return (p->c.actions & BGP_ACT_RATE_PPS) != 0;
		default:
			return 0;
		}
	}
	return 1;
}

/* A police rate of 0 is a drop; say so once, here. */
static void
rt_norm_action(uint8_t *action, uint64_t *rate)
{
	if (*action == MIT_ACT_DROP ||
	    ((*action == MIT_ACT_RATE_BPS || *action == MIT_ACT_RATE_PPS) &&
	    *rate == 0)) {
		*action = MIT_ACT_DROP;
		*rate = 0;
	}
}

/* The strongest wish wins: drop, then the lowest rate of the same kind. */
static void
rt_effective(struct rt_entry *e)
{
	int	i;

	if (e->ncontrib == 0)
		return;
	e->action = e->contrib[0].action;
	e->rate = e->contrib[0].rate;
	for (i = 1; i < e->ncontrib; i++) {
		const struct rt_contrib *c = &e->contrib[i];

		if (e->action == MIT_ACT_DROP)
			break;
		if (c->action == MIT_ACT_DROP ||
		    (c->action == e->action && c->rate < e->rate)) {
			e->action = c->action;
			e->rate = c->rate;
		}
	}
}

static void
peer_enqueue(struct peer *p, struct rt_entry *e)
{
	uint32_t	bit = 1u << p->idx;

	if (e->queued & bit)
		return;
	if (p->ndirty == p->dcap) {
		size_t		cap = p->dcap ? p->dcap * 2 : 1024;
		struct rt_entry	**n = reallocarray(p->dirty, cap, sizeof(*n));

		if (n == NULL) {
			/* out of memory: drop the session, it relearns all */
			p->io_error = 1;
			return;
		}
		p->dirty = n;
		p->dcap = cap;
	}
	p->dirty[p->ndirty++] = e;
	e->queued |= bit;
}

/* Transaction: touched entries remember their state before the change. */
struct rt_txn {
	struct rt_entry	**v;
	size_t		n, cap;
};

static int
txn_touch(struct rt_txn *t, struct rt_entry *e)
{
	if (e->touched)
		return 0;
	if (t->n == t->cap) {
		size_t		cap = t->cap ? t->cap * 2 : 256;
		struct rt_entry	**n = reallocarray(t->v, cap, sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		t->v = n;
		t->cap = cap;
	}
	t->v[t->n++] = e;
	e->touched = 1;
	e->was_wanted = e->ncontrib > 0;
	e->was_action = e->action;
	e->was_rate = e->rate;
	return 0;
}

/* Applies the per-peer consequences of every touched entry. */
static void
txn_commit(struct rt_txn *t)
{
	size_t	i;
	int	k;

	for (i = 0; i < t->n; i++) {
		struct rt_entry	*e = t->v[i];
		int		wanted = e->ncontrib > 0;
		int		changed = wanted != e->was_wanted ||
		    (wanted && (e->action != e->was_action ||
		    e->rate != e->was_rate));

		e->touched = 0;
		for (k = 0; k < bgp_sp.npeers; k++) {
			struct peer	*p = bgp_sp.peers[k];

			p->nwant -= e->was_wanted &&
			    peer_accepts(p, e->fam, e->was_action);
			p->nwant += wanted && peer_accepts(p, e->fam,
			    e->action);
			if (changed && p->state == ST_ESTABLISHED)
				peer_enqueue(p, e);
		}
		rt_maybe_free(e);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

/* Room for one more contributor, so rt_contrib_add() cannot fail. */
static int
rt_contrib_reserve(struct rt_entry *e)
{
	uint16_t		cap;
	struct rt_contrib	*n;

	if (e->ncontrib < e->ccap)
		return 0;
	cap = e->ccap ? e->ccap * 2 : 1;
	if ((n = reallocarray(e->contrib, cap, sizeof(*n))) == NULL)
		return -ENOMEM;
	e->contrib = n;
	e->ccap = cap;
	return 0;
}

static int
rt_contrib_add(struct rt_entry *e, uint64_t group, uint8_t action,
    uint64_t rate)
{
	int	i;

	for (i = 0; i < e->ncontrib; i++)
		if (e->contrib[i].group == group) {
			/* the same group twice: keep the stronger */
			if (action == MIT_ACT_DROP ||
			    (action == e->contrib[i].action &&
			    rate < e->contrib[i].rate)) {
				e->contrib[i].action = action;
				e->contrib[i].rate = rate;
			}
			rt_effective(e);
			return 0;
		}
	if (rt_contrib_reserve(e) < 0)
		return -ENOMEM;
	e->contrib[e->ncontrib++] = (struct rt_contrib){ group, rate, action };
	rt_effective(e);
	return 0;
}

static void
rt_contrib_del(struct rt_entry *e, uint64_t group)
{
	int	i;

	for (i = 0; i < e->ncontrib; i++)
		if (e->contrib[i].group == group) {
			e->contrib[i] = e->contrib[--e->ncontrib];
			break;
		}
	rt_effective(e);
}

static struct group *
group_find(uint64_t id, struct group ***prevp)
{
	struct group	**pp;

	for (pp = &groups; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			if (prevp)
				*prevp = pp;
			return *pp;
		}
	return NULL;
}

/* Takes the group's routes out of the RIB and frees the group. */
static void
group_remove(struct group *g)
{
	struct group	**pp;
	struct rt_txn	t = { 0 };
	uint32_t	i;

	for (i = 0; i < g->nroutes; i++) {
		/* no memory for the transaction: withdraw without it */
		if (txn_touch(&t, g->routes[i]) < 0)
			continue;
		rt_contrib_del(g->routes[i], g->id);
	}
	txn_commit(&t);
	if (group_find(g->id, &pp) == g)
		*pp = g->next;
	free(g->routes);
	free(g);
}

/* ------------------------------------------------------------------ */
/* Damping: a flapping mitigation keeps its routes (RFC 2439-like)     */
/* ------------------------------------------------------------------ */

static struct damp *
damp_get(uint64_t group, int create)
{
	size_t	i;

	for (i = 0; i < ndamps; i++)
		if (damps[i].group == group)
			return &damps[i];
	if (!create)
		return NULL;
	if (ndamps == cdamps) {
		size_t		cap = cdamps ? cdamps * 2 : 16;
		struct damp	*n = reallocarray(damps, cap, sizeof(*n));

		if (n == NULL)
			return NULL;
		damps = n;
		cdamps = cap;
	}
	damps[ndamps] = (struct damp){ group, 0, bgp_now_ms() };
	return &damps[ndamps++];
}

static double
damp_decay(struct damp *d, int64_t now)
{
	d->penalty *= pow(0.5, (double)(now - d->t) / 1000.0 /
	    bgp_sp.half_life);
	d->t = now;
	return d->penalty;
}

/* Releases held withdraws whose penalty decayed; forgets old records. */
static void
damp_tick(int64_t now)
{
	struct group	*g, *next;
	size_t		i;

	for (g = groups; g; g = next) {
		struct damp *d;

		next = g->next;
		if (!g->linger_since)
			continue;
		d = damp_get(g->id, 0);
		if (d == NULL || damp_decay(d, now) < bgp_sp.reuse ||
		    now - g->linger_since >= (int64_t)bgp_sp.max_hold * 1000) {
			log_info("bgp: damping: releasing withdraw of group "
			    "%llu", (unsigned long long)g->id);
			group_remove(g);
		}
	}
	for (i = 0; i < ndamps; ) {
		if (damp_decay(&damps[i], now) < 1.0 &&
		    !group_find(damps[i].group, NULL)) {
			damps[i] = damps[--ndamps];
			continue;
		}
		i++;
	}
}

/* ------------------------------------------------------------------ */
/* Session events                                                      */
/* ------------------------------------------------------------------ */

void
rib_peer_up(struct peer *p)
{
	uint32_t	i;
	struct rt_entry	*e;

	p->nsent = 0;
	p->eor_pending = p->fams;
	p->ndirty = p->dpos = 0;
	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = e->hnext)
			if (e->ncontrib)
				peer_enqueue(p, e);
}

void
rib_peer_down(struct peer *p)
{
	uint32_t	i, bit = 1u << p->idx;
	struct rt_entry	*e, *next;

	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = next) {
			next = e->hnext;
			e->sent &= ~bit;
			e->queued &= ~bit;
			rt_maybe_free(e);
		}
	p->ndirty = p->dpos = 0;
	p->nsent = 0;
	p->eor_pending = 0;
	free(p->dirty);
	p->dirty = NULL;
	p->dcap = 0;
}

/* RFC 2918: the peer asked for the whole Adj-RIB-Out of fam again. */
void
rib_peer_refresh(struct peer *p, int fam)
{
	uint32_t	i;
	struct rt_entry	*e;

	log_peer_info(p, "route refresh for %s", bgp_fam_name(fam));
	for (i = 0; i < RT_HASH_SIZE; i++)
		for (e = rt_hash[i]; e; e = e->hnext)
			if (e->fam == fam && e->ncontrib)
				peer_enqueue(p, e);
}

/*
 * Attributes of a route for p. Returns -1 when p cannot take it (RTBH
 * without a usable next hop of its family).
 */
static int
peer_attrs(const struct peer *p, int fam, uint8_t action, uint64_t rate,
    struct bgp_attrs *a)
{
	const struct sockaddr_storage *la = &p->local_addr;
	uint16_t	as2 = bgp_sp.local_as > 0xffff ? 0 : bgp_sp.local_as;

	memset(a, 0, sizeof(*a));
	a->ebgp = p->ebgp;
	a->as4 = p->as4;
	a->local_as = bgp_sp.local_as;
	a->local_pref = bgp_sp.local_pref;
	switch (fam) {
	case BGP_FAM_UNI4:
		a->nh_len = 4;
		if (p->c.has_nh4)
			memcpy(a->nh, &p->c.nh4, 4);
		else if (la->ss_family == AF_INET)
			memcpy(a->nh, &((const struct sockaddr_in *)la)->sin_addr,
			    4);
		else
			return -1;
		break;
	case BGP_FAM_UNI6:
		a->nh_len = 16;
		if (p->c.has_nh6)
			memcpy(a->nh, &p->c.nh6, 16);
		else if (la->ss_family == AF_INET6)
			memcpy(a->nh,
			    &((const struct sockaddr_in6 *)la)->sin6_addr, 16);
		else if (la->ss_family == AF_INET) {
			/* IPv4-mapped IPv6 next hop over an IPv4 session */
			a->nh[10] = a->nh[11] = 0xff;
			memcpy(a->nh + 12,
			    &((const struct sockaddr_in *)la)->sin_addr, 4);
		} else
			return -1;
		break;
	default:	/* flowspec: RFC 8955 §4 next hop length 0 */
		a->nh_len = 0;
		break;
	}
	if (fam == BGP_FAM_UNI4 || fam == BGP_FAM_UNI6) {
		a->ncomms = rtbh_communities(a->comms, BGP_MAX_COMMS,
		    p->c.extra_comms, p->c.nextra);
		return 0;
	}
	switch (action) {
	case MIT_ACT_DROP:
		if (p->c.redirect_as)
			flowspec_ec_redirect(a->ecs[a->necs++],
			    p->c.redirect_as, p->c.redirect_val);
		else
			flowspec_ec_rate_bytes(a->ecs[a->necs++], as2, 0);
		break;
	case MIT_ACT_RATE_BPS:
		flowspec_ec_rate_bytes(a->ecs[a->necs++], as2, (float)rate);
		break;
	case MIT_ACT_RATE_PPS:
		flowspec_ec_rate_pkts(a->ecs[a->necs++], as2, (float)rate);
		break;
	default:
		return -1;
	}
	if (p->c.sample)
		flowspec_ec_action(a->ecs[a->necs++], 1, 0);
	if (p->c.mark >= 0 && action != MIT_ACT_DROP)
		flowspec_ec_marking(a->ecs[a->necs++], p->c.mark);
	return 0;
}

struct out_key {
	int		valid;
	uint8_t		fam, withdraw, action;
	uint64_t	rate;
};

static void
out_flush(struct peer *p, struct bgp_update *u, struct out_key *k)
{
	static uint8_t	msg[BGP_MAX_MSG];
	int		n;

	if (!k->valid || u->count == 0)
		return;
	if ((n = bgp_update_finish(u, msg, sizeof(msg))) > 0 &&
	    fsm_send(p, msg, n) == 0)
		p->updates_out++;
	else
		p->io_error = 1;
	bgp_update_reset(u);
}

/*
 * Turns p's queue of changed entries into UPDATEs, packing routes with
 * the same attributes, until the socket buffer is full enough; End-of-RIB
 * follows the first full table.
 */
void
rib_peer_output(struct peer *p)
{
	static struct bgp_update	u;
	struct out_key			k = { 0 };
	struct bgp_attrs		a;
	uint32_t			bit = 1u << p->idx;
	uint8_t				m[64];
	int				f, n;

	if (p->state != ST_ESTABLISHED)
		return;
	while (p->dpos < p->ndirty && p->olen - p->ooff < BGP_OBUF_HIGH &&
	    !p->io_error) {
		struct rt_entry	*e = p->dirty[p->dpos++];
		struct out_key	nk = { 1, e->fam, 0, 0, 0 };
		int		want;

		e->queued &= ~bit;
		want = e->ncontrib > 0 && (p->fams & BGP_FAM_BIT(e->fam)) &&
		    peer_accepts(p, e->fam, e->action) &&
		    peer_attrs(p, e->fam, e->action, e->rate, &a) == 0;
		if (want) {
			nk.action = e->action;
			nk.rate = e->rate;
		} else if (e->sent & bit)
			nk.withdraw = 1;
		else {
			rt_maybe_free(e);
			continue;
		}
		if (!k.valid || nk.fam != k.fam || nk.withdraw != k.withdraw ||
		    nk.action != k.action || nk.rate != k.rate) {
			out_flush(p, &u, &k);
			k = nk;
			if (bgp_update_init(&u, k.fam, k.withdraw, &a) < 0) {
				k.valid = 0;
				continue;
			}
		}
		if (bgp_update_add(&u, e->nlri, e->nlen) == -ENOSPC) {
			out_flush(p, &u, &k);
			(void)bgp_update_add(&u, e->nlri, e->nlen);
		}
		if (want && !(e->sent & bit)) {
			e->sent |= bit;
			p->nsent++;
		} else if (!want) {
			e->sent &= ~bit;
			p->nsent--;
			rt_maybe_free(e);
		}
	}
	out_flush(p, &u, &k);
	if (p->dpos == p->ndirty) {
		p->dpos = p->ndirty = 0;
		for (f = 0; f < BGP_FAM_MAX && p->eor_pending; f++) {
			if (!(p->eor_pending & p->fams & BGP_FAM_BIT(f)))
				continue;
			if ((n = bgp_eor_build(m, sizeof(m), f)) > 0)
				fsm_send(p, m, n);
		}
		if (p->eor_pending)
			log_peer_debug(p, "End-of-RIB sent, %u routes",
			    p->nsent);
		p->eor_pending = 0;
	}
	fsm_flush(p);
}

/* ------------------------------------------------------------------ */
/* The thread                                                         */
/* ------------------------------------------------------------------ */

static void
speaker_wake(void)
{
	uint8_t	c = 1;

	if (bgp_sp.wake[1] >= 0)
		(void)write(bgp_sp.wake[1], &c, 1);
}

static int
listener_open(struct bgp_listener *l)
{
	int	one = 1, i, fd;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	/* RFC 2385: keys of the peers that use MD5 on this socket */
	for (i = 0; i < bgp_sp.npeers; i++) {
		struct peer		*p = bgp_sp.peers[i];
		struct tcp_md5sig	md;

		if (!p->c.md5[0] || p->c.addr.ss_family != l->addr.ss_family)
			continue;
		memset(&md, 0, sizeof(md));
		memcpy(&md.tcpm_addr, &p->c.addr, sizeof(md.tcpm_addr));
		md.tcpm_keylen = strlen(p->c.md5);
		memcpy(md.tcpm_key, p->c.md5, md.tcpm_keylen);
		if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md,
		    sizeof(md)) < 0) {
			i = -errno;
			close(fd);
			return i;
		}
	}
	if (bind(fd, (struct sockaddr *)&l->addr, l->addrlen) < 0 ||
	    listen(fd, 16) < 0) {
		i = -errno;
		close(fd);
		return i;
	}
	l->fd = fd;
	return 0;
}

static void *
speaker_main(void *arg)
{
	struct pollfd	pfd[1 + BGP_MAX_LISTEN + BGP_MAX_PEERS];
	struct peer	*pp[BGP_MAX_PEERS];
	int		i, n, np, timeout;
	int64_t		now, next, last_tick = 0;
	uint8_t		drain[64];

	(void)arg;
	pthread_mutex_lock(&bgp_sp.mtx);
	for (i = 0; i < bgp_sp.npeers; i++)
		fsm_event(bgp_sp.peers[i], EV_START);
	while (!bgp_sp.stopping) {
		n = 0;
		pfd[n++] = (struct pollfd){ bgp_sp.wake[0], POLLIN, 0 };
		for (i = 0; i < bgp_sp.nlisten; i++)
			pfd[n++] = (struct pollfd){ bgp_sp.listen[i].fd,
			    POLLIN, 0 };
		now = bgp_now_ms();
		next = now + 1000;
		for (np = 0, i = 0; i < bgp_sp.npeers; i++) {
			struct peer	*p = bgp_sp.peers[i];
			short		ev = POLLIN;

			if (p->t_retry && p->t_retry < next)
				next = p->t_retry;
			if (p->t_hold && p->t_hold < next)
				next = p->t_hold;
			if (p->t_keepalive && p->t_keepalive < next)
				next = p->t_keepalive;
			if (p->fd < 0)
				continue;
			if (p->state == ST_CONNECT || p->olen > p->ooff)
				ev |= POLLOUT;
			else if (p->state == ST_ESTABLISHED &&
			    p->dpos < p->ndirty)
				next = now;
			pp[np++] = p;
			pfd[n++] = (struct pollfd){ p->fd, ev, 0 };
		}
		timeout = next <= now ? 0 : (int)(next - now);
		pthread_mutex_unlock(&bgp_sp.mtx);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			log_warn("bgp: poll");
		pthread_mutex_lock(&bgp_sp.mtx);
		if (pfd[0].revents & POLLIN)
			while (read(bgp_sp.wake[0], drain, sizeof(drain)) > 0)
				;
		for (i = 0; i < bgp_sp.nlisten; i++)
			if (pfd[1 + i].revents & POLLIN)
				fsm_accept(&bgp_sp.listen[i]);
		for (i = 0; i < np; i++) {
			short re = pfd[1 + bgp_sp.nlisten + i].revents;

			/* the fd may have changed by a collision meanwhile */
			if (re && pp[i]->fd == pfd[1 + bgp_sp.nlisten + i].fd)
				fsm_handle_io(pp[i], re);
		}
		now = bgp_now_ms();
		for (i = 0; i < bgp_sp.npeers; i++)
			fsm_timers(bgp_sp.peers[i], now);
		if (now - last_tick >= 1000) {
			last_tick = now;
			if (bgp_sp.damping)
				damp_tick(now);
		}
		for (i = 0; i < bgp_sp.npeers; i++) {
			struct peer *p = bgp_sp.peers[i];

			rib_peer_output(p);
			if (p->io_error && p->fd >= 0)
				fsm_event(p, EV_CONN_FAIL);
		}
	}
	for (i = 0; i < bgp_sp.npeers; i++)
		fsm_event(bgp_sp.peers[i], EV_STOP);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return NULL;
}

static int
bgp_start(char *err, size_t errlen)
{
	int	i, r;

	if (!speaker_configured) {
		speaker_defaults();
		speaker_configured = 1;
	}
	if (bgp_sp.running)
		return speaker_err(err, errlen, -EBUSY, "already started");
	if (bgp_sp.router_id == 0 || bgp_sp.local_as == 0)
		return speaker_err(err, errlen, -EINVAL,
		    "router-id and local-as are required");
	for (i = 0; i < bgp_sp.npeers; i++)
		if (bgp_sp.peers[i]->c.passive && bgp_sp.nlisten == 0)
			return speaker_err(err, errlen, -EINVAL,
			    "neighbor %s is passive but nothing listens",
			    bgp_sp.peers[i]->c.name);
	if (rt_hash == NULL &&
	    (rt_hash = calloc(RT_HASH_SIZE, sizeof(*rt_hash))) == NULL)
		return -ENOMEM;
	for (i = 0; i < bgp_sp.nlisten; i++)
		if ((r = listener_open(&bgp_sp.listen[i])) < 0) {
			while (--i >= 0) {
				close(bgp_sp.listen[i].fd);
				bgp_sp.listen[i].fd = -1;
			}
			return speaker_err(err, errlen, r, "listen: %s",
			    strerror(-r));
		}
	if (pipe2(bgp_sp.wake, O_NONBLOCK | O_CLOEXEC) < 0)
		return speaker_err(err, errlen, -errno, "pipe: %s",
		    strerror(errno));
	srandom(getpid() ^ bgp_now_ms());
	bgp_sp.stopping = 0;
	if ((r = pthread_create(&bgp_sp.thread, NULL, speaker_main,
	    NULL)) != 0) {
		close(bgp_sp.wake[0]);
		close(bgp_sp.wake[1]);
		bgp_sp.wake[0] = bgp_sp.wake[1] = -1;
		return speaker_err(err, errlen, -r, "thread: %s",
		    strerror(r));
	}
	bgp_sp.running = 1;
	log_info("bgp: AS %u, router-id %s, %d neighbors", bgp_sp.local_as,
	    inet_ntoa(*(struct in_addr *)&bgp_sp.router_id), bgp_sp.npeers);
	return 0;
}

static void
bgp_stop(void)
{
	struct group	*g;
	uint32_t	i;
	int		k;

	if (bgp_sp.running) {
		pthread_mutex_lock(&bgp_sp.mtx);
		bgp_sp.stopping = 1;
		pthread_mutex_unlock(&bgp_sp.mtx);
		speaker_wake();
		pthread_join(bgp_sp.thread, NULL);
		bgp_sp.running = 0;
	}
	while ((g = groups) != NULL) {
		groups = g->next;
		free(g->routes);
		free(g);
	}
	if (rt_hash)
		for (i = 0; i < RT_HASH_SIZE; i++)
			while (rt_hash[i]) {
				struct rt_entry *e = rt_hash[i];

				rt_hash[i] = e->hnext;
				free(e->contrib);
				free(e);
			}
	free(rt_hash);
	rt_hash = NULL;
	free(damps);
	damps = NULL;
	ndamps = cdamps = 0;
	for (k = 0; k < bgp_sp.npeers; k++) {
		struct peer *p = bgp_sp.peers[k];

		if (p->fd >= 0)
			close(p->fd);
		free(p->ibuf);
		free(p->obuf);
		free(p->dirty);
		explicit_bzero(p->c.md5, sizeof(p->c.md5));
		free(p);
	}
	bgp_sp.npeers = 0;
	for (k = 0; k < bgp_sp.nlisten; k++)
		if (bgp_sp.listen[k].fd >= 0)
			close(bgp_sp.listen[k].fd);
	bgp_sp.nlisten = 0;
	for (k = 0; k < 2; k++)
		if (bgp_sp.wake[k] >= 0) {
			close(bgp_sp.wake[k]);
			bgp_sp.wake[k] = -1;
		}
	speaker_configured = 0;
}

/* ------------------------------------------------------------------ */
/* Backend API                                                        */
/* ------------------------------------------------------------------ */

struct new_route {
	uint8_t		fam;
	uint8_t		action;
	uint64_t	rate;
	uint16_t	nlen;
	uint32_t	off;	/* into the arena */
};

struct new_set {
	struct new_route	*v;
	size_t			n, cap;
	uint8_t			*arena;
	size_t			alen, acap;
};

static int
newset_add(struct new_set *s, uint8_t fam, uint8_t action, uint64_t rate,
    const uint8_t *nlri, size_t len)
{
	size_t	i;

	/* two rules of a group may encode alike: one route, stronger action */
	for (i = 0; i < s->n; i++) {
		struct new_route *o = &s->v[i];

		if (o->fam != fam || o->nlen != len ||
		    memcmp(s->arena + o->off, nlri, len) != 0)
			continue;
		if (action == MIT_ACT_DROP ||
		    (action == o->action && rate < o->rate)) {
			o->action = action;
			o->rate = rate;
		}
		return 0;
	}
	if (s->n == s->cap) {
		size_t			cap = s->cap ? s->cap * 2 : 64;
		struct new_route	*n = reallocarray(s->v, cap,
		    sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	if (s->alen + len > s->acap) {
		size_t	cap = s->acap ? s->acap * 2 : 8192;
		uint8_t	*n;

		while (cap < s->alen + len)
			cap *= 2;
		if ((n = realloc(s->arena, cap)) == NULL)
			return -ENOMEM;
		s->arena = n;
		s->acap = cap;
	}
	memcpy(s->arena + s->alen, nlri, len);
	s->v[s->n++] = (struct new_route){ fam, action, rate, len, s->alen };
	s->alen += len;
	return 0;
}

/*
 * Encodes every rule of rs. ACCEPT rules are not announced (flowspec has
 * no accept action whose precedence every upstream honours); instead a
 * drop or rate rule that may overlap an accept exception of the same
 * group is kept local too, so upstream never filters more than the group
 * means. Returns 0 or -errno with the reason in err.
 */
static int
encode_group(const struct mit_ruleset *rs, struct new_set *s,
    struct flowspec_nlri *nl, uint32_t *withheld, char *err, size_t errlen)
{
	uint32_t	i, j;
	int		n, k, r;

	*withheld = 0;
	if (rs->nrules > MIT_MAX_GROUP_RULES)
		return speaker_err(err, errlen, -EINVAL, "too many rules");
	for (i = 0; i < rs->nrules; i++) {
		const struct mit_rule	*rule = &rs->rules[i];
		uint8_t			action = rule->action;
		uint64_t		rate = rule->rate;
		int			fam, v6 = rule->dst.family == AF_INET6;

		if (rule->dst.family != AF_INET && !v6)
			return speaker_err(err, errlen, -EINVAL,
			    "rule %u: no destination", rule->id);
		if (action == MIT_ACT_ACCEPT)
			continue;	/* an exception is never announced */
		if (rule->kind == MIT_KIND_RTBH) {
			uint8_t	buf[RTBH_NLRI_MAX];

			r = rtbh_check(rule, bgp_sp.rtbh_min_len4,
			    bgp_sp.rtbh_min_len6);
			if (r == -EPERM)
				return speaker_err(err, errlen, r,
				    "rule %u: RTBH prefix /%u shorter than "
				    "/%u", rule->id, rule->dst.len, v6 ?
				    bgp_sp.rtbh_min_len6 :
				    bgp_sp.rtbh_min_len4);
			if (r < 0)
				return speaker_err(err, errlen, r,
				    "rule %u: bad RTBH prefix", rule->id);
			n = rtbh_nlri(&rule->dst, buf);
			if ((r = newset_add(s, v6 ? BGP_FAM_UNI6 :
			    BGP_FAM_UNI4, MIT_ACT_DROP, 0, buf, n)) < 0)
				return r;
			continue;
		}
		if (rule->kind != MIT_KIND_FLOW)
			return speaker_err(err, errlen, -EOPNOTSUPP,
			    "rule %u: unknown kind %u", rule->id, rule->kind);
		if (rule->dst.len < (v6 ? bgp_sp.min_len6 : bgp_sp.min_len4))
			return speaker_err(err, errlen, -EPERM,
			    "rule %u: prefix /%u shorter than /%u", rule->id,
			    rule->dst.len, v6 ? bgp_sp.min_len6 :
			    bgp_sp.min_len4);
		if (action > MIT_ACT_ACCEPT)
			return speaker_err(err, errlen, -EOPNOTSUPP,
			    "rule %u: unknown action %u", rule->id, action);
		for (j = 0; j < rs->nrules; j++)
			if (rs->rules[j].kind == MIT_KIND_FLOW &&
			    rs->rules[j].action == MIT_ACT_ACCEPT &&
			    !flowspec_disjoint(rule, &rs->rules[j]))
				break;
		if (j < rs->nrules) {
			(*withheld)++;
			continue;
		}
		rt_norm_action(&action, &rate);
		n = flowspec_encode(rule, bgp_sp.nlri_max, nl,
		    FLOWSPEC_MAX_SPLIT);
		if (n < 0)
			return speaker_err(err, errlen, n == -E2BIG ?
			    -EOPNOTSUPP : n, "rule %u: flowspec cannot "
			    "express it (%s)", rule->id, strerror(-n));
		fam = v6 ? BGP_FAM_FLOW6 : BGP_FAM_FLOW4;
		for (k = 0; k < n; k++)
			if ((r = newset_add(s, fam, action, rate, nl[k].buf,
			    nl[k].len)) < 0)
				return r;
	}
	return 0;
}

/*
 * Per-peer ceilings: the routes p would want after replacing group g by
 * the new set. Returns the first peer over its max-announce, or NULL.
 */
static struct peer *
ceiling_check(const struct group *g, uint64_t id, const struct new_set *s,
    uint32_t *would)
{
	int	k;
	size_t	i;

	for (k = 0; k < bgp_sp.npeers; k++) {
		struct peer	*p = bgp_sp.peers[k];
		int64_t		cnt = p->nwant;

		if (!p->c.max_announce)
			continue;
		/* routes only this group holds go away... */
		for (i = 0; g && i < g->nroutes; i++) {
			struct rt_entry	*e = g->routes[i];

			if (e->ncontrib == 1 && e->contrib[0].group == id &&
			    peer_accepts(p, e->fam, e->action))
				cnt--;
		}
		/* ...and the new set's routes nobody else holds come */
		for (i = 0; i < s->n; i++) {
			const struct new_route	*nr = &s->v[i];
			const uint8_t		*nlri = s->arena + nr->off;
			struct rt_entry		*e;

			if (!peer_accepts(p, nr->fam, nr->action))
				continue;
			e = rt_find(nr->fam, nlri, nr->nlen,
			    rt_hashval(nr->fam, nlri, nr->nlen));
			if (e == NULL || e->ncontrib == 0 ||
			    (e->ncontrib == 1 && e->contrib[0].group == id))
				cnt++;
		}
		if (cnt > (int64_t)p->c.max_announce) {
			*would = cnt;
			return p;
		}
	}
	return NULL;
}

static int
bgp_apply(const struct mit_ruleset *rs, char *err, size_t errlen)
{
	struct new_set		s = { 0 };
	struct flowspec_nlri	*nl;
	struct rt_txn		t = { 0 };
	struct group		*g, *ng = NULL;
	struct peer		*over;
	struct rt_entry		**routes = NULL;
	uint32_t		withheld, would, i;
	size_t			k;
	int			r;

	if (!bgp_sp.running)
		return speaker_err(err, errlen, -ENOTCONN, "not started");
	if ((nl = calloc(FLOWSPEC_MAX_SPLIT, sizeof(*nl))) == NULL)
		return -ENOMEM;
	/* encoding needs no lock: it touches only rs and local memory */
	r = encode_group(rs, &s, nl, &withheld, err, errlen);
	free(nl);
	if (r < 0)
		goto out;

	pthread_mutex_lock(&bgp_sp.mtx);
	g = group_find(rs->group, NULL);
	if ((over = ceiling_check(g, rs->group, &s, &would)) != NULL) {
		r = speaker_err(err, errlen, -E2BIG, "neighbor %s: %u routes "
		    "would exceed max-announce %u", over->c.name, would,
		    over->c.max_announce);
		goto unlock;
	}
	if ((routes = calloc(s.n ? s.n : 1, sizeof(*routes))) == NULL ||
	    (g == NULL && (ng = calloc(1, sizeof(*ng))) == NULL)) {
		r = -ENOMEM;
		goto unlock;
	}
	/* allocate everything first, so nothing can fail halfway */
	for (k = 0; k < s.n; k++) {
		const struct new_route *nr = &s.v[k];

		if ((routes[k] = rt_get(nr->fam, s.arena + nr->off,
		    nr->nlen)) == NULL || txn_touch(&t, routes[k]) < 0 ||
		    rt_contrib_reserve(routes[k]) < 0) {
			/* nothing changed yet: this only frees new entries */
			if (routes[k] && !routes[k]->touched)
				rt_maybe_free(routes[k]);
			txn_commit(&t);
			r = -ENOMEM;
			goto unlock;
		}
	}
	if (g) {
		for (i = 0; i < g->nroutes; i++) {
			(void)txn_touch(&t, g->routes[i]);
			rt_contrib_del(g->routes[i], rs->group);
		}
		free(g->routes);
	} else {
		g = ng;
		ng = NULL;
		g->id = rs->group;
		g->next = groups;
		groups = g;
	}
	for (k = 0; k < s.n; k++)
		(void)rt_contrib_add(routes[k], rs->group, s.v[k].action,
		    s.v[k].rate);
	g->routes = routes;
	g->nroutes = s.n;
	g->linger_since = 0;
	routes = NULL;
	txn_commit(&t);
	if (withheld)
		log_info("bgp: group %llu: %u rules kept local (they overlap "
		    "an accept exception)", (unsigned long long)rs->group,
		    withheld);
	r = 0;
unlock:
	pthread_mutex_unlock(&bgp_sp.mtx);
	if (r == 0)
		speaker_wake();
out:
	free(routes);
	free(ng);
	free(s.v);
	free(s.arena);
	return r;
}

static int
bgp_withdraw(uint64_t group, char *err, size_t errlen)
{
	struct group	*g;
	struct damp	*d;
	int64_t		now = bgp_now_ms();

	if (!bgp_sp.running)
		return 0;
	pthread_mutex_lock(&bgp_sp.mtx);
	if ((g = group_find(group, NULL)) == NULL || g->linger_since) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return 0;
	}
	if (bgp_sp.damping && (d = damp_get(group, 1)) != NULL) {
		damp_decay(d, now);
		d->penalty += DAMP_PENALTY;
		if (d->penalty >= bgp_sp.suppress) {
			g->linger_since = now;
			log_info("bgp: damping: group %llu flaps (penalty "
			    "%.0f), its withdraw waits", (unsigned long long)group,
			    d->penalty);
			pthread_mutex_unlock(&bgp_sp.mtx);
			return 0;
		}
	}
	group_remove(g);
	pthread_mutex_unlock(&bgp_sp.mtx);
	speaker_wake();
	return 0;
}

static int
bgp_stats(uint64_t group, struct mit_stats *st)
{
	struct group	*g;
	uint32_t	i, peers = 0, up = 0;
	int		k;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&bgp_sp.mtx);
	if ((g = group_find(group, NULL)) == NULL || g->linger_since) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return -ENOENT;
	}
	for (k = 0; k < bgp_sp.npeers; k++)
		if (bgp_sp.peers[k]->state == ST_ESTABLISHED)
			up |= 1u << k;
	for (i = 0; i < g->nroutes; i++) {
		if (g->routes[i]->sent & up)
			st->announced++;
		peers |= g->routes[i]->sent & up;
	}
	st->peers_up = __builtin_popcount(peers);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return 0;
}

static int
bgp_list(void (*fn)(uint64_t, void *), void *arg)
{
	struct group	*g;
	uint64_t	*ids = NULL, *n;
	size_t		cnt = 0, cap = 0, i;

	pthread_mutex_lock(&bgp_sp.mtx);
	for (g = groups; g; g = g->next) {
		if (g->linger_since)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if ((n = reallocarray(ids, cap, sizeof(*ids))) == NULL) {
				pthread_mutex_unlock(&bgp_sp.mtx);
				free(ids);
				return -ENOMEM;
			}
			ids = n;
		}
		ids[cnt++] = g->id;
	}
	pthread_mutex_unlock(&bgp_sp.mtx);
	/* called unlocked: fn may call back into the backend */
	for (i = 0; i < cnt; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}

int
bgp_speaker_peers_up(void)
{
	int	k, n = 0;

	pthread_mutex_lock(&bgp_sp.mtx);
	for (k = 0; k < bgp_sp.npeers; k++)
		n += bgp_sp.peers[k]->state == ST_ESTABLISHED;
	pthread_mutex_unlock(&bgp_sp.mtx);
	return n;
}

/* One line about neighbor i; returns -ENOENT past the last. */
int
bgp_speaker_peer_info(int i, char *buf, size_t len)
{
	struct peer	*p;

	pthread_mutex_lock(&bgp_sp.mtx);
	if (i < 0 || i >= bgp_sp.npeers) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return -ENOENT;
	}
	p = bgp_sp.peers[i];
	snprintf(buf, len, "neighbor %s state %s sent %u pending %zu "
	    "updates-in %llu nlri-in %llu withdrawn-in %llu "
	    "treat-as-withdraw %llu updates-out %llu refreshes-in %llu "
	    "established %llu", p->c.name, fsm_state_name(p->state),
	    p->nsent, p->ndirty - p->dpos,
	    (unsigned long long)p->updates_in,
	    (unsigned long long)p->nlri_in,
	    (unsigned long long)p->withdrawn_in,
	    (unsigned long long)p->treat_as_withdraw,
	    (unsigned long long)p->updates_out,
	    (unsigned long long)p->refreshes_in,
	    (unsigned long long)p->established);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return 0;
}

const struct mit_backend bgp_backend = {
	.name = "bgp",
	.configure = bgp_configure,
	.start = bgp_start,
	.stop = bgp_stop,
	.apply = bgp_apply,
	.withdraw = bgp_withdraw,
	.stats = bgp_stats,
	.list = bgp_list,
};
