#!/bin/sh
# 52-e2e-restart: dotsd dies (SIGKILL) in the middle of a mitigation and
# of an attack. The pinned XDP program keeps dropping while dotsd is
# down; gobgpd loses the session and the flowspec route with it. The
# restarted dotsd restores the mitigation from its database, adopts the
# pinned rules (the counters go on), re-announces the route, and
# reconcile finds nothing to fix. Then a clean restart (SIGTERM) and a
# withdraw: everything gone.
NAME=e2e-restart
LAB=dk$$
. "$(dirname "$0")/lib-lab.sh"
lab_require $NAME
lab_init
lab_up || { fail "lab namespaces"; exit 1; }
lab_gobgp_start || { fail "gobgpd did not start"; exit 1; }
lab_conf "	base-level flowspec"
lab_dotsd_start || { fail "dotsd did not start"; exit 1; }
check "BGP session established" 20 lab_bgp_up

FS4='\[destination: 198\.18\.10\.10/32\]\[protocol: ==udp\]\[destination-port: ==9000\].*discard'
lab_dc request --target "$LAB_VICTIM" --protocol udp --port 9000 --mid 1 \
    --lifetime -1
[ $RC -eq 0 ] && ok "request: 2.01" ||
    fail "request: exit $RC: $(head -1 "$T/dc.out")"
check "flowspec route at gobgpd" 10 lab_rib_has ipv4-flowspec "$FS4"

# 8 s of attack at 5 kpps; dotsd is killed after 2 s and restarted 3 s
# later, all while the attack goes on
lab_recv_start 9000-9001 14 || fail "UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/atk" -n 40000 -r 5000
ATK=$SEND_PID
lab_send_bg legit "$LAB_VICTIM" 9001 "$T/leg" -n 4000 -r 500
LEG=$SEND_PID
sleep 2
lab_dotsd_stop KILL
ok "dotsd killed (SIGKILL) during the attack"
check "gobgpd drops the routes of the lost session" 10 \
    lab_routes_are ipv4-flowspec 0
if lab_xdp_rules_are 1; then
	ok "the pinned XDP rule stays while dotsd is down"
else
	fail "XDP rules while dotsd is down: $(lab_xdp_rules)"
fi
sleep 1
lab_dotsd_start || { fail "dotsd did not restart"; exit 1; }
if grep -q 'adopted 1 rules in 1 groups' "$T/dotsd.log"; then
	ok "restart: dotsd adopts the pinned rule"
else
	fail "restart: no adoption in the log"
fi
check "restart: BGP session re-established" 20 lab_bgp_up
check "restart: flowspec route announced again" 10 lab_rib_has \
    ipv4-flowspec "$FS4"
check "restart: reconcile finds nothing to fix" 3 lab_reconciled
wait $ATK $LEG
atk=$(sed -n 's/^sent //p' "$T/atk")
leg=$(sed -n 's/^sent //p' "$T/leg")
lab_recv_wait
got=$(lab_recv_port 9000)
got_leg=$(lab_recv_port 9001)
if [ "${atk:-0}" -ge 39000 ] && [ "$got" = 0 ]; then
	ok "protection continued: $atk attack packets sent, 0 arrived"
else
	fail "attack across the restart: ${atk:-0} sent, $got arrived"
fi
if [ "${leg:-0}" -gt 0 ] && [ "$got_leg" -ge $((leg * 99 / 100)) ]; then
	ok "legitimate traffic passed across the restart: $got_leg of $leg"
else
	fail "legitimate traffic: $got_leg of $leg arrived"
fi

lab_dc get --mid 1
if [ $RC -eq 0 ] && grep -q '^mid 1: attack-successfully-mitigated' \
    "$T/dc.out" && grep -q '^  target 198.18.10.10/32' "$T/dc.out"; then
	ok "restart: the mitigation and its status are restored"
else
	fail "status after the restart: exit $RC: $(head -2 "$T/dc.out" | tr '\n' ' ')"
fi
counted() {
	d=$(lab_dropped 1)
	[ -n "$d" ] && [ "$d" -ge $((atk * 98 / 100)) ]
}
lab_wait 5 counted
d=$(lab_dropped 1)
if [ -n "$d" ] && [ "$d" -ge $((atk * 98 / 100)) ] &&
    [ "$d" -le $((atk * 102 / 100)) ]; then
	ok "counters go on across the crash: $d dropped, $atk sent"
else
	fail "counters after the crash: ${d:-none} dropped, $atk sent"
fi

# a clean restart, then the withdraw
lab_dotsd_stop_check
lab_dotsd_start || { fail "dotsd did not restart"; exit 1; }
check "clean restart: route announced again" 20 lab_rib_has \
    ipv4-flowspec "$FS4"
check "clean restart: reconcile" 3 lab_reconciled
lab_dc withdraw --mid 1
[ $RC -eq 0 ] && ok "withdraw after the restarts: 2.02" ||
    fail "withdraw: exit $RC: $(head -1 "$T/dc.out")"
check "withdraw: XDP rule gone" 5 lab_xdp_rules_are 0
check "withdraw: route gone" 10 lab_routes_are ipv4-flowspec 0
check "withdraw: reconcile" 3 lab_reconciled
# one more restart: the withdrawn mitigation must not come back
lab_dotsd_stop
lab_dotsd_start || { fail "dotsd did not restart"; exit 1; }
lab_wait 20 lab_bgp_up
sleep 1
if lab_xdp_rules_are 0 && lab_routes_are ipv4-flowspec 0 &&
    lab_reconciled; then
	ok "restart after the withdraw: nothing comes back"
else
	fail "after the withdraw and a restart: $(lab_xdp_rules) rules, $(lab_routes ipv4-flowspec) routes: $(head -3 "$T/reconcile.out" | tr "\n" " ")"
fi
exit $LAB_FAILED
