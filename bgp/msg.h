/*
 * msg.h: BGP-4 messages (RFC 4271 §4) built and parsed without I/O or
 * logs: OPEN with capabilities (RFC 5492, 4760, 6793, 2918), UPDATE for
 * IPv4/IPv6 unicast and flowspec, KEEPALIVE, NOTIFICATION, ROUTE-REFRESH.
 */
#ifndef BGP_MSG_H
#define BGP_MSG_H

#include <stddef.h>
#include <stdint.h>

#define BGP_HDR_LEN		19
#define BGP_MAX_MSG		4096
#define BGP_VERSION		4
#define BGP_AS_TRANS		23456

enum bgp_msg_type {
	BGP_OPEN = 1,
	BGP_UPDATE,
	BGP_NOTIFICATION,
	BGP_KEEPALIVE,
	BGP_RREFRESH,
};

/* The address families we speak, as bits in masks. */
enum bgp_fam {
	BGP_FAM_UNI4 = 0,	/* AFI 1 SAFI 1: RTBH */
	BGP_FAM_UNI6,		/* AFI 2 SAFI 1: RTBH */
	BGP_FAM_FLOW4,		/* AFI 1 SAFI 133 */
	BGP_FAM_FLOW6,		/* AFI 2 SAFI 133 */
	BGP_FAM_MAX
};
#define BGP_FAM_BIT(f)		(1u << (f))
#define BGP_FAM_ALL		((1u << BGP_FAM_MAX) - 1)

/* NOTIFICATION codes and the subcodes we send (RFC 4271 §4.5, 6.x). */
enum bgp_err_code {
	BGP_ERR_HEADER = 1,
	BGP_ERR_OPEN,
	BGP_ERR_UPDATE,
	BGP_ERR_HOLD,
	BGP_ERR_FSM,
	BGP_ERR_CEASE,
};
enum {
	BGP_ERR_HDR_SYNC = 1, BGP_ERR_HDR_LEN, BGP_ERR_HDR_TYPE,
};
enum {
	BGP_ERR_OPEN_VERSION = 1, BGP_ERR_OPEN_AS, BGP_ERR_OPEN_ID,
	BGP_ERR_OPEN_OPT, BGP_ERR_OPEN_HOLD = 6, BGP_ERR_OPEN_CAPA,
};
enum {
	BGP_ERR_UPD_ATTRLIST = 1, BGP_ERR_UPD_UNKNWN_WK, BGP_ERR_UPD_MISSING,
	BGP_ERR_UPD_FLAGS, BGP_ERR_UPD_LENGTH, BGP_ERR_UPD_ORIGIN,
	BGP_ERR_UPD_NEXTHOP = 8, BGP_ERR_UPD_OPTATTR, BGP_ERR_UPD_NETWORK,
	BGP_ERR_UPD_ASPATH,
};
enum {
	BGP_CEASE_MAXPFX = 1, BGP_CEASE_SHUTDOWN, BGP_CEASE_UNCONFIGURED,
	BGP_CEASE_RESET, BGP_CEASE_REJECTED, BGP_CEASE_CONFIG,
	BGP_CEASE_COLLISION, BGP_CEASE_RESOURCES,
};

/* Path attribute type codes. */
enum {
	BGP_ATTR_ORIGIN = 1, BGP_ATTR_AS_PATH, BGP_ATTR_NEXT_HOP, BGP_ATTR_MED,
	BGP_ATTR_LOCAL_PREF, BGP_ATTR_ATOMIC_AGG, BGP_ATTR_AGGREGATOR,
	BGP_ATTR_COMMUNITIES, BGP_ATTR_ORIGINATOR_ID, BGP_ATTR_CLUSTER_LIST,
	BGP_ATTR_MP_REACH = 14, BGP_ATTR_MP_UNREACH,
	BGP_ATTR_EXT_COMMUNITIES, BGP_ATTR_AS4_PATH, BGP_ATTR_AS4_AGGREGATOR,
	BGP_ATTR_LARGE_COMMUNITIES = 32,
};
#define BGP_ATTR_F_OPTIONAL	0x80
#define BGP_ATTR_F_TRANSITIVE	0x40
#define BGP_ATTR_F_PARTIAL	0x20
#define BGP_ATTR_F_EXTLEN	0x10

#define BGP_COMM_NO_EXPORT	0xffffff01u
#define BGP_COMM_BLACKHOLE	0xffff029au	/* RFC 7999: 65535:666 */

/* A parse failure: the NOTIFICATION to send and a reason for the log. */
struct bgp_err {
	uint8_t		code;
	uint8_t		subcode;
	const char	*reason;
};

struct bgp_open {
	uint32_t	as;		/* 4-octet AS when as4, else My AS */
	uint16_t	hold;
	uint32_t	id;		/* network order */
	uint8_t		fams;		/* MP capabilities, BGP_FAM_BIT */
	uint8_t		has_mp;		/* any MP capability seen */
	uint8_t		as4;		/* RFC 6793 capability */
	uint8_t		rrefresh;	/* RFC 2918 capability */
	uint8_t		gr;		/* RFC 4724 capability */
	uint16_t	gr_time;	/* its Restart Time, seconds */
	uint8_t		gr_fams;	/* families listed (BGP_FAM_BIT) */
	uint8_t		gr_fwd;		/* of those, F bit (state kept) */
};

