/*
 * dotsd_resolve_test.c: dotsd/resolve.c against a DNS responder of our own
 * on 127.0.0.1 (tests/unit/dotsd_resolve_dnsd.py): A+AAAA, smallest TTL,
 * NXDOMAIN, NODATA, SERVFAIL, timeouts, cancellation, many at once, all
 * driven through the poll integration the daemon uses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dotsd/conf.h"
#include "dotsd/resolve.h"
#include "tests/t.h"

static char	servers[64];

struct result {
	int		 done;		/* callbacks seen */
	int		 err;
	int		 n;
	uint32_t	 ttl;
	char		 addrs[MIT_MAX_TARGETS][64];
};

static void
on_result(void *arg, int err, const struct mit_prefix *addrs, int n,
    uint32_t ttl)
{
	struct result *r = arg;
	int	i;

	r->done++;
	r->err = err;
	r->n = n;
	r->ttl = ttl;
	for (i = 0; i < n && i < MIT_MAX_TARGETS; i++)
		prefix_format(&addrs[i], r->addrs[i], sizeof(r->addrs[i]));
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The daemon's loop in small: poll what resolve asks for, then process. */
static void
run_until(const int *done, int want, int max_ms)
{
	struct pollfd pfd[16];
	long	 end = now_ms() + max_ms;
	int	 n, t;

	while (*done < want && now_ms() < end) {
		n = resolve_pollfds(pfd, 16);
		t = resolve_timeout_ms();
		if (t < 0 || t > 50)
			t = 50;
		if (poll(pfd, (nfds_t)n, t) < 0)
			T_FAIL("poll: %s", strerror(errno));
		resolve_process(pfd, n);
	}
}

static void
setup(int timeout_ms, int tries)
{
	T_EQ(resolve_set_timeout(timeout_ms, tries), 0);
	T_EQ(resolve_set_servers(servers), 0);
	T_EQ(resolve_init(), 0);
}

static int
has(const struct result *r, const char *addr)
{
	int	i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->addrs[i], addr) == 0)
			return 1;
	return 0;
}

static void
t_a_and_aaaa(void)
{
	struct result r = { 0 };

	setup(1000, 2);
	T_EQ(resolve_start("a.test", on_result, &r), 0);
	run_until(&r.done, 1, 5000);
	T_EQ(r.done, 1);
	T_EQ(r.err, 0);
	T_EQ(r.n, 3);
	T_ASSERT(has(&r, "198.18.0.1/32"));
	T_ASSERT(has(&r, "198.18.0.2/32"));
	T_ASSERT(has(&r, "2001:db8::1/128"));
	T_EQ(r.ttl, 60);		/* the smallest */
	/* nothing pending: no fds, no timeout */
	T_EQ(resolve_timeout_ms(), -1);
	resolve_fini();
}

static void
t_one_family(void)
{
	struct result r4 = { 0 }, r6 = { 0 }, rd = { 0 };

	setup(1000, 2);
	T_EQ(resolve_start("v4.test", on_result, &r4), 0);
	T_EQ(resolve_start("V6.Test.", on_result, &r6), 0);
	T_EQ(resolve_start("dup.test", on_result, &rd), 0);
	run_until(&r4.done, 1, 5000);
	run_until(&r6.done, 1, 5000);
	run_until(&rd.done, 1, 5000);
	T_EQ(r4.err, 0);
	T_EQ(r4.n, 1);
	T_STREQ(r4.addrs[0], "198.18.1.1/32");
	T_EQ(r4.ttl, 30);
	T_EQ(r6.err, 0);
	T_EQ(r6.n, 1);
	T_STREQ(r6.addrs[0], "2001:db8::6/128");
	T_EQ(r6.ttl, 40);
	/* the same address twice is reported once */
	T_EQ(rd.err, 0);
	T_EQ(rd.n, 1);
	T_EQ(rd.ttl, 10);
	resolve_fini();
}

static void
t_failures(void)
{
	struct result nx = { 0 }, nodata = { 0 }, fail = { 0 };

	setup(1000, 1);
	T_EQ(resolve_start("nx.test", on_result, &nx), 0);
	T_EQ(resolve_start("empty.test", on_result, &nodata), 0);
	T_EQ(resolve_start("servfail.test", on_result, &fail), 0);
	run_until(&nx.done, 1, 5000);
	run_until(&nodata.done, 1, 5000);
	run_until(&fail.done, 1, 5000);
	T_EQ(nx.done, 1);
	T_EQ(nx.err, -ENOENT);
	T_EQ(nx.n, 0);
	T_EQ(nodata.done, 1);
	T_EQ(nodata.err, 0);
	T_EQ(nodata.n, 0);
	T_EQ(fail.done, 1);
	T_ASSERT(fail.err < 0);
	T_EQ(fail.n, 0);
	resolve_fini();
}

