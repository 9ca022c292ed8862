/*
 * speaker.c: the announce-only BGP speaker behind bgp_backend. It owns the
 * speaker's thread: the poll loop over the wake pipe, the listeners and
 * every session, start and stop, and the vtable. The rest lives beside
 * it: conf.c (configure), rib.c (routes and Adj-RIB-Out output), peer.c
 * (per-peer policy), damp.c (damping), group.c (apply/withdraw/stats).
 * apply/withdraw/stats from the engine thread only take the mutex, change
 * memory and wake the thread: they never wait for the network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/speaker_int.h"
#include "lib/log.h"

struct bgp_speaker bgp_sp = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.wake = { -1, -1 },
};

void
speaker_defaults(void)
{
	bgp_sp.router_id = 0;
	bgp_sp.local_as = 0;
	bgp_sp.hold = 90;
	bgp_sp.connect_retry = 5;
	bgp_sp.local_pref = 100;
	bgp_sp.min_len4 = 24;
	bgp_sp.min_len6 = 48;
	bgp_sp.rtbh_min_len4 = 32;
	bgp_sp.rtbh_min_len6 = 128;
	bgp_sp.nlri_max = FLOWSPEC_MAX_LEN;
	bgp_sp.damping = 1;
	bgp_sp.half_life = 60;
	bgp_sp.suppress = 3000;
	bgp_sp.reuse = 750;
	bgp_sp.max_hold = 600;
}

int		speaker_configured;

int64_t
bgp_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
speaker_err(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list	ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ------------------------------------------------------------------ */
/* The thread                                                         */
/* ------------------------------------------------------------------ */

void
speaker_wake(void)
{
	uint8_t	c = 1;

	if (bgp_sp.wake[1] >= 0)
		(void)write(bgp_sp.wake[1], &c, 1);
}

static int
listener_open(struct bgp_listener *l)
{
	int	one = 1, i, fd;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	/* RFC 2385: keys of the peers that use MD5 on this socket */
	for (i = 0; i < bgp_sp.npeers; i++) {
		struct peer		*p = bgp_sp.peers[i];
		struct tcp_md5sig	md;

		if (!p->c.md5[0] || p->c.addr.ss_family != l->addr.ss_family)
			continue;
		memset(&md, 0, sizeof(md));
		memcpy(&md.tcpm_addr, &p->c.addr, sizeof(md.tcpm_addr));
		md.tcpm_keylen = strlen(p->c.md5);
		memcpy(md.tcpm_key, p->c.md5, md.tcpm_keylen);
		if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md,
		    sizeof(md)) < 0) {
			i = -errno;
			close(fd);
			return i;
		}
	}
	if (bind(fd, (struct sockaddr *)&l->addr, l->addrlen) < 0 ||
	    listen(fd, 16) < 0) {
		i = -errno;
		close(fd);
		return i;
	}
	l->fd = fd;
	return 0;
}

