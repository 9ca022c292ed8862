#!/bin/sh
# 34-bgp-fleet: one DOTS server protects two edge routers through a BIRD 2
# route reflector (tests/integration/lib-fleet.sh draws the lab). A DOTS
# request on the server becomes a flowspec route, reflected to both
# edges, which receive it and drop the attack in XDP, each on its own
# uplink, with exact per-rule counters; the withdraw removes it on both.
# Then a rule injected by a third-party controller (gobgpd), one outside
# the edges' import space (never enforced), Prometheus, and graceful
# restart of the reflector session.
NAME=bgp-fleet
LAB=fl$$
. "$(dirname "$0")/lib-lab.sh"
. "$(dirname "$0")/lib-fleet.sh"
fleet_require $NAME
fleet_init
fleet_up || { fail "lab namespaces"; exit 1; }
fleet_bird_start || { fail "BIRD did not start"; exit 1; }
fleet_conf_srv
fleet_conf_edge e1 198.18.100.6 198.18.100.5 9701
fleet_conf_edge e2 198.18.100.10 198.18.100.9 9702
for b in srv e1 e2; do
	fleet_dotsd_start $b || { fail "dotsd $b did not start: $(tail -3 "$T/$b.log")"; exit 1; }
done
ok "edges run with the signal channel off"
for p in srv e1 e2; do
	check "BIRD session with $p established" 20 fleet_bird_up $p
done

dc() {
	lab_exec srv timeout 30 "$LAB_CLIENT" -s coaps://127.0.0.1 \
	    --cert "$T/c/client1.pem" --key "$T/c/client1.key" \
	    --ca "$T/c/ca.pem" "$@" >"$T/dc.out" 2>&1 </dev/null
	RC=$?
}

# --- a DOTS request on the server -> dropped on both edges -------------
M='^198\.18\.10\.10/32 proto 17 dport 9000$'
dc request --target $FLEET_VICTIM --protocol udp --port 9000 --mid 1 \
    --lifetime -1
if [ $RC -eq 0 ] && grep -q '^2.01 Created' "$T/dc.out"; then
	ok "DOTS request on the server: 2.01 Created"
else
	fail "request: exit $RC: $(head -2 "$T/dc.out" | tr '\n' ' ')"
fi
for e in e1 e2; do
	check "$e enforces the received rule" 10 fleet_rules_are $e 1
	if fleet_ctl $e -j show received | jq -e --arg m "$M" \
	    '.result.rules[0] | (.match | test($m)) and .action == "drop"' >/dev/null
	then
		ok "$e: rule is dst 198.18.10.10/32 udp dport 9000, drop"
	else
		fail "$e: rule: $(fleet_ctl $e -j show received | jq -c .result.rules)"
	fi
	[ "$(fleet_xdp_rules $e)" = 1 ] && ok "$e: XDP holds 1 rule" ||
	    fail "$e: XDP holds $(fleet_xdp_rules $e) rules"
done
for i in 1 2; do
	set -- $(fleet_attack $i 9000 1000)
	sent=$1 got=${2:-0}
	if [ "$sent" -ge 1000 ] && [ "$got" = 0 ]; then
		ok "e$i: attack from a$i dropped ($sent sent, 0 arrived)"
	else
		fail "e$i: attack: $sent sent, $got arrived"
	fi
	d=$(fleet_dropped e$i "$M")
	if [ "$d" = "$sent" ]; then
		ok "e$i: per-rule counter exact: $d packets dropped"
	else
		fail "e$i: per-rule counter $d, $sent sent"
	fi
	set -- $(fleet_attack $i 9001 200)
	if [ "$2" = "$1" ] && [ "$1" -gt 0 ]; then
		ok "e$i: other traffic passes ($2 of $1)"
	else
		fail "e$i: other traffic: $2 of $1 arrived"
	fi