static void
t_timeout(void)
{
	struct result r = { 0 };
	long	 start;

	setup(200, 2);
	start = now_ms();
	T_EQ(resolve_start("slow.test", on_result, &r), 0);
	T_ASSERT(resolve_timeout_ms() >= 0);
	T_ASSERT(resolve_timeout_ms() <= 200);
	run_until(&r.done, 1, 5000);
	T_EQ(r.done, 1);
	T_EQ(r.err, -ETIMEDOUT);
	/* 200 ms, then 400 ms for the second try, plus slack */
	T_ASSERT(now_ms() - start < 2000);
	T_ASSERT(now_ms() - start >= 500);
	resolve_fini();
}

static void
t_cancel(void)
{
	struct result gone = { 0 }, kept = { 0 };

	setup(1000, 1);
	T_EQ(resolve_start("a.test", on_result, &gone), 0);
	T_EQ(resolve_start("slow.test", on_result, &gone), 0);
	T_EQ(resolve_start("v4.test", on_result, &kept), 0);
	resolve_cancel(&gone);
	run_until(&kept.done, 1, 5000);
	T_EQ(kept.done, 1);
	run_until(&gone.done, 1, 300);
	T_EQ(gone.done, 0);
	/* fini with the slow query still pending calls nobody */
	resolve_fini();
	T_EQ(gone.done, 0);
}

static void
t_many(void)
{
	static struct result r[100];
	int	 i, done = 0;

	setup(1000, 2);
	for (i = 0; i < 100; i++)
		T_EQ(resolve_start(i % 2 ? "a.test" : "v6.test", on_result,
		    &r[i]), 0);
	for (i = 0; i < 100; i++) {
		run_until(&r[i].done, 1, 5000);
		done += r[i].done;
		T_EQ(r[i].err, 0);
		T_EQ(r[i].n, i % 2 ? 3 : 1);
	}
	T_EQ(done, 100);
	resolve_fini();
}

static void
t_numeric_and_bad(void)
{
	struct result r = { 0 };
	char	 longname[300];

	T_EQ(resolve_start("a.test", on_result, &r), -ENOTCONN);
	setup(1000, 1);
	T_EQ(resolve_start("198.18.7.7", on_result, &r), 0);
	run_until(&r.done, 1, 2000);
	T_EQ(r.err, 0);
	T_EQ(r.n, 1);
	T_STREQ(r.addrs[0], "198.18.7.7/32");
	T_EQ(resolve_start("", on_result, &r), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	T_EQ(resolve_start(longname, on_result, &r), -EINVAL);
	T_EQ(resolve_set_timeout(0, 1), -EINVAL);
	resolve_fini();
	resolve_fini();		/* twice is harmless */
}

static const struct {
	const char	*uri;
	const char	*host;	/* NULL: no host */
} uris[] = {
	{ "https://www.example.com/index.html",	"www.example.com" },
	{ "http://user:pw@www.example.com:8080/",	"www.example.com" },
	{ "https://[2001:db8::1]:443/x",		"2001:db8::1" },
	{ "https://198.18.0.1",				"198.18.0.1" },
	{ "coaps://h.example?q=1",			"h.example" },
	{ "https:///path",				NULL },
	{ "mailto:a@b.example",				NULL },
	{ "https://[2001:db8::1/x",			NULL },
};

static void
t_uri_host(void)
{
	char	host[256];
	size_t	i;
	int	r;

	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		r = resolve_uri_host(uris[i].uri, host, sizeof(host));
		if (uris[i].host == NULL) {
			if (r != -EINVAL)
				T_FAIL("%s: host \"%s\"", uris[i].uri, host);
			continue;
		}
		if (r != 0)
			T_FAIL("%s: %d", uris[i].uri, r);
		T_STREQ(host, uris[i].host);
	}
	T_EQ(resolve_uri_host("https://www.example.com/", host, 5), -EINVAL);
}

int
main(void)
{
	int	 fds[2], failed, status;
	char	 port[16] = "";
	ssize_t	 n;
	size_t	 used;
	pid_t	 pid;

	if (pipe(fds) != 0)
		return 1;
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", "tests/unit/dotsd_resolve_dnsd.py",
		    (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (used = 0; used < sizeof(port) - 1 && !strchr(port, '\n');
	    used += (size_t)n)
		if ((n = read(fds[0], port + used, sizeof(port) - 1 - used)) <= 0)
			break;
	close(fds[0]);
	if (pid < 0 || atoi(port) <= 0) {
		printf("FAIL dnsd: no DNS responder\n");
		if (pid > 0)
			kill(pid, SIGTERM);
		return 1;
	}
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", atoi(port));

	T_RUN(t_a_and_aaaa);
	T_RUN(t_one_family);
	T_RUN(t_failures);
	T_RUN(t_timeout);
	T_RUN(t_cancel);
	T_RUN(t_many);
	T_RUN(t_numeric_and_bad);
	T_RUN(t_uri_host);
	failed = t_done();
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return failed;
}
