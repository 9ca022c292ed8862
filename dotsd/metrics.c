/*
 * metrics.c: Prometheus text exposition (format 0.0.4) over plain HTTP/1.0
 * on "metrics listen ADDR port N". Deliberately tiny: GET /metrics only,
 * at most MET_MAX_CONNS connections, a request of at most MET_MAX_REQ
 * bytes that must arrive within MET_TIMEOUT seconds, one response, close.
 * It reads the same snapshots as dotsctl (mitreq_dump, signal_dump,
 * acl_dump) and the engine's per-mitigation status; it never blocks the
 * main loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dotsd/acl.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/signal.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"

#define MET_MAX_CONNS	8
#define MET_MAX_REQ	2048
#define MET_TIMEOUT	5	/* seconds for the whole exchange */

struct met_conn {
	int		 fd;		/* -1: free */
	char		 in[MET_MAX_REQ];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	time_t		 since;
};

static int		 met_fd = -1;
static struct met_conn	 mconns[MET_MAX_CONNS];
static int		 met_ready;	/* mconns[] initialized */

static time_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

int
metrics_init(const char *addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen;
	int	 fd, one = 1, e, i;

	for (i = 0; i < MET_MAX_CONNS; i++)
		mconns[i].fd = -1;
	met_ready = 1;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		slen = sizeof(*sin6);
	} else {
		snprintf(err, errlen, "metrics: bad address %s", addr);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "metrics: socket: %s", strerror(-e));
		return e;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) != 0 ||
	    listen(fd, 16) != 0) {
		e = -errno;
		snprintf(err, errlen, "metrics: %s port %u: %s", addr, port,
		    strerror(-e));
		close(fd);
		return e;
	}
	met_fd = fd;
	return 0;
}

