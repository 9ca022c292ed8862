#!/bin/sh
# e2e-bench: end-to-end figures in the namespace lab (lib-lab.sh), dotsd
# at the flowspec level (every mitigation is one XDP rule and one
# flowspec route):
#   1. request -> XDP enforcing: from just before dots-client starts (a
#      new DTLS session each time, as an operator or a detector's script
#      runs it) to the last attack packet that reached the customer,
#      under a 20 kpps attack; and request -> 2.01 answer.
#   2. request -> route visible at gobgpd: the same start, to the moment
#      `gobgp monitor` in transit prints the route.
#   3. time to install 10,000 mitigations: one session (e2e-load) sends
#      10,000 requests one after the other; time to the last answer (XDP
#      rules in force) and until gobgpd holds all 10,000 flowspec routes;
#      then the same for their withdrawal.
# Figures only, no pass/fail. E2E_N (default 50) samples for 1 and 2;
# E2E_MANY_BGP (default 10000) mitigations at the flowspec level for 3,
# E2E_MANY (default 0) at the local level (XDP only).
NAME=e2e-bench
LAB=db$$
LAB_SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$LAB_SRC/tests/integration/lib-lab.sh"
N=${E2E_N:-50}
MANY=${E2E_MANY:-0}
MANY_BGP=${E2E_MANY_BGP:-10000}
LIMIT=$(( (MANY > MANY_BGP ? MANY : MANY_BGP) + 100 ))
PROBE="python3 $LAB_SRC/tests/bench/e2e-probe.py"
LOAD=$LAB_OUT/tests/e2e-load

out=$(lab_require $NAME)
if [ -n "$out" ]; then
	echo "$out"
	exit 0
fi
[ -x "$LOAD" ] || { echo "skip $NAME: $LOAD not built"; exit 0; }
command -v python3 >/dev/null || { echo "skip $NAME: no python3"; exit 0; }

lab_init
lab_up || { echo "e2e-bench: lab namespaces failed"; exit 1; }
lab_gobgp_start || { echo "e2e-bench: gobgpd did not start"; exit 1; }
LAB_CLIENT_EXTRA="	prefix 198.19.0.0/16
	max-mitigations $LIMIT"
LAB_XDP_MAX_RULES=$((LIMIT + 1000))
lab_conf "	base-level flowspec
	max-announcements $LIMIT"
lab_dotsd_start || { echo "e2e-bench: dotsd did not start"; exit 1; }
lab_wait 20 lab_bgp_up || { echo "e2e-bench: no BGP session"; exit 1; }

# bg PIDVAR NS CMD...: a background program in a namespace, by its PID
bg() {
	bg_var=$1 bg_ns=$2
	shift 2
	ip netns exec "$(lab_ns "$bg_ns")" "$@" &
	eval "$bg_var=\$!"
	LAB_PIDS="$LAB_PIDS $!"
}

# count FILE ERE: lines of FILE matching ERE
count() {
	n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# at_least FILE ERE N
at_least() {
	[ "$(count "$1" "$2")" -ge "$3" ]
}

# nth FILE ERE N FIELD: field FIELD of the Nth line matching ERE
nth() {
	grep -E -- "$2" "$1" | sed -n "$3p" | cut -d' ' -f"$4"
}

# --- 1 and 2: latencies -------------------------------------------------
bg SINK customer $PROBE sink 9000 30 >"$T/sink.out"
bg MON transit $PROBE stamp gobgp monitor global rib -a ipv4-flowspec \
    >"$T/mon.out"
lab_wait 5 grep -q ready "$T/sink.out"
sleep 0.5
lab_send_bg attacker "$LAB_VICTIM" 9000 /dev/null -t 3600 -r 20000
lab_wait 5 grep -q '^on ' "$T/sink.out"

ROUTE='\[ROUTE\] \[destination: 198\.18\.10\.10/32\]'
DEL='\[DELROUTE\] \[destination: 198\.18\.10\.10/32\]'
: >"$T/samples"
i=1
while [ $i -le $N ]; do
	t0=$(date +%s.%N)
	lab_dc request --target "$LAB_VICTIM" --protocol udp --port 9000 \
	    --mid $i --lifetime 600
	t1=$(date +%s.%N)
	[ $RC -eq 0 ] || { echo "request $i: exit $RC"; break; }
	lab_wait 5 at_least "$T/sink.out" '^off ' $i
	lab_wait 5 at_least "$T/mon.out" "$ROUTE" $i
	echo "$t0 $t1 $(nth "$T/sink.out" '^off ' $i 2) \
$(nth "$T/mon.out" "$ROUTE" $i 1)" >>"$T/samples"
	# the operator's withdraw ends it at once; wait for traffic and
	# the route's withdrawal before the next sample
	lab_ctl withdraw customer $i >/dev/null
	lab_wait 5 at_least "$T/sink.out" '^on ' $((i + 1))
	lab_wait 5 at_least "$T/mon.out" "$DEL" $i
	i=$((i + 1))
done
python3 - "$T/samples" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]
def show(name, v):
    if not v:
        print("%-44s no samples" % name)
        return
    print("%-44s p50 %7.2f ms   p99 %7.2f ms   (n=%d)" %
          (name, pct(v, 50), pct(v, 99), len(v)))
