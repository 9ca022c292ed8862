/*
 * signal_uri.h: the Uri-Path of signal-channel requests (RFC 9132 §4.4.1,
 * §4.5, §4.7) as segments -> resource and parameters. No CoAP, no I/O:
 * remote input, fuzzed (tests/fuzz/signal_uri_fuzz.c).
 */
#ifndef DOTSD_SIGNAL_URI_H
#define DOTSD_SIGNAL_URI_H

#include <stddef.h>
#include <stdint.h>

#include "dotsd/mitreq.h"

#define SIGURI_MAX_SEGS	8	/* parameters after the resource */
#define SIGURI_SEG_LEN	128

enum sig_resource {
	RES_MITIGATE = 0,
	RES_CONFIG,
	RES_HB,
};

struct sig_path {
	int		res;		/* enum sig_resource */
	int		nparams;
	char		param[SIGURI_MAX_SEGS][SIGURI_SEG_LEN];
};

/*
 * Splits /.well-known/dots/<resource>/<params...>. 0, -ENOENT (not a DOTS
 * signal resource: 4.04) or -EINVAL (4.00) with why.
 */
int	sigpath_parse(struct sig_path *p, const char *const *segs,
	    const size_t *lens, int nsegs, char *why, size_t whylen);
/*
 * mitigate: [cdid=] cuid= [mid=], in that order, values non-empty, mid a
 * decimal uint32. cdid is kept only when gateway (RFC 9132 §4.4.1: the
 * server ignores it from others). 0 or -EINVAL with why.
 */
int	sigpath_mitigate(const struct sig_path *p, int gateway,
	    struct dots_uri *u, char *why, size_t whylen);
/* config: [sid=]. 0 or -EINVAL with why. */
int	sigpath_config(const struct sig_path *p, int *has_sid, uint32_t *sid,
	    char *why, size_t whylen);
/* Decimal uint32 without sign, spaces or leading "+". 0 or -EINVAL. */
int	sigpath_u32(const char *s, size_t len, uint32_t *out);

#endif
