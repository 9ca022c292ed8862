/*
 * dotsd_control_test.c: dotsd/control.c and dotsd/metrics.c, driven by a
 * poll loop like dotsd's, with test doubles for the parts other engineers
 * own (mitreq_dump, signal_dump, mitreq_withdraw_admin, engine_status,
 * engine_reconcile). Also runs the dotsctl binary against the socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dotsd/acl.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/signal.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"
#include "tests/t.h"

/* ------------------------------------------------------------------ */
/* Test doubles                                                       */
/* ------------------------------------------------------------------ */

static int	withdrawn_mid = -1;
static char	withdrawn_client[64];

/* One ACL entry, as dotsd/acl.c dumps it. */
json_t *
acl_dump(void)
{
	return json_pack("[{s:s,s:s,s:s,s:s,s:s,s:b,s:I,s:I}]", "client",
	    "acme", "cuid", "cuid2", "acl", "drop-list", "ace", "e1",
	    "activation", "immediate", "active", 1, "pkts", (json_int_t)42,
	    "bytes", (json_int_t)2520);
}

json_t *
mitreq_dump(void)
{
	return json_pack("[{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:[s,s], s:b},"
	    " {s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:[], s:b},"
	    " {s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:[], s:b}]",
	    "id", (json_int_t)11, "client", "acme", "cuid", "cu\"id1",
	    "cdid", "", "mid", (json_int_t)7,
	    "status", "attack-mitigation-in-progress",
	    "remaining", (json_int_t)3500,
	    "targets", "198.18.0.0/24", "2001:db8::/48", "enforced", 1,
	    "id", (json_int_t)12, "client", "acme", "cuid", "cuid2",
	    "cdid", "", "mid", (json_int_t)8,
	    "status", "attack-mitigation-in-progress",
	    "remaining", (json_int_t)10, "targets", "enforced", 1,
	    "id", (json_int_t)13, "client", "other", "cuid", "c3",
	    "cdid", "", "mid", (json_int_t)1,
	    "status", "attack-mitigation-withdrawn",
	    "remaining", (json_int_t)0, "targets", "enforced", 0);
}

json_t *
signal_dump(void)
{
	return json_pack("[{s:s, s:s, s:s, s:I}, {s:s, s:s, s:s, s:I}]",
	    "client", "acme", "peer", "198.18.0.5:40000", "transport", "dtls",
	    "since", (json_int_t)1700000000,
	    "client", "acme", "peer", "[2001:db8::5]:40001", "transport", "tls",
	    "since", (json_int_t)1700000001);
}

int
mitreq_withdraw_admin(const char *client, uint32_t mid)
{
	if (strcmp(client, "acme") != 0 || mid != 7)
		return -ENOENT;
	withdrawn_mid = (int)mid;
	snprintf(withdrawn_client, sizeof(withdrawn_client), "%s", client);
	return 0;
}

int
engine_status(uint64_t id, struct mit_status *st)
{
	memset(st, 0, sizeof(*st));
	switch (id) {
	case 11:
		st->state = MIT_ST_ACTIVE;
		st->level = MIT_LEVEL_FLOWSPEC;
		st->pkts_dropped = 123456789012ULL;
		st->bytes_dropped = 98765;
		st->pps_dropped = 1000;
		st->bps_dropped = 64000;
		st->routes_announced = 2;
		return 0;
	case 12:
		st->state = MIT_ST_PENDING;
		return 0;
	default:
		return -ENOENT;
	}
}

/* Received rules: one rule from one peer, two left out. */
void
engine_recv_list(void (*fn)(const struct mit_recv_info *, void *),
    void *arg)
{
	struct mit_recv_info	ri;

	memset(&ri, 0, sizeof(ri));
	ri.key = 5;
	ri.npeers = 2;
	snprintf(ri.from, sizeof(ri.from), "198.18.0.1");
	ri.rule.dst.family = AF_INET;
	ri.rule.dst.len = 24;
	ri.rule.dst.addr[0] = 198;
	ri.rule.dst.addr[1] = 18;
	ri.rule.dst.addr[2] = 7;
	ri.rule.action = MIT_ACT_DROP;
	ri.st.pkts_dropped = 1000;
	ri.st.bytes_dropped = 64000;
	fn(&ri, arg);
}

size_t
engine_recv_count(void)
{
	return 1;
}

