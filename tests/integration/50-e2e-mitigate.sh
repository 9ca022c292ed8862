#!/bin/sh
# 50-e2e-mitigate: the whole chain in the namespace lab (lib-lab.sh).
# dots-client in customer asks dotsd (edge) to mitigate UDP port 9000 of
# 198.18.10.10 and 2001:db8:10::10; dotsd starts at the flowspec level, so
# it drops locally with XDP on "uplink" and announces flowspec to gobgpd
# (transit). Attack and legitimate traffic cross transit; the attack must
# be dropped with the status counters matching what was sent, legitimate
# traffic must arrive; after the withdraw the rules and routes are gone
# and the attack arrives again. Then a sequence of requests, updates and
# withdraws, with dotsctl reconcile finding no difference after each, and
# a request narrowed to the attacker's source (RFC 9066 source-prefix).
NAME=e2e-mitigate
LAB=de$$
. "$(dirname "$0")/lib-lab.sh"
lab_require $NAME
lab_init
lab_up || { fail "lab namespaces"; exit 1; }
lab_gobgp_start || { fail "gobgpd did not start"; exit 1; }
lab_conf "	base-level flowspec"
lab_dotsd_start || { fail "dotsd did not start"; exit 1; }
check "BGP session dotsd - gobgpd established" 20 lab_bgp_up

V6=2001:db8:10::10
FS4='\[destination: 198\.18\.10\.10/32\]\[protocol: ==udp\]\[destination-port: ==9000\].*discard'
FS6='\[destination: 2001:db8:10::10/128/0\]\[protocol: ==udp\]\[destination-port: ==9000\].*discard'

# --- request: XDP rules and flowspec routes ---------------------------
lab_dc request --target "$LAB_VICTIM,$V6" --protocol udp --port 9000 \
    --mid 1 --lifetime -1
if [ $RC -eq 0 ] && grep -q '^2.01 Created' "$T/dc.out"; then
	ok "request: 2.01 Created"
else
	fail "request: exit $RC: $(head -2 "$T/dc.out" | tr '\n' ' ')"
fi
# engine_apply() is synchronous: the rules are in when 2.01 is sent
if lab_xdp_rules_are 2; then
	ok "XDP holds 2 rules when the answer arrives"
else
	fail "XDP rules after 2.01: $(lab_xdp_rules)"
fi
check "flowspec IPv4 rule at gobgpd (dst, udp, port 9000, discard)" 10 \
    lab_rib_has ipv4-flowspec "$FS4"
check "flowspec IPv6 rule at gobgpd" 10 lab_rib_has ipv6-flowspec "$FS6"
check "no RTBH route at the flowspec level" 1 lab_routes_are ipv4 0
check "reconcile: backends match the mitigation" 3 lab_reconciled

# --- traffic: attack dropped, legitimate traffic passes ----------------
lab_recv_start 9000-9001 12 -6 || fail "UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/atk4" -n 30000 -r 10000
A4=$SEND_PID
lab_send_bg attacker "$V6" 9000 "$T/atk6" -n 10000 -r 5000
A6=$SEND_PID
legit=$(lab_send legit 9001 -n 1500 -r 500)
wait $A4 $A6
atk=$(( $(sed -n 's/^sent //p' "$T/atk4") + $(sed -n 's/^sent //p' "$T/atk6") ))
lab_recv_wait
got_atk=$(lab_recv_port 9000)
got_legit=$(lab_recv_port 9001)
if [ "$atk" -ge 39000 ] && [ "$got_atk" = 0 ]; then
	ok "attack dropped: $atk packets sent to port 9000, 0 arrived"
else
	fail "attack: $atk sent, $got_atk arrived"
fi
if [ "${legit:-0}" -gt 0 ] && [ "$got_legit" -ge $((legit * 99 / 100)) ]; then
	ok "legitimate traffic passes: $got_legit of $legit arrived"
else
	fail "legitimate traffic: $got_legit of $legit arrived"
fi

# the engine reads the XDP counters once a second
counted() {
	d=$(lab_dropped 1)
	[ -n "$d" ] && [ "$d" -ge $((atk * 98 / 100)) ]
}
lab_wait 5 counted
d=$(lab_dropped 1)
if [ -n "$d" ] && [ "$d" -ge $((atk * 98 / 100)) ] &&
    [ "$d" -le $((atk * 102 / 100)) ]; then
	ok "status counters: $d packets dropped, $atk attack packets sent"
else
	fail "status counters: ${d:-none} dropped, $atk sent"
	sed 's/^/    /' "$T/dc.out"
fi

# --- withdraw: rules and routes gone, the attack arrives again ---------
lab_dc withdraw --mid 1
if [ $RC -eq 0 ] && grep -q '^2.02 Deleted' "$T/dc.out"; then
	ok "withdraw: 2.02 Deleted"
else
	fail "withdraw: exit $RC: $(head -2 "$T/dc.out" | tr '\n' ' ')"
fi
check "XDP rules gone" 5 lab_xdp_rules_are 0
check "flowspec IPv4 route withdrawn at gobgpd" 10 \
    lab_routes_are ipv4-flowspec 0
check "flowspec IPv6 route withdrawn at gobgpd" 10 \
    lab_routes_are ipv6-flowspec 0
