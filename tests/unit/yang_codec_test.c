/*
 * yang_codec_test.c: yang/codec.c CBOR <-> wire JSON: every key kind in
 * both directions, each class of malformed input, key-range rules and
 * every truncation of valid messages.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/t.h"
#include "yang/codec.h"

#define NELEM_(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 9132 Figure 7 and its CBOR, Figure 8. */
static const char fig7[] =
    "{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[{"
    "\"target-prefix\":[\"2001:db8:6401::1/128\",\"2001:db8:6401::2/128\"],"
    "\"target-port-range\":[{\"lower-port\":80},{\"lower-port\":443},"
    "{\"lower-port\":8080}],\"target-protocol\":[6],\"lifetime\":3600}]}}";
static const char fig8[] =
    "A101A10281A4068274323030313A6462383A363430313A3A312F3132387432303031"
    "3A6462383A363430313A3A322F3132380783A1081850A1081901BBA108191F900A81"
    "060E190E10";

static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t		n = 0;
	unsigned	b;

	for (; hex[0] && hex[1] && n < cap; hex += 2) {
		if (sscanf(hex, "%2x", &b) != 1)
			T_FAIL("bad hex %s", hex);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static char *
tohex(const uint8_t *b, size_t n)
{
	char	*s = malloc(2 * n + 1);
	size_t	 i;

	T_ASSERT(s != NULL);
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02X", b[i]);
	s[2 * n] = '\0';
	return s;
}

static json_t *
parse(const char *js)
{
	json_error_t	 err;
	json_t		*j = json_loads(js, 0, &err);

	if (j == NULL)
		T_FAIL("bad test JSON: %s", err.text);
	return j;
}

/* Decodes hex; returns the codec's result, *out the tree (or NULL). */
static int
dec_hex(const char *hex, json_t **out, char *diag)
{
	static uint8_t	buf[16384];
	size_t		n = unhex(hex, buf, sizeof(buf));

	diag[0] = '\0';
	return codec_cbor_decode(buf, n, out, diag, CODEC_DIAG_LEN);
}

/* JSON -> CBOR must be exactly hex, and hex -> JSON the same tree. */
static void
both_ways(const char *js, const char *hex)
{
	json_t	*j = parse(js), *back;
	uint8_t	*buf;
	size_t	 len;
	char	 diag[CODEC_DIAG_LEN] = "", *got, *s1, *s2;
	int	 r;

	r = codec_cbor_encode(j, &buf, &len, diag, sizeof(diag));
	if (r != 0)
		T_FAIL("encode %s: %d %s", js, r, diag);
	got = tohex(buf, len);
	T_STREQ(got, hex);
	r = codec_cbor_decode(buf, len, &back, diag, sizeof(diag));
	if (r != 0)
		T_FAIL("decode %s: %d %s", hex, r, diag);
	/* Same members in the same order. */
	s1 = json_dumps(j, JSON_COMPACT);
	s2 = json_dumps(back, JSON_COMPACT);
	T_STREQ(s2, s1);
	free(s1);
	free(s2);
	free(got);
	free(buf);
	json_decref(j);
	json_decref(back);
}

/* Decoding hex must fail with -EBADMSG and a diag containing `want`. */
static void
bad(const char *hex, const char *want)
{
	json_t	*j = NULL;
	char	 diag[CODEC_DIAG_LEN];
	int	 r = dec_hex(hex, &j, diag);

	if (r != -EBADMSG)
		T_FAIL("%s: decode returned %d, expected -EBADMSG", hex, r);
	T_ASSERT(j == NULL);
	if (strstr(diag, want) == NULL)
		T_FAIL("%s: diag \"%s\" lacks \"%s\"", hex, diag, want);
}

/* Encoding js must fail with -EINVAL and a diag containing `want`. */
static void
bad_enc(const char *js, const char *want)
{
	json_t	*j = parse(js);
	uint8_t	*buf = (uint8_t *)"x";
	size_t	 len = 1;
	char	 diag[CODEC_DIAG_LEN] = "";
	int	 r = codec_cbor_encode(j, &buf, &len, diag, sizeof(diag));

	if (r != -EINVAL)
		T_FAIL("%s: encode returned %d, expected -EINVAL", js, r);
	T_ASSERT(buf == NULL && len == 0);
	if (strstr(diag, want) == NULL)
		T_FAIL("%s: diag \"%s\" lacks \"%s\"", js, diag, want);
	json_decref(j);
}

#define MS(x)	"{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":[" \
		x "]}}"
#define MSH	"A101A10281"	/* map{1: map{2: array(1) ...}} */

static void
t_figure8(void)
{
	both_ways(fig7, fig8);
}

static void
t_text_and_uint(void)
{
	/* cdid/cuid (text), mid (uint32 max) */
	both_ways(MS("{\"cdid\":\"ab\",\"cuid\":\"c\",\"mid\":4294967295}"),
	    MSH "A303626162046163051AFFFFFFFF");
	/* alias-name, target-fqdn, target-uri: arrays of text */
	both_ways(MS("{\"alias-name\":[\"a\"],\"target-fqdn\":[\"x.example\"],"
	    "\"target-uri\":[\"u\"]}"),
	    MSH "A30D8161610B8169782E6578616D706C650C816175");
	/* ports: uint16 bounds; protocol: uint8 bounds */
	both_ways(MS("{\"target-port-range\":[{\"lower-port\":0,"
	    "\"upper-port\":65535}],\"target-protocol\":[0,255]}"),
	    MSH "A20781A208000919FFFF0A820018FF");
}

static void
t_lifetime(void)
{
	both_ways(MS("{\"lifetime\":-1}"), MSH "A10E20");
	both_ways(MS("{\"lifetime\":0}"), MSH "A10E00");
	both_ways(MS("{\"lifetime\":4294967295}"), MSH "A10E1AFFFFFFFF");
	bad(MSH "A10E21", "out of range");		/* -2 */
	bad(MSH "A10E1B0000000100000000", "out of range");
	bad(MSH "A10E6131", "key 14 (lifetime)");	/* text */
	bad_enc(MS("{\"lifetime\":-2}"), "lifetime");
	bad_enc(MS("{\"lifetime\":4294967296}"), "lifetime");
	bad_enc(MS("{\"lifetime\":\"3600\"}"), "lifetime");
}

static void
t_uint64_strings(void)
{
	both_ways(MS("{\"mitigation-start\":\"18446744073709551615\","
	    "\"bytes-dropped\":\"0\",\"bps-dropped\":\"23\","
	    "\"pkts-dropped\":\"4294967296\",\"pps-dropped\":\"1\"}"),
	    MSH "A50F1BFFFFFFFFFFFFFFFF181900181A17181B1B0000000100000000"
	    "181C01");
	bad_enc(MS("{\"bytes-dropped\":5}"), "decimal string");
	bad_enc(MS("{\"bytes-dropped\":\"18446744073709551616\"}"),
	    "bytes-dropped");
	bad_enc(MS("{\"bytes-dropped\":\"-1\"}"), "bytes-dropped");
	bad_enc(MS("{\"bytes-dropped\":\"1e3\"}"), "bytes-dropped");
	bad_enc(MS("{\"bytes-dropped\":\"\"}"), "bytes-dropped");
	bad(MSH "A1181920", "key 25 (bytes-dropped)");	/* negative */
}

static void
t_enums(void)
{
	both_ways(MS("{\"status\":\"attack-mitigation-in-progress\"}"),
	    MSH "A11001");
	both_ways(MS("{\"status\":\"attack-mitigation-signal-loss\"}"),
	    MSH "A11008");
	both_ways(MS("{\"attack-status\":\"attack-successfully-mitigated\"}"),
	    MSH "A1181D02");
	both_ways(MS("{\"conflict-information\":{\"conflict-status\":"
	    "\"all-requests-inactive\",\"conflict-cause\":"
	    "\"conflict-with-acceptlist\",\"retry-timer\":60}}"),
	    MSH "A111A3120313021418" "3C");
	both_ways(MS("{\"ietf-dots-signal-control:acl-list\":[{\"acl-name\":"
	    "\"n\",\"activation-type\":\"immediate\"}]}"),
	    MSH "A1183581A217616E183402");
	bad(MSH "A11000", "unknown enumeration value 0");
	bad(MSH "A11009", "unknown enumeration value 9");
	bad(MSH "A1181D03", "unknown enumeration value 3");
	bad_enc(MS("{\"status\":\"no-such-status\"}"), "unknown value");
	bad_enc(MS("{\"status\":2}"), "enumeration name");
}

static void
t_decimal64(void)
{
	static const char *cfg =
	    "{\"ietf-dots-signal-channel:signal-config\":{\"mitigating-config\":"
	    "{\"ack-timeout\":{\"current-value-decimal\":\"%s\"}}}}";
	static const struct {
		const char	*in, *out, *hex;
	} v[] = {
		{ "2.00", "2.00", "C4822118C8" },
		{ "2", "2.00", "C4822118C8" },
		{ "2.5", "2.50", "C4822118FA" },
		{ "0.01", "0.01", "C4822101" },
		{ "-1.50", "-1.50", "C482213895" },
		{ "30.00", "30.00", "C4822119" "0BB8" },
	};
	char	 js[256], js2[256], hex[128], diag[CODEC_DIAG_LEN];
	json_t	*j, *back;
	uint8_t	*buf;
	size_t	 len, i;

	for (i = 0; i < NELEM_(v); i++) {
		snprintf(js, sizeof(js), cfg, v[i].in);
		snprintf(js2, sizeof(js2), cfg, v[i].out);
		snprintf(hex, sizeof(hex), "A1181EA11820A11827A1182B%s",
		    v[i].hex);
		j = parse(js);
		T_EQ(codec_cbor_encode(j, &buf, &len, diag, sizeof(diag)), 0);
		T_STREQ(tohex(buf, len), hex);
		T_EQ(codec_cbor_decode(buf, len, &back, diag, sizeof(diag)),
		    0);
		T_STREQ(json_dumps(back, JSON_COMPACT), js2);
		json_decref(j);
		json_decref(back);
		free(buf);
	}
	/* Exponents -1 and 0 are accepted and scaled: 15e-1, 3e0. */
	T_EQ(dec_hex("A1181EA11820A11827A1182BC482200F", &back, diag), 0);
	T_ASSERT(strstr(json_dumps(back, 0), "\"1.50\"") != NULL);
	T_EQ(dec_hex("A1181EA11820A11827A1182BC4820003", &back, diag), 0);
	T_ASSERT(strstr(json_dumps(back, 0), "\"3.00\"") != NULL);
	bad("A1181EA11820A11827A1182BC4822201", "exponent");	/* -3 */
	bad("A1181EA11820A11827A1182BC48221", "truncated");
	bad("A1181EA11820A11827A1182BC48121", "tag 4 needs");
	bad("A1181EA11820A11827A1182BC5822101", "tag 4");	/* tag 5 */
	bad("A1181EA11820A11827A1182B6131", "decimal fraction");
	bad("A1181EA11820A11827A1182BC48221F5", "mantissa");
	/* 2^63 hundredths does not fit decimal64 */
	bad("A1181EA11820A11827A1182BC482211B8000000000000000", "range");
	bad_enc("{\"ietf-dots-signal-channel:signal-config\":{"
	    "\"mitigating-config\":{\"ack-timeout\":{"
	    "\"current-value-decimal\":\"2.001\"}}}}", "decimal64");
	bad_enc("{\"ietf-dots-signal-channel:signal-config\":{"
	    "\"mitigating-config\":{\"ack-timeout\":{"
	    "\"current-value-decimal\":2}}}}", "decimal64");
	bad_enc("{\"ietf-dots-signal-channel:signal-config\":{"
	    "\"mitigating-config\":{\"ack-timeout\":{"
	    "\"current-value-decimal\":\"2.\"}}}}", "decimal64");
}

static void
t_booleans_and_tops(void)
{
	both_ways("{\"ietf-dots-signal-channel:heartbeat\":"
	    "{\"peer-hb-status\":true}}", "A11831A11833F5");
	both_ways("{\"ietf-dots-signal-channel:heartbeat\":"
	    "{\"peer-hb-status\":false}}", "A11831A11833F4");
	both_ways(MS("{\"trigger-mitigation\":false}"), MSH "A1182DF4");
	both_ways("{\"ietf-dots-signal-channel:redirected-signal\":{"
	    "\"alt-server\":\"a\",\"alt-server-record\":[\"::1\"]}}",
	    "A1182EA2182F61611830816" "33A3A31");
	both_ways("{\"ietf-dots-signal-channel:signal-config\":{\"sid\":7,"
	    "\"idle-config\":{\"probing-rate\":{\"max-value\":1,"
	    "\"min-value\":2}}}}", "A1181EA2181F07182CA11832A2182201182302");
	bad("A11831A11833F6", "boolean");		/* null */
	bad("A11831A1183301", "boolean");
	bad_enc("{\"ietf-dots-signal-channel:heartbeat\":"
	    "{\"peer-hb-status\":1}}", "boolean");
}

/* acl-list: key 22 inside conflict-scope, key 53 in a request scope. */
static void
t_acl_list_context(void)
{
	both_ways(MS("{\"conflict-information\":{\"conflict-cause\":"
	    "\"conflict-with-acceptlist\",\"conflict-scope\":{\"acl-list\":"
	    "[{\"acl-name\":\"x\",\"acl-type\":"
	    "\"ietf-access-control-list:ipv4-acl-type\"}],\"mid\":9}}}"),
	    MSH "A111A2130215A21681A21761781818782669657466"
	    "2D6163636573732D636F6E74726F6C2D6C6973743A697076342D61636C2D74"
	    "797065" "0509");
	/* 22 is not a member of a scope entry, nor 53 of conflict-scope */
	bad(MSH "A11680", "key 22 (acl-list) not allowed in scope");
	bad(MSH "A111A115A1183580",
	    "not allowed in conflict-scope");
	bad_enc(MS("{\"acl-list\":[]}"), "not a member of scope");
	bad_enc(MS("{\"conflict-information\":{\"conflict-scope\":{"
	    "\"ietf-dots-signal-control:acl-list\":[]}}}"),
	    "not a member of conflict-scope");
	/* activation-type only in the RFC 9133 list */
	bad(MSH "A111A115A11681A1183401", "not allowed in acl-list");
}

/* RFC 9244 telemetry: decoded by name, types from Table 3. */
static void
t_telemetry(void)
{
	json_t	*j, *back;
	uint8_t	*buf;
	size_t	 len;
	char	 diag[CODEC_DIAG_LEN], *hex;

	both_ways("{\"ietf-dots-telemetry:telemetry-setup\":{"
	    "\"max-config-values\":{\"measurement-interval\":\"hour\","
	    "\"measurement-sample\":\"5-seconds\",\"low-percentile\":"
	    "\"10.00\",\"server-originated-telemetry\":true,"
	    "\"telemetry-notify-interval\":5},\"supported-query-type\":"
	    "[\"target-prefix\",\"content\"]}}",
	    "A118CBA218B0A518B60418B7021882C482211903E818B3F518B40518C982010B");
	/* nested lists, RFC 9132 target keys inside, keys 32771/32772 */
	j = parse("{\"ietf-dots-telemetry:telemetry\":{"
	    "\"pre-or-ongoing-mitigation\":[{\"tmid\":7,\"target\":{"
	    "\"target-prefix\":[\"2001:db8::/32\"],\"target-port-range\":"
	    "[{\"lower-port\":80}]},\"attack-detail\":[{\"vendor-id\":1,"
	    "\"attack-id\":2,\"attack-severity\":\"high\",\"top-talker\":{"
	    "\"talker\":[{\"source-prefix\":\"192.0.2.1/32\","
	    "\"source-icmp-type-range\":[{\"lower-type\":3,"
	    "\"upper-type\":4}],\"source-port-range\":[{\"lower-port\":1,"
	    "\"upper-port\":2}]}]}}]}]}}");
	T_EQ(codec_cbor_encode(j, &buf, &len, diag, sizeof(diag)), 0);
	hex = tohex(buf, len);
	T_ASSERT(strstr(hex, "A2198003031980040" "4") != NULL);
	T_EQ(codec_cbor_decode(buf, len, &back, diag, sizeof(diag)), 0);
	T_ASSERT(json_equal(j, back));
	free(buf);
	free(hex);
	json_decref(j);
	json_decref(back);
	/* errors inside telemetry fail the body like any known key */
	bad("A118D0A1188619", "truncated");
	bad("A118D0A1188618" "19", "key 134 (unit): unknown enumeration "
	    "value 25");
	bad("A118CBA118C98101" "0C", "trailing");
	bad("A118CBA118C9810C", "key 201 (supported-query-type): unknown "
	    "enumeration value 12");
	bad("A118D0A11980031901" "00", "key 32771 (lower-type): 256 out");
	bad(MSH "A118CDA0", "key 205 (ietf-dots-telemetry:total-attack-"
	    "traffic): map where array");
	/* only 204-207 belong in a scope; other telemetry keys out of
	 * place are optional, hence skipped */
	T_EQ(dec_hex(MSH "A2" "0E01" "188681" "00", &j, diag), 0);
	T_STREQ(json_dumps(j, JSON_COMPACT), MS("{\"lifetime\":1}"));
	json_decref(j);
	bad_enc(MS("{\"total-attack-traffic\":[]}"), "not a member of scope");
	bad_enc("{\"ietf-dots-telemetry:telemetry\":{\"unit\":\"x\"}}",
	    "unknown value");
	bad_enc("{\"ietf-dots-telemetry:telemetry\":{\"mid\":1}}",
	    "not a member of telemetry");
}

static void
t_ranges(void)
{
	bad(MSH "A10781A1081A00010000", "out of range");	/* port 65536 */
	bad(MSH "A10781A1091A00010000", "key 9 (upper-port)");
	bad(MSH "A10A81190100", "key 10 (target-protocol)");	/* 256 */
	bad(MSH "A1051B0000000100000000", "key 5 (mid)");	/* 2^32 */
	bad("A1181EA11820A11821A11824" "1A00010000", "key 36");
	bad("A1181EA1181F1B0000000100000000", "key 31 (sid)");
	bad_enc(MS("{\"target-port-range\":[{\"lower-port\":65536}]}"),
	    "lower-port");
	bad_enc(MS("{\"target-protocol\":[256]}"), "target-protocol");
	bad_enc(MS("{\"target-protocol\":[-1]}"), "target-protocol");
	bad_enc(MS("{\"mid\":4294967296}"), "mid");
}

static void
t_wrong_major_type(void)
{
	bad(MSH "A1056131", "key 5 (mid): text string where unsigned");
	bad(MSH "A10661", "truncated");
	bad(MSH "A1066131", "key 6 (target-prefix): text string where array");
	bad(MSH "A1068101", "key 6 (target-prefix): unsigned integer where "
	    "text");
	bad(MSH "A10782A0A1" "08", "truncated");
	bad(MSH "A1078101", "array of maps");
	bad("A101A102A0", "key 2 (scope): map where array");
	bad("A10180", "key 1");
	bad("A101A10281A1110A", "key 17 (conflict-information)");
	bad("A10140", "key 1");
	bad("A101A10281A10FF93C00", "float");
	bad("A101A10281A10FC11A59DF7BC2", "tag");	/* tagged epoch */
}

static void
t_key_ranges(void)
{
	json_t	*j;
	char	 diag[CODEC_DIAG_LEN], *s;

	bad(MSH "A1186300", "unknown comprehension-required key 99");
	bad(MSH "A119012C00", "unknown comprehension-required key 300");
	bad(MSH "A119" "3FFF" "00", "key 16383");
	bad(MSH "A2186300190190" "00", "keys 99, 400");
	bad("A1186301", "key 99");			/* at top level */
	/* optional keys are skipped, even when they hold structures */
	T_EQ(dec_hex(MSH "A4" "0E190E10" "18FAA201820203" "0880"
	    "194000" "D8" "2A" "C482" "2101"
	    "19FFFF" "5F4161FF", &j, diag), 0);
	s = json_dumps(j, JSON_COMPACT);
	T_STREQ(s, MS("{\"lifetime\":3600}"));
	free(s);
	json_decref(j);
	T_EQ(dec_hex("A218FDA0" "01A0", &j, diag), 0);
	s = json_dumps(j, JSON_COMPACT);
	T_STREQ(s, "{\"ietf-dots-signal-channel:mitigation-scope\":{}}");
	free(s);
	json_decref(j);
	/* well-formed heads libcbor 0.8 itself refuses, in optional keys */
	T_EQ(dec_hex("A318FAF018FBF82018FCC600", &j, diag), 0);
	T_EQ(json_object_size(j), 0);
	json_decref(j);
	bad("A118FAF81F", "malformed");		/* simple 31 in 2 bytes */
	bad("A118FAF8", "truncated");
	bad("A118FAC6", "truncated");
	bad(MSH "A10EF0", "simple value where integer");
	/* a known optional key out of place is skipped like an unknown
	 * one (port, 200, is telemetry's); a required one is an error */
	T_EQ(dec_hex(MSH "A2" "0E01" "18C801", &j, diag), 0);
	s = json_dumps(j, JSON_COMPACT);
	T_STREQ(s, MS("{\"lifetime\":1}"));
	free(s);
	json_decref(j);
	/* known keys outside their container */
	bad("A10501", "key 5 (mid) not allowed in body");
	bad(MSH "A10101", "key 1 (ietf-dots-signal-channel:mitigation-scope)"
	    " not allowed in scope");
	/* keys must be unsigned 1..65535 */
	bad(MSH "A10001", "not an integer 1..65535");
	bad(MSH "A11A0001000001", "not an integer 1..65535");
	bad(MSH "A16131" "01", "not an integer 1..65535");
	bad(MSH "A12001", "not an integer 1..65535");
	bad_enc("{\"ietf-dots-signal-channel:mitigation-scope\":{"
	    "\"unknown-key-99\":1}}", "not a member of mitigation-scope");
	bad_enc("{\"scope\":[]}", "not a member of body");
}

static void
t_structure(void)
{
	json_t	*j;
	char	 diag[CODEC_DIAG_LEN], *s;
	uint8_t	*big;

	bad("", "empty body");
	bad("FF", "not a map");
	bad("1C", "malformed");				/* reserved ai */
	bad("01", "not a map");
	bad("80", "not a map");
	bad("A0" "00", "1 trailing bytes");
	{
		char trail[sizeof(fig8) + 2];

		snprintf(trail, sizeof(trail), "%sA0", fig8);
		bad(trail, "trailing");
	}
	/* duplicate keys at any level */
	bad("A2" "01A0" "01A0", "duplicate key 1");
	bad(MSH "A20E01" "0E02", "duplicate key 14 in scope");
	bad(MSH "A218FA00" "18FA01", "duplicate key 250");
	bad(MSH "A2186300" "186300", "duplicate key 99");
	/* tag 271 before the body is accepted, others are not */
	T_EQ(dec_hex("D9010F" "A11831A11833F5", &j, diag), 0);
	json_decref(j);
	bad("D9010E" "A11831A11833F5", "not a map");
	bad("D9010F", "truncated");
	/* empty containers decode as empty */
	T_EQ(dec_hex("A0", &j, diag), 0);
	T_EQ(json_object_size(j), 0);
	json_decref(j);
	/* NUL and invalid UTF-8 in text */
	bad(MSH "A1038161" "00", "key 3");
	bad(MSH "A103826100", "key 3");
	bad(MSH "A1036200" "41", "NUL");
	bad(MSH "A10362C328", "UTF-8");
	/* body size bound */
	big = calloc(1, CODEC_MAX_BODY + 1);
	T_ASSERT(big != NULL);
	big[0] = 0xA0;
	T_EQ(codec_cbor_decode(big, CODEC_MAX_BODY + 1, &j, diag,
	    sizeof(diag)), -EBADMSG);
	T_ASSERT(strstr(diag, "larger than") != NULL);
	/* NULL diag is allowed */
	T_EQ(codec_cbor_decode(big, 2, &j, NULL, 0), -EBADMSG);
	free(big);
	(void)s;
}

/* Indefinite lengths: accepted everywhere, equal to the definite form. */
static void
t_indefinite(void)
{
	json_t	*j, *want = parse(MS("{\"target-prefix\":[\"Ab\"],"
	    "\"lifetime\":5}"));
	char	 diag[CODEC_DIAG_LEN];

	T_EQ(dec_hex("BF01BF029FBF069F7F614161" "62FFFF0E05FFFFFFFF", &j,
	    diag), 0);
	T_ASSERT(json_equal(j, want));
	json_decref(j);
	bad("BF01BF029FBF069F7F6141" "01FFFF0E05FFFFFFFF", "bad chunk");
	bad("BF01BF029FBF069F7F61417F6162FFFFFF0E05FFFFFFFF", "bad chunk");
	bad("BF01BF029FBF069F7F614161" "62FFFF0E05FFFFFF", "truncated");
	bad("BF01BF029FBF0E" "FF", "without value");		/* key without value */
	bad("BF01BF029FBF069F7F614161" "62FFFF0E05FFFFFFFF" "FF",
	    "trailing");
	bad("BF01A0FF" "FF", "trailing");
	/* break where none may be */
	bad("A101A10281A1" "FF", "not an integer");
	bad(MSH "A118FA" "FF", "without value");
	json_decref(want);
}

static void
t_depth_and_items(void)
{
	static char hex[20000];
	char	 diag[CODEC_DIAG_LEN];
	json_t	*j;
	size_t	 n, i;

	/* An optional key whose value nests arrays: depth 1 (top) + n. */
	n = strlen(strcpy(hex, "A118FA"));
	for (i = 0; i < CODEC_MAX_DEPTH - 1; i++)
		n += sprintf(hex + n, "81");
	sprintf(hex + n, "00");
	T_EQ(dec_hex(hex, &j, diag), 0);
	json_decref(j);
	n = strlen(strcpy(hex, "A118FA"));
	for (i = 0; i < CODEC_MAX_DEPTH; i++)
		n += sprintf(hex + n, "81");
	sprintf(hex + n, "00");
	T_EQ(dec_hex(hex, &j, diag), -EBADMSG);
	T_ASSERT(strstr(diag, "deeper") != NULL);
	/* a chain of tags counts as nesting too */
	n = strlen(strcpy(hex, "A118FA"));
	for (i = 0; i < CODEC_MAX_DEPTH + 1; i++)
		n += sprintf(hex + n, "D82A");
	sprintf(hex + n, "00");
	bad(hex, "deeper");
	/* CODEC_MAX_ITEMS: a target-protocol with too many entries */
	n = strlen(strcpy(hex, MSH "A10A" "99FFFF"));
	for (i = 0; i < 4096 && n + 3 < sizeof(hex); i++)
		n += sprintf(hex + n, "06");
	bad(hex, "more than");
	/* a huge announced length is just truncated input */
	bad(MSH "A10A" "9BFFFFFFFFFFFFFFFF", "truncated");
	bad(MSH "A1" "03" "7BFFFFFFFFFFFFFFFF", "truncated");
	bad(MSH "A1" "18FA" "BBFFFFFFFFFFFFFFFF", "truncated");
}

/* Every proper prefix of a valid message fails cleanly. */
static void
t_truncations(void)
{
	static const char *const msgs[] = {
		fig8,
		"A101A10282AA0519302C0F1A59DF7BC2068274323030313A6462383A3634"
		"30313A3A312F31323874323030313A6462383A363430313A3A322F313238"
		"0A81110E1906DC100218191A0801C85B181A19A950181B1A13DE47AC181C"
		"1A00069930AA0519302D0F1A59DF7B99068274323030313A6462383A3634"
		"30313A3A312F31323874323030313A6462383A363430313A3A322F313238"
		"0A81060E1906DB1003181900181A00181B00181C00",
		"A1181EA21820A61821A3182218F018230F1824181E1825A3182214182303"
		"18240F1832A318221418230518240F1826A318220F1823021824031827A3"
		"1829C48221190BB8182AC482211864182BC4822118C81828A31829C48221"
		"190190182AC48221186E182BC482211896182CA41821A11824001826A118"
		"24031827A1182BC4822118C81828A1182BC482211896",
		"BF01BF029FBF069F7F614161" "62FFFF0E05FFFFFFFF",
	};
	uint8_t	 buf[1024];
	json_t	*j;
	char	 diag[CODEC_DIAG_LEN];
	size_t	 m, n, cut;

	for (m = 0; m < NELEM_(msgs); m++) {
		n = unhex(msgs[m], buf, sizeof(buf));
		T_EQ(codec_cbor_decode(buf, n, &j, diag, sizeof(diag)), 0);
		json_decref(j);
		for (cut = 0; cut < n; cut++) {
			j = NULL;
			if (codec_cbor_decode(buf, cut, &j, diag,
			    sizeof(diag)) != -EBADMSG)
				T_FAIL("msg %zu cut at %zu decoded", m, cut);
			T_ASSERT(j == NULL);
		}
	}
}

static void
t_encode_errors(void)
{
	json_t	*j = json_integer(1);
	uint8_t	*buf;
	size_t	 len;
	char	 diag[CODEC_DIAG_LEN];

	T_EQ(codec_cbor_encode(j, &buf, &len, diag, sizeof(diag)), -EINVAL);
	json_decref(j);
	bad_enc(MS("{\"mid\":\"1\"}"), "mid");
	bad_enc(MS("{\"mid\":1.5}"), "mid");
	bad_enc(MS("{\"target-prefix\":\"x\"}"), "array expected");
	bad_enc(MS("{\"target-prefix\":[1]}"), "string expected");
	bad_enc(MS("{\"target-port-range\":[1]}"), "array of objects");
	bad_enc("{\"ietf-dots-signal-channel:mitigation-scope\":[]}",
	    "object expected");
	bad_enc(MS("{\"cuid\":null}"), "string expected");
}

/* The enumeration tables are public for clients that print statuses. */
static void
t_enum_names(void)
{
	T_STREQ(codec_enum_name("status", 2), "attack-successfully-mitigated");
	T_STREQ(codec_enum_name("conflict-cause", 3), "cuid-collision");
	T_STREQ(codec_enum_name("attack-status", 1), "under-attack");
	T_ASSERT(codec_enum_name("status", 0) == NULL);
	T_ASSERT(codec_enum_name("status", 9) == NULL);
	T_ASSERT(codec_enum_name("status", -1) == NULL);
	T_ASSERT(codec_enum_name("lifetime", 1) == NULL);
}

int
main(void)
{
	T_RUN(t_figure8);
	T_RUN(t_text_and_uint);
	T_RUN(t_lifetime);
	T_RUN(t_uint64_strings);
	T_RUN(t_enums);
	T_RUN(t_decimal64);
	T_RUN(t_booleans_and_tops);
	T_RUN(t_acl_list_context);
	T_RUN(t_telemetry);
	T_RUN(t_ranges);
	T_RUN(t_wrong_major_type);
	T_RUN(t_key_ranges);
	T_RUN(t_structure);
	T_RUN(t_indefinite);
	T_RUN(t_depth_and_items);
	T_RUN(t_truncations);
	T_RUN(t_encode_errors);
	T_RUN(t_enum_names);
	return t_done();
}
