/*
 * resolve.h: asynchronous name resolution (c-ares) for target-fqdn and
 * target-uri, driven from dotsd's poll loop. Owner: config/authz.
 */
#ifndef DOTSD_RESOLVE_H
#define DOTSD_RESOLVE_H

#include <poll.h>
#include <stddef.h>
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

/*
 * Additions (config/authz). Servers as c-ares csv, "198.18.0.53:53,
 * [2001:db8::53]:53" (config "resolver"; "" = /etc/resolv.conf); may be
 * called before or after resolve_init(). Timeout per try and number of
 * tries take effect at the next resolve_init(). 0 or -errno.
 */
int	resolve_set_servers(const char *csv);
int	resolve_set_timeout(int ms, int tries);
/* Host part of a target-uri ("https://[2001:db8::1]:443/x" -> "2001:db8::1"). */
int	resolve_uri_host(const char *uri, char *host, size_t len);

#endif
