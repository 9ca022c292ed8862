#!/bin/sh
# make demo: the whole of dotsd in five network namespaces, in about a
# minute. A customer's DOTS client asks the edge router's dotsd for
# mitigation; dotsd drops the attack with XDP on its uplink, escalates to
# BGP flowspec and then RTBH at the upstream transit (gobgpd) while the
# attack is strong, steps back down when it stops, and removes everything
# when the client withdraws. Needs root; nothing is added to the root
# namespace and everything is removed at the end (the lab's namespaces,
# processes, temporary files and its own XDP pin directory).
#
# KEEP=1 keeps the temporary directory (configuration, logs).

LAB_SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$LAB_SRC" || exit 1
LAB=dd$$
. "$LAB_SRC/tests/integration/lib-lab.sh"

ATTACK_PPS=10000
ATTACK_SECS=15
LEGIT_PPS=500

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root: it creates network namespaces and loads" \
	    "an XDP program." >&2
	exit 1
fi
out=$(lab_require demo)
if [ -n "$out" ]; then
	echo "demo: cannot run: ${out#skip demo: }" >&2
	exit 1
fi

nstep=0
step() {
	nstep=$((nstep + 1))
	echo
	echo "[$nstep/10] $1"
	shift
	for l in "$@"; do
		echo "       $l"
	done
	echo
}

# show PROMPT CMD...: prints the command as a reader would type it, then
# runs it and indents its output.
show() {
	echo "   $1"
	shift
	"$@" 2>&1 | sed 's/^/     /'
}

die() {
	echo
	echo "demo: $*" >&2
	[ -f "$T/dotsd.log" ] && { echo "last lines of dotsd's log:" >&2;
	    tail -5 "$T/dotsd.log" | sed 's/^/  /' >&2; }
	exit 1
}

rib() {	# rib FAMILY: gobgpd's table, or a note that it is empty
	r=$(lab_gobgp global rib -a "$1" 2>&1)
	case $r in
	*"not in table"*|"") echo "(no routes)" ;;
	*) echo "$r" ;;
	esac
}

level() {	# the escalation level, as the upstream sees it
	fs=$(lab_routes ipv4-flowspec)
	bh=$(lab_routes ipv4)
	if [ "$bh" -gt 0 ]; then
		echo "rtbh (XDP + flowspec + blackhole)"
	elif [ "$fs" -gt 0 ]; then
		echo "flowspec (XDP + flowspec upstream)"
	else
		echo "local (XDP only)"
	fi
}

xdp_dropped() {	# packets dropped by XDP, all groups
	"$LAB_XDPCTL" -p "$LAB_PIN" stats 2>/dev/null | awk '
	    { for (i = 1; i < NF; i++) if ($i == "pkts_dropped") n += $(i + 1) }
	    END { print n + 0 }'
}

LOGMARK=0
new_steps() {	# escalation steps dotsd logged since the last call
	n=$(wc -l <"$T/dotsd.log")
	tail -n +$((LOGMARK + 1)) "$T/dotsd.log" | head -n $((n - LOGMARK)) |
	    grep 'escalated' | sed 's/^\([0-9:]*\)\.[0-9]* /\1  /;
	    s/^/       >>> dotsd: /'
	LOGMARK=$n
}

# follow SECS UNTIL-LEVEL: one line a second for SECS seconds, or until
# the level starts with UNTIL-LEVEL.
follow() {
	w_end=$(( $(date +%s) + $1 ))
	prev=$(xdp_dropped)
	while [ "$(date +%s)" -lt "$w_end" ]; do
		sleep 1
		now=$(xdp_dropped)
		lv=$(level)
		printf '       %3ss  XDP drops %6s pkt/s  total %7s   level: %s\n' \
		    "$(( $(date +%s) - W0 ))" "$((now - prev))" "$now" "$lv"
		new_steps
		prev=$now
		case $lv in "$2"*) return 0 ;; esac
	done
}

cat <<'EOF'
===========================================================================
 dotsd demo: a customer asks for DDoS mitigation over DOTS (RFC 9132);
 its edge router drops the attack with XDP and, while the attack is
 strong, asks the upstream to filter it too (BGP flowspec, then RTBH).
===========================================================================

   attacker 198.18.2.2 --+
                         +-- transit ------------ edge ------------- customer
   legit    198.18.3.2 --+   gobgpd, AS 64500     dotsd, AS 64510     198.18.10.10
                             198.18.0.1           XDP on "uplink"     dots-client
EOF

step "Building the lab: five network namespaces joined by veth pairs" \
    "(names start with $LAB-; IPv4 198.18.0.0/15, IPv6 2001:db8::/32)"
lab_init
lab_up || die "the namespaces do not route"
echo "   customer can reach legit:"
lab_exec customer ping -c1 -W1 198.18.3.2 | sed -n 's/^/     /;2p'

step "Upstream transit: gobgpd takes flowspec and unicast routes from dotsd"
lab_gobgp_start || die "gobgpd did not start"
echo "   gobgpd is running in $LAB-transit (AS 64500)"

