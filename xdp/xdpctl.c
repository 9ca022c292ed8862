/*
 * xdpctl.c: dotsd-xdp, the admin tool of the XDP data plane. Reads the
 * pinned state (status, stats) without loading anything, drives the
 * backend without dotsd (load-rules, withdraw) and removes everything
 * (detach, flush). See doc/dotsd-xdp.8.
 */
#include <sys/stat.h>
#include <sys/statfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/magic.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "xdp/xdp.h"

static const char *pin_path = XDP_DEFAULT_PIN;
static int verbose;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: dotsd-xdp [-v] [-p pin-path] [-i ifname]... [-m mode]\n"
	    "                 [-M pass|drop] [-n max-rules] command [arg]\n"
	    "commands: status | stats [group] | load-rules [-x] file |\n"
	    "          withdraw group | run [file] | detach | flush\n");
	exit(2);
}

static int
pinned_fd(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_path, name);
	return bpf_obj_get(path);
}

/* Every failure says why: prints "dotsd-xdp: what: strerror(errno)". */
static int
fail_errno(const char *what)
{
	fprintf(stderr, "dotsd-xdp: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A group id on a command line or a rule-file line: 0, or -1 (printed). */
static int
parse_group(const char *s, uint64_t *id, int lineno)
{
	char *end;

	errno = 0;
	*id = strtoull(s, &end, 0);
	end += strspn(end, " \t\n");
	if (errno != 0 || end == s || *end != '\0' || *id == UINT64_MAX) {
		if (lineno)
			fprintf(stderr, "dotsd-xdp: line %d: bad group id "
			    "\"%.*s\"\n", lineno, (int)strcspn(s, "\n"), s);
		else
			fprintf(stderr, "dotsd-xdp: bad group id \"%s\"\n",
			    s);
		return -1;
	}
	return 0;
}

/* Is path's parent a bpf file system (in this mount namespace)? */
static int
on_bpffs(const char *path)
{
	char parent[PATH_MAX], *slash;
	struct statfs sf;

	snprintf(parent, sizeof(parent), "%s", path);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent)
		*slash = '\0';
	return statfs(parent, &sf) == 0 && sf.f_type == BPF_FS_MAGIC;
}

/* ---- read-only views of the pinned maps ---- */

struct ro {
	int	meta, counters, cfg, gstats;
	int	ncpus;
	uint32_t nctrs;
};

static int
ro_open(struct ro *ro)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	ro->meta = pinned_fd("meta");
	ro->counters = pinned_fd("counters");
	ro->cfg = pinned_fd("cfg");
	ro->gstats = pinned_fd("gstats");
	if (ro->meta < 0 || ro->counters < 0 || ro->cfg < 0 ||
	    ro->gstats < 0) {
		fprintf(stderr, "dotsd-xdp: nothing pinned under %s%s\n",
		    pin_path, on_bpffs(pin_path) ? "" : " (not on a bpf file "
		    "system here: ip netns exec? use nsenter --net)");
		return -ENOENT;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(ro->meta, &info, &len) != 0) {
		fprintf(stderr, "dotsd-xdp: %s/meta: %s\n", pin_path,
		    strerror(errno));
		return -errno;
	}
	ro->nctrs = info.max_entries;
	ro->ncpus = libbpf_num_possible_cpus();
	return 0;
}

struct gsum {
	uint64_t	group;
	uint32_t	rules;
	struct mit_stats s;
	uint64_t	cpu_pkts[64];	/* dropped + passed, per CPU */
};

static int
gsum_find(struct gsum **gs, size_t *n, uint64_t group)
{
	struct gsum *ng;
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*gs)[i].group == group)
			return i;
	if ((ng = reallocarray(*gs, *n + 1, sizeof(**gs))) == NULL)
		return -1;
	*gs = ng;
	memset(&ng[*n], 0, sizeof(ng[0]));
	ng[*n].group = group;
	return (*n)++;
}

