/*
 * bgp_speaker_test.c: bgp_backend end to end against a scripted peer on
 * 127.0.0.1 (no daemon needed): session setup, End-of-RIB, announce and
 * withdraw, stats, route refresh, re-announcement after a reconnect,
 * the reconnect delays,
 * NOTIFICATION on garbage, hold timer, ceilings, minimum prefix lengths,
 * accept exceptions, per-peer families, damping and config errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "lib/log.h"
#include "tests/t.h"

static int	lfd = -1, pfd = -1;
static uint32_t	peer_as = 65001;	/* the scripted peer's AS */
static uint8_t	peer_gr;		/* it sends a GR capability */
static int	rcvbuf;		/* SO_RCVBUF of the next listener, 0 = default */
static uint16_t	lport;
static uint8_t	m[BGP_MAX_MSG];

static int64_t
ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
conf(const char *key, const char *value)
{
	char	err[256];

	if (bgp_backend.configure(key, value, err, sizeof(err)) < 0)
		T_FAIL("configure %s %s: %s", key, value, err);
}

/* The scripted peer listens; the speaker connects to it. */
static void
peer_listen(void)
{
	struct sockaddr_in	sin = { .sin_family = AF_INET };
	socklen_t		slen = sizeof(sin);
	int			one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	T_ASSERT((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rcvbuf)	/* inherited by the accepted socket */
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	T_EQ(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	T_EQ(listen(lfd, 4), 0);
	T_EQ(getsockname(lfd, (struct sockaddr *)&sin, &slen), 0);
	lport = ntohs(sin.sin_port);
}

static void
peer_accept(int timeout_ms)
{
	struct pollfd	p = { lfd, POLLIN, 0 };

	T_EQ(poll(&p, 1, timeout_ms), 1);
	T_ASSERT((pfd = accept(lfd, NULL, NULL)) >= 0);
}

/* Reads one message; returns its type, 0 on timeout, -1 on EOF. */
static int
peer_read(int timeout_ms)
{
	struct pollfd	p = { pfd, POLLIN, 0 };
	size_t		got = 0, need = BGP_HDR_LEN;
	ssize_t		n;

	while (got < need) {
		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		n = recv(pfd, m + got, need - got, 0);
		if (n <= 0)
			return -1;
		got += n;
		if (got == BGP_HDR_LEN)
			need = m[16] << 8 | m[17];
	}
	return m[18];
}

static void
peer_send(const uint8_t *b, size_t len)
{
	T_EQ(send(pfd, b, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* OPEN exchange as AS 65001 with every family; expects the 4 EoRs. */
static void
peer_establish(uint16_t hold, uint8_t eors)
{
	struct bgp_open		o = { .as = peer_as, .hold = hold,
	    .fams = BGP_FAM_ALL, .as4 = 1, .rrefresh = 1, .gr = peer_gr,
	    .gr_time = 2, .gr_fams = peer_gr ? BGP_FAM_BIT(BGP_FAM_FLOW4) : 0,
	    .gr_fwd = peer_gr ? BGP_FAM_BIT(BGP_FAM_FLOW4) : 0 }, got;
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			seen = 0;
	int			n;

	o.id = htonl(0x0a000001);
	T_EQ(peer_read(3000), BGP_OPEN);
	T_EQ(bgp_open_parse(m, m[16] << 8 | m[17], &got, &e), 0);
	T_EQ(got.as, 65000);
	T_ASSERT(got.as4 && got.rrefresh);
	n = bgp_open_build(m, sizeof(m), &o);
	peer_send(m, n);
	n = bgp_keepalive_build(m, sizeof(m));
	peer_send(m, n);
	T_EQ(peer_read(3000), BGP_KEEPALIVE);
	while (seen != eors) {
		n = peer_read(3000);
		if (n == BGP_KEEPALIVE)
			continue;
		T_EQ(n, BGP_UPDATE);
		T_EQ(bgp_update_parse(m, m[16] << 8 | m[17], 1, &ui, &e), 0);
		if (ui.eor_fam >= 0)
			seen |= BGP_FAM_BIT(ui.eor_fam);
	}
}

/* Reads UPDATEs for a while and sums what they announce and withdraw. */
static void
peer_updates(int wait_ms, uint32_t *ann, uint32_t *wd)
{
	struct bgp_update_info	ui;
	struct bgp_err		e;
	int64_t			end = ms() + wait_ms;
	int			t;

	*ann = *wd = 0;
	while (ms() < end) {
		t = peer_read(end - ms() > 0 ? end - ms() : 1);
		if (t <= 0)
			break;
		if (t != BGP_UPDATE)
			continue;
		T_EQ(bgp_update_parse(m, m[16] << 8 | m[17], 1, &ui, &e), 0);
		T_ASSERT(ui.treat_as_withdraw == NULL);
		*ann += ui.announced;
		*wd += ui.withdrawn;
	}
}

static void
start(const char *neighbor_opts)
{
	char	err[256], nb[512];

	log_init(1, 0, "test");
	peer_listen();
	conf("router-id", "198.18.0.1");
	conf("local-as", "65000");
	conf("connect-retry", "1");
	conf("min-prefix-len4", "16");
	snprintf(nb, sizeof(nb), "127.0.0.1 remote-as %u port %u "
	    "rtbh-next-hop 198.18.255.1 %s", peer_as, lport, neighbor_opts);
	conf("neighbor", nb);
	if (bgp_backend.start(err, sizeof(err)) < 0)
		T_FAIL("start: %s", err);
	peer_accept(3000);
}

static void
rule4(struct mit_rule *r, int kind, const char *dst, int len)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->dst.family = AF_INET;
	r->dst.len = len;
	inet_pton(AF_INET, dst, r->dst.addr);
}

static struct mit_ruleset rs;

static void
apply_ok(void)
{
	char	err[256];

	if (bgp_backend.apply(&rs, err, sizeof(err)) < 0)
		T_FAIL("apply: %s", err);
}

/* A flow drop and an RTBH host, both seen by the peer, then withdrawn. */
static void
t_announce_withdraw(void)
{
	struct mit_stats	st;
	char			err[128];
	uint32_t		ann, wd;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	T_EQ(bgp_speaker_peers_up(), 1);
	rs.group = 7;
	rs.nrules = 2;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	rs.rules[0].present = MIT_F_PROTO;
	rs.rules[0].nproto = 1;
	rs.rules[0].proto[0] = 17;
	rule4(&rs.rules[1], MIT_KIND_RTBH, "198.18.7.7", 32);
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 2);
	T_EQ(wd, 0);
	T_EQ(bgp_backend.stats(7, &st), 0);
	T_EQ(st.announced, 2);
	T_EQ(st.peers_up, 1);
	T_EQ(st.pkts_dropped, 0);
	/* a rule twice in a group is one route, with the stronger action */
	rs.group = 8;
	rs.nrules = 2;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.9.0", 24);
	rs.rules[0].action = MIT_ACT_RATE_BPS;
	rs.rules[0].rate = 1000;
	rule4(&rs.rules[1], MIT_KIND_FLOW, "198.18.9.0", 24);
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.stats(8, &st), 0);
	T_EQ(st.announced, 1);
	/* the drop won: the rate rule alone changes the attributes */
	rs.nrules = 1;
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.withdraw(8, err, sizeof(err)), 0);
	peer_updates(700, &ann, &wd);
	T_EQ(wd, 1);
	rs.group = 7;
	rs.nrules = 2;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	rs.rules[0].present = MIT_F_PROTO;
	rs.rules[0].nproto = 1;
	rs.rules[0].proto[0] = 17;
	rule4(&rs.rules[1], MIT_KIND_RTBH, "198.18.7.7", 32);
	/* the same set again changes nothing on the wire */
	apply_ok();
	peer_updates(700, &ann, &wd);
	T_EQ(ann + wd, 0);
	/* replace: one rule stays, one goes */
	rs.nrules = 1;
	apply_ok();
	peer_updates(700, &ann, &wd);
	T_EQ(ann, 0);
	T_EQ(wd, 1);
	T_EQ(bgp_backend.withdraw(7, err, sizeof(err)), 0);
	peer_updates(700, &ann, &wd);
	T_EQ(wd, 1);
	T_EQ(bgp_backend.stats(7, &st), -ENOENT);
	T_EQ(bgp_backend.withdraw(7, err, sizeof(err)), 0);	/* unknown */
	bgp_backend.stop();
}

static void
t_route_refresh(void)
{
	uint32_t	ann, wd;
	int		n;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	rs.group = 1;
	rs.nrules = 2;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	rule4(&rs.rules[1], MIT_KIND_FLOW, "198.18.6.0", 24);
	rs.rules[1].action = MIT_ACT_RATE_BPS;
	rs.rules[1].rate = 1000000;
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 2);
	n = bgp_rrefresh_build(m, sizeof(m), BGP_FAM_FLOW4);
	peer_send(m, n);
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 2);
	/* a family with nothing in it: nothing to send */
	n = bgp_rrefresh_build(m, sizeof(m), BGP_FAM_UNI6);
	peer_send(m, n);
	peer_updates(700, &ann, &wd);
	T_EQ(ann, 0);
	bgp_backend.stop();
}

