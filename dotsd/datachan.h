/*
 * datachan.h: the RFC 8783 DOTS data channel, RESTCONF (RFC 8040 subset)
 * over HTTPS with mutual X.509 authentication. An instance runs its HTTP
 * server (libevent + OpenSSL) in a thread of its own: TLS, HTTP, URI and
 * JSON parsing and YANG validation all happen there, on network input.
 * Each checked request crosses to the main loop as one job (datachan_int.h
 * struct dc_job) over a socketpair, is answered there through the acl.h
 * API, and goes back the same way. That socketpair is where a privilege
 * split puts its pipe. Owner: data channel.
 */
#ifndef DOTSD_DATACHAN_H
#define DOTSD_DATACHAN_H

#include <poll.h>

#include "dotsd/conf.h"

/* Starts the listeners of conf (none configured: nothing). 0 or -errno. */
int	datachan_init(const struct dotsd_conf *conf, char *err, size_t errlen);
void	datachan_reconf(const struct dotsd_conf *conf);
/* The main loop's side: the job socket, and serving what it brings. */
int	datachan_pollfds(struct pollfd *pfd, int max);
void	datachan_process(const struct pollfd *pfd, int n);
void	datachan_fini(void);

#endif
