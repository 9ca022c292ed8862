/*
 * fsm.c: one BGP session per peer: the RFC 4271 §8 state machine, TCP
 * (active and passive, IPv4 and IPv6, RFC 2385 MD5), timers with backoff,
 * and the message dispatch. Runs on the speaker thread with bgp_sp.mtx
 * held; sockets are non-blocking, so a slow peer never stalls the others.
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
#include <unistd.h>

#include "bgp/bgp.h"
#include "lib/log.h"

#define BGP_OPEN_HOLD_MS	(240 * 1000)	/* RFC 4271 §8: large hold */
/*
 * Reconnect timing. A peer that just reset the session often refuses new
 * ones for a few seconds (gobgpd closes accepted connections while its
 * FSM idles), so the first retries come quickly and evenly, 1 s apart
 * after 0.25 and 0.5 s, for about 15 s; a peer that is still not back is
 * then down for real and gets the slow backoff, connect-retry doubling up
 * to 2 minutes. Every delay is jittered by up to -25 %.
 */
#define BGP_RETRY_FIRST_MS	250
#define BGP_RETRY_FAST_MS	1000
#define BGP_RETRY_FAST_TRIES	16		/* 0.25 + 0.5 + 14 x 1 s */
#define BGP_BACKOFF_MAX_MS	(120 * 1000)

static const char *const state_names[] = {
	[ST_IDLE] = "Idle",
	[ST_CONNECT] = "Connect",
	[ST_ACTIVE] = "Active",
	[ST_OPENSENT] = "OpenSent",
	[ST_OPENCONFIRM] = "OpenConfirm",
	[ST_ESTABLISHED] = "Established",
};

const char *
fsm_state_name(enum peer_state s)
{
	return state_names[s];
}

static void
vlog_peer(int pri, const struct peer *p, const char *fmt, va_list ap)
{
	char	msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	switch (pri) {
	case 0:
		log_warnx("bgp neighbor %s: %s", p->c.name, msg);
		break;
	case 1:
		log_info("bgp neighbor %s: %s", p->c.name, msg);
		break;
	default:
		log_debug("bgp neighbor %s: %s", p->c.name, msg);
		break;
	}
}

void
log_peer_warnx(const struct peer *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_peer(0, p, fmt, ap);
	va_end(ap);
}

void
log_peer_info(const struct peer *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_peer(1, p, fmt, ap);
	va_end(ap);
}

void
log_peer_debug(const struct peer *p, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog_peer(2, p, fmt, ap);
	va_end(ap);
}

static void
change_state(struct peer *p, enum peer_state s, enum peer_event ev)
{
	if (p->state == s)
		return;
	if (s == ST_ESTABLISHED || p->state == ST_ESTABLISHED)
		log_peer_info(p, "%s -> %s", state_names[p->state],
		    state_names[s]);
	else
		log_peer_debug(p, "%s -> %s (event %d)", state_names[p->state],
		    state_names[s], ev);
	if (p->state == ST_ESTABLISHED) {
		rib_peer_down(p);
		recv_peer_down(p, p->down_graceful);
	}
	p->down_graceful = 0;
	p->state = s;
	if (s == ST_ESTABLISHED) {
		p->established++;
		p->failures = 0;
		rib_peer_up(p);
	}
}

/* ------------------------------------------------------------------ */
/* Sockets                                                            */
/* ------------------------------------------------------------------ */

/* RFC 2385: the kernel signs and checks every segment with the peer. */
static int
fsm_set_md5(int fd, const struct sockaddr_storage *addr, const char *key)
{
	struct tcp_md5sig	md;
	size_t			klen = strlen(key);

	memset(&md, 0, sizeof(md));
	memcpy(&md.tcpm_addr, addr, sizeof(md.tcpm_addr));
	if (klen > TCP_MD5SIG_MAXKEYLEN)
		return -EINVAL;
	md.tcpm_keylen = klen;
	memcpy(md.tcpm_key, key, klen);
	if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &md, sizeof(md)) < 0)
		return -errno;
	return 0;
}

static void
fsm_sockopts(int fd, int family)
{
	int	tos = 0xc0;	/* CS6, network control */
	int	one = 1;

	if (family == AF_INET)
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	else
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos,
		    sizeof(tos));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
