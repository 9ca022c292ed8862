#!/bin/sh
# bgp-bench: time to announce and to withdraw N flowspec routes (dst /32,
# UDP, discard) until all are visible in, then gone from, a gobgpd peer's
# Adj-RIB-In; our speaker (tests/bgp-driver) and ExaBGP announce the same
# set to the same gobgpd in the same run. Sizes: BGP_BENCH_SIZES, default
# "10000 100000". ExaBGP 4.2 withdraws slowly (one route per UPDATE), so
# its waits stop after BGP_BENCH_EXA_MAX seconds (default 240) and the
# figure becomes a projection from the rate so far. BGP_BENCH_EXABGP=0
# leaves ExaBGP out. Figures and ratios only, no pass/fail.
. tests/integration/lib-bgp.sh
SIZES=${BGP_BENCH_SIZES:-10000 100000}
EXA_MAX=${BGP_BENCH_EXA_MAX:-240}
EXA4=198.18.1.3

if [ "$(id -u)" != 0 ]; then
	echo "bgp-bench: needs root for its namespaces (skipped)"
	exit 0
fi
for t in gobgpd gobgp exabgp "$DRIVER"; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "bgp-bench: $t missing (skipped)"; exit 0; }
done
trap bgp_cleanup EXIT
trap 'exit 1' INT TERM
bgp_setup || { echo "bgp-bench: namespaces failed"; exit 0; }
ip -n "$NSS" addr add $EXA4/24 dev bs0

# Fed 100,000 API lines at once, ExaBGP 4.2 stops sending KEEPALIVEs for
# minutes: long hold times on both sides keep its session up.
nbr() {
	echo "[[neighbors]]"
	echo "  [neighbors.config]"
	echo "    neighbor-address = \"$1\""
	echo "    peer-as = 65000"
	echo "  [neighbors.transport.config]"
	echo "    passive-mode = true"
	echo "  [neighbors.timers.config]"
	echo "    hold-time = 3600"
	echo "    keepalive-interval = 1200"
	echo "  [[neighbors.afi-safis]]"
	echo "    [neighbors.afi-safis.config]"
	echo "      afi-safi-name = \"ipv4-flowspec\""
}
gobgp_conf "$T/gobgpd.toml" 65001 "$(nbr $SPK4)
$(nbr $EXA4)"
gobgp_start "$T/gobgpd.toml" || { echo "bgp-bench: gobgpd failed"; exit 0; }

cat >"$T/speaker.conf" <<EOF
conf router-id $SPK4
conf local-as 65000
conf connect-retry 1
conf damping off
conf min-prefix-len4 32
conf neighbor $PEER4 remote-as 65001 families flowspec4
start
EOF
driver_start "$T/speaker.conf" || { echo "bgp-bench: driver failed"; exit 0; }
wait_for 20 gobgp_established $SPK4 || { echo "bgp-bench: no session"; exit 0; }

now() { date +%s.%N; }
ratio() {
	case $1 in
	[0-9~]*) echo "${1#\~} / $2" | bc -l | awk '{ printf "%.1fx", $1 }' ;;
	*) echo "?" ;;
	esac
}
elapsed() { echo "$2 - $1" | bc -l | awk '{ printf "%.2f", $1 }'; }

