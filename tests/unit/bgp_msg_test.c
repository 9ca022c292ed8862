/*
 * bgp_msg_test.c: BGP messages byte-exact (OPEN, UPDATEs of every family,
 * End-of-RIB, NOTIFICATION, ROUTE-REFRESH) and the parsers' reasons for
 * what peers may send, including every truncation of valid messages.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>

#include "bgp/flowspec.h"
#include "bgp/msg.h"
#include "tests/t.h"

#define MARKER	"ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff "

static size_t
hex2bin(const char *hex, uint8_t *out, size_t max)
{
	size_t	n = 0;

	while (*hex && n < max) {
		if (isspace((unsigned char)*hex)) {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2hhx", &out[n]) != 1)
			break;
		n++;
		hex += 2;
	}
	return n;
}

static void
expect_bytes(const uint8_t *got, int n, const char *hex)
{
	uint8_t	want[BGP_MAX_MSG];
	size_t	wn = hex2bin(hex, want, sizeof(want));
	int	i;

	if ((size_t)n != wn || memcmp(got, want, wn) != 0) {
		printf("  got: ");
		for (i = 0; i < n; i++)
			printf("%02x ", got[i]);
		printf("\n");
	}
	T_EQ(n, wn);
	T_MEMEQ(got, want, wn);
}

static uint8_t	msg[BGP_MAX_MSG];
static struct bgp_update u;

static void
t_open(void)
{
	struct bgp_open	o = {
		.as = 65000, .hold = 90, .fams = BGP_FAM_ALL, .as4 = 1,
		.rrefresh = 1,
	}, p;
	struct bgp_err	e;
	int		n;

	inet_pton(AF_INET, "198.18.0.1", &o.id);
	n = bgp_open_build(msg, sizeof(msg), &o);
	expect_bytes(msg, n, MARKER "00 3f 01 04 fd e8 00 5a c6 12 00 01 22 "
	    "02 20 01 04 00 01 00 01 01 04 00 02 00 01 01 04 00 01 00 85 "
	    "01 04 00 02 00 85 02 00 41 04 00 00 fd e8");
	T_EQ(bgp_open_parse(msg, n, &p, &e), 0);
	T_EQ(p.as, 65000);
	T_EQ(p.hold, 90);
	T_EQ(p.id, o.id);
	T_EQ(p.fams, BGP_FAM_ALL);
	T_ASSERT(p.as4 && p.rrefresh && p.has_mp);

	/* 4-octet AS: AS_TRANS in My AS, the real one in the capability */
	o.as = 4200000000u;
	o.fams = BGP_FAM_BIT(BGP_FAM_FLOW4);
	n = bgp_open_build(msg, sizeof(msg), &o);
	T_EQ(msg[20], 0x5b);
	T_EQ(msg[21], 0xa0);
	T_EQ(bgp_open_parse(msg, n, &p, &e), 0);
	T_EQ(p.as, 4200000000u);
}

static void
t_open_errors(void)
{
	struct bgp_open	o = { .as = 65000, .hold = 90, .fams = 1, .as4 = 1 };
	struct bgp_open	p;
	struct bgp_err	e;
	int		n;

	o.id = htonl(1);
	n = bgp_open_build(msg, sizeof(msg), &o);
	msg[19] = 3;
	T_EQ(bgp_open_parse(msg, n, &p, &e), -1);
	T_EQ(e.code, BGP_ERR_OPEN);
	T_EQ(e.subcode, BGP_ERR_OPEN_VERSION);
	msg[19] = 4;
	msg[23] = 2;	/* hold 2 */
	T_EQ(bgp_open_parse(msg, n, &p, &e), -1);
	T_EQ(e.subcode, BGP_ERR_OPEN_HOLD);
	msg[23] = 0;	/* hold 0 is fine */
	T_EQ(bgp_open_parse(msg, n, &p, &e), 0);
	memset(msg + 24, 0, 4);
	T_EQ(bgp_open_parse(msg, n, &p, &e), -1);
	T_EQ(e.subcode, BGP_ERR_OPEN_ID);
	n = bgp_open_build(msg, sizeof(msg), &o);
	msg[29] = 1;	/* deprecated authentication parameter */
	T_EQ(bgp_open_parse(msg, n, &p, &e), -1);
	T_EQ(e.subcode, BGP_ERR_OPEN_OPT);
	n = bgp_open_build(msg, sizeof(msg), &o);
	msg[28]++;	/* optional parameters overrun */
	T_EQ(bgp_open_parse(msg, n, &p, &e), -1);
}

