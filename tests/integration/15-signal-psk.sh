#!/bin/sh
# PSK on the signal channel (`psk yes`, identity psk ... key ...): the
# right key opens a session for its client over DTLS and TLS, a wrong key
# or an unknown identity is refused, certificates keep working.
NAME=15-signal-psk
. "$(dirname "$0")/lib-signal.sh"
sig_setup
# A certificate file with its chain: credentials go to libcoap as PEM
# buffers rather than DER (dotsd/signal.c pki_der()); libcoap parses
# those per session, which once left OpenSSL errors that dropped TLS
# handshakes now and then (clear_tls_errors()).
cat "$T/c/server.pem" "$T/c/ca.pem" >"$T/c/chain.pem"
SERVER_CERT=$T/c/chain.pem
sig_conf <<'CONF'
psk yes
client "psk-one" {
	identity psk "edge-7" key 6f70656e2d7365736174616d652d3432
	prefix 198.19.0.0/16
}
CONF
sig_start
FAILED=
hexbody s09-put-hb-req "$T/hb.cbor"

# psk IDENTITY KEY URL: response code ("none" when refused)
psk() {
	rm -f "$T/body"
	timeout 20 coap-client-openssl -v 7 -B 5 -u "$1" -k "$2" -m put \
		-t 271 -f "$T/hb.cbor" "$3" >"$T/out.log" 2>&1
	code=$(sed -n 's/.*v:1 t:[A-Z]* c:\([0-9]\.[0-9][0-9]\) .*/\1/p' \
		"$T/out.log" | grep -v '^0\.' | tail -1)
	echo "${code:-none}"
}
# coap-client-openssl takes the key as text: the hex above is this text.
KEY=open-sesatame-42

for proto in dtls tls; do
	r=$(psk edge-7 "$KEY" "$(url $proto 127.0.0.1 hb)")
	[ "$r" = 2.04 ] && ok "PSK client heartbeat over $proto: 2.04" ||
		fail "PSK client over $proto: $r"
	r=$(psk edge-7 "0123456789abcdef" "$(url $proto 127.0.0.1 hb)")
	[ "$r" = none ] && ok "wrong PSK refused over $proto" ||
		fail "wrong PSK over $proto: $r"
	r=$(psk nobody "0123456789abcdef" "$(url $proto 127.0.0.1 hb)")
	[ "$r" = none ] && ok "unknown PSK identity refused over $proto" ||
		fail "unknown PSK identity over $proto: $r"
done
r=$(coap client1 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
[ "$r" = 2.04 ] && ok "certificates still accepted with psk yes" ||
	fail "certificate client with psk yes: $r"
grep -q "credentials loaded as PEM buffers" "$T/dotsd.log" &&
	ok "a certificate chain is loaded as PEM buffers" ||
	fail "chain not loaded as PEM buffers"
sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
