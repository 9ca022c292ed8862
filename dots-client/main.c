/*
 * main.c: dots-client commands. Each command is one function that builds
 * its body, sends it over one signal channel session and maps the answer
 * to an exit code a script can test (see client.h, dots-client.1).
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dots-client/client.h"
#include "dots-client/data.h"
#include "yang/codec.h"

#define ERRLEN		256
#define DEREG_MS	3000	/* waiting for the Observe deregistration */

struct run {
	struct client_opts	*o;
	struct chan		*c;
	char			 cuid[64];
	char			 mid_seg[32];
	char			 cuid_seg[80];
	char			 sid_seg[32];
	int			 answer_ms;
};

static void
warnx_(const char *fmt, ...)
{
	va_list	ap;

	fputs("dots-client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
on_signal(int sig)
{
	chan_interrupted = 1;
}

static int
exit_for_err(int err)
{
	return err == -EINVAL ? EXIT_USAGE : EXIT_TRANSPORT;
}

/* Wire JSON -> CBOR via the project codec. */
static int
encode(const struct client_opts *o, json_t *body, uint8_t **buf,
    size_t *len)
{
	char	diag[CODEC_DIAG_LEN];

	if (o->verbose) {
		char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);

		fprintf(stderr, "request body: %s\n", s ? s : "?");
		free(s);
	}
	if (codec_cbor_encode(body, buf, len, diag, sizeof(diag)) < 0) {
		warnx_("cannot encode the request: %s", diag);
		return -EINVAL;
	}
	return 0;
}

/* Sends rq, prints the answer, returns the exit code. */
static int
exchange(struct run *rn, const struct chan_req *rq, json_t *body,
    struct dc_response *keep)
{
	struct dc_response	 resp;
	struct chan_req		 req = *rq;
	uint8_t			*cbor = NULL;
	size_t			 len = 0;
	char			 err[ERRLEN];
	int			 rv;

	if (keep != NULL) {
		memset(keep, 0, sizeof(*keep));
		keep->max_age = -1;
	}
	if (body != NULL) {
		if (encode(rn->o, body, &cbor, &len) < 0)
			return EXIT_USAGE;
		req.body = cbor;
		req.body_len = len;
	}
	rv = chan_request(rn->c, &req, &resp, rn->answer_ms, err,
	    sizeof(err));
	free(cbor);
	if (rv < 0) {
		warnx_("%s: %s", rn->o->server, err);
		return exit_for_err(rv);
	}
	if (keep == NULL || resp.code >= 300)
		print_response(stdout, rn->o, &resp);
	rv = exit_for_code(resp.code);
	if (keep != NULL)
		*keep = resp;
	else
		resp_clear(&resp);
	return rv;
}

static void
mitigate_path(struct run *rn, struct chan_req *rq, int with_mid)
{
	snprintf(rn->cuid_seg, sizeof(rn->cuid_seg), "cuid=%s", rn->cuid);
	snprintf(rn->mid_seg, sizeof(rn->mid_seg), "mid=%u", rn->o->mid);
	rq->path[0] = "mitigate";
	rq->path[1] = rn->cuid_seg;
	rq->path[2] = with_mid ? rn->mid_seg : NULL;
}

/* RFC 9132 §4.4.1: PUT, NON, repeated until answered. */
static int
cmd_request(struct run *rn)
{
	struct chan_req	 rq = { .method = CHAN_PUT, .retry = 1,
	    .observe = -1 };
	json_t		*body;
	int		 rv;

	mitigate_path(rn, &rq, 1);
	body = body_mitigation(rn->o);
	rv = exchange(rn, &rq, body, NULL);
	json_decref(body);
	return rv;
}

/* RFC 9132 §4.4.4 */
static int
cmd_withdraw(struct run *rn)
{
	struct chan_req	rq = { .method = CHAN_DELETE, .retry = 1,
	    .observe = -1 };

	mitigate_path(rn, &rq, 1);
	return exchange(rn, &rq, NULL, NULL);
}

/* RFC 9132 §4.4.2 */
static int
cmd_get(struct run *rn)
{
	struct chan_req	rq = { .method = CHAN_GET, .retry = 1,
	    .observe = -1 };

	mitigate_path(rn, &rq, rn->o->has_mid);
	return exchange(rn, &rq, NULL, NULL);
}

static double
mono_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 9132 §4.7: peer-hb-status is true when the server's heartbeats
 * reached us within the last two intervals. */
static json_t *
heartbeat_body(struct run *rn)
{
	double	last;
	int	peer;

	peer = chan_server_heartbeats(rn->c, &last) > 0 &&
	    mono_now() - last <= 2.0 * rn->o->interval;
	return body_heartbeat(peer);
}

/*
 * RFC 9132 §4.4.2.1 + RFC 7641: register, print each notification as it
 * comes, deregister (GET with Observe 1 and the same token) at the end.
 */
static int
cmd_observe(struct run *rn)
{
	struct client_opts	*o = rn->o;
	struct chan_req		 rq = { .method = CHAN_GET, .retry = 1,
	    .observe = 0 };
	struct dc_response	 resp;
	double			 end = 0, next_hb, now, wake;
	unsigned		 seen = 1, hbs = 0;
	uint8_t			*cbor;
	size_t			 len;
	json_t			*hb;
	char			 err[ERRLEN];
	int			 rv, ex;

	mitigate_path(rn, &rq, o->has_mid);
	if (o->timeout > 0 && (o->set & SET_TIMEOUT))
		end = mono_now() + o->timeout;
	rv = chan_request(rn->c, &rq, &resp, rn->answer_ms, err, sizeof(err));
	if (rv < 0) {
		warnx_("%s: %s", o->server, err);
		return exit_for_err(rv);
	}
	print_response(stdout, o, &resp);
	ex = exit_for_code(resp.code);
	/* an error, or a 2.05 without Observe, ends the observation */
	if (ex != EXIT_OK || !resp.has_observe) {
		if (ex == EXIT_OK && !o->json)
			fprintf(stderr, "dots-client: the server does not "
			    "support Observe here\n");
		resp_clear(&resp);
		return ex;
	}
	resp_clear(&resp);
	/* A long observation keeps its half of the session alive with
	 * heartbeats (RFC 9132 §4.7), one per --interval. */
	next_hb = mono_now() + o->interval;
	while (o->count == 0 || seen < o->count) {
		now = mono_now();
		if (end > 0 && now >= end)
			break;
		if (now >= next_hb) {
			hb = heartbeat_body(rn);
			rv = codec_cbor_encode(hb, &cbor, &len, err,
			    sizeof(err));
			json_decref(hb);
			if (rv == 0) {
				if (chan_heartbeat(rn->c, cbor, len) == 0)
					hbs++;
				free(cbor);
			}
			next_hb = now + o->interval;
		}
		wake = next_hb;
		if (end > 0 && end < wake)
			wake = end;
		rv = chan_next(rn->c, &resp, (int)((wake - now) * 1000) + 1);
		if (rv == -ETIMEDOUT)
			continue;
		if (rv == -EINTR)
			break;
		if (rv < 0) {
			warnx_("%s: session lost", o->server);
			return EXIT_TRANSPORT;
		}
		print_response(stdout, o, &resp);
		if (resp.code >= 300) {
			/* RFC 7641 §4.2: an error ends the observation */
			ex = exit_for_code(resp.code);
			resp_clear(&resp);
			return ex;
		}
		resp_clear(&resp);
		seen++;
	}
	chan_interrupted = 0;
	rv = chan_observe_cancel(rn->c, &resp, DEREG_MS);
	if (rv == 0)
		resp_clear(&resp);
	else if (o->verbose)
		warnx_("deregistration: %s", strerror(-rv));
	if (o->verbose)
		fprintf(stderr, "heartbeats sent %u, answered %u; server "
		    "heartbeats answered %u\n", hbs,
		    chan_heartbeat_answers(rn->c),
		    chan_server_heartbeats(rn->c, NULL));
	return EXIT_OK;
}

/*
 * RFC 9132 §4.4.3: the update repeats the scope as sent, so GET it first,
 * then PUT it back with attack-status and an empty If-Match.
 */
static int
cmd_efficacy(struct run *rn)
{
	struct chan_req		 get = { .method = CHAN_GET, .retry = 1,
	    .observe = -1 };
	struct chan_req		 put = { .method = CHAN_PUT, .retry = 1,
	    .observe = -1, .if_match_empty = 1 };
	struct dc_response	 resp;
	json_t			*body;
	char			 err[ERRLEN];
	int			 rv;

	mitigate_path(rn, &get, 1);
	if ((rv = exchange(rn, &get, NULL, &resp)) != EXIT_OK) {
		resp_clear(&resp);
		return rv;
	}
	body = body_efficacy(resp.body, rn->o->mid, rn->o, err, sizeof(err));
	resp_clear(&resp);
	if (body == NULL) {
		warnx_("%s", err);
		return EXIT_SERVER;	/* the server's answer was unusable */
	}
	mitigate_path(rn, &put, 1);
	rv = exchange(rn, &put, body, NULL);
	json_decref(body);
	return rv;
}

static void
config_path(struct run *rn, struct chan_req *rq, int with_sid)
{
	snprintf(rn->sid_seg, sizeof(rn->sid_seg), "sid=%u", rn->o->sid);
	rq->path[0] = "config";
	rq->path[1] = with_sid ? rn->sid_seg : NULL;
}

/* RFC 9132 §4.5: configuration exchanges are CON. */
static int
cmd_config(struct run *rn)
{
	struct chan_req	 rq = { .confirmable = 1, .observe = -1 };
	json_t		*body = NULL;
	int		 rv;

	switch (rn->o->cmd) {
	case CMD_CONFIG_GET:
		rq.method = CHAN_GET;
		break;
	case CMD_CONFIG_SET:
		rq.method = CHAN_PUT;
		body = body_config(rn->o);
		break;
	default:
		rq.method = CHAN_DELETE;
		break;
	}
	config_path(rn, &rq, rn->o->has_sid);
	rv = exchange(rn, &rq, body, NULL);
	json_decref(body);
	return rv;
}

/*
 * RFC 9132 §4.7: NON PUT /hb, not repeated (a missing answer is what a
 * heartbeat measures). peer-hb-status says whether the server's own
 * heartbeats reached us within two intervals.
 */
static int
cmd_heartbeat(struct run *rn)
{
	struct client_opts	*o = rn->o;
	struct chan_req		 rq = { .method = CHAN_PUT, .observe = -1,
	    .path = { "hb" } };
	struct dc_response	 resp;
	unsigned		 i, count = o->count ? o->count : 1;
	unsigned		 lost = 0;
	double			 t0, now;
	uint8_t			*cbor;
	size_t			 len;
	json_t			*body;
	char			 err[ERRLEN];
	int			 rv, ex = EXIT_OK;

	for (i = 0; i < count; i++) {
		now = mono_now();
		body = heartbeat_body(rn);
		rv = encode(o, body, &cbor, &len);
		json_decref(body);
		if (rv < 0)
			return EXIT_USAGE;
		rq.body = cbor;
		rq.body_len = len;
		t0 = now;
		rv = chan_request(rn->c, &rq, &resp, rn->answer_ms, err,
		    sizeof(err));
		free(cbor);
		if (rv == -ETIMEDOUT) {
			warnx_("heartbeat %u: no answer", i + 1);
			lost++;
		} else if (rv < 0) {
			warnx_("%s: %s", o->server, err);
			return EXIT_TRANSPORT;
		} else {
			now = mono_now();
			if (o->verbose)
				fprintf(stderr, "heartbeat %u: %.1f ms\n",
				    i + 1, (now - t0) * 1000);
			print_response(stdout, o, &resp);
			if (exit_for_code(resp.code) != EXIT_OK)
				ex = exit_for_code(resp.code);
			resp_clear(&resp);
		}
		if (i + 1 < count) {
			now = mono_now();
			rv = (int)((t0 + o->interval - now) * 1000);
			if (rv > 0 && chan_idle(rn->c, rv) < 0) {
				warnx_("%s: %s", o->server, chan_interrupted ?
				    "interrupted" : "session lost");
				return EXIT_TRANSPORT;
			}
		}
	}
	if (o->verbose)
		fprintf(stderr, "server heartbeats answered: %u\n",
		    chan_server_heartbeats(rn->c, NULL));
	if (ex != EXIT_OK)
		return ex;
	return lost ? EXIT_TRANSPORT : EXIT_OK;
}

/* A PSK read from a file others can read is no longer secret: say so,
 * as ssh does for keys (a warning: the operator may have reasons). */
static int
conf_check_mode(const struct client_opts *o, const char *path)
{
	struct stat	st;

	if (o->psk_key_len != 0 && !(o->set & SET_PSK_KEY) &&
	    stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		warnx_("warning: %s holds psk-key but is readable by "
		    "others (mode %03o)", path, (unsigned)(st.st_mode & 0777));
	return 0;
}

/* --config FILE must exist; otherwise the first of the default files. */
static int
load_config(struct client_opts *o)
{
	char		 err[ERRLEN], path[4096];
	const char	*home;
	int		 rv;

	if (o->config != NULL) {
		if ((rv = conf_load(o, o->config, err, sizeof(err))) == 0)
			return conf_check_mode(o, o->config);
		if (rv != -EINVAL)
			snprintf(err, sizeof(err), "%s: %s", o->config,
			    strerror(-rv));
		warnx_("%s", err);
		return -1;
	}
	if ((home = getenv("HOME")) != NULL) {
		snprintf(path, sizeof(path), "%s/.config/dots-client.conf",
		    home);
		rv = conf_load(o, path, err, sizeof(err));
		if (rv == 0)
			return conf_check_mode(o, path);
		if (rv == -EINVAL) {
			warnx_("%s", err);
			return -1;
		}
	}
	rv = conf_load(o, "/etc/dots-client.conf", err, sizeof(err));
	if (rv == -EINVAL) {
		warnx_("%s", err);
		return -1;
	}
	return rv == 0 ? conf_check_mode(o, "/etc/dots-client.conf") : 0;
}

static int
derive_cuid(struct run *rn)
{
	struct client_opts	*o = rn->o;
	char			 err[ERRLEN];

	if (o->cuid != NULL) {
		snprintf(rn->cuid, sizeof(rn->cuid), "%s", o->cuid);
		return 0;
	}
	if (o->cert != NULL) {
		if (cuid_from_cert(o->cert, rn->cuid, sizeof(rn->cuid), err,
		    sizeof(err)) < 0) {
			warnx_("cuid: %s", err);
			return -1;
		}
		return 0;
	}
	return cuid_from_bytes((const uint8_t *)o->psk_identity,
	    strlen(o->psk_identity), rn->cuid, sizeof(rn->cuid));
}

/*
 * A mid or sid nobody gave: time-derived, kept increasing across quick
 * invocations by $XDG_STATE_HOME/dots-client/ids (default
 * ~/.local/state/dots-client/ids). Without a usable state file, time
 * alone.
 */
static uint32_t
default_id(const struct client_opts *o)
{
	const char	*base, *home;
	char		 path[4096], *p;
	uint32_t	 id;
	int		 rv;

	if ((base = getenv("XDG_STATE_HOME")) != NULL && *base == '/')
		snprintf(path, sizeof(path), "%s/dots-client/ids", base);
	else if ((home = getenv("HOME")) != NULL && *home == '/')
		snprintf(path, sizeof(path), "%s/.local/state/dots-client/ids",
		    home);
	else
		return mid_from_time(time(NULL));
	/* mkdir -p of the directories under the base */
	for (p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		rv = mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
		*p = '/';
		if (rv < 0)
			break;
	}
	if ((rv = mid_next(path, time(NULL), &id)) < 0 && o->verbose)
		warnx_("%s: %s; mid from the clock alone", path,
		    strerror(-rv));
	return id;
}

int
main(int argc, char **argv)
{
	struct client_opts	 o;
	struct server_uri	 su;
	struct run		 rn;
	struct sigaction	 sa;
	struct chan_opts	 co;
	char			 err[ERRLEN];
	int			 rv, ex;

	/* the RFC 8783 data channel: HTTPS, its own options */
	if (argc > 1 && strcmp(argv[1], "data") == 0)
		return data_main(argc - 1, argv + 1);
	setvbuf(stdout, NULL, _IOLBF, 0);	/* observe output streams */
	opts_init(&o);
	if (args_parse(&o, argc, argv, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		fprintf(stderr, "try dots-client --help\n");
		opts_free(&o);
		return EXIT_USAGE;
	}
	if (o.cmd == CMD_NONE) {
		usage(stdout);
		opts_free(&o);
		return EXIT_OK;
	}
	if (load_config(&o) < 0) {
		opts_free(&o);
		return EXIT_USAGE;
	}
	if (opts_finish(&o, &su, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		opts_free(&o);
		return EXIT_USAGE;
	}
	memset(&rn, 0, sizeof(rn));
	rn.o = &o;
	rn.answer_ms = o.timeout > 0 && !(o.cmd == CMD_OBSERVE &&
	    (o.set & SET_TIMEOUT)) ? (int)(o.timeout * 1000) :
	    CLIENT_TIMEOUT * 1000;
	if (o.timeout == 0 && o.cmd != CMD_OBSERVE)
		rn.answer_ms = 24 * 3600 * 1000;	/* 0: no limit */
	if (derive_cuid(&rn) < 0) {
		opts_free(&o);
		return EXIT_USAGE;
	}
	/* RFC 9132 §4.4.1.2, §4.5.2: increasing mid and sid */
	if (!o.has_mid && o.cmd == CMD_REQUEST) {
		o.mid = default_id(&o);
		o.has_mid = 1;
	}
	if (!o.has_sid && o.cmd == CMD_CONFIG_SET) {
		o.sid = default_id(&o);
		o.has_sid = 1;
	}
	if (o.verbose)
		fprintf(stderr, "cuid %s\n", rn.cuid);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: wake poll() */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	opts_chan(&o, &co);
	rv = chan_open(&rn.c, &co, &su, rn.answer_ms, err, sizeof(err));
	if (rv < 0) {
		warnx_("%s", err);
		opts_free(&o);
		return exit_for_err(rv);
	}
	switch (o.cmd) {
	case CMD_REQUEST:
		ex = cmd_request(&rn);
		break;
	case CMD_WITHDRAW:
		ex = cmd_withdraw(&rn);
		break;
	case CMD_GET:
		ex = cmd_get(&rn);
		break;
	case CMD_OBSERVE:
		ex = cmd_observe(&rn);
		break;
	case CMD_EFFICACY:
		ex = cmd_efficacy(&rn);
		break;
	case CMD_HEARTBEAT:
		ex = cmd_heartbeat(&rn);
		break;
	default:
		ex = cmd_config(&rn);
		break;
	}
	chan_close(rn.c);
	opts_free(&o);
	return ex;
}
