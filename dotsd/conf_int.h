/*
 * conf_int.h: what the pieces of the dotsd.conf parser share: keyword ids,
 * contexts, statements, the lexer and the parser state, and the functions
 * each piece offers the others (grouped by defining file). Only conf*.c
 * include it; everyone else uses conf.h.
 */
#ifndef DOTSD_CONF_INT_H
#define DOTSD_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "dotsd/conf.h"

#define CONF_MAX_FILE		(1024 * 1024)
#define CONF_MAX_TOKENS		64
#define CONF_MAX_INCLUDE	8

enum kw {
	KW_ACK_RANDOM_FACTOR,
	KW_ACK_TIMEOUT,
	KW_ABT,
	KW_BGP,
	KW_CA,
	KW_CERTIFICATE,
	KW_CLIENT,
	KW_CONTROL,
	KW_DATA_CHANNEL,
	KW_DATABASE,
	KW_GATEWAY,
	KW_HEARTBEAT_INTERVAL,
	KW_IDENTITY,
	KW_INCLUDE,
	KW_INDEFINITE_LIFETIME,
	KW_KEY,
	KW_LIFETIME,
	KW_LISTEN,
	KW_MAX_LIFETIME,
	KW_MAX_MITIGATIONS,
	KW_MAX_RETRANSMIT,
	KW_MAX_RULES,
	KW_MAX_SESSIONS,
	KW_METRICS,
	KW_MIN_PREFIX_LEN4,
	KW_MIN_PREFIX_LEN6,
	KW_MISSING_HB_ALLOWED,
	KW_MITIGATE_WITH,
	KW_MITIGATION,
	KW_PIN_LEVEL,
	KW_PREFIX,
	KW_PROBING_RATE,
	KW_PSK,
	KW_RESOLVER,
	KW_SESSION,
	KW_SIGNAL,
	KW_UPSTREAM,
	KW_XDP,
	KW_YANG_DIR,
};

enum ctx {
	CTX_TOP		= 1 << 0,
	CTX_SESSION	= 1 << 1,
	CTX_CLIENT	= 1 << 2,
	CTX_OPAQUE	= 1 << 3,
};

enum term {
	TERM_NL,	/* newline or ';' */
	TERM_OPEN,	/* '{' */
	TERM_CLOSE,	/* '}' */
	TERM_EOF,
};

struct token {
	char		*s;
	uint8_t		 quoted;
};

struct stmt {
	int		 ntok;
	struct token	 tok[CONF_MAX_TOKENS];
	int		 line;		/* of the first token (or terminator) */
	int		 term;		/* enum term */
};

struct lexer {
	const char	*file;
	char		*buf;		/* whole file, NUL-terminated */
	size_t		 pos, len;
	int		 line;
	char		*store;		/* token text of the current stmt */
	size_t		 storelen;
};

struct parser {
	struct dotsd_conf *conf;
	const char	*file;		/* current file, for messages */
	char		*err;
	size_t		 errlen;
	int		 ctx;		/* enum ctx */
	int		 block_line;
	struct client_conf *client;	/* CTX_CLIENT */
	struct sess_params *sess;	/* CTX_SESSION */
	char		 section[16];	/* CTX_OPAQUE */
	int		 depth;		/* include depth */
	int		 first_listen_line;
	int		 last_line;	/* of the last statement */
};

/* conf.c */
int	conf_perr(struct parser *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
int	conf_parse_file(struct parser *, const char *, int);

/* conf_lex.c */
int	conf_lex_open(struct lexer *, const char *, char *, size_t);
void	conf_lex_close(struct lexer *);
int	conf_lex_stmt(struct parser *, struct lexer *, struct stmt *);

/* conf_value.c */
int	conf_value_u32(const char *, uint32_t, uint32_t, uint32_t *);
int	conf_value_centi(const char *, uint32_t *);
int	conf_value_hex(const char *, uint8_t *, size_t);
int	conf_value_str(struct parser *, int, char *, size_t, const char *,
	    const char *);
int	conf_value_addr(const char *, char *, size_t);
const char *conf_value_prefix_why(const char *);
int	conf_value_need(struct parser *, const struct stmt *, int,
	    const char *);
int	conf_value_st_path(struct parser *, const struct stmt *, char *,
	    size_t);
int	conf_value_st_u32(struct parser *, const struct stmt *, uint32_t,
	    uint32_t, uint32_t *);
int	conf_value_st_yesno(struct parser *, const struct stmt *, uint8_t *);

/* conf_top.c */
int	conf_top_stmt(struct parser *, const struct stmt *, int);

/* conf_block.c */
int	conf_block_sess(struct parser *, const struct stmt *, int);
int	conf_block_client(struct parser *, const struct stmt *, int);
int	conf_block_opaque(struct parser *, const struct stmt *);
int	conf_block_open_client(struct parser *, const struct stmt *);

/* conf_check.c */
int	conf_check_listeners(struct parser *);
int	conf_check_clients(struct parser *);
int	conf_check_credentials(struct parser *);

#endif /* DOTSD_CONF_INT_H */