step "Edge router: dotsd with XDP on its uplink and a BGP session upstream" \
    "Low thresholds for the demo: flowspec above 2000 packets/s, RTBH" \
    "above 5000 packets/s, 3 s above to step up, 5 s below to step down."
lab_conf "	# escalation, with thresholds low enough for a lab
	escalate-flowspec-pps 2000
	escalate-rtbh-pps 5000
	escalate-after 3
	deescalate-after 5
	rate-window 3"
echo "   parts of dotsd.conf:"
sed -n '/^client/,$p' "$T/dotsd.conf" | grep -v '^$' | sed 's/^/     /'
echo
lab_dotsd_start || die "dotsd did not start"
lab_wait 20 lab_bgp_up || die "no BGP session between dotsd and gobgpd"
show "transit# gobgp neighbor" lab_gobgp neighbor

step "The customer's DOTS client asks for mitigation of UDP port 9000 on" \
    "198.18.10.10 (certificate client1; DTLS to dotsd at 198.18.10.1)"
echo "   customer\$ dots-client -s coaps://198.18.10.1 request" \
    "--target 198.18.10.10 --protocol udp --port 9000"
lab_dc request --target "$LAB_VICTIM" --protocol udp --port 9000 \
    --lifetime 600
sed 's/^/     /' "$T/dc.out"
[ $RC -eq 0 ] || die "the request was refused (exit $RC)"
MID=$(sed -n 's/^mid \([0-9]*\),.*/\1/p' "$T/dc.out")
echo
echo "   The XDP program on edge's uplink now holds the rule:"
show "edge# dotsd-xdp status" sh -c "\"$LAB_XDPCTL\" -p \"$LAB_PIN\" status |
    grep -E '^(interface|rules)'"
echo "   level: $(level)"
LOGMARK=$(wc -l <"$T/dotsd.log")

step "Attack: $ATTACK_PPS packets/s to UDP 9000 for $ATTACK_SECS s from" \
    "attacker, and legitimate traffic, $LEGIT_PPS packets/s to UDP 9001," \
    "from legit. One line a second; '>>>' marks an escalation step."
lab_recv_start 9000-9001 $((ATTACK_SECS + 3)) || die "the UDP sink did not start"
lab_send_bg attacker "$LAB_VICTIM" 9000 "$T/attack.sent" \
    -t "$ATTACK_SECS" -r "$ATTACK_PPS"
ATK=$SEND_PID
lab_send_bg legit "$LAB_VICTIM" 9001 "$T/legit.sent" \
    -t "$ATTACK_SECS" -r "$LEGIT_PPS"
LEG=$SEND_PID
W0=$(date +%s)
follow $((ATTACK_SECS - 2)) none

step "Status during the attack: the client's view and the upstream's table"
echo "   customer\$ dots-client get --mid $MID"
lab_dc get --mid "$MID"
sed 's/^/     /' "$T/dc.out"
echo
show "transit# gobgp global rib -a ipv4-flowspec" rib ipv4-flowspec
echo
show "transit# gobgp global rib -a ipv4      (RTBH: community blackhole)" \
    rib ipv4
echo
echo "   (gobgpd here only receives the routes; a real transit would filter"
echo "    the flowspec rule and null-route the blackholed host for us)"
wait $ATK $LEG 2>/dev/null

step "The attack has stopped: dotsd steps back down, one level at a time"
W0=$(date +%s)
follow 30 local
new_steps

step "What reached the customer (counted by a UDP sink on 198.18.10.10)"
lab_recv_wait
asent=$(sed -n 's/^sent //p' "$T/attack.sent")
lsent=$(sed -n 's/^sent //p' "$T/legit.sent")
echo "   attack     (UDP 9000): $asent sent, $(lab_recv_port 9000) arrived"
echo "   legitimate (UDP 9001): $lsent sent, $(lab_recv_port 9001) arrived"
echo
echo "   customer\$ dots-client get --mid $MID"
lab_dc get --mid "$MID"
sed 's/^/     /' "$T/dc.out"
echo "   (dropped = the attack packets sent; the rates are averages since"
echo "    the mitigation started, as RFC 9132 asks)"

step "The customer withdraws the request: rules and routes go"
echo "   customer\$ dots-client withdraw --mid $MID"
lab_dc withdraw --mid "$MID"
sed 's/^/     /' "$T/dc.out"
lab_wait 5 lab_xdp_rules_are 0
lab_wait 10 lab_routes_are ipv4-flowspec 0
echo
show "edge# dotsd-xdp status" sh -c "\"$LAB_XDPCTL\" -p \"$LAB_PIN\" status |
    grep '^rules'"
show "transit# gobgp global rib -a ipv4-flowspec" rib ipv4-flowspec
show "transit# gobgp global rib -a ipv4" rib ipv4
show "edge# dotsctl reconcile" lab_ctl reconcile

step "Cleaning up: dotsd, gobgpd, the namespaces and the XDP pins"
lab_cleanup
trap - EXIT
left=$(ip netns list | grep -c "^$LAB-")
echo "   namespaces $LAB-*: $left left"
[ -e "$LAB_PIN" ] && echo "   $LAB_PIN: still there" ||
    echo "   $LAB_PIN: removed"
echo
echo "   done. Run it again with: make demo"
