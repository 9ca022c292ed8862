#!/bin/sh
# dots-client against libcoap's coap-server-openssl: the transport side
# that needs no DOTS server. DTLS and TLS handshakes with certificates and
# PSK, the request reaching the server as a NON PUT with the RFC 9132
# Uri-Path (cuid from the certificate), config as CON, NON repetition
# after a lost answer, Observe and its deregistration, config files, and
# the exit codes for usage errors, refusals and unreachable servers.
# coap-server stores PUT bodies in dynamic resources (-d), so a GET
# returns what the client sent. Loopback only; no root needed.
NAME=client-transport
. "$(dirname "$0")/lib-client.sh"

command -v coap-server-openssl >/dev/null ||
	{ skip "coap-server-openssl missing (libcoap3-bin)"; exit 77; }
cl_setup

# coap-server -p P listens for DTLS and TLS on P+1.
PORT=$((30000 + ($$ % 9000) * 2))
SRV_PID=

# srv_start [extra coap-server args]: (re)starts the server, log in
# $T/srv.log. A port in use (another test run) moves to the next pair.
srv_start() {
	srv_stop
	tries=0
	while :; do
		SPORT=$((PORT + 1))
		# line-buffered, so the log is complete when the client returns
		stdbuf -oL -eL coap-server-openssl -A 127.0.0.1 -p $PORT -d 20 \
			-v 7 -c "$T/c/server.pem" -j "$T/c/server.key" \
			-C "$T/c/ca.pem" -k dots-test-secret "$@" \
			>"$T/srv.log" 2>&1 &
		SRV_PID=$!
		PIDS="$PIDS $SRV_PID"
		sleep 0.5
		kill -0 $SRV_PID 2>/dev/null && break
		tries=$((tries + 1))
		[ $tries -lt 5 ] ||
			{ fail "coap-server-openssl did not start"; exit 1; }
		PORT=$((PORT + 2))
	done
	S=coaps://127.0.0.1:$SPORT
	ST=coaps+tcp://127.0.0.1:$SPORT
}
srv_stop() {
	[ -n "$SRV_PID" ] && kill $SRV_PID 2>/dev/null && wait $SRV_PID 2>/dev/null
	SRV_PID=
}

C1=$(pki client1)
PSKHEX=$(printf dots-test-secret | od -An -tx1 | tr -d ' \n')
CUID=$(cuid_of "$T/c/client1.pem")

srv_start

# --- DTLS + certificate: request, and what the server saw -----------------
dc -s $S $C1 request --target 198.18.0.1,2001:db8::1 --port 80 --mid 100
check "request over DTLS answered 2.01, exit 0" \
	test $RC -eq 0 -a "$(head -1 "$T/out")" = "2.01 Created"
check "request prints the mid" grep -q "^mid 100" "$T/out"
check "PUT is NON with Uri-Path cuid (from SPKI) and mid" \
	grep -q "t:NON c:PUT .*Uri-Path:mitigate, Uri-Path:cuid=$CUID, Uri-Path:mid=100, Content-Format:application/dots+cbor" "$T/srv.log"

dc -s $S $C1 --json get --mid 100
check "get --json: 2.05 and the scope as sent" sh -c \
	"test $RC -eq 0 && grep -q '^{\"code\":\"2.05\",\"body\":{\"ietf-dots-signal-channel:mitigation-scope\":{\"scope\":\[{\"target-prefix\":\[\"198.18.0.1/32\",\"2001:db8::1/128\"\],\"target-port-range\":\[{\"lower-port\":80}\],\"lifetime\":3600}\]}}}\$' '$T/out'"

dc -s $S $C1 get --mid 100
check "get human output names targets and ports" sh -c \
	"test $RC -eq 0 && grep -q '^  target 198.18.0.1/32 2001:db8::1/128\$' '$T/out' && grep -q '^  port 80\$' '$T/out'"

# Default mid: seconds since 2024-01-01 UTC, increasing.
before=$(( $(date +%s) - 1704067200 ))
dc -s $S $C1 --json request --target 198.18.0.2
mid=$(sed -n 's/.*"mid":\([0-9]*\).*/\1/p' "$T/out")
after=$(( $(date +%s) - 1704067200 ))
check "default mid is the time since 2024 ($mid)" \
	test $RC -eq 0 -a -n "$mid" -a "${mid:-0}" -ge $before -a "${mid:-0}" -le $after

# Two requests in the same second still get increasing mids (state file).
dc -s $S $C1 --json request --target 198.18.0.5
m1=$(sed -n 's/.*"mid":\([0-9]*\).*/\1/p' "$T/out")
dc -s $S $C1 --json request --target 198.18.0.6
m2=$(sed -n 's/.*"mid":\([0-9]*\).*/\1/p' "$T/out")
check "back-to-back default mids increase ($m1, $m2)" \
	test -n "$m1" -a -n "$m2" -a "${m2:-0}" -gt "${m1:-0}" -a \
	"${m1:-0}" -gt "${mid:-0}" -a -f "$T/state/dots-client/ids"

