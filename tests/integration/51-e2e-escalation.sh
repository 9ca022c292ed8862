#!/bin/sh
# 51-e2e-escalation: the escalation FSM against real traffic. Thresholds:
# flowspec above 1500 pps, RTBH above 6000 pps, 2 s above to step up, 3 s
# below half the threshold to step down. The attack runs at 3000 pps
# (flowspec, no RTBH), then 10 kpps (RTBH), then 2000 pps (below half the
# RTBH threshold, above half the flowspec one: RTBH goes, flowspec stays),
# then stops (back to local: XDP only). gobgpd's table and dotsctl
# reconcile are checked at every step.
NAME=e2e-escalation
LAB=dz$$
. "$(dirname "$0")/lib-lab.sh"
lab_require $NAME
lab_init
lab_up || { fail "lab namespaces"; exit 1; }
lab_gobgp_start || { fail "gobgpd did not start"; exit 1; }
lab_conf "	escalate-flowspec-pps 1500
	escalate-rtbh-pps 6000
	escalate-after 2
	deescalate-after 3
	deescalate-below 50
	rate-window 2"
lab_dotsd_start || { fail "dotsd did not start"; exit 1; }
check "BGP session established" 20 lab_bgp_up

FS4='\[destination: 198\.18\.10\.10/32\]\[protocol: ==udp\]\[destination-port: ==9000\].*discard'
RTBH='198\.18\.10\.10/32 +198\.18\.0\.2 .*Communities: blackhole, no-export'
ATK_PID=

# attack PPS: (re)starts the attacker at PPS for at most 60 s
attack() {
	[ -n "$ATK_PID" ] && kill "$ATK_PID" 2>/dev/null &&
	    { wait "$ATK_PID"; } 2>/dev/null
	ATK_PID=
	[ "$1" = 0 ] && return 0
	lab_send_bg attacker "$LAB_VICTIM" 9000 /dev/null -t 60 -r "$1"
	ATK_PID=$SEND_PID
}

# level FS RTBH: flowspec and RTBH route counts at gobgpd
level() {
	lab_routes_are ipv4-flowspec "$1" && lab_routes_are ipv4 "$2"
}

# stays SECS FS RTBH: the counts hold for SECS seconds
stays() {
	s_end=$(( $(date +%s) + $1 ))
	while [ "$(date +%s)" -lt "$s_end" ]; do
		level "$2" "$3" || return 1
		sleep 0.5
	done
}

lab_dc request --target "$LAB_VICTIM" --protocol udp --port 9000 --mid 1 \
    --lifetime -1
[ $RC -eq 0 ] && ok "request: 2.01 (level local)" ||
    fail "request: exit $RC: $(head -1 "$T/dc.out")"
if lab_xdp_rules_are 1 && level 0 0; then
	ok "local level: one XDP rule, nothing announced"
else
	fail "local level: $(lab_xdp_rules) rules, $(lab_routes ipv4-flowspec) flowspec, $(lab_routes ipv4) rtbh"
fi

attack 3000
check "3000 pps > 1500: escalated to flowspec" 15 lab_rib_has \
    ipv4-flowspec "$FS4"
if stays 6 1 0; then
	ok "3000 pps < 6000: no RTBH for 6 s"
else
	fail "3000 pps: $(lab_routes ipv4-flowspec) flowspec, $(lab_routes ipv4) rtbh routes"
fi
check "reconcile at the flowspec level" 3 lab_reconciled

attack 10000
check "10 kpps > 6000: escalated to RTBH (blackhole community)" 15 \
    lab_rib_has ipv4 "$RTBH"
check "flowspec stays announced at the RTBH level" 2 lab_rib_has \
    ipv4-flowspec "$FS4"
check "reconcile at the RTBH level" 3 lab_reconciled

attack 2000
check "2000 pps < 50% of 6000: RTBH withdrawn" 15 lab_routes_are ipv4 0
if stays 6 1 0; then
	ok "2000 pps > 50% of 1500: flowspec stays for 6 s"
else
	fail "2000 pps: $(lab_routes ipv4-flowspec) flowspec, $(lab_routes ipv4) rtbh routes"
fi
check "reconcile after stepping down to flowspec" 3 lab_reconciled

attack 0
check "attack over: flowspec withdrawn (back to local)" 15 \
    lab_routes_are ipv4-flowspec 0
check "local level keeps the XDP rule" 2 lab_xdp_rules_are 1
check "reconcile at the local level" 3 lab_reconciled
if grep -q 'escalated local -> flowspec' "$T/dotsd.log" &&
    grep -q 'escalated flowspec -> rtbh' "$T/dotsd.log" &&
    grep -q 'de-escalated rtbh -> flowspec' "$T/dotsd.log" &&
    grep -q 'de-escalated flowspec -> local' "$T/dotsd.log"; then
	ok "dotsd logged each of the four steps"
else
	fail "steps in the log: $(grep -c escalated "$T/dotsd.log")"
fi

lab_dc withdraw --mid 1
check "withdraw: XDP rule gone" 5 lab_xdp_rules_are 0
check "withdraw: nothing announced" 5 level 0 0
check "reconcile after the withdraw" 3 lab_reconciled
lab_dotsd_stop_check
exit $LAB_FAILED