ans = [(float(b) - float(a)) * 1000 for a, b, c, d in rows]
xdp = [(float(c) - float(a)) * 1000 for a, b, c, d in rows]
bgp = [(float(d) - float(a)) * 1000 for a, b, c, d in rows]
print("request latencies (dots-client start, DTLS handshake included):")
show("  request -> 2.01 answer", ans)
show("  request -> XDP enforcing (last attack pkt)", xdp)
show("  request -> flowspec route at gobgpd", bgp)
PY
kill "$SEND_PID" "$SINK" "$MON" 2>/dev/null
{ wait "$SEND_PID" "$SINK" "$MON"; } 2>/dev/null

# --- 3: many mitigations ---------------------------------------------------
# poll_routes N SINCE: seconds from SINCE until gobgpd holds N flowspec
# routes from dotsd (at most 300 s)
poll_routes() {
	end=$(( $(date +%s) + 300 ))
	while [ "$(lab_routes ipv4-flowspec)" != "$1" ]; do
		[ "$(date +%s)" -ge "$end" ] && { echo "timeout"; return; }
		sleep 0.2
	done
	awk -v a="$(date +%s.%N)" -v b="$2" 'BEGIN { printf "%.2f\n", a - b }'
}

# poll_xdp N SINCE: seconds from SINCE until XDP holds N rules
poll_xdp() {
	end=$(( $(date +%s) + 300 ))
	while [ "$(lab_xdp_rules)" != "$1" ]; do
		[ "$(date +%s)" -ge "$end" ] && { echo "timeout"; return; }
		sleep 0.2
	done
	awk -v a="$(date +%s.%N)" -v b="$2" 'BEGIN { printf "%.2f\n", a - b }'
}

# many LEVEL COUNT: dotsd restarted at base level LEVEL; COUNT requests
# over one session, then their withdrawal
many() {
	[ "$2" -gt 0 ] || return 0
	lab_dotsd_stop
	lab_conf "	base-level $1
	max-announcements $LIMIT"
	lab_dotsd_start || { echo "e2e-bench: dotsd did not restart"; return; }
	lab_wait 20 lab_bgp_up
	echo
	echo "installing $2 mitigations at the $1 level over one DTLS session:"
	m0=$((m0 + 100000))
	want=0
	[ "$1" = flowspec ] && want=$2
	s=$(date +%s.%N)
	res=$(lab_exec customer "$LOAD" -s "coaps://$LAB_SERVER" \
	    --cert "$T/c/client1.pem" --key "$T/c/client1.key" \
	    --ca "$T/c/ca.pem" -n "$2" -m $m0 -b 198.19.0.1)
	echo "  e2e-load: $res"
	secs=$(echo "$res" | sed -n 's/.* secs \([0-9.]*\) .*/\1/p')
	echo "  all answered (XDP rules in force): ${secs:-?} s;" \
	    "XDP holds $(lab_xdp_rules) rules"
	[ $want -gt 0 ] &&
	    echo "  all $want routes at gobgpd after: $(poll_routes $want "$s") s"
	lab_reconciled && echo "  dotsctl reconcile: consistent" ||
	    echo "  dotsctl reconcile: $(head -1 "$T/reconcile.out")"
	echo "withdrawing them:"
	s=$(date +%s.%N)
	res=$(lab_exec customer "$LOAD" -s "coaps://$LAB_SERVER" \
	    --cert "$T/c/client1.pem" --key "$T/c/client1.key" \
	    --ca "$T/c/ca.pem" -n "$2" -m $m0 -b 198.19.0.1 -w)
	echo "  e2e-load -w: $res"
	[ $want -gt 0 ] &&
	    echo "  all routes gone at gobgpd after: $(poll_routes 0 "$s") s"
	echo "  all XDP rules gone after: $(poll_xdp 0 "$s") s" \
	    "(a withdrawn request ends at the next tick)"
}
m0=0
many local "$MANY"
many flowspec "$MANY_BGP"
exit 0
