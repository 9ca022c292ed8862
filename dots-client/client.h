/*
 * client.h: dots-client, the command-line RFC 9132 signal channel client.
 * Types shared by argument parsing (args.c), body building (body.c),
 * output (print.c), cuid/mid derivation (cuid.c), the CoAP transport
 * (upstream/chan.c, shared with dotsd's upstream backend) and the
 * commands (main.c). Only chan.c includes libcoap, so everything else is
 * unit-testable without a server.
 */
#ifndef DOTS_CLIENT_CLIENT_H
#define DOTS_CLIENT_CLIENT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "lib/text.h"
#include "upstream/chan.h"

/* Exit codes (documented in dots-client.1, EXIT STATUS). */
enum client_exit {
	EXIT_OK		= 0,	/* 2.xx */
	EXIT_USAGE	= 1,	/* bad arguments or config file */
	EXIT_TRANSPORT	= 2,	/* no connection, handshake failed, timeout */
	EXIT_REFUSED	= 3,	/* 4.xx other than 4.09 */
	EXIT_SERVER	= 4,	/* 5.xx */
	EXIT_CONFLICT	= 5,	/* 4.09 */
};

enum client_cmd {
	CMD_NONE,
	CMD_REQUEST,
	CMD_WITHDRAW,
	CMD_GET,
	CMD_OBSERVE,
	CMD_EFFICACY,
	CMD_CONFIG_GET,
	CMD_CONFIG_SET,
	CMD_CONFIG_DELETE,
	CMD_HEARTBEAT,
};

#define CLIENT_LIFETIME		3600	/* RFC 9132 Appendix C default */
#define CLIENT_TIMEOUT		15	/* seconds for an answer */
#define CLIENT_HB_INTERVAL	30	/* RFC 9132 Appendix C default */
#define CLIENT_MAX_PORTS	64
#define CLIENT_MAX_PROTOS	32
#define CUID_LEN		22	/* base64url of 16 bytes, no padding */
/* mid/sid epoch: 2024-01-01T00:00:00Z, see mid_from_time(). */
#define CLIENT_ID_EPOCH		1704067200

/* A growable list of strings (targets, FQDNs, URIs, aliases). */
struct strv {
	char	**v;
	size_t	  n;
};

struct port_range {
	uint16_t	lower;
	uint16_t	upper;		/* == lower for a single port */
};


/* Bits of client_opts.set: given on the command line, so the config file
 * must not override them. */
enum {
	SET_SERVER	= 1 << 0,
	SET_CERT	= 1 << 1,
	SET_KEY		= 1 << 2,
	SET_CA		= 1 << 3,
	SET_PSK_ID	= 1 << 4,
	SET_PSK_KEY	= 1 << 5,
	SET_CUID	= 1 << 6,
	SET_TIMEOUT	= 1 << 7,
};

/* Bits of client_opts.cfg_set: which `config set` values were given. */
enum {
	CFG_HB_INTERVAL		= 1 << 0,
	CFG_MISSING_HB		= 1 << 1,
	CFG_MAX_RETRANSMIT	= 1 << 2,
	CFG_ACK_TIMEOUT		= 1 << 3,
	CFG_ACK_RANDOM		= 1 << 4,
	CFG_PROBING_RATE	= 1 << 5,
};

enum cfg_which {
	CFG_BOTH,
	CFG_IDLE,
	CFG_MITIGATING,
};

struct client_opts {
	/* Connection: command line first, then the config file. */
	char		*config;	/* --config FILE */
	char		*server;
	char		*cert;
	char		*key;
	char		*ca;
	char		*psk_identity;
	uint8_t		 psk_key[64];
	size_t		 psk_key_len;
	char		*cuid;
	double		 timeout;	/* seconds; observe: duration, 0=none */
	unsigned	 set;		/* SET_* */
	int		 verbose;
	int		 json;

	enum client_cmd	 cmd;

	/* request */
	struct strv	 prefixes;
	struct port_range ports[CLIENT_MAX_PORTS];
	size_t		 nports;
	uint8_t		 protos[CLIENT_MAX_PROTOS];
	size_t		 nprotos;
	struct strv	 fqdns;
	struct strv	 uris;
	struct strv	 aliases;
	struct strv	 sources;	/* RFC 9066 source-prefix */
	int64_t		 lifetime;	/* -1: indefinite */
	int		 has_lifetime;
	int		 preconfigured;	/* trigger-mitigation false */
	uint32_t	 mid;
	int		 has_mid;

	/* observe, heartbeat */
	unsigned	 count;		/* 0: unlimited (observe) */
	unsigned	 interval;	/* heartbeat: seconds between two */

	/* efficacy */
	int		 attack_status;	/* 1 under-attack, 2 mitigated */

	/* config */
	uint32_t	 sid;
	int		 has_sid;
	unsigned	 cfg_set;	/* CFG_* */
	enum cfg_which	 cfg_which;
	uint16_t	 hb_interval;
	uint16_t	 missing_hb;
	uint16_t	 max_retransmit;
	uint16_t	 probing_rate;
	uint32_t	 ack_timeout;	/* hundredths of a second */
	uint32_t	 ack_random;	/* hundredths */
};


/* args.c */
void	opts_init(struct client_opts *);
void	opts_free(struct client_opts *);
/* Parses argv into o. Returns 0, or -EINVAL with err filled. Sets
 * o->cmd = CMD_NONE for --help. */
int	args_parse(struct client_opts *o, int argc, char **argv,
	    char *err, size_t errlen);
/* Reads `key value` lines; keys already given on the command line (o->set)
 * are skipped. Returns 0, -ENOENT if the file is missing, -EINVAL with err
 * filled on a syntax error. */
int	conf_load(struct client_opts *o, const char *path, char *err,
	    size_t errlen);
/* Checks what must hold after the config file: credentials present, the
 * server URI valid. Returns 0 or -EINVAL with err. */
int	opts_finish(struct client_opts *o, struct server_uri *su,
	    char *err, size_t errlen);
/* The connection part of o, for chan_open(); points into o. */
void	opts_chan(const struct client_opts *o, struct chan_opts *co);
int	port_range_parse(const char *s, struct port_range *pr);
int	protocol_parse(const char *s, uint8_t *proto);
int	prefix_check(const char *s, char *out, size_t outlen);
int	hex_parse(const char *s, uint8_t *buf, size_t bufsize, size_t *len);
int	decimal2_parse(const char *s, uint32_t *hundredths);
void	usage(FILE *);
/* Formats a reason into err and returns -EINVAL. */
int	args_errf(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* body.c: wire JSON request bodies (RFC 9132 §4.4.1, §4.4.3, §4.5, §4.7).
 * Return a new reference, or NULL with err filled. */
json_t	*body_mitigation(const struct client_opts *);
json_t	*body_efficacy(const json_t *get_body, uint32_t mid,
	    const struct client_opts *, char *err, size_t errlen);
json_t	*body_config(const struct client_opts *);
json_t	*body_heartbeat(int peer_hb_status);
const char *attack_status_name(int);

/* print.c: human and --json output of one response. */
void	print_response(FILE *, const struct client_opts *,
	    const struct dc_response *);
const char *code_text(int code);
int	exit_for_code(int code);

/* cuid.c */
int	cuid_from_bytes(const uint8_t *data, size_t len, char *out,
	    size_t outlen);
int	cuid_from_cert(const char *pem_path, char *out, size_t outlen,
	    char *err, size_t errlen);
uint32_t mid_from_time(time_t now);
int	mid_next(const char *state_path, time_t now, uint32_t *mid);

#endif
