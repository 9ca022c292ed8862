/*
 * conf.h: dotsd.conf as parsed (conf.c/parse.y), printed (printconf.c) and
 * used to identify and authorize clients (authz.c). Owner: config/authz.
 */
#ifndef DOTSD_CONF_H
#define DOTSD_CONF_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "mitigate/mitigate.h"

#define DOTS_PORT		4646
#define CONF_MAX_LISTEN		16
#define CONF_MAX_PREFIXES	64	/* per client */
#define CONF_MAX_DC_LISTEN	4	/* data channel listeners */
#define DC_PORT			443	/* RESTCONF over HTTPS */

enum listen_proto {
	LISTEN_DTLS = 0,	/* CoAP over DTLS, UDP */
	LISTEN_TLS,		/* CoAP over TLS, TCP (RFC 8323) */
};

struct listen_conf {
	uint8_t		proto;		/* enum listen_proto */
	char		addr[64];	/* numeric v4/v6 address */
	uint16_t	port;
	int		line;
};

/* One negotiable session parameter (RFC 9132 §4.5): the server's range. */
struct cfg_range {
	uint32_t	min, max, cur;	/* decimals (ack-*) in hundredths */
};

struct sess_params {
	struct cfg_range hb_interval;		/* seconds; 0 disables */
	struct cfg_range missing_hb;
	struct cfg_range probing_rate;		/* bytes/s */
	struct cfg_range max_retransmit;
	struct cfg_range ack_timeout;		/* hundredths of a second */
	struct cfg_range ack_random_factor;	/* hundredths */
};

/* How a client is recognized from its (D)TLS credentials. */
enum id_kind {
	ID_NONE = 0,
	ID_SPKI_SHA256,		/* hex SHA-256 of the cert's DER SPKI */
	ID_SUBJECT_CN,		/* subject commonName */
	ID_SAN_DNS,		/* a dNSName subjectAltName */
	ID_PSK,			/* PSK identity (PSK must be enabled) */
};

struct client_conf {
	char		name[MIT_NAME_LEN];
	uint8_t		id_kind;		/* enum id_kind */
	char		id_value[256];
	uint8_t		psk_key[64];
	size_t		psk_len;

	uint32_t	nprefixes;		/* the client's domain */
	struct mit_prefix prefixes[CONF_MAX_PREFIXES];

	uint32_t	max_mitigations;	/* active at once */
	uint8_t		min_len4, min_len6;	/* shortest target prefix */
	uint32_t	max_lifetime;		/* seconds granted at most */
	uint8_t		allow_indefinite;	/* lifetime -1 granted as -1 */
	uint8_t		gateway;		/* may relay cdid */
	struct mit_policy policy;		/* handed to the engine */
	int		line;
};

/* A keyword of a block dotsd hands on unparsed (xdp, bgp, mitigation). */
struct kv_conf {
	char		section[16];
	char		key[64];
	char		value[1024];
	int		line;
};

struct dotsd_conf {
	char		path[PATH_MAX];
	struct listen_conf listen[CONF_MAX_LISTEN];
	int		nlisten;
	struct listen_conf dc_listen[CONF_MAX_DC_LISTEN];	/* RFC 8783 */
	int		ndc_listen;
	char		cert[PATH_MAX];		/* server certificate chain */
	char		key[PATH_MAX];
	char		ca[PATH_MAX];		/* CA for client certificates */
	uint8_t		psk;			/* PSK clients allowed */
	char		db[PATH_MAX];		/* SQLite database */
	char		control[PATH_MAX];	/* dotsctl socket */
	char		yang_dir[PATH_MAX];
	char		metrics_addr[64];	/* "" = no Prometheus endpoint */
	uint16_t	metrics_port;

	uint32_t	default_lifetime;	/* RFC 9132 App. C: 3600 */
	uint32_t	max_lifetime;		/* global ceiling */
	uint32_t	abt_period;		/* active-but-terminating, <= 300 */
	uint32_t	max_sessions;
	struct sess_params idle, mitigating;

	struct client_conf *clients;
	int		nclients;
	struct kv_conf	*kv;
	int		nkv;
	char		resolver[256];	/* c-ares servers csv, "" = resolv.conf */
	uint8_t		signal_off;	/* `signal off`: no DOTS signal channel */
};

/* conf.c: parse path; on error returns -EINVAL and err = "file:line: why". */
int	conf_parse(const char *path, struct dotsd_conf **out, char *err,
	    size_t errlen);
void	conf_free(struct dotsd_conf *);
/* The keyword table is sorted (bsearch): NULL, or the first misplaced one. */
const char *conf_keyword_unsorted(void);
/* printconf.c: the normalized configuration (dotsd -nv). */
void	conf_print(FILE *, const struct dotsd_conf *);

/* authz.c: who is this peer. NULL if no configured client matches. */
const struct client_conf *authz_by_cert(const struct dotsd_conf *,
	    const uint8_t *der, size_t len);
const struct client_conf *authz_by_psk(const struct dotsd_conf *,
	    const char *identity);
const struct client_conf *authz_by_name(const struct dotsd_conf *,
	    const char *name);
/*
 * May client c ask for mitigation of p? 0 if p lies wholly inside the
 * client's domain, is not shorter than its minimum length, and is no
 * loopback, multicast, broadcast, unspecified or link-local space.
 * -EPERM (outside the domain) or -EINVAL (bad address class) with why.
 */
int	authz_prefix(const struct client_conf *c, const struct mit_prefix *p,
	    char *why, size_t whylen);
/*
 * prefix.c: text <-> prefix ("198.18.0.0/15", "2001:db8::1" = /128), 0 or
 * -EINVAL (host bits set too); prefix_valid() is 1 when p is a v4/v6
 * prefix of a possible length with its host bits zero.
 */
int	prefix_parse(const char *s, struct mit_prefix *p);
void	prefix_format(const struct mit_prefix *p, char *buf, size_t len);
int	prefix_valid(const struct mit_prefix *p);

#endif