static void
t_small_messages(void)
{
	int	n;

	n = bgp_keepalive_build(msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 13 04");
	n = bgp_notification_build(msg, sizeof(msg), BGP_ERR_CEASE,
	    BGP_CEASE_SHUTDOWN, NULL, 0);
	expect_bytes(msg, n, MARKER "00 15 03 06 02");
	n = bgp_rrefresh_build(msg, sizeof(msg), BGP_FAM_FLOW6);
	expect_bytes(msg, n, MARKER "00 17 05 00 02 00 85");
	n = bgp_eor_build(msg, sizeof(msg), BGP_FAM_UNI4);
	expect_bytes(msg, n, MARKER "00 17 02 00 00 00 00");
	n = bgp_eor_build(msg, sizeof(msg), BGP_FAM_FLOW4);
	expect_bytes(msg, n, MARKER "00 1d 02 00 00 00 06 80 0f 03 00 01 85");
}

/* eBGP flowspec drop: RFC 8955 ex.1 with traffic-rate 0. */
static void
t_update_flow4_ebgp(void)
{
	struct bgp_attrs	a = { .ebgp = 1, .as4 = 1, .local_as = 65000 };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			nlri[12];
	int			n;

	flowspec_ec_rate_bytes(a.ecs[a.necs++], 65000, 0);
	hex2bin("0b 01 18 c0 00 02 03 81 06 04 81 19", nlri, sizeof(nlri));
	T_EQ(bgp_update_init(&u, BGP_FAM_FLOW4, 0, &a), 0);
	T_EQ(bgp_update_add(&u, nlri, 12), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 44 02 00 00 00 2d "
	    "40 01 01 00 "				/* ORIGIN IGP */
	    "40 02 06 02 01 00 00 fd e8 "		/* AS_PATH 65000 */
	    "90 0e 00 11 00 01 85 00 00 "		/* MP_REACH, nh 0 */
	    "0b 01 18 c0 00 02 03 81 06 04 81 19 "
	    "c0 10 08 80 06 fd e8 00 00 00 00");	/* traffic-rate 0 */
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.announced, 1);
	T_ASSERT(ui.treat_as_withdraw == NULL);
}

/* iBGP RTBH: NEXT_HOP, LOCAL_PREF, BLACKHOLE NO_EXPORT and a peer's own. */
static void
t_update_rtbh4_ibgp(void)
{
	struct bgp_attrs	a = { .local_as = 65000, .local_pref = 100,
	    .nh_len = 4, .ncomms = 3,
	    .comms = { BGP_COMM_BLACKHOLE, BGP_COMM_NO_EXPORT, 0xfde9029a } };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	const uint8_t		nlri[] = { 32, 198, 18, 7, 7 };
	int			n;

	inet_pton(AF_INET, "198.18.255.1", a.nh);
	T_EQ(bgp_update_init(&u, BGP_FAM_UNI4, 0, &a), 0);
	T_EQ(bgp_update_add(&u, nlri, sizeof(nlri)), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 40 02 00 00 00 24 "
	    "40 01 01 00 40 02 00 "
	    "40 03 04 c6 12 ff 01 "			/* NEXT_HOP */
	    "40 05 04 00 00 00 64 "			/* LOCAL_PREF 100 */
	    "c0 08 0c ff ff 02 9a ff ff ff 01 fd e9 02 9a "
	    "20 c6 12 07 07");
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.announced, 1);
	T_ASSERT(ui.treat_as_withdraw == NULL);
}

