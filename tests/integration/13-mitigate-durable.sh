#!/bin/sh
# Mitigation state across a dotsd crash (RFC 9132 §4.4, dotsd/store.c):
# an acknowledged request survives kill -9 with its mitigation-start and
# remaining lifetime; one that expired while dotsd was down is gone; the
# active-but-terminating state survives; lifetimes end; names resolve
# asynchronously and are authorized like prefixes; target-uri literals.
NAME=13-mitigate-durable
. "$(dirname "$0")/lib-signal.sh"
sig_setup
sig_conf </dev/null
sig_start
FAILED=

json2cbor() {
	echo "$2" >"$T/$1.json"
	python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
		"$(python3 "$DOTS_CBOR" encode "$T/$1.json")" >"$T/$1.cbor"
}
scope() {
	echo "{\"ietf-dots-signal-channel:mitigation-scope\": {\"scope\": [{$1}]}}"
}
crash() {
	kill -9 "$DOTSD_PID"
	wait "$DOTSD_PID" 2>/dev/null
	DOTSD_PID=
}
MS='j["ietf-dots-signal-channel:mitigation-scope"]["scope"]'
U=$(url dtls 127.0.0.1 mitigate/cuid=cuid-durable)

hexbody s01-put-mitigate-req "$T/s01.cbor"
r=$(coap client1 "$U/mid=123" -m put -t 271 -N -f "$T/s01.cbor")
[ "$r" = 2.01 ] && ok "PUT s01: 2.01" || fail "PUT s01: $r"
coap client1 "$U/mid=123" -N >/dev/null
start=$(jget "$T/body" "$MS[0]['mitigation-start']")

json2cbor short "$(scope '"target-prefix": ["198.18.7.0/24"], "lifetime": 2')"
r=$(coap client1 "$U/mid=200" -m put -t 271 -N -f "$T/short.cbor")
[ "$r" = 2.01 ] && ok "PUT lifetime 2: 2.01" || fail "PUT lifetime 2: $r"

crash
sleep 3
sig_start
r=$(coap client1 "$U/mid=123" -N)
[ "$r" = 2.05 ] && [ "$(jget "$T/body" "$MS[0]['mitigation-start']")" = \
    "$start" ] && ok "after kill -9: mid 123 back, same mitigation-start" ||
	fail "after kill -9: $r $(cat "$T/body" 2>/dev/null | head -c 80)"
lt=$(jget "$T/body" "$MS[0]['lifetime']")
[ -n "$lt" ] && [ "$lt" -lt 3600 ] && [ "$lt" -gt 3500 ] &&
	ok "remaining lifetime kept counting ($lt)" ||
	fail "remaining lifetime after restart: $lt"
grep -q "mitigation one/cuid-durable/123: restored" "$T/dotsd.log" &&
	ok "handed to the engine again at start" ||
	fail "no restore in the log"
r=$(coap client1 "$U/mid=200" -N)
[ "$r" = 4.04 ] && ok "expired while down: gone (4.04)" ||
	fail "expired while down: $r"

r=$(coap client1 "$U/mid=123" -m delete -N)
[ "$r" = 2.02 ] && ok "DELETE: 2.02" || fail "DELETE: $r"
crash
sig_start
r=$(coap client1 "$U/mid=123" -N)
[ "$r" = 2.05 ] && [ "$(jget "$T/body" "$MS[0]['status']")" = \
    dots-client-withdrawn-mitigation ] &&
	ok "active-but-terminating survives a crash" ||
	fail "terminating after restart: $r $(jget "$T/body" "$MS[0]['status']")"

# Lifetime end: status 6 is shown until the last notification has gone
# out (at most one per 3 s, RFC 9132 §4.4.2.1), then the request is gone.
r=$(coap client1 "$U/mid=300" -m put -t 271 -N -f "$T/short.cbor")
[ "$r" = 2.01 ] || fail "PUT mid 300: $r"
sleep 3.5
r=$(coap client1 "$U/mid=300" -N)
[ "$r" = 4.04 ] || { [ "$r" = 2.05 ] && [ "$(jget "$T/body" \
    "$MS[0]['status']")" = attack-mitigation-terminated ]; } &&
	ok "lifetime 2 ended while running ($r)" ||
	fail "lifetime end while running: $r"
sleep 3.5
r=$(coap client1 "$U/mid=300" -N)
[ "$r" = 4.04 ] && ok "ended request removed" ||
	fail "ended request still there: $r"

# Names: resolved without blocking, then authorized like prefixes.
json2cbor fqdn "$(scope '"target-fqdn": ["localhost"], "lifetime": 600')"
r=$(coap client1 "$U/mid=400" -m put -t 271 -f "$T/fqdn.cbor")
grep -q "127.0.0.1\|::1" "$T/out.log" && [ "$r" = 4.00 ] &&
	ok "target-fqdn resolving to loopback: 4.00 naming the address" ||
	fail "target-fqdn localhost: $r"
json2cbor uri "$(scope '"target-uri": ["https://[2001:db8:6401::5]:8443/x"], "lifetime": 600')"
r=$(coap client1 "$U/mid=401" -m put -t 271 -N -f "$T/uri.cbor")
[ "$r" = 2.01 ] && ok "target-uri with an address literal: 2.01" ||
	fail "target-uri: $r"

sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
