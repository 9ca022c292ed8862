#!/bin/sh
# make bench: signal channel figures on loopback (no pass/fail), each one
# for dotsd and for libcoap's own coap-server-openssl -d (package
# libcoap3-bin) in the same run, with the ratio dotsd / libcoap:
#   mitigation PUTs per second over one DTLS session (create, refresh),
#     dotsd only;
#   N concurrent DTLS sessions with a heartbeat every 30 s (RFC 9132
#     default): handshakes/s, failed handshakes, server RSS per session,
#     heartbeats answered and their p99, server CPU;
#   churn: 100 sessions, 2,000 PUT/s + 2,000 DELETE/s, each DELETE 5 s
#     after its PUT, a heartbeat every 5 s per session: every request
#     answered? p99, server CPU per message, heartbeats answered.
# A fresh server for each run. The load generator (signal_bench.c) is
# raw OpenSSL DTLS + hand-built CoAP: nothing of dotsd's server code.
#   SIGNAL_BENCH_SIZES    session counts (default "1000"; "1000 10000"
#                         for the 10k run, a few minutes more)
#   SIGNAL_BENCH_SECONDS  heartbeat phase per size (default 30)
#   SIGNAL_BENCH_CHURN    churn: "SESSIONS RATE SECONDS" (default
#                         "100 2000 20"; "" skips it)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-.output}
DOTSD=$SRC/$OUT/bin/dotsd
BENCH=$SRC/$OUT/tests/bench/signal-bench
SIZES=${SIGNAL_BENCH_SIZES:-1000}
SECS=${SIGNAL_BENCH_SECONDS:-30}
CHURN=${SIGNAL_BENCH_CHURN-100 2000 20}
LIBCOAP=$(command -v coap-server-openssl)
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
: >"$T/results"

start_dotsd() {
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
	max-mitigations 1000000
}
CONF
	"$DOTSD" -d -f "$T/dotsd.conf" >"$T/dotsd.log" 2>&1 &
	PID=$!
	SPORT=$PORT
	i=0
	until grep -q " started$" "$T/dotsd.log"; do
		sleep 0.1
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "dotsd did not start"; exit 0; }
	done
}

# libcoap's example server: DTLS on port + 1, dynamic resources for
# whatever is PUT (mitigations, heartbeats), removed by DELETE.
start_libcoap() {
	"$LIBCOAP" -A 127.0.0.1 -p $((PORT + 2)) -d 1000000 \
	    -c "$T/c/server.pem" -j "$T/c/server.key" -C "$T/c/ca.pem" \
	    -R "$T/c/ca.pem" -v 0 >"$T/libcoap.log" 2>&1 &
	PID=$!
	SPORT=$((PORT + 3))
	sleep 1
}

stop() {
	kill "$PID"
	wait "$PID" 2>/dev/null
	PID=
}

# run TAG ARGS...: the load client against the running server
run() {
	tag=$1
	shift
	"$BENCH" -p "$SPORT" -c "$T/c/client1.pem" -k "$T/c/client1.key" \
		-a "$T/c/ca.pem" -P "$PID" -t "$tag" "$@" >"$T/run.out" 2>&1
	grep -v '^RESULT' "$T/run.out" | sed "s/^/[$tag] /"
	grep '^RESULT' "$T/run.out" >>"$T/results"
}

# both SCENARIO ARGS...: the same load against dotsd, then libcoap
both() {
	sc=$1
	shift
	start_dotsd
	run "dotsd-$sc" "$@"
	stop
	if [ -n "$LIBCOAP" ]; then
		start_libcoap
		run "libcoap-$sc" "$@"
		stop
	fi
}

start_dotsd
echo "dotsd idle: RSS $(awk '/VmRSS/ { print $2 }' /proc/$PID/status) kB"
run dotsd-put put 2000
stop
for n in $SIZES; do
	both "s$n" sessions "$n" "$SECS" 30
done
# shellcheck disable=SC2086
[ -n "$CHURN" ] && set -- $CHURN && both churn churn "$1" "$2" "$3" 5 5

[ -n "$LIBCOAP" ] || { echo "(no coap-server-openssl: no ratios)"; exit 0; }
echo
echo "dotsd / libcoap coap-server-openssl, same run (sizes run:" \
    "$SIZES sessions${CHURN:+; churn $CHURN}):"
awk '
$1 == "RESULT" {
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		v[$2 " " $3 " " kv[1]] = kv[2]
	}
	if (!($2 in seen)) { seen[$2] = 1; tags[nt++] = $2 }
}
function row(sc, kind, key, what,   d, l) {
	d = v["dotsd-" sc " " kind " " key]
	l = v["libcoap-" sc " " kind " " key]
	if (d == "" || l == "")
		return
	printf "  %-44s %10s %10s   %s\n", what, d, l,
	    l + 0 != 0 ? sprintf("%.2fx", d / l) : "-"
}
END {
	printf "  %-44s %10s %10s   %s\n", "", "dotsd", "libcoap", "ratio"
	for (t = 0; t < nt; t++) {
		if (tags[t] !~ /^dotsd-/ || tags[t] == "dotsd-put")
			continue
		sc = substr(tags[t], 7)
		if (sc ~ /^s[0-9]/) {
			n = substr(sc, 2)
			row(sc, "sessions", "up", n " sessions: up")
			row(sc, "sessions", "failed", n " sessions: failed handshakes")
			row(sc, "sessions", "hs_per_s", n " sessions: handshakes/s")
			row(sc, "sessions", "rss_kb_per_session",
			    n " sessions: RSS kB per session")
			row(sc, "heartbeat", "ratio", n " sessions: heartbeats answered")
			row(sc, "heartbeat", "p99_ms", n " sessions: heartbeat p99 ms")
			row(sc, "cpu", "pct", n " sessions: server CPU % of a core")
		} else {
			row(sc, "PUT", "ratio", "churn: PUTs answered")
			row(sc, "DELETE", "ratio", "churn: DELETEs answered")
			row(sc, "PUT", "p99_ms", "churn: PUT p99 ms")
			row(sc, "DELETE", "p99_ms", "churn: DELETE p99 ms")
			row(sc, "heartbeat", "ratio", "churn: heartbeats answered")
			row(sc, "cpu", "us_per_msg", "churn: server CPU us per message")
		}
	}
}' "$T/results"
echo "(2 vCPU shared with the load client and other work: noisy figures)"