static void *
speaker_main(void *arg)
{
	struct pollfd	pfd[1 + BGP_MAX_LISTEN + BGP_MAX_PEERS];
	struct peer	*pp[BGP_MAX_PEERS];
	int		i, n, np, timeout;
	int64_t		now, next, last_tick = 0;
	uint8_t		drain[64];

	(void)arg;
	pthread_mutex_lock(&bgp_sp.mtx);
	for (i = 0; i < bgp_sp.npeers; i++)
		fsm_event(bgp_sp.peers[i], EV_START);
	while (!bgp_sp.stopping) {
		n = 0;
		pfd[n++] = (struct pollfd){ bgp_sp.wake[0], POLLIN, 0 };
		for (i = 0; i < bgp_sp.nlisten; i++)
			pfd[n++] = (struct pollfd){ bgp_sp.listen[i].fd,
			    POLLIN, 0 };
		now = bgp_now_ms();
		next = now + 1000;
		for (np = 0, i = 0; i < bgp_sp.npeers; i++) {
			struct peer	*p = bgp_sp.peers[i];
			short		ev = POLLIN;

			if (p->t_retry && p->t_retry < next)
				next = p->t_retry;
			if (p->t_hold && p->t_hold < next)
				next = p->t_hold;
			if (p->t_keepalive && p->t_keepalive < next)
				next = p->t_keepalive;
			if (p->fd < 0)
				continue;
			if (p->state == ST_CONNECT || p->olen > p->ooff)
				ev |= POLLOUT;
			else if (p->state == ST_ESTABLISHED &&
			    p->dpos < p->ndirty)
				next = now;
			pp[np++] = p;
			pfd[n++] = (struct pollfd){ p->fd, ev, 0 };
		}
		timeout = next <= now ? 0 : (int)(next - now);
		pthread_mutex_unlock(&bgp_sp.mtx);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			log_warn("bgp: poll");
		pthread_mutex_lock(&bgp_sp.mtx);
		if (pfd[0].revents & POLLIN)
			while (read(bgp_sp.wake[0], drain, sizeof(drain)) > 0)
				;
		for (i = 0; i < bgp_sp.nlisten; i++)
			if (pfd[1 + i].revents & POLLIN)
				fsm_accept(&bgp_sp.listen[i]);
		for (i = 0; i < np; i++) {
			short re = pfd[1 + bgp_sp.nlisten + i].revents;

			/* the fd may have changed by a collision meanwhile */
			if (re && pp[i]->fd == pfd[1 + bgp_sp.nlisten + i].fd)
				fsm_handle_io(pp[i], re);
		}
		now = bgp_now_ms();
		for (i = 0; i < bgp_sp.npeers; i++)
			fsm_timers(bgp_sp.peers[i], now);
		if (now - last_tick >= 1000) {
			last_tick = now;
			if (bgp_sp.damping)
				damp_tick(now);
			recv_tick(now);
		}
		for (i = 0; i < bgp_sp.npeers; i++) {
			struct peer *p = bgp_sp.peers[i];

			rib_peer_output(p);
			if (p->io_error && p->fd >= 0)
				fsm_event(p, EV_CONN_FAIL);
		}
	}
	for (i = 0; i < bgp_sp.npeers; i++)
		fsm_event(bgp_sp.peers[i], EV_STOP);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return NULL;
}

static int
bgp_start(char *err, size_t errlen)
{
	int	i, r;

	if (!speaker_configured) {
		speaker_defaults();
		speaker_configured = 1;
	}
	if (bgp_sp.running)
		return speaker_err(err, errlen, -EBUSY, "already started");
	if (bgp_sp.router_id == 0 || bgp_sp.local_as == 0)
		return speaker_err(err, errlen, -EINVAL,
		    "router-id and local-as are required");
	for (i = 0; i < bgp_sp.npeers; i++)
		if (bgp_sp.peers[i]->c.passive && bgp_sp.nlisten == 0)
			return speaker_err(err, errlen, -EINVAL,
			    "neighbor %s is passive but nothing listens",
			    bgp_sp.peers[i]->c.name);
	if (rt_hash == NULL &&
	    (rt_hash = calloc(RT_HASH_SIZE, sizeof(*rt_hash))) == NULL)
		return -ENOMEM;
	if ((r = recv_init()) < 0)
		return speaker_err(err, errlen, r, "receive side: %s",
		    strerror(-r));
	for (i = 0; i < bgp_sp.nlisten; i++)
		if ((r = listener_open(&bgp_sp.listen[i])) < 0) {
			while (--i >= 0) {
				close(bgp_sp.listen[i].fd);
				bgp_sp.listen[i].fd = -1;
			}
			return speaker_err(err, errlen, r, "listen: %s",
			    strerror(-r));
		}
	if (pipe2(bgp_sp.wake, O_NONBLOCK | O_CLOEXEC) < 0)
		return speaker_err(err, errlen, -errno, "pipe: %s",
		    strerror(errno));
	srandom(getpid() ^ bgp_now_ms());
	bgp_sp.stopping = 0;
	if ((r = pthread_create(&bgp_sp.thread, NULL, speaker_main,
	    NULL)) != 0) {
		close(bgp_sp.wake[0]);
		close(bgp_sp.wake[1]);
		bgp_sp.wake[0] = bgp_sp.wake[1] = -1;
		return speaker_err(err, errlen, -r, "thread: %s",
		    strerror(r));
	}
	bgp_sp.running = 1;
	log_info("bgp: AS %u, router-id %s, %d neighbors", bgp_sp.local_as,
	    inet_ntoa(*(struct in_addr *)&bgp_sp.router_id), bgp_sp.npeers);
	return 0;
}