/* What to attach to announced routes of one family for one peer. */
#define BGP_MAX_COMMS	16
#define BGP_MAX_ECS	8
struct bgp_attrs {
	uint8_t		ebgp;
	uint8_t		as4;		/* peer speaks 4-octet AS_PATH */
	uint32_t	local_as;
	uint32_t	local_pref;	/* iBGP only */
	uint8_t		nh_len;		/* 4 (IPv4 unicast), 16, or 0 */
	uint8_t		nh[16];
	uint8_t		ncomms;
	uint32_t	comms[BGP_MAX_COMMS];
	uint8_t		necs;
	uint8_t		ecs[BGP_MAX_ECS][8];
};

/* An UPDATE being filled with NLRIs of one family sharing attributes. */
struct bgp_update {
	uint8_t		fam;
	uint8_t		withdraw;
	uint16_t	attrs_len;
	uint8_t		attrs[1024];	/* everything but MP_(UN)REACH */
	uint8_t		mp_hdr[24];	/* AFI SAFI [nh_len nh reserved] */
	uint8_t		mp_hdr_len;
	uint16_t	mp_pos;		/* offset in attrs where MP goes */
	uint16_t	nlri_len;
	uint16_t	budget;		/* room for NLRIs in one message */
	uint32_t	count;
	uint8_t		nlri[BGP_MAX_MSG];
};

struct bgp_update_info {
	uint32_t	announced;	/* NLRIs, all families */
	uint32_t	withdrawn;
	int8_t		eor_fam;	/* End-of-RIB of this enum bgp_fam, or -1 */
	const char	*treat_as_withdraw;	/* RFC 7606 reason, or NULL */

	/*
	 * For the receive side: where the flowspec NLRIs and the attributes
	 * it needs are, pointing into the message. The NLRI lists are
	 * framed (every length field read) even when treat_as_withdraw is
	 * set; reach_fam / unreach_fam are -1 when absent or not flowspec.
	 */
	int8_t		reach_fam, unreach_fam;
	uint8_t		nlri_broken;	/* framing of a list cut short */
	const uint8_t	*reach, *unreach;
	uint16_t	reach_len, unreach_len;
	const uint8_t	*ecs;		/* EXTENDED_COMMUNITIES value */
	uint16_t	necs;		/* 8-byte communities in it */
	uint8_t		aspath_empty;	/* no AS outside confed segments */
	uint8_t		aspath_set;	/* an AS_SET or AS_CONFED_SET */
	uint32_t	first_as;	/* left-most AS of an AS_SEQUENCE, or 0 */
	uint8_t		has_originator;	/* ORIGINATOR_ID (RFC 4456) */
	uint32_t	originator_id;	/* network order */
};

int	bgp_fam_afi(int fam);
int	bgp_fam_safi(int fam);
int	bgp_fam_from(int afi, int safi);	/* -1 if not ours */
const char *bgp_fam_name(int fam);

/* Builders: each returns the message length written to buf, or -errno. */
int	bgp_open_build(uint8_t *buf, size_t len, const struct bgp_open *o);
int	bgp_keepalive_build(uint8_t *buf, size_t len);
int	bgp_notification_build(uint8_t *buf, size_t len, uint8_t code,
	    uint8_t subcode, const uint8_t *data, size_t dlen);
int	bgp_rrefresh_build(uint8_t *buf, size_t len, int fam);
int	bgp_eor_build(uint8_t *buf, size_t len, int fam);

/*
 * UPDATE of one family: init with the attributes (ignored for a
 * withdraw), add NLRIs until bgp_update_add() returns -ENOSPC, then
 * finish. An NLRI is the wire form: length field and bytes.
 */
int	bgp_update_init(struct bgp_update *u, int fam, int withdraw,
	    const struct bgp_attrs *a);
int	bgp_update_add(struct bgp_update *u, const uint8_t *nlri, size_t len);
int	bgp_update_finish(struct bgp_update *u, uint8_t *buf, size_t len);
void	bgp_update_reset(struct bgp_update *u);	/* keep attrs, drop NLRIs */

/*
 * Parsers of what a peer sent. msg points at a whole message (header
 * included) of len bytes. Return 0, or -1 with e filled in: the
 * NOTIFICATION to send before closing.
 */
int	bgp_hdr_parse(const uint8_t *p, size_t avail, uint16_t *mlen,
	    uint8_t *type, struct bgp_err *e);
int	bgp_open_parse(const uint8_t *msg, size_t len, struct bgp_open *o,
	    struct bgp_err *e);
/* as4: 4-octet AS numbers in AS_PATH (negotiated). */
int	bgp_update_parse(const uint8_t *msg, size_t len, int as4,
	    struct bgp_update_info *ui, struct bgp_err *e);
int	bgp_notification_parse(const uint8_t *msg, size_t len, uint8_t *code,
	    uint8_t *subcode);
/* Returns the enum bgp_fam asked for, or -1 (not ours: ignore it). */
int	bgp_rrefresh_parse(const uint8_t *msg, size_t len, struct bgp_err *e);

const char *bgp_err_name(uint8_t code, uint8_t subcode);

#endif
