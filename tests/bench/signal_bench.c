/*
 * signal_bench.c: load client for dotsd's signal channel, on raw OpenSSL
 * DTLS (a libcoap client context would walk all its own sessions on every
 * wake-up, like the server, and measure itself). It prints figures only.
 *
 *   signal-bench -p PORT -c CERT -k KEY -a CA -P DOTSD_PID put N
 *	mitigation PUTs over one DTLS session, 32 in flight: N creations
 *	(distinct mid and /32 target), then N refreshes of one mid.
 *   signal-bench ... sessions N SECONDS INTERVAL
 *	N concurrent DTLS sessions, each sending a heartbeat every INTERVAL
 *	seconds for SECONDS; handshakes/s, server CPU and RSS per session
 *	from /proc, heartbeats answered and their p50/p99.
 *   signal-bench ... churn SESSIONS RATE SECONDS INTERVAL DELAY
 *	RATE PUT/s over SESSIONS sessions, each one's DELETE DELAY s later,
 *	heartbeats every INTERVAL s: answered, p50/p99, CPU per message.
 *   signal-bench ... [-W window] install|withdraw N MID
 *	N PUTs (DELETEs) over one session, window in flight.
 * -h ADDR server (default 127.0.0.1), -b ADDR first target, -t TAG names
 * the RESULT lines signal-bench.sh turns into ratios. Any CoAP server
 * works (libcoap's coap-server-openssl -d for the comparison).
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define WINDOW		32
#define HANDSHAKES	32	/* in flight; libcoap admits ~100 */

struct conn {
	int		 fd;
	SSL		*ssl;
	int		 up;
	double		 next_hb;
	uint16_t	 msgid;		/* per session: libcoap dedupes on it */
	uint32_t	 mid;		/* next DOTS mid (churn) */
};

static SSL_CTX *ctx;
static struct sockaddr_in server;
static int dotsd_pid;
static uint32_t target_base = 0xc6120000;	/* 198.18.0.0, host order */
static uint32_t window = WINDOW;		/* install: in flight */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Server CPU seconds (utime + stime) from /proc/PID/stat. */
static double
server_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", dotsd_pid);
	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), f) ==
	    NULL) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	fclose(f);
	/* Fields after the ")" of comm: state is 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Server resident set in kB from /proc/PID/status. */
