/*
 * control.c: the control socket dotsctl talks to. AF_UNIX stream, mode
 * 0600 (root only), one request per line and one reply per line, both
 * JSON (doc/dotsctl.8). A request is {"command": "show mitigations", ...}
 * or the same words as plain text ("withdraw acme 7"), for socat users.
 * Connections are non-blocking and bounded; a peer that sends junk gets
 * an error reply, never a daemon exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "dotsd/acl.h"
#include "dotsd/control.h"
#include "dotsd/mitreq.h"
#include "dotsd/signal.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"

#define CTL_MAX_CONNS	8
#define CTL_MAX_LINE	4096		/* one request */
#define CTL_MAX_OUT	(16 << 20)	/* one reply */

struct dotsd_counters dotsd_counters;

struct ctl_conn {
	int		 fd;		/* -1: slot free */
	char		 in[CTL_MAX_LINE];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	int		 closing;	/* close once out is sent */
};

static int		 ctl_fd = -1;
static char		 ctl_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct ctl_conn	 conns[CTL_MAX_CONNS];
static const struct dotsd_conf *ctl_conf;
static int		 ctl_ready;	/* conns[] initialized */

void
control_set_conf(const struct dotsd_conf *conf)
{
	ctl_conf = conf;
}

/* Is a dotsd already answering on path? */
static int
path_in_use(const struct sockaddr_un *sun)
{
	int	fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return r == 0;
}

int
control_init(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t	 old;
	int	 fd, i, e;

	for (i = 0; i < CTL_MAX_CONNS; i++)
		conns[i].fd = -1;
	ctl_ready = 1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is no socket",
			    path);
			return -EEXIST;
		}
		if (path_in_use(&sun)) {
			snprintf(err, errlen, "%s: another dotsd is running",
			    path);
			return -EADDRINUSE;
		}
		unlink(path);	/* stale, from a dotsd that died */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return e;
	}
	/* Never a moment with a world-writable socket. */
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		e = -errno;
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(-e));
		close(fd);
		return e;
	}
	umask(old);
	if (chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		e = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		close(fd);
		unlink(path);
		return e;
	}
	ctl_fd = fd;
	strcpy(ctl_path, path);
	return 0;
}

