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
 *	seconds for SECONDS; server CPU and RSS per session from /proc.
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
};

static SSL_CTX *ctx;
static struct sockaddr_in server;
static int dotsd_pid;

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
 * A NON request to /.well-known/dots/<res>[/extra...] with a CBOR body.
 * Returns its length.
 */
static size_t
coap_req(uint8_t *p, uint16_t msgid, uint32_t token, const char *res,
    const char *seg1, const char *seg2, const uint8_t *body, size_t blen)
{
	static const uint8_t cf[2] = { 0x01, 0x0f };	/* 271 */
	unsigned last = 0;
	size_t n = 0;

	p[n++] = 0x40 | 0x10 | 4;	/* ver 1, NON, token length 4 */
	p[n++] = 0x03;			/* PUT */
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
	n += opt(p + n, &last, 12, cf, sizeof(cf));
	p[n++] = 0xff;
	memcpy(p + n, body, blen);
	return n + blen;
}

/* {1: {2: [{6: ["198.18.A.B/32"], 14: 3600}]}} */
static size_t
scope_body(uint8_t *p, unsigned i)
{
	char pfx[32];
	size_t n = 0, l;

	l = (size_t)snprintf(pfx, sizeof(pfx), "198.18.%u.%u/32",
	    (i >> 8) & 0xff, i & 0xff);
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

/* Reads whatever is there; counts responses with a 2.xx code. */
static int
drain(struct conn *c, int *ok2xx)
{
	uint8_t buf[2048];
	int n, got = 0;

	while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0) {
		/* Requests from the server (its heartbeats) are not ours. */
		if (n >= 2 && buf[1] >= 64) {
			got++;
			if (buf[1] >> 5 == 2)
				(*ok2xx)++;
		}
	}
	return got;
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

static void
bench_sessions(int n, int seconds, int interval)
{
	struct conn *cs = calloc((size_t)n, sizeof(*cs));
	struct epoll_event evs[512];
	static const uint8_t hb[] = { 0xa1, 0x18, 0x31, 0xa1, 0x18, 0x33,
	    0xf5 };
	uint8_t req[256];
	int ep = epoll_create1(0), up, i, k, sent = 0, got = 0, ok = 0;
	long rss0, rss1;
	double t0, t1, cpu0, cpu1, hcpu0, end;
	uint16_t msgid = 1;
	size_t len;

	rss0 = server_rss();
	hcpu0 = server_cpu();
	t0 = now_s();
	up = open_all(cs, n, ep);
	t1 = now_s();
	rss1 = server_rss();
	printf("%6d DTLS sessions: %d up in %.1f s, server CPU %.2f ms per "
	    "handshake\n", n, up, t1 - t0,
	    (server_cpu() - hcpu0) * 1e3 / (up ? up : 1));
	printf("%6d DTLS sessions: server RSS %ld -> %ld kB, %.1f kB per "
	    "session\n", n, rss0, rss1, (double)(rss1 - rss0) / (up ? up : 1));

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
			len = coap_req(req, msgid++, (uint32_t)i, "hb", NULL,
			    NULL, hb, sizeof(hb));
			if (SSL_write(cs[i].ssl, req, (int)len) > 0)
				sent++;
			cs[i].next_hb += interval;
		}
		k = epoll_wait(ep, evs, 512, 5);
		for (i = 0; i < k; i++)
			got += drain(&cs[evs[i].data.u32], &ok);
	}
	/* Late answers. */
	while ((k = epoll_wait(ep, evs, 512, 500)) > 0)
		for (i = 0; i < k; i++)
			got += drain(&cs[evs[i].data.u32], &ok);
	t1 = now_s();
	cpu1 = server_cpu();
	printf("%6d DTLS sessions: %d heartbeats in %.0f s (%.0f/s), %d "
	    "answered (%d 2.04); server CPU %.1f %% of a core, %.0f us per "
	    "heartbeat\n", n, sent, t1 - t0, sent / (t1 - t0), got, ok,
	    100 * (cpu1 - cpu0) / (t1 - t0),
	    (cpu1 - cpu0) * 1e6 / (sent ? sent : 1));
	for (i = 0; i < n; i++) {
		if (cs[i].ssl != NULL)
			SSL_free(cs[i].ssl);	/* no close_notify: cheap */
		if (cs[i].fd > 0)
			close(cs[i].fd);
	}
	free(cs);
}

static void
usage(void)
{
	fprintf(stderr, "usage: signal-bench -p port -c cert -k key -a ca "
	    "-P pid put N | sessions N seconds interval\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char *cert = NULL, *key = NULL, *ca = NULL;
	int ch, port = 4646;

	while ((ch = getopt(argc, argv, "a:c:k:p:P:")) != -1) {
		switch (ch) {
		case 'a': ca = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': dotsd_pid = atoi(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || cert == NULL || key == NULL || ca == NULL)
		usage();
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)port);
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

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
		bench_sessions(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]));
	else
		usage();
	SSL_CTX_free(ctx);
	return 0;
}