# Refresh of the same mid: 2.04 from coap-server (resource exists).
dc -s $S $C1 request --target 198.18.0.1,2001:db8::1 --port 80 --mid 100 --lifetime 60
check "refresh answered 2.04" test $RC -eq 0 -a "$(head -1 "$T/out")" = "2.04 Changed"

# --- bodies larger than a datagram: Block1 out, Block2 back --------------
many=$(i=1; while [ $i -le 200 ]; do printf '2001:db8:6401::%x/128,' $i;
	i=$((i + 1)); done)
dc -s $S $C1 request --target "${many%,}" --mid 400
check "request with 200 targets: Block1 transfer, 2.01" sh -c \
	"test $RC -eq 0 && grep -q 'c:PUT .*Uri-Path:mid=400, .*Block1:1/M/' '$T/srv.log'"
dc -s $S $C1 --json get --mid 400
check "get of it: Block2 reassembled, all 200 targets" sh -c \
	"test $RC -eq 0 && test \$(grep -o '2001:db8:6401::[0-9a-f]*/128' '$T/out' | sort -u | wc -l) -eq 200 && grep -q 'c:2.05 .*Block2:1/M/' '$T/srv.log'"

# --- PSK: another identity, so another cuid: 4.04 -> exit 3 ---------------
dc -s $S --psk-identity client-psk --psk-key "$PSKHEX" get --mid 100
check "PSK handshake; unknown resource 4.04 gives exit 3" \
	test $RC -eq 3 -a "$(head -1 "$T/out")" = "4.04 Not Found: Not Found"
PCUID=$(printf client-psk | openssl dgst -sha256 -binary | head -c 16 |
	openssl base64 -A | tr '+/' '-_' | tr -d '=')
check "PSK cuid is derived from the identity" \
	grep -q "c:GET .*Uri-Path:cuid=$PCUID, Uri-Path:mid=100" "$T/srv.log"

# --- TLS (coaps+tcp) ------------------------------------------------------
dc -s $ST $C1 get --mid 100
check "get over TLS/TCP" test $RC -eq 0 -a "$(head -1 "$T/out")" = "2.05 Content"
dc -s $ST --psk-identity client-psk --psk-key "$PSKHEX" request --target 198.18.0.9 --mid 7
check "request over TLS/TCP with PSK" test $RC -eq 0

# --- withdraw -------------------------------------------------------------
dc -s $S $C1 withdraw --mid 100
check "withdraw answered 2.02" \
	test $RC -eq 0 -a "$(head -1 "$T/out")" = "2.02 Deleted"
check "withdraw is a NON DELETE" \
	grep -q "t:NON c:DELETE .*Uri-Path:cuid=$CUID, Uri-Path:mid=100" "$T/srv.log"
dc -s $S $C1 get --mid 100
check "withdrawn mid is gone (exit 3)" test $RC -eq 3

# --- config and heartbeat message types ----------------------------------
dc -s $S $C1 config get
check "config get is CON (4.04 here, exit 3)" sh -c \
	"test $RC -eq 3 && grep -q 't:CON c:GET .*Uri-Path:dots, Uri-Path:config \]' '$T/srv.log'"
dc -s $S $C1 config set --sid 9 --heartbeat-interval 60 --ack-timeout 2.5
check "config set is a CON PUT to sid=9" sh -c \
	"test $RC -eq 0 && grep -q 't:CON c:PUT .*Uri-Path:config, Uri-Path:sid=9, Content-Format:application/dots+cbor' '$T/srv.log'"
dc -s $S $C1 heartbeat
check "heartbeat is a NON PUT to /hb" sh -c \
	"test $RC -eq 0 && grep -q 't:NON c:PUT .*Uri-Path:dots, Uri-Path:hb, Content-Format' '$T/srv.log'"

# --- Observe: notifications as they come, then deregistration ------------
dc -s $S $C1 request --target 198.18.0.3 --mid 200
"$CLIENT" -s $S $C1 --json observe --mid 200 --count 2 --timeout 20 \
	>"$T/obs" 2>"$T/obs.err" &
OBS=$!
PIDS="$PIDS $OBS"
sleep 1
dc -s $S $C1 request --target 198.18.0.3 --port 53 --mid 200
wait $OBS
orc=$?
RC=$orc
check "observe printed two notifications, one JSON object each" sh -c \
	"test $orc -eq 0 && test \$(wc -l <'$T/obs') -eq 2 && grep -q '\"observe\":' '$T/obs' && tail -1 '$T/obs' | grep -q '\"lower-port\":53'"
