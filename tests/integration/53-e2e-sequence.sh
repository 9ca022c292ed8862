#!/bin/sh
# 53-e2e-sequence: after any sequence of requests the XDP rules and the
# announced routes are exactly what the active mitigations call for.
# A seeded random sequence (E2E_SEED to replay one) of requests for one to
# three hosts of a pool of ten IPv4 and ten IPv6 addresses (a later mid
# overrides the overlapping earlier ones), client withdraws, operator
# withdraws (dotsctl) and dotsd restarts (SIGTERM and SIGKILL). After
# each step, checked independently of the engine: the rules in the XDP
# maps and the flowspec routes at gobgpd equal the targets of the
# mitigations dotsd enforces (dotsctl show mitigations), and dotsctl
# reconcile finds no difference.
NAME=e2e-sequence
LAB=dn$$
. "$(dirname "$0")/lib-lab.sh"
lab_require $NAME
command -v python3 >/dev/null || { skip "python3 missing"; exit 77; }
lab_init
lab_up || { fail "lab namespaces"; exit 1; }
lab_gobgp_start || { fail "gobgpd did not start"; exit 1; }
lab_conf "	base-level flowspec"
lab_dotsd_start || { fail "dotsd did not start"; exit 1; }
check "BGP session established" 20 lab_bgp_up

SEED=${E2E_SEED:-$$}
STEPS=${E2E_STEPS:-40}
echo "# seed $SEED (E2E_SEED=$SEED replays this sequence)"

# expected: "MIDS|V4|V6": the mids that may still be withdrawn, and the
# IPv4 and IPv6 targets of every mitigation dotsd enforces now (one
# withdrawn by its client stays enforced until the next tick)
expected() {
	lab_ctl -j show mitigations 2>/dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)["result"]
live = [m for m in r if m["enforced"]]
t = [p for m in live for p in m.get("targets", [])]
v6 = sum(1 for p in t if ":" in p)
mids = [str(m["mid"]) for m in live if "withdrawn" not in m["status"]]
print("%s|%d|%d" % (" ".join(mids), len(t) - v6, v6))'
}

# consistent: XDP rules and gobgpd routes match the mitigations
consistent() {
	e=$(expected) || return 1
	v4=$(echo "$e" | cut -d'|' -f2)
	v6=$(echo "$e" | cut -d'|' -f3)
	[ -n "$v4" ] && lab_xdp_rules_are $((v4 + v6)) &&
	    lab_routes_are ipv4-flowspec "$v4" &&
	    lab_routes_are ipv6-flowspec "$v6" && lab_reconciled
}

# the sequence: one line per step, "OP A B C" (0..99 each)
awk -v seed="$SEED" -v n="$STEPS" 'BEGIN { srand(seed)
	for (i = 0; i < n; i++)
		print int(rand() * 100), int(rand() * 100), int(rand() * 100),
		    int(rand() * 100) }' >"$T/seq"

mid=0
restarts=0
nbad=0
nsteps=0
while read -r op a b c; do
	nsteps=$((nsteps + 1))
	live=$(expected | cut -d'|' -f1)
	nlive=$(echo "$live" | wc -w)
	if [ "$op" -lt 55 ] || [ "$nlive" -eq 0 ]; then
		mid=$((mid + 1))
		tg=198.18.10.$((20 + a % 10))
		[ $((b % 3)) -ge 1 ] && tg="$tg,2001:db8:10::$((20 + b % 10))"
		[ $((c % 3)) -eq 2 ] && tg="$tg,198.18.10.$((20 + c % 10))"
		what="request mid $mid for $tg"
		lab_dc request --target "$tg" --mid $mid --lifetime -1
		[ $RC -eq 0 ] || what="$what (exit $RC: $(head -1 "$T/dc.out"))"
	elif [ "$op" -lt 80 ]; then
		w=$(echo "$live" | tr ' ' '\n' | sed -n "$((a % nlive + 1))p")
		what="withdraw mid $w"
		lab_dc withdraw --mid "$w"
	elif [ "$op" -lt 93 ] || [ $restarts -ge 3 ]; then
		w=$(echo "$live" | tr ' ' '\n' | sed -n "$((a % nlive + 1))p")
		what="operator withdraws mid $w"
		lab_ctl withdraw customer "$w" >/dev/null
	else
		restarts=$((restarts + 1))
		if [ $((a % 2)) -eq 0 ]; then
			what="dotsd restart (SIGKILL)"
			lab_dotsd_stop KILL
		else
			what="dotsd restart (SIGTERM)"
			lab_dotsd_stop
		fi
		lab_dotsd_start || { fail "$what: dotsd did not start"; break; }
		lab_wait 20 lab_bgp_up
	fi
	if lab_wait 8 consistent; then
		echo "# step $nsteps: $what: consistent"
	else
		nbad=$((nbad + 1))
		fail "step $nsteps: $what: mitigations $(expected), XDP $(lab_xdp_rules) rules, gobgpd $(lab_routes ipv4-flowspec)+$(lab_routes ipv6-flowspec) routes: $(head -2 "$T/reconcile.out" | tr '\n' ' ')"
	fi
done <"$T/seq"
[ $nbad -eq 0 ] &&
    ok "$nsteps random steps ($restarts restarts): XDP rules and flowspec routes equal the enforced mitigations after each"

# the end: everything withdrawn, nothing left
for w in $(expected | cut -d'|' -f1); do
	lab_dc withdraw --mid "$w"
done
# withdrawn mitigations end at the next tick
if lab_wait 8 lab_xdp_rules_are 0 && lab_wait 8 consistent &&
    lab_routes_are ipv4-flowspec 0 && lab_routes_are ipv6-flowspec 0; then
	ok "all withdrawn: no XDP rule, no route, reconciled"
else
	fail "after withdrawing all: $(lab_xdp_rules) rules, $(lab_routes ipv4-flowspec)+$(lab_routes ipv6-flowspec) routes"
	lab_ctl show mitigations | sed 's/^/#   /'
fi
lab_dotsd_stop_check
exit $LAB_FAILED