/* The peer goes away; the speaker reconnects and sends everything again. */
static void
t_reannounce_after_reconnect(void)
{
	struct mit_stats	st;
	uint32_t		ann, wd;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	rs.group = 1;
	rs.nrules = 3;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	rule4(&rs.rules[1], MIT_KIND_RTBH, "198.18.7.7", 32);
	rule4(&rs.rules[2], MIT_KIND_RTBH, "198.18.7.8", 32);
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 3);
	close(pfd);
	usleep(200000);
	T_EQ(bgp_backend.stats(1, &st), 0);
	T_EQ(st.announced, 0);	/* nobody holds them now */
	T_EQ(st.peers_up, 0);
	peer_accept(5000);	/* first retry after 0.25 s */
	peer_establish(90, 0);
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 3);
	T_EQ(bgp_backend.stats(1, &st), 0);
	T_EQ(st.announced, 3);
	bgp_backend.stop();
}

/*
 * The reconnect delays: 0.25 s, 0.5 s, then 1 s apart for about 15 s
 * (a peer that just reset refuses for a few seconds: gobgpd ~5 s), then
 * connect-retry doubling up to 2 minutes.
 */
static void
t_retry_delays(void)
{
	uint32_t	i, sum = 0;

	T_EQ(fsm_retry_delay_ms(0, 5), 250);
	T_EQ(fsm_retry_delay_ms(1, 5), 500);
	for (i = 2; i < 16; i++)
		T_EQ(fsm_retry_delay_ms(i, 5), 1000);
	for (i = 0; i < 16; i++)
		sum += fsm_retry_delay_ms(i, 5);
	T_EQ(sum, 14750);
	T_EQ(fsm_retry_delay_ms(16, 5), 5000);
	T_EQ(fsm_retry_delay_ms(17, 5), 10000);
	T_EQ(fsm_retry_delay_ms(20, 5), 80000);
	T_EQ(fsm_retry_delay_ms(21, 5), 120000);
	T_EQ(fsm_retry_delay_ms(5000, 5), 120000);
	T_EQ(fsm_retry_delay_ms(UINT32_MAX, 5), 120000);
	T_EQ(fsm_retry_delay_ms(16, 3600), 120000);
	T_EQ(fsm_retry_delay_ms(16, 1), 1000);
	T_EQ(fsm_retry_delay_ms(3, 3600), 1000);	/* fast phase first */
}

