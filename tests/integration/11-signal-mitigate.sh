#!/bin/sh
# /.well-known/dots/mitigate (RFC 9132 §4.4) over the signal channel, driven
# by coap-client-openssl: PUT 2.01/2.04, GET 2.05 (ETag, Block2), Observe
# notifications (NON), DELETE 2.02, cuid collision between clients 4.09,
# two clients with overlapping scopes, CON answered piggy-backed.
NAME=11-signal-mitigate
. "$(dirname "$0")/lib-signal.sh"
sig_setup
sig_conf </dev/null
sig_start
FAILED=

hexbody s01-put-mitigate-req "$T/s01.cbor"
# json2cbor NAME JSON: a request body built with the reference mapper
json2cbor() {
	echo "$2" >"$T/$1.json"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
		"$(python3 "$DOTS_CBOR" encode "$T/$1.json")" >"$T/$1.cbor"
}
scope() {
	echo "{\"ietf-dots-signal-channel:mitigation-scope\": {\"scope\": [{\"target-prefix\": [\"$1\"], \"lifetime\": 600}]}}"
}
json2cbor net1 "$(scope 198.18.1.0/24)"
json2cbor net2 "$(scope 198.18.2.0/24)"
MS='j["ietf-dots-signal-channel:mitigation-scope"]["scope"]'
U1=$(url dtls 127.0.0.1 mitigate/cuid=cuid-one)

r=$(coap client1 "$U1/mid=123" -m put -t 271 -N -f "$T/s01.cbor")
[ "$r" = 2.01 ] && [ "$(jget "$T/body" "$MS[0]['mid']")" = 123 ] &&
	grep -q "t:NON c:2.01" "$T/out.log" &&
	ok "PUT s01 (NON): 2.01 NON with mid 123" || fail "PUT s01: $r"
grep -q "c:2.01.*Content-Format:application/dots+cbor" "$T/out.log" &&
	ok "2.01 body is application/dots+cbor" ||
	fail "2.01 without Content-Format 271"
r=$(coap client1 "$U1/mid=123" -m put -t 271 -N -f "$T/s01.cbor")
[ "$r" = 2.04 ] && ok "refresh PUT: 2.04" || fail "refresh PUT: $r"

r=$(coap client1 "$U1" -N)
[ "$r" = 2.05 ] && [ "$(jget "$T/body" "$MS[0]['mid']")" = 123 ] &&
	ok "GET all: 2.05 showing mid 123" || fail "GET all: $r"
grep -q "c:2.05.*ETag:" "$T/out.log" && ok "GET 2.05 carries an ETag" ||
	fail "GET 2.05 without ETag"
r=$(coap client1 "$U1/mid=123" -N -b 16)
n=$(grep -c "c:2.05.*Block2:" "$T/out.log")
[ "$r" = 2.05 ] && [ "$n" -gt 2 ] &&
	[ "$(jget "$T/body" "$MS[0]['mid']")" = 123 ] &&
	ok "GET with 16-byte blocks: Block2 reassembles ($n blocks)" ||
	fail "Block2 GET: $r, $n blocks"
r=$(coap client1 "$U1/mid=999" -N)
[ "$r" = 4.04 ] && ok "GET unknown mid: 4.04" || fail "GET unknown mid: $r"

# CON request: answer piggy-backed in the ACK.
r=$(coap client1 "$U1/mid=124" -m put -t 271 -f "$T/net1.cbor")
[ "$r" = 2.01 ] && grep -q "t:ACK c:2.01" "$T/out.log" &&
	ok "CON PUT answered piggy-backed (ACK 2.01)" || fail "CON PUT: $r"

# Observe: register, change the state from another session, count the
# NON notifications that reach the observer.
timeout 20 coap-client-openssl -v 7 -B 6 -s 8 -N -c "$T/c/client1.pem" \
	-j "$T/c/client1.key" -C "$T/c/ca.pem" -o "$T/obs.body" "$U1" \
	>"$T/obs.log" 2>&1 &
