/*
 * signal.h: the RFC 9132 signal channel over libcoap: DTLS and TLS
 * endpoints, resources, Observe, heartbeats, session configuration.
 * Owner: transport + sessions.
 */
#ifndef DOTSD_SIGNAL_H
#define DOTSD_SIGNAL_H

#include <poll.h>
#include <time.h>

#include <jansson.h>

#include "dotsd/conf.h"

int	signal_init(const struct dotsd_conf *conf, char *err, size_t errlen);
void	signal_fini(void);
/* Poll integration with dotsd.c's loop. */
int	signal_pollfds(struct pollfd *pfd, int max);
int	signal_timeout_ms(void);
void	signal_process(const struct pollfd *pfd, int n);
/* Heartbeats, session loss, periodic notifications. About once a second. */
void	signal_tick(time_t now);
/*
 * Addition: configuration reloaded (SIGHUP). Clients, session parameter
 * ranges and max-sessions take effect; listeners and credentials need a
 * restart. The old configuration may be freed afterwards. 0 or -errno.
 */
int	signal_reconf(const struct dotsd_conf *nc);
/* Snapshot of sessions for dotsctl and metrics; caller decrefs. */
json_t	*signal_dump(void);

#endif