/*
 * The session drops, then the peer refuses (accepts and closes) five
 * times: the speaker comes back within 0.25 s, then at most 1 s apart,
 * and the sixth attempt is established.
 */
static void
t_quick_retry_after_refusals(void)
{
	int64_t	t, prev;
	int	i;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	close(pfd);
	prev = ms();
	for (i = 0; i < 5; i++) {
		peer_accept(1500);
		t = ms();
		if (t - prev > (i == 0 ? 300 : 1050))
			T_FAIL("attempt %d came %lld ms after the previous one",
			    i + 1, (long long)(t - prev));
		prev = t;
		close(pfd);
	}
	peer_accept(1500);
	peer_establish(90, BGP_FAM_ALL);
	bgp_backend.stop();
}

/* A bad marker earns a NOTIFICATION 1/1; the session comes back. */
static void
t_notification_on_garbage(void)
{
	uint8_t	bad[19];
	int	t;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	memset(bad, 0xff, sizeof(bad));
	bad[3] = 0;
	bad[17] = 19;
	bad[18] = BGP_KEEPALIVE;
	peer_send(bad, sizeof(bad));
	while ((t = peer_read(2000)) == BGP_KEEPALIVE)
		;
	T_EQ(t, BGP_NOTIFICATION);
	T_EQ(m[19], BGP_ERR_HEADER);
	T_EQ(m[20], BGP_ERR_HDR_SYNC);
	T_EQ(peer_read(2000), -1);	/* closed */
	close(pfd);
	peer_accept(5000);
	peer_establish(90, BGP_FAM_ALL);
	bgp_backend.stop();
}

/* A wrong AS in OPEN: NOTIFICATION 2/2. */
static void
t_open_bad_as(void)
{
	struct bgp_open	o = { .as = 65099, .hold = 90, .fams = BGP_FAM_ALL,
	    .as4 = 1 };
	int		n, t;

	start("");
	o.id = htonl(0x0a000001);
	T_EQ(peer_read(3000), BGP_OPEN);
	n = bgp_open_build(m, sizeof(m), &o);
	peer_send(m, n);
	t = peer_read(2000);
	T_EQ(t, BGP_NOTIFICATION);
	T_EQ(m[19], BGP_ERR_OPEN);
	T_EQ(m[20], BGP_ERR_OPEN_AS);
	bgp_backend.stop();
}

/* Hold time 3 and a silent peer: NOTIFICATION 4/0 after 3 s. */
static void
t_hold_timer(void)
{
	struct bgp_open	o = { .as = 65001, .hold = 3, .fams = BGP_FAM_ALL,
	    .as4 = 1 };
	int64_t		t0;
	int		n, t, keepalives = 0;

	start("");
	o.id = htonl(0x0a000001);
	T_EQ(peer_read(3000), BGP_OPEN);
	n = bgp_open_build(m, sizeof(m), &o);
	peer_send(m, n);
	n = bgp_keepalive_build(m, sizeof(m));
	peer_send(m, n);
	t0 = ms();
	while ((t = peer_read(5000)) == BGP_KEEPALIVE ||
	    t == BGP_UPDATE)
		keepalives += t == BGP_KEEPALIVE;
	T_EQ(t, BGP_NOTIFICATION);
	T_EQ(m[19], BGP_ERR_HOLD);
	T_ASSERT(ms() - t0 >= 2500 && ms() - t0 < 7000);
	T_ASSERT(keepalives >= 1);	/* one per second with hold 3 */
	bgp_backend.stop();
}

