#!/bin/sh
# 22-xdp-ratelimit.sh: rate limits hold within ±10 % over 1-second windows
# with traffic arriving on both CPUs. Generic XDP runs where the sender's
# packet is received, so two senders pinned with taskset put the program
# on CPU 0 and CPU 1; the per-CPU counters confirm it.
. tests/integration/lib-xdp.sh
xdp_require xdp_ratelimit
ncpu=$(nproc)
if [ "$ncpu" -lt 2 ]; then
	skip xdp_ratelimit "needs two CPUs"
	exit 77
fi
xdp_setup || { fail xdp_setup "cannot build the namespaces"; exit 1; }

PPS=20000		# limit, packets/s
BPS=2000000		# limit, bytes/s (142-byte frames: ~14 kpps)
OFFER=30000		# per sender, packets/s
cat >"$T/rules" <<R
group 1
id 1 dst 198.18.0.2/32 proto udp dport 7000 action rate-pps $PPS
group 2
id 1 dst 198.18.0.2/32 proto udp dport 7001 action rate-bps $BPS
R
xctl -i xb0 -m generic load-rules "$T/rules" 2>"$T/err" ||
	{ fail xdp_ratelimit_load "$(cat "$T/err")"; exit 1; }

# window GROUP FIELD LIMIT PORT NAME: 1 s warm-up, then three 1-second
# windows of the passed counter, each within ±10 % of LIMIT.
window() {
	for cpu in 0 1; do
		ip netns exec "$NSA" taskset -c $cpu "$TRAFFIC" send \
			198.18.0.2 "$4" -t 6 -r $OFFER -s 100 >/dev/null &
		PIDS="$PIDS $!"
	done
	sleep 1
	prev=$(stat_of "$1" "$2"); prevt=$(date +%s.%N)
	bad=""; figs=""
	for w in 1 2 3; do
		sleep 1
		cur=$(stat_of "$1" "$2"); curt=$(date +%s.%N)
		pct=$(awk -v c="$cur" -v p="$prev" -v ct="$curt" -v pt="$prevt" \
			-v lim="$3" 'BEGIN { printf "%.1f", 100 * (c - p) / (ct - pt) / lim }')
		figs="$figs $pct%"
		if awk -v x="$pct" 'BEGIN { exit !(x < 90 || x > 110) }'; then
			bad=1
		fi
		prev=$cur; prevt=$curt
	done
	wait $(echo $PIDS | tr ' ' '\n' | tail -2)
	cpus=$(xctl -v stats "$1" | sed 's/.* cpu0 \([0-9]*\) cpu1 \([0-9]*\).*/\1 \2/')
	c0=${cpus% *}; c1=${cpus#* }
	echo "# $5: windows at$figs of the limit; packets seen by cpu0 $c0, cpu1 $c1"
	if [ -n "$bad" ]; then
		fail "$5" "windows at$figs of the limit"
	elif [ "$c0" -lt 10000 ] || [ "$c1" -lt 10000 ]; then
		fail "$5" "traffic did not reach both CPUs ($c0, $c1)"
	else
		ok "$5"
	fi
}
window 1 pkts_passed $PPS 7000 xdp_ratelimit_pps_two_cpus
window 2 bytes_passed $BPS 7001 xdp_ratelimit_bps_two_cpus
[ $failures = 0 ]
