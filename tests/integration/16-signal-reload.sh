#!/bin/sh
# SIGHUP: clients and session parameter ranges reload without dropping
# the listeners; a broken file keeps the running configuration; changes
# that need a restart are reported.
NAME=16-signal-reload
. "$(dirname "$0")/lib-signal.sh"
sig_setup
sig_conf </dev/null
sig_start
FAILED=
hexbody s09-put-hb-req "$T/hb.cbor"
hexbody s01-put-mitigate-req "$T/s01.cbor"
SC='j["ietf-dots-signal-channel:signal-config"]'

r=$(coap client2 "$(url dtls 127.0.0.1 mitigate/cuid=two-1/mid=5)" -m put \
	-t 271 -N -f "$T/s01.cbor")
[ "$r" = 2.01 ] && ok "client two holds a mitigation" || fail "PUT: $r"

# waitlog TEXT: up to 5 s for TEXT in the log
waitlog() {
	i=0
	while [ $i -lt 50 ] && ! grep -q "$1" "$T/dotsd.log"; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$1" "$T/dotsd.log"
}

# Client "two" goes; its certificate now names client "three"; new
# idle heartbeat ranges.
cp "$T/dotsd.conf" "$T/dotsd.conf.orig"
sed -e 's/^client "two" {/client "three" {/' "$T/dotsd.conf.orig" \
	>"$T/dotsd.conf"
cat >>"$T/dotsd.conf" <<'CONF'
session idle {
	heartbeat-interval 20..200 default 40
}
CONF
kill -HUP "$DOTSD_PID"
waitlog "configuration reloaded: 2 clients" &&
	ok "SIGHUP reloads the configuration" || fail "no reload logged"
waitlog "two/two-1/5: client no longer configured" &&
	ok "mitigation of the removed client withdrawn" ||
	fail "removed client's mitigation not withdrawn"
r=$(coap client2 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
[ "$r" = 2.04 ] && waitlog "three: DTLS session" &&
	ok "the certificate now identifies client three" ||
	fail "client three: $r"
r=$(coap client1 "$(url dtls 127.0.0.1 config)")
v=$(jget "$T/body" "$SC['idle-config']['heartbeat-interval']['min-value'], $SC['idle-config']['heartbeat-interval']['current-value']")
[ "$r" = 2.05 ] && [ "$v" = "(20, 40)" ] &&
	ok "new session parameter ranges served" || fail "config: $r $v"

# A broken file: the running configuration stays.
echo "this is not a statement {" >>"$T/dotsd.conf"
kill -HUP "$DOTSD_PID"
waitlog "keeping the running configuration" &&
	ok "broken file: running configuration kept" ||
	fail "broken file not reported"
r=$(coap client1 "$(url tls 127.0.0.1 hb)" -m put -t 271 -f "$T/hb.cbor")
[ "$r" = 2.04 ] && ok "still serving after a failed reload" ||
	fail "after failed reload: $r"

# Listener change: reported, needs a restart.
sed -e "s/port $PORT\$/port $((PORT + 1))/" "$T/dotsd.conf.orig" \
	>"$T/dotsd.conf"
kill -HUP "$DOTSD_PID"
waitlog "change only with a restart" &&
	ok "listener change reported as needing a restart" ||
	fail "listener change not reported"

# max-sessions takes effect on reload: with 1, a second session is
# refused at the handshake while the first stays open.
sed -e 's/^max-sessions .*//' "$T/dotsd.conf.orig" >"$T/dotsd.conf"
echo "max-sessions 1" >>"$T/dotsd.conf"
kill -HUP "$DOTSD_PID"
sleep 0.5
coap-client-openssl -v 7 -B 6 -s 4 -c "$T/c/client1.pem" \
	-j "$T/c/client1.key" -C "$T/c/ca.pem" -o "$T/obs.body" \
	"$(url dtls 127.0.0.1 config)" >"$T/obs.log" 2>&1 &
OBS=$!
sleep 1.5
r=$(coap client2 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
wait $OBS
sleep 0.5
r2=$(coap client2 "$(url dtls 127.0.0.1 hb)" -m put -t 271 -N -f "$T/hb.cbor")
[ "$r" = none ] && [ "$r2" = 2.04 ] && waitlog "refused, max-sessions 1 reached" &&
	ok "max-sessions 1: second session refused, admitted once free" ||
	fail "max-sessions: while busy $r, after $r2"

sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