static void
t_update_rtbh6(void)
{
	struct bgp_attrs	a = { .ebgp = 1, .as4 = 1, .local_as = 65000,
	    .nh_len = 16, .ncomms = 2,
	    .comms = { BGP_COMM_BLACKHOLE, BGP_COMM_NO_EXPORT } };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			nlri[17] = { 128 };
	int			n;

	inet_pton(AF_INET6, "2001:db8::ff", a.nh);
	inet_pton(AF_INET6, "2001:db8:7::7", nlri + 1);
	T_EQ(bgp_update_init(&u, BGP_FAM_UNI6, 0, &a), 0);
	T_EQ(bgp_update_add(&u, nlri, 17), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 59 02 00 00 00 42 "
	    "40 01 01 00 40 02 06 02 01 00 00 fd e8 "
	    "c0 08 08 ff ff 02 9a ff ff ff 01 "
	    "90 0e 00 26 00 02 01 10 "
	    "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 ff 00 "
	    "80 20 01 0d b8 00 07 00 00 00 00 00 00 00 00 00 07");
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.announced, 1);
}

static void
t_update_withdraws(void)
{
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			nlri[16];
	int			n;

	hex2bin("09 01 30 00 20 01 0d b8 00 01", nlri, sizeof(nlri));
	T_EQ(bgp_update_init(&u, BGP_FAM_FLOW6, 1, NULL), 0);
	T_EQ(bgp_update_add(&u, nlri, 10), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 28 02 00 00 00 11 "
	    "90 0f 00 0d 00 02 85 09 01 30 00 20 01 0d b8 00 01");
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.withdrawn, 1);
	T_EQ(ui.eor_fam, -1);

	T_EQ(bgp_update_init(&u, BGP_FAM_UNI4, 1, NULL), 0);
	T_EQ(bgp_update_add(&u, (const uint8_t *)"\x20\xc6\x12\x07\x07", 5),
	    0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 1c 02 00 05 20 c6 12 07 07 00 00");
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.withdrawn, 1);
}