OBS=$!
sleep 1.5
r=$(coap client1 "$U1/mid=125" -m put -t 271 -N -f "$T/net2.cbor")
sleep 0.5
r2=$(coap client1 "$U1/mid=125" -m delete -N)
wait $OBS
n=$(grep -c "t:NON c:2.05 .*Observe:" "$T/obs.log")
[ "$r" = 2.01 ] && [ "$r2" = 2.02 ] && [ "$n" -ge 2 ] &&
	ok "Observe: registration + $((n - 1)) NON notifications" ||
	fail "Observe: PUT $r DELETE $r2, $n Observe responses"
# -o appends every body: take the last notification's from the log
sed -n '/t:NON c:2.05 .*Observe:/{n;s/^<<\([0-9a-f]*\)>>$/\1/p}' "$T/obs.log" |
	tail -1 | python3 -c 'import sys
sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' >"$T/last.cbor"
lt=$(jget "$T/last.cbor" "[s['lifetime'] for s in $MS if s['mid'] == 125][0]")
st=$(jget "$T/last.cbor" "[s['status'] for s in $MS if s['mid'] == 125][0]")
[ "$st" = dots-client-withdrawn-mitigation ] && [ "${lt:-999}" -le 120 ] &&
	ok "notification after DELETE: status 5, lifetime $lt" ||
	fail "notification after DELETE: status $st lifetime $lt"

r=$(coap client1 "$U1/mid=123" -m delete -N)
[ "$r" = 2.02 ] && [ ! -s "$T/body" ] && ok "DELETE: 2.02, no payload" ||
	fail "DELETE: $r"
# RFC 9132 §4.4.4: while active-but-terminating, lifetime is the time left
# of that period (default 120 s), not of the granted 600 s.
r=$(coap client1 "$U1/mid=123" -N)
st=$(jget "$T/body" "$MS[0]['status']")
lt=$(jget "$T/body" "$MS[0]['lifetime']")
[ "$r" = 2.05 ] && [ "$st" = dots-client-withdrawn-mitigation ] &&
	[ "${lt:-999}" -le 120 ] && [ "$lt" -ge 100 ] &&
	ok "GET after DELETE: status 5, lifetime $lt (the exit period)" ||
	fail "GET after DELETE: $r status $st lifetime $lt"
r=$(coap client1 "$U1/mid=4242" -m delete -N)
[ "$r" = 2.02 ] && ok "DELETE unknown mid: 2.02" ||
	fail "DELETE unknown mid: $r"
r=$(coap client1 "$U1" -m delete -N)
[ "$r" = 4.00 ] && ok "DELETE without mid: 4.00" ||
	fail "DELETE without mid: $r"

# Another client re-using client1's cuid: 4.09, cuid-collision only.
r=$(coap client2 "$U1/mid=1" -m put -t 271 -N -f "$T/net1.cbor")
errbody
cause=$(jget "$T/body" "$MS[0]['conflict-information']['conflict-cause']")
[ "$r" = 4.09 ] && [ "$cause" = cuid-collision ] &&
	ok "cuid collision between clients: 4.09 cuid-collision" ||
	fail "cuid collision: $r ($cause)"

# Overlapping scopes of two clients: each keeps its own request and sees
# only its own mitigations (withdrawn ones stay visible while
# active-but-terminating, RFC 9132 §4.4.4).
U2=$(url tls 127.0.0.1 mitigate/cuid=cuid-two)
r=$(coap client2 "$U2/mid=7" -m put -t 271 -f "$T/net1.cbor")
case $r in
2.01|4.09) ok "overlapping scope of a second client: $r" ;;
*) fail "overlapping scope of a second client: $r" ;;
esac
r=$(coap client2 "$U2")
mids=$(jget "$T/body" "sorted(s['mid'] for s in $MS)")
r1=$(coap client1 "$U1")
mids1=$(jget "$T/body" "sorted(s['mid'] for s in $MS)")
{ [ "$r" = 2.05 ] && [ "$mids" = "[7]" ] || [ "$r" = 4.04 ]; } &&
	[ "$r1" = 2.05 ] && [ "$mids1" = "[123, 124, 125]" ] &&
	ok "each client sees only its own mitigations" ||
	fail "views: client2 $r $mids, client1 $r1 $mids1"