static int
cmd_stats(int argc, char **argv)
{
	struct ro ro;
	struct xdp_meta m;
	struct xdp_counters *c;
	struct gsum *gs = NULL;
	size_t n = 0, i;
	uint64_t only = 0;
	uint32_t k;
	int have_only = 0, g, cpu;

	if (argc > 1) {
		if (parse_group(argv[1], &only, 0) != 0)
			return 1;
		have_only = 1;
	}
	if (ro_open(&ro) != 0)
		return 1;
	if ((c = calloc(ro.ncpus, sizeof(*c))) == NULL)
		return fail_errno("stats");
	for (k = UINT32_MAX; bpf_map_get_next_key(ro.meta,
	    k == UINT32_MAX ? NULL : &k, &k) == 0; ) {
		/* live rules, the group's total of removed rules, and removed
		 * rules not folded into it yet */
		if (bpf_map_lookup_elem(ro.meta, &k, &m) != 0 || !m.in_use)
			continue;
		if (have_only && m.group != only)
			continue;
		if ((g = gsum_find(&gs, &n, m.group)) < 0 ||
		    bpf_map_lookup_elem(ro.counters, &k, c) != 0) {
			fail_errno("reading the counters");
			free(gs);
			free(c);
			return 1;
		}
		if (m.in_use == 1)
			gs[g].rules++;
		for (cpu = 0; cpu < ro.ncpus; cpu++) {
			gs[g].s.pkts_dropped += c[cpu].pkts_dropped;
			gs[g].s.bytes_dropped += c[cpu].bytes_dropped;
			gs[g].s.pkts_passed += c[cpu].pkts_passed;
			gs[g].s.bytes_passed += c[cpu].bytes_passed;
			if (cpu < 64)
				gs[g].cpu_pkts[cpu] += c[cpu].pkts_dropped +
				    c[cpu].pkts_passed;
		}
	}
	if (have_only && n == 0) {
		fprintf(stderr, "dotsd-xdp: no group %llu\n",
		    (unsigned long long)only);
		free(c);
		return 1;
	}
	for (i = 0; i < n; i++) {
		printf("group %llu rules %u pkts_dropped %llu bytes_dropped "
		    "%llu pkts_passed %llu bytes_passed %llu",
		    (unsigned long long)gs[i].group, gs[i].rules,
		    (unsigned long long)gs[i].s.pkts_dropped,
		    (unsigned long long)gs[i].s.bytes_dropped,
		    (unsigned long long)gs[i].s.pkts_passed,
		    (unsigned long long)gs[i].s.bytes_passed);
		if (verbose)
			for (cpu = 0; cpu < ro.ncpus && cpu < 64; cpu++)
				printf(" cpu%d %llu", cpu,
				    (unsigned long long)gs[i].cpu_pkts[cpu]);
		printf("\n");
	}
	free(gs);
	free(c);
	return 0;
}

static int
cmd_status(void)
{
	struct ro ro;
	struct xdp_cfg cfg;
	struct xdp_gstats *gst, sum = { 0 };
	struct xdp_meta m;
	struct bpf_link_info li;
	uint32_t zero = 0, k, len, nrules = 0;
	char ifname[IF_NAMESIZE], buf[1024];
	struct dirent *de;
	DIR *d;
	int cpu, fd;

	if (ro_open(&ro) != 0)
		return 1;
	if (bpf_map_lookup_elem(ro.cfg, &zero, &cfg) != 0)
		return fail_errno("reading the cfg map");
	printf("pin-path %s\ngeneration %llu\nmalformed %s\n", pin_path,
	    (unsigned long long)cfg.gen, cfg.malformed_drop ? "drop" : "pass");
	if ((d = opendir(pin_path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "link_", 5) != 0)
				continue;
			if ((fd = pinned_fd(de->d_name)) < 0)
				continue;
			memset(&li, 0, sizeof(li));
			len = sizeof(li);
			if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0 &&
			    li.xdp.ifindex)
				printf("interface %s ifindex %u%s\n",
				    de->d_name + 5, li.xdp.ifindex,
				    if_indextoname(li.xdp.ifindex, ifname) ?
				    "" : " (other namespace)");
			else
				printf("interface %s detached\n",
				    de->d_name + 5);
			close(fd);
		}
		closedir(d);
	}
	for (k = UINT32_MAX; bpf_map_get_next_key(ro.meta,
	    k == UINT32_MAX ? NULL : &k, &k) == 0; ) {
		if (bpf_map_lookup_elem(ro.meta, &k, &m) != 0 || m.in_use != 1)
			continue;
		nrules++;
		if (verbose) {
			rules_format((struct mit_rule *)m.rule, buf,
			    sizeof(buf));
			printf("rule group %llu %s\n",
			    (unsigned long long)m.group, buf);
		}
	}
	printf("rules %u of %u slots\n", nrules, ro.nctrs);
	if ((gst = calloc(ro.ncpus, sizeof(*gst))) != NULL &&
	    bpf_map_lookup_elem(ro.gstats, &zero, gst) == 0) {
		for (cpu = 0; cpu < ro.ncpus; cpu++) {
			sum.malformed_passed += gst[cpu].malformed_passed;
			sum.malformed_dropped += gst[cpu].malformed_dropped;
			sum.nonip += gst[cpu].nonip;
		}
		printf("malformed_passed %llu malformed_dropped %llu "
		    "nonip %llu\n",
		    (unsigned long long)sum.malformed_passed,
		    (unsigned long long)sum.malformed_dropped,
		    (unsigned long long)sum.nonip);
	}
	free(gst);
	return 0;
}