/* All-or-nothing: over max-announce or under the minimum, nothing goes. */
static void
t_ceiling_and_min_prefix(void)
{
	struct mit_stats	st;
	char			err[256];
	uint32_t		ann, wd, i;

	start("max-announce 4");
	peer_establish(90, BGP_FAM_ALL);
	rs.group = 1;
	rs.nrules = 5;
	for (i = 0; i < 5; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.7.%u", i + 1);
		rule4(&rs.rules[i], MIT_KIND_RTBH, a, 32);
	}
	T_EQ(bgp_backend.apply(&rs, err, sizeof(err)), -E2BIG);
	T_ASSERT(strstr(err, "max-announce") != NULL);
	T_EQ(bgp_backend.stats(1, &st), -ENOENT);
	rs.nrules = 4;
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 4);
	/* a second group may not push the peer over either */
	rs.group = 2;
	rs.nrules = 1;
	rule4(&rs.rules[0], MIT_KIND_RTBH, "198.18.8.1", 32);
	T_EQ(bgp_backend.apply(&rs, err, sizeof(err)), -E2BIG);
	/* but replacing group 1 by the same size is fine */
	rs.group = 1;
	rs.nrules = 4;
	rule4(&rs.rules[0], MIT_KIND_RTBH, "198.18.9.9", 32);
	apply_ok();
	/* prefixes shorter than the minimums */
	rs.group = 3;
	rs.nrules = 2;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.0.0", 16);
	rule4(&rs.rules[1], MIT_KIND_FLOW, "198.0.0.0", 8);
	T_EQ(bgp_backend.apply(&rs, err, sizeof(err)), -EPERM);
	rule4(&rs.rules[1], MIT_KIND_RTBH, "198.18.8.0", 24);
	T_EQ(bgp_backend.apply(&rs, err, sizeof(err)), -EPERM);
	T_EQ(bgp_backend.stats(3, &st), -ENOENT);
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 1);	/* 198.18.9.9 replacing 198.18.7.1 */
	T_EQ(wd, 1);
	bgp_backend.stop();
}

/* Drops overlapping an accept exception stay local; others go up. */
static void
t_accept_exception(void)
{
	struct mit_stats	st;
	uint32_t		ann, wd;

	start("");
	peer_establish(90, BGP_FAM_ALL);
	rs.group = 1;
	rs.nrules = 3;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	/* an exception may be wider than the announce minimum */
	rule4(&rs.rules[1], MIT_KIND_FLOW, "198.0.0.0", 8);
	rs.rules[1].action = MIT_ACT_ACCEPT;
	rs.rules[1].present = MIT_F_SRC;
	rs.rules[1].src.family = AF_INET;
	rs.rules[1].src.len = 32;
	inet_pton(AF_INET, "198.19.1.1", rs.rules[1].src.addr);
	/* disjoint from the exception (another family): announced */
	memset(&rs.rules[2], 0, sizeof(rs.rules[2]));
	rs.rules[2].kind = MIT_KIND_FLOW;
	rs.rules[2].dst.family = AF_INET6;
	rs.rules[2].dst.len = 48;
	inet_pton(AF_INET6, "2001:db8:6::", rs.rules[2].dst.addr);
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.stats(1, &st), 0);
	T_EQ(st.announced, 1);
	bgp_backend.stop();
}

/* A peer that takes only flowspec4 and drops gets nothing else. */
static void
t_peer_policy(void)
{
	struct mit_stats	st;
	uint32_t		ann, wd;

	start("families flowspec4 actions drop");
	peer_establish(90, BGP_FAM_BIT(BGP_FAM_FLOW4));
	rs.group = 1;
	rs.nrules = 3;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	rule4(&rs.rules[1], MIT_KIND_FLOW, "198.18.6.0", 24);
	rs.rules[1].action = MIT_ACT_RATE_PPS;
	rs.rules[1].rate = 100;
	rule4(&rs.rules[2], MIT_KIND_RTBH, "198.18.7.7", 32);
	apply_ok();
	peer_updates(500, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.stats(1, &st), 0);
	T_EQ(st.announced, 1);
	bgp_backend.stop();
}

/* Second withdraw within the half-life waits until the penalty decays. */
static void
t_damping(void)
{
	char		err[128];
	uint32_t	ann, wd;
	int64_t		t0;

	conf("damping", "half-life 5 suppress 1500 reuse 1400 max-hold 30");
	start("");
	peer_establish(90, BGP_FAM_ALL);
	rs.group = 1;
	rs.nrules = 1;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	apply_ok();
	peer_updates(700, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.withdraw(1, err, sizeof(err)), 0);
	peer_updates(700, &ann, &wd);
	T_EQ(wd, 1);	/* penalty 1000: withdrawn at once */
	apply_ok();
	peer_updates(700, &ann, &wd);
	T_EQ(ann, 1);
	T_EQ(bgp_backend.withdraw(1, err, sizeof(err)), 0);
	t0 = ms();
	peer_updates(500, &ann, &wd);
	T_EQ(wd, 0);	/* penalty ~1800: held */
	peer_updates(6000, &ann, &wd);
	T_EQ(wd, 1);	/* decayed below 1400 after ~2 s */
	T_ASSERT(ms() - t0 >= 1000);
	bgp_backend.stop();
}