fsm_close_fd(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->ilen = 0;
	p->olen = p->ooff = 0;
	p->io_error = 0;
	p->t_hold = p->t_keepalive = 0;
}

uint32_t
fsm_retry_delay_ms(uint32_t failures, uint32_t connect_retry)
{
	uint64_t	d;
	uint32_t	n;

	if (failures < BGP_RETRY_FAST_TRIES) {
		d = (uint64_t)BGP_RETRY_FIRST_MS << (failures < 2 ? failures : 2);
		return d < BGP_RETRY_FAST_MS ? d : BGP_RETRY_FAST_MS;
	}
	n = failures - BGP_RETRY_FAST_TRIES;
	d = (uint64_t)(connect_retry ? connect_retry : 1) * 1000;
	while (n-- > 0 && d < BGP_BACKOFF_MAX_MS)
		d *= 2;
	return d < BGP_BACKOFF_MAX_MS ? d : BGP_BACKOFF_MAX_MS;
}

/* Arms the retry timer for the next attempt (see BGP_RETRY_*). */
static void
fsm_schedule_retry(struct peer *p)
{
	uint32_t	d = fsm_retry_delay_ms(p->failures, bgp_sp.connect_retry);

	p->t_retry = bgp_now_ms() + d - (int64_t)(random() % (d / 4 + 1));
	if (p->failures < UINT32_MAX)
		p->failures++;
}