static void
conn_close(struct ctl_conn *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void
control_fini(void)
{
	int	i;

	if (!ctl_ready)
		return;
	for (i = 0; i < CTL_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	if (ctl_fd >= 0) {
		close(ctl_fd);
		unlink(ctl_path);
		ctl_fd = -1;
	}
}

int
control_pollfds(struct pollfd *pfd, int max)
{
	int	i, n = 0, free_slot = 0;

	/* Without control_init (no "control" socket) there is nothing. */
	if (!ctl_ready)
		return 0;
	for (i = 0; i < CTL_MAX_CONNS && n < max; i++) {
		if (conns[i].fd < 0) {
			free_slot = 1;
			continue;
		}
		pfd[n].fd = conns[i].fd;
		/* Read the next request only once the last reply is out. */
		pfd[n].events = conns[i].outlen > 0 ? POLLOUT : POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	if (ctl_fd >= 0 && free_slot && n < max) {
		pfd[n].fd = ctl_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

static json_t *
reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
reply_error(const char *fmt, ...)
{
	char	why[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", why);
}

static json_t *
reply_ok(json_t *result)
{
	if (result == NULL)
		return reply_error("out of memory");
	return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

static json_t *
counters_json(void)
{
	const struct dotsd_counters *c = &dotsd_counters;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "requests", (json_int_t)c->requests,
	    "responses-2xx", (json_int_t)c->responses_2xx,
	    "responses-4xx", (json_int_t)c->responses_4xx,
	    "responses-5xx", (json_int_t)c->responses_5xx,
	    "handshakes-ok", (json_int_t)c->handshakes_ok,
	    "handshakes-failed", (json_int_t)c->handshakes_failed,
	    "heartbeats-rx", (json_int_t)c->heartbeats_rx,
	    "heartbeats-tx", (json_int_t)c->heartbeats_tx,
	    "sessions-lost", (json_int_t)c->sessions_lost,
	    "notifications", (json_int_t)c->notifications);
}

static const char *
id_kind_name(int kind)
{
	switch (kind) {
	case ID_SPKI_SHA256:
		return "spki-sha256";
	case ID_SUBJECT_CN:
		return "cn";
	case ID_SAN_DNS:
		return "san-dns";
	case ID_PSK:
		return "psk";
	default:
		return "none";
	}
}

static json_t *
clients_json(void)
{
	const struct client_conf *cl;
	json_t	*arr, *mits, *m, *pfx, *be, *sess, *s;
	const char *name;
	char	 buf[64];
	size_t	 i, j;
	int	 k, nmit, nsess;

	if (ctl_conf == NULL)
		return json_array();
	mits = mitreq_dump();
	sess = signal_dump();
	arr = json_array();
	for (k = 0; arr != NULL && k < ctl_conf->nclients; k++) {
		cl = &ctl_conf->clients[k];
		nmit = nsess = 0;
		json_array_foreach(mits, i, m)
			if ((name = json_string_value(json_object_get(m,
			    "client"))) != NULL && strcmp(name, cl->name) == 0)
				nmit++;
		json_array_foreach(sess, i, s)
			if ((name = json_string_value(json_object_get(s,
			    "client"))) != NULL && strcmp(name, cl->name) == 0)
				nsess++;
		pfx = json_array();
		for (j = 0; j < cl->nprefixes; j++) {
			prefix_format(&cl->prefixes[j], buf, sizeof(buf));
			json_array_append_new(pfx, json_string(buf));
		}
		be = json_array();
		if (cl->policy.backends & MIT_WHERE_XDP)
			json_array_append_new(be, json_string("xdp"));
		if (cl->policy.backends & MIT_WHERE_FLOWSPEC)
			json_array_append_new(be, json_string("flowspec"));
		if (cl->policy.backends & MIT_WHERE_RTBH)
			json_array_append_new(be, json_string("rtbh"));
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o, "
		    "s:i, s:i, s:I, s:o, s:i, s:b}",
		    "name", cl->name,
		    "identity-kind", id_kind_name(cl->id_kind),
		    /* a PSK identity is a name, the key is never shown */
		    "identity", cl->id_value,
		    "prefixes", pfx,
		    "mitigations", nmit,
		    "max-mitigations", (int)cl->max_mitigations,
		    "max-lifetime", (json_int_t)cl->max_lifetime,
		    "mitigate-with", be,
		    "sessions", nsess,
		    "gateway", cl->gateway));
	}
	json_decref(mits);
	json_decref(sess);
	return arr;
}

static json_t *
cmd_reconcile(void)
{
	char	report[2048];
	int	n;

	report[0] = '\0';
	n = engine_reconcile(report, sizeof(report));
	if (n < 0)
		return reply_error("reconcile: %s", strerror(-n));
	return reply_ok(json_pack("{s:i, s:s}", "differences", n, "report",
	    report));
}

static json_t *
cmd_withdraw(const json_t *req)
{
	const char *client = json_string_value(json_object_get(req, "client"));
	json_t	*jmid = json_object_get(req, "mid");
	json_int_t mid;
	int	 r;

	if (client == NULL || !json_is_integer(jmid))
		return reply_error("usage: withdraw CLIENT MID");
	mid = json_integer_value(jmid);
	if (mid < 0 || mid > UINT32_MAX)
		return reply_error("mid out of range");
	r = mitreq_withdraw_admin(client, (uint32_t)mid);
	if (r == -ENOENT)
		return reply_error("no mitigation %lld of client \"%s\"",
		    (long long)mid, client);
	if (r < 0)
		return reply_error("withdraw: %s", strerror(-r));
	log_info("control: withdrew mitigation %lld of client \"%s\"",
	    (long long)mid, client);
	return reply_ok(json_pack("{s:s, s:I}", "client", client, "mid", mid));
}

static json_t *
cmd_log_verbose(const json_t *req)
{
	json_t	*lvl = json_object_get(req, "level");

	if (!json_is_integer(lvl) || json_integer_value(lvl) < 0 ||
	    json_integer_value(lvl) > 3)
		return reply_error("usage: log verbose 0..3");
	log_setverbose((int)json_integer_value(lvl));
	log_info("control: log verbosity %d", (int)json_integer_value(lvl));
	return reply_ok(json_pack("{s:i}", "level",
	    (int)json_integer_value(lvl)));
}

static json_t *
show_dump(json_t *dump)
{
	return reply_ok(dump != NULL ? dump : json_array());
}

static json_t *
dispatch(const json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "command"));

	if (cmd == NULL)
		return reply_error("no \"command\"");
	if (strcmp(cmd, "show mitigations") == 0)
		return show_dump(mitreq_dump());
	if (strcmp(cmd, "show sessions") == 0)
		return show_dump(signal_dump());
	if (strcmp(cmd, "show acls") == 0)
		return show_dump(acl_dump());
	if (strcmp(cmd, "show clients") == 0)
		return reply_ok(clients_json());
	if (strcmp(cmd, "show counters") == 0)
		return reply_ok(counters_json());
	if (strcmp(cmd, "show received") == 0)
		return reply_ok(json_pack("{s:o, s:o}", "rules",
		    received_json(), "ignored", received_ignored_json()));
	if (strcmp(cmd, "reconcile") == 0)
		return cmd_reconcile();
	if (strcmp(cmd, "withdraw") == 0)
		return cmd_withdraw(req);
	if (strcmp(cmd, "log verbose") == 0)
		return cmd_log_verbose(req);
	return reply_error("unknown command \"%s\"", cmd);
}

/* "withdraw acme 7" -> {"command":"withdraw","client":"acme","mid":7} */
static json_t *
parse_words(char *line)
{
	char	*w[4], *save = NULL, *end, cmd[256];
	int	 n;
	long long v;

	for (n = 0; n < 4; n++)
		if ((w[n] = strtok_r(n == 0 ? line : NULL, " \t",
		    &save)) == NULL)
			break;
	if (n == 4)
		return json_pack("{s:s}", "command", "(too many words)");
	if (n == 3 && strcmp(w[0], "withdraw") == 0) {
		v = strtoll(w[2], &end, 10);
		return json_pack("{s:s, s:s, s:I}", "command", "withdraw",
		    "client", w[1], "mid",
		    (json_int_t)(*end == '\0' && w[2][0] != '\0' ? v : -1));
	}
	if (n == 3 && strcmp(w[0], "log") == 0 &&
	    strcmp(w[1], "verbose") == 0) {
		v = strtoll(w[2], &end, 10);
		return json_pack("{s:s, s:I}", "command", "log verbose",
		    "level", (json_int_t)(*end == '\0' && w[2][0] != '\0' ?
		    v : -1));
	}
	if (n == 2) {
		snprintf(cmd, sizeof(cmd), "%s %s", w[0], w[1]);
		return json_pack("{s:s}", "command", cmd);
	}
	return json_pack("{s:s}", "command", w[0]);
}

/* Appends rep (consumed) as one line to c->out. */
static void
conn_reply(struct ctl_conn *c, json_t *rep)
{
	char	*text, *nout;
	size_t	 len;

	text = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
	json_decref(rep);
	if (text != NULL && c->outlen + strlen(text) + 1 > CTL_MAX_OUT) {
		free(text);
		text = strdup("{\"ok\":false,\"error\":\"reply too large\"}");
	}
	if (text == NULL)
		text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (text == NULL) {
		c->closing = 1;
		return;
	}
	len = strlen(text);
	if ((nout = realloc(c->out, c->outlen + len + 1)) == NULL) {
		free(text);
		c->closing = 1;
		return;
	}
	c->out = nout;
	memcpy(c->out + c->outlen, text, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	free(text);
}

/* Handles one request line. */
static void
handle_line(struct ctl_conn *c, char *line)
{
	json_t		*req, *rep;
	json_error_t	 jerr;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '\0')
		return;
	if (*line == '{') {
		if ((req = json_loads(line, 0, &jerr)) == NULL) {
			conn_reply(c, reply_error("bad JSON: %s", jerr.text));
			return;
		}
		rep = json_is_object(req) ? dispatch(req) :
		    reply_error("request must be an object");
	} else {
		if ((req = parse_words(line)) == NULL) {
			conn_reply(c, reply_error("out of memory"));
			return;
		}
		rep = dispatch(req);
	}
	json_decref(req);
	conn_reply(c, rep);
}

static void
conn_read(struct ctl_conn *c)
{
	ssize_t	 n;
	char	*nl;
	size_t	 used;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	/* Answer every complete line. */
	while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		*nl = '\0';
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = '\0';
		handle_line(c, c->in);
		used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == sizeof(c->in)) {
		c->inlen = 0;
		c->in[0] = '\0';
		conn_reply(c, reply_error("request longer than %d bytes",
		    CTL_MAX_LINE - 1));
		c->closing = 1;
	}
}

static void
conn_write(struct ctl_conn *c)
{
	ssize_t	n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen) {
		free(c->out);
		c->out = NULL;
		c->outlen = c->outoff = 0;
		if (c->closing)
			conn_close(c);
	}
}

static void
accept_conns(void)
{
	int	fd, i;

	for (;;) {
		for (i = 0; i < CTL_MAX_CONNS && conns[i].fd >= 0; i++)
			;
		if (i == CTL_MAX_CONNS)
			return;
		fd = accept4(ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		memset(&conns[i], 0, sizeof(conns[i]));
		conns[i].fd = fd;
	}
}

void
control_process(const struct pollfd *pfd, int n)
{
	int	i, j;

	if (!ctl_ready)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == ctl_fd && ctl_fd >= 0) {
			accept_conns();
			continue;
		}
		for (j = 0; j < CTL_MAX_CONNS; j++) {
			if (conns[j].fd != pfd[i].fd)
				continue;
			if (pfd[i].revents & POLLOUT)
				conn_write(&conns[j]);
			else if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(&conns[j]);
			/* the reply may be ready already: try once now */
			if (conns[j].fd >= 0 && conns[j].outlen > 0)
				conn_write(&conns[j]);
			break;
		}
	}
}