/*
 * Two peers; the second stops reading. 60,000 routes still reach the
 * first, and apply() never waits for either.
 */
static void
t_slow_peer(void)
{
	struct mit_ruleset	*big = calloc(1, sizeof(*big));
	char			err[256], nb[256], info[512];
	int			lfd_a, fd_a, fd_b, k, i, unread;
	uint16_t		port_a;
	uint32_t		ann = 0, wd, n;
	int64_t			t0, apply_ms;

	log_init(1, 0, "test");
	peer_listen();
	lfd_a = lfd;
	port_a = lport;
	rcvbuf = 2048;	/* the slow peer's window stays tiny */
	peer_listen();
	conf("router-id", "198.18.0.1");
	conf("local-as", "65000");
	conf("min-prefix-len4", "32");
	snprintf(nb, sizeof(nb), "127.0.0.1 remote-as 65001 port %u", port_a);
	conf("neighbor", nb);
	snprintf(nb, sizeof(nb), "127.0.0.1 remote-as 65001 port %u", lport);
	conf("neighbor", nb);
	if (bgp_backend.start(err, sizeof(err)) < 0)
		T_FAIL("start: %s", err);
	peer_accept(3000);
	fd_b = pfd;
	peer_establish(90, BGP_FAM_ALL);
	lfd = lfd_a;
	peer_accept(3000);
	fd_a = pfd;
	peer_establish(90, BGP_FAM_ALL);
	/* fd_b is never read again */
	t0 = ms();
	for (k = 0; k < 60000 / MIT_MAX_GROUP_RULES + 1; k++) {
		big->group = 100 + k;
		big->nrules = 0;
		for (i = 0; i < MIT_MAX_GROUP_RULES &&
		    k * MIT_MAX_GROUP_RULES + i < 60000; i++) {
			struct mit_rule	*r = &big->rules[big->nrules++];
			uint32_t	a = 0xc6120000u + k * MIT_MAX_GROUP_RULES + i;

			memset(r, 0, sizeof(*r));
			r->kind = MIT_KIND_FLOW;
			r->dst.family = AF_INET;
			r->dst.len = 32;
			r->dst.addr[0] = a >> 24;
			r->dst.addr[1] = a >> 16;
			r->dst.addr[2] = a >> 8;
			r->dst.addr[3] = a;
		}
		if (bgp_backend.apply(big, err, sizeof(err)) < 0)
			T_FAIL("apply: %s", err);
	}
	apply_ms = ms() - t0;
	T_ASSERT(apply_ms < 3000);
	pfd = fd_a;
	for (t0 = ms(); ann < 60000 && ms() - t0 < 20000; ann += n) {
		peer_updates(500, &n, &wd);
		if (n == 0)
			break;
	}
	T_EQ(ann, 60000);
	/* the slow one is still up, its data stuck unread in the buffers */
	T_EQ(bgp_speaker_peers_up(), 2);
	T_EQ(bgp_speaker_peer_info(1, info, sizeof(info)), 0);
	T_ASSERT(strstr(info, "Established") != NULL);
	T_EQ(ioctl(fd_b, FIONREAD, &unread), 0);
	T_ASSERT(unread > 0);
	(void)fd_b;
	free(big);
	bgp_backend.stop();
}

static void
t_config_errors(void)
{
	char	err[256];

	T_ASSERT(bgp_backend.configure("no-such-thing", "1", err,
	    sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("router-id", "0.0.0.0", err,
	    sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("hold-time", "2", err,
	    sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2", err,
	    sizeof(err)) < 0);
	T_ASSERT(strstr(err, "remote-as") != NULL);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2 remote-as 1 "
	    "rtbh-community 65536:1", err, sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2 remote-as 1 "
	    "rtbh-next-hop 0.0.0.0", err, sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2 remote-as 1 "
	    "families flowspec5", err, sizeof(err)) < 0);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2 remote-as 1 "
	    "md5 \"unterminated", err, sizeof(err)) < 0);
	T_ASSERT(strstr(err, "quote") != NULL);
	T_ASSERT(bgp_backend.configure("neighbor", "198.18.0.2 remote-as 1 "
	    "md5 \"\"", err, sizeof(err)) < 0);	/* empty */
	T_ASSERT(bgp_backend.configure("damping", "suppress 100 reuse 200",
	    err, sizeof(err)) < 0);
	T_ASSERT(bgp_backend.start(err, sizeof(err)) < 0);	/* no AS */
	conf("router-id", "198.18.0.1");
	conf("local-as", "65000");
	/* as dotsd.conf hands it over: quotes kept, \" escaped */
	conf("neighbor", "198.18.0.2 remote-as 65001 passive md5 "
	    "\"s3cr et \\\"x\\\"\" "
	    "families flowspec4,rtbh4 rtbh-community 65001:666 hold-time 30");
	T_EQ(bgp_sp.npeers, 1);
	T_STREQ(bgp_sp.peers[0]->c.md5, "s3cr et \"x\"");
	T_EQ(bgp_sp.peers[0]->c.nextra, 1);
	T_ASSERT(bgp_backend.start(err, sizeof(err)) < 0);	/* no listen */
	T_ASSERT(strstr(err, "passive") != NULL);
	bgp_backend.stop();
}

