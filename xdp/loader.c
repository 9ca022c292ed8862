/*
 * loader.c: the XDP backend. Loads dotsd.bpf.c through its skeleton, pins
 * its maps under pin-path so drops outlive dotsd, adopts what a previous
 * run left there (adopt.c), and turns rule groups into map entries
 * (group.c, over the model in table.c and the map writes in maps.c).
 * This file holds the lifecycle, the configuration and xdp_backend.
 *
 * Atomic updates (see xdp/README.md): every apply compiles the prefix
 * classes it changes into regions of the words map no packet can reach yet,
 * tags the touched prefixes with the next generation and then bumps cfg.gen
 * with one store; a packet reads cfg.gen once, so it sees the old rule set
 * or the new one. Regions the old set used are reused only after an RCU
 * grace period (forced by a map-in-map update), when no packet can still be
 * reading them.
 */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
/* the generated skeleton casts its embedded object's const away */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "xdp/dotsd.skel.h"
#pragma GCC diagnostic pop
#include "xdp/loader_int.h"
#include "xdp/xdp.h"

#define BPF_FS_MAGIC_	0xcafe4a11

struct xdp_state xdp_st = {
	.pin_path = XDP_DEFAULT_PIN,
	.max_rules = XDP_DEFAULT_MAX_RULES,
	.fd_rcu_inner = -1,
	.lock_fd = -1,
};

void
xdp_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- backend entry points ---- */

static int
xdp_configure(const char *key, const char *value, char *err, size_t errlen)
{
	char *end;
	unsigned long v;
	int i;

	if (xdp_st.started) {
		xdp_seterr(err, errlen, "xdp: configure after start");
		return -EBUSY;
	}
	if (strcmp(key, "interface") == 0) {
		if (xdp_st.nifs >= XDP_MAX_IFACES) {
			xdp_seterr(err, errlen, "at most %d interfaces",
			    XDP_MAX_IFACES);
			return -E2BIG;
		}
		if (strlen(value) == 0 || strlen(value) >= XDP_IFNAMSIZ ||
		    strchr(value, '/')) {
			xdp_seterr(err, errlen, "bad interface name \"%s\"",
			    value);
			return -EINVAL;
		}
		for (i = 0; i < xdp_st.nifs; i++)
			if (strcmp(xdp_st.ifs[i].name, value) == 0)
				return 0;	/* named twice */
		memset(&xdp_st.ifs[xdp_st.nifs], 0, sizeof(xdp_st.ifs[0]));
		strcpy(xdp_st.ifs[xdp_st.nifs].name, value);
		xdp_st.ifs[xdp_st.nifs++].link_fd = -1;
	} else if (strcmp(key, "mode") == 0) {
		if (strcmp(value, "auto") == 0)
			xdp_st.mode = XDP_MODE_AUTO;
		else if (strcmp(value, "native") == 0)
			xdp_st.mode = XDP_MODE_NATIVE;
		else if (strcmp(value, "generic") == 0)
			xdp_st.mode = XDP_MODE_GENERIC;
		else {
			xdp_seterr(err, errlen,
			    "mode is auto, native or generic");
			return -EINVAL;
		}
	} else if (strcmp(key, "malformed") == 0) {
		if (strcmp(value, "pass") == 0)
			xdp_st.malformed_drop = 0;
		else if (strcmp(value, "drop") == 0)
			xdp_st.malformed_drop = 1;
		else {
			xdp_seterr(err, errlen, "malformed is pass or drop");
			return -EINVAL;
		}
	} else if (strcmp(key, "pin-path") == 0) {
		if (value[0] != '/' ||
		    strlen(value) >= sizeof(xdp_st.pin_path) - 32) {
			xdp_seterr(err, errlen,
			    "pin-path must be an absolute path");
			return -EINVAL;
		}
		snprintf(xdp_st.pin_path, sizeof(xdp_st.pin_path), "%s", value);
	} else if (strcmp(key, "max-rules") == 0) {
		errno = 0;
		v = strtoul(value, &end, 10);
		if (errno || *end || v < 1 || v > 10000000) {
			xdp_seterr(err, errlen, "max-rules is 1 to 10000000");
			return -EINVAL;
		}
		xdp_st.max_rules = v;
	} else {
		xdp_seterr(err, errlen, "unknown xdp keyword \"%s\"", key);
		return -ENOENT;
	}
	return 0;
}