/* ---- commands that drive the backend ---- */

struct seen {
	uint64_t	*v;
	size_t		 n;
	int		 nomem;		/* a group could not be recorded */
};

static void
collect(uint64_t group, void *arg)
{
	struct seen *s = arg;
	uint64_t *nv = reallocarray(s->v, s->n + 1, sizeof(*nv));

	if (nv == NULL) {
		s->nomem = 1;
		return;
	}
	s->v = nv;
	s->v[s->n++] = group;
}

static int
flush_group(struct mit_ruleset *rs, int line)
{
	char err[256];
	int rv;

	if (rs->group == UINT64_MAX)
		return 0;
	if ((rv = xdp_backend.apply(rs, err, sizeof(err))) != 0) {
		fprintf(stderr, "dotsd-xdp: line %d: group %llu: %s\n", line,
		    (unsigned long long)rs->group, err);
		return rv;
	}
	return 0;
}

/*
 * load-rules -x: withdraws every group the backend holds that the file
 * did not name. 0, or -errno after printing why.
 */
static int
withdraw_others(const struct seen *in_file)
{
	struct seen held = { 0 };
	char err[256];
	size_t i, j;
	int r, rv = 0;

	if (in_file->nomem) {
		fprintf(stderr, "dotsd-xdp: -x: out of memory listing the "
		    "file's groups; nothing withdrawn\n");
		return -ENOMEM;
	}
	if ((r = xdp_backend.list(collect, &held)) != 0 || held.nomem) {
		fprintf(stderr, "dotsd-xdp: -x: cannot list the loaded "
		    "groups: %s\n", strerror(r ? -r : ENOMEM));
		free(held.v);
		return r ? r : -ENOMEM;
	}
	for (i = 0; i < held.n; i++) {
		for (j = 0; j < in_file->n; j++)
			if (in_file->v[j] == held.v[i])
				break;
		if (j < in_file->n)
			continue;
		if ((r = xdp_backend.withdraw(held.v[i], err,
		    sizeof(err))) != 0) {
			fprintf(stderr, "dotsd-xdp: -x: withdrawing group "
			    "%llu: %s\n", (unsigned long long)held.v[i], err);
			rv = r;
		}
	}
	free(held.v);
	return rv;
}

/*
 * A "group N" or "withdraw N" line: applies the group being read, then
 * starts group N or withdraws it. 0, or -errno after printing why.
 */
static int
group_line(struct mit_ruleset *rs, struct seen *in_file, const char *p,
    int lineno)
{
	char err[256];
	uint64_t id;
	int rv;

	if (parse_group(strchr(p, ' ') + 1, &id, lineno) != 0)
		return -EINVAL;
	if ((rv = flush_group(rs, lineno)) != 0)
		return rv;
	rs->group = UINT64_MAX;
	rs->nrules = 0;
	if (*p == 'w') {
		if ((rv = xdp_backend.withdraw(id, err, sizeof(err))) != 0)
			fprintf(stderr, "dotsd-xdp: line %d: withdraw %llu: "
			    "%s\n", lineno, (unsigned long long)id, err);
		return rv;
	}
	rs->group = id;
	collect(id, in_file);
	return 0;
}

/* One rule line into the group being read. 0, or -errno, printed. */
static int
rule_line(struct mit_ruleset *rs, const char *p, int lineno)
{
	const char *why;

	if (rs->group == UINT64_MAX) {
		fprintf(stderr, "dotsd-xdp: line %d: rule outside a group\n",
		    lineno);
		return -EINVAL;
	}
	if (rs->nrules >= MIT_MAX_GROUP_RULES) {
		fprintf(stderr, "dotsd-xdp: line %d: more than %d rules in a "
		    "group\n", lineno, MIT_MAX_GROUP_RULES);
		return -E2BIG;
	}
	if (rules_parse(p, &rs->rules[rs->nrules], &why) != 0) {
		fprintf(stderr, "dotsd-xdp: line %d: %s\n", lineno, why);
		return -EINVAL;
	}
	rs->nrules++;
	return 0;
}

/*
 * File format: "group N" starts a group; rule lines follow (grammar in
 * dotsd-xdp.8); "withdraw N" removes a group; # starts a comment. Each
 * group is applied as a unit when the next one starts.
 */