static void
count_group(uint64_t g, void *arg)
{
	(void)g;
	(*(int *)arg)++;
}

static void
t_list(void)
{
	char	err[128];
	int	n = 0;

	start("");
	rs.group = 11;
	rs.nrules = 1;
	rule4(&rs.rules[0], MIT_KIND_FLOW, "198.18.5.0", 24);
	apply_ok();
	rs.group = 12;
	apply_ok();
	T_EQ(bgp_backend.list(count_group, &n), 0);
	T_EQ(n, 2);
	T_EQ(bgp_backend.withdraw(12, err, sizeof(err)), 0);
	n = 0;
	T_EQ(bgp_backend.list(count_group, &n), 0);
	T_EQ(n, 1);
	bgp_backend.stop();
}

/* ------------------------------------------------------------------ */
/* Receive side                                                       */
/* ------------------------------------------------------------------ */

/* Flowspec NLRI for dst/len (IPv4) with an optional protocol. */
static size_t
nlri4(uint8_t *b, const char *dst, int len, int proto)
{
	size_t	n = 2, k;

	b[1] = 1;
	b[n++] = len;
	inet_pton(AF_INET, dst, b + n);
	n += (len + 7) / 8;
	if (proto >= 0) {
		b[n++] = 3;
		b[n++] = 0x81;
		b[n++] = proto;
	}
	b[0] = n - 1;
	for (k = n; k < 8; k++)
		b[k] = 0;
	return n;
}

/* Sends one UPDATE announcing (or withdrawing) nlri with one action EC. */
static void
peer_flow(const uint8_t *nlri, size_t nlen, int withdraw, uint8_t sub,
    float rate)
{
	static struct bgp_update u;
	struct bgp_attrs	 a = { .ebgp = peer_as != 65000, .as4 = 1,
	    .local_as = peer_as, .local_pref = 100 };
	uint32_t		 bits;
	int			 n;

	if (sub) {
		a.necs = 1;
		memcpy(&bits, &rate, 4);
		a.ecs[0][0] = 0x80;
		a.ecs[0][1] = sub;
		a.ecs[0][4] = bits >> 24;
		a.ecs[0][5] = bits >> 16;
		a.ecs[0][6] = bits >> 8;
		a.ecs[0][7] = bits;
	}
	T_EQ(bgp_update_init(&u, BGP_FAM_FLOW4, withdraw, &a), 0);
	T_EQ(bgp_update_add(&u, nlri, nlen), 0);
	n = bgp_update_finish(&u, m, sizeof(m));
	T_ASSERT(n > 0);
	peer_send(m, n);
}

static struct mit_recv	got[256];

/* Drains received changes until n arrived or wait_ms passed. */
static int
drain(int n, int wait_ms)
{
	int64_t		end = ms() + wait_ms;
	int		k = 0, r;
	struct pollfd	p = { bgp_backend.recv_fd(), POLLIN, 0 };

	while (k < n && ms() < end) {
		(void)poll(&p, 1, 50);
		r = bgp_backend.recv_drain(got + k, 256 - k);
		k += r;
	}
	return k;
}

static uint64_t
ignored(int reason)
{
	uint64_t	c[MIT_RX_REASON_MAX] = { 0 };

	bgp_backend.recv_ignored(c);
	return c[reason];
}

/* Import space, actions, replace, withdraw, ceiling, validation. */
static void
t_receive_policy(void)
{
	uint8_t		b[64];
	size_t		n;
	uint64_t	key;
	int		i;

	start("import 198.18.0.0/16 import-max 3 import-actions "
	    "drop,rate-bytes,accept validate off");
	peer_establish(90, BGP_FAM_ALL);
	n = nlri4(b, "198.18.7.0", 24, 6);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_APPLY);
	T_EQ(got[0].rule.action, MIT_ACT_DROP);
	T_EQ(got[0].rule.dst.len, 24);
	T_EQ(got[0].rule.proto[0], 6);
	T_STREQ(got[0].from, "127.0.0.1");
	key = got[0].key;
	/* outside the import space, or an action not allowed: left out */
	n = nlri4(b, "10.0.0.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	n = nlri4(b, "198.18.8.0", 24, -1);
	peer_flow(b, n, 0, 0x0c, 100);
	T_EQ(drain(1, 500), 0);
	T_EQ(ignored(MIT_RX_IMPORT), 1);
	T_EQ(ignored(MIT_RX_ACTION), 1);
	/* the same NLRI with a rate replaces the drop under the same key */
	n = nlri4(b, "198.18.7.0", 24, 6);
	peer_flow(b, n, 0, 0x06, 1000);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].key, key);
	T_EQ(got[0].rule.action, MIT_ACT_RATE_BPS);
	T_EQ(got[0].rule.rate, 1000);
	/* ...and it goes with a withdraw */
	peer_flow(b, n, 1, 0, 0);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].key, key);
	T_EQ(got[0].op, MIT_RECV_WITHDRAW);
	/* import-max 3: the fourth rule is left out */
	for (i = 0; i < 4; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.0", 20 + i);
		n = nlri4(b, a, 24, -1);
		peer_flow(b, n, 0, 0x06, 0);
	}
	T_EQ(drain(4, 1000), 3);
	T_EQ(ignored(MIT_RX_MAX_RULES), 1);
	/* the peer goes (no GR capability): its rules go at once */
	close(pfd);
	T_EQ(drain(3, 2000), 3);
	for (i = 0; i < 3; i++)
		T_EQ(got[i].op, MIT_RECV_WITHDRAW);
	bgp_backend.stop();
}