/* 4-octet AS to a 2-octet peer: AS_TRANS plus AS4_PATH (RFC 6793 §4.2.2). */
static void
t_update_as_trans(void)
{
	struct bgp_attrs	a = { .ebgp = 1, .as4 = 0,
	    .local_as = 4200000000u };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	int			n;

	flowspec_ec_rate_bytes(a.ecs[a.necs++], 0, 0);
	T_EQ(bgp_update_init(&u, BGP_FAM_FLOW4, 0, &a), 0);
	T_EQ(bgp_update_add(&u, (const uint8_t *)"\x05\x01\x18\xc0\x00\x02",
	    6), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	expect_bytes(msg, n, MARKER "00 45 02 00 00 00 2e "
	    "40 01 01 00 40 02 04 02 01 5b a0 "
	    "90 0e 00 0b 00 01 85 00 00 05 01 18 c0 00 02 "
	    "c0 10 08 80 06 00 00 00 00 00 00 "
	    "c0 11 06 02 01 fa 56 ea 00");
	T_EQ(bgp_update_parse(msg, n, 0, &ui, &e), 0);
	T_ASSERT(ui.treat_as_withdraw == NULL);
}

/* Packing stops at 4096 bytes and every message parses back. */
static void
t_update_packing(void)
{
	struct bgp_attrs	a = { .ebgp = 1, .as4 = 1, .local_as = 65000 };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			nlri[12];
	uint32_t		added = 0;
	int			n;

	flowspec_ec_rate_bytes(a.ecs[a.necs++], 65000, 0);
	hex2bin("0b 01 18 c0 00 02 03 81 06 04 81 19", nlri, sizeof(nlri));
	T_EQ(bgp_update_init(&u, BGP_FAM_FLOW4, 0, &a), 0);
	while (bgp_update_add(&u, nlri, 12) == 0)
		added++;
	T_EQ(added, (4096 - 23 - 13 - 11 - 9) / 12);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	T_ASSERT(n <= BGP_MAX_MSG && n > BGP_MAX_MSG - 12);
	T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
	T_EQ(ui.announced, added);
	bgp_update_reset(&u);
	T_EQ(bgp_update_add(&u, nlri, 12), 0);
	n = bgp_update_finish(&u, msg, sizeof(msg));
	T_EQ(n, 68);
}

static void
t_eor_parse(void)
{
	struct bgp_update_info	ui;
	struct bgp_err		e;
	int			f, n;

	for (f = 0; f < BGP_FAM_MAX; f++) {
		n = bgp_eor_build(msg, sizeof(msg), f);
		T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
		T_EQ(ui.eor_fam, f);
	}
}

static void
t_header_errors(void)
{
	static const struct {
		const char	*hex;
		uint8_t		subcode;
	} v[] = {
		{ "fe ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff 00 13 04",
		    BGP_ERR_HDR_SYNC },
		{ MARKER "00 12 04", BGP_ERR_HDR_LEN },
		{ MARKER "00 14 04 00", BGP_ERR_HDR_LEN },
		{ MARKER "10 01 02", BGP_ERR_HDR_LEN },
		{ MARKER "00 1c 01", BGP_ERR_HDR_LEN },	/* short OPEN */
		{ MARKER "00 13 06", BGP_ERR_HDR_TYPE },
		{ MARKER "00 13 00", BGP_ERR_HDR_TYPE },
		{ MARKER "00 18 05 00 01 00 85 00", BGP_ERR_HDR_LEN },
	};
	struct bgp_err	e;
	uint16_t	len;
	uint8_t		type;
	size_t		i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = hex2bin(v[i].hex, msg, sizeof(msg));
		T_EQ(bgp_hdr_parse(msg, n, &len, &type, &e), -1);
		T_EQ(e.code, BGP_ERR_HEADER);
		if (e.subcode != v[i].subcode)
			T_FAIL("vector %zu: subcode %u", i, e.subcode);
	}
	n = hex2bin(MARKER "00 13 04", msg, sizeof(msg));
	T_EQ(bgp_hdr_parse(msg, n, &len, &type, &e), 0);
	T_EQ(len, 19);
	T_EQ(type, BGP_KEEPALIVE);
}

/* UPDATEs a peer might send: {hex, notify code/subcode or 0, treat}. */
static void
t_update_errors(void)
{
	static const struct {
		const char	*what;
		const char	*hex;
		uint8_t		code, subcode;
		int		treat;
	} v[] = {
		{ "withdrawn overrun", MARKER "00 17 02 00 05 00 00", 3, 1, 0 },
		{ "attr overrun", MARKER "00 1a 02 00 00 00 10 40 01 01", 3, 1,
		    0 },
		{ "attr value overrun", MARKER "00 1a 02 00 00 00 03 40 01 05",
		    3, 1, 0 },
		{ "duplicate ORIGIN", MARKER "00 1f 02 00 00 00 08 40 01 01 00 "
		    "40 01 01 00", 3, 1, 0 },
		{ "unknown well-known", MARKER "00 1b 02 00 00 00 04 40 63 01 "
		    "00", 3, 2, 0 },
		{ "bad NLRI", MARKER "00 1c 02 00 00 00 00 21 c6 12 07 07 07",
		    3, 10, 0 },
		{ "bad ORIGIN value", MARKER "00 29 02 00 00 00 0e 40 01 01 07 "
		    "40 02 00 40 03 04 c6 12 ff 01 18 c6 12 07", 0, 0, 1 },
		{ "missing NEXT_HOP", MARKER "00 22 02 00 00 00 07 40 01 01 00 "
		    "40 02 00 18 c6 12 07", 0, 0, 1 },
		{ "AS_PATH count 0", MARKER "00 2b 02 00 00 00 10 40 01 01 00 "
		    "40 02 02 02 00 40 03 04 c6 12 ff 01 18 c6 12 07", 0, 0, 1 },
		{ "flowspec AND first", MARKER "00 2e 02 00 00 00 17 40 01 01 00 "
		    "40 02 00 90 0e 00 0c 00 01 85 00 00 06 01 08 0a 03 c1 06",
		    0, 0, 1 },
		{ "MP_REACH nh overrun", MARKER "00 1f 02 00 00 00 08 90 0e 00 "
		    "04 00 01 01 09", 3, 9, 0 },
		{ "unknown optional ok", MARKER "00 2c 02 00 00 00 11 40 01 01 "
		    "00 40 02 00 40 03 04 c6 12 ff 01 c0 63 00 18 c6 12 07",
		    0, 0, 0 },
	};
	struct bgp_update_info	ui;
	struct bgp_err		e;
	size_t			i, n;
	int			r;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = hex2bin(v[i].hex, msg, sizeof(msg));
		r = bgp_update_parse(msg, n, 1, &ui, &e);
		if (v[i].code) {
			if (r != -1 || e.code != v[i].code ||
			    e.subcode != v[i].subcode)
				T_FAIL("%s: r %d code %u/%u", v[i].what, r,
				    e.code, e.subcode);
		} else {
			if (r != 0)
				T_FAIL("%s: %s", v[i].what, e.reason);
			if ((ui.treat_as_withdraw != NULL) != v[i].treat)
				T_FAIL("%s: treat-as-withdraw %s", v[i].what,
				    ui.treat_as_withdraw ?
				    ui.treat_as_withdraw : "(none)");
		}
	}
}