check "reconcile after the withdraw" 3 lab_reconciled
lab_recv_start 9000 4 || fail "UDP sink did not start"
sent=$(lab_send attacker 9000 -n 2000 -r 2000)
lab_recv_wait
got=$(lab_recv_port 9000)
if [ "$got" -ge $((sent * 90 / 100)) ]; then
	ok "after the withdraw the former attack traffic arrives ($got of $sent)"
else
	fail "after the withdraw: $got of $sent arrived"
fi

# --- a sequence of requests: backends always equal the mitigations -----
# step DESC FS4-ROUTES XDP-RULES: counts at gobgpd and in XDP, reconcile 0
step() {
	if lab_wait 10 lab_routes_are ipv4-flowspec "$2" &&
	    lab_wait 5 lab_xdp_rules_are "$3" && lab_reconciled; then
		ok "$1: $2 flowspec routes, $3 XDP rules, reconciled"
	else
		fail "$1: $(lab_routes ipv4-flowspec) routes (want $2), $(lab_xdp_rules) rules (want $3): $(head -3 "$T/reconcile.out" | tr '\n' ' ')"
	fi
}
lab_dc request --target 198.18.10.20 --protocol tcp --port 80,443 --mid 2
[ $RC -eq 0 ] || fail "request mid 2: exit $RC"
step "mid 2 (tcp 80,443)" 1 1
lab_dc request --target 198.18.10.30,198.18.10.31 --mid 3
[ $RC -eq 0 ] || fail "request mid 3: exit $RC"
step "mid 3 (two hosts, all traffic)" 3 3
# RFC 9132 §4.4.1: a refresh repeats the scope; a new scope needs a new,
# higher mid, which overrides the overlapping older request
lab_dc request --target 198.18.10.20 --protocol udp --port 53 --mid 2
if [ $RC -eq 3 ] && grep -q '^4.00 ' "$T/dc.out"; then
	ok "a changed scope under the same mid is refused (4.00)"
else
	fail "changed scope under mid 2: exit $RC: $(head -1 "$T/dc.out")"
fi
step "after the refused change" 3 3
lab_dc request --target 198.18.10.20 --protocol udp --port 53 --mid 4
[ $RC -eq 0 ] || fail "request mid 4: exit $RC: $(head -1 "$T/dc.out")"
step "mid 4 (udp 53) overrides mid 2" 3 3
check "mid 4 announced with its scope" 10 lab_rib_has \
    ipv4-flowspec '198\.18\.10\.20/32\]\[protocol: ==udp\]\[destination-port: ==53\]'
if lab_rib_has ipv4-flowspec '198\.18\.10\.20/32\]\[protocol: ==tcp'; then
	fail "the scope of the overridden mid 2 is still announced"
else
	ok "the scope of the overridden mid 2 is withdrawn"
fi
lab_dc withdraw --mid 3
step "mid 3 withdrawn" 1 1
lab_dc withdraw --mid 4
step "mid 4 withdrawn" 0 0
all_gone() {
	for f in ipv4-flowspec ipv6-flowspec ipv4 ipv6; do
		lab_routes_are $f 0 || return 1
	done
}
check "no route left at gobgpd in any family" 5 all_gone

# --- a request narrowed to one source (RFC 9066 source-prefix) ---------
# only the attacker's traffic to port 9000 is dropped, legit traffic to
# the same port passes; the flowspec route carries the source too
lab_dc request --target "$LAB_VICTIM" --protocol udp --port 9000 \
    --source 198.18.2.2 --mid 6
[ $RC -eq 0 ] && grep -q '^2.01 Created' "$T/dc.out" &&
	ok "request with --source: 2.01 Created" ||
	fail "request with --source: exit $RC: $(head -1 "$T/dc.out")"
step "mid 6 (source 198.18.2.2)" 1 1
check "flowspec rule with the source at gobgpd" 10 lab_rib_has \
    ipv4-flowspec '198\.18\.10\.10/32\]\[source: 198\.18\.2\.2/32\].*discard'
# a leak of the attack shows as more than legit arriving, a rule without
# its source as (almost) nothing; some loss of legit is load, not a bug
lab_recv_start 9000 7 || fail "UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/atk6s" -n 3000 -r 1000
A6=$SEND_PID
legit=$(lab_send legit 9000 -n 1500 -r 500)
wait $A6
atk=$(sed -n 's/^sent //p' "$T/atk6s")
lab_recv_wait
got=$(lab_recv_port 9000)
if [ "${atk:-0}" -ge 2900 ] && [ "${legit:-0}" -gt 0 ] &&
    [ "${got:-0}" -ge $((legit * 95 / 100)) ] && [ "$got" -le "$legit" ]; then
	ok "only the source is dropped: $atk attack packets gone, $got of $legit legit arrived on the same port"
else
	fail "source-narrowed: attack $atk, legit $legit, arrived $got"
fi
lab_dc withdraw --mid 6
step "mid 6 withdrawn" 0 0

kill -0 "$DOTSD_PID" 2>/dev/null && ok "dotsd still running" ||
    fail "dotsd died"
lab_dotsd_stop_check
exit $LAB_FAILED