/* RFC 8955 §6: eBGP routes need a unicast match; iBGP ones pass (9117). */
static void
t_receive_validation(void)
{
	uint8_t	b[64];
	size_t	n;

	start("import 198.18.0.0/16");
	peer_establish(90, BGP_FAM_ALL);
	n = nlri4(b, "198.18.7.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 500), 0);
	T_EQ(ignored(MIT_RX_VALIDATION), 1);
	bgp_backend.stop();
	close(pfd);
	close(lfd);

	peer_as = 65000;	/* iBGP: empty AS_PATH */
	start("import 198.18.0.0/16");
	peer_establish(90, BGP_FAM_ALL);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_APPLY);
	bgp_backend.stop();
}

/*
 * RFC 7606: a malformed flowspec NLRI or bad attribute flags withdraw
 * what the UPDATE carries; the session stays up.
 */
static void
t_receive_malformed(void)
{
	static const uint8_t bad_and[] = { 0x06, 0x01, 0x08, 0xc6, 0x03,
	    0xc1, 0x06 };
	uint8_t	b[64], msg[256];
	size_t	n, k, end, alen;
	int	len;

	start("import 198.18.0.0/16 validate off");
	peer_establish(90, BGP_FAM_ALL);
	n = nlri4(b, "198.18.7.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 2000), 1);
	/* the same NLRI next to a malformed one: both withdrawn */
	peer_flow(b, n, 0, 0x06, 0);
	len = m[16] << 8 | m[17];
	memcpy(msg, m, len);
	/* append bad_and to the NLRIs of MP_REACH (14, extended length) */
	for (k = 23; k + 3 < (size_t)len; k++)
		if (msg[k] == 0x90 && msg[k + 1] == BGP_ATTR_MP_REACH)
			break;
	T_ASSERT(k + 3 < (size_t)len);
	end = k + 4 + (msg[k + 2] << 8 | msg[k + 3]);
	memmove(msg + end + sizeof(bad_and), msg + end, len - end);
	memcpy(msg + end, bad_and, sizeof(bad_and));
	msg[k + 3] += sizeof(bad_and);
	len += sizeof(bad_and);
	msg[16] = len >> 8;
	msg[17] = len;
	alen = (msg[21] << 8 | msg[22]) + sizeof(bad_and);
	msg[21] = alen >> 8;
	msg[22] = alen;
	peer_send(msg, len);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_WITHDRAW);
	T_EQ(ignored(MIT_RX_MALFORMED), 2);	/* each NLRI of the UPDATE */
	/* EXTENDED_COMMUNITIES flagged well-known: RFC 7606 §3(c) */
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_APPLY);
	peer_flow(b, n, 0, 0x06, 0);
	len = m[16] << 8 | m[17];
	for (k = 23; k + 1 < (size_t)len; k++)
		if ((m[k] & 0xc0) == 0xc0 && m[k + 1] ==
		    BGP_ATTR_EXT_COMMUNITIES)
			break;
	T_ASSERT(k + 1 < (size_t)len);
	m[k] &= ~BGP_ATTR_F_OPTIONAL;
	peer_send(m, len);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_WITHDRAW);
	T_EQ(ignored(MIT_RX_MALFORMED), 3);
	/* still Established: a new rule is taken */
	n = nlri4(b, "198.18.9.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(1, 2000), 1);
	T_EQ(got[0].op, MIT_RECV_APPLY);
	bgp_backend.stop();
}

/*
 * RFC 4724: a peer with the GR capability that loses its TCP session
 * keeps its rules for its restart time (2 s), then they go.
 */
