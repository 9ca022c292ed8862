#!/bin/sh
# make bench: signal channel figures on loopback (no pass/fail).
#   mitigation PUTs per second over one DTLS session (create, refresh);
#   1,000 and 10,000 concurrent DTLS sessions sending heartbeats every
#   30 s (RFC 9132 default): handshake cost, server RSS per session,
#   server CPU per heartbeat. A fresh dotsd for each run.
# SIGNAL_BENCH_SIZES / SIGNAL_BENCH_SECONDS override "1000 10000" / 30.
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-.output}
DOTSD=$SRC/$OUT/bin/dotsd
BENCH=$SRC/$OUT/tests/bench/signal-bench
SIZES=${SIGNAL_BENCH_SIZES:-1000 10000}
SECS=${SIGNAL_BENCH_SECONDS:-30}
[ -x "$DOTSD" ] && [ -x "$BENCH" ] || { echo "signal-bench: not built"; exit 0; }
[ "$(ulimit -n)" -gt 10100 ] || ulimit -n 20000 2>/dev/null ||
	{ echo "signal-bench: needs 10100 file descriptors"; exit 0; }
T=$(mktemp -d /tmp/dotsd-sigbench.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
"$SRC/tests/certs/mkcerts.sh" "$T/c" >/dev/null
PORT=$((40000 + ($$ % 20000)))

start() {
	rm -f "$T/dotsd.db"*
	cat >"$T/dotsd.conf" <<CONF
listen on 127.0.0.1 port $PORT dtls
certificate "$T/c/server.pem"
key "$T/c/server.key"
ca "$T/c/ca.pem"
database "$T/dotsd.db"
control "$T/dotsd.sock"
yang-dir "$SRC/yang/modules"
max-sessions 20000
mitigation {
	local-backend null
}
client "bench" {
	identity cn "client1"
	prefix 198.18.0.0/15
	max-mitigations 100000
}
CONF
	"$DOTSD" -d -f "$T/dotsd.conf" >"$T/dotsd.log" 2>&1 &
	PID=$!
	i=0
	until grep -q " started$" "$T/dotsd.log"; do
		sleep 0.1
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "dotsd did not start"; exit 0; }
	done
}
stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
}
run() {
	"$BENCH" -p "$PORT" -c "$T/c/client1.pem" -k "$T/c/client1.key" \
		-a "$T/c/ca.pem" -P "$PID" "$@"
}

start
echo "dotsd idle: RSS $(awk '/VmRSS/ { print $2 }' /proc/$PID/status) kB"
run put 500
stop
for n in $SIZES; do
	start
	run sessions "$n" "$SECS" 30
	stop
done
echo "(2 vCPU shared with the load client; libcoap 4.3.1 walks every"
echo " session on each wake-up, so CPU per heartbeat grows with sessions)"
