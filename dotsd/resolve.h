/*
 * resolve.h: asynchronous name resolution (c-ares) for target-fqdn and
 * target-uri, driven from dotsd's poll loop. Owner: config/authz.
 */
#ifndef DOTSD_RESOLVE_H
#define DOTSD_RESOLVE_H

#include <poll.h>
#include <stdint.h>

#include "mitigate/mitigate.h"

/*
 * Called once per resolve_start(): err 0 and n >= 0 addresses (A and AAAA,
 * as /32 and /128), ttl the smallest record TTL; or err -errno.
 */
typedef void (*resolve_cb)(void *arg, int err, const struct mit_prefix *addrs,
	    int n, uint32_t ttl);

int	resolve_init(void);
void	resolve_fini(void);
int	resolve_start(const char *name, resolve_cb cb, void *arg);
/* Cancel every pending callback whose arg is arg (its owner went away). */
void	resolve_cancel(void *arg);
/* Poll integration: fills up to max pollfds, returns how many. */
int	resolve_pollfds(struct pollfd *pfd, int max);
/* Milliseconds until resolve_process() must run anyway, or -1. */
int	resolve_timeout_ms(void);
void	resolve_process(const struct pollfd *pfd, int n);

#endif
