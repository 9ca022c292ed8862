/*
 * dotsd.c: the DOTS server's main program: arguments, configuration,
 * start-up of store, codec, engine and backends, the signal channel and
 * the control socket, and the poll loop that drives them all with a
 * one-second tick.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dotsd/acl.h"
#include "dotsd/conf.h"
#include "dotsd/control.h"
#include "dotsd/datachan.h"
#include "dotsd/mitreq.h"
#include "dotsd/resolve.h"
#include "dotsd/signal.h"
#include "dotsd/store.h"
#include "lib/log.h"
#include "mitigate/mitigate.h"
#include "mitigate/null.h"
#include "upstream/upstream.h"
#include "yang/codec.h"

#define DOTSD_CONF	"/etc/dotsd.conf"
#define MAX_PFD		64

static volatile sig_atomic_t quit, reload;
static struct dotsd_conf *conf;
static const char *conf_path = DOTSD_CONF;

static void
usage(void)
{
	fprintf(stderr, "usage: dotsd [-dnv] [-f file]\n");
	exit(1);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

static int
same_kv(const struct dotsd_conf *a, const struct dotsd_conf *b)
{
	int i;

	if (a->nkv != b->nkv)
		return 0;
	for (i = 0; i < a->nkv; i++)
		if (strcmp(a->kv[i].section, b->kv[i].section) != 0 ||
		    strcmp(a->kv[i].key, b->kv[i].key) != 0 ||
		    strcmp(a->kv[i].value, b->kv[i].value) != 0)
			return 0;
	return 1;
}

/*
 * SIGHUP: clients, session parameter ranges, lifetimes and max-sessions
 * take effect; what needs a restart (listeners, credentials, database,
 * sockets, backends) is reported and keeps its running value.
 */
static void
do_reload(void)
{
	struct dotsd_conf *nc;
	char err[PATH_MAX + 256];

	if (conf_parse(conf_path, &nc, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration",
		    err);
		return;
	}
	if (nc->nlisten != conf->nlisten || memcmp(nc->listen, conf->listen,
	    sizeof(nc->listen[0]) * (size_t)nc->nlisten) != 0 ||
	    strcmp(nc->cert, conf->cert) != 0 ||
	    strcmp(nc->key, conf->key) != 0 || strcmp(nc->ca, conf->ca) != 0 ||
	    nc->psk != conf->psk || strcmp(nc->db, conf->db) != 0 ||
	    strcmp(nc->control, conf->control) != 0 ||
	    strcmp(nc->metrics_addr, conf->metrics_addr) != 0 ||
	    nc->metrics_port != conf->metrics_port || !same_kv(nc, conf) ||
	    nc->ndc_listen != conf->ndc_listen || memcmp(nc->dc_listen,
	    conf->dc_listen, sizeof(nc->dc_listen[0]) *
	    (size_t)nc->ndc_listen) != 0)
		log_warnx("reload: listeners, credentials, database, sockets "
		    "and backend blocks change only with a restart");
	if (signal_reconf(nc) != 0) {
		log_warnx("reload: out of memory; keeping the running "
		    "configuration");
		conf_free(nc);
		return;
	}
	mitreq_reconf(nc);
	acl_reconf(nc);
	datachan_reconf(nc);
	control_set_conf(nc);
	conf_free(conf);
	conf = nc;
	log_info("configuration reloaded: %d clients", conf->nclients);
}

static int
has_section(const struct dotsd_conf *c, const char *section)
{
	int i;

	for (i = 0; i < c->nkv; i++)
		if (strcmp(c->kv[i].section, section) == 0)
			return 1;
	return 0;
}

/*
 * Hands the opaque blocks (mitigation, xdp, bgp) to the engine and the
 * backends, keyword by keyword; errors name the config line. dotsd -n
 * does this too, so that it checks what the backends read. 0 or -errno.
 */
static int
configure_backends(const struct dotsd_conf *c, char *err, size_t errlen)
{
	char why[256];
	int i, r;

	for (i = 0; i < c->nkv; i++) {
		const struct kv_conf *kv = &c->kv[i];

		why[0] = '\0';
		if (strcmp(kv->section, "mitigation") == 0 &&
		    strcmp(kv->key, "conflict-policy") == 0)
			r = mitreq_configure(kv->key, kv->value, why,
			    sizeof(why));
		else if (strcmp(kv->section, "mitigation") == 0)
			r = engine_configure(kv->key, kv->value, why,
			    sizeof(why));
		else if (strcmp(kv->section, "xdp") == 0)
			r = xdp_backend.configure(kv->key, kv->value, why,
			    sizeof(why));
		else if (strcmp(kv->section, "bgp") == 0)
			r = bgp_backend.configure(kv->key, kv->value, why,
			    sizeof(why));
		else if (strcmp(kv->section, "upstream") == 0)
			r = upstream_backend.configure(kv->key, kv->value, why,
			    sizeof(why));
		else {
			snprintf(why, sizeof(why), "unknown section");
			r = -EINVAL;
		}
		if (r != 0) {
			snprintf(err, errlen, "%s:%d: %s %s: %s", c->path,
			    kv->line, kv->section, kv->key, why);
			return r;
		}
	}
	return 0;
}

