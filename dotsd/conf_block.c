/*
 * conf_block.c: dotsd.conf blocks. "session idle|mitigating { }" holds
 * negotiable ranges, "client NAME { }" an identity, its prefixes and its
 * policy, and "xdp|bgp|mitigation { }" key/value lines kept opaque for
 * their backends.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dotsd/conf_int.h"

static void
client_defaults(struct client_conf *cl)
{
	cl->max_mitigations = 64;
	cl->policy.backends = MIT_WHERE_XDP;
	cl->policy.pin_level = -1;
	cl->policy.max_rules = 0;		/* engine's ceiling only */
}

/* NAME MIN..MAX default CUR, integers or (centi) decimals. */
int
conf_block_sess(struct parser *p, const struct stmt *st, int kw)
{
	struct sess_params *sp = p->sess;
	struct cfg_range *rg, nr;
	char	 lo[32], *dots;
	int	 centi = 0, r1, r2, r3;
	uint32_t floor = 0;

	switch (kw) {
	case KW_HEARTBEAT_INTERVAL:
		rg = &sp->hb_interval;
		break;
	case KW_MISSING_HB_ALLOWED:
		rg = &sp->missing_hb;
		break;
	case KW_PROBING_RATE:
		rg = &sp->probing_rate;
		break;
	case KW_MAX_RETRANSMIT:
		rg = &sp->max_retransmit;
		break;
	case KW_ACK_TIMEOUT:
		rg = &sp->ack_timeout;
		centi = 1;
		floor = 100;	/* RFC 7252 §4.8: ACK_TIMEOUT >= 1 s */
		break;
	case KW_ACK_RANDOM_FACTOR:
		rg = &sp->ack_random_factor;
		centi = 1;
		floor = 100;	/* RFC 7252 §4.8: ACK_RANDOM_FACTOR >= 1.0 */
		break;
	default:
		return conf_perr(p, st->line, "\"%s\" is not valid in a session "
		    "block", st->tok[0].s);
	}
	if (st->ntok != 4 || strcmp(st->tok[2].s, "default") != 0 ||
	    (dots = strstr(st->tok[1].s, "..")) == NULL ||
	    (size_t)(dots - st->tok[1].s) >= sizeof(lo))
		return conf_perr(p, st->line, "usage: %s MIN..MAX default CUR",
		    st->tok[0].s);
	memcpy(lo, st->tok[1].s, (size_t)(dots - st->tok[1].s));
	lo[dots - st->tok[1].s] = '\0';
	if (centi) {
		r1 = conf_value_centi(lo, &nr.min);
		r2 = conf_value_centi(dots + 2, &nr.max);
		r3 = conf_value_centi(st->tok[3].s, &nr.cur);
	} else {
		/* YANG uint16 (RFC 9132 §5.3). */
		r1 = conf_value_u32(lo, 0, 65535, &nr.min);
		r2 = conf_value_u32(dots + 2, 0, 65535, &nr.max);
		r3 = conf_value_u32(st->tok[3].s, 0, 65535, &nr.cur);
	}
	if (r1 != 0 || r2 != 0 || r3 != 0)
		return conf_perr(p, st->line, "%s: bad number%s", st->tok[0].s,
		    centi ? " (decimal with at most 2 digits)" : "");
	if (centi && nr.max > 65535)
		return conf_perr(p, st->line, "%s: too large", st->tok[0].s);
	if (nr.min > nr.max)
		return conf_perr(p, st->line, "%s: min %s > max", st->tok[0].s, lo);
	if (nr.cur < nr.min || nr.cur > nr.max)
		return conf_perr(p, st->line, "%s: default %s outside %s",
		    st->tok[0].s, st->tok[3].s, st->tok[1].s);
	if (nr.min < floor)
		return conf_perr(p, st->line, "%s: must be at least 1.00",
		    st->tok[0].s);
	*rg = nr;
	return 0;
}