static int
fsm_connect(struct peer *p)
{
	int	fd, family = p->c.addr.ss_family, err;
	socklen_t slen;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	fsm_sockopts(fd, family);
	if (p->c.md5[0] && (err = fsm_set_md5(fd, &p->c.addr,
	    p->c.md5)) < 0) {
		log_peer_warnx(p, "TCP MD5: %s", strerror(-err));
		close(fd);
		return err;
	}
	if (p->c.local.ss_family) {
		slen = p->c.local.ss_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (bind(fd, (struct sockaddr *)&p->c.local, slen) < 0) {
			err = -errno;
			close(fd);
			return err;
		}
	}
	p->fd = fd;
	if (connect(fd, (struct sockaddr *)&p->c.addr, p->c.addrlen) < 0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		fsm_close_fd(p);
		return err;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

int
fsm_send(struct peer *p, const uint8_t *msg, size_t len)
{
	if (p->fd < 0)
		return -ENOTCONN;
	if (p->ooff > 0 && p->ooff == p->olen)
		p->ooff = p->olen = 0;
	if (p->olen + len > p->ocap) {
		size_t	cap = p->ocap ? p->ocap : 65536;
		uint8_t	*n;

		if (p->ooff > 0) {	/* compact before growing */
			memmove(p->obuf, p->obuf + p->ooff, p->olen - p->ooff);
			p->olen -= p->ooff;
			p->ooff = 0;
		}
		while (cap < p->olen + len)
			cap *= 2;
		if (cap != p->ocap) {
			if ((n = realloc(p->obuf, cap)) == NULL)
				return -ENOMEM;
			p->obuf = n;
			p->ocap = cap;
		}
	}
	memcpy(p->obuf + p->olen, msg, len);
	p->olen += len;
	return 0;
}

void
fsm_flush(struct peer *p)
{
	ssize_t	n;

	while (p->fd >= 0 && p->ooff < p->olen) {
		n = send(p->fd, p->obuf + p->ooff, p->olen - p->ooff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_peer_debug(p, "send: %s", strerror(errno));
				p->io_error = 1;
			}
			return;
		}
		p->ooff += n;
	}
	if (p->ooff == p->olen)
		p->ooff = p->olen = 0;
}

static void
fsm_send_keepalive(struct peer *p)
{
	uint8_t	m[BGP_HDR_LEN];

	bgp_keepalive_build(m, sizeof(m));
	fsm_send(p, m, sizeof(m));
	if (p->hold)
		p->t_keepalive = bgp_now_ms() + p->hold * 1000 / 3;
}

static void
fsm_send_open(struct peer *p)
{
	struct bgp_open	o = {
		.as = bgp_sp.local_as,
		.hold = p->c.hold ? p->c.hold : bgp_sp.hold,
		.id = bgp_sp.router_id,
		.fams = p->c.fams,
		.as4 = 1,
		.rrefresh = 1,
		/* RFC 4724: only where we receive, as a receiving speaker */
		.gr = p->c.gr_time > 0 && p->c.nimport > 0,
		.gr_time = p->c.gr_time,
	};
	uint8_t		m[BGP_MAX_MSG];
	int		n;

	if ((n = bgp_open_build(m, sizeof(m), &o)) > 0)
		fsm_send(p, m, n);
}

/*
 * Sends a NOTIFICATION (code != 0) as far as the socket takes it now, then
 * closes. A passive peer goes back to Active, an active one waits for the
 * retry timer in Idle.
 */
void
fsm_close(struct peer *p, uint8_t code, uint8_t subcode)
{
	uint8_t	m[32];
	int	n;

	/*
	 * RFC 4724 §4.2: a session that ends without a NOTIFICATION (TCP
	 * failure) keeps the peer's received rules while it restarts.
	 */
	p->down_graceful = code == 0 && !p->notif_in && !bgp_sp.stopping;
	p->notif_in = 0;
	if (code && p->fd >= 0 && p->state >= ST_OPENSENT) {
		log_peer_warnx(p, "sending notification: %s (%u/%u)",
		    bgp_err_name(code, subcode), code, subcode);
		if ((n = bgp_notification_build(m, sizeof(m), code, subcode,
		    NULL, 0)) > 0 && fsm_send(p, m, n) == 0)
			fsm_flush(p);
	}
	fsm_close_fd(p);
	if (bgp_sp.stopping) {
		change_state(p, ST_IDLE, EV_STOP);
		return;
	}
	fsm_schedule_retry(p);
	change_state(p, p->c.passive ? ST_ACTIVE : ST_IDLE, EV_CONN_FAIL);
}

/* ------------------------------------------------------------------ */
/* Input                                                              */
/* ------------------------------------------------------------------ */

static void
fsm_rcvd_open(struct peer *p, const uint8_t *msg, size_t len)
{
	struct bgp_open	o;
	struct bgp_err	e;
	uint16_t	hold = p->c.hold ? p->c.hold : bgp_sp.hold;

	if (p->state != ST_OPENSENT) {
		fsm_close(p, BGP_ERR_FSM, 0);
		return;
	}
	if (bgp_open_parse(msg, len, &o, &e) < 0) {
		log_peer_warnx(p, "bad OPEN: %s", e.reason);
		fsm_close(p, e.code, e.subcode);
		return;
	}
	if (o.as != p->c.remote_as) {
		log_peer_warnx(p, "OPEN: AS %u, expected %u", o.as,
		    p->c.remote_as);
		fsm_close(p, BGP_ERR_OPEN, BGP_ERR_OPEN_AS);
		return;
	}
	if (o.id == bgp_sp.router_id && p->c.remote_as == bgp_sp.local_as) {
		log_peer_warnx(p, "OPEN: our own BGP identifier");
		fsm_close(p, BGP_ERR_OPEN, BGP_ERR_OPEN_ID);
		return;
	}
	/* RFC 4271 §4.2: the smaller hold time, 0 = no keepalives */
	p->hold = o.hold < hold ? o.hold : hold;
	/* RFC 4760 §1: no MP capability means IPv4 unicast only */
	p->fams = p->c.fams & (o.has_mp ? o.fams : BGP_FAM_BIT(BGP_FAM_UNI4));
	p->as4 = o.as4;
	p->rrefresh = o.rrefresh;
	p->remote_id = o.id;
	p->ebgp = p->c.remote_as != bgp_sp.local_as;
	p->gr_peer = o.gr;
	p->gr_fams = o.gr_fams;
	p->gr_time_peer = o.gr_time;
	recv_peer_reopen(p, o.gr ? o.gr_fwd : 0);
	if (p->fams == 0)
		log_peer_warnx(p, "no address family in common");
	fsm_send_keepalive(p);
	p->t_hold = p->hold ? bgp_now_ms() + p->hold * 1000 : 0;
	change_state(p, ST_OPENCONFIRM, EV_RCVD_OPEN);
}

static void
fsm_rcvd_update(struct peer *p, const uint8_t *msg, size_t len)
{
	struct bgp_update_info	ui;
	struct bgp_err		e;

	if (p->state != ST_ESTABLISHED) {
		fsm_close(p, BGP_ERR_FSM, 0);
		return;
	}
	p->updates_in++;
	if (bgp_update_parse(msg, len, p->as4, &ui, &e) < 0) {
		log_peer_warnx(p, "bad UPDATE: %s", e.reason);
		fsm_close(p, e.code, e.subcode);
		return;
	}
	if (ui.treat_as_withdraw) {
		/* RFC 7606: what it carries is withdrawn (recv.c) */
		p->treat_as_withdraw++;
		log_peer_debug(p, "UPDATE treated as withdraw: %s",
		    ui.treat_as_withdraw);
	}
	p->nlri_in += ui.announced;
	p->withdrawn_in += ui.withdrawn;
	if (ui.eor_fam >= 0)
		recv_peer_eor(p, ui.eor_fam);
	else
		recv_update(p, &ui);
}

static void
fsm_rcvd_notification(struct peer *p, const uint8_t *msg, size_t len)
{
	uint8_t	code = 0, subcode = 0;

	if (bgp_notification_parse(msg, len, &code, &subcode) == 0)
		log_peer_warnx(p, "received notification: %s (%u/%u)",
		    bgp_err_name(code, subcode), code, subcode);
	p->notif_in = 1;	/* RFC 4724 §4.2: no restart after it */
	fsm_close(p, 0, 0);
}

static void
fsm_rcvd_rrefresh(struct peer *p, const uint8_t *msg, size_t len)
{
	struct bgp_err	e;
	int		fam;

	if (p->state != ST_ESTABLISHED) {
		fsm_close(p, BGP_ERR_FSM, 0);
		return;
	}
	fam = bgp_rrefresh_parse(msg, len, &e);
	if (fam == -1 && e.reason == NULL)
		return;
	if (fam < 0) {
		log_peer_warnx(p, "bad ROUTE-REFRESH: %s", e.reason);
		fsm_close(p, e.code, e.subcode);
		return;
	}
	p->refreshes_in++;
	if (p->fams & BGP_FAM_BIT(fam))
		rib_peer_refresh(p, fam);
}

/* One whole message; returns -1 when the session was closed. */
static int
fsm_dispatch(struct peer *p, uint8_t type, const uint8_t *msg, size_t len)
{
	enum peer_state	before = p->state;

	if (p->hold && (p->state == ST_OPENCONFIRM ||
	    p->state == ST_ESTABLISHED))
		p->t_hold = bgp_now_ms() + p->hold * 1000;
	switch (type) {
	case BGP_OPEN:
		fsm_rcvd_open(p, msg, len);
		break;
	case BGP_UPDATE:
		fsm_rcvd_update(p, msg, len);
		break;
	case BGP_NOTIFICATION:
		fsm_rcvd_notification(p, msg, len);
		break;
	case BGP_KEEPALIVE:
		fsm_event(p, EV_RCVD_KEEPALIVE);
		break;
	case BGP_RREFRESH:
		fsm_rcvd_rrefresh(p, msg, len);
		break;
	}
	return p->fd < 0 || (p->state < ST_OPENSENT && before >= ST_OPENSENT) ?
	    -1 : 0;
}

static void
fsm_read(struct peer *p)
{
	struct bgp_err	e;
	uint16_t	mlen;
	uint8_t		type;
	size_t		off = 0;
	ssize_t		n;

	n = recv(p->fd, p->ibuf + p->ilen, 2 * BGP_MAX_MSG - p->ilen,
	    MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		log_peer_debug(p, "connection closed: %s",
		    n == 0 ? "EOF" : strerror(errno));
		fsm_event(p, EV_CONN_FAIL);
		return;
	}
	if (n < 0)
		return;
	p->ilen += n;
	while (p->ilen - off >= BGP_HDR_LEN) {
		if (bgp_hdr_parse(p->ibuf + off, p->ilen - off, &mlen, &type,
		    &e) < 0) {
			log_peer_warnx(p, "bad message header: %s", e.reason);
			fsm_close(p, e.code, e.subcode);
			return;
		}
		if (p->ilen - off < mlen)
			break;
		if (fsm_dispatch(p, type, p->ibuf + off, mlen) < 0)
			return;
		off += mlen;
	}
	memmove(p->ibuf, p->ibuf + off, p->ilen - off);
	p->ilen -= off;
}

void
fsm_handle_io(struct peer *p, short revents)
{
	int		err = 0;
	socklen_t	elen = sizeof(err);

	if (p->fd < 0)
		return;
	if (p->state == ST_CONNECT) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err) {
			log_peer_debug(p, "connect: %s", strerror(err));
			fsm_event(p, EV_CONN_FAIL);
		} else
			fsm_event(p, EV_CONN_OPEN);
		return;
	}
	if (revents & (POLLIN | POLLERR | POLLHUP))
		fsm_read(p);
	if (p->fd >= 0 && (revents & POLLOUT))
		fsm_flush(p);
	if (p->fd >= 0 && p->io_error)
		fsm_event(p, EV_CONN_FAIL);
}