done
m=$(lab_exec e1 curl -s http://127.0.0.1:9701/metrics 2>/dev/null)
if echo "$m" | grep -q "^dotsd_received_rule_dropped_packets_total{key=\"[0-9]*\",match=\"198.18.10.10/32 proto 17 dport 9000\"} $(fleet_dropped e1 "$M")\$" &&
    echo "$m" | grep -q '^dotsd_received_rules 1$'; then
	ok "Prometheus on e1: the rule's drop counter"
else
	fail "Prometheus on e1: $(echo "$m" | grep received | head -3 | tr '\n' ' ')"
fi
for e in e1 e2; do
	fleet_ctl $e reconcile >/dev/null 2>&1 && ok "$e: reconcile consistent" ||
	    fail "$e: reconcile: $(fleet_ctl $e reconcile 2>&1 | tail -1)"
done

# --- withdraw on the server -> gone on both edges ----------------------
dc withdraw --mid 1
[ $RC -eq 0 ] && ok "withdraw on the server" || fail "withdraw: exit $RC"
for i in 1 2; do
	check "e$i: rule gone" 10 fleet_rules_are e$i 0
	[ "$(fleet_xdp_rules e$i)" = 0 ] && ok "e$i: XDP empty" ||
	    fail "e$i: XDP holds $(fleet_xdp_rules e$i) rules"
	set -- $(fleet_attack $i 9000 300)
	[ "$2" = "$1" ] && ok "e$i: former attack traffic arrives ($2 of $1)" ||
	    fail "e$i: after the withdraw $2 of $1 arrived"
done

# --- a third-party controller (gobgpd) ----------------------------------
if fleet_gobgp_start; then
	check "BIRD session with the controller" 20 fleet_bird_up ctl
	fleet_gobgp global rib -a ipv4-flowspec add match destination \
	    198.18.10.10/32 protocol udp destination-port '==9100' then \
	    rate-limit 1000 >/dev/null
	fleet_gobgp global rib -a ipv4-flowspec add match destination \
	    198.18.50.0/24 then discard >/dev/null
	R='^198\.18\.10\.10/32 proto 17 dport 9100$'
	for e in e1 e2; do
		check "$e: controller's rule enforced" 10 fleet_rules_are $e 1
		if fleet_ctl $e -j show received | jq -e --arg m "$R" \
		    '.result.rules[0] | (.match | test($m)) and
		    .action == "rate 1000 B/s"' >/dev/null; then
			ok "$e: controller's rate-limit 1000 as a byte rate"
		else
			fail "$e: $(fleet_ctl $e -j show received | jq -c .result.rules)"
		fi
		ign=$(fleet_ctl $e -j show received | jq '.result.ignored["outside-import"]')
		[ "$ign" -ge 1 ] 2>/dev/null &&
		    ok "$e: rule outside the import space left out ($ign)" ||
		    fail "$e: outside-import count $ign"
	done
	fleet_gobgp global rib -a ipv4-flowspec del match destination \
	    198.18.10.10/32 protocol udp destination-port '==9100' >/dev/null
	for e in e1 e2; do
		check "$e: controller's withdraw" 10 fleet_rules_are $e 0
	done
else
	fail "gobgpd did not start"
fi

# --- graceful restart: the reflector dies, the rules stay a while -----
dc request --target $FLEET_VICTIM --protocol udp --port 9000 --mid 2 \
    --lifetime -1
check "e1: rule of mid 2 enforced" 10 fleet_rules_are e1 1
check "e2: rule of mid 2 enforced" 10 fleet_rules_are e2 1
# SIGKILL: the sessions end without a NOTIFICATION (RFC 4724 §4.2)
kill -9 "$FLEET_BIRD"
wait "$FLEET_BIRD" 2>/dev/null
sleep 1.5
if fleet_rules_are e1 1 && fleet_rules_are e2 1; then
	ok "rules kept on both edges while the reflector restarts"
else
	fail "rules gone at once: e1 $(fleet_rules e1), e2 $(fleet_rules e2)"
fi
set -- $(fleet_attack 1 9000 200)
[ "$2" = 0 ] && ok "e1: the stale rule still drops ($1 sent, 0 arrived)" ||
    fail "e1: stale rule: $2 of $1 arrived"
check "e1: stale rule dropped after the restart time (5 s)" 10 \
    fleet_rules_are e1 0
check "e2: stale rule dropped after the restart time" 3 fleet_rules_are e2 0
fleet_bird_start || fail "BIRD did not restart"
check "e1: reflector back, rule received again" 40 fleet_rules_are e1 1
check "e2: reflector back, rule received again" 10 fleet_rules_are e2 1

for b in srv e1 e2; do
	fleet_dotsd_stop $b
	[ "$RC" = 0 ] && ok "dotsd $b exits cleanly" ||
	    fail "dotsd $b exit status $RC: $(grep -m1 -E 'ERROR|runtime error' "$T/$b.log")"
done
exit $LAB_FAILED
