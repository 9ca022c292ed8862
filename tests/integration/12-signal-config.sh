#!/bin/sh
# /.well-known/dots/config (RFC 9132 §4.5) with coap-client-openssl: GET
# both parameter sets with min/max/current and Max-Age, PUT sid 2.01/2.04,
# out-of-range 4.22, missing or stale sid 4.00, GET sid, DELETE 2.02, and
# the negotiated configuration surviving a restart.
NAME=12-signal-config
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
hexbody s07-put-config-sid123-req "$T/s07.cbor"
json2cbor far '{"ietf-dots-signal-channel:signal-config": {"idle-config": {"heartbeat-interval": {"current-value": 1000}}}}'
json2cbor ackto '{"ietf-dots-signal-channel:signal-config": {"mitigating-config": {"ack-timeout": {"current-value-decimal": "0.50"}}}}'
json2cbor hb60 '{"ietf-dots-signal-channel:signal-config": {"idle-config": {"heartbeat-interval": {"current-value": 60}}}}'
SC='j["ietf-dots-signal-channel:signal-config"]'
C=$(url dtls 127.0.0.1 config)

r=$(coap client1 "$C")
shape=$(jget "$T/body" "sorted($SC.keys()), sorted($SC['idle-config']['heartbeat-interval'].keys()), sorted($SC['mitigating-config']['ack-timeout'].keys())")
[ "$r" = 2.05 ] && [ "$shape" = "(['idle-config', 'mitigating-config'], ['current-value', 'max-value', 'min-value'], ['current-value-decimal', 'max-value-decimal', 'min-value-decimal'])" ] &&
	ok "GET /config: both sets with min/max/current" ||
	fail "GET /config: $r $shape"
grep -q "t:ACK c:2.05.*Max-Age:" "$T/out.log" &&
	ok "GET /config (CON): piggy-backed 2.05 with Max-Age" ||
	fail "GET /config: no piggy-backed Max-Age"

r=$(coap client1 "$C/sid=123" -m put -t 271 -f "$T/s07.cbor")
[ "$r" = 2.01 ] && ok "PUT s07 sid=123: 2.01" || fail "PUT s07 sid=123: $r"
r=$(coap client1 "$C/sid=123" -m put -t 271 -f "$T/s07.cbor")
[ "$r" = 2.04 ] && ok "PUT s07 sid=123 again: 2.04" ||
	fail "PUT s07 again: $r"
r=$(coap client1 "$C/sid=124" -m put -t 271 -f "$T/far.cbor")
[ "$r" = 4.22 ] && grep -q "c:4.22.*heartbeat-interval" "$T/out.log" &&
	ok "heartbeat-interval 1000: 4.22 with a diagnostic" ||
	fail "heartbeat-interval 1000: $r"
r=$(coap client1 "$C/sid=125" -m put -t 271 -f "$T/ackto.cbor")
[ "$r" = 4.22 ] && ok "ack-timeout 0.50: 4.22" || fail "ack-timeout 0.50: $r"
r=$(coap client1 "$C" -m put -t 271 -f "$T/s07.cbor")
[ "$r" = 4.00 ] && ok "PUT without sid: 4.00" || fail "PUT without sid: $r"
r=$(coap client1 "$C/sid=100" -m put -t 271 -f "$T/s07.cbor")
[ "$r" = 4.00 ] && ok "PUT with a lower sid: 4.00" ||
	fail "PUT with a lower sid: $r"
r=$(coap client1 "$C/cuid=x" -m put -t 271 -f "$T/s07.cbor")
[ "$r" = 4.00 ] && ok "PUT with cuid in the path: 4.00" ||
	fail "PUT with cuid: $r"

r=$(coap client1 "$C/sid=123")
hb=$(jget "$T/body" "$SC['idle-config']['heartbeat-interval']['current-value'], $SC['mitigating-config']['probing-rate']['current-value']")
[ "$r" = 2.05 ] && [ "$hb" = "(0, 15)" ] &&
	ok "GET sid=123: negotiated values (idle heartbeat 0)" ||
	fail "GET sid=123: $r $hb"
r=$(coap client1 "$C/sid=999")
[ "$r" = 4.04 ] && ok "GET unknown sid: 4.04" || fail "GET unknown sid: $r"
# Per client: client2 still has the defaults.
r=$(coap client2 "$C")
hb=$(jget "$T/body" "$SC['idle-config']['heartbeat-interval']['current-value']")
[ "$r" = 2.05 ] && [ "$hb" = 30 ] && ok "another client keeps the defaults" ||
	fail "client2 config: $r $hb"

# Durable: a restart keeps the negotiated configuration.
r=$(coap client1 "$C/sid=130" -m put -t 271 -f "$T/hb60.cbor")
sig_kill
sig_start
r2=$(coap client1 "$C/sid=130")
hb=$(jget "$T/body" "$SC['idle-config']['heartbeat-interval']['current-value']")
[ "$r" = 2.01 ] && [ "$r2" = 2.05 ] && [ "$hb" = 60 ] &&
	ok "negotiated configuration survives a restart" ||
	fail "after restart: PUT $r GET $r2 hb $hb"

r=$(coap client1 "$C/sid=130" -m delete)
r2=$(coap client1 "$C")
hb=$(jget "$T/body" "$SC['idle-config']['heartbeat-interval']['current-value']")
[ "$r" = 2.02 ] && [ "$r2" = 2.05 ] && [ "$hb" = 30 ] &&
	ok "DELETE: 2.02, defaults again" || fail "DELETE: $r, then $r2 $hb"

# Observe /config: a change from another session of the client is
# notified (NON, RFC 9132 §4.5.3).
coap-client-openssl -v 7 -B 6 -s 4 -c "$T/c/client1.pem" \
	-j "$T/c/client1.key" -C "$T/c/ca.pem" -o "$T/obs.body" "$C" \
	>"$T/obs.log" 2>&1 &
OBS=$!
sleep 1.5
r=$(coap client1 "$C/sid=140" -m put -t 271 -f "$T/hb60.cbor")
wait $OBS
n=$(grep -c "t:NON c:2.05 .*Observe:" "$T/obs.log")
[ "$r" = 2.01 ] && [ "$n" -ge 1 ] &&
	ok "Observe /config: change notified ($n NON notifications)" ||
	fail "Observe /config: PUT $r, $n notifications"

# Over TLS too.
r=$(coap client1 "$(url tls ::1 config)/sid=200" -m put -t 271 \
	-f "$T/s07.cbor")
[ "$r" = 2.01 ] && ok "PUT over TLS/IPv6: 2.01" || fail "PUT over TLS: $r"

sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