static struct peer *
fsm_find_peer(const struct sockaddr_storage *ss)
{
	int	i;

	for (i = 0; i < bgp_sp.npeers; i++) {
		const struct sockaddr_storage *a = &bgp_sp.peers[i]->c.addr;

		if (a->ss_family != ss->ss_family)
			continue;
		if (ss->ss_family == AF_INET &&
		    ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)ss)->sin_addr.s_addr)
			return bgp_sp.peers[i];
		if (ss->ss_family == AF_INET6 &&
		    memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)ss)->sin6_addr, 16) == 0)
			return bgp_sp.peers[i];
	}
	return NULL;
}

/* Rejects a connection with a Cease NOTIFICATION, best effort. */
static void
fsm_reject(int fd, uint8_t subcode)
{
	uint8_t	m[32];
	int	n;

	if ((n = bgp_notification_build(m, sizeof(m), BGP_ERR_CEASE, subcode,
	    NULL, 0)) > 0)
		(void)send(fd, m, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/*
 * An incoming connection. RFC 4271 §6.8 collisions: with OpenConfirm we
 * know the peer's identifier and keep the connection opened by the higher
 * one; while OpenSent we keep ours unless the peer's address (its likely
 * identifier) is higher; an Established session is never replaced.
 */
void
fsm_accept(struct bgp_listener *l)
{
	struct sockaddr_storage	ss;
	socklen_t		slen = sizeof(ss);
	struct peer		*p;
	int			fd, take;

	fd = accept4(l->fd, (struct sockaddr *)&ss, &slen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(
	    &((struct sockaddr_in6 *)&ss)->sin6_addr)) {
		struct sockaddr_in	sin = { .sin_family = AF_INET };

		memcpy(&sin.sin_addr,
		    &((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr[12], 4);
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, &sin, sizeof(sin));
	}
	if ((p = fsm_find_peer(&ss)) == NULL) {
		char	a[INET6_ADDRSTRLEN] = "?";

		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
			    a, sizeof(a));
		else
			inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)&ss)->sin6_addr, a,
			    sizeof(a));
		log_debug("bgp: connection from unknown address %s refused",
		    a);
		fsm_reject(fd, BGP_CEASE_REJECTED);
		return;
	}
	switch (p->state) {
	case ST_ESTABLISHED:
		take = 0;
		break;
	case ST_OPENCONFIRM:
		take = ntohl(p->remote_id) > ntohl(bgp_sp.router_id);
		break;
	case ST_OPENSENT:
		take = ss.ss_family == AF_INET &&
		    ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >
		    ntohl(bgp_sp.router_id);
		break;
	default:
		take = 1;
		break;
	}
	if (!take) {
		log_peer_debug(p, "connection collision: keeping ours");
		fsm_reject(fd, BGP_CEASE_COLLISION);
		return;
	}
	if (p->fd >= 0) {
		log_peer_debug(p, "connection collision: taking theirs");
		if (p->state >= ST_OPENSENT) {
			uint8_t	m[32];
			int	n = bgp_notification_build(m, sizeof(m),
			    BGP_ERR_CEASE, BGP_CEASE_COLLISION, NULL, 0);

			if (n > 0)
				(void)send(p->fd, m, n,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		fsm_close_fd(p);
		change_state(p, p->c.passive ? ST_ACTIVE : ST_IDLE,
		    EV_CONN_FAIL);
	}
	fsm_sockopts(fd, ss.ss_family);
	p->fd = fd;
	p->t_retry = 0;
	fsm_event(p, EV_CONN_OPEN);
}

/* ------------------------------------------------------------------ */
/* The state machine                                                  */
/* ------------------------------------------------------------------ */

static void
fsm_opened(struct peer *p)
{
	socklen_t	slen = sizeof(p->local_addr);

	memset(&p->local_addr, 0, sizeof(p->local_addr));
	(void)getsockname(p->fd, (struct sockaddr *)&p->local_addr, &slen);
	fsm_send_open(p);
	fsm_flush(p);
	p->t_hold = bgp_now_ms() + BGP_OPEN_HOLD_MS;
	change_state(p, ST_OPENSENT, EV_CONN_OPEN);
}

void
fsm_event(struct peer *p, enum peer_event ev)
{
	int	err;

	if (ev == EV_STOP) {
		if (p->fd >= 0)
			fsm_close(p, BGP_ERR_CEASE, BGP_CEASE_SHUTDOWN);
		p->t_retry = 0;
		change_state(p, ST_IDLE, ev);
		return;
	}
	switch (p->state) {
	case ST_IDLE:
		switch (ev) {
		case EV_START:
			p->failures = 0;
			if (p->c.passive)
				change_state(p, ST_ACTIVE, ev);
			else
				p->t_retry = bgp_now_ms();
			break;
		case EV_RETRY_TIMER:
			p->t_retry = 0;
			if ((err = fsm_connect(p)) < 0) {
				log_peer_debug(p, "connect: %s",
				    strerror(-err));
				fsm_schedule_retry(p);
				break;
			}
			change_state(p, ST_CONNECT, ev);
			break;
		case EV_CONN_OPEN:	/* accepted while idle */
			fsm_opened(p);
			break;
		default:
			break;
		}
		break;
	case ST_CONNECT:
		switch (ev) {
		case EV_CONN_OPEN:
			fsm_opened(p);
			break;
		case EV_CONN_FAIL:
			fsm_close(p, 0, 0);
			break;
		default:
			break;
		}
		break;
	case ST_ACTIVE:
		switch (ev) {
		case EV_CONN_OPEN:
			fsm_opened(p);
			break;
		default:
			break;
		}
		break;
	case ST_OPENSENT:
	case ST_OPENCONFIRM:
	case ST_ESTABLISHED:
		switch (ev) {
		case EV_HOLD_TIMER:
			log_peer_warnx(p, "hold timer expired");
			fsm_close(p, BGP_ERR_HOLD, 0);
			break;
		case EV_KEEPALIVE_TIMER:
			fsm_send_keepalive(p);
			break;
		case EV_CONN_FAIL:
			fsm_close(p, 0, 0);
			break;
		case EV_RCVD_KEEPALIVE:
			if (p->state == ST_OPENSENT)
				fsm_close(p, BGP_ERR_FSM, 0);
			else if (p->state == ST_OPENCONFIRM)
				change_state(p, ST_ESTABLISHED, ev);
			break;
		default:
			break;
		}
		break;
	}
}

void
fsm_timers(struct peer *p, int64_t now)
{
	if (p->t_retry && now >= p->t_retry && p->state == ST_IDLE &&
	    !p->c.passive)
		fsm_event(p, EV_RETRY_TIMER);
	if (p->t_hold && now >= p->t_hold && p->state >= ST_OPENSENT) {
		p->t_hold = 0;
		fsm_event(p, EV_HOLD_TIMER);
	}
	if (p->t_keepalive && now >= p->t_keepalive &&
	    p->state >= ST_OPENCONFIRM)
		fsm_event(p, EV_KEEPALIVE_TIMER);
}