static int
cmd_load(const char *file, int exclusive)
{
	struct mit_ruleset *rs;
	struct seen in_file = { 0 };
	char line[1024], *p;
	FILE *f;
	int lineno = 0, rv = 0;

	if (strcmp(file, "-") == 0)
		f = stdin;
	else if ((f = fopen(file, "r")) == NULL)
		return fail_errno(file);
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		if (f != stdin)
			fclose(f);
		return fail_errno("load-rules");
	}
	rs->group = UINT64_MAX;
	while (rv == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\n' || *p == '\0')
			continue;
		if (strncmp(p, "group ", 6) == 0 ||
		    strncmp(p, "withdraw ", 9) == 0)
			rv = group_line(rs, &in_file, p, lineno);
		else
			rv = rule_line(rs, p, lineno);
	}
	if (rv == 0 && ferror(f)) {
		rv = -EIO;
		fprintf(stderr, "dotsd-xdp: %s: read error\n", file);
	}
	if (rv == 0)
		rv = flush_group(rs, lineno);
	if (rv == 0 && exclusive)
		rv = withdraw_others(&in_file);
	if (f != stdin)
		fclose(f);
	free(rs);
	free(in_file.v);
	return rv ? 1 : 0;
}

static int
cmd_detach(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rv = 0;

	if ((d = opendir(pin_path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return fail_errno(pin_path);
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "link_", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
		if (unlink(path) != 0)
			rv = fail_errno(path);
	}
	closedir(d);
	return rv;
}

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

/*
 * Stays in the foreground like dotsd would: keeps the program attached to
 * the -i interfaces (re-attaching them as they come back) until SIGTERM or
 * SIGINT. The pinned state stays after it exits.
 */
static int
cmd_run(const char *file)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (file && cmd_load(file, 1) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!quit)
		pause();
	return 0;
}

static int
cmd_withdraw(const char *arg)
{
	char err[256];
	uint64_t g;

	if (parse_group(arg, &g, 0) != 0)
		return 1;
	if (xdp_backend.withdraw(g, err, sizeof(err)) != 0) {
		fprintf(stderr, "dotsd-xdp: withdraw %llu: %s\n",
		    (unsigned long long)g, err);
		return 1;
	}
	return 0;
}

/* The commands that start the backend: load-rules, withdraw, run. */
static int
cmd_backend(const char *cmd, int argc, char **argv)
{
	char err[256];
	int exclusive = 0, rv;

	if (strcmp(cmd, "load-rules") == 0) {
		if (argc > 1 && strcmp(argv[1], "-x") == 0) {
			exclusive = 1;
			argc--;
			argv++;
		}
		if (argc != 2)
			usage();
	} else if (strcmp(cmd, "withdraw") == 0) {
		if (argc != 2)
			usage();
	} else if (strcmp(cmd, "run") == 0) {
		if (argc > 2)
			usage();
	} else
		usage();

	if (xdp_backend.start(err, sizeof(err)) != 0) {
		fprintf(stderr, "dotsd-xdp: %s\n", err);
		return 1;
	}
	/* argv[0] is "-x" after load-rules -x: dispatch on cmd */
	if (strcmp(cmd, "load-rules") == 0)
		rv = cmd_load(argv[1], exclusive);
	else if (strcmp(cmd, "run") == 0)
		rv = cmd_run(argc > 1 ? argv[1] : NULL);
	else
		rv = cmd_withdraw(argv[1]);
	xdp_backend.stop();
	return rv;
}

int
main(int argc, char *argv[])
{
	char err[256];
	int ch;

	log_init(1, 0, "dotsd-xdp");
	while ((ch = getopt(argc, argv, "+i:m:M:n:p:v")) != -1) {
		const char *key;

		switch (ch) {
		case 'i': key = "interface"; break;
		case 'm': key = "mode"; break;
		case 'M': key = "malformed"; break;
		case 'n': key = "max-rules"; break;
		case 'p': key = "pin-path"; pin_path = optarg; break;
		case 'v': verbose++; log_setverbose(verbose); continue;
		default: usage();
		}
		if (xdp_backend.configure(key, optarg, err, sizeof(err)) != 0) {
			fprintf(stderr, "dotsd-xdp: %s\n", err);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	if (strcmp(argv[0], "status") == 0)
		return argc == 1 ? cmd_status() : (usage(), 2);
	if (strcmp(argv[0], "stats") == 0)
		return argc <= 2 ? cmd_stats(argc, argv) : (usage(), 2);
	if (strcmp(argv[0], "flush") == 0) {
		if (xdp_flush(pin_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "dotsd-xdp: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (strcmp(argv[0], "detach") == 0)
		return cmd_detach();
	return cmd_backend(argv[0], argc, argv);
}
