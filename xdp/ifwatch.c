/*
 * ifwatch.c: keeps the XDP program attached to the configured interfaces.
 * A thread follows RTNLGRP_LINK through a libnl cache manager; an
 * interface that disappears and comes back (new ifindex) is re-attached.
 * Each attachment is a bpf_link pinned as <pin-path>/link_<ifname>, so it
 * outlives dotsd; a restart swaps the program inside the existing link.
 */
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "xdp/xdp.h"

#define IFWATCH_POLL_MS	200

static struct {
	pthread_t		 thread;
	volatile int		 running;
	int			 prog_fd;
	int			 mode;
	char			 pin_path[PATH_MAX];
	struct xdp_iface	*ifs;
	int			 nifs;
	struct nl_cache_mngr	*mngr;
	struct nl_cache		*links;
} iw = { .prog_fd = -1 };

static void
link_path(const struct xdp_iface *ifc, char *buf, size_t len)
{
	snprintf(buf, len, "%s/link_%s", iw.pin_path, ifc->name);
}

static void
detach_stale(struct xdp_iface *ifc)
{
	char path[PATH_MAX + 32];

	if (ifc->link_fd >= 0)
		close(ifc->link_fd);
	ifc->link_fd = -1;
	ifc->ifindex = 0;
	link_path(ifc, path, sizeof(path));
	unlink(path);
}

/* Takes over a link pinned by an earlier run on the same ifindex. */
static int
adopt_link(struct xdp_iface *ifc, int ifindex, const char *path)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info);
	int fd;

	if ((fd = bpf_obj_get(path)) < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0 ||
	    info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex != (uint32_t)ifindex ||
	    bpf_link_update(fd, iw.prog_fd, NULL) != 0) {
		close(fd);
		unlink(path);
		return -ENOENT;
	}
	ifc->link_fd = fd;
	ifc->ifindex = ifindex;
	log_info("xdp: %s: adopted the pinned link", ifc->name);
	return 0;
}

static int
create_link(struct xdp_iface *ifc, int ifindex, const char *path)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo);
	int fd = -1, err;

	if (iw.mode != XDP_MODE_GENERIC) {
		lo.flags = XDP_FLAGS_DRV_MODE;
		fd = bpf_link_create(iw.prog_fd, ifindex, BPF_XDP, &lo);
		if (fd < 0 && iw.mode == XDP_MODE_NATIVE) {
			err = -errno;
			log_warnx("xdp: %s: native mode: %s", ifc->name,
			    strerror(errno));
			return err;
		}
		if (fd < 0)
			log_warnx("xdp: %s: native mode unavailable (%s), "
			    "falling back to generic mode", ifc->name,
			    strerror(errno));
	}
	ifc->generic = 0;
	if (fd < 0) {
		lo.flags = XDP_FLAGS_SKB_MODE;
		fd = bpf_link_create(iw.prog_fd, ifindex, BPF_XDP, &lo);
		if (fd < 0) {
			err = -errno;
			log_warnx("xdp: %s: attach: %s", ifc->name,
			    strerror(errno));
			return err;
		}
		ifc->generic = 1;
	}
	if (bpf_obj_pin(fd, path) != 0) {
		err = -errno;
		log_warnx("xdp: %s: pin %s: %s", ifc->name, path,
		    strerror(errno));
		close(fd);
		return err;
	}
	ifc->link_fd = fd;
	ifc->ifindex = ifindex;
	log_info("xdp: %s: attached (ifindex %d, %s mode)", ifc->name, ifindex,
	    ifc->generic ? "generic" : "native");
	return 0;
}

/* Brings one interface in line with the kernel's view. 0 or -errno. */
static int
ifwatch_check(struct xdp_iface *ifc)
{
	char path[PATH_MAX + 32];
	int ifindex;

	ifindex = rtnl_link_name2i(iw.links, ifc->name);
	if (ifindex == ifc->ifindex)
		return 0;
	if (ifc->ifindex) {
		log_warnx("xdp: %s: interface gone (ifindex %d)", ifc->name,
		    ifc->ifindex);
		detach_stale(ifc);
	}
	if (ifindex == 0)
		return 0;
	link_path(ifc, path, sizeof(path));
	if (access(path, F_OK) == 0 && adopt_link(ifc, ifindex, path) == 0)
		return 0;
	return create_link(ifc, ifindex, path);
}

static void *
ifwatch_main(void *arg)
{
	int i, err;

	while (iw.running) {
		err = nl_cache_mngr_poll(iw.mngr, IFWATCH_POLL_MS);
		if (err < 0 && err != -NLE_INTR)
			log_debug("xdp: netlink poll: %s", nl_geterror(err));
		for (i = 0; i < iw.nifs; i++)
			ifwatch_check(&iw.ifs[i]);
	}
	return NULL;
}

int
ifwatch_start(int prog_fd, const char *pin_path, int mode,
    struct xdp_iface *ifs, int nifs, char *err, size_t errlen)
{
	int i, rv;

	iw.prog_fd = prog_fd;
	iw.mode = mode;
	iw.ifs = ifs;
	iw.nifs = nifs;
	snprintf(iw.pin_path, sizeof(iw.pin_path), "%s", pin_path);
	rv = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE,
	    &iw.mngr);
	if (rv == 0)
		rv = nl_cache_mngr_add(iw.mngr, "route/link", NULL, NULL,
		    &iw.links);
	if (rv < 0) {
		snprintf(err, errlen, "netlink: %s", nl_geterror(rv));
		rv = -EIO;
		goto fail;
	}
	for (i = 0; i < nifs; i++) {
		ifs[i].link_fd = -1;
		ifs[i].ifindex = 0;
		if ((rv = ifwatch_check(&ifs[i])) != 0) {
			snprintf(err, errlen, "attaching to %s: %s",
			    ifs[i].name, strerror(-rv));
			goto fail;
		}
		if (ifs[i].ifindex == 0)
			log_warnx("xdp: %s: no such interface yet; waiting "
			    "for it", ifs[i].name);
	}
	iw.running = 1;
	if ((rv = pthread_create(&iw.thread, NULL, ifwatch_main, NULL)) != 0) {
		iw.running = 0;
		snprintf(err, errlen, "pthread_create: %s", strerror(rv));
		rv = -rv;
		goto fail;
	}
	return 0;
fail:
	for (i = 0; i < nifs; i++)
		if (ifs[i].link_fd >= 0) {
			close(ifs[i].link_fd);
			ifs[i].link_fd = -1;
		}
	if (iw.mngr)
		nl_cache_mngr_free(iw.mngr);
	iw.mngr = NULL;
	return rv < 0 ? rv : -EIO;
}

/* Stops watching; the pinned links stay, and so do the drops. */
void
ifwatch_stop(void)
{
	int i;

	if (iw.running) {
		iw.running = 0;
		pthread_join(iw.thread, NULL);
	}
	for (i = 0; i < iw.nifs; i++)
		if (iw.ifs[i].link_fd >= 0) {
			close(iw.ifs[i].link_fd);
			iw.ifs[i].link_fd = -1;
		}
	if (iw.mngr)
		nl_cache_mngr_free(iw.mngr);
	iw.mngr = NULL;
	iw.nifs = 0;
}