static long
server_rss(void)
{
	char path[64], line[256];
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", dotsd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* CoAP option (RFC 7252 §3.1) with delta from *last. */
static size_t
opt(uint8_t *p, unsigned *last, unsigned num, const void *val, size_t len)
{
	unsigned delta = num - *last;
	size_t n = 1;

	*last = num;
	p[0] = 0;
	if (delta < 13)
		p[0] = (uint8_t)(delta << 4);
	else {
		p[0] = 13 << 4;
		p[n++] = (uint8_t)(delta - 13);
	}
	if (len < 13)
		p[0] |= (uint8_t)len;
	else {
		p[0] |= 13;
		p[n++] = (uint8_t)(len - 13);
	}
	memcpy(p + n, val, len);
	return n + len;
}

/*
 * A NON request (code: 0x03 PUT, 0x04 DELETE) to
 * /.well-known/dots/<res>[/extra...] with a CBOR body unless blen is 0.
 * Returns its length.
 */
static size_t
coap_req_code(uint8_t *p, uint8_t code, uint16_t msgid, uint32_t token,
    const char *res, const char *seg1, const char *seg2, const uint8_t *body,
    size_t blen)
{
	static const uint8_t cf[2] = { 0x01, 0x0f };	/* 271 */
	unsigned last = 0;
	size_t n = 0;

	p[n++] = 0x40 | 0x10 | 4;	/* ver 1, NON, token length 4 */
	p[n++] = code;
	p[n++] = (uint8_t)(msgid >> 8);
	p[n++] = (uint8_t)msgid;
	memcpy(p + n, &token, 4);
	n += 4;
	n += opt(p + n, &last, 11, ".well-known", 11);
	n += opt(p + n, &last, 11, "dots", 4);
	n += opt(p + n, &last, 11, res, strlen(res));
	if (seg1 != NULL)
		n += opt(p + n, &last, 11, seg1, strlen(seg1));
	if (seg2 != NULL)
		n += opt(p + n, &last, 11, seg2, strlen(seg2));
	if (blen == 0)
		return n;
	n += opt(p + n, &last, 12, cf, sizeof(cf));
	p[n++] = 0xff;
	memcpy(p + n, body, blen);
	return n + blen;
}

static size_t
coap_req(uint8_t *p, uint16_t msgid, uint32_t token, const char *res,
    const char *seg1, const char *seg2, const uint8_t *body, size_t blen)
{
	return coap_req_code(p, 0x03, msgid, token, res, seg1, seg2, body,
	    blen);
}

/* {1: {2: [{6: ["<base + i>/32"], 14: 3600}]}} */
static size_t
scope_body(uint8_t *p, unsigned i)
{
	char pfx[32];
	size_t n = 0, l;
	uint32_t a = target_base + i;

	l = (size_t)snprintf(pfx, sizeof(pfx), "%u.%u.%u.%u/32", a >> 24,
	    (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	p[n++] = 0xa1; p[n++] = 0x01;
	p[n++] = 0xa1; p[n++] = 0x02;
	p[n++] = 0x81;
	p[n++] = 0xa2;
	p[n++] = 0x06; p[n++] = 0x81;
	p[n++] = (uint8_t)(0x60 | l);
	memcpy(p + n, pfx, l);
	n += l;
	p[n++] = 0x0e; p[n++] = 0x19; p[n++] = 0x0e; p[n++] = 0x10;
	return n;
}

static void
conn_open(struct conn *c)
{
	BIO *bio;

	if ((c->fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(c->fd, (struct sockaddr *)&server, sizeof(server)) == -1) {
		perror("socket");
		exit(1);
	}
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	bio = BIO_new_dgram(c->fd, BIO_NOCLOSE);
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &server);
	c->ssl = SSL_new(ctx);
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_connect_state(c->ssl);
	c->up = 0;
}

/* Drives a handshake; 1 done, 0 in progress, -1 failed. */
static int
conn_step(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1) {
		c->up = 1;
		return 1;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		return -1;
	}
}

/*
 * Opens n sessions with at most HANDSHAKES in flight. Returns how many
 * came up.
 */
static int
open_all(struct conn *cs, int n, int ep)
{
	struct epoll_event ev, evs[256];
	int started = 0, done = 0, failed = 0, inflight = 0, i, k, r;
	double last_timeout = now_s();

	while (done + failed < n) {
		while (inflight < HANDSHAKES && started < n) {
			conn_open(&cs[started]);
			ev.events = EPOLLIN;
			ev.data.u32 = (uint32_t)started;
			epoll_ctl(ep, EPOLL_CTL_ADD, cs[started].fd, &ev);
			r = conn_step(&cs[started]);
			started++;
			if (r == 0)
				inflight++;
			else if (r > 0)
				done++;
			else
				failed++;
		}
		k = epoll_wait(ep, evs, 256, 50);
		for (i = 0; i < k; i++) {
			struct conn *c = &cs[evs[i].data.u32];

			if (c->up || c->ssl == NULL)
				continue;
			r = conn_step(c);
			if (r > 0) {
				done++;
				inflight--;
			} else if (r < 0) {
				failed++;
				inflight--;
				SSL_free(c->ssl);
				c->ssl = NULL;
			}
		}
		/* DTLS retransmission timers of handshakes in flight. */
		if (now_s() - last_timeout > 0.2) {
			for (i = 0; i < started; i++)
				if (!cs[i].up && cs[i].ssl != NULL)
					DTLSv1_handle_timeout(cs[i].ssl);
			last_timeout = now_s();
		}
	}
	if (failed > 0)
		fprintf(stderr, "signal-bench: %d handshakes failed\n", failed);
	return done;
}

/*
 * Requests in flight, by token (the index): when each was sent, what it
 * was, and whether its answer came. Tokens past the table are not
 * tracked (put mode sends its own).
 */
enum { K_PUT, K_DEL, K_HB, K_MAX };
static const char *const kind_name[K_MAX] = { "PUT", "DELETE", "heartbeat" };

struct sent {
	double		 t;		/* 0: not sent */
	float		 lat;		/* seconds, < 0: no answer */
	uint8_t		 kind;
	uint8_t		 code;		/* CoAP code of the answer */
};

static struct sent *track;
static uint32_t nsent_max, nanswered;

/* Reads whatever is there; counts responses with a 2.xx code. */
static int
drain(struct conn *c, int *ok2xx)
{
	uint8_t buf[2048];
	uint32_t tok;
	int n, got = 0;

	while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
		/* Requests from the server (its heartbeats) are not ours. */
		if (n < 2 || buf[1] < 64)
			continue;
		got++;
		if (buf[1] >> 5 == 2)
			(*ok2xx)++;
		if ((buf[0] & 0x0f) != 4 || n < 8 || track == NULL)
			continue;
		memcpy(&tok, buf + 4, 4);
		if (tok < nsent_max && track[tok].t > 0 && track[tok].lat < 0) {
			track[tok].lat = (float)(now_s() - track[tok].t);
			track[tok].code = buf[1];
			nanswered++;
		}
	}
	return got;
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/*
 * Per kind: sent, answered, answered 2.xx, p50/p99 latency of the
 * answered ones. Prints a human line and a RESULT line for the script.
 */
static void
report(const char *tag, uint32_t n, double cpu, double secs)
{
	float *lat = calloc(n ? n : 1, sizeof(*lat));
	uint32_t i, k, cnt, ans, ok, total = 0;

	for (k = 0; k < K_MAX; k++) {
		cnt = ans = ok = 0;
		for (i = 0; i < n; i++) {
			if (track[i].t == 0 || track[i].kind != k)
				continue;
			cnt++;
			if (track[i].lat < 0)
				continue;
			lat[ans++] = track[i].lat;
			if (track[i].code >> 5 == 2)
				ok++;
		}
		total += cnt;
		if (cnt == 0)
			continue;
		qsort(lat, ans, sizeof(*lat), cmp_float);
		printf("  %-9s %7u sent, %7u answered (%.3f), %7u 2.xx; "
		    "p50 %.1f ms, p99 %.1f ms\n", kind_name[k], cnt, ans,
		    (double)ans / cnt, ok, ans ? lat[ans / 2] * 1e3 : 0,
		    ans ? lat[(size_t)(ans * 0.99)] * 1e3 : 0);
		printf("RESULT %s %s sent=%u answered=%u ok=%u ratio=%.4f "
		    "p50_ms=%.2f p99_ms=%.2f\n", tag, kind_name[k], cnt, ans,
		    ok, (double)ans / cnt, ans ? lat[ans / 2] * 1e3 : 0,
		    ans ? lat[(size_t)(ans * 0.99)] * 1e3 : 0);
	}
	printf("  server CPU %.1f %% of a core, %.0f us per message\n",
	    100 * cpu / secs, cpu * 1e6 / (total ? total : 1));
	printf("RESULT %s cpu pct=%.2f us_per_msg=%.1f\n", tag,
	    100 * cpu / secs, cpu * 1e6 / (total ? total : 1));
	free(lat);
}

/* Sends one tracked request on c; token = its slot. */
static void
send_tracked(struct conn *c, uint32_t slot, int kind, const char *res,
    const char *seg1, const char *seg2, const uint8_t *body, size_t blen,
    uint8_t code)
{
	uint8_t req[512];
	size_t len;

	if (slot >= nsent_max || !c->up)
		return;
	len = coap_req_code(req, code, c->msgid++, slot, res, seg1, seg2,
	    body, blen);
	track[slot].t = now_s();
	track[slot].lat = -1;
	track[slot].kind = (uint8_t)kind;
	SSL_write(c->ssl, req, (int)len);
}

static void
bench_put(int n)
{
	struct conn c;
	uint8_t req[512], body[128];
	char mid[32];
	int ep = epoll_create1(0), phase, sent, answered, ok, inflight;
	double t0, t1, cpu0, cpu1;
	struct epoll_event evs[4];
	size_t len;

	if (open_all(&c, 1, ep) != 1) {
		fprintf(stderr, "signal-bench: no session\n");
		exit(1);
	}
	for (phase = 0; phase < 2; phase++) {
		sent = answered = ok = inflight = 0;
		t0 = now_s();
		cpu0 = server_cpu();
		while (answered < n) {
			while (inflight < WINDOW && sent < n) {
				unsigned m = phase == 0 ? 1000 + (unsigned)sent :
				    1000;

				snprintf(mid, sizeof(mid), "mid=%u", m);
				len = coap_req(req, (uint16_t)(sent + phase *
				    n), (uint32_t)sent, "mitigate",
				    "cuid=bench", mid, body,
				    scope_body(body, phase == 0 ?
				    (unsigned)sent : 0));
				if (SSL_write(c.ssl, req, (int)len) <= 0)
					break;
				sent++;
				inflight++;
			}
			if (epoll_wait(ep, evs, 4, 2000) <= 0) {
				fprintf(stderr, "signal-bench: %d answers "
				    "missing\n", sent - answered);
				break;
			}
			int got = drain(&c, &ok);

			answered += got;
			inflight -= got;
		}
		t1 = now_s();
		cpu1 = server_cpu();
		printf("mitigation PUT %-9s %6d requests %8.0f/s  server CPU "
		    "%5.0f us/request  (%d answered 2.xx)\n",
		    phase == 0 ? "(create)" : "(refresh)", n,
		    answered / (t1 - t0),
		    (cpu1 - cpu0) * 1e6 / (answered ? answered : 1), ok);
	}
}

static const uint8_t hb_body[] = { 0xa1, 0x18, 0x31, 0xa1, 0x18, 0x33,
    0xf5 };

/* Waits up to ms for answers on any session. */
static void
poll_answers(struct conn *cs, int ep, int ms)
{
	struct epoll_event evs[512];
	int i, k, ok = 0;

	k = epoll_wait(ep, evs, 512, ms);
	for (i = 0; i < k; i++)
		drain(&cs[evs[i].data.u32], &ok);
}

static void
bench_sessions(int n, int seconds, int interval, const char *tag)
{
	struct conn *cs = calloc((size_t)n, sizeof(*cs));
	int ep = epoll_create1(0), up, i;
	long rss0, rss1;
	double t0, t1, cpu0, cpu1, hcpu0, end, late;
	uint32_t slot = 0;

	nsent_max = (uint32_t)((double)n * (seconds / (double)interval + 2));
	track = calloc(nsent_max, sizeof(*track));
	rss0 = server_rss();
	hcpu0 = server_cpu();
	t0 = now_s();
	up = open_all(cs, n, ep);
	t1 = now_s();
	rss1 = server_rss();
	printf("%6d DTLS sessions: %d up, %d failed, in %.1f s (%.0f "
	    "handshakes/s), server CPU %.2f ms per handshake\n", n, up, n - up,
	    t1 - t0, up / (t1 - t0),
	    (server_cpu() - hcpu0) * 1e3 / (up ? up : 1));
	printf("%6d DTLS sessions: server RSS %ld -> %ld kB, %.1f kB per "
	    "session\n", n, rss0, rss1, (double)(rss1 - rss0) / (up ? up : 1));
	printf("RESULT %s sessions n=%d up=%d failed=%d hs_per_s=%.1f "
	    "hs_cpu_ms=%.3f rss_kb_per_session=%.2f\n", tag, n, up, n - up,
	    up / (t1 - t0), (server_cpu() - hcpu0) * 1e3 / (up ? up : 1),
	    (double)(rss1 - rss0) / (up ? up : 1));

	/* Spread the heartbeats evenly over the interval. */
	t0 = now_s();
	for (i = 0; i < n; i++)
		cs[i].next_hb = t0 + (double)interval * i / n;
	cpu0 = server_cpu();
	end = t0 + seconds;
	while (now_s() < end) {
		double t = now_s();

		for (i = 0; i < n; i++) {
			if (!cs[i].up || cs[i].next_hb > t)
				continue;
			send_tracked(&cs[i], slot++, K_HB, "hb", NULL, NULL,
			    hb_body, sizeof(hb_body), 0x03);
			cs[i].next_hb += interval;
		}
		poll_answers(cs, ep, 5);
	}
	cpu1 = server_cpu();
	t1 = now_s();
	/* Late answers, not counted in the CPU window. */
	for (late = now_s() + 2; now_s() < late;)
		poll_answers(cs, ep, 50);
	printf("%6d DTLS sessions, a heartbeat every %d s for %.0f s:\n", n,
	    interval, t1 - t0);
	report(tag, slot, cpu1 - cpu0, t1 - t0);
	for (i = 0; i < n; i++) {
		if (cs[i].ssl != NULL)
			SSL_free(cs[i].ssl);	/* no close_notify: cheap */
		if (cs[i].fd > 0)
			close(cs[i].fd);
	}
	free(cs);
	free(track);
	track = NULL;
}

/*
 * Churn: n sessions; rate PUTs per second (new mid, its own /32, lifetime
 * 3600) round-robin over them, and each one's DELETE delay seconds
 * later on the same session, plus a heartbeat every interval s per
 * session, for seconds. Every request is tracked by its token.
 */
static void
bench_churn(int n, int rate, int seconds, int interval, int delay,
    const char *tag)
{
	struct conn *cs = calloc((size_t)n, sizeof(*cs));
	uint32_t *put_slot, *put_mid, nput, ndel = 0, slot = 0, k, target;
	uint16_t *put_conn;
	uint8_t body[128];
	char cuid[32], mid[32];
	int ep = epoll_create1(0), up, i;
	double t0, t1, cpu0, cpu1, end, late, t;

	nput = (uint32_t)rate * (uint32_t)seconds;
	nsent_max = nput * 2 + (uint32_t)((double)n * (seconds /
	    (double)interval + 2));
	track = calloc(nsent_max, sizeof(*track));
	put_slot = calloc(nput, sizeof(*put_slot));
	put_mid = calloc(nput, sizeof(*put_mid));
	put_conn = calloc(nput, sizeof(*put_conn));
	up = open_all(cs, n, ep);
	if (up < n)
		fprintf(stderr, "signal-bench: only %d of %d sessions\n", up, n);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		cs[i].next_hb = t0 + (double)interval * i / n;
		cs[i].mid = 1;
	}
	cpu0 = server_cpu();
	end = t0 + seconds;
	k = 0;
	while ((t = now_s()) < end || ndel < k) {
		/* PUTs due by now at rate per second */
		while (t < end && k < nput && t0 + (double)k / rate <= t) {
			struct conn *c = &cs[k % (uint32_t)n];

			snprintf(cuid, sizeof(cuid), "cuid=churn%u", k %
			    (uint32_t)n);
			snprintf(mid, sizeof(mid), "mid=%u", c->mid);
			put_mid[k] = c->mid++;
			put_conn[k] = (uint16_t)(k % (uint32_t)n);
			target = k % 131072;	/* 198.18.0.0/15 */
			put_slot[k] = slot;
			send_tracked(c, slot++, K_PUT, "mitigate", cuid, mid,
			    body, scope_body(body, target), 0x03);
			k++;
		}
		/* each PUT's DELETE, delay s after it */
		while (ndel < k && t0 + (double)ndel / rate + delay <= t) {
			struct conn *c = &cs[put_conn[ndel]];

			snprintf(cuid, sizeof(cuid), "cuid=churn%u",
			    put_conn[ndel]);
			snprintf(mid, sizeof(mid), "mid=%u", put_mid[ndel]);
			send_tracked(c, slot++, K_DEL, "mitigate", cuid, mid,
			    NULL, 0, 0x04);
			ndel++;
		}
		for (i = 0; i < n && t < end; i++) {
			if (!cs[i].up || cs[i].next_hb > t)
				continue;
			send_tracked(&cs[i], slot++, K_HB, "hb", NULL, NULL,
			    hb_body, sizeof(hb_body), 0x03);
			cs[i].next_hb += interval;
		}
		poll_answers(cs, ep, 1);
	}
	cpu1 = server_cpu();
	t1 = now_s();
	for (late = now_s() + 2; now_s() < late;)
		poll_answers(cs, ep, 50);
	printf("churn: %d sessions, %d PUT/s + %d DELETE/s (each %d s after "
	    "its PUT), a heartbeat every %d s per session, %d s of PUTs "
	    "(%.0f s in all):\n", n, rate, rate, delay, interval, seconds,
	    t1 - t0);
	report(tag, slot, cpu1 - cpu0, t1 - t0);
	for (i = 0; i < n; i++) {
		if (cs[i].ssl != NULL)
			SSL_free(cs[i].ssl);
		if (cs[i].fd > 0)
			close(cs[i].fd);
	}
	free(cs);
	free(track);
	free(put_slot);
	free(put_mid);
	free(put_conn);
	track = NULL;
}

/*
 * install: n mitigation PUTs (or with del, their DELETEs) over one
 * session, mids mid0.., targets base+i/32, WINDOW in flight; the time
 * until the last answer.
 */
static void
bench_install(int n, unsigned mid0, int del, const char *tag)
{
	struct conn c;
	uint8_t body[128];
	char mid[32];
	int ep = epoll_create1(0);
	uint32_t next = 0, seen = 0;
	double t0, t1, cpu0, last = now_s();

	memset(&c, 0, sizeof(c));
	nsent_max = (uint32_t)n;
	track = calloc(nsent_max, sizeof(*track));
	if (open_all(&c, 1, ep) != 1) {
		fprintf(stderr, "signal-bench: no session\n");
		exit(1);
	}
	t0 = now_s();
	cpu0 = server_cpu();
	nanswered = 0;
	while (nanswered < (uint32_t)n) {
		while (next - nanswered < window && next < (uint32_t)n) {
			snprintf(mid, sizeof(mid), "mid=%u", mid0 + next);
			if (del)
				send_tracked(&c, next, K_DEL, "mitigate",
				    "cuid=install", mid, NULL, 0, 0x04);
			else
				send_tracked(&c, next, K_PUT, "mitigate",
				    "cuid=install", mid, body,
				    scope_body(body, next), 0x03);
			next++;
		}
		poll_answers(&c, ep, 100);
		if (nanswered > seen) {
			seen = nanswered;
			last = now_s();
		} else if (now_s() - last > 10) {
			fprintf(stderr, "signal-bench: %u answers missing\n",
			    next - nanswered);
			break;
		}
	}
	t1 = now_s();
	printf("%s %d mitigations over one DTLS session, %d in flight: "
	    "%.2f s (%.0f/s)\n", del ? "withdrawing" : "installing", n, window,
	    t1 - t0, n / (t1 - t0));
	report(tag, (uint32_t)n, server_cpu() - cpu0, t1 - t0);
	printf("RESULT %s install secs=%.3f\n", tag, t1 - t0);
	free(track);
	track = NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: signal-bench -p port -c cert -k key -a ca "
	    "-P pid [-t tag] [-h addr] [-b base] [-W window] put N |\n"
	    "    sessions N seconds interval |\n"
	    "    churn sessions rate seconds interval delay |\n"
	    "    install N mid | withdraw N mid\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char *cert = NULL, *key = NULL, *ca = NULL, *tag = "server";
	int ch, port = 4646;

	struct in_addr a;

	memset(&server, 0, sizeof(server));
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((ch = getopt(argc, argv, "a:b:c:h:k:p:P:t:W:")) != -1) {
		switch (ch) {
		case 'a': ca = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': dotsd_pid = atoi(optarg); break;
		case 't': tag = optarg; break;
		case 'W': window = (uint32_t)atoi(optarg); break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &a) != 1)
				usage();
			target_base = ntohl(a.s_addr);
			break;
		case 'h':
			if (inet_pton(AF_INET, optarg, &server.sin_addr) != 1)
				usage();
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || cert == NULL || key == NULL || ca == NULL)
		usage();
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);

	ctx = SSL_CTX_new(DTLS_client_method());
	if (ctx == NULL ||
	    SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (strcmp(argv[0], "put") == 0)
		bench_put(atoi(argv[1]));
	else if (strcmp(argv[0], "sessions") == 0 && argc == 4)
		bench_sessions(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]),
		    tag);
	else if ((strcmp(argv[0], "install") == 0 ||
	    strcmp(argv[0], "withdraw") == 0) && argc == 3)
		bench_install(atoi(argv[1]), (unsigned)atol(argv[2]),
		    argv[0][0] == 'w', tag);
	else if (strcmp(argv[0], "churn") == 0 && argc == 6)
		bench_churn(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]),
		    atoi(argv[4]), atoi(argv[5]), tag);
	else
		usage();
	SSL_CTX_free(ctx);
	return 0;
}