check "observe deregistered (GET with Observe:1)" \
	grep -q "c:GET .*Observe:1, .*Uri-Path:mid=200" "$T/srv.log"

"$CLIENT" -s $S $C1 observe --mid 200 >"$T/obs" 2>&1 &
OBS=$!
PIDS="$PIDS $OBS"
sleep 1
kill -INT $OBS
wait $OBS
orc=$?
RC=$orc
check "observe ends on SIGINT with exit 0" sh -c \
	"test $orc -eq 0 && grep -q '^2.05 Content' '$T/obs'"

# --- config file; the command line wins ----------------------------------
cat >"$T/dc.conf" <<EOF
# test config
server coaps://127.0.0.1:1
cert $T/c/client1.pem
key  $T/c/client1.key
ca   $T/c/ca.pem
timeout 5
EOF
dc --config "$T/dc.conf" -s $S get --mid 200
check "--config supplies credentials, --server overrides" test $RC -eq 0
HOME=$T/home
mkdir -p "$HOME/.config"
sed "s|coaps://127.0.0.1:1|$S|" "$T/dc.conf" >"$HOME/.config/dots-client.conf"
HOME=$HOME dc get --mid 200
check "~/.config/dots-client.conf is read" test $RC -eq 0
printf 'server %s\npsk-identity client-psk\npsk-key %s\n' $S "$PSKHEX" \
	>"$T/psk.conf"
chmod 644 "$T/psk.conf"
dc --config "$T/psk.conf" get --mid 7
check "psk-key in a file others can read: warning" \
	grep -q "psk.conf holds psk-key but is readable by others" "$T/err"
chmod 600 "$T/psk.conf"
dc --config "$T/psk.conf" get --mid 7
check "psk-key from a private file: no warning" \
	test -z "$(grep warning "$T/err")"
echo "bogus line" >"$T/bad.conf"
dc --config "$T/bad.conf" get
check "bad config file: exit 1" test $RC -eq 1
dc --config "$T/missing.conf" get
check "missing --config file: exit 1" test $RC -eq 1

# --- a dual-stack name, server on IPv4 only: the next address is tried ---
# (a private mount namespace gives the name; no network change)
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	printf '::1 dual.test\n127.0.0.1 dual.test\n' >"$T/hosts"
	for s in coaps coaps+tcp; do
		RC=$(unshare -m sh -c "mount --bind '$T/hosts' /etc/hosts &&
		    timeout 30 '$CLIENT' -s $s://dual.test:$SPORT $C1 -t 10 \
		    get --mid 400 >'$T/out' 2>'$T/err'; echo \$?")
		check "$s name with ::1 first, server on 127.0.0.1 only" \
			test "$RC" = 0
	done
else
	skip "dual-stack fallback needs a mount namespace (root)"
fi

# --- failures -------------------------------------------------------------
dc -s $S $C1 request --port 80
check "usage error: exit 1" test $RC -eq 1
dc -s $S --cert "$T/c/foreign.pem" --key "$T/c/foreign.key" \
	--ca "$T/c/ca.pem" -t 5 get
check "client certificate from another CA: handshake fails, exit 2" \
	test $RC -eq 2
dc -s $S --cert "$T/c/client1.pem" --key "$T/c/client1.key" \
	--ca "$T/c/foreign-ca.pem" -t 5 get
check "server certificate not from --ca: exit 2" test $RC -eq 2
dc -s coaps://127.0.0.1:$PORT $C1 -t 3 get
check "nothing speaking DTLS on the port: exit 2" test $RC -eq 2

# --- NON repetition: the server drops its answer --------------------------
# coap-server -l N drops the Nth datagram it sends; count how many the
# handshake takes with these certificates, so the answer is the one lost.
srv_start
dc -s $S $C1 get --mid 1
i=0
while [ $i -lt 30 ] && ! grep -q 'v:1 t:NON c:4\.04' "$T/srv.log"; do
	sleep 0.1
	i=$((i + 1))
done
n=$(awk '/DTLS: sent/ { n++ } /v:1 t:NON c:[245]\./ { print n; exit }' \
	"$T/srv.log")
srv_start -l "${n:-4}"
start=$(date +%s)
dc -s $S $C1 -t 20 request --target 198.18.0.4 --mid 300
took=$(( $(date +%s) - start ))
check "lost answer (datagram $n): NON PUT repeated after 3 s, answered" \
	sh -c "test $RC -eq 0 && test $took -ge 2 && grep -q 'Packet $n dropped' '$T/srv.log' && test \$(grep -c 't:NON c:PUT .*Uri-Path:mid=300' '$T/srv.log') -ge 2"
srv_stop

exit $FAILED