void
engine_recv_ignored(uint64_t counts[MIT_RX_REASON_MAX])
{
	memset(counts, 0, sizeof(uint64_t) * MIT_RX_REASON_MAX);
	counts[MIT_RX_IMPORT] = 2;
}

const char *
engine_recv_reason_name(int reason)
{
	return reason == MIT_RX_IMPORT ? "outside-import" : "other";
}

int
engine_reconcile(char *report, size_t len)
{
	snprintf(report, len, "xdp: group 12 missing");
	return 1;
}

/* ------------------------------------------------------------------ */
/* Harness                                                            */
/* ------------------------------------------------------------------ */

static char	dir[] = "/tmp/dotsd-control-test.XXXXXX";
static char	sock[128];

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One round of dotsd's loop for control and metrics. */
static void
loop_once(int ms)
{
	struct pollfd pfd[32];
	int	nc, nm;

	nc = control_pollfds(pfd, 16);
	nm = metrics_pollfds(pfd + nc, 16);
	if (poll(pfd, (nfds_t)(nc + nm), ms) < 0)
		T_FAIL("poll: %s", strerror(errno));
	control_process(pfd, nc);
	metrics_process(pfd + nc, nm);
}

/* Serves until fd has a full line (or EOF); returns it (malloc'ed). */
static char *
read_reply(int fd)
{
	static char buf[1 << 16];
	size_t	 len = 0;
	ssize_t	 n;
	long	 end = now_ms() + 5000;

	while (now_ms() < end) {
		loop_once(10);
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (strchr(buf, '\n') != NULL)
				break;
		}
	}
	buf[len] = '\0';
	return strdup(buf);
}