/* The backends configured, registered and started. */
static int
setup_engine(const struct dotsd_conf *c, char *err, size_t errlen)
{
	const struct mit_backend *be;
	int r;

	if ((r = configure_backends(c, err, errlen)) != 0)
		return r;
	/*
	 * The null backends only record what they are asked; a test lab
	 * names them (mitigation { local-backend null }) instead of xdp.
	 */
	if ((r = engine_add_backend(&null_backend)) != 0 ||
	    (r = engine_add_backend(&null_backend2)) != 0) {
		snprintf(err, errlen, "cannot add null backends");
		return r;
	}
	if (has_section(c, "xdp")) {
		be = &xdp_backend;
		if ((r = engine_add_backend(be)) != 0) {
			snprintf(err, errlen, "cannot add backend xdp");
			return r;
		}
	}
	if (has_section(c, "bgp")) {
		be = &bgp_backend;
		if ((r = engine_add_backend(be)) != 0) {
			snprintf(err, errlen, "cannot add backend bgp");
			return r;
		}
	}
	/* upstream DOTS: named as an upstream slot's backend */
	if (has_section(c, "upstream") &&
	    (r = engine_add_backend(&upstream_backend)) != 0) {
		snprintf(err, errlen, "cannot add backend upstream");
		return r;
	}
	if ((r = engine_start(err, errlen)) != 0)
		return r;
	/* after start: only then are the levels' backends resolved */
	if (engine_recording())
		log_info("no level has a backend (no xdp or bgp block, no "
		    "null or upstream named): mitigations are recorded, not "
		    "enforced");
	return 0;
}

/* Collects every module's descriptors; returns how many. */
static int
gather(struct pollfd *pfd, int *nsig, int *nres, int *nctl, int *nmet,
    int *ndc)
{
	int n = 0;

	*nsig = signal_pollfds(pfd + n, MAX_PFD - n);
	n += *nsig;
	*nres = resolve_pollfds(pfd + n, MAX_PFD - n);
	n += *nres;
	*nctl = control_pollfds(pfd + n, MAX_PFD - n);
	n += *nctl;
	*nmet = metrics_pollfds(pfd + n, MAX_PFD - n);
	n += *nmet;
	*ndc = datachan_pollfds(pfd + n, MAX_PFD - n);
	n += *ndc;
	return n;
}

static int
min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/*
 * Pinned XDP groups outlive dotsd: once the stored mitigations are back,
 * drop the groups of those that ended while it was down (expired,
 * withdrawn) or whose removal a crash cut short, so that the backends
 * hold what the database says. Requests restored with names only are
 * enforced when their names resolve and their pinned groups drop until
 * then, so the repair waits for them (at most REPAIR_WAIT seconds).
 */
#define REPAIR_WAIT	60

static void
repair_after_start(time_t now, time_t started, int *done)
{
	char	report[512];
	int	n;

	if (*done || (mitreq_unresolved() > 0 && now - started < REPAIR_WAIT))
		return;
	*done = 1;
	report[0] = '\0';
	if ((n = engine_repair(report, sizeof(report))) > 0)
		log_warnx("after restoring the mitigations, %d difference%s "
		    "left: %s", n, n == 1 ? "" : "s", report);
	else if (n < 0)
		log_warnx("cannot repair the backends: %s", strerror(-n));
}