/* No truncation of a valid UPDATE reads past its end. */
static void
t_update_truncations(void)
{
	struct bgp_attrs	a = { .ebgp = 1, .as4 = 1, .local_as = 65000,
	    .nh_len = 4, .ncomms = 2,
	    .comms = { BGP_COMM_BLACKHOLE, BGP_COMM_NO_EXPORT } };
	struct bgp_update_info	ui;
	struct bgp_err		e;
	uint8_t			*copy;
	int			f, n, k;

	flowspec_ec_rate_bytes(a.ecs[a.necs++], 65000, 0);
	for (f = 0; f < BGP_FAM_MAX; f++) {
		const char	*nl = f >= BGP_FAM_FLOW4 ?
		    "\x05\x01\x18\xc0\x00\x02" : "\x18\xc0\x00\x02";

		a.nh_len = f == BGP_FAM_UNI6 ? 16 : f == BGP_FAM_UNI4 ? 4 : 0;
		T_EQ(bgp_update_init(&u, f, 0, &a), 0);
		T_EQ(bgp_update_add(&u, (const uint8_t *)nl,
		    f >= BGP_FAM_FLOW4 ? 6 : 4), 0);
		n = bgp_update_finish(&u, msg, sizeof(msg));
		T_EQ(bgp_update_parse(msg, n, 1, &ui, &e), 0);
		for (k = 0; k < n; k++) {
			copy = malloc(k ? k : 1);
			memcpy(copy, msg, k);
			(void)bgp_update_parse(copy, k, 1, &ui, &e);
			free(copy);
		}
	}
}

static void
t_rrefresh_parse(void)
{
	struct bgp_err	e;
	int		n;

	n = bgp_rrefresh_build(msg, sizeof(msg), BGP_FAM_FLOW4);
	T_EQ(bgp_rrefresh_parse(msg, n, &e), BGP_FAM_FLOW4);
	msg[22] = 128;	/* VPN: not ours */
	e.reason = NULL;
	T_EQ(bgp_rrefresh_parse(msg, n, &e), -1);
	T_ASSERT(e.reason == NULL);
}

int
main(void)
{
	T_RUN(t_open);
	T_RUN(t_open_errors);
	T_RUN(t_small_messages);
	T_RUN(t_update_flow4_ebgp);
	T_RUN(t_update_rtbh4_ibgp);
	T_RUN(t_update_rtbh6);
	T_RUN(t_update_withdraws);
	T_RUN(t_update_as_trans);
	T_RUN(t_update_packing);
	T_RUN(t_eor_parse);
	T_RUN(t_header_errors);
	T_RUN(t_update_errors);
	T_RUN(t_update_truncations);
	T_RUN(t_rrefresh_parse);
	return t_done();
}
