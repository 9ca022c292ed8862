#!/bin/sh
# dotsd driven by dots-client (our own client) over DTLS and TLS, IPv4
# and IPv6: request, get, observe, heartbeat, config, withdraw, a cuid
# collision between two clients, and refused certificates.
NAME=14-signal-dots-client
. "$(dirname "$0")/lib-signal.sh"
DC=$SRC/$OUT/bin/dots-client
[ -x "$DC" ] || { skip "dots-client not built"; exit 77; }
sig_setup
sig_conf </dev/null
sig_start
FAILED=

# dc CERT URI ARGS...: exit status of dots-client, output in $T/dc.out
dc() {
	cert=$1 uri=$2
	shift 2
	timeout 30 "$DC" -t 5 -s "$uri" --cert "$T/c/$cert.pem" \
		--key "$T/c/$cert.key" --ca "$T/c/ca.pem" --cuid dc-cuid-1 \
		"$@" >"$T/dc.out" 2>&1
	echo $?
}
check() {	# check WHAT EXPECTED GOT
	[ "$2" = "$3" ] && ok "$1" ||
		fail "$1: exit $3, want $2 ($(head -c 300 "$T/dc.out" | tr '\n' ' '))"
}

for s in "coaps://127.0.0.1:$PORT" "coaps+tcp://[::1]:$PORT"; do
	check "request over $s" 0 \
		"$(dc client1 "$s" request --target 198.18.5.0/24 --port 53 \
		--protocol 17 --mid 10)"
	r=$(dc client1 "$s" -j get --mid 10)
	grep -q '"mid": *10[,}]' "$T/dc.out" && check "get over $s" 0 "$r" ||
		fail "get over $s: mid 10 not shown: $(head -c 300 "$T/dc.out")"
	check "heartbeat over $s" 0 \
		"$(dc client1 "$s" heartbeat --count 2 --interval 1)"
	check "config get over $s" 0 "$(dc client1 "$s" config get)"
	check "withdraw over $s" 0 "$(dc client1 "$s" withdraw --mid 10)"
done
S="coaps://127.0.0.1:$PORT"
check "config set in range" 0 \
	"$(dc client1 "$S" config set --sid 5 --heartbeat-interval 60 --idle)"
check "config set out of range: 4.22 (exit 3)" 3 \
	"$(dc client1 "$S" config set --sid 6 --heartbeat-interval 1000 --idle)"
check "config delete" 0 "$(dc client1 "$S" config delete --sid 5)"

# Observe while another session changes the state.
timeout 30 "$DC" -t 10 -s "$S" --cert "$T/c/client1.pem" \
	--key "$T/c/client1.key" --ca "$T/c/ca.pem" --cuid dc-cuid-1 \
	observe --count 2 >"$T/obs.out" 2>&1 &
OBS=$!
sleep 1.5
dc client1 "$S" request --target 198.18.6.0/24 --mid 11 >/dev/null
wait $OBS
check "observe gets a notification" 0 $?

check "cuid of another client: 4.09 (exit 5)" 5 \
	"$(dc client2 "$S" request --target 198.18.7.0/24 --mid 1)"
check "expired certificate: no session (exit 2)" 2 \
	"$(dc expired "$S" heartbeat --count 1)"
check "foreign CA over TLS: no session (exit 2)" 2 \
	"$(dc foreign "coaps+tcp://127.0.0.1:$PORT" heartbeat --count 1)"

sig_alive && ok "dotsd still running" || fail "dotsd died"
[ -z "$FAILED" ]