static void
t_receive_graceful_restart(void)
{
	uint8_t	b[64];
	size_t	n;

	peer_gr = 1;
	start("import 198.18.0.0/16 validate off graceful-restart 30");
	peer_establish(90, BGP_FAM_ALL);
	n = nlri4(b, "198.18.7.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	n = nlri4(b, "198.18.8.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	T_EQ(drain(2, 2000), 2);
	close(pfd);
	/* within the restart time nothing goes... */
	T_EQ(drain(1, 1000), 0);
	/* ...the peer is back and sends one of them, then End-of-RIB */
	peer_accept(5000);
	peer_establish(90, 0);
	n = nlri4(b, "198.18.7.0", 24, -1);
	peer_flow(b, n, 0, 0x06, 0);
	n = bgp_eor_build(m, sizeof(m), BGP_FAM_FLOW4);
	peer_send(m, n);
	T_EQ(drain(1, 1500), 1);
	T_EQ(got[0].op, MIT_RECV_WITHDRAW);	/* only the stale one */
	T_EQ(drain(1, 500), 0);
	/* lost again, and not back within its 2 s: the rest goes */
	close(pfd);
	T_EQ(drain(1, 1000), 0);
	T_EQ(drain(1, 4000), 1);
	T_EQ(got[0].op, MIT_RECV_WITHDRAW);
	bgp_backend.stop();
}

/*
 * Bad input from a raw peer: random NLRIs, bit flips in them and random
 * actions. Whatever the speaker hands the engine lies inside the import
 * space and respects the minimum length; nothing else is ever enforced.
 */
static void
t_receive_never_outside_import(void)
{
	static struct flowspec_nlri nl[FLOWSPEC_MAX_SPLIT];
	struct mit_rule	r;
	uint8_t		b[300], sub;
	int		k, i, j, nn, total = 0, applied = 0;
	uint32_t	want_end = 0;

	start("import 198.18.64.0/18 import-min-len4 24 validate off "
	    "import-max 100000");
	peer_establish(90, BGP_FAM_ALL);
	srandom(1234);
	for (k = 0; k < 2000; k++) {
		memset(&r, 0, sizeof(r));
		r.kind = MIT_KIND_FLOW;
		r.dst.family = AF_INET;
		r.dst.len = 12 + random() % 21;
		r.dst.addr[0] = 198;
		r.dst.addr[1] = (random() & 3) ? 18 : random();
		r.dst.addr[2] = random();
		r.dst.addr[3] = random();
		r.present = random() & (MIT_F_PROTO | MIT_F_DSCP |
		    MIT_F_PKT_LEN | MIT_F_FRAG);
		r.nproto = 1;
		r.proto[0] = random();
		r.dscp_set = random() | 1;
		r.npkt_len = 1;
		r.pkt_len[0] = (struct mit_range){ 0, random() % 1500 };
		r.frag_mask = random() & 0x0f;
		nn = flowspec_encode(&r, FLOWSPEC_MAX_LEN, nl, 1);
		if (nn != 1)
			continue;
		memcpy(b, nl[0].buf, nl[0].len);
		/* flip bits of the body, never the length field */
		for (j = random() % 3; j > 0 && nl[0].len > 1; j--)
			b[1 + random() % (nl[0].len - 1)] ^= 1 << (random() % 8);
		sub = (uint8_t[]){ 0x06, 0x0c, 0x07, 0x08 }[random() % 4];
		peer_flow(b, nl[0].len, random() % 5 == 0, sub,
		    (float)(random() % 3));
		total++;
	}
	/* a sentinel inside the space marks the end */
	nn = nlri4(b, "198.18.127.0", 24, 99);
	peer_flow(b, nn, 0, 0x06, 0);
	for (;;) {
		nn = drain(256, 3000);
		if (nn == 0)
			break;
		for (i = 0; i < nn; i++) {
			if (got[i].op != MIT_RECV_APPLY)
				continue;
			applied++;
			T_EQ(got[i].rule.dst.family, AF_INET);
			T_ASSERT(got[i].rule.dst.len >= 24);
			T_EQ(got[i].rule.dst.addr[0], 198);
			T_EQ(got[i].rule.dst.addr[1], 18);
			T_EQ(got[i].rule.dst.addr[2] & 0xc0, 64);
			if (got[i].rule.dst.addr[2] == 127 &&
			    got[i].rule.dst.len == 24 &&
			    got[i].rule.nproto == 1 &&
			    got[i].rule.proto[0] == 99)
				want_end = 1;
		}
		if (want_end)
			break;
	}
	T_ASSERT(want_end);
	T_ASSERT(applied > 10);		/* some were good */
	T_ASSERT(ignored(MIT_RX_IMPORT) + ignored(MIT_RX_PREFIX_LEN) > 100);
	T_EQ(bgp_speaker_peers_up(), 1);	/* never a session reset */
	(void)total;
	bgp_backend.stop();
}

int
main(void)
{
	T_RUN(t_announce_withdraw);
	T_RUN(t_route_refresh);
	T_RUN(t_reannounce_after_reconnect);
	T_RUN(t_retry_delays);
	T_RUN(t_quick_retry_after_refusals);
	T_RUN(t_notification_on_garbage);
	T_RUN(t_open_bad_as);
	T_RUN(t_hold_timer);
	T_RUN(t_ceiling_and_min_prefix);
	T_RUN(t_accept_exception);
	T_RUN(t_peer_policy);
	T_RUN(t_damping);
	T_RUN(t_slow_peer);
	T_RUN(t_config_errors);
	T_RUN(t_list);
	T_RUN(t_receive_policy);
	T_RUN(t_receive_validation);
	T_RUN(t_receive_malformed);
	T_RUN(t_receive_graceful_restart);
	T_RUN(t_receive_never_outside_import);
	return t_done();
}
