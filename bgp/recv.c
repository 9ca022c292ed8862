/*
 * recv.c: the speaker's receive side. Flowspec routes (AFI 1/2, SAFI 133)
 * from neighbors with an import space become received rules for the
 * engine, which enforces them on the local backend only; nothing received
 * is ever announced again.
 *
 * Each route passes, in order: RFC 7606 (a malformed UPDATE withdraws
 * what it carries), decoding into one exact struct mit_rule (never an
 * approximation), the peer's import policy (destination inside its import
 * space, prefix length, action, ceiling), and the RFC 8955 §6 validation
 * with the RFC 9117 relaxation. A route that fails is counted by reason,
 * logged, and withdraws the peer's earlier version of the same NLRI.
 *
 * Routes are keyed by family and NLRI bytes; several peers sending one
 * NLRI share its entry (one contribution each; the strongest action
 * wins), so it goes when the last of them withdraws it or goes down.
 * Changed entries wait in a queue that the engine drains (recv_drain)
 * from its own thread, woken through a pipe. Everything here runs with
 * bgp_sp.mtx held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bgp/bgp.h"
#include "bgp/flowspec.h"
#include "bgp/speaker_int.h"
#include "lib/log.h"

#define RX_HASH_SIZE	(1u << 17)
#define RX_LOG_PER_SEC	10	/* info logs per peer per second */

struct rx_contrib {
	uint8_t		peer;		/* struct peer idx */
	uint8_t		stale;		/* RFC 4724: kept across a restart */
	uint8_t		action;
	uint64_t	rate;
};

struct rx_entry {
	struct rx_entry		*hnext;
	uint32_t		hash;
	uint64_t		key;
	struct mit_rule		rule;	/* match; action is the effective one */
	uint8_t			queued;
	uint8_t			ncontrib, ccap;
	struct rx_contrib	*contrib;	/* BGP_MAX_PEERS at most */
	uint8_t			fam;
	uint16_t		nlen;
	uint8_t			nlri[];
};

static struct {
	struct rx_entry	**hash;
	struct rx_entry	**q;		/* entries changed since drained */
	size_t		  qn, qpos, qcap;
	uint64_t	  next_key;
	uint64_t	  ignored[MIT_RX_REASON_MAX];
	int		  wake[2];
} rx = { .wake = { -1, -1 } };

