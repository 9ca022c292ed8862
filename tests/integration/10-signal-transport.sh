#!/bin/sh
# Signal channel transport (RFC 9132 §3, §7, RFC 8323): DTLS and TLS on
# IPv4 and IPv6, mutual X.509 authentication (expired, not-yet-valid and
# foreign-CA client certificates refused at the handshake), Content-Format
# 4.15, malformed CBOR and unknown comprehension-required keys 4.00 while
# the server keeps serving. Client: libcoap's coap-client-openssl.
NAME=10-signal-transport
. "$(dirname "$0")/lib-signal.sh"
sig_setup
sig_conf </dev/null
sig_start
FAILED=

hexbody s09-put-hb-req "$T/hb.cbor"
hexbody s01-put-mitigate-req "$T/s01.cbor"

# Heartbeats over every transport and family: 2.04, empty body.
for proto in dtls tls; do
	for host in 127.0.0.1 ::1; do
		n=""
		[ $proto = dtls ] && n=-N
		r=$(coap client1 "$(url $proto $host hb)" -m put -t 271 $n \
			-f "$T/hb.cbor")
		if [ "$r" = 2.04 ] && [ ! -s "$T/body" ]; then
			ok "heartbeat over $proto $host: 2.04"
		else
			fail "heartbeat over $proto $host: got $r"
		fi
	done
done

# The NON heartbeat is answered NON (RFC 9132 §4.7).
coap client1 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor" \
	>/dev/null
if grep -q "t:NON c:2.04" "$T/out.log"; then
	ok "NON heartbeat answered NON"
else
	fail "NON heartbeat not answered NON"
fi

# Refused at the handshake: nothing comes back, and the log says why.
for proto in dtls tls; do
	for cert in expired future foreign; do
		r=$(coap $cert "$(url $proto 127.0.0.1 hb)" -m put -t 271 -N \
			-f "$T/hb.cbor")
		if [ "$r" = none ]; then
			ok "$cert client certificate refused over $proto"
		else
			fail "$cert client certificate over $proto got $r"
		fi
	done
done
grep -q "certificate has expired" "$T/dotsd.log" &&
	grep -q "certificate is not yet valid" "$T/dotsd.log" &&
	grep -q "unable to get local issuer" "$T/dotsd.log" &&
	ok "handshake refusals logged with their reason" ||
	fail "handshake refusal reasons missing from the log"

# A valid certificate of the CA that names no configured client.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/c/stranger.key" 2>/dev/null
openssl req -new -key "$T/c/stranger.key" -subj /CN=stranger \
	-out "$T/c/stranger.csr" 2>/dev/null
openssl ca -batch -notext -config "$T/c/ca.cnf" -extensions client \
	-days 2 -in "$T/c/stranger.csr" -out "$T/c/stranger.pem" 2>/dev/null
r=$(coap stranger "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
[ "$r" = none ] && ok "certificate of no configured client refused" ||
	fail "certificate of no configured client got $r"

M=$(url dtls 127.0.0.1 mitigate/cuid=tRaNsPoRt/mid=1)
# Content-Format other than 271 (60 is application/cbor): 4.15 + diag.
r=$(coap client1 "$M" -m put -t 60 -N -f "$T/s01.cbor")
[ "$r" = 4.15 ] && grep -q "c:4.15.*271" "$T/out.log" &&
	ok "Content-Format 60 refused with 4.15 and a diagnostic" ||
	fail "Content-Format 60: got $r"
r=$(coap client1 "$M" -m put -N -f "$T/s01.cbor")
[ "$r" = 4.15 ] && ok "payload without Content-Format: 4.15" ||
	fail "payload without Content-Format: got $r"

# Malformed CBOR: 4.00 with a diagnostic, and the server keeps serving.
printf '\241\001' >"$T/trunc.cbor"		# map(1) {1: <missing>}
printf '\377\377\377' >"$T/junk.cbor"
for f in trunc junk; do
	r=$(coap client1 "$M" -m put -t 271 -N -f "$T/$f.cbor")
	if [ "$r" = 4.00 ] && grep -q "c:4.00 .*::" "$T/out.log"; then
		ok "malformed CBOR ($f): 4.00 with a diagnostic"
	else
		fail "malformed CBOR ($f): got $r"
	fi
done
r=$(coap client1 "$(url tls 127.0.0.1 hb)" -m put -t 271 -f "$T/hb.cbor")
sig_alive && [ "$r" = 2.04 ] && ok "server keeps serving after bad CBOR" ||
	fail "server after bad CBOR: $r"

# Unknown comprehension-required key 99: 4.00 naming it (RFC 9132 §6).
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(
	"A101A10281A20E190E10186300"))' >"$T/k99.cbor"
r=$(coap client1 "$M" -m put -t 271 -N -f "$T/k99.cbor")
[ "$r" = 4.00 ] && grep -q "c:4.00.*99" "$T/out.log" &&
	ok "unknown comprehension-required key: 4.00 naming key 99" ||
	fail "unknown comprehension-required key: got $r"

# A body whose container does not match the resource: 4.00.
r=$(coap client1 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N \
	-f "$T/s01.cbor")
[ "$r" = 4.00 ] && ok "mitigation-scope sent to /hb: 4.00" ||
	fail "mitigation-scope sent to /hb: got $r"

# Resource and method errors carry diagnostics too.
r=$(coap client1 "$(url dtls 127.0.0.1 nosuch)" -N)
[ "$r" = 4.04 ] && ok "unknown resource: 4.04" || fail "unknown resource: $r"
r=$(coap client1 "$(url dtls 127.0.0.1 hb)" -m post -t 271 -N \
	-f "$T/hb.cbor")
[ "$r" = 4.05 ] && ok "POST /hb: 4.05" || fail "POST /hb: $r"
r=$(coap client1 "$(url dtls 127.0.0.1 mitigate/mid=1)" -m put -t 271 -N \
	-f "$T/s01.cbor")
[ "$r" = 4.00 ] && ok "mitigate without cuid: 4.00" ||
	fail "mitigate without cuid: $r"
r=$(coap client1 "$(url dtls 127.0.0.1 mitigate/cuid=)" -N)
[ "$r" = 4.00 ] && ok "empty cuid: 4.00" || fail "empty cuid: $r"
r=$(coap client1 "$(url dtls 127.0.0.1 mitigate/cuid=x/mid=12x)" -N)
[ "$r" = 4.00 ] && ok "non-decimal mid: 4.00" || fail "non-decimal mid: $r"

grep -q "credentials loaded as DER" "$T/dotsd.log" &&
	ok "single certificate, CA and EC key loaded as DER" ||
	fail "credentials not loaded as DER"
sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
