/*
 * bgp.h: the speaker's internal types, shared by speaker.c and the files
 * beside it (config, RIB, thread, backend API; their own shared part is in
 * speaker_int.h) and fsm.c (sessions: RFC 4271 §8 FSM and I/O).
 * Everything here is guarded by bgp_sp.mtx.
 */
#ifndef BGP_BGP_H
#define BGP_BGP_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bgp/msg.h"
#include "mitigate/mitigate.h"

#define BGP_MAX_PEERS		32	/* bits of rt_entry.sent/queued */
#define BGP_MAX_LISTEN		4
#define BGP_MAX_EXTRA_COMMS	8
#define BGP_OBUF_HIGH		(256 * 1024)	/* stop filling a slow peer */

/* Bits of peer_conf.actions: which flowspec actions a peer takes. */
enum {
	BGP_ACT_DROP = 1 << 0,
	BGP_ACT_RATE_BPS = 1 << 1,
	BGP_ACT_RATE_PPS = 1 << 2,
	BGP_ACT_ACCEPT = 1 << 3,	/* import only: RFC 8955 §7 default */
};

#define BGP_MAX_IMPORT		16	/* import prefixes per neighbor */

enum peer_state {
	ST_IDLE = 0,
	ST_CONNECT,
	ST_ACTIVE,
	ST_OPENSENT,
	ST_OPENCONFIRM,
	ST_ESTABLISHED,
};

enum peer_event {
	EV_START = 0,
	EV_STOP,
	EV_RETRY_TIMER,
	EV_HOLD_TIMER,
	EV_KEEPALIVE_TIMER,
	EV_CONN_OPEN,		/* outgoing connect completed or accepted */
	EV_CONN_FAIL,		/* connect failed, socket closed or error */
	EV_RCVD_OPEN,
	EV_RCVD_KEEPALIVE,
	EV_RCVD_UPDATE,
	EV_RCVD_NOTIFICATION,
	EV_RCVD_RREFRESH,
};

struct peer_conf {
	char			name[64];	/* address as configured */
	struct sockaddr_storage	addr;		/* port set */
	socklen_t		addrlen;
	struct sockaddr_storage	local;		/* local-address, family 0 = any */
	uint32_t		remote_as;
	uint16_t		hold;		/* 0 = global hold-time */
	uint8_t			passive;
	uint8_t			fams;		/* BGP_FAM_BIT of wanted families */
	uint8_t			actions;	/* BGP_ACT_* */
	uint8_t			sample;		/* traffic-action S bit */
	int16_t			mark;		/* traffic-marking DSCP, -1 none */
	uint32_t		redirect_as;	/* 0: drop, else redirect */
	uint32_t		redirect_val;
	uint32_t		max_announce;	/* 0 = no ceiling */
	char			md5[81];	/* RFC 2385 key, TCP_MD5SIG_MAXKEYLEN */
	uint8_t			has_nh4, has_nh6;
	struct in_addr		nh4;		/* rtbh-next-hop */
	struct in6_addr		nh6;
	uint8_t			nextra;
	uint32_t		extra_comms[BGP_MAX_EXTRA_COMMS];

	/* receive side (recv.c): nothing is taken without an import space */
	uint8_t			nimport;
	struct mit_prefix	import[BGP_MAX_IMPORT];
	uint32_t		import_max;	/* rules held from this peer */
	uint8_t			import_actions;	/* BGP_ACT_* */
	uint8_t			import_min_len4, import_min_len6;
	uint8_t			no_validate;	/* RFC 8955 §6 checks off */
	uint16_t		gr_time;	/* RFC 4724 restart time, 0 off */
};

struct rt_entry;

struct peer {
	struct peer_conf	c;
	int			idx;		/* bit in rt_entry masks */
	enum peer_state		state;
	int			fd;
	uint8_t			ebgp;
	uint8_t			io_error;	/* write failed: close soon */

	uint8_t			*ibuf;		/* BGP_MAX_MSG * 2 */
	size_t			ilen;
	uint8_t			*obuf;
	size_t			olen, ooff, ocap;

	int64_t			t_retry;	/* ms, 0 = not running */
	int64_t			t_hold;
	int64_t			t_keepalive;
	uint32_t		failures;	/* connects since Established */