static int
ctl_connect(void)
{
	struct sockaddr_un sun;
	int	fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	T_ASSERT(fd >= 0);
	T_EQ(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Sends one request line, returns the parsed reply. */
static json_t *
ask(int fd, const char *line)
{
	json_t	*rep;
	char	*text;

	T_EQ(send(fd, line, strlen(line), 0), (long long)strlen(line));
	text = read_reply(fd);
	rep = json_loads(text, 0, NULL);
	if (rep == NULL)
		T_FAIL("reply to %s is no JSON: \"%s\"", line, text);
	free(text);
	return rep;
}

static struct dotsd_conf *
test_conf(void)
{
	struct dotsd_conf *c;
	char	 path[200], err[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	f = fopen(path, "w");
	T_ASSERT(f != NULL);
	fputs("psk yes\n"
	    "client acme { identity psk acme-id key 0102; prefix 198.18.0.0/16;"
	    " mitigate-with xdp flowspec }\n"
	    "client other { identity psk o key 03; prefix 2001:db8::/32 }\n",
	    f);
	fclose(f);
	if (conf_parse(path, &c, err, sizeof(err)) != 0)
		T_FAIL("%s", err);
	return c;
}

static void
start(void)
{
	char	err[256];

	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	if (control_init(sock, err, sizeof(err)) != 0)
		T_FAIL("control_init: %s", err);
}

/* ------------------------------------------------------------------ */
/* Control socket                                                     */
/* ------------------------------------------------------------------ */

/* dotsd polls both even when neither is configured. */
static void
t_not_configured(void)
{
	struct pollfd pfd[32];
	int	fd0 = open("/dev/null", O_RDONLY);

	/* make sure fd 0 is something the code could wrongly poll or close */
	if (fcntl(0, F_GETFD) < 0)
		T_EQ(dup2(fd0, 0), 0);
	T_EQ(control_pollfds(pfd, 32), 0);
	T_EQ(metrics_pollfds(pfd, 32), 0);
	pfd[0].fd = 0;
	pfd[0].revents = POLLIN;
	control_process(pfd, 1);
	metrics_process(pfd, 1);
	control_fini();
	metrics_fini();
	T_ASSERT(fcntl(0, F_GETFD) >= 0);
	close(fd0);
}

static void
t_socket_mode(void)
{
	struct stat st;
	char	 err[256];
	int	 fd;

	start();
	T_EQ(stat(sock, &st), 0);
	T_ASSERT(S_ISSOCK(st.st_mode));
	T_EQ(st.st_mode & 0777, 0600);
	/* a second daemon on the same path is refused */
	T_EQ(control_init(sock, err, sizeof(err)), -EADDRINUSE);
	T_ASSERT(strstr(err, "another dotsd") != NULL);
	control_fini();
	T_ASSERT(access(sock, F_OK) != 0);
	/* a stale socket file (no listener) is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strcpy(sun.sun_path, sock);
		T_EQ(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	}
	close(fd);
	start();
	control_fini();
	/* a regular file is not ours to remove */
	close(open(sock, O_CREAT | O_WRONLY, 0600));
	T_EQ(control_init(sock, err, sizeof(err)), -EEXIST);
	unlink(sock);
}

static void
t_show(void)
{
	struct dotsd_conf *c = test_conf();
	json_t	*rep, *res, *e;
	int	 fd;

	start();
	control_set_conf(c);
	fd = ctl_connect();

	rep = ask(fd, "{\"command\": \"show mitigations\"}\n");
	T_ASSERT(json_is_true(json_object_get(rep, "ok")));
	res = json_object_get(rep, "result");
	T_EQ(json_array_size(res), 3);
	T_EQ(json_integer_value(json_object_get(json_array_get(res, 0), "mid")),
	    7);
	json_decref(rep);

	rep = ask(fd, "{\"command\": \"show sessions\"}\n");
	T_EQ(json_array_size(json_object_get(rep, "result")), 2);
	json_decref(rep);

	rep = ask(fd, "{\"command\": \"show acls\"}\n");
	res = json_object_get(rep, "result");
	T_EQ(json_array_size(res), 1);
	T_EQ(json_integer_value(json_object_get(json_array_get(res, 0),
	    "pkts")), 42);
	json_decref(rep);

	rep = ask(fd, "{\"command\": \"show clients\"}\n");
	res = json_object_get(rep, "result");
	T_EQ(json_array_size(res), 2);
	e = json_array_get(res, 0);
	T_STREQ(json_string_value(json_object_get(e, "name")), "acme");
	T_STREQ(json_string_value(json_object_get(e, "identity-kind")), "psk");
	T_EQ(json_integer_value(json_object_get(e, "mitigations")), 2);
	T_EQ(json_integer_value(json_object_get(e, "sessions")), 2);
	T_STREQ(json_string_value(json_array_get(json_object_get(e,
	    "prefixes"), 0)), "198.18.0.0/16");
	T_EQ(json_array_size(json_object_get(e, "mitigate-with")), 2);
	/* the PSK itself never leaves the daemon */
	T_ASSERT(strstr(json_dumps(rep, 0), "0102") == NULL);
	e = json_array_get(res, 1);
	T_EQ(json_integer_value(json_object_get(e, "mitigations")), 1);
	T_EQ(json_integer_value(json_object_get(e, "sessions")), 0);
	json_decref(rep);

	dotsd_counters.requests = 42;
	dotsd_counters.heartbeats_rx = 5;
	rep = ask(fd, "show counters\n");	/* plain words work too */
	res = json_object_get(rep, "result");
	T_EQ(json_integer_value(json_object_get(res, "requests")), 42);
	T_EQ(json_integer_value(json_object_get(res, "heartbeats-rx")), 5);
	T_EQ(json_object_size(res), 10);
	json_decref(rep);

	rep = ask(fd, "show received\n");
	res = json_object_get(rep, "result");
	e = json_array_get(json_object_get(res, "rules"), 0);
	T_STREQ(json_string_value(json_object_get(e, "match")),
	    "198.18.7.0/24");
	T_STREQ(json_string_value(json_object_get(e, "action")), "drop");
	T_EQ(json_integer_value(json_object_get(e, "pkts-dropped")), 1000);
	T_EQ(json_integer_value(json_object_get(e, "peers")), 2);
	T_EQ(json_integer_value(json_object_get(json_object_get(res,
	    "ignored"), "outside-import")), 2);
	json_decref(rep);
	close(fd);
	control_fini();
	conf_free(c);
}

static void
t_commands(void)
{
	json_t	*rep, *res;
	int	 fd;

	start();
	fd = ctl_connect();
	rep = ask(fd, "{\"command\":\"withdraw\",\"client\":\"acme\","
	    "\"mid\":7}\n");
	T_ASSERT(json_is_true(json_object_get(rep, "ok")));
	T_EQ(withdrawn_mid, 7);
	T_STREQ(withdrawn_client, "acme");
	json_decref(rep);

	rep = ask(fd, "withdraw acme 9\n");
	T_ASSERT(json_is_false(json_object_get(rep, "ok")));
	T_STREQ(json_string_value(json_object_get(rep, "error")),
	    "no mitigation 9 of client \"acme\"");
	json_decref(rep);

	rep = ask(fd, "withdraw acme x\n");
	T_ASSERT(json_is_false(json_object_get(rep, "ok")));
	json_decref(rep);

	rep = ask(fd, "reconcile\n");
	res = json_object_get(rep, "result");
	T_EQ(json_integer_value(json_object_get(res, "differences")), 1);
	T_STREQ(json_string_value(json_object_get(res, "report")),
	    "xdp: group 12 missing");
	json_decref(rep);

	rep = ask(fd, "{\"command\":\"log verbose\",\"level\":2}\n");
	T_ASSERT(json_is_true(json_object_get(rep, "ok")));
	T_EQ(log_getverbose(), 2);
	json_decref(rep);
	rep = ask(fd, "log verbose 9\n");
	T_ASSERT(json_is_false(json_object_get(rep, "ok")));
	T_EQ(log_getverbose(), 2);
	json_decref(rep);
	close(fd);
	control_fini();
}

static void
t_bad_requests(void)
{
	static const struct {
		const char	*line;
		const char	*error;
	} bad[] = {
		{ "{\"command\": \"format disk\"}\n",
		    "unknown command \"format disk\"" },
		{ "{\"command\": 5}\n", "no \"command\"" },
		{ "[1,2]\n", "unknown command \"[1,2]\"" },
		{ "{\"command\": \n", NULL },
		{ "show me the money\n", "unknown command \"(too many words)\"" },
		{ "{\"command\":\"withdraw\",\"client\":\"a\",\"mid\":-1}\n",
		    "mid out of range" },
	};
	json_t	*rep;
	char	 big[8192], *text;
	size_t	 i;
	int	 fd, fd2;

	start();
	fd = ctl_connect();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rep = ask(fd, bad[i].line);
		T_ASSERT(json_is_false(json_object_get(rep, "ok")));
		if (bad[i].error != NULL)
			T_STREQ(json_string_value(json_object_get(rep,
			    "error")), bad[i].error);
		json_decref(rep);
	}
	/* two requests in one write get two replies, in order */
	T_EQ(send(fd, "show counters\nshow sessions\n", 28, 0), 28);
	text = read_reply(fd);
	T_ASSERT(strstr(text, "\"requests\"") != NULL);
	free(text);
	/* an endless line is refused and the connection closed */
	fd2 = ctl_connect();
	memset(big, 'x', sizeof(big));
	T_EQ(send(fd2, big, sizeof(big), MSG_NOSIGNAL), (long long)sizeof(big));
	text = read_reply(fd2);
	T_ASSERT(strstr(text, "request longer than 4095 bytes") != NULL);
	free(text);
	/* the first connection still works */
	rep = ask(fd, "show clients\n");
	T_ASSERT(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
	close(fd2);
	control_fini();
}

/* Clients that connect and vanish, or never read, do not wedge it. */
static void
t_many_clients(void)
{
	int	 fds[20], i, fd;
	json_t	*rep;

	start();
	for (i = 0; i < 20; i++) {
		fds[i] = ctl_connect();
		loop_once(5);
	}
	for (i = 0; i < 20; i++)
		close(fds[i]);
	for (i = 0; i < 20; i++)
		loop_once(5);
	fd = ctl_connect();
	rep = ask(fd, "show counters\n");
	T_ASSERT(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
	control_fini();
}

/* dotsctl, the binary, against this socket; parent serves. */
static int
run_dotsctl(const char *args, char *out, size_t outlen)
{
	char	 cmd[512], bin[256];
	const char *o = getenv("OUT");
	int	 fds[2], status;
	ssize_t	 n;
	size_t	 len = 0;
	pid_t	 pid;
	long	 end = now_ms() + 10000;

	snprintf(bin, sizeof(bin), "%s/bin/dotsctl", o ? o : ".output");
	snprintf(cmd, sizeof(cmd), "%s -s %s %s", bin, sock, args);
	T_EQ(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	while (now_ms() < end) {
		loop_once(10);
		n = read(fds[0], out + len, outlen - 1 - len);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
	}
	out[len] = '\0';
	close(fds[0]);
	T_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
t_dotsctl(void)
{
	struct dotsd_conf *c = test_conf();
	char	out[8192];

	start();
	control_set_conf(c);
	T_EQ(run_dotsctl("show mitigations", out, sizeof(out)), 0);
	T_ASSERT(strstr(out, "client") == out);
	T_ASSERT(strstr(out, "198.18.0.0/24,2001:db8::/48") != NULL);
	T_ASSERT(strstr(out, "attack-mitigation-withdrawn") != NULL);
	T_EQ(run_dotsctl("-j show sessions", out, sizeof(out)), 0);
	T_ASSERT(strncmp(out, "{\"ok\":true,\"result\":[", 21) == 0);
	T_EQ(run_dotsctl("show clients", out, sizeof(out)), 0);
	T_ASSERT(strstr(out, "xdp,flowspec") != NULL);
	T_EQ(run_dotsctl("show acls", out, sizeof(out)), 0);
	T_ASSERT(strstr(out, "drop-list") != NULL);
	T_ASSERT(strstr(out, "2520") != NULL);
	T_EQ(run_dotsctl("show counters", out, sizeof(out)), 0);
	T_ASSERT(strstr(out, "sessions-lost") != NULL);
	T_EQ(run_dotsctl("withdraw acme 7", out, sizeof(out)), 0);
	T_STREQ(out, "withdrew mitigation 7 of client acme\n");
	T_EQ(run_dotsctl("withdraw acme 8", out, sizeof(out)), 1);
	T_STREQ(out, "dotsctl: no mitigation 8 of client \"acme\"\n");
	/* reconcile with differences exits 1 */
	T_EQ(run_dotsctl("reconcile", out, sizeof(out)), 1);
	T_ASSERT(strstr(out, "1 difference\nxdp: group 12 missing") != NULL);
	T_EQ(run_dotsctl("log verbose 1", out, sizeof(out)), 0);
	T_EQ(run_dotsctl("show nothing", out, sizeof(out)), 2);
	T_EQ(run_dotsctl("withdraw acme -1", out, sizeof(out)), 2);
	control_fini();
	T_EQ(run_dotsctl("show counters", out, sizeof(out)), 3);
	T_ASSERT(strstr(out, "No such file") != NULL);
	conf_free(c);
}

/* ------------------------------------------------------------------ */
/* Metrics                                                            */
/* ------------------------------------------------------------------ */

static void
t_render(void)
{
	char	*text;
	size_t	 len;

	dotsd_counters.responses_4xx = 3;
	dotsd_counters.handshakes_failed = 4;
	text = metrics_render(&len);
	T_ASSERT(text != NULL);
	T_EQ(strlen(text), len);
	T_ASSERT(strstr(text, "# TYPE dotsd_requests_total counter\n"));
	T_ASSERT(strstr(text,
	    "# TYPE dotsd_acl_matched_packets_total counter\n"));
	T_ASSERT(strstr(text, "dotsd_acl_matched_packets_total{client=\"acme\","
	    "cuid=\"cuid2\",acl=\"drop-list\",ace=\"e1\"} 42\n"));
	T_ASSERT(strstr(text, "dotsd_acl_matched_bytes_total{client=\"acme\","
	    "cuid=\"cuid2\",acl=\"drop-list\",ace=\"e1\"} 2520\n"));
	T_ASSERT(strstr(text, "dotsd_acl_active{client=\"acme\","
	    "cuid=\"cuid2\",acl=\"drop-list\",ace=\"e1\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_responses_total{class=\"4xx\"} 3\n"));
	T_ASSERT(strstr(text, "dotsd_handshakes_total{result=\"failed\"} 4\n"));
	T_ASSERT(strstr(text, "dotsd_sessions{transport=\"dtls\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_sessions{transport=\"tls\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_mitigations{status=\"attack-mitigation-"
	    "in-progress\"} 2\n"));
	T_ASSERT(strstr(text, "dotsd_mitigations{status=\"attack-mitigation-"
	    "withdrawn\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_mitigations{status=\"attack-stopped\"} "
	    "0\n"));
	T_ASSERT(strstr(text, "dotsd_engine_mitigations{state=\"active\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_engine_mitigations{state=\"pending\"} "
	    "1\n"));
	/* label values escaped (the cuid holds a double quote) */
	T_ASSERT(strstr(text, "dotsd_mitigation_dropped_packets_total{client="
	    "\"acme\",cuid=\"cu\\\"id1\",mid=\"7\"} 123456789012\n"));
	T_ASSERT(strstr(text, "dotsd_mitigation_dropped_bytes_total{client="
	    "\"acme\",cuid=\"cuid2\",mid=\"8\"} 0\n"));
	T_ASSERT(strstr(text, "dotsd_mitigation_level{client=\"acme\",cuid="
	    "\"cu\\\"id1\",mid=\"7\"} 1\n"));
	T_ASSERT(strstr(text, "dotsd_mitigation_routes_announced{client="
	    "\"acme\",cuid=\"cu\\\"id1\",mid=\"7\"} 2\n"));
	/* the engine does not know mitigation 13: no series for it */
	T_ASSERT(strstr(text, "mid=\"1\"") == NULL);
	/* received flowspec rules: per rule and per reason left out */
	T_ASSERT(strstr(text, "dotsd_received_rules 1\n"));
	T_ASSERT(strstr(text, "dotsd_received_rules_ignored_total{reason="
	    "\"outside-import\"} 2\n"));
	T_ASSERT(strstr(text, "dotsd_received_rule_dropped_packets_total{key="
	    "\"5\",match=\"198.18.7.0/24\"} 1000\n"));
	free(text);
}

static int
http_connect(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int	fd;

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	T_ASSERT(fd >= 0);
	T_EQ(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Sends req, serves until the server closes; returns everything read. */
static char *
http(uint16_t port, const char *req)
{
	static char buf[1 << 16];
	size_t	 len = 0;
	ssize_t	 n;
	long	 end = now_ms() + 10000;
	int	 fd = http_connect(port);

	T_EQ(send(fd, req, strlen(req), 0), (long long)strlen(req));
	while (now_ms() < end) {
		loop_once(10);
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static uint16_t
metrics_start(void)
{
	char	 err[256];
	uint16_t port;
	int	 i;

	/* a free port: try a few from a pid-derived base */
	for (i = 0; i < 50; i++) {
		port = (uint16_t)(20000 + (getpid() * 7 + i * 131) % 30000);
		if (metrics_init("127.0.0.1", port, err, sizeof(err)) == 0)
			return port;
	}
	T_FAIL("metrics_init: %s", err);
}

static void
t_http(void)
{
	uint16_t port = metrics_start();
	char	*r;

	r = http(port, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
	T_ASSERT(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0);
	T_ASSERT(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	T_ASSERT(strstr(r, "\r\n\r\n# HELP dotsd_requests_total"));
	T_ASSERT(strstr(r, "dotsd_mitigation_dropped_pps{"));
	r = http(port, "GET / HTTP/1.0\r\n\r\n");
	T_ASSERT(strncmp(r, "HTTP/1.0 404 ", 13) == 0);
	r = http(port, "POST /metrics HTTP/1.0\r\n\r\n");
	T_ASSERT(strncmp(r, "HTTP/1.0 405 ", 13) == 0);
	r = http(port, "garbage\n\n");
	T_ASSERT(strncmp(r, "HTTP/1.0 400 ", 13) == 0);
	metrics_fini();
}

/* Silent connections take a slot for at most the timeout. */
static void
t_http_bounded(void)
{
	uint16_t port = metrics_start();
	char	 big[4096], *r;
	int	 fds[8], i;

	for (i = 0; i < 8; i++) {
		fds[i] = http_connect(port);
		loop_once(5);
	}
	/* all slots taken: a ninth scraper waits until they time out */
	r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
	T_ASSERT(strncmp(r, "HTTP/1.0 200 OK", 15) == 0);
	for (i = 0; i < 8; i++)
		close(fds[i]);
	/* an oversized request gets 431, not a crash */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	r = http(port, big);
	T_ASSERT(strncmp(r, "HTTP/1.0 431 ", 13) == 0);
	metrics_fini();
}

int
main(void)
{
	char	cmd[200];
	int	failed;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_init(1, 0, "dotsd_control_test");
	T_RUN(t_not_configured);
	T_RUN(t_socket_mode);
	T_RUN(t_show);
	T_RUN(t_commands);
	T_RUN(t_bad_requests);
	T_RUN(t_many_clients);
	T_RUN(t_dotsctl);
	T_RUN(t_render);
	T_RUN(t_http);
	T_RUN(t_http_bounded);
	failed = t_done();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return failed;
}