static void
loop(void)
{
	struct pollfd pfd[MAX_PFD];
	struct timespec ts;
	time_t last_tick = 0, now, started = time(NULL);
	int n, nsig, nres, nctl, nmet, ndc, timeout, off, repaired = 0;
	int rfd, more = 0;

	while (!quit) {
		repair_after_start(time(NULL), started, &repaired);
		if (reload) {
			reload = 0;
			do_reload();
		}
		n = gather(pfd, &nsig, &nres, &nctl, &nmet, &ndc);
		/* received rules (BGP flowspec) wake the loop at once */
		if ((rfd = engine_recv_fd()) >= 0 && n < MAX_PFD)
			pfd[n++] = (struct pollfd){ .fd = rfd, .events = POLLIN };
		clock_gettime(CLOCK_MONOTONIC, &ts);
		/* Wake at the next whole second for the tick. */
		timeout = 1000 - (int)(ts.tv_nsec / 1000000);
		timeout = min_timeout(timeout, signal_timeout_ms());
		timeout = min_timeout(timeout, resolve_timeout_ms());
		if (more)
			timeout = 0;
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		off = 0;
		signal_process(pfd + off, nsig);
		off += nsig;
		resolve_process(pfd + off, nres);
		off += nres;
		/* the wake-up's requests: one fsync, then their answers */
		mitreq_flush();
		control_process(pfd + off, nctl);
		off += nctl;
		metrics_process(pfd + off, nmet);
		off += nmet;
		datachan_process(pfd + off, ndc);
		more = engine_recv_process();

		now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			signal_tick(now);
			mitreq_tick(now);
			acl_tick(now);
			engine_tick(now);
		}
	}
}

/* yang-dir, or NULL: the installed modules or the build tree's. */
static const char *
conf_yang_dir(const struct dotsd_conf *c)
{
	return c->yang_dir[0] != '\0' ? c->yang_dir : NULL;
}

/*
 * dotsd -nv: the compiled-in limits after the configuration, as comments
 * (the output stays a valid configuration). dotsd.conf(5) LIMITS says
 * what each means.
 */
static void
print_limits(FILE *f)
{
	fprintf(f, "\n# limits (compiled in; dotsd.conf(5) LIMITS)\n");
	fprintf(f, "# request (4.00 beyond): %s\n", mitreq_limits());
	fprintf(f, "# mitigation (5.03 beyond): rules-per-group %d (one "
	    "mitigation at one level)\n", MIT_MAX_GROUP_RULES);
	if (xdp_backend.limits != NULL)
		fprintf(f, "# xdp (5.03 beyond): %s\n", xdp_backend.limits());
	if (bgp_backend.limits != NULL)
		fprintf(f, "# bgp (5.03 beyond): %s\n", bgp_backend.limits());
	fprintf(f, "# engine and backend refusals are 5.03 with Max-Age %d;"
	    " malformed or unauthorized requests 4.00\n", MITREQ_BUSY_RETRY);
}

/*
 * dotsd -n(v): the configuration, the backend blocks as the backends read
 * them, and the YANG modules the daemon would load (a daemon without them
 * cannot start). Returns the exit status.
 */
static int
check_only(struct dotsd_conf *c, int verbose)
{
	char	err[PATH_MAX + 1024];
	int	rv = 0;

	if (configure_backends(c, err, sizeof(err)) != 0 ||
	    codec_yang_init(conf_yang_dir(c), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		rv = 1;
	} else if (verbose) {
		conf_print(stdout, c);
		print_limits(stdout);
	} else
		fprintf(stderr, "configuration OK\n");
	codec_yang_fini();
	conf_free(c);
	return rv;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	char err[PATH_MAX + 1024];
	int ch, debug = 0, noaction = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(debug || noaction, verbose, "dotsd");
	if (conf_parse(conf_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (noaction)
		return check_only(conf, verbose);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* Before any backend starts its threads: fork() keeps only one. */
	if (!debug && daemon(0, 0) != 0)
		fatal("daemon");
	if (store_open(conf->db, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (codec_yang_init(conf_yang_dir(conf), err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (setup_engine(conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (conf->resolver[0] != '\0' &&
	    resolve_set_servers(conf->resolver) != 0)
		fatalx("%s: bad resolver list", conf->path);
	if (resolve_init() != 0)
		fatalx("cannot start the resolver");
	if (mitreq_load(conf, time(NULL)) != 0)
		fatalx("cannot reload stored mitigations");
	mitreq_group_commit(1);		/* flushed once per wake-up */
	if (acl_init(conf, time(NULL), err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (conf->signal_off)
		log_info("signal channel off: enforcing received rules only");
	else if (signal_init(conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (datachan_init(conf, err, sizeof(err)) != 0)
		fatalx("%s", err);
	control_set_conf(conf);
	if (conf->control[0] != '\0' &&
	    control_init(conf->control, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (conf->metrics_addr[0] != '\0' && metrics_init(conf->metrics_addr,
	    conf->metrics_port, err, sizeof(err)) != 0)
		fatalx("%s", err);
	log_info("started");

	loop();

	log_info("shutting down");
	metrics_fini();
	datachan_fini();
	control_fini();
	signal_fini();
	acl_fini();
	mitreq_fini();
	resolve_fini();
	/* Backends stop; pinned XDP programs keep dropping (xdp/loader.c). */
	engine_stop();
	codec_yang_fini();
	store_close();
	conf_free(conf);
	return 0;
}