static int
st_identity(struct parser *p, const struct stmt *st)
{
	static const char usage[] = "identity spki-sha256 HEX | cn \"X\" | "
	    "san-dns \"X\" | psk \"ID\" key HEX";
	struct client_conf *cl = p->client;
	uint8_t	 spki[32];
	int	 n, i;
	const char *kind;

	if (cl->id_kind != ID_NONE)
		return conf_perr(p, st->line, "client \"%s\": more than one identity",
		    cl->name);
	if (st->ntok < 3)
		return conf_perr(p, st->line, "usage: %s", usage);
	kind = st->tok[1].s;
	if (strcmp(kind, "spki-sha256") == 0 && st->ntok == 3) {
		if (conf_value_hex(st->tok[2].s, spki, sizeof(spki)) != 32)
			return conf_perr(p, st->line, "spki-sha256 needs 32 bytes "
			    "of hex");
		for (i = 0; i < 32; i++)
			snprintf(cl->id_value + 2 * i, 3, "%02x", spki[i]);
		cl->id_kind = ID_SPKI_SHA256;
	} else if (strcmp(kind, "cn") == 0 && st->ntok == 3) {
		if (conf_value_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		cl->id_kind = ID_SUBJECT_CN;
	} else if (strcmp(kind, "san-dns") == 0 && st->ntok == 3) {
		if (conf_value_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		cl->id_kind = ID_SAN_DNS;
	} else if (strcmp(kind, "psk") == 0 && st->ntok == 5 &&
	    strcmp(st->tok[3].s, "key") == 0) {
		if (conf_value_str(p, st->line, cl->id_value, sizeof(cl->id_value),
		    st->tok[2].s, "identity") != 0)
			return -EINVAL;
		n = conf_value_hex(st->tok[4].s, cl->psk_key, sizeof(cl->psk_key));
		if (n < 0)
			return conf_perr(p, st->line, "psk key: 1 to %zu bytes of "
			    "hex", sizeof(cl->psk_key));
		cl->psk_len = (size_t)n;
		cl->id_kind = ID_PSK;
	} else
		return conf_perr(p, st->line, "usage: %s", usage);
	return 0;
}

static int
st_prefix(struct parser *p, const struct stmt *st)
{
	struct client_conf *cl = p->client;
	struct mit_prefix pfx;
	uint32_t i;
	int	 t;

	if (st->ntok < 2)
		return conf_perr(p, st->line, "usage: prefix P ...");
	for (t = 1; t < st->ntok; t++) {
		if (prefix_parse(st->tok[t].s, &pfx) != 0)
			return conf_perr(p, st->line, "%s \"%s\"",
			    conf_value_prefix_why(st->tok[t].s), st->tok[t].s);
		for (i = 0; i < cl->nprefixes; i++)
			if (memcmp(&cl->prefixes[i], &pfx, sizeof(pfx)) == 0)
				return conf_perr(p, st->line, "duplicate prefix "
				    "\"%s\"", st->tok[t].s);
		if (cl->nprefixes == CONF_MAX_PREFIXES)
			return conf_perr(p, st->line, "more than %d prefixes",
			    CONF_MAX_PREFIXES);
		cl->prefixes[cl->nprefixes++] = pfx;
	}
	return 0;
}

static int
st_mitigate_with(struct parser *p, const struct stmt *st)
{
	uint8_t	w = 0;
	int	i;

	if (st->ntok < 2)
		return conf_perr(p, st->line, "usage: mitigate-with xdp|flowspec|"
		    "rtbh ...");
	for (i = 1; i < st->ntok; i++) {
		if (strcmp(st->tok[i].s, "xdp") == 0)
			w |= MIT_WHERE_XDP;
		else if (strcmp(st->tok[i].s, "flowspec") == 0)
			w |= MIT_WHERE_FLOWSPEC;
		else if (strcmp(st->tok[i].s, "rtbh") == 0)
			w |= MIT_WHERE_RTBH;
		else
			return conf_perr(p, st->line, "mitigate-with: unknown "
			    "backend \"%s\"", st->tok[i].s);
	}
	p->client->policy.backends = w;
	return 0;
}

static int
st_pin_level(struct parser *p, const struct stmt *st)
{
	static const char *const levels[] = {
		[MIT_LEVEL_LOCAL] = "local",
		[MIT_LEVEL_FLOWSPEC] = "flowspec",
		[MIT_LEVEL_RTBH] = "rtbh",
	};
	int	i;

	if (conf_value_need(p, st, 2, "pin-level auto|local|flowspec|rtbh") != 0)
		return -EINVAL;
	if (strcmp(st->tok[1].s, "auto") == 0) {
		p->client->policy.pin_level = -1;
		return 0;
	}
	for (i = 0; i < 3; i++)
		if (strcmp(st->tok[1].s, levels[i]) == 0) {
			p->client->policy.pin_level = (int8_t)i;
			return 0;
		}
	return conf_perr(p, st->line, "usage: pin-level auto|local|flowspec|rtbh");
}

int
conf_block_client(struct parser *p, const struct stmt *st, int kw)
{
	struct client_conf *cl = p->client;
	uint32_t v;
	int	 r;

	switch (kw) {
	case KW_IDENTITY:
		return st_identity(p, st);
	case KW_PREFIX:
		return st_prefix(p, st);
	case KW_MAX_MITIGATIONS:
		if ((r = conf_value_st_u32(p, st, 1, 1000000, &v)) == 0)
			cl->max_mitigations = v;
		return r;
	case KW_MAX_LIFETIME:
		if ((r = conf_value_st_u32(p, st, 1, UINT32_MAX - 1, &v)) == 0)
			cl->max_lifetime = v;
		return r;
	case KW_INDEFINITE_LIFETIME:
		return conf_value_st_yesno(p, st, &cl->allow_indefinite);
	case KW_MIN_PREFIX_LEN4:
		if ((r = conf_value_st_u32(p, st, 0, 32, &v)) == 0)
			cl->min_len4 = (uint8_t)v;
		return r;
	case KW_MIN_PREFIX_LEN6:
		if ((r = conf_value_st_u32(p, st, 0, 128, &v)) == 0)
			cl->min_len6 = (uint8_t)v;
		return r;
	case KW_GATEWAY:
		return conf_value_st_yesno(p, st, &cl->gateway);
	case KW_MITIGATE_WITH:
		return st_mitigate_with(p, st);
	case KW_PIN_LEVEL:
		return st_pin_level(p, st);
	case KW_MAX_RULES:
		if ((r = conf_value_st_u32(p, st, 0, UINT32_MAX, &v)) == 0)
			cl->policy.max_rules = v;
		return r;
	default:
		return conf_perr(p, st->line, "\"%s\" is not valid in a client "
		    "block", st->tok[0].s);
	}
}

static int
kv_append(struct kv_conf *kv, size_t *used, const char *s)
{
	size_t	n = strlen(s);

	if (*used + n >= sizeof(kv->value))
		return -E2BIG;
	memcpy(kv->value + *used, s, n + 1);
	*used += n;
	return 0;
}

/* A line of xdp/bgp/mitigation: first word = key, the rest = value. */
int
conf_block_opaque(struct parser *p, const struct stmt *st)
{
	struct dotsd_conf *c = p->conf;
	struct kv_conf *kv, *nkv;
	const char *q;
	char	 esc[3];
	size_t	 used = 0;
	int	 i, r = 0;

	if (st->tok[0].quoted)
		return conf_perr(p, st->line, "keyword expected, not a string");
	if (strlen(st->tok[0].s) >= sizeof(kv->key))
		return conf_perr(p, st->line, "keyword too long");
	if ((c->nkv & 15) == 0) {
		nkv = reallocarray(c->kv, (size_t)c->nkv + 16, sizeof(*c->kv));
		if (nkv == NULL)
			return conf_perr(p, st->line, "out of memory");
		c->kv = nkv;
	}
	kv = &c->kv[c->nkv];
	memset(kv, 0, sizeof(*kv));
	strcpy(kv->section, p->section);
	strcpy(kv->key, st->tok[0].s);
	kv->line = st->line;
	/*
	 * Words joined by one blank; quoted ones keep their quotes (and
	 * escapes), so that the value prints back as it was written.
	 */
	for (i = 1; i < st->ntok; i++) {
		if (i > 1 && (r = kv_append(kv, &used, " ")) != 0)
			break;
		if (!st->tok[i].quoted) {
			if ((r = kv_append(kv, &used, st->tok[i].s)) != 0)
				break;
			continue;
		}
		r = kv_append(kv, &used, "\"");
		for (q = st->tok[i].s; r == 0 && *q != '\0'; q++) {
			esc[0] = '\\';
			esc[1] = *q;
			esc[2] = '\0';
			r = kv_append(kv, &used, *q == '"' || *q == '\\' ?
			    esc : esc + 1);
		}
		if (r == 0)
			r = kv_append(kv, &used, "\"");
		if (r != 0)
			break;
	}
	if (r != 0)
		return conf_perr(p, st->line, "value too long");
	c->nkv++;
	return 0;
}

int
conf_block_open_client(struct parser *p, const struct stmt *st)
{
	struct dotsd_conf *c = p->conf;
	struct client_conf *ncl, *cl;
	int	i;

	if (st->ntok != 2)
		return conf_perr(p, st->line, "usage: client \"NAME\" { ... }");
	if (st->tok[1].s[0] == '\0' || strlen(st->tok[1].s) >= MIT_NAME_LEN)
		return conf_perr(p, st->line, "client name must be 1 to %d "
		    "characters", MIT_NAME_LEN - 1);
	for (i = 0; st->tok[1].s[i] != '\0'; i++)
		if (!isgraph((unsigned char)st->tok[1].s[i]))
			return conf_perr(p, st->line, "client name with blank or "
			    "control character");
	for (i = 0; i < c->nclients; i++)
		if (strcmp(c->clients[i].name, st->tok[1].s) == 0)
			return conf_perr(p, st->line, "duplicate client \"%s\" "
			    "(first at line %d)", st->tok[1].s,
			    c->clients[i].line);
	if ((c->nclients & 7) == 0) {
		ncl = reallocarray(c->clients, (size_t)c->nclients + 8,
		    sizeof(*c->clients));
		if (ncl == NULL)
			return conf_perr(p, st->line, "out of memory");
		c->clients = ncl;
	}
	cl = &c->clients[c->nclients++];
	memset(cl, 0, sizeof(*cl));
	client_defaults(cl);
	strcpy(cl->name, st->tok[1].s);
	cl->line = st->line;
	p->client = cl;
	p->ctx = CTX_CLIENT;
	return 0;
}