static int
libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libbpf: %s", buf);
	return 0;
}

static void
state_free(void)
{
	struct upfx *u, *un;
	struct ugroup *g, *gn;
	uint32_t b;

	for (b = 0; xdp_st.pfx_tab && b <= xdp_st.tab_mask; b++)
		for (u = xdp_st.pfx_tab[b]; u; u = un) {
			un = u->next;
			free(u->refs);
			free(u);
		}
	utrie_free();
	arena_free_all();
	for (b = 0; xdp_st.grp_tab && b <= xdp_st.tab_mask; b++)
		for (g = xdp_st.grp_tab[b]; g; g = gn) {
			gn = g->next;
			free(g);
		}
	free(xdp_st.pfx_tab);
	free(xdp_st.grp_tab);
	xdp_st.pfx_tab = NULL;
	xdp_st.grp_tab = NULL;
	pool_free(&xdp_st.free_ctrs);
	free(xdp_st.retiring);
	xdp_st.retiring = NULL;
	xdp_st.nretiring = xdp_st.retiring_cap = 0;
	xdp_st.nrules = xdp_st.ngroups = xdp_st.nprefixes = 0;
	memset(xdp_st.plen_cnt, 0, sizeof(xdp_st.plen_cnt));
	xdp_st.ndoomed = 0;
}

/*
 * Is dir the one PID 1 sees there (same device)? 1 yes, 0 no, -errno when
 * we cannot tell (no /proc, or PID 1 not ours to inspect).
 */
static int
bpffs_host_view(const char *dir)
{
	char		host[PATH_MAX + 16];
	struct stat	here, there;

	snprintf(host, sizeof(host), "/proc/1/root%s", dir);
	if (stat(dir, &here) != 0 || stat(host, &there) != 0)
		return -errno;
	return here.st_dev == there.st_dev;
}