# A target outside client1's domain is refused.
json2cbor far "$(scope 203.0.113.0/24)"
r=$(coap client1 "$U1/mid=300" -m put -t 271 -N -f "$T/far.cbor")
case $r in
4.00|4.01) ok "target outside the client's domain: $r" ;;
*) fail "target outside the client's domain: $r" ;;
esac

# target-fqdn is resolved asynchronously: a CON request gets an empty
# ACK, then a separate CON response (here 4.00: localhost is loopback).
json2cbor fqdn '{"ietf-dots-signal-channel:mitigation-scope": {"scope": [{"target-fqdn": ["localhost"], "lifetime": 600}]}}'
r=$(coap client1 "$U1/mid=400" -m put -t 271 -f "$T/fqdn.cbor")
case $r in
4.00|2.01)
	grep -q "t:ACK c:0.00" "$T/out.log" &&
	grep -q "t:CON c:$r" "$T/out.log" &&
		ok "target-fqdn: empty ACK, then separate CON $r" ||
		ok "target-fqdn answered $r (resolved before the ACK)" ;;
*) fail "target-fqdn: $r" ;;
esac

# A representation larger than a datagram: Block2 in responses and in
# notifications, each block cut from the current state (same ETag).
UB=$(url dtls 127.0.0.1 mitigate/cuid=cuid-big)
for i in $(seq 1 24); do
	echo "{\"ietf-dots-signal-channel:mitigation-scope\": {\"scope\": [{\"target-prefix\": [\"198.18.$i.0/24\"], \"target-port-range\": [{\"lower-port\": 80}, {\"lower-port\": 443}], \"target-protocol\": [6, 17], \"lifetime\": 600}]}}" >"$T/b.json"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
		"$(python3 "$DOTS_CBOR" encode "$T/b.json")" >"$T/b$i.cbor"
	coap client1 "$UB/mid=$i" -m put -t 271 -N -f "$T/b$i.cbor" >/dev/null
done
r=$(coap client1 "$UB" -N)
n=$(jget "$T/body" "len($MS)")
[ "$r" = 2.05 ] && [ "$n" = 24 ] && grep -q "c:2.05 .*Block2:0/M/" "$T/out.log" &&
	ok "GET of 24 mitigations: Block2 without asking, reassembled" ||
	fail "large GET: $r, $n mitigations"
coap-client-openssl -v 7 -B 6 -s 4 -N -c "$T/c/client1.pem" \
	-j "$T/c/client1.key" -C "$T/c/ca.pem" -o "$T/obs2.body" "$UB" \
	>"$T/obs2.log" 2>&1 &
OBS=$!
sleep 1.5
coap client1 "$UB/mid=24" -m delete -N >/dev/null
wait $OBS
python3 - "$T/obs2.log" <<'PY' && ok "large notification: block 0 + block 1 of the same ETag" || fail "large notification blocks"
import re, sys
log = open(sys.argv[1], errors="replace").read()
n0 = re.findall(r"c:2\.05 \S+ \{01\} \[ ETag:(\w+), Observe:(\d+),.*Block2:0/M/", log)
n1 = re.findall(r"c:2\.05 \S+ \{[0-9a-f]+\} \[ ETag:(\w+),.*Block2:1/_/", log)
notif = [e for e, o in n0 if int(o) > 2]
sys.exit(0 if notif and notif[-1] in n1 else 1)
PY

# RFC 9244 top-talkers narrow the request (vector s16: two talkers, source
# port 53): accepted, kept (dotsctl scope), not echoed as telemetry; two
# talkers with different ports cannot be one rule set: 4.00 naming it.
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
	"$SRC/tests/vectors/signal/s16-CONSTRUCTED-rfc9244-top-talker-req.cbor.hex" \
	>"$T/tt.cbor"