static void
bgp_stop(void)
{
	uint32_t	i;
	int		k;

	if (bgp_sp.running) {
		pthread_mutex_lock(&bgp_sp.mtx);
		bgp_sp.stopping = 1;
		pthread_mutex_unlock(&bgp_sp.mtx);
		speaker_wake();
		pthread_join(bgp_sp.thread, NULL);
		bgp_sp.running = 0;
	}
	group_free_all();
	if (rt_hash)
		for (i = 0; i < RT_HASH_SIZE; i++)
			while (rt_hash[i]) {
				struct rt_entry *e = rt_hash[i];

				rt_hash[i] = e->hnext;
				free(e->contrib);
				free(e);
			}
	free(rt_hash);
	rt_hash = NULL;
	recv_fini();
	damp_clear();
	for (k = 0; k < bgp_sp.npeers; k++) {
		struct peer *p = bgp_sp.peers[k];

		if (p->fd >= 0)
			close(p->fd);
		free(p->ibuf);
		free(p->obuf);
		free(p->dirty);
		explicit_bzero(p->c.md5, sizeof(p->c.md5));
		free(p);
	}
	bgp_sp.npeers = 0;
	for (k = 0; k < bgp_sp.nlisten; k++)
		if (bgp_sp.listen[k].fd >= 0)
			close(bgp_sp.listen[k].fd);
	bgp_sp.nlisten = 0;
	for (k = 0; k < 2; k++)
		if (bgp_sp.wake[k] >= 0) {
			close(bgp_sp.wake[k]);
			bgp_sp.wake[k] = -1;
		}
	speaker_configured = 0;
}

int
bgp_speaker_peers_up(void)
{
	int	k, n = 0;

	pthread_mutex_lock(&bgp_sp.mtx);
	for (k = 0; k < bgp_sp.npeers; k++)
		n += bgp_sp.peers[k]->state == ST_ESTABLISHED;
	pthread_mutex_unlock(&bgp_sp.mtx);
	return n;
}

/* One line about neighbor i; returns -ENOENT past the last. */
int
bgp_speaker_peer_info(int i, char *buf, size_t len)
{
	struct peer	*p;

	pthread_mutex_lock(&bgp_sp.mtx);
	if (i < 0 || i >= bgp_sp.npeers) {
		pthread_mutex_unlock(&bgp_sp.mtx);
		return -ENOENT;
	}
	p = bgp_sp.peers[i];
	snprintf(buf, len, "neighbor %s state %s sent %u pending %zu "
	    "updates-in %llu nlri-in %llu withdrawn-in %llu "
	    "treat-as-withdraw %llu updates-out %llu refreshes-in %llu "
	    "established %llu rx-held %u rx-accepted %llu rx-ignored %llu",
	    p->c.name, fsm_state_name(p->state),
	    p->nsent, p->ndirty - p->dpos,
	    (unsigned long long)p->updates_in,
	    (unsigned long long)p->nlri_in,
	    (unsigned long long)p->withdrawn_in,
	    (unsigned long long)p->treat_as_withdraw,
	    (unsigned long long)p->updates_out,
	    (unsigned long long)p->refreshes_in,
	    (unsigned long long)p->established, p->rx_count,
	    (unsigned long long)p->rx_accepted,
	    (unsigned long long)p->rx_ignored);
	pthread_mutex_unlock(&bgp_sp.mtx);
	return 0;
}

const struct mit_backend bgp_backend = {
	.name = "bgp",
	.configure = conf_configure,
	.start = bgp_start,
	.stop = bgp_stop,
	.apply = group_apply,
	.withdraw = group_withdraw,
	.stats = group_stats,
	.list = group_list,
	.recv_fd = recv_fd,
	.recv_drain = recv_drain,
	.recv_ignored = recv_ignored,
};