/* Are we in PID 1's mount namespace? 1 yes, 0 no, -errno unknown. */
static int
mntns_is_init(void)
{
	struct stat	self, init;

	if (stat("/proc/self/ns/mnt", &self) != 0 ||
	    stat("/proc/1/ns/mnt", &init) != 0)
		return -errno;
	return self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

/*
 * Pins need a bpf file system, and it must be the host's: pins on one
 * private to a mount namespace vanish with it, and with them the rules
 * and the program's links. `ip netns exec` runs its command in a mount
 * namespace of its own with a fresh /sys, where /sys/fs/bpf is an empty
 * sysfs directory. So we mount bpffs on /sys/fs/bpf only in PID 1's
 * mount namespace (containers, minimal boots without systemd: as bpftool
 * and tc do), and refuse a bpffs PID 1 does not see.
 */
static int
ensure_bpffs(const char *pin_path, char *err, size_t errlen)
{
	static const char why[] = "pins there would vanish on exit, and with "
	    "them the rules and the links; run under nsenter --net=/run/"
	    "netns/NAME, which keeps the host's mounts, not ip netns exec";
	char parent[PATH_MAX], *slash;
	struct statfs sf;
	int r;

	snprintf(parent, sizeof(parent), "%s", pin_path);
	if ((slash = strrchr(parent, '/')) == NULL || slash == parent)
		return 0;
	*slash = '\0';
	if (statfs(parent, &sf) == 0 && sf.f_type == BPF_FS_MAGIC_) {
		if (bpffs_host_view(parent) != 0)
			return 0;	/* the host's, or we cannot tell */
		log_warnx("xdp: %s is a bpf file system PID 1 does not see: "
		    "%s", parent, why);
		/* err is short: the engine's buffer is 128 bytes */
		xdp_seterr(err, errlen, "%s: bpffs private to this mount "
		    "namespace (ip netns exec?): use nsenter --net", parent);
		return -EXDEV;
	}
	if (strcmp(parent, "/sys/fs/bpf") != 0) {
		xdp_seterr(err, errlen, "%s is not on a bpf file system",
		    pin_path);
		return -EINVAL;
	}
	if ((r = mntns_is_init()) != 1) {
		log_warnx("xdp: /sys/fs/bpf is not a bpf file system in this "
		    "mount namespace, which is %s PID 1's: %s, or mount "
		    "bpffs on /sys/fs/bpf in the host",
		    r == 0 ? "not" : "perhaps not", why);
		xdp_seterr(err, errlen, "/sys/fs/bpf is not a bpf file system "
		    "here (ip netns exec?): use nsenter --net");
		return -EXDEV;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700") != 0) {
		xdp_seterr(err, errlen, "mounting bpffs on %s: %s", parent,
		    strerror(errno));
		return -errno;
	}
	log_info("xdp: mounted a bpf file system on %s", parent);
	return 0;
}

static int
xdp_start(char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = xdp_st.pin_path);
	char path[PATH_MAX + 8];
	struct stat sb;
	uint32_t i, tabsz;
	int rv, adopting;

	if (xdp_st.started)
		return 0;
	libbpf_set_print(libbpf_quiet);
	if ((rv = ensure_bpffs(xdp_st.pin_path, err, errlen)) != 0)
		return rv;
	if (mkdir(xdp_st.pin_path, 0700) != 0 && errno != EEXIST) {
		rv = -errno;
		xdp_seterr(err, errlen, "mkdir %s: %s", xdp_st.pin_path,
		    strerror(errno));
		return rv;
	}
	/* two writers would hand out the same slots */
	xdp_st.lock_fd = open(xdp_st.pin_path, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	if (xdp_st.lock_fd < 0 ||
	    flock(xdp_st.lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rv = -errno;
		xdp_seterr(err, errlen, "%s is in use by another dotsd or "
		    "dotsd-xdp: %s", xdp_st.pin_path, strerror(errno));
		if (xdp_st.lock_fd >= 0)
			close(xdp_st.lock_fd);
		xdp_st.lock_fd = -1;
		return rv == -EWOULDBLOCK ? -EBUSY : rv;
	}
	snprintf(path, sizeof(path), "%s/cfg", xdp_st.pin_path);
	adopting = stat(path, &sb) == 0;

	xdp_st.ncpus = libbpf_num_possible_cpus();
	if (xdp_st.ncpus <= 0) {
		xdp_seterr(err, errlen, "cannot count CPUs");
		return -EINVAL;
	}
	/* a group's total of removed rules takes a slot of its own */
	xdp_st.nctrs = 2 * xdp_st.max_rules + XDP_SLACK;
	/*
	 * Classifier words: a one-rule class takes 32, a class of 1,000
	 * rules with a few fields some 100,000; adoption and every update
	 * build the new classes beside the live ones.
	 */
	arena_free_all();
	xdp_st.arena.cap = (uint32_t)((uint64_t)XDP_WORDS_PER_RULE *
	    xdp_st.max_rules + XDP_WORDS_MIN > UINT32_MAX / 2 ? UINT32_MAX / 2 :
	    XDP_WORDS_PER_RULE * xdp_st.max_rules + XDP_WORDS_MIN);
	for (tabsz = 1024; tabsz < xdp_st.max_rules; tabsz <<= 1)
		;
	xdp_st.tab_mask = tabsz - 1;
	xdp_st.pfx_tab = calloc(tabsz, sizeof(*xdp_st.pfx_tab));
	xdp_st.grp_tab = calloc(tabsz, sizeof(*xdp_st.grp_tab));
	if (!xdp_st.pfx_tab || !xdp_st.grp_tab) {
		rv = -ENOMEM;
		xdp_seterr(err, errlen, "out of memory");
		goto fail;
	}

	if ((xdp_st.skel = dotsd__open_opts(&oo)) == NULL) {
		rv = -errno;
		xdp_seterr(err, errlen, "opening the BPF object: %s",
		    strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(xdp_st.skel->maps.lpm4,
	    xdp_st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(xdp_st.skel->maps.lpm6,
	    xdp_st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(xdp_st.skel->maps.host4,
	    xdp_st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(xdp_st.skel->maps.host6,
	    xdp_st.max_rules + XDP_SLACK);
	bpf_map__set_max_entries(xdp_st.skel->maps.words, xdp_st.arena.cap);
	bpf_map__set_max_entries(xdp_st.skel->maps.counters, xdp_st.nctrs);
	bpf_map__set_max_entries(xdp_st.skel->maps.gbucket, xdp_st.nctrs);
	bpf_map__set_max_entries(xdp_st.skel->maps.lbucket, xdp_st.nctrs);
	bpf_map__set_max_entries(xdp_st.skel->maps.meta, xdp_st.nctrs);
	if ((rv = dotsd__load(xdp_st.skel)) != 0) {
		xdp_seterr(err, errlen, "loading the XDP program: %s%s",
		    strerror(-rv), adopting ? " (pinned maps of another "
		    "size or version? see dotsd-xdp flush)" : "");
		goto fail;
	}
	xdp_st.fd_cfg = bpf_map__fd(xdp_st.skel->maps.cfg);
	xdp_st.fd_lpm4 = bpf_map__fd(xdp_st.skel->maps.lpm4);
	xdp_st.fd_lpm6 = bpf_map__fd(xdp_st.skel->maps.lpm6);
	xdp_st.fd_host4 = bpf_map__fd(xdp_st.skel->maps.host4);
	xdp_st.fd_host6 = bpf_map__fd(xdp_st.skel->maps.host6);
	xdp_st.fd_words = bpf_map__fd(xdp_st.skel->maps.words);
	xdp_st.fd_counters = bpf_map__fd(xdp_st.skel->maps.counters);
	xdp_st.fd_gbucket = bpf_map__fd(xdp_st.skel->maps.gbucket);
	xdp_st.fd_lbucket = bpf_map__fd(xdp_st.skel->maps.lbucket);
	xdp_st.fd_gstats = bpf_map__fd(xdp_st.skel->maps.gstats);
	xdp_st.fd_meta = bpf_map__fd(xdp_st.skel->maps.meta);
	xdp_st.fd_rcu = bpf_map__fd(xdp_st.skel->maps.rcu_sync);
	xdp_st.fd_rcu_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "dotsd_rcu",
	    sizeof(uint32_t), sizeof(uint32_t), 1, NULL);
	if (xdp_st.fd_rcu_inner < 0) {
		rv = -errno;
		xdp_seterr(err, errlen, "creating a map: %s", strerror(errno));
		goto fail;
	}
	xdp_st.epoch = now_ns();
	xdp_st.started = 1;

	if (adopting) {
		if ((rv = adopt(err, errlen)) != 0)
			goto fail;
	} else {
		for (i = xdp_st.nctrs; i-- > 0; )
			pool_push(&xdp_st.free_ctrs, i);
		if (xdp_st.free_ctrs.n != xdp_st.nctrs) {
			rv = -ENOMEM;
			goto fail;
		}
	}
	if ((rv = cfg_write()) != 0) {
		xdp_seterr(err, errlen, "writing cfg: %s", strerror(-rv));
		goto fail;
	}
	if (xdp_st.nifs && (rv = ifwatch_start(bpf_program__fd(
	    xdp_st.skel->progs.dotsd_xdp), xdp_st.pin_path, xdp_st.mode,
	    xdp_st.ifs, xdp_st.nifs, err, errlen)) != 0)
		goto fail;
	return 0;
fail:
	xdp_st.started = 0;
	if (xdp_st.fd_rcu_inner >= 0)
		close(xdp_st.fd_rcu_inner);
	xdp_st.fd_rcu_inner = -1;
	dotsd__destroy(xdp_st.skel);
	xdp_st.skel = NULL;
	state_free();
	close(xdp_st.lock_fd);
	xdp_st.lock_fd = -1;
	return rv;
}

/* Leaves links and maps pinned: drops go on without dotsd. */
static void
xdp_stop(void)
{
	if (!xdp_st.started)
		return;
	ifwatch_stop();
	close(xdp_st.fd_rcu_inner);
	xdp_st.fd_rcu_inner = -1;
	dotsd__destroy(xdp_st.skel);
	xdp_st.skel = NULL;
	state_free();
	xdp_st.started = 0;
	if (xdp_st.lock_fd >= 0)
		close(xdp_st.lock_fd);
	xdp_st.lock_fd = -1;
}

static int
xdp_apply(const struct mit_ruleset *rs, char *err, size_t errlen)
{
	if (rs->nrules > MIT_MAX_GROUP_RULES) {
		xdp_seterr(err, errlen, "too many rules in a group");
		return -E2BIG;
	}
	return group_replace(rs->group, rs->rules, rs->nrules, 0, err, errlen);
}

static int
xdp_withdraw(uint64_t group, char *err, size_t errlen)
{
	return group_replace(group, NULL, 0, 1, err, errlen);
}

static int
xdp_stats(uint64_t group, struct mit_stats *out)
{
	struct ugroup *g;
	uint32_t i;
	int rv;

	if (!xdp_st.started)
		return -ENOTCONN;
	if ((g = grp_find(group)) == NULL)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < g->nrules; i++)
		if ((rv = ctr_read(g->rules[i].ctr, out)) != 0)
			return rv;
	if (g->retired_ctr != CTR_NONE &&
	    (rv = ctr_read(g->retired_ctr, out)) != 0)
		return rv;
	for (i = 0; i < xdp_st.nretiring; i++)
		if (xdp_st.retiring[i].group == group &&
		    (rv = ctr_read(xdp_st.retiring[i].ctr, out)) != 0)
			return rv;
	return 0;
}

/* The ids are copied first: fn may withdraw groups as it goes. */
static int
xdp_list(void (*fn)(uint64_t, void *), void *arg)
{
	struct ugroup *g;
	uint64_t *ids;
	uint32_t b, n = 0, i;

	if (!xdp_st.started)
		return -ENOTCONN;
	if ((ids = calloc(xdp_st.ngroups + 1, sizeof(*ids))) == NULL)
		return -ENOMEM;
	for (b = 0; b <= xdp_st.tab_mask; b++)
		for (g = xdp_st.grp_tab[b]; g && n < xdp_st.ngroups;
		    g = g->next)
			ids[n++] = g->id;
	for (i = 0; i < n; i++)
		fn(ids[i], arg);
	free(ids);
	return 0;
}

int
xdp_prog_fd(void)
{
	if (!xdp_st.started)
		return -ENOTCONN;
	return bpf_program__fd(xdp_st.skel->progs.dotsd_xdp);
}

int
xdp_global(struct xdp_global_stats *gs)
{
	struct xdp_gstats *v;
	uint32_t zero = 0;
	int i;

	if (!xdp_st.started)
		return -ENOTCONN;
	memset(gs, 0, sizeof(*gs));
	gs->gen = xdp_st.gen;
	gs->groups = xdp_st.ngroups;
	gs->rules = xdp_st.nrules;
	gs->prefixes = xdp_st.nprefixes;
	if ((v = calloc(xdp_st.ncpus, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (bpf_map_lookup_elem(xdp_st.fd_gstats, &zero, v) == 0)
		for (i = 0; i < xdp_st.ncpus; i++) {
			gs->malformed_passed += v[i].malformed_passed;
			gs->malformed_dropped += v[i].malformed_dropped;
			gs->nonip += v[i].nonip;
		}
	gs->words_used = xdp_st.arena.used;
	gs->words_max = xdp_st.arena.cap;
	free(v);
	return 0;
}

/*
 * Unpinning the last reference of a link detaches the program; unpinning
 * the maps frees them once no program uses them.
 */
int
xdp_flush(const char *pin_path, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rv = 0;

	if ((d = opendir(pin_path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		rv = -errno;
		xdp_seterr(err, errlen, "%s: %s", pin_path, strerror(errno));
		return rv;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
		if (unlink(path) != 0 && rv == 0) {
			rv = -errno;
			xdp_seterr(err, errlen, "%s: %s", path,
			    strerror(errno));
		}
	}
	closedir(d);
	if (rv == 0 && rmdir(pin_path) != 0 && errno != ENOENT) {
		rv = -errno;
		xdp_seterr(err, errlen, "%s: %s", pin_path, strerror(errno));
	}
	return rv;
}

const struct mit_backend xdp_backend = {
	.name = "xdp",
	.configure = xdp_configure,
	.start = xdp_start,
	.stop = xdp_stop,
	.apply = xdp_apply,
	.withdraw = xdp_withdraw,
	.stats = xdp_stats,
	.list = xdp_list,
	.limits = xdp_limits,
};