static void
mconn_close(struct met_conn *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void
metrics_fini(void)
{
	int	i;

	if (!met_ready)
		return;
	for (i = 0; i < MET_MAX_CONNS; i++)
		if (mconns[i].fd >= 0)
			mconn_close(&mconns[i]);
	if (met_fd >= 0)
		close(met_fd);
	met_fd = -1;
}

int
metrics_pollfds(struct pollfd *pfd, int max)
{
	time_t	now = mono_now();
	int	i, n = 0, free_slot = 0;

	/* Without metrics_init (no "metrics listen") there is nothing. */
	if (!met_ready)
		return 0;
	for (i = 0; i < MET_MAX_CONNS; i++) {
		/* Slow or silent scrapers lose their slot. */
		if (mconns[i].fd >= 0 && now - mconns[i].since > MET_TIMEOUT)
			mconn_close(&mconns[i]);
		if (mconns[i].fd < 0) {
			free_slot = 1;
			continue;
		}
		if (n == max)
			continue;
		pfd[n].fd = mconns[i].fd;
		pfd[n].events = mconns[i].outlen > 0 ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	if (met_fd >= 0 && free_slot && n < max) {
		pfd[n].fd = met_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Exposition                                                         */
/* ------------------------------------------------------------------ */

/* Label values: backslash, double quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
counters(FILE *f)
{
	const struct dotsd_counters *c = &dotsd_counters;

	head(f, "dotsd_requests_total", "counter",
	    "Signal channel requests handled.");
	fprintf(f, "dotsd_requests_total %llu\n",
	    (unsigned long long)c->requests);
	head(f, "dotsd_responses_total", "counter",
	    "Responses sent, by CoAP code class.");
	fprintf(f, "dotsd_responses_total{class=\"2xx\"} %llu\n",
	    (unsigned long long)c->responses_2xx);
	fprintf(f, "dotsd_responses_total{class=\"4xx\"} %llu\n",
	    (unsigned long long)c->responses_4xx);
	fprintf(f, "dotsd_responses_total{class=\"5xx\"} %llu\n",
	    (unsigned long long)c->responses_5xx);
	head(f, "dotsd_handshakes_total", "counter",
	    "(D)TLS handshakes, by result.");
	fprintf(f, "dotsd_handshakes_total{result=\"ok\"} %llu\n",
	    (unsigned long long)c->handshakes_ok);
	fprintf(f, "dotsd_handshakes_total{result=\"failed\"} %llu\n",
	    (unsigned long long)c->handshakes_failed);
	head(f, "dotsd_heartbeats_total", "counter",
	    "Heartbeats (RFC 9132 section 4.7), by direction.");
	fprintf(f, "dotsd_heartbeats_total{direction=\"rx\"} %llu\n",
	    (unsigned long long)c->heartbeats_rx);
	fprintf(f, "dotsd_heartbeats_total{direction=\"tx\"} %llu\n",
	    (unsigned long long)c->heartbeats_tx);
	head(f, "dotsd_sessions_lost_total", "counter",
	    "Sessions declared lost after missing heartbeats.");
	fprintf(f, "dotsd_sessions_lost_total %llu\n",
	    (unsigned long long)c->sessions_lost);
	head(f, "dotsd_notifications_total", "counter",
	    "Observe notifications sent.");
	fprintf(f, "dotsd_notifications_total %llu\n",
	    (unsigned long long)c->notifications);
}

static void
sessions(FILE *f)
{
	json_t	*sess = signal_dump(), *s;
	const char *t;
	size_t	 i;
	unsigned dtls = 0, tls = 0;

	json_array_foreach(sess, i, s) {
		t = json_string_value(json_object_get(s, "transport"));
		if (t != NULL && strcmp(t, "tls") == 0)
			tls++;
		else
			dtls++;
	}
	json_decref(sess);
	head(f, "dotsd_sessions", "gauge",
	    "Signal channel sessions, by transport.");
	fprintf(f, "dotsd_sessions{transport=\"dtls\"} %u\n", dtls);
	fprintf(f, "dotsd_sessions{transport=\"tls\"} %u\n", tls);
}

/* RFC 9132 §4.4.2, Table 3: every status, so absent ones read 0. */
static const char *const statuses[] = {
	"attack-mitigation-in-progress",
	"attack-successfully-mitigated",
	"attack-stopped",
	"attack-exceeded-capability",
	"dots-client-withdrawn-mitigation",
	"attack-mitigation-terminated",
	"attack-mitigation-withdrawn",
	"attack-mitigation-signal-loss",
};
#define NSTATUS	(sizeof(statuses) / sizeof(statuses[0]))

static const char *const states[] = {
	[MIT_ST_PENDING] = "pending",
	[MIT_ST_ACTIVE] = "active",
	[MIT_ST_EXCEEDED] = "exceeded",
	[MIT_ST_FAILED] = "failed",
	[MIT_ST_RECORDED] = "recorded",
};

static void
mit_labels(FILE *f, const json_t *m)
{
	fputs("{client=", f);
	label(f, json_string_value(json_object_get(m, "client")));
	fputs(",cuid=", f);
	label(f, json_string_value(json_object_get(m, "cuid")));
	fprintf(f, ",mid=\"%lld\"}", (long long)json_integer_value(
	    json_object_get(m, "mid")));
}

/* One family of per-mitigation series, from the engine's status. */
enum mit_series {
	SER_PKTS, SER_BYTES, SER_PPS, SER_BPS, SER_LEVEL, SER_ROUTES, SER_MAX
};

static const struct {
	const char	*name, *type, *help;
} series[SER_MAX] = {
	[SER_PKTS] = { "dotsd_mitigation_dropped_packets_total", "counter",
	    "Packets dropped locally (XDP) for this mitigation." },
	[SER_BYTES] = { "dotsd_mitigation_dropped_bytes_total", "counter",
	    "Bytes dropped locally (XDP) for this mitigation." },
	[SER_PPS] = { "dotsd_mitigation_dropped_pps", "gauge",
	    "Packets per second dropped, averaged by the engine." },
	[SER_BPS] = { "dotsd_mitigation_dropped_bps", "gauge",
	    "Bytes per second dropped, averaged by the engine." },
	[SER_LEVEL] = { "dotsd_mitigation_level", "gauge",
	    "Escalation level: 0 local, 1 flowspec, 2 rtbh." },
	[SER_ROUTES] = { "dotsd_mitigation_routes_announced", "gauge",
	    "BGP routes announced upstream for this mitigation." },
};

static uint64_t
series_value(int s, const struct mit_status *st)
{
	switch (s) {
	case SER_PKTS:
		return st->pkts_dropped;
	case SER_BYTES:
		return st->bytes_dropped;
	case SER_PPS:
		return st->pps_dropped;
	case SER_BPS:
		return st->bps_dropped;
	case SER_LEVEL:
		return st->level;
	default:
		return st->routes_announced;
	}
}

static void
mitigations(FILE *f)
{
	json_t	*mits = mitreq_dump(), *m;
	struct mit_status *st;
	uint8_t	*have;
	unsigned counts[NSTATUS] = { 0 }, engine_states[MIT_ST_MAX] = { 0 };
	const char *status;
	size_t	 i, j, n = json_array_size(mits);
	int	 s;

	st = calloc(n ? n : 1, sizeof(*st));
	have = calloc(n ? n : 1, 1);
	json_array_foreach(mits, i, m) {
		status = json_string_value(json_object_get(m, "status"));
		for (j = 0; status != NULL && j < NSTATUS; j++)
			if (strcmp(status, statuses[j]) == 0)
				counts[j]++;
		if (st != NULL && have != NULL && json_is_integer(
		    json_object_get(m, "id")) && engine_status((uint64_t)
		    json_integer_value(json_object_get(m, "id")),
		    &st[i]) == 0 && st[i].state < MIT_ST_MAX) {
			have[i] = 1;
			engine_states[st[i].state]++;
		}
	}
	head(f, "dotsd_mitigations", "gauge",
	    "Mitigation requests, by RFC 9132 status.");
	for (j = 0; j < NSTATUS; j++)
		fprintf(f, "dotsd_mitigations{status=\"%s\"} %u\n",
		    statuses[j], counts[j]);
	head(f, "dotsd_engine_mitigations", "gauge",
	    "Mitigations held by the engine, by enforcement state.");
	for (j = 0; j < MIT_ST_MAX; j++)
		fprintf(f, "dotsd_engine_mitigations{state=\"%s\"} %u\n",
		    states[j], engine_states[j]);
	for (s = 0; s < SER_MAX && st != NULL && have != NULL; s++) {
		head(f, series[s].name, series[s].type, series[s].help);
		json_array_foreach(mits, i, m) {
			if (!have[i])
				continue;
			fputs(series[s].name, f);
			mit_labels(f, m);
			fprintf(f, " %llu\n",
			    (unsigned long long)series_value(s, &st[i]));
		}
	}
	free(st);
	free(have);
	json_decref(mits);
}

static void
ace_labels(FILE *f, const json_t *e)
{
	static const char *const keys[] = { "client", "cuid", "acl", "ace" };
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fprintf(f, "%c%s=", i == 0 ? '{' : ',', keys[i]);
		label(f, json_string_value(json_object_get(e, keys[i])));
	}
	fputc('}', f);
}

/*
 * RFC 8783 ACL entries (the data channel's filters): what each matched,
 * by client, cuid, ACL and entry name, as `dotsctl show acls` shows.
 * An entry reads 0 while its ACL is not in force: its filter is gone
 * from the engine, and Prometheus takes the drop as a counter reset.
 */
static void
acls(FILE *f)
{
	static const struct {
		const char	*name, *key, *help;
	} ser[] = {
		{ "dotsd_acl_matched_packets_total", "pkts",
		    "Packets an RFC 8783 ACL entry matched (XDP)." },
		{ "dotsd_acl_matched_bytes_total", "bytes",
		    "Bytes an RFC 8783 ACL entry matched (XDP)." },
	};
	json_t	*arr = acl_dump(), *e;
	size_t	 i, s;

	for (s = 0; s < sizeof(ser) / sizeof(ser[0]); s++) {
		head(f, ser[s].name, "counter", ser[s].help);
		json_array_foreach(arr, i, e) {
			fputs(ser[s].name, f);
			ace_labels(f, e);
			fprintf(f, " %lld\n", (long long)json_integer_value(
			    json_object_get(e, ser[s].key)));
		}
	}
	head(f, "dotsd_acl_active", "gauge",
	    "1 while an RFC 8783 ACL entry is in force.");
	json_array_foreach(arr, i, e) {
		fputs("dotsd_acl_active", f);
		ace_labels(f, e);
		fprintf(f, " %d\n", json_is_true(json_object_get(e,
		    "active")));
	}
	json_decref(arr);
}

/* The whole exposition into a malloc'ed buffer; NULL on OOM. */
char *
metrics_render(size_t *len)
{
	char	*buf = NULL;
	FILE	*f;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	counters(f);
	sessions(f);
	mitigations(f);
	acls(f);
	received_metrics(f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* HTTP/1.0                                                           */
/* ------------------------------------------------------------------ */

static void
respond(struct met_conn *c, const char *status, const char *ctype,
    const char *body, size_t blen)
{
	char	hdr[256];
	int	hlen;

	hlen = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, ctype, blen);
	if ((c->out = malloc((size_t)hlen + blen)) == NULL) {
		mconn_close(c);
		return;
	}
	memcpy(c->out, hdr, (size_t)hlen);
	memcpy(c->out + hlen, body, blen);
	c->outlen = (size_t)hlen + blen;
	c->outoff = 0;
}

static void
handle_request(struct met_conn *c)
{
	static const char text[] = "text/plain; charset=utf-8";
	static const char prom[] = "text/plain; version=0.0.4; charset=utf-8";
	char	*body, *sp, *path, *end;
	size_t	 blen;

	c->in[c->inlen] = '\0';
	end = c->in + strcspn(c->in, "\r\n");
	*end = '\0';
	sp = strchr(c->in, ' ');
	if (sp == NULL || strncmp(c->in, "GET ", 4) != 0) {
		respond(c, sp ? "405 Method Not Allowed" : "400 Bad Request",
		    text, "GET /metrics only\n", 18);
		return;
	}
	path = sp + 1;
	path[strcspn(path, " ")] = '\0';
	if (strcmp(path, "/metrics") != 0) {
		respond(c, "404 Not Found", text, "GET /metrics only\n", 18);
		return;
	}
	if ((body = metrics_render(&blen)) == NULL) {
		respond(c, "500 Internal Server Error", text, "", 0);
		return;
	}
	respond(c, "200 OK", prom, body, blen);
	free(body);
}

static void
mconn_read(struct met_conn *c)
{
	ssize_t	n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		mconn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	/* The request ends with an empty line; headers are ignored. */
	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
		handle_request(c);
	else if (c->inlen == sizeof(c->in) - 1)
		respond(c, "431 Request Header Fields Too Large",
		    "text/plain", "", 0);
}

static void
mconn_write(struct met_conn *c)
{
	ssize_t	n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			mconn_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen)
		mconn_close(c);		/* HTTP/1.0: close ends the body */
}

static void
maccept(void)
{
	int	fd, i;

	for (;;) {
		for (i = 0; i < MET_MAX_CONNS && mconns[i].fd >= 0; i++)
			;
		if (i == MET_MAX_CONNS)
			return;
		fd = accept4(met_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_debug("metrics: accept: %s",
				    strerror(errno));
			return;
		}
		memset(&mconns[i], 0, sizeof(mconns[i]));
		mconns[i].fd = fd;
		mconns[i].since = mono_now();
	}
}

void
metrics_process(const struct pollfd *pfd, int n)
{
	int	i, j;

	if (!met_ready)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (met_fd >= 0 && pfd[i].fd == met_fd) {
			maccept();
			continue;
		}
		for (j = 0; j < MET_MAX_CONNS; j++) {
			if (mconns[j].fd != pfd[i].fd)
				continue;
			if (mconns[j].outlen == 0)
				mconn_read(&mconns[j]);
			if (mconns[j].fd >= 0 && mconns[j].outlen > 0)
				mconn_write(&mconns[j]);
			break;
		}
	}
}