int
recv_init(void)
{
	if (rx.hash == NULL &&
	    (rx.hash = calloc(RX_HASH_SIZE, sizeof(*rx.hash))) == NULL)
		return -ENOMEM;
	if (rx.wake[0] < 0 && pipe2(rx.wake, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	rx.next_key = 1;
	return 0;
}

void
recv_fini(void)
{
	struct rx_entry	*e;
	uint32_t	 i;
	int		 k;

	if (rx.hash != NULL)
		for (i = 0; i < RX_HASH_SIZE; i++)
			while ((e = rx.hash[i]) != NULL) {
				rx.hash[i] = e->hnext;
				free(e->contrib);
				free(e);
			}
	free(rx.hash);
	free(rx.q);
	rx.hash = NULL;
	rx.q = NULL;
	rx.qn = rx.qpos = rx.qcap = 0;
	memset(rx.ignored, 0, sizeof(rx.ignored));
	for (k = 0; k < 2; k++)
		if (rx.wake[k] >= 0) {
			close(rx.wake[k]);
			rx.wake[k] = -1;
		}
}

static struct rx_entry *
rx_find(uint8_t fam, const uint8_t *nlri, size_t len, uint32_t h)
{
	struct rx_entry	*e;

	for (e = rx.hash[h & (RX_HASH_SIZE - 1)]; e; e = e->hnext)
		if (e->hash == h && e->fam == fam && e->nlen == len &&
		    memcmp(e->nlri, nlri, len) == 0)
			return e;
	return NULL;
}

static void
rx_unlink(struct rx_entry *e)
{
	struct rx_entry	**pp;

	for (pp = &rx.hash[e->hash & (RX_HASH_SIZE - 1)]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	free(e->contrib);
	free(e);
}

/* Puts e on the engine's queue (once) and wakes the engine. */
static void
rx_queue(struct rx_entry *e)
{
	struct rx_entry	**nq;
	uint8_t		  c = 1;

	if (e->queued)
		return;
	if (rx.qn == rx.qcap) {
		rx.qcap = rx.qcap ? rx.qcap * 2 : 1024;
		if ((nq = reallocarray(rx.q, rx.qcap, sizeof(*nq))) == NULL)
			fatal("%s", __func__);
		rx.q = nq;
	}
	if (rx.qn == rx.qpos && rx.wake[1] >= 0)
		(void)write(rx.wake[1], &c, 1);
	rx.q[rx.qn++] = e;
	e->queued = 1;
}

/* The strongest wish wins: drop, then the lowest rate, then accept. */
static int
rx_stronger(const struct rx_contrib *a, const struct rx_contrib *b)
{
	static const uint8_t rank[] = {
		[MIT_ACT_DROP] = 0, [MIT_ACT_RATE_BPS] = 1,
		[MIT_ACT_RATE_PPS] = 2, [MIT_ACT_ACCEPT] = 3,
	};

	if (rank[a->action] != rank[b->action])
		return rank[a->action] < rank[b->action];
	return a->rate < b->rate;
}

/* Recomputes e's effective action and queues e if anything changed. */
static void
rx_settle(struct rx_entry *e, int changed)
{
	const struct rx_contrib	*best = NULL;
	int			 i;

	for (i = 0; i < e->ncontrib; i++)
		if (best == NULL || rx_stronger(&e->contrib[i], best))
			best = &e->contrib[i];
	if (best != NULL && (best->action != e->rule.action ||
	    best->rate != e->rule.rate)) {
		e->rule.action = best->action;
		e->rule.rate = best->rate;
		changed = 1;
	}
	if (changed)
		rx_queue(e);
}

static int
rx_contrib_index(const struct rx_entry *e, int peer)
{
	int	i;

	for (i = 0; i < e->ncontrib; i++)
		if (e->contrib[i].peer == peer)
			return i;
	return -1;
}

/* Removes p's contribution to e, if any. */
static void
rx_drop_contrib(struct peer *p, struct rx_entry *e)
{
	int	i = rx_contrib_index(e, p->idx);

	if (i < 0)
		return;
	e->contrib[i] = e->contrib[--e->ncontrib];
	p->rx_count--;
	rx_settle(e, 1);
}

static void
rx_withdraw(struct peer *p, int fam, const uint8_t *nlri, size_t len)
{
	struct rx_entry	*e;

	e = rx_find(fam, nlri, len, rt_hashval(fam, nlri, len));
	if (e != NULL)
		rx_drop_contrib(p, e);
}

/* Logs one left-out route, at most RX_LOG_PER_SEC per peer at info. */
static void
rx_ignore(struct peer *p, int reason, const char *why, const uint8_t *nlri,
    size_t len)
{
	char	hex[2 * 24 + 4];
	size_t	i;

	rx.ignored[reason]++;
	p->rx_ignored++;
	for (i = 0; i < len && i < 24; i++)
		snprintf(hex + 2 * i, 3, "%02x", nlri[i]);
	if (len > 24)
		strcpy(hex + 48, "...");
	if (p->rx_log_budget > 0) {
		p->rx_log_budget--;
		log_peer_info(p, "flowspec %s not enforced: %s", hex, why);
	} else
		log_peer_debug(p, "flowspec %s not enforced: %s", hex, why);
}

static int
rx_in_prefix(const struct mit_prefix *in, const struct mit_prefix *out)
{
	int	i;

	if (in->family != out->family || in->len < out->len)
		return 0;
	for (i = 0; i < out->len / 8; i++)
		if (in->addr[i] != out->addr[i])
			return 0;
	if (out->len % 8 && ((in->addr[i] ^ out->addr[i]) &
	    (uint8_t)(0xff << (8 - out->len % 8))))
		return 0;
	return 1;
}

/* The peer's import policy. Returns -1 or an enum mit_recv_reason. */
static int
rx_import(const struct peer *p, const struct mit_rule *r, const char **why)
{
	static const uint8_t act_bit[] = {
		[MIT_ACT_DROP] = BGP_ACT_DROP,
		[MIT_ACT_RATE_BPS] = BGP_ACT_RATE_BPS,
		[MIT_ACT_RATE_PPS] = BGP_ACT_RATE_PPS,
		[MIT_ACT_ACCEPT] = BGP_ACT_ACCEPT,
	};
	int	i;

	for (i = 0; i < p->c.nimport; i++)
		if (rx_in_prefix(&r->dst, &p->c.import[i]))
			break;
	if (i == p->c.nimport) {
		*why = "destination outside the import space";
		return MIT_RX_IMPORT;
	}
	if (r->dst.len < (r->dst.family == AF_INET ? p->c.import_min_len4 :
	    p->c.import_min_len6)) {
		*why = "destination prefix shorter than allowed";
		return MIT_RX_PREFIX_LEN;
	}
	if (!(p->c.import_actions & act_bit[r->action])) {
		*why = "action not allowed from this neighbor";
		return MIT_RX_ACTION;
	}
	return -1;
}

/*
 * RFC 8955 §6 with RFC 9117 §4.1. (a) holds: decoding refused routes
 * without a destination. (b): no unicast routes are kept, so (b.1) never
 * holds and (b.2) decides: an AS_PATH empty apart from AS_CONFED_SEQUENCE
 * segments, i.e. a route from inside our AS. (c) needs unicast routes
 * too; the import space bounds what a peer may filter instead. eBGP: the
 * neighbor's AS must be the left-most one (§6, last paragraph).
 */
static int
rx_validate(const struct peer *p, const struct bgp_update_info *ui,
    const char **why)
{
	uint32_t	first = p->c.remote_as;

	if (p->c.no_validate)
		return -1;
	if (!p->as4 && first > 0xffff)
		first = BGP_AS_TRANS;
	if (p->ebgp && ui->first_as != first) {
		*why = "left-most AS is not the neighbor's (RFC 8955 §6)";
		return MIT_RX_VALIDATION;
	}
	if (!ui->aspath_empty || ui->aspath_set) {
		*why = "AS_PATH not empty and no unicast route to match "
		    "(RFC 9117 §4.1 b)";
		return MIT_RX_VALIDATION;
	}
	return -1;
}

static int
rx_reason_of(int fr)
{
	return fr >= FLOWSPEC_RX_REDIRECT ? MIT_RX_UNSUPPORTED :
	    MIT_RX_INEXACT;
}

/* Adds or replaces p's contribution of r to the entry of (fam, nlri). */
static void
rx_take(struct peer *p, int fam, const uint8_t *nlri, size_t len,
    const struct mit_rule *r)
{
	uint32_t		 h = rt_hashval(fam, nlri, len);
	struct rx_entry		*e = rx_find(fam, nlri, len, h), **b;
	struct rx_contrib	*c;
	int			 i, fresh = e == NULL || e->ncontrib == 0;

	if (e == NULL) {
		if ((e = calloc(1, sizeof(*e) + len)) == NULL)
			fatal("%s", __func__);
		e->hash = h;
		e->fam = fam;
		e->nlen = len;
		memcpy(e->nlri, nlri, len);
		e->key = rx.next_key++;
		e->rule = *r;
		b = &rx.hash[h & (RX_HASH_SIZE - 1)];
		e->hnext = *b;
		*b = e;
	}
	if ((i = rx_contrib_index(e, p->idx)) < 0) {
		if (e->ncontrib == e->ccap) {
			e->ccap = e->ccap ? e->ccap * 2 : 1;
			if ((c = reallocarray(e->contrib, e->ccap,
			    sizeof(*c))) == NULL)
				fatal("%s", __func__);
			e->contrib = c;
		}
		i = e->ncontrib++;
		p->rx_count++;
	}
	c = &e->contrib[i];
	c->peer = p->idx;
	c->stale = 0;
	c->action = r->action;
	c->rate = r->rate;
	p->rx_accepted++;
	/* a new entry is queued; an old one when its action changes */
	if (fresh)
		e->rule = *r;
	rx_settle(e, fresh);
}

static void
rx_announce(struct peer *p, int fam, const uint8_t *nlri, size_t len,
    const struct bgp_update_info *ui)
{
	struct mit_rule	r;
	struct rx_entry	*e;
	const char	*why = NULL;
	int		 fr, reason;

	fr = flowspec_decode(bgp_fam_afi(fam), nlri, len, &r);
	if (fr == FLOWSPEC_RX_OK)
		fr = flowspec_actions(ui->ecs, ui->necs, &r);
	if (fr != FLOWSPEC_RX_OK) {
		reason = rx_reason_of(fr);
		why = flowspec_rx_strerror(fr);
	} else if ((reason = rx_import(p, &r, &why)) < 0 &&
	    (reason = rx_validate(p, ui, &why)) < 0) {
		e = rx_find(fam, nlri, len, rt_hashval(fam, nlri, len));
		if (p->rx_count >= p->c.import_max &&
		    (e == NULL || rx_contrib_index(e, p->idx) < 0)) {
			reason = MIT_RX_MAX_RULES;
			why = "import-max reached";
		} else {
			rx_take(p, fam, nlri, len, &r);
			return;
		}
	}
	rx_ignore(p, reason, why, nlri, len);
	rx_withdraw(p, fam, nlri, len);
}

/* Calls fn for each framed flowspec NLRI of a list. */
static void
rx_each(struct peer *p, int fam, const uint8_t *l, size_t len,
    const struct bgp_update_info *ui,
    void (*fn)(struct peer *, int, const uint8_t *, size_t,
    const struct bgp_update_info *))
{
	size_t	off = 0, n;

	while (off < len) {
		if (l[off] >= 0xf0)
			n = off + 1 < len ? 2 + ((size_t)(l[off] & 0x0f) << 8 |
			    l[off + 1]) : 0;
		else
			n = 1 + (size_t)l[off];
		if (n == 0 || off + n > len)
			return;		/* the rest cannot be framed */
		fn(p, fam, l + off, n, ui);
		off += n;
	}
}

static void
rx_withdraw_cb(struct peer *p, int fam, const uint8_t *nlri, size_t len,
    const struct bgp_update_info *ui)
{
	(void)ui;
	rx_withdraw(p, fam, nlri, len);
}

static void
rx_malformed_cb(struct peer *p, int fam, const uint8_t *nlri, size_t len,
    const struct bgp_update_info *ui)
{
	rx_ignore(p, MIT_RX_MALFORMED, ui->treat_as_withdraw, nlri, len);
	rx_withdraw(p, fam, nlri, len);
}

/*
 * One parsed UPDATE of an Established peer. RFC 7606 treat-as-withdraw:
 * every NLRI it announces or withdraws is withdrawn for this peer.
 */
void
recv_update(struct peer *p, const struct bgp_update_info *ui)
{
	int	fr = ui->reach_fam, fu = ui->unreach_fam;

	if (p->c.nimport == 0 || rx.hash == NULL)
		return;
	if (fu >= 0 && (p->fams & BGP_FAM_BIT(fu)))
		rx_each(p, fu, ui->unreach, ui->unreach_len, ui,
		    rx_withdraw_cb);
	if (fr < 0 || !(p->fams & BGP_FAM_BIT(fr)))
		return;
	rx_each(p, fr, ui->reach, ui->reach_len, ui,
	    ui->treat_as_withdraw ? rx_malformed_cb : rx_announce);
}

static void	rx_purge_stale(struct peer *, uint8_t);

/*
 * The session of p went down. graceful (RFC 4724 §4.2): its rules stay,
 * marked stale, until it comes back and sends End-of-RIB or its restart
 * time runs out; otherwise they go now.
 */
void
recv_peer_down(struct peer *p, int graceful)
{
	struct rx_entry	*e, *next;
	uint32_t	 i;
	int		 k;

	if (rx.hash == NULL || p->rx_count == 0) {
		p->rx_stale = 0;
		return;
	}
	graceful = graceful && p->gr_peer && p->c.gr_time > 0 &&
	    p->gr_time_peer > 0 && p->gr_fams != 0;
	for (i = 0; i < RX_HASH_SIZE; i++)
		for (e = rx.hash[i]; e; e = next) {
			next = e->hnext;
			if ((k = rx_contrib_index(e, p->idx)) < 0)
				continue;
			if (graceful)
				e->contrib[k].stale = 1;
			else
				rx_drop_contrib(p, e);
		}
	if (graceful) {
		uint16_t t = p->c.gr_time < p->gr_time_peer ? p->c.gr_time :
		    p->gr_time_peer;

		p->rx_stale = p->gr_fams & (BGP_FAM_BIT(BGP_FAM_FLOW4) |
		    BGP_FAM_BIT(BGP_FAM_FLOW6));
		p->t_gr = bgp_now_ms() + (int64_t)t * 1000;
		log_peer_info(p, "graceful restart: keeping %u rules for "
		    "%u s", p->rx_count, t);
		/* families the peer did not list for GR go now */
		rx_purge_stale(p, ~p->rx_stale & (BGP_FAM_BIT(BGP_FAM_FLOW4) |
		    BGP_FAM_BIT(BGP_FAM_FLOW6)));
	} else
		p->rx_stale = 0;
}

/* Drops p's stale rules of the families in fams. */
static void
rx_purge_stale(struct peer *p, uint8_t fams)
{
	struct rx_entry	*e, *next;
	uint32_t	 i;
	int		 k;

	for (i = 0; i < RX_HASH_SIZE; i++)
		for (e = rx.hash[i]; e; e = next) {
			next = e->hnext;
			if (!(fams & BGP_FAM_BIT(e->fam)) ||
			    (k = rx_contrib_index(e, p->idx)) < 0 ||
			    !e->contrib[k].stale)
				continue;
			rx_drop_contrib(p, e);
		}
	p->rx_stale &= ~fams;
	if (p->rx_stale == 0)
		p->t_gr = 0;
}

/* RFC 4724 §4.2: End-of-RIB of fam ends the restart for that family. */
void
recv_peer_eor(struct peer *p, int fam)
{
	if (rx.hash != NULL && (p->rx_stale & BGP_FAM_BIT(fam)))
		rx_purge_stale(p, BGP_FAM_BIT(fam));
}

/*
 * RFC 4724 §4.2: the restarted peer's OPEN; stale rules of families it no
 * longer lists with the Forwarding State bit go at once.
 */
void
recv_peer_reopen(struct peer *p, uint8_t fwd_fams)
{
	if (rx.hash != NULL && (p->rx_stale & ~fwd_fams))
		rx_purge_stale(p, p->rx_stale & ~fwd_fams);
}

/* Once a second: log budgets, restart times run out. */
void
recv_tick(int64_t now)
{
	struct peer	*p;
	int		 i;

	for (i = 0; i < bgp_sp.npeers; i++) {
		p = bgp_sp.peers[i];
		p->rx_log_budget = RX_LOG_PER_SEC;
		if (p->rx_stale && p->t_gr && now >= p->t_gr) {
			log_peer_info(p, "graceful restart time over: "
			    "dropping stale rules");
			rx_purge_stale(p, p->rx_stale);
		}
	}
}

/* ------------------------------------------------------------------ */
/* The engine's side (its thread; takes the mutex)                    */
/* ------------------------------------------------------------------ */

int
recv_fd(void)
{
	return rx.wake[0];
}

int
recv_drain(struct mit_recv *out, int max)
{
	struct rx_entry	*e;
	uint8_t		 drain[64];
	int		 n = 0;

	pthread_mutex_lock(&bgp_sp.mtx);
	if (rx.wake[0] >= 0)
		while (read(rx.wake[0], drain, sizeof(drain)) > 0)
			;
	while (rx.qpos < rx.qn && n < max) {
		e = rx.q[rx.qpos++];
		e->queued = 0;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].key = e->key;
		out[n].npeers = e->ncontrib;
		if (e->ncontrib > 0) {
			out[n].op = MIT_RECV_APPLY;
			out[n].rule = e->rule;
			snprintf(out[n].from, sizeof(out[n].from), "%s",
			    bgp_sp.peers[e->contrib[0].peer]->c.name);
		} else {
			out[n].op = MIT_RECV_WITHDRAW;
			rx_unlink(e);
		}
		n++;
	}
	if (rx.qpos == rx.qn)
		rx.qpos = rx.qn = 0;
	else if (rx.wake[1] >= 0)
		(void)write(rx.wake[1], drain, 1);	/* more to come */
	pthread_mutex_unlock(&bgp_sp.mtx);
	return n;
}

void
recv_ignored(uint64_t *counts)
{
	int	i;

	pthread_mutex_lock(&bgp_sp.mtx);
	for (i = 0; i < MIT_RX_REASON_MAX; i++)
		counts[i] += rx.ignored[i];
	pthread_mutex_unlock(&bgp_sp.mtx);
}
