/*
 * resolve.c: target-fqdn and target-uri resolution (RFC 9132 §4.4.1.2)
 * with c-ares, so that a slow or dead DNS server never stalls the signal
 * channel: the sockets join dotsd's poll loop and every lookup ends in a
 * callback (addresses, or -errno after the configured timeout).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ares.h>

#include "dotsd/resolve.h"

struct resolve_req {
	resolve_cb		 cb;
	void			*arg;
	int			 cancelled;
	struct resolve_req	*next;
};

static ares_channel	 channel;
static int		 initialized;
static struct resolve_req *pending;
static int		 npending;
static char		 servers[256];
static int		 timeout_ms = 2000;	/* per try, c-ares doubles it */
static int		 tries = 2;

static int
ares_errno(int status)
{
	switch (status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return -ECANCELED;
	case ARES_EBADNAME:
	case ARES_EBADSTR:
	case ARES_EBADFLAGS:
	case ARES_EBADFAMILY:
		return -EINVAL;
	case ARES_ECONNREFUSED:
		return -ECONNREFUSED;
	default:		/* SERVFAIL, REFUSED, bad responses */
		return -EIO;
	}
}

int
resolve_init(void)
{
	struct ares_options opts;
	int	r;

	if (initialized)
		return 0;
	if ((r = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS)
		return ares_errno(r);
	memset(&opts, 0, sizeof(opts));
	opts.timeout = timeout_ms;
	opts.tries = tries;
	/* RFC 9132: target-fqdn is fully qualified; no search list. */
	opts.flags = ARES_FLAG_NOSEARCH;
	r = ares_init_options(&channel, &opts,
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
	if (r != ARES_SUCCESS) {
		ares_library_cleanup();
		return ares_errno(r);
	}
	if (servers[0] != '\0' &&
	    (r = ares_set_servers_ports_csv(channel, servers)) != ARES_SUCCESS) {
		ares_destroy(channel);
		ares_library_cleanup();
		return ares_errno(r);
	}
	initialized = 1;
	return 0;
}

void
resolve_fini(void)
{
	struct resolve_req *rq;

	if (!initialized)
		return;
	/* Owners are going away too: no callback from here on. */
	for (rq = pending; rq != NULL; rq = rq->next)
		rq->cancelled = 1;
	ares_destroy(channel);	/* calls on_addrinfo, which frees */
	ares_library_cleanup();
	initialized = 0;
}

int
resolve_set_servers(const char *csv)
{
	int	r;

	if (strlen(csv) >= sizeof(servers))
		return -ENAMETOOLONG;
	if (!initialized) {
		strcpy(servers, csv);
		return 0;
	}
	if (csv[0] == '\0') {
		/* Back to resolv.conf: only a new channel reads it again. */
		if (npending > 0)
			return -EBUSY;
		servers[0] = '\0';
		resolve_fini();
		return resolve_init();
	}
	if ((r = ares_set_servers_ports_csv(channel, csv)) != ARES_SUCCESS)
		return ares_errno(r);
	strcpy(servers, csv);
	return 0;
}

int
resolve_set_timeout(int ms, int ntries)
{
	if (ms <= 0 || ntries <= 0 || ntries > 10)
		return -EINVAL;
	timeout_ms = ms;
	tries = ntries;
	return 0;
}

static void
unlink_req(struct resolve_req *rq)
{
	struct resolve_req **pp;

	for (pp = &pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rq) {
			*pp = rq->next;
			npending--;
			return;
		}
}

static int
addr_seen(const struct mit_prefix *a, int n, const struct mit_prefix *p)
{
	int	i;

	for (i = 0; i < n; i++)
		if (memcmp(&a[i], p, sizeof(*p)) == 0)
			return 1;
	return 0;
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_req *rq = arg;
	struct mit_prefix addrs[MIT_MAX_TARGETS], p;
	struct ares_addrinfo_node *node;
	uint32_t ttl = 0;
	int	 n = 0, err;

	unlink_req(rq);
	err = ares_errno(status);
	if (status == ARES_ENODATA)	/* the name exists, no A/AAAA */
		err = 0;
	for (node = res ? res->nodes : NULL; err == 0 && node != NULL;
	    node = node->ai_next) {
		memset(&p, 0, sizeof(p));
		if (node->ai_family == AF_INET) {
			p.family = AF_INET;
			p.len = 32;
			memcpy(p.addr, &((struct sockaddr_in *)
			    (void *)node->ai_addr)->sin_addr, 4);
		} else if (node->ai_family == AF_INET6) {
			p.family = AF_INET6;
			p.len = 128;
			memcpy(p.addr, &((struct sockaddr_in6 *)
			    (void *)node->ai_addr)->sin6_addr, 16);
		} else
			continue;
		if (node->ai_ttl >= 0 && (n == 0 || (uint32_t)node->ai_ttl < ttl))
			ttl = (uint32_t)node->ai_ttl;
		if (n < MIT_MAX_TARGETS && !addr_seen(addrs, n, &p))
			addrs[n++] = p;
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	if (!rq->cancelled)
		rq->cb(rq->arg, err, err == 0 ? addrs : NULL, err == 0 ? n : 0,
		    err == 0 ? ttl : 0);
	free(rq);
}

int
resolve_start(const char *name, resolve_cb cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	struct resolve_req *rq;
	size_t	len = strlen(name);

	if (!initialized)
		return -ENOTCONN;
	/* RFC 1035 §2.3.4: at most 253 characters of text. */
	if (len == 0 || len > 253)
		return -EINVAL;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return -ENOMEM;
	rq->cb = cb;
	rq->arg = arg;
	rq->next = pending;
	pending = rq;
	npending++;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;	/* A and AAAA */
	/* No sorting: it would connect() a UDP socket per address. */
	hints.ai_flags = ARES_AI_NOSORT;
	/* May call on_addrinfo at once (numeric names, hosts file). */
	ares_getaddrinfo(channel, name, NULL, &hints, on_addrinfo, rq);
	return 0;
}

void
resolve_cancel(void *arg)
{
	struct resolve_req *rq;

	for (rq = pending; rq != NULL; rq = rq->next)
		if (rq->arg == arg)
			rq->cancelled = 1;
}

int
resolve_pollfds(struct pollfd *pfd, int max)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	unsigned bits, rd, wr;
	int	 i, n = 0;

	if (!initialized || npending == 0)
		return 0;
	/* Unsigned: c-ares' own macros shift 1 into the sign bit. */
	bits = (unsigned)ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		rd = bits & (1u << i);
		wr = bits & (1u << (i + ARES_GETSOCK_MAXNUM));
		if (!rd && !wr)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = (rd ? POLLIN : 0) | (wr ? POLLOUT : 0);
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int
resolve_timeout_ms(void)
{
	struct timeval tv, *tvp;

	if (!initialized || npending == 0)
		return -1;
	if ((tvp = ares_timeout(channel, NULL, &tv)) == NULL)
		return -1;
	/* Round up: waking early would spin until the deadline. */
	return (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
}

void
resolve_process(const struct pollfd *pfd, int n)
{
	int	i;

	if (!initialized)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		ares_process_fd(channel,
		    pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ?
		    pfd[i].fd : ARES_SOCKET_BAD,
		    pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
	}
	/* Timeouts and retries. */
	ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/*
 * RFC 3986 §3.2.2: the host of scheme://[userinfo@]host[:port][/...].
 * An IP-literal loses its brackets. 0, or -EINVAL without an authority.
 */
int
resolve_uri_host(const char *uri, char *host, size_t len)
{
	const char *auth, *end, *at, *h, *he;

	if ((auth = strstr(uri, "://")) == NULL)
		return -EINVAL;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	h = at != NULL ? at + 1 : auth;
	if (*h == '[') {
		h++;
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL)
			return -EINVAL;
	} else {
		he = memchr(h, ':', (size_t)(end - h));
		if (he == NULL)
			he = end;
	}
	if (he == h || (size_t)(he - h) >= len)
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	return 0;
}