	/* negotiated in OPEN */
	uint16_t		hold;
	uint8_t			fams;
	uint8_t			as4;
	uint8_t			rrefresh;
	uint32_t		remote_id;
	struct sockaddr_storage	local_addr;	/* getsockname() */

	/* Adj-RIB-Out work: entries to (re)consider for this peer */
	struct rt_entry		**dirty;
	size_t			ndirty, dpos, dcap;
	uint8_t			eor_pending;	/* families still owed End-of-RIB */
	uint32_t		nwant;		/* wanted routes it accepts */
	uint32_t		nsent;		/* routes it holds from us */

	/* receive side */
	uint32_t		rx_count;	/* received rules held */
	uint32_t		rx_log_budget;	/* info logs left this second */
	uint8_t			gr_peer;	/* peer sent the GR capability */
	uint8_t			gr_fams;	/* families it listed */
	uint16_t		gr_time_peer;	/* its Restart Time */
	uint8_t			down_graceful;	/* this close keeps rules */
	uint8_t			notif_in;	/* closing on its NOTIFICATION */
	uint8_t			rx_stale;	/* families with stale rules */
	int64_t			t_gr;		/* ms: stale rules expire */
	uint64_t		rx_accepted, rx_ignored;

	/* counters */
	uint64_t		updates_in, nlri_in, withdrawn_in;
	uint64_t		treat_as_withdraw, updates_out;
	uint64_t		established, refreshes_in;
};

struct bgp_listener {
	int			fd;
	struct sockaddr_storage	addr;
	socklen_t		addrlen;
};

struct bgp_speaker {
	pthread_mutex_t		mtx;
	pthread_t		thread;
	int			running;
	int			stopping;
	int			wake[2];	/* pipe: engine -> speaker */

	uint32_t		router_id;	/* network order */
	uint32_t		local_as;
	uint16_t		hold;
	uint32_t		connect_retry;	/* slow backoff start, s */
	uint32_t		local_pref;
	uint8_t			min_len4, min_len6;
	uint8_t			rtbh_min_len4, rtbh_min_len6;
	uint16_t		nlri_max;	/* FLOWSPEC_MAX_LEN by default */

	int			damping;
	uint32_t		half_life;	/* seconds */
	uint32_t		suppress, reuse;
	uint32_t		max_hold;	/* seconds a withdraw may wait */

	int			nlisten;
	struct bgp_listener	listen[BGP_MAX_LISTEN];

	int			npeers;
	struct peer		*peers[BGP_MAX_PEERS];
};

extern struct bgp_speaker bgp_sp;

int64_t	bgp_now_ms(void);

/* fsm.c */
void	fsm_event(struct peer *, enum peer_event);
/*
 * Milliseconds before reconnect attempt number failures + 1 (before the
 * jitter): fast at first, then from connect_retry seconds doubling to
 * BGP_BACKOFF_MAX_MS.
 */
uint32_t fsm_retry_delay_ms(uint32_t failures, uint32_t connect_retry);
void	fsm_handle_io(struct peer *, short revents);
void	fsm_accept(struct bgp_listener *);
void	fsm_timers(struct peer *, int64_t now);
int	fsm_send(struct peer *, const uint8_t *, size_t);
void	fsm_flush(struct peer *);
void	fsm_close(struct peer *, uint8_t code, uint8_t subcode);
const char *fsm_state_name(enum peer_state);
void	log_peer_warnx(const struct peer *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_peer_info(const struct peer *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_peer_debug(const struct peer *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* rib.c: the RIB side of session events */
void	rib_peer_up(struct peer *);
void	rib_peer_down(struct peer *);
void	rib_peer_refresh(struct peer *, int fam);
void	rib_peer_output(struct peer *);

/* recv.c: received flowspec (called on the speaker thread) */
int	recv_init(void);
void	recv_fini(void);
void	recv_update(struct peer *, const struct bgp_update_info *);
void	recv_peer_down(struct peer *, int graceful);
void	recv_peer_eor(struct peer *, int fam);
void	recv_peer_reopen(struct peer *, uint8_t fwd_fams);
void	recv_tick(int64_t now);
int	recv_fd(void);
int	recv_drain(struct mit_recv *out, int max);
void	recv_ignored(uint64_t *counts);

/* For tests/bgp/bgp-driver.c and dotsd's status output. */
int	bgp_speaker_peers_up(void);
int	bgp_speaker_peer_info(int i, char *buf, size_t len);

#endif
