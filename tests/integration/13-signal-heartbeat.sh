#!/bin/sh
# Heartbeats (RFC 9132 §4.7): the server sends NON PUT /hb on each session
# every heartbeat-interval; a DTLS peer that stops answering and sends
# nothing for missing-hb-allowed heartbeats is declared lost, and traffic
# from the client again restores the signal channel.
NAME=13-signal-heartbeat
. "$(dirname "$0")/lib-signal.sh"
sig_setup
sig_conf <<'CONF'
session idle {
	heartbeat-interval 1..240 default 1
	missing-hb-allowed 1..20 default 2
}
CONF
sig_start
FAILED=
hexbody s09-put-hb-req "$T/hb.cbor"

# coap_bg CERT URL SECONDS LOG: a long-lived observing coap-client
coap_bg() {
	coap-client-openssl -v 7 -B $(($3 + 2)) -s "$3" \
		-c "$T/c/$1.pem" -j "$T/c/$1.key" -C "$T/c/ca.pem" \
		-o "$4.body" "$2" >"$4" 2>&1 &
	BG=$!
}

coap_bg client1 "$(url dtls 127.0.0.1 config)" 5 "$T/obs.log"
wait $BG
n=$(grep -c "t:NON c:PUT .*Uri-Path:hb, Content-Format:application/dots+cbor" \
	"$T/obs.log")
[ "$n" -ge 3 ] && ok "server sends NON heartbeats every second ($n in 5 s)" ||
	fail "server heartbeats: $n in 5 s"
hex=$(grep -A1 "t:NON c:PUT .*Uri-Path:hb" "$T/obs.log" | sed -n 's/^<<\([0-9a-f]*\)>>$/\1/p' | tail -1)
body=$(python3 "$DOTS_CBOR" decode "$hex" 2>/dev/null | tr -d ' \n')
case $body in
*'"ietf-dots-signal-channel:heartbeat":{"peer-hb-status":'*)
	ok "server heartbeat body: $body" ;;
*) fail "server heartbeat body: '$hex' $body" ;;
esac
grep -q "signal channel lost" "$T/dotsd.log" &&
	fail "a cleanly closed session was declared lost" ||
	ok "an answering, cleanly closed session is not lost"

# A peer that vanishes without close_notify (SIGKILL).
coap_bg client1 "$(url dtls 127.0.0.1 config)" 30 "$T/gone.log"
sleep 1.5
kill -9 $BG
wait $BG 2>/dev/null
i=0
while [ $i -lt 100 ] && ! grep -q "client one: signal channel lost" \
	"$T/dotsd.log"; do
	sleep 0.1
	i=$((i + 1))
done
grep -q "client one: signal channel lost" "$T/dotsd.log" &&
	ok "vanished DTLS peer declared lost after $((i / 10)) s" ||
	fail "vanished peer not declared lost"

r=$(coap client1 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
[ "$r" = 2.04 ] && grep -q "client one: signal channel restored" \
	"$T/dotsd.log" && ok "traffic again restores the signal channel" ||
	fail "restore: $r"

# RFC 9132 §4.7: peer-hb-status is mandatory; {49: {}} is a heartbeat
# without it.
printf '\241\030\061\240' >"$T/hb-empty.cbor"
r=$(coap client1 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N \
	-f "$T/hb-empty.cbor")
[ "$r" = 4.00 ] && grep -q "c:4.00 .*peer-hb-status" "$T/out.log" &&
	ok "heartbeat without peer-hb-status: 4.00 naming it" ||
	fail "heartbeat without peer-hb-status: $r"

sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