UT=$(url dtls 127.0.0.1 mitigate/cuid=cuid-tt)
r=$(coap client1 "$UT/mid=1" -m put -t 271 -N -f "$T/tt.cbor")
r2=$(coap client1 "$UT/mid=1" -N)
echoed=$(jget "$T/body" "'ietf-dots-telemetry:attack-detail' in $MS[0]")
tt=$("$SRC/$OUT/bin/dotsctl" -j -s "$T/dotsd.sock" show mitigations |
	python3 -c 'import json, sys
j = json.load(sys.stdin)
j = j.get("result", j) if isinstance(j, dict) else j
m = [m for m in j if m["cuid"] == "cuid-tt"][0]
d = m["scope"]["ietf-dots-telemetry:attack-detail"][0]
print(sorted(t["source-prefix"] for t in d["top-talker"]["talker"]))')
[ "$r" = 2.01 ] && [ "$r2" = 2.05 ] && [ "$echoed" = False ] &&
	[ "$tt" = "['2001:db8:1::/48', '2001:db8:2::1/128']" ] &&
	ok "top-talker request: 2.01, sources kept ($tt), not echoed" ||
	fail "top-talker request: PUT $r GET $r2 echoed $echoed kept $tt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
	A101A10281A3068174323030313A6462383A363430313A3A312F3132380E190E1018CF81A418CA197ED918A4184D18A60418AAA118B882A318ABF418B96F323030313A6462383A313A3A2F343818BB81A1081835A218B971323030313A6462383A323A3A312F31323818BB81A108187B \
	>"$T/tt-bad.cbor"
r=$(coap client1 "$UT/mid=2" -m put -t 271 -N -f "$T/tt-bad.cbor")
[ "$r" = 4.00 ] && grep -q "c:4.00 .*top-talker" "$T/out.log" &&
	ok "top-talkers with different source ports: 4.00 naming top-talker" ||
	fail "top-talkers with different source ports: $r"

sig_alive && ok "dotsd still running" || fail "dotsd died"

# dotsd(8): with no backend at all (no xdp, bgp or null backend named),
# requests are recorded and answered, not enforced: 2.01, then status 4
# (attack-exceeded-capability) without drop counters; dotsctl says so.
sig_kill
sed -i '/^mitigation {/,/^}/d' "$T/dotsd.conf"
mv "$T/dotsd.log" "$T/dotsd-1.log"
sig_start
UN=$(url dtls 127.0.0.1 mitigate/cuid=cuid-rec)
r=$(coap client1 "$UN/mid=1" -m put -t 271 -N -f "$T/net1.cbor")
sleep 1.5
r2=$(coap client1 "$UN/mid=1" -N)
st=$(jget "$T/body" "$MS[0]['status']")
drops=$(jget "$T/body" "'pkts-dropped' in $MS[0]")
[ "$r" = 2.01 ] && [ "$r2" = 2.05 ] && [ "$st" = attack-exceeded-capability ] &&
	[ "$drops" = False ] &&
	grep -q "cuid-rec/1: recorded, not enforced" "$T/dotsd.log" &&
	ok "no backend: 2.01, status $st, no drop counters, logged" ||
	fail "no backend: PUT $r GET $r2 status $st counters $drops"
enf=$("$SRC/$OUT/bin/dotsctl" -j -s "$T/dotsd.sock" show mitigations |
	python3 -c 'import json, sys
j = json.load(sys.stdin)
j = j.get("result", j) if isinstance(j, dict) else j
print([m["enforced"] for m in j if m["cuid"] == "cuid-rec"])')
[ "$enf" = "[False]" ] && ok "no backend: dotsctl shows enforced false" ||
	fail "no backend: dotsctl enforced $enf"
r=$(coap client1 "$UN/mid=1" -m delete -N)
r2=$(coap client1 "$UN/mid=1" -N)
st=$(jget "$T/body" "$MS[0]['status']")
[ "$r" = 2.02 ] && { [ "$r2" = 4.04 ] ||
	[ "$st" = attack-mitigation-terminated ]; } &&
	ok "no backend: DELETE ends it without an exit period" ||
	fail "no backend: DELETE $r, then $r2 $st"
[ -z "$FAILED" ]
