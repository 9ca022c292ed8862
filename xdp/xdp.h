/*
 * xdp.h: internals of the XDP backend shared by loader.c (and the files
 * it is split into, see loader_int.h), rules.c, ifwatch.c, the dotsd-xdp
 * tool and the tests. dotsd/ never includes this
 * (it only sees xdp_backend through mitigate/mitigate.h).
 */
#ifndef XDP_XDP_H
#define XDP_XDP_H

#include <stddef.h>
#include <stdint.h>

#include "mitigate/mitigate.h"
#include "xdp/dotsd_shared.h"

#define XDP_DEFAULT_PIN		"/sys/fs/bpf/dotsd"
#define XDP_DEFAULT_MAX_RULES	100000
#define XDP_MAX_IFACES		16
#define XDP_IFNAMSIZ		16

/* rules.c: compiling and ordering rules; no I/O, no logs. */

/* Checks that the backend can carry r. 0, -EINVAL or -EOPNOTSUPP + why. */
int	rules_check(const struct mit_rule *r, const char **why);
/* The action code the XDP program applies for r (rate 0 is a drop). */
uint32_t rules_action(const struct mit_rule *r);
/*
 * RFC 8955 §5.1 order: < 0 when a has higher precedence (matches first).
 * Rules with equal components are ordered by id.
 */
int	rules_cmp(const struct mit_rule *a, const struct mit_rule *b);
/* Bucket parameters of a rate-limit rule (burst, chunk). */
void	rules_bucket(const struct mit_rule *r, unsigned int ncpus,
	    struct xdp_gbucket *g);
/*
 * Parses one line of a dotsd-xdp rule file into r. Returns 0, or -EINVAL
 * with *why set. Grammar in doc/dotsd-xdp.8.
 */
int	rules_parse(const char *line, struct mit_rule *r, const char **why);
/* Formats r back into the rule-file syntax. */
int	rules_format(const struct mit_rule *r, char *buf, size_t len);
/* "198.18.0.0/15" or "2001:db8::/32" into p, host bits cleared. */
int	rules_parse_prefix(const char *s, struct mit_prefix *p);

/*
 * limits.c: "rules-per-prefix 16, ..." for xdp_backend.limits: what one
 * apply may not exceed (-E2BIG).
 */
const char	*xdp_limits(void);

#define XDP_STR_(x)	#x
#define XDP_STR(x)	XDP_STR_(x)

/* classify.c: one prefix class -> the word image the program searches. */
struct cref {
	const struct mit_rule	*r;
	uint64_t		 group;
	uint32_t		 ctr;
};

struct class_image {
	uint64_t	*w;
	uint32_t	 len;		/* words; 0 for a class of no rules */
	uint32_t	 nfields;
};

/* A packet as class_eval() sees it: v[f] for field bit f (v[2] dport,
 * v[3] sport also serve "port"), has[f] 0 when the L4 header is absent. */
struct class_pkt {
	int			family;		/* 4 or 6 */
	int			has[XDP_NFIELDS];
	unsigned __int128	v[XDP_NFIELDS];
};

int	class_build(const struct cref *refs, uint32_t n, int family,
	    struct class_image *img, const char **why);
void	class_place(struct class_image *img, uint32_t base, uint32_t order);
void	class_free(struct class_image *img);
long	class_eval(const uint64_t *words, uint32_t base,
	    const struct class_pkt *p);

/* loader.c */
struct xdp_global_stats {
	uint64_t	gen;
	uint32_t	groups;
	uint32_t	rules;
	uint32_t	prefixes;
	uint64_t	malformed_passed;
	uint64_t	malformed_dropped;
	uint64_t	nonip;
	uint64_t	words_used;	/* classifier words allocated */
	uint64_t	words_max;
};

int	xdp_prog_fd(void);		/* for BPF_PROG_TEST_RUN in tests */
int	xdp_global(struct xdp_global_stats *gs);
/* Detaches and unpins everything under pin_path. 0 or -errno. */
int	xdp_flush(const char *pin_path, char *err, size_t errlen);
/* maps.c: forces the generation wait (tests). */
int	xdp_sync(void);

/* ifwatch.c: attach the program to the configured interfaces and keep it
 * attached as they come and go. */
struct xdp_iface {
	char		name[XDP_IFNAMSIZ];
	int		ifindex;	/* 0: not attached */
	int		link_fd;
	int		generic;	/* attached in generic (skb) mode */
};

enum xdp_mode { XDP_MODE_AUTO = 0, XDP_MODE_NATIVE, XDP_MODE_GENERIC };

int	ifwatch_start(int prog_fd, const char *pin_path, int mode,
	    struct xdp_iface *ifs, int nifs, char *err, size_t errlen);
void	ifwatch_stop(void);

#endif