# until NEIGHBOR holds N flowspec routes (or SECS pass): 0, or 1
wait_count() {
	end=$(( $(date +%s) + $3 ))
	while [ "$(gobgp_count "$1" ipv4-flowspec)" != "$2" ]; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# ExaBGP fed by an API process: announce on go-announce, withdraw on
# go-withdraw; the same routes as bgp-driver's "gen" (198.18.0.0 + i).
exa_run() {
	n=$1
	rm -f "$T/go-announce" "$T/go-withdraw"
	cat >"$T/feeder.sh" <<EOF
#!/bin/sh
# ExaBGP answers each command on our stdin: drain it, or it blocks
cat >/dev/null &
lines() {
	awk -v n=$n -v verb=\$1 'BEGIN {
		for (i = 0; i < n; i++) {
			a = 3323068416 + i
			printf "%s flow route { match { destination %d.%d.%d.%d/32; protocol udp; } then { discard; } }\n",
			    verb, int(a / 16777216), int(a / 65536) % 256,
			    int(a / 256) % 256, a % 256
		}
	}'
}
while [ ! -e "$T/go-announce" ]; do sleep 0.05; [ -d "$T" ] || exit 0; done
lines announce
while [ ! -e "$T/go-withdraw" ]; do sleep 0.05; [ -d "$T" ] || exit 0; done
lines withdraw
wait	# for cat: until ExaBGP closes our stdin
EOF
	chmod +x "$T/feeder.sh"
	cat >"$T/exabgp.conf" <<EOF
process feeder {
	run $T/feeder.sh;
	encoder text;
}
neighbor $PEER4 {
	router-id $EXA4;
	local-address $EXA4;
	local-as 65000;
	peer-as 65001;
	hold-time 3600;
	family { ipv4 flow; }
	api { processes [ feeder ]; }
}
EOF
	ip netns exec "$NSS" env exabgp_daemon_user=root exabgp_daemon_drop=false \
		exabgp_log_level=WARNING exabgp_api_cli=false exabgp_api_ack=false \
		exabgp "$T/exabgp.conf" >"$T/exabgp.log" 2>&1 &
	exa_pid=$!
	PIDS="$PIDS $exa_pid"
	if ! wait_for 30 gobgp_established $EXA4; then
		echo "exabgp: no session"
		return 1
	fi
	t0=$(now)
	touch "$T/go-announce"
	if wait_count $EXA4 "$n" "$EXA_MAX"; then
		t1=$(now)
		exa_ann=$(elapsed "$t0" "$t1")
	else
		t1=$(now)
		exa_ann=$(project "$t0" "$t1" "$(gobgp_count $EXA4 ipv4-flowspec)" "$n")
		# the rest must be in before the withdraws can be timed
		wait_count $EXA4 "$n" 900
		t1=$(now)
	fi
	touch "$T/go-withdraw"
	if wait_count $EXA4 0 "$EXA_MAX"; then
		exa_wd=$(elapsed "$t1" "$(now)")
	else
		exa_wd=$(project "$t1" "$(now)" \
		    $((n - $(gobgp_count $EXA4 ipv4-flowspec))) "$n")
	fi
	kill "$exa_pid" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$exa_pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -9 "$exa_pid" 2>/dev/null
	wait "$exa_pid" 2>/dev/null
}

# project T0 T1 DONE N: "~S" seconds for N at the rate DONE took T1-T0.
project() {
	if [ "${3:-0}" -gt 0 ]; then
		echo "~$(echo "($2 - $1) * $4 / $3" | bc -l |
		    awk '{ printf "%.0f", $1 }')"
	else
		echo "?"
	fi
}

printf '%-8s %-10s %12s %12s %14s\n' routes speaker announce_s withdraw_s apply_calls_ms
for n in $SIZES; do
	t0=$(now)
	apply_ms=$(drv_do "gen 1 $n" "gen" 120 | sed -n 's/.*, \([0-9]*\) ms$/\1/p')
	if wait_count $SPK4 "$n" 600; then
		t1=$(now)
		ann=$(elapsed "$t0" "$t1")
	else
		ann="timeout($(gobgp_count $SPK4 ipv4-flowspec))"
		t1=$(now)
	fi
	drv_do "ungen 1 $n" "ungen" 120 >/dev/null
	if wait_count $SPK4 0 600; then
		wd=$(elapsed "$t1" "$(now)")
	else
		wd=timeout
	fi
	printf '%-8s %-10s %12s %12s %14s\n' "$n" dotsd-bgp "$ann" "$wd" "${apply_ms:-?}"
	[ "${BGP_BENCH_EXABGP:-1}" = 0 ] && continue
	exa_ann=- exa_wd=-
	exa_run "$n"
	printf '%-8s %-10s %12s %12s %14s\n' "$n" exabgp-4.2 "$exa_ann" "$exa_wd" -
	case "$ann$wd" in
	*timeout*) continue ;;
	esac
	echo "$n routes: ExaBGP / dotsd-bgp time: announce $(ratio "$exa_ann" "$ann"), withdraw $(ratio "$exa_wd" "$wd")"
done
echo "(~N: projected from the rate within ${EXA_MAX} s)"
echo "(times until the last route is in / gone from gobgpd's Adj-RIB-In, polled every 0.1 s; gobgpd's own ingest is included for both)"
